/* plugins/docker-archive/tar.c — the tar format, both ways. Reading indexes
 * the archive in one pass over its headers (ustar, pax 'x' path/linkpath/
 * size records, GNU long names) without extracting anything, and serves
 * members by pread, so a regular file is never copied and readers may run
 * in parallel. A pipe is spooled once to an unlinked file in tmpdir. Every
 * member name and link target is resolved lexically inside the archive;
 * anything absolute or climbing out with ".." refuses the whole archive. */
#include "dockarch.h"

#include "fsutil.h" /* the core's, shared by source: plugins/common/Makefile.inc */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Long names and pax records are held in memory: bound them. */
#define DOCKARCH_EXT_MAX (1024 * 1024)
#define DOCKARCH_LINK_HOPS 16

static int dockarch_pread_full(int fd, void *buf, size_t len, int64_t off, size_t *got)
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

/* Octal (NUL/space terminated) or GNU base-256 numeric field; -1 if bad. */
static int64_t dockarch_tar_number(const unsigned char *f, size_t n)
{
    if (f[0] & 0x80) {
        int64_t v = f[0] & 0x7f;
        for (size_t i = 1; i < n; i++) {
            if (v > (INT64_MAX >> 8))
                return -1;
            v = (v << 8) | f[i];
        }
        return v;
    }
    int64_t v = 0;
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > (INT64_MAX >> 3))
            return -1;
        v = v * 8 + (f[i] - '0');
    }
    if (i < n && f[i] != '\0' && f[i] != ' ')
        return -1;
    return v;
}

/* Pulls a pipe into an unlinked file in tmpdir so that it can be indexed. */
static int dockarch_spool(ferry_ctx *ctx, const char *label, int in, int *out)
{
    const ferry_services *svc = dockarch_services();
    char *tmpl = plugin_util_printf("%s/.ferry-docker-archive-XXXXXX", svc->tmpdir(ctx));
    if (tmpl == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        int status = plugin_util_errno_error(svc, ctx, errno, label, "creating a temporary file in",
                                             svc->tmpdir(ctx));
        free(tmpl);
        return status;
    }
    unlink(tmpl); /* nothing to clean up whatever happens next */
    char *buf = malloc(PLUGIN_UTIL_CHUNK);
    int status = buf == NULL ? svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label) : FERRY_OK;
    uint64_t done = 0;
    while (status == FERRY_OK) {
        if (svc->cancelled(ctx)) {
            status = svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", label);
            break;
        }
        ssize_t n = read(in, buf, PLUGIN_UTIL_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            status = plugin_util_errno_error(svc, ctx, errno, label, "reading", label);
        else if (n == 0)
            break;
        else if (fs_write_all(fd, buf, (size_t)n) != 0)
            status = plugin_util_errno_error(svc, ctx, errno, label, "spooling to", tmpl);
        else {
            done += (uint64_t)n;
            svc->progress(ctx, label, done, -1);
        }
    }
    free(buf);
    free(tmpl);
    if (status != FERRY_OK) {
        close(fd);
        return status;
    }
    *out = fd;
    return FERRY_OK;
}

static int dockarch_add_member(dockarch_archive *ar, size_t *cap, dockarch_member *m)
{
    if (ar->n_members == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        dockarch_member *grown = realloc(ar->members, ncap * sizeof *grown);
        if (grown == NULL)
            return -1;
        ar->members = grown;
        *cap = ncap;
    }
    ar->members[ar->n_members++] = *m;
    return 0;
}

/* Applies the records of a pax extended header we care about. */
static void dockarch_pax_apply(char *data, size_t len, char **path, char **link, int64_t *size)
{
    size_t i = 0;
    while (i < len) {
        char *end = NULL;
        long rec = strtol(data + i, &end, 10);
        if (rec <= 0 || end == NULL || *end != ' ' || (size_t)rec > len - i)
            return;
        char *kv = end + 1;
        char *recend = data + i + rec - 1; /* the '\n' */
        char *eq = memchr(kv, '=', (size_t)(recend - kv));
        if (eq != NULL && *recend == '\n') {
            *recend = '\0';
            *eq = '\0';
            char **slot = strcmp(kv, "path") == 0 ? path : strcmp(kv, "linkpath") == 0 ? link : NULL;
            if (slot != NULL) {
                free(*slot);
                *slot = strdup(eq + 1);
            } else if (strcmp(kv, "size") == 0) {
                *size = strtoll(eq + 1, NULL, 10);
            }
        }
        i += (size_t)rec;
    }
}

