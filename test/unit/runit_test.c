/* Unit tests (TAP) of runit's status format, list files and the readiness probes' parser
 * (src/lib/runit.c, src/lib/probe.c). */
#include "probe.h"
#include "runit.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* a status as runsv 2.1/2.2 writes it (update_status in runsv.c) */
static void make_status(unsigned char b[20], unsigned long long unix_s, unsigned long nsec, unsigned long pid,
                        int paused, char want, int term, int state)
{
    unsigned long long tai = 4611686018427387914ULL + unix_s;
    for (int i = 7; i >= 0; i--, tai >>= 8)
        b[i] = (unsigned char)tai;
    for (int i = 11; i >= 8; i--, nsec >>= 8)
        b[i] = (unsigned char)nsec;
    for (int i = 12; i < 16; i++, pid >>= 8)
        b[i] = (unsigned char)pid;
    b[16] = (unsigned char)paused;
    b[17] = (unsigned char)want;
    b[18] = (unsigned char)term;
    b[19] = (unsigned char)state;
}

static void test_status(void)
{
    unsigned char b[20];
    struct runit_status s;
    make_status(b, 1700000000ULL, 123456789UL, 0x01020304UL, 0, 'u', 0, 1);
    ok(runit_parse_status(b, 20, &s), "a running service's status parses");
    ok(s.since == 1700000000LL && s.nsec == 123456789L, "its time of change is the TAI64N label's Unix time");
    ok(s.pid == 0x01020304, "its pid is little-endian (0x%lx)", (unsigned long)s.pid);
    ok(s.state == RUNIT_RUN && s.want_up && !s.paused && !s.got_term, "state run, want up");

    make_status(b, 1700000001ULL, 0, 0, 1, 'd', 1, 2);
    ok(runit_parse_status(b, 20, &s) && s.state == RUNIT_FINISH && !s.want_up && s.paused && s.got_term && s.pid == 0,
       "finish, want down, paused, got TERM");
    make_status(b, 5, 0, 99, 0, 'd', 0, 0);
    ok(runit_parse_status(b, 20, &s) && s.state == RUNIT_DOWN && s.since == 5, "down");

    ok(!runit_parse_status(b, 19, &s), "19 bytes are not a status");
    make_status(b, 5, 0, 99, 0, 'x', 0, 0);
    ok(!runit_parse_status(b, 20, &s), "want must be u or d");
    make_status(b, 5, 0, 99, 0, 'u', 0, 3);
    ok(!runit_parse_status(b, 20, &s), "state 3 does not exist");
    memset(b, 0, sizeof b);
    b[17] = 'u';
    ok(runit_parse_status(b, 20, &s) && s.since == 0, "a label before 1970 clamps to 0, never negative");
}

static void test_lists(void)
{
    const char *t = "web\n  db  \n\n# comment\ncache # trailing\r\n\tlast";
    char **l = runit_parse_list(t, strlen(t));
    ok(runit_list_len(l) == 4 && strcmp(l[0], "web") == 0 && strcmp(l[1], "db") == 0 && strcmp(l[2], "cache") == 0 &&
           strcmp(l[3], "last") == 0,
       "depends: one name a line, blanks, comments and CRs left out");
    runit_free_list(l);
    l = runit_parse_list("", 0);
    ok(l && runit_list_len(l) == 0, "an empty file is an empty list");
    runit_free_list(l);
    ok(runit_name_ok("web") && !runit_name_ok(".hidden") && !runit_name_ok("a/b") && !runit_name_ok(""),
       "service names: as runsvdir would start them");
}

static void parses(const char *text, enum probe_kind kind, const char *host, int port, const char *path)
{
    struct probe p;
    char err[256] = "";
    bool good = probe_parse(text, &p, err, sizeof err) && p.kind == kind && (!host || strcmp(p.host, host) == 0) &&
                (!port || p.port == port) && (!path || strcmp(p.path, path) == 0);
    ok(good, "probe '%s' parses%s%s", text, err[0] ? ": " : "", err);
    if (!good)
        printf("# kind %d host %s port %d path %s\n", p.kind, p.host, p.port, p.path);
}

static void refused(const char *text)
{
    struct probe p;
    char err[256] = "";
    bool bad = !probe_parse(text, &p, err, sizeof err) && err[0];
    ok(bad, "probe '%s' is refused (%s)", text, err);
}

