/* cinit — PID 1 for containers: a drop-in successor of baseimage-docker's my_init.
 *
 * One loop does everything: signals are blocked and read from a signalfd, and every wake-up
 * first reaps all children, so no exit is missed when SIGCHLDs coalesce and zombies are
 * reaped in every phase. Waits have deadlines but never poll: each ends the moment the
 * awaited processes are gone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cenv.h"
#include "util.h"

#define SERVICE_DIR "/etc/service"
#define PRE_SHUTDOWN_DIR "/etc/my_init.pre_shutdown.d"
#define POST_SHUTDOWN_DIR "/etc/my_init.post_shutdown.d"
#define RC_LOCAL "/etc/rc.local"
#define INSECURE_KEY "/usr/sbin/enable_insecure_key"
#define MAX_TIMEOUT_S 86400L
#define MAX_WATCH 256

extern char **environ;

static struct {
    bool skip_startup, skip_runit, no_kill_all, quiet, verbose, insecure_key;
} opt;
static long kill_process_ms = 30000, kill_all_ms = 30000;
static const char *init_dir = "/etc/my_init.d";

static int sfd = -1;
static sigset_t handled;
static bool pid1;
static struct envlist env;
static struct cenv_paths live;
static bool live_ok;

/* the processes cinit waits for by name */
struct child {
    pid_t pid;
    bool done;
    int status;
};
static struct child main_cmd, runsvdir, script;
static pid_t watch[MAX_WATCH];
static char watch_service[MAX_WATCH][NAME_MAX + 1]; /* the service of each watched runsv */
static int watch_wd[MAX_WATCH];                       /* and its inotify watch */
static size_t nwatch;
/* one more fd for the loop to wait on, and what to do when it is readable */
static int extra_fd = -1;
static void (*extra_ready)(void);
static bool have_children = true;

static int stop_signal;     /* the first TERM/INT/QUIT */
static bool shutting_down;  /* past the point where stop signals change anything */

/* ---- messages ---- */

static void say(const char *kind, const char *fmt, va_list ap)
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

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
    if (opt.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
}

static long long usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static long long start_us;

/* -v: with the time since cinit started, to see where a boot or a shutdown spends it */
static void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void debug(const char *fmt, ...)
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

static void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("WARNING: ", fmt, ap);
    va_end(ap);
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("ERROR: ", fmt, ap);
    va_end(ap);
}

static const char *describe_status(int st, char *out, size_t n)
{
    if (WIFSIGNALED(st))
        snprintf(out, n, "was killed by signal %d (SIG%s)", WTERMSIG(st), sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
    else
        snprintf(out, n, "exited with status %d", WEXITSTATUS(st));
    return out;
}

static int exit_code(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* ---- time ---- */

static long now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        die(1, "clock_gettime: %s", strerror(errno));
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- children ---- */

static void reap_all(void)
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
        struct child *c[] = {&main_cmd, &runsvdir, &script};
        for (size_t i = 0; i < sizeof c / sizeof *c; i++)
            if (c[i]->pid == pid && !c[i]->done) {
                c[i]->done = true;
                c[i]->status = st;
            }
        for (size_t i = 0; i < nwatch; i++)
            if (watch[i] == pid)
                watch[i] = 0;
        debug("reaped PID %ld", (long)pid);
    }
}

static bool running(const struct child *c)
{
    return c->pid > 0 && !c->done;
}

static void forward(const struct child *c, int sig)
{
    if (running(c) && kill(c->pid, sig) < 0 && errno != ESRCH)
        warning("cannot send signal %d to PID %ld: %s", sig, (long)c->pid, strerror(errno));
}

/* Send a command byte to a runsv control fifo; a service without its runsv is skipped. */
static void sv_control(const char *service, const char *sub, char cmd)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s/%ssupervise/control", SERVICE_DIR, service, sub) >= (int)sizeof path)
        return;
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    if (write(fd, &cmd, 1) < 0)
        debug("%s: %s", path, strerror(errno));
    close(fd);
}

static void for_each_service(const char *sub, char cmd)
{
    DIR *d = opendir(SERVICE_DIR);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            sv_control(de->d_name, sub, cmd);
    closedir(d);
}

