/* core/image/fetch.h — reading what an image consists of through a source
 * plugin: manifests (bounded, hashed by the core and checked against every
 * digest known for them: the one asked by, the one the reference pins, the
 * reader's claim), small blobs such as configs (bounded, verified), and
 * resolving a manifest list to the instance for the wanted platform. Shared
 * by copy and inspect. */
#ifndef FERRY_CORE_FETCH_H
#define FERRY_CORE_FETCH_H

#include <stddef.h>

#include <ferry/transport.h>

#include "image/digest.h"
#include "image/manifest.h"

#define MEDIA_TYPE_MAX 256

typedef struct platform_spec {
    const char *os;      /* never NULL after platform_resolve */
    const char *arch;
    const char *variant; /* may be NULL */
} platform_spec;

/* Fills unset members from the machine ferry runs on (Go's GOOS/GOARCH names). */
void platform_resolve(platform_spec *p);

typedef struct fetched_image {
    /* The manifest the reference names (a list for multi-arch images). */
    char *top_data;
    size_t top_len;
    char top_media_type[MEDIA_TYPE_MAX];
    char top_digest[DIGEST_MAX_LEN];
    manifest *list; /* parsed list, NULL when the reference names an image */
    /* The image manifest (the chosen instance, or the same as top). */
    const char *data; /* points to top_data or instance_data */
    size_t len;
    char *instance_data;
    char digest[DIGEST_MAX_LEN];
    manifest *image;
} fetched_image;

/* Reads the manifest (instance_digest NULL: the top-level one). At most
 * MANIFEST_MAX_SIZE bytes. The bytes must hash to instance_digest when given,
 * else to the digest the source's docker_reference pins when it has one, and
 * to the reader's digest() claim when it makes one: FERRY_ERR_DIGEST_MISMATCH
 * otherwise. Caller frees *data. */
int fetch_manifest(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest, char **data, size_t *len,
                   char *media_type, size_t media_type_cap);

/* Reads a blob of at most MANIFEST_MAX_SIZE bytes (a config), verifying its
 * digest and size. Caller frees *data. */
int fetch_small_blob(ferry_image_source *src, ferry_ctx *ctx, const manifest_descriptor *d, int kind, char **data,
                     size_t *len);

/* Values of fetch_image's choose_instance. */
enum {
    FETCH_KEEP_LIST = 0,
    FETCH_CHOOSE_INSTANCE = 1,
    FETCH_CHOOSE_INSTANCE_FOR_INSPECT = 2, /* failing in inspect's words */
};

/* Reads and parses the top manifest and, for a list when choose_instance is
 * set, the instance for `platform` (else out->image stays NULL for a list).
 * `reference` names the image in messages. */
int fetch_image(ferry_image_source *src, ferry_ctx *ctx, const char *reference, const platform_spec *platform,
                int choose_instance, fetched_image *out);
void fetched_image_release(fetched_image *img);

#endif
