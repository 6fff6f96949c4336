/* The text side of cenv.h: names, shell and JSON quoting, reading JSON back, the dumps. */
#include "cenv.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

bool cenv_name_ok(const char *name)
{
    const char *p = name;
    for (; *p; p++) /* one pass: this runs several times for every variable at every boot */
        if (*p == '/' || *p == '=')
            return false;
    size_t n = (size_t)(p - name);
    return n > 0 && n <= NAME_MAX && name[0] != '.';
}

bool cenv_name_private(const char *name)
{
    /* by the first byte: asked for every variable, several times a boot */
    switch (name[0]) {
    case 'H': return strcmp(name, "HOME") == 0;
    case 'U': return strcmp(name, "USER") == 0 || strcmp(name, "UID") == 0;
    case 'G': return strcmp(name, "GROUP") == 0 || strcmp(name, "GID") == 0;
    case 'S': return strcmp(name, "SHELL") == 0;
    default: return false;
    }
}

static bool is_alpha_(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_alnum_(unsigned char c)
{
    return is_alpha_(c) || (c >= '0' && c <= '9');
}

bool sh_name_ok(const char *name)
{
    if (!is_alpha_((unsigned char)name[0]))
        return false;
    for (const char *c = name + 1; *c; c++)
        if (!is_alnum_((unsigned char)*c))
            return false;
    return true;
}

void sh_name_sanitize(struct buf *out, const char *name)
{
    if (!is_alpha_((unsigned char)name[0]))
        buf_addc(out, '_');
    for (const char *c = name; *c; c++)
        buf_addc(out, is_alnum_((unsigned char)*c) ? *c : '_');
}

/* ---- quoting ---- */

void sh_quote(struct buf *out, const char *s, size_t len)
{
    /* Inside single quotes every byte but ' is literal in every POSIX shell; a ' closes the
     * quote, is written escaped, and the quote reopens. */
    buf_addc(out, '\'');
    for (;;) {
        const char *q = memchr(s, '\'', len);
        size_t run = q ? (size_t)(q - s) : len;
        buf_add(out, s, run);
        if (!q)
            break;
        buf_adds(out, "'\\''");
        s += run + 1;
        len -= run + 1;
    }
    buf_addc(out, '\'');
}

size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned int min;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_quote(struct buf *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    buf_addc(out, '"');
    for (size_t i = 0; i < len;) {
        /* the common case, a run of printable ASCII, in one piece */
        size_t run = 0;
        while (i + run < len && u[i + run] >= 0x20 && u[i + run] < 0x7f && u[i + run] != '"' && u[i + run] != '\\')
            run++;
        if (run) {
            buf_add(out, u + i, run);
            i += run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            buf_addc(out, '\\');
            buf_addc(out, (char)c);
            i++;
        } else if (c == '\n') {
            buf_adds(out, "\\n"), i++;
        } else if (c == '\t') {
            buf_adds(out, "\\t"), i++;
        } else if (c == '\r') {
            buf_adds(out, "\\r"), i++;
        } else if (c < 0x20 || c == 0x7f) {
            buf_addf(out, "\\u%04x", c), i++;
        } else {
            size_t n = utf8_len(u + i, len - i);
            if (n == 0) {
                buf_addf(out, "\\u%04x", 0xdc00 + c);
                i++;
            } else {
                buf_add(out, u + i, n);
                i += n;
            }
        }
    }
    buf_addc(out, '"');
}

/* ---- JSON reading (objects of strings, as json_dump writes them) ---- */

struct jp {
    const char *s;
    size_t len, i;
};

static void jp_ws(struct jp *p)
{
    while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\n' || p->s[p->i] == '\t' || p->s[p->i] == '\r'))
        p->i++;
}

static bool jp_hex4(struct jp *p, unsigned int *v)
{
    if (p->len - p->i < 4)
        return false;
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned)(c - 'A' + 10);
        else
            return false;
    }
    return true;
}

