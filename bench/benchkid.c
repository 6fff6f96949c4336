/* benchkid: the main command (and runit service) of the benchmarks run by nsrun. It talks to
 * nsrun through stdout, which is the namespace's data pipe; each line is one write(2).
 *
 *   benchkid stamp        print CLOCK_MONOTONIC (ns) at once and exit 0
 *   benchkid wait         print "ready", then wait for a signal (default dispositions: TERM
 *                         kills it at once)
 *   benchkid sigecho      print "ready", then print the clock each time SIGUSR1 arrives
 *   benchkid orphans N    make N orphans (children of PID 1, all alive and waiting), release
 *                         them at once, print how long (ns) until PID 1 has reaped them all
 *                         and exit 0. As PID 1 itself it reaps them: the floor for any init.
 *                         The orphans are made with clone(CLONE_VM) on small stacks of their
 *                         own, not fork: each is still a process of its own (its own PID, fd
 *                         table and exit, reparented to PID 1 and reaped there like any), but
 *                         the kernel copies no page tables to make it, which was most of the
 *                         ~30 s that 10,000 forks cost here; what is timed (release -> all
 *                         reaped) is the same. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what)
{
    fprintf(stderr, "benchkid: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        fail("clock_gettime");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(const char *s)
{
    size_t n = strlen(s);
    if (write(1, s, n) != (ssize_t)n)
        fail("write");
}

static void say_num(int64_t v)
{
    char line[32];
    snprintf(line, sizeof line, "%lld\n", (long long)v);
    say(line);
}

static void read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail("read pids");
        p += n;
        len -= (size_t)n;
    }
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("write pids");
        p += n;
        len -= (size_t)n;
    }
}

/* an orphan's own stack: raw syscalls only, which need a few hundred bytes */
#define ORPHAN_STACK 8192

struct gate_fds {
    int read_end, write_end, pid_end;
};

/* An orphan shares the memory of the middle process (and so its errno): it touches nothing of
 * it but what the fds say, makes raw system calls and ignores their errors (the middle process
 * has checked that the fds are there). Its fd table is its own copy: closing the writers there
 * is what lets the gate's end of file reach it. */
static int orphan_main(void *arg)
{
    const struct gate_fds *g = arg;
    char b;
    (void)syscall(SYS_close, g->write_end);
    (void)syscall(SYS_close, g->pid_end);
    /* end of file on the gate (every writer gone) is the start signal; no handler is set, so
     * nothing interrupts the read early */
    (void)syscall(SYS_read, g->read_end, &b, 1);
    (void)syscall(SYS_exit, 0);
    return 0;
}

static int orphans(long count)
{
    int gate[2], pids[2];
    pid_t *pid = calloc((size_t)count, sizeof *pid);
    if (!pid)
        fail("calloc");
    if (pipe(gate) != 0 || pipe(pids) != 0)
        fail("pipe");
    pid_t mid = fork();
    if (mid < 0)
        fail("fork");
    if (mid == 0) {
        /* the middle process: its children become orphans the moment it exits */
        if (close(pids[0]) != 0)
            fail("close");
        struct gate_fds g = {gate[0], gate[1], pids[1]};
        /* one mapping for all the stacks, which stays as long as an orphan shares it */
        char *stacks = mmap(NULL, (size_t)count * ORPHAN_STACK, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (stacks == MAP_FAILED)
            fail("mmap (orphan stacks)");
        for (long i = 0; i < count; i++) {
            /* SIGCHLD: a child as fork makes it, so that any init reaps it with waitpid */
            pid_t c = clone(orphan_main, stacks + (size_t)(i + 1) * ORPHAN_STACK, CLONE_VM | SIGCHLD, &g);
            if (c < 0)
                fail("clone (orphan)");
            write_all(pids[1], &c, sizeof c);
        }
        _exit(0);
    }
    if (close(pids[1]) != 0 || close(gate[0]) != 0)
        fail("close");
    read_all(pids[0], pid, (size_t)count * sizeof *pid);
    int status;
    if (waitpid(mid, &status, 0) != mid)
        fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "benchkid: could not make %ld orphans\n", count);
        return 1;
    }
    int self_reap = getpid() == 1;
    /* short sleeps must stay short while we poll */
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
        fail("prctl");
    int64_t t0 = now_ns();
    if (close(gate[1]) != 0)
        fail("close");
    if (self_reap) {
        for (long i = 0; i < count; i++)
            if (waitpid(-1, &status, 0) < 0)
                fail("waitpid");
    } else {
        /* kill(pid, 0) succeeds as long as the zombie exists, i.e. until PID 1 reaps it */
        struct timespec tick = { 0, 20000 };
        for (long i = 0; i < count; i++)
            while (kill(pid[i], 0) == 0)
                nanosleep(&tick, NULL);
    }
    say_num(now_ns() - t0);
    free(pid);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "stamp") == 0) {
        say_num(now_ns());
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "wait") == 0) {
        say("ready\n");
        for (;;)
            pause();
    }
    if (argc == 2 && strcmp(argv[1], "sigecho") == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
            fail("sigprocmask");
        say("ready\n");
        for (;;) {
            if (sigwaitinfo(&set, NULL) < 0) {
                if (errno == EINTR)
                    continue;
                fail("sigwaitinfo");
            }
            say_num(now_ns());
        }
    }
    if (argc == 3 && strcmp(argv[1], "orphans") == 0) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end || n < 1 || n > 1000000) {
            fprintf(stderr, "benchkid: bad count '%s'\n", argv[2]);
            return 2;
        }
        return orphans(n);
    }
    fputs("usage: benchkid stamp|wait|sigecho|orphans N\n", stderr);
    return 2;
}
