/* plugins/docker/module.c — module descriptor and entry point of the
 * docker:// transport. Module state: the services pointer (set once in
 * ferry_module_init) and, created on first use, the connection pool and the
 * token and registry caches, all released in the unload hook. */
#include "docker.h"

static const ferry_services *docker_svc;

const ferry_services *docker_services(void)
{
    return docker_svc;
}

static const ferry_transport docker_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "docker",
    .description = "a container registry (docker://NAME[:TAG|@DIGEST], registry HTTP API V2)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_PARALLEL_PUT |
                    FERRY_CAP_BLOB_REUSE | FERRY_CAP_CROSS_REPO_MOUNT | FERRY_CAP_MANIFEST_LISTS |
                    FERRY_CAP_DELETE | FERRY_CAP_LIST_TAGS,
    .validate_reference = docker_validate_reference,
    .policy_identity = docker_policy_identity,
    .open_source = docker_open_source,
    .open_destination = docker_open_destination,
    .delete_image = docker_delete_image,
    .list_tags = docker_list_tags,
    .check_credentials = docker_check_credentials,
};

static const ferry_transport *const docker_transports[] = {&docker_transport, NULL};

static void docker_module_unload(void)
{
    docker_client_release();
    docker_auth_release();
    docker_http_release();
}

static const ferry_module docker_module = {
    FERRY_MODULE_HEADER,
    .name = "docker",
    .version = PACKAGE_VERSION,
    .license = "Apache-2.0",
    .transports = docker_transports,
    .unload = docker_module_unload,
};

static int docker_module_init(const ferry_core *core, const ferry_module **out)
{
    /* Cheap on purpose: libcurl is initialised with the pool, on first use. */
    return plugin_util_module_init(core, &docker_module, 0, &docker_svc, out);
}

FERRY_MODULE_DEFINE(docker_module_init)
