/* core/sync/sync_regex.c — checks a tag pattern's size before glibc's regcomp
 * builds it (see sync_regex.h). The walk follows POSIX ERE's grammar only as
 * far as sizes need: atoms, bracket expressions, groups, alternatives and
 * repetitions; anything malformed is left for regcomp to report. */
#include "sync/sync_regex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's limits (regexp/syntax): repeat counts and group nesting. */
#define SREGEX_MAX_REPEAT 1000
#define SREGEX_MAX_DEPTH 1000
/* The compiled form's estimated bytes: measured with glibc 2.36, a node of
 * the expanded tree costs about 200 bytes and each entry of an optional
 * chain's closures 8 ("(a{1000}){100}", 10^5 nodes: 22 MB; "([0-9]{1,1000}){100}",
 * 10^8 closure entries: 822 MB and 2.3 s). */
#define SREGEX_NODE_BYTES 200.0
#define SREGEX_CLOSURE_BYTES 8.0
#define SREGEX_MAX_BYTES (32.0 * 1024 * 1024)

/* Doubles: the estimates can pass 2^64 long before the walk ends. */
typedef struct sregex_size {
    double nodes;   /* nodes of the expanded tree */
    double closure; /* closure entries of optional chains */
} sregex_size;

typedef struct sregex_frame {
    sregex_size total; /* the group so far, alternatives included */
    sregex_size last;  /* the last atom, what a repetition applies to */
    int have_last;
    int last_rep;        /* 0: the last token was no repetition; 1: one; 2: one and Go's "?" */
    size_t rep_at, rep_len; /* that repetition's text */
} sregex_frame;

static double sregex_bytes(sregex_size s)
{
    return s.nodes * SREGEX_NODE_BYTES + s.closure * SREGEX_CLOSURE_BYTES;
}

/* The index just past the bracket expression starting at p[i] == '['; the
 * string's end when it is not closed (regcomp then says so). */
static size_t sregex_bracket_end(const char *p, size_t i)
{
    size_t j = i + 1;
    if (p[j] == '^')
        j++;
    if (p[j] == ']')
        j++;
    while (p[j] != '\0' && p[j] != ']') {
        if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.')) {
            char kind = p[j + 1];
            size_t k = j + 2;
            while (p[k] != '\0' && !(p[k] == kind && p[k + 1] == ']'))
                k++;
            j = p[k] != '\0' ? k + 2 : j + 1;
        } else {
            j++;
        }
    }
    return p[j] == ']' ? j + 1 : j;
}

/* A decimal count at p[*i], capped so that it cannot overflow. */
static unsigned long sregex_count(const char *p, size_t *i)
{
    unsigned long v = 0;
    while (p[*i] >= '0' && p[*i] <= '9') {
        if (v < 1000000)
            v = v * 10 + (unsigned long)(p[*i] - '0');
        (*i)++;
    }
    return v;
}

/* A repetition operator at p[i]: its length (0 when there is none, or when a
 * "{" opens no valid interval: regcomp decides what it is), with min, max
 * and whether max is bounded. */
static size_t sregex_repetition(const char *p, size_t i, unsigned long *min, unsigned long *max, int *bounded)
{
    switch (p[i]) {
    case '*': *min = 0, *max = 0, *bounded = 0; return 1;
    case '+': *min = 1, *max = 0, *bounded = 0; return 1;
    case '?': *min = 0, *max = 1, *bounded = 1; return 1;
    case '{': break;
    default: return 0;
    }
    size_t j = i + 1;
    int have_min = p[j] >= '0' && p[j] <= '9';
    *min = sregex_count(p, &j);
    if (p[j] == '}') {
        if (!have_min)
            return 0;
        *max = *min, *bounded = 1;
        return j + 1 - i;
    }
    if (p[j] != ',')
        return 0;
    j++;
    *bounded = p[j] >= '0' && p[j] <= '9';
    *max = sregex_count(p, &j);
    if (p[j] != '}' || (!have_min && !*bounded))
        return 0;
    return j + 1 - i;
}

