/* plugins/containers-storage/layer_apply.c — cs_layer_apply: one
 * uncompressed layer tar stream extracted into a layer directory as
 * containers/storage's pkg/archive does (Unpack with the overlay whiteout
 * converter, UnpackLayer for vfs), while the stream's digest, size, owners
 * and tar-split are recorded as its layers.go does.
 *
 * The tar-split recorder (plugins/common/tarsplit.h) reads the stream, hashes
 * it and writes the tar-split; this file unpacks each entry it gives. Names,
 * link targets and types come from the recorder's reading of the raw header
 * blocks (as Go's archive/tar, no locale conversion); modes, owners, times
 * and xattrs from libarchive's entry. Every path is resolved inside diff_path
 * as if it were "/" (openat2 RESOLVE_IN_ROOT), entries are created with *at
 * calls on the parent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cs.h"
#include "plugin_util.h"
#include "shared/fsutil.h"
#include "tarsplit.h"

#define CS_OPAQUE_XATTR "trusted.overlay.opaque"

typedef struct cs_idset {
    uint32_t *v;
    size_t n, cap;
} cs_idset;

typedef struct cs_dirtime {
    char *rel;
    struct timespec ts[2];
} cs_dirtime;

/* The paths this layer created (vfs opaque directories keep them). */
typedef struct cs_pathset {
    char **slot;
    size_t n, cap; /* cap a power of two */
} cs_pathset;

typedef struct cs_apply {
    int overlay, ignore_chown_errors, root_fd;
    tarsplit_recorder *rec; /* the stream; errors are reported in its words */
    cs_idset uids, gids;
    cs_dirtime *dirs;
    size_t n_dirs, cap_dirs;
    cs_pathset unpacked;
} cs_apply;

/* The entry's owner; with ignore_chown_errors (a rootless store) EPERM and
 * EINVAL are not errors, as containers/storage's archive.Unpack has it. */
