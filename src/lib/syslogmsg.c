#include "syslogmsg.h"

#include <stdio.h>
#include <string.h>

#include "cenv.h"

/* RFC 5424 §6: header field limits. */
#define MAX_HOST 255
#define MAX_APP 48
#define MAX_PROCID 128
#define MAX_MSGID 32
#define MAX_SDNAME 32
/* RFC 3164 says 32 for a tag; real programs use longer ones, so allow more before giving up. */
#define MAX_TAG 255

static const char *const facilities[24] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
static const char *const severities[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

const char *syslog_facility_name(int pri)
{
    return pri >= 0 && pri < 192 ? facilities[pri >> 3] : "user";
}

const char *syslog_severity_name(int pri)
{
    return severities[(pri < 0 ? SYSLOG_DEFAULT_PRI : pri) & 7];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 5424 PRINTUSASCII */
static bool is_print(char c)
{
    return c >= 33 && c <= 126;
}

/* <PRI>: 1-3 digits, at most 191. */
static bool parse_pri(const char *d, size_t len, size_t *pos, int *pri)
{
    if (len < 3 || d[0] != '<')
        return false;
    size_t i = 1;
    int v = 0;
    while (i < len && i <= 3 && is_digit(d[i]))
        v = v * 10 + (d[i++] - '0');
    if (i == 1 || i >= len || d[i] != '>' || v > 191)
        return false;
    *pri = v;
    *pos = i + 1;
    return true;
}

/* Does the pattern ('d' a digit, anything else itself) match at d? */
static bool match(const char *d, size_t len, const char *pat)
{
    size_t n = strlen(pat);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (pat[i] == 'd' ? !is_digit(d[i]) : d[i] != pat[i])
            return false;
    return true;
}

/* RFC 3339 as RFC 5424 §6.2.3 restricts it: YYYY-MM-DDThh:mm:ss[.1-6 digits](Z|+hh:mm|-hh:mm),
 * and nothing else in the n bytes. */
static bool rfc3339(const char *d, size_t n)
{
    if (!match(d, n, "dddd-dd-ddTdd:dd:dd"))
        return false;
    size_t i = 19;
    if (i < n && d[i] == '.') {
        size_t f = ++i;
        while (i < n && is_digit(d[i]) && i - f < 6)
            i++;
        if (i == f)
            return false;
    }
    if (i < n && d[i] == 'Z')
        i++;
    else if (i < n && (d[i] == '+' || d[i] == '-') && match(d + i + 1, n - i - 1, "dd:dd"))
        i += 6;
    else
        return false;
    return i == n;
}

/* "Mmm dd hh:mm:ss" of RFC 3164 §4.1.2 (day padded with a space or, leniently, a zero). */
static bool bsd_time(const char *d, size_t len)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (len < 15 || d[3] != ' ' || !(d[4] == ' ' || is_digit(d[4])) || !is_digit(d[5]) ||
        !match(d + 6, len - 6, " dd:dd:dd"))
        return false;
    for (size_t i = 0; i + 3 <= sizeof months - 1; i += 3)
        if (memcmp(d, months + i, 3) == 0)
            return true;
    return false;
}

/* One RFC 5424 header field and the space after it; "-" is the nil value (p = NULL). */
static bool field5424(const char *d, size_t len, size_t *pos, size_t max, struct slice *out)
{
    size_t start = *pos, i = start;
    while (i < len && d[i] != ' ') {
        if (!is_print(d[i]))
            return false;
        i++;
    }
    size_t n = i - start;
    if (n == 0 || n > max || i >= len)
        return false;
    *out = (n == 1 && d[start] == '-') ? (struct slice){NULL, 0} : (struct slice){d + start, n};
    *pos = i + 1;
    return true;
}

/* SD-NAME: 1-32 PRINTUSASCII except '=', ' ', ']', '"'. */
static bool sd_name(const char *d, size_t len, size_t *pos)
{
    size_t start = *pos, i = start;
    while (i < len && is_print(d[i]) && d[i] != '=' && d[i] != ']' && d[i] != '"')
        i++;
    if (i == start || i - start > MAX_SDNAME)
        return false;
    *pos = i;
    return true;
}

/* STRUCTURED-DATA: "-" or one or more [ID PARAM="VALUE"...]. Values may hold any byte but an
 * unescaped '"'; a backslash takes the next byte with it. */
static bool structured_data(const char *d, size_t len, size_t *pos, struct slice *out)
{
    size_t i = *pos;
    if (i < len && d[i] == '-') {
        *out = (struct slice){NULL, 0};
        *pos = i + 1;
        return true;
    }
    if (i >= len || d[i] != '[')
        return false;
    while (i < len && d[i] == '[') {
        i++;
        if (!sd_name(d, len, &i))
            return false;
        for (;;) {
            if (i >= len)
                return false;
            if (d[i] == ']') {
                i++;
                break;
            }
            if (d[i] != ' ')
                return false;
            i++;
            if (!sd_name(d, len, &i) || i + 1 >= len || d[i] != '=' || d[i + 1] != '"')
                return false;
            i += 2;
            while (i < len && d[i] != '"')
                i += d[i] == '\\' ? 2 : 1;
            if (i >= len)
                return false;
            i++;
        }
    }
    *out = (struct slice){d + *pos, i - *pos};
    *pos = i;
    return true;
}

/* <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG]; pos is just after <PRI>.
 * All or nothing: m is changed only when the whole header is valid. */
static bool parse5424(const char *d, size_t len, size_t pos, struct syslog_msg *m)
{
    struct syslog_msg r = *m;
    if (!match(d + pos, len - pos, "1 "))
        return false;
    pos += 2;
    if (!field5424(d, len, &pos, 64, &r.timestamp) ||
        (r.timestamp.p && !rfc3339(r.timestamp.p, r.timestamp.n)) ||
        !field5424(d, len, &pos, MAX_HOST, &r.host) ||
        !field5424(d, len, &pos, MAX_APP, &r.app) ||
        !field5424(d, len, &pos, MAX_PROCID, &r.procid) ||
        !field5424(d, len, &pos, MAX_MSGID, &r.msgid) ||
        !structured_data(d, len, &pos, &r.sd))
        return false;
    if (pos < len) {
        if (d[pos] != ' ')
            return false;
        pos++;
        if (match(d + pos, len - pos, "\xef\xbb\xbf")) /* the BOM that marks a UTF-8 MSG */
            pos += 3;
        r.msg = (struct slice){d + pos, len - pos};
    } else {
        r.msg = (struct slice){d + pos, 0};
    }
    r.kind = SYSLOG_RFC5424;
    *m = r;
    return true;
}

/* TAG[PID]: or TAG: at pos, followed by a space or the end (after "]:" anything may follow).
 * On success *pos is where the message starts. */
static bool bsd_tag(const char *d, size_t len, size_t *pos, struct slice *tag, struct slice *pid)
{
    size_t start = *pos, i = start;
    while (i < len && d[i] != ':' && d[i] != '[') {
        unsigned char c = (unsigned char)d[i];
        if (c <= ' ' || c == 0x7f || c == ']' || i - start >= MAX_TAG)
            return false;
        i++;
    }
    if (i == start || i >= len)
        return false;
    struct slice t = {d + start, i - start}, p = {NULL, 0};
    if (d[i] == '[') {
        size_t ps = ++i;
        while (i < len && d[i] != ']') {
            if ((unsigned char)d[i] <= ' ' || d[i] == '[' || i - ps >= MAX_PROCID)
                return false;
            i++;
        }
        if (i == ps || i + 1 >= len || d[i + 1] != ':')
            return false;
        p = (struct slice){d + ps, i - ps};
        i += 2;
    } else {
        i++;
        if (i < len && d[i] != ' ')
            return false;
    }
    if (i < len && d[i] == ' ')
        i++;
    *tag = t;
    *pid = p;
    *pos = i;
    return true;
}

/* What follows <PRI> in the BSD format: [TIMESTAMP SP [HOSTNAME SP]] [TAG] MSG. Only what is
 * recognised for sure is taken apart; the rest is the message. */
static void parse3164(const char *d, size_t len, size_t pos, struct syslog_msg *m)
{
    m->kind = SYSLOG_RFC3164;
    bool stamped = false;
    if (bsd_time(d + pos, len - pos) && pos + 15 < len && d[pos + 15] == ' ') {
        m->timestamp = (struct slice){d + pos, 15};
        pos += 16;
        stamped = true;
    } else {
        /* some senders (rsyslog's high-precision format) put an RFC 3339 stamp here */
        size_t e = pos;
        while (e < len && d[e] != ' ')
            e++;
        if (e < len && rfc3339(d + pos, e - pos)) {
            m->timestamp = (struct slice){d + pos, e - pos};
            pos = e + 1;
            stamped = true;
        }
    }
    size_t at = pos;
    if (bsd_tag(d, len, &at, &m->app, &m->procid)) {
        pos = at;
    } else if (stamped) {
        /* a relayed message names its host before the tag; local ones (glibc, logger) do not */
        size_t e = pos;
        while (e < len && is_print(d[e]) && e - pos < MAX_HOST)
            e++;
        at = e + 1;
        if (e > pos && e < len && d[e] == ' ' && bsd_tag(d, len, &at, &m->app, &m->procid)) {
            m->host = (struct slice){d + pos, e - pos};
            pos = at;
        }
    }
    m->msg = (struct slice){d + pos, len - pos};
}

void syslog_parse(const char *data, size_t len, size_t wire_len, struct syslog_msg *m)
{
    memset(m, 0, sizeof *m);
    if (len > SYSLOG_MAX_MSG)
        len = SYSLOG_MAX_MSG;
    m->wire_len = wire_len > len ? wire_len : len;
    if (m->wire_len == len)
        while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == '\0'))
            len--;
    size_t pos;
    if (!parse_pri(data, len, &pos, &m->pri)) {
        m->kind = SYSLOG_RAW;
        m->pri = SYSLOG_DEFAULT_PRI;
        m->msg = (struct slice){data, len};
        return;
    }
    if (!parse5424(data, len, pos, m))
        parse3164(data, len, pos, m);
}