/* X{min,max} from X: glibc copies X max times (min + 1 when unbounded, the
 * last one starred), and chains the max - min optional copies. */
static sregex_size sregex_repeat(sregex_size x, unsigned long min, unsigned long max, int bounded)
{
    sregex_size r;
    if (!bounded) {
        double copies = min > 0 ? (double)min + 1 : 1;
        r.nodes = x.nodes * copies + 1;
        r.closure = x.closure * copies;
        return r;
    }
    double copies = max > 0 ? (double)max : 1, optional = (double)(max > min ? max - min : 0);
    r.nodes = x.nodes * copies + 1;
    r.closure = x.closure * copies + optional * optional;
    return r;
}

static int sregex_check(const char *p, sregex_frame *frames, char *msg, size_t msg_len)
{
    size_t depth = 0, i = 0;
    sregex_frame *f = &frames[0];
    memset(f, 0, sizeof(*f));
    while (p[i] != '\0') {
        unsigned long min = 0, max = 0;
        int bounded = 0;
        size_t rep = sregex_repetition(p, i, &min, &max, &bounded);
        sregex_size atom = {1, 0};
        if (rep > 0 && f->have_last) {
            if (f->last_rep == 1 && p[i] == '?') {
                f->last_rep = 2; /* Go's non-greedy mark; glibc makes it X{0,1}, no larger */
                i++;
                continue;
            }
            if (f->last_rep != 0) {
                snprintf(msg, msg_len, "invalid nested repetition operator: `%.*s%.*s`", (int)f->rep_len, p + f->rep_at,
                         (int)rep, p + i);
                return -1;
            }
            if (min > SREGEX_MAX_REPEAT || (bounded && max > SREGEX_MAX_REPEAT)) {
                snprintf(msg, msg_len, "invalid repeat count: `%.*s`", (int)rep, p + i);
                return -1;
            }
            sregex_size grown = sregex_repeat(f->last, min, max, bounded);
            f->total.nodes += grown.nodes - f->last.nodes;
            f->total.closure += grown.closure - f->last.closure;
            f->last = grown;
            f->last_rep = 1, f->rep_at = i, f->rep_len = rep;
            i += rep;
        } else if (p[i] == '(') {
            if (depth == SREGEX_MAX_DEPTH) {
                snprintf(msg, msg_len, "expression nests too deeply");
                return -1;
            }
            f = &frames[++depth];
            memset(f, 0, sizeof(*f));
            i++;
            continue;
        } else if (p[i] == '|') {
            f->have_last = 0, f->last_rep = 0;
            i++;
            continue;
        } else {
            if (p[i] == ')' && depth > 0) {
                atom.nodes = f->total.nodes + 1;
                atom.closure = f->total.closure;
                f = &frames[--depth];
                i++;
            } else if (p[i] == '[') {
                i = sregex_bracket_end(p, i);
            } else {
                i += p[i] == '\\' && p[i + 1] != '\0' ? 2 : 1;
            }
            f->total.nodes += atom.nodes;
            f->total.closure += atom.closure;
            f->last = atom;
            f->have_last = 1, f->last_rep = 0;
        }
        if (sregex_bytes(f->total) > SREGEX_MAX_BYTES) {
            snprintf(msg, msg_len, "expression too large");
            return -1;
        }
    }
    return 0;
}

int sync_regex_compile(regex_t *re, const char *pattern, char *msg, size_t msg_len)
{
    sregex_frame *frames = malloc((SREGEX_MAX_DEPTH + 1) * sizeof(*frames));
    if (frames == NULL) {
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    int rc = sregex_check(pattern, frames, msg, msg_len);
    free(frames);
    if (rc < 0)
        return -1;
    int err = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (err != 0) {
        regerror(err, re, msg, msg_len);
        return -1;
    }
    return 0;
}
