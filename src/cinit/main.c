/* Options, usage and main: the boot order of docs/design.md §1.1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cinit.h"

struct options opt = {.kill_process_ms = 30000, .kill_all_ms = 30000, .shutdown_ms = -1, .init_dir = "/etc/my_init.d", .wait_services_ms = -1};
struct state cinit = {.tty_fd = -1};
#define WAIT_SERVICES_DEFAULT_MS 60000

static bool main_done(void) { return cinit.main_cmd.done; }
static bool main_done_or_stop(void) { return cinit.main_cmd.done || cinit.stop_signal; }
static bool runsvdir_done_or_stop(void) { return cinit.runsvdir.done || cinit.stop_signal; }

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s [options] [--] [MAIN_COMMAND [ARGS...]]\n"
            "PID 1 for containers: imports and exports the container environment, runs\n"
            "/etc/my_init.d/*, starts runit services, runs MAIN_COMMAND, reaps zombies and\n"
            "shuts everything down in order.\n\n"
            "Options:\n"
            "  --skip-startup-files            do not run /etc/my_init.d/* and /etc/rc.local\n"
            "  --skip-runit                    do not start runit services, nor run the shutdown\n"
            "                                  scripts around their stop (needs a MAIN_COMMAND)\n"
            "  --no-kill-all-on-exit           at exit, do not signal the processes still running\n"
            "  --quiet                         only warnings and errors\n"
            "  --enable-insecure-key           install the insecure SSH key (enable_insecure_key)\n"
            "  --wait-for-services[=SECONDS]   start MAIN_COMMAND once every enabled service is\n"
            "                                  ready (default 60 s, 0: no limit); else the boot fails\n"
            "  -v, --verbose                   more messages\n"
            "  --signal-process-group          forward signals to the main command's process group\n"
            "  --rewrite-signal=FROM:TO[,...]  act on TO when FROM comes; TO 0 drops FROM\n"
            "  --remap-exit=CODE[,...]         exit 0 when the main command's code is one of them\n"
            "  --parent-death-signal=SIG       act on SIG when cinit's parent dies\n"
            "  --service-logs=MODE             services' output: raw (default), prefixed\n"
            "                                  ('NAME | line') or json (one object a line)\n"
            "  --help                          this text\n"
            "  --version                       the version\n\n"
            "Environment: CINIT_SHUTDOWN_TIMEOUT (seconds, default 9: the whole shutdown's budget),\n"
            "KILL_PROCESS_TIMEOUT, KILL_ALL_PROCESSES_TIMEOUT (seconds, default 30, within it),\n"
            "ENV_INIT_DIRECTORY (default /etc/my_init.d), CINIT_SIGNAL_PROCESS_GROUP=1,\n"
            "CINIT_REWRITE_SIGNALS, CINIT_REMAP_EXIT, CINIT_PARENT_DEATH_SIGNAL,\n"
            "CINIT_WAIT_FOR_SERVICES (seconds), CINIT_RESTART_LIMIT (RESTARTS/SECONDS),\n"
            "CINIT_SERVICE_LOGS (raw, prefixed, json). See cinit(8).\n",
            progname);
}

/* cinit's own settings from the environment: its variables are found in one pass over it, so
 * that the ten names cinit asks for cost one look each, not a walk of the environment each */
static const char *own_vars[16];
static size_t own_n;

static void find_own_vars(void)
{
    for (char **e = environ; *e && own_n < sizeof own_vars / sizeof *own_vars; e++)
        if ((**e == 'C' && strncmp(*e, "CINIT_", 6) == 0) || (**e == 'K' && strncmp(*e, "KILL_", 5) == 0) ||
            (**e == 'E' && strncmp(*e, "ENV_INIT_DIRECTORY=", 19) == 0))
            own_vars[own_n++] = *e;
}

const char *cinit_getenv(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < own_n; i++)
        if (strncmp(own_vars[i], name, n) == 0 && own_vars[i][n] == '=')
            return own_vars[i] + n + 1;
    /* more of them than the table holds (never in practice): ask libc */
    return own_n == sizeof own_vars / sizeof *own_vars ? getenv(name) : NULL;
}

static void timeout_env(const char *name, long *ms)
{
    const char *v = cinit_getenv(name);
    if (!v)
        return;
    if (!parse_seconds_ms(v, MAX_TIMEOUT_S, ms)) {
        fprintf(stderr, "*** ERROR: %s='%s' is not a number of seconds (0 to %ld, e.g. 30 or 0.5)\n", name, v, MAX_TIMEOUT_S);
        exit(2);
    }
}

static void usage_error(const char *fmt, const char *what, const char *value)
{
    fprintf(stderr, "*** ERROR: ");
    fprintf(stderr, fmt, what, value);
    fputc('\n', stderr);
    exit(2);
}

