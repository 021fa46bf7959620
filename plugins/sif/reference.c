/* plugins/sif/reference.c — syntax and policy identity of "sif:PATH"
 * references. Any non-empty path is accepted; its policy identity is the
 * absolute, symlink-resolved path, as containers/image computes it. The
 * transport only reads: a destination or a deletion is refused at
 * validation, in containers/image's words, before anything is opened. */
#include "sif.h"

#include <stdio.h>

int sif_validate_reference(ferry_ctx *ctx, const char *reference)
{
    if (reference == NULL || reference[0] == '\0')
        return sif_services()->set_error(ctx, FERRY_ERR_INVALID, "sif: an empty path is not a valid reference");
    return FERRY_OK;
}

int sif_validate_reference_for(ferry_ctx *ctx, const char *reference, int purpose)
{
    int status = sif_validate_reference(ctx, reference);
    if (status != FERRY_OK)
        return status;
    if (purpose == FERRY_REF_FOR_WRITE)
        return sif_services()->set_error(ctx, FERRY_ERR_INVALID,
                                         "sif:%s: \"sif:\" locations can only be read from, not written to",
                                         reference);
    if (purpose == FERRY_REF_FOR_DELETE)
        return sif_services()->set_error(ctx, FERRY_ERR_INVALID,
                                         "sif:%s: Deleting images not implemented for sif: images", reference);
    return FERRY_OK;
}

int sif_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    int status = sif_validate_reference(ctx, reference);
    if (status != FERRY_OK)
        return status;
    char label[512];
    snprintf(label, sizeof(label), "sif:%.500s", reference);
    return plugin_util_policy_path(sif_services(), ctx, label, reference, buf, cap);
}
