/* core/image/oci_config.c — Go's json.Unmarshal of image configs into the
 * types containers/image uses (image-spec 1.1.0-rc2's v1.Image for OCI
 * conversion and `inspect --config`; manifest.Schema2Image and
 * Schema2V1Image for `inspect`), and json.Marshal of v1.Image.
 *
 * The Go types are described by static tables; a config is decoded into a
 * tree of typed values with Go's semantics (case-insensitive member names,
 * duplicate members merging into what is already there, null resetting only
 * pointers, slices and maps, the first type error reported but decoding
 * carried on, errors from UnmarshalJSON methods — time.Time, StrSlice —
 * winning and stopping at once), then marshalled with Go's omitempty rules. */
#include "image/oci_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"
#include "util/gotime.h"
#include "shared/strbuf.h"

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

#define OCI_CONFIG_N(a) (sizeof(a) / sizeof((a)[0]))

static const oci_config_type oci_config_t_string = {OCI_CONFIG_STRING, "string", NULL, NULL, 0};
static const oci_config_type oci_config_t_digest = {OCI_CONFIG_STRING, "digest.Digest", NULL, NULL, 0};
static const oci_config_type oci_config_t_bool = {OCI_CONFIG_BOOL, "bool", NULL, NULL, 0};
static const oci_config_type oci_config_t_int = {OCI_CONFIG_INT, "int", NULL, NULL, 0};
static const oci_config_type oci_config_t_int64 = {OCI_CONFIG_INT, "int64", NULL, NULL, 0};
static const oci_config_type oci_config_t_duration = {OCI_CONFIG_INT, "time.Duration", NULL, NULL, 0};
static const oci_config_type oci_config_t_time = {OCI_CONFIG_TIME, "time.Time", NULL, NULL, 0};
static const oci_config_type oci_config_t_time_ptr = {OCI_CONFIG_PTR, "*time.Time", &oci_config_t_time, NULL, 0};
static const oci_config_type oci_config_t_int_ptr = {OCI_CONFIG_PTR, "*int", &oci_config_t_int, NULL, 0};
static const oci_config_type oci_config_t_strings = {OCI_CONFIG_SLICE, "[]string", &oci_config_t_string, NULL, 0};
static const oci_config_type oci_config_t_digests = {OCI_CONFIG_SLICE, "[]digest.Digest", &oci_config_t_digest, NULL,
                                                     0};
static const oci_config_type oci_config_t_empty = {OCI_CONFIG_EMPTY, "struct {}", NULL, NULL, 0};
static const oci_config_type oci_config_t_set = {OCI_CONFIG_MAP, "map[string]struct {}", &oci_config_t_empty, NULL, 0};
static const oci_config_type oci_config_t_labels = {OCI_CONFIG_MAP, "map[string]string", &oci_config_t_string, NULL,
                                                    0};
static const oci_config_type oci_config_t_strslice = {OCI_CONFIG_STRSLICE, "strslice.StrSlice", NULL, NULL, 0};

/* image-spec v1.1.0-rc2 specs-go/v1/config.go */
static const oci_config_field oci_config_f_image_config[] = {
    {"User", &oci_config_t_string, 1},       {"ExposedPorts", &oci_config_t_set, 1},
    {"Env", &oci_config_t_strings, 1},       {"Entrypoint", &oci_config_t_strings, 1},
    {"Cmd", &oci_config_t_strings, 1},       {"Volumes", &oci_config_t_set, 1},
    {"WorkingDir", &oci_config_t_string, 1}, {"Labels", &oci_config_t_labels, 1},
    {"StopSignal", &oci_config_t_string, 1}, {"ArgsEscaped", &oci_config_t_bool, 1},
};
static const oci_config_type oci_config_t_image_config = {OCI_CONFIG_STRUCT, "v1.ImageConfig", NULL,
                                                          oci_config_f_image_config,
                                                          OCI_CONFIG_N(oci_config_f_image_config)};
static const oci_config_field oci_config_f_rootfs[] = {
    {"type", &oci_config_t_string, 0},
    {"diff_ids", &oci_config_t_digests, 0},
};
static const oci_config_type oci_config_t_rootfs = {OCI_CONFIG_STRUCT, "v1.RootFS", NULL, oci_config_f_rootfs,
                                                    OCI_CONFIG_N(oci_config_f_rootfs)};
