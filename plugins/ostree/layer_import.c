/* plugins/ostree/layer_import.c — one uncompressed layer tar stream into a
 * tree of repository objects, as the old transport's extraction followed by
 * `ostree commit` left it, without touching the file system: the tar-split
 * recorder (plugins/common/tarsplit.h) parses the stream with libarchive and
 * records the tar-split; each entry becomes an object written from the
 * stream (content.c) and a node of a mutable tree.
 *
 * What the old transport's extraction did, and so does this: names are
 * cleaned and kept inside the layer (absolute names made relative, ".."
 * refused when it climbs out); a later entry replaces an earlier one of the
 * same name; parents missing from the tar are 0755 root-owned directories;
 * device nodes, FIFOs and sockets are dropped (its fixFiles removed them;
 * their headers stay in the tar-split, so the tar is rebuilt whole); hard
 * links share their target's object. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "ostree_transport.h"
#include "shared/base64.h"
#include "shared/strbuf.h"
#include "tarsplit.h"

typedef struct ot_import {
    ot_repo *r;
    ferry_ctx *ctx;
    tarsplit_recorder *rec;
    OstreeMutableTree *root;
    char *parent_meta;     /* dirmeta of directories the tar does not list */
    GHashTable *dropped;   /* paths of entries left out (hard links to them are too) */
    const void *pending;   /* entry data handed out by the recorder, not yet consumed */
    size_t pending_len;
} ot_import;

static int ot_fail(ot_import *im, int status, const char *entry, const char *what)
{
    return tarsplit_recorder_fail(im->rec, status, entry, what, 0);
}

/* The entry's data for libostree, straight from the recorder. */
static int ot_pull_entry_data(void *opaque, ferry_ctx *ctx, void *buf, size_t len, size_t *n)
{
    (void)ctx;
    ot_import *im = opaque;
    *n = 0;
    if (im->pending_len == 0) {
        int rc = tarsplit_recorder_data(im->rec, &im->pending, &im->pending_len);
        if (rc != FERRY_OK)
            return rc;
    }
    size_t take = im->pending_len < len ? im->pending_len : len;
    memcpy(buf, im->pending, take);
    im->pending = (const char *)im->pending + take;
    im->pending_len -= take;
    *n = take;
    return FERRY_OK;
}

static int ot_xattr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entry's xattrs as a(ayay), sorted by name as libostree reads them
 * from disk; NULL when it has none. */
static GVariant *ot_xattrs(struct archive_entry *e)
{
    int n = archive_entry_xattr_reset(e);
    if (n <= 0)
        return NULL;
    const char **names = g_new0(const char *, (gsize)n);
    const void **values = g_new0(const void *, (gsize)n);
    size_t *sizes = g_new0(size_t, (gsize)n), count = 0;
    const char *name;
    const void *value;
    size_t size;
    while (count < (size_t)n && archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        names[count] = name;
        values[count] = value;
        sizes[count++] = size;
    }
    /* Sort an index, keeping name/value pairs together. */
    const char **order = g_new0(const char *, count + 1);
    for (size_t i = 0; i < count; i++)
        order[i] = names[i];
    qsort(order, count, sizeof(*order), ot_xattr_cmp);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(ayay)"));
    for (size_t i = 0; i < count; i++) {
        size_t k = 0;
        while (names[k] != order[i])
            k++;
        g_variant_builder_add(&b, "(@ay@ay)", g_variant_new_bytestring(names[k]),
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, values[k], sizes[k], 1));
    }
    g_free(order);
    g_free(names);
    g_free(values);
    g_free(sizes);
    return g_variant_ref_sink(g_variant_builder_end(&b));
}

/* rel ("a/b/c", canonical) split into components. */
static GPtrArray *ot_split(const char *rel)
{
    GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
    char **v = g_strsplit(rel, "/", -1);
    for (char **p = v; *p; p++)
        g_ptr_array_add(parts, g_strdup(*p));
    g_strfreev(v);
    return parts;
}

/* The directory that will hold the last component of parts, created with
 * the default metadata where missing. */
