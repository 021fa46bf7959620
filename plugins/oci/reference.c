/* plugins/oci/reference.c — syntax of "oci:PATH[:REF]" and "oci:PATH:@N"
 * references and their policy identity.
 *
 * As in containers/image: PATH ends at the first ':' (so it cannot contain
 * one), REF must match the OCI ref.name grammar
 *     component(/component)*, component = alnum+ (sep alnum+)*,
 *     sep = one of - . _ : @ +  or "--"
 * which also rules out path traversal ("..", leading "/"); "@N" is a
 * non-negative decimal index into index.json's manifests. The policy
 * identity is the resolved layout directory alone: "PATH:REF" and "PATH:"
 * may name the same image, so REF is not part of it. */
#include "oci.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int oci_is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Consumes one or more alphanumerics at *p; 0 when there were none. */
static int oci_skip_alnum(const char **p)
{
    const char *start = *p;
    while (oci_is_alnum(**p))
        (*p)++;
    return *p != start;
}

/* The ref.name grammar above, without backtracking: after an alphanumeric
 * run, "--" is tried before a single "-" (a lone '-' followed by '-' could
 * not be followed by an alphanumeric anyway). */
static int oci_ref_name_valid(const char *name)
{
    const char *p = name;
    for (;;) {
        if (!oci_skip_alnum(&p))
            return 0;
        while (*p != '\0' && *p != '/') {
            if (p[0] == '-' && p[1] == '-')
                p += 2;
            else if (strchr("-._:@+", *p) != NULL)
                p++;
            else
                return 0;
            if (!oci_skip_alnum(&p))
                return 0;
        }
        if (*p == '\0')
            return 1;
        p++; /* '/' starts the next component */
    }
}

int oci_reference_parse(ferry_ctx *ctx, const char *reference, oci_reference *out)
{
    return oci_reference_parse_as(ctx, "oci", reference, out);
}

const char *const oci_destination_manifest_types[] = {OCI_MEDIA_TYPE_MANIFEST, OCI_MEDIA_TYPE_INDEX, NULL};

int oci_destination_reference(ferry_ctx *ctx, const char *transport, const char *reference, oci_reference *out)
{
    int status = oci_reference_parse_as(ctx, transport, reference, out);
    if (status == FERRY_OK && out->index >= 0)
        status = oci_services()->set_error(ctx, FERRY_ERR_INVALID,
                                           "%s: a destination reference must not contain a manifest index (@%ld)",
                                           out->label, out->index);
    return status;
}

int oci_destination_compression(ferry_ctx *ctx)
{
    /* containers/image compresses uncompressed layers for OCI layouts unless told not to. */
    const char *accept = oci_services()->get_option(ctx, "oci-accept-uncompressed-layers");
    return accept != NULL && strcmp(accept, "true") == 0 ? FERRY_COMPRESSION_PRESERVE : FERRY_COMPRESSION_COMPRESS;
}

int oci_reference_parse_as(ferry_ctx *ctx, const char *transport, const char *reference, oci_reference *out)
{
    const ferry_services *svc = oci_services();
    memset(out, 0, sizeof *out);
    out->index = -1;
    if (reference == NULL)
        reference = "";
    out->label = plugin_util_printf("%s:%s", transport, reference);
    if (out->label == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", transport);

    const char *colon = strchr(reference, ':');
    size_t path_len = colon != NULL ? (size_t)(colon - reference) : strlen(reference);
    if (path_len == 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the layout path is empty", out->label);
    out->path = strndup(reference, path_len);
    if (out->path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", out->label);
    const char *rest = colon != NULL ? colon + 1 : "";
    if (rest[0] == '\0')
        return FERRY_OK;

    if (rest[0] == '@') {
        const char *digits = rest + 1;
        char *end = NULL;
        errno = 0;
        long n = isdigit((unsigned char)digits[0]) ? strtol(digits, &end, 10) : -1;
        if (n < 0 || errno != 0 || *end != '\0' || n > INT_MAX)
            return svc->set_error(ctx, FERRY_ERR_INVALID,
                                  "%s: invalid source index \"@%s\": not a non-negative integer", out->label, digits);
        out->index = n;
        return FERRY_OK;
    }
    if (!oci_ref_name_valid(rest))
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: invalid image name \"%s\" (expected components of letters and digits joined by "
                              "'.', '_', '-', ':', '@', '+' or '/')",
                              out->label, rest);
    out->name = strdup(rest);
    if (out->name == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", out->label);
    return FERRY_OK;
}

void oci_reference_free(oci_reference *ref)
{
    free(ref->path);
    free(ref->name);
    free(ref->label);
    memset(ref, 0, sizeof *ref);
}

int oci_validate_reference(ferry_ctx *ctx, const char *reference)
{
    oci_reference ref;
    int status = oci_reference_parse(ctx, reference, &ref);
    oci_reference_free(&ref);
    return status;
}

int oci_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    return oci_policy_identity_as(ctx, "oci", reference, buf, cap);
}

int oci_policy_identity_as(ferry_ctx *ctx, const char *transport, const char *reference, char *buf, size_t cap)
{
    const ferry_services *svc = oci_services();
    oci_reference ref;
    int status = oci_reference_parse_as(ctx, transport, reference, &ref);
    if (status == FERRY_OK)
        status = plugin_util_policy_path(svc, ctx, ref.label, ref.path, buf, cap);
    oci_reference_free(&ref);
    return status;
}
