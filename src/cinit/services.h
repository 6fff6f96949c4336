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
#include "runit.h"

#define MAX_STARTS 64

struct svc {
    char *name;
    char dir[PATH_MAX];
    char **deps;
    size_t *dep, ndeps;
    struct probe probe;
    bool enabled;  /* no down file of the user's */
    bool held;     /* waits for its dependencies, `u` not sent yet */
    bool marker;   /* cinit's down file is still there */
    bool critical, loud, gave_up;
    int mark;      /* cycle search */
    pid_t pid;     /* the run followed, 0: none */
    int pidfd;
    long long run_sec; /* its start, as supervise/status gives it (what finish.c's record names) */
    long run_nsec;
    long long used_sec; /* the run of the record last taken */
    long used_nsec;
    bool hook, hook_made; /* its ./finish is cinit's (finish.c); this boot made it */
    bool ending;    /* a critical run ended unasked: how, is not known yet */
    long next_look; /* read its status again then (a ./finish not started yet), -1: no need */
    bool asked;    /* this run was asked to stop (want down, TERM) */
    long run_since, next_probe, next_report;
    int backoff;
    bool ready;
    bool seen;        /* a status of this boot's runsv was read */
    bool expect_down; /* the run ended into ./finish: the down status that follows is its */
    bool watched;     /* its supervise dir has a watch */
    bool dirty;       /* an event (or a new watch) says: read its status again */
    bool polled;      /* no watch will say when its supervise dir comes: looked for by polling */
    char link_base[NAME_MAX + 1]; /* supervise/ is a link to a dir not there yet: that dir's name,
                                   * watched for in its parent */
    long long down_since, down_nsec;
    char why[512];
    long starts[MAX_STARTS];
    size_t nstarts;
};

extern struct svc *svcs;
extern size_t nsvcs;
extern bool svc_active;                /* some service is followed at all */
extern long restart_n, restart_window_ms; /* CINIT_RESTART_LIMIT */
extern struct timespec svc_boot;       /* a status older than this is left from an earlier boot */

/* critical.c: how a critical service's ./run ended, and the container's end it brings */
void critical_run_started(struct svc *s);
/* its run ended unasked: the container stops once its status is known (now, or at a later look) */
void critical_ended_unasked(struct svc *s, const struct runit_status *st, long now);
/* a later look while s->ending */
void critical_settle(struct svc *s, const struct runit_status *st, long now);
/* the wait status the kernel kept for the run's pidfd (closed), -1 if none */
int critical_pidfd_status(struct svc *s);
void finish_install(struct svc *s);
void finish_remove(struct svc *s);

#endif
