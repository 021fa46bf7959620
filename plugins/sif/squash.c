/* plugins/sif/squash.c — the squashfs partition of a SIF, read in place
 * through libsquashfs (squashfs-tools-ng) and walked depth first, each
 * directory before its contents, as the objects unsquashfs would create:
 * owners from the ID table, modes, times, symbolic link targets, device
 * numbers, extended attributes, and hard links (entries sharing an inode
 * number, the later ones naming the first, as tar records them).
 *
 * Memory: the listings of the directories from the root to the current
 * one (names and inodes), the paths of inodes with several links, and
 * libsquashfs's block caches; file data is read block by block. */
#include "sif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_reader.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>

#include "shared/strbuf.h"

/* The partition as a libsquashfs file: reads at offsets inside it only. */
typedef struct sif_sqfs_file {
    sqfs_file_t base;
    int fd;
    uint64_t offset, size;
    int read_errno; /* of the last failed pread, 0 when it ran past the file's end */
} sif_sqfs_file;

typedef struct sif_entry {
    char *name;
    sqfs_inode_generic_t *inode;
} sif_entry;

/* A directory being walked: its listing and the length of its path. */
typedef struct sif_frame {
    sif_entry *entries;
    size_t count, next;
    size_t rel_len;
    uint32_t inode_number;
} sif_frame;

/* Inodes with several links: the tar name of the first one met. */
typedef struct sif_link {
    uint32_t inode_number;
    char *name;
    struct sif_link *next;
} sif_link;

#define SIF_LINK_BUCKETS 256

struct sif_squash {
    const ferry_services *svc;
    const char *label;
    sif_sqfs_file file;
    sqfs_super_t super;
    sqfs_compressor_t *cmp;
    sqfs_id_table_t *ids;
    sqfs_dir_reader_t *dirs;
    sqfs_data_reader_t *data;
    sqfs_xattr_reader_t *xattrs;
    sif_frame *stack;
    size_t depth, stack_cap;
    int started;
    sqfs_inode_generic_t *root;
    sif_link *links[SIF_LINK_BUCKETS];
    /* the node handed out last */
    strbuf rel, name;
    const sqfs_inode_generic_t *current;
    uint64_t current_size, read_pos;
    char *symlink;
    sif_xattr *node_xattrs;
    size_t n_node_xattrs;
    size_t cap_node_xattrs;
    uint64_t xattr_kv_start;          /* where the xattr key/value area starts */
    sqfs_meta_reader_t *xattr_sizes;  /* over that area, to check sizes before libsquashfs reads */
    sif_node node;
};

/* ---- the partition as a file ---------------------------------------------- */

static int sif_file_read_at(sqfs_file_t *base, sqfs_u64 offset, void *buffer, size_t size)
{
    sif_sqfs_file *f = (sif_sqfs_file *)base;
    if (offset > f->size || size > f->size - offset)
        return SQFS_ERROR_OUT_OF_BOUNDS;
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(f->fd, (char *)buffer + done, size - done, (off_t)(f->offset + offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            f->read_errno = n < 0 ? errno : 0;
            return SQFS_ERROR_IO;
        }
        done += (size_t)n;
    }
    return 0;
}

static int sif_file_write_at(sqfs_file_t *base, sqfs_u64 offset, const void *buffer, size_t size)
{
    (void)base, (void)offset, (void)buffer, (void)size;
    return SQFS_ERROR_UNSUPPORTED;
}

static sqfs_u64 sif_file_get_size(const sqfs_file_t *base)
{
    return ((const sif_sqfs_file *)base)->size;
}

static int sif_file_truncate(sqfs_file_t *base, sqfs_u64 size)
{
    (void)base, (void)size;
    return SQFS_ERROR_UNSUPPORTED;
}

/* Embedded in sif_squash, released with it: nothing to destroy here. */
static void sif_file_destroy(sqfs_object_t *obj)
{
    (void)obj;
}

/* ---- errors ------------------------------------------------------------------ */

