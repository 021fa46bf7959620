/* tests/unit/test-gojson.c — the Go encoding/json writer and reader: bytes
 * of Marshal/MarshalIndent (escaping, numbers, empty containers, raw
 * messages, map key order) and the decoder's string handling and syntax
 * messages (as skopeo 1.9.3 printed them for config blobs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tap.h"
#include "shared/gojson.h"

static void check_encode(const json_t *v, int indent, const char *expected, const char *name)
{
    char *got = gojson_encode(v, indent);
    tap_is_str(got, expected, name);
    free(got);
}

static void check_real(double d, const char *expected)
{
    json_t *v = json_real(d);
    char name[64];
    snprintf(name, sizeof name, "float64 %s", expected);
    check_encode(v, 0, expected, name);
    json_decref(v);
}

static void check_syntax(const char *input, size_t len, const char *expected)
{
    char err[256] = "";
    gojson_node *n = gojson_parse(input, len, err, sizeof err);
    if (!tap_ok(n == NULL && strcmp(err, expected) == 0, "syntax error: %s", expected))
        tap_diag("got: %s", n ? "(parsed)" : err);
    gojson_node_free(n);
}

int main(void)
{
    tap_plan(49);

    /* ---- Marshal and MarshalIndent ---- */
    json_t *doc = json_loads("{\"b\":[1,-2,true,false,null,{},[]],\"a\":{\"x\":\"y\"},\"e\":{},"
                             "\"s\":\"<>&\\u2028\\u2029\\u0001\\t\\n\\r\\\"\\\\ \\u00e9\\u007f/\"}",
                             0, NULL);
    check_encode(doc, 0,
                 "{\"b\":[1,-2,true,false,null,{},[]],\"a\":{\"x\":\"y\"},\"e\":{},"
                 "\"s\":\"\\u003c\\u003e\\u0026\\u2028\\u2029\\u0001\\t\\n\\r\\\"\\\\ \xc3\xa9\x7f/\"}",
                 "compact: Go's escaping, DEL and / left alone");
    check_encode(doc, 4,
                 "{\n"
                 "    \"b\": [\n"
                 "        1,\n"
                 "        -2,\n"
                 "        true,\n"
                 "        false,\n"
                 "        null,\n"
                 "        {},\n"
                 "        []\n"
                 "    ],\n"
                 "    \"a\": {\n"
                 "        \"x\": \"y\"\n"
                 "    },\n"
                 "    \"e\": {},\n"
                 "    \"s\": \"\\u003c\\u003e\\u0026\\u2028\\u2029\\u0001\\t\\n\\r\\\"\\\\ \xc3\xa9\x7f/\"\n"
                 "}",
                 "MarshalIndent with four spaces, {} and [] kept short");
    json_decref(doc);

    json_t *v = json_stringn_nocheck("a\xff" "b\xc3\0\xed\xa0\x80", 8);
    check_encode(v, 0, "\"a\\ufffdb\\ufffd\\u0000\\ufffd\\ufffd\\ufffd\"",
                 "invalid UTF-8 and surrogate bytes become \\ufffd, NUL \\u0000");
    json_decref(v);

    v = json_object();
    json_object_set_new(v, "<k>", json_integer(INT64_MIN));
    json_object_set_new(v, "m", json_integer(INT64_MAX));
    check_encode(v, 0, "{\"\\u003ck\\u003e\":-9223372036854775808,\"m\":9223372036854775807}",
                 "keys escaped; int64 limits");
    json_decref(v);

    v = json_null();
    check_encode(v, 4, "null", "top-level null");
    v = json_array();
    check_encode(v, 4, "[]", "top-level empty array");
    json_decref(v);

    /* floats as Go's floatEncoder writes float64 */
    check_real(1.5, "1.5");
    check_real(1e21, "1e+21");
    check_real(1e20, "100000000000000000000");
    check_real(1e-7, "1e-7");
    check_real(0.000001, "0.000001");
    check_real(-0.0, "-0");
    check_real(0.1 + 0.2, "0.30000000000000004");
    check_real(5e-324, "5e-324");
    check_real(1.7976931348623157e308, "1.7976931348623157e+308");
    check_real(123456789.125, "123456789.125");
    check_real(-2.5e-8, "-2.5e-8");
    check_real(9007199254740993.0, "9007199254740992");

    char buf[64];
    gojson_format_float(1e6, 'g', buf, sizeof buf);
    tap_is_str(buf, "1e+06", "%v of 1e6");
    gojson_format_float(100000, 'g', buf, sizeof buf);
    tap_is_str(buf, "100000", "%v of 100000");
    gojson_format_float(0.00001, 'g', buf, sizeof buf);
    tap_is_str(buf, "1e-05", "%v of 0.00001");

    v = json_pack("{s:s}", "<k>", "a&b\xe2\x80\xa8");
    char *plain = gojson_encode_ex(v, 0, 0);
    tap_is_str(plain, "{\"<k>\":\"a&b\\u2028\"}", "SetEscapeHTML(false) keeps <>& but still escapes U+2028");
    free(plain);
    json_decref(v);

    char *q = gojson_quote("a\"<", 3);
    tap_is_str(q, "\"a\\\"\\u003c\"", "gojson_quote");
    free(q);

    /* ---- reading ---- */
    char err[256];
    static const char text[] = " {\"k\":\"\\ud83d\\ude00\\ud800|\\udc00\\ud800x\\u0000\xff\",\"k\":[1.5e3,-0,true],"
                               "\"t\":\"2023\\u002d\"} ";
    gojson_node *n = gojson_parse(text, sizeof text - 1, err, sizeof err);
    tap_ok(n && n->kind == GOJSON_OBJECT && n->n_children == 3, "duplicate members are kept");
    if (n && n->n_children == 3) {
        gojson_node *s = &n->children[0];
        tap_ok(s->kind == GOJSON_STRING && s->str_len == 19 &&
                   memcmp(s->str, "\xf0\x9f\x98\x80\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbdx\0\xef\xbf\xbd", 19) == 0,
               "surrogate pair joined, lone surrogates and bad bytes become U+FFFD, \\u0000 kept");
        gojson_node *a = &n->children[1];
        tap_ok(a->kind == GOJSON_ARRAY && a->n_children == 3 && strcmp(a->children[0].str, "1.5e3") == 0 &&
                   strcmp(a->children[1].str, "-0") == 0 && a->children[2].kind == GOJSON_BOOL &&
                   a->children[2].boolean,
               "numbers keep their literal");
        gojson_node *t = &n->children[2];
        tap_ok(t->raw_len == 12 && memcmp(t->raw, "\"2023\\u002d\"", 12) == 0 && strcmp(t->str, "2023-") == 0,
               "raw token kept next to the decoded string");
        tap_ok(strcmp(n->children[1].key, "k") == 0, "member names decoded");
    } else {
        for (int i = 0; i < 4; i++)
            tap_ok(0, "parse failed: %s", err);
    }
    gojson_node_free(n);
    tap_is_str(gojson_kind_name(GOJSON_NUMBER), "number", "kind names as in Go's messages");

    /* syntax messages, as skopeo printed them */
    check_syntax("{\"a\":1} x", 9, "invalid character 'x' after top-level value");
    check_syntax("{\"a\":1,}", 8, "invalid character '}' looking for beginning of object key string");
    check_syntax("{\"a\":01}", 8, "invalid character '1' after object key:value pair");
    check_syntax("{\"a\":-}", 7, "invalid character '}' in numeric literal");
    check_syntax("{\"a\":1.}", 8, "invalid character '}' after decimal point in numeric literal");
    check_syntax("{\"a\":1e+}", 9, "invalid character '}' in exponent of numeric literal");
    check_syntax("{\"a\":tru}", 9, "invalid character '}' in literal true (expecting 'e')");
    check_syntax("{\"a\":\"\\x\"}", 10, "invalid character 'x' in string escape code");
    check_syntax("{\"a\":\"\\u12g4\"}", 14, "invalid character 'g' in \\u hexadecimal character escape");
    check_syntax("{\"a\":\"", 6, "unexpected end of JSON input");
    check_syntax("", 0, "unexpected end of JSON input");
    check_syntax("{\"a\":\"a\x01\"}", 10, "invalid character '\\x01' in string literal");
    check_syntax("{\"a\":\"a\", \xc3}", 12, "invalid character '\xc3\x83' looking for beginning of object key string");
    check_syntax("{\"a\":\"a\", \xa0}", 12, "invalid character '\\u00a0' looking for beginning of object key string");
    check_syntax("[1 2]", 5, "invalid character '2' after array element");
    check_syntax("{\"a\" 1}", 7, "invalid character '1' after object key");

    /* ---- a json.RawMessage as the encoder writes it ---- */
    static const char raw[] = "{ \"a b\" :\n\t[ 1 , \"<x> \\\" &\" ] , \"s\":\"\\u2028 \xe2\x80\xa8\xe2\x80\xa9\" }";
    strbuf sb = STRBUF_INIT;
    gojson_append_compact(&sb, raw, sizeof raw - 1, 1);
    tap_is_str(sb.data, "{\"a b\":[1,\"\\u003cx\\u003e \\\" \\u0026\"],\"s\":\"\\u2028 \\u2028\\u2029\"}",
               "RawMessage compacted: blanks out of strings gone, <>& and U+2028/9 escaped");
    strbuf_release(&sb);
    gojson_append_compact(&sb, raw, sizeof raw - 1, 0);
    tap_is_str(sb.data, "{\"a b\":[1,\"<x> \\\" &\"],\"s\":\"\\u2028 \xe2\x80\xa8\xe2\x80\xa9\"}",
               "RawMessage compacted without HTML escaping");
    strbuf_release(&sb);
    tap_ok(gojson_compare_keys("ab", 2, "abc", 3) < 0 && gojson_compare_keys("b", 1, "abc", 3) > 0 &&
               gojson_compare_keys("B", 1, "a", 1) < 0 && gojson_compare_keys("a\0b", 3, "a\0b", 3) == 0,
           "map keys in Go's order: bytewise, a prefix first");

    unsigned r;
    tap_ok(gojson_utf8_decode((const unsigned char *)"\xc0\x80", 2, &r) == 1 && r == 0xFFFD &&
               gojson_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &r) == 4 && r == 0x1F600,
           "utf8 decoding: overlong refused, 4-byte sequence read");
    return tap_done();
}
