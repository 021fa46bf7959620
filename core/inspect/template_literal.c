/* core/inspect/template_literal.c — the literals of a template as Go reads
 * them: strconv.Unquote for "…", `…` and '…', and parse.NumberNode's reading
 * of integers (bases, underscores), floats, runes and complex numbers. */
#include "inspect/template_internal.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

/* strconv.Unquote of a "…", `…` or '…' literal; returns -1 on bad syntax */
int template_unquote(template_state *st, const char *s, size_t n, char **out, size_t *out_len)
{
    strbuf sb = STRBUF_INIT;
    char q = s[0];
    if (n < 2 || s[n - 1] != q)
        return -1;
    if (q == '`') {
        for (size_t i = 1; i + 1 < n; i++)
            if (s[i] != '\r')
                strbuf_append(&sb, s + i, 1);
        *out = template_keep(st, &sb, out_len);
        return 0;
    }
    size_t i = 1, runes = 0;
    while (i + 1 < n) {
        unsigned char c = (unsigned char)s[i];
        runes++;
        if (c == q || c == '\n') {
            strbuf_release(&sb);
            return -1;
        }
        if (c != '\\') {
            unsigned r;
            size_t size = gojson_utf8_decode((const unsigned char *)s + i, n - 1 - i, &r);
            strbuf_append(&sb, s + i, size);
            i += size;
            continue;
        }
        if (i + 2 >= n) {
            strbuf_release(&sb);
            return -1;
        }
        char e = s[i + 1];
        i += 2;
        unsigned value = 0;
        int digits = 0, base = 16, is_byte = 0;
        switch (e) {
        case 'a': strbuf_append(&sb, "\a", 1); continue;
        case 'b': strbuf_append(&sb, "\b", 1); continue;
        case 'f': strbuf_append(&sb, "\f", 1); continue;
        case 'n': strbuf_append(&sb, "\n", 1); continue;
        case 'r': strbuf_append(&sb, "\r", 1); continue;
        case 't': strbuf_append(&sb, "\t", 1); continue;
        case 'v': strbuf_append(&sb, "\v", 1); continue;
        case '\\': strbuf_append(&sb, "\\", 1); continue;
        case '\'':
        case '"':
            if (e != q) {
                strbuf_release(&sb);
                return -1;
            }
            strbuf_append(&sb, &e, 1);
            continue;
        case 'x': digits = 2; is_byte = 1; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default:
            if (e >= '0' && e <= '7') {
                digits = 2;
                base = 8;
                is_byte = 1;
                value = (unsigned)(e - '0');
                break;
            }
            strbuf_release(&sb);
            return -1;
        }
        for (int k = 0; k < digits; k++, i++) {
            int dv = -1;
            char c2 = i + 1 < n ? s[i] : 0;
            if (c2 >= '0' && c2 <= '9')
                dv = c2 - '0';
            else if (base == 16 && c2 >= 'a' && c2 <= 'f')
                dv = c2 - 'a' + 10;
            else if (base == 16 && c2 >= 'A' && c2 <= 'F')
                dv = c2 - 'A' + 10;
            if (dv < 0 || dv >= base) {
                strbuf_release(&sb);
                return -1;
            }
            value = value * (unsigned)base + (unsigned)dv;
        }
        if (is_byte) {
            if (value > 255) {
                strbuf_release(&sb);
                return -1;
            }
            char b = (char)value;
            strbuf_append(&sb, &b, 1);
        } else {
            if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
                strbuf_release(&sb);
                return -1;
            }
            template_put_rune(&sb, value);
        }
    }
    if (q == '\'' && runes != 1) {
        strbuf_release(&sb);
        return -1;
    }
    *out = template_keep(st, &sb, out_len);
    return 0;
}

/* parse.NumberNode: integers (with base prefixes and _), floats, runes */
template_node *template_new_number(template_state *st, template_tok t)
{
    template_node *n = template_new_node(st, NODE_NUMBER, t.pos);
    n->text = template_strndup(st, t.val, t.len);
    n->text_len = t.len;
    if (t.type == TOK_COMPLEX || (t.len > 1 && t.val[t.len - 1] == 'i')) {
        /* "1+2i" or "2i" */
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", (int)(t.len - 1), t.val);
        char *plus = NULL;
        for (char *q = buf + 1; *q; q++)
            if ((*q == '+' || *q == '-') && q[-1] != 'e' && q[-1] != 'E' && q[-1] != 'p' && q[-1] != 'P')
                plus = q;
        char *end;
        double re = 0, im;
        if (plus) {
            char sign = *plus;
            *plus = '\0';
            re = strtod(buf, &end);
            if (*end)
                template_parse_fail(st, "illegal number syntax: \"%s\"", n->text);
            *plus = sign;
            im = strtod(plus, &end);
        } else {
            im = strtod(buf, &end);
        }
        if (*end || (t.type == TOK_COMPLEX && !plus))
            template_parse_fail(st, "illegal number syntax: \"%s\"", n->text);
        if (im != 0) {
            n->is_complex = 1;
            n->fval = re;
            n->imag = im;
            return n;
        }
        n->is_float = 1; /* a zero imaginary part leaves a real number */
        n->fval = re;
        if (re == floor(re) && fabs(re) < 9.2e18) {
            n->is_int = 1;
            n->ival = (int64_t)re;
        }
        return n;
    }
    if (t.type == TOK_CHAR_CONST) {
        char *v;
        size_t vl;
        if (template_unquote(st, t.val, t.len, &v, &vl) != 0)
            template_parse_fail(st, "malformed character constant: %s", n->text);
        unsigned r;
        gojson_utf8_decode((const unsigned char *)v, vl, &r);
        n->is_int = n->is_float = 1;
        n->ival = r;
        n->fval = r;
        return n;
    }
    /* strip underscores, remember the base */
    char clean[128];
    size_t k = 0;
    for (size_t i = 0; i < t.len && k + 1 < sizeof clean; i++)
        if (t.val[i] != '_')
            clean[k++] = t.val[i];
    clean[k] = '\0';
    const char *digits = clean;
    int neg = 0;
    if (*digits == '+' || *digits == '-') {
        neg = *digits == '-';
        digits++;
    }
    int base = 10;
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        base = 16;
    else if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
        base = 8;
    else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
        base = 2;
    const char *body = base == 10 ? digits : digits + 2;
    errno = 0;
    char *end;
    unsigned long long u = strtoull(body, &end, base);
    if (base == 10 && digits[0] == '0' && digits[1] && *end == '\0') {
        u = strtoull(digits, &end, 8); /* a leading 0 means octal */
    }
    if (*body && *end == '\0' && errno == 0 && u <= (unsigned long long)INT64_MAX + (unsigned long long)neg) {
        n->is_int = 1;
        n->ival = neg ? (int64_t)(0 - u) : (int64_t)u;
        n->is_float = 1;
        n->fval = (double)n->ival;
        return n;
    }
    if (base == 10 || base == 16) {
        errno = 0;
        double f = strtod(clean, &end);
        if (*end == '\0' && errno == 0 && end != clean) {
            if (!strpbrk(clean, ".eEpP") || base == 16) {
                if (!strpbrk(clean, ".pP"))
                    template_parse_fail(st, "integer overflow: \"%s\"", n->text);
            }
            n->is_float = 1;
            n->fval = f;
            if (f == floor(f) && fabs(f) < 9.2e18) {
                n->is_int = 1;
                n->ival = (int64_t)f;
            }
            return n;
        }
    }
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "illegal number syntax: ");
    template_quote(&sb, t.val, t.len, '"');
    template_parse_fail(st, "%s", template_keep(st, &sb, NULL));
}

