/* plugins/docker/reference.c — the docker transport's reference entry points
 * (validation, policy identity, registry-only references) over the shared
 * parser in plugins/common/docker_name.c. */
#include "docker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int docker_reference_parse(ferry_ctx *ctx, const char *text, docker_reference *out)
{
    char err[512];
    int status = docker_reference_parse_into(docker_services(), text, out, err, sizeof err);
    if (status != FERRY_OK) {
        status = docker_services()->set_error(ctx, status, "docker:%s: %s", text != NULL ? text : "", err);
        docker_reference_free(out);
    }
    return status;
}

int docker_reference_parse_quiet(const char *text, docker_reference *out)
{
    char err[512];
    if (docker_reference_parse_into(docker_services(), text, out, err, sizeof err) == FERRY_OK)
        return 0;
    docker_reference_free(out);
    return -1;
}

int docker_validate_reference(ferry_ctx *ctx, const char *reference)
{
    docker_reference ref;
    int status = docker_reference_parse(ctx, reference, &ref);
    if (status == FERRY_OK)
        docker_reference_free(&ref);
    return status;
}

int docker_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    docker_reference ref;
    int status = docker_reference_parse(ctx, reference, &ref);
    if (status != FERRY_OK)
        return status;
    size_t n = strlen(ref.canonical);
    if (n >= cap)
        status = docker_services()->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: reference too long", ref.label);
    else
        memcpy(buf, ref.canonical, n + 1);
    docker_reference_free(&ref);
    return status;
}

int docker_reference_for_registry(ferry_ctx *ctx, const char *registry, docker_reference *out)
{
    const ferry_services *svc = docker_services();
    memset(out, 0, sizeof *out);
    const char *host = registry != NULL ? registry : "";
    /* "https://host/…" and trailing paths are accepted by `login` in skopeo. */
    if (strncmp(host, "https://", 8) == 0)
        host += 8;
    else if (strncmp(host, "http://", 7) == 0)
        host += 7;
    size_t n = strcspn(host, "/");
    out->domain = strndup(host, n);
    out->label = plugin_util_printf("%.*s", (int)n, host);
    if (out->domain == NULL || out->label == NULL) {
        docker_reference_free(out);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", host);
    }
    if (strcmp(out->domain, "index.docker.io") == 0) {
        free(out->domain);
        out->domain = strdup(DOCKER_IO);
    }
    if (out->domain == NULL || out->domain[0] == '\0' || !docker_domain_valid(out->domain)) {
        int status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: not a registry host[:port]", out->label);
        docker_reference_free(out);
        return status;
    }
    out->api_host = strdup(strcmp(out->domain, DOCKER_IO) == 0 ? DOCKER_IO_API_HOST : out->domain);
    out->path = strdup("");
    out->canonical = strdup(out->domain);
    if (out->api_host == NULL || out->path == NULL || out->canonical == NULL) {
        docker_reference_free(out);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", host);
    }
    return FERRY_OK;
}