/* The signal options, from the command line (what is "--NAME") or the environment (a variable). */
static void signal_option(const char *opt_name, const char *what, const char *v)
{
    if (strcmp(opt_name, "rewrite-signal") == 0) {
        if (!rewrite_parse(v))
            usage_error("%s: '%s' is not FROM:TO[,FROM:TO...] (signal names or numbers, TO 0 drops FROM; "
                        "CHLD, KILL and STOP cannot be rewritten)", what, v);
    } else if (strcmp(opt_name, "remap-exit") == 0) {
        if (!remap_parse(v))
            usage_error("%s: '%s' is not CODE[,CODE...] (exit codes 0 to 255)", what, v);
    } else if (strcmp(opt_name, "parent-death-signal") == 0) {
        int sig = signal_parse(v);
        if (sig < 0 || sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD)
            usage_error("%s: '%s' is not a signal cinit can act on (a name or number; not KILL, STOP or CHLD)", what, v);
        opt.parent_death_signal = sig;
    } else if (strcmp(opt_name, "signal-process-group") == 0) {
        if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)
            usage_error("%s: '%s' is not 1 or 0", what, v);
        opt.signal_group = strcmp(v, "1") == 0;
    }
}

static void signal_env(void)
{
    static const struct {
        const char *var, *opt;
    } vars[] = {
        {"CINIT_SIGNAL_PROCESS_GROUP", "signal-process-group"},
        {"CINIT_REWRITE_SIGNALS", "rewrite-signal"},
        {"CINIT_REMAP_EXIT", "remap-exit"},
        {"CINIT_PARENT_DEATH_SIGNAL", "parent-death-signal"},
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = cinit_getenv(vars[i].var);
        if (v && *v)
            signal_option(vars[i].opt, vars[i].var, v);
    }
}

/* --NAME=VALUE or --NAME VALUE: the value, or NULL if a is not --NAME */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i] + 2;
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        usage_error("%s needs a value%s", argv[*i], "");
    return argv[++*i];
}

static int parse_args(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (a[0] != '-' || a[1] == '\0')
            break;
        if (strcmp(a, "--skip-startup-files") == 0)
            opt.skip_startup = true;
        else if (strcmp(a, "--skip-runit") == 0)
            opt.skip_runit = true;
        else if (strcmp(a, "--no-kill-all-on-exit") == 0)
            opt.no_kill_all = true;
        else if (strcmp(a, "--quiet") == 0)
            opt.quiet = true;
        else if (strcmp(a, "--enable-insecure-key") == 0)
            opt.insecure_key = true;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            opt.verbose = true;
        else if (strcmp(a, "--wait-for-services") == 0)
            opt.wait_services_ms = WAIT_SERVICES_DEFAULT_MS;
        else if (strncmp(a, "--wait-for-services=", 20) == 0) {
            if (!parse_seconds_ms(a + 20, MAX_TIMEOUT_S, &opt.wait_services_ms)) {
                fprintf(stderr, "%s: --wait-for-services: '%s' is not a number of seconds (0 to %ld)\n", progname, a + 20, MAX_TIMEOUT_S);
                exit(2);
            }
        }
        else if (strcmp(a, "--signal-process-group") == 0)
            opt.signal_group = true;
        else if (a[1] == '-' && (v = opt_value(argc, argv, &i, "rewrite-signal")))
            signal_option("rewrite-signal", a, v);
        else if (a[1] == '-' && (v = opt_value(argc, argv, &i, "remap-exit")))
            signal_option("remap-exit", a, v);
        else if (a[1] == '-' && (v = opt_value(argc, argv, &i, "parent-death-signal")))
            signal_option("parent-death-signal", a, v);
        else if (a[1] == '-' && (v = opt_value(argc, argv, &i, "service-logs"))) {
            if (!service_logs_option(v))
                usage_error("%s: '%s' is not raw, prefixed or json", a, v);
        }
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("cinit %s\n", CINIT_VERSION);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown option '%s'\nTry '%s --help'.\n", progname, a, progname);
            exit(2);
        }
    }
    return i;
}

