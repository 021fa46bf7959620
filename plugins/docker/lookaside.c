/* plugins/docker/lookaside.c — signatures in a lookaside store
 * (containers-registries.d(5), containers/image's signature-protocols):
 * BASE/REPOSITORY@ALG=HEX/signature-N, N from 1, read until the first one
 * missing; file:// from the file system, http(s):// by GET (404 ends the
 * list). Writing is to file:// only: signature-1…N are replaced and the
 * following ones removed up to the first missing, so that exactly the new
 * set is read back; each file appears whole (temporary file and rename).
 * Also the signature blob formats (containers/image's signature.FromBlob). */
#include "docker.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int docker_signature_kind(const void *blob, size_t len, char *err, size_t errcap)
{
    const unsigned char *b = blob;
    if (len == 0) {
        snprintf(err, errcap, "empty signature blob");
        return -1;
    }
    switch (b[0]) {
    /* OpenPGP packets a signed message may start with: compressed data,
     * one-pass signature, signature (old and new packet formats). */
    case 0xA0: case 0xA1: case 0xA2: case 0xA3: case 0xC8:
    case 0x90: case 0x91: case 0x92: case 0x3d: case 0xC4:
    case 0x88: case 0x89: case 0x8A: case 0x8B: case 0xC2:
        return DOCKER_SIG_SIMPLE;
    case 0x00:
        break;
    default:
        snprintf(err, errcap, "unrecognized signature format, starting with binary %#x", b[0]);
        return -1;
    }
    const unsigned char *nl = memchr(b + 1, '\n', len - 1);
    if (nl == NULL) {
        snprintf(err, errcap, "invalid signature format, missing newline");
        return -1;
    }
    size_t flen = (size_t)(nl - (b + 1));
    for (size_t i = 0; i < flen; i++)
        if (b[1 + i] < 32 || b[1 + i] >= 0x7F) {
            snprintf(err, errcap, "invalid signature format, non-ASCII byte %#x", b[1 + i]);
            return -1;
        }
    if (flen == strlen(DOCKER_SIG_FORMAT_SIMPLE) && memcmp(b + 1, DOCKER_SIG_FORMAT_SIMPLE, flen) == 0)
        return DOCKER_SIG_SIMPLE;
    if (flen == strlen(DOCKER_SIG_FORMAT_SIGSTORE) && memcmp(b + 1, DOCKER_SIG_FORMAT_SIGSTORE, flen) == 0) {
        json_error_t jerr;
        json_t *j = json_loadb((const char *)nl + 1, len - flen - 2, JSON_DECODE_ANY, &jerr);
        int ok = json_is_object(j);
        json_decref(j);
        if (!ok) {
            snprintf(err, errcap, "invalid sigstore signature: %s", j == NULL ? jerr.text : "not a JSON object");
            return -1;
        }
        return DOCKER_SIG_SIGSTORE;
    }
    snprintf(err, errcap, "unrecognized signature format \"%.*s\"", (int)(flen > 64 ? 64 : flen), b + 1);
    return -1;
}

/* Where signature index i (from 0) of a manifest is: its URL, and for
 * file:// its path. */
typedef struct lookaside_slot {
    char *url;
    char *path; /* NULL unless file:// */
} lookaside_slot;

static void lookaside_slot_free(lookaside_slot *slot)
{
    free(slot->url);
    free(slot->path);
}

/* 0, or -1 when out of memory (or an invalid digest, checked before). */
static int lookaside_slot_make(const docker_lookaside *la, const char *digest, size_t i, lookaside_slot *slot)
{
    char alg[16];
    const char *hex;
    memset(slot, 0, sizeof *slot);
    if (plugin_util_digest_split(docker_services(), digest, alg, sizeof alg, &hex) != 0)
        return -1;
    char suffix[PLUGIN_UTIL_DIGEST_MAX + 48];
    snprintf(suffix, sizeof suffix, "@%s=%s/signature-%zu", alg, hex, i + 1);
    slot->url = plugin_util_printf("%s%s%s", la->url, suffix, la->query);
    if (la->path != NULL)
        slot->path = plugin_util_printf("%s%s", la->path, suffix);
    return slot->url != NULL && (la->path == NULL || slot->path != NULL) ? 0 : -1;
}

/* One signature over HTTP: *missing on 404. */
static int docker_lookaside_get(docker_client *c, ferry_ctx *ctx, const char *url, char **data, size_t *len,
                                int *missing)
{
    const ferry_services *svc = docker_services();
    docker_transfer_spec spec = {
        .method = "GET", .url = url, .tls = &c->tls, .user_agent = c->user_agent, .upload_size = -1};
    docker_transfer *t = NULL;
    char err[256];
    int status = docker_transfer_start(ctx, &spec, &t, err, sizeof err);
    if (status != FERRY_OK)
        return svc->set_error(ctx, status, "reading signature from %s: %s", url, err);
    long code = docker_transfer_status(t);
    *missing = code == 404;
    if (code != 404 && code != 200) {
        docker_transfer_free(t, ctx);
        return svc->set_error(ctx, code == 401 || code == 403 ? FERRY_ERR_AUTH : FERRY_ERR_FAILED,
                              "reading signature from %s: status %ld (%s)", url, code, docker_http_status_text(code));
    }
    if (code == 200) {
        status = docker_transfer_read_all(t, ctx, DOCKER_SIGNATURE_MAX, data, len, err, sizeof err);
        if (status != FERRY_OK)
            svc->set_error(ctx, status, "reading signature from %s: %s", url, err);
    }
    docker_transfer_free(t, ctx);
    return status;
}

