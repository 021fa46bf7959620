/* plugins/dir/source.c — reading an image from a dir: directory. The
 * directory stays open for the source's life, so every file is looked up
 * relative to the same inode. The format records no manifest media type;
 * the core detects it from the bytes. */
#include "dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct dir_source {
    ferry_image_source base;
    const ferry_services *svc;
    int dirfd;
    char *path;  /* as the user wrote it, for messages */
    char *label; /* "dir:PATH" */
} dir_source;

static int dir_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                   ferry_reader **out, char *media_type, size_t media_type_cap)
{
    dir_source *src = (dir_source *)source;
    char name[PLUGIN_UTIL_DIGEST_MAX + 32];
    if (media_type_cap > 0)
        media_type[0] = '\0';
    if (dir_manifest_name(src->svc, instance_digest, name, sizeof name) != 0)
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid instance digest \"%s\"", src->label,
                                   instance_digest);
    return src->svc->file_reader(ctx, src->dirfd, src->path, name, src->label,
                                   instance_digest == NULL ? "manifest" : "instance manifest", out);
}

static int dir_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                               ferry_reader **out)
{
    dir_source *src = (dir_source *)source;
    char name[PLUGIN_UTIL_DIGEST_MAX];
    if (dir_blob_name(src->svc, info->digest, name, sizeof name) != 0)
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", src->label,
                                   info->digest != NULL ? info->digest : "");
    char what[PLUGIN_UTIL_DIGEST_MAX + 8];
    snprintf(what, sizeof what, "blob %s", info->digest);
    return src->svc->file_reader(ctx, src->dirfd, src->path, name, src->label, what, out);
}

static int dir_source_get_signatures(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                     int (*emit)(void *opaque, const void *data, size_t len), void *opaque)
{
    dir_source *src = (dir_source *)source;
    /* signature-1, signature-2, … up to the first one missing. */
    for (size_t i = 1;; i++) {
        char name[PLUGIN_UTIL_DIGEST_MAX + 32];
        if (dir_signature_name(src->svc, instance_digest, i, name, sizeof name) != 0)
            return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid instance digest \"%s\"", src->label,
                                       instance_digest);
        char *data = NULL;
        size_t len = 0;
        if (plugin_util_read_file(src->dirfd, name, DIR_SIGNATURE_MAX, &data, &len) != 0) {
            if (errno == ENOENT)
                return FERRY_OK;
            int err = errno;
            char *path = plugin_util_printf("%s/%s", src->path, name);
            int status = err == EFBIG ? src->svc->set_error(ctx, FERRY_ERR_TOO_LARGE,
                                                            "%s: signature %s is larger than 4 MiB", src->label,
                                                            path != NULL ? path : name)
                                      : plugin_util_errno_error(src->svc, ctx, err, src->label, "reading",
                                                                path != NULL ? path : name);
            free(path);
            return status;
        }
        int rc = emit(opaque, data, len);
        free(data);
        if (rc != 0)
            return rc;
    }
}

static void dir_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    dir_source *src = (dir_source *)source;
    (void)ctx;
    if (src->dirfd >= 0)
        close(src->dirfd);
    free(src->path);
    free(src->label);
    free(src);
}

static const ferry_source_ops dir_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = dir_source_get_manifest,
    .get_blob = dir_source_get_blob,
    .get_signatures = dir_source_get_signatures,
    .docker_reference = NULL,
    .close = dir_source_close,
};

int dir_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = dir_services();
    *out = NULL;
    int status = dir_validate_reference(ctx, reference);
    if (status != FERRY_OK)
        return status;
    dir_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "dir:%s: out of memory", reference);
    src->base.ops = &dir_source_ops;
    src->svc = svc;
    src->dirfd = -1;
    src->path = plugin_util_printf("%s", reference);
    src->label = plugin_util_printf("dir:%s", reference);
    if (src->path == NULL || src->label == NULL) {
        dir_source_close(&src->base, ctx);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "dir:%s: out of memory", reference);
    }
    src->dirfd = plugin_util_open_dir(AT_FDCWD, reference);
    if (src->dirfd < 0) {
        int err = errno;
        status = err == ENOENT ? svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "dir:%s: no such directory", reference)
                               : plugin_util_errno_error(svc, ctx, err, src->label, "opening", reference);
        dir_source_close(&src->base, ctx);
        return status;
    }
    /* Fail at open, not at the first read, when there is no image here. */
    struct stat st;
    if (fstatat(src->dirfd, DIR_MANIFEST_FILE, &st, 0) != 0) {
        int err = errno;
        status = err == ENOENT ? svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "dir:%s: no image here (%s/%s not found)",
                                                reference, reference, DIR_MANIFEST_FILE)
                               : plugin_util_errno_error(svc, ctx, err, src->label, "reading", DIR_MANIFEST_FILE);
        dir_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
