/* plugins/common/fileio.c — crash-safe file primitives: directories created
 * on demand, uniquely named temporary directories, locked staging
 * directories (whose leftovers from killed writers are swept), files renamed
 * into place at commit, bounded whole-file reads and symlink-safe recursive
 * removal (mkdir -p and atomic writes are the core's file services). All take a directory fd so
 * callers stay anchored to the directory they opened even if paths change
 * underneath. They return 0 or -1 with errno, except plugin_util_make_dir,
 * which reports its failure itself in the words every destination creating
 * its parent directory used. */
#include "plugin_util.h"

#include "shared/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int plugin_util_mkdir_at(int dirfd, const char *name)
{
    return mkdirat(dirfd, name, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int plugin_util_open_dir(int dirfd, const char *path)
{
    return openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int plugin_util_make_dir(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int *fd)
{
    if (svc->mkdir_p(path) != 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "creating", path);
    *fd = plugin_util_open_dir(AT_FDCWD, path);
    if (*fd < 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "opening", path);
    return FERRY_OK;
}

int plugin_util_staged_open(int dirfd, const char *prefix, plugin_util_staged *st)
{
    st->tmpname[0] = '\0';
    st->unnamed = 0;
    if (access("/proc/self/fd", X_OK) == 0) {
        int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) {
            st->unnamed = 1;
            snprintf(st->tmpname, sizeof st->tmpname, "%s", prefix); /* kept for the name given at commit */
            return fd;
        }
    }
    return fs_create_temp(dirfd, prefix, st->tmpname, sizeof st->tmpname);
}

/* Gives the unnamed file a PREFIX<random> name in dirfd (link needs a name
 * rename can move; linkat with AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). */
static int plugin_util_staged_link(int fd, int dirfd, plugin_util_staged *st)
{
    char proc[64], prefix[PLUGIN_UTIL_TMPNAME_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    snprintf(prefix, sizeof prefix, "%s", st->tmpname);
    for (int attempt = 0; attempt < 100; attempt++) {
        if (fs_random_name(prefix, st->tmpname, sizeof st->tmpname) != 0)
            break;
        if (linkat(AT_FDCWD, proc, dirfd, st->tmpname, AT_SYMLINK_FOLLOW) == 0) {
            st->unnamed = 0;
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    int err = errno;
    st->tmpname[0] = '\0';
    errno = err;
    return -1;
}

int plugin_util_staged_commit(int fd, int dirfd, plugin_util_staged *st, const char *name)
{
    if (fsync(fd) != 0)
        return -1;
    if (st->unnamed && plugin_util_staged_link(fd, dirfd, st) != 0)
        return -1;
    if (renameat(dirfd, st->tmpname, dirfd, name) != 0)
        return -1;
    st->tmpname[0] = '\0';
    return plugin_util_fsync_dir(dirfd);
}

int plugin_util_staged_discard(int dirfd, plugin_util_staged *st)
{
    int rc = 0;
    if (!st->unnamed && st->tmpname[0] != '\0')
        rc = unlinkat(dirfd, st->tmpname, 0);
    st->tmpname[0] = '\0';
    st->unnamed = 0;
    return rc;
}

int plugin_util_mkdtemp_at(int dirfd, const char *prefix, char *name, size_t cap)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        if (fs_random_name(prefix, name, cap) != 0)
            return -1;
        if (mkdirat(dirfd, name, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

int plugin_util_read_file(int dirfd, const char *name, size_t max, char **data, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        close(fd);
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        return -1;
    }
    size_t cap = (size_t)st.st_size + 2; /* +1 for the NUL, +1 to see EOF */
    char *buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    /* Read to end of file rather than trusting st_size: it may grow. */
    size_t got = 0;
    for (;;) {
        if (got + 1 >= cap) {
            if (cap > max) {
                free(buf);
                close(fd);
                errno = EFBIG;
                return -1;
            }
            size_t ncap = cap * 2 > max + 2 ? max + 2 : cap * 2;
            char *grown = realloc(buf, ncap);
            if (grown == NULL) {
                free(buf);
                close(fd);
                errno = ENOMEM;
                return -1;
            }
            buf = grown;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            free(buf);
            close(fd);
            errno = err;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got > max) {
        free(buf);
        errno = EFBIG;
        return -1;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

/* Empties the directory open at fd (which it closes), depth-first. */
static int plugin_util_empty_dir_fd(int fd)
{
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            rc = -1;
            continue;
        }
        if (plugin_util_remove_tree_at(fd, de->d_name) != 0)
            rc = -1;
    }
    int err = errno;
    closedir(d);
    errno = err;
    return rc;
}

int plugin_util_remove_tree_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = plugin_util_empty_dir_fd(fd);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

/* Removes the unlocked, old PREFIX* directories of dirfd (best effort:
 * a sweep that fails only leaves garbage, as before). */
static void plugin_util_sweep_staging(int dirfd, const char *prefix)
{
    int scanfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = scanfd >= 0 ? fdopendir(scanfd) : NULL;
    if (d == NULL) {
        if (scanfd >= 0)
            close(scanfd);
        return;
    }
    size_t plen = strlen(prefix);
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, plen) != 0)
            continue;
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
            now - st.st_mtime < PLUGIN_UTIL_STALE_SECONDS)
            continue;
        int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            plugin_util_remove_tree_at(dirfd, de->d_name);
        close(fd);
    }
    closedir(d);
}

int plugin_util_staging_dir(int dirfd, const char *prefix, char *name, size_t cap)
{
    plugin_util_sweep_staging(dirfd, prefix);
    if (plugin_util_mkdtemp_at(dirfd, prefix, name, cap) != 0)
        return -1;
    int fd = plugin_util_open_dir(dirfd, name);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    int err = errno;
    if (fd >= 0)
        close(fd);
    unlinkat(dirfd, name, AT_REMOVEDIR);
    name[0] = '\0';
    errno = err;
    return -1;
}

int plugin_util_fsync_dir(int dirfd)
{
    /* Some file systems refuse fsync on directories; that is not a failure. */
    if (fsync(dirfd) != 0 && errno != EINVAL && errno != EROFS)
        return -1;
    return 0;
}
