/* core/copy/copy.c — the copy pipeline. Each blob is streamed once from the
 * source plugin through the core's verifying pipeline into the destination
 * plugin; the manifest goes last and only a successful commit makes the image
 * visible. A layer labelled gzip is classified by its first bytes before its
 * pipeline is chosen, as containers/image does: plain bytes under a gzip label
 * (docker-archive sources serve them so) are compressed for destinations that
 * want compression and never gunzipped, and the manifest is re-serialised
 * whenever a layer's digest or type changed. */
#include "copy/copy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/blob_claims.h"
#include "copy/blob_retry.h"
#include "copy/compress.h"
#include "copy/copy_internal.h"
#include "copy/plan.h"
#include "copy/spool.h"
#include "copy/streams.h"
#include "image/oci_config.h"
#include "image/reference.h"
#include "shared/gojson.h"

#define SOURCE_OPS_V1_0 (offsetof(ferry_source_ops, close) + sizeof(void *))
#define DEST_OPS_V1_0 (offsetof(ferry_dest_ops, close) + sizeof(void *))

static const char *compression_note(const layer_plan *lp)
{
    if (lp->action == LAYER_COMPRESS || lp->action == LAYER_RECOMPRESS)
        return lp->to == LAYER_COMPRESSION_ZSTD ? (lp->action == LAYER_COMPRESS ? "zstd" : "recompress zstd")
                                                : (lp->action == LAYER_COMPRESS ? "gzip" : "recompress gzip");
    return lp->action == LAYER_DECOMPRESS ? "decompress" : "as is";
}

/* The manifest's foreign-layer URLs as a NULL-terminated array in the job. */
static const char *const *layer_urls(const manifest_descriptor *d, blob_job *job)
{
    size_t n = json_array_size(d->urls);
    if (n == 0)
        return NULL;
    if (n >= sizeof(job->urls) / sizeof(job->urls[0]))
        n = sizeof(job->urls) / sizeof(job->urls[0]) - 1;
    for (size_t i = 0; i < n; i++)
        job->urls[i] = json_string_value(json_array_get(d->urls, i));
    job->urls[n] = NULL;
    return job->urls;
}

/* Reads the first bytes of a layer labelled gzip (replacing *raw with a reader
 * that replays them): when they are not compressed, the layer is re-planned
 * (gzipped for a destination that desires compression, else passed through)
 * and not gunzipped for a NEEDS_UNCOMPRESSED destination either. */
static int copy_sniff_layer(copy_run *run, const blob_job *job, const char *what, ferry_reader **raw,
                            layer_plan *lp, int *gunzip_for_dest, ferry_ctx *dctx)
{
    uint8_t head[COMPRESS_DETECT_BYTES];
    size_t got = 0;
    int rc = stream_peek(*raw, dctx, what, head, sizeof(head), &got, raw);
    if (rc != FERRY_OK)
        return rc;
    const char *found = compress_detect(head, got);
    const char *label =
        manifest_layer_compression(job->desc->media_type) == LAYER_COMPRESSION_ZSTD ? "zstd" : "gzip";
    if (found != NULL && strcmp(found, label) != 0 &&
        (lp->action == LAYER_DECOMPRESS || lp->action == LAYER_RECOMPRESS || *gunzip_for_dest))
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s is labelled %s but its content is %s-compressed, "
                        "which ferry cannot decompress", what, label, found);
    if (found != NULL)
        return FERRY_OK;
    *gunzip_for_dest = 0;
    if (!lp->sniff)
        return FERRY_OK;
    char err[512];
    if (plan_layer_uncompressed(run->plan, run->m, (size_t)job->index, lp, err, sizeof(err)) != 0)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s", err);
    return FERRY_OK;
}

/* --dest-precompute-digests: 1 when the destination already holds the
 * spooled blob `info` describes (the job is then done, *rc says how), 0 to
 * send it. */
static int copy_reuse_spooled(copy_run *run, blob_job *job, const ferry_blob_info *info, ferry_ctx *dctx, int *rc)
{
    int64_t size = -1;
    *rc = run->dest->ops->try_reuse_blob(run->dest, dctx, info, &size);
    if (*rc == FERRY_OK) {
        progress_blob_end(job->progress, PROGRESS_REUSED, 0);
        snprintf(job->out_digest, sizeof(job->out_digest), "%s", info->digest);
        job->out_size = size >= 0 ? size : info->size;
        return 1;
    }
    if (*rc != FERRY_ERR_NOT_FOUND) {
        ctx_status_message(dctx, *rc, "checking for an existing blob");
        return 1;
    }
    ctx_clear(dctx);
    *rc = FERRY_OK;
    return 0;
}

/* A schema 1 layer's DiffID, once its pipeline `r` has read everything: the
 * side decompressor's digest, or the output's when the output is the plain
 * layer (set already when the source bytes were plain). */
