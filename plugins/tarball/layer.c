/* plugins/tarball/layer.c — one file of a tarball: reference: what it holds
 * and the stream of its layer. A file is read once when the source opens,
 * to its end and in bounded memory (libarchive decompresses, with only its
 * gzip, zstd and xz filters enabled): the digest of its bytes, the digest of
 * the tar inside (the DiffID) and a check that a tar archive is inside.
 * gzip and zstd files are served as they are (tar+gzip, tar+zstd layers);
 * xz has no OCI layer type, so an xz file is served decompressed, as a tar
 * layer, again streaming. containers/image recognises gzip only and lists
 * any other file, compressed or not, as an uncompressed layer whose DiffID
 * is the digest of the file: ferry agrees with it for plain and gzip files
 * and gives the true DiffIDs of zstd and xz files. */
#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TARBALL_CHUNK (64 * 1024)
#define TARBALL_TAR_BLOCK 512

/* The file as libarchive's input: pread from an offset of our own, so that
 * several readers share one descriptor, optionally hashing what is read. */
typedef struct tarball_input {
    const ferry_services *svc;
    int fd;
    int64_t offset;
    ferry_hasher *hasher; /* of the file's bytes, or NULL */
    int read_errno;       /* of a failed pread */
    unsigned char buf[TARBALL_CHUNK];
} tarball_input;

static la_ssize_t tarball_input_read(struct archive *a, void *opaque, const void **buf)
{
    tarball_input *in = opaque;
    ssize_t n;
    do
        n = pread(in->fd, in->buf, sizeof in->buf, (off_t)in->offset);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        in->read_errno = errno;
        if (a != NULL)
            archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    in->offset += n;
    if (in->hasher != NULL)
        in->svc->hasher_update(in->hasher, in->buf, (size_t)n);
    *buf = in->buf;
    return n;
}

/* A libarchive reader of the decompressed bytes of `in`, positioned at the
 * data; NULL when the archive cannot be made or the data cannot be found
 * (an empty file), with the reason copied into why (libarchive's own
 * string dies with the archive). */
