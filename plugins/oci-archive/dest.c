/* plugins/oci-archive/dest.c — writing an image as a tar of a fresh OCI
 * layout, streamed: `oci-layout` first, each blob as blobs/ALG/HEX as it
 * arrives (the core delivers layers in order, then the config, each with
 * its size known: LAYERS_IN_ORDER | NEEDS_BLOB_SIZE), the manifest bytes as
 * a blob, and at commit the trailing index.json — the bytes skopeo writes
 * for a new layout with that REF (the oci module's index code) — and the
 * end of the archive.
 *
 * A regular file (or a new one) is written to an unnamed file (O_TMPFILE)
 * in PATH's directory, given a temporary name at commit and renamed over
 * PATH, replacing any previous archive as skopeo does: a copy killed before
 * commit, even by SIGKILL, leaves PATH as it was and no stray file. Where
 * the file system has no O_TMPFILE a named temporary file is used instead,
 * removed by close without commit (plugin_util_output_*). Any other
 * existing PATH (a pipe, /dev/stdout) is written straight through: an
 * aborted stream has no index.json and is rejected by every reader. */
#include "ociarch.h"

#include "shared/fsutil.h"
#include "shared/gojson.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OCIARCH_TEMP_PREFIX ".ferry-oci-archive-"

/* A blob already in the archive (try_reuse_blob, repeated blobs). */
typedef struct ociarch_written {
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    int64_t size;
} ociarch_written;

typedef struct ociarch_dest {
    ferry_image_dest base;
    const ferry_services *svc;
    oci_reference ref;
    int compression;
    struct archive *ar;
    plugin_util_output out;                  /* staged next to PATH, or PATH itself when streaming */
    int broken;                              /* a member was cut short: nothing more may be written */
    int has_sha512_dir;
    int committed;
    int discard; /* closing without commit: libarchive's last writes are dropped */
    json_t *pending;                         /* descriptor of the top-level manifest */
    ociarch_written *written;                /* one per blob of the image: bounded by the manifest */
    size_t n_written, cap_written;
} ociarch_dest;

static const char *const *ociarch_dest_manifest_types(ferry_image_dest *dest)
{
    (void)dest;
    return oci_destination_manifest_types;
}

static int ociarch_dest_desired_layer_compression(ferry_image_dest *dest)
{
    return ((ociarch_dest *)dest)->compression;
}

static int ociarch_dest_archive_error(ociarch_dest *dst, ferry_ctx *ctx, const char *action)
{
    const char *why = archive_error_string(dst->ar);
    dst->broken = 1;
    return dst->svc->set_error(ctx, FERRY_ERR_IO, "%s: %s the archive %s: %s", dst->ref.label, action, dst->ref.path,
                               why != NULL ? why : "unknown error");
}

/* Starts member `name` of `size` bytes (a directory when dir). */
static int ociarch_dest_header(ociarch_dest *dst, ferry_ctx *ctx, const char *name, int64_t size, int dir)
{
    if (dst->broken)
        return dst->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: the archive is incomplete after an earlier error",
                                   dst->ref.label);
    struct archive_entry *e = archive_entry_new();
    if (e == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    /* Fixed owner and time: the same image gives the same archive. */
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : size);
    archive_entry_set_mtime(e, 0, 0);
    int rc = archive_write_header(dst->ar, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK)
        return ociarch_dest_archive_error(dst, ctx, "writing");
    return FERRY_OK;
}

static int ociarch_dest_member(ociarch_dest *dst, ferry_ctx *ctx, const char *name, const void *data, size_t len)
{
    int status = ociarch_dest_header(dst, ctx, name, (int64_t)len, 0);
    if (status != FERRY_OK)
        return status;
    if (len > 0 && archive_write_data(dst->ar, data, len) != (la_ssize_t)len)
        return ociarch_dest_archive_error(dst, ctx, "writing");
    if (archive_write_finish_entry(dst->ar) != ARCHIVE_OK)
        return ociarch_dest_archive_error(dst, ctx, "writing");
    return FERRY_OK;
}

static const ociarch_written *ociarch_dest_find(const ociarch_dest *dst, const char *digest)
{
    for (size_t i = 0; digest != NULL && i < dst->n_written; i++)
        if (strcmp(dst->written[i].digest, digest) == 0)
            return &dst->written[i];
    return NULL;
}