bool syslog_format_parse(const char *name, enum syslog_format *out)
{
    static const char *const names[] = {"plain", "json", "rfc5424"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum syslog_format)i;
            return true;
        }
    return false;
}

/* Any bytes as one line's worth of valid UTF-8 text: printable ASCII and valid UTF-8 are kept,
 * newline, CR and tab become \n \r \t, other control bytes and bytes of invalid UTF-8 \xHH, C1
 * controls (which terminals obey too) \u00HH. A backslash is kept as it is, so that a message
 * that is itself JSON stays parseable; --format json is the lossless choice. */
static void escape(struct buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!n)
        return;
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        size_t k = 1;
        if (c >= 0x20 && c < 0x7f) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = utf8_len(u + i, n - i);
            if (k > 1 && !(c == 0xc2 && u[i + 1] < 0xa0)) {
                i += k;
                continue;
            }
        }
        buf_add(out, s + run, i - run);
        char e[6] = {'\\', 'x', hex[c >> 4], hex[c & 15], 0, 0};
        size_t en = 4;
        if (c == '\n' || c == '\r' || c == '\t') {
            e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            en = 2;
        } else if (k == 2) {
            e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[u[i + 1] >> 4], e[5] = hex[u[i + 1] & 15];
            en = 6;
        } else {
            k = 1;
        }
        buf_add(out, e, en);
        i += k;
        run = i;
    }
    buf_add(out, s + run, n - run);
}

