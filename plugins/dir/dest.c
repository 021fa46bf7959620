/* plugins/dir/dest.c — writing an image to a dir: directory without ever
 * exposing a half-written one.
 *
 * The image is built in a staging directory next to the target (same file
 * system, so renames work) and becomes visible at commit in one step: a
 * rename when the target does not exist or is empty, an exchange
 * (renameat2 RENAME_EXCHANGE) with an existing image directory, whose old
 * content is then removed. Like skopeo, a non-empty directory that is not an
 * image directory (no version file) is refused rather than overwritten.
 * close() without commit removes the staging directory.
 *
 * A target that is a mount point (a container volume, say) cannot be renamed
 * onto; its image is staged inside it instead and moved into place entry by
 * entry at commit, which is not atomic but never loses the new image. */
#include "dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct dir_dest {
    ferry_image_dest base;
    const ferry_services *svc;
    char *label;   /* "dir:PATH" as the user wrote it */
    char *target;  /* resolved absolute path of the image directory */
    char *parent;  /* its parent directory */
    char *name;    /* its last component */
    int parentfd;
    int holderfd;  /* holds the staging directory: parentfd, or the target when in_place */
    int in_place;  /* target is a mount point: staged inside it */
    int stagingfd;
    char staging_name[PLUGIN_UTIL_TMPNAME_MAX]; /* in holderfd */
    char *staging_path;
    int compression;
    int committed;
} dir_dest;

static int dir_option_true(const ferry_services *svc, ferry_ctx *ctx, const char *key)
{
    const char *v = svc->get_option(ctx, key);
    return v != NULL && strcmp(v, "true") == 0;
}

/* 1 when directory parentfd/name has no entries, 0 if it has, -1 on error. */
static int dir_is_empty(int parentfd, const char *name)
{
    int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    int empty = 1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

/* Checks that parent/name may be replaced: absent, an empty directory, or a
 * directory holding our version file. Sets *exists and *mode (of an existing
 * directory). Returns FERRY_OK or an error naming the target. */
static int dir_check_target(dir_dest *dst, ferry_ctx *ctx, int *exists, mode_t *mode)
{
    const ferry_services *svc = dst->svc;
    struct stat st;
    *exists = 0;
    if (fstatat(dst->parentfd, dst->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return FERRY_OK;
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "inspecting", dst->target);
    }
    if (!S_ISDIR(st.st_mode))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s exists and is not a directory", dst->label,
                              dst->target);
    *exists = 1;
    *mode = st.st_mode & 07777;
    int empty = dir_is_empty(dst->parentfd, dst->name);
    if (empty < 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "reading", dst->target);
    if (empty)
        return FERRY_OK;
    int fd = plugin_util_open_dir(dst->parentfd, dst->name);
    if (fd < 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "opening", dst->target);
    int has_version = dir_has_version_file(fd);
    int err = errno;
    close(fd);
    if (has_version < 0)
        return plugin_util_errno_error(svc, ctx, err, dst->label, "reading the version file in", dst->target);
    if (!has_version)
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: %s is not empty and not an image directory (no \"%s\" file reading \"%.32s\"), "
                              "refusing to overwrite it",
                              dst->label, dst->target, DIR_VERSION_FILE, DIR_VERSION_CONTENT);
    return FERRY_OK;
}

static int dir_dest_desired_layer_compression(ferry_image_dest *dest)
{
    return ((dir_dest *)dest)->compression;
}

static int dir_dest_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data,
                             const ferry_blob_info *info)
{
    dir_dest *dst = (dir_dest *)dest;
    plugin_util_received_blob rb;
    int status = plugin_util_receive_blob(dst->svc, ctx, data, info, dst->stagingfd, dst->staging_path, dst->label,
                                          &rb);
    if (status != FERRY_OK)
        return status;
    char name[PLUGIN_UTIL_DIGEST_MAX];
    if (dir_blob_name(dst->svc, rb.digest, name, sizeof name) != 0) {
        unlinkat(dst->stagingfd, rb.tmpname, 0);
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", dst->label, rb.digest);
    }
    return plugin_util_publish_blob(dst->svc, ctx, &rb, dst->stagingfd, dst->staging_path, name, dst->label);
}

