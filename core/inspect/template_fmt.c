/* core/inspect/template_fmt.c — Go's fmt as templates print through it: %v of
 * every value kind (a bare {{.X}}, print, println), Sprintf's verbs, flags,
 * widths, precisions and argument indexes, and fmt's %!verb(type=value)
 * complaints, so that output matches skopeo's byte for byte. */
#include "inspect/template_internal.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

const template_fmt template_fmt_plain = {0, 0, 0, 0, 0, -1, -1};

size_t template_rune_count(const char *s, size_t n)
{
    size_t runes = 0;
    for (size_t i = 0; i < n; runes++) {
        unsigned r;
        i += gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
    }
    return runes;
}

/* Appends n copies of c, in blocks: a width may reach ten million. */
static void template_fill(strbuf *sb, char c, size_t n)
{
    char block[512];
    memset(block, c, sizeof block);
    while (n > 0) {
        size_t k = n < sizeof block ? n : sizeof block;
        strbuf_append(sb, block, k);
        n -= k;
    }
}

/* fmt.pad: width counted in runes; zero padding goes after a sign */
static void template_pad(strbuf *sb, const char *s, size_t n, const template_fmt *f, int numeric)
{
    size_t runes = template_rune_count(s, n);
    size_t pad = f->wid > 0 && (size_t)f->wid > runes ? (size_t)f->wid - runes : 0;
    if (f->minus) {
        strbuf_append(sb, s, n);
        template_fill(sb, ' ', pad);
        return;
    }
    if (f->zero && pad) {
        if (numeric && n > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
            strbuf_append(sb, s, 1);
            s++;
            n--;
        }
        template_fill(sb, '0', pad);
    } else {
        template_fill(sb, ' ', pad);
    }
    strbuf_append(sb, s, n);
}

static void template_bad_verb(template_state *st, strbuf *sb, const template_value *v, char verb)
{
    strbuf_printf(sb, "%%!%c(", verb);
    if (v->kind == VAL_NIL || v->kind == VAL_INVALID) {
        strbuf_puts(sb, "<nil>");
    } else {
        strbuf_printf(sb, "%s=", v->type);
        template_fmt_value(st, sb, v, 'v', &template_fmt_plain, 0);
    }
    strbuf_puts(sb, ")");
}

static void template_fmt_string(strbuf *sb, const char *s, size_t n, char verb, const template_fmt *f)
{
    strbuf tmp = STRBUF_INIT;
    /* the precision cuts the string before it is encoded: runes, but
     * bytes for %x */
    if (f->prec >= 0 && (verb == 'x' || verb == 'X')) {
        if ((size_t)f->prec < n)
            n = (size_t)f->prec;
    } else if (f->prec >= 0) {
        size_t i = 0, runes = 0;
        while (i < n && runes < (size_t)f->prec) {
            unsigned r;
            i += gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
            runes++;
        }
        n = i;
    }
    switch (verb) {
    case 'v':
    case 's':
        template_pad(sb, s, n, f, 0);
        return;
    case 'q': {
        int backquote = f->sharp;
        for (size_t i = 0; backquote && i < n;) {
            unsigned r;
            size_t size = gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
            if ((size == 1 && r == 0xFFFD) || r == '`' || r == 0xFEFF || (r < ' ' && r != '\t') || r == 0x7f)
                backquote = 0;
            i += size;
        }
        if (backquote) {
            strbuf_append(&tmp, "`", 1);
            strbuf_append(&tmp, s, n);
            strbuf_append(&tmp, "`", 1);
        } else {
            template_quote_ex(&tmp, s, n, '"', f->plus);
        }
        break;
    }
    case 'x':
    case 'X': {
        const char *digits = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
        for (size_t i = 0; i < n; i++) {
            if (i && f->space)
                strbuf_append(&tmp, " ", 1);
            if (f->sharp && (i == 0 || f->space))
                strbuf_puts(&tmp, verb == 'x' ? "0x" : "0X");
            unsigned char c = (unsigned char)s[i];
            strbuf_append(&tmp, &digits[c >> 4], 1);
            strbuf_append(&tmp, &digits[c & 15], 1);
        }
        break;
    }
    }
    template_pad(sb, tmp.data ? tmp.data : "", tmp.len, f, 0);
    strbuf_release(&tmp);
}

