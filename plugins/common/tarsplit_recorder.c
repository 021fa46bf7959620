/* plugins/common/tarsplit_recorder.c — a layer tar stream read with
 * libarchive while its tar-split is written, as containers/storage's
 * layers.go records it through tar-split's TeeReader.
 *
 * Every byte libarchive pulls passes through the read callback, which hashes
 * and counts it and keeps the bytes since the end of the last entry's data,
 * so that the raw header blocks (PAX and GNU extensions included) become
 * tar-split segments exactly as they were in the stream. Names, link targets
 * and types are read from those raw blocks as Go's archive/tar reads them
 * (no locale conversion); the caller unpacks each entry itself, reading its
 * data through the recorder so that the file entry's CRC-64 comes for free. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "shared/strbuf.h"
#include "tarsplit.h"

#define TARSPLIT_RECORDER_CHUNK (128 * 1024)

enum { TARSPLIT_REC_START, TARSPLIT_REC_BETWEEN, TARSPLIT_REC_ENTRY, TARSPLIT_REC_END };

struct tarsplit_recorder {
    const ferry_services *svc;
    ferry_ctx *ctx;
    ferry_reader *tar;
    char *label;
    int eos, status, state;
    ferry_hasher *hasher; /* NULL when the reader reports the digest */
    struct archive *a;
    int64_t frontier; /* stream bytes pulled so far */
    unsigned char chunk[TARSPLIT_RECORDER_CHUNK];
    strbuf raw; /* stream bytes [raw_off, frontier) once past keep */
    int64_t raw_off, keep;
    tarsplit_writer *ts;
    tarsplit_hdr hdr;      /* the current entry's */
    tarsplit_entry cur;
    uint64_t crc;          /* of its data read so far */
    int64_t data_done;
    int data_eof;
};

int tarsplit_recorder_fail(tarsplit_recorder *rec, int status, const char *entry, const char *what, int err)
{
    if (rec->status != FERRY_OK && entry == NULL)
        return rec->status; /* the stream's own error, already reported */
    return rec->svc->set_error(rec->ctx, status, "%s: %s%s%s%s%s", rec->label, entry ? entry : "",
                               entry ? ": " : "", what, err ? ": " : "", err ? strerror(err) : "");
}

static int tarsplit_recorder_errno(tarsplit_recorder *rec, const char *entry, const char *what, int err)
{
    return tarsplit_recorder_fail(rec, err == ENOMEM ? FERRY_ERR_NO_MEMORY : FERRY_ERR_IO, entry, what, err);
}

/* ---- the stream ---------------------------------------------------------- */

/* Drops kept bytes before stream offset k (monotonic). */
static void tarsplit_recorder_keep_from(tarsplit_recorder *rec, int64_t k)
{
    if (k <= rec->keep)
        return;
    rec->keep = k;
    if (k > rec->raw_off) {
        size_t drop = (size_t)(k - rec->raw_off) < rec->raw.len ? (size_t)(k - rec->raw_off) : rec->raw.len;
        if (drop > 0)
            memmove(rec->raw.data, rec->raw.data + drop, rec->raw.len - drop);
        rec->raw.len -= drop;
        rec->raw_off = rec->raw.len ? rec->raw_off + (int64_t)drop : k;
    }
}

/* Pulls the next chunk from the reader into rec->chunk: hashed, counted, kept. */
static int tarsplit_recorder_pull(tarsplit_recorder *rec, size_t *got)
{
    size_t n = 0;
    *got = 0;
    while (n == 0 && !rec->eos) {
        int rc = ferry_reader_read(rec->tar, rec->ctx, rec->chunk, sizeof(rec->chunk), &n, &rec->eos);
        if (rc != FERRY_OK)
            return rec->status = rc;
    }
    if (rec->hasher != NULL)
        rec->svc->hasher_update(rec->hasher, rec->chunk, n);
    size_t skip = rec->keep > rec->frontier ? (size_t)(rec->keep - rec->frontier) : 0;
    if (skip < n) {
        if (rec->raw.len == 0)
            rec->raw_off = rec->frontier + (int64_t)skip;
        if (strbuf_append(&rec->raw, rec->chunk + skip, n - skip) != 0 || rec->raw.failed)
            return rec->status = tarsplit_recorder_errno(rec, NULL, "keeping tar headers", ENOMEM);
    }
    rec->frontier += (int64_t)n;
    *got = n;
    return FERRY_OK;
}

