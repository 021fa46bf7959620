/* core/copy/blob_retry.c — the retry policy of one layer (blob_retry.h). */
#include "copy/blob_retry.h"

#include <stdio.h>
#include <time.h>

#include "plugin/context.h"

#define BLOB_RETRY_FIRST_DELAY 0.5 /* seconds */
#define BLOB_RETRY_STEP 0.05       /* the wait polls cancellation this often */

int blob_retry_wanted(int status, int attempt)
{
    return status == FERRY_ERR_TRANSIENT && attempt < BLOB_RETRY_ATTEMPTS;
}

int blob_retry_pause(const ferry_ctx *ctx, const char *message, int attempt, volatile sig_atomic_t *aborted)
{
    double wait = BLOB_RETRY_FIRST_DELAY;
    for (int i = 1; i < attempt; i++)
        wait *= 2;
    double end = ctx_now() + wait;
    for (double left = wait; left > 0; left = end - ctx_now()) {
        if (ctx_cancelled(ctx) || *aborted)
            return 0;
        double step = left < BLOB_RETRY_STEP ? left : BLOB_RETRY_STEP;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
    if (ctx_cancelled(ctx) || *aborted)
        return 0;
    /* Said after the pause, only when the retry really happens: a copy that
     * another layer's permanent error ended meanwhile stays one line. */
    fprintf(stderr, "ferry: warning: %s; retrying the blob after %gs (attempt %d of %d)\n", message, wait,
            attempt + 1, BLOB_RETRY_ATTEMPTS);
    return 1;
}