static void on_signal(int sig)
{
    debug("received signal %d (SIG%s)", sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
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

/* Run the loop until cond() holds or the deadline (now_ms() clock, -1: none) passes. */
static bool wait_until(bool (*cond)(void), long deadline)
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

static bool main_done(void) { return main_cmd.done; }
static bool main_done_or_stop(void) { return main_cmd.done || stop_signal; }
static bool script_done(void) { return script.done; }
static bool runsvdir_done(void) { return runsvdir.done; }
static bool runsvdir_done_or_stop(void) { return runsvdir.done || stop_signal; }
static bool no_children(void) { return !have_children; }
static bool watched_gone(void)
{
    for (size_t i = 0; i < nwatch; i++)
        if (watch[i])
            return false;
    return true;
}

static void join_argv(struct buf *b, char *const argv[])
{
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            buf_addc(b, ' ');
        buf_adds(b, argv[i]);
    }
}

/* fork + exec with the container environment, default dispositions and an empty mask. */
static pid_t spawn(char *const argv[], bool foreground)
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

/* ---- the container environment ---- */

static void cenv_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cenv_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("WARNING: ", fmt, ap);
    va_end(ap);
}

static void import_boot(void)
{
    struct envlist dir = {0};
    if (cenv_read_dir(CENV_ETC_BASE, &dir) < 0) {
        if (errno == EACCES)
            warning("not running as root: cannot read %s, not importing it", CENV_ETC_BASE);
        else if (errno != ENOENT)
            warning("cannot read %s: %s", CENV_ETC_BASE, strerror(errno));
    }
    for (size_t i = 0; i < dir.n; i++)
        if (!env_get(&env, dir.v[i].name)) /* docker run -e wins */
            env_set(&env, dir.v[i].name, dir.v[i].value);
    env_free(&dir);
}

static void export_boot(void)
{
    struct cenv_paths etc;
    cenv_paths_for(&etc, CENV_ETC_BASE);
    if (cenv_export(&etc, &env) == 0) {
        live = etc, live_ok = true;
        /* a fallback left from an earlier boot would mislead contenv */
        if (unlink(CENV_RUN_BASE ".sh") < 0 && errno != ENOENT)
            warning("cannot remove %s.sh: %s", CENV_RUN_BASE, strerror(errno));
        return;
    }
    int e = errno;
    if (e == EACCES || e == EPERM) {
        warning("not running as root: not exporting the container environment (%s: %s)", CENV_ETC_BASE, strerror(e));
        return;
    }
    if (e != EROFS) {
        warning("cannot export the container environment to %s: %s", CENV_ETC_BASE, strerror(e));
        return;
    }
    struct cenv_paths run;
    cenv_paths_for(&run, CENV_RUN_BASE);
    if ((mkdir(CENV_RUN_DIR, 0755) < 0 && errno != EEXIST) || cenv_export(&run, &env) < 0) {
        warning("/etc is read-only and %s is not writable (%s): not exporting the container environment",
                CENV_RUN_DIR, strerror(errno));
        return;
    }
    live = run, live_ok = true;
    warning("/etc is read-only: container environment exported to %s", CENV_RUN_BASE);
}

/* After a startup script: the directory is the truth (scripts set and delete variables there);
 * what can never be in it (HOME, USER... and unexportable names) keeps its value. */
static void reimport(void)
{
    if (!live_ok)
        return;
    struct envlist dir = {0};
    if (cenv_read_dir(live.dir, &dir) < 0) {
        warning("cannot read %s: %s", live.dir, strerror(errno));
        env_free(&dir);
        return;
    }
    for (size_t i = 0; i < env.n; i++) {
        const char *n = env.v[i].name;
        if (cenv_name_private(n) || !cenv_name_ok(n))
            env_set(&dir, n, env.v[i].value);
    }
    env_free(&env);
    env = dir;
    if (cenv_write_dumps(&live, &env) < 0)
        warning("cannot write %s: %s", live.sh, strerror(errno));
}

/* ---- scripts ---- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) && access(path, X_OK) == 0;
}

/* Run one script in the loop; returns its wait status, or -1 if it could not be started. */
static int run_script(const char *path)
{
    char *argv[] = {(char *)path, NULL};
    script = (struct child){0};
    script.pid = spawn(argv, false);
    if (script.pid < 0)
        return -1;
    wait_until(script_done, -1);
    return script.status;
}

