/* The shutdown order, /proc scanning and kill_all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cinit.h"
#include "proc.h"

/* ---- /proc ---- */

static bool no_children(void) { return !loop_children(); }


size_t scan_proc(struct procent **out)
{
    size_t n = 0, cap = 0;
    struct procent *v = NULL;
    DIR *d = opendir("/proc");
    if (!d) {
        warning("cannot read /proc: %s", strerror(errno));
        *out = NULL;
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid;
        if (!parse_long(de->d_name, 1, INT_MAX, &pid))
            continue;
        struct procent e = {.pid = (pid_t)pid};
        if (!proc_stat(e.pid, &e.ppid, e.comm, sizeof e.comm))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = xrealloc(v, cap * sizeof *v);
        }
        v[n++] = e;
    }
    closedir(d);
    *out = v;
    return n;
}

/* Signal every remaining process: all of the namespace as PID 1, else our descendants. */
static void signal_all(int sig)
{
    if (cinit.pid1) {
        if (kill(-1, sig) < 0 && errno != ESRCH)
            warning("kill(-1, %d): %s", sig, strerror(errno));
        return;
    }
    struct procent *v;
    size_t n = scan_proc(&v);
    pid_t self = getpid();
    bool *mine = calloc(n ? n : 1, sizeof *mine);
    if (!mine)
        die(1, "out of memory");
    /* mark descendants by repeated passes: parents may appear after their children */
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            if (mine[i])
                continue;
            bool parent_mine = v[i].ppid == self;
            for (size_t j = 0; j < n && !parent_mine; j++)
                parent_mine = mine[j] && v[j].pid == v[i].ppid;
            if (parent_mine)
                mine[i] = grew = true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (mine[i] && kill(v[i].pid, sig) < 0 && errno != ESRCH)
            warning("cannot send signal %d to PID %ld: %s", sig, (long)v[i].pid, strerror(errno));
    free(mine);
    free(v);
}

void kill_all(void)
{
    /* no child at the last reap: nobody has come since (a spawn says so); as PID 1 every process
     * left is a descendant, so none is left */
    if (!loop_children() || !reap_all())
        return;
    info("Killing all processes...");
    signal_all(SIGTERM);
    signal_all(SIGCONT); /* a stopped process only sees its TERM once it runs again */
    long long start = now_ms(), deadline = phase_deadline(PHASE_KILL_ALL, opt.kill_all_ms);
    if (wait_until(no_children, deadline))
        return;
    warning("processes still running after %lld ms: killing them", deadline - start);
    signal_all(SIGKILL);
    /* a KILL takes effect at once: past the budget, a short look still reaps what it ended */
    deadline = phase_deadline(PHASE_FINAL_KILL, 5000);
    long long least = now_ms() + 200;
    if (!wait_until(no_children, deadline > least ? deadline : least))
        warning("some processes could not be killed; exiting anyway");
}

void shutdown_all(void)
{
    cinit.shutting_down = true;
    shutdown_begin();
    debug("shutdown");
    /* The shutdown scripts frame the stop of the services (they drain or save what the
     * services hold), so --skip-runit skips them too, as it does in baseimage-docker's my_init. */
    if (!opt.skip_runit) {
        run_shutdown_scripts(PRE_SHUTDOWN_DIR, PHASE_PRE_SCRIPTS);
        stop_runit();
        debug("runit is down");
        run_shutdown_scripts(POST_SHUTDOWN_DIR, PHASE_POST_SCRIPTS);
    }
    if (!opt.no_kill_all)
        kill_all();
}
