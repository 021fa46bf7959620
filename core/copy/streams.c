/* core/copy/streams.c — the core's readers. Every blob byte passes through
 * here exactly once: hashed on the way (one pass), transformed if needed, and
 * checked against its digest and size at end of stream. */
#include "copy/streams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "plugin/context.h"

#define PIPELINE_INPUT_SIZE (64 * 1024)

/* ---- memory reader ---- */

typedef struct memory_reader {
    ferry_reader base;
    const uint8_t *data;
    size_t len, pos;
    char digest[DIGEST_MAX_LEN];
} memory_reader;

static int memory_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    memory_reader *m = (memory_reader *)r;
    size_t n = m->len - m->pos < len ? m->len - m->pos : len;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *nread = n;
    *eos = m->pos == m->len;
    return FERRY_OK;
}

static void memory_close(ferry_reader *r)
{
    free(r);
}

static const char *memory_digest(ferry_reader *r)
{
    memory_reader *m = (memory_reader *)r;
    return m->digest[0] ? m->digest : NULL;
}

static int64_t memory_size(ferry_reader *r)
{
    return (int64_t)((memory_reader *)r)->len;
}

static const ferry_reader_ops memory_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = memory_read,
    .close = memory_close,
    .digest = memory_digest,
    .size = memory_size,
};

ferry_reader *stream_memory_reader(const void *data, size_t len, const char *digest)
{
    memory_reader *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->base.ops = &memory_ops;
    m->data = data;
    m->len = len;
    if (digest != NULL)
        snprintf(m->digest, sizeof(m->digest), "%s", digest);
    return &m->base;
}

int stream_read_all(ferry_reader *r, ferry_ctx *ctx, size_t limit, const char *what, char **out, size_t *len)
{
    size_t cap = 16 * 1024, used = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", what);
    for (;;) {
        if (used == cap) {
            if (cap > limit) {
                free(buf);
                return ctx_fail(ctx, FERRY_ERR_TOO_LARGE, "%s is larger than the %zu byte limit", what, limit);
            }
            cap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            char *grown = realloc(buf, cap + 1);
            if (grown == NULL) {
                free(buf);
                return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", what);
            }
            buf = grown;
        }
        size_t n = 0;
        int eos = 0;
        int rc = ferry_reader_read(r, ctx, buf + used, cap - used, &n, &eos);
        if (rc != FERRY_OK) {
            free(buf);
            return ctx_status_message(ctx, rc, what);
        }
        used += n;
        if (used > limit) {
            free(buf);
            return ctx_fail(ctx, FERRY_ERR_TOO_LARGE, "%s is larger than the %zu byte limit", what, limit);
        }
        if (eos)
            break;
        if (n == 0 && used < cap) {
            free(buf);
            return ctx_fail(ctx, FERRY_ERR_IO, "%s: reader returned no data before end of stream", what);
        }
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return FERRY_OK;
}

/* ---- prefix reader: replays the bytes stream_peek took ---- */

typedef struct prefix_reader {
    ferry_reader base;
    ferry_reader *source;
    size_t len, pos;
    int source_eos; /* the source ended within the prefix */
    uint8_t prefix[];
} prefix_reader;

static int prefix_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    prefix_reader *p = (prefix_reader *)r;
    if (p->pos == p->len && !p->source_eos)
        return ferry_reader_read(p->source, ctx, buf, len, nread, eos);
    size_t n = p->len - p->pos < len ? p->len - p->pos : len;
    memcpy(buf, p->prefix + p->pos, n);
    p->pos += n;
    *nread = n;
    /* Ending with the last replayed byte saves a call into a finished source. */
    *eos = p->source_eos && p->pos == p->len;
    return FERRY_OK;
}

static void prefix_close(ferry_reader *r)
{
    prefix_reader *p = (prefix_reader *)r;
    ferry_reader_close(p->source);
    free(p);
}

static int64_t prefix_size(ferry_reader *r)
{
    return ferry_reader_size(((prefix_reader *)r)->source);
}

static const ferry_reader_ops prefix_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = prefix_read,
    .close = prefix_close,
    .digest = NULL, /* never passes a module's digest() claim on: the pipeline hashes */
    .size = prefix_size,
};

