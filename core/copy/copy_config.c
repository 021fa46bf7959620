/* core/copy/copy_config.c — the image config in a copy: fetched and verified
 * before any layer moves (it may need converting, and it holds the DiffIDs
 * some destinations verify), then stored as one of the run's jobs. */
#include "copy/copy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "copy/streams.h"
#include "image/fetch.h"
#include "image/oci_config.h"
#include "shared/gojson.h"

int copy_config_prepare(config_blob *cfg, const copy_plan *plan, const char *what, ferry_ctx *ctx)
{
    cfg->bytes = cfg->source_bytes;
    cfg->len = cfg->source_len;
    cfg->parsed = json_loadb(cfg->source_bytes, cfg->source_len, 0, NULL);
    if (plan->config_to_oci) {
        char err[512];
        json_t *oci = oci_config_from_blob(cfg->source_bytes, cfg->source_len, err, sizeof(err));
        cfg->converted = oci ? gojson_encode(oci, 0) : NULL;
        json_decref(oci);
        if (cfg->converted == NULL)
            return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: cannot convert to OCI: %s", what, oci ? "out of memory" : err);
        cfg->bytes = cfg->converted;
        cfg->len = strlen(cfg->converted);
    }
    digest_sha256(cfg->bytes, cfg->len, cfg->digest, sizeof(cfg->digest));
    return FERRY_OK;
}

int copy_config_fetch(copy_run *run, const manifest_descriptor *d, const copy_plan *plan, ferry_ctx *sctx,
                        config_blob *cfg)
{
    int rc = fetch_small_blob(run->source, sctx, d, FERRY_BLOB_CONFIG, &cfg->source_bytes, &cfg->source_len);
    if (rc != FERRY_OK)
        return rc;
    char what[DIGEST_MAX_LEN + 16];
    snprintf(what, sizeof(what), "config %s", d->digest);
    return copy_config_prepare(cfg, plan, what, sctx);
}

void copy_config_release(config_blob *cfg)
{
    free(cfg->source_bytes);
    free(cfg->converted);
    json_decref(cfg->parsed);
}

const char *copy_config_diff_id(const config_blob *cfg, size_t index)
{
    const json_t *ids = json_object_get(json_object_get(cfg->parsed, "rootfs"), "diff_ids");
    const char *id = json_string_value(json_array_get(ids, index));
    return id != NULL && digest_is_valid(id) ? id : NULL;
}

/* Stores the config (a worker job: in parallel with the layers, or after them
 * for in-order destinations), unless the destination has it. */
int copy_config_store(copy_run *run, const config_blob *cfg, const copy_plan *plan, ferry_ctx *dctx)
{
    progress_line(run->progress, "Copying config %s", cfg->digest);
    ferry_blob_info info = {.struct_size = sizeof(info),
                            .digest = cfg->digest,
                            .size = (int64_t)cfg->len,
                            .media_type = plan->config_media_type,
                            .kind = FERRY_BLOB_CONFIG,
                            .layer_index = -1,
                            .source_reference = run->src->text};
    int rc = FERRY_ERR_NOT_FOUND;
    int64_t size = 0;
    if (run->dest->ops->try_reuse_blob != NULL) {
        rc = run->dest->ops->try_reuse_blob(run->dest, dctx, &info, &size);
        if (rc != FERRY_OK && rc != FERRY_ERR_NOT_FOUND)
            return ctx_status_message(dctx, rc, "checking for an existing config");
        ctx_clear(dctx);
    }
    if (rc == FERRY_OK) {
        progress_blob_counted(run->progress, PROGRESS_REUSED, 0);
        return FERRY_OK;
    }
    stream_pipeline_options po = {.what = "config", .expected_digest = cfg->digest, .expected_size = (int64_t)cfg->len};
    ferry_reader *r = stream_pipeline_new(stream_memory_reader(cfg->bytes, cfg->len, cfg->digest), &po);
    if (r == NULL)
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "config %s: out of memory", cfg->digest);
    rc = run->dest->ops->put_blob(run->dest, dctx, r, &info);
    if (rc == FERRY_OK && !stream_pipeline_complete(r))
        rc = ctx_fail(dctx, FERRY_ERR_FAILED, "config %s: the destination did not read all of it", cfg->digest);
    if (rc == FERRY_OK)
        progress_blob_counted(run->progress, PROGRESS_STORED, cfg->len);
    ferry_reader_close(r);
    return ctx_status_message(dctx, rc, "writing config");
}

int copy_served_layers(const manifest *m, const config_blob *cfg, const char *source, manifest_descriptor **out,
                       ferry_ctx *sctx)
{
    *out = calloc(m->n_layers ? m->n_layers : 1, sizeof(**out));
    if (*out == NULL)
        return ctx_fail(sctx, FERRY_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *diff_id = copy_config_diff_id(cfg, i);
        if (diff_id == NULL) {
            free(*out);
            *out = NULL;
            return ctx_fail(sctx, FERRY_ERR_INVALID, "%s: the config has no DiffID for layer %s, which the "
                            "storage serves uncompressed", source, m->layers[i].digest);
        }
        (*out)[i] = m->layers[i];
        (*out)[i].digest = (char *)diff_id;
        (*out)[i].size = -1;
    }
    return FERRY_OK;
}

int copy_served_layers_differ(const manifest *m, const manifest_descriptor *served)
{
    for (size_t i = 0; served != NULL && i < m->n_layers; i++)
        if (strcmp(served[i].digest, m->layers[i].digest) != 0)
            return 1;
    return 0;
}
