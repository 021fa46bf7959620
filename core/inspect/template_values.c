/* core/inspect/template_values.c — the Go values a template sees: the
 * constructors, and []string and map[string]string accessors over the inspect
 * JSON they borrow (no copies: values point into the JSON or the arena). */
#include "inspect/template_internal.h"

#include <stdlib.h>
#include <string.h>

template_value template_invalid(void)
{
    template_value v;
    memset(&v, 0, sizeof v);
    v.kind = VAL_INVALID;
    v.type = "<invalid reflect.Value>";
    return v;
}

template_value template_string_value(const char *s, size_t n, const char *type)
{
    template_value v = template_invalid();
    v.kind = VAL_STRING;
    v.type = type;
    v.s = s;
    v.n = n;
    return v;
}

template_value template_int_value(int64_t i, const char *type)
{
    template_value v = template_invalid();
    v.kind = VAL_INT;
    v.type = type;
    v.i = i;
    return v;
}

template_value template_bool_value(int b)
{
    template_value v = template_invalid();
    v.kind = VAL_BOOL;
    v.type = "bool";
    v.b = b;
    return v;
}

template_value template_time_value(const gotime *t, int ptr)
{
    template_value v = template_invalid();
    v.kind = VAL_TIME;
    v.type = ptr ? "*time.Time" : "time.Time";
    v.ptr = ptr;
    if (t)
        v.t = *t;
    else
        v.is_nil = 1;
    return v;
}

size_t template_map_len(const template_value *v)
{
    return v->j ? json_object_size(v->j) : 0;
}

const char *template_strings_get(const template_value *v, size_t i, size_t *n)
{
    const json_t *e = json_array_get(v->j, v->off + i);
    *n = json_is_string(e) ? json_string_length(e) : 0;
    return json_is_string(e) ? json_string_value(e) : "";
}

static int template_kv_cmp(const void *a, const void *b)
{
    const template_kv *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* The map's entries in fmt's (sorted) order, arena-allocated. */
template_kv *template_map_sorted(template_state *st, const template_value *v, size_t *n)
{
    *n = template_map_len(v);
    template_kv *kv = template_alloc(st, (*n + 1) * sizeof *kv);
    size_t i = 0;
    const char *key;
    size_t key_len;
    json_t *value;
    if (v->j)
        json_object_keylen_foreach((json_t *)v->j, key, key_len, value)
        {
            kv[i++] = (template_kv){key, key_len, value};
        }
    qsort(kv, *n, sizeof *kv, template_kv_cmp);
    return kv;
}
