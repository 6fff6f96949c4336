/* cinit-syslogd: a minimal syslog daemon. Reads datagrams from /dev/log and writes one line per
 * message to stdout (in the image, PID 1's, so that `docker logs` shows it) and/or to files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "syslogmsg.h"
#include "util.h"

#define MAX_OUTPUTS 8
/* Room for bursts: a full queue makes blocking senders wait and non-blocking ones drop. */
#define RCVBUF_SIZE (8 * 1024 * 1024)
/* Datagrams handled per wake-up before signals are looked at again. */
#define BATCH 256
/* At most this long for writing out, at exit, what was queued before SIGTERM. */
#define DRAIN_SECONDS 2

struct output {
    const char *path; /* NULL: standard output */
    int fd;
    bool failing; /* reported once, until a write works again */
    bool midline; /* the last line got out only in part */
};

static struct output outputs[MAX_OUTPUTS];
static size_t noutputs;
static volatile sig_atomic_t got_term, got_hup;
static int wake_pipe[2] = {-1, -1};
/* static rather than 64 KiB of stack; its pages cost memory only once a message filled them */
static char rbuf[SYSLOG_MAX_MSG];

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: cinit-syslogd [--socket PATH] [--output FILE]... [--format FORMAT]\n"
            "Receive syslog messages on a unix datagram socket and write one line per message.\n"
            "\n"
            "  --socket PATH    listen on PATH (default /dev/log); a stale socket there is\n"
            "                   replaced, anything that is not a socket is left alone\n"
            "  --output FILE    write to FILE (appending; reopened on SIGHUP); '-' is standard\n"
            "                   output; may be repeated; default: standard output only\n"
            "  --format FORMAT  plain (default): 'facility.severity TAG[PID]: message'\n"
            "                   json: one object per line; rfc5424: syslog protocol lines\n"
            "  --help           show this help\n"
            "  --version        show the version\n");
}

static void on_signal(int sig)
{
    int e = errno;
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
    /* wakes poll() even when the signal came just before it was entered */
    ssize_t r = write(wake_pipe[1], "", 1);
    (void)r;
    errno = e;
}

static void setup_signals(void)
{
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        die(1, "pipe: %s", strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a write blocked on a stuck reader must give way to SIGTERM. SIGALRM
     * bounds the last writes at exit (see main). */
    const int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGALRM};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], &sa, NULL) < 0)
            die(1, "sigaction: %s", strerror(errno));
        sigaddset(&set, sigs[i]);
    }
    /* a reader that goes away must cost a line, not the daemon */
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0)
        die(1, "sigaction: %s", strerror(errno));
    if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
        die(1, "sigprocmask: %s", strerror(errno));
}

/* A socket or file opened later must never land on fd 0-2 (it would then get the log lines). */
static void keep_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int n = open("/dev/null", O_RDWR);
        if (n < 0)
            die(1, "/dev/null: %s", strerror(errno));
        if (n != fd)
            die(1, "cannot fill file descriptor %d", fd);
    }
}

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
}

static void open_outputs(void)
{
    if (noutputs == 0)
        outputs[noutputs++].path = NULL;
    for (size_t i = 0; i < noutputs; i++) {
        struct output *o = &outputs[i];
        if (!o->path) {
            o->fd = STDOUT_FILENO;
        } else if ((o->fd = open_file(o->path)) < 0) {
            die(1, "%s: %s", o->path, strerror(errno));
        }
    }
}

/* SIGHUP: files were rotated; the new one is opened first so that no line goes nowhere. */
static void reopen_outputs(void)
{
    for (size_t i = 0; i < noutputs; i++) {
        struct output *o = &outputs[i];
        if (!o->path)
            continue;
        int fd = open_file(o->path);
        if (fd < 0) {
            warnx_("cannot reopen %s: %s (still writing to the old file)", o->path, strerror(errno));
            continue;
        }
        if (close(o->fd) < 0)
            warnx_("closing %s: %s", o->path, strerror(errno));
        o->fd = fd;
        o->failing = o->midline = false;
    }
}

