/* core/copy/zstd_chunked.c — the zstd:chunked stream (zstd_chunked.h): the
 * tar read block by block as it arrives, each piece of input classified
 * (header bytes, payload data, runs of zeros) into a short queue of actions
 * that feed one ZSTD_CCtx and close its frames at chunk boundaries, then the
 * TOC and footer once the input ends. The queue is what lets a call stop
 * anywhere — output window full, input used up — and resume in the next.
 * Tar headers and TOC entries are zstd_chunked_tar.c's. */
#include "copy/zstd_chunked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "copy/zstd_chunked_internal.h"
#include "image/digest.h"

#define ZC_QUEUE 8 /* at most 3 actions are queued at once */

static const unsigned char zc_skippable_magic[4] = {0x50, 0x2a, 0x4d, 0x18};
static const unsigned char zc_footer_magic[8] = {'G', 'n', 'U', 'l', 'I', 'n', 'U', 'x'};
static const uint8_t zc_zeros[4096];

typedef enum zstd_chunked_state {
    ZC_HEADER,  /* reading a header block */
    ZC_META,    /* reading an extended header's payload */
    ZC_PAYLOAD, /* a file's data */
    ZC_PADDING, /* up to the next block boundary */
    ZC_ZERO2,   /* reading the block after a zero block */
    ZC_TRAILER, /* past the end-of-archive blocks */
    ZC_CLOSING, /* input over: last frame, then the TOC */
    ZC_DONE,    /* all that is left is the tail (TOC and footer) */
} zstd_chunked_state;

typedef enum zstd_chunked_act_kind {
    ZC_FEED_IN,    /* n bytes at the input position into the current frame */
    ZC_FEED_ZEROS, /* n zero bytes of payload that were counted, not kept */
    ZC_END_FRAME,  /* close the current frame (nothing when it is empty) */
    ZC_ENTRY_DONE, /* the current entry's TOC entries */
    ZC_FINISH,     /* TOC, footer, annotations */
} zstd_chunked_act_kind;

typedef enum zstd_chunked_frame_kind { ZC_FRAME_HEADERS, ZC_FRAME_DATA, ZC_FRAME_ZEROS } zstd_chunked_frame_kind;

typedef struct zstd_chunked_act {
    zstd_chunked_act_kind kind;
    uint64_t n;
    int payload;                   /* FEED_IN: the bytes are the file's data */
    zstd_chunked_frame_kind frame; /* END_FRAME: what the frame held */
} zstd_chunked_act;

/* Step results. */
enum { ZC_ERROR = -1, ZC_BLOCKED = 0, ZC_PROGRESS = 1 };

struct zstd_chunked {
    ZSTD_CCtx *cctx; /* the frames, then the TOC */

    uint8_t *obuf; /* compressed bytes not yet handed out: [ohead, otail) */
    size_t ocap, ohead, otail;
    uint64_t total;       /* blob bytes produced so far */
    uint64_t frame_start; /* where the current frame starts in the blob */
    int frame_has_data;

    zstd_chunked_act queue[ZC_QUEUE];
    size_t q_head, q_len;

    zstd_chunked_state state;
    uint64_t scanned; /* input bytes classified, for messages */
    unsigned char blk[ZSTD_CHUNKED_BLOCK];
    size_t blk_len;
    uint64_t blk_at;
    zstd_chunked_meta meta;
    zstd_chunked_block_kind meta_kind;
    char *meta_buf;
    size_t meta_len, meta_size;
    uint64_t meta_at;
    uint64_t pad;
    int pad_seen;

    zstd_chunked_entry entry; /* the entry whose payload is being read */
    int64_t rem;              /* its payload bytes not yet classified */
    int payload_begun;
    digest_hasher *file_hash, *chunk_hash;
    int64_t written;   /* payload bytes fed so far */
    int64_t chunk_len; /* of which in the current chunk */
    zstd_chunked_chunk *chunks;
    size_t n_chunks, cap_chunks;
    zstd_chunked_rollsum rs;
    uint64_t zrun;  /* zeros counted but not fed: a run shorter than a hole so far, or the hole */
    int in_hole;    /* zrun reached ZSTD_CHUNKED_HOLE_MIN */
    uint64_t zdata; /* zeros of a short run still to feed as data */

