/* The container environment (import, export, re-import after each script) and the startup
 * and shutdown scripts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cinit.h"

struct envlist env;
static struct cenv_paths live;
static bool live_ok;

/* ---- the container environment ---- */

void cenv_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("WARNING: ", fmt, ap);
    va_end(ap);
}

/* one variable of the directory: docker run -e wins; either way the export need not look at a
 * file that already holds the value it would write */
static void import_var(const char *name, const char *value, bool canonical, void *arg)
{
    (void)arg;
    struct envvar *cur = env_var(&env, name);
    if (cur)
        cur->saved = canonical && strcmp(cur->value, value) == 0;
    else if (canonical)
        env_set_saved(&env, name, value);
    else
        env_set(&env, name, value);
}

void import_boot(void)
{
    if (cenv_read_dir_each(CENV_ETC_BASE, import_var, NULL) < 0) {
        if (errno == EACCES)
            warning("not running as root: cannot read %s, not importing it", CENV_ETC_BASE);
        else if (errno != ENOENT)
            warning("cannot read %s: %s", CENV_ETC_BASE, strerror(errno));
    }
}

void export_boot(void)
{
    struct cenv_paths etc;
    cenv_paths_for(&etc, CENV_ETC_BASE);
    if (cenv_export(&etc, &env) == 0) {
        live = etc, live_ok = true;
        /* a fallback left from an earlier boot would mislead contenv */
        if (unlink(CENV_RUN_BASE ".sh") < 0 && errno != ENOENT)
            warning("cannot remove %s.sh: %s", CENV_RUN_BASE, strerror(errno));
        return;
    }
    int e = errno;
    /* not root (docker run --user): /etc is root's; the fallback in /run serves as for a
     * read-only /etc (the image makes /run writable for every uid: docs/non-root.md) */
    bool nonroot = e == EACCES || e == EPERM;
    if (!nonroot && e != EROFS) {
        warning("cannot export the container environment to %s: %s", CENV_ETC_BASE, strerror(e));
        return;
    }
    struct cenv_paths run;
    cenv_paths_for(&run, CENV_RUN_BASE);
    for (size_t i = 0; i < env.n; i++)
        env.v[i].saved = false; /* what import_boot found is in /etc, not in /run */
    if ((mkdir(CENV_RUN_DIR, 0755) < 0 && errno != EEXIST) || cenv_export(&run, &env) < 0) {
        warning("%s and %s is not writable (%s): not exporting the container environment",
                nonroot ? "not running as root" : "/etc is read-only", CENV_RUN_DIR, strerror(errno));
        return;
    }
    live = run, live_ok = true;
    if (nonroot)
        warning("not running as root: container environment exported to %s", CENV_RUN_BASE);
    else
        warning("/etc is read-only: container environment exported to %s", CENV_RUN_BASE);
}

/* After a startup script: the directory is the truth (scripts set and delete variables there);
 * what can never be in it (HOME, USER... and unexportable names) keeps its value. */
static void reimport(void)
{
    if (!live_ok)
        return;
    struct envlist dir = {0};
    if (cenv_read_dir(live.dir, &dir) < 0) {
        warning("cannot read %s: %s", live.dir, strerror(errno));
        env_free(&dir);
        return;
    }
    for (size_t i = 0; i < env.n; i++) {
        const char *n = env.v[i].name;
        if (cenv_name_private(n) || !cenv_name_ok(n))
            env_set(&dir, n, env.v[i].value);
    }
    env_free(&env);
    env = dir;
    if (cenv_write_dumps(&live, &env) < 0)
        warning("cannot write %s: %s", live.sh, strerror(errno));
}

/* ---- scripts ---- */

static bool script_done(void) { return cinit.script.done; }

bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) && access(path, X_OK) == 0;
}

int run_script(const char *path)
{
    char *argv[] = {(char *)path, NULL};
    if (child_start(&cinit.script, argv, NULL) < 0)
        return -1;
    wait_until(script_done, -1);
    return cinit.script.status;
}

/* what list_scripts gives for an empty directory: no allocation (free_list knows it) */
static char *no_scripts[] = {NULL};

/* Executable regular files of dir, in byte order of their names; NULL-terminated. */
static char **list_scripts(const char *dir)
{
    struct buf list = {0};
    long n = -1;
    int dfd = open_fd(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        n = dir_names(dfd, &list);
        int e = errno;
        close(dfd);
        errno = e;
    }
    if (n < 0) {
        if (errno != ENOENT)
            warning("cannot read %s: %s", dir, strerror(errno));
        n = 0;
    }
    if (n == 0) {
        buf_free(&list);
        return no_scripts;
    }
    char **names = dir_names_sorted(&list, (size_t)n), **out = names;
    size_t dl = strlen(dir);
    for (char **p = names; *p; p++) {
        size_t nl = strlen(*p);
        char *path = xmalloc(dl + nl + 2);
        memcpy(path, dir, dl);
        path[dl] = '/';
        memcpy(path + dl + 1, *p, nl + 1);
        if (is_executable_file(path))
            *out++ = path;
        else
            free(path);
    }
    *out = NULL;
    buf_free(&list);
    return names;
}

static void free_list(char **l)
{
    if (l == no_scripts)
        return;
    for (char **p = l; *p; p++)
        free(*p);
    free(l);
}

bool run_startup_files(void)
{
    char **l = list_scripts(opt.init_dir);
    bool ok = true;
    for (char **p = l; *p && ok && !cinit.stop_signal; p++) {
        info("Running %s...", *p);
        int st = run_script(*p);
        if (st != 0) {
            char d[64];
            if (st < 0)
                error("%s failed: it could not be started.", *p);
            else
                error("%s failed: it %s.", *p, describe_status(st, d, sizeof d));
            ok = false;
        }
        reimport();
    }
    free_list(l);
    if (ok && !cinit.stop_signal && is_executable_file(RC_LOCAL)) {
        info("Running %s...", RC_LOCAL);
        int st = run_script(RC_LOCAL);
        if (st != 0) {
            char d[64];
            error("%s failed: it %s.", RC_LOCAL, st < 0 ? "could not be started" : describe_status(st, d, sizeof d));
            ok = false;
        }
        reimport();
    }
    return ok && !cinit.stop_signal;
}

void run_shutdown_scripts(const char *dir, enum shutdown_phase phase)
{
    char **l = list_scripts(dir);
    for (char **p = l; *p; p++) {
        info("Running %s...", *p);
        char *argv[] = {*p, NULL};
        int st = -1;
        if (child_start(&cinit.script, argv, NULL) >= 0) {
            long long start = now_ms(), deadline = phase_deadline(phase, -1);
            if (!wait_until(script_done, deadline)) {
                warning("%s still running after %lld ms, the end of its share of CINIT_SHUTDOWN_TIMEOUT: killing it",
                        *p, deadline - start);
                forward(&cinit.script, SIGKILL);
                wait_until(script_done, -1);
            }
            st = cinit.script.status;
        }
        if (st != 0) {
            char d[64];
            warning("%s failed: it %s; shutdown goes on.", *p, st < 0 ? "could not be started" : describe_status(st, d, sizeof d));
        }
    }
    free_list(l);
}
