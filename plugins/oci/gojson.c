/* plugins/oci/gojson.c — compact JSON in the exact bytes Go's
 * encoding/json.Marshal produces, so that index.json written by ferry is
 * identical to skopeo's. Go escapes '<', '>', '&', U+2028 and U+2029, writes
 * control characters other than \n \r \t as \u00xx (lowercase hex), and
 * leaves other UTF-8 as is. Object members come out in insertion order:
 * callers build objects in Go struct field order and maps in sorted order. */
#include "oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct oci_buf {
    char *data;
    size_t len, cap;
    int failed;
} oci_buf;

static void oci_buf_put(oci_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *grown = realloc(b->data, ncap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = ncap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void oci_buf_puts(oci_buf *b, const char *s)
{
    oci_buf_put(b, s, strlen(s));
}

static void oci_gojson_string(oci_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    oci_buf_put(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t esc_len = 0;
        size_t skip = 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc_len = 2;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            esc_len = 2;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            esc_len = 6;
        } else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
            memcpy(esc, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            esc_len = 6;
            skip = 3;
        }
        if (esc_len == 0)
            continue;
        oci_buf_put(b, s + start, i - start);
        oci_buf_put(b, esc, esc_len);
        i += skip - 1;
        start = i + 1;
    }
    oci_buf_put(b, s + start, n - start);
    oci_buf_put(b, "\"", 1);
}

static void oci_gojson_value(oci_buf *b, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        int first = 1;
        oci_buf_put(b, "{", 1);
        json_object_foreach((json_t *)v, key, member) {
            if (!first)
                oci_buf_put(b, ",", 1);
            first = 0;
            oci_gojson_string(b, key, strlen(key));
            oci_buf_put(b, ":", 1);
            oci_gojson_value(b, member);
        }
        oci_buf_put(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        oci_buf_put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                oci_buf_put(b, ",", 1);
            oci_gojson_value(b, json_array_get(v, i));
        }
        oci_buf_put(b, "]", 1);
        break;
    case JSON_STRING:
        oci_gojson_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        oci_buf_puts(b, num);
        break;
    case JSON_REAL:
        /* index.json holds no floating point members; %.17g round-trips. */
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        oci_buf_puts(b, num);
        break;
    case JSON_TRUE:
        oci_buf_puts(b, "true");
        break;
    case JSON_FALSE:
        oci_buf_puts(b, "false");
        break;
    case JSON_NULL:
        oci_buf_puts(b, "null");
        break;
    }
}

char *oci_gojson_encode(const json_t *value, size_t *len)
{
    oci_buf b = {0};
    oci_gojson_value(&b, value);
    if (b.failed || b.data == NULL) {
        free(b.data);
        return NULL;
    }
    if (len != NULL)
        *len = b.len;
    return b.data;
}