static la_ssize_t tarsplit_recorder_read_cb(struct archive *a, void *ud, const void **buf)
{
    tarsplit_recorder *rec = ud;
    size_t n = 0;
    if (tarsplit_recorder_pull(rec, &n) != FERRY_OK) {
        archive_set_error(a, EIO, "reading the layer stream failed");
        return -1;
    }
    *buf = rec->chunk;
    return (la_ssize_t)n;
}

/* Writes the kept bytes [rec->keep, end) as one segment. */
static int tarsplit_recorder_segment_to(tarsplit_recorder *rec, int64_t end)
{
    if (end < rec->keep ||
        (end > rec->keep && (rec->raw_off != rec->keep || end - rec->raw_off > (int64_t)rec->raw.len)))
        return tarsplit_recorder_fail(rec, FERRY_ERR_FAILED, NULL, "lost track of the tar header bytes", 0);
    if (tarsplit_write_segment(rec->ts, rec->raw.data, (size_t)(end - rec->keep)) != 0)
        return tarsplit_recorder_errno(rec, NULL, "writing the tar-split", errno);
    return FERRY_OK;
}

/* After the end-of-archive marker: the marker segment, then everything that
 * follows in 1 MiB segments and an empty one, as tar-split does. */
static int tarsplit_recorder_finish_stream(tarsplit_recorder *rec, int64_t end)
{
    int rc = tarsplit_recorder_segment_to(rec, end);
    if (rc != FERRY_OK)
        return rc;
    tarsplit_recorder_keep_from(rec, end);
    for (;;) {
        while (rec->raw.len >= TARSPLIT_PAD_CHUNK || (rec->eos && rec->raw.len > 0)) {
            size_t n = rec->raw.len < TARSPLIT_PAD_CHUNK ? rec->raw.len : TARSPLIT_PAD_CHUNK;
            if ((rc = tarsplit_recorder_segment_to(rec, rec->keep + (int64_t)n)) != FERRY_OK)
                return rc;
            tarsplit_recorder_keep_from(rec, rec->keep + (int64_t)n);
        }
        if (rec->eos) {
            rc = tarsplit_recorder_segment_to(rec, rec->keep);
            rec->state = rc == FERRY_OK ? TARSPLIT_REC_END : rec->state;
            return rc;
        }
        size_t got;
        if ((rc = tarsplit_recorder_pull(rec, &got)) != FERRY_OK)
            return rc;
    }
}

/* ---- entries ------------------------------------------------------------------- */

int tarsplit_recorder_new(const ferry_services *svc, ferry_ctx *ctx, ferry_reader *tar, int tarsplit_fd,
                          const char *label, tarsplit_recorder **out)
{
    *out = NULL;
    tarsplit_recorder *rec = calloc(1, sizeof(*rec));
    if (rec == NULL || (rec->label = strdup(label)) == NULL) {
        free(rec);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: starting: %s", label, strerror(ENOMEM));
    }
    rec->svc = svc;
    rec->ctx = ctx;
    rec->tar = tar;
    rec->raw = (strbuf)STRBUF_INIT;
    /* A reader that reports its digest (the core's always do) already hashes
     * every byte: a second SHA-256 pass over the layer would only cost time. */
    int has_digest = FERRY_HAS_MEMBER(tar->ops, ferry_reader_ops, digest) && tar->ops->digest != NULL;
    if ((!has_digest && (rec->hasher = svc->hasher_new("sha256")) == NULL) ||
        (rec->ts = tarsplit_writer_new(tarsplit_fd)) == NULL) {
        int rc = tarsplit_recorder_errno(rec, NULL, "starting", ENOMEM);
        tarsplit_recorder_free(rec);
        return rc;
    }
    *out = rec;
    return FERRY_OK;
}

