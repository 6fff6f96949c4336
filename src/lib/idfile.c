#include "idfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Split a line into exactly n ':'-separated fields, in place. */
static bool split_fields(char *line, char **f, int n)
{
    for (int i = 0; i < n; i++) {
        f[i] = line;
        char *c = strchr(line, ':');
        if (i == n - 1)
            return c == NULL;
        if (!c)
            return false;
        *c = '\0';
        line = c + 1;
    }
    return false;
}

bool id_parse(const char *s, unsigned long *id)
{
    long v;
    if (!parse_long(s, 0, (long)UINT32_MAX - 1, &v))
        return false;
    *id = (unsigned long)v;
    return true;
}

/* key: only lines whose first field is key are split and passed on (NULL: every line) */
static int scan(const char *path, int nfields, const char *key, bool (*fn)(char **f, void *arg), void *arg)
{
    /* the whole file at once: one read, no stdio (PID 1 reads /etc/group at every boot) */
    struct buf text = {0};
    if (read_file(path, &text, 64 * 1024 * 1024) < 0) {
        int e = errno;
        buf_free(&text);
        if (e == ENOENT)
            return 0;
        errno = e;
        return -1;
    }
    char *f[8];
    bool found = false;
    if (nfields > 8)
        nfields = 8;
    size_t kl = key ? strlen(key) : 0;
    char *line = (char *)buf_cstr(&text), *end = line + text.len;
    while (!found && line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        if (key && (n <= kl || line[kl] != ':' || memcmp(line, key, kl) != 0)) {
            line += n + 1;
            continue;
        }
        line[n] = '\0';
        if (n > 0 && line[0] != '#' && strlen(line) == n && split_fields(line, f, nfields))
            found = fn(f, arg);
        line += n + 1;
    }
    buf_free(&text);
    return found;
}

int idfile_scan(const char *path, int nfields, bool (*fn)(char **f, void *arg), void *arg)
{
    return scan(path, nfields, NULL, fn, arg);
}

struct grq {
    const char *name;
    unsigned long gid;
};

static bool match_group(char **f, void *arg)
{
    struct grq *q = arg;
    return strcmp(f[0], q->name) == 0 && id_parse(f[2], &q->gid);
}

int group_gid(const char *name, gid_t *gid)
{
    struct grq q = {name, 0};
    /* PID 1 asks at every boot: split only the group's own line */
    int r = scan(GROUP_FILE, 4, name, match_group, &q);
    if (r == 1)
        *gid = (gid_t)q.gid;
    return r;
}
