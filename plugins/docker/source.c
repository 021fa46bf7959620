/* plugins/docker/source.c — reading an image from a registry. Manifests
 * are fetched whole (at most 4 MiB, refused from Content-Length before
 * reading) with the Accept list of every manifest and list type, checked
 * against the Docker-Content-Digest header and, when fetched by digest,
 * against that digest, and only then handed to the core from memory; the
 * media type comes from Content-Type. Blobs stream (blob_reader.c).
 * Signatures come from the lookaside store registries.d names and, when it
 * says so, from sigstore attachments; those of the image are those of the
 * digest of the manifest get_manifest handed over (a tag may move).
 * registries.conf may name mirrors and a rewritten location: they are
 * tried in order at open, each by reading the top manifest, and the first
 * that answers is used (containers/image's newImageSource). */
#include "docker.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct docker_source {
    ferry_image_source base;
    const ferry_services *svc;
    docker_reference logical; /* as given: the image's identity (policy, docker_reference) */
    docker_reference ref;     /* where it is read from: logical, or a registries.conf pull source */
    docker_client *client;
    docker_sig_config sigs;
    char top_digest[PLUGIN_UTIL_DIGEST_MAX]; /* sha256 of the top-level manifest read, once read */
    /* The top manifest read at open while choosing among pull sources. */
    char *prefetched;
    size_t prefetched_len;
    char prefetched_type[256];
} docker_source;

void docker_media_type(const char *content_type, char *out, size_t cap)
{
    if (cap == 0)
        return;
    out[0] = '\0';
    if (content_type == NULL)
        return;
    size_t n = strcspn(content_type, ";");
    while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
        n--;
    if (n < cap)
        snprintf(out, cap, "%.*s", (int)n, content_type);
}

/* Digest of data with the algorithm of `like` ("sha256:…"); a signed schema
 * 1 manifest's is its payload's (ABI 1.2's manifest_digest; a 1.1 core
 * hashes the bytes). */
static int docker_digest_like(const ferry_services *svc, const char *like, const char *data, size_t len, char *out,
                              size_t cap)
{
    char alg[16];
    const char *hex;
    if (plugin_util_digest_split(svc, like, alg, sizeof alg, &hex) != 0)
        return -1;
    if (svc->struct_size >= offsetof(ferry_services, manifest_digest) + sizeof(svc->manifest_digest) &&
        svc->manifest_digest != NULL)
        return svc->manifest_digest(data, len, alg, out, cap) == FERRY_OK ? 0 : -1;
    ferry_hasher *h = svc->hasher_new(alg);
    if (h == NULL)
        return -1;
    svc->hasher_update(h, data, len);
    int rc = svc->hasher_final(h, out, cap);
    svc->hasher_free(h);
    return rc == FERRY_OK ? 0 : -1;
}

/* Any valid sha256 digest: docker_digest_like takes the algorithm from it. */
#define DOCKER_SHA256_LIKE "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static int docker_is_schema1(const char *media_type)
{
    return strcmp(media_type, DOCKER_MT_V2S1_SIGNED) == 0 || strcmp(media_type, DOCKER_MT_V2S1) == 0;
}

/* Checks the body against the reference digest and the registry's header. */
static int docker_source_verify(docker_source *src, ferry_ctx *ctx, const char *expected, const char *header,
                                const char *media_type, const char *data, size_t len)
{
    const ferry_services *svc = src->svc;
    char got[PLUGIN_UTIL_DIGEST_MAX];
    if (expected != NULL) {
        if (docker_digest_like(svc, expected, data, len, got, sizeof got) != 0)
            return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: cannot hash manifest", src->ref.label);
        if (strcmp(got, expected) != 0)
            return svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: manifest %s: the registry sent content hashing to %s",
                                  src->ref.label, expected, got);
    }
    /* Schema 1 digests cover the payload without its signatures. */
    if (header != NULL && header[0] != '\0' && !docker_is_schema1(media_type)) {
        if (!svc->digest_is_valid(header))
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid Docker-Content-Digest \"%.200s\"",
                                  src->ref.label, header);
        if (docker_digest_like(svc, header, data, len, got, sizeof got) != 0)
            return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: cannot hash manifest", src->ref.label);
        if (strcmp(got, header) != 0)
            return svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH,
                                  "%s: the manifest hashes to %s, but the registry says its digest is %s",
                                  src->ref.label, got, header);
    }
    return FERRY_OK;
}

/* Fetches and verifies a manifest (the top one when instance_digest is
 * NULL); *data is malloc'd. */
