/* plugins/docker/upload.c — sending one blob through a registry's upload
 * session (put_blob), and resuming the session after a connection failure.
 *
 * A POST opens the session. A blob of known digest and size then goes in the
 * closing PUT ?digest= (one round trip); otherwise it is streamed in one
 * PATCH (chunked transfer encoding), or sent as Content-Range chunks to a
 * registry that wants chunks of its own size (OCI-Chunk-Min-Length) or
 * refused the streamed PATCH before any byte went out, and closed with PUT
 * ?digest= of what the core's reader hashed. Any failure cancels the
 * session (DELETE), so nothing is left half-uploaded.
 *
 * Resuming (distribution spec, "upload progress"): when a PATCH fails for a
 * transient reason (connection reset, timeout, 5xx), the registry is asked
 * where the session stands (GET on the upload URL: 204, Range: 0-LAST) and
 * the upload goes on from LAST+1: the bytes it lacks are sent again from
 * memory as a Content-Range chunk, then the stream goes on. The core's
 * reader cannot be rewound, so a streamed upload keeps its last bytes in a
 * ring of at most DOCKER_WINDOW_MAX (memory stays bounded whatever the
 * blob's size); a chunked upload has its chunk. A registry that lost the
 * session, or stands before what memory holds, gets nothing more: the
 * failure is returned (transient), the session cancelled, and the core
 * sends the blob again from its start (per-blob retries). Docker's
 * distribution 2.x is such a registry whenever the broken PATCH delivered
 * some bytes: it then drops the session.
 *
 * No timeout of ours limits an upload: a source that pauses holds the PATCH
 * open as long as it takes (http.c sets only a connect timeout and TCP
 * keep-alive). */
#include "docker.h"
#include "upload_ring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCKER_CHUNK_DEFAULT (8 * 1024 * 1024)
#define DOCKER_CHUNK_MAX (64 * 1024 * 1024)
#define DOCKER_WINDOW_MAX (8 * 1024 * 1024) /* what a streamed upload can send again */
#define DOCKER_RESUMES_MAX 3                /* per blob */

typedef struct docker_upload {
    docker_client *client;
    const docker_reference *ref;
    const ferry_services *svc;
    char *location; /* of the session, as the registry's last answer gave it */
    int resumes;
    char what[PLUGIN_UTIL_DIGEST_MAX + 32];
} docker_upload;

/* ---- the window: the core's reader, its last bytes kept ---- */

typedef struct docker_window {
    ferry_reader base;
    ferry_reader *inner; /* the core's */
    docker_ring ring;    /* its last bytes; ring.total is the offset of the next one */
    int eos;             /* the core's reader is at its end */
    int failed;          /* the core's reader failed: nothing to resume */
} docker_window;

static int docker_window_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    docker_window *w = (docker_window *)r;
    if (w->eos) {
        *nread = 0;
        *eos = 1;
        return FERRY_OK;
    }
    int status = ferry_reader_read(w->inner, ctx, buf, len, nread, eos);
    if (status == FERRY_OK && docker_ring_keep(&w->ring, buf, *nread) != 0)
        status = docker_services()->set_error(ctx, FERRY_ERR_NO_MEMORY, "out of memory keeping an upload's bytes");
    if (status != FERRY_OK) {
        w->failed = 1;
        return status;
    }
    w->eos = *eos;
    return FERRY_OK;
}

static void docker_window_close(ferry_reader *r)
{
    (void)r; /* the window lives on the stack of docker_upload_blob */
}

static const char *docker_window_digest(ferry_reader *r)
{
    return ferry_reader_digest(((docker_window *)r)->inner);
}

static const ferry_reader_ops docker_window_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = docker_window_read,
    .close = docker_window_close,
    .digest = docker_window_digest,
};

/* ---- the session ---- */

/* Location of an upload session from a 202 answer, absolute, malloc'd. */
char *docker_upload_location(docker_client *client, docker_transfer *t)
{
    const char *loc = docker_transfer_header(t, "Location", 0);
    if (loc == NULL || loc[0] == '\0')
        return NULL;
    char *base = docker_client_url(client, "/");
    char *abs = base != NULL ? docker_url_resolve(base, loc) : NULL;
    free(base);
    return abs;
}

