/* plugins/containers-storage/cs_transport.h — the transport's own glue over
 * the parts in cs.h: the module's services table, the store a reference names
 * (open.c), the records ferry creates (records.c), and the entry points the
 * transport table lists (source.c, dest.c, delete.c). */
#ifndef FERRY_PLUGIN_CS_TRANSPORT_H
#define FERRY_PLUGIN_CS_TRANSPORT_H

#include "cs.h"
#include "plugin_util.h"

/* The services table the core handed to ferry_module_init (module.c). */
const ferry_services *cs_services(void);

/* ---- open.c: from a reference to a store and an image --------------------- */

/* A parsed reference with the store it names: the reference's [driver@root+
 * runroot] over storage.conf's. label is "containers-storage:" + the text, for
 * messages. All owned. */
typedef struct cs_target {
    cs_reference ref;
    cs_config conf;
    const char *driver, *graphroot, *runroot; /* borrowed from ref or conf */
    const cs_driver_ops *driver_ops;
    cs_driver_options driver_options; /* the reference's OPTIONS, else storage.conf's */
    char *label;
} cs_target;

/* Parses `reference` and loads storage.conf; FERRY_ERR_INVALID for a bad
 * reference, an unsupported driver, bad driver options or a bad storage.conf.
 * Release with cs_target_free (also after a failure). */
int cs_target_init(const ferry_services *svc, ferry_ctx *ctx, const char *reference, cs_target *t);
void cs_target_free(cs_target *t);
/* cs_target_init, then cs_store_open of the store it names into *st;
 * *store_open tells whether st must be closed. */
int cs_target_open(const ferry_services *svc, ferry_ctx *ctx, const char *reference, int writable, cs_target *t,
                   cs_store *st, int *store_open);

/* Opens the target's additional image stores (driver_options.image_stores)
 * read-only into into[0..n_image_stores) and loads their records; *n grows by
 * the number of stores opened (the caller closes them), also after a failure. */
int cs_target_load_image_stores(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, cs_store *into,
                                size_t *n);
/* Closes stores[0..n) and frees the array. */
void cs_stores_close(cs_store *stores, size_t n);

/* The image the reference names in the loaded stores[0..n_stores) (the graph
 * root's, then the additional image stores, first match wins): REF@ID and ID
 * by ID (REF must be one of its names), REF@DIGEST by a name of that
 * repository and a manifest of that digest, REF by name, a short ID by unique
 * prefix. *image is borrowed from stores[*store_index].images;
 * FERRY_ERR_NOT_FOUND "… does not resolve to an image ID" as containers/image
 * words it. */
int cs_resolve_image(const ferry_services *svc, ferry_ctx *ctx, const cs_target *t, const cs_store *stores,
                     size_t n_stores, json_t **image, size_t *store_index);

/* The image reference r names in the one loaded store st, or NULL;
 * *ambiguous set for a short ID matching several of its images. Borrowed. */
json_t *cs_store_image_matching(const cs_reference *r, const cs_store *st, int *ambiguous);

/* One layer of an image's chain and the store that holds it. */
typedef struct cs_layer_ref {
    const char *id;        /* borrowed from record */
    json_t *record;        /* borrowed from store->layers */
    const cs_store *store; /* one of the stores given */
} cs_layer_ref;

/* The image's layers from the bottom up (the chain of parents of its top
 * layer), each looked up in stores[0..n_stores) in order. *chain is a
 * malloc'd array the caller frees; its members are borrowed. */
int cs_image_layer_chain(const ferry_services *svc, ferry_ctx *ctx, const cs_store *stores, size_t n_stores,
                         const json_t *image, cs_layer_ref **chain, size_t *n);

/* ---- records.c ------------------------------------------------------------ */

/* Now as Go's time.RFC3339Nano in UTC ("2026-12-04T22:21:18.017775363Z"). */
void cs_time_now(char *buf, size_t cap);
/* The layer ID containers/image gives the layer of DiffID diff_id on parent
 * (NULL for the base): the DiffID's hex, else sha256(PARENT "+" DIFFIDHEX). */
int cs_layer_chain_id(const ferry_services *svc, const char *parent, const char *diff_id, char out[CS_ID_LEN + 1]);
/* A new layer record flagged incomplete, appended to st->layers; borrowed. */
json_t *cs_layer_record_add(cs_store *st, const char *id, const char *parent);
/* Fills what the apply learnt and clears the incomplete flag. compressed
 * digest/size as the manifest names the blob (NULL/-1 when unknown). */
int cs_layer_record_complete(json_t *layer, const char *compressed_digest, int64_t compressed_size,
                             int compression, const cs_apply_result *res);
/* Drops the record of layer `id` from st->layers. */
void cs_layer_record_remove(cs_store *st, const char *id);
/* Number of images whose layer chain contains layer `id`. */
size_t cs_layer_users(const cs_store *st, const char *id);
/* Go writes maps with their keys sorted bytewise, jansson keeps insertion
 * order: rebuilds the object `map` in Go's order. 0 or -1 (out of memory). */
int cs_json_sort_keys(json_t *map);
/* 1 when the JSON array of strings `names` holds `name`. */
int cs_names_contains(const json_t *names, const char *name);
/* Gives name to `image` (no-op if it has it), taking it from any other image
 * as containers/storage does (names are unique in a store); names-history
 * gets it first. */
int cs_image_add_name(cs_store *st, json_t *image, const char *name);
/* Appends key to big-data-names (once) and records its size and digest. */
int cs_image_set_big_data_info(json_t *image, const char *key, int64_t size, const char *digest);

/* ---- the transport's entry points ----------------------------------------- */
int cs_validate_reference(ferry_ctx *ctx, const char *reference);
int cs_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap);
int cs_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out);
int cs_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out);
int cs_delete_image(ferry_ctx *ctx, const char *reference);

#endif /* FERRY_PLUGIN_CS_TRANSPORT_H */