static int ociarch_dest_remember(ociarch_dest *dst, ferry_ctx *ctx, const char *digest, int64_t size)
{
    if (dst->n_written == dst->cap_written) {
        size_t cap = dst->cap_written != 0 ? dst->cap_written * 2 : 16;
        ociarch_written *w = realloc(dst->written, cap * sizeof *w);
        if (w == NULL)
            return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
        dst->written = w;
        dst->cap_written = cap;
    }
    ociarch_written *w = &dst->written[dst->n_written++];
    memcpy(w->digest, digest, strlen(digest) + 1); /* valid digests fit */
    w->size = size;
    return FERRY_OK;
}

/* The member name of a blob, "blobs/ALG/HEX", after validating the digest;
 * adds the ALG directory entry the first time a sha512 blob appears. */
static int ociarch_dest_blob_name(ociarch_dest *dst, ferry_ctx *ctx, const char *digest, char *name, size_t cap)
{
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    if (digest == NULL || oci_blob_relpath(dst->svc, digest, rel, sizeof rel) != 0)
        return dst->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", dst->ref.label,
                                   digest != NULL ? digest : "");
    snprintf(name, cap, "%s/%s", OCI_BLOBS_DIR, rel);
    if (strncmp(rel, "sha512/", 7) == 0 && !dst->has_sha512_dir) {
        dst->has_sha512_dir = 1;
        return ociarch_dest_header(dst, ctx, OCI_BLOBS_DIR "/sha512/", 0, 1);
    }
    return FERRY_OK;
}

static int ociarch_dest_try_reuse_blob(ferry_image_dest *dest, ferry_ctx *ctx, const ferry_blob_info *info,
                                       int64_t *size)
{
    ociarch_dest *dst = (ociarch_dest *)dest;
    const ociarch_written *w = ociarch_dest_find(dst, info->digest);
    if (w == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: blob %s not written yet", dst->ref.label,
                                   info->digest != NULL ? info->digest : "");
    *size = w->size;
    return FERRY_OK;
}

/* Pulls `data` to its end, discarding it (a blob already in the archive). */
static int ociarch_dest_drain(ferry_ctx *ctx, ferry_reader *data, char *buf)
{
    for (int eos = 0; !eos;) {
        size_t n = 0;
        int status = ferry_reader_read(data, ctx, buf, PLUGIN_UTIL_CHUNK, &n, &eos);
        if (status != FERRY_OK)
            return status;
    }
    return FERRY_OK;
}

static int ociarch_dest_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data,
                                 const ferry_blob_info *info)
{
    ociarch_dest *dst = (ociarch_dest *)dest;
    const ferry_services *svc = dst->svc;
    /* NEEDS_BLOB_SIZE: the core knows both before the first byte. */
    int64_t size = ferry_reader_size(data) >= 0 ? ferry_reader_size(data) : info->size;
    if (info->digest == NULL || size < 0)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: blob digest or size unknown before writing", dst->ref.label);
    char name[PLUGIN_UTIL_DIGEST_MAX + 32];
    int status = ociarch_dest_blob_name(dst, ctx, info->digest, name, sizeof name);
    if (status != FERRY_OK)
        return status;
    char *buf = malloc(PLUGIN_UTIL_CHUNK);
    if (buf == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    if (ociarch_dest_find(dst, info->digest) != NULL) {
        status = ociarch_dest_drain(ctx, data, buf);
        free(buf);
        return status;
    }
    status = ociarch_dest_header(dst, ctx, name, size, 0);
    int64_t done = 0;
    for (int eos = 0; status == FERRY_OK && !eos;) {
        size_t n = 0;
        status = ferry_reader_read(data, ctx, buf, PLUGIN_UTIL_CHUNK, &n, &eos);
        if (status != FERRY_OK)
            dst->broken = 1; /* already reported; the member is cut short */
        else if ((uint64_t)n > (uint64_t)(size - done))
            break;
        else if (n > 0 && archive_write_data(dst->ar, buf, n) != (la_ssize_t)n)
            status = ociarch_dest_archive_error(dst, ctx, "writing");
        else
            done += (int64_t)n;
    }
    free(buf);
    if (status == FERRY_OK && done != size) {
        /* libarchive would pad or cut the member silently. */
        dst->broken = 1;
        status = svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob %s: %s bytes, expected %lld",
                                dst->ref.label, info->digest, done < size ? "fewer" : "more", (long long)size);
    }
    if (status == FERRY_OK && archive_write_finish_entry(dst->ar) != ARCHIVE_OK)
        status = ociarch_dest_archive_error(dst, ctx, "writing");
    if (status == FERRY_OK)
        status = ociarch_dest_remember(dst, ctx, info->digest, size);
    return status;
}

