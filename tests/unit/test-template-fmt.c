/* tests/unit/test-template-fmt.c — Go's fmt as the template engine prints
 * through it (template_fmt.c) on its own: template_sprintf's verbs, flags,
 * widths, precisions and argument indexes against what Go 1.19's
 * fmt.Sprintf gives for the same arguments (the %!verb complaints, MISSING,
 * EXTRA, BADINDEX, NOVERB included), and fmt.Sprint / Sprintln's spacing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

static json_t *fixture_strings; /* ["a", "b"] */
static json_t *fixture_map;     /* {"b": "2", "a": "1"} */

static template_value I(int64_t i)
{
    return template_int_value(i, "int");
}

static template_value U8(int64_t i)
{
    return template_int_value(i, "uint8");
}

static template_value S(const char *s)
{
    return template_string_value(s, strlen(s), "string");
}

#define F harness_float
#define C harness_complex
#define NIL harness_nil

static template_value B(int b)
{
    return template_bool_value(b);
}

static template_value STRS(int nil)
{
    return harness_container(VAL_STRINGS, nil ? NULL : fixture_strings);
}

static template_value MAP(void)
{
    return harness_container(VAL_MAP, fixture_map);
}

static template_value MONTH(int m)
{
    template_value v = template_int_value(m, "time.Month");
    v.kind = VAL_MONTH;
    return v;
}

/* 2023-01-02T03:04:05Z, as a *time.Time (nil when set is 0) */
static template_value TIME(int set)
{
    gotime t = {1672628645, 0, 0, "UTC"};
    return template_time_value(set ? &t : NULL, 1);
}

typedef struct fmt_run {
    const char *format; /* NULL: Sprint (ln 0) or Sprintln (ln 1) */
    int ln;
    const template_value *args;
    size_t nargs;
    strbuf out;
} fmt_run;

static void fmt_step(template_state *st, void *arg)
{
    fmt_run *run = arg;
    if (run->format)
        template_sprintf(st, &run->out, run->format, strlen(run->format), run->args, run->nargs);
    else
        template_sprint(st, &run->out, run->args, run->nargs, run->ln);
}

static void run_and_check(fmt_run *run, const char *want, const char *name)
{
    template_state *st = template_state_new("", 0, NULL);
    char *err = st ? harness_try(st, fmt_step, run) : strdup("no state");
    char label[200];
    tap_name(name, label, sizeof label);
    if (err)
        tap_is_str(err, want, label);
    else
        tap_is_str(run->out.data ? run->out.data : "", want, label);
    free(err);
    strbuf_release(&run->out);
    template_state_free(st);
}

/* Sprintf(format, args...) must give want */
static void sprintf_is(const char *want, const char *format, const template_value *args, size_t nargs)
{
    fmt_run run = {format, 0, args, nargs, STRBUF_INIT};
    run_and_check(&run, want, format);
}

static void sprint_is(const char *want, int ln, const template_value *args, size_t nargs, const char *name)
{
    fmt_run run = {NULL, ln, args, nargs, STRBUF_INIT};
    run_and_check(&run, want, name);
}

#define ARGS(...)                                                                                                  \
    (const template_value[]){__VA_ARGS__}, sizeof((const template_value[]){__VA_ARGS__}) / sizeof(template_value)
#define NOARGS NULL, 0

