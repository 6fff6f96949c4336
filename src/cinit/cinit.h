/* cinit — PID 1 for containers: a drop-in successor of baseimage-docker's my_init.
 *
 * One loop does everything: signals are blocked and read from a signalfd, and every wake-up
 * first reaps all children, so no exit is missed when SIGCHLDs coalesce and zombies are
 * reaped in every phase. Waits have deadlines but never poll: each ends the moment the
 * awaited processes are gone.
 *
 * The parts, one file each: main.c (options, the boot order), loop.c (the event loop,
 * children, signal dispatch, spawn, the terminal), signals.c (signal names, the signal
 * options), startup.c (the container environment, startup and shutdown scripts), runit.c
 * (runsvdir and its services), services.c and service_setup.c (readiness, order), critical.c
 * (critical services, the ./finish that says how one ended), shutdown.c (/proc, the shutdown
 * order, kill_all), budget.c (the shutdown's one budget that its steps share), service_stop.c
 * (the services' stop in dependency order), stop_hook.c (a service's stop-signal, as control/t),
 * service_notify.c (the services' sd_notify socket), notify.c (cinit's own sd_notify), nonroot.c
 * (booting as root or as another user), service_logs.c and service_logs_shim.c (services' output
 * marked with their names), msg.c (messages and time). This header is what they share. */
#ifndef CINIT_CINIT_H
#define CINIT_CINIT_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "cenv.h"
#include "loop.h"
#include "util.h"

#define SERVICE_DIR "/etc/service"
#define PRE_SHUTDOWN_DIR "/etc/my_init.pre_shutdown.d"
#define POST_SHUTDOWN_DIR "/etc/my_init.post_shutdown.d"
#define RC_LOCAL "/etc/rc.local"
#define INSECURE_KEY "/usr/sbin/enable_insecure_key"
#define MAX_TIMEOUT_S 86400L
#define MAX_WATCH 256

extern char **environ;

/* the phases of the shutdown, in their order: they share its budget (budget.c) */
enum shutdown_phase { PHASE_MAIN, PHASE_PRE_SCRIPTS, PHASE_SERVICES, PHASE_POST_SCRIPTS, PHASE_KILL_ALL, PHASE_FINAL_KILL };

/* ---- options (main.c) ---- */
struct options {
    bool skip_startup, skip_runit, no_kill_all, quiet, verbose, insecure_key;
    long kill_process_ms, kill_all_ms; /* KILL_PROCESS_TIMEOUT, KILL_ALL_PROCESSES_TIMEOUT */
    long shutdown_ms;                  /* CINIT_SHUTDOWN_TIMEOUT: the whole shutdown's budget */
    const char *init_dir;              /* ENV_INIT_DIRECTORY */
    long wait_services_ms;             /* --wait-for-services: -1 no wait, 0 no time limit */
    bool signal_group;                 /* --signal-process-group */
    int parent_death_signal;           /* --parent-death-signal, 0: none */
};
extern struct options opt;
/* getenv for cinit's own variables (CINIT_*, KILL_*, ENV_INIT_DIRECTORY) only */
const char *cinit_getenv(const char *name);

/* ---- root or not (nonroot.c) ---- */
/* at boot, before anything runs: says who the tree runs as, or (root) narrows /run to 0755 */
void nonroot_boot(void);
struct runit_status;
/* a service down by its own choice, that cannot run here (runit.h: RUNIT_SKIPPED_FILE): said
 * once, and cinit no longer waits for it */
bool service_skipped_itself(const char *name, const char *dir, const struct runit_status *st);

/* ---- service output (service_logs.c, service_logs_shim.c) ---- */
#define SERVICE_LOGS_SOCKET "/run/cinit/service-logs"
#define SERVICE_LOGS_BIN "/run/cinit/bin" /* its runsv: cinit itself, first in runsvdir's PATH */
#define SERVICE_LINE_MAX 16384            /* a longer line goes out in pieces of this size */
/* --service-logs / CINIT_SERVICE_LOGS: raw, prefixed, json; false for another value */
bool service_logs_option(const char *value);
/* the mode's name: raw, prefixed, json */
const char *service_logs_mode(void);
/* before runsvdir starts: the directory to put first in its PATH, or NULL (raw: said why) */
const char *service_logs_start(void);
/* at exit: what the services wrote goes out (within 2 s) */
void service_logs_finish(void);
/* the link SERVICE_LOGS_BIN/runsv to cinit; false: said why, and what follows (otherwise) */
bool runsv_shim_install(const char *otherwise);
/* cinit started as runsv (by runsvdir, through SERVICE_LOGS_BIN) */
bool runsv_shim_invoked(char **argv);
int runsv_shim_main(int argc, char **argv);

/* ---- messages and time (msg.c) ---- */
void say(const char *kind, const char *fmt, va_list ap);
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *describe_status(int st, char *out, size_t n);
int exit_code(int st);
long long usec(void);
extern long long start_us;
long long now_ms(void);

/* ---- what the parts share while cinit runs (main.c owns it) ---- */

/* a process cinit waits for by name */
struct child {
    pid_t pid;
    bool done;
    int status;
    bool stopped; /* (job control) */
};
struct state {
    struct child main_cmd, runsvdir, script;
    int tty_fd;         /* the terminal the main command gets, or -1 */
    bool pid1;
    int stop_signal;    /* the first TERM/INT/QUIT */
    bool shutting_down; /* past the point where stop signals change anything */
};
extern struct state cinit;

