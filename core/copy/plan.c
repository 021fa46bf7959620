/* core/copy/plan.c — deciding manifest format and layer transformations. */
#include "copy/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ferry/transport.h>

manifest_kind plan_format_from_name(const char *name)
{
    if (strcmp(name, "oci") == 0)
        return MANIFEST_OCI;
    if (strcmp(name, "v2s2") == 0)
        return MANIFEST_DOCKER_V2S2;
    if (strcmp(name, "v2s1") == 0)
        return MANIFEST_DOCKER_V2S1;
    return MANIFEST_UNKNOWN;
}

layer_compression plan_compression_from_name(const char *name, int *chunked)
{
    *chunked = strcmp(name, "zstd:chunked") == 0;
    if (strcmp(name, "gzip") == 0)
        return LAYER_COMPRESSION_GZIP;
    if (strcmp(name, "zstd") == 0 || *chunked)
        return LAYER_COMPRESSION_ZSTD;
    return LAYER_COMPRESSION_UNKNOWN;
}

static int dest_accepts(const char *const *types, manifest_kind kind)
{
    if (types == NULL)
        return 1;
    const char *mt = manifest_kind_media_type(kind);
    for (size_t i = 0; types[i] != NULL; i++)
        if (mt != NULL && strcmp(types[i], mt) == 0)
            return 1;
    return 0;
}

static int plan_choose_format(const manifest *src, const plan_request *req, manifest_kind *out, char *err,
                              size_t errcap)
{
    if (req->forced_format != MANIFEST_UNKNOWN) {
        if (!dest_accepts(req->dest_types, req->forced_format)) {
            snprintf(err, errcap, "the destination does not accept manifest type %s",
                     manifest_kind_media_type(req->forced_format));
            return -1;
        }
        *out = req->forced_format;
        return 0;
    }
    if (dest_accepts(req->dest_types, src->kind)) {
        *out = src->kind;
        return 0;
    }
    for (size_t i = 0; req->dest_types[i] != NULL; i++) {
        manifest_kind k = manifest_kind_from_media_type(req->dest_types[i]);
        if (k == MANIFEST_OCI || k == MANIFEST_DOCKER_V2S2) {
            *out = k;
            return 0;
        }
    }
    snprintf(err, errcap, "the destination accepts none of the manifest types ferry can convert %s to",
             src->media_type);
    return -1;
}

static int plan_layer(const manifest_descriptor *layer, manifest_kind out_kind, int converting,
                      const plan_request *req, layer_plan *lp, char *err, size_t errcap)
{
    int desired = req->desired_compression;
    layer_compression have = manifest_layer_compression(layer->media_type);
    layer_compression want = have, target = req->compress_to ? req->compress_to : LAYER_COMPRESSION_GZIP;
    int compressed = have == LAYER_COMPRESSION_GZIP || have == LAYER_COMPRESSION_ZSTD;
    lp->action = LAYER_KEEP;
    lp->to = LAYER_COMPRESSION_NONE;
    if (desired == FERRY_COMPRESSION_COMPRESS && have == LAYER_COMPRESSION_NONE) {
        lp->action = LAYER_COMPRESS;
        want = lp->to = target;
    } else if (desired == FERRY_COMPRESSION_COMPRESS && compressed && req->compress_explicit &&
               (have != target || req->chunked)) {
        lp->action = LAYER_RECOMPRESS;
        want = lp->to = target;
    } else if (desired == FERRY_COMPRESSION_DECOMPRESS && compressed) {
        lp->action = LAYER_DECOMPRESS;
        want = LAYER_COMPRESSION_NONE;
    }
    /* Whether a gzip label is true decides between gunzip and pass-through,
     * or between keep and gzip (docker-archive labels plain tars gzip). */
    lp->sniff = have == LAYER_COMPRESSION_GZIP &&
                (lp->action == LAYER_DECOMPRESS || desired == FERRY_COMPRESSION_COMPRESS);
    if (!converting && lp->action == LAYER_KEEP) {
        lp->media_type = layer->media_type;
        return 0;
    }
    if (converting && have == LAYER_COMPRESSION_UNKNOWN) {
        snprintf(err, errcap, "layer %s has media type \"%s\", which has no equivalent in %s", layer->digest,
                 layer->media_type ? layer->media_type : "", manifest_kind_media_type(out_kind));
        return -1;
    }
    char why[256];
    lp->media_type = manifest_layer_media_type(out_kind, layer->media_type, want, why, sizeof(why));
    if (lp->media_type == NULL) {
        snprintf(err, errcap, "layer %s: %s", layer->digest, why);
        return -1;
    }
    return 0;
}

/* Plans the copy into `kind`. Returns 0, or -1 with a message; *zstd_refused
 * says a layer failed only because `kind` cannot carry zstd. */
