/* tests/abi/tampered.c — a source module that checks nothing and lies, for
 * tests/abi/verify.sh: the core must refuse a manifest whose bytes do not
 * match a digest it knows, whatever the module says or leaves out.
 *
 * Transport "tampered" serves one small OCI image (a config, no layers)
 * built at first open with the core's hasher. "Tampered" bytes are the good
 * manifest plus a trailing space: still valid JSON, another digest.
 *   tampered:good        the image, honestly (the baseline)
 *   tampered:claim       tampered bytes; the reader's digest() claims the good digest
 *   tampered:claim-ok    good bytes; digest() claims the good digest
 *   tampered:claim-junk  good bytes; digest() claims "not-a-digest"
 *   tampered:pinned      tampered bytes; docker_reference pins the good digest
 *   tampered:pinned-ok   good bytes; docker_reference pins the good digest
 *   tampered:list        an OCI index naming the good manifest (linux/amd64),
 *                        whose instance is served tampered
 *   tampered:list-ok     the same index, instance served honestly
 * Any other reference is FERRY_ERR_NOT_FOUND.
 */
#include <ferry/ferry.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAMPERED_DIGEST_MAX 136
#define TAMPERED_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define TAMPERED_INDEX_TYPE "application/vnd.oci.image.index.v1+json"

static const ferry_core *the_core; /* set by the entry point, owned by the core */

static const char config_json[] = "{\"architecture\":\"amd64\",\"os\":\"linux\","
                                  "\"config\":{\"Env\":[\"TAMPERED=0\"]},"
                                  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

/* Built once at the first open (the only thread then). */
static char config_digest[TAMPERED_DIGEST_MAX];
static char manifest_json[512], manifest_digest[TAMPERED_DIGEST_MAX];
static char tampered_json[sizeof(manifest_json) + 1];
static char index_json[512];
static char pinned_reference[TAMPERED_DIGEST_MAX + 64];

static int sha256_of(const void *data, size_t len, char *out)
{
    const ferry_services *svc = the_core->services;
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return FERRY_ERR_NO_MEMORY;
    svc->hasher_update(h, data, len);
    int rc = svc->hasher_final(h, out, TAMPERED_DIGEST_MAX);
    svc->hasher_free(h);
    return rc;
}

static int build_image(void)
{
    if (manifest_digest[0] != '\0')
        return FERRY_OK;
    int rc = sha256_of(config_json, strlen(config_json), config_digest);
    if (rc != FERRY_OK)
        return rc;
    snprintf(manifest_json, sizeof(manifest_json),
             "{\"schemaVersion\":2,\"mediaType\":\"" TAMPERED_MANIFEST_TYPE "\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
             "\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
             config_digest, strlen(config_json));
    snprintf(tampered_json, sizeof(tampered_json), "%s ", manifest_json);
    rc = sha256_of(manifest_json, strlen(manifest_json), manifest_digest);
    if (rc != FERRY_OK)
        return rc;
    snprintf(index_json, sizeof(index_json),
             "{\"schemaVersion\":2,\"mediaType\":\"" TAMPERED_INDEX_TYPE "\",\"manifests\":["
             "{\"mediaType\":\"" TAMPERED_MANIFEST_TYPE "\",\"digest\":\"%s\",\"size\":%zu,"
             "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
             manifest_digest, strlen(manifest_json));
    snprintf(pinned_reference, sizeof(pinned_reference), "example.com/tampered@%s", manifest_digest);
    return FERRY_OK;
}

/* ---------------------------------------------------------------- reader */

typedef struct tampered_reader {
    ferry_reader base;
    const char *data;
    size_t len, pos;
    const char *claim; /* what digest() says once at end of stream, or NULL */
} tampered_reader;

static int tampered_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    tampered_reader *m = (tampered_reader *)r;
    size_t n = m->len - m->pos;
    (void)ctx;
    if (n > len)
        n = len;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *nread = n;
    *eos = m->pos == m->len;
    return FERRY_OK;
}

static void tampered_reader_close(ferry_reader *r)
{
    free(r);
}

static const char *tampered_reader_digest(ferry_reader *r)
{
    tampered_reader *m = (tampered_reader *)r;
    return m->pos == m->len ? m->claim : NULL;
}

static int64_t tampered_reader_size(ferry_reader *r)
{
    return (int64_t)((tampered_reader *)r)->len;
}

static const ferry_reader_ops tampered_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = tampered_read,
    .close = tampered_reader_close,
    .digest = tampered_reader_digest,
    .size = tampered_reader_size,
};

static int tampered_reader_new(ferry_ctx *ctx, const char *data, const char *claim, ferry_reader **out)
{
    tampered_reader *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return the_core->services->set_error(ctx, FERRY_ERR_NO_MEMORY, "tampered: out of memory");
    m->base.ops = &tampered_reader_ops;
    m->data = data;
    m->len = strlen(data);
    m->claim = claim;
    *out = &m->base;
    return FERRY_OK;
}

