/* tests/unit/test-streams.c — classifying a layer by its first bytes: the
 * compression magic numbers (compress_detect) and the prefix reader
 * (stream_peek) that takes the first bytes and replays them, so that the
 * verifying pipeline still sees, hashes and counts every byte. Covers short
 * and empty streams, sources that return a byte at a time, read errors and
 * sources that stall (run under valgrind or ASan to see leaks). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ferry/transport.h>

#include "copy/compress.h"
#include "copy/streams.h"
#include "image/digest.h"
#include "plugin/context.h"
#include "tap.h"

/* A source serving `data` `chunk` bytes per read; fails with `fail_status`
 * once `fail_at` bytes were served (fail_at < 0: never); `stall` returns 0
 * bytes without eos. Counts closes. */
typedef struct test_reader {
    ferry_reader base;
    const uint8_t *data;
    size_t len, pos, chunk;
    long fail_at;
    int fail_status;
    int stall;
    int *closed;
} test_reader;

static int test_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    test_reader *t = (test_reader *)r;
    *nread = 0;
    *eos = 0;
    if (t->fail_at >= 0 && t->pos >= (size_t)t->fail_at)
        return ctx_fail(ctx, t->fail_status, "test source: read failed");
    if (t->stall)
        return FERRY_OK;
    size_t n = t->len - t->pos;
    n = n < len ? n : len;
    n = n < t->chunk ? n : t->chunk;
    memcpy(buf, t->data + t->pos, n);
    t->pos += n;
    *nread = n;
    *eos = t->pos == t->len;
    return FERRY_OK;
}

static void test_close(ferry_reader *r)
{
    test_reader *t = (test_reader *)r;
    (*t->closed)++;
    free(t);
}

static int64_t test_size(ferry_reader *r)
{
    return (int64_t)((test_reader *)r)->len;
}

static const ferry_reader_ops test_ops = {
    .struct_size = sizeof(ferry_reader_ops), .read = test_read, .close = test_close, .size = test_size};

static ferry_reader *test_source(const uint8_t *data, size_t len, size_t chunk, int *closed)
{
    test_reader *t = calloc(1, sizeof(*t));
    if (t == NULL)
        abort();
    t->base.ops = &test_ops;
    t->data = data;
    t->len = len;
    t->chunk = chunk;
    t->fail_at = -1;
    t->closed = closed;
    return &t->base;
}

/* Reads r to its end `bufsize` bytes at a time into out (cap bytes). Returns
 * the status; *got the count. */
static int drain(ferry_reader *r, ferry_ctx *ctx, size_t bufsize, uint8_t *out, size_t cap, size_t *got)
{
    uint8_t buf[64];
    *got = 0;
    for (int eos = 0, guard = 0; !eos; guard++) {
        size_t n = 0;
        int rc = ferry_reader_read(r, ctx, buf, bufsize < sizeof(buf) ? bufsize : sizeof(buf), &n, &eos);
        if (rc != FERRY_OK)
            return rc;
        if ((n == 0 && !eos) || *got + n > cap || guard > 100000)
            return FERRY_ERR_FAILED;
        memcpy(out + *got, buf, n);
        *got += n;
    }
    return FERRY_OK;
}

