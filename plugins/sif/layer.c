/* plugins/sif/layer.c — the layer of a SIF image as a pull reader: the tar
 * that skopeo gets from `unsquashfs` under fakeroot followed by
 * `tar --acls --xattrs -cpf … ./` (GNU tar, POSIX pax format, 10240-byte
 * records), generated entry by entry while it is read. Each entry carries
 * what GNU tar records of the unpacked tree: "./"-relative names,
 * directories with a trailing '/', owners as numbers and as the names the
 * host's user and group databases give them, modes (set-id and sticky bits
 * included), modification times (access times equal, as unsquashfs sets
 * them), symbolic link targets, hard links naming the first link, device
 * numbers, extended attributes as SCHILY.xattr records. Last come the
 * directory ./podman/ and the script ./podman/runscript that
 * containers/image writes before unsquashfs runs, unless the partition
 * holds them itself (unsquashfs -f then replaces them).
 *
 * The tar is written by libarchive into a buffer that each read drains
 * before the next step (one header, or at most SIF_LAYER_CHUNK bytes of
 * file data), so memory stays bounded whatever the file sizes. */
#include "sif.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "shared/strbuf.h"

#define SIF_LAYER_CHUNK (64 * 1024)
#define SIF_NAME_CACHE 16

/* User and group names by ID, as GNU tar looks them up (getpwuid, getgrgid). */
typedef struct sif_name_cache {
    struct {
        uint32_t id;
        int found;
        char name[64];
    } slot[SIF_NAME_CACHE];
    size_t used, next;
} sif_name_cache;

typedef struct sif_layer_reader {
    ferry_reader base;
    const ferry_services *svc;
    const sif_layer_spec *spec;
    sif_squash *sq;
    struct archive *ar;
    struct archive_entry *entry;
    strbuf out; /* tar bytes not yet read */
    size_t out_pos;
    enum { SIF_LAYER_NEXT, SIF_LAYER_DATA, SIF_LAYER_INJECT, SIF_LAYER_DONE, SIF_LAYER_FAILED } state;
    int saw_podman, podman_is_dir, saw_runscript;
    unsigned char *chunk;
    sif_name_cache users, groups;
} sif_layer_reader;

static const char *sif_id_name(sif_name_cache *cache, uint32_t id, int group)
{
    for (size_t i = 0; i < cache->used; i++)
        if (cache->slot[i].id == id)
            return cache->slot[i].found ? cache->slot[i].name : NULL;
    size_t i = cache->used < SIF_NAME_CACHE ? cache->used++ : cache->next++ % SIF_NAME_CACHE;
    cache->slot[i].id = id;
    cache->slot[i].found = 0;
    char buf[16384];
    const char *name = NULL;
    if (group) {
        struct group gr, *res = NULL;
        if (getgrgid_r((gid_t)id, &gr, buf, sizeof buf, &res) == 0 && res != NULL)
            name = res->gr_name;
    } else {
        struct passwd pw, *res = NULL;
        if (getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
            name = res->pw_name;
    }
    if (name != NULL && strlen(name) < sizeof cache->slot[i].name) {
        strcpy(cache->slot[i].name, name);
        cache->slot[i].found = 1;
    }
    return cache->slot[i].found ? cache->slot[i].name : NULL;
}

static la_ssize_t sif_layer_write_cb(struct archive *ar, void *opaque, const void *data, size_t len)
{
    sif_layer_reader *lr = opaque;
    (void)ar;
    if (strbuf_append(&lr->out, data, len) != 0 || lr->out.failed)
        return -1;
    return (la_ssize_t)len;
}

static int sif_layer_archive_error(sif_layer_reader *lr, ferry_ctx *ctx, const char *name)
{
    const char *msg = archive_error_string(lr->ar);
    return lr->svc->set_error(ctx, lr->out.failed ? FERRY_ERR_NO_MEMORY : FERRY_ERR_FAILED,
                              "%s: writing the layer tar (%s): %s", lr->spec->label, name,
                              msg != NULL ? msg : "libarchive error");
}

/* Writes the header of an entry described by lr->entry. */
static int sif_layer_header(sif_layer_reader *lr, ferry_ctx *ctx)
{
    int rc = archive_write_header(lr->ar, lr->entry);
    if (rc < ARCHIVE_WARN)
        return sif_layer_archive_error(lr, ctx, archive_entry_pathname(lr->entry));
    return FERRY_OK;
}

static void sif_layer_owner(sif_layer_reader *lr, uint32_t uid, uint32_t gid)
{
    archive_entry_set_uid(lr->entry, uid);
    archive_entry_set_gid(lr->entry, gid);
    archive_entry_set_uname(lr->entry, sif_id_name(&lr->users, uid, 0));
    archive_entry_set_gname(lr->entry, sif_id_name(&lr->groups, gid, 1));
}

static int sif_layer_node(sif_layer_reader *lr, ferry_ctx *ctx, const sif_node *n)
{
    if (strcmp(n->rel, "podman") == 0) {
        lr->saw_podman = 1;
        lr->podman_is_dir = S_ISDIR(n->mode);
    } else if (strcmp(n->rel, "podman/runscript") == 0) {
        lr->saw_runscript = 1;
    }
    struct archive_entry *e = archive_entry_clear(lr->entry);
    archive_entry_copy_pathname(e, n->name);
    archive_entry_set_mode(e, n->mode);
    sif_layer_owner(lr, n->uid, n->gid);
    archive_entry_set_mtime(e, n->mtime, 0);
    archive_entry_set_atime(e, n->mtime, 0);
    /* GNU tar records extended attributes with the data, not on hard links. */
    for (size_t i = 0; n->hardlink == NULL && i < n->n_xattrs; i++)
        archive_entry_xattr_add_entry(e, n->xattrs[i].key, n->xattrs[i].value, n->xattrs[i].size);
    if (n->hardlink != NULL) {
        archive_entry_copy_hardlink(e, n->hardlink);
        archive_entry_set_size(e, 0);
    } else if (n->symlink != NULL) {
        archive_entry_copy_symlink(e, n->symlink);
    } else if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) {
        archive_entry_set_rdevmajor(e, n->rdev_major);
        archive_entry_set_rdevminor(e, n->rdev_minor);
    } else if (S_ISREG(n->mode)) {
        archive_entry_set_size(e, (la_int64_t)n->size);
    }
    int status = sif_layer_header(lr, ctx);
    if (status == FERRY_OK && n->hardlink == NULL && S_ISREG(n->mode) && n->size > 0)
        lr->state = SIF_LAYER_DATA;
    return status;
}

