/* plugins/oci/dest.c — writing an image into an OCI layout, new or shared
 * with other images and other writers, so that a failed copy leaves no trace.
 *
 * Blobs (manifests included) are streamed into a private staging directory
 * ".ferry-staging-*" inside the blob directory (same file system, so renames
 * work), named ALG/HEX there. Nothing in blobs/ALG changes before commit, so
 * close() without commit only removes the staging directory. At commit the
 * staged blobs are renamed into blobs/ALG/HEX (never replacing a blob that is
 * already there: content-addressed, first writer wins), made durable, and
 * only then the descriptor enters index.json under the layout lock
 * (layout_index.c). Blobs already in the layout are never removed, so a
 * concurrent writer that reused one is safe.
 *
 * A layout that does not exist yet is built whole in a sibling directory
 * ".ferry-oci-*" and renamed into place at commit; if another writer created
 * the layout meanwhile, the staged blobs and the descriptor are merged into
 * it instead. */
#include "oci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct oci_dest {
    ferry_image_dest base;
    const ferry_services *svc;
    oci_reference ref;
    int compression;
    json_t *pending; /* descriptor of the top-level manifest, added at commit */
    json_t *referrers; /* index.json entries of referrers (put_referrer), added untagged at commit */
    int committed;

    int layoutfd; /* the existing layout; -1 while the layout is new */

    /* A new layout: staged as parent/new_name, renamed to parent/name. */
    int parentfd;
    char *name;
    int newfd;
    char new_name[PLUGIN_UTIL_TMPNAME_MAX];

    /* Blobs: the final blob directory (PATH/blobs or the shared one; -1 for a
     * new layout without a shared directory, whose blobs/ is the staging). */
    int rootfd;
    char *rootpath;
    int stagefd; /* ALG/HEX files until commit */
    char *stagepath;
    char stage_name[PLUGIN_UTIL_TMPNAME_MAX]; /* in rootfd; "" when staging is the new layout's blobs/ */
} oci_dest;

static const char *const *oci_dest_manifest_types(ferry_image_dest *dest)
{
    (void)dest;
    return oci_destination_manifest_types;
}

static int oci_dest_desired_layer_compression(ferry_image_dest *dest)
{
    return ((oci_dest *)dest)->compression;
}

/* Checks `digest` and writes its "ALG/HEX" path into rel, creating ALG/ in
 * the staging directory. */
static int oci_dest_stage_path(oci_dest *dst, ferry_ctx *ctx, const char *digest, char *rel, size_t cap)
{
    if (oci_blob_relpath(dst->svc, digest, rel, cap) != 0)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", dst->ref.label,
                                   digest != NULL ? digest : "");
    char *slash = strchr(rel, '/');
    *slash = '\0';
    int rc = plugin_util_mkdir_at(dst->stagefd, rel);
    int err = errno;
    *slash = '/';
    if (rc != 0)
        return plugin_util_errno_error(dst->svc, ctx, err, dst->ref.label, "creating a directory in", dst->stagepath);
    return FERRY_OK;
}

static int oci_dest_try_reuse_blob(ferry_image_dest *dest, ferry_ctx *ctx, const ferry_blob_info *info,
                                   int64_t *size)
{
    oci_dest *dst = (oci_dest *)dest;
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    if (oci_blob_relpath(dst->svc, info->digest, rel, sizeof rel) != 0)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", dst->ref.label,
                                   info->digest != NULL ? info->digest : "");
    /* In the layout already, or staged by this copy (a blob shared by
     * several images of a list). */
    struct stat st;
    if ((dst->rootfd >= 0 && fstatat(dst->rootfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode)) ||
        (fstatat(dst->stagefd, rel, &st, 0) == 0 && S_ISREG(st.st_mode))) {
        *size = st.st_size;
        return FERRY_OK;
    }
    return dst->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: blob %s not present", dst->ref.label, info->digest);
}

static int oci_dest_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info)
{
    oci_dest *dst = (oci_dest *)dest;
    plugin_util_received_blob rb;
    int status =
        plugin_util_receive_blob(dst->svc, ctx, data, info, dst->stagefd, dst->stagepath, dst->ref.label, &rb);
    if (status != FERRY_OK)
        return status;
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    status = oci_dest_stage_path(dst, ctx, rb.digest, rel, sizeof rel);
    if (status != FERRY_OK) {
        unlinkat(dst->stagefd, rb.tmpname, 0);
        return status;
    }
    return plugin_util_publish_blob(dst->svc, ctx, &rb, dst->stagefd, dst->stagepath, rel, dst->ref.label);
}

