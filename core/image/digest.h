/* core/image/digest.h — content digests ("sha256:<hex>"): validation before a
 * digest becomes a path or URL, and incremental hashing with OpenSSL. */
#ifndef FERRY_CORE_DIGEST_H
#define FERRY_CORE_DIGEST_H

#include <stddef.h>

#define DIGEST_MAX_LEN 136 /* "sha512:" + 128 hex + NUL, rounded up */

/* 1 when `digest` is ALG:HEX with ALG sha256 or sha512 and exactly the
 * algorithm's number of lowercase hex digits, else 0. */
int digest_is_valid(const char *digest);

/* The hex part of a valid digest. */
const char *digest_hex(const char *digest);

typedef struct digest_hasher digest_hasher;

/* NULL for an unknown algorithm or when out of memory. */
digest_hasher *digest_hasher_new(const char *algorithm);
/* Algorithm of a valid digest string, for hashing bytes to compare with it. */
digest_hasher *digest_hasher_for(const char *digest);
void digest_hasher_update(digest_hasher *h, const void *data, size_t len);
/* Writes "ALG:HEX"; the hasher may not be updated afterwards. 0 or -1. */
int digest_hasher_final(digest_hasher *h, char *out, size_t cap);
void digest_hasher_free(digest_hasher *h);

/* sha256 of a buffer into out (DIGEST_MAX_LEN). 0 or -1. */
int digest_sha256(const void *data, size_t len, char *out, size_t cap);

#endif
