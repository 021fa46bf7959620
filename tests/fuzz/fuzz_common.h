/* tests/fuzz/fuzz_common.h — what the libFuzzer targets share: the input as
 * a C string or as a file, and a real core context (core/plugin/context.c)
 * for the parsers that report through ferry_services. Header-only so that
 * each target stays one source file. */
#ifndef FERRY_FUZZ_COMMON_H
#define FERRY_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plugin/context.h"
#include "plugin/services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as the NUL-terminated string a C caller would pass (it ends at
 * the first NUL byte). malloc'd; abort on OOM, which is not a finding. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The input as a file for the parsers that read a path: a memfd, named by
 * its /proc/self/fd path in `path`. Returns the fd (the caller closes it). */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    int fd = memfd_create("fuzz-input", 0);
    if (fd < 0)
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

/* Reads `reader` to its end, or until more than `bound` bytes came, checking
 * the reader contract of include/ferry/stream.h (abort when broken). *total
 * gets the bytes read, *ended 1 when the end was reached. Returns the last
 * read's status. The reader stays open. */
static inline int fuzz_read_all(ferry_reader *reader, ferry_ctx *ctx, uint64_t bound, uint64_t *total, int *ended)
{
    static unsigned char buf[64 * 1024];
    *total = 0;
    *ended = 0;
    for (;;) {
        size_t n = 0;
        int eos = 0;
        int status = reader->ops->read(reader, ctx, buf, sizeof buf, &n, &eos);
        if (status != FERRY_OK)
            return status;
        if (n > sizeof buf || (n == 0 && !eos))
            abort();
        *total += n;
        if (eos) {
            *ended = 1;
            return FERRY_OK;
        }
        if (*total > bound)
            return FERRY_OK;
    }
}

/* A context as a command gets it: a session in a scratch tmpdir, no options. */
static inline void fuzz_ctx_init(ferry_ctx *ctx)
{
    static ferry_session session;
    session.tmpdir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    ctx_init(ctx, &session, NULL);
}

#endif
