/* Messages (stderr, "*** " prefixed, as my_init's) and the clocks they and the deadlines use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cinit.h"
#include "signame.h"

/* ---- messages ---- */

void say(const char *kind, const char *fmt, va_list ap)
{
    struct buf b = {0};
    buf_adds(&b, "*** ");
    buf_adds(&b, kind);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    buf_adds(&b, tmp);
    buf_addc(&b, '\n');
    (void)write_all(STDERR_FILENO, b.p, b.len); /* nowhere to report a failed report */
    buf_free(&b);
}

void info(const char *fmt, ...)
{
    if (opt.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
}

long long usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
long long start_us;

/* -v: with the time since cinit started, to see where a boot or a shutdown spends it */
void debug(const char *fmt, ...)
{
    if (!opt.verbose)
        return;
    long long t = usec() - start_us;
    char kind[32];
    snprintf(kind, sizeof kind, "[%lld.%03lld ms] ", t / 1000, t % 1000);
    va_list ap;
    va_start(ap, fmt);
    say(kind, fmt, ap);
    va_end(ap);
}

void warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("WARNING: ", fmt, ap);
    va_end(ap);
}

void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("ERROR: ", fmt, ap);
    va_end(ap);
}

const char *describe_status(int st, char *out, size_t n)
{
    if (WIFSIGNALED(st))
        snprintf(out, n, "was killed by signal %d (SIG%s)", WTERMSIG(st), sig_name(WTERMSIG(st)) ? sig_name(WTERMSIG(st)) : "?");
    else
        snprintf(out, n, "exited with status %d", WEXITSTATUS(st));
    return out;
}

int exit_code(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* ---- time ---- */

long now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        die(1, "clock_gettime: %s", strerror(errno));
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