/* Executable regular files of dir, in byte order of their names; NULL-terminated. */
static char **list_scripts(const char *dir)
{
    char **names = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT)
            warning("cannot read %s: %s", dir, strerror(errno));
    } else {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            struct buf p = {0};
            buf_addf(&p, "%s/%s", dir, de->d_name);
            if (is_executable_file(buf_cstr(&p))) {
                names = xrealloc(names, (n + 2) * sizeof *names);
                names[n++] = p.p;
            } else {
                buf_free(&p);
            }
        }
        closedir(d);
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_name);
    names = xrealloc(names, (n + 1) * sizeof *names);
    names[n] = NULL;
    return names;
}

static void free_list(char **l)
{
    for (char **p = l; *p; p++)
        free(*p);
    free(l);
}

/* Startup files; false (with the message said) if one failed or a stop signal came. */
static bool run_startup_files(void)
{
    char **l = list_scripts(init_dir);
    bool ok = true;
    for (char **p = l; *p && ok && !stop_signal; p++) {
        info("Running %s...", *p);
        int st = run_script(*p);
        if (st != 0) {
            char d[64];
            if (st < 0)
                error("%s failed: it could not be started.", *p);
            else
                error("%s failed: it %s.", *p, describe_status(st, d, sizeof d));
            ok = false;
        }
        reimport();
    }
    free_list(l);
    if (ok && !stop_signal && is_executable_file(RC_LOCAL)) {
        info("Running %s...", RC_LOCAL);
        int st = run_script(RC_LOCAL);
        if (st != 0) {
            char d[64];
            error("%s failed: it %s.", RC_LOCAL, st < 0 ? "could not be started" : describe_status(st, d, sizeof d));
            ok = false;
        }
        reimport();
    }
    return ok && !stop_signal;
}

static void run_shutdown_scripts(const char *dir)
{
    char **l = list_scripts(dir);
    for (char **p = l; *p; p++) {
        info("Running %s...", *p);
        int st = run_script(*p);
        if (st != 0) {
            char d[64];
            warning("%s failed: it %s; shutdown goes on.", *p, st < 0 ? "could not be started" : describe_status(st, d, sizeof d));
        }
    }
    free_list(l);
}

/* ---- /proc ---- */

/* PID and parent PID (and command name) of one /proc entry. */
static bool proc_stat(pid_t pid, pid_t *ppid, char *comm, size_t commlen)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    char *open_p = strchr(text, '('), *close_p = strrchr(text, ')');
    if (!open_p || !close_p || close_p < open_p)
        return false;
    if (comm) {
        size_t l = (size_t)(close_p - open_p - 1);
        if (l >= commlen)
            l = commlen - 1;
        memcpy(comm, open_p + 1, l);
        comm[l] = '\0';
    }
    long pp;
    if (sscanf(close_p + 1, " %*c %ld", &pp) != 1)
        return false;
    *ppid = (pid_t)pp;
    return true;
}

struct procent {
    pid_t pid, ppid;
    char comm[32];
};

static size_t scan_proc(struct procent **out)
{
    size_t n = 0, cap = 0;
    struct procent *v = NULL;
    DIR *d = opendir("/proc");
    if (!d) {
        warning("cannot read /proc: %s", strerror(errno));
        *out = NULL;
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        if (!parse_long(de->d_name, 1, INT_MAX, &pid))
            continue;
        struct procent e = {.pid = (pid_t)pid};
        if (!proc_stat(e.pid, &e.ppid, e.comm, sizeof e.comm))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[n++] = e;
    }
    closedir(d);
    *out = v;
    return n;
}

/* Signal every remaining process: all of the namespace as PID 1, else our descendants. */
static void signal_all(int sig)
{
    if (pid1) {
        if (kill(-1, sig) < 0 && errno != ESRCH)
            warning("kill(-1, %d): %s", sig, strerror(errno));
        return;
    }
    struct procent *v;
    size_t n = scan_proc(&v);
    pid_t self = getpid();
    bool *mine = calloc(n ? n : 1, sizeof *mine);
    if (!mine)
        die(1, "out of memory");
    /* mark descendants by repeated passes: parents may appear after their children */
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            if (mine[i])
                continue;
            bool parent_mine = v[i].ppid == self;
            for (size_t j = 0; j < n && !parent_mine; j++)
                parent_mine = mine[j] && v[j].pid == v[i].ppid;
            if (parent_mine)
                mine[i] = grew = true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (mine[i] && kill(v[i].pid, sig) < 0 && errno != ESRCH)
            warning("cannot send signal %d to PID %ld: %s", sig, (long)v[i].pid, strerror(errno));
    free(mine);
    free(v);
}

