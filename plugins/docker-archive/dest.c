/* plugins/docker-archive/dest.c — writing an image as a docker save archive,
 * laid out as skopeo 1.9 writes it: HEX.tar layers in manifest order, the
 * HEX.json config, legacy ID/{layer.tar -> ../HEX.tar, VERSION, json}
 * directories, then manifest.json and repositories, byte for byte the JSON
 * containers/image produces. The bytes go, strictly sequentially, into a
 * sink: a file renamed into place or a pipe (docker-archive:), or the body of
 * a POST /images/load (docker-daemon:). Without commit the archive never gets
 * the manifest.json that makes it valid, and the sink is told to discard it. */
#include "dockarch.h"

#include "shared/gojson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dockarch_written {
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    int64_t size;
} dockarch_written;

typedef struct dockarch_dest {
    ferry_image_dest base;
    char *label;
    char **tags; /* normalised RepoTags: REF, then additional-tags */
    size_t n_tags;
    const dockarch_sink_ops *sink;
    void *sink_opaque;
    int broken; /* a member was cut short: only abort remains */
    dockarch_written *written;
    size_t n_written;
    char *config; /* the config bytes (also needed for the legacy json) */
    size_t config_len;
    char *manifest;
    size_t manifest_len;
    int committed;
} dockarch_dest;

static const char *const dockarch_manifest_types[] = {DOCKARCH_MT_MANIFEST, NULL};

static const char *const *dockarch_dest_manifest_types(ferry_image_dest *dst)
{
    (void)dst;
    return dockarch_manifest_types;
}

static int dockarch_dest_desired_compression(ferry_image_dest *dst)
{
    (void)dst;
    return FERRY_COMPRESSION_DECOMPRESS; /* docker save stores layers as plain tars */
}

static const dockarch_written *dockarch_dest_lookup(const dockarch_dest *d, const char *digest)
{
    for (size_t i = 0; digest != NULL && i < d->n_written; i++)
        if (strcmp(d->written[i].digest, digest) == 0)
            return &d->written[i];
    return NULL;
}

static int dockarch_dest_try_reuse(ferry_image_dest *dst, ferry_ctx *ctx, const ferry_blob_info *info, int64_t *size)
{
    (void)ctx;
    const dockarch_written *w = dockarch_dest_lookup((dockarch_dest *)dst, info->digest);
    if (w == NULL)
        return FERRY_ERR_NOT_FOUND;
    *size = w->size;
    return FERRY_OK;
}

static int dockarch_dest_write(dockarch_dest *d, ferry_ctx *ctx, const void *data, size_t len)
{
    int status = d->sink->write(d->sink_opaque, ctx, data, len);
    if (status != FERRY_OK)
        d->broken = 1;
    return status;
}

/* Header, data, padding of one member held in memory. */
static int dockarch_dest_member(dockarch_dest *d, ferry_ctx *ctx, const char *name, const void *data, size_t len,
                                char type, const char *link)
{
    unsigned char block[DOCKARCH_TAR_BLOCK];
    if (dockarch_tar_header(block, name, (int64_t)len, type, link) != 0)
        return dockarch_services()->set_error(ctx, FERRY_ERR_INVALID, "%s: member name %s too long", d->label,
                                              name);
    int status = dockarch_dest_write(d, ctx, block, sizeof block);
    if (status == FERRY_OK && len > 0)
        status = dockarch_dest_write(d, ctx, data, len);
    size_t pad = (DOCKARCH_TAR_BLOCK - len % DOCKARCH_TAR_BLOCK) % DOCKARCH_TAR_BLOCK;
    memset(block, 0, sizeof block);
    if (status == FERRY_OK && pad > 0)
        status = dockarch_dest_write(d, ctx, block, pad);
    return status;
}