    strbuf toc; /* the TOC JSON, compressed at the end */
    size_t n_entries;

    uint8_t *tail; /* the two skippable frames */
    size_t tail_len, tail_pos;
    char checksum[DIGEST_MAX_LEN];
    char position[96];

    int failed;
    char msg[256];
};

static int zstd_chunked_fail(zstd_chunked *zc, const char *msg)
{
    if (!zc->failed) {
        zc->failed = 1;
        snprintf(zc->msg, sizeof(zc->msg), "%s", msg);
    }
    return ZC_ERROR;
}

static int zstd_chunked_push(zstd_chunked *zc, zstd_chunked_act_kind kind, uint64_t n, int payload,
                             zstd_chunked_frame_kind frame)
{
    if (kind == ZC_FEED_IN && n == 0)
        return 0;
    zstd_chunked_act *a = &zc->queue[(zc->q_head + zc->q_len++) % ZC_QUEUE];
    a->kind = kind;
    a->n = n;
    a->payload = payload;
    a->frame = frame;
    return 0;
}

zstd_chunked *zstd_chunked_new(int level)
{
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return NULL;
    zstd_chunked *zc = calloc(1, sizeof(*zc));
    if (zc == NULL)
        return NULL;
    zc->cctx = ZSTD_createCCtx();
    zc->ocap = ZSTD_CStreamOutSize();
    zc->obuf = malloc(zc->ocap);
    /* Frames carry a checksum, as the klauspost encoder writes them. */
    if (zc->cctx == NULL || zc->obuf == NULL ||
        ZSTD_isError(ZSTD_CCtx_setParameter(zc->cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(zc->cctx, ZSTD_c_checksumFlag, 1))) {
        zstd_chunked_free(zc);
        return NULL;
    }
    zc->state = ZC_HEADER;
    return zc;
}

void zstd_chunked_free(zstd_chunked *zc)
{
    if (zc == NULL)
        return;
    ZSTD_freeCCtx(zc->cctx);
    free(zc->obuf);
    zstd_chunked_meta_clear(&zc->meta);
    free(zc->meta_buf);
    zstd_chunked_entry_clear(&zc->entry);
    digest_hasher_free(zc->file_hash);
    digest_hasher_free(zc->chunk_hash);
    free(zc->chunks);
    strbuf_release(&zc->toc);
    free(zc->tail);
    free(zc);
}

/* ---- the compressed side -------------------------------------------------- */

/* Feeds p[0..n) to the current frame; called with obuf empty, so that zstd
 * always has room to make progress. Returns the bytes taken, or -1. */
static int64_t zstd_chunked_feed(zstd_chunked *zc, const uint8_t *p, size_t n, int payload)
{
    ZSTD_inBuffer ib = {p, n, 0};
    ZSTD_outBuffer ob = {zc->obuf, zc->ocap, zc->otail};
    size_t rc = ZSTD_compressStream2(zc->cctx, &ob, &ib, ZSTD_e_continue);
    if (ZSTD_isError(rc)) {
        char m[128];
        snprintf(m, sizeof(m), "zstd compression failed: %s", ZSTD_getErrorName(rc));
        zstd_chunked_fail(zc, m);
        return -1;
    }
    zc->total += ob.pos - zc->otail;
    zc->otail = ob.pos;
    if (ib.pos > 0) {
        zc->frame_has_data = 1;
        if (payload) {
            digest_hasher_update(zc->file_hash, p, ib.pos);
            digest_hasher_update(zc->chunk_hash, p, ib.pos);
            zc->written += (int64_t)ib.pos;
            zc->chunk_len += (int64_t)ib.pos;
        }
    }
    return (int64_t)ib.pos;
}

/* Records the chunk whose frame just ended. */
static int zstd_chunked_add_chunk(zstd_chunked *zc, int zeros)
{
    if (zc->n_chunks == zc->cap_chunks) {
        size_t cap = zc->cap_chunks ? zc->cap_chunks * 2 : 8;
        zstd_chunked_chunk *c = realloc(zc->chunks, cap * sizeof(*c));
        if (c == NULL)
            return zstd_chunked_fail(zc, "out of memory");
        zc->chunks = c;
        zc->cap_chunks = cap;
    }
    zstd_chunked_chunk *c = &zc->chunks[zc->n_chunks++];
    c->chunk_offset = zc->written - zc->chunk_len;
    c->size = zc->chunk_len;
    c->offset = zc->frame_start;
    c->end = zc->total;
    c->zeros = zeros;
    int rc = digest_hasher_final(zc->chunk_hash, c->digest, sizeof(c->digest));
    digest_hasher_free(zc->chunk_hash);
    zc->chunk_hash = digest_hasher_new("sha256");
    zc->chunk_len = 0;
    if (rc != 0 || zc->chunk_hash == NULL)
        return zstd_chunked_fail(zc, "out of memory");
    return ZC_PROGRESS;
}

/* Ends the current frame: ZC_PROGRESS when it is over (or was empty),
 * ZC_BLOCKED when obuf must be drained first. */
static int zstd_chunked_end_frame(zstd_chunked *zc, zstd_chunked_frame_kind kind)
{
    if (zc->frame_has_data) {
        ZSTD_inBuffer ib = {NULL, 0, 0};
        ZSTD_outBuffer ob = {zc->obuf, zc->ocap, zc->otail};
        size_t rc = ZSTD_compressStream2(zc->cctx, &ob, &ib, ZSTD_e_end);
        if (ZSTD_isError(rc)) {
            char m[128];
            snprintf(m, sizeof(m), "zstd compression failed: %s", ZSTD_getErrorName(rc));
            return zstd_chunked_fail(zc, m);
        }
        zc->total += ob.pos - zc->otail;
        zc->otail = ob.pos;
        if (rc != 0)
            return ZC_BLOCKED;
        zc->frame_has_data = 0;
        if (kind != ZC_FRAME_HEADERS && zc->chunk_len > 0 && zstd_chunked_add_chunk(zc, kind == ZC_FRAME_ZEROS) < 0)
            return ZC_ERROR;
    }
    zc->frame_start = zc->total;
    return ZC_PROGRESS;
}

/* The current entry's TOC entries. */
static int zstd_chunked_entry_done(zstd_chunked *zc)
{
    char digest[DIGEST_MAX_LEN], err[256];
    int have = zc->entry.payload > 0;
    if (have && digest_hasher_final(zc->file_hash, digest, sizeof(digest)) != 0)
        return zstd_chunked_fail(zc, "out of memory");
    if (zc->n_entries == 0)
        strbuf_puts(&zc->toc, "{\"version\":1,\"entries\":[");
    if (zstd_chunked_toc_entry(&zc->toc, zc->n_entries == 0, &zc->entry, have ? digest : NULL, zc->chunks,
                               zc->n_chunks, err, sizeof(err)) != 0)
        return zstd_chunked_fail(zc, err);
    zc->n_entries++;
    zstd_chunked_entry_clear(&zc->entry);
    digest_hasher_free(zc->file_hash);
    digest_hasher_free(zc->chunk_hash);
    zc->file_hash = zc->chunk_hash = NULL;
    zc->n_chunks = 0;
    return zc->toc.failed ? zstd_chunked_fail(zc, "out of memory") : ZC_PROGRESS;
}

static void zstd_chunked_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The TOC's skippable frame and the footer's, and the annotations. The
 * frames are over, so the context compresses the TOC, in one frame. */
static int zstd_chunked_finish(zstd_chunked *zc)
{
    strbuf_puts(&zc->toc, zc->n_entries == 0 ? "{\"version\":1,\"entries\":null}" : "]}");
    if (zc->toc.failed)
        return zstd_chunked_fail(zc, "out of memory");
    size_t bound = ZSTD_compressBound(zc->toc.len);
    zc->tail = malloc(8 + bound + 48);
    if (zc->tail == NULL)
        return zstd_chunked_fail(zc, "out of memory");
    uint8_t *t = zc->tail;
    size_t zlen = ZSTD_compress2(zc->cctx, t + 8, bound, zc->toc.data, zc->toc.len);
    if (ZSTD_isError(zlen)) {
        char m[128];
        snprintf(m, sizeof(m), "zstd compression of the TOC failed: %s", ZSTD_getErrorName(zlen));
        return zstd_chunked_fail(zc, m);
    }
    if (zlen > UINT32_MAX)
        return zstd_chunked_fail(zc, "cannot make a zstd:chunked layer: its TOC is larger than 4 GiB");
    if (digest_sha256(t + 8, zlen, zc->checksum, sizeof(zc->checksum)) != 0)
        return zstd_chunked_fail(zc, "out of memory");
    uint64_t toc_off = zc->total + 8;
    zc->tail_len = 8 + zlen + 48;
    memcpy(t, zc_skippable_magic, 4);
    for (int i = 0; i < 4; i++)
        t[4 + i] = (uint8_t)(zlen >> (8 * i));
    t += 8 + zlen;
    memcpy(t, zc_skippable_magic, 4);
    t[4] = 40, t[5] = t[6] = t[7] = 0;
    zstd_chunked_le64(t + 8, toc_off);
    zstd_chunked_le64(t + 16, zlen);
    zstd_chunked_le64(t + 24, zc->toc.len);
    zstd_chunked_le64(t + 32, 1); /* ManifestTypeCRFS */
    memcpy(t + 40, zc_footer_magic, 8);
    snprintf(zc->position, sizeof(zc->position), "%llu:%llu:%llu:1", (unsigned long long)toc_off,
             (unsigned long long)zlen, (unsigned long long)zc->toc.len);
    strbuf_release(&zc->toc);
    zc->state = ZC_DONE;
    return ZC_PROGRESS;
}

/* Carries out the action at the head of the queue, or part of it. */
static int zstd_chunked_exec(zstd_chunked *zc, const uint8_t *in, size_t in_len, size_t *pos)
{
    zstd_chunked_act *a = &zc->queue[zc->q_head];
    int rc = ZC_PROGRESS;
    switch (a->kind) {
    case ZC_FEED_IN:
    case ZC_FEED_ZEROS: {
        const uint8_t *p = zc_zeros;
        size_t n = a->n < sizeof(zc_zeros) ? (size_t)a->n : sizeof(zc_zeros);
        if (a->kind == ZC_FEED_IN) {
            p = in + *pos;
            n = a->n < in_len - *pos ? (size_t)a->n : in_len - *pos;
            if (n == 0)
                return ZC_BLOCKED; /* the caller holds back input it was already shown */
        }
        int64_t used = zstd_chunked_feed(zc, p, n, a->kind == ZC_FEED_ZEROS || a->payload);
        if (used < 0)
            return ZC_ERROR;
        if (a->kind == ZC_FEED_IN)
            *pos += (size_t)used;
        a->n -= (uint64_t)used;
        if (a->n > 0)
            return ZC_PROGRESS;
        break;
    }
    case ZC_END_FRAME:
        rc = zstd_chunked_end_frame(zc, a->frame);
        if (rc != ZC_PROGRESS)
            return rc == ZC_BLOCKED ? ZC_PROGRESS : rc; /* drained by the caller, then again */
        break;
    case ZC_ENTRY_DONE:
        rc = zstd_chunked_entry_done(zc);
        break;
    case ZC_FINISH:
        rc = zstd_chunked_finish(zc);
        break;
    }
    zc->q_head = (zc->q_head + 1) % ZC_QUEUE;
    zc->q_len--;
    return rc;
}

/* ---- the tar side ----------------------------------------------------------- */

/* The input ended where a tar may end: Go's reader takes the end of the
 * data at a block boundary as the end of the archive, with or without the
 * zero blocks. The last frame, then the TOC. */
static int zstd_chunked_close(zstd_chunked *zc)
{
    zstd_chunked_meta_clear(&zc->meta);
    zc->state = ZC_CLOSING;
    zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_HEADERS);
    zstd_chunked_push(zc, ZC_FINISH, 0, 0, ZC_FRAME_HEADERS);
    return ZC_PROGRESS;
}

