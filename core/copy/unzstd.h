/* core/copy/unzstd.h — streaming zstd decompression through libzstd, with
 * transform_run's contract (compress.h), for layers labelled
 * tar+zstd that a destination wants uncompressed (containers-storage,
 * docker-archive, dir with --dest-decompress) and for their DiffID
 * checks. Concatenated frames are one stream, as zstd(1) reads them. Memory
 * is libzstd's window buffer, bounded by the frame's window size (refused
 * over 128 MiB), whatever the data size. */
#ifndef FERRY_CORE_UNZSTD_H
#define FERRY_CORE_UNZSTD_H

#include <stddef.h>
#include <stdint.h>

typedef struct unzstd unzstd;

/* NULL when out of memory. */
unzstd *unzstd_new(void);
void unzstd_free(unzstd *u);
/* transform_run's decompressing contract. */
int unzstd_run(unzstd *u, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
               size_t *produced, int finish, int *done, char *err, size_t errcap);

#endif