static int docker_source_fetch_manifest(docker_source *src, ferry_ctx *ctx, const char *instance_digest, char **data,
                                        size_t *len, char *type, size_t type_cap)
{
    const ferry_services *svc = src->svc;
    *data = NULL;
    const char *expected = instance_digest != NULL ? instance_digest : src->ref.digest;
    const char *which = expected != NULL ? expected : src->ref.tag;
    char *path = plugin_util_printf("/v2/%s/manifests/%s", src->ref.path, which);
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
    char what[PLUGIN_UTIL_DIGEST_MAX + 160];
    snprintf(what, sizeof what, "reading manifest %s", which);
    const char *headers[] = {DOCKER_MANIFEST_ACCEPT, NULL};
    docker_request req = {.method = "GET", .target = path, .headers = headers, .follow_redirects = 1, .what = what};
    docker_transfer *t = NULL;
    int status = docker_client_expect(src->client, ctx, &req, 200, 200, &t);
    free(path);
    if (status != FERRY_OK)
        return status;
    char err[256];
    status = docker_transfer_read_all(t, ctx, DOCKER_MANIFEST_MAX, data, len, err, sizeof err);
    if (status != FERRY_OK) {
        docker_transfer_free(t, ctx);
        return docker_transport_error(ctx, &src->ref, status, what, err);
    }
    docker_media_type(docker_transfer_header(t, "Content-Type", 0), type, type_cap);
    status = docker_source_verify(src, ctx, expected, docker_transfer_header(t, "Docker-Content-Digest", 0), type,
                                  *data, *len);
    docker_transfer_free(t, ctx);
    /* containers/image's manifest.Digest (sha256; a schema 1 one's payload's),
     * which signatures are stored under. */
    if (status == FERRY_OK && instance_digest == NULL &&
        docker_digest_like(svc, DOCKER_SHA256_LIKE, *data, *len, src->top_digest, sizeof src->top_digest) != 0)
        status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: cannot hash manifest", src->ref.label);
    if (status != FERRY_OK) {
        free(*data);
        *data = NULL;
    }
    return status;
}

static int docker_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                      ferry_reader **out, char *media_type, size_t media_type_cap)
{
    docker_source *src = (docker_source *)source;
    const ferry_services *svc = src->svc;
    *out = NULL;
    if (instance_digest != NULL && !svc->digest_is_valid(instance_digest))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid manifest digest \"%s\"", src->ref.label,
                              instance_digest);
    char *data = NULL;
    size_t len = 0;
    char type[256];
    int status = FERRY_OK;
    if (instance_digest == NULL && src->prefetched != NULL) {
        data = malloc(src->prefetched_len + 1);
        if (data == NULL)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->ref.label);
        memcpy(data, src->prefetched, src->prefetched_len + 1);
        len = src->prefetched_len;
        snprintf(type, sizeof type, "%s", src->prefetched_type);
    } else {
        status = docker_source_fetch_manifest(src, ctx, instance_digest, &data, &len, type, sizeof type);
    }
    if (status != FERRY_OK)
        return status;
    /* The verified bytes are handed over whole (data is the reader's now). */
    status = svc->memory_reader(ctx, src->ref.label, data, len, free, out);
    if (status != FERRY_OK)
        return status;
    /* Generic types say nothing: let the core look at the bytes. */
    if (strcmp(type, "text/plain") == 0 || strcmp(type, "application/json") == 0 ||
        strcmp(type, "application/octet-stream") == 0)
        type[0] = '\0';
    if (media_type_cap > 0)
        snprintf(media_type, media_type_cap, "%s", strlen(type) < media_type_cap ? type : "");
    return FERRY_OK;
}

static int docker_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                                  ferry_reader **out)
{
    docker_source *src = (docker_source *)source;
    return docker_blob_reader_open(src->client, ctx, info->digest, info->size, out);
}

/* The digest signatures are attached to (containers/image's manifestDigest). */
static int docker_source_signed_digest(docker_source *src, ferry_ctx *ctx, const char *instance_digest,
                                       const char **digest)
{
    const ferry_services *svc = src->svc;
    if (instance_digest != NULL) {
        if (!svc->digest_is_valid(instance_digest))
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid manifest digest \"%s\"", src->ref.label,
                                  instance_digest);
        *digest = instance_digest;
        return FERRY_OK;
    }
    if (src->ref.digest != NULL && strncmp(src->ref.digest, "sha256:", 7) == 0) {
        *digest = src->ref.digest;
        return FERRY_OK;
    }
    if (src->top_digest[0] == '\0') {
        ferry_reader *r = NULL;
        char type[256];
        int status = docker_source_get_manifest(&src->base, ctx, NULL, &r, type, sizeof type);
        if (r != NULL)
            ferry_reader_close(r);
        if (status != FERRY_OK)
            return status;
    }
    *digest = src->top_digest;
    return FERRY_OK;
}

static int docker_source_get_signatures(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                        int (*emit)(void *opaque, const void *data, size_t len), void *opaque)
{
    docker_source *src = (docker_source *)source;
    const char *digest = NULL;
    int status = docker_source_signed_digest(src, ctx, instance_digest, &digest);
    if (status == FERRY_OK)
        status = docker_lookaside_read(src->client, ctx, &src->sigs.read, digest, emit, opaque);
    if (status == FERRY_OK && src->sigs.use_attachments)
        status = docker_attachments_read(src->client, ctx, digest, emit, opaque);
    return status;
}

