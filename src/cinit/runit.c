/* runit: runsvdir's start and stop, the services' control fifos, the supervise watches. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cinit.h"
#include "proc.h"

/* the runsv processes waited for at the stop */
static struct {
    pid_t pid[MAX_WATCH];
    char service[MAX_WATCH][NAME_MAX + 1]; /* the service of each */
    int wd[MAX_WATCH];                     /* and the inotify watch of its supervise dir */
    char name[MAX_WATCH][NAME_MAX + 1];    /* its service's name ("": not known) */
    bool held[MAX_WATCH];                  /* its TERM waits for its service's turn (service_stop.c) */
    size_t n;
    int ifd;
} stop = {.ifd = -1};

static void runsv_gone(void *arg, pid_t pid, int status)
{
    (void)status;
    size_t i = (size_t)(uintptr_t)arg;
    if (i < stop.n && stop.pid[i] == pid) {
        stop.pid[i] = 0;
        stop_order_progress(); /* its service is down for good */
    }
}

static bool runsvdir_done(void) { return cinit.runsvdir.done; }
static bool watched_gone(void)
{
    for (size_t i = 0; i < stop.n; i++)
        if (stop.pid[i])
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
    /* marked service output, notification-fd: runsvdir finds cinit's runsv first
     * (service_logs_shim.c); env(1) sets that PATH for runsvdir alone, and the shim gives the
     * services the container's */
    const char *shim = service_logs_start();
    if (!shim && service_notification_fds() && runsv_shim_install("no service gets its notification-fd"))
        shim = SERVICE_LOGS_BIN;
    struct buf path = {0};
    /* and the services know the mode however it was given (the syslog service's run looks) */
    char mode[64];
    char *shimmed[] = {"env", NULL, mode, "runsvdir", "-P", SERVICE_DIR, NULL};
    if (shim) {
        const struct envvar *p = env_var(&env, "PATH");
        buf_addf(&path, "PATH=%s:%s", shim, p ? p->value : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        shimmed[1] = (char *)buf_cstr(&path);
        snprintf(mode, sizeof mode, "CINIT_SERVICE_LOGS=%s", service_logs_mode());
    }
    if (child_start(&cinit.runsvdir, shim ? shimmed : argv, NULL) > 0)
        info("Runit started as PID %ld", (long)cinit.runsvdir.pid);
    buf_free(&path);
}

/* Is the service down, its ./run and ./finish done? (runsv writes supervise/stat before
 * supervise/status, and a runsv killed in between leaves status behind: stat is the one) */
bool service_down(const char *name)
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
static void kill_idle_runsv(void *arg, short revents)
{
    (void)arg, (void)revents;
    char buf[4096];
    while (stop.ifd >= 0 && read(stop.ifd, buf, sizeof buf) > 0)
        ; /* the events only say "look again" */
    for (size_t i = 0; i < stop.n; i++)
        if (stop.pid[i] && stop.service[i][0] && service_down(stop.service[i])) {
            debug("service %s is down: stopping its runsv", stop.service[i]);
            if (kill(stop.pid[i], SIGKILL) < 0 && errno != ESRCH)
                warning("cannot stop runsv %ld: %s", (long)stop.pid[i], strerror(errno));
            stop.service[i][0] = '\0';
            /* now, so that the kernel frees it in the background (see stop_runit) */
            (void)inotify_rm_watch(stop.ifd, stop.wd[i]);
        }
    stop_order_progress();
}

/* Watch each runsv's supervise directory, where it renames a new status into place whenever
 * the service changes state. Without inotify, runsv is left to exit by itself. */
static void watch_supervise(void)
{
    stop.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (stop.ifd < 0) {
        debug("inotify: %s", strerror(errno));
        return;
    }
    if (!loop_watch(stop.ifd, POLLIN, kill_idle_runsv, NULL))
        return;
    for (size_t i = 0; i < stop.n; i++) {
        char path[PATH_MAX], name[NAME_MAX + 1];
        stop.service[i][0] = '\0';
        if (!proc_runsv_name(stop.pid[i], name))
            continue;
        if (snprintf(path, sizeof path, "%s/%s/supervise", SERVICE_DIR, name) >= (int)sizeof path ||
            (stop.wd[i] = inotify_add_watch(stop.ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE)) < 0)
            continue;
        memcpy(stop.service[i], name, strlen(name) + 1);
    }
    kill_idle_runsv(NULL, 0); /* what went down before the watches were in place */
}

bool runsv_release(const char *name)
{
    bool found = false;
    for (size_t i = 0; i < stop.n; i++)
        if (stop.held[i] && strcmp(stop.name[i], name) == 0) {
            stop.held[i] = false;
            found = true;
            if (stop.pid[i] && kill(stop.pid[i], SIGTERM) < 0 && errno != ESRCH)
                warning("cannot stop runsv %ld: %s", (long)stop.pid[i], strerror(errno));
        }
    return found;
}

void stop_runit(void)
{
    if (!running(&cinit.runsvdir))
        return;
    info("Shutting down runit daemon (PID %ld)...", (long)cinit.runsvdir.pid);
    /* the services' own stop-timeouts (service_stop.c) end within this */
    long long start = now_ms(), deadline = phase_deadline(PHASE_SERVICES, -1);
    /* runsvdir itself is killed: it only looks at its "exit soon" flag after a sleep of up to
     * 5 s, so a HUP or TERM that comes just before the sleep would stall the shutdown. Its
     * runsv processes then come to us; TERM tells each to exit once its service is down (runsv
     * has no such race: it uses a self-pipe). The services are told to go down in order: one
     * only once all that depend on it are down (service_stop.c); without that order known,
     * all at once. */
    if (!stop_order_begin(deadline))
        for_each_service("", 'd');
    forward(&cinit.runsvdir, SIGKILL);
    wait_until(runsvdir_done, -1);
    struct procent *v;
    size_t n = scan_proc(&v);
    pid_t self = getpid();
    stop.n = 0;
    for (size_t i = 0; i < n && stop.n < MAX_WATCH; i++)
        if (v[i].ppid == self && (strcmp(v[i].comm, "runsv") == 0 || strcmp(v[i].comm, "runsvdir") == 0)) {
            memcpy(stop.service[stop.n], v[i].comm, strlen(v[i].comm) + 1);
            stop.pid[stop.n] = v[i].pid;
            if (loop_on_exit(v[i].pid, false, runsv_gone, (void *)(uintptr_t)stop.n))
                stop.n++;
        }
    free(v);
    for (size_t i = 0; i < stop.n; i++) {
        /* A child still called runsvdir was forked but has not become runsv yet: it has
         * started nothing, and a TERM now would only reach the handler it inherited and be
         * lost, so it is killed. A runsv holds TERM blocked until it can act on it. */
        bool unborn = strcmp(stop.service[i], "runsvdir") == 0;
        stop.held[i] = false;
        if (!unborn && proc_runsv_name(stop.pid[i], stop.name[i]) && stop_order_waits(stop.name[i])) {
            stop.held[i] = true; /* its TERM would stop its service now: at its turn */
            stop.service[i][0] = '\0';
            continue;
        }
        debug("stopping %s %ld", stop.service[i], (long)stop.pid[i]);
        stop.service[i][0] = '\0';
        if (kill(stop.pid[i], unborn ? SIGKILL : SIGTERM) < 0 && errno != ESRCH)
            warning("cannot stop runsv %ld: %s", (long)stop.pid[i], strerror(errno));
    }
    stop_order_progress(); /* the first turn: what nothing running depends on */
    watch_supervise();
    if (!wait_until(watched_gone, deadline)) {
        for (size_t i = 0; i < stop.n; i++) /* the TERM each still waits for: now, with the KILL */
            if (stop.held[i])
                runsv_release(stop.name[i]);
        warning("runit services still up after %lld ms: killing them", deadline - start);
        for_each_service("", 'k');
        for_each_service("log/", 'k');
        for_each_service("", 'x');
        for_each_service("log/", 'x');
        if (!wait_until(watched_gone, now_ms() + 1000))
            for (size_t i = 0; i < stop.n; i++)
                if (stop.pid[i] && kill(stop.pid[i], SIGKILL) < 0 && errno != ESRCH)
                    warning("cannot kill runsv %ld: %s", (long)stop.pid[i], strerror(errno));
    }
    /* Closing an inotify instance waits for a kernel grace period (10 ms and more seen here),
     * freeing its watches one by one does not: the instance is left open (close-on-exec, and
     * empty by now) until cinit exits. */
    if (stop.ifd >= 0)
        loop_unwatch(stop.ifd);
    stop.ifd = -1;
    for (size_t i = 0; i < stop.n; i++)
        if (stop.pid[i])
            loop_forget(stop.pid[i]);
    stop.n = 0;
    stop_order_end();
}
