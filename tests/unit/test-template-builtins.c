/* tests/unit/test-template-builtins.c — text/template's builtin functions
 * (template_builtins.c) on their own: template_builtin_find's arities, and
 * template_builtin_call on evaluated arguments against what Go 1.19's
 * funcs.go returns (type and %v of the result) or the error it fails with
 * ("error calling NAME: …", as exec.go wraps it). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

static json_t *layers; /* ["l1", "l2", "l3"] */
static json_t *labels; /* {"b": "2", "a": "1"} */

/* what template_exec_fail puts before the message when no node is set */
static const char exec_prefix[] = "template: skopeo inspect:1:0: executing \"skopeo inspect\" at <>: ";

typedef struct call_run {
    const char *name;
    template_value args[6];
    size_t n;
    strbuf out;
} call_run;

/* "TYPE VALUE" of the builtin's result */
static void call_step(template_state *st, void *arg)
{
    call_run *run = arg;
    template_value v = template_builtin_call(st, run->name, run->args, run->n);
    strbuf_printf(&run->out, "%s ", v.type);
    template_fmt_value(st, &run->out, &v, 'v', &template_fmt_plain, 0);
}

/* Calls builtin name on the n values that follow; want is the result as
 * "TYPE VALUE", or Go's error without the "executing … at <>" context. */
static void check_call(const char *want, const char *name, size_t n, ...)
{
    call_run run = {.name = name, .n = n, .out = STRBUF_INIT};
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n && i < 6; i++)
        run.args[i] = va_arg(ap, template_value);
    va_end(ap);
    template_state *st = template_state_new("", 0, NULL);
    char *err = harness_try(st, call_step, &run);
    const char *got = run.out.data ? run.out.data : "";
    if (err)
        got = strncmp(err, exec_prefix, sizeof exec_prefix - 1) == 0 ? err + sizeof exec_prefix - 1 : err;
    char label[200];
    snprintf(label, sizeof label, "%s -> %s", name, want);
    char safe[200];
    tap_is_str(got, want, tap_name(label, safe, sizeof safe));
    free(err);
    strbuf_release(&run.out);
    template_state_free(st);
}

static template_value I(int64_t i)
{
    return template_int_value(i, "int");
}

static template_value S(const char *s)
{
    return template_string_value(s, strlen(s), "string");
}

static template_value LAYERS(void)
{
    return harness_container(VAL_STRINGS, layers);
}

static template_value LABELS(void)
{
    return harness_container(VAL_MAP, labels);
}

static template_value CREATED(int set)
{
    gotime t = {1672628645, 0, 0, "UTC"};
    return template_time_value(set ? &t : NULL, 1);
}

static void check_find(void)
{
    const template_builtin *b = template_builtin_find("printf", 6);
    tap_ok(b && b->min_args == 1 && b->variadic, "printf: at least 1 argument");
    b = template_builtin_find("len", 3);
    tap_ok(b && b->min_args == 1 && !b->variadic, "len: exactly 1");
    b = template_builtin_find("html", 4);
    tap_ok(b && b->min_args == 0 && b->variadic, "html: any number");
    b = template_builtin_find("ge", 2);
    tap_ok(b && b->min_args == 2 && !b->variadic, "ge: exactly 2");
    b = template_builtin_find("lenx", 2);
    tap_ok(b && strcmp(b->name, "le") == 0, "the name is taken with its length");
    tap_ok(template_builtin_find("upper", 5) == NULL && template_builtin_find("define", 6) == NULL,
           "no function of other names");
}

