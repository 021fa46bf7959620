/* plugins/docker/upload_ring.h — the last bytes of a streamed upload, kept
 * so that they can be sent again after a connection failure (upload.c): a
 * ring buffer that grows up to a maximum, then overwrites its oldest bytes.
 * Memory stays bounded by the maximum whatever the stream's length. */
#ifndef FERRY_PLUGIN_DOCKER_UPLOAD_RING_H
#define FERRY_PLUGIN_DOCKER_UPLOAD_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct docker_ring {
    size_t max;            /* set before use: the most bytes kept */
    char *buf;             /* NULL until the first byte */
    size_t cap, len, head; /* allocated; bytes held; where the next byte goes */
    uint64_t total;        /* bytes ever kept: the stream offset of the next one */
} docker_ring;

/* Appends n bytes as the newest; 0, or -1 when out of memory (nothing
 * changed then). */
int docker_ring_keep(docker_ring *r, const void *data, size_t n);

/* The r->len bytes held, oldest first: stream offsets [total - len, total).
 * May move bytes (in place); valid until the next keep. */
const char *docker_ring_linear(docker_ring *r);

void docker_ring_free(docker_ring *r);

#endif