static int cs_chown(const cs_apply *ap, int pfd, const char *name, struct archive_entry *e)
{
    if (fchownat(pfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    return ap->ignore_chown_errors && (errno == EPERM || errno == EINVAL) ? 0 : -1;
}

/* "DEST: applying layer to DIFF_PATH: ENTRY: WHAT[: strerror]" */
static int cs_fail(cs_apply *ap, int status, const char *entry, const char *what, int err)
{
    return tarsplit_recorder_fail(ap->rec, status, entry, what, err);
}

static int cs_errno_fail(cs_apply *ap, const char *entry, const char *what, int err)
{
    return cs_fail(ap, err == ENOMEM ? FERRY_ERR_NO_MEMORY : FERRY_ERR_IO, entry, what, err);
}

/* ---- bookkeeping --------------------------------------------------------------- */

static int cs_idset_add(cs_idset *s, uint32_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->v[mid] == id)
            return 0;
        if (s->v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        uint32_t *nv = realloc(s->v, cap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof(*s->v));
    s->v[lo] = id;
    s->n++;
    return 0;
}

static json_t *cs_idset_json(const cs_idset *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n; i++)
        json_array_append_new(a, json_integer(s->v[i]));
    return a;
}

static size_t cs_hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int cs_pathset_has(const cs_pathset *s, const char *p)
{
    if (s->cap == 0)
        return 0;
    for (size_t i = cs_hash(p) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
        if (strcmp(s->slot[i], p) == 0)
            return 1;
    return 0;
}

static int cs_pathset_add(cs_pathset *s, const char *p)
{
    if (cs_pathset_has(s, p))
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **ns = calloc(cap, sizeof(*ns));
        if (ns == NULL)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slot[i] == NULL)
                continue;
            size_t j = cs_hash(s->slot[i]) & (cap - 1);
            while (ns[j])
                j = (j + 1) & (cap - 1);
            ns[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = ns;
        s->cap = cap;
    }
    size_t j = cs_hash(p) & (s->cap - 1);
    while (s->slot[j])
        j = (j + 1) & (s->cap - 1);
    if ((s->slot[j] = strdup(p)) == NULL)
        return -1;
    s->n++;
    return 0;
}

/* ---- the file system ----------------------------------------------------------- */

/* Opens rel's parent directory (creating missing ones 0777 minus umask, as
 * Go's MkdirAll) and points *base at rel's last component. */
static int cs_open_parent(cs_apply *ap, char *rel, const char **base, const char *entry, int *out)
{
    char *slash = strrchr(rel, '/');
    *base = slash ? slash + 1 : rel;
    if (slash == NULL) {
        *out = tarsplit_open_in_root(ap->root_fd, "", O_RDONLY | O_DIRECTORY);
        return *out < 0 ? cs_errno_fail(ap, entry, "opening the layer directory", errno) : FERRY_OK;
    }
    *slash = '\0';
    int fd = tarsplit_open_in_root(ap->root_fd, rel, O_RDONLY | O_DIRECTORY);
    for (char *p = rel; fd < 0 && p != NULL && errno == ENOENT;) { /* ENOENT: create it, prefix by prefix */
        char *next = strchr(p, '/');
        if (next)
            *next = '\0';
        int dfd = tarsplit_open_in_root(ap->root_fd, rel, O_RDONLY | O_DIRECTORY);
        if (dfd < 0 && errno == ENOENT) {
            char *s = strrchr(rel, '/');
            const char *leaf = s ? s + 1 : rel;
            if (s)
                *s = '\0';
            int pfd = tarsplit_open_in_root(ap->root_fd, s ? rel : "", O_RDONLY | O_DIRECTORY);
            if (s)
                *s = '/';
            if (pfd >= 0 && mkdirat(pfd, leaf, 0777) != 0 && errno != EEXIST) {
                close(pfd);
                pfd = -1;
            }
            if (pfd >= 0)
                close(pfd);
            dfd = pfd < 0 ? -1 : tarsplit_open_in_root(ap->root_fd, rel, O_RDONLY | O_DIRECTORY);
        }
        if (next)
            *next = '/';
        if (dfd < 0)
            break;
        if (next == NULL) {
            fd = dfd;
            break;
        }
        close(dfd);
        p = next + 1;
        errno = ENOENT; /* keep going: the next prefix is still to check */
    }
    int err = errno;
    *slash = '/';
    *out = fd;
    return fd < 0 ? cs_errno_fail(ap, entry, "opening its directory", err) : FERRY_OK;
}

/* vfs opaque directory: removes what this layer did not create, recursively. */
static int cs_clear_dir(cs_apply *ap, int dfd, char *prefix, const char *entry)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return cs_errno_fail(ap, entry, "reading the opaque directory", errno);
    }
    int rc = FERRY_OK;
    for (struct dirent *de; rc == FERRY_OK && (de = readdir(d)) != NULL;) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *path = plugin_util_printf("%s%s%s", prefix, *prefix ? "/" : "", de->d_name);
        if (path == NULL) {
            rc = cs_errno_fail(ap, entry, "clearing", ENOMEM);
        } else if (!cs_pathset_has(&ap->unpacked, path)) {
            if (plugin_util_remove_tree_at(dirfd(d), de->d_name) != 0)
                rc = cs_errno_fail(ap, entry, "clearing the opaque directory", errno);
        } else if (de->d_type == DT_DIR) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? cs_errno_fail(ap, entry, "clearing", errno) : cs_clear_dir(ap, sub, path, entry);
            if (sub >= 0)
                close(sub);
        }
        free(path);
    }
    closedir(d);
    return rc;
}

/* The whiteout `base` (".wh.NAME" or ".wh..wh..opq") in directory pfd. */
static int cs_whiteout(cs_apply *ap, int pfd, char *rel, const char *base, const tarsplit_hdr *h,
                       struct archive_entry *e)
{
    int opaque = strcmp(base, ".wh..wh..opq") == 0;
    if (ap->overlay && opaque) {
        if (fsetxattr(pfd, CS_OPAQUE_XATTR, "y", 1, 0) != 0)
            return cs_errno_fail(ap, h->name, "marking the directory opaque", errno);
        return FERRY_OK;
    }
    const char *target = base + 4;
    if (ap->overlay) {
        if (plugin_util_remove_tree_at(pfd, target) != 0 || mknodat(pfd, target, S_IFCHR, makedev(0, 0)) != 0 ||
            cs_chown(ap, pfd, target, e) != 0)
            return cs_errno_fail(ap, h->name, "creating the whiteout device", errno);
        return FERRY_OK;
    }
    if (opaque) {
        char *slash = strrchr(rel, '/');
        if (slash)
            *slash = '\0';
        int rc = cs_clear_dir(ap, pfd, slash ? rel : "", h->name);
        if (slash)
            *slash = '/';
        return rc;
    }
    if (plugin_util_remove_tree_at(pfd, target) != 0)
        return cs_errno_fail(ap, h->name, "removing the whited-out file", errno);
    return FERRY_OK;
}

