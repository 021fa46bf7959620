/* core/copy/zstd_chunked.h — a streaming zstd:chunked layer compressor: an
 * uncompressed tar stream in, the blob that containers/storage's
 * pkg/chunked/compressor writes out, so that podman can pull the layer
 * partially and any zstd reader still gets back the input tar exactly.
 *
 * Version followed: containers/storage v1.42.0, which Debian 12's skopeo
 * 1.9.3 vendors (podman 4.3.1 vendors v1.43.0, whose compressor and reader
 * write and read the same format). Its layout:
 *
 *   [frame: tar headers][frame: chunk]...[frame: headers]...[frame: end of archive]
 *   [skippable frame: zstd-compressed TOC][skippable frame: 40-byte footer]
 *
 * Each file's payload gets zstd frames of its own, split into chunks where a
 * rolling checksum (bup's, 16 bits) says so and around runs of 1024 or more
 * zeros (chunkType "zeros"); header blocks, extended headers and padding go
 * into the frames between. The TOC is JSON {"version":1,"entries":[...]},
 * one entry per tar entry (type, name, linkName, mode, size, uid, gid,
 * modtime, accesstime, changetime, devMajor, devMinor, xattrs base64'd,
 * digest "sha256:<hex>" of the payload, offset and endOffset of its frames)
 * plus a "chunk" entry for each further chunk of a file split in several
 * (chunkSize, chunkOffset, chunkDigest, chunkType). The footer is the TOC's
 * offset, compressed and uncompressed lengths and type 1, little-endian
 * 64-bit, then the magic "GnUlInUx". That version has no tar-split in the
 * blob and no tar-split annotation; its annotation keys are the
 * "io.containers.zstd-chunked." ones (the "io.github.containers." names came
 * with v1.44).
 *
 * Differences from containers/storage (its reader takes either form):
 * - times are written in UTC (Go writes the machine's zone: same instants);
 * - bytes after the end-of-archive blocks are kept in the last frame (Go
 *   drops them, so that its blob no longer matches the layer's DiffID);
 * - a PAX global header ('g') is carried in the frames and otherwise
 *   ignored, as podman ignores it when unpacking (Go's compressor refuses);
 * - <, > and & in TOC strings are not escaped as \u003c, \u003e, \u0026:
 *   podman 4.3.1 reads TOC strings without undoing escapes, and would unpack
 *   "a<b" from skopeo's blob as "a\u003cb" (the same JSON either way).
 * Sparse files and entry types other than regular files, links, devices,
 * directories and fifos are refused, as containers/storage refuses them.
 *
 * Memory: fixed buffers and one zstd context (ZSTD_estimateCStreamSize:
 * 30 MB at level 10, 3.6 MB at 3), plus the TOC JSON (a few hundred bytes a
 * tar entry; podman refuses TOCs over 50 MiB) and the current file's chunk
 * list; nothing proportional to the data size.
 * One object is one stream, used by one thread at a time; objects share
 * nothing. */
#ifndef FERRY_CORE_ZSTD_CHUNKED_H
#define FERRY_CORE_ZSTD_CHUNKED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The level skopeo 1.9.3 uses when none is asked for: containers/storage's
 * ZstdCompressor takes 10 when given none (klauspost's SpeedBestCompression;
 * plain "zstd" layers get 3). */
#define ZSTD_CHUNKED_DEFAULT_LEVEL 10

/* The annotations a manifest's layer descriptor carries. */
#define ZSTD_CHUNKED_MANIFEST_CHECKSUM_KEY "io.containers.zstd-chunked.manifest-checksum"
#define ZSTD_CHUNKED_MANIFEST_POSITION_KEY "io.containers.zstd-chunked.manifest-position"

typedef struct zstd_chunked zstd_chunked;

/* A compressor at zstd `level` (libzstd's scale; 0 is libzstd's default 3),
 * for the frames and the TOC alike. NULL when out of memory or when libzstd
 * refuses the level. */
zstd_chunked *zstd_chunked_new(int level);
void zstd_chunked_free(zstd_chunked *zc);

/* Feeds in[0..in_len) (may be 0) and writes up to out_cap bytes of the blob,
 * as transform_run (compress.h): *consumed and *produced say how much was
 * used; input not consumed must be passed again at the start of the next
 * call's input. `finish` says no more input follows; *done becomes 1 once
 * the whole blob, footer included, has been produced. Returns 0, or -1 with
 * a one-line message in err (not a tar stream, a truncated one, an entry
 * containers/storage cannot record, out of memory); after an error every
 * call fails the same way. */
int zstd_chunked_run(zstd_chunked *zc, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out,
                     size_t out_cap, size_t *produced, int finish, int *done, char *err, size_t errcap);

/* After *done: a new JSON object the caller owns (json_decref), mapping
 * ZSTD_CHUNKED_MANIFEST_CHECKSUM_KEY to the "sha256:<hex>" digest of the
 * compressed TOC and ZSTD_CHUNKED_MANIFEST_POSITION_KEY to
 * "offset:length:lengthUncompressed:1" (the TOC's data in the blob). NULL
 * before the stream is done or when out of memory. */
json_t *zstd_chunked_annotations(const zstd_chunked *zc);

#endif
