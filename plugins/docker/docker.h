/* plugins/docker/docker.h — internal interface of the docker:// transport
 * module: registry references, the pooled libcurl transfer engine, TLS and
 * authentication set-up, the per-registry client, and the source,
 * destination and repository operations built on them. */
#ifndef FERRY_PLUGIN_DOCKER_H
#define FERRY_PLUGIN_DOCKER_H

#include <curl/curl.h>
#include <ferry/ferry.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "docker_name.h"
#include "plugin_util.h"

/* Limits on what a registry may make us hold in memory (CVE-2020-1702). */
#define DOCKER_MANIFEST_MAX (4 * 1024 * 1024)
#define DOCKER_SMALL_BODY_MAX (1024 * 1024) /* error and token bodies */
#define DOCKER_TAGS_BODY_MAX (8 * 1024 * 1024) /* one page of a tag list */

#define DOCKER_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DOCKER_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DOCKER_MT_V2S2 "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_V2S1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define DOCKER_MT_V2S1 "application/vnd.docker.distribution.manifest.v1+json"
/* Every manifest type we can read, as containers/image asks for them. */
#define DOCKER_MANIFEST_ACCEPT                                                                               \
    "Accept: " DOCKER_MT_OCI_MANIFEST ", " DOCKER_MT_V2S2 ", " DOCKER_MT_V2S1_SIGNED ", " DOCKER_MT_V2S1 \
    ", " DOCKER_MT_LIST ", " DOCKER_MT_OCI_INDEX

/* module.c — the services table the core handed to ferry_module_init. */
const ferry_services *docker_services(void);

/* ---- reference.c: "//NAME[:TAG|@DIGEST]" (parser: plugins/common/docker_name.c) ---- */

/* Parses `text` (the part after "docker:"); on failure reports a one-line
 * FERRY_ERR_INVALID on ctx. Release with docker_reference_free. */
int docker_reference_parse(ferry_ctx *ctx, const char *text, docker_reference *out);
/* The same without reporting: 0 or -1 (for references read from blob infos). */
int docker_reference_parse_quiet(const char *text, docker_reference *out);
/* A registry alone ("host[:port]", for login): path "" and no tag. */
int docker_reference_for_registry(ferry_ctx *ctx, const char *registry, docker_reference *out);
int docker_validate_reference(ferry_ctx *ctx, const char *reference);
int docker_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* ---- url.c: URL and text helpers ---- */

/* Resolves `ref` (absolute URL, or a path relative to base) against base;
 * malloc'd, NULL when either is unusable. */
char *docker_url_resolve(const char *base, const char *ref);
/* Appends "NAME=VALUE" (VALUE percent-encoded) to the URL's query. */
char *docker_url_add_query(const char *url, const char *name, const char *value);
/* 1 when both URLs have the same scheme, host and port. */
int docker_url_same_origin(const char *a, const char *b);
/* Appends the percent-encoding of s to a malloc'd string (*out may be NULL). */
int docker_url_append_escaped(char **out, const char *s);
/* Standard base64 of data, malloc'd. */
char *docker_base64(const void *data, size_t len);

/* ---- cache.c: module-wide caches with expiry ---- */

typedef struct docker_cache_entry {
    char *key;
    double expires; /* docker_monotonic() seconds */
    void *value;
    struct docker_cache_entry *next;
} docker_cache_entry;

typedef struct docker_cache {
    pthread_mutex_t lock;
    docker_cache_entry *head;
    size_t max;
    void (*free_value)(void *value);
} docker_cache;

#define DOCKER_CACHE_INIT(max, free_value) {PTHREAD_MUTEX_INITIALIZER, NULL, (max), (free_value)}

double docker_monotonic(void);
/* When key is cached and unexpired, returns copy(value, arg) (called under
 * the lock); else -1. */
int docker_cache_get(docker_cache *cache, const char *key, int (*copy)(const void *value, void *arg), void *arg);
/* Stores value (taken over, freed by the cache) under key until expires. */
void docker_cache_put(docker_cache *cache, const char *key, void *value, double expires);
void docker_cache_clear(docker_cache *cache);