static int oci_dest_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                                 const char *media_type, const char *digest, const char *instance_digest)
{
    oci_dest *dst = (oci_dest *)dest;
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    int status = oci_dest_stage_path(dst, ctx, digest, rel, sizeof rel);
    if (status != FERRY_OK)
        return status;
    if (dst->svc->write_file_atomic(dst->stagefd, rel, data, len, 0) != 0)
        return plugin_util_errno_error_at(dst->svc, ctx, errno, dst->ref.label, "writing", dst->stagepath, rel);
    if (instance_digest != NULL)
        return FERRY_OK; /* instances are reachable through their list only */

    json_t *desc = oci_descriptor_new(media_type, digest, len, dst->ref.name);
    if (desc == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    json_decref(dst->pending);
    dst->pending = desc;
    return FERRY_OK;
}

/* Moves the files of one staged ALG directory into the same ALG directory
 * of the blob root, keeping blobs already there, and syncs it. */
static int oci_dest_publish_alg(oci_dest *dst, ferry_ctx *ctx, int fromfd, int tofd, const char *alg)
{
    const ferry_services *svc = dst->svc;
    if (plugin_util_mkdir_at(tofd, alg) != 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "creating a directory in", dst->rootpath);
    int from = plugin_util_open_dir(fromfd, alg);
    int to = plugin_util_open_dir(tofd, alg);
    DIR *d = from >= 0 ? fdopendir(from) : NULL;
    int status = FERRY_OK;
    if (d == NULL || to < 0) {
        status = plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "opening", dst->rootpath);
    } else {
        struct dirent *de;
        while (status == FERRY_OK && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            if (fs_publish_noreplace(from, de->d_name, to, de->d_name) != 0)
                status = plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "storing a blob in", dst->rootpath);
        }
        if (status == FERRY_OK && plugin_util_fsync_dir(to) != 0)
            status = plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "syncing", dst->rootpath);
    }
    if (d != NULL)
        closedir(d);
    else if (from >= 0)
        close(from);
    if (to >= 0)
        close(to);
    return status;
}

