/* Critical services: how one's ./run ended, on every kernel and under emulation, and the end
 * of the container it brings. runsv hands ./run's exit code (-1 if it was killed) and the low
 * byte of its wait status (the signal) to ./finish as its two arguments. A critical service without a ./finish of its own gets cinit's:
 * `finish` a link to cinit's own executable, which, started as ./finish, writes those two
 * arguments and the start time of the run they belong to into supervise/cinit-exit. The link
 * goes again at shutdown if this boot made it; a service with a ./finish of its own keeps it,
 * untouched, and cinit reads the arguments runsv gave it from /proc instead.
 *
 * The start time is what ties a record to its run: runsv keeps the run's start in
 * supervise/status while ./finish runs (runit 2.1.2 and 2.2.0 alike), and cinit saw the same
 * time in the status of the run while it ran. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cinit.h"
#include "proc.h"
#include "runit.h"
#include "services.h"

#define RECORD "supervise/cinit-exit"

/* <linux/pidfd.h> of Linux 6.15; the first version of the structure is enough for exit_code */
struct pidfd_info_v0 {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
#define CINIT_PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info_v0)
#define CINIT_PIDFD_INFO_EXIT (1ULL << 3)

/* the wait status runsv's two arguments stand for, or -1 if they are not runsv's */
static int wait_status_of(const char *code, const char *low)
{
    long c, l;
    if (!parse_long(code, -1, 255, &c) || !parse_long(low, 0, 255, &l))
        return -1;
    return c < 0 ? (int)l : (int)c << 8;
}

bool finish_invoked(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    return argc == 3 && strcmp(slash ? slash + 1 : argv[0], "finish") == 0;
}

int finish_main(char **argv)
{
    progname = "cinit (./finish)";
    struct runit_status st = {0};
    if (wait_status_of(argv[1], argv[2]) < 0) {
        fprintf(stderr, "%s: '%s %s' are not runsv's arguments (exit code, signal)\n", progname, argv[1], argv[2]);
        return 0;
    }
    if (runit_read_status(".", &st) < 0)
        st.since = 0; /* then no run claims the record, and cinit falls back */
    char text[128];
    int n = snprintf(text, sizeof text, "%s %s %lld %ld\n", argv[1], argv[2], st.since, st.nsec);
    if (atomic_write(RECORD, text, (size_t)n, 0644, (uid_t)-1, (gid_t)-1) < 0)
        fprintf(stderr, "%s: cannot write %s: %s\n", progname, RECORD, strerror(errno));
    /* runsv does not look at ./finish's status: nothing to say with it */
    return 0;
}

/* Is PATH a link to cinit: a hook of its own (./finish here, control/t: stop_hook.c), made by
 * this boot, an earlier one, or put into the image as the man page says for a read-only root? */
bool is_cinit_link(const char *path)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    return strcmp(base, "cinit") == 0 || strcmp(base, "my_init") == 0;
}

void finish_install(struct svc *s)
{
    char path[PATH_MAX + 8], self[PATH_MAX];
    snprintf(path, sizeof path, "%s/finish", s->dir);
    struct stat st;
    if (lstat(path, &st) == 0 || errno != ENOENT) {
        s->hook = is_cinit_link(path);
        if (!s->hook)
            debug("service %s has a ./finish of its own: its arguments say how ./run ended", s->name);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        warning("service %s: cannot find cinit's own executable (/proc/self/exe: %s): its exit status is "
                "known only where the kernel keeps it", s->name, n < 0 ? strerror(errno) : "empty");
        return;
    }
    self[n] = '\0';
    if (symlink(self, path) < 0) {
        warning("service %s: cannot add cinit's ./finish (%s: %s): its exit status is known only where the kernel "
                "keeps it (Linux 6.15+); see cinit(8), \"Critical services\"", s->name, path, strerror(errno));
        return;
    }
    s->hook = s->hook_made = true;
}

void finish_remove(struct svc *s)
{
    if (!s->hook_made)
        return;
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/finish", s->dir);
    if (is_cinit_link(path) && unlink(path) < 0 && errno != ENOENT)
        warning("cannot remove %s: %s", path, strerror(errno));
    s->hook_made = false;
}

/* "CODE LOW SEC NSEC": the wait status of the run that started at SEC.NSEC */
static bool record_read(const char *dir, int *ws, long long *sec, long *nsec)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, RECORD);
    struct buf b = {0};
    int rc = read_file(path, &b, 128);
    char code[8], low[8];
    bool ok = rc == 0 && sscanf(buf_cstr(&b), "%7s %7s %lld %ld", code, low, sec, nsec) == 4 &&
              (*ws = wait_status_of(code, low)) >= 0;
    buf_free(&b);
    return ok;
}

