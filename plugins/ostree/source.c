/* plugins/ostree/source.c — reading an image from an OSTree repository in
 * the old transport's format. The manifest is the image commit's
 * docker.manifest metadata; the config is the file "content" of its blob's
 * commit; each layer is rebuilt byte for byte from its commit's tree and
 * tarsplit.output and served uncompressed (FERRY_CAP_UNCOMPRESSED_LAYERS),
 * which the core verifies against the DiffID: what the old transport's
 * LayerInfosForCopy and GetBlob did, with every file checked against its
 * recorded size and CRC-64. Signatures are the files signature-1…N of the
 * image commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ostree_transport.h"
#include "shared/base64.h"
#include "shared/fsutil.h"
#include "tarsplit.h"

typedef struct ot_source {
    ferry_image_source base;
    const ferry_services *svc;
    ot_reference ref;
    ot_repo repo;
    char *image_commit; /* g_free */
    char *manifest;     /* the image commit's docker.manifest */
    int64_t n_signatures;
} ot_source;

/* ---- files of a commit ------------------------------------------------------ */

typedef struct ot_commit_files {
    ot_source *src;
    GFile *root;
    char *what; /* "ociimage/HEX (commit C)" */
} ot_commit_files;

static int ot_files_open(void *opaque, ferry_ctx *ctx, const char *name, void **file)
{
    ot_commit_files *cf = opaque;
    const char *nm = name;
    while (*nm == '/')
        nm++;
    char *rel = plugin_util_archive_path(NULL, 0, nm);
    if (rel == NULL)
        return cf->src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: file %s: name outside the layer",
                                       cf->src->ref.label, cf->what, name);
    GFile *f = g_file_resolve_relative_path(cf->root, rel);
    free(rel);
    GError *err = NULL;
    GFileInputStream *in = NULL;
    if (g_file_query_file_type(f, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) != G_FILE_TYPE_REGULAR) {
        g_object_unref(f);
        return cf->src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: %s: layer file %s: not a regular file of the commit",
                                       cf->src->ref.label, cf->what, name);
    }
    in = g_file_read(f, NULL, &err);
    g_object_unref(f);
    if (in == NULL) {
        char *msg = plugin_util_printf("%s: reading layer file %s", cf->what, name);
        int rc = ot_gerror(&cf->src->repo, ctx, 0, err, msg ? msg : name);
        free(msg);
        return rc;
    }
    *file = in;
    return FERRY_OK;
}

static int ot_files_read(void *opaque, void *file, ferry_ctx *ctx, void *buf, size_t len, size_t *n)
{
    ot_commit_files *cf = opaque;
    GError *err = NULL;
    gssize got = g_input_stream_read(G_INPUT_STREAM(file), buf, len, NULL, &err);
    if (got < 0) {
        char *msg = plugin_util_printf("%s: reading a layer file", cf->what);
        int rc = ot_gerror(&cf->src->repo, ctx, FERRY_ERR_IO, err, msg ? msg : "reading a layer file");
        free(msg);
        return rc;
    }
    *n = (size_t)got;
    return FERRY_OK;
}

static void ot_files_close(void *opaque, void *file)
{
    (void)opaque;
    g_object_unref(file);
}

static void ot_files_release(void *opaque)
{
    ot_commit_files *cf = opaque;
    g_clear_object(&cf->root);
    free(cf->what);
    free(cf);
}

static const tarsplit_files ot_commit_files_ops = {
    .open = ot_files_open, .read = ot_files_read, .close = ot_files_close, .release = ot_files_release};

/* ---- the image -------------------------------------------------------------- */

static int ot_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                  ferry_reader **out, char *media_type, size_t media_type_cap)
{
    ot_source *src = (ot_source *)source;
    if (instance_digest != NULL)
        return src->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: Manifest lists are not supported by \"ostree:\"",
                                   src->ref.label);
    if (media_type_cap > 0)
        media_type[0] = '\0'; /* the core detects it, as containers/image guessed it */
    return src->svc->memory_reader(ctx, src->ref.label, src->manifest, strlen(src->manifest), NULL, out);
}

