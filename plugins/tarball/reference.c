/* plugins/tarball/reference.c — syntax and policy identity of
 * "tarball:FILE[:FILE…]" references. The files are split at ':' as
 * containers/image splits them; standard input ("-"), which skopeo buffers
 * whole in memory, is refused. The policy identity is empty, as
 * containers/image has it: only the "" and default scopes apply. */
#include "tarball.h"

#include <stdlib.h>
#include <string.h>

void tarball_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; paths != NULL && i < n; i++)
        free(paths[i]);
    free(paths);
}

int tarball_reference_parse(ferry_ctx *ctx, const char *reference, char ***paths, size_t *n)
{
    const ferry_services *svc = tarball_services();
    *paths = NULL;
    *n = 0;
    if (reference == NULL || reference[0] == '\0')
        return svc->set_error(ctx, FERRY_ERR_INVALID, "tarball: an empty file list is not a valid reference");
    size_t count = 1;
    for (const char *p = reference; *p != '\0'; p++)
        count += *p == TARBALL_SEPARATOR;
    char **out = calloc(count, sizeof *out);
    if (out == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "tarball:%s: out of memory", reference);
    const char *start = reference;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(start, TARBALL_SEPARATOR);
        size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
        int status = FERRY_OK;
        if (len == 0)
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "tarball:%s: file %zu of the list is empty", reference,
                                    i + 1);
        else if (len == 1 && start[0] == '-')
            status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                                    "tarball:%s: reading a layer from standard input (\"-\") is not supported; "
                                    "save it to a file",
                                    reference);
        else if ((out[i] = strndup(start, len)) == NULL)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "tarball:%s: out of memory", reference);
        if (status != FERRY_OK) {
            tarball_paths_free(out, count);
            return status;
        }
        start = end != NULL ? end + 1 : start + len;
    }
    *paths = out;
    *n = count;
    return FERRY_OK;
}

int tarball_validate_reference(ferry_ctx *ctx, const char *reference)
{
    char **paths = NULL;
    size_t n = 0;
    int status = tarball_reference_parse(ctx, reference, &paths, &n);
    tarball_paths_free(paths, n);
    return status;
}

int tarball_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    int status = tarball_validate_reference(ctx, reference);
    if (status == FERRY_OK && cap > 0)
        buf[0] = '\0';
    return status;
}
