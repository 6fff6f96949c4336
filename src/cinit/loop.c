/* The event loop, children, reaping and spawning (loop.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cinit.h"
#include "loop.h"

/* What the loop waits for: small tables, looked through at each turn (tens of entries; an
 * orphan's reap costs one pass over the few children anyone waits for). */
struct fd_watch {
    int fd;
    short events;
    unsigned gen; /* a watch made after a poll started is not the one its result is for */
    loop_fd_fn *fn;
    void *arg;
};
struct exit_watch {
    pid_t pid;
    bool stops;
    loop_exit_fn *fn;
    void *arg;
};
static struct loop {
    int sfd;
    void (*on_signal)(int sig, int code);
    struct fd_watch *fds;
    size_t nfds, capfds;
    unsigned gen;
    struct exit_watch *exits;
    size_t nexits, capexits;
    struct loop_timer **timers;
    size_t ntimers, captimers;
    bool children;
} L = {.sfd = -1, .children = true};

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, c * size);
    if (!q) {
        error("out of memory for the event loop");
        return false;
    }
    *p = q;
    *cap = c;
    return true;
}

void loop_timer_at(struct loop_timer *t, long long due)
{
    t->due = due;
    if (t->armed)
        return;
    if (!grow((void **)&L.timers, &L.captimers, L.ntimers, sizeof *L.timers))
        return;
    L.timers[L.ntimers++] = t;
    t->armed = true;
}

void loop_timer_stop(struct loop_timer *t)
{
    if (!t->armed)
        return;
    for (size_t i = 0; i < L.ntimers; i++)
        if (L.timers[i] == t) {
            L.timers[i] = L.timers[--L.ntimers];
            break;
        }
    t->armed = false;
}

/* fire what is due, one at a time (a timer's function may arm or stop others); the time left to
 * the next one, -1 if none */
static long long run_timers(void)
{
    for (;;) {
        long long now = now_ms(), next = -1;
        struct loop_timer *due = NULL;
        for (size_t i = 0; i < L.ntimers && !due; i++) {
            if (L.timers[i]->due <= now)
                due = L.timers[i];
            else if (next < 0 || L.timers[i]->due - now < next)
                next = L.timers[i]->due - now;
        }
        if (!due)
            return next;
        loop_timer_stop(due);
        due->fn(due->arg);
    }
}

bool loop_watch(int fd, short events, loop_fd_fn *fn, void *arg)
{
    for (size_t i = 0; i < L.nfds; i++)
        if (L.fds[i].fd == fd) {
            L.fds[i].events = events;
            L.fds[i].fn = fn;
            L.fds[i].arg = arg;
            return true;
        }
    if (!grow((void **)&L.fds, &L.capfds, L.nfds, sizeof *L.fds))
        return false;
    L.fds[L.nfds++] = (struct fd_watch){.fd = fd, .events = events, .gen = ++L.gen, .fn = fn, .arg = arg};
    return true;
}

void loop_unwatch(int fd)
{
    for (size_t i = 0; i < L.nfds; i++)
        if (L.fds[i].fd == fd) {
            L.fds[i] = L.fds[--L.nfds];
            return;
        }
}

bool loop_on_exit(pid_t pid, bool stops, loop_exit_fn *fn, void *arg)
{
    if (!grow((void **)&L.exits, &L.capexits, L.nexits, sizeof *L.exits))
        return false;
    L.exits[L.nexits++] = (struct exit_watch){.pid = pid, .stops = stops, .fn = fn, .arg = arg};
    return true;
}

void loop_forget(pid_t pid)
{
    for (size_t i = 0; i < L.nexits; i++)
        if (L.exits[i].pid == pid) {
            L.exits[i] = L.exits[--L.nexits];
            return;
        }
}

void loop_signals(int fd, void (*on)(int sig, int code))
{
    L.sfd = fd;
    L.on_signal = on;
}

bool loop_children(void) { return L.children; }

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

bool reap_all(void)
{
    for (;;) {
        int st;
        /* stops too: a stopped main command gets a CONT with the stop signal */
        pid_t pid = wait_any(&st, WNOHANG | WUNTRACED | WCONTINUED);
        if (pid == 0)
            return L.children = true;
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return L.children = false; /* ECHILD: nobody left */
        }
        /* a stop or a continue has 0x7f in its low bits, an exit or a death never */
        bool stop = (st & 0x7f) == 0x7f && (WIFSTOPPED(st) || WIFCONTINUED(st));
        for (size_t i = 0; i < L.nexits; i++) {
            if (L.exits[i].pid != pid || (stop && !L.exits[i].stops))
                continue;
            struct exit_watch w = L.exits[i];
            if (!stop)
                L.exits[i] = L.exits[--L.nexits];
            w.fn(w.arg, pid, st);
            break;
        }
        if (opt.verbose && !stop)
            debug("reaped PID %ld", (long)pid);
    }
}

static void child_exited(void *arg, pid_t pid, int st)
{
    (void)pid;
    struct child *c = arg;
    if ((st & 0x7f) == 0x7f && (WIFSTOPPED(st) || WIFCONTINUED(st))) {
        c->stopped = WIFSTOPPED(st);
        return;
    }
    c->done = true;
    c->status = st;
}