static int plan_for_kind(const manifest *src, const plan_request *req, manifest_kind kind, copy_plan *out,
                         int *zstd_refused, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    *zstd_refused = 0;
    out->out_kind = kind;
    int converting = out->out_kind != src->kind;
    out->converting = converting;
    out->desired_compression = req->desired_compression;
    out->compress_to = req->compress_to ? req->compress_to : LAYER_COMPRESSION_GZIP;
    out->chunked = req->chunked;
    out->config_media_type = src->config.media_type;
    if (converting) {
        const char *cmt = src->config.media_type ? src->config.media_type : "";
        if (src->kind == MANIFEST_OCI && strcmp(cmt, MEDIA_TYPE_OCI_CONFIG) != 0) {
            snprintf(err, errcap, "cannot convert an OCI artifact (config type \"%s\") to %s", cmt,
                     manifest_kind_media_type(out->out_kind));
            return -1;
        }
        out->config_to_oci = out->out_kind == MANIFEST_OCI;
        out->config_media_type = out->out_kind == MANIFEST_OCI ? MEDIA_TYPE_OCI_CONFIG : MEDIA_TYPE_DOCKER_CONFIG;
    }
    out->n_layers = src->n_layers;
    out->layers = calloc(src->n_layers ? src->n_layers : 1, sizeof(*out->layers));
    if (out->layers == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int any_change = 0;
    for (size_t i = 0; i < src->n_layers; i++) {
        if (plan_layer(&src->layers[i], out->out_kind, converting, req, &out->layers[i], err, errcap) != 0) {
            layer_compression have = manifest_layer_compression(src->layers[i].media_type);
            *zstd_refused = (kind == MANIFEST_DOCKER_V2S2 || kind == MANIFEST_DOCKER_V2S1) &&
                            (have == LAYER_COMPRESSION_ZSTD || out->layers[i].to == LAYER_COMPRESSION_ZSTD);
            plan_release(out);
            return -1;
        }
        /* A sniffed layer's change is known only once its bytes are seen,
         * except a recompression's: plain bytes get compressed instead. */
        any_change |= out->layers[i].action == LAYER_RECOMPRESS ||
                      (out->layers[i].action != LAYER_KEEP && !out->layers[i].sniff);
    }
    out->manifest_changes = converting || any_change;
    return 0;
}

int plan_copy(const manifest *src, const plan_request *req, copy_plan *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    if (manifest_kind_is_list(src->kind)) {
        snprintf(err, errcap, "internal error: plan_copy needs an image manifest, not a list");
        return -1;
    }
    manifest_kind kind;
    if (plan_choose_format(src, req, &kind, err, errcap) != 0)
        return -1;
    int zstd_refused = 0;
    if (plan_for_kind(src, req, kind, out, &zstd_refused, err, errcap) != 0) {
        /* zstd layers cannot go into a Docker manifest: an OCI one is written
         * instead when the format was not forced and the destination names
         * the types it takes, as containers/image falls back to the
         * destination's other types (one that takes anything keeps the
         * source's type, and the copy fails). */
        if (!zstd_refused || req->forced_format != MANIFEST_UNKNOWN || req->dest_types == NULL ||
            !dest_accepts(req->dest_types, MANIFEST_OCI))
            return -1;
        if (plan_for_kind(src, req, MANIFEST_OCI, out, &zstd_refused, err, errcap) != 0)
            return -1;
    }
    if (out->manifest_changes && req->preserve_digests) {
        snprintf(err, errcap, "--preserve-digests: the copy would change the manifest digest (%s)",
                 out->converting ? "the destination needs a manifest format conversion"
                                 : "the destination needs layers compressed differently");
        plan_release(out);
        return -1;
    }
    return 0;
}

int plan_layer_uncompressed(const copy_plan *plan, const manifest *src, size_t i, layer_plan *out, char *err,
                            size_t errcap)
{
    const manifest_descriptor *layer = &src->layers[i];
    out->sniff = 0;
    out->action = plan->desired_compression == FERRY_COMPRESSION_COMPRESS ? LAYER_COMPRESS : LAYER_KEEP;
    out->to = out->action == LAYER_COMPRESS ? plan->compress_to : LAYER_COMPRESSION_NONE;
    if (out->action == LAYER_COMPRESS && plan->compress_to == LAYER_COMPRESSION_ZSTD) {
        /* A plain layer under a gzip label becomes a zstd one. */
        char why[256];
        out->media_type = manifest_layer_media_type(plan->out_kind, layer->media_type, LAYER_COMPRESSION_ZSTD, why,
                                                    sizeof(why));
        if (out->media_type == NULL) {
            snprintf(err, errcap, "layer %s: %s", layer->digest, why);
            return -1;
        }
        return 0;
    }
    if (!plan->converting) {
        out->media_type = layer->media_type;
        return 0;
    }
    char why[256];
    out->media_type = manifest_layer_media_type(plan->out_kind, layer->media_type,
                                                manifest_layer_compression(layer->media_type), why, sizeof(why));
    if (out->media_type == NULL) {
        snprintf(err, errcap, "layer %s: %s", layer->digest, why);
        return -1;
    }
    return 0;
}

void plan_release(copy_plan *plan)
{
    free(plan->layers);
    plan->layers = NULL;
    plan->n_layers = 0;
}
