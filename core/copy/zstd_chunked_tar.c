/* core/copy/zstd_chunked_tar.c — the tar side of the zstd:chunked compressor
 * (zstd_chunked_internal.h): header blocks read the way vbatts/tar-split
 * v0.11.2's archive/tar (Go's reader, which containers/storage's compressor
 * runs) reads them — checksum, V7/USTAR/GNU/STAR layouts, octal and base-256
 * numbers, PAX records, GNU long names — and each entry written out as a TOC
 * entry the way containers/storage v1.42/v1.43 marshals its FileMetadata.
 * Where Go's reader errs, so does this, in one line naming the offset. */
#include "copy/zstd_chunked_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base64.h"
#include "shared/gojson.h"
#include "util/gotime.h"

/* Header fields: offset and length. */
#define ZC_NAME 0, 100
#define ZC_MODE 100, 8
#define ZC_UID 108, 8
#define ZC_GID 116, 8
#define ZC_SIZE 124, 12
#define ZC_MTIME 136, 12
#define ZC_CHKSUM_OFF 148
#define ZC_CHKSUM_LEN 8
#define ZC_TYPE_OFF 156
#define ZC_LINK 157, 100
#define ZC_MAGIC_OFF 257
#define ZC_VERSION_OFF 263
#define ZC_DEVMAJOR 329, 8
#define ZC_DEVMINOR 337, 8
#define ZC_PREFIX 345, 155     /* USTAR */
#define ZC_STAR_PREFIX 345, 131
#define ZC_STAR_ATIME 476, 12
#define ZC_STAR_CTIME 488, 12
#define ZC_STAR_TRAILER_OFF 508
#define ZC_GNU_ATIME 345, 12
#define ZC_GNU_CTIME 357, 12

typedef enum zstd_chunked_format {
    ZC_FORMAT_V7,
    ZC_FORMAT_USTAR, /* "ustar\0": USTAR or PAX */
    ZC_FORMAT_GNU,   /* "ustar " " \0" */
    ZC_FORMAT_STAR,  /* "ustar\0" and "tar\0" at the end */
} zstd_chunked_format;

/* Go's parser: a sticky error flag over several fields. */
typedef struct zstd_chunked_parser {
    const unsigned char *blk;
    int failed;
} zstd_chunked_parser;

/* Length of a C-style string in b[0..n): up to the first NUL (parseString). */
static size_t zstd_chunked_cstr_len(const unsigned char *b, size_t n)
{
    const unsigned char *z = memchr(b, 0, n);
    return z ? (size_t)(z - b) : n;
}

static char *zstd_chunked_strndup(const void *b, size_t n)
{
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

/* strconv.ParseInt(s, 10, 64): an optional sign and decimal digits. */
static int zstd_chunked_parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (limit - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = neg ? (int64_t)(0 - x) : (int64_t)x;
    return 0;
}

/* parseOctal: spaces and NULs trimmed at both ends, then up to a NUL, as
 * strconv.ParseUint(s, 8, 64). */
static int64_t zstd_chunked_octal(zstd_chunked_parser *p, const unsigned char *b, size_t n)
{
    while (n > 0 && (b[0] == ' ' || b[0] == '\0'))
        b++, n--;
    while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\0'))
        n--;
    n = zstd_chunked_cstr_len(b, n);
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] < '0' || b[i] > '7' || (x >> 61) != 0) {
            p->failed = 1;
            return 0;
        }
        x = x << 3 | (uint64_t)(b[i] - '0');
    }
    return (int64_t)x;
}

/* parseNumeric: base-256 (two's complement, big-endian, the first byte's top
 * bit set) or octal. */