/* the wait status in cinit's record of the run s saw start (or a later one), once */
static bool finish_recorded(struct svc *s, int *ws)
{
    long long sec;
    long nsec;
    if (!s->hook || !record_read(s->dir, ws, &sec, &nsec))
        return false;
    /* the run cinit saw start, or one after it that ended before cinit saw it */
    if (sec < s->sm.run_sec || (sec == s->sm.run_sec && nsec < s->sm.run_nsec))
        return false;
    if (sec == s->used_sec && nsec == s->used_nsec)
        return false;
    s->used_sec = sec;
    s->used_nsec = nsec;
    return true;
}

/* the wait status from the arguments of a ./finish of the user's, PID: 1 found, 0 not exec'd
 * yet (look again), -1 not to be known */
static int finish_args(pid_t pid, int *ws)
{
    char text[4096];
    const char *arg[PROC_ARGS_MAX];
    int argc = proc_args(pid, text, sizeof text, arg);
    if (argc < 0)
        return -1; /* gone */
    if (argc == 0)
        return 0; /* in the middle of its exec, or a zombie: the next status says which */
    /* the arguments end with "./finish CODE LOW" (after /bin/sh for a script); before the exec
     * the child is still runsv */
    const char *slash = strrchr(arg[0], '/');
    if (strcmp(slash ? slash + 1 : arg[0], "runsv") == 0)
        return 0;
    if (argc < 3 || !strstr(arg[argc - 3], "finish"))
        return -1;
    *ws = wait_status_of(arg[argc - 2], arg[argc - 1]);
    return *ws >= 0 ? 1 : -1;
}

void critical_run_started(struct svc *s)
{
    if (s->pidfd >= 0)
        close(s->pidfd); /* of a run that ended asked */
    s->pidfd = (int)syscall(SYS_pidfd_open, s->sm.pid, 0);
    if (s->pidfd < 0)
        debug("pidfd_open %ld: %s", (long)s->sm.pid, strerror(errno));
}

/* the wait status of the run that ended, from its pidfd; -1 if the kernel cannot say */
int critical_pidfd_status(struct svc *s)
{
    if (s->pidfd < 0)
        return -1;
    struct pidfd_info_v0 info = {.mask = CINIT_PIDFD_INFO_EXIT};
    int st = -1;
    if (ioctl(s->pidfd, CINIT_PIDFD_GET_INFO, &info) == 0 && (info.mask & CINIT_PIDFD_INFO_EXIT))
        st = info.exit_code;
    close(s->pidfd);
    s->pidfd = -1;
    return st;
}

void critical_end(struct svc *s, int st)
{
    char d[64];
    s->next_look = -1;
    if (services.exit_status >= 0)
        return; /* another one ended the container first */
    if (st >= 0) {
        services.exit_status = exit_code(st);
        error("critical service %s %s: stopping the container.", s->name, describe_status(st, d, sizeof d));
    } else {
        services.exit_status = 1;
        error("critical service %s exited (its status is unknown: no ./finish of cinit's could record it and Linux "
              "did not keep it; see cinit(8)): stopping the container.", s->name);
    }
    if (!cinit.stop_signal)
        cinit.stop_signal = SIGTERM;
    shutdown_begin();
    signal_main(SIGTERM);
}

/* From the first that can say it. cinit's ./finish records it before it exits, so once runsv
 * says the finish is over the record is there; a ./finish of the user's is asked while it runs. */
void critical_learn(struct svc *s, const struct runit_status *st, long long now)
{
    int ws;
    if (finish_recorded(s, &ws)) {
        service_exit_known(s, ws);
        return;
    }
    bool finishing = st->state == RUNIT_FINISH;
    if (finishing && s->hook)
        return; /* the record's rename brings cinit back */
    if ((ws = critical_pidfd_status(s)) >= 0) {
        service_exit_known(s, ws);
        return;
    }
    if (finishing && st->pid > 0) {
        int found = finish_args(st->pid, &ws);
        if (found > 0) {
            service_exit_known(s, ws);
            return;
        }
        if (found == 0) { /* forked, not exec'd yet */
            s->next_look = now + 1;
            return;
        }
    } else if (finishing) {
        return; /* runsv is about to start ./finish: its next status names it */
    }
    service_exit_known(s, -1);
}
