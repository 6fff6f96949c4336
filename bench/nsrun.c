/* nsrun: run a command as PID 1 of a fresh PID + mount namespace (what `unshare -p -f
 * --mount-proc` does) and time it from this process with CLOCK_MONOTONIC, so that the figures
 * contain neither the cost of starting a timing tool nor that of building the namespace.
 *
 *   nsrun start RUNS CMD...        exec of CMD -> PID 1 gone              (median ns ...)
 *   nsrun main  RUNS CMD...        exec of CMD -> main command started: the main command is
 *                                  `benchkid stamp`, which prints its clock (median ns ...)
 *   nsrun mem   RUNS READY CMD...  after READY "ready" lines (+ settle time) read VmRSS,
 *                                  RssAnon, RssFile of PID 1            (median kB of each)
 *   nsrun term  RUNS READY CMD...  after READY "ready" lines: SIGTERM to PID 1 -> PID 1 gone
 *   nsrun sig   RUNS CMD...        one PID 1; RUNS times SIGUSR1 to it -> the main command
 *                                  (`benchkid sigecho`) prints the clock when it sees it
 *   nsrun reap  RUNS CMD...        the main command (`benchkid orphans N`) prints how long
 *                                  its N orphans took to be reaped; PID 1 must exit 0
 * Timing output: "median min max runs" in ns; memory: "vmrss rssanon rssfile runs" in kB.
 * Options (before the mode): -l FILE: stderr of the namespace goes to FILE (appended; through a
 * pipe, as under Docker, which nsrun empties into FILE once the run is over);
 * -w MS: in term mode, how long PID 1 is left idle after the last "ready" (default 20);
 * -a: print every sample, one line each, instead of the summary (so that a caller can
 * interleave the inits in rounds and pool their samples).
 * Exit status 1 with a message when a run fails or times out: a figure is never made up. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 120000 /* 10,000 orphans on a loaded 2-core machine took 30 s */
#define SETTLE_MS 200
#define STACK_SIZE (256 * 1024)

static const char *logfile = "/dev/null";
static long idle_ms = 20;
static int all_samples;

struct job {
    char **argv;
    int out;                 /* write end of the data pipe: stdout of the namespace */
    int err;                 /* write end of the stderr pipe */
    int go;                  /* read end of the start pipe: exec once the parent holds the ns */
    volatile int64_t *t0;    /* shared page: the child's clock just before execve */
};

