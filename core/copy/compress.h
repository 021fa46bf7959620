/* core/copy/compress.h — streaming gzip compression and decompression used
 * when a destination wants layers in another form than the source has them.
 * Compression is parallel and reproducible (gzpar.h); decompression is one
 * inflate stream (ISA-L igzip, or zlib when built without ISA-L), reading
 * concatenated gzip members as one, or one zstd stream (unzstd.h). Memory is fixed per stream, whatever the
 * data size. */
#ifndef FERRY_CORE_COMPRESS_H
#define FERRY_CORE_COMPRESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "copy/gzpar.h"
#include "image/digest.h"

typedef struct transform transform;

typedef enum transform_kind {
    TRANSFORM_GZIP_COMPRESS,
    TRANSFORM_GZIP_DECOMPRESS,
    TRANSFORM_ZSTD_DECOMPRESS, /* unzstd.c */
    TRANSFORM_ZSTD_COMPRESS,   /* zstd_compress.c */
    TRANSFORM_CHAIN,           /* transform_chain: two stages, e.g. gunzip then zstd */
    TRANSFORM_ZSTD_CHUNKED_COMPRESS, /* zstd_chunked.c: a tar stream in, zstd:chunked out */
} transform_kind;

/* The compressor's default level: ferry's reproducible gzip (gzpar.h), zstd 3. */
#define TRANSFORM_LEVEL_DEFAULT (-1000)
/* Bytes between the two stages of a chain. */
#define TRANSFORM_CHAIN_BUFFER (256 * 1024)

/* A single stage (not TRANSFORM_CHAIN). NULL when out of memory. gzip
 * compression runs its blocks on `pool` (may be NULL: on the caller's
 * thread); zstd compression uses libzstd's own workers; decompression ignores
 * both. */
transform *transform_new(transform_kind kind, gzpar_pool *pool);
/* The same at compression level `level` (TRANSFORM_LEVEL_DEFAULT, or a gzip
 * level -2..9 (gzpar.h), or a zstd level); decompression ignores it. */
transform *transform_new_level(transform_kind kind, gzpar_pool *pool, int level);
/* `first`'s output is `second`'s input (a decompressor then a compressor
 * recompresses). Takes ownership of both, even when it fails (NULL: out of
 * memory). */
transform *transform_chain(transform *first, transform *second);
/* Hashes the bytes passing between a chain's two stages (a recompressed
 * layer's uncompressed bytes, whose digest is its DiffID) with `hasher`,
 * which the chain then owns. 0, or -1 when `chain` is no chain (the hasher is
 * freed then too). */
int transform_chain_hash_middle(transform *chain, digest_hasher *hasher);
/* That digest, "ALG:HEX" into out (DIGEST_MAX_LEN), once the chain is done.
 * 0, or -1 when nothing was hashed or the chain is not done. */
int transform_chain_middle_digest(transform *chain, char *out, size_t cap);
void transform_free(transform *t);

/* The annotations the output's descriptor must carry (zstd:chunked's table
 * of contents position and checksum), once the transform is done: a new
 * reference the caller releases, or NULL when it has none. A chain gives its
 * second stage's. */
json_t *transform_annotations(const transform *t);

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
