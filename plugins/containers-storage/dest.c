/* plugins/containers-storage/dest.c — writing an image into a store as
 * containers/image's storage destination does. The core delivers layers in
 * manifest order, decompressed, with their DiffIDs (LAYERS_IN_ORDER,
 * NEEDS_UNCOMPRESSED, COMPUTES_DIFFIDS): each becomes a layer on the one
 * before (ID from the chain of DiffIDs), applied under the layers lock with
 * its record flagged incomplete until the layer is whole, so that a writer
 * killed half way leaves a layer that the next podman or ferry removes.
 * Config, manifest and signatures wait in memory for commit, which writes
 * them as the image's big data and adds the image record (ID = config
 * digest) in one rewrite of images.json. */
#include "cs_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/fsutil.h"
#include "shared/gojson.h"

#define CS_CONFIG_MAX (16 * 1024 * 1024)

typedef struct cs_dest {
    ferry_image_dest base;
    const ferry_services *svc;
    cs_target target;
    cs_store store;
    int store_open;
    char top[CS_ID_LEN + 1]; /* the last layer stored or reused; "" before the first */
    char **created;          /* layers this destination added, bottom up */
    size_t n_created;
    char *config;
    size_t config_len;
    char config_digest[PLUGIN_UTIL_DIGEST_MAX];
    char *manifest;
    size_t manifest_len;
    char manifest_digest[PLUGIN_UTIL_DIGEST_MAX];
    char *signatures; /* concatenated, as containers/image stores them */
    size_t signatures_len;
    json_t *signature_sizes;
    int committed;
} cs_dest;

static int cs_dest_oom(cs_dest *dst, ferry_ctx *ctx)
{
    return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->target.label);
}

static int cs_dest_layer_id(cs_dest *dst, ferry_ctx *ctx, const ferry_blob_info *info, char id[CS_ID_LEN + 1])
{
    const char *diff_id = info->uncompressed_digest;
    if (diff_id == NULL || !dst->svc->digest_is_valid(diff_id) || strncmp(diff_id, "sha256:", 7) != 0)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: layer %s has no sha256 DiffID", dst->target.label,
                                   info->digest ? info->digest : "?");
    return cs_layer_chain_id(dst->svc, dst->top[0] ? dst->top : NULL, diff_id, id);
}

static int cs_layer_is_complete(const json_t *layer)
{
    return layer != NULL && !json_is_true(json_object_get(json_object_get(layer, "flags"), "incomplete"));
}

static int cs_dest_try_reuse_blob(ferry_image_dest *dest, ferry_ctx *ctx, const ferry_blob_info *info,
                                  int64_t *size)
{
    cs_dest *dst = (cs_dest *)dest;
    if (info->kind != FERRY_BLOB_LAYER)
        return FERRY_ERR_NOT_FOUND; /* the config is small: commit writes it */
    char id[CS_ID_LEN + 1];
    int rc = cs_dest_layer_id(dst, ctx, info, id);
    if (rc != FERRY_OK)
        return rc;
    rc = cs_store_lock_and_load(dst->svc, ctx, &dst->store);
    json_t *layer = rc == FERRY_OK ? cs_store_layer(&dst->store, id) : NULL;
    int reuse = cs_layer_is_complete(layer);
    cs_store_unlock(&dst->store);
    if (rc != FERRY_OK)
        return rc;
    if (!reuse)
        return FERRY_ERR_NOT_FOUND;
    memcpy(dst->top, id, sizeof dst->top);
    *size = info->size;
    return FERRY_OK;
}

/* Reads a stream to its end (a layer someone else stored meanwhile): the
 * core verifies the bytes as they pass. */
static int cs_drain(ferry_reader *data, ferry_ctx *ctx)
{
    char buf[64 * 1024];
    for (;;) {
        size_t n = 0;
        int eos = 0;
        int rc = ferry_reader_read(data, ctx, buf, sizeof buf, &n, &eos);
        if (rc != FERRY_OK || eos)
            return rc;
    }
}

