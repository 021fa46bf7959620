/* plugins/docker-archive/dockarch.h — the `docker save` tar format
 * (manifest.json, repositories, HEX.json configs, layer tars, the legacy
 * ID/{layer.tar,VERSION,json} directories), as a convenience library
 * (libdockarch.la) shared by the docker-archive: and docker-daemon: modules:
 * an archive indexed in place and served as an image source, and an image
 * destination writing the archive sequentially into a sink (a file, a pipe,
 * an HTTP upload).
 *
 * The library keeps no state. It reports errors through the services table
 * of the module it is linked into, which that module provides by defining
 * dockarch_services() (each module has its own table pointer, set by its
 * ferry_module_init). */
#ifndef FERRY_PLUGIN_DOCKARCH_H
#define FERRY_PLUGIN_DOCKARCH_H

#include <ferry/ferry.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin_util.h"
#include "tarindex.h"

#define DOCKARCH_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKARCH_MT_CONFIG "application/vnd.docker.container.image.v1+json"
/* The type containers/image gives every layer of a docker archive, though the
 * bytes it serves are plain tars: the copy pipeline goes by the bytes. Kept
 * for skopeo's manifest digests. */
#define DOCKARCH_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKARCH_MANIFEST_FILE "manifest.json"
#define DOCKARCH_REPOSITORIES_FILE "repositories"
/* manifest.json and configs are held in memory: bound them. */
#define DOCKARCH_JSON_MAX (4 * 1024 * 1024)
/* Bounds the member index against a hostile archive. */
#define DOCKARCH_MEMBERS_MAX 200000
#define DOCKARCH_TAR_BLOCK 512

/* Provided by the module linking the library (its module.c). */
const ferry_services *dockarch_services(void);

/* ---- names.c: the image names an archive records ---- */

/* Normalises "name[:tag]" to "DOMAIN/REPO:TAG" (docker.io, "library/" and
 * ":latest" filled in) into malloc'd *out; -1 with the reason in why when
 * it is not a docker reference or carries a digest. */
int dockarch_normalize_tagged(const char *in, char **out, char *why, size_t cap);

/* RepoTags for a destination: `primary` (already normalised, may be NULL),
 * then each '\n'-separated entry of the `additional-tags` option,
 * normalised, without repeats. *tags is a malloc'd array of *n malloc'd
 * strings (free with dockarch_tags_free). Errors name `label`. */
int dockarch_tags_collect(ferry_ctx *ctx, const char *label, const char *primary, char ***tags, size_t *n);
void dockarch_tags_free(char **tags, size_t n);

/* ---- tar.c: the archive indexed in place (plugins/common/tarindex.h), and
 * the ustar headers the writer emits ---- */

typedef plugin_tar_member dockarch_member;

typedef struct dockarch_archive {
    int fd;      /* the file itself, or an unlinked spool copy */
    char *label; /* owned copy, for messages */
    plugin_tar_index index;
} dockarch_archive;

/* An unlinked temporary file in the ctx's tmpdir (O_TMPFILE where the file
 * system has it), open for reading and writing: gone when closed, whatever
 * happens. Returns the fd, or a status after set_error naming `label`. */
static inline int dockarch_tmpfile(ferry_ctx *ctx, const char *label, int *fd)
{
    return plugin_tar_tmpfile(dockarch_services(), ctx, label, fd);
}
/* Opens and indexes PATH; a pipe, or an archive compressed with gzip,
 * bzip2, xz or zstd (which skopeo reads too), is spooled to tmpdir first.
 * Refuses members escaping the archive and truncated archives (one-line
 * errors naming `label`). A missing PATH is FERRY_ERR_NOT_FOUND. */
int dockarch_archive_open(ferry_ctx *ctx, const char *label, const char *path, dockarch_archive *out);
/* Indexes an open, seekable fd holding a plain tar, which the archive takes
 * over (closed by dockarch_archive_close, also when this fails). */
int dockarch_archive_open_fd(ferry_ctx *ctx, const char *label, int fd, dockarch_archive *out);
void dockarch_archive_close(dockarch_archive *ar);
/* The regular file `name` names, following links inside the archive; NULL
 * when absent. */
