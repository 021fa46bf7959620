/* plugins/tarball/source.c — reading a tarball: image. Opening scans every
 * file once (layer.c) and builds the config and manifest (config.c), as
 * containers/image builds them when its source opens; the manifest and the
 * config are served from memory, the layers from the files, each opened
 * once and read with pread so that layers stream in parallel. */
#include "tarball.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tarball_source {
    ferry_image_source base;
    const ferry_services *svc;
    char *label; /* "tarball:REF" */
    tarball_layer *layers;
    size_t n_layers;
    char *config;
    size_t config_len;
    char config_digest[PLUGIN_UTIL_DIGEST_MAX];
    char *manifest;
    size_t manifest_len;
} tarball_source;

static int tarball_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                       ferry_reader **out, char *media_type, size_t media_type_cap)
{
    tarball_source *src = (tarball_source *)source;
    *out = NULL;
    if (instance_digest != NULL)
        return src->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                                   "%s: manifest lists are not supported by the \"tarball\" transport", src->label);
    if (media_type_cap > 0)
        snprintf(media_type, media_type_cap, "%s", TARBALL_MEDIA_TYPE_MANIFEST);
    return src->svc->memory_reader(ctx, src->label, src->manifest, src->manifest_len, NULL, out);
}

static int tarball_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                                   ferry_reader **out)
{
    tarball_source *src = (tarball_source *)source;
    *out = NULL;
    const char *digest = info->digest != NULL ? info->digest : "";
    if (strcmp(digest, src->config_digest) == 0)
        return src->svc->memory_reader(ctx, src->label, src->config, src->config_len, NULL, out);
    for (size_t i = 0; i < src->n_layers; i++)
        if (strcmp(digest, src->layers[i].blob_digest) == 0)
            return tarball_layer_reader(ctx, src->label, &src->layers[i], out);
    return src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no blob with digest \"%s\" found", src->label, digest);
}

static void tarball_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    tarball_source *src = (tarball_source *)source;
    (void)ctx;
    for (size_t i = 0; src->layers != NULL && i < src->n_layers; i++)
        tarball_layer_release(&src->layers[i]);
    free(src->layers);
    free(src->config);
    free(src->manifest);
    free(src->label);
    free(src);
}

static const ferry_source_ops tarball_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = tarball_source_get_manifest,
    .get_blob = tarball_source_get_blob,
    .get_signatures = NULL, /* a tar file has no place for them */
    .docker_reference = NULL,
    .close = tarball_source_close,
};

/* Scans the files and builds the config and manifest. */
static int tarball_source_build(tarball_source *src, ferry_ctx *ctx, char **paths)
{
    const ferry_services *svc = src->svc;
    for (size_t i = 0; i < src->n_layers; i++) {
        src->layers[i].path = paths[i];
        paths[i] = NULL;
        int status = tarball_layer_scan(ctx, src->label, &src->layers[i]);
        if (status != FERRY_OK)
            return status;
    }
    src->config = tarball_config_json(src->layers, src->n_layers, &src->config_len);
    if (src->config == NULL ||
        svc->manifest_digest(src->config, src->config_len, "sha256", src->config_digest,
                             sizeof src->config_digest) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: generating the configuration: out of memory",
                              src->label);
    src->manifest =
        tarball_manifest_json(src->layers, src->n_layers, src->config_digest, src->config_len, &src->manifest_len);
    if (src->manifest == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: generating the manifest: out of memory", src->label);
    return FERRY_OK;
}

int tarball_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = tarball_services();
    *out = NULL;
    char **paths = NULL;
    size_t n = 0;
    int status = tarball_reference_parse(ctx, reference, &paths, &n);
    if (status != FERRY_OK)
        return status;
    tarball_source *src = calloc(1, sizeof *src);
    if (src == NULL || (src->layers = calloc(n, sizeof *src->layers)) == NULL ||
        (src->label = plugin_util_printf("%s:%s", TARBALL_TRANSPORT, reference)) == NULL) {
        if (src != NULL) {
            free(src->layers);
            free(src);
        }
        tarball_paths_free(paths, n);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", TARBALL_TRANSPORT, reference);
    }
    src->base.ops = &tarball_source_ops;
    src->svc = svc;
    src->n_layers = n;
    for (size_t i = 0; i < n; i++)
        src->layers[i].fd = -1;
    status = tarball_source_build(src, ctx, paths);
    tarball_paths_free(paths, n);
    if (status != FERRY_OK) {
        tarball_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
