/* core/shared/gojson_parse.c — Go encoding/json compatible reader: Go's
 * syntax rules and error messages, and its string decoding (lone surrogates
 * and invalid UTF-8 as U+FFFD), into a tree that keeps duplicate members and
 * raw tokens for code that mimics json.Unmarshal. The writer and the UTF-8
 * decoder it shares are in gojson_encode.c. */
#include "shared/gojson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strbuf.h"

#define GOJSON_MAX_DEPTH 10000 /* Go's maxNestingDepth */

typedef struct gojson_parser {
    const unsigned char *p;
    size_t len;
    size_t pos;
    char *err;
    size_t errcap;
    int failed;
} gojson_parser;

const char *gojson_kind_name(gojson_kind kind)
{
    switch (kind) {
    case GOJSON_NULL:
        return "null";
    case GOJSON_BOOL:
        return "bool";
    case GOJSON_NUMBER:
        return "number";
    case GOJSON_STRING:
        return "string";
    case GOJSON_ARRAY:
        return "array";
    case GOJSON_OBJECT:
        return "object";
    }
    return "value";
}

/* Go's quoteChar: the byte as a one-character Go-quoted rune literal. */
static void gojson_quote_char(unsigned char c, char *out, size_t cap)
{
    if (c == '\'') {
        snprintf(out, cap, "'\\''");
    } else if (c == '"') {
        snprintf(out, cap, "'\"'");
    } else if (c == '\\') {
        snprintf(out, cap, "'\\\\'");
    } else if (c < 0x20 || c == 0x7f) {
        const char *named = NULL;
        switch (c) {
        case '\a': named = "\\a"; break;
        case '\b': named = "\\b"; break;
        case '\f': named = "\\f"; break;
        case '\n': named = "\\n"; break;
        case '\r': named = "\\r"; break;
        case '\t': named = "\\t"; break;
        case '\v': named = "\\v"; break;
        }
        if (named)
            snprintf(out, cap, "'%s'", named);
        else
            snprintf(out, cap, "'\\x%02x'", c);
    } else if (c < 0x80) {
        snprintf(out, cap, "'%c'", c);
    } else if (c < 0xA1 || c == 0xAD) {
        /* the byte is taken as rune U+00XX; these are not printable */
        snprintf(out, cap, "'\\u00%02x'", c);
    } else {
        snprintf(out, cap, "'%c%c'", 0xC0 | (c >> 6), 0x80 | (c & 0x3F));
    }
}

static void gojson_fail(gojson_parser *ps, const char *context)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    if (ps->pos >= ps->len) {
        snprintf(ps->err, ps->errcap, "unexpected end of JSON input");
        return;
    }
    char q[16];
    gojson_quote_char(ps->p[ps->pos], q, sizeof q);
    snprintf(ps->err, ps->errcap, "invalid character %s %s", q, context);
}

