/* core/copy/compress.c — gzip transforms (and zstd's, of unzstd.c and
 * zstd_compress.c, behind the same interface; and chains of two, which
 * recompress): compression through gzpar's
 * parallel block compressor, decompression over ISA-L's igzip inflate when
 * built with it, else zlib's. Inflating is most of the CPU of a pull into
 * docker-archive:, and igzip cut that pull's user CPU from 1.70 s to 1.25 s
 * (doc/performance.md). Both verify each member's CRC-32 and length and read
 * concatenated members as one stream. */
#include "copy/compress.h"
#include "copy/unzstd.h"
#include "copy/zstd_chunked.h"
#include "copy/zstd_compress.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

struct transform {
    transform_kind kind;
    gzpar *gz; /* compress */
    unzstd *zstd; /* TRANSFORM_ZSTD_DECOMPRESS */
    zstd_compress *zc; /* TRANSFORM_ZSTD_COMPRESS */
    zstd_chunked *chunked; /* TRANSFORM_ZSTD_CHUNKED_COMPRESS */
    /* TRANSFORM_CHAIN: first's output feeds second through mid. */
    transform *first, *second;
    uint8_t *mid;
    size_t mid_pos, mid_len;
    int first_done;
    digest_hasher *mid_hash; /* over the first stage's output, or NULL */
    char mid_digest[DIGEST_MAX_LEN];
#ifdef HAVE_ISAL
    struct inflate_state *isal; /* decompress; heap: the state is ~70 KiB */
    struct isal_gzip_header header; /* decompress: fields not kept (no buffers) */
    int in_header;                  /* decompress: reading a member's header */
#else
    z_stream z; /* decompress */
#endif
    int stream_end; /* decompress: current gzip member ended */
};

#ifdef HAVE_ISAL
/* Each member's header is read with isal_read_gzip_header into our own
 * zeroed header record, then igzip inflates the body and checks the trailer
 * (ISAL_GZIP_NO_HDR_VER). Letting isal_inflate read the header itself
 * (ISAL_GZIP) fails in libisal 2.30 when a header with a file name is split
 * across calls: it reads its own uninitialised record and then rejects good
 * data as an invalid block. */
static void member_begin(transform *t)
{
    t->isal->crc_flag = ISAL_GZIP_NO_HDR_VER;
    isal_gzip_header_init(&t->header);
    t->in_header = 1;
}

static int inflate_begin(transform *t)
{
    t->isal = calloc(1, sizeof(*t->isal)); /* zeroed: igzip reads fields init leaves unset */
    if (t->isal == NULL)
        return 0;
    isal_inflate_init(t->isal);
    member_begin(t);
    return 1;
}

static void inflate_end(transform *t)
{
    free(t->isal);
}
#else
static int inflate_begin(transform *t)
{
    return inflateInit2(&t->z, 16 + MAX_WBITS) == Z_OK;
}

static void inflate_end(transform *t)
{
    inflateEnd(&t->z);
}
#endif

transform *transform_new(transform_kind kind, gzpar_pool *pool)
{
    return transform_new_level(kind, pool, TRANSFORM_LEVEL_DEFAULT);
}

transform *transform_new_level(transform_kind kind, gzpar_pool *pool, int level)
{
    transform *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->kind = kind;
    int ok = 0;
    switch (kind) {
    case TRANSFORM_GZIP_COMPRESS:
        ok = (t->gz = gzpar_new(pool, level == TRANSFORM_LEVEL_DEFAULT ? GZPAR_LEVEL_DEFAULT : level)) != NULL;
        break;
    case TRANSFORM_ZSTD_COMPRESS:
        ok = (t->zc = zstd_compress_new(level == TRANSFORM_LEVEL_DEFAULT ? ZSTD_COMPRESS_DEFAULT_LEVEL : level,
                                        gzpar_default_threads())) != NULL;
        break;
    case TRANSFORM_ZSTD_CHUNKED_COMPRESS:
        ok = (t->chunked = zstd_chunked_new(level == TRANSFORM_LEVEL_DEFAULT ? ZSTD_CHUNKED_DEFAULT_LEVEL : level)) !=
             NULL;
        break;
    case TRANSFORM_ZSTD_DECOMPRESS:
        ok = (t->zstd = unzstd_new()) != NULL;
        break;
    case TRANSFORM_GZIP_DECOMPRESS:
        ok = inflate_begin(t);
        break;
    case TRANSFORM_CHAIN:
        break;
    }
    if (!ok) {
        free(t);
        return NULL;
    }
    return t;
}

