/* ferry/transport.h — the transport interface a module implements: the module
 * descriptor, the transport descriptor, image sources and image destinations.
 *
 * Objects a module creates (sources, destinations, readers) embed a base struct
 * holding a pointer to their ops table as first member; the module allocates
 * them and frees them in their close function. The core never frees module
 * memory and a module never frees core memory. When an open or get call
 * fails, *out is not set and the module has released what it allocated.
 *
 * Threading (what the core really does; tests/abi/probe.c checks it):
 *  - Transport functions (validate_reference[_for], policy_identity,
 *    open_source, open_destination, delete_image, list_tags,
 *    check_credentials) may run concurrently on several threads, each call
 *    with its own ctx (sync copies several images at once). Distinct
 *    sources and destinations may be used concurrently. Module-global
 *    mutable state must therefore be thread-safe.
 *  - One source: its calls, and the reads and closes of its readers, never
 *    overlap in time (they may come from different threads, one after the
 *    other), except that get_blob and reads and closes of its readers run on
 *    several threads at once when the copy is parallel: the source declares
 *    FERRY_CAP_PARALLEL_GET, the destination FERRY_CAP_PARALLEL_PUT and not
 *    FERRY_CAP_LAYERS_IN_ORDER, and --image-parallel-copies is above 1.
 *    Reads of one reader never overlap. get_manifest, get_signatures,
 *    docker_reference, list_referrers and close never overlap with any
 *    other call on the source or its readers.
 *  - One destination: the same, with try_reuse_blob and put_blob as the
 *    calls that may overlap (under the same condition). manifest_types,
 *    desired_layer_compression, put_manifest, put_signatures, put_referrer,
 *    commit and close never overlap with any other call on it; put_manifest
 *    is called after every blob call of that image returned.
 *  - Every reader is closed before the source it came from; close of a
 *    source or destination comes last, exactly once.
 */
#ifndef FERRY_TRANSPORT_H
#define FERRY_TRANSPORT_H

#include <ferry/abi.h>
#include <ferry/services.h>
#include <ferry/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Layer compression a destination wants (desired_layer_compression). */
#define FERRY_COMPRESSION_PRESERVE 0   /* store layers as the source has them */
#define FERRY_COMPRESSION_COMPRESS 1   /* store layers gzip-compressed */
#define FERRY_COMPRESSION_DECOMPRESS 2 /* store layers uncompressed */

/* ferry_blob_info.kind */
#define FERRY_BLOB_LAYER 0
#define FERRY_BLOB_CONFIG 1

/* Describes one blob. Strings are owned by whoever passes the struct and are
 * valid for the duration of the call only. */
typedef struct ferry_blob_info {
    uint32_t struct_size;
    /* 1.0 */
    const char *digest;     /* "sha256:<hex>", or NULL when not known yet (put_blob) */
    int64_t size;           /* bytes, or -1 when not known yet (put_blob) */
    const char *media_type; /* as in the manifest being written; may be NULL */
    int32_t kind;           /* FERRY_BLOB_LAYER or FERRY_BLOB_CONFIG */
    int32_t layer_index;    /* position in the manifest's layers, -1 for the config */
    const char *uncompressed_digest; /* DiffID when known, else NULL */
    const char *source_reference;    /* put_blob/try_reuse_blob: the "transport:ref" the blob is copied from
                                      * (a registry may mount it from there), else NULL */
    const char *const *urls;         /* foreign-layer URLs from the manifest, NULL-terminated, or NULL */
} ferry_blob_info;

typedef struct ferry_image_source ferry_image_source;
typedef struct ferry_image_dest ferry_image_dest;

