/* plugins/docker-archive/source.c — one image of an indexed docker save
 * archive as an image source (docker-archive: files, and the docker-daemon:
 * module's spooled `docker save` streams). Everything is decided at open: the
 * image is chosen, its config hashed (and checked against a digest-named
 * member), each layer's digest taken from the config's DiffIDs (layers are
 * served uncompressed; the core verifies the bytes against that digest while
 * streaming) and a gzip-compressed layer member measured once decompressed.
 * get_manifest then serves the Docker schema 2 manifest containers/image
 * synthesises — those digests and sizes, every layer labelled
 * `…diff.tar.gzip` although served plain (the core detects that from the
 * bytes) — so manifest digests are skopeo's; get_blob serves member byte
 * ranges, inflated when gzip. */
#include "dockarch.h"

#include "shared/gojson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dockarch_blob {
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    const dockarch_member *member;
    int gzip;     /* served decompressed */
    int64_t size; /* as served */
} dockarch_blob;

typedef struct dockarch_source {
    ferry_image_source base;
    char *label;
    char *docker_ref;
    dockarch_archive ar;
    dockarch_blob config;
    dockarch_blob *layers;
    size_t n_layers;
    char *manifest; /* the synthesised manifest */
    size_t manifest_len;
} dockarch_source;

/* ---- the source ---- */

static int dockarch_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                        ferry_reader **out, char *media_type, size_t media_type_cap)
{
    dockarch_source *src = (dockarch_source *)source;
    const ferry_services *svc = dockarch_services();
    if (instance_digest != NULL)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no manifest list in a docker archive", src->label);
    /* The source keeps the synthesised manifest; readers close before it. */
    int status = svc->memory_reader(ctx, src->label, src->manifest, src->manifest_len, NULL, out);
    if (status == FERRY_OK && media_type_cap > strlen(DOCKARCH_MT_MANIFEST))
        memcpy(media_type, DOCKARCH_MT_MANIFEST, strlen(DOCKARCH_MT_MANIFEST) + 1);
    return status;
}

static int dockarch_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                                    ferry_reader **out)
{
    dockarch_source *src = (dockarch_source *)source;
    const dockarch_blob *b = NULL;
    if (info->digest != NULL && strcmp(info->digest, src->config.digest) == 0)
        b = &src->config;
    for (size_t i = 0; b == NULL && info->digest != NULL && i < src->n_layers; i++)
        if (strcmp(info->digest, src->layers[i].digest) == 0)
            b = &src->layers[i];
    if (b == NULL)
        return dockarch_services()->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: blob %s not found in the archive",
                                              src->label, info->digest != NULL ? info->digest : "");
    if (b->gzip)
        return dockarch_gunzip_reader(ctx, &src->ar, b->member, b->size, out);
    return plugin_util_range_reader(dockarch_services(), ctx, src->ar.fd, b->member->offset, b->member->size,
                                    src->label, src->ar.label, out);
}

static const char *dockarch_source_docker_reference(ferry_image_source *source)
{
    return ((dockarch_source *)source)->docker_ref;
}

static void dockarch_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    (void)ctx;
    dockarch_source *src = (dockarch_source *)source;
    dockarch_archive_close(&src->ar);
    free(src->label);
    free(src->docker_ref);
    free(src->layers);
    free(src->manifest);
    free(src);
}

static const ferry_source_ops dockarch_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = dockarch_source_get_manifest,
    .get_blob = dockarch_source_get_blob,
    .get_signatures = NULL,
    .docker_reference = dockarch_source_docker_reference,
    .close = dockarch_source_close,
};

/* When `name` is digest-named (HEX.json, HEX, blobs/sha256/HEX), the HEX it
 * carries, else NULL. */
static const char *dockarch_name_hex(const char *name, char *buf, size_t cap)
{
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    size_t n = strcspn(base, ".");
    if (n != 64 || (base[n] != '\0' && strcmp(base + n, ".json") != 0) || n >= cap)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!((base[i] >= '0' && base[i] <= '9') || (base[i] >= 'a' && base[i] <= 'f')))
            return NULL;
    memcpy(buf, base, n);
    buf[n] = '\0';
    return buf;
}

