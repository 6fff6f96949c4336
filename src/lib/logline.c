#include "logline.h"

#include <string.h>

int logline_mode_parse(const char *s)
{
    if (strcmp(s, "raw") == 0)
        return LOGLINE_RAW;
    if (strcmp(s, "prefixed") == 0)
        return LOGLINE_PREFIXED;
    if (strcmp(s, "json") == 0)
        return LOGLINE_JSON;
    return -1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if there is none: no overlong
 * forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

static void json_string(struct buf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    buf_addc(out, '"');
    size_t i = 0;
    while (i < n) {
        /* the run of bytes that need no escape goes in one copy */
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\')
            j++;
        if (j > i)
            buf_add(out, s + i, j - i);
        i = j;
        if (i == n)
            break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_len(s + i, n - i);
            if (len) {
                buf_add(out, s + i, len);
                i += len;
            } else {
                buf_adds(out, "\\ufffd");
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': buf_adds(out, "\\\""); break;
        case '\\': buf_adds(out, "\\\\"); break;
        case '\n': buf_adds(out, "\\n"); break;
        case '\r': buf_adds(out, "\\r"); break;
        case '\t': buf_adds(out, "\\t"); break;
        case '\b': buf_adds(out, "\\b"); break;
        case '\f': buf_adds(out, "\\f"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_add(out, u, sizeof u);
        }
        }
        i++;
    }
    buf_addc(out, '"');
}

void logline_format(struct buf *out, enum logline_mode mode, const char *name, bool err, const char *line, size_t n)
{
    if (mode == LOGLINE_JSON) {
        buf_adds(out, "{\"service\":");
        json_string(out, name, strlen(name));
        buf_adds(out, err ? ",\"stream\":\"stderr\",\"line\":" : ",\"stream\":\"stdout\",\"line\":");
        json_string(out, line, n);
        buf_adds(out, "}\n");
        return;
    }
    if (mode == LOGLINE_PREFIXED) {
        buf_adds(out, name);
        buf_adds(out, " | ");
    }
    buf_add(out, line, n);
    buf_addc(out, '\n');
}
