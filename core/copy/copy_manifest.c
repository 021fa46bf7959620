/* core/copy/copy_manifest.c — the manifest a copy writes for one image: the
 * source's bytes when nothing in it changed (so the digest is kept), else a
 * re-serialisation with the layers' and config's new descriptors (and the
 * compressor's annotations), or the schema 1 forms copy_schema1.c makes; its
 * digest (a signed schema 1 manifest's is its payload's) and its storage. */
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "image/schema1.h"

static int same_string(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* 1 when a layer was stored under another digest or type than the source
 * lists (the plan cannot know all: sniffed layers decide as they stream). */
int copy_layers_changed(const manifest *m, const blob_job *jobs)
{
    for (size_t i = 0; i < m->n_layers; i++)
        if (strcmp(jobs[i].out_digest, m->layers[i].digest) != 0 ||
            !same_string(jobs[i].out_media_type, m->layers[i].media_type))
            return 1;
    return 0;
}

/* Builds the output manifest: the source bytes when nothing changes (digest
 * preserved), else a re-serialization with the new descriptors. */
static char *copy_output_manifest(const image_view *img, const copy_plan *plan, const blob_job *jobs,
                                  const char *config_digest, int64_t config_size, size_t *len)
{
    if (!plan->manifest_changes && !copy_layers_changed(img->m, jobs) &&
        strcmp(config_digest, img->m->config.digest) == 0) {
        char *same = malloc(img->len + 1);
        if (same != NULL) {
            memcpy(same, img->data, img->len);
            same[img->len] = '\0';
            *len = img->len;
        }
        return same;
    }
    manifest view = *img->m;
    view.layers = calloc(view.n_layers ? view.n_layers : 1, sizeof(*view.layers));
    if (view.layers == NULL)
        return NULL;
    view.config.digest = (char *)config_digest;
    view.config.size = config_size;
    view.config.media_type = (char *)plan->config_media_type;
    for (size_t i = 0; i < view.n_layers; i++) {
        view.layers[i] = img->m->layers[i];
        view.layers[i].digest = (char *)jobs[i].out_digest;
        view.layers[i].size = jobs[i].out_size;
        view.layers[i].media_type = (char *)jobs[i].out_media_type;
        if (jobs[i].out_annotations != NULL) {
            /* The source's annotations, with the compressor's added (containers/image merges them). */
            view.layers[i].annotations = json_object();
            if (img->m->layers[i].annotations != NULL)
                json_object_update(view.layers[i].annotations, img->m->layers[i].annotations);
            json_object_update(view.layers[i].annotations, jobs[i].out_annotations);
        }
    }
    char *out = manifest_serialize(&view, plan->out_kind, len);
    for (size_t i = 0; i < view.n_layers; i++)
        if (jobs[i].out_annotations != NULL)
            json_decref(view.layers[i].annotations);
    free(view.layers);
    return out;
}

int copy_write_manifest(const copy_endpoint *dst, copy_run *run, const image_view *img,
                               const copy_plan *plan, const config_blob *cfg, copy_written *written,
                               ferry_ctx *dctx)
{
    size_t len = 0;
    char *bytes = NULL;
    int s1_source = img->m->kind == MANIFEST_DOCKER_V2S1;
    if (s1_source && plan->out_kind != MANIFEST_DOCKER_V2S1) {
        bytes = copy_schema1_manifest(img, plan, run->jobs, cfg, &len);
    } else if (s1_source) {
        if (copy_layers_changed(img->m, run->jobs))
            return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "copying to %s would change layers of a schema 1 image, "
                            "whose signed manifest ferry cannot rewrite (use --format v2s2 or oci)", dst->text);
        if ((bytes = copy_schema1_kept(run, img, &len, dctx)) == NULL)
            return dctx->status;
    } else {
        bytes = copy_output_manifest(img, plan, run->jobs, cfg->digest, (int64_t)cfg->len, &len);
    }
    if (bytes == NULL)
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory writing the manifest");
    char *written_digest = written->digest, err[256];
    /* A signed schema 1 manifest's digest is its payload's. */
    if (schema1_digest(bytes, len, written_digest, DIGEST_MAX_LEN, err, sizeof(err)) != 0) {
        free(bytes);
        return ctx_fail(dctx, FERRY_ERR_INVALID, "manifest of %s: %s", run->src->text, err);
    }
    written->size = (int64_t)len;
    written->media_type = s1_source && plan->out_kind == MANIFEST_DOCKER_V2S1 ? img->m->media_type
                                                                              : manifest_kind_media_type(plan->out_kind);
    if (img->instance_digest == NULL)
        progress_line(run->progress, "%s", "Writing manifest to image destination");
    int rc = run->dest->ops->put_manifest(run->dest, dctx, bytes, len, written->media_type, written_digest,
                                          img->instance_digest ? written_digest : NULL);
    if (rc == FERRY_OK)
        copy_keep_top(run, bytes, len);
    free(bytes);
    if (rc != FERRY_OK)
        return ctx_wrap(dctx, rc, "writing manifest to", dst->text);
    return FERRY_OK;
}


void copy_keep_top(copy_run *run, const void *bytes, size_t len)
{
    if (!run->keep_top)
        return;
    free(run->top_written);
    run->top_written = malloc(len ? len : 1);
    if (run->top_written != NULL)
        memcpy(run->top_written, bytes, len);
    run->top_written_len = run->top_written != NULL ? len : 0;
}