/* Creates a regular file from the entry's data, read through the recorder
 * (which checks its size and CRCs it for the tar-split). */
static int cs_write_data(cs_apply *ap, int pfd, const char *base, const tarsplit_hdr *h)
{
    int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return cs_errno_fail(ap, h->name, "creating", errno);
    int rc;
    for (;;) {
        const void *buf;
        size_t n;
        if ((rc = tarsplit_recorder_data(ap->rec, &buf, &n)) != FERRY_OK || n == 0)
            break;
        if (fs_write_all(fd, buf, n) != 0) {
            rc = cs_errno_fail(ap, h->name, "writing", errno);
            break;
        }
    }
    int err = close(fd) != 0 ? errno : 0;
    return rc == FERRY_OK && err != 0 ? cs_errno_fail(ap, h->name, "writing", err) : rc;
}

static struct timespec cs_clamp(time_t s, long ns, int set)
{
    struct timespec t = {0, 0}; /* unset or before the epoch: the epoch, as system.Chtimes */
    if (set && s >= 0) {
        t.tv_sec = s;
        t.tv_nsec = ns;
    }
    return t;
}

/* Owner, xattrs, mode and times of a created entry, in Go's order. */
static int cs_set_meta(cs_apply *ap, int pfd, const char *base, const tarsplit_hdr *h, struct archive_entry *e)
{
    if (cs_chown(ap, pfd, base, e) != 0)
        return cs_errno_fail(ap, h->name, "changing the owner", errno);
    const char *xname;
    const void *xval;
    size_t xlen;
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d/", pfd);
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &xname, &xval, &xlen) == ARCHIVE_OK) {
        if (xlen == 0)
            continue; /* Go's tar reader drops empty PAX records */
        char *path = plugin_util_printf("%s%s", proc, base);
        int r = path ? lsetxattr(path, xname, xval, xlen, 0) : -1;
        int err = path ? errno : ENOMEM;
        free(path);
        if (r != 0 && err != ENOTSUP)
            return cs_errno_fail(ap, h->name, "setting an xattr", err);
    }
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return cs_errno_fail(ap, h->name, "checking", errno);
    if (!S_ISLNK(st.st_mode) && fchmodat(pfd, base, archive_entry_mode(e) & 07777, 0) != 0)
        return cs_errno_fail(ap, h->name, "changing the mode", errno);
    struct timespec ts[2];
    ts[1] = cs_clamp(archive_entry_mtime(e), archive_entry_mtime_nsec(e), 1);
    ts[0] = cs_clamp(archive_entry_atime(e), archive_entry_atime_nsec(e), archive_entry_atime_is_set(e));
    if (ts[0].tv_sec < ts[1].tv_sec || (ts[0].tv_sec == ts[1].tv_sec && ts[0].tv_nsec < ts[1].tv_nsec))
        ts[0] = ts[1]; /* never an access before the modification */
    if ((h->type != '1' || !S_ISLNK(st.st_mode)) && utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) != 0)
        return cs_errno_fail(ap, h->name, "setting the times", errno);
    return FERRY_OK;
}

/* Whether a symlink target stays inside the root, lexically from depth `depth`. */
static int cs_link_inside(const char *target, int depth)
{
    if (*target == '/')
        return 1;
    for (const char *p = target; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return 0;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n + (p[n] == '/');
    }
    return 1;
}