/* The index pass. Messages name the archive and say what is wrong. */
static int dockarch_index(ferry_ctx *ctx, dockarch_archive *ar, int64_t file_size)
{
    const ferry_services *svc = dockarch_services();
    unsigned char h[DOCKARCH_TAR_BLOCK];
    size_t cap = 0;
    int64_t off = 0;
    char *long_name = NULL, *long_link = NULL;
    int64_t pax_size = -1;
    int status = FERRY_OK;
    for (;;) {
        size_t got;
        if (dockarch_pread_full(ar->fd, h, sizeof h, off, &got) != 0) {
            status = plugin_util_errno_error(svc, ctx, errno, ar->label, "reading", ar->label);
            break;
        }
        if (got < sizeof h) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: truncated archive (no end-of-archive marker)",
                                    ar->label);
            break;
        }
        int zero = 1;
        for (size_t i = 0; i < sizeof h && zero; i++)
            zero = h[i] == 0;
        if (zero)
            break; /* end of archive */
        int64_t sum = dockarch_tar_number(h + 148, 8), calc = 0;
        for (size_t i = 0; i < sizeof h; i++)
            calc += (i >= 148 && i < 156) ? ' ' : h[i];
        int64_t size = dockarch_tar_number(h + 124, 12);
        if (sum != calc || size < 0) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: not a tar archive or corrupt header at offset %lld",
                                    ar->label, (long long)off);
            break;
        }
        char type = (char)h[156];
        if (pax_size >= 0 && type != 'x' && type != 'L' && type != 'K')
            size = pax_size;
        int64_t data = off + DOCKARCH_TAR_BLOCK;
        int64_t next = data + ((size + DOCKARCH_TAR_BLOCK - 1) / DOCKARCH_TAR_BLOCK) * DOCKARCH_TAR_BLOCK;
        if (data + size > file_size) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: truncated archive (member data cut short)",
                                    ar->label);
            break;
        }
        if (type == 'x' || type == 'L' || type == 'K') {
            if (size > DOCKARCH_EXT_MAX) {
                status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: extended tar header too large", ar->label);
                break;
            }
            char *ext = malloc((size_t)size + 1);
            if (ext == NULL || dockarch_pread_full(ar->fd, ext, (size_t)size, data, &got) != 0 ||
                got != (size_t)size) {
                free(ext);
                status = svc->set_error(ctx, FERRY_ERR_IO, "%s: reading an extended tar header failed", ar->label);
                break;
            }
            ext[size] = '\0';
            if (type == 'x') {
                dockarch_pax_apply(ext, (size_t)size, &long_name, &long_link, &pax_size);
                free(ext);
            } else {
                char **slot = type == 'L' ? &long_name : &long_link;
                free(*slot);
                *slot = ext;
            }
            off = next;
            continue;
        }
        if (type == 'g') { /* global pax header: nothing we use */
            off = next;
            continue;
        }
        /* ustar: name is prefix "/" name when the prefix is set. */
        char name[256 + 2], link[101];
        if (long_name == NULL) {
            const char *magic = (const char *)h + 257;
            if (memcmp(magic, "ustar", 5) == 0 && h[345] != '\0')
                snprintf(name, sizeof name, "%.155s/%.100s", (const char *)h + 345, (const char *)h);
            else
                snprintf(name, sizeof name, "%.100s", (const char *)h);
        }
        snprintf(link, sizeof link, "%.100s", (const char *)h + 157);
        const char *raw_name = long_name != NULL ? long_name : name;
        const char *raw_link = long_link != NULL ? long_link : link;
        dockarch_member m = {.offset = data, .size = size};
        m.type = type == '0' || type == '\0' || type == '7' ? DOCKARCH_MEMBER_FILE
                 : type == '5'                             ? DOCKARCH_MEMBER_DIR
                 : type == '2'                             ? DOCKARCH_MEMBER_SYMLINK
                 : type == '1'                             ? DOCKARCH_MEMBER_HARDLINK
                                                           : DOCKARCH_MEMBER_OTHER;
        m.name = plugin_util_archive_path(NULL, 0, raw_name);
        if (m.name == NULL && errno == EPERM) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: member \"%s\" points outside the archive",
                                    ar->label, raw_name);
            break;
        }
        if (m.name != NULL && m.type == DOCKARCH_MEMBER_SYMLINK) {
            /* A symlink's target is relative to the directory holding it. */
            const char *slash = strrchr(m.name, '/');
            m.link = plugin_util_archive_path(m.name, slash != NULL ? (size_t)(slash - m.name) : 0, raw_link);
        } else if (m.name != NULL && m.type == DOCKARCH_MEMBER_HARDLINK) {
            m.link = plugin_util_archive_path(NULL, 0, raw_link);
        }
        if (m.name != NULL && (m.type == DOCKARCH_MEMBER_SYMLINK || m.type == DOCKARCH_MEMBER_HARDLINK) &&
            m.link == NULL) {
            int perm = errno == EPERM;
            free(m.name);
            if (perm) {
                status = svc->set_error(ctx, FERRY_ERR_INVALID,
                                        "%s: link member \"%s\" -> \"%s\" points outside the archive", ar->label,
                                        raw_name, raw_link);
                break;
            }
            m.name = NULL;
        }
        if (m.name == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ar->label);
            break;
        }
        if (ar->n_members >= DOCKARCH_MEMBERS_MAX || dockarch_add_member(ar, &cap, &m) != 0) {
            free(m.name);
            free(m.link);
            status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: too many archive members", ar->label);
            break;
        }
        free(long_name);
        free(long_link);
        long_name = long_link = NULL;
        pax_size = -1;
        off = next;
    }
    free(long_name);
    free(long_link);
    return status;
}

