/* The environment list of cenv.h: insertion order, with a hash index so that a set or a get
 * costs the same for the thousandth variable as for the first.
 * Each variable is one block "NAME\0VALUE\0" (so a name's length is value - name - 1); the
 * blocks of env_from_environ share one allocation, the arena, which only env_free releases. */
#include "cenv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many variables a scan is cheaper than hashing, and no index is built at all:
 * most containers have a dozen variables, and PID 1 sets and looks them up at every boot. */
#define ENV_LINEAR 16

static size_t name_len(const struct envvar *v)
{
    return (size_t)(v->value - v->name) - 1;
}

static bool name_is(const struct envvar *v, const char *name, size_t nl)
{
    return name_len(v) == nl && v->name[0] == name[0] && memcmp(v->name, name, nl) == 0;
}

static bool in_arena(const struct envlist *e, const char *b)
{
    uintptr_t a = (uintptr_t)e->arena, p = (uintptr_t)b;
    return e->arena && p >= a && p < a + e->arena_len;
}

static void release(const struct envlist *e, char *block)
{
    if (!in_arena(e, block))
        free(block);
}

/* FNV-1a: names are short and few; anything better distributed would cost more than it saves. */
static size_t name_hash(const char *s, size_t n)
{
    size_t h = (size_t)14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * (size_t)1099511628211ULL;
    return h;
}

/* the slot of name: the one holding it, or the empty one where it would go */
static size_t *idx_slot(const struct envlist *e, const char *name, size_t nl)
{
    size_t mask = e->idx_cap - 1;
    for (size_t h = name_hash(name, nl) & mask;; h = (h + 1) & mask) {
        size_t *s = &e->idx[h];
        if (*s == 0 || name_is(&e->v[*s - 1], name, nl))
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
        size_t *s = idx_slot(e, e->v[i].name, name_len(&e->v[i]));
        if (*s == 0) /* a duplicate (env_sort of a list built elsewhere) keeps its first */
            *s = i + 1;
    }
}

static ssize_t env_findn(struct envlist *e, const char *name, size_t nl)
{
    if (e->n <= ENV_LINEAR) {
        for (size_t i = 0; i < e->n; i++)
            if (name_is(&e->v[i], name, nl))
                return (ssize_t)i;
        return -1;
    }
    if (e->idx_cap == 0)
        idx_rebuild(e, e->n);
    size_t *s = idx_slot(e, name, nl);
    return *s ? (ssize_t)(*s - 1) : -1;
}

/* name and value in one allocation: half the mallocs and frees of two */
static char *var_block(const char *name, size_t nl, const char *value, size_t vl)
{
    char *b = xmalloc(nl + vl + 2);
    memcpy(b, name, nl);
    b[nl] = '\0';
    memcpy(b + nl + 1, value, vl);
    b[nl + 1 + vl] = '\0';
    return b;
}

/* the block b (name nl bytes long) for a name that is not in the list yet */
static void append(struct envlist *e, char *b, size_t nl)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 32;
        e->v = xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n] = (struct envvar){b, b + nl + 1, false};
    e->n++;
    if (e->n <= ENV_LINEAR)
        return;
    if (2 * e->n > e->idx_cap)
        idx_rebuild(e, e->n);
    else
        *idx_slot(e, b, nl) = e->n;
}

/* env_set with lengths known; name need not be NUL-terminated */
static void env_setn(struct envlist *e, const char *name, size_t nl, const char *value, size_t vl)
{
    ssize_t i = env_findn(e, name, nl);
    if (i < 0) {
        append(e, var_block(name, nl, value, vl), nl);
        return;
    }
    struct envvar *v = &e->v[i];
    if (strlen(v->value) == vl && memcmp(v->value, value, vl) == 0)
        return; /* the same value: nothing to copy, and what is known about it stays true */
    char *b = var_block(v->name, nl, value, vl);
    release(e, v->name);
    v->name = b, v->value = b + nl + 1, v->saved = false;
}

void env_set(struct envlist *e, const char *name, const char *value)
{
    env_setn(e, name, strlen(name), value, strlen(value));
}

