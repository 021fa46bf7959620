/* core/image/oci_config_internal.h — what the parts of oci_config share:
 * the description of a Go type (oci_config.c has the tables), the typed
 * values a config is decoded into, json.Unmarshal into them
 * (oci_config_decode.c) and json.Marshal of them (oci_config_marshal.c). */
#ifndef FERRY_CORE_OCI_CONFIG_INTERNAL_H
#define FERRY_CORE_OCI_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "util/gotime.h"

/* ---------------------------------------------------------------- Go types */

typedef enum oci_config_kind {
    OCI_CONFIG_STRING,
    OCI_CONFIG_BOOL,
    OCI_CONFIG_INT,      /* int, int64, time.Duration */
    OCI_CONFIG_TIME,     /* time.Time (a value, with UnmarshalJSON) */
    OCI_CONFIG_PTR,
    OCI_CONFIG_SLICE,
    OCI_CONFIG_MAP,      /* string keys */
    OCI_CONFIG_STRUCT,
    OCI_CONFIG_EMPTY,    /* struct {} (set members) */
    OCI_CONFIG_STRSLICE, /* strslice.StrSlice: a string or an array of strings */
} oci_config_kind;

typedef struct oci_config_type oci_config_type;

typedef struct oci_config_field {
    const char *name; /* JSON member name */
    const oci_config_type *type;
    int omitempty;
} oci_config_field;

struct oci_config_type {
    oci_config_kind kind;
    const char *name; /* Go's name for the type in messages ("v1.ImageConfig") */
    const oci_config_type *elem;
    const oci_config_field *fields;
    size_t n_fields;
};

/* Go's string, the element type of a decoded strslice.StrSlice. */
extern const oci_config_type oci_config_t_string;

/* ---------------------------------------------------------------- values */

typedef struct oci_config_value oci_config_value;
struct oci_config_value {
    const oci_config_type *type;
    char *str; /* STRING */
    size_t str_len;
    int boolean;         /* BOOL */
    long long integer;   /* INT */
    gotime time;         /* TIME */
    oci_config_value *ptr; /* PTR; NULL is nil */
    /* SLICE and STRSLICE: items[0..cap) is the backing array (Go reuses it
     * when a duplicate member is decoded again), len is the length;
     * STRUCT: items[0..n_fields); MAP: items[0..len) are the values of
     * keys[], in decoding order, duplicates resolved when read. */
    oci_config_value *items;
    size_t len, cap;
    int non_nil; /* SLICE, STRSLICE, MAP */
    char **keys;
    size_t *key_lens;
};

/* Makes *v the zero value of `type` (a struct gets its fields' zero
 * values): 0, or -1 when out of memory. *v may be cleared either way. */
int oci_config_value_init(oci_config_value *v, const oci_config_type *type);
/* Frees what *v holds and leaves it the zero value of its type. */
void oci_config_value_clear(oci_config_value *v);

/* json.Unmarshal(data, &value) into a new zero value of `type`: 0, or -1
 * with Go's message in err. *value is to be cleared either way. */
int oci_config_unmarshal(const void *data, size_t len, oci_config_value *value, const oci_config_type *type,
                         char *err, size_t errcap);

/* json.Marshal(v) with Go's omitempty rules, as a json_t for gojson_encode;
 * NULL with the message in err (OOM, a time MarshalJSON refuses). */
json_t *oci_config_marshal(const oci_config_value *v, char *err, size_t errcap);

#endif