/* ---- phases ---- */

static void start_runit(void)
{
    info("Booting runit daemon...");
    char *argv[] = {"runsvdir", "-P", SERVICE_DIR, NULL};
    runsvdir = (struct child){0};
    runsvdir.pid = spawn(argv, false);
    if (runsvdir.pid > 0)
        info("Runit started as PID %ld", (long)runsvdir.pid);
}

/* Is the service down, its ./run and ./finish done? */
static bool service_down(const char *name)
{
    char path[PATH_MAX], st[16];
    if (snprintf(path, sizeof path, "%s/%s/supervise/stat", SERVICE_DIR, name) >= (int)sizeof path)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, st, sizeof st);
    close(fd);
    return n >= 4 && memcmp(st, "down", 4) == 0;
}

/* runsv sleeps a whole second after a service that ran for less than a second ends, before it
 * exits: a container stopped soon after it started would wait for that sleep. Once the service
 * is down there is nothing left for its runsv to do, so it is killed (its log service, if any,
 * then reads to the end of its pipe and exits, or gets TERM with the rest). */
static void kill_idle_runsv(void)
{
    char buf[4096];
    while (extra_fd >= 0 && read(extra_fd, buf, sizeof buf) > 0)
        ; /* the events only say "look again" */
    for (size_t i = 0; i < nwatch; i++)
        if (watch[i] && watch_service[i][0] && service_down(watch_service[i])) {
            debug("service %s is down: stopping its runsv", watch_service[i]);
            if (kill(watch[i], SIGKILL) < 0 && errno != ESRCH)
                warning("cannot stop runsv %ld: %s", (long)watch[i], strerror(errno));
            watch_service[i][0] = '\0';
            /* now, so that the kernel frees it in the background (see stop_runit) */
            (void)inotify_rm_watch(extra_fd, watch_wd[i]);
        }
}

/* Watch each runsv's supervise directory, where it renames a new status into place whenever
 * the service changes state. Without inotify, runsv is left to exit by itself. */
static void watch_supervise(void)
{
    extra_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (extra_fd < 0) {
        debug("inotify: %s", strerror(errno));
        return;
    }
    extra_ready = kill_idle_runsv;
    for (size_t i = 0; i < nwatch; i++) {
        char path[PATH_MAX], cmd[NAME_MAX + 16];
        watch_service[i][0] = '\0';
        snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)watch[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        /* "runsv\0NAME\0": runsvdir starts each runsv with the service's name, in SERVICE_DIR */
        if (n <= 6 || memcmp(cmd, "runsv", 6) != 0)
            continue;
        cmd[n] = '\0';
        const char *name = cmd + 6;
        if (!*name || strchr(name, '/') || strlen(name) > NAME_MAX)
            continue;
        if (snprintf(path, sizeof path, "%s/%s/supervise", SERVICE_DIR, name) >= (int)sizeof path ||
            (watch_wd[i] = inotify_add_watch(extra_fd, path, IN_MOVED_TO | IN_CLOSE_WRITE)) < 0)
            continue;
        memcpy(watch_service[i], name, strlen(name) + 1);
    }
    kill_idle_runsv(); /* what went down before the watches were in place */
}

