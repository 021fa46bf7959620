/* core/inspect/template_builtins.c — text/template's builtin functions
 * (funcs.go): eq/ne/lt/le/gt/ge with Go's comparison rules, index, slice,
 * len, not, print/printf/println, html/js/urlquery escaping, call, and newer
 * skopeo's json; each applied to arguments the evaluator has evaluated. */
#include "inspect/template_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

static int template_basic_kind(const template_value *v)
{
    switch (v->kind) {
    case VAL_BOOL:
        return 1;
    case VAL_INT:
    case VAL_MONTH:
    case VAL_WEEKDAY:
        return strcmp(v->type, "uint8") == 0 ? 6 : 2;
    case VAL_FLOAT:
        return 3;
    case VAL_COMPLEX:
        return 5;
    case VAL_STRING:
        return 4;
    default:
        return 0; /* not basic */
    }
}

static int template_is_nilish(const template_value *v)
{
    return v->kind == VAL_INVALID || v->kind == VAL_NIL || v->is_nil;
}

/* eq/ne/lt/le/gt/ge on two values (funcs.go's eq and lessThan); returns 0/1
 * or fails with "error calling NAME: …" */
static int template_compare(template_state *st, const char *name, const template_value *x, const template_value *y,
                            int less)
{
    int k1 = template_basic_kind(x), k2 = template_basic_kind(y);
    int ints = (k1 == 2 || k1 == 6) && (k2 == 2 || k2 == 6);
    if (less) {
        /* lt: either argument of no basic kind, then differing kinds, then
         * kinds without an order */
        if (k1 == 0 || k2 == 0)
            template_exec_fail(st, "error calling %s: invalid type for comparison", name);
        if (k1 != k2 && !ints)
            template_exec_fail(st, "error calling %s: incompatible types for comparison", name);
        if (k1 == 1 || k1 == 5)
            template_exec_fail(st, "error calling %s: invalid type for comparison", name);
        if (k1 == 3)
            return x->f < y->f;
        if (k1 == 4) {
            size_t n = x->n < y->n ? x->n : y->n;
            int c = memcmp(x->s, y->s, n);
            return c < 0 || (c == 0 && x->n < y->n);
        }
        return x->i < y->i;
    }
    if (k1 != k2) {
        if (ints)
            return x->i == y->i;
        if (x->kind != VAL_INVALID && x->kind != VAL_NIL && y->kind != VAL_INVALID && y->kind != VAL_NIL)
            template_exec_fail(st, "error calling %s: incompatible types for comparison", name);
        return 0;
    }
    switch (k1) {
    case 1:
        return x->b == y->b;
    case 2:
    case 6:
        return x->i == y->i;
    case 3:
        return x->f == y->f;
    case 4:
        return x->n == y->n && memcmp(x->s, y->s, x->n) == 0;
    case 5:
        return x->f == y->f && x->im == y->im;
    default:
        break;
    }
    /* neither is of a basic kind */
    int xn = x->kind == VAL_INVALID || x->kind == VAL_NIL, yn = y->kind == VAL_INVALID || y->kind == VAL_NIL;
    if (!xn && !yn && (x->kind != y->kind || strcmp(x->type, y->type) != 0))
        template_exec_fail(st, "error calling %s: non-comparable types %s: %s, %s: %s", name,
                           template_sprint_value(st, x), x->type, y->type, template_sprint_value(st, y));
    if (template_is_nilish(x) || template_is_nilish(y))
        return template_is_nilish(x) == template_is_nilish(y);
    if (y->kind == VAL_STRINGS || y->kind == VAL_MAP || y->kind == VAL_OUTPUT || y->kind == VAL_ROOT)
        template_exec_fail(st, "error calling %s: non-comparable type %s: %s", name, template_sprint_value(st, y),
                           y->type);
    if (x->kind == VAL_TIME)
        return x->t.sec == y->t.sec && x->t.nsec == y->t.nsec && x->t.offset == y->t.offset;
    return 1;
}

/* index and slice's index argument */
static int64_t template_index_arg(template_state *st, const char *fn, const template_value *index, size_t cap)
{
    if (index->kind == VAL_INVALID || index->kind == VAL_NIL)
        template_exec_fail(st, "error calling %s: cannot index slice/array with nil", fn);
    if (index->kind != VAL_INT && index->kind != VAL_MONTH && index->kind != VAL_WEEKDAY)
        template_exec_fail(st, "error calling %s: cannot index slice/array with type %s", fn, index->type);
    if (index->i < 0 || (uint64_t)index->i > cap)
        template_exec_fail(st, "error calling %s: index out of range: %lld", fn, (long long)index->i);
    return index->i;
}