static void check_integers(void)
{
    sprintf_is("42|   42|42   |00042", "%d|%5d|%-5d|%05d", ARGS(I(42), I(42), I(42), I(42)));
    sprintf_is("+5  5 -5", "%+d % d %+d", ARGS(I(5), I(5), I(-5)));
    sprintf_is("ff FF 377 0o377 11111111 -ff", "%x %X %o %O %b %x",
               ARGS(I(255), I(255), I(255), I(255), I(255), I(-255)));
    sprintf_is("0xff 0XFF 010 0 0b101", "%#x %#X %#o %#o %#b", ARGS(I(255), I(255), I(8), I(0), I(5)));
    /* zero padding is a precision of the width, taken after the 0x */
    sprintf_is("0x000000ff|+0005|-0042", "%#08x|%+05d|%05d", ARGS(I(255), I(5), I(-42)));
    /* a precision turns zero padding off; precision 0 prints 0 as nothing */
    sprintf_is("     007|0ff   ||   |", "%08.3d|%-6.3x|%.0d|%3.0d|", ARGS(I(7), I(255), I(0), I(0)));
    sprintf_is("-9223372036854775808", "%d", ARGS(I(INT64_MIN)));
    sprintf_is("\xe2\x98\xbax\xef\xbf\xbd", "%c%c%c", ARGS(I(0x263a), I('x'), I(-1)));
    sprintf_is("'\xe4\xb8\x96' '\\u4e16' U+4E16 U+4E16 '\xe4\xb8\x96'", "%q %+q %U %#U",
               ARGS(I(0x4e16), I(0x4e16), I(0x4e16), I(0x4e16)));
    /* %U shows the number even when it is no rune; %#U adds only printable runes */
    sprintf_is("U+FFFFFFFFFFFFFFFF U+000A U+0041 'A' U+00041", "%U %#U %#U %.5U", ARGS(I(-1), I('\n'), I('A'), I('A')));
    /* uint8 (index of a string) is unsigned */
    sprintf_is("200 200 \xc3\x88 c8", "%v %d %c %x", ARGS(U8(200), U8(200), U8(200), U8(200)));
    sprintf_is("%!s(int=5) %!t(int=1) %!e(int=1)", "%s %t %e", ARGS(I(5), I(1), I(1)));
}

static void check_strings(void)
{
    sprintf_is("ab|ab|      ab|ab      |", "%s|%v|%8s|%-8s|", ARGS(S("ab"), S("ab"), S("ab"), S("ab")));
    /* widths and precisions count runes */
    sprintf_is("h\xc3\xa9|    h|    \xc3\xa9|", "%.2s|%5.1s|%5s|",
               ARGS(S("h\xc3\xa9llo"), S("h\xc3\xa9llo"), S("\xc3\xa9")));
    /* Go 1.19 pads strings with zeros too, on the left only */
    sprintf_is("000000ab|ab      |", "%08s|%-08s|", ARGS(S("ab"), S("ab")));
    sprintf_is("\"a\\\"b\\n\\x01\"", "%q", ARGS(S("a\"b\n\x01")));
    sprintf_is("`raw`|\"tick`\"|\"\\u00e9\\u263a\"", "%#q|%#q|%+q",
               ARGS(S("raw"), S("tick`"), S("\xc3\xa9\xe2\x98\xba")));
    sprintf_is("6869|68 69|0x6869|0X68 0X69|6869", "%x|% x|%#x|%# X|%X",
               ARGS(S("hi"), S("hi"), S("hi"), S("hi"), S("hi")));
    /* the precision cuts the string before it is encoded: bytes for %x,
     * runes for %q */
    sprintf_is("68|\"h\xc3\xa9l\"", "%.1x|%.3q", ARGS(S("hello"), S("h\xc3\xa9llo")));
    sprintf_is("%!d(string=x)", "%d", ARGS(S("x")));
}

static void check_floats(void)
{
    sprintf_is(" 3.14|2|1.000000", "%5.2f|%.0f|%f", ARGS(F(3.14159), F(2.5), F(1.0)));
    sprintf_is("1.234568e+03|1.234568E+03|1.23e+03", "%e|%E|%.2e", ARGS(F(1234.5678), F(1234.5678), F(1234.5678)));
    /* %v is %g at the shortest precision: exponents from 1e+06 up, below 1e-4 */
    sprintf_is("0.1|1e+06|100000|1e-05", "%v|%v|%v|%v", ARGS(F(0.1), F(1e6), F(100000.0), F(1e-5)));
    sprintf_is("1.23456789e+08|1E-07|1.23e+03", "%g|%G|%.3g", ARGS(F(123456789.0), F(1e-7), F(1234.0)));
    sprintf_is("+2.0| 2.0|-0003.50|1.2     |", "%+.1f|% .1f|%08.2f|%-8.1f|", ARGS(F(2.0), F(2.0), F(-3.5), F(1.25)));
    sprintf_is("0x1p+00 0X1.CP+01", "%x %X", ARGS(F(1.0), F(3.5)));
    sprintf_is("(1+2i)|(1.5-2.0i)|%!d(float64=1.5)", "%v|%.1f|%d", ARGS(C(1, 2), C(1.5, -2), F(1.5)));
}

