/* plugins/common/tarsplit_reader.c — the layer tar streamed back from its
 * tar-split: raw segments as recorded, file payloads through the caller's
 * callbacks, every file checked against its recorded size and CRC-64/ISO.
 * Also the layer-directory callbacks (tarsplit_reader_open_dir) and the
 * in-root path opener they and the writing side use. Memory stays bounded:
 * one JSON line (capped) and one decoded segment at a time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "plugin_util.h"
#include "shared/base64.h"
#include "shared/strbuf.h"
#include "tarsplit.h"

#define TARSPLIT_LINE_MAX (64u * 1024 * 1024) /* a JSON line: a segment of up to ~48 MiB */
#define TARSPLIT_READER_IO (64 * 1024)

/* ---- paths inside a layer directory ------------------------------------------ */

/* Without openat2: component by component, refusing every symbolic link. */
static int tarsplit_open_walk(int rootfd, const char *rel, int flags)
{
    int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    const char *p = rel;
    while (fd >= 0) {
        const char *slash = strchr(p, '/');
        if (slash == NULL)
            break;
        char comp[NAME_MAX + 1];
        size_t n = (size_t)(slash - p);
        if (n > NAME_MAX) {
            close(fd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
        p = slash + 1;
    }
    if (fd < 0)
        return -1;
    int out = openat(fd, *p ? p : ".", flags | O_NOFOLLOW | O_CLOEXEC, 0); /* links refused here */
    int saved = errno;
    close(fd);
    errno = saved;
    return out;
}

int tarsplit_open_in_root(int rootfd, const char *rel, int flags)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return (int)fd;
    return tarsplit_open_walk(rootfd, rel, flags);
}

/* ---- the reader ---------------------------------------------------------------- */

typedef struct tarsplit_reader {
    ferry_reader base;
    const ferry_services *svc;
    char *module, *what;
    int ts_fd;
    int64_t known_size;
    const tarsplit_files *files;
    void *opaque;
    z_stream z;
    int z_ready, z_eof, done;
    unsigned char in[TARSPLIT_READER_IO], inflated[TARSPLIT_READER_IO];
    size_t inf_len, inf_pos;
    strbuf line;
    unsigned char *seg; /* the current segment's bytes */
    size_t seg_len, seg_pos;
    void *file; /* the current file, NULL when none */
    char *file_name;
    int64_t file_left, file_size;
    uint64_t crc, want_crc;
} tarsplit_reader;

static int tarsplit_reader_io(tarsplit_reader *r, ferry_ctx *ctx, int err, const char *what)
{
    return plugin_util_errno_error(r->svc, ctx, err, r->module, what, r->what);
}

/* Refills r->inflated; sets z_eof at the end of the file. */
static int tarsplit_reader_inflate(tarsplit_reader *r, ferry_ctx *ctx)
{
    r->inf_len = r->inf_pos = 0;
    while (r->inf_len == 0 && !r->z_eof) {
        if (r->z.avail_in == 0) {
            ssize_t n = read(r->ts_fd, r->in, sizeof(r->in));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return tarsplit_reader_io(r, ctx, errno, "reading tar-split");
            if (n == 0) {
                r->z_eof = 1;
                break;
            }
            r->z.next_in = r->in;
            r->z.avail_in = (uInt)n;
        }
        r->z.next_out = r->inflated;
        r->z.avail_out = sizeof(r->inflated);
        int zrc = inflate(&r->z, Z_NO_FLUSH);
        r->inf_len = sizeof(r->inflated) - r->z.avail_out;
        if (zrc == Z_STREAM_END) {
            inflateReset(&r->z); /* a further gzip member may follow */
        } else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            return r->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: corrupt tar-split: %s", r->module, r->what,
                                     r->z.msg ? r->z.msg : "inflate failed");
        }
    }
    return FERRY_OK;
}

