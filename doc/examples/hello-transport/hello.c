/* hello.c — a minimal third-party ferry transport: "hello:", read-only.
 *
 * It serves one built-in image, hello:latest (or just "hello:"): an OCI image
 * manifest, its config and one gzip layer holding /hello.txt. Every byte and
 * every digest is a constant, so the module computes nothing and needs nothing
 * but libc. Like every ferry module it uses no symbol of the ferry executable:
 * what it needs from the core comes through the services table handed to
 * ferry_module_init.
 *
 *   make && FERRY_TRANSPORT_PATH=$PWD ferry inspect hello:latest
 *   FERRY_TRANSPORT_PATH=$PWD ferry copy hello:latest oci:/tmp/hello:latest
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#include <ferry/ferry.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The core's services; set by hello_init before any other call. */
static const ferry_services *svc;

/* ---- the image ------------------------------------------------------------ */

#define LAYER_DIGEST "sha256:e1776b736ff05624b6f47a8bfe0e4782c0033f1d635849fb429a9a967f6b5287"
#define LAYER_DIFF_ID "sha256:90a42ecbfba2c20ea5f8d0248c35b4e9f6c58cd6a14026d3aedd1efb3a0fc3e7"
#define CONFIG_DIGEST "sha256:78fa92d8d8decd7a5d39c070310a7806fd3ba938c6c79d7341ac47d57c3b3ce4"
#define MANIFEST_DIGEST "sha256:45ada8542873a3371d23603903ce4a1b54d5453b56279fdb03208f65d9d00908"
#define MANIFEST_MEDIA_TYPE "application/vnd.oci.image.manifest.v1+json"

/* tar of hello.txt ("Hello from a ferry transport module!\n"), gzip -9 -n. */
static const unsigned char layer_tar_gz[136] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xd1,
    0x31, 0x0a, 0xc2, 0x40, 0x10, 0x85, 0xe1, 0xa9, 0x3d, 0xc5, 0xe4, 0x02,
    0x32, 0xc2, 0x26, 0x5e, 0xc1, 0x6b, 0x2c, 0xb8, 0xc1, 0x62, 0xe3, 0xca,
    0x64, 0x03, 0x7a, 0x7b, 0xd7, 0x34, 0x01, 0x7b, 0x45, 0xf0, 0xff, 0x9a,
    0x37, 0xbc, 0xe6, 0x15, 0x73, 0x49, 0x39, 0x97, 0x7d, 0xbd, 0x57, 0xf9,
    0x1c, 0x6b, 0x86, 0x10, 0xd6, 0x6c, 0xde, 0xd3, 0x2c, 0xf4, 0xdb, 0xbd,
    0xf6, 0xc7, 0xe1, 0x60, 0xa2, 0x26, 0x5f, 0xb0, 0xcc, 0x35, 0x7a, 0x9b,
    0x94, 0xff, 0x74, 0x7a, 0xfd, 0x5f, 0x47, 0x2f, 0x93, 0x46, 0x1d, 0x93,
    0xfb, 0x43, 0xab, 0xc7, 0xeb, 0x7c, 0x2b, 0x5e, 0x75, 0x2a, 0xe7, 0x25,
    0xa7, 0x6e, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x80, 0x5f, 0xf3, 0x04, 0x14, 0xf0, 0xad, 0xca,
    0x00, 0x28, 0x00, 0x00,
};

static const char config_json[] =
    "{\"created\":\"1970-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
    "\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],"
    "\"Labels\":{\"org.example.hello\":\"world\"}},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" LAYER_DIFF_ID "\"]},"
    "\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"hello-transport example\"}]}";

static const char manifest_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MANIFEST_MEDIA_TYPE "\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
    "\"digest\":\"" CONFIG_DIGEST "\",\"size\":396},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
    "\"digest\":\"" LAYER_DIGEST "\",\"size\":136}]}";

struct blob {
    const char *digest;
    const void *data;
    size_t len;
};

static const struct blob blobs[] = {
    {CONFIG_DIGEST, config_json, sizeof config_json - 1},
    {LAYER_DIGEST, layer_tar_gz, sizeof layer_tar_gz},
};

/* ---- a pull reader over constant bytes ------------------------------------ */

struct mem_reader {
    ferry_reader base; /* first member: the core sees a ferry_reader */
    const unsigned char *data;
    size_t len, pos;
    const char *digest; /* known in advance: nothing to compute */
};

static int mem_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    struct mem_reader *m = (struct mem_reader *)r;
    size_t n = m->len - m->pos;

    (void)ctx;
    if (n > len)
        n = len;
    if (n > 0)
        memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *nread = n;
    *eos = m->pos == m->len; /* set together with the last bytes: saves a call */
    return FERRY_OK;
}

static void mem_close(ferry_reader *r)
{
    free(r);
}

static const char *mem_digest(ferry_reader *r)
{
    struct mem_reader *m = (struct mem_reader *)r;
    return m->pos == m->len ? m->digest : NULL; /* valid once eos was returned */
}

static int64_t mem_size(ferry_reader *r)
{
    return (int64_t)((struct mem_reader *)r)->len;
}