static const oci_config_field oci_config_f_history[] = {
    {"created", &oci_config_t_time_ptr, 1}, {"created_by", &oci_config_t_string, 1},
    {"author", &oci_config_t_string, 1},    {"comment", &oci_config_t_string, 1},
    {"empty_layer", &oci_config_t_bool, 1},
};
static const oci_config_type oci_config_t_history = {OCI_CONFIG_STRUCT, "v1.History", NULL, oci_config_f_history,
                                                     OCI_CONFIG_N(oci_config_f_history)};
static const oci_config_type oci_config_t_histories = {OCI_CONFIG_SLICE, "[]v1.History", &oci_config_t_history,
                                                       NULL, 0};
enum {
    OCI_CONFIG_IMAGE_CREATED = 0,
    OCI_CONFIG_IMAGE_AUTHOR = 1,
    OCI_CONFIG_IMAGE_ARCH = 2,
    OCI_CONFIG_IMAGE_VARIANT = 3,
    OCI_CONFIG_IMAGE_OS = 4,
    OCI_CONFIG_IMAGE_CONFIG = 7,
    OCI_CONFIG_IMAGE_CONFIG_ENV = 2,    /* in v1.ImageConfig */
    OCI_CONFIG_IMAGE_CONFIG_LABELS = 7, /* in v1.ImageConfig */
};
static const oci_config_field oci_config_f_image[] = {
    {"created", &oci_config_t_time_ptr, 1},   {"author", &oci_config_t_string, 1},
    {"architecture", &oci_config_t_string, 0}, {"variant", &oci_config_t_string, 1},
    {"os", &oci_config_t_string, 0},          {"os.version", &oci_config_t_string, 1},
    {"os.features", &oci_config_t_strings, 1}, {"config", &oci_config_t_image_config, 1},
    {"rootfs", &oci_config_t_rootfs, 0},      {"history", &oci_config_t_histories, 1},
};
static const oci_config_type oci_config_t_image = {OCI_CONFIG_STRUCT, "v1.Image", NULL, oci_config_f_image,
                                                   OCI_CONFIG_N(oci_config_f_image)};

/* containers/image v5.23 manifest/docker_schema2.go (decoded only, so
 * omitempty does not matter here) */
static const oci_config_type oci_config_t_port_set = {OCI_CONFIG_MAP, "manifest.Schema2PortSet", &oci_config_t_empty,
                                                      NULL, 0};
static const oci_config_field oci_config_f_health[] = {
    {"Test", &oci_config_t_strings, 1},         {"StartPeriod", &oci_config_t_duration, 1},
    {"Interval", &oci_config_t_duration, 1},    {"Timeout", &oci_config_t_duration, 1},
    {"Retries", &oci_config_t_int, 1},
};
static const oci_config_type oci_config_t_health = {OCI_CONFIG_STRUCT, "manifest.Schema2HealthConfig", NULL,
                                                    oci_config_f_health, OCI_CONFIG_N(oci_config_f_health)};
static const oci_config_type oci_config_t_health_ptr = {OCI_CONFIG_PTR, "*manifest.Schema2HealthConfig",
                                                        &oci_config_t_health, NULL, 0};
enum { OCI_CONFIG_S2CONFIG_ENV = 10, OCI_CONFIG_S2CONFIG_LABELS = 21 };
static const oci_config_field oci_config_f_s2config[] = {
    {"Hostname", &oci_config_t_string, 0},      {"Domainname", &oci_config_t_string, 0},
    {"User", &oci_config_t_string, 0},          {"AttachStdin", &oci_config_t_bool, 0},
    {"AttachStdout", &oci_config_t_bool, 0},    {"AttachStderr", &oci_config_t_bool, 0},
    {"ExposedPorts", &oci_config_t_port_set, 1}, {"Tty", &oci_config_t_bool, 0},
    {"OpenStdin", &oci_config_t_bool, 0},       {"StdinOnce", &oci_config_t_bool, 0},
    {"Env", &oci_config_t_strings, 0},          {"Cmd", &oci_config_t_strslice, 0},
    {"Healthcheck", &oci_config_t_health_ptr, 1}, {"ArgsEscaped", &oci_config_t_bool, 1},
    {"Image", &oci_config_t_string, 0},         {"Volumes", &oci_config_t_set, 0},
    {"WorkingDir", &oci_config_t_string, 0},    {"Entrypoint", &oci_config_t_strslice, 0},
    {"NetworkDisabled", &oci_config_t_bool, 1}, {"MacAddress", &oci_config_t_string, 1},
    {"OnBuild", &oci_config_t_strings, 0},      {"Labels", &oci_config_t_labels, 0},
    {"StopSignal", &oci_config_t_string, 1},    {"StopTimeout", &oci_config_t_int_ptr, 1},
    {"Shell", &oci_config_t_strslice, 1},
};
static const oci_config_type oci_config_t_s2config = {OCI_CONFIG_STRUCT, "manifest.Schema2Config", NULL,
                                                      oci_config_f_s2config, OCI_CONFIG_N(oci_config_f_s2config)};