int stream_peek(ferry_reader *source, ferry_ctx *ctx, const char *what, void *buf, size_t len, size_t *got,
                ferry_reader **out)
{
    *out = NULL;
    *got = 0;
    prefix_reader *p = calloc(1, sizeof(*p) + len);
    if (p == NULL) {
        ferry_reader_close(source);
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", what);
    }
    p->base.ops = &prefix_ops;
    p->source = source;
    while (p->len < len && !p->source_eos) {
        size_t n = 0;
        int rc = ferry_reader_read(source, ctx, p->prefix + p->len, len - p->len, &n, &p->source_eos);
        if (rc == FERRY_OK && n == 0 && !p->source_eos)
            rc = ctx_fail(ctx, FERRY_ERR_IO, "%s: source returned no data before end of stream", what);
        if (rc != FERRY_OK) {
            prefix_close(&p->base);
            return ctx_status_message(ctx, rc, what);
        }
        p->len += n;
    }
    memcpy(buf, p->prefix, p->len);
    *got = p->len;
    *out = &p->base;
    return FERRY_OK;
}

/* ---- blob pipeline ---- */

typedef struct pipeline_reader {
    ferry_reader base;
    ferry_reader *source;
    stream_pipeline_options opts;
    char what[256];
    char expected_digest[DIGEST_MAX_LEN];
    char expected_output_digest[DIGEST_MAX_LEN];
    char expected_diff_id[DIGEST_MAX_LEN];
    digest_hasher *in_hash;  /* over the source bytes, compared with expected_digest */
    digest_hasher *out_hash; /* over delivered bytes, when they differ from the source's */
    transform *xf;
    uint8_t *inbuf;
    size_t in_pos, in_len;
    int source_eos;
    int done;
    uint64_t consumed, delivered;
    char in_digest[DIGEST_MAX_LEN];
    char out_digest[DIGEST_MAX_LEN];
    /* side_transform: the source bytes decompressed beside the stream, only
     * to be hashed (a DiffID nothing else knows). */
    transform *side;
    digest_hasher *side_hash;
    uint8_t *side_buf;
    int side_done;
    char side_digest[DIGEST_MAX_LEN];
} pipeline_reader;

#define PIPELINE_SIDE_BUFFER (128 * 1024)

/* Runs the side decompressor over source bytes; at the end, checks it ended
 * and keeps its digest. */
static int pipeline_side(pipeline_reader *p, ferry_ctx *ctx, const uint8_t *in, size_t n, int finish)
{
    size_t off = 0;
    while (!p->side_done && (off < n || finish)) {
        size_t used = 0, made = 0;
        char err[256];
        if (transform_run(p->side, in + off, n - off, &used, p->side_buf, PIPELINE_SIDE_BUFFER, &made, finish,
                          &p->side_done, err, sizeof(err)) != 0)
            return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: computing its DiffID: %s", p->what, err);
        off += used;
        digest_hasher_update(p->side_hash, p->side_buf, made);
        if (used == 0 && made == 0 && !p->side_done) {
            if (finish)
                return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: computing its DiffID: compressed stream ended early",
                                p->what);
            break;
        }
    }
    if (finish && p->side_done && digest_hasher_final(p->side_hash, p->side_digest, sizeof(p->side_digest)) != 0)
        return ctx_fail(ctx, FERRY_ERR_FAILED, "%s: hashing failed", p->what);
    return FERRY_OK;
}

/* At end of the source: compare what arrived with what was promised. */
static int pipeline_verify(pipeline_reader *p, ferry_ctx *ctx)
{
    if (p->opts.expected_size >= 0 && p->consumed != (uint64_t)p->opts.expected_size)
        return ctx_fail(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: size mismatch: expected %lld bytes, got %llu%s", p->what,
                        (long long)p->opts.expected_size, (unsigned long long)p->consumed,
                        p->consumed < (uint64_t)p->opts.expected_size ? " (truncated)" : "");
    if (digest_hasher_final(p->in_hash, p->in_digest, sizeof(p->in_digest)) != 0)
        return ctx_fail(ctx, FERRY_ERR_FAILED, "%s: hashing failed", p->what);
    if (p->expected_digest[0] && strcmp(p->in_digest, p->expected_digest) != 0)
        return ctx_fail(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: digest mismatch: content hashes to %s", p->what,
                        p->in_digest);
    return FERRY_OK;
}

/* The output's own promise (a DiffID), checked before eos reaches the
 * destination so that it never commits unverified bytes. */
