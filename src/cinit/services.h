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

#endif