static int ot_parent_dir(ot_import *im, GPtrArray *parts, const char *entry, OstreeMutableTree **out)
{
    GError *err = NULL;
    if (!ostree_mutable_tree_ensure_parent_dirs(im->root, parts, im->parent_meta, out, &err)) {
        int rc = ot_fail(im, FERRY_ERR_INVALID, entry, err->message);
        g_error_free(err);
        return rc;
    }
    return FERRY_OK;
}

/* The file object a hard link's target names, or NULL. */
static char *ot_lookup_file(ot_import *im, const char *rel)
{
    GPtrArray *parts = ot_split(rel);
    OstreeMutableTree *dir = NULL;
    char *csum = NULL;
    if (ostree_mutable_tree_walk(im->root, parts, 0, &dir, NULL)) {
        (void)ostree_mutable_tree_lookup(dir, parts->pdata[parts->len - 1], &csum, NULL, NULL);
        g_object_unref(dir);
    }
    g_ptr_array_unref(parts);
    return csum;
}

/* Places a file object at rel, replacing whatever was there. */
static int ot_place_file(ot_import *im, const char *rel, const char *csum, const char *entry)
{
    GPtrArray *parts = ot_split(rel);
    OstreeMutableTree *dir = NULL;
    int rc = ot_parent_dir(im, parts, entry, &dir);
    GError *err = NULL;
    const char *base = parts->pdata[parts->len - 1];
    if (rc == FERRY_OK && (!ostree_mutable_tree_remove(dir, base, TRUE, &err) ||
                           !ostree_mutable_tree_replace_file(dir, base, csum, &err))) {
        rc = ot_fail(im, FERRY_ERR_INVALID, entry, err->message);
        g_error_free(err);
    }
    if (dir != NULL)
        g_object_unref(dir);
    g_ptr_array_unref(parts);
    if (rc == FERRY_OK)
        g_hash_table_remove(im->dropped, rel);
    return rc;
}

static int ot_directory(ot_import *im, const char *rel, struct archive_entry *e, const char *entry)
{
    char *meta = NULL;
    GVariant *xattrs = ot_xattrs(e);
    int rc = ot_write_dirmeta(im->r, im->ctx, (uint32_t)archive_entry_uid(e), (uint32_t)archive_entry_gid(e),
                              (uint32_t)archive_entry_mode(e), xattrs, &meta);
    if (xattrs != NULL)
        g_variant_unref(xattrs);
    if (rc != FERRY_OK)
        return rc;
    if (*rel == '\0') { /* the layer's root itself */
        ostree_mutable_tree_set_metadata_checksum(im->root, meta);
        g_free(meta);
        return FERRY_OK;
    }
    GPtrArray *parts = ot_split(rel);
    OstreeMutableTree *dir = NULL, *sub = NULL;
    rc = ot_parent_dir(im, parts, entry, &dir);
    GError *err = NULL;
    const char *base = parts->pdata[parts->len - 1];
    char *file = NULL;
    if (rc == FERRY_OK) {
        /* A directory replaces a file of its name; an existing directory keeps its contents. */
        if (ostree_mutable_tree_lookup(dir, base, &file, NULL, NULL) && file != NULL)
            (void)ostree_mutable_tree_remove(dir, base, TRUE, NULL);
        g_free(file);
        if (!ostree_mutable_tree_ensure_dir(dir, base, &sub, &err)) {
            rc = ot_fail(im, FERRY_ERR_INVALID, entry, err->message);
            g_error_free(err);
        } else {
            ostree_mutable_tree_set_metadata_checksum(sub, meta);
            g_object_unref(sub);
        }
    }
    if (dir != NULL)
        g_object_unref(dir);
    g_ptr_array_unref(parts);
    g_free(meta);
    return rc;
}

/* A regular file (its data straight from the stream) or a symbolic link,
 * placed at rel. */
