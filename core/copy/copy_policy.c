/* core/copy/copy_policy.c — the trust policy's signature requirements,
 * checked against every image the copy will write before the destination
 * is opened: the image itself (or the instance a system copy takes from a
 * list), or with --all / --multi-arch each selected instance with its own
 * signatures, as containers/image checks each image it copies (copy.go,
 * copyOneImage). The policy reads the signatures even with
 * --remove-signatures, which only keeps them from the destination. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "image/fetch.h"
#include "policy/policy.h"

/* Checks one image (manifest bytes) with its signatures. */
static int copy_policy_image(copy_run *run, const char *what, const void *manifest_bytes, size_t len,
                             const signature_set *sigs, ferry_ctx *sctx)
{
    const char *docker_reference =
        run->source->ops->docker_reference != NULL ? run->source->ops->docker_reference(run->source) : NULL;
    policy_image img = {.name = run->src->text,
                        .docker_reference = docker_reference,
                        .manifest = manifest_bytes,
                        .manifest_len = len,
                        .signatures = (const void *const *)sigs->data,
                        .signature_lens = sigs->lens,
                        .n_signatures = sigs->n,
                        .tmpdir = run->worker_session.tmpdir};
    char err[CTX_MESSAGE_MAX - 32];
    if (policy_evaluate(run->src->policy, &img, err, sizeof(err)) != 0)
        return ctx_fail(sctx, FERRY_ERR_FAILED, "%s%sSource image rejected: %s", what, what[0] ? ": " : "", err);
    return FERRY_OK;
}

/* The signatures of instance (NULL: the top level), read afresh. */
static int read_signatures(copy_run *run, const char *instance, signature_set *out, ferry_ctx *sctx)
{
    if (run->source->ops->get_signatures == NULL)
        return FERRY_OK;
    int rc = run->source->ops->get_signatures(run->source, sctx, instance, signature_collect, out);
    if (rc != FERRY_OK)
        ctx_status_message(sctx, rc, "reading signatures");
    return rc;
}

/* Checks the manifest with the signatures read for the copy, or read here
 * when --remove-signatures kept the copy from reading them. */
static int copy_policy_top(copy_run *run, const char *what, const char *instance, const void *data, size_t len,
                           const copy_options *opts, const signature_set *sigs, ferry_ctx *sctx)
{
    if (!opts->remove_signatures)
        return copy_policy_image(run, what, data, len, sigs, sctx);
    signature_set own = {0};
    int rc = read_signatures(run, instance, &own, sctx);
    if (rc == FERRY_OK)
        rc = copy_policy_image(run, what, data, len, &own, sctx);
    signature_release(&own);
    return rc;
}

int copy_policy_check(copy_run *run, const fetched_image *img, const copy_options *opts, const signature_set *sigs,
                      ferry_ctx *sctx)
{
    if (run->src->policy == NULL)
        return FERRY_OK;
    if (img->list == NULL || opts->list_mode == COPY_LIST_SYSTEM)
        return copy_policy_top(run, img->list != NULL ? "copying system image from manifest list" : "",
                               img->list != NULL ? img->digest : NULL, img->data, img->len, opts, sigs, sctx);
    /* --multi-arch index-only copies no instance: the list's own signatures
     * are what can be checked (containers/image checks nothing then). */
    if (opts->list_mode == COPY_LIST_INDEX_ONLY)
        return copy_policy_top(run, "", NULL, img->top_data, img->top_len, opts, sigs, sctx);
    const manifest *list = img->list;
    char *selected = calloc(list->n_layers ? list->n_layers : 1, 1);
    run->checked = calloc(list->n_layers ? list->n_layers : 1, sizeof(*run->checked));
    if (selected == NULL || run->checked == NULL) {
        free(selected);
        return ctx_fail(sctx, FERRY_ERR_NO_MEMORY, "out of memory");
    }
    int rc = copy_list_select(run, list, opts, selected, sctx);
    size_t total = 0, nth = 0;
    for (size_t i = 0; i < list->n_layers; i++)
        total += selected[i] != 0;
    for (size_t i = 0; rc == FERRY_OK && i < list->n_layers; i++) {
        if (!selected[i])
            continue;
        /* Kept for copy_list, which copies these very bytes and signatures. */
        checked_instance *c = &run->checked[i];
        rc = fetch_manifest(run->source, sctx, list->layers[i].digest, &c->data, &c->len, c->media_type,
                            sizeof(c->media_type));
        if (rc != FERRY_OK)
            rc = ctx_wrap(sctx, rc, "reading manifest of", run->src->text);
        if (rc == FERRY_OK)
            rc = read_signatures(run, list->layers[i].digest, &c->sigs, sctx);
        char what[96];
        snprintf(what, sizeof(what), "copying image %zu/%zu from manifest list", ++nth, total);
        if (rc == FERRY_OK)
            rc = copy_policy_image(run, what, c->data, c->len, &c->sigs, sctx);
    }
    free(selected);
    return rc;
}

void copy_policy_release(copy_run *run, size_t n)
{
    for (size_t i = 0; run->checked != NULL && i < n; i++) {
        free(run->checked[i].data);
        signature_release(&run->checked[i].sigs);
    }
    free(run->checked);
    run->checked = NULL;
}
