/* plugins/docker/repo.c — the transport-level registry operations: listing
 * a repository's tags (following Link pagination to the last page),
 * deleting an image (tag resolved to its digest with HEAD, then DELETE of
 * the manifest, then its signatures in the registries.d lookaside store, as
 * containers/image does), and checking credentials for `ferry login` (GET /v2/ with
 * them, through the token flow when the registry uses one). */
#include "docker.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCKER_TAG_PAGES_MAX 100000

/* Opens a reference and a client for it; on success both must be freed. */
static int docker_repo_open(ferry_ctx *ctx, const char *reference, const char *actions, docker_reference *ref,
                            docker_client **client)
{
    int status = docker_reference_parse(ctx, reference, ref);
    if (status != FERRY_OK)
        return status;
    status = docker_client_open(ctx, ref, actions, client);
    if (status != FERRY_OK)
        docker_reference_free(ref);
    return status;
}

char *docker_next_page_advance(char *url, char *next)
{
    if (next != NULL && strcmp(next, url) == 0) {
        free(next); /* a page pointing at itself would never end */
        next = NULL;
    }
    free(url);
    return next;
}

char *docker_next_page(const docker_client *c, const char *current, const char *link)
{
    if (link == NULL)
        return NULL;
    const char *lt = strchr(link, '<');
    const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
    if (gt == NULL)
        return NULL;
    char *target = strndup(lt + 1, (size_t)(gt - lt - 1));
    char *next = target != NULL ? docker_url_resolve(current, target) : NULL;
    free(target);
    /* Pages stay on the registry: never follow credentials elsewhere. */
    if (next != NULL && !docker_client_owns_url(c, next)) {
        free(next);
        return NULL;
    }
    return next;
}

/* Emits the tags of one page; FERRY_OK or the status of a failure. */
static int docker_emit_tags(const docker_client *c, ferry_ctx *ctx, const char *body, size_t len,
                            int (*emit)(void *, const char *), void *opaque)
{
    const ferry_services *svc = c->svc;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: listing tags: the registry's answer is not a JSON object",
                              c->ref->label);
    }
    json_t *tags = json_object_get(root, "tags");
    int status = FERRY_OK;
    size_t i;
    json_t *tag;
    json_array_foreach(tags, i, tag)
    {
        const char *s = json_string_value(tag);
        if (s == NULL)
            continue;
        int rc = emit(opaque, s);
        if (rc != 0) {
            status = rc;
            break;
        }
    }
    json_decref(root);
    return status;
}

int docker_list_tags(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag), void *opaque)
{
    docker_reference ref;
    docker_client *c = NULL;
    int status = docker_repo_open(ctx, reference, "pull", &ref, &c);
    if (status != FERRY_OK)
        return status;
    const ferry_services *svc = c->svc;
    /* The first page by path (the registry is contacted there first), the
     * next ones by the absolute URL their Link gives. */
    char *url = plugin_util_printf("/v2/%s/tags/list", ref.path);
    if (url == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref.label);
    for (int page = 0; status == FERRY_OK && url != NULL; page++) {
        if (page >= DOCKER_TAG_PAGES_MAX) {
            status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: listing tags: more than %d pages", ref.label,
                                    DOCKER_TAG_PAGES_MAX);
            break;
        }
        docker_request req = {.method = "GET", .target = url, .what = "listing tags"};
        docker_transfer *t = NULL;
        status = docker_client_expect(c, ctx, &req, 200, 200, &t);
        if (status != FERRY_OK)
            break;
        char *body = NULL;
        size_t len = 0;
        char err[256];
        status = docker_transfer_read_all(t, ctx, DOCKER_TAGS_BODY_MAX, &body, &len, err, sizeof err);
        char *current = status == FERRY_OK ? docker_client_url(c, url) : NULL;
        char *next = current != NULL ? docker_next_page(c, current, docker_transfer_header(t, "Link", 0)) : NULL;
        free(current);
        docker_transfer_free(t, ctx);
        if (status != FERRY_OK) {
            status = docker_transport_error(ctx, &ref, status, "listing tags", err);
        } else {
            status = docker_emit_tags(c, ctx, body, len, emit, opaque);
        }
        free(body);
        url = docker_next_page_advance(url, next);
    }
    free(url);
    docker_client_free(c);
    docker_reference_free(&ref);
    return status;
}

/* Digest of the manifest a tag points to (HEAD, Docker-Content-Digest;
 * a GET when HEAD fails or the registry does not say, hashed here if
 * needed). */