static int64_t zstd_chunked_numeric(zstd_chunked_parser *p, size_t off, size_t n)
{
    const unsigned char *b = p->blk + off;
    if (n == 0 || (b[0] & 0x80) == 0)
        return zstd_chunked_octal(p, b, n);
    unsigned char inv = (b[0] & 0x40) ? 0xff : 0x00;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i] ^ inv;
        if (i == 0)
            c &= 0x7f;
        if ((x >> 56) != 0) {
            p->failed = 1;
            return 0;
        }
        x = x << 8 | c;
    }
    if ((x >> 63) != 0) {
        p->failed = 1;
        return 0;
    }
    return inv ? (int64_t)~x : (int64_t)x;
}

static char *zstd_chunked_field(const unsigned char *blk, size_t off, size_t n)
{
    return zstd_chunked_strndup(blk + off, zstd_chunked_cstr_len(blk + off, n));
}

static void zstd_chunked_unix(zstd_chunked_time *t, int64_t sec)
{
    t->sec = sec;
    t->nsec = 0;
    t->zero = 0;
}

/* The checksum field against both sums Go accepts (bytes unsigned, and
 * signed as some old tars computed it), the field itself counted as spaces. */
static int zstd_chunked_checksum_ok(const unsigned char *blk)
{
    zstd_chunked_parser p = {blk, 0};
    int64_t want = zstd_chunked_octal(&p, blk + ZC_CHKSUM_OFF, ZC_CHKSUM_LEN);
    int64_t u = 0, s = 0;
    for (size_t i = 0; i < ZSTD_CHUNKED_BLOCK; i++) {
        int in_field = i >= ZC_CHKSUM_OFF && i < ZC_CHKSUM_OFF + ZC_CHKSUM_LEN;
        u += in_field ? ' ' : blk[i];
        s += in_field ? ' ' : (signed char)blk[i];
    }
    return !p.failed && (want == u || want == s);
}

static zstd_chunked_format zstd_chunked_format_of(const unsigned char *blk)
{
    if (memcmp(blk + ZC_MAGIC_OFF, "ustar\0", 6) == 0)
        return memcmp(blk + ZC_STAR_TRAILER_OFF, "tar\0", 4) == 0 ? ZC_FORMAT_STAR : ZC_FORMAT_USTAR;
    if (memcmp(blk + ZC_MAGIC_OFF, "ustar ", 6) == 0 && memcmp(blk + ZC_VERSION_OFF, " \0", 2) == 0)
        return ZC_FORMAT_GNU;
    return ZC_FORMAT_V7;
}

/* parsePAXTime: "%d" or "%d.%d", sub-second digits right-padded or truncated to
 * nanoseconds, a negative time counting its fraction backwards. */
static int zstd_chunked_pax_time(const char *s, size_t n, zstd_chunked_time *t)
{
    const char *dot = memchr(s, '.', n);
    size_t ns = dot ? (size_t)(dot - s) : n;
    int64_t sec;
    if (zstd_chunked_parse_int(s, ns, &sec) != 0)
        return -1;
    int64_t nsec = 0;
    if (dot != NULL) {
        size_t digits = n - ns - 1;
        for (size_t i = 0; i < digits; i++)
            if (dot[1 + i] < '0' || dot[1 + i] > '9')
                return -1;
        for (size_t i = 0; i < 9; i++)
            nsec = nsec * 10 + (i < digits ? dot[1 + i] - '0' : 0);
        if (ns > 0 && s[0] == '-')
            nsec = -nsec;
    }
    /* time.Unix normalises the nanoseconds into [0, 1e9). */
    if (nsec < 0) {
        if (sec == INT64_MIN)
            return -1;
        sec--;
        nsec += 1000000000;
    }
    t->sec = sec;
    t->nsec = (int32_t)nsec;
    t->zero = 0;
    return 0;
}