static const ferry_reader_ops mem_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = mem_read,
    .close = mem_close,
    .digest = mem_digest,
    .size = mem_size,
};

static int mem_reader_new(ferry_ctx *ctx, const void *data, size_t len, const char *digest, ferry_reader **out)
{
    struct mem_reader *m = malloc(sizeof *m);

    if (m == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "hello: out of memory");
    m->base.ops = &mem_reader_ops;
    m->data = data;
    m->len = len;
    m->pos = 0;
    m->digest = digest;
    *out = &m->base; /* transfer full: the core closes it */
    return FERRY_OK;
}

/* ---- the image source ------------------------------------------------------ */

struct hello_source {
    ferry_image_source base; /* first member */
};

static int hello_get_manifest(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest,
                              ferry_reader **out, char *media_type, size_t media_type_cap)
{
    (void)src;
    if (instance_digest != NULL && strcmp(instance_digest, MANIFEST_DIGEST) != 0)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "hello:latest: no manifest %s", instance_digest);
    if (media_type_cap > strlen(MANIFEST_MEDIA_TYPE))
        strcpy(media_type, MANIFEST_MEDIA_TYPE);
    else if (media_type_cap > 0)
        media_type[0] = '\0'; /* "unknown": the core detects the type from the bytes */
    return mem_reader_new(ctx, manifest_json, sizeof manifest_json - 1, MANIFEST_DIGEST, out);
}

static int hello_get_blob(ferry_image_source *src, ferry_ctx *ctx, const ferry_blob_info *info, ferry_reader **out)
{
    (void)src;
    for (size_t i = 0; i < sizeof blobs / sizeof blobs[0]; i++)
        if (strcmp(info->digest, blobs[i].digest) == 0)
            return mem_reader_new(ctx, blobs[i].data, blobs[i].len, blobs[i].digest, out);
    return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "hello:latest: no blob %s", info->digest);
}

static void hello_source_close(ferry_image_source *src, ferry_ctx *ctx)
{
    (void)ctx;
    free(src);
}

static const ferry_source_ops hello_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = hello_get_manifest,
    .get_blob = hello_get_blob,
    .get_signatures = NULL,   /* no signatures */
    .docker_reference = NULL, /* no docker reference: inspect omits Name */
    .close = hello_source_close,
};

/* ---- the transport ---------------------------------------------------------- */

/* Image names look like tags: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; "" means "latest". */
static int hello_validate_reference(ferry_ctx *ctx, const char *reference)
{
    size_t len = strlen(reference);

    if (len > 128)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "hello:%.32s...: name too long", reference);
    for (size_t i = 0; i < len; i++) {
        char c = reference[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                 (i > 0 && (c == '.' || c == '-'));
        if (!ok)
            return svc->set_error(ctx, FERRY_ERR_INVALID, "hello:%s: invalid image name", reference);
    }
    return FERRY_OK;
}

static int hello_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    const char *name = reference[0] != '\0' ? reference : "latest";
    int rc = hello_validate_reference(ctx, reference);

    if (rc != FERRY_OK)
        return rc;
    if (strlen(name) >= cap)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "hello:%s: policy identity too long", reference);
    strcpy(buf, name);
    return FERRY_OK;
}

static int hello_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    struct hello_source *src;
    int rc = hello_validate_reference(ctx, reference);

    if (rc != FERRY_OK)
        return rc;
    if (reference[0] != '\0' && strcmp(reference, "latest") != 0)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "hello:%s: no such image (only hello:latest exists)",
                              reference);
    src = malloc(sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "hello:%s: out of memory", reference);
    src->base.ops = &hello_source_ops;
    svc->log(ctx, FERRY_LOG_DEBUG, "hello: opened hello:%s", reference[0] != '\0' ? reference : "latest");
    *out = &src->base; /* owned by the core until it calls close */
    return FERRY_OK;
}

static const ferry_transport hello_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "hello",
    .description = "a built-in demo image (example third-party transport)",
    /* Readers share nothing mutable: blobs may be read on several threads. */
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_PARALLEL_GET,
    .validate_reference = hello_validate_reference,
    .policy_identity = hello_policy_identity,
    .open_source = hello_open_source,
    .open_destination = NULL, /* no FERRY_CAP_DESTINATION */
    .delete_image = NULL,     /* no FERRY_CAP_DELETE */
    .list_tags = NULL,        /* no FERRY_CAP_LIST_TAGS */
};

static const ferry_transport *const hello_transports[] = {&hello_transport, NULL};

static const ferry_module hello_module = {
    FERRY_MODULE_HEADER, /* struct_size, abi_major, abi_minor of these headers */
    .name = "hello",
    .version = "1.0.0",
    .license = "Apache-2.0",
    .transports = hello_transports,
};

/* ---- the entry point ---------------------------------------------------------- */

static int hello_init(const ferry_core *core, const ferry_module **out)
{
    /* Only the frozen header of ferry_core may be read before the major matches. */
    if (core->abi_major != FERRY_ABI_MAJOR)
        return FERRY_ERR_ABI; /* the core names file and versions */
    svc = core->services;
    *out = &hello_module;
    return FERRY_OK;
}

FERRY_MODULE_DEFINE(hello_init)