static int docker_resolve_digest(docker_client *c, ferry_ctx *ctx, char *out, size_t cap)
{
    const ferry_services *svc = c->svc;
    const docker_reference *ref = c->ref;
    char *path = plugin_util_printf("/v2/%s/manifests/%s", ref->path, ref->tag);
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    char what[200];
    snprintf(what, sizeof what, "reading manifest %s", ref->tag);
    const char *headers[] = {DOCKER_MANIFEST_ACCEPT, NULL};
    int status = FERRY_OK;
    for (int head = 1; head >= 0; head--) {
        docker_request req = {
            .method = head ? "HEAD" : "GET", .target = path, .headers = headers, .follow_redirects = 1, .what = what};
        docker_transfer *t = NULL;
        status = docker_client_send(c, ctx, &req, &t);
        if (status != FERRY_OK)
            break;
        if (docker_transfer_status(t) != 200) {
            /* A HEAD answer has no body to explain itself: ask with GET. */
            if (!head)
                status = docker_response_error(c, ctx, t, what);
            docker_transfer_free(t, ctx);
            if (!head)
                break;
            continue;
        }
        const char *digest = docker_transfer_header(t, "Docker-Content-Digest", 0);
        if (digest != NULL && svc->digest_is_valid(digest) && strlen(digest) < cap) {
            snprintf(out, cap, "%s", digest);
            docker_transfer_free(t, ctx);
            break;
        }
        if (!head) {
            char *body = NULL;
            size_t len = 0;
            char err[256];
            status = docker_transfer_read_all(t, ctx, DOCKER_MANIFEST_MAX, &body, &len, err, sizeof err);
            if (status != FERRY_OK) {
                status = docker_transport_error(ctx, ref, status, what, err);
            } else {
                ferry_hasher *h = svc->hasher_new("sha256");
                if (h == NULL) {
                    status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
                } else {
                    svc->hasher_update(h, body, len);
                    if (svc->hasher_final(h, out, cap) != FERRY_OK)
                        status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: cannot hash manifest", ref->label);
                    svc->hasher_free(h);
                }
            }
            free(body);
        }
        docker_transfer_free(t, ctx);
    }
    free(path);
    return status;
}

int docker_delete_image(ferry_ctx *ctx, const char *reference)
{
    docker_reference ref;
    docker_client *c = NULL;
    /* containers/image asks for "*" (delete) access. */
    int status = docker_repo_open(ctx, reference, "*", &ref, &c);
    if (status != FERRY_OK)
        return status;
    const ferry_services *svc = c->svc;
    docker_sig_config sigs;
    status = docker_sig_config_load(ctx, &ref, &sigs);
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    if (ref.digest != NULL)
        snprintf(digest, sizeof digest, "%s", ref.digest);
    else
        status = docker_resolve_digest(c, ctx, digest, sizeof digest);
    char *path = status == FERRY_OK ? plugin_util_printf("/v2/%s/manifests/%s", ref.path, digest) : NULL;
    if (status == FERRY_OK && path == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref.label);
    if (status == FERRY_OK) {
        char what[PLUGIN_UTIL_DIGEST_MAX + 32];
        snprintf(what, sizeof what, "deleting manifest %s", digest);
        docker_request req = {.method = "DELETE", .target = path, .what = what};
        docker_transfer *t = NULL;
        status = docker_client_send(c, ctx, &req, &t);
        if (status == FERRY_OK) {
            long code = docker_transfer_status(t);
            if (code == 405)
                status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                                        "%s: registry %s does not allow deleting manifests (HTTP 405)", ref.label,
                                        ref.domain);
            else if (code < 200 || code > 299)
                status = docker_response_error(c, ctx, t, what);
            docker_transfer_free(t, ctx);
        }
    }
    if (status == FERRY_OK)
        status = docker_lookaside_delete(ctx, &sigs.write, digest);
    free(path);
    docker_sig_config_free(&sigs);
    docker_client_free(c);
    docker_reference_free(&ref);
    return status;
}

int docker_check_credentials(ferry_ctx *ctx, const char *registry)
{
    docker_reference ref;
    int status = docker_reference_for_registry(ctx, registry, &ref);
    if (status != FERRY_OK)
        return status;
    docker_client *c = NULL;
    status = docker_client_open(ctx, &ref, "pull", &c);
    if (status == FERRY_OK) {
        c->no_scope = 1; /* a login asks for no repository */
        docker_request req = {.method = "GET", .target = "/v2/", .what = "checking credentials"};
        docker_transfer *t = NULL;
        status = docker_client_expect(c, ctx, &req, 200, 200, &t);
        docker_transfer_free(t, ctx);
    }
    docker_client_free(c);
    docker_reference_free(&ref);
    return status;
}
