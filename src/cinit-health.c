/* cinit-health: is every enabled runit service up and ready? For HEALTHCHECK and for people. */
#include "cenv.h"
#include "probe.h"
#include "runit.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: cinit-health [--json] [--service NAME]... [--dir DIR] [--timeout SECONDS]\n"
            "Report the state of the runit services in DIR (default " RUNIT_SERVICE_DIR "), one line each:\n"
            "  NAME up|down|starting|unready|failing|done SECONDS DETAIL\n"
            "SECONDS is the time since the service last changed state. A service is up once\n"
            "./run runs and its readiness probe (./check, or the probe in its `ready` file)\n"
            "passes (`notify`: it said READY=1; DETAIL shows its STATUS=); without a probe,\n"
            "once ./run has been running for 1 s. A oneshot service\n"
            "is done once its one run exited 0.\n"
            "  --json            one JSON object instead of the lines\n"
            "  --service NAME    only NAME (may be repeated); a disabled one counts too\n"
            "  --dir DIR         the service directory (default " RUNIT_SERVICE_DIR ")\n"
            "  --timeout SECONDS for each probe (default 2)\n"
            "  --help            this text\n"
            "  --version         print the version\n"
            "Exit status: 0 if every enabled (or named) service is up (or done), 1 if not, 2 on a\n"
            "usage error.\n");
}

enum state { ST_UP, ST_DOWN, ST_STARTING, ST_UNREADY, ST_FAILING, ST_DONE };
static const char *const state_name[] = {"up", "down", "starting", "unready", "failing", "done"};

/* a probe that fails while the service has run for less than this is still starting */
#define START_GRACE_S 30

struct report {
    enum state state;
    long long seconds;
    long pid;
    bool enabled;
    char probe[1100];
    char detail[1400];
};