/* fmt's fmtC, fmtQc and fmtUnicode: %c, %q and %U of an integer */
static void template_fmt_rune(strbuf *sb, int64_t x, char verb, const template_fmt *f)
{
    strbuf tmp = STRBUF_INIT;
    uint64_t u = (uint64_t)x;
    unsigned r = u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF) ? 0xFFFD : (unsigned)u;
    if (verb == 'c') {
        template_put_rune(&tmp, r);
    } else if (verb == 'q') {
        strbuf rb = STRBUF_INIT;
        template_put_rune(&rb, r);
        template_quote_ex(&tmp, rb.data, rb.len, '\'', f->plus);
        strbuf_release(&rb);
    } else {
        /* %U prints the number itself, however large; %#U adds the rune
         * when strconv.IsPrint would */
        strbuf_printf(&tmp, "U+%0*llX", f->prec > 4 ? f->prec : 4, (unsigned long long)u);
        if (f->sharp && u <= 0x10FFFF && r == u && template_rune_printable(r)) {
            strbuf_puts(&tmp, " '");
            template_put_rune(&tmp, r);
            strbuf_puts(&tmp, "'");
        }
    }
    template_fmt tf = *f;
    if (verb == 'U')
        tf.zero = 0;
    template_pad(sb, tmp.data, tmp.len, &tf, 0);
    strbuf_release(&tmp);
}

/* fmt's fmtInteger: zero padding is done as a precision (after any 0x), a
 * precision turns the zero flag off, and precision 0 prints 0 as nothing */
static void template_fmt_int(strbuf *sb, int64_t x, int is_unsigned, char verb, const template_fmt *f)
{
    if (verb == 'c' || verb == 'q' || verb == 'U') {
        template_fmt_rune(sb, x, verb, f);
        return;
    }
    template_fmt spaces = *f;
    spaces.zero = 0;
    int negative = !is_unsigned && x < 0;
    uint64_t u = negative ? (uint64_t)(-(x + 1)) + 1 : (uint64_t)x;
    int prec = 0;
    if (f->prec >= 0) {
        prec = f->prec;
        if (prec == 0 && u == 0) {
            template_pad(sb, "", 0, &spaces, 0);
            return;
        }
    } else if (f->zero && f->wid > 0) {
        prec = f->wid;
        if (negative || f->plus || f->space)
            prec--;
    }
    int base = verb == 'x' || verb == 'X' ? 16 : verb == 'o' || verb == 'O' ? 8 : verb == 'b' ? 2 : 10;
    const char *set = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    strbuf digits = STRBUF_INIT; /* least significant first */
    do {
        strbuf_append(&digits, &set[u % (uint64_t)base], 1);
        u /= (uint64_t)base;
    } while (u);
    while (digits.len < (size_t)prec)
        strbuf_append(&digits, "0", 1);
    strbuf tmp = STRBUF_INIT;
    if (negative)
        strbuf_append(&tmp, "-", 1);
    else if (f->plus)
        strbuf_append(&tmp, "+", 1);
    else if (f->space)
        strbuf_append(&tmp, " ", 1);
    if (verb == 'O')
        strbuf_puts(&tmp, "0o");
    if (f->sharp && base == 2)
        strbuf_puts(&tmp, "0b");
    else if (f->sharp && base == 8 && !digits.failed && digits.data[digits.len - 1] != '0')
        strbuf_puts(&tmp, "0");
    else if (f->sharp && base == 16)
        strbuf_puts(&tmp, verb == 'X' ? "0X" : "0x");
    for (size_t k = digits.len; k > 0 && !digits.failed; k--)
        strbuf_append(&tmp, &digits.data[k - 1], 1);
    template_pad(sb, tmp.data ? tmp.data : "", tmp.len, &spaces, 1);
    strbuf_release(&digits);
    strbuf_release(&tmp);
}

