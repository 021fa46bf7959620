/* core/image/oci_config_marshal.c — Go's json.Marshal of decoded config
 * values (oci_config_internal.h), as a json_t in Go field order for
 * gojson_encode: omitempty rules, map keys sorted, nil slices and maps as
 * null, times in MarshalJSON's form. */
#include "image/oci_config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"
#include "util/gotime.h"

/* ---------------------------------------------------------------- marshalling */

static int oci_config_is_empty(const oci_config_value *v)
{
    switch (v->type->kind) {
    case OCI_CONFIG_STRING:
    case OCI_CONFIG_RAW:
        return v->str_len == 0;
    case OCI_CONFIG_BOOL:
        return !v->boolean;
    case OCI_CONFIG_INT:
        return v->integer == 0;
    case OCI_CONFIG_PTR:
        return v->ptr == NULL;
    case OCI_CONFIG_SLICE:
    case OCI_CONFIG_STRSLICE:
    case OCI_CONFIG_MAP:
        return v->len == 0;
    case OCI_CONFIG_TIME:
    case OCI_CONFIG_STRUCT:
    case OCI_CONFIG_EMPTY:
        return 0; /* omitempty never omits a struct */
    }
    return 0;
}

typedef struct oci_config_entry {
    const char *key;
    size_t key_len;
    size_t order;
    const oci_config_value *value;
} oci_config_entry;

static int oci_config_entry_cmp(const void *a, const void *b)
{
    const oci_config_entry *x = a, *y = b;
    int c = gojson_compare_keys(x->key, x->key_len, y->key, y->key_len);
    return c != 0 ? c : x->order < y->order ? -1 : (x->order > y->order);
}

/* A map as Go writes it: keys sorted bytewise, the last duplicate winning. */
static json_t *oci_config_marshal_map(const oci_config_value *v, char *err, size_t errcap)
{
    json_t *obj = json_object();
    oci_config_entry *entries = calloc(v->len ? v->len : 1, sizeof *entries);
    if (obj == NULL || entries == NULL)
        goto oom;
    for (size_t i = 0; i < v->len; i++)
        entries[i] = (oci_config_entry){v->keys[i], v->key_lens[i], i, &v->items[i]};
    qsort(entries, v->len, sizeof *entries, oci_config_entry_cmp);
    for (size_t i = 0; i < v->len; i++) {
        if (i + 1 < v->len && entries[i + 1].key_len == entries[i].key_len &&
            memcmp(entries[i + 1].key, entries[i].key, entries[i].key_len) == 0)
            continue;
        json_t *member = oci_config_marshal(entries[i].value, err, errcap);
        if (member == NULL) {
            free(entries);
            json_decref(obj);
            return NULL;
        }
        if (json_object_setn_new_nocheck(obj, entries[i].key, entries[i].key_len, member) != 0)
            goto oom;
    }
    free(entries);
    return obj;
oom:
    free(entries);
    json_decref(obj);
    snprintf(err, errcap, "out of memory");
    return NULL;
}

json_t *oci_config_marshal(const oci_config_value *v, char *err, size_t errcap)
{
    json_t *out = NULL;
    switch (v->type->kind) {
    case OCI_CONFIG_STRING:
        out = json_stringn_nocheck(v->str ? v->str : "", v->str_len);
        break;
    case OCI_CONFIG_BOOL:
        out = json_boolean(v->boolean);
        break;
    case OCI_CONFIG_INT:
        out = json_integer(v->integer);
        break;
    case OCI_CONFIG_TIME: {
        char msg[256];
        char *s = gotime_marshal(&v->time, msg, sizeof msg);
        if (s == NULL) {
            snprintf(err, errcap, "json: error calling MarshalJSON for type *time.Time: %s", msg);
            return NULL;
        }
        out = json_string_nocheck(s);
        free(s);
        break;
    }
    case OCI_CONFIG_PTR:
        return v->ptr ? oci_config_marshal(v->ptr, err, errcap) : json_null();
    case OCI_CONFIG_SLICE:
    case OCI_CONFIG_STRSLICE:
        if (!v->non_nil)
            return json_null();
        out = json_array();
        for (size_t i = 0; out && i < v->len; i++) {
            const oci_config_value *item = &v->items[i];
            json_t *e = oci_config_marshal(item, err, errcap);
            if (e == NULL) {
                json_decref(out);
                return NULL;
            }
            if (json_array_append_new(out, e) != 0) {
                json_decref(out);
                out = NULL;
            }
        }
        break;
    case OCI_CONFIG_MAP:
        return v->non_nil ? oci_config_marshal_map(v, err, errcap) : json_null();
    case OCI_CONFIG_EMPTY:
        out = json_object();
        break;
    case OCI_CONFIG_RAW:
        /* only ever decoded: its text goes out through gojson_append_compact */
        snprintf(err, errcap, "internal error: json.RawMessage cannot be marshalled as a value");
        return NULL;
    case OCI_CONFIG_STRUCT:
        out = json_object();
        for (size_t i = 0; out && i < v->type->n_fields; i++) {
            const oci_config_field *f = &v->type->fields[i];
            if (f->omitempty && oci_config_is_empty(&v->items[i]))
                continue;
            json_t *member = oci_config_marshal(&v->items[i], err, errcap);
            if (member == NULL) {
                json_decref(out);
                return NULL;
            }
            if (json_object_set_new_nocheck(out, f->name, member) != 0) {
                json_decref(out);
                out = NULL;
            }
        }
        break;
    }
    if (out == NULL)
        snprintf(err, errcap, "out of memory");
    return out;
}
