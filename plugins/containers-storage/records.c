/* plugins/containers-storage/records.c — the layer and image records ferry
 * adds to a store, member for member as containers/storage writes them (Go
 * struct order, so that a rewrite by ferry and one by podman agree), and the
 * rules for names (unique across a store) and IDs (containers/image's chain). */
#include "cs_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cs_time_now(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char frac[16] = "";
    if (ts.tv_nsec != 0) {
        /* RFC3339Nano drops trailing zeros of the fraction. */
        snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        size_t n = strlen(frac);
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
}

int cs_layer_chain_id(const ferry_services *svc, const char *parent, const char *diff_id, char out[CS_ID_LEN + 1])
{
    const char *colon = strchr(diff_id, ':');
    const char *hex = colon ? colon + 1 : diff_id;
    if (parent == NULL) {
        if (strlen(hex) != CS_ID_LEN)
            return FERRY_ERR_INVALID;
        memcpy(out, hex, CS_ID_LEN + 1);
        return FERRY_OK;
    }
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return FERRY_ERR_NO_MEMORY;
    svc->hasher_update(h, parent, strlen(parent));
    svc->hasher_update(h, "+", 1);
    svc->hasher_update(h, hex, strlen(hex));
    char d[PLUGIN_UTIL_DIGEST_MAX];
    int rc = svc->hasher_final(h, d, sizeof d);
    svc->hasher_free(h);
    if (rc != FERRY_OK)
        return rc;
    memcpy(out, d + strlen("sha256:"), CS_ID_LEN);
    out[CS_ID_LEN] = '\0';
    return FERRY_OK;
}

json_t *cs_layer_record_add(cs_store *st, const char *id, const char *parent)
{
    char now[64];
    cs_time_now(now, sizeof now);
    json_t *layer = json_object();
    if (layer == NULL)
        return NULL;
    json_object_set_new(layer, "id", json_string(id));
    if (parent != NULL)
        json_object_set_new(layer, "parent", json_string(parent));
    json_object_set_new(layer, "created", json_string(now));
    json_t *flags = json_object();
    json_object_set_new(flags, "incomplete", json_true());
    json_object_set_new(layer, "flags", flags);
    if (json_array_append_new(st->layers, layer) != 0)
        return NULL;
    return layer;
}

int cs_layer_record_complete(json_t *layer, const char *compressed_digest, int64_t compressed_size,
                             int compression, const cs_apply_result *res)
{
    /* Rebuilt in Go's member order: flags go last, and only if others remain. */
    json_t *flags = json_incref(json_object_get(layer, "flags"));
    json_object_del(layer, "flags");
    json_object_del(layer, "incomplete");
    int rc = 0;
    if (compressed_digest != NULL)
        rc |= json_object_set_new(layer, "compressed-diff-digest", json_string(compressed_digest));
    if (compressed_digest != NULL && compressed_size >= 0)
        rc |= json_object_set_new(layer, "compressed-size", json_integer(compressed_size));
    rc |= json_object_set_new(layer, "diff-digest", json_string(res->diff_digest));
    rc |= json_object_set_new(layer, "diff-size", json_integer(res->diff_size));
    if (compression != 0)
        rc |= json_object_set_new(layer, "compression", json_integer(compression));
    if (json_array_size(res->uidset) > 0)
        rc |= json_object_set(layer, "uidset", res->uidset);
    if (json_array_size(res->gidset) > 0)
        rc |= json_object_set(layer, "gidset", res->gidset);
    if (flags != NULL) {
        json_object_del(flags, "incomplete");
        if (json_object_size(flags) > 0)
            rc |= json_object_set(layer, "flags", flags);
        json_decref(flags);
    }
    return rc == 0 ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

void cs_layer_record_remove(cs_store *st, const char *id)
{
    size_t i;
    json_t *layer;
    json_array_foreach(st->layers, i, layer)
    {
        const char *lid = json_string_value(json_object_get(layer, "id"));
        if (lid != NULL && strcmp(lid, id) == 0) {
            json_array_remove(st->layers, i);
            return;
        }
    }
}

size_t cs_layer_users(const cs_store *st, const char *id)
{
    size_t users = 0, i;
    json_t *image;
    size_t max = json_array_size(st->layers);
    json_array_foreach(st->images, i, image)
    {
        const char *lid = json_string_value(json_object_get(image, "layer"));
        for (size_t depth = 0; lid != NULL && depth <= max; depth++) {
            if (strcmp(lid, id) == 0) {
                users++;
                break;
            }
            json_t *layer = cs_store_layer(st, lid);
            lid = layer ? json_string_value(json_object_get(layer, "parent")) : NULL;
        }
    }
    return users;
}

int cs_names_contains(const json_t *names, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (json_string_value(v) != NULL && strcmp(json_string_value(v), name) == 0)
            return 1;
    }
    return 0;
}

static int cs_names_remove(json_t *names, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (json_string_value(v) != NULL && strcmp(json_string_value(v), name) == 0) {
            json_array_remove(names, i);
            return 1;
        }
    }
    return 0;
}

int cs_image_add_name(cs_store *st, json_t *image, const char *name)
{
    size_t i;
    json_t *other;
    json_array_foreach(st->images, i, other)
    {
        if (other == image)
            continue;
        json_t *names = json_object_get(other, "names");
        if (cs_names_remove(names, name) && json_array_size(names) == 0)
            json_object_del(other, "names"); /* omitempty, as Go writes it */
    }
    json_t *names = json_object_get(image, "names");
    if (names == NULL) {
        names = json_array();
        json_object_set_new(image, "names", names);
    }
    if (!cs_names_contains(names, name) && json_array_append_new(names, json_string(name)) != 0)
        return FERRY_ERR_NO_MEMORY;
    json_t *history = json_object_get(image, "names-history");
    if (history == NULL) {
        history = json_array();
        json_object_set_new(image, "names-history", history);
    }
    cs_names_remove(history, name);
    return json_array_insert_new(history, 0, json_string(name)) == 0 ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

static int cs_key_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cs_json_sort_keys(json_t *map)
{
    size_t n = json_object_size(map), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    json_t *copy = json_copy(map);
    if (keys == NULL || copy == NULL) {
        free(keys);
        json_decref(copy);
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(copy, key, value)
    {
        keys[i++] = key;
    }
    qsort(keys, n, sizeof *keys, cs_key_compare);
    json_object_clear(map);
    int rc = 0;
    for (i = 0; i < n; i++)
        rc |= json_object_set(map, keys[i], json_object_get(copy, keys[i]));
    free(keys);
    json_decref(copy);
    return rc;
}

int cs_image_set_big_data_info(json_t *image, const char *key, int64_t size, const char *digest)
{
    json_t *names = json_object_get(image, "big-data-names");
    if (names == NULL) {
        names = json_array();
        json_object_set_new(image, "big-data-names", names);
    }
    int rc = 0;
    if (!cs_names_contains(names, key))
        rc |= json_array_append_new(names, json_string(key));
    const char *maps[2] = {"big-data-sizes", "big-data-digests"};
    for (int m = 0; m < 2; m++) {
        json_t *map = json_object_get(image, maps[m]);
        if (map == NULL) {
            map = json_object();
            json_object_set_new(image, maps[m], map);
        }
        rc |= json_object_set_new(map, key, m == 0 ? json_integer(size) : json_string(digest));
        rc |= cs_json_sort_keys(map);
    }
    return rc == 0 ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}
