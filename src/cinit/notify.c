/* cinit's own readiness, for whoever started it with NOTIFY_SOCKET in its environment (podman
 * --sdnotify=container, a systemd unit of Type=notify): the sd_notify datagram protocol.
 * READY=1 once the main command has started (or, without one, runsvdir) and every enabled
 * service is ready; STOPPING=1 when the shutdown begins. NOTIFY_SOCKET is taken out of the
 * environment its children get: cinit speaks for the container, and a service or main command
 * that told the engine READY=1 itself would say it too early. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cinit.h"

static struct sockaddr_un addr;
static socklen_t addr_len; /* 0: nobody to tell */
static bool started, told_ready, told_stopping;

void notify_self_setup(void)
{
    const char *p = getenv("NOTIFY_SOCKET");
    env_unset(&env, "NOTIFY_SOCKET");
    if (!p || !*p)
        return;
    size_t n = strlen(p);
    if ((p[0] != '/' && p[0] != '@') || n >= sizeof addr.sun_path) {
        warning("NOTIFY_SOCKET='%s' is not a unix socket path: cinit does not tell its readiness", p);
        return;
    }
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, p, n);
    if (p[0] == '@')
        addr.sun_path[0] = '\0'; /* an abstract address */
    addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (p[0] == '@' ? 0 : 1));
}

static void tell(const char *msg)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        warning("NOTIFY_SOCKET: socket: %s", strerror(errno));
        return;
    }
    /* non-blocking: a full or gone listener costs the message, never PID 1's loop */
    if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len) < 0)
        warning("NOTIFY_SOCKET: cannot send %s: %s", msg, strerror(errno));
    else
        debug("told NOTIFY_SOCKET %s", msg);
    close(fd);
}

void notify_self_check(void)
{
    if (!addr_len || !started || told_ready || told_stopping || cinit.stop_signal || !services_all_ready())
        return;
    told_ready = true;
    tell("READY=1");
}

void notify_self_started(void)
{
    started = true;
    notify_self_check();
}

void notify_self_stopping(void)
{
    if (!addr_len || told_stopping)
        return;
    told_stopping = true;
    tell("STOPPING=1");
}
