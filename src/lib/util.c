#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *progname = "cinit";

static void vwarn(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    exit(status);
}

void warnx_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die(111, "out of memory");
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die(111, "out of memory");
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static void buf_grow(struct buf *b, size_t more)
{
    if (more >= SIZE_MAX / 2 - b->len)
        die(111, "out of memory");
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void buf_reserve(struct buf *b, size_t more)
{
    buf_grow(b, more);
}

void buf_add(struct buf *b, const void *data, size_t n)
{
    buf_grow(b, n);
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

void buf_addc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die(111, "bad format");
    buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *put_decimal(char *out, unsigned long v)
{
    char d[20]; /* the digits of 2^64 - 1 */
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while (v /= 10);
    memcpy(out, d + i, sizeof d - i);
    return out + (sizeof d - i);
}

void buf_addu(struct buf *b, unsigned long v)
{
    char d[20];
    buf_add(b, d, (size_t)(put_decimal(d, v) - d));
}

const char *buf_cstr(struct buf *b)
{
    buf_grow(b, 0);
    b->p[b->len] = '\0';
    return b->p;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

bool parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    for (const char *c = s; *c; c++)
        if ((*c < '0' || *c > '9') && !(c == s && *c == '-'))
            return false;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool parse_seconds_ms(const char *s, long max_seconds, long *ms)
{
    /* digits, optionally '.' and up to 3 more digits: no signs, exponents, spaces or "inf" */
    if (!s || !*s)
        return false;
    long whole = 0, frac = 0;
    const char *c = s;
    int nd = 0;
    for (; *c >= '0' && *c <= '9'; c++, nd++) {
        if (whole > max_seconds)
            return false;
        whole = whole * 10 + (*c - '0');
    }
    if (*c == '.') {
        c++;
        int nf = 0;
        for (; *c >= '0' && *c <= '9'; c++, nf++) {
            if (nf < 3)
                frac = frac * 10 + (*c - '0');
        }
        if (nf == 0 && nd == 0)
            return false;
        for (int i = nf; i < 3; i++)
            frac *= 10;
    } else if (nd == 0) {
        return false;
    }
    if (*c || whole > max_seconds)
        return false;
    *ms = whole * 1000 + frac;
    return true;
}

int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int openat_fd(int dfd, const char *name, int flags)
{
    return (int)syscall(SYS_openat, dfd, name, flags | O_LARGEFILE, 0);
}

int open_fd(const char *path, int flags)
{
    return openat_fd(AT_FDCWD, path, flags);
}

int read_file(const char *path, struct buf *out, size_t max)
{
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    char tmp[8192];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > max) {
            close(fd);
            errno = EFBIG;
            return -1;
        }
        buf_add(out, tmp, (size_t)n);
    }
    if (close(fd) < 0)
        return -1;
    return 0;
}

int atomic_write(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
    /* The temporary file sits in the same directory so that rename(2) is atomic; its name starts
     * with '.' and ends in ".tmp" so that a reader of the directory can tell it apart. */
    struct buf tmp = {0};
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    buf_add(&tmp, path, dirlen);
    /* at most 200 bytes of the name, so that the temporary name fits NAME_MAX too */
    size_t namelen = strlen(path + dirlen);
    buf_addc(&tmp, '.');
    buf_add(&tmp, path + dirlen, namelen < 200 ? namelen : 200);
    buf_addc(&tmp, '.');
    buf_addu(&tmp, (unsigned long)getpid());
    buf_adds(&tmp, ".XXXXXX");
    char *name = (char *)buf_cstr(&tmp);
    int fd = mkostemp(name, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        buf_free(&tmp);
        errno = e;
        return -1;
    }
    int rc = -1;
    if (fchmod(fd, mode) < 0)
        goto fail;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
        goto fail;
    if (write_all(fd, data, len) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(name, path) < 0)
        goto fail;
    rc = 0;
fail:
    if (rc < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        unlink(name);
        errno = e;
    }
    buf_free(&tmp);
    return rc;
}

int exec_failure_status(const char *cmd, int err)
{
    if (err == ENOENT)
        return 127;
    if (err != EACCES || strchr(cmd, '/'))
        return 126;
    /* glibc's execvp reports EACCES when any directory of PATH was unreadable, even when the
     * command is in none of them; a shell says "not found" then, and so do we. */
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    struct buf b = {0};
    int status = 127;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        b.len = 0;
        buf_add(&b, n ? p : ".", n ? n : 1);
        buf_addc(&b, '/');
        buf_adds(&b, cmd);
        struct stat st;
        if (stat(buf_cstr(&b), &st) == 0 && !S_ISDIR(st.st_mode)) {
            status = 126;
            break;
        }
        if (!end)
            break;
        p = end;
    }
    buf_free(&b);
    return status;
}
