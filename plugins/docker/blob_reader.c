/* plugins/docker/blob_reader.c — the reader get_blob returns: the body of
 * GET /v2/NAME/blobs/DIGEST streamed through the transfer's bounded buffer
 * (redirects to object stores followed without credentials, 429 waited
 * out by the client). When the connection drops mid-body, the reader asks
 * again with "Range: bytes=N-" and accepts only a 206 whose Content-Range
 * starts at N; a server that answers 200 instead cannot resume us, and the
 * blob fails (the core may retry the whole copy) rather than being fed
 * bytes twice. Resumption gives up after a few attempts that made no
 * progress. The core verifies digest and size of what we deliver. */
#include "docker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCKER_RESUME_TRIES 3 /* consecutive drops without progress */
#define DOCKER_RESUME_MAX 50  /* drops in all, progress or not */

typedef struct docker_blob_reader {
    ferry_reader base;
    docker_client *client; /* the source's; it outlives its readers */
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    char *path;
    docker_transfer *t;
    uint64_t offset;      /* bytes delivered */
    int64_t total;        /* expected size, -1 when unknown */
    uint64_t last_drop;   /* offset of the previous drop */
    int drops;            /* consecutive drops without progress */
    int resumes;          /* every drop */
} docker_blob_reader;

int docker_content_range_start(const char *v, uint64_t *start)
{
    if (v == NULL || strncmp(v, "bytes ", 6) != 0)
        return -1;
    char *end = NULL;
    unsigned long long s = strtoull(v + 6, &end, 10);
    if (end == v + 6 || *end != '-')
        return -1;
    *start = s;
    return 0;
}

/* (Re)connects at r->offset. */
static int docker_blob_reader_connect(docker_blob_reader *r, ferry_ctx *ctx)
{
    docker_client *c = r->client;
    const ferry_services *svc = c->svc;
    char range[64];
    const char *headers[] = {range, NULL};
    snprintf(range, sizeof range, "Range: bytes=%" PRIu64 "-", r->offset);
    char what[PLUGIN_UTIL_DIGEST_MAX + 32];
    snprintf(what, sizeof what, "reading blob %s", r->digest);
    docker_request req = {.method = "GET",
                          .target = r->path,
                          .headers = r->offset > 0 ? headers : NULL,
                          .follow_redirects = 1,
                          .what = what};
    docker_transfer *t = NULL;
    int status = docker_client_send(c, ctx, &req, &t);
    if (status != FERRY_OK)
        return status;
    long code = docker_transfer_status(t);
    if (r->offset == 0 && code == 200) {
        const char *cl = docker_transfer_header(t, "Content-Length", 0);
        if (r->total < 0 && cl != NULL)
            r->total = (int64_t)strtoll(cl, NULL, 10);
        r->t = t;
        return FERRY_OK;
    }
    if (r->offset > 0 && code == 206) {
        uint64_t start = 0;
        if (docker_content_range_start(docker_transfer_header(t, "Content-Range", 0), &start) != 0 ||
            start != r->offset) {
            docker_transfer_free(t, NULL);
            return svc->set_error(ctx, FERRY_ERR_IO,
                                  "%s: %s: the server resumed at another offset than byte %" PRIu64, c->ref->label,
                                  what, r->offset);
        }
        r->t = t;
        return FERRY_OK;
    }
    if (r->offset > 0 && code == 200) {
        docker_transfer_free(t, NULL);
        return svc->set_error(ctx, FERRY_ERR_TRANSIENT,
                              "%s: %s: connection lost after %" PRIu64 " bytes and the server does not support "
                              "resuming (Range ignored)",
                              c->ref->label, what, r->offset);
    }
    status = docker_response_error(c, ctx, t, what);
    docker_transfer_free(t, ctx);
    return status;
}

static int docker_blob_reader_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread,
                                   int *eos)
{
    docker_blob_reader *r = (docker_blob_reader *)reader;
    const ferry_services *svc = r->client->svc;
    *nread = 0;
    *eos = 0;
    for (;;) {
        if (r->t == NULL) {
            int status = docker_blob_reader_connect(r, ctx);
            if (status != FERRY_OK)
                return status;
        }
        char err[CURL_ERROR_SIZE + 64];
        int status = docker_transfer_read(r->t, ctx, buf, len, nread, eos, err, sizeof err);
        if (status == FERRY_OK) {
            r->offset += *nread;
            if (*eos && r->total >= 0 && r->offset < (uint64_t)r->total) {
                /* Ended cleanly but short: treat as a dropped connection. */
                *eos = 0;
                if (*nread > 0)
                    return FERRY_OK;
                snprintf(err, sizeof err, "the body ended after %" PRIu64 " of %" PRId64 " bytes", r->offset,
                         r->total);
                status = FERRY_ERR_TRANSIENT;
            } else {
                return FERRY_OK;
            }
        }
        char what[PLUGIN_UTIL_DIGEST_MAX + 32];
        snprintf(what, sizeof what, "reading blob %s", r->digest);
        if (status != FERRY_ERR_TRANSIENT)
            return docker_transport_error(ctx, r->client->ref, status, what, err);
        docker_transfer_free(r->t, NULL);
        r->t = NULL;
        if (r->offset > r->last_drop)
            r->drops = 0;
        r->last_drop = r->offset;
        if (++r->drops > DOCKER_RESUME_TRIES || ++r->resumes > DOCKER_RESUME_MAX)
            return docker_transport_error(ctx, r->client->ref, status, what, err);
        svc->log(ctx, FERRY_LOG_INFO, "%s: %s: connection lost after %" PRIu64 " bytes (%s), resuming",
                 r->client->ref->label, what, r->offset, err);
        if (r->drops > 1 && (status = docker_sleep(ctx, (double)(r->drops - 1))) != FERRY_OK)
            return svc->set_error(ctx, status, "%s: %s: cancelled", r->client->ref->label, what);
    }
}

static void docker_blob_reader_close(ferry_reader *reader)
{
    docker_blob_reader *r = (docker_blob_reader *)reader;
    docker_transfer_free(r->t, NULL);
    free(r->path);
    free(r);
}

static int64_t docker_blob_reader_size(ferry_reader *reader)
{
    return ((docker_blob_reader *)reader)->total;
}

static const ferry_reader_ops docker_blob_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = docker_blob_reader_read,
    .close = docker_blob_reader_close,
    .digest = NULL,
    .size = docker_blob_reader_size,
};

int docker_blob_reader_open(docker_client *c, ferry_ctx *ctx, const char *digest, int64_t size, ferry_reader **out)
{
    const ferry_services *svc = c->svc;
    *out = NULL;
    if (digest == NULL || !svc->digest_is_valid(digest))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", c->ref->label,
                              digest != NULL ? digest : "");
    docker_blob_reader *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = plugin_util_printf("/v2/%s/blobs/%s", c->ref->path, digest)) == NULL) {
        free(r);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    }
    r->base.ops = &docker_blob_reader_ops;
    r->client = c;
    snprintf(r->digest, sizeof r->digest, "%s", digest);
    r->total = size;
    /* Connect now, so that a missing blob fails get_blob itself. */
    int status = docker_blob_reader_connect(r, ctx);
    if (status != FERRY_OK) {
        docker_blob_reader_close(&r->base);
        return status;
    }
    *out = &r->base;
    return FERRY_OK;
}