static void check_len_not_index(void)
{
    check_call("bool true", "not", 1, I(0));
    check_call("bool false", "not", 1, S("x"));
    check_call("bool true", "not", 1, template_invalid());
    check_call("bool true", "not", 1, harness_container(VAL_STRINGS, NULL));

    check_call("int 3", "len", 1, S("h\xc3\xa9"));
    check_call("int 3", "len", 1, LAYERS());
    check_call("int 2", "len", 1, LABELS());
    check_call("error calling len: len of type int", "len", 1, I(3));
    check_call("error calling len: len of type bool", "len", 1, template_bool_value(1));
    check_call("error calling len: reflect: call of reflect.Value.Type on zero Value", "len", 1, template_invalid());
    check_call("error calling len: len of nil pointer", "len", 1, CREATED(0));
    check_call("error calling len: len of type time.Time", "len", 1, CREATED(1));

    check_call("string l2", "index", 2, LAYERS(), I(1));
    check_call("string x", "index", 1, S("x"));
    /* time.Month is an integer kind, so it indexes */
    template_value month = template_int_value(2, "time.Month");
    month.kind = VAL_MONTH;
    check_call("string l3", "index", 2, LAYERS(), month);
    check_call("error calling index: reflect: slice index out of range", "index", 2, LAYERS(), I(3));
    check_call("error calling index: index out of range: 4", "index", 2, LAYERS(), I(4));
    check_call("error calling index: index out of range: -1", "index", 2, LAYERS(), I(-1));
    check_call("error calling index: cannot index slice/array with type string", "index", 2, LAYERS(), S("1"));
    check_call("error calling index: cannot index slice/array with nil", "index", 2, LAYERS(), template_invalid());
    check_call("error calling index: reflect: slice index out of range", "index", 2,
               harness_container(VAL_STRINGS, NULL), I(0));
    check_call("uint8 98", "index", 2, S("abc"), I(1));
    check_call("error calling index: reflect: string index out of range", "index", 2, S("abc"), I(3));
    check_call("string 1", "index", 2, LABELS(), S("a"));
    check_call("string ", "index", 2, LABELS(), S("zz"));
    check_call("uint8 49", "index", 3, LABELS(), S("a"), I(0));
    check_call("error calling index: value has type int; should be string", "index", 2, LABELS(), I(1));
    check_call("error calling index: value has type digest.Digest; should be string", "index", 2, LABELS(),
               template_string_value("a", 1, "digest.Digest"));
    check_call("error calling index: value is nil; should be of type string", "index", 2, LABELS(), harness_nil());
    check_call("error calling index: index of untyped nil", "index", 2, harness_nil(), I(1));
    check_call("error calling index: can't index item of type int", "index", 2, I(1), I(0));
    check_call("error calling index: index of nil pointer", "index", 2, CREATED(0), I(0));
    /* index goes through the pointer before it looks at the kind */
    check_call("error calling index: can't index item of type time.Time", "index", 2, CREATED(1), I(0));
}

typedef struct slice_run {
    template_value first, second;
} slice_run;

/* slice of a slice: the window moves within the same JSON array */
static void slice_twice(template_state *st, void *arg)
{
    slice_run *run = arg;
    template_value a[2] = {LAYERS(), I(1)};
    run->first = template_builtin_call(st, "slice", a, 2);
    a[0] = run->first;
    run->second = template_builtin_call(st, "slice", a, 2);
}

