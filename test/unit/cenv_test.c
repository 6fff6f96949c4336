/* Unit tests (TAP) of the quoting, JSON, name and duration helpers of src/lib. */
#include "cenv.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* printable form of bytes for diagnostics */
static const char *show(const char *s, size_t len)
{
    static char out[4][512];
    static int k;
    char *o = out[k++ % 4];
    size_t j = 0;
    for (size_t i = 0; i < len && j < sizeof out[0] - 5; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            o[j++] = (char)c;
        else
            j += (size_t)snprintf(o + j, 5, "\\x%02x", c);
    }
    o[j] = '\0';
    return o;
}

static void sh_quote_is(const char *in, size_t len, const char *want)
{
    struct buf b = {0};
    sh_quote(&b, in, len);
    ok(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "sh_quote(\"%s\") = %s (got %s)",
       show(in, len), show(want, strlen(want)), show(b.p, b.len));
    buf_free(&b);
}

static void json_quote_is(const char *in, size_t len, const char *want)
{
    struct buf b = {0};
    json_quote(&b, in, len);
    ok(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "json_quote(\"%s\") = %s (got %s)",
       show(in, len), show(want, strlen(want)), show(b.p, b.len));
    buf_free(&b);
}

static void parses(const char *text, const char *name, const char *value)
{
    struct envlist e = {0};
    bool r = json_parse_env(text, strlen(text), &e);
    const char *v = r ? env_get(&e, name) : NULL;
    ok(r && v && strcmp(v, value) == 0, "json_parse_env(%s): %s = \"%s\"", show(text, strlen(text)),
       name, show(value, strlen(value)));
    env_free(&e);
}

static void rejects(const char *text)
{
    struct envlist e = {0};
    ok(!json_parse_env(text, strlen(text), &e), "json_parse_env refuses %s", show(text, strlen(text)));
    env_free(&e);
}

static void sanitized(const char *in, const char *want)
{
    struct buf b = {0};
    sh_name_sanitize(&b, in);
    ok(strcmp(buf_cstr(&b), want) == 0, "sh_name_sanitize(%s) = %s (got %s)", show(in, strlen(in)),
       want, b.p);
    buf_free(&b);
}

static void seconds(const char *s, long max, bool valid, long want)
{
    long ms = -1;
    bool r = parse_seconds_ms(s, max, &ms);
    if (valid)
        ok(r && ms == want, "parse_seconds_ms(\"%s\") = %ld ms (got %s %ld)", s, want, r ? "ok" : "refused", ms);
    else
        ok(!r, "parse_seconds_ms refuses \"%s\" (max %ld)", s, max);
}

/* json_dump -> json_parse_env gives back every byte string without NUL, whatever its bytes */
static void json_round_trip(void)
{
    unsigned int seed = 12345;
    int bad = 0;
    struct envlist in = {0}, out = {0};
    char name[16], *val = xmalloc(600);
    for (int round = 0; round < 200; round++) {
        env_free(&in);
        env_free(&out);
        for (int i = 0; i < 10; i++) {
            size_t len = (size_t)(rand_r(&seed) % 600);
            for (size_t k = 0; k < len; k++) {
                int r = rand_r(&seed);
                /* half of the time the bytes of UTF-8 and JSON syntax, else anything */
                static const char pick[] = "\"\\/\n\t\r\x01\x7f\xc3\xa9\xed\xa0\x80\xf0\x9f\x98\x80\xff\xc0";
                val[k] = (r & 1) ? pick[(r >> 1) % (int)(sizeof pick - 1)] : (char)(1 + (r >> 1) % 255);
            }
            val[len] = '\0';
            snprintf(name, sizeof name, "N%d", i);
            env_set(&in, name, val);
        }
        struct buf js = {0};
        json_dump(&js, &in);
        if (!json_parse_env(js.p, js.len, &out) || out.n != in.n) {
            bad++;
        } else {
            for (size_t i = 0; i < in.n; i++) {
                const char *v = env_get(&out, in.v[i].name);
                if (!v || strcmp(v, in.v[i].value) != 0)
                    bad++;
            }
        }
        buf_free(&js);
    }
    ok(bad == 0, "json_dump -> json_parse_env round-trips 2000 random values (%d differ)", bad);
    env_free(&in);
    env_free(&out);
    free(val);
}

/* the hashed list against a plain model: random sets, unsets and sorts over a few thousand names
 * (collisions, growth and index rebuilds all happen), every name looked up after each step */
#define MODEL_NAMES 3000
static void list_model(void)
{
    static int model[MODEL_NAMES]; /* -1: unset, else the value last set */
    struct envlist e = {0};
    unsigned int seed = 777;
    int bad = 0;
    char name[32], val[32];
    for (int i = 0; i < MODEL_NAMES; i++)
        model[i] = -1;
    for (int step = 0; step < 20000 && !bad; step++) {
        int k = (int)((seed = seed * 1103515245u + 12345u) >> 8) % MODEL_NAMES;
        snprintf(name, sizeof name, "V%d", k);
        int op = (int)(seed >> 4) % 16;
        if (op == 0) {
            bool was = env_unset(&e, name);
            bad |= was != (model[k] >= 0);
            model[k] = -1;
        } else if (op == 1 && step % 97 == 0) {
            env_sort(&e);
        } else {
            snprintf(val, sizeof val, "%d", step);
            env_set(&e, name, val);
            model[k] = step;
        }
        if (step % 1000 == 0 || step == 19999) {
            size_t live = 0;
            for (int i = 0; i < MODEL_NAMES && !bad; i++) {
                snprintf(name, sizeof name, "V%d", i);
                const char *v = env_get(&e, name);
                live += model[i] >= 0;
                bad |= model[i] < 0 ? v != NULL : (!v || atoi(v) != model[i]);
            }
            bad |= live != e.n;
        }
    }
    ok(!bad, "env_set/env_get/env_unset/env_sort agree with a plain model over %d names", MODEL_NAMES);
    env_free(&e);
}

