/* plugins/docker/dest.c — writing an image to a registry.
 *
 * Blobs: try_reuse_blob mounts the blob from the repository it is copied
 * from when that is on the same registry (POST …/uploads/?mount=&from=;
 * 201 is done, while 202 is an upload the registry started instead, which
 * is cancelled at once), else asks HEAD whether it is there. put_blob is
 * upload.c's: an upload session, resumed after connection failures.
 *
 * Manifests: list instances are PUT by digest as they come; the top-level
 * manifest is kept and PUT by tag (or digest) at commit, so the tag moves
 * only then. Untagged manifests and blobs of a failed copy stay in the
 * registry, which collects them.
 *
 * Signatures: sigstore ones become attachments (attachments.c) when
 * registries.d enables them; the others go to the lookaside store
 * (lookaside.c), for the top-level manifest under the digest of the one put.
 * Referrers (put_referrer) are PUT by digest like instances; those the
 * registry did not acknowledge with an OCI-Subject header are merged into
 * their subject's referrers tag schema index at commit, after the image
 * (referrers.c). */
#include "docker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct docker_dest {
    ferry_image_dest base;
    const ferry_services *svc;
    docker_reference ref;
    docker_client *client;
    char *manifest; /* top-level manifest, PUT at commit */
    size_t manifest_len;
    char *manifest_type;
    char manifest_digest[PLUGIN_UTIL_DIGEST_MAX];
    docker_sig_config sigs;
    json_t *subject_acked; /* digests of manifests whose PUT got an OCI-Subject header */
    json_t *referrers;     /* {subject: [descriptor, ...]} for the fallback tags, written at commit */
} docker_dest;

static int docker_dest_desired_layer_compression(ferry_image_dest *dest)
{
    (void)dest;
    return FERRY_COMPRESSION_COMPRESS;
}

/* Sends a request whose body does not matter and returns its status code
 * (0 on failure, with the error reported). */
static long docker_dest_simple(docker_dest *d, ferry_ctx *ctx, docker_request *req, docker_transfer **out)
{
    docker_transfer *t = NULL;
    if (docker_client_send(d->client, ctx, req, &t) != FERRY_OK)
        return 0;
    long code = docker_transfer_status(t);
    if (out != NULL)
        *out = t;
    else
        docker_transfer_free(t, ctx);
    return code;
}

/* Tries a cross-repository mount from `from`; FERRY_OK when mounted. */
static int docker_dest_mount(docker_dest *d, ferry_ctx *ctx, const char *digest, const char *from)
{
    /* Digest and repository are validated: nothing to escape. */
    char *target = plugin_util_printf("/v2/%s/blobs/uploads/?mount=%s&from=%s", d->ref.path, digest, from);
    char *scope = plugin_util_printf("repository:%s:pull", from);
    if (target == NULL || scope == NULL) {
        free(target);
        free(scope);
        return FERRY_ERR_NO_MEMORY;
    }
    char what[PLUGIN_UTIL_DIGEST_MAX + 300];
    snprintf(what, sizeof what, "mounting blob %s from %s", digest, from);
    docker_request req = {.method = "POST", .target = target, .extra_scope = scope, .what = what};
    docker_transfer *t = NULL;
    long code = docker_dest_simple(d, ctx, &req, &t);
    free(target);
    free(scope);
    if (code == 0)
        return FERRY_ERR_NOT_FOUND;
    int status = FERRY_ERR_NOT_FOUND;
    if (code == 201) {
        status = FERRY_OK;
    } else if (code == 202) {
        /* The registry started an upload instead of mounting: cancel it. */
        char *location = docker_upload_location(d->client, t);
        docker_transfer_free(t, ctx);
        t = NULL;
        docker_upload_cancel(d->client, ctx, &d->ref, location);
        free(location);
    }
    d->svc->log(ctx, FERRY_LOG_DEBUG, "%s: %s: HTTP %ld", d->ref.label, what, code);
    docker_transfer_free(t, ctx);
    return status;
}