/* The session's next location, when the answer gives one. */
static void docker_upload_follow(docker_upload *u, docker_transfer *t)
{
    char *next = docker_upload_location(u->client, t);
    if (next != NULL) {
        free(u->location);
        u->location = next;
    }
}

void docker_upload_cancel(docker_client *client, ferry_ctx *ctx, const docker_reference *ref, const char *location)
{
    if (location == NULL)
        return;
    /* Quiet: the failure being cleaned up after keeps its message. */
    docker_request req = {.method = "DELETE", .target = location, .quiet = 1, .what = "cancelling a blob upload"};
    docker_transfer *t = NULL;
    if (docker_client_send(client, ctx, &req, &t) == FERRY_OK) {
        docker_services()->log(ctx, FERRY_LOG_DEBUG, "%s: upload cancelled (HTTP %ld)", ref->label,
                               docker_transfer_status(t));
        docker_transfer_free(t, ctx);
    }
}

/* POST …/blobs/uploads/: the session location and the minimum chunk size. */
static int docker_upload_start(docker_upload *u, ferry_ctx *ctx, int64_t *chunk_min)
{
    *chunk_min = 0;
    char *path = plugin_util_printf("/v2/%s/blobs/uploads/", u->ref->path);
    if (path == NULL)
        return u->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", u->ref->label);
    docker_request req = {.method = "POST", .target = path, .what = "starting a blob upload"};
    docker_transfer *t = NULL;
    int status = docker_client_expect(u->client, ctx, &req, 202, 202, &t);
    free(path);
    if (status != FERRY_OK)
        return status;
    u->location = docker_upload_location(u->client, t);
    const char *min = docker_transfer_header(t, "OCI-Chunk-Min-Length", 0);
    if (min != NULL)
        *chunk_min = (int64_t)strtoll(min, NULL, 10);
    docker_transfer_free(t, ctx);
    if (u->location == NULL)
        return u->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: starting a blob upload: the registry gave no Location",
                                 u->ref->label);
    return FERRY_OK;
}

/* Reads the core's reader for what must be its end (0 bytes, eos). */
static int docker_upload_expect_eos(docker_upload *u, ferry_ctx *ctx, ferry_reader *data)
{
    char probe;
    size_t n = 0;
    int eos = 0;
    int status = ferry_reader_read(data, ctx, &probe, 1, &n, &eos);
    if (status == FERRY_OK && (n != 0 || !eos))
        status = u->svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob is longer than its declared size",
                                   u->ref->label);
    return status;
}

/* The closing PUT location?digest=D, with the whole blob as its body or
 * none. On 201 the blob is in the registry. */
static int docker_upload_finish(docker_upload *u, ferry_ctx *ctx, const char *digest, ferry_reader *data,
                                int64_t size)
{
    char *url = docker_url_add_query(u->location, "digest", digest);
    if (url == NULL)
        return u->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", u->ref->label);
    const char *headers[] = {"Content-Type: application/octet-stream", NULL};
    docker_request req = {.method = "PUT",
                          .target = url,
                          .headers = headers,
                          .upload = data,
                          .upload_size = data != NULL ? size : -1,
                          .body = data == NULL ? "" : NULL,
                          .body_len = 0,
                          .what = u->what};
    docker_transfer *t = NULL;
    int status = docker_client_expect(u->client, ctx, &req, 200, 299, &t);
    free(url);
    if (status != FERRY_OK)
        return status;
    if (data != NULL && !docker_transfer_upload_eos(t))
        status = docker_upload_expect_eos(u, ctx, data);
    docker_transfer_free(t, ctx);
    return status;
}

/* PATCH of len bytes at offset (Content-Range), expecting 202. */
static int docker_upload_chunk(docker_upload *u, ferry_ctx *ctx, const char *bytes, uint64_t offset, size_t len)
{
    char range[96];
    snprintf(range, sizeof range, "Content-Range: %" PRIu64 "-%" PRIu64, offset, offset + len - 1);
    const char *headers[] = {"Content-Type: application/octet-stream", range, NULL};
    docker_request req = {
        .method = "PATCH", .target = u->location, .headers = headers, .body = bytes, .body_len = len, .what = u->what};
    docker_transfer *t = NULL;
    int status = docker_client_expect(u->client, ctx, &req, 202, 202, &t);
    if (status == FERRY_OK)
        docker_upload_follow(u, t);
    docker_transfer_free(t, ctx);
    return status;
}

