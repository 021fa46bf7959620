/* plugins/common/tarindex.c — a tar archive read in place, for the archive
 * transports: one pass over the headers with libarchive records each
 * member's data offset and size (seeking over the data, so a 20 GB archive
 * is indexed in moments and never copied), then members are served with
 * pread() from that table, so that readers may run in parallel.
 *
 * Only what can be served this way is indexed: a tar without compression
 * or sparse members. Names are normalised ("./" and "//" dropped); a member
 * whose name is absolute or has a ".." component, and a link whose target
 * leaves the archive, make the whole archive invalid. Links inside it are
 * recorded with their resolved target (plugin_tar_resolve follows them). A
 * pipe, and an archive compressed with gzip, bzip2, xz or zstd (which
 * skopeo reads too), is first copied once, decompressed, to an unnamed file
 * in tmpdir, since members must be read out of order. */
#include "tarindex.h"

#include "shared/fsutil.h"
#include "plugin_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Links followed by plugin_tar_resolve before giving up (a loop). */
#define PLUGIN_TAR_LINK_HOPS 16
/* Bounds the names and link targets held in memory against a hostile
 * archive (libarchive itself refuses a single name over 1 MiB). */
#define PLUGIN_TAR_NAMES_MAX ((size_t)256 * 1024 * 1024)
/* libarchive's read block. */
#define PLUGIN_TAR_BLOCK (64 * 1024)

int plugin_tar_pread_full(int fd, void *buf, size_t len, int64_t off, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(fd, (char *)buf + *got, len - *got, (off_t)(off + (int64_t)*got));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* ---- the member table ---- */

typedef struct plugin_tar_builder {
    plugin_tar_member *members;
    size_t count, cap;
    size_t name_bytes; /* of names and link targets, against PLUGIN_TAR_NAMES_MAX */
} plugin_tar_builder;

static void plugin_tar_member_free(plugin_tar_member *m)
{
    free(m->name);
    free(m->link);
}

static int plugin_tar_builder_add(plugin_tar_builder *b, const plugin_tar_member *m)
{
    if (b->count == b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 64;
        plugin_tar_member *grown = realloc(b->members, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        b->members = grown;
        b->cap = cap;
    }
    b->members[b->count++] = *m;
    return 0;
}

/* By name, then by position in the archive (offsets grow with it). */
static int plugin_tar_member_cmp(const void *a, const void *b)
{
    const plugin_tar_member *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Sorts by name and keeps the last member of each name, as extracting the
 * archive would. */
static void plugin_tar_builder_finish(plugin_tar_builder *b, plugin_tar_index *out)
{
    if (b->count > 1)
        qsort(b->members, b->count, sizeof *b->members, plugin_tar_member_cmp);
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (i + 1 < b->count && strcmp(b->members[i].name, b->members[i + 1].name) == 0)
            plugin_tar_member_free(&b->members[i]);
        else
            b->members[n++] = b->members[i];
    }
    out->members = b->members;
    out->count = n;
    memset(b, 0, sizeof *b);
}

static void plugin_tar_builder_free(plugin_tar_builder *b)
{
    for (size_t i = 0; i < b->count; i++)
        plugin_tar_member_free(&b->members[i]);
    free(b->members);
    memset(b, 0, sizeof *b);
}

void plugin_tar_index_free(plugin_tar_index *idx)
{
    for (size_t i = 0; i < idx->count; i++)
        plugin_tar_member_free(&idx->members[i]);
    free(idx->members);
    idx->members = NULL;
    idx->count = 0;
}

/* ---- the index pass ---- */

/* "." or "./" and the like: the archive's root, as `tar -C DIR -cf X .` writes it. */
static int plugin_tar_is_root(const char *raw)
{
    return raw[0] != '\0' && strspn(raw, "./") == strlen(raw) && strstr(raw, "..") == NULL;
}

/* Checks one header and records it. Returns FERRY_OK or an error already
 * reported. */
static int plugin_tar_entry(const ferry_services *svc, ferry_ctx *ctx, const char *label, struct archive *a,
                            struct archive_entry *e, int64_t file_size, plugin_tar_builder *b)
{
    const char *raw = archive_entry_pathname(e);
    if (raw == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive member without a usable name", label);
    mode_t type = archive_entry_filetype(e);
    plugin_tar_member m = {.offset = archive_read_header_position(a)};
    errno = 0;
    m.name = plugin_util_archive_path(NULL, 0, raw);
    if (m.name == NULL) {
        if (errno == ENOMEM)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        if (type == AE_IFDIR && plugin_tar_is_root(raw)) /* harmless; anything else is not */
            return FERRY_OK;
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive member \"%s\" points outside the archive", label,
                              raw);
    }
    int status = FERRY_OK;
    const char *hardlink = archive_entry_hardlink(e); /* checked first: libarchive types them as files */
    const char *symlink = archive_entry_symlink(e);
    if (hardlink != NULL || symlink != NULL) {
        m.type = hardlink != NULL ? PLUGIN_TAR_HARDLINK : PLUGIN_TAR_SYMLINK;
        /* A symlink's target is relative to the directory holding it. */
        const char *slash = hardlink != NULL ? NULL : strrchr(m.name, '/');
        errno = 0;
        m.link = plugin_util_archive_path(slash != NULL ? m.name : NULL, slash != NULL ? (size_t)(slash - m.name) : 0,
                                          hardlink != NULL ? hardlink : symlink);
        if (m.link == NULL && errno == ENOMEM)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        /* A symlink to the root ("." or "dir/..") is harmless but useless. */
        else if (m.link == NULL && (hardlink != NULL || symlink[0] == '/' || strstr(symlink, "..") != NULL))
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive member \"%s\" links outside the archive (%s)",
                                    label, raw, hardlink != NULL ? hardlink : symlink);
    } else if (type == AE_IFREG) {
        m.type = PLUGIN_TAR_FILE;
        m.offset = archive_filter_bytes(a, 0); /* the header was consumed: data follows */
        m.size = archive_entry_size(e);
        if (archive_entry_sparse_count(e) > 0)
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: archive member \"%s\" is a sparse file", label,
                                    raw);
        else if (m.offset < 0 || m.size < 0 || m.offset > file_size || m.size > file_size - m.offset)
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive is truncated (member \"%s\")", label, raw);
    } else {
        m.type = type == AE_IFDIR ? PLUGIN_TAR_DIR : PLUGIN_TAR_OTHER;
    }
    if (status == FERRY_OK) {
        b->name_bytes += strlen(m.name) + 1 + (m.link != NULL ? strlen(m.link) + 1 : 0);
        if (b->name_bytes > PLUGIN_TAR_NAMES_MAX)
            status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: archive member names take more than %zu MiB",
                                    label, PLUGIN_TAR_NAMES_MAX >> 20);
        else if (plugin_tar_builder_add(b, &m) == 0)
            return FERRY_OK;
        else
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    plugin_tar_member_free(&m);
    return status;
}

