/* Services at run time: readiness, start order, critical services, the restart limit (cinit(8),
 * "Services: readiness, order, health"); what is read and checked at boot is service_setup.c.
 *
 * Order uses runit's own switch: a service with a `depends` file gets a `down` file (one that
 * says it is cinit's) before runsvdir starts, so that its runsv starts it held; once runsv has
 * read it the file goes again (sv status and cinit-health then show the service as enabled),
 * and when every service it names is ready, cinit sends it `u` as `sv up` would. Nothing else
 * in the service directory changes, and a service dir without the new files is left alone.
 *
 * Everything is driven by inotify on the services' supervise directories, where runsv renames
 * a new status into place at each change; the probes are the only thing that retries, with a
 * backoff. The exit status of a critical service's ./run comes from the arguments runsv gives
 * its ./finish (finish.c); where no ./finish can say it (a read-only service directory), from a
 * pidfd held on the run, for which the kernel (Linux 6.15+, PIDFD_INFO_EXIT) keeps it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cinit.h"
#include "probe.h"
#include "runit.h"
#include "services.h"

#define REPORT_EVERY_MS 5000

struct services services = {.exit_status = -1};
static int ifd = -1;
static bool unwatched; /* a polled service's supervise dir is not watched yet */
static long poll_backoff = SVC_BACKOFF_MIN_MS, look_backoff = SVC_BACKOFF_MIN_MS;
static long long next_poll = -1;
static void tick(void);
static void tick_once(void);
static void tick_due(void *arg);
static struct loop_timer tick_timer = {.fn = tick_due};


/* Which service each inotify watch belongs to (index + 1, 0: none), and whether it is the
 * parent dir of some dangling supervise link (PARENT; a dir many services may share). The kernel
 * hands out small, rising watch descriptors, so a table indexed by them stays about 2 N long.
 * An event then costs a look at its own service: reading all N statuses at each of the ~5 N
 * events of a boot made it cost O(N^2) opens and reads. Without the table (no memory) every
 * event means all. */
#define PARENT ((size_t)1 << (sizeof(size_t) * CHAR_BIT - 1))
static size_t *wd_svc;
static size_t nwd;
static bool all_dirty = true; /* look at every service at the next tick */

/* wd_note WD BITS: WD stands for the service BITS - 1, or (BITS == PARENT) is also a parent */
static void wd_note(int wd, size_t bits)
{
    if (wd < 0)
        return;
    if ((size_t)wd >= nwd) {
        size_t n = nwd ? nwd : 64;
        while (n <= (size_t)wd)
            n *= 2;
        size_t *t = realloc(wd_svc, n * sizeof *t);
        if (!t) {
            debug("no memory for the watch table: every event looks at every service");
            free(wd_svc);
            wd_svc = NULL;
            nwd = 0;
            all_dirty = true;
            return;
        }
        memset(t + nwd, 0, (n - nwd) * sizeof *t);
        wd_svc = t;
        nwd = n;
    }
    wd_svc[wd] = bits == PARENT ? wd_svc[wd] | PARENT : (wd_svc[wd] & PARENT) | bits;
}

static size_t wd_bits(int wd) { return wd < 0 || (size_t)wd >= nwd ? 0 : wd_svc[wd]; }

static struct svc *wd_find(int wd)
{
    size_t i = wd_bits(wd) & ~PARENT;
    return i ? &services.list[i - 1] : NULL;
}

/* supervise/ of s is a link whose target is not there yet (the image links it into /run,
 * which runsv fills at boot): its parent is watched for it to come, so that no poll has to */
static bool watch_link_parent(struct svc *s, const char *path)
{
    char target[PATH_MAX], full[PATH_MAX * 2 + 2];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    while (n > 1 && target[n - 1] == '/')
        target[--n] = '\0';
    snprintf(full, sizeof full, "%s%s%s", target[0] == '/' ? "" : s->dir, target[0] == '/' ? "" : "/", target);
    char *slash = strrchr(full, '/');
    const char *base = slash + 1;
    if (!*base || strlen(base) > NAME_MAX || !strcmp(base, ".") || !strcmp(base, ".."))
        return false;
    *slash = '\0';
    int wd = inotify_add_watch(ifd, full[0] ? full : "/", IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0)
        return false;
    snprintf(s->link_base, sizeof s->link_base, "%s", base);
    wd_note(wd, PARENT);
    return true;
}