static void check_other_kinds(void)
{
    sprintf_is("true|false| true|%!d(bool=true)", "%t|%v|%5t|%d", ARGS(B(1), B(0), B(1), B(1)));
    sprintf_is("<nil>|%!s(<nil>)|%!d(<nil>)|<nil>| <nil>|", "%v|%s|%d|%T|%6v|",
               ARGS(NIL(), NIL(), NIL(), NIL(), NIL()));
    /* a missing map key reaches printf as a nil interface{} */
    sprintf_is("<nil> %!s(<nil>)", "%v %s", ARGS(template_invalid(), template_invalid()));
    sprintf_is("int string float64 []string map[string]string uint8", "%T %T %T %T %T %T",
               ARGS(I(1), S("s"), F(1), STRS(0), MAP(), U8(1)));
    /* containers apply the verb to each element */
    sprintf_is("[a b]|[\"a\" \"b\"]|[61 62]|[%!d(string=a) %!d(string=b)]|[a   b  ]", "%v|%q|%x|%d|%-3v",
               ARGS(STRS(0), STRS(0), STRS(0), STRS(0), STRS(0)));
    sprintf_is("[]string{\"a\", \"b\"}|[]string(nil)|[]", "%#v|%#v|%v", ARGS(STRS(0), STRS(1), STRS(1)));
    sprintf_is("map[a:1 b:2]|map[string]string{\"a\":\"1\", \"b\":\"2\"}|5|\"s\"", "%v|%#v|%#v|%#v",
               ARGS(MAP(), MAP(), I(5), S("s")));
    /* time.Month is a Stringer for the string verbs, an int for the rest */
    sprintf_is("March|3|March|4d61726368", "%v|%d|%s|%x", ARGS(MONTH(3), MONTH(3), MONTH(3), MONTH(3)));
    sprintf_is("2023-01-02 03:04:05 +0000 UTC|<nil>|time.Date(2023, time.January, 2, 3, 4, 5, 0, time.UTC)",
               "%v|%s|%#v", ARGS(TIME(1), TIME(0), TIME(1)));
}

static void check_arguments(void)
{
    sprintf_is("1 %!d(MISSING)", "%d %d", ARGS(I(1)));
    sprintf_is("1%!(EXTRA int=2, string=x, <nil>)", "%d", ARGS(I(1), I(2), S("x"), NIL()));
    sprintf_is("%!(NOVERB)", "%", NOARGS);
    sprintf_is("x%!(NOVERB)", "x%-", NOARGS);
    sprintf_is("100%", "100%%", NOARGS);
    sprintf_is("%!z(int=1) %!\xc3\xa9(int=2)", "%z %\xc3\xa9", ARGS(I(1), I(2)));
    sprintf_is("2 1", "%[2]d %[1]d", ARGS(I(1), I(2)));
    /* after an explicit index the arguments go on from there, and unused
     * ones are no longer complained about */
    sprintf_is("2 3", "%[2]d %d", ARGS(I(1), I(2), I(3)));
    sprintf_is("%!d(BADINDEX)|%!d(BADINDEX)|%!d(BADINDEX)", "%[3]d|%[0]d|%[x]d", ARGS(I(1), I(2)));
    sprintf_is("   42|7   |42   |3.14", "%*d|%-*d|%*d|%.*f",
               ARGS(I(5), I(42), I(4), I(7), I(-5), I(42), I(2), F(3.14159)));
    sprintf_is("%!(BADWIDTH)42", "%*d", ARGS(S("x"), I(42)));
    sprintf_is("%!(BADPREC)0", "%.*d", ARGS(I(-1), I(0)));
}

