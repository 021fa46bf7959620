/* plugins/containers-storage/tarsplit.c — the layer tar-split, both ways:
 * writing the gzip'd JSON lines of vbatts/tar-split byte for byte as
 * containers/storage's JSONPacker does (for layer_apply.c), and
 * cs_tarsplit_reader, which streams the original tar back from those lines
 * and the files of the layer directory, checking every file's size and
 * CRC-64/ISO. Also the in-root path opener both directions use. Memory stays
 * bounded: one JSON line (capped) and one decoded segment at a time. */
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

#include "cs.h"
#include "plugin_util.h"
#include "shared/fsutil.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"
#include "tarsplit.h"

#define CS_TS_LINE_MAX (64u * 1024 * 1024) /* a JSON line: a segment of up to ~48 MiB */
#define CS_TS_IO (64 * 1024)

/* ---- base64 -------------------------------------------------------------- */

static const char cs_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void cs_b64_append(strbuf *sb, const unsigned char *p, size_t n)
{
    char out[4096];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = cs_b64[v >> 18];
        out[o++] = cs_b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? cs_b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? cs_b64[v & 63] : '=';
        if (o == sizeof(out)) {
            strbuf_append(sb, out, o);
            o = 0;
        }
    }
    strbuf_append(sb, out, o);
}

/* Strict standard base64 (padding required) as Go's StdEncoding decodes it;
 * out needs len/4*3 bytes. -1 when malformed. */
static int cs_b64_decode(const char *s, size_t len, unsigned char *out, size_t *outlen)
{
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char c = s[i + k];
            const char *pos = c ? strchr(cs_b64, c) : NULL;
            if (c == '=' && i + 4 == len && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                pad++;
                v <<= 6;
            } else if (pos != NULL && pad == 0) {
                v = (v << 6) | (uint32_t)(pos - cs_b64);
            } else {
                return -1;
            }
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)v;
    }
    *outlen = o;
    return 0;
}

/* utf8.ValidString: every sequence decodes, none to the U+FFFD of an error. */
static int cs_valid_utf8(const char *s, size_t n)
{
    while (n > 0) {
        unsigned rune;
        size_t l = gojson_utf8_decode((const unsigned char *)s, n, &rune);
        if (rune == 0xFFFD && l == 1)
            return 0;
        s += l;
        n -= l;
    }
    return 1;
}

/* ---- Go's view of the header blocks ------------------------------------------ */

/* A numeric header field: octal (spaces and NULs around it) or base-256. */
static int64_t cs_tar_num(const unsigned char *p, size_t n)
{
    int64_t v = 0;
    if (p[0] & 0x80) {
        v = p[0] & 0x3f;
        for (size_t i = 1; i < n; i++)
            v = v << 8 | p[i];
        return v;
    }
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == 0))
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
        v = v * 8 + (p[i] - '0');
    return v;
}

static char *cs_tar_str(const unsigned char *p, size_t n)
{
    const unsigned char *z = memchr(p, 0, n);
    return strndup((const char *)p, z ? (size_t)(z - p) : n);
}

/* The "path" and "linkpath" records of a PAX extended header. */
static int cs_pax(const unsigned char *p, size_t n, char **path, char **link)
{
    while (n > 0) {
        size_t len = 0, i = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            len = len * 10 + (size_t)(p[i++] - '0');
        if (i == n || p[i] != ' ' || len <= i + 1 || len > n || p[len - 1] != '\n')
            return -1;
        const unsigned char *kv = p + i + 1, *eq = memchr(kv, '=', len - i - 2);
        if (eq == NULL)
            return -1;
        size_t klen = (size_t)(eq - kv), vlen = (size_t)(p + len - 1 - (eq + 1));
        char **dst = klen == 4 && !memcmp(kv, "path", 4) ? path : klen == 8 && !memcmp(kv, "linkpath", 8) ? link : NULL;
        if (dst != NULL && vlen > 0) { /* Go's mergePAX ignores empty values */
            free(*dst);
            if ((*dst = strndup((const char *)eq + 1, vlen)) == NULL)
                return -1;
        }
        p += len;
        n -= len;
    }
    return 0;
}

