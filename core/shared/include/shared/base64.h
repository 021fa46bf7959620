/* shared/base64.h — standard base64 (RFC 4648 §4, padded) as Go's
 * encoding/base64.StdEncoding writes and strictly reads it: used where ferry
 * reproduces Go-written metadata (tar-split payloads, ostree commit
 * metadata). */
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

#endif /* FERRY_SHARED_BASE64_H */
