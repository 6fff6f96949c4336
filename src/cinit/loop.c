/* The event loop: children, reaping, signal dispatch, spawn. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cinit.h"
#include "signame.h"

static int sfd = -1;
bool pid1;
int tty_fd = -1;

struct child main_cmd, runsvdir, script;
bool main_stopped;
int extra_fd = -1;
void (*extra_ready)(void);
bool have_children = true;

int stop_signal;
bool shutting_down;

/* ---- children ---- */

/* wait4(-1, WNOHANG...) straight to the kernel where cinit knows how: musl's waitpid is a
 * thread cancellation point and costs as much again as the rest of a reap, which runs once
 * per orphan (PID 1 has no threads to cancel). */
static pid_t wait_any(int *st, int flags)
{
#if defined(__x86_64__)
    long r;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_wait4), "D"(-1L), "S"(st), "d"((long)flags), "r"(r10)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = SYS_wait4;
    register long x0 __asm__("x0") = -1, x1 __asm__("x1") = (long)st, x2 __asm__("x2") = flags,
                  x3 __asm__("x3") = 0;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    long r = x0;
#else
    return waitpid(-1, st, flags);
#endif
#if defined(__x86_64__) || defined(__aarch64__)
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return (pid_t)r;
#endif
}

void reap_all(void)
{
    for (;;) {
        int st;
        /* stops too: a stopped main command gets a CONT with the stop signal */
        pid_t pid = wait_any(&st, WNOHANG | WUNTRACED | WCONTINUED);
        if (pid == 0) {
            have_children = true;
            return;
        }
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            have_children = false; /* ECHILD: nobody left */
            return;
        }
        /* a stop or a continue has 0x7f in its low bits, an exit or a death never: one test
         * for the orphan's common case before the two macros */
        if ((st & 0x7f) == 0x7f && (WIFSTOPPED(st) || WIFCONTINUED(st))) {
            if (pid == main_cmd.pid)
                main_stopped = WIFSTOPPED(st);
            continue;
        }
        /* this runs once per orphan (thousands at a time): three compares, no loop over an
         * array, no call of a function that has nothing to do */
        if (pid == main_cmd.pid || pid == runsvdir.pid || pid == script.pid) {
            struct child *c = pid == main_cmd.pid && !main_cmd.done   ? &main_cmd
                              : pid == runsvdir.pid && !runsvdir.done ? &runsvdir
                              : pid == script.pid && !script.done     ? &script
                                                                      : NULL;
            if (c) {
                c->done = true;
                c->status = st;
            }
        }
        if (nwatch)
            runit_reaped(pid);
        if (opt.verbose)
            debug("reaped PID %ld", (long)pid);
    }
}

bool running(const struct child *c)
{
    return c->pid > 0 && !c->done;
}

void forward(const struct child *c, int sig)
{
    if (running(c) && kill(c->pid, sig) < 0 && errno != ESRCH)
        warning("cannot send signal %d to PID %ld: %s", sig, (long)c->pid, strerror(errno));
}

/* TSTP, TTIN, TTOU and CONT are job control: the main command's whole process group stops and
 * goes on together, as it does when they come from its terminal. */
