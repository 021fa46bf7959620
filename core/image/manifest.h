/* core/image/manifest.h — parsed image manifests and manifest lists (Docker
 * schema 2, OCI image manifest, Docker manifest list, OCI index), media type
 * detection, and serialization in the exact byte form containers/image writes,
 * so that converted manifests get the same digests as skopeo's. */
#ifndef FERRY_CORE_MANIFEST_H
#define FERRY_CORE_MANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MANIFEST_MAX_SIZE (4 * 1024 * 1024) /* manifests and configs above are refused */

#define MEDIA_TYPE_DOCKER_V2S1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_TYPE_DOCKER_V2S1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MEDIA_TYPE_DOCKER_V2S2 "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_TYPE_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_TYPE_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_TYPE_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_TYPE_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_TYPE_DOCKER_FOREIGN_GZIP "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MEDIA_TYPE_DOCKER_FOREIGN_TAR "application/vnd.docker.image.rootfs.foreign.diff.tar"
#define MEDIA_TYPE_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_TYPE_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_TYPE_OCI_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_TYPE_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_TYPE_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_TYPE_OCI_NONDIST_TAR "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define MEDIA_TYPE_OCI_NONDIST_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define MEDIA_TYPE_OCI_NONDIST_ZSTD "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"

typedef enum manifest_kind {
    MANIFEST_UNKNOWN = 0,
    MANIFEST_DOCKER_V2S1,
    MANIFEST_DOCKER_V2S2,
    MANIFEST_DOCKER_LIST,
    MANIFEST_OCI,
    MANIFEST_OCI_INDEX,
} manifest_kind;

typedef enum layer_compression {
    LAYER_COMPRESSION_UNKNOWN = 0,
    LAYER_COMPRESSION_NONE,
    LAYER_COMPRESSION_GZIP,
    LAYER_COMPRESSION_ZSTD,
} layer_compression;

/* One descriptor. Strings are owned by the descriptor; json members hold a
 * reference (NULL when absent). */
typedef struct manifest_descriptor {
    char *media_type;
    char *digest;
    int64_t size;
    json_t *urls;        /* array or NULL */
    json_t *annotations; /* object or NULL */
    /* list/index entries only */
    char *platform_os;
    char *platform_arch;
    char *platform_variant;
    json_t *platform;    /* the whole platform object, or NULL */
} manifest_descriptor;

typedef struct manifest {
    manifest_kind kind;
    char *media_type;         /* the media type the manifest is stored as */
    manifest_descriptor config;           /* images only */
    manifest_descriptor *layers;          /* images: layers; lists: instances */
    size_t n_layers;
    json_t *annotations;      /* OCI top-level annotations or NULL */
    json_t *subject;          /* OCI subject descriptor or NULL (kept verbatim) */
    char *artifact_type;      /* OCI artifactType or NULL */
    int media_type_omitted;   /* the body has no "mediaType" (kept so when rewritten, as Go's omitempty) */
    struct schema1_manifest *schema1; /* MANIFEST_DOCKER_V2S1: the parsed manifest (schema1.h); owned */
} manifest;

/* Media type name of a kind, NULL for MANIFEST_UNKNOWN. */
const char *manifest_kind_media_type(manifest_kind kind);
manifest_kind manifest_kind_from_media_type(const char *media_type);
int manifest_kind_is_list(manifest_kind kind);

/* Works out the manifest's type from its bytes and the type its storage
 * declared (may be NULL or ""). A declared type that contradicts the body's
 * own mediaType, or a body matching two formats, is refused (CVE-2021-41190).
 * Returns the kind, or MANIFEST_UNKNOWN with a message in err. */
manifest_kind manifest_detect(const void *data, size_t len, const char *declared, char *err, size_t errcap);

/* Parses a manifest or list; validates every digest and size. Returns 0 and
 * *out (caller frees with manifest_free) or -1 with a message in err. */
int manifest_parse(const void *data, size_t len, const char *declared, manifest **out, char *err, size_t errcap);
void manifest_free(manifest *m);

/* Compression a layer media type implies. */
layer_compression manifest_layer_compression(const char *media_type);

/* Layer media type for `kind` (MANIFEST_DOCKER_V2S2 or MANIFEST_OCI) given the
 * source layer type and the compression the stored bytes now have. Returns a
 * static string, or NULL when the combination cannot be expressed (zstd in a
 * Docker manifest) with a message in err. */
const char *manifest_layer_media_type(manifest_kind kind, const char *source_type, layer_compression compression,
                                      char *err, size_t errcap);

/* Serializes an image manifest of kind MANIFEST_DOCKER_V2S2 or MANIFEST_OCI
 * exactly as containers/image's json.Marshal does (compact, Go field order and
 * escaping). Returns a malloc'd buffer (caller frees) and its length. */
char *manifest_serialize(const manifest *m, manifest_kind kind, size_t *len);

/* Serializes list `m` as a list of `kind` (MANIFEST_DOCKER_LIST or
 * MANIFEST_OCI_INDEX) exactly as containers/image's json.Marshal does after
 * editing or converting a list: Go field order, omitempty; a Docker list
 * drops annotations and gets default_os/default_arch for an entry without a
 * platform; unknown members are not kept. Returns a malloc'd buffer (caller
 * frees) and its length, or NULL when out of memory. */
char *manifest_list_serialize(const manifest *m, manifest_kind kind, const char *default_os, const char *default_arch,
                              size_t *len);

/* Chooses the instance of a list for os/arch/variant (variant may be NULL).
 * Returns the index into m->layers or -1 with a message in err. */
int manifest_list_choose(const manifest *m, const char *os, const char *arch, const char *variant, char *err,
                         size_t errcap);

#endif /* FERRY_CORE_MANIFEST_H */
