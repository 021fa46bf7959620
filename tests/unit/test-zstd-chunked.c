/* tests/unit/test-zstd-chunked.c — the zstd:chunked compressor
 * (core/copy/zstd_chunked.c): a tar built here (ustar, GNU long name, PAX
 * path, times and xattrs, base-256 uid, prefix field, devices, links, a
 * legacy directory, a global header, files empty, small and over 1 MiB with
 * a hole) comes out the same whatever the input split; the blob decompresses
 * to the tar; the footer and annotations point at the TOC; every TOC entry's
 * frames decompress to its file or chunk with the digest it names; and bad
 * or cut input fails in one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zstd.h>

#include "bytes.h"
#include "copy/zstd_chunked.h"
#include "image/digest.h"
#include "tap.h"

#define BIG_SIZE (1536 * 1024 + 77)
#define HOLE_AT 700500
#define HOLE_LEN 5000

static void put_octal(unsigned char *f, size_t n, unsigned long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%0*llo", (int)(n - 1), v);
    memcpy(f, tmp, n - 1);
    f[n - 1] = 0;
}

typedef struct hdr_opts {
    const char *link, *prefix;
    unsigned mode;
    long long mtime;
    unsigned long long b256_uid; /* uid in base-256 when nonzero */
    unsigned devmajor, devminor;
} hdr_opts;

static void tar_hdr(bytes *t, const char *name, char type, unsigned long long size, const hdr_opts *o)
{
    unsigned char h[512] = {0};
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    put_octal(h + 100, 8, o && o->mode ? o->mode : 0644);
    put_octal(h + 108, 8, 1000);
    put_octal(h + 116, 8, 1000);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, o && o->mtime ? (unsigned long long)o->mtime : 1672628645ULL);
    h[156] = (unsigned char)type;
    if (o && o->link)
        memcpy(h + 157, o->link, strlen(o->link));
    memcpy(h + 257, "ustar\0" "00", 8);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    put_octal(h + 329, 8, o ? o->devmajor : 0);
    put_octal(h + 337, 8, o ? o->devminor : 0);
    if (o && o->prefix)
        memcpy(h + 345, o->prefix, strlen(o->prefix));
    if (o && o->b256_uid) {
        memset(h + 108, 0, 8);
        h[108] = 0x80;
        for (int i = 0; i < 7; i++)
            h[115 - i] = (unsigned char)(o->b256_uid >> (8 * i));
    }
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    bytes_add(t, h, 512);
}

static void tar_data(bytes *t, const void *d, size_t n)
{
    static const uint8_t zero[512];
    bytes_add(t, d, n);
    if (n % 512)
        bytes_add(t, zero, 512 - n % 512);
}

/* One PAX record "%d %s=%s\n" (value of vlen bytes). */
static void pax_rec(bytes *p, const char *k, const char *v, size_t vlen)
{
    size_t base = strlen(k) + vlen + 3, len = base + 1;
    while (snprintf(NULL, 0, "%zu", len) + base != len)
        len = base + (size_t)snprintf(NULL, 0, "%zu", len);
    char head[64];
    snprintf(head, sizeof(head), "%zu %s=", len, k);
    bytes_add(p, (const uint8_t *)head, strlen(head));
    bytes_add(p, (const uint8_t *)v, vlen);
    bytes_add(p, (const uint8_t *)"\n", 1);
}

static void make_content(bytes *b, size_t len, uint64_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        uint8_t c = (uint8_t)seed ? (uint8_t)seed : 1;
        if (i >= HOLE_AT && i < HOLE_AT + HOLE_LEN)
            c = 0; /* a hole: a chunk of type "zeros" */
        else if (i % 1000 < 3)
            c = 0; /* short zero runs stay data */
        bytes_add(b, &c, 1);
    }
}

