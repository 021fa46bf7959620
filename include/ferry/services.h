/* ferry/services.h — what the core offers its modules: the context handle and
 * the table of core services (logging, errors, options, credentials, temporary
 * directory, progress, cancellation, digest helpers).
 *
 * Modules never link against the ferry executable: everything they need from
 * the core comes through this table, handed to them in ferry_core.
 */
#ifndef FERRY_SERVICES_H
#define FERRY_SERVICES_H

#include <ferry/abi.h>
#include <ferry/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ferry_ctx: the core's context of one call, for one side of an operation
 * (source or destination). It carries that side's options, receives the
 * error the call reports and knows whether the operation was cancelled.
 * Owned by the core, opaque to modules.
 *
 * Lifetime: a ctx is valid while the call that received it runs. Use it only
 * in that call (and in the callbacks the call makes, such as emit), on that
 * call's thread; do not keep it. Successive calls on one object may receive
 * different ctxs, and so may successive reads of one reader: each receives
 * the ctx of the thread calling. Exception the core guarantees: the close of
 * a source or destination receives the ctx its open_source/open_destination
 * received. Where no call is running (ferry_module_init, a reader's close)
 * there is no ctx: pass NULL to log, which is the only service taking NULL.
 *
 * Threading: the core never uses one ctx in calls on two threads at once;
 * calls that may run concurrently (transport.h, "Threading") each have their
 * own. On one thread a ctx may be in nested calls: a copy pulls the source's
 * reader from inside the destination's put_blob, and that read receives the
 * put_blob call's ctx (whose options are the destination's). A reader
 * should therefore take what it needs of its side's options when it is
 * opened, not read them through the ctx of a read.
 *
 * Strings the services return through a ctx (options, tmpdir, credentials)
 * live as long as that ctx: copy what you keep. */

/* Log levels for services->log. */
#define FERRY_LOG_ERROR 0
#define FERRY_LOG_WARNING 1
#define FERRY_LOG_INFO 2
#define FERRY_LOG_DEBUG 3

/* Credentials for one registry, as the core resolved them (--creds, auth.json,
 * docker config.json, credential helpers). Every string is owned by the core,
 * NULL when absent, and valid during the module call that received the ctx
 * used for the lookup; a module that needs them later copies them (and never
 * logs them). */
typedef struct ferry_credentials {
    uint32_t struct_size;
    const char *username;
    const char *password;
    const char *identity_token; /* OAuth2 refresh token ("identitytoken") */
    const char *registry_token; /* bearer token given with --registry-token */
} ferry_credentials;

typedef struct ferry_hasher ferry_hasher; /* opaque, core-owned */

/* The core's services, handed to a module in ferry_core.services: owned by
 * the core, valid until the module is unloaded. Every service is
 * thread-safe; a service taking a ctx follows the ctx rules above. A module
 * relying on a service of minor N needs a core >= 1.N, which it gets by
 * declaring abi_minor N (FERRY_MODULE_HEADER does; see abi.h). */