/* The header of something containers/image creates itself: owned by the
 * user running it (root under fakeroot), timed at the conversion. */
static int sif_layer_created(sif_layer_reader *lr, ferry_ctx *ctx, const char *name, mode_t mode, size_t size)
{
    struct archive_entry *e = archive_entry_clear(lr->entry);
    archive_entry_copy_pathname(e, name);
    archive_entry_set_mode(e, mode);
    sif_layer_owner(lr, 0, 0);
    archive_entry_set_mtime(e, lr->spec->inject_sec, lr->spec->inject_nsec);
    archive_entry_set_atime(e, lr->spec->inject_sec, lr->spec->inject_nsec);
    if (S_ISREG(mode))
        archive_entry_set_size(e, (la_int64_t)size);
    return sif_layer_header(lr, ctx);
}

/* ./podman/ and ./podman/runscript (mode 0755, as containers/image writes
 * them), then the end of the archive. */
static int sif_layer_inject(sif_layer_reader *lr, ferry_ctx *ctx)
{
    const sif_layer_spec *spec = lr->spec;
    int status = FERRY_OK;
    if (spec->script != NULL && !lr->saw_podman)
        status = sif_layer_created(lr, ctx, "./podman/", S_IFDIR | 0755, 0);
    if (status == FERRY_OK && spec->script != NULL && !lr->saw_runscript && (!lr->saw_podman || lr->podman_is_dir)) {
        status = sif_layer_created(lr, ctx, "./podman/runscript", S_IFREG | 0755, spec->script_len);
        if (status == FERRY_OK &&
            archive_write_data(lr->ar, spec->script, spec->script_len) != (la_ssize_t)spec->script_len)
            status = sif_layer_archive_error(lr, ctx, "./podman/runscript");
    }
    if (status == FERRY_OK && archive_write_close(lr->ar) != ARCHIVE_OK)
        status = sif_layer_archive_error(lr, ctx, "end of archive");
    if (status == FERRY_OK)
        lr->state = SIF_LAYER_DONE;
    return status;
}

