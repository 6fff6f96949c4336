/* The services at boot (cinit(8), "Services: readiness, order, health"): each service's files
 * read (depends, critical, ready/check), the dependencies checked (names, cycles), and the
 * services that wait for others held back with a down file of cinit's before runsvdir starts
 * (see services.c for how they are released). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cinit.h"
#include "probe.h"
#include "runit.h"
#include "services.h"

static struct svc *find(const char *name)
{
    for (size_t i = 0; i < services.n; i++)
        if (strcmp(services.list[i].name, name) == 0)
            return &services.list[i];
    return NULL;
}

/* a dependency cycle through s, as "a -> b -> a", into b */
static bool cycle_from(struct svc *s, struct svc **stack, size_t depth, struct buf *b)
{
    s->mark = 1;
    stack[depth] = s;
    for (size_t i = 0; i < s->ndeps; i++) {
        struct svc *d = &services.list[s->dep[i]];
        if (d->mark == 1) {
            size_t from = 0;
            while (stack[from] != d)
                from++;
            for (size_t k = from; k <= depth; k++)
                buf_addf(b, "%s -> ", stack[k]->name);
            buf_adds(b, d->name);
            return true;
        }
        if (d->mark == 0 && cycle_from(d, stack, depth + 1, b))
            return true;
    }
    s->mark = 2;
    return false;
}

/* stop-signal (a signal name or number) and stop-timeout (seconds): a bad one is a boot error */
static bool stop_settings(struct svc *s)
{
    char path[PATH_MAX + 16];
    s->stop_sig = SIGTERM;
    s->stop_ms = -1;
    snprintf(path, sizeof path, "%s/stop-signal", s->dir);
    char **w = runit_read_list(path);
    bool ok = w != NULL;
    if (!w)
        error("cannot read %s: %s", path, strerror(errno));
    else if (w[0] && ((s->stop_sig = signal_parse(w[0])) <= 0 || s->stop_sig == SIGSTOP)) {
        error("service %s: stop-signal '%s' is not a signal name or number", s->name, w[0]);
        s->stop_sig = SIGTERM;
        ok = false;
    }
    runit_free_list(w);
    snprintf(path, sizeof path, "%s/stop-timeout", s->dir);
    w = runit_read_list(path);
    if (!w) {
        error("cannot read %s: %s", path, strerror(errno));
        ok = false;
    } else if (w[0] && !parse_seconds_ms(w[0], MAX_TIMEOUT_S, &s->stop_ms)) {
        error("service %s: stop-timeout '%s' is not a number of seconds (0 to %ld)", s->name, w[0], MAX_TIMEOUT_S);
        s->stop_ms = -1;
        ok = false;
    }
    runit_free_list(w);
    return ok;
}

/* RESTARTS/SECONDS, as CINIT_RESTART_LIMIT and a restart-limit file write it */
static bool limit_parse(const char *v, long *n_out, long *window_ms)
{
    const char *slash = strchr(v, '/');
    char n[32];
    if (!slash || (size_t)(slash - v) >= sizeof n)
        return false;
    memcpy(n, v, (size_t)(slash - v));
    n[slash - v] = '\0';
    return parse_long(n, 1, MAX_STARTS - 1, n_out) && parse_seconds_ms(slash + 1, MAX_TIMEOUT_S, window_ms) && *window_ms > 0;
}

static bool parse_limit(void)
{
    const char *v = cinit_getenv("CINIT_RESTART_LIMIT");
    if (!v || !*v || limit_parse(v, &services.restart_n, &services.restart_window_ms))
        return true;
    error("CINIT_RESTART_LIMIT='%s' is not RESTARTS/SECONDS (e.g. 5/60, at most %d restarts)", v, MAX_STARTS - 1);
    return false;
}

/* a restart-limit file: the service's own limit instead of CINIT_RESTART_LIMIT */
static bool own_limit(struct svc *s, long *n, long *window_ms)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/restart-limit", s->dir);
    char **w = runit_read_list(path);
    bool ok = true;
    if (!w) {
        error("cannot read %s: %s", path, strerror(errno));
        ok = false;
    } else if (w[0]) {
        s->own_limit = limit_parse(w[0], n, window_ms);
        if (!s->own_limit) {
            error("service %s: restart-limit '%s' is not RESTARTS/SECONDS (e.g. 5/60, at most %d restarts)", s->name, w[0],
                  MAX_STARTS - 1);
            ok = false;
        }
    }
    runit_free_list(w);
    return ok;
}

void services_env(void)
{
    if (!parse_limit())
        exit(2);
}

