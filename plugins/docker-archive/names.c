/* plugins/docker-archive/names.c — the image names a docker save archive
 * records (manifest.json RepoTags, repositories): canonical "host/repo:tag"
 * as docker save writes them, parsed with the shared docker reference
 * grammar (plugins/common/docker_name.c), and the RepoTags list of a
 * destination (its reference plus --additional-tag). */
#include "dockarch.h"

#include "docker_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dockarch_normalize_tagged(const char *in, char **out, char *why, size_t cap)
{
    *out = NULL;
    char *text = plugin_util_printf("//%s", in);
    if (text == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    docker_reference ref;
    int status = docker_reference_parse_into(dockarch_services(), text, &ref, why, cap);
    free(text);
    if (status == FERRY_OK && ref.digest != NULL) {
        snprintf(why, cap, "reference does not include a tag (digest references are not supported): %s", in);
        status = FERRY_ERR_INVALID;
    }
    if (status == FERRY_OK && (*out = strdup(ref.canonical)) == NULL) {
        snprintf(why, cap, "out of memory");
        status = FERRY_ERR_NO_MEMORY;
    }
    docker_reference_free(&ref);
    return status == FERRY_OK ? 0 : -1;
}

void dockarch_tags_free(char **tags, size_t n)
{
    for (size_t i = 0; tags != NULL && i < n; i++)
        free(tags[i]);
    free(tags);
}

int dockarch_tags_collect(ferry_ctx *ctx, const char *label, const char *primary, char ***tags_out, size_t *n_out)
{
    const ferry_services *svc = dockarch_services();
    const char *extra = svc->get_option(ctx, "additional-tags");
    size_t max = 2 + (extra != NULL ? strlen(extra) : 0), n = 0;
    char **tags = calloc(max, sizeof *tags);
    *tags_out = NULL;
    *n_out = 0;
    if (tags == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    int status = FERRY_OK;
    if (primary != NULL && (tags[n++] = strdup(primary)) == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    for (const char *p = extra; status == FERRY_OK && p != NULL && *p != '\0';) {
        size_t len = strcspn(p, "\n");
        char *one = strndup(p, len), *norm = NULL;
        char why[256];
        p += len + (p[len] == '\n');
        if (one == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
            break;
        }
        int rc = len == 0 ? 1 : dockarch_normalize_tagged(one, &norm, why, sizeof why);
        free(one);
        if (rc < 0) {
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: --additional-tag: %s", label, why);
            break;
        }
        int dup = rc > 0;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(tags[i], norm) == 0;
        if (dup)
            free(norm);
        else
            tags[n++] = norm;
    }
    if (status != FERRY_OK) {
        dockarch_tags_free(tags, n);
        return status;
    }
    *tags_out = tags;
    *n_out = n;
    return FERRY_OK;
}
