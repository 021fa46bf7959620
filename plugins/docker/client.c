/* plugins/docker/client.c — one registry as seen by one source,
 * destination or command: TLS settings, the credentials the core resolved
 * (copied, never logged), the scheme and authentication challenges, and
 * the request loop every registry call goes through: authentication, a
 * fresh token when a cached one is refused, a wider scope on
 * insufficient_scope, waits on 429 (Retry-After in seconds or as an HTTP
 * date, else 2, 4, 8… s, at most 60 s each, 5 attempts), and redirects,
 * which get credentials only when they stay on the registry.
 *
 * There is no separate ping: the first request that can be sent twice goes
 * out without credentials, over HTTPS and, when verification is off, over
 * plain HTTP at the same time (HTTPS wins whenever it answers, as
 * containers/image prefers it), and its answer tells the scheme and, on
 * 401, the challenges. Only a streamed upload as first request pings /v2/
 * first. What a registry told about itself is remembered for a few minutes
 * per registry and TLS setting, so that the source and destination of a
 * copy, or inspect and its tag listing, learn it once.
 *
 * A client is shared by the threads of one source or destination: origin
 * and challenges are set once under resolve_lock, tokens are fetched under
 * token_lock; everything else is read-only after docker_client_open. */
#include "docker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DOCKER_429_ATTEMPTS 5
#define DOCKER_429_MAX_WAIT 60.0
#define DOCKER_REDIRECTS_MAX 10
#define DOCKER_AUTH_RETRIES 2
#define DOCKER_PING_TTL 300.0 /* seconds what a registry said about itself is reused */
#define DOCKER_PING_CACHE_MAX 32

static char *docker_dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

void docker_client_free(docker_client *c)
{
    if (c == NULL)
        return;
    docker_tls_free(&c->tls);
    free(c->origin);
    free(c->user_agent);
    docker_secret_free(c->username);
    docker_secret_free(c->password);
    docker_secret_free(c->identity_token);
    docker_secret_free(c->registry_token);
    docker_challenges_free(c->challenges, c->n_challenges);
    pthread_mutex_destroy(&c->token_lock);
    pthread_mutex_destroy(&c->resolve_lock);
    free(c);
}

char *docker_client_url(const docker_client *c, const char *target)
{
    if (strncmp(target, "https://", 8) == 0 || strncmp(target, "http://", 7) == 0)
        return strdup(target);
    return plugin_util_printf("%s%s", c->origin, target);
}

int docker_client_owns_url(const docker_client *c, const char *url)
{
    char base[512];
    snprintf(base, sizeof base, "%s/", c->origin);
    return docker_url_same_origin(base, url);
}

/* Copies the credentials and hashes them into the token cache key. */
static int docker_client_credentials(docker_client *c, ferry_ctx *ctx)
{
    const ferry_services *svc = c->svc;
    ferry_credentials cr;
    memset(&cr, 0, sizeof cr);
    cr.struct_size = sizeof cr;
    const char *repo = c->ref->path[0] != '\0' ? c->ref->path : NULL;
    int status = c->stored_credentials_only ? svc->get_stored_credentials(ctx, c->ref->domain, repo, &cr)
                                            : svc->get_credentials(ctx, c->ref->domain, repo, &cr);
    if (status != FERRY_OK && status != FERRY_ERR_NOT_FOUND)
        return status;
    if (status == FERRY_OK) {
        c->username = docker_dup_or_null(cr.username);
        c->password = docker_dup_or_null(cr.password);
        c->identity_token = docker_dup_or_null(cr.identity_token);
        c->registry_token = docker_dup_or_null(cr.registry_token);
        if ((cr.username != NULL && c->username == NULL) || (cr.password != NULL && c->password == NULL) ||
            (cr.identity_token != NULL && c->identity_token == NULL) ||
            (cr.registry_token != NULL && c->registry_token == NULL))
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    }
    if (c->registry_token == NULL && !c->stored_credentials_only) {
        const char *opt = svc->get_option(ctx, "registry-token");
        if (opt != NULL && opt[0] != '\0' && (c->registry_token = strdup(opt)) == NULL)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    }
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    const char *parts[] = {c->username, c->password, c->identity_token, c->registry_token};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        svc->hasher_update(h, parts[i] != NULL ? "+" : "-", 1);
        if (parts[i] != NULL)
            svc->hasher_update(h, parts[i], strlen(parts[i]) + 1);
    }
    int rc = svc->hasher_final(h, c->cred_id, sizeof c->cred_id);
    svc->hasher_free(h);
    if (rc != FERRY_OK)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: cannot hash credentials", c->ref->label);
    return FERRY_OK;
}