static void detail(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

/* cinit's note about the service (left down after too many restarts), if any */
static bool cinit_note(const char *name, char *out, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", CINIT_NOTE_DIR, name);
    struct buf b = {0};
    if (read_file(path, &b, 4096) < 0 || b.len == 0) {
        buf_free(&b);
        return false;
    }
    while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
        b.len--;
    snprintf(out, n, "%.*s", (int)b.len, b.p);
    buf_free(&b);
    return true;
}

/* what a `ready: notify` service said, as cinit keeps it: did run pid say READY=1, its STATUS= */
static bool notified(const char *name, long pid, char *status, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", CINIT_NOTIFY_DIR, name);
    struct buf b = {0};
    status[0] = '\0';
    if (read_file(path, &b, 4096) < 0) {
        buf_free(&b);
        return false;
    }
    long who = 0;
    char word[16] = "";
    bool ready = sscanf(buf_cstr(&b), "%ld %15s", &who, word) == 2 && who == pid && strcmp(word, "ready") == 0;
    const char *nl = strchr(buf_cstr(&b), '\n');
    if (who == pid && nl) {
        size_t l = strcspn(nl + 1, "\n");
        snprintf(status, n, "%.*s", (int)l, nl + 1);
    }
    buf_free(&b);
    return ready;
}

static void examine(const char *base, const char *name, int timeout_ms, struct report *r)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", base, name);
    memset(r, 0, sizeof *r);
    bool held;
    r->enabled = !runit_has_down(dir, &held) || held;
    struct probe p;
    char err[512];
    bool probe_ok = probe_for_service(dir, &p, err, sizeof err);
    snprintf(r->probe, sizeof r->probe, "%s", probe_ok ? p.text : "");
    char note[1024];
    bool noted = cinit_note(name, note, sizeof note);

    struct runit_status s;
    if (runit_read_status(dir, &s) < 0 || !runit_supervised(dir)) {
        r->state = noted ? ST_FAILING : ST_DOWN;
        detail(r, "%s", noted ? note : r->enabled ? "not supervised (no runsv)" : "disabled (down file), not supervised");
        return;
    }
    r->seconds = runit_age(&s);
    r->pid = s.state == RUNIT_DOWN ? 0 : (long)s.pid;
    if (!held && runit_has_file(dir, "oneshot")) {
        /* run once by cinit (`o`): what its run came to is cinit's note */
        if (s.state == RUNIT_RUN) {
            r->state = ST_STARTING;
            detail(r, "pid %ld, oneshot: its run has not ended", r->pid);
        } else if (noted && strncmp(note, "done", 4) == 0) {
            r->state = ST_DONE;
            detail(r, "%s", note);
        } else if (noted) {
            r->state = ST_FAILING;
            detail(r, "%s", note);
        } else {
            r->state = r->enabled ? ST_STARTING : ST_DOWN;
            detail(r, "%s", r->enabled ? "oneshot: not run yet" : "disabled (down file)");
        }
        return;
    }
    if (s.state != RUNIT_RUN) {
        if (held) {
            char dep_path[4200];
            snprintf(dep_path, sizeof dep_path, "%s/depends", dir);
            char **deps = runit_read_list(dep_path);
            struct buf b = {0};
            for (size_t i = 0; deps && deps[i]; i++)
                buf_addf(&b, "%s%s", i ? ", " : "", deps[i]);
            r->state = ST_STARTING;
            detail(r, "waiting for %s", b.len ? buf_cstr(&b) : "its dependencies");
            buf_free(&b);
            runit_free_list(deps);
        } else if (noted) {
            r->state = ST_FAILING;
            detail(r, "%s", note);
        } else if (s.want_up) {
            r->state = ST_FAILING;
            detail(r, "%s", s.state == RUNIT_FINISH ? "./run exited, ./finish is running" : "./run exited, runsv restarts it");
        } else if (!s.want_up && runit_skipped(dir, note, sizeof note)) {
            r->state = ST_DOWN;
            r->enabled = false; /* it cannot run here: not a failure (runit.h) */
            detail(r, "skipped: %s", note);
        } else {
            r->state = ST_DOWN;
            detail(r, "%s", r->enabled ? "stopped (sv down)" : "disabled (down file)");
        }
        return;
    }
    if (!s.want_up || s.got_term) {
        r->state = ST_DOWN;
        detail(r, "pid %ld, stopping", r->pid);
        return;
    }
    if (!probe_ok) {
        r->state = ST_UNREADY;
        detail(r, "pid %ld, %s", r->pid, err);
        return;
    }
    char why[512] = "";
    bool ready;
    switch (p.kind) {
    case PROBE_UP:
        ready = runit_age_ms(&s) >= PROBE_UP_MS;
        snprintf(why, sizeof why, "running for less than %d s", PROBE_UP_MS / 1000);
        break;
    case PROBE_NOW:
        ready = true;
        break;
    case PROBE_CHECK:
        ready = probe_run_check(dir, NULL, timeout_ms, why, sizeof why);
        break;
    case PROBE_NOTIFY: {
        char status[300];
        ready = notified(name, r->pid, status, sizeof status);
        if (ready && status[0]) {
            r->state = ST_UP;
            detail(r, "pid %ld, ready: %s; %s", r->pid, p.text, status);
            return;
        }
        snprintf(why, sizeof why, "%s%s%s", p.notify_fd > 0 ? "no newline on it yet" : "no READY=1 yet", status[0] ? "; " : "",
                 status);
        break;
    }
    default:
        ready = probe_run(&p, timeout_ms, why, sizeof why);
        break;
    }
    if (ready) {
        r->state = ST_UP;
        if (p.kind == PROBE_UP || p.kind == PROBE_NOW)
            detail(r, "pid %ld", r->pid);
        else
            detail(r, "pid %ld, ready: %s", r->pid, p.text);
        return;
    }
    r->state = p.kind == PROBE_UP || r->seconds < START_GRACE_S ? ST_STARTING : ST_UNREADY;
    if (p.kind == PROBE_CHECK || p.kind == PROBE_UP)
        detail(r, "pid %ld, %s", r->pid, why);
    else
        detail(r, "pid %ld, %s: %s", r->pid, p.text, why);
}