bool services_prepare(bool waiting)
{
    char **names = runit_services(SERVICE_DIR);
    if (!names)
        return true; /* runsvdir will say what is wrong with it */
    services.n = runit_list_len(names);
    services.list = calloc(services.n ? services.n : 1, sizeof *services.list);
    if (!services.list)
        die(1, "out of memory");
    /* every service is followed: the restart back-off is for all of them */
    bool ok = true, any = true;
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        s->name = names[i];
        s->pidfd = -1;
        s->next_look = -1;
        s->pr.out_fd = s->pr.io.fd = -1;
        snprintf(s->dir, sizeof s->dir, "%s/%s", SERVICE_DIR, s->name);
        char path[PATH_MAX + 16], err[512];
        snprintf(path, sizeof path, "%s/depends", s->dir);
        s->deps = runit_read_list(path);
        if (!s->deps) {
            error("cannot read %s: %s", path, strerror(errno));
            s->deps = runit_parse_list("", 0);
            ok = false;
        }
        s->ndeps = runit_list_len(s->deps);
        s->sm.critical = runit_has_file(s->dir, "critical");
        s->sm.oneshot = runit_has_file(s->dir, "oneshot");
        if (!stop_settings(s))
            ok = false;
        long lim_n = services.restart_n, lim_ms = services.restart_window_ms;
        if (!own_limit(s, &lim_n, &lim_ms))
            ok = false;
        s->sm.restart_n = lim_n;
        s->sm.restart_window_ms = lim_ms;
        bool held;
        s->enabled = !runit_has_down(s->dir, &held) || held;
        if (!probe_for_service(s->dir, &s->probe, err, sizeof err)) {
            error("service %s: %s", s->name, err);
            ok = false;
        }
        s->loud = s->ndeps || s->sm.critical || s->sm.oneshot || runit_has_file(s->dir, "ready") ||
                  s->probe.notify_fd > 0 || waiting;
        snprintf(path, sizeof path, "%s/%s", CINIT_NOTE_DIR, s->name);
        if (unlink(path) < 0 && errno != ENOENT) /* what an earlier boot noted is not true now */
            debug("cannot remove %s: %s", path, strerror(errno));
        any |= s->loud;
        snprintf(path, sizeof path, "%s/down", s->dir);
        if (held && !s->ndeps && !s->sm.oneshot && unlink(path) < 0 && errno != ENOENT) /* left from an earlier boot */
            warning("cannot remove %s: %s", path, strerror(errno));
    }
    free(names); /* the strings now belong to svcs */
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        s->dep = calloc(s->ndeps ? s->ndeps : 1, sizeof *s->dep);
        if (!s->dep)
            die(1, "out of memory");
        for (size_t k = 0; k < s->ndeps; k++) {
            struct svc *d = find(s->deps[k]);
            if (!d) {
                error("service %s depends on %s, which is not a service in %s", s->name, s->deps[k], SERVICE_DIR);
                ok = false;
                continue;
            }
            s->dep[k] = (size_t)(d - services.list);
            d->loud = true;
            if (!d->enabled)
                warning("service %s depends on %s, which is disabled (down file): it waits until %s is up", s->name,
                        d->name, d->name);
        }
    }
    if (ok) {
        struct svc **stack = calloc(services.n + 1, sizeof *stack);
        if (!stack)
            die(1, "out of memory");
        for (size_t i = 0; i < services.n && ok; i++) {
            struct buf b = {0};
            if (services.list[i].mark == 0 && cycle_from(&services.list[i], stack, 0, &b)) {
                error("services depend on each other in a cycle: %s", buf_cstr(&b));
                ok = false;
            }
            buf_free(&b);
        }
        free(stack);
    }
    if (!ok)
        return false;
    services.active = any;
    for (size_t i = 0; i < services.n; i++)
        stop_hook_install(&services.list[i]);
    if (!services.active)
        return true;
    clock_gettime(CLOCK_REALTIME, &services.boot);
    for (size_t i = 0; i < services.n; i++) {
        struct svc_sm *m = &services.list[i].sm;
        svc_init(m, false);
        m->probe = services.list[i].probe.kind;
        m->stop_timeout_ms = services.list[i].stop_ms >= 0 ? services.list[i].stop_ms : opt.kill_process_ms;
        /* a status, or a record of critical.c, older than this boot is none of this one's */
        m->boot_sec = m->run_sec = services.boot.tv_sec;
        m->boot_nsec = m->run_nsec = services.boot.tv_nsec;
    }
    /* held back until their dependencies are ready (see the top of this file); a oneshot is
     * held too, even with none: runsv would start it as a service, cinit releases it with `o` */
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        if ((!s->ndeps && !s->sm.oneshot) || !s->enabled)
            continue;
        char path[PATH_MAX + 8];
        snprintf(path, sizeof path, "%s/down", s->dir);
        if (runit_has_down(s->dir, NULL) && unlink(path) < 0) { /* our own, from an earlier boot */
            error("cannot replace %s: %s", path, strerror(errno));
            return false;
        }
        if (atomic_write(path, RUNIT_HELD_MARK, strlen(RUNIT_HELD_MARK), 0644, (uid_t)-1, (gid_t)-1) < 0) {
            if (!s->ndeps)
                error("cannot hold oneshot service %s until cinit runs it: cannot write %s: %s", s->name, path, strerror(errno));
            else
                error("cannot hold service %s until %s %s ready: cannot write %s: %s", s->name, s->ndeps > 1 ? "its dependencies" : s->deps[0],
                      s->ndeps > 1 ? "are" : "is", path, strerror(errno));
            return false;
        }
        s->sm.state = SVC_HELD;
        s->marker = true;
        debug("service %s held until its dependencies are ready", s->name);
    }
    for (size_t i = 0; i < services.n; i++) {
        struct svc *s = &services.list[i];
        if (s->sm.critical || s->sm.oneshot) /* how its run ended is what counts */
            finish_install(s);
    }
    return true;
}