/* Writes one small file into the staging directory. */
static int dir_dest_write(dir_dest *dst, ferry_ctx *ctx, const char *name, const void *data, size_t len)
{
    if (dst->svc->write_file_atomic(dst->stagingfd, name, data, len, 1) == 0)
        return FERRY_OK;
    return plugin_util_errno_error_at(dst->svc, ctx, errno, dst->label, "writing", dst->staging_path, name);
}

static int dir_dest_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                                 const char *media_type, const char *digest, const char *instance_digest)
{
    dir_dest *dst = (dir_dest *)dest;
    (void)media_type; /* the format has no place for it */
    (void)digest;
    char name[PLUGIN_UTIL_DIGEST_MAX + 32];
    if (dir_manifest_name(dst->svc, instance_digest, name, sizeof name) != 0)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid instance digest \"%s\"", dst->label,
                                   instance_digest);
    return dir_dest_write(dst, ctx, name, data, len);
}

static int dir_dest_put_signatures(ferry_image_dest *dest, ferry_ctx *ctx, const char *instance_digest,
                                   size_t count, const void *const *signatures, const size_t *lengths)
{
    dir_dest *dst = (dir_dest *)dest;
    for (size_t i = 0; i < count; i++) {
        char name[PLUGIN_UTIL_DIGEST_MAX + 32];
        if (dir_signature_name(dst->svc, instance_digest, i + 1, name, sizeof name) != 0)
            return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid instance digest \"%s\"", dst->label,
                                       instance_digest);
        int status = dir_dest_write(dst, ctx, name, signatures[i], lengths[i]);
        if (status != FERRY_OK)
            return status;
    }
    return FERRY_OK;
}

/* Swaps the staging directory with the existing target, then removes the
 * old image (now under the staging name). */
static int dir_dest_swap(dir_dest *dst, ferry_ctx *ctx)
{
    if (renameat2(dst->parentfd, dst->staging_name, dst->parentfd, dst->name, RENAME_EXCHANGE) != 0) {
        if (errno != EINVAL && errno != ENOSYS)
            return plugin_util_errno_error(dst->svc, ctx, errno, dst->label, "replacing", dst->target);
        /* No RENAME_EXCHANGE on this file system: move the old image aside
         * first. Between the two renames the target is briefly absent, but
         * never half-written. */
        char aside[PLUGIN_UTIL_TMPNAME_MAX];
        int fd = fs_create_temp(dst->parentfd, ".ferry-old-", aside, sizeof aside);
        if (fd < 0)
            return plugin_util_errno_error(dst->svc, ctx, errno, dst->label, "creating a file in", dst->parent);
        close(fd);
        unlinkat(dst->parentfd, aside, 0);
        if (renameat(dst->parentfd, dst->name, dst->parentfd, aside) != 0)
            return plugin_util_errno_error(dst->svc, ctx, errno, dst->label, "moving aside", dst->target);
        if (renameat(dst->parentfd, dst->staging_name, dst->parentfd, dst->name) != 0) {
            int status = plugin_util_errno_error(dst->svc, ctx, errno, dst->label, "replacing", dst->target);
            renameat(dst->parentfd, aside, dst->parentfd, dst->name); /* put the old image back */
            return status;
        }
        memcpy(dst->staging_name, aside, sizeof aside);
    }
    dst->committed = 1;
    if (plugin_util_remove_tree_at(dst->parentfd, dst->staging_name) != 0)
        dst->svc->log(ctx, FERRY_LOG_WARNING, "%s: could not remove the previous image at %s/%s", dst->label,
                      dst->parent, dst->staging_name);
    return FERRY_OK;
}

/* Commit for a mount-point target: the old content goes, then each staged
 * entry moves up (the version file last, so the directory is recognised as
 * an image only once complete), then the empty staging directory goes. */
