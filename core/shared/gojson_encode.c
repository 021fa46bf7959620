/* core/shared/gojson_encode.c — Go encoding/json compatible writer (Marshal
 * and MarshalIndent bytes, string escaping, float64 formatting as strconv
 * does), so that ferry's JSON matches skopeo's byte for byte; and Go's
 * utf8.DecodeRune, which the writer, the reader (gojson_parse.c) and other
 * callers of gojson.h share. */
#include "shared/gojson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strbuf.h"

static const char gojson_hex[] = "0123456789abcdef";

size_t gojson_utf8_decode(const unsigned char *s, size_t n, unsigned *rune)
{
    unsigned c = s[0];
    *rune = 0xFFFD;
    if (c < 0x80) {
        *rune = c;
        return 1;
    }
    size_t need;
    unsigned min, r;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        min = 0x80;
        r = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        min = 0x800;
        r = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        min = 0x10000;
        r = c & 0x07;
    } else {
        return 1;
    }
    if (n < need)
        return 1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        r = (r << 6) | (s[i] & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return 1;
    *rune = r;
    return need;
}

/* ---------------------------------------------------------------- writer */

/* Go's encodeState.string; escape_html is Marshal's default, off for an
 * Encoder after SetEscapeHTML(false). */
static void gojson_put_string(strbuf *sb, const char *str, size_t n, int escape_html)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start = 0, i = 0;
    strbuf_append(sb, "\"", 1);
    while (i < n) {
        unsigned char b = s[i];
        if (b < 0x80) {
            if (b >= 0x20 && b != '"' && b != '\\' && (!escape_html || (b != '<' && b != '>' && b != '&'))) {
                i++;
                continue;
            }
            strbuf_append(sb, str + start, i - start);
            switch (b) {
            case '"':
            case '\\': {
                char esc[2] = {'\\', (char)b};
                strbuf_append(sb, esc, 2);
                break;
            }
            case '\n':
                strbuf_append(sb, "\\n", 2);
                break;
            case '\r':
                strbuf_append(sb, "\\r", 2);
                break;
            case '\t':
                strbuf_append(sb, "\\t", 2);
                break;
            default: {
                char esc[6] = {'\\', 'u', '0', '0', gojson_hex[b >> 4], gojson_hex[b & 0xF]};
                strbuf_append(sb, esc, 6);
            }
            }
            start = ++i;
            continue;
        }
        unsigned r;
        size_t size = gojson_utf8_decode(s + i, n - i, &r);
        if (r == 0xFFFD && size == 1) {
            strbuf_append(sb, str + start, i - start);
            strbuf_append(sb, "\\ufffd", 6);
            start = ++i;
            continue;
        }
        if (r == 0x2028 || r == 0x2029) {
            strbuf_append(sb, str + start, i - start);
            strbuf_append(sb, r == 0x2028 ? "\\u2028" : "\\u2029", 6);
            i += size;
            start = i;
            continue;
        }
        i += size;
    }
    strbuf_append(sb, str + start, n - start);
    strbuf_append(sb, "\"", 1);
}

char *gojson_quote(const char *s, size_t n)
{
    strbuf sb = STRBUF_INIT;
    gojson_put_string(&sb, s, n, 1);
    return strbuf_detach(&sb, NULL);
}

static int gojson_key_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *gojson_sorted_object(const json_t *obj)
{
    size_t n = json_object_size(obj);
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    json_t *out = json_object();
    if (keys == NULL || out == NULL) {
        free(keys);
        json_decref(out);
        return NULL;
    }
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) keys[i++] = key;
    qsort(keys, n, sizeof(*keys), gojson_key_ptr_cmp);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    return out;
}

int gojson_compare_keys(const char *a, size_t a_len, const char *b, size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (c != 0 || a_len == b_len)
        return c;
    return a_len < b_len ? -1 : 1;
}

