/* ferry/abi.h — version numbers, status codes, capability bits and the module
 * entry point of ferry's transport plugin ABI.
 *
 * These headers are the contract between the core and its modules: every
 * rule (threading, lifetime, ownership, errors) is written next to the struct
 * or callback it governs. doc/plugin-abi.md is a guide that points here.
 *
 * Stability promise: within ABI major 1, every struct below that starts with
 * `struct_size` only ever grows at its end, and no existing member changes
 * meaning. A module built against 1.N loads in every core 1.M with M >= N.
 * Readers of a struct check `struct_size` before touching a member added
 * after 1.0 (FERRY_HAS_MEMBER). Unknown status codes are treated as
 * FERRY_ERR_FAILED, unknown capability bits are ignored.
 *
 * Building for an older core: define FERRY_TARGET_ABI_MINOR to N before
 * including any ferry header (or with -DFERRY_TARGET_ABI_MINOR=N) and the
 * headers declare ABI 1.N exactly: members, constants and services added
 * after 1.N are left out, so using one is a compile error, sizeof() of every
 * struct is its 1.N size, and FERRY_MODULE_HEADER declares abi_minor N. The
 * module then loads in every core 1.M with M >= N. Without the macro the
 * target is FERRY_ABI_MINOR. (As OPENSSL_API_COMPAT does for OpenSSL.)
 */
#ifndef FERRY_ABI_H
#define FERRY_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERRY_ABI_MAJOR 1
/* 1.1: FERRY_CAP_UNCOMPRESSED_LAYERS; 1.2: services->manifest_digest;
 * 1.3: OCI referrers (source_ops->list_referrers, dest_ops->put_referrer);
 * 1.4: transport->validate_reference_for and FERRY_REF_FOR_*, the file
 *      services (file_reader, memory_reader, write_file_atomic, mkdir_p),
 *      FERRY_TARGET_ABI_MINOR;
 * 1.5: services->error_message, services->get_stored_credentials */
#define FERRY_ABI_MINOR 5

/* The ABI 1.N these headers declare (see the top of this file). */
#ifndef FERRY_TARGET_ABI_MINOR
#define FERRY_TARGET_ABI_MINOR FERRY_ABI_MINOR
#elif FERRY_TARGET_ABI_MINOR < 0 || FERRY_TARGET_ABI_MINOR > FERRY_ABI_MINOR
#error "FERRY_TARGET_ABI_MINOR must be between 0 and FERRY_ABI_MINOR of these headers"
#endif

/* Status codes returned by every fallible function on both sides. */
#define FERRY_OK 0
#define FERRY_ERR_FAILED 1          /* anything not listed below */
#define FERRY_ERR_NOT_FOUND 2       /* image, manifest, tag or blob absent (exit 2 for a missing image, see doc) */
#define FERRY_ERR_INVALID 3         /* malformed reference, manifest, digest, option */
#define FERRY_ERR_IO 4              /* file system or network I/O failed */
#define FERRY_ERR_DIGEST_MISMATCH 5 /* bytes do not match their digest or size */
#define FERRY_ERR_UNSUPPORTED 6     /* operation not offered by this transport */
#define FERRY_ERR_CANCELLED 7       /* interrupted, or --command-timeout expired */
#define FERRY_ERR_AUTH 8            /* credentials refused or missing */
#define FERRY_ERR_NO_MEMORY 9
#define FERRY_ERR_TOO_LARGE 10 /* input over a safety limit (e.g. 4 MiB manifest) */
#define FERRY_ERR_ABI 11       /* version negotiation failed */
/* Temporary failure (network error, HTTP 408, 429, 5xx): --retry-times may
 * retry the operation, and a copy first retries the failing layer alone (see
 * put_blob). */
#define FERRY_ERR_TRANSIENT 12

/* Capability bits a transport declares so that the core can plan a copy
 * without trial and error. */
#define FERRY_CAP_SOURCE (UINT64_C(1) << 0)       /* open_source works */
#define FERRY_CAP_DESTINATION (UINT64_C(1) << 1)  /* open_destination works */
/* PARALLEL_GET: get_blob and reads may run on several threads at once;
 * PARALLEL_PUT: try_reuse_blob and put_blob may. When the core uses them is
 * the "Threading" comment at the top of ferry/transport.h. */
