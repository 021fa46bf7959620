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

/* A ferry_ctx is the core's per-operation, per-thread context: it carries the
 * options of one side of a copy (source or destination), collects the error a
 * call reports, and knows whether the operation was cancelled. It is owned by
 * the core; a module receives it as an argument and must not keep it beyond
 * the call (copy any option value it needs later). A ctx is used by one thread
 * at a time; the core gives each worker thread its own.
 *
 * Threading rules. The core calls a transport's functions from one thread at
 * a time, except: with FERRY_CAP_PARALLEL_GET it calls get_blob and reads the
 * readers it returned from several threads at once (on the same source); with
 * FERRY_CAP_PARALLEL_PUT it calls try_reuse_blob and put_blob from several
 * threads at once (on the same destination). get_manifest, get_signatures,
 * put_manifest, put_signatures, commit and close are never concurrent with
 * anything else on the same object. Readers are closed before the source or
 * destination they belong to. */

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

typedef struct ferry_services {
    uint32_t struct_size; /* sizeof(ferry_services) as compiled into the core */

    /* 1.0 */
    /* Writes a message to the core's log (stderr); DEBUG only with --debug.
     * Messages must never contain credentials. ctx may be NULL (in
     * ferry_module_init, or in a reader's close). */
    void (*log)(ferry_ctx *ctx, int level, const char *fmt, ...) FERRY_PRINTF(3, 4);

    /* Records the error of the current call: a status and a one-line message
     * naming the object concerned (reference, file, digest). The core copies the
     * text. ctx must not be NULL. Returns `status`, so a module can write
     *     return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no such image", ref); */
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

    /* Directory for large temporary files (--tmpdir, default /var/tmp); owned
     * by the core. Files a module creates there are its own to remove. */
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

    /* 1.2 (present when struct_size covers it). The digest containers/image
     * gives manifest bytes, with `algorithm` ("sha256" or "sha512"): for a
     * signed Docker schema 1 manifest the digest of its JWS payload (the
     * bytes without the signatures, which a registry may re-sign on every
     * read), for anything else the digest of the bytes. Writes "ALG:HEX" and
     * a NUL into out (cap >= 136 always suffices). Returns FERRY_OK, or
     * FERRY_ERR_INVALID for an unknown algorithm or a schema 1 manifest whose
     * signatures cannot be parsed. Thread-safe; sets nothing in any ctx. */
    int (*manifest_digest)(const void *data, size_t len, const char *algorithm, char *out, size_t cap);
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