static int copy_note_diff_id(blob_job *job, ferry_reader *r, int side, const char *what, ferry_ctx *dctx)
{
    if (!job->want_diff_id || job->computed_diff_id[0] != '\0')
        return FERRY_OK;
    const char *id = side ? stream_pipeline_side_digest(r) : ferry_reader_digest(r);
    if (id == NULL)
        return ctx_fail(dctx, FERRY_ERR_FAILED, "%s: its DiffID could not be computed", what);
    snprintf(job->computed_diff_id, sizeof(job->computed_diff_id), "%s", id);
    return FERRY_OK;
}

/* Streams one blob from source to destination; fills the job's results. */
static int copy_blob(copy_run *run, blob_job *job, ferry_ctx *sctx, ferry_ctx *dctx)
{
    const manifest_descriptor *d = job->desc;
    layer_plan lp = *job->plan;
    const char *const *urls = layer_urls(d, job);
    ferry_blob_info dst_info = {.struct_size = sizeof(dst_info),
                                .digest = lp.action == LAYER_KEEP ? d->digest : NULL,
                                .size = lp.action == LAYER_KEEP ? d->size : -1,
                                .media_type = lp.media_type,
                                .kind = FERRY_BLOB_LAYER,
                                .layer_index = job->index,
                                .uncompressed_digest =
                                    run->supply_diff_ids || run->deliver_uncompressed ? job->diff_id : NULL,
                                .source_reference = run->src->text,
                                .urls = urls};
    /* A destination that stores layers unpacked gets them gunzipped while the
     * manifest keeps describing the compressed blob. */
    layer_compression labelled = manifest_layer_compression(d->media_type);
    int gunzip_for_dest = run->deliver_uncompressed && lp.action == LAYER_KEEP &&
                          (labelled == LAYER_COMPRESSION_GZIP || labelled == LAYER_COMPRESSION_ZSTD);
    /* Bytes the core unpacks are checked against the DiffID: nothing else
     * vouches for what a destination stores uncompressed, or for what a
     * recompressed layer holds. Planned, so that a layer that turns out to be
     * plain already is checked too. */
    int check_diff_id = run->supply_diff_ids || run->deliver_uncompressed || lp.action == LAYER_DECOMPRESS ||
                        lp.action == LAYER_RECOMPRESS;
    job->out_media_type = lp.media_type;
    if (run->supply_diff_ids && job->diff_id == NULL)
        return ctx_fail(dctx, FERRY_ERR_INVALID, "layer %s: the config has no DiffID for it", d->digest);
    /* A layer whose DiffID must be computed is read even if the destination has it. */
    if (lp.action == LAYER_KEEP && !job->want_diff_id && run->dest->ops->try_reuse_blob != NULL) {
        int64_t size = -1;
        int rc = run->dest->ops->try_reuse_blob(run->dest, dctx, &dst_info, &size);
        if (rc == FERRY_OK) {
            progress_blob_reused(run->progress, d->digest);
            snprintf(job->out_digest, sizeof(job->out_digest), "%s", d->digest);
            job->out_size = size >= 0 ? size : d->size;
            return FERRY_OK;
        }
        if (rc != FERRY_ERR_NOT_FOUND)
            return ctx_status_message(dctx, rc, "checking for an existing blob");
        ctx_clear(dctx);
    }
    const manifest_descriptor *asked = job->source_desc;
    job->progress = progress_blob_begin(run->progress, job->progress, d->digest, d->size);
    ferry_blob_info src_info = {.struct_size = sizeof(src_info),
                                .digest = asked->digest,
                                .size = asked->size,
                                .media_type = asked->media_type,
                                .kind = FERRY_BLOB_LAYER,
                                .layer_index = job->index};
    ferry_reader *raw = NULL;
    int rc = run->source->ops->get_blob(run->source, sctx, &src_info, &raw);
    if (rc != FERRY_OK) {
        ctx_copy_error(dctx, sctx);
        return ctx_status_message(dctx, rc, "reading blob");
    }
    raw = progress_reader(job->progress, raw);
    char what[DIGEST_MAX_LEN + 16];
    snprintf(what, sizeof(what), "blob %s", d->digest);
    if (d->size < 0 && lp.action == LAYER_KEEP)
        dst_info.size = ferry_reader_size(raw); /* a served layer: only its source knows the size */
    if (lp.sniff || gunzip_for_dest) {
        rc = copy_sniff_layer(run, job, what, &raw, &lp, &gunzip_for_dest, dctx);
        /* Changes the plan could not foresee are refused like foreseen ones. */
        if (rc == FERRY_OK && job->plan->sniff && lp.action != LAYER_KEEP && run->frozen[0] != '\0')
            rc = ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s (layer %s %s)", run->frozen, d->digest,
                          lp.action == LAYER_COMPRESS ? "is labelled gzip but not compressed, and the destination "
                                                        "compresses layers"
                                                      : "would be decompressed");
        if (rc != FERRY_OK) {
            ferry_reader_close(raw);
            return rc;
        }
        job->out_media_type = lp.media_type;
        dst_info.digest = lp.action == LAYER_KEEP ? d->digest : NULL;
        dst_info.size = lp.action == LAYER_KEEP ? (d->size >= 0 ? d->size : ferry_reader_size(raw)) : -1;
        dst_info.media_type = lp.media_type;
    }
    layer_action action = lp.action;
    /* Where the DiffID is not the output's digest (a schema 1 layer's, to be
     * computed; a compressed layer passed on to a destination that is given
     * DiffIDs), it comes from decompressing the source bytes beside the
     * stream, or is the source's own digest. */
    int side = 0;
    transform_kind side_kind = TRANSFORM_GZIP_DECOMPRESS;
    if ((job->want_diff_id || (check_diff_id && job->diff_id != NULL && action == LAYER_KEEP)) && !gunzip_for_dest &&
        action != LAYER_DECOMPRESS) {
        uint8_t head[COMPRESS_DETECT_BYTES];
        size_t got = 0;
        rc = stream_peek(raw, dctx, what, head, sizeof(head), &got, &raw);
        if (rc != FERRY_OK)
            return rc;
        const char *found = compress_detect(head, got);
        if (found != NULL && strcmp(found, "gzip") != 0 && strcmp(found, "zstd") != 0) {
            ferry_reader_close(raw);
            return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s is %s-compressed, which ferry cannot decompress to "
                            "compute its DiffID", what, found);
        }
        side = found != NULL;
        side_kind = found != NULL && strcmp(found, "zstd") == 0 ? TRANSFORM_ZSTD_DECOMPRESS : TRANSFORM_GZIP_DECOMPRESS;
        if (found == NULL)
            snprintf(job->computed_diff_id, sizeof(job->computed_diff_id), "%s", d->digest);
    }
    /* Gzip output is not the DiffID's bytes; its input is (plain, digest d->digest). */
    if (action == LAYER_COMPRESS && check_diff_id && job->diff_id != NULL && strcmp(job->diff_id, d->digest) != 0) {
        ferry_reader_close(raw);
        return ctx_fail(dctx, FERRY_ERR_DIGEST_MISMATCH, "%s: DiffID mismatch: the layer is uncompressed, the config "
                        "says %s", what, job->diff_id);
    }
    transform_kind decompress =
        labelled == LAYER_COMPRESSION_ZSTD ? TRANSFORM_ZSTD_DECOMPRESS : TRANSFORM_GZIP_DECOMPRESS;
    transform_kind compress = lp.to != LAYER_COMPRESSION_ZSTD ? TRANSFORM_GZIP_COMPRESS
                              : run->plan->chunked           ? TRANSFORM_ZSTD_CHUNKED_COMPRESS
                                                             : TRANSFORM_ZSTD_COMPRESS;
    int compresses = action == LAYER_COMPRESS || action == LAYER_RECOMPRESS;
    stream_pipeline_options po = {.what = what,
                                  .expected_digest = d->digest,
                                  /* A served layer's size is its source's word. */
                                  .expected_size = d->size >= 0 || action != LAYER_KEEP ? d->size : dst_info.size,
                                  .has_transform = action != LAYER_KEEP || gunzip_for_dest,
                                  .transform = action == LAYER_COMPRESS ? compress : decompress,
                                  .has_then = action == LAYER_RECOMPRESS,
                                  .then = compress,
                                  .has_level = run->has_level,
                                  .level = run->level,
                                  .expected_output_digest = check_diff_id && !compresses && !side ? job->diff_id : NULL,
                                  .expected_diff_id = check_diff_id && (side || action == LAYER_RECOMPRESS)
                                                          ? job->diff_id
                                                          : NULL,
                                  .compress_pool = run->gz_pool,
                                  .has_side_transform = side,
                                  .side_transform = side_kind};
    ferry_reader *r = stream_pipeline_new(raw, &po);
    if (r == NULL)
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", what);
    ctx_log(dctx, FERRY_LOG_DEBUG, "%s: streaming (%s)", what, compression_note(&lp));
    /* A tar writer must know size and digest before the first byte, and
     * --dest-precompute-digests asks whether the destination has the blob
     * before sending it: when the pipeline changes the bytes (or, for the
     * tar writer, when the source cannot tell the size), spool them. */
    ferry_reader *spooled = NULL;
    int precompute = run->precompute_digests && !gunzip_for_dest && run->dest->ops->try_reuse_blob != NULL;
    if ((run->needs_sizes && (po.has_transform || dst_info.size < 0)) || (precompute && po.has_transform)) {
        rc = spool_stream(dctx, run->worker_session.tmpdir, r, what, &spooled);
        if (rc != FERRY_OK) {
            ferry_reader_close(r);
            return rc;
        }
        if (!gunzip_for_dest) {
            dst_info.digest = ferry_reader_digest(spooled);
            dst_info.size = ferry_reader_size(spooled);
        }
        if (precompute && copy_reuse_spooled(run, job, &dst_info, dctx, &rc)) {
            if (rc == FERRY_OK) {
                job->out_annotations = stream_pipeline_annotations(r); /* zstd:chunked's, for the manifest */
                rc = copy_note_diff_id(job, r, side, what, dctx);
            }
            ferry_reader_close(spooled);
            ferry_reader_close(r);
            return rc;
        }
    }
    rc = run->dest->ops->put_blob(run->dest, dctx, spooled ? spooled : r, &dst_info);
    if (rc == FERRY_OK && !(spooled ? spool_reader_complete(spooled) : stream_pipeline_complete(r)))
        rc = ctx_fail(dctx, FERRY_ERR_FAILED, "%s: the destination stored it without reading all of it", what);
    ferry_reader_close(spooled);
    if (rc == FERRY_OK)
        __atomic_add_fetch(&run->bytes_sent, stream_pipeline_delivered(r), __ATOMIC_RELAXED);
    if (rc == FERRY_OK)
        rc = copy_note_diff_id(job, r, side, what, dctx);
    if (rc == FERRY_OK && gunzip_for_dest) {
        snprintf(job->out_digest, sizeof(job->out_digest), "%s", d->digest);
        job->out_size = d->size;
    } else if (rc == FERRY_OK) {
        snprintf(job->out_digest, sizeof(job->out_digest), "%s", ferry_reader_digest(r));
        job->out_size = (int64_t)stream_pipeline_delivered(r);
        job->out_annotations = stream_pipeline_annotations(r);
    } else {
        ctx_status_message(dctx, rc, what);
    }
    progress_blob_end(job->progress, rc == FERRY_OK ? PROGRESS_STORED : PROGRESS_FAILED,
                      stream_pipeline_delivered(r));
    ferry_reader_close(r);
    return rc;
}

