/* plugins/oci-archive/module.c — module descriptor and entry point of the
 * oci-archive: transport, and its reference checks. The services pointer is
 * the module's only state: set once in ferry_module_init, read-only after.
 * It is also what oci_services() returns to the oci sources compiled in. */
#include "ociarch.h"

static const ferry_services *ociarch_svc;

const ferry_services *oci_services(void)
{
    return ociarch_svc;
}

/* Same syntax as oci: (PATH ends at the first ':', REF grammar, @N). */
static int ociarch_validate_reference(ferry_ctx *ctx, const char *reference)
{
    oci_reference ref;
    int status = oci_reference_parse_as(ctx, OCIARCH_TRANSPORT, reference, &ref);
    oci_reference_free(&ref);
    return status;
}

/* skopeo: the resolved archive path alone, REF is not part of it. */
static int ociarch_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    return oci_policy_identity_as(ctx, OCIARCH_TRANSPORT, reference, buf, cap);
}

static const ferry_transport ociarch_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = OCIARCH_TRANSPORT,
    .description = "a tar archive of an OCI image layout (oci-archive:PATH[:REF] or oci-archive:PATH:@INDEX)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_BLOB_REUSE |
                    FERRY_CAP_MANIFEST_LISTS | FERRY_CAP_LAYERS_IN_ORDER | FERRY_CAP_NEEDS_BLOB_SIZE,
    .validate_reference = ociarch_validate_reference,
    .policy_identity = ociarch_policy_identity,
    .open_source = ociarch_open_source,
    .open_destination = ociarch_open_destination,
    .delete_image = NULL,
    .list_tags = NULL,
};

PLUGIN_UTIL_MODULE(ociarch, "oci-archive", ociarch_transport, NULL, 0, ociarch_svc)
