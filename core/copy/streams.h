/* core/copy/streams.h — readers the core builds: in-memory blobs, and the
 * blob pipeline that sits between a source's reader and a destination's
 * put_blob (verifies digest and size while streaming, optionally gzips or
 * gunzips, and reports the digest of what it delivered). */
#ifndef FERRY_CORE_STREAMS_H
#define FERRY_CORE_STREAMS_H

#include <stdint.h>

#include <ferry/stream.h>

#include "copy/compress.h"

/* A reader over bytes the caller keeps alive until close. `digest` (may be
 * NULL) is copied and reported by the digest op. */
ferry_reader *stream_memory_reader(const void *data, size_t len, const char *digest);

/* Reads a whole stream of at most `limit` bytes into a malloc'd buffer (with
 * a NUL after the data). More than `limit` bytes fails with
 * FERRY_ERR_TOO_LARGE before anything beyond limit+1 is read. `what` names
 * the object in messages. Does not close the reader. */
int stream_read_all(ferry_reader *r, ferry_ctx *ctx, size_t limit, const char *what, char **out, size_t *len);

/* Reads the first `len` bytes of `source` (fewer only when the stream is
 * shorter) into `buf`, setting *got, and returns in *out a reader that
 * delivers those bytes again, then the rest of `source`: a stream can be
 * classified by its first bytes before it is consumed. Ownership of `source`
 * moves to *out, whose size op reports the source's size; on failure `source`
 * is closed and the status returned with a message naming `what` in ctx. */
int stream_peek(ferry_reader *source, ferry_ctx *ctx, const char *what, void *buf, size_t len, size_t *got,
                ferry_reader **out);

typedef struct stream_pipeline_options {
    const char *what;            /* e.g. "blob sha256:…" for messages */
    const char *expected_digest; /* verified at end of stream; NULL: not checked */
    int64_t expected_size;       /* -1: not checked */
    int has_transform;
    transform_kind transform;
    const char *expected_output_digest; /* e.g. a DiffID: verified before end of stream is reported; may be NULL */
    gzpar_pool *compress_pool;          /* workers for TRANSFORM_GZIP_COMPRESS; NULL: the reader's thread */
    int has_then;                       /* a second stage: `transform` decompresses, `then` compresses */
    transform_kind then;
    int has_level;                      /* the compressing stage's level is `level`, not its default */
    int level;
    int has_side_transform;             /* also decompress the source bytes with `side_transform`, only to hash
                                           them (stream_pipeline_side_digest) */
    transform_kind side_transform;
    /* A DiffID the output bytes do not have, since they stay compressed:
     * verified, before end of stream is reported, against the side
     * transform's digest when there is one, else against the bytes between
     * the two stages of a recompressing chain (has_then). May be NULL. */
    const char *expected_diff_id;
} stream_pipeline_options;

/* Wraps `source` (ownership moves to the pipeline, which closes it). The
 * returned reader's digest op gives the digest of the bytes it delivered. */
ferry_reader *stream_pipeline_new(ferry_reader *source, const stream_pipeline_options *opts);
/* Bytes delivered so far. */
uint64_t stream_pipeline_delivered(ferry_reader *pipeline);
/* transform_annotations of the pipeline's transform, once it is complete
 * (new reference, or NULL). */
json_t *stream_pipeline_annotations(ferry_reader *pipeline);

/* The digest of the side transform's output once the pipeline is complete
 * (a layer's DiffID computed while it passes), else NULL. Owned by the
 * pipeline. */
const char *stream_pipeline_side_digest(ferry_reader *pipeline);

/* 1 once the pipeline reached end of stream with everything verified. */
int stream_pipeline_complete(ferry_reader *pipeline);

#endif
