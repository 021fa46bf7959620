/* plugins/tarball/module.c — module descriptor and entry point of the
 * tarball: transport (read only). The services pointer is the module's only
 * state: set once in ferry_module_init, read-only afterwards. */
#include "tarball.h"

static const ferry_services *tarball_svc;

const ferry_services *tarball_services(void)
{
    return tarball_svc;
}

static const ferry_transport tarball_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = TARBALL_TRANSPORT,
    .description = "tar files (plain, gzip, zstd, xz) read as the layers of an image, one per file (read only)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_PARALLEL_GET,
    .validate_reference = tarball_validate_reference,
    .policy_identity = tarball_policy_identity,
    .open_source = tarball_open_source,
    .open_destination = NULL,
    .delete_image = NULL,
    .list_tags = NULL,
};

PLUGIN_UTIL_MODULE(tarball, TARBALL_TRANSPORT, tarball_transport, NULL, 0, tarball_svc)
