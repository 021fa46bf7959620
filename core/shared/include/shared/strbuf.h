/* core/shared/include/shared/strbuf.h — a growable byte buffer, used wherever
 * output is assembled piece by piece (manifests, templates, messages). */
#ifndef FERRY_SHARED_STRBUF_H
#define FERRY_SHARED_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
    int failed; /* an allocation failed; later appends are no-ops */
} strbuf;

#define STRBUF_INIT {NULL, 0, 0, 0}

int strbuf_append(strbuf *sb, const void *data, size_t len);
int strbuf_puts(strbuf *sb, const char *s);
int strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap);
/* Appends the UTF-8 encoding of the code point r (r <= 0x10FFFF). */
int strbuf_put_rune(strbuf *sb, unsigned r);
/* Returns the malloc'd contents (never NULL unless failed) and resets sb. */
char *strbuf_detach(strbuf *sb, size_t *len);
void strbuf_release(strbuf *sb);

#endif