/* ---- ping cache: what /v2/ said, per registry and TLS setting ---- */

/* What is cached: the origin and the challenges. */
typedef struct docker_ping_value {
    char *origin;
    docker_challenge challenges[DOCKER_MAX_CHALLENGES];
    size_t n_challenges;
} docker_ping_value;

static void docker_ping_value_free(void *value)
{
    docker_ping_value *v = value;
    if (v == NULL)
        return;
    free(v->origin);
    docker_challenges_free(v->challenges, v->n_challenges);
    free(v);
}

static docker_cache docker_pings = DOCKER_CACHE_INIT(DOCKER_PING_CACHE_MAX, docker_ping_value_free);

/* Only plain settings are cached: custom CAs or client certificates may
 * change what HTTPS gives. */
static char *docker_ping_key(const docker_client *c)
{
    if (c->tls.ca_blob != NULL || c->tls.client_cert != NULL)
        return NULL;
    return plugin_util_printf("%s|%d|%d", c->ref->api_host, c->tls.verify, c->tls.allow_http);
}

static int docker_challenges_copy(docker_challenge *to, const docker_challenge *from, size_t n)
{
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        memset(&to[i], 0, sizeof to[i]);
        memcpy(to[i].scheme, from[i].scheme, sizeof to[i].scheme);
        const char *src[] = {from[i].realm, from[i].service, from[i].scope, from[i].error};
        char **dst[] = {&to[i].realm, &to[i].service, &to[i].scope, &to[i].error};
        for (size_t k = 0; k < 4; k++)
            if (src[k] != NULL && (*dst[k] = strdup(src[k])) == NULL)
                ok = 0;
    }
    return ok ? 0 : -1;
}

/* Copies a cached answer into the client (a docker_cache copy callback). */
static int docker_ping_copy(const void *value, void *arg)
{
    const docker_ping_value *v = value;
    docker_client *c = arg;
    c->origin = strdup(v->origin);
    if (c->origin == NULL || docker_challenges_copy(c->challenges, v->challenges, v->n_challenges) != 0) {
        docker_challenges_free(c->challenges, v->n_challenges);
        free(c->origin);
        c->origin = NULL;
        return -1;
    }
    c->n_challenges = v->n_challenges;
    return 0;
}

/* Fills origin and challenges from the cache; 0 on a hit. */
static int docker_ping_cached(docker_client *c)
{
    char *key = docker_ping_key(c);
    int hit = key != NULL ? docker_cache_get(&docker_pings, key, docker_ping_copy, c) : -1;
    free(key);
    return hit;
}

static void docker_ping_store(const docker_client *c)
{
    char *key = docker_ping_key(c);
    docker_ping_value *v = key != NULL ? calloc(1, sizeof *v) : NULL;
    if (v != NULL) {
        v->origin = strdup(c->origin);
        int bad = v->origin == NULL || docker_challenges_copy(v->challenges, c->challenges, c->n_challenges) != 0;
        v->n_challenges = c->n_challenges;
        if (bad)
            docker_ping_value_free(v);
        else
            docker_cache_put(&docker_pings, key, v, docker_monotonic() + DOCKER_PING_TTL);
    }
    free(key);
}

void docker_client_release(void)
{
    docker_cache_clear(&docker_pings);
}

/* Sends a request without credentials to the registry: over HTTPS, racing
 * plain HTTP when that is allowed (HTTPS wins whenever it answers). Sets
 * c->origin. Called with resolve_lock held. Transport failures are
 * reported as "WHAT: reason". */
static int docker_client_probe_locked(docker_client *c, ferry_ctx *ctx, const docker_request *req,
                                      const char *const *headers, docker_transfer **out)
{
    const ferry_services *svc = c->svc;
    char *https = plugin_util_printf("https://%s%s", c->ref->api_host, req->target);
    char *http = plugin_util_printf("http://%s%s", c->ref->api_host, req->target);
    if (https == NULL || http == NULL) {
        free(https);
        free(http);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    }
    docker_transfer_spec spec = {.method = req->method,
                                 .url = https,
                                 .headers = headers,
                                 .tls = &c->tls,
                                 .user_agent = c->user_agent,
                                 .body = req->body,
                                 .body_len = req->body_len,
                                 .upload_size = -1};
    docker_transfer_spec plain = spec;
    plain.url = http;
    char err[CURL_ERROR_SIZE + 64];
    int winner = 0;
    int status = c->tls.allow_http ? docker_transfer_race(ctx, &spec, &plain, out, &winner, err, sizeof err)
                                   : docker_transfer_start(ctx, &spec, out, err, sizeof err);
    svc->log(ctx, FERRY_LOG_DEBUG, "%s: probing %s%s: %s", c->ref->label, https,
             c->tls.allow_http ? " and plain HTTP" : "",
             status == FERRY_OK ? (winner ? "plain HTTP answered" : "HTTPS answered") : err);
    if (status == FERRY_OK) {
        c->origin = plugin_util_printf("%s://%s", winner ? "http" : "https", c->ref->api_host);
        if (c->origin == NULL) {
            docker_transfer_free(*out, ctx);
            *out = NULL;
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
        }
    } else {
        if (!c->tls.allow_http && strstr(err, "wrong version number") != NULL) {
            size_t n = strlen(err);
            snprintf(err + n, sizeof err - n, " (a plain HTTP registry? it needs --tls-verify=false)");
        }
        status = docker_transport_error(ctx, c->ref, status, req->what, err);
    }
    free(https);
    free(http);
    return status;
}

