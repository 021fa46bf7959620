/* core/image/oci_config_decode.c — Go's json.Unmarshal of an image config
 * into a tree of typed values (oci_config_internal.h), with Go's semantics:
 * case-insensitive member names, duplicate members merging into what is
 * already there, null resetting only pointers, slices and maps, the first
 * type error reported but decoding carried on, errors from UnmarshalJSON
 * methods — time.Time, StrSlice — winning and stopping at once;
 * json.RawMessage members keep their text. */
#include "image/oci_config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"
#include "shared/strbuf.h"
#include "util/gotime.h"

/* ---------------------------------------------------------------- values */

int oci_config_value_init(oci_config_value *v, const oci_config_type *type)
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

void oci_config_value_clear(oci_config_value *v)
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
    if (type->kind == OCI_CONFIG_RAW) {
        /* RawMessage.UnmarshalJSON keeps the text, null included */
        if (oci_config_set_string(v, n->raw, n->raw_len) != 0)
            oci_config_oom(d);
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
    case OCI_CONFIG_RAW:
        break;
    }
    oci_config_mismatch(d, gojson_kind_name(n->kind), type);
}

/* json.Unmarshal(data, &value): 0, or -1 with Go's message in err. */
int oci_config_unmarshal(const void *data, size_t len, oci_config_value *value, const oci_config_type *type,
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
