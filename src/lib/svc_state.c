#include "svc_state.h"

#include <string.h>

void svc_init(struct svc_sm *m, bool held)
{
    m->state = held ? SVC_HELD : SVC_DOWN;
    m->pid = 0;
    m->run_sec = m->down_sec = 0;
    m->run_nsec = m->down_nsec = 0;
    m->run_since = 0;
    m->asked = m->seen = m->expect_down = m->stopping = false;
    m->next_probe = -1;
    m->backoff = 0;
    m->nstarts = 0;
    m->exit_status = -1;
    m->quick_fails = 0;
    m->restart_at = -1;
    m->notified = 0;
    m->kill_at = -1;
}

const char *svc_state_name(enum svc_state s)
{
    static const char *const names[] = {"held", "down", "starting", "ready", "failed", "ending", "ended", "once", "done", "backoff", "stopping"};
    return (size_t)s < sizeof names / sizeof *names ? names[s] : "?";
}

bool svc_ready(const struct svc_sm *m) { return m->state == SVC_READY || m->state == SVC_DONE; }

/* A oneshot's statuses after its release: its run starts (followed, for its pidfd) and ends,
 * seen as a ./finish, a down status newer than the one before the release, or the end of the
 * run it followed; then its status is learnt. runsv never restarts it: `o` wants it down. */
static unsigned oneshot_status(struct svc_sm *m, const struct runit_status *st, long long now)
{
    if (m->state != SVC_ONCE)
        return 0; /* done, or failed: a later `sv once` of someone's is not this boot's run */
    if (st->state == RUNIT_RUN && st->pid > 0) {
        if (st->pid == m->pid)
            return 0;
        m->pid = st->pid;
        m->run_sec = st->since;
        m->run_nsec = st->nsec;
        m->run_since = now;
        return SVC_DO_NEW_RUN;
    }
    bool fresh_down = st->state == RUNIT_DOWN && (st->since != m->down_sec || st->nsec != m->down_nsec);
    if (!m->pid && st->state != RUNIT_FINISH && !fresh_down)
        return 0; /* the status from before its run */
    m->pid = 0;
    if (m->stopping) {
        m->state = SVC_DOWN; /* stopped by the shutdown: no verdict */
        return 0;
    }
    m->state = SVC_ENDING;
    return SVC_DO_LEARN_EXIT;
}

static unsigned become_ready(struct svc_sm *m)
{
    m->state = SVC_READY;
    m->next_probe = -1;
    return SVC_DO_READY;
}

/* the restart limit: one more unasked exit; SVC_DO_GAVE_UP | SVC_DO_STOP once it is over */
static unsigned count_exit(struct svc_sm *m, long long now)
{
    if (!m->restart_n || m->critical || m->state == SVC_FAILED)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < m->nstarts; i++)
        if (now - m->starts[i] < m->restart_window_ms)
            m->starts[k++] = m->starts[i];
    if (k == SVC_MAX_STARTS) /* restart_n is below it: the oldest is past counting */
        memmove(m->starts, m->starts + 1, --k * sizeof *m->starts);
    m->starts[k++] = now;
    m->nstarts = k;
    if ((long)k <= m->restart_n)
        return 0;
    m->state = SVC_FAILED;
    return SVC_DO_GAVE_UP | SVC_DO_STOP;
}

static unsigned new_run(struct svc_sm *m, const struct runit_status *st, long long now)
{
    m->pid = st->pid;
    m->run_sec = st->since;
    m->run_nsec = st->nsec;
    m->run_since = now;
    m->asked = false;
    if (m->state == SVC_FAILED)
        return SVC_DO_NEW_RUN; /* left down by cinit: someone's sv up, followed but not probed */
    m->state = SVC_STARTING;
    switch (m->probe) {
    case PROBE_NOW:
        return SVC_DO_NEW_RUN | become_ready(m);
    case PROBE_UP:
        m->next_probe = now + PROBE_UP_MS;
        break;
    case PROBE_CHECK:
        m->backoff = SVC_CHECK_BACKOFF_MIN_MS;
        m->next_probe = now;
        break;
    case PROBE_NOTIFY:
        m->next_probe = -1; /* no probe: its READY=1 says it */
        if (m->notified == st->pid)
            return SVC_DO_NEW_RUN | become_ready(m);
        break;
    default:
        m->backoff = SVC_BACKOFF_MIN_MS;
        m->next_probe = now;
        break;
    }
    return SVC_DO_NEW_RUN;
}