static const char *sif_sqfs_strerror(int code)
{
    switch (code) {
    case SQFS_ERROR_ALLOC: return "out of memory";
    case SQFS_ERROR_IO: return "read error";
    case SQFS_ERROR_COMPRESSOR: return "decompression failed (corrupted data)";
    case SQFS_ERROR_CORRUPTED: return "corrupted file system";
    case SQFS_ERROR_UNSUPPORTED: return "unsupported feature (or compressor)";
    case SQFS_ERROR_OVERFLOW: return "numeric overflow (corrupted file system)";
    case SQFS_ERROR_OUT_OF_BOUNDS: return "location past the end of the partition (truncated or corrupted)";
    case SFQS_ERROR_SUPER_MAGIC: return "not a squashfs file system (bad magic)";
    case SFQS_ERROR_SUPER_VERSION: return "unsupported squashfs version";
    case SQFS_ERROR_SUPER_BLOCK_SIZE: return "invalid block size";
    case SQFS_ERROR_NOT_DIR: return "not a directory";
    case SQFS_ERROR_NO_ENTRY: return "no such entry";
    case SQFS_ERROR_LINK_LOOP: return "directory loop";
    case SQFS_ERROR_NOT_FILE: return "not a regular file";
    default: return "internal error";
    }
}

/* "LABEL: converting rootfs from SquashFS to Tarball: squashfs partition:
 * ACTION[ /PATH]: WHAT" */
static int sif_squash_fail(sif_squash *sq, ferry_ctx *ctx, int code, const char *action, const char *path)
{
    int status = code == SQFS_ERROR_ALLOC ? FERRY_ERR_NO_MEMORY : code == SQFS_ERROR_IO ? FERRY_ERR_IO : FERRY_ERR_INVALID;
    char err[128];
    const char *what = sif_sqfs_strerror(code);
    if (code == SQFS_ERROR_IO)
        what = sq->file.read_errno != 0 ? plugin_util_strerror(sq->file.read_errno, err, sizeof err)
                                        : "unexpected end of file (truncated)";
    return sq->svc->set_error(ctx, status, "%s: converting rootfs from SquashFS to Tarball: squashfs partition: %s%s%s: %s",
                              sq->label, action, path != NULL ? " /" : "", path != NULL ? path : "", what);
}

/* ---- opening --------------------------------------------------------------- */

void sif_squash_close(sif_squash *sq)
{
    if (sq == NULL)
        return;
    for (size_t d = 0; d < sq->depth; d++) {
        for (size_t i = 0; i < sq->stack[d].count; i++) {
            free(sq->stack[d].entries[i].name);
            sqfs_free(sq->stack[d].entries[i].inode);
        }
        free(sq->stack[d].entries);
    }
    free(sq->stack);
    for (size_t b = 0; b < SIF_LINK_BUCKETS; b++) {
        for (sif_link *l = sq->links[b], *next; l != NULL; l = next) {
            next = l->next;
            free(l->name);
            free(l);
        }
    }
    for (size_t i = 0; i < sq->n_node_xattrs; i++) {
        free(sq->node_xattrs[i].key);
        free(sq->node_xattrs[i].value);
    }
    free(sq->node_xattrs);
    free(sq->symlink);
    sqfs_free(sq->root);
    strbuf_release(&sq->rel);
    strbuf_release(&sq->name);
    sqfs_destroy(sq->xattrs);
    sqfs_destroy(sq->xattr_sizes);
    sqfs_destroy(sq->data);
    sqfs_destroy(sq->dirs);
    sqfs_destroy(sq->ids);
    sqfs_destroy(sq->cmp);
    free(sq);
}

/* The little-endian integer of n bytes at p (squashfs on disk). */
static uint64_t sif_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* libsquashfs sizes the fragment and xattr id tables from the counts the
 * image gives and allocates each whole before reading it: a count of 4
 * billion asked for 64 GiB (found by fuzz-sif). A table of N entries of E
 * bytes is stored as ceil(N * E / 8192) metadata blocks of at least 3 bytes
 * (a 2-byte header and data), each listed by an 8-byte location, so a count
 * whose table cannot fit in the partition is refused as corrupted first:
 * what is allocated stays within 745 times the partition's size. */
static int sif_table_fits(uint64_t count, uint64_t entry_size, uint64_t partition_size)
{
    uint64_t blocks = (count * entry_size + 8191) / 8192; /* count < 2^32, entry_size 16: no overflow */
    return blocks <= partition_size / 11;
}

