/* core/plugin/context.h — the core's side of ferry_ctx: per-operation,
 * per-thread state (options of one side of a copy, the last error) and the
 * session every context of one command shares (log level, tmpdir, deadline). */
#ifndef FERRY_CORE_CONTEXT_H
#define FERRY_CORE_CONTEXT_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>

#include <ferry/services.h>

struct cred_store;
struct registries_conf;

#define CTX_MESSAGE_MAX 1024
#define CTX_OPTIONS_MAX 32

/* Shared, read-only while a command runs. */
typedef struct ferry_session {
    int debug;
    const char *tmpdir;
    double deadline;                      /* CLOCK_MONOTONIC seconds; 0 = none */
    const volatile sig_atomic_t *interrupted; /* set by the signal handler; may be NULL */
    const volatile sig_atomic_t *aborted;     /* set when a sibling worker failed; may be NULL */
    struct cred_store *creds;                 /* resolved-credential cache (internally locked); may be NULL */
    const struct registries_conf *registries; /* registries.conf; may be NULL */
} ferry_session;

typedef struct ctx_options {
    struct {
        const char *key;   /* static string */
        const char *value; /* owned by whoever filled the table (argv, usually) */
    } items[CTX_OPTIONS_MAX];
    size_t n;
} ctx_options;

struct ferry_ctx {
    const ferry_session *session;
    const ctx_options *options; /* may be NULL */
    int status;
    /* Set with a FERRY_ERR_NOT_FOUND that means the image itself does not
     * exist, in skopeo 1.10+'s sense (ctx_note_image_absent): exit status 2. */
    int image_absent;
    char message[CTX_MESSAGE_MAX];
};

void ctx_init(ferry_ctx *ctx, const ferry_session *session, const ctx_options *options);
/* Records an error (first line of the text only); returns status. */
int ctx_fail(ferry_ctx *ctx, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ctx_clear(ferry_ctx *ctx);
/* Ensures a failing `status` has a message; `what` names the operation. */
int ctx_status_message(ferry_ctx *ctx, int status, const char *what);
/* Prefixes ctx's error with what was being done ("initializing source") and
 * the object, naming the object once: a message beginning "OBJECT: " (a
 * module's label) becomes "DOING OBJECT: rest"; one naming the object
 * elsewhere gets the action only. See "Error messages" in
 * doc/architecture.md. Returns status. */
int ctx_wrap(ferry_ctx *ctx, int status, const char *doing, const char *object);
/* `message` without a leading "OBJECT: " or "TRANSPORT: " (OBJECT's
 * transport prefix), or message itself. */
const char *ctx_message_after(const char *message, const char *object);
/* After opening a source image or reading its top manifest failed with
 * `status`: marks ctx when that means exit status 2, the image does not
 * exist, as skopeo 1.10+ decides it (manifest unknown in a registry, no such
 * image in a containers-storage store, an OCI layout or archive without that
 * reference; not a missing dir:, archive file, daemon image, ostree branch
 * or tarball: file), and for other modules' FERRY_ERR_NOT_FOUND, as ABI 1.0
 * documents. `reference` is the "transport:…" text. Returns status. */
int ctx_note_image_absent(ferry_ctx *ctx, int status, const char *reference);
/* Copies ctx's error into another ctx (worker → main). */
void ctx_copy_error(ferry_ctx *to, const ferry_ctx *from);
int ctx_cancelled(const ferry_ctx *ctx);
/* Why ctx_cancelled is true: "interrupted", "timed out (--command-timeout)", …. */
const char *ctx_cancel_reason(const ferry_ctx *ctx);
void ctx_log(const ferry_ctx *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sets or replaces an option; value NULL removes nothing and is ignored. */
void ctx_options_set(ctx_options *opts, const char *key, const char *value);
const char *ctx_options_get(const ctx_options *opts, const char *key);

/* Seconds on CLOCK_MONOTONIC. */
double ctx_now(void);

#endif
