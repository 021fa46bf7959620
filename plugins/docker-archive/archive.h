/* plugins/docker-archive/archive.h — internal interface of the
 * docker-archive: transport module itself (its references and entry points);
 * the archive format is libdockarch's (dockarch.h). */
#ifndef FERRY_PLUGIN_DOCKARCH_ARCHIVE_H
#define FERRY_PLUGIN_DOCKARCH_ARCHIVE_H

#include "dockarch.h"

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
int dockarch_validate_reference(ferry_ctx *ctx, const char *reference);
int dockarch_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* archive.c — the transport's entry points on top of libdockarch. */
int dockarch_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int dockarch_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);
int dockarch_list_tags(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag),
                       void *opaque);

#endif /* FERRY_PLUGIN_DOCKARCH_ARCHIVE_H */