static void template_fmt_float(strbuf *sb, double x, char verb, const template_fmt *f)
{
    char buf[512];
    if (verb == 'v')
        verb = 'g';
    if (verb == 'x' || verb == 'X') {
        /* Go writes at least two exponent digits: 0x1.cp+01 */
        char spec[16];
        if (f->prec < 0)
            snprintf(spec, sizeof spec, "%%%c", verb == 'x' ? 'a' : 'A');
        else
            snprintf(spec, sizeof spec, "%%.%d%c", f->prec, verb == 'x' ? 'a' : 'A');
        snprintf(buf, sizeof buf, spec, x);
        char *p = strpbrk(buf, "pP");
        if (p && (p[1] == '+' || p[1] == '-') && p[2] && !p[3])
            memmove(p + 3, p + 2, 2), p[2] = '0';
    } else if (f->prec < 0 && (verb == 'g' || verb == 'G')) {
        gojson_format_float(x, 'g', buf, sizeof buf);
        if (verb == 'G')
            for (char *p = buf; *p; p++)
                *p = (char)toupper((unsigned char)*p);
    } else {
        char spec[16];
        snprintf(spec, sizeof spec, "%%.%d%c", f->prec < 0 ? 6 : f->prec, verb == 'F' ? 'f' : verb);
        snprintf(buf, sizeof buf, spec, x);
    }
    strbuf tmp = STRBUF_INIT;
    if (f->plus && buf[0] != '-')
        strbuf_append(&tmp, "+", 1);
    else if (f->space && buf[0] != '-')
        strbuf_append(&tmp, " ", 1);
    strbuf_puts(&tmp, buf);
    template_pad(sb, tmp.data, tmp.len, f, 1);
    strbuf_release(&tmp);
}

/* time.Time.GoString */
static void template_time_gostring(strbuf *sb, const gotime *t)
{
    gotime_civil cv;
    gotime_civil_of(t, &cv);
    strbuf_printf(sb, "time.Date(%lld, time.%s, %d, %d, %d, %d, %d, ", (long long)cv.year,
                  gotime_month_name(cv.month), cv.day, cv.hour, cv.minute, cv.second, (int)t->nsec);
    if (t->offset == 0 && strcmp(t->zone, "UTC") == 0)
        strbuf_puts(sb, "time.UTC)");
    else if (t->zone[0])
        strbuf_puts(sb, "time.Local)");
    else
        strbuf_puts(sb, "time.Location(\"\"))");
}

/* %#v: Go syntax */
static void template_fmt_gosyntax(template_state *st, strbuf *sb, const template_value *v, int depth)
{
    switch (v->kind) {
    case VAL_STRING:
        template_quote(sb, v->s, v->n, '"');
        return;
    case VAL_STRINGS:
        if (v->is_nil) {
            strbuf_puts(sb, "[]string(nil)");
            return;
        }
        strbuf_puts(sb, "[]string{");
        for (size_t i = 0; i < v->len; i++) {
            size_t n;
            const char *s = template_strings_get(v, i, &n);
            if (i)
                strbuf_puts(sb, ", ");
            template_quote(sb, s, n, '"');
        }
        strbuf_puts(sb, "}");
        return;
    case VAL_MAP: {
        if (v->is_nil) {
            strbuf_puts(sb, "map[string]string(nil)");
            return;
        }
        size_t n;
        template_kv *kv = template_map_sorted(st, v, &n);
        strbuf_puts(sb, "map[string]string{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_puts(sb, ", ");
            template_quote(sb, kv[i].key, kv[i].key_len, '"');
            strbuf_puts(sb, ":");
            template_quote(sb, json_string_value(kv[i].value), json_string_length(kv[i].value), '"');
        }
        strbuf_puts(sb, "}");
        return;
    }
    case VAL_TIME:
        if (v->is_nil)
            strbuf_puts(sb, "<nil>");
        else
            template_time_gostring(sb, &v->t);
        return;
    case VAL_OUTPUT:
        strbuf_puts(sb, "inspect.Output{");
        for (size_t i = 0; i < template_output_field_count(); i++) {
            template_value e = template_output_get(st, i);
            strbuf_printf(sb, "%s%s:", i ? ", " : "", template_output_field_name(i));
            template_fmt_gosyntax(st, sb, &e, depth + 1);
        }
        strbuf_puts(sb, "}");
        return;
    case VAL_ROOT: {
        template_value e = template_invalid();
        e.kind = VAL_OUTPUT;
        e.type = "inspect.Output";
        strbuf_puts(sb, "[]interface {}{");
        template_fmt_gosyntax(st, sb, &e, depth + 1);
        strbuf_puts(sb, "}");
        return;
    }
    default:
        template_fmt_value(st, sb, v, 'v', &template_fmt_plain, depth);
        return;
    }
}

