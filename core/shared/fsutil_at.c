/* core/shared/fsutil_at.c — directory-relative file primitives shared by
 * the core (the file services it offers modules) and the in-tree modules:
 * mkdir -p, uniquely named temporary files, publish-unless-present and
 * atomic write-temp-then-rename. All return 0 or -1 with errno. */
#include "shared/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdir_p(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    /* Create each prefix in turn; EEXIST is fine (another writer may race). */
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            int err = errno;
            free(copy);
            errno = err;
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Writes PREFIX followed by 12 random hex digits into name. */
int fs_random_name(const char *prefix, char *name, size_t cap)
{
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return -1;
    int n = snprintf(name, cap, "%s%02x%02x%02x%02x%02x%02x", prefix, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                     rnd[5]);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int fs_create_temp(int dirfd, const char *prefix, char *name, size_t cap)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        if (fs_random_name(prefix, name, cap) != 0)
            return -1;
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

int fs_publish_noreplace(int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
    if (renameat2(olddirfd, oldname, newdirfd, newname, RENAME_NOREPLACE) == 0)
        return 0;
    int err = errno;
    if (err == EINVAL || err == ENOSYS) {
        /* File systems without RENAME_NOREPLACE: link() refuses to replace too. */
        if (linkat(olddirfd, oldname, newdirfd, newname, 0) == 0 || errno == EEXIST) {
            unlinkat(olddirfd, oldname, 0);
            return 0;
        }
        return -1;
    }
    if (err == EEXIST) {
        unlinkat(olddirfd, oldname, 0);
        return 0;
    }
    errno = err;
    return -1;
}

int fs_write_file_at(int dirfd, const char *name, const void *data, size_t len, int replace)
{
    char tmp[FS_TMPNAME_MAX];
    int fd = fs_create_temp(dirfd, ".ferry-tmp-", tmp, sizeof tmp);
    if (fd < 0)
        return -1;
    int rc = fs_write_all(fd, data, len);
    if (rc == 0)
        rc = fsync(fd);
    int err = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        err = errno;
    }
    if (rc == 0) {
        if (replace)
            rc = renameat(dirfd, tmp, dirfd, name);
        else
            rc = fs_publish_noreplace(dirfd, tmp, dirfd, name);
        err = errno;
    }
    if (rc != 0) {
        unlinkat(dirfd, tmp, 0);
        errno = err;
    }
    return rc;
}