/* Publishes every staged blob (fromfd holds ALG/HEX) into the blob root. */
static int oci_dest_publish(oci_dest *dst, ferry_ctx *ctx, int fromfd)
{
    int dupfd = dup(fromfd);
    DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
    if (d == NULL) {
        if (dupfd >= 0)
            close(dupfd);
        return plugin_util_errno_error(dst->svc, ctx, errno, dst->ref.label, "reading", dst->stagepath);
    }
    int status = FERRY_OK;
    struct dirent *de;
    while (status == FERRY_OK && (de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.' || fstatat(fromfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        status = oci_dest_publish_alg(dst, ctx, fromfd, dst->rootfd, de->d_name);
    }
    closedir(d);
    return status;
}

/* Opens the blob root of the layout (PATH/blobs or the shared directory),
 * creating it, and a fresh staging directory inside it. */
static int oci_dest_open_blob_root(oci_dest *dst, ferry_ctx *ctx, const char *layout_path)
{
    const ferry_services *svc = dst->svc;
    int status = oci_blob_open_root(svc, ctx, dst->ref.label, layout_path, svc->get_option(ctx, "shared-blob-dir"), 1,
                                    &dst->rootfd, &dst->rootpath);
    if (status != FERRY_OK)
        return status;
    dst->stagefd = plugin_util_staging_dir(dst->rootfd, ".ferry-staging-", dst->stage_name, sizeof dst->stage_name);
    if (dst->stagefd < 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "creating a staging directory in",
                                       dst->rootpath);
    dst->stagepath = plugin_util_printf("%s/%s", dst->rootpath, dst->stage_name);
    if (dst->stagepath == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    return FERRY_OK;
}

/* Commit into an existing layout: blobs first, then the index entry. */
static int oci_dest_commit_existing(oci_dest *dst, ferry_ctx *ctx, int stagedfd, json_t *desc)
{
    int status = oci_dest_publish(dst, ctx, stagedfd);
    if (status != FERRY_OK) {
        json_decref(desc);
        return status;
    }
    return oci_index_add_locked(dst->svc, ctx, dst->ref.label, dst->layoutfd, desc, dst->referrers);
}

/* fsyncs the ALG directories below fd, so that renames in them last. */
static int oci_dest_sync_alg_dirs(int fd)
{
    static const char *const algs[] = {"sha256", "sha512"};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        int alg = plugin_util_open_dir(fd, algs[i]);
        if (alg < 0)
            continue;
        int rc = plugin_util_fsync_dir(alg);
        int err = errno;
        close(alg);
        if (rc != 0) {
            errno = err;
            return -1;
        }
    }
    return 0;
}

/* Commit of a new layout: complete it in its staging directory, then rename
 * it into place; merge into the layout someone else created meanwhile. */
static int oci_dest_commit_new(oci_dest *dst, ferry_ctx *ctx, json_t *desc)
{
    const ferry_services *svc = dst->svc;
    int status = FERRY_OK;
    if (dst->rootfd >= 0)
        status = oci_dest_publish(dst, ctx, dst->stagefd); /* into the shared blob directory */
    json_t *again = json_deep_copy(desc);
    if (status == FERRY_OK)
        status = oci_index_add_locked(svc, ctx, dst->ref.label, dst->newfd, desc, dst->referrers);
    else
        json_decref(desc);
    if (status == FERRY_OK && dst->rootfd < 0 &&
        (oci_dest_sync_alg_dirs(dst->stagefd) != 0 || plugin_util_fsync_dir(dst->stagefd) != 0))
        status = plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "syncing", dst->stagepath);
    if (status != FERRY_OK) {
        json_decref(again);
        return status;
    }
    if (renameat2(dst->parentfd, dst->new_name, dst->parentfd, dst->name, RENAME_NOREPLACE) == 0) {
        json_decref(again);
        dst->committed = 1;
        if (plugin_util_fsync_dir(dst->parentfd) != 0)
            return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "syncing the parent of", dst->ref.path);
        return FERRY_OK;
    }
    if (errno != EEXIST && errno != ENOTEMPTY) {
        json_decref(again);
        return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "creating", dst->ref.path);
    }
    /* Created by another writer since open: add to it like to any layout. */
    dst->layoutfd = plugin_util_open_dir(AT_FDCWD, dst->ref.path);
    if (dst->layoutfd < 0) {
        json_decref(again);
        return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "opening", dst->ref.path);
    }
    if (dst->rootfd < 0) {
        status = oci_blob_open_root(svc, ctx, dst->ref.label, dst->ref.path, NULL, 1, &dst->rootfd, &dst->rootpath);
        if (status != FERRY_OK) {
            json_decref(again);
            return status;
        }
    }
    status = oci_dest_commit_existing(dst, ctx, dst->stagefd, again);
    if (status == FERRY_OK)
        dst->committed = 1;
    return status;
}

static int oci_dest_put_referrer(ferry_image_dest *dest, ferry_ctx *ctx, const char *subject_digest,
                                 const char *descriptor_json, size_t len)
{
    oci_dest *dst = (oci_dest *)dest;
    json_t *entry = oci_referrer_entry(descriptor_json, len);
    if (entry == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid referrer of %s", dst->ref.label,
                                   subject_digest);
    if (dst->referrers == NULL)
        dst->referrers = json_array();
    if (dst->referrers == NULL || json_array_append_new(dst->referrers, entry) != 0)
        return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    return FERRY_OK;
}

static int oci_dest_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    oci_dest *dst = (oci_dest *)dest;
    if (dst->pending == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: commit without a manifest", dst->ref.label);
    json_t *desc = dst->pending;
    dst->pending = NULL;
    if (dst->newfd >= 0)
        return oci_dest_commit_new(dst, ctx, desc);
    int status = oci_dest_commit_existing(dst, ctx, dst->stagefd, desc);
    if (status == FERRY_OK)
        dst->committed = 1;
    return status;
}

static void oci_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    oci_dest *dst = (oci_dest *)dest;
    json_decref(dst->pending);
    json_decref(dst->referrers);
    if (dst->stagefd >= 0)
        close(dst->stagefd);
    /* The blob staging directory goes in any case: after a commit it holds
     * only empty ALG directories (or duplicates of blobs already present). */
    if (dst->rootfd >= 0 && dst->stage_name[0] != '\0' &&
        plugin_util_remove_tree_at(dst->rootfd, dst->stage_name) != 0)
        dst->svc->log(ctx, FERRY_LOG_WARNING, "%s: could not remove %s", dst->ref.label, dst->stagepath);
    if (dst->parentfd >= 0 && dst->new_name[0] != '\0' && (!dst->committed || dst->layoutfd >= 0) &&
        plugin_util_remove_tree_at(dst->parentfd, dst->new_name) != 0)
        dst->svc->log(ctx, FERRY_LOG_WARNING, "%s: could not remove the staging directory %s", dst->ref.label,
                      dst->new_name);
    if (dst->newfd >= 0)
        close(dst->newfd);
    if (dst->parentfd >= 0)
        close(dst->parentfd);
    if (dst->layoutfd >= 0)
        close(dst->layoutfd);
    if (dst->rootfd >= 0)
        close(dst->rootfd);
    free(dst->rootpath);
    free(dst->stagepath);
    free(dst->name);
    oci_reference_free(&dst->ref);
    free(dst);
}

