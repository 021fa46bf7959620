/* core/sync/sync_semver.c — Masterminds/semver v3.4 constraints, as skopeo's
 * images-by-semver uses them. The library is built on Go regular expressions;
 * each is matched here by hand. Its grammar leaves greedy matching nothing to
 * give back (a version never ends where a separator could start), so maximal
 * munch gives the same tokens as Go's leftmost-first engine. The library's
 * quirks are kept: behaviour must match the skopeo a user moves from. */
#include "sync/sync_semver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEMVER_EQ, SEMVER_NE, SEMVER_GT, SEMVER_LT, SEMVER_GE, SEMVER_LE, SEMVER_TILDE, SEMVER_CARET };

/* One comparison. A wildcard or missing part makes it "dirty": the missing
 * parts of con are 0 and the operator treats them as a range. */
typedef struct semver_cmp {
    int op;
    int dirty, minor_dirty, patch_dirty;
    sync_semver_version con; /* pre/build point into the constraint's text */
} semver_cmp;

/* An AND group between "||". Prereleases match only in a group that names
 * one (v3.4: any comparison of the group, not just the one checked). */
typedef struct semver_group {
    size_t first, n;
    int has_pre;
} semver_group;

struct sync_semver_constraint {
    char *text; /* the constraint after hyphen ranges were rewritten */
    semver_cmp *cmps;
    size_t n_cmps;
    semver_group *groups;
    size_t n_groups;
};

typedef struct semver_span {
    size_t start, len;
} semver_span;

/* A version as the library's version regexes capture it. */
typedef struct semver_cv {
    size_t start, end;      /* the whole match, "v" included */
    semver_span seg[3];     /* major, minor, patch without dots; len 0: absent */
    semver_span pre, build; /* without '-' and '+'; len 0: absent */
} semver_cv;

/* Go's \s. */
static int semver_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int semver_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A constraint's version part: [0-9|x|X|\*] — the '|' is literal there, so
 * "1|2" reaches the version parser and fails, as it does in Go. */
static int semver_is_segc(char c)
{
    return semver_is_digit(c) || c == 'x' || c == 'X' || c == '*' || c == '|';
}

static int semver_is_identc(char c)
{
    return semver_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static int semver_is_opc(char c)
{
    return c != '\0' && strchr("=!<>~^", c) != NULL;
}

/* Dot-separated [0-9A-Za-z-]+ identifiers from i; returns the end (i: none). */
static size_t semver_idents(const char *s, size_t i, size_t end)
{
    size_t j = i;
    while (j < end && semver_is_identc(s[j]))
        j++;
    if (j == i)
        return i;
    while (j + 1 < end && s[j] == '.' && semver_is_identc(s[j + 1])) {
        j++;
        while (j < end && semver_is_identc(s[j]))
            j++;
    }
    return j;
}

/* v?SEG(.SEG)?(.SEG)?(-PRE)?(+BUILD)? at i, SEG made of segc characters. */
static int semver_match(const char *s, size_t i, size_t end, int (*segc)(char), semver_cv *cv)
{
    memset(cv, 0, sizeof(*cv));
    cv->start = i;
    if (i + 1 < end && s[i] == 'v' && segc(s[i + 1]))
        i++;
    for (int k = 0; k < 3; k++) {
        size_t j = i;
        if (k > 0) {
            if (j + 1 >= end || s[j] != '.' || !segc(s[j + 1]))
                break;
            j++;
        }
        size_t st = j;
        while (j < end && segc(s[j]))
            j++;
        if (j == st)
            return -1; /* only reachable for the major part */
        cv->seg[k] = (semver_span){st, j - st};
        i = j;
    }
    if (i + 1 < end && s[i] == '-') {
        size_t j = semver_idents(s, i + 1, end);
        if (j > i + 1) {
            cv->pre = (semver_span){i + 1, j - i - 1};
            i = j;
        }
    }
    if (i + 1 < end && s[i] == '+') {
        size_t j = semver_idents(s, i + 1, end);
        if (j > i + 1) {
            cv->build = (semver_span){i + 1, j - i - 1};
            i = j;
        }
    }
    cv->end = i;
    return 0;
}

/* strconv.ParseUint(s, 10, 64): digits only, no overflow. */
static int semver_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!semver_is_digit(s[i]))
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* validatePrerelease: no empty identifier, no numeric one with a leading 0. */
static int semver_pre_ok(const char *p, size_t len)
{
    size_t i = 0;
    while (i <= len) {
        size_t j = i, digits = 1;
        while (j < len && p[j] != '.') {
            digits &= semver_is_digit(p[j]) ? 1u : 0u;
            j++;
        }
        if (j == i || (digits && j - i > 1 && p[i] == '0'))
            return 0;
        i = j + 1;
    }
    return 1;
}