static const oci_config_type oci_config_t_s2config_ptr = {OCI_CONFIG_PTR, "*manifest.Schema2Config",
                                                          &oci_config_t_s2config, NULL, 0};
static const oci_config_field oci_config_f_s2rootfs[] = {
    {"type", &oci_config_t_string, 0},
    {"diff_ids", &oci_config_t_digests, 1},
};
static const oci_config_type oci_config_t_s2rootfs = {OCI_CONFIG_STRUCT, "manifest.Schema2RootFS", NULL,
                                                      oci_config_f_s2rootfs, OCI_CONFIG_N(oci_config_f_s2rootfs)};
static const oci_config_type oci_config_t_s2rootfs_ptr = {OCI_CONFIG_PTR, "*manifest.Schema2RootFS",
                                                          &oci_config_t_s2rootfs, NULL, 0};
static const oci_config_field oci_config_f_s2history[] = {
    {"created", &oci_config_t_time, 0},  {"author", &oci_config_t_string, 1},
    {"created_by", &oci_config_t_string, 1}, {"comment", &oci_config_t_string, 1},
    {"empty_layer", &oci_config_t_bool, 1},
};
static const oci_config_type oci_config_t_s2history = {OCI_CONFIG_STRUCT, "manifest.Schema2History", NULL,
                                                       oci_config_f_s2history, OCI_CONFIG_N(oci_config_f_s2history)};
static const oci_config_type oci_config_t_s2histories = {OCI_CONFIG_SLICE, "[]manifest.Schema2History",
                                                         &oci_config_t_s2history, NULL, 0};

/* Schema2V1Image's members; Schema2Image embeds it (its own "parent", a
 * digest.Digest, hides the embedded one) and adds the rest. */
#define OCI_CONFIG_V1IMAGE_FIELDS(parent_field)                                                                   \
    {"id", &oci_config_t_string, 1}, parent_field{"comment", &oci_config_t_string, 1},                            \
        {"created", &oci_config_t_time, 0}, {"container", &oci_config_t_string, 1},                               \
        {"container_config", &oci_config_t_s2config, 1}, {"docker_version", &oci_config_t_string, 1},             \
        {"author", &oci_config_t_string, 1}, {"config", &oci_config_t_s2config_ptr, 1},                           \
        {"architecture", &oci_config_t_string, 1}, {"variant", &oci_config_t_string, 1},                          \
        {"os", &oci_config_t_string, 1}, {"Size", &oci_config_t_int64, 1}
#define OCI_CONFIG_V1IMAGE_PARENT {"parent", &oci_config_t_string, 1},
#define OCI_CONFIG_NO_FIELD

static const oci_config_field oci_config_f_s2v1image[] = {OCI_CONFIG_V1IMAGE_FIELDS(OCI_CONFIG_V1IMAGE_PARENT)};
static const oci_config_type oci_config_t_s2v1image = {OCI_CONFIG_STRUCT, "manifest.Schema2V1Image", NULL,
                                                       oci_config_f_s2v1image, OCI_CONFIG_N(oci_config_f_s2v1image)};
static const oci_config_field oci_config_f_s2image[] = {
    OCI_CONFIG_V1IMAGE_FIELDS(OCI_CONFIG_NO_FIELD),
    {"parent", &oci_config_t_digest, 1},
    {"rootfs", &oci_config_t_s2rootfs_ptr, 1},
    {"history", &oci_config_t_s2histories, 1},
    {"os.version", &oci_config_t_string, 1},
    {"os.features", &oci_config_t_strings, 1},
};
static const oci_config_type oci_config_t_s2image = {OCI_CONFIG_STRUCT, "manifest.Schema2Image", NULL,
                                                     oci_config_f_s2image, OCI_CONFIG_N(oci_config_f_s2image)};