int cs_parse_hdrs(const unsigned char *seg, size_t len, size_t first, cs_hdr *h)
{
    char *pax_path = NULL, *pax_link = NULL, *gnu_name = NULL, *gnu_link = NULL;
    int rc = -1;
    size_t off = first;
    while (off + 512 <= len) {
        const unsigned char *b = seg + off;
        char type = (char)b[156];
        int64_t size = cs_tar_num(b + 124, 12);
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
            size_t span = 512 + (((size_t)size + 511) & ~(size_t)511);
            if (size < 0 || off + span > len || span < (size_t)size)
                break;
            char **dst = type == 'L' ? &gnu_name : type == 'K' ? &gnu_link : NULL;
            if (type == 'x' && cs_pax(b + 512, (size_t)size, &pax_path, &pax_link) != 0)
                break;
            if (dst != NULL) {
                free(*dst);
                *dst = cs_tar_str(b + 512, (size_t)size);
            }
            off += span;
            continue;
        }
        if (off + 512 != len)
            break;
        h->type = type;
        h->name = cs_tar_str(b, 100);
        h->link = cs_tar_str(b + 157, 100);
        if (h->name && !memcmp(b + 257, "ustar\0", 6)) {
            size_t plen = !memcmp(b + 508, "tar\0", 4) ? 131 : 155; /* STAR's prefix is shorter */
            char *prefix = cs_tar_str(b + 345, plen);
            if (prefix && *prefix) {
                char *full = plugin_util_printf("%s/%s", prefix, h->name);
                free(h->name);
                h->name = full;
            }
            free(prefix);
        }
        char *over[2][2] = {{pax_path, gnu_name}, {pax_link, gnu_link}};
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 2; j++) {
                char **dst = k ? &h->link : &h->name;
                if (over[k][j] && *over[k][j]) {
                    free(*dst);
                    *dst = strdup(over[k][j]);
                }
            }
        }
        size_t nl = h->name ? strlen(h->name) : 0;
        if (h->type == '\0')
            h->type = nl > 0 && h->name[nl - 1] == '/' ? '5' : '0';
        rc = h->name && h->link ? 0 : -1;
        break;
    }
    free(pax_path);
    free(pax_link);
    free(gnu_name);
    free(gnu_link);
    return rc;
}

/* ---- writer --------------------------------------------------------------- */

struct cs_ts_writer {
    int fd;
    int64_t position;
    z_stream z;
    unsigned char out[CS_TS_IO];
};

cs_ts_writer *cs_ts_writer_new(int fd)
{
    cs_ts_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->fd = fd;
    /* BestSpeed like containers/storage's pgzip writer; the gzip bytes differ
     * anyway, the JSON lines inside are what readers compare. */
    if (deflateInit2(&w->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    return w;
}

static int cs_ts_deflate(cs_ts_writer *w, const void *data, size_t len, int flush)
{
    w->z.next_in = (unsigned char *)(uintptr_t)data;
    w->z.avail_in = (uInt)len;
    for (;;) {
        w->z.next_out = w->out;
        w->z.avail_out = sizeof(w->out);
        int rc = deflate(&w->z, flush);
        if (rc == Z_STREAM_ERROR) {
            errno = EIO;
            return -1;
        }
        size_t have = sizeof(w->out) - w->z.avail_out;
        if (have > 0 && fs_write_all(w->fd, w->out, have) != 0)
            return -1;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : (w->z.avail_in == 0 && w->z.avail_out != 0))
            return 0;
    }
}

static int cs_ts_line(cs_ts_writer *w, strbuf *sb)
{
    strbuf_printf(sb, ",\"position\":%lld}\n", (long long)w->position);
    int rc = -1;
    if (sb->failed)
        errno = ENOMEM;
    else
        rc = cs_ts_deflate(w, sb->data, sb->len, Z_NO_FLUSH);
    strbuf_release(sb);
    if (rc == 0)
        w->position++;
    return rc;
}

int cs_ts_segment(cs_ts_writer *w, const void *data, size_t len)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"type\":2,\"payload\":\"");
    cs_b64_append(&sb, data, len);
    strbuf_puts(&sb, "\"");
    return cs_ts_line(w, &sb);
}

