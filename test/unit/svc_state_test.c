/* Unit tests (TAP) of a service's state machine (src/lib/svc_state.c): sequences of runit
 * statuses, probe turns and results, releases and critical ends, as cinit feeds them. */
#include "svc_state.h"
#include "tap.h"

#include <string.h>

#define BOOT 1000 /* the boot's Unix second: statuses from before it are an earlier boot's */

static struct svc_sm machine(enum probe_kind kind, bool critical, bool held)
{
    struct svc_sm m;
    memset(&m, 0, sizeof m);
    svc_init(&m, held);
    m.probe = kind;
    m.critical = critical;
    m.boot_sec = m.run_sec = BOOT;
    return m;
}

/* a status: state, pid, want up, got TERM, changed at second `at` of the boot */
static unsigned status(struct svc_sm *m, enum runit_state state, pid_t pid, bool want_up, bool term, long long at,
                       long long now)
{
    struct svc_event ev = {.kind = SVC_EV_STATUS,
                           .status = {.since = BOOT + at, .pid = pid, .want_up = want_up, .got_term = term, .state = state}};
    return svc_step(m, &ev, now);
}

static unsigned event(struct svc_sm *m, enum svc_event_kind kind, bool ok_, int ws, long long now)
{
    struct svc_event ev = {.kind = kind, .ok = ok_, .wait_status = ws};
    return svc_step(m, &ev, now);
}

static void test_no_probe(void)
{
    struct svc_sm m = machine(PROBE_UP, false, false);
    ok(m.state == SVC_DOWN && strcmp(svc_state_name(m.state), "down") == 0, "a machine starts down");
    unsigned a = status(&m, RUNIT_RUN, 10, true, false, 1, 0);
    ok(a == SVC_DO_NEW_RUN && m.state == SVC_STARTING && m.pid == 10, "RUN: a new run, starting");
    ok(m.next_probe == PROBE_UP_MS, "without a probe its turn comes after %d ms", PROBE_UP_MS);
    ok(event(&m, SVC_EV_PROBE_DUE, false, 0, PROBE_UP_MS - 1) == 0 && m.state == SVC_STARTING, "not before");
    ok(event(&m, SVC_EV_PROBE_DUE, false, 0, PROBE_UP_MS) == SVC_DO_READY && m.state == SVC_READY, "then ready");
    ok(status(&m, RUNIT_RUN, 10, true, false, 1, 2000) == 0, "the same status again changes nothing");
    a = status(&m, RUNIT_DOWN, 0, true, false, 3, 3000);
    ok(a == (SVC_DO_CANCEL_PROBE | SVC_DO_WARN_DOWN) && m.state == SVC_DOWN && m.pid == 0,
       "a ready run that ends unasked: down, and said");
}

static void test_ready_file_probe(void)
{
    struct svc_sm m = machine(PROBE_TCP, false, false);
    status(&m, RUNIT_RUN, 20, true, false, 1, 100);
    ok(m.next_probe == 100, "a tcp probe's first turn is at once");
    ok(event(&m, SVC_EV_PROBE_DUE, false, 0, 100) == SVC_DO_PROBE && m.next_probe == -1, "its turn: a probe, none due");
    ok(event(&m, SVC_EV_PROBED, false, 0, 101) == 0 && m.next_probe == 101 + SVC_BACKOFF_MIN_MS,
       "refused: the next in %d ms", SVC_BACKOFF_MIN_MS);
    long long last = 0;
    for (int i = 0; i < 30; i++) {
        long long now = 200 + i * 1000;
        event(&m, SVC_EV_PROBE_DUE, false, 0, now);
        event(&m, SVC_EV_PROBED, false, 0, now);
        last = m.next_probe - now;
    }
    ok(last == SVC_BACKOFF_MAX_MS, "the delay grows to at most %d ms (%lld)", SVC_BACKOFF_MAX_MS, last);
    ok(event(&m, SVC_EV_PROBED, true, 0, 40000) == SVC_DO_READY && m.state == SVC_READY, "accepted: ready");
    ok(event(&m, SVC_EV_PROBED, false, 0, 40001) == 0 && m.state == SVC_READY, "a late result changes nothing");

    struct svc_sm c = machine(PROBE_CHECK, false, false);
    status(&c, RUNIT_RUN, 21, true, false, 1, 0);
    event(&c, SVC_EV_PROBE_DUE, false, 0, 0);
    event(&c, SVC_EV_PROBED, false, 0, 0);
    ok(c.next_probe == SVC_CHECK_BACKOFF_MIN_MS, "./check: the first retry after %d ms", SVC_CHECK_BACKOFF_MIN_MS);

    struct svc_sm n = machine(PROBE_NOW, false, false);
    ok(status(&n, RUNIT_RUN, 22, true, false, 1, 0) == (SVC_DO_NEW_RUN | SVC_DO_READY), "ready: up is ready at once");
}