static int sif_check_table_counts(sif_squash *sq, const char **action)
{
    const sqfs_super_t *super = &sq->super;
    if (super->fragment_table_start != 0xFFFFFFFFFFFFFFFFULL &&
        !sif_table_fits(super->fragment_entry_count, 16, sq->file.size)) {
        *action = "reading the fragment table";
        return SQFS_ERROR_CORRUPTED;
    }
    if (!(super->flags & SQFS_FLAG_NO_XATTRS) && super->xattr_id_table_start != 0xFFFFFFFFFFFFFFFFULL) {
        /* The xattr id table's header: the key/value start (u64), the count (u32), unused (u32). */
        unsigned char header[16];
        *action = "reading the xattr table";
        int rc = sq->file.base.read_at(&sq->file.base, super->xattr_id_table_start, header, sizeof header);
        if (rc != 0)
            return rc;
        if (!sif_table_fits(sif_le(header + 8, 4), 16, sq->file.size))
            return SQFS_ERROR_CORRUPTED;
        sq->xattr_kv_start = sif_le(header, 8);
    }
    return 0;
}

int sif_squash_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, uint64_t offset,
                    uint64_t size, sif_squash **out)
{
    *out = NULL;
    sif_squash *sq = calloc(1, sizeof *sq);
    if (sq == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    sq->svc = svc;
    sq->label = label;
    sq->file.base.base.destroy = sif_file_destroy;
    sq->file.base.read_at = sif_file_read_at;
    sq->file.base.write_at = sif_file_write_at;
    sq->file.base.get_size = sif_file_get_size;
    sq->file.base.truncate = sif_file_truncate;
    sq->file.fd = fd;
    sq->file.offset = offset;
    sq->file.size = size;
    sqfs_file_t *file = &sq->file.base;

    int rc = sqfs_super_read(&sq->super, file);
    const char *action = "reading the super block";
    if (rc == 0)
        rc = sif_check_table_counts(sq, &action);
    sqfs_compressor_config_t cfg;
    if (rc == 0) {
        action = "creating the decompressor";
        rc = sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)sq->super.compression_id, sq->super.block_size,
                                         SQFS_COMP_FLAG_UNCOMPRESS);
        if (rc == 0)
            rc = sqfs_compressor_create(&cfg, &sq->cmp);
        if (rc != 0) {
            const char *name = sqfs_compressor_name_from_id((SQFS_COMPRESSOR)sq->super.compression_id);
            svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                           "%s: converting rootfs from SquashFS to Tarball: squashfs partition: compressor %s is not supported",
                           label, name != NULL ? name : "(unknown)");
            sif_squash_close(sq);
            return FERRY_ERR_UNSUPPORTED;
        }
    }
    if (rc == 0) {
        action = "reading the ID table";
        sq->ids = sqfs_id_table_create(0);
        rc = sq->ids == NULL ? SQFS_ERROR_ALLOC : sqfs_id_table_read(sq->ids, file, &sq->super, sq->cmp);
    }
    if (rc == 0 && !(sq->super.flags & SQFS_FLAG_NO_XATTRS)) {
        action = "reading the xattr table";
        sq->xattrs = sqfs_xattr_reader_create(0);
        rc = sq->xattrs == NULL ? SQFS_ERROR_ALLOC : sqfs_xattr_reader_load(sq->xattrs, &sq->super, file, sq->cmp);
    }
    if (rc == 0) {
        action = "reading the directory table";
        sq->dirs = sqfs_dir_reader_create(&sq->super, sq->cmp, file, 0);
        rc = sq->dirs == NULL ? SQFS_ERROR_ALLOC : 0;
    }
    if (rc == 0) {
        action = "reading the fragment table";
        sq->data = sqfs_data_reader_create(file, sq->super.block_size, sq->cmp, 0);
        rc = sq->data == NULL ? SQFS_ERROR_ALLOC : sqfs_data_reader_load_fragment_table(sq->data, &sq->super);
    }
    if (rc == 0) {
        action = "reading the root directory";
        rc = sqfs_dir_reader_get_root_inode(sq->dirs, &sq->root);
        if (rc == 0 && !S_ISDIR(sq->root->base.mode))
            rc = SQFS_ERROR_NOT_DIR;
    }
    if (rc != 0) {
        int status = sif_squash_fail(sq, ctx, rc, action, NULL);
        sif_squash_close(sq);
        return status;
    }
    *out = sq;
    return FERRY_OK;
}

