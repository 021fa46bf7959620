/* core/copy/zstd_chunked_internal.h — what the two halves of the zstd:chunked
 * compressor share: the tar header reader (zstd_chunked_tar.c), which turns
 * header blocks and extended-header payloads into entries as vbatts/tar-split
 * v0.11.2's archive/tar (Go's reader) sees them, and the TOC entry writer
 * that zstd_chunked.c calls once an entry's payload is compressed; and the
 * rolling checksum that places chunk boundaries (zstd_chunked_rollsum.c). */
#ifndef FERRY_CORE_ZSTD_CHUNKED_INTERNAL_H
#define FERRY_CORE_ZSTD_CHUNKED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "shared/strbuf.h"

#define ZSTD_CHUNKED_BLOCK 512
/* Largest PAX or GNU long-name payload kept in memory, as Go's archive/tar
 * (maxSpecialFileSize): anything larger is not a sane layer. */
#define ZSTD_CHUNKED_META_MAX (1 << 20)

/* A time.Time as the tar reader makes it: time.Unix(sec, nsec), or Go's zero
 * time when `zero` (an atime or ctime the header does not carry). */
typedef struct zstd_chunked_time {
    int64_t sec;
    int32_t nsec; /* 0..999999999 */
    int zero;
} zstd_chunked_time;

typedef struct zstd_chunked_xattr {
    char *key, *value; /* malloc'd; the value may hold NULs */
    size_t key_len, value_len;
} zstd_chunked_xattr;

/* One entry of the archive, extended headers applied. */
typedef struct zstd_chunked_entry {
    char type;                    /* '0'..'6' after TypeRegA is resolved */
    char *name, *link;            /* malloc'd, NUL-terminated */
    int64_t mode, size, uid, gid; /* size as the header says, even for links and directories */
    int64_t devmajor, devminor;
    zstd_chunked_time mtime, atime, ctime;
    zstd_chunked_xattr *xattrs; /* sorted by key, one per key, empty values dropped (as Go's mergePAX) */
    size_t n_xattrs;
    int64_t payload; /* data bytes after the header: 0 for links, directories, devices and fifos */
} zstd_chunked_entry;

/* One PAX record of a pending 'x' header, pointing into that header's data. */
typedef struct zstd_chunked_rec {
    const char *key, *value;
    size_t key_len, value_len;
    size_t seq; /* position in the header: the last record of a key wins */
} zstd_chunked_rec;

/* Extended headers seen since the last entry; they apply to the next one. */
typedef struct zstd_chunked_meta {
    char *pax_data; /* the last 'x' header's payload (malloc'd); a later 'x' replaces it whole */
    zstd_chunked_rec *recs;
    size_t n_recs;
    char *long_name, *long_link; /* GNU 'L' and 'K' payloads up to their first NUL, or NULL */
} zstd_chunked_meta;

/* What a header block starts. */
typedef enum zstd_chunked_block_kind {
    ZSTD_CHUNKED_BLOCK_ZERO,     /* all zeros: end of archive (with the next one) */
    ZSTD_CHUNKED_BLOCK_PAX,      /* 'x': records for the next entry follow */
    ZSTD_CHUNKED_BLOCK_GLOBAL,   /* 'g': ignored, as containers/storage ignores it when unpacking */
    ZSTD_CHUNKED_BLOCK_LONGNAME, /* 'L' */
    ZSTD_CHUNKED_BLOCK_LONGLINK, /* 'K' */
    ZSTD_CHUNKED_BLOCK_ENTRY,    /* a file, directory, link, device or fifo: *e is filled */
} zstd_chunked_block_kind;

/* Parses the header block at input offset `at`. For the extended headers
 * *payload is the size of the data that follows; for an entry, *e is filled
 * (the caller frees it with zstd_chunked_entry_clear) with meta applied and
 * then cleared. 0, or -1 with a one-line message in err. */
int zstd_chunked_parse_block(const unsigned char *blk, uint64_t at, zstd_chunked_meta *meta,
                             zstd_chunked_block_kind *kind, int64_t *payload, zstd_chunked_entry *e, char *err,
                             size_t errcap);

/* Takes the whole payload of an extended header (data: malloc'd, len bytes,
 * ownership passes to meta even on error). 0, or -1 with a message. */
int zstd_chunked_meta_take(zstd_chunked_meta *meta, zstd_chunked_block_kind kind, char *data, size_t len,
                           uint64_t at, char *err, size_t errcap);

void zstd_chunked_meta_clear(zstd_chunked_meta *meta);
void zstd_chunked_entry_clear(zstd_chunked_entry *e);

/* One payload chunk: a zstd frame of its own. */
typedef struct zstd_chunked_chunk {
    int64_t chunk_offset; /* in the file's payload */
    int64_t size;
    uint64_t offset, end; /* the frame in the blob */
    int zeros;            /* a run of zeros (chunkType "zeros") */
    char digest[72];      /* "sha256:<hex>" of the chunk's bytes */
} zstd_chunked_chunk;

/* Appends entry e's TOC entries (the entry, then a "chunk" entry for each
 * chunk after the first when there are several) as containers/storage's
 * FileMetadata marshals them, each preceded by a comma unless `first`.
 * digest is the payload's, NULL when it is empty. 0, or -1 with a message
 * (a time Go cannot marshal, out of memory). */
int zstd_chunked_toc_entry(strbuf *sb, int first, const zstd_chunked_entry *e, const char *digest,
                           const zstd_chunked_chunk *chunks, size_t n_chunks, char *err, size_t errcap);

/* ---- chunk boundaries (zstd_chunked_rollsum.c) ---------------------------- */

/* containers/storage's chunking: a chunk ends after a byte where the low 16
 * bits of bup's rolling sum are all ones, and around runs of at least 1024
 * zeros (its holesThreshold), which make chunks of their own ("zeros"). */
#define ZSTD_CHUNKED_ROLLSUM_BITS 16
#define ZSTD_CHUNKED_WINDOW 64
#define ZSTD_CHUNKED_HOLE_MIN 1024

/* bup's rolling checksum, as containers/storage's rollsum.go; one a file. */
typedef struct zstd_chunked_rollsum {
    uint32_t s1, s2;
    uint8_t window[ZSTD_CHUNKED_WINDOW];
    unsigned wofs;
    int split; /* the last byte rolled ended a chunk */
} zstd_chunked_rollsum;

void zstd_chunked_rollsum_init(zstd_chunked_rollsum *rs);
/* Rolls one byte in; 1 when a chunk ends after it. */
int zstd_chunked_roll(zstd_chunked_rollsum *rs, uint8_t ch);
/* Rolls the n zeros of a hole in at once. */
void zstd_chunked_roll_zeros(zstd_chunked_rollsum *rs, uint64_t n);
/* How many of p[0..lim) are data for the current chunk: bytes rolled one
 * by one up to the first after which the sum splits (rs->split is then 1),
 * runs of zeros included when they end in sight (before lim, or at lim when
 * `at_end`, the payload's end) and are shorter than a hole. Stops before a
 * run that may be a hole, for the caller to count; 0 when p starts with one. */
size_t zstd_chunked_scan_data(zstd_chunked_rollsum *rs, const uint8_t *p, size_t lim, int at_end);

#endif
