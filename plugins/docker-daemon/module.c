/* plugins/docker-daemon/module.c — module descriptor and entry point of the
 * docker-daemon: transport. Module state: the services pointer (set once in
 * ferry_module_init; also handed to libdockarch through dockarch_services)
 * and libcurl's global initialisation, done on first use and undone by the
 * unload hook. */
#include "daemon.h"

#include <pthread.h>

static const ferry_services *dockerd_svc;
static pthread_once_t dockerd_curl_once = PTHREAD_ONCE_INIT;
static int dockerd_curl_ready; /* written once under dockerd_curl_once */

const ferry_services *dockerd_services(void)
{
    return dockerd_svc;
}

/* libdockarch reports errors through the linking module's table. */
const ferry_services *dockarch_services(void)
{
    return dockerd_svc;
}

static void dockerd_curl_global(void)
{
    dockerd_curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int dockerd_curl_init(void)
{
    pthread_once(&dockerd_curl_once, dockerd_curl_global);
    return dockerd_curl_ready ? FERRY_OK : FERRY_ERR_FAILED;
}

static void dockerd_module_unload(void)
{
    if (dockerd_curl_ready)
        curl_global_cleanup();
    dockerd_curl_ready = 0;
}

static const ferry_transport dockerd_transport = {
    .struct_size = sizeof(ferry_transport),
    .name = "docker-daemon",
    .description = "an image in a Docker daemon (docker-daemon:NAME:TAG, NAME@DIGEST or sha256:ID; Engine API)",
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_PARALLEL_GET | FERRY_CAP_BLOB_REUSE |
                    FERRY_CAP_MULTI_IMAGE | FERRY_CAP_LAYERS_IN_ORDER | FERRY_CAP_NEEDS_BLOB_SIZE,
    .validate_reference = dockerd_validate_reference,
    .policy_identity = dockerd_policy_identity,
    .open_source = dockerd_open_source,
    .open_destination = dockerd_open_destination,
    .delete_image = NULL,
    .list_tags = NULL,
};

PLUGIN_UTIL_MODULE(dockerd, "docker-daemon", dockerd_transport, dockerd_module_unload, 0, dockerd_svc)
