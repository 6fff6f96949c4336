#include "cenv.h"
#include "idfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void (*cenv_warn)(const char *fmt, ...) = warnx_;

/* ---- files ---- */

void cenv_paths_for(struct cenv_paths *p, const char *base)
{
    /* without snprintf: PID 1 does this at every boot */
    size_t n = strlen(base);
    if (n > sizeof p->dir - sizeof ".json")
        n = sizeof p->dir - sizeof ".json"; /* the bases are the two constants of cenv.h */
    memcpy(p->dir, base, n);
    p->dir[n] = '\0';
    memcpy(p->sh, base, n);
    memcpy(p->sh + n, ".sh", sizeof ".sh");
    memcpy(p->json, base, n);
    memcpy(p->json + n, ".json", sizeof ".json");
}

void cenv_locate(struct cenv_paths *p)
{
    struct stat st;
    cenv_paths_for(p, stat(CENV_RUN_BASE ".sh", &st) == 0 ? CENV_RUN_BASE : CENV_ETC_BASE);
}

gid_t cenv_group(void)
{
    gid_t gid;
    return group_gid(CENV_GROUP, &gid) == 1 ? gid : 0;
}

/* how cenv_write_var writes value: one more newline when it ends in one (the reader strips one) */
static bool canonical(const char *file, size_t len)
{
    return len == 0 || file[len - 1] != '\n' || (len > 1 && file[len - 2] == '\n');
}

/* read(2), again when a signal interrupted it */
static ssize_t read_retry(int fd, void *p, size_t n)
{
    ssize_t r;
    do
        r = read(fd, p, n);
    while (r < 0 && errno == EINTR);
    return r;
}

/* The value of the open file fd (one trailing newline stripped): in small when it fits (most
 * do: no allocation), else in big. 0, 1 (larger than CENV_MAX_VALUE) or -1 with errno.
 * *canon: the file holds what cenv_write_var writes for it. */
static int read_value(int fd, char *small, size_t small_cap, struct buf *big, char **val, size_t *len, bool *canon)
{
    size_t n = 0;
    for (;;) { /* into small while there is room, then on into big */
        ssize_t r = read_retry(fd, small + n, small_cap - 1 - n);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == small_cap - 1)
            break;
    }
    char *p = small;
    if (n == small_cap - 1) {
        big->len = 0;
        buf_add(big, small, n);
        for (;;) {
            buf_reserve(big, big->len < 65536 ? big->len : 65536);
            ssize_t r = read_retry(fd, big->p + big->len, big->cap - big->len - 1);
            if (r < 0)
                return -1;
            if (r == 0)
                break;
            big->len += (size_t)r;
            if (big->len > CENV_MAX_VALUE)
                return 1;
        }
        p = big->p, n = big->len;
    }
    *canon = canonical(p, n);
    if (n && p[n - 1] == '\n')
        n--;
    p[n] = '\0';
    *val = p, *len = n;
    return 0;
}

int cenv_read_dir_each(const char *dir, cenv_var_fn fn, void *arg)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    struct buf list = {0};
    long count = dir_names(dfd, &list);
    if (count < 0) {
        int e = errno;
        close(dfd);
        buf_free(&list);
        errno = e;
        return -1;
    }
    char **names = dir_names_sorted(&list, (size_t)count);
    struct buf big = {0};
    char small[4096];
    for (size_t i = 0; names[i]; i++) {
        if (names[i][0] == '.')
            continue; /* atomic_write's temporary files */
        unsigned char type = (unsigned char)names[i][-1];
        struct stat st;
        /* the directory's own type spares a stat for each file; only filesystems that give
         * none need one */
        if (type == DT_UNKNOWN && fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
            type = S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        if (type != DT_REG)
            continue;
        if (!cenv_name_ok(names[i])) {
            cenv_warn("%s/%s: not a valid variable name, skipped", dir, names[i]);
            continue;
        }
        int fd = openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0) {
            cenv_warn("%s/%s: %s", dir, names[i], strerror(errno));
            continue;
        }
        bool canon = false;
        char *val;
        size_t len;
        int r = read_value(fd, small, sizeof small, &big, &val, &len, &canon);
        int rerr = errno;
        close(fd);
        if (r < 0) {
            cenv_warn("%s/%s: %s", dir, names[i], strerror(rerr));
            continue;
        }
        if (r > 0) {
            cenv_warn("%s/%s: larger than %d bytes, skipped", dir, names[i], CENV_MAX_VALUE);
            continue;
        }
        if (memchr(val, '\0', len)) {
            cenv_warn("%s/%s: contains a NUL byte, skipped", dir, names[i]);
            continue;
        }
        fn(names[i], val, canon, arg);
    }
    buf_free(&big);
    buf_free(&list);
    free(names);
    close(dfd);
    return 0;
}