static int docker_dest_try_reuse_blob(ferry_image_dest *dest, ferry_ctx *ctx, const ferry_blob_info *info,
                                      int64_t *size)
{
    docker_dest *d = (docker_dest *)dest;
    const ferry_services *svc = d->svc;
    if (info->digest == NULL || !svc->digest_is_valid(info->digest))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", d->ref.label,
                              info->digest != NULL ? info->digest : "");

    /* A sibling repository of the same registry: one POST does it all. */
    const char *src = FERRY_HAS_MEMBER(info, ferry_blob_info, source_reference) ? info->source_reference : NULL;
    int mounted = 0;
    if (src != NULL && strncmp(src, "docker:", 7) == 0) {
        docker_reference from;
        if (docker_reference_parse_quiet(src + 7, &from) == 0) {
            if (strcmp(from.domain, d->ref.domain) == 0 && strcmp(from.path, d->ref.path) != 0) {
                int status = docker_dest_mount(d, ctx, info->digest, from.path);
                if (status == FERRY_ERR_NO_MEMORY) {
                    docker_reference_free(&from);
                    return svc->set_error(ctx, status, "%s: out of memory", d->ref.label);
                }
                mounted = status == FERRY_OK;
            }
            docker_reference_free(&from);
        }
    }
    if (mounted && info->size >= 0) {
        *size = info->size;
        return FERRY_OK;
    }

    char *path = plugin_util_printf("/v2/%s/blobs/%s", d->ref.path, info->digest);
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
    char what[PLUGIN_UTIL_DIGEST_MAX + 32];
    snprintf(what, sizeof what, "checking for blob %s", info->digest);
    docker_request req = {.method = "HEAD", .target = path, .follow_redirects = 1, .what = what};
    docker_transfer *t = NULL;
    int status = docker_client_send(d->client, ctx, &req, &t);
    free(path);
    if (status != FERRY_OK)
        return status;
    long code = docker_transfer_status(t);
    if (code == 200) {
        const char *cl = docker_transfer_header(t, "Content-Length", 0);
        *size = cl != NULL ? (int64_t)strtoll(cl, NULL, 10) : info->size;
        status = FERRY_OK;
    } else if (code == 404) {
        status = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: blob %s not present", d->ref.label, info->digest);
    } else {
        status = docker_response_error(d->client, ctx, t, what);
    }
    docker_transfer_free(t, ctx);
    return status;
}

static int docker_dest_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info)
{
    docker_dest *d = (docker_dest *)dest;
    return docker_upload_blob(d->client, ctx, &d->ref, data, info);
}

/* PUT /v2/NAME/manifests/WHICH; *subject_acked (when not NULL) says
 * whether the registry answered with OCI-Subject (it indexed the
 * manifest's subject: the referrers API). */
static int docker_dest_put_manifest_now(docker_dest *d, ferry_ctx *ctx, const char *which, const void *data,
                                        size_t len, const char *media_type, int *subject_acked)
{
    const ferry_services *svc = d->svc;
    char *path = plugin_util_printf("/v2/%s/manifests/%s", d->ref.path, which);
    char *ctype = plugin_util_printf("Content-Type: %s", media_type != NULL && media_type[0] != '\0'
                                                             ? media_type
                                                             : DOCKER_MT_V2S2);
    if (path == NULL || ctype == NULL) {
        free(path);
        free(ctype);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
    }
    char what[PLUGIN_UTIL_DIGEST_MAX + 160];
    snprintf(what, sizeof what, "writing manifest %s", which);
    const char *headers[] = {ctype, NULL};
    docker_request req = {
        .method = "PUT", .target = path, .headers = headers, .body = data, .body_len = len, .what = what};
    int status = FERRY_OK;
    /* docker-registry's filesystem driver rewrites a repository's blob link
     * in place: while another writer links the same blob (two syncs into one
     * repository), the PUT may find it empty and answer 400 "manifest blob
     * unknown" for a blob that is there. Such a 400 is asked again, briefly. */
    for (int attempt = 0;; attempt++) {
        docker_transfer *t = NULL;
        status = docker_client_send(d->client, ctx, &req, &t);
        if (status != FERRY_OK)
            break;
        long code = docker_transfer_status(t);
        if (code < 200 || code > 299)
            status = docker_response_error(d->client, ctx, t, what);
        else if (subject_acked != NULL)
            *subject_acked = docker_transfer_header(t, "OCI-Subject", 0) != NULL;
        if (code == 415)
            status = FERRY_ERR_UNSUPPORTED; /* the core may convert and try another type */
        docker_transfer_free(t, ctx);
        if (code != 400 || attempt == 3 || svc->cancelled(ctx))
            break;
        struct timespec pause = {0, 50000000L << attempt};
        nanosleep(&pause, NULL);
    }
    free(path);
    free(ctype);
    return status;
}

