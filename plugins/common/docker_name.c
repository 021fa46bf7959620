/* plugins/common/docker_name.c — docker references ("//NAME[:TAG|@DIGEST]"),
 * parsed and normalised as containers/image's docker/reference does, for the
 * docker transport and for the names inside docker-archive files:
 *
 *   name   = [domain "/"] component ("/" component)*
 *   domain = host [":" port], host = label ("." label)* | "[" IPv6 "]"
 *   component = [a-z0-9]+ (([._]|__|-+) [a-z0-9]+)*
 *   tag    = [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The first component is a domain only when it contains '.' or ':' or is
 * "localhost" (v5.23.1's rule: "UPPER/x" is docker.io's, and refused for its
 * upper case, as skopeo 1.9.3 does); otherwise the image is on
 * docker.io, where one-component names live under "library/". A reference
 * without tag or digest means ":latest"; tag and digest together are
 * refused (as containers/image does). The policy identity is the canonical
 * form, e.g. "docker.io/library/busybox:latest". */
#include "docker_name.h"
#include "plugin_util.h"
#include "shared/docker_grammar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCKER_NAME_MAX 255

static int docker_is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int docker_is_alnum(char c)
{
    return docker_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* "host[:port]" with DNS labels or a bracketed IPv6 address. */
int docker_domain_valid(const char *s)
{
    const char *p = s;
    if (*p == '[') {
        p++;
        const char *start = p;
        while (isxdigit((unsigned char)*p) || *p == ':')
            p++;
        if (p == start || *p != ']')
            return 0;
        p++;
    } else {
        for (;;) {
            const char *start = p;
            while (docker_is_alnum(*p) || *p == '-')
                p++;
            if (p == start || start[0] == '-' || p[-1] == '-')
                return 0;
            if (*p != '.')
                break;
            p++;
        }
    }
    if (*p == ':') {
        p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

static int docker_is_hex64(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0' && ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
        n++;
    return n == 64 && s[n] == '\0';
}

void docker_reference_free(docker_reference *ref)
{
    free(ref->label);
    free(ref->domain);
    free(ref->api_host);
    free(ref->path);
    free(ref->tag);
    free(ref->digest);
    free(ref->canonical);
    memset(ref, 0, sizeof *ref);
}

/* The parser proper: fills out or writes a reason into err. */
int docker_reference_parse_into(const ferry_services *svc, const char *text, docker_reference *out, char *err,
                                size_t errcap)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        text = "";
    out->label = plugin_util_printf("docker:%s", text);
    if (out->label == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    if (strncmp(text, "//", 2) != 0) {
        snprintf(err, errcap, "image reference does not start with \"//\" (use docker://NAME[:TAG|@DIGEST])");
        return FERRY_ERR_INVALID;
    }
    const char *s = text + 2;
    if (*s == '\0') {
        snprintf(err, errcap, "invalid reference format: repository name must have at least one component");
        return FERRY_ERR_INVALID;
    }
    if (docker_is_hex64(s)) {
        snprintf(err, errcap, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);
        return FERRY_ERR_INVALID;
    }

    /* Domain or not: the rule of splitDockerDomain. */
    const char *slash = strchr(s, '/');
    const char *rest = s;
    char *domain = NULL;
    if (slash != NULL) {
        size_t n = (size_t)(slash - s);
        if (memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL || (n == 9 && strncmp(s, "localhost", 9) == 0)) {
            domain = strndup(s, n);
            rest = slash + 1;
        }
    }
    if (domain == NULL || strcmp(domain, "index.docker.io") == 0) {
        free(domain);
        domain = strdup(DOCKER_IO);
    }
    out->domain = domain;
    if (domain == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    if (!docker_domain_valid(domain)) {
        snprintf(err, errcap, "invalid reference format: invalid registry host \"%s\"", domain);
        return FERRY_ERR_INVALID;
    }

    /* rest = path[:tag][@digest]; the tag's ':' follows the last '/'. */
    const char *at = strchr(rest, '@');
    size_t name_end = at != NULL ? (size_t)(at - rest) : strlen(rest);
    const char *last_slash = NULL;
    for (size_t i = 0; i < name_end; i++)
        if (rest[i] == '/')
            last_slash = rest + i;
    const char *colon = memchr(last_slash != NULL ? last_slash : rest, ':',
                               name_end - (size_t)((last_slash != NULL ? last_slash : rest) - rest));
    size_t path_len = colon != NULL ? (size_t)(colon - rest) : name_end;

    for (size_t i = 0; i < path_len; i++)
        if (rest[i] >= 'A' && rest[i] <= 'Z') {
            snprintf(err, errcap, "invalid reference format: repository name must be lowercase");
            return FERRY_ERR_INVALID;
        }
    int official = strcmp(domain, DOCKER_IO) == 0 && memchr(rest, '/', path_len) == NULL;
    out->path = official ? plugin_util_printf("library/%.*s", (int)path_len, rest) : strndup(rest, path_len);
    if (out->path == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    for (const char *p = out->path;;) {
        const char *end = strchrnul(p, '/');
        if (!docker_grammar_component(p, (size_t)(end - p))) {
            snprintf(err, errcap, "invalid reference format: invalid repository name \"%s\"", out->path);
            return FERRY_ERR_INVALID;
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    if (strlen(domain) + 1 + strlen(out->path) > DOCKER_NAME_MAX) {
        snprintf(err, errcap, "invalid reference format: repository name must not be more than %d characters",
                 DOCKER_NAME_MAX);
        return FERRY_ERR_INVALID;
    }

    if (colon != NULL) {
        out->tag = strndup(colon + 1, name_end - path_len - 1);
        if (out->tag == NULL) {
            snprintf(err, errcap, "out of memory");
            return FERRY_ERR_NO_MEMORY;
        }
        if (!docker_grammar_tag(out->tag, strlen(out->tag))) {
            snprintf(err, errcap, "invalid reference format: invalid tag \"%s\"", out->tag);
            return FERRY_ERR_INVALID;
        }
    }
    if (at != NULL) {
        if (svc == NULL || !svc->digest_is_valid(at + 1)) {
            snprintf(err, errcap, "invalid reference format: invalid digest \"%s\"", at + 1);
            return FERRY_ERR_INVALID;
        }
        if (out->tag != NULL) {
            snprintf(err, errcap, "Docker references with both a tag and digest are currently not supported");
            return FERRY_ERR_INVALID;
        }
        out->digest = strdup(at + 1);
        if (out->digest == NULL) {
            snprintf(err, errcap, "out of memory");
            return FERRY_ERR_NO_MEMORY;
        }
    }
    if (out->tag == NULL && out->digest == NULL) {
        out->name_only = 1;
        out->tag = strdup("latest");
        if (out->tag == NULL) {
            snprintf(err, errcap, "out of memory");
            return FERRY_ERR_NO_MEMORY;
        }
    }
    out->api_host = strdup(strcmp(domain, DOCKER_IO) == 0 ? DOCKER_IO_API_HOST : domain);
    out->canonical = plugin_util_printf("%s/%s%s%s", domain, out->path, out->digest != NULL ? "@" : ":",
                                        out->digest != NULL ? out->digest : out->tag);
    if (out->api_host == NULL || out->canonical == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    return FERRY_OK;
}