/* Takes the challenges of a 401 answer when none are known yet; a 401
 * without any (gcr.io answers so on resources) sends us to /v2/ for them.
 * Returns 1 when challenges became known. Called with resolve_lock held. */
static int docker_client_learn_locked(docker_client *c, ferry_ctx *ctx, docker_transfer *t)
{
    if (c->n_challenges > 0)
        return 0;
    docker_challenge found[DOCKER_MAX_CHALLENGES];
    size_t n = docker_challenges_parse(t, found, DOCKER_MAX_CHALLENGES);
    if (n == 0) {
        char *url = docker_client_url(c, "/v2/");
        const char *headers[] = {"Docker-Distribution-API-Version: registry/2.0", NULL};
        docker_transfer_spec spec = {
            .method = "GET", .url = url, .headers = headers, .tls = &c->tls, .user_agent = c->user_agent, .upload_size = -1};
        docker_transfer *ping = NULL;
        char err[CURL_ERROR_SIZE + 64];
        if (url != NULL && docker_transfer_start(ctx, &spec, &ping, err, sizeof err) == FERRY_OK) {
            n = docker_challenges_parse(ping, found, DOCKER_MAX_CHALLENGES);
            docker_transfer_free(ping, ctx);
        }
        free(url);
    }
    if (n == 0)
        return 0;
    memcpy(c->challenges, found, n * sizeof found[0]);
    c->n_challenges = n; /* set once, after the entries: readers take the count under the lock */
    docker_ping_store(c);
    return 1;
}

size_t docker_client_challenges(docker_client *c, const docker_challenge **out)
{
    pthread_mutex_lock(&c->resolve_lock);
    size_t n = c->n_challenges;
    pthread_mutex_unlock(&c->resolve_lock);
    *out = c->challenges;
    return n;
}

static int docker_client_has_challenges(docker_client *c)
{
    const docker_challenge *unused;
    return docker_client_challenges(c, &unused) > 0;
}

static int docker_client_resolved(docker_client *c)
{
    pthread_mutex_lock(&c->resolve_lock);
    int resolved = c->resolved;
    pthread_mutex_unlock(&c->resolve_lock);
    return resolved;
}

/* First contact: learns scheme and challenges. A request that can be sent
 * twice is itself the probe, its answer returned in *out (saving the
 * round trip of a /v2/ ping); otherwise /v2/ is pinged and *out stays NULL. */
static int docker_client_resolve(docker_client *c, ferry_ctx *ctx, const docker_request *req,
                                 const char *const *headers, docker_transfer **out)
{
    *out = NULL;
    pthread_mutex_lock(&c->resolve_lock);
    int status = FERRY_OK;
    if (!c->resolved) {
        int direct = req->upload == NULL && req->target[0] == '/';
        char what[300];
        snprintf(what, sizeof what, "pinging container registry %s", c->ref->api_host);
        docker_request ping = {.method = "GET", .target = "/v2/", .what = what};
        docker_transfer *t = NULL;
        status = docker_client_probe_locked(c, ctx, direct ? req : &ping, headers, &t);
        if (status == FERRY_OK && !direct) {
            long code = docker_transfer_status(t);
            if (code != 200 && code != 401)
                status = docker_response_error(c, ctx, t, what);
        }
        if (status == FERRY_OK) {
            if (docker_transfer_status(t) == 401)
                c->n_challenges = docker_challenges_parse(t, c->challenges, DOCKER_MAX_CHALLENGES);
            c->resolved = 1;
            docker_ping_store(c);
        }
        if (status == FERRY_OK && direct)
            *out = t;
        else
            docker_transfer_free(t, ctx);
    }
    pthread_mutex_unlock(&c->resolve_lock);
    return status;
}

