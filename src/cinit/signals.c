/* Signal names and the options that change what cinit does with a signal (loop.c acts on it):
 * --rewrite-signal, --signal-process-group, --remap-exit, --parent-death-signal. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cinit.h"
#include "signame.h"

bool signal_group;
int parent_death_signal;
static int rewrite[NSIG]; /* 0: as received; -1: dropped; else the signal it becomes */
static bool remap[256];

/* A signal by name (TERM, SIGTERM, RTMIN+3, RTMAX-1, any case) or number; -1 if none. */
int signal_parse(const char *s)
{
    long n;
    if (parse_long(s, 1, NSIG - 1, &n))
        return (int)n;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
        bool min = toupper((unsigned char)s[4]) == 'N';
        long off = 0;
        if (s[5] && (s[5] != (min ? '+' : '-') || !parse_long(s + 6, 0, SIGRTMAX - NAME_SIGRTMIN, &off)))
            return -1;
        return min ? NAME_SIGRTMIN + (int)off : SIGRTMAX - (int)off;
    }
    for (int sig = 1; sig < NAME_SIGRTMIN; sig++) {
        const char *a = sig_name(sig);
        if (a && strcasecmp(a, s) == 0)
            return sig;
    }
    return -1;
}

const char *signal_name(int sig, char *out, size_t n)
{
    const char *a = sig_name(sig);
    if (a)
        snprintf(out, n, "SIG%s", a);
    else
        snprintf(out, n, "signal %d", sig);
    return out;
}

/* "FROM:TO[,FROM:TO...]"; TO 0 drops FROM. CHLD, KILL and STOP cannot be rewritten: cinit
 * needs the one, never receives the others. */
bool rewrite_parse(const char *spec)
{
    char *copy = xstrdup(spec), *save = NULL;
    bool ok = *copy != '\0';
    for (char *item = strtok_r(copy, ",", &save); item && ok; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (!colon) {
            ok = false;
            break;
        }
        *colon = '\0';
        int from = signal_parse(item), to = strcmp(colon + 1, "0") == 0 ? 0 : signal_parse(colon + 1);
        if (from < 0 || to < 0 || from == SIGCHLD || from == SIGKILL || from == SIGSTOP)
            ok = false;
        else
            rewrite[from] = to ? to : -1;
    }
    free(copy);
    return ok;
}

int signal_rewritten(int sig)
{
    if (sig <= 0 || sig >= NSIG || !rewrite[sig])
        return sig;
    return rewrite[sig] < 0 ? 0 : rewrite[sig];
}

/* "CODE[,CODE...]", each 0 to 255 */
bool remap_parse(const char *spec)
{
    char *copy = xstrdup(spec), *save = NULL;
    bool ok = *copy != '\0';
    for (char *item = strtok_r(copy, ",", &save); item && ok; item = strtok_r(NULL, ",", &save)) {
        long code;
        if ((ok = parse_long(item, 0, 255, &code)))
            remap[code] = true;
    }
    free(copy);
    return ok;
}

int exit_remapped(int code)
{
    return code >= 0 && code < 256 && remap[code] ? 0 : code;
}

bool signal_synchronous(int sig)
{
    switch (sig) {
    case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV: case SIGSYS:
        return true;
    default:
        return false;
    }
}

/* The main command, or with --signal-process-group its whole process group (it leads one). */
void signal_main(int sig)
{
    if (!running(&main_cmd))
        return;
    pid_t to = signal_group ? -main_cmd.pid : main_cmd.pid;
    if (kill(to, sig) < 0 && errno != ESRCH) {
        char n[32];
        warning("cannot send %s to %s %ld: %s", signal_name(sig, n, sizeof n),
                to < 0 ? "process group" : "PID", (long)main_cmd.pid, strerror(errno));
    }
}
