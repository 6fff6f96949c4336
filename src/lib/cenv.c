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

/* ---- the list ---- */

/* FNV-1a: names are short and few; anything better distributed would cost more than it saves. */
static size_t name_hash(const char *s)
{
    size_t h = (size_t)14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

/* the slot of name: the one holding it, or the empty one where it would go */
static size_t *idx_slot(const struct envlist *e, const char *name)
{
    size_t mask = e->idx_cap - 1;
    for (size_t h = name_hash(name) & mask;; h = (h + 1) & mask) {
        size_t *s = &e->idx[h];
        if (*s == 0 || strcmp(e->v[*s - 1].name, name) == 0)
            return s;
    }
}

/* at most half full, so that a probe ends soon; rebuilt from v when it grows or was dropped */
static void idx_rebuild(struct envlist *e, size_t want)
{
    size_t cap = 64;
    while (cap < 2 * want)
        cap *= 2;
    free(e->idx);
    e->idx = xmalloc(cap * sizeof *e->idx);
    memset(e->idx, 0, cap * sizeof *e->idx);
    e->idx_cap = cap;
    for (size_t i = 0; i < e->n; i++) {
        size_t *s = idx_slot(e, e->v[i].name);
        if (*s == 0) /* a duplicate (env_sort of a list built elsewhere) keeps its first */
            *s = i + 1;
    }
}

static ssize_t env_find(struct envlist *e, const char *name)
{
    if (e->n == 0)
        return -1;
    if (e->idx_cap == 0)
        idx_rebuild(e, e->n);
    size_t *s = idx_slot(e, name);
    return *s ? (ssize_t)(*s - 1) : -1;
}

void env_set(struct envlist *e, const char *name, const char *value)
{
    ssize_t i = env_find(e, name);
    if (i >= 0) {
        free(e->v[i].value);
        e->v[i].value = xstrdup(value);
        return;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 32;
        e->v = xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n].name = xstrdup(name);
    e->v[e->n].value = xstrdup(value);
    e->n++;
    if (2 * e->n > e->idx_cap)
        idx_rebuild(e, e->n);
    else
        *idx_slot(e, name) = e->n;
}

bool env_unset(struct envlist *e, const char *name)
{
    ssize_t i = env_find(e, name);
    if (i < 0)
        return false;
    free(e->v[i].name);
    free(e->v[i].value);
    memmove(&e->v[i], &e->v[i + 1], (e->n - (size_t)i - 1) * sizeof *e->v);
    e->n--;
    e->idx_cap = 0; /* positions moved: rebuilt on the next look-up (unsets are few) */
    return true;
}

const char *env_get(const struct envlist *e, const char *name)
{
    /* the index is a cache: filling it in does not change the list */
    ssize_t i = env_find((struct envlist *)e, name);
    return i < 0 ? NULL : e->v[i].value;
}

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const struct envvar *)a)->name, ((const struct envvar *)b)->name);
}

void env_sort(struct envlist *e)
{
    if (e->n > 1)
        qsort(e->v, e->n, sizeof *e->v, cmp_var);
    e->idx_cap = 0;
}

void env_free(struct envlist *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].name);
        free(e->v[i].value);
    }
    free(e->v);
    free(e->idx);
    e->v = NULL;
    e->idx = NULL;
    e->n = e->cap = e->idx_cap = 0;
}

void env_from_environ(struct envlist *e, char *const *envp)
{
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq || eq == *envp)
            continue;
        size_t nl = (size_t)(eq - *envp);
        char small[256];
        char *name = nl < sizeof small ? small : xmalloc(nl + 1);
        memcpy(name, *envp, nl);
        name[nl] = '\0';
        env_set(e, name, eq + 1);
        if (name != small)
            free(name);
    }
}

char **env_to_environ(const struct envlist *e)
{
    char **out = xmalloc((e->n + 1) * sizeof *out);
    for (size_t i = 0; i < e->n; i++) {
        size_t nl = strlen(e->v[i].name), vl = strlen(e->v[i].value);
        out[i] = xmalloc(nl + vl + 2);
        memcpy(out[i], e->v[i].name, nl);
        out[i][nl] = '=';
        memcpy(out[i] + nl + 1, e->v[i].value, vl + 1);
    }
    out[e->n] = NULL;
    return out;
}

