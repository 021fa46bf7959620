/* plugins/docker/errors.c — turning registry answers into one-line errors.
 * A registry explains failures in a JSON body {"errors": [{"code",
 * "message", "detail"}]}; the message becomes "code text: message" as
 * containers/image words it ("manifest unknown", "denied: requested access
 * to the resource is denied"). The status follows the HTTP code (401/403
 * authentication, 404 not found, 5xx and 429 transient), refined by the
 * registry's code. Error bodies over 1 MiB are refused unread. */
#include "docker.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DOCKER_ERROR_TEXT_MAX 1024

static int docker_status_for_http(long code)
{
    if (code == 401 || code == 403)
        return FERRY_ERR_AUTH;
    if (code == 404)
        return FERRY_ERR_NOT_FOUND;
    if (code == 405)
        return FERRY_ERR_UNSUPPORTED;
    if (code == 408 || code == 429 || code >= 500)
        return FERRY_ERR_TRANSIENT;
    return FERRY_ERR_FAILED;
}

/* Refines the status with a registry error code. */
static int docker_status_for_code(const char *code, int status)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {
        {"MANIFEST_UNKNOWN", FERRY_ERR_NOT_FOUND}, {"NAME_UNKNOWN", FERRY_ERR_NOT_FOUND},
        {"BLOB_UNKNOWN", FERRY_ERR_NOT_FOUND},     {"BLOB_UPLOAD_UNKNOWN", FERRY_ERR_NOT_FOUND},
        {"DENIED", FERRY_ERR_AUTH},                {"UNAUTHORIZED", FERRY_ERR_AUTH},
        {"TOOMANYREQUESTS", FERRY_ERR_TRANSIENT},  {"UNSUPPORTED", FERRY_ERR_UNSUPPORTED},
        {"DIGEST_INVALID", FERRY_ERR_DIGEST_MISMATCH}, {"SIZE_INVALID", FERRY_ERR_DIGEST_MISMATCH},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].code, code) == 0)
            return map[i].status;
    return status;
}

const char *docker_http_status_text(long code)
{
    switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* Appends s to out (cap bytes), keeping one line: control characters
 * become spaces. */
static void docker_append_line(char *out, size_t cap, const char *s)
{
    size_t n = strlen(out);
    for (; *s != '\0' && n + 1 < cap; s++)
        out[n++] = (unsigned char)*s < 0x20 ? ' ' : *s;
    out[n] = '\0';
}

/* "manifest unknown" from "MANIFEST_UNKNOWN". */
static void docker_code_text(const char *code, char *out, size_t cap)
{
    size_t n = 0;
    for (; *code != '\0' && n + 1 < cap; code++)
        out[n++] = *code == '_' ? ' ' : (char)tolower((unsigned char)*code);
    out[n] = '\0';
}

/* Fills text from a JSON error body; returns the refined status. */
static int docker_parse_errors(const char *body, size_t len, int status, char *text, size_t cap)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *errors = json_object_get(root, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *message = json_string_value(json_object_get(e, "message"));
        char code_text[128] = "";
        if (code != NULL) {
            docker_code_text(code, code_text, sizeof code_text);
            if (i == 0)
                status = docker_status_for_code(code, status);
        }
        if (text[0] != '\0')
            docker_append_line(text, cap, "; ");
        docker_append_line(text, cap, code_text[0] != '\0' ? code_text : "error");
        if (message != NULL && message[0] != '\0' && strcasecmp(message, code_text) != 0) {
            docker_append_line(text, cap, ": ");
            docker_append_line(text, cap, message);
        }
    }
    json_decref(root);
    return status;
}

int docker_response_error(docker_client *c, ferry_ctx *ctx, docker_transfer *t, const char *what)
{
    const ferry_services *svc = c->svc;
    long code = docker_transfer_status(t);
    int status = docker_status_for_http(code);
    char text[DOCKER_ERROR_TEXT_MAX] = "";
    char *body = NULL;
    size_t len = 0;
    char err[256];
    int rc = docker_transfer_read_all(t, ctx, DOCKER_SMALL_BODY_MAX, &body, &len, err, sizeof err);
    if (rc == FERRY_ERR_TOO_LARGE)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: %s: HTTP %ld with an error body over %d bytes",
                              c->ref->label, what, code, DOCKER_SMALL_BODY_MAX);
    if (rc == FERRY_ERR_CANCELLED)
        return svc->set_error(ctx, rc, "%s: %s: cancelled", c->ref->label, what);
    if (rc == FERRY_OK && len > 0)
        status = docker_parse_errors(body, len, status, text, sizeof text);
    free(body);
    if (text[0] == '\0') {
        /* No explanation (a HEAD, a proxy): say what the status means. */
        const char *meaning = code == 401   ? "authentication required, "
                              : code == 403 ? "access denied, "
                              : code == 404 ? "not found, "
                                            : "";
        snprintf(text, sizeof text, "%sHTTP status %ld%s%s", meaning, code, docker_http_status_text(code)[0] != '\0' ? " " : "",
                 docker_http_status_text(code));
    }
    else if (code == 429 || code >= 500)
        status = docker_status_for_http(code); /* whatever the body says, try again later */
    return svc->set_error(ctx, status, "%s: %s: %s", c->ref->label, what, text);
}

int docker_transport_error(ferry_ctx *ctx, const docker_reference *ref, int status, const char *what,
                           const char *err)
{
    if (err == NULL || err[0] == '\0')
        return status; /* the core's reader reported it */
    return docker_services()->set_error(ctx, status, "%s: %s: %s", ref->label, what, err);
}
