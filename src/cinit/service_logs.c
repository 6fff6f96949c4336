/* CINIT_SERVICE_LOGS=prefixed|json (docs/logging.md, "Service output"): PID 1 reads each
 * service's standard output and error from pipes of their own (service_logs_shim.c sends their
 * read ends here) and writes every line, marked with the service's name, to its own stdout
 * (json; prefixed: stderr lines to its stderr).
 *
 * PID 1 never blocks: the pipes and its outputs are non-blocking and watched by the loop. Its
 * outputs are fresh opens of its stdout and stderr (/proc/self/fd/N), so that O_NONBLOCK is
 * on PID 1's own file descriptions only, never on the ones the main command and raw writers
 * share. Back-pressure: what the outputs do not take waits in one queue; past QUEUE_HIGH bytes
 * PID 1 stops reading the services' pipes until the queue is under QUEUE_LOW again. A service
 * then fills its pipe (64 KiB in the kernel) and blocks in write() until the reader catches up:
 * it waits, PID 1 does not, and no line is lost. Lines are cut at SERVICE_LINE_MAX bytes. */
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
#include "logline.h"
#include "runit.h"

#define QUEUE_HIGH (256 * 1024)
#define QUEUE_LOW (64 * 1024)
#define FLUSH_MS 2000 /* at exit, how long the last lines may take to go out */

struct src {
    struct src *next;
    char name[256];
    bool err; /* its standard error */
    int fd;
    struct buf line; /* the line so far */
};

struct out {
    int fd;
    struct buf q;
    size_t off;  /* written up to here */
    bool broken; /* a write failed for good: lines are dropped, counted */
    unsigned long dropped;
};

static struct {
    enum logline_mode mode;
    int sock;
    struct src *srcs;
    struct out out[2]; /* stdout, stderr */
    bool paused;
    char rbuf[65536];
} sl = {.sock = -1, .out = {{.fd = -1}, {.fd = -1}}};

bool service_logs_option(const char *value)
{
    int m = logline_mode_parse(value);
    if (m < 0)
        return false;
    sl.mode = (enum logline_mode)m;
    return true;
}

const char *service_logs_mode(void) { return sl.mode == LOGLINE_JSON ? "json" : sl.mode == LOGLINE_PREFIXED ? "prefixed" : "raw"; }

static size_t queued(void) { return sl.out[0].q.len - sl.out[0].off + sl.out[1].q.len - sl.out[1].off; }

static void on_src(void *arg, short revents);

static void watch_srcs(bool on)
{
    for (struct src *s = sl.srcs; s; s = s->next) {
        if (on)
            (void)loop_watch(s->fd, POLLIN, on_src, s);
        else
            loop_unwatch(s->fd);
    }
}

static void on_out(void *arg, short revents);

/* write what the queue holds, as far as the output takes it now */
static void out_push(struct out *o)
{
    while (o->off < o->q.len && !o->broken) {
        ssize_t n = write(o->fd, o->q.p + o->off, o->q.len - o->off);
        if (n > 0) {
            o->off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        /* the reader is gone (EPIPE) or the output failed: keep reading the services, so that
         * they do not block for ever, and count what cannot go out */
        o->broken = true;
        warning("cannot write the services' output: %s: their lines are dropped from now on", n < 0 ? strerror(errno) : "nothing written");
    }
    if (o->broken) {
        o->q.len = o->off = 0;
    } else if (o->off == o->q.len) {
        o->q.len = o->off = 0;
    } else if (o->off > QUEUE_LOW) { /* keep the queue from creeping */
        memmove(o->q.p, o->q.p + o->off, o->q.len - o->off);
        o->q.len -= o->off;
        o->off = 0;
    }
    if (o->q.len > o->off)
        (void)loop_watch(o->fd, POLLOUT, on_out, o);
    else
        loop_unwatch(o->fd);
    if (sl.paused && queued() < QUEUE_LOW) {
        sl.paused = false;
        watch_srcs(true);
    } else if (!sl.paused && queued() > QUEUE_HIGH) {
        sl.paused = true;
        watch_srcs(false);
    }
}

static void on_out(void *arg, short revents)
{
    (void)revents;
    out_push(arg);
}

static struct out *out_for(const struct src *s) { return &sl.out[sl.mode == LOGLINE_PREFIXED && s->err ? 1 : 0]; }

/* one output line per SERVICE_LINE_MAX of a longer line */
static void emit(struct src *s, const char *p, size_t n)
{
    struct out *o = out_for(s);
    do {
        size_t take = n > SERVICE_LINE_MAX ? SERVICE_LINE_MAX : n;
        if (o->broken)
            o->dropped++;
        else
            logline_format(&o->q, sl.mode, s->name, s->err, p, take);
        p += take, n -= take;
    } while (n);
}

static void feed(struct src *s, const char *p, size_t n)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        if (!nl) {
            buf_add(&s->line, p, n);
            if (s->line.len > SERVICE_LINE_MAX) { /* whole pieces out, the rest waits */
                size_t whole = (s->line.len - 1) / SERVICE_LINE_MAX * SERVICE_LINE_MAX;
                emit(s, s->line.p, whole);
                memmove(s->line.p, s->line.p + whole, s->line.len - whole);
                s->line.len -= whole;
            }
            return;
        }
        size_t take = (size_t)(nl - p);
        if (s->line.len) {
            buf_add(&s->line, p, take);
            emit(s, s->line.p, s->line.len);
            s->line.len = 0;
        } else {
            emit(s, p, take);
        }
        p += take + 1, n -= take + 1;
    }
}