static void test_asked(void)
{
    struct svc_sm m = machine(PROBE_NOW, false, false);
    status(&m, RUNIT_RUN, 30, true, false, 1, 0);
    ok(status(&m, RUNIT_RUN, 30, false, true, 1, 10) == 0 && m.asked, "sv down (want down, TERM): asked");
    ok(status(&m, RUNIT_DOWN, 0, false, false, 2, 20) == SVC_DO_CANCEL_PROBE && m.state == SVC_DOWN,
       "its end is not warned about");
    ok(status(&m, RUNIT_RUN, 31, true, false, 3, 30) == (SVC_DO_NEW_RUN | SVC_DO_READY) && !m.asked,
       "sv up: a new run, not asked");
}

static void test_finish_and_restart(void)
{
    struct svc_sm m = machine(PROBE_UP, false, false);
    /* (runs of 2 s: no back-off) */
    status(&m, RUNIT_RUN, 40, true, false, 1, 0);
    ok(status(&m, RUNIT_FINISH, 41, true, false, 1, 2000) == SVC_DO_CANCEL_PROBE && m.expect_down, "./finish runs");
    ok(status(&m, RUNIT_DOWN, 0, true, false, 2, 2010) == 0 && !m.expect_down, "the down after it is the same end");
    ok(status(&m, RUNIT_RUN, 42, true, false, 3, 2020) == SVC_DO_NEW_RUN && m.pid == 42, "runsv's restart: a new run");
    unsigned a = status(&m, RUNIT_RUN, 43, true, false, 5, 4100);
    ok(a == (SVC_DO_CANCEL_PROBE | SVC_DO_NEW_RUN) && m.pid == 43, "a pid seen to change: one ended, one began");
    status(&m, RUNIT_DOWN, 0, true, false, 6, 6200);
    a = status(&m, RUNIT_DOWN, 0, true, false, 8, 6300);
    ok(a == (SVC_DO_QUICK_EXIT | SVC_DO_BACKOFF | SVC_DO_STOP) && m.state == SVC_BACKOFF,
       "a fresh down with no run seen: it exited at once, and is left down for its back-off");
    ok(status(&m, RUNIT_DOWN, 0, true, false, 8, 6310) == 0, "the same down twice is one");
    ok(status(&m, RUNIT_RUN, 44, true, false, -5, 6320) == 0 && m.pid == 0, "a status from an earlier boot is ignored");
}