/* member indexes shared by Schema2V1Image (with parent) and Schema2Image (without) */
enum {
    OCI_CONFIG_S2_CREATED = 2,
    OCI_CONFIG_S2_DOCKER_VERSION = 5,
    OCI_CONFIG_S2_AUTHOR = 6,
    OCI_CONFIG_S2_CONFIG = 7,
    OCI_CONFIG_S2_ARCH = 8,
    OCI_CONFIG_S2_VARIANT = 9,
    OCI_CONFIG_S2_OS = 10,
};

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

static void oci_config_value_clear(oci_config_value *v);

static int oci_config_value_init(oci_config_value *v, const oci_config_type *type)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    if (type->kind == OCI_CONFIG_TIME)
        gotime_zero(&v->time);
    if (type->kind == OCI_CONFIG_STRUCT) {
        v->items = calloc(type->n_fields, sizeof *v->items);
        if (v->items == NULL)
            return -1;
        for (size_t i = 0; i < type->n_fields; i++) {
            if (oci_config_value_init(&v->items[i], type->fields[i].type) != 0) {
                v->len = i;
                oci_config_value_clear(v);
                return -1;
            }
        }
        v->len = type->n_fields;
    }
    return 0;
}

static void oci_config_value_clear(oci_config_value *v)
{
    free(v->str);
    if (v->ptr) {
        oci_config_value_clear(v->ptr);
        free(v->ptr);
    }
    size_t n = v->type->kind == OCI_CONFIG_STRUCT || v->type->kind == OCI_CONFIG_MAP ? v->len : v->cap;
    for (size_t i = 0; i < n; i++)
        oci_config_value_clear(&v->items[i]);
    free(v->items);
    if (v->keys) {
        for (size_t i = 0; i < v->len; i++)
            free(v->keys[i]);
        free(v->keys);
        free(v->key_lens);
    }
    const oci_config_type *type = v->type;
    memset(v, 0, sizeof *v);
    v->type = type;
    if (type->kind == OCI_CONFIG_TIME)
        gotime_zero(&v->time);
}

/* Resets a slice or map to nil (JSON null), or a pointer to nil. */
static void oci_config_value_nil(oci_config_value *v)
{
    oci_config_value_clear(v);
}

/* ---------------------------------------------------------------- decoding */

#define OCI_CONFIG_MAX_STACK 32

typedef struct oci_config_decoder {
    char *err; /* where the final message goes */
    size_t errcap;
    int aborted; /* an UnmarshalJSON error or OOM: stop, err holds it */
    char *saved; /* first type error (Go's savedError), malloc'd */
    const char *stack[OCI_CONFIG_MAX_STACK]; /* JSON names of the struct fields entered */
    size_t depth;
    const oci_config_type *in_struct; /* the struct whose field is being decoded */
} oci_config_decoder;

/* "Go struct field Image.config.Env" or "Go value" context of a message. */
static void oci_config_context(const oci_config_decoder *d, strbuf *sb)
{
    if (d->in_struct == NULL && d->depth == 0) {
        strbuf_puts(sb, "Go value");
        return;
    }
    const char *name = d->in_struct ? d->in_struct->name : "";
    const char *dot = strrchr(name, '.');
    strbuf_printf(sb, "Go struct field %s.", dot ? dot + 1 : name);
    for (size_t i = 0; i < d->depth; i++)
        strbuf_printf(sb, "%s%s", i ? "." : "", d->stack[i]);
}

static void oci_config_oom(oci_config_decoder *d)
{
    if (!d->aborted)
        snprintf(d->err, d->errcap, "out of memory");
    d->aborted = 1;
}

/* Builds Go's UnmarshalTypeError text for `what` (the JSON kind, or "number
 * 1.5") going into Go type `type_name`. */
static char *oci_config_type_error(const oci_config_decoder *d, const char *what, const char *type_name)
{
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "json: cannot unmarshal %s into ", what);
    oci_config_context(d, &sb);
    strbuf_printf(&sb, " of type %s", type_name);
    return strbuf_detach(&sb, NULL);
}

