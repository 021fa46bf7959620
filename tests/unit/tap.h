/* tests/unit/tap.h — a tiny header-only TAP producer for the C unit tests
 * (run by build-aux/tap-driver.sh). Usage:
 *
 *     int main(void) {
 *         tap_plan(2);
 *         tap_ok(1 + 1 == 2, "arithmetic works");
 *         tap_is_str(got, "expected", "name");
 *         return tap_done();
 *     }
 *
 * tap_done() returns the exit status: 0 when every test passed and the plan
 * was met, 1 otherwise. State lives in one struct per translation unit;
 * tests are single-threaded programs. */
#ifndef FERRY_TESTS_TAP_H
#define FERRY_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct tap_state {
    int planned;
    int run;
    int failed;
} tap_state;

static tap_state tap_state_;

static inline void tap_plan(int n)
{
    tap_state_.planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

/* Prints a diagnostic line ("# ...") that the driver shows but does not count. */
static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;
    fputs("# ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
    tap_state_.run++;
    if (!cond)
        tap_state_.failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_state_.run);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    return cond;
}

/* Records one test; returns cond so callers can add diagnostics on failure. */
static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = tap_vok(cond, fmt, ap);
    va_end(ap);
    return r;
}

/* Records a test that could not run here (counts as passed). */
static inline void tap_skip(const char *name, const char *why)
{
    tap_state_.run++;
    printf("ok %d - %s # SKIP %s\n", tap_state_.run, name, why);
    fflush(stdout);
}

/* Prints a string for a diagnostic, making control characters visible so
 * that differences in whitespace show. */
static inline void tap_diag_str_(const char *label, const char *s)
{
    fputs("#   ", stdout);
    fputs(label, stdout);
    if (!s) {
        fputs("(null)\n", stdout);
        return;
    }
    fputc('\'', stdout);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            fputc(*p, stdout);
    }
    fputs("'\n", stdout);
}

/* Copies s into out (cap bytes) as a one-line test name: control bytes,
 * bytes above ASCII and '#' (a TAP directive) become \xNN; long input is cut. */
static inline const char *tap_name(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && k + 5 < cap; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '#')
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", *p);
        else
            out[k++] = (char)*p;
    }
    out[k] = '\0';
    return out;
}

/* Compares two strings (either may be NULL; two NULLs are equal). */
static inline int tap_is_str(const char *got, const char *expected, const char *name)
{
    int same = (got == NULL && expected == NULL) || (got && expected && strcmp(got, expected) == 0);
    tap_ok(same, "%s", name);
    if (!same) {
        tap_diag_str_("got:      ", got);
        tap_diag_str_("expected: ", expected);
        fflush(stdout);
    }
    return same;
}

/* Compares two integers. */
static inline int tap_is_int(long long got, long long expected, const char *name)
{
    int same = got == expected;
    tap_ok(same, "%s", name);
    if (!same)
        tap_diag("  got %lld, expected %lld", got, expected);
    return same;
}

/* Ends the run: reports a plan mismatch, returns the exit status. */
static inline int tap_done(void)
{
    if (tap_state_.planned != tap_state_.run) {
        tap_diag("planned %d tests but ran %d", tap_state_.planned, tap_state_.run);
        return 1;
    }
    return tap_state_.failed ? 1 : 0;
}

#endif /* FERRY_TESTS_TAP_H */