const dockarch_member *dockarch_archive_find(const dockarch_archive *ar, const char *name);
/* Reads a whole member of at most max bytes (NUL-terminated copy). */
int dockarch_archive_read(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, size_t max,
                          char **data);
/* pread of up to len bytes at off; 0, or -1 with errno. */
static inline int dockarch_pread_full(int fd, void *buf, size_t len, int64_t off, size_t *got)
{
    return plugin_tar_pread_full(fd, buf, len, off, got);
}
/* Fills a ustar header block as Go's archive/tar writes it for skopeo
 * (mode 0444 files, 0 for symlinks, uid/gid 0, mtime 0). -1 when name or
 * link does not fit. */
int dockarch_tar_header(unsigned char block[DOCKARCH_TAR_BLOCK], const char *name, int64_t size, char type,
                        const char *link);

/* ---- gunzip.c: layers stored compressed by older tools ---- */

#define DOCKARCH_PLAIN 0
#define DOCKARCH_GZIP 1
#define DOCKARCH_OTHER_COMPRESSION 2

/* Compression of a member, from its first bytes; for DOCKARCH_OTHER_COMPRESSION
 * *name says which ("bzip2", "xz", "zstd"). */
int dockarch_member_compression(const dockarch_archive *ar, const dockarch_member *m, const char **name);
/* Size of a gzip member once decompressed (one full inflate, polling
 * cancellation). Errors name `what` (the member). */
int dockarch_gunzip_size(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, int64_t *size);
/* A reader of the decompressed bytes of a gzip member (pread: readers of one
 * archive are independent); `size` is the decompressed size it declares. */
int dockarch_gunzip_reader(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, int64_t size,
                           ferry_reader **out);

/* ---- index.c: manifest.json ---- */

/* Reads and parses manifest.json (a JSON array of items). */
int dockarch_manifest_load(ferry_ctx *ctx, const dockarch_archive *ar, json_t **items);
/* The item `name` (a normalised RepoTag) or `index` (>= 0) selects, or the
 * only one when neither is given. Unknown name or index: NOT_FOUND. */
int dockarch_manifest_select(ferry_ctx *ctx, const char *label, const char *name, long index, json_t *items,
                             json_t **item);
/* Calls emit with each image's normalised RepoTags, "@N" for an untagged one. */
int dockarch_manifest_tags(json_t *items, int (*emit)(void *opaque, const char *tag), void *opaque);

/* ---- source.c: one image of an indexed archive as an image source ---- */

/* Chooses the image (name / index as dockarch_manifest_select), checks the
 * config against its digest-named member and the DiffIDs, works out the
 * layers (gzip members are served decompressed, as skopeo does, so that
 * every layer's digest is its DiffID) and synthesises a Docker schema 2
 * manifest. Takes the archive over (closed with the source, also on
 * failure). `label` names the image in messages; `docker_ref` (may be NULL)
 * is what docker_reference returns. */
int dockarch_source_open(ferry_ctx *ctx, const char *label, dockarch_archive *ar, const char *name, long index,
                         const char *docker_ref, ferry_image_source **out);

/* ---- dest.c: an image destination writing the archive into a sink ---- */

/* Where the tar bytes go. `write` returns FERRY_OK or a status after
 * set_error; `finish` runs after the last byte of a complete archive (make it
 * visible: rename the file, end the upload and check the answer); `close`
 * releases the sink, discarding the archive when `committed` is 0. */
typedef struct dockarch_sink_ops {
    int (*write)(void *opaque, ferry_ctx *ctx, const void *data, size_t len);
    int (*finish)(void *opaque, ferry_ctx *ctx);
    void (*close)(void *opaque, ferry_ctx *ctx, int committed);
} dockarch_sink_ops;

/* A destination writing layers in order, then the config, then at commit
 * manifest.json (RepoTags = tags), repositories and the legacy directories,
 * laid out byte for byte as skopeo 1.9 writes them. Takes tags (see
 * dockarch_tags_collect) and the sink over: both are released by the
 * destination's close, also when this fails. */
int dockarch_dest_open(ferry_ctx *ctx, const char *label, char **tags, size_t n_tags, const dockarch_sink_ops *ops,
                       void *opaque, ferry_image_dest **out);

#endif /* FERRY_PLUGIN_DOCKARCH_H */
