/* core/shared/toml.c — a TOML 1.0 reader (toml.h): one pass over the text
 * building the jansson tree directly (numbers and date-times: toml_scalar.c). TOML's rules about which tables may be
 * reopened are kept in a side map from each table or array to flags saying
 * how it came to exist (a [header], a header's intermediate, dotted keys, an
 * inline value), so that the tree itself holds only the document's data. */
#include "shared/toml.h"
#include "shared/fsutil.h"
#include "shared/strbuf.h"
#include "toml_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TOML_T_EXPLICIT = 1, /* defined by its own [header] or [[header]] */
    TOML_T_IMPLICIT = 2, /* created as a header's intermediate: one [header] may still define it */
    TOML_T_DOTTED = 4,   /* created by a dotted key: more dotted keys may add to it */
    TOML_T_FROZEN = 8,   /* an inline table or an array value: complete as written */
    TOML_T_AOT = 16,     /* an array of tables, extended by [[header]] */
};

typedef struct toml_key {
    char **parts;
    size_t n, cap;
} toml_key;

static json_t *toml_parse_value(toml_parser *tp);
static int toml_at_newline(const toml_parser *tp);

/* Records the first error, with the line of `at`; always returns -1. */
int toml_fail(toml_parser *tp, const char *at, const char *fmt, ...)
{
    if (tp->failed)
        return -1;
    tp->failed = 1;
    int line = 1;
    for (const char *q = tp->start; q < at && q < tp->end; q++)
        line += *q == '\n';
    if (tp->err == NULL || tp->errcap == 0)
        return -1;
    int n = snprintf(tp->err, tp->errcap, "%s:%d: ", tp->name, line);
    if (n >= 0 && (size_t)n < tp->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tp->err + n, tp->errcap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A byte for a message: 'c' when printable, else its code. */
static const char *toml_describe(const toml_parser *tp, char *buf, size_t cap)
{
    if (tp->p >= tp->end)
        snprintf(buf, cap, "end of file");
    else if (toml_at_newline(tp))
        snprintf(buf, cap, "end of line");
    else if ((unsigned char)*tp->p >= 0x20 && (unsigned char)*tp->p < 0x7f)
        snprintf(buf, cap, "'%c'", *tp->p);
    else
        snprintf(buf, cap, "byte 0x%02x", (unsigned char)*tp->p);
    return buf;
}

static int toml_unexpected(toml_parser *tp, const char *wanted)
{
    char what[32];
    return toml_fail(tp, tp->p, "expected %s, found %s", wanted, toml_describe(tp, what, sizeof what));
}

static int toml_flags(toml_parser *tp, const json_t *v)
{
    char k[32];
    snprintf(k, sizeof k, "%p", (const void *)v);
    return (int)json_integer_value(json_object_get(tp->meta, k));
}

static int toml_set_flags(toml_parser *tp, const json_t *v, int flags)
{
    char k[32];
    snprintf(k, sizeof k, "%p", (const void *)v);
    if (json_object_set_new(tp->meta, k, json_integer(flags)) != 0)
        return toml_fail(tp, tp->p, "out of memory");
    return 0;
}

/* ---- lexical helpers ------------------------------------------------------ */

static int toml_is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void toml_skip_ws(toml_parser *tp)
{
    while (tp->p < tp->end && (*tp->p == ' ' || *tp->p == '\t'))
        tp->p++;
}

static int toml_at_newline(const toml_parser *tp)
{
    return tp->p < tp->end && (*tp->p == '\n' || (*tp->p == '\r' && tp->p + 1 < tp->end && tp->p[1] == '\n'));
}

static void toml_eat_newline(toml_parser *tp)
{
    tp->p += *tp->p == '\r' ? 2 : 1;
}

/* A comment up to (not including) the end of its line. */
static int toml_skip_comment(toml_parser *tp)
{
    if (tp->p >= tp->end || *tp->p != '#')
        return 0;
    while (tp->p < tp->end && !toml_at_newline(tp)) {
        if (toml_is_control((unsigned char)*tp->p))
            return toml_fail(tp, tp->p, "control character 0x%02x in a comment", (unsigned char)*tp->p);
        tp->p++;
    }
    return 0;
}

/* Whitespace, newlines and comments, as allowed between array elements. */
static int toml_skip_blank(toml_parser *tp)
{
    for (;;) {
        toml_skip_ws(tp);
        if (toml_skip_comment(tp) != 0)
            return -1;
        if (!toml_at_newline(tp))
            return 0;
        toml_eat_newline(tp);
    }
}

/* After a statement: optional whitespace and comment, then a newline or EOF. */
static int toml_expect_eol(toml_parser *tp)
{
    toml_skip_ws(tp);
    if (toml_skip_comment(tp) != 0)
        return -1;
    if (tp->p >= tp->end)
        return 0;
    if (!toml_at_newline(tp))
        return toml_unexpected(tp, "the end of the line");
    toml_eat_newline(tp);
    return 0;
}

/* ---- strings -------------------------------------------------------------- */

/* \uXXXX or \UXXXXXXXX, tp->p at the 'u'/'U'. */
static int toml_unicode_escape(toml_parser *tp, strbuf *sb)
{
    const char *at = tp->p - 1;
    int digits = *tp->p == 'u' ? 4 : 8;
    tp->p++;
    uint32_t cp = 0;
    for (int i = 0; i < digits; i++, tp->p++) {
        char c = tp->p < tp->end ? *tp->p : '\0';
        int v = toml_is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (v < 0)
            return toml_fail(tp, at, "\\%c escape needs %d hex digits", digits == 4 ? 'u' : 'U', digits);
        cp = cp * 16 + (uint32_t)v;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return toml_fail(tp, at, "\\%c%0*X is not a Unicode scalar value", digits == 4 ? 'u' : 'U', digits, cp);
    return strbuf_put_rune(sb, cp);
}

/* One escape of a basic string, tp->p at the backslash. */
static int toml_escape(toml_parser *tp, strbuf *sb, int multi)
{
    const char *at = tp->p++;
    char c = tp->p < tp->end ? *tp->p : '\0';
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    const char *hit = c != '\0' ? strchr(from, c) : NULL;
    if (hit != NULL) {
        tp->p++;
        return strbuf_append(sb, &to[hit - from], 1);
    }
    if (c == 'u' || c == 'U')
        return toml_unicode_escape(tp, sb);
    if (multi) {
        /* A line-ending backslash drops the newline and the blanks after it. */
        toml_skip_ws(tp);
        if (toml_at_newline(tp)) {
            while (tp->p < tp->end && (*tp->p == ' ' || *tp->p == '\t' || toml_at_newline(tp)))
                tp->p += *tp->p == '\r' ? 2 : 1;
            return 0;
        }
    }
    return toml_fail(tp, at, "invalid escape sequence in a string");
}

/* A string of any of the four kinds, tp->p at its first quote. */
static int toml_string(toml_parser *tp, strbuf *sb)
{
    const char *open = tp->p;
    char q = *tp->p;
    int multi = tp->end - tp->p >= 3 && tp->p[1] == q && tp->p[2] == q;
    tp->p += multi ? 3 : 1;
    if (multi && toml_at_newline(tp))
        toml_eat_newline(tp); /* a newline right after the delimiter is not content */
    for (;;) {
        if (tp->p >= tp->end)
            return toml_fail(tp, open, "unterminated string");
        char c = *tp->p;
        if (c == q) {
            if (!multi) {
                tp->p++;
                return 0;
            }
            size_t run = 0;
            while (tp->p + run < tp->end && tp->p[run] == q)
                run++;
            if (run >= 3) {
                if (run > 5)
                    return toml_fail(tp, tp->p, "too many quotes closing a multi-line string");
                strbuf_append(sb, tp->p, run - 3); /* up to two quotes belong to the content */
                tp->p += run;
                return 0;
            }
            strbuf_append(sb, tp->p, run);
            tp->p += run;
        } else if (c == '\\' && q == '"') {
            if (toml_escape(tp, sb, multi) != 0)
                return -1;
        } else if (toml_at_newline(tp)) {
            if (!multi)
                return toml_fail(tp, tp->p, "strings cannot contain newlines");
            size_t n = *tp->p == '\r' ? 2 : 1;
            strbuf_append(sb, tp->p, n);
            tp->p += n;
        } else if (toml_is_control((unsigned char)c)) {
            return toml_fail(tp, tp->p, "control character 0x%02x in a string", (unsigned char)c);
        } else {
            strbuf_append(sb, tp->p++, 1);
        }
    }
}

static json_t *toml_string_value(toml_parser *tp)
{
    strbuf sb = STRBUF_INIT;
    json_t *v = NULL;
    if (toml_string(tp, &sb) == 0 && !sb.failed)
        v = json_stringn(sb.len ? sb.data : "", sb.len);
    if (v == NULL)
        toml_fail(tp, tp->p, "out of memory");
    strbuf_release(&sb);
    return v;
}

/* ---- keys ----------------------------------------------------------------- */

static void toml_key_free(toml_key *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->parts[i]);
    free(k->parts);
    memset(k, 0, sizeof *k);
}

static int toml_simple_key(toml_parser *tp, toml_key *k)
{
    const char *at = tp->p;
    strbuf sb = STRBUF_INIT;
    if (tp->p < tp->end && (*tp->p == '"' || *tp->p == '\'')) {
        if (tp->end - tp->p >= 3 && tp->p[1] == *tp->p && tp->p[2] == *tp->p) {
            strbuf_release(&sb);
            return toml_fail(tp, at, "a key cannot be a multi-line string");
        }
        if (toml_string(tp, &sb) != 0) {
            strbuf_release(&sb);
            return -1;
        }
    } else {
        while (tp->p < tp->end && toml_is_bare(*tp->p))
            tp->p++;
        if (tp->p == at)
            return toml_unexpected(tp, "a key");
        strbuf_append(&sb, at, (size_t)(tp->p - at));
    }
    /* "" is a valid key (quoted); detach gives it storage. */
    if (sb.failed || (sb.len > 0 && memchr(sb.data, '\0', sb.len) != NULL)) {
        strbuf_release(&sb);
        return toml_fail(tp, at, sb.failed ? "out of memory" : "keys containing NUL are not supported");
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        char **parts = realloc(k->parts, cap * sizeof *parts);
        if (parts == NULL) {
            strbuf_release(&sb);
            return toml_fail(tp, at, "out of memory");
        }
        k->parts = parts;
        k->cap = cap;
    }
    if ((k->parts[k->n] = strbuf_detach(&sb, NULL)) == NULL)
        return toml_fail(tp, at, "out of memory");
    k->n++;
    return 0;
}

/* key ("." key)*, whitespace allowed around the dots. */
static int toml_dotted_key(toml_parser *tp, toml_key *k)
{
    if (toml_simple_key(tp, k) != 0)
        return -1;
    for (;;) {
        const char *save = tp->p;
        toml_skip_ws(tp);
        if (tp->p >= tp->end || *tp->p != '.') {
            tp->p = save;
            return 0;
        }
        tp->p++;
        toml_skip_ws(tp);
        if (toml_simple_key(tp, k) != 0)
            return -1;
    }
}

/* The key's first n parts joined by dots, for messages. */
static const char *toml_key_name(const toml_key *k, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "." : "", k->parts[i]);
    return buf;
}

/* ---- tables, arrays and assignment ---------------------------------------- */

/* Sets key k (relative to tbl) to v (stolen), creating dotted tables. */
static int toml_assign(toml_parser *tp, json_t *tbl, const toml_key *k, json_t *v, const char *at)
{
    char name[256];
    for (size_t i = 0; i + 1 < k->n; i++) {
        json_t *child = json_object_get(tbl, k->parts[i]);
        if (child == NULL) {
            child = json_object();
            if (child == NULL || json_object_set_new(tbl, k->parts[i], child) != 0 ||
                toml_set_flags(tp, child, TOML_T_DOTTED) != 0) {
                json_decref(v);
                return toml_fail(tp, at, "out of memory");
            }
        } else if (!json_is_object(child) || (toml_flags(tp, child) & (TOML_T_DOTTED | TOML_T_FROZEN)) != TOML_T_DOTTED) {
            json_decref(v);
            return toml_fail(tp, at, "cannot add to \"%s\" with a dotted key: it is already defined",
                             toml_key_name(k, i + 1, name, sizeof name));
        }
        tbl = child;
    }
    if (json_object_get(tbl, k->parts[k->n - 1]) != NULL) {
        json_decref(v);
        return toml_fail(tp, at, "duplicate key \"%s\"", toml_key_name(k, k->n, name, sizeof name));
    }
    if (json_object_set_new(tbl, k->parts[k->n - 1], v) != 0)
        return toml_fail(tp, at, "out of memory");
    return 0;
}

/* A new array or inline table value, flagged complete as written; NULL
 * after an allocation failure. */
static json_t *toml_new_frozen(toml_parser *tp, json_t *v)
{
    if (v == NULL || toml_set_flags(tp, v, TOML_T_FROZEN) != 0) {
        json_decref(v);
        return NULL;
    }
    tp->p++; /* the opening bracket */
    return v;
}

static json_t *toml_array(toml_parser *tp)
{
    json_t *arr = toml_new_frozen(tp, json_array());
    if (arr == NULL)
        return NULL;
    for (;;) {
        if (toml_skip_blank(tp) != 0)
            break;
        if (tp->p < tp->end && *tp->p == ']') {
            tp->p++;
            return arr;
        }
        json_t *v = toml_parse_value(tp);
        if (v == NULL || json_array_append_new(arr, v) != 0 || toml_skip_blank(tp) != 0)
            break;
        if (tp->p < tp->end && *tp->p == ',') {
            tp->p++;
        } else if (tp->p >= tp->end || *tp->p != ']') {
            toml_unexpected(tp, "',' or ']' in an array");
            break;
        }
    }
    json_decref(arr);
    return NULL;
}

/* { key = value, ... } on one line, no trailing comma (TOML 1.0). */
static json_t *toml_inline_table(toml_parser *tp)
{
    json_t *tbl = toml_new_frozen(tp, json_object());
    if (tbl == NULL)
        return NULL;
    toml_skip_ws(tp);
    if (tp->p < tp->end && *tp->p == '}') {
        tp->p++;
        return tbl;
    }
    for (;;) {
        toml_key k = {0};
        toml_skip_ws(tp);
        const char *at = tp->p;
        int rc = toml_dotted_key(tp, &k);
        if (rc == 0) {
            toml_skip_ws(tp);
            if (tp->p >= tp->end || *tp->p != '=')
                rc = toml_unexpected(tp, "'=' after a key");
        }
        json_t *v = NULL;
        if (rc == 0) {
            tp->p++;
            toml_skip_ws(tp);
            v = toml_parse_value(tp);
            rc = v == NULL ? -1 : toml_assign(tp, tbl, &k, v, at);
        }
        toml_key_free(&k);
        if (rc != 0)
            break;
        toml_skip_ws(tp);
        if (tp->p < tp->end && *tp->p == ',') {
            tp->p++;
            continue;
        }
        if (tp->p < tp->end && *tp->p == '}') {
            tp->p++;
            return tbl;
        }
        toml_unexpected(tp, "',' or '}' in an inline table");
        break;
    }
    json_decref(tbl);
    return NULL;
}

static json_t *toml_parse_value(toml_parser *tp)
{
    if (tp->p >= tp->end) {
        toml_unexpected(tp, "a value");
        return NULL;
    }
    const char *p = tp->p;
    size_t left = (size_t)(tp->end - p);
    json_t *v = NULL;
    switch (*p) {
    case '"':
    case '\'':
        return toml_string_value(tp);
    case '[':
        return toml_array(tp);
    case '{':
        return toml_inline_table(tp);
    case 't':
    case 'f': {
        size_t n = *p == 't' ? 4 : 5;
        if (left >= n && memcmp(p, *p == 't' ? "true" : "false", n) == 0 &&
            (left == n || !toml_is_bare(p[n]))) {
            tp->p += n;
            return json_boolean(*p == 't');
        }
        break;
    }
    default:
        if (toml_fixed(p, tp->end, 4) >= 0 && left > 4 && p[4] == '-')
            return toml_datetime(tp);
        if (toml_fixed(p, tp->end, 2) >= 0 && left > 2 && p[2] == ':')
            return toml_datetime(tp);
        if (toml_is_digit(*p) || *p == '+' || *p == '-' || *p == 'i' || *p == 'n') {
            v = toml_number(tp);
            if (v == NULL && !tp->failed)
                toml_fail(tp, p, "out of memory");
            return v;
        }
        break;
    }
    toml_unexpected(tp, "a value");
    return NULL;
}

/* [a.b.c] or [[a.b.c]]; returns the table that following keys go into. */
static json_t *toml_header(toml_parser *tp)
{
    const char *at = tp->p;
    int aot = tp->end - tp->p >= 2 && tp->p[1] == '[';
    tp->p += aot ? 2 : 1;
    toml_skip_ws(tp);
    toml_key k = {0};
    json_t *tbl = NULL;
    char name[256];
    if (toml_dotted_key(tp, &k) != 0)
        goto out;
    toml_skip_ws(tp);
    if (tp->p >= tp->end || *tp->p != ']' || (aot && (tp->end - tp->p < 2 || tp->p[1] != ']'))) {
        toml_unexpected(tp, aot ? "']]' closing a table array header" : "']' closing a table header");
        goto out;
    }
    tp->p += aot ? 2 : 1;
    if (toml_expect_eol(tp) != 0)
        goto out;
    json_t *cur = tp->root;
    for (size_t i = 0; i + 1 < k.n; i++) {
        json_t *child = json_object_get(cur, k.parts[i]);
        if (child == NULL) {
            child = json_object();
            if (child == NULL || json_object_set_new(cur, k.parts[i], child) != 0 ||
                toml_set_flags(tp, child, TOML_T_IMPLICIT) != 0) {
                toml_fail(tp, at, "out of memory");
                goto out;
            }
        } else if (json_is_array(child) && (toml_flags(tp, child) & TOML_T_AOT)) {
            child = json_array_get(child, json_array_size(child) - 1);
        } else if (!json_is_object(child) || (toml_flags(tp, child) & TOML_T_FROZEN)) {
            toml_fail(tp, at, "\"%s\" is already defined as a value, not a table",
                      toml_key_name(&k, i + 1, name, sizeof name));
            goto out;
        }
        cur = child;
    }
    const char *last = k.parts[k.n - 1];
    json_t *child = json_object_get(cur, last);
    toml_key_name(&k, k.n, name, sizeof name);
    if (aot) {
        if (child == NULL) {
            child = json_array();
            if (child == NULL || json_object_set_new(cur, last, child) != 0 || toml_set_flags(tp, child, TOML_T_AOT) != 0) {
                toml_fail(tp, at, "out of memory");
                goto out;
            }
        } else if (!json_is_array(child) || !(toml_flags(tp, child) & TOML_T_AOT)) {
            toml_fail(tp, at, "cannot define [[%s]]: \"%s\" is already defined", name, name);
            goto out;
        }
        json_t *elem = json_object();
        if (elem == NULL || json_array_append_new(child, elem) != 0 || toml_set_flags(tp, elem, TOML_T_EXPLICIT) != 0) {
            toml_fail(tp, at, "out of memory");
            goto out;
        }
        tbl = elem;
    } else if (child == NULL) {
        child = json_object();
        if (child == NULL || json_object_set_new(cur, last, child) != 0 || toml_set_flags(tp, child, TOML_T_EXPLICIT) != 0) {
            toml_fail(tp, at, "out of memory");
            goto out;
        }
        tbl = child;
    } else if (json_is_object(child) && toml_flags(tp, child) == TOML_T_IMPLICIT) {
        if (toml_set_flags(tp, child, TOML_T_EXPLICIT) == 0)
            tbl = child;
    } else {
        toml_fail(tp, at, "table \"%s\" is already defined", name);
    }
out:
    toml_key_free(&k);
    return tbl;
}

/* key = value, into the current table. */
static int toml_keyval(toml_parser *tp, json_t *cur)
{
    const char *at = tp->p;
    toml_key k = {0};
    int rc = toml_dotted_key(tp, &k);
    if (rc == 0) {
        toml_skip_ws(tp);
        if (tp->p >= tp->end || *tp->p != '=')
            rc = toml_unexpected(tp, "'=' after a key");
    }
    if (rc == 0) {
        tp->p++;
        toml_skip_ws(tp);
        json_t *v = toml_parse_value(tp);
        rc = v == NULL ? -1 : toml_assign(tp, cur, &k, v, at);
    }
    toml_key_free(&k);
    return rc == 0 ? toml_expect_eol(tp) : -1;
}

/* The text must be UTF-8 (jansson strings are); returns 0 or fails. */
static int toml_check_utf8(toml_parser *tp)
{
    const unsigned char *s = (const unsigned char *)tp->start, *e = (const unsigned char *)tp->end;
    while (s < e) {
        unsigned c = *s;
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        uint32_t cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
        int ok = n != 0 && (size_t)(e - s) >= n;
        for (size_t i = 1; ok && i < n; i++) {
            ok = (s[i] & 0xc0) == 0x80;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* No overlong forms, surrogates or values past U+10FFFF. */
        if (ok && n > 1)
            ok = !((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
                   (cp >= 0xd800 && cp <= 0xdfff));
        if (!ok)
            return toml_fail(tp, (const char *)s, "invalid UTF-8");
        s += n;
    }
    return 0;
}

json_t *toml_parse_string(const char *text, size_t len, const char *name, char *err, size_t errcap)
{
    toml_parser tp = {.start = text, .p = text, .end = text + len, .name = name ? name : "<string>", .err = err,
                      .errcap = errcap};
    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        tp.p += 3;
    json_t *root = tp.root = json_object();
    tp.meta = json_object();
    if (root == NULL || tp.meta == NULL) {
        toml_fail(&tp, tp.p, "out of memory");
        goto fail;
    }
    if (toml_check_utf8(&tp) != 0)
        goto fail;
    json_t *cur = root;
    while (tp.p < tp.end) {
        toml_skip_ws(&tp);
        if (tp.p >= tp.end)
            break;
        if (*tp.p == '#' || toml_at_newline(&tp)) {
            if (toml_expect_eol(&tp) != 0)
                goto fail;
        } else if (*tp.p == '[') {
            if ((cur = toml_header(&tp)) == NULL)
                goto fail;
        } else if (toml_keyval(&tp, cur) != 0) {
            goto fail;
        }
    }
    json_decref(tp.meta);
    return root;
fail:
    if (!tp.failed)
        toml_fail(&tp, tp.p, "out of memory");
    json_decref(tp.meta);
    json_decref(root);
    return NULL;
}

json_t *toml_parse_file(const char *path, char *err, size_t errcap)
{
    strbuf sb = STRBUF_INIT;
    if (fs_read_file(path, &sb) != 0) {
        int e = errno;
        snprintf(err, errcap, "%s: %s", path, e == ENOMEM ? "out of memory" : strerror(e));
        strbuf_release(&sb);
        errno = e;
        return NULL;
    }
    json_t *root = toml_parse_string(sb.len ? sb.data : "", sb.len, path, err, errcap);
    strbuf_release(&sb);
    errno = 0;
    return root;
}