static int zstd_chunked_truncated(zstd_chunked *zc, const char *what, uint64_t at)
{
    char m[256];
    snprintf(m, sizeof(m), "tar stream is truncated: %s at offset %llu is cut short", what, (unsigned long long)at);
    return zstd_chunked_fail(zc, m);
}

static uint64_t zstd_chunked_padding(uint64_t n)
{
    return (ZSTD_CHUNKED_BLOCK - n % ZSTD_CHUNKED_BLOCK) % ZSTD_CHUNKED_BLOCK;
}

/* A whole header block was read. */
static int zstd_chunked_block(zstd_chunked *zc)
{
    char err[256];
    zc->blk_len = 0;
    if (zc->state == ZC_ZERO2) {
        for (size_t i = 0; i < ZSTD_CHUNKED_BLOCK; i++) {
            if (zc->blk[i] != 0) {
                snprintf(err, sizeof(err),
                         "layer is not a tar stream: a zero block is followed by a header at offset %llu",
                         (unsigned long long)zc->blk_at);
                return zstd_chunked_fail(zc, err);
            }
        }
        zc->state = ZC_TRAILER;
        return ZC_PROGRESS;
    }
    zstd_chunked_block_kind kind;
    int64_t size = 0;
    if (zstd_chunked_parse_block(zc->blk, zc->blk_at, &zc->meta, &kind, &size, &zc->entry, err, sizeof(err)) != 0)
        return zstd_chunked_fail(zc, err);
    switch (kind) {
    case ZSTD_CHUNKED_BLOCK_ZERO:
        zc->state = ZC_ZERO2;
        return ZC_PROGRESS;
    case ZSTD_CHUNKED_BLOCK_ENTRY:
        zc->rem = zc->entry.payload;
        if (zc->rem == 0) {
            zstd_chunked_push(zc, ZC_ENTRY_DONE, 0, 0, ZC_FRAME_HEADERS);
            return ZC_PROGRESS; /* stays in ZC_HEADER */
        }
        zc->state = ZC_PAYLOAD;
        zc->payload_begun = 0;
        zc->written = zc->chunk_len = 0;
        zc->zrun = zc->zdata = 0;
        zc->in_hole = 0;
        zstd_chunked_rollsum_init(&zc->rs);
        zc->file_hash = digest_hasher_new("sha256");
        zc->chunk_hash = digest_hasher_new("sha256");
        if (zc->file_hash == NULL || zc->chunk_hash == NULL)
            return zstd_chunked_fail(zc, "out of memory");
        return ZC_PROGRESS;
    default:
        if ((uint64_t)size > ZSTD_CHUNKED_META_MAX) {
            snprintf(err, sizeof(err), "layer is not a tar stream: the extended header at offset %llu is too large",
                     (unsigned long long)zc->blk_at);
            return zstd_chunked_fail(zc, err);
        }
        zc->meta_kind = kind;
        zc->meta_size = (size_t)size;
        zc->meta_len = 0;
        zc->meta_at = zc->blk_at;
        zc->meta_buf = malloc(zc->meta_size + 1);
        if (zc->meta_buf == NULL)
            return zstd_chunked_fail(zc, "out of memory");
        zc->state = ZC_META;
        return ZC_PROGRESS;
    }
}

