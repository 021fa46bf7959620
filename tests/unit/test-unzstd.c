/* tests/unit/test-unzstd.c — the zstd decompressor behind transform_run
 * (core/copy/unzstd.c): frames made here with libzstd come back whole
 * whatever the input and output split, concatenated frames are one stream,
 * and truncated, corrupt or trailing-garbage input is refused with a message
 * that says which. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "bytes.h"
#include "copy/compress.h"
#include "tap.h"
#include "transform_test.h"

static void make_input(bytes *b, size_t len, uint64_t seed)
{
    /* Half pseudo-random, half text: something between incompressible and trivial. */
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint8_t c = (i / 4096) % 2 ? (uint8_t)(seed >> 33) : (uint8_t)("layer tar text "[i % 15]);
        bytes_add(b, &c, 1);
    }
}

/* One zstd frame of data, with its content checksum (so that damage shows). */
static void zstd_frame(bytes *out, const bytes *data)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(data->len);
    uint8_t *buf = malloc(cap);
    if (c == NULL || buf == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)))
        abort();
    size_t n = ZSTD_compress2(c, buf, cap, data->data ? data->data : (const uint8_t *)"", data->len);
    if (ZSTD_isError(n))
        abort();
    bytes_add(out, buf, n);
    free(buf);
    ZSTD_freeCCtx(c);
}

int main(void)
{
    tap_plan(19);
    bytes plain = {0}, z = {0};
    make_input(&plain, 300000, 7);
    zstd_frame(&z, &plain);
    static const size_t in_chunks[] = {1, 7, 4096, 1 << 20}, out_chunks[] = {13, 4096, 1 << 20};
    for (size_t i = 0; i < sizeof(in_chunks) / sizeof(in_chunks[0]); i++)
        for (size_t o = 0; o < sizeof(out_chunks) / sizeof(out_chunks[0]); o++) {
            bytes out = {0};
            char err[256] = "";
            int rc = transform_all(TRANSFORM_ZSTD_DECOMPRESS, &z, in_chunks[i], out_chunks[o], &out, err, sizeof(err));
            tap_ok(rc == 0 && bytes_same(&out, &plain), "one frame, input in %zu-byte parts, output in %zu-byte windows",
                   in_chunks[i], out_chunks[o]);
            if (rc != 0)
                tap_diag("%s", err);
            free(out.data);
        }
    {
        bytes second = {0}, empty = {0}, stream = {0}, want = {0}, out = {0};
        make_input(&second, 5000, 11);
        bytes_add(&stream, z.data, z.len);
        zstd_frame(&stream, &empty);
        zstd_frame(&stream, &second);
        bytes_add(&want, plain.data, plain.len);
        bytes_add(&want, second.data, second.len);
        char err[256] = "";
        int rc = transform_all(TRANSFORM_ZSTD_DECOMPRESS, &stream, 3, 4096, &out, err, sizeof(err));
        tap_ok(rc == 0 && bytes_same(&out, &want), "three concatenated frames (one empty) are one stream");
        free(second.data);
        free(stream.data);
        free(want.data);
        free(out.data);
    }

    bytes bad = {0};
    bytes_add(&bad, z.data, z.len - 5);
    transform_refused(TRANSFORM_ZSTD_DECOMPRESS, &bad, "truncated", "the frame cut short: truncated");
    bad.len = 0;
    bytes_add(&bad, z.data, z.len / 2);
    transform_refused(TRANSFORM_ZSTD_DECOMPRESS, &bad, "truncated", "half the frame: truncated");
    bad.len = 0;
    transform_refused(TRANSFORM_ZSTD_DECOMPRESS, &bad, "truncated", "no input at all: truncated");
    bytes_add(&bad, z.data, z.len);
    bad.data[z.len / 2] ^= 0x40;
    transform_refused(TRANSFORM_ZSTD_DECOMPRESS, &bad, "corrupt", "a flipped byte inside the frame: corrupt");
    bad.data[z.len / 2] ^= 0x40;
    bytes_add(&bad, (const uint8_t *)"XYZW0000000000000000", 20);
    transform_refused(TRANSFORM_ZSTD_DECOMPRESS, &bad, "corrupt", "garbage after the frame: corrupt");
    bad.len = 0;
    static const char gz[] = "\037\213\010\000this is gzip, not zstd, and long enough to be read";
    bytes_add(&bad, (const uint8_t *)gz, sizeof(gz) - 1);
    transform_refused(TRANSFORM_ZSTD_DECOMPRESS, &bad, "corrupt", "not a zstd frame: corrupt");
    free(bad.data);
    free(plain.data);
    free(z.data);
    return tap_done();
}