/* The compression of a file that did not read as a tar, by its magic number
 * (libarchive's names), or NULL. Nothing is decompressed for this: a
 * decoder's memory comes from the header (an lzma dictionary may ask for
 * 4 GiB), which a better error message is not worth. */
static const char *plugin_tar_compression(int fd)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *name;
    } magics[] = {
        {"\x1f\x8b", 2, "gzip"},          {"BZh", 3, "bzip2"},       {"\xfd" "7zXZ", 6, "xz"},
        {"\x28\xb5\x2f\xfd", 4, "zstd"},  {"\x1f\x9d", 2, "compress (.Z)"}, {"\x04\x22\x4d\x18", 4, "lz4"},
        {"LZIP", 4, "lzip"},              {"\x89LZO", 4, "lzop"},    {"LRZI", 4, "lrzip"},
    };
    unsigned char head[13];
    size_t got = 0;
    if (plugin_tar_pread_full(fd, head, sizeof head, 0, &got) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (got >= magics[i].len && memcmp(head, magics[i].magic, magics[i].len) == 0)
            return magics[i].name;
    /* lzma (alone) has no magic: libarchive's test is properties up to 224
     * and a dictionary size of 2^n or 2^n + 2^(n-1). */
    if (got == sizeof head && head[0] <= 224) {
        uint32_t dict = (uint32_t)head[1] | (uint32_t)head[2] << 8 | (uint32_t)head[3] << 16 | (uint32_t)head[4] << 24;
        for (int n = 12; n < 32; n++)
            if (dict == (uint32_t)1 << n || dict == ((uint32_t)1 << n) + ((uint32_t)1 << (n - 1)))
                return "lzma";
    }
    return NULL;
}

