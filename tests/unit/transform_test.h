/* tests/unit/transform_test.h — driving a decompressing transform
 * (copy/compress.h) the way the blob pipeline does, for the unit tests of
 * the gzip and zstd transforms: input fed in parts, output taken in
 * windows, and the refusal checks. */
#ifndef FERRY_TESTS_UNIT_TRANSFORM_TEST_H
#define FERRY_TESTS_UNIT_TRANSFORM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "copy/compress.h"
#include "tap.h"

/* Runs `t` (freed here) over in, feeding in_chunk bytes at a time into
 * out_chunk-byte output windows. Returns 0 and the output, or -1 and the
 * message in err. */
static inline int transform_drive(transform *t, const bytes *in, size_t in_chunk, size_t out_chunk, bytes *out, char *err,
                           size_t errcap)
{
    uint8_t *window = malloc(out_chunk);
    if (t == NULL || window == NULL)
        abort();
    size_t pos = 0;
    int rc = 0, done = 0;
    /* Bounded: every round consumes or produces something, or ends. */
    for (size_t rounds = 0; !done && rc == 0; rounds++) {
        if (rounds > 100000000) {
            snprintf(err, errcap, "no progress");
            rc = -1;
            break;
        }
        size_t n = in->len - pos < in_chunk ? in->len - pos : in_chunk;
        int finish = pos + n == in->len;
        size_t used = 0, made = 0;
        rc = transform_run(t, in->data ? in->data + pos : (const uint8_t *)"", n, &used, window, out_chunk, &made,
                           finish, &done, err, errcap);
        pos += used;
        bytes_add(out, window, made);
        if (rc == 0 && !done && used == 0 && made == 0 && finish) {
            snprintf(err, errcap, "stalled at the end of input");
            rc = -1;
        }
    }
    free(window);
    transform_free(t);
    return rc;
}

/* transform_drive over a new transform of `kind`. */
static inline int transform_all(transform_kind kind, const bytes *in, size_t in_chunk, size_t out_chunk, bytes *out,
                         char *err, size_t errcap)
{
    return transform_drive(transform_new(kind, NULL), in, in_chunk, out_chunk, out, err, errcap);
}

static inline int bytes_same(const bytes *a, const bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Expects in to be refused by `kind`, with a message containing want. */
static inline void transform_refused(transform_kind kind, const bytes *in, const char *want, const char *name)
{
    bytes out = {0};
    char err[256] = "";
    int rc = transform_all(kind, in, 65536, 65536, &out, err, sizeof(err));
    tap_ok(rc == -1 && strstr(err, want) != NULL, "%s", name);
    if (rc != -1 || strstr(err, want) == NULL)
        tap_diag("rc %d, message \"%s\", wanted \"%s\"", rc, err, want);
    free(out.data);
}

#endif
