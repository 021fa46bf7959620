/* plugins/tarball/tarball.h — internal interface of the tarball: transport
 * module: "tarball:FILE[:FILE…]" reads each tar file (plain, gzip, zstd or
 * xz) as one layer of a made-up image, as containers/image v5.23.1's
 * tarball/ does (read only): an OCI manifest, a config with the host's
 * os/architecture, the files' modification times and one history entry per
 * layer. */
#ifndef FERRY_PLUGIN_TARBALL_H
#define FERRY_PLUGIN_TARBALL_H

#include <ferry/ferry.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "plugin_util.h"

#define TARBALL_TRANSPORT "tarball"
#define TARBALL_SEPARATOR ':'

#define TARBALL_MEDIA_TYPE_TAR "application/vnd.oci.image.layer.v1.tar"
#define TARBALL_MEDIA_TYPE_TAR_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define TARBALL_MEDIA_TYPE_TAR_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define TARBALL_MEDIA_TYPE_CONFIG "application/vnd.oci.image.config.v1+json"
#define TARBALL_MEDIA_TYPE_MANIFEST "application/vnd.oci.image.manifest.v1+json"

/* The services table the core handed to ferry_module_init (module.c). */
const ferry_services *tarball_services(void);

/* How a file is stored and served. */
typedef enum tarball_compression {
    TARBALL_PLAIN, /* served as is: a tar layer */
    TARBALL_GZIP,  /* served as is: a tar+gzip layer */
    TARBALL_ZSTD,  /* served as is: a tar+zstd layer */
    TARBALL_XZ,    /* no OCI layer type: served decompressed, a tar layer */
} tarball_compression;

/* One file of the reference, as scanned by tarball_layer_scan. */
typedef struct tarball_layer {
    char *path;                         /* as written in the reference */
    int fd;                             /* open for the source's life; read with pread */
    tarball_compression compression;
    int64_t file_size;                  /* bytes of the file when scanned */
    char blob_digest[PLUGIN_UTIL_DIGEST_MAX]; /* of the bytes served */
    int64_t blob_size;
    char diff_id[PLUGIN_UTIL_DIGEST_MAX];     /* of the uncompressed tar */
    struct timespec mtime;
} tarball_layer;

/* reference.c: "FILE[:FILE…]", every FILE non-empty and not "-" (standard
 * input is not read). On success *paths is a malloc'd array of n malloc'd
 * strings (tarball_paths_free). */
int tarball_reference_parse(ferry_ctx *ctx, const char *reference, char ***paths, size_t *n);
void tarball_paths_free(char **paths, size_t n);
int tarball_validate_reference(ferry_ctx *ctx, const char *reference);
int tarball_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* layer.c: opens layer->path, reads it once to its end (streaming) to learn
 * its compression, digests and size, checking that it holds a tar archive.
 * `label` is "tarball:REF" for messages. */
int tarball_layer_scan(ferry_ctx *ctx, const char *label, tarball_layer *layer);
/* A reader of the bytes the manifest lists for the layer. */
int tarball_layer_reader(ferry_ctx *ctx, const char *label, const tarball_layer *layer, ferry_reader **out);
void tarball_layer_release(tarball_layer *layer);

/* config.c: the config and manifest bytes containers/image writes for these
 * layers (compact JSON in Go's field order). malloc'd; NULL when out of
 * memory. */
char *tarball_config_json(const tarball_layer *layers, size_t n, size_t *len);
char *tarball_manifest_json(const tarball_layer *layers, size_t n, const char *config_digest, size_t config_len,
                            size_t *len);

/* source.c */
int tarball_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);

#endif /* FERRY_PLUGIN_TARBALL_H */
