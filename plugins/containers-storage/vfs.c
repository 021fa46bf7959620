/* plugins/containers-storage/vfs.c — the vfs driver's layer directories:
 * GRAPHROOT/vfs/dir/ID, empty (mode 0555) for a base layer, else a full copy
 * of the parent's tree as c/storage's dirCopy makes it: every file type,
 * modes, owners, times and extended attributes kept, hard links within the
 * tree kept as hard links, file data shared by reflink where the file system
 * can (else copy_file_range, else read/write). */
#include "cs_drivers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "plugin_util.h"
#include "shared/fsutil.h"

/* Hard links seen so far: (dev, ino) of a source file with more than one
 * link and where its first copy went. */
typedef struct cs_vfs_link {
    dev_t dev;
    ino_t ino;
    char *dst;
} cs_vfs_link;

typedef struct cs_vfs_copy {
    cs_vfs_link *links;
    size_t n, cap;
    char src[PATH_MAX], dst[PATH_MAX];
    const char *failed; /* what failed, for the message; path in src or dst */
    int failed_dst;
} cs_vfs_copy;

static int cs_vfs_fail(cs_vfs_copy *c, const char *what, int on_dst)
{
    int err = errno;
    c->failed = what;
    c->failed_dst = on_dst;
    errno = err;
    return -1;
}

static int cs_vfs_xattrs(cs_vfs_copy *c)
{
    char names[8192];
    ssize_t n = llistxattr(c->src, names, sizeof names);
    if (n < 0)
        return errno == ENOTSUP || errno == ENODATA ? 0 : cs_vfs_fail(c, "listing extended attributes of", 0);
    for (ssize_t off = 0; off < n; off += (ssize_t)strlen(names + off) + 1) {
        char val[65536];
        ssize_t vlen = lgetxattr(c->src, names + off, val, sizeof val);
        if (vlen < 0)
            return cs_vfs_fail(c, "reading extended attributes of", 0);
        if (lsetxattr(c->dst, names + off, val, (size_t)vlen, 0) != 0)
            return cs_vfs_fail(c, "setting extended attributes on", 1);
    }
    return 0;
}

static int cs_vfs_data(int in, int out, off_t size)
{
    if (ioctl(out, FICLONE, in) == 0)
        return 0;
    off_t left = size;
    while (left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0)
            break;
        left -= n;
    }
    if (left == 0)
        return 0;
    /* A file system (or kernel) without copy_file_range for these: copy the rest by hand. */
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        if (fs_write_all(out, buf, (size_t)n) != 0)
            return -1;
    }
}

static int cs_vfs_regular(cs_vfs_copy *c, const struct stat *st)
{
    if (st->st_nlink > 1) {
        for (size_t i = 0; i < c->n; i++) {
            if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
                return link(c->links[i].dst, c->dst) == 0 ? 1 : cs_vfs_fail(c, "linking", 1);
        }
    }
    int in = open(c->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return cs_vfs_fail(c, "opening", 0);
    int out = open(c->dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return cs_vfs_fail(c, "creating", 1);
    }
    int rc = cs_vfs_data(in, out, st->st_size) == 0 ? 0 : cs_vfs_fail(c, "copying", 1);
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = cs_vfs_fail(c, "writing", 1);
    if (rc == 0 && st->st_nlink > 1) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            cs_vfs_link *nl = realloc(c->links, cap * sizeof *nl);
            if (!nl)
                return cs_vfs_fail(c, "copying", 1);
            c->links = nl;
            c->cap = cap;
        }
        if (!(c->links[c->n].dst = strdup(c->dst)))
            return cs_vfs_fail(c, "copying", 1);
        c->links[c->n].dev = st->st_dev;
        c->links[c->n++].ino = st->st_ino;
    }
    return rc;
}

/* Owner, xattrs, mode (after chown, which clears setuid bits), times. */
static int cs_vfs_meta(cs_vfs_copy *c, const struct stat *st)
{
    if (lchown(c->dst, st->st_uid, st->st_gid) != 0)
        return cs_vfs_fail(c, "changing the owner of", 1);
    if (cs_vfs_xattrs(c) != 0)
        return -1;
    if (!S_ISLNK(st->st_mode) && chmod(c->dst, st->st_mode & 07777) != 0)
        return cs_vfs_fail(c, "changing the mode of", 1);
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (utimensat(AT_FDCWD, c->dst, ts, AT_SYMLINK_NOFOLLOW) != 0)
        return cs_vfs_fail(c, "setting the times of", 1);
    return 0;
}

static int cs_vfs_tree(cs_vfs_copy *c);

