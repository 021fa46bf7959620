/* plugins/containers-storage/source.c — reading an image from a store. The
 * records are loaded once at open under the store's read locks; layers are
 * immutable once complete, so no lock is held while they stream. Manifest,
 * config and signatures come from the image's big data under
 * containers/image's keys; each layer is rebuilt byte for byte from its
 * tar-split and its directory and served uncompressed
 * (FERRY_CAP_UNCOMPRESSED_LAYERS): the core verifies it against the DiffID. */
#include "cs_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tarsplit.h"

#define CS_BIG_DATA_MAX (64 * 1024 * 1024) /* signatures; the core bounds manifests itself */

typedef struct cs_source {
    ferry_image_source base;
    const ferry_services *svc;
    cs_target target;
    cs_store *stores;      /* [0] the graph root's (when open), then the additional image stores */
    size_t n_stores;       /* stores open */
    const cs_store *image_store; /* the one holding the image */
    json_t *image;         /* borrowed from image_store->images */
    cs_layer_ref *layers;  /* the image's layers, bottom up */
    size_t n_layers;
} cs_source;

static const char *cs_source_image_id(const cs_source *src)
{
    return json_string_value(json_object_get(src->image, "id"));
}

/* Reads big-data item `key` of the image into a malloc'd buffer. */
static int cs_source_big_data(cs_source *src, ferry_ctx *ctx, const char *key, char **data, size_t *len)
{
    char *path = cs_store_big_data_path(src->image_store, cs_source_image_id(src), key);
    if (path == NULL)
        return src->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->target.label);
    int rc = plugin_util_read_file(AT_FDCWD, path, CS_BIG_DATA_MAX, data, len);
    int err = errno;
    if (rc != 0)
        rc = err == ENOENT ? src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: image %s has no %s (%s)",
                                                 src->target.label, cs_source_image_id(src), key, path)
                           : plugin_util_errno_error(src->svc, ctx, err, src->target.label, "reading", path);
    free(path);
    return rc;
}

static int cs_source_has_big_data(const cs_source *src, const char *key)
{
    return cs_names_contains(json_object_get(src->image, "big-data-names"), key);
}

static int cs_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                  ferry_reader **out, char *media_type, size_t media_type_cap)
{
    cs_source *src = (cs_source *)source;
    if (media_type_cap > 0)
        media_type[0] = '\0';
    /* As containers/image: an instance, or the digest the reference names,
     * under "manifest-DIGEST"; else the image's "manifest". */
    const char *name = src->target.ref.name;
    const char *digest = instance_digest ? instance_digest : (name && strchr(name, '@') ? strchr(name, '@') + 1 : NULL);
    char key[160] = "manifest";
    if (digest != NULL) {
        snprintf(key, sizeof key, "manifest-%s", digest);
        if (instance_digest == NULL && !cs_source_has_big_data(src, key))
            snprintf(key, sizeof key, "manifest");
    }
    char *data = NULL;
    size_t len = 0;
    int rc = cs_source_big_data(src, ctx, key, &data, &len);
    if (rc != FERRY_OK)
        return rc;
    return src->svc->memory_reader(ctx, src->target.label, data, len, free, out);
}

/* The layer of the image serving manifest layer `index` with blob `digest`:
 * normally the index'th of the chain, checked against either digest the
 * record holds. */
static const cs_layer_ref *cs_source_layer_for(cs_source *src, int index, const char *digest)
{
    static const char *const keys[] = {"compressed-diff-digest", "diff-digest"};
    if (index >= 0 && (size_t)index < src->n_layers) {
        const cs_layer_ref *layer = &src->layers[index];
        for (int k = 0; k < 2; k++) {
            const char *d = json_string_value(json_object_get(layer->record, keys[k]));
            if (d != NULL && strcmp(d, digest) == 0)
                return layer;
        }
    }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < src->n_layers; i++) {
            const char *d = json_string_value(json_object_get(src->layers[i].record, keys[k]));
            if (d != NULL && strcmp(d, digest) == 0)
                return &src->layers[i];
        }
    return NULL;
}

static int cs_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                              ferry_reader **out)
{
    cs_source *src = (cs_source *)source;
    if (info->digest == NULL || !src->svc->digest_is_valid(info->digest))
        return src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", src->target.label,
                                   info->digest ? info->digest : "");
    if (info->kind == FERRY_BLOB_CONFIG || cs_source_has_big_data(src, info->digest)) {
        char *data = NULL;
        size_t len = 0;
        int rc = cs_source_big_data(src, ctx, info->digest, &data, &len);
        if (rc != FERRY_OK)
            return rc;
        return src->svc->memory_reader(ctx, src->target.label, data, len, free, out);
    }
    const cs_layer_ref *layer = cs_source_layer_for(src, info->layer_index, info->digest);
    if (layer == NULL)
        return src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: image %s has no layer for blob %s",
                                   src->target.label, cs_source_image_id(src), info->digest);
    const char *id = layer->id;
    json_t *size = json_object_get(layer->record, "diff-size");
    char *tarsplit =
        plugin_util_printf("%s/%s-layers/%s.tar-split.gz", layer->store->graphroot, layer->store->driver, id);
    char *diff = src->target.driver_ops->diff_path(layer->store, id);
    int rc = tarsplit && diff ? tarsplit_reader_open_dir(src->svc, ctx, tarsplit, diff, CS_TRANSPORT,
                                                         json_is_integer(size) ? json_integer_value(size) : -1, out)
                              : src->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->target.label);
    free(tarsplit);
    free(diff);
    return rc;
}