static void gojson_skip_space(gojson_parser *ps)
{
    while (ps->pos < ps->len) {
        unsigned char c = ps->p[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ps->pos++;
    }
}

static int gojson_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void gojson_put_rune(strbuf *sb, unsigned r)
{
    unsigned char b[4];
    size_t n;
    if (r < 0x80) {
        b[0] = (unsigned char)r;
        n = 1;
    } else if (r < 0x800) {
        b[0] = (unsigned char)(0xC0 | (r >> 6));
        b[1] = (unsigned char)(0x80 | (r & 0x3F));
        n = 2;
    } else if (r < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (r >> 12));
        b[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (r & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (r >> 18));
        b[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (r & 0x3F));
        n = 4;
    }
    strbuf_append(sb, b, n);
}

/* Reads the 4 hex digits of a \u escape at p (already validated). */
static unsigned gojson_u4(const unsigned char *p)
{
    unsigned r = 0;
    for (int i = 0; i < 4; i++)
        r = (r << 4) | (unsigned)gojson_hexval(p[i]);
    return r;
}

/* Scans a string literal at ps->pos (on the opening quote), validating as Go's
 * scanner does, and decodes it as Go's unquote does. */
static int gojson_read_string(gojson_parser *ps, char **out, size_t *out_len)
{
    size_t start = ++ps->pos;
    /* validate first */
    for (;;) {
        if (ps->pos >= ps->len) {
            gojson_fail(ps, "");
            return -1;
        }
        unsigned char c = ps->p[ps->pos];
        if (c == '"')
            break;
        if (c == '\\') {
            ps->pos++;
            if (ps->pos >= ps->len) {
                gojson_fail(ps, "");
                return -1;
            }
            c = ps->p[ps->pos];
            if (c == 'u') {
                for (int i = 0; i < 4; i++) {
                    ps->pos++;
                    if (ps->pos >= ps->len || gojson_hexval(ps->p[ps->pos]) < 0) {
                        gojson_fail(ps, "in \\u hexadecimal character escape");
                        return -1;
                    }
                }
            } else if (!strchr("bfnrt\\/\"", c) || c == 0) {
                gojson_fail(ps, "in string escape code");
                return -1;
            }
            ps->pos++;
            continue;
        }
        if (c < 0x20) {
            gojson_fail(ps, "in string literal");
            return -1;
        }
        ps->pos++;
    }
    size_t end = ps->pos++;
    /* decode */
    strbuf sb = STRBUF_INIT;
    const unsigned char *s = ps->p;
    size_t i = start;
    while (i < end) {
        unsigned char c = s[i];
        if (c == '\\') {
            char e = (char)s[i + 1];
            i += 2;
            switch (e) {
            case 'b': strbuf_append(&sb, "\b", 1); break;
            case 'f': strbuf_append(&sb, "\f", 1); break;
            case 'n': strbuf_append(&sb, "\n", 1); break;
            case 'r': strbuf_append(&sb, "\r", 1); break;
            case 't': strbuf_append(&sb, "\t", 1); break;
            case 'u': {
                unsigned r = gojson_u4(s + i);
                i += 4;
                if (r >= 0xD800 && r <= 0xDFFF) {
                    /* a pair only when a high surrogate is followed by a
                     * \u low surrogate; anything else is U+FFFD */
                    if (r < 0xDC00 && i + 6 <= end && s[i] == '\\' && s[i + 1] == 'u') {
                        unsigned r2 = gojson_u4(s + i + 2);
                        if (r2 >= 0xDC00 && r2 <= 0xDFFF) {
                            gojson_put_rune(&sb, 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00));
                            i += 6;
                            break;
                        }
                    }
                    r = 0xFFFD;
                }
                gojson_put_rune(&sb, r);
                break;
            }
            default: strbuf_append(&sb, &e, 1); break; /* \\ \/ \" */
            }
            continue;
        }
        if (c < 0x80) {
            strbuf_append(&sb, &s[i], 1);
            i++;
            continue;
        }
        unsigned r;
        size_t size = gojson_utf8_decode(s + i, end - i, &r);
        if (r == 0xFFFD && size == 1)
            gojson_put_rune(&sb, 0xFFFD);
        else
            strbuf_append(&sb, &s[i], size);
        i += size;
    }
    *out = strbuf_detach(&sb, out_len);
    if (*out == NULL) {
        ps->failed = 1;
        snprintf(ps->err, ps->errcap, "out of memory");
        return -1;
    }
    return 0;
}

static int gojson_isdigit(gojson_parser *ps)
{
    return ps->pos < ps->len && ps->p[ps->pos] >= '0' && ps->p[ps->pos] <= '9';
}

/* The digits of a fraction or an exponent: at least one, else Go's error
 * with `context`. */
static int gojson_read_digits(gojson_parser *ps, const char *context)
{
    if (!gojson_isdigit(ps)) {
        gojson_fail(ps, context);
        return -1;
    }
    while (gojson_isdigit(ps))
        ps->pos++;
    return 0;
}

static int gojson_read_number(gojson_parser *ps)
{
    if (ps->p[ps->pos] == '-') {
        ps->pos++;
        if (!gojson_isdigit(ps)) {
            gojson_fail(ps, "in numeric literal");
            return -1;
        }
    }
    if (ps->p[ps->pos] == '0') {
        ps->pos++;
    } else {
        while (gojson_isdigit(ps))
            ps->pos++;
    }
    if (ps->pos < ps->len && ps->p[ps->pos] == '.') {
        ps->pos++;
        if (gojson_read_digits(ps, "after decimal point in numeric literal") != 0)
            return -1;
    }
    if (ps->pos < ps->len && (ps->p[ps->pos] == 'e' || ps->p[ps->pos] == 'E')) {
        ps->pos++;
        if (ps->pos < ps->len && (ps->p[ps->pos] == '+' || ps->p[ps->pos] == '-'))
            ps->pos++;
        if (gojson_read_digits(ps, "in exponent of numeric literal") != 0)
            return -1;
    }
    return 0;
}

static int gojson_read_literal(gojson_parser *ps, const char *word)
{
    /* the first letter is already known to match */
    char context[40];
    ps->pos++;
    for (size_t i = 1; word[i]; i++) {
        if (ps->pos >= ps->len || ps->p[ps->pos] != (unsigned char)word[i]) {
            snprintf(context, sizeof context, "in literal %s (expecting '%c')", word, word[i]);
            gojson_fail(ps, context);
            return -1;
        }
        ps->pos++;
    }
    return 0;
}

static void gojson_node_clear(gojson_node *node)
{
    for (size_t i = 0; i < node->n_children; i++)
        gojson_node_clear(&node->children[i]);
    free(node->children);
    free(node->str);
    free(node->key);
}

