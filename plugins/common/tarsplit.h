/* plugins/common/tarsplit.h — vbatts/tar-split, the record that lets a
 * transport keep a layer unpacked and still give back its exact tar stream:
 * gzip'd JSON lines, type 2 raw segments (header blocks, padding, the
 * end-of-archive marker, base64) and type 1 file entries (name or name_raw,
 * size, CRC-64/ISO of the payload), byte for byte as containers/storage's
 * JSONPacker writes them. containers-storage keeps it in a .tar-split.gz file
 * beside the layer, the old ostree transport in the commit's tarsplit.output
 * metadata.
 *
 * Three parts, linked into each module that needs them as the hidden
 * convenience library libferrytarsplit (zlib, jansson, libarchive, ISA-L when
 * found):
 *   - the writer (tarsplit_writer_*), the JSON lines into a file descriptor;
 *   - the recorder (tarsplit_recorder_*), libarchive over an uncompressed
 *     layer stream that writes the tar-split while the caller unpacks the
 *     entries wherever it keeps them;
 *   - the reader (tarsplit_reader_open), which streams the original tar back
 *     from the tar-split and the unpacked files, through callbacks that open
 *     a file by name wherever the module keeps them.
 *
 * Nothing here has module-level state; errors are reported with svc->set_error
 * on the ctx given, in one line starting with the caller's label. */
#ifndef FERRY_PLUGIN_TARSPLIT_H
#define FERRY_PLUGIN_TARSPLIT_H

#include <stddef.h>
#include <stdint.h>

#include <ferry/ferry.h>

struct archive_entry;

/* Largest remainder segment after the end-of-archive marker: tar-split reads
 * what follows it in 1 MiB chunks, one segment each. */
#define TARSPLIT_PAD_CHUNK (1024 * 1024)

/* ---- CRC-64/ISO (crc64.c) ------------------------------------------------ */

/* crc64.Update(crc, crc64.MakeTable(crc64.ISO), data): start from 0.
 * tarsplit_crc64 is ISA-L's when built with it, else tarsplit_crc64_sliced,
 * which is always built so that the tests compare the two. */
uint64_t tarsplit_crc64(uint64_t crc, const void *data, size_t len);
uint64_t tarsplit_crc64_sliced(uint64_t crc, const void *data, size_t len);

/* ---- raw tar headers ------------------------------------------------------ */

/* What Go's archive/tar makes of one entry's header blocks. */
typedef struct tarsplit_hdr {
    char *name, *link; /* malloc'd, NUL-terminated; PAX and GNU long forms applied */
    char type;         /* the type flag; '\0' made '0', or '5' for a name ending in '/' */
} tarsplit_hdr;

/* Parses the header blocks in seg[first, len): extended headers (x, g, L,
 * K) and then the entry's own header, which must end the segment. 0, or -1
 * when malformed or out of memory (h's strings are the caller's to free
 * either way). */
int tarsplit_parse_hdrs(const unsigned char *seg, size_t len, size_t first, tarsplit_hdr *h);

/* ---- the writer ----------------------------------------------------------- */

typedef struct tarsplit_writer tarsplit_writer;

/* A writer of gzip'd JSON lines into fd (not closed). NULL when out of memory. */
tarsplit_writer *tarsplit_writer_new(int fd);
/* One type-2 entry: raw stream bytes (len may be 0: payload ""). 0, or -1 with errno. */
int tarsplit_write_segment(tarsplit_writer *w, const void *data, size_t len);
/* One type-1 entry: name (namelen bytes, "name" or, when not UTF-8,
 * "name_raw"), size and CRC64 (payload null when size is 0). 0 or -1. */
int tarsplit_write_file(tarsplit_writer *w, const char *name, size_t namelen, int64_t size, uint64_t crc);
/* Ends the gzip stream and releases w (also after an error, finish = 0). 0 or -1. */
int tarsplit_writer_close(tarsplit_writer *w, int finish);

/* ---- the recorder --------------------------------------------------------- */

typedef struct tarsplit_recorder tarsplit_recorder;

/* One entry of the stream, valid until the next tarsplit_recorder_next. */
typedef struct tarsplit_entry {
    struct archive_entry *entry; /* libarchive's view: modes, owners, times, xattrs, devices */
    const tarsplit_hdr *hdr;     /* name, link target and type as Go's archive/tar reads the raw blocks
                                    (no locale conversion): use these, not libarchive's, for names */
    int64_t size;                /* payload bytes in the stream: regular files ('0', '7'), else 0 */
} tarsplit_entry;

/* Starts reading the uncompressed tar stream `tar` (not owned) with
 * libarchive, writing its tar-split gzip'd into tarsplit_fd (not closed).
 * `label` (copied) starts every error message, e.g. "containers-storage:
 * applying layer to /x"; the messages are "LABEL: ENTRY: WHAT[: strerror]".
 * When `tar` reports a digest (the core's readers do) it is used, else the
 * recorder hashes the stream itself. ctx is the caller's for every later
 * call (one thread). FERRY_OK with *out, or a status. */
