/* plugins/ostree/dest.c — writing an image into an OSTree repository in the
 * old transport's format. Every blob becomes a commit as it arrives: layers
 * decompressed by the core (NEEDS_UNCOMPRESSED, with their blob's digest and
 * size from the manifest: NEEDS_BLOB_SIZE) are imported into trees, the
 * config is a tree of one file; several at once (PARALLEL_PUT: each import
 * builds its own tree, libostree takes objects from any thread). All objects
 * go into one libostree transaction, and commit() adds the image commit and sets every branch at
 * once: a copy that fails or is killed leaves no branch to a half image, and
 * the staged objects are libostree's to clean. Only Docker schema 2
 * manifests are stored, as the old transport did (the core converts). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ostree_transport.h"

typedef struct ot_dest {
    ferry_image_dest base;
    const ferry_services *svc;
    ot_reference ref;
    ot_repo repo;
    /* put_blob runs on several threads (PARALLEL_PUT): libostree writes
     * objects from any thread into the one transaction; starting it and the
     * branch list below are guarded. */
    pthread_mutex_t lock;
    char **branches, **commits; /* set together at commit, in this order */
    size_t n_branches;
    char *manifest;
    size_t manifest_len;
    char manifest_digest[PLUGIN_UTIL_DIGEST_MAX];
    char **signatures;
    size_t *signature_lens, n_signatures;
} ot_dest;

static int ot_dest_oom(ot_dest *dst, ferry_ctx *ctx)
{
    return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
}

/* Records branch -> commit (taken) for commit(). */
static int ot_dest_add_branch(ot_dest *dst, ferry_ctx *ctx, char *branch, char *commit)
{
    pthread_mutex_lock(&dst->lock);
    char **b = realloc(dst->branches, (dst->n_branches + 1) * sizeof(*b));
    if (b != NULL)
        dst->branches = b;
    char **c = b ? realloc(dst->commits, (dst->n_branches + 1) * sizeof(*c)) : NULL;
    if (c != NULL)
        dst->commits = c;
    if (b != NULL && c != NULL) {
        dst->branches[dst->n_branches] = branch;
        dst->commits[dst->n_branches++] = commit;
    }
    pthread_mutex_unlock(&dst->lock);
    if (b == NULL || c == NULL) {
        free(branch);
        g_free(commit);
        return ot_dest_oom(dst, ctx);
    }
    return FERRY_OK;
}

/* The old transport reuses a layer whose branch records all three of its
 * sizes and digests; a config whose branch records its size is reused too
 * (the same digest is the same bytes). */
static int ot_dest_try_reuse_blob(ferry_image_dest *dest, ferry_ctx *ctx, const ferry_blob_info *info, int64_t *size)
{
    ot_dest *dst = (ot_dest *)dest;
    char *branch = ot_branch_for_digest(dst->svc, info->digest);
    if (branch == NULL)
        return FERRY_ERR_NOT_FOUND;
    char *checksum = NULL;
    GVariant *meta = NULL;
    int rc = ot_resolve_branch(&dst->repo, ctx, branch, &checksum);
    if (rc == FERRY_OK && checksum != NULL)
        rc = ot_commit_metadata(&dst->repo, ctx, checksum, &meta);
    int64_t recorded = -1, ignored;
    if (rc == FERRY_OK && meta != NULL && ot_meta_int64(meta, "docker.size", &recorded) == 0 &&
        (info->kind == FERRY_BLOB_CONFIG ||
         (ot_meta_string(meta, "docker.uncompressed_digest") != NULL &&
          ot_meta_int64(meta, "docker.uncompressed_size", &ignored) == 0)))
        *size = recorded;
    else if (rc == FERRY_OK)
        rc = FERRY_ERR_NOT_FOUND;
    if (meta != NULL)
        g_variant_unref(meta);
    g_free(checksum);
    free(branch);
    return rc;
}

static int ot_pull_reader(void *opaque, ferry_ctx *ctx, void *buf, size_t len, size_t *n)
{
    int eos = 0;
    return ferry_reader_read(opaque, ctx, buf, len, n, &eos);
}

/* Reads what libostree left of the stream: nothing but its end. */
static int ot_dest_expect_end(ot_dest *dst, ferry_ctx *ctx, ferry_reader *data, const char *digest)
{
    for (;;) {
        unsigned char byte;
        size_t n = 0;
        int eos = 0;
        int rc = ferry_reader_read(data, ctx, &byte, 1, &n, &eos);
        if (rc != FERRY_OK)
            return rc;
        if (n > 0)
            return dst->svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob %s is longer than its size",
                                       dst->ref.label, digest);
        if (eos)
            return FERRY_OK;
    }
}