/* ---- http.c: pooled libcurl transfers ---- */

typedef struct docker_tls {
    int verify;        /* verify peer and host name */
    int allow_http;    /* may fall back to plain HTTP (tls-verify=false, insecure registry) */
    char *ca_blob;     /* PEM: system bundle + certs.d *.crt, or NULL for curl's default */
    size_t ca_len;
    char *client_cert; /* certs.d *.cert / *.key pair (paths), or NULL */
    char *client_key;
} docker_tls;

typedef struct docker_transfer docker_transfer;

typedef struct docker_transfer_spec {
    const char *method; /* GET HEAD POST PUT PATCH DELETE */
    const char *url;
    const char *const *headers; /* "Name: value" lines, NULL-terminated, or NULL */
    const char *secret_header;  /* Authorization line, wiped from memory after use; or NULL */
    const docker_tls *tls;
    const char *user_agent;
    /* Request body: memory (body, body_len), or pulled from `upload`
     * (upload_size bytes, or -1: chunked transfer encoding), or none. */
    const void *body;
    size_t body_len;
    ferry_reader *upload;
    int64_t upload_size;
    int expect_continue; /* wait for "100 Continue" before sending an upload */
} docker_transfer_spec;

/* Starts a transfer and runs it until the head of the final response
 * (after any 1xx) has arrived: status and headers are then known, the body
 * waits to be read. Returns FERRY_OK, or a status with a one-line reason in
 * err (nothing reported on ctx: the caller words it). A failed upload
 * read returns the reader's status (already reported by the core) with an
 * empty err. */
int docker_transfer_start(ferry_ctx *ctx, const docker_transfer_spec *spec, docker_transfer **out, char *err,
                          size_t errcap);
/* Starts two transfers at once (e.g. the same request over HTTPS and over
 * plain HTTP) and keeps the first one if it gets a response head, else the
 * second if that does (*winner 0 or 1); the other is dropped. Fails with
 * the first one's reason when neither answers. */
int docker_transfer_race(ferry_ctx *ctx, const docker_transfer_spec *first, const docker_transfer_spec *second,
                         docker_transfer **out, int *winner, char *err, size_t errcap);
long docker_transfer_status(const docker_transfer *t);
/* Value of the first response header `name` (case-insensitive), or NULL;
 * valid until the transfer is freed. `index` selects later occurrences. */
const char *docker_transfer_header(const docker_transfer *t, const char *name, int index);
/* 1 once the streamed request body was read from (it cannot be sent again). */
int docker_transfer_upload_touched(const docker_transfer *t);
/* 1 when the streamed request body reached its end of stream. */
int docker_transfer_upload_eos(const docker_transfer *t);
/* Reads body bytes; *nread 0 only with *eos. On failure (connection lost,
 * cancelled) returns a status with the reason in err. */
int docker_transfer_read(docker_transfer *t, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos,
                         char *err, size_t errcap);
/* Reads the whole body, refusing more than max bytes (FERRY_ERR_TOO_LARGE,
 * also before reading when Content-Length says so). NUL-terminated. */
int docker_transfer_read_all(docker_transfer *t, ferry_ctx *ctx, size_t max, char **data, size_t *len, char *err,
                             size_t errcap);
/* Ends the transfer: a short unread body is drained so that the connection
 * stays reusable; then the connection returns to the pool. NULL-safe. */
void docker_transfer_free(docker_transfer *t, ferry_ctx *ctx);
/* Waits `seconds`, polling cancellation; FERRY_ERR_CANCELLED when it fires. */
int docker_sleep(ferry_ctx *ctx, double seconds);
/* Module-wide pool, created on first use; released by the module's unload. */
void docker_http_release(void);
/* Path of the CA bundle curl uses by default (for merging with certs.d). */
const char *docker_http_default_cafile(void);

/* ---- tls.c: tls-verify, registries.conf insecure/blocked, certs.d ---- */

/* endpoint_insecure: a registries.conf pull source's own insecure setting
 * (0 or 1), or -1 to look the reference's name up. An explicit tls-verify
 * option wins over both. */
