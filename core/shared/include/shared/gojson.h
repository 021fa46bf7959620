/* core/shared/include/shared/gojson.h — JSON output byte-identical to Go's
 * encoding/json, which is what skopeo prints and what containers/image hashes; and a JSON reader
 * that keeps what Go's decoder sees (duplicate members, raw tokens, Go's
 * syntax error messages) for code that mimics json.Unmarshal. */
#ifndef FERRY_SHARED_GOJSON_H
#define FERRY_SHARED_GOJSON_H

#include <jansson.h>
#include <stddef.h>

#include "shared/strbuf.h"

/* Encodes `value` like Go: indent 0 gives json.Marshal's compact form, indent
 * 4 gives json.MarshalIndent(v, "", "    "). Object members come out in the
 * json_t's insertion order (callers build structs in Go field order and maps
 * in sorted key order). Strings are escaped as Go does (<, >, & as \u003c,
 * \u003e, \u0026; U+2028/U+2029; invalid UTF-8 as \ufffd). Returns a malloc'd
 * NUL-terminated string the caller frees, or NULL when out of memory. No
 * trailing newline. (Any other indent n gives n spaces per level.) Reals are
 * written as Go writes a float64; NaN and infinities, which Go refuses, give
 * NULL. */
char *gojson_encode(const json_t *value, int indent);

/* The same; escape_html 0 leaves <, > and & alone as a json.Encoder does
 * after SetEscapeHTML(false). */
char *gojson_encode_ex(const json_t *value, int indent, int escape_html);

/* Appends `s` (n bytes, any content) as a Go-escaped JSON string literal,
 * quotes included, to a malloc'd buffer; returns it or NULL on OOM. */
char *gojson_quote(const char *s, size_t n);

/* Appends the JSON text src[0..len) (valid JSON, as gojson_parse's raw
 * tokens are) as Go's encoder writes a json.RawMessage: white space outside
 * strings dropped and, with escape_html, <, >, & and U+2028/U+2029 written as
 * \u escapes; everything else, invalid UTF-8 included, is kept. sb->failed
 * on out of memory. */
void gojson_append_compact(strbuf *sb, const char *src, size_t len, int escape_html);

/* Go's ordering of strings, by which json.Marshal sorts map keys: bytewise,
 * a prefix first. <0, 0 or >0 like memcmp. */
int gojson_compare_keys(const char *a, size_t a_len, const char *b, size_t b_len);

/* A copy of a JSON object (NULL: an empty one) with its members in the
 * order Go marshals a map[string]string: keys sorted (strcmp: map keys hold
 * no NUL). Values shared, not copied. NULL when out of memory. */
json_t *gojson_sorted_object(const json_t *obj);

/* strconv.FormatFloat(f, fmt, -1, 64) for fmt 'e', 'f' or 'g': the
 * shortest digits that read back as f ('g' switches to 'e' below 1e-4 and
 * from 1e6 on, like fmt's %v). Writes at most cap-1 bytes and a NUL; returns
 * the length. */
size_t gojson_format_float(double f, char fmt, char *buf, size_t cap);

/* ---- reading, as Go's json.Unmarshal reads ---- */

typedef enum gojson_kind {
    GOJSON_NULL,
    GOJSON_BOOL,
    GOJSON_NUMBER,
    GOJSON_STRING,
    GOJSON_ARRAY,
    GOJSON_OBJECT,
} gojson_kind;

typedef struct gojson_node gojson_node;
struct gojson_node {
    gojson_kind kind;
    int boolean;          /* GOJSON_BOOL: 0 or 1 */
    const char *raw;      /* the token's bytes in the parsed input (borrowed: valid while the input is) */
    size_t raw_len;
    char *str;            /* STRING: value decoded as Go does (invalid UTF-8 and lone surrogates become
                           * U+FFFD); NUMBER: the literal. NUL-terminated, may contain NULs. */
    size_t str_len;
    char *key;            /* members of an OBJECT: the decoded member name */
    size_t key_len;
    gojson_node *children; /* ARRAY elements or OBJECT members, in document order, duplicates kept */
    size_t n_children;
};

/* Parses one JSON value (surrounding white space allowed) with Go's syntax
 * rules. On error returns NULL and puts Go's message in err ("invalid
 * character 'x' after top-level value", "unexpected end of JSON input"). The
 * result borrows `data` (see raw); free it with gojson_node_free. */
gojson_node *gojson_parse(const void *data, size_t len, char *err, size_t errcap);
void gojson_node_free(gojson_node *node);

/* Go's name for the JSON kind in decode errors: "string", "number", "bool",
 * "array", "object", "null". */
const char *gojson_kind_name(gojson_kind kind);

/* Decodes one UTF-8 sequence as Go's utf8.DecodeRune does: returns its length
 * (1-4) and the rune in *rune; an invalid or truncated sequence, an overlong
 * form or a surrogate gives 1 and U+FFFD. n must be > 0. */
size_t gojson_utf8_decode(const unsigned char *s, size_t n, unsigned *rune);

#endif
