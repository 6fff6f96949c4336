/* setuser: run a command as another user, after making sure that root cannot come back. */
#include "idfile.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>


struct target {
    uid_t uid;
    gid_t gid;
    bool known; /* has a passwd entry */
    char *name, *home, *shell;
    gid_t *groups;
    size_t ngroups;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: setuser USER[:GROUP] COMMAND [ARGS...]\n"
            "Run COMMAND as USER, in place (exec, no fork): its exit status is setuser's.\n"
            "USER is a user name or a numeric uid, GROUP a group name or a numeric gid; numeric\n"
            "ids need no entry in /etc/passwd or /etc/group. Supplementary groups, gid and uid\n"
            "are set (in that order), setuser checks that root cannot be regained and that no\n"
            "capability is left, sets HOME, USER, LOGNAME, UID (and SHELL when known) and keeps\n"
            "the rest of the environment.\n"
            "  --help     this text\n"
            "  --version  print the version\n"
            "Exit status: COMMAND's; 1 if the user is unknown or the switch fails (COMMAND is\n"
            "then not run) or on a usage error; 127 if COMMAND is not found, 126 if it cannot\n"
            "be executed.\n");
}

/* A read error is fatal: deciding who a command runs as from half a file is not safe. */
static bool scan(const char *path, int nfields, bool (*fn)(char **f, void *arg), void *arg)
{
    int r = idfile_scan(path, nfields, fn, arg);
    if (r < 0)
        die(1, "%s: %s", path, strerror(errno));
    return r == 1;
}

struct pwquery {
    const char *name; /* by name, or else by uid */
    unsigned long uid;
    struct target *t;
};

static bool match_passwd(char **f, void *arg)
{
    struct pwquery *q = arg;
    unsigned long uid, gid;
    if (!id_parse(f[2], &uid) || !id_parse(f[3], &gid))
        return false;
    if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
        return false;
    q->t->uid = (uid_t)uid;
    q->t->gid = (gid_t)gid;
    q->t->known = true;
    q->t->name = xstrdup(f[0]);
    q->t->home = xstrdup(f[5][0] ? f[5] : "/");
    q->t->shell = xstrdup(f[6][0] ? f[6] : "/bin/sh");
    return true;
}

static void add_group(struct target *t, gid_t g)
{
    for (size_t i = 0; i < t->ngroups; i++)
        if (t->groups[i] == g)
            return;
    t->groups = xrealloc(t->groups, (t->ngroups + 1) * sizeof *t->groups);
    t->groups[t->ngroups++] = g;
}

/* initgroups(3) without NSS: every group that lists the user as a member. */
static bool collect_member(char **f, void *arg)
{
    struct target *t = arg;
    unsigned long gid;
    if (!id_parse(f[2], &gid))
        return false;
    for (char *m = f[3], *end; *m; m = end) {
        end = strchr(m, ',');
        size_t len = end ? (size_t)(end - m) : strlen(m);
        if (len == strlen(t->name) && memcmp(m, t->name, len) == 0) {
            add_group(t, (gid_t)gid);
            break;
        }
        end = end ? end + 1 : m + len;
    }
    return false;
}

static void resolve(char *spec, struct target *t)
{
    char *group = strchr(spec, ':');
    if (group)
        *group++ = '\0';
    if (!*spec || (group && !*group))
        die(1, "invalid user '%s%s%s': expected USER, UID or UID:GID", spec, group ? ":" : "",
            group ? group : "");
    struct pwquery q = {spec, 0, t};
    unsigned long id;
    /* a name first, as docker does: a user called "1000" is found by name */
    if (!scan(PASSWD_FILE, 7, match_passwd, &q)) {
        if (!id_parse(spec, &id))
            die(1, "user '%s' not found in %s", spec, PASSWD_FILE);
        q.name = NULL;
        q.uid = id;
        if (!scan(PASSWD_FILE, 7, match_passwd, &q)) {
            t->uid = (uid_t)id;
            /* never the root group by default for an unknown uid */
            t->gid = (gid_t)id;
        }
    }
    if (group) {
        /* straight into t: group_gid sets it only when found, and a local that only some paths
           set is what gcc 13's LTO reports as maybe uninitialized */
        int r = group_gid(group, &t->gid);
        if (r < 0)
            die(1, "%s: %s", GROUP_FILE, strerror(errno));
        if (r == 0) {
            if (!id_parse(group, &id))
                die(1, "group '%s' not found in %s", group, GROUP_FILE);
            t->gid = (gid_t)id;
        }
    }
    add_group(t, t->gid);
    if (t->known)
        scan(GROUP_FILE, 4, collect_member, t);
}