/* from_event: an event said its supervise dir is there, so a failure means no event will come */
static void watch_one(struct svc *s, bool from_event)
{
    if (s->watched)
        return;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/supervise", s->dir);
    int wd = inotify_add_watch(ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);
    bool told = false; /* a watch will say when it comes */
    if (wd < 0 && errno == ENOENT && !from_event) {
        struct stat st;
        if (lstat(path, &st) < 0) {
            told = errno == ENOENT; /* the service dir's watch sees it come */
        } else if (S_ISLNK(st.st_mode) && (s->link_base[0] || watch_link_parent(s, path))) {
            told = true;
            wd = inotify_add_watch(ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE); /* made meanwhile? */
        }
    }
    if (wd < 0) {
        if (!told)
            s->polled = true;
        if (s->polled)
            unwatched = true;
        return;
    }
    s->watched = true;
    s->dirty = true; /* runsv may have written its status before the watch was there */
    wd_note(wd, (size_t)(s - services.list) + 1);
}

/* only_polled: the poll's turn, for the services no watch speaks for */
static void watch_all(bool only_polled)
{
    unwatched = false;
    for (size_t i = 0; i < services.n; i++)
        if (!only_polled || services.list[i].polled)
            watch_one(&services.list[i], false);
    if (!unwatched)
        next_poll = -1;
    else if (next_poll < 0)
        next_poll = now_ms();
}

static void note(const struct svc *s, const char *text)
{
    if (mkdir("/run/cinit", 0755) < 0 && errno != EEXIST)
        return;
    if (mkdir(CINIT_NOTE_DIR, 0755) < 0 && errno != EEXIST)
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", CINIT_NOTE_DIR, s->name);
    if (atomic_write(path, text, strlen(text), 0644, (uid_t)-1, (gid_t)-1) < 0)
        debug("cannot write %s: %s", path, strerror(errno));
}

/* a dir named NAME appeared where supervise links point: the services waiting for it */
static void link_target_made(const char *name)
{
    for (size_t i = 0; i < services.n; i++)
        if (!services.list[i].watched && services.list[i].link_base[0] && strcmp(services.list[i].link_base, name) == 0)
            watch_one(&services.list[i], true);
}

static void events(void *arg, short revents)
{
    (void)arg, (void)revents;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(ifd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            p += sizeof *e + e->len;
            if (e->mask & IN_Q_OVERFLOW) {
                /* events were lost: nothing says which */
                all_dirty = true;
                watch_all(false);
                continue;
            }
            struct svc *s = wd_find(e->wd);
            if (s)
                s->dirty = true;
            else if (!wd_svc)
                all_dirty = true;
            if (s && (e->mask & IN_IGNORED) && s->watched) {
                /* its supervise dir went (the service dir replaced): watch again, poll till then */
                s->watched = false;
                s->polled = true;
                watch_all(true);
            }
            if (!e->len)
                continue;
            if (s && strcmp(e->name, "supervise") == 0)
                watch_one(s, true);
            if (!wd_svc || (wd_bits(e->wd) & PARENT))
                link_target_made(e->name);
        }
    }
}

static void events_then_tick(void *arg, short revents)
{
    events(arg, revents);
    tick();
}

void services_start(void)
{
    if (!services.active)
        return;
    ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ifd < 0) {
        warning("inotify: %s: services are looked at every %d ms", strerror(errno), SVC_BACKOFF_MAX_MS);
        unwatched = true;
    } else {
        /* the service dirs themselves, for their supervise dir to appear */
        for (size_t i = 0; i < services.n; i++) {
            int wd = inotify_add_watch(ifd, services.list[i].dir, IN_CREATE | IN_MOVED_TO);
            services.list[i].polled = wd < 0; /* a dangling link: nothing will say when it comes */
            wd_note(wd, i + 1);
        }
        watch_all(false);
        if (!loop_watch(ifd, POLLIN, events_then_tick, NULL))
            unwatched = true;
    }
    long long now = now_ms();
    for (size_t i = 0; i < services.n; i++)
        services.list[i].sm.run_since = now;
    if (unwatched)
        next_poll = now;
    loop_timer_at(&tick_timer, now);
}