int main(int argc, char **argv)
{
    if (finish_invoked(argc, argv))
        return finish_main(argv);
    if (runsv_shim_invoked(argv))
        return runsv_shim_main(argc, argv);
    if (stop_hook_invoked(argc, argv))
        return stop_hook_main();
    const char *slash = strrchr(argv[0], '/');
    progname = slash ? slash + 1 : argv[0];
    if (strcmp(progname, "my_init") != 0)
        progname = "cinit";
    start_us = usec();
    setup_signals();
    cinit.pid1 = getpid() == 1;
    /* outside a PID namespace, orphans of our subtree still come to us */
    if (!cinit.pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        warning("cannot become a child subreaper: %s", strerror(errno));
    cenv_warn = cenv_warning;

    find_own_vars();
    signal_env(); /* the command line wins: it comes second */
    const char *sl = cinit_getenv("CINIT_SERVICE_LOGS");
    if (sl && *sl && !service_logs_option(sl))
        usage_error("%s: '%s' is not raw, prefixed or json", "CINIT_SERVICE_LOGS", sl);
    int first = parse_args(argc, argv);
    char **cmd = argv + first;
    bool have_cmd = first < argc;
    timeout_env("KILL_PROCESS_TIMEOUT", &opt.kill_process_ms);
    timeout_env("KILL_ALL_PROCESSES_TIMEOUT", &opt.kill_all_ms);
    timeout_env("CINIT_SHUTDOWN_TIMEOUT", &opt.shutdown_ms);
    shutdown_budget_default(cinit_getenv("KILL_PROCESS_TIMEOUT") || cinit_getenv("KILL_ALL_PROCESSES_TIMEOUT"));
    services_env();
    const char *w = cinit_getenv("CINIT_WAIT_FOR_SERVICES");
    if (opt.wait_services_ms < 0 && w && *w)
        timeout_env("CINIT_WAIT_FOR_SERVICES", &opt.wait_services_ms);
    const char *d = cinit_getenv("ENV_INIT_DIRECTORY");
    if (d && *d)
        opt.init_dir = d;
    if (opt.parent_death_signal) {
        pid_t parent = getppid();
        if (prctl(PR_SET_PDEATHSIG, opt.parent_death_signal) < 0)
            warning("--parent-death-signal: %s", strerror(errno));
        else if (getppid() != parent) /* it died before the prctl */
            (void)kill(getpid(), opt.parent_death_signal);
    }
    find_terminal();
    if (opt.skip_runit && !have_cmd) {
        error("--skip-runit needs a main command: with neither runit nor a command there is nothing to run");
        return 1;
    }
    nonroot_boot();

    env_from_environ(&env, environ);
    notify_self_setup();
    import_boot();
    export_boot();

    debug("environment imported and exported");
    int status = 0;
    bool booted = true;
    if (opt.insecure_key) {
        if (!is_executable_file(INSECURE_KEY)) {
            error("--enable-insecure-key: %s is not installed (the image was built without sshd)", INSECURE_KEY);
            booted = false;
        } else {
            info("Running %s...", INSECURE_KEY);
            int st = run_script(INSECURE_KEY);
            if (st != 0) {
                error("%s failed.", INSECURE_KEY);
                booted = false;
            }
        }
    }
    if (booted && !opt.skip_startup)
        booted = run_startup_files();
    debug("startup files done");
    if (!booted && !cinit.stop_signal)
        status = 1;

    if (booted) {
        if (!opt.skip_runit) {
            if (!services_prepare(opt.wait_services_ms >= 0 && have_cmd)) {
                booted = false;
                status = 1;
            } else {
                bool notify = services_notify_setup();
                start_runit();
                if (notify)
                    services_notify_done();
                services_start();
            }
        }
        if (booted && have_cmd && opt.wait_services_ms >= 0 && !opt.skip_runit && !services_wait_ready(opt.wait_services_ms) &&
            !cinit.stop_signal) {
            booted = false;
            status = 1;
        }
        if (!booted) {
            /* the services' boot error is said: shut down as for any failed boot */
        } else if (have_cmd && !cinit.stop_signal) {
            struct buf name = {0};
            join_argv(&name, cmd);
            info("Running %s...", buf_cstr(&name));
            if (child_start(&cinit.main_cmd, cmd, &(struct spawn_how){.foreground = true, .out = -1}) < 0) {
                status = 1;
            } else {
                notify_self_started();
                wait_until(main_done_or_stop, -1);
                long long waited = now_ms(), deadline = phase_deadline(PHASE_MAIN, opt.kill_process_ms);
                if (!cinit.main_cmd.done && !wait_until(main_done, deadline)) {
                    warning("%s did not stop within %lld ms: killing it", buf_cstr(&name), deadline - waited);
                    signal_main(SIGKILL);
                    wait_until(main_done, -1);
                }
                take_terminal();
                char desc[64];
                info("%s %s.", buf_cstr(&name), describe_status(cinit.main_cmd.status, desc, sizeof desc));
                status = exit_remapped(exit_code(cinit.main_cmd.status));
            }
            buf_free(&name);
        } else if (!have_cmd) {
            notify_self_started();
            wait_until(runsvdir_done_or_stop, -1);
            if (!cinit.stop_signal) {
                char desc[64];
                error("runsvdir %s by itself.", describe_status(cinit.runsvdir.status, desc, sizeof desc));
                status = 1;
            }
        }
    }
    if (cinit.stop_signal && !cinit.main_cmd.pid && have_cmd)
        status = exit_remapped(128 + cinit.stop_signal); /* stopped before the main command could start */
    shutdown_begin();
    services_stop();
    if (services.exit_status >= 0)
        status = services.exit_status; /* a critical service ended the container */

    shutdown_all();
    service_logs_finish();
    debug("exit %d", status);
    /* the environment is not freed: the exit gives its pages back without a munmap of each */
    return status;
}
