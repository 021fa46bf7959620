/* tests/unit/test-inflate.c — the decompressing transform (ISA-L igzip, or
 * zlib when built without it): gzip made by zlib comes back byte for byte
 * however input and output are chunked, concatenated members (one with a
 * file name in its header) read as one stream, an empty member, headers
 * with every optional field split at every point, and every damage refused:
 * truncation, a bad CRC-32, ISIZE or header CRC, a reserved flag, garbage
 * after a member, a flipped byte inside the deflate data, a header that is
 * not gzip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "copy/compress.h"
#include "bytes.h"
#include "tap.h"
#include "transform_test.h"

/* Half pseudo-random bytes, half text: long matches and literals both. */
static void make_input(bytes *b, size_t len, uint64_t seed)
{
    static const char text[] = "the quick brown fox jumps over the lazy dog; layer.tar ";
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint8_t c = (i / 4096) % 2 ? (uint8_t)(seed >> 56) : (uint8_t)text[i % (sizeof(text) - 1)];
        bytes_add(b, &c, 1);
    }
}

/* One gzip member of data, by zlib; with the optional header fields of h if
 * given. */
static void gzip_member_with(bytes *out, const uint8_t *data, size_t len, gz_header *h)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    if (h != NULL && deflateSetHeader(&z, h) != Z_OK)
        abort();
    uLong cap = deflateBound(&z, (uLong)len) + 64;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        abort();
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    bytes_add(out, buf, cap - z.avail_out);
    deflateEnd(&z);
    free(buf);
}

/* One gzip member of data; with a file name in the header if name. */
static void gzip_member(bytes *out, const uint8_t *data, size_t len, const char *name)
{
    gz_header h = {.name = (Bytef *)(uintptr_t)name, .os = 3};
    gzip_member_with(out, data, len, name != NULL ? &h : NULL);
}

static int inflate_all(const bytes *in, size_t in_chunk, size_t out_chunk, bytes *out, char *err, size_t errcap)
{
    return transform_all(TRANSFORM_GZIP_DECOMPRESS, in, in_chunk, out_chunk, out, err, errcap);
}

static void refused(const bytes *in, const char *want, const char *name)
{
    transform_refused(TRANSFORM_GZIP_DECOMPRESS, in, want, name);
}