static int cs_compression_of(const ferry_blob_info *info)
{
    /* containers/storage's archive.Compression of the blob it was given. */
    if (info->digest == NULL || strcmp(info->digest, info->uncompressed_digest) == 0)
        return 0;
    if (info->media_type != NULL && strstr(info->media_type, "zstd") != NULL)
        return 4;
    return 2;
}

/* Applies the layer stream and records it; under the layers lock. */
static int cs_dest_apply_layer(cs_dest *dst, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info,
                               const char *id)
{
    const ferry_services *svc = dst->svc;
    cs_store *st = &dst->store;
    const char *parent = dst->top[0] ? dst->top : NULL;
    if (cs_layer_record_add(st, id, parent) == NULL)
        return cs_dest_oom(dst, ctx);
    int rc = cs_store_save_layers(svc, ctx, st);
    if (rc != FERRY_OK) {
        cs_layer_record_remove(st, id);
        return rc;
    }
    char *layers_dir = plugin_util_printf("%s/%s-layers", st->graphroot, st->driver);
    char *final_name = plugin_util_printf("%s.tar-split.gz", id);
    char *diff = NULL;
    int dirfd = layers_dir ? plugin_util_open_dir(AT_FDCWD, layers_dir) : -1;
    plugin_util_staged staged = {0};
    int fd = -1;
    cs_apply_result res = {0};
    if (layers_dir == NULL || final_name == NULL)
        rc = cs_dest_oom(dst, ctx);
    else if (dirfd < 0)
        rc = plugin_util_errno_error(svc, ctx, errno, dst->target.label, "opening", layers_dir);
    if (rc == FERRY_OK)
        rc = dst->target.driver_ops->create(svc, ctx, st, id, parent, &diff);
    if (rc == FERRY_OK && (fd = plugin_util_staged_open(dirfd, ".ferry-tarsplit-", &staged)) < 0)
        rc = plugin_util_errno_error_at(svc, ctx, errno, dst->target.label, "creating a file in", layers_dir, "");
    if (rc == FERRY_OK)
        rc = cs_layer_apply(svc, ctx, dst->target.label, data, diff,
                            (dst->target.driver_ops->overlay_whiteouts ? CS_APPLY_OVERLAY_WHITEOUTS : 0u) |
                                (dst->target.driver_options.ignore_chown_errors ? CS_APPLY_IGNORE_CHOWN_ERRORS : 0u),
                            fd, &res);
    if (rc == FERRY_OK && strcmp(res.diff_digest, info->uncompressed_digest) != 0)
        rc = svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: layer %s: applied tar has digest %s, not %s",
                            dst->target.label, id, res.diff_digest, info->uncompressed_digest);
    if (rc == FERRY_OK && (fchmod(fd, 0600) != 0 || plugin_util_staged_commit(fd, dirfd, &staged, final_name) != 0))
        rc = plugin_util_errno_error_at(svc, ctx, errno, dst->target.label, "writing", layers_dir, final_name);
    if (rc == FERRY_OK)
        rc = cs_layer_record_complete(cs_store_layer(st, id), info->digest, info->size, cs_compression_of(info),
                                      &res) == FERRY_OK
                 ? cs_store_save_layers(svc, ctx, st)
                 : cs_dest_oom(dst, ctx);
    if (fd >= 0)
        close(fd);
    if (rc != FERRY_OK) {
        /* Nothing half-made stays. The record stays flagged incomplete on
         * disk (saving now could replace the error being reported); close
         * or the next writer removes it, as after a crash. */
        if (dirfd >= 0) {
            plugin_util_staged_discard(dirfd, &staged);
            unlinkat(dirfd, final_name, 0);
        }
        dst->target.driver_ops->remove(svc, ctx, st, id);
    }
    if (dirfd >= 0)
        close(dirfd);
    cs_apply_result_release(&res);
    free(diff);
    free(final_name);
    free(layers_dir);
    return rc;
}