int docker_dest_put_manifest_at(ferry_image_dest *dest, ferry_ctx *ctx, const char *which, const void *data,
                                size_t len, const char *media_type)
{
    return docker_dest_put_manifest_now((docker_dest *)dest, ctx, which, data, len, media_type, NULL);
}

static int docker_dest_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                                    const char *media_type, const char *digest, const char *instance_digest)
{
    docker_dest *d = (docker_dest *)dest;
    const ferry_services *svc = d->svc;
    if (instance_digest != NULL) {
        if (!svc->digest_is_valid(instance_digest))
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid manifest digest \"%s\"", d->ref.label,
                                  instance_digest);
        int acked = 0;
        int status = docker_dest_put_manifest_now(d, ctx, instance_digest, data, len, media_type, &acked);
        if (status == FERRY_OK && acked && json_array_append_new(d->subject_acked, json_string(instance_digest)) != 0)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
        return status;
    }
    if (d->ref.digest != NULL && (digest == NULL || strcmp(digest, d->ref.digest) != 0))
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: the manifest's digest %s does not match the digest of the destination reference",
                              d->ref.label, digest != NULL ? digest : "(unknown)");
    char *copy = malloc(len > 0 ? len : 1);
    char *type = strdup(media_type != NULL ? media_type : "");
    if (copy == NULL || type == NULL) {
        free(copy);
        free(type);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
    }
    memcpy(copy, data, len);
    free(d->manifest);
    free(d->manifest_type);
    d->manifest = copy;
    d->manifest_len = len;
    d->manifest_type = type;
    snprintf(d->manifest_digest, sizeof d->manifest_digest, "%s", digest != NULL ? digest : "");
    return FERRY_OK;
}

/* containers/image's PutSignaturesWithFormat: sigstore blobs to attachments
 * first; then, when there are others, all the blobs to the lookaside store
 * (which containers/image v5.23.1 passes the whole list). */
static int docker_dest_put_signatures(ferry_image_dest *dest, ferry_ctx *ctx, const char *instance_digest,
                                      size_t count, const void *const *signatures, const size_t *lengths)
{
    docker_dest *d = (docker_dest *)dest;
    const ferry_services *svc = d->svc;
    const char *digest = instance_digest != NULL ? instance_digest : d->manifest_digest;
    if (digest[0] == '\0')
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: Unknown manifest digest, can't add signatures", d->ref.label);
    if (!svc->digest_is_valid(digest))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid manifest digest \"%s\"", d->ref.label, digest);
    size_t n_sigstore = 0;
    const void **sigstore = calloc(count + 1, sizeof *sigstore);
    size_t *sigstore_lens = calloc(count + 1, sizeof *sigstore_lens);
    int status = sigstore != NULL && sigstore_lens != NULL
                     ? FERRY_OK
                     : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
    for (size_t i = 0; i < count && status == FERRY_OK; i++) {
        char err[160];
        int kind = docker_signature_kind(signatures[i], lengths[i], err, sizeof err);
        if (kind < 0)
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: signature %zu: %s", d->ref.label, i + 1, err);
        else if (kind == DOCKER_SIG_SIGSTORE) {
            sigstore[n_sigstore] = signatures[i];
            sigstore_lens[n_sigstore++] = lengths[i];
        }
    }
    if (status == FERRY_OK && n_sigstore > 0) {
        if (!d->sigs.use_attachments)
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "writing sigstore attachments is disabled by "
                                    "configuration");
        else
            status = docker_attachments_write(dest, d->client, ctx, digest, n_sigstore,
                                              (const void *const *)sigstore, sigstore_lens);
    }
    if (status == FERRY_OK && n_sigstore < count)
        status = docker_lookaside_write(ctx, &d->sigs.write, digest, count, signatures, lengths);
    free(sigstore);
    free(sigstore_lens);
    return status;
}

