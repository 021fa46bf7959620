/* core/copy/compress.h — streaming gzip compression and decompression used
 * when a destination wants layers in another form than the source has them.
 * Compression is parallel and reproducible (gzpar.h); decompression is one
 * inflate stream (ISA-L igzip, or zlib when built without ISA-L), reading
 * concatenated gzip members as one, or one zstd stream (unzstd.h). Memory is fixed per stream, whatever the
 * data size. */
#ifndef FERRY_CORE_COMPRESS_H
#define FERRY_CORE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "copy/gzpar.h"

typedef struct transform transform;

typedef enum transform_kind {
    TRANSFORM_GZIP_COMPRESS,
    TRANSFORM_GZIP_DECOMPRESS,
    TRANSFORM_ZSTD_DECOMPRESS, /* unzstd.c */
} transform_kind;

/* NULL when out of memory. Compression runs its blocks on `pool` (may be
 * NULL: on the caller's thread); decompression ignores it. */
transform *transform_new(transform_kind kind, gzpar_pool *pool);
void transform_free(transform *t);

/* Feeds in[0..in_len) (may be 0) and writes up to out_cap bytes. *consumed and
 * *produced say how much was used. `finish` says no more input follows; *done
 * becomes 1 when all output was produced after finish. Returns 0, or -1 with a
 * message in err (corrupt compressed data, truncated stream). */
int transform_run(transform *t, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
                  size_t *produced, int finish, int *done, char *err, size_t errcap);

/* 1 when the bytes start like a gzip stream. */
int compress_is_gzip(const uint8_t *data, size_t len);

/* How many leading bytes compress_detect looks at. */
#define COMPRESS_DETECT_BYTES 6

/* The compression a stream's first bytes announce, by the magic numbers
 * containers/image checks: "gzip", "bzip2", "xz" or "zstd"; NULL when none
 * matches (the bytes are taken as uncompressed). */
const char *compress_detect(const uint8_t *data, size_t len);

#endif