/* A small file of a commit, whole, into a malloc'd buffer. */
static int ot_source_read_small(ot_source *src, ferry_ctx *ctx, GFile *root, const char *name, const char *what,
                                char **data, size_t *len)
{
    GFile *f = g_file_resolve_relative_path(root, name);
    GError *err = NULL;
    GFileInfo *info = g_file_query_info(f, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &err);
    int rc = FERRY_OK;
    char *contents = NULL;
    gsize got = 0;
    if (info == NULL) {
        char *msg = plugin_util_printf("%s: reading %s", what, name);
        rc = ot_gerror(&src->repo, ctx, 0, err, msg ? msg : name);
        free(msg);
    } else if (g_file_info_get_file_type(info) != G_FILE_TYPE_REGULAR || g_file_info_get_size(info) > OT_SMALL_MAX) {
        rc = src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: %s is not a regular file of at most %d bytes",
                                 src->ref.label, what, name, OT_SMALL_MAX);
    } else if (!g_file_load_contents(f, NULL, &contents, &got, NULL, &err)) {
        char *msg = plugin_util_printf("%s: reading %s", what, name);
        rc = ot_gerror(&src->repo, ctx, 0, err, msg ? msg : name);
        free(msg);
    }
    if (info != NULL)
        g_object_unref(info);
    g_object_unref(f);
    if (rc == FERRY_OK) {
        *data = malloc(got ? got : 1);
        if (*data == NULL)
            rc = src->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
        else
            memcpy(*data, contents, got);
        *len = got;
    }
    g_free(contents);
    return rc;
}

/* The tar-split recorded in a layer commit, decoded into a memory file. */
static int ot_source_tarsplit_fd(ot_source *src, ferry_ctx *ctx, const char *b64, const char *what, int *fd)
{
    size_t len = strlen(b64), raw_len = 0;
    unsigned char *raw = malloc(len / 4 * 3 + 1);
    if (raw == NULL)
        return src->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
    if (base64_decode(b64, len, raw, &raw_len) != 0) {
        free(raw);
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: tarsplit.output is not base64", src->ref.label,
                                   what);
    }
    *fd = memfd_create("ferry-tarsplit", MFD_CLOEXEC);
    int rc = FERRY_OK;
    if (*fd < 0 || fs_write_all(*fd, raw, raw_len) != 0 || lseek(*fd, 0, SEEK_SET) != 0) {
        rc = plugin_util_errno_error(src->svc, ctx, errno, src->ref.label, "buffering the tar-split of", what);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    }
    free(raw);
    return rc;
}

static int ot_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                              ferry_reader **out)
{
    ot_source *src = (ot_source *)source;
    char *branch = ot_branch_for_digest(src->svc, info->digest);
    if (branch == NULL)
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", src->ref.label,
                                   info->digest ? info->digest : "");
    char *checksum = NULL;
    GVariant *meta = NULL;
    GFile *root = NULL;
    int rc = ot_resolve_branch(&src->repo, ctx, branch, &checksum);
    if (rc == FERRY_OK && checksum == NULL)
        rc = src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: blob %s not in the repository (no branch %s)",
                                 src->ref.label, info->digest, branch);
    if (rc == FERRY_OK)
        rc = ot_commit_metadata(&src->repo, ctx, checksum, &meta);
    GError *err = NULL;
    if (rc == FERRY_OK && !ostree_repo_read_commit(src->repo.repo, checksum, &root, NULL, NULL, &err))
        rc = ot_gerror(&src->repo, ctx, 0, err, branch);
    const char *tarsplit = rc == FERRY_OK ? ot_meta_string(meta, "tarsplit.output") : NULL;
    if (rc == FERRY_OK && tarsplit == NULL) {
        /* A config (or any blob committed whole): its one file. */
        char *data = NULL;
        size_t len = 0;
        rc = ot_source_read_small(src, ctx, root, "content", branch, &data, &len);
        if (rc == FERRY_OK)
            rc = src->svc->memory_reader(ctx, src->ref.label, data, len, free, out);
    } else if (rc == FERRY_OK) {
        int64_t usize = -1;
        if (ot_meta_int64(meta, "docker.uncompressed_size", &usize) != 0)
            usize = -1;
        ot_commit_files *cf = calloc(1, sizeof(*cf));
        int fd = -1;
        if (cf == NULL || (cf->what = plugin_util_printf("%s (commit %s)", branch, checksum)) == NULL) {
            free(cf);
            rc = src->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
        } else if ((rc = ot_source_tarsplit_fd(src, ctx, tarsplit, cf->what, &fd)) != FERRY_OK) {
            free(cf->what);
            free(cf);
        } else {
            cf->src = src;
            cf->root = g_object_ref(root);
            rc = tarsplit_reader_open(src->svc, ctx, fd, src->ref.label, cf->what, &ot_commit_files_ops, cf, usize,
                                      out);
        }
    }
    if (meta != NULL)
        g_variant_unref(meta);
    g_clear_object(&root);
    g_free(checksum);
    free(branch);
    return rc;
}