static int ot_dest_put_config(ot_dest *dst, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info,
                              OstreeMutableTree **mtree)
{
    char *dirmeta = NULL;
    /* The old transport committed the temporary directory it wrote the blob
     * into: made by MkdirTemp (0700), owned by the user running it. */
    uint32_t uid = (uint32_t)geteuid(), gid = (uint32_t)getegid();
    int rc = ot_write_dirmeta(&dst->repo, ctx, uid, gid, 0700, NULL, &dirmeta);
    if (rc != FERRY_OK)
        return rc;
    char *csum = NULL;
    rc = ot_write_file(&dst->repo, ctx, ot_pull_reader, data, (uint64_t)info->size, uid, gid, 0644, NULL, "content",
                       &csum);
    if (rc == FERRY_OK)
        rc = ot_dest_expect_end(dst, ctx, data, info->digest);
    if (rc == FERRY_OK) {
        *mtree = ostree_mutable_tree_new();
        ostree_mutable_tree_set_metadata_checksum(*mtree, dirmeta);
        GError *err = NULL;
        if (!ostree_mutable_tree_replace_file(*mtree, "content", csum, &err))
            rc = ot_gerror(&dst->repo, ctx, 0, err, "writing the config tree");
    }
    g_free(csum);
    g_free(dirmeta);
    return rc;
}

static int ot_dest_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info)
{
    ot_dest *dst = (ot_dest *)dest;
    const ferry_services *svc = dst->svc;
    char *branch = ot_branch_for_digest(svc, info->digest);
    if (branch == NULL || info->size < 0) {
        free(branch);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: blob %s has no valid digest and size", dst->ref.label,
                              info->digest ? info->digest : "(unknown)");
    }
    OstreeMutableTree *mtree = NULL;
    ot_layer_result res = {0};
    char size[32], usize[32];
    snprintf(size, sizeof size, "%lld", (long long)info->size);
    pthread_mutex_lock(&dst->lock);
    int rc = ot_repo_begin(&dst->repo, ctx);
    pthread_mutex_unlock(&dst->lock);
    if (rc == FERRY_OK && info->kind == FERRY_BLOB_CONFIG)
        rc = ot_dest_put_config(dst, ctx, data, info, &mtree);
    else if (rc == FERRY_OK)
        rc = ot_layer_import(&dst->repo, ctx, data, &mtree, &res);
    char *commit = NULL;
    if (rc == FERRY_OK && info->kind == FERRY_BLOB_CONFIG) {
        const ot_meta_entry meta[] = {{"docker.size", size}};
        rc = ot_write_commit(&dst->repo, ctx, mtree, meta, 1, info->digest, &commit);
    } else if (rc == FERRY_OK) {
        snprintf(usize, sizeof usize, "%lld", (long long)res.diff_size);
        const ot_meta_entry meta[] = {{"docker.size", size},
                                      {"docker.uncompressed_size", usize},
                                      {"docker.uncompressed_digest", res.diff_digest},
                                      {"tarsplit.output", res.tarsplit_b64}};
        rc = ot_write_commit(&dst->repo, ctx, mtree, meta, 4, info->digest, &commit);
    }
    if (mtree != NULL)
        g_object_unref(mtree);
    ot_layer_result_release(&res);
    if (rc != FERRY_OK) {
        free(branch);
        return rc;
    }
    return ot_dest_add_branch(dst, ctx, branch, commit);
}