/* Header bytes into the block buffer and the current frame. */
static int zstd_chunked_take_block(zstd_chunked *zc, const uint8_t *p, size_t avail, int finish)
{
    if (avail == 0) {
        if (!finish)
            return ZC_BLOCKED;
        if (zc->blk_len > 0)
            return zstd_chunked_truncated(zc, "the header", zc->blk_at);
        return zstd_chunked_close(zc);
    }
    if (zc->blk_len == 0)
        zc->blk_at = zc->scanned;
    size_t n = ZSTD_CHUNKED_BLOCK - zc->blk_len;
    n = avail < n ? avail : n;
    memcpy(zc->blk + zc->blk_len, p, n);
    zc->blk_len += n;
    zc->scanned += n;
    zstd_chunked_push(zc, ZC_FEED_IN, n, 0, ZC_FRAME_HEADERS);
    return zc->blk_len == ZSTD_CHUNKED_BLOCK ? zstd_chunked_block(zc) : ZC_PROGRESS;
}

/* Bytes that only pass through: padding, or anything after the archive's end. */
static int zstd_chunked_pass(zstd_chunked *zc, size_t avail, uint64_t limit)
{
    uint64_t n = avail < limit ? avail : limit;
    zc->scanned += n;
    zstd_chunked_push(zc, ZC_FEED_IN, n, 0, ZC_FRAME_HEADERS);
    return ZC_PROGRESS;
}