/* ---- children (loop.c, with the loop of loop.h) ---- */
struct spawn_how;
/* spawn_with, and c follows it (done, status; stopped with how->foreground) */
pid_t child_start(struct child *c, char *const argv[], const struct spawn_how *how);
bool running(const struct child *c);
void forward(const struct child *c, int sig);
void join_argv(struct buf *b, char *const argv[]);

/* ---- signals (signals.c) ---- */
/* Before anything else: every signal to one signalfd, the loop's. */
void setup_signals(void);
void find_terminal(void);
void take_terminal(void);
int signal_parse(const char *s);
const char *signal_name(int sig, char *out, size_t n);
bool rewrite_parse(const char *spec);
int signal_rewritten(int sig);
bool remap_parse(const char *spec);
int exit_remapped(int code);
bool signal_synchronous(int sig);
void signal_main(int sig);

/* ---- the container environment and scripts (startup.c) ---- */
extern struct envlist env;
void cenv_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void import_boot(void);
void export_boot(void);
bool is_executable_file(const char *path);
/* Run one script in the loop; returns its wait status, or -1 if it could not be started. */
int run_script(const char *path);
/* Startup files; false (with the message said) if one failed or a stop signal came. */
bool run_startup_files(void);
/* The scripts of dir, in order; one still running at the phase's end of the shutdown's budget
 * is killed (what it started is left to the final kill), and the next has its turn. */
void run_shutdown_scripts(const char *dir, enum shutdown_phase phase);

/* ---- runit (runit.c) ---- */
void for_each_service(const char *sub, char cmd);
void start_runit(void);
void stop_runit(void);

/* ---- services: readiness, order, critical ones (services.c) ---- */
/* the services as cinit follows them (what each is: services.h) */
struct svc;
struct services {
    struct svc *list;
    size_t n;
    bool active;                       /* some service is followed at all */
    long restart_n, restart_window_ms; /* CINIT_RESTART_LIMIT */
    struct timespec boot;              /* a status older than this is left from an earlier boot */
    int exit_status;                   /* what cinit exits with because a critical service ended, or -1 */
};
extern struct services services;
/* CINIT_RESTART_LIMIT, checked with the other variables (exit 2 if malformed). */
void services_env(void);
/* Before runsvdir: read the services, check their depends (false: a boot error, said), hold
 * back those that depend on others. */
bool services_prepare(bool waiting);
/* Once runsvdir runs: follow the services (inotify on their supervise dirs). */
void services_start(void);
/* The main command's wait for every enabled service to be ready; false on timeout (said) or
 * a stop signal. */
bool services_wait_ready(long timeout_ms);
/* At the start of the shutdown: stop following them. */
void services_stop(void);

/* Started by runsv as a critical service's ./finish (critical.c): record how ./run ended. */
bool finish_invoked(int argc, char **argv);
int finish_main(char **argv);
/* cinit started by runsv as a service's control/t (stop_hook.c) */
bool stop_hook_invoked(int argc, char **argv);
int stop_hook_main(void);

/* ---- the services' stop order at shutdown (service_stop.c, driven by runit.c) ---- */
/* The services will stop in order (false: no order known, every service at once); the first
 * stop_order_progress tells the first of them. */
bool stop_order_begin(long long end);
/* a supervise dir changed: tell those whose turn has come now */
void stop_order_progress(void);
/* is the runsv of service name to wait for its turn? */
bool stop_order_waits(const char *name);
void stop_order_end(void);
/* runit.c: is service name down (its supervise/stat)? */
bool service_down(const char *name);
/* runit.c: TERM the runsv of name, held back until its turn (runsv then stops its service as
 * on `x`, and exits); false if no runsv of name was held */
bool runsv_release(const char *name);

/* ---- /proc and the shutdown (shutdown.c) ---- */
struct procent {
    pid_t pid, ppid;
    char comm[32];
};
size_t scan_proc(struct procent **out);
void kill_all(void);
/* Everything after the main command (or runsvdir) ended or a stop signal came, in order. */
void shutdown_all(void);

/* ---- cinit's own sd_notify (notify.c) ---- */
/* after the environment is imported: take NOTIFY_SOCKET from it, and remember it */
void notify_self_setup(void);
/* the main command (or runsvdir) has started: READY=1 once every service is ready too */
void notify_self_started(void);
/* a service became ready */
void notify_self_check(void);
/* the shutdown begins: STOPPING=1 */
void notify_self_stopping(void);
/* services.c: the notify socket for runsvdir's environment (service_notify.c); true: env has
 * NOTIFY_SOCKET until services_notify_done */
bool services_notify_setup(void);
/* a service has a notification-fd and the notify socket is up: runsvdir needs cinit's runsv */
bool service_notification_fds(void);
void services_notify_done(void);
/* services.c: is every enabled service ready? (true when cinit follows none) */
bool services_all_ready(void);

/* ---- the shutdown's budget (budget.c) ---- */
/* The shutdown begins (a stop signal, the main command's end, a failed boot): its budget
 * starts now; later calls change nothing. */
void shutdown_begin(void);
/* the budget when CINIT_SHUTDOWN_TIMEOUT is not set (see budget.c) */
void shutdown_budget_default(bool baseimage_var_set);
/* When phase p must end: its own timeout own_ms (-1: none) from now, but never into the
 * reserve of the phases after it. Never before now. */
long long phase_deadline(enum shutdown_phase p, long own_ms);
long long phase_wait_ms(long long deadline);

#endif