/* GET on the session: 1 with *offset (the next byte the registry wants) when
 * it still knows the session, else 0. */
static int docker_upload_position(docker_upload *u, ferry_ctx *ctx, uint64_t *offset)
{
    docker_request req = {.method = "GET", .target = u->location, .quiet = 1, .what = "asking how far an upload got"};
    docker_transfer *t = NULL;
    if (docker_client_send(u->client, ctx, &req, &t) != FERRY_OK)
        return 0;
    long code = docker_transfer_status(t);
    const char *range = docker_transfer_header(t, "Range", 0);
    if (range != NULL && strncmp(range, "bytes=", 6) == 0)
        range += 6;
    unsigned long long first = 1, last = 0;
    char end = 0;
    int known = (code == 204 || code == 202) && range != NULL &&
                sscanf(range, "%llu-%llu%c", &first, &last, &end) == 2 && first == 0;
    /* "0-0" is also what distribution says of an empty session: taken as
     * empty, the Content-Range of the next chunk lets the registry check it. */
    if (known)
        *offset = last == 0 ? 0 : (uint64_t)last + 1;
    u->svc->log(ctx, FERRY_LOG_DEBUG, "%s: %s: HTTP %ld, Range %s", u->ref->label, req.what, code,
                range != NULL ? range : "(none)");
    if (known)
        docker_upload_follow(u, t);
    docker_transfer_free(t, ctx);
    return known;
}

/* After a PATCH failed with `status`: brings the session up to `total` bytes
 * from memory, which holds [held_from, total) at `held`. FERRY_OK when the
 * upload can go on from total, else the failure (its message kept). */
static int docker_upload_resume(docker_upload *u, ferry_ctx *ctx, int status, const char *held, uint64_t held_from,
                                uint64_t total)
{
    while (status == FERRY_ERR_TRANSIENT && u->resumes < DOCKER_RESUMES_MAX && !u->svc->cancelled(ctx)) {
        u->resumes++;
        uint64_t at = 0;
        if (!docker_upload_position(u, ctx, &at) || at < held_from || at > total) {
            u->svc->log(ctx, FERRY_LOG_DEBUG, "%s: %s: cannot resume (the registry lost the session or stands "
                        "before the %" PRIu64 " bytes still held)", u->ref->label, u->what, total - held_from);
            break;
        }
        u->svc->log(ctx, FERRY_LOG_DEBUG, "%s: %s: resuming at byte %" PRIu64 " of %" PRIu64 " sent", u->ref->label,
                    u->what, at, total);
        if (at == total)
            return FERRY_OK;
        status = docker_upload_chunk(u, ctx, held + (at - held_from), at, (size_t)(total - at));
    }
    return status;
}

/* Sends data as Content-Range chunks of chunk bytes. */
static int docker_upload_chunks(docker_upload *u, ferry_ctx *ctx, ferry_reader *data, int64_t chunk)
{
    char *buf = malloc((size_t)chunk);
    if (buf == NULL)
        return u->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", u->ref->label);
    uint64_t offset = 0;
    int status = FERRY_OK;
    for (int eos = 0; !eos && status == FERRY_OK;) {
        size_t have = 0;
        while (!eos && have < (size_t)chunk && status == FERRY_OK) {
            size_t n = 0;
            status = ferry_reader_read(data, ctx, buf + have, (size_t)chunk - have, &n, &eos);
            have += n;
        }
        if (status != FERRY_OK || have == 0)
            break;
        status = docker_upload_chunk(u, ctx, buf, offset, have);
        status = docker_upload_resume(u, ctx, status, buf, offset, offset + have);
        offset += have;
    }
    free(buf);
    return status;
}

/* Streams the window's reader in PATCHes: one, and after a failure from
 * where the registry stands. *fallback is set when the registry refused the
 * first before any byte was read (chunks may then work). */