static int dir_dest_commit_in_place(dir_dest *dst, ferry_ctx *ctx)
{
    const ferry_services *svc = dst->svc;
    DIR *d = fdopendir(dup(dst->holderfd));
    if (d == NULL)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "reading", dst->target);
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strcmp(de->d_name, dst->staging_name) == 0)
            continue;
        if (plugin_util_remove_tree_at(dst->holderfd, de->d_name) != 0)
            rc = -1;
    }
    closedir(d);
    if (rc != 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "removing the previous image in", dst->target);

    d = fdopendir(dup(dst->stagingfd));
    if (d == NULL)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "reading", dst->staging_path);
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strcmp(de->d_name, DIR_VERSION_FILE) == 0)
            continue;
        rc = renameat(dst->stagingfd, de->d_name, dst->holderfd, de->d_name);
    }
    closedir(d);
    if (rc == 0)
        rc = renameat(dst->stagingfd, DIR_VERSION_FILE, dst->holderfd, DIR_VERSION_FILE);
    if (rc != 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "moving the new image into", dst->target);
    dst->committed = 1;
    unlinkat(dst->holderfd, dst->staging_name, AT_REMOVEDIR);
    if (plugin_util_fsync_dir(dst->holderfd) != 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "syncing", dst->target);
    return FERRY_OK;
}

static int dir_dest_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    dir_dest *dst = (dir_dest *)dest;
    const ferry_services *svc = dst->svc;
    if (dst->committed)
        return FERRY_OK;
    int status = dir_dest_write(dst, ctx, DIR_VERSION_FILE, DIR_VERSION_CONTENT, strlen(DIR_VERSION_CONTENT));
    if (status != FERRY_OK)
        return status;
    if (plugin_util_fsync_dir(dst->stagingfd) != 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "syncing", dst->staging_path);
    if (dst->in_place)
        return dir_dest_commit_in_place(dst, ctx);

    /* Check again: the target may have changed since open. */
    int exists = 0;
    mode_t mode = 0755;
    status = dir_check_target(dst, ctx, &exists, &mode);
    if (status != FERRY_OK)
        return status;
    if (exists)
        fchmod(dst->stagingfd, mode); /* keep the permissions the user gave the directory */

    /* rename(2) atomically replaces an absent target or an empty directory. */
    if (renameat(dst->parentfd, dst->staging_name, dst->parentfd, dst->name) == 0) {
        dst->committed = 1;
    } else if (errno == ENOTEMPTY || errno == EEXIST) {
        status = dir_dest_swap(dst, ctx);
        if (status != FERRY_OK)
            return status;
    } else {
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "creating", dst->target);
    }
    if (plugin_util_fsync_dir(dst->parentfd) != 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "syncing", dst->parent);
    return FERRY_OK;
}

static void dir_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    dir_dest *dst = (dir_dest *)dest;
    if (dst->stagingfd >= 0)
        close(dst->stagingfd);
    if (!dst->committed && dst->holderfd >= 0 && dst->staging_name[0] != '\0' &&
        plugin_util_remove_tree_at(dst->holderfd, dst->staging_name) != 0)
        dst->svc->log(ctx, FERRY_LOG_WARNING, "%s: could not remove the staging directory %s", dst->label,
                      dst->staging_path);
    if (dst->holderfd >= 0 && dst->holderfd != dst->parentfd)
        close(dst->holderfd);
    if (dst->parentfd >= 0)
        close(dst->parentfd);
    free(dst->label);
    free(dst->target);
    free(dst->parent);
    free(dst->name);
    free(dst->staging_path);
    free(dst);
}

static const ferry_dest_ops dir_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = NULL, /* any manifest type: the format does not record it */
    .desired_layer_compression = dir_dest_desired_layer_compression,
    .try_reuse_blob = NULL, /* every image is written afresh */
    .put_blob = dir_dest_put_blob,
    .put_manifest = dir_dest_put_manifest,
    .put_signatures = dir_dest_put_signatures,
    .commit = dir_dest_commit,
    .close = dir_dest_close,
};