/* ---- walking ----------------------------------------------------------------- */

static int sif_name_ok(const char *name)
{
    return name[0] != '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && strchr(name, '/') == NULL;
}

/* Pushes a frame holding the listing of directory `dir`, whose path is
 * sq->rel. A directory that is its own ancestor is a loop. */
static int sif_push_dir(sif_squash *sq, ferry_ctx *ctx, const sqfs_inode_generic_t *dir)
{
    for (size_t d = 0; d < sq->depth; d++)
        if (sq->stack[d].inode_number == dir->base.inode_number)
            return sif_squash_fail(sq, ctx, SQFS_ERROR_LINK_LOOP, "reading directory", sq->rel.data);
    if (sq->depth == sq->stack_cap) {
        size_t cap = sq->stack_cap ? sq->stack_cap * 2 : 16;
        sif_frame *s = realloc(sq->stack, cap * sizeof *s);
        if (s == NULL)
            return sif_squash_fail(sq, ctx, SQFS_ERROR_ALLOC, "reading directory", sq->rel.data);
        sq->stack = s;
        sq->stack_cap = cap;
    }
    sif_frame *f = &sq->stack[sq->depth++];
    memset(f, 0, sizeof *f);
    f->rel_len = sq->rel.len;
    f->inode_number = dir->base.inode_number;
    int rc = sqfs_dir_reader_open_dir(sq->dirs, dir, 0);
    size_t cap = 0;
    while (rc == 0) {
        sqfs_dir_entry_t *ent = NULL;
        rc = sqfs_dir_reader_read(sq->dirs, &ent);
        if (rc != 0)
            break;
        char *name = strndup((const char *)ent->name, (size_t)ent->size + 1);
        sqfs_free(ent);
        if (name == NULL) {
            rc = SQFS_ERROR_ALLOC;
            break;
        }
        if (!sif_name_ok(name)) {
            free(name);
            rc = SQFS_ERROR_CORRUPTED;
            break;
        }
        sqfs_inode_generic_t *inode = NULL;
        rc = sqfs_dir_reader_get_inode(sq->dirs, &inode);
        if (rc == 0 && f->count == cap) {
            cap = cap ? cap * 2 : 16;
            sif_entry *e = realloc(f->entries, cap * sizeof *e);
            if (e == NULL)
                rc = SQFS_ERROR_ALLOC;
            else
                f->entries = e;
        }
        if (rc != 0) {
            free(name);
            sqfs_free(inode);
            break;
        }
        f->entries[f->count++] = (sif_entry){name, inode};
    }
    if (rc < 0)
        return sif_squash_fail(sq, ctx, rc, "reading directory", sq->rel.data);
    return FERRY_OK;
}

static void sif_pop_dir(sif_squash *sq)
{
    sif_frame *f = &sq->stack[--sq->depth];
    for (size_t i = 0; i < f->count; i++) {
        free(f->entries[i].name);
        sqfs_free(f->entries[i].inode);
    }
    free(f->entries);
    sq->rel.len = f->rel_len;
    if (sq->rel.data != NULL)
        sq->rel.data[sq->rel.len] = '\0';
}

static uint32_t sif_nlink(const sqfs_inode_generic_t *inode)
{
    switch (inode->base.type) {
    case SQFS_INODE_EXT_FILE: return inode->data.file_ext.nlink;
    case SQFS_INODE_SLINK:
    case SQFS_INODE_EXT_SLINK: return inode->data.slink.nlink;
    case SQFS_INODE_BDEV:
    case SQFS_INODE_CDEV:
    case SQFS_INODE_EXT_BDEV:
    case SQFS_INODE_EXT_CDEV: return inode->data.dev.nlink;
    case SQFS_INODE_FIFO:
    case SQFS_INODE_SOCKET:
    case SQFS_INODE_EXT_FIFO:
    case SQFS_INODE_EXT_SOCKET: return inode->data.ipc.nlink;
    default: return 1;
    }
}