/* Resolves Config and Layers of the chosen item and checks every digest. */
static int dockarch_source_load(ferry_ctx *ctx, dockarch_source *src, json_t *item)
{
    const ferry_services *svc = dockarch_services();
    const char *label = src->label;
    const char *config_name = json_string_value(json_object_get(item, "Config"));
    src->config.member = dockarch_archive_find(&src->ar, config_name);
    if (src->config.member == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: manifest.json names config %s, which is not in the archive",
                              label, config_name);
    char *config = NULL;
    int status = dockarch_archive_read(ctx, &src->ar, src->config.member, DOCKARCH_JSON_MAX, &config);
    if (status != FERRY_OK)
        return status;
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL) {
        free(config);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    svc->hasher_update(h, config, (size_t)src->config.member->size);
    svc->hasher_final(h, src->config.digest, sizeof src->config.digest);
    svc->hasher_free(h);
    char hex[80];
    if (dockarch_name_hex(config_name, hex, sizeof hex) != NULL && strcmp(hex, src->config.digest + 7) != 0) {
        free(config);
        return svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: config %s has digest %s", label, config_name,
                              src->config.digest);
    }
    json_error_t err;
    json_t *cfg = json_loadb(config, (size_t)src->config.member->size, 0, &err);
    free(config);
    json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
    json_t *layers = json_object_get(item, "Layers");
    if (!json_is_array(diff_ids) || json_array_size(diff_ids) != json_array_size(layers)) {
        json_decref(cfg);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: config %s lists %zu DiffIDs for %zu layers", label,
                              config_name, json_array_size(diff_ids), json_array_size(layers));
    }
    src->n_layers = json_array_size(layers);
    src->layers = calloc(src->n_layers + 1, sizeof *src->layers);
    if (src->layers == NULL) {
        json_decref(cfg);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    for (size_t i = 0; status == FERRY_OK && i < src->n_layers; i++) {
        const char *name = json_string_value(json_array_get(layers, i));
        const char *diff_id = json_string_value(json_array_get(diff_ids, i));
        dockarch_blob *b = &src->layers[i];
        b->member = dockarch_archive_find(&src->ar, name);
        if (b->member == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID,
                                    "%s: manifest.json names layer %s, which is not in the archive", label, name);
            break;
        }
        /* Layers are served uncompressed, so a layer's digest is its DiffID.
         * The core verifies the bytes against it while streaming: reading the
         * layer here too would hash the whole archive twice. */
        if (diff_id == NULL || !svc->digest_is_valid(diff_id)) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: config %s has no valid DiffID for layer %s", label,
                                    config_name, name);
            break;
        }
        snprintf(b->digest, sizeof b->digest, "%s", diff_id);
        b->size = b->member->size;
        const char *other = NULL;
        int kind = dockarch_member_compression(&src->ar, b->member, &other);
        if (kind == DOCKARCH_OTHER_COMPRESSION)
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: layer %s is %s-compressed, which is not supported",
                                    label, name, other);
        else if (kind == DOCKARCH_GZIP && (status = dockarch_gunzip_size(ctx, &src->ar, b->member, &b->size)) == FERRY_OK)
            b->gzip = 1;
    }
    json_decref(cfg);
    return status;
}

/* The Docker schema 2 manifest, Go field order, compact. */
static int dockarch_source_synthesise(ferry_ctx *ctx, dockarch_source *src)
{
    json_t *m = json_object();
    json_t *config = json_object();
    json_t *layers = json_array();
    if (m != NULL && config != NULL && layers != NULL) {
        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(DOCKARCH_MT_MANIFEST));
        json_object_set_new(config, "mediaType", json_string(DOCKARCH_MT_CONFIG));
        json_object_set_new(config, "size", json_integer(src->config.member->size));
        json_object_set_new(config, "digest", json_string(src->config.digest));
        for (size_t i = 0; i < src->n_layers; i++) {
            json_t *l = json_object();
            json_object_set_new(l, "mediaType", json_string(DOCKARCH_MT_LAYER));
            json_object_set_new(l, "size", json_integer(src->layers[i].size));
            json_object_set_new(l, "digest", json_string(src->layers[i].digest));
            json_array_append_new(layers, l);
        }
        json_object_set(m, "config", config);
        json_object_set(m, "layers", layers);
        src->manifest = gojson_encode(m, 0);
    }
    json_decref(config);
    json_decref(layers);
    json_decref(m);
    if (src->manifest == NULL)
        return dockarch_services()->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->label);
    src->manifest_len = strlen(src->manifest);
    return FERRY_OK;
}

int dockarch_source_open(ferry_ctx *ctx, const char *label, dockarch_archive *ar, const char *name, long index,
                         const char *docker_ref, ferry_image_source **out)
{
    const ferry_services *svc = dockarch_services();
    *out = NULL;
    dockarch_source *src = calloc(1, sizeof *src);
    if (src == NULL) {
        dockarch_archive_close(ar);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    src->base.ops = &dockarch_source_ops;
    src->ar = *ar; /* taken over */
    memset(ar, 0, sizeof *ar);
    ar->fd = -1;
    src->label = strdup(label);
    src->docker_ref = docker_ref != NULL ? strdup(docker_ref) : NULL;
    int status = src->label == NULL || (docker_ref != NULL && src->docker_ref == NULL)
                     ? svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label)
                     : FERRY_OK;
    json_t *items = NULL, *item = NULL;
    if (status == FERRY_OK)
        status = dockarch_manifest_load(ctx, &src->ar, &items);
    if (status == FERRY_OK)
        status = dockarch_manifest_select(ctx, label, name, index, items, &item);
    if (status == FERRY_OK)
        status = dockarch_source_load(ctx, src, item);
    if (status == FERRY_OK)
        status = dockarch_source_synthesise(ctx, src);
    json_decref(items);
    if (status != FERRY_OK) {
        dockarch_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
