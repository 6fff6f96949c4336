/* The TAP output of the C unit tests: one "ok N - what" line per check, the plan at the end
 * (tools/run-tests counts the lines). Header-only: each test is one program. */
#ifndef CINIT_TEST_TAP_H
#define CINIT_TEST_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int n_tests, n_failed;

static void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%sok %d - ", cond ? "" : "not ", ++n_tests);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (!cond)
        n_failed++;
}

/* the plan line, and main's exit status */
static int tap_done(void)
{
    printf("1..%d\n", n_tests);
    return n_failed ? 1 : 0;
}

#endif
