/* The services' stop at shutdown, in order (#30.2): a service is told to stop (`d`, and its
 * runsv TERM, so that runsv exits once it is down) only once every service that depends on it
 * is down; services that nothing running depends on stop together. Each then has its own
 * stop-timeout (KILL_PROCESS_TIMEOUT by default), within the services' share of the shutdown's
 * budget, after which runsv is told `k` (SIGKILL). runit.c drives it: it asks whether a
 * runsv's TERM is to wait for its service's turn, and calls stop_order_progress whenever a
 * supervise dir changes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cinit.h"
#include "runit.h"
#include "services.h"

struct turn {
    bool told;
    long long told_at;
    struct loop_timer timer; /* its stop-timeout */
};
static struct turn *turns;
static long long phase_end;

/* down: runsv says so, or no runsv looks after it any more */
static bool is_down(const struct svc *s) { return service_down(s->name) || !runit_supervised(s->dir); }

static bool dependants_down(size_t i)
{
    for (size_t j = 0; j < services.n; j++) {
        const struct svc *t = &services.list[j];
        for (size_t k = 0; k < t->ndeps; k++)
            if (t->dep[k] == i && j != i && !is_down(t))
                return false;
    }
    return true;
}

static void too_slow(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    struct svc *s = &services.list[i];
    if (is_down(s))
        return;
    warning("service %s still up %lld ms after its stop signal: killing it", s->name, now_ms() - turns[i].told_at);
    if (runit_control(s->dir, 'k') < 0 && errno != ENOENT && errno != ENXIO)
        warning("cannot kill service %s: %s", s->name, strerror(errno));
}

static void tell(size_t i)
{
    struct svc *s = &services.list[i];
    struct turn *t = &turns[i];
    t->told = true;
    t->told_at = now_ms();
    long long due = t->told_at + (s->stop_ms >= 0 ? s->stop_ms : opt.kill_process_ms);
    debug("stopping service %s", s->name);
    /* its runsv's TERM stops it as `x` does (one stop signal, not a second from a `d`); a
     * service whose runsv is not known gets `d` */
    if (!runsv_release(s->name) && runit_control(s->dir, 'd') < 0 && errno != ENOENT && errno != ENXIO)
        warning("cannot stop service %s: %s", s->name, strerror(errno));
    t->timer = (struct loop_timer){.fn = too_slow, .arg = (void *)(uintptr_t)i};
    loop_timer_at(&t->timer, due < phase_end ? due : phase_end);
}

void stop_order_progress(void)
{
    if (!turns)
        return;
    for (size_t i = 0; i < services.n; i++)
        if (!turns[i].told && dependants_down(i))
            tell(i);
}

bool stop_order_begin(long long end)
{
    if (!services.list || !services.n)
        return false;
    turns = calloc(services.n, sizeof *turns);
    if (!turns) {
        warning("no memory for the stop order: every service stops at once");
        return false;
    }
    phase_end = end;
    return true;
}

bool stop_order_waits(const char *name)
{
    if (!turns)
        return false;
    for (size_t i = 0; i < services.n; i++)
        if (strcmp(services.list[i].name, name) == 0)
            return !turns[i].told;
    return false;
}

void stop_order_end(void)
{
    if (!turns)
        return;
    for (size_t i = 0; i < services.n; i++) {
        loop_timer_stop(&turns[i].timer);
        stop_hook_remove(&services.list[i]);
    }
    free(turns);
    turns = NULL;
}
