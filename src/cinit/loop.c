/* The event loop: children, reaping, signal dispatch, spawn. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cinit.h"
#include "signame.h"

static int sfd = -1;
static sigset_t handled;
bool pid1;

struct child main_cmd, runsvdir, script;
int extra_fd = -1;
void (*extra_ready)(void);
bool have_children = true;

int stop_signal;
bool shutting_down;

/* ---- children ---- */

void reap_all(void)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
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
        /* this runs once per orphan (thousands at a time): three compares, no loop over an
         * array, no call of a variadic function that has nothing to say */
        struct child *c = pid == main_cmd.pid && !main_cmd.done   ? &main_cmd
                          : pid == runsvdir.pid && !runsvdir.done ? &runsvdir
                          : pid == script.pid && !script.done     ? &script
                                                                  : NULL;
        if (c) {
            c->done = true;
            c->status = st;
        }
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

static void on_signal(int sig)
{
    debug("received signal %d (SIG%s)", sig, sig_name(sig) ? sig_name(sig) : "?");
    switch (sig) {
    case SIGCHLD:
        return;
    case SIGTERM: case SIGINT: case SIGQUIT:
        if (!stop_signal && !shutting_down)
            stop_signal = sig;
        /* whoever is in the foreground gets it: the main command, or a startup script */
        if (running(&main_cmd))
            forward(&main_cmd, sig);
        else if (running(&script) && !shutting_down)
            forward(&script, sig);
        return;
    default: /* HUP USR1 USR2 WINCH */
        if (running(&main_cmd))
            forward(&main_cmd, sig);
        else if (sig == SIGHUP && running(&runsvdir))
            for_each_service("", 'h');
        return;
    }
}

bool wait_until(bool (*cond)(void), long deadline)
{
    for (;;) {
        reap_all();
        if (cond())
            return true;
        int timeout = -1;
        if (deadline >= 0) {
            long left = deadline - now_ms();
            if (left <= 0)
                return false;
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
        for (size_t i = 0; i < (size_t)r / sizeof *si; i++)
            on_signal((int)si[i].ssi_signo);
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
        /* cinit itself ignores these; exec keeps "ignored", so undo it here */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTTOU, SIG_DFL);
        signal(SIGTTIN, SIG_DFL);
        if (foreground) {
            /* its own group, so that ^C on a terminal reaches it and not cinit; SIGTTOU is
             * still blocked here, which tcsetpgrp from a background group needs */
            if (setpgid(0, 0) == 0 && isatty(STDIN_FILENO))
                (void)tcsetpgrp(STDIN_FILENO, getpid());
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

void setup_signals(void)
{
    /* Only an "ignore" survives exec (handlers are reset), and an ignore is inherited by every
     * child: reset those to the default. The kernel's own call, because it also reaches the
     * first real-time signals, which libc reserves for itself (glibc 32-33, musl 32-34) and
     * hides from signal(); asking first costs less than setting all of them blindly. */
    for (int s = 1; s < _NSIG; s++) {
        struct ksigaction old = {0}, dfl = {0};
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        if (syscall(SYS_rt_sigaction, s, NULL, &old, (size_t)(_NSIG / 8)) == 0 && old.handler == (void *)SIG_IGN &&
            syscall(SYS_rt_sigaction, s, &dfl, NULL, (size_t)(_NSIG / 8)) < 0)
            warning("cannot reset signal %d: %s", s, strerror(errno));
    }
    /* cinit's own writes to a closed pipe or a terminal must never stop or kill it */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    sigemptyset(&handled);
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&handled, sigs[i]);
    if (sigprocmask(SIG_SETMASK, &handled, NULL) < 0)
        die(1, "sigprocmask: %s", strerror(errno));
    sfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        die(1, "signalfd: %s", strerror(errno));
}
