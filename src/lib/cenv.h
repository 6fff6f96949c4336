/* The container environment: one implementation for cinit and contenv of the directory
 * /etc/container_environment, its shell and JSON dumps, quoting, and where it lives. */
#ifndef CINIT_CENV_H
#define CINIT_CENV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* Where the environment lives; RUN_* is the fallback when /etc is read-only. */
#define CENV_ETC_BASE "/etc/container_environment"
#define CENV_RUN_DIR "/run/cinit"
#define CENV_RUN_BASE CENV_RUN_DIR "/container_environment"
#define CENV_GROUP "docker_env"
#define CENV_MAX_VALUE (1024 * 1024)

/* name and value share one block (value follows name's NUL); envlist.c owns it. */
struct envvar {
    char *name;
    char *value;
    bool saved; /* the directory's file holds exactly this value (env_set_saved; a change clears it) */
};
/* In order of insertion (env_sort reorders). idx is a hash index over v, so that a set or get
 * costs the same for the thousandth variable as for the first; private to cenv.c. */
struct envlist {
    struct envvar *v;
    size_t n, cap;
    size_t *idx, idx_cap; /* slots hold position + 1, 0 is empty; idx_cap 0: rebuild first */
    char *arena;          /* the blocks of env_from_environ, in one allocation */
    size_t arena_len;
};

void env_set(struct envlist *e, const char *name, const char *value);
/* env_set, and mark the variable as already in the directory byte for byte (cenv_export skips it). */
void env_set_saved(struct envlist *e, const char *name, const char *value);
bool env_unset(struct envlist *e, const char *name);
const char *env_get(const struct envlist *e, const char *name);
/* The variable itself (NULL: none), valid until the list changes. */
struct envvar *env_var(const struct envlist *e, const char *name);
void env_sort(struct envlist *e); /* byte order of names */
void env_free(struct envlist *e);
/* From an environ-style array; entries without '=' are skipped, the last duplicate wins. */
void env_from_environ(struct envlist *e, char *const *envp);
/* A NULL-terminated "NAME=VALUE" array, freed with env_free_environ. */
char **env_to_environ(const struct envlist *e);
void env_free_environ(char **envp);

/* A name that can be a file of the directory: not empty, no '/', '=' or leading '.',
 * at most NAME_MAX bytes. */
bool cenv_name_ok(const char *name);
/* HOME, USER, GROUP, UID, GID, SHELL: per-user, so never written to the directory or dumps. */
bool cenv_name_private(const char *name);
/* What goes to the directory and the dumps: a valid name that is not per-user. */
bool cenv_exportable(const char *name);
/* A POSIX shell identifier: [A-Za-z_][A-Za-z0-9_]* */
bool sh_name_ok(const char *name);
/* Every other byte becomes '_', and a name that does not start with a letter or '_' gets a '_' before it. */
void sh_name_sanitize(struct buf *out, const char *name);

/* 'value' for any byte string: the shell gives back the same bytes. */
void sh_quote(struct buf *out, const char *s, size_t len);
/* Length of the valid UTF-8 sequence at s (1-4; avail > 0 bytes there), or 0 if the byte there
 * starts none (overlong forms, surrogates and code points past U+10FFFF are invalid). */
size_t utf8_len(const unsigned char *s, size_t avail);
/* "value" as JSON: control characters escaped, valid UTF-8 kept, every byte of invalid UTF-8
 * as a lone surrogate \udc80-\udcff (Python's surrogateescape), so that nothing is lost. */
void json_quote(struct buf *out, const char *s, size_t len);
/* Parse the flat object json_dump writes (also any object of string values); false if malformed. */
bool json_parse_env(const char *text, size_t len, struct envlist *out);

/* The text of the dumps, as written to BASE.sh and BASE.json. */
void sh_dump(struct buf *out, const struct envlist *e);
void json_dump(struct buf *out, const struct envlist *e);

/* Paths of one location: dir = BASE, sh = BASE.sh, json = BASE.json. */
struct cenv_paths {
    char dir[64], sh[64], json[64];
};
void cenv_paths_for(struct cenv_paths *p, const char *base);
/* The live location for readers: the /run fallback when cinit had to use it, else /etc. */
void cenv_locate(struct cenv_paths *p);

/* Warnings from reading and writing go through this (default: progname: message on stderr). */
extern void (*cenv_warn)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read the directory (regular files only, one trailing newline stripped) into out, replacing
 * values of the same names. Names that are not cenv_name_ok, values with NUL or over
 * CENV_MAX_VALUE are skipped with a warning. 0, or -1 with errno (ENOENT: no directory). */
int cenv_read_dir(const char *dir, struct envlist *out);
/* The same walk, each variable to fn; canonical: the file holds exactly what cenv_write_var
 * writes for value (cenv_read_dir marks those saved). */
typedef void (*cenv_var_fn)(const char *name, const char *value, bool canonical, void *arg);
int cenv_read_dir_each(const char *dir, cenv_var_fn fn, void *arg);
/* Write one variable's file atomically (unchanged files are left alone). 0 or -1/errno. */
int cenv_write_var(const char *dir, const char *name, const char *value);
/* Write every exportable variable of e to the directory (creating it 0700), then the dumps
 * (0640 root:docker_env) atomically. Variables marked saved were read from this directory
 * unchanged and are not looked at again. 0 or -1/errno (the first failure). */
int cenv_export(const struct cenv_paths *p, const struct envlist *e);
/* Regenerate only the dumps from what the directory holds now. */
int cenv_write_dumps(const struct cenv_paths *p, const struct envlist *e);
/* The entries of the open directory dfd but . and .., appended to out
 * as records "TYPE NAME\0" (TYPE: one byte, the DT_* of getdents); their count, or -1/errno. */
long dir_names(int dfd, struct buf *out);
/* Pointers to the NAMEs of dir_names' n records in byte order, NULL-terminated (free the array
 * only; each name's TYPE byte is name[-1]). */
char **dir_names_sorted(const struct buf *names, size_t n);

/* gid of docker_env, or 0 when the group does not exist. */
gid_t cenv_group(void);

#endif
