/* runit: runsvdir's start and stop, the services' control fifos, the supervise watches. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cinit.h"

static pid_t watch[MAX_WATCH];
static char watch_service[MAX_WATCH][NAME_MAX + 1]; /* the service of each watched runsv */
static int watch_wd[MAX_WATCH];                       /* and its inotify watch */
size_t nwatch;

void runit_reaped(pid_t pid)
{
    for (size_t i = 0; i < nwatch; i++)
        if (watch[i] == pid)
            watch[i] = 0;
}

static bool runsvdir_done(void) { return runsvdir.done; }
static bool watched_gone(void)
{
    for (size_t i = 0; i < nwatch; i++)
        if (watch[i])
            return false;
    return true;
}

/* Send a command byte to a runsv control fifo; a service without its runsv is skipped. */
static void sv_control(const char *service, const char *sub, char cmd)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s/%ssupervise/control", SERVICE_DIR, service, sub) >= (int)sizeof path)
        return;
    int fd = open_fd(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    if (write(fd, &cmd, 1) < 0)
        debug("%s: %s", path, strerror(errno));
    close(fd);
}

void for_each_service(const char *sub, char cmd)
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

void start_runit(void)
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
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
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
        int fd = open_fd(path, O_RDONLY | O_CLOEXEC);
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

void stop_runit(void)
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