void env_free_environ(char **envp)
{
    for (char **p = envp; p && *p; p++)
        free(*p);
    free(envp);
}

/* ---- names ---- */

bool cenv_name_ok(const char *name)
{
    const char *p = name;
    for (; *p; p++) /* one pass: this runs several times for every variable at every boot */
        if (*p == '/' || *p == '=')
            return false;
    size_t n = (size_t)(p - name);
    return n > 0 && n <= NAME_MAX && name[0] != '.';
}

bool cenv_name_private(const char *name)
{
    static const char *const priv[] = {"HOME", "USER", "GROUP", "UID", "GID", "SHELL"};
    for (size_t i = 0; i < sizeof priv / sizeof *priv; i++)
        if (strcmp(name, priv[i]) == 0)
            return true;
    return false;
}

static bool is_alpha_(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_alnum_(unsigned char c)
{
    return is_alpha_(c) || (c >= '0' && c <= '9');
}

bool sh_name_ok(const char *name)
{
    if (!is_alpha_((unsigned char)name[0]))
        return false;
    for (const char *c = name + 1; *c; c++)
        if (!is_alnum_((unsigned char)*c))
            return false;
    return true;
}

void sh_name_sanitize(struct buf *out, const char *name)
{
    if (!is_alpha_((unsigned char)name[0]))
        buf_addc(out, '_');
    for (const char *c = name; *c; c++)
        buf_addc(out, is_alnum_((unsigned char)*c) ? *c : '_');
}

/* ---- quoting ---- */

void sh_quote(struct buf *out, const char *s, size_t len)
{
    /* Inside single quotes every byte but ' is literal in every POSIX shell; a ' closes the
     * quote, is written escaped, and the quote reopens. */
    buf_addc(out, '\'');
    for (;;) {
        const char *q = memchr(s, '\'', len);
        size_t run = q ? (size_t)(q - s) : len;
        buf_add(out, s, run);
        if (!q)
            break;
        buf_adds(out, "'\\''");
        s += run + 1;
        len -= run + 1;
    }
    buf_addc(out, '\'');
}

size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned int min;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_quote(struct buf *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    buf_addc(out, '"');
    for (size_t i = 0; i < len;) {
        /* the common case, a run of printable ASCII, in one piece */
        size_t run = 0;
        while (i + run < len && u[i + run] >= 0x20 && u[i + run] < 0x7f && u[i + run] != '"' && u[i + run] != '\\')
            run++;
        if (run) {
            buf_add(out, u + i, run);
            i += run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            buf_addc(out, '\\');
            buf_addc(out, (char)c);
            i++;
        } else if (c == '\n') {
            buf_adds(out, "\\n"), i++;
        } else if (c == '\t') {
            buf_adds(out, "\\t"), i++;
        } else if (c == '\r') {
            buf_adds(out, "\\r"), i++;
        } else if (c < 0x20 || c == 0x7f) {
            buf_addf(out, "\\u%04x", c), i++;
        } else {
            size_t n = utf8_len(u + i, len - i);
            if (n == 0) {
                buf_addf(out, "\\u%04x", 0xdc00 + c);
                i++;
            } else {
                buf_add(out, u + i, n);
                i += n;
            }
        }
    }
    buf_addc(out, '"');
}

/* ---- JSON reading (objects of strings, as json_dump writes them) ---- */

struct jp {
    const char *s;
    size_t len, i;
};

static void jp_ws(struct jp *p)
{
    while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\n' || p->s[p->i] == '\t' || p->s[p->i] == '\r'))
        p->i++;
}

static bool jp_hex4(struct jp *p, unsigned int *v)
{
    if (p->len - p->i < 4)
        return false;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned)(c - 'A' + 10);
        else
            return false;
    }
    return true;
}

