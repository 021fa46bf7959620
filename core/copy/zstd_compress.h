/* core/copy/zstd_compress.h — streaming zstd compression through libzstd,
 * with transform_run's contract (compress.h), for --dest-compress-format
 * zstd. libzstd's own worker threads compress (ZSTD_c_nbWorkers, as zstd -T
 * does) in jobs of a fixed 1 MiB, so the bytes depend only on the input and
 * the level, never on the number of workers (libzstd's guarantee for
 * nbWorkers >= 1). Memory is libzstd's per-stream buffers, about a job in and
 * out per worker plus the window, whatever the data size. */
#ifndef FERRY_CORE_ZSTD_COMPRESS_H
#define FERRY_CORE_ZSTD_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* containers/image's default zstd level. */
#define ZSTD_COMPRESS_DEFAULT_LEVEL 3

typedef struct zstd_compress zstd_compress;

/* A stream compressing at `level` (libzstd clamps it to its range; 0 means
 * libzstd's default, 3) with `workers` worker threads (at least 1). NULL when
 * out of memory. */
zstd_compress *zstd_compress_new(int level, unsigned workers);
void zstd_compress_free(zstd_compress *z);
/* transform_run's compressing contract: one zstd frame holding all input. */
int zstd_compress_run(zstd_compress *z, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out,
                      size_t out_cap, size_t *produced, int finish, int *done, char *err, size_t errcap);

#endif
