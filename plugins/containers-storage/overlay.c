/* plugins/containers-storage/overlay.c — the overlay driver's layer directories
 * as containers/storage's drivers/overlay create() makes them:
 * GRAPHROOT/overlay/ID/{diff,work,merged} and, for a base layer, empty/; the
 * "link" file with the layer's 26-letter short name and its symlink
 * overlay/l/NAME -> ../ID/diff; for a child, the "lower" file
 * "l/PARENT:l/GRANDPARENT:…". Nothing is mounted: ferry only fills diff/. */
#include "cs_drivers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_util.h"
#include "shared/fsutil.h"

#define CS_OVERLAY_LINK_LEN 26     /* idLength */
#define CS_OVERLAY_MAX_DEPTH 500   /* maxDepth: lowers the kernel's mount options can hold */
#define CS_OVERLAY_LOWER_MAX (CS_OVERLAY_MAX_DEPTH * (CS_OVERLAY_LINK_LEN + 3))

/* generateID: random bytes in base32 (A-Z, 2-7), cut to the length. */
static int cs_overlay_link_id(char out[CS_OVERLAY_LINK_LEN + 1])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char rnd[CS_OVERLAY_LINK_LEN];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return -1;
    for (int i = 0; i < CS_OVERLAY_LINK_LEN; i++)
        out[i] = b32[rnd[i] & 31];
    out[CS_OVERLAY_LINK_LEN] = '\0';
    return 0;
}

/* The driver's home and its one-time files, as its init() leaves them:
 * overlay/ (0700), overlay/l/ (0755 in stores podman writes),
 * .has-mount-program ("false": ferry never uses fuse-overlayfs). */
static int cs_overlay_home(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, int *home_fd)
{
    if (mkdirat(st->graph_fd, "overlay", 0700) != 0 && errno != EEXIST)
        return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating", st->graphroot, "overlay");
    int fd = plugin_util_open_dir(st->graph_fd, "overlay");
    if (fd < 0)
        return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "opening", st->graphroot, "overlay");
    if (mkdirat(fd, "l", 0755) != 0 && errno != EEXIST) {
        close(fd);
        return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating", st->graphroot, "overlay/l");
    }
    int mfd = openat(fd, ".has-mount-program", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (mfd >= 0) {
        int bad = fs_write_all(mfd, "false", 5) != 0;
        close(mfd);
        if (bad) {
            close(fd);
            return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "writing", st->graphroot,
                                              "overlay/.has-mount-program");
        }
    }
    *home_fd = fd;
    return FERRY_OK;
}

/* getLower: "l/" + the parent's link, then the parent's own lower file. */
static int cs_overlay_lower(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, int home_fd,
                            const char *parent, char **lower)
{
    char *link = NULL, *plower = NULL, *name = plugin_util_printf("%s/link", parent);
    size_t llen = 0, plen = 0;
    if (!name)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    if (plugin_util_read_file(home_fd, name, 256, &link, &llen) != 0) {
        int rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "reading parent layer link",
                                            st->graphroot, name);
        free(name);
        return rc;
    }
    name[strlen(parent)] = '\0';
    char *lname = plugin_util_printf("%s/lower", name);
    free(name);
    if (!lname || (plugin_util_read_file(home_fd, lname, CS_OVERLAY_LOWER_MAX + 64, &plower, &plen) != 0 &&
                   errno != ENOENT)) {
        int rc = lname ? plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "reading", st->graphroot, lname)
                       : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
        free(lname);
        free(link);
        return rc;
    }
    free(lname);
    while (llen > 0 && (link[llen - 1] == '\n' || link[llen - 1] == ' '))
        link[--llen] = '\0'; /* c/storage trims it when reading */
    size_t depth = 1;
    for (size_t i = 0; plower && i < plen; i++)
        depth += plower[i] == ':';
    int rc = FERRY_OK;
    if (plower && plen > 0 && depth + 1 > CS_OVERLAY_MAX_DEPTH)
        rc = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: layer %s: more than %d layers", CS_TRANSPORT, parent,
                            CS_OVERLAY_MAX_DEPTH);
    else if (!(*lower = plower && plen > 0 ? plugin_util_printf("l/%s:%s", link, plower)
                                          : plugin_util_printf("l/%s", link)))
        rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    free(link);
    free(plower);
    return rc;
}

static int cs_overlay_write(int dirfd, const char *name, const char *text, mode_t mode)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int rc = fs_write_all(fd, text, strlen(text));
    int err = errno;
    if (close(fd) != 0 && rc == 0)
        return -1;
    errno = err;
    return rc;
}

