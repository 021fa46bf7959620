/* plugins/docker-archive/gunzip.c — layer members stored gzip-compressed
 * (older docker and podman, hand-made archives). containers/image serves such
 * a layer decompressed, so that its digest is the DiffID the config lists and
 * its size the uncompressed size; this does the same: one inflate pass at open
 * counts the bytes, and the reader inflates the member's byte range again
 * (pread: readers of one archive stay independent). Concatenated gzip members
 * are one stream, as Go's gzip reader treats them. */
#include "dockarch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DOCKARCH_GZ_IN (64 * 1024)

typedef struct dockarch_gunzip {
    ferry_reader base;
    const ferry_services *svc;
    int fd;                /* the archive's; not owned */
    int64_t in_off, in_end; /* compressed bytes still to read */
    z_stream z;
    int z_ready;
    int finished; /* the last gzip member ended at the end of the input */
    unsigned char in[DOCKARCH_GZ_IN];
    int64_t size, produced;
    char *what; /* "LABEL: NAME" for messages */
} dockarch_gunzip;

int dockarch_member_compression(const dockarch_archive *ar, const dockarch_member *m, const char **name)
{
    unsigned char b[6] = {0};
    size_t got = 0;
    *name = NULL;
    if (dockarch_pread_full(ar->fd, b, sizeof b, m->offset, &got) != 0 || (int64_t)got > m->size)
        got = (size_t)(m->size < (int64_t)sizeof b ? m->size : (int64_t)sizeof b);
    if (got >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return DOCKARCH_GZIP;
    if (got >= 3 && memcmp(b, "BZh", 3) == 0)
        *name = "bzip2";
    else if (got >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
        *name = "xz";
    else if (got >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
        *name = "zstd";
    return *name != NULL ? DOCKARCH_OTHER_COMPRESSION : DOCKARCH_PLAIN;
}

static int dockarch_gunzip_init(dockarch_gunzip *g, const ferry_services *svc, const dockarch_archive *ar,
                                const dockarch_member *m)
{
    g->svc = svc;
    g->fd = ar->fd;
    g->in_off = m->offset;
    g->in_end = m->offset + m->size;
    g->what = plugin_util_printf("%s: layer %s", ar->label, m->name);
    if (g->what == NULL)
        return -1;
    /* 16 + MAX_WBITS: gzip framing only, checking the trailer's CRC. */
    if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK)
        return -1;
    g->z_ready = 1;
    return 0;
}

static void dockarch_gunzip_fini(dockarch_gunzip *g)
{
    if (g->z_ready)
        inflateEnd(&g->z);
    free(g->what);
}

/* Inflates up to cap bytes into out. */
static int dockarch_gunzip_fill(dockarch_gunzip *g, ferry_ctx *ctx, void *out, size_t cap, size_t *n)
{
    g->z.next_out = out;
    g->z.avail_out = (uInt)cap;
    while (g->z.avail_out > 0 && !g->finished) {
        if (g->z.avail_in == 0) {
            if (g->in_off >= g->in_end)
                return g->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: truncated gzip data", g->what);
            int64_t left = g->in_end - g->in_off;
            size_t want = left < (int64_t)sizeof g->in ? (size_t)left : sizeof g->in, got = 0;
            if (dockarch_pread_full(g->fd, g->in, want, g->in_off, &got) != 0 || got != want)
                return g->svc->set_error(ctx, FERRY_ERR_IO, "%s: reading failed: %s", g->what,
                                         got != want ? "file cut short" : strerror(errno));
            g->in_off += (int64_t)got;
            g->z.next_in = g->in;
            g->z.avail_in = (uInt)got;
        }
        int rc = inflate(&g->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (g->z.avail_in == 0 && g->in_off >= g->in_end)
                g->finished = 1;
            else
                inflateReset(&g->z); /* another gzip member follows */
        } else if (rc == Z_BUF_ERROR && g->z.avail_in == 0) {
            continue; /* needs more input */
        } else if (rc != Z_OK) {
            return g->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: corrupt gzip data: %s", g->what,
                                     g->z.msg != NULL ? g->z.msg : "inflate failed");
        }
    }
    *n = cap - g->z.avail_out;
    return FERRY_OK;
}

int dockarch_gunzip_size(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, int64_t *size)
{
    const ferry_services *svc = dockarch_services();
    dockarch_gunzip *g = calloc(1, sizeof *g);
    char *scratch = malloc(PLUGIN_UTIL_CHUNK);
    int status = FERRY_OK;
    if (g == NULL || scratch == NULL || dockarch_gunzip_init(g, svc, ar, m) != 0)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ar->label);
    int64_t total = 0;
    while (status == FERRY_OK && !g->finished) {
        if (svc->cancelled(ctx)) {
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", g->what);
            break;
        }
        size_t n = 0;
        status = dockarch_gunzip_fill(g, ctx, scratch, PLUGIN_UTIL_CHUNK, &n);
        total += (int64_t)n;
    }
    if (g != NULL)
        dockarch_gunzip_fini(g);
    free(g);
    free(scratch);
    if (status == FERRY_OK)
        *size = total;
    return status;
}

static int dockarch_gunzip_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    dockarch_gunzip *g = (dockarch_gunzip *)reader;
    int status = dockarch_gunzip_fill(g, ctx, buf, len, nread);
    if (status != FERRY_OK)
        return status;
    g->produced += (int64_t)*nread;
    *eos = g->finished;
    return FERRY_OK;
}

static void dockarch_gunzip_close(ferry_reader *reader)
{
    dockarch_gunzip *g = (dockarch_gunzip *)reader;
    dockarch_gunzip_fini(g);
    free(g);
}

static int64_t dockarch_gunzip_declared(ferry_reader *reader)
{
    return ((dockarch_gunzip *)reader)->size;
}

static const ferry_reader_ops dockarch_gunzip_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = dockarch_gunzip_read,
    .close = dockarch_gunzip_close,
    .digest = NULL,
    .size = dockarch_gunzip_declared,
};

int dockarch_gunzip_reader(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, int64_t size,
                           ferry_reader **out)
{
    const ferry_services *svc = dockarch_services();
    dockarch_gunzip *g = calloc(1, sizeof *g);
    if (g == NULL || dockarch_gunzip_init(g, svc, ar, m) != 0) {
        if (g != NULL)
            dockarch_gunzip_fini(g);
        free(g);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ar->label);
    }
    g->base.ops = &dockarch_gunzip_ops;
    g->size = size;
    *out = &g->base;
    return FERRY_OK;
}