static int gojson_append_child(gojson_parser *ps, gojson_node *parent, size_t *cap, gojson_node *child)
{
    if (parent->n_children == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        gojson_node *c = realloc(parent->children, ncap * sizeof *c);
        if (c == NULL) {
            gojson_node_clear(child);
            ps->failed = 1;
            snprintf(ps->err, ps->errcap, "out of memory");
            return -1;
        }
        parent->children = c;
        *cap = ncap;
    }
    parent->children[parent->n_children++] = *child;
    return 0;
}

static int gojson_read_value(gojson_parser *ps, gojson_node *node, int depth);

static int gojson_read_container(gojson_parser *ps, gojson_node *node, int depth, int is_object)
{
    size_t cap = 0;
    unsigned char close = is_object ? '}' : ']';
    if (depth >= GOJSON_MAX_DEPTH) {
        gojson_fail(ps, "exceeded max depth");
        return -1;
    }
    ps->pos++;
    gojson_skip_space(ps);
    if (ps->pos < ps->len && ps->p[ps->pos] == close) {
        ps->pos++;
        return 0;
    }
    for (;;) {
        gojson_node child;
        memset(&child, 0, sizeof child);
        if (is_object) {
            if (ps->pos >= ps->len || ps->p[ps->pos] != '"') {
                gojson_fail(ps, "looking for beginning of object key string");
                return -1;
            }
            if (gojson_read_string(ps, &child.key, &child.key_len) != 0)
                return -1;
            gojson_skip_space(ps);
            if (ps->pos >= ps->len || ps->p[ps->pos] != ':') {
                free(child.key);
                gojson_fail(ps, "after object key");
                return -1;
            }
            ps->pos++;
            gojson_skip_space(ps);
        }
        if (gojson_read_value(ps, &child, depth + 1) != 0) {
            gojson_node_clear(&child);
            return -1;
        }
        if (gojson_append_child(ps, node, &cap, &child) != 0)
            return -1; /* child already released */
        gojson_skip_space(ps);
        if (ps->pos < ps->len && ps->p[ps->pos] == ',') {
            ps->pos++;
            gojson_skip_space(ps);
            continue;
        }
        if (ps->pos < ps->len && ps->p[ps->pos] == close) {
            ps->pos++;
            return 0;
        }
        gojson_fail(ps, is_object ? "after object key:value pair" : "after array element");
        return -1;
    }
}

static int gojson_read_value(gojson_parser *ps, gojson_node *node, int depth)
{
    if (ps->pos >= ps->len) {
        gojson_fail(ps, "");
        return -1;
    }
    size_t start = ps->pos;
    int rc;
    unsigned char c = ps->p[ps->pos];
    switch (c) {
    case '{':
    case '[':
        node->kind = c == '{' ? GOJSON_OBJECT : GOJSON_ARRAY;
        rc = gojson_read_container(ps, node, depth, c == '{');
        break;
    case '"':
        node->kind = GOJSON_STRING;
        rc = gojson_read_string(ps, &node->str, &node->str_len);
        break;
    case 't':
        node->kind = GOJSON_BOOL;
        node->boolean = 1;
        rc = gojson_read_literal(ps, "true");
        break;
    case 'f':
        node->kind = GOJSON_BOOL;
        rc = gojson_read_literal(ps, "false");
        break;
    case 'n':
        node->kind = GOJSON_NULL;
        rc = gojson_read_literal(ps, "null");
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            node->kind = GOJSON_NUMBER;
            rc = gojson_read_number(ps);
            if (rc == 0) {
                node->str_len = ps->pos - start;
                node->str = malloc(node->str_len + 1);
                if (node->str == NULL) {
                    ps->failed = 1;
                    snprintf(ps->err, ps->errcap, "out of memory");
                    return -1;
                }
                memcpy(node->str, ps->p + start, node->str_len);
                node->str[node->str_len] = '\0';
            }
            break;
        }
        gojson_fail(ps, "looking for beginning of value");
        return -1;
    }
    node->raw = (const char *)ps->p + start;
    node->raw_len = ps->pos - start;
    return rc;
}

gojson_node *gojson_parse(const void *data, size_t len, char *err, size_t errcap)
{
    char dummy[8];
    gojson_parser ps = {(const unsigned char *)data, len, 0, err ? err : dummy, err ? errcap : sizeof dummy, 0};
    gojson_node *node = calloc(1, sizeof *node);
    if (node == NULL) {
        snprintf(ps.err, ps.errcap, "out of memory");
        return NULL;
    }
    gojson_skip_space(&ps);
    if (gojson_read_value(&ps, node, 0) == 0) {
        gojson_skip_space(&ps);
        if (ps.pos == ps.len)
            return node;
        gojson_fail(&ps, "after top-level value");
    }
    gojson_node_free(node);
    return NULL;
}

void gojson_node_free(gojson_node *node)
{
    if (node == NULL)
        return;
    gojson_node_clear(node);
    free(node);
}
