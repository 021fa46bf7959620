/* core/copy/spool.c — temporary-file spooling of streams (O_TMPFILE). */
#include "copy/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/digest.h"
#include "plugin/context.h"
#include "shared/fsutil.h"

#define SPOOL_BUFFER (128 * 1024)

typedef struct spool_reader {
    ferry_reader base;
    int fd;
    int64_t size, pos;
    char digest[DIGEST_MAX_LEN];
} spool_reader;

static int spool_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    spool_reader *s = (spool_reader *)r;
    size_t want = (size_t)(s->size - s->pos) < len ? (size_t)(s->size - s->pos) : len;
    ssize_t n = want ? pread(s->fd, buf, want, s->pos) : 0;
    if (n < 0 || (want > 0 && n == 0))
        return ctx_fail(ctx, FERRY_ERR_IO, "reading spooled blob %s: %s", s->digest, n < 0 ? strerror(errno) : "short file");
    s->pos += n;
    *nread = (size_t)n;
    *eos = s->pos == s->size;
    return FERRY_OK;
}

static void spool_close(ferry_reader *r)
{
    spool_reader *s = (spool_reader *)r;
    close(s->fd);
    free(s);
}

static const char *spool_digest(ferry_reader *r)
{
    return ((spool_reader *)r)->digest;
}

static int64_t spool_size(ferry_reader *r)
{
    return ((spool_reader *)r)->size;
}

static const ferry_reader_ops spool_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = spool_read,
    .close = spool_close,
    .digest = spool_digest,
    .size = spool_size,
};

int spool_stream(ferry_ctx *ctx, const char *tmpdir, ferry_reader *source, const char *what, ferry_reader **out)
{
    int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return ctx_fail(ctx, FERRY_ERR_IO, "%s: cannot create a temporary file in %s: %s", what, tmpdir,
                        strerror(errno));
    char *buf = malloc(SPOOL_BUFFER);
    spool_reader *s = calloc(1, sizeof(*s));
    if (buf == NULL || s == NULL) {
        free(buf);
        free(s);
        close(fd);
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", what);
    }
    s->base.ops = &spool_ops;
    s->fd = fd;
    int eos = 0, rc = FERRY_OK;
    while (!eos && rc == FERRY_OK) {
        size_t n = 0;
        rc = ferry_reader_read(source, ctx, buf, SPOOL_BUFFER, &n, &eos);
        if (rc == FERRY_OK && fs_write_all(fd, buf, n) != 0)
            rc = ctx_fail(ctx, FERRY_ERR_IO, "%s: writing a temporary file in %s: %s", what, tmpdir, strerror(errno));
        s->size += (int64_t)n;
    }
    free(buf);
    const char *digest = rc == FERRY_OK ? ferry_reader_digest(source) : NULL;
    if (rc == FERRY_OK && digest == NULL)
        rc = ctx_fail(ctx, FERRY_ERR_FAILED, "%s: no digest after spooling", what);
    if (rc != FERRY_OK) {
        spool_close(&s->base);
        return rc;
    }
    snprintf(s->digest, sizeof(s->digest), "%s", digest);
    *out = &s->base;
    return FERRY_OK;
}

int spool_reader_complete(ferry_reader *r)
{
    spool_reader *s = (spool_reader *)r;
    return s->pos == s->size;
}
