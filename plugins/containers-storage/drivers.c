/* plugins/containers-storage/drivers.c — the graph drivers ferry supports
 * (cs_driver_find) and the helpers overlay.c and vfs.c share. */
#include "cs_drivers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_util.h"

const cs_driver_ops *cs_driver_find(const char *name)
{
    if (!name)
        return NULL;
    /* "overlay2" is c/storage's alias of overlay. */
    if (strcmp(name, "overlay") == 0 || strcmp(name, "overlay2") == 0)
        return &cs_overlay_ops;
    if (strcmp(name, "vfs") == 0)
        return &cs_vfs_ops;
    return NULL;
}

int cs_driver_check_id(const ferry_services *svc, ferry_ctx *ctx, const char *id)
{
    if (id && strlen(id) == CS_ID_LEN && !strchr(id, '/'))
        return FERRY_OK;
    return svc ? svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid layer ID %s", CS_TRANSPORT, id ? id : "(null)")
               : FERRY_ERR_INVALID;
}

int cs_driver_remove_dir(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const char *dir,
                         const char *id)
{
    int rc = cs_driver_check_id(svc, ctx, id);
    if (rc != FERRY_OK)
        return rc;
    char rel[CS_ID_LEN + 64];
    snprintf(rel, sizeof rel, "%s/%s", dir, id);
    if (geteuid() != 0)
        fchmodat(st->graph_fd, rel, 0755, 0);
    if (plugin_util_remove_tree_at(st->graph_fd, rel) == 0)
        return FERRY_OK;
    return svc ? plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "removing", st->graphroot, rel)
               : FERRY_ERR_IO;
}