static bool truncated(const struct syslog_msg *m)
{
    return m->wire_len > SYSLOG_MAX_MSG;
}

/* The mark a cut message gets at the end of its text, in every format. */
static void add_truncated(struct buf *out, const struct syslog_msg *m)
{
    if (truncated(m))
        buf_addf(out, " [truncated: %zu bytes, %d kept]", m->wire_len, SYSLOG_MAX_MSG);
}

static void format_plain(struct buf *out, const struct syslog_msg *m)
{
    buf_adds(out, syslog_facility_name(m->pri));
    buf_addc(out, '.');
    buf_adds(out, syslog_severity_name(m->pri));
    if (m->app.p || m->procid.p) {
        buf_addc(out, ' ');
        if (m->app.p)
            escape(out, m->app.p, m->app.n);
        else
            buf_addc(out, '-');
        if (m->procid.p) {
            buf_addc(out, '[');
            escape(out, m->procid.p, m->procid.n);
            buf_addc(out, ']');
        }
        buf_addc(out, ':');
    }
    /* RFC 5424's MSGID and structured data stay, in their wire order, before the text */
    const struct slice parts[] = {m->msgid, m->sd, m->msg};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i].p || !parts[i].n)
            continue;
        buf_addc(out, ' ');
        escape(out, parts[i].p, parts[i].n);
    }
    add_truncated(out, m);
}