/* fmt's printValue/printArg for the values a template meets */
void template_fmt_value(template_state *st, strbuf *sb, const template_value *v, char verb,
                               const template_fmt *f, int depth)
{
    if (verb == 'v' && f->sharp) {
        strbuf tmp = STRBUF_INIT;
        template_fmt_gosyntax(st, &tmp, v, depth);
        template_pad(sb, tmp.data ? tmp.data : "", tmp.len, f, 0);
        strbuf_release(&tmp);
        return;
    }
    if (verb == 'T') {
        template_fmt_string(sb, v->kind == VAL_NIL || v->kind == VAL_INVALID ? "<nil>" : v->type,
                            strlen(v->kind == VAL_NIL || v->kind == VAL_INVALID ? "<nil>" : v->type), 's', f);
        return;
    }
    int stringer_verb = verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q';
    switch (v->kind) {
    case VAL_INVALID: /* as an interface{} argument it is nil */
    case VAL_NIL:
        if (verb == 'v')
            template_pad(sb, "<nil>", 5, f, 0);
        else
            template_bad_verb(st, sb, v, verb);
        return;
    case VAL_BOOL:
        if (verb == 'v' || verb == 't')
            template_pad(sb, v->b ? "true" : "false", v->b ? 4 : 5, f, 0);
        else
            template_bad_verb(st, sb, v, verb);
        return;
    case VAL_INT:
        if (strchr("vdbcoOqxXU", verb))
            template_fmt_int(sb, v->i, strcmp(v->type, "uint8") == 0, verb == 'v' ? 'd' : verb, f);
        else
            template_bad_verb(st, sb, v, verb);
        return;
    case VAL_FLOAT:
        if (strchr("veEfFgGxX", verb))
            template_fmt_float(sb, v->f, verb, f);
        else
            template_bad_verb(st, sb, v, verb);
        return;
    case VAL_COMPLEX:
        if (strchr("veEfFgGxX", verb)) {
            template_fmt plus = *f;
            plus.plus = 1;
            strbuf_puts(sb, "(");
            template_fmt_float(sb, v->f, verb, f);
            template_fmt_float(sb, v->im, verb, &plus);
            strbuf_puts(sb, "i)");
        } else {
            template_bad_verb(st, sb, v, verb);
        }
        return;
    case VAL_STRING:
        if (stringer_verb)
            template_fmt_string(sb, v->s, v->n, verb, f);
        else
            template_bad_verb(st, sb, v, verb);
        return;
    case VAL_ERROR:
        if (v->is_nil) {
            template_pad(sb, "<nil>", 5, f, 0);
        } else if (stringer_verb) {
            template_fmt_string(sb, v->s, v->n, verb, f);
        } else {
            template_bad_verb(st, sb, v, verb);
        }
        return;
    case VAL_MONTH:
    case VAL_WEEKDAY:
        if (stringer_verb) {
            const char *name = v->kind == VAL_MONTH ? gotime_month_name((int)v->i) : gotime_weekday_name((int)v->i);
            template_fmt_string(sb, name, strlen(name), verb, f);
        } else {
            template_fmt_int(sb, v->i, 0, verb, f);
        }
        return;
    case VAL_TIME: {
        if (v->is_nil) {
            template_pad(sb, "<nil>", 5, f, 0);
            return;
        }
        if (!stringer_verb) {
            template_bad_verb(st, sb, v, verb);
            return;
        }
        char *s = gotime_string(&v->t);
        if (s == NULL)
            template_fail(st, "out of memory");
        template_fmt_string(sb, s, strlen(s), verb, f);
        free(s);
        return;
    }
    case VAL_STRINGS:
        strbuf_puts(sb, "[");
        for (size_t i = 0; i < v->len; i++) {
            size_t n;
            const char *s = template_strings_get(v, i, &n);
            if (i)
                strbuf_puts(sb, " ");
            template_value e = template_string_value(s, n, "string");
            template_fmt_value(st, sb, &e, verb, f, depth + 1);
        }
        strbuf_puts(sb, "]");
        return;
    case VAL_MAP: {
        size_t n;
        template_kv *kv = template_map_sorted(st, v, &n);
        strbuf_puts(sb, "map[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_puts(sb, " ");
            template_value k = template_string_value(kv[i].key, kv[i].key_len, "string");
            template_value e = template_string_value(json_string_value(kv[i].value),
                                                     json_string_length(kv[i].value), "string");
            template_fmt_value(st, sb, &k, verb, f, depth + 1);
            strbuf_puts(sb, ":");
            template_fmt_value(st, sb, &e, verb, f, depth + 1);
        }
        strbuf_puts(sb, "]");
        return;
    }
    case VAL_OUTPUT:
        strbuf_puts(sb, "{");
        for (size_t i = 0; i < template_output_field_count(); i++) {
            if (i)
                strbuf_puts(sb, " ");
            if (f->plus)
                strbuf_printf(sb, "%s:", template_output_field_name(i));
            template_value e = template_output_get(st, i);
            template_fmt_value(st, sb, &e, verb, f, depth + 1);
        }
        strbuf_puts(sb, "}");
        return;
    case VAL_ROOT: {
        strbuf_puts(sb, "[");
        template_value e = template_invalid();
        e.kind = VAL_OUTPUT;
        e.type = "inspect.Output";
        template_fmt_value(st, sb, &e, verb, f, depth + 1);
        strbuf_puts(sb, "]");
        return;
    }
    }
}