int docker_tls_setup(ferry_ctx *ctx, const docker_reference *ref, int endpoint_insecure, docker_tls *out);
void docker_tls_free(docker_tls *tls);

/* ---- auth.c: WWW-Authenticate, bearer tokens, token cache ---- */

#define DOCKER_MAX_CHALLENGES 4

typedef struct docker_challenge {
    char scheme[16]; /* lowercase: "basic", "bearer" */
    char *realm;
    char *service;
    char *scope;
    char *error;
} docker_challenge;

/* Parses every WWW-Authenticate header of a response into out (at most
 * DOCKER_MAX_CHALLENGES); returns the count. */
size_t docker_challenges_parse(const docker_transfer *t, docker_challenge *out, size_t cap);
/* One WWW-Authenticate value: challenges "Scheme param=value, ...", possibly
 * several, separated by commas, added to out[n..cap). Returns the new count. */
size_t docker_challenges_parse_value(const char *value, docker_challenge *out, size_t n, size_t cap);
void docker_challenges_free(docker_challenge *c, size_t n);
/* Drops every cached token (module unload). */
void docker_auth_release(void);

/* ---- client.c: one registry, one repository, one set of credentials ---- */

typedef struct docker_client {
    const ferry_services *svc;
    const docker_reference *ref; /* borrowed from the owner, which outlives the client */
    docker_tls tls;
    char *origin;     /* "https://host[:port]" once resolved */
    char *user_agent;
    const char *actions; /* token scope actions: "pull", "pull,push", "*" */
    int no_scope;        /* login check: ask tokens for no repository */
    int stored_credentials_only; /* a mirror on another host: not the command line's credentials */
    /* credentials, copied (never logged) */
    char *username, *password, *identity_token, *registry_token;
    char cred_id[PLUGIN_UTIL_DIGEST_MAX]; /* hash of the credentials, keys the token cache */
    /* Learnt from the first answer: set once under resolve_lock. */
    int resolved;
    docker_challenge challenges[DOCKER_MAX_CHALLENGES];
    size_t n_challenges;
    pthread_mutex_t resolve_lock;
    pthread_mutex_t token_lock; /* one token request at a time per client */
} docker_client;

/* Reads options and credentials and sets up TLS; the registry is first
 * contacted by the first request. `actions` is kept as given (a literal). */
int docker_client_open(ferry_ctx *ctx, const docker_reference *ref, const char *actions, docker_client **out);
/* The same for one registries.conf pull source: endpoint_insecure as in
 * docker_tls_setup; stored_credentials_only for a source on another host
 * than the reference named (containers/image drops --creds there too). */
int docker_client_open_endpoint(ferry_ctx *ctx, const docker_reference *ref, const char *actions,
                                int endpoint_insecure, int stored_credentials_only, docker_client **out);
void docker_client_free(docker_client *c);
/* The known challenges (entries stay valid while the client lives). */
size_t docker_client_challenges(docker_client *c, const docker_challenge **out);
/* Forgets the cached /v2/ answers (module unload). */
void docker_client_release(void);

typedef struct docker_request {
    const char *method;
    const char *target; /* "/v2/…" on the registry, or an absolute URL (upload locations) */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    const void *body;           /* memory body (may be repeated on 401/429) */
    size_t body_len;
    ferry_reader *upload; /* streamed body (never repeated once read from) */
    int64_t upload_size;
    int expect_continue;
    const char *extra_scope; /* e.g. "repository:other/repo:pull" for a mount */
    int follow_redirects;    /* GET/HEAD of blobs: follow 3xx, credentials only to the registry */
    const char *what;        /* words errors: "reading manifest latest" */
    int quiet; /* clean-up after a failure: reports nothing, uses only cached tokens, no retries */
} docker_request;

/* Sends a request with authentication, token refresh on 401, scope
 * widening on insufficient_scope, 429 waits (Retry-After, bounded) and
 * redirects. Returns FERRY_OK with the transfer at the head of the final
 * response, whatever its status, or an error already reported on ctx. */
