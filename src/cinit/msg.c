/* Messages (stderr, "*** " prefixed, as my_init's) and the clocks they and the deadlines use. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cinit.h"
#include "signame.h"

/* ---- messages ---- */

/* fmt with no conversion but %s (most messages): formatted without printf, which costs PID 1
 * more than all the rest of a short run. false: leave it to vsnprintf. */
static bool format_plain(char *out, size_t cap, size_t *len, const char *fmt, va_list ap)
{
    for (const char *f = strchr(fmt, '%'); f; f = strchr(f + 2, '%'))
        if (f[1] != 's')
            return false;
    size_t n = 0;
    for (const char *f = fmt; *f && n < cap - 1; f++) {
        if (*f != '%') {
            out[n++] = *f;
            continue;
        }
        const char *a = va_arg(ap, const char *);
        if (!a)
            a = "(null)";
        size_t al = strlen(a);
        if (al > cap - 1 - n)
            al = cap - 1 - n; /* cut as vsnprintf would */
        memcpy(out + n, a, al);
        n += al;
        f++;
    }
    out[n] = '\0';
    *len = n;
    return true;
}

void say(const char *kind, const char *fmt, va_list ap)
{
    /* one write, from the stack: "*** " KIND MESSAGE (at most 1023 bytes) "\n" */
    char line[4 + 64 + 1024 + 1];
    size_t kl = strlen(kind), n;
    if (kl > 64)
        kl = 64;
    memcpy(line, "*** ", 4);
    memcpy(line + 4, kind, kl);
    char *msg = line + 4 + kl;
    va_list aq;
    va_copy(aq, ap);
    if (!format_plain(msg, 1024, &n, fmt, aq)) {
        int r = vsnprintf(msg, 1024, fmt, ap);
        n = r < 0 ? 0 : (size_t)r < 1024 ? (size_t)r : 1023;
    }
    va_end(aq);
    msg[n] = '\n';
    (void)write_all(STDERR_FILENO, line, 4 + kl + n + 1); /* nowhere to report a failed report */
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

/* every run ends here, once, after the main command's death: without printf, whose first call
 * runs cold code (about 5 us of a SIGTERM -> exit of some 120 us, bench/nsrun) */
const char *describe_status(int st, char *out, size_t n)
{
    char text[80], *p = text;
    if (WIFSIGNALED(st)) {
        const char *name = sig_name(WTERMSIG(st));
        if (!name)
            name = "?";
        size_t nl = strlen(name);
        if (nl > 32)
            nl = 32;
        memcpy(p, "was killed by signal ", 21);
        p = put_decimal(p + 21, (unsigned long)WTERMSIG(st));
        memcpy(p, " (SIG", 5);
        memcpy(p + 5, name, nl);
        p += 5 + nl;
        *p++ = ')';
    } else {
        memcpy(p, "exited with status ", 19);
        p = put_decimal(p + 19, (unsigned long)WEXITSTATUS(st));
    }
    size_t len = (size_t)(p - text);
    if (n) {
        if (len > n - 1)
            len = n - 1; /* cut as snprintf would */
        memcpy(out, text, len);
        out[len] = '\0';
    }
    return out;
}

int exit_code(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* ---- time ---- */

/* long long: a long of milliseconds overflows after 24.8 days of host uptime on 32-bit arches */
long long now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        die(1, "clock_gettime: %s", strerror(errno));
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