static int ociarch_dest_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                                     const char *media_type, const char *digest, const char *instance_digest)
{
    ociarch_dest *dst = (ociarch_dest *)dest;
    char name[PLUGIN_UTIL_DIGEST_MAX + 32];
    int status = ociarch_dest_blob_name(dst, ctx, digest, name, sizeof name);
    if (status == FERRY_OK && ociarch_dest_find(dst, digest) == NULL) {
        status = ociarch_dest_member(dst, ctx, name, data, len);
        if (status == FERRY_OK)
            status = ociarch_dest_remember(dst, ctx, digest, (int64_t)len);
    }
    if (status != FERRY_OK || instance_digest != NULL)
        return status; /* instances are reachable through their list only */
    json_t *desc = oci_descriptor_new(media_type, digest, len, dst->ref.name);
    if (desc == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    json_decref(dst->pending);
    dst->pending = desc;
    return FERRY_OK;
}

/* index.json as skopeo writes it into a new layout. */
static int ociarch_dest_write_index(ociarch_dest *dst, ferry_ctx *ctx)
{
    json_t *index = oci_index_new();
    json_t *desc = dst->pending;
    dst->pending = NULL;
    char *text = NULL;
    if (index != NULL && oci_index_add(index, desc) == 0)
        text = gojson_encode(index, 0);
    else if (index == NULL)
        json_decref(desc);
    json_decref(index);
    if (text == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    int status = ociarch_dest_member(dst, ctx, OCI_INDEX_FILE, text, strlen(text));
    free(text);
    return status;
}

static int ociarch_dest_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    ociarch_dest *dst = (ociarch_dest *)dest;
    const ferry_services *svc = dst->svc;
    if (dst->pending == NULL)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: commit without a manifest", dst->ref.label);
    int status = ociarch_dest_write_index(dst, ctx);
    if (status != FERRY_OK)
        return status;
    if (archive_write_close(dst->ar) != ARCHIVE_OK)
        return ociarch_dest_archive_error(dst, ctx, "finishing");
    if (plugin_util_output_commit(&dst->out) != 0) /* renames over PATH; a stream just ends */
        return plugin_util_errno_error(svc, ctx, errno, dst->ref.label, "creating", dst->ref.path);
    dst->committed = 1;
    return FERRY_OK;
}

static void ociarch_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    ociarch_dest *dst = (ociarch_dest *)dest;
    /* Not committed: freeing would finish the cut member and end the
     * archive; discard that instead (archive_write_fail would leak). */
    dst->discard = !dst->committed;
    if (dst->ar != NULL)
        archive_write_free(dst->ar);
    if (plugin_util_output_close(&dst->out) != 0)
        dst->svc->log(ctx, FERRY_LOG_WARNING, "%s: could not remove a temporary file next to %s", dst->ref.label,
                      dst->ref.path);
    json_decref(dst->pending);
    free(dst->written);
    oci_reference_free(&dst->ref);
    free(dst);
}

static const ferry_dest_ops ociarch_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = ociarch_dest_manifest_types,
    .desired_layer_compression = ociarch_dest_desired_layer_compression,
    .try_reuse_blob = ociarch_dest_try_reuse_blob,
    .put_blob = ociarch_dest_put_blob,
    .put_manifest = ociarch_dest_put_manifest,
    .put_signatures = NULL, /* the layout has no place for signatures */
    .commit = ociarch_dest_commit,
    .close = ociarch_dest_close,
};

/* The file the archive is written to in `path`'s directory: unnamed when
 * the file system allows, else a temporary name; renamed over `path` at
 * commit. */
static int ociarch_dest_open_temp(ociarch_dest *dst, ferry_ctx *ctx, const char *path)
{
    const ferry_services *svc = dst->svc;
    const char *label = dst->ref.label;
    size_t n = strlen(path);
    if (path[n - 1] == '/')
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s names a directory", label, path);
    char *parent = NULL, *name = NULL;
    int status = FERRY_OK;
    if (plugin_util_split_path(path, &parent, &name) != 0)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    else if (plugin_util_output_stage(&dst->out, parent, name, OCIARCH_TEMP_PREFIX) != 0)
        status = plugin_util_errno_error(svc, ctx, errno, label,
                                         dst->out.dirfd < 0 ? "opening the directory" : "creating a temporary file in",
                                         parent);
    free(parent);
    return status;
}

