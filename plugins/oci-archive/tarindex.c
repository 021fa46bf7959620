/* plugins/oci-archive/tarindex.c — the oci-archive's view of its tar: the
 * shared in-place index (plugins/common/tarindex.c) with the layout's
 * rules on top. Links are recorded there but never followed here: a blob
 * or index.json must be a regular member. */
#include "ociarch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ociarch_tar_open(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path,
                     ociarch_tar *tar)
{
    memset(tar, 0, sizeof *tar);
    tar->fd = -1;
    tar->path = strdup(path);
    if (tar->path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int status = plugin_tar_open(svc, ctx, label, path, &tar->fd);
    if (status == FERRY_OK)
        status = plugin_tar_index_fd(svc, ctx, label, tar->fd, OCIARCH_MAX_MEMBERS, &tar->index);
    return status;
}

void ociarch_tar_close(ociarch_tar *tar)
{
    plugin_tar_index_free(&tar->index);
    if (tar->fd >= 0)
        close(tar->fd);
    free(tar->path);
    memset(tar, 0, sizeof *tar);
    tar->fd = -1;
}

int ociarch_tar_find(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                     const char *name, const char *what, const ociarch_member **out)
{
    const ociarch_member *m = plugin_tar_lookup(&tar->index, name);
    *out = NULL;
    if (m == NULL)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: %s not found (no %s in %s)", label, what, name,
                              tar->path);
    if (m->type != PLUGIN_TAR_FILE)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s (%s) is not a regular file in %s", label, what, name,
                              tar->path);
    *out = m;
    return FERRY_OK;
}

int ociarch_tar_reader(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                       const ociarch_member *m, ferry_reader **out)
{
    return plugin_util_range_reader(svc, ctx, tar->fd, m->offset, m->size, label, tar->path, out);
}

int ociarch_tar_slurp(const ferry_services *svc, ferry_ctx *ctx, const char *label, const ociarch_tar *tar,
                      const ociarch_member *m, size_t max, char **data)
{
    return plugin_tar_read(svc, ctx, label, tar->fd, m, max, data);
}