static int cs_dest_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info)
{
    cs_dest *dst = (cs_dest *)dest;
    const ferry_services *svc = dst->svc;
    if (info->kind == FERRY_BLOB_CONFIG) {
        /* The config's digest is known once read; it is small (the core
         * bounds it), so it waits in memory for commit. */
        char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
            if (len == cap) {
                if (cap >= CS_CONFIG_MAX) {
                    free(buf);
                    return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: config over %d bytes", dst->target.label,
                                          CS_CONFIG_MAX);
                }
                char *grown = realloc(buf, cap = cap ? cap * 2 : 4096);
                if (grown == NULL) {
                    free(buf);
                    return cs_dest_oom(dst, ctx);
                }
                buf = grown;
            }
            size_t n = 0;
            int eos = 0;
            int rc = ferry_reader_read(data, ctx, buf + len, cap - len, &n, &eos);
            if (rc != FERRY_OK) {
                free(buf);
                return rc;
            }
            len += n;
            if (eos)
                break;
        }
        const char *digest = ferry_reader_digest(data) ? ferry_reader_digest(data) : info->digest;
        if (digest == NULL || !svc->digest_is_valid(digest) || strncmp(digest, "sha256:", 7) != 0) {
            free(buf);
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the config has no sha256 digest", dst->target.label);
        }
        free(dst->config);
        dst->config = buf;
        dst->config_len = len;
        snprintf(dst->config_digest, sizeof dst->config_digest, "%s", digest);
        return FERRY_OK;
    }
    char id[CS_ID_LEN + 1];
    int rc = cs_dest_layer_id(dst, ctx, info, id);
    if (rc == FERRY_OK)
        rc = cs_store_lock_and_load(svc, ctx, &dst->store);
    if (rc != FERRY_OK) {
        cs_store_unlock(&dst->store);
        return rc;
    }
    json_t *existing = cs_store_layer(&dst->store, id);
    if (cs_layer_is_complete(existing)) {
        /* Stored by another writer since try_reuse_blob asked. */
        cs_store_unlock(&dst->store);
        rc = cs_drain(data, ctx);
    } else {
        char **grown = realloc(dst->created, (dst->n_created + 1) * sizeof *grown);
        if (grown == NULL) {
            cs_store_unlock(&dst->store);
            return cs_dest_oom(dst, ctx);
        }
        dst->created = grown;
        rc = cs_dest_apply_layer(dst, ctx, data, info, id);
        cs_store_unlock(&dst->store);
        if (rc == FERRY_OK && (dst->created[dst->n_created] = strdup(id)) != NULL)
            dst->n_created++;
    }
    if (rc == FERRY_OK)
        memcpy(dst->top, id, sizeof dst->top);
    return rc;
}

static int cs_dest_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                                const char *media_type, const char *digest, const char *instance_digest)
{
    cs_dest *dst = (cs_dest *)dest;
    (void)media_type;
    if (instance_digest != NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: storing manifest lists is not supported",
                                   dst->target.label);
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return cs_dest_oom(dst, ctx);
    memcpy(copy, data, len);
    free(dst->manifest);
    dst->manifest = copy;
    dst->manifest_len = len;
    snprintf(dst->manifest_digest, sizeof dst->manifest_digest, "%s", digest);
    return FERRY_OK;
}