static const char *docker_source_docker_reference(ferry_image_source *source)
{
    return ((docker_source *)source)->logical.canonical;
}

static int docker_source_list_referrers(ferry_image_source *source, ferry_ctx *ctx, const char *digest,
                                        int (*emit)(void *opaque, const char *json, size_t len), void *opaque)
{
    return docker_referrers_list(((docker_source *)source)->client, ctx, digest, emit, opaque);
}

static void docker_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    docker_source *src = (docker_source *)source;
    (void)ctx;
    docker_client_free(src->client);
    docker_sig_config_free(&src->sigs);
    docker_reference_free(&src->ref);
    docker_reference_free(&src->logical);
    free(src->prefetched);
    free(src);
}

static const ferry_source_ops docker_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = docker_source_get_manifest,
    .get_blob = docker_source_get_blob,
    .get_signatures = docker_source_get_signatures,
    .docker_reference = docker_source_docker_reference,
    .close = docker_source_close,
    .list_referrers = docker_source_list_referrers,
};

/* Sets src up to read from `physical` ("//NAME…"); with prefetch, reads
 * the top manifest too, so that a pull source that cannot serve the image
 * fails here. */
static int docker_source_attempt(docker_source *src, ferry_ctx *ctx, const char *physical, int insecure, int prefetch)
{
    docker_client_free(src->client);
    src->client = NULL;
    docker_sig_config_free(&src->sigs);
    memset(&src->sigs, 0, sizeof src->sigs);
    docker_reference_free(&src->ref);
    src->top_digest[0] = '\0';
    int status = docker_reference_parse(ctx, physical, &src->ref);
    if (status == FERRY_OK)
        status = docker_sig_config_load(ctx, &src->ref, &src->sigs);
    if (status == FERRY_OK)
        status = docker_client_open_endpoint(ctx, &src->ref, "pull", insecure,
                                             strcmp(src->ref.domain, src->logical.domain) != 0, &src->client);
    if (status == FERRY_OK && prefetch)
        status = docker_source_fetch_manifest(src, ctx, NULL, &src->prefetched, &src->prefetched_len,
                                              src->prefetched_type, sizeof src->prefetched_type);
    return status;
}

/* Tries registries.conf's pull sources ("REF\tinsecure|secure" lines) in
 * order. When all fail, the error names each: "(Mirrors also failed: [M1:
 * E1] [M2: E2]): PRIMARY: E", one line. */
static int docker_source_try_sources(docker_source *src, ferry_ctx *ctx, const char *sources)
{
    const ferry_services *svc = src->svc;
    size_t n = 0;
    for (const char *p = sources; *p != '\0'; p++)
        n += *p == '\n';
    char *failures = NULL;
    int status = FERRY_ERR_FAILED;
    size_t i = 0;
    for (const char *line = sources; *line != '\0'; i++) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        const char *tab = memchr(line, '\t', len);
        size_t ref_len = tab != NULL ? (size_t)(tab - line) : len;
        int insecure = tab != NULL && strncmp(tab + 1, "insecure", 8) == 0;
        char *physical = plugin_util_printf("//%.*s", (int)ref_len, line);
        line = end != NULL ? end + 1 : line + len;
        if (physical == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->logical.label);
            break;
        }
        svc->log(ctx, FERRY_LOG_DEBUG, "%s: trying to access \"%s\"", src->logical.label, physical + 2);
        status = docker_source_attempt(src, ctx, physical, insecure, n > 1);
        free(physical);
        if (status == FERRY_OK || status == FERRY_ERR_CANCELLED || n == 1 || i + 1 == n)
            break;
        const char *why = svc->error_message(ctx); /* the module declares ABI 1.5 */
        char *more = plugin_util_printf("%s%s[%s]", failures != NULL ? failures : "", failures != NULL ? " " : "",
                                        why != NULL ? why : "failed");
        free(failures);
        failures = more;
    }
    if (status != FERRY_OK && status != FERRY_ERR_CANCELLED && failures != NULL) {
        const char *why = svc->error_message(ctx);
        status = svc->set_error(ctx, status, "%s: (Mirrors also failed: %s): %s", src->logical.label, failures,
                                why != NULL ? why : "failed");
    }
    free(failures);
    return status;
}

int docker_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = docker_services();
    *out = NULL;
    docker_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "docker:%s: out of memory", reference);
    src->base.ops = &docker_source_ops;
    src->svc = svc;
    int status = docker_reference_parse(ctx, reference, &src->logical);
    if (status != FERRY_OK) {
        free(src);
        return status;
    }
    char key[1200];
    snprintf(key, sizeof key, "registry-pull-sources:%s", src->logical.canonical);
    const char *sources = svc->get_option(ctx, key);
    if (sources != NULL && sources[0] != '\0')
        status = docker_source_try_sources(src, ctx, sources);
    else
        status = docker_source_attempt(src, ctx, reference, -1, 0);
    if (status != FERRY_OK) {
        docker_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
