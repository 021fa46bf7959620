/* core/copy/spool.h — spooling a stream whose size or digest is unknown
 * (compressed on the fly) into an unlinked temporary file, for destinations
 * that must know both before the first byte (FERRY_CAP_NEEDS_BLOB_SIZE: tar
 * writers). */
#ifndef FERRY_CORE_SPOOL_H
#define FERRY_CORE_SPOOL_H

#include <ferry/stream.h>

/* Reads `source` to its end into a temporary file in `tmpdir` (the file has
 * no name, so nothing is left behind whatever happens). On FERRY_OK *out is a
 * reader over it whose size and digest ops answer at once; the caller closes
 * it. `source` stays the caller's. */
int spool_stream(ferry_ctx *ctx, const char *tmpdir, ferry_reader *source, const char *what, ferry_reader **out);

/* 1 once a spooled reader delivered its last byte. */
int spool_reader_complete(ferry_reader *r);

#endif