int sync_semver_version_parse(const char *text, sync_semver_version *out)
{
    semver_cv cv;
    size_t n = text ? strlen(text) : 0;
    memset(out, 0, sizeof(*out));
    if (n == 0 || semver_match(text, 0, n, semver_is_digit, &cv) < 0 || cv.end != n)
        return -1;
    uint64_t *dst[3] = {&out->major, &out->minor, &out->patch};
    for (int k = 0; k < 3; k++)
        if (cv.seg[k].len && semver_u64(text + cv.seg[k].start, cv.seg[k].len, dst[k]) < 0)
            return -1;
    if (cv.pre.len) {
        if (!semver_pre_ok(text + cv.pre.start, cv.pre.len))
            return -1;
        out->pre = text + cv.pre.start;
        out->pre_len = cv.pre.len;
    }
    if (cv.build.len) {
        out->build = text + cv.build.start;
        out->build_len = cv.build.len;
    }
    return 0;
}

static int semver_cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

/* comparePrePart: numeric identifiers numerically and below alphanumeric
 * ones, alphanumeric ones bytewise, a missing identifier lowest. */
static int semver_pre_part(const char *s, size_t sl, const char *o, size_t ol)
{
    if (sl == ol && memcmp(s, o, sl) == 0)
        return 0;
    if (sl == 0)
        return -1;
    if (ol == 0)
        return 1;
    uint64_t si = 0, oi = 0;
    int s_num = semver_u64(s, sl, &si) == 0, o_num = semver_u64(o, ol, &oi) == 0;
    if (!s_num && !o_num) {
        int d = memcmp(s, o, sl < ol ? sl : ol);
        if (d == 0)
            d = sl > ol ? 1 : -1;
        return d > 0 ? 1 : -1;
    }
    if (!o_num)
        return -1;
    if (!s_num)
        return 1;
    return si > oi ? 1 : -1;
}

/* Takes the next dot-separated identifier of *s (*len bytes left) into
 * id and idn; more drops to 0 after the last one. */
static void semver_pre_next(const char **s, size_t *len, int *more, const char **id, size_t *idn)
{
    *id = "";
    *idn = 0;
    if (!*more)
        return;
    const char *dot = memchr(*s, '.', *len);
    *id = *s;
    *idn = dot ? (size_t)(dot - *s) : *len;
    *more = dot != NULL;
    if (dot) {
        *len -= *idn + 1;
        *s = dot + 1;
    }
}

/* comparePrerelease: identifier by identifier; "" is one empty identifier. */
static int semver_pre_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int a_more = 1, b_more = 1;
    if (a == NULL)
        a = "";
    if (b == NULL)
        b = "";
    while (a_more || b_more) {
        const char *ap, *bp;
        size_t an, bn;
        semver_pre_next(&a, &al, &a_more, &ap, &an);
        semver_pre_next(&b, &bl, &b_more, &bp, &bn);
        int d = semver_pre_part(ap, an, bp, bn);
        if (d != 0)
            return d;
    }
    return 0;
}

