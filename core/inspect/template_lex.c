/* core/inspect/template_lex.c — text/template's lexer (lex.go): text, {{ }}
 * actions with trim markers and comments, identifiers, fields, variables,
 * strings, numbers and keywords, with Go's error texts for bad input. Tokens
 * are pulled one at a time by the parser; none is allocated. */
#include "inspect/template_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "shared/gojson.h"

static int template_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* the rune at pos (U+FFFD for bad UTF-8), 0 at the end */
static unsigned template_rune_at(const template_state *st, size_t pos, size_t *size)
{
    if (pos >= st->len) {
        *size = 0;
        return 0;
    }
    unsigned r;
    *size = gojson_utf8_decode((const unsigned char *)st->text + pos, st->len - pos, &r);
    return r;
}

static int template_is_alnum(unsigned r)
{
    if (r == '_' || (r < 0x80 && isalnum((int)r)))
        return 1;
    return r >= 0x80 && r != 0xFFFD && template_rune_printable(r); /* approximates unicode.IsLetter */
}

static int template_at_terminator(const template_state *st, size_t pos)
{
    if (pos >= st->len)
        return 1;
    char c = st->text[pos];
    return template_is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(' || c == '}';
}

/* "}}" or " -}}" at pos: 1, or 2 with the trim marker, else 0 */
static int template_at_right_delim(const template_state *st, size_t pos)
{
    const char *s = st->text;
    if (pos + 2 <= st->len && s[pos] == '}' && s[pos + 1] == '}')
        return 1;
    if (pos + 4 <= st->len && template_is_space(s[pos]) && s[pos + 1] == '-' && s[pos + 2] == '}' && s[pos + 3] == '}')
        return 2;
    return 0;
}

static template_tok template_make_tok(template_state *st, template_tok_type type, size_t start, size_t end)
{
    template_tok t = {type, start, st->text + start, end - start};
    return t;
}

static template_tok template_lex_error(template_state *st, size_t start, const char *msg)
{
    template_tok t = {TOK_ERROR, start, msg, strlen(msg)};
    st->lx_done = 1;
    return t;
}

static template_tok template_lex_error_rune(template_state *st, size_t start, const char *what, unsigned r)
{
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "%s ", what);
    template_sharp_u(&sb, r);
    return template_lex_error(st, start, template_keep(st, &sb, NULL));
}

static size_t template_accept_run(const template_state *st, size_t p, const char *set)
{
    while (p < st->len && st->text[p] && strchr(set, st->text[p]))
        p++;
    return p;
}

static size_t template_accept(const template_state *st, size_t p, const char *set)
{
    if (p < st->len && st->text[p] && strchr(set, st->text[p]))
        return p + 1;
    return p;
}

/* text/template's scanNumber: returns the end, or 0 for bad syntax */
static size_t template_scan_number(const template_state *st, size_t p, int *ok)
{
    const char *digits = "0123456789_";
    p = template_accept(st, p, "+-");
    size_t q = template_accept(st, p, "0");
    if (q != p) {
        p = q;
        if ((q = template_accept(st, p, "xX")) != p)
            digits = "0123456789abcdefABCDEF_";
        else if ((q = template_accept(st, p, "oO")) != p)
            digits = "01234567_";
        else if ((q = template_accept(st, p, "bB")) != p)
            digits = "01_";
        p = q;
    }
    p = template_accept_run(st, p, digits);
    if ((q = template_accept(st, p, ".")) != p)
        p = template_accept_run(st, q, digits);
    if (strlen(digits) == 11 && (q = template_accept(st, p, "eE")) != p) {
        p = template_accept(st, q, "+-");
        p = template_accept_run(st, p, "0123456789_");
    }
    if (strlen(digits) == 23 && (q = template_accept(st, p, "pP")) != p) {
        p = template_accept(st, q, "+-");
        p = template_accept_run(st, p, "0123456789_");
    }
    p = template_accept(st, p, "i");
    size_t size;
    unsigned r = template_rune_at(st, p, &size);
    *ok = 1;
    if (p < st->len && template_is_alnum(r)) {
        *ok = 0;
        p += size;
    }
    return p;
}

/* Scans a quoted literal starting after the opening quote; returns the end
 * (after the closing quote) or 0 when unterminated. */
