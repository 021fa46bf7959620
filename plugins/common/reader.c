/* plugins/common/reader.c — the reader modules hand to the core over a byte
 * range of a shared file (archive members), read with pread so that readers
 * of one archive run in parallel. It declares its size up front and reports
 * end of stream together with the last bytes, saving a call. (Readers over
 * a whole file or over memory are the core's file_reader and memory_reader
 * services.) */
#include "plugin_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct plugin_util_range_reader_t {
    ferry_reader base;
    const ferry_services *svc;
    int fd; /* the caller's, shared: pread only */
    int64_t offset, size, pos;
    char *label; /* for messages */
    char *path;
} plugin_util_range_reader_t;

static int plugin_util_range_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    plugin_util_range_reader_t *r = (plugin_util_range_reader_t *)reader;
    *nread = 0;
    *eos = 0;
    int64_t left = r->size - r->pos;
    if (left <= 0) {
        *eos = 1;
        return FERRY_OK;
    }
    if ((uint64_t)len > (uint64_t)left)
        len = (size_t)left;
    ssize_t n;
    do
        n = pread(r->fd, buf, len, (off_t)(r->offset + r->pos));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return plugin_util_errno_error(r->svc, ctx, errno, r->label, "reading", r->path);
    if (n == 0) /* shrunk underneath us */
        return r->svc->set_error(ctx, FERRY_ERR_IO, "%s: %s ends early (truncated)", r->label, r->path);
    r->pos += n;
    *nread = (size_t)n;
    *eos = r->pos >= r->size;
    return FERRY_OK;
}

static void plugin_util_range_close(ferry_reader *reader)
{
    plugin_util_range_reader_t *r = (plugin_util_range_reader_t *)reader;
    free(r->label);
    free(r->path);
    free(r);
}

static int64_t plugin_util_range_size(ferry_reader *reader)
{
    return ((plugin_util_range_reader_t *)reader)->size;
}

static const ferry_reader_ops plugin_util_range_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = plugin_util_range_read,
    .close = plugin_util_range_close,
    .digest = NULL,
    .size = plugin_util_range_size,
};

int plugin_util_range_reader(const ferry_services *svc, ferry_ctx *ctx, int fd, int64_t offset, int64_t size,
                             const char *label, const char *path, ferry_reader **out)
{
    *out = NULL;
    plugin_util_range_reader_t *r = calloc(1, sizeof *r);
    if (r != NULL) {
        r->label = strdup(label);
        r->path = strdup(path);
    }
    if (r == NULL || r->label == NULL || r->path == NULL) {
        if (r != NULL)
            plugin_util_range_close(&r->base);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    r->base.ops = &plugin_util_range_ops;
    r->svc = svc;
    r->fd = fd;
    r->offset = offset;
    r->size = size;
    *out = &r->base;
    return FERRY_OK;
}

/* ---- a reader that claims the digest its bytes should have ---- */

typedef struct plugin_util_claim_reader_t {
    ferry_reader base;
    ferry_reader *inner;
    int at_end;
    char digest[PLUGIN_UTIL_DIGEST_MAX];
} plugin_util_claim_reader_t;

static int plugin_util_claim_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread,
                                  int *eos)
{
    plugin_util_claim_reader_t *r = (plugin_util_claim_reader_t *)reader;
    int status = ferry_reader_read(r->inner, ctx, buf, len, nread, eos);
    r->at_end = status == FERRY_OK && *eos;
    return status;
}

static void plugin_util_claim_close(ferry_reader *reader)
{
    plugin_util_claim_reader_t *r = (plugin_util_claim_reader_t *)reader;
    ferry_reader_close(r->inner);
    free(r);
}

static const char *plugin_util_claim_digest(ferry_reader *reader)
{
    plugin_util_claim_reader_t *r = (plugin_util_claim_reader_t *)reader;
    return r->at_end ? r->digest : NULL;
}

static int64_t plugin_util_claim_size(ferry_reader *reader)
{
    return ferry_reader_size(((plugin_util_claim_reader_t *)reader)->inner);
}

static const ferry_reader_ops plugin_util_claim_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = plugin_util_claim_read,
    .close = plugin_util_claim_close,
    .digest = plugin_util_claim_digest,
    .size = plugin_util_claim_size,
};

int plugin_util_claim_reader(const ferry_services *svc, ferry_ctx *ctx, const char *label, ferry_reader *inner,
                             const char *digest, ferry_reader **out)
{
    *out = NULL;
    plugin_util_claim_reader_t *r = calloc(1, sizeof *r);
    if (r == NULL || strlen(digest) >= sizeof r->digest) {
        int too_long = r != NULL;
        free(r);
        ferry_reader_close(inner);
        if (too_long)
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", label, digest);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    r->base.ops = &plugin_util_claim_ops;
    r->inner = inner;
    memcpy(r->digest, digest, strlen(digest) + 1);
    *out = &r->base;
    return FERRY_OK;
}