int cs_ts_file(cs_ts_writer *w, const char *name, size_t namelen, int64_t size, uint64_t crc)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"type\":1");
    if (namelen > 0 && cs_valid_utf8(name, namelen)) {
        char *q = gojson_quote(name, namelen);
        if (q == NULL) {
            strbuf_release(&sb);
            errno = ENOMEM;
            return -1;
        }
        strbuf_printf(&sb, ",\"name\":%s", q);
        free(q);
    } else if (namelen > 0) {
        strbuf_puts(&sb, ",\"name_raw\":\"");
        cs_b64_append(&sb, (const unsigned char *)name, namelen);
        strbuf_puts(&sb, "\"");
    }
    if (size != 0)
        strbuf_printf(&sb, ",\"size\":%lld", (long long)size);
    if (size > 0) {
        unsigned char be[8];
        for (int i = 0; i < 8; i++)
            be[i] = (unsigned char)(crc >> (56 - 8 * i));
        strbuf_puts(&sb, ",\"payload\":\"");
        cs_b64_append(&sb, be, sizeof(be));
        strbuf_puts(&sb, "\"");
    } else {
        strbuf_puts(&sb, ",\"payload\":null");
    }
    return cs_ts_line(w, &sb);
}

int cs_ts_writer_close(cs_ts_writer *w, int finish)
{
    if (w == NULL)
        return 0;
    int rc = finish ? cs_ts_deflate(w, NULL, 0, Z_FINISH) : 0;
    int saved = errno;
    deflateEnd(&w->z);
    free(w);
    errno = saved;
    return rc;
}

/* ---- paths inside the layer directory --------------------------------------- */

/* Without openat2: component by component, refusing every symbolic link. */
static int cs_open_walk(int rootfd, const char *rel, int flags)
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

int cs_open_in_root(int rootfd, const char *rel, int flags)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return (int)fd;
    return cs_open_walk(rootfd, rel, flags);
}

/* ---- reader ------------------------------------------------------------------ */

typedef struct cs_ts_reader {
    ferry_reader base;
    const ferry_services *svc;
    char *tspath;
    int root_fd, ts_fd;
    int64_t known_size;
    z_stream z;
    int z_ready, z_eof, done;
    unsigned char in[CS_TS_IO], inflated[CS_TS_IO];
    size_t inf_len, inf_pos;
    strbuf line;
    unsigned char *seg; /* the current segment's bytes */
    size_t seg_len, seg_pos;
    int file_fd; /* the current file, -1 when none */
    char *file_name;
    int64_t file_left, file_size;
    uint64_t crc, want_crc;
} cs_ts_reader;

static int cs_tsr_io(cs_ts_reader *r, ferry_ctx *ctx, int err, const char *what)
{
    return plugin_util_errno_error(r->svc, ctx, err, "containers-storage", what, r->tspath);
}

/* Refills r->inflated; sets z_eof at the end of the file. */
static int cs_tsr_inflate(cs_ts_reader *r, ferry_ctx *ctx)
{
    r->inf_len = r->inf_pos = 0;
    while (r->inf_len == 0 && !r->z_eof) {
        if (r->z.avail_in == 0) {
            ssize_t n = read(r->ts_fd, r->in, sizeof(r->in));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return cs_tsr_io(r, ctx, errno, "reading tar-split");
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
            return r->svc->set_error(ctx, FERRY_ERR_INVALID, "containers-storage: %s: corrupt tar-split: %s",
                                     r->tspath, r->z.msg ? r->z.msg : "inflate failed");
        }
    }
    return FERRY_OK;
}

/* The next JSON line into r->line (without '\n'); *got 0 at the end. */
static int cs_tsr_next_line(cs_ts_reader *r, ferry_ctx *ctx, int *got)
{
    r->line.len = 0;
    *got = 0;
    for (;;) {
        if (r->inf_pos == r->inf_len) {
            int rc = cs_tsr_inflate(r, ctx);
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
        if (r->line.len + n > CS_TS_LINE_MAX)
            return r->svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "containers-storage: %s: tar-split line over %u bytes",
                                     r->tspath, CS_TS_LINE_MAX);
        strbuf_append(&r->line, start, n);
        if (r->line.failed)
            return cs_tsr_io(r, ctx, ENOMEM, "reading tar-split");
        r->inf_pos += n + (nl != NULL);
        if (nl != NULL && r->line.len > 0) {
            *got = 1;
            return FERRY_OK;
        }
    }
}