/* Signatures live in one big-data item, "signature-HEX", cut at the sizes the
 * image's metadata lists for that manifest digest. */
static int cs_source_get_signatures(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                    int (*emit)(void *opaque, const void *data, size_t len), void *opaque)
{
    cs_source *src = (cs_source *)source;
    const char *digest = instance_digest ? instance_digest : json_string_value(json_object_get(src->image, "digest"));
    if (digest == NULL || strchr(digest, ':') == NULL)
        return FERRY_OK;
    char key[160];
    snprintf(key, sizeof key, "signature-%s", strchr(digest, ':') + 1);
    if (!cs_source_has_big_data(src, key))
        return FERRY_OK;
    json_t *meta = json_loads(json_string_value(json_object_get(src->image, "metadata")) ?: "{}", 0, NULL);
    json_t *sizes = json_object_get(json_object_get(meta, "signatures-sizes"), digest);
    char *data = NULL;
    size_t len = 0;
    int rc = json_array_size(sizes) > 0 ? cs_source_big_data(src, ctx, key, &data, &len) : FERRY_OK;
    size_t off = 0, i;
    json_t *v;
    json_array_foreach(sizes, i, v)
    {
        if (rc != FERRY_OK)
            break;
        json_int_t n = json_integer_value(v);
        if (n < 0 || (size_t)n > len - off) {
            rc = src->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: image %s: signature sizes exceed %s",
                                     src->target.label, cs_source_image_id(src), key);
            break;
        }
        rc = emit(opaque, data + off, (size_t)n);
        off += (size_t)n;
    }
    free(data);
    json_decref(meta);
    return rc;
}

static const char *cs_source_docker_reference(ferry_image_source *source)
{
    cs_source *src = (cs_source *)source;
    return src->target.ref.name;
}

static void cs_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    cs_source *src = (cs_source *)source;
    (void)ctx;
    free(src->layers);
    cs_stores_close(src->stores, src->n_stores);
    cs_target_free(&src->target);
    free(src);
}

static const ferry_source_ops cs_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = cs_source_get_manifest,
    .get_blob = cs_source_get_blob,
    .get_signatures = cs_source_get_signatures,
    .docker_reference = cs_source_docker_reference,
    .close = cs_source_close,
};

int cs_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = cs_services();
    *out = NULL;
    cs_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", CS_TRANSPORT, reference);
    src->base.ops = &cs_source_ops;
    src->svc = svc;
    int rc = cs_target_init(svc, ctx, reference, &src->target);
    /* The graph root's store first, then the additional ones, in one array. */
    if (rc == FERRY_OK &&
        (src->stores = calloc(1 + src->target.driver_options.n_image_stores, sizeof *src->stores)) == NULL)
        rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->target.label);
    const cs_target *t = &src->target;
    struct stat sb;
    if (rc == FERRY_OK && t->driver_options.n_image_stores > 0 && stat(t->graphroot, &sb) != 0 && errno == ENOENT) {
        /* Nothing at the graph root yet: its images are the additional
         * stores' (containers/storage would create an empty store here; a
         * read creates nothing). */
        rc = cs_store_init_empty(svc, ctx, t->graphroot, t->runroot, t->driver, &src->stores[0]);
        src->n_stores = rc == FERRY_OK;
    } else if (rc == FERRY_OK) {
        rc = cs_store_open(svc, ctx, t->graphroot, t->runroot, t->driver, 0, &src->stores[0]);
        src->n_stores = rc == FERRY_OK;
        if (rc == FERRY_OK) {
            rc = cs_store_lock_and_load(svc, ctx, &src->stores[0]);
            cs_store_unlock(&src->stores[0]);
        }
    }
    if (rc == FERRY_OK)
        rc = cs_target_load_image_stores(svc, ctx, t, src->stores + 1, &src->n_stores);
    json_t *image = NULL;
    size_t at = 0;
    if (rc == FERRY_OK)
        rc = cs_resolve_image(svc, ctx, &src->target, src->stores, src->n_stores, &image, &at);
    if (rc == FERRY_OK) {
        src->image = image;
        src->image_store = &src->stores[at];
    }
    if (rc == FERRY_OK && src->target.ref.name_is_fallback &&
        strncmp(cs_source_image_id(src), src->target.ref.id, strlen(src->target.ref.id)) == 0) {
        /* The hex text named the image by ID, not by that name. */
        free(src->target.ref.name);
        src->target.ref.name = NULL;
    }
    if (rc == FERRY_OK)
        rc = cs_image_layer_chain(svc, ctx, src->stores, src->n_stores, src->image, &src->layers, &src->n_layers);
    if (rc != FERRY_OK) {
        cs_source_close(&src->base, ctx);
        return rc;
    }
    *out = &src->base;
    return FERRY_OK;
}