static void copy_run_fail(copy_run *run, const ferry_ctx *ctx)
{
    pthread_mutex_lock(&run->lock);
    /* The first failure is the cause; later ones are mostly "interrupted". */
    if (run->status == FERRY_OK) {
        run->status = ctx->status != FERRY_OK ? ctx->status : FERRY_ERR_FAILED;
        memcpy(run->message, ctx->message, sizeof(run->message));
    }
    run->aborted = 1;
    pthread_cond_broadcast(&run->cpu_free);
    pthread_mutex_unlock(&run->lock);
}


/* The config job: fetch (unless done up front for DiffIDs), then store, so
 * that its round trips overlap with the layers'. */
static int config_job(copy_run *run, ferry_ctx *sctx, ferry_ctx *dctx)
{
    if (!run->config_fetched) {
        int rc = copy_config_fetch(run, run->config_desc, run->plan, sctx, run->cfg);
        if (rc != FERRY_OK) {
            ctx_copy_error(dctx, sctx);
            return rc;
        }
        run->config_fetched = 1; /* a retried store does not fetch it again */
    }
    return copy_config_store(run, run->cfg, run->plan, dctx);
}

static void *copy_worker(void *arg)
{
    copy_run *run = arg;
    ferry_ctx sctx, dctx;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        size_t next = run->next_job++;
        int stop = run->aborted || next >= run->n_jobs;
        size_t i = stop ? 0 : run->order[next];
        int heavy = !stop && !run->jobs[i].is_config && run->jobs[i].duplicate_of < 0 &&
                    run->jobs[i].plan->action != LAYER_KEEP;
        while (heavy && run->cpu_busy >= run->cpu_slots && !run->aborted)
            pthread_cond_wait(&run->cpu_free, &run->lock);
        run->cpu_busy += (unsigned)heavy;
        pthread_mutex_unlock(&run->lock);
        if (stop)
            break;
        if (run->jobs[i].duplicate_of >= 0)
            continue;
        ctx_init(&sctx, &run->worker_session, run->src->options);
        ctx_init(&dctx, &run->worker_session, run->dst->options);
        /* Another copy sending this blob to the same place: wait, then reuse it. */
        const char *digest = run->jobs[i].is_config ? run->config_desc->digest : run->jobs[i].desc->digest;
        if (run->claims != NULL)
            blob_claims_acquire(run->claims, run->claim_scope, digest);
        int rc = run->jobs[i].is_config ? config_job(run, &sctx, &dctx) : copy_blob(run, &run->jobs[i], &sctx, &dctx);
        /* A blob (a layer or the config) failing for a transient reason is
         * sent again on its own, where the destination takes each blob on its
         * own (an archive or a daemon stream already holds part of it). */
        for (int attempt = 1; rc != FERRY_OK && run->retry_blobs && blob_retry_wanted(rc, attempt) &&
                              blob_retry_pause(&dctx, dctx.message, attempt, &run->aborted);
             attempt++) {
            ctx_clear(&sctx);
            ctx_clear(&dctx);
            rc = run->jobs[i].is_config ? config_job(run, &sctx, &dctx) : copy_blob(run, &run->jobs[i], &sctx, &dctx);
        }
        progress_blob_end(run->jobs[i].progress, PROGRESS_FAILED, 0); /* one that ended early */
        if (run->claims != NULL)
            blob_claims_release(run->claims, run->claim_scope, digest);
        if (rc != FERRY_OK)
            copy_run_fail(run, &dctx);
        if (heavy) {
            pthread_mutex_lock(&run->lock);
            run->cpu_busy--;
            pthread_cond_broadcast(&run->cpu_free);
            pthread_mutex_unlock(&run->lock);
        }
    }
    return NULL;
}