/* The test archive; big is the large file's content (for the checks). */
static void make_tar(bytes *t, const bytes *big)
{
    hdr_opts dir = {.mode = 0755}, lnk = {.link = "small", .mode = 0777}, hard = {.link = "dir/small"};
    bytes g = {0}, pax = {0};
    pax_rec(&g, "comment", "global", 6);
    tar_hdr(t, "pax_global_header", 'g', g.len, NULL);
    tar_data(t, g.data, g.len);
    tar_hdr(t, "dir/", '5', 0, &dir);
    tar_hdr(t, "dir/empty", '0', 0, NULL);
    tar_hdr(t, "dir/small", '0', 12, NULL);
    tar_data(t, "hello world\n", 12);
    tar_hdr(t, "dir/big", '0', big->len, NULL);
    tar_data(t, big->data, big->len);
    tar_hdr(t, "dir/link", '2', 0, &lnk);
    tar_hdr(t, "dir/hard", '1', 0, &hard);

    char longname[200] = "dir/";
    memset(longname + 4, 'a', 150);
    tar_hdr(t, "././@LongLink", 'L', strlen(longname) + 1, NULL);
    tar_data(t, longname, strlen(longname) + 1);
    tar_hdr(t, longname, '0', 3, NULL); /* the header keeps the first 100 bytes */
    tar_data(t, "abc", 3);

    char paxname[200] = "dir/pax-";
    memset(paxname + 8, 'b', 120);
    pax_rec(&pax, "path", paxname, strlen(paxname));
    pax_rec(&pax, "mtime", "1672628645.5", 12);
    pax_rec(&pax, "SCHILY.xattr.user.test", "value", 5);
    pax_rec(&pax, "SCHILY.xattr.security.capability", "\x01\x00\x00\x02", 4);
    pax_rec(&pax, "SCHILY.xattr.user.empty", "", 0);
    tar_hdr(t, "PaxHeaders/pax", 'x', pax.len, NULL);
    tar_data(t, pax.data, pax.len);
    tar_hdr(t, "dir/pax-bbbb", '0', 4, NULL);
    tar_data(t, "pax\n", 4);

    hdr_opts pre = {.prefix = "prefix/part"}, dev = {.devmajor = 1, .devminor = 3, .mode = 0666};
    hdr_opts old = {.mode = 0700}, uid = {.b256_uid = 3000000000ULL};
    tar_hdr(t, "name.txt", '0', 2, &pre);
    tar_data(t, "p\n", 2);
    tar_hdr(t, "dev/null", '3', 0, &dev);
    tar_hdr(t, "olddir/", '\0', 0, &old);
    uint8_t hs[2001] = {0};
    hs[2000] = 'x';
    tar_hdr(t, "dir/holestart", '0', sizeof(hs), NULL);
    tar_data(t, hs, sizeof(hs));
    tar_hdr(t, "dir/uid", '0', 1, &uid);
    tar_data(t, "u", 1);
    tar_hdr(t, "dir/a<&>\"\\", '0', 0, NULL);
    static const uint8_t end[1024];
    bytes_add(t, end, sizeof(end));
    free(g.data);
    free(pax.data);
}

/* Compresses in with in_chunk-byte inputs and out_chunk-byte windows. */
static int chunked_all(const bytes *in, size_t in_chunk, size_t out_chunk, int level, bytes *out, json_t **ann,
                       char *err, size_t errcap)
{
    zstd_chunked *zc = zstd_chunked_new(level);
    uint8_t *window = malloc(out_chunk);
    if (zc == NULL || window == NULL)
        abort();
    int rc = 0, done = 0, early = zstd_chunked_annotations(zc) != NULL;
    size_t pos = 0;
    while (!done && rc == 0) {
        size_t n = in->len - pos < in_chunk ? in->len - pos : in_chunk;
        int finish = pos + n == in->len;
        size_t used = 0, made = 0;
        rc = zstd_chunked_run(zc, in->data ? in->data + pos : (const uint8_t *)"", n, &used, window, out_chunk,
                              &made, finish, &done, err, errcap);
        pos += used;
        bytes_add(out, window, made);
        if (rc == 0 && !done && used == 0 && made == 0 && finish) {
            snprintf(err, errcap, "stalled at the end of input");
            rc = -1;
        }
    }
    if (ann != NULL)
        *ann = rc == 0 && !early ? zstd_chunked_annotations(zc) : NULL;
    free(window);
    zstd_chunked_free(zc);
    return rc;
}