/* The first name of a multiply linked inode, or NULL after recording
 * sq->name as its first name. -1 when out of memory. */
static int sif_link_lookup(sif_squash *sq, uint32_t inode_number, const char **first)
{
    *first = NULL;
    sif_link **bucket = &sq->links[inode_number % SIF_LINK_BUCKETS];
    for (sif_link *l = *bucket; l != NULL; l = l->next) {
        if (l->inode_number == inode_number) {
            *first = l->name;
            return 0;
        }
    }
    sif_link *l = malloc(sizeof *l);
    char *name = strdup(sq->name.data);
    if (l == NULL || name == NULL) {
        free(l);
        free(name);
        return -1;
    }
    *l = (sif_link){inode_number, name, *bucket};
    *bucket = l;
    return 0;
}

/* Reads and drops `len` bytes of the metadata stream. */
static int sif_meta_skip(sqfs_meta_reader_t *m, uint64_t len)
{
    unsigned char buf[4096];
    int rc = 0;
    while (rc == 0 && len > 0) {
        size_t n = len < sizeof buf ? (size_t)len : sizeof buf;
        rc = sqfs_meta_reader_read(m, buf, n);
        len -= n;
    }
    return rc;
}

/* libsquashfs allocates an xattr value at the size its header states,
 * before reading it (4 GiB for a corrupted header; found by fuzz-sif). The
 * inode's entries are walked here first: a key (type u16, name size u16,
 * name), a value (size u32, bytes; or, out of line, size 8 and a reference
 * to the value elsewhere in the area). A value larger than the key/value
 * area could hold uncompressed (8 KiB metadata blocks of at least 3 bytes
 * each) is refused as corrupted. */
static int sif_check_xattr_sizes(sif_squash *sq, const sqfs_xattr_id_t *desc)
{
    uint64_t end = sq->super.xattr_id_table_start;
    uint64_t area = end > sq->xattr_kv_start ? end - sq->xattr_kv_start : 0;
    uint64_t largest = (area / 3 + 1) * 8192;
    if (sq->xattr_sizes == NULL) {
        sq->xattr_sizes = sqfs_meta_reader_create(&sq->file.base, sq->cmp, sq->xattr_kv_start, end);
        if (sq->xattr_sizes == NULL)
            return SQFS_ERROR_ALLOC;
    }
    sqfs_meta_reader_t *m = sq->xattr_sizes;
    int rc = sqfs_meta_reader_seek(m, sq->xattr_kv_start + (desc->xattr >> 16), desc->xattr & 0xFFFF);
    for (sqfs_u32 i = 0; rc == 0 && i < desc->count; i++) {
        unsigned char key[4], size[4], ref[8];
        rc = sqfs_meta_reader_read(m, key, sizeof key);
        if (rc == 0)
            rc = sif_meta_skip(m, sif_le(key + 2, 2));
        if (rc == 0)
            rc = sqfs_meta_reader_read(m, size, sizeof size);
        if (rc != 0)
            break;
        uint64_t value_size = sif_le(size, 4);
        if (!(sif_le(key, 2) & SQFS_XATTR_FLAG_OOL)) {
            if (value_size > largest)
                return SQFS_ERROR_CORRUPTED;
            rc = sif_meta_skip(m, value_size);
            continue;
        }
        if (value_size != sizeof ref)
            return SQFS_ERROR_CORRUPTED;
        rc = sqfs_meta_reader_read(m, ref, sizeof ref);
        sqfs_u64 block = 0;
        size_t offset = 0;
        sqfs_meta_reader_get_position(m, &block, &offset);
        uint64_t target = sif_le(ref, 8);
        if (rc == 0)
            rc = sqfs_meta_reader_seek(m, sq->xattr_kv_start + (target >> 16), target & 0xFFFF);
        if (rc == 0)
            rc = sqfs_meta_reader_read(m, size, sizeof size);
        if (rc == 0 && sif_le(size, 4) > largest)
            return SQFS_ERROR_CORRUPTED;
        if (rc == 0)
            rc = sqfs_meta_reader_seek(m, block, offset);
    }
    return rc;
}

