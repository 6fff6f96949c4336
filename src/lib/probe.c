#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runit.h"
#include "util.h"

extern char **environ;

static void say_err(char *err, size_t n, const char *fmt, const char *arg)
{
    if (err && n)
        snprintf(err, n, fmt, arg);
}

static bool parse_port(const char *s, int *port)
{
    long v;
    if (!parse_long(s, 1, 65535, &v) || s[0] == '-')
        return false;
    *port = (int)v;
    return true;
}

/* HOST:PORT, HOST numeric IPv4, [IPv6] or localhost; host_default when only PORT is given */
static bool parse_hostport(const char *s, size_t len, struct probe *p, bool need_host)
{
    char tmp[128];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *colon = strrchr(tmp, ':');
    const char *host = "127.0.0.1", *port = tmp;
    if (colon) {
        *colon = '\0';
        host = tmp;
        port = colon + 1;
        if (host[0] == '[') {
            size_t hl = strlen(host);
            if (hl < 3 || host[hl - 1] != ']')
                return false;
            ((char *)host)[hl - 1] = '\0';
            host++;
        }
    } else if (need_host) {
        return false;
    }
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) != 1 && inet_pton(AF_INET6, host, a) != 1)
        return false;
    if (strlen(host) >= sizeof p->host || !parse_port(port, &p->port))
        return false;
    memcpy(p->host, host, strlen(host) + 1);
    return true;
}

bool probe_parse(const char *text, struct probe *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
        text++;
    size_t len = strlen(text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len >= sizeof p->text) {
        say_err(err, errlen, "%s", "probe too long");
        return false;
    }
    memcpy(p->text, text, len);
    p->text[len] = '\0';
    const char *t = p->text;
    if (len == 0 || strcmp(t, "up") == 0) {
        p->kind = PROBE_NOW;
        return true;
    }
    if (strcmp(t, "notify") == 0) {
        p->kind = PROBE_NOTIFY;
        return true;
    }
    if (strncmp(t, "tcp:", 4) == 0) {
        p->kind = PROBE_TCP;
        if (parse_hostport(t + 4, len - 4, p, false))
            return true;
        say_err(err, errlen, "'%s': expected tcp:PORT or tcp:HOST:PORT (HOST numeric, 1 <= PORT <= 65535)", t);
        return false;
    }
    if (strncmp(t, "unix:", 5) == 0 || strncmp(t, "file:", 5) == 0) {
        p->kind = t[0] == 'u' ? PROBE_UNIX : PROBE_FILE;
        const char *path = t + 5;
        struct sockaddr_un su;
        if (path[0] != '/' || (p->kind == PROBE_UNIX && strlen(path) >= sizeof su.sun_path)) {
            say_err(err, errlen, "'%s': expected an absolute path", t);
            return false;
        }
        memcpy(p->path, path, strlen(path) + 1);
        return true;
    }
    if (strncmp(t, "http://", 7) == 0) {
        p->kind = PROBE_HTTP;
        const char *hp = t + 7, *slash = strchr(hp, '/');
        size_t hl = slash ? (size_t)(slash - hp) : strlen(hp);
        const char *path = slash ? slash : "/";
        bool path_ok = true;
        for (const char *c = path; *c; c++)
            if ((unsigned char)*c <= ' ' || *c == 0x7f)
                path_ok = false;
        if (path_ok && parse_hostport(hp, hl, p, true)) {
            memcpy(p->path, path, strlen(path) + 1);
            return true;
        }
        say_err(err, errlen, "'%s': expected http://HOST:PORT/PATH (HOST numeric)", t);
        return false;
    }
    say_err(err, errlen, "'%s': unknown probe (tcp:PORT, tcp:HOST:PORT, unix:PATH, http://HOST:PORT/PATH, file:PATH)", t);
    return false;
}

static bool probe_file(const char *dir, struct probe *p, char *err, size_t errlen);

/* The fd number in DIR/notification-fd (s6-supervise's convention): 0 when there is none,
 * -1 (reason in err) when it is not one that a run can be given. */