int tarsplit_recorder_new(const ferry_services *svc, ferry_ctx *ctx, ferry_reader *tar, int tarsplit_fd,
                          const char *label, tarsplit_recorder **out);

/* The next entry, its header blocks already written as a segment; *out NULL
 * after the end-of-archive marker, when everything that follows it has been
 * recorded too (an empty stream is a valid, empty layer). Polls
 * svc->cancelled. A malformed stream is FERRY_ERR_INVALID. */
int tarsplit_recorder_next(tarsplit_recorder *rec, tarsplit_entry **out);

/* The next block of the current entry's data (CRC'd for its file entry);
 * *len 0 at its end. Pointers valid until the next call. */
int tarsplit_recorder_data(tarsplit_recorder *rec, const void **buf, size_t *len);

/* Ends the current entry: reads what the caller did not of its data and
 * writes its file entry. Call once per entry, before the next
 * tarsplit_recorder_next. */
int tarsplit_recorder_entry_end(tarsplit_recorder *rec);

/* After *out NULL: closes the tar-split (its gzip stream ended) and gives the
 * stream's digest ("sha256:…", cap >= 80) and byte count. */
int tarsplit_recorder_finish(tarsplit_recorder *rec, char *digest, size_t cap, int64_t *size);

/* Releases the recorder (any time; the tar-split fd stays the caller's). */
void tarsplit_recorder_free(tarsplit_recorder *rec);

/* Reports a failure of the caller's own about the current entry in the
 * recorder's words: "LABEL: ENTRY: WHAT[: strerror(err)]" (entry and err
 * optional). Returns status; when the stream itself already failed
 * (entry NULL), its status is returned and nothing new is reported. */
int tarsplit_recorder_fail(tarsplit_recorder *rec, int status, const char *entry, const char *what, int err);

/* ---- the reader ------------------------------------------------------------ */

/* Where the reader finds the unpacked files. Called from the thread reading
 * the stream, one file open at a time. */
typedef struct tarsplit_files {
    /* Opens the file the tar-split names (as recorded: it may start with "/"
     * or "./"; the callee resolves it inside the layer and must refuse to
     * leave it) into *file. FERRY_ERR_NOT_FOUND when absent; any status after
     * set_error naming the file. */
    int (*open)(void *opaque, ferry_ctx *ctx, const char *name, void **file);
    /* Reads up to len bytes; *n 0 at end of file. FERRY_OK or a status after
     * set_error. */
    int (*read)(void *opaque, void *file, ferry_ctx *ctx, void *buf, size_t len, size_t *n);
    void (*close)(void *opaque, void *file);
    /* Releases opaque when the reader closes (may be NULL). */
    void (*release)(void *opaque);
} tarsplit_files;

/* A reader of the layer tar exactly as it was recorded: the gzip'd tar-split
 * read from tarsplit_fd (taken over: closed by the reader, also when this
 * fails), file contents through `files`/`opaque` (taken over likewise:
 * files->release is called at close or on failure). Every file is checked
 * against its recorded size and CRC64: a mismatch is
 * FERRY_ERR_DIGEST_MISMATCH naming the file. `module` (e.g. "ostree") starts
 * messages and `what` names the tar-split in them (its path, or the commit);
 * both copied. size() is known_size (-1: unknown); no digest(): the caller
 * knows the layer's DiffID and the core checks it. *out is the caller's. */
int tarsplit_reader_open(const ferry_services *svc, ferry_ctx *ctx, int tarsplit_fd, const char *module,
                         const char *what, const tarsplit_files *files, void *opaque, int64_t known_size,
                         ferry_reader **out);

/* The same over a layer directory: files opened below root_path as if it
 * were "/" (tarsplit_open_in_root), the tar-split read from tarsplit_path. */
int tarsplit_reader_open_dir(const ferry_services *svc, ferry_ctx *ctx, const char *tarsplit_path,
                             const char *root_path, const char *module, int64_t known_size, ferry_reader **out);

/* Opens `rel` (canonical: no "..", not absolute) below the directory rootfd
 * as if rootfd were "/" (as containers/storage's chroot'ed extraction sees
 * it): symbolic links are followed inside it, never outside; the last
 * component too unless flags has O_NOFOLLOW. flags as openat's; rel "" opens
 * rootfd itself. The fd, or -1 with errno (ELOOP also for any link when the
 * kernel has no openat2, which a component-wise walk cannot follow safely). */
int tarsplit_open_in_root(int rootfd, const char *rel, int flags);

#endif /* FERRY_PLUGIN_TARSPLIT_H */