/* The next JSON line into r->line (without '\n'); *got 0 at the end. */
static int tarsplit_reader_next_line(tarsplit_reader *r, ferry_ctx *ctx, int *got)
{
    r->line.len = 0;
    *got = 0;
    for (;;) {
        if (r->inf_pos == r->inf_len) {
            int rc = tarsplit_reader_inflate(r, ctx);
            if (rc != FERRY_OK)
                return rc;
            if (r->inf_len == 0) {
                *got = r->line.len > 0;
                return FERRY_OK;
            }
        }
        unsigned char *start = r->inflated + r->inf_pos;
        unsigned char *nl = memchr(start, '\n', r->inf_len - r->inf_pos);
        size_t n = nl ? (size_t)(nl - start) : r->inf_len - r->inf_pos;
        if (r->line.len + n > TARSPLIT_LINE_MAX)
            return r->svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: %s: tar-split line over %u bytes", r->module,
                                     r->what, TARSPLIT_LINE_MAX);
        strbuf_append(&r->line, start, n);
        if (r->line.failed)
            return tarsplit_reader_io(r, ctx, ENOMEM, "reading tar-split");
        r->inf_pos += n + (nl != NULL);
        if (nl != NULL && r->line.len > 0) {
            *got = 1;
            return FERRY_OK;
        }
    }
}

static int tarsplit_reader_bad(tarsplit_reader *r, ferry_ctx *ctx, const char *why)
{
    return r->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: invalid tar-split entry: %s", r->module, r->what, why);
}

