/* plugins/common/reader.c — the ferry_readers modules hand to the core from
 * get_blob and get_manifest: over an open file, over a byte range of a
 * shared file (archive members), and over bytes in memory (manifests held
 * whole, served by the byte-range reader from memory instead of a file).
 * Each declares its size up front and reports end of stream together with
 * the last bytes, saving a call. */
#include "plugin_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct plugin_util_fd_reader {
    ferry_reader base;
    const ferry_services *svc;
    int fd;
    int64_t size;   /* from fstat at open */
    int64_t offset; /* bytes handed out so far */
    char *path;     /* for error messages */
    char *label;
} plugin_util_fd_reader;

static int plugin_util_fd_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread,
                               int *eos)
{
    plugin_util_fd_reader *r = (plugin_util_fd_reader *)reader;
    *nread = 0;
    *eos = 0;
    for (;;) {
        ssize_t n = read(r->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return plugin_util_errno_error(r->svc, ctx, errno, r->label, "reading", r->path);
        }
        r->offset += n;
        *nread = (size_t)n;
        /* A content-addressed file does not grow: stop at its stat size, and
         * also at a real end of file (a file shrunk underneath us gives a
         * short stream, which the core's size check reports). */
        *eos = n == 0 || r->offset >= r->size;
        return FERRY_OK;
    }
}

static void plugin_util_fd_close(ferry_reader *reader)
{
    plugin_util_fd_reader *r = (plugin_util_fd_reader *)reader;
    close(r->fd);
    free(r->path);
    free(r->label);
    free(r);
}

static int64_t plugin_util_fd_size(ferry_reader *reader)
{
    return ((plugin_util_fd_reader *)reader)->size;
}

static const ferry_reader_ops plugin_util_fd_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = plugin_util_fd_read,
    .close = plugin_util_fd_close,
    .digest = NULL,
    .size = plugin_util_fd_size,
};

int plugin_util_open_reader(const ferry_services *svc, ferry_ctx *ctx, int dirfd, const char *dirpath,
                            const char *name, const char *label, const char *what, ferry_reader **out)
{
    *out = NULL;
    char *path = plugin_util_printf("%s/%s", dirpath, name);
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int err = errno;
        int status;
        if (err == ENOENT)
            status = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: %s not found (%s)", label, what, path);
        else
            status = plugin_util_errno_error(svc, ctx, err, label, "opening", path);
        if (fd >= 0)
            close(fd);
        free(path);
        return status;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        int status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is not a regular file (%s)", label, what, path);
        free(path);
        return status;
    }
    plugin_util_fd_reader *r = calloc(1, sizeof *r);
    char *label_copy = strdup(label);
    if (r == NULL || label_copy == NULL) {
        close(fd);
        free(path);
        free(r);
        free(label_copy);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    r->base.ops = &plugin_util_fd_reader_ops;
    r->svc = svc;
    r->fd = fd;
    r->size = st.st_size;
    r->path = path;
    r->label = label_copy;
    *out = &r->base;
    return FERRY_OK;
}

/* ---- a byte range of a shared file (archive members), read with pread, or
 * of bytes in memory ---- */

typedef struct plugin_util_range_reader_t {
    ferry_reader base;
    const ferry_services *svc;
    int fd;          /* the caller's, shared: pread only; -1 when the bytes are in memory */
    const char *mem; /* the bytes in memory (offset 0), or NULL */
    char *owned;     /* mem when the reader frees it at close, else NULL */
    int64_t offset, size, pos;
    char *label; /* for messages; NULL with bytes in memory, which cannot fail */
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
    ssize_t n = (ssize_t)len;
    if (r->mem != NULL) {
        memcpy(buf, r->mem + r->pos, len);
    } else {
        do
            n = pread(r->fd, buf, len, (off_t)(r->offset + r->pos));
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return plugin_util_errno_error(r->svc, ctx, errno, r->label, "reading", r->path);
        if (n == 0) /* shrunk underneath us */
            return r->svc->set_error(ctx, FERRY_ERR_IO, "%s: %s ends early (truncated)", r->label, r->path);
    }
    r->pos += n;
    *nread = (size_t)n;
    *eos = r->pos >= r->size;
    return FERRY_OK;
}

static void plugin_util_range_close(ferry_reader *reader)
{
    plugin_util_range_reader_t *r = (plugin_util_range_reader_t *)reader;
    free(r->owned);
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

/* Both memory entry points: `owned` is data itself when the reader takes the
 * bytes over, else NULL. */
static int plugin_util_memory_reader_new(const ferry_services *svc, ferry_ctx *ctx, const char *label,
                                         const void *data, char *owned, size_t len, ferry_reader **out)
{
    *out = NULL;
    plugin_util_range_reader_t *r = calloc(1, sizeof *r);
    if (r == NULL) {
        free(owned);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    r->base.ops = &plugin_util_range_ops;
    r->svc = svc;
    r->fd = -1;
    r->mem = data;
    r->owned = owned;
    r->size = (int64_t)len;
    *out = &r->base;
    return FERRY_OK;
}

int plugin_util_memory_reader(const ferry_services *svc, ferry_ctx *ctx, const char *label, const void *data,
                              size_t len, ferry_reader **out)
{
    return plugin_util_memory_reader_new(svc, ctx, label, data, NULL, len, out);
}

int plugin_util_memory_reader_take(const ferry_services *svc, ferry_ctx *ctx, const char *label, void *data,
                                   size_t len, ferry_reader **out)
{
    return plugin_util_memory_reader_new(svc, ctx, label, data, data, len, out);
}