typedef struct ferry_source_ops {
    uint32_t struct_size;

    /* 1.0 */
    /* Opens the manifest of the image, or of the list instance with the given
     * digest when instance_digest is non-NULL. Sets *out to a reader the caller
     * closes (transfer full) and writes the manifest's media type, when the
     * storage records one, into media_type (NUL-terminated, at most cap bytes;
     * "" when unknown: the core then detects it from the bytes; the core passes
     * at least 256 bytes). The core reads at most 4 MiB and refuses larger
     * manifests. It hashes the bytes itself and refuses them (one line,
     * FERRY_ERR_DIGEST_MISMATCH) when they do not match instance_digest, or
     * for the top-level manifest the digest docker_reference pins
     * ("host/repo@sha256:…"), or the reader's digest() when it returns one
     * (which must be the digest of all the bytes, or for signed schema 1 of
     * the payload). A reference that pins a digest by other means, with
     * docker_reference NULL or unpinned, is the module's to check.
     * Never concurrent with another call on the source. */
    int (*get_manifest)(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest, ferry_reader **out,
                        char *media_type, size_t media_type_cap);

    /* Opens the blob described by info (digest and, when known, size and media
     * type are set). Sets *out to a reader the caller closes. The core verifies
     * digest and size while streaming; the module need not. FERRY_ERR_NOT_FOUND
     * when absent. Must be thread-safe if the transport declares
     * FERRY_CAP_PARALLEL_GET: it may then run concurrently with itself and
     * with reads of other readers of this source (see "Threading"). */
    int (*get_blob)(ferry_image_source *src, ferry_ctx *ctx, const ferry_blob_info *info, ferry_reader **out);

    /* Optional (may be NULL: no signatures). Calls emit once per signature of
     * the image (instance_digest NULL: the manifest the reference names) or of
     * the list instance instance_digest; the bytes are valid during the call
     * only. A nonzero return of emit stops the iteration and is returned.
     * Each signature is a containers/image "signature blob", stored and
     * passed on as is: a GPG simple signature is the bare OpenPGP message
     * (first byte 0x88-0x8B, 0x90-0x92, 0xA0-0xA3, 0xC2, 0xC4 or 0xC8); any
     * other format is the byte 0x00, the format name ("sigstore-json"), a
     * newline, then its data. The core's trust policy reads them (even with
     * --remove-signatures), so a source should return them whenever it has
     * them. */
    int (*get_signatures)(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest,
                          int (*emit)(void *opaque, const void *data, size_t len), void *opaque);

    /* Optional (may be NULL). Docker reference of the image ("host/repo:tag")
     * for inspect's Name/Tag, or NULL when the transport has none. Owned by the
     * source, valid until close. */
    const char *(*docker_reference)(ferry_image_source *src);

    /* Releases the source. Called exactly once, after every reader of the
     * source was closed, with the ctx open_source received. */
    void (*close)(ferry_image_source *src, ferry_ctx *ctx);

#if FERRY_TARGET_ABI_MINOR >= 3
    /* 1.3 (read only when FERRY_HAS_MEMBER says the table has it) */
    /* Optional (NULL: the transport cannot list referrers; `--referrers`
     * is then refused). Lists the OCI referrers of the manifest `digest`
     * (the manifests whose `subject` names it) as the OCI distribution
     * spec's referrers API answers them: calls emit once per referrer with
     * one descriptor as a JSON object (mediaType, digest, size, and when
     * known artifactType — the manifest's artifactType, else its config's
     * mediaType — and annotations — the manifest's), `len` bytes, valid
     * during the call only. Each referrer is emitted once. No referrer is
     * FERRY_OK without a call (never FERRY_ERR_NOT_FOUND). A nonzero return
     * of emit stops the iteration and is returned. Called from the thread
     * that opened the source, never during another call on the source. */
    int (*list_referrers)(ferry_image_source *src, ferry_ctx *ctx, const char *digest,
                          int (*emit)(void *opaque, const char *descriptor_json, size_t len), void *opaque);
#endif
} ferry_source_ops;

struct ferry_image_source {
    const ferry_source_ops *ops; /* owned by the module, normally static */
};

