/* Signals: how cinit takes them (one signalfd, set up before anything else), what it does with
 * each, the options that change that (--rewrite-signal, --signal-process-group, --remap-exit,
 * --parent-death-signal), and the terminal the main command gets. */
#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cinit.h"
#include "loop.h"
#include "signame.h"

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
    if (!running(&cinit.main_cmd))
        return;
    pid_t to = opt.signal_group ? -cinit.main_cmd.pid : cinit.main_cmd.pid;
    if (kill(to, sig) < 0 && errno != ESRCH) {
        char n[32];
        warning("cannot send %s to %s %ld: %s", signal_name(sig, n, sizeof n),
                to < 0 ? "process group" : "PID", (long)cinit.main_cmd.pid, strerror(errno));
    }
}

/* ---- what a signal does ---- */

static void signal_main_group(int sig)
{
    if (running(&cinit.main_cmd) && kill(-cinit.main_cmd.pid, sig) < 0 && errno != ESRCH)
        warning("cannot send signal %d to process group %ld: %s", sig, (long)cinit.main_cmd.pid, strerror(errno));
}

/* code: the signal's si_code; at most 0 when a process sent it (kill SI_USER, sigqueue
 * SI_QUEUE, tgkill SI_TKILL), above 0 when the kernel did */
static void on_signal(int received, int code)
{
    char n[32];
    if (opt.verbose) /* the name is formatted only for a message that is said */
        debug("received %s", signal_name(received, n, sizeof n));
    if (received == SIGCHLD)
        return;
    int sig = signal_rewritten(received);
    if (sig != received) {
        if (!sig) {
            debug("dropped (--rewrite-signal)");
            return;
        }
        debug("rewritten to %s", signal_name(sig, n, sizeof n));
    }
    switch (sig) {
    case SIGTERM: case SIGINT: case SIGQUIT:
        if (!cinit.stop_signal && !cinit.shutting_down) {
            cinit.stop_signal = sig;
            shutdown_begin();
        }
        /* whoever is in the foreground gets it: the main command, or a startup script */
        if (running(&cinit.main_cmd)) {
            signal_main(sig);
            if (cinit.main_cmd.stopped) /* a stopped process acts on a caught signal only once it runs */
                signal_main_group(SIGCONT);
        } else if (running(&cinit.script) && !cinit.shutting_down) {
            forward(&cinit.script, sig);
        }
        return;
    case SIGTSTP: case SIGTTIN: case SIGTTOU: case SIGCONT:
        signal_main_group(sig);
        return;
    case SIGHUP:
        if (running(&cinit.main_cmd))
            signal_main(sig);
        else if (running(&cinit.runsvdir))
            for_each_service("", 'h');
        return;
    default:
        /* A synchronous signal that a process sent (docker kill --signal=SEGV) is forwarded, as
         * dumb-init does. One of a real fault of cinit's own never gets here: the kernel
         * unblocks it and cinit dies of it, as it should; the code says which it is anyway. */
        if (signal_synchronous(sig) && code > 0)
            debug("%s comes from the kernel (code %d): not forwarded", signal_name(sig, n, sizeof n), code);
        else
            signal_main(sig);
        return;
    }
}

/* ---- taking them ---- */

/* Before anything else: take every signal from one signalfd, and undo what an ancestor may
 * have set (an ignored INT in a background job, an ignored PIPE from a python parent). */
/* The signals left ignored by an ancestor, from the SigIgn line of /proc/self/status: one read
 * rather than a question to the kernel for each of the 64 signals. False if /proc cannot say
 * (not mounted yet, or more than 64 signals): then each is asked. */
static bool ignored_signals(uint64_t *mask)
{
    if (_NSIG - 1 > 64)
        return false;
    int fd = open_fd("/proc/self/status", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    char text[4096];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, text + n, sizeof text - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof text - 1)
            break;
    }
    close(fd);
    /* the line is in the middle of some fifty: libc's memmem skips along it faster than a
     * walk from line to line */
    const char *line = memmem(text, n, "\nSigIgn:\t", 9);
    if (!line)
        return false;
    uint64_t m = 0;
    const char *h = line + 9;
    for (; h < text + n && *h != '\n'; h++) {
        int d = *h >= '0' && *h <= '9' ? *h - '0' : *h >= 'a' && *h <= 'f' ? *h - 'a' + 10 : -1;
        if (d < 0)
            return false;
        m = m << 4 | (uint64_t)d;
    }
    *mask = m;
    return h > line + 9 && h < text + n;
}