static int pipeline_check_diff_id(pipeline_reader *p, ferry_ctx *ctx, const char *got, const char *expected)
{
    if (strcmp(got, expected) == 0)
        return FERRY_OK;
    return ctx_fail(ctx, FERRY_ERR_DIGEST_MISMATCH,
                    "%s: DiffID digest mismatch: uncompressed content hashes to %s, the config says %s", p->what, got,
                    expected);
}

static int pipeline_verify_output(pipeline_reader *p, ferry_ctx *ctx)
{
    int rc = p->expected_output_digest[0] ? pipeline_check_diff_id(p, ctx, p->out_digest, p->expected_output_digest)
                                          : FERRY_OK;
    if (rc != FERRY_OK || p->expected_diff_id[0] == '\0')
        return rc;
    /* The unpacked bytes the output does not carry: the side transform's,
     * else a recompressing chain's middle. */
    char middle[DIGEST_MAX_LEN];
    const char *got = p->side != NULL ? (p->side_done && p->side_digest[0] ? p->side_digest : NULL)
                      : transform_chain_middle_digest(p->xf, middle, sizeof(middle)) == 0 ? middle
                                                                                           : NULL;
    if (got == NULL)
        return ctx_fail(ctx, FERRY_ERR_FAILED, "%s: its DiffID could not be computed", p->what);
    return pipeline_check_diff_id(p, ctx, got, p->expected_diff_id);
}

static int pipeline_pull(pipeline_reader *p, ferry_ctx *ctx, uint8_t *buf, size_t len, size_t *nread)
{
    int eos = 0;
    int rc = ferry_reader_read(p->source, ctx, buf, len, nread, &eos);
    if (rc != FERRY_OK)
        return ctx_status_message(ctx, rc, p->what);
    if (*nread == 0 && !eos)
        return ctx_fail(ctx, FERRY_ERR_IO, "%s: source returned no data before end of stream", p->what);
    p->consumed += *nread;
    if (p->opts.expected_size >= 0 && p->consumed > (uint64_t)p->opts.expected_size)
        return ctx_fail(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: size mismatch: more than the expected %lld bytes",
                        p->what, (long long)p->opts.expected_size);
    digest_hasher_update(p->in_hash, buf, *nread);
    if (p->side != NULL && (rc = pipeline_side(p, ctx, buf, *nread, eos)) != FERRY_OK)
        return rc;
    if (eos) {
        p->source_eos = 1;
        return pipeline_verify(p, ctx);
    }
    return FERRY_OK;
}

static int pipeline_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    pipeline_reader *p = (pipeline_reader *)r;
    *nread = 0;
    *eos = 0;
    if (p->done) {
        *eos = 1;
        return FERRY_OK;
    }
    if (ctx_cancelled(ctx))
        return ctx_fail(ctx, FERRY_ERR_CANCELLED, "%s: %s", p->what, ctx_cancel_reason(ctx));
    if (p->xf == NULL) {
        int rc = pipeline_pull(p, ctx, buf, len, nread);
        if (rc != FERRY_OK)
            return rc;
        p->delivered += *nread;
        p->done = *eos = p->source_eos;
        if (p->done) {
            memcpy(p->out_digest, p->in_digest, sizeof(p->out_digest));
            return pipeline_verify_output(p, ctx);
        }
        return FERRY_OK;
    }
    /* Transform: refill input as needed until some output is ready. */
    while (*nread == 0 && !p->done) {
        if (p->in_pos == p->in_len && !p->source_eos) {
            int rc = pipeline_pull(p, ctx, p->inbuf, PIPELINE_INPUT_SIZE, &p->in_len);
            if (rc != FERRY_OK)
                return rc;
            p->in_pos = 0;
        }
        size_t used = 0, made = 0;
        int finished = 0;
        char err[256];
        if (transform_run(p->xf, p->inbuf + p->in_pos, p->in_len - p->in_pos, &used, buf, len, &made,
                          p->source_eos, &finished, err, sizeof(err)) != 0)
            return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: %s", p->what, err);
        p->in_pos += used;
        digest_hasher_update(p->out_hash, buf, made);
        *nread = made;
        if (finished) {
            p->done = 1;
            if (digest_hasher_final(p->out_hash, p->out_digest, sizeof(p->out_digest)) != 0)
                return ctx_fail(ctx, FERRY_ERR_FAILED, "%s: hashing failed", p->what);
            int rc = pipeline_verify_output(p, ctx);
            if (rc != FERRY_OK)
                return rc;
        } else if (made == 0 && used == 0 && p->source_eos && p->in_pos == p->in_len) {
            return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: compressed stream ended early", p->what);
        }
    }
    p->delivered += *nread;
    *eos = p->done;
    return FERRY_OK;
}

