/* Readiness by notification (#30.3): `ready` holding "notify", the sd_notify datagram
 * protocol, and s6's `notification-fd`, whose newline comes here too (service_logs_shim.c).
 * runsv starts ./run with runsvdir's environment and runit has no per-service one, so cinit
 * gives runsvdir one NOTIFY_SOCKET, CINIT_NOTIFY_SOCKET, when a service asks for it,
 * and tells the sender of each datagram by its credentials (SO_PASSCRED): the process, or its
 * ancestor, whose parent is a runsv, is the run of the service that runsv was started for
 * ("runsv NAME"). So every service's ./run has NOTIFY_SOCKET then; what a service that did not
 * ask for it says is ignored. READY=1 makes the run ready (no probe loop); STATUS= is kept for
 * cinit-health in CINIT_NOTIFY_DIR/NAME. The socket is non-blocking and read from the loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cinit.h"
#include "proc.h"
#include "runit.h"
#include "services.h"

static int sfd = -1;

/* the service whose run pid is or begat; *run: that run's pid */
static struct svc *sender(pid_t pid, pid_t *run)
{
    char comm[64], name[NAME_MAX + 1];
    pid_t p = pid, pp, ppp;
    for (int depth = 0; depth < 64 && p > 1; depth++) {
        if (!proc_stat(p, &pp, NULL, 0) || pp <= 1)
            return NULL;
        if (!proc_stat(pp, &ppp, comm, sizeof comm))
            return NULL;
        if (strcmp(comm, "runsv") == 0) {
            if (!proc_runsv_name(pp, name))
                return NULL;
            for (size_t i = 0; i < services.n; i++)
                if (strcmp(services.list[i].name, name) == 0) {
                    *run = p;
                    return &services.list[i];
                }
            return NULL;
        }
        p = pp;
    }
    return NULL;
}

static void record(struct svc *s, pid_t run, bool ready, const char *status)
{
    char path[PATH_MAX], text[600];
    snprintf(path, sizeof path, "%s/%s", CINIT_NOTIFY_DIR, s->name);
    int n = snprintf(text, sizeof text, "%ld %s\n%s\n", (long)run, ready ? "ready" : "-", status);
    if (n > 0 && atomic_write(path, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, 0644, (uid_t)-1, (gid_t)-1) < 0)
        debug("cannot write %s: %s", path, strerror(errno));
}

static void datagrams(void *arg, short revents)
{
    (void)arg, (void)revents;
    for (;;) {
        char msg[4097];
        union {
            struct cmsghdr h;
            char b[CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        struct iovec iov = {.iov_base = msg, .iov_len = sizeof msg - 1};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof ctl};
        ssize_t n = recvmsg(sfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                debug("notify socket: %s", strerror(errno));
            return;
        }
        msg[n] = '\0';
        struct ucred cred = {0};
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
                memcpy(&cred, CMSG_DATA(c), sizeof cred);
            else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) /* fds sent along: not kept */
                for (int *fd = (int *)CMSG_DATA(c); (char *)fd < (char *)c + c->cmsg_len; fd++)
                    close(*fd);
        pid_t run;
        struct svc *s = cred.pid > 0 ? sender(cred.pid, &run) : NULL;
        if (!s || s->probe.kind != PROBE_NOTIFY) {
            debug("notify: ignored a message from PID %ld", (long)cred.pid);
            continue;
        }
        /* s6's notification-fd: a newline is the daemon's "ready" */
        bool ready = s->probe.notify_fd > 0 && memchr(msg, '\n', (size_t)n);
        for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n")) {
            if (strcmp(line, "READY=1") == 0)
                ready = true;
            else if (strncmp(line, "STATUS=", 7) == 0)
                snprintf(s->notify_status, sizeof s->notify_status, "%s", line + 7);
        }
        if (ready)
            s->notify_ready = run;
        record(s, run, s->notify_ready == run, s->notify_status);
        if (ready)
            service_notified(s, run);
    }
}

bool service_notification_fds(void)
{
    for (size_t i = 0; i < services.n; i++)
        if (services.list[i].probe.notify_fd > 0)
            return sfd >= 0;
    return false;
}

bool service_notify_setup(void)
{
    bool any = false;
    for (size_t i = 0; i < services.n; i++)
        any |= services.list[i].probe.kind == PROBE_NOTIFY;
    if (!any)
        return false;
    if ((mkdir("/run/cinit", 0755) < 0 && errno != EEXIST) || (mkdir(CINIT_NOTIFY_DIR, 0755) < 0 && errno != EEXIST)) {
        warning("cannot make %s: %s: services that say READY=1 are not heard", CINIT_NOTIFY_DIR, strerror(errno));
        return false;
    }
    for (size_t i = 0; i < services.n; i++) { /* what an earlier boot heard */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", CINIT_NOTIFY_DIR, services.list[i].name);
        if (unlink(path) < 0 && errno != ENOENT)
            debug("cannot remove %s: %s", path, strerror(errno));
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, CINIT_NOTIFY_SOCKET, sizeof CINIT_NOTIFY_SOCKET);
    int one = 1;
    sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sfd < 0 || (unlink(a.sun_path) < 0 && errno != ENOENT) || bind(sfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        chmod(a.sun_path, 0666) < 0 || /* services may run as any user */
        setsockopt(sfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        warning("notify socket %s: %s: services that say READY=1 are not heard", CINIT_NOTIFY_SOCKET, strerror(errno));
        if (sfd >= 0)
            close(sfd);
        sfd = -1;
        return false;
    }
    if (!loop_watch(sfd, POLLIN, datagrams, NULL)) {
        close(sfd);
        sfd = -1;
        return false;
    }
    env_set(&env, "NOTIFY_SOCKET", CINIT_NOTIFY_SOCKET); /* for runsvdir, taken out again after */
    return true;
}