static void json_field(struct buf *out, const char *name, const char *s, size_t n)
{
    if (!s)
        return;
    buf_addc(out, ',');
    json_quote(out, name, strlen(name));
    buf_addc(out, ':');
    json_quote(out, s, n);
}

static void format_json(struct buf *out, const struct syslog_msg *m)
{
    buf_adds(out, "{\"facility\":\"");
    buf_adds(out, syslog_facility_name(m->pri));
    buf_adds(out, "\",\"severity\":\"");
    buf_adds(out, syslog_severity_name(m->pri));
    buf_addc(out, '"');
    json_field(out, "timestamp", m->timestamp.p, m->timestamp.n);
    json_field(out, "host", m->host.p, m->host.n);
    json_field(out, "tag", m->app.p, m->app.n);
    json_field(out, "pid", m->procid.p, m->procid.n);
    json_field(out, "msgid", m->msgid.p, m->msgid.n);
    json_field(out, "sd", m->sd.p, m->sd.n);
    struct buf t = {0};
    buf_add(&t, m->msg.p, m->msg.n);
    add_truncated(&t, m);
    json_field(out, "message", t.p ? t.p : "", t.len);
    buf_free(&t);
    buf_addc(out, '}');
}

/* A header field of RFC 5424 output: PRINTUSASCII only (others become '_'), at most max bytes,
 * "-" when absent. */
static void header_field(struct buf *out, const char *s, size_t n, size_t max)
{
    buf_addc(out, ' ');
    if (!s || !n) {
        buf_addc(out, '-');
        return;
    }
    for (size_t i = 0; i < n && i < max; i++)
        buf_addc(out, is_print(s[i]) ? s[i] : '_');
}

static void format_rfc5424(struct buf *out, const struct syslog_msg *m, const struct syslog_ctx *ctx)
{
    buf_addf(out, "<%d>1", m->pri);
    if (m->kind == SYSLOG_RFC5424 && m->timestamp.p) {
        header_field(out, m->timestamp.p, m->timestamp.n, 64);
    } else {
        /* a BSD timestamp has neither year nor zone: the time of arrival is the honest one */
        struct tm tm;
        time_t sec = ctx->now.tv_sec;
        if (gmtime_r(&sec, &tm))
            buf_addf(out, " %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)(ctx->now.tv_nsec / 1000) % 1000000);
        else
            buf_adds(out, " -");
    }
    if (m->host.p)
        header_field(out, m->host.p, m->host.n, MAX_HOST);
    else
        header_field(out, ctx->hostname, ctx->hostname ? strlen(ctx->hostname) : 0, MAX_HOST);
    header_field(out, m->app.p, m->app.n, MAX_APP);
    header_field(out, m->procid.p, m->procid.n, MAX_PROCID);
    header_field(out, m->msgid.p, m->msgid.n, MAX_MSGID);
    buf_addc(out, ' ');
    if (m->sd.p)
        escape(out, m->sd.p, m->sd.n);
    else
        buf_addc(out, '-');
    if (m->msg.n || truncated(m)) {
        buf_addc(out, ' ');
        escape(out, m->msg.p, m->msg.n);
        add_truncated(out, m);
    }
}

void syslog_format_line(struct buf *out, const struct syslog_msg *m, enum syslog_format fmt,
                        const struct syslog_ctx *ctx)
{
    switch (fmt) {
    case SYSLOG_FMT_JSON:
        format_json(out, m);
        break;
    case SYSLOG_FMT_RFC5424:
        format_rfc5424(out, m, ctx);
        break;
    default:
        format_plain(out, m);
        break;
    }
    buf_addc(out, '\n');
}