/* Creates the entry `h` (its data still to read from the recorder). */
static int cs_create(cs_apply *ap, struct archive_entry *e, const tarsplit_hdr *h, char *rel)
{
    const char *base;
    int pfd;
    int rc = cs_open_parent(ap, rel, &base, h->name, &pfd);
    if (rc != FERRY_OK)
        return rc;
    if (!ap->overlay && strchr(rel, '/') == NULL && !strncmp(base, ".wh..wh.", 8) && strcmp(base, ".wh..wh..opq"))
        goto out; /* AUFS metadata, which UnpackLayer skips */
    if (!strncmp(base, ".wh.", 4)) {
        rc = cs_whiteout(ap, pfd, rel, base, h, e);
        goto out;
    }
    struct stat st;
    int exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(st.st_mode) && h->type == '5') && plugin_util_remove_tree_at(pfd, base) != 0) {
        rc = cs_errno_fail(ap, h->name, "replacing", errno);
        goto out;
    }
    mode_t perm = archive_entry_mode(e) & 07777;
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    int r = 0;
    switch (h->type) {
    case '0':
    case '7':
        rc = cs_write_data(ap, pfd, base, h);
        break;
    case '5':
        r = exists && S_ISDIR(st.st_mode) ? 0 : mkdirat(pfd, base, 0700);
        break;
    case '1': {
        const char *t = h->link;
        while (*t == '/')
            t++; /* hard link targets name archive members */
        char *trel = plugin_util_archive_path(NULL, 0, t);
        const char *tbase;
        int tfd = -1;
        if (trel == NULL)
            rc = cs_fail(ap, FERRY_ERR_INVALID, h->name, "hard link target outside the layer", 0);
        else if ((rc = cs_open_parent(ap, trel, &tbase, h->name, &tfd)) == FERRY_OK)
            r = linkat(tfd, tbase, pfd, base, 0);
        if (tfd >= 0)
            close(tfd);
        free(trel);
        break;
    }
    case '2': {
        int depth = 0;
        for (const char *p = rel; (p = strchr(p, '/')) != NULL; p++)
            depth++;
        if (!cs_link_inside(h->link, depth))
            rc = cs_fail(ap, FERRY_ERR_INVALID, h->name, "symbolic link target outside the layer", 0);
        else
            r = symlinkat(h->link, pfd, base);
        break;
    }
    case '3':
    case '4':
    case '6':
        r = mknodat(pfd, base, perm | (h->type == '3' ? S_IFCHR : h->type == '4' ? S_IFBLK : S_IFIFO), dev);
        break;
    default:
        rc = cs_fail(ap, FERRY_ERR_UNSUPPORTED, h->name, "unhandled tar entry type", 0);
    }
    if (rc == FERRY_OK && r != 0)
        rc = cs_errno_fail(ap, h->name, "creating", errno);
    if (rc == FERRY_OK)
        rc = cs_set_meta(ap, pfd, base, h, e);
    if (rc == FERRY_OK && !ap->overlay && cs_pathset_add(&ap->unpacked, rel) != 0)
        rc = cs_errno_fail(ap, h->name, "recording", ENOMEM);
    if (rc == FERRY_OK && h->type == '5') {
        if (ap->n_dirs == ap->cap_dirs) {
            size_t cap = ap->cap_dirs ? ap->cap_dirs * 2 : 32;
            cs_dirtime *nd = realloc(ap->dirs, cap * sizeof(*nd));
            if (nd == NULL) {
                rc = cs_errno_fail(ap, h->name, "recording", ENOMEM);
                goto out;
            }
            ap->dirs = nd;
            ap->cap_dirs = cap;
        }
        cs_dirtime *d = &ap->dirs[ap->n_dirs];
        d->ts[0] = cs_clamp(archive_entry_atime(e), archive_entry_atime_nsec(e), archive_entry_atime_is_set(e));
        d->ts[1] = cs_clamp(archive_entry_mtime(e), archive_entry_mtime_nsec(e), 1);
        if ((d->rel = strdup(rel)) == NULL)
            rc = cs_errno_fail(ap, h->name, "recording", ENOMEM);
        else
            ap->n_dirs++;
    }
out:
    close(pfd);
    return rc;
}

/* ---- the stream, entry by entry ------------------------------------------------ */

/* Whether a member name is the archive root ("./", "."): not extracted. */
static int cs_is_root(const char *n)
{
    for (; *n; n++)
        if (*n != '.' && *n != '/')
            return 0;
        else if (n[0] == '.' && n[1] == '.')
            return 0;
    return 1;
}

/* One entry the recorder read: its owners recorded, the entry created
 * (except the archive root), then ended for the tar-split. */
