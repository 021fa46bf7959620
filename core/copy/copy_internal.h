/* core/copy/copy_internal.h — what the parts of the copy pipeline share: one
 * run's state (copy_run), the per-blob jobs its workers take, and the config
 * blob fetched, converted and stored by copy_config.c. Internal to core/copy/. */
#ifndef FERRY_CORE_COPY_INTERNAL_H
#define FERRY_CORE_COPY_INTERNAL_H

#include <signal.h>
#include <stdio.h>

#include <jansson.h>

#include "copy/copy.h"
#include "copy/gzpar.h"
#include "copy/plan.h"
#include "copy/progress.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "plugin/context.h"

/* The config, read and verified before any layer moves: it may need
 * converting and it holds the DiffIDs some destinations verify. */
typedef struct config_blob {
    char *source_bytes; /* as the source stores it */
    size_t source_len;
    char *converted;    /* OCI form when the plan converts, else NULL */
    const char *bytes;  /* what the destination gets */
    size_t len;
    char digest[DIGEST_MAX_LEN];
    json_t *parsed;     /* source config, for DiffIDs */
} config_blob;


typedef struct blob_job {
    int is_config;  /* the config, stored alongside the layers */
    const manifest_descriptor *desc;        /* what is copied (served layers: digest = DiffID) */
    const manifest_descriptor *source_desc; /* what get_blob is asked for: the manifest's */
    const layer_plan *plan;
    int index;
    int duplicate_of; /* index of an earlier job with the same digest, or -1 */
    const char *diff_id; /* from the config's rootfs.diff_ids, or NULL */
    const char *urls[9]; /* foreign-layer URLs handed to the destination */
    char out_digest[DIGEST_MAX_LEN];
    int64_t out_size;
    const char *out_media_type; /* the plan's, or plan_layer_uncompressed's */
    json_t *out_annotations;    /* added to the layer's annotations (zstd:chunked's), or NULL; owned */
    int want_diff_id;           /* compute the layer's DiffID on the way (a schema 1 source) */
    char computed_diff_id[DIGEST_MAX_LEN];
    progress_blob *progress; /* its report, once begun (owned by the run's progress) */
} blob_job;

/* A list instance the policy check read before anything was written
 * (copy_policy.c), handed on to copy_list so that its manifest and
 * signatures are not fetched twice. Owned by the run; taken (data NULL,
 * sigs empty) by copy_list. */
struct checked_instance;

typedef struct copy_run {
    const copy_endpoint *src, *dst;
    ferry_image_source *source;
    ferry_image_dest *dest;
    copy_progress *progress; /* the report (progress.h); NULL with --quiet */
    ferry_session worker_session;
    int deliver_uncompressed; /* destination declared FERRY_CAP_NEEDS_UNCOMPRESSED */
    int supply_diff_ids;      /* destination declared FERRY_CAP_COMPUTES_DIFFIDS */
    int needs_sizes;          /* destination declared FERRY_CAP_NEEDS_BLOB_SIZE */
    int retry_blobs;          /* FERRY_CAP_PARALLEL_PUT: blobs stand alone, a layer can be sent again */
    volatile sig_atomic_t aborted;
    pthread_mutex_t lock;
    blob_job *jobs;   /* the layers, then the config */
    size_t n_jobs, next_job;
    size_t *order;    /* the order workers take jobs in: largest first */
    /* Layers being (de/re)compressed at once, at most one per CPU: the
     * largest then keeps a CPU from start to end instead of sharing it. */
    unsigned cpu_slots, cpu_busy;
    pthread_cond_t cpu_free;
    config_blob *cfg;          /* fetched up front, or by the config job */
    int config_fetched;
    const manifest_descriptor *config_desc;
    const copy_plan *plan;
    const manifest *m; /* the image being copied */
    char frozen[CTX_MESSAGE_MAX / 2]; /* why no layer may change, or "" */
    char list_frozen[CTX_MESSAGE_MAX / 4]; /* why no instance of the list may change, or "" */
    int status;
    char message[CTX_MESSAGE_MAX];
    gzpar_pool *gz_pool; /* gzip workers shared by the layers being compressed; may be NULL */
    int has_level, level; /* --dest-compress-level */
    int precompute_digests; /* --dest-precompute-digests */
    int keep_top;           /* keep the top-level manifest written (--sign-by signs it) */
    char *top_written;      /* the manifest last written, malloc'd; NULL until written */
    const struct copy_signing *signing; /* what signing copies prepared (copy_sign.c), else unused */
    struct checked_instance *checked;   /* one per list entry after a policy check of a list copy, else NULL */
    size_t top_written_len;
    uint64_t bytes_sent; /* layer bytes stored at the destination (not reused); updated atomically */
    struct blob_claims *claims; /* see copy_options; NULL when not shared */
    char claim_scope[512];      /* the destination without its tag or digest */
} copy_run;