/* Largest layers first (the config, small, before them): the longest job
 * starts at once instead of last, which bounds the copy's wall time. */
static int copy_order_cmp(const void *a, const void *b, void *arg)
{
    const copy_run *run = arg;
    const blob_job *x = &run->jobs[*(const size_t *)a], *y = &run->jobs[*(const size_t *)b];
    int64_t sx = x->is_config ? INT64_MAX : x->desc->size, sy = y->is_config ? INT64_MAX : y->desc->size;
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int copy_layers(copy_run *run, long parallel, ferry_ctx *ctx)
{
    size_t unique = 0;
    for (size_t i = 0; i < run->n_jobs; i++) {
        run->jobs[i].duplicate_of = -1;
        for (size_t j = 0; j < i && !run->jobs[i].is_config; j++)
            if (!run->jobs[j].is_config && strcmp(run->jobs[j].desc->digest, run->jobs[i].desc->digest) == 0 &&
                run->jobs[j].plan->action == run->jobs[i].plan->action) {
                run->jobs[i].duplicate_of = (int)j;
                break;
            }
        unique += run->jobs[i].duplicate_of < 0;
    }
    run->order = malloc(run->n_jobs ? run->n_jobs * sizeof(*run->order) : 1);
    if (run->order == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory starting copy workers");
    for (size_t i = 0; i < run->n_jobs; i++)
        run->order[i] = i;
    run->cpu_busy = 0;
    size_t n_threads = (size_t)parallel < unique ? (size_t)parallel : unique;
    /* One worker (a destination taking layers in order, or --image-parallel-copies 1)
     * keeps the manifest's order: it may be the order of what is written. */
    if (n_threads > 1)
        qsort_r(run->order, run->n_jobs, sizeof(*run->order), copy_order_cmp, run);
    if (n_threads <= 1) {
        copy_worker(run);
    } else {
        pthread_t *threads = calloc(n_threads, sizeof(*threads));
        if (threads == NULL)
            return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory starting copy workers");
        size_t started = 0;
        for (; started < n_threads; started++)
            if (pthread_create(&threads[started], NULL, copy_worker, run) != 0)
                break;
        if (started == 0)
            copy_worker(run);
        for (size_t i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
        free(threads);
    }
    free(run->order);
    run->order = NULL;
    if (run->status != FERRY_OK) {
        ctx->status = run->status;
        memcpy(ctx->message, run->message, sizeof(ctx->message));
        return run->status;
    }
    for (size_t i = 0; i < run->n_jobs; i++) {
        blob_job *job = &run->jobs[i];
        if (job->duplicate_of >= 0) {
            memcpy(job->out_digest, run->jobs[job->duplicate_of].out_digest, sizeof(job->out_digest));
            job->out_size = run->jobs[job->duplicate_of].out_size;
            job->out_media_type = run->jobs[job->duplicate_of].out_media_type;
            job->out_annotations = json_incref(run->jobs[job->duplicate_of].out_annotations);
            memcpy(job->computed_diff_id, run->jobs[job->duplicate_of].computed_diff_id,
                   sizeof(job->computed_diff_id));
        }
    }
    return FERRY_OK;
}

int signature_collect(void *opaque, const void *data, size_t len)
{
    return signature_add(opaque, data, len);
}

int signature_add(signature_set *s, const void *data, size_t len)
{
    if (len > MANIFEST_MAX_SIZE)
        return FERRY_ERR_TOO_LARGE;
    void **d = realloc(s->data, (s->n + 1) * sizeof(*d));
    if (d != NULL)
        s->data = d;
    size_t *l = realloc(s->lens, (s->n + 1) * sizeof(*l));
    if (l != NULL)
        s->lens = l;
    void *copy = malloc(len ? len : 1);
    if (d == NULL || l == NULL || copy == NULL) {
        free(copy);
        return FERRY_ERR_NO_MEMORY;
    }
    memcpy(copy, data, len);
    s->data[s->n] = copy;
    s->lens[s->n++] = len;
    return FERRY_OK;
}

void signature_release(signature_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->data[i]);
    free(s->data);
    free(s->lens);
}

static int copy_open(const copy_endpoint *src, const copy_endpoint *dst, ferry_ctx *sctx, ferry_ctx *dctx,
                     copy_run *run)
{
    if (!(src->transport->capabilities & FERRY_CAP_SOURCE) || src->transport->open_source == NULL)
        return ctx_fail(sctx, FERRY_ERR_UNSUPPORTED, "transport %s cannot be read from", src->transport->name);
    if (!(dst->transport->capabilities & FERRY_CAP_DESTINATION) || dst->transport->open_destination == NULL)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "transport %s cannot be written to", dst->transport->name);
    int rc = src->transport->open_source(sctx, src->reference, &run->source);
    if (rc != FERRY_OK) {
        run->source = NULL;
        return ctx_note_image_absent(sctx, ctx_wrap(sctx, rc, "initializing source", src->text), src->text);
    }
    if (run->source->ops->struct_size < SOURCE_OPS_V1_0)
        return ctx_fail(sctx, FERRY_ERR_ABI, "transport %s: source ops table too small", src->transport->name);
    return FERRY_OK;
}

static int copy_open_dest(const copy_endpoint *dst, ferry_ctx *dctx, copy_run *run)
{
    int rc = dst->transport->open_destination(dctx, dst->reference, &run->dest);
    if (rc != FERRY_OK) {
        run->dest = NULL;
        return ctx_wrap(dctx, rc, "initializing destination", dst->text);
    }
    if (run->dest->ops->struct_size < DEST_OPS_V1_0)
        return ctx_fail(dctx, FERRY_ERR_ABI, "transport %s: destination ops table too small", dst->transport->name);
    return FERRY_OK;
}

int copy_dest_keeps_signatures(const copy_endpoint *dst, const copy_run *run)
{
    return (dst->transport->capabilities & FERRY_CAP_SIGNATURES) && run->dest->ops->put_signatures != NULL;
}

int copy_signatures_check(const copy_endpoint *dst, const copy_run *run, const signature_set *sigs,
                          const copy_plan *plan, ferry_ctx *dctx)
{
    if (sigs->n == 0)
        return FERRY_OK;
    if (!copy_dest_keeps_signatures(dst, run))
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED,
                        "can not copy signatures to %s: the destination does not support signatures "
                        "(use --remove-signatures)", dst->text);
    if (plan->manifest_changes)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED,
                        "can not copy signatures to %s: the copy changes the manifest, which would invalidate them "
                        "(use --remove-signatures)", dst->text);
    return FERRY_OK;
}

