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
    int dfd = open_fd(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
        int fd = openat_fd(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
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
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
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
    /* Root writes them for root and docker_env (0640 root:docker_env). Any other user
     * (docker run --user: the whole container is that user's) can give them to nobody else,
     * and needs no other reader: its own, 0600. */
    bool root = geteuid() == 0;
    mode_t mode = root ? 0640 : 0600;
    uid_t uid = root ? 0 : geteuid();
    struct stat st;
    if (same_content(path, text->p, text->len, &st) && (st.st_mode & 07777) == mode && st.st_uid == uid &&
        (!root || st.st_gid == gid))
        return 0;
    return atomic_write(path, text->p, text->len, mode, root ? 0 : (uid_t)-1, root ? gid : (gid_t)-1);
}

/* ---- the dumps' stamp ----
 * Making both dumps and comparing them with the files costs more than all the rest of a boot
 * together, for dumps that are nearly always what they were at the last boot. The stamp, a
 * file of the directory whose name starts with '.' (which no reader takes for a variable),
 * says what the dumps were made from: a hash of the exportable variables, and the identity of
 * /etc/group (whose docker_env gave their gid) and of the two files as written (inode, size,
 * ctime, mode, owner: any write, rename, chmod or chown since changes one). While all of it
 * still holds, the dumps are byte for byte what they would be rewritten to. */
#define STAMP_NAME ".cinit-dumps"
#define STAMP_MAX 512

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* a word at a time: the values can be megabytes */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return mix64(h ^ w ^ ((uint64_t)n << 56));
}

/* The variables the dumps hold, in any order (the environment's own order may differ from one
 * boot to the next while the dumps, sorted, do not). */
static uint64_t env_hash(const struct envlist *e)
{
    uint64_t sum = 0, count = 0;
    for (size_t i = 0; i < e->n; i++) {
        const char *name = e->v[i].name, *value = e->v[i].value;
        if (!cenv_exportable(name))
            continue;
        size_t nl = strlen(name), vl = strlen(value);
        sum += hash_bytes(hash_bytes(nl, name, nl) ^ vl, value, vl);
        count++;
    }
    return mix64(sum ^ mix64(count));
}

static char *put_hex(char *p, uint64_t v)
{
    char t[16];
    int n = 0;
    do
        t[n++] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) != 0);
    while (n)
        *p++ = t[--n];
    *p++ = ' ';
    return p;
}

/* One line of a file's identity at p (room for it: STAMP_MAX / 4); NULL if it cannot be
 * stat'ed, or with missing_ok "-" for a file that does not exist. */
static char *put_id(char *p, const char *path, bool missing_ok)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (!missing_ok || errno != ENOENT)
            return NULL;
        *p++ = '-';
    } else {
        p = put_hex(p, (uint64_t)st.st_ino);
        p = put_hex(p, (uint64_t)st.st_size);
        p = put_hex(p, (uint64_t)st.st_ctim.tv_sec);
        p = put_hex(p, (uint64_t)st.st_ctim.tv_nsec);
        p = put_hex(p, (uint64_t)st.st_mode);
        p = put_hex(p, (uint64_t)st.st_uid);
        p = put_hex(p, (uint64_t)st.st_gid);
    }
    *p++ = '\n';
    return p;
}

/* What the stamp says for variables of hash h and the dumps as they are now; 0 if a dump is
 * missing (then nothing can match). */
static size_t stamp_text(const struct cenv_paths *p, uint64_t h, char out[STAMP_MAX])
{
    static const char head[] = "cinit-dumps " CINIT_VERSION "\n";
    if (sizeof head > STAMP_MAX / 4)
        return 0;
    memcpy(out, head, sizeof head - 1);
    char *q = put_hex(out + sizeof head - 1, h);
    *q++ = '\n';
    if (!(q = put_id(q, GROUP_FILE, true)) || !(q = put_id(q, p->sh, false)) || !(q = put_id(q, p->json, false)))
        return 0;
    return (size_t)(q - out);
}

static void stamp_path(const struct cenv_paths *p, char out[sizeof p->dir + sizeof STAMP_NAME])
{
    size_t n = strlen(p->dir);
    memcpy(out, p->dir, n);
    out[n] = '/';
    memcpy(out + n + 1, STAMP_NAME, sizeof STAMP_NAME);
}

/* The dumps were made from these variables and nobody changed them since. */
static bool stamp_holds(const struct cenv_paths *p, uint64_t h)
{
    char want[STAMP_MAX], path[sizeof p->dir + sizeof STAMP_NAME];
    size_t n = stamp_text(p, h, want);
    stamp_path(p, path);
    return n && same_content(path, want, n, NULL);
}

static void stamp_write(const struct cenv_paths *p, uint64_t h)
{
    char text[STAMP_MAX], path[sizeof p->dir + sizeof STAMP_NAME];
    size_t n = stamp_text(p, h, text);
    stamp_path(p, path);
    /* no stamp is only a slower next boot: a failure here is not the dumps' */
    if (n == 0 || atomic_write(path, text, n, 0600, (uid_t)-1, (gid_t)-1) < 0)
        (void)unlink(path); /* nor one that no longer says the truth */
}

int cenv_write_dumps(const struct cenv_paths *p, const struct envlist *e)
{
    uint64_t h = env_hash(e);
    if (stamp_holds(p, h))
        return 0;

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
    if (rc == 0)
        stamp_write(p, h);
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