static void pipeline_close(ferry_reader *r)
{
    pipeline_reader *p = (pipeline_reader *)r;
    ferry_reader_close(p->source);
    digest_hasher_free(p->in_hash);
    digest_hasher_free(p->out_hash);
    transform_free(p->xf);
    transform_free(p->side);
    digest_hasher_free(p->side_hash);
    free(p->side_buf);
    free(p->inbuf);
    free(p);
}

static const char *pipeline_digest(ferry_reader *r)
{
    pipeline_reader *p = (pipeline_reader *)r;
    return p->done ? p->out_digest : NULL;
}

static int64_t pipeline_size(ferry_reader *r)
{
    pipeline_reader *p = (pipeline_reader *)r;
    return p->xf == NULL ? p->opts.expected_size : -1;
}

static const ferry_reader_ops pipeline_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = pipeline_read,
    .close = pipeline_close,
    .digest = pipeline_digest,
    .size = pipeline_size,
};

ferry_reader *stream_pipeline_new(ferry_reader *source, const stream_pipeline_options *opts)
{
    pipeline_reader *p = calloc(1, sizeof(*p));
    if (p == NULL)
        goto fail;
    p->base.ops = &pipeline_ops;
    p->source = source;
    p->opts = *opts;
    snprintf(p->what, sizeof(p->what), "%s", opts->what ? opts->what : "blob");
    if (opts->expected_digest != NULL)
        snprintf(p->expected_digest, sizeof(p->expected_digest), "%s", opts->expected_digest);
    if (opts->expected_output_digest != NULL)
        snprintf(p->expected_output_digest, sizeof(p->expected_output_digest), "%s", opts->expected_output_digest);
    if (opts->expected_diff_id != NULL)
        snprintf(p->expected_diff_id, sizeof(p->expected_diff_id), "%s", opts->expected_diff_id);
    p->opts.what = p->what;
    p->opts.expected_digest = NULL;
    p->opts.expected_output_digest = NULL;
    p->opts.expected_diff_id = NULL;
    p->in_hash = opts->expected_digest ? digest_hasher_for(opts->expected_digest) : digest_hasher_new("sha256");
    if (p->in_hash == NULL)
        goto fail;
    if (opts->has_side_transform) {
        p->side = transform_new(opts->side_transform, NULL);
        p->side_hash = p->expected_diff_id[0] ? digest_hasher_for(p->expected_diff_id) : digest_hasher_new("sha256");
        p->side_buf = malloc(PIPELINE_SIDE_BUFFER);
        if (p->side == NULL || p->side_hash == NULL || p->side_buf == NULL)
            goto fail;
    }
    if (opts->has_transform) {
        int level = opts->has_level ? opts->level : TRANSFORM_LEVEL_DEFAULT;
        p->xf = transform_new_level(opts->transform, opts->compress_pool, level);
        if (opts->has_then)
            p->xf = transform_chain(p->xf, transform_new_level(opts->then, opts->compress_pool, level));
        p->out_hash = digest_hasher_new("sha256");
        p->inbuf = malloc(PIPELINE_INPUT_SIZE);
        if (p->xf == NULL || p->out_hash == NULL || p->inbuf == NULL)
            goto fail;
        if (p->expected_diff_id[0] && p->side == NULL && opts->has_then &&
            transform_chain_hash_middle(p->xf, digest_hasher_for(p->expected_diff_id)) != 0)
            goto fail;
    }
    return &p->base;
fail:
    if (p != NULL) {
        p->source = NULL;
        pipeline_close(&p->base);
    }
    ferry_reader_close(source);
    return NULL;
}

uint64_t stream_pipeline_delivered(ferry_reader *r)
{
    return ((pipeline_reader *)r)->delivered;
}

int stream_pipeline_complete(ferry_reader *r)
{
    return ((pipeline_reader *)r)->done;
}

json_t *stream_pipeline_annotations(ferry_reader *r)
{
    pipeline_reader *p = (pipeline_reader *)r;
    return p->done && p->xf != NULL ? transform_annotations(p->xf) : NULL;
}

const char *stream_pipeline_side_digest(ferry_reader *r)
{
    pipeline_reader *p = (pipeline_reader *)r;
    return p->done && p->side_done && p->side_digest[0] ? p->side_digest : NULL;
}