/* Before a file's first data: the frame of its headers ends. */
static void zstd_chunked_begin_payload(zstd_chunked *zc)
{
    if (!zc->payload_begun) {
        zc->payload_begun = 1;
        zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_HEADERS);
    }
}

/* Classifies the next part of a file's data as containers/storage's
 * holesFinder and rollingChecksumReader do: bytes are rolled and a chunk
 * ends after a byte where the sum says so; a run of zeros is counted until
 * it ends or reaches ZSTD_CHUNKED_HOLE_MIN — shorter, its zeros are rolled as data;
 * longer, it is a hole, a chunk of its own rolled in one go. */
static int zstd_chunked_payload(zstd_chunked *zc, const uint8_t *p, size_t avail, size_t *pos, int finish)
{
    if (zc->zdata > 0) {
        uint64_t k = 0;
        int split = 0;
        while (k < zc->zdata && !split) {
            split = zstd_chunked_roll(&zc->rs, 0);
            k++;
        }
        zstd_chunked_begin_payload(zc);
        zstd_chunked_push(zc, ZC_FEED_ZEROS, k, 1, ZC_FRAME_DATA);
        zc->zdata -= k;
        if (split)
            zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_DATA);
        return ZC_PROGRESS;
    }
    int run_ends = zc->rem == 0 || (avail > 0 && p[0] != 0);
    if (zc->zrun > 0 && run_ends) {
        if (zc->in_hole) {
            zstd_chunked_roll_zeros(&zc->rs, zc->zrun);
            zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_ZEROS);
        } else {
            zc->zdata = zc->zrun;
        }
        zc->zrun = 0;
        zc->in_hole = 0;
        return ZC_PROGRESS;
    }
    if (zc->rem == 0) {
        zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_DATA);
        zstd_chunked_push(zc, ZC_ENTRY_DONE, 0, 0, ZC_FRAME_HEADERS);
        zc->pad = zstd_chunked_padding((uint64_t)zc->entry.payload);
        zc->pad_seen = 0;
        zc->state = ZC_PADDING;
        return ZC_PROGRESS;
    }
    if (avail == 0) {
        if (!finish)
            return ZC_BLOCKED;
        char m[256];
        snprintf(m, sizeof(m), "tar stream is truncated: %s ends %lld bytes early", zc->entry.name,
                 (long long)zc->rem);
        return zstd_chunked_fail(zc, m);
    }
    size_t lim = (uint64_t)zc->rem < avail ? (size_t)zc->rem : avail;
    /* Not while a run is being counted: its zeros belong to that run. */
    size_t n = zc->zrun == 0 ? zstd_chunked_scan_data(&zc->rs, p, lim, lim == (uint64_t)zc->rem) : 0;
    if (n > 0) {
        int split = zc->rs.split;
        zstd_chunked_begin_payload(zc);
        zstd_chunked_push(zc, ZC_FEED_IN, n, 1, ZC_FRAME_DATA);
        zc->scanned += n;
        zc->rem -= (int64_t)n;
        if (split)
            zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_DATA);
        return ZC_PROGRESS;
    }
    /* A run of zeros whose end is not in sight, or a hole: its zeros are
     * counted, not kept, and consumed here. */
    while (n < lim && p[n] == 0)
        n++;
    if (!zc->in_hole && n > ZSTD_CHUNKED_HOLE_MIN - zc->zrun)
        n = (size_t)(ZSTD_CHUNKED_HOLE_MIN - zc->zrun);
    *pos += n;
    zc->scanned += n;
    zc->rem -= (int64_t)n;
    zc->zrun += n;
    if (zc->in_hole) {
        zstd_chunked_push(zc, ZC_FEED_ZEROS, n, 1, ZC_FRAME_ZEROS);
    } else if (zc->zrun == ZSTD_CHUNKED_HOLE_MIN) {
        zc->in_hole = 1;
        zstd_chunked_begin_payload(zc);
        zstd_chunked_push(zc, ZC_END_FRAME, 0, 0, ZC_FRAME_DATA);
        zstd_chunked_push(zc, ZC_FEED_ZEROS, ZSTD_CHUNKED_HOLE_MIN, 1, ZC_FRAME_ZEROS);
    }
    return ZC_PROGRESS;
}