/* Reports a file that is not a plain tar: compressed (named), else `why`. */
static int plugin_tar_not_tar(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, const char *what,
                              const char *why)
{
    const char *compression = plugin_tar_compression(fd);
    if (compression != NULL)
        return svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                              "%s: the archive is compressed with %s; only plain tar or gzip, bzip2, xz and zstd are "
                              "supported", label, compression);
    return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: %s", label, what, why != NULL ? why : "read error");
}

int plugin_tar_index_fd(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, size_t max_members,
                        plugin_tar_index *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (fstat(fd, &st) != 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "inspecting", "the archive");
    if (lseek(fd, 0, SEEK_SET) != 0) /* libarchive reads from the current offset */
        return plugin_util_errno_error(svc, ctx, errno, label, "rewinding", "the archive");
    struct archive *a = archive_read_new();
    if (a == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    /* No decompression filter: the input is a plain tar (plugin_tar_open has
     * unpacked the compressions skopeo reads). */
    archive_read_support_format_tar(a);
    plugin_tar_builder b = {0};
    int status = FERRY_OK;
    if (archive_read_open_fd(a, fd, PLUGIN_TAR_BLOCK) != ARCHIVE_OK) {
        status = plugin_tar_not_tar(svc, ctx, label, fd, "not a tar archive", archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    for (;;) {
        int rc = archive_read_next_header(a, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            const char *why = archive_error_string(a);
            why = why != NULL ? why : "read error";
            if (strcasestr(why, "truncated") != NULL) /* libarchive's "Truncated tar archive" */
                status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: archive is truncated", label);
            else if (b.count == 0)
                status = plugin_tar_not_tar(svc, ctx, label, fd, "invalid tar archive", why);
            else
                status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid tar archive: %s", label, why);
            goto out;
        }
        if (b.count >= max_members) {
            status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: archive has more than %zu members", label,
                                    max_members);
            goto out;
        }
        status = plugin_tar_entry(svc, ctx, label, a, e, (int64_t)st.st_size, &b);
        if (status != FERRY_OK)
            goto out;
        if (svc->cancelled(ctx)) {
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", label);
            goto out;
        }
    }
    plugin_tar_builder_finish(&b, out);
out:
    plugin_tar_builder_free(&b);
    archive_read_free(a);
    return status;
}

/* ---- opening: in place, or spooled to tmpdir ---- */

int plugin_tar_tmpfile(const ferry_services *svc, ferry_ctx *ctx, const char *label, int *outfd)
{
    const char *dir = svc->tmpdir(ctx);
    *outfd = -1;
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        char *tmpl = plugin_util_printf("%s/.ferry-tar-XXXXXX", dir);
        if (tmpl == NULL)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd >= 0)
            unlink(tmpl);
        free(tmpl);
    }
    if (fd < 0) /* a missing tmpdir is an I/O error, not a missing image (exit 2) */
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: creating a temporary file in %s: %s", label, dir,
                              strerror(errno));
    *outfd = fd;
    return FERRY_OK;
}

/* The compressions skopeo's DecompressStream undoes (gzip, bzip2, xz,
 * zstd); libarchive detects them by their magic numbers. */
static struct archive *plugin_tar_filter_reader(void)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        return NULL;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_raw(a); /* the decompressed bytes as they are */
    return a;
}

/* Makes `in` something that can be indexed in place. A regular file that is
 * a plain tar is left alone (*outfd = -1, rewound). A compressed file, and
 * any pipe, is copied once, decompressed on the way, into a
 * plugin_tar_tmpfile (*outfd, rewound). Only the libarchive window is held
 * in memory; a decompression bomb is bounded by the space in tmpdir. */
