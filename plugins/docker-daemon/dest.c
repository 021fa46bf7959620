/* plugins/docker-daemon/dest.c — loading an image into a Docker daemon. The
 * destination is libdockarch's archive writer over a sink whose bytes are
 * the body of POST /images/load (chunked, started by the first byte), so the
 * image streams into the daemon as the core copies it, nothing spooled. The
 * daemon unpacks the whole tar before it tags anything: commit ends the body
 * after manifest.json and reads the daemon's JSON message stream (an
 * errorDetail fails the commit); close without commit drops the connection
 * mid-body, and the daemon discards the truncated load. open_destination
 * checks that the daemon answers (GET /_ping) before any copying starts. */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dockerd_sink {
    dockerd_client client;
    dockerd_reference ref;
    dockerd_upload *upload; /* started by the first write */
} dockerd_sink;

static int dockerd_sink_write(void *opaque, ferry_ctx *ctx, const void *data, size_t len)
{
    dockerd_sink *s = opaque;
    if (s->upload == NULL) {
        int status = dockerd_upload_start(&s->client, ctx, "/images/load?quiet=1", "application/x-tar", &s->upload);
        if (status != FERRY_OK)
            return status;
    }
    return dockerd_upload_write(s->upload, ctx, data, len);
}

/* The answer of a load: JSON objects one after the other; the first one
 * with "errorDetail" (or "error") names the failure. */
static int dockerd_sink_check_messages(dockerd_sink *s, ferry_ctx *ctx, const char *body, size_t len)
{
    const ferry_services *svc = dockerd_services();
    size_t off = 0;
    while (off < len) {
        while (off < len && (body[off] == '\n' || body[off] == '\r' || body[off] == ' '))
            off++;
        if (off >= len)
            break;
        json_error_t err;
        json_t *j = json_loadb(body + off, len - off, JSON_DISABLE_EOF_CHECK, &err);
        if (j == NULL)
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the Docker daemon at %s answered the load with "
                                  "something that is not JSON", s->ref.label, s->client.host);
        off += err.position > 0 ? (size_t)err.position : len - off;
        const char *msg = json_string_value(json_object_get(json_object_get(j, "errorDetail"), "message"));
        if (msg == NULL)
            msg = json_string_value(json_object_get(j, "error"));
        if (msg != NULL) {
            char line[512];
            snprintf(line, sizeof line, "%s", msg);
            line[strcspn(line, "\r\n")] = '\0';
            json_decref(j);
            return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: the Docker daemon at %s refused the image: %s",
                                  s->ref.label, s->client.host, line);
        }
        const char *stream = json_string_value(json_object_get(j, "stream"));
        if (stream != NULL)
            svc->log(ctx, FERRY_LOG_DEBUG, "%s: %.*s", s->ref.label, (int)strcspn(stream, "\r\n"), stream);
        json_decref(j);
    }
    return FERRY_OK;
}

static int dockerd_sink_finish(void *opaque, ferry_ctx *ctx)
{
    dockerd_sink *s = opaque;
    long http = 0;
    const char *body = NULL;
    size_t len = 0;
    int status = s->upload == NULL ? dockerd_services()->set_error(ctx, FERRY_ERR_FAILED, "%s: nothing was written",
                                                                   s->ref.label)
                                   : dockerd_upload_finish(s->upload, ctx, &http, &body, &len);
    if (status == FERRY_OK && http != 200)
        status = dockerd_http_error(&s->client, ctx, http, body, len, "loading the image");
    if (status == FERRY_OK)
        status = dockerd_sink_check_messages(s, ctx, body, len);
    return status;
}

static void dockerd_sink_close(void *opaque, ferry_ctx *ctx, int committed)
{
    (void)ctx;
    (void)committed; /* an unfinished upload is aborted by dockerd_upload_free */
    dockerd_sink *s = opaque;
    dockerd_upload_free(s->upload);
    dockerd_client_free(&s->client);
    dockerd_reference_free(&s->ref);
    free(s);
}

static const dockarch_sink_ops dockerd_sink_ops = {
    .write = dockerd_sink_write,
    .finish = dockerd_sink_finish,
    .close = dockerd_sink_close,
};

/* GET /_ping: the daemon is there and speaks the Engine API. */
static int dockerd_ping(dockerd_client *c, ferry_ctx *ctx)
{
    long http = 0;
    char *body = NULL;
    size_t len = 0;
    int status = dockerd_request(c, ctx, "GET", "/_ping", &http, &body, &len);
    if (status == FERRY_OK && http != 200)
        status = dockerd_http_error(c, ctx, http, body, len, "checking the daemon (GET /_ping)");
    free(body);
    return status;
}

int dockerd_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = dockerd_services();
    *out = NULL;
    dockerd_sink *s = calloc(1, sizeof *s);
    if (s == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "docker-daemon: out of memory");
    int status = dockerd_reference_parse(ctx, reference, &s->ref);
    if (status == FERRY_OK && !s->ref.tagged)
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: a destination must be a name:tag", s->ref.label);
    if (status == FERRY_OK)
        status = dockerd_client_init(ctx, s->ref.label, &s->client);
    if (status == FERRY_OK)
        status = dockerd_ping(&s->client, ctx);
    char **tags = NULL;
    size_t n_tags = 0;
    if (status == FERRY_OK)
        status = dockarch_tags_collect(ctx, s->ref.label, s->ref.canonical, &tags, &n_tags);
    if (status != FERRY_OK) {
        dockerd_sink_close(s, ctx, 0);
        return status;
    }
    return dockarch_dest_open(ctx, s->ref.label, tags, n_tags, &dockerd_sink_ops, s, out);
}
