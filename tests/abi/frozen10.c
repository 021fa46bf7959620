/* tests/abi/frozen10.c — a transport module built ONLY against the frozen copy
 * of the ferry 1.0 headers (tests/abi/ferry-1.0/include), never against
 * include/. It proves that a module compiled against the 1.0 ABI keeps loading
 * and working in every later 1.x core.
 *
 * Transport "frozen10" is a read-only source serving one fixed small OCI image
 * from memory, whatever the reference ("frozen10:x"), except:
 *   frozen10:missing  -> FERRY_ERR_NOT_FOUND (exit code 2 in ferry)
 *   frozen10:         -> FERRY_ERR_INVALID from validate_reference
 * The image: one gzip layer (a tar holding frozen10/hello.txt), an OCI config
 * with Env and a label, an OCI manifest. Its digests are constants below; at
 * open time they are re-checked with the core's hasher service, so that the
 * services table is exercised through the 1.0 layout too.
 *
 * Built a second time (target10.la) against the current headers with
 * FERRY_TARGET_ABI_MINOR=0 and FROZEN10_NAME "target10": those headers must
 * then declare exactly ABI 1.0, so that the same source compiles unchanged
 * and the module declares 1.0.
 *
 * Image digests (checked by tests/abi/abi.sh):
 *   manifest sha256:fd1ffc82470e5bddfc50a61a6f3e9f61ef42cab71a2c2d5227301870f13bbc05
 */
#include <ferry/ferry.h>

#include <stdlib.h>
#include <string.h>

#ifdef FERRY_TARGET_ABI_MINOR
#if FERRY_ABI_MAJOR != 1 || FERRY_TARGET_ABI_MINOR != 0
#error "frozen10.c targets ABI 1.0: build it with FERRY_TARGET_ABI_MINOR=0"
#endif
#elif FERRY_ABI_MAJOR != 1 || FERRY_ABI_MINOR != 0
#error "frozen10.c must be compiled against the frozen ferry 1.0 headers"
#endif

#ifndef FROZEN10_NAME
#define FROZEN10_NAME "frozen10"
#endif

#define LAYER_DIFF_ID "sha256:0fe1e0df9fd661ebb6153d5995ff7a49c0f093332c50c23319c3e56bf0a29079"
#define LAYER_DIGEST "sha256:934a0041898ac75407004f0b1baf6ad2e867e25aed6d6ce427ae28f913c4def7"
#define CONFIG_DIGEST "sha256:9c8f944efaaa381c2e0779e07247dd4cc205302db7b3a965f806b04da48eeaad"
#define MANIFEST_DIGEST "sha256:fd1ffc82470e5bddfc50a61a6f3e9f61ef42cab71a2c2d5227301870f13bbc05"
#define MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"

static const unsigned char layer_bytes[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xd2, 0xd1, 0x0a, 0x82, 0x30,
    0x14, 0x80, 0x61, 0xaf, 0x7b, 0x8a, 0xf3, 0x04, 0xb6, 0xe5, 0x6c, 0xcf, 0xb3, 0x68, 0xa6, 0x60,
    0x1a, 0x73, 0x42, 0xf5, 0xf4, 0x2d, 0xa3, 0x1b, 0xa1, 0xba, 0xb2, 0x08, 0xfe, 0xef, 0xe6, 0x8c,
    0x6d, 0x17, 0x83, 0x7f, 0x55, 0xe8, 0xaf, 0xbe, 0xd3, 0x6a, 0x9d, 0x2d, 0x47, 0x25, 0xb6, 0x2c,
    0xa7, 0x99, 0xcc, 0xe7, 0xb4, 0xd6, 0xa6, 0xdc, 0x18, 0x6b, 0x95, 0xb9, 0xef, 0x6b, 0xbd, 0xd9,
    0x16, 0x99, 0x94, 0xd9, 0x17, 0x8c, 0x43, 0x74, 0x21, 0x3d, 0x25, 0xf4, 0x7d, 0x7c, 0x77, 0xef,
    0xd3, 0xf9, 0x9f, 0xaa, 0x9e, 0xfd, 0x6b, 0xdf, 0xb6, 0x7d, 0x1e, 0xcf, 0x71, 0x99, 0xfe, 0x5b,
    0x63, 0x5e, 0xf7, 0xb7, 0x76, 0xd6, 0xbf, 0xd0, 0x45, 0xea, 0xaf, 0xe8, 0xbf, 0xb8, 0x29, 0xbb,
    0xa4, 0x5f, 0x70, 0x14, 0x27, 0xa7, 0x76, 0x3c, 0x34, 0x9d, 0xec, 0xc6, 0xa6, 0x8d, 0xe2, 0x0e,
    0xae, 0xe9, 0x86, 0x28, 0xb1, 0xf6, 0xf2, 0xf8, 0x25, 0x52, 0xf9, 0x10, 0x2e, 0xa2, 0x73, 0x25,
    0xb5, 0x77, 0x7b, 0x1f, 0x86, 0x55, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xe0, 0x77, 0x6e, 0x7c, 0x93, 0x00, 0x6e, 0x00, 0x28, 0x00, 0x00,
};

static const char config_json[] =
    "{\"created\":\"2024-05-06T07:08:09Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
    "\"config\":{\"Env\":[\"FROZEN=1.0\"],\"Labels\":{\"org.ferry.test\":\"frozen10\"}},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" LAYER_DIFF_ID "\"]}}";

static const char manifest_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_TYPE "\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
    "\"digest\":\"" CONFIG_DIGEST "\",\"size\":255},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
    "\"digest\":\"" LAYER_DIGEST "\",\"size\":190}]}";

static const ferry_core *the_core; /* set by the entry point, owned by the core */

/* ---------------------------------------------------------------- reader */

