/* core/shared/base64.c — base64 as Go's encoding/base64 writes and strictly
 * reads it: the standard alphabet (StdEncoding) and the URL-safe one
 * (URLEncoding, and RawURLEncoding's unpadded output, which JOSE uses). */
#include <stdint.h>
#include <string.h>

#include "shared/base64.h"

static const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char base64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void base64_append_with(strbuf *sb, const unsigned char *p, size_t n, const char *alphabet, int pad)
{
    char out[4096];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n || pad)
            out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        if (i + 2 < n || pad)
            out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
        if (o + 4 > sizeof(out)) {
            strbuf_append(sb, out, o);
            o = 0;
        }
    }
    strbuf_append(sb, out, o);
}

void base64_append(strbuf *sb, const unsigned char *p, size_t n)
{
    base64_append_with(sb, p, n, base64_alphabet, 1);
}

void base64url_append(strbuf *sb, const unsigned char *p, size_t n, int pad)
{
    base64_append_with(sb, p, n, base64url_alphabet, pad);
}

/* Strict padded base64 in `alphabet`; out needs len/4*3 bytes. -1 when
 * malformed. */
static int base64_decode_with(const char *s, size_t len, unsigned char *out, size_t *outlen, const char *alphabet)
{
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char c = s[i + k];
            const char *pos = c ? strchr(alphabet, c) : NULL;
            if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                pad++;
                v <<= 6;
            } else if (pos != NULL && pad == 0) {
                v = (v << 6) | (uint32_t)(pos - alphabet);
            } else {
                return -1;
            }
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    *outlen = o;
    return 0;
}

int base64_decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
    return base64_decode_with(s, len, out, outlen, base64_alphabet);
}

int base64url_decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
    return base64_decode_with(s, len, out, outlen, base64url_alphabet);
}
