/* plugins/ostree/content.c — file and symbolic-link objects. An object's
 * name is the SHA-256 of its content stream (libostree's length-prefixed
 * file header, then the data). Debian's libostree hashes with GLib's
 * portable SHA-256, which was half the time of an import; so the data is
 * hashed here, once, with the core's hasher as it streams in, and handed to
 * libostree as trusted: it then only stores it, or skips it when the object
 * exists. Data up to OT_CONTENT_INLINE_MAX waits in memory, larger files in
 * an unlinked file under the core's temporary directory: memory stays
 * bounded whatever the file size. `ostree fsck` checks every name. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "ostree_transport.h"
#include "shared/fsutil.h"

#define OT_CONTENT_INLINE_MAX (4 * 1024 * 1024)
#define OT_CONTENT_CHUNK (256 * 1024)

static GFileInfo *ot_content_info(GFileType type, uint64_t size, uint32_t uid, uint32_t gid, uint32_t mode,
                                  const char *target)
{
    GFileInfo *info = g_file_info_new();
    g_file_info_set_file_type(info, type);
    g_file_info_set_attribute_uint32(info, "unix::uid", uid);
    g_file_info_set_attribute_uint32(info, "unix::gid", gid);
    g_file_info_set_attribute_uint32(info, "unix::mode", mode);
    g_file_info_set_size(info, (goffset)size);
    if (target != NULL)
        g_file_info_set_symlink_target(info, target);
    return info;
}

static int ot_content_fail(ot_repo *r, ferry_ctx *ctx, GError *err, const char *name)
{
    char *what = plugin_util_printf("writing file %s", name);
    int rc = ot_gerror(r, ctx, 0, err, what ? what : name);
    free(what);
    return rc;
}

/* Stores the object whose data `in` gives (NULL for a symlink; taken) under
 * the checksum `hasher` has computed over its header and data. */
static int ot_content_store(ot_repo *r, ferry_ctx *ctx, ferry_hasher *hasher, GInputStream *in, GFileInfo *info,
                            GVariant *xattrs, const char *name, char **out)
{
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    GInputStream *object = NULL;
    guint64 length = 0;
    GError *err = NULL;
    int rc = FERRY_OK;
    if (r->svc->hasher_final(hasher, digest, sizeof digest) != 0 || strncmp(digest, "sha256:", 7) != 0)
        rc = r->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: hashing file %s failed", r->label, name);
    else if (!ostree_raw_file_to_content_stream(in, info, xattrs, &object, &length, NULL, &err) ||
             !ostree_repo_write_content_trusted(r->repo, digest + 7, object, length, NULL, &err))
        rc = ot_content_fail(r, ctx, err, name);
    g_clear_object(&object);
    if (in != NULL)
        g_object_unref(in);
    if (rc == FERRY_OK)
        *out = g_strdup(digest + 7);
    return rc;
}

/* A hasher that has seen the object's header (what libostree puts before
 * the data in a content stream). NULL when out of memory. */
static ferry_hasher *ot_content_hasher(ot_repo *r, GFileInfo *info, GVariant *xattrs)
{
    GInputStream *header = NULL;
    guint64 length = 0;
    if (!ostree_raw_file_to_content_stream(NULL, info, xattrs, &header, &length, NULL, NULL))
        return NULL;
    ferry_hasher *h = r->svc->hasher_new("sha256");
    unsigned char buf[4096];
    gssize n;
    while (h != NULL && (n = g_input_stream_read(header, buf, sizeof buf, NULL, NULL)) > 0)
        r->svc->hasher_update(h, buf, (size_t)n);
    g_object_unref(header);
    return h;
}

/* Pulls exactly `size` bytes into buf (the last pull may end the stream). */
static int ot_content_pull(ot_repo *r, ferry_ctx *ctx, ot_pull_fn pull, void *opaque, unsigned char *buf,
                           size_t size, const char *name)
{
    size_t got = 0;
    while (got < size) {
        size_t n = 0;
        int rc = pull(opaque, ctx, buf + got, size - got, &n);
        if (rc != FERRY_OK)
            return rc;
        if (n == 0)
            return r->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: file %s: data shorter than its size", r->label,
                                     name);
        got += n;
    }
    return FERRY_OK;
}

