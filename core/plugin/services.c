/* core/plugin/services.c — the services modules call: logging, errors,
 * options, credentials, tmpdir, progress, cancellation, hashing, manifest
 * digests, and (1.4) the file services of host_files.c. */
#include "plugin/services.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/credentials.h"
#include "config/registries_conf.h"
#include "image/digest.h"
#include "image/schema1.h"
#include "plugin/host_files.h"
#include "plugin/context.h"

static void svc_log(ferry_ctx *ctx, int level, const char *fmt, ...)
{
    if (level >= FERRY_LOG_DEBUG && (ctx == NULL || ctx->session == NULL || !ctx->session->debug))
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ctx_log(ctx, level, "%s", line);
}

static int svc_set_error(ferry_ctx *ctx, int status, const char *fmt, ...)
{
    char line[CTX_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (ctx == NULL) {
        /* Misuse (documented as not allowed), but never worth a crash. */
        ctx_log(NULL, FERRY_LOG_ERROR, "%s", line);
        return status;
    }
    return ctx_fail(ctx, status, "%s", line);
}

/* registries.conf is answered through options (doc/plugin-abi.md):
 * "registry-insecure:NAME", "registry-blocked:NAME",
 * "registry-blocked-reason:NAME", "registry-pull-sources:REF" and
 * "registries-conf-error". */
static const char *svc_registries_option(const registries_conf *conf, const char *key, int *handled)
{
    static const struct {
        const char *prefix;
        int which;
    } keys[] = {{"registry-insecure:", 0}, {"registry-blocked:", 1}, {"registry-blocked-reason:", 2},
                {"registry-pull-sources:", 3}};
    *handled = 1;
    if (strcmp(key, "registries-conf-error") == 0)
        return registries_conf_error(conf);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t n = strlen(keys[i].prefix);
        if (strncmp(key, keys[i].prefix, n) != 0)
            continue;
        const char *arg = key + n;
        switch (keys[i].which) {
        case 0:
            return registries_conf_setting(conf, arg, "insecure");
        case 1:
            return registries_conf_setting(conf, arg, "blocked");
        case 2:
            return registries_conf_blocked_reason(conf, arg);
        default:
            return registries_conf_pull_sources(conf, arg);
        }
    }
    *handled = 0;
    return NULL;
}

static const char *svc_get_option(ferry_ctx *ctx, const char *key)
{
    int handled = 0;
    const char *value = svc_registries_option(ctx->session ? ctx->session->registries : NULL, key, &handled);
    return handled ? value : ctx_options_get(ctx->options, key);
}

static int svc_lookup_credentials(ferry_ctx *ctx, const char *registry, const char *repository, int stored_only,
                                  ferry_credentials *out)
{
    if (out == NULL || out->struct_size < sizeof(uint32_t) || registry == NULL)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "get_credentials: bad arguments");
    if (ctx->session == NULL || ctx->session->creds == NULL)
        return FERRY_ERR_NOT_FOUND;
    char err[CTX_MESSAGE_MAX] = "";
    int rc = cred_lookup(ctx->session->creds, ctx->options, registry, repository, stored_only, out, err, sizeof(err));
    if (rc != FERRY_OK && rc != FERRY_ERR_NOT_FOUND)
        return ctx_fail(ctx, rc, "%s", err[0] ? err : "credential lookup failed");
    return rc;
}

static int svc_get_credentials(ferry_ctx *ctx, const char *registry, const char *repository,
                               ferry_credentials *out)
{
    return svc_lookup_credentials(ctx, registry, repository, 0, out);
}

static int svc_get_stored_credentials(ferry_ctx *ctx, const char *registry, const char *repository,
                                      ferry_credentials *out)
{
    return svc_lookup_credentials(ctx, registry, repository, 1, out);
}

static const char *svc_tmpdir(ferry_ctx *ctx)
{
    if (ctx != NULL && ctx->session != NULL && ctx->session->tmpdir != NULL)
        return ctx->session->tmpdir;
    return "/var/tmp";
}

static void svc_progress(ferry_ctx *ctx, const char *what, uint64_t done, int64_t total)
{
    ctx_log(ctx, FERRY_LOG_DEBUG, "%s: %llu of %lld bytes", what, (unsigned long long)done, (long long)total);
}

static const char *svc_error_message(ferry_ctx *ctx)
{
    return ctx != NULL && ctx->status != FERRY_OK && ctx->message[0] != '\0' ? ctx->message : NULL;
}

static int svc_cancelled(ferry_ctx *ctx)
{
    return ctx_cancelled(ctx);
}

static int svc_digest_is_valid(const char *digest)
{
    return digest_is_valid(digest);
}

static ferry_hasher *svc_hasher_new(const char *algorithm)
{
    return (ferry_hasher *)digest_hasher_new(algorithm);
}

static void svc_hasher_update(ferry_hasher *h, const void *data, size_t len)
{
    digest_hasher_update((digest_hasher *)h, data, len);
}

static int svc_hasher_final(ferry_hasher *h, char *out, size_t cap)
{
    return digest_hasher_final((digest_hasher *)h, out, cap) == 0 ? FERRY_OK : FERRY_ERR_INVALID;
}

static void svc_hasher_free(ferry_hasher *h)
{
    digest_hasher_free((digest_hasher *)h);
}

static int svc_manifest_digest(const void *data, size_t len, const char *algorithm, char *out, size_t cap)
{
    char *payload = NULL, err[256];
    size_t payload_len = 0;
    digest_hasher *h = algorithm != NULL ? digest_hasher_new(algorithm) : NULL;
    int ok = h != NULL && schema1_payload(data, len, &payload, &payload_len, err, sizeof(err)) == 0;
    if (ok) {
        digest_hasher_update(h, payload, payload_len);
        ok = digest_hasher_final(h, out, cap) == 0;
    }
    free(payload);
    digest_hasher_free(h);
    return ok ? FERRY_OK : FERRY_ERR_INVALID;
}

static const ferry_services services = {
    .struct_size = sizeof(ferry_services),
    .log = svc_log,
    .set_error = svc_set_error,
    .get_option = svc_get_option,
    .get_credentials = svc_get_credentials,
    .tmpdir = svc_tmpdir,
    .progress = svc_progress,
    .cancelled = svc_cancelled,
    .digest_is_valid = svc_digest_is_valid,
    .hasher_new = svc_hasher_new,
    .hasher_update = svc_hasher_update,
    .hasher_final = svc_hasher_final,
    .hasher_free = svc_hasher_free,
    .manifest_digest = svc_manifest_digest,
    .file_reader = host_file_reader_open,
    .memory_reader = host_memory_reader_new,
    .write_file_atomic = host_write_file_atomic,
    .mkdir_p = host_mkdir_p,
    .error_message = svc_error_message,
    .get_stored_credentials = svc_get_stored_credentials,
};

static const ferry_core core = {
    .struct_size = sizeof(ferry_core),
    .abi_major = FERRY_ABI_MAJOR,
    .abi_minor = FERRY_ABI_MINOR,
    .core_version = PACKAGE_VERSION,
    .services = &services,
};

const ferry_services *services_table(void)
{
    return &services;
}

const ferry_core *services_core(void)
{
    return &core;
}