typedef struct ferry_dest_ops {
    uint32_t struct_size;

    /* 1.0 */
    /* Optional (NULL: every type). NULL-terminated list of manifest media types
     * the destination can store, preferred first; owned by the module, valid
     * until close. The core converts the manifest when the source's type is
     * not in the list (or when the user forces --format). Called (like
     * desired_layer_compression) for each image the copy writes (the image,
     * each list instance, each referrer) before that image's blob calls,
     * never concurrent with another call on the destination. */
    const char *const *(*manifest_types)(ferry_image_dest *dst);

    /* Optional (NULL: FERRY_COMPRESSION_PRESERVE). Layer compression wanted. */
    int (*desired_layer_compression)(ferry_image_dest *dst);

    /* Optional (NULL: never reusable). Returns FERRY_OK and sets *size when the
     * destination already holds the blob info->digest (or made it available by
     * a cross-repository mount), so that the core skips copying it;
     * FERRY_ERR_NOT_FOUND when the core must send it. Concurrency as put_blob. */
    int (*try_reuse_blob)(ferry_image_dest *dst, ferry_ctx *ctx, const ferry_blob_info *info, int64_t *size);

    /* Stores a blob by reading `data` until end of stream. info->digest and
     * info->size may be unknown (NULL / -1), for instance when the core
     * compresses on the fly; after the last read ferry_reader_digest(data)
     * gives the digest and the count of bytes read gives the size. The module
     * reads until end of stream (the core checks it did). If a read fails
     * (digest mismatch, truncation, cancellation) the module discards what it
     * wrote and returns that status: a blob is never visible under its digest
     * unless all its bytes arrived. `data` stays owned by the core (never
     * close it) and is valid during the call. Must be thread-safe if the
     * transport declares FERRY_CAP_PARALLEL_PUT: it (and try_reuse_blob) may
     * then run on several threads at once (see "Threading"). With
     * FERRY_CAP_PARALLEL_PUT, a blob (a layer or the config) whose call
     * failed with FERRY_ERR_TRANSIENT is sent again: a new call with a new
     * reader, at most 3 calls in all for that blob. */
    int (*put_blob)(ferry_image_dest *dst, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info);

    /* Stores a manifest. `data`/`len` are the exact bytes, `digest` their
     * digest computed by the core. instance_digest is NULL for the top-level
     * manifest and, for an entry of a list being written, the digest the list
     * lists it under: `digest` itself (an instance converted on the way gets
     * its new digest, as the list written does).
     * Called after every blob the manifest references was stored. The core
     * offers each manifest once, in a type from manifest_types (converted
     * when needed): an error, FERRY_ERR_UNSUPPORTED included, fails the
     * copy, with no other type tried and no commit. */
    int (*put_manifest)(ferry_image_dest *dst, ferry_ctx *ctx, const void *data, size_t len,
                        const char *media_type, const char *digest, const char *instance_digest);

    /* Optional (NULL: signatures unsupported). Stores `count` signature
     * blobs (the format of get_signatures; the array and bytes are the core's,
     * valid during the call) for the top-level manifest (instance_digest
     * NULL; called after its put_manifest) or for the list instance stored
     * under instance_digest (called right after that instance's
     * put_manifest). What becomes of signatures stored there before is the
     * transport's, as containers/image's (dir: and a lookaside store keep
     * exactly the new set; cosign attachments are appended to). A format the
     * destination cannot keep fails with FERRY_ERR_UNSUPPORTED and a
     * one-line message. */
    int (*put_signatures)(ferry_image_dest *dst, ferry_ctx *ctx, const char *instance_digest, size_t count,
                          const void *const *signatures, const size_t *lengths);

    /* Makes the image visible atomically (rename, index update, tag). Before
     * commit returns FERRY_OK nothing a reader of the destination trusts may
     * refer to the new image. */
    int (*commit)(ferry_image_dest *dst, ferry_ctx *ctx);

    /* Releases the destination. Without a successful commit it removes what
     * it wrote that nothing else refers to. Called exactly once, last, with
     * the ctx open_destination received. */
    void (*close)(ferry_image_dest *dst, ferry_ctx *ctx);

#if FERRY_TARGET_ABI_MINOR >= 3
    /* 1.3 (read only when FERRY_HAS_MEMBER says the table has it) */
    /* Optional (NULL: referrers cannot be stored; `--referrers` is then
     * refused). Declares that the manifest just stored by put_manifest (as
     * an instance: instance_digest == its digest, bytes unchanged) refers to
     * `subject_digest`. `descriptor_json` (`len` bytes, valid during the
     * call only) is its descriptor as list_referrers emits it. The module
     * makes it discoverable as a referrer at commit, not before: a registry
     * that answered the manifest's PUT with an OCI-Subject header indexes
     * it itself, otherwise the module merges the descriptor into the
     * referrers tag schema's index (tag ALG-HEX of the subject), without
     * duplicates; a layout lists it, untagged, in its index. Called from
     * the thread that opened the destination, after put_manifest and before
     * commit, at most once per (subject, referrer). */
    int (*put_referrer)(ferry_image_dest *dst, ferry_ctx *ctx, const char *subject_digest,
                        const char *descriptor_json, size_t len);
#endif
} ferry_dest_ops;

struct ferry_image_dest {
    const ferry_dest_ops *ops; /* owned by the module, normally static */
};

#if FERRY_TARGET_ABI_MINOR >= 4
/* 1.4. What a reference is for, as validate_reference_for learns it. Later
 * minors may add values: treat an unknown one as FERRY_REF_FOR_READ. */
#define FERRY_REF_FOR_READ 1      /* opened with open_source: copy/sync source, inspect (whose RepoTags
                                   * also pass it to list_tags) */
#define FERRY_REF_FOR_WRITE 2     /* opened with open_destination: copy/sync destination */
#define FERRY_REF_FOR_DELETE 3    /* passed to delete_image */
#define FERRY_REF_FOR_LIST_TAGS 4 /* passed to list_tags (list-tags, sync's tag listing) */
#endif