static int dockarch_dest_put_blob(ferry_image_dest *dst, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info)
{
    dockarch_dest *d = (dockarch_dest *)dst;
    const ferry_services *svc = dockarch_services();
    const char *label = d->label;
    if (d->broken)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: the archive is incomplete after an earlier error", label);
    /* NEEDS_BLOB_SIZE: the core guarantees both. */
    if (info->digest == NULL || info->size < 0 || strncmp(info->digest, "sha256:", 7) != 0 ||
        !svc->digest_is_valid(info->digest))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: blob without a sha256 digest and size", label);
    int64_t size = ferry_reader_size(data) >= 0 ? ferry_reader_size(data) : info->size;
    int is_config = info->kind == FERRY_BLOB_CONFIG;
    if (is_config && size > DOCKARCH_JSON_MAX)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: config %s is too large", label, info->digest);
    dockarch_written *grown = realloc(d->written, (d->n_written + 1) * sizeof *grown);
    if (grown == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    d->written = grown;
    char name[PLUGIN_UTIL_DIGEST_MAX + 8];
    snprintf(name, sizeof name, "%s%s", info->digest + 7, is_config ? ".json" : ".tar");
    unsigned char block[DOCKARCH_TAR_BLOCK];
    if (dockarch_tar_header(block, name, size, '0', NULL) != 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: blob %s too large for a tar member", label, info->digest);
    char *config = NULL;
    if (is_config && (config = malloc((size_t)size + 1)) == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    char *buf = malloc(PLUGIN_UTIL_CHUNK);
    int status = buf == NULL ? svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label) : FERRY_OK;
    if (status == FERRY_OK)
        status = dockarch_dest_write(d, ctx, block, sizeof block);
    int64_t done = 0;
    for (int eos = 0; status == FERRY_OK && !eos;) {
        size_t n = 0;
        status = ferry_reader_read(data, ctx, buf, PLUGIN_UTIL_CHUNK, &n, &eos);
        if (status != FERRY_OK)
            break; /* reported by the reader */
        if ((int64_t)n > size - done) {
            status = svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob %s is longer than %lld bytes", label,
                                    info->digest, (long long)size);
            break;
        }
        if (config != NULL)
            memcpy(config + done, buf, n);
        status = dockarch_dest_write(d, ctx, buf, n);
        done += (int64_t)n;
    }
    if (status == FERRY_OK && done != size)
        status = svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob %s is %lld bytes, expected %lld", label,
                                info->digest, (long long)done, (long long)size);
    size_t pad = (size_t)((DOCKARCH_TAR_BLOCK - size % DOCKARCH_TAR_BLOCK) % DOCKARCH_TAR_BLOCK);
    memset(block, 0, sizeof block);
    if (status == FERRY_OK && pad > 0)
        status = dockarch_dest_write(d, ctx, block, pad);
    free(buf);
    if (status != FERRY_OK) {
        d->broken = 1; /* a member header promised bytes that never came */
        free(config);
        return status;
    }
    if (config != NULL) {
        free(d->config);
        config[size] = '\0';
        d->config = config;
        d->config_len = (size_t)size;
    }
    dockarch_written *w = &d->written[d->n_written++];
    snprintf(w->digest, sizeof w->digest, "%s", info->digest);
    w->size = size;
    return FERRY_OK;
}

static int dockarch_dest_put_manifest(ferry_image_dest *dst, ferry_ctx *ctx, const void *data, size_t len,
                                      const char *media_type, const char *digest, const char *instance_digest)
{
    (void)digest;
    dockarch_dest *d = (dockarch_dest *)dst;
    const ferry_services *svc = dockarch_services();
    if (instance_digest != NULL || (media_type != NULL && strcmp(media_type, DOCKARCH_MT_MANIFEST) != 0))
        return svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: only Docker schema 2 image manifests can be stored",
                              d->label);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->label);
    memcpy(copy, data, len);
    copy[len] = '\0';
    free(d->manifest);
    d->manifest = copy;
    d->manifest_len = len;
    return FERRY_OK;
}

/* The legacy per-layer json, as containers/image marshals a map: sorted
 * keys; the top layer carries a few config fields; "layer_id" only while
 * computing the ID, "id" afterwards. */
static char *dockarch_legacy_json(json_t *cfg, int top, const char *parent, const char *id, const char *chain)
{
    static const char *const attrs[] = {"architecture", "config",         "container", "container_config",
                                        "created",      "docker_version", NULL};
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    for (size_t i = 0; top && attrs[i] != NULL; i++) {
        json_t *v = json_object_get(cfg, attrs[i]);
        json_object_set(o, attrs[i], v != NULL ? v : json_null());
    }
    if (id != NULL)
        json_object_set_new(o, "id", json_string(id));
    else
        json_object_set_new(o, "layer_id", json_string(chain));
    if (top) {
        json_t *v = json_object_get(cfg, "os");
        json_object_set(o, "os", v != NULL ? v : json_null());
    }
    if (parent != NULL)
        json_object_set_new(o, "parent", json_string(parent));
    char *text = gojson_encode(o, 0);
    json_decref(o);
    return text;
}