static int plugin_tar_spool(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int in,
                            int seekable, int *outfd)
{
    *outfd = -1;
    struct archive *a = plugin_tar_filter_reader();
    if (a == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int status = FERRY_OK, fd = -1;
    struct archive_entry *e;
    char *buf = NULL;
    if (archive_read_open_fd(a, in, PLUGIN_TAR_BLOCK) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
        const char *why = archive_error_string(a);
        /* An empty or unreadable plain file: the tar reader words it. */
        if (!seekable || archive_filter_count(a) != 1)
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid archive %s: %s", label, path,
                                    why != NULL ? why : "empty input");
        goto out;
    }
    int filters = archive_filter_count(a); /* the raw input counts as one */
    if (filters > 2) {
        status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: %s is compressed more than once (%s over %s)", label,
                                path, archive_filter_name(a, 0), archive_filter_name(a, 1));
        goto out;
    }
    if (filters == 1 && seekable)
        goto out; /* a plain tar: read in place */
    status = plugin_tar_tmpfile(svc, ctx, label, &fd);
    if (status != FERRY_OK)
        goto out;
    buf = malloc(PLUGIN_UTIL_CHUNK);
    if (buf == NULL) {
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        goto out;
    }
    const char *what = filters > 1 ? "decompressing" : "reading";
    uint64_t done = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, PLUGIN_UTIL_CHUNK);
        if (n == 0)
            break;
        if (n < 0) {
            const char *why = archive_error_string(a);
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s %s: %s", label, what, path,
                                    why != NULL ? why : "read error");
            break;
        }
        if (fs_write_all(fd, buf, (size_t)n) != 0) {
            status = plugin_util_errno_error(svc, ctx, errno, label, "writing a temporary file in", svc->tmpdir(ctx));
            break;
        }
        if (svc->cancelled(ctx)) {
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", label);
            break;
        }
        done += (uint64_t)n;
        svc->progress(ctx, label, done, -1);
    }
out:
    free(buf);
    archive_read_free(a);
    if (status == FERRY_OK && fd < 0 && seekable && lseek(in, 0, SEEK_SET) != 0)
        status = plugin_util_errno_error(svc, ctx, errno, label, "rewinding", path);
    if (status != FERRY_OK && fd >= 0)
        close(fd);
    else if (status == FERRY_OK)
        *outfd = fd;
    return status;
}

int plugin_tar_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int *outfd)
{
    *outfd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no such archive %s", label, path);
        return plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
    }
    struct stat st;
    int status = FERRY_OK, copy = -1;
    if (fstat(fd, &st) != 0)
        status = plugin_util_errno_error(svc, ctx, errno, label, "inspecting", path);
    else if (S_ISDIR(st.st_mode))
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is a directory, not an archive", label, path);
    else
        status = plugin_tar_spool(svc, ctx, label, path, fd, S_ISREG(st.st_mode), &copy);
    if (status != FERRY_OK || copy >= 0) {
        close(fd);
        fd = copy;
    }
    if (status == FERRY_OK)
        *outfd = fd;
    return status;
}

/* ---- lookups and reads ---- */

const plugin_tar_member *plugin_tar_lookup(const plugin_tar_index *idx, const char *name)
{
    size_t lo = 0, hi = idx->count;
    while (lo < hi) { /* names are unique after plugin_tar_builder_finish */
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, idx->members[mid].name);
        if (c == 0)
            return &idx->members[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const plugin_tar_member *plugin_tar_resolve(const plugin_tar_index *idx, const char *name)
{
    char *want = plugin_util_archive_path(NULL, 0, name);
    const char *cur = want;
    const plugin_tar_member *m = NULL;
    for (int hop = 0; cur != NULL && hop < PLUGIN_TAR_LINK_HOPS; hop++) {
        m = plugin_tar_lookup(idx, cur);
        if (m == NULL || (m->type != PLUGIN_TAR_SYMLINK && m->type != PLUGIN_TAR_HARDLINK))
            break;
        cur = m->link; /* already resolved inside the archive; NULL for the root */
        m = NULL;
    }
    free(want);
    return m != NULL && m->type == PLUGIN_TAR_FILE ? m : NULL;
}

int plugin_tar_read(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, const plugin_tar_member *m,
                    size_t max, char **data)
{
    *data = NULL;
    if (m->size < 0 || (uint64_t)m->size > max)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: %s is larger than %zu bytes", label, m->name, max);
    char *buf = malloc((size_t)m->size + 1);
    if (buf == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    size_t got;
    if (plugin_tar_pread_full(fd, buf, (size_t)m->size, m->offset, &got) != 0) {
        int err = errno;
        free(buf);
        return plugin_util_errno_error(svc, ctx, err, label, "reading", m->name);
    }
    if (got != (size_t)m->size) {
        free(buf);
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: reading %s: the archive is truncated", label, m->name);
    }
    buf[got] = '\0';
    *data = buf;
    return FERRY_OK;
}