/* ---------------------------------------------------------------- source */

typedef struct tampered_source {
    ferry_image_source base;
    char scenario[32];
} tampered_source;

static int is(const tampered_source *s, const char *scenario)
{
    return strcmp(s->scenario, scenario) == 0;
}

static int src_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                            ferry_reader **out, char *media_type, size_t media_type_cap)
{
    tampered_source *s = (tampered_source *)source;
    int list = is(s, "list") || is(s, "list-ok");
    const char *type = list && instance_digest == NULL ? TAMPERED_INDEX_TYPE : TAMPERED_MANIFEST_TYPE;
    snprintf(media_type, media_type_cap, "%s", type);
    if (instance_digest != NULL && (!list || strcmp(instance_digest, manifest_digest) != 0))
        return the_core->services->set_error(ctx, FERRY_ERR_NOT_FOUND, "tampered:%s: no manifest %s", s->scenario,
                                             instance_digest);
    if (list && instance_digest == NULL)
        return tampered_reader_new(ctx, index_json, NULL, out);
    if (is(s, "claim"))
        return tampered_reader_new(ctx, tampered_json, manifest_digest, out);
    if (is(s, "claim-ok"))
        return tampered_reader_new(ctx, manifest_json, manifest_digest, out);
    if (is(s, "claim-junk"))
        return tampered_reader_new(ctx, manifest_json, "not-a-digest", out);
    if (is(s, "pinned") || is(s, "list"))
        return tampered_reader_new(ctx, tampered_json, NULL, out);
    return tampered_reader_new(ctx, manifest_json, NULL, out);
}

static int src_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                        ferry_reader **out)
{
    (void)source;
    if (info->digest != NULL && strcmp(info->digest, config_digest) == 0)
        return tampered_reader_new(ctx, config_json, NULL, out);
    return the_core->services->set_error(ctx, FERRY_ERR_NOT_FOUND, "tampered: no blob %s",
                                         info->digest ? info->digest : "(null)");
}

static const char *src_docker_reference(ferry_image_source *source)
{
    tampered_source *s = (tampered_source *)source;
    return is(s, "pinned") || is(s, "pinned-ok") ? pinned_reference : NULL;
}

static void src_close(ferry_image_source *source, ferry_ctx *ctx)
{
    (void)ctx;
    free(source);
}

static const ferry_source_ops source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = src_get_manifest,
    .get_blob = src_get_blob,
    .docker_reference = src_docker_reference,
    .close = src_close,
};

/* ---------------------------------------------------------------- transport */

static int t_validate(ferry_ctx *ctx, const char *reference)
{
    if (reference[0] == '\0')
        return the_core->services->set_error(ctx, FERRY_ERR_INVALID, "tampered: empty reference");
    return FERRY_OK;
}

static int t_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    if (strlen(reference) >= cap)
        return the_core->services->set_error(ctx, FERRY_ERR_TOO_LARGE, "tampered:%s: reference too long",
                                             reference);
    snprintf(buf, cap, "%s", reference);
    return FERRY_OK;
}

static int t_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    static const char *const scenarios[] = {"good",      "claim",  "claim-ok", "claim-junk",
                                            "pinned",    "pinned-ok", "list",  "list-ok"};
    const ferry_services *svc = the_core->services;
    int known = 0;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        known |= strcmp(reference, scenarios[i]) == 0;
    if (!known)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "tampered:%s: no such image", reference);
    int rc = build_image();
    if (rc != FERRY_OK)
        return svc->set_error(ctx, rc, "tampered:%s: hashing the image failed", reference);
    tampered_source *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "tampered:%s: out of memory", reference);
    s->base.ops = &source_ops;
    snprintf(s->scenario, sizeof(s->scenario), "%s", reference);
    *out = &s->base;
    return FERRY_OK;
}

static const ferry_transport tampered_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "tampered",
    .description = "test source serving manifests that do not match their digests",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_MANIFEST_LISTS,
    .validate_reference = t_validate,
    .policy_identity = t_policy_identity,
    .open_source = t_open_source,
};

static const ferry_transport *const transports[] = {&tampered_transport, NULL};

static const ferry_module module = {
    FERRY_MODULE_HEADER,
    .name = "tampered",
    .version = "0.0.1",
    .license = "Apache-2.0",
    .transports = transports,
};

static int tampered_init(const ferry_core *c, const ferry_module **out)
{
    if (c == NULL || c->abi_major != FERRY_ABI_MAJOR)
        return FERRY_ERR_ABI;
    the_core = c;
    *out = &module;
    return FERRY_OK;
}

FERRY_MODULE_DEFINE(tampered_init)
