/* core/copy/copy_list.c — copying a manifest list or OCI index: the
 * instances --all / --multi-arch select, each through copy_one_image (and so
 * converted or recompressed as the destination needs), then the list. The
 * list keeps its bytes when nothing in it changes; otherwise it is rewritten
 * as containers/image writes an edited list — instances' new digests, sizes
 * and types, converted between Docker list and OCI index when the
 * destination or --format asks for the other, or cut down to the chosen
 * platforms — and a changed list is refused under --preserve-digests or
 * with signatures to keep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "image/fetch.h"

/* The list type written, as containers/image's determineListConversion
 * picks it: the one --format implies; else the source's if the destination
 * takes it; else the first list type the destination names. */
static manifest_kind copy_list_kind(const copy_run *run, const manifest *list, const copy_options *opts,
                                    char *err, size_t errcap)
{
    if (opts->forced_format == MANIFEST_OCI)
        return MANIFEST_OCI_INDEX;
    if (opts->forced_format == MANIFEST_DOCKER_V2S2 || opts->forced_format == MANIFEST_DOCKER_V2S1)
        return MANIFEST_DOCKER_LIST;
    const char *const *types = run->dest->ops->manifest_types ? run->dest->ops->manifest_types(run->dest) : NULL;
    if (types == NULL)
        return list->kind;
    manifest_kind first = MANIFEST_UNKNOWN;
    for (size_t i = 0; types[i] != NULL; i++) {
        manifest_kind k = manifest_kind_from_media_type(types[i]);
        if (k == list->kind)
            return k;
        if (first == MANIFEST_UNKNOWN && manifest_kind_is_list(k))
            first = k;
    }
    if (first == MANIFEST_UNKNOWN)
        snprintf(err, errcap, "%s cannot store a %s (or any other kind of list)", run->dst->text,
                 manifest_kind_media_type(list->kind));
    return first;
}

/* 1 when instance `d` is one of the platforms in `spec` ("os/arch[/variant],
 * ..."; no variant matches every variant, as containers/image matches). */
static int platform_wanted(const manifest_descriptor *d, const char *spec, char *used)
{
    int hit = 0;
    size_t token = 0;
    for (const char *p = spec; *p != '\0'; token++) {
        size_t n = strcspn(p, ",");
        char buf[256];
        snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), p);
        char *arch = strchr(buf, '/');
        char *variant = arch ? strchr(arch + 1, '/') : NULL;
        if (arch != NULL)
            *arch++ = '\0';
        if (variant != NULL)
            *variant++ = '\0';
        if (arch != NULL && d->platform_os != NULL && d->platform_arch != NULL &&
            strcmp(d->platform_os, buf) == 0 && strcmp(d->platform_arch, arch) == 0 &&
            (variant == NULL || (d->platform_variant != NULL && strcmp(d->platform_variant, variant) == 0))) {
            hit = 1;
            used[token] = 1;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return hit;
}

