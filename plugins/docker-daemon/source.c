/* plugins/docker-daemon/source.c — reading an image out of a Docker daemon.
 * The image API resolves the reference to the image ID first
 * (GET /images/NAME/json: a missing image is "not found", exit 2, before any
 * download), then GET /images/get?names=ID streams the `docker save` tar of
 * exactly that image — by ID, so a tag moved meanwhile cannot switch images
 * under us — into an unlinked temporary file in tmpdir (the daemon writes
 * manifest.json last, so nothing can be served before the end). The file is
 * then indexed in place and served by libdockarch exactly as a
 * docker-archive: source; closing the source closes, and so deletes, it. */
#include "daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* GET /images/NAME/json: the image's ID. */
static int dockerd_source_resolve(dockerd_client *c, ferry_ctx *ctx, const char *name, char *id, size_t cap)
{
    const ferry_services *svc = dockerd_services();
    char *path = dockerd_path("/images/", name, "/json");
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->label);
    long http = 0;
    char *body = NULL;
    size_t len = 0;
    int status = dockerd_request(c, ctx, "GET", path, &http, &body, &len);
    free(path);
    if (status != FERRY_OK)
        return status;
    if (http == 404) {
        free(body);
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no such image in the Docker daemon at %s", c->label,
                              c->host);
    }
    if (http != 200) {
        status = dockerd_http_error(c, ctx, http, body, len, "inspecting the image");
        free(body);
        return status;
    }
    json_t *j = json_loadb(body, len, 0, NULL);
    free(body);
    const char *v = json_string_value(json_object_get(j, "Id"));
    if (v == NULL || !svc->digest_is_valid(v) || strlen(v) >= cap)
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: the Docker daemon at %s gave no valid image ID",
                                c->label, c->host);
    else
        snprintf(id, cap, "%s", v);
    json_decref(j);
    return status;
}

/* GET /images/get?names=ID into fd. */
static int dockerd_source_save(dockerd_client *c, ferry_ctx *ctx, const char *id, int fd)
{
    const ferry_services *svc = dockerd_services();
    char *path = dockerd_path("/images/get?names=", id, "");
    if (path == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->label);
    long http = 0;
    char *err = NULL;
    size_t errlen = 0;
    int status = dockerd_download(c, ctx, path, fd, &http, &err, &errlen);
    free(path);
    if (status == FERRY_OK && http != 200)
        status = dockerd_http_error(c, ctx, http, err, errlen, "exporting the image");
    free(err);
    return status;
}

int dockerd_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    *out = NULL;
    dockerd_reference ref;
    dockerd_client c;
    memset(&c, 0, sizeof c);
    int status = dockerd_reference_parse(ctx, reference, &ref);
    if (status == FERRY_OK)
        status = dockerd_client_init(ctx, ref.label, &c);
    char id[PLUGIN_UTIL_DIGEST_MAX];
    if (status == FERRY_OK)
        status = dockerd_source_resolve(&c, ctx, ref.id != NULL ? ref.id : ref.canonical, id, sizeof id);
    int fd = -1;
    if (status == FERRY_OK)
        status = dockarch_tmpfile(ctx, ref.label, &fd);
    if (status == FERRY_OK)
        status = dockerd_source_save(&c, ctx, id, fd);
    if (status == FERRY_OK) {
        dockarch_archive ar;
        status = dockarch_archive_open_fd(ctx, ref.label, fd, &ar); /* takes fd */
        fd = -1;
        if (status == FERRY_OK)
            status = dockarch_source_open(ctx, ref.label, &ar, NULL, -1, ref.canonical, out);
    }
    if (fd >= 0)
        close(fd);
    dockerd_client_free(&c);
    dockerd_reference_free(&ref);
    return status;
}
