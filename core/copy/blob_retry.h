/* core/copy/blob_retry.h — per-blob retries: when a layer fails with a
 * transient error (a network error, HTTP 408, 429 or 5xx), only that layer
 * is copied again, a bounded number of times with exponential backoff;
 * --retry-times keeps retrying whole operations on top of this. */
#ifndef FERRY_CORE_BLOB_RETRY_H
#define FERRY_CORE_BLOB_RETRY_H

#include <signal.h>

#include <ferry/stream.h>

/* Attempts per layer, the first included. */
#define BLOB_RETRY_ATTEMPTS 3

/* 1 when a layer whose attempt number `attempt` (1-based) failed with
 * `status` gets another attempt: the status is FERRY_ERR_TRANSIENT (digest
 * mismatches, 4xx other than 408/429, local errors never are) and attempts
 * are left. */
int blob_retry_wanted(int status, int attempt);

/* Waits the backoff before attempt number `attempt` + 1 (0.5 s, then twice
 * as long each time), then warns on stderr (`message` is the failure) and
 * returns 1. Returns 0, silently, when the wait was cut short by cancellation
 * or *aborted (another layer failed for good): the failure then stands. */
int blob_retry_pause(const ferry_ctx *ctx, const char *message, int attempt, volatile sig_atomic_t *aborted);

#endif