int copy_list_select(const copy_run *run, const manifest *list, const copy_options *opts, char *selected,
                     ferry_ctx *ctx)
{
    if (opts->list_mode != COPY_LIST_PLATFORMS) {
        memset(selected, opts->list_mode == COPY_LIST_ALL, list->n_layers);
        return FERRY_OK;
    }
    char used[128] = {0};
    for (size_t i = 0; i < list->n_layers; i++)
        selected[i] = (char)platform_wanted(&list->layers[i], opts->platforms, used);
    size_t token = 0;
    for (const char *p = opts->platforms; *p != '\0' && token < sizeof(used); token++) {
        size_t n = strcspn(p, ",");
        if (!used[token]) {
            char have[512] = "";
            size_t at = 0;
            for (size_t i = 0; i < list->n_layers && at < sizeof(have); i++) {
                const manifest_descriptor *d = &list->layers[i];
                at += (size_t)snprintf(have + at, sizeof(have) - at, "%s%s/%s%s%s", i ? ", " : "",
                                       d->platform_os ? d->platform_os : "?", d->platform_arch ? d->platform_arch : "?",
                                       d->platform_variant ? "/" : "", d->platform_variant ? d->platform_variant : "");
            }
            return ctx_fail(ctx, FERRY_ERR_INVALID, "%s has no instance for platform %.*s; it has %s",
                            run->src->text, (int)n, p, list->n_layers ? have : "no instances");
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return FERRY_OK;
}

/* Reads and parses instance `d` of the list, or takes what the policy check
 * read of it (pre, NULL when none). */
static int copy_list_instance(copy_run *run, const manifest_descriptor *d, checked_instance *pre, ferry_ctx *sctx,
                              char **data, size_t *len, manifest **m)
{
    char media_type[MEDIA_TYPE_MAX], errbuf[512];
    int rc = FERRY_OK;
    if (pre != NULL && pre->data != NULL) {
        *data = pre->data;
        *len = pre->len;
        pre->data = NULL;
        memcpy(media_type, pre->media_type, sizeof(media_type));
    } else {
        rc = fetch_manifest(run->source, sctx, d->digest, data, len, media_type, sizeof(media_type));
        if (rc != FERRY_OK)
            return ctx_wrap(sctx, rc, "reading manifest of", run->src->text);
    }
    if (rc == FERRY_OK &&
        manifest_parse(*data, *len, media_type[0] ? media_type : d->media_type, m, errbuf, sizeof(errbuf)) != 0)
        rc = ctx_fail(sctx, FERRY_ERR_INVALID, "instance %s of %s: %s", d->digest, run->src->text, errbuf);
    if (rc == FERRY_OK && manifest_kind_is_list((*m)->kind))
        rc = ctx_fail(sctx, FERRY_ERR_INVALID, "instance %s of %s is itself a list", d->digest, run->src->text);
    return rc;
}

/* Copies one instance with its own signatures (and, when signing, new ones
 * of the manifest written), stored under the digest it is written
 * with, as containers/image copies each instance of a list. */
static int copy_list_instance_copy(copy_run *run, const image_view *img, checked_instance *pre, copy_options *opts,
                                   ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed, copy_written *written)
{
    signature_set sigs = {0};
    int rc = FERRY_OK;
    if (pre != NULL && !opts->remove_signatures) {
        sigs = pre->sigs; /* read by the policy check */
        pre->sigs = (signature_set){0};
    } else if (!opts->remove_signatures && run->source->ops->get_signatures != NULL) {
        rc = run->source->ops->get_signatures(run->source, sctx, img->instance_digest, signature_collect, &sigs);
        if (rc != FERRY_OK) {
            ctx_status_message(sctx, rc, "reading signatures");
            *failed = sctx;
        }
    }
    if (rc == FERRY_OK)
        rc = copy_one_image(run, img, opts, &sigs, sctx, dctx, failed, written);
    if (rc == FERRY_OK && copy_sign_wanted(opts)) {
        rc = copy_sign(run, opts, run->signing, &sigs, dctx);
        *failed = dctx;
    }
    if (rc == FERRY_OK && sigs.n > 0) {
        rc = run->dest->ops->put_signatures(run->dest, dctx, written->digest, sigs.n, (const void *const *)sigs.data,
                                            sigs.lens);
        if (rc != FERRY_OK) {
            ctx_status_message(dctx, rc, "storing signatures");
            *failed = dctx;
        }
    }
    signature_release(&sigs);
    return rc;
}

/* The list written: the source's bytes when nothing changed, else the
 * edited list serialized as `kind`. *changed says which. */
static char *copy_list_output(const fetched_image *img, const char *selected, const copy_written *written,
                              manifest_kind kind, int subset, const platform_spec *platform, size_t *len,
                              int *changed)
{
    manifest edited = *img->list;
    edited.layers = calloc(img->list->n_layers ? img->list->n_layers : 1, sizeof(*edited.layers));
    if (edited.layers == NULL)
        return NULL;
    edited.n_layers = 0;
    *changed = kind != img->list->kind;
    for (size_t i = 0; i < img->list->n_layers; i++) {
        if (subset && !selected[i])
            continue;
        manifest_descriptor *d = &edited.layers[edited.n_layers++];
        *d = img->list->layers[i];
        if (!selected[i] || written[i].media_type == NULL)
            continue; /* not copied (--multi-arch index-only): listed as it is */
        if (strcmp(d->digest, written[i].digest) != 0 || d->size != written[i].size ||
            strcmp(d->media_type ? d->media_type : "", written[i].media_type) != 0)
            *changed = 1;
        d->digest = (char *)written[i].digest;
        d->size = written[i].size;
        d->media_type = (char *)written[i].media_type;
    }
    *changed |= edited.n_layers != img->list->n_layers;
    char *out = NULL;
    if (!*changed) {
        out = malloc(img->top_len + 1);
        if (out != NULL) {
            memcpy(out, img->top_data, img->top_len);
            out[img->top_len] = '\0';
            *len = img->top_len;
        }
    } else {
        out = manifest_list_serialize(&edited, kind, platform->os, platform->arch, len);
    }
    free(edited.layers);
    return out;
}

int copy_list(copy_run *run, const fetched_image *img, copy_options *opts, const signature_set *sigs,
              ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed)
{
    const copy_endpoint *dst = run->dst;
    const manifest *list = img->list;
    char err[CTX_MESSAGE_MAX / 2];
    manifest_kind kind = copy_list_kind(run, list, opts, err, sizeof(err));
    if (kind == MANIFEST_UNKNOWN)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s", err);
    if (!(dst->transport->capabilities & FERRY_CAP_MANIFEST_LISTS))
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s cannot store a manifest list (copy one platform's image "
                        "without --all or --multi-arch)", dst->text);
    int subset = opts->list_mode == COPY_LIST_PLATFORMS;
    int converting = kind != list->kind;
    /* What may not change, decided before anything is written. */
    const char *frozen = opts->preserve_digests ? "--preserve-digests: the copy would change the manifest list"
                         : sigs->n > 0          ? "can not copy signatures: the copy changes the manifest list, which "
                                                  "would invalidate them (use --remove-signatures)"
                                                : NULL;
    if (frozen != NULL && (subset || converting))
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s (%s)", frozen,
                        subset ? "it would hold only the chosen platforms" : "it would be converted");
    if (opts->list_mode == COPY_LIST_INDEX_ONLY && converting)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "--multi-arch index-only: %s needs the list converted to %s, "
                        "which would change instances that are not copied", dst->text, manifest_kind_media_type(kind));
    if (sigs->n > 0) {
        int rc = copy_signatures_check(dst, run, sigs, &(copy_plan){0}, dctx);
        if (rc != FERRY_OK)
            return rc;
    }
    snprintf(run->list_frozen, sizeof(run->list_frozen), "%s", frozen ? frozen : "");
    char *selected = calloc(list->n_layers ? list->n_layers : 1, 1);
    copy_written *written = calloc(list->n_layers ? list->n_layers : 1, sizeof(*written));
    if (selected == NULL || written == NULL) {
        free(selected);
        free(written);
        return ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    }
    int rc = copy_list_select(run, list, opts, selected, sctx);
    if (rc != FERRY_OK)
        *failed = sctx;
    /* Instances follow the list: an OCI index holds OCI images, a Docker
     * list Docker ones (the --format given, or the one the list implies). */
    manifest_kind saved_format = opts->forced_format;
    if (converting && opts->forced_format == MANIFEST_UNKNOWN)
        opts->forced_format = kind == MANIFEST_OCI_INDEX ? MANIFEST_OCI : MANIFEST_DOCKER_V2S2;
    for (size_t i = 0; rc == FERRY_OK && i < list->n_layers; i++) {
        if (!selected[i])
            continue;
        const manifest_descriptor *d = &list->layers[i];
        char *data = NULL;
        size_t len = 0;
        manifest *m = NULL;
        checked_instance *pre = run->checked != NULL ? &run->checked[i] : NULL;
        rc = copy_list_instance(run, d, pre, sctx, &data, &len, &m);
        if (rc != FERRY_OK) {
            *failed = sctx;
        } else {
            progress_line(run->progress, "Copying image %s", d->digest);
            rc = copy_list_instance_copy(run, &(image_view){m, data, len, d->digest}, pre, opts, sctx, dctx,
                                         failed, &written[i]);
        }
        free(data);
        manifest_free(m);
    }
    opts->forced_format = saved_format;
    size_t out_len = 0;
    int changed = 0;
    char *out = NULL;
    if (rc == FERRY_OK) {
        /* A Docker list gives an entry without a platform this machine's
         * (Go's runtime.GOOS/GOARCH, whatever --override-* say). */
        platform_spec here = {0};
        platform_resolve(&here);
        out = copy_list_output(img, selected, written, kind, subset, &here, &out_len, &changed);
        if (out == NULL)
            rc = ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory writing the manifest list");
    }
    if (rc == FERRY_OK && changed && frozen != NULL)
        rc = ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "%s", frozen);
    if (rc == FERRY_OK) {
        progress_line(run->progress, "%s", "Writing manifest list to image destination");
        digest_sha256(out, out_len, opts->manifest_digest, sizeof(opts->manifest_digest));
        rc = run->dest->ops->put_manifest(run->dest, dctx, out, out_len, manifest_kind_media_type(kind),
                                          opts->manifest_digest, NULL);
        if (rc == FERRY_OK)
            copy_keep_top(run, out, out_len);
        if (rc != FERRY_OK)
            ctx_wrap(dctx, rc, "writing manifest list to", dst->text);
    }
    free(out);
    free(selected);
    free(written);
    return rc;
}