static int ot_source_get_signatures(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                    int (*emit)(void *opaque, const void *data, size_t len), void *opaque)
{
    ot_source *src = (ot_source *)source;
    if (instance_digest != NULL)
        return src->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: Manifest lists are not supported by \"ostree:\"",
                                   src->ref.label);
    if (src->n_signatures == 0)
        return FERRY_OK;
    GFile *root = NULL;
    GError *err = NULL;
    if (!ostree_repo_read_commit(src->repo.repo, src->image_commit, &root, NULL, NULL, &err))
        return ot_gerror(&src->repo, ctx, 0, err, src->ref.branch);
    int rc = FERRY_OK;
    for (int64_t i = 1; i <= src->n_signatures && rc == FERRY_OK; i++) {
        char name[40];
        snprintf(name, sizeof name, "signature-%lld", (long long)i);
        char *data = NULL;
        size_t len = 0;
        rc = ot_source_read_small(src, ctx, root, name, src->ref.branch, &data, &len);
        if (rc == FERRY_OK)
            rc = emit(opaque, data, len);
        free(data);
    }
    g_object_unref(root);
    return rc;
}

static void ot_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    (void)ctx;
    ot_source *src = (ot_source *)source;
    ot_repo_close(&src->repo);
    g_free(src->image_commit);
    free(src->manifest);
    ot_reference_free(&src->ref);
    free(src);
}

static const ferry_source_ops ot_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = ot_source_get_manifest,
    .get_blob = ot_source_get_blob,
    .get_signatures = ot_source_get_signatures,
    .docker_reference = NULL, /* the old transport named no docker reference */
    .close = ot_source_close,
};

/* The image commit and what its metadata holds. */
static int ot_source_load(ot_source *src, ferry_ctx *ctx)
{
    int rc = ot_resolve_branch(&src->repo, ctx, src->ref.branch, &src->image_commit);
    if (rc == FERRY_OK && src->image_commit == NULL)
        return src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: image %s not found in repository %s (no branch %s)",
                                   src->ref.label, src->ref.image, src->ref.repo, src->ref.branch);
    GVariant *meta = NULL;
    if (rc == FERRY_OK)
        rc = ot_commit_metadata(&src->repo, ctx, src->image_commit, &meta);
    if (rc != FERRY_OK)
        return rc;
    const char *manifest = ot_meta_string(meta, "docker.manifest");
    if (manifest == NULL)
        rc = src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: manifest not found (branch %s has no docker.manifest)",
                                 src->ref.label, src->ref.branch);
    else if ((src->manifest = strdup(manifest)) == NULL)
        rc = src->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
    /* No "signatures" key: none, as the old transport read it. */
    if (rc == FERRY_OK && ot_meta_string(meta, "signatures") != NULL &&
        (ot_meta_int64(meta, "signatures", &src->n_signatures) != 0 || src->n_signatures > 1000))
        rc = src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: branch %s: bad signature count \"%s\"", src->ref.label,
                                 src->ref.branch, ot_meta_string(meta, "signatures"));
    g_variant_unref(meta);
    return rc;
}

int ot_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = ot_services();
    *out = NULL;
    ot_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", OT_TRANSPORT, reference);
    src->base.ops = &ot_source_ops;
    src->svc = svc;
    int rc = ot_open_reference(svc, ctx, reference, &src->ref, &src->repo);
    if (rc == FERRY_OK)
        rc = ot_source_load(src, ctx);
    if (rc != FERRY_OK) {
        ot_source_close(&src->base, ctx);
        return rc;
    }
    *out = &src->base;
    return FERRY_OK;
}