/* The layer directory's contents, in create()'s order. */
static int cs_overlay_fill(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, int home_fd,
                           const char *id, const char *parent)
{
    char path[CS_ID_LEN * 2 + 64];
    struct stat pst = {.st_mode = 0555, .st_uid = 0, .st_gid = 0};
    if (parent) {
        snprintf(path, sizeof path, "%s/diff", parent);
        if (fstatat(home_fd, path, &pst, 0) != 0)
            return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "reading parent layer", st->graphroot,
                                              path);
    } else {
        pst.st_uid = geteuid();
        pst.st_gid = getegid();
    }
    int fd = -1, rc = FERRY_OK;
    if (mkdirat(home_fd, id, 0700) != 0 || (fd = plugin_util_open_dir(home_fd, id)) < 0)
        return plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating layer", st->graphroot, id);
    /* diff takes the parent's mode and owner (0555 and ours for a base layer);
     * chmod because mkdir's mode passes through the umask. */
    if (mkdirat(fd, "diff", 0700) != 0 || fchmodat(fd, "diff", pst.st_mode & 07777, 0) != 0 ||
        ((pst.st_uid != geteuid() || pst.st_gid != getegid()) &&
         fchownat(fd, "diff", pst.st_uid, pst.st_gid, 0) != 0)) {
        snprintf(path, sizeof path, "overlay/%s/diff", id);
        rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating", st->graphroot, path);
        goto out;
    }
    char lid[CS_OVERLAY_LINK_LEN + 1], target[CS_ID_LEN + 16];
    if (cs_overlay_link_id(lid) != 0) {
        rc = plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "generating a link name for layer", id);
        goto out;
    }
    snprintf(target, sizeof target, "../%s/diff", id);
    snprintf(path, sizeof path, "l/%s", lid);
    if (symlinkat(target, home_fd, path) != 0) {
        snprintf(path, sizeof path, "overlay/l/%s", lid);
        rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating", st->graphroot, path);
        goto out;
    }
    static const char *const dirs[] = {"work", "merged", "empty"};
    if (cs_overlay_write(fd, "link", lid, 0644) != 0) {
        snprintf(path, sizeof path, "overlay/%s/link", id);
        rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "writing", st->graphroot, path);
        goto out;
    }
    for (size_t i = 0; i < (parent ? 2u : 3u); i++) {
        if (mkdirat(fd, dirs[i], 0700) != 0) {
            snprintf(path, sizeof path, "overlay/%s/%s", id, dirs[i]);
            rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "creating", st->graphroot, path);
            goto out;
        }
    }
    if (parent) {
        char *lower = NULL;
        rc = cs_overlay_lower(svc, ctx, st, home_fd, parent, &lower);
        if (rc == FERRY_OK && cs_overlay_write(fd, "lower", lower, 0644) != 0) {
            snprintf(path, sizeof path, "overlay/%s/lower", id);
            rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "writing", st->graphroot, path);
        }
        free(lower);
    }
out:
    close(fd);
    return rc;
}

static int cs_overlay_remove(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id);

static int cs_overlay_create(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id,
                             const char *parent, char **diff_path)
{
    *diff_path = NULL;
    int home_fd = -1, rc = cs_driver_check_id(svc, ctx, id);
    if (rc == FERRY_OK && parent)
        rc = cs_driver_check_id(svc, ctx, parent);
    if (rc == FERRY_OK)
        rc = cs_overlay_home(svc, ctx, st, &home_fd);
    if (rc != FERRY_OK)
        return rc;
    struct stat sb;
    if (fstatat(home_fd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0) { /* someone else's: never cleaned up here */
        close(home_fd);
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: layer %s: %s/overlay/%s already exists", CS_TRANSPORT, id,
                              st->graphroot, id);
    }
    rc = cs_overlay_fill(svc, ctx, st, home_fd, id, parent);
    close(home_fd);
    if (rc == FERRY_OK && !(*diff_path = plugin_util_printf("%s/overlay/%s/diff", st->graphroot, id)))
        rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    if (rc != FERRY_OK)
        cs_overlay_remove(NULL, NULL, st, id); /* unreported: the first error is the one to tell */
    return rc;
}

/* The l/ link named in the layer's link file; diff/ (0555) made writable for
 * a non-root caller so that the directory can go. */
static int cs_overlay_unlink_short(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id)
{
    char name[CS_ID_LEN + 64];
    snprintf(name, sizeof name, "overlay/%s/link", id);
    char *lid = NULL;
    size_t len = 0;
    if (plugin_util_read_file(st->graph_fd, name, 256, &lid, &len) == 0) {
        while (len > 0 && (lid[len - 1] == '\n' || lid[len - 1] == ' '))
            lid[--len] = '\0';
        int bad = 0;
        if (len > 0 && !strchr(lid, '/')) {
            snprintf(name, sizeof name, "overlay/l/%s", lid);
            bad = unlinkat(st->graph_fd, name, 0) != 0 && errno != ENOENT;
        }
        free(lid);
        if (bad)
            return svc ? plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "removing", st->graphroot, name)
                       : FERRY_ERR_IO;
    }
    snprintf(name, sizeof name, "overlay/%s/diff", id);
    if (geteuid() != 0)
        fchmodat(st->graph_fd, name, 0755, 0);
    return FERRY_OK;
}

/* Remove(): the l/ link, then the whole directory. svc NULL: a cleanup whose
 * errors are not reported. */
static int cs_overlay_remove(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id)
{
    int rc = cs_driver_check_id(svc, ctx, id);
    if (rc == FERRY_OK)
        rc = cs_overlay_unlink_short(svc, ctx, st, id);
    return rc == FERRY_OK ? cs_driver_remove_dir(svc, ctx, st, "overlay", id) : rc;
}

static char *cs_overlay_diff_path(const cs_store *st, const char *id)
{
    return plugin_util_printf("%s/overlay/%s/diff", st->graphroot, id);
}

const cs_driver_ops cs_overlay_ops = {.name = "overlay", .create = cs_overlay_create, .remove = cs_overlay_remove,
                                  .diff_path = cs_overlay_diff_path, .overlay_whiteouts = 1};
