/* plugins/docker-archive/reference.c — syntax of "docker-archive:PATH[:REF]"
 * and "docker-archive:PATH:@N", and their policy identity.
 *
 * As in containers/image: PATH ends at the first ':'; REF is a Docker
 * reference, normalised (docker.io, library/, :latest added) and required to
 * carry a tag rather than a digest; "@N" is a non-negative index into
 * manifest.json. The policy identity is the resolved archive path. */
#include "archive.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dockarch_reference_parse(ferry_ctx *ctx, const char *reference, dockarch_reference *out)
{
    const ferry_services *svc = dockarch_services();
    memset(out, 0, sizeof *out);
    out->index = -1;
    if (reference == NULL)
        reference = "";
    out->label = plugin_util_printf("docker-archive:%s", reference);
    if (out->label == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "docker-archive: out of memory");
    const char *colon = strchr(reference, ':');
    size_t path_len = colon != NULL ? (size_t)(colon - reference) : strlen(reference);
    if (path_len == 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the archive path is empty", out->label);
    out->path = strndup(reference, path_len);
    if (out->path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", out->label);
    const char *rest = colon != NULL ? colon + 1 : "";
    if (rest[0] == '\0')
        return FERRY_OK;
    if (rest[0] == '@') {
        char *end = NULL;
        errno = 0;
        long n = isdigit((unsigned char)rest[1]) ? strtol(rest + 1, &end, 10) : -1;
        if (n < 0 || errno != 0 || *end != '\0' || n > INT_MAX)
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid image index \"%s\": not a non-negative integer",
                                  out->label, rest);
        out->index = n;
        return FERRY_OK;
    }
    char why[256];
    if (dockarch_normalize_tagged(rest, &out->name, why, sizeof why) != 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s", out->label, why);
    return FERRY_OK;
}

void dockarch_reference_free(dockarch_reference *ref)
{
    free(ref->path);
    free(ref->name);
    free(ref->label);
    memset(ref, 0, sizeof *ref);
}

int dockarch_validate_reference(ferry_ctx *ctx, const char *reference)
{
    dockarch_reference ref;
    int status = dockarch_reference_parse(ctx, reference, &ref);
    dockarch_reference_free(&ref);
    return status;
}

int dockarch_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    const ferry_services *svc = dockarch_services();
    dockarch_reference ref;
    int status = dockarch_reference_parse(ctx, reference, &ref);
    if (status == FERRY_OK)
        status = plugin_util_policy_path(svc, ctx, ref.label, ref.path, buf, cap);
    dockarch_reference_free(&ref);
    return status;
}