static void add_var(const char *name, const char *value, bool canon, void *arg)
{
    if (canon)
        env_set_saved(arg, name, value);
    else
        env_set(arg, name, value);
}

int cenv_read_dir(const char *dir, struct envlist *out)
{
    return cenv_read_dir_each(dir, add_var, out);
}

/* memcmp a word at a time (libc's compares byte by byte): the dumps are compared at every boot */
static bool same_bytes(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return false;
    }
    return memcmp(a + i, b + i, n - i) == 0;
}

/* Same content already there? Then there is nothing to write (and a read-only file is fine). */
static bool same_content(const char *path, const char *data, size_t len, struct stat *st)
{
    /* compared piece by piece as it is read: PID 1 does this for every variable at every boot */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    if (st && fstat(fd, st) < 0) { /* the caller's check of owner and mode, on the same file */
        close(fd);
        return false;
    }
    char tmp[4096];
    size_t off = 0;
    bool same = true;
    for (;;) {
        ssize_t r = read_retry(fd, tmp, sizeof tmp);
        if (r <= 0) {
            same = r == 0 && off == len;
            break;
        }
        if ((size_t)r > len - off || !same_bytes(tmp, data + off, (size_t)r)) {
            same = false;
            break;
        }
        off += (size_t)r;
    }
    close(fd);
    return same;
}

int cenv_write_var(const char *dir, const char *name, const char *value)
{
    if (!cenv_name_ok(name)) {
        errno = EINVAL;
        return -1;
    }
    char path[PATH_MAX];
    size_t dl = strlen(dir), nl = strlen(name);
    if (dl + nl + 2 > sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(path, dir, dl);
    path[dl] = '/';
    memcpy(path + dl + 1, name, nl + 1);
    struct buf data = {0};
    const char *bytes = value;
    size_t len = strlen(value);
    /* the reader strips one trailing newline, so a value that ends in one gets another */
    if (len && value[len - 1] == '\n') {
        buf_add(&data, value, len);
        buf_addc(&data, '\n');
        bytes = data.p, len = data.len;
    }
    int rc = 0;
    if (!same_content(path, bytes, len, NULL))
        rc = atomic_write(path, bytes, len, 0600, (uid_t)-1, (gid_t)-1);
    int e = errno;
    buf_free(&data);
    errno = e;
    return rc;
}

static int write_dump(const char *path, struct buf *text, gid_t gid)
{
    struct stat st;
    if (same_content(path, text->p, text->len, &st) &&
        (st.st_mode & 07777) == 0640 && st.st_uid == 0 && st.st_gid == gid)
        return 0;
    return atomic_write(path, text->p, text->len, 0640, 0, gid);
}

int cenv_write_dumps(const struct cenv_paths *p, const struct envlist *e)
{
    /* sorted pointers to e's own strings: nothing copied (e has each name once) */
    struct envlist sorted = {0};
    size_t total = 64;
    if (e->n) {
        sorted.v = xmalloc(e->n * sizeof *e->v);
        memcpy(sorted.v, e->v, e->n * sizeof *e->v);
        sorted.n = sorted.cap = e->n;
        for (size_t i = 0; i < e->n; i++)
            total += strlen(e->v[i].name) + strlen(e->v[i].value) + 16;
    }
    env_sort(&sorted);
    gid_t gid = cenv_group();
    /* room for what the dumps usually need, so that they are not grown step by step */
    struct buf sh = {0}, js = {0};
    buf_reserve(&sh, total + total / 8);
    buf_reserve(&js, total + total / 8);
    sh_dump(&sh, &sorted);
    json_dump(&js, &sorted);
    int rc = write_dump(p->sh, &sh, gid);
    int e1 = errno;
    if (rc == 0) {
        rc = write_dump(p->json, &js, gid);
        e1 = errno;
    }
    buf_free(&sh);
    buf_free(&js);
    free(sorted.v);
    free(sorted.idx);
    errno = e1;
    return rc;
}

int cenv_export(const struct cenv_paths *p, const struct envlist *e)
{
    if (mkdir(p->dir, 0700) < 0 && errno != EEXIST)
        return -1;
    for (size_t i = 0; i < e->n; i++) {
        const char *name = e->v[i].name;
        if (e->v[i].saved || !cenv_exportable(name))
            continue; /* read from this directory as it is: nothing to compare or write */
        if (cenv_write_var(p->dir, name, e->v[i].value) < 0)
            return -1;
    }
    return cenv_write_dumps(p, e);
}