static int zstd_chunked_rec_cmp(const void *a, const void *b)
{
    const zstd_chunked_rec *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int zstd_chunked_key_is(const zstd_chunked_rec *r, const char *key)
{
    return r->key_len == strlen(key) && memcmp(r->key, key, r->key_len) == 0;
}

#define ZC_XATTR_PREFIX "SCHILY.xattr."

/* Go's mergePAX over the pending 'x' records: per key the last record
 * counts, an empty value keeps the header's own. The records are sorted by
 * key here, so the xattrs come out in the order the TOC's map wants. */
static int zstd_chunked_merge_pax(zstd_chunked_meta *meta, zstd_chunked_entry *e, int *sparse)
{
    if (meta->n_recs == 0)
        return 0;
    qsort(meta->recs, meta->n_recs, sizeof(*meta->recs), zstd_chunked_rec_cmp);
    e->xattrs = calloc(meta->n_recs, sizeof(*e->xattrs));
    if (e->xattrs == NULL)
        return -2;
    for (size_t i = 0; i < meta->n_recs; i++) {
        const zstd_chunked_rec *r = &meta->recs[i];
        if (i + 1 < meta->n_recs && r->key_len == r[1].key_len && memcmp(r->key, r[1].key, r->key_len) == 0)
            continue; /* a later record of the same key wins */
        if (r->key_len > 11 && memcmp(r->key, "GNU.sparse.", 11) == 0)
            *sparse |= r->value_len > 0;
        if (r->value_len == 0)
            continue;
        int rc = 0;
        if (zstd_chunked_key_is(r, "path") || zstd_chunked_key_is(r, "linkpath")) {
            char *v = zstd_chunked_strndup(r->value, r->value_len);
            if (v == NULL)
                return -2;
            char **dst = r->key_len == 4 ? &e->name : &e->link;
            free(*dst);
            *dst = v;
        } else if (zstd_chunked_key_is(r, "uid")) {
            rc = zstd_chunked_parse_int(r->value, r->value_len, &e->uid);
        } else if (zstd_chunked_key_is(r, "gid")) {
            rc = zstd_chunked_parse_int(r->value, r->value_len, &e->gid);
        } else if (zstd_chunked_key_is(r, "size")) {
            rc = zstd_chunked_parse_int(r->value, r->value_len, &e->size);
        } else if (zstd_chunked_key_is(r, "mtime")) {
            rc = zstd_chunked_pax_time(r->value, r->value_len, &e->mtime);
        } else if (zstd_chunked_key_is(r, "atime")) {
            rc = zstd_chunked_pax_time(r->value, r->value_len, &e->atime);
        } else if (zstd_chunked_key_is(r, "ctime")) {
            rc = zstd_chunked_pax_time(r->value, r->value_len, &e->ctime);
        } else if (r->key_len >= strlen(ZC_XATTR_PREFIX) &&
                   memcmp(r->key, ZC_XATTR_PREFIX, strlen(ZC_XATTR_PREFIX)) == 0) {
            zstd_chunked_xattr *x = &e->xattrs[e->n_xattrs];
            size_t plen = strlen(ZC_XATTR_PREFIX);
            x->key = zstd_chunked_strndup(r->key + plen, r->key_len - plen);
            x->value = zstd_chunked_strndup(r->value, r->value_len);
            if (x->key == NULL || x->value == NULL) {
                free(x->key);
                free(x->value);
                return -2;
            }
            x->key_len = r->key_len - plen;
            x->value_len = r->value_len;
            e->n_xattrs++;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void zstd_chunked_type_name(char type, char *out, size_t cap)
{
    if (type > ' ' && type < 0x7f)
        snprintf(out, cap, "'%c'", type);
    else
        snprintf(out, cap, "0x%02x", (unsigned char)type);
}

/* Links, devices, directories and fifos carry no data whatever their size
 * field says (isHeaderOnlyType). */
static int zstd_chunked_header_only(char type)
{
    return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
}

/* The fields of the block itself, as readHeader unpacks them. */
static void zstd_chunked_unpack(zstd_chunked_parser *p, zstd_chunked_entry *e, int *oom)
{
    const unsigned char *blk = p->blk;
    zstd_chunked_format format = zstd_chunked_format_of(blk);
    e->type = (char)blk[ZC_TYPE_OFF];
    e->name = zstd_chunked_field(blk, ZC_NAME);
    e->link = zstd_chunked_field(blk, ZC_LINK);
    e->size = zstd_chunked_numeric(p, ZC_SIZE);
    e->mode = zstd_chunked_numeric(p, ZC_MODE);
    e->uid = zstd_chunked_numeric(p, ZC_UID);
    e->gid = zstd_chunked_numeric(p, ZC_GID);
    zstd_chunked_unix(&e->mtime, zstd_chunked_numeric(p, ZC_MTIME));
    e->atime.zero = e->ctime.zero = 1;
    if (e->name == NULL || e->link == NULL) {
        *oom = 1;
        return;
    }
    if (format == ZC_FORMAT_V7)
        return;
    e->devmajor = zstd_chunked_numeric(p, ZC_DEVMAJOR);
    e->devminor = zstd_chunked_numeric(p, ZC_DEVMINOR);
    char *prefix = NULL;
    if (format == ZC_FORMAT_USTAR) {
        prefix = zstd_chunked_field(blk, ZC_PREFIX);
    } else if (format == ZC_FORMAT_STAR) {
        prefix = zstd_chunked_field(blk, ZC_STAR_PREFIX);
        zstd_chunked_unix(&e->atime, zstd_chunked_numeric(p, ZC_STAR_ATIME));
        zstd_chunked_unix(&e->ctime, zstd_chunked_numeric(p, ZC_STAR_CTIME));
    } else {
        /* GNU atime and ctime, when set; fields that do not parse are the
         * USTAR prefix that Go writers before 1.8 put there by mistake. */
        zstd_chunked_parser p2 = {blk, 0};
        if (blk[345] != 0)
            zstd_chunked_unix(&e->atime, zstd_chunked_numeric(&p2, ZC_GNU_ATIME));
        if (blk[357] != 0)
            zstd_chunked_unix(&e->ctime, zstd_chunked_numeric(&p2, ZC_GNU_CTIME));
        if (p2.failed) {
            e->atime.zero = e->ctime.zero = 1;
            prefix = zstd_chunked_field(blk, ZC_PREFIX);
            for (size_t i = 0; prefix != NULL && prefix[i] != '\0'; i++)
                if ((unsigned char)prefix[i] >= 0x80)
                    prefix[0] = '\0';
        }
    }
    if (prefix != NULL && prefix[0] != '\0') {
        size_t pl = strlen(prefix), nl = strlen(e->name);
        char *full = malloc(pl + 1 + nl + 1);
        if (full == NULL) {
            *oom = 1;
        } else {
            memcpy(full, prefix, pl);
            full[pl] = '/';
            memcpy(full + pl + 1, e->name, nl + 1);
            free(e->name);
            e->name = full;
        }
    }
    free(prefix);
}

int zstd_chunked_parse_block(const unsigned char *blk, uint64_t at, zstd_chunked_meta *meta,
                             zstd_chunked_block_kind *kind, int64_t *payload, zstd_chunked_entry *e, char *err,
                             size_t errcap)
{
    unsigned long long o = (unsigned long long)at;
    size_t i = 0;
    while (i < ZSTD_CHUNKED_BLOCK && blk[i] == 0)
        i++;
    if (i == ZSTD_CHUNKED_BLOCK) {
        *kind = ZSTD_CHUNKED_BLOCK_ZERO;
        return 0;
    }
    if (!zstd_chunked_checksum_ok(blk)) {
        snprintf(err, errcap, "layer is not a tar stream: bad header checksum at offset %llu", o);
        return -1;
    }
    memset(e, 0, sizeof(*e));
    zstd_chunked_parser p = {blk, 0};
    int oom = 0;
    zstd_chunked_unpack(&p, e, &oom);
    if (oom)
        goto nomem;
    if (p.failed) {
        snprintf(err, errcap, "layer is not a tar stream: bad numeric field in the header at offset %llu", o);
        goto fail;
    }
    if (e->size < 0 && !zstd_chunked_header_only(e->type)) {
        snprintf(err, errcap, "layer is not a tar stream: negative size in the header at offset %llu", o);
        goto fail;
    }
    switch (e->type) {
    case 'x': *kind = ZSTD_CHUNKED_BLOCK_PAX; break;
    case 'g': *kind = ZSTD_CHUNKED_BLOCK_GLOBAL; break;
    case 'L': *kind = ZSTD_CHUNKED_BLOCK_LONGNAME; break;
    case 'K': *kind = ZSTD_CHUNKED_BLOCK_LONGLINK; break;
    default: *kind = ZSTD_CHUNKED_BLOCK_ENTRY; break;
    }
    if (*kind != ZSTD_CHUNKED_BLOCK_ENTRY) {
        *payload = e->size;
        zstd_chunked_entry_clear(e);
        return 0;
    }

    int sparse = 0, rc = zstd_chunked_merge_pax(meta, e, &sparse);
    if (rc == -2)
        goto nomem;
    if (rc != 0) {
        snprintf(err, errcap, "layer is not a tar stream: bad PAX value for the header at offset %llu", o);
        goto fail;
    }
    char **over[2] = {&meta->long_name, &meta->long_link};
    char **dst[2] = {&e->name, &e->link};
    for (int k = 0; k < 2; k++) {
        if (*over[k] != NULL) {
            free(*dst[k]);
            *dst[k] = *over[k];
            *over[k] = NULL;
        }
    }
    zstd_chunked_meta_clear(meta);
    if (e->type == '\0') /* TypeRegA: legacy archives mark directories by a trailing slash */
        e->type = e->name[0] != '\0' && e->name[strlen(e->name) - 1] == '/' ? '5' : '0';
    e->payload = zstd_chunked_header_only(e->type) ? 0 : e->size;
    if (e->payload < 0) {
        snprintf(err, errcap, "layer is not a tar stream: negative size for %s at offset %llu", e->name, o);
        goto fail;
    }
    if (sparse || e->type == 'S') {
        snprintf(err, errcap, "cannot make a zstd:chunked layer: %s is a GNU sparse file", e->name);
        goto fail;
    }
    if (e->type < '0' || e->type > '6') {
        char t[8];
        zstd_chunked_type_name(e->type, t, sizeof(t));
        snprintf(err, errcap, "cannot make a zstd:chunked layer: %s has the unsupported tar entry type %s", e->name,
                 t);
        goto fail;
    }
    return 0;
nomem:
    snprintf(err, errcap, "out of memory");
fail:
    zstd_chunked_entry_clear(e);
    return -1;
}

/* The PAX records are read as Go's parsePAXRecord loop does: "%d %s=%s\n",
 * the length counting the whole record; keys hold no NUL, and the values of
 * path, linkpath, uname and gname no NUL. */
int zstd_chunked_meta_take(zstd_chunked_meta *meta, zstd_chunked_block_kind kind, char *data, size_t len,
                           uint64_t at, char *err, size_t errcap)
{
    if (kind == ZSTD_CHUNKED_BLOCK_LONGNAME || kind == ZSTD_CHUNKED_BLOCK_LONGLINK) {
        char **dst = kind == ZSTD_CHUNKED_BLOCK_LONGNAME ? &meta->long_name : &meta->long_link;
        size_t n = zstd_chunked_cstr_len((const unsigned char *)data, len);
        free(*dst);
        *dst = n > 0 ? zstd_chunked_strndup(data, n) : NULL;
        free(data);
        if (n > 0 && *dst == NULL) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        return 0;
    }
    if (kind != ZSTD_CHUNKED_BLOCK_PAX) {
        free(data);
        return 0;
    }
    free(meta->pax_data);
    free(meta->recs);
    meta->pax_data = data;
    meta->recs = NULL;
    meta->n_recs = 0;
    /* Each record takes at least 5 bytes, which bounds the count. */
    meta->recs = malloc((len / 5 + 1) * sizeof(*meta->recs));
    if (meta->recs == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    const char *s = data;
    while (len > 0) {
        const char *sp = memchr(s, ' ', len);
        int64_t n;
        if (sp == NULL || zstd_chunked_parse_int(s, (size_t)(sp - s), &n) != 0 || n < 5 || (uint64_t)n > len ||
            (size_t)(sp - s) + 1 > (size_t)n - 1 || s[n - 1] != '\n')
            goto bad;
        const char *rec = sp + 1, *end = s + n - 1;
        const char *eq = memchr(rec, '=', (size_t)(end - rec));
        if (eq == NULL || eq == rec)
            goto bad;
        zstd_chunked_rec *r = &meta->recs[meta->n_recs];
        r->key = rec;
        r->key_len = (size_t)(eq - rec);
        r->value = eq + 1;
        r->value_len = (size_t)(end - eq - 1);
        r->seq = meta->n_recs;
        int strict = zstd_chunked_key_is(r, "path") || zstd_chunked_key_is(r, "linkpath") ||
                     zstd_chunked_key_is(r, "uname") || zstd_chunked_key_is(r, "gname");
        if (memchr(r->key, 0, r->key_len) != NULL || (strict && memchr(r->value, 0, r->value_len) != NULL))
            goto bad;
        meta->n_recs++;
        s += n;
        len -= (size_t)n;
    }
    return 0;
bad:
    snprintf(err, errcap, "layer is not a tar stream: bad PAX record in the header at offset %llu",
             (unsigned long long)at);
    return -1;
}

void zstd_chunked_meta_clear(zstd_chunked_meta *meta)
{
    free(meta->pax_data);
    free(meta->recs);
    free(meta->long_name);
    free(meta->long_link);
    memset(meta, 0, sizeof(*meta));
}

void zstd_chunked_entry_clear(zstd_chunked_entry *e)
{
    free(e->name);
    free(e->link);
    for (size_t i = 0; i < e->n_xattrs; i++) {
        free(e->xattrs[i].key);
        free(e->xattrs[i].value);
    }
    free(e->xattrs);
    memset(e, 0, sizeof(*e));
}

/* ---- TOC entries ---------------------------------------------------------- */

/* A JSON string as Go escapes it, except for <, > and &, which are left as
 * they are: podman 4.3.1 reads the TOC's strings without undoing escapes
 * (jsoniter's ReadStringAsSlice), so a name escaped as Go's marshaller
 * escapes it would be unpacked as "a\u003cb". Both forms are the same JSON. */
static char *zstd_chunked_quote(const char *s, size_t n)
{
    json_t *v = json_stringn_nocheck(s, n);
    char *q = v ? gojson_encode_ex(v, 0, 0) : NULL;
    json_decref(v);
    return q;
}

static void zstd_chunked_put_str(strbuf *sb, const char *key, const char *s, size_t n)
{
    char *q = zstd_chunked_quote(s, n);
    if (q == NULL) {
        sb->failed = 1;
        return;
    }
    strbuf_printf(sb, ",\"%s\":%s", key, q);
    free(q);
}

static void zstd_chunked_put_int(strbuf *sb, const char *key, int64_t v)
{
    if (v != 0) /* omitempty */
        strbuf_printf(sb, ",\"%s\":%lld", key, (long long)v);
}

/* time.Time.MarshalJSON. Go's reader makes times in the local zone, so
 * skopeo's TOC shows the machine's offset; the same instants are written
 * here in UTC, which keeps the layer the same wherever it is made. */
static int zstd_chunked_put_time(strbuf *sb, const char *key, const zstd_chunked_time *t)
{
    gotime g;
    if (t->zero) {
        gotime_zero(&g);
    } else {
        memset(&g, 0, sizeof(g));
        g.sec = t->sec;
        g.nsec = t->nsec;
        strcpy(g.zone, "UTC");
    }
    char *s = gotime_marshal(&g, NULL, 0);
    if (s == NULL)
        return -1;
    strbuf_printf(sb, ",\"%s\":\"%s\"", key, s);
    free(s);
    return 0;
}

static const char *zstd_chunked_toc_type(char type)
{
    switch (type) {
    case '1': return "hardlink";
    case '2': return "symlink";
    case '3': return "char";
    case '4': return "block";
    case '5': return "dir";
    case '6': return "fifo";
    default: return "reg";
    }
}

static void zstd_chunked_put_chunk(strbuf *sb, const zstd_chunked_chunk *c)
{
    zstd_chunked_put_int(sb, "chunkSize", c->size);
    zstd_chunked_put_int(sb, "chunkOffset", c->chunk_offset);
    strbuf_printf(sb, ",\"chunkDigest\":\"%s\"", c->digest);
    if (c->zeros)
        strbuf_puts(sb, ",\"chunkType\":\"zeros\"");
}

int zstd_chunked_toc_entry(strbuf *sb, int first, const zstd_chunked_entry *e, const char *digest,
                           const zstd_chunked_chunk *chunks, size_t n_chunks, char *err, size_t errcap)
{
    size_t name_len = strlen(e->name);
    strbuf_printf(sb, "%s{\"type\":\"%s\"", first ? "" : ",", zstd_chunked_toc_type(e->type));
    zstd_chunked_put_str(sb, "name", e->name, name_len);
    if (e->link[0] != '\0')
        zstd_chunked_put_str(sb, "linkName", e->link, strlen(e->link));
    zstd_chunked_put_int(sb, "mode", e->mode);
    zstd_chunked_put_int(sb, "size", e->size);
    zstd_chunked_put_int(sb, "uid", e->uid);
    zstd_chunked_put_int(sb, "gid", e->gid);
    if (zstd_chunked_put_time(sb, "modtime", &e->mtime) != 0 ||
        zstd_chunked_put_time(sb, "accesstime", &e->atime) != 0 ||
        zstd_chunked_put_time(sb, "changetime", &e->ctime) != 0) {
        snprintf(err, errcap, "cannot make a zstd:chunked layer: a time of %s is outside years 0 to 9999", e->name);
        return -1;
    }
    zstd_chunked_put_int(sb, "devMajor", e->devmajor);
    zstd_chunked_put_int(sb, "devMinor", e->devminor);
    if (e->n_xattrs > 0) {
        strbuf_puts(sb, ",\"xattrs\":{");
        for (size_t i = 0; i < e->n_xattrs; i++) {
            char *q = zstd_chunked_quote(e->xattrs[i].key, e->xattrs[i].key_len);
            if (q == NULL)
                goto nomem;
            strbuf_printf(sb, "%s%s:\"", i ? "," : "", q);
            free(q);
            base64_append(sb, (const unsigned char *)e->xattrs[i].value, e->xattrs[i].value_len);
            strbuf_puts(sb, "\"");
        }
        strbuf_puts(sb, "}");
    }
    if (digest != NULL)
        strbuf_printf(sb, ",\"digest\":\"%s\"", digest);
    if (n_chunks > 0) {
        zstd_chunked_put_int(sb, "offset", (int64_t)chunks[0].offset);
        zstd_chunked_put_int(sb, "endOffset", (int64_t)chunks[n_chunks - 1].end);
    }
    /* A file split in several chunks: the entry describes the first, and
     * one "chunk" entry of the same name each of the others. */
    if (n_chunks > 1)
        zstd_chunked_put_chunk(sb, &chunks[0]);
    strbuf_puts(sb, "}");
    for (size_t i = 1; n_chunks > 1 && i < n_chunks; i++) {
        strbuf_puts(sb, ",{\"type\":\"chunk\"");
        zstd_chunked_put_str(sb, "name", e->name, name_len);
        zstd_chunked_put_int(sb, "offset", (int64_t)chunks[i].offset);
        zstd_chunked_put_chunk(sb, &chunks[i]);
        strbuf_puts(sb, "}");
    }
    if (!sb->failed)
        return 0;
nomem:
    snprintf(err, errcap, "out of memory");
    return -1;
}