/* Fills target, parent and name from the user's path. */
static int dir_dest_locate(dir_dest *dst, ferry_ctx *ctx, const char *reference)
{
    const ferry_services *svc = dst->svc;
    dst->target = plugin_util_resolve_path(reference);
    if (dst->target == NULL)
        return plugin_util_errno_error(svc, ctx, errno, dst->label, "resolving", reference);
    char *slash = strrchr(dst->target, '/');
    if (slash == NULL || slash[1] == '\0')
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: cannot write an image to %s", dst->label, dst->target);
    if (plugin_util_split_path(dst->target, &dst->parent, &dst->name) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->label);
    return FERRY_OK;
}

/* Stages next to the target, or inside it when it is a mount point (it
 * lives on another file system than its parent, so no rename can replace it). */
static int dir_dest_choose_holder(dir_dest *dst, ferry_ctx *ctx, int exists)
{
    dst->holderfd = dst->parentfd;
    if (!exists)
        return FERRY_OK;
    struct stat parent_st, target_st;
    if (fstat(dst->parentfd, &parent_st) != 0 ||
        fstatat(dst->parentfd, dst->name, &target_st, AT_SYMLINK_NOFOLLOW) != 0)
        return plugin_util_errno_error(dst->svc, ctx, errno, dst->label, "inspecting", dst->target);
    if (parent_st.st_dev == target_st.st_dev)
        return FERRY_OK;
    dst->holderfd = plugin_util_open_dir(dst->parentfd, dst->name);
    if (dst->holderfd < 0)
        return plugin_util_errno_error(dst->svc, ctx, errno, dst->label, "opening", dst->target);
    dst->in_place = 1;
    return FERRY_OK;
}

int dir_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = dir_services();
    *out = NULL;
    int status = dir_validate_reference(ctx, reference);
    if (status != FERRY_OK)
        return status;
    dir_dest *dst = calloc(1, sizeof *dst);
    if (dst == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "dir:%s: out of memory", reference);
    dst->base.ops = &dir_dest_ops;
    dst->svc = svc;
    dst->parentfd = -1;
    dst->holderfd = -1;
    dst->stagingfd = -1;
    dst->label = plugin_util_printf("dir:%s", reference);
    if (dst->label == NULL) {
        dir_dest_close(&dst->base, ctx);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "dir:%s: out of memory", reference);
    }
    if (dir_option_true(svc, ctx, "compress"))
        dst->compression = FERRY_COMPRESSION_COMPRESS;
    else if (dir_option_true(svc, ctx, "decompress"))
        dst->compression = FERRY_COMPRESSION_DECOMPRESS;
    else
        dst->compression = FERRY_COMPRESSION_PRESERVE;

    status = dir_dest_locate(dst, ctx, reference);
    if (status == FERRY_OK)
        status = plugin_util_make_dir(svc, ctx, dst->label, dst->parent, &dst->parentfd);
    int exists = 0;
    mode_t mode = 0;
    if (status == FERRY_OK)
        status = dir_check_target(dst, ctx, &exists, &mode);
    if (status == FERRY_OK)
        status = dir_dest_choose_holder(dst, ctx, exists);
    if (status == FERRY_OK && (dst->stagingfd = plugin_util_staging_dir(dst->holderfd, ".ferry-dir-", dst->staging_name,
                                                                        sizeof dst->staging_name)) < 0)
        status = plugin_util_errno_error(svc, ctx, errno, dst->label, "creating a staging directory in",
                                         dst->in_place ? dst->target : dst->parent);
    if (status == FERRY_OK) {
        const char *in = dst->in_place ? dst->target : dst->parent;
        dst->staging_path = plugin_util_printf("%s/%s", strcmp(in, "/") == 0 ? "" : in, dst->staging_name);
        if (dst->staging_path == NULL)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->label);
    }
    if (status != FERRY_OK) {
        dir_dest_close(&dst->base, ctx);
        return status;
    }
    *out = &dst->base;
    return FERRY_OK;
}
