/* The runsv that runsvdir starts when service output is prefixed or JSON (service_logs.c):
 * cinit itself, through the link /run/cinit/bin/runsv first in runsvdir's PATH. It gives the
 * service its own two pipes as standard output and error, hands their read ends to PID 1 over
 * its socket, and becomes the real runsv, which passes them on to ./run. That is the one place
 * where a service's output can be told apart: runsv hands ./run its own fds, and runsvdir
 * hands every runsv the same. A service with its own log/ keeps it: untouched, raw. */
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
        if (!own_log && !attach(argv[1]))
            fprintf(stderr, "*** WARNING: service %s: cannot reach cinit for its output (%s): it goes out unmarked\n",
                    argv[1], strerror(errno));
    }
    execvp("runsv", argv);
    fprintf(stderr, "runsv: cannot run runsv: %s\n", strerror(errno));
    return 111;
}
