/* plugins/docker/auth.c — authentication to a registry: parsing
 * WWW-Authenticate challenges, Basic credentials, the bearer token flow of
 * distribution's token specification (GET on the realm with Basic
 * credentials, or an OAuth2 POST with the refresh token when the user has
 * an identity token; a --registry-token is used as the bearer directly),
 * and the module-wide token cache.
 *
 * Tokens are cached per registry, realm, service, scope set and credentials
 * (the key is a hash: neither credentials nor tokens appear in it) and
 * reused until shortly before they expire; expiry is measured on our own
 * monotonic clock from the moment the token arrived, so that a skewed
 * server clock cannot make us use dead tokens. Credentials and tokens are
 * never logged, and are wiped from memory when freed. */
#include "docker.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DOCKER_TOKEN_CACHE_MAX 64
#define DOCKER_TOKEN_DEFAULT_LIFETIME 60

void docker_secret_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* ---- challenges ---- */

static int docker_is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+.^_`|~-/", c) != NULL);
}

/* Reads a token or quoted-string value at *p into a malloc'd string. */
static char *docker_challenge_value(const char **p)
{
    const char *s = *p;
    size_t cap = strlen(s) + 1;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    if (*s == '"') {
        s++;
        while (*s != '\0' && *s != '"') {
            if (*s == '\\' && s[1] != '\0')
                s++;
            out[n++] = *s++;
        }
        if (*s == '"')
            s++;
    } else {
        while (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t')
            out[n++] = *s++;
    }
    out[n] = '\0';
    *p = s;
    return out;
}

size_t docker_challenges_parse_value(const char *p, docker_challenge *out, size_t n, size_t cap)
{
    docker_challenge *cur = NULL;
    int have_scheme = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *tok = p;
        while (docker_is_tchar(*p))
            p++;
        size_t toklen = (size_t)(p - tok);
        if (toklen == 0) {
            p++; /* stray character: skip it */
            continue;
        }
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '=' && have_scheme) {
            p = q + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            char *value = docker_challenge_value(&p);
            if (cur == NULL || value == NULL) {
                free(value);
                continue;
            }
            char **slot = NULL;
            if (toklen == 5 && strncasecmp(tok, "realm", 5) == 0)
                slot = &cur->realm;
            else if (toklen == 7 && strncasecmp(tok, "service", 7) == 0)
                slot = &cur->service;
            else if (toklen == 5 && strncasecmp(tok, "scope", 5) == 0)
                slot = &cur->scope;
            else if (toklen == 5 && strncasecmp(tok, "error", 5) == 0)
                slot = &cur->error;
            if (slot != NULL && *slot == NULL)
                *slot = value;
            else
                free(value);
            continue;
        }
        /* A new scheme. */
        have_scheme = 1;
        cur = NULL;
        if (n < cap && toklen < sizeof out[n].scheme) {
            cur = &out[n++];
            memset(cur, 0, sizeof *cur);
            for (size_t i = 0; i < toklen; i++)
                cur->scheme[i] = (char)tolower((unsigned char)tok[i]);
        }
    }
    return n;
}

size_t docker_challenges_parse(const docker_transfer *t, docker_challenge *out, size_t cap)
{
    size_t n = 0;
    const char *v;
    for (int i = 0; (v = docker_transfer_header(t, "WWW-Authenticate", i)) != NULL; i++)
        n = docker_challenges_parse_value(v, out, n, cap);
    return n;
}

void docker_challenges_free(docker_challenge *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].realm);
        free(c[i].service);
        free(c[i].scope);
        free(c[i].error);
        memset(&c[i], 0, sizeof c[i]);
    }
}

/* ---- token cache ---- */

static void docker_token_value_free(void *value)
{
    docker_secret_free(value);
}

static docker_cache docker_tokens = DOCKER_CACHE_INIT(DOCKER_TOKEN_CACHE_MAX, docker_token_value_free);

static int docker_token_copy(const void *value, void *arg)
{
    char **out = arg;
    *out = strdup(value);
    return *out != NULL ? 0 : -1;
}

static char *docker_token_cache_get(const char *key)
{
    char *token = NULL;
    if (docker_cache_get(&docker_tokens, key, docker_token_copy, &token) != 0)
        return NULL;
    return token;
}

void docker_auth_release(void)
{
    docker_cache_clear(&docker_tokens);
}

/* ---- token requests ---- */

/* The scopes a request needs: the client's repository, plus extra ones
 * (space-separated, as servers send them in insufficient_scope). */
static size_t docker_scopes(const docker_client *c, const char *extra, char **scopes, size_t cap, char *primary,
                            size_t primary_cap)
{
    size_t n = 0;
    if (!c->no_scope && c->ref->path[0] != '\0') {
        snprintf(primary, primary_cap, "repository:%s:%s", c->ref->path, c->actions);
        scopes[n++] = primary;
    }
    for (const char *p = extra; p != NULL && *p != '\0' && n < cap;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len > 0 && (n == 0 || strncmp(scopes[0], p, len) != 0 || scopes[0][len] != '\0'))
            scopes[n++] = strndup(p, len);
        p += len;
    }
    return n;
}

static void docker_scopes_free(char **scopes, size_t n, const char *primary)
{
    for (size_t i = 0; i < n; i++)
        if (scopes[i] != primary)
            free(scopes[i]);
}

/* Query (GET) or form (POST) parameters of a token request. */
static char *docker_token_params(const docker_client *c, const docker_challenge *ch, char **scopes, size_t nscopes,
                                 int oauth)
{
    char *q = strdup("");
    int ok = q != NULL;
    const char *sep = "";
#define DOCKER_PARAM(name, value)                                                                   \
    do {                                                                                            \
        char *grown = ok ? plugin_util_printf("%s%s%s=", q, sep, name) : NULL;                      \
        free(q);                                                                                    \
        q = grown;                                                                                  \
        ok = q != NULL && docker_url_append_escaped(&q, value) == 0;                                \
        sep = "&";                                                                                  \
    } while (0)
    if (!oauth && c->username != NULL && c->username[0] != '\0')
        DOCKER_PARAM("account", c->username);
    if (ch->service != NULL && ch->service[0] != '\0')
        DOCKER_PARAM("service", ch->service);
    for (size_t i = 0; i < nscopes; i++)
        DOCKER_PARAM("scope", scopes[i]);
    if (oauth) {
        DOCKER_PARAM("grant_type", "refresh_token");
        DOCKER_PARAM("refresh_token", c->identity_token);
        DOCKER_PARAM("client_id", "ferry");
    }
#undef DOCKER_PARAM
    if (!ok) {
        docker_secret_free(q);
        return NULL;
    }
    return q;
}

/* Parses a token response body. */
static int docker_token_parse(const char *body, size_t len, char **token, long *lifetime)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    const char *t = json_string_value(json_object_get(root, "token"));
    if (t == NULL || t[0] == '\0')
        t = json_string_value(json_object_get(root, "access_token"));
    json_t *expires = json_object_get(root, "expires_in");
    *lifetime = json_is_integer(expires) && json_integer_value(expires) > 0 ? (long)json_integer_value(expires)
                                                                             : DOCKER_TOKEN_DEFAULT_LIFETIME;
    *token = t != NULL && t[0] != '\0' ? strdup(t) : NULL;
    json_decref(root);
    return *token != NULL ? 0 : -1;
}

/* Asks the realm for a token covering scopes. */
static int docker_token_fetch(docker_client *c, ferry_ctx *ctx, const docker_challenge *ch, char **scopes,
                              size_t nscopes, char **token, double *expires)
{
    const ferry_services *svc = c->svc;
    const char *label = c->ref->label;
    if (ch->realm == NULL || (strncmp(ch->realm, "https://", 8) != 0 && strncmp(ch->realm, "http://", 7) != 0))
        return svc->set_error(ctx, FERRY_ERR_AUTH, "%s: registry %s asks for a bearer token without a usable realm",
                              label, c->ref->domain);
    int oauth = c->identity_token != NULL && c->identity_token[0] != '\0';
    char *params = docker_token_params(c, ch, scopes, nscopes, oauth);
    char *url = NULL;
    char *basic = NULL;
    if (params != NULL && !oauth)
        url = plugin_util_printf("%s%s%s", ch->realm, strchr(ch->realm, '?') != NULL ? "&" : "?", params);
    else if (params != NULL)
        url = strdup(ch->realm);
    if (!oauth && c->username != NULL && c->username[0] != '\0' && c->password != NULL && c->password[0] != '\0') {
        char *pair = plugin_util_printf("%s:%s", c->username, c->password);
        char *b64 = pair != NULL ? docker_base64(pair, strlen(pair)) : NULL;
        basic = b64 != NULL ? plugin_util_printf("Authorization: Basic %s", b64) : NULL;
        docker_secret_free(pair);
        docker_secret_free(b64);
        if (basic == NULL) {
            docker_secret_free(params);
            free(url);
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        }
    }
    if (url == NULL) {
        docker_secret_free(params);
        docker_secret_free(basic);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    const char *form_headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    docker_transfer_spec spec = {.method = oauth ? "POST" : "GET",
                                 .url = url,
                                 .headers = oauth ? form_headers : NULL,
                                 .secret_header = basic,
                                 .tls = &c->tls,
                                 .user_agent = c->user_agent,
                                 .body = oauth ? params : NULL,
                                 .body_len = oauth ? strlen(params) : 0,
                                 .upload_size = -1};
    svc->log(ctx, FERRY_LOG_DEBUG, "%s: requesting a token (%s) from %s", label, oauth ? "OAuth2" : "GET", ch->realm);
    docker_transfer *t = NULL;
    char err[512];
    int status = docker_transfer_start(ctx, &spec, &t, err, sizeof err);
    docker_secret_free(basic);
    docker_secret_free(params);
    free(url);
    char what[600];
    snprintf(what, sizeof what, "requesting a bearer token from %s", ch->realm);
    if (status != FERRY_OK)
        return docker_transport_error(ctx, c->ref, status, what, err);
    long code = docker_transfer_status(t);
    if (code != 200) {
        if (code == 401 || code == 403) {
            snprintf(what, sizeof what, "unable to retrieve auth token: invalid username/password");
        }
        status = docker_response_error(c, ctx, t, what);
        docker_transfer_free(t, ctx);
        return status;
    }
    char *body = NULL;
    size_t len = 0;
    status = docker_transfer_read_all(t, ctx, DOCKER_SMALL_BODY_MAX, &body, &len, err, sizeof err);
    docker_transfer_free(t, ctx);
    if (status != FERRY_OK)
        return docker_transport_error(ctx, c->ref, status, what, err);
    long lifetime = 0;
    int bad = docker_token_parse(body, len, token, &lifetime);
    explicit_bzero(body, len);
    free(body);
    if (bad)
        return svc->set_error(ctx, FERRY_ERR_AUTH, "%s: %s: the answer holds no token", label, what);
    /* Renew a little before the end, more so for long-lived tokens. */
    double margin = lifetime >= 40 ? 10.0 : (double)lifetime / 4.0;
    *expires = docker_monotonic() + (double)lifetime - margin;
    return FERRY_OK;
}

/* Cache key: a hash of everything that selects a token. */
static int docker_token_key(docker_client *c, const docker_challenge *ch, char **scopes, size_t nscopes, char *key,
                            size_t cap)
{
    const ferry_services *svc = c->svc;
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return -1;
    const char *parts[] = {c->ref->api_host, ch->realm != NULL ? ch->realm : "",
                           ch->service != NULL ? ch->service : "", c->cred_id};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        svc->hasher_update(h, parts[i], strlen(parts[i]) + 1);
    for (size_t i = 0; i < nscopes; i++)
        svc->hasher_update(h, scopes[i], strlen(scopes[i]) + 1);
    int rc = svc->hasher_final(h, key, cap);
    svc->hasher_free(h);
    return rc == FERRY_OK ? 0 : -1;
}

static int docker_bearer(docker_client *c, ferry_ctx *ctx, const docker_challenge *ch, const char *extra_scope,
                         int mode, char **header, int *fresh)
{
    const ferry_services *svc = c->svc;
    char primary[1024];
    char *scopes[8];
    size_t nscopes = docker_scopes(c, extra_scope, scopes, 8, primary, sizeof primary);
    for (size_t i = 0; i < nscopes; i++)
        if (scopes[i] == NULL) {
            docker_scopes_free(scopes, nscopes, primary);
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
        }
    char key[PLUGIN_UTIL_DIGEST_MAX];
    if (docker_token_key(c, ch, scopes, nscopes, key, sizeof key) != 0) {
        docker_scopes_free(scopes, nscopes, primary);
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: cannot hash a token cache key", c->ref->label);
    }
    int refresh = mode == DOCKER_TOKEN_NEW;
    char *token = refresh ? NULL : docker_token_cache_get(key);
    int status = FERRY_OK;
    if (token == NULL && mode == DOCKER_TOKEN_CACHED) {
        docker_scopes_free(scopes, nscopes, primary);
        return FERRY_OK; /* no header: the registry may refuse, quietly */
    }
    if (token == NULL) {
        /* One request per client at a time: parallel blob calls that all
         * miss the cache wait for the first one's token. */
        pthread_mutex_lock(&c->token_lock);
        token = refresh ? NULL : docker_token_cache_get(key);
        if (token == NULL) {
            double expires = 0;
            status = docker_token_fetch(c, ctx, ch, scopes, nscopes, &token, &expires);
            char *cached = status == FERRY_OK ? strdup(token) : NULL;
            if (cached != NULL)
                docker_cache_put(&docker_tokens, key, cached, expires);
            *fresh = status == FERRY_OK;
        }
        pthread_mutex_unlock(&c->token_lock);
    }
    docker_scopes_free(scopes, nscopes, primary);
    if (status != FERRY_OK)
        return status;
    *header = plugin_util_printf("Authorization: Bearer %s", token);
    docker_secret_free(token);
    if (*header == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    return FERRY_OK;
}

int docker_auth_header(docker_client *c, ferry_ctx *ctx, const char *extra_scope, int mode, char **header,
                       int *fresh)
{
    *header = NULL;
    *fresh = 0;
    /* As containers/image: the first challenge of a scheme we speak wins. */
    const docker_challenge *all = NULL;
    size_t n = docker_client_challenges(c, &all);
    for (size_t i = 0; i < n; i++) {
        const docker_challenge *ch = &all[i];
        if (strcmp(ch->scheme, "basic") == 0) {
            if (c->username == NULL || c->username[0] == '\0')
                return FERRY_OK;
            char *pair = plugin_util_printf("%s:%s", c->username, c->password != NULL ? c->password : "");
            char *b64 = pair != NULL ? docker_base64(pair, strlen(pair)) : NULL;
            *header = b64 != NULL ? plugin_util_printf("Authorization: Basic %s", b64) : NULL;
            docker_secret_free(pair);
            docker_secret_free(b64);
            if (*header == NULL)
                return c->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
            return FERRY_OK;
        }
        if (strcmp(ch->scheme, "bearer") == 0) {
            if (c->registry_token != NULL && c->registry_token[0] != '\0') {
                *header = plugin_util_printf("Authorization: Bearer %s", c->registry_token);
                if (*header == NULL)
                    return c->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
                return FERRY_OK;
            }
            return docker_bearer(c, ctx, ch, extra_scope, mode, header, fresh);
        }
    }
    return FERRY_OK;
}