static void put_utf8(struct buf *b, unsigned int cp)
{
    if (cp < 0x80) {
        buf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        buf_addc(b, (char)(0xc0 | (cp >> 6)));
        buf_addc(b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_addc(b, (char)(0xe0 | (cp >> 12)));
        buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addc(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_addc(b, (char)(0xf0 | (cp >> 18)));
        buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addc(b, (char)(0x80 | (cp & 0x3f)));
    }
}

/* A string into out; NUL (\u0000) is refused since no variable can hold it. */
static bool jp_string(struct jp *p, struct buf *out)
{
    if (p->i >= p->len || p->s[p->i] != '"')
        return false;
    p->i++;
    while (p->i < p->len) {
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"') {
            buf_cstr(out);
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            buf_addc(out, (char)c);
            continue;
        }
        if (p->i >= p->len)
            return false;
        char e = p->s[p->i++];
        unsigned int cp, lo;
        switch (e) {
        case '"': case '\\': case '/': buf_addc(out, e); break;
        case 'b': buf_addc(out, '\b'); break;
        case 'f': buf_addc(out, '\f'); break;
        case 'n': buf_addc(out, '\n'); break;
        case 'r': buf_addc(out, '\r'); break;
        case 't': buf_addc(out, '\t'); break;
        case 'u':
            if (!jp_hex4(p, &cp) || cp == 0)
                return false;
            if (cp >= 0xd800 && cp <= 0xdbff && p->len - p->i >= 6 && p->s[p->i] == '\\' &&
                p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                p->i += 2;
                if (jp_hex4(p, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
                    put_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
                    break;
                }
                p->i = save;
            }
            if (cp >= 0xdc80 && cp <= 0xdcff)
                buf_addc(out, (char)(cp - 0xdc00)); /* an escaped raw byte */
            else if (cp >= 0xd800 && cp <= 0xdfff)
                return false;
            else
                put_utf8(out, cp);
            break;
        default:
            return false;
        }
    }
    return false;
}

bool json_parse_env(const char *text, size_t len, struct envlist *out)
{
    struct jp p = {text, len, 0};
    struct buf name = {0}, value = {0};
    bool ok = false;
    jp_ws(&p);
    if (p.i >= p.len || p.s[p.i++] != '{')
        goto done;
    jp_ws(&p);
    if (p.i < p.len && p.s[p.i] == '}') {
        p.i++;
    } else {
        for (;;) {
            name.len = value.len = 0;
            jp_ws(&p);
            if (!jp_string(&p, &name))
                goto done;
            jp_ws(&p);
            if (p.i >= p.len || p.s[p.i++] != ':')
                goto done;
            jp_ws(&p);
            if (!jp_string(&p, &value))
                goto done;
            env_set(out, name.p, value.p);
            jp_ws(&p);
            if (p.i < p.len && p.s[p.i] == ',') {
                p.i++;
                continue;
            }
            if (p.i < p.len && p.s[p.i] == '}') {
                p.i++;
                break;
            }
            goto done;
        }
    }
    jp_ws(&p);
    ok = p.i == p.len;
done:
    buf_free(&name);
    buf_free(&value);
    return ok;
}

/* ---- dumps ---- */

static bool exportable(const char *name)
{
    return cenv_name_ok(name) && !cenv_name_private(name);
}

void sh_dump(struct buf *out, const struct envlist *e)
{
    struct buf nm = {0};
    for (size_t i = 0; i < e->n; i++) {
        const char *name = e->v[i].name;
        if (!exportable(name))
            continue;
        nm.len = 0;
        sh_name_sanitize(&nm, name);
        /* a sanitized name never overrides a variable that really has that name */
        if (!sh_name_ok(name) && env_get(e, buf_cstr(&nm)))
            continue;
        buf_adds(out, "export ");
        buf_add(out, nm.p, nm.len);
        buf_addc(out, '=');
        sh_quote(out, e->v[i].value, strlen(e->v[i].value));
        buf_addc(out, '\n');
    }
    buf_free(&nm);
}

void json_dump(struct buf *out, const struct envlist *e)
{
    bool first = true;
    buf_addc(out, '{');
    for (size_t i = 0; i < e->n; i++) {
        if (!exportable(e->v[i].name))
            continue;
        if (!first)
            buf_adds(out, ", ");
        first = false;
        json_quote(out, e->v[i].name, strlen(e->v[i].name));
        buf_adds(out, ": ");
        json_quote(out, e->v[i].value, strlen(e->v[i].value));
    }
    buf_adds(out, "}\n");
}

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
        if (!exportable(name))
            continue;
        if (cenv_write_var(p->dir, name, e->v[i].value) < 0)
            return -1;
    }
    return cenv_write_dumps(p, e);
}
