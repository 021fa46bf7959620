/* core/copy/plan.h — the copy planner: given the source manifest and what the
 * destination accepts, decides the output manifest format, whether the config
 * is rewritten, and what happens to each layer (kept, gzipped, gunzipped).
 * Layer actions follow the media types; a layer labelled gzip whose bytes turn
 * out not to be compressed (containers/image trusts the bytes, not the label)
 * is re-planned by plan_layer_uncompressed once copy.c has seen its first
 * bytes. Pure: no I/O, so it is unit-tested directly. */
#ifndef FERRY_CORE_PLAN_H
#define FERRY_CORE_PLAN_H

#include <stddef.h>

#include "image/manifest.h"

/* LAYER_RECOMPRESS: decompressed, then compressed in another format. */
typedef enum layer_action { LAYER_KEEP = 0, LAYER_COMPRESS, LAYER_DECOMPRESS, LAYER_RECOMPRESS } layer_action;

typedef struct layer_plan {
    layer_action action;
    layer_compression to;   /* COMPRESS, RECOMPRESS: the format written */
    const char *media_type; /* output media type; static or borrowed from the source manifest */
    int sniff;              /* labelled gzip and the action depends on it: check the bytes */
} layer_plan;

typedef struct plan_request {
    manifest_kind forced_format;   /* --format; MANIFEST_UNKNOWN when not given */
    const char *const *dest_types; /* destination's accepted manifest types; NULL = any */
    int desired_compression;       /* FERRY_COMPRESSION_* */
    int preserve_digests;          /* --preserve-digests */
    /* --dest-compress-format: what compressing destinations get (gzip when
     * not given: 0 is LAYER_COMPRESSION_UNKNOWN). Given explicitly, layers
     * compressed otherwise are recompressed, as containers/image does;
     * `chunked` (zstd:chunked) recompresses every compressed layer, since
     * the bytes cannot tell plain zstd from zstd:chunked. */
    layer_compression compress_to;
    int compress_explicit;
    int chunked;
} plan_request;

typedef struct copy_plan {
    manifest_kind out_kind;
    int config_to_oci;             /* Docker config rewritten in OCI form (new digest) */
    const char *config_media_type; /* output config media type */
    layer_plan *layers;            /* one per source layer */
    size_t n_layers;
    int manifest_changes;          /* output manifest differs from the source bytes, whatever
                                      the `sniff` layers turn out to hold */
    int converting;                /* out_kind differs from the source's */
    int desired_compression;       /* the request's, for plan_layer_uncompressed */
    layer_compression compress_to; /* the request's, resolved (never UNKNOWN) */
    int chunked;                   /* zstd output is zstd:chunked */
} copy_plan;

/* Returns 0 and fills *out (release with plan_release), or -1 with a one-line
 * message in err. */
int plan_copy(const manifest *src, const plan_request *req, copy_plan *out, char *err, size_t errcap);
void plan_release(copy_plan *plan);

/* The plan of layer `i` of `src` (planned in `plan` with `sniff` set) when
 * its bytes are not compressed after all: gzipped when the destination desires
 * compression, else passed through unchanged (nothing to decompress); labelled
 * as the source labels it either way (its gzip equivalent when converting), as
 * containers/image does. Returns 0, or -1 with a message in err. */
int plan_layer_uncompressed(const copy_plan *plan, const manifest *src, size_t i, layer_plan *out, char *err,
                            size_t errcap);

/* "gzip" → LAYER_COMPRESSION_GZIP, "zstd" and "zstd:chunked" (*chunked set)
 * → LAYER_COMPRESSION_ZSTD; LAYER_COMPRESSION_UNKNOWN otherwise. */
layer_compression plan_compression_from_name(const char *name, int *chunked);

/* "oci" → MANIFEST_OCI, "v2s2" → MANIFEST_DOCKER_V2S2, "v2s1" → MANIFEST_DOCKER_V2S1;
 * MANIFEST_UNKNOWN otherwise. */
manifest_kind plan_format_from_name(const char *name);

#endif
