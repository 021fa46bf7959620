/* core/copy/copy_schema1.c — Docker schema 1 in a copy, as containers/image
 * does it. From schema 1: the layers (throwaway ones too) are copied with
 * their DiffIDs computed on the way, then the config is built from the
 * history (schema1.h) and stored, and a schema 2 or OCI manifest lists the
 * layers that are not throwaway. To schema 1 (--format v2s1): the layers are
 * copied, the config is not stored (schema 1 has none), the empty layer is
 * stored when the history needs it, and the manifest is built from the
 * config and signed with a new key; its digest is its payload's. */
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "copy/streams.h"
#include "image/oci_config.h"
#include "image/schema1.h"
#include "shared/gojson.h"
#include "sync/sync.h"

int copy_schema1_config(copy_run *run, const image_view *img, const copy_plan *plan, config_blob *cfg,
                        ferry_ctx *dctx)
{
    const schema1_manifest *s1 = img->m->schema1;
    schema1_layer_info *infos = schema1_layer_infos(s1);
    const char **ids = calloc(s1->n ? s1->n : 1, sizeof(*ids));
    if (infos == NULL || ids == NULL) {
        free(infos);
        free(ids);
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    }
    size_t k = 0;
    int rc = FERRY_OK;
    for (size_t i = 0; i < s1->n && rc == FERRY_OK; i++) {
        if (infos[i].empty)
            continue;
        if (run->jobs[i].computed_diff_id[0] == '\0')
            rc = ctx_fail(dctx, FERRY_ERR_FAILED, "layer %s: its DiffID was not computed", infos[i].digest);
        ids[k++] = run->jobs[i].computed_diff_id;
    }
    char err[512];
    if (rc == FERRY_OK &&
        schema1_to_schema2_config(s1, ids, k, &cfg->source_bytes, &cfg->source_len, err, sizeof(err)) != 0)
        rc = ctx_fail(dctx, FERRY_ERR_INVALID, "converting %s from schema 1: %s", run->src->text, err);
    free(infos);
    free(ids);
    if (rc != FERRY_OK)
        return rc;
    return copy_config_prepare(cfg, plan, "the converted schema 1 config", dctx);
}

char *copy_schema1_manifest(const image_view *img, const copy_plan *plan, const blob_job *jobs,
                            const config_blob *cfg, size_t *len)
{
    const schema1_manifest *s1 = img->m->schema1;
    schema1_layer_info *infos = schema1_layer_infos(s1);
    manifest view = {.kind = plan->out_kind};
    view.layers = calloc(s1->n ? s1->n : 1, sizeof(*view.layers));
    char *out = NULL;
    if (infos != NULL && view.layers != NULL) {
        view.config = (manifest_descriptor){.media_type = (char *)plan->config_media_type,
                                            .digest = (char *)cfg->digest,
                                            .size = (int64_t)cfg->len};
        for (size_t i = 0; i < s1->n; i++)
            if (!infos[i].empty)
                view.layers[view.n_layers++] = (manifest_descriptor){.media_type = (char *)jobs[i].out_media_type,
                                                                     .digest = (char *)jobs[i].out_digest,
                                                                     .size = jobs[i].out_size};
        out = manifest_serialize(&view, plan->out_kind, len);
    }
    free(infos);
    free(view.layers);
    return out;
}

/* The destination's Docker reference as containers/image names it in a
 * schema 1 manifest: the path without the registry, and the tag; empty for
 * transports without one. */
static void copy_schema1_name(const copy_run *run, char *name, size_t name_cap, char *tag, size_t tag_cap)
{
    name[0] = tag[0] = '\0';
    if (strcmp(run->dst->transport->name, "docker") != 0)
        return;
    const char *ref = run->dst->reference;
    while (*ref == '/')
        ref++;
    sync_docker_name n = {0};
    char err[256];
    if (sync_docker_name_parse(ref, &n, err, sizeof(err)) != 0)
        return;
    const char *slash = strchr(n.name, '/');
    snprintf(name, name_cap, "%s", slash ? slash + 1 : n.name);
    snprintf(tag, tag_cap, "%s", n.tag ? n.tag : "");
    sync_docker_name_free(&n);
}

char *copy_schema1_kept(copy_run *run, const image_view *img, size_t *len, ferry_ctx *dctx)
{
    const schema1_manifest *s1 = img->m->schema1;
    char name[512], tag[256], err[512];
    copy_schema1_name(run, name, sizeof(name), tag, sizeof(tag));
    /* Only a registry's manifest names its repository; it must name the new one. */
    if (strcmp(run->dst->transport->name, "docker") != 0 || (strcmp(s1->name, name) == 0 && strcmp(s1->tag, tag) == 0)) {
        char *same = malloc(img->len + 1);
        if (same == NULL) {
            ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
            return NULL;
        }
        memcpy(same, img->data, img->len);
        same[img->len] = '\0';
        *len = img->len;
        return same;
    }
    char *payload = NULL, *out = NULL;
    size_t payload_len = 0;
    if (schema1_renamed(s1, name, tag, &payload, &payload_len, err, sizeof(err)) != 0 ||
        schema1_sign(payload, payload_len, &out, len, err, sizeof(err)) != 0)
        ctx_fail(dctx, FERRY_ERR_INVALID, "renaming the schema 1 manifest of %s for %s: %s", run->src->text,
                 run->dst->text, err);
    free(payload);
    return out;
}

