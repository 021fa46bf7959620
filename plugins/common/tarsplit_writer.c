/* plugins/common/tarsplit_writer.c — the tar-split writer: gzip'd JSON lines
 * byte for byte as vbatts/tar-split's JSONPacker encodes them (type 2 raw
 * segments, type 1 file entries), and Go's archive/tar view of an entry's raw
 * header blocks (PAX and GNU long names), from which the recorder takes the
 * names it writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "plugin_util.h"
#include "shared/base64.h"
#include "shared/fsutil.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"
#include "tarsplit.h"

#define TARSPLIT_WRITER_IO (64 * 1024)

/* ---- Go's view of the header blocks -------------------------------------- */

/* A numeric header field: octal (spaces and NULs around it) or base-256. */
static int64_t tarsplit_tar_num(const unsigned char *p, size_t n)
{
    int64_t v = 0;
    if (p[0] & 0x80) {
        v = p[0] & 0x3f;
        for (size_t i = 1; i < n; i++)
            v = v << 8 | p[i];
        return v;
    }
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == 0))
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
        v = v * 8 + (p[i] - '0');
    return v;
}

static char *tarsplit_tar_str(const unsigned char *p, size_t n)
{
    const unsigned char *z = memchr(p, 0, n);
    return strndup((const char *)p, z ? (size_t)(z - p) : n);
}

/* The "path" and "linkpath" records of a PAX extended header. */
static int tarsplit_pax(const unsigned char *p, size_t n, char **path, char **link)
{
    while (n > 0) {
        size_t len = 0, i = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            len = len * 10 + (size_t)(p[i++] - '0');
        if (i == n || p[i] != ' ' || len <= i + 1 || len > n || p[len - 1] != '\n')
            return -1;
        const unsigned char *kv = p + i + 1, *eq = memchr(kv, '=', len - i - 2);
        if (eq == NULL)
            return -1;
        size_t klen = (size_t)(eq - kv), vlen = (size_t)(p + len - 1 - (eq + 1));
        char **dst = klen == 4 && !memcmp(kv, "path", 4) ? path : klen == 8 && !memcmp(kv, "linkpath", 8) ? link : NULL;
        if (dst != NULL && vlen > 0) { /* Go's mergePAX ignores empty values */
            free(*dst);
            if ((*dst = strndup((const char *)eq + 1, vlen)) == NULL)
                return -1;
        }
        p += len;
        n -= len;
    }
    return 0;
}

int tarsplit_parse_hdrs(const unsigned char *seg, size_t len, size_t first, tarsplit_hdr *h)
{
    char *pax_path = NULL, *pax_link = NULL, *gnu_name = NULL, *gnu_link = NULL;
    int rc = -1;
    size_t off = first;
    while (off + 512 <= len) {
        const unsigned char *b = seg + off;
        char type = (char)b[156];
        int64_t size = tarsplit_tar_num(b + 124, 12);
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
            size_t span = 512 + (((size_t)size + 511) & ~(size_t)511);
            if (size < 0 || off + span > len || span < (size_t)size)
                break;
            char **dst = type == 'L' ? &gnu_name : type == 'K' ? &gnu_link : NULL;
            if (type == 'x' && tarsplit_pax(b + 512, (size_t)size, &pax_path, &pax_link) != 0)
                break;
            if (dst != NULL) {
                free(*dst);
                *dst = tarsplit_tar_str(b + 512, (size_t)size);
            }
            off += span;
            continue;
        }
        if (off + 512 != len)
            break;
        h->type = type;
        h->name = tarsplit_tar_str(b, 100);
        h->link = tarsplit_tar_str(b + 157, 100);
        if (h->name && !memcmp(b + 257, "ustar\0", 6)) {
            size_t plen = !memcmp(b + 508, "tar\0", 4) ? 131 : 155; /* STAR's prefix is shorter */
            char *prefix = tarsplit_tar_str(b + 345, plen);
            if (prefix && *prefix) {
                char *full = plugin_util_printf("%s/%s", prefix, h->name);
                free(h->name);
                h->name = full;
            }
            free(prefix);
        }
        char *over[2][2] = {{pax_path, gnu_name}, {pax_link, gnu_link}};
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 2; j++) {
                char **dst = k ? &h->link : &h->name;
                if (over[k][j] && *over[k][j]) {
                    free(*dst);
                    *dst = strdup(over[k][j]);
                }
            }
        }
        size_t nl = h->name ? strlen(h->name) : 0;
        if (h->type == '\0')
            h->type = nl > 0 && h->name[nl - 1] == '/' ? '5' : '0';
        rc = h->name && h->link ? 0 : -1;
        break;
    }
    free(pax_path);
    free(pax_link);
    free(gnu_name);
    free(gnu_link);
    return rc;
}

