/* plugins/ostree/repo.c — the repository through libostree: opening it,
 * branches and commit metadata for reading, and for writing one transaction
 * holding every object of a copy, the objects themselves (directory
 * metadata; files and links are content.c's), commits in the old transport's form and
 * the refs set together at the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ostree_transport.h"

int ot_gerror(ot_repo *r, ferry_ctx *ctx, int status, GError *err, const char *what)
{
    if (status == 0) {
        status = FERRY_ERR_FAILED;
        if (err != NULL && err->domain == G_IO_ERROR) {
            if (err->code == G_IO_ERROR_NOT_FOUND)
                status = FERRY_ERR_NOT_FOUND;
            else if (err->code == G_IO_ERROR_CANCELLED)
                status = FERRY_ERR_CANCELLED;
            else
                status = FERRY_ERR_IO;
        }
    }
    int rc = r->svc->set_error(ctx, status, "%s: %s: %s", r->label, what, err ? err->message : "unknown error");
    if (err != NULL)
        g_error_free(err);
    return rc;
}

int ot_repo_open(const ferry_services *svc, ferry_ctx *ctx, const char *path, const char *label, ot_repo *r)
{
    memset(r, 0, sizeof(*r));
    r->svc = svc;
    r->label = label;
    struct stat st;
    if (stat(path, &st) != 0)
        return plugin_util_errno_error(svc, ctx, errno == ENOENT ? ENOTDIR : errno, label,
                                       "opening repository", path);
    GFile *file = g_file_new_for_path(path);
    r->repo = ostree_repo_new(file);
    g_object_unref(file);
    GError *err = NULL;
    if (!ostree_repo_open(r->repo, NULL, &err)) {
        char *what = plugin_util_printf("opening repository %s", path);
        int rc = ot_gerror(r, ctx, FERRY_ERR_IO, err, what ? what : path);
        free(what);
        g_clear_object(&r->repo);
        return rc;
    }
    r->mode = ostree_repo_get_mode(r->repo);
    return FERRY_OK;
}

int ot_open_reference(const ferry_services *svc, ferry_ctx *ctx, const char *reference, ot_reference *ref,
                      ot_repo *r)
{
    char err[1024];
    memset(r, 0, sizeof(*r));
    int rc = ot_reference_parse(reference, ref, err, sizeof err);
    if (rc != FERRY_OK)
        return svc->set_error(ctx, rc, "%s", err);
    return ot_repo_open(svc, ctx, ref->repo, ref->label, r);
}

/* Name (in tmpfd) of the staging-* directory that one of this process's
 * file descriptors has open: the transaction's, which libostree keeps open
 * and does not name. Returns 0 or -1 when there is none. */
