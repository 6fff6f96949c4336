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

bool probe_for_service(const char *dir, struct probe *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
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

/* connect without blocking past the deadline: the socket, or -1 with the reason */
static int connect_by(int family, int type, const struct sockaddr *sa, socklen_t salen, long long deadline,
                      char *why, size_t whylen)
{
    int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        say_err(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, sa, salen) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EAGAIN) {
        say_err(why, whylen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    int n;
    do
        n = poll(&pf, 1, left_ms(deadline));
    while (n < 0 && errno == EINTR);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (n <= 0) {
        say_err(why, whylen, "%s", n == 0 ? "timed out connecting" : strerror(errno));
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
        say_err(why, whylen, "%s", strerror(soerr ? soerr : errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int connect_inet(const struct probe *p, long long deadline, char *why, size_t whylen)
{
    struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p->port)};
    if (inet_pton(AF_INET, p->host, &in4.sin_addr) == 1)
        return connect_by(AF_INET, SOCK_STREAM, (struct sockaddr *)&in4, sizeof in4, deadline, why, whylen);
    if (inet_pton(AF_INET6, p->host, &in6.sin6_addr) == 1)
        return connect_by(AF_INET6, SOCK_STREAM, (struct sockaddr *)&in6, sizeof in6, deadline, why, whylen);
    say_err(why, whylen, "bad address %s", p->host);
    return -1;
}

static bool http_get(const struct probe *p, long long deadline, char *why, size_t whylen)
{
    int fd = connect_inet(p, deadline, why, whylen);
    if (fd < 0)
        return false;
    struct buf req = {0};
    bool v6 = strchr(p->host, ':') != NULL;
    buf_addf(&req, "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\nUser-Agent: cinit-probe\r\nConnection: close\r\n\r\n",
             p->path, v6 ? "[" : "", p->host, v6 ? "]" : "", p->port);
    bool ok = false;
    size_t off = 0;
    while (off < req.len) {
        ssize_t w = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            if (poll(&pf, 1, left_ms(deadline)) <= 0) {
                say_err(why, whylen, "%s", "timed out sending the request");
                goto out;
            }
            continue;
        }
        if (w < 0) {
            say_err(why, whylen, "send: %s", strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    /* the status line: "HTTP/1.x NNN ..." */
    char line[64];
    size_t got = 0;
    while (got < 12) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int n = poll(&pf, 1, left_ms(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            say_err(why, whylen, "%s", "timed out waiting for the answer");
            goto out;
        }
        ssize_t r = recv(fd, line + got, sizeof line - 1 - got, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0) {
            say_err(why, whylen, "%s", r == 0 ? "connection closed before an answer" : strerror(errno));
            goto out;
        }
        got += (size_t)r;
    }
    line[got] = '\0';
    if (strncmp(line, "HTTP/", 5) != 0 || !strchr(line, ' ')) {
        say_err(why, whylen, "%s", "not an HTTP answer");
        goto out;
    }
    const char *code = strchr(line, ' ') + 1;
    if (code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9') {
        say_err(why, whylen, "%s", "not an HTTP answer");
        goto out;
    }
    ok = code[0] == '2' || code[0] == '3';
    if (!ok) {
        char c[4] = {code[0], code[1], code[2], 0};
        say_err(why, whylen, "HTTP %s", c);
    }
out:
    buf_free(&req);
    close(fd);
    return ok;
}

bool probe_run(const struct probe *p, int timeout_ms, char *why, size_t whylen)
{
    long long deadline = mono_ms() + timeout_ms;
    if (why && whylen)
        why[0] = '\0';
    switch (p->kind) {
    case PROBE_TCP: {
        int fd = connect_inet(p, deadline, why, whylen);
        if (fd < 0)
            return false;
        close(fd);
        return true;
    }
    case PROBE_UNIX: {
        struct sockaddr_un su = {.sun_family = AF_UNIX};
        memcpy(su.sun_path, p->path, strlen(p->path) + 1);
        int fd = connect_by(AF_UNIX, SOCK_STREAM, (struct sockaddr *)&su, sizeof su, deadline, why, whylen);
        if (fd < 0 && why && strcmp(why, strerror(EPROTOTYPE)) == 0) /* a datagram socket, as /dev/log */
            fd = connect_by(AF_UNIX, SOCK_DGRAM, (struct sockaddr *)&su, sizeof su, deadline, why, whylen);
        if (fd < 0)
            return false;
        close(fd);
        return true;
    }
    case PROBE_HTTP:
        return http_get(p, deadline, why, whylen);
    case PROBE_FILE: {
        struct stat st;
        if (stat(p->path, &st) == 0)
            return true;
        say_err(why, whylen, "%s", strerror(errno));
        return false;
    }
    default:
        say_err(why, whylen, "%s", "not a probe that runs");
        return false;
    }
}

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

bool probe_run_check(const char *dir, char *const envp[], int timeout_ms, char *why, size_t whylen)
{
    long long deadline = mono_ms() + timeout_ms;
    if (why && whylen)
        why[0] = '\0';
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
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
    bool eof = false, exited = false, timed_out = false;
    int st = 0;
    while (!exited) {
        struct pollfd pf[2] = {{.fd = eof ? -1 : pfd[0], .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        int wait = left_ms(deadline);
        if (pidfd < 0 && eof) /* no pidfd (old kernel): the output is done, so it is about to exit */
            wait = wait < 10 ? wait : 10;
        int n = poll(pf, 2, wait);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
            char tmp[512];
            ssize_t r = read(pfd[0], tmp, sizeof tmp);
            if (r > 0) {
                if (out.len < 4096)
                    buf_add(&out, tmp, (size_t)r);
            } else if (r == 0 || errno != EINTR) {
                eof = true;
            }
        }
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            exited = true;
        } else if (w < 0 && errno != EINTR) {
            break;
        } else if (left_ms(deadline) == 0) {
            timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            exited = true;
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    close(pfd[0]);
    char line[256] = "";
    if (out.len)
        last_line(&out, line, sizeof line);
    buf_free(&out);
    if (exited && !timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return true;
    if (why && whylen) {
        if (timed_out)
            snprintf(why, whylen, "./check timed out after %d ms%s%s", timeout_ms, line[0] ? ": " : "", line);
        else if (!exited)
            snprintf(why, whylen, "./check: %s", strerror(errno));
        else if (WIFSIGNALED(st))
            snprintf(why, whylen, "./check killed by signal %d%s%s", WTERMSIG(st), line[0] ? ": " : "", line);
        else
            snprintf(why, whylen, "./check exited %d%s%s", WEXITSTATUS(st), line[0] ? ": " : "", line);
    }
    return false;
}
