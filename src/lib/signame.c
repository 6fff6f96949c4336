/* The names are the kernel's (signal(7)); on Linux every architecture cinit is built for
 * (amd64, arm64) numbers them alike, so a designated table by the libc's constants suffices. */
#include <signal.h>
#include <stddef.h>

#include "signame.h"

static const char *const names[] = {
    [SIGHUP] = "HUP",   [SIGINT] = "INT",     [SIGQUIT] = "QUIT",     [SIGILL] = "ILL",
    [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",   [SIGBUS] = "BUS",       [SIGFPE] = "FPE",
    [SIGKILL] = "KILL", [SIGUSR1] = "USR1",   [SIGSEGV] = "SEGV",     [SIGUSR2] = "USR2",
    [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",   [SIGTERM] = "TERM",     [SIGSTKFLT] = "STKFLT",
    [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",   [SIGSTOP] = "STOP",     [SIGTSTP] = "TSTP",
    [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",   [SIGURG] = "URG",       [SIGXCPU] = "XCPU",
    [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF",   [SIGWINCH] = "WINCH",
    [SIGIO] = "IO",     [SIGPWR] = "PWR",     [SIGSYS] = "SYS",
};

/* real-time signals as `kill -l` names them: RTMIN+n up to the middle, RTMAX-n above */
static const char *const rt_names[] = {
    "RTMIN",    "RTMIN+1",  "RTMIN+2",  "RTMIN+3",  "RTMIN+4",  "RTMIN+5",  "RTMIN+6",  "RTMIN+7",
    "RTMIN+8",  "RTMIN+9",  "RTMIN+10", "RTMIN+11", "RTMIN+12", "RTMIN+13", "RTMIN+14", "RTMIN+15",
    "RTMAX-14", "RTMAX-13", "RTMAX-12", "RTMAX-11", "RTMAX-10", "RTMAX-9",  "RTMAX-8",  "RTMAX-7",
    "RTMAX-6",  "RTMAX-5",  "RTMAX-4",  "RTMAX-3",  "RTMAX-2",  "RTMAX-1",  "RTMAX",
};

const char *sig_name(int sig)
{
    if (sig > 0 && (size_t)sig < sizeof names / sizeof *names && names[sig])
        return names[sig];
    /* counted from libc's SIGRTMIN, as glibc does, so that the names match the ones users know */
    int rt = sig - NAME_SIGRTMIN;
    if (rt >= 0 && sig <= SIGRTMAX && (size_t)rt < sizeof rt_names / sizeof *rt_names)
        return rt_names[rt];
    return NULL;
}