/* The descriptor N that /dev/stdout, /dev/stderr, /dev/fd/N or
 * /proc/self/fd/N names, or -1: such a PATH is written through a dup of N,
 * sharing its offset (a shell's ">>" appends), never renamed over. */
static int ociarch_dest_std_fd(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0)
        return STDOUT_FILENO;
    if (strcmp(path, "/dev/stderr") == 0)
        return STDERR_FILENO;
    const char *digits = strncmp(path, "/dev/fd/", 8) == 0         ? path + 8
                         : strncmp(path, "/proc/self/fd/", 14) == 0 ? path + 14
                                                                     : NULL;
    if (digits == NULL || digits[0] == '\0' || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 6)
        return -1;
    return atoi(digits);
}

/* Opens where the archive goes: a temporary file next to PATH (next to
 * the file a symlink PATH leads to, which is replaced), or PATH itself when
 * it is a pipe, a device or a standard stream. */
static int ociarch_dest_open_file(ociarch_dest *dst, ferry_ctx *ctx)
{
    const ferry_services *svc = dst->svc;
    const char *label = dst->ref.label, *path = dst->ref.path;
    struct stat st;
    int stdfd = ociarch_dest_std_fd(path);
    if (stdfd >= 0) {
        dst->out.fd = fcntl(stdfd, F_DUPFD_CLOEXEC, 3);
        return dst->out.fd >= 0 ? FERRY_OK : plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is a directory", label, path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        dst->out.fd = open(path, O_WRONLY | O_CLOEXEC);
        return dst->out.fd >= 0 ? FERRY_OK : plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
    }
    char *resolved = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        resolved = realpath(path, NULL);
        if (resolved == NULL)
            return plugin_util_errno_error(svc, ctx, errno, label, "resolving", path);
        path = resolved;
    }
    int status = ociarch_dest_open_temp(dst, ctx, path);
    free(resolved);
    return status;
}

/* libarchive's output, through our descriptor. */
static la_ssize_t ociarch_dest_write_cb(struct archive *a, void *opaque, const void *buf, size_t len)
{
    ociarch_dest *dst = opaque;
    if (dst->discard)
        return (la_ssize_t)len;
    if (fs_write_all(dst->out.fd, buf, len) != 0) {
        archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    return (la_ssize_t)len;
}

/* Starts the archive: oci-layout, then the blob directories. */
static int ociarch_dest_start(ociarch_dest *dst, ferry_ctx *ctx)
{
    dst->ar = archive_write_new();
    if (dst->ar == NULL)
        return dst->svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", dst->ref.label);
    /* ustar headers whenever they suffice (blob names do), pax otherwise. */
    if (archive_write_set_format_pax_restricted(dst->ar) != ARCHIVE_OK ||
        archive_write_add_filter_none(dst->ar) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(dst->ar, 1) != ARCHIVE_OK ||
        archive_write_open(dst->ar, dst, NULL, ociarch_dest_write_cb, NULL) != ARCHIVE_OK)
        return ociarch_dest_archive_error(dst, ctx, "starting");
    int status = ociarch_dest_member(dst, ctx, OCI_LAYOUT_FILE, OCI_LAYOUT_CONTENT, strlen(OCI_LAYOUT_CONTENT));
    if (status == FERRY_OK)
        status = ociarch_dest_header(dst, ctx, OCI_BLOBS_DIR "/", 0, 1);
    if (status == FERRY_OK)
        status = ociarch_dest_header(dst, ctx, OCI_BLOBS_DIR "/sha256/", 0, 1);
    return status;
}

int ociarch_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = oci_services();
    *out = NULL;
    ociarch_dest *dst = calloc(1, sizeof *dst);
    if (dst == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", OCIARCH_TRANSPORT, reference);
    dst->base.ops = &ociarch_dest_ops;
    dst->svc = svc;
    plugin_util_output_init(&dst->out);
    dst->compression = oci_destination_compression(ctx);
    int status = oci_destination_reference(ctx, OCIARCH_TRANSPORT, reference, &dst->ref);
    if (status == FERRY_OK)
        status = ociarch_dest_open_file(dst, ctx);
    if (status == FERRY_OK)
        status = ociarch_dest_start(dst, ctx);
    if (status != FERRY_OK) {
        ociarch_dest_close(&dst->base, ctx);
        return status;
    }
    *out = &dst->base;
    return FERRY_OK;
}
