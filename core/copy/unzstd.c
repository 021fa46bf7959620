/* core/copy/unzstd.c — zstd decompression for the blob pipeline (unzstd.h):
 * one ZSTD_DStream per layer. A frame ends when ZSTD_decompressStream
 * returns 0; input after it starts another frame. At the end of the input
 * the last frame must have ended: anything else is a truncated layer. */
#include "copy/unzstd.h"

#include <stdio.h>
#include <stdlib.h>

#include <zstd.h>

/* zstd's own default limit for streams (ZSTD_WINDOWLOG_LIMIT_DEFAULT is 27):
 * a larger window is a memory bomb, not a layer. */
#define UNZSTD_WINDOW_LOG_MAX 27

struct unzstd {
    ZSTD_DStream *d;
    size_t last;     /* the last ZSTD_decompressStream result: 0 after a whole frame */
    int started;     /* some input was seen */
};

unzstd *unzstd_new(void)
{
    unzstd *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->d = ZSTD_createDStream();
    if (u->d == NULL || ZSTD_isError(ZSTD_initDStream(u->d)) ||
        ZSTD_isError(ZSTD_DCtx_setParameter(u->d, ZSTD_d_windowLogMax, UNZSTD_WINDOW_LOG_MAX))) {
        ZSTD_freeDStream(u->d);
        free(u);
        return NULL;
    }
    u->last = 1;
    return u;
}

void unzstd_free(unzstd *u)
{
    if (u == NULL)
        return;
    ZSTD_freeDStream(u->d);
    free(u);
}

int unzstd_run(unzstd *u, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
               size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    ZSTD_inBuffer ib = {in, in_len, 0};
    ZSTD_outBuffer ob = {out, out_cap, 0};
    *done = 0;
    if (in_len > 0)
        u->started = 1;
    /* Between frames with no input there is nothing to do (and a call would
     * report "needs input" rather than 0). */
    if (!(u->last == 0 && in_len == 0)) {
        size_t rc = ZSTD_decompressStream(u->d, &ob, &ib);
        if (ZSTD_isError(rc)) {
            snprintf(err, errcap, "zstd data is corrupt: %s", ZSTD_getErrorName(rc));
            *consumed = ib.pos;
            *produced = ob.pos;
            return -1;
        }
        u->last = rc;
    }
    *consumed = ib.pos;
    *produced = ob.pos;
    if (finish && ib.pos == in_len) {
        if (u->last == 0 && u->started) {
            *done = 1;
        } else if (ob.pos < out_cap) { /* room left, no input left, frame not over */
            snprintf(err, errcap, "zstd data is truncated");
            return -1;
        }
    }
    return 0;
}