/* One line, one write(2) (more only if the kernel takes part of it). A stop signal makes a
 * blocked write give up; *done says how much of the line got out. */
static int write_line(int fd, const char *p, size_t len, size_t *done)
{
    *done = 0;
    while (*done < len) {
        ssize_t n = write(fd, p + *done, len - *done);
        if (n >= 0) {
            *done += (size_t)n;
            if (*done < len && got_term) {
                errno = EINTR;
                return -1;
            }
            continue;
        }
        if (got_term || (errno != EINTR && errno != EAGAIN))
            return -1;
        if (errno == EAGAIN) {
            /* someone made the shared description non-blocking: wait rather than lose it */
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            if (poll(&pf, 1, -1) < 0 && errno != EINTR)
                return -1;
        }
    }
    return 0;
}

static void deliver(const char *line, size_t len)
{
    for (size_t i = 0; i < noutputs; i++) {
        struct output *o = &outputs[i];
        const char *name = o->path ? o->path : "standard output";
        size_t done;
        /* a line cut short by a signal is ended first, so that the next one starts clean */
        if (o->midline && write_line(o->fd, "\n", 1, &done) == 0)
            o->midline = false;
        if (o->midline || write_line(o->fd, line, len, &done) < 0) {
            if (!o->midline && done)
                o->midline = true;
            if (!o->failing && !got_term)
                warnx_("writing to %s: %s (lines are lost until it works again)", name,
                       strerror(errno));
            o->failing = true;
        } else if (o->failing) {
            o->failing = false;
            warnx_("writing to %s works again", name);
        }
    }
}

/* connect() tells a socket somebody listens on from one left behind by a dead daemon. */
static bool socket_in_use(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die(1, "socket: %s", strerror(errno));
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    /* EPROTOTYPE: a live stream socket (a dead one refuses before the type is looked at) */
    bool live = rc == 0 || errno == EPROTOTYPE;
    close(fd);
    return live;
}

