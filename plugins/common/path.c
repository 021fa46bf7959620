/* plugins/common/path.c — small helpers of the transports: the core check at
 * module entry, printf into new memory, thread-safe strerror, policy-identity
 * path resolution, splitting a path into directory and name, digest
 * splitting and errno reporting. */
#include "plugin_util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const ferry_services *plugin_util_core_services(const ferry_core *core, const char *module)
{
    /* Only the frozen members (struct_size, abi_major, abi_minor) may be read
     * before the major is known to be ours. */
    if (core == NULL || core->abi_major != FERRY_ABI_MAJOR)
        return NULL;
    if (!FERRY_HAS_MEMBER(core, ferry_core, services) || core->services == NULL)
        return NULL;
    /* These helpers use the file services of 1.4 (mkdir_p is the last). */
    const ferry_services *svc = core->services;
    if (FERRY_HAS_MEMBER(svc, ferry_services, mkdir_p))
        return svc;
    if (FERRY_HAS_MEMBER(svc, ferry_services, log) && svc->log != NULL)
        svc->log(NULL, FERRY_LOG_ERROR, "%s: module needs all ferry plugin ABI %d.4 services, core offers %u.%u",
                 module, FERRY_ABI_MAJOR, (unsigned)core->abi_major, (unsigned)core->abi_minor);
    return NULL;
}

int plugin_util_module_init(const ferry_core *core, const ferry_module *module, unsigned min_minor,
                            const ferry_services **svc, const ferry_module **out)
{
    *svc = plugin_util_core_services(core, module->name);
    if (*svc == NULL)
        return FERRY_ERR_ABI;
    if (core->abi_minor < min_minor) {
        (*svc)->log(NULL, FERRY_LOG_ERROR, "%s: module needs ferry plugin ABI %d.%u, core offers %u.%u",
                    module->name, FERRY_ABI_MAJOR, min_minor, (unsigned)core->abi_major, (unsigned)core->abi_minor);
        *svc = NULL;
        return FERRY_ERR_ABI;
    }
    *out = module;
    return FERRY_OK;
}

char *plugin_util_printf(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : out;
}

const char *plugin_util_strerror(int err, char *buf, size_t cap)
{
    /* GNU strerror_r: may return a static string instead of filling buf. */
    return strerror_r(err, buf, cap);
}

/* Appends component `comp` (length n) to the absolute path in *res, handling
 * "." and ".." lexically. */
static int plugin_util_append_component(char **res, const char *comp, size_t n)
{
    if (n == 0 || (n == 1 && comp[0] == '.'))
        return 0;
    if (n == 2 && comp[0] == '.' && comp[1] == '.') {
        char *slash = strrchr(*res, '/');
        if (slash == *res)
            slash[1] = '\0'; /* "/.." is "/" */
        else if (slash != NULL)
            *slash = '\0';
        return 0;
    }
    size_t len = strlen(*res);
    int need_slash = len == 0 || (*res)[len - 1] != '/';
    char *grown = realloc(*res, len + need_slash + n + 1);
    if (grown == NULL)
        return -1;
    if (need_slash)
        grown[len++] = '/';
    memcpy(grown + len, comp, n);
    grown[len + n] = '\0';
    *res = grown;
    return 0;
}

int plugin_util_policy_path(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, char *buf,
                            size_t cap)
{
    char *resolved = plugin_util_resolve_path(path);
    if (resolved == NULL)
        return plugin_util_errno_error(svc, ctx, errno, label, "resolving", path);
    size_t n = strlen(resolved);
    int status = FERRY_OK;
    if (n >= cap)
        status = svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: resolved path too long", label);
    else
        memcpy(buf, resolved, n + 1);
    free(resolved);
    return status;
}