int sync_semver_compare(const sync_semver_version *a, const sync_semver_version *b)
{
    int d = semver_cmp_u64(a->major, b->major);
    if (d == 0)
        d = semver_cmp_u64(a->minor, b->minor);
    if (d == 0)
        d = semver_cmp_u64(a->patch, b->patch);
    if (d != 0)
        return d;
    if (a->pre == NULL && b->pre == NULL)
        return 0;
    if (a->pre == NULL)
        return 1;
    if (b->pre == NULL)
        return -1;
    return semver_pre_cmp(a->pre, a->pre_len, b->pre, b->pre_len);
}

/* Copies len bytes of s into dst, control bytes and quotes escaped, so an
 * error message stays on one line. */
static void semver_quote(char *dst, size_t cap, const char *s, size_t len)
{
    size_t k = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len && k + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
            k += (size_t)snprintf(dst + k, cap - k, "\\x%02x", ch);
        else
            dst[k++] = (char)ch;
    }
    dst[k] = '\0';
}

/* One match of `\s*(cv)\s+-\s+(cv)\s*` starting at i; its end, or 0. */
static size_t semver_range_at(const char *s, size_t i, size_t n, semver_cv *a, semver_cv *b)
{
    size_t j = i, w;
    while (j < n && semver_is_ws(s[j]))
        j++;
    if (semver_match(s, j, n, semver_is_segc, a) < 0)
        return 0;
    for (j = w = a->end; j < n && semver_is_ws(s[j]); j++)
        ;
    if (j == w || j >= n || s[j] != '-')
        return 0;
    for (j = w = j + 1; j < n && semver_is_ws(s[j]); j++)
        ;
    if (j == w || semver_match(s, j, n, semver_is_segc, b) < 0)
        return 0;
    for (j = b->end; j < n && semver_is_ws(s[j]); j++)
        ;
    return j;
}

/* rewriteRange: every "A - B" becomes ">= A, <= B ", replacing the first
 * occurrence of the matched text in the string so far, as Go does. */
static char *semver_rewrite_ranges(const char *in)
{
    size_t n = strlen(in);
    char *out = strdup(in);
    for (size_t i = 0; out != NULL && i < n;) {
        semver_cv a, b;
        size_t e = semver_range_at(in, i, n, &a, &b);
        if (e == 0) {
            i++;
            continue;
        }
        char *needle = strndup(in + i, e - i);
        int al = (int)(a.end - a.start), bl = (int)(b.end - b.start);
        size_t tlen = (size_t)al + (size_t)bl + 9; /* ">= " A ", <= " B " " */
        char *t = malloc(tlen + 1);
        char *at = needle && t ? strstr(out, needle) : NULL;
        char *next = NULL;
        if (at != NULL) {
            snprintf(t, tlen + 1, ">= %.*s, <= %.*s ", al, in + a.start, bl, in + b.start);
            size_t pre = (size_t)(at - out), nl = e - i, ol = strlen(out);
            next = malloc(ol - nl + tlen + 1);
            if (next != NULL) {
                memcpy(next, out, pre);
                memcpy(next + pre, t, tlen);
                memcpy(next + pre + tlen, at + nl, ol - pre - nl + 1);
            }
        }
        free(needle);
        free(t);
        free(out);
        out = next; /* NULL: out of memory (the needle is always found) */
        i = e;
    }
    return out;
}

static int semver_op(const char *s, size_t len)
{
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"", SEMVER_EQ},  {"=", SEMVER_EQ},  {"!=", SEMVER_NE},   {">", SEMVER_GT},
               {"<", SEMVER_LT}, {">=", SEMVER_GE}, {"=>", SEMVER_GE},   {"<=", SEMVER_LE},
               {"=<", SEMVER_LE}, {"~", SEMVER_TILDE}, {"~>", SEMVER_TILDE}, {"^", SEMVER_CARET}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == len && memcmp(ops[i].name, s, len) == 0)
            return ops[i].op;
    return -1;
}

static int semver_is_x(const char *s, semver_span sp)
{
    return sp.len == 1 && (s[sp.start] == 'x' || s[sp.start] == 'X' || s[sp.start] == '*');
}

/* parseConstraint: the parts before the first wildcard or missing part must
 * be numbers; the ones after it are not looked at. */