/* Large data: hashed while spooled to an unlinked file, read back from it. */
static int ot_content_spool(ot_repo *r, ferry_ctx *ctx, ot_pull_fn pull, void *opaque, uint64_t size,
                            ferry_hasher *hasher, const char *name, GInputStream **in)
{
    const char *dir = r->svc->tmpdir(ctx);
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return plugin_util_errno_error(r->svc, ctx, errno, r->label, "creating a spool file in", dir);
    unsigned char *buf = malloc(OT_CONTENT_CHUNK);
    int rc = buf ? FERRY_OK : r->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", r->label);
    for (uint64_t left = size; rc == FERRY_OK && left > 0;) {
        size_t want = left < OT_CONTENT_CHUNK ? (size_t)left : OT_CONTENT_CHUNK;
        rc = ot_content_pull(r, ctx, pull, opaque, buf, want, name);
        if (rc == FERRY_OK && fs_write_all(fd, buf, want) != 0)
            rc = plugin_util_errno_error(r->svc, ctx, errno, r->label, "spooling a file to", dir);
        if (rc == FERRY_OK)
            r->svc->hasher_update(hasher, buf, want);
        left -= want;
    }
    free(buf);
    if (rc == FERRY_OK && lseek(fd, 0, SEEK_SET) != 0)
        rc = plugin_util_errno_error(r->svc, ctx, errno, r->label, "rewinding a spool file in", dir);
    if (rc != FERRY_OK) {
        close(fd);
        return rc;
    }
    *in = g_unix_input_stream_new(fd, TRUE);
    return FERRY_OK;
}

int ot_write_file(ot_repo *r, ferry_ctx *ctx, ot_pull_fn pull, void *opaque, uint64_t size, uint32_t uid,
                  uint32_t gid, uint32_t mode, GVariant *xattrs, const char *name, char **out)
{
    GFileInfo *info = ot_content_info(G_FILE_TYPE_REGULAR, size, uid, gid, (mode & 07777) | S_IFREG, NULL);
    ferry_hasher *hasher = ot_content_hasher(r, info, xattrs);
    GInputStream *in = NULL;
    int rc = hasher ? FERRY_OK : r->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", r->label);
    if (rc == FERRY_OK && size <= OT_CONTENT_INLINE_MAX) {
        unsigned char *buf = malloc(size ? (size_t)size : 1);
        rc = buf ? ot_content_pull(r, ctx, pull, opaque, buf, (size_t)size, name)
                 : r->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", r->label);
        if (rc == FERRY_OK) {
            r->svc->hasher_update(hasher, buf, (size_t)size);
            in = g_memory_input_stream_new_from_data(buf, (gssize)size, free);
        } else {
            free(buf);
        }
    } else if (rc == FERRY_OK) {
        rc = ot_content_spool(r, ctx, pull, opaque, size, hasher, name, &in);
    }
    if (rc == FERRY_OK)
        rc = ot_content_store(r, ctx, hasher, in, info, xattrs, name, out);
    else if (in != NULL)
        g_object_unref(in);
    if (hasher != NULL)
        r->svc->hasher_free(hasher);
    g_object_unref(info);
    return rc;
}

static int ot_pull_memory(void *opaque, ferry_ctx *ctx, void *buf, size_t len, size_t *n)
{
    (void)ctx;
    GBytes **rest = opaque; /* the bytes not yet pulled */
    gsize have = 0;
    const unsigned char *p = g_bytes_get_data(*rest, &have);
    *n = have < len ? have : len;
    memcpy(buf, p, *n);
    GBytes *next = g_bytes_new_from_bytes(*rest, *n, have - *n);
    g_bytes_unref(*rest);
    *rest = next;
    return FERRY_OK;
}

int ot_write_file_bytes(ot_repo *r, ferry_ctx *ctx, const void *data, size_t len, uint32_t uid, uint32_t gid,
                        uint32_t mode, const char *name, char **out)
{
    GBytes *rest = g_bytes_new_static(data, len);
    int rc = ot_write_file(r, ctx, ot_pull_memory, &rest, len, uid, gid, mode, NULL, name, out);
    g_bytes_unref(rest);
    return rc;
}

int ot_write_symlink(ot_repo *r, ferry_ctx *ctx, const char *target, uint32_t uid, uint32_t gid, GVariant *xattrs,
                     const char *name, char **out)
{
    GFileInfo *info = ot_content_info(G_FILE_TYPE_SYMBOLIC_LINK, 0, uid, gid, S_IFLNK | 0777, target);
    ferry_hasher *hasher = ot_content_hasher(r, info, xattrs);
    int rc = hasher ? ot_content_store(r, ctx, hasher, NULL, info, xattrs, name, out)
                    : r->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", r->label);
    if (hasher != NULL)
        r->svc->hasher_free(hasher);
    g_object_unref(info);
    return rc;
}
