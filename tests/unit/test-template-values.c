/* tests/unit/test-template-values.c — the template's Go values
 * (template_values.c) on their own: what each constructor sets, []string
 * windows over a JSON array, and map entries in fmt's order (keys sorted
 * bytewise, as Go's sort of strings compares them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

static void check_constructors(void)
{
    template_value v = template_invalid();
    tap_ok(v.kind == VAL_INVALID && v.s == NULL && v.j == NULL && !v.is_nil, "invalid: an empty value");
    tap_is_str(v.type, "<invalid reflect.Value>", "invalid: reflect's name for it");

    /* the string is borrowed, never copied: its bytes may hold NULs */
    static const char bytes[] = "a\0b";
    v = template_string_value(bytes, 3, "digest.Digest");
    tap_ok(v.kind == VAL_STRING && v.s == bytes && v.n == 3, "string: borrows the bytes and their length");
    tap_is_str(v.type, "digest.Digest", "string: keeps its Go type name");

    v = template_int_value(-42, "int64");
    tap_ok(v.kind == VAL_INT && v.i == -42, "int: the value");
    tap_is_str(v.type, "int64", "int: the type");

    v = template_bool_value(1);
    tap_ok(v.kind == VAL_BOOL && v.b == 1 && strcmp(v.type, "bool") == 0, "bool true");
    v = template_bool_value(0);
    tap_ok(v.kind == VAL_BOOL && v.b == 0, "bool false");

    gotime t = {1672628645, 5, 3600, "CET"};
    v = template_time_value(&t, 0);
    tap_ok(v.kind == VAL_TIME && !v.ptr && !v.is_nil && v.t.sec == t.sec && v.t.nsec == 5 && v.t.offset == 3600 &&
               strcmp(v.t.zone, "CET") == 0,
           "time.Time: a copy of the instant");
    tap_is_str(v.type, "time.Time", "time.Time: type");
    v = template_time_value(&t, 1);
    tap_ok(v.ptr && !v.is_nil && v.t.sec == t.sec, "*time.Time: set");
    tap_is_str(v.type, "*time.Time", "*time.Time: type");
    v = template_time_value(NULL, 1);
    tap_ok(v.kind == VAL_TIME && v.ptr && v.is_nil, "*time.Time: nil");
}

static void check_strings(void)
{
    json_t *arr = json_pack("[s, i, s, s]", "zero", 1, "two", "three");
    json_array_append_new(arr, json_stringn("x\0y", 3));
    template_value v = template_invalid();
    v.kind = VAL_STRINGS;
    v.j = arr;
    v.off = 0;
    v.len = json_array_size(arr);
    size_t n = 99;
    const char *s = template_strings_get(&v, 0, &n);
    tap_ok(n == 4 && strcmp(s, "zero") == 0, "strings_get: first element");
    s = template_strings_get(&v, 1, &n);
    tap_ok(n == 0 && s != NULL && s[0] == '\0', "strings_get: a non-string element reads as \"\"");
    s = template_strings_get(&v, 4, &n);
    tap_ok(n == 3 && memcmp(s, "x\0y", 3) == 0, "strings_get: length taken from JSON, NULs and all");

    /* a window, as slice leaves it: element i is the array's off + i */
    v.off = 2;
    v.len = 2;
    s = template_strings_get(&v, 0, &n);
    tap_ok(n == 3 && strcmp(s, "two") == 0, "strings_get: window start");
    s = template_strings_get(&v, 1, &n);
    tap_ok(n == 5 && strcmp(s, "three") == 0, "strings_get: window end");
    s = template_strings_get(&v, 7, &n);
    tap_ok(n == 0 && strcmp(s, "") == 0, "strings_get: past the array reads as \"\"");
    json_decref(arr);
}

typedef struct sorted_run {
    template_value map;
    template_kv *kv;
    size_t n;
} sorted_run;

static void sort_step(template_state *st, void *arg)
{
    sorted_run *run = arg;
    run->kv = template_map_sorted(st, &run->map, &run->n);
}

/* The keys of the sorted entries, "|"-separated, NULs shown as \0. */
static void join_keys(const sorted_run *run, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < run->n && k + 8 < cap; i++) {
        if (i)
            out[k++] = '|';
        for (size_t j = 0; j < run->kv[i].key_len && k + 4 < cap; j++) {
            char c = run->kv[i].key[j];
            if (c == '\0') {
                memcpy(out + k, "\\0", 2);
                k += 2;
            } else {
                out[k++] = c;
            }
        }
        out[k] = '\0';
    }
}

static void check_map_sorted(void)
{
    json_t *obj = json_object();
    /* bytewise, as Go compares strings: "" first, a prefix before its
     * extensions (NUL the smallest byte), upper before lower case, UTF-8's
     * lead bytes after ASCII */
    static const char *const keys[] = {"b", "a", "é", "B", "ab", "", "aB", "a b", "~"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_object_set_new(obj, keys[i], json_string(keys[i]));
    json_object_setn_new(obj, "a\0z", 3, json_string("nul"));

    template_state *st = template_state_new("", 0, NULL);
    sorted_run run = {template_invalid(), NULL, 0};
    run.map.kind = VAL_MAP;
    run.map.j = obj;
    tap_is_int((long long)template_map_len(&run.map), 10, "map_len counts the entries");
    char *err = harness_try(st, sort_step, &run);
    tap_is_str(err, NULL, "map_sorted: no failure");
    char joined[128];
    join_keys(&run, joined, sizeof joined);
    tap_is_str(joined, "|B|a|a\\0z|a b|aB|ab|b|~|\xc3\xa9", "map_sorted: keys in bytewise order");
    /* each entry points at its own value in the JSON */
    int values_ok = run.n == 10;
    for (size_t i = 0; values_ok && i < run.n; i++)
        values_ok = json_object_getn(obj, run.kv[i].key, run.kv[i].key_len) == run.kv[i].value;
    tap_ok(values_ok, "map_sorted: each value is the JSON member of its key");
    free(err);

    /* a nil map (Labels: null) has no entries but still a result */
    run.map.j = NULL;
    run.map.is_nil = 1;
    tap_is_int((long long)template_map_len(&run.map), 0, "map_len of a nil map");
    err = harness_try(st, sort_step, &run);
    tap_ok(err == NULL && run.n == 0 && run.kv != NULL, "map_sorted of a nil map: empty, not NULL");
    free(err);
    template_state_free(st);
    json_decref(obj);
}

int main(void)
{
    tap_plan(25);
    check_constructors();
    check_strings();
    check_map_sorted();
    return tap_done();
}
