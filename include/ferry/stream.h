/* ferry/stream.h — pull readers, the only way blob and manifest bytes cross
 * the plugin boundary, in both directions.
 *
 * A source hands the core a reader (get_blob, get_manifest); the core wraps it
 * (digest verification, compression, progress) and hands its own reader to the
 * destination (put_blob), which pulls until end of stream. Nobody ever holds a
 * whole blob in memory.
 *
 * An implementation embeds `ferry_reader` as its first member:
 *     struct my_reader { ferry_reader base; int fd; };
 * and sets base.ops to a static ferry_reader_ops.
 */
#ifndef FERRY_STREAM_H
#define FERRY_STREAM_H

#include <ferry/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ferry_ctx ferry_ctx; /* opaque, see ferry/services.h */
typedef struct ferry_reader ferry_reader;

typedef struct ferry_reader_ops {
    uint32_t struct_size; /* sizeof(ferry_reader_ops) as compiled by the implementer */

    /* 1.0 */
    /* Copies up to `len` (> 0) bytes into `buf`, sets *nread to the count and *eos to
     * 1 when nothing follows the bytes returned (it may be set together with
     * data, which saves a call). *nread may be 0 only when *eos is 1. On error
     * returns a status after reporting it with services->set_error on `ctx`;
     * the stream is then dead (only close follows). After *eos no further
     * read is made. `ctx` is the calling thread's context and may differ
     * between calls. Reads of one reader never overlap in time; reads of
     * distinct readers of one source may (transport.h, "Threading"). A read
     * that blocks polls services->cancelled(ctx). */
    int (*read)(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos);

    /* Releases the reader and everything it owns. Called exactly once, also
     * when the stream was not read to its end (the copy was aborted), never
     * during a read, and for a source's reader before the source's close.
     * There is no ctx here: log with a NULL ctx. */
    void (*close)(ferry_reader *reader);

    /* Optional (may be NULL). Digest ("sha256:<hex>") of all bytes read, valid
     * once *eos was returned with FERRY_OK; NULL before or when unknown. The
     * string is owned by the reader and lives until close. Readers made by the
     * core always provide it, so a destination handed a blob of unknown digest
     * learns it here after the last byte. */
    const char *(*digest)(ferry_reader *reader);

    /* Optional (may be NULL). Total stream size when known in advance, else -1. */
    int64_t (*size)(ferry_reader *reader);
} ferry_reader_ops;

struct ferry_reader {
    const ferry_reader_ops *ops; /* owned by the implementer, normally static */
};

/* Convenience wrappers that honour struct_size and NULL optional slots. */
static inline int ferry_reader_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread,
                                    int *eos)
{
    return r->ops->read(r, ctx, buf, len, nread, eos);
}

static inline void ferry_reader_close(ferry_reader *r)
{
    if (r != NULL)
        r->ops->close(r);
}

static inline const char *ferry_reader_digest(ferry_reader *r)
{
    if (!FERRY_HAS_MEMBER(r->ops, ferry_reader_ops, digest) || r->ops->digest == NULL)
        return NULL;
    return r->ops->digest(r);
}

static inline int64_t ferry_reader_size(ferry_reader *r)
{
    if (!FERRY_HAS_MEMBER(r->ops, ferry_reader_ops, size) || r->ops->size == NULL)
        return -1;
    return r->ops->size(r);
}

#ifdef __cplusplus
}
#endif
#endif /* FERRY_STREAM_H */