/* A type mismatch: Go remembers the first and carries on. */
static void oci_config_mismatch(oci_config_decoder *d, const char *what, const oci_config_type *type)
{
    if (d->saved != NULL)
        return;
    d->saved = oci_config_type_error(d, what, type->name);
    if (d->saved == NULL)
        oci_config_oom(d);
}

/* An error returned by an UnmarshalJSON method: decoding stops. */
static void oci_config_abort(oci_config_decoder *d, const char *msg)
{
    if (!d->aborted)
        snprintf(d->err, d->errcap, "%s", msg);
    d->aborted = 1;
}

static int oci_config_set_string(oci_config_value *v, const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    free(v->str);
    v->str = copy;
    v->str_len = n;
    return 0;
}

/* Go's strconv.ParseInt(lit, 10, 64) on a JSON number literal. */
static int oci_config_parse_int(const char *lit, long long *out)
{
    const char *p = lit;
    if (*p == '-')
        p++;
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    char *end;
    long long x = strtoll(lit, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = x;
    return 0;
}

/* Go's field lookup: the exact name, else the first field whose name equals
 * the key under ASCII case folding, where 'ſ' (U+017F) also folds to s and
 * the Kelvin sign (U+212A) to k. */
static int oci_config_fold_equal(const char *name, const char *key, size_t key_len)
{
    const unsigned char *k = (const unsigned char *)key;
    size_t i = 0;
    for (const char *c = name; *c; c++) {
        if (i >= key_len)
            return 0;
        char lc = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
        if (k[i] < 0x80) {
            char lk = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] + 32) : (char)k[i];
            int letter = lc >= 'a' && lc <= 'z';
            if (!(k[i] == (unsigned char)*c || (letter && lk == lc)))
                return 0;
            i++;
            continue;
        }
        unsigned r;
        size_t size = gojson_utf8_decode(k + i, key_len - i, &r);
        if (!((lc == 's' && r == 0x17F) || (lc == 'k' && r == 0x212A)))
            return 0;
        i += size;
    }
    return i == key_len;
}

static int oci_config_find_field(const oci_config_type *type, const char *key, size_t key_len)
{
    for (size_t i = 0; i < type->n_fields; i++)
        if (strlen(type->fields[i].name) == key_len && memcmp(type->fields[i].name, key, key_len) == 0)
            return (int)i;
    for (size_t i = 0; i < type->n_fields; i++)
        if (oci_config_fold_equal(type->fields[i].name, key, key_len))
            return (int)i;
    return -1;
}

static void oci_config_decode(oci_config_decoder *d, const gojson_node *n, oci_config_value *v);

/* Go's decodeState.array into a slice: elements are decoded into the
 * existing backing array (merging with what a previous duplicate member
 * left there), which grows by half (at least to 4) when full. */
static void oci_config_decode_array(oci_config_decoder *d, const gojson_node *n, oci_config_value *v)
{
    size_t i;
    for (i = 0; i < n->n_children && !d->aborted; i++) {
        if (i >= v->cap) {
            size_t ncap = v->cap + v->cap / 2;
            if (ncap < 4)
                ncap = 4;
            oci_config_value *items = calloc(ncap, sizeof *items);
            if (items == NULL) {
                oci_config_oom(d);
                return;
            }
            for (size_t k = 0; k < ncap; k++) {
                if (k < v->len) {
                    items[k] = v->items[k];
                } else if (oci_config_value_init(&items[k], v->type->elem) != 0) {
                    for (size_t j = v->len; j < k; j++)
                        oci_config_value_clear(&items[j]);
                    free(items);
                    oci_config_oom(d);
                    return;
                }
            }
            /* what lay between len and the old capacity is dropped, as
             * reflect.Copy copies only len elements */
            for (size_t k = v->len; k < v->cap; k++)
                oci_config_value_clear(&v->items[k]);
            free(v->items);
            v->items = items;
            v->cap = ncap;
        }
        if (i >= v->len)
            v->len = i + 1;
        oci_config_decode(d, &n->children[i], &v->items[i]);
    }
    if (d->aborted)
        return;
    if (i < v->len)
        v->len = i;
    if (i == 0) {
        oci_config_value_clear(v); /* a new empty slice */
    }
    v->non_nil = 1;
}

