/* plugins/docker-daemon/reference.c — syntax of docker-daemon: references,
 * as containers/image's docker/daemon parses them: "sha256:HEX" (64 hex
 * digits) is an image ID; anything else is a docker reference, normalised
 * (docker.io, library/), which must carry a tag or a digest (a bare name
 * would mean every tag to the daemon) and must not be named "sha256".
 * Destinations additionally need "NAME:TAG" (checked by dest.c). The policy
 * identity is empty, as in containers/image: image IDs cannot be scoped, so
 * only the transport's default "" scope applies. */
#include "daemon.h"

#include "docker_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when s is ALG ":" followed by exactly `hex` lower-case hex digits. */
static int dockerd_is_digest(const char *s, const char *alg, size_t hex)
{
    size_t n = strlen(alg);
    if (strncmp(s, alg, n) != 0 || s[n] != ':' || strlen(s + n + 1) != hex)
        return 0;
    for (const char *p = s + n + 1; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int dockerd_reference_parse(ferry_ctx *ctx, const char *reference, dockerd_reference *out)
{
    const ferry_services *svc = dockerd_services();
    memset(out, 0, sizeof *out);
    if (reference == NULL)
        reference = "";
    out->label = plugin_util_printf("docker-daemon:%s", reference);
    if (out->label == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "docker-daemon: out of memory");
    if (dockerd_is_digest(reference, "sha256", 64)) {
        out->id = strdup(reference);
        return out->id != NULL ? FERRY_OK : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", out->label);
    }
    if (dockerd_is_digest(reference, "sha384", 96) || dockerd_is_digest(reference, "sha512", 128))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: only sha256 image IDs are accepted", out->label);
    if (reference[0] == '\0')
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the image reference is empty", out->label);
    char *text = plugin_util_printf("//%s", reference);
    if (text == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", out->label);
    docker_reference ref;
    char why[256];
    int status = docker_reference_parse_into(svc, text, &ref, why, sizeof why);
    free(text);
    if (status != FERRY_OK)
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s", out->label, why);
    else if (ref.name_only)
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: reference %s has neither a tag nor a digest",
                                out->label, reference);
    else if (strcmp(ref.domain, DOCKER_IO) == 0 && strcmp(ref.path, "library/sha256") == 0)
        status = svc->set_error(ctx, FERRY_ERR_INVALID,
                                "%s: the sha256 repository name is reserved for (non-shortened) image IDs",
                                out->label);
    else if ((out->canonical = strdup(ref.canonical)) == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", out->label);
    else
        out->tagged = ref.digest == NULL;
    docker_reference_free(&ref);
    return status;
}

void dockerd_reference_free(dockerd_reference *ref)
{
    free(ref->label);
    free(ref->id);
    free(ref->canonical);
    memset(ref, 0, sizeof *ref);
}

int dockerd_validate_reference(ferry_ctx *ctx, const char *reference)
{
    dockerd_reference ref;
    int status = dockerd_reference_parse(ctx, reference, &ref);
    dockerd_reference_free(&ref);
    return status;
}

int dockerd_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    int status = dockerd_validate_reference(ctx, reference);
    if (status == FERRY_OK && cap > 0)
        buf[0] = '\0';
    return status;
}
