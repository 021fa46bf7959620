/* plugins/containers-storage/cs.h — the containers-storage: transport's parts
 * and the contracts between them: the reference syntax (reference.c), the
 * storage.conf lookup (config.c), the store's records and lock files
 * (store.c, lock.c), the graph drivers' layer directories (overlay.c, vfs.c),
 * the layer tar stream applied to a layer directory while its tar-split is
 * recorded (layer_apply.c), and the transport's source, destination and
 * delete (source.c, dest.c, delete.c, module.c). The tar-split itself — its
 * writer, the recorder layer_apply.c reads the stream with, and the reader
 * that rebuilds a layer from it and the layer directory (source.c) — is
 * plugins/common/tarsplit.h's, shared with the ostree transport.
 *
 * The on-disk format is containers/storage's (podman 4.3, buildah 1.28, CRI-O):
 * GRAPHROOT/DRIVER-layers/layers.json and DRIVER-images/images.json hold the
 * records as JSON arrays, each guarded by a lock file beside it (fcntl write
 * locks; the holder of a write lock writes a fresh 64-byte "last writer" token
 * into the lock file so that other processes see the change). Records are kept
 * as jansson objects so that members ferry does not know survive a rewrite.
 *
 * Errors: functions returning int return FERRY_OK or a FERRY_* status after
 * svc->set_error on ctx (one line naming the store path, reference, layer or
 * image ID), unless documented otherwise. */
#ifndef FERRY_PLUGIN_CS_H
#define FERRY_PLUGIN_CS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ferry/ferry.h>

#define CS_TRANSPORT "containers-storage"
#define CS_ID_LEN 64 /* image and layer IDs: 64 lowercase hex digits */

/* ---- reference.c ---------------------------------------------------------- */

/* containers-storage:[[DRIVER@]ROOT[+RUNROOT][:OPTIONS]]{ID|REF[@ID]|REF@DIGEST}
 * as containers/image's storage transport parses it. Every string malloc'd and
 * owned by the struct, NULL when absent. */
typedef struct cs_reference {
    char *driver;   /* "[overlay@...]": the graph driver, else storage.conf's */
    char *root;     /* graph root (absolute), else storage.conf's */
    char *runroot;  /* run root (absolute), else storage.conf's */
    char *options;  /* ",".joined driver options after ':' inside [], verbatim */
    char *name;     /* normalised docker reference: "docker.io/library/busybox:latest",
                       "example.com/a/b@sha256:…" (tag added only when no digest) */
    char *id;       /* image ID: full (64 hex) or a short prefix (3 or more hex digits) */
    int id_is_short;/* id is a prefix to resolve against the store (unique match) */
    int name_is_fallback; /* a bare short hex text ("c756c"): id is tried first and name (the
                             same text as a name) is meant only when no image ID starts with id;
                             otherwise, with a name, the image must match both */
} cs_reference;

/* FERRY_OK, or FERRY_ERR_INVALID with a one-line message in err (naming the
 * reference); r is released with cs_reference_free either way. */
int cs_reference_parse(const char *text, cs_reference *r, char *err, size_t errcap);
void cs_reference_free(cs_reference *r);

/* ---- config.c: storage.conf ---------------------------------------------- */

/* The store location and options as containers/storage resolves them. Strings
 * malloc'd, owned by the struct. */
typedef struct cs_config {
    char *driver;          /* "overlay", "vfs", …; never NULL after cs_config_load
                              ("overlay" when neither the file nor $STORAGE_DRIVER say) */
    char *graphroot;       /* never NULL after load */
    char *runroot;         /* never NULL after load */
    char **additional_image_stores; /* read-only stores searched after graphroot */
    size_t n_additional_image_stores;
    char *mount_program;   /* [storage.options.overlay] mount_program, or NULL */
    char *ignore_chown_errors; /* [storage.options.overlay] or [storage.options] ignore_chown_errors, or NULL */
    char *force_mask;      /* [storage.options.overlay] or [storage.options] force_mask, or NULL */
    char *source_path;     /* the storage.conf read, or NULL when none existed */
} cs_config;

/* Finds and reads storage.conf as containers/storage does: $CONTAINERS_STORAGE_CONF,
 * else for root /etc/containers/storage.conf (then /usr/share/containers/storage.conf),
 * for other users $XDG_CONFIG_HOME/containers/storage.conf or
 * ~/.config/containers/storage.conf (then the system files); defaults when none
 * exists; $STORAGE_DRIVER overrides the driver. FERRY_OK, or FERRY_ERR_INVALID
 * with "FILE:LINE: …" in err for a bad file. */
