/* core/copy/copy.h — copy orchestration: read the source manifest, plan,
 * stream config and layers (in parallel where both transports allow) with
 * digests verified on the fly, write the manifest last, commit. */
#ifndef FERRY_CORE_COPY_H
#define FERRY_CORE_COPY_H

#include <stdio.h>

#include <ferry/transport.h>

#include "image/fetch.h"
#include "image/manifest.h"
#include "plugin/context.h"

typedef struct copy_endpoint {
    const ferry_transport *transport;
    const char *text;         /* the whole "transport:reference", for messages */
    const char *reference;    /* the part after "transport:" */
    const ctx_options *options;
    /* A source's trust-policy requirements still to be checked against its
     * signatures (policy.h), or NULL: accepted (or --insecure-policy). */
    const struct policy_requirements *policy;
} copy_endpoint;

typedef enum copy_list_mode {
    COPY_LIST_SYSTEM = 0, /* the instance for opts->platform, stored as a single image */
    COPY_LIST_ALL,        /* every instance, then the list */
    COPY_LIST_INDEX_ONLY, /* the list alone */
    COPY_LIST_PLATFORMS,  /* the instances of the given platforms, then a list of exactly them */
} copy_list_mode;

typedef struct copy_options {
    manifest_kind forced_format; /* MANIFEST_UNKNOWN: keep the source's when possible */
    int preserve_digests;
    int remove_signatures;
    copy_list_mode list_mode;    /* --all / --multi-arch: which instances of a list are copied */
    const char *platforms;       /* COPY_LIST_PLATFORMS: "os/arch[/variant],..." as given, validated (borrowed) */
    long parallel;               /* layers copied at once (>= 1) */
    FILE *report;                /* progress lines; NULL with --quiet */
    platform_spec platform;      /* list instance to copy */
    char manifest_digest[DIGEST_MAX_LEN]; /* out: digest of the manifest written */
    uint64_t bytes_sent;         /* out: layer bytes stored at the destination (reused ones not counted) */
    struct blob_claims *claims;  /* shared by copies running at once (sync), so that a layer is sent once; may be NULL */
    /* Shared by copies running at once (sync; progress_new_shared): their
     * blobs' progress goes there, not to `report`; NULL: the copy's own. */
    struct copy_progress *progress;
    /* --dest-compress-format / --dest-compress-level (plan.h's plan_request). */
    layer_compression compress_to; /* LAYER_COMPRESSION_UNKNOWN: not given (gzip) */
    int chunked;                   /* zstd:chunked */
    int has_level;
    int level;
    /* --dest-force-compress-format: destinations that would keep each
     * layer's compression get compress_to too. */
    int force_compress;
    /* --dest-precompute-digests: a layer whose bytes change is spooled and
     * its digest checked at the destination before it is sent. */
    int precompute_digests;
    /* --sign-by FINGERPRINT (NULL: no signing), --sign-identity (NULL: the
     * destination's reference), --sign-passphrase-file (NULL: gpg-agent);
     * borrowed. */
    const char *sign_by;
    const char *sign_identity;
    const char *sign_passphrase_file;
    /* Sigstore signing: the key of --sign-by-sigstore-private-key, then that
     * of --sign-by-sigstore's parameter file, each with its passphrase
     * (already read: copy prompts for nothing); borrowed. */
    struct {
        const char *key_file;
        const char *passphrase;
    } sigstore_keys[2];
    size_t n_sigstore_keys;
    /* --referrers: the OCI referrers of the manifest copied (with --all, of
     * the list and each instance too) follow it, recursively, unchanged;
     * implies preserve_digests (copy_referrers.c). */
    int referrers;
} copy_options;

/* Copies one image. On failure the destination is closed without commit
 * (nothing half-written) and err_ctx holds the one-line error. */
int copy_image(const ferry_session *session, const copy_endpoint *src, const copy_endpoint *dst,
               copy_options *opts, ferry_ctx *err_ctx);

#endif
