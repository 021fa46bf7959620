/* plugins/containers-storage/delete.c — `delete containers-storage:…` as
 * skopeo does it (containers/storage's DeleteImage with commit): the image
 * record and its big data go, then its layers from the top down as long as no
 * other image and no container uses them. An image a container was made from
 * stays, with containers/storage's error. */
#include "cs_transport.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 when a container in the store (DRIVER-containers/containers.json) was
 * made from image `id` or sits on layer `layer`. */
static int cs_used_by_container(const cs_store *st, const char *id, const char *layer)
{
    char *path = plugin_util_printf("%s/%s-containers/containers.json", st->graphroot, st->driver);
    char *data = NULL;
    size_t len = 0;
    int used = 0;
    if (path != NULL && plugin_util_read_file(AT_FDCWD, path, 256 * 1024 * 1024, &data, &len) == 0) {
        json_t *all = json_loadb(data, len, 0, NULL);
        size_t i;
        json_t *c;
        json_array_foreach(all, i, c)
        {
            const char *image = json_string_value(json_object_get(c, "image"));
            json_t *l = cs_store_layer(st, json_string_value(json_object_get(c, "layer")) ?: "");
            const char *parent = json_string_value(json_object_get(l, "parent"));
            used |= (id != NULL && image != NULL && strcmp(image, id) == 0) ||
                    (layer != NULL && parent != NULL && strcmp(parent, layer) == 0);
        }
        json_decref(all);
    }
    free(data);
    free(path);
    return used;
}

/* 1 when another layer has `id` as its parent. */
static int cs_layer_has_children(const cs_store *st, const char *id)
{
    size_t i;
    json_t *layer;
    json_array_foreach(st->layers, i, layer)
    {
        const char *parent = json_string_value(json_object_get(layer, "parent"));
        if (parent != NULL && strcmp(parent, id) == 0)
            return 1;
    }
    return 0;
}

static int cs_delete_layers(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, cs_store *st,
                            char *top)
{
    char *id = top;
    while (id != NULL && cs_layer_users(st, id) == 0 && !cs_layer_has_children(st, id) &&
           !cs_used_by_container(st, NULL, id)) {
        json_t *layer = cs_store_layer(st, id);
        if (layer == NULL)
            break;
        const char *parent = json_string_value(json_object_get(layer, "parent"));
        char *next = parent ? strdup(parent) : NULL;
        char *tarsplit = plugin_util_printf("%s/%s-layers/%s.tar-split.gz", st->graphroot, st->driver, id);
        if (tarsplit != NULL)
            unlink(tarsplit);
        free(tarsplit);
        int rc = t->driver_ops->remove(svc, ctx, st, id);
        cs_layer_record_remove(st, id);
        if (id != top)
            free(id);
        id = next;
        if (rc != FERRY_OK) {
            free(id);
            return rc;
        }
    }
    if (id != top)
        free(id);
    return FERRY_OK;
}

/* After the image was not found in the graph root's store: an image of an
 * additional (read-only) store is refused naming that store, as
 * containers/storage does not delete there either; else `status` stands. */
static int cs_refuse_read_only(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, int status)
{
    size_t want = t->driver_options.n_image_stores, n = 0;
    if (want == 0)
        return status;
    cs_store *ro = calloc(want, sizeof *ro);
    if (ro == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", t->label);
    int rc = cs_target_load_image_stores(svc, ctx, t, ro, &n);
    json_t *image = NULL;
    size_t at = 0;
    for (; rc == FERRY_OK && at < n && image == NULL; at++) {
        int ambiguous = 0;
        image = cs_store_image_matching(&t->ref, &ro[at], &ambiguous);
    }
    if (rc != FERRY_OK)
        status = rc; /* a broken additional store is the error to report */
    else if (image != NULL)
        status = svc->set_error(ctx, FERRY_ERR_FAILED,
                                "%s: image %s is in the read-only image store %s: it cannot be deleted", t->label,
                                json_string_value(json_object_get(image, "id")), ro[at - 1].graphroot);
    cs_stores_close(ro, n);
    return status;
}

int cs_delete_image(ferry_ctx *ctx, const char *reference)
{
    const ferry_services *svc = cs_services();
    cs_target t;
    cs_store st;
    int store_open = 0;
    /* Opened read-only first: deleting from a store that is not there must
     * not create one. */
    int rc = cs_target_open(svc, ctx, reference, 0, &t, &st, &store_open);
    if (store_open) {
        cs_store_close(&st);
        rc = cs_store_open(svc, ctx, t.graphroot, t.runroot, t.driver, 1, &st);
        store_open = rc == FERRY_OK;
    }
    if (rc == FERRY_OK)
        rc = cs_store_lock_and_load(svc, ctx, &st);
    json_t *image = NULL;
    size_t at = 0;
    if (rc == FERRY_OK)
        rc = cs_resolve_image(svc, ctx, &t, &st, 1, &image, &at);
    if (rc == FERRY_ERR_NOT_FOUND)
        rc = cs_refuse_read_only(svc, ctx, &t, rc);
    char *id = NULL, *top = NULL;
    if (rc == FERRY_OK) {
        id = strdup(json_string_value(json_object_get(image, "id")) ?: "");
        const char *layer = json_string_value(json_object_get(image, "layer"));
        top = layer ? strdup(layer) : NULL;
        if (id == NULL || (layer != NULL && top == NULL))
            rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", t.label);
    }
    if (rc == FERRY_OK && cs_used_by_container(&st, id, NULL))
        rc = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: image used by a container: image is in use by a container",
                            t.label);
    if (rc == FERRY_OK) {
        size_t i;
        json_t *v;
        json_array_foreach(st.images, i, v)
        {
            if (v == image) {
                json_array_remove(st.images, i);
                break;
            }
        }
        /* The record goes first: an image is never listed without its data. */
        rc = cs_store_save_images(svc, ctx, &st);
    }
    if (rc == FERRY_OK) {
        char *dir = plugin_util_printf("%s/%s-images", st.graphroot, st.driver);
        int dirfd = dir ? plugin_util_open_dir(AT_FDCWD, dir) : -1;
        if (dirfd >= 0) {
            plugin_util_remove_tree_at(dirfd, id);
            close(dirfd);
        }
        free(dir);
        rc = cs_delete_layers(svc, ctx, &t, &st, top);
        int saved = cs_store_save_layers(svc, ctx, &st);
        rc = rc != FERRY_OK ? rc : saved;
    }
    if (store_open) {
        cs_store_unlock(&st);
        cs_store_close(&st);
    }
    free(id);
    free(top);
    cs_target_free(&t);
    return rc;
}