void gojson_append_compact(strbuf *sb, const char *src, size_t len, int escape_html)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t start = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (escape_html && (c == '<' || c == '>' || c == '&')) {
            char esc[6] = {'\\', 'u', '0', '0', gojson_hex[c >> 4], gojson_hex[c & 0xF]};
            strbuf_append(sb, src + start, i - start);
            strbuf_append(sb, esc, 6);
            start = i + 1;
            continue;
        }
        if (escape_html && c == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] & ~1) == 0xA8) {
            char esc[6] = {'\\', 'u', '2', '0', '2', gojson_hex[s[i + 2] & 0xF]};
            strbuf_append(sb, src + start, i - start);
            strbuf_append(sb, esc, 6);
            i += 2;
            start = i + 1;
            continue;
        }
        if (in_string) {
            if (c == '\\')
                i++; /* the escaped character cannot end the string */
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            strbuf_append(sb, src + start, i - start);
            start = i + 1;
        }
    }
    if (start < len)
        strbuf_append(sb, src + start, len - start);
}

/* Splits the "%.*e" rendering of f into its significant digits and decimal
 * exponent (value = 0.d1d2... * 10^(exp+1)). */
static void gojson_split_e(const char *e, char *digits, size_t *nd, int *exp)
{
    size_t k = 0;
    const char *p = e;
    if (*p == '-')
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    digits[k] = '\0';
    *nd = k;
    *exp = (*p == 'e') ? atoi(p + 1) : 0;
}

/* Shortest digits that read back as f, as strconv.FormatFloat(f, _, -1, 64)
 * picks them. */
static void gojson_shortest(double f, char *digits, size_t *nd, int *exp)
{
    char tmp[64];
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, f);
        if (strtod(tmp, NULL) == f) {
            gojson_split_e(tmp, digits, nd, exp);
            return;
        }
        /* Just above a power of two the interval of values that read back is
         * lopsided: the correctly rounded candidate may fall below it while
         * the next one up is inside, and Go takes that one. */
        gojson_split_e(tmp, digits, nd, exp);
        char up[32];
        memcpy(up, digits, *nd + 1);
        int e = *exp;
        size_t i = *nd;
        while (i > 0 && up[i - 1] == '9')
            up[--i] = '0';
        if (i == 0) {
            memmove(up + 1, up, *nd);
            up[0] = '1';
            up[*nd] = '\0';
            e++;
        } else {
            up[i - 1]++;
        }
        snprintf(tmp, sizeof tmp, "%s%c.%se%d", f < 0 ? "-" : "", up[0], up + 1, e);
        if (strtod(tmp, NULL) == f) {
            memcpy(digits, up, *nd + 1);
            *exp = e;
            return;
        }
    }
    snprintf(tmp, sizeof tmp, "%.16e", f);
    gojson_split_e(tmp, digits, nd, exp);
}