/* Go 1.19's limits on widths and precisions (found by tests/fuzz/fuzz-template:
 * a long width overflowed an int): arguments above a million are refused; a
 * written number that grows past ten million ends the format; a '.' ending
 * the format is the verb. Each checked against skopeo 1.9.3. */
static void check_limits(void)
{
    sprintf_is("%!(BADWIDTH)7|%!(BADWIDTH)7", "%*d|%*d", ARGS(I(1000001), I(7), I(-2000000), I(7)));
    sprintf_is("%!(BADPREC)7", "%.*d", ARGS(I(1000001), I(7)));
    sprintf_is("%!(NOVERB)%!(EXTRA int=7, int=8)", "%99999999999d|%d", ARGS(I(7), I(8)));
    sprintf_is("%!(NOVERB)%!(EXTRA int=7, int=8)", "%.99999999999d|%d", ARGS(I(7), I(8)));
    sprintf_is("%!d(BADINDEX)|", "%[99999999999]d|", ARGS(I(7)));
    sprintf_is("%!|(int=7)%!.(int=1)", "%.|%.", ARGS(I(7), I(1)));
    /* A written width may reach ten million (the fuzzer's slow input: 9 MB
     * of padding, filled in blocks now); padding across block boundaries. */
    size_t big = 8949187;
    char *want = malloc(big + 700 + 8);
    if (want != NULL) {
        memset(want, ' ', big - 5);
        memcpy(want + big - 5, "linux", 6);
        sprintf_is(want, "%8949187s", ARGS(S("linux")));
        memset(want, '0', 699);
        memcpy(want + 699, "7|-", 3);
        memset(want + 702, '0', 1021);
        memcpy(want + 1723, "3|x", 3);
        memset(want + 1726, ' ', 513);
        want[2239] = '\0';
        sprintf_is(want, "%0700d|%01023d|%-514s", ARGS(I(7), I(-3), S("x")));
        free(want);
    }
}

static void check_sprint(void)
{
    /* a space between operands when neither is a string */
    sprint_is("1 2", 0, ARGS(I(1), I(2)), "Sprint(1, 2)");
    sprint_is("a1 2b", 0, ARGS(S("a"), I(1), I(2), S("b")), "Sprint(\"a\", 1, 2, \"b\")");
    sprint_is("truex1.5 2", 0, ARGS(B(1), S("x"), F(1.5), I(2)), "Sprint(true, \"x\", 1.5, 2)");
    sprint_is("<nil> <nil>", 0, ARGS(NIL(), NIL()), "Sprint(nil, nil)");
    sprint_is("[a b] map[a:1 b:2] January", 0, ARGS(STRS(0), MAP(), MONTH(1)), "Sprint(slice, map, month)");
    sprint_is("", 0, NOARGS, "Sprint()");
    /* Sprintln: always spaces, and a newline */
    sprint_is("a 1 b\n", 1, ARGS(S("a"), I(1), S("b")), "Sprintln(\"a\", 1, \"b\")");
    sprint_is("\n", 1, NOARGS, "Sprintln()");
}

int main(void)
{
    fixture_strings = json_pack("[s, s]", "a", "b");
    fixture_map = json_pack("{s:s, s:s}", "b", "2", "a", "1");
    tap_plan(65);
    check_integers();
    check_strings();
    check_floats();
    check_other_kinds();
    check_arguments();
    check_limits();
    check_sprint();
    tap_is_int((long long)template_rune_count("h\xc3\xa9llo\xff", 7), 6, "rune_count: a bad byte is one rune");
    json_decref(fixture_strings);
    json_decref(fixture_map);
    return tap_done();
}