static void test_probes(void)
{
    parses("tcp:8080", PROBE_TCP, "127.0.0.1", 8080, NULL);
    parses("  tcp:8080\t", PROBE_TCP, "127.0.0.1", 8080, NULL);
    parses("tcp:10.0.0.1:5432", PROBE_TCP, "10.0.0.1", 5432, NULL);
    parses("tcp:localhost:80", PROBE_TCP, "127.0.0.1", 80, NULL);
    parses("tcp:[::1]:6379", PROBE_TCP, "::1", 6379, NULL);
    parses("unix:/run/app.sock", PROBE_UNIX, NULL, 0, "/run/app.sock");
    parses("file:/run/app.ready", PROBE_FILE, NULL, 0, "/run/app.ready");
    parses("http://127.0.0.1:8080/healthz", PROBE_HTTP, "127.0.0.1", 8080, "/healthz");
    parses("http://127.0.0.1:8080", PROBE_HTTP, "127.0.0.1", 8080, "/");
    parses("http://127.0.0.1:80/a/b?c=d", PROBE_HTTP, "127.0.0.1", 80, "/a/b?c=d");
    parses("up", PROBE_NOW, NULL, 0, NULL);
    parses("", PROBE_NOW, NULL, 0, NULL);
    refused("tcp:");
    refused("tcp:0");
    refused("tcp:65536");
    refused("tcp:-1");
    refused("tcp:80x");
    refused("tcp:example.com:80");
    refused("tcp:[::1:80");
    refused("unix:relative.sock");
    refused("file:");
    refused("http://127.0.0.1/");
    refused("http://127.0.0.1:80/a b");
    refused("https://127.0.0.1:443/");
    refused("udp:53");
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "file:/", 6);
    refused(big);
}

static void test_run(void)
{
    struct probe p;
    char why[256];
    ok(probe_parse("tcp:1", &p, why, sizeof why) && !probe_run(&p, 1000, why, sizeof why) && why[0],
       "nothing listens on port 1: not ready (%s)", why);
    ok(probe_parse("file:/", &p, why, sizeof why) && probe_run(&p, 1000, why, sizeof why), "file:/ exists");
    ok(probe_parse("file:/nonexistent/x", &p, why, sizeof why) && !probe_run(&p, 1000, why, sizeof why),
       "file:/nonexistent/x does not (%s)", why);
    ok(probe_parse("unix:/nonexistent.sock", &p, why, sizeof why) && !probe_run(&p, 1000, why, sizeof why),
       "unix: without a socket is not ready (%s)", why);
}

/* a service dir with these files (NULL: none), its probe as probe_for_service reads it */
static bool service_probe(const char *notification_fd, const char *ready, struct probe *p, char *err, size_t n)
{
    char dir[] = "/tmp/runit_test.XXXXXX", path[64];
    if (!mkdtemp(dir))
        return false;
    const char *names[] = {"notification-fd", "ready"}, *texts[] = {notification_fd, ready};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = texts[i] ? fopen(path, "w") : NULL;
        if (f) {
            fputs(texts[i], f);
            fclose(f);
        }
    }
    err[0] = '\0';
    bool good = probe_for_service(dir, p, err, n);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return good;
}

static void test_notification_fd(void)
{
    struct probe p;
    char err[256];
    ok(service_probe("3\n", NULL, &p, err, sizeof err) && p.kind == PROBE_NOTIFY && p.notify_fd == 3 &&
           strcmp(p.text, "notification-fd 3") == 0,
       "notification-fd 3: told by notification, fd 3");
    ok(service_probe(" 1023 ", "notify\n", &p, err, sizeof err) && p.kind == PROBE_NOTIFY && p.notify_fd == 1023,
       "notification-fd with ready = notify: both come to the notify socket");
    ok(service_probe(NULL, NULL, &p, err, sizeof err) && p.kind == PROBE_UP && p.notify_fd == 0, "no file: no fd");
    const char *bad[] = {"0", "2", "1024", "3x", "", "-3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok(!service_probe(bad[i], NULL, &p, err, sizeof err) && strstr(err, "not a file descriptor number from 3 to 1023"),
           "notification-fd '%s' is refused (%s)", bad[i], err);
    ok(!service_probe("3", "tcp:80", &p, err, sizeof err) && strstr(err, "two ways to tell readiness"),
       "notification-fd with another probe is refused (%s)", err);
    ok(!service_probe("3", "up", &p, err, sizeof err) && strstr(err, "two ways to tell readiness"),
       "notification-fd with ready = up too (%s)", err);
}

int main(void)
{
    test_status();
    test_lists();
    test_probes();
    test_run();
    test_notification_fd();
    return tap_done();
}