static void stop_runit(void)
{
    if (!running(&runsvdir))
        return;
    info("Shutting down runit daemon (PID %ld)...", (long)runsvdir.pid);
    long deadline = now_ms() + kill_process_ms;
    /* Every service is told to go down. runsvdir itself is killed: it only looks at its
     * "exit soon" flag after a sleep of up to 5 s, so a HUP or TERM that comes just before
     * the sleep would stall the shutdown. Its runsv processes then come to us; TERM tells
     * each to exit once its service is down (runsv has no such race: it uses a self-pipe). */
    for_each_service("", 'd');
    forward(&runsvdir, SIGKILL);
    wait_until(runsvdir_done, -1);
    struct procent *v;
    size_t n = scan_proc(&v);
    pid_t self = getpid();
    nwatch = 0;
    for (size_t i = 0; i < n && nwatch < MAX_WATCH; i++)
        if (v[i].ppid == self && (strcmp(v[i].comm, "runsv") == 0 || strcmp(v[i].comm, "runsvdir") == 0)) {
            memcpy(watch_service[nwatch], v[i].comm, strlen(v[i].comm) + 1);
            watch[nwatch++] = v[i].pid;
        }
    free(v);
    for (size_t i = 0; i < nwatch; i++) {
        /* A child still called runsvdir was forked but has not become runsv yet: it has
         * started nothing, and a TERM now would only reach the handler it inherited and be
         * lost, so it is killed. A runsv holds TERM blocked until it can act on it. */
        bool unborn = strcmp(watch_service[i], "runsvdir") == 0;
        debug("stopping %s %ld", watch_service[i], (long)watch[i]);
        watch_service[i][0] = '\0';
        if (kill(watch[i], unborn ? SIGKILL : SIGTERM) < 0 && errno != ESRCH)
            warning("cannot stop runsv %ld: %s", (long)watch[i], strerror(errno));
    }
    watch_supervise();
    if (!wait_until(watched_gone, deadline)) {
        warning("runit services still up after %ld ms: killing them", kill_process_ms);
        for_each_service("", 'k');
        for_each_service("log/", 'k');
        for_each_service("", 'x');
        for_each_service("log/", 'x');
        if (!wait_until(watched_gone, now_ms() + 1000))
            for (size_t i = 0; i < nwatch; i++)
                if (watch[i] && kill(watch[i], SIGKILL) < 0 && errno != ESRCH)
                    warning("cannot kill runsv %ld: %s", (long)watch[i], strerror(errno));
    }
    /* Closing an inotify instance waits for a kernel grace period (10 ms and more seen here),
     * freeing its watches one by one does not: the instance is left open (close-on-exec, and
     * empty by now) until cinit exits. */
    extra_fd = -1;
    nwatch = 0;
}

static void kill_all(void)
{
    reap_all();
    if (!have_children)
        return; /* as PID 1 every process left is a descendant, so none is left */
    info("Killing all processes...");
    signal_all(SIGTERM);
    signal_all(SIGCONT); /* a stopped process only sees its TERM once it runs again */
    if (wait_until(no_children, now_ms() + kill_all_ms))
        return;
    warning("processes still running after %ld ms: killing them", kill_all_ms);
    signal_all(SIGKILL);
    if (!wait_until(no_children, now_ms() + 5000))
        warning("some processes could not be killed; exiting anyway");
}

/* ---- start ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [options] [--] [MAIN_COMMAND [ARGS...]]\n"
            "PID 1 for containers: imports and exports the container environment, runs\n"
            "/etc/my_init.d/*, starts runit services, runs MAIN_COMMAND, reaps zombies and\n"
            "shuts everything down in order.\n\n"
            "Options:\n"
            "  --skip-startup-files   do not run /etc/my_init.d/* and /etc/rc.local\n"
            "  --skip-runit           do not start runit services (needs a MAIN_COMMAND)\n"
            "  --no-kill-all-on-exit  at exit, do not signal the processes still running\n"
            "  --quiet                only warnings and errors\n"
            "  --enable-insecure-key  install the insecure SSH key (enable_insecure_key)\n"
            "  -v, --verbose          more messages\n"
            "  --help                 this text\n"
            "  --version              the version\n\n"
            "Environment: KILL_PROCESS_TIMEOUT, KILL_ALL_PROCESSES_TIMEOUT (seconds, default 30),\n"
            "ENV_INIT_DIRECTORY (default /etc/my_init.d). See cinit(8).\n",
            progname);
}

static void timeout_env(const char *name, long *ms)
{
    const char *v = getenv(name);
    if (!v)
        return;
    if (!parse_seconds_ms(v, MAX_TIMEOUT_S, ms)) {
        fprintf(stderr, "*** ERROR: %s='%s' is not a number of seconds (0 to %ld, e.g. 30 or 0.5)\n", name, v, MAX_TIMEOUT_S);
        exit(2);
    }
}

static int parse_args(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--skip-startup-files") == 0)
            opt.skip_startup = true;
        else if (strcmp(a, "--skip-runit") == 0)
            opt.skip_runit = true;
        else if (strcmp(a, "--no-kill-all-on-exit") == 0)
            opt.no_kill_all = true;
        else if (strcmp(a, "--quiet") == 0)
            opt.quiet = true;
        else if (strcmp(a, "--enable-insecure-key") == 0)
            opt.insecure_key = true;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            opt.verbose = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("cinit %s\n", CINIT_VERSION);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help'.\n", progname, a, progname);
            exit(2);
        }
    }
    return i;
}

/* Before anything else: take every signal from one signalfd, and undo what an ancestor may
 * have set (an ignored INT in a background job, an ignored PIPE from a python parent). */
