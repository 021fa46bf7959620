/* plugins/common/crc64.c — Go's CRC-64/ISO (hash/crc64 with the ISO table),
 * which tar-split records for every file payload. It runs over every byte of
 * every layer written or read, so it must not be the slowest step: ISA-L's
 * folding implementation when ferry is built with libisal, else slicing-by-8
 * tables (eight bytes per step instead of one). */
#include "tarsplit.h"

#include <pthread.h>
#include <string.h>

#ifdef HAVE_ISAL
#include <isa-l/crc64.h>
#endif

#define TARSPLIT_CRC64_ISO_POLY 0xD800000000000000ULL /* reflected x^64 + x^4 + x^3 + x + 1 */

static uint64_t tarsplit_crc64_tab[8][256];
static pthread_once_t tarsplit_crc64_once = PTHREAD_ONCE_INIT;

static void tarsplit_crc64_init(void)
{
    uint64_t (*t)[256] = tarsplit_crc64_tab;
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int j = 0; j < 8; j++)
            c = (c & 1) ? (c >> 1) ^ TARSPLIT_CRC64_ISO_POLY : c >> 1;
        t[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            t[k][i] = t[0][t[k - 1][i] & 0xff] ^ (t[k - 1][i] >> 8);
}

uint64_t tarsplit_crc64_sliced(uint64_t crc, const void *data, size_t len)
{
    pthread_once(&tarsplit_crc64_once, tarsplit_crc64_init);
    const uint64_t (*t)[256] = (const uint64_t (*)[256])tarsplit_crc64_tab;
    const unsigned char *p = data;
    crc = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        crc ^= v;
        crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff] ^
              t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
    }
    for (; len > 0; p++, len--)
        crc = t[0][(uint8_t)crc ^ *p] ^ (crc >> 8);
    return ~crc;
}

uint64_t tarsplit_crc64(uint64_t crc, const void *data, size_t len)
{
#ifdef HAVE_ISAL
    /* ISA-L inverts the seed and the result as Go's crc64.Update does. */
    return crc64_iso_refl(crc, data, (uint64_t)len);
#else
    return tarsplit_crc64_sliced(crc, data, len);
#endif
}
