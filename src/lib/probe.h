/* Readiness probes of a service: the one-line `ready` file (tcp:, unix:, http://, file:) and
 * runit's ./check. Every probe has a deadline: none blocks longer than its timeout. */
#ifndef CINIT_PROBE_H
#define CINIT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum probe_kind {
    PROBE_UP,   /* no probe: ready once ./run has run for PROBE_UP_MS (or at once: `ready` says "up") */
    PROBE_NOW,  /* `ready` holds "up": ready as soon as ./run runs */
    PROBE_TCP,  /* tcp:PORT, tcp:HOST:PORT: a connection is accepted */
    PROBE_UNIX, /* unix:PATH: a stream (or datagram) socket accepts a connection */
    PROBE_HTTP, /* http://HOST:PORT/PATH: GET answers 2xx or 3xx */
    PROBE_FILE, /* file:PATH exists */
    PROBE_CHECK, /* ./check exits 0 */
    PROBE_NOTIFY /* `ready` holds "notify": READY=1 on cinit's NOTIFY_SOCKET (sd_notify) */
};

/* how long a service without a probe must have been running to count as ready */
#define PROBE_UP_MS 1000

struct probe {
    enum probe_kind kind;
    char host[64]; /* numeric IPv4 or IPv6 (localhost is 127.0.0.1): no resolver in PID 1 */
    int port;
    char path[1024]; /* unix: and file: path, http: path with its leading '/' */
    char text[1100]; /* as written, for messages */
    int notify_fd;   /* PROBE_NOTIFY from a `notification-fd` file: the fd its run writes a newline to; 0: none */
};

/* Parse one probe ("tcp:8080"); false with a reason in err. Surrounding blanks are ignored. */
bool probe_parse(const char *text, struct probe *p, char *err, size_t errlen);
/* The probe of the service directory dir: ./check if executable, else its `ready` file, else
 * s6's `notification-fd` (PROBE_NOTIFY, notify_fd), else PROBE_UP. false (reason in err) if
 * `ready` or `notification-fd` is malformed or unreadable, or notification-fd comes with
 * another probe than `ready` = notify. */
bool probe_for_service(const char *dir, struct probe *p, char *err, size_t errlen);

/* A network or file probe in progress, without blocking: probe_start, then probe_step each
 * time io->fd is ready for io->events, until one of them is done; or probe_timed_out. */
enum { PROBE_FAILED = 0, PROBE_READY = 1, PROBE_PENDING = 2 };
struct probe_io {
    int fd;        /* what to wait on, -1: nothing */
    short events;  /* POLLIN or POLLOUT */
    int stage;     /* probe.c's */
    const struct probe *p;
    struct buf data; /* http: the request, then the start of the answer */
    size_t off;
};
/* PROBE_READY; PROBE_FAILED with the reason in why ("connection refused", "HTTP 503"); or
 * PROBE_PENDING. Once done, nothing is left open. PROBE_UP/NOW/CHECK are not run here. */
int probe_start(struct probe_io *io, const struct probe *p, char *why, size_t whylen);
int probe_step(struct probe_io *io, char *why, size_t whylen);
/* its time is up: why says at which stage, and it is closed */
void probe_timed_out(struct probe_io *io, char *why, size_t whylen);
void probe_close(struct probe_io *io);

/* Run a network or file probe once, for at most timeout_ms (blocking: cinit-health). */
bool probe_run(const struct probe *p, int timeout_ms, char *why, size_t whylen);

/* ./check. What a check prints is kept up to this much (its last line is the reason). */
#define PROBE_CHECK_OUTPUT_MAX 4096
/* Read what a check wrote to the non-blocking fd; false at its end (EOF or an error). */
bool probe_check_read(int fd, struct buf *out);
/* Did the check of wait status st pass? If not, why says how it failed (timed out, exit
 * status or signal) and its last output line. */
bool probe_check_result(int st, bool timed_out, int timeout_ms, const struct buf *out, char *why, size_t whylen);
/* Run dir/check once with envp (NULL: environ), for at most timeout_ms (then it and its process
 * group are killed), blocking: true if it exited 0; else false, why holding its status and last
 * output line. It waits for its own child only, so the caller's other children are left alone. */
bool probe_run_check(const char *dir, char *const envp[], int timeout_ms, char *why, size_t whylen);

#endif