static void test_restart_limit(void)
{
    struct svc_sm m = machine(PROBE_UP, false, false);
    m.restart_n = 2;
    m.restart_window_ms = 30000;
    unsigned a = 0;
    for (int i = 0; i < 3; i++) {
        status(&m, RUNIT_RUN, 50 + i, true, false, 1 + 2 * i, i * 3000);
        a = status(&m, RUNIT_DOWN, 0, true, false, 2 + 2 * i, i * 3000 + 1500);
        ok(m.state == (i < 2 ? SVC_DOWN : SVC_FAILED), "unasked exit %d of 2 allowed: %s", i + 1, svc_state_name(m.state));
    }
    ok((a & (SVC_DO_GAVE_UP | SVC_DO_STOP)) == (SVC_DO_GAVE_UP | SVC_DO_STOP), "the third: left down, said, stopped");
    a = status(&m, RUNIT_RUN, 60, true, false, 9, 10000);
    ok(a == SVC_DO_NEW_RUN && m.state == SVC_FAILED && m.next_probe == -1, "an sv up of it is followed, not probed");

    struct svc_sm w = machine(PROBE_UP, false, false);
    w.restart_n = 2;
    w.restart_window_ms = 1000;
    for (int i = 0; i < 5; i++) {
        status(&w, RUNIT_RUN, 70 + i, true, false, 1 + 2 * i, i * 2200);
        status(&w, RUNIT_DOWN, 0, true, false, 2 + 2 * i, i * 2200 + 1100);
    }
    ok(w.state == SVC_DOWN, "exits further apart than the window never add up");
}

static void test_critical(void)
{
    struct svc_sm m = machine(PROBE_UP, true, false);
    m.restart_n = 1;
    m.restart_window_ms = 1000;
    status(&m, RUNIT_RUN, 80, true, false, 1, 0);
    unsigned a = status(&m, RUNIT_FINISH, 0, true, false, 1, 500);
    ok(a == (SVC_DO_CANCEL_PROBE | SVC_DO_STOP | SVC_DO_LEARN_EXIT) && m.state == SVC_ENDING,
       "a critical run that ends unasked: stopped, its status to be learnt (no restart limit for it)");
    ok(status(&m, RUNIT_FINISH, 81, false, false, 1, 510) == SVC_DO_LEARN_EXIT, "each status while ending: learn again");
    ok(status(&m, RUNIT_DOWN, 0, false, false, 2, 520) == SVC_DO_LEARN_EXIT && m.state == SVC_ENDING, "still ending");
    a = event(&m, SVC_EV_EXIT_STATUS, false, 3 << 8, 530);
    ok(a == SVC_DO_CRITICAL && m.state == SVC_ENDED && m.exit_status == 3 << 8, "its status known: the container ends with it");
    ok(status(&m, RUNIT_RUN, 82, true, false, 3, 540) == 0 && event(&m, SVC_EV_EXIT_STATUS, false, 0, 550) == 0,
       "nothing more after that");

    struct svc_sm asked = machine(PROBE_UP, true, false);
    status(&asked, RUNIT_RUN, 90, true, false, 1, 0);
    status(&asked, RUNIT_RUN, 90, false, true, 1, 10);
    ok(status(&asked, RUNIT_DOWN, 0, false, false, 2, 20) == SVC_DO_CANCEL_PROBE && asked.state == SVC_DOWN,
       "a critical service stopped with sv down ends nothing");

    struct svc_sm quick = machine(PROBE_UP, true, false);
    status(&quick, RUNIT_DOWN, 0, true, false, 1, 0);
    a = status(&quick, RUNIT_DOWN, 0, true, false, 2, 10);
    ok(a == (SVC_DO_STOP | SVC_DO_LEARN_EXIT) && quick.state == SVC_ENDING,
       "a critical run that ended before it was seen: its status is learnt too");

    struct svc_sm stopping = machine(PROBE_UP, true, false);
    status(&stopping, RUNIT_RUN, 95, true, false, 1, 0);
    event(&stopping, SVC_EV_STOPPING, false, 0, 5);
    ok(status(&stopping, RUNIT_DOWN, 0, true, false, 2, 10) == SVC_DO_CANCEL_PROBE && stopping.state == SVC_DOWN,
       "once the container goes down, an end is not unasked");
}

