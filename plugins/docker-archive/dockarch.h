/* plugins/docker-archive/dockarch.h — internal interface of the
 * docker-archive: transport module (the `docker save` tar format:
 * manifest.json, repositories, HEX.json configs, HEX.tar layers and the
 * legacy ID/{layer.tar,VERSION,json} directories skopeo writes). */
#ifndef FERRY_PLUGIN_DOCKARCH_H
#define FERRY_PLUGIN_DOCKARCH_H

#include <ferry/ferry.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin_util.h"

#define DOCKARCH_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKARCH_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKARCH_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define DOCKARCH_MANIFEST_FILE "manifest.json"
#define DOCKARCH_REPOSITORIES_FILE "repositories"
/* manifest.json and configs are held in memory: bound them. */
#define DOCKARCH_JSON_MAX (4 * 1024 * 1024)
/* Bounds the member index against a hostile archive. */
#define DOCKARCH_MEMBERS_MAX 200000
#define DOCKARCH_TAR_BLOCK 512

/* The services table the core handed to ferry_module_init (module.c). */
const ferry_services *dockarch_services(void);

/* reference.c — "PATH[:REF]" or "PATH:@N"; PATH ends at the first ':'.
 * REF is normalised as containers/image does ("busybox" becomes
 * "docker.io/library/busybox:latest"). */
typedef struct dockarch_reference {
    char *path;  /* the archive as written */
    char *name;  /* normalised "DOMAIN/REPO:TAG", or NULL */
    long index;  /* N of "@N", or -1 */
    char *label; /* "docker-archive:" + the whole reference, for messages */
} dockarch_reference;

int dockarch_reference_parse(ferry_ctx *ctx, const char *reference, dockarch_reference *out);
void dockarch_reference_free(dockarch_reference *ref);
/* Normalises "name[:tag]" to "DOMAIN/REPO:TAG" (malloc'd into *out); on a
 * syntax error returns -1 with the reason in why. */
int dockarch_normalize_tagged(const char *in, char **out, char *why, size_t cap);
int dockarch_validate_reference(ferry_ctx *ctx, const char *reference);
int dockarch_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* tar.c — a tar file indexed in place: one pass over the headers records
 * each member's data offset and size; data is then read with pread. */
#define DOCKARCH_MEMBER_FILE 0
#define DOCKARCH_MEMBER_DIR 1
#define DOCKARCH_MEMBER_SYMLINK 2
#define DOCKARCH_MEMBER_HARDLINK 3
#define DOCKARCH_MEMBER_OTHER 4

typedef struct dockarch_member {
    char *name; /* normalised: no "./", no trailing '/' */
    char *link; /* link target, resolved to an archive path */
    int type;
    int64_t offset; /* of the data */
    int64_t size;
} dockarch_member;

typedef struct dockarch_archive {
    int fd; /* the file itself, or an unlinked spool copy of a pipe */
    const char *label;
    dockarch_member *members;
    size_t n_members;
} dockarch_archive;

/* Opens and indexes PATH; a pipe is spooled to tmpdir first. Refuses
 * members escaping the archive and truncated archives (one-line errors
 * naming `label`). */
int dockarch_archive_open(ferry_ctx *ctx, const char *label, const char *path, dockarch_archive *out);
void dockarch_archive_close(dockarch_archive *ar);
/* The regular file `name` names, following links inside the archive; NULL
 * when absent. */
const dockarch_member *dockarch_archive_find(const dockarch_archive *ar, const char *name);
/* Reads a whole member of at most max bytes (NUL-terminated copy). */
int dockarch_archive_read(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, size_t max,
                          char **data);
/* A reader over a member's bytes (pread: readers are independent). */
int dockarch_archive_reader(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m,
                            ferry_reader **out);
/* Fills a ustar header block as Go's archive/tar writes it for skopeo
 * (mode 0444 files, 0 for symlinks, uid/gid 0, mtime 0). -1 when name or
 * link does not fit. */
int dockarch_tar_header(unsigned char block[DOCKARCH_TAR_BLOCK], const char *name, int64_t size, char type,
                        const char *link);

/* index.c — manifest.json. */
/* Reads and parses manifest.json (a JSON array of items). */
int dockarch_manifest_load(ferry_ctx *ctx, const dockarch_archive *ar, json_t **items);
/* The item a reference selects: by REF among RepoTags, by @N, or the only one. */
int dockarch_manifest_select(ferry_ctx *ctx, const dockarch_reference *ref, json_t *items, json_t **item);

/* module entry points: source.c, dest.c, index.c */
int dockarch_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int dockarch_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);
int dockarch_list_tags(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag),
                       void *opaque);

#endif /* FERRY_PLUGIN_DOCKARCH_H */