transform *transform_chain(transform *first, transform *second)
{
    transform *t = first && second ? calloc(1, sizeof(*t)) : NULL;
    uint8_t *mid = t != NULL ? malloc(TRANSFORM_CHAIN_BUFFER) : NULL;
    if (mid == NULL) {
        free(t);
        transform_free(first);
        transform_free(second);
        return NULL;
    }
    t->kind = TRANSFORM_CHAIN;
    t->first = first;
    t->second = second;
    t->mid = mid;
    return t;
}

int transform_chain_hash_middle(transform *chain, digest_hasher *hasher)
{
    if (chain == NULL || chain->kind != TRANSFORM_CHAIN || hasher == NULL) {
        digest_hasher_free(hasher);
        return -1;
    }
    digest_hasher_free(chain->mid_hash);
    chain->mid_hash = hasher;
    return 0;
}

int transform_chain_middle_digest(transform *chain, char *out, size_t cap)
{
    if (chain == NULL || chain->kind != TRANSFORM_CHAIN || chain->mid_hash == NULL || !chain->first_done)
        return -1;
    if (chain->mid_digest[0] == '\0' &&
        digest_hasher_final(chain->mid_hash, chain->mid_digest, sizeof(chain->mid_digest)) != 0)
        return -1;
    snprintf(out, cap, "%s", chain->mid_digest);
    return 0;
}

void transform_free(transform *t)
{
    if (t == NULL)
        return;
    switch (t->kind) {
    case TRANSFORM_GZIP_COMPRESS: gzpar_free(t->gz); break;
    case TRANSFORM_ZSTD_COMPRESS: zstd_compress_free(t->zc); break;
    case TRANSFORM_ZSTD_CHUNKED_COMPRESS: zstd_chunked_free(t->chunked); break;
    case TRANSFORM_ZSTD_DECOMPRESS: unzstd_free(t->zstd); break;
    case TRANSFORM_GZIP_DECOMPRESS: inflate_end(t); break;
    case TRANSFORM_CHAIN:
        transform_free(t->first);
        transform_free(t->second);
        free(t->mid);
        digest_hasher_free(t->mid_hash);
        break;
    }
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

#ifndef HAVE_ISAL
static int zlib_inflate_step(transform *t, int finish, int *done, char *err, size_t errcap)
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
#endif

#ifdef HAVE_ISAL
/* Runs igzip over in[0..in_len) into out[0..out_cap); same contract as
 * transform_run's decompressing half. */
static int transform_inflate(transform *t, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out,
                             size_t out_cap, size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    struct inflate_state *st = t->isal;
    /* Concatenated gzip members are one stream (gzip(1) and pigz write them). */
    if (t->stream_end && in_len > 0) {
        isal_inflate_reset(st);
        member_begin(t);
        t->stream_end = 0;
    }
    /* igzip counts in 32 bits: larger buffers are fed in parts. */
    st->next_in = (uint8_t *)(uintptr_t)in;
    st->avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)in_len;
    st->next_out = out;
    st->avail_out = out_cap > UINT32_MAX ? UINT32_MAX : (uint32_t)out_cap;
    uint32_t in_given = st->avail_in, out_given = st->avail_out;
    int rc = ISAL_DECOMP_OK;
    if (t->in_header) {
        rc = isal_read_gzip_header(st, &t->header);
        if (rc == ISAL_DECOMP_OK)
            t->in_header = 0;
        else if (rc == ISAL_END_INPUT)
            rc = ISAL_DECOMP_OK; /* the rest of the header comes with the next input */
    }
    if (!t->stream_end && !t->in_header) {
        rc = isal_inflate(st);
        if (rc == ISAL_DECOMP_OK || rc == ISAL_END_INPUT || rc == ISAL_OUT_OVERFLOW)
            rc = ISAL_DECOMP_OK;
        t->stream_end = st->block_state == ISAL_BLOCK_FINISH;
    }
    *consumed = in_given - st->avail_in;
    *produced = out_given - st->avail_out;
    if (rc != ISAL_DECOMP_OK) {
        snprintf(err, errcap, "gzip data is corrupt: %s",
                 rc == ISAL_INCORRECT_CHECKSUM   ? "CRC or length check failed"
                 : rc == ISAL_INVALID_WRAPPER    ? "not a gzip header"
                 : rc == ISAL_UNSUPPORTED_METHOD ? "unknown compression method"
                                                 : "invalid deflate data");
        return -1;
    }
    if (t->stream_end) {
        *done = finish && *consumed == in_len;
        return 0;
    }
    /* Output room left and nothing more to read: the member never ended. */
    if (finish && *consumed == in_len && st->avail_out > 0) {
        snprintf(err, errcap, "gzip data is truncated");
        return -1;
    }
    return 0;
}
#else
/* Runs zlib over in[0..in_len) into out[0..out_cap); same contract as
 * transform_run's decompressing half. */