static void put_utf8(struct buf *b, unsigned int cp)
{
    if (cp < 0x80) {
        buf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        buf_addc(b, (char)(0xc0 | (cp >> 6)));
        buf_addc(b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_addc(b, (char)(0xe0 | (cp >> 12)));
        buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addc(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_addc(b, (char)(0xf0 | (cp >> 18)));
        buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_addc(b, (char)(0x80 | (cp & 0x3f)));
    }
}

/* A string into out; NUL (\u0000) is refused since no variable can hold it. */
static bool jp_string(struct jp *p, struct buf *out)
{
    if (p->i >= p->len || p->s[p->i] != '"')
        return false;
    p->i++;
    while (p->i < p->len) {
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"') {
            buf_cstr(out);
            return true;
        }
        if (c < 0x20)
            return false;
        if (c != '\\') {
            buf_addc(out, (char)c);
            continue;
        }
        if (p->i >= p->len)
            return false;
        char e = p->s[p->i++];
        unsigned int cp, lo;
        switch (e) {
        case '"': case '\\': case '/': buf_addc(out, e); break;
        case 'b': buf_addc(out, '\b'); break;
        case 'f': buf_addc(out, '\f'); break;
        case 'n': buf_addc(out, '\n'); break;
        case 'r': buf_addc(out, '\r'); break;
        case 't': buf_addc(out, '\t'); break;
        case 'u':
            if (!jp_hex4(p, &cp) || cp == 0)
                return false;
            if (cp >= 0xd800 && cp <= 0xdbff && p->len - p->i >= 6 && p->s[p->i] == '\\' &&
                p->s[p->i + 1] == 'u') {
                size_t save = p->i;
                p->i += 2;
                if (jp_hex4(p, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
                    put_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
                    break;
                }
                p->i = save;
            }
            if (cp >= 0xdc80 && cp <= 0xdcff)
                buf_addc(out, (char)(cp - 0xdc00)); /* an escaped raw byte */
            else if (cp >= 0xd800 && cp <= 0xdfff)
                return false;
            else
                put_utf8(out, cp);
            break;
        default:
            return false;
        }
    }
    return false;
}

bool json_parse_env(const char *text, size_t len, struct envlist *out)
{
    struct jp p = {text, len, 0};
    struct buf name = {0}, value = {0};
    bool ok = false;
    jp_ws(&p);
    if (p.i >= p.len || p.s[p.i++] != '{')
        goto done;
    jp_ws(&p);
    if (p.i < p.len && p.s[p.i] == '}') {
        p.i++;
    } else {
        for (;;) {
            name.len = value.len = 0;
            jp_ws(&p);
            if (!jp_string(&p, &name))
                goto done;
            jp_ws(&p);
            if (p.i >= p.len || p.s[p.i++] != ':')
                goto done;
            jp_ws(&p);
            if (!jp_string(&p, &value))
                goto done;
            env_set(out, name.p, value.p);
            jp_ws(&p);
            if (p.i < p.len && p.s[p.i] == ',') {
                p.i++;
                continue;
            }
            if (p.i < p.len && p.s[p.i] == '}') {
                p.i++;
                break;
            }
            goto done;
        }
    }
    jp_ws(&p);
    ok = p.i == p.len;
done:
    buf_free(&name);
    buf_free(&value);
    return ok;
}

/* ---- dumps ---- */

bool cenv_exportable(const char *name)
{
    return cenv_name_ok(name) && !cenv_name_private(name);
}

void sh_dump(struct buf *out, const struct envlist *e)
{
    struct buf nm = {0};
    for (size_t i = 0; i < e->n; i++) {
        const char *name = e->v[i].name;
        if (!cenv_exportable(name))
            continue;
        buf_add(out, "export ", 7);
        if (sh_name_ok(name)) { /* nearly every name: as it is */
            buf_adds(out, name);
        } else {
            nm.len = 0;
            sh_name_sanitize(&nm, name);
            /* a sanitized name never overrides a variable that really has that name */
            if (env_get(e, buf_cstr(&nm))) {
                out->len -= 7;
                continue;
            }
            buf_add(out, nm.p, nm.len);
        }
        buf_addc(out, '=');
        sh_quote(out, e->v[i].value, strlen(e->v[i].value));
        buf_addc(out, '\n');
    }
    buf_free(&nm);
}

void json_dump(struct buf *out, const struct envlist *e)
{
    bool first = true;
    buf_addc(out, '{');
    for (size_t i = 0; i < e->n; i++) {
        if (!cenv_exportable(e->v[i].name))
            continue;
        if (!first)
            buf_adds(out, ", ");
        first = false;
        json_quote(out, e->v[i].name, strlen(e->v[i].name));
        buf_adds(out, ": ");
        json_quote(out, e->v[i].value, strlen(e->v[i].value));
    }
    buf_adds(out, "}\n");
}