int dockarch_archive_open(ferry_ctx *ctx, const char *label, const char *path, dockarch_archive *out)
{
    const ferry_services *svc = dockarch_services();
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->label = label;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: archive %s does not exist", label, path);
        return plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int status = plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
        close(fd);
        return status;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s is a directory", label, path);
    }
    if (!S_ISREG(st.st_mode)) {
        int spooled = -1;
        int status = dockarch_spool(ctx, label, fd, &spooled);
        close(fd);
        if (status != FERRY_OK)
            return status;
        fd = spooled;
        if (fstat(fd, &st) != 0) {
            status = plugin_util_errno_error(svc, ctx, errno, label, "reading", path);
            close(fd);
            return status;
        }
    }
    out->fd = fd;
    int status = dockarch_index(ctx, out, (int64_t)st.st_size);
    if (status != FERRY_OK)
        dockarch_archive_close(out);
    return status;
}

void dockarch_archive_close(dockarch_archive *ar)
{
    for (size_t i = 0; i < ar->n_members; i++) {
        free(ar->members[i].name);
        free(ar->members[i].link);
    }
    free(ar->members);
    if (ar->fd >= 0)
        close(ar->fd);
    memset(ar, 0, sizeof *ar);
    ar->fd = -1;
}

const dockarch_member *dockarch_archive_find(const dockarch_archive *ar, const char *name)
{
    char *want = plugin_util_archive_path(NULL, 0, name);
    if (want == NULL)
        return NULL;
    const dockarch_member *found = NULL;
    for (int hop = 0; hop < DOCKARCH_LINK_HOPS; hop++) {
        found = NULL;
        /* The last member of a name wins, as when tar extracts. */
        for (size_t i = ar->n_members; i-- > 0;)
            if (strcmp(ar->members[i].name, want) == 0) {
                found = &ar->members[i];
                break;
            }
        if (found == NULL || found->link == NULL)
            break;
        char *next = strdup(found->link);
        free(want);
        want = next;
        found = NULL;
        if (want == NULL)
            break;
    }
    free(want);
    return found != NULL && found->type == DOCKARCH_MEMBER_FILE ? found : NULL;
}

int dockarch_archive_read(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, size_t max,
                          char **data)
{
    const ferry_services *svc = dockarch_services();
    *data = NULL;
    if (m->size < 0 || (uint64_t)m->size > max)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: %s is larger than %zu bytes", ar->label, m->name, max);
    char *buf = malloc((size_t)m->size + 1);
    if (buf == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ar->label);
    size_t got;
    if (dockarch_pread_full(ar->fd, buf, (size_t)m->size, m->offset, &got) != 0 || got != (size_t)m->size) {
        free(buf);
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: reading %s failed", ar->label, m->name);
    }
    buf[m->size] = '\0';
    *data = buf;
    return FERRY_OK;
}

int dockarch_archive_reader(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m,
                            ferry_reader **out)
{
    return plugin_util_range_reader(dockarch_services(), ctx, ar->fd, m->offset, m->size, ar->label, ar->label, out);
}

int dockarch_tar_header(unsigned char block[DOCKARCH_TAR_BLOCK], const char *name, int64_t size, char type,
                        const char *link)
{
    if (strlen(name) > 100 || (link != NULL && strlen(link) > 100) || size < 0 || size > 077777777777LL)
        return -1;
    memset(block, 0, DOCKARCH_TAR_BLOCK);
    memcpy(block, name, strlen(name));
    snprintf((char *)block + 100, 8, "%07o", type == '2' ? 0 : 0444);
    snprintf((char *)block + 108, 8, "%07o", 0);
    snprintf((char *)block + 116, 8, "%07o", 0);
    snprintf((char *)block + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)block + 136, 12, "%011o", 0);
    block[156] = (unsigned char)type;
    if (link != NULL)
        memcpy(block + 157, link, strlen(link));
    memcpy(block + 257, "ustar\0" "00", 8);
    snprintf((char *)block + 329, 8, "%07o", 0);
    snprintf((char *)block + 337, 8, "%07o", 0);
    unsigned sum = 0;
    memset(block + 148, ' ', 8);
    for (size_t i = 0; i < DOCKARCH_TAR_BLOCK; i++)
        sum += block[i];
    snprintf((char *)block + 148, 8, "%06o", sum);
    block[155] = ' ';
    return 0;
}
