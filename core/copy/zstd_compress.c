/* core/copy/zstd_compress.c — zstd compression for the blob pipeline
 * (zstd_compress.h): one ZSTD_CCtx per layer driven by
 * ZSTD_compressStream2. Until the caller says the input is over, the context
 * is fed with ZSTD_e_continue; then ZSTD_e_end is repeated until it reports
 * nothing left to flush. */
#include "copy/zstd_compress.h"

#include <stdio.h>
#include <stdlib.h>

#include <zstd.h>

/* Each worker holds about a job of input and its compressed form: 1 MiB
 * jobs keep a layer's stream near 8 MiB where the default (8 MiB jobs at
 * level 3) took ~35 MiB, for 0.005 % larger output on the P6 image
 * (doc/performance.md). Fixed, because the bytes depend on it. */
#define ZSTD_COMPRESS_JOB_SIZE (1024 * 1024)

struct zstd_compress {
    ZSTD_CCtx *c;
    int ended; /* the frame's epilogue was fully flushed */
};

zstd_compress *zstd_compress_new(int level, unsigned workers)
{
    zstd_compress *z = calloc(1, sizeof(*z));
    if (z == NULL)
        return NULL;
    z->c = ZSTD_createCCtx();
    if (z->c == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 1))) {
        zstd_compress_free(z);
        return NULL;
    }
    /* A libzstd built without threads refuses workers and compresses on the
     * caller's thread (other bytes, but always the same for that build). */
    if (!ZSTD_isError(ZSTD_CCtx_setParameter(z->c, ZSTD_c_nbWorkers, (int)(workers < 1 ? 1 : workers))))
        ZSTD_CCtx_setParameter(z->c, ZSTD_c_jobSize, ZSTD_COMPRESS_JOB_SIZE);
    return z;
}

void zstd_compress_free(zstd_compress *z)
{
    if (z == NULL)
        return;
    ZSTD_freeCCtx(z->c);
    free(z);
}

int zstd_compress_run(zstd_compress *z, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out,
                      size_t out_cap, size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    ZSTD_inBuffer ib = {in, in_len, 0};
    ZSTD_outBuffer ob = {out, out_cap, 0};
    *done = 0;
    if (!z->ended) {
        size_t left = ZSTD_compressStream2(z->c, &ob, &ib, finish ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left)) {
            snprintf(err, errcap, "zstd compression failed: %s", ZSTD_getErrorName(left));
            *consumed = ib.pos;
            *produced = ob.pos;
            return -1;
        }
        z->ended = finish && left == 0 && ib.pos == in_len;
    }
    *consumed = ib.pos;
    *produced = ob.pos;
    *done = z->ended;
    return 0;
}