#define FERRY_CAP_PARALLEL_GET (UINT64_C(1) << 2)
#define FERRY_CAP_PARALLEL_PUT (UINT64_C(1) << 3)
#define FERRY_CAP_BLOB_REUSE (UINT64_C(1) << 4)   /* try_reuse_blob can find blobs already present */
#define FERRY_CAP_CROSS_REPO_MOUNT (UINT64_C(1) << 5) /* try_reuse_blob can mount from a sibling repository */
#define FERRY_CAP_LAYERS_IN_ORDER (UINT64_C(1) << 6)  /* put_blob one at a time: layers in manifest order, then the config */
#define FERRY_CAP_NEEDS_UNCOMPRESSED (UINT64_C(1) << 7) /* put_blob is fed layers decompressed; info still describes the blob as in the manifest (which does not change) */
#define FERRY_CAP_COMPUTES_DIFFIDS (UINT64_C(1) << 8)   /* destination needs each layer's DiffID in info->uncompressed_digest (core supplies and verifies it) */
#define FERRY_CAP_NEEDS_BLOB_SIZE (UINT64_C(1) << 9)    /* put_blob needs info->digest and info->size up front (tar headers); core spools to --tmpdir when unknown */
#define FERRY_CAP_SIGNATURES (UINT64_C(1) << 10)        /* get/put_signatures store real signatures */
#define FERRY_CAP_MULTI_IMAGE (UINT64_C(1) << 11)       /* one location holds several images (archives) */
#define FERRY_CAP_MANIFEST_LISTS (UINT64_C(1) << 12)    /* destination stores lists/indexes with their instances */
#define FERRY_CAP_DELETE (UINT64_C(1) << 13)            /* delete_image works */
#define FERRY_CAP_LIST_TAGS (UINT64_C(1) << 14)         /* list_tags works */
/* 1.1. A source whose get_blob serves each layer of the manifest
 * decompressed: the bytes are the layer's DiffID (the config's
 * rootfs.diff_ids[i]), not the blob the manifest names, because the storage
 * keeps layers unpacked (containers-storage). get_blob still receives the
 * manifest's descriptor (digest, layer_index), and its reader's size() should
 * give the uncompressed size. The core verifies the bytes against the DiffID
 * and, when a layer was compressed in the manifest, writes a new manifest
 * naming them, as containers/image does with LayerInfosForCopy: the layers
 * keep their media types (skopeo 1.9 does not relabel them), are compressed
 * for destinations that compress, and --preserve-digests and copying
 * signatures are refused. A manifest whose layers were uncompressed already
 * is kept as it is. A 1.0 core ignores the bit, and then fails
 * the copy on the digest mismatch: a module setting it should require 1.1. */
#if FERRY_TARGET_ABI_MINOR >= 1
#define FERRY_CAP_UNCOMPRESSED_LAYERS (UINT64_C(1) << 15)
#endif

/* True when a struct whose first member is `uint32_t struct_size` is large
 * enough to contain `member`. Use before reading any member added after 1.0. */
#define FERRY_HAS_MEMBER(ptr, type, member) \
    ((ptr) != NULL && (ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

#if defined(__GNUC__) || defined(__clang__)
#define FERRY_EXPORT __attribute__((visibility("default")))
#define FERRY_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define FERRY_EXPORT
#define FERRY_PRINTF(fmt_index, first_arg)
#endif

struct ferry_core;
struct ferry_module;

/* The one symbol a module exports. Its name and signature never change, in
 * any ABI major, so that a core can always ask a module which ABI it speaks.
 *   core: owned by the core, valid until the module is unloaded.
 *   out:  set to a module descriptor owned by the module (normally static),
 *         valid until the module is unloaded.
 * Returns FERRY_OK, or FERRY_ERR_ABI when the module refuses this core (for
 * example a core minor older than it needs); it may say why first with
 * core->services->log(NULL, FERRY_LOG_ERROR, ...) (NULL ctx is allowed here).
 * (The core itself refuses modules of another major or of a newer minor.)
 * Must not do expensive work: the core may load a module only to list it.
 * Threading: called once per loaded file, from one thread, before any other
 * call into the module. */
#define FERRY_MODULE_ENTRY_SYMBOL "ferry_module_init"
typedef int (*ferry_module_init_fn)(const struct ferry_core *core, const struct ferry_module **out);

/* Defines the entry point; `impl` is a static function of the same type, so
 * the implementation keeps a module-specific name in debuggers and stack
 * traces. */
#define FERRY_MODULE_DEFINE(impl)                                                                  \
    FERRY_EXPORT int ferry_module_init(const struct ferry_core *core,                              \
                                       const struct ferry_module **out);                           \
    FERRY_EXPORT int ferry_module_init(const struct ferry_core *core,                              \
                                       const struct ferry_module **out)                            \
    {                                                                                              \
        return impl(core, out);                                                                    \
    }

#ifdef __cplusplus
}
#endif
#endif /* FERRY_ABI_H */