static int semver_comparator(const char *s, const semver_cv *cv, int op, semver_cmp *out)
{
    int used = 3;
    memset(out, 0, sizeof(*out));
    out->op = op;
    for (int k = 0; k < 3 && used == 3; k++) {
        if (cv->seg[k].len == 0 || semver_is_x(s, cv->seg[k])) {
            used = k;
            out->dirty = 1;
            out->minor_dirty = k == 1;
            out->patch_dirty = k == 2;
        }
    }
    uint64_t *dst[3] = {&out->con.major, &out->con.minor, &out->con.patch};
    for (int k = 0; k < used; k++)
        if (semver_u64(s + cv->seg[k].start, cv->seg[k].len, dst[k]) < 0)
            return -1;
    if (cv->pre.len) {
        if (!semver_pre_ok(s + cv->pre.start, cv->pre.len))
            return -1;
        out->con.pre = s + cv->pre.start;
        out->con.pre_len = cv->pre.len;
    }
    return 0;
}

static int semver_add(sync_semver_constraint *c, const semver_cmp *cmp)
{
    semver_cmp *n = realloc(c->cmps, (c->n_cmps + 1) * sizeof(*n));
    if (n == NULL)
        return -1;
    c->cmps = n;
    c->cmps[c->n_cmps++] = *cmp;
    return 0;
}

/* One "||" part: comparisons separated by spaces or commas
 * (validConstraintRegex), each read as findConstraintRegex splits them. */
static int semver_group_parse(sync_semver_constraint *c, size_t start, size_t end, char *err, size_t errcap)
{
    const char *s = c->text;
    char q[256];
    size_t i = start;
    semver_group g = {c->n_cmps, 0, 0};
    while (i < end && semver_is_ws(s[i]))
        i++;
    for (;;) {
        size_t op_start = i;
        while (i < end && semver_is_opc(s[i]))
            i++;
        int op = semver_op(s + op_start, i - op_start);
        while (i < end && semver_is_ws(s[i]))
            i++;
        semver_cv cv;
        if (op < 0 || semver_match(s, i, end, semver_is_segc, &cv) < 0)
            break;
        semver_cmp cmp;
        if (semver_comparator(s, &cv, op, &cmp) < 0) {
            semver_quote(q, sizeof(q), s + cv.start, cv.end - cv.start);
            snprintf(err, errcap, "invalid version \"%s\" in constraint", q);
            return -1;
        }
        if (semver_add(c, &cmp) < 0) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        g.n++;
        g.has_pre |= cmp.con.pre != NULL;
        size_t ws = i = cv.end;
        while (i < end && semver_is_ws(s[i]))
            i++;
        if (i == end) {
            semver_group *ng = realloc(c->groups, (c->n_groups + 1) * sizeof(*ng));
            if (ng == NULL) {
                snprintf(err, errcap, "out of memory");
                return -1;
            }
            c->groups = ng;
            c->groups[c->n_groups++] = g;
            return 0;
        }
        if (s[i] == ',') {
            for (i++; i < end && semver_is_ws(s[i]); i++)
                ;
        } else if (i == ws) {
            break;
        }
    }
    semver_quote(q, sizeof(q), s + start, end - start);
    snprintf(err, errcap, "improper constraint \"%s\"", q);
    return -1;
}

int sync_semver_constraint_parse(const char *text, sync_semver_constraint **out, char *err, size_t errcap)
{
    *out = NULL;
    sync_semver_constraint *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->text = semver_rewrite_ranges(text ? text : "")) == NULL) {
        free(c);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    /* strings.Split on "||": "a||||b" has an empty, improper, middle part. */
    size_t start = 0, n = strlen(c->text);
    for (;;) {
        const char *bar = strstr(c->text + start, "||");
        size_t end = bar ? (size_t)(bar - c->text) : n;
        if (semver_group_parse(c, start, end, err, errcap) < 0) {
            sync_semver_constraint_free(c);
            return -1;
        }
        if (bar == NULL)
            break;
        start = end + 2;
    }
    *out = c;
    return 0;
}