/* An unasked end of a run that lasted ran ms: the back-off when it failed at once. */
static unsigned back_off(struct svc_sm *m, long long ran, long long now)
{
    if (m->critical || m->state == SVC_FAILED || m->state == SVC_ENDING)
        return 0;
    if (ran >= SVC_STEADY_MS)
        m->quick_fails = 0;
    if (ran >= SVC_QUICK_MS)
        return 0;
    long long delay = SVC_RESTART_MIN_MS;
    for (int i = 0; i < m->quick_fails && delay < SVC_RESTART_MAX_MS; i++)
        delay *= 2;
    if (delay > SVC_RESTART_MAX_MS)
        delay = SVC_RESTART_MAX_MS;
    m->quick_fails++;
    m->state = SVC_BACKOFF;
    m->restart_at = now + delay;
    return SVC_DO_BACKOFF | SVC_DO_STOP;
}

static unsigned run_ended(struct svc_sm *m, long long now)
{
    bool was_ready = m->state == SVC_READY, unasked = !m->asked && !m->stopping;
    unsigned act = SVC_DO_CANCEL_PROBE;
    m->pid = 0;
    m->next_probe = -1;
    m->kill_at = -1;
    if (m->state != SVC_FAILED)
        m->state = SVC_DOWN;
    if (unasked)
        act |= count_exit(m, now);
    if (m->critical && unasked) {
        m->state = SVC_ENDING;
        return act | SVC_DO_STOP | SVC_DO_LEARN_EXIT; /* no restart meanwhile */
    }
    if (was_ready && unasked)
        act |= SVC_DO_WARN_DOWN;
    if (unasked)
        act |= back_off(m, now - m->run_since, now);
    return act;
}

/* The run it follows got its stop signal at run time (at shutdown service_stop.c times it). */
static unsigned stop_sent(struct svc_sm *m, long long now)
{
    m->asked = true;
    if ((m->state != SVC_STARTING && m->state != SVC_READY) || m->stopping)
        return 0;
    unsigned act = m->state == SVC_STARTING ? SVC_DO_CANCEL_PROBE : 0;
    m->state = SVC_STOPPING;
    m->next_probe = -1;
    m->kill_at = now + (m->stop_timeout_ms > 0 ? m->stop_timeout_ms : 0);
    return act;
}

static unsigned on_status(struct svc_sm *m, const struct svc_event *ev, long long now)
{
    const struct runit_status *st = &ev->status;
    if (st->since < m->boot_sec || (st->since == m->boot_sec && st->nsec < m->boot_nsec))
        return 0;
    bool first = !m->seen;
    m->seen = true;
    if (m->state == SVC_ENDING)
        return SVC_DO_LEARN_EXIT; /* its ./finish may have said it by now */
    if (m->state == SVC_ENDED)
        return 0;
    if (m->oneshot && m->state != SVC_HELD)
        return oneshot_status(m, st, now);
    unsigned act = 0;
    if (st->state == RUNIT_RUN && st->pid > 0) {
        if (st->pid != m->pid) {
            if (m->pid) {
                act |= run_ended(m, now);
                if (m->state == SVC_ENDING)
                    return act;
            }
            act |= new_run(m, st, now);
        }
        if (!st->want_up || st->got_term)
            m->asked = true;
        if (ev->stop_sent && m->pid == st->pid)
            act |= stop_sent(m, now);
        return act;
    }
    if (!st->want_up)
        m->asked = true;
    bool fresh_down = st->state == RUNIT_DOWN && (st->since != m->down_sec || st->nsec != m->down_nsec);
    if (st->state == RUNIT_DOWN) {
        m->down_sec = st->since;
        m->down_nsec = st->nsec;
    }
    if (m->pid) {
        act |= run_ended(m, now);
        m->expect_down = st->state == RUNIT_FINISH;
    } else if (fresh_down && m->expect_down) {
        m->expect_down = false;
    } else if (fresh_down && st->want_up && !first && !m->stopping) {
        /* a run that ended before it was seen to start */
        act |= count_exit(m, now);
        if (m->critical) {
            m->state = SVC_ENDING;
            act |= SVC_DO_STOP | SVC_DO_LEARN_EXIT;
        } else if (!(act & SVC_DO_GAVE_UP)) {
            act |= SVC_DO_QUICK_EXIT | back_off(m, 0, now);
        }
    }
    return act;
}