static template_value template_fn_index(template_state *st, const template_value *args, size_t n)
{
    template_value item = args[0];
    if (item.kind == VAL_INVALID || item.kind == VAL_NIL)
        template_exec_fail(st, "error calling index: index of untyped nil");
    for (size_t k = 1; k < n; k++) {
        const template_value *index = &args[k];
        if (item.kind == VAL_TIME && item.ptr && item.is_nil)
            template_exec_fail(st, "error calling index: index of nil pointer");
        switch (item.kind) {
        case VAL_STRINGS: {
            int64_t x = template_index_arg(st, "index", index, item.len);
            if ((size_t)x == item.len)
                template_exec_fail(st, "error calling index: reflect: slice index out of range");
            size_t len;
            const char *s = template_strings_get(&item, (size_t)x, &len);
            item = template_string_value(s, len, "string");
            break;
        }
        case VAL_STRING: {
            int64_t x = template_index_arg(st, "index", index, item.n);
            if ((size_t)x == item.n)
                template_exec_fail(st, "error calling index: reflect: string index out of range");
            item = template_int_value((unsigned char)item.s[x], "uint8");
            break;
        }
        case VAL_ROOT: {
            int64_t x = template_index_arg(st, "index", index, 1);
            if (x == 1)
                template_exec_fail(st, "error calling index: reflect: slice index out of range");
            item.kind = VAL_OUTPUT;
            item.type = "inspect.Output";
            item.iface = 1;
            break;
        }
        case VAL_MAP: {
            if (index->kind == VAL_INVALID || index->kind == VAL_NIL)
                template_exec_fail(st, "error calling index: value is nil; should be of type string");
            if (index->kind != VAL_STRING || strcmp(index->type, "string") != 0)
                template_exec_fail(st, "error calling index: value has type %s; should be string", index->type);
            char *key = template_strndup(st, index->s, index->n);
            const json_t *m = item.j ? json_object_getn(item.j, key, index->n) : NULL;
            item = json_is_string(m) ? template_string_value(json_string_value(m), json_string_length(m), "string")
                                     : template_string_value("", 0, "string");
            break;
        }
        default:
            /* index looks through a pointer first */
            template_exec_fail(st, "error calling index: can't index item of type %s",
                               item.kind == VAL_TIME && item.ptr ? "time.Time" : item.type);
        }
    }
    return item;
}

static template_value template_fn_slice(template_state *st, const template_value *args, size_t n)
{
    template_value item = args[0];
    if (item.kind == VAL_INVALID || item.kind == VAL_NIL)
        template_exec_fail(st, "error calling slice: slice of untyped nil");
    if (n - 1 > 3)
        template_exec_fail(st, "error calling slice: too many slice indexes: %zu", n - 1);
    size_t len;
    if (item.kind == VAL_STRING) {
        if (n - 1 == 3)
            template_exec_fail(st, "error calling slice: cannot 3-index slice a string");
        len = item.n;
    } else if (item.kind == VAL_STRINGS) {
        len = item.len;
    } else {
        template_exec_fail(st, "error calling slice: can't slice item of type %s", item.type);
    }
    int64_t idx[3] = {0, (int64_t)len, (int64_t)len};
    for (size_t k = 1; k < n; k++)
        idx[k - 1] = template_index_arg(st, "slice", &args[k], len);
    if (idx[0] > idx[1])
        template_exec_fail(st, "error calling slice: invalid slice index: %lld > %lld", (long long)idx[0],
                           (long long)idx[1]);
    if (n - 1 == 3 && idx[1] > idx[2])
        template_exec_fail(st, "error calling slice: invalid slice index: %lld > %lld", (long long)idx[1],
                           (long long)idx[2]);
    if (item.kind == VAL_STRING)
        return template_string_value(item.s + idx[0], (size_t)(idx[1] - idx[0]), item.type);
    item.off += (size_t)idx[0];
    item.len = (size_t)(idx[1] - idx[0]);
    item.is_nil = 0;
    return item;
}