static bool deps_ready(const struct svc *s)
{
    for (size_t k = 0; k < s->ndeps; k++)
        if (!svc_ready(&services.list[s->dep[k]].sm))
            return false;
    return true;
}

static void act(struct svc *s, unsigned todo, const struct runit_status *st, long long now);

static void feed(struct svc *s, const struct svc_event *ev, long long now)
{
    unsigned todo = svc_step(&s->sm, ev, now);
    if (todo)
        act(s, todo, &ev->status, now);
}

/* `sv up` for the held services whose dependencies are all ready. One whose runsv does not
 * read its control fifo yet stays held: its supervise dir's next event brings cinit back. */
static void release_ready(void)
{
    for (size_t i = 0; i < services.n; i++) {
        struct svc *d = &services.list[i];
        if (d->sm.state != SVC_HELD || !deps_ready(d))
            continue;
        /* a oneshot's run is asked for once its status before it is known: the down status
         * that follows its run is then told from that one */
        if (d->sm.oneshot && !d->sm.seen)
            continue;
        if (runit_control(d->dir, d->sm.oneshot ? 'o' : 'u') < 0) {
            if (errno != ENOENT && errno != ENXIO)
                warning("cannot start service %s: %s", d->name, strerror(errno));
            continue;
        }
        feed(d, &(struct svc_event){.kind = SVC_EV_RELEASED}, now_ms());
        if (d->ndeps)
            info("Starting %sservice %s: what it depends on is ready.", d->sm.oneshot ? "oneshot " : "", d->name);
        else
            debug("oneshot service %s: its run is asked for", d->name);
    }
}

static void said_ready(struct svc *s, long long now)
{
    double t = (double)(now - s->sm.run_since) / 1000.0;
    if (s->sm.oneshot) {
        note(s, "done: ./run exited 0\n");
        info("Service %s is done (its run exited 0, %.2f s after its start).", s->name, t);
        return;
    }
    if (s->loud)
        info("Service %s is ready (%.2f s after its start%s%s).", s->name, t, s->probe.text[0] ? ", " : "", s->probe.text);
    debug("service %s is ready, %.3f s after its start", s->name, t);
}

static void gave_up(struct svc *s)
{
    char text[256];
    double w = (double)s->sm.restart_window_ms / 1000;
    snprintf(text, sizeof text, "restarted %ld times in %.3g s (%s=%ld/%.3g): left down\n", s->sm.restart_n, w,
             s->own_limit ? "restart-limit" : "CINIT_RESTART_LIMIT", s->sm.restart_n, w);
    error("service %s %.*s", s->name, (int)strlen(text) - 1, text);
    note(s, text);
}

/* It failed at once again: left down until its back-off is over; cinit-health shows when. */
static void backing_off(struct svc *s, long long now)
{
    long long delay = s->sm.restart_at - now;
    struct timespec ts;
    struct tm tm;
    char at[32] = "?", text[256];
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
        time_t t = ts.tv_sec + (time_t)((delay + 999) / 1000);
        if (gmtime_r(&t, &tm))
            strftime(at, sizeof at, "%H:%M:%S UTC", &tm);
    }
    snprintf(text, sizeof text, "failing: exited within %d s of its start %d time%s in a row; next restart at %s (in %.3g s)\n",
             SVC_QUICK_MS / 1000, s->sm.quick_fails, s->sm.quick_fails > 1 ? "s" : "", at, (double)delay / 1000);
    note(s, text);
    if (s->loud || s->sm.quick_fails > 1)
        info("Service %s %.*s", s->name, (int)strlen(text) - 10, text + 9); /* without "failing: " and the newline */
}

static void restart(struct svc *s)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", CINIT_NOTE_DIR, s->name);
    if (unlink(path) < 0 && errno != ENOENT)
        debug("cannot remove %s: %s", path, strerror(errno));
    if (runit_control(s->dir, 'u') < 0)
        warning("cannot restart service %s: %s", s->name, strerror(errno));
}

