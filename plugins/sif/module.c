/* plugins/sif/module.c — module descriptor and entry point of the sif:
 * transport. The services pointer is the module's only state: set once in
 * ferry_module_init, read-only afterwards. */
#include "sif.h"

static const ferry_services *sif_svc;

const ferry_services *sif_services(void)
{
    return sif_svc;
}

static const ferry_transport sif_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "sif",
    .description = "a Singularity/Apptainer SIF file, read as a one-layer image (its primary system partition)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_PARALLEL_GET,
    .validate_reference = sif_validate_reference,
    .policy_identity = sif_policy_identity,
    .open_source = sif_open_source,
    .open_destination = NULL,
    .delete_image = NULL,
    .list_tags = NULL,
    .validate_reference_for = sif_validate_reference_for,
};

PLUGIN_UTIL_MODULE(sif, "sif", sif_transport, NULL, 4, sif_svc)
