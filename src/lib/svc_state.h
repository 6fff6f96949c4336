/* A service as cinit follows it: an explicit state machine. One transition function takes an
 * event (a status runsv wrote, a probe's turn or result, its release, the status of a critical
 * run that ended) and returns what is to be done; it does no I/O and reads no clock, so that
 * test/unit/svc_state_test.c can feed it sequences. cinit's services.c reads the statuses, runs
 * the probes and does what the machine says. */
#ifndef CINIT_SVC_STATE_H
#define CINIT_SVC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "probe.h"
#include "runit.h"

#define SVC_MAX_STARTS 64
/* A probe costs microseconds (./check a fork and exec): retried often, the delay between tries
 * growing by half each time, so that a service is seen ready at most ~100 ms late. */
#define SVC_BACKOFF_MIN_MS 5
#define SVC_BACKOFF_MAX_MS 100
#define SVC_CHECK_BACKOFF_MIN_MS 20
#define SVC_CHECK_BACKOFF_MAX_MS 250
/* The restart back-off: a run that ends unasked within SVC_QUICK_MS of its start (runsv's own
 * threshold: it pauses a second before that restart, so cinit's `d` comes first) is left down
 * 1 s, then 2, 4 ... at most SVC_RESTART_MAX_MS, doubling with each such run in a row, before
 * cinit sends `u`; a run that stays up SVC_STEADY_MS starts the count again. */
#define SVC_QUICK_MS 1000
#define SVC_RESTART_MIN_MS 1000
#define SVC_RESTART_MAX_MS 30000
#define SVC_STEADY_MS 10000

enum svc_state {
    SVC_HELD,      /* waits for what it depends on: runsv holds it down until it is released */
    SVC_DOWN,      /* no run (disabled, or between two) */
    SVC_STARTING,  /* ./run runs, its probe has not passed yet */
    SVC_READY,     /* ./run runs and is ready */
    SVC_FAILED,    /* left down: it exited too often (the restart limit); a run is followed, not probed */
    SVC_ENDING,    /* a critical run ended unasked, or a oneshot's run ended: its status is being learnt */
    SVC_ENDED,     /* ... and is known: the container ends with it */
    SVC_ONCE,      /* a oneshot: its one run was asked for (`o`), or runs */
    SVC_DONE,      /* a oneshot whose run exited 0: ready for good, never run again */
    SVC_BACKOFF,   /* left down after a run that failed at once, until restart_at (`u` then) */
    SVC_STOPPING   /* its run got its stop signal at run time (`sv down`, `sv restart`): killed at kill_at */
};

enum svc_event_kind {
    SVC_EV_STATUS,      /* runsv's supervise/status, as read (status) */
    SVC_EV_PROBE_DUE,   /* the loop's timer: a probe's turn may have come */
    SVC_EV_PROBED,      /* a probe's result (ok) */
    SVC_EV_RELEASED,    /* what it depends on is ready, and it was sent `u` */
    SVC_EV_EXIT_STATUS, /* the wait status of the critical run that ended (wait_status, -1: unknown) */
    SVC_EV_STOPPING,    /* the container is going down: nothing ends unasked any more */
    SVC_EV_NOTIFIED,    /* READY=1 from a process of the run whose pid is in pid */
    SVC_EV_SKIPPED      /* it took itself down: it cannot run here (cron, sshd under --user) */
};

struct svc_event {
    enum svc_event_kind kind;
    struct runit_status status;
    bool ok;
    int wait_status;
    pid_t pid;
    bool stop_sent; /* SVC_EV_STATUS: the run in it got its stop signal (runsv's TERM, or cinit's control/t) */
};

/* what svc_step asks of its caller, as bits */
enum {
    SVC_DO_PROBE = 1 << 0,        /* start a probe */
    SVC_DO_CANCEL_PROBE = 1 << 1, /* the run it was for has ended */
    SVC_DO_NEW_RUN = 1 << 2,      /* a new run of ./run started (pid) */
    SVC_DO_READY = 1 << 3,        /* it became ready: say so, release what depends on it */
    SVC_DO_WARN_DOWN = 1 << 4,    /* a ready run ended unasked */
    SVC_DO_GAVE_UP = 1 << 5,      /* the restart limit is reached: say so (with SVC_DO_STOP) */
    SVC_DO_STOP = 1 << 6,         /* send it `d` */
    SVC_DO_LEARN_EXIT = 1 << 7,   /* find out how the critical run ended (answer: SVC_EV_EXIT_STATUS) */
    SVC_DO_CRITICAL = 1 << 8,     /* the container ends with exit_status */
    SVC_DO_QUICK_EXIT = 1 << 9,   /* a run ended before it was seen to start */
    SVC_DO_ONESHOT_FAILED = 1 << 10, /* a oneshot's run failed (exit_status): the boot fails */
    SVC_DO_BACKOFF = 1 << 11,        /* it failed at once again: left down until restart_at (with SVC_DO_STOP) */
    SVC_DO_START = 1 << 12,          /* its back-off is over: send it `u` */
    SVC_DO_KILL = 1 << 13            /* its stop-timeout is over and the run still runs: send it `k` */
};

struct svc_sm {
    enum svc_state state;
    /* what it is: set before the first event */
    bool critical;
    bool oneshot; /* a `oneshot` file: run once (released with `o`), ready when it exits 0 */
    enum probe_kind probe;
    long restart_n;              /* the restart limit: at most restart_n unasked exits ... */
    long long restart_window_ms; /* ... within this (0: no limit) */
    long long boot_sec;          /* a status older than this is left from an earlier boot */
    long boot_nsec;
    /* the run followed */
    pid_t pid;        /* 0: none */
    long long run_sec; /* its start, as runsv wrote it */
    long run_nsec;
    long long run_since; /* when it was seen to start (the caller's clock) */
    bool asked;       /* it was asked to stop (want down, TERM) */
    bool seen;        /* a status of this boot was read */
    bool expect_down; /* the run ended into ./finish: the down status that follows is its */
    bool stopping;    /* SVC_EV_STOPPING came */
    long long down_sec;
    long down_nsec;
    long long next_probe; /* -1: none due */
    int backoff;
    long long starts[SVC_MAX_STARTS]; /* its recent unasked exits, for the restart limit */
    size_t nstarts;
    int exit_status; /* SVC_ENDED, a failed oneshot: the wait status, -1 unknown */
    int quick_fails;       /* runs in a row that failed at once */
    long long restart_at;  /* SVC_BACKOFF: when it is started again */
    pid_t notified;        /* READY=1 came from this run before its status was read */
    long long stop_timeout_ms; /* its stop-timeout: from its stop signal at run time to `k` */
    long long kill_at;         /* SVC_STOPPING: when it is killed, -1: not (any more) */
};

/* A machine in its first state (held or down), its own fields cleared (not what it is). */
void svc_init(struct svc_sm *m, bool held);
/* The transition function: the new state in m, what to do in the bits returned. */
/* Does what depends on it go on? (ready, or a oneshot done) */
bool svc_ready(const struct svc_sm *m);
unsigned svc_step(struct svc_sm *m, const struct svc_event *ev, long long now);
const char *svc_state_name(enum svc_state s);

#endif