static int copy_plan_for(const copy_endpoint *dst, const copy_run *run, const image_view *img,
                         const copy_options *opts, copy_plan *plan, ferry_ctx *dctx)
{
    plan_request req = {.forced_format = opts->forced_format,
                        .dest_types = run->dest->ops->manifest_types ? run->dest->ops->manifest_types(run->dest)
                                                                     : NULL,
                        .desired_compression = FERRY_COMPRESSION_PRESERVE,
                        .preserve_digests = opts->preserve_digests,
                        .compress_to = opts->compress_to,
                        .compress_explicit = opts->compress_to != LAYER_COMPRESSION_UNKNOWN,
                        .chunked = opts->chunked};
    if (run->dest->ops->desired_layer_compression != NULL)
        req.desired_compression = run->dest->ops->desired_layer_compression(run->dest);
    if (opts->force_compress && req.desired_compression == FERRY_COMPRESSION_PRESERVE)
        req.desired_compression = FERRY_COMPRESSION_COMPRESS;
    char err[512];
    if (plan_copy(img->m, &req, plan, err, sizeof(err)) != 0)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "copying to %s: %s", dst->text, err);
    return FERRY_OK;
}

int copy_one_image(copy_run *run, const image_view *img, copy_options *opts, const signature_set *sigs,
                   ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed, copy_written *written)
{
    const copy_endpoint *src = run->src, *dst = run->dst;
    copy_plan plan = {0};
    config_blob cfg = {0};
    manifest_descriptor *served = NULL;
    int serves_uncompressed = (src->transport->capabilities & FERRY_CAP_UNCOMPRESSED_LAYERS) != 0;
    int rc = copy_plan_for(dst, run, img, opts, &plan, dctx);
    if (rc != FERRY_OK)
        goto out;
    run->m = img->m;
    /* Schema 1 has no config: from it, the config is built after the layers
     * (their DiffIDs computed on the way); to it, none is stored. */
    int s1_source = img->m->kind == MANIFEST_DOCKER_V2S1;
    int s1_convert = s1_source && plan.out_kind != MANIFEST_DOCKER_V2S1;
    int s1_write = !s1_source && plan.out_kind == MANIFEST_DOCKER_V2S1;
    if (s1_source && (dst->transport->capabilities & FERRY_CAP_COMPUTES_DIFFIDS)) {
        rc = ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s needs each layer's DiffID before the layer, which a schema 1 "
                      "image does not record; ferry cannot copy it there yet (copy it to oci: first)", dst->text);
        goto out;
    }
    run->deliver_uncompressed = (dst->transport->capabilities & FERRY_CAP_NEEDS_UNCOMPRESSED) != 0;
    run->supply_diff_ids = (dst->transport->capabilities & FERRY_CAP_COMPUTES_DIFFIDS) != 0;
    run->needs_sizes = (dst->transport->capabilities & FERRY_CAP_NEEDS_BLOB_SIZE) != 0;
    run->retry_blobs = (dst->transport->capabilities & FERRY_CAP_PARALLEL_PUT) != 0;
    /* DiffIDs come from the config: only then must it arrive before the layers.
     * A gunzipped or recompressed layer is checked against its DiffID too,
     * since nothing else vouches for the uncompressed bytes. */
    int decompresses = 0;
    for (size_t i = 0; i < plan.n_layers; i++)
        decompresses |= plan.layers[i].action == LAYER_DECOMPRESS || plan.layers[i].action == LAYER_RECOMPRESS;
    run->config_fetched = !s1_source && (run->supply_diff_ids || run->deliver_uncompressed || decompresses ||
                                         serves_uncompressed || s1_write);
    run->config_desc = &img->m->config;
    if (run->config_fetched) {
        rc = copy_config_fetch(run, &img->m->config, &plan, sctx, &cfg);
        if (rc != FERRY_OK) {
            *failed = sctx;
            goto out;
        }
    }
    if (serves_uncompressed) {
        rc = copy_served_layers(img->m, &cfg, run->src->text, &served, sctx);
        if (rc != FERRY_OK) {
            *failed = sctx;
            goto out;
        }
    }
    if (rc == FERRY_OK && copy_served_layers_differ(img->m, served)) {
        /* Compressed layers served uncompressed get new digests whatever
         * the destination; uncompressed ones keep theirs. */
        plan.manifest_changes = 1;
        if (opts->preserve_digests)
            rc = ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "--preserve-digests: %s stores layers uncompressed, so the "
                          "copy changes the manifest digest", src->text);
    }
    if (rc == FERRY_OK && img->instance_digest != NULL && plan.manifest_changes && run->list_frozen[0] != '\0')
        rc = ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s (instance %s would change)", run->list_frozen,
                      img->instance_digest);
    /* A list instance's own signatures too: they are stored under the
     * digest it is written with, which they must sign. */
    if (rc == FERRY_OK)
        rc = copy_signatures_check(dst, run, sigs, &plan, dctx);
    if (rc != FERRY_OK) {
        *failed = dctx;
        goto out;
    }
    /* The same refusals, for a change only a sniffed layer's bytes reveal. */
    run->frozen[0] = '\0';
    if (opts->preserve_digests)
        snprintf(run->frozen, sizeof(run->frozen), "--preserve-digests: the copy would change the manifest digest");
    else if (img->instance_digest != NULL && run->list_frozen[0] != '\0')
        snprintf(run->frozen, sizeof(run->frozen), "%s (instance %s would change)", run->list_frozen,
                 img->instance_digest);
    else if (sigs->n > 0)
        snprintf(run->frozen, sizeof(run->frozen),
                 "can not copy signatures to %s: the copy changes the manifest, which would invalidate them "
                 "(use --remove-signatures)", dst->text);
    run->n_jobs = img->m->n_layers + (s1_source || s1_write ? 0 : 1);
    run->next_job = 0;
    run->cfg = &cfg;
    run->plan = &plan;
    run->jobs = calloc(run->n_jobs, sizeof(*run->jobs));
    if (run->jobs == NULL) {
        rc = ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    if (run->n_jobs > img->m->n_layers)
        run->jobs[img->m->n_layers].is_config = 1;
    for (size_t i = 0; i < img->m->n_layers; i++)
        run->jobs[i] = (blob_job){.desc = served != NULL ? &served[i] : &img->m->layers[i],
                                  .source_desc = &img->m->layers[i],
                                  .plan = &plan.layers[i],
                                  .index = (int)i,
                                  .diff_id = run->config_fetched ? copy_config_diff_id(&cfg, i) : NULL,
                                  .want_diff_id = s1_convert};
    uint64_t caps_src = src->transport->capabilities, caps_dst = dst->transport->capabilities;
    long parallel = opts->parallel < 1 ? 1 : opts->parallel;
    if (!(caps_src & FERRY_CAP_PARALLEL_GET) || !(caps_dst & FERRY_CAP_PARALLEL_PUT) ||
        (caps_dst & FERRY_CAP_LAYERS_IN_ORDER))
        parallel = 1;
    rc = copy_layers(run, parallel, dctx);
    progress_flush(run->progress); /* every blob's final state before the next line */
    if (rc != FERRY_OK) {
        ctx_wrap(dctx, rc, "copying image from", src->text);
        goto out;
    }
    if (s1_convert) {
        /* The config exists only now: built from the history and the DiffIDs
         * the layers gave on the way. */
        rc = copy_schema1_config(run, img, &plan, &cfg, dctx);
        if (rc == FERRY_OK)
            rc = copy_config_store(run, &cfg, &plan, dctx);
        if (rc != FERRY_OK)
            goto out;
    }
    if (s1_write)
        rc = copy_schema1_write(run, img, &cfg, written, dctx);
    else
        rc = copy_write_manifest(dst, run, img, &plan, &cfg, written, dctx);
out:
    for (size_t i = 0; run->jobs != NULL && i < run->n_jobs; i++)
        json_decref(run->jobs[i].out_annotations);
    free(run->jobs);
    run->jobs = NULL;
    free(served);
    plan_release(&plan);
    copy_config_release(&cfg);
    return rc;
}