/* ---- the writer ------------------------------------------------------------ */

/* utf8.ValidString: every sequence decodes, none to the U+FFFD of an error. */
static int tarsplit_valid_utf8(const char *s, size_t n)
{
    while (n > 0) {
        unsigned rune;
        size_t l = gojson_utf8_decode((const unsigned char *)s, n, &rune);
        if (rune == 0xFFFD && l == 1)
            return 0;
        s += l;
        n -= l;
    }
    return 1;
}

struct tarsplit_writer {
    int fd;
    int64_t position;
    z_stream z;
    unsigned char out[TARSPLIT_WRITER_IO];
};

tarsplit_writer *tarsplit_writer_new(int fd)
{
    tarsplit_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->fd = fd;
    /* BestSpeed like containers/storage's pgzip writer; the gzip bytes differ
     * anyway, the JSON lines inside are what readers compare. */
    if (deflateInit2(&w->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    return w;
}

static int tarsplit_deflate(tarsplit_writer *w, const void *data, size_t len, int flush)
{
    w->z.next_in = (unsigned char *)(uintptr_t)data;
    w->z.avail_in = (uInt)len;
    for (;;) {
        w->z.next_out = w->out;
        w->z.avail_out = sizeof(w->out);
        int rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR) {
            errno = EIO;
            return -1;
        }
        size_t have = sizeof(w->out) - w->z.avail_out;
        if (have > 0 && fs_write_all(w->fd, w->out, have) != 0)
            return -1;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : (w->z.avail_in == 0 && w->z.avail_out != 0))
            return 0;
    }
}

static int tarsplit_line(tarsplit_writer *w, strbuf *sb)
{
    strbuf_printf(sb, ",\"position\":%lld}\n", (long long)w->position);
    int rc = -1;
    if (sb->failed)
        errno = ENOMEM;
    else
        rc = tarsplit_deflate(w, sb->data, sb->len, Z_NO_FLUSH);
    strbuf_release(sb);
    if (rc == 0)
        w->position++;
    return rc;
}

int tarsplit_write_segment(tarsplit_writer *w, const void *data, size_t len)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"type\":2,\"payload\":\"");
    base64_append(&sb, data, len);
    strbuf_puts(&sb, "\"");
    return tarsplit_line(w, &sb);
}

int tarsplit_write_file(tarsplit_writer *w, const char *name, size_t namelen, int64_t size, uint64_t crc)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"type\":1");
    if (namelen > 0 && tarsplit_valid_utf8(name, namelen)) {
        char *q = gojson_quote(name, namelen);
        if (q == NULL) {
            strbuf_release(&sb);
            errno = ENOMEM;
            return -1;
        }
        strbuf_printf(&sb, ",\"name\":%s", q);
        free(q);
    } else if (namelen > 0) {
        strbuf_puts(&sb, ",\"name_raw\":\"");
        base64_append(&sb, (const unsigned char *)name, namelen);
        strbuf_puts(&sb, "\"");
    }
    if (size != 0)
        strbuf_printf(&sb, ",\"size\":%lld", (long long)size);
    if (size > 0) {
        unsigned char be[8];
        for (int i = 0; i < 8; i++)
            be[i] = (unsigned char)(crc >> (56 - 8 * i));
        strbuf_puts(&sb, ",\"payload\":\"");
        base64_append(&sb, be, sizeof(be));
        strbuf_puts(&sb, "\"");
    } else {
        strbuf_puts(&sb, ",\"payload\":null");
    }
    return tarsplit_line(w, &sb);
}

int tarsplit_writer_close(tarsplit_writer *w, int finish)
{
    if (w == NULL)
        return 0;
    int rc = finish ? tarsplit_deflate(w, NULL, 0, Z_FINISH) : 0;
    int saved = errno;
    deflateEnd(&w->z);
    free(w);
    errno = saved;
    return rc;
}