int docker_client_open(ferry_ctx *ctx, const docker_reference *ref, const char *actions, docker_client **out)
{
    return docker_client_open_endpoint(ctx, ref, actions, -1, 0, out);
}

int docker_client_open_endpoint(ferry_ctx *ctx, const docker_reference *ref, const char *actions,
                                int endpoint_insecure, int stored_credentials_only, docker_client **out)
{
    const ferry_services *svc = docker_services();
    *out = NULL;
    docker_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    c->svc = svc;
    c->ref = ref;
    c->actions = actions;
    c->stored_credentials_only = stored_credentials_only;
    pthread_mutex_init(&c->token_lock, NULL);
    pthread_mutex_init(&c->resolve_lock, NULL);
    const char *prefix = svc->get_option(ctx, "user-agent-prefix");
    c->user_agent = prefix != NULL && prefix[0] != '\0' ? plugin_util_printf("%s ferry/%s", prefix, PACKAGE_VERSION)
                                                       : plugin_util_printf("ferry/%s", PACKAGE_VERSION);
    int status = c->user_agent != NULL ? FERRY_OK : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    if (status == FERRY_OK)
        status = docker_tls_setup(ctx, ref, endpoint_insecure, &c->tls);
    if (status == FERRY_OK)
        status = docker_client_credentials(c, ctx);
    if (status == FERRY_OK && docker_ping_cached(c) == 0) {
        c->resolved = 1;
        svc->log(ctx, FERRY_LOG_DEBUG, "%s: %s known from an earlier request", ref->label, c->origin);
    }
    if (status != FERRY_OK) {
        docker_client_free(c);
        return status;
    }
    *out = c;
    return FERRY_OK;
}

/* Seconds to wait after a 429: Retry-After, else the back-off delay. */
static double docker_retry_after(const docker_transfer *t, double fallback)
{
    const char *v = docker_transfer_header(t, "Retry-After", 0);
    if (v == NULL || v[0] == '\0')
        return fallback;
    char *end = NULL;
    long secs = strtol(v, &end, 10);
    if (end != v && *end == '\0')
        return secs >= 0 ? (double)secs : fallback;
    time_t when = curl_getdate(v, NULL);
    if (when == (time_t)-1)
        return fallback;
    double delta = difftime(when, time(NULL));
    return delta > 0 ? delta : fallback;
}

/* The scope an insufficient_scope challenge asks for, or NULL. */
static char *docker_insufficient_scope(const docker_transfer *t)
{
    docker_challenge ch[DOCKER_MAX_CHALLENGES];
    size_t n = docker_challenges_parse(t, ch, DOCKER_MAX_CHALLENGES);
    char *scope = NULL;
    for (size_t i = 0; i < n && scope == NULL; i++)
        if (strcmp(ch[i].scheme, "bearer") == 0 && ch[i].error != NULL &&
            strcmp(ch[i].error, "insufficient_scope") == 0 && ch[i].scope != NULL && ch[i].scope[0] != '\0')
            scope = strdup(ch[i].scope);
    docker_challenges_free(ch, n);
    return scope;
}

