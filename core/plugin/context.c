/* core/plugin/context.c — ferry_ctx: errors, options, logging, cancellation. */
#include "plugin/context.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void ctx_init(ferry_ctx *ctx, const ferry_session *session, const ctx_options *options)
{
    ctx->session = session;
    ctx->options = options;
    ctx->status = FERRY_OK;
    ctx->image_absent = 0;
    ctx->message[0] = '\0';
}

static void ctx_vset(ferry_ctx *ctx, int status, const char *fmt, va_list ap)
{
    ctx->status = status;
    ctx->image_absent = 0; /* a new error; ctx_note_image_absent marks it */
    vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
    /* Errors are one line: whatever a plugin formats, cut at the first newline. */
    char *nl = strpbrk(ctx->message, "\r\n");
    if (nl != NULL)
        *nl = '\0';
}

int ctx_fail(ferry_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctx_vset(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

void ctx_clear(ferry_ctx *ctx)
{
    ctx->status = FERRY_OK;
    ctx->image_absent = 0;
    ctx->message[0] = '\0';
}

int ctx_status_message(ferry_ctx *ctx, int status, const char *what)
{
    if (status == FERRY_OK)
        return FERRY_OK;
    if (ctx->message[0] == '\0')
        ctx_fail(ctx, status, "%s failed (status %d)", what, status);
    ctx->status = status;
    return status;
}

/* `message` without a leading "PREFIX: " (the first n bytes of prefix), or NULL. */
static const char *ctx_after_label(const char *message, const char *prefix, size_t n)
{
    if (n > 0 && strncmp(message, prefix, n) == 0 && message[n] == ':' && message[n + 1] == ' ')
        return message + n + 2;
    return NULL;
}

const char *ctx_message_after(const char *message, const char *object)
{
    const char *rest = ctx_after_label(message, object, strlen(object));
    /* A module that labels a message with its transport only ("containers-
     * storage: no store at …") names what the object's prefix names. */
    const char *colon = strchr(object, ':');
    if (rest == NULL && colon != NULL)
        rest = ctx_after_label(message, object, (size_t)(colon - object));
    return rest != NULL ? rest : message;
}

int ctx_wrap(ferry_ctx *ctx, int status, const char *doing, const char *object)
{
    ctx_status_message(ctx, status, doing);
    char inner[CTX_MESSAGE_MAX];
    snprintf(inner, sizeof(inner), "%s", ctx->message);
    /* `doing` without a trailing preposition: "reading manifest of" names
     * the action "reading manifest". */
    const char *space = strrchr(doing, ' ');
    int cut = space != NULL && (strcmp(space, " of") == 0 || strcmp(space, " to") == 0 ||
                                strcmp(space, " from") == 0);
    int action_len = cut ? (int)(space - doing) : (int)strlen(doing);
    const char *rest = ctx_message_after(inner, object);
    if (rest != inner) {
        /* "OBJECT: detail", as modules word errors: the object moves after
         * the action ("initializing source OBJECT: detail", skopeo's form),
         * unless the detail already says what was being done. */
        if (strncmp(rest, doing, (size_t)action_len) == 0 && ctx_after_label(inner, object, strlen(object)) != NULL)
            return ctx_fail(ctx, status, "%s", inner);
        return ctx_fail(ctx, status, "%s %s: %s", doing, object, rest);
    }
    /* A message naming the object elsewhere keeps it where it is. */
    if (strstr(inner, object) != NULL)
        return ctx_fail(ctx, status, "%.*s: %s", action_len, doing, inner);
    return ctx_fail(ctx, status, "%s %s: %s", doing, object, inner);
}

void ctx_copy_error(ferry_ctx *to, const ferry_ctx *from)
{
    to->status = from->status;
    to->image_absent = from->image_absent;
    memcpy(to->message, from->message, sizeof(to->message));
}

int ctx_note_image_absent(ferry_ctx *ctx, int status, const char *reference)
{
    /* skopeo's isNotFoundImageError covers a registry's MANIFEST_UNKNOWN
     * (not NAME_UNKNOWN), containers-storage's ErrNoSuchImage and the OCI
     * layout's and archive's ImageNotFoundError; a missing dir:, archive
     * file, daemon image, ostree branch or tarball: file is 1. Other
     * modules' FERRY_ERR_NOT_FOUND here stays "no such image", as ABI 1.0
     * documents it. */
    static const char *const never_absent[] = {"dir:", "docker-archive:", "docker-daemon:", "ostree:", "tarball:"};
    if (status != FERRY_ERR_NOT_FOUND || reference == NULL)
        return status;
    int absent = 1;
    if (strncmp(reference, "docker:", 7) == 0)
        absent = strstr(ctx->message, "manifest unknown") != NULL;
    for (size_t i = 0; i < sizeof(never_absent) / sizeof(never_absent[0]); i++)
        if (strncmp(reference, never_absent[i], strlen(never_absent[i])) == 0)
            absent = 0;
    ctx->image_absent = absent;
    return status;
}

double ctx_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ctx_cancelled(const ferry_ctx *ctx)
{
    const ferry_session *s = ctx->session;
    if (s == NULL)
        return 0;
    if ((s->interrupted != NULL && *s->interrupted) || (s->aborted != NULL && *s->aborted))
        return 1;
    return s->deadline > 0 && ctx_now() > s->deadline;
}

const char *ctx_cancel_reason(const ferry_ctx *ctx)
{
    const ferry_session *s = ctx->session;
    if (s != NULL && s->interrupted != NULL && *s->interrupted)
        return "interrupted";
    if (s != NULL && s->deadline > 0 && ctx_now() > s->deadline)
        return "timed out (--command-timeout)";
    return "stopped because another part of the copy failed";
}

void ctx_log(const ferry_ctx *ctx, int level, const char *fmt, ...)
{
    if (level >= FERRY_LOG_DEBUG && (ctx == NULL || ctx->session == NULL || !ctx->session->debug))
        return;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (level < 0 || level > FERRY_LOG_DEBUG)
        level = FERRY_LOG_DEBUG;
    /* One fprintf per line keeps lines from worker threads whole. */
    fprintf(stderr, "ferry: %s: %s\n", names[level], line);
}

void ctx_options_set(ctx_options *opts, const char *key, const char *value)
{
    if (value == NULL)
        return;
    for (size_t i = 0; i < opts->n; i++) {
        if (strcmp(opts->items[i].key, key) == 0) {
            opts->items[i].value = value;
            return;
        }
    }
    if (opts->n < CTX_OPTIONS_MAX) {
        opts->items[opts->n].key = key;
        opts->items[opts->n].value = value;
        opts->n++;
    }
}

const char *ctx_options_get(const ctx_options *opts, const char *key)
{
    if (opts == NULL)
        return NULL;
    for (size_t i = 0; i < opts->n; i++)
        if (strcmp(opts->items[i].key, key) == 0)
            return opts->items[i].value;
    return NULL;
}