static int cs_dest_put_signatures(ferry_image_dest *dest, ferry_ctx *ctx, const char *instance_digest, size_t count,
                                  const void *const *signatures, const size_t *lengths)
{
    cs_dest *dst = (cs_dest *)dest;
    if (instance_digest != NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: signatures of list instances are not supported",
                                   dst->target.label);
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += lengths[i];
    char *all = malloc(total ? total : 1);
    json_t *sizes = json_array();
    if (all == NULL || sizes == NULL) {
        free(all);
        json_decref(sizes);
        return cs_dest_oom(dst, ctx);
    }
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(all + off, signatures[i], lengths[i]);
        off += lengths[i];
        json_array_append_new(sizes, json_integer((json_int_t)lengths[i]));
    }
    free(dst->signatures);
    json_decref(dst->signature_sizes);
    dst->signatures = all;
    dst->signatures_len = total;
    dst->signature_sizes = sizes;
    return FERRY_OK;
}

/* Writes big-data item `key` of image `id` (mode 0600, replaced atomically). */
static int cs_dest_write_big_data(cs_dest *dst, ferry_ctx *ctx, int dirfd, const char *dirpath, const char *key,
                                  const void *data, size_t len)
{
    char *path = cs_store_big_data_path(&dst->store, "", key);
    if (path == NULL)
        return cs_dest_oom(dst, ctx);
    const char *name = strrchr(path, '/') + 1;
    plugin_util_staged staged = {0};
    int fd = plugin_util_staged_open(dirfd, ".ferry-", &staged);
    int ok = fd >= 0 && fs_write_all(fd, data, len) == 0 && fchmod(fd, 0600) == 0 &&
             plugin_util_staged_commit(fd, dirfd, &staged, name) == 0;
    int err = errno;
    if (fd >= 0)
        close(fd);
    int rc = FERRY_OK;
    if (!ok) {
        plugin_util_staged_discard(dirfd, &staged);
        rc = plugin_util_errno_error_at(dst->svc, ctx, err, dst->target.label, "writing", dirpath, name);
    }
    free(path);
    return rc;
}

/* containers/image's metadata string: {"signatures-sizes":{DIGEST:[N…]}},
 * merged into what the image has. */
static int cs_dest_metadata(cs_dest *dst, json_t *image)
{
    const char *old = json_string_value(json_object_get(image, "metadata"));
    json_t *meta = old ? json_loads(old, 0, NULL) : NULL;
    if (!json_is_object(meta)) {
        json_decref(meta);
        meta = json_object();
    }
    json_t *map = json_object_get(meta, "signatures-sizes");
    if (!json_is_object(map)) {
        map = json_object();
        json_object_set_new(meta, "signatures-sizes", map);
    }
    json_t *sizes = dst->signature_sizes ? json_incref(dst->signature_sizes) : json_array();
    if (json_object_set_new(map, dst->manifest_digest, sizes) != 0 || cs_json_sort_keys(map) != 0) {
        json_decref(meta);
        return -1;
    }
    char *text = gojson_encode(meta, 0);
    json_decref(meta);
    if (text == NULL)
        return -1;
    int rc = json_object_set_new(image, "metadata", json_string(text));
    free(text);
    return rc;
}

/* A new image record, members in containers/storage's Image order. */
static json_t *cs_dest_new_image(cs_dest *dst, const char *id)
{
    json_t *image = json_object();
    if (image == NULL)
        return NULL;
    json_object_set_new(image, "id", json_string(id));
    json_object_set_new(image, "digest", json_string(dst->manifest_digest));
    json_object_set_new(image, "names", json_array());
    json_object_set_new(image, "names-history", json_array());
    if (dst->top[0])
        json_object_set_new(image, "layer", json_string(dst->top));
    json_object_set_new(image, "metadata", json_string(""));
    json_object_set_new(image, "big-data-names", json_array());
    json_object_set_new(image, "big-data-sizes", json_object());
    json_object_set_new(image, "big-data-digests", json_object());
    /* containers/image dates the image by its config. */
    json_t *config = json_loadb(dst->config, dst->config_len, 0, NULL);
    const char *created = json_string_value(json_object_get(config, "created"));
    char now[64];
    if (created == NULL)
        cs_time_now(now, sizeof now);
    json_object_set_new(image, "created", json_string(created ? created : now));
    json_decref(config);
    if (json_array_append_new(dst->store.images, image) != 0)
        return NULL;
    return image;
}

