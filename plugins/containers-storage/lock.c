/* plugins/containers-storage/lock.c — containers/storage's lock files
 * (pkg/lockfile): a whole-file fcntl lock (F_SETLKW, shared for readers,
 * exclusive for writers) and the 64-byte "last writer" token a writer puts
 * at offset 0 (UnixNano, a counter, the pid, all little endian, then random
 * bytes) so that other processes notice that the records changed.
 *
 * fcntl locks belong to the process, not to the descriptor: a second lock
 * taken in this process never waits for the first, and closing any
 * descriptor of the file drops every lock the process holds on it. So, as
 * containers/storage does, each lock file is opened once per process and
 * guarded by an in-process rwlock; the fcntl lock is taken by the first
 * holder and dropped by the last. One thread must not ask for a write lock
 * on a file it holds for reading (it would wait for itself). */
#include "cs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CS_LOCK_TOKEN_SIZE 64

typedef struct cs_lock_file {
    struct cs_lock_file *next;
    dev_t dev;
    ino_t ino;
    int fd;
    unsigned refs;    /* cs_lock objects holding (or acquiring) it */
    unsigned readers; /* in-process shared holders */
    pthread_rwlock_t rw;
    pthread_mutex_t mu; /* orders the first reader's fcntl lock before the others' */
} cs_lock_file;

static pthread_mutex_t cs_lock_mu = PTHREAD_MUTEX_INITIALIZER; /* the list and refs */
static cs_lock_file *cs_lock_files;
static pid_t cs_lock_owner; /* the process the list belongs to */
static uint64_t cs_lock_counter;

static int cs_lock_fcntl(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(fd, F_SETLKW, &fl) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* A forked child inherits the list but none of the fcntl locks, and the
 * in-process rwlocks in whatever state the parent had them: start afresh
 * (the inherited descriptors are closed; that touches no lock of the parent). */
static void cs_lock_forget_parent(void)
{
    pid_t me = getpid();
    if (cs_lock_owner == me)
        return;
    while (cs_lock_files) {
        cs_lock_file *f = cs_lock_files;
        cs_lock_files = f->next;
        close(f->fd);
        free(f);
    }
    cs_lock_owner = me;
}

/* The process-wide entry of the file at path (opened and created on first
 * use), its reference taken. Looked up by stat before any open: opening and
 * closing a second descriptor would drop the locks held through the first. */
static cs_lock_file *cs_lock_file_get(const char *path, int read_only)
{
    pthread_mutex_lock(&cs_lock_mu);
    cs_lock_forget_parent();
    struct stat st;
    cs_lock_file *f = NULL;
    if (stat(path, &st) == 0) {
        for (f = cs_lock_files; f; f = f->next) {
            if (f->dev == st.st_dev && f->ino == st.st_ino)
                break;
        }
    }
    if (f) {
        f->refs++;
        pthread_mutex_unlock(&cs_lock_mu);
        return f;
    }
    int fd = read_only ? -1 : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (read_only || (fd < 0 && (errno == EACCES || errno == EROFS)))
        fd = open(path, O_RDONLY | O_CLOEXEC); /* a read-only store: shared locks still work */
    if (fd < 0 || fstat(fd, &st) != 0 || (f = calloc(1, sizeof *f)) == NULL) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        pthread_mutex_unlock(&cs_lock_mu);
        errno = err;
        return NULL;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->fd = fd;
    f->refs = 1;
    pthread_rwlock_init(&f->rw, NULL);
    pthread_mutex_init(&f->mu, NULL);
    f->next = cs_lock_files;
    cs_lock_files = f;
    pthread_mutex_unlock(&cs_lock_mu);
    return f;
}

static cs_lock_file *cs_lock_file_of(int fd)
{
    cs_lock_file *f;
    for (f = cs_lock_files; f; f = f->next) {
        if (f->fd == fd)
            return f;
    }
    return NULL;
}

/* Drops a reference; the last one closes the file (no lock is held then). */
static void cs_lock_file_put(cs_lock_file *f)
{
    pthread_mutex_lock(&cs_lock_mu);
    if (--f->refs == 0) {
        cs_lock_file **pp = &cs_lock_files;
        while (*pp != f)
            pp = &(*pp)->next;
        *pp = f->next;
        close(f->fd);
        pthread_rwlock_destroy(&f->rw);
        pthread_mutex_destroy(&f->mu);
        free(f);
    }
    pthread_mutex_unlock(&cs_lock_mu);
}

int cs_lock_acquire(cs_lock *l, const char *path, int exclusive, int read_only)
{
    l->fd = -1;
    l->exclusive = 0;
    l->path = NULL;
    if (exclusive && read_only) {
        errno = EBADF;
        return -1;
    }
    l->path = strdup(path);
    if (!l->path)
        return -1;
    cs_lock_file *f = cs_lock_file_get(path, read_only);
    if (!f) {
        int err = errno;
        free(l->path);
        l->path = NULL;
        errno = err;
        return -1;
    }
    if (exclusive)
        pthread_rwlock_wrlock(&f->rw);
    else
        pthread_rwlock_rdlock(&f->rw);
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    if (exclusive)
        rc = cs_lock_fcntl(f->fd, F_WRLCK);
    else if (f->readers++ == 0 && (rc = cs_lock_fcntl(f->fd, F_RDLCK)) != 0)
        f->readers--;
    int err = errno;
    pthread_mutex_unlock(&f->mu);
    if (rc != 0) {
        pthread_rwlock_unlock(&f->rw);
        cs_lock_file_put(f);
        free(l->path);
        l->path = NULL;
        errno = err;
        return -1;
    }
    l->fd = f->fd;
    l->exclusive = exclusive != 0;
    return 0;
}

int cs_lock_record_write(cs_lock *l)
{
    if (l->fd < 0 || !l->exclusive) {
        errno = EBADF;
        return -1;
    }
    unsigned char tok[CS_LOCK_TOKEN_SIZE];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t nano = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t n = __atomic_add_fetch(&cs_lock_counter, 1, __ATOMIC_RELAXED);
    uint32_t pid = (uint32_t)getpid();
    for (int i = 0; i < 8; i++) {
        tok[i] = (unsigned char)(nano >> (8 * i));
        tok[8 + i] = (unsigned char)(n >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        tok[16 + i] = (unsigned char)(pid >> (8 * i));
    size_t got = 0;
    while (got < sizeof tok - 20) {
        ssize_t r = getrandom(tok + 20 + got, sizeof tok - 20 - got, 0);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0)
            got += (size_t)r;
    }
    ssize_t w = pwrite(l->fd, tok, sizeof tok, 0);
    if (w != (ssize_t)sizeof tok) {
        if (w >= 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

void cs_lock_release(cs_lock *l)
{
    if (l->fd >= 0) {
        pthread_mutex_lock(&cs_lock_mu);
        cs_lock_file *f = cs_lock_owner == getpid() ? cs_lock_file_of(l->fd) : NULL;
        pthread_mutex_unlock(&cs_lock_mu);
        if (f) {
            pthread_mutex_lock(&f->mu);
            if (l->exclusive || --f->readers == 0)
                cs_lock_fcntl(f->fd, F_UNLCK);
            pthread_mutex_unlock(&f->mu);
            pthread_rwlock_unlock(&f->rw);
            cs_lock_file_put(f);
        }
    }
    free(l->path);
    l->path = NULL;
    l->fd = -1;
    l->exclusive = 0;
}
