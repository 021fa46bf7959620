/* core/inspect/template_support.c — what every part of the template engine
 * leans on: the run's state and arena (one allocation list freed at the end,
 * so that a longjmp out of any depth leaks nothing), error unwinding, and Go's
 * strconv quoting and rune printing as text/template's messages use them. */
#include "inspect/template_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

/* Ends the run with the message in msg (consumed): back to the setjmp of
 * whoever started it (inspect_render_template_partial, or a unit test). */
void template_throw(template_state *st, strbuf *msg)
{
    free(st->msg);
    st->msg = strbuf_detach(msg, NULL);
    longjmp(st->jmp, 1);
}

void template_fail(template_state *st, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    template_throw(st, &sb);
}

void *template_alloc(template_state *st, size_t size)
{
    if (st->n_arena == st->cap_arena) {
        size_t ncap = st->cap_arena ? st->cap_arena * 2 : 64;
        void **a = realloc(st->arena, ncap * sizeof *a);
        if (a == NULL)
            template_fail(st, "out of memory");
        st->arena = a;
        st->cap_arena = ncap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p == NULL)
        template_fail(st, "out of memory");
    st->arena[st->n_arena++] = p;
    return p;
}

char *template_strndup(template_state *st, const char *s, size_t n)
{
    char *p = template_alloc(st, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Moves a strbuf's contents into the arena. */
char *template_keep(template_state *st, strbuf *sb, size_t *len)
{
    if (sb->failed) {
        strbuf_release(sb);
        template_fail(st, "out of memory");
    }
    char *s = template_strndup(st, sb->data ? sb->data : "", sb->len);
    if (len)
        *len = sb->len;
    strbuf_release(sb);
    return s;
}

/* Returns arr with room for one more element, moved within the arena when
 * full (the old copy stays there until the end of the run). */
void *template_arena_grow(template_state *st, void *arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *a = template_alloc(st, ncap * elem);
    if (n)
        memcpy(a, arr, n * elem);
    *cap = ncap;
    return a;
}

/* Appends a pointer to an arena array of pointers; returns the array. */
void *template_push_ptr(template_state *st, void *arr, size_t *n, size_t *cap, const void *item)
{
    arr = template_arena_grow(st, arr, *n, cap, sizeof item);
    memcpy((char *)arr + *n * sizeof item, &item, sizeof item);
    (*n)++;
    return arr;
}

/* 1 + the number of newlines before pos */
int template_line_of(const template_state *st, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos && i < st->len; i++)
        if (st->text[i] == '\n')
            line++;
    return line;
}

/* ================================================================ Go quoting */

/* An approximation of unicode.IsPrint for runes above ASCII. */
int template_rune_printable(unsigned r)
{
    if (r < 0x20 || r == 0x7f)
        return 0;
    if (r >= 0x80 && r < 0xa0)
        return 0;
    if (r == 0xad || r == 0x2028 || r == 0x2029 || r == 0xfeff || (r >= 0x200b && r <= 0x200f) ||
        (r >= 0x202a && r <= 0x202e) || (r >= 0x2060 && r <= 0x2064) || (r >= 0xe000 && r <= 0xf8ff) ||
        r == 0xfffe || r == 0xffff)
        return 0;
    if (r == 0xa0 || (r >= 0x2000 && r <= 0x200a) || r == 0x3000 || r == 0x1680 || r == 0x202f || r == 0x205f)
        return 0; /* spaces other than U+0020 are not "graphic" for IsPrint */
    return 1;
}

void template_put_rune(strbuf *sb, unsigned r)
{
    strbuf_put_rune(sb, r);
}

/* strconv.Quote (quote '"') or QuoteRune (quote '\''); QuoteToASCII when
 * ascii is set. */
void template_quote_ex(strbuf *sb, const char *s, size_t n, char quote, int ascii)
{
    const unsigned char *p = (const unsigned char *)s;
    strbuf_append(sb, &quote, 1);
    for (size_t i = 0; i < n;) {
        unsigned r;
        size_t size = gojson_utf8_decode(p + i, n - i, &r);
        if (size == 1 && r == 0xFFFD) {
            strbuf_printf(sb, "\\x%02x", p[i]);
            i++;
            continue;
        }
        if (r == (unsigned char)quote || r == '\\') {
            strbuf_append(sb, "\\", 1);
            strbuf_append(sb, s + i, 1);
        } else if (template_rune_printable(r) && !(ascii && r >= 0x80)) {
            strbuf_append(sb, s + i, size);
        } else {
            switch (r) {
            case '\a': strbuf_puts(sb, "\\a"); break;
            case '\b': strbuf_puts(sb, "\\b"); break;
            case '\f': strbuf_puts(sb, "\\f"); break;
            case '\n': strbuf_puts(sb, "\\n"); break;
            case '\r': strbuf_puts(sb, "\\r"); break;
            case '\t': strbuf_puts(sb, "\\t"); break;
            case '\v': strbuf_puts(sb, "\\v"); break;
            default:
                if (r < ' ' || r == 0x7f)
                    strbuf_printf(sb, "\\x%02x", r);
                else if (r < 0x10000)
                    strbuf_printf(sb, "\\u%04x", r);
                else
                    strbuf_printf(sb, "\\U%08x", r);
            }
        }
        i += size;
    }
    strbuf_append(sb, &quote, 1);
}

void template_quote(strbuf *sb, const char *s, size_t n, char quote)
{
    template_quote_ex(sb, s, n, quote, 0);
}

/* fmt's %#U as text/template messages use it: U+003C '<' */
void template_sharp_u(strbuf *sb, unsigned r)
{
    strbuf_printf(sb, "U+%04X", r);
    if (template_rune_printable(r)) {
        strbuf_puts(sb, " '");
        template_put_rune(sb, r);
        strbuf_puts(sb, "'");
    }
}

template_state *template_state_new(const char *text, size_t len, const json_t *inspect)
{
    template_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->text = text;
    st->len = len;
    st->inspect = inspect;
    return st;
}

void template_state_free(template_state *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n_arena; i++)
        free(st->arena[i]);
    free(st->arena);
    strbuf_release(&st->tw.out);
    strbuf_release(&st->tw.buf);
    for (size_t i = 0; i < st->tw.n_lines; i++)
        free(st->tw.lines[i].cells);
    free(st->tw.lines);
    free(st->tw.widths);
    free(st->msg);
    free(st);
}