static void oci_config_decode_map(oci_config_decoder *d, const gojson_node *n, oci_config_value *v)
{
    v->non_nil = 1;
    for (size_t i = 0; i < n->n_children && !d->aborted; i++) {
        const gojson_node *m = &n->children[i];
        if (v->len == v->cap) {
            size_t ncap = v->cap ? v->cap * 2 : 8;
            oci_config_value *items = realloc(v->items, ncap * sizeof *items);
            if (items)
                v->items = items;
            char **keys = realloc(v->keys, ncap * sizeof *keys);
            if (keys)
                v->keys = keys;
            size_t *lens = realloc(v->key_lens, ncap * sizeof *lens);
            if (lens)
                v->key_lens = lens;
            if (!items || !keys || !lens) {
                oci_config_oom(d);
                return;
            }
            v->cap = ncap;
        }
        oci_config_value *elem = &v->items[v->len];
        char *key = malloc(m->key_len + 1);
        if (key == NULL || oci_config_value_init(elem, v->type->elem) != 0) {
            free(key);
            oci_config_oom(d);
            return;
        }
        memcpy(key, m->key, m->key_len + 1);
        v->keys[v->len] = key;
        v->key_lens[v->len] = m->key_len;
        v->len++;
        oci_config_decode(d, m, elem);
    }
}

static void oci_config_decode_struct(oci_config_decoder *d, const gojson_node *n, oci_config_value *v)
{
    const oci_config_type *type = v->type;
    for (size_t i = 0; i < n->n_children && !d->aborted; i++) {
        const gojson_node *m = &n->children[i];
        int f = oci_config_find_field(type, m->key, m->key_len);
        if (f < 0)
            continue; /* unknown members are ignored */
        const oci_config_type *outer = d->in_struct;
        size_t depth = d->depth;
        if (d->depth < OCI_CONFIG_MAX_STACK)
            d->stack[d->depth++] = type->fields[f].name;
        d->in_struct = type;
        oci_config_decode(d, m, &v->items[f]);
        if (d->aborted)
            return; /* keep the context for the message */
        d->depth = depth;
        d->in_struct = outer;
    }
}

/* strslice.StrSlice.UnmarshalJSON: an array of strings, else a string. */
static void oci_config_decode_strslice(oci_config_decoder *d, const gojson_node *n, oci_config_value *v)
{
    const gojson_node *strings = NULL;
    size_t count = 0;
    if (n->kind == GOJSON_ARRAY) {
        int ok = 1;
        for (size_t i = 0; i < n->n_children; i++)
            if (n->children[i].kind != GOJSON_STRING && n->children[i].kind != GOJSON_NULL)
                ok = 0;
        if (ok) {
            strings = n->children;
            count = n->n_children;
        }
    } else if (n->kind == GOJSON_STRING) {
        strings = n;
        count = 1;
    }
    if (strings == NULL) {
        /* the error of the second attempt, json.Unmarshal into a string */
        char *msg = oci_config_type_error(d, gojson_kind_name(n->kind), "string");
        if (msg == NULL) {
            oci_config_oom(d);
            return;
        }
        oci_config_abort(d, msg);
        free(msg);
        return;
    }
    oci_config_value_clear(v);
    v->non_nil = 1;
    if (count == 0)
        return;
    v->items = calloc(count, sizeof *v->items);
    if (v->items == NULL) {
        oci_config_oom(d);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        oci_config_value_init(&v->items[i], &oci_config_t_string);
        v->cap = v->len = i + 1;
        if (strings[i].kind == GOJSON_STRING &&
            oci_config_set_string(&v->items[i], strings[i].str, strings[i].str_len) != 0) {
            oci_config_oom(d);
            return;
        }
    }
}

