/* plugins/docker-archive/reference.c — syntax of "docker-archive:PATH[:REF]"
 * and "docker-archive:PATH:@N", and their policy identity.
 *
 * As in containers/image: PATH ends at the first ':'; REF is a Docker
 * reference, normalised (docker.io, library/, :latest added) and required to
 * carry a tag rather than a digest; "@N" is a non-negative index into
 * manifest.json. The policy identity is the resolved archive path. */
#include "dockarch.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One repository path component: [a-z0-9]+ joined by '.', '_', "__" or '-'+. */
static int dockarch_component_valid(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
            i++;
        if (i == start)
            return 0;
        if (i == n)
            return 1;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        else
            return 0;
    }
}

static int dockarch_domain_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-'))
        i++;
    if (i == 0)
        return 0;
    if (i < n && s[i] == ':') {
        size_t start = ++i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i == start)
            return 0;
    }
    return i == n;
}

static int dockarch_tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return 0;
    return 1;
}

int dockarch_normalize_tagged(const char *in, char **out, char *why, size_t cap)
{
    *out = NULL;
    if (strchr(in, '@') != NULL) {
        snprintf(why, cap, "reference does not include a tag (digest references are not supported): %s", in);
        return -1;
    }
    /* The tag is after the last ':' that follows the last '/'. */
    const char *slash = strrchr(in, '/');
    const char *colon = strrchr(slash != NULL ? slash : in, ':');
    size_t name_len = colon != NULL ? (size_t)(colon - in) : strlen(in);
    const char *tag = colon != NULL ? colon + 1 : "latest";
    if (!dockarch_tag_valid(tag)) {
        snprintf(why, cap, "invalid tag \"%s\"", tag);
        return -1;
    }
    /* A first component with '.' or ':', or "localhost", is a registry. */
    const char *first_slash = memchr(in, '/', name_len);
    const char *domain = "docker.io";
    size_t domain_len = strlen(domain);
    const char *path = in;
    if (first_slash != NULL) {
        size_t n = (size_t)(first_slash - in);
        if (memchr(in, '.', n) != NULL || memchr(in, ':', n) != NULL || (n == 9 && memcmp(in, "localhost", 9) == 0)) {
            domain = in;
            domain_len = n;
            path = first_slash + 1;
            if (!dockarch_domain_valid(domain, domain_len)) {
                snprintf(why, cap, "invalid registry in \"%s\"", in);
                return -1;
            }
        }
    }
    size_t path_len = name_len - (size_t)(path - in);
    for (size_t i = 0, start = 0; i <= path_len; i++) {
        if (i < path_len && path[i] != '/')
            continue;
        if (!dockarch_component_valid(path + start, i - start)) {
            snprintf(why, cap, "invalid reference format \"%s\" (repository names are lowercase letters, digits "
                     "and separators)", in);
            return -1;
        }
        start = i + 1;
    }
    int library = domain_len == 9 && memcmp(domain, "docker.io", 9) == 0 && memchr(path, '/', path_len) == NULL;
    *out = plugin_util_printf("%.*s/%s%.*s:%s", (int)domain_len, domain, library ? "library/" : "", (int)path_len,
                              path, tag);
    if (*out == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

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
    if (status == FERRY_OK) {
        char *resolved = plugin_util_resolve_path(ref.path);
        if (resolved == NULL)
            status = plugin_util_errno_error(svc, ctx, errno, ref.label, "resolving", ref.path);
        else if (strlen(resolved) >= cap)
            status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: path too long", ref.label);
        else
            memcpy(buf, resolved, strlen(resolved) + 1);
        free(resolved);
    }
    dockarch_reference_free(&ref);
    return status;
}
