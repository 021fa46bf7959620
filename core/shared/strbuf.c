/* core/shared/strbuf.c — growable byte buffer. */
#include "shared/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int strbuf_reserve(strbuf *sb, size_t extra)
{
    if (sb->failed)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (p == NULL) {
        sb->failed = 1;
        return -1;
    }
    sb->data = p;
    sb->cap = cap;
    return 0;
}

int strbuf_append(strbuf *sb, const void *data, size_t len)
{
    if (strbuf_reserve(sb, len) != 0)
        return -1;
    if (len > 0)
        memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
    return 0;
}

int strbuf_puts(strbuf *sb, const char *s)
{
    return strbuf_append(sb, s, strlen(s));
}

int strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || strbuf_reserve(sb, (size_t)n) != 0)
        return -1;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

int strbuf_put_rune(strbuf *sb, unsigned r)
{
    unsigned char b[4];
    size_t n = r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    /* continuation bytes from the last backwards, six bits each */
    for (size_t i = n - 1; i > 0; i--, r >>= 6)
        b[i] = (unsigned char)(0x80 | (r & 0x3F));
    b[0] = (unsigned char)(lead[n] | r);
    return strbuf_append(sb, b, n);
}

char *strbuf_detach(strbuf *sb, size_t *len)
{
    if (sb->failed) {
        strbuf_release(sb);
        return NULL;
    }
    if (sb->data == NULL && strbuf_reserve(sb, 0) != 0)
        return NULL;
    if (sb->len == 0)
        sb->data[0] = '\0';
    char *out = sb->data;
    if (len != NULL)
        *len = sb->len;
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return out;
}

void strbuf_release(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}