static void test_held(void)
{
    struct svc_sm m = machine(PROBE_TCP, false, true);
    ok(m.state == SVC_HELD, "a service that depends on others starts held");
    ok(status(&m, RUNIT_DOWN, 0, false, false, 1, 0) == 0 && m.state == SVC_HELD, "its down status keeps it held");
    event(&m, SVC_EV_RELEASED, false, 0, 10);
    ok(m.state == SVC_DOWN, "released (sent u): down until its run is seen");
    ok(status(&m, RUNIT_RUN, 100, true, false, 2, 20) == SVC_DO_NEW_RUN && m.state == SVC_STARTING, "then starting");
    ok(event(&m, SVC_EV_RELEASED, false, 0, 30) == 0 && m.state == SVC_STARTING, "a second release changes nothing");
    ok(strcmp(svc_state_name((enum svc_state)99), "?") == 0, "an unknown state has a name too");
}

static struct svc_sm oneshot(void)
{
    struct svc_sm m = machine(PROBE_UP, false, true);
    m.oneshot = true;
    status(&m, RUNIT_DOWN, 0, false, false, 1, 0); /* runsv's first status: held by cinit's down file */
    event(&m, SVC_EV_RELEASED, false, 0, 10);
    return m;
}

static void test_oneshot(void)
{
    struct svc_sm m = oneshot();
    ok(m.state == SVC_ONCE && strcmp(svc_state_name(m.state), "once") == 0, "a oneshot released (sent o): once");
    ok(status(&m, RUNIT_DOWN, 0, false, false, 1, 20) == 0 && m.state == SVC_ONCE, "the status from before its run changes nothing");
    ok(status(&m, RUNIT_RUN, 200, false, false, 2, 30) == SVC_DO_NEW_RUN && m.state == SVC_ONCE && m.pid == 200,
       "its run: followed, not probed, and not ready");
    ok(!svc_ready(&m), "what depends on it waits");
    unsigned a = status(&m, RUNIT_DOWN, 0, false, false, 3, 40);
    ok(a == SVC_DO_LEARN_EXIT && m.state == SVC_ENDING, "its run ended (want down: asked by `o`): its status is learnt");
    a = event(&m, SVC_EV_EXIT_STATUS, false, 0, 50);
    ok(a == SVC_DO_READY && m.state == SVC_DONE && svc_ready(&m), "exit 0: done, and ready for what depends on it");
    ok(status(&m, RUNIT_RUN, 201, false, false, 4, 60) == 0 && m.state == SVC_DONE, "a later run (sv once) changes nothing");

    struct svc_sm f = oneshot();
    status(&f, RUNIT_RUN, 210, false, false, 2, 30);
    ok(status(&f, RUNIT_FINISH, 210, false, false, 2, 40) == SVC_DO_LEARN_EXIT, "a run ended into ./finish: learnt too");
    a = event(&f, SVC_EV_EXIT_STATUS, false, 3 << 8, 50);
    ok(a == SVC_DO_ONESHOT_FAILED && f.state == SVC_FAILED && f.exit_status == 3 << 8 && !svc_ready(&f),
       "exit 3: failed, the boot fails with its status");

    struct svc_sm q = oneshot();
    ok(status(&q, RUNIT_DOWN, 0, false, false, 2, 30) == SVC_DO_LEARN_EXIT && q.state == SVC_ENDING,
       "a run that ended before it was seen: a newer down status");
    a = event(&q, SVC_EV_EXIT_STATUS, false, -1, 40);
    ok(a == SVC_DO_ONESHOT_FAILED && q.state == SVC_FAILED, "its status unknown: failed");

    struct svc_sm s = oneshot();
    status(&s, RUNIT_RUN, 220, false, false, 2, 30);
    event(&s, SVC_EV_STOPPING, false, 0, 35);
    ok(status(&s, RUNIT_DOWN, 0, false, false, 3, 40) == 0 && s.state == SVC_DOWN, "stopped by the shutdown: no verdict");

    struct svc_sm h = machine(PROBE_UP, false, true);
    h.oneshot = true;
    ok(status(&h, RUNIT_DOWN, 0, false, false, 1, 0) == 0 && h.state == SVC_HELD, "held until released, like any");
}

