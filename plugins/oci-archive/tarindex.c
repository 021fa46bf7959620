/* plugins/oci-archive/tarindex.c — a tar archive read in place: one pass
 * over the headers with libarchive records each member's data offset and
 * size (seeking over the data, so a 20 GB archive is indexed in moments and
 * never copied), then members are served with pread() from that table.
 *
 * Only what can be served this way is accepted: a tar without compression
 * or sparse members. Names are normalised ("./" and "//" dropped); a member
 * whose name is absolute or has a ".." component, and a link whose target
 * leaves the archive, make the whole archive invalid. Links inside it are
 * recorded but never followed. A pipe is spooled once to an anonymous file
 * in tmpdir, since members must be read out of order. */
#include "ociarch.h"

#include "fsutil.h" /* the core's, shared by source: plugins/common/Makefile.inc */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory part of a normalised name ("" at the top). */
static char *ociarch_dirname(const char *name)
{
    const char *slash = strrchr(name, '/');
    return strndup(name, slash != NULL ? (size_t)(slash - name) : 0);
}

typedef struct ociarch_builder {
    ociarch_member *members;
    size_t count, cap;
} ociarch_builder;

static int ociarch_builder_add(ociarch_builder *b, char *name, int64_t offset, int64_t size, int regular)
{
    if (b->count == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 64;
        ociarch_member *m = realloc(b->members, cap * sizeof *m);
        if (m == NULL)
            return -1;
        b->members = m;
        b->cap = cap;
    }
    /* `offset` of links is their position, which orders duplicates below. */
    b->members[b->count++] = (ociarch_member){.name = name, .offset = offset, .size = size, .regular = regular};
    return 0;
}

static int ociarch_member_cmp(const void *a, const void *b)
{
    const ociarch_member *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Sorts by name and keeps the last member of each name, as extracting the
 * archive would. */
static void ociarch_builder_finish(ociarch_builder *b, ociarch_tar *tar)
{
    if (b->count > 1)
        qsort(b->members, b->count, sizeof *b->members, ociarch_member_cmp);
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (i + 1 < b->count && strcmp(b->members[i].name, b->members[i + 1].name) == 0) {
            free(b->members[i].name);
            continue;
        }
        b->members[n++] = b->members[i];
    }
    tar->members = b->members;
    tar->count = n;
    b->members = NULL;
    b->count = b->cap = 0;
}

static void ociarch_builder_free(ociarch_builder *b)
{
    for (size_t i = 0; i < b->count; i++)
        free(b->members[i].name);
    free(b->members);
}

/* Checks one header and records it. Returns FERRY_OK or an error already
 * reported. */
static int ociarch_index_entry(const ferry_services *svc, ferry_ctx *ctx, const char *label, struct archive *a,
                               struct archive_entry *e, int64_t file_size, ociarch_builder *b)
{
    const char *raw = archive_entry_pathname(e);
    if (raw == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive member without a usable name", label);
    errno = 0;
    char *name = plugin_util_archive_path(NULL, 0, raw);
    if (name == NULL) {
        /* The archive root itself ("./") is harmless; anything else is not. */
        if (strspn(raw, "./") == strlen(raw) && strstr(raw, "..") == NULL && raw[0] != '/' &&
            archive_entry_filetype(e) == AE_IFDIR)
            return FERRY_OK;
        if (errno == ENOMEM)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive member \"%s\" points outside the archive", label,
                              raw);
    }
    int status = FERRY_OK;
    const char *hardlink = archive_entry_hardlink(e);
    const char *symlink = archive_entry_symlink(e);
    mode_t type = archive_entry_filetype(e);
    int64_t pos = archive_read_header_position(a);
    if (hardlink != NULL || symlink != NULL) {
        char *dir = symlink != NULL ? ociarch_dirname(name) : NULL;
        char *target = hardlink != NULL ? plugin_util_archive_path(NULL, 0, hardlink)
                                        : dir != NULL ? plugin_util_archive_path(dir[0] != '\0' ? dir : NULL, strlen(dir), symlink)
                                                      : NULL;
        /* A symlink to "." or a directory inside is harmless but useless. */
        if (target == NULL && (symlink == NULL || symlink[0] == '/' || strstr(symlink, "..") != NULL))
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive member \"%s\" links outside the archive (%s)",
                                    label, raw, hardlink != NULL ? hardlink : symlink);
        free(dir);
        free(target);
        if (status == FERRY_OK && ociarch_builder_add(b, name, pos, 0, 0) == 0)
            return FERRY_OK;
    } else if (type == AE_IFDIR) {
        free(name);
        return FERRY_OK;
    } else if (type == AE_IFREG) {
        int64_t offset = archive_filter_bytes(a, 0); /* the header was consumed: data follows */
        int64_t size = archive_entry_size(e);
        if (archive_entry_sparse_count(e) > 0)
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: archive member \"%s\" is a sparse file", label,
                                    raw);
        else if (offset < 0 || size < 0 || offset > file_size || size > file_size - offset)
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive is truncated (member \"%s\")", label, raw);
        else if (ociarch_builder_add(b, name, offset, size, 1) == 0)
            return FERRY_OK;
    } else if (ociarch_builder_add(b, name, pos, 0, 0) == 0) {
        return FERRY_OK;
    }
    free(name);
    return status != FERRY_OK ? status : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
}