static int capget_(struct __user_cap_data_struct d[2])
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    return (int)syscall(SYS_capget, &h, d);
}

static int capset_(struct __user_cap_data_struct d[2])
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    return (int)syscall(SYS_capset, &h, d);
}

static void switch_user(const struct target *t)
{
    if (setgroups(t->ngroups, t->groups) < 0)
        die(1, "cannot set the supplementary groups: %s", strerror(errno));
    if (setresgid(t->gid, t->gid, t->gid) < 0)
        die(1, "cannot set gid %lu: %s", (unsigned long)t->gid, strerror(errno));
    if (setresuid(t->uid, t->uid, t->uid) < 0)
        die(1, "cannot set uid %lu: %s", (unsigned long)t->uid, strerror(errno));
    if (t->uid == 0)
        return; /* root was asked for: nothing to give up */

    /* The kernel clears the permitted and effective sets on leaving uid 0, unless securebits
     * (keep_caps, no_setuid_fixup) say otherwise; the inheritable set is never cleared. Clear
     * everything ourselves, then check rather than trust. */
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (capset_(d) < 0)
        die(1, "cannot drop capabilities: %s", strerror(errno));
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        die(1, "cannot clear ambient capabilities: %s", strerror(errno));

    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
        die(1, "cannot read the ids back: %s", strerror(errno));
    if (r != t->uid || e != t->uid || s != t->uid || rg != t->gid || eg != t->gid || sg != t->gid)
        die(1, "the ids did not change as asked");
    if (capget_(d) < 0)
        die(1, "cannot read the capabilities back: %s", strerror(errno));
    for (int i = 0; i < 2; i++)
        if (d[i].effective || d[i].permitted || d[i].inheritable)
            die(1, "capabilities are left after the switch; refusing to go on");
    if (setuid(0) == 0 || seteuid(0) == 0)
        die(1, "root can be regained after the switch; refusing to go on");
    if (t->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
        die(1, "gid 0 can be regained after the switch; refusing to go on");
}

static void set_env(const char *name, const char *value)
{
    if (setenv(name, value, 1) < 0)
        die(1, "cannot set %s: %s", name, strerror(errno));
}

int main(int argc, char **argv)
{
    progname = "setuser";
    int i = 1;
    if (i < argc && strcmp(argv[i], "--help") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (i < argc && strcmp(argv[i], "--version") == 0) {
        printf("setuser %s\n", CINIT_VERSION);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    else if (i < argc && argv[i][0] == '-' && argv[i][1])
        die(1, "unknown option '%s'\nTry 'setuser --help'.", argv[i]);
    if (argc - i < 2) {
        usage(stderr);
        return 1;
    }

    struct target t = {0};
    resolve(argv[i], &t);
    switch_user(&t);

    char num[24];
    snprintf(num, sizeof num, "%lu", (unsigned long)t.uid);
    set_env("HOME", t.known ? t.home : "/");
    set_env("USER", t.known ? t.name : num);
    set_env("LOGNAME", t.known ? t.name : num);
    set_env("UID", num);
    if (t.known)
        set_env("SHELL", t.shell);

    char **cmd = argv + i + 1;
    execvp(cmd[0], cmd);
    int err = errno, status = exec_failure_status(cmd[0], err);
    if (status == 127)
        die(127, "%s: command not found", cmd[0]);
    die(status, "%s: %s", cmd[0], strerror(err));
}