/* The header part of the entry libarchive just read: its raw blocks written
 * as a segment and parsed as Go does; its data is what follows. */
static int tarsplit_recorder_header(tarsplit_recorder *rec, struct archive_entry *e)
{
    int64_t hdr_end = archive_filter_bytes(rec->a, 0);
    if (hdr_end < rec->keep + 512)
        return tarsplit_recorder_fail(rec, FERRY_ERR_INVALID, NULL, "tar header shorter than a block", 0);
    int rc = tarsplit_recorder_segment_to(rec, hdr_end);
    if (rc != FERRY_OK)
        return rc;
    tarsplit_hdr *h = &rec->hdr;
    size_t first = (size_t)((512 - rec->keep % 512) % 512); /* headers start on 512-byte boundaries */
    if (tarsplit_parse_hdrs((const unsigned char *)rec->raw.data, (size_t)(hdr_end - rec->keep), first, h) != 0)
        return tarsplit_recorder_fail(rec, FERRY_ERR_INVALID,
                                      archive_entry_pathname(e) ? archive_entry_pathname(e) : "(unnamed)",
                                      "tar headers not understood", 0);
    rec->cur.entry = e;
    rec->cur.hdr = h;
    rec->cur.size = h->type == '0' || h->type == '7' ? archive_entry_size(e) : 0;
    rec->crc = 0;
    rec->data_done = 0;
    rec->data_eof = 0;
    tarsplit_recorder_keep_from(rec, hdr_end + rec->cur.size);
    return FERRY_OK;
}

static void tarsplit_recorder_clear_hdr(tarsplit_recorder *rec)
{
    free(rec->hdr.name);
    free(rec->hdr.link);
    memset(&rec->hdr, 0, sizeof(rec->hdr));
}

int tarsplit_recorder_next(tarsplit_recorder *rec, tarsplit_entry **out)
{
    *out = NULL;
    int rc = FERRY_OK; /* an entry the caller did not end is ended here */
    if (rec->state == TARSPLIT_REC_ENTRY && (rc = tarsplit_recorder_entry_end(rec)) != FERRY_OK)
        return rc;
    tarsplit_recorder_clear_hdr(rec);
    if (rec->state == TARSPLIT_REC_END)
        return FERRY_OK;
    if (rec->svc->cancelled(rec->ctx))
        return rec->svc->set_error(rec->ctx, FERRY_ERR_CANCELLED, "%s: cancelled", rec->label);
    if (rec->state == TARSPLIT_REC_START) {
        if ((rec->a = archive_read_new()) == NULL)
            return tarsplit_recorder_errno(rec, NULL, "starting the tar reader", ENOMEM);
        archive_read_support_format_tar(rec->a);
        rec->state = TARSPLIT_REC_BETWEEN;
        if (archive_read_open(rec->a, rec, NULL, tarsplit_recorder_read_cb, NULL) != ARCHIVE_OK)
            return rec->frontier == 0 && rec->eos
                       ? tarsplit_recorder_finish_stream(rec, 0) /* an empty stream */
                       : tarsplit_recorder_fail(rec, FERRY_ERR_INVALID, NULL, archive_error_string(rec->a), 0);
    }
    struct archive_entry *e;
    int r = archive_read_next_header(rec->a, &e);
    if (r == ARCHIVE_EOF)
        return tarsplit_recorder_finish_stream(rec, archive_filter_bytes(rec->a, 0));
    if (r < ARCHIVE_WARN)
        return tarsplit_recorder_fail(rec, FERRY_ERR_INVALID, NULL, archive_error_string(rec->a), 0);
    if ((rc = tarsplit_recorder_header(rec, e)) != FERRY_OK)
        return rc;
    rec->state = TARSPLIT_REC_ENTRY;
    *out = &rec->cur;
    return FERRY_OK;
}