pid_t child_start(struct child *c, char *const argv[], const struct spawn_how *how)
{
    *c = (struct child){0};
    c->pid = spawn_with(argv, how);
    if (c->pid > 0 && !loop_on_exit(c->pid, how && how->foreground, child_exited, c)) {
        /* nothing would say when it ends */
        (void)kill(c->pid, SIGKILL);
        c->pid = -1;
    }
    return c->pid;
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

/* ---- the loop ---- */

static void read_signals(void)
{
    struct signalfd_siginfo si[16];
    for (;;) {
        ssize_t r = read(L.sfd, si, sizeof si);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            die(1, "signalfd: %s", strerror(errno));
        }
        for (size_t i = 0; i < (size_t)r / sizeof *si; i++) {
            /* cinit's own write to a closed pipe: EPIPE says it, the signal is nobody's */
            if (si[i].ssi_signo == SIGPIPE && si[i].ssi_code == SI_USER && (pid_t)si[i].ssi_pid == getpid())
                continue;
            L.on_signal((int)si[i].ssi_signo, si[i].ssi_code);
        }
        if ((size_t)r < sizeof si)
            return;
    }
}

bool wait_until(bool (*cond)(void), long long deadline)
{
    static struct pollfd *p;
    static unsigned *gen;
    static size_t cap;
    for (;;) {
        reap_all();
        long long next = run_timers();
        if (cond())
            return true;
        long long timeout = -1;
        if (deadline >= 0) {
            timeout = deadline - now_ms();
            if (timeout <= 0)
                return cond();
        }
        if (next >= 0 && (timeout < 0 || next < timeout))
            timeout = next;
        size_t n = 1 + L.nfds;
        if (n > cap) {
            size_t c = n + 16;
            struct pollfd *q = realloc(p, c * sizeof *p);
            if (q)
                p = q;
            unsigned *g = realloc(gen, c * sizeof *g);
            if (g)
                gen = g;
            if (!q || !g)
                die(1, "out of memory");
            cap = c;
        }
        p[0] = (struct pollfd){.fd = L.sfd, .events = POLLIN};
        for (size_t i = 0; i < L.nfds; i++) {
            p[i + 1] = (struct pollfd){.fd = L.fds[i].fd, .events = L.fds[i].events};
            gen[i + 1] = L.fds[i].gen;
        }
        int r = poll(p, (nfds_t)n, timeout < 0 ? -1 : timeout > INT_MAX ? INT_MAX : (int)timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die(1, "poll: %s", strerror(errno));
        }
        if (r == 0)
            continue; /* a timer or the deadline: see above */
        /* the signals first: a forwarded signal never waits for a watcher's work */
        if (p[0].revents & POLLIN)
            read_signals();
        for (size_t i = 1; i < n; i++) {
            if (!p[i].revents)
                continue;
            /* the watch may have gone, or been made anew for a new fd of the same number, by a
             * function called before */
            for (size_t k = 0; k < L.nfds; k++)
                if (L.fds[k].fd == p[i].fd && L.fds[k].gen == gen[i]) {
                    L.fds[k].fn(L.fds[k].arg, p[i].revents);
                    break;
                }
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

pid_t spawn_with(char *const argv[], const struct spawn_how *how)
{
    static const struct spawn_how plain = {.out = -1};
    if (!how)
        how = &plain;
    char **envp = env_to_environ(&env);
    pid_t pid = fork();
    if (pid < 0) {
        error("cannot start %s: %s", argv[0], strerror(errno));
        env_free_environ(envp);
        return -1;
    }
    if (pid == 0) {
        if (how->foreground) {
            /* Its own group, so that ^C on a terminal reaches it and not cinit, and the
             * terminal's foreground group. Every signal is still blocked here, SIGTTOU too,
             * and a blocked SIGTTOU is what lets tcsetpgrp work from a background group. */
            if (setpgid(0, 0) == 0 && cinit.tty_fd >= 0 && tcsetpgrp(cinit.tty_fd, getpid()) < 0)
                fprintf(stderr, "*** WARNING: cannot give the terminal to %s: %s\n", argv[0], strerror(errno));
        } else if (how->group) {
            (void)setpgid(0, 0); /* so that a kill of the group reaches what it starts */
        }
        if (how->null_in) {
            int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (null < 0 || dup2(null, 0) < 0)
                _exit(111);
        }
        if (how->out >= 0 && (dup2(how->out, 1) < 0 || dup2(how->out, 2) < 0))
            _exit(111);
        if (how->dir && chdir(how->dir) < 0) {
            fprintf(stderr, "*** ERROR: cannot enter %s: %s\n", how->dir, strerror(errno));
            _exit(111);
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
    L.children = true;
    /* the parent too, so that a signal for the group right after the fork finds it */
    if ((how->foreground || how->group) && setpgid(pid, pid) < 0 && errno != EACCES)
        debug("setpgid %ld: %s", (long)pid, strerror(errno));
    env_free_environ(envp);
    return pid;
}