static int transform_inflate(transform *t, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out,
                             size_t out_cap, size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    t->z.next_in = (Bytef *)(uintptr_t)in;
    t->z.avail_in = in_len > UINT_MAX ? UINT_MAX : (uInt)in_len;
    t->z.next_out = out;
    t->z.avail_out = out_cap > UINT_MAX ? UINT_MAX : (uInt)out_cap;
    uInt in_given = t->z.avail_in, out_given = t->z.avail_out;
    int rc = zlib_inflate_step(t, finish, done, err, errcap);
    *consumed = in_given - t->z.avail_in;
    *produced = out_given - t->z.avail_out;
    if (rc == 0 && *done && *consumed != in_len)
        *done = 0;
    return rc;
}
#endif

/* Runs the first stage into the middle buffer and the second out of it
 * until the output is full, the input is used up, or the end is reached. */
static int chain_run(transform *t, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
                     size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    *consumed = *produced = 0;
    for (;;) {
        size_t used = 0, made = 0;
        if (!t->first_done && (t->mid_pos > 0 || t->mid_len < TRANSFORM_CHAIN_BUFFER)) {
            memmove(t->mid, t->mid + t->mid_pos, t->mid_len - t->mid_pos);
            t->mid_len -= t->mid_pos;
            t->mid_pos = 0;
            if (transform_run(t->first, in + *consumed, in_len - *consumed, &used, t->mid + t->mid_len,
                              TRANSFORM_CHAIN_BUFFER - t->mid_len, &made, finish, &t->first_done, err, errcap) != 0)
                return -1;
            *consumed += used;
            if (t->mid_hash != NULL)
                digest_hasher_update(t->mid_hash, t->mid + t->mid_len, made);
            t->mid_len += made;
        }
        size_t fed = 0, out_made = 0;
        if (transform_run(t->second, t->mid + t->mid_pos, t->mid_len - t->mid_pos, &fed, out + *produced,
                          out_cap - *produced, &out_made, t->first_done, done, err, errcap) != 0)
            return -1;
        t->mid_pos += fed;
        *produced += out_made;
        if (*done || *produced == out_cap || (used == 0 && made == 0 && fed == 0 && out_made == 0))
            return 0;
    }
}

int transform_run(transform *t, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
                  size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    *done = 0;
    switch (t->kind) {
    case TRANSFORM_GZIP_COMPRESS:
        return gzpar_run(t->gz, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
    case TRANSFORM_ZSTD_COMPRESS:
        return zstd_compress_run(t->zc, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
    case TRANSFORM_ZSTD_CHUNKED_COMPRESS:
        return zstd_chunked_run(t->chunked, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
    case TRANSFORM_ZSTD_DECOMPRESS:
        return unzstd_run(t->zstd, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
    case TRANSFORM_CHAIN:
        return chain_run(t, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
    case TRANSFORM_GZIP_DECOMPRESS:
        break;
    }
    return transform_inflate(t, in, in_len, consumed, out, out_cap, produced, finish, done, err, errcap);
}

json_t *transform_annotations(const transform *t)
{
    if (t->kind == TRANSFORM_CHAIN)
        return transform_annotations(t->second);
    return t->kind == TRANSFORM_ZSTD_CHUNKED_COMPRESS ? zstd_chunked_annotations(t->chunked) : NULL;
}
