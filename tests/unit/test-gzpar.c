/* tests/unit/test-gzpar.c — the parallel gzip compressor: output is one
 * valid gzip member (zlib and gzip(1) give the input back, CRC and ISIZE
 * right), byte-identical whatever the thread count and however the input and
 * output are chunked, streams sharing a pool do not disturb each other, and
 * a consumer stopping early frees everything (run under valgrind or ASan to
 * see leaks). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "copy/gzpar.h"
#include "copy/streams.h"
#include "image/digest.h"
#include "plugin/context.h"
#include "bytes.h"
#include "tap.h"

#define B GZPAR_BLOCK_SIZE

static uint32_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

/* Alternating runs of random bytes and words, like a layer of mixed files. */
static uint8_t *make_input(size_t n, uint64_t seed)
{
    static const char *const words[] = {"layer ", "blob ", "manifest ", "digest ", "sha256 ", "ferry ", "copy\n",
                                        "gzip ", "the ", "of ", "registry ", "config ", "{\"a\":1} ", "\t"};
    uint8_t *p = malloc(n ? n : 1);
    uint64_t s = seed * 2654435761u + 1;
    size_t i = 0;
    while (i < n) {
        size_t run = 1000 + next_rand(&s) % 9000;
        int text = next_rand(&s) % 2;
        for (size_t k = 0; k < run && i < n;) {
            if (!text) {
                p[i++] = (uint8_t)next_rand(&s);
                k++;
                continue;
            }
            const char *w = words[next_rand(&s) % (sizeof(words) / sizeof(words[0]))];
            for (; *w && i < n; w++, k++)
                p[i++] = (uint8_t)*w;
        }
    }
    return p;
}

/* Compresses in[0..n) through one stream, feeding chunks of 1..in_max bytes
 * and reading into 1..out_max bytes (sizes vary pseudo-randomly with seed). */
static int compress_all(gzpar_pool *pool, const uint8_t *in, size_t n, size_t in_max, size_t out_max, uint64_t seed,
                        bytes *out)
{
    gzpar *z = gzpar_new(pool, GZPAR_LEVEL_DEFAULT);
    if (z == NULL)
        return -1;
    uint8_t *buf = malloc(out_max);
    size_t pos = 0;
    int done = 0, rc = 0;
    uint64_t s = seed + 7;
    char err[256] = "";
    for (int spins = 0; !done && spins < 10000000; spins++) {
        size_t chunk = 1 + next_rand(&s) % in_max;
        if (chunk > n - pos)
            chunk = n - pos;
        size_t cap = 1 + next_rand(&s) % out_max;
        size_t used = 0, made = 0;
        if (gzpar_run(z, in + pos, chunk, &used, buf, cap, &made, pos + chunk == n, &done, err, sizeof(err)) != 0) {
            tap_diag("gzpar_run: %s", err);
            rc = -1;
            break;
        }
        pos += used;
        bytes_add(out, buf, made);
    }
    if (!done)
        rc = -1;
    free(buf);
    gzpar_free(z);
    return rc;
}

/* zlib's gzip decoder: the whole input must be exactly one member. */
static int gunzip_all(const bytes *gz, bytes *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return -1;
    zs.next_in = gz->data;
    zs.avail_in = (uInt)gz->len;
    uint8_t buf[65536];
    int rc;
    do {
        zs.next_out = buf;
        zs.avail_out = sizeof(buf);
        rc = inflate(&zs, Z_NO_FLUSH);
        bytes_add(out, buf, sizeof(buf) - zs.avail_out);
    } while (rc == Z_OK);
    int ok = rc == Z_STREAM_END && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok ? 0 : -1;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- several streams at once on one pool ---- */

typedef struct worker_arg {
    gzpar_pool *pool;
    const uint8_t *in;
    size_t n;
    uint64_t seed;
    bytes out;
    int rc;
} worker_arg;

static void *stream_thread(void *arg)
{
    worker_arg *w = arg;
    w->rc = compress_all(w->pool, w->in, w->n, 70000, 50000, w->seed, &w->out);
    return NULL;
}

/* gzip(1)'s own check, when gzip is installed. */
static int gzip_t(const bytes *gz, int *ran)
{
    *ran = 0;
    if (access("/bin/gzip", X_OK) != 0 && access("/usr/bin/gzip", X_OK) != 0)
        return 0;
    char path[] = "/tmp/ferry-gzpar-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    int ok = write(fd, gz->data, gz->len) == (ssize_t)gz->len;
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "gzip -t < %s", path);
    ok = ok && system(cmd) == 0;
    unlink(path);
    *ran = 1;
    return ok ? 0 : -1;
}