static const ferry_dest_ops oci_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = oci_dest_manifest_types,
    .desired_layer_compression = oci_dest_desired_layer_compression,
    .try_reuse_blob = oci_dest_try_reuse_blob,
    .put_blob = oci_dest_put_blob,
    .put_manifest = oci_dest_put_manifest,
    .put_signatures = NULL, /* the layout has no place for signatures */
    .commit = oci_dest_commit,
    .close = oci_dest_close,
    .put_referrer = oci_dest_put_referrer,
};

/* An existing layout: refuse early an index.json it could not update. */
static int oci_dest_open_existing(oci_dest *dst, ferry_ctx *ctx)
{
    const ferry_services *svc = dst->svc;
    dst->layoutfd = plugin_util_open_dir(AT_FDCWD, dst->ref.path);
    if (dst->layoutfd < 0)
        return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "opening", dst->ref.path);
    json_t *index = NULL;
    int status = oci_index_read(svc, ctx, dst->ref.label, dst->layoutfd, &index);
    json_decref(index);
    if (status != FERRY_OK && status != FERRY_ERR_NOT_FOUND)
        return status;
    return oci_dest_open_blob_root(dst, ctx, dst->ref.path);
}

/* A new layout: staged next to where it will be, with its blobs/ (empty
 * when blobs go to a shared directory, as skopeo leaves it). */
static int oci_dest_open_new(oci_dest *dst, ferry_ctx *ctx)
{
    const ferry_services *svc = dst->svc;
    const char *label = dst->ref.label;
    char *path = strdup(dst->ref.path);
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    char *parent = NULL;
    int status = plugin_util_split_path(path, &parent, &dst->name) == 0
                     ? plugin_util_make_dir(svc, ctx, label, parent, &dst->parentfd)
                     : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    free(path);
    if (status == FERRY_OK)
        dst->newfd = plugin_util_staging_dir(dst->parentfd, ".ferry-oci-", dst->new_name, sizeof dst->new_name);
    if (status == FERRY_OK && (dst->newfd < 0 || mkdirat(dst->newfd, OCI_BLOBS_DIR, 0755) != 0))
        status = plugin_util_errno_error(svc, ctx, errno, label, "creating a staging directory in", parent);
    char *stage = status == FERRY_OK ? plugin_util_printf("%s/%s", parent, dst->new_name) : NULL;
    free(parent);
    if (status != FERRY_OK)
        return status;
    if (stage == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    const char *shared = svc->get_option(ctx, "shared-blob-dir");
    if (shared != NULL && shared[0] != '\0') {
        status = oci_dest_open_blob_root(dst, ctx, stage);
        free(stage);
        return status;
    }
    dst->stagepath = plugin_util_printf("%s/%s", stage, OCI_BLOBS_DIR);
    free(stage);
    if (dst->stagepath == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    dst->stagefd = plugin_util_open_dir(dst->newfd, OCI_BLOBS_DIR);
    if (dst->stagefd < 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "opening", dst->stagepath);
    return FERRY_OK;
}

int oci_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = oci_services();
    *out = NULL;
    oci_dest *dst = calloc(1, sizeof *dst);
    if (dst == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "oci:%s: out of memory", reference);
    dst->base.ops = &oci_dest_ops;
    dst->svc = svc;
    dst->layoutfd = dst->parentfd = dst->newfd = dst->rootfd = dst->stagefd = -1;
    dst->compression = oci_destination_compression(ctx);
    int status = oci_destination_reference(ctx, "oci", reference, &dst->ref);
    if (status == FERRY_OK) {
        struct stat st;
        if (stat(dst->ref.path, &st) == 0)
            status = oci_dest_open_existing(dst, ctx);
        else if (errno == ENOENT)
            status = oci_dest_open_new(dst, ctx);
        else
            status = plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "inspecting", dst->ref.path);
    }
    if (status != FERRY_OK) {
        oci_dest_close(&dst->base, ctx);
        return status;
    }
    *out = &dst->base;
    return FERRY_OK;
}
