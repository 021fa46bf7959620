/* core/copy/compress.c — gzip transforms: compression through gzpar's
 * parallel block compressor, decompression over zlib's inflate. */
#include "copy/compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct transform {
    transform_kind kind;
    gzpar *gz;  /* compress */
    z_stream z; /* decompress */
    int stream_end; /* decompress: current gzip member ended */
    int finished;
};

transform *transform_new(transform_kind kind, gzpar_pool *pool)
{
    transform *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->kind = kind;
    int ok = kind == TRANSFORM_GZIP_COMPRESS ? (t->gz = gzpar_new(pool)) != NULL
                                             : inflateInit2(&t->z, 16 + MAX_WBITS) == Z_OK;
    if (!ok) {
        free(t);
        return NULL;
    }
    return t;
}

void transform_free(transform *t)
{
    if (t == NULL)
        return;
    if (t->kind == TRANSFORM_GZIP_COMPRESS)
        gzpar_free(t->gz);
    else
        inflateEnd(&t->z);
    free(t);
}

int compress_is_gzip(const uint8_t *data, size_t len)
{
    return len >= 3 && data[0] == 0x1f && data[1] == 0x8b && data[2] == 0x08;
}

const char *compress_detect(const uint8_t *data, size_t len)
{
    static const struct {
        const char *name;
        size_t len;
        uint8_t magic[COMPRESS_DETECT_BYTES];
    } formats[] = {
        {"gzip", 3, {0x1f, 0x8b, 0x08}},
        {"bzip2", 3, {'B', 'Z', 'h'}},
        {"xz", 6, {0xfd, '7', 'z', 'X', 'Z', 0x00}},
        {"zstd", 4, {0x28, 0xb5, 0x2f, 0xfd}},
    };
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (len >= formats[i].len && memcmp(data, formats[i].magic, formats[i].len) == 0)
            return formats[i].name;
    return NULL;
}

static int transform_inflate(transform *t, int finish, int *done, char *err, size_t errcap)
{
    /* Concatenated gzip members are one stream (gzip(1) and pigz write them). */
    if (t->stream_end && t->z.avail_in > 0) {
        if (inflateReset(&t->z) != Z_OK) {
            snprintf(err, errcap, "gzip decompression failed to restart");
            return -1;
        }
        t->stream_end = 0;
    }
    if (t->stream_end) {
        *done = finish;
        return 0;
    }
    int rc = inflate(&t->z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
        t->stream_end = 1;
        *done = finish && t->z.avail_in == 0;
        return 0;
    }
    if (rc == Z_OK)
        return 0;
    if (rc == Z_BUF_ERROR) {
        if (finish && t->z.avail_in == 0 && t->z.avail_out > 0) {
            snprintf(err, errcap, "gzip data is truncated");
            return -1;
        }
        return 0;
    }
    snprintf(err, errcap, "gzip data is corrupt: %s", t->z.msg ? t->z.msg : "inflate failed");
    return -1;
}

int transform_run(transform *t, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
                  size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    *done = 0;
    if (t->kind == TRANSFORM_GZIP_COMPRESS)
        return gzpar_run(t->gz, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
    t->z.next_in = (Bytef *)(uintptr_t)in;
    t->z.avail_in = (uInt)in_len;
    t->z.next_out = out;
    t->z.avail_out = (uInt)out_cap;
    int rc = transform_inflate(t, finish, done, err, errcap);
    *consumed = in_len - t->z.avail_in;
    *produced = out_cap - t->z.avail_out;
    return rc;
}
