/* core/plugin/services.c — the services modules call: logging, errors,
 * options, credentials, tmpdir, progress, cancellation, hashing. */
#include "plugin/services.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/digest.h"
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

static const char *svc_get_option(ferry_ctx *ctx, const char *key)
{
    return ctx_options_get(ctx->options, key);
}

/* Credentials given on the command line. The auth.json / docker config.json
 * chain arrives with the registry transport, its only consumer. */
static int svc_get_credentials(ferry_ctx *ctx, const char *registry, const char *repository,
                               ferry_credentials *out)
{
    if (out == NULL || out->struct_size < sizeof(uint32_t))
        return ctx_fail(ctx, FERRY_ERR_INVALID, "get_credentials: bad ferry_credentials struct");
    const char *username = ctx_options_get(ctx->options, "username");
    const char *password = ctx_options_get(ctx->options, "password");
    const char *token = ctx_options_get(ctx->options, "registry-token");
    const char *no_creds = ctx_options_get(ctx->options, "no-creds");
    if (no_creds != NULL && strcmp(no_creds, "true") == 0)
        return FERRY_ERR_NOT_FOUND;
    if (username == NULL && token == NULL)
        return FERRY_ERR_NOT_FOUND;
    ferry_credentials found = {.struct_size = sizeof(found),
                               .username = username,
                               .password = password,
                               .identity_token = NULL,
                               .registry_token = token};
    uint32_t size = out->struct_size < sizeof(found) ? out->struct_size : (uint32_t)sizeof(found);
    memcpy((char *)out + sizeof(uint32_t), (const char *)&found + sizeof(uint32_t), size - sizeof(uint32_t));
    return FERRY_OK;
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