size_t gojson_format_float(double f, char fmt, char *buf, size_t cap)
{
    strbuf sb = STRBUF_INIT;
    char digits[32];
    size_t nd;
    int exp;
    if (isnan(f)) {
        strbuf_puts(&sb, "NaN");
    } else if (isinf(f)) {
        strbuf_puts(&sb, f > 0 ? "+Inf" : "-Inf");
    } else {
        if (f == 0) {
            digits[0] = '0';
            digits[1] = '\0';
            nd = 1;
            exp = 0;
        } else {
            gojson_shortest(f, digits, &nd, &exp);
            while (nd > 1 && digits[nd - 1] == '0')
                digits[--nd] = '\0';
        }
        if (signbit(f))
            strbuf_append(&sb, "-", 1);
        if (fmt == 'g')
            fmt = (exp < -4 || exp >= 6) ? 'e' : 'f';
        if (fmt == 'e') {
            strbuf_append(&sb, digits, 1);
            if (nd > 1) {
                strbuf_append(&sb, ".", 1);
                strbuf_append(&sb, digits + 1, nd - 1);
            }
            strbuf_printf(&sb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        } else if (exp < 0) {
            strbuf_append(&sb, "0.", 2);
            for (int i = -1; i > exp; i--)
                strbuf_append(&sb, "0", 1);
            strbuf_append(&sb, digits, nd);
        } else if ((size_t)exp + 1 >= nd) {
            strbuf_append(&sb, digits, nd);
            for (size_t i = nd; i < (size_t)exp + 1; i++)
                strbuf_append(&sb, "0", 1);
        } else {
            strbuf_append(&sb, digits, (size_t)exp + 1);
            strbuf_append(&sb, ".", 1);
            strbuf_append(&sb, digits + exp + 1, nd - (size_t)exp - 1);
        }
    }
    size_t n = 0;
    if (!sb.failed && cap > 0) {
        n = sb.len < cap - 1 ? sb.len : cap - 1;
        memcpy(buf, sb.data ? sb.data : "", n);
        buf[n] = '\0';
    }
    strbuf_release(&sb);
    return n;
}

/* Go's floatEncoder for float64: ES6-style, 'f' between 1e-6 and 1e21,
 * otherwise 'e' with the exponent not padded. */
static int gojson_put_float(strbuf *sb, double f)
{
    if (isnan(f) || isinf(f))
        return -1;
    double a = fabs(f);
    char buf[64];
    size_t n = gojson_format_float(f, (a != 0 && (a < 1e-6 || a >= 1e21)) ? 'e' : 'f', buf, sizeof buf);
    /* Go pads no exponent digits: e-07 becomes e-7 */
    if (n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
        buf[n - 2] = buf[n - 1];
        buf[--n] = '\0';
    }
    strbuf_append(sb, buf, n);
    return 0;
}

static void gojson_newline(strbuf *sb, int indent, int depth)
{
    strbuf_append(sb, "\n", 1);
    for (int i = 0; i < indent * depth; i++)
        strbuf_append(sb, " ", 1);
}

static int gojson_put_value(strbuf *sb, const json_t *v, int indent, int depth, int escape_html)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0) {
            strbuf_append(sb, "{}", 2);
            return 0;
        }
        const char *key;
        size_t key_len;
        json_t *member;
        int first = 1;
        strbuf_append(sb, "{", 1);
        json_object_keylen_foreach((json_t *)v, key, key_len, member)
        {
            if (!first)
                strbuf_append(sb, ",", 1);
            first = 0;
            if (indent)
                gojson_newline(sb, indent, depth + 1);
            gojson_put_string(sb, key, key_len, escape_html);
            strbuf_append(sb, indent ? ": " : ":", indent ? 2 : 1);
            if (gojson_put_value(sb, member, indent, depth + 1, escape_html) != 0)
                return -1;
        }
        if (indent)
            gojson_newline(sb, indent, depth);
        strbuf_append(sb, "}", 1);
        return 0;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 0) {
            strbuf_append(sb, "[]", 2);
            return 0;
        }
        strbuf_append(sb, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_append(sb, ",", 1);
            if (indent)
                gojson_newline(sb, indent, depth + 1);
            if (gojson_put_value(sb, json_array_get(v, i), indent, depth + 1, escape_html) != 0)
                return -1;
        }
        if (indent)
            gojson_newline(sb, indent, depth);
        strbuf_append(sb, "]", 1);
        return 0;
    }
    case JSON_STRING:
        gojson_put_string(sb, json_string_value(v), json_string_length(v), escape_html);
        return 0;
    case JSON_INTEGER:
        strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    case JSON_REAL:
        return gojson_put_float(sb, json_real_value(v));
    case JSON_TRUE:
        strbuf_append(sb, "true", 4);
        return 0;
    case JSON_FALSE:
        strbuf_append(sb, "false", 5);
        return 0;
    case JSON_NULL:
        strbuf_append(sb, "null", 4);
        return 0;
    }
    return -1;
}

char *gojson_encode(const json_t *value, int indent)
{
    return gojson_encode_ex(value, indent, 1);
}

char *gojson_encode_ex(const json_t *value, int indent, int escape_html)
{
    strbuf sb = STRBUF_INIT;
    if (value == NULL || indent < 0 || gojson_put_value(&sb, value, indent, 0, escape_html) != 0) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}
