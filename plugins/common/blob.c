/* plugins/common/blob.c — the body of put_blob for file-based destinations:
 * pull the core's reader to its end into a fresh temporary file, make the
 * bytes durable, and learn the blob's digest, leaving nothing behind on any
 * failure; then give the file its content-addressed name. */
#include "plugin_util.h"

#include "shared/fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Digest of what was streamed: the core's reader knows it after end of
 * stream; a reader without a digest op is hashed here while streaming. */
static int plugin_util_final_digest(const ferry_services *svc, ferry_ctx *ctx, ferry_reader *data,
                                    const ferry_blob_info *info, ferry_hasher *hasher, const char *label,
                                    char *out, size_t cap)
{
    const char *d = ferry_reader_digest(data);
    if (d == NULL && hasher != NULL) {
        if (svc->hasher_final(hasher, out, cap) != FERRY_OK)
            return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: computing the blob digest failed", label);
        d = out;
    }
    if (d == NULL && FERRY_HAS_MEMBER(info, ferry_blob_info, digest))
        d = info->digest;
    if (d == NULL)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: blob digest unknown after end of stream", label);
    if (!svc->digest_is_valid(d))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", label, d);
    if (d != out) {
        size_t n = strlen(d);
        if (n >= cap)
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: blob digest too long", label);
        memcpy(out, d, n + 1);
    }
    return FERRY_OK;
}

int plugin_util_receive_blob(const ferry_services *svc, ferry_ctx *ctx, ferry_reader *data,
                             const ferry_blob_info *info, int dirfd, const char *dirpath, const char *label,
                             plugin_util_received_blob *out)
{
    memset(out, 0, sizeof *out);
    int fd = fs_create_temp(dirfd, ".ferry-blob-", out->tmpname, sizeof out->tmpname);
    if (fd < 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "creating a temporary file in", dirpath);

    int status = FERRY_OK;
    int err = 0;
    const char *action = NULL;
    ferry_hasher *hasher = NULL;
    char *buf = malloc(PLUGIN_UTIL_CHUNK);
    if (buf == NULL) {
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        goto out;
    }
    int has_digest_op = FERRY_HAS_MEMBER(data->ops, ferry_reader_ops, digest) && data->ops->digest != NULL;
    if (!has_digest_op) {
        hasher = svc->hasher_new("sha256");
        if (hasher == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
            goto out;
        }
    }

    int eos = 0;
    while (!eos) {
        size_t n = 0;
        status = ferry_reader_read(data, ctx, buf, PLUGIN_UTIL_CHUNK, &n, &eos);
        if (status != FERRY_OK)
            goto out; /* the reader reported the error */
        if (n == 0 && !eos) {
            status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: reader returned no data before end of stream",
                                    label);
            goto out;
        }
        if (hasher != NULL)
            svc->hasher_update(hasher, buf, n);
        if (fs_write_all(fd, buf, n) != 0) {
            err = errno;
            action = "writing";
            goto out;
        }
        out->size += (int64_t)n;
    }
    if (fsync(fd) != 0) {
        err = errno;
        action = "writing";
        goto out;
    }
    status = plugin_util_final_digest(svc, ctx, data, info, hasher, label, out->digest, sizeof out->digest);

out:
    if (hasher != NULL)
        svc->hasher_free(hasher);
    free(buf);
    if (close(fd) != 0 && err == 0 && status == FERRY_OK) {
        err = errno; /* NFS reports write errors at close */
        action = "writing";
    }
    if (err != 0) {
        /* Name the blob and where it was going, not the temporary file. */
        const char *digest = FERRY_HAS_MEMBER(info, ferry_blob_info, digest) ? info->digest : NULL;
        char *what = digest != NULL ? plugin_util_printf("%s blob %s to", action, digest)
                                    : plugin_util_printf("%s a blob to", action);
        status = plugin_util_errno_error(svc, ctx, err, label, what != NULL ? what : action, dirpath);
        free(what);
    }
    if (status != FERRY_OK)
        unlinkat(dirfd, out->tmpname, 0);
    return status;
}

int plugin_util_publish_blob(const ferry_services *svc, ferry_ctx *ctx, const plugin_util_received_blob *rb,
                             int dirfd, const char *dirpath, const char *name, const char *label)
{
    if (fs_publish_noreplace(dirfd, rb->tmpname, dirfd, name) == 0)
        return FERRY_OK;
    int err = errno;
    unlinkat(dirfd, rb->tmpname, 0);
    return plugin_util_errno_error_at(svc, ctx, err, label, "storing blob as", dirpath, name);
}