/* Stores the empty gzip layer schema 1 lists for history without a layer. */
static int copy_schema1_empty_layer(copy_run *run, ferry_ctx *dctx)
{
    ferry_blob_info info = {.struct_size = sizeof(info),
                            .digest = SCHEMA1_EMPTY_LAYER_DIGEST,
                            .size = SCHEMA1_EMPTY_LAYER_SIZE,
                            .media_type = MEDIA_TYPE_DOCKER_LAYER_GZIP,
                            .kind = FERRY_BLOB_LAYER,
                            .layer_index = -1,
                            .source_reference = run->src->text};
    int64_t size = 0;
    if (run->dest->ops->try_reuse_blob != NULL) {
        int rc = run->dest->ops->try_reuse_blob(run->dest, dctx, &info, &size);
        if (rc == FERRY_OK)
            return FERRY_OK;
        if (rc != FERRY_ERR_NOT_FOUND)
            return ctx_status_message(dctx, rc, "checking for the empty layer");
        ctx_clear(dctx);
    }
    stream_pipeline_options po = {.what = "blob " SCHEMA1_EMPTY_LAYER_DIGEST,
                                  .expected_digest = SCHEMA1_EMPTY_LAYER_DIGEST,
                                  .expected_size = SCHEMA1_EMPTY_LAYER_SIZE};
    ferry_reader *r = stream_pipeline_new(
        stream_memory_reader(schema1_empty_layer(), SCHEMA1_EMPTY_LAYER_SIZE, SCHEMA1_EMPTY_LAYER_DIGEST), &po);
    if (r == NULL)
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    progress_line(run->progress, "Copying blob %s", SCHEMA1_EMPTY_LAYER_DIGEST);
    int rc = run->dest->ops->put_blob(run->dest, dctx, r, &info);
    ferry_reader_close(r);
    return ctx_status_message(dctx, rc, "writing the empty layer");
}

int copy_schema1_write(copy_run *run, const image_view *img, const config_blob *cfg, copy_written *written,
                       ferry_ctx *dctx)
{
    const manifest *m = img->m;
    const char **layers = calloc(m->n_layers ? m->n_layers : 1, sizeof(*layers));
    const char **out = calloc(m->n_layers ? m->n_layers : 1, sizeof(*out));
    if (layers == NULL || out == NULL) {
        free(layers);
        free(out);
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        layers[i] = m->layers[i].digest;
        out[i] = run->jobs[i].out_digest;
    }
    char name[512], tag[256], err[512];
    copy_schema1_name(run, name, sizeof(name), tag, sizeof(tag));
    schema1_build in = {.config = cfg->source_bytes, .config_len = cfg->source_len, .layers = layers,
                        .written = out, .n_layers = m->n_layers, .name = name, .tag = tag};
    char *payload = NULL, *signed_bytes = NULL;
    size_t payload_len = 0, signed_len = 0;
    int uses_empty = 0, rc = FERRY_OK;
    if (schema1_from_schema2(&in, &payload, &payload_len, &uses_empty, err, sizeof(err)) != 0 ||
        schema1_sign(payload, payload_len, &signed_bytes, &signed_len, err, sizeof(err)) != 0)
        rc = ctx_fail(dctx, FERRY_ERR_INVALID, "converting %s to schema 1: %s", run->src->text, err);
    free(layers);
    free(out);
    if (rc == FERRY_OK && uses_empty)
        rc = copy_schema1_empty_layer(run, dctx);
    if (rc == FERRY_OK) {
        digest_sha256(payload, payload_len, written->digest, sizeof(written->digest));
        written->size = (int64_t)signed_len;
        written->media_type = MEDIA_TYPE_DOCKER_V2S1_SIGNED;
        if (img->instance_digest == NULL)
            progress_line(run->progress, "%s", "Writing manifest to image destination");
        rc = run->dest->ops->put_manifest(run->dest, dctx, signed_bytes, signed_len, MEDIA_TYPE_DOCKER_V2S1_SIGNED,
                                          written->digest, img->instance_digest ? written->digest : NULL);
        if (rc == FERRY_OK)
            copy_keep_top(run, signed_bytes, signed_len);
        if (rc != FERRY_OK)
            ctx_wrap(dctx, rc, "writing manifest to", run->dst->text);
    }
    free(payload);
    free(signed_bytes);
    return rc;
}
