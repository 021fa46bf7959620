/* plugins/containers-storage/tarsplit.h — the pieces tarsplit.c shares with
 * layer_apply.c: the tar-split writer (gzip'd JSON lines exactly as
 * vbatts/tar-split's JSONPacker encodes them), Go's CRC-64/ISO, and opening
 * a path inside a layer directory without ever leaving it. Internal to the
 * containers-storage module; the public contract is cs.h. */
#ifndef FERRY_PLUGIN_CS_TARSPLIT_H
#define FERRY_PLUGIN_CS_TARSPLIT_H

#include <stddef.h>
#include <stdint.h>

/* Largest remainder segment after the end-of-archive marker: tar-split reads
 * what follows it in 1 MiB chunks, one segment each. */
#define CS_TS_PAD_CHUNK (1024 * 1024)

/* crc64.Update(crc, crc64.MakeTable(crc64.ISO), data): start from 0
 * (crc64.c). cs_crc64 is ISA-L's when built with it, else cs_crc64_sliced,
 * which is always built so that the tests compare the two. */
uint64_t cs_crc64(uint64_t crc, const void *data, size_t len);
uint64_t cs_crc64_sliced(uint64_t crc, const void *data, size_t len);

/* What Go's archive/tar makes of one entry's header blocks. */
typedef struct cs_hdr {
    char *name, *link; /* malloc'd, NUL-terminated; PAX and GNU long forms applied */
    char type;         /* the type flag; '\0' made '0', or '5' for a name ending in '/' */
} cs_hdr;

/* Parses the header blocks in seg[first, len): extended headers (x, g, L,
 * K) and then the entry's own header, which must end the segment. 0, or -1
 * when malformed or out of memory (h's strings are the caller's to free
 * either way). */
int cs_parse_hdrs(const unsigned char *seg, size_t len, size_t first, cs_hdr *h);

typedef struct cs_ts_writer cs_ts_writer;

/* A writer of gzip'd JSON lines into fd (not closed). NULL when out of memory. */
cs_ts_writer *cs_ts_writer_new(int fd);
/* One type-2 entry: raw stream bytes (len may be 0: payload ""). 0, or -1 with errno. */
int cs_ts_segment(cs_ts_writer *w, const void *data, size_t len);
/* One type-1 entry: name (namelen bytes, "name" or, when not UTF-8,
 * "name_raw"), size and CRC64 (payload null when size is 0). 0 or -1. */
int cs_ts_file(cs_ts_writer *w, const char *name, size_t namelen, int64_t size, uint64_t crc);
/* Ends the gzip stream and releases w (also after an error, finish = 0). 0 or -1. */
int cs_ts_writer_close(cs_ts_writer *w, int finish);

/* Opens `rel` (canonical: no "..", not absolute) below the directory rootfd
 * as if rootfd were "/" (as containers/storage's chroot'ed extraction sees
 * it): symbolic links are followed inside it, never outside; the last
 * component too unless flags has O_NOFOLLOW. flags as openat's; rel "" opens
 * rootfd itself. The fd, or -1 with errno (ELOOP also for any link when the
 * kernel has no openat2, which a component-wise walk cannot follow safely). */
int cs_open_in_root(int rootfd, const char *rel, int flags);

#endif /* FERRY_PLUGIN_CS_TARSPLIT_H */