static void json_str(struct buf *b, const char *s)
{
    json_quote(b, s, strlen(s));
}

int main(int argc, char **argv)
{
    progname = "cinit-health";
    bool json = false;
    const char *base = RUNIT_SERVICE_DIR;
    long timeout_ms = 2000;
    char **only = xmalloc(sizeof *only);
    size_t nonly = 0;
    only[0] = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--service") == 0 && has_next) {
            only = xrealloc(only, (nonly + 2) * sizeof *only);
            only[nonly++] = argv[++i];
            only[nonly] = NULL;
        } else if (strncmp(a, "--service=", 10) == 0) {
            only = xrealloc(only, (nonly + 2) * sizeof *only);
            only[nonly++] = (char *)a + 10;
            only[nonly] = NULL;
        } else if (strcmp(a, "--dir") == 0 && has_next) {
            base = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && has_next) {
            if (!parse_seconds_ms(argv[++i], 3600, &timeout_ms) || timeout_ms == 0) {
                fprintf(stderr, "%s: --timeout '%s' is not a number of seconds\n", progname, argv[i]);
                free(only);
                return 2;
            }
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(only);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("cinit-health %s\n", CINIT_VERSION);
            free(only);
            return 0;
        } else {
            fprintf(stderr, "%s: %s '%s'\nTry '%s --help'.\n", progname,
                    strncmp(a, "--", 2) == 0 && !has_next ? "missing argument or unknown option" : "unknown argument", a,
                    progname);
            free(only);
            return 2;
        }
    }
    char **names;
    if (nonly) {
        for (size_t i = 0; i < nonly; i++) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/%s", base, only[i]);
            if (!runit_name_ok(only[i]) || access(dir, F_OK) < 0) {
                fprintf(stderr, "%s: no service %s in %s\n", progname, only[i], base);
                free(only);
                return 1;
            }
        }
        names = only;
    } else {
        names = runit_services(base);
        if (!names) {
            fprintf(stderr, "%s: cannot read %s: %s\n", progname, base, strerror(errno));
            free(only);
            return 1;
        }
    }
    bool healthy = true;
    struct buf out = {0};
    if (json)
        buf_adds(&out, "{\"services\": [");
    for (size_t i = 0; names[i]; i++) {
        struct report r;
        examine(base, names[i], (int)timeout_ms, &r);
        if ((r.enabled || nonly) && r.state != ST_UP && r.state != ST_DONE)
            healthy = false;
        if (json) {
            buf_adds(&out, i ? ", {\"name\": " : "{\"name\": ");
            json_str(&out, names[i]);
            buf_addf(&out, ", \"state\": \"%s\", \"seconds\": %lld, \"pid\": %ld, \"enabled\": %s, \"probe\": ",
                     state_name[r.state], r.seconds, r.pid, r.enabled ? "true" : "false");
            json_str(&out, r.probe);
            buf_adds(&out, ", \"detail\": ");
            json_str(&out, r.detail);
            buf_addc(&out, '}');
        } else {
            buf_addf(&out, "%s %s %lld %s\n", names[i], state_name[r.state], r.seconds, r.detail);
        }
    }
    if (json)
        buf_addf(&out, "], \"healthy\": %s}\n", healthy ? "true" : "false");
    int rc = healthy ? 0 : 1;
    if (write_all(STDOUT_FILENO, out.p ? out.p : "", out.len) < 0) {
        fprintf(stderr, "%s: stdout: %s\n", progname, strerror(errno));
        rc = 1;
    }
    buf_free(&out);
    if (names != only)
        runit_free_list(names);
    free(only);
    return rc;
}
