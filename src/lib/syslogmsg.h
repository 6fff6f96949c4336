/* Syslog messages as they arrive on /dev/log: parse RFC 3164 and RFC 5424, format one output
 * line. Pure functions (no I/O), so that the fuzz harness and unit tests exercise exactly what
 * cinit-syslogd runs. */
#ifndef CINIT_SYSLOGMSG_H
#define CINIT_SYSLOGMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util.h"

/* The largest message kept whole; longer ones are cut there and marked. */
#define SYSLOG_MAX_MSG 65536
/* What a message without a valid <PRI> gets, as RFC 3164 §4.3.3 says: user.notice. */
#define SYSLOG_DEFAULT_PRI 13

/* A piece of the received datagram (not NUL-terminated; may contain any byte). p == NULL means
 * the field is absent (or RFC 5424's nil value "-"). */
struct slice {
    const char *p;
    size_t n;
};

enum syslog_kind {
    SYSLOG_RAW,     /* no valid <PRI>: the whole datagram is the message */
    SYSLOG_RFC3164, /* <PRI> then the BSD header, as far as it could be recognised */
    SYSLOG_RFC5424, /* <PRI>1 and a complete, valid RFC 5424 header */
};

struct syslog_msg {
    enum syslog_kind kind;
    int pri; /* facility * 8 + severity, 0..191 */
    struct slice timestamp, host, app, procid, msgid, sd, msg;
    size_t wire_len; /* the datagram's real length, > SYSLOG_MAX_MSG when it was cut */
};

/* Fill m from the len bytes at data (len <= SYSLOG_MAX_MSG) of a datagram whose real length was
 * wire_len. Never fails: whatever is not recognised ends up in m->msg. The slices point into
 * data. Trailing newlines and NULs (that many senders append) are not part of the message. */
void syslog_parse(const char *data, size_t len, size_t wire_len, struct syslog_msg *m);

enum syslog_format {
    SYSLOG_FMT_PLAIN,   /* facility.severity TAG[PID]: message */
    SYSLOG_FMT_JSON,    /* one JSON object per line, every value a string */
    SYSLOG_FMT_RFC5424, /* <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG */
};
/* "plain", "json", "rfc5424"; false for anything else. */
bool syslog_format_parse(const char *name, enum syslog_format *out);

/* What the formats take besides the message: the time it was received and this host's name
 * (for RFC 5424 output of messages that carry none). */
struct syslog_ctx {
    struct timespec now;
    const char *hostname;
};

/* Append exactly one line, ending in '\n', to out: no other newline, no NUL, no control
 * character, valid UTF-8, whatever the message held (those bytes are escaped). */
void syslog_format_line(struct buf *out, const struct syslog_msg *m, enum syslog_format fmt,
                        const struct syslog_ctx *ctx);

/* "user", "local7", ... and "emerg" ... "debug". */
const char *syslog_facility_name(int pri);
const char *syslog_severity_name(int pri);

#endif
