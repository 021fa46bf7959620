/* tests/unit/test-zstd-compress.c — zstd compression behind transform_run
 * (core/copy/zstd_compress.c) and two-stage chains (recompression): output
 * that libzstd and zlib decode back to the input, the same bytes whatever
 * the input and output split, levels that change the size, and a corrupt
 * first stage refused through the chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
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

/* Decodes a whole zstd stream with libzstd's one-shot API; 0 when it is one. */
static int zstd_decode(const bytes *z, size_t plain_len, bytes *out)
{
    uint8_t *buf = malloc(plain_len + 1);
    size_t n = ZSTD_decompress(buf, plain_len + 1, z->data, z->len);
    int rc = ZSTD_isError(n) ? -1 : 0;
    if (rc == 0)
        bytes_add(out, buf, n);
    free(buf);
    return rc;
}

/* Decodes a gzip stream with zlib. */
static int gzip_decode(const bytes *g, size_t plain_len, bytes *out)
{
    z_stream zs = {0};
    uint8_t *buf = malloc(plain_len + 1);
    if (buf == NULL || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        abort();
    zs.next_in = g->data;
    zs.avail_in = (uInt)g->len;
    zs.next_out = buf;
    zs.avail_out = (uInt)plain_len + 1;
    int rc = inflate(&zs, Z_FINISH) == Z_STREAM_END ? 0 : -1;
    if (rc == 0)
        bytes_add(out, buf, zs.total_out);
    inflateEnd(&zs);
    free(buf);
    return rc;
}

static size_t zstd_at(const bytes *in, int level, bytes *out)
{
    char err[256];
    transform *t = transform_new_level(TRANSFORM_ZSTD_COMPRESS, NULL, level);
    if (transform_drive(t, in, 65536, 65536, out, err, sizeof(err)) != 0)
        abort();
    return out->len;
}

int main(void)
{
    tap_plan(14);
    char err[256];
    bytes plain = {0};
    make_input(&plain, 3 * 1024 * 1024 + 777, 11); /* several of zstd_compress's 1 MiB jobs */

    bytes first = {0};
    tap_ok(transform_all(TRANSFORM_ZSTD_COMPRESS, &plain, 65536, 65536, &first, err, sizeof(err)) == 0,
           "compresses 3 MiB");
    bytes back = {0};
    tap_ok(zstd_decode(&first, plain.len, &back) == 0 && bytes_same(&back, &plain), "libzstd decodes it to the input");
    tap_ok(first.len > 18 && first.data[4] & 0x04, "the frame carries a content checksum, as containers/image's");
    tap_ok(first.len < plain.len * 3 / 4, "and it is smaller than the input");
    static const size_t in_chunks[] = {1, 4093, 1 << 20}, out_chunks[] = {7, 1 << 20};
    int same = 1;
    for (size_t i = 0; i < 3; i++)
        for (size_t o = 0; o < 2; o++) {
            if (in_chunks[i] == 1 && out_chunks[o] == 7)
                continue; /* 3 M calls: slow under valgrind, covered by the others */
            bytes again = {0};
            same &= transform_all(TRANSFORM_ZSTD_COMPRESS, &plain, in_chunks[i], out_chunks[o], &again, err,
                                  sizeof(err)) == 0 &&
                    bytes_same(&again, &first);
            free(again.data);
        }
    tap_ok(same, "the same bytes whatever the input and output split");

    bytes empty = {0}, empty_z = {0}, empty_back = {0};
    tap_ok(transform_all(TRANSFORM_ZSTD_COMPRESS, &empty, 1, 64, &empty_z, err, sizeof(err)) == 0 &&
               zstd_decode(&empty_z, 0, &empty_back) == 0 && empty_back.len == 0,
           "an empty layer is a valid empty frame");

    bytes l1 = {0}, l19 = {0};
    tap_ok(zstd_at(&plain, 19, &l19) < zstd_at(&plain, 1, &l1), "level 19 is smaller than level 1");
    bytes l19_back = {0};
    tap_ok(zstd_decode(&l19, plain.len, &l19_back) == 0 && bytes_same(&l19_back, &plain), "level 19 decodes");

    /* gzip → zstd and zstd → gzip through chains. */
    bytes gz = {0};
    tap_ok(transform_all(TRANSFORM_GZIP_COMPRESS, &plain, 65536, 65536, &gz, err, sizeof(err)) == 0,
           "a gzip stream to recompress");
    static const size_t chain_in[] = {3, 65536}, chain_out[] = {5, 1 << 20};
    int chain_ok = 1;
    for (size_t i = 0; i < 2; i++) {
        bytes rz = {0}, rz_back = {0};
        transform *t = transform_chain(transform_new(TRANSFORM_GZIP_DECOMPRESS, NULL),
                                       transform_new(TRANSFORM_ZSTD_COMPRESS, NULL));
        chain_ok &= transform_drive(t, &gz, chain_in[i], chain_out[i], &rz, err, sizeof(err)) == 0 &&
                    bytes_same(&rz, &first) && zstd_decode(&rz, plain.len, &rz_back) == 0 &&
                    bytes_same(&rz_back, &plain);
        free(rz.data);
        free(rz_back.data);
    }
    tap_ok(chain_ok, "gunzip then zstd gives the bytes zstd gives the plain input, whatever the split");
    bytes rg = {0}, rg_back = {0};
    transform *t = transform_chain(transform_new(TRANSFORM_ZSTD_DECOMPRESS, NULL),
                                   transform_new(TRANSFORM_GZIP_COMPRESS, NULL));
    tap_ok(transform_drive(t, &first, 4096, 4096, &rg, err, sizeof(err)) == 0 &&
               gzip_decode(&rg, plain.len, &rg_back) == 0 && bytes_same(&rg_back, &plain),
           "unzstd then gzip: zlib decodes it to the input");
    tap_ok(bytes_same(&rg, &gz), "... the same bytes as gzipping the plain input");

    bytes cut = {0}, cut_out = {0};
    bytes_add(&cut, gz.data, gz.len / 2);
    t = transform_chain(transform_new(TRANSFORM_GZIP_DECOMPRESS, NULL), transform_new(TRANSFORM_ZSTD_COMPRESS, NULL));
    tap_ok(transform_drive(t, &cut, 65536, 65536, &cut_out, err, sizeof(err)) != 0, "a truncated gzip input fails");
    tap_ok(strstr(err, "truncated") != NULL, "... saying it is truncated");

    free(plain.data);
    free(first.data);
    free(back.data);
    free(empty_z.data);
    free(l1.data);
    free(l19.data);
    free(l19_back.data);
    free(gz.data);
    free(rg.data);
    free(rg_back.data);
    free(cut.data);
    free(cut_out.data);
    return tap_done();
}