static struct archive *tarball_decompressor(tarball_input *in, char *why, size_t whycap)
{
    struct archive *a = archive_read_new();
    if (a == NULL) {
        snprintf(why, whycap, "out of memory");
        return NULL;
    }
    struct archive_entry *entry = NULL;
    /* Only these filters: anything else (bzip2, lz4, …) is read as it is
     * and then fails the tar check. The raw format hands the bytes over. */
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_raw(a);
    if (archive_read_open(a, in, NULL, tarball_input_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(a, &entry) != ARCHIVE_OK) {
        snprintf(why, whycap, "%s",
                 in->read_errno != 0                 ? strerror(in->read_errno)
                 : archive_error_string(a) != NULL ? archive_error_string(a)
                                                   : "it is empty");
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Whether the first 512-byte block is a tar header (its checksum holds,
 * counted with unsigned or, as old tars did, signed bytes) or a zero block
 * (an empty archive). */
static int tarball_is_tar_block(const unsigned char *block)
{
    int zero = 1;
    long unsigned_sum = 0, signed_sum = 0;
    for (size_t i = 0; i < TARBALL_TAR_BLOCK; i++) {
        unsigned char c = i >= 148 && i < 156 ? ' ' : block[i];
        zero &= block[i] == 0;
        unsigned_sum += c;
        signed_sum += (signed char)c;
    }
    if (zero)
        return 1;
    long recorded = 0;
    size_t i = 148;
    while (i < 156 && block[i] == ' ')
        i++;
    size_t digits = 0;
    for (; i < 156 && block[i] >= '0' && block[i] <= '7'; i++, digits++)
        recorded = recorded * 8 + (block[i] - '0');
    return digits > 0 && (recorded == unsigned_sum || recorded == signed_sum);
}

static tarball_compression tarball_compression_of(struct archive *a)
{
    switch (archive_filter_code(a, 0)) {
    case ARCHIVE_FILTER_GZIP: return TARBALL_GZIP;
    case ARCHIVE_FILTER_ZSTD: return TARBALL_ZSTD;
    case ARCHIVE_FILTER_XZ: return TARBALL_XZ;
    default: return TARBALL_PLAIN;
    }
}

/* Reads the decompressed stream to its end into diff_hasher, keeping the
 * first block in `first`; *total counts the bytes. */
static int tarball_scan_data(ferry_ctx *ctx, const char *label, const tarball_layer *layer, struct archive *a,
                             tarball_input *in, ferry_hasher *diff_hasher, unsigned char *first, int64_t *total)
{
    const ferry_services *svc = in->svc;
    unsigned char *buf = malloc(TARBALL_CHUNK);
    if (buf == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int status = FERRY_OK;
    *total = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, TARBALL_CHUNK);
        if (n == 0)
            break;
        if (n < 0) {
            status = in->read_errno != 0
                         ? plugin_util_errno_error(svc, ctx, in->read_errno, label, "reading", layer->path)
                         : svc->set_error(ctx, FERRY_ERR_INVALID, "%s: decompressing %s: %s", label, layer->path,
                                          archive_error_string(a) ? archive_error_string(a) : "corrupt data");
            break;
        }
        if (*total < TARBALL_TAR_BLOCK) {
            size_t take = (size_t)(TARBALL_TAR_BLOCK - *total) < (size_t)n ? (size_t)(TARBALL_TAR_BLOCK - *total)
                                                                           : (size_t)n;
            memcpy(first + *total, buf, take);
        }
        svc->hasher_update(diff_hasher, buf, (size_t)n);
        *total += n;
        if (svc->cancelled(ctx)) {
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: reading %s: cancelled", label, layer->path);
            break;
        }
    }
    free(buf);
    return status;
}

int tarball_layer_scan(ferry_ctx *ctx, const char *label, tarball_layer *layer)
{
    const ferry_services *svc = tarball_services();
    layer->fd = open(layer->path, O_RDONLY | O_CLOEXEC);
    if (layer->fd < 0)
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: error opening \"%s\": %s", label, layer->path,
                              strerror(errno));
    struct stat st;
    if (fstat(layer->fd, &st) != 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "reading", layer->path);
    if (!S_ISREG(st.st_mode))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is not a regular file", label, layer->path);
    layer->mtime = st.st_mtim;
    layer->file_size = st.st_size;

    tarball_input *in = calloc(1, sizeof *in);
    ferry_hasher *file_hasher = svc->hasher_new("sha256");
    ferry_hasher *diff_hasher = svc->hasher_new("sha256");
    int status = FERRY_OK;
    if (in == NULL || file_hasher == NULL || diff_hasher == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    struct archive *a = NULL;
    unsigned char first[TARBALL_TAR_BLOCK];
    int64_t total = 0;
    if (status == FERRY_OK) {
        *in = (tarball_input){.svc = svc, .fd = layer->fd, .hasher = file_hasher};
        char why[256];
        a = tarball_decompressor(in, why, sizeof why);
        if (a == NULL)
            status = in->read_errno != 0
                         ? plugin_util_errno_error(svc, ctx, in->read_errno, label, "reading", layer->path)
                         : svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is not a tar archive: %s", label,
                                          layer->path, why);
    }
    if (status == FERRY_OK) {
        layer->compression = tarball_compression_of(a);
        status = tarball_scan_data(ctx, label, layer, a, in, diff_hasher, first, &total);
    }
    /* The file's digest covers all of it, also what follows the
     * compressed stream. */
    while (status == FERRY_OK) {
        const void *ignored;
        la_ssize_t n = tarball_input_read(NULL, in, &ignored);
        if (n < 0)
            status = plugin_util_errno_error(svc, ctx, in->read_errno, label, "reading", layer->path);
        if (n <= 0)
            break;
    }
    if (status == FERRY_OK && (total < TARBALL_TAR_BLOCK || !tarball_is_tar_block(first)))
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is not a tar archive%s", label, layer->path,
                                layer->compression == TARBALL_PLAIN ? " (nor gzip, zstd or xz compressed)" : "");
    if (status == FERRY_OK) {
        char file_digest[PLUGIN_UTIL_DIGEST_MAX];
        svc->hasher_final(file_hasher, file_digest, sizeof file_digest);
        svc->hasher_final(diff_hasher, layer->diff_id, sizeof layer->diff_id);
        if (layer->compression == TARBALL_XZ) {
            memcpy(layer->blob_digest, layer->diff_id, sizeof layer->blob_digest);
            layer->blob_size = total;
        } else {
            /* Plain: the same bytes, so the DiffID is the file's digest. */
            memcpy(layer->blob_digest, file_digest, sizeof layer->blob_digest);
            layer->blob_size = in->offset;
        }
    }
    if (a != NULL)
        archive_read_free(a);
    if (file_hasher != NULL)
        svc->hasher_free(file_hasher);
    if (diff_hasher != NULL)
        svc->hasher_free(diff_hasher);
    free(in);
    return status;
}