char *plugin_util_resolve_path(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        errno = EINVAL;
        return NULL;
    }
    char *abs;
    if (path[0] == '/') {
        abs = strdup(path);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (cwd == NULL)
            return NULL;
        abs = plugin_util_printf("%s/%s", cwd, path);
        free(cwd);
    }
    if (abs == NULL) {
        errno = ENOMEM;
        return NULL;
    }

    /* Shorten the path at slashes until a prefix exists; `cut` is where the
     * unresolved rest starts. */
    size_t len = strlen(abs);
    size_t cut = len;
    char *resolved = NULL;
    for (;;) {
        char saved = abs[cut];
        abs[cut] = '\0';
        resolved = realpath(cut == 0 ? "/" : abs, NULL);
        int err = errno;
        abs[cut] = saved;
        if (resolved != NULL)
            break;
        if (err != ENOENT && err != ENOTDIR) {
            free(abs);
            errno = err;
            return NULL;
        }
        while (cut > 0 && abs[cut - 1] != '/')
            cut--;
        if (cut > 0)
            cut--; /* drop the slash too */
        else {
            free(abs);
            errno = err;
            return NULL;
        }
    }

    for (const char *p = abs + cut; *p != '\0';) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        if (plugin_util_append_component(&resolved, p, (size_t)(end - p)) != 0) {
            free(resolved);
            free(abs);
            errno = ENOMEM;
            return NULL;
        }
        p = end;
    }
    free(abs);
    return resolved;
}

int plugin_util_split_path(const char *path, char **parent, char **name)
{
    const char *slash = strrchr(path, '/');
    *parent = slash == NULL ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    *name = strdup(slash != NULL ? slash + 1 : path);
    if (*parent != NULL && *name != NULL)
        return 0;
    free(*parent);
    free(*name);
    *parent = *name = NULL;
    errno = ENOMEM;
    return -1;
}

int plugin_util_digest_split(const ferry_services *svc, const char *digest, char *alg, size_t cap,
                             const char **hex)
{
    if (digest == NULL || !svc->digest_is_valid(digest))
        return -1;
    const char *colon = strchr(digest, ':');
    size_t n = (size_t)(colon - digest);
    if (n + 1 > cap)
        return -1;
    memcpy(alg, digest, n);
    alg[n] = '\0';
    *hex = colon + 1;
    return 0;
}

int plugin_util_errno_error(const ferry_services *svc, ferry_ctx *ctx, int err, const char *label,
                            const char *action, const char *path)
{
    char buf[128];
    int status = err == ENOMEM ? FERRY_ERR_NO_MEMORY : err == ENOENT ? FERRY_ERR_NOT_FOUND : FERRY_ERR_IO;
    return svc->set_error(ctx, status, "%s: %s %s: %s", label, action, path,
                          plugin_util_strerror(err, buf, sizeof buf));
}

int plugin_util_errno_error_at(const ferry_services *svc, ferry_ctx *ctx, int err, const char *label,
                               const char *action, const char *dirpath, const char *name)
{
    char *path = plugin_util_printf("%s/%s", dirpath, name);
    int status = plugin_util_errno_error(svc, ctx, err, label, action, path != NULL ? path : name);
    free(path);
    return status;
}

/* ---- archive member names ---- */

char *plugin_util_archive_path(const char *base, size_t base_len, const char *name)
{
    if (name == NULL || name[0] == '/') {
        errno = EPERM;
        return NULL;
    }
    size_t cap = (base != NULL ? base_len : 0) + strlen(name) + 2;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t len = 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *p = pass == 0 ? base : name;
        const char *stop = pass == 0 ? (base != NULL ? base + base_len : NULL) : name + strlen(name);
        while (p != NULL && p < stop) {
            const char *slash = memchr(p, '/', (size_t)(stop - p));
            size_t n = slash != NULL ? (size_t)(slash - p) : (size_t)(stop - p);
            if (n == 2 && p[0] == '.' && p[1] == '.') {
                /* A link target may step back inside its own tree; names never. */
                if (base == NULL || len == 0) {
                    free(out);
                    errno = EPERM;
                    return NULL;
                }
                while (len > 0 && out[len - 1] != '/')
                    len--;
                if (len > 0)
                    len--;
            } else if (n > 0 && !(n == 1 && p[0] == '.')) {
                if (len > 0)
                    out[len++] = '/';
                memcpy(out + len, p, n);
                len += n;
            }
            p += n + (slash != NULL ? 1 : 0);
        }
    }
    out[len] = '\0';
    if (len == 0) { /* "." or "./": the archive's root, never a member */
        free(out);
        errno = EPERM;
        return NULL;
    }
    return out;
}