/* The big data of the image: config, manifest under both keys, signatures;
 * files first, then the record says they are there. */
static int cs_dest_store_big_data(cs_dest *dst, ferry_ctx *ctx, json_t *image, const char *id)
{
    char *dir = plugin_util_printf("%s/%s-images/%s", dst->store.graphroot, dst->store.driver, id);
    if (dir == NULL)
        return cs_dest_oom(dst, ctx);
    int rc = FERRY_OK;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        rc = plugin_util_errno_error(dst->svc, ctx, errno, dst->target.label, "creating", dir);
    int dirfd = rc == FERRY_OK ? plugin_util_open_dir(AT_FDCWD, dir) : -1;
    if (rc == FERRY_OK && dirfd < 0)
        rc = plugin_util_errno_error(dst->svc, ctx, errno, dst->target.label, "opening", dir);
    char manifest_key[160], signature_key[160], signature_digest[PLUGIN_UTIL_DIGEST_MAX];
    snprintf(manifest_key, sizeof manifest_key, "manifest-%s", dst->manifest_digest);
    snprintf(signature_key, sizeof signature_key, "signature-%s", strchr(dst->manifest_digest, ':') + 1);
    struct {
        const char *key;
        const char *data;
        size_t len;
        const char *digest;
    } items[] = {
        {dst->config_digest, dst->config, dst->config_len, dst->config_digest},
        {manifest_key, dst->manifest, dst->manifest_len, dst->manifest_digest},
        {"manifest", dst->manifest, dst->manifest_len, dst->manifest_digest},
        {signature_key, dst->signatures ? dst->signatures : "", dst->signatures_len, signature_digest},
    };
    ferry_hasher *h = dst->svc->hasher_new("sha256");
    if (h == NULL)
        rc = rc == FERRY_OK ? cs_dest_oom(dst, ctx) : rc;
    else {
        dst->svc->hasher_update(h, items[3].data, items[3].len);
        dst->svc->hasher_final(h, signature_digest, sizeof signature_digest);
        dst->svc->hasher_free(h);
    }
    for (size_t i = 0; rc == FERRY_OK && i < sizeof items / sizeof items[0]; i++) {
        rc = cs_dest_write_big_data(dst, ctx, dirfd, dir, items[i].key, items[i].data, items[i].len);
        if (rc == FERRY_OK &&
            cs_image_set_big_data_info(image, items[i].key, (int64_t)items[i].len, items[i].digest) != FERRY_OK)
            rc = cs_dest_oom(dst, ctx);
    }
    if (rc == FERRY_OK && plugin_util_fsync_dir(dirfd) != 0)
        rc = plugin_util_errno_error(dst->svc, ctx, errno, dst->target.label, "syncing", dir);
    if (dirfd >= 0)
        close(dirfd);
    free(dir);
    return rc;
}

static int cs_dest_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    cs_dest *dst = (cs_dest *)dest;
    const ferry_services *svc = dst->svc;
    if (dst->config == NULL || dst->manifest == NULL)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: commit before the config and manifest were stored",
                              dst->target.label);
    const char *id = dst->config_digest + strlen("sha256:");
    int rc = cs_store_lock_and_load(svc, ctx, &dst->store);
    if (rc == FERRY_OK && dst->top[0] && !cs_layer_is_complete(cs_store_layer(&dst->store, dst->top)))
        rc = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: layer %s vanished from the store before commit",
                            dst->target.label, dst->top);
    json_t *image = rc == FERRY_OK ? cs_store_image(&dst->store, id) : NULL;
    if (rc == FERRY_OK && image == NULL && (image = cs_dest_new_image(dst, id)) == NULL)
        rc = cs_dest_oom(dst, ctx);
    if (rc == FERRY_OK)
        rc = cs_dest_store_big_data(dst, ctx, image, id);
    if (rc == FERRY_OK && cs_dest_metadata(dst, image) != 0)
        rc = cs_dest_oom(dst, ctx);
    if (rc == FERRY_OK && dst->target.ref.name != NULL)
        rc = cs_image_add_name(&dst->store, image, dst->target.ref.name);
    if (rc == FERRY_OK && json_array_size(json_object_get(image, "names")) == 0) {
        json_object_del(image, "names"); /* omitempty */
        json_object_del(image, "names-history");
    }
    if (rc == FERRY_OK)
        rc = cs_store_save_images(svc, ctx, &dst->store);
    cs_store_unlock(&dst->store);
    dst->committed = rc == FERRY_OK;
    return rc;
}

