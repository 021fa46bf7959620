/* plugins/containers-storage/module.c — module descriptor and entry point of
 * the containers-storage: transport, and the reference checks that need no
 * store. The services pointer is the module's only state: set once in
 * ferry_module_init, read-only afterwards. */
#include "cs_transport.h"

#include <stdio.h>
#include <string.h>

static const ferry_services *cs_svc;

const ferry_services *cs_services(void)
{
    return cs_svc;
}

int cs_validate_reference(ferry_ctx *ctx, const char *reference)
{
    cs_reference ref;
    char err[512];
    int rc = cs_reference_parse(reference, &ref, err, sizeof err);
    cs_reference_free(&ref);
    return rc == FERRY_OK ? FERRY_OK : cs_svc->set_error(ctx, rc, "%s", err);
}

/* As containers/image: "[DRIVER@GRAPHROOT]" then the name, then "@ID". */
int cs_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    cs_target t;
    int rc = cs_target_init(cs_svc, ctx, reference, &t);
    if (rc == FERRY_OK) {
        int n = snprintf(buf, cap, "[%s@%s]%s%s%s", t.driver, t.graphroot, t.ref.name ? t.ref.name : "",
                         t.ref.id ? "@" : "", t.ref.id ? t.ref.id : "");
        if (n < 0 || (size_t)n >= cap)
            rc = cs_svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: policy identity too long", t.label);
    }
    cs_target_free(&t);
    return rc;
}

static const ferry_transport cs_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = CS_TRANSPORT,
    .description = "podman's, buildah's and CRI-O's image store "
                   "(containers-storage:[[DRIVER@]ROOT[+RUNROOT][:OPTIONS]]{ID|REF[@ID]})",
    /* Layers are applied in order, each on its parent; served unpacked. */
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_DELETE | FERRY_CAP_BLOB_REUSE |
                    FERRY_CAP_LAYERS_IN_ORDER | FERRY_CAP_NEEDS_UNCOMPRESSED | FERRY_CAP_COMPUTES_DIFFIDS |
                    FERRY_CAP_SIGNATURES | FERRY_CAP_PARALLEL_GET | FERRY_CAP_UNCOMPRESSED_LAYERS,
    .validate_reference = cs_validate_reference,
    .policy_identity = cs_policy_identity,
    .open_source = cs_open_source,
    .open_destination = cs_open_destination,
    .delete_image = cs_delete_image,
    .list_tags = NULL,
};

/* FERRY_CAP_UNCOMPRESSED_LAYERS means nothing to a 1.0 core. */
PLUGIN_UTIL_MODULE(cs, CS_TRANSPORT, cs_transport, NULL, 1, cs_svc)