/* One pass over the headers of the tar open on tar->fd. */
static int ociarch_index(const ferry_services *svc, ferry_ctx *ctx, const char *label, ociarch_tar *tar,
                         int64_t file_size)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    ociarch_builder b = {0};
    int status = FERRY_OK;
    if (archive_read_open_fd(a, tar->fd, 64 * 1024) != ARCHIVE_OK) {
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: not a tar archive: %s", label, archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    for (;;) {
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            const char *why = archive_error_string(a);
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid tar archive %s: %s", label, tar->path,
                                    why != NULL ? why : "read error");
            goto out;
        }
        if (archive_filter_count(a) != 1 || archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE) {
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: %s is a compressed (%s) archive; only plain tar "
                                    "is supported", label, tar->path, archive_filter_name(a, 0));
            goto out;
        }
        if (b.count >= OCIARCH_MAX_MEMBERS) {
            status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: archive has more than %d members", label,
                                    OCIARCH_MAX_MEMBERS);
            goto out;
        }
        status = ociarch_index_entry(svc, ctx, label, a, e, file_size, &b);
        if (status != FERRY_OK)
            goto out;
        if (svc->cancelled(ctx)) {
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", label);
            goto out;
        }
    }
    ociarch_builder_finish(&b, tar);
out:
    ociarch_builder_free(&b);
    archive_read_free(a);
    return status;
}

/* Copies a non-seekable input into an anonymous file in tmpdir. */
static int ociarch_spool(const ferry_services *svc, ferry_ctx *ctx, const char *label, int in, int *outfd)
{
    const char *dir = svc->tmpdir(ctx);
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "creating a temporary file in", dir);
    char *buf = malloc(PLUGIN_UTIL_CHUNK);
    int status = buf != NULL ? FERRY_OK : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    uint64_t done = 0;
    while (status == FERRY_OK) {
        ssize_t n = read(in, buf, PLUGIN_UTIL_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            status = plugin_util_errno_error(svc, ctx, errno, label, "reading", "the archive");
        else if (n == 0)
            break;
        else if (fs_write_all(fd, buf, (size_t)n) != 0)
            status = plugin_util_errno_error(svc, ctx, errno, label, "writing a temporary file in", dir);
        else if (svc->cancelled(ctx))
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", label);
        done += (uint64_t)(n > 0 ? n : 0);
        svc->progress(ctx, label, done, -1);
    }
    free(buf);
    if (status == FERRY_OK && lseek(fd, 0, SEEK_SET) != 0) /* libarchive reads from the current offset */
        status = plugin_util_errno_error(svc, ctx, errno, label, "rewinding a temporary file in", dir);
    if (status != FERRY_OK) {
        close(fd);
        return status;
    }
    *outfd = fd;
    return FERRY_OK;
}

int ociarch_tar_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path,
                     ociarch_tar *tar)
{
    memset(tar, 0, sizeof *tar);
    tar->fd = -1;
    tar->path = strdup(path);
    if (tar->path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no such archive %s", label, path);
        return plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return plugin_util_errno_error(svc, ctx, err, label, "inspecting", path);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is a directory, not an archive", label, path);
    }
    if (!S_ISREG(st.st_mode)) {
        int spooled = -1;
        int status = ociarch_spool(svc, ctx, label, fd, &spooled);
        close(fd);
        if (status != FERRY_OK)
            return status;
        fd = spooled;
        if (fstat(fd, &st) != 0)
            return plugin_util_errno_error(svc, ctx, errno, label, "inspecting", "the spooled archive");
    }
    tar->fd = fd;
    return ociarch_index(svc, ctx, label, tar, (int64_t)st.st_size);
}

void ociarch_tar_close(ociarch_tar *tar)
{
    for (size_t i = 0; i < tar->count; i++)
        free(tar->members[i].name);
    free(tar->members);
    if (tar->fd >= 0)
        close(tar->fd);
    free(tar->path);
    memset(tar, 0, sizeof *tar);
    tar->fd = -1;
}

int ociarch_tar_find(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                     const char *name, const char *what, const ociarch_member **out)
{
    ociarch_member key = {.name = (char *)name};
    size_t lo = 0, hi = tar->count;
    *out = NULL;
    while (lo < hi) { /* names are unique after ociarch_builder_finish */
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key.name, tar->members[mid].name);
        if (c == 0) {
            if (!tar->members[mid].regular)
                return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s (%s) is not a regular file in %s", label, what,
                                      name, tar->path);
            *out = &tar->members[mid];
            return FERRY_OK;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: %s not found (no %s in %s)", label, what, name, tar->path);
}

/* ---- member readers ---- */

int ociarch_tar_reader(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                       const ociarch_member *m, ferry_reader **out)
{
    return plugin_util_range_reader(svc, ctx, tar->fd, m->offset, m->size, label, tar->path, out);
}

int ociarch_tar_slurp(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                      const ociarch_member *m, size_t max, char **data)
{
    *data = NULL;
    if (m->size < 0 || (uint64_t)m->size > max)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: %s is larger than %zu MiB", label, m->name, max >> 20);
    char *buf = malloc((size_t)m->size + 1);
    if (buf == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    size_t done = 0;
    while (done < (size_t)m->size) {
        ssize_t n = pread(tar->fd, buf + done, (size_t)m->size - done, (off_t)(m->offset + (int64_t)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            if (n == 0)
                return svc->set_error(ctx, FERRY_ERR_IO, "%s: %s: archive is truncated", label, tar->path);
            return plugin_util_errno_error(svc, ctx, errno, label, "reading", tar->path);
        }
        done += (size_t)n;
    }
    buf[done] = '\0';
    *data = buf;
    return FERRY_OK;
}