/* One image manifest of the copy: the image itself or an instance of a list. */
typedef struct image_view {
    const manifest *m;
    const char *data; /* the manifest bytes as the source stores them */
    size_t len;
    const char *instance_digest; /* NULL for the top-level manifest */
} image_view;

typedef struct signature_set {
    void **data;
    size_t *lens;
    size_t n;
} signature_set;

/* What copy_one_image stored: the manifest's digest, size and type. */
typedef struct copy_written {
    char digest[DIGEST_MAX_LEN];
    int64_t size;
    const char *media_type; /* static */
} copy_written;

/* Copies the blobs of one image and stores its manifest, as the top-level
 * manifest or as an instance of the list being copied (copy.c). On failure
 * *failed is the context holding the message. */
int copy_one_image(copy_run *run, const image_view *img, copy_options *opts, const signature_set *sigs,
                   ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed, copy_written *written);

/* Refuses signatures the destination cannot keep or the plan would break. */
int copy_signatures_check(const copy_endpoint *dst, const copy_run *run, const signature_set *sigs,
                          const copy_plan *plan, ferry_ctx *dctx);

/* Copies a list: the instances the options select, then the list, converted
 * or rewritten when the destination or the selection needs it
 * (copy_list.c). */
struct fetched_image;
int copy_list(copy_run *run, const struct fetched_image *img, copy_options *opts, const signature_set *sigs,
              ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed);

/* Marks in selected (one byte per instance) the instances of list the
 * options copy; fails naming a platform no instance has. */
int copy_list_select(const copy_run *run, const manifest *list, const copy_options *opts, char *selected,
                     ferry_ctx *ctx);

/* ---- copy_policy.c ---- */
/* The source's remaining trust-policy requirements (run->src->policy),
 * evaluated against each image the copy will write and its signatures,
 * before the destination is opened; sigs are the top level's (or the system
 * instance's) as read for the copy. */
int copy_policy_check(copy_run *run, const struct fetched_image *img, const copy_options *opts,
                      const signature_set *sigs, ferry_ctx *sctx);

typedef struct checked_instance {
    char *data; /* the manifest, NULL when not read or already taken */
    size_t len;
    char media_type[MEDIA_TYPE_MAX]; /* as the source reported it ("" unknown) */
    signature_set sigs;
} checked_instance;

/* Frees run->checked (n entries) and what copy_list did not take. */
void copy_policy_release(copy_run *run, size_t n);

/* Fills cfg's bytes, parsed form and digest from cfg->source_bytes, converted
 * to OCI when the plan says so; `what` names it in messages. */
int copy_config_prepare(config_blob *cfg, const copy_plan *plan, const char *what, ferry_ctx *ctx);

/* Adds a copy of a signature to s: FERRY_OK, or an error status. */
int signature_add(signature_set *s, const void *data, size_t len);
/* signature_add as a get_signatures emit callback (opaque: the set). */
int signature_collect(void *opaque, const void *data, size_t len);
/* Frees the signatures of s (not s itself). */
void signature_release(signature_set *s);

/* ---- copy_sign.c ---- */
/* What a signing copy prepared: the identity signed and the sigstore keys,
 * decrypted before anything is copied. */
typedef struct copy_signing {
    char identity[1024];
    struct evp_pkey_st *sigstore_keys[2]; /* EVP_PKEY, one per opts->sigstore_keys */
    size_t n_sigstore_keys;
} copy_signing;
/* 1 when opts asks for any new signature (GPG or sigstore). */
int copy_sign_wanted(const copy_options *opts);
/* Before anything is copied: the identity to sign, whether the destination
 * can store signatures, and the sigstore keys loaded into *s. */
int copy_sign_prepare(const copy_endpoint *dst, const copy_run *run, const copy_options *opts, copy_signing *s,
                      ferry_ctx *dctx);
/* 1 when the destination declares FERRY_CAP_SIGNATURES and has put_signatures. */
int copy_dest_keeps_signatures(const copy_endpoint *dst, const copy_run *run);
/* Signs run->top_written for s->identity with opts->sign_by (GPG), then with
 * each sigstore key, adding the signatures to sigs in that order. */