static int docker_upload_stream(docker_upload *u, ferry_ctx *ctx, docker_window *w, int *fallback)
{
    *fallback = 0;
    const char *headers[] = {"Content-Type: application/octet-stream", NULL};
    for (int first = 1;; first = 0) {
        docker_request req = {.method = "PATCH",
                              .target = u->location,
                              .headers = headers,
                              .upload = &w->base,
                              .upload_size = -1,
                              .expect_continue = first,
                              .what = u->what};
        docker_transfer *t = NULL;
        int status = docker_client_send(u->client, ctx, &req, &t);
        long code = status == FERRY_OK ? docker_transfer_status(t) : 0;
        int eos = status == FERRY_OK && docker_transfer_upload_eos(t);
        if (code == 202 && eos) {
            docker_upload_follow(u, t);
            docker_transfer_free(t, ctx);
            return FERRY_OK;
        }
        if (first && code >= 400 && code < 500 && code != 401 && code != 403 && code != 404 &&
            !docker_transfer_upload_touched(t)) {
            u->svc->log(ctx, FERRY_LOG_DEBUG, "%s: streamed upload refused (HTTP %ld), sending chunks", u->ref->label,
                        code);
            docker_transfer_free(t, ctx);
            *fallback = 1;
            return FERRY_OK;
        }
        if (code == 202)
            status = u->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: %s: the upload ended before the blob did",
                                       u->ref->label, u->what);
        else if (status == FERRY_OK)
            status = docker_response_error(u->client, ctx, t, u->what);
        docker_transfer_free(t, ctx);
        if (w->failed)
            return status; /* the source's failure, not the registry's */
        const char *held = docker_ring_linear(&w->ring);
        status = docker_upload_resume(u, ctx, status, held, w->ring.total - w->ring.len, w->ring.total);
        if (status != FERRY_OK || w->eos)
            return status;
        /* Up to date again: the rest in a new streamed PATCH. */
    }
}

int docker_upload_blob(docker_client *client, ferry_ctx *ctx, const docker_reference *ref, ferry_reader *data,
                       const ferry_blob_info *info)
{
    const ferry_services *svc = docker_services();
    const char *known = FERRY_HAS_MEMBER(info, ferry_blob_info, digest) ? info->digest : NULL;
    if (known != NULL && !svc->digest_is_valid(known))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid blob digest \"%s\"", ref->label, known);
    docker_upload u = {.client = client, .ref = ref, .svc = svc};
    snprintf(u.what, sizeof u.what, "uploading blob %s", known != NULL ? known : "(digest not known yet)");

    int64_t chunk_min = 0;
    int status = docker_upload_start(&u, ctx, &chunk_min);
    if (status == FERRY_OK && chunk_min > DOCKER_CHUNK_MAX) {
        status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: the registry wants upload chunks of %" PRId64
                                " bytes, over our %d byte limit", ref->label, chunk_min, DOCKER_CHUNK_MAX);
    } else if (status == FERRY_OK && known != NULL && info->size >= 0 && chunk_min <= 0) {
        /* Monolithic: the body of the closing PUT. An empty blob is
         * confirmed empty first (curl never reads a 0-byte body). */
        if (info->size == 0)
            status = docker_upload_expect_eos(&u, ctx, data);
        if (status == FERRY_OK)
            status = docker_upload_finish(&u, ctx, known, info->size > 0 ? data : NULL, info->size);
    } else if (status == FERRY_OK) {
        int fallback = chunk_min > 0;
        docker_window w = {.base = {.ops = &docker_window_ops}, .inner = data, .ring = {.max = DOCKER_WINDOW_MAX}};
        if (!fallback)
            status = docker_upload_stream(&u, ctx, &w, &fallback);
        docker_ring_free(&w.ring);
        if (status == FERRY_OK && fallback)
            status = docker_upload_chunks(&u, ctx, data,
                                          chunk_min > DOCKER_CHUNK_DEFAULT ? chunk_min : DOCKER_CHUNK_DEFAULT);
        const char *digest = known != NULL ? known : ferry_reader_digest(data);
        if (status == FERRY_OK && (digest == NULL || !svc->digest_is_valid(digest)))
            status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: blob digest unknown after end of stream", ref->label);
        if (status == FERRY_OK) {
            snprintf(u.what, sizeof u.what, "uploading blob %s", digest);
            status = docker_upload_finish(&u, ctx, digest, NULL, 0);
        }
    }
    if (status != FERRY_OK)
        docker_upload_cancel(client, ctx, ref, u.location);
    free(u.location);
    return status;
}
