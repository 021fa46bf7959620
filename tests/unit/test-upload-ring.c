/* tests/unit/test-upload-ring.c — the docker module's upload ring
 * (plugins/docker/upload_ring.c): after any sequence of appends, the bytes
 * it holds are exactly the stream's last min(total, max) bytes, in order,
 * also once it wrapped and after being linearised in the middle of a
 * stream; it never holds more than its maximum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "upload_ring.h"

/* Byte i of the test stream. */
static char stream_byte(uint64_t i)
{
    return (char)((i * 2654435761u) >> 13);
}

/* 1 when the ring holds exactly the stream's last bytes. */
static int ring_matches(docker_ring *r, size_t max)
{
    size_t want = r->total < max ? (size_t)r->total : max;
    if (r->len != want || r->cap > max)
        return 0;
    const char *held = docker_ring_linear(r);
    for (size_t k = 0; k < r->len; k++)
        if (held[k] != stream_byte(r->total - r->len + k))
            return 0;
    return 1;
}

/* Feeds `steps` appends of sizes from `sizes` (cycled); checks after each
 * (linearising then, or only at the end when check_each is 0). */
static int run(size_t max, const size_t *sizes, size_t n_sizes, size_t steps, int check_each)
{
    docker_ring r = {.max = max};
    char *piece = malloc(max * 3 + 1);
    int good = piece != NULL;
    uint64_t pos = 0;
    for (size_t s = 0; good && s < steps; s++) {
        size_t n = sizes[s % n_sizes];
        for (size_t k = 0; k < n; k++)
            piece[k] = stream_byte(pos + k);
        good = docker_ring_keep(&r, piece, n) == 0;
        pos += n;
        if (good && check_each)
            good = ring_matches(&r, max);
    }
    good = good && r.total == pos && ring_matches(&r, max);
    docker_ring_free(&r);
    free(piece);
    return good;
}

int main(void)
{
    tap_plan(8);
    const size_t max = 256 * 1024;
    const size_t small[] = {1, 7, 4096, 65536, 100003};
    tap_ok(run(max, small, 5, 3, 1), "shorter than the maximum: every byte, in order");
    tap_ok(run(max, small, 5, 40, 0), "wrapped many times: the last max bytes, in order");
    tap_ok(run(max, small, 5, 40, 1), "linearised after every append: still the last bytes");
    const size_t fill[] = {65536, 65536, 100};
    tap_ok(run(max, fill, 3, 7, 1), "filled exactly at each size before it grows");
    const size_t big[] = {max - 1, 3, max + 5, 17};
    tap_ok(run(max, big, 4, 12, 1), "appends about the maximum's size and over it");
    const size_t exact[] = {max};
    tap_ok(run(max, exact, 1, 3, 1), "appends of exactly the maximum");
    const size_t zero[] = {0, 5, 0};
    tap_ok(run(max, zero, 3, 9, 1), "empty appends change nothing");
    docker_ring r = {.max = max};
    tap_ok(docker_ring_keep(&r, "", 0) == 0 && r.len == 0 && r.total == 0, "an empty ring holds nothing");
    docker_ring_free(&r);
    return tap_done();
}
