/* src/lib/logline.c: the marked forms of a service's line (docs/logging.md, "Service output"). */
#include <string.h>

#include "logline.h"
#include "tap.h"

static char out_text[4096];

static const char *fmt(enum logline_mode mode, bool err, const char *line, size_t n)
{
    struct buf b = {0};
    logline_format(&b, mode, "web", err, line, n);
    snprintf(out_text, sizeof out_text, "%.*s", (int)b.len, b.p);
    buf_free(&b);
    return out_text;
}

#define LINE(s) s, sizeof s - 1

int main(void)
{
    ok(logline_mode_parse("raw") == LOGLINE_RAW && logline_mode_parse("prefixed") == LOGLINE_PREFIXED &&
           logline_mode_parse("json") == LOGLINE_JSON && logline_mode_parse("JSON") < 0 && logline_mode_parse("") < 0,
       "modes: raw, prefixed, json, nothing else");
    ok(strcmp(fmt(LOGLINE_PREFIXED, false, LINE("up \xff\r")), "web | up \xff\r\n") == 0, "prefixed: the bytes unchanged");
    ok(strcmp(fmt(LOGLINE_RAW, true, LINE("x")), "x\n") == 0, "raw: the line");
    ok(strcmp(fmt(LOGLINE_JSON, true, LINE("a\"b\\c\td\x01")),
              "{\"service\":\"web\",\"stream\":\"stderr\",\"line\":\"a\\\"b\\\\c\\td\\u0001\"}\n") == 0,
       "json: quotes, backslashes and control characters escaped, stream stderr");
    ok(strcmp(fmt(LOGLINE_JSON, false, LINE("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")),
              "{\"service\":\"web\",\"stream\":\"stdout\",\"line\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n") == 0,
       "json: valid UTF-8 (2, 3, 4 bytes) unchanged");
    /* an overlong '/', a surrogate, a code point above U+10FFFF, a lone continuation byte, a
     * sequence cut short at the end: one U+FFFD per byte that is not valid */
    ok(strcmp(fmt(LOGLINE_JSON, false, LINE("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\x80|\xe2\x82")),
              "{\"service\":\"web\",\"stream\":\"stdout\",\"line\":\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
              "\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd|\\ufffd\\ufffd\"}\n") == 0,
       "json: invalid UTF-8 becomes U+FFFD, byte by byte");
    ok(strcmp(fmt(LOGLINE_JSON, false, "a\0b", 3), "{\"service\":\"web\",\"stream\":\"stdout\",\"line\":\"a\\u0000b\"}\n") == 0,
       "json: a NUL byte is escaped");
    return tap_done();
}
