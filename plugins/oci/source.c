/* plugins/oci/source.c — reading an image from an OCI layout. index.json is
 * read once at open, where the reference is resolved to one descriptor (so a
 * missing image fails at open); blobs, including manifests, are then opened
 * by digest below the blob directory. Blobs are immutable, so no lock is
 * needed while reading. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct oci_source {
    ferry_image_source base;
    const ferry_services *svc;
    oci_reference ref;
    int blobfd;
    char *blobpath;
    char digest[PLUGIN_UTIL_DIGEST_MAX]; /* of the selected manifest */
    char *media_type;                    /* from its index.json entry */
} oci_source;

/* Opens blob `digest` as a reader; `kind` words errors ("blob", "manifest"). */
static int oci_source_open_blob(oci_source *src, ferry_ctx *ctx, const char *digest, const char *kind,
                                ferry_reader **out)
{
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    if (oci_blob_relpath(src->svc, digest, rel, sizeof rel) != 0)
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid %s digest \"%s\"", src->ref.label, kind,
                                   digest != NULL ? digest : "");
    char what[PLUGIN_UTIL_DIGEST_MAX + 16];
    snprintf(what, sizeof what, "%s %s", kind, digest);
    return src->svc->file_reader(ctx, src->blobfd, src->blobpath, rel, src->ref.label, what, out);
}

static int oci_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                   ferry_reader **out, char *media_type, size_t media_type_cap)
{
    oci_source *src = (oci_source *)source;
    if (media_type_cap > 0) {
        /* Only the top level has an index.json entry recording its type. */
        const char *mt = instance_digest == NULL ? src->media_type : "";
        snprintf(media_type, media_type_cap, "%s", strlen(mt) < media_type_cap ? mt : "");
    }
    /* The digest index.json (or the list) names it by is claimed, for the
     * core to check against the bytes. */
    const char *digest = instance_digest != NULL ? instance_digest : src->digest;
    ferry_reader *blob = NULL;
    int status = oci_source_open_blob(src, ctx, digest, "manifest", &blob);
    if (status == FERRY_OK)
        status = plugin_util_claim_reader(src->svc, ctx, src->ref.label, blob, digest, out);
    return status;
}

static int oci_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                               ferry_reader **out)
{
    oci_source *src = (oci_source *)source;
    return oci_source_open_blob(src, ctx, info->digest, "blob", out);
}

static int oci_source_list_referrers(ferry_image_source *source, ferry_ctx *ctx, const char *digest,
                                     int (*emit)(void *opaque, const char *json, size_t len), void *opaque)
{
    oci_source *src = (oci_source *)source;
    return oci_referrers_list(src->svc, ctx, &src->ref, src->blobfd, digest, emit, opaque);
}

static void oci_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    oci_source *src = (oci_source *)source;
    (void)ctx;
    if (src->blobfd >= 0)
        close(src->blobfd);
    free(src->blobpath);
    free(src->media_type);
    oci_reference_free(&src->ref);
    free(src);
}

static const ferry_source_ops oci_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = oci_source_get_manifest,
    .get_blob = oci_source_get_blob,
    .get_signatures = NULL, /* the layout has no place for them */
    .docker_reference = NULL,
    .close = oci_source_close,
    .list_referrers = oci_source_list_referrers,
};

/* Resolves the reference through index.json into src->digest/media_type. */
static int oci_source_resolve(oci_source *src, ferry_ctx *ctx)
{
    const ferry_services *svc = src->svc;
    int layoutfd = plugin_util_open_dir(AT_FDCWD, src->ref.path);
    if (layoutfd < 0) {
        /* FERRY_ERR_IO, not NOT_FOUND: a missing layout is not "no such
         * image" to skopeo (exit 1); a reference absent from index.json is. */
        if (errno == ENOENT)
            return svc->set_error(ctx, FERRY_ERR_IO, "%s: no such layout directory %s", src->ref.label,
                                  src->ref.path);
        return plugin_util_errno_error(svc, ctx, errno, src->ref.label, "opening", src->ref.path);
    }
    json_t *index = NULL;
    int status = oci_index_read(svc, ctx, src->ref.label, layoutfd, &index);
    close(layoutfd);
    if (status == FERRY_ERR_NOT_FOUND) /* no index.json: not a layout, exit 1 as above */
        status = svc->set_error(ctx, FERRY_ERR_IO, "%s: not an OCI layout (no %s)", src->ref.label, OCI_INDEX_FILE);
    const json_t *desc = NULL;
    if (status == FERRY_OK)
        status = oci_index_select(svc, ctx, &src->ref, index, &desc);
    if (status == FERRY_OK) {
        snprintf(src->digest, sizeof src->digest, "%s", json_string_value(json_object_get(desc, "digest")));
        const char *mt = json_string_value(json_object_get(desc, "mediaType"));
        src->media_type = strdup(mt != NULL ? mt : "");
        if (src->media_type == NULL)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
    }
    json_decref(index);
    return status;
}

int oci_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = oci_services();
    *out = NULL;
    oci_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "oci:%s: out of memory", reference);
    src->base.ops = &oci_source_ops;
    src->svc = svc;
    src->blobfd = -1;
    int status = oci_reference_parse(ctx, reference, &src->ref);
    if (status == FERRY_OK)
        status = oci_source_resolve(src, ctx);
    if (status == FERRY_OK)
        status = oci_blob_open_root(svc, ctx, src->ref.label, src->ref.path, svc->get_option(ctx, "shared-blob-dir"),
                                    0, &src->blobfd, &src->blobpath);
    if (status != FERRY_OK) {
        oci_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