static int docker_dest_put_referrer(ferry_image_dest *dest, ferry_ctx *ctx, const char *subject_digest,
                                    const char *descriptor_json, size_t len)
{
    docker_dest *d = (docker_dest *)dest;
    const ferry_services *svc = d->svc;
    json_t *desc = json_loadb(descriptor_json, len, 0, NULL);
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    if (digest == NULL || !svc->digest_is_valid(subject_digest)) {
        json_decref(desc);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid referrer of %s", d->ref.label, subject_digest);
    }
    size_t i;
    json_t *acked;
    json_array_foreach(d->subject_acked, i, acked)
        if (strcmp(json_string_value(acked), digest) == 0) {
            json_decref(desc); /* the registry lists it itself */
            return FERRY_OK;
        }
    json_t *list = json_object_get(d->referrers, subject_digest);
    if (list == NULL && json_object_set_new(d->referrers, subject_digest, list = json_array()) != 0)
        list = NULL;
    if (list == NULL || json_array_append_new(list, desc) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
    return FERRY_OK;
}

/* The referrers tag schema: each subject's index gets the referrers the
 * registry did not index itself. */
static int docker_dest_write_referrer_tags(docker_dest *d, ferry_ctx *ctx)
{
    const char *subject;
    json_t *descriptors;
    json_object_foreach(d->referrers, subject, descriptors) {
        json_t *index = NULL;
        int status = docker_referrers_tag_read(d->client, ctx, subject, &index);
        if (status != FERRY_OK)
            return status;
        size_t len = 0;
        char *bytes = docker_referrers_merge(index, descriptors, &len);
        int unchanged = bytes == NULL && index != NULL;
        json_decref(index);
        if (unchanged)
            continue;
        if (bytes == NULL)
            return d->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->ref.label);
        char tag[128];
        docker_referrers_tag(subject, tag, sizeof tag);
        status = docker_dest_put_manifest_now(d, ctx, tag, bytes, len, DOCKER_MT_OCI_INDEX, NULL);
        free(bytes);
        if (status != FERRY_OK)
            return status;
    }
    return FERRY_OK;
}

static int docker_dest_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    docker_dest *d = (docker_dest *)dest;
    if (d->manifest == NULL)
        return d->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: commit without a manifest", d->ref.label);
    int status = docker_dest_put_manifest_now(d, ctx, d->ref.digest != NULL ? d->ref.digest : d->ref.tag,
                                              d->manifest, d->manifest_len, d->manifest_type, NULL);
    if (status == FERRY_OK)
        status = docker_dest_write_referrer_tags(d, ctx);
    return status;
}

static void docker_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    docker_dest *d = (docker_dest *)dest;
    (void)ctx;
    docker_client_free(d->client);
    docker_sig_config_free(&d->sigs);
    docker_reference_free(&d->ref);
    free(d->manifest);
    free(d->manifest_type);
    json_decref(d->subject_acked);
    json_decref(d->referrers);
    free(d);
}

/* What a registry takes, as containers/image lists it: naming them (rather
 * than "anything") lets the core fall back to OCI when zstd layers cannot go
 * into a Docker manifest. */
static const char *const docker_dest_types[] = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
    NULL,
};

static const char *const *docker_dest_manifest_types(ferry_image_dest *dest)
{
    (void)dest;
    return docker_dest_types;
}

static const ferry_dest_ops docker_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = docker_dest_manifest_types,
    .desired_layer_compression = docker_dest_desired_layer_compression,
    .try_reuse_blob = docker_dest_try_reuse_blob,
    .put_blob = docker_dest_put_blob,
    .put_manifest = docker_dest_put_manifest,
    .put_signatures = docker_dest_put_signatures,
    .commit = docker_dest_commit,
    .close = docker_dest_close,
    .put_referrer = docker_dest_put_referrer,
};

int docker_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = docker_services();
    *out = NULL;
    docker_dest *d = calloc(1, sizeof *d);
    if (d == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "docker:%s: out of memory", reference);
    d->base.ops = &docker_dest_ops;
    d->svc = svc;
    int status = docker_reference_parse(ctx, reference, &d->ref);
    if (status != FERRY_OK) {
        free(d);
        return status;
    }
    d->subject_acked = json_array();
    d->referrers = json_object();
    if (d->subject_acked == NULL || d->referrers == NULL) {
        docker_dest_close(&d->base, ctx);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "docker:%s: out of memory", reference);
    }
    status = docker_sig_config_load(ctx, &d->ref, &d->sigs);
    if (status == FERRY_OK)
        status = docker_client_open(ctx, &d->ref, "pull,push", &d->client);
    if (status != FERRY_OK) {
        docker_dest_close(&d->base, ctx);
        return status;
    }
    *out = &d->base;
    return FERRY_OK;
}
