/* plugins/docker-daemon/daemon.h — internal interface of the docker-daemon:
 * transport module: references, the daemon connection (host, TLS, libcurl
 * requests over a unix socket or tcp), and the source and destination, which
 * move whole images as `docker save` tar streams handled by libdockarch. */
#ifndef FERRY_PLUGIN_DOCKERD_H
#define FERRY_PLUGIN_DOCKERD_H

#include <curl/curl.h>
#include <ferry/ferry.h>
#include <stddef.h>
#include <stdint.h>

#include "dockarch.h"
#include "plugin_util.h"

#define DOCKERD_DEFAULT_HOST "unix:///var/run/docker.sock"
/* Bodies held in memory (errors, image inspect, the load's message stream). */
#define DOCKERD_SMALL_BODY_MAX (1024 * 1024)

/* module.c */
const ferry_services *dockerd_services(void);
/* curl_global_init once per load; FERRY_OK or FERRY_ERR_FAILED. */
int dockerd_curl_init(void);

/* ---- reference.c: "NAME:TAG", "NAME@DIGEST" or "sha256:ID" ---- */
typedef struct dockerd_reference {
    char *label;     /* "docker-daemon:" + the reference as given */
    char *id;        /* "sha256:HEX" for an image ID, else NULL */
    char *canonical; /* "docker.io/library/busybox:latest" (or @DIGEST), else NULL */
    int tagged;      /* canonical carries a tag (a destination needs one) */
} dockerd_reference;

int dockerd_reference_parse(ferry_ctx *ctx, const char *reference, dockerd_reference *out);
void dockerd_reference_free(dockerd_reference *ref);
int dockerd_validate_reference(ferry_ctx *ctx, const char *reference);
int dockerd_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* ---- client.c: the Engine API endpoint ---- */
typedef struct dockerd_client {
    const char *label; /* the image reference, for messages (not owned) */
    char *host;        /* as configured, for messages: "unix:///run/docker.sock" */
    char *socket;      /* unix socket path, or NULL for tcp */
    char *base;        /* "http://localhost", "http://h:p" or "https://h:p" */
    int verify;        /* TLS: verify the daemon's certificate */
    char *ca, *cert, *key;
    char *user_agent;
} dockerd_client;

/* From the ctx's daemon-host (else $DOCKER_HOST, else the default socket),
 * cert-dir (else $DOCKER_CERT_PATH), tls-verify and user-agent-prefix. */
int dockerd_client_init(ferry_ctx *ctx, const char *label, dockerd_client *out);
void dockerd_client_free(dockerd_client *c);

/* prefix + arg percent-encoded (outside the URL-safe set) + suffix;
 * malloc'd, NULL when out of memory. */
char *dockerd_path(const char *prefix, const char *arg, const char *suffix);

/* A request with an in-memory body (or none), answer held in memory (at most
 * DOCKERD_SMALL_BODY_MAX). Transport failures are reported (naming the host);
 * an HTTP status is returned in *http for the caller to word. */
int dockerd_request(dockerd_client *c, ferry_ctx *ctx, const char *method, const char *path, long *http,
                    char **body, size_t *len);
/* GET `path` streaming a 200 body into fd (progress reported as `what`);
 * any other status leaves the body in *errbody. */
int dockerd_download(dockerd_client *c, ferry_ctx *ctx, const char *path, int fd, long *http, char **errbody,
                     size_t *errlen);
/* The daemon's words from an error body ({"message": …}), or the status. */
int dockerd_http_error(dockerd_client *c, ferry_ctx *ctx, long http, const char *body, size_t len,
                       const char *doing);

/* A streamed request body (chunked): the transfer is driven by the caller's
 * own thread, between upload_write calls, so nothing runs behind the core's
 * back; upload_abort drops the connection before the terminating chunk, which
 * makes the daemon discard what it received. */
typedef struct dockerd_upload dockerd_upload;
int dockerd_upload_start(dockerd_client *c, ferry_ctx *ctx, const char *path, const char *content_type,
                         dockerd_upload **out);
int dockerd_upload_write(dockerd_upload *u, ferry_ctx *ctx, const void *data, size_t len);
/* Ends the body and waits for the whole answer. */
int dockerd_upload_finish(dockerd_upload *u, ferry_ctx *ctx, long *http, const char **body, size_t *len);
void dockerd_upload_free(dockerd_upload *u); /* aborts an unfinished transfer */

/* ---- source.c, dest.c ---- */
int dockerd_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int dockerd_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);

#endif /* FERRY_PLUGIN_DOCKERD_H */