static size_t template_scan_quote(const template_state *st, size_t p, char quote)
{
    for (;;) {
        if (p >= st->len || st->text[p] == '\n')
            return 0;
        char c = st->text[p++];
        if (c == '\\') {
            if (p >= st->len || st->text[p] == '\n')
                return 0;
            p++;
        } else if (c == quote) {
            return p;
        }
    }
}

static template_tok template_lex_text(template_state *st)
{
    const char *s = st->text;
    size_t p = st->lx_pos;
    for (;;) {
        const char *x = p < st->len ? strstr(s + p, "{{") : NULL;
        if (x == NULL) {
            if (p < st->len) {
                st->lx_pos = st->len;
                return template_make_tok(st, TOK_TEXT, p, st->len);
            }
            st->lx_done = 1;
            return template_make_tok(st, TOK_EOF, st->len, st->len);
        }
        size_t d = (size_t)(x - s);
        int trim = d + 3 < st->len && s[d + 2] == '-' && template_is_space(s[d + 3]);
        if (d > p) {
            size_t end = d;
            if (trim)
                while (end > p && template_is_space(s[end - 1]))
                    end--;
            st->lx_pos = d;
            if (end > p)
                return template_make_tok(st, TOK_TEXT, p, end);
        }
        size_t after = d + 2 + (trim ? 2 : 0);
        if (after + 2 <= st->len && s[after] == '/' && s[after + 1] == '*') {
            const char *e = strstr(s + after + 2, "*/");
            if (e == NULL)
                return template_lex_error(st, after, "unclosed comment");
            size_t q = (size_t)(e - s) + 2;
            int rd = template_at_right_delim(st, q);
            if (!rd)
                return template_lex_error(st, after, "comment ends before closing delimiter");
            q += rd == 2 ? 4 : 2;
            if (rd == 2)
                while (q < st->len && template_is_space(s[q]))
                    q++;
            p = st->lx_pos = q;
            continue;
        }
        st->lx_in_action = 1;
        st->lx_paren = 0;
        st->lx_pos = after;
        return template_make_tok(st, TOK_LEFT_DELIM, d, d + 2);
    }
}

static template_tok_type template_keyword(const char *w, size_t n)
{
    static const struct {
        const char *word;
        template_tok_type type;
    } words[] = {
        {"block", TOK_BLOCK}, {"break", TOK_BREAK}, {"continue", TOK_CONTINUE}, {"define", TOK_DEFINE},
        {"else", TOK_ELSE},   {"end", TOK_END},     {"if", TOK_IF},             {"nil", TOK_NIL},
        {"range", TOK_RANGE}, {"template", TOK_TEMPLATE}, {"with", TOK_WITH},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == n && memcmp(words[i].word, w, n) == 0)
            return words[i].type;
    if ((n == 4 && memcmp(w, "true", 4) == 0) || (n == 5 && memcmp(w, "false", 5) == 0))
        return TOK_BOOL;
    return TOK_IDENT;
}

/* Scans letters and digits on from *q; fails as Go does when what follows
 * cannot end an operand ("bad character U+003C '<'"). */
static int template_scan_word(template_state *st, size_t p, size_t *q, template_tok *err)
{
    size_t size;
    while (*q < st->len && template_is_alnum(template_rune_at(st, *q, &size)))
        *q += size;
    if (template_at_terminator(st, *q))
        return 0;
    *err = template_lex_error_rune(st, p, "bad character", template_rune_at(st, *q, &size));
    return -1;
}