static int cs_entry(cs_apply *ap, const tarsplit_entry *te)
{
    const tarsplit_hdr *h = te->hdr;
    struct archive_entry *e = te->entry;
    const char *slash = strrchr(h->name, '/'), *base = h->name;
    size_t nl = strlen(h->name);
    while (nl > 1 && h->name[nl - 1] == '/' && slash == h->name + nl - 1) { /* path.Base drops trailing slashes */
        nl--;
        slash = memrchr(h->name, '/', nl);
    }
    base = slash && slash < h->name + nl ? slash + 1 : h->name;
    int rc = FERRY_OK;
    if (strncmp(base, ".wh.", 4) != 0 &&
        (cs_idset_add(&ap->uids, (uint32_t)archive_entry_uid(e)) != 0 ||
         cs_idset_add(&ap->gids, (uint32_t)archive_entry_gid(e)) != 0))
        rc = cs_errno_fail(ap, h->name, "recording owners", ENOMEM);
    if (rc == FERRY_OK && h->name[0] == '/') {
        rc = cs_fail(ap, FERRY_ERR_INVALID, h->name, "absolute member name refused", 0);
    } else if (rc == FERRY_OK && !cs_is_root(h->name)) { /* data not unpacked is read by entry_end, for the CRC */
        char *rel = plugin_util_archive_path(NULL, 0, h->name);
        if (rel == NULL)
            rc = cs_fail(ap, FERRY_ERR_INVALID, h->name, "member name outside the layer refused", 0);
        else
            rc = cs_create(ap, e, h, rel);
        free(rel);
    }
    return rc == FERRY_OK ? tarsplit_recorder_entry_end(ap->rec) : rc;
}

/* Directory times last, so that creating their contents does not move them. */
static int cs_dir_times(cs_apply *ap)
{
    for (size_t i = 0; i < ap->n_dirs; i++) {
        const char *base;
        int pfd, rc = cs_open_parent(ap, ap->dirs[i].rel, &base, ap->dirs[i].rel, &pfd);
        if (rc != FERRY_OK)
            return rc;
        int r = utimensat(pfd, base, ap->dirs[i].ts, AT_SYMLINK_NOFOLLOW);
        int err = errno;
        close(pfd);
        if (r != 0 && err != ENOENT) /* a later whiteout may have removed it */
            return cs_errno_fail(ap, ap->dirs[i].rel, "setting the times", err);
    }
    return FERRY_OK;
}

static int cs_run(cs_apply *ap)
{
    for (;;) {
        tarsplit_entry *te;
        int rc = tarsplit_recorder_next(ap->rec, &te);
        if (rc != FERRY_OK)
            return rc;
        if (te == NULL)
            return cs_dir_times(ap);
        if ((rc = cs_entry(ap, te)) != FERRY_OK)
            return rc;
    }
}

int cs_layer_apply(const ferry_services *svc, ferry_ctx *ctx, const char *dest_label, ferry_reader *tar,
                   const char *diff_path, unsigned flags, int tarsplit_fd, cs_apply_result *res)
{
    memset(res, 0, sizeof(*res));
    cs_apply *ap = calloc(1, sizeof(*ap));
    char *label = plugin_util_printf("%s: applying layer to %s", dest_label, diff_path);
    if (ap == NULL || label == NULL) {
        free(ap);
        free(label);
        return plugin_util_errno_error(svc, ctx, ENOMEM, dest_label, "applying layer to", diff_path);
    }
    ap->overlay = (flags & CS_APPLY_OVERLAY_WHITEOUTS) != 0;
    ap->ignore_chown_errors = (flags & CS_APPLY_IGNORE_CHOWN_ERRORS) != 0;
    ap->root_fd = open(diff_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (ap->root_fd < 0)
        rc = plugin_util_errno_error(svc, ctx, errno, dest_label, "opening layer directory", diff_path);
    else if ((rc = tarsplit_recorder_new(svc, ctx, tar, tarsplit_fd, label, &ap->rec)) == FERRY_OK &&
             (rc = cs_run(ap)) == FERRY_OK)
        rc = tarsplit_recorder_finish(ap->rec, res->diff_digest, sizeof(res->diff_digest), &res->diff_size);
    if (rc == FERRY_OK) {
        res->uidset = cs_idset_json(&ap->uids);
        res->gidset = cs_idset_json(&ap->gids);
        if (res->uidset == NULL || res->gidset == NULL) {
            cs_apply_result_release(res);
            rc = cs_errno_fail(ap, NULL, "recording owners", ENOMEM);
        }
    }
    tarsplit_recorder_free(ap->rec);
    if (ap->root_fd >= 0)
        close(ap->root_fd);
    for (size_t i = 0; i < ap->n_dirs; i++)
        free(ap->dirs[i].rel);
    for (size_t i = 0; i < ap->unpacked.cap; i++)
        free(ap->unpacked.slot[i]);
    free(ap->unpacked.slot);
    free(ap->dirs);
    free(ap->uids.v);
    free(ap->gids.v);
    free(label);
    free(ap);
    return rc;
}

void cs_apply_result_release(cs_apply_result *res)
{
    json_decref(res->uidset);
    json_decref(res->gidset);
    res->uidset = res->gidset = NULL;
}
