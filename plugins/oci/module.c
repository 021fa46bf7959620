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

static const ferry_transport *const oci_transports[] = {&oci_transport, NULL};

static const ferry_module oci_module = {
    FERRY_MODULE_HEADER,
    .name = "oci",
    .version = "0.1.0",
    .license = "Apache-2.0",
    .transports = oci_transports,
};

static int oci_module_init(const ferry_core *core, const ferry_module **out)
{
    return plugin_util_module_init(core, &oci_module, 0, &oci_svc, out);
}

FERRY_MODULE_DEFINE(oci_module_init)
