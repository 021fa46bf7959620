/* core/copy/blob_claims.h — blobs one of several concurrent copies (a sync)
 * is storing in a destination. A copy about to send a blob that another
 * copy is already sending to the same place waits for it and then finds it
 * there (try_reuse_blob), so layers shared by the images of a sync are
 * fetched and sent once. Internally locked; shared by the copies' threads. */
#ifndef FERRY_CORE_BLOB_CLAIMS_H
#define FERRY_CORE_BLOB_CLAIMS_H

typedef struct blob_claims blob_claims;

/* NULL when out of memory (copies then simply do not share). */
blob_claims *blob_claims_new(void);
void blob_claims_free(blob_claims *c);

/* Waits while another holder has (scope, digest), then holds it. scope
 * names the destination the blob goes to (its repository). */
void blob_claims_acquire(blob_claims *c, const char *scope, const char *digest);
/* Gives it back and wakes the copies waiting for it. */
void blob_claims_release(blob_claims *c, const char *scope, const char *digest);

#endif
