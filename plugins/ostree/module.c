/* plugins/ostree/module.c — module descriptor and entry point of the
 * ostree: transport, and the reference checks that need no repository. The
 * services pointer is the module's only state: set once in
 * ferry_module_init, read-only afterwards. */
#include <stdio.h>
#include <string.h>

#include "ostree_transport.h"

static const ferry_services *ot_svc;

const ferry_services *ot_services(void)
{
    return ot_svc;
}

static int ot_validate_reference(ferry_ctx *ctx, const char *reference)
{
    ot_reference ref;
    char err[1024];
    int rc = ot_reference_parse(reference, &ref, err, sizeof err);
    ot_reference_free(&ref);
    return rc == FERRY_OK ? FERRY_OK : ot_svc->set_error(ctx, rc, "%s", err);
}

/* As containers/image: "REPO:IMAGE" (IMAGE with its implied ":latest"). */
static int ot_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    ot_reference ref;
    char err[1024];
    int rc = ot_reference_parse(reference, &ref, err, sizeof err);
    if (rc != FERRY_OK) {
        rc = ot_svc->set_error(ctx, rc, "%s", err);
    } else {
        int n = snprintf(buf, cap, "%s:%s", ref.repo, ref.image);
        if (n < 0 || (size_t)n >= cap)
            rc = ot_svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: policy identity too long", ref.label);
    }
    ot_reference_free(&ref);
    return rc;
}

static const ferry_transport ot_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = OT_TRANSPORT,
    .description = "images in an OSTree repository, in containers/image's ostree format "
                   "(ostree:IMAGE[@/ABSOLUTE/REPO], default /ostree/repo)",
    /* Layers arrive decompressed with their blob's digest and size (the
     * branch name and docker.size), and leave decompressed. Each layer is
     * its own commit, so they are written and read several at once. */
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_PARALLEL_PUT |
                    FERRY_CAP_BLOB_REUSE | FERRY_CAP_NEEDS_UNCOMPRESSED | FERRY_CAP_COMPUTES_DIFFIDS |
                    FERRY_CAP_NEEDS_BLOB_SIZE | FERRY_CAP_SIGNATURES | FERRY_CAP_UNCOMPRESSED_LAYERS,
    .validate_reference = ot_validate_reference,
    .policy_identity = ot_policy_identity,
    .open_source = ot_open_source,
    .open_destination = ot_open_destination,
    .delete_image = NULL,
    .list_tags = NULL,
};

/* FERRY_CAP_UNCOMPRESSED_LAYERS means nothing to a 1.0 core. */
PLUGIN_UTIL_MODULE(ot, OT_TRANSPORT, ot_transport, NULL, 1, ot_svc)