static int ot_dest_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                                const char *media_type, const char *digest, const char *instance_digest)
{
    ot_dest *dst = (ot_dest *)dest;
    (void)media_type;
    if (instance_digest != NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: Manifest lists are not supported by \"ostree:\"",
                                   dst->ref.label);
    if (memchr(data, '\0', len) != NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: manifest holds a NUL byte", dst->ref.label);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return ot_dest_oom(dst, ctx);
    memcpy(copy, data, len);
    copy[len] = '\0'; /* recorded as a string in the commit metadata */
    free(dst->manifest);
    dst->manifest = copy;
    dst->manifest_len = len;
    snprintf(dst->manifest_digest, sizeof dst->manifest_digest, "%s", digest);
    return FERRY_OK;
}

static void ot_dest_free_signatures(ot_dest *dst)
{
    for (size_t i = 0; i < dst->n_signatures; i++)
        free(dst->signatures[i]);
    free(dst->signatures);
    free(dst->signature_lens);
    dst->signatures = NULL;
    dst->signature_lens = NULL;
    dst->n_signatures = 0;
}

static int ot_dest_put_signatures(ferry_image_dest *dest, ferry_ctx *ctx, const char *instance_digest, size_t count,
                                  const void *const *signatures, const size_t *lengths)
{
    ot_dest *dst = (ot_dest *)dest;
    if (instance_digest != NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: Manifest lists are not supported by \"ostree:\"",
                                   dst->ref.label);
    ot_dest_free_signatures(dst);
    dst->signatures = calloc(count ? count : 1, sizeof(*dst->signatures));
    dst->signature_lens = calloc(count ? count : 1, sizeof(*dst->signature_lens));
    if (dst->signatures == NULL || dst->signature_lens == NULL)
        return ot_dest_oom(dst, ctx);
    for (size_t i = 0; i < count; i++, dst->n_signatures++) {
        if ((dst->signatures[i] = malloc(lengths[i] ? lengths[i] : 1)) == NULL)
            return ot_dest_oom(dst, ctx);
        memcpy(dst->signatures[i], signatures[i], lengths[i]);
        dst->signature_lens[i] = lengths[i];
    }
    return FERRY_OK;
}

/* The image commit: manifest.json and signature-N in a 0755 directory, the
 * manifest, the signature count and the digest in the metadata. */
static int ot_dest_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    ot_dest *dst = (ot_dest *)dest;
    if (dst->manifest == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: no manifest was written", dst->ref.label);
    size_t n = 1 + dst->n_signatures;
    char **names = calloc(n, sizeof(*names));
    const void **data = calloc(n, sizeof(*data));
    size_t *lens = calloc(n, sizeof(*lens));
    int rc = names && data && lens ? ot_repo_begin(&dst->repo, ctx) : ot_dest_oom(dst, ctx);
    if (rc == FERRY_OK) {
        names[0] = strdup("manifest.json");
        data[0] = dst->manifest;
        lens[0] = dst->manifest_len;
        for (size_t i = 0; i < dst->n_signatures; i++) {
            names[1 + i] = plugin_util_printf("signature-%zu", i + 1);
            data[1 + i] = dst->signatures[i];
            lens[1 + i] = dst->signature_lens[i];
        }
        for (size_t i = 0; i < n && rc == FERRY_OK; i++)
            if (names[i] == NULL)
                rc = ot_dest_oom(dst, ctx);
    }
    OstreeMutableTree *mtree = NULL;
    if (rc == FERRY_OK)
        rc = ot_small_files_tree(&dst->repo, ctx, (uint32_t)geteuid(), (uint32_t)getegid(), 0755,
                                 (const char *const *)names, data, lens, n, &mtree);
    char *commit = NULL, count[32];
    snprintf(count, sizeof count, "%zu", dst->n_signatures);
    if (rc == FERRY_OK) {
        const ot_meta_entry meta[] = {
            {"docker.manifest", dst->manifest}, {"signatures", count}, {"docker.digest", dst->manifest_digest}};
        rc = ot_write_commit(&dst->repo, ctx, mtree, meta, 3, dst->ref.image, &commit);
    }
    if (mtree != NULL)
        g_object_unref(mtree);
    for (size_t i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
    free(data);
    free(lens);
    char *branch = rc == FERRY_OK ? strdup(dst->ref.branch) : NULL;
    if (rc == FERRY_OK && branch == NULL) {
        g_free(commit);
        rc = ot_dest_oom(dst, ctx);
    }
    if (rc == FERRY_OK)
        rc = ot_dest_add_branch(dst, ctx, branch, commit);
    if (rc == FERRY_OK)
        rc = ot_repo_commit_refs(&dst->repo, ctx, dst->branches, dst->commits, dst->n_branches);
    return rc;
}

/* Without a successful commit, ot_repo_close aborts the transaction: the
 * objects written are dropped with it and no branch moved. */
static void ot_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    (void)ctx;
    ot_dest *dst = (ot_dest *)dest;
    ot_repo_close(&dst->repo);
    pthread_mutex_destroy(&dst->lock);
    for (size_t i = 0; i < dst->n_branches; i++) {
        free(dst->branches[i]);
        g_free(dst->commits[i]);
    }
    free(dst->branches);
    free(dst->commits);
    free(dst->manifest);
    ot_dest_free_signatures(dst);
    ot_reference_free(&dst->ref);
    free(dst);
}

static const char *const ot_manifest_types[] = {"application/vnd.docker.distribution.manifest.v2+json", NULL};

static const char *const *ot_dest_manifest_types(ferry_image_dest *dest)
{
    (void)dest;
    return ot_manifest_types;
}

static const ferry_dest_ops ot_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = ot_dest_manifest_types,
    .desired_layer_compression = NULL, /* preserve: layers are unpacked anyway */
    .try_reuse_blob = ot_dest_try_reuse_blob,
    .put_blob = ot_dest_put_blob,
    .put_manifest = ot_dest_put_manifest,
    .put_signatures = ot_dest_put_signatures,
    .commit = ot_dest_commit,
    .close = ot_dest_close,
};

int ot_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = ot_services();
    *out = NULL;
    ot_dest *dst = calloc(1, sizeof *dst);
    if (dst == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", OT_TRANSPORT, reference);
    dst->base.ops = &ot_dest_ops;
    dst->svc = svc;
    pthread_mutex_init(&dst->lock, NULL);
    int rc = ot_open_reference(svc, ctx, reference, &dst->ref, &dst->repo);
    if (rc != FERRY_OK) {
        ot_dest_close(&dst->base, ctx);
        return rc;
    }
    *out = &dst->base;
    return FERRY_OK;
}
