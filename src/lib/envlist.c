/* The environment list of cenv.h: insertion order, with a hash index so that a set or a get
 * costs the same for the thousandth variable as for the first. */
#include "cenv.h"

#include <stdlib.h>
#include <string.h>

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