/* Looks at the input after the queue is done and queues what it calls for. */
static int zstd_chunked_classify(zstd_chunked *zc, const uint8_t *in, size_t in_len, size_t *pos, int finish)
{
    const uint8_t *p = in + *pos;
    size_t avail = in_len - *pos;
    switch (zc->state) {
    case ZC_HEADER:
    case ZC_ZERO2:
        return zstd_chunked_take_block(zc, p, avail, finish);
    case ZC_META: {
        if (zc->meta_len == zc->meta_size) {
            char err[256];
            int rc = zstd_chunked_meta_take(&zc->meta, zc->meta_kind, zc->meta_buf, zc->meta_len, zc->meta_at, err,
                                            sizeof(err));
            zc->meta_buf = NULL;
            if (rc != 0)
                return zstd_chunked_fail(zc, err);
            zc->pad = zstd_chunked_padding(zc->meta_size);
            zc->pad_seen = 0;
            zc->state = ZC_PADDING;
            return ZC_PROGRESS;
        }
        if (avail == 0)
            return finish ? zstd_chunked_truncated(zc, "the extended header", zc->meta_at) : ZC_BLOCKED;
        size_t n = zc->meta_size - zc->meta_len;
        n = avail < n ? avail : n;
        memcpy(zc->meta_buf + zc->meta_len, p, n);
        zc->meta_len += n;
        return zstd_chunked_pass(zc, n, n);
    }
    case ZC_PAYLOAD:
        return zstd_chunked_payload(zc, p, avail, pos, finish);
    case ZC_PADDING: {
        if (zc->pad == 0) {
            zc->state = ZC_HEADER;
            return ZC_PROGRESS;
        }
        if (avail == 0) {
            if (!finish)
                return ZC_BLOCKED;
            /* Go's reader takes an end right after the data as the archive's end. */
            return zc->pad_seen ? zstd_chunked_truncated(zc, "the padding", zc->scanned) : zstd_chunked_close(zc);
        }
        zc->pad_seen = 1;
        uint64_t n = avail < zc->pad ? avail : zc->pad;
        zc->pad -= n;
        return zstd_chunked_pass(zc, avail, n);
    }
    case ZC_TRAILER:
        if (avail == 0)
            return finish ? zstd_chunked_close(zc) : ZC_BLOCKED;
        return zstd_chunked_pass(zc, avail, avail);
    default:
        return ZC_BLOCKED;
    }
}

