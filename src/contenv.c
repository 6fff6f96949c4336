/* contenv: read and change the container environment that cinit exports; with-contenv (the same
 * program under another name) runs a command inside it. */
#include "cenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The JSON dump of many large values, escaped: generous, but a bound. */
#define MAX_JSON (256u * 1024 * 1024)

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: contenv list\n"
            "       contenv get NAME\n"
            "       contenv set NAME VALUE\n"
            "       contenv unset NAME\n"
            "       contenv export [--format sh|json|env]\n"
            "       contenv exec COMMAND [ARGS...]\n"
            "       with-contenv COMMAND [ARGS...]\n"
            "Read and change the container environment (%s, or %s when /etc is\n"
            "read-only) and its dumps NAME.sh and NAME.json.\n"
            "  list          NAME=VALUE lines; \\\\, \\n, \\t, \\r and \\xHH stand for a backslash,\n"
            "                newline, tab, carriage return and other control bytes\n"
            "  get NAME      the value, byte for byte (a newline is added only on a terminal);\n"
            "                exit status 1 if NAME is not set\n"
            "  set, unset    change one variable, then rewrite the dumps atomically\n"
            "  export        the .sh text (default), the .json text, or, with env,\n"
            "                NAME=VALUE records each ended by a NUL byte\n"
            "  exec          run COMMAND with exactly the container environment, plus the\n"
            "                caller's HOME USER GROUP UID GID SHELL, plus PATH if it has none\n"
            "  --help, --version\n"
            "Reading needs root or membership of group %s; changing needs root.\n"
            "Exit status: 0; 1 on failure or an unset NAME; 2 on a usage error or an invalid\n"
            "NAME; with exec, COMMAND's (127 not found, 126 not executable).\n",
            CENV_ETC_BASE, CENV_RUN_BASE, CENV_GROUP);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help'.\n", progname);
    va_end(ap);
    exit(2);
}

/* Checked before anything is read or written: a refused name changes nothing. */
static void check_name(const char *name)
{
    if (!cenv_name_ok(name))
        die(2, "invalid variable name '%s': it must be 1 to 255 bytes, without '/' or '=', and "
               "must not begin with '.'", name);
}

static void emit(struct buf *b)
{
    if (write_all(STDOUT_FILENO, b->p ? b->p : "", b->len) < 0)
        die(1, "write error: %s", strerror(errno));
}

/* The container environment as it is now: from the directory when we may read it, else from the
 * JSON dump, which members of docker_env can read while the directory is root's only. Per-user
 * variables are never part of it (cinit does not export them either). */
static void load(const struct cenv_paths *p, struct envlist *e)
{
    if (cenv_read_dir(p->dir, e) < 0) {
        int err = errno;
        if (err != ENOENT) {
            if (err != EACCES && err != EPERM)
                die(1, "%s: %s", p->dir, strerror(err));
            struct buf js = {0};
            if (read_file(p->json, &js, MAX_JSON) < 0) {
                if (errno == EACCES || errno == EPERM || errno == ENOENT)
                    die(1, "cannot read the container environment (%s: %s): reading it needs root "
                           "or membership of group %s", p->json, strerror(errno), CENV_GROUP);
                die(1, "%s: %s", p->json, strerror(errno));
            }
            if (!json_parse_env(js.p ? js.p : "", js.len, e))
                die(1, "%s: not a valid environment dump", p->json);
            buf_free(&js);
        }
    }
    for (size_t i = 0; i < e->n;) {
        if (cenv_name_private(e->v[i].name))
            env_unset(e, e->v[i].name);
        else
            i++;
    }
    env_sort(e);
}

/* list is for people: one variable per line whatever the bytes. */
static void add_visible(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\')
            buf_adds(b, "\\\\");
        else if (c == '\n')
            buf_adds(b, "\\n");
        else if (c == '\t')
            buf_adds(b, "\\t");
        else if (c == '\r')
            buf_adds(b, "\\r");
        else if (c < 0x20 || c == 0x7f)
            buf_addf(b, "\\x%02x", c);
        else
            buf_addc(b, (char)c);
    }
}