static void check_slice(void)
{
    check_call("string el", "slice", 3, S("hello"), I(1), I(3));
    check_call("string hello", "slice", 1, S("hello"));
    check_call("string llo", "slice", 2, S("hello"), I(2));
    check_call("digest.Digest sha256", "slice", 3, template_string_value("sha256:ab", 9, "digest.Digest"), I(0), I(6));
    check_call("[]string [l2 l3]", "slice", 2, LAYERS(), I(1));
    check_call("[]string [l1]", "slice", 4, LAYERS(), I(0), I(1), I(2));
    check_call("[]string []", "slice", 1, harness_container(VAL_STRINGS, NULL));
    check_call("error calling slice: cannot 3-index slice a string", "slice", 4, S("hello"), I(1), I(2), I(3));
    check_call("error calling slice: invalid slice index: 2 > 1", "slice", 3, LAYERS(), I(2), I(1));
    check_call("error calling slice: invalid slice index: 2 > 1", "slice", 4, LAYERS(), I(0), I(2), I(1));
    check_call("error calling slice: too many slice indexes: 4", "slice", 5, LAYERS(), I(0), I(1), I(2), I(3));
    check_call("error calling slice: index out of range: 4", "slice", 2, S("abc"), I(4));
    check_call("error calling slice: can't slice item of type int", "slice", 1, I(1));
    check_call("error calling slice: can't slice item of type *time.Time", "slice", 1, CREATED(1));
    check_call("error calling slice: slice of untyped nil", "slice", 1, template_invalid());

    template_state *st = template_state_new("", 0, NULL);
    slice_run run;
    char *err = harness_try(st, slice_twice, &run);
    size_t n = 0;
    const char *s = err ? "" : template_strings_get(&run.second, 0, &n);
    tap_ok(!err && run.first.len == 2 && run.second.len == 1 && run.second.off == 2 && strcmp(s, "l3") == 0,
           "slice (slice .Layers 1) 1 is [l3]");
    free(err);
    template_state_free(st);
}

static void check_comparisons(void)
{
    check_call("bool true", "eq", 2, I(1), I(1));
    check_call("bool true", "eq", 4, I(1), I(2), I(3), I(1));
    /* eq stops at the first match, before a bad comparison further on */
    check_call("bool true", "eq", 3, I(1), I(1), S("x"));
    check_call("error calling eq: incompatible types for comparison", "eq", 3, I(1), I(2), S("x"));
    check_call("error calling eq: incompatible types for comparison", "eq", 2, I(1), harness_float(1));
    check_call("bool true", "eq", 2, template_int_value(98, "uint8"), I(98));
    check_call("bool true", "eq", 2, harness_complex(1, 2), harness_complex(1, 2));
    check_call("bool false", "eq", 2, template_bool_value(1), template_bool_value(0));
    /* a missing key compares unequal to anything but another nil */
    check_call("bool false", "eq", 2, S("x"), template_invalid());
    check_call("bool true", "eq", 2, template_invalid(), template_invalid());
    check_call("bool false", "eq", 2, harness_container(VAL_STRINGS, NULL), LAYERS());
    check_call("error calling eq: non-comparable type [l1 l2 l3]: []string", "eq", 2, LAYERS(), LAYERS());
    check_call("error calling eq: non-comparable types [l1 l2 l3]: []string, map[string]string: map[a:1 b:2]", "eq",
               2, LAYERS(), LABELS());
    check_call("error calling eq: missing argument for comparison", "eq", 1, I(1));
    check_call("bool true", "ne", 2, I(1), I(2));
    check_call("bool false", "ne", 2, S("a"), S("a"));
    check_call("error calling ne: incompatible types for comparison", "ne", 2, I(1), S("a"));

    check_call("bool true", "lt", 2, I(1), I(2));
    check_call("bool true", "lt", 2, S("ab"), S("abc"));
    check_call("bool false", "lt", 2, S("b"), S("a"));
    check_call("bool false", "lt", 2, harness_float(2.5), harness_float(1.5));
    /* an argument of no basic kind is refused before the kinds are
     * compared; bool and complex only once they match */
    check_call("error calling lt: invalid type for comparison", "lt", 2, I(1), LAYERS());
    check_call("error calling lt: invalid type for comparison", "lt", 2, template_invalid(), I(1));
    check_call("error calling lt: incompatible types for comparison", "lt", 2, template_bool_value(1), I(1));
    check_call("error calling lt: invalid type for comparison", "lt", 2, template_bool_value(1),
               template_bool_value(1));
    check_call("error calling lt: invalid type for comparison", "lt", 2, harness_complex(1, 0), harness_complex(1, 0));
    check_call("bool true", "le", 2, I(2), I(2));
    check_call("bool true", "le", 2, template_int_value(1, "uint8"), I(1));
    check_call("bool false", "le", 2, I(3), I(2));
    check_call("bool true", "gt", 2, S("b"), S("a"));
    check_call("bool false", "gt", 2, I(2), I(2));
    check_call("bool true", "ge", 2, I(2), I(2));
    check_call("bool false", "ge", 2, I(1), I(2));
    check_call("error calling ge: invalid type for comparison", "ge", 2, template_bool_value(0),
               template_bool_value(0));
}