static void test_backoff(void)
{
    struct svc_sm m = machine(PROBE_UP, false, false);
    long long now = 0, expect[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
    bool doubling = true;
    for (int i = 0; i < 7; i++) {
        status(&m, RUNIT_RUN, 300 + i, true, false, 1 + 2 * i, now);
        unsigned a = status(&m, RUNIT_DOWN, 0, true, false, 2 + 2 * i, now + 100);
        doubling &= a == (SVC_DO_CANCEL_PROBE | SVC_DO_BACKOFF | SVC_DO_STOP) && m.state == SVC_BACKOFF &&
                    m.restart_at == now + 100 + expect[i];
        now = m.restart_at;
        doubling &= event(&m, SVC_EV_PROBE_DUE, false, 0, now - 1) == 0 && m.state == SVC_BACKOFF;
        doubling &= event(&m, SVC_EV_PROBE_DUE, false, 0, now) == SVC_DO_START && m.state == SVC_DOWN;
    }
    ok(doubling, "runs that fail at once: left down 1, 2, 4, 8, 16, then 30 s at most, started (u) when it is over");
    status(&m, RUNIT_RUN, 400, true, false, 20, now);
    ok(status(&m, RUNIT_DOWN, 0, true, false, 21, now + 5000) == SVC_DO_CANCEL_PROBE && m.quick_fails == 7,
       "a run of 5 s that fails: restarted by runsv at once, the count kept");
    now += 5000;
    status(&m, RUNIT_RUN, 401, true, false, 22, now);
    status(&m, RUNIT_DOWN, 0, true, false, 23, now + SVC_STEADY_MS);
    now += SVC_STEADY_MS;
    ok(m.quick_fails == 0 && m.state == SVC_DOWN, "a run that stayed up %d s: the count starts again", SVC_STEADY_MS / 1000);
    status(&m, RUNIT_RUN, 402, true, false, 24, now);
    status(&m, RUNIT_DOWN, 0, true, false, 25, now + 10);
    ok(m.restart_at == now + 10 + 1000, "then 1 s again");

    struct svc_sm s = machine(PROBE_UP, false, false);
    status(&s, RUNIT_RUN, 500, true, false, 1, 0);
    status(&s, RUNIT_DOWN, 0, true, false, 2, 10);
    event(&s, SVC_EV_STOPPING, false, 0, 20);
    ok(event(&s, SVC_EV_PROBE_DUE, false, 0, 5000) == 0 && s.state == SVC_BACKOFF, "no restart once the container goes down");

    struct svc_sm k = machine(PROBE_UP, false, false);
    status(&k, RUNIT_RUN, 520, true, false, 1, 0);
    status(&k, RUNIT_DOWN, 0, true, false, 2, 10);
    event(&k, SVC_EV_SKIPPED, false, 0, 20);
    ok(k.state == SVC_DOWN && event(&k, SVC_EV_PROBE_DUE, false, 0, 5000) == 0 &&
           status(&k, RUNIT_DOWN, 0, false, false, 3, 5010) == 0,
       "a service that took itself down (cannot run here): its back-off is over, never restarted");

    struct svc_sm c = machine(PROBE_UP, true, false);
    status(&c, RUNIT_RUN, 510, true, false, 1, 0);
    ok(!(status(&c, RUNIT_DOWN, 0, true, false, 2, 10) & SVC_DO_BACKOFF) && c.state == SVC_ENDING, "a critical one ends the container instead");
}

/* a status whose run got its stop signal (stop_sent: runsv's TERM, or cinit's control/t) */
static unsigned stop_status(struct svc_sm *m, pid_t pid, bool want_up, bool term, long long at, long long now)
{
    struct svc_event ev = {.kind = SVC_EV_STATUS,
                           .status = {.since = BOOT + at, .pid = pid, .want_up = want_up, .got_term = term, .state = RUNIT_RUN},
                           .stop_sent = true};
    return svc_step(m, &ev, now);
}

static void test_stop_timeout(void)
{
    struct svc_sm m = machine(PROBE_UP, false, false);
    m.stop_timeout_ms = 3000;
    status(&m, RUNIT_RUN, 600, true, false, 1, 0);
    event(&m, SVC_EV_PROBE_DUE, false, 0, PROBE_UP_MS);
    ok(m.state == SVC_READY, "a ready run");
    ok(status(&m, RUNIT_RUN, 600, false, false, 2, 1000) == 0 && m.state == SVC_READY,
       "sv down with a stop hook still to run (want down, no TERM yet): still ready");
    ok(stop_status(&m, 600, false, true, 2, 1001) == 0 && m.state == SVC_STOPPING && m.kill_at == 4001 && !svc_ready(&m),
       "its stop signal sent: stopping, not ready, killed %lld ms later", m.stop_timeout_ms);
    ok(stop_status(&m, 600, false, true, 2, 1500) == 0 && m.kill_at == 4001, "the same status again: the time is kept");
    ok(event(&m, SVC_EV_PROBE_DUE, false, 0, 4000) == 0 && m.state == SVC_STOPPING, "not before its stop-timeout");
    ok(event(&m, SVC_EV_PROBE_DUE, false, 0, 4001) == SVC_DO_KILL && m.kill_at == -1, "then killed (k)");
    ok(event(&m, SVC_EV_PROBE_DUE, false, 0, 5000) == 0, "once");
    unsigned a = status(&m, RUNIT_DOWN, 0, false, false, 5, 5001);
    ok(!(a & (SVC_DO_WARN_DOWN | SVC_DO_BACKOFF)) && m.state == SVC_DOWN, "its end: down, asked for, no back-off");

    struct svc_sm t = machine(PROBE_TCP, false, false);
    t.stop_timeout_ms = 3000;
    status(&t, RUNIT_RUN, 610, true, false, 1, 0);
    ok(stop_status(&t, 610, true, true, 2, 100) == SVC_DO_CANCEL_PROBE && t.state == SVC_STOPPING,
       "sv restart of a run still starting: its probe is cancelled, stopping");
    a = status(&t, RUNIT_RUN, 611, true, false, 3, 200);
    ok((a & SVC_DO_NEW_RUN) && !(a & SVC_DO_BACKOFF) && t.state == SVC_STARTING && t.kill_at == -1,
       "runsv's next run: starting, nothing left to kill");

    struct svc_sm o = machine(PROBE_UP, false, false);
    o.stop_timeout_ms = 3000;
    status(&o, RUNIT_RUN, 620, true, false, 1, 0);
    ok(status(&o, RUNIT_RUN, 620, false, false, 2, 100) == 0 && o.state == SVC_STARTING,
       "sv once of a running service (want down, no stop signal): it runs on");

    struct svc_sm d = machine(PROBE_UP, false, false);
    d.stop_timeout_ms = 3000;
    status(&d, RUNIT_RUN, 630, true, false, 1, 0);
    event(&d, SVC_EV_STOPPING, false, 0, 50);
    ok(stop_status(&d, 630, false, true, 2, 100) == 0 && d.state == SVC_STARTING,
       "at shutdown the stop order times the stop (service_stop.c), not the machine");
}

int main(void)
{
    test_no_probe();
    test_ready_file_probe();
    test_asked();
    test_finish_and_restart();
    test_restart_limit();
    test_critical();
    test_held();
    test_oneshot();
    test_backoff();
    test_stop_timeout();
    return tap_done();
}