static int cmd_list(const struct cenv_paths *p)
{
    struct envlist e = {0};
    struct buf out = {0};
    load(p, &e);
    for (size_t i = 0; i < e.n; i++) {
        add_visible(&out, e.v[i].name);
        buf_addc(&out, '=');
        add_visible(&out, e.v[i].value);
        buf_addc(&out, '\n');
    }
    emit(&out);
    buf_free(&out);
    env_free(&e);
    return 0;
}

static int cmd_get(const struct cenv_paths *p, const char *name)
{
    check_name(name);
    struct envlist e = {0};
    load(p, &e);
    const char *v = env_get(&e, name);
    int rc = 1;
    if (v) {
        struct buf out = {0};
        buf_adds(&out, v);
        if (isatty(STDOUT_FILENO))
            buf_addc(&out, '\n');
        emit(&out);
        buf_free(&out);
        rc = 0;
    }
    env_free(&e);
    return rc;
}

static int cmd_export(const struct cenv_paths *p, const char *format)
{
    struct envlist e = {0};
    struct buf out = {0};
    load(p, &e);
    if (strcmp(format, "sh") == 0) {
        sh_dump(&out, &e);
    } else if (strcmp(format, "json") == 0) {
        json_dump(&out, &e);
    } else {
        for (size_t i = 0; i < e.n; i++) {
            buf_adds(&out, e.v[i].name);
            buf_addc(&out, '=');
            buf_adds(&out, e.v[i].value);
            buf_addc(&out, '\0');
        }
    }
    emit(&out);
    buf_free(&out);
    env_free(&e);
    return 0;
}

/* Open and lock the directory for a change, creating it if need be: concurrent set/unset then
 * never write dumps that miss one another's change. */
static int lock_dir(const struct cenv_paths *p, bool create)
{
    if (create && mkdir(p->dir, 0700) < 0 && errno != EEXIST)
        die(1, "cannot create %s: %s", p->dir, strerror(errno));
    int fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !create)
            return -1;
        die(1, "%s: %s%s", p->dir, strerror(errno),
            errno == EACCES ? " (changing the container environment needs root)" : "");
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        /* a file system without locks still gets the change, only unserialized */
        if (errno != ENOLCK && errno != EINVAL && errno != EOPNOTSUPP)
            die(1, "cannot lock %s: %s", p->dir, strerror(errno));
        break;
    }
    return fd;
}

static void rewrite_dumps(const struct cenv_paths *p)
{
    struct envlist e = {0};
    if (cenv_read_dir(p->dir, &e) < 0)
        die(1, "%s: %s", p->dir, strerror(errno));
    if (cenv_write_dumps(p, &e) < 0)
        die(1, "cannot write %s and %s: %s", p->sh, p->json, strerror(errno));
    env_free(&e);
}

static int cmd_set(const struct cenv_paths *p, const char *name, const char *value)
{
    check_name(name);
    if (cenv_name_private(name))
        die(2, "%s is per-user and never part of the container environment", name);
    if (strlen(value) > CENV_MAX_VALUE)
        die(2, "the value of %s is longer than %d bytes", name, CENV_MAX_VALUE);
    int fd = lock_dir(p, true);
    if (cenv_write_var(p->dir, name, value) < 0)
        die(1, "cannot write %s/%s: %s", p->dir, name, strerror(errno));
    rewrite_dumps(p);
    close(fd);
    return 0;
}

static int cmd_unset(const struct cenv_paths *p, const char *name)
{
    check_name(name);
    int fd = lock_dir(p, false);
    if (fd < 0)
        return 0; /* no directory: nothing is set */
    struct stat st;
    /* only regular files are variables; anything else there is not ours to remove */
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISREG(st.st_mode) && unlinkat(fd, name, 0) < 0)
            die(1, "cannot remove %s/%s: %s", p->dir, name, strerror(errno));
    } else if (errno != ENOENT) {
        die(1, "%s/%s: %s", p->dir, name, strerror(errno));
    }
    rewrite_dumps(p);
    close(fd);
    return 0;
}