/* A base64 member (string) into a malloc'd buffer; *out NULL for null. */
static int tarsplit_reader_b64(json_t *v, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    *out = malloc(n / 4 * 3 + 1);
    if (*out == NULL || base64_decode(json_string_value(v), n, *out, len) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int tarsplit_reader_open_file(tarsplit_reader *r, ferry_ctx *ctx, json_t *e, int64_t size)
{
    unsigned char *raw = NULL, *sum = NULL;
    size_t rawlen = 0, sumlen = 0;
    json_t *name = json_object_get(e, "name");
    if (tarsplit_reader_b64(json_object_get(e, "name_raw"), &raw, &rawlen) != 0 || (name && !json_is_string(name)) ||
        tarsplit_reader_b64(json_object_get(e, "payload"), &sum, &sumlen) != 0 || sumlen != 8) {
        free(raw);
        free(sum);
        return tarsplit_reader_bad(r, ctx, "file entry without a name or CRC64");
    }
    free(r->file_name);
    r->file_name = name ? strdup(json_string_value(name)) : NULL;
    if (name == NULL && raw != NULL && memchr(raw, 0, rawlen) == NULL) {
        raw[rawlen] = '\0';
        r->file_name = (char *)raw;
        raw = NULL;
    }
    free(raw);
    r->want_crc = 0;
    for (int i = 0; i < 8; i++)
        r->want_crc = r->want_crc << 8 | sum[i];
    free(sum);
    if (r->file_name == NULL)
        return tarsplit_reader_bad(r, ctx, "file entry without a name");
    void *file = NULL;
    int rc = r->files->open(r->opaque, ctx, r->file_name, &file);
    if (rc != FERRY_OK)
        return rc;
    r->file = file;
    r->file_left = r->file_size = size;
    r->crc = 0;
    return FERRY_OK;
}

/* Moves to the next entry with bytes to give; r->done at the end. */
static int tarsplit_reader_next_entry(tarsplit_reader *r, ferry_ctx *ctx)
{
    while (!r->done && r->file == NULL && r->seg_pos == r->seg_len) {
        int got = 0, rc = tarsplit_reader_next_line(r, ctx, &got);
        if (rc != FERRY_OK)
            return rc;
        if (!got) {
            r->done = 1;
            break;
        }
        json_error_t jerr;
        json_t *e = json_loadb(r->line.data, r->line.len, 0, &jerr);
        json_t *type = json_object_get(e, "type"), *size = json_object_get(e, "size");
        if (!json_is_integer(type) || (size && !json_is_integer(size)) || (size && json_integer_value(size) < 0)) {
            json_decref(e);
            return tarsplit_reader_bad(r, ctx, e ? "no type or bad size" : jerr.text);
        }
        if (json_integer_value(type) == 2) {
            free(r->seg);
            r->seg_pos = 0;
            rc = tarsplit_reader_b64(json_object_get(e, "payload"), &r->seg, &r->seg_len);
            if (rc != 0)
                rc = tarsplit_reader_bad(r, ctx, "segment payload is not base64");
        } else if (json_integer_value(type) == 1) {
            if (size && json_integer_value(size) > 0)
                rc = tarsplit_reader_open_file(r, ctx, e, json_integer_value(size));
        } else {
            rc = tarsplit_reader_bad(r, ctx, "unknown type");
        }
        json_decref(e);
        if (rc != FERRY_OK)
            return rc;
    }
    return FERRY_OK;
}

static int tarsplit_reader_mismatch(tarsplit_reader *r, ferry_ctx *ctx, const char *what)
{
    return r->svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: layer file %s: %s (tar-split %s)", r->module,
                             r->file_name, what, r->what);
}

static void tarsplit_reader_close_file(tarsplit_reader *r)
{
    if (r->file != NULL)
        r->files->close(r->opaque, r->file);
    r->file = NULL;
}

/* Reads from the current file; closes it, checked, when its size is reached. */
static int tarsplit_reader_read_file(tarsplit_reader *r, ferry_ctx *ctx, unsigned char *buf, size_t len,
                                     size_t *got)
{
    *got = 0;
    if (r->file_left > 0) {
        size_t want = (int64_t)len < r->file_left ? len : (size_t)r->file_left, n = 0;
        int rc = r->files->read(r->opaque, r->file, ctx, buf, want, &n);
        if (rc != FERRY_OK)
            return rc;
        if (n == 0)
            return tarsplit_reader_mismatch(r, ctx, "shorter than recorded");
        r->crc = tarsplit_crc64(r->crc, buf, n);
        r->file_left -= (int64_t)n;
        *got = n;
    }
    if (r->file_left == 0) {
        unsigned char extra;
        size_t n = 0;
        int rc = r->files->read(r->opaque, r->file, ctx, &extra, 1, &n);
        tarsplit_reader_close_file(r);
        if (rc != FERRY_OK || n != 0)
            return tarsplit_reader_mismatch(r, ctx, rc == FERRY_OK ? "longer than recorded" : "unreadable");
        if (r->crc != r->want_crc)
            return tarsplit_reader_mismatch(r, ctx, "CRC64 mismatch");
    }
    return FERRY_OK;
}

static int tarsplit_reader_read(ferry_reader *base, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    tarsplit_reader *r = (tarsplit_reader *)base;
    unsigned char *out = buf;
    size_t done = 0;
    *nread = 0;
    *eos = 0;
    while (done < len) {
        int rc = tarsplit_reader_next_entry(r, ctx);
        if (rc != FERRY_OK)
            return rc;
        if (r->done)
            break;
        if (r->seg_pos < r->seg_len) {
            size_t n = r->seg_len - r->seg_pos < len - done ? r->seg_len - r->seg_pos : len - done;
            memcpy(out + done, r->seg + r->seg_pos, n);
            r->seg_pos += n;
            done += n;
        } else {
            size_t n = 0;
            rc = tarsplit_reader_read_file(r, ctx, out + done, len - done, &n);
            if (rc != FERRY_OK)
                return rc;
            done += n;
        }
    }
    *nread = done;
    *eos = r->done;
    return FERRY_OK;
}

static void tarsplit_reader_close(ferry_reader *base)
{
    tarsplit_reader *r = (tarsplit_reader *)base;
    tarsplit_reader_close_file(r);
    if (r->files->release != NULL)
        r->files->release(r->opaque);
    if (r->ts_fd >= 0)
        close(r->ts_fd);
    if (r->z_ready)
        inflateEnd(&r->z);
    strbuf_release(&r->line);
    void *owned[] = {r->seg, r->file_name, r->module, r->what, r};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        free(owned[i]);
}

/* The caller's size, when it knew one (e.g. layers.json's diff-size). */
static int64_t tarsplit_reader_size(ferry_reader *base)
{
    return ((tarsplit_reader *)base)->known_size;
}

/* No digest: the caller knows the layer's DiffID and the core checks it. */
static const ferry_reader_ops tarsplit_reader_ops = {.read = tarsplit_reader_read,
                                                     .close = tarsplit_reader_close,
                                                     .size = tarsplit_reader_size,
                                                     .struct_size = sizeof(ferry_reader_ops)};

int tarsplit_reader_open(const ferry_services *svc, ferry_ctx *ctx, int tarsplit_fd, const char *module,
                         const char *what, const tarsplit_files *files, void *opaque, int64_t known_size,
                         ferry_reader **out)
{
    *out = NULL;
    tarsplit_reader *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->module = strdup(module)) == NULL || (r->what = strdup(what)) == NULL) {
        if (r != NULL)
            free(r->module);
        free(r);
        close(tarsplit_fd);
        if (files->release != NULL)
            files->release(opaque);
        return plugin_util_errno_error(svc, ctx, ENOMEM, module, "opening", what);
    }
    r->base.ops = &tarsplit_reader_ops;
    r->svc = svc;
    r->ts_fd = tarsplit_fd;
    r->files = files;
    r->opaque = opaque;
    r->known_size = known_size < 0 ? -1 : known_size;
    r->line = (strbuf)STRBUF_INIT;
    if (inflateInit2(&r->z, 15 + 32) != Z_OK) {
        tarsplit_reader_close(&r->base);
        return plugin_util_errno_error(svc, ctx, ENOMEM, module, "opening", what);
    }
    r->z_ready = 1;
    *out = &r->base;
    return FERRY_OK;
}