/* A oneshot's run failed: the boot fails, as with a failing startup script (exit 1). */
static void oneshot_failed(struct svc *s, long long now)
{
    char d[64], text[300];
    int ws = s->sm.exit_status;
    if (ws >= 0)
        snprintf(text, sizeof text, "failed: ./run %s\n", describe_status(ws, d, sizeof d));
    else
        snprintf(text, sizeof text, "failed: ./run ended, its status unknown (no ./finish of cinit's could record it "
                                    "and Linux did not keep it; see cinit(8))\n");
    note(s, text);
    if (services.exit_status >= 0)
        return; /* the container is already ending */
    error("oneshot service %s %.*s: stopping the container.", s->name, (int)strlen(text) - 1, text);
    services.exit_status = 1;
    if (!cinit.stop_signal)
        cinit.stop_signal = SIGTERM;
    shutdown_begin();
    signal_main(SIGTERM);
    for (size_t i = 0; i < services.n; i++) /* nothing else ends unasked from now on */
        feed(&services.list[i], &(struct svc_event){.kind = SVC_EV_STOPPING}, now);
}

/* what the machine asks for, in this order */
static void act(struct svc *s, unsigned todo, const struct runit_status *st, long long now)
{
    if (todo & SVC_DO_CANCEL_PROBE)
        service_probe_cancel(s);
    if (todo & SVC_DO_NEW_RUN) {
        s->why[0] = '\0';
        s->next_report = now + PROBE_UP_MS;
        if (s->sm.critical || s->sm.oneshot)
            critical_run_started(s);
    }
    if (todo & SVC_DO_GAVE_UP)
        gave_up(s);
    if ((todo & SVC_DO_STOP) && runit_control(s->dir, 'd') < 0 && (todo & SVC_DO_GAVE_UP))
        warning("cannot stop service %s: %s", s->name, strerror(errno));
    if ((todo & SVC_DO_WARN_DOWN) && s->loud) {
        char d[64];
        int ws = critical_pidfd_status(s);
        if (ws >= 0)
            warning("service %s %s.", s->name, describe_status(ws, d, sizeof d));
        else
            warning("service %s went down.", s->name);
    }
    if ((todo & SVC_DO_QUICK_EXIT) && s->loud)
        debug("service %s exited at once", s->name);
    if (todo & SVC_DO_LEARN_EXIT)
        critical_learn(s, st, now); /* its answer comes back through service_exit_known */
    if (todo & SVC_DO_CRITICAL) {
        critical_end(s, s->sm.exit_status);
        for (size_t i = 0; i < services.n; i++) /* nothing else ends unasked from now on */
            feed(&services.list[i], &(struct svc_event){.kind = SVC_EV_STOPPING}, now);
    }
    if (todo & SVC_DO_ONESHOT_FAILED)
        oneshot_failed(s, now);
    if (todo & SVC_DO_BACKOFF)
        backing_off(s, now);
    if (todo & SVC_DO_START)
        restart(s);
    if (todo & SVC_DO_KILL) {
        warning("service %s still up %lld ms after its stop signal (its stop-timeout): killing it", s->name,
                s->sm.stop_timeout_ms);
        if (runit_control(s->dir, 'k') < 0 && errno != ENOENT && errno != ENXIO)
            warning("cannot kill service %s: %s", s->name, strerror(errno));
    }
    if (todo & SVC_DO_PROBE)
        service_probe_start(s, now);
    if (todo & SVC_DO_READY) {
        said_ready(s, now);
        release_ready();
        notify_self_check();
    }
}

void service_notified(struct svc *s, pid_t run)
{
    feed(s, &(struct svc_event){.kind = SVC_EV_NOTIFIED, .pid = run}, now_ms());
}

void service_exit_known(struct svc *s, int ws)
{
    feed(s, &(struct svc_event){.kind = SVC_EV_EXIT_STATUS, .wait_status = ws}, now_ms());
}