static int sif_read_xattrs(sif_squash *sq, ferry_ctx *ctx, const sqfs_inode_generic_t *inode)
{
    for (size_t i = 0; i < sq->n_node_xattrs; i++) {
        free(sq->node_xattrs[i].key);
        free(sq->node_xattrs[i].value);
    }
    sq->n_node_xattrs = 0;
    sqfs_u32 index = 0xFFFFFFFF;
    if (sq->xattrs == NULL || sqfs_inode_get_xattr_index(inode, &index) != 0 || index == 0xFFFFFFFF)
        return FERRY_OK;
    sqfs_xattr_id_t desc;
    int rc = sqfs_xattr_reader_get_desc(sq->xattrs, index, &desc);
    if (rc == 0)
        rc = sif_check_xattr_sizes(sq, &desc);
    if (rc == 0)
        rc = sqfs_xattr_reader_seek_kv(sq->xattrs, &desc);
    /* desc.count is the image's word: the list grows with the entries
     * actually read (a count of 4 billion once asked for 3 GiB up front). */
    for (sqfs_u32 i = 0; rc == 0 && i < desc.count; i++) {
        if (sq->n_node_xattrs == sq->cap_node_xattrs) {
            size_t cap = sq->cap_node_xattrs > 0 ? 2 * sq->cap_node_xattrs : 8;
            sif_xattr *list = realloc(sq->node_xattrs, cap * sizeof *list);
            if (list == NULL) {
                rc = SQFS_ERROR_ALLOC;
                break;
            }
            sq->node_xattrs = list;
            sq->cap_node_xattrs = cap;
        }
        sqfs_xattr_entry_t *key = NULL;
        sqfs_xattr_value_t *value = NULL;
        rc = sqfs_xattr_reader_read_key(sq->xattrs, &key);
        if (rc == 0)
            rc = sqfs_xattr_reader_read_value(sq->xattrs, key, &value);
        if (rc == 0) {
            sif_xattr *x = &sq->node_xattrs[sq->n_node_xattrs];
            /* key->key holds the prefix ("user.") too; key->size counts only the rest. */
            x->key = strdup((const char *)key->key);
            x->value = malloc(value->size > 0 ? value->size : 1);
            x->size = value->size;
            if (x->key == NULL || x->value == NULL) {
                free(x->key);
                free(x->value);
                rc = SQFS_ERROR_ALLOC;
            } else {
                memcpy(x->value, value->value, value->size);
                sq->n_node_xattrs++;
            }
        }
        sqfs_free(key);
        sqfs_free(value);
    }
    if (rc != 0)
        return sif_squash_fail(sq, ctx, rc, "reading the extended attributes of", sq->rel.data);
    return FERRY_OK;
}

