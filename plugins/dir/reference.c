/* plugins/dir/reference.c — syntax and policy identity of "dir:PATH"
 * references. Any non-empty path is accepted; its policy identity is the
 * absolute, symlink-resolved path, as containers/image computes it. */
#include "dir.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int dir_validate_reference(ferry_ctx *ctx, const char *reference)
{
    if (reference == NULL || reference[0] == '\0')
        return dir_services()->set_error(ctx, FERRY_ERR_INVALID, "dir: an empty path is not a valid reference");
    return FERRY_OK;
}

int dir_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    const ferry_services *svc = dir_services();
    int status = dir_validate_reference(ctx, reference);
    if (status != FERRY_OK)
        return status;
    char label[512];
    snprintf(label, sizeof(label), "dir:%.500s", reference);
    return plugin_util_policy_path(svc, ctx, label, reference, buf, cap);
}