typedef struct mem_reader {
    ferry_reader base;
    const unsigned char *data;
    size_t len, pos;
} mem_reader;

static int mem_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    mem_reader *m = (mem_reader *)r;
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

static void mem_close(ferry_reader *r)
{
    free(r);
}

static int64_t mem_size(ferry_reader *r)
{
    return (int64_t)((mem_reader *)r)->len;
}

static const ferry_reader_ops mem_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = mem_read,
    .close = mem_close,
    .digest = NULL,
    .size = mem_size,
};

static int mem_reader_new(ferry_ctx *ctx, const void *data, size_t len, ferry_reader **out)
{
    mem_reader *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return the_core->services->set_error(ctx, FERRY_ERR_NO_MEMORY, "frozen10: out of memory");
    m->base.ops = &mem_reader_ops;
    m->data = data;
    m->len = len;
    *out = &m->base;
    return FERRY_OK;
}

/* ---------------------------------------------------------------- source */

typedef struct frozen_source {
    ferry_image_source base;
} frozen_source;

static int src_get_manifest(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest,
                            ferry_reader **out, char *media_type, size_t media_type_cap)
{
    (void)src;
    if (instance_digest != NULL && strcmp(instance_digest, MANIFEST_DIGEST) != 0)
        return the_core->services->set_error(ctx, FERRY_ERR_NOT_FOUND, "frozen10: no manifest %s", instance_digest);
    if (media_type_cap > 0) {
        strncpy(media_type, MANIFEST_TYPE, media_type_cap - 1);
        media_type[media_type_cap - 1] = '\0';
    }
    return mem_reader_new(ctx, manifest_json, sizeof(manifest_json) - 1, out);
}

static int src_get_blob(ferry_image_source *src, ferry_ctx *ctx, const ferry_blob_info *info, ferry_reader **out)
{
    (void)src;
    if (info->digest != NULL && strcmp(info->digest, CONFIG_DIGEST) == 0)
        return mem_reader_new(ctx, config_json, sizeof(config_json) - 1, out);
    if (info->digest != NULL && strcmp(info->digest, LAYER_DIGEST) == 0)
        return mem_reader_new(ctx, layer_bytes, sizeof(layer_bytes), out);
    return the_core->services->set_error(ctx, FERRY_ERR_NOT_FOUND, "frozen10: no blob %s",
                                     info->digest ? info->digest : "(null)");
}

static void src_close(ferry_image_source *src, ferry_ctx *ctx)
{
    (void)ctx;
    free(src);
}

static const ferry_source_ops source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = src_get_manifest,
    .get_blob = src_get_blob,
    .get_signatures = NULL,
    .docker_reference = NULL,
    .close = src_close,
};

/* Hashes data with the core's hasher service and compares with `want`. */
static int digest_matches(const void *data, size_t len, const char *want)
{
    const ferry_services *svc = the_core->services;
    char got[136];
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return 0;
    svc->hasher_update(h, data, len);
    int rc = svc->hasher_final(h, got, sizeof(got));
    svc->hasher_free(h);
    return rc == FERRY_OK && strcmp(got, want) == 0;
}

/* ---------------------------------------------------------------- transport */

static int t_validate(ferry_ctx *ctx, const char *reference)
{
    if (reference == NULL || reference[0] == '\0')
        return the_core->services->set_error(ctx, FERRY_ERR_INVALID, "frozen10: empty reference");
    return FERRY_OK;
}

static int t_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    size_t n = strlen(reference);
    if (n >= cap)
        return the_core->services->set_error(ctx, FERRY_ERR_INVALID, "frozen10: reference too long");
    memcpy(buf, reference, n + 1);
    return FERRY_OK;
}

static int t_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = the_core->services;
    if (strcmp(reference, "missing") == 0)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "frozen10:%s: no such image", reference);
    if (!svc->digest_is_valid(MANIFEST_DIGEST) || svc->digest_is_valid("sha256:../../x") ||
        !digest_matches(manifest_json, sizeof(manifest_json) - 1, MANIFEST_DIGEST) ||
        !digest_matches(config_json, sizeof(config_json) - 1, CONFIG_DIGEST) ||
        !digest_matches(layer_bytes, sizeof(layer_bytes), LAYER_DIGEST))
        return svc->set_error(ctx, FERRY_ERR_FAILED, "frozen10: the core's digest services disagree with 1.0");
    svc->log(ctx, FERRY_LOG_DEBUG, "frozen10: opening %s (core %s, ABI %u.%u)", reference, the_core->core_version,
             (unsigned)the_core->abi_major, (unsigned)the_core->abi_minor);
    frozen_source *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "frozen10: out of memory");
    s->base.ops = &source_ops;
    *out = &s->base;
    return FERRY_OK;
}

static const ferry_transport frozen_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = FROZEN10_NAME,
    .description = "test transport built against the frozen ferry 1.0 headers",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_PARALLEL_GET,
    .validate_reference = t_validate,
    .policy_identity = t_policy_identity,
    .open_source = t_open_source,
    .open_destination = NULL,
    .delete_image = NULL,
    .list_tags = NULL,
};

static const ferry_transport *const transports[] = {&frozen_transport, NULL};

static const ferry_module module = {
    FERRY_MODULE_HEADER,
    .name = FROZEN10_NAME,
    .version = "10.0.1",
    .license = "Apache-2.0",
    .transports = transports,
};

static int frozen10_init(const ferry_core *c, const ferry_module **out)
{
    /* Only the frozen members of ferry_core are read before checking the major. */
    if (c == NULL || c->abi_major != 1)
        return FERRY_ERR_ABI;
    the_core = c;
    *out = &module;
    return FERRY_OK;
}

FERRY_MODULE_DEFINE(frozen10_init)
