/* core/image/referrers.c — collecting the referrers a source plugin lists:
 * each descriptor the module emits is parsed and checked (a valid digest, a
 * media type, a size) before the core trusts it, and a digest listed twice
 * (the API and a stale fallback tag may overlap) is kept once. */
#include "image/referrers.h"

#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "plugin/context.h"

int referrers_source_supported(const ferry_image_source *src)
{
    return src != NULL && FERRY_HAS_MEMBER(src->ops, ferry_source_ops, list_referrers) &&
           src->ops->list_referrers != NULL;
}

int referrers_dest_supported(const ferry_image_dest *dst)
{
    return dst != NULL && FERRY_HAS_MEMBER(dst->ops, ferry_dest_ops, put_referrer) && dst->ops->put_referrer != NULL;
}

typedef struct referrers_collect {
    json_t *list;
    ferry_ctx *ctx;
    const char *what;
    const char *subject;
} referrers_collect;

static int referrers_seen(const json_t *list, const char *digest)
{
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
        if (strcmp(json_string_value(json_object_get(d, "digest")), digest) == 0)
            return 1;
    return 0;
}

static int referrers_emit(void *opaque, const char *descriptor_json, size_t len)
{
    referrers_collect *c = opaque;
    json_error_t jerr;
    json_t *d = json_loadb(descriptor_json, len, 0, &jerr);
    const char *digest = json_string_value(json_object_get(d, "digest"));
    json_t *size = json_object_get(d, "size");
    json_t *annotations = json_object_get(d, "annotations");
    json_t *artifact_type = json_object_get(d, "artifactType");
    if (!json_is_object(d) || digest == NULL || !digest_is_valid(digest) ||
        !json_is_string(json_object_get(d, "mediaType")) || !json_is_integer(size) || json_integer_value(size) < 0 ||
        json_integer_value(size) > MANIFEST_MAX_SIZE || (annotations != NULL && !json_is_object(annotations)) ||
        (artifact_type != NULL && !json_is_string(artifact_type))) {
        json_decref(d);
        return ctx_fail(c->ctx, FERRY_ERR_INVALID, "%s: invalid referrer descriptor of %s: %.200s", c->what,
                        c->subject, descriptor_json);
    }
    if (referrers_seen(c->list, digest)) {
        json_decref(d);
        return FERRY_OK;
    }
    if (json_array_size(c->list) >= REFERRERS_MAX) {
        json_decref(d);
        return ctx_fail(c->ctx, FERRY_ERR_TOO_LARGE, "%s: %s has more than %d referrers", c->what, c->subject,
                        REFERRERS_MAX);
    }
    if (json_array_append_new(c->list, d) != 0)
        return ctx_fail(c->ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    return FERRY_OK;
}

int referrers_list(ferry_image_source *src, ferry_ctx *ctx, const char *what, const char *digest, json_t **out)
{
    *out = NULL;
    referrers_collect c = {.list = json_array(), .ctx = ctx, .what = what, .subject = digest};
    if (c.list == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    int rc = src->ops->list_referrers(src, ctx, digest, referrers_emit, &c);
    if (rc != FERRY_OK) {
        json_decref(c.list);
        return ctx_status_message(ctx, rc, "listing referrers");
    }
    *out = c.list;
    return FERRY_OK;
}

json_t *referrers_index(json_t *descriptors)
{
    return json_pack("{s:i,s:s,s:O}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_OCI_INDEX, "manifests",
                     descriptors);
}
