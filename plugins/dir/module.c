/* plugins/dir/module.c — module descriptor and entry point of the dir:
 * transport. The services pointer is the module's only state: set once in
 * ferry_module_init, read-only afterwards. */
#include "dir.h"

static const ferry_services *dir_svc;

const ferry_services *dir_services(void)
{
    return dir_svc;
}

static const ferry_transport dir_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "dir",
    .description = "a local directory in skopeo's dir: format (manifest.json, blobs, signatures)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_PARALLEL_PUT |
                    FERRY_CAP_SIGNATURES | FERRY_CAP_MANIFEST_LISTS,
    .validate_reference = dir_validate_reference,
    .policy_identity = dir_policy_identity,
    .open_source = dir_open_source,
    .open_destination = dir_open_destination,
    .delete_image = NULL,
    .list_tags = NULL,
};

PLUGIN_UTIL_MODULE(dir, "dir", dir_transport, NULL, 0, dir_svc)