int main(void)
{
    tap_plan(21);
    bytes plain = {0}, gz = {0};
    make_input(&plain, 3 * 1024 * 1024 + 517, 7);
    gzip_member(&gz, plain.data, plain.len, NULL);
    /* Input a few bytes at a time costs about 10 us a call under ASan: over
     * the 1.6 MB member above that was 15 s. These parts feed a member of
     * 384 KiB, still many deflate blocks and windows long. */
    bytes plain_short = {0}, gz_short = {0};
    make_input(&plain_short, 384 * 1024 + 517, 11);
    gzip_member(&gz_short, plain_short.data, plain_short.len, NULL);

    static const size_t in_chunks[] = {1, 7, 4096, 65536, SIZE_MAX};
    static const size_t out_chunks[] = {1, 13, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof(in_chunks) / sizeof(in_chunks[0]); i++) {
        /* Byte-at-a-time input: small outputs only with larger inputs. */
        size_t oc = in_chunks[i] == 1 ? 65536 : out_chunks[i % 4];
        const bytes *in = in_chunks[i] < 16 ? &gz_short : &gz, *want = in_chunks[i] < 16 ? &plain_short : &plain;
        bytes out = {0};
        char err[256] = "";
        int rc = inflate_all(in, in_chunks[i], oc, &out, err, sizeof(err));
        tap_ok(rc == 0 && bytes_same(&out, want), "one member of %zu bytes, input in %zu-byte parts, output in %zu-byte windows",
               want->len, in_chunks[i] == SIZE_MAX ? in->len : in_chunks[i], oc);
        if (rc != 0)
            tap_diag("%s", err);
        free(out.data);
    }
    {
        bytes out = {0};
        char err[256] = "";
        int rc = inflate_all(&gz, 65536, 1, &out, err, sizeof(err));
        tap_ok(rc == 0 && bytes_same(&out, &plain), "one member, output one byte at a time");
        free(out.data);
    }

    /* Two members, the second naming a file, then an empty one: one stream. */
    bytes multi = {0}, want = {0}, multi_short = {0}, want_short = {0};
    bytes second = {0};
    make_input(&second, 200000, 99);
    gzip_member(&multi, plain.data, plain.len, NULL);
    gzip_member(&multi, second.data, second.len, "layer.tar");
    gzip_member(&multi, NULL, 0, NULL);
    bytes_add(&want, plain.data, plain.len);
    bytes_add(&want, second.data, second.len);
    gzip_member(&multi_short, plain_short.data, plain_short.len, NULL); /* for the 3-byte parts */
    gzip_member(&multi_short, second.data, second.len, "layer.tar");
    gzip_member(&multi_short, NULL, 0, NULL);
    bytes_add(&want_short, plain_short.data, plain_short.len);
    bytes_add(&want_short, second.data, second.len);
    static const size_t multi_chunks[] = {3, 4096, SIZE_MAX};
    for (size_t i = 0; i < 3; i++) {
        bytes out = {0};
        char err[256] = "";
        int rc = inflate_all(i == 0 ? &multi_short : &multi, multi_chunks[i], 65536, &out, err, sizeof(err));
        tap_ok(rc == 0 && bytes_same(&out, i == 0 ? &want_short : &want),
               "three concatenated members (a file name, an empty one) in %s",
               i == 0 ? "3-byte parts" : i == 1 ? "4096-byte parts" : "one part");
        if (rc != 0)
            tap_diag("%s", err);
        free(out.data);
    }
    {
        /* Every optional header field, the header split at every point:
         * libisal 2.30 reading a split header on its own rejects this. */
        bytes fancy = {0}, small = {0};
        make_input(&small, 5000, 3);
        static const uint8_t extra[] = {'A', 'P', 4, 0, 1, 2, 3, 4};
        gz_header h = {.extra = (Bytef *)(uintptr_t)extra,
                       .extra_len = sizeof(extra),
                       .name = (Bytef *)"layer.tar",
                       .comment = (Bytef *)"made by test-inflate",
                       .hcrc = 1,
                       .os = 3};
        gzip_member_with(&fancy, small.data, small.len, &h);
        gzip_member_with(&fancy, small.data, small.len, &h);
        bytes twice = {0};
        bytes_add(&twice, small.data, small.len);
        bytes_add(&twice, small.data, small.len);
        size_t failed_at = 0;
        char err[256] = "";
        for (size_t part = 1; part <= 48 && failed_at == 0; part++) {
            bytes out = {0};
            if (inflate_all(&fancy, part, 4096, &out, err, sizeof(err)) != 0 || !bytes_same(&out, &twice))
                failed_at = part;
            free(out.data);
        }
        tap_ok(failed_at == 0, "two members with FEXTRA, FNAME, FCOMMENT and FHCRC, in parts of 1 to 48 bytes");
        if (failed_at != 0)
            tap_diag("parts of %zu bytes: %s", failed_at, err);
        bytes bad = {0};
        /* The header CRC-16 sits just before the deflate data: 10 fixed
         * bytes, 2 + 8 of extra, the name and comment with their NULs. */
        size_t hcrc_at = 10 + 2 + sizeof(extra) + sizeof("layer.tar") + sizeof("made by test-inflate");
        bytes_add(&bad, fancy.data, fancy.len);
        bad.data[hcrc_at] ^= 0x01;
        refused(&bad, "corrupt", "a wrong header CRC-16: corrupt");
        bad.data[hcrc_at] ^= 0x01;
        bad.data[3] |= 0x80; /* a reserved flag bit */
        refused(&bad, "corrupt", "a reserved header flag set: corrupt");
        free(bad.data);
        free(twice.data);
        free(fancy.data);
        free(small.data);
    }
    {
        bytes empty = {0}, out = {0};
        gzip_member(&empty, NULL, 0, NULL);
        char err[256] = "";
        int rc = inflate_all(&empty, 65536, 65536, &out, err, sizeof(err));
        tap_ok(rc == 0 && out.len == 0, "an empty member gives nothing, and ends");
        free(empty.data);
        free(out.data);
    }

    /* Damage. */
    bytes bad = {0};
    bytes_add(&bad, gz.data, gz.len - 5);
    refused(&bad, "truncated", "the trailer cut short: truncated");
    bad.len = 0;
    bytes_add(&bad, gz.data, gz.len / 2);
    refused(&bad, "truncated", "half the member: truncated");
    bad.len = 0;
    bytes_add(&bad, gz.data, 10);
    refused(&bad, "truncated", "only the header: truncated");
    bad.len = 0;
    bytes_add(&bad, gz.data, gz.len);
    bad.data[gz.len - 8] ^= 0x01;
    refused(&bad, "corrupt", "a wrong CRC-32: corrupt");
    bad.data[gz.len - 8] ^= 0x01;
    bad.data[gz.len - 2] ^= 0x01;
    refused(&bad, "corrupt", "a wrong ISIZE: corrupt");
    bad.data[gz.len - 2] ^= 0x01;
    bad.data[gz.len / 2] ^= 0x40;
    refused(&bad, "corrupt", "a flipped byte inside the deflate data: corrupt");
    bad.data[gz.len / 2] ^= 0x40;
    bytes_add(&bad, (const uint8_t *)"XYZW0000000000000000", 20);
    refused(&bad, "corrupt", "garbage after the member: corrupt");
    bad.len = 0;
    static const char zip[] = "PK\003\004 this is a zip file, not gzip, and long enough";
    bytes_add(&bad, (const uint8_t *)zip, sizeof(zip) - 1);
    refused(&bad, "corrupt", "not a gzip header: corrupt");

    free(bad.data);
    free(multi.data);
    free(want.data);
    free(second.data);
    free(plain.data);
    free(gz.data);
    free(multi_short.data);
    free(want_short.data);
    free(plain_short.data);
    free(gz_short.data);
    return tap_done();
}