static int ot_find_own_staging(int tmpfd, char *name, size_t cap)
{
    int scanfd = openat(tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = scanfd >= 0 ? fdopendir(scanfd) : NULL;
    DIR *fds = opendir("/proc/self/fd");
    int found = -1;
    struct dirent *de;
    while (d != NULL && fds != NULL && found != 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(de->d_name, "staging-", 8) != 0 ||
            fstatat(tmpfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        rewinddir(fds);
        struct dirent *fe;
        while ((fe = readdir(fds)) != NULL) {
            struct stat fst;
            char *end;
            long fd = strtol(fe->d_name, &end, 10);
            if (*end != '\0' || end == fe->d_name || fd == tmpfd || fd == scanfd || fd == dirfd(fds))
                continue;
            if (fstat((int)fd, &fst) == 0 && S_ISDIR(fst.st_mode) && fst.st_dev == st.st_dev &&
                fst.st_ino == st.st_ino && (size_t)snprintf(name, cap, "%s", de->d_name) < cap) {
                found = 0;
                break;
            }
        }
    }
    if (fds != NULL)
        closedir(fds);
    if (d != NULL)
        closedir(d);
    else if (scanfd >= 0)
        close(scanfd);
    return found;
}

/* Aborts the transaction and removes what it staged. libostree keeps an
 * aborted transaction's staging directory for a later one to resume (or
 * for a day): after a full disk that would keep the disk full. It is
 * removed while the transaction still holds its lock, so no other writer
 * can be resuming it. A writer killed outright leaves its staging
 * directory; the next transaction resumes it (its objects are complete:
 * libostree names each only once written). */
static void ot_repo_abort(ot_repo *r)
{
    char name[256];
    int tmpfd = openat(ostree_repo_get_dfd(r->repo), "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tmpfd >= 0 && ot_find_own_staging(tmpfd, name, sizeof name) == 0)
        (void)plugin_util_remove_tree_at(tmpfd, name);
    if (tmpfd >= 0)
        close(tmpfd);
    (void)ostree_repo_abort_transaction(r->repo, NULL, NULL);
    r->in_transaction = 0;
}

void ot_repo_close(ot_repo *r)
{
    if (r->repo != NULL && r->in_transaction)
        ot_repo_abort(r);
    g_clear_object(&r->repo);
    r->in_transaction = 0;
}

int ot_resolve_branch(ot_repo *r, ferry_ctx *ctx, const char *branch, char **checksum)
{
    GError *err = NULL;
    *checksum = NULL;
    if (!ostree_repo_resolve_rev(r->repo, branch, TRUE, checksum, &err)) {
        char *what = plugin_util_printf("resolving branch %s", branch);
        int rc = ot_gerror(r, ctx, 0, err, what ? what : branch);
        free(what);
        return rc;
    }
    return FERRY_OK;
}

int ot_commit_metadata(ot_repo *r, ferry_ctx *ctx, const char *checksum, GVariant **meta)
{
    GVariant *commit = NULL;
    GError *err = NULL;
    *meta = NULL;
    if (!ostree_repo_load_variant(r->repo, OSTREE_OBJECT_TYPE_COMMIT, checksum, &commit, &err)) {
        char *what = plugin_util_printf("loading commit %s", checksum);
        int rc = ot_gerror(r, ctx, 0, err, what ? what : checksum);
        free(what);
        return rc;
    }
    *meta = g_variant_get_child_value(commit, 0);
    g_variant_unref(commit);
    return FERRY_OK;
}

const char *ot_meta_string(GVariant *meta, const char *key)
{
    GVariant *v = g_variant_lookup_value(meta, key, G_VARIANT_TYPE_STRING);
    if (v == NULL)
        return NULL;
    /* The value lives in meta's serialised data, which outlives v. */
    const char *s = g_variant_get_string(v, NULL);
    g_variant_unref(v);
    return s;
}

int ot_meta_int64(GVariant *meta, const char *key, int64_t *out)
{
    const char *s = ot_meta_string(meta, key);
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

int ot_repo_begin(ot_repo *r, ferry_ctx *ctx)
{
    if (r->in_transaction)
        return FERRY_OK;
    GError *err = NULL;
    if (!ostree_repo_prepare_transaction(r->repo, NULL, NULL, &err))
        return ot_gerror(r, ctx, 0, err, "starting a transaction");
    r->in_transaction = 1;
    return FERRY_OK;
}

int ot_repo_commit_refs(ot_repo *r, ferry_ctx *ctx, char *const *refs, char *const *checksums, size_t n)
{
    int rc = ot_repo_begin(r, ctx);
    if (rc != FERRY_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        ostree_repo_transaction_set_ref(r->repo, NULL, refs[i], checksums[i]);
    GError *err = NULL;
    if (!ostree_repo_commit_transaction(r->repo, NULL, NULL, &err)) {
        rc = ot_gerror(r, ctx, 0, err, "committing the transaction");
        ot_repo_abort(r);
    }
    r->in_transaction = 0;
    return rc;
}

static int ot_object_error(ot_repo *r, ferry_ctx *ctx, GError *err, const char *kind, const char *name)
{
    char *what = plugin_util_printf("writing %s %s", kind, name ? name : "");
    int rc = ot_gerror(r, ctx, 0, err, what ? what : kind);
    free(what);
    return rc;
}

int ot_write_dirmeta(ot_repo *r, ferry_ctx *ctx, uint32_t uid, uint32_t gid, uint32_t mode, GVariant *xattrs,
                     char **out)
{
    GFileInfo *info = g_file_info_new();
    g_file_info_set_file_type(info, G_FILE_TYPE_DIRECTORY);
    g_file_info_set_attribute_uint32(info, "unix::uid", uid);
    g_file_info_set_attribute_uint32(info, "unix::gid", gid);
    g_file_info_set_attribute_uint32(info, "unix::mode", (mode & 07777) | S_IFDIR);
    GVariant *dirmeta = ostree_create_directory_metadata(info, xattrs); /* transfer full, not floating */
    g_object_unref(info);
    guchar *csum = NULL;
    GError *err = NULL;
    gboolean ok = ostree_repo_write_metadata(r->repo, OSTREE_OBJECT_TYPE_DIR_META, NULL, dirmeta, &csum, NULL, &err);
    g_variant_unref(dirmeta);
    if (!ok)
        return ot_object_error(r, ctx, err, "directory metadata", NULL);
    *out = ostree_checksum_from_bytes(csum);
    g_free(csum);
    return FERRY_OK;
}

int ot_write_commit(ot_repo *r, ferry_ctx *ctx, OstreeMutableTree *mtree, const ot_meta_entry *meta, size_t n,
                    const char *what, char **out)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    for (size_t i = 0; i < n; i++)
        g_variant_builder_add(&b, "{sv}", meta[i].key, g_variant_new_string(meta[i].value));
    GVariant *metadata = g_variant_ref_sink(g_variant_builder_end(&b));
    GFile *root = NULL;
    GError *err = NULL;
    gboolean ok = ostree_repo_write_mtree(r->repo, mtree, &root, NULL, &err) &&
                  ostree_repo_write_commit_with_time(r->repo, OT_NO_PARENT, "", "", metadata, OSTREE_REPO_FILE(root),
                                                     (guint64)time(NULL), out, NULL, &err);
    g_variant_unref(metadata);
    g_clear_object(&root);
    if (!ok) {
        char *msg = plugin_util_printf("writing the commit of %s", what);
        int rc = ot_gerror(r, ctx, 0, err, msg ? msg : what);
        free(msg);
        return rc;
    }
    return FERRY_OK;
}

int ot_small_files_tree(ot_repo *r, ferry_ctx *ctx, uint32_t uid, uint32_t gid, uint32_t dir_mode,
                        const char *const *names, const void *const *data, const size_t *lens, size_t n,
                        OstreeMutableTree **out)
{
    *out = NULL;
    char *dirmeta = NULL;
    int rc = ot_write_dirmeta(r, ctx, uid, gid, dir_mode, NULL, &dirmeta);
    if (rc != FERRY_OK)
        return rc;
    OstreeMutableTree *mtree = ostree_mutable_tree_new();
    ostree_mutable_tree_set_metadata_checksum(mtree, dirmeta);
    g_free(dirmeta);
    for (size_t i = 0; i < n && rc == FERRY_OK; i++) {
        char *csum = NULL;
        rc = ot_write_file_bytes(r, ctx, data[i], lens[i], uid, gid, 0644, names[i], &csum);
        GError *err = NULL;
        if (rc == FERRY_OK && !ostree_mutable_tree_replace_file(mtree, names[i], csum, &err))
            rc = ot_object_error(r, ctx, err, "file", names[i]);
        g_free(csum);
    }
    if (rc != FERRY_OK) {
        g_object_unref(mtree);
        return rc;
    }
    *out = mtree;
    return FERRY_OK;
}