int main(void)
{
    progname = "cenv_test";
    list_model();

    sh_quote_is("", 0, "''");
    sh_quote_is("plain", 5, "'plain'");
    sh_quote_is("it's", 4, "'it'\\''s'");
    sh_quote_is("''", 2, "''\\'''\\'''");
    sh_quote_is("$(x) `y` \\ \"\n", 13, "'$(x) `y` \\ \"\n'");
    sh_quote_is("\xff\x01", 2, "'\xff\x01'");

    json_quote_is("", 0, "\"\"");
    json_quote_is("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    json_quote_is("\n\t\r\x01\x1f\x7f", 6, "\"\\n\\t\\r\\u0001\\u001f\\u007f\"");
    json_quote_is("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    json_quote_is("\xff", 1, "\"\\udcff\"");
    json_quote_is("\xc0\x80", 2, "\"\\udcc0\\udc80\"");             /* overlong */
    json_quote_is("\xed\xa0\x80", 3, "\"\\udced\\udca0\\udc80\"");   /* a surrogate */
    json_quote_is("\xf4\x90\x80\x80", 4, "\"\\udcf4\\udc90\\udc80\\udc80\"");  /* past U+10FFFF */
    json_quote_is("\xe2\x82", 2, "\"\\udce2\\udc82\"");             /* cut short */
    json_quote_is("a\x80z", 3, "\"a\\udc80z\"");

    parses("{\"A\": \"b\"}", "A", "b");
    parses(" \n{ \"A\" : \"b\" , \"C\":\"d\" }\n ", "C", "d");
    parses("{\"A\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "A", "\"\\/\b\f\n\r\t");
    parses("{\"A\": \"\\u00e9\\u20AC\"}", "A", "\xc3\xa9\xe2\x82\xac");
    parses("{\"A\": \"\\ud83d\\ude00\"}", "A", "\xf0\x9f\x98\x80");
    parses("{\"A\": \"\\udcff\\udc80\"}", "A", "\xff\x80");
    parses("{\"A\": \"x\", \"A\": \"y\"}", "A", "y");
    parses("{\"A\": \"\"}", "A", "");
    {
        struct envlist e = {0};
        ok(json_parse_env("{}", 2, &e) && e.n == 0, "json_parse_env accepts {}");
        env_free(&e);
    }
    rejects("");
    rejects("{");
    rejects("[]");
    rejects("{\"A\": 1}");
    rejects("{\"A\": \"b\",}");
    rejects("{\"A\" \"b\"}");
    rejects("{\"A\": \"b\"} x");
    rejects("{\"A\": \"b\"}{}");
    rejects("{\"A\": \"\\u0000\"}");
    rejects("{\"A\": \"\\ud800\"}");
    rejects("{\"A\": \"\\ud83dx\"}");
    rejects("{\"A\": \"\\x41\"}");
    rejects("{\"A\": \"\\u12\"}");
    rejects("{\"A\": \"raw\nnewline\"}");
    rejects("{\"A\": \"unterminated}");
    json_round_trip();

    sanitized("PATH", "PATH");
    sanitized("a-b.c", "a_b_c");
    sanitized("1x", "_1x");
    sanitized("my var", "my_var");
    sanitized("9\xc3\xa9", "_9__");
    ok(sh_name_ok("_a1") && sh_name_ok("A") && !sh_name_ok("1a") && !sh_name_ok("a-b") && !sh_name_ok(""),
       "sh_name_ok: identifiers only");
    ok(cenv_name_ok("A") && cenv_name_ok("a b-c") && cenv_name_ok("x.y") && cenv_name_ok("\xff"),
       "cenv_name_ok accepts names that are no shell identifiers");
    ok(!cenv_name_ok("") && !cenv_name_ok(".") && !cenv_name_ok("..") && !cenv_name_ok(".a") &&
           !cenv_name_ok("a/b") && !cenv_name_ok("a=b"),
       "cenv_name_ok refuses empty, dot names, '/' and '='");
    {
        char long_name[300];
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        ok(!cenv_name_ok(long_name), "cenv_name_ok refuses names longer than NAME_MAX");
    }
    ok(cenv_name_private("HOME") && cenv_name_private("SHELL") && !cenv_name_private("PATH"),
       "cenv_name_private: HOME, SHELL yes, PATH no");

    seconds("30", 86400, true, 30000);
    seconds("0", 86400, true, 0);
    seconds("0.5", 86400, true, 500);
    seconds("2.25", 86400, true, 2250);
    seconds("1.2345", 86400, true, 1234);
    seconds("86400", 86400, true, 86400000);
    seconds("86401", 86400, false, 0);
    seconds("99999999999999999999999", 86400, false, 0);
    seconds("", 86400, false, 0);
    seconds("abc", 86400, false, 0);
    seconds("-1", 86400, false, 0);
    seconds("+1", 86400, false, 0);
    seconds("1e3", 86400, false, 0);
    seconds(" 5", 86400, false, 0);
    seconds("5 ", 86400, false, 0);
    seconds(".", 86400, false, 0);
    seconds("inf", 86400, false, 0);
    seconds("1.2.3", 86400, false, 0);

    return tap_done();
}
