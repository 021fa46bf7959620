/* core/policy/policy_scope.c — which scopes each transport accepts in
 * policy.json and which namespaces enclose an image's identity, as each of
 * containers/image v5.23.1's transports defines them
 * (ValidatePolicyConfigurationScope, PolicyConfigurationNamespaces):
 * registry names for docker and docker-daemon (with "*.domain" wildcards),
 * parent directories for dir, oci and oci-archive, "[driver@root]" store
 * specs for containers-storage, "repo:name" prefixes for ostree, none for
 * docker-archive. A transport ferry does not ship (a third-party module)
 * accepts every scope, and its identity's namespaces are its prefixes
 * ending before a '/' (as documented in <ferry/transport.h>). */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_path_transport(const char *t)
{
    return strcmp(t, "dir") == 0 || strcmp(t, "oci") == 0 || strcmp(t, "oci-archive") == 0 || strcmp(t, "sif") == 0;
}

static int is_docker_transport(const char *t)
{
    return strcmp(t, "docker") == 0 || strcmp(t, "docker-daemon") == 0;
}

static int visit_copy(int (*visit)(void *, const char *), void *arg, const char *s, size_t n);

static int is_shipped_transport(const char *t)
{
    return is_path_transport(t) || is_docker_transport(t) || strcmp(t, "docker-archive") == 0 ||
           strcmp(t, "containers-storage") == 0 || strcmp(t, "ostree") == 0;
}

/* Every prefix of identity ending before a '/', longest first, not empty
 * and not "/": parent directories of a path, or the parents of any other
 * '/'-separated name. */
static int slash_prefixes(const char *identity, int (*visit)(void *, const char *), void *arg)
{
    size_t n = strlen(identity);
    for (;;) {
        const char *slash = memrchr(identity, '/', n);
        if (slash == NULL || slash == identity)
            return 0;
        n = (size_t)(slash - identity);
        if (visit_copy(visit, arg, identity, n))
            return 1;
    }
}

/* filepath.Clean(s) == s for an absolute path. */
static int path_is_clean(const char *s)
{
    if (strcmp(s, "/") == 0)
        return 1;
    size_t n = strlen(s);
    if (s[n - 1] == '/')
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p != '/')
            continue;
        const char *c = p + 1;
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
    }
    return 1;
}

/* "sha256:<64 hex>" and the like: digest.Parse accepts it. */
static int looks_like_digest(const char *s)
{
    const char *colon = strchr(s, ':');
    if (colon == NULL || colon == s)
        return 0;
    size_t hex = strlen(colon + 1);
    if (strncmp(s, "sha256:", 7) != 0 && strncmp(s, "sha512:", 7) != 0)
        return 0;
    if (hex != (s[3] == '2' ? 64u : 128u))
        return 0;
    return strspn(colon + 1, "0123456789abcdef") == hex;
}

int policy_scope_valid(const char *transport, const char *scope)
{
    if (is_path_transport(transport))
        return scope[0] == '/' && strcmp(scope, "/") != 0 && path_is_clean(scope);
    if (strcmp(transport, "docker-archive") == 0)
        return 0;
    if (strcmp(transport, "docker-daemon") == 0)
        return !looks_like_digest(scope);
    if (strcmp(transport, "containers-storage") == 0)
        return scope[0] == '[' && strchr(scope, ']') != NULL && strchr(scope, ']') > scope + 1;
    return 1;
}

static int visit_copy(int (*visit)(void *, const char *), void *arg, const char *s, size_t n)
{
    char *c = strndup(s, n);
    if (c == NULL)
        return 0;
    int stop = visit(arg, c);
    free(c);
    return stop;
}

/* DockerReferenceNamespaces over the name of "name:tag" / "name@digest". */
static int docker_namespaces(const char *prefix, size_t prefix_len, const char *name, size_t n,
                             int (*visit)(void *, const char *), void *arg, int wildcards)
{
    char *buf = malloc(prefix_len + n + 3);
    if (buf == NULL)
        return 0;
    memcpy(buf, prefix, prefix_len);
    memcpy(buf + prefix_len, name, n);
    size_t len = n;
    for (;;) {
        buf[prefix_len + len] = '\0';
        if (visit(arg, buf)) {
            free(buf);
            return 1;
        }
        char *slash = memrchr(buf + prefix_len, '/', len);
        if (slash == NULL)
            break;
        len = (size_t)(slash - (buf + prefix_len));
    }
    int stop = 0;
    if (wildcards) {
        char host[1024];
        snprintf(host, sizeof(host), "%.*s", (int)len, buf + prefix_len);
        host[strcspn(host, ":")] = '\0';
        for (char *dot = strchr(host, '.'); !stop && dot != NULL; dot = strchr(dot + 1, '.')) {
            char scope[1040];
            snprintf(scope, sizeof(scope), "*.%s", dot + 1);
            stop = visit(arg, scope);
        }
    }
    free(buf);
    return stop;
}

/* The name part of "name:tag", "name@digest" or "name:tag@digest". */
static size_t docker_name_length(const char *identity)
{
    size_t n = strcspn(identity, "@");
    const char *slash = memrchr(identity, '/', n);
    const char *colon = memchr(slash ? slash : identity, ':', n - (size_t)((slash ? slash : identity) - identity));
    return colon != NULL ? (size_t)(colon - identity) : n;
}

static int storage_namespaces(const char *identity, int (*visit)(void *, const char *), void *arg)
{
    const char *close = strchr(identity, ']');
    if (identity[0] != '[' || close == NULL)
        return 0;
    size_t spec_len = (size_t)(close - identity) + 1;
    const char *named = close + 1;
    size_t named_len = strcspn(named, "@");
    /* "[spec]name:tag@id": first without the ID, when both are there. */
    if (named[named_len] == '@' && named_len > 0 && visit_copy(visit, arg, identity, spec_len + named_len))
        return 1;
    if (named_len > 0) {
        size_t name_len = docker_name_length(named);
        if (name_len < named_len && visit_copy(visit, arg, identity, spec_len + named_len))
            return 1;
        if (docker_namespaces(identity, spec_len, named, name_len, visit, arg, 0))
            return 1;
    }
    if (visit_copy(visit, arg, identity, spec_len))
        return 1;
    /* "[root]": the store spec without its driver. */
    const char *at = memchr(identity, '@', spec_len);
    if (at == NULL)
        return 0;
    char driverless[4096];
    snprintf(driverless, sizeof(driverless), "[%.*s", (int)(close - at), at + 1);
    return visit(arg, driverless);
}

int policy_namespaces(const char *transport, const char *identity, int (*visit)(void *arg, const char *scope),
                      void *arg)
{
    if (is_docker_transport(transport))
        return docker_namespaces("", 0, identity, docker_name_length(identity), visit, arg, 1);
    if (is_path_transport(transport) || !is_shipped_transport(transport))
        return slash_prefixes(identity, visit, arg);
    if (strcmp(transport, "containers-storage") == 0)
        return storage_namespaces(identity, visit, arg);
    if (strcmp(transport, "ostree") == 0) {
        /* "repo:name:tag": repo:name, then repo:name's parents. */
        const char *tag = strrchr(identity, ':');
        const char *repo_end = strchr(identity, ':');
        if (tag == NULL || repo_end == tag)
            return 0;
        size_t n = (size_t)(tag - identity);
        for (;;) {
            if (visit_copy(visit, arg, identity, n))
                return 1;
            const char *slash = memrchr(repo_end + 1, '/', n - (size_t)(repo_end + 1 - identity));
            if (slash == NULL)
                return 0;
            n = (size_t)(slash - identity);
        }
    }
    return 0;
}