static void signal_main_group(int sig)
{
    if (running(&main_cmd) && kill(-main_cmd.pid, sig) < 0 && errno != ESRCH)
        warning("cannot send signal %d to process group %ld: %s", sig, (long)main_cmd.pid, strerror(errno));
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
        if (!stop_signal && !shutting_down)
            stop_signal = sig;
        /* whoever is in the foreground gets it: the main command, or a startup script */
        if (running(&main_cmd)) {
            signal_main(sig);
            if (main_stopped) /* a stopped process acts on a caught signal only once it runs */
                signal_main_group(SIGCONT);
        } else if (running(&script) && !shutting_down) {
            forward(&script, sig);
        }
        return;
    case SIGTSTP: case SIGTTIN: case SIGTTOU: case SIGCONT:
        signal_main_group(sig);
        return;
    case SIGHUP:
        if (running(&main_cmd))
            signal_main(sig);
        else if (running(&runsvdir))
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

bool wait_until(bool (*cond)(void), long deadline)
{
    for (;;) {
        reap_all();
        long due = services_tick(); /* the services' next probe, or -1 */
        if (cond())
            return true;
        int timeout = -1;
        if (deadline >= 0) {
            long left = deadline - now_ms();
            if (left <= 0)
                return false;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        if (due >= 0) {
            long left = due - now_ms();
            left = left < 0 ? 0 : left;
            if (timeout < 0 || left < timeout)
                timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = extra_fd, .events = POLLIN}};
        int n = poll(p, extra_fd >= 0 ? 2 : 1, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die(1, "poll: %s", strerror(errno));
        }
        if (n == 0)
            continue; /* the deadline check above decides */
        if (extra_fd >= 0 && (p[1].revents & POLLIN))
            extra_ready();
        if (!(p[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo si[16];
        ssize_t r = read(sfd, si, sizeof si);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die(1, "signalfd: %s", strerror(errno));
        }
        for (size_t i = 0; i < (size_t)r / sizeof *si; i++) {
            /* cinit's own write to a closed pipe: EPIPE says it, the signal is nobody's */
            if (si[i].ssi_signo == SIGPIPE && si[i].ssi_code == SI_USER && (pid_t)si[i].ssi_pid == getpid())
                continue;
            on_signal((int)si[i].ssi_signo, si[i].ssi_code);
        }
    }
}

void join_argv(struct buf *b, char *const argv[])
{
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            buf_addc(b, ' ');
        buf_adds(b, argv[i]);
    }
}

pid_t spawn(char *const argv[], bool foreground)
{
    char **envp = env_to_environ(&env);
    pid_t pid = fork();
    if (pid < 0) {
        error("cannot start %s: %s", argv[0], strerror(errno));
        env_free_environ(envp);
        return -1;
    }
    if (pid == 0) {
        if (foreground) {
            /* Its own group, so that ^C on a terminal reaches it and not cinit, and the
             * terminal's foreground group. Every signal is still blocked here, SIGTTOU too,
             * and a blocked SIGTTOU is what lets tcsetpgrp work from a background group. */
            if (setpgid(0, 0) == 0 && tty_fd >= 0 && tcsetpgrp(tty_fd, getpid()) < 0)
                fprintf(stderr, "*** WARNING: cannot give the terminal to %s: %s\n", argv[0], strerror(errno));
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        environ = envp; /* execvp searches the PATH of the environment it passes on */
        execvp(argv[0], argv);
        int e = errno;
        struct buf b = {0};
        join_argv(&b, argv);
        int st = exec_failure_status(argv[0], e);
        fprintf(stderr, "*** ERROR: %s: %s\n", buf_cstr(&b),
                st == 127 ? "command not found" : e == EACCES ? "permission denied" : strerror(e));
        _exit(st);
    }
    have_children = true;
    /* the parent too, so that a signal for the group right after the fork finds it */
    if (foreground && setpgid(pid, pid) < 0 && errno != EACCES)
        debug("setpgid %ld: %s", (long)pid, strerror(errno));
    env_free_environ(envp);
    return pid;
}

/* Before anything else: take every signal from one signalfd, and undo what an ancestor may
 * have set (an ignored INT in a background job, an ignored PIPE from a python parent). */
/* The kernel's struct sigaction starts with the handler on every architecture but mips; the
 * rest (flags, restorer, mask) stays zero, which is what SIG_DFL wants. */
struct ksigaction {
    void *handler;
    unsigned long rest[4];
};

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

static void reset_ignored(int s)
{
    struct ksigaction dfl = {0};
    if (syscall(SYS_rt_sigaction, s, &dfl, NULL, (size_t)(_NSIG / 8)) < 0)
        warning("cannot reset signal %d: %s", s, strerror(errno));
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
    sfd = (int)syscall(SYS_signalfd4, -1, all, sizeof all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        die(1, "signalfd: %s", strerror(errno));
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
        for (int s = 1; s < _NSIG; s++) {
            struct ksigaction old = {0};
            if (s != SIGKILL && s != SIGSTOP &&
                syscall(SYS_rt_sigaction, s, NULL, &old, (size_t)(_NSIG / 8)) == 0 && old.handler == (void *)SIG_IGN)
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
            tty_fd = fd;
            return;
        }
}

/* The terminal back to cinit's group once the main command is gone: its output and that of
 * the shutdown scripts must not stop for want of it. */
void take_terminal(void)
{
    if (tty_fd >= 0 && tcsetpgrp(tty_fd, getpgrp()) < 0 && errno != ENOTTY && errno != EIO)
        debug("tcsetpgrp: %s", strerror(errno));
}