/* libc's sigaction, and for the first real-time signals, which libc reserves for itself (glibc
 * 32-33, musl 32-34) and refuses, the kernel's own call. That takes the kernel's struct
 * sigaction, whose layout differs (mips puts the flags first), but SIG_DFL with no flags and an
 * empty mask is all zeroes in every layout, so zeroes as large as any of them set it. sparc and
 * alpha take one more argument (the restorer): there the reserved signals stay as they are. */
static void reset_ignored(int s)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    if (sigaction(s, &dfl, NULL) == 0)
        return;
#if defined(__sparc__) || defined(__alpha__)
    warning("cannot reset signal %d: %s", s, strerror(errno));
#else
    unsigned long zeroes[16] = {0};
    if (syscall(SYS_rt_sigaction, s, zeroes, NULL, (size_t)(_NSIG / 8)) < 0)
        warning("cannot reset signal %d: %s", s, strerror(errno));
#endif
}

void setup_signals(void)
{
    /* Every signal is blocked and read from the signalfd, glibc's own two as well (its
     * sigaddset refuses them, so the bits are set by hand and the kernel is called): then no
     * catchable signal can kill or stop cinit, PID 1 or not, and its own write to a closed pipe
     * or tcsetpgrp from a background group never stops it (the kernel treats a blocked SIGTTOU
     * as an ignored one). The synchronous signals of a real fault are still delivered. */
    /* the kernel's own mask (libc's sigset_t differs: glibc's __val, musl's __bits) */
    unsigned long all[(_NSIG - 1 + 8 * sizeof(unsigned long) - 1) / (8 * sizeof(unsigned long))];
    memset(all, 0xff, sizeof all); /* the kernel ignores KILL and STOP and the bits past _NSIG */
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, NULL, sizeof all) < 0)
        die(1, "sigprocmask: %s", strerror(errno));
    int sfd = (int)syscall(SYS_signalfd4, -1, all, sizeof all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        die(1, "signalfd: %s", strerror(errno));
    loop_signals(sfd, on_signal);
    /* Only an "ignore" survives exec (handlers are reset), and an ignore is inherited by every
     * child: reset those to the default. The kernel's own call, because it also reaches the
     * first real-time signals, which libc reserves for itself (glibc 32-33, musl 32-34) and
     * hides from signal(). Nearly always nothing is ignored, and nothing is set. After the mask:
     * a signal that comes while its ignore is undone waits for the signalfd instead of
     * killing cinit. */
    uint64_t ign;
    if (ignored_signals(&ign)) {
        for (int s = 1; s < _NSIG && ign; s++, ign >>= 1)
            if ((ign & 1) && s != SIGKILL && s != SIGSTOP)
                reset_ignored(s);
    } else {
        /* libc reads the kernel's layout; the signals it reserves are left (no /proc, rare) */
        for (int s = 1; s < _NSIG; s++) {
            struct sigaction old;
            if (s != SIGKILL && s != SIGSTOP && sigaction(s, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
                reset_ignored(s);
        }
    }
}

/* The terminal that cinit may hand to the main command: its controlling terminal, on one of
 * fds 0-2, with cinit's group in the foreground (started in the background, it takes nothing).
 * tcgetpgrp says both: on a terminal that is not the caller's controlling one it fails. (Not
 * tcgetsid: qemu-user does not translate TIOCGSID, so an arm64 image run on an amd64 host never
 * found its terminal, and `-it ... bash -l` stopped in the background.) */
void find_terminal(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (isatty(fd) && tcgetpgrp(fd) == getpgrp()) {
            cinit.tty_fd = fd;
            return;
        }
}

/* The terminal back to cinit's group once the main command is gone: its output and that of
 * the shutdown scripts must not stop for want of it. */
void take_terminal(void)
{
    if (cinit.tty_fd >= 0 && tcsetpgrp(cinit.tty_fd, getpgrp()) < 0 && errno != ENOTTY && errno != EIO)
        debug("tcsetpgrp: %s", strerror(errno));
}