void env_set_saved(struct envlist *e, const char *name, const char *value)
{
    size_t nl = strlen(name);
    ssize_t i = env_findn(e, name, nl);
    size_t vl = strlen(value);
    if (i < 0) {
        append(e, var_block(name, nl, value, vl), nl);
        i = (ssize_t)e->n - 1;
    } else {
        env_setn(e, name, nl, value, vl);
    }
    e->v[i].saved = true;
}

bool env_unset(struct envlist *e, const char *name)
{
    ssize_t i = env_findn(e, name, strlen(name));
    if (i < 0)
        return false;
    release(e, e->v[i].name); /* the value is in the same block */
    memmove(&e->v[i], &e->v[i + 1], (e->n - (size_t)i - 1) * sizeof *e->v);
    e->n--;
    e->idx_cap = 0; /* positions moved: rebuilt on the next look-up (unsets are few) */
    return true;
}

struct envvar *env_var(const struct envlist *e, const char *name)
{
    ssize_t i = env_findn((struct envlist *)e, name, strlen(name));
    return i < 0 ? NULL : &e->v[i];
}

const char *env_get(const struct envlist *e, const char *name)
{
    /* the index is a cache: filling it in does not change the list */
    ssize_t i = env_findn((struct envlist *)e, name, strlen(name));
    return i < 0 ? NULL : e->v[i].value;
}

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const struct envvar *)a)->name, ((const struct envvar *)b)->name);
}

void env_sort(struct envlist *e)
{
    /* a container's few variables: insertion sort costs a fraction of qsort's set-up */
    if (e->n > 32) {
        qsort(e->v, e->n, sizeof *e->v, cmp_var);
    } else {
        for (size_t i = 1; i < e->n; i++) {
            struct envvar t = e->v[i];
            size_t j = i;
            for (; j > 0 && strcmp(e->v[j - 1].name, t.name) > 0; j--)
                e->v[j] = e->v[j - 1];
            e->v[j] = t;
        }
    }
    e->idx_cap = 0;
}

void env_free(struct envlist *e)
{
    for (size_t i = 0; i < e->n; i++)
        release(e, e->v[i].name);
    free(e->v);
    free(e->idx);
    free(e->arena);
    *e = (struct envlist){0};
}

void env_from_environ(struct envlist *e, char *const *envp)
{
    if (e->n || e->arena) { /* added to a list that has its own blocks: one each */
        for (; envp && *envp; envp++) {
            const char *eq = strchr(*envp, '=');
            if (eq && eq != *envp)
                env_setn(e, *envp, (size_t)(eq - *envp), eq + 1, strlen(eq + 1));
        }
        return;
    }
    /* a fresh list (PID 1 at its start): every block copied into one allocation */
    size_t total = 0, count = 0;
    for (char *const *p = envp; p && *p; p++)
        if (**p != '=' && strchr(*p, '='))
            total += strlen(*p) + 1, count++;
    if (!count)
        return;
    e->arena = xmalloc(total);
    e->arena_len = total;
    if (count > 32) {
        e->v = xmalloc(count * sizeof *e->v);
        e->cap = count;
    }
    char *b = e->arena;
    for (; *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq || eq == *envp)
            continue;
        size_t nl = (size_t)(eq - *envp), len = strlen(*envp);
        memcpy(b, *envp, len + 1);
        b[nl] = '\0';
        ssize_t i = env_findn(e, b, nl);
        if (i >= 0) { /* the last duplicate wins */
            release(e, e->v[i].name);
            e->v[i] = (struct envvar){b, b + nl + 1, false};
        } else {
            append(e, b, nl);
        }
        b += len + 1;
    }
}

/* the array and every string in one allocation: spawn makes one for each child */
char **env_to_environ(const struct envlist *e)
{
    size_t total = 0;
    for (size_t i = 0; i < e->n; i++)
        total += strlen(e->v[i].value) + name_len(&e->v[i]) + 2;
    char **out = xmalloc((e->n + 1) * sizeof *out + total);
    char *p = (char *)(out + e->n + 1);
    for (size_t i = 0; i < e->n; i++) {
        size_t nl = name_len(&e->v[i]), vl = strlen(e->v[i].value);
        out[i] = p;
        memcpy(p, e->v[i].name, nl);
        p[nl] = '=';
        memcpy(p + nl + 1, e->v[i].value, vl + 1);
        p += nl + vl + 2;
    }
    out[e->n] = NULL;
    return out;
}

void env_free_environ(char **envp)
{
    free(envp);
}
