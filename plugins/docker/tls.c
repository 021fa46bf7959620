/* plugins/docker/tls.c — how we may talk to a registry: refused when
 * registries.conf blocks it; TLS verification unless tls-verify=false or
 * registries.conf marks it insecure (both also allow plain HTTP); CA
 * certificates and client certificate/key pairs from its certs.d directory,
 * as containers/image finds it: the cert-dir option, else the first of
 * $XDG_CONFIG_HOME/containers/certs.d/HOST[:PORT] (or ~/.config/…),
 * /etc/containers/certs.d/HOST[:PORT], /etc/docker/certs.d/HOST[:PORT] that
 * exists. "*.crt" files are CA certificates added to the system's; "*.cert"
 * with the matching "*.key" is a client certificate (the first pair is
 * used: libcurl presents one). */
#include "docker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOCKER_CERT_FILE_MAX (16 * 1024 * 1024)

void docker_tls_free(docker_tls *tls)
{
    free(tls->ca_blob);
    free(tls->client_cert);
    free(tls->client_key);
    memset(tls, 0, sizeof *tls);
}

/* The certs.d directory for `domain`, malloc'd; NULL when none exists. */
static char *docker_cert_dir(ferry_ctx *ctx, const char *domain)
{
    const ferry_services *svc = docker_services();
    const char *opt = svc->get_option(ctx, "cert-dir");
    if (opt != NULL && opt[0] != '\0')
        return strdup(opt);
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char *candidates[3] = {NULL, NULL, NULL};
    if (xdg != NULL && xdg[0] == '/')
        candidates[0] = plugin_util_printf("%s/containers/certs.d/%s", xdg, domain);
    else if (home != NULL && home[0] != '\0')
        candidates[0] = plugin_util_printf("%s/.config/containers/certs.d/%s", home, domain);
    candidates[1] = plugin_util_printf("/etc/containers/certs.d/%s", domain);
    candidates[2] = plugin_util_printf("/etc/docker/certs.d/%s", domain);
    char *found = NULL;
    for (size_t i = 0; i < 3; i++) {
        struct stat st;
        if (found == NULL && candidates[i] != NULL && stat(candidates[i], &st) == 0) {
            found = candidates[i];
            candidates[i] = NULL;
        }
        free(candidates[i]);
    }
    return found;
}

/* Appends a whole file (at most DOCKER_CERT_FILE_MAX) and a newline. */
static int docker_append_file(docker_tls *tls, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (plugin_util_read_file(AT_FDCWD, path, DOCKER_CERT_FILE_MAX, &data, &len) != 0)
        return -1;
    char *grown = realloc(tls->ca_blob, tls->ca_len + len + 2);
    if (grown == NULL) {
        free(data);
        errno = ENOMEM;
        return -1;
    }
    memcpy(grown + tls->ca_len, data, len);
    tls->ca_len += len;
    grown[tls->ca_len++] = '\n';
    grown[tls->ca_len] = '\0';
    tls->ca_blob = grown;
    free(data);
    return 0;
}

static int docker_has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

static int docker_file_exists(const char *dir, const char *base, const char *suffix)
{
    char *path = plugin_util_printf("%s/%s%s", dir, base, suffix);
    struct stat st;
    int exists = path != NULL && stat(path, &st) == 0;
    free(path);
    return exists;
}

/* Reads the certs.d directory into tls. */
static int docker_tls_load_dir(ferry_ctx *ctx, const docker_reference *ref, const char *dir, docker_tls *tls)
{
    const ferry_services *svc = docker_services();
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return FERRY_OK;
        return plugin_util_errno_error(svc, ctx, errno, ref->label, "reading certificate directory", dir);
    }
    int status = FERRY_OK;
    int have_system = 0;
    for (int i = 0; i < n && status == FERRY_OK; i++) {
        const char *name = names[i]->d_name;
        char *path = plugin_util_printf("%s/%s", dir, name);
        if (path == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
        } else if (docker_has_suffix(name, ".crt")) {
            if (tls->verify && !have_system) {
                /* certs.d adds to the system's CAs, it does not replace them. */
                const char *system = docker_http_default_cafile();
                if (system != NULL && docker_append_file(tls, system) != 0)
                    svc->log(ctx, FERRY_LOG_DEBUG, "%s: system CA bundle %s not readable", ref->label, system);
                have_system = 1;
            }
            if (tls->verify && docker_append_file(tls, path) != 0)
                status = plugin_util_errno_error(svc, ctx, errno, ref->label, "reading CA certificate", path);
        } else if (docker_has_suffix(name, ".cert") || docker_has_suffix(name, ".key")) {
            int is_cert = docker_has_suffix(name, ".cert");
            char *base = strndup(name, strlen(name) - (is_cert ? 5 : 4));
            if (base == NULL) {
                status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
            } else if (!docker_file_exists(dir, base, is_cert ? ".key" : ".cert")) {
                status = is_cert ? svc->set_error(ctx, FERRY_ERR_INVALID,
                                                  "%s: missing key %s.key for client certificate %s. Note that CA "
                                                  "certificates should use the extension .crt",
                                                  ref->label, base, name)
                                 : svc->set_error(ctx, FERRY_ERR_INVALID,
                                                  "%s: missing client certificate %s.cert for key %s", ref->label,
                                                  base, name);
            } else if (is_cert && tls->client_cert == NULL) {
                tls->client_cert = strdup(path);
                tls->client_key = plugin_util_printf("%s/%s.key", dir, base);
                if (tls->client_cert == NULL || tls->client_key == NULL)
                    status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
            }
            free(base);
        }
        free(path);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return status;
}

int docker_tls_setup(ferry_ctx *ctx, const docker_reference *ref, int endpoint_insecure, docker_tls *out)
{
    const ferry_services *svc = docker_services();
    memset(out, 0, sizeof *out);
    const char *conf_error = svc->get_option(ctx, "registries-conf-error");
    if (conf_error != NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: loading registries configuration: %s", ref->label,
                              conf_error);
    /* registries.conf is matched on the repository name, not just the host. */
    char key[1024];
    snprintf(key, sizeof key, "registry-blocked-reason:%s%s%s", ref->domain, ref->path[0] != '\0' ? "/" : "",
             ref->path);
    const char *blocked = svc->get_option(ctx, key);
    if (blocked != NULL)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: %s", ref->label, blocked);

    const char *verify = svc->get_option(ctx, "tls-verify");
    if (verify == NULL) {
        if (endpoint_insecure >= 0) {
            out->verify = !endpoint_insecure;
        } else {
            snprintf(key, sizeof key, "registry-insecure:%s%s%s", ref->domain, ref->path[0] != '\0' ? "/" : "",
                     ref->path);
            const char *insecure = svc->get_option(ctx, key);
            out->verify = !(insecure != NULL && strcmp(insecure, "true") == 0);
        }
    } else if (strcmp(verify, "true") == 0) {
        out->verify = 1;
    } else if (strcmp(verify, "false") == 0) {
        out->verify = 0;
    } else {
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid --tls-verify value \"%s\" (true or false)",
                              ref->label, verify);
    }
    out->allow_http = !out->verify;

    char *dir = docker_cert_dir(ctx, ref->domain);
    int status = dir != NULL ? docker_tls_load_dir(ctx, ref, dir, out) : FERRY_OK;
    if (status == FERRY_OK && dir != NULL)
        svc->log(ctx, FERRY_LOG_DEBUG, "%s: certificates from %s%s", ref->label, dir,
                 out->client_cert != NULL ? " (with a client certificate)" : "");
    free(dir);
    if (status != FERRY_OK)
        docker_tls_free(out);
    return status;
}
