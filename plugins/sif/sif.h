/* plugins/sif/sif.h — internal interfaces of the sif: transport (read only):
 * a Singularity/Apptainer SIF file whose primary system partition
 * (squashfs) becomes a one-layer OCI image, as containers/image v5.23.1's
 * sif transport builds it — without its unsquashfs, fakeroot and temporary
 * tree: the partition is read in place through libsquashfs and the layer
 * tar is generated as it is streamed. */
#ifndef FERRY_SIF_H
#define FERRY_SIF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugin_util.h"

/* module.c */
const ferry_services *sif_services(void);

/* reference.c */
int sif_validate_reference(ferry_ctx *ctx, const char *reference);
int sif_validate_reference_for(ferry_ctx *ctx, const char *reference, int purpose);
int sif_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* source.c */
int sif_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);

/* ---- container.c: the SIF global header and descriptor table ---- */

/* Where a data object lies in the file. */
typedef struct sif_object {
    uint64_t offset;
    uint64_t size;
} sif_object;

typedef struct sif_container {
    char arch[16];        /* Go's name of the header's architecture, "unknown" when not known */
    char uuid[40];        /* the header's ID, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
    int64_t modified;     /* the header's modification time, Unix seconds */
    uint64_t file_size;   /* of the SIF file when loaded */
    int has_deffile;      /* exactly one definition file object */
    sif_object deffile;
    int rootfs_lookup;    /* SIF_ROOTFS_*: whether the lookup found one */
    sif_object rootfs;    /* the primary system partition */
} sif_container;

/* How the lookup of the primary system partition ended. */
enum { SIF_ROOTFS_FOUND, SIF_ROOTFS_NO_OBJECTS, SIF_ROOTFS_NOT_FOUND, SIF_ROOTFS_MULTIPLE };

/* Loads the header and descriptors of the SIF file open at fd (`path` and
 * `label` word errors), finds the definition file and the primary system
 * partition as containers/image looks them up. FERRY_OK, or a status after
 * set_error with containers/image's wording (a file that is not a SIF, a
 * truncated header or descriptor table). */
int sif_container_load(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int fd,
                       sif_container *out);

/* Reports what keeps the partition from being converted: the lookup's
 * error, a partition past the end of the file (truncated). FERRY_OK when
 * it can be read. Its file system type is not checked (containers/image
 * hands any partition to unsquashfs): squashfs's magic decides. Called after the
 * definition file was read, as containers/image orders its errors. */
int sif_container_check_rootfs(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path,
                               const sif_container *c);

/* ---- deffile.c: %environment and %runscript of the definition file ---- */

/* The script containers/image injects as /podman/runscript, built from the
 * definition file object at `def` of fd: malloc'd into *script (NULL and
 * *len 0 when both sections are empty: the command is then "bash"). */
int sif_deffile_script(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, const sif_object *def,
                       char **script, size_t *len);

/* ---- squash.c: the squashfs partition, walked in tar order ---- */

typedef struct sif_squash sif_squash;

typedef struct sif_xattr {
    char *key;   /* full name, "user.foo" */
    void *value;
    size_t size;
} sif_xattr;

/* One file system object, valid until the next sif_squash_next. */
typedef struct sif_node {
    const char *name;     /* tar member name: "./", "./etc/", "./etc/hosts" */
    const char *rel;      /* path below the root: "", "etc", "etc/hosts" */
    mode_t mode;          /* type and permission bits, as unsquashfs creates it */
    uint32_t uid, gid;
    int64_t mtime;
    uint64_t size;        /* regular files: bytes of data (0 for a hard link) */
    const char *symlink;  /* target of a symbolic link, else NULL */
    const char *hardlink; /* tar member name of the first link to this inode, else NULL */
    uint32_t rdev_major, rdev_minor;
    size_t n_xattrs;
    const sif_xattr *xattrs;
} sif_node;

/* Opens the squashfs image in bytes [offset, offset + size) of fd (which
 * stays the caller's; only pread is used on it). */
int sif_squash_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, int fd, uint64_t offset,
                    uint64_t size, sif_squash **out);
/* The next object, directories before their contents, names in the
 * image's (sorted) order; *node NULL after the last one. Sockets are left
 * out, as GNU tar leaves them out. */
int sif_squash_next(sif_squash *sq, ferry_ctx *ctx, const sif_node **node);
/* Up to len bytes of the current regular file's data; *n 0 at its end. */
int sif_squash_read(sif_squash *sq, ferry_ctx *ctx, void *buf, size_t len, size_t *n);
void sif_squash_close(sif_squash *sq);

/* ---- layer.c: the layer tar, generated as it is read ---- */

typedef struct sif_layer_spec {
    const char *label;
    int fd;
    sif_object rootfs;
    const char *script; /* injected as ./podman/runscript, or NULL */
    size_t script_len;
    int64_t inject_sec; /* mtime of what is injected */
    long inject_nsec;
} sif_layer_spec;

/* A reader of the layer: the partition's objects as GNU tar archives
 * unsquashfs's tree (pax format, owners, modes, links, device numbers and
 * xattrs), plus the injected script. The same spec gives the same bytes.
 * `spec` and its strings must outlive the reader. */
int sif_layer_open(const ferry_services *svc, ferry_ctx *ctx, const sif_layer_spec *spec, ferry_reader **out);

#endif /* FERRY_SIF_H */
