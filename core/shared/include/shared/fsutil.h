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

#endif
