/* plugins/dir/dir.h — internal interface of the dir: transport module
 * (skopeo's "dir:PATH" debugging format: manifest.json, blobs named by the
 * hex of their digest, a version file, signature-N files). */
#ifndef FERRY_PLUGIN_DIR_H
#define FERRY_PLUGIN_DIR_H

#include <ferry/ferry.h>
#include <stddef.h>

#include "plugin_util.h"

/* Exact content of the version file containers/image writes and requires
 * before it overwrites a directory. */
#define DIR_VERSION_FILE "version"
#define DIR_VERSION_CONTENT "Directory Transport Version: 1.1\n"
#define DIR_MANIFEST_FILE "manifest.json"
/* Signatures and manifests are small; refuse anything larger (CVE-2020-1702). */
#define DIR_SIGNATURE_MAX (4 * 1024 * 1024)

/* The services table the core handed to ferry_module_init (module.c). */
const ferry_services *dir_services(void);

/* reference.c */
int dir_validate_reference(ferry_ctx *ctx, const char *reference);
int dir_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);

/* layout.c — file names inside an image directory. Each returns 0, or -1
 * when instance_digest is not a valid digest. */
int dir_manifest_name(const ferry_services *svc, const char *instance_digest, char *buf, size_t cap);
int dir_signature_name(const ferry_services *svc, const char *instance_digest, size_t index, char *buf,
                       size_t cap);
int dir_blob_name(const ferry_services *svc, const char *digest, char *buf, size_t cap);
/* 1 when the directory open at dirfd holds a version file with exactly
 * DIR_VERSION_CONTENT, 0 when not, -1 with errno on an I/O error. */
int dir_has_version_file(int dirfd);

/* source.c, dest.c */
int dir_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int dir_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);

#endif /* FERRY_PLUGIN_DIR_H */
