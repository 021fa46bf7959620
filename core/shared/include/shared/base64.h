/* shared/base64.h — standard base64 (RFC 4648 §4, padded) as Go's
 * encoding/base64.StdEncoding writes and strictly reads it: used where ferry
 * reproduces Go-written metadata (tar-split payloads, ostree commit
 * metadata); and the URL-safe alphabet (§5) as URLEncoding and, unpadded,
 * RawURLEncoding do, for JOSE signatures (Docker schema 1 manifests). */
#ifndef FERRY_SHARED_BASE64_H
#define FERRY_SHARED_BASE64_H

#include <stddef.h>

#include "shared/strbuf.h"

/* Appends the encoding of p[0..n) to sb (sb->failed on out of memory). */
void base64_append(strbuf *sb, const unsigned char *p, size_t n);

/* Decodes s[0..len) into out, which needs len / 4 * 3 bytes; *outlen gets
 * the count. 0, or -1 when s is not strict padded base64 (a length that is
 * not a multiple of 4, a character outside the alphabet, misplaced '='). */
int base64_decode(const char *s, size_t len, unsigned char *out, size_t *outlen);

/* The same in the URL-safe alphabet; pad 0 leaves out the '=' padding, as
 * JOSE's base64url does. */
void base64url_append(strbuf *sb, const unsigned char *p, size_t n, int pad);

/* base64_decode in the URL-safe alphabet, padding required (Go's
 * URLEncoding); callers add the padding JOSE leaves out. */
int base64url_decode(const char *s, size_t len, unsigned char *out, size_t *outlen);

#endif /* FERRY_SHARED_BASE64_H */
