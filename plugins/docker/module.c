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
                    FERRY_CAP_DELETE | FERRY_CAP_LIST_TAGS | FERRY_CAP_SIGNATURES,
    .validate_reference = docker_validate_reference,
    .policy_identity = docker_policy_identity,
    .open_source = docker_open_source,
    .open_destination = docker_open_destination,
    .delete_image = docker_delete_image,
    .list_tags = docker_list_tags,
    .check_credentials = docker_check_credentials,
};

static void docker_module_unload(void)
{
    docker_client_release();
    docker_auth_release();
    docker_http_release();
}

/* Cheap on purpose: libcurl is initialised with the pool, on first use. */
PLUGIN_UTIL_MODULE(docker, "docker", docker_transport, docker_module_unload, 0, docker_svc)
