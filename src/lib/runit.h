/* runit's service state, read and controlled the way sv(8) does it: one home for what cinit
 * and cinit-health know about supervise/ and the files of a service directory. */
#ifndef CINIT_RUNIT_H
#define CINIT_RUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RUNIT_SERVICE_DIR "/etc/service"
/* runsv's supervise/status: TAI64N of the last change (12 bytes, big-endian), the pid
 * (4 bytes, little-endian), paused, want ('u'/'d'), got TERM, state (0 down, 1 run, 2 finish) */
#define RUNIT_STATUS_LEN 20

enum runit_state { RUNIT_DOWN = 0, RUNIT_RUN = 1, RUNIT_FINISH = 2 };

struct runit_status {
    long long since; /* Unix seconds of the last change of state */
    long nsec;
    pid_t pid;
    bool paused, want_up, got_term;
    enum runit_state state;
};

/* The 20 bytes of supervise/status; false if they are not a status (short, bad state). */
bool runit_parse_status(const unsigned char *b, size_t n, struct runit_status *out);
/* Read DIR/supervise/status; 0, or -1 with errno set (ENOENT: never supervised). */
int runit_read_status(const char *dir, struct runit_status *out);
/* Seconds since the last change of state, as sv shows them (never negative). */
long long runit_age(const struct runit_status *s);
long long runit_age_ms(const struct runit_status *s);
/* Is a runsv looking after DIR? (its supervise/ok fifo has a reader) */
bool runit_supervised(const char *dir);
/* Send one control byte (u d o t k x h ...) to DIR/supervise/control; 0 or -1 with errno. */
int runit_control(const char *dir, char cmd);

/* cinit holds a service back until its dependencies are ready with a `down` file holding this
 * line, so that it can tell its own from the user's. */
#define RUNIT_HELD_MARK "cinit: held until its dependencies are ready\n"
/* What cinit knows that runsv does not (a service left down after too many restarts): one
 * line per service, CINIT_NOTE_DIR/NAME, for cinit-health to report. */
#define CINIT_NOTE_DIR "/run/cinit/services"
/* A service that cannot run in this container (cron or sshd without root: docs/non-root.md)
 * says why in one line in its supervise/ directory, which is always its own user's (its
 * service directory may be root's), and marks itself down (sv down .): cinit-health then counts
 * it as disabled, not as failing. Honoured only while the service is down. */
#define RUNIT_SKIPPED_FILE "supervise/cinit-skipped"
/* The reason DIR's service skipped itself, into out (one line); false when it did not. */
bool runit_skipped(const char *dir, char *out, size_t n);
/* A `ready: notify` service's sd_notify socket (the same for every service: cinit tells the
 * sender by its credentials), and what it said: CINIT_NOTIFY_DIR/NAME holds "PID ready|-" on
 * its first line (the run that said READY=1) and its last STATUS= on the second. */
#define CINIT_NOTIFY_SOCKET "/run/cinit/notify.sock"
#define CINIT_NOTIFY_DIR "/run/cinit/notify"
/* The service has a `down` file (is disabled), and whether cinit wrote it. */
bool runit_has_down(const char *dir, bool *held);
/* An executable regular file DIR/NAME (./check, ./run). */
bool runit_has_exec(const char *dir, const char *name);
/* Does DIR/NAME exist? */
bool runit_has_file(const char *dir, const char *name);

/* Names of the service directories in base, sorted, NULL-terminated (as runsvdir sees them:
 * no dot entries, directories or links to them); NULL with errno set if base is unreadable. */
char **runit_services(const char *base);
/* Words of a list file (one a line; blank lines and #comments left out), NULL-terminated;
 * an absent file gives an empty list, an unreadable one NULL with errno set. */
char **runit_read_list(const char *path);
/* Parse a list's text (as runit_read_list does with a file's); never NULL. */
char **runit_parse_list(const char *text, size_t len);
size_t runit_list_len(char **l);
void runit_free_list(char **l);
/* A valid service name: what runsvdir would start (no '/', not empty, not starting with '.'). */
bool runit_name_ok(const char *name);

/* The last line of DIR's output that the log service keeps (log/main/current, svlogd's
 * default, or ./current), in out; false if none is found. */
bool runit_last_output(const char *dir, char *out, size_t n);

#endif
