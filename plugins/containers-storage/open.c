/* plugins/containers-storage/open.c — from a containers-storage: reference to
 * its store and its image: the reference's [DRIVER@ROOT+RUNROOT] over
 * storage.conf's, and the image resolved as containers/image's storage
 * transport resolves it (by ID, REF@ID, REF@DIGEST, name, short ID). */
#include "cs_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cs_target_init(const ferry_services *svc, ferry_ctx *ctx, const char *reference, cs_target *t)
{
    memset(t, 0, sizeof *t);
    t->label = plugin_util_printf("%s:%s", CS_TRANSPORT, reference);
    if (t->label == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s:%s: out of memory", CS_TRANSPORT, reference);
    char err[1024];
    int rc = cs_reference_parse(reference, &t->ref, err, sizeof err);
    if (rc != FERRY_OK)
        return svc->set_error(ctx, rc, "%s", err);
    rc = cs_config_load(&t->conf, err, sizeof err);
    if (rc != FERRY_OK)
        return svc->set_error(ctx, rc, "%s: %s", t->label, err);
    t->driver = t->ref.driver ? t->ref.driver : t->conf.driver;
    t->graphroot = t->ref.root ? t->ref.root : t->conf.graphroot;
    t->runroot = t->ref.runroot ? t->ref.runroot : t->conf.runroot;
    t->driver_ops = cs_driver_find(t->driver);
    if (t->driver_ops == NULL)
        return svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                              "%s: storage driver \"%s\" is not supported by ferry (overlay and vfs are)", t->label,
                              t->driver);
    return FERRY_OK;
}

int cs_target_open(const ferry_services *svc, ferry_ctx *ctx, const char *reference, int writable, cs_target *t,
                   cs_store *st, int *store_open)
{
    *store_open = 0;
    int rc = cs_target_init(svc, ctx, reference, t);
    if (rc != FERRY_OK)
        return rc;
    rc = cs_store_open(svc, ctx, t->graphroot, t->runroot, t->driver, writable, st);
    *store_open = rc == FERRY_OK;
    return rc;
}

void cs_target_free(cs_target *t)
{
    cs_reference_free(&t->ref);
    cs_config_free(&t->conf);
    free(t->label);
    memset(t, 0, sizeof *t);
}

/* The repository of a normalised name: what precedes its tag or digest. */
static size_t cs_repo_len(const char *name)
{
    const char *at = strchr(name, '@');
    size_t n = at ? (size_t)(at - name) : strlen(name);
    const char *slash = memrchr(name, '/', n);
    const char *colon = memrchr(slash ? slash : name, ':', n - (size_t)((slash ? slash : name) - name));
    return colon ? (size_t)(colon - name) : n;
}

static int cs_image_has_repo(const json_t *image, const char *name)
{
    size_t want = cs_repo_len(name);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(image, "names"), i, v)
    {
        const char *have = json_string_value(v);
        if (have != NULL && cs_repo_len(have) == want && strncmp(have, name, want) == 0)
            return 1;
    }
    return 0;
}

/* An image of the name's repository holding a manifest of `digest`, as
 * containers/storage's ImagesByDigest finds it. */
static json_t *cs_image_by_digest(const cs_store *st, const char *name, const char *digest)
{
    size_t i;
    json_t *image;
    char key[160];
    snprintf(key, sizeof key, "manifest-%s", digest);
    json_array_foreach(st->images, i, image)
    {
        if (!cs_image_has_repo(image, name))
            continue;
        const char *d = json_string_value(json_object_get(image, "digest"));
        int found = d != NULL && strcmp(d, digest) == 0;
        size_t j;
        json_t *k;
        json_array_foreach(json_object_get(image, "big-data-names"), j, k)
        {
            found |= json_string_value(k) != NULL && strcmp(json_string_value(k), key) == 0;
        }
        if (found)
            return image;
    }
    return NULL;
}

int cs_resolve_image(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, const cs_store *st,
                     json_t **image)
{
    const cs_reference *r = &t->ref;
    json_t *found = NULL;
    int ambiguous = 0;
    if (r->id != NULL && r->id_is_short)
        found = cs_store_image_by_prefix(st, r->id, &ambiguous);
    else if (r->id != NULL)
        found = cs_store_image(st, r->id);
    else if (r->name != NULL && strchr(r->name, '@') != NULL)
        found = cs_image_by_digest(st, r->name, strchr(r->name, '@') + 1);
    else if (r->name != NULL)
        found = cs_store_image_by_name(st, r->name);
    if (found == NULL && !ambiguous && r->name_is_fallback)
        found = cs_store_image_by_name(st, r->name); /* "abc" was not an ID prefix: a name */
    else if (found != NULL && r->id != NULL && r->name != NULL && !r->name_is_fallback &&
             !cs_names_contains(json_object_get(found, "names"), r->name))
        found = NULL;
    *image = found;
    if (ambiguous)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: image ID prefix \"%s\" is ambiguous in %s", t->label,
                              r->id, t->graphroot);
    if (found == NULL)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND,
                              "%s: reference \"[%s@%s+%s]%s%s%s\" does not resolve to an image ID: identifier is "
                              "not an image",
                              t->label, t->driver, t->graphroot, t->runroot, r->name ? r->name : "",
                              r->name && r->id ? "@" : "", r->id ? r->id : "");
    return FERRY_OK;
}

int cs_image_layer_chain(const ferry_services *svc, ferry_ctx *ctx, const cs_store *st, const json_t *image,
                         const char ***ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    const char *id = json_string_value(json_object_get(image, "layer"));
    size_t max = json_array_size(st->layers);
    const char **chain = calloc(max + 1, sizeof *chain);
    if (chain == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    size_t count = 0;
    while (id != NULL && id[0] != '\0') {
        json_t *layer = cs_store_layer(st, id);
        if (layer == NULL || count == max) {
            const char *image_id = json_string_value(json_object_get(image, "id"));
            free(chain);
            return svc->set_error(ctx, FERRY_ERR_INVALID, "image %s: %s layer %s", image_id ? image_id : "?",
                                  layer == NULL ? "missing" : "cycle at", id);
        }
        chain[count++] = json_string_value(json_object_get(layer, "id"));
        id = json_string_value(json_object_get(layer, "parent"));
    }
    for (size_t i = 0; i < count / 2; i++) {
        const char *tmp = chain[i];
        chain[i] = chain[count - 1 - i];
        chain[count - 1 - i] = tmp;
    }
    *ids = chain;
    *n = count;
    return FERRY_OK;
}
