/* plugins/docker-archive/index.c — manifest.json, the archive's table of
 * images ([{Config, RepoTags, Layers}]): loading it, choosing the image a
 * reference names (as containers/image does: a RepoTag equal after
 * normalisation, @N, or the only image), and listing the images' tags. */
#include "dockarch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dockarch_manifest_load(ferry_ctx *ctx, const dockarch_archive *ar, json_t **items)
{
    const ferry_services *svc = dockarch_services();
    *items = NULL;
    const dockarch_member *m = dockarch_archive_find(ar, DOCKARCH_MANIFEST_FILE);
    if (m == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: no manifest.json in the archive (not a docker save archive)",
                              ar->label);
    char *data = NULL;
    int status = dockarch_archive_read(ctx, ar, m, DOCKARCH_JSON_MAX, &data);
    if (status != FERRY_OK)
        return status;
    json_error_t err;
    json_t *root = json_loadb(data, (size_t)m->size, 0, &err);
    free(data);
    if (root == NULL || !json_is_array(root)) {
        json_decref(root);
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: manifest.json is not a JSON array%s%s", ar->label,
                              root == NULL ? ": " : "", root == NULL ? err.text : "");
    }
    size_t i;
    json_t *item;
    json_array_foreach(root, i, item) {
        json_t *tags = json_object_get(item, "RepoTags");
        json_t *layers = json_object_get(item, "Layers");
        int ok = json_is_object(item) && json_is_string(json_object_get(item, "Config")) && json_is_array(layers) &&
                 (tags == NULL || json_is_null(tags) || json_is_array(tags));
        for (size_t j = 0; ok && j < json_array_size(layers); j++)
            ok = json_is_string(json_array_get(layers, j));
        for (size_t j = 0; ok && j < json_array_size(tags); j++)
            ok = json_is_string(json_array_get(tags, j));
        if (!ok) {
            json_decref(root);
            return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: manifest.json entry %zu is malformed", ar->label, i);
        }
    }
    *items = root;
    return FERRY_OK;
}

int dockarch_manifest_select(ferry_ctx *ctx, const char *label, const char *name, long index, json_t *items,
                             json_t **item)
{
    const ferry_services *svc = dockarch_services();
    size_t n = json_array_size(items);
    *item = NULL;
    if (index >= 0) {
        if ((size_t)index >= n)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: invalid index @%ld, the archive contains %zu images",
                                  label, index, n);
        *item = json_array_get(items, (size_t)index);
        return FERRY_OK;
    }
    if (name == NULL) {
        if (n != 1)
            return svc->set_error(ctx, n == 0 ? FERRY_ERR_NOT_FOUND : FERRY_ERR_INVALID,
                                  "%s: the archive contains %zu images; choose one with :NAME:TAG or :@INDEX", label,
                                  n);
        *item = json_array_get(items, 0);
        return FERRY_OK;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *tags = json_object_get(json_array_get(items, i), "RepoTags");
        for (size_t j = 0; j < json_array_size(tags); j++) {
            char *norm = NULL;
            char why[128];
            if (dockarch_normalize_tagged(json_string_value(json_array_get(tags, j)), &norm, why, sizeof why) != 0)
                continue; /* containers/image skips unparsable tags too */
            int match = strcmp(norm, name) == 0;
            free(norm);
            if (match) {
                *item = json_array_get(items, i);
                return FERRY_OK;
            }
        }
    }
    return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no image tagged %s in the archive", label, name);
}

int dockarch_manifest_tags(json_t *items, int (*emit)(void *opaque, const char *tag), void *opaque)
{
    int status = FERRY_OK;
    for (size_t i = 0; status == FERRY_OK && i < json_array_size(items); i++) {
        json_t *tags = json_object_get(json_array_get(items, i), "RepoTags");
        size_t emitted = 0;
        for (size_t j = 0; status == FERRY_OK && j < json_array_size(tags); j++) {
            char *norm = NULL;
            char why[128];
            if (dockarch_normalize_tagged(json_string_value(json_array_get(tags, j)), &norm, why, sizeof why) != 0)
                continue;
            status = emit(opaque, norm);
            free(norm);
            emitted++;
        }
        if (status == FERRY_OK && emitted == 0) {
            char at[32];
            snprintf(at, sizeof at, "@%zu", i);
            status = emit(opaque, at);
        }
    }
    return status;
}
