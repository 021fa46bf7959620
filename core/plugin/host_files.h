/* core/plugin/host_files.h — the file services of ABI 1.4 offered to
 * modules (see <ferry/services.h> for their contracts). */
#ifndef FERRY_CORE_HOST_FILES_H
#define FERRY_CORE_HOST_FILES_H

#include <ferry/services.h>

int host_file_reader_open(ferry_ctx *ctx, int dirfd, const char *dirpath, const char *name, const char *label,
                          const char *what, ferry_reader **out);
int host_memory_reader_new(ferry_ctx *ctx, const char *label, const void *data, size_t len,
                           void (*release)(void *data), ferry_reader **out);
int host_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, int replace);
int host_mkdir_p(const char *path);

#endif
