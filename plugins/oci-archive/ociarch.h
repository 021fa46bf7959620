/* plugins/oci-archive/ociarch.h — internal interface of the oci-archive:
 * transport module (a tar of an OCI image layout). The layout logic —
 * reference syntax, index.json model, blob paths — is the oci module's,
 * compiled into this module from plugins/oci (see Makefile.inc). */
#ifndef FERRY_PLUGIN_OCIARCH_H
#define FERRY_PLUGIN_OCIARCH_H

#include "../oci/oci.h"
#include "tarindex.h"

#include <stdint.h>

#define OCIARCH_TRANSPORT "oci-archive"
/* Manifests are refused above this, as the core would (it reads 4 MiB). */
#define OCIARCH_MANIFEST_MAX (4 * 1024 * 1024)
/* Bounds the member table against a hostile archive. */
#define OCIARCH_MAX_MEMBERS (1024 * 1024)

/* ---- tarindex.c: the archive indexed in place (plugins/common/tarindex.h) ---- */

typedef plugin_tar_member ociarch_member;

typedef struct ociarch_tar {
    int fd;     /* the file itself, or an unnamed decompressed copy */
    char *path; /* for messages */
    plugin_tar_index index;
} ociarch_tar;

/* Opens PATH and indexes its members with one pass over the headers (a
 * pipe, and an archive compressed with gzip, bzip2, xz or zstd, is first
 * copied, decompressed, to an unnamed file in tmpdir). Every member name
 * and link target is checked; anything escaping the archive is refused. */
int ociarch_tar_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path,
                     ociarch_tar *tar);
void ociarch_tar_close(ociarch_tar *tar);
/* The regular member NAME: FERRY_ERR_NOT_FOUND when absent, INVALID when
 * it is a link or not a file (links are never followed); `what` words the
 * message. */
int ociarch_tar_find(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                     const char *name, const char *what, const ociarch_member **out);
/* A reader over a member's bytes (pread: readers may run in parallel). */
int ociarch_tar_reader(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                       const ociarch_member *m, ferry_reader **out);
/* Reads a whole member of at most max bytes (malloc'd, NUL-terminated). */
int ociarch_tar_slurp(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                      const ociarch_member *m, size_t max, char **data);

/* ---- source.c, dest.c ---- */
int ociarch_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int ociarch_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);

#endif /* FERRY_PLUGIN_OCIARCH_H */