/* Fills sq->node for `inode`, whose path is sq->rel. */
static int sif_make_node(sif_squash *sq, ferry_ctx *ctx, const sqfs_inode_generic_t *inode)
{
    sif_node *n = &sq->node;
    int is_dir = S_ISDIR(inode->base.mode);
    sq->name.len = 0;
    strbuf_puts(&sq->name, "./");
    strbuf_append(&sq->name, sq->rel.data != NULL ? sq->rel.data : "", sq->rel.len);
    if (is_dir && sq->rel.len > 0)
        strbuf_puts(&sq->name, "/");
    if (sq->name.failed)
        return sif_squash_fail(sq, ctx, SQFS_ERROR_ALLOC, "reading", sq->rel.data);
    memset(n, 0, sizeof *n);
    n->name = sq->name.data;
    n->rel = sq->rel.data != NULL ? sq->rel.data : "";
    n->mode = inode->base.mode;
    n->mtime = inode->base.mod_time;
    int rc = sqfs_id_table_index_to_id(sq->ids, inode->base.uid_idx, &n->uid);
    if (rc == 0)
        rc = sqfs_id_table_index_to_id(sq->ids, inode->base.gid_idx, &n->gid);
    if (rc != 0)
        return sif_squash_fail(sq, ctx, rc, "reading the owner of", sq->rel.data);
    sq->current = NULL;
    sq->current_size = sq->read_pos = 0;
    free(sq->symlink);
    sq->symlink = NULL;

    if (!is_dir && sif_nlink(inode) > 1) {
        if (sif_link_lookup(sq, inode->base.inode_number, &n->hardlink) != 0)
            return sif_squash_fail(sq, ctx, SQFS_ERROR_ALLOC, "reading", sq->rel.data);
    }
    int status = sif_read_xattrs(sq, ctx, inode);
    if (status != FERRY_OK)
        return status;
    n->xattrs = sq->node_xattrs;
    n->n_xattrs = sq->n_node_xattrs;
    if (n->hardlink != NULL)
        return FERRY_OK;

    switch (inode->base.mode & S_IFMT) {
    case S_IFREG: {
        sqfs_u64 size = 0;
        sqfs_inode_get_file_size(inode, &size);
        n->size = size;
        sq->current = inode;
        sq->current_size = size;
        break;
    }
    case S_IFLNK:
        /* Linux gives every symbolic link mode 0777, whatever the image says. */
        n->mode = S_IFLNK | 0777;
        sq->symlink = strndup((const char *)inode->extra, inode->data.slink.target_size);
        if (sq->symlink == NULL)
            return sif_squash_fail(sq, ctx, SQFS_ERROR_ALLOC, "reading", sq->rel.data);
        n->symlink = sq->symlink;
        break;
    case S_IFCHR:
    case S_IFBLK: {
        uint32_t devno = inode->data.dev.devno;
        n->rdev_major = (devno >> 8) & 0xfff;
        n->rdev_minor = (devno & 0xff) | ((devno >> 12) & 0xfff00);
        break;
    }
    case S_IFDIR:
    case S_IFIFO:
        break;
    default:
        return sif_squash_fail(sq, ctx, SQFS_ERROR_CORRUPTED, "reading", sq->rel.data);
    }
    return FERRY_OK;
}

int sif_squash_next(sif_squash *sq, ferry_ctx *ctx, const sif_node **node)
{
    *node = NULL;
    if (!sq->started) {
        sq->started = 1;
        strbuf_puts(&sq->rel, "");
        int status = sif_make_node(sq, ctx, sq->root);
        if (status == FERRY_OK)
            status = sif_push_dir(sq, ctx, sq->root);
        if (status == FERRY_OK)
            *node = &sq->node;
        return status;
    }
    while (sq->depth > 0) {
        sif_frame *f = &sq->stack[sq->depth - 1];
        if (f->next == f->count) {
            sif_pop_dir(sq);
            continue;
        }
        sif_entry *e = &f->entries[f->next++];
        /* GNU tar leaves sockets out of archives. */
        if (S_ISSOCK(e->inode->base.mode))
            continue;
        sq->rel.len = f->rel_len;
        if (f->rel_len > 0)
            strbuf_puts(&sq->rel, "/");
        strbuf_puts(&sq->rel, e->name);
        if (sq->rel.failed)
            return sif_squash_fail(sq, ctx, SQFS_ERROR_ALLOC, "reading", e->name);
        int status = sif_make_node(sq, ctx, e->inode);
        if (status == FERRY_OK && S_ISDIR(e->inode->base.mode))
            status = sif_push_dir(sq, ctx, e->inode); /* may move the stack: f is stale */
        if (status == FERRY_OK)
            *node = &sq->node;
        return status;
    }
    return FERRY_OK;
}

int sif_squash_read(sif_squash *sq, ferry_ctx *ctx, void *buf, size_t len, size_t *n)
{
    *n = 0;
    if (sq->current == NULL || sq->read_pos >= sq->current_size)
        return FERRY_OK;
    uint64_t left = sq->current_size - sq->read_pos;
    sqfs_u32 want = (sqfs_u32)(left < len ? left : len);
    sqfs_s32 got = sqfs_data_reader_read(sq->data, sq->current, sq->read_pos, buf, want);
    if (got < 0)
        return sif_squash_fail(sq, ctx, got, "reading the data of", sq->rel.data);
    if (got == 0)
        return sif_squash_fail(sq, ctx, SQFS_ERROR_CORRUPTED, "reading the data of", sq->rel.data);
    sq->read_pos += (uint64_t)got;
    *n = (size_t)got;
    return FERRY_OK;
}
