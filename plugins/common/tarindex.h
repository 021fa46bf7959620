/* plugins/common/tarindex.h — a tar archive read in place, shared by the
 * archive transports (oci-archive, and docker-archive's libdockarch used by
 * docker-archive and docker-daemon): one pass over the headers with
 * libarchive records each member's data offset and size, seeking over the
 * data, and members are then served with pread from that table.
 *
 * Built as its own convenience library (plugins/common/libferrytar.la) so
 * that only the modules reading archives link libarchive; this header does
 * not include libarchive's. Like plugin_util.h it keeps no state: callers
 * pass their services table, and errors are one line naming `label`. */
#ifndef FERRY_PLUGIN_TARINDEX_H
#define FERRY_PLUGIN_TARINDEX_H

#include <ferry/ferry.h>
#include <stddef.h>
#include <stdint.h>

#define PLUGIN_TAR_FILE 0
#define PLUGIN_TAR_DIR 1
#define PLUGIN_TAR_SYMLINK 2
#define PLUGIN_TAR_HARDLINK 3
#define PLUGIN_TAR_OTHER 4 /* devices, fifos: listed, never served */

typedef struct plugin_tar_member {
    char *name;     /* normalised: no "./", no "//", never absolute or with ".." */
    char *link;     /* a link's target as an archive path (a symlink's resolved from its directory); NULL
                       otherwise, and for a symlink to the archive's root */
    int type;       /* PLUGIN_TAR_* */
    int64_t offset; /* of the data in the file; of the header for members without data */
    int64_t size;
} plugin_tar_member;

typedef struct plugin_tar_index {
    plugin_tar_member *members; /* sorted by name, one per name: the last one, as extracting would */
    size_t count;
} plugin_tar_index;

/* An unnamed file in the ctx's tmpdir, open for reading and writing:
 * O_TMPFILE, or where the file system lacks it a file unlinked at once, so
 * that nothing is left behind however the process ends. */
int plugin_tar_tmpfile(const ferry_services *svc, ferry_ctx *ctx, const char *label, int *fd);

/* Opens PATH for plugin_tar_index_fd. A regular file that is a plain tar is
 * read in place; a pipe, and an archive compressed with gzip, bzip2, xz or
 * zstd (as skopeo's DecompressStream undoes), is copied once, decompressed,
 * to a plugin_tar_tmpfile: members are read by offset and out of order.
 * A missing PATH is FERRY_ERR_NOT_FOUND, a directory FERRY_ERR_INVALID. */
int plugin_tar_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int *fd);

/* Indexes the plain tar on the seekable fd (from its start; the fd stays the
 * caller's). Names and link targets are normalised; a name that is absolute
 * or climbs out with "..", or a link leading out, refuses the whole archive,
 * as do sparse members, members cut short and more than max_members
 * members. A root "./" directory is skipped. */
int plugin_tar_index_fd(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, size_t max_members,
                        plugin_tar_index *out);
void plugin_tar_index_free(plugin_tar_index *idx);

/* The member called exactly `name` (normalised), or NULL. */
const plugin_tar_member *plugin_tar_lookup(const plugin_tar_index *idx, const char *name);
/* The regular file `name` (normalised here) names, following links inside
 * the archive up to a hop limit (loops end there); NULL when there is none. */
const plugin_tar_member *plugin_tar_resolve(const plugin_tar_index *idx, const char *name);

/* Reads a whole member of at most max bytes (malloc'd, NUL-terminated). */
int plugin_tar_read(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, const plugin_tar_member *m,
                    size_t max, char **data);
/* pread of up to len bytes at off (fewer at end of file); 0, or -1 with errno. */
int plugin_tar_pread_full(int fd, void *buf, size_t len, int64_t off, size_t *got);

#endif /* FERRY_PLUGIN_TARINDEX_H */