static int dockarch_sha256_hex(const char *data, size_t len, char *out, size_t cap)
{
    const ferry_services *svc = dockarch_services();
    char d[PLUGIN_UTIL_DIGEST_MAX];
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return -1;
    svc->hasher_update(h, data, len);
    int rc = svc->hasher_final(h, d, sizeof d);
    svc->hasher_free(h);
    if (rc != FERRY_OK)
        return -1;
    snprintf(out, cap, "%s", d + 7);
    return 0;
}

/* Legacy directories; returns the top layer's ID in top_id (or ""). */
static int dockarch_dest_legacy(dockarch_dest *d, ferry_ctx *ctx, json_t *layers, char *top_id, size_t cap)
{
    const ferry_services *svc = dockarch_services();
    json_t *cfg = json_loadb(d->config, d->config_len, 0, NULL);
    if (cfg == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the image config is not JSON", d->label);
    char chain[PLUGIN_UTIL_DIGEST_MAX] = "", parent[PLUGIN_UTIL_DIGEST_MAX] = "", id[PLUGIN_UTIL_DIGEST_MAX] = "";
    int status = FERRY_OK;
    size_t n = json_array_size(layers);
    for (size_t i = 0; status == FERRY_OK && i < n; i++) {
        const char *digest = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
        if (i == 0) {
            snprintf(chain, sizeof chain, "%s", digest);
        } else {
            char *joined = plugin_util_printf("%s %s", chain, digest);
            char hex[PLUGIN_UTIL_DIGEST_MAX];
            if (joined == NULL || dockarch_sha256_hex(joined, strlen(joined), hex, sizeof hex) != 0) {
                free(joined);
                status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->label);
                break;
            }
            free(joined);
            snprintf(chain, sizeof chain, "sha256:%.*s", (int)(sizeof chain - 8), hex);
        }
        const char *par = parent[0] != '\0' ? parent : NULL;
        char *pre = dockarch_legacy_json(cfg, i == n - 1, par, NULL, chain);
        if (pre == NULL || dockarch_sha256_hex(pre, strlen(pre), id, sizeof id) != 0) {
            free(pre);
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->label);
            break;
        }
        free(pre);
        char *json = dockarch_legacy_json(cfg, i == n - 1, par, id, chain);
        char name[2 * PLUGIN_UTIL_DIGEST_MAX], target[2 * PLUGIN_UTIL_DIGEST_MAX];
        snprintf(name, sizeof name, "%s/layer.tar", id);
        snprintf(target, sizeof target, "../%s.tar", digest + 7);
        status = json == NULL ? svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", d->label)
                              : dockarch_dest_member(d, ctx, name, NULL, 0, '2', target);
        snprintf(name, sizeof name, "%s/VERSION", id);
        if (status == FERRY_OK)
            status = dockarch_dest_member(d, ctx, name, "1.0", 3, '0', NULL);
        snprintf(name, sizeof name, "%s/json", id);
        if (status == FERRY_OK)
            status = dockarch_dest_member(d, ctx, name, json, strlen(json), '0', NULL);
        free(json);
        snprintf(parent, sizeof parent, "%s", id);
    }
    json_decref(cfg);
    snprintf(top_id, cap, "%s", parent);
    return status;
}

static int dockarch_tag_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* repositories: {"NAME":{"TAG":"TOPID"}}, keys sorted as Go marshals maps. */
static char *dockarch_repositories(dockarch_dest *d, const char *top_id)
{
    json_t *repos = json_object();
    char **sorted = calloc(d->n_tags + 1, sizeof *sorted);
    if (repos == NULL || sorted == NULL) {
        json_decref(repos);
        free(sorted);
        return NULL;
    }
    memcpy(sorted, d->tags, d->n_tags * sizeof *sorted);
    qsort(sorted, d->n_tags, sizeof *sorted, dockarch_tag_cmp);
    for (size_t i = 0; top_id[0] != '\0' && i < d->n_tags; i++) {
        char *colon = strrchr(sorted[i], ':');
        char *name = strndup(sorted[i], (size_t)(colon - sorted[i]));
        if (name == NULL)
            continue;
        json_t *tags = json_object_get(repos, name);
        if (tags == NULL) {
            tags = json_object();
            json_object_set_new(repos, name, tags);
        }
        json_object_set_new(tags, colon + 1, json_string(top_id));
        free(name);
    }
    free(sorted);
    char *text = gojson_encode(repos, 0);
    json_decref(repos);
    return text;
}

