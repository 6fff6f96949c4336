/* Unit tests of the syslog parser and formatter (src/lib/syslogmsg.c); prints TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cenv.h"
#include "syslogmsg.h"
#include "../fuzz/syslogmsg_check.h"

static int n_test, n_fail;

static void ok(int cond, const char *what)
{
    n_test++;
    if (!cond)
        n_fail++;
    printf("%sok %d - %s\n", cond ? "" : "not ", n_test, what);
}

static const struct syslog_ctx ctx = {{1700000000, 123456789}, "testhost"};

static void show(const char *label, const char *s, size_t n)
{
    printf("# %s: ", label);
    for (size_t i = 0; i < n; i++)
        putchar((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?');
    putchar('\n');
}

/* the line for len bytes of input (len -1: strlen) must be want */
static void line_is(const char *in, long len, enum syslog_format fmt, const char *want, const char *what)
{
    size_t n = len < 0 ? strlen(in) : (size_t)len;
    struct syslog_msg m;
    syslog_parse(in, n, n, &m);
    struct buf b = {0};
    syslog_format_line(&b, &m, fmt, &ctx);
    int good = b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
    ok(good, what);
    if (!good) {
        show("got ", b.p, b.len);
        show("want", want, strlen(want));
    }
    buf_free(&b);
}

static void plain(const char *in, const char *want, const char *what)
{
    line_is(in, -1, SYSLOG_FMT_PLAIN, want, what);
}