static int cmd_exec(const struct cenv_paths *p, char **cmd)
{
    if (!cmd[0])
        usage_error("no command given");
    struct envlist e = {0}, caller = {0};
    load(p, &e);
    env_from_environ(&caller, environ);
    /* who runs the command stays who they are, as for cinit's services */
    for (size_t i = 0; i < caller.n; i++)
        if (cenv_name_private(caller.v[i].name))
            env_set(&e, caller.v[i].name, caller.v[i].value);
    if (!env_get(&e, "PATH")) {
        const char *path = env_get(&caller, "PATH");
        env_set(&e, "PATH", path ? path : DEFAULT_PATH);
    }
    env_free(&caller);
    /* execvp searches the PATH of environ, which must be the new one */
    environ = env_to_environ(&e);
    env_free(&e);
    execvp(cmd[0], cmd);
    int err = errno, status = exec_failure_status(cmd[0], err);
    if (status == 127)
        die(127, "%s: command not found", cmd[0]);
    die(status, "%s: %s", cmd[0], strerror(err));
}

static int version(void)
{
    printf("contenv %s\n", CINIT_VERSION);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int help(void)
{
    usage(stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int with_contenv(const struct cenv_paths *p, char **argv)
{
    if (argv[0] && strcmp(argv[0], "--help") == 0)
        return help();
    if (argv[0] && strcmp(argv[0], "--version") == 0)
        return version();
    if (argv[0] && strcmp(argv[0], "--") == 0)
        argv++;
    return cmd_exec(p, argv);
}

static void nargs(char **args, int n, const char *cmd)
{
    int have = 0;
    while (args[have])
        have++;
    if (have != n)
        usage_error("%s takes %d argument%s", cmd, n, n == 1 ? "" : "s");
}

int main(int argc, char **argv)
{
    const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : argc > 0 ? argv[0] : "contenv";
    progname = strcmp(base, "with-contenv") == 0 ? "with-contenv" : "contenv";
    struct cenv_paths p;
    cenv_locate(&p);
    if (argc < 1)
        usage_error("no arguments");
    if (strcmp(progname, "with-contenv") == 0)
        return with_contenv(&p, argv + 1);

    if (argc < 2)
        usage_error("no command given");
    const char *cmd = argv[1];
    char **args = argv + 2;
    if (strcmp(cmd, "--help") == 0)
        return help();
    if (strcmp(cmd, "--version") == 0)
        return version();
    if (strcmp(cmd, "list") == 0) {
        nargs(args, 0, cmd);
        return cmd_list(&p);
    }
    if (strcmp(cmd, "get") == 0) {
        nargs(args, 1, cmd);
        return cmd_get(&p, args[0]);
    }
    if (strcmp(cmd, "set") == 0) {
        nargs(args, 2, cmd);
        return cmd_set(&p, args[0], args[1]);
    }
    if (strcmp(cmd, "unset") == 0) {
        nargs(args, 1, cmd);
        return cmd_unset(&p, args[0]);
    }
    if (strcmp(cmd, "export") == 0) {
        const char *format = "sh";
        if (args[0] && strncmp(args[0], "--format=", 9) == 0) {
            format = args[0] + 9;
            args++;
        } else if (args[0] && strcmp(args[0], "--format") == 0) {
            if (!args[1])
                usage_error("--format needs a value: sh, json or env");
            format = args[1];
            args += 2;
        }
        if (args[0])
            usage_error("export: unexpected argument '%s'", args[0]);
        if (strcmp(format, "sh") && strcmp(format, "json") && strcmp(format, "env"))
            usage_error("unknown format '%s': sh, json or env", format);
        return cmd_export(&p, format);
    }
    if (strcmp(cmd, "exec") == 0) {
        if (args[0] && strcmp(args[0], "--") == 0)
            args++;
        return cmd_exec(&p, args);
    }
    usage_error("unknown command '%s'", cmd);
}