int copy_image(const ferry_session *session, const copy_endpoint *src, const copy_endpoint *dst,
               copy_options *opts, ferry_ctx *err_ctx)
{
    copy_progress *own = NULL; /* the report's, unless the copy shares one */
    if (opts->progress == NULL && progress_new(opts->report, &own) != 0)
        return ctx_fail(err_ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    copy_run run = {.src = src, .dst = dst, .worker_session = *session, .claims = opts->claims,
                    .progress = opts->progress != NULL ? opts->progress : own};
    /* Blobs are shared within a destination repository: its name without tag or digest. */
    int n = snprintf(run.claim_scope, sizeof(run.claim_scope), "%s:", dst->transport->name);
    reference_repository(dst->reference, run.claim_scope + n, sizeof(run.claim_scope) - (size_t)n);
    run.worker_session.aborted = &run.aborted;
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cpu_free, NULL);
    run.cpu_slots = gzpar_default_threads();
    /* Workers start only if a layer gets compressed; NULL (out of memory)
     * compresses on the copying threads, with the same bytes. */
    run.gz_pool = gzpar_pool_new(gzpar_default_threads());
    run.has_level = opts->has_level;
    run.precompute_digests = opts->precompute_digests;
    run.level = opts->level;
    ferry_ctx sctx, dctx;
    ctx_init(&sctx, session, src->options);
    ctx_init(&dctx, session, dst->options);
    fetched_image img = {0};
    signature_set sigs = {0};
    copy_signing signing = {0};
    ferry_ctx *failed = &sctx;
    int rc = copy_open(src, dst, &sctx, &dctx, &run);
    if (rc != FERRY_OK) {
        failed = sctx.status != FERRY_OK ? &sctx : &dctx;
        goto out;
    }
    rc = fetch_image(run.source, &sctx, src->text, &opts->platform, opts->list_mode == COPY_LIST_SYSTEM, &img);
    if (rc != FERRY_OK)
        goto out;
    progress_line(run.progress, "%s", "Getting image source signatures");
    if (!opts->remove_signatures && run.source->ops->get_signatures != NULL) {
        /* A single instance taken out of a list carries its own signatures. */
        const char *instance = img.list != NULL && opts->list_mode == COPY_LIST_SYSTEM ? img.digest : NULL;
        rc = run.source->ops->get_signatures(run.source, &sctx, instance, signature_collect, &sigs);
        if (rc != FERRY_OK) {
            ctx_status_message(&sctx, rc, "reading signatures");
            goto out;
        }
    }
    rc = copy_policy_check(&run, &img, opts, &sigs, &sctx);
    if (rc != FERRY_OK)
        goto out;
    failed = &dctx;
    rc = copy_open_dest(dst, &dctx, &run);
    if (rc == FERRY_OK && copy_sign_wanted(opts))
        rc = copy_sign_prepare(dst, &run, opts, &signing, &dctx);
    if (rc == FERRY_OK && opts->referrers)
        rc = copy_referrers_check(&run, &sctx, &dctx, &failed);
    if (rc != FERRY_OK)
        goto out;
    run.keep_top = copy_sign_wanted(opts);
    run.signing = &signing;
    if (img.list != NULL && opts->list_mode != COPY_LIST_SYSTEM) {
        rc = copy_list(&run, &img, opts, &sigs, &sctx, &dctx, &failed);
    } else {
        copy_written written = {0};
        rc = copy_one_image(&run, &(image_view){img.image, img.data, img.len, NULL}, opts, &sigs, &sctx, &dctx,
                            &failed, &written);
        snprintf(opts->manifest_digest, sizeof(opts->manifest_digest), "%s", written.digest);
    }
    if (rc == FERRY_OK && opts->referrers)
        rc = copy_image_referrers(&run, &img, opts, &sctx, &dctx, &failed);
    if (rc != FERRY_OK)
        goto out;
    if (copy_sign_wanted(opts) && (rc = copy_sign(&run, opts, &signing, &sigs, &dctx)) != FERRY_OK)
        goto out;
    progress_line(run.progress, "%s",
                  img.list != NULL && opts->list_mode != COPY_LIST_SYSTEM ? "Storing list signatures"
                                                                         : "Storing signatures");
    if (sigs.n > 0) {
        rc = run.dest->ops->put_signatures(run.dest, &dctx, NULL, sigs.n, (const void *const *)sigs.data, sigs.lens);
        if (rc != FERRY_OK) {
            ctx_status_message(&dctx, rc, "storing signatures");
            goto out;
        }
    }
    rc = run.dest->ops->commit(run.dest, &dctx);
    if (rc != FERRY_OK)
        ctx_status_message(&dctx, rc, "committing the image");
    else
        progress_summary(own);
out:
    if (rc != FERRY_OK) {
        ferry_ctx *why = failed->status != FERRY_OK ? failed : (sctx.status != FERRY_OK ? &sctx : &dctx);
        ctx_status_message(why, rc, "copy");
        ctx_copy_error(err_ctx, why);
    }
    if (run.dest != NULL)
        run.dest->ops->close(run.dest, &dctx);
    if (run.source != NULL)
        run.source->ops->close(run.source, &sctx);
    signature_release(&sigs);
    copy_policy_release(&run, img.list != NULL ? img.list->n_layers : 0);
    copy_signing_release(&signing);
    free(run.top_written);
    fetched_image_release(&img);
    gzpar_pool_free(run.gz_pool);
    pthread_cond_destroy(&run.cpu_free);
    pthread_mutex_destroy(&run.lock);
    opts->bytes_sent = run.bytes_sent;
    progress_free(own);
    return rc;
}