static int slice_is(struct slice s, const char *want)
{
    if (!want)
        return s.p == NULL;
    return s.p && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void fields(const char *in, enum syslog_kind kind, int pri, const char *ts, const char *host,
                   const char *app, const char *procid, const char *msgid, const char *sd,
                   const char *msg, const char *what)
{
    struct syslog_msg m;
    syslog_parse(in, strlen(in), strlen(in), &m);
    ok(m.kind == kind && m.pri == pri && slice_is(m.timestamp, ts) && slice_is(m.host, host) &&
           slice_is(m.app, app) && slice_is(m.procid, procid) && slice_is(m.msgid, msgid) &&
           slice_is(m.sd, sd) && slice_is(m.msg, msg),
       what);
}

static int line_invariants(const char *in, size_t n, size_t wire)
{
    return syslog_line_ok(in, n, wire, &ctx);
}

int main(void)
{
    printf("1..45\n");

    /* RFC 3164 as glibc's syslog(3) and logger send it */
    plain("<13>Nov 28 04:15:12 mytag: hello", "user.notice mytag: hello\n", "3164 tag");
    plain("<155>Nov  8 04:15:12 t2[6986]: x", "local3.err t2[6986]: x\n", "3164 tag and pid, space-padded day");
    fields("<13>Nov 28 04:15:12 vm root: hi", SYSLOG_RFC3164, 13, "Nov 28 04:15:12", "vm", "root",
           NULL, NULL, NULL, "hi", "3164 with a hostname (relayed, logger --rfc3164)");
    plain("<13>Nov 28 04:15:12 vm root: hi", "user.notice root: hi\n", "3164 hostname not printed");
    plain("<13>t[main]: x", "user.notice t[main]: x\n", "3164 non-numeric pid, no timestamp");
    plain("<0>Error: disk full", "kern.emerg Error: disk full\n", "3164 pri 0");
    plain("<191>x", "local7.debug x\n", "pri 191 is the last valid one");
    plain("<13>http://x y", "user.notice http://x y\n", "a colon that is not a tag's");
    plain("<13>Nov 28 04:15:12 just words", "user.notice just words\n", "timestamp, no tag");
    plain("<13>t: m\n", "user.notice t: m\n", "trailing newline dropped");
    plain("<13>t: m\r\n\0\0", "user.notice t: m\n", "trailing CR, newline and NULs dropped");
    fields("<30>2024-01-02T03:04:05.123456+01:00 host app[7]: text", SYSLOG_RFC3164, 30,
           "2024-01-02T03:04:05.123456+01:00", "host", "app", "7", NULL, NULL, "text",
           "3164 with an RFC 3339 timestamp (rsyslog)");

    /* RFC 5424, the examples of its §6.5 */
    plain("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
          "auth.crit su: ID47 'su root' failed for lonvick on /dev/pts/8\n", "5424 example 1 (BOM dropped)");
    plain("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
          "local4.notice myproc[8710]: %% It's time to make the do-nuts.\n", "5424 example 2");
    fields("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry...",
           SYSLOG_RFC5424, 165, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog", NULL,
           "ID47", "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]",
           "An application event log entry...", "5424 example 3 fields");
    plain("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry...",
          "local4.notice evntslog: ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry...\n",
          "5424 example 3 line");
    fields("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"][examplePriority@32473 class=\"high\"]",
           SYSLOG_RFC5424, 165, "2003-10-11T22:14:15.003Z", "mymachine.example.com", "evntslog", NULL,
           "ID47", "[exampleSDID@32473 iut=\"3\"][examplePriority@32473 class=\"high\"]", "",
           "5424 example 4: two SD elements, no message");
    fields("<13>1 - - - - - -", SYSLOG_RFC5424, 13, NULL, NULL, NULL, NULL, NULL, NULL, "",
           "5424 all nil");
    plain("<13>1 - - - - - -", "user.notice\n", "5424 all nil line");
    plain("<13>1 - - root - - - x", "user.notice root: x\n", "5424 as logger --rfc5424=notime,nohost");
    fields("<13>1 - h a p m [x@1 b=\"q\\\"u\\]o\\\\\"] t", SYSLOG_RFC5424, 13, NULL, "h", "a", "p", "m",
           "[x@1 b=\"q\\\"u\\]o\\\\\"]", "t", "5424 escapes in SD values");
    plain("<13>1 - - - 42 - - x", "user.notice -[42]: x\n", "5424 procid without app");
    plain("<13>1 bad", "user.notice 1 bad\n", "broken 5424 header: the rest is the message");
    plain("<13>1 - - a - - [x y] z", "user.notice 1 - - a - - [x y] z\n", "malformed SD: nothing lost");
    plain("<13>1 2003-10-11 h a - - - z", "user.notice 1 2003-10-11 h a - - - z\n", "bad 5424 timestamp");

    /* no PRI: the whole datagram, as user.notice */
    plain("hello", "user.notice hello\n", "raw text");
    plain("<", "user.notice <\n", "lone <");
    plain("<999>x", "user.notice <999>x\n", "PRI over 191");
    plain("<99999999999999999999>x", "user.notice <99999999999999999999>x\n", "huge PRI");
    plain("<>x", "user.notice <>x\n", "empty PRI");
    plain("", "user.notice\n", "empty datagram");

    /* escaping: nothing splits or corrupts the line */
    line_is("<13>tag: a\nb\0c\x01\x7f\xff\xc2\x9b \xc3\xa9\t\\n", 25, SYSLOG_FMT_PLAIN,
            "user.notice tag: a\\nb\\x00c\\x01\\x7f\\xff\\u009b \xc3\xa9\\t\\n\n",
            "control bytes, NUL, invalid UTF-8, C1 escaped; UTF-8 and backslash kept");
    line_is("\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80", 9, SYSLOG_FMT_PLAIN,
            "user.notice \\xed\\xa0\\x80\\xc0\\xaf\\xf4\\x90\\x80\\x80\n",
            "surrogates, overlong forms, beyond U+10FFFF are invalid");
    line_is("<13>t\xff: m", -1, SYSLOG_FMT_PLAIN, "user.notice t\\xff: m\n", "escaped tag");

    /* other formats */
    line_is("<155>Nov 28 04:15:12 t2[42]: say \"hi\"\n\x01", -1, SYSLOG_FMT_JSON,
            "{\"facility\":\"local3\",\"severity\":\"err\",\"timestamp\":\"Nov 28 04:15:12\",\"tag\":\"t2\",\"pid\":\"42\",\"message\":\"say \\\"hi\\\"\\n\\u0001\"}\n",
            "json");
    line_is("oops", -1, SYSLOG_FMT_JSON, "{\"facility\":\"user\",\"severity\":\"notice\",\"message\":\"oops\"}\n",
            "json raw");
    line_is("<155>Nov 28 04:15:12 t2[42]: x", -1, SYSLOG_FMT_RFC5424,
            "<155>1 2023-11-14T22:13:20.123456Z testhost t2 42 - - x\n",
            "rfc5424 from 3164: arrival time, our hostname");
    line_is("<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [a@1 b=\"c\"] hi", -1, SYSLOG_FMT_RFC5424,
            "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [a@1 b=\"c\"] hi\n",
            "rfc5424 from 5424: unchanged");
    line_is("<13>t\xc3\xa9: m", -1, SYSLOG_FMT_RFC5424,
            "<13>1 2023-11-14T22:13:20.123456Z testhost t__ - - - m\n", "rfc5424 header fields ASCII only");

    /* truncated datagrams are marked */
    {
        static char big[SYSLOG_MAX_MSG];
        memset(big, 'A', sizeof big);
        memcpy(big, "<13>t: ", 7);
        struct syslog_msg m;
        syslog_parse(big, sizeof big, 70000, &m);
        struct buf b = {0};
        syslog_format_line(&b, &m, SYSLOG_FMT_PLAIN, &ctx);
        const char *tail = "AAA [truncated: 70000 bytes, 65536 kept]\n";
        ok(b.len > strlen(tail) && strcmp(buf_cstr(&b) + b.len - strlen(tail), tail) == 0 &&
               strncmp(b.p, "user.notice t: AAA", 18) == 0,
           "a cut message says so");
        buf_free(&b);
        ok(line_invariants(big, sizeof big, 70000), "invariants of a cut message");
        syslog_parse(big, sizeof big, sizeof big, &m);
        ok(m.msg.n == SYSLOG_MAX_MSG - 7 && m.wire_len == SYSLOG_MAX_MSG, "64 KiB kept whole");
    }

    /* names */
    ok(strcmp(syslog_facility_name(4 << 3), "auth") == 0 && strcmp(syslog_severity_name(3), "err") == 0 &&
           strcmp(syslog_facility_name(23 << 3 | 7), "local7") == 0,
       "facility and severity names");
    {
        enum syslog_format f;
        ok(syslog_format_parse("json", &f) && f == SYSLOG_FMT_JSON && syslog_format_parse("plain", &f) &&
               f == SYSLOG_FMT_PLAIN && syslog_format_parse("rfc5424", &f) && f == SYSLOG_FMT_RFC5424 &&
               !syslog_format_parse("xml", &f) && !syslog_format_parse("", &f),
           "format names");
    }

    /* random bytes, and random mutations of valid messages */
    {
        unsigned long long x = 88172645463325252ULL;
        static const char *seeds[] = {
            "<13>Nov 28 04:15:12 mytag[12]: hello",
            "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [a@1 b=\"c\\\"\"][d@2 e=\"f\"] hi",
        };
        int good = 1;
        char in[300];
        for (int it = 0; it < 20000 && good; it++) {
            size_t n;
            if (it & 1) {
                n = (size_t)(it % 300);
                for (size_t i = 0; i < n; i++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    in[i] = (char)(x & 0xff);
                }
            } else {
                const char *s = seeds[(it >> 1) & 1];
                n = strlen(s);
                memcpy(in, s, n);
                for (int k = 0; k < 3; k++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    in[x % n] = (char)((x >> 16) & 0xff);
                }
            }
            if (!line_invariants(in, n, n)) {
                good = 0;
                show("input", in, n);
            }
        }
        ok(good, "one clean line for 20000 random inputs");
    }

    return n_fail ? 1 : 0;
}