typedef struct ferry_services {
    uint32_t struct_size; /* sizeof(ferry_services) as compiled into the core */

    /* 1.0 */
    /* Writes a message to the core's log (stderr); DEBUG only with --debug.
     * Messages must never contain credentials. ctx may be NULL (in
     * ferry_module_init, or in a reader's close; DEBUG is then dropped).
     * Modules never write to stdout or stderr themselves. */
    void (*log)(ferry_ctx *ctx, int level, const char *fmt, ...) FERRY_PRINTF(3, 4);

    /* Records the error of the current call: a status and a one-line message
     * (no newline, no "error:" prefix, no trailing period, never credentials)
     * naming the object concerned (reference, file, digest, URL). The core
     * copies the text, keeps it up to the first newline and adds its own
     * context. ctx must not be NULL. Returns `status`, so a module can write
     *     return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no such image", ref);
     * A failing call reports exactly once, on the ctx of the call: when a
     * core reader or service failed (it reported already), return its status
     * unchanged without calling set_error again, which would replace the
     * message. A failure returned without any set_error gets a generic
     * message naming the status. */
    int (*set_error)(ferry_ctx *ctx, int status, const char *fmt, ...) FERRY_PRINTF(3, 4);

    /* Value of an option for this side of the operation, or NULL when unset.
     * Keys are documented in doc/plugin-abi.md ("tls-verify", "cert-dir",
     * "shared-blob-dir", "compress", "decompress", "daemon-host", ...). The
     * string is owned by the core and valid for the ctx's lifetime. */
    const char *(*get_option)(ferry_ctx *ctx, const char *key);

    /* Looks up credentials for `registry` (host[:port]) and `repository`
     * (namespace/name, may be NULL). Returns FERRY_OK and fills *out, or
     * FERRY_ERR_NOT_FOUND for anonymous access. out->struct_size must be set by
     * the caller; the core fills only members that fit. */
    int (*get_credentials)(ferry_ctx *ctx, const char *registry, const char *repository,
                           ferry_credentials *out);

    /* Directory for large temporary files (--tmpdir, else $TMPDIR, else
     * /var/tmp); owned by the core. Files a module creates there are its own
     * to remove. */
    const char *(*tmpdir)(ferry_ctx *ctx);

    /* Progress of long work the core cannot see through a reader (an engine
     * importing a tar stream, an ostree commit): `what` names the object,
     * `total` is -1 when unknown. Blob streams are tracked by the core itself. */
    void (*progress)(ferry_ctx *ctx, const char *what, uint64_t done, int64_t total);

    /* Nonzero when the operation must stop (signal, --command-timeout). Long
     * loops poll it and return FERRY_ERR_CANCELLED. */
    int (*cancelled)(ferry_ctx *ctx);

    /* Nonzero when `digest` is "ALG:HEX" with a supported algorithm (sha256,
     * sha512) and exactly the right number of lowercase hex digits; validate
     * every digest read from input before it becomes a path or URL. */
    int (*digest_is_valid)(const char *digest);

    /* Incremental hashing, so that modules computing their own digests (engine
     * exports, DiffIDs) need no crypto library of their own. `algorithm` is
     * "sha256" or "sha512"; hasher_new returns NULL for others. The hasher is
     * owned by the caller and released with hasher_free. hasher_final writes
     * "ALG:HEX" and a NUL into out (cap >= 136 always suffices). */
    ferry_hasher *(*hasher_new)(const char *algorithm);
    void (*hasher_update)(ferry_hasher *hasher, const void *data, size_t len);
    int (*hasher_final)(ferry_hasher *hasher, char *out, size_t cap);
    void (*hasher_free)(ferry_hasher *hasher);

#if FERRY_TARGET_ABI_MINOR >= 2
    /* 1.2 (present when struct_size covers it). The digest containers/image
     * gives manifest bytes, with `algorithm` ("sha256" or "sha512"): for a
     * signed Docker schema 1 manifest the digest of its JWS payload (the
     * bytes without the signatures, which a registry may re-sign on every
     * read), for anything else the digest of the bytes. Writes "ALG:HEX" and
     * a NUL into out (cap >= 136 always suffices). Returns FERRY_OK, or
     * FERRY_ERR_INVALID for an unknown algorithm or a schema 1 manifest whose
     * signatures cannot be parsed. Thread-safe; sets nothing in any ctx. */
    int (*manifest_digest)(const void *data, size_t len, const char *algorithm, char *out, size_t cap);
#endif

#if FERRY_TARGET_ABI_MINOR >= 4
    /* 1.4: the file boilerplate of file-based modules. The two readers
     * report failures with set_error on ctx (open) or on the ctx of the read,
     * as "LABEL: …" where `label` names the image (e.g. "dir:/srv/img"); the
     * two file functions report nothing and return 0 or -1 with errno set,
     * so that the module words the error for its transport. All four are
     * thread-safe. */

    /* Opens dirfd/name (dirfd may be AT_FDCWD) read-only as a reader that
     * knows its size, reads sequentially and stops at the size the file had
     * when opened. `dirpath` names dirfd and `what` the file in messages: a
     * missing file is FERRY_ERR_NOT_FOUND "LABEL: WHAT not found
     * (DIRPATH/NAME)", anything but a regular file FERRY_ERR_INVALID, other
     * failures FERRY_ERR_IO naming the path. *out is the caller's to close
     * (transfer full); it does not depend on dirfd staying open. */
    int (*file_reader)(ferry_ctx *ctx, int dirfd, const char *dirpath, const char *name, const char *label,
                       const char *what, ferry_reader **out);

    /* A reader over the `len` bytes at `data`, which it does not copy. With
     * release NULL the bytes stay the caller's and must outlive the reader;
     * otherwise the reader owns them and calls release(data) at its close,
     * and also here when the reader cannot be made (FERRY_ERR_NO_MEMORY,
     * "LABEL: out of memory"). *out is the caller's to close. Reads of a
     * memory reader never fail. */
    int (*memory_reader)(ferry_ctx *ctx, const char *label, const void *data, size_t len,
                         void (*release)(void *data), ferry_reader **out);

    /* Writes dirfd/name through a new temporary file in dirfd (written,
     * fsynced, then renamed), so that readers see the old content or the
     * new, never a part. replace == 0 keeps an existing dirfd/name
     * (content-addressed data: it is already right) and returns 0. The
     * directory itself is not fsynced. 0 or -1 with errno. */
    int (*write_file_atomic)(int dirfd, const char *name, const void *data, size_t len, int replace);

    /* mkdir -p: creates `path` and its missing parents with mode 0755
     * (minus umask); directories that exist, or that another process
     * creates meanwhile, are fine. 0, or -1 with errno (ENOTDIR when path
     * exists and is not a directory). */
    int (*mkdir_p)(const char *path);
#endif

#if FERRY_TARGET_ABI_MINOR >= 5
    /* 1.5: the message set_error recorded on ctx during the current call
     * (without the context the core adds later), or NULL when none was. For
     * a module that tries alternatives in one call (registry mirrors, then
     * the primary location) and reports every failure in one final line:
     * it reads each attempt's message before the next attempt, and the
     * final set_error replaces them all. The string is owned by the core
     * and valid until the next set_error on ctx or the end of the call;
     * copy it to keep it. Same threading as ctx. */
    const char *(*error_message)(ferry_ctx *ctx);

    /* 1.5: get_credentials without the command-line credentials (--creds,
     * --username/--password, --registry-token): only what the auth files
     * and credential helpers hold for `registry`. For a registry other than
     * the one the user named (a registries.conf mirror on another host),
     * which must not receive credentials meant for that one. Same contract
     * as get_credentials otherwise. */
    int (*get_stored_credentials)(ferry_ctx *ctx, const char *registry, const char *repository,
                                  ferry_credentials *out);
#endif
} ferry_services;

/* What the core tells a module about itself in ferry_module_init. */
typedef struct ferry_core {
    uint32_t struct_size; /* frozen position in every ABI major */
    uint16_t abi_major;   /* frozen position in every ABI major */
    uint16_t abi_minor;   /* frozen position in every ABI major */

    /* 1.0 */
    const char *core_version;         /* e.g. "0.1.0"; owned by the core */
    const ferry_services *services;   /* owned by the core, valid while loaded */
} ferry_core;

#ifdef __cplusplus
}
#endif
#endif /* FERRY_SERVICES_H */
