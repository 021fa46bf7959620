/* plugins/oci/module.c — module descriptor and entry point of the oci:
 * transport. The services pointer is the module's only state: set once in
 * ferry_module_init, read-only afterwards. */
#include "oci.h"

static const ferry_services *oci_svc;

const ferry_services *oci_services(void)
{
    return oci_svc;
}

static const ferry_transport oci_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "oci",
    .description = "an OCI image layout directory (oci:PATH[:REF] or oci:PATH:@INDEX)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_PARALLEL_PUT |
                    FERRY_CAP_BLOB_REUSE | FERRY_CAP_MANIFEST_LISTS,
    .validate_reference = oci_validate_reference,
    .policy_identity = oci_policy_identity,
    .open_source = oci_open_source,
    .open_destination = oci_open_destination,
    .delete_image = NULL,
    .list_tags = NULL,
};

PLUGIN_UTIL_MODULE(oci, "oci", oci_transport, NULL, 0, oci_svc)
