/* plugins/ostree/ostree_transport.h — the ostree: transport's parts and the
 * contracts between them: the reference (reference.c), the repository and
 * its commits through libostree (repo.c), file objects hashed once as they
 * stream in (content.c), a layer tar stream imported into a commit tree
 * (layer_import.c), and the transport's source and destination (source.c,
 * dest.c, module.c).
 *
 * The repository format is containers/image's ostree transport (removed in
 * containers/image 5.36; last in skopeo builds tagged containers_image_ostree),
 * documented in doc/transports/ostree.md:
 *   - every blob is a commit on the branch "ociimage/<hex of its digest>",
 *     parent the all-zero checksum, empty subject, metadata all strings;
 *   - a layer's tree is the layer unpacked; metadata docker.size (the blob's
 *     size), docker.uncompressed_size, docker.uncompressed_digest and
 *     tarsplit.output (base64 of the gzip'd tar-split, from which the exact
 *     tar is rebuilt);
 *   - a config's tree is the one file "content"; metadata docker.size;
 *   - the image is a commit on "ociimage/<encoded IMAGE>" whose tree holds
 *     manifest.json and signature-1…N; metadata docker.manifest (the manifest
 *     itself), signatures (their count) and docker.digest.
 *
 * Errors: functions returning int return FERRY_OK or a FERRY_* status after
 * svc->set_error on ctx, in one line naming the reference, repository,
 * branch or entry. */
#ifndef FERRY_PLUGIN_OSTREE_TRANSPORT_H
#define FERRY_PLUGIN_OSTREE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <ostree.h>

#include <ferry/ferry.h>

#include "plugin_util.h"

#define OT_TRANSPORT "ostree"
#define OT_DEFAULT_REPO "/ostree/repo"
#define OT_BRANCH_PREFIX "ociimage/"
/* The parent every commit of the old transport names. */
#define OT_NO_PARENT "0000000000000000000000000000000000000000000000000000000000000000"
/* Manifests, configs' metadata and signatures are read whole; refuse more. */
#define OT_SMALL_MAX (4 * 1024 * 1024)

/* The services table the core handed to ferry_module_init (module.c). */
const ferry_services *ot_services(void);

/* ---- reference.c ----------------------------------------------------------- */

/* ostree:IMAGE[@/ABSOLUTE/REPO] as containers/image parsed it. Owned strings. */
typedef struct ot_reference {
    char *image;  /* as given (not normalised), ":latest" appended when it names no tag or digest */
    char *branch; /* "ociimage/" + image with every byte outside [A-Za-z0-9.-] written "_%02X" */
    char *repo;   /* the repository, absolute and symlink-free */
    char *label;  /* "ostree:" + the reference as given, for messages */
} ot_reference;

/* FERRY_OK, or FERRY_ERR_INVALID with a one-line message in err; r is
 * released with ot_reference_free either way. */
int ot_reference_parse(const char *text, ot_reference *r, char *err, size_t errcap);
void ot_reference_free(ot_reference *r);
/* "ociimage/" + the encoding of `image` (malloc'd; NULL when out of memory). */
char *ot_branch_for_image(const char *image);
/* "ociimage/<hex>" for a blob digest, or NULL when the digest is not valid. */
char *ot_branch_for_digest(const ferry_services *svc, const char *digest);

/* ---- repo.c: the repository through libostree ------------------------------ */

typedef struct ot_repo {
    const ferry_services *svc;
    OstreeRepo *repo;
    OstreeRepoMode mode;
    const char *label; /* borrowed: the reference's */
    int in_transaction;
} ot_repo;

/* Opens the existing repository at path (never creates one). */
int ot_repo_open(const ferry_services *svc, ferry_ctx *ctx, const char *path, const char *label, ot_repo *r);
/* Parses `reference` into *ref and opens the repository it names into *r;
 * both are released by the caller (ot_reference_free, ot_repo_close) also
 * after a failure. */
int ot_open_reference(const ferry_services *svc, ferry_ctx *ctx, const char *reference, ot_reference *ref,
                      ot_repo *r);
/* Aborts an unfinished transaction (removing the objects it staged) and
 * releases the repository. */
void ot_repo_close(ot_repo *r);

/* Reports a GError (taken and freed) as "LABEL: WHAT: MESSAGE"; status from
 * its code (not found, no space, …) unless `status` is nonzero. */
int ot_gerror(ot_repo *r, ferry_ctx *ctx, int status, GError *err, const char *what);

/* The commit a branch points at (malloc'd with g_malloc: g_free), or NULL
 * when there is no such branch. */