static int ot_leaf(ot_import *im, const char *rel, const tarsplit_entry *te, const char *entry)
{
    struct archive_entry *e = te->entry;
    uint32_t uid = (uint32_t)archive_entry_uid(e), gid = (uint32_t)archive_entry_gid(e);
    GVariant *xattrs = ot_xattrs(e);
    char *csum = NULL;
    int rc;
    if (te->hdr->type == '2') {
        rc = ot_write_symlink(im->r, im->ctx, te->hdr->link, uid, gid, xattrs, entry, &csum);
    } else {
        im->pending_len = 0;
        rc = ot_write_file(im->r, im->ctx, ot_pull_entry_data, im, (uint64_t)te->size, uid, gid,
                           (uint32_t)archive_entry_mode(e), xattrs, entry, &csum);
    }
    if (xattrs != NULL)
        g_variant_unref(xattrs);
    if (rc == FERRY_OK)
        rc = ot_place_file(im, rel, csum, entry);
    g_free(csum);
    return rc;
}

static int ot_hardlink(ot_import *im, const char *rel, const tarsplit_entry *te, const char *entry)
{
    const char *target = te->hdr->link;
    while (*target == '/')
        target++;
    char *trel = plugin_util_archive_path(NULL, 0, target);
    if (trel == NULL)
        return ot_fail(im, FERRY_ERR_INVALID, entry, "hard link target outside the layer refused");
    int rc = FERRY_OK;
    char *csum = ot_lookup_file(im, trel);
    if (csum != NULL)
        rc = ot_place_file(im, rel, csum, entry);
    else if (g_hash_table_contains(im->dropped, trel))
        g_hash_table_add(im->dropped, g_strdup(rel)); /* a link to a device node is left out with it */
    else
        rc = ot_fail(im, FERRY_ERR_INVALID, entry, "hard link target is not a file of the layer");
    g_free(csum);
    free(trel);
    return rc;
}

/* Leaves out what ostree cannot hold, removing an earlier entry of its name. */
static int ot_drop(ot_import *im, const char *rel)
{
    GPtrArray *parts = ot_split(rel);
    OstreeMutableTree *dir = NULL;
    if (ostree_mutable_tree_walk(im->root, parts, 0, &dir, NULL)) {
        (void)ostree_mutable_tree_remove(dir, parts->pdata[parts->len - 1], TRUE, NULL);
        g_object_unref(dir);
    }
    g_ptr_array_unref(parts);
    g_hash_table_add(im->dropped, g_strdup(rel));
    return FERRY_OK;
}

static int ot_entry(ot_import *im, const tarsplit_entry *te)
{
    const char *name = te->hdr->name;
    while (*name == '/') /* joined to the destination directory, as Untar does */
        name++;
    char *rel = NULL;
    int is_root = 1;
    for (const char *p = name; *p; p++)
        if (*p != '/' && *p != '.')
            is_root = 0;
    if (is_root && strstr(name, "..") == NULL)
        rel = strdup("");
    else
        rel = plugin_util_archive_path(NULL, 0, name);
    if (rel == NULL)
        return errno == ENOMEM ? ot_fail(im, FERRY_ERR_NO_MEMORY, te->hdr->name, "out of memory")
                               : ot_fail(im, FERRY_ERR_INVALID, te->hdr->name, "member name outside the layer refused");
    int rc;
    switch (te->hdr->type) {
    case '5':
        rc = ot_directory(im, rel, te->entry, te->hdr->name);
        break;
    case '0':
    case '7':
    case '2':
        rc = *rel ? ot_leaf(im, rel, te, te->hdr->name)
                  : ot_fail(im, FERRY_ERR_INVALID, te->hdr->name, "a file cannot replace the layer's root");
        break;
    case '1':
        rc = *rel ? ot_hardlink(im, rel, te, te->hdr->name)
                  : ot_fail(im, FERRY_ERR_INVALID, te->hdr->name, "a link cannot replace the layer's root");
        break;
    case '3':
    case '4':
    case '6':
        rc = *rel ? ot_drop(im, rel) : FERRY_OK;
        break;
    default:
        rc = ot_fail(im, FERRY_ERR_INVALID, te->hdr->name, "unhandled tar entry type");
        break;
    }
    free(rel);
    return rc;
}