/* The kernel's struct sigaction starts with the handler on every architecture but mips; the
 * rest (flags, restorer, mask) stays zero, which is what SIG_DFL wants. */
struct ksigaction {
    void *handler;
    unsigned long rest[4];
};

static void setup_signals(void)
{
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL); /* glibc refuses its own two (32, 33): see below */
    /* glibc reserves the first real-time signals for itself and will not touch them, but an
     * "ignore" of them is inherited like any other (a job-control shell's background job has
     * them so) and would pass on to every child: the kernel's own call resets them. */
    for (int s = __SIGRTMIN; s < SIGRTMIN; s++) {
        struct ksigaction old = {0}, dfl = {0};
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

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    progname = slash ? slash + 1 : argv[0];
    if (strcmp(progname, "my_init") != 0)
        progname = "cinit";
    start_us = usec();
    setup_signals();
    pid1 = getpid() == 1;
    /* outside a PID namespace, orphans of our subtree still come to us */
    if (!pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        warning("cannot become a child subreaper: %s", strerror(errno));
    cenv_warn = cenv_warning;

    int first = parse_args(argc, argv);
    char **cmd = argv + first;
    bool have_cmd = first < argc;
    timeout_env("KILL_PROCESS_TIMEOUT", &kill_process_ms);
    timeout_env("KILL_ALL_PROCESSES_TIMEOUT", &kill_all_ms);
    const char *d = getenv("ENV_INIT_DIRECTORY");
    if (d && *d)
        init_dir = d;
    if (opt.skip_runit && !have_cmd) {
        error("--skip-runit needs a main command: with neither runit nor a command there is nothing to run");
        return 1;
    }
    bool root = geteuid() == 0;

    env_from_environ(&env, environ);
    import_boot();
    export_boot();

    debug("environment imported and exported");
    int status = 0;
    bool booted = true;
    if (opt.insecure_key) {
        if (!is_executable_file(INSECURE_KEY)) {
            error("--enable-insecure-key: %s is not installed (the image was built without sshd)", INSECURE_KEY);
            booted = false;
        } else {
            info("Running %s...", INSECURE_KEY);
            int st = run_script(INSECURE_KEY);
            if (st != 0) {
                error("%s failed.", INSECURE_KEY);
                booted = false;
            }
        }
    }
    if (booted && !opt.skip_startup)
        booted = run_startup_files();
    debug("startup files done");
    if (!booted && !stop_signal)
        status = 1;

    if (booted) {
        if (!opt.skip_runit) {
            if (root)
                start_runit();
            else
                warning("not running as root: not starting runit services");
        }
        if (have_cmd && !stop_signal) {
            struct buf name = {0};
            join_argv(&name, cmd);
            info("Running %s...", buf_cstr(&name));
            main_cmd.pid = spawn(cmd, true);
            if (main_cmd.pid < 0) {
                status = 1;
            } else {
                wait_until(main_done_or_stop, -1);
                if (!main_cmd.done && !wait_until(main_done, now_ms() + kill_process_ms)) {
                    warning("%s did not stop within %ld ms: killing it", buf_cstr(&name), kill_process_ms);
                    forward(&main_cmd, SIGKILL);
                    wait_until(main_done, -1);
                }
                if (isatty(STDIN_FILENO))
                    (void)tcsetpgrp(STDIN_FILENO, getpgrp());
                char desc[64];
                info("%s %s.", buf_cstr(&name), describe_status(main_cmd.status, desc, sizeof desc));
                status = exit_code(main_cmd.status);
            }
            buf_free(&name);
        } else if (!have_cmd) {
            wait_until(runsvdir_done_or_stop, -1);
            if (!stop_signal) {
                char desc[64];
                error("runsvdir %s by itself.", describe_status(runsvdir.status, desc, sizeof desc));
                status = 1;
            }
        }
    }
    if (stop_signal && !main_cmd.pid && have_cmd)
        status = 128 + stop_signal; /* stopped before the main command could start */

    shutting_down = true;
    debug("shutdown");
    run_shutdown_scripts(PRE_SHUTDOWN_DIR);
    stop_runit();
    debug("runit is down");
    run_shutdown_scripts(POST_SHUTDOWN_DIR);
    if (!opt.no_kill_all)
        kill_all();
    debug("exit %d", status);
    env_free(&env);
    return status;
}