static int notification_fd(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/notification-fd", dir) >= sizeof path) {
        say_err(err, errlen, "%s", "path too long");
        return -1;
    }
    struct buf b = {0};
    if (read_file(path, &b, 64) < 0) {
        int e = errno;
        buf_free(&b);
        if (e == ENOENT)
            return 0;
        say_err(err, errlen, "cannot read notification-fd: %s", strerror(e));
        return -1;
    }
    const char *t = buf_cstr(&b);
    char *end;
    errno = 0;
    long n = strtol(t, &end, 10);
    while (*end == '\n' || *end == ' ' || *end == '\t')
        end++;
    /* 0-2 are the run's standard input, output and error; the shim's dup2 comes before runsv
     * opens fds of its own, which then take other numbers */
    bool bad = end == t || *end || errno || n < 3 || n > 1023;
    if (bad) {
        char shown[64];
        snprintf(shown, sizeof shown, "%.*s", (int)strcspn(t, "\n"), t);
        say_err(err, errlen, "notification-fd '%s': not a file descriptor number from 3 to 1023", shown);
    }
    buf_free(&b);
    return bad ? -1 : (int)n;
}

bool probe_for_service(const char *dir, struct probe *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    int nfd = notification_fd(dir, err, errlen);
    if (nfd < 0)
        return false;
    if (!probe_file(dir, p, err, errlen))
        return false;
    if (!nfd)
        return true;
    if (p->kind != PROBE_UP && p->kind != PROBE_NOTIFY) { /* (PROBE_UP: no ready file, no ./check) */
        say_err(err, errlen, "notification-fd and %s: two ways to tell readiness; keep one", p->kind == PROBE_CHECK ? "./check" : "ready");
        return false;
    }
    p->kind = PROBE_NOTIFY;
    p->notify_fd = nfd;
    snprintf(p->text, sizeof p->text, "notification-fd %d", nfd);
    return true;
}

/* ./check, or the `ready` file */
static bool probe_file(const char *dir, struct probe *p, char *err, size_t errlen)
{
    if (runit_has_exec(dir, "check")) {
        p->kind = PROBE_CHECK;
        snprintf(p->text, sizeof p->text, "./check");
        return true;
    }
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/ready", dir) >= sizeof path) {
        say_err(err, errlen, "%s", "path too long");
        return false;
    }
    struct buf b = {0};
    if (read_file(path, &b, 4096) < 0) {
        int e = errno;
        buf_free(&b);
        if (e == ENOENT) {
            p->kind = PROBE_UP;
            return true;
        }
        say_err(err, errlen, "cannot read ready: %s", strerror(e));
        return false;
    }
    /* one probe: the first line */
    const char *text = buf_cstr(&b);
    char *nl = memchr(b.p, '\n', b.len);
    if (nl && nl + 1 < b.p + b.len) {
        bool more = false;
        for (char *c = nl + 1; c < b.p + b.len; c++)
            more |= *c != '\n' && *c != ' ' && *c != '\t' && *c != '\r';
        if (more) {
            buf_free(&b);
            say_err(err, errlen, "%s", "ready: one probe only, on one line");
            return false;
        }
    }
    if (memchr(b.p ? b.p : "", '\0', b.len)) {
        buf_free(&b);
        say_err(err, errlen, "%s", "ready: not text");
        return false;
    }
    bool ok = probe_parse(text, p, err, errlen);
    buf_free(&b);
    return ok;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
    long long l = deadline - mono_ms();
    return l < 0 ? 0 : l > INT_MAX ? INT_MAX : (int)l;
}

/* ---- network and file probes, without blocking ---- */

enum { STAGE_CONNECT = 1, STAGE_SEND, STAGE_RECV };

void probe_close(struct probe_io *io)
{
    if (io->fd >= 0)
        close(io->fd);
    io->fd = -1;
    io->stage = 0;
    buf_free(&io->data);
}

static int failed(struct probe_io *io, char *why, size_t whylen, const char *fmt, const char *arg)
{
    say_err(why, whylen, fmt, arg);
    probe_close(io);
    return PROBE_FAILED;
}

static int wait_for(struct probe_io *io, int stage, short events)
{
    io->stage = stage;
    io->events = events;
    return PROBE_PENDING;
}