int main(void)
{
    tap_plan(23);
    ferry_session session = {0};
    ferry_ctx ctx;
    ctx_init(&ctx, &session, NULL);

    /* ---- magic numbers */
    static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00};
    static const uint8_t bz[] = {'B', 'Z', 'h', '9', '1', 'A'};
    static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    static const uint8_t zs[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58};
    static const uint8_t tar[] = {'e', 't', 'c', '/', 0, 0};
    tap_is_str(compress_detect(gz, sizeof(gz)), "gzip", "gzip magic");
    tap_is_str(compress_detect(bz, sizeof(bz)), "bzip2", "bzip2 magic");
    tap_is_str(compress_detect(xz, sizeof(xz)), "xz", "xz magic");
    tap_is_str(compress_detect(zs, sizeof(zs)), "zstd", "zstd magic");
    tap_ok(compress_detect(tar, sizeof(tar)) == NULL, "a tar header is uncompressed");
    tap_ok(compress_detect(gz, 2) == NULL && compress_detect(xz, 5) == NULL && compress_detect(gz, 0) == NULL,
           "too short for a magic number: uncompressed");

    /* ---- peek and replay */
    uint8_t data[100], out[128], head[COMPRESS_DETECT_BYTES];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    memcpy(data, gz, sizeof(gz));
    static const size_t chunks[] = {1, 4, 7, 64};
    int all_ok = 1, closed = 0;
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        for (size_t src_chunk = 1; src_chunk <= 100; src_chunk *= 10) {
            ferry_reader *r = NULL;
            size_t got = 0, n = 0;
            int rc = stream_peek(test_source(data, sizeof(data), src_chunk, &closed), &ctx, "blob t", head,
                                 sizeof(head), &got, &r);
            all_ok &= rc == FERRY_OK && got == sizeof(head) && memcmp(head, data, got) == 0 &&
                      ferry_reader_size(r) == (int64_t)sizeof(data);
            all_ok &= rc == FERRY_OK && drain(r, &ctx, chunks[c], out, sizeof(out), &n) == FERRY_OK &&
                      n == sizeof(data) && memcmp(out, data, n) == 0;
            ferry_reader_close(r);
        }
    }
    tap_ok(all_ok, "the peeked bytes, then the whole stream again, whatever the chunk sizes");
    tap_is_int(closed, 12, "every source closed exactly once, by the prefix reader");

    {
        ferry_reader *r = NULL;
        size_t got = 0, n = 0;
        closed = 0;
        int rc = stream_peek(test_source(data, 3, 1, &closed), &ctx, "blob t", head, sizeof(head), &got, &r);
        tap_ok(rc == FERRY_OK && got == 3 && memcmp(head, data, 3) == 0, "a 3-byte stream: 3 bytes peeked");
        size_t m = 0;
        int eos = 0;
        rc = ferry_reader_read(r, &ctx, out, sizeof(out), &m, &eos);
        tap_ok(rc == FERRY_OK && m == 3 && eos && memcmp(out, data, 3) == 0,
               "... replayed with end of stream, without reading the finished source again");
        rc = ferry_reader_read(r, &ctx, out, sizeof(out), &n, &eos);
        tap_ok(rc == FERRY_OK && n == 0 && eos, "... and end of stream stays");
        ferry_reader_close(r);
    }
    {
        ferry_reader *r = NULL;
        size_t got = 99, n = 99;
        int rc = stream_peek(test_source(data, 0, 1, &closed), &ctx, "blob t", head, sizeof(head), &got, &r);
        tap_ok(rc == FERRY_OK && got == 0 && drain(r, &ctx, 8, out, sizeof(out), &n) == FERRY_OK && n == 0,
               "an empty stream: nothing peeked, nothing replayed");
        ferry_reader_close(r);
        tap_is_int(compress_detect(head, got) == NULL, 1, "an empty stream is uncompressed");
    }

    /* ---- failures: source closed, one message naming the blob */
    {
        closed = 0;
        ferry_reader *src = test_source(data, sizeof(data), 2, &closed);
        ((test_reader *)src)->fail_at = 2;
        ((test_reader *)src)->fail_status = FERRY_ERR_IO;
        ferry_reader *r = (ferry_reader *)&closed; /* must be reset */
        size_t got = 0;
        ctx_clear(&ctx);
        int rc = stream_peek(src, &ctx, "blob t", head, sizeof(head), &got, &r);
        tap_is_int(rc, FERRY_ERR_IO, "a read error during the peek is returned");
        tap_ok(r == NULL && closed == 1, "... the source closed, no reader returned");
        tap_ok(strstr(ctx.message, "read failed") != NULL, "... with the source's message");
    }
    {
        closed = 0;
        ferry_reader *src = test_source(data, sizeof(data), 2, &closed);
        ((test_reader *)src)->stall = 1;
        ferry_reader *r = NULL;
        size_t got = 0;
        ctx_clear(&ctx);
        int rc = stream_peek(src, &ctx, "blob t", head, sizeof(head), &got, &r);
        tap_is_int(rc, FERRY_ERR_IO, "a source returning nothing before end of stream fails");
        tap_ok(r == NULL && closed == 1 && strstr(ctx.message, "blob t") != NULL, "... closed, naming the blob");
    }
    {
        closed = 0;
        ferry_reader *src = test_source(data, sizeof(data), 10, &closed);
        ((test_reader *)src)->fail_at = 50;
        ((test_reader *)src)->fail_status = FERRY_ERR_TOO_LARGE;
        ferry_reader *r = NULL;
        size_t got = 0, n = 0;
        ctx_clear(&ctx);
        int rc = stream_peek(src, &ctx, "blob t", head, sizeof(head), &got, &r);
        tap_ok(rc == FERRY_OK, "an error after the peeked bytes does not fail the peek");
        tap_is_int(drain(r, &ctx, 16, out, sizeof(out), &n), FERRY_ERR_TOO_LARGE, "... but the read that meets it");
        ferry_reader_close(r);
        tap_is_int(closed, 1, "... source closed once");
    }

    /* ---- under the verifying pipeline: every byte hashed and counted */
    {
        char digest[DIGEST_MAX_LEN], wrong[DIGEST_MAX_LEN];
        digest_sha256(data, sizeof(data), digest, sizeof(digest));
        digest_sha256(data, sizeof(data) - 1, wrong, sizeof(wrong));
        for (int bad = 0; bad <= 1; bad++) {
            ferry_reader *r = NULL;
            size_t got = 0, n = 0;
            ctx_clear(&ctx);
            stream_peek(test_source(data, sizeof(data), 3, &closed), &ctx, "blob t", head, sizeof(head), &got, &r);
            stream_pipeline_options po = {.what = "blob t",
                                          .expected_digest = bad ? wrong : digest,
                                          .expected_size = (int64_t)sizeof(data)};
            ferry_reader *p = stream_pipeline_new(r, &po);
            int rc = drain(p, &ctx, 16, out, sizeof(out), &n);
            if (!bad)
                tap_ok(rc == FERRY_OK && n == sizeof(data) && stream_pipeline_complete(p) &&
                           strcmp(ferry_reader_digest(p), digest) == 0,
                       "the pipeline over a peeked stream verifies the whole blob");
            else
                tap_is_int(rc, FERRY_ERR_DIGEST_MISMATCH, "... and still catches a wrong digest");
            ferry_reader_close(p);
        }
    }
    return tap_done();
}