/* fmt's tooLarge (Go 1.19, skopeo 1.9.3's): a width or precision above a
 * million (either sign) is refused, which also keeps the padding bounded. */
static int template_fmt_too_large(int64_t x)
{
    return x > 1000000 || x < -1000000;
}

/* fmt's parsenum: the decimal number at format[*i], or -1 when there is
 * none. A number growing too large ("crazy long", Go says) gives -1 and
 * takes the rest of the format, as Go's does. */
static int template_fmt_parsenum(const char *format, size_t flen, size_t *i)
{
    int num = 0, isnum = 0;
    while (*i < flen && format[*i] >= '0' && format[*i] <= '9') {
        if (template_fmt_too_large(num)) {
            *i = flen;
            return -1;
        }
        num = num * 10 + (format[*i] - '0');
        isnum = 1;
        (*i)++;
    }
    return isnum ? num : -1;
}

/* fmt.Sprintf with the verbs and flags templates use */
void template_sprintf(template_state *st, strbuf *sb, const char *format, size_t flen,
                             const template_value *args, size_t nargs)
{
    size_t argi = 0;
    size_t i = 0;
    int reordered = 0, bad_index = 0;
    while (i < flen) {
        if (format[i] != '%') {
            strbuf_append(sb, format + i, 1);
            i++;
            continue;
        }
        i++;
        template_fmt f = template_fmt_plain;
        for (; i < flen; i++) {
            char c = format[i];
            if (c == '-') {
                f.minus = 1;
                f.zero = 0;
            } else if (c == '+') {
                f.plus = 1;
            } else if (c == '#') {
                f.sharp = 1;
            } else if (c == ' ') {
                f.space = 1;
            } else if (c == '0') {
                f.zero = !f.minus;
            } else {
                break;
            }
        }
        /* explicit argument index [n] */
        bad_index = 0;
        if (i < flen && format[i] == '[') {
            size_t j = i + 1;
            int idx = 0;
            reordered = 1;
            while (j < flen && format[j] >= '0' && format[j] <= '9' && idx < 100000)
                idx = idx * 10 + (format[j++] - '0');
            if (j < flen && format[j] == ']' && idx >= 1 && (size_t)idx <= nargs) {
                argi = (size_t)idx - 1;
            } else {
                bad_index = 1;
                while (j < flen && format[j] != ']')
                    j++;
            }
            i = j < flen ? j + 1 : j;
        }
        if (i < flen && format[i] == '*') {
            i++;
            if (argi < nargs && args[argi].kind == VAL_INT && !template_fmt_too_large(args[argi].i)) {
                f.wid = (int)args[argi].i;
                if (f.wid < 0) {
                    f.minus = 1;
                    f.wid = -f.wid;
                }
            } else {
                strbuf_puts(sb, "%!(BADWIDTH)");
            }
            argi++;
        } else {
            f.wid = template_fmt_parsenum(format, flen, &i);
        }
        /* A '.' ending the format is the verb, not a precision. */
        if (i + 1 < flen && format[i] == '.') {
            i++;
            f.prec = 0;
            if (i < flen && format[i] == '*') {
                i++;
                if (argi < nargs && args[argi].kind == VAL_INT && args[argi].i >= 0 &&
                    !template_fmt_too_large(args[argi].i))
                    f.prec = (int)args[argi].i;
                else {
                    f.prec = -1; /* Go goes on as if none was given */
                    strbuf_puts(sb, "%!(BADPREC)");
                }
                argi++;
            } else {
                int prec = template_fmt_parsenum(format, flen, &i);
                f.prec = prec < 0 ? 0 : prec;
            }
        }
        if (i >= flen) {
            strbuf_puts(sb, "%!(NOVERB)");
            break;
        }
        unsigned verb;
        size_t size = gojson_utf8_decode((const unsigned char *)format + i, flen - i, &verb);
        i += size;
        if (verb == '%') {
            strbuf_append(sb, "%", 1);
            continue;
        }
        if (bad_index || argi >= nargs) {
            strbuf_puts(sb, "%!");
            template_put_rune(sb, verb);
            strbuf_puts(sb, bad_index ? "(BADINDEX)" : "(MISSING)");
            continue;
        }
        const template_value *a = &args[argi++];
        if (verb < 0x80 && strchr("vTtbcdoOqxXUeEfFgGs", (int)verb))
            template_fmt_value(st, sb, a, (char)verb, &f, 0);
        else {
            strbuf_puts(sb, "%!");
            template_put_rune(sb, verb);
            strbuf_puts(sb, "(");
            if (a->kind == VAL_NIL || a->kind == VAL_INVALID) {
                strbuf_puts(sb, "<nil>");
            } else {
                strbuf_printf(sb, "%s=", a->type);
                template_fmt_value(st, sb, a, 'v', &template_fmt_plain, 0);
            }
            strbuf_puts(sb, ")");
        }
    }
    if (!reordered && argi < nargs) {
        strbuf_puts(sb, "%!(EXTRA ");
        for (size_t k = argi; k < nargs; k++) {
            if (k > argi)
                strbuf_puts(sb, ", ");
            if (args[k].kind == VAL_NIL || args[k].kind == VAL_INVALID) {
                strbuf_puts(sb, "<nil>");
            } else {
                strbuf_printf(sb, "%s=", args[k].type);
                template_fmt_value(st, sb, &args[k], 'v', &template_fmt_plain, 0);
            }
        }
        strbuf_puts(sb, ")");
    }
}

static int template_is_string_kind(const template_value *v)
{
    return v->kind == VAL_STRING;
}

/* fmt.Sprint (spaces between operands when neither is a string) or Sprintln */
void template_sprint(template_state *st, strbuf *sb, const template_value *args, size_t nargs, int ln)
{
    for (size_t i = 0; i < nargs; i++) {
        if (i > 0 && (ln || (!template_is_string_kind(&args[i]) && !template_is_string_kind(&args[i - 1]))))
            strbuf_puts(sb, " ");
        template_fmt_value(st, sb, &args[i], 'v', &template_fmt_plain, 0);
    }
    if (ln)
        strbuf_puts(sb, "\n");
}