int cs_config_load(cs_config *c, char *err, size_t errcap);
/* The same for the user `uid` (0: root), which cs_config_load takes from
 * $_CONTAINERS_ROOTLESS_UID or the effective UID; separate for the tests. */
int cs_config_load_for_uid(cs_config *c, unsigned uid, char *err, size_t errcap);
void cs_config_free(cs_config *c);

/* ---- driver_options.c: the graph driver's options ------------------------ */

/* What ferry takes from the driver options. Owned by the struct. */
typedef struct cs_driver_options {
    char **image_stores;    /* read-only additional image stores (absolute, cleaned), searched in order
                               after the graph root when reading */
    size_t n_image_stores;
    int ignore_chown_errors; /* a failed chown while applying a layer is not an error */
} cs_driver_options;

/* Reads options[0..n) ("KEY=VALUE" each) as containers/storage's `driver`
 * does ("overlay"/"overlay2" or "vfs"): unknown keys and bad values are
 * FERRY_ERR_INVALID, force_mask and additionallayerstore FERRY_ERR_UNSUPPORTED,
 * with containers/storage's one-line message in err. Options that only shape
 * mounts are checked and otherwise have no effect (ferry never mounts). *o is
 * released with cs_driver_options_free, also after a failure. */
int cs_driver_options_parse(const char *driver, const char *const *options, size_t n, cs_driver_options *o,
                            char *err, size_t errcap);
void cs_driver_options_free(cs_driver_options *o);

/* ---- lock.c --------------------------------------------------------------- */

typedef struct cs_lock {
    int fd;        /* -1 when not open */
    char *path;    /* owned */
    int exclusive; /* held for writing */
} cs_lock;

/* Opens (creating, mode 0644) the lock file and takes a fcntl lock on it,
 * waiting for other holders: shared for reading, exclusive for writing. With
 * read_only (an additional image store, containers/storage's GetROLockfile)
 * the file is opened read-only and never created, and only a shared lock can
 * be taken. 0, or -1 with errno. */
int cs_lock_acquire(cs_lock *l, const char *path, int exclusive, int read_only);
/* Writes a new last-writer token (64 bytes: UnixNano, counter, pid as little
 * endian, random rest, as containers/storage's lockfile) at offset 0 so that
 * other processes notice the change. Only while held exclusively. 0 or -1. */
int cs_lock_record_write(cs_lock *l);
/* Releases the lock and closes the file. Safe on a lock never acquired. */
void cs_lock_release(cs_lock *l);

/* ---- store.c: records ----------------------------------------------------- */

typedef struct cs_store {
    char *graphroot, *runroot, *driver; /* owned */
    int graph_fd;                       /* GRAPHROOT, open */
    cs_lock layers_lock, images_lock;   /* DRIVER-layers/layers.lock, DRIVER-images/images.lock */
    json_t *layers;  /* array of layer records (layers.json), owned; loaded under layers_lock */
    json_t *images;  /* array of image records (images.json), owned; loaded under images_lock */
    int writable;
    int read_only;   /* an additional image store: nothing in it is created or changed */
} cs_store;

/* Opens the store at cfg's (or the reference's overriding) graphroot/runroot/
 * driver. writable: creates the directories containers/storage creates
 * (GRAPHROOT/{DRIVER,DRIVER-layers,DRIVER-images,DRIVER-containers,tmp,mounts},
 * RUNROOT/{DRIVER-layers,DRIVER-containers,DRIVER-locks}, mode 0700) and the
 * lock files. A missing store opened read-only is FERRY_ERR_NOT_FOUND. */
int cs_store_open(const ferry_services *svc, ferry_ctx *ctx, const char *graphroot, const char *runroot,
                  const char *driver, int writable, cs_store *st);
/* A store with no records and nothing open, standing for a graph root that
 * does not exist yet while its additional image stores are read. */
int cs_store_init_empty(const ferry_services *svc, ferry_ctx *ctx, const char *graphroot, const char *runroot,
                        const char *driver, cs_store *st);
/* Opens the additional image store at `path` (its DRIVER-images and
 * DRIVER-layers, read-only; the layer files where the driver keeps them
 * under path). A missing store is FERRY_ERR_NOT_FOUND naming it. */
int cs_store_open_image_store(const ferry_services *svc, ferry_ctx *ctx, const char *path, const char *driver,
                              cs_store *st);
void cs_store_close(cs_store *st);

/* Takes both locks (layers, then images; exclusive when writable) and loads
 * both record files (missing files are empty arrays). With a write lock,
 * layers flagged incomplete (a writer died) are removed with their
 * directories first, as containers/storage does. */