static void oci_config_decode(oci_config_decoder *d, const gojson_node *n, oci_config_value *v)
{
    if (d->aborted)
        return;
    const oci_config_type *type = v->type;
    if (type->kind == OCI_CONFIG_TIME) {
        /* time.Time.UnmarshalJSON gets the raw token, whatever its kind */
        char msg[512];
        if (gotime_parse_json(n->raw, n->raw_len, &v->time, msg, sizeof msg) < 0)
            oci_config_abort(d, msg);
        return;
    }
    if (n->kind == GOJSON_NULL) {
        if (type->kind == OCI_CONFIG_PTR || type->kind == OCI_CONFIG_SLICE || type->kind == OCI_CONFIG_MAP ||
            type->kind == OCI_CONFIG_STRSLICE)
            oci_config_value_nil(v);
        return; /* anything else keeps its value */
    }
    switch (type->kind) {
    case OCI_CONFIG_PTR:
        if (v->ptr == NULL) {
            v->ptr = malloc(sizeof *v->ptr);
            if (v->ptr == NULL || oci_config_value_init(v->ptr, type->elem) != 0) {
                free(v->ptr);
                v->ptr = NULL;
                oci_config_oom(d);
                return;
            }
        }
        oci_config_decode(d, n, v->ptr);
        return;
    case OCI_CONFIG_STRSLICE:
        oci_config_decode_strslice(d, n, v);
        return;
    case OCI_CONFIG_STRING:
        if (n->kind == GOJSON_STRING) {
            if (oci_config_set_string(v, n->str, n->str_len) != 0)
                oci_config_oom(d);
            return;
        }
        break;
    case OCI_CONFIG_BOOL:
        if (n->kind == GOJSON_BOOL) {
            v->boolean = n->boolean;
            return;
        }
        break;
    case OCI_CONFIG_INT:
        if (n->kind == GOJSON_NUMBER) {
            if (oci_config_parse_int(n->str, &v->integer) != 0) {
                strbuf sb = STRBUF_INIT;
                strbuf_printf(&sb, "number %s", n->str);
                char *what = strbuf_detach(&sb, NULL);
                if (what == NULL) {
                    oci_config_oom(d);
                    return;
                }
                oci_config_mismatch(d, what, type);
                free(what);
            }
            return;
        }
        break;
    case OCI_CONFIG_SLICE:
        if (n->kind == GOJSON_ARRAY) {
            oci_config_decode_array(d, n, v);
            return;
        }
        break;
    case OCI_CONFIG_MAP:
        if (n->kind == GOJSON_OBJECT) {
            oci_config_decode_map(d, n, v);
            return;
        }
        break;
    case OCI_CONFIG_EMPTY:
        if (n->kind == GOJSON_OBJECT)
            return; /* no fields: every member is ignored */
        break;
    case OCI_CONFIG_STRUCT:
        if (n->kind == GOJSON_OBJECT) {
            oci_config_decode_struct(d, n, v);
            return;
        }
        break;
    case OCI_CONFIG_TIME:
        break;
    }
    oci_config_mismatch(d, gojson_kind_name(n->kind), type);
}

/* json.Unmarshal(data, &value): 0, or -1 with Go's message in err. */
static int oci_config_unmarshal(const void *data, size_t len, oci_config_value *value, const oci_config_type *type,
                                char *err, size_t errcap)
{
    if (oci_config_value_init(value, type) != 0) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    gojson_node *root = gojson_parse(data, len, err, errcap);
    if (root == NULL)
        return -1;
    oci_config_decoder d;
    memset(&d, 0, sizeof d);
    d.err = err;
    d.errcap = errcap;
    oci_config_decode(&d, root, value);
    gojson_node_free(root);
    int rc = 0;
    if (d.aborted) {
        rc = -1;
    } else if (d.saved != NULL) {
        snprintf(err, errcap, "%s", d.saved);
        rc = -1;
    }
    free(d.saved);
    return rc;
}

/* ---------------------------------------------------------------- marshalling */