/* One step: a header, a chunk of file data, or the end of the archive. */
static int sif_layer_step(sif_layer_reader *lr, ferry_ctx *ctx)
{
    if (lr->state == SIF_LAYER_DATA) {
        size_t n = 0;
        int status = sif_squash_read(lr->sq, ctx, lr->chunk, SIF_LAYER_CHUNK, &n);
        if (status != FERRY_OK)
            return status;
        if (n == 0) {
            lr->state = SIF_LAYER_NEXT;
            return FERRY_OK;
        }
        if (archive_write_data(lr->ar, lr->chunk, n) != (la_ssize_t)n)
            return sif_layer_archive_error(lr, ctx, archive_entry_pathname(lr->entry));
        return FERRY_OK;
    }
    if (lr->state == SIF_LAYER_NEXT) {
        const sif_node *node = NULL;
        int status = sif_squash_next(lr->sq, ctx, &node);
        if (status != FERRY_OK)
            return status;
        if (node != NULL)
            return sif_layer_node(lr, ctx, node);
        lr->state = SIF_LAYER_INJECT;
    }
    return sif_layer_inject(lr, ctx);
}

static int sif_layer_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    sif_layer_reader *lr = (sif_layer_reader *)reader;
    *nread = 0;
    *eos = 0;
    while (lr->out_pos == lr->out.len && lr->state != SIF_LAYER_DONE) {
        if (lr->state == SIF_LAYER_FAILED)
            return lr->svc->set_error(ctx, FERRY_ERR_FAILED, "%s: layer stream read after a failure", lr->spec->label);
        if (lr->svc->cancelled(ctx)) {
            lr->state = SIF_LAYER_FAILED;
            return lr->svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", lr->spec->label);
        }
        lr->out.len = lr->out_pos = 0;
        int status = sif_layer_step(lr, ctx);
        if (status != FERRY_OK) {
            lr->state = SIF_LAYER_FAILED;
            return status;
        }
    }
    size_t avail = lr->out.len - lr->out_pos;
    size_t n = avail < len ? avail : len;
    if (n > 0)
        memcpy(buf, lr->out.data + lr->out_pos, n);
    lr->out_pos += n;
    *nread = n;
    *eos = lr->state == SIF_LAYER_DONE && lr->out_pos == lr->out.len;
    return FERRY_OK;
}

static void sif_layer_close(ferry_reader *reader)
{
    sif_layer_reader *lr = (sif_layer_reader *)reader;
    if (lr->ar != NULL)
        archive_write_free(lr->ar);
    if (lr->entry != NULL)
        archive_entry_free(lr->entry);
    sif_squash_close(lr->sq);
    strbuf_release(&lr->out);
    free(lr->chunk);
    free(lr);
}

static const ferry_reader_ops sif_layer_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = sif_layer_read,
    .close = sif_layer_close,
    .digest = NULL,
    .size = NULL,
};

int sif_layer_open(const ferry_services *svc, ferry_ctx *ctx, const sif_layer_spec *spec, ferry_reader **out)
{
    *out = NULL;
    sif_layer_reader *lr = calloc(1, sizeof *lr);
    if (lr == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", spec->label);
    lr->base.ops = &sif_layer_ops;
    lr->svc = svc;
    lr->spec = spec;
    lr->state = SIF_LAYER_NEXT;
    lr->chunk = malloc(SIF_LAYER_CHUNK);
    lr->entry = archive_entry_new();
    lr->ar = archive_write_new();
    if (lr->chunk == NULL || lr->entry == NULL || lr->ar == NULL) {
        sif_layer_close(&lr->base);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", spec->label);
    }
    /* GNU tar's --format=posix with -b20. xattrs only as SCHILY records
     * where libarchive has the option (3.6: else both kinds). */
    if (archive_write_set_format_pax(lr->ar) != ARCHIVE_OK ||
        archive_write_add_filter_none(lr->ar) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(lr->ar, 10240) != ARCHIVE_OK ||
        (archive_write_set_format_option(lr->ar, "pax", "xattrheader", "SCHILY"),
         archive_write_open(lr->ar, lr, NULL, sif_layer_write_cb, NULL) != ARCHIVE_OK)) {
        int status = sif_layer_archive_error(lr, ctx, "start");
        sif_layer_close(&lr->base);
        return status;
    }
    int status = sif_squash_open(svc, ctx, spec->label, spec->fd, spec->rootfs.offset, spec->rootfs.size, &lr->sq);
    if (status != FERRY_OK) {
        sif_layer_close(&lr->base);
        return status;
    }
    *out = &lr->base;
    return FERRY_OK;
}