int tarsplit_recorder_data(tarsplit_recorder *rec, const void **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (rec->state != TARSPLIT_REC_ENTRY || rec->data_eof)
        return FERRY_OK;
    if (rec->cur.size == 0) { /* none recorded: libarchive skips what a link or device may carry */
        rec->data_eof = 1;
        return FERRY_OK;
    }
    const char *name = rec->hdr.name;
    for (;;) { /* an empty block says nothing: the next one, or the end */
        la_int64_t off;
        int r = archive_read_data_block(rec->a, buf, len, &off);
        if (r == ARCHIVE_EOF) {
            *len = 0;
            rec->data_eof = 1;
            if (rec->data_done != rec->cur.size)
                return tarsplit_recorder_fail(rec, FERRY_ERR_INVALID, name, "data shorter than its size", 0);
            return FERRY_OK;
        }
        if (r < ARCHIVE_WARN)
            return tarsplit_recorder_fail(rec, FERRY_ERR_INVALID, name, archive_error_string(rec->a), 0);
        if (off != rec->data_done)
            return tarsplit_recorder_fail(rec, FERRY_ERR_UNSUPPORTED, name, "sparse files are not supported", 0);
        if (*len > 0) {
            rec->crc = tarsplit_crc64(rec->crc, *buf, *len);
            rec->data_done += (int64_t)*len;
            return FERRY_OK;
        }
    }
}

int tarsplit_recorder_entry_end(tarsplit_recorder *rec)
{
    if (rec->state != TARSPLIT_REC_ENTRY)
        return FERRY_OK;
    rec->state = TARSPLIT_REC_BETWEEN;
    /* Data the caller left unread still counts in the CRC; entries other
     * than regular files have none recorded (libarchive skips theirs). */
    if (rec->cur.size > 0 && !rec->data_eof) {
        const void *buf;
        size_t n;
        la_int64_t off;
        int r;
        while ((r = archive_read_data_block(rec->a, &buf, &n, &off)) == ARCHIVE_OK || r == ARCHIVE_WARN)
            rec->crc = tarsplit_crc64(rec->crc, buf, n);
        if (r != ARCHIVE_EOF)
            return tarsplit_recorder_fail(rec, FERRY_ERR_INVALID, rec->hdr.name, archive_error_string(rec->a), 0);
        rec->data_eof = 1;
    }
    const char *name = rec->hdr.name;
    if (tarsplit_write_file(rec->ts, name, strlen(name), rec->cur.size, rec->crc) != 0)
        return tarsplit_recorder_errno(rec, name, "writing the tar-split", errno);
    return FERRY_OK;
}

int tarsplit_recorder_finish(tarsplit_recorder *rec, char *digest, size_t cap, int64_t *size)
{
    if (rec->state != TARSPLIT_REC_END)
        return tarsplit_recorder_fail(rec, FERRY_ERR_FAILED, NULL, "the layer stream was not read to its end", 0);
    tarsplit_writer *ts = rec->ts;
    rec->ts = NULL;
    if (tarsplit_writer_close(ts, 1) != 0)
        return tarsplit_recorder_errno(rec, NULL, "writing the tar-split", errno);
    if (rec->hasher != NULL) {
        if (rec->svc->hasher_final(rec->hasher, digest, cap) != 0)
            return tarsplit_recorder_fail(rec, FERRY_ERR_FAILED, NULL, "computing the digest", 0);
    } else {
        const char *d = ferry_reader_digest(rec->tar);
        if (d == NULL || strlen(d) >= cap)
            return tarsplit_recorder_fail(rec, FERRY_ERR_FAILED, NULL, "the layer stream reported no digest", 0);
        memcpy(digest, d, strlen(d) + 1);
    }
    *size = rec->frontier;
    return FERRY_OK;
}

void tarsplit_recorder_free(tarsplit_recorder *rec)
{
    if (rec == NULL)
        return;
    tarsplit_writer_close(rec->ts, 0);
    if (rec->a != NULL)
        archive_read_free(rec->a);
    if (rec->hasher != NULL)
        rec->svc->hasher_free(rec->hasher);
    tarsplit_recorder_clear_hdr(rec);
    strbuf_release(&rec->raw);
    free(rec->label);
    free(rec);
}