int cs_store_lock_and_load(const ferry_services *svc, ferry_ctx *ctx, cs_store *st);
/* Rewrites layers.json / images.json atomically (temp file, fsync, rename),
 * records a write on their lock file. Only under the write lock. */
int cs_store_save_layers(const ferry_services *svc, ferry_ctx *ctx, cs_store *st);
int cs_store_save_images(const ferry_services *svc, ferry_ctx *ctx, cs_store *st);
/* Releases both locks (the records stay loaded). */
void cs_store_unlock(cs_store *st);

/* Lookups in the loaded records; borrowed references, NULL when absent. */
json_t *cs_store_layer(const cs_store *st, const char *id);
/* The layer whose diff-digest is `diff_id` and whose parent is `parent_id`
 * (NULL: none), complete — a layer ferry can reuse. */
json_t *cs_store_layer_by_diff(const cs_store *st, const char *parent_id, const char *diff_id);
json_t *cs_store_image(const cs_store *st, const char *id);
/* An image by one of its names (exact match of a normalised reference). */
json_t *cs_store_image_by_name(const cs_store *st, const char *name);
/* An image by unique ID prefix; *ambiguous set when several match. */
json_t *cs_store_image_by_prefix(const cs_store *st, const char *prefix, int *ambiguous);
/* The image's big-data file path GRAPHROOT/DRIVER-images/ID/=BASE64(KEY)
 * (malloc'd), as containers/storage names it. */
char *cs_store_big_data_path(const cs_store *st, const char *image_id, const char *key);

/* ---- overlay.c / vfs.c: a graph driver's layer directories ---------------- */

typedef struct cs_driver_ops {
    const char *name; /* "overlay", "vfs" */
    /* Creates the layer's directories for layer `id` on `parent` (NULL for a
     * base layer) and returns in *diff_path (malloc'd) the directory the tar
     * stream is applied to: overlay GRAPHROOT/overlay/ID/diff (with link, lower,
     * work, merged, empty, and the l/ short link), vfs GRAPHROOT/vfs/dir/ID
     * (a copy of the parent's tree). */
    int (*create)(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id, const char *parent,
                  char **diff_path);
    /* Removes everything create made (a missing layer is fine). */
    int (*remove)(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *id);
    /* The directory the layer's files are read from when rebuilding its tar. */
    char *(*diff_path)(const cs_store *st, const char *id);
    int overlay_whiteouts; /* whiteouts stored as 0/0 char devices and opaque xattrs (else applied) */
} cs_driver_ops;

/* The driver named `name`, or NULL when ferry does not support it. */
const cs_driver_ops *cs_driver_find(const char *name);

/* ---- layer_apply.c: a layer tar stream into a layer directory ------------ */

typedef struct cs_apply_result {
    char diff_digest[80];     /* sha256 of the tar bytes read: the reader's digest() when it has one */
    int64_t diff_size;        /* their count */
    json_t *uidset, *gidset;  /* sorted arrays of the owners seen (owned; json_decref) */
} cs_apply_result;

/* Reads the uncompressed tar stream `tar` to its end, creating every entry
 * under the directory `diff_path` (regular files, directories, symlinks,
 * hard links, fifos, device nodes, owners, modes with setuid/setgid/sticky,
 * mtimes, xattrs, PAX and GNU long names), never outside it; whiteouts
 * (.wh.NAME, .wh..wh..opq) converted for overlay (0/0 char device, opaque
 * xattr) with CS_APPLY_OVERLAY_WHITEOUTS in flags, else applied (the entries
 * they hide are removed); with CS_APPLY_IGNORE_CHOWN_ERRORS a chown refused
 * with EPERM or EINVAL is skipped. Writes the layer's tar-split (tarsplit.h's
 * recorder) gzip-compressed to the file descriptor tarsplit_fd. Errors begin
 * with dest_label (the destination reference). FERRY_OK with
 * *res filled, or a status; a failed apply leaves diff_path for the caller to
 * remove. */
#define CS_APPLY_OVERLAY_WHITEOUTS 1u
#define CS_APPLY_IGNORE_CHOWN_ERRORS 2u
int cs_layer_apply(const ferry_services *svc, ferry_ctx *ctx, const char *dest_label, ferry_reader *tar,
                   const char *diff_path, unsigned flags, int tarsplit_fd, cs_apply_result *res);
void cs_apply_result_release(cs_apply_result *res);

#endif /* FERRY_PLUGIN_CS_H */
