/* The services as cinit follows them (services.c at run time, service_setup.c at boot): shared
 * by those two files only. */
#ifndef CINIT_SERVICES_H
#define CINIT_SERVICES_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "probe.h"
#include "svc_state.h"
#include "runit.h"
#include "loop.h"
#include "util.h"

#define MAX_STARTS SVC_MAX_STARTS

/* a probe in flight (service_probe.c) */
struct svc_probe {
    bool active;        /* its result is awaited */
    bool timed_out;
    pid_t pid;          /* ./check, 0: none (a cancelled one may still be on its way out) */
    int out_fd;         /* its output, -1: none */
    struct buf out;
    struct probe_io io; /* tcp, unix, http */
    struct loop_timer deadline;
};

struct svc {
    char *name;
    char dir[PATH_MAX];
    char **deps;
    size_t *dep, ndeps;
    struct probe probe;
    struct svc_sm sm; /* where it stands (svc_state.h) */
    bool enabled;     /* no down file of the user's */
    bool own_limit;   /* its restart-limit file, not CINIT_RESTART_LIMIT */
    bool marker;      /* cinit's down file is still there */
    bool loud;
    int mark;         /* cycle search */
    /* how a critical run ended (critical.c) */
    int pidfd;
    long long used_sec;   /* the run of the record last taken */
    long used_nsec;
    bool hook, hook_made; /* its ./finish is cinit's; this boot made it */
    long long next_look;  /* read its status again then (a ./finish not started yet), -1: no need */
    /* following its supervise dir */
    bool watched; /* its supervise dir has a watch */
    bool dirty;   /* an event (or a new watch) says: read its status again */
    bool polled;  /* no watch will say when its supervise dir comes: looked for by polling */
    char link_base[NAME_MAX + 1]; /* supervise/ is a link to a dir not there yet: that dir's name,
                                   * watched for in its parent */
    /* how it stops (stop-signal, stop-timeout; stop_hook.c) */
    int stop_sig;
    long stop_ms;                     /* -1: KILL_PROCESS_TIMEOUT */
    bool stop_hook_made, control_made; /* this boot made control/t (and control/) */
    /* what it said on the notify socket (service_notify.c) */
    pid_t notify_ready; /* the run that said READY=1 */
    char notify_status[256];
    /* its probe, and what cinit says of it */
    struct svc_probe pr;
    long long next_report;
    char why[512];
};


/* service_probe.c: one probe of s (its kind not PROBE_UP/NOW), its result to service_probed */
void service_probe_start(struct svc *s, long long now);
void service_probe_cancel(struct svc *s);
void service_probed(struct svc *s, bool ok, const char *why);
/* services.c: how a critical run ended is known (ws, -1: not to be known) */
void service_exit_known(struct svc *s, int ws);

/* critical.c: how a critical service's ./run ended, and the container's end it brings */
void critical_run_started(struct svc *s);
/* its run ended unasked: find out how (now, or at a later look), and tell service_exit_known */
void critical_learn(struct svc *s, const struct runit_status *st, long long now);
/* the container ends with wait status ws (-1: unknown) */
void critical_end(struct svc *s, int ws);
/* the wait status the kernel kept for the run's pidfd (closed), -1 if none */
int critical_pidfd_status(struct svc *s);
void finish_install(struct svc *s);
bool is_cinit_link(const char *path);
void finish_remove(struct svc *s);

/* service_notify.c: the notify socket, when a service has `ready: notify` or a notification-fd; true: NOTIFY_SOCKET
 * is in env for runsvdir (env_unset it once runsvdir runs) */
bool service_notify_setup(void);
/* services.c: s's run said READY=1 */
void service_notified(struct svc *s, pid_t run);

/* stop_hook.c: cinit's control/t for a service whose stop-signal is not TERM */
void stop_hook_install(struct svc *s);
void stop_hook_remove(struct svc *s);
/* cinit's control/t writes there, in the service dir, the pid it sent the stop signal to */
#define STOP_HOOK_SENT_FILE "supervise/cinit-stop-sent"
/* did cinit's control/t send run pid its stop signal? */
bool stop_hook_sent(const struct svc *s, pid_t pid);

#endif
