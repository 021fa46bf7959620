/* plugins/oci-archive/source.c — reading an image from a tar of an OCI
 * layout without unpacking it: the archive is indexed once at open
 * (tarindex.c), index.json is read and resolved as for oci: (the oci
 * module's code), and manifests and blobs are then served from their
 * members blobs/ALG/HEX by pread, so readers may run in parallel. */
#include "ociarch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ociarch_source {
    ferry_image_source base;
    const ferry_services *svc;
    oci_reference ref;
    ociarch_tar tar;
    char digest[PLUGIN_UTIL_DIGEST_MAX]; /* of the selected manifest */
    char *media_type;                    /* from its index.json entry */
} ociarch_source;

/* Finds the member of blob `digest` (validated before it becomes a name). */
static int ociarch_source_find_blob(ociarch_source *src, ferry_ctx *ctx, const char *digest, const char *kind,
                                    const ociarch_member **m)
{
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    if (oci_blob_relpath(src->svc, digest, rel, sizeof rel) != 0)
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid %s digest \"%s\"", src->ref.label, kind,
                                   digest != NULL ? digest : "");
    char name[PLUGIN_UTIL_DIGEST_MAX + 32];
    char what[PLUGIN_UTIL_DIGEST_MAX + 16];
    snprintf(name, sizeof name, "%s/%s", OCI_BLOBS_DIR, rel);
    snprintf(what, sizeof what, "%s %s", kind, digest);
    return ociarch_tar_find(src->svc, ctx, src->ref.label, &src->tar, name, what, m);
}

static int ociarch_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                       ferry_reader **out, char *media_type, size_t media_type_cap)
{
    ociarch_source *src = (ociarch_source *)source;
    *out = NULL;
    if (media_type_cap > 0) {
        /* Only the top level has an index.json entry recording its type. */
        const char *mt = instance_digest == NULL ? src->media_type : "";
        snprintf(media_type, media_type_cap, "%s", strlen(mt) < media_type_cap ? mt : "");
    }
    const ociarch_member *m = NULL;
    const char *digest = instance_digest != NULL ? instance_digest : src->digest;
    int status = ociarch_source_find_blob(src, ctx, digest, "manifest", &m);
    if (status == FERRY_OK && m->size > OCIARCH_MANIFEST_MAX) /* refused before reading */
        status = src->svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: manifest %s is larger than %d MiB",
                                     src->ref.label, m->name, OCIARCH_MANIFEST_MAX >> 20);
    ferry_reader *member = NULL;
    if (status == FERRY_OK)
        status = ociarch_tar_reader(src->svc, ctx, src->ref.label, &src->tar, m, &member);
    /* Claims the digest index.json names it by, for the core to check. */
    if (status == FERRY_OK)
        status = plugin_util_claim_reader(src->svc, ctx, src->ref.label, member, digest, out);
    return status;
}

static int ociarch_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                                   ferry_reader **out)
{
    ociarch_source *src = (ociarch_source *)source;
    const ociarch_member *m = NULL;
    *out = NULL;
    int status = ociarch_source_find_blob(src, ctx, info->digest, "blob", &m);
    if (status == FERRY_OK)
        status = ociarch_tar_reader(src->svc, ctx, src->ref.label, &src->tar, m, out);
    return status;
}

static void ociarch_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    ociarch_source *src = (ociarch_source *)source;
    (void)ctx;
    ociarch_tar_close(&src->tar);
    free(src->media_type);
    oci_reference_free(&src->ref);
    free(src);
}

static const ferry_source_ops ociarch_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = ociarch_source_get_manifest,
    .get_blob = ociarch_source_get_blob,
    .get_signatures = NULL, /* the layout has no place for them */
    .docker_reference = NULL,
    .close = ociarch_source_close,
};

/* Resolves the reference through the index.json member. */
static int ociarch_source_resolve(ociarch_source *src, ferry_ctx *ctx)
{
    const ferry_services *svc = src->svc;
    const ociarch_member *m = NULL;
    char *data = NULL;
    json_t *index = NULL;
    int status = ociarch_tar_find(svc, ctx, src->ref.label, &src->tar, OCI_INDEX_FILE, "the layout's index", &m);
    if (status == FERRY_ERR_NOT_FOUND) /* worded for the user: not an image archive */
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is not an OCI layout archive (no %s)",
                                src->ref.label, src->tar.path, OCI_INDEX_FILE);
    if (status == FERRY_OK)
        status = ociarch_tar_slurp(svc, ctx, src->ref.label, &src->tar, m, OCI_INDEX_MAX, &data);
    if (status == FERRY_OK)
        status = oci_index_parse(svc, ctx, src->ref.label, data, (size_t)m->size, &index);
    free(data);
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
    /* A manifest that is not there fails now, like a missing image. */
    if (status == FERRY_OK && ociarch_source_find_blob(src, ctx, src->digest, "manifest", &m) != FERRY_OK)
        status = FERRY_ERR_INVALID; /* a broken archive, not a missing image */
    return status;
}

int ociarch_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = oci_services();
    *out = NULL;
    ociarch_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", OCIARCH_TRANSPORT, reference);
    src->base.ops = &ociarch_source_ops;
    src->svc = svc;
    src->tar.fd = -1;
    int status = oci_reference_parse_as(ctx, OCIARCH_TRANSPORT, reference, &src->ref);
    if (status == FERRY_OK)
        status = ociarch_tar_open(svc, ctx, src->ref.label, src->ref.path, &src->tar);
    /* Only a reference absent from index.json is "no such image" (exit 2,
     * as skopeo); a missing archive file is an I/O error. */
    if (status == FERRY_ERR_NOT_FOUND)
        status = FERRY_ERR_IO;
    if (status == FERRY_OK)
        status = ociarch_source_resolve(src, ctx);
    if (status != FERRY_OK) {
        ociarch_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