/* ---- the decompressed stream of an xz file ---- */

typedef struct tarball_xz_reader {
    ferry_reader base;
    const ferry_services *svc;
    tarball_input *in;
    struct archive *a;
    int64_t size;
    char *label; /* "LABEL: PATH" for messages */
} tarball_xz_reader;

static int tarball_xz_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    tarball_xz_reader *r = (tarball_xz_reader *)reader;
    *nread = 0;
    *eos = 0;
    la_ssize_t n = archive_read_data(r->a, buf, len);
    if (n < 0)
        return r->svc->set_error(ctx, r->in->read_errno != 0 ? FERRY_ERR_IO : FERRY_ERR_INVALID,
                                 "%s: decompressing: %s", r->label,
                                 r->in->read_errno != 0 ? strerror(r->in->read_errno)
                                 : archive_error_string(r->a) != NULL ? archive_error_string(r->a)
                                                                      : "corrupt data");
    *nread = (size_t)n;
    *eos = n == 0;
    return FERRY_OK;
}

static void tarball_xz_close(ferry_reader *reader)
{
    tarball_xz_reader *r = (tarball_xz_reader *)reader;
    if (r->a != NULL)
        archive_read_free(r->a);
    free(r->in);
    free(r->label);
    free(r);
}

static int64_t tarball_xz_size(ferry_reader *reader)
{
    return ((tarball_xz_reader *)reader)->size;
}

static const ferry_reader_ops tarball_xz_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = tarball_xz_read,
    .close = tarball_xz_close,
    .digest = NULL, /* the core hashes what it reads */
    .size = tarball_xz_size,
};

int tarball_layer_reader(ferry_ctx *ctx, const char *label, const tarball_layer *layer, ferry_reader **out)
{
    const ferry_services *svc = tarball_services();
    *out = NULL;
    if (layer->compression != TARBALL_XZ)
        return plugin_util_range_reader(svc, ctx, layer->fd, 0, layer->blob_size, label, layer->path, out);
    tarball_xz_reader *r = calloc(1, sizeof *r);
    if (r == NULL || (r->in = calloc(1, sizeof *r->in)) == NULL ||
        (r->label = plugin_util_printf("%s: %s", label, layer->path)) == NULL) {
        if (r != NULL)
            tarball_xz_close(&r->base);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    r->base.ops = &tarball_xz_ops;
    r->svc = svc;
    r->size = layer->blob_size;
    *r->in = (tarball_input){.svc = svc, .fd = layer->fd};
    char why[256];
    r->a = tarball_decompressor(r->in, why, sizeof why);
    if (r->a == NULL) {
        int status = svc->set_error(ctx, FERRY_ERR_IO, "%s: %s: %s", label, layer->path, why);
        tarball_xz_close(&r->base);
        return status;
    }
    *out = &r->base;
    return FERRY_OK;
}

void tarball_layer_release(tarball_layer *layer)
{
    if (layer->fd >= 0)
        close(layer->fd);
    layer->fd = -1;
    free(layer->path);
    layer->path = NULL;
}
