/* plugins/oci/blobs.c — where an OCI layout keeps its blobs: PATH/blobs, or
 * the directory given by the "shared-blob-dir" option (skopeo's
 * --shared-blob-dir), in either case as ALG/HEX below it. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oci_blob_open_root(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *layout_path,
                       const char *shared_blob_dir, int create, int *fd, char **path)
{
    *fd = -1;
    *path = shared_blob_dir != NULL && shared_blob_dir[0] != '\0'
                ? plugin_util_printf("%s", shared_blob_dir)
                : plugin_util_printf("%s/%s", layout_path, OCI_BLOBS_DIR);
    if (*path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    if (create && svc->mkdir_p(*path) != 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "creating", *path);
    *fd = plugin_util_open_dir(AT_FDCWD, *path);
    if (*fd < 0) {
        if (errno == ENOENT)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: blob directory %s does not exist", label, *path);
        return plugin_util_errno_error(svc, ctx, errno, label, "opening", *path);
    }
    return FERRY_OK;
}

int oci_blob_relpath(const ferry_services *svc, const char *digest, char *buf, size_t cap)
{
    char alg[16];
    const char *hex;
    if (plugin_util_digest_split(svc, digest, alg, sizeof alg, &hex) != 0)
        return -1;
    int n = snprintf(buf, cap, "%s/%s", alg, hex);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}