/* what runsv says about s now */
static void look(struct svc *s, long long now)
{
    struct svc_event ev = {.kind = SVC_EV_STATUS};
    if (runit_read_status(s->dir, &ev.status) < 0)
        return;
    ev.stop_sent = ev.status.state == RUNIT_RUN && (ev.status.got_term || stop_hook_sent(s, ev.status.pid));
    bool skipped = s->enabled && service_skipped_itself(s->name, s->dir, &ev.status);
    if (skipped)
        s->enabled = false; /* it cannot run here (nonroot.c): nothing to wait for */
    feed(s, &ev, now);
    if (skipped) {
        /* and nothing to restart: the back-off its quick end may have begun is over */
        feed(s, &(struct svc_event){.kind = SVC_EV_SKIPPED}, now);
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", CINIT_NOTE_DIR, s->name);
        if (unlink(path) < 0 && errno != ENOENT)
            debug("cannot remove %s: %s", path, strerror(errno));
    }
    if (s->marker && s->sm.seen && runit_supervised(s->dir)) {
        /* runsv has read it: the service stays down until it is sent `u` */
        char path[PATH_MAX + 8];
        snprintf(path, sizeof path, "%s/down", s->dir);
        if (unlink(path) < 0 && errno != ENOENT)
            warning("cannot remove %s: %s", path, strerror(errno));
        s->marker = false;
    }
}

/* a probe's turn: if the run is still the one it is for */
static void begin_probe(struct svc *s, long long now)
{
    struct runit_status st;
    if (runit_read_status(s->dir, &st) < 0) {
        /* its supervise dir went (replaced, removed): a failed try, so that the next waits its
         * turn instead of coming back at once, and again */
        char why[300];
        snprintf(why, sizeof why, "cannot read its supervise/status: %s", strerror(errno));
        service_probed(s, false, why);
        return;
    }
    if (st.state != RUNIT_RUN || st.pid != s->sm.pid) {
        look(s, now);
        return;
    }
    feed(s, &(struct svc_event){.kind = SVC_EV_PROBE_DUE}, now);
}

void service_probed(struct svc *s, bool ok, const char *why)
{
    long long now = now_ms();
    feed(s, &(struct svc_event){.kind = SVC_EV_PROBED, .ok = ok}, now);
    if (!ok && s->sm.state == SVC_STARTING) {
        if (s->loud && now >= s->next_report) {
            info("Service %s is not ready yet (%s%s%s).", s->name, s->probe.kind == PROBE_CHECK ? "" : s->probe.text,
                 s->probe.kind == PROBE_CHECK ? "" : ": ", why);
            s->next_report = now + REPORT_EVERY_MS;
        }
        snprintf(s->why, sizeof s->why, "%s", why);
    }
    tick();
}

/* Does what is due, and arms the timer for what comes next. A probe's result can come back
 * while a tick starts it (a refused connect): that asks for one more pass, not a nested one. */
static void tick(void)
{
    static bool ticking, again_asked;
    if (ticking) {
        again_asked = true;
        return;
    }
    ticking = true;
    do {
        again_asked = false;
        tick_once();
    } while (again_asked);
    ticking = false;
}

static void tick_once(void)
{
    loop_timer_stop(&tick_timer);
    if (!services.active || cinit.shutting_down)
        return;
    long long now = now_ms();
    bool poll_due = unwatched && next_poll >= 0 && now >= next_poll;
    if (poll_due) {
        if (ifd >= 0)
            watch_all(true);
        poll_backoff = poll_backoff * 2 > SVC_BACKOFF_MAX_MS ? SVC_BACKOFF_MAX_MS : poll_backoff * 2;
        next_poll = unwatched ? now + poll_backoff : -1;
    }
    /* only the services an event or a new watch names, and at the poll's pace those no watch
     * speaks for: each look is an open and a read */
    bool all = all_dirty || ifd < 0, again = false;
    all_dirty = false;
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        bool due = s->next_look >= 0 && now >= s->next_look;
        if (!all && !s->dirty && !due && !(poll_due && s->polled && !s->watched))
            continue;
        s->dirty = false;
        s->next_look = -1;
        look(s, now);
        /* cinit's down file goes once runsv reads its fifo, which no status change may follow:
         * looked at again, less and less often */
        if (s->marker && s->sm.seen)
            s->dirty = again = true;
    }
    release_ready();
    long long next = unwatched ? next_poll : -1;
    if (again) {
        long long at = now + look_backoff;
        look_backoff = look_backoff * 2 > SVC_BACKOFF_MAX_MS ? SVC_BACKOFF_MAX_MS : look_backoff * 2;
        next = next < 0 || at < next ? at : next;
    }
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        if (s->sm.state == SVC_BACKOFF) {
            if (now >= s->sm.restart_at)
                feed(s, &(struct svc_event){.kind = SVC_EV_PROBE_DUE}, now);
            else if (next < 0 || s->sm.restart_at < next)
                next = s->sm.restart_at;
        }
        if (s->sm.state == SVC_STOPPING && s->sm.kill_at >= 0) {
            if (now >= s->sm.kill_at)
                feed(s, &(struct svc_event){.kind = SVC_EV_PROBE_DUE}, now);
            else if (next < 0 || s->sm.kill_at < next)
                next = s->sm.kill_at;
        }
        if (s->sm.state == SVC_STARTING && s->sm.next_probe >= 0 && now >= s->sm.next_probe)
            begin_probe(s, now);
        if (s->sm.state == SVC_STARTING && s->sm.next_probe >= 0 && (next < 0 || s->sm.next_probe < next))
            next = s->sm.next_probe;
        if (s->next_look >= 0 && (next < 0 || s->next_look < next))
            next = s->next_look;
    }
    if (next >= 0)
        loop_timer_at(&tick_timer, next);
}