int ot_resolve_branch(ot_repo *r, ferry_ctx *ctx, const char *branch, char **checksum);
/* Loads the commit's metadata (a{sv}) into *meta (g_variant_unref). */
int ot_commit_metadata(ot_repo *r, ferry_ctx *ctx, const char *checksum, GVariant **meta);
/* A string value of the metadata (borrowed from meta), or NULL when absent
 * or not a string. */
const char *ot_meta_string(GVariant *meta, const char *key);
/* An int64 value recorded as a decimal string: 0, or -1 when absent or bad. */
int ot_meta_int64(GVariant *meta, const char *key, int64_t *out);

/* Starts the transaction every write belongs to (once; later calls do
 * nothing). Objects written in it become visible only at ot_repo_commit_refs;
 * a crash or an abort leaves only staging files libostree cleans up. */
int ot_repo_begin(ot_repo *r, ferry_ctx *ctx);
/* Sets refs[i] to checksums[i] (n pairs) and commits the transaction. */
int ot_repo_commit_refs(ot_repo *r, ferry_ctx *ctx, char *const *refs, char *const *checksums, size_t n);

/* Directory metadata object for owner, mode (S_IFDIR added) and xattrs
 * (a(ayay), may be NULL); its checksum (g_free) into *out. */
int ot_write_dirmeta(ot_repo *r, ferry_ctx *ctx, uint32_t uid, uint32_t gid, uint32_t mode, GVariant *xattrs,
                     char **out);
/* One metadata entry of a commit: the old transport recorded strings only. */
typedef struct ot_meta_entry {
    const char *key;
    const char *value;
} ot_meta_entry;
/* Writes mtree and a commit of it (parent OT_NO_PARENT, no subject, now)
 * with the metadata given; its checksum (g_free) into *out. */
int ot_write_commit(ot_repo *r, ferry_ctx *ctx, OstreeMutableTree *mtree, const ot_meta_entry *meta, size_t n,
                    const char *what, char **out);

/* A tree of one directory (owner uid/gid, mode) holding small files
 * (names[i], data[i], lens[i], mode 0644, same owner): the trees of configs
 * and image commits. The tree is the caller's (g_object_unref). */
int ot_small_files_tree(ot_repo *r, ferry_ctx *ctx, uint32_t uid, uint32_t gid, uint32_t dir_mode,
                        const char *const *names, const void *const *data, const size_t *lens, size_t n,
                        OstreeMutableTree **out);

/* ---- content.c: file and symbolic-link objects ------------------------------ */

/* Pulls up to len bytes; *n 0 at the end. FERRY_OK or a status already
 * reported on ctx. */
typedef int (*ot_pull_fn)(void *opaque, ferry_ctx *ctx, void *buf, size_t len, size_t *n);

/* A regular file object of exactly `size` bytes pulled from `pull`, with
 * owner, mode and xattrs (a(ayay), may be NULL); its checksum (g_free) into
 * *out. The data is hashed once, here, and stored as trusted (an object
 * already present is not written again). Needs a transaction. */
int ot_write_file(ot_repo *r, ferry_ctx *ctx, ot_pull_fn pull, void *opaque, uint64_t size, uint32_t uid,
                  uint32_t gid, uint32_t mode, GVariant *xattrs, const char *name, char **out);
/* The same for len bytes in memory. */
int ot_write_file_bytes(ot_repo *r, ferry_ctx *ctx, const void *data, size_t len, uint32_t uid, uint32_t gid,
                        uint32_t mode, const char *name, char **out);
/* A symbolic link object. */
int ot_write_symlink(ot_repo *r, ferry_ctx *ctx, const char *target, uint32_t uid, uint32_t gid, GVariant *xattrs,
                     const char *name, char **out);

/* ---- layer_import.c -------------------------------------------------------- */

typedef struct ot_layer_result {
    char diff_digest[PLUGIN_UTIL_DIGEST_MAX]; /* sha256 of the tar stream: the DiffID */
    int64_t diff_size;
    char *tarsplit_b64; /* base64 of the gzip'd tar-split (malloc'd) */
} ot_layer_result;

/* Reads the uncompressed layer tar `tar` to its end into a new tree of
 * repository objects as the old transport's extraction left it: directories,
 * regular files, symbolic links and hard links with their owners, modes and
 * xattrs; whiteouts (.wh.*) kept as the empty files they are; device nodes,
 * FIFOs and sockets left out (ostree cannot hold them; their headers stay in
 * the tar-split). *mtree is the caller's. Needs a transaction (ot_repo_begin). */
int ot_layer_import(ot_repo *r, ferry_ctx *ctx, ferry_reader *tar, OstreeMutableTree **mtree,
                    ot_layer_result *res);
void ot_layer_result_release(ot_layer_result *res);

/* ---- the transport's entry points ----------------------------------------- */
int ot_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int ot_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);

#endif /* FERRY_PLUGIN_OSTREE_TRANSPORT_H */
