/* core/shared/toml_scalar.c — TOML numbers and date-times for toml.c:
 * integers (decimal, 0x, 0o, 0b, with underscores between digits), floats,
 * and dates/times checked field by field but kept as their text. */
#include "toml_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits of `base` with single underscores between them, from s; returns the
 * end, or NULL when there is no digit or an underscore is misplaced. */
static const char *toml_digits(const char *s, const char *end, int base)
{
    const char *p = s;
    int last_digit = 0;
    for (; p < end; p++) {
        char c = *p;
        int ok = base == 16 ? (toml_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                            : (c >= '0' && c < '0' + base);
        if (ok)
            last_digit = 1;
        else if (c == '_' && last_digit)
            last_digit = 0;
        else
            break;
    }
    return (p == s || !last_digit) ? NULL : p;
}

/* The token's characters without underscores, NUL-terminated. */
static void toml_strip_underscores(const char *s, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    for (; s < end && n + 1 < cap; s++)
        if (*s != '_')
            out[n++] = *s;
    out[n] = '\0';
}

json_t *toml_number(toml_parser *tp)
{
    const char *s = tp->p, *e = tp->p;
    while (e < tp->end && (toml_is_bare(*e) || *e == '+' || *e == '.'))
        e++;
    tp->p = e;
    const char *b = s + (*s == '+' || *s == '-');
    size_t blen = (size_t)(e - b);
    char buf[128];
    if ((blen == 3 && (memcmp(b, "inf", 3) == 0 || memcmp(b, "nan", 3) == 0)))
        return json_stringn(s, (size_t)(e - s));
    if (blen > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'o' || b[1] == 'b')) {
        int base = b[1] == 'x' ? 16 : b[1] == 'o' ? 8 : 2;
        if (b != s || toml_digits(b + 2, e, base) != e) {
            toml_fail(tp, s, "invalid integer \"%.*s\"", (int)(e - s), s);
            return NULL;
        }
        toml_strip_underscores(b + 2, e, buf, sizeof buf);
        errno = 0;
        unsigned long long u = strtoull(buf, NULL, base);
        if (errno != 0 || u > INT64_MAX || strlen(buf) >= sizeof buf - 1) {
            toml_fail(tp, s, "integer \"%.*s\" out of range", (int)(e - s), s);
            return NULL;
        }
        return json_integer((json_int_t)u);
    }
    /* Decimal: int [ "." digits ] [ ("e"|"E") [sign] digits ], no leading zeros. */
    const char *q = toml_digits(b, e, 10);
    int is_float = 0, ok = q != NULL && !(b[0] == '0' && q - b > 1);
    if (ok && q < e && *q == '.') {
        is_float = 1;
        q = toml_digits(q + 1, e, 10);
        ok = q != NULL;
    }
    if (ok && q < e && (*q == 'e' || *q == 'E')) {
        is_float = 1;
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        q = toml_digits(q, e, 10);
        ok = q != NULL;
    }
    if (!ok || q != e || (size_t)(e - s) >= sizeof buf - 1) {
        toml_fail(tp, s, "invalid number \"%.*s\"", (int)(e - s), s);
        return NULL;
    }
    toml_strip_underscores(s, e, buf, sizeof buf);
    errno = 0;
    if (is_float) {
        double d = strtod(buf, NULL);
        if (errno == ERANGE && (d > 1 || d < -1)) {
            toml_fail(tp, s, "float \"%.*s\" out of range", (int)(e - s), s);
            return NULL;
        }
        return json_real(d);
    }
    long long v = strtoll(buf, NULL, 10);
    if (errno == ERANGE) {
        toml_fail(tp, s, "integer \"%.*s\" out of range", (int)(e - s), s);
        return NULL;
    }
    return json_integer((json_int_t)v);
}

int toml_fixed(const char *p, const char *end, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p + i >= end || !toml_is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* HH:MM:SS[.frac] at tp->p. */
static int toml_time(toml_parser *tp, const char *s)
{
    const char *p = tp->p;
    int h = toml_fixed(p, tp->end, 2), m = toml_fixed(p + 3, tp->end, 2), sec = toml_fixed(p + 6, tp->end, 2);
    if (h < 0 || m < 0 || sec < 0 || p[2] != ':' || p[5] != ':' || h > 23 || m > 59 || sec > 60) {
        const char *e = tp->end - p < 8 ? tp->end : p + 8;
        return toml_fail(tp, s, "invalid time in \"%.*s\"", (int)(e - s), s);
    }
    p += 8;
    if (p < tp->end && *p == '.') {
        const char *f = ++p;
        while (p < tp->end && toml_is_digit(*p))
            p++;
        if (p == f)
            return toml_fail(tp, s, "invalid fractional seconds in \"%.*s\"", (int)(p - s), s);
    }
    tp->p = p;
    return 0;
}

json_t *toml_datetime(toml_parser *tp)
{
    const char *s = tp->p, *p = tp->p;
    if (toml_fixed(p, tp->end, 2) >= 0 && p + 2 < tp->end && p[2] == ':') {
        if (toml_time(tp, s) != 0)
            return NULL;
        return json_stringn(s, (size_t)(tp->p - s));
    }
    int y = toml_fixed(p, tp->end, 4), mo = toml_fixed(p + 5, tp->end, 2), d = toml_fixed(p + 8, tp->end, 2);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || p[4] != '-' || p[7] != '-' || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap)) {
        toml_fail(tp, s, "invalid date \"%.*s\"", (int)(tp->end - s < 10 ? tp->end - s : 10), s);
        return NULL;
    }
    tp->p = p + 10;
    p = tp->p;
    if (p < tp->end && (*p == 'T' || *p == 't' || (*p == ' ' && toml_fixed(p + 1, tp->end, 2) >= 0))) {
        tp->p++;
        if (toml_time(tp, s) != 0)
            return NULL;
        p = tp->p;
        if (p < tp->end && (*p == 'Z' || *p == 'z')) {
            tp->p++;
        } else if (p < tp->end && (*p == '+' || *p == '-')) {
            int oh = toml_fixed(p + 1, tp->end, 2), om = toml_fixed(p + 4, tp->end, 2);
            if (oh < 0 || om < 0 || p[3] != ':' || oh > 23 || om > 59) {
                toml_fail(tp, s, "invalid time offset in \"%.*s\"", (int)(p - s + 1), s);
                return NULL;
            }
            tp->p = p + 6;
        }
    }
    return json_stringn(s, (size_t)(tp->p - s));
}