int docker_client_send(docker_client *c, ferry_ctx *ctx, const docker_request *req, docker_transfer **out);
/* How docker_auth_header may get a bearer token. */
#define DOCKER_TOKEN_CACHED_OR_NEW 0
#define DOCKER_TOKEN_NEW 1  /* the cached one was refused */
#define DOCKER_TOKEN_CACHED 2 /* never ask the realm (quiet requests) */
/* docker_client_send, then any status outside [lo, hi] is reported with
 * docker_response_error (req->what) and returned as an error. */
int docker_client_expect(docker_client *c, ferry_ctx *ctx, const docker_request *req, long lo, long hi,
                         docker_transfer **out);
/* Authorization header line for a request to the registry, or NULL when
 * none applies; *fresh tells whether a token was just fetched. malloc'd;
 * free with docker_secret_free. */
int docker_auth_header(docker_client *c, ferry_ctx *ctx, const char *extra_scope, int mode, char **header,
                       int *fresh);
void docker_secret_free(char *s);
/* Absolute URL of a registry path. */
char *docker_client_url(const docker_client *c, const char *target);
/* 1 when url is on the registry itself (credentials may go there). */
int docker_client_owns_url(const docker_client *c, const char *url);

/* ---- referrers.c: OCI referrers (API, else the referrers tag schema) ---- */

/* The referrers tag schema's tag of a digest ("sha256-<hex>"): 0, or -1. */
int docker_referrers_tag(const char *digest, char *out, size_t cap);
/* Emits the descriptors of the referrers of `subject` in c's repository:
 * the referrers API's when the registry has it, else the fallback tag's. */
int docker_referrers_list(docker_client *c, ferry_ctx *ctx, const char *subject,
                          int (*emit)(void *opaque, const char *json, size_t len), void *opaque);
/* The fallback tag index of `subject`: *index, or NULL when there is none. */
int docker_referrers_tag_read(docker_client *c, ferry_ctx *ctx, const char *subject, json_t **index);
/* The bytes of `index` (NULL: a new one) with the descriptors not in it yet
 * appended (malloc'd), or NULL when nothing is added to an existing index
 * (or out of memory: *len 0 either way). */
char *docker_referrers_merge(json_t *index, const json_t *descriptors, size_t *len);
/* The next page from a Link header (`<URL>; rel="next"`), absolute and on
 * the registry, or NULL (repo.c). */
char *docker_next_page(const docker_client *c, const char *current, const char *link);
/* Frees url and returns next, or NULL when next is url again (a page
 * pointing at itself would never end). */
char *docker_next_page_advance(char *url, char *next);

/* ---- errors.c: registry answers to one-line errors ---- */

/* Reports a non-success response: reads the body (at most 1 MiB, never
 * when Content-Length says more), takes the registry's error code and
 * message, maps the HTTP status to a FERRY_* status, and returns it. */
int docker_response_error(docker_client *c, ferry_ctx *ctx, docker_transfer *t, const char *what);
/* Reports a transfer-level failure (curl error classified in http.c) as
 * "LABEL: WHAT: ERR". An empty err means the core's reader already
 * reported the failure: the status is returned as it is. */
int docker_transport_error(ferry_ctx *ctx, const docker_reference *ref, int status, const char *what,
                           const char *err);
/* Go's http.StatusText for the codes a registry answers with, else "". */
const char *docker_http_status_text(long code);

/* ---- blob_reader.c: streaming blob download with Range resumption ---- */

/* The START of a Content-Range value "bytes START-END/TOTAL" (TOTAL may be
 * "*"): 0 and *start, or -1 when v (may be NULL) is not of that form. */
int docker_content_range_start(const char *v, uint64_t *start);
int docker_blob_reader_open(docker_client *c, ferry_ctx *ctx, const char *digest, int64_t size, ferry_reader **out);

/* ---- registries_d.c: containers-registries.d(5), where signatures live ---- */

/* A lookaside store for one repository: BASE + "/" + repository path. */
typedef struct docker_lookaside {
    char *scheme; /* lowercase: "file", "http", "https", another, or "" */
    char *path;   /* file: the repository's directory; else NULL */
    char *url;    /* the same as a URL (before any query), for messages and http(s) */
    char *query;  /* "?…" / "#…" of the configured URL, or "" */
} docker_lookaside;