int zstd_chunked_run(zstd_chunked *zc, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out,
                     size_t out_cap, size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    size_t pos = 0, prod = 0;
    *consumed = *produced = 0;
    *done = 0;
    while (!zc->failed) {
        size_t n = zc->otail - zc->ohead;
        n = n < out_cap - prod ? n : out_cap - prod;
        if (n > 0)
            memcpy(out + prod, zc->obuf + zc->ohead, n);
        prod += n;
        zc->ohead += n;
        if (zc->ohead == zc->otail)
            zc->ohead = zc->otail = 0;
        if (zc->otail != 0)
            break; /* the output window is full */
        if (zc->state == ZC_DONE && zc->q_len == 0) {
            n = zc->tail_len - zc->tail_pos;
            n = n < out_cap - prod ? n : out_cap - prod;
            if (n > 0)
            memcpy(out + prod, zc->tail + zc->tail_pos, n);
            prod += n;
            zc->tail_pos += n;
            *done = zc->tail_pos == zc->tail_len;
            break;
        }
        int rc = zc->q_len > 0 ? zstd_chunked_exec(zc, in, in_len, &pos)
                               : zstd_chunked_classify(zc, in, in_len, &pos, finish);
        if (rc == ZC_BLOCKED)
            break;
    }
    *consumed = pos;
    *produced = prod;
    if (zc->failed) {
        snprintf(err, errcap, "%s", zc->msg);
        return -1;
    }
    return 0;
}

json_t *zstd_chunked_annotations(const zstd_chunked *zc)
{
    if (zc->state != ZC_DONE || zc->tail_pos != zc->tail_len)
        return NULL;
    json_t *o = json_object();
    if (o == NULL || json_object_set_new(o, ZSTD_CHUNKED_MANIFEST_CHECKSUM_KEY, json_string(zc->checksum)) != 0 ||
        json_object_set_new(o, ZSTD_CHUNKED_MANIFEST_POSITION_KEY, json_string(zc->position)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}