/* the request is sent: http waits for its answer, the rest is ready */
static int connected(struct probe_io *io, char *why, size_t whylen)
{
    if (io->p->kind != PROBE_HTTP) {
        probe_close(io);
        return PROBE_READY;
    }
    const struct probe *p = io->p;
    bool v6 = strchr(p->host, ':') != NULL;
    buf_addf(&io->data, "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\nUser-Agent: cinit-probe\r\nConnection: close\r\n\r\n",
             p->path, v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
    io->off = 0;
    (void)why, (void)whylen;
    return wait_for(io, STAGE_SEND, POLLOUT);
}

static int start_connect(struct probe_io *io, int family, int type, const struct sockaddr *sa, socklen_t salen,
                         char *why, size_t whylen)
{
    io->fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (io->fd < 0)
        return failed(io, why, whylen, "socket: %s", strerror(errno));
    if (connect(io->fd, sa, salen) == 0)
        return connected(io, why, whylen);
    if (errno == EINPROGRESS || errno == EAGAIN)
        return wait_for(io, STAGE_CONNECT, POLLOUT);
    return failed(io, why, whylen, "%s", strerror(errno));
}

static int start_inet(struct probe_io *io, char *why, size_t whylen)
{
    const struct probe *p = io->p;
    struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p->port)};
    if (inet_pton(AF_INET, p->host, &in4.sin_addr) == 1)
        return start_connect(io, AF_INET, SOCK_STREAM, (struct sockaddr *)&in4, sizeof in4, why, whylen);
    if (inet_pton(AF_INET6, p->host, &in6.sin6_addr) == 1)
        return start_connect(io, AF_INET6, SOCK_STREAM, (struct sockaddr *)&in6, sizeof in6, why, whylen);
    return failed(io, why, whylen, "bad address %s", p->host);
}

int probe_start(struct probe_io *io, const struct probe *p, char *why, size_t whylen)
{
    *io = (struct probe_io){.fd = -1, .p = p};
    if (why && whylen)
        why[0] = '\0';
    switch (p->kind) {
    case PROBE_TCP:
    case PROBE_HTTP:
        return start_inet(io, why, whylen);
    case PROBE_UNIX: {
        struct sockaddr_un su = {.sun_family = AF_UNIX};
        memcpy(su.sun_path, p->path, strlen(p->path) + 1);
        int r = start_connect(io, AF_UNIX, SOCK_STREAM, (struct sockaddr *)&su, sizeof su, why, whylen);
        if (r == PROBE_FAILED && why && strcmp(why, strerror(EPROTOTYPE)) == 0) /* a datagram socket, as /dev/log */
            r = start_connect(io, AF_UNIX, SOCK_DGRAM, (struct sockaddr *)&su, sizeof su, why, whylen);
        return r;
    }
    case PROBE_FILE: {
        struct stat st;
        if (stat(p->path, &st) == 0)
            return PROBE_READY;
        say_err(why, whylen, "%s", strerror(errno));
        return PROBE_FAILED;
    }
    default:
        say_err(why, whylen, "%s", "not a probe that runs");
        return PROBE_FAILED;
    }
}

/* the status line is in: "HTTP/1.x NNN ...", 2xx and 3xx are ready */
static int answered(struct probe_io *io, char *why, size_t whylen)
{
    const char *line = buf_cstr(&io->data);
    const char *sp = strchr(line, ' ');
    const char *code = sp ? sp + 1 : "";
    if (strncmp(line, "HTTP/", 5) != 0 || !sp || code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' ||
        code[2] < '0' || code[2] > '9')
        return failed(io, why, whylen, "%s", "not an HTTP answer");
    if (code[0] == '2' || code[0] == '3') {
        probe_close(io);
        return PROBE_READY;
    }
    char c[4] = {code[0], code[1], code[2], 0};
    return failed(io, why, whylen, "HTTP %s", c);
}

int probe_step(struct probe_io *io, char *why, size_t whylen)
{
    if (io->stage == STAGE_CONNECT) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr)
            return failed(io, why, whylen, "%s", strerror(soerr ? soerr : errno));
        return connected(io, why, whylen);
    }
    if (io->stage == STAGE_SEND) {
        while (io->off < io->data.len) {
            ssize_t w = send(io->fd, io->data.p + io->off, io->data.len - io->off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EAGAIN)
                return PROBE_PENDING;
            if (w < 0)
                return failed(io, why, whylen, "send: %s", strerror(errno));
            io->off += (size_t)w;
        }
        io->data.len = 0;
        return wait_for(io, STAGE_RECV, POLLIN);
    }
    if (io->stage == STAGE_RECV) {
        char tmp[64];
        for (;;) {
            ssize_t r = recv(io->fd, tmp, sizeof tmp - 1 - io->data.len, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && errno == EAGAIN)
                return PROBE_PENDING;
            if (r <= 0)
                return failed(io, why, whylen, "%s", r == 0 ? "connection closed before an answer" : strerror(errno));
            buf_add(&io->data, tmp, (size_t)r);
            if (io->data.len >= 12)
                return answered(io, why, whylen);
        }
    }
    return failed(io, why, whylen, "%s", "not a probe in progress");
}

void probe_timed_out(struct probe_io *io, char *why, size_t whylen)
{
    say_err(why, whylen, "%s",
            io->stage == STAGE_SEND   ? "timed out sending the request"
            : io->stage == STAGE_RECV ? "timed out waiting for the answer"
                                      : "timed out connecting");
    probe_close(io);
}

