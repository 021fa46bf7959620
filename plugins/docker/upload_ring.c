/* plugins/docker/upload_ring.c — a bounded ring of a stream's last bytes
 * (upload_ring.h). */
#include "upload_ring.h"

#include <stdlib.h>
#include <string.h>

#define DOCKER_RING_MIN (64 * 1024)

int docker_ring_keep(docker_ring *r, const void *data, size_t n)
{
    const char *bytes = data;
    if (n == 0)
        return 0;
    /* Below its maximum size the ring holds its bytes at [0, len) (head may
     * have come round to 0 when they filled it exactly): it wraps only once
     * it has its maximum size. */
    if (r->len + n > r->cap && r->cap < r->max) {
        size_t want = r->cap * 2 > r->len + n ? r->cap * 2 : r->len + n;
        want = want < DOCKER_RING_MIN ? DOCKER_RING_MIN : want;
        want = want > r->max ? r->max : want;
        char *grown = realloc(r->buf, want);
        if (grown == NULL)
            return -1;
        r->buf = grown;
        r->cap = want;
        r->head = r->len;
    }
    r->total += n;
    if (n >= r->cap) {
        memcpy(r->buf, bytes + n - r->cap, r->cap);
        r->head = 0;
        r->len = r->cap;
        return 0;
    }
    size_t first = r->cap - r->head < n ? r->cap - r->head : n;
    memcpy(r->buf + r->head, bytes, first);
    memcpy(r->buf, bytes + first, n - first);
    r->head = (r->head + n) % r->cap;
    r->len = r->len + n > r->cap ? r->cap : r->len + n;
    return 0;
}

static void docker_ring_reverse(char *p, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        char c = p[i];
        p[i] = p[j - 1];
        p[j - 1] = c;
    }
}

const char *docker_ring_linear(docker_ring *r)
{
    /* Only a full ring wraps; it is rotated left by head, by three reversals. */
    if (r->len == r->cap && r->head != 0) {
        docker_ring_reverse(r->buf, r->head);
        docker_ring_reverse(r->buf + r->head, r->cap - r->head);
        docker_ring_reverse(r->buf, r->cap);
        r->head = 0;
    }
    return r->buf;
}

void docker_ring_free(docker_ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->len = r->head = 0;
}
