/* plugins/containers-storage/open.c — from a containers-storage: reference to
 * its store and its image: the reference's [DRIVER@ROOT+RUNROOT] over
 * storage.conf's, and the image resolved as containers/image's storage
 * transport resolves it (by ID, REF@ID, REF@DIGEST, name, short ID). */
#include "cs_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As containers/image hands them to containers/storage: the reference's
 * ","-separated OPTIONS replace the configured ones; without them, the
 * settings storage.conf turns into driver options, named after its driver. */
static int cs_target_driver_options(const ferry_services *svc, ferry_ctx *ctx, cs_target *t)
{
    const cs_config *c = &t->conf;
    size_t cap = c->n_additional_image_stores + 3, n = 0;
    char *split = NULL;
    char **opts = calloc(cap, sizeof *opts);
    int rc = opts == NULL ? FERRY_ERR_NO_MEMORY : FERRY_OK;
    if (rc == FERRY_OK && t->ref.options != NULL) {
        for (const char *p = t->ref.options; *p; p++)
            cap += *p == ',';
        char **grown = realloc(opts, cap * sizeof *opts);
        if (grown == NULL || (split = strdup(t->ref.options)) == NULL) {
            free(grown ? grown : opts);
            opts = NULL;
            rc = FERRY_ERR_NO_MEMORY;
        } else {
            opts = grown;
            for (char *save = NULL, *o = strtok_r(split, ",", &save); o; o = strtok_r(NULL, ",", &save))
                opts[n++] = o;
        }
    } else if (rc == FERRY_OK) {
        const char *d = c->driver;
        for (size_t i = 0; i < c->n_additional_image_stores && rc == FERRY_OK; i++)
            if ((opts[n++] = plugin_util_printf("%s.imagestore=%s", d, c->additional_image_stores[i])) == NULL)
                rc = FERRY_ERR_NO_MEMORY;
        const struct {
            const char *key, *value;
        } conf_opts[] = {{"mount_program", c->mount_program},
                         {"ignore_chown_errors", c->ignore_chown_errors},
                         {"force_mask", c->force_mask}};
        for (size_t i = 0; i < 3 && rc == FERRY_OK; i++)
            if (conf_opts[i].value != NULL &&
                (opts[n++] = plugin_util_printf("%s.%s=%s", d, conf_opts[i].key, conf_opts[i].value)) == NULL)
                rc = FERRY_ERR_NO_MEMORY;
    }
    char err[1024] = "out of memory";
    if (rc == FERRY_OK)
        rc = cs_driver_options_parse(t->driver, (const char *const *)opts, n, &t->driver_options, err, sizeof err);
    if (split == NULL && opts != NULL)
        for (size_t i = 0; i < n; i++)
            free(opts[i]);
    free(opts);
    free(split);
    return rc == FERRY_OK ? FERRY_OK : svc->set_error(ctx, rc, "%s: %s", t->label, err);
}

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
    return cs_target_driver_options(svc, ctx, t);
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

int cs_target_load_image_stores(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, cs_store *into,
                                size_t *n)
{
    for (size_t i = 0; i < t->driver_options.n_image_stores; i++) {
        int rc = cs_store_open_image_store(svc, ctx, t->driver_options.image_stores[i], t->driver, &into[i]);
        if (rc != FERRY_OK)
            return rc;
        (*n)++;
        rc = cs_store_lock_and_load(svc, ctx, &into[i]);
        cs_store_unlock(&into[i]);
        if (rc != FERRY_OK)
            return rc;
    }
    return FERRY_OK;
}

void cs_stores_close(cs_store *stores, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cs_store_close(&stores[i]);
    free(stores);
}

void cs_target_free(cs_target *t)
{
    cs_reference_free(&t->ref);
    cs_config_free(&t->conf);
    cs_driver_options_free(&t->driver_options);
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

json_t *cs_store_image_matching(const cs_reference *r, const cs_store *st, int *ambiguous)
{
    json_t *found = NULL;
    *ambiguous = 0;
    if (r->id != NULL && r->id_is_short)
        found = cs_store_image_by_prefix(st, r->id, ambiguous);
    else if (r->id != NULL)
        found = cs_store_image(st, r->id);
    else if (r->name != NULL && strchr(r->name, '@') != NULL)
        found = cs_image_by_digest(st, r->name, strchr(r->name, '@') + 1);
    else if (r->name != NULL)
        found = cs_store_image_by_name(st, r->name);
    if (found == NULL && !*ambiguous && r->name_is_fallback)
        found = cs_store_image_by_name(st, r->name); /* "abc" was not an ID prefix: a name */
    else if (found != NULL && r->id != NULL && r->name != NULL && !r->name_is_fallback &&
             !cs_names_contains(json_object_get(found, "names"), r->name))
        found = NULL;
    return found;
}

int cs_resolve_image(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, const cs_store *stores,
                     size_t n_stores, json_t **image, size_t *store_index)
{
    const cs_reference *r = &t->ref;
    json_t *found = NULL;
    int ambiguous = 0;
    size_t i = 0;
    /* The graph root's store first, then each additional one, as
     * containers/storage's Image() looks. */
    for (; i < n_stores && found == NULL && !ambiguous; i++)
        found = cs_store_image_matching(r, &stores[i], &ambiguous);
    *image = found;
    *store_index = found != NULL ? i - 1 : 0;
    if (ambiguous)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: image ID prefix \"%s\" is ambiguous in %s", t->label,
                              r->id, stores[i - 1].graphroot);
    if (found == NULL)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND,
                              "%s: reference \"[%s@%s+%s]%s%s%s\" does not resolve to an image ID: identifier is "
                              "not an image",
                              t->label, t->driver, t->graphroot, t->runroot, r->name ? r->name : "",
                              r->name && r->id ? "@" : "", r->id ? r->id : "");
    return FERRY_OK;
}

int cs_image_layer_chain(const ferry_services *svc, ferry_ctx *ctx, const cs_store *stores, size_t n_stores,
                         const json_t *image, cs_layer_ref **chain_out, size_t *n)
{
    *chain_out = NULL;
    *n = 0;
    const char *id = json_string_value(json_object_get(image, "layer"));
    size_t max = 0;
    for (size_t s = 0; s < n_stores; s++)
        max += json_array_size(stores[s].layers);
    cs_layer_ref *chain = calloc(max + 1, sizeof *chain);
    if (chain == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    size_t count = 0;
    while (id != NULL && id[0] != '\0') {
        /* A layer of an additional store may be the parent of one of the graph
         * root's: each is looked up in every store, in order. */
        json_t *layer = NULL;
        size_t s = 0;
        for (; s < n_stores && layer == NULL; s++)
            layer = cs_store_layer(&stores[s], id);
        if (layer == NULL || count == max) {
            const char *image_id = json_string_value(json_object_get(image, "id"));
            free(chain);
            return svc->set_error(ctx, FERRY_ERR_INVALID, "image %s: %s layer %s", image_id ? image_id : "?",
                                  layer == NULL ? "missing" : "cycle at", id);
        }
        chain[count].id = json_string_value(json_object_get(layer, "id"));
        chain[count].record = layer;
        chain[count].store = &stores[s - 1];
        count++;
        id = json_string_value(json_object_get(layer, "parent"));
    }
    for (size_t i = 0; i < count / 2; i++) {
        cs_layer_ref tmp = chain[i];
        chain[i] = chain[count - 1 - i];
        chain[count - 1 - i] = tmp;
    }
    *chain_out = chain;
    *n = count;
    return FERRY_OK;
}
