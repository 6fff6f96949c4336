/* A service's readiness probe, off PID 1's path: ./check runs as a child the loop reaps, its
 * output read as it comes and its deadline a loop timer; tcp, unix and http probes are
 * non-blocking sockets the loop watches. Whatever a check or a server does, PID 1 only ever
 * does a step that cannot block, and goes back to its signals and its orphans. The result goes
 * to services.c (service_probed). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cinit.h"
#include "services.h"

#define PROBE_TIMEOUT_MS 1000

static void finished(struct svc *s, bool ok, const char *why)
{
    struct svc_probe *pr = &s->pr;
    loop_timer_stop(&pr->deadline);
    pr->active = false;
    service_probed(s, ok, why);
}

/* ---- tcp, unix, http ---- */

static void on_io(void *arg, short revents)
{
    (void)revents; /* the step itself finds out (SO_ERROR, EAGAIN) */
    struct svc *s = arg;
    struct svc_probe *pr = &s->pr;
    char why[512] = "";
    int fd = pr->io.fd;
    int r = probe_step(&pr->io, why, sizeof why);
    if (r == PROBE_PENDING) {
        (void)loop_watch(fd, pr->io.events, on_io, s);
        return;
    }
    loop_unwatch(fd);
    finished(s, r == PROBE_READY, why);
}

/* ---- ./check ---- */

static void check_output(void *arg, short revents)
{
    (void)revents;
    struct svc_probe *pr = &((struct svc *)arg)->pr;
    if (!probe_check_read(pr->out_fd, &pr->out)) {
        loop_unwatch(pr->out_fd);
        close(pr->out_fd);
        pr->out_fd = -1;
    }
}

static void check_done(void *arg, pid_t pid, int st)
{
    (void)pid;
    struct svc *s = arg;
    struct svc_probe *pr = &s->pr;
    pr->pid = 0;
    if (pr->out_fd >= 0) {
        /* what it wrote last; a child of it that holds the pipe open is not waited for */
        (void)probe_check_read(pr->out_fd, &pr->out);
        loop_unwatch(pr->out_fd);
        close(pr->out_fd);
        pr->out_fd = -1;
    }
    char why[512] = "";
    bool ok = probe_check_result(st, pr->timed_out, PROBE_TIMEOUT_MS, &pr->out, why, sizeof why);
    buf_free(&pr->out);
    if (pr->active)
        finished(s, ok, why);
}

static void kill_check(struct svc_probe *pr)
{
    /* the group too: what the check started goes with it (PID 1 reaps them all) */
    if (pr->pid > 0 && kill(-pr->pid, SIGKILL) < 0 && errno != ESRCH)
        debug("kill -%ld: %s", (long)pr->pid, strerror(errno));
    if (pr->pid > 0 && kill(pr->pid, SIGKILL) < 0 && errno != ESRCH)
        debug("kill %ld: %s", (long)pr->pid, strerror(errno));
}

static bool start_check(struct svc *s, char *why, size_t whylen)
{
    struct svc_probe *pr = &s->pr;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return false;
    }
    /* only cinit's end is non-blocking: the check writes as to any pipe */
    if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return false;
    }
    char *argv[] = {"./check", NULL};
    struct spawn_how how = {.group = true, .dir = s->dir, .out = pfd[1], .null_in = true};
    pr->pid = spawn_with(argv, &how);
    close(pfd[1]);
    if (pr->pid < 0) {
        pr->pid = 0;
        close(pfd[0]);
        snprintf(why, whylen, "./check could not be started");
        return false;
    }
    pr->out_fd = pfd[0];
    if (!loop_on_exit(pr->pid, false, check_done, s)) {
        kill_check(pr);
        pr->pid = 0;
        close(pfd[0]);
        pr->out_fd = -1;
        snprintf(why, whylen, "no memory to follow ./check");
        return false;
    }
    if (!loop_watch(pr->out_fd, POLLIN, check_output, s)) {
        close(pr->out_fd); /* its output is lost, its status is not */
        pr->out_fd = -1;
    }
    return true;
}

/* ---- either ---- */

static void timed_out(void *arg)
{
    struct svc *s = arg;
    struct svc_probe *pr = &s->pr;
    if (s->probe.kind == PROBE_CHECK) {
        pr->timed_out = true;
        kill_check(pr); /* check_done says it, once the loop has reaped it */
        return;
    }
    char why[512] = "";
    int fd = pr->io.fd;
    probe_timed_out(&pr->io, why, sizeof why);
    loop_unwatch(fd);
    finished(s, false, why);
}

void service_probe_start(struct svc *s, long long now)
{
    struct svc_probe *pr = &s->pr;
    char why[512] = "";
    if (pr->active || pr->pid)
        return; /* one at a time (a cancelled check may still be on its way out) */
    pr->active = true;
    pr->timed_out = false;
    pr->deadline.fn = timed_out;
    pr->deadline.arg = s;
    if (s->probe.kind == PROBE_CHECK) {
        if (!start_check(s, why, sizeof why)) {
            finished(s, false, why);
            return;
        }
    } else {
        int r = probe_start(&pr->io, &s->probe, why, sizeof why);
        if (r != PROBE_PENDING) {
            finished(s, r == PROBE_READY, why);
            return;
        }
        if (!loop_watch(pr->io.fd, pr->io.events, on_io, s)) {
            probe_close(&pr->io);
            finished(s, false, "no memory to follow the probe");
            return;
        }
    }
    loop_timer_at(&pr->deadline, now + PROBE_TIMEOUT_MS);
}

void service_probe_cancel(struct svc *s)
{
    struct svc_probe *pr = &s->pr;
    if (!pr->active)
        return;
    pr->active = false;
    loop_timer_stop(&pr->deadline);
    if (s->probe.kind == PROBE_CHECK) {
        kill_check(pr); /* check_done cleans up once it is reaped */
    } else if (pr->io.fd >= 0) {
        loop_unwatch(pr->io.fd);
        probe_close(&pr->io);
    }
}