static int open_socket(const char *path, struct stat *bound)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path)
        die(1, "%s: socket path too long", path);
    strcpy(sa.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            die(1, "%s exists and is not a socket: not replacing it", path);
        if (socket_in_use(&sa))
            die(1, "%s: another process is listening on it", path);
        if (unlink(path) < 0 && errno != ENOENT)
            die(1, "cannot remove the stale socket %s: %s", path, strerror(errno));
    } else if (errno != ENOENT) {
        die(1, "%s: %s", path, strerror(errno));
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        die(1, "socket: %s", strerror(errno));
    /* 0666: every user may log */
    mode_t old = umask(0111);
    int rc = bind(fd, (const struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    umask(old);
    if (rc < 0)
        die(1, "bind %s: %s", path, strerror(e));
    if (stat(path, bound) < 0)
        die(1, "%s: %s", path, strerror(errno));
    /* FORCE goes past rmem_max but needs CAP_NET_ADMIN; the plain one is capped silently */
    int size = RCVBUF_SIZE;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0)
        warnx_("SO_RCVBUF: %s", strerror(errno));
    return fd;
}

struct daemon {
    int sock;
    enum syslog_format fmt;
    struct syslog_ctx ctx;
    struct buf line;
};

/* Read and write out at most max queued datagrams; false once the queue is empty. */
static bool receive(struct daemon *d, int max)
{
    for (int i = 0; i < max; i++) {
        /* once stopping, what is still queued is for the bounded loop at exit */
        if (got_term)
            return true;
        ssize_t n = recv(d->sock, rbuf, sizeof rbuf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return false;
            if (errno == EINTR)
                continue;
            if (errno == EBADF || errno == ENOTSOCK || errno == EFAULT || errno == EINVAL)
                die(1, "recv: %s", strerror(errno));
            warnx_("recv: %s", strerror(errno));
            return false;
        }
        /* a SIGHUP sent before this message was delivered before recv() returned it */
        if (got_hup) {
            got_hup = 0;
            reopen_outputs();
        }
        size_t len = (size_t)n < sizeof rbuf ? (size_t)n : sizeof rbuf;
        struct syslog_msg m;
        syslog_parse(rbuf, len, (size_t)n, &m);
        if (d->fmt == SYSLOG_FMT_RFC5424 && clock_gettime(CLOCK_REALTIME, &d->ctx.now) < 0)
            d->ctx.now = (struct timespec){0, 0};
        d->line.len = 0;
        syslog_format_line(&d->line, &m, d->fmt, &d->ctx);
        deliver(d->line.p, d->line.len);
        /* keep idle memory small after a huge message: the heap grew for it, give it back
         * (musl's allocator unmaps large blocks on free by itself; glibc's needs asking) */
        if (d->line.cap > 2 * SYSLOG_MAX_MSG) {
            buf_free(&d->line);
#ifdef __GLIBC__
            malloc_trim(0);
#endif
        }
    }
    return true;
}

static void drain_wake_pipe(void)
{
    char tmp[64];
    while (read(wake_pipe[0], tmp, sizeof tmp) > 0)
        ;
}

int main(int argc, char **argv)
{
    progname = "cinit-syslogd";
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *socket_path = "/dev/log";
    struct daemon d = {.fmt = SYSLOG_FMT_PLAIN};
    int c;
    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            socket_path = optarg;
            break;
        case 'o':
            if (noutputs == MAX_OUTPUTS)
                die(2, "at most %d --output", MAX_OUTPUTS);
            outputs[noutputs++].path = strcmp(optarg, "-") == 0 ? NULL : optarg;
            break;
        case 'f':
            if (!syslog_format_parse(optarg, &d.fmt))
                die(2, "unknown format '%s' (plain, json or rfc5424)", optarg);
            break;
        case 'h':
            usage(stdout);
            return fflush(stdout) == 0 ? 0 : 1;
        case 'V':
            printf("cinit-syslogd %s\n", CINIT_VERSION);
            return fflush(stdout) == 0 ? 0 : 1;
        default:
            fprintf(stderr, "Try 'cinit-syslogd --help'.\n");
            return 2;
        }
    }
    if (optind < argc)
        die(2, "unexpected argument '%s' (try --help)", argv[optind]);

    keep_std_fds();
    setup_signals();
    open_outputs();
    static char host[256];
    if (gethostname(host, sizeof host - 1) == 0)
        d.ctx.hostname = host;
    struct stat bound;
    d.sock = open_socket(socket_path, &bound);

    while (!got_term) {
        if (got_hup) {
            got_hup = 0;
            reopen_outputs();
        }
        struct pollfd pf[2] = {{.fd = d.sock, .events = POLLIN}, {.fd = wake_pipe[0], .events = POLLIN}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            die(1, "poll: %s", strerror(errno));
        }
        if (pf[1].revents)
            drain_wake_pipe();
        if (pf[0].revents)
            receive(&d, BATCH);
    }

    /* What was sent before the TERM is still written out. The bounds keep a flood of senders,
     * or an output nobody reads any more, from holding the shutdown up: a second signal or
     * the alarm interrupts a blocked write and ends it. */
    got_term = 0;
    alarm(DRAIN_SECONDS);
    for (int i = 0; i < 1000 && !got_term && receive(&d, BATCH); i++)
        ;
    /* only our own socket is removed, not one a successor has bound in the meantime */
    struct stat st;
    if (stat(socket_path, &st) == 0 && st.st_dev == bound.st_dev && st.st_ino == bound.st_ino &&
        unlink(socket_path) < 0)
        warnx_("cannot remove %s: %s", socket_path, strerror(errno));
    buf_free(&d.line);
    return 0;
}