static template_value template_fn_len(template_state *st, const template_value *v)
{
    switch (v->kind) {
    case VAL_STRING:
        return template_int_value((int64_t)v->n, "int");
    case VAL_STRINGS:
        return template_int_value((int64_t)v->len, "int");
    case VAL_MAP:
        return template_int_value((int64_t)template_map_len(v), "int");
    case VAL_ROOT:
        return template_int_value(1, "int");
    case VAL_INVALID:
    case VAL_NIL:
        template_exec_fail(st, "error calling len: reflect: call of reflect.Value.Type on zero Value");
    case VAL_TIME:
        if (v->ptr && v->is_nil)
            template_exec_fail(st, "error calling len: len of nil pointer");
        template_exec_fail(st, "error calling len: len of type %s", v->ptr ? "time.Time" : v->type);
    default:
        template_exec_fail(st, "error calling len: len of type %s", v->type);
    }
}

/* html/template's HTMLEscapeString, JSEscapeString and url.QueryEscape */
static template_value template_escape(template_state *st, const char *fn, const char *s, size_t n)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        unsigned r;
        size_t size = gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
        if (fn[0] == 'h') {
            switch (c) {
            case '"': strbuf_puts(&sb, "&#34;"); break;
            case '\'': strbuf_puts(&sb, "&#39;"); break;
            case '&': strbuf_puts(&sb, "&amp;"); break;
            case '<': strbuf_puts(&sb, "&lt;"); break;
            case '>': strbuf_puts(&sb, "&gt;"); break;
            case '\0': strbuf_puts(&sb, "\xef\xbf\xbd"); break;
            default: strbuf_append(&sb, s + i, size); break;
            }
        } else if (fn[0] == 'j') {
            if (c == '\\' || c == '\'' || c == '"') {
                strbuf_append(&sb, "\\", 1);
                strbuf_append(&sb, s + i, 1);
            } else if (c == '<' || c == '>' || c == '&' || c == '=') {
                strbuf_printf(&sb, "\\u%04X", c);
            } else if (c < ' ') {
                strbuf_printf(&sb, "\\u%04X", c);
            } else if (c < 0x80) {
                strbuf_append(&sb, s + i, 1);
            } else if (template_rune_printable(r)) { /* a bad byte too: U+FFFD is printable */
                strbuf_append(&sb, s + i, size);
            } else {
                strbuf_printf(&sb, "\\u%04X", r);
            }
        } else {
            if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
                strbuf_append(&sb, s + i, 1);
            else if (c == ' ')
                strbuf_append(&sb, "+", 1);
            else
                strbuf_printf(&sb, "%%%02X", c);
            size = 1;
        }
        i += size;
    }
    size_t len;
    char *out = template_keep(st, &sb, &len);
    return template_string_value(out, len, "string");
}

/* The value as encoding/json would marshal it; NULL when Go cannot. */
static json_t *template_to_json(template_state *st, const template_value *v)
{
    switch (v->kind) {
    case VAL_INVALID:
    case VAL_NIL:
    case VAL_ERROR:
        return json_null();
    case VAL_BOOL:
        return json_boolean(v->b);
    case VAL_INT:
    case VAL_MONTH:
    case VAL_WEEKDAY:
        return json_integer(v->i);
    case VAL_FLOAT:
        return json_real(v->f);
    case VAL_COMPLEX:
        return NULL; /* json: unsupported type: complex128 */
    case VAL_STRING:
        return json_stringn_nocheck(v->s, v->n);
    case VAL_STRINGS: {
        if (v->is_nil)
            return json_null();
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->len; i++) {
            size_t n;
            const char *s = template_strings_get(v, i, &n);
            json_array_append_new(a, json_stringn_nocheck(s, n));
        }
        return a;
    }
    case VAL_MAP: {
        if (v->is_nil)
            return json_null();
        size_t n;
        template_kv *kv = template_map_sorted(st, v, &n);
        json_t *o = json_object();
        for (size_t i = 0; o && i < n; i++)
            json_object_setn_new_nocheck(o, kv[i].key, kv[i].key_len, json_incref((json_t *)kv[i].value));
        return o;
    }
    case VAL_TIME: {
        if (v->is_nil)
            return json_null();
        char *s = gotime_marshal(&v->t, NULL, 0);
        json_t *j = s ? json_string_nocheck(s) : NULL;
        free(s);
        return j;
    }
    case VAL_OUTPUT:
        return json_incref((json_t *)st->inspect);
    case VAL_ROOT:
        return json_pack("[O]", st->inspect);
    }
    return NULL;
}

/* ferry's one function beyond skopeo 1.9.3's: newer skopeo's "json" (a
 * json.Encoder without HTML escaping, its newline trimmed; "" when the value
 * cannot be encoded) */