static void src_end(struct src *s)
{
    if (s->line.len) /* a last line without its newline is a line */
        emit(s, s->line.p, s->line.len);
    loop_unwatch(s->fd);
    close(s->fd);
    for (struct src **pp = &sl.srcs; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    buf_free(&s->line);
    free(s);
}

/* one read: the loop comes back while there is more, other services get their turn */
static bool src_read(struct src *s)
{
    ssize_t n = read(s->fd, sl.rbuf, sizeof sl.rbuf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    if (n <= 0) {
        if (n < 0)
            warning("service %s: cannot read its %s: %s", s->name, s->err ? "stderr" : "stdout", strerror(errno));
        src_end(s);
        return false;
    }
    feed(s, sl.rbuf, (size_t)n);
    return true;
}

static void on_src(void *arg, short revents)
{
    (void)revents;
    struct src *s = arg;
    struct out *o = out_for(s);
    (void)src_read(s);
    out_push(o);
}

static void add_src(const char *name, bool err, int fd)
{
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        warning("service %s: %s", name, strerror(errno));
        close(fd);
        return;
    }
    struct src *s = calloc(1, sizeof *s);
    if (!s)
        die(1, "out of memory");
    snprintf(s->name, sizeof s->name, "%s", name);
    s->err = err;
    s->fd = fd;
    s->next = sl.srcs;
    sl.srcs = s;
    if (!sl.paused)
        (void)loop_watch(fd, POLLIN, on_src, s);
}

/* a runsv's two read ends, its service's name as the datagram */
static void on_sock(void *arg, short revents)
{
    (void)arg, (void)revents;
    for (;;) {
        char name[256];
        int fds[2];
        union {
            char b[CMSG_SPACE(sizeof fds)];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
        ssize_t n = recvmsg(sl.sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                warning("%s: %s", SERVICE_LOGS_SOCKET, strerror(errno));
            return;
        }
        name[n] = '\0';
        int nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                if (nfds > 2) /* not a shim of ours: nothing of it is kept */
                    for (int i = 0; i < nfds; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
                        close(fd);
                    }
                else
                    memcpy(fds, CMSG_DATA(c), (size_t)nfds * sizeof(int));
            }
        if (nfds != 2 || !runit_name_ok(name) || (m.msg_flags & MSG_CTRUNC)) {
            for (int i = 0; i < nfds && nfds <= 2; i++)
                close(fds[i]);
            warning("%s: a message that is no service's: ignored", SERVICE_LOGS_SOCKET);
            continue;
        }
        add_src(name, false, fds[0]);
        add_src(name, true, fds[1]);
        debug("service %s: its output is read by cinit", name);
    }
}

/* PID 1's own non-blocking description of its fd n (see the top of this file) */
static int open_out(int n)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", n);
    return open_fd(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

const char *service_logs_start(void)
{
    if (sl.mode == LOGLINE_RAW)
        return NULL;
    const char *what = NULL;
    for (int i = 0; i < 2; i++)
        if ((sl.out[i].fd = open_out(i + 1)) < 0)
            what = i ? "its stderr" : "its stdout";
    if (what) {
        warning("service output: cannot open %s again, non-blocking (%s): service output stays raw", what, strerror(errno));
        goto raw;
    }
    if (!runsv_shim_install("service output stays raw"))
        goto raw;
    sl.sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", SERVICE_LOGS_SOCKET);
    if (sl.sock >= 0 && unlink(SERVICE_LOGS_SOCKET) < 0 && errno != ENOENT)
        goto sock_fail;
    /* only cinit's own user (its runsv) may hand it pipes */
    mode_t mask = umask(077);
    int rc = sl.sock < 0 ? -1 : bind(sl.sock, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    umask(mask);
    errno = e;
    if (rc < 0)
        goto sock_fail;
    if (!loop_watch(sl.sock, POLLIN, on_sock, NULL))
        goto raw;
    return SERVICE_LOGS_BIN;
sock_fail:
    warning("service output: cannot listen on %s: %s: service output stays raw", SERVICE_LOGS_SOCKET, strerror(errno));
raw:
    for (int i = 0; i < 2; i++)
        if (sl.out[i].fd >= 0) {
            close(sl.out[i].fd);
            sl.out[i].fd = -1;
        }
    if (sl.sock >= 0) {
        close(sl.sock);
        sl.sock = -1;
    }
    sl.mode = LOGLINE_RAW;
    return NULL;
}

void service_logs_finish(void)
{
    if (sl.mode == LOGLINE_RAW)
        return;
    if (sl.sock >= 0) {
        loop_unwatch(sl.sock);
        close(sl.sock);
        sl.sock = -1;
        (void)unlink(SERVICE_LOGS_SOCKET);
    }
    /* what the services wrote before they ended, then out within FLUSH_MS (the one wait of
     * PID 1 on a reader: at its exit, and bounded) */
    while (sl.srcs) {
        struct src *s = sl.srcs;
        while (src_read(s))
            ;
        if (sl.srcs == s) /* still open: a writer outlived the services (an orphan) */
            src_end(s);
    }
    long long end = now_ms() + FLUSH_MS;
    for (int i = 0; i < 2; i++) {
        struct out *o = &sl.out[i];
        while (o->off < o->q.len && !o->broken) {
            long long left = end - now_ms();
            struct pollfd p = {.fd = o->fd, .events = POLLOUT};
            if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
                break;
            out_push(o);
        }
        if (o->off < o->q.len || o->dropped)
            warning("service output: %lu lines and %zu bytes could not be written", o->dropped, o->q.len - o->off);
        loop_unwatch(o->fd);
        close(o->fd);
        o->fd = -1;
        buf_free(&o->q);
    }
}