unsigned svc_step(struct svc_sm *m, const struct svc_event *ev, long long now)
{
    switch (ev->kind) {
    case SVC_EV_STATUS:
        return on_status(m, ev, now);
    case SVC_EV_PROBE_DUE:
        if (m->state == SVC_STOPPING) {
            if (m->kill_at < 0 || now < m->kill_at || m->stopping)
                return 0;
            m->kill_at = -1; /* once: runsv's KILL is not refused */
            return SVC_DO_KILL;
        }
        if (m->state == SVC_BACKOFF && !m->stopping && now >= m->restart_at) {
            m->state = SVC_DOWN;
            m->restart_at = -1;
            return SVC_DO_START;
        }
        if (m->state != SVC_STARTING || m->next_probe < 0 || now < m->next_probe)
            return 0;
        m->next_probe = -1; /* until the probe has said */
        return m->probe == PROBE_UP ? become_ready(m) : SVC_DO_PROBE;
    case SVC_EV_PROBED: {
        if (m->state != SVC_STARTING)
            return 0; /* for a run that is over */
        if (ev->ok)
            return become_ready(m);
        int max = m->probe == PROBE_CHECK ? SVC_CHECK_BACKOFF_MAX_MS : SVC_BACKOFF_MAX_MS;
        m->next_probe = now + m->backoff;
        m->backoff = m->backoff + m->backoff / 2 + 1 > max ? max : m->backoff + m->backoff / 2 + 1;
        return 0;
    }
    case SVC_EV_RELEASED:
        if (m->state == SVC_HELD)
            m->state = m->oneshot ? SVC_ONCE : SVC_DOWN;
        return 0;
    case SVC_EV_EXIT_STATUS:
        if (m->state != SVC_ENDING)
            return 0;
        if (m->oneshot) {
            m->exit_status = ev->wait_status;
            if (ev->wait_status == 0) {
                m->state = SVC_DONE;
                return SVC_DO_READY;
            }
            m->state = SVC_FAILED;
            return SVC_DO_ONESHOT_FAILED;
        }
        m->state = SVC_ENDED;
        m->exit_status = ev->wait_status;
        return SVC_DO_CRITICAL;
    case SVC_EV_STOPPING:
        m->stopping = true;
        return 0;
    case SVC_EV_SKIPPED:
        /* its quick end was its own choice: no back-off, no restart, nothing to wait for */
        m->asked = true;
        if (m->state == SVC_BACKOFF) {
            m->state = SVC_DOWN;
            m->restart_at = -1;
        }
        return 0;
    case SVC_EV_NOTIFIED:
        if (m->probe != PROBE_NOTIFY || ev->pid <= 0)
            return 0;
        if (m->pid != ev->pid) {
            m->notified = ev->pid; /* a run whose status is still to come */
            return 0;
        }
        return m->state == SVC_STARTING ? become_ready(m) : 0;
    }
    return 0;
}
