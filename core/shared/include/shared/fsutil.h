/* core/shared/include/shared/fsutil.h — small file-system helpers: whole-file
 * reads, full writes and atomic replacement. */
#ifndef FERRY_SHARED_FSUTIL_H
#define FERRY_SHARED_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "shared/strbuf.h"

/* Writes data to path through a temporary file in the same directory and a
 * rename, so readers see the old content or the new, never a part. 0 or -1
 * with a message naming the file in err. */
int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t errcap);

/* Appends the whole content of the file at path to out: 0, or -1 with errno
 * set (ENOMEM when out ran out of memory). */
int fs_read_file(const char *path, strbuf *out);

/* Writes all of data to fd, retrying short writes. 0 or -1 (errno set). */
int fs_write_all(int fd, const void *data, size_t len);

/* ---- directory-relative primitives (fsutil_at.c); 0/fd or -1 with errno ---- */

/* Room for a temporary file name made by fs_create_temp. */
#define FS_TMPNAME_MAX 96

/* mkdir -p with mode 0755 (umask applies); existing directories are fine,
 * ENOTDIR when path exists as something else. */
int fs_mkdir_p(const char *path);

/* Writes PREFIX followed by 12 random hex digits into name (cap bytes). */
int fs_random_name(const char *prefix, char *name, size_t cap);

/* Creates a new file dirfd/PREFIX<random> (O_EXCL, mode 0644 minus umask,
 * opened for writing) and stores its name in name. Returns the fd or -1. */
int fs_create_temp(int dirfd, const char *prefix, char *name, size_t cap);

/* Renames olddirfd/oldname to newdirfd/newname unless the latter exists, in
 * which case oldname is removed instead (content-addressed files: whoever
 * came first wins, nothing is rewritten). */
int fs_publish_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname);

/* Writes dirfd/name through a temporary file, fsync and rename, so that
 * readers see the old content or the new one. With replace == 0 an existing
 * file is kept (content-addressed data: it is already right). The directory
 * itself is not fsynced. */
int fs_write_file_at(int dirfd, const char *name, const void *data, size_t len, int replace);

#endif