static int ot_import_run(ot_import *im, int ts_fd, ot_layer_result *res)
{
    int rc = FERRY_OK;
    for (;;) {
        tarsplit_entry *te = NULL;
        if ((rc = tarsplit_recorder_next(im->rec, &te)) != FERRY_OK || te == NULL)
            break;
        if ((rc = ot_entry(im, te)) != FERRY_OK || (rc = tarsplit_recorder_entry_end(im->rec)) != FERRY_OK)
            break;
    }
    if (rc == FERRY_OK)
        rc = tarsplit_recorder_finish(im->rec, res->diff_digest, sizeof(res->diff_digest), &res->diff_size);
    if (rc != FERRY_OK)
        return rc;
    /* The tar-split goes into the commit's metadata, base64'd as Go did. */
    off_t len = lseek(ts_fd, 0, SEEK_END);
    if (len < 0 || len > (off_t)64 * 1024 * 1024)
        return ot_fail(im, len < 0 ? FERRY_ERR_IO : FERRY_ERR_TOO_LARGE, NULL, "tar-split too large to record");
    unsigned char *raw = malloc((size_t)len + 1);
    ssize_t got = raw ? pread(ts_fd, raw, (size_t)len, 0) : -1;
    if (got != (ssize_t)len) {
        free(raw);
        return ot_fail(im, FERRY_ERR_IO, NULL, "reading back the tar-split");
    }
    strbuf sb = STRBUF_INIT;
    base64_append(&sb, raw, (size_t)len);
    free(raw);
    if (sb.failed || sb.data == NULL) {
        strbuf_release(&sb);
        return ot_fail(im, FERRY_ERR_NO_MEMORY, NULL, "out of memory");
    }
    res->tarsplit_b64 = sb.data;
    return FERRY_OK;
}

int ot_layer_import(ot_repo *r, ferry_ctx *ctx, ferry_reader *tar, OstreeMutableTree **mtree, ot_layer_result *res)
{
    memset(res, 0, sizeof(*res));
    *mtree = NULL;
    ot_import im = {.r = r, .ctx = ctx};
    char *root_meta = NULL;
    int rc = ot_write_dirmeta(r, ctx, 0, 0, 0755, NULL, &im.parent_meta);
    if (rc == FERRY_OK) /* the root is the directory the old transport made for the extraction */
        rc = ot_write_dirmeta(r, ctx, (uint32_t)geteuid(), (uint32_t)getegid(), 0755, NULL, &root_meta);
    if (rc != FERRY_OK) {
        g_free(im.parent_meta);
        return rc;
    }
    int ts_fd = memfd_create("ferry-tarsplit", MFD_CLOEXEC);
    if (ts_fd < 0) {
        g_free(im.parent_meta);
        g_free(root_meta);
        return plugin_util_errno_error(r->svc, ctx, errno, r->label, "creating", "the tar-split buffer");
    }
    char *label = plugin_util_printf("%s: importing layer", r->label);
    rc = label ? tarsplit_recorder_new(r->svc, ctx, tar, ts_fd, label, &im.rec)
               : plugin_util_errno_error(r->svc, ctx, ENOMEM, r->label, "importing", "layer");
    free(label);
    if (rc == FERRY_OK) {
        im.root = ostree_mutable_tree_new();
        ostree_mutable_tree_set_metadata_checksum(im.root, root_meta);
        im.dropped = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        rc = ot_import_run(&im, ts_fd, res);
    }
    tarsplit_recorder_free(im.rec);
    close(ts_fd);
    g_free(im.parent_meta);
    g_free(root_meta);
    if (im.dropped != NULL)
        g_hash_table_unref(im.dropped);
    if (rc != FERRY_OK) {
        g_clear_object(&im.root);
        ot_layer_result_release(res);
        return rc;
    }
    *mtree = im.root;
    return FERRY_OK;
}

void ot_layer_result_release(ot_layer_result *res)
{
    free(res->tarsplit_b64);
    res->tarsplit_b64 = NULL;
}