static void fail(const char *what)
{
    fprintf(stderr, "nsrun: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void failx(const char *what)
{
    fprintf(stderr, "nsrun: %s\n", what);
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        fail("clock_gettime");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int child_main(void *arg)
{
    struct job *j = arg;
    /* the same steps as unshare --mount-proc: our mounts must not propagate to the host */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        fail("make / private");
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        fail("mount /proc");
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0)
        fail("/dev/null");
    if (dup2(in, 0) < 0 || dup2(j->out, 1) < 0 || dup2(j->err, 2) < 0)
        fail("dup2");
    /* every other descriptor of ours is close-on-exec */
    char b;
    ssize_t n;
    do
        n = read(j->go, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        fail("read (start pipe)");
    *j->t0 = now_ns();
    execvp(j->argv[0], j->argv);
    fprintf(stderr, "nsrun: %s: %s\n", j->argv[0], strerror(errno));
    _exit(127);
}

struct run {
    pid_t pid;
    int pidfd;
    int data;                /* read end of the data pipe */
    int err;                 /* read end of the stderr pipe */
    int mntns;               /* the namespace's mount namespace, held until the clock stops */
    char buf[4096];
    size_t len;
};

static volatile int64_t *shared_t0;

static void spawn(struct run *r, char **argv)
{
    static char *stack;
    int p[2], go[2], e[2];
    if (!stack) {
        stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
            fail("mmap");
    }
    if (pipe2(p, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0)
        fail("pipe");
    /* A pipe, as Docker gives a container's stderr: a line there costs a few microseconds,
     * where an append to a file on disk cost cinit's exit message ~50 us of the SIGTERM
     * figure (the peers say nothing on a normal exit). 1 MiB holds what any init says in a
     * run; one that said more would block, time out and fail the figure, never shorten it. */
    if (fcntl(e[0], F_SETPIPE_SZ, 1 << 20) < 0)
        fail("F_SETPIPE_SZ");
    struct job j = { argv, p[1], e[1], go[0], shared_t0 };
    *shared_t0 = 0;
    r->pid = clone(child_main, stack + STACK_SIZE, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, &j);
    if (r->pid < 0)
        fail("clone (are we root?)");
    if (close(p[1]) != 0 || close(go[0]) != 0 || close(e[1]) != 0)
        fail("close");
    r->data = p[0];
    r->err = e[0];
    r->len = 0;
    r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
    if (r->pidfd < 0)
        fail("pidfd_open");
    /* Held by us, the mount namespace outlives PID 1: its teardown (unmounting the copy of
     * every mount, which waits for an RCU grace period) then comes after the clock stops
     * instead of inside PID 1's exit. It is the kernel's work, the same for every init, and
     * was the larger part of a start-up or SIGTERM figure and most of its noise (medians of
     * ~3 ms over a floor of 0.1-0.2 ms, in bimodal samples). The child execs only once we
     * hold it: a PID 1 that exits at once would otherwise be gone before we could open it. */
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/mnt", (long)r->pid);
    r->mntns = open(path, O_RDONLY | O_CLOEXEC);
    if (r->mntns < 0)
        fail(path);
    if (write(go[1], "", 1) != 1 || close(go[1]) != 0)
        fail("write (start pipe)");
}

/* What the namespace said on stderr, into the log file: every writer is gone with it, so the
 * pipe ends. */
static void save_stderr(int fd)
{
    static int log = -1;
    if (log < 0 && (log = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
        fail(logfile);
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("read (stderr pipe)");
        if (n == 0)
            return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(log, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                fail(logfile);
            off += w;
        }
    }
}

/* Wait for PID 1 to be gone (its pidfd turns readable only once the whole namespace is empty);
 * returns the clock then, or -1 after killing it on timeout. */
static int64_t wait_gone(struct run *r, int *status)
{
    struct pollfd pfd = { r->pidfd, POLLIN, 0 };
    int n;
    do
        n = poll(&pfd, 1, TIMEOUT_MS);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        fail("poll");
    int64_t t = now_ns();
    if (n == 0)
        kill(r->pid, SIGKILL);
    if (waitpid(r->pid, status, 0) != r->pid)
        fail("waitpid");
    save_stderr(r->err);
    if (close(r->pidfd) != 0 || close(r->data) != 0 || close(r->mntns) != 0 || close(r->err) != 0)
        fail("close");
    return n == 0 ? -1 : t;
}

/* One line of the namespace's stdout, or NULL on timeout / end of file. */
static char *read_line(struct run *r)
{
    static char line[sizeof r->buf];
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl) {
            size_t n = (size_t)(nl - r->buf);
            memcpy(line, r->buf, n);
            line[n] = '\0';
            memmove(r->buf, nl + 1, r->len - n - 1);
            r->len -= n + 1;
            return line;
        }
        if (r->len == sizeof r->buf)
            failx("line too long on the data pipe");
        struct pollfd pfd = { r->data, POLLIN, 0 };
        int n = poll(&pfd, 1, TIMEOUT_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("poll");
        if (n == 0)
            return NULL;
        ssize_t got = read(r->data, r->buf + r->len, sizeof r->buf - r->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            fail("read");
        if (got == 0)
            return NULL;
        r->len += (size_t)got;
    }
}

static void expect_ready(struct run *r, int count)
{
    for (int i = 0; i < count; i++) {
        char *l = read_line(r);
        if (!l || strcmp(l, "ready") != 0) {
            kill(r->pid, SIGKILL);
            failx(l ? "unexpected output instead of \"ready\"" : "no \"ready\" from the namespace");
        }
    }
}

static int64_t parse_i64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "nsrun: bad %s: '%s'\n", what, s);
        exit(1);
    }
    return v;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_stats(int64_t *v, int n)
{
    if (all_samples) {
        for (int k = 0; k < n; k++)
            printf("%lld\n", (long long)v[k]);
        return;
    }
    int64_t m = median(v, n);
    printf("%lld %lld %lld %d\n", (long long)m, (long long)v[0], (long long)v[n - 1], n);
}

static void check_status(int status, const char *mode)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "nsrun %s: PID 1 ended with %s %d\n", mode,
                WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        exit(1);
    }
}

static long status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t flen = strlen(field);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        fail(path);
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            v = strtol(line + flen + 1, NULL, 10);
            break;
        }
    fclose(f);
    if (v < 0) {
        fprintf(stderr, "nsrun: no %s in %s\n", field, path);
        exit(1);
    }
    return v;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0)
        if (errno != EINTR)
            fail("nanosleep");
}

