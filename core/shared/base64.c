/* core/shared/base64.c — padded standard base64, written and strictly read
 * as Go's StdEncoding does. */
#include <stdint.h>
#include <string.h>

#include "shared/base64.h"

static const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_append(strbuf *sb, const unsigned char *p, size_t n)
{
    char out[4096];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = base64_alphabet[v >> 18];
        out[o++] = base64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? base64_alphabet[v & 63] : '=';
        if (o == sizeof(out)) {
            strbuf_append(sb, out, o);
            o = 0;
        }
    }
    strbuf_append(sb, out, o);
}

/* Strict standard base64 (padding required) as Go's StdEncoding decodes it;
 * out needs len/4*3 bytes. -1 when malformed. */
int base64_decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char c = s[i + k];
            const char *pos = c ? strchr(base64_alphabet, c) : NULL;
            if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                pad++;
                v <<= 6;
            } else if (pos != NULL && pad == 0) {
                v = (v << 6) | (uint32_t)(pos - base64_alphabet);
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