static int oci_config_is_empty(const oci_config_value *v)
{
    switch (v->type->kind) {
    case OCI_CONFIG_STRING:
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
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static json_t *oci_config_marshal(const oci_config_value *v, char *err, size_t errcap);

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

static json_t *oci_config_marshal(const oci_config_value *v, char *err, size_t errcap)
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

/* ---------------------------------------------------------------- API */

json_t *oci_config_from_blob(const void *data, size_t len, char *err, size_t errcap)
{
    char dummy[8];
    if (err == NULL) {
        err = dummy;
        errcap = sizeof dummy;
    }
    oci_config_value image;
    json_t *out = NULL;
    if (oci_config_unmarshal(data, len, &image, &oci_config_t_image, err, errcap) == 0)
        out = oci_config_marshal(&image, err, errcap);
    oci_config_value_clear(&image);
    return out;
}

static char *oci_config_strdup(const oci_config_value *v)
{
    char *s = malloc(v->str_len + 1);
    if (s) {
        if (v->str_len)
            memcpy(s, v->str, v->str_len);
        s[v->str_len] = '\0';
    }
    return s;
}

/* Fills the string members of *out from the decoded fields (NULL on OOM). */
static void oci_config_inspect_strings(oci_config_inspect *out, const oci_config_value *arch,
                                      const oci_config_value *os, const oci_config_value *variant,
                                      const oci_config_value *author)
{
    out->architecture = oci_config_strdup(arch);
    out->os = oci_config_strdup(os);
    out->variant = oci_config_strdup(variant);
    out->author = oci_config_strdup(author);
}

int oci_config_inspect_fields(const void *data, size_t len, int docker, oci_config_inspect *out, char *err,
                              size_t errcap)
{
    char dummy[8];
    if (err == NULL) {
        err = dummy;
        errcap = sizeof dummy;
    }
    memset(out, 0, sizeof *out);
    oci_config_value main_v, v1;
    int rc = -1;
    memset(&v1, 0, sizeof v1);
    v1.type = &oci_config_t_s2v1image;
    if (docker) {
        if (oci_config_unmarshal(data, len, &main_v, &oci_config_t_s2image, err, errcap) != 0)
            goto done;
        const oci_config_value *f = main_v.items;
        out->created = oci_config_marshal(&f[OCI_CONFIG_S2_CREATED], err, errcap);
        out->docker_version = oci_config_strdup(&f[OCI_CONFIG_S2_DOCKER_VERSION]);
        const oci_config_value *config = f[OCI_CONFIG_S2_CONFIG].ptr;
        if (config) {
            out->labels = oci_config_marshal(&config->items[OCI_CONFIG_S2CONFIG_LABELS], err, errcap);
            out->env = oci_config_marshal(&config->items[OCI_CONFIG_S2CONFIG_ENV], err, errcap);
        } else {
            out->labels = json_null();
            out->env = json_null();
        }
        oci_config_inspect_strings(out, &f[OCI_CONFIG_S2_ARCH], &f[OCI_CONFIG_S2_OS], &f[OCI_CONFIG_S2_VARIANT],
                                   &f[OCI_CONFIG_S2_AUTHOR]);
    } else {
        /* OCI: v1.Image for everything but DockerVersion, which comes from a
         * second decoding as Schema2V1Image; either may fail */
        if (oci_config_unmarshal(data, len, &main_v, &oci_config_t_image, err, errcap) != 0 ||
            oci_config_unmarshal(data, len, &v1, &oci_config_t_s2v1image, err, errcap) != 0)
            goto done;
        const oci_config_value *f = main_v.items;
        const oci_config_value *config = &f[OCI_CONFIG_IMAGE_CONFIG];
        out->created = oci_config_marshal(&f[OCI_CONFIG_IMAGE_CREATED], err, errcap);
        out->docker_version = oci_config_strdup(&v1.items[OCI_CONFIG_S2_DOCKER_VERSION + 1]);
        out->labels = oci_config_marshal(&config->items[OCI_CONFIG_IMAGE_CONFIG_LABELS], err, errcap);
        out->env = oci_config_marshal(&config->items[OCI_CONFIG_IMAGE_CONFIG_ENV], err, errcap);
        oci_config_inspect_strings(out, &f[OCI_CONFIG_IMAGE_ARCH], &f[OCI_CONFIG_IMAGE_OS],
                                   &f[OCI_CONFIG_IMAGE_VARIANT], &f[OCI_CONFIG_IMAGE_AUTHOR]);
    }
    /* a NULL json member already has its message in err */
    if (out->created && out->labels && out->env) {
        if (out->docker_version && out->architecture && out->os && out->variant && out->author)
            rc = 0;
        else
            snprintf(err, errcap, "out of memory");
    }
done:
    if (main_v.type)
        oci_config_value_clear(&main_v);
    oci_config_value_clear(&v1);
    if (rc != 0)
        oci_config_inspect_release(out);
    return rc;
}

void oci_config_inspect_release(oci_config_inspect *info)
{
    json_decref(info->created);
    json_decref(info->labels);
    json_decref(info->env);
    free(info->docker_version);
    free(info->architecture);
    free(info->os);
    free(info->variant);
    free(info->author);
    memset(info, 0, sizeof *info);
}