int docker_client_send(docker_client *c, ferry_ctx *ctx, const docker_request *req, docker_transfer **out)
{
    const ferry_services *svc = c->svc;
    *out = NULL;
    const char *headers[24];
    size_t nh = 0;
    headers[nh++] = "Docker-Distribution-API-Version: registry/2.0";
    for (const char *const *h = req->headers; h != NULL && *h != NULL && nh < 23; h++)
        headers[nh++] = *h;
    headers[nh] = NULL;

    char *url = NULL;
    char *extra = req->extra_scope != NULL ? strdup(req->extra_scope) : NULL;
    int attempts_429 = 0, redirects = 0, auth_retries = 0, refresh = 0;
    double backoff = 2.0;
    int status;
    for (;;) {
        docker_transfer *t = NULL;
        int had_auth = 0, fresh = 0;
        if (!docker_client_resolved(c)) {
            status = docker_client_resolve(c, ctx, req, headers, &t);
            if (status != FERRY_OK)
                break;
        }
        if (url == NULL && (url = docker_client_url(c, req->target)) == NULL) {
            docker_transfer_free(t, ctx);
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
            break;
        }
        int own = docker_client_owns_url(c, url);
        if (t == NULL) {
            char *auth = NULL;
            int mode = req->quiet ? DOCKER_TOKEN_CACHED : refresh ? DOCKER_TOKEN_NEW : DOCKER_TOKEN_CACHED_OR_NEW;
            status = own ? docker_auth_header(c, ctx, extra, mode, &auth, &fresh) : FERRY_OK;
            if (status != FERRY_OK)
                break;
            docker_transfer_spec spec = {.method = req->method,
                                         .url = url,
                                         .headers = headers,
                                         .secret_header = auth,
                                         .tls = &c->tls,
                                         .user_agent = c->user_agent,
                                         .body = req->body,
                                         .body_len = req->body_len,
                                         .upload = req->upload,
                                         .upload_size = req->upload != NULL ? req->upload_size : -1,
                                         .expect_continue = req->expect_continue};
            char err[CURL_ERROR_SIZE + 64];
            status = docker_transfer_start(ctx, &spec, &t, err, sizeof err);
            had_auth = auth != NULL;
            docker_secret_free(auth);
            if (status != FERRY_OK) {
                svc->log(ctx, FERRY_LOG_DEBUG, "%s %.*s: %s", req->method, (int)strcspn(url, "?"), url,
                         err[0] != '\0' ? err : "aborted");
                if (!req->quiet)
                    status = docker_transport_error(ctx, c->ref, status, req->what, err);
                break;
            }
        }
        long code = docker_transfer_status(t);
        /* Queries are left out: presigned redirect URLs carry signatures. */
        svc->log(ctx, FERRY_LOG_DEBUG, "%s %.*s: HTTP %ld", req->method, (int)strcspn(url, "?"), url, code);
        int repeatable = !docker_transfer_upload_touched(t) && !req->quiet;
        if (code == 401 && own && repeatable && auth_retries < DOCKER_AUTH_RETRIES) {
            int learnt = 0;
            if (!had_auth) {
                pthread_mutex_lock(&c->resolve_lock);
                learnt = docker_client_learn_locked(c, ctx, t);
                pthread_mutex_unlock(&c->resolve_lock);
            }
            char *wider = learnt ? NULL : docker_insufficient_scope(t);
            if (learnt || (had_auth && wider != NULL && (extra == NULL || strcmp(wider, extra) != 0))) {
                if (wider != NULL) {
                    svc->log(ctx, FERRY_LOG_DEBUG, "%s: the registry asks for scope %s", c->ref->label, wider);
                    free(extra);
                    extra = wider;
                }
                auth_retries++;
                docker_transfer_free(t, ctx);
                continue;
            }
            free(wider);
            if (had_auth && !fresh && !refresh) {
                /* A cached token the registry no longer takes. */
                refresh = 1;
                auth_retries++;
                docker_transfer_free(t, ctx);
                continue;
            }
            if (!had_auth && docker_client_has_challenges(c) && auth_retries == 0) {
                /* The first answer of a probe, sent without credentials. */
                auth_retries++;
                docker_transfer_free(t, ctx);
                continue;
            }
        }
        if (code == 429 && repeatable && attempts_429 + 1 < DOCKER_429_ATTEMPTS) {
            double wait = docker_retry_after(t, backoff);
            if (wait > DOCKER_429_MAX_WAIT)
                wait = DOCKER_429_MAX_WAIT;
            svc->log(ctx, FERRY_LOG_INFO, "%s: too many requests, waiting %.0f s before trying again", c->ref->label,
                     wait);
            docker_transfer_free(t, ctx);
            attempts_429++;
            backoff *= 2;
            status = docker_sleep(ctx, wait);
            if (status != FERRY_OK) {
                status = svc->set_error(ctx, status, "%s: %s: cancelled", c->ref->label, req->what);
                break;
            }
            continue;
        }
        const char *location = docker_transfer_header(t, "Location", 0);
        if (req->follow_redirects && (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) &&
            location != NULL && redirects < DOCKER_REDIRECTS_MAX) {
            char *next = docker_url_resolve(url, location);
            docker_transfer_free(t, ctx);
            if (next == NULL) {
                status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: %s: unusable redirect", c->ref->label, req->what);
                break;
            }
            free(url);
            url = next;
            redirects++;
            continue;
        }
        *out = t;
        status = FERRY_OK;
        break;
    }
    free(extra);
    free(url);
    return status;
}

int docker_client_expect(docker_client *c, ferry_ctx *ctx, const docker_request *req, long lo, long hi,
                         docker_transfer **out)
{
    docker_transfer *t = NULL;
    *out = NULL;
    int status = docker_client_send(c, ctx, req, &t);
    if (status != FERRY_OK)
        return status;
    long code = docker_transfer_status(t);
    if (code < lo || code > hi) {
        status = docker_response_error(c, ctx, t, req->what);
        docker_transfer_free(t, ctx);
        return status;
    }
    *out = t;
    return FERRY_OK;
}
