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
    OCI_CONFIG_RAW,      /* json.RawMessage: the member's JSON text as it is (null too); decoding only */
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

/* Go's string, the element type of a decoded strslice.StrSlice; and the
 * other types other decoders (image/schema1*.c) build their tables from. */
extern const oci_config_type oci_config_t_string;
extern const oci_config_type oci_config_t_bool;
extern const oci_config_type oci_config_t_int;
extern const oci_config_type oci_config_t_time;
extern const oci_config_type oci_config_t_strings;
extern const oci_config_type oci_config_t_raw;
/* containers/image's manifest.Schema2Image and Schema2V1Image */
extern const oci_config_type oci_config_t_s2image;
extern const oci_config_type oci_config_t_s2v1image;
extern const oci_config_type oci_config_t_s2history;

/* Member indexes in the tables: Schema2V1Image has "parent" at 1, which
 * shifts its later members by one from Schema2Image's (where the embedded
 * parent is hidden). */
enum {
    OCI_CONFIG_S2_CREATED = 2,
    OCI_CONFIG_S2_DOCKER_VERSION = 5,
    OCI_CONFIG_S2_AUTHOR = 6,
    OCI_CONFIG_S2_CONFIG = 7,
    OCI_CONFIG_S2_ARCH = 8,
    OCI_CONFIG_S2_VARIANT = 9,
    OCI_CONFIG_S2_OS = 10,
    OCI_CONFIG_S2_HISTORY = 14, /* Schema2Image only */
    OCI_CONFIG_S2HISTORY_CREATED = 0,
    OCI_CONFIG_S2HISTORY_AUTHOR = 1,
    OCI_CONFIG_S2HISTORY_CREATED_BY = 2,
    OCI_CONFIG_S2HISTORY_COMMENT = 3,
    OCI_CONFIG_S2HISTORY_EMPTY_LAYER = 4,
};

/* ---------------------------------------------------------------- values */

typedef struct oci_config_value oci_config_value;
struct oci_config_value {
    const oci_config_type *type;
    char *str; /* STRING; RAW: the JSON text, NULL when the member was absent */
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

/* A NUL-terminated malloc'd copy of a STRING (or RAW) value, "" when it was
 * never set; NULL when out of memory. */
char *oci_config_strdup(const oci_config_value *v);

/* json.Unmarshal(data, &value) into a new zero value of `type`: 0, or -1
 * with Go's message in err. *value is to be cleared either way. */
int oci_config_unmarshal(const void *data, size_t len, oci_config_value *value, const oci_config_type *type,
                         char *err, size_t errcap);

/* json.Marshal(v) with Go's omitempty rules, as a json_t for gojson_encode;
 * NULL with the message in err (OOM, a time MarshalJSON refuses). */
json_t *oci_config_marshal(const oci_config_value *v, char *err, size_t errcap);

#endif