static int cs_tsr_bad(cs_ts_reader *r, ferry_ctx *ctx, const char *why)
{
    return r->svc->set_error(ctx, FERRY_ERR_INVALID, "containers-storage: %s: invalid tar-split entry: %s", r->tspath,
                             why);
}

/* A base64 member (string) into a malloc'd buffer; *out NULL for null. */
static int cs_tsr_b64(json_t *v, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    *out = malloc(n / 4 * 3 + 1);
    if (*out == NULL || cs_b64_decode(json_string_value(v), n, *out, len) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int cs_tsr_open_file(cs_ts_reader *r, ferry_ctx *ctx, json_t *e, int64_t size)
{
    unsigned char *raw = NULL, *sum = NULL;
    size_t rawlen = 0, sumlen = 0;
    json_t *name = json_object_get(e, "name");
    if (cs_tsr_b64(json_object_get(e, "name_raw"), &raw, &rawlen) != 0 || (name && !json_is_string(name)) ||
        cs_tsr_b64(json_object_get(e, "payload"), &sum, &sumlen) != 0 || sumlen != 8) {
        free(raw);
        free(sum);
        return cs_tsr_bad(r, ctx, "file entry without a name or CRC64");
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
        return cs_tsr_bad(r, ctx, "file entry without a name");
    const char *nm = r->file_name;
    while (*nm == '/') /* containers/storage joins names to the layer directory */
        nm++;
    char *rel = plugin_util_archive_path(NULL, 0, nm);
    if (rel == NULL)
        return r->svc->set_error(ctx, FERRY_ERR_INVALID, "containers-storage: %s: file %s: name outside the layer",
                                 r->tspath, r->file_name);
    r->file_fd = cs_open_in_root(r->root_fd, rel, O_RDONLY | O_NOFOLLOW);
    free(rel);
    struct stat stt;
    if (r->file_fd < 0 || fstat(r->file_fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        int err = r->file_fd < 0 ? errno : EINVAL;
        return r->svc->set_error(ctx, err == ENOENT ? FERRY_ERR_NOT_FOUND : FERRY_ERR_IO,
                                 "containers-storage: layer file %s: %s", r->file_name,
                                 err == EINVAL ? "not a regular file" : strerror(err));
    }
    r->file_left = r->file_size = size;
    r->crc = 0;
    return FERRY_OK;
}

/* Moves to the next entry with bytes to give; r->done at the end. */
static int cs_tsr_next_entry(cs_ts_reader *r, ferry_ctx *ctx)
{
    while (!r->done && r->file_fd < 0 && r->seg_pos == r->seg_len) {
        int got = 0, rc = cs_tsr_next_line(r, ctx, &got);
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
            return cs_tsr_bad(r, ctx, e ? "no type or bad size" : jerr.text);
        }
        if (json_integer_value(type) == 2) {
            free(r->seg);
            r->seg_pos = 0;
            rc = cs_tsr_b64(json_object_get(e, "payload"), &r->seg, &r->seg_len);
            if (rc != 0)
                rc = cs_tsr_bad(r, ctx, "segment payload is not base64");
        } else if (json_integer_value(type) == 1) {
            if (size && json_integer_value(size) > 0)
                rc = cs_tsr_open_file(r, ctx, e, json_integer_value(size));
        } else {
            rc = cs_tsr_bad(r, ctx, "unknown type");
        }
        json_decref(e);
        if (rc != FERRY_OK)
            return rc;
    }
    return FERRY_OK;
}

static int cs_tsr_mismatch(cs_ts_reader *r, ferry_ctx *ctx, const char *what)
{
    return r->svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "containers-storage: layer file %s: %s (tar-split %s)",
                             r->file_name, what, r->tspath);
}

/* Reads from the current file; closes it, checked, when its size is reached. */
static int cs_tsr_read_file(cs_ts_reader *r, ferry_ctx *ctx, unsigned char *buf, size_t len, size_t *got)
{
    *got = 0;
    if (r->file_left > 0) {
        size_t want = (int64_t)len < r->file_left ? len : (size_t)r->file_left;
        ssize_t n;
        do
            n = read(r->file_fd, buf, want);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return r->svc->set_error(ctx, FERRY_ERR_IO, "containers-storage: reading layer file %s: %s", r->file_name,
                                     strerror(errno));
        if (n == 0)
            return cs_tsr_mismatch(r, ctx, "shorter than recorded");
        r->crc = cs_crc64(r->crc, buf, (size_t)n);
        r->file_left -= n;
        *got = (size_t)n;
    }
    if (r->file_left == 0) {
        unsigned char extra;
        ssize_t n = read(r->file_fd, &extra, 1);
        close(r->file_fd);
        r->file_fd = -1;
        if (n != 0)
            return cs_tsr_mismatch(r, ctx, n > 0 ? "longer than recorded" : "unreadable");
        if (r->crc != r->want_crc)
            return cs_tsr_mismatch(r, ctx, "CRC64 mismatch");
    }
    return FERRY_OK;
}

static int cs_tsr_read(ferry_reader *base, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    cs_ts_reader *r = (cs_ts_reader *)base;
    unsigned char *out = buf;
    size_t done = 0;
    *nread = 0;
    *eos = 0;
    while (done < len) {
        int rc = cs_tsr_next_entry(r, ctx);
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
            rc = cs_tsr_read_file(r, ctx, out + done, len - done, &n);
            if (rc != FERRY_OK)
                return rc;
            done += n;
        }
    }
    *nread = done;
    *eos = r->done;
    return FERRY_OK;
}

static void cs_tsr_close(ferry_reader *base)
{
    cs_ts_reader *r = (cs_ts_reader *)base;
    const int fds[] = {r->ts_fd, r->root_fd, r->file_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (r->z_ready)
        inflateEnd(&r->z);
    strbuf_release(&r->line);
    void *owned[] = {r->seg, r->file_name, r->tspath, r};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
        free(owned[i]);
}

/* The caller's size, when it knew one (layers.json's diff-size). */
static int64_t cs_tsr_size(ferry_reader *base)
{
    return ((cs_ts_reader *)base)->known_size;
}

/* No digest: the caller knows the layer's diff-digest and checks it. */
static const ferry_reader_ops cs_tsr_ops = {
    .read = cs_tsr_read, .close = cs_tsr_close, .size = cs_tsr_size, .struct_size = sizeof(ferry_reader_ops)};

int cs_tarsplit_reader(const ferry_services *svc, ferry_ctx *ctx, const char *tarsplit_path, const char *diff_path,
                       int64_t known_size, ferry_reader **out)
{
    *out = NULL;
    cs_ts_reader *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->tspath = strdup(tarsplit_path)) == NULL) {
        free(r);
        return plugin_util_errno_error(svc, ctx, ENOMEM, "containers-storage", "opening", tarsplit_path);
    }
    r->base.ops = &cs_tsr_ops;
    r->svc = svc;
    r->known_size = known_size < 0 ? -1 : known_size;
    r->file_fd = -1;
    r->line = (strbuf)STRBUF_INIT;
    r->ts_fd = open(tarsplit_path, O_RDONLY | O_CLOEXEC);
    r->root_fd = r->ts_fd < 0 ? -1 : open(diff_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int rc = FERRY_OK;
    if (r->ts_fd < 0)
        rc = plugin_util_errno_error(svc, ctx, errno, "containers-storage", "opening tar-split", tarsplit_path);
    else if (r->root_fd < 0)
        rc = plugin_util_errno_error(svc, ctx, errno, "containers-storage", "opening layer directory", diff_path);
    else if (inflateInit2(&r->z, 15 + 32) != Z_OK)
        rc = plugin_util_errno_error(svc, ctx, ENOMEM, "containers-storage", "opening", tarsplit_path);
    else
        r->z_ready = 1;
    if (rc != FERRY_OK) {
        cs_tsr_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return FERRY_OK;
}