static int dockarch_dest_commit(ferry_image_dest *dst, ferry_ctx *ctx)
{
    dockarch_dest *d = (dockarch_dest *)dst;
    const ferry_services *svc = dockarch_services();
    const char *label = d->label;
    if (d->broken || d->manifest == NULL || d->config == NULL)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: commit without a complete image", label);
    json_t *m = json_loadb(d->manifest, d->manifest_len, 0, NULL);
    json_t *layers = json_object_get(m, "layers");
    const char *config_digest = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
    int status = json_is_array(layers) && config_digest != NULL && dockarch_dest_lookup(d, config_digest) != NULL
                     ? FERRY_OK
                     : svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the manifest does not match the blobs written",
                                      label);
    json_t *item = json_object(), *layer_paths = json_array(), *repo_tags = json_array(), *list = json_array();
    for (size_t i = 0; status == FERRY_OK && i < json_array_size(layers); i++) {
        const char *digest = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
        if (digest == NULL || dockarch_dest_lookup(d, digest) == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: layer %s was not written", label,
                                    digest != NULL ? digest : "(none)");
            break;
        }
        char *p = plugin_util_printf("%s.tar", digest + 7);
        json_array_append_new(layer_paths, json_string(p != NULL ? p : ""));
        free(p);
    }
    char top_id[PLUGIN_UTIL_DIGEST_MAX] = "";
    if (status == FERRY_OK)
        status = dockarch_dest_legacy(d, ctx, layers, top_id, sizeof top_id);
    char *manifest_json = NULL, *repositories = NULL;
    if (status == FERRY_OK) {
        char *cfg = plugin_util_printf("%s.json", config_digest + 7);
        json_object_set_new(item, "Config", json_string(cfg != NULL ? cfg : ""));
        free(cfg);
        for (size_t i = 0; i < d->n_tags; i++)
            json_array_append_new(repo_tags, json_string(d->tags[i]));
        json_object_set(item, "RepoTags", repo_tags);
        json_object_set(item, "Layers", layer_paths);
        json_array_append(list, item);
        manifest_json = gojson_encode(list, 0);
        repositories = dockarch_repositories(d, top_id);
        if (manifest_json == NULL || repositories == NULL)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    if (status == FERRY_OK)
        status = dockarch_dest_member(d, ctx, DOCKARCH_MANIFEST_FILE, manifest_json, strlen(manifest_json), '0', NULL);
    if (status == FERRY_OK)
        status = dockarch_dest_member(d, ctx, DOCKARCH_REPOSITORIES_FILE, repositories, strlen(repositories), '0',
                                      NULL);
    static const unsigned char end[2 * DOCKARCH_TAR_BLOCK];
    if (status == FERRY_OK)
        status = dockarch_dest_write(d, ctx, end, sizeof end);
    free(manifest_json);
    free(repositories);
    json_decref(item);
    json_decref(layer_paths);
    json_decref(repo_tags);
    json_decref(list);
    json_decref(m);
    if (status == FERRY_OK)
        status = d->sink->finish(d->sink_opaque, ctx);
    if (status != FERRY_OK)
        d->broken = 1;
    else
        d->committed = 1;
    return status;
}

static void dockarch_dest_close(ferry_image_dest *dst, ferry_ctx *ctx)
{
    dockarch_dest *d = (dockarch_dest *)dst;
    if (d->sink != NULL)
        d->sink->close(d->sink_opaque, ctx, d->committed);
    dockarch_tags_free(d->tags, d->n_tags);
    free(d->written);
    free(d->config);
    free(d->manifest);
    free(d->label);
    free(d);
}

static const ferry_dest_ops dockarch_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = dockarch_dest_manifest_types,
    .desired_layer_compression = dockarch_dest_desired_compression,
    .try_reuse_blob = dockarch_dest_try_reuse,
    .put_blob = dockarch_dest_put_blob,
    .put_manifest = dockarch_dest_put_manifest,
    .put_signatures = NULL,
    .commit = dockarch_dest_commit,
    .close = dockarch_dest_close,
};

int dockarch_dest_open(ferry_ctx *ctx, const char *label, char **tags, size_t n_tags, const dockarch_sink_ops *ops,
                       void *opaque, ferry_image_dest **out)
{
    const ferry_services *svc = dockarch_services();
    *out = NULL;
    dockarch_dest *d = calloc(1, sizeof *d);
    char *copy = strdup(label);
    if (d == NULL || copy == NULL) {
        free(d);
        free(copy);
        dockarch_tags_free(tags, n_tags);
        ops->close(opaque, ctx, 0);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    d->base.ops = &dockarch_dest_ops;
    d->label = copy;
    d->tags = tags;
    d->n_tags = n_tags;
    d->sink = ops;
    d->sink_opaque = opaque;
    *out = &d->base;
    return FERRY_OK;
}
