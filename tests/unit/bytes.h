/* tests/unit/bytes.h — a growable byte buffer for the unit tests; aborts
 * when memory runs out (a test has no use for recovering). */
#ifndef FERRY_TESTS_UNIT_BYTES_H
#define FERRY_TESTS_UNIT_BYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* data is the caller's to free(). */
typedef struct bytes {
    uint8_t *data;
    size_t len, cap;
} bytes;

static inline void bytes_add(bytes *b, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc(b->data, b->cap);
        if (b->data == NULL)
            abort();
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

#endif