/* ---- files of a layer directory ------------------------------------------------ */

typedef struct tarsplit_dir {
    const ferry_services *svc;
    const char *module, *tspath; /* in names[] */
    int root_fd;
    int fd;     /* the open file: the reader opens one at a time */
    char *name; /* its name, for messages */
    char names[];
} tarsplit_dir;

static int tarsplit_dir_open(void *opaque, ferry_ctx *ctx, const char *name, void **file)
{
    tarsplit_dir *d = opaque;
    const char *nm = name;
    while (*nm == '/') /* containers/storage joins names to the layer directory */
        nm++;
    char *rel = plugin_util_archive_path(NULL, 0, nm);
    if (rel == NULL)
        return d->svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: file %s: name outside the layer", d->module,
                                 d->tspath, name);
    int fd = tarsplit_open_in_root(d->root_fd, rel, O_RDONLY | O_NOFOLLOW);
    free(rel);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        return d->svc->set_error(ctx, err == ENOENT ? FERRY_ERR_NOT_FOUND : FERRY_ERR_IO, "%s: layer file %s: %s",
                                 d->module, name, err == EINVAL ? "not a regular file" : strerror(err));
    }
    if ((d->name = strdup(name)) == NULL) {
        close(fd);
        return plugin_util_errno_error(d->svc, ctx, ENOMEM, d->module, "opening layer file", name);
    }
    d->fd = fd;
    *file = d;
    return FERRY_OK;
}

static int tarsplit_dir_read(void *opaque, void *file, ferry_ctx *ctx, void *buf, size_t len, size_t *n)
{
    tarsplit_dir *d = file;
    ssize_t got;
    do
        got = read(d->fd, buf, len);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return d->svc->set_error(ctx, FERRY_ERR_IO, "%s: reading layer file %s: %s", d->module, d->name,
                                 strerror(errno));
    *n = (size_t)got;
    return FERRY_OK;
}

static void tarsplit_dir_close(void *opaque, void *file)
{
    tarsplit_dir *d = file;
    close(d->fd);
    d->fd = -1;
    free(d->name);
    d->name = NULL;
}

static void tarsplit_dir_release(void *opaque)
{
    tarsplit_dir *d = opaque;
    if (d->fd >= 0)
        tarsplit_dir_close(d, d);
    close(d->root_fd);
    free(d);
}

static const tarsplit_files tarsplit_dir_files = {.open = tarsplit_dir_open,
                                                  .read = tarsplit_dir_read,
                                                  .close = tarsplit_dir_close,
                                                  .release = tarsplit_dir_release};

int tarsplit_reader_open_dir(const ferry_services *svc, ferry_ctx *ctx, const char *tarsplit_path,
                             const char *root_path, const char *module, int64_t known_size, ferry_reader **out)
{
    *out = NULL;
    int ts_fd = open(tarsplit_path, O_RDONLY | O_CLOEXEC);
    if (ts_fd < 0)
        return plugin_util_errno_error(svc, ctx, errno, module, "opening tar-split", tarsplit_path);
    int root_fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        int err = errno;
        close(ts_fd);
        return plugin_util_errno_error(svc, ctx, err, module, "opening layer directory", root_path);
    }
    size_t mlen = strlen(module) + 1, tlen = strlen(tarsplit_path) + 1;
    tarsplit_dir *d = calloc(1, sizeof(*d) + mlen + tlen);
    if (d == NULL) {
        close(ts_fd);
        close(root_fd);
        return plugin_util_errno_error(svc, ctx, ENOMEM, module, "opening", tarsplit_path);
    }
    d->module = memcpy(d->names, module, mlen);
    d->tspath = memcpy(d->names + mlen, tarsplit_path, tlen);
    d->svc = svc;
    d->root_fd = root_fd;
    d->fd = -1;
    return tarsplit_reader_open(svc, ctx, ts_fd, module, tarsplit_path, &tarsplit_dir_files, d, known_size, out);
}