static int semver_tilde(const sync_semver_version *v, const semver_cmp *c)
{
    if (sync_semver_compare(v, &c->con) < 0)
        return 0;
    /* ~0.0.0 (and "~*") accepts everything at or above it. */
    if (c->con.major == 0 && c->con.minor == 0 && c->con.patch == 0 && !c->minor_dirty && !c->patch_dirty)
        return 1;
    if (v->major != c->con.major)
        return 0;
    return v->minor == c->con.minor || c->minor_dirty;
}

static int semver_not_equal(const sync_semver_version *v, const semver_cmp *c)
{
    if (c->dirty) {
        if (c->con.major != v->major)
            return 1;
        if (c->con.minor != v->minor && !c->minor_dirty)
            return 1;
        else if (c->minor_dirty)
            return 0;
        else if (c->con.patch != v->patch && !c->patch_dirty)
            return 1;
        else if (c->patch_dirty) {
            if (v->pre != NULL || c->con.pre != NULL)
                return semver_pre_cmp(v->pre, v->pre_len, c->con.pre, c->con.pre_len) != 0;
            return 0;
        }
    }
    return sync_semver_compare(v, &c->con) != 0;
}

static int semver_greater(const sync_semver_version *v, const semver_cmp *c)
{
    if (c->dirty) {
        if (v->major != c->con.major)
            return v->major > c->con.major;
        if (c->minor_dirty) /* >11 wants 12 or above */
            return 0;
        if (c->patch_dirty) /* >11.1 wants 11.2 or above */
            return v->minor > c->con.minor;
    }
    return sync_semver_compare(v, &c->con) > 0;
}

static int semver_less_equal(const sync_semver_version *v, const semver_cmp *c)
{
    if (!c->dirty)
        return sync_semver_compare(v, &c->con) <= 0;
    if (v->major > c->con.major)
        return 0;
    return !(v->major == c->con.major && v->minor > c->con.minor && !c->minor_dirty);
}

static int semver_caret(const sync_semver_version *v, const semver_cmp *c)
{
    if (sync_semver_compare(v, &c->con) < 0)
        return 0;
    if (c->con.major > 0 || c->minor_dirty)
        return v->major == c->con.major;
    if (v->major > 0)
        return 0;
    if (c->con.minor > 0 || c->patch_dirty)
        return v->minor == c->con.minor;
    if (v->minor > 0)
        return 0;
    return v->patch == c->con.patch;
}

static int semver_cmp_check(const sync_semver_version *v, const semver_cmp *c, int include_pre)
{
    if (v->pre != NULL && !include_pre)
        return 0;
    switch (c->op) {
    case SEMVER_EQ:
        return c->dirty ? semver_tilde(v, c) : sync_semver_compare(v, &c->con) == 0;
    case SEMVER_NE:
        return semver_not_equal(v, c);
    case SEMVER_GT:
        return semver_greater(v, c);
    case SEMVER_LT:
        return sync_semver_compare(v, &c->con) < 0;
    case SEMVER_GE:
        return sync_semver_compare(v, &c->con) >= 0;
    case SEMVER_LE:
        return semver_less_equal(v, c);
    case SEMVER_TILDE:
        return semver_tilde(v, c);
    default:
        return semver_caret(v, c);
    }
}

int sync_semver_check(const sync_semver_constraint *c, const char *tag)
{
    sync_semver_version v;
    if (c == NULL || tag == NULL || sync_semver_version_parse(tag, &v) < 0)
        return 0;
    for (size_t g = 0; g < c->n_groups; g++) {
        const semver_group *grp = &c->groups[g];
        size_t k = 0;
        while (k < grp->n && semver_cmp_check(&v, &c->cmps[grp->first + k], grp->has_pre))
            k++;
        if (k == grp->n)
            return 1;
    }
    return 0;
}

void sync_semver_constraint_free(sync_semver_constraint *c)
{
    if (c == NULL)
        return;
    free(c->text);
    free(c->cmps);
    free(c->groups);
    free(c);
}
