/* core/copy/copy_referrers.c — `copy --referrers`: after the image (and, with
 * --all, each of its instances), every OCI referrer of the manifests copied,
 * breadth first and recursively (referrers of referrers), each through
 * copy_one_image as a list instance is copied (so by digest, blobs first),
 * with preserve-digests forced and no conversion, compression or signing:
 * a referrer names its subject, and a referrer of a referrer names the
 * referrer, by digest. The destination plugin then learns each (subject,
 * referrer) pair through put_referrer and makes them discoverable at commit,
 * so a referrer that cannot be copied fails the copy before anything is
 * tagged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "image/fetch.h"
#include "image/referrers.h"

int copy_referrers_check(const copy_run *run, ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed)
{
    if (!referrers_source_supported(run->source)) {
        *failed = sctx;
        return ctx_fail(sctx, FERRY_ERR_UNSUPPORTED, "--referrers: transport %s cannot list referrers (%s)",
                        run->src->transport->name, run->src->text);
    }
    if (!referrers_dest_supported(run->dest)) {
        *failed = dctx;
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "--referrers: transport %s cannot store referrers (%s)",
                        run->dst->transport->name, run->dst->text);
    }
    return FERRY_OK;
}

/* Copies the manifest `digest` (a referrer, described by desc) and its
 * blobs unchanged. */
static int copy_referrer_manifest(copy_run *run, const json_t *desc, const copy_options *opts, ferry_ctx *sctx,
                                  ferry_ctx *dctx, ferry_ctx **failed)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    char *data = NULL, media_type[MEDIA_TYPE_MAX], err[512];
    size_t len = 0;
    manifest *m = NULL;
    *failed = sctx;
    int rc = fetch_manifest(run->source, sctx, digest, &data, &len, media_type, sizeof(media_type));
    if (rc != FERRY_OK)
        return ctx_wrap(sctx, rc, "reading referrer", digest);
    if (media_type[0] == '\0')
        snprintf(media_type, sizeof(media_type), "%s", json_string_value(json_object_get(desc, "mediaType")));
    if (manifest_parse(data, len, media_type, &m, err, sizeof(err)) != 0) {
        rc = ctx_fail(sctx, FERRY_ERR_INVALID, "referrer %s in %s: %s", digest, run->src->text, err);
    } else if (m->kind != MANIFEST_OCI) {
        /* An index with a subject would need copy_list's machinery per referrer. */
        rc = ctx_fail(sctx, FERRY_ERR_UNSUPPORTED, "referrer %s in %s is a %s; ferry copies image manifest "
                      "referrers only", digest, run->src->text, m->media_type);
    } else {
        copy_options exact = *opts;
        exact.preserve_digests = 1;
        exact.forced_format = MANIFEST_UNKNOWN;
        exact.compress_to = LAYER_COMPRESSION_UNKNOWN;
        exact.force_compress = 0;
        exact.chunked = 0;
        exact.sign_by = NULL;
        signature_set none = {0};
        copy_written written = {0};
        progress_line(run->progress, "Copying referrer %s", digest);
        rc = copy_one_image(run, &(image_view){m, data, len, digest}, &exact, &none, sctx, dctx, failed, &written);
        if (rc == FERRY_OK && strcmp(written.digest, digest) != 0) {
            *failed = dctx;
            rc = ctx_fail(dctx, FERRY_ERR_FAILED, "referrer %s was written as %s", digest, written.digest);
        }
    }
    manifest_free(m);
    free(data);
    return rc;
}

/* Appends a copy of s to the queue (malloc'd strings). */
static int queue_push(char ***queue, size_t *n, const char *s)
{
    char **q = realloc(*queue, (*n + 1) * sizeof(**queue));
    if (q == NULL)
        return -1;
    *queue = q;
    if ((q[*n] = strdup(s)) == NULL)
        return -1;
    (*n)++;
    return 0;
}

int copy_referrers(copy_run *run, const char *const *subjects, size_t n_subjects, const copy_options *opts,
                   ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed)
{
    /* Every manifest copied or queued, subjects first: the queue is also the
     * set of digests seen (content addressing rules out cycles, not
     * a referrer listed under two subjects by a broken source). */
    char **queue = NULL;
    size_t n = 0;
    int rc = FERRY_OK;
    for (size_t i = 0; i < n_subjects && rc == FERRY_OK; i++)
        if (queue_push(&queue, &n, subjects[i]) != 0)
            rc = ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    for (size_t head = 0; head < n && rc == FERRY_OK; head++) {
        json_t *list = NULL;
        *failed = sctx;
        rc = referrers_list(run->source, sctx, run->src->text, queue[head], &list);
        size_t i;
        json_t *desc;
        json_array_foreach(list, i, desc) {
            const char *digest = json_string_value(json_object_get(desc, "digest"));
            int seen = 0;
            for (size_t k = 0; k < n && !seen; k++)
                seen = strcmp(queue[k], digest) == 0;
            if (seen)
                continue;
            if (n >= REFERRERS_MAX) {
                rc = ctx_fail(sctx, FERRY_ERR_TOO_LARGE, "%s: more than %d referrers", run->src->text,
                              REFERRERS_MAX);
                break;
            }
            rc = copy_referrer_manifest(run, desc, opts, sctx, dctx, failed);
            if (rc != FERRY_OK)
                break;
            char *text = json_dumps(desc, JSON_COMPACT);
            *failed = dctx;
            if (text == NULL || queue_push(&queue, &n, digest) != 0)
                rc = ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
            else
                rc = run->dest->ops->put_referrer(run->dest, dctx, queue[head], text, strlen(text));
            free(text);
            if (rc != FERRY_OK) {
                ctx_wrap(dctx, rc, "storing referrer", digest);
                break;
            }
        }
        json_decref(list);
    }
    for (size_t i = 0; i < n; i++)
        free(queue[i]);
    free(queue);
    return rc;
}

/* --referrers: the subjects are the manifests copied, under their source
 * digests (kept: --referrers implies --preserve-digests). */
int copy_image_referrers(copy_run *run, const fetched_image *img, const copy_options *opts, ferry_ctx *sctx,
                                ferry_ctx *dctx, ferry_ctx **failed)
{
    size_t n = 0, cap = 1 + (img->list != NULL ? img->list->n_layers : 0);
    const char **subjects = calloc(cap, sizeof(*subjects));
    if (subjects == NULL)
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    if (img->list == NULL || opts->list_mode == COPY_LIST_SYSTEM) {
        subjects[n++] = img->digest;
    } else {
        subjects[n++] = img->top_digest;
        for (size_t i = 0; opts->list_mode == COPY_LIST_ALL && i < img->list->n_layers; i++)
            subjects[n++] = img->list->layers[i].digest;
    }
    int rc = copy_referrers(run, subjects, n, opts, sctx, dctx, failed);
    free(subjects);
    return rc;
}
