/* core/copy/zstd_chunked_rollsum.c — where containers/storage's
 * compressor ends the chunks of a file's data (zstd_chunked_internal.h):
 * bup's rolling checksum over the bytes, its holesFinder's runs of zeros. The
 * per-byte loop lives here, next to the sum it rolls. */
#include "copy/zstd_chunked_internal.h"

#include <string.h>

#define ZC_CHAR_OFFSET 31 /* rollsum.go's charOffset */

void zstd_chunked_rollsum_init(zstd_chunked_rollsum *rs)
{
    memset(rs, 0, sizeof(*rs));
    rs->s1 = ZSTD_CHUNKED_WINDOW * ZC_CHAR_OFFSET;
    rs->s2 = ZSTD_CHUNKED_WINDOW * (ZSTD_CHUNKED_WINDOW - 1) * ZC_CHAR_OFFSET;
}

/* Rolls one byte in; 1 when a chunk ends after it. */
int zstd_chunked_roll(zstd_chunked_rollsum *rs, uint8_t ch)
{
    uint32_t drop = rs->window[rs->wofs];
    rs->s1 = rs->s1 + ch - drop;
    rs->s2 += rs->s1 - (uint32_t)ZSTD_CHUNKED_WINDOW * (drop + ZC_CHAR_OFFSET);
    rs->window[rs->wofs] = ch;
    rs->wofs = (rs->wofs + 1) & (ZSTD_CHUNKED_WINDOW - 1);
    uint32_t mask = (1u << ZSTD_CHUNKED_ROLLSUM_BITS) - 1;
    return (rs->s2 & mask) == mask;
}

/* Rolls n zeros in (a hole). Once the window holds only zeros the sums stay
 * put and only the window position moves. */
void zstd_chunked_roll_zeros(zstd_chunked_rollsum *rs, uint64_t n)
{
    uint64_t i = 0;
    for (; i < n && i < ZSTD_CHUNKED_WINDOW; i++)
        zstd_chunked_roll(rs, 0);
    rs->wofs = (unsigned)((rs->wofs + (n - i)) & (ZSTD_CHUNKED_WINDOW - 1));
}

/* Rolls in the data between the chunk's boundaries; see the header. */
size_t zstd_chunked_scan_data(zstd_chunked_rollsum *rs, const uint8_t *p, size_t lim, int at_end)
{
    size_t n = 0;
    rs->split = 0;
    while (n < lim && !rs->split) {
        if (p[n] != 0) {
            rs->split = zstd_chunked_roll(rs, p[n++]);
            continue;
        }
        size_t z = n;
        while (z < lim && p[z] == 0 && z - n < ZSTD_CHUNKED_HOLE_MIN)
            z++;
        if (z - n >= ZSTD_CHUNKED_HOLE_MIN || (z == lim && !at_end))
            break;
        while (n < z && !rs->split)
            rs->split = zstd_chunked_roll(rs, p[n++]);
    }
    return n;
}