bool probe_run(const struct probe *p, int timeout_ms, char *why, size_t whylen)
{
    long long deadline = mono_ms() + timeout_ms;
    struct probe_io io;
    int r = probe_start(&io, p, why, whylen);
    while (r == PROBE_PENDING) {
        struct pollfd pf = {.fd = io.fd, .events = io.events};
        int n = poll(&pf, 1, left_ms(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            probe_close(&io);
            say_err(why, whylen, "poll: %s", strerror(errno));
            return false;
        }
        if (n == 0) {
            probe_timed_out(&io, why, whylen);
            return false;
        }
        r = probe_step(&io, why, whylen);
    }
    return r == PROBE_READY;
}

/* ---- ./check ---- */

/* the last non-empty line of what the check printed */
static void last_line(const struct buf *b, char *out, size_t n)
{
    size_t len = b->len;
    while (len && (b->p[len - 1] == '\n' || b->p[len - 1] == '\r'))
        len--;
    size_t start = len;
    while (start && b->p[start - 1] != '\n')
        start--;
    size_t l = len - start < n - 1 ? len - start : n - 1;
    memcpy(out, b->p + start, l);
    out[l] = '\0';
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
}

bool probe_check_read(int fd, struct buf *out)
{
    for (;;) {
        char tmp[512];
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r > 0) {
            if (out->len < PROBE_CHECK_OUTPUT_MAX)
                buf_add(out, tmp, (size_t)r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 && errno == EAGAIN;
    }
}

bool probe_check_result(int st, bool timed_out, int timeout_ms, const struct buf *out, char *why, size_t whylen)
{
    if (!timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return true;
    char line[256] = "";
    if (out->len)
        last_line(out, line, sizeof line);
    const char *sep = line[0] ? ": " : "";
    if (!why || !whylen)
        return false;
    if (timed_out)
        snprintf(why, whylen, "./check timed out after %d ms%s%s", timeout_ms, sep, line);
    else if (WIFSIGNALED(st))
        snprintf(why, whylen, "./check killed by signal %d%s%s", WTERMSIG(st), sep, line);
    else
        snprintf(why, whylen, "./check exited %d%s%s", WEXITSTATUS(st), sep, line);
    return false;
}

/* the check and what it started: gone, and reaped */
static void kill_check(pid_t pid, int *st)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, st, 0) < 0 && errno == EINTR)
        ;
}

bool probe_run_check(const char *dir, char *const envp[], int timeout_ms, char *why, size_t whylen)
{
    long long deadline = mono_ms() + timeout_ms;
    if (why && whylen)
        why[0] = '\0';
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
        say_err(why, whylen, "pipe: %s", strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        say_err(why, whylen, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return false;
    }
    if (pid == 0) {
        /* as sv runs it: in the service directory, but with the defaults a child should have */
        sigset_t none;
        sigemptyset(&none);
        for (int s = 1; s < NSIG; s++)
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpgid(0, 0); /* its own group, so that a timeout kills what it started too */
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        if (chdir(dir) < 0)
            _exit(111);
        char *argv[] = {"./check", NULL};
        execve("./check", argv, envp ? envp : environ);
        _exit(exec_failure_status("./check", errno));
    }
    close(pfd[1]);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct buf out = {0};
    bool eof = false, timed_out = false;
    int st = 0;
    for (;;) {
        struct pollfd pf[2] = {{.fd = eof ? -1 : pfd[0], .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        int wait = left_ms(deadline);
        if (pidfd < 0 && eof) /* no pidfd (old kernel): the output is done, so it is about to exit */
            wait = wait < 10 ? wait : 10;
        int n = poll(pf, 2, wait);
        if (n < 0 && errno != EINTR) {
            say_err(why, whylen, "./check: poll: %s", strerror(errno));
            kill_check(pid, &st);
            break;
        }
        if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP)))
            eof = !probe_check_read(pfd[0], &out);
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            say_err(why, whylen, "./check: waitpid: %s", strerror(errno));
            kill_check(pid, &st);
            break;
        }
        if (left_ms(deadline) == 0) {
            timed_out = true;
            kill_check(pid, &st);
            break;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    if (!eof)
        (void)probe_check_read(pfd[0], &out);
    close(pfd[0]);
    bool ok = why && why[0] ? false : probe_check_result(st, timed_out, timeout_ms, &out, why, whylen);
    buf_free(&out);
    return ok;
}
