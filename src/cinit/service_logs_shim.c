/* The runsv that runsvdir starts when service output is prefixed or JSON (service_logs.c), or
 * a service has a `notification-fd` (service_notify.c): cinit itself, through the link
 * /run/cinit/bin/runsv first in runsvdir's PATH. It is the one place where a service gets fds
 * of its own: runsv hands ./run its own fds, and runsvdir hands every runsv the same. Then it
 * becomes the real runsv.
 * - Output: the service's own two pipes as standard output and error, their read ends handed
 *   to PID 1 over its socket. A service with its own log/ keeps it: untouched, raw.
 * - notification-fd N: fd N is a datagram socket connected to cinit's notify socket, so the
 *   daemon's newline arrives there with its credentials, which tie it to its run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cinit.h"
#include "probe.h"
#include "runit.h"

bool runsv_shim_invoked(char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    return strcmp(slash ? slash + 1 : argv[0], "runsv") == 0;
}

/* The pipes, their read ends sent to PID 1; false (nothing changed) when that fails. */
static bool attach(const char *name)
{
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return false;
    if (pipe2(err, O_CLOEXEC) < 0) {
        close(out[0]), close(out[1]);
        return false;
    }
    bool sent = false;
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", SERVICE_LOGS_SOCKET);
        int fds[2] = {out[0], err[0]};
        union {
            char b[CMSG_SPACE(sizeof fds)];
            struct cmsghdr align;
        } ctl;
        memset(&ctl, 0, sizeof ctl);
        struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
        struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof sa, .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof fds);
        memcpy(CMSG_DATA(c), fds, sizeof fds);
        /* blocking: when PID 1's queue is full this runsv waits its turn, never PID 1 */
        while (!(sent = sendmsg(s, &m, MSG_NOSIGNAL) >= 0) && errno == EINTR)
            ;
        int e = errno;
        close(s);
        errno = e;
    }
    int e = errno;
    close(out[0]), close(err[0]);
    if (!sent || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
        e = sent ? errno : e;
        close(out[1]), close(err[1]);
        errno = e;
        return false;
    }
    close(out[1]), close(err[1]);
    return true;
}

bool runsv_shim_install(const char *otherwise)
{
    char self[PATH_MAX];
    ssize_t n;
    if ((mkdir(CENV_RUN_DIR, 0755) < 0 && errno != EEXIST) || (mkdir(SERVICE_LOGS_BIN, 0755) < 0 && errno != EEXIST)) {
        warning("cannot make %s: %s: %s", SERVICE_LOGS_BIN, strerror(errno), otherwise);
        return false;
    }
    if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0) {
        warning("cannot find cinit's own executable (/proc/self/exe: %s): %s", n < 0 ? strerror(errno) : "empty", otherwise);
        return false;
    }
    self[n] = '\0';
    if ((unlink(SERVICE_LOGS_BIN "/runsv") < 0 && errno != ENOENT) || symlink(self, SERVICE_LOGS_BIN "/runsv") < 0) {
        warning("cannot link %s/runsv: %s: %s", SERVICE_LOGS_BIN, strerror(errno), otherwise);
        return false;
    }
    return true;
}

/* s6's notification-fd: fd N of the service's runsv, and so of its ./run */
static void notification_fd(const char *name)
{
    struct probe p;
    char err[512];
    if (!probe_for_service(name, &p, err, sizeof err) || p.notify_fd <= 0)
        return; /* PID 1 said what is wrong at boot */
    int s = socket(AF_UNIX, SOCK_DGRAM, 0); /* no close-on-exec: it is for ./run */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", CINIT_NOTIFY_SOCKET);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 || (s != p.notify_fd && dup2(s, p.notify_fd) < 0)) {
        fprintf(stderr, "*** WARNING: service %s: cannot give it notification-fd %d (%s): it is never ready\n", name,
                p.notify_fd, strerror(errno));
        if (s >= 0)
            close(s);
        return;
    }
    if (s != p.notify_fd)
        close(s);
}

int runsv_shim_main(int argc, char **argv)
{
    /* the services get runsvdir's PATH as it was: without this link's directory (every
     * occurrence, or execvp would find this link again instead of the real runsv) */
    const char *path = getenv("PATH");
    if (path) {
        struct buf b = {0};
        for (const char *p = path;;) {
            const char *end = strchr(p, ':');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (!(len == strlen(SERVICE_LOGS_BIN) && memcmp(p, SERVICE_LOGS_BIN, len) == 0)) {
                if (b.len)
                    buf_addc(&b, ':');
                buf_add(&b, p, len);
            }
            if (!end)
                break;
            p = end + 1;
        }
        if (setenv("PATH", buf_cstr(&b), 1) < 0) {
            fprintf(stderr, "runsv: cannot set PATH: %s\n", strerror(errno));
            return 111;
        }
        buf_free(&b);
    }
    if (argc == 2) {
        char log[4096];
        struct stat st;
        snprintf(log, sizeof log, "%s/log", argv[1]);
        bool own_log = stat(log, &st) == 0 && S_ISDIR(st.st_mode);
        const char *mode = getenv("CINIT_SERVICE_LOGS");
        bool marked = mode && strcmp(mode, "raw") != 0;
        notification_fd(argv[1]);
        if (marked && !own_log && !attach(argv[1]))
            fprintf(stderr, "*** WARNING: service %s: cannot reach cinit for its output (%s): it goes out unmarked\n",
                    argv[1], strerror(errno));
    }
    execvp("runsv", argv);
    fprintf(stderr, "runsv: cannot run runsv: %s\n", strerror(errno));
    return 111;
}