int copy_sign(const copy_run *run, const copy_options *opts, const copy_signing *s, signature_set *sigs,
              ferry_ctx *dctx);
/* Frees the keys of *s (any state, also zeroed). */
void copy_signing_release(copy_signing *s);

/* ---- copy_referrers.c ---- */
/* --referrers: refuses, in one line naming the transport, a source that
 * cannot list referrers or a destination that cannot store them. */
int copy_referrers_check(const copy_run *run, ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed);
/* Copies the referrers of each manifest in `subjects` (digests, as copied),
 * recursively, and declares them to the destination (put_referrer). */
int copy_referrers(copy_run *run, const char *const *subjects, size_t n_subjects, const copy_options *opts,
                   ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed);
/* copy_referrers for what copy_image copied of img: the image, or with a
 * list the list and (--all) each instance, under their source digests
 * (kept: --referrers implies --preserve-digests). */
struct fetched_image;
int copy_image_referrers(copy_run *run, const struct fetched_image *img, const copy_options *opts,
                         ferry_ctx *sctx, ferry_ctx *dctx, ferry_ctx **failed);

/* ---- copy_manifest.c ---- */
/* Keeps the manifest just stored (an instance's, then the top level's)
 * when run->keep_top asks for it: --sign-by signs each. */
void copy_keep_top(copy_run *run, const void *bytes, size_t len);
/* 1 when a layer was stored under another digest or type than the source
 * lists. */
int copy_layers_changed(const manifest *m, const blob_job *jobs);
/* Builds, digests and stores the manifest of `img` after its blobs. */
int copy_write_manifest(const copy_endpoint *dst, copy_run *run, const image_view *img, const copy_plan *plan,
                        const config_blob *cfg, copy_written *written, ferry_ctx *dctx);

/* ---- copy_schema1.c ---- */
/* From schema 1: the config built from the history and the DiffIDs the
 * layer jobs computed (run->jobs), converted as the plan says. */
int copy_schema1_config(copy_run *run, const image_view *img, const copy_plan *plan, config_blob *cfg,
                        ferry_ctx *dctx);
/* From schema 1: the schema 2 / OCI manifest of the layers that are not
 * throwaway (malloc'd, NULL when out of memory). */
char *copy_schema1_manifest(const image_view *img, const copy_plan *plan, const blob_job *jobs,
                            const config_blob *cfg, size_t *len);
/* Schema 1 to schema 1: the source's bytes, or, into a registry repository or
 * tag other than the one the manifest names, the manifest renamed and
 * re-signed as containers/image does (malloc'd; NULL with a message in dctx). */
char *copy_schema1_kept(copy_run *run, const image_view *img, size_t *len, ferry_ctx *dctx);
/* To schema 1: builds, signs and stores the manifest from the source's config
 * (cfg->source_bytes) and the layers run->jobs wrote, and the empty layer
 * when the history needs it. */
int copy_schema1_write(copy_run *run, const image_view *img, const config_blob *cfg, copy_written *written,
                       ferry_ctx *dctx);

/* Reads the config `d` of the image through the run's source, verified, and
 * converts it when the plan says so. Releases with copy_config_release. */
int copy_config_fetch(copy_run *run, const manifest_descriptor *d, const copy_plan *plan, ferry_ctx *sctx,
                      config_blob *cfg);
void copy_config_release(config_blob *cfg);
/* The config's rootfs.diff_ids[index] when it is a valid digest, else NULL;
 * owned by cfg. */
const char *copy_config_diff_id(const config_blob *cfg, size_t index);
/* Stores the config at the destination unless it holds it already. */
int copy_config_store(copy_run *run, const config_blob *cfg, const copy_plan *plan, ferry_ctx *dctx);

/* The layers of m as a FERRY_CAP_UNCOMPRESSED_LAYERS source serves them: each
 * descriptor as in m (strings borrowed) but with the DiffID from cfg as its
 * digest and an unknown size. *out is malloc'd, the caller's. A config
 * without a DiffID for every layer is refused, naming `source`. */
int copy_served_layers(const manifest *m, const config_blob *cfg, const char *source, manifest_descriptor **out,
                       ferry_ctx *sctx);
/* 1 when a layer served uncompressed differs from the blob the manifest
 * names (it was compressed there), so that the manifest must change; 0 for
 * NULL (nothing served). */
int copy_served_layers_differ(const manifest *m, const manifest_descriptor *served);

#endif
