/* Readiness probes of a service: the one-line `ready` file (tcp:, unix:, http://, file:) and
 * runit's ./check. Every probe has a deadline: none blocks longer than its timeout. */
#ifndef CINIT_PROBE_H
#define CINIT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum probe_kind {
    PROBE_UP,   /* no probe: ready once ./run has run for PROBE_UP_MS (or at once: `ready` says "up") */
    PROBE_NOW,  /* `ready` holds "up": ready as soon as ./run runs */
    PROBE_TCP,  /* tcp:PORT, tcp:HOST:PORT: a connection is accepted */
    PROBE_UNIX, /* unix:PATH: a stream (or datagram) socket accepts a connection */
    PROBE_HTTP, /* http://HOST:PORT/PATH: GET answers 2xx or 3xx */
    PROBE_FILE, /* file:PATH exists */
    PROBE_CHECK /* ./check exits 0 */
};

/* how long a service without a probe must have been running to count as ready */
#define PROBE_UP_MS 1000

struct probe {
    enum probe_kind kind;
    char host[64]; /* numeric IPv4 or IPv6 (localhost is 127.0.0.1): no resolver in PID 1 */
    int port;
    char path[1024]; /* unix: and file: path, http: path with its leading '/' */
    char text[1100]; /* as written, for messages */
};

/* Parse one probe ("tcp:8080"); false with a reason in err. Surrounding blanks are ignored. */
bool probe_parse(const char *text, struct probe *p, char *err, size_t errlen);
/* The probe of the service directory dir: ./check if executable, else its `ready` file, else
 * PROBE_UP. false (reason in err) if `ready` is malformed or unreadable. */
bool probe_for_service(const char *dir, struct probe *p, char *err, size_t errlen);

/* Run a network or file probe once, for at most timeout_ms: true if ready, else false with
 * the reason in why ("connection refused", "HTTP 503"). PROBE_UP/NOW/CHECK are not run here. */
bool probe_run(const struct probe *p, int timeout_ms, char *why, size_t whylen);
/* Run dir/check once with envp (NULL: environ), for at most timeout_ms (then killed): true if it
 * exited 0; else false, why holding its status and last output line. It waits for its own
 * child only, so the caller's other children are left alone. */
bool probe_run_check(const char *dir, char *const envp[], int timeout_ms, char *why, size_t whylen);

#endif