static void usage(void)
{
    fputs("usage: nsrun [-a] [-l LOG] [-w MS] start|main|sig|reap RUNS CMD...\n"
          "       nsrun [-a] [-l LOG] [-w MS] mem|term RUNS READY CMD...\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int i = 1;
    while (i + 1 < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-a") == 0) {
            all_samples = 1;
            i++;
            continue;
        }
        if (strcmp(argv[i], "-l") == 0)
            logfile = argv[i + 1];
        else if (strcmp(argv[i], "-w") == 0)
            idle_ms = (long)parse_i64(argv[i + 1], "-w");
        else
            usage();
        i += 2;
    }
    if (argc - i < 3)
        usage();
    const char *mode = argv[i];
    int runs = (int)parse_i64(argv[i + 1], "RUNS"), ready = 0;
    i += 2;
    if (strcmp(mode, "mem") == 0 || strcmp(mode, "term") == 0) {
        ready = (int)parse_i64(argv[i++], "READY");
        if (i >= argc)
            usage();
    }
    char **cmd = argv + i;
    if (runs < 1 || runs > 100000 || ready < 0)
        usage();
    /* a killed reader must not kill us */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        fail("signal");
    shared_t0 = mmap(NULL, sizeof *shared_t0, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared_t0 == MAP_FAILED)
        fail("mmap");
    int64_t *v = calloc((size_t)runs, sizeof *v);
    int64_t *v2 = calloc((size_t)runs, sizeof *v2);
    int64_t *v3 = calloc((size_t)runs, sizeof *v3);
    if (!v || !v2 || !v3)
        fail("calloc");
    struct run r;
    int status;

    if (strcmp(mode, "start") == 0 || strcmp(mode, "main") == 0 || strcmp(mode, "reap") == 0) {
        for (int k = 0; k < runs; k++) {
            spawn(&r, cmd);
            int64_t mark = -1;
            if (strcmp(mode, "start") != 0) {
                char *l = read_line(&r);
                if (!l) {
                    kill(r.pid, SIGKILL);
                    failx("the main command printed nothing");
                }
                mark = parse_i64(l, "main command output");
            }
            int64_t t1 = wait_gone(&r, &status);
            if (t1 < 0)
                failx("timeout: PID 1 did not exit");
            check_status(status, mode);
            if (strcmp(mode, "start") == 0)
                v[k] = t1 - *shared_t0;
            else if (strcmp(mode, "main") == 0)
                v[k] = mark - *shared_t0;
            else
                v[k] = mark;
        }
        print_stats(v, runs);
    } else if (strcmp(mode, "mem") == 0) {
        for (int k = 0; k < runs; k++) {
            spawn(&r, cmd);
            expect_ready(&r, ready);
            sleep_ms(SETTLE_MS);
            v[k] = status_kb(r.pid, "VmRSS");
            v2[k] = status_kb(r.pid, "RssAnon");
            v3[k] = status_kb(r.pid, "RssFile");
            if (kill(r.pid, SIGKILL) != 0)
                fail("kill");
            wait_gone(&r, &status);
            if (all_samples)
                printf("%lld %lld %lld\n", (long long)v[k], (long long)v2[k], (long long)v3[k]);
        }
        if (!all_samples)
            printf("%lld %lld %lld %d\n", (long long)median(v, runs), (long long)median(v2, runs),
                   (long long)median(v3, runs), runs);
    } else if (strcmp(mode, "term") == 0) {
        for (int k = 0; k < runs; k++) {
            spawn(&r, cmd);
            expect_ready(&r, ready);
            /* let PID 1 reach its idle wait, as it would be in a container being stopped */
            sleep_ms(idle_ms);
            int64_t t0 = now_ns();
            if (kill(r.pid, SIGTERM) != 0)
                fail("kill");
            int64_t t1 = wait_gone(&r, &status);
            if (t1 < 0)
                failx("timeout: PID 1 did not exit on SIGTERM");
            v[k] = t1 - t0;
        }
        print_stats(v, runs);
    } else if (strcmp(mode, "sig") == 0) {
        spawn(&r, cmd);
        expect_ready(&r, 1);
        sleep_ms(20);
        for (int k = 0; k < runs; k++) {
            int64_t t0 = now_ns();
            if (kill(r.pid, SIGUSR1) != 0)
                fail("kill");
            char *l = read_line(&r);
            if (!l) {
                kill(r.pid, SIGKILL);
                failx("SIGUSR1 never reached the main command");
            }
            v[k] = parse_i64(l, "main command output") - t0;
        }
        if (kill(r.pid, SIGTERM) != 0)
            fail("kill");
        if (wait_gone(&r, &status) < 0)
            failx("timeout: PID 1 did not exit on SIGTERM");
        print_stats(v, runs);
    } else {
        usage();
    }
    return 0;
}
