/* core/plugin/host_files.c — the file services of ABI 1.4 (file_reader,
 * memory_reader, write_file_atomic, mkdir_p): the boilerplate every
 * file-based module would otherwise repeat. The readers declare their size
 * up front and report end of stream together with the last bytes. */
#include "plugin/host_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/context.h"
#include "shared/fsutil.h"

/* "LABEL: ACTION PATH: strerror" as FERRY_ERR_IO (NO_MEMORY, NOT_FOUND for
 * ENOMEM, ENOENT), the wording of the in-tree modules. */
static int host_errno_error(ferry_ctx *ctx, int err, const char *label, const char *action, const char *path)
{
    char buf[128];
    int status = err == ENOMEM ? FERRY_ERR_NO_MEMORY : err == ENOENT ? FERRY_ERR_NOT_FOUND : FERRY_ERR_IO;
    return ctx_fail(ctx, status, "%s: %s %s: %s", label, action, path, strerror_r(err, buf, sizeof buf));
}

typedef struct host_file_reader {
    ferry_reader base;
    int fd;
    int64_t size;   /* from fstat at open */
    int64_t offset; /* bytes handed out so far */
    char *path;     /* for error messages */
    char *label;
} host_file_reader;

static int host_file_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    host_file_reader *r = (host_file_reader *)reader;
    *nread = 0;
    *eos = 0;
    for (;;) {
        ssize_t n = read(r->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return host_errno_error(ctx, errno, r->label, "reading", r->path);
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

static void host_file_close(ferry_reader *reader)
{
    host_file_reader *r = (host_file_reader *)reader;
    close(r->fd);
    free(r->path);
    free(r->label);
    free(r);
}

static int64_t host_file_size(ferry_reader *reader)
{
    return ((host_file_reader *)reader)->size;
}

static const ferry_reader_ops host_file_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = host_file_read,
    .close = host_file_close,
    .digest = NULL,
    .size = host_file_size,
};

int host_file_reader_open(ferry_ctx *ctx, int dirfd, const char *dirpath, const char *name, const char *label,
                          const char *what, ferry_reader **out)
{
    *out = NULL;
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dirpath, name) < 0)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int status = FERRY_OK;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int err = errno;
        if (err == ENOENT)
            status = ctx_fail(ctx, FERRY_ERR_NOT_FOUND, "%s: %s not found (%s)", label, what, path);
        else
            status = host_errno_error(ctx, err, label, "opening", path);
    } else if (!S_ISREG(st.st_mode)) {
        status = ctx_fail(ctx, FERRY_ERR_INVALID, "%s: %s is not a regular file (%s)", label, what, path);
    }
    host_file_reader *r = status == FERRY_OK ? calloc(1, sizeof *r) : NULL;
    char *label_copy = r != NULL ? strdup(label) : NULL;
    if (status == FERRY_OK && label_copy == NULL)
        status = ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    if (status != FERRY_OK) {
        if (fd >= 0)
            close(fd);
        free(path);
        free(r);
        return status;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    r->base.ops = &host_file_reader_ops;
    r->fd = fd;
    r->size = st.st_size;
    r->path = path;
    r->label = label_copy;
    *out = &r->base;
    return FERRY_OK;
}

typedef struct host_memory_reader {
    ferry_reader base;
    const unsigned char *data;
    size_t len, pos;
    void (*release)(void *data); /* the owner's, or NULL when the bytes are borrowed */
} host_memory_reader;

static int host_memory_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    (void)ctx;
    host_memory_reader *r = (host_memory_reader *)reader;
    size_t left = r->len - r->pos;
    if (len > left)
        len = left;
    memcpy(buf, r->data + r->pos, len);
    r->pos += len;
    *nread = len;
    *eos = r->pos >= r->len;
    return FERRY_OK;
}

static void host_memory_close(ferry_reader *reader)
{
    host_memory_reader *r = (host_memory_reader *)reader;
    if (r->release != NULL)
        r->release((void *)r->data);
    free(r);
}

static int64_t host_memory_size(ferry_reader *reader)
{
    return (int64_t)((host_memory_reader *)reader)->len;
}

static const ferry_reader_ops host_memory_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = host_memory_read,
    .close = host_memory_close,
    .digest = NULL,
    .size = host_memory_size,
};

int host_memory_reader_new(ferry_ctx *ctx, const char *label, const void *data, size_t len,
                           void (*release)(void *data), ferry_reader **out)
{
    *out = NULL;
    host_memory_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        if (release != NULL)
            release((void *)data);
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    r->base.ops = &host_memory_reader_ops;
    r->data = data;
    r->len = len;
    r->release = release;
    *out = &r->base;
    return FERRY_OK;
}

int host_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, int replace)
{
    return fs_write_file_at(dirfd, name, data, len, replace);
}

int host_mkdir_p(const char *path)
{
    return fs_mkdir_p(path);
}