static int same(const bytes *a, const bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Decompresses blob[off, end) (whole frames) into out; -1 when it does not. */
static long long unzstd_range(const bytes *blob, uint64_t off, uint64_t end, uint8_t *out, size_t cap)
{
    if (off >= end || end > blob->len)
        return -1;
    size_t n = ZSTD_decompress(out, cap, blob->data + off, end - off);
    return ZSTD_isError(n) ? -1 : (long long)n;
}

static const char *str_of(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Where each file's data is, for the payload checks. */
typedef struct file_data {
    const char *name;
    const uint8_t *data;
    size_t len;
} file_data;

/* Every chunk of every file decompresses from its frames to the bytes at
 * its chunkOffset, with its chunkDigest; every file's offset..endOffset to
 * its content, with its digest. Counts chunks and zero chunks of `multi`. */
static int check_payloads(const bytes *blob, json_t *entries, const file_data *files, size_t n_files,
                          const char *multi, int *n_multi, int *n_zeros)
{
    uint8_t *buf = malloc(BIG_SIZE + 1);
    int ok = 1;
    json_int_t owner_end = 0;
    *n_multi = *n_zeros = 0;
    for (size_t i = 0; i < json_array_size(entries); i++) {
        json_t *e = json_array_get(entries, i);
        const char *name = str_of(e, "name");
        const file_data *f = NULL;
        for (size_t k = 0; k < n_files; k++)
            if (strcmp(files[k].name, name) == 0)
                f = &files[k];
        int is_chunk = strcmp(str_of(e, "type"), "chunk") == 0;
        json_int_t off = json_integer_value(json_object_get(e, "offset"));
        if (!is_chunk && strcmp(str_of(e, "type"), "reg") == 0 && f != NULL && f->len > 0) {
            char want[DIGEST_MAX_LEN];
            digest_sha256(f->data, f->len, want, sizeof(want));
            json_int_t end = json_integer_value(json_object_get(e, "endOffset"));
            long long n = unzstd_range(blob, (uint64_t)off, (uint64_t)end, buf, BIG_SIZE + 1);
            if (n != (long long)f->len || memcmp(buf, f->data, f->len) != 0 || strcmp(str_of(e, "digest"), want)) {
                tap_diag("file %s: %lld bytes from %lld..%lld, digest %s", name, n, (long long)off, (long long)end,
                         str_of(e, "digest"));
                ok = 0;
            }
        }
        if (!is_chunk)
            owner_end = json_integer_value(json_object_get(e, "endOffset"));
        if (json_object_get(e, "chunkSize") == NULL)
            continue;
        /* A chunk's frame ends where the next chunk's starts, the last at the file's endOffset. */
        json_t *next = json_array_get(entries, i + 1);
        json_int_t end = next && strcmp(str_of(next, "type"), "chunk") == 0
                             ? json_integer_value(json_object_get(next, "offset"))
                             : owner_end;
        json_int_t coff = json_integer_value(json_object_get(e, "chunkOffset"));
        json_int_t csize = json_integer_value(json_object_get(e, "chunkSize"));
        long long n = unzstd_range(blob, (uint64_t)off, (uint64_t)end, buf, BIG_SIZE + 1);
        char want[DIGEST_MAX_LEN] = "";
        if (f != NULL && coff >= 0 && (size_t)(coff + csize) <= f->len)
            digest_sha256(f->data + coff, (size_t)csize, want, sizeof(want));
        if (f == NULL || n != csize || memcmp(buf, f->data + coff, (size_t)csize) != 0 ||
            strcmp(str_of(e, "chunkDigest"), want) != 0) {
            tap_diag("chunk of %s at %lld: %lld bytes from %lld..%lld", name, (long long)coff, n, (long long)off,
                     (long long)end);
            ok = 0;
        }
        if (strcmp(name, multi) == 0) {
            (*n_multi)++;
            if (strcmp(str_of(e, "chunkType"), "zeros") == 0)
                *n_zeros += coff == HOLE_AT && csize == HOLE_LEN;
        }
    }
    free(buf);
    return ok;
}

static void expect_refused(const bytes *in, const char *want, const char *name)
{
    bytes out = {0};
    char err[256] = "";
    int rc = chunked_all(in, 4096, 65536, 3, &out, NULL, err, sizeof(err));
    int ok = rc == -1 && strstr(err, want) != NULL && strchr(err, '\n') == NULL;
    tap_ok(ok, "%s", name);
    if (!ok)
        tap_diag("rc %d, message \"%s\", wanted \"%s\"", rc, err, want);
    free(out.data);
}

int main(void)
{
    tap_plan(35);
    bytes big = {0}, tar = {0};
    make_content(&big, BIG_SIZE, 0x9e3779b97f4a7c15ULL);
    make_tar(&tar, &big);

    static const size_t in_chunks[] = {1, 7, 4093, 65536}, out_chunks[] = {100000, 13, 65536, 4096};
    bytes blobs[4] = {{0}};
    json_t *ann = NULL;
    for (size_t i = 0; i < 4; i++) {
        char err[256] = "";
        int rc = chunked_all(&tar, in_chunks[i], out_chunks[i], 3, &blobs[i], i == 3 ? &ann : NULL, err,
                             sizeof(err));
        tap_ok(rc == 0, "tar in %zu-byte parts, blob in %zu-byte windows", in_chunks[i], out_chunks[i]);
        if (rc != 0)
            tap_diag("%s", err);
    }
    tap_ok(same(&blobs[0], &blobs[1]) && same(&blobs[0], &blobs[2]) && same(&blobs[0], &blobs[3]),
           "the blob is the same whatever the split");
    const bytes *blob = &blobs[3];

    uint8_t *plain = malloc(tar.len + 1);
    size_t n = ZSTD_decompress(plain, tar.len + 1, blob->data, blob->len);
    tap_ok(!ZSTD_isError(n) && n == tar.len && memcmp(plain, tar.data, tar.len) == 0,
           "the blob decompresses to the tar exactly");
    free(plain);

    /* The footer: a 40-byte skippable frame at the very end. */
    const uint8_t *f = blob->data + blob->len - 48;
    uint64_t toc_off = le64(f + 8), toc_len = le64(f + 16), toc_ulen = le64(f + 24);
    tap_ok(memcmp(f, "\x50\x2a\x4d\x18\x28\x00\x00\x00", 8) == 0 && le64(f + 32) == 1 &&
               memcmp(f + 40, "GnUlInUx", 8) == 0,
           "the footer frame: size 40, type 1, magic GnUlInUx");
    const uint8_t *th = blob->data + toc_off - 8;
    int toc_ok = toc_off + toc_len + 48 == blob->len && memcmp(th, "\x50\x2a\x4d\x18", 4) == 0 &&
                 (th[4] | th[5] << 8 | th[6] << 16 | (uint64_t)th[7] << 24) == toc_len;
    tap_ok(toc_ok, "the footer points at the TOC's skippable frame, right before it");
    if (!toc_ok)
        toc_off = toc_len = 0;

    char sum[DIGEST_MAX_LEN], pos[96];
    digest_sha256(blob->data + toc_off, toc_len, sum, sizeof(sum));
    snprintf(pos, sizeof(pos), "%llu:%llu:%llu:1", (unsigned long long)toc_off, (unsigned long long)toc_len,
             (unsigned long long)toc_ulen);
    tap_is_str(json_string_value(json_object_get(ann, ZSTD_CHUNKED_MANIFEST_CHECKSUM_KEY)), sum,
               "manifest-checksum is the digest of the compressed TOC");
    tap_is_str(json_string_value(json_object_get(ann, ZSTD_CHUNKED_MANIFEST_POSITION_KEY)), pos,
               "manifest-position is offset:length:lengthUncompressed:1");
    tap_ok(json_object_size(ann) == 2, "two annotations, no tar-split one in this version");

    char *toc = malloc(toc_ulen + 1);
    size_t tn = ZSTD_decompress(toc, toc_ulen + 1, blob->data + toc_off, toc_len);
    tap_ok(!ZSTD_isError(tn) && tn == toc_ulen, "the TOC is one zstd frame of the length the footer says");
    if (ZSTD_isError(tn) || tn > toc_ulen)
        tn = 0;
    toc[tn] = '\0';
    json_t *root = json_loadb(toc, tn, 0, NULL);
    json_t *entries = json_object_get(root, "entries");
    tap_ok(json_integer_value(json_object_get(root, "version")) == 1 && json_is_array(entries), "TOC version 1");

    static const char *const want_entries[] = {
        "dir:dir/", "reg:dir/empty", "reg:dir/small", "reg:dir/big", "symlink:dir/link", "hardlink:dir/hard",
        "reg:LONG", "reg:PAX", "reg:prefix/part/name.txt", "char:dev/null", "dir:olddir/", "reg:dir/holestart",
        "reg:dir/uid", "reg:dir/a<&>\"\\"};
    char longname[200] = "dir/", paxname[200] = "dir/pax-";
    memset(longname + 4, 'a', 150);
    memset(paxname + 8, 'b', 120);
    size_t k = 0;
    int names_ok = 1;
    json_t *by_name[16] = {0};
    for (size_t i = 0; i < json_array_size(entries); i++) {
        json_t *e = json_array_get(entries, i);
        if (strcmp(str_of(e, "type"), "chunk") == 0)
            continue;
        char got[300];
        snprintf(got, sizeof(got), "%s:%s", str_of(e, "type"), str_of(e, "name"));
        const char *w = k < 14 ? want_entries[k] : "";
        char want[300];
        snprintf(want, sizeof(want), "%s", w);
        if (strcmp(w, "reg:LONG") == 0)
            snprintf(want, sizeof(want), "reg:%s", longname);
        if (strcmp(w, "reg:PAX") == 0)
            snprintf(want, sizeof(want), "reg:%s", paxname);
        if (strcmp(got, want) != 0) {
            tap_diag("entry %zu: %s, wanted %s", k, got, want);
            names_ok = 0;
        }
        if (k < 16)
            by_name[k] = e;
        k++;
    }
    tap_ok(names_ok && k == 14, "one TOC entry per tar entry, in order, with their names (GNU, PAX, prefix)");

    file_data files[] = {{"dir/small", (const uint8_t *)"hello world\n", 12},
                         {"dir/big", big.data, big.len},
                         {longname, (const uint8_t *)"abc", 3},
                         {paxname, (const uint8_t *)"pax\n", 4},
                         {"prefix/part/name.txt", (const uint8_t *)"p\n", 2},
                         {"dir/holestart", NULL, 2001},
                         {"dir/uid", (const uint8_t *)"u", 1}};
    uint8_t hs[2001] = {0};
    hs[2000] = 'x';
    files[5].data = hs;
    int n_multi = 0, n_zeros = 0;
    tap_ok(check_payloads(blob, entries, files, 7, "dir/big", &n_multi, &n_zeros),
           "each file's offset..endOffset and each chunk's frames decompress to their bytes and digests");
    tap_ok(n_multi > 4, "the large file is split in chunks by the rolling checksum (%d)", n_multi);
    tap_ok(n_zeros == 1, "its run of %d zeros is a chunk of type zeros", HOLE_LEN);

    json_t *small = by_name[2], *hole = by_name[11];
    char *enc = json_dumps(small, JSON_COMPACT | JSON_PRESERVE_ORDER);
    const char *want_small = "{\"type\":\"reg\",\"name\":\"dir/small\",\"mode\":420,\"size\":12,"
                             "\"uid\":1000,\"gid\":1000,"
                             "\"modtime\":\"2023-01-02T03:04:05Z\",\"accesstime\":\"0001-01-01T00:00:00Z\","
                             "\"changetime\":\"0001-01-01T00:00:00Z\",\"digest\":\"sha256:"
                             "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447\",\"offset\":";
    tap_ok(enc != NULL && strncmp(enc, want_small, strlen(want_small)) == 0,
           "a file's entry has FileMetadata's fields in its order, times in RFC 3339");
    if (enc == NULL || strncmp(enc, want_small, strlen(want_small)) != 0)
        tap_diag("got %s", enc ? enc : "(null)");
    free(enc);
    /* The TOC's own bytes: Go omits empty fields and escapes as Go does. */
    tap_ok(strstr(toc, "{\"type\":\"dir\",\"name\":\"dir/\",\"mode\":493,\"uid\":1000,\"gid\":1000,\"modtime\":") ==
               toc + strlen("{\"version\":1,\"entries\":["),
           "the TOC starts as Go marshals it: no size, digest or offsets for a directory");
    tap_ok(json_object_get(by_name[1], "digest") == NULL && json_object_get(by_name[1], "offset") == NULL,
           "an empty file has no digest and no offsets");
    tap_is_str(str_of(by_name[4], "linkName"), "small", "a symlink's linkName");
    tap_is_str(str_of(by_name[5], "linkName"), "dir/small", "a hard link's linkName");
    json_t *x = json_object_get(by_name[7], "xattrs");
    char *xenc = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER);
    tap_is_str(xenc, "{\"security.capability\":\"AQAAAg==\",\"user.test\":\"dmFsdWU=\"}",
               "PAX xattrs: sorted, base64'd, the empty one dropped");
    free(xenc);
    tap_is_str(str_of(by_name[7], "modtime"), "2023-01-02T03:04:05.5Z", "a PAX mtime keeps its fraction");
    tap_ok(json_integer_value(json_object_get(by_name[9], "devMajor")) == 1 &&
               json_integer_value(json_object_get(by_name[9], "devMinor")) == 3,
           "a device's major and minor numbers");
    tap_ok(json_integer_value(json_object_get(by_name[12], "uid")) == 3000000000LL, "a base-256 uid");
    tap_ok(json_object_get(hole, "chunkSize") != NULL && strcmp(str_of(hole, "chunkType"), "zeros") == 0 &&
               json_integer_value(json_object_get(hole, "chunkSize")) == 2000,
           "a file starting with a hole: its first chunk is the zeros");
    tap_ok(strstr(toc, "\"name\":\"dir/a<&>\\\"\\\\\"") != NULL,
           "names are escaped as Go escapes them, but for <, > and & (podman 4.3.1 does not unescape)");
    json_decref(root);
    free(toc);

    {
        bytes empty = {0}, out = {0}, back = {0};
        char err[256] = "";
        json_t *a = NULL;
        int rc = chunked_all(&empty, 1, 4096, 3, &out, &a, err, sizeof(err));
        uint64_t ulen = rc == 0 && out.len >= 48 ? le64(out.data + out.len - 24) : 0;
        char *t = malloc(ulen + 1);
        size_t tl = rc == 0 ? ZSTD_decompress(t, ulen + 1, out.data + le64(out.data + out.len - 40),
                                              le64(out.data + out.len - 32))
                            : 0;
        tap_ok(rc == 0 && a != NULL && !ZSTD_isError(tl) && tl == ulen &&
                   memcmp(t, "{\"version\":1,\"entries\":null}", tl) == 0,
               "an empty stream makes a TOC with no entries");
        free(t);
        json_decref(a);
        free(out.data);
        out = (bytes){0};
        /* GNU tar pads archives to 10 KiB records: those bytes stay. */
        bytes padded = {0};
        static const uint8_t zero[10240];
        bytes_add(&padded, tar.data, tar.len);
        bytes_add(&padded, zero, 10240 - tar.len % 10240);
        rc = chunked_all(&padded, 65536, 65536, 3, &out, NULL, err, sizeof(err));
        uint8_t *p = malloc(padded.len + 1);
        size_t pn = rc == 0 ? ZSTD_decompress(p, padded.len + 1, out.data, out.len) : 0;
        tap_ok(rc == 0 && pn == padded.len && memcmp(p, padded.data, pn) == 0,
               "padding after the end-of-archive blocks is kept");
        free(p);
        free(padded.data);
        free(out.data);
        out = (bytes){0};
        rc = chunked_all(&tar, 65536, 65536, 19, &out, NULL, err, sizeof(err));
        p = malloc(tar.len + 1);
        pn = rc == 0 ? ZSTD_decompress(p, tar.len + 1, out.data, out.len) : 0;
        tap_ok(rc == 0 && pn == tar.len && !same(&out, blob), "level 19 is honoured: another blob, the same tar");
        free(p);
        free(out.data);
        free(back.data);
    }

    bytes notar = {0}, cut = {0}, cuthdr = {0}, sparse = {0};
    for (int i = 0; i < 2048; i++)
        bytes_add(&notar, (const uint8_t *)"this is not a tar ", 18);
    expect_refused(&notar, "layer is not a tar stream: bad header checksum at offset 0", "text is not a tar stream");
    bytes_add(&cut, tar.data, 5000);
    expect_refused(&cut, "tar stream is truncated: dir/big ends", "a tar cut in a file's data");
    bytes_add(&cuthdr, tar.data, 1024 + 300);
    expect_refused(&cuthdr, "tar stream is truncated: the header at offset 1024", "a tar cut in a header");
    tar_hdr(&sparse, "s1", 'S', 0, NULL);
    expect_refused(&sparse, "s1 is a GNU sparse file", "a GNU sparse file is refused");

    free(notar.data);
    free(cut.data);
    free(cuthdr.data);
    free(sparse.data);
    json_decref(ann);
    for (size_t i = 0; i < 4; i++)
        free(blobs[i].data);
    free(big.data);
    free(tar.data);
    return tap_done();
}