static void tick_due(void *arg)
{
    (void)arg;
    tick();
}

bool services_notify_setup(void) { return services.active && service_notify_setup(); }
void services_notify_done(void) { env_unset(&env, "NOTIFY_SOCKET"); }

bool services_all_ready(void)
{
    if (!services.active)
        return true;
    for (size_t i = 0; i < services.n; i++)
        if (services.list[i].enabled && !svc_ready(&services.list[i].sm))
            return false;
    return true;
}

static bool all_ready_or_stop(void) { return cinit.stop_signal || services_all_ready(); }

bool services_wait_ready(long timeout_ms)
{
    if (!services.active || cinit.stop_signal)
        return !cinit.stop_signal;
    struct buf b = {0};
    size_t n = 0;
    tick();
    for (size_t i = 0; i < services.n; i++)
        if (services.list[i].enabled && !svc_ready(&services.list[i].sm))
            buf_addf(&b, "%s%s", n++ ? ", " : "", services.list[i].name);
    long long start = now_ms();
    if (n) {
        if (timeout_ms)
            info("Waiting up to %.3g s for %s to be ready: %s", (double)timeout_ms / 1000, n > 1 ? "services" : "service",
                 buf_cstr(&b));
        else
            info("Waiting for %s to be ready: %s", n > 1 ? "services" : "service", buf_cstr(&b));
    }
    buf_free(&b);
    bool ok = wait_until(all_ready_or_stop, timeout_ms ? start + timeout_ms : -1);
    if (cinit.stop_signal)
        return false;
    if (ok) {
        if (n)
            info("All services are ready (%.2f s).", (double)(now_ms() - start) / 1000);
        return true;
    }
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        if (!s->enabled || svc_ready(&s->sm))
            continue;
        char last[256] = "";
        bool has_last = runit_last_output(s->dir, last, sizeof last);
        bool held = s->sm.state == SVC_HELD, runs = s->sm.pid && !held;
        const char *state = held ? "still waiting for what it depends on" : s->sm.oneshot && s->sm.pid ? "its one run has not ended" : !s->sm.pid ? "not running" : s->why[0] ? s->why : "not ready";
        error("service %s is not ready after %.3g s: %s%s%s%s", s->name, (double)timeout_ms / 1000,
              s->probe.text[0] && runs ? s->probe.text : "", s->probe.text[0] && runs ? ": " : "",
              state, has_last ? "; its last output: " : "");
        if (has_last)
            error("  %s", last);
    }
    return false;
}

void services_stop(void)
{
    if (!services.active)
        return;
    services.active = false;
    loop_timer_stop(&tick_timer);
    if (ifd >= 0)
        loop_unwatch(ifd);
    /* the inotify instance stays open (close-on-exec): closing it costs a grace period */
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        service_probe_cancel(s);
        finish_remove(s);
        if (s->marker) {
            char path[PATH_MAX + 8];
            snprintf(path, sizeof path, "%s/down", s->dir);
            if (unlink(path) < 0 && errno != ENOENT)
                warning("cannot remove %s: %s", path, strerror(errno));
            s->marker = false;
        }
    }
}