int docker_lookaside_read(docker_client *c, ferry_ctx *ctx, const docker_lookaside *la, const char *digest,
                          int (*emit)(void *opaque, const void *data, size_t len), void *opaque)
{
    const ferry_services *svc = docker_services();
    int file = strcmp(la->scheme, "file") == 0;
    int http = strcmp(la->scheme, "http") == 0 || strcmp(la->scheme, "https") == 0;
    int status = FERRY_OK;
    for (size_t i = 0; status == FERRY_OK; i++) {
        lookaside_slot slot;
        int bad = lookaside_slot_make(la, digest, i, &slot);
        const char *url = slot.url, *path = slot.path;
        char *data = NULL;
        size_t len = 0;
        int missing = 0;
        if (bad) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
        } else if (file) {
            svc->log(ctx, FERRY_LOG_DEBUG, "Reading %s", path);
            if (plugin_util_read_file(AT_FDCWD, path, DOCKER_SIGNATURE_MAX, &data, &len) != 0) {
                missing = errno == ENOENT;
                if (!missing) {
                    char buf[128];
                    status = svc->set_error(ctx, FERRY_ERR_IO, "open %s: %s", path,
                                            errno == EFBIG ? "exceeded maximum allowed size of 4194304 bytes"
                                                           : plugin_util_strerror(errno, buf, sizeof buf));
                }
            }
        } else if (http) {
            svc->log(ctx, FERRY_LOG_DEBUG, "GET %s", url);
            status = docker_lookaside_get(c, ctx, url, &data, &len, &missing);
        } else {
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "Unsupported scheme when reading signature from %s",
                                    url);
        }
        if (status == FERRY_OK && !missing) {
            char err[160];
            if (docker_signature_kind(data, len, err, sizeof err) < 0)
                status = svc->set_error(ctx, FERRY_ERR_INVALID, file ? "parsing signature \"%s\": %s"
                                                                     : "parsing signature %s: %s",
                                        file ? path : url, err);
            else
                status = emit(opaque, data, len);
        }
        free(data);
        lookaside_slot_free(&slot);
        if (missing)
            break;
    }
    return status;
}

/* Writes PATH whole: through a temporary file in its directory. */
static int docker_lookaside_put_file(ferry_ctx *ctx, const char *path, const void *data, size_t len)
{
    const ferry_services *svc = docker_services();
    char *dir = NULL, *name = NULL;
    char buf[128];
    if (plugin_util_split_path(path, &dir, &name) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", path);
    int status = FERRY_OK;
    int fd = -1;
    if (svc->mkdir_p(dir) != 0)
        status = svc->set_error(ctx, FERRY_ERR_IO, "mkdir %s: %s", dir, plugin_util_strerror(errno, buf, sizeof buf));
    else if ((fd = plugin_util_open_dir(AT_FDCWD, dir)) < 0 ||
             svc->write_file_atomic(fd, name, data, len, 1) != 0)
        status = svc->set_error(ctx, FERRY_ERR_IO, "open %s: %s", path, plugin_util_strerror(errno, buf, sizeof buf));
    if (fd >= 0)
        close(fd);
    free(dir);
    free(name);
    return status;
}

/* signature-1…count become sigs; the following ones are removed up to the
 * first missing. */
static int docker_lookaside_update(ferry_ctx *ctx, const docker_lookaside *la, const char *digest, size_t count,
                                   const void *const *sigs, const size_t *lens)
{
    const ferry_services *svc = docker_services();
    int status = FERRY_OK;
    /* Then the stale ones after the new set, up to the first missing. */
    for (size_t i = 0; status == FERRY_OK; i++) {
        lookaside_slot slot;
        int bad = lookaside_slot_make(la, digest, i, &slot);
        const char *url = slot.url, *path = slot.path;
        int done = 0;
        if (bad)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", digest);
        else if (strcmp(la->scheme, "http") == 0 || strcmp(la->scheme, "https") == 0)
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "Writing directly to a %s lookaside %s is not "
                                    "supported. Configure a lookaside-staging: location", la->scheme, url);
        else if (strcmp(la->scheme, "file") != 0)
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "Unsupported scheme when %s signature to %s",
                                    i < count ? "writing" : "deleting", url);
        else if (i < count) {
            svc->log(ctx, FERRY_LOG_DEBUG, "Writing to %s", path);
            status = docker_lookaside_put_file(ctx, path, sigs[i], lens[i]);
        } else {
            svc->log(ctx, FERRY_LOG_DEBUG, "Deleting %s", path);
            if (unlink(path) != 0) {
                char buf[128];
                done = errno == ENOENT;
                if (!done)
                    status = svc->set_error(ctx, FERRY_ERR_IO, "remove %s: %s", path,
                                            plugin_util_strerror(errno, buf, sizeof buf));
            }
        }
        lookaside_slot_free(&slot);
        if (done)
            break;
    }
    return status;
}

int docker_lookaside_write(ferry_ctx *ctx, const docker_lookaside *la, const char *digest, size_t count,
                           const void *const *sigs, const size_t *lens)
{
    /* Nothing to say about the digest: its set stays as it is. */
    return count == 0 ? FERRY_OK : docker_lookaside_update(ctx, la, digest, count, sigs, lens);
}

int docker_lookaside_delete(ferry_ctx *ctx, const docker_lookaside *la, const char *digest)
{
    return docker_lookaside_update(ctx, la, digest, 0, NULL, NULL);
}