typedef struct ferry_transport {
    uint32_t struct_size;

    /* 1.0 */
    const char *name;        /* the prefix before ':' in references, e.g. "oci" */
    const char *description; /* one line for `ferry list-transports` */
    uint64_t capabilities;   /* FERRY_CAP_* bits */

    /* Optional (NULL: no early check). Checks the syntax of `reference` (the
     * text after "name:") without touching storage. FERRY_OK or
     * FERRY_ERR_INVALID with a message. The core calls it once for every
     * reference given on the command line (or in a sync list) before
     * anything is opened, unless validate_reference_for (1.4) is set. */
    int (*validate_reference)(ferry_ctx *ctx, const char *reference);

    /* Optional (NULL: the core passes no policy identity). Writes the policy
     * identity of the reference into buf (the core passes 4096 bytes).
     * FERRY_OK, FERRY_ERR_TOO_LARGE when it does not fit, or an error. Called
     * for the source of copy and sync before it is opened, unless
     * --insecure-policy; and by list-tags, after list_tags, whose
     * "Repository" is the identity without tag or digest (the reference
     * itself when this fails or is NULL).
     *
     * How policy.json scopes match (doc/trust-policy.md): the core looks up
     * transports.NAME (NAME = this transport's name) for the identity
     * itself, then its namespaces, most specific first, then the "" scope,
     * then "default". The transports ferry ships have containers/image's
     * identities and namespaces. For any other transport every scope is
     * accepted when policy.json is loaded, and the namespaces of an identity
     * are its prefixes ending before a '/', longest first, none of them
     * empty or "/": identity "/srv/images/app" is matched by the scopes
     * "/srv/images/app", "/srv/images", "/srv"; "bucket/team/app:1" by
     * "bucket/team/app:1", "bucket/team", "bucket". So write identities from
     * the most general part to the most specific, separated by '/'. An empty
     * identity matches only "" and "default". */
    int (*policy_identity)(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

    /* Opens an image for reading; *out is owned by the caller until its close.
     * FERRY_ERR_NOT_FOUND when the image does not exist. NULL unless
     * FERRY_CAP_SOURCE. */
    int (*open_source)(ferry_ctx *ctx, const char *reference, ferry_image_source **out);

    /* Opens an image for writing; nothing becomes visible before commit. NULL
     * unless FERRY_CAP_DESTINATION. */
    int (*open_destination)(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);

    /* Deletes the image. NULL unless FERRY_CAP_DELETE. */
    int (*delete_image)(ferry_ctx *ctx, const char *reference);

    /* Calls emit once per tag of the repository; the string is valid during the
     * call only. A nonzero return of emit stops the iteration and is returned.
     * NULL unless FERRY_CAP_LIST_TAGS. */
    int (*list_tags)(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag),
                     void *opaque);

    /* Optional (may be NULL). Checks that the credentials the core resolves
     * for `registry` (host[:port]) are accepted there, for `ferry login`:
     * FERRY_OK, FERRY_ERR_AUTH when refused, or another error. */
    int (*check_credentials)(ferry_ctx *ctx, const char *registry);

#if FERRY_TARGET_ABI_MINOR >= 4
    /* 1.4 (read only when FERRY_HAS_MEMBER says the table has it) */
    /* Optional (NULL: the core calls validate_reference). validate_reference
     * told what the reference is for: `purpose` is a FERRY_REF_FOR_* value
     * (unknown values: as FERRY_REF_FOR_READ). When set, the core calls it
     * instead of validate_reference everywhere it validates a reference, so
     * a transport can refuse early, in one line, what it cannot do with that
     * reference (a digest reference as a destination, a tag as list-tags'
     * argument). Syntax only, no storage touched. FERRY_OK or
     * FERRY_ERR_INVALID with a message. */
    int (*validate_reference_for)(ferry_ctx *ctx, const char *reference, int purpose);
#endif
} ferry_transport;

/* What a module returns from ferry_module_init. */
typedef struct ferry_module {
    uint32_t struct_size;       /* frozen position in every ABI major */
    uint16_t abi_major;         /* frozen position: FERRY_ABI_MAJOR the module was built with */
    uint16_t abi_minor;         /* frozen position: the minor the module needs (FERRY_TARGET_ABI_MINOR) */

    /* 1.0 */
    uint16_t reserved0;          /* zero */
    uint16_t reserved1;          /* zero */
    const char *name;            /* module name, e.g. "oci" */
    const char *version;         /* module version, e.g. "0.1.0" */
    const char *license;         /* SPDX identifier */
    const ferry_transport *const *transports; /* NULL-terminated; owned by the module */
    /* Optional (may be NULL). Called once before the core unloads the module,
     * to release module-wide resources (connection pools, library state),
     * after every object of the module was closed and from one thread. */
    void (*unload)(void);
} ferry_module;

/* Fills the frozen header of a module descriptor: the ABI the headers
 * declare, i.e. FERRY_TARGET_ABI_MINOR (abi.h). */
#define FERRY_MODULE_HEADER                                                                       \
    .struct_size = sizeof(ferry_module), .abi_major = FERRY_ABI_MAJOR, .abi_minor = FERRY_TARGET_ABI_MINOR

#ifdef __cplusplus
}
#endif
#endif /* FERRY_TRANSPORT_H */
