/* plugins/docker/referrers.c — OCI referrers on a registry (distribution
 * spec 1.1). Listing asks the referrers API (GET /v2/NAME/referrers/DIGEST);
 * it counts as supported when it answers 200 with an OCI image index, pages
 * followed through Link. A 404 means a registry without the API: the
 * referrers tag schema applies, an OCI index tagged ALG-HEX (the subject's
 * digest) that the clients pushing referrers maintain; its absence is no
 * referrer. Writing that index merges the new descriptors into the one
 * there, by digest, so that concurrent or repeated copies add no
 * duplicates. */
#include "docker.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCKER_REFERRERS_PAGES_MAX 1000

int docker_referrers_tag(const char *digest, char *out, size_t cap)
{
    /* The spec truncates the algorithm to 32 and the encoded part to 64
     * characters to fit a tag. */
    const char *colon = digest != NULL ? strchr(digest, ':') : NULL;
    if (colon == NULL || colon == digest || colon[1] == '\0')
        return -1;
    size_t alg = (size_t)(colon - digest), hex = strlen(colon + 1);
    int n = snprintf(out, cap, "%.*s-%.*s", (int)(alg > 32 ? 32 : alg), digest, (int)(hex > 64 ? 64 : hex),
                     colon + 1);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Parses an OCI image index body: the object, or NULL when it is none. */
static json_t *docker_referrers_parse_index(const char *body, size_t len, const char *content_type)
{
    json_t *index = json_loadb(body, len, 0, NULL);
    const char *mt = json_string_value(json_object_get(index, "mediaType"));
    char type[256];
    docker_media_type(content_type, type, sizeof type);
    int is_index = mt != NULL ? strcmp(mt, DOCKER_MT_OCI_INDEX) == 0 : strcmp(type, DOCKER_MT_OCI_INDEX) == 0;
    if (!json_is_object(index) || !is_index || !json_is_array(json_object_get(index, "manifests"))) {
        json_decref(index);
        return NULL;
    }
    return index;
}

/* GETs `target` with an OCI index Accept: *index is the parsed index, or
 * NULL when the registry answered 404 or (*not_index) something else with
 * 200. *next is the Link page after it (malloc'd) or NULL. */
static int docker_referrers_get(docker_client *c, ferry_ctx *ctx, const char *target, const char *what,
                                json_t **index, int *not_index, char **next)
{
    const docker_reference *ref = c->ref;
    *index = NULL;
    *not_index = 0;
    if (next != NULL)
        *next = NULL;
    const char *headers[] = {"Accept: " DOCKER_MT_OCI_INDEX, NULL};
    docker_request req = {.method = "GET", .target = target, .headers = headers, .what = what};
    docker_transfer *t = NULL;
    int status = docker_client_send(c, ctx, &req, &t);
    if (status != FERRY_OK)
        return status;
    long code = docker_transfer_status(t);
    if (code == 404) {
        docker_transfer_free(t, ctx);
        return FERRY_OK;
    }
    if (code != 200) {
        status = docker_response_error(c, ctx, t, what);
        docker_transfer_free(t, ctx);
        return status;
    }
    char *body = NULL, err[256];
    size_t len = 0;
    status = docker_transfer_read_all(t, ctx, DOCKER_MANIFEST_MAX, &body, &len, err, sizeof err);
    if (status == FERRY_OK) {
        *index = docker_referrers_parse_index(body, len, docker_transfer_header(t, "Content-Type", 0));
        *not_index = *index == NULL;
        char *current = next != NULL ? docker_client_url(c, target) : NULL;
        if (current != NULL)
            *next = docker_next_page(c, current, docker_transfer_header(t, "Link", 0));
        free(current);
    }
    free(body);
    docker_transfer_free(t, ctx);
    if (status != FERRY_OK)
        return docker_transport_error(ctx, ref, status, what, err);
    return FERRY_OK;
}

/* Calls emit with each entry of the index's manifests. */
static int docker_referrers_emit(const json_t *index, int (*emit)(void *opaque, const char *json, size_t len),
                                 void *opaque)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(index, "manifests"), i, d) {
        char *text = json_dumps(d, JSON_COMPACT);
        if (text == NULL)
            return FERRY_ERR_NO_MEMORY;
        int rc = emit(opaque, text, strlen(text));
        free(text);
        if (rc != 0)
            return rc;
    }
    return FERRY_OK;
}