/* Without a commit, the layers this destination added go again unless an
 * image (someone else's, meanwhile) uses them; the load also drops records a
 * failed apply left flagged incomplete. */
static void cs_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    cs_dest *dst = (cs_dest *)dest;
    if (dst->store_open && !dst->committed && cs_store_lock_and_load(dst->svc, ctx, &dst->store) == FERRY_OK) {
        int changed = 0;
        for (size_t i = dst->n_created; i-- > 0;) {
            if (cs_store_layer(&dst->store, dst->created[i]) == NULL || cs_layer_users(&dst->store, dst->created[i]))
                continue;
            char *tarsplit = plugin_util_printf("%s/%s-layers/%s.tar-split.gz", dst->store.graphroot,
                                                dst->store.driver, dst->created[i]);
            if (tarsplit != NULL)
                unlink(tarsplit);
            free(tarsplit);
            dst->target.driver_ops->remove(dst->svc, ctx, &dst->store, dst->created[i]);
            cs_layer_record_remove(&dst->store, dst->created[i]);
            changed = 1;
        }
        if (changed)
            cs_store_save_layers(dst->svc, ctx, &dst->store);
    }
    if (dst->store_open) {
        cs_store_unlock(&dst->store);
        cs_store_close(&dst->store);
    }
    for (size_t i = 0; i < dst->n_created; i++)
        free(dst->created[i]);
    free(dst->created);
    free(dst->config);
    free(dst->manifest);
    free(dst->signatures);
    json_decref(dst->signature_sizes);
    cs_target_free(&dst->target);
    free(dst);
}

static const ferry_dest_ops cs_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = NULL,            /* containers/image stores any */
    .desired_layer_compression = NULL, /* preserve: layers are unpacked anyway */
    .try_reuse_blob = cs_dest_try_reuse_blob,
    .put_blob = cs_dest_put_blob,
    .put_manifest = cs_dest_put_manifest,
    .put_signatures = cs_dest_put_signatures,
    .commit = cs_dest_commit,
    .close = cs_dest_close,
};

int cs_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = cs_services();
    *out = NULL;
    cs_dest *dst = calloc(1, sizeof *dst);
    if (dst == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", CS_TRANSPORT, reference);
    dst->base.ops = &cs_dest_ops;
    dst->svc = svc;
    /* Refused before the store is created: a bad reference writes nothing. */
    cs_reference ref;
    char err[1024];
    int rc = cs_reference_parse(reference, &ref, err, sizeof err);
    int id_only = rc == FERRY_OK && ref.id != NULL && ref.name == NULL;
    cs_reference_free(&ref);
    if (id_only)
        rc = svc->set_error(ctx, FERRY_ERR_INVALID, "%s:%s: cannot write to an image named by ID only", CS_TRANSPORT,
                            reference);
    else
        rc = cs_target_open(svc, ctx, reference, 1, &dst->target, &dst->store, &dst->store_open);
    if (rc != FERRY_OK) {
        cs_dest_close(&dst->base, ctx);
        return rc;
    }
    *out = &dst->base;
    return FERRY_OK;
}