int main(void)
{
    static const size_t sizes[] = {0, 1, B - 1, B, B + 1, 3 * B, 5 * B + 4321};
    static const unsigned threads[] = {1, 2, 3, 8};
    enum { N_SIZES = sizeof(sizes) / sizeof(sizes[0]), N_THREADS = sizeof(threads) / sizeof(threads[0]) };
    tap_plan(N_SIZES * (3 + N_THREADS) + 8);
    tap_diag("backend: %s, block %d bytes", gzpar_backend(), B);

    gzpar_pool *pools[N_THREADS];
    for (size_t t = 0; t < N_THREADS; t++)
        pools[t] = gzpar_pool_new(threads[t]);
    bytes refs[N_SIZES];
    uint8_t *inputs[N_SIZES];
    int header_ok = 1;
    for (size_t i = 0; i < N_SIZES; i++) {
        size_t n = sizes[i];
        inputs[i] = make_input(n, i + 1);
        bytes *ref = &refs[i];
        memset(ref, 0, sizeof(*ref));
        /* The reference: no pool, the caller's thread, 64 KiB in / 256 KiB out. */
        int rc = compress_all(NULL, inputs[i], n, 65536, 262144, 1, ref);
        bytes plain = {0};
        tap_ok(rc == 0 && gunzip_all(ref, &plain) == 0 && plain.len == n &&
                   (n == 0 || memcmp(plain.data, inputs[i], n) == 0),
               "%zu bytes: one gzip member that inflates to the input", n);
        free(plain.data);
        tap_ok(rc == 0 && ref->len >= 18 && le32(ref->data + ref->len - 8) == (uint32_t)crc32(0, inputs[i], (uInt)n) &&
                   le32(ref->data + ref->len - 4) == (uint32_t)n,
               "%zu bytes: trailer holds the CRC-32 and ISIZE", n);
        static const uint8_t header[10] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff};
        header_ok &= ref->len >= 10 && memcmp(ref->data, header, 10) == 0;
        for (size_t t = 0; t < N_THREADS; t++) {
            bytes got = {0};
            /* Odd chunk sizes on both sides: the bytes must not depend on them. */
            int rc2 = compress_all(pools[t], inputs[i], n, 1 + (t * 37117) % 200000, 1 + (t * 9973) % 100000,
                                   t + 3, &got);
            tap_ok(rc2 == 0 && got.len == ref->len && memcmp(got.data, ref->data, got.len) == 0,
                   "%zu bytes, %u thread(s): byte-identical output", n, threads[t]);
            free(got.data);
        }
        int ran = 0;
        int grc = gzip_t(ref, &ran);
        if (ran)
            tap_ok(grc == 0, "%zu bytes: gzip -t accepts it", n);
        else
            tap_skip("gzip -t", "gzip not installed");
    }
    tap_ok(header_ok, "header: no name, mtime 0, fixed flags");

    /* Tiny output buffers: header and trailer cut anywhere. */
    {
        bytes got = {0};
        int rc = compress_all(pools[1], inputs[4], sizes[4], 300, 3, 5, &got);
        tap_ok(rc == 0 && got.len == refs[4].len && memcmp(got.data, refs[4].data, got.len) == 0,
               "1..3-byte output buffers give the same bytes");
        free(got.data);
    }

    /* Four streams at once on a pool of 3 workers. */
    {
        gzpar_pool *shared = gzpar_pool_new(3);
        worker_arg args[4];
        pthread_t tids[4];
        for (int k = 0; k < 4; k++) {
            size_t i = N_SIZES - 1 - (size_t)(k % 3);
            args[k] = (worker_arg){.pool = shared, .in = inputs[i], .n = sizes[i], .seed = (uint64_t)k};
            pthread_create(&tids[k], NULL, stream_thread, &args[k]);
        }
        int same = 1;
        for (int k = 0; k < 4; k++) {
            pthread_join(tids[k], NULL);
            size_t i = N_SIZES - 1 - (size_t)(k % 3);
            same &= args[k].rc == 0 && args[k].out.len == refs[i].len &&
                    memcmp(args[k].out.data, refs[i].data, refs[i].len) == 0;
            free(args[k].out.data);
        }
        tap_ok(same, "4 concurrent streams on one 3-worker pool: each byte-identical");
        gzpar_pool_free(shared);
    }

    /* A consumer that stops early: blocks still queued or running are
     * dropped or waited for, and the pool keeps working for others. */
    {
        gzpar_pool *p = gzpar_pool_new(2);
        const uint8_t *in = inputs[N_SIZES - 1];
        int ok = 1;
        for (int round = 0; round < 20 && ok; round++) {
            gzpar *z = gzpar_new(p, GZPAR_LEVEL_DEFAULT);
            uint8_t out[4];
            size_t pos = 0, used = 0, made = 0;
            int done = 0;
            char err[256];
            /* Output one byte at a time so blocks pile up in the ring. */
            for (int k = 0; k < 40 + round; k++) {
                ok &= gzpar_run(z, in + pos, 65536, &used, out, 1, &made, 0, &done, err, sizeof(err)) == 0;
                pos += used;
            }
            gzpar_free(z);
            gzpar *never = gzpar_new(p, GZPAR_LEVEL_DEFAULT);
            gzpar_free(never);
        }
        bytes got = {0};
        ok &= compress_all(p, inputs[N_SIZES - 1], sizes[N_SIZES - 1], 65536, 65536, 9, &got) == 0 &&
              got.len == refs[N_SIZES - 1].len && memcmp(got.data, refs[N_SIZES - 1].data, got.len) == 0;
        free(got.data);
        gzpar_pool_free(p);
        tap_ok(ok, "streams freed mid-way leave the pool usable and the output unchanged");
    }
    /* A pool that never got work starts no threads and frees cleanly. */
    gzpar_pool_free(gzpar_pool_new(4));
    tap_ok(gzpar_default_threads() >= 1 && gzpar_default_threads() <= GZPAR_MAX_THREADS,
           "default thread count within 1..%d", GZPAR_MAX_THREADS);

    /* Through the verifying pipeline: digest of what it delivered. */
    ferry_session session = {0};
    ferry_ctx ctx;
    ctx_init(&ctx, &session, NULL);
    {
        size_t i = N_SIZES - 1;
        char in_digest[DIGEST_MAX_LEN], out_digest[DIGEST_MAX_LEN];
        digest_sha256(inputs[i], sizes[i], in_digest, sizeof(in_digest));
        digest_sha256(refs[i].data, refs[i].len, out_digest, sizeof(out_digest));
        stream_pipeline_options po = {.what = "blob test",
                                      .expected_digest = in_digest,
                                      .expected_size = (int64_t)sizes[i],
                                      .has_transform = 1,
                                      .transform = TRANSFORM_GZIP_COMPRESS,
                                      .compress_pool = pools[1]};
        ferry_reader *r = stream_pipeline_new(stream_memory_reader(inputs[i], sizes[i], NULL), &po);
        bytes got = {0};
        uint8_t buf[100000];
        int eos = 0, rc = FERRY_OK;
        while (r != NULL && !eos && rc == FERRY_OK) {
            size_t n = 0;
            rc = ferry_reader_read(r, &ctx, buf, sizeof(buf), &n, &eos);
            bytes_add(&got, buf, n);
        }
        tap_ok(r != NULL && rc == FERRY_OK && got.len == refs[i].len && memcmp(got.data, refs[i].data, got.len) == 0 &&
                   strcmp(ferry_reader_digest(r), out_digest) == 0,
               "pipeline delivers the same bytes and reports their digest");
        ferry_reader_close(r);
        free(got.data);

        /* Stopping after the first read. */
        r = stream_pipeline_new(stream_memory_reader(inputs[i], sizes[i], NULL), &po);
        size_t n = 0;
        rc = r ? ferry_reader_read(r, &ctx, buf, sizeof(buf), &n, &eos) : -1;
        tap_ok(rc == FERRY_OK && n > 0 && memcmp(buf, refs[i].data, n) == 0 && !eos,
               "pipeline closed after its first read: a prefix of the same bytes");
        ferry_reader_close(r);

        /* The source does not match its digest: the error reaches the reader. */
        po.expected_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        r = stream_pipeline_new(stream_memory_reader(inputs[i], sizes[i], NULL), &po);
        rc = FERRY_OK;
        eos = 0;
        while (r != NULL && !eos && rc == FERRY_OK)
            rc = ferry_reader_read(r, &ctx, buf, sizeof(buf), &n, &eos);
        tap_ok(rc == FERRY_ERR_DIGEST_MISMATCH && strstr(ctx.message, "blob test") != NULL,
               "source digest mismatch while compressing: error naming the blob");
        ferry_reader_close(r);
    }

    for (size_t t = 0; t < N_THREADS; t++)
        gzpar_pool_free(pools[t]);
    for (size_t i = 0; i < N_SIZES; i++) {
        free(inputs[i]);
        free(refs[i].data);
    }
    return tap_done();
}