typedef struct docker_sig_config {
    docker_lookaside read, write; /* lookaside, and lookaside-staging or lookaside */
    int use_attachments;          /* use-sigstore-attachments */
} docker_sig_config;

/* Reads the registries.d directory for ref (errors: one line, as
 * containers/image words them). */
int docker_sig_config_load(ferry_ctx *ctx, const docker_reference *ref, docker_sig_config *out);
void docker_sig_config_free(docker_sig_config *c);
void docker_lookaside_free(docker_lookaside *la);

/* ---- lookaside.c: signature blobs in a lookaside store ---- */

#define DOCKER_SIGNATURE_MAX (4 * 1024 * 1024) /* one signature (iolimits.MaxSignatureBodySize) */
#define DOCKER_SIG_FORMAT_SIMPLE "simple-signing"
#define DOCKER_SIG_FORMAT_SIGSTORE "sigstore-json"
#define DOCKER_SIG_SIMPLE 1
#define DOCKER_SIG_SIGSTORE 2
/* The format of a signature blob (containers/image's signature.FromBlob):
 * DOCKER_SIG_SIMPLE or DOCKER_SIG_SIGSTORE, or -1 with the reason in err. */
int docker_signature_kind(const void *blob, size_t len, char *err, size_t errcap);
/* Emits the signatures of the manifest `digest` (http(s) through c's TLS
 * settings). */
int docker_lookaside_read(docker_client *c, ferry_ctx *ctx, const docker_lookaside *la, const char *digest,
                          int (*emit)(void *opaque, const void *data, size_t len), void *opaque);
/* Makes exactly these `count` (> 0) signatures those of `digest`. */
int docker_lookaside_write(ferry_ctx *ctx, const docker_lookaside *la, const char *digest, size_t count,
                           const void *const *sigs, const size_t *lens);
/* Removes the signatures of `digest` (a deleted image's). */
int docker_lookaside_delete(ferry_ctx *ctx, const docker_lookaside *la, const char *digest);

/* ---- attachments.c: sigstore signatures as registry attachments ---- */

int docker_attachments_read(docker_client *c, ferry_ctx *ctx, const char *digest,
                            int (*emit)(void *opaque, const void *data, size_t len), void *opaque);
/* Adds the sigstore blobs not yet attached; blobs go through dest's put_blob. */
int docker_attachments_write(ferry_image_dest *dest, docker_client *c, ferry_ctx *ctx, const char *digest,
                             size_t count, const void *const *sigs, const size_t *lens);

/* ---- upload.c: blob upload sessions ---- */

/* put_blob: POST, then the blob (closing PUT, streamed PATCH or chunks),
 * resumed from where the registry stands after a transient PATCH failure;
 * a failed session is cancelled. */
int docker_upload_blob(docker_client *client, ferry_ctx *ctx, const docker_reference *ref, ferry_reader *data,
                       const ferry_blob_info *info);
/* Location of an upload session from a 202 answer, absolute, malloc'd; NULL if none. */
char *docker_upload_location(docker_client *client, docker_transfer *t);
/* DELETE of an upload session (quiet: a failure only goes to the debug log). */
void docker_upload_cancel(docker_client *client, ferry_ctx *ctx, const docker_reference *ref, const char *location);

/* ---- source.c, dest.c, repo.c ---- */

int docker_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int docker_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);
int docker_list_tags(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag),
                     void *opaque);
int docker_delete_image(ferry_ctx *ctx, const char *reference);
int docker_check_credentials(ferry_ctx *ctx, const char *registry);
/* PUT of a manifest by tag or digest (`which`) in the destination's repository. */
int docker_dest_put_manifest_at(ferry_image_dest *dest, ferry_ctx *ctx, const char *which, const void *data,
                                size_t len, const char *media_type);

/* Media type of a Content-Type header value (parameters dropped) into out. */
void docker_media_type(const char *content_type, char *out, size_t cap);

#endif /* FERRY_PLUGIN_DOCKER_H */