static void check_printing(void)
{
    check_call("string a1 2", "print", 3, S("a"), I(1), I(2));
    check_call("string ", "print", 0);
    check_call("string 1 b\n", "println", 2, I(1), S("b"));
    check_call("string 7-x", "printf", 3, S("%d-%s"), I(7), S("x"));

    check_call("string &lt;a href=&#39;x&#39;&gt;&#34;&amp;&#34;\xef\xbf\xbd&lt;/a&gt;", "html", 1,
               template_string_value("<a href='x'>\"&\"\0</a>", 20, "string"));
    check_call("string 1 2", "html", 2, I(1), I(2));
    check_call("string &lt;1", "html", 2, S("<"), I(1));
    /* html, js and urlquery print a missing value as <no value>, not <nil> */
    check_call("string &lt;no value&gt;", "html", 1, template_invalid());
    check_call("string a\\'b\\\"c\\\\d\\u003Ce\\u003Ef\\u0026g\\u003Dh\\u000Ai\x7f", "js", 1,
               S("a'b\"c\\d<e>f&g=h\ni\x7f"));
    /* runes IsPrint accepts pass, others are escaped; a bad byte decodes
     * as U+FFFD, which is printable, so the byte is kept */
    check_call("string \xc3\xa9\\u200B\\u00A0\xff", "js", 1, S("\xc3\xa9\xe2\x80\x8b\xc2\xa0\xff"));
    check_call("string \\u003Cno value\\u003E", "js", 1, harness_nil());
    check_call("string a+b%26c%3Dd%2F%C3%A9~-_.", "urlquery", 1, S("a b&c=d/\xc3\xa9~-_."));
    check_call("string 1x+y", "urlquery", 2, I(1), S("x y"));
}

static void check_json_call(void)
{
    check_call("string \"x<y&\"", "json", 1, S("x<y&"));
    check_call("string 3", "json", 1, I(3));
    check_call("string 1.5", "json", 1, harness_float(1.5));
    check_call("string 1e+21", "json", 1, harness_float(1e21));
    check_call("string null", "json", 1, harness_nil());
    check_call("string [\"l1\",\"l2\",\"l3\"]", "json", 1, LAYERS());
    check_call("string null", "json", 1, harness_container(VAL_STRINGS, NULL));
    check_call("string {\"a\":\"1\",\"b\":\"2\"}", "json", 1, LABELS());
    check_call("string \"2023-01-02T03:04:05Z\"", "json", 1, CREATED(1));
    check_call("string null", "json", 1, CREATED(0));
    /* encoding/json escapes U+2028 even without HTML escaping */
    check_call("string \"\\u2028\"", "json", 1, S("\xe2\x80\xa8"));
    /* json: unsupported type: complex128, and skopeo prints what it got: "" */
    check_call("string ", "json", 1, harness_complex(1, 1));

    check_call("error calling call: non-function of type string", "call", 1, S("x"));
    check_call("error calling call: call of nil", "call", 1, template_invalid());
    check_call("error calling call: call of nil", "call", 2, harness_nil(), I(1));
}

int main(void)
{
    layers = json_pack("[s, s, s]", "l1", "l2", "l3");
    labels = json_pack("{s:s, s:s}", "b", "2", "a", "1");
    tap_plan(117);
    check_find();
    check_len_not_index();
    check_slice();
    check_comparisons();
    check_printing();
    check_json_call();
    json_decref(layers);
    json_decref(labels);
    return tap_done();
}
