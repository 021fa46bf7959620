/* plugins/oci/oci.h — internal interface of the oci: transport module (OCI
 * image layout: oci-layout, index.json, blobs/ALG/HEX). */
#ifndef FERRY_PLUGIN_OCI_H
#define FERRY_PLUGIN_OCI_H

#include <ferry/ferry.h>
#include <jansson.h>
#include <stddef.h>

#include "plugin_util.h"

#define OCI_MEDIA_TYPE_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_TYPE_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_TYPE_DOCKER_V2S2 "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MEDIA_TYPE_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"
#define OCI_INDEX_FILE "index.json"
#define OCI_LAYOUT_FILE "oci-layout"
/* Byte for byte what containers/image writes (no trailing newline). */
#define OCI_LAYOUT_CONTENT "{\"imageLayoutVersion\": \"1.0.0\"}"
#define OCI_BLOBS_DIR "blobs"
/* index.json grows with tags; this bounds memory against a hostile file. */
#define OCI_INDEX_MAX (16 * 1024 * 1024)

/* The services table the core handed to ferry_module_init (module.c). */
const ferry_services *oci_services(void);

/* reference.c — "PATH[:REF]" or "PATH:@N"; PATH ends at the first ':'. */
typedef struct oci_reference {
    char *path;  /* the layout directory as written */
    char *name;  /* REF, or NULL */
    long index;  /* N of "@N", or -1 */
    char *label; /* "oci:" + the whole reference, for messages */
} oci_reference;

int oci_reference_parse(ferry_ctx *ctx, const char *reference, oci_reference *out);
/* The same syntax for another transport of layouts (oci-archive): label and
 * messages start with "TRANSPORT:". */
int oci_reference_parse_as(ferry_ctx *ctx, const char *transport, const char *reference, oci_reference *out);

/* What oci: and oci-archive: destinations share: the reference (a name, never
 * @N), the manifest types a layout stores, and the layer compression asked for
 * by the "oci-accept-uncompressed-layers" option. */
int oci_destination_reference(ferry_ctx *ctx, const char *transport, const char *reference, oci_reference *out);
extern const char *const oci_destination_manifest_types[];
int oci_destination_compression(ferry_ctx *ctx);
void oci_reference_free(oci_reference *ref);
int oci_validate_reference(ferry_ctx *ctx, const char *reference);
int oci_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);
int oci_policy_identity_as(ferry_ctx *ctx, const char *transport, const char *reference, char *buf, size_t cap);

/* layout_index.c — index.json as containers/image (skopeo 1.9) models it:
 * reading normalises it to the members and order Go's imgspecv1.Index
 * keeps, so that writing it back matches skopeo byte for byte. */
int oci_index_read(const ferry_services *svc, ferry_ctx *ctx, const char *label, int layoutfd, json_t **out);
/* The same from index.json's bytes (an archive member). */
int oci_index_parse(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *data, size_t len,
                    json_t **out);
/* Finds the manifest the reference names: by REF annotation, by @N, or the
 * only entry. *desc is borrowed from index. */
int oci_index_select(const ferry_services *svc, ferry_ctx *ctx, const oci_reference *ref, const json_t *index,
                     const json_t **desc);
/* Adds a descriptor (steals it) under the lock on the layout directory:
 * re-reads index.json, applies skopeo's tag rules, adds the descriptors of
 * the array `untagged` (borrowed, may be NULL: referrers) not listed yet,
 * writes index.json (and oci-layout when needed) atomically. */
int oci_index_add_locked(const ferry_services *svc, ferry_ctx *ctx, const char *label, int layoutfd, json_t *desc,
                         const json_t *untagged);
/* Appends desc (borrowed) unless an entry has its digest already: an
 * untagged entry (a referrer) never duplicates or displaces one. */
int oci_index_add_untagged(json_t *index, const json_t *desc);
/* Applies skopeo's rule for a new entry to an in-memory index (steals desc). */
int oci_index_add(json_t *index, json_t *desc);
/* The empty index skopeo starts a new layout with; NULL when out of memory. */
json_t *oci_index_new(void);
/* The index.json entry of a top-level manifest, tagged ref_name when not
 * NULL; NULL when out of memory. */
json_t *oci_descriptor_new(const char *media_type, const char *digest, size_t size, const char *ref_name);

/* blobs.c — blob locations: BLOBDIR/ALG/HEX. */
int oci_blob_open_root(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *layout_path,
                       const char *shared_blob_dir, int create, int *fd, char **path);
/* Writes "ALG/HEX" for a valid digest into buf; -1 otherwise. */
int oci_blob_relpath(const ferry_services *svc, const char *digest, char *buf, size_t cap);

/* referrers.c — the referrers of a manifest in a layout: the manifests
 * index.json lists whose subject names it. */
int oci_referrers_list(const ferry_services *svc, ferry_ctx *ctx, const oci_reference *ref, int blobfd,
                       const char *subject, int (*emit)(void *opaque, const char *json, size_t len), void *opaque);
/* The index.json entry of a referrer from its descriptor as list_referrers
 * gives it, in imgspecv1.Descriptor member order; NULL when invalid. */
json_t *oci_referrer_entry(const char *descriptor_json, size_t len);

/* source.c, dest.c */
int oci_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int oci_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);

#endif /* FERRY_PLUGIN_OCI_H */