static template_tok template_lex_action(template_state *st)
{
    const char *s = st->text;
    size_t p = st->lx_pos;
    template_tok err;
    int rd = template_at_right_delim(st, p);
    if (rd) {
        if (st->lx_paren != 0)
            return template_lex_error(st, p, "unclosed left paren");
        size_t d = rd == 2 ? p + 2 : p;
        size_t q = d + 2;
        if (rd == 2)
            while (q < st->len && template_is_space(s[q]))
                q++;
        st->lx_pos = q;
        st->lx_in_action = 0;
        return template_make_tok(st, TOK_RIGHT_DELIM, d, d + 2);
    }
    if (p >= st->len)
        return template_lex_error(st, p, "unclosed action");
    size_t size;
    unsigned r = template_rune_at(st, p, &size);
    size_t q = p + size;
    switch (r) {
    case ' ':
    case '\t':
    case '\r':
    case '\n': {
        while (q < st->len && template_is_space(s[q]))
            q++;
        /* the last space may belong to a " -}}" delimiter */
        if (q < st->len && s[q] == '-' && template_at_right_delim(st, q - 1) == 2) {
            if (q - 1 == p) {
                st->lx_pos = p;
                return template_lex_action(st);
            }
            q--;
        }
        st->lx_pos = q;
        return template_make_tok(st, TOK_SPACE, p, q);
    }
    case '=':
        st->lx_pos = q;
        return template_make_tok(st, TOK_ASSIGN, p, q);
    case ':':
        if (q >= st->len || s[q] != '=')
            return template_lex_error(st, p, "expected :=");
        st->lx_pos = q + 1;
        return template_make_tok(st, TOK_DECLARE, p, q + 1);
    case '|':
        st->lx_pos = q;
        return template_make_tok(st, TOK_PIPE, p, q);
    case '"':
    case '`': {
        size_t end;
        if (r == '"') {
            end = template_scan_quote(st, q, '"');
        } else {
            const char *e = memchr(s + q, '`', st->len - q);
            end = e ? (size_t)(e - s) + 1 : 0;
        }
        if (end == 0)
            return template_lex_error(st, p, r == '"' ? "unterminated quoted string" : "unterminated raw quoted string");
        st->lx_pos = end;
        return template_make_tok(st, r == '"' ? TOK_STRING : TOK_RAW_STRING, p, end);
    }
    case '\'': {
        size_t end = template_scan_quote(st, q, '\'');
        if (end == 0)
            return template_lex_error(st, p, "unterminated character constant");
        st->lx_pos = end;
        return template_make_tok(st, TOK_CHAR_CONST, p, end);
    }
    case '$':
    case '.':
        if (r == '.' && q < st->len && s[q] >= '0' && s[q] <= '9')
            break; /* a number such as .5 */
        if (template_at_terminator(st, q)) {
            st->lx_pos = q;
            return template_make_tok(st, r == '$' ? TOK_VARIABLE : TOK_DOT, p, q);
        }
        if (template_scan_word(st, p, &q, &err) != 0)
            return err;
        st->lx_pos = q;
        return template_make_tok(st, r == '$' ? TOK_VARIABLE : TOK_FIELD, p, q);
    case '(':
        st->lx_paren++;
        st->lx_pos = q;
        return template_make_tok(st, TOK_LPAREN, p, q);
    case ')':
        st->lx_paren--;
        st->lx_pos = q;
        if (st->lx_paren < 0)
            st->lx_bad_paren = 1; /* Go emits the paren, then the error */
        return template_make_tok(st, TOK_RPAREN, p, q);
    default:
        break;
    }
    if (r == '+' || r == '-' || r == '.' || (r >= '0' && r <= '9')) {
        int ok;
        size_t end = template_scan_number(st, p, &ok);
        template_tok_type type = TOK_NUMBER;
        if (ok && end < st->len && (s[end] == '+' || s[end] == '-')) {
            end = template_scan_number(st, end, &ok);
            ok = ok && s[end - 1] == 'i';
            type = TOK_COMPLEX;
        }
        if (!ok) {
            strbuf sb = STRBUF_INIT;
            strbuf_puts(&sb, "bad number syntax: ");
            template_quote(&sb, s + p, end - p, '"');
            return template_lex_error(st, p, template_keep(st, &sb, NULL));
        }
        st->lx_pos = end;
        return template_make_tok(st, type, p, end);
    }
    if (template_is_alnum(r)) {
        if (template_scan_word(st, p, &q, &err) != 0)
            return err;
        st->lx_pos = q;
        return template_make_tok(st, template_keyword(s + p, q - p), p, q);
    }
    if (r < 0x80 && isprint((int)r)) {
        st->lx_pos = q;
        return template_make_tok(st, TOK_CHAR, p, q);
    }
    return template_lex_error_rune(st, p, "unrecognized character in action:", r);
}

template_tok template_lex(template_state *st)
{
    template_tok t;
    if (st->lx_bad_paren) {
        st->lx_bad_paren = 0;
        t = template_lex_error_rune(st, st->lx_pos - 1, "unexpected right paren", ')');
    } else if (st->lx_done)
        t = (template_tok){TOK_ERROR, st->len, "", 0}; /* what a closed item channel yields */
    else if (st->lx_in_action)
        t = template_lex_action(st);
    else
        t = template_lex_text(st);
    st->last_lexed_pos = t.pos;
    return t;
}
