#include "runit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* TAI64 labels are 2^62 + TAI seconds; runit's taia_now() adds the 10 s of TAI-UTC of 1972
 * and no later leap seconds, so this is the exact inverse of what runsv writes. */
#define TAI_UNIX_OFFSET 4611686018427387914ULL

bool runit_parse_status(const unsigned char *b, size_t n, struct runit_status *out)
{
    if (n < RUNIT_STATUS_LEN || b[19] > RUNIT_FINISH || (b[17] != 'u' && b[17] != 'd'))
        return false;
    unsigned long long tai = 0;
    for (int i = 0; i < 8; i++)
        tai = tai << 8 | b[i];
    unsigned long nsec = (unsigned long)b[8] << 24 | (unsigned long)b[9] << 16 | (unsigned long)b[10] << 8 | b[11];
    unsigned long pid = (unsigned long)b[15] << 24 | (unsigned long)b[14] << 16 | (unsigned long)b[13] << 8 | b[12];
    out->since = tai >= TAI_UNIX_OFFSET ? (long long)(tai - TAI_UNIX_OFFSET) : 0;
    out->nsec = nsec < 1000000000UL ? (long)nsec : 0;
    out->pid = (pid_t)pid;
    out->paused = b[16] != 0;
    out->want_up = b[17] == 'u';
    out->got_term = b[18] != 0;
    out->state = (enum runit_state)b[19];
    return true;
}

static int path_in(char *out, size_t n, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, n, "%s/%s", dir, name) >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int runit_read_status(const char *dir, struct runit_status *out)
{
    char path[4096];
    if (path_in(path, sizeof path, dir, "supervise/status") < 0)
        return -1;
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    unsigned char b[RUNIT_STATUS_LEN + 1];
    ssize_t r;
    do
        r = read(fd, b, sizeof b);
    while (r < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (r < 0) {
        errno = e;
        return -1;
    }
    /* runsv renames a complete new status into place, so a short one is not runsv's */
    if (!runit_parse_status(b, (size_t)r, out)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

long long runit_age_ms(const struct runit_status *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = ((long long)ts.tv_sec - s->since) * 1000 + (ts.tv_nsec - s->nsec) / 1000000;
    return ms > 0 ? ms : 0;
}

long long runit_age(const struct runit_status *s)
{
    return runit_age_ms(s) / 1000;
}

bool runit_supervised(const char *dir)
{
    char path[4096];
    if (path_in(path, sizeof path, dir, "supervise/ok") < 0)
        return false;
    /* opening a fifo for writing without blocking fails with ENXIO when nobody reads it */
    int fd = open_fd(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

int runit_control(const char *dir, char cmd)
{
    char path[4096];
    if (path_in(path, sizeof path, dir, "supervise/control") < 0)
        return -1;
    int fd = open_fd(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, &cmd, 1);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

bool runit_has_down(const char *dir, bool *held)
{
    char path[4096];
    if (held)
        *held = false;
    if (path_in(path, sizeof path, dir, "down") < 0)
        return false;
    struct buf b = {0};
    if (read_file(path, &b, 4096) < 0) {
        buf_free(&b);
        return errno != ENOENT; /* there but unreadable (EFBIG, EACCES): still a down file */
    }
    if (held)
        *held = b.len == strlen(RUNIT_HELD_MARK) && memcmp(b.p, RUNIT_HELD_MARK, b.len) == 0;
    buf_free(&b);
    return true;
}

bool runit_has_exec(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    return path_in(path, sizeof path, dir, name) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

bool runit_skipped(const char *dir, char *out, size_t n)
{
    char path[4096];
    struct buf b = {0};
    if (path_in(path, sizeof path, dir, RUNIT_SKIPPED_FILE) < 0 || read_file(path, &b, 1024) < 0) {
        buf_free(&b);
        return false;
    }
    size_t len = 0;
    while (len < b.len && b.p[len] != '\n' && b.p[len] != '\r')
        len++;
    snprintf(out, n, "%.*s", (int)len, len ? b.p : "skipped");
    buf_free(&b);
    return true;
}

bool runit_has_file(const char *dir, const char *name)
{
    char path[4096];
    return path_in(path, sizeof path, dir, name) == 0 && access(path, F_OK) == 0;
}

bool runit_name_ok(const char *name)
{
    return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 256;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_add(char **l, size_t *n, const char *s, size_t len)
{
    l = xrealloc(l, (*n + 2) * sizeof *l);
    char *c = xmalloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    l[(*n)++] = c;
    l[*n] = NULL;
    return l;
}

char **runit_services(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return NULL;
    char **l = xmalloc(sizeof *l);
    l[0] = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!runit_name_ok(de->d_name))
            continue;
        char path[4096];
        struct stat st;
        if (path_in(path, sizeof path, base, de->d_name) < 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        l = list_add(l, &n, de->d_name, strlen(de->d_name));
    }
    closedir(d);
    if (n > 1)
        qsort(l, n, sizeof *l, cmp_name);
    return l;
}

char **runit_parse_list(const char *text, size_t len)
{
    char **l = xmalloc(sizeof *l);
    l[0] = NULL;
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(e - p));
        const char *we = hash ? hash : e;
        while (p < we && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        while (we > p && (we[-1] == ' ' || we[-1] == '\t' || we[-1] == '\r'))
            we--;
        if (we > p)
            l = list_add(l, &n, p, (size_t)(we - p));
        p = nl ? nl + 1 : end;
    }
    return l;
}

char **runit_read_list(const char *path)
{
    struct buf b = {0};
    if (read_file(path, &b, 65536) < 0 && errno != ENOENT) {
        int e = errno;
        buf_free(&b);
        errno = e;
        return NULL;
    }
    char **l = runit_parse_list(b.p ? b.p : "", b.len);
    buf_free(&b);
    return l;
}

size_t runit_list_len(char **l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    return n;
}

void runit_free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

/* the last non-empty line of the end of path */
static bool last_line_of(const char *path, char *out, size_t n)
{
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    char tail[1024];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof tail ? size - (off_t)sizeof tail : 0;
    ssize_t r = size < 0 ? -1 : pread(fd, tail, sizeof tail, from);
    close(fd);
    if (r <= 0)
        return false;
    size_t len = (size_t)r;
    while (len && (tail[len - 1] == '\n' || tail[len - 1] == '\r'))
        len--;
    if (!len)
        return false;
    size_t start = len;
    while (start && tail[start - 1] != '\n')
        start--;
    size_t l = len - start;
    if (l >= n)
        l = n - 1;
    memcpy(out, tail + start, l);
    out[l] = '\0';
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    return true;
}

bool runit_last_output(const char *dir, char *out, size_t n)
{
    static const char *const where[] = {"log/main/current", "log/current", "current"};
    char path[4096];
    for (size_t i = 0; i < sizeof where / sizeof *where; i++)
        if (path_in(path, sizeof path, dir, where[i]) == 0 && last_line_of(path, out, n))
            return true;
    return false;
}