/* Copies c->src to c->dst (which does not exist yet, except for the top). */
static int cs_vfs_entry(cs_vfs_copy *c, int top)
{
    struct stat st;
    if (lstat(c->src, &st) != 0)
        return cs_vfs_fail(c, "reading", 0);
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        if (!top && mkdir(c->dst, 0700) != 0)
            return cs_vfs_fail(c, "creating", 1);
        rc = cs_vfs_tree(c);
    } else if (S_ISREG(st.st_mode)) {
        rc = cs_vfs_regular(c, &st);
        if (rc == 1)
            return 0; /* a hard link shares the first copy's metadata */
    } else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(c->src, target, sizeof target - 1);
        if (n < 0)
            return cs_vfs_fail(c, "reading", 0);
        target[n] = '\0';
        if (symlink(target, c->dst) != 0)
            return cs_vfs_fail(c, "creating", 1);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
        if (mknod(c->dst, st.st_mode, st.st_rdev) != 0)
            return cs_vfs_fail(c, "creating", 1);
    }
    return rc != 0 ? rc : cs_vfs_meta(c, &st);
}

static int cs_vfs_tree(cs_vfs_copy *c)
{
    DIR *d = opendir(c->src);
    if (!d)
        return cs_vfs_fail(c, "reading", 0);
    size_t sl = strlen(c->src), dl = strlen(c->dst);
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        size_t nl = strlen(de->d_name);
        if (sl + nl + 2 > sizeof c->src || dl + nl + 2 > sizeof c->dst) {
            errno = ENAMETOOLONG;
            rc = cs_vfs_fail(c, "copying", 0);
            break;
        }
        c->src[sl] = c->dst[dl] = '/';
        memcpy(c->src + sl + 1, de->d_name, nl + 1);
        memcpy(c->dst + dl + 1, de->d_name, nl + 1);
        rc = cs_vfs_entry(c, 0);
        if (rc == 0) {
            c->src[sl] = c->dst[dl] = '\0';
        }
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = cs_vfs_fail(c, "reading", 0);
    closedir(d);
    return rc;
}

/* dst, already made, gets src's tree and src's own metadata. */
static int cs_vfs_copy_tree(const ferry_services *svc, ferry_ctx *ctx, const char *src, const char *dst)
{
    cs_vfs_copy *c = calloc(1, sizeof *c);
    if (!c)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    snprintf(c->src, sizeof c->src, "%s", src);
    snprintf(c->dst, sizeof c->dst, "%s", dst);
    int rc = cs_vfs_entry(c, 1) == 0 ? FERRY_OK
                                     : plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, c->failed,
                                                               c->failed_dst ? c->dst : c->src);
    for (size_t i = 0; i < c->n; i++)
        free(c->links[i].dst);
    free(c->links);
    free(c);
    return rc;
}

static char *cs_vfs_diff_path(const cs_store *st, const char *id)
{
    return plugin_util_printf("%s/vfs/dir/%s", st->graphroot, id);
}

static int cs_vfs_remove(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id)
{
    return cs_driver_remove_dir(svc, ctx, st, "vfs/dir", id);
}

static int cs_vfs_create(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id,
                         const char *parent, char **diff_path)
{
    *diff_path = NULL;
    int rc = cs_driver_check_id(svc, ctx, id);
    if (rc == FERRY_OK && parent)
        rc = cs_driver_check_id(svc, ctx, parent);
    if (rc != FERRY_OK)
        return rc;
    static const char *const dirs[] = {"vfs", "vfs/dir"};
    for (size_t i = 0; i < 2; i++) {
        if (mkdirat(st->graph_fd, dirs[i], 0700) != 0 && errno != EEXIST)
            return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating", st->graphroot, dirs[i]);
    }
    char *dst = cs_vfs_diff_path(st, id), *src = parent ? cs_vfs_diff_path(st, parent) : NULL;
    if (!dst || (parent && !src)) {
        free(dst);
        free(src);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    }
    if (mkdir(dst, 0700) != 0) {
        rc = plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "creating layer directory", dst);
    } else {
        /* A base layer's root is 0555 (defaultPerms); a child's is the parent's
         * copy, its metadata included. */
        rc = src ? cs_vfs_copy_tree(svc, ctx, src, dst)
                 : chmod(dst, 0555) == 0 ? FERRY_OK
                                         : plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "creating", dst);
        if (rc != FERRY_OK)
            cs_vfs_remove(NULL, NULL, st, id);
    }
    free(src);
    if (rc == FERRY_OK)
        *diff_path = dst;
    else
        free(dst);
    return rc;
}

const cs_driver_ops cs_vfs_ops = {.name = "vfs", .create = cs_vfs_create, .remove = cs_vfs_remove,
                              .diff_path = cs_vfs_diff_path, .overlay_whiteouts = 0};