int docker_referrers_tag_read(docker_client *c, ferry_ctx *ctx, const char *subject, json_t **index)
{
    const docker_reference *ref = c->ref;
    char tag[128], what[200];
    *index = NULL;
    if (docker_referrers_tag(subject, tag, sizeof tag) != 0)
        return c->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", ref->label, subject);
    char *path = plugin_util_printf("/v2/%s/manifests/%s", ref->path, tag);
    if (path == NULL)
        return c->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    snprintf(what, sizeof what, "reading referrers tag %s", tag);
    int not_index = 0;
    int status = docker_referrers_get(c, ctx, path, what, index, &not_index, NULL);
    free(path);
    if (status == FERRY_OK && not_index)
        status = c->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: referrers tag %s is not an OCI image index",
                                   ref->label, tag);
    return status;
}

int docker_referrers_list(docker_client *c, ferry_ctx *ctx, const char *subject,
                          int (*emit)(void *opaque, const char *json, size_t len), void *opaque)
{
    const docker_reference *ref = c->ref;
    const ferry_services *svc = c->svc;
    if (!svc->digest_is_valid(subject))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", ref->label, subject);
    char what[PLUGIN_UTIL_DIGEST_MAX + 40];
    snprintf(what, sizeof what, "listing referrers of %s", subject);
    char *url = plugin_util_printf("/v2/%s/referrers/%s", ref->path, subject);
    int status = url != NULL ? FERRY_OK : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    for (int page = 0; status == FERRY_OK && url != NULL; page++) {
        if (page >= DOCKER_REFERRERS_PAGES_MAX) {
            status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: %s: more than %d pages", ref->label, what,
                                    DOCKER_REFERRERS_PAGES_MAX);
            break;
        }
        json_t *index = NULL;
        char *next = NULL;
        int not_index = 0;
        status = docker_referrers_get(c, ctx, url, what, &index, &not_index, &next);
        if (status == FERRY_OK && index == NULL && page == 0) {
            /* No API here (404, or not an index): the tag schema. */
            free(next);
            free(url);
            status = docker_referrers_tag_read(c, ctx, subject, &index);
            if (status == FERRY_OK && index != NULL)
                status = docker_referrers_emit(index, emit, opaque);
            json_decref(index);
            return status;
        }
        if (status == FERRY_OK && index == NULL)
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: a page is not an OCI image index", ref->label,
                                    what);
        if (status == FERRY_OK)
            status = docker_referrers_emit(index, emit, opaque);
        json_decref(index);
        url = docker_next_page_advance(url, next);
    }
    free(url);
    return status;
}

char *docker_referrers_merge(json_t *index, const json_t *descriptors, size_t *len)
{
    json_t *merged = index != NULL ? json_incref(index)
                                   : json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", DOCKER_MT_OCI_INDEX,
                                               "manifests");
    json_t *manifests = json_object_get(merged, "manifests");
    size_t added = 0, i;
    json_t *d;
    json_array_foreach(descriptors, i, d) {
        const char *digest = json_string_value(json_object_get(d, "digest"));
        int present = 0;
        size_t k;
        json_t *old;
        json_array_foreach(manifests, k, old)
            present |= digest != NULL && json_equal(json_object_get(old, "digest"), json_object_get(d, "digest"));
        if (!present && json_array_append(manifests, d) == 0)
            added++;
    }
    char *text = NULL;
    if (added > 0 || index == NULL)
        text = json_dumps(merged, JSON_COMPACT);
    json_decref(merged);
    *len = text != NULL ? strlen(text) : 0;
    return text;
}