static template_value template_fn_json(template_state *st, const template_value *v)
{
    json_t *j = template_to_json(st, v);
    char *text = j ? gojson_encode_ex(j, 0, 0) : NULL;
    json_decref(j);
    const char *kept = text ? template_strndup(st, text, strlen(text)) : "";
    size_t n = text ? strlen(text) : 0;
    free(text);
    return template_string_value(kept, n, "string");
}

static const template_builtin template_builtins[] = {
    {"and", 1, 1},    {"call", 1, 1},   {"eq", 1, 1},      {"ge", 2, 0},     {"gt", 2, 0},    {"html", 0, 1},
    {"index", 1, 1},  {"js", 0, 1},     {"json", 1, 0},    {"le", 2, 0},      {"len", 1, 0},    {"lt", 2, 0},    {"ne", 2, 0},
    {"not", 1, 0},    {"or", 1, 1},     {"print", 0, 1},   {"printf", 1, 1}, {"println", 0, 1}, {"slice", 1, 1},
    {"urlquery", 0, 1},
};

const template_builtin *template_builtin_find(const char *name, size_t len)
{
    for (size_t b = 0; b < sizeof template_builtins / sizeof template_builtins[0]; b++)
        if (strlen(template_builtins[b].name) == len && memcmp(template_builtins[b].name, name, len) == 0)
            return &template_builtins[b];
    return NULL;
}

template_value template_builtin_call(template_state *st, const char *name, const template_value *args, size_t got)
{
    strbuf sb = STRBUF_INIT;
    size_t len;
    if (strcmp(name, "not") == 0)
        return template_bool_value(!template_truth(&args[0]));
    if (strcmp(name, "len") == 0)
        return template_fn_len(st, &args[0]);
    if (strcmp(name, "json") == 0)
        return template_fn_json(st, &args[0]);
    if (strcmp(name, "index") == 0)
        return template_fn_index(st, args, got);
    if (strcmp(name, "slice") == 0)
        return template_fn_slice(st, args, got);
    if (strcmp(name, "call") == 0) {
        if (args[0].kind == VAL_INVALID || args[0].kind == VAL_NIL)
            template_exec_fail(st, "error calling call: call of nil");
        template_exec_fail(st, "error calling call: non-function of type %s", args[0].type);
    }
    if (strcmp(name, "eq") == 0) {
        if (got == 1)
            template_exec_fail(st, "error calling eq: missing argument for comparison");
        for (size_t i = 1; i < got; i++)
            if (template_compare(st, name, &args[0], &args[i], 0))
                return template_bool_value(1);
        return template_bool_value(0);
    }
    if (strcmp(name, "ne") == 0)
        return template_bool_value(!template_compare(st, name, &args[0], &args[1], 0));
    if (strcmp(name, "lt") == 0)
        return template_bool_value(template_compare(st, name, &args[0], &args[1], 1));
    if (strcmp(name, "le") == 0)
        return template_bool_value(template_compare(st, name, &args[0], &args[1], 1) ||
                                   template_compare(st, name, &args[0], &args[1], 0));
    if (strcmp(name, "gt") == 0)
        return template_bool_value(!(template_compare(st, name, &args[0], &args[1], 1) ||
                                     template_compare(st, name, &args[0], &args[1], 0)));
    if (strcmp(name, "ge") == 0)
        return template_bool_value(!template_compare(st, name, &args[0], &args[1], 1));
    int escaper = strcmp(name, "html") == 0 || strcmp(name, "js") == 0 || strcmp(name, "urlquery") == 0;
    if (strcmp(name, "printf") == 0) {
        template_sprintf(st, &sb, args[0].s, args[0].n, args + 1, got - 1);
    } else if (escaper) {
        /* funcs.go's evalArgs: a lone string as it is, else Sprint with
         * each missing value printed as <no value> */
        template_value *printable = template_alloc(st, (got + 1) * sizeof *printable);
        for (size_t i = 0; i < got; i++)
            printable[i] = args[i].kind == VAL_INVALID || args[i].kind == VAL_NIL
                               ? template_string_value("<no value>", 10, "string")
                               : args[i];
        template_sprint(st, &sb, printable, got, 0);
    } else {
        template_sprint(st, &sb, args, got, strcmp(name, "println") == 0);
    }
    char *out = template_keep(st, &sb, &len);
    if (escaper)
        return template_escape(st, name, out, len);
    return template_string_value(out, len, "string");
}
