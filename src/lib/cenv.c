#include "cenv.h"
#include "idfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void (*cenv_warn)(const char *fmt, ...) = warnx_;

/* ---- files ---- */

void cenv_paths_for(struct cenv_paths *p, const char *base)
{
    snprintf(p->dir, sizeof p->dir, "%s", base);
    snprintf(p->sh, sizeof p->sh, "%s.sh", base);
    snprintf(p->json, sizeof p->json, "%s.json", base);
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

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cenv_read_dir(const char *dir, struct envlist *out)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        errno = e;
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue; /* ., .., and atomic_write's temporary files */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(de->d_name);
        errno = 0;
    }
    int rc = errno ? -1 : 0;
    int saved = errno;
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    struct buf val = {0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
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
        val.len = 0;
        char tmp[8192];
        ssize_t r;
        bool big = false;
        while ((r = read(fd, tmp, sizeof tmp)) != 0) {
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            if (val.len + (size_t)r > CENV_MAX_VALUE) {
                big = true;
                break;
            }
            buf_add(&val, tmp, (size_t)r);
        }
        int rerr = r < 0 ? errno : 0;
        close(fd);
        if (rerr) {
            cenv_warn("%s/%s: %s", dir, names[i], strerror(rerr));
            continue;
        }
        if (big) {
            cenv_warn("%s/%s: larger than %d bytes, skipped", dir, names[i], CENV_MAX_VALUE);
            continue;
        }
        if (memchr(val.p ? val.p : "", '\0', val.len)) {
            cenv_warn("%s/%s: contains a NUL byte, skipped", dir, names[i]);
            continue;
        }
        if (val.len && val.p[val.len - 1] == '\n')
            val.len--;
        env_set(out, names[i], buf_cstr(&val));
    }
    buf_free(&val);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    errno = saved;
    return rc;
}

/* Same content already there? Then there is nothing to write (and a read-only file is fine). */
static bool same_content(const char *path, const char *data, size_t len)
{
    /* compared piece by piece as it is read: PID 1 does this for every variable at every boot */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    char tmp[4096];
    size_t off = 0;
    bool same = true;
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            same = r == 0 && off == len;
            break;
        }
        if ((size_t)r > len - off || memcmp(tmp, data + off, (size_t)r) != 0) {
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
    if (!same_content(path, bytes, len))
        rc = atomic_write(path, bytes, len, 0600, (uid_t)-1, (gid_t)-1);
    int e = errno;
    buf_free(&data);
    errno = e;
    return rc;
}

static int write_dump(const char *path, struct buf *text, gid_t gid)
{
    struct stat st;
    if (same_content(path, text->p, text->len) && stat(path, &st) == 0 &&
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
        if (!cenv_exportable(name))
            continue;
        if (cenv_write_var(p->dir, name, e->v[i].value) < 0)
            return -1;
    }
    return cenv_write_dumps(p, e);
}
