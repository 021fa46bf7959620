/* plugins/docker-archive/module.c — module descriptor and entry point of the
 * docker-archive: transport. The services pointer is the module's only
 * state: set once in ferry_module_init, read-only afterwards. */
#include "archive.h"

static const ferry_services *dockarch_svc;

const ferry_services *dockarch_services(void)
{
    return dockarch_svc;
}

static const ferry_transport dockarch_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "docker-archive",
    .description = "a docker save tar archive (docker-archive:PATH[:REF] or docker-archive:PATH:@INDEX)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_BLOB_REUSE |
                    FERRY_CAP_MULTI_IMAGE | FERRY_CAP_LIST_TAGS | FERRY_CAP_LAYERS_IN_ORDER |
                    FERRY_CAP_NEEDS_BLOB_SIZE,
    .validate_reference = dockarch_validate_reference,
    .policy_identity = dockarch_policy_identity,
    .open_source = dockarch_open_source,
    .open_destination = dockarch_open_destination,
    .delete_image = NULL,
    .list_tags = dockarch_list_tags,
};

PLUGIN_UTIL_MODULE(dockarch, "docker-archive", dockarch_transport, NULL, 0, dockarch_svc)
