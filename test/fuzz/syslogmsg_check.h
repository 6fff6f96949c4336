/* What every formatted line must be, whatever came in: shared by the unit test and the fuzz
 * harness. Included once per program, hence static. */
#ifndef CINIT_SYSLOGMSG_CHECK_H
#define CINIT_SYSLOGMSG_CHECK_H

#include <string.h>

#include "cenv.h"
#include "syslogmsg.h"

/* Each format gives one line: ends in its only '\n', holds no other control byte and is valid
 * UTF-8; the JSON form is valid and gives the message back byte for byte (unless the datagram
 * holds a NUL, which the environment's JSON reader refuses by design, or was cut). */
static int syslog_line_ok(const char *in, size_t n, size_t wire, const struct syslog_ctx *ctx)
{
    struct syslog_msg m;
    syslog_parse(in, n, wire, &m);
    for (int f = SYSLOG_FMT_PLAIN; f <= SYSLOG_FMT_RFC5424; f++) {
        struct buf b = {0};
        syslog_format_line(&b, &m, (enum syslog_format)f, ctx);
        const unsigned char *u = (const unsigned char *)b.p;
        int good = b.len > 0 && u[b.len - 1] == '\n';
        for (size_t i = 0; good && i + 1 < b.len;) {
            size_t k = utf8_len(u + i, b.len - 1 - i);
            good = k > 0 && u[i] >= 0x20 && u[i] != 0x7f;
            i += k ? k : 1;
        }
        if (good && f == SYSLOG_FMT_JSON && m.wire_len <= SYSLOG_MAX_MSG && !(n && memchr(in, 0, n))) {
            struct envlist e = {0};
            const char *got = json_parse_env(b.p, b.len, &e) ? env_get(&e, "message") : NULL;
            good = got && strlen(got) == m.msg.n && (!m.msg.n || memcmp(got, m.msg.p, m.msg.n) == 0);
            env_free(&e);
        }
        buf_free(&b);
        if (!good)
            return 0;
    }
    return 1;
}

#endif
