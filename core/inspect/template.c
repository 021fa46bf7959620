/* core/inspect/template.c — `skopeo inspect --format`: Go's text/template
 * (Go 1.19) over the inspect output, wrapped the way skopeo 1.9.3's
 * containers/common report package wraps it.
 *
 * What skopeo does with a --format string, and so what this file does:
 *  - "" or a "json"/"{{json .}}" format prints the indented JSON;
 *  - otherwise the two-character sequences \t and \n become a tab and a
 *    newline (a "table " prefix is dropped and its spaces become tabs), a
 *    newline is appended unless there is one, and the text is wrapped in
 *    "{{range . }}…{{end}}" executed over a one-element []interface{}: hence
 *    error columns shifted by 12, "in type interface {}" for unknown fields,
 *    {{else}}, {{break}} and {{$}} meaning what they mean inside a range;
 *  - the output goes through a text/tabwriter (minwidth 8, padding 2) that
 *    is never flushed: text is only written out when a line without a tab
 *    completes, so a last line that holds a tab, or has no newline, is lost;
 *  - functions are text/template's builtins (no "upper", …), plus, as a
 *    ferry extension where skopeo 1.9.3 fails, newer skopeo's "json".
 *
 * The lexer, parser and evaluator follow text/template's structure so that
 * messages, positions and edge cases come out the same. Errors unwind with
 * longjmp; every allocation of a run lives in an arena freed at the end. */
#include "inspect/inspect.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/gojson.h"
#include "util/gotime.h"
#include "shared/strbuf.h"

#define TEMPLATE_NAME "skopeo inspect"
#define TEMPLATE_PREFIX "{{range . }}" /* 12 bytes, as skopeo's error columns show */
#define TEMPLATE_SUFFIX "{{end}}"
#define TEMPLATE_MAX_DEPTH 1000        /* nested {{template}} calls */

/* ================================================================ state */

typedef enum template_tok_type {
    TOK_ERROR,
    TOK_EOF,
    TOK_TEXT,
    TOK_LEFT_DELIM,
    TOK_RIGHT_DELIM,
    TOK_SPACE,
    TOK_IDENT,
    TOK_FIELD,
    TOK_VARIABLE,
    TOK_STRING,
    TOK_RAW_STRING,
    TOK_CHAR_CONST,
    TOK_NUMBER,
    TOK_COMPLEX,
    TOK_BOOL,
    TOK_PIPE,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_DECLARE,
    TOK_ASSIGN,
    TOK_CHAR,
    TOK_KEYWORD, /* keywords follow; they print as <name> */
    TOK_BLOCK,
    TOK_BREAK,
    TOK_CONTINUE,
    TOK_DOT,
    TOK_DEFINE,
    TOK_ELSE,
    TOK_END,
    TOK_IF,
    TOK_NIL,
    TOK_RANGE,
    TOK_TEMPLATE,
    TOK_WITH,
} template_tok_type;

typedef struct template_tok {
    template_tok_type type;
    size_t pos;
    const char *val;
    size_t len;
} template_tok;

typedef enum template_node_type {
    NODE_LIST,
    NODE_TEXT,
    NODE_ACTION,
    NODE_IF,
    NODE_RANGE,
    NODE_WITH,
    NODE_TEMPLATE,
    NODE_BREAK,
    NODE_CONTINUE,
    NODE_END,
    NODE_ELSE,
    NODE_PIPE,
    NODE_COMMAND,
    NODE_IDENT,
    NODE_FIELD,
    NODE_VARIABLE,
    NODE_CHAIN,
    NODE_DOT,
    NODE_NIL,
    NODE_BOOL,
    NODE_NUMBER,
    NODE_STRING,
} template_node_type;

typedef struct template_node template_node;
struct template_node {
    template_node_type type;
    size_t pos;
    template_node **kids; /* LIST items, PIPE commands, COMMAND arguments */
    size_t n_kids, cap_kids;
    template_node **decl; /* PIPE: declared variables */
    size_t n_decl;
    int is_assign;
    const char *text; /* TEXT and STRING value, IDENT and TEMPLATE name, NUMBER source */
    size_t text_len;
    const char *quoted; /* STRING: as written */
    const char **idents; /* FIELD names, VARIABLE "$x" then fields, CHAIN fields */
    size_t n_idents;
    template_node *node; /* CHAIN operand */
    template_node *pipe, *list, *else_list;
    int boolean;
    int is_int, is_float, is_complex;
    int64_t ival;
    double fval, imag;
};

typedef enum template_kind {
    VAL_INVALID, /* no value: a missing map key */
    VAL_NIL,     /* untyped nil */
    VAL_BOOL,
    VAL_INT,     /* int, int64, uint8 (by type name) */
    VAL_FLOAT,
    VAL_COMPLEX, /* f + im i */
    VAL_STRING,  /* string, digest.Digest, digest.Algorithm */
    VAL_STRINGS, /* []string */
    VAL_MAP,     /* map[string]string */
    VAL_TIME,    /* *time.Time (ptr) or time.Time */
    VAL_MONTH,
    VAL_WEEKDAY,
    VAL_ERROR,   /* an error value (nil prints <nil>) */
    VAL_OUTPUT,  /* skopeo's inspect.Output */
    VAL_ROOT,    /* []interface {}{Output} */
} template_kind;

typedef struct template_value {
    template_kind kind;
    const char *type; /* Go type name for messages and %T */
    int iface;        /* held in an interface{} */
    int is_nil;       /* STRINGS, MAP, TIME pointer, ERROR */
    int ptr;          /* TIME: a *time.Time */
    int64_t i;
    double f, im;
    int b;
    const char *s; /* STRING, ERROR message */
    size_t n;
    const json_t *j; /* STRINGS (a window off..off+len of an array), MAP (an object) */
    size_t off, len;
    gotime t;
} template_value;

typedef struct template_var {
    const char *name;
    template_value value;
} template_var;

typedef struct template_cell {
    size_t size;  /* bytes */
    size_t width; /* runes */
    int htab;
} template_cell;

typedef struct template_line {
    template_cell *cells;
    size_t n, cap;
} template_line;

/* text/tabwriter.Writer with minwidth 8, padding 2, padchar ' ', no flags */
typedef struct template_tabwriter {
    strbuf out;   /* everything flushed so far: the command's output */
    strbuf buf;   /* text of the cells not yet flushed */
    size_t pos;   /* buf position up to which the cell width is known */
    template_cell cell;
    int escaped;  /* inside an Escape (0xff) sequence */
    template_line *lines;
    size_t n_lines, cap_lines;
    size_t *widths;
    size_t n_widths, cap_widths;
} template_tabwriter;

typedef struct template_named {
    const char *name;
    template_node *body;
} template_named;

typedef struct template_state {
    jmp_buf jmp;
    char *msg;   /* the error, malloc'd */
    void **arena;
    size_t n_arena, cap_arena;
    const char *text; /* the wrapped template */
    size_t len;
    /* lexer */
    size_t lx_pos;
    int lx_in_action;
    int lx_paren;
    int lx_bad_paren;
    int lx_done;
    /* parser */
    template_tok tok[3];
    int peek_count;
    size_t last_lexed_pos;
    const char **vars;
    size_t n_vars, cap_vars;
    int range_depth;
    size_t action_pos;
    int in_action;
    template_named *named;
    size_t n_named, cap_named;
    /* execution */
    const json_t *inspect;
    const template_node *root;
    template_var *stack;
    size_t n_stack, cap_stack;
    const template_node *at;
    int loop_ctl; /* 1 after {{break}}, 2 after {{continue}} */
    int depth;
    template_tabwriter tw;
} template_state;

static void template_throw(template_state *st, strbuf *msg) __attribute__((noreturn));

/* Ends the run with the message in msg (consumed): back to the setjmp in
 * inspect_render_template_partial. */
static void template_throw(template_state *st, strbuf *msg)
{
    free(st->msg);
    st->msg = strbuf_detach(msg, NULL);
    longjmp(st->jmp, 1);
}

static void template_fail(template_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void template_fail(template_state *st, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    template_throw(st, &sb);
}

static void *template_alloc(template_state *st, size_t size)
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

static char *template_strndup(template_state *st, const char *s, size_t n)
{
    char *p = template_alloc(st, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Moves a strbuf's contents into the arena. */
static char *template_keep(template_state *st, strbuf *sb, size_t *len)
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
static void *template_arena_grow(template_state *st, void *arr, size_t n, size_t *cap, size_t elem)
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
static void *template_push_ptr(template_state *st, void *arr, size_t *n, size_t *cap, const void *item)
{
    arr = template_arena_grow(st, arr, *n, cap, sizeof item);
    memcpy((char *)arr + *n * sizeof item, &item, sizeof item);
    (*n)++;
    return arr;
}

/* 1 + the number of newlines before pos */
static int template_line_of(const template_state *st, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos && i < st->len; i++)
        if (st->text[i] == '\n')
            line++;
    return line;
}

/* ================================================================ Go quoting */

/* An approximation of unicode.IsPrint for runes above ASCII. */
static int template_rune_printable(unsigned r)
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

static void template_put_rune(strbuf *sb, unsigned r)
{
    char b[4];
    size_t n;
    if (r < 0x80) {
        b[0] = (char)r;
        n = 1;
    } else if (r < 0x800) {
        b[0] = (char)(0xC0 | (r >> 6));
        b[1] = (char)(0x80 | (r & 0x3F));
        n = 2;
    } else if (r < 0x10000) {
        b[0] = (char)(0xE0 | (r >> 12));
        b[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        b[2] = (char)(0x80 | (r & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (r >> 18));
        b[1] = (char)(0x80 | ((r >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((r >> 6) & 0x3F));
        b[3] = (char)(0x80 | (r & 0x3F));
        n = 4;
    }
    strbuf_append(sb, b, n);
}

/* strconv.Quote (quote '"') or QuoteRune (quote '\''); QuoteToASCII when
 * ascii is set. */
static void template_quote_ex(strbuf *sb, const char *s, size_t n, char quote, int ascii)
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

static void template_quote(strbuf *sb, const char *s, size_t n, char quote)
{
    template_quote_ex(sb, s, n, quote, 0);
}

/* fmt's %#U as text/template messages use it: U+003C '<' */
static void template_sharp_u(strbuf *sb, unsigned r)
{
    strbuf_printf(sb, "U+%04X", r);
    if (template_rune_printable(r)) {
        strbuf_puts(sb, " '");
        template_put_rune(sb, r);
        strbuf_puts(sb, "'");
    }
}

/* ================================================================ lexer */

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

static template_tok template_lex(template_state *st)
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

/* ================================================================ parser */

static void template_parse_fail(template_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void template_parse_fail(template_state *st, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "template: %s:%d: ", TEMPLATE_NAME, template_line_of(st, st->last_lexed_pos));
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    template_throw(st, &sb);
}

static template_tok template_next(template_state *st)
{
    if (st->peek_count > 0)
        st->peek_count--;
    else
        st->tok[0] = template_lex(st);
    return st->tok[st->peek_count];
}

static void template_backup(template_state *st)
{
    st->peek_count++;
}

static void template_backup2(template_state *st, template_tok t1)
{
    st->tok[1] = t1;
    st->peek_count = 2;
}

static void template_backup3(template_state *st, template_tok t2, template_tok t1)
{
    st->tok[1] = t1;
    st->tok[2] = t2;
    st->peek_count = 3;
}

static template_tok template_peek(template_state *st)
{
    if (st->peek_count > 0)
        return st->tok[st->peek_count - 1];
    st->peek_count = 1;
    st->tok[0] = template_lex(st);
    return st->tok[0];
}

static template_tok template_next_non_space(template_state *st)
{
    template_tok t;
    do
        t = template_next(st);
    while (t.type == TOK_SPACE);
    return t;
}

static template_tok template_peek_non_space(template_state *st)
{
    template_tok t = template_next_non_space(st);
    template_backup(st);
    return t;
}

/* item.String(): EOF, the error text, <keyword>, or the quoted value
 * (%.10q... when longer than 10 bytes) */
static void template_tok_string(strbuf *sb, const template_tok *t)
{
    if (t->type == TOK_EOF) {
        strbuf_puts(sb, "EOF");
    } else if (t->type == TOK_ERROR) {
        strbuf_append(sb, t->val, t->len);
    } else if (t->type > TOK_KEYWORD) {
        strbuf_printf(sb, "<%.*s>", (int)t->len, t->val);
    } else if (t->len > 10) {
        size_t n = 0, runes = 0;
        while (n < t->len && runes < 10) {
            unsigned r;
            n += gojson_utf8_decode((const unsigned char *)t->val + n, t->len - n, &r);
            runes++;
        }
        template_quote(sb, t->val, n, '"');
        strbuf_puts(sb, "...");
    } else {
        template_quote(sb, t->val, t->len, '"');
    }
}

static void template_unexpected(template_state *st, template_tok t, const char *context) __attribute__((noreturn));

static void template_unexpected(template_state *st, template_tok t, const char *context)
{
    strbuf sb = STRBUF_INIT;
    if (t.type == TOK_ERROR) {
        template_tok_string(&sb, &t);
        int tline = template_line_of(st, t.pos), aline = template_line_of(st, st->action_pos);
        if (st->in_action && aline != tline) {
            if (t.len >= 7 && memcmp(t.val + t.len - 7, " action", 7) == 0)
                strbuf_printf(&sb, " started at %s:%d", TEMPLATE_NAME, aline);
            else
                strbuf_printf(&sb, " in action started at %s:%d", TEMPLATE_NAME, aline);
        }
    } else {
        strbuf_puts(&sb, "unexpected ");
        template_tok_string(&sb, &t);
        strbuf_printf(&sb, " in %s", context);
    }
    char *msg = template_keep(st, &sb, NULL);
    template_parse_fail(st, "%s", msg);
}

static template_node *template_new_node(template_state *st, template_node_type type, size_t pos)
{
    template_node *n = template_alloc(st, sizeof *n);
    n->type = type;
    n->pos = pos;
    return n;
}

static void template_add_kid(template_state *st, template_node *parent, template_node *kid)
{
    parent->kids = template_push_ptr(st, parent->kids, &parent->n_kids, &parent->cap_kids, kid);
}

static void template_add_ident(template_state *st, template_node *n, const char *s, size_t len)
{
    const char **a = template_alloc(st, (n->n_idents + 1) * sizeof *a);
    if (n->n_idents)
        memcpy(a, n->idents, n->n_idents * sizeof *a);
    a[n->n_idents++] = template_strndup(st, s, len);
    n->idents = a;
}

/* ".A.B" into idents A, B */
static void template_add_fields(template_state *st, template_node *n, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i + 1;
        while (j < len && s[j] != '.')
            j++;
        template_add_ident(st, n, s + i + 1, j - i - 1);
        i = j;
    }
}

/* strconv.Unquote of a "…", `…` or '…' literal; returns -1 on bad syntax */
static int template_unquote(template_state *st, const char *s, size_t n, char **out, size_t *out_len)
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
static template_node *template_new_number(template_state *st, template_tok t)
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

static template_node *template_pipeline(template_state *st, const char *context, template_tok_type end);
static template_node *template_item_list(template_state *st, template_node **end_node);

static int template_has_function(const char *name, size_t len)
{
    static const char *const funcs[] = {"and",  "call",    "eq",     "ge",     "gt",    "html", "index",
                                        "js",   "json",    "le",     "len",    "lt",    "ne",   "not",
                                        "or",   "print",   "printf", "println", "slice", "urlquery"};
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (strlen(funcs[i]) == len && memcmp(funcs[i], name, len) == 0)
            return 1;
    return 0;
}

static template_node *template_use_var(template_state *st, template_tok t)
{
    template_node *v = template_new_node(st, NODE_VARIABLE, t.pos);
    size_t i = 0;
    while (i < t.len && t.val[i] != '.')
        i++;
    template_add_ident(st, v, t.val, i);
    if (i < t.len)
        template_add_fields(st, v, t.val + i, t.len - i);
    for (size_t k = st->n_vars; k > 0; k--)
        if (strcmp(st->vars[k - 1], v->idents[0]) == 0)
            return v;
    template_parse_fail(st, "undefined variable \"%s\"", v->idents[0]);
}

static template_node *template_term(template_state *st)
{
    template_tok t = template_next_non_space(st);
    switch (t.type) {
    case TOK_IDENT: {
        if (!template_has_function(t.val, t.len))
            template_parse_fail(st, "function \"%.*s\" not defined", (int)t.len, t.val);
        template_node *n = template_new_node(st, NODE_IDENT, t.pos);
        n->text = template_strndup(st, t.val, t.len);
        n->text_len = t.len;
        return n;
    }
    case TOK_DOT:
        return template_new_node(st, NODE_DOT, t.pos);
    case TOK_NIL:
        return template_new_node(st, NODE_NIL, t.pos);
    case TOK_VARIABLE:
        return template_use_var(st, t);
    case TOK_FIELD: {
        template_node *n = template_new_node(st, NODE_FIELD, t.pos);
        template_add_fields(st, n, t.val, t.len);
        return n;
    }
    case TOK_BOOL: {
        template_node *n = template_new_node(st, NODE_BOOL, t.pos);
        n->boolean = t.len == 4;
        return n;
    }
    case TOK_CHAR_CONST:
    case TOK_COMPLEX:
    case TOK_NUMBER:
        return template_new_number(st, t);
    case TOK_LPAREN:
        return template_pipeline(st, "parenthesized pipeline", TOK_RPAREN);
    case TOK_STRING:
    case TOK_RAW_STRING: {
        template_node *n = template_new_node(st, NODE_STRING, t.pos);
        char *v;
        size_t vl;
        if (template_unquote(st, t.val, t.len, &v, &vl) != 0)
            template_parse_fail(st, "invalid syntax");
        n->text = v;
        n->text_len = vl;
        n->quoted = template_strndup(st, t.val, t.len);
        return n;
    }
    default:
        template_backup(st);
        return NULL;
    }
}

static void template_node_string(strbuf *sb, const template_node *n);

static template_node *template_operand(template_state *st)
{
    template_node *node = template_term(st);
    if (node == NULL)
        return NULL;
    if (template_peek(st).type == TOK_FIELD) {
        template_node *chain = template_new_node(st, NODE_CHAIN, template_peek(st).pos);
        chain->node = node;
        while (template_peek(st).type == TOK_FIELD) {
            template_tok f = template_next(st);
            template_add_fields(st, chain, f.val, f.len);
        }
        switch (node->type) {
        case NODE_FIELD:
        case NODE_VARIABLE: {
            /* more fields on the original node, at the chain's position */
            template_node *merged = template_new_node(st, node->type, chain->pos);
            for (size_t i = 0; i < node->n_idents; i++)
                template_add_ident(st, merged, node->idents[i], strlen(node->idents[i]));
            for (size_t i = 0; i < chain->n_idents; i++)
                template_add_ident(st, merged, chain->idents[i], strlen(chain->idents[i]));
            return merged;
        }
        case NODE_BOOL:
        case NODE_STRING:
        case NODE_NUMBER:
        case NODE_NIL:
        case NODE_DOT: {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, node);
            strbuf sq = STRBUF_INIT;
            template_quote(&sq, sb.data ? sb.data : "", sb.len, '"');
            strbuf_release(&sb);
            template_parse_fail(st, "unexpected . after term %s", template_keep(st, &sq, NULL));
        }
        default:
            return chain;
        }
    }
    return node;
}

static template_node *template_command(template_state *st)
{
    template_node *cmd = template_new_node(st, NODE_COMMAND, template_peek_non_space(st).pos);
    for (;;) {
        template_peek_non_space(st);
        template_node *operand = template_operand(st);
        if (operand)
            template_add_kid(st, cmd, operand);
        template_tok t = template_next(st);
        if (t.type == TOK_SPACE)
            continue;
        if (t.type == TOK_RIGHT_DELIM || t.type == TOK_RPAREN)
            template_backup(st);
        else if (t.type != TOK_PIPE)
            template_unexpected(st, t, "operand");
        break;
    }
    if (cmd->n_kids == 0)
        template_parse_fail(st, "empty command");
    return cmd;
}

static void template_push_var(template_state *st, const char *name)
{
    st->vars = template_push_ptr(st, st->vars, &st->n_vars, &st->cap_vars, name);
}

static template_node *template_pipeline(template_state *st, const char *context, template_tok_type end)
{
    template_tok first = template_peek_non_space(st);
    template_node *pipe = template_new_node(st, NODE_PIPE, first.pos);
    size_t cap_decl = 0;
    for (;;) {
        template_tok v = template_peek_non_space(st);
        if (v.type != TOK_VARIABLE)
            break;
        template_next_non_space(st);
        template_tok after = template_peek(st);
        template_tok next = template_peek_non_space(st);
        if (next.type == TOK_ASSIGN || next.type == TOK_DECLARE) {
            pipe->is_assign = next.type == TOK_ASSIGN;
            template_next_non_space(st);
            template_node *var = template_new_node(st, NODE_VARIABLE, v.pos);
            template_add_ident(st, var, v.val, v.len);
            pipe->decl = template_push_ptr(st, pipe->decl, &pipe->n_decl, &cap_decl, var);
            template_push_var(st, var->idents[0]);
        } else if (next.type == TOK_CHAR && next.len == 1 && next.val[0] == ',') {
            template_next_non_space(st);
            template_node *var = template_new_node(st, NODE_VARIABLE, v.pos);
            template_add_ident(st, var, v.val, v.len);
            pipe->decl = template_push_ptr(st, pipe->decl, &pipe->n_decl, &cap_decl, var);
            template_push_var(st, var->idents[0]);
            if (strcmp(context, "range") == 0 && pipe->n_decl < 2) {
                template_tok_type pt = template_peek_non_space(st).type;
                if (pt == TOK_VARIABLE || pt == TOK_RIGHT_DELIM || pt == TOK_RPAREN)
                    continue;
                template_parse_fail(st, "range can only initialize variables");
            }
            template_parse_fail(st, "too many declarations in %s", context);
        } else if (after.type == TOK_SPACE) {
            template_backup3(st, v, after);
        } else {
            template_backup2(st, v);
        }
        break;
    }
    for (;;) {
        template_tok t = template_next_non_space(st);
        if (t.type == end) {
            if (pipe->n_kids == 0)
                template_parse_fail(st, "missing value for %s", context);
            for (size_t i = 1; i < pipe->n_kids; i++) {
                template_node_type a = pipe->kids[i]->kids[0]->type;
                if (a == NODE_BOOL || a == NODE_DOT || a == NODE_NIL || a == NODE_NUMBER || a == NODE_STRING)
                    template_parse_fail(st, "non executable command in pipeline stage %zu", i + 1);
            }
            return pipe;
        }
        switch (t.type) {
        case TOK_BOOL:
        case TOK_CHAR_CONST:
        case TOK_COMPLEX:
        case TOK_DOT:
        case TOK_FIELD:
        case TOK_IDENT:
        case TOK_NUMBER:
        case TOK_NIL:
        case TOK_RAW_STRING:
        case TOK_STRING:
        case TOK_VARIABLE:
        case TOK_LPAREN:
            template_backup(st);
            template_add_kid(st, pipe, template_command(st));
            break;
        default:
            template_unexpected(st, t, context);
        }
    }
}

static template_node *template_parse_control(template_state *st, template_node_type type, const char *context)
{
    size_t vars_mark = st->n_vars;
    template_node *pipe = template_pipeline(st, context, TOK_RIGHT_DELIM);
    template_node *n = template_new_node(st, type, pipe->pos);
    n->pipe = pipe;
    template_node *next;
    if (type == NODE_RANGE)
        st->range_depth++;
    n->list = template_item_list(st, &next);
    if (type == NODE_RANGE)
        st->range_depth--;
    if (next->type == NODE_ELSE) {
        if (type == NODE_IF && template_peek(st).type == TOK_IF) {
            /* {{else if}}: an {{if}} inside the else branch sharing the {{end}} */
            template_next(st);
            n->else_list = template_new_node(st, NODE_LIST, next->pos);
            template_add_kid(st, n->else_list, template_parse_control(st, NODE_IF, "if"));
        } else {
            n->else_list = template_item_list(st, &next);
            if (next->type != NODE_END) {
                strbuf sb = STRBUF_INIT;
                template_node_string(&sb, next);
                template_parse_fail(st, "expected end; found %s", template_keep(st, &sb, NULL));
            }
        }
    }
    st->n_vars = vars_mark;
    return n;
}

static const char *template_template_name(template_state *st, template_tok t, const char *context)
{
    if (t.type != TOK_STRING && t.type != TOK_RAW_STRING)
        template_unexpected(st, t, context);
    char *v;
    size_t vl;
    if (template_unquote(st, t.val, t.len, &v, &vl) != 0)
        template_parse_fail(st, "invalid syntax");
    return v;
}

static template_node *template_action(template_state *st)
{
    template_tok t = template_next_non_space(st);
    switch (t.type) {
    case TOK_BLOCK: {
        template_tok name_tok = template_next_non_space(st);
        template_node *n = template_new_node(st, NODE_TEMPLATE, name_tok.pos);
        n->text = template_template_name(st, name_tok, "block clause");
        n->pipe = template_pipeline(st, "block clause", TOK_RIGHT_DELIM);
        template_node *end;
        /* a block is a template of its own: only $ is defined, no range
         * encloses it */
        const char **vars = st->vars;
        size_t n_vars = st->n_vars, cap_vars = st->cap_vars;
        int range_depth = st->range_depth;
        st->vars = NULL;
        st->n_vars = st->cap_vars = 0;
        st->range_depth = 0;
        template_push_var(st, "$");
        template_node *body = template_item_list(st, &end);
        st->vars = vars;
        st->n_vars = n_vars;
        st->cap_vars = cap_vars;
        st->range_depth = range_depth;
        if (end->type != NODE_END) {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, end);
            template_parse_fail(st, "unexpected %s in block clause", template_keep(st, &sb, NULL));
        }
        st->named = template_arena_grow(st, st->named, st->n_named, &st->cap_named, sizeof *st->named);
        st->named[st->n_named++] = (template_named){n->text, body};
        return n;
    }
    case TOK_BREAK:
    case TOK_CONTINUE: {
        template_tok r = template_next_non_space(st);
        const char *what = t.type == TOK_BREAK ? "break" : "continue";
        if (r.type != TOK_RIGHT_DELIM)
            template_unexpected(st, r, t.type == TOK_BREAK ? "{{break}}" : "{{continue}}");
        if (st->range_depth == 0)
            template_parse_fail(st, "{{%s}} outside {{range}}", what);
        return template_new_node(st, t.type == TOK_BREAK ? NODE_BREAK : NODE_CONTINUE, t.pos);
    }
    case TOK_ELSE: {
        template_tok peek = template_peek_non_space(st);
        if (peek.type == TOK_IF)
            return template_new_node(st, NODE_ELSE, peek.pos);
        template_tok r = template_next_non_space(st);
        if (r.type != TOK_RIGHT_DELIM)
            template_unexpected(st, r, "else");
        return template_new_node(st, NODE_ELSE, r.pos);
    }
    case TOK_END: {
        template_tok r = template_next_non_space(st);
        if (r.type != TOK_RIGHT_DELIM)
            template_unexpected(st, r, "end");
        return template_new_node(st, NODE_END, r.pos);
    }
    case TOK_IF:
        return template_parse_control(st, NODE_IF, "if");
    case TOK_RANGE:
        return template_parse_control(st, NODE_RANGE, "range");
    case TOK_WITH:
        return template_parse_control(st, NODE_WITH, "with");
    case TOK_TEMPLATE: {
        template_tok name_tok = template_next_non_space(st);
        template_node *n = template_new_node(st, NODE_TEMPLATE, name_tok.pos);
        n->text = template_template_name(st, name_tok, "template clause");
        if (template_next_non_space(st).type != TOK_RIGHT_DELIM) {
            template_backup(st);
            n->pipe = template_pipeline(st, "template clause", TOK_RIGHT_DELIM);
        }
        return n;
    }
    default:
        break;
    }
    template_backup(st);
    template_tok p = template_peek(st);
    template_node *n = template_new_node(st, NODE_ACTION, p.pos);
    n->pipe = template_pipeline(st, "command", TOK_RIGHT_DELIM);
    return n;
}

static template_node *template_text_or_action(template_state *st)
{
    template_tok t = template_next_non_space(st);
    if (t.type == TOK_TEXT) {
        template_node *n = template_new_node(st, NODE_TEXT, t.pos);
        n->text = t.val;
        n->text_len = t.len;
        return n;
    }
    if (t.type == TOK_LEFT_DELIM) {
        st->in_action = 1;
        st->action_pos = t.pos;
        template_node *n = template_action(st);
        st->in_action = 0;
        return n;
    }
    template_unexpected(st, t, "input");
}

static template_node *template_item_list(template_state *st, template_node **end_node)
{
    template_node *list = template_new_node(st, NODE_LIST, template_peek_non_space(st).pos);
    while (template_peek_non_space(st).type != TOK_EOF) {
        template_node *n = template_text_or_action(st);
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            *end_node = n;
            return list;
        }
        template_add_kid(st, list, n);
    }
    template_parse_fail(st, "unexpected EOF");
}

static template_node *template_parse(template_state *st)
{
    template_push_var(st, "$");
    template_node *root = template_new_node(st, NODE_LIST, template_peek(st).pos);
    while (template_peek(st).type != TOK_EOF) {
        template_node *n = template_text_or_action(st);
        if (n->type == NODE_END || n->type == NODE_ELSE) {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, n);
            template_parse_fail(st, "unexpected %s", template_keep(st, &sb, NULL));
        }
        template_add_kid(st, root, n);
    }
    return root;
}

/* parse.Node.String() */
static void template_node_string(strbuf *sb, const template_node *n)
{
    switch (n->type) {
    case NODE_LIST:
        for (size_t i = 0; i < n->n_kids; i++)
            template_node_string(sb, n->kids[i]);
        break;
    case NODE_TEXT:
        strbuf_append(sb, n->text, n->text_len);
        break;
    case NODE_ACTION:
        strbuf_puts(sb, "{{");
        template_node_string(sb, n->pipe);
        strbuf_puts(sb, "}}");
        break;
    case NODE_IF:
    case NODE_RANGE:
    case NODE_WITH:
        strbuf_printf(sb, "{{%s ", n->type == NODE_IF ? "if" : n->type == NODE_RANGE ? "range" : "with");
        template_node_string(sb, n->pipe);
        strbuf_puts(sb, "}}");
        template_node_string(sb, n->list);
        if (n->else_list) {
            strbuf_puts(sb, "{{else}}");
            template_node_string(sb, n->else_list);
        }
        strbuf_puts(sb, "{{end}}");
        break;
    case NODE_TEMPLATE:
        strbuf_puts(sb, "{{template ");
        template_quote(sb, n->text, strlen(n->text), '"');
        if (n->pipe) {
            strbuf_puts(sb, " ");
            template_node_string(sb, n->pipe);
        }
        strbuf_puts(sb, "}}");
        break;
    case NODE_BREAK:
    case NODE_CONTINUE:
    case NODE_END:
    case NODE_ELSE:
    case NODE_DOT:
    case NODE_NIL: {
        static const char *const fixed[] = {[NODE_BREAK] = "{{break}}", [NODE_CONTINUE] = "{{continue}}",
                                            [NODE_END] = "{{end}}",     [NODE_ELSE] = "{{else}}",
                                            [NODE_DOT] = ".",           [NODE_NIL] = "nil"};
        strbuf_puts(sb, fixed[n->type]);
        break;
    }
    case NODE_PIPE:
        for (size_t i = 0; i < n->n_decl; i++) {
            if (i)
                strbuf_puts(sb, ", ");
            template_node_string(sb, n->decl[i]);
        }
        if (n->n_decl)
            strbuf_puts(sb, n->is_assign ? " = " : " := ");
        for (size_t i = 0; i < n->n_kids; i++) {
            if (i)
                strbuf_puts(sb, " | ");
            template_node_string(sb, n->kids[i]);
        }
        break;
    case NODE_COMMAND:
        for (size_t i = 0; i < n->n_kids; i++) {
            if (i)
                strbuf_puts(sb, " ");
            if (n->kids[i]->type == NODE_PIPE) {
                strbuf_puts(sb, "(");
                template_node_string(sb, n->kids[i]);
                strbuf_puts(sb, ")");
            } else {
                template_node_string(sb, n->kids[i]);
            }
        }
        break;
    case NODE_IDENT:
        strbuf_puts(sb, n->text);
        break;
    case NODE_FIELD:
        for (size_t i = 0; i < n->n_idents; i++)
            strbuf_printf(sb, ".%s", n->idents[i]);
        break;
    case NODE_VARIABLE:
        for (size_t i = 0; i < n->n_idents; i++)
            strbuf_printf(sb, "%s%s", i ? "." : "", n->idents[i]);
        break;
    case NODE_CHAIN:
        if (n->node->type == NODE_PIPE) {
            strbuf_puts(sb, "(");
            template_node_string(sb, n->node);
            strbuf_puts(sb, ")");
        } else {
            template_node_string(sb, n->node);
        }
        for (size_t i = 0; i < n->n_idents; i++)
            strbuf_printf(sb, ".%s", n->idents[i]);
        break;
    case NODE_BOOL:
        strbuf_puts(sb, n->boolean ? "true" : "false");
        break;
    case NODE_NUMBER:
        strbuf_puts(sb, n->text);
        break;
    case NODE_STRING:
        strbuf_puts(sb, n->quoted);
        break;
    }
}

/* ================================================================ values */

static template_value template_invalid(void)
{
    template_value v;
    memset(&v, 0, sizeof v);
    v.kind = VAL_INVALID;
    v.type = "<invalid reflect.Value>";
    return v;
}

static template_value template_string_value(const char *s, size_t n, const char *type)
{
    template_value v = template_invalid();
    v.kind = VAL_STRING;
    v.type = type;
    v.s = s;
    v.n = n;
    return v;
}

static template_value template_int_value(int64_t i, const char *type)
{
    template_value v = template_invalid();
    v.kind = VAL_INT;
    v.type = type;
    v.i = i;
    return v;
}

static template_value template_bool_value(int b)
{
    template_value v = template_invalid();
    v.kind = VAL_BOOL;
    v.type = "bool";
    v.b = b;
    return v;
}

static template_value template_time_value(const gotime *t, int ptr)
{
    template_value v = template_invalid();
    v.kind = VAL_TIME;
    v.type = ptr ? "*time.Time" : "time.Time";
    v.ptr = ptr;
    if (t)
        v.t = *t;
    else
        v.is_nil = 1;
    return v;
}

/* skopeo's inspect.Output, in field order */
static const struct {
    const char *name;
    const char *type;
    template_kind kind;
} template_output_fields[] = {
    {"Name", "string", VAL_STRING},
    {"Tag", "string", VAL_STRING},
    {"Digest", "digest.Digest", VAL_STRING},
    {"RepoTags", "[]string", VAL_STRINGS},
    {"Created", "*time.Time", VAL_TIME},
    {"DockerVersion", "string", VAL_STRING},
    {"Labels", "map[string]string", VAL_MAP},
    {"Architecture", "string", VAL_STRING},
    {"Os", "string", VAL_STRING},
    {"Layers", "[]string", VAL_STRINGS},
    {"Env", "[]string", VAL_STRINGS},
};
#define TEMPLATE_N_FIELDS (sizeof template_output_fields / sizeof template_output_fields[0])

static int template_output_field(const char *name)
{
    for (size_t i = 0; i < TEMPLATE_N_FIELDS; i++)
        if (strcmp(template_output_fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The value of Output field i, from the inspect JSON object. */
static template_value template_output_get(template_state *st, size_t i)
{
    const json_t *m = json_object_get(st->inspect, template_output_fields[i].name);
    template_value v = template_invalid();
    v.kind = template_output_fields[i].kind;
    v.type = template_output_fields[i].type;
    switch (v.kind) {
    case VAL_STRING:
        if (json_is_string(m)) {
            v.s = json_string_value(m);
            v.n = json_string_length(m);
        } else {
            v.s = "";
        }
        break;
    case VAL_STRINGS:
        v.is_nil = !json_is_array(m);
        v.j = v.is_nil ? NULL : m;
        v.len = v.is_nil ? 0 : json_array_size(m);
        break;
    case VAL_MAP:
        v.is_nil = !json_is_object(m);
        v.j = v.is_nil ? NULL : m;
        break;
    case VAL_TIME: {
        gotime t;
        v.ptr = 1;
        v.is_nil = !(json_is_string(m) && gotime_parse_marshaled(json_string_value(m), &t) == 0);
        if (!v.is_nil)
            v.t = t;
        break;
    }
    default:
        break;
    }
    return v;
}

static size_t template_map_len(const template_value *v)
{
    return v->j ? json_object_size(v->j) : 0;
}

static const char *template_strings_get(const template_value *v, size_t i, size_t *n)
{
    const json_t *e = json_array_get(v->j, v->off + i);
    *n = json_is_string(e) ? json_string_length(e) : 0;
    return json_is_string(e) ? json_string_value(e) : "";
}

typedef struct template_kv {
    const char *key;
    size_t key_len;
    const json_t *value;
} template_kv;

static int template_kv_cmp(const void *a, const void *b)
{
    const template_kv *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* The map's entries in fmt's (sorted) order, arena-allocated. */
static template_kv *template_map_sorted(template_state *st, const template_value *v, size_t *n)
{
    *n = template_map_len(v);
    template_kv *kv = template_alloc(st, (*n + 1) * sizeof *kv);
    size_t i = 0;
    const char *key;
    size_t key_len;
    json_t *value;
    if (v->j)
        json_object_keylen_foreach((json_t *)v->j, key, key_len, value)
        {
            kv[i++] = (template_kv){key, key_len, value};
        }
    qsort(kv, *n, sizeof *kv, template_kv_cmp);
    return kv;
}

/* ================================================================ fmt */

typedef struct template_fmt {
    int minus, plus, sharp, space, zero;
    int wid, prec; /* -1: not given */
} template_fmt;

static const template_fmt template_fmt_plain = {0, 0, 0, 0, 0, -1, -1};

static size_t template_rune_count(const char *s, size_t n)
{
    size_t runes = 0;
    for (size_t i = 0; i < n; runes++) {
        unsigned r;
        i += gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
    }
    return runes;
}

/* fmt.pad: width counted in runes; zero padding goes after a sign */
static void template_pad(strbuf *sb, const char *s, size_t n, const template_fmt *f, int numeric)
{
    size_t runes = template_rune_count(s, n);
    size_t pad = f->wid > 0 && (size_t)f->wid > runes ? (size_t)f->wid - runes : 0;
    if (f->minus) {
        strbuf_append(sb, s, n);
        for (size_t i = 0; i < pad; i++)
            strbuf_append(sb, " ", 1);
        return;
    }
    if (f->zero && pad) {
        if (numeric && n > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
            strbuf_append(sb, s, 1);
            s++;
            n--;
        }
        for (size_t i = 0; i < pad; i++)
            strbuf_append(sb, "0", 1);
    } else {
        for (size_t i = 0; i < pad; i++)
            strbuf_append(sb, " ", 1);
    }
    strbuf_append(sb, s, n);
}

static void template_fmt_value(template_state *st, strbuf *sb, const template_value *v, char verb,
                               const template_fmt *f, int depth);
static template_kv *template_map_sorted(template_state *st, const template_value *v, size_t *n);

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
    switch (verb) {
    case 'v':
    case 's':
        if (f->prec >= 0) {
            size_t i = 0, runes = 0;
            while (i < n && runes < (size_t)f->prec) {
                unsigned r;
                i += gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
                runes++;
            }
            n = i;
        }
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

static void template_fmt_int(strbuf *sb, int64_t x, int is_unsigned, char verb, const template_fmt *f)
{
    strbuf tmp = STRBUF_INIT;
    if (verb == 'c' || verb == 'q' || verb == 'U') {
        unsigned r = (x < 0 || x > 0x10FFFF || (x >= 0xD800 && x <= 0xDFFF)) ? 0xFFFD : (unsigned)x;
        if (verb == 'c') {
            template_put_rune(&tmp, r);
        } else if (verb == 'U') {
            strbuf_printf(&tmp, "U+%04X", r);
        } else {
            char b[4];
            strbuf rb = STRBUF_INIT;
            template_put_rune(&rb, r);
            memcpy(b, rb.data, rb.len);
            template_quote(&tmp, b, rb.len, '\'');
            strbuf_release(&rb);
        }
        template_pad(sb, tmp.data, tmp.len, f, 0);
        strbuf_release(&tmp);
        return;
    }
    int base = verb == 'x' || verb == 'X' ? 16 : verb == 'o' || verb == 'O' ? 8 : verb == 'b' ? 2 : 10;
    uint64_t u = (!is_unsigned && x < 0) ? (uint64_t)(-(x + 1)) + 1 : (uint64_t)x;
    char digits[80];
    int nd = 0;
    const char *set = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[nd++] = set[u % (uint64_t)base];
        u /= (uint64_t)base;
    } while (u);
    while (f->prec >= 0 && nd < f->prec && nd < (int)sizeof digits)
        digits[nd++] = '0';
    if (!is_unsigned && x < 0)
        strbuf_append(&tmp, "-", 1);
    else if (f->plus)
        strbuf_append(&tmp, "+", 1);
    else if (f->space)
        strbuf_append(&tmp, " ", 1);
    if (f->sharp && base == 16)
        strbuf_puts(&tmp, verb == 'X' ? "0X" : "0x");
    else if (f->sharp && base == 8)
        strbuf_puts(&tmp, "0");
    else if (verb == 'O')
        strbuf_puts(&tmp, "0o");
    while (nd > 0)
        strbuf_append(&tmp, &digits[--nd], 1);
    template_fmt zf = *f;
    if (f->prec >= 0)
        zf.zero = 0;
    template_pad(sb, tmp.data, tmp.len, &zf, 1);
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
        for (size_t i = 0; i < TEMPLATE_N_FIELDS; i++) {
            template_value e = template_output_get(st, i);
            strbuf_printf(sb, "%s%s:", i ? ", " : "", template_output_fields[i].name);
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
static void template_fmt_value(template_state *st, strbuf *sb, const template_value *v, char verb,
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
        for (size_t i = 0; i < TEMPLATE_N_FIELDS; i++) {
            if (i)
                strbuf_puts(sb, " ");
            if (f->plus)
                strbuf_printf(sb, "%s:", template_output_fields[i].name);
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

/* fmt.Sprintf with the verbs and flags templates use */
static void template_sprintf(template_state *st, strbuf *sb, const char *format, size_t flen,
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
            if (argi < nargs && args[argi].kind == VAL_INT) {
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
            while (i < flen && format[i] >= '0' && format[i] <= '9') {
                f.wid = (f.wid < 0 ? 0 : f.wid) * 10 + (format[i] - '0');
                i++;
            }
        }
        if (i < flen && format[i] == '.') {
            i++;
            f.prec = 0;
            if (i < flen && format[i] == '*') {
                i++;
                if (argi < nargs && args[argi].kind == VAL_INT && args[argi].i >= 0)
                    f.prec = (int)args[argi].i;
                else
                    strbuf_puts(sb, "%!(BADPREC)");
                argi++;
            } else {
                while (i < flen && format[i] >= '0' && format[i] <= '9') {
                    f.prec = f.prec * 10 + (format[i] - '0');
                    i++;
                }
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
static void template_sprint(template_state *st, strbuf *sb, const template_value *args, size_t nargs, int ln)
{
    for (size_t i = 0; i < nargs; i++) {
        if (i > 0 && (ln || (!template_is_string_kind(&args[i]) && !template_is_string_kind(&args[i - 1]))))
            strbuf_puts(sb, " ");
        template_fmt_value(st, sb, &args[i], 'v', &template_fmt_plain, 0);
    }
    if (ln)
        strbuf_puts(sb, "\n");
}

/* ================================================================ tabwriter */

/* Returns arr with room for one more element, realloc'd when full (not the
 * arena: the tabwriter's arrays are reset and reused line after line). */
static void *template_grow(template_state *st, void *arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *a = realloc(arr, ncap * elem);
    if (a == NULL)
        template_fail(st, "out of memory");
    *cap = ncap;
    return a;
}

static void template_tw_add_line(template_state *st)
{
    template_tabwriter *tw = &st->tw;
    tw->lines = template_grow(st, tw->lines, tw->n_lines, &tw->cap_lines, sizeof *tw->lines);
    tw->lines[tw->n_lines++] = (template_line){NULL, 0, 0};
}

static void template_tw_update_width(template_tabwriter *tw)
{
    tw->cell.width += template_rune_count(tw->buf.data + tw->pos, tw->buf.len - tw->pos);
    tw->pos = tw->buf.len;
}

static size_t template_tw_terminate_cell(template_state *st, int htab)
{
    template_tabwriter *tw = &st->tw;
    tw->cell.htab = htab;
    template_line *line = &tw->lines[tw->n_lines - 1];
    line->cells = template_grow(st, line->cells, line->n, &line->cap, sizeof *line->cells);
    line->cells[line->n++] = tw->cell;
    memset(&tw->cell, 0, sizeof tw->cell);
    return line->n;
}

static size_t template_tw_write_lines(template_state *st, size_t pos, size_t line0, size_t line1)
{
    template_tabwriter *tw = &st->tw;
    for (size_t i = line0; i < line1; i++) {
        template_line *line = &tw->lines[i];
        for (size_t j = 0; j < line->n; j++) {
            template_cell *c = &line->cells[j];
            if (c->size > 0) {
                strbuf_append(&tw->out, tw->buf.data + pos, c->size);
                pos += c->size;
            }
            if (j < tw->n_widths)
                for (size_t k = c->width; k < tw->widths[j]; k++)
                    strbuf_append(&tw->out, " ", 1);
        }
        if (i + 1 == tw->n_lines) {
            strbuf_append(&tw->out, tw->buf.data + pos, tw->cell.size);
            pos += tw->cell.size;
        } else {
            strbuf_append(&tw->out, "\n", 1);
        }
    }
    return pos;
}

static void template_tw_push_width(template_state *st, size_t w)
{
    template_tabwriter *tw = &st->tw;
    tw->widths = template_grow(st, tw->widths, tw->n_widths, &tw->cap_widths, sizeof *tw->widths);
    tw->widths[tw->n_widths++] = w;
}

/* tabwriter's format: column blocks, widened to their widest cell */
static size_t template_tw_format(template_state *st, size_t pos, size_t line0, size_t line1)
{
    template_tabwriter *tw = &st->tw;
    size_t column = tw->n_widths;
    for (size_t this = line0; this < line1; this++) {
        if (column + 1 >= tw->lines[this].n)
            continue;
        pos = template_tw_write_lines(st, pos, line0, this);
        line0 = this;
        size_t width = 8; /* minwidth */
        for (; this < line1; this++) {
            template_line *line = &tw->lines[this];
            if (column + 1 >= line->n)
                break;
            size_t w = line->cells[column].width + 2; /* padding */
            if (w > width)
                width = w;
        }
        template_tw_push_width(st, width);
        pos = template_tw_format(st, pos, line0, this);
        tw->n_widths--;
        line0 = this;
    }
    return template_tw_write_lines(st, pos, line0, line1);
}

static void template_tw_flush(template_state *st)
{
    template_tabwriter *tw = &st->tw;
    if (tw->cell.size > 0) {
        if (tw->escaped) {
            template_tw_update_width(tw);
            tw->escaped = 0;
        }
        template_tw_terminate_cell(st, 0);
    }
    template_tw_format(st, 0, 0, tw->n_lines);
    /* reset */
    tw->buf.len = 0;
    if (tw->buf.data)
        tw->buf.data[0] = '\0';
    tw->pos = 0;
    memset(&tw->cell, 0, sizeof tw->cell);
    tw->escaped = 0;
    for (size_t i = 0; i < tw->n_lines; i++)
        free(tw->lines[i].cells);
    tw->n_lines = 0;
    tw->n_widths = 0;
    template_tw_add_line(st);
}

static void template_tw_append(template_state *st, const char *s, size_t n)
{
    strbuf_append(&st->tw.buf, s, n);
    st->tw.cell.size += n;
}

/* tabwriter.Writer.Write */
static void template_tw_write(template_state *st, const char *s, size_t n)
{
    template_tabwriter *tw = &st->tw;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!tw->escaped) {
            if (c == '\t' || c == '\v' || c == '\n' || c == '\f') {
                template_tw_append(st, s + start, i - start);
                template_tw_update_width(tw);
                start = i + 1;
                size_t ncells = template_tw_terminate_cell(st, c == '\t');
                if (c == '\n' || c == '\f') {
                    template_tw_add_line(st);
                    if (c == '\f' || ncells == 1)
                        template_tw_flush(st);
                }
            } else if (c == 0xff) {
                template_tw_append(st, s + start, i - start);
                template_tw_update_width(tw);
                start = i;
                tw->escaped = 1;
            }
        } else if (c == 0xff) {
            template_tw_append(st, s + start, i + 1 - start);
            start = i + 1;
            template_tw_update_width(tw);
            tw->cell.width -= 2; /* the Escape bytes do not count */
            tw->escaped = 0;
        }
    }
    template_tw_append(st, s + start, n - start);
    if (tw->buf.failed || tw->out.failed)
        template_fail(st, "out of memory");
}

/* ================================================================ execution */

static void template_exec_fail(template_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void template_exec_fail(template_state *st, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    const template_node *at = st->at;
    size_t pos = at ? at->pos : 0;
    int line = template_line_of(st, pos);
    size_t col = pos;
    for (size_t i = pos; i > 0; i--) {
        if (st->text[i - 1] == '\n') {
            col = pos - i;
            break;
        }
    }
    strbuf_printf(&sb, "template: %s:%d:%zu: executing \"%s\" at <", TEMPLATE_NAME, line, col, TEMPLATE_NAME);
    if (at)
        template_node_string(&sb, at);
    strbuf_puts(&sb, ">: ");
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    template_throw(st, &sb);
}

/* %v of a value, arena-allocated, for messages */
static const char *template_sprint_value(template_state *st, const template_value *v)
{
    strbuf sb = STRBUF_INIT;
    template_fmt_value(st, &sb, v, 'v', &template_fmt_plain, 0);
    return template_keep(st, &sb, NULL);
}

static void template_push(template_state *st, const char *name, template_value value)
{
    st->stack = template_arena_grow(st, st->stack, st->n_stack, &st->cap_stack, sizeof *st->stack);
    st->stack[st->n_stack++] = (template_var){name, value};
}

static template_value template_var_value(template_state *st, const char *name)
{
    for (size_t i = st->n_stack; i > 0; i--)
        if (strcmp(st->stack[i - 1].name, name) == 0)
            return st->stack[i - 1].value;
    template_exec_fail(st, "undefined variable: %s", name);
}

static void template_set_var(template_state *st, const char *name, template_value value)
{
    for (size_t i = st->n_stack; i > 0; i--)
        if (strcmp(st->stack[i - 1].name, name) == 0) {
            st->stack[i - 1].value = value;
            return;
        }
    template_exec_fail(st, "undefined variable: %s", name);
}

/* Go's isTrue; returns -1 when the value has no truth */
static int template_truth(const template_value *v)
{
    switch (v->kind) {
    case VAL_INVALID:
    case VAL_NIL:
        return 0;
    case VAL_BOOL:
        return v->b;
    case VAL_INT:
    case VAL_MONTH:
    case VAL_WEEKDAY:
        return v->i != 0;
    case VAL_FLOAT:
        return v->f != 0;
    case VAL_COMPLEX:
        return v->f != 0 || v->im != 0;
    case VAL_STRING:
        return v->n > 0;
    case VAL_STRINGS:
        return v->len > 0;
    case VAL_MAP:
        return template_map_len(v) > 0;
    case VAL_TIME:
        return v->ptr ? !v->is_nil : 1;
    case VAL_ERROR:
        return !v->is_nil;
    case VAL_OUTPUT:
        return 1;
    case VAL_ROOT:
        return 1;
    }
    return -1;
}

typedef struct template_args {
    template_node **nodes; /* argument nodes (the function name excluded) */
    size_t n;
    const template_value *final; /* the previous pipeline stage, or NULL */
} template_args;

static template_value template_eval_pipeline(template_state *st, template_value dot, const template_node *pipe);
static template_value template_eval_arg(template_state *st, template_value dot, const template_node *n,
                                        int string_param);
static void template_walk(template_state *st, template_value dot, const template_node *n);

static void template_not_a_function(template_state *st, const template_args *a, const template_node *first)
{
    if (a->n > 0 || a->final) {
        strbuf sb = STRBUF_INIT;
        template_node_string(&sb, first);
        template_exec_fail(st, "can't give argument to non-function %s", template_keep(st, &sb, NULL));
    }
}

/* Evaluates a method's arguments (all of them strings for the methods we
 * have) and checks the count. */
static void template_method_args(template_state *st, template_value dot, const char *name, const template_args *a,
                                 size_t want, template_value *out)
{
    size_t got = a->n + (a->final ? 1 : 0);
    if (got != want)
        template_exec_fail(st, "wrong number of args for %s: want %zu got %zu", name, want, got);
    for (size_t i = 0; i < a->n; i++)
        out[i] = template_eval_arg(st, dot, a->nodes[i], 1);
    if (a->final)
        out[a->n] = *a->final;
}

/* Methods of *time.Time, time.Time and digest.Digest; returns 1 when the
 * receiver has a method of that name. */
static int template_call_method(template_state *st, template_value dot, const template_value *recv, const char *name,
                                const template_node *node, const template_args *a, template_value *result)
{
    if (recv->kind == VAL_TIME) {
        /* the integer-valued methods, in the order of `values` below */
        static const struct {
            const char *name;
            const char *type;
            template_kind kind;
        } ints[] = {
            {"Year", "int", VAL_INT},       {"Month", "time.Month", VAL_MONTH}, {"Day", "int", VAL_INT},
            {"Hour", "int", VAL_INT},       {"Minute", "int", VAL_INT},         {"Second", "int", VAL_INT},
            {"Nanosecond", "int", VAL_INT}, {"YearDay", "int", VAL_INT},        {"Weekday", "time.Weekday", VAL_WEEKDAY},
            {"Unix", "int64", VAL_INT},     {"UnixNano", "int64", VAL_INT},     {"UnixMilli", "int64", VAL_INT},
            {"UnixMicro", "int64", VAL_INT},
        };
        static const char *const others[] = {"String", "IsZero", "UTC", "Local", "Format"};
        size_t n_ints = sizeof ints / sizeof ints[0], m;
        for (m = 0; m < n_ints; m++)
            if (strcmp(ints[m].name, name) == 0)
                break;
        if (m == n_ints) {
            size_t k;
            for (k = 0; k < sizeof others / sizeof others[0]; k++)
                if (strcmp(others[k], name) == 0)
                    break;
            if (k == sizeof others / sizeof others[0])
                return 0;
        }
        template_value args[1];
        template_method_args(st, dot, name, a, strcmp(name, "Format") == 0 ? 1 : 0, args);
        if (recv->is_nil) {
            st->at = node;
            template_exec_fail(st, "error calling %s: value method time.Time.%s called using nil *Time pointer", name,
                               name);
        }
        gotime_civil cv;
        gotime_civil_of(&recv->t, &cv);
        int64_t unix_s = recv->t.sec, nsec = recv->t.nsec;
        if (m < n_ints) {
            const int64_t values[] = {cv.year,    cv.month, cv.day,   cv.hour,   cv.minute, cv.second, nsec, cv.yday,
                                      cv.weekday, unix_s,   unix_s * 1000000000 + nsec,
                                      unix_s * 1000 + nsec / 1000000, unix_s * 1000000 + nsec / 1000};
            *result = template_int_value(values[m], ints[m].type);
            result->kind = ints[m].kind;
        } else if (strcmp(name, "IsZero") == 0) {
            *result = template_bool_value(gotime_is_zero(&recv->t));
        } else if (strcmp(name, "UTC") == 0 || strcmp(name, "Local") == 0) {
            gotime t = recv->t;
            if (name[0] == 'U') {
                t.offset = 0;
                strcpy(t.zone, "UTC");
            } else {
                time_t when = (time_t)t.sec;
                struct tm tm;
                t.offset = 0;
                strcpy(t.zone, "UTC");
                if (localtime_r(&when, &tm) != NULL) {
                    t.offset = (int32_t)tm.tm_gmtoff;
                    snprintf(t.zone, sizeof t.zone, "%s", tm.tm_zone ? tm.tm_zone : "");
                }
            }
            *result = template_time_value(&t, 0);
        } else {
            char *s = strcmp(name, "String") == 0 ? gotime_string(&recv->t)
                                                   : gotime_format(&recv->t, template_strndup(st, args[0].s, args[0].n));
            if (s == NULL)
                template_fail(st, "out of memory");
            size_t n = strlen(s);
            char *kept = template_strndup(st, s, n);
            free(s);
            *result = template_string_value(kept, n, "string");
        }
        return 1;
    }
    if (recv->kind == VAL_STRING && strcmp(recv->type, "digest.Digest") == 0) {
        const char *colon = memchr(recv->s, ':', recv->n);
        size_t alg = colon ? (size_t)(colon - recv->s) : recv->n;
        template_value none[1];
        if (strcmp(name, "Algorithm") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = template_string_value(recv->s, alg, "digest.Algorithm");
        } else if (strcmp(name, "Encoded") == 0 || strcmp(name, "Hex") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = colon ? template_string_value(colon + 1, recv->n - alg - 1, "string")
                            : template_string_value("", 0, "string");
        } else if (strcmp(name, "String") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = template_string_value(recv->s, recv->n, "string");
        } else if (strcmp(name, "Validate") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = template_invalid();
            result->kind = VAL_ERROR;
            result->type = "error";
            result->is_nil = 1; /* the digest came from hashing the manifest */
        } else {
            return 0;
        }
        return 1;
    }
    if ((recv->kind == VAL_MONTH || recv->kind == VAL_WEEKDAY) && strcmp(name, "String") == 0) {
        template_value none[1];
        template_method_args(st, dot, name, a, 0, none);
        const char *s = recv->kind == VAL_MONTH ? gotime_month_name((int)recv->i) : gotime_weekday_name((int)recv->i);
        *result = template_string_value(s, strlen(s), "string");
        return 1;
    }
    if (recv->kind == VAL_STRING && strcmp(recv->type, "digest.Algorithm") == 0 && strcmp(name, "String") == 0) {
        template_value none[1];
        template_method_args(st, dot, name, a, 0, none);
        *result = template_string_value(recv->s, recv->n, "string");
        return 1;
    }
    return 0;
}

/* exec.go's evalField */
static template_value template_eval_field(template_state *st, template_value dot, const char *name,
                                          const template_node *node, const template_args *a, template_value recv)
{
    template_value result;
    int has_args = a && (a->n > 0 || a->final);
    if (recv.kind == VAL_INVALID)
        return template_invalid();
    if (template_call_method(st, dot, &recv, name, node, a ? a : &(template_args){NULL, 0, NULL}, &result))
        return result;
    switch (recv.kind) {
    case VAL_OUTPUT: {
        int f = template_output_field(name);
        if (f >= 0) {
            if (has_args)
                template_exec_fail(st, "%s has arguments but cannot be invoked as function", name);
            return template_output_get(st, (size_t)f);
        }
        break;
    }
    case VAL_MAP: {
        if (has_args)
            template_exec_fail(st, "%s is not a method but has arguments", name);
        const json_t *m = recv.j ? json_object_get(recv.j, name) : NULL;
        if (!json_is_string(m))
            return template_invalid();
        return template_string_value(json_string_value(m), json_string_length(m), "string");
    }
    default:
        break;
    }
    (void)node;
    template_exec_fail(st, "can't evaluate field %s in type %s", name, recv.iface ? "interface {}" : recv.type);
}

static template_value template_eval_field_chain(template_state *st, template_value dot, template_value recv,
                                                const template_node *node, const char *const *idents,
                                                size_t n, const template_args *a)
{
    for (size_t i = 0; i + 1 < n; i++)
        recv = template_eval_field(st, dot, idents[i], node, NULL, recv);
    return template_eval_field(st, dot, idents[n - 1], node, a, recv);
}

/* a value coming out of a pipeline stage: interfaces are dug into */
static template_value template_unwrap(template_value v)
{
    v.iface = 0;
    return v;
}

static template_value template_ideal_constant(template_state *st, const template_node *n)
{
    st->at = n;
    if (n->is_complex) {
        template_value v = template_invalid();
        v.kind = VAL_COMPLEX;
        v.type = "complex128";
        v.f = n->fval;
        v.im = n->imag;
        return v;
    }
    if (n->is_float && !(n->text[0] == '\'') && strpbrk(n->text, ".eEpP") &&
        !(strlen(n->text) > 1 && (n->text[1] == 'x' || n->text[1] == 'X' ||
                                  (n->text[0] == '-' && (n->text[2] == 'x' || n->text[2] == 'X'))))) {
        template_value v = template_invalid();
        v.kind = VAL_FLOAT;
        v.type = "float64";
        v.f = n->fval;
        return v;
    }
    if (n->is_int)
        return template_int_value(n->ival, "int");
    if (n->is_float) {
        template_value v = template_invalid();
        v.kind = VAL_FLOAT;
        v.type = "float64";
        v.f = n->fval;
        return v;
    }
    template_exec_fail(st, "%s overflows int", n->text);
}

/* ---- builtin functions ---- */

static int template_basic_kind(const template_value *v)
{
    switch (v->kind) {
    case VAL_BOOL:
        return 1;
    case VAL_INT:
    case VAL_MONTH:
    case VAL_WEEKDAY:
        return strcmp(v->type, "uint8") == 0 ? 6 : 2;
    case VAL_FLOAT:
        return 3;
    case VAL_COMPLEX:
        return 5;
    case VAL_STRING:
        return 4;
    default:
        return 0; /* not basic */
    }
}

static int template_is_nilish(const template_value *v)
{
    return v->kind == VAL_INVALID || v->kind == VAL_NIL || v->is_nil;
}

/* eq/ne/lt/le/gt/ge on two values (funcs.go's eq and lessThan); returns 0/1
 * or fails with "error calling NAME: …" */
static int template_compare(template_state *st, const char *name, const template_value *x, const template_value *y,
                            int less)
{
    int k1 = template_basic_kind(x), k2 = template_basic_kind(y);
    int ints = (k1 == 2 || k1 == 6) && (k2 == 2 || k2 == 6);
    if (less) {
        if (k1 == 0 || k1 == 1 || k1 == 5)
            template_exec_fail(st, "error calling %s: invalid type for comparison", name);
        if (k1 != k2 && !ints)
            template_exec_fail(st, "error calling %s: incompatible types for comparison", name);
        if (k1 == 3)
            return x->f < y->f;
        if (k1 == 4) {
            size_t n = x->n < y->n ? x->n : y->n;
            int c = memcmp(x->s, y->s, n);
            return c < 0 || (c == 0 && x->n < y->n);
        }
        return x->i < y->i;
    }
    if (k1 != k2) {
        if (ints)
            return x->i == y->i;
        if (x->kind != VAL_INVALID && x->kind != VAL_NIL && y->kind != VAL_INVALID && y->kind != VAL_NIL)
            template_exec_fail(st, "error calling %s: incompatible types for comparison", name);
        return 0;
    }
    switch (k1) {
    case 1:
        return x->b == y->b;
    case 2:
    case 6:
        return x->i == y->i;
    case 3:
        return x->f == y->f;
    case 4:
        return x->n == y->n && memcmp(x->s, y->s, x->n) == 0;
    case 5:
        return x->f == y->f && x->im == y->im;
    default:
        break;
    }
    /* neither is of a basic kind */
    int xn = x->kind == VAL_INVALID || x->kind == VAL_NIL, yn = y->kind == VAL_INVALID || y->kind == VAL_NIL;
    if (!xn && !yn && (x->kind != y->kind || strcmp(x->type, y->type) != 0))
        template_exec_fail(st, "error calling %s: non-comparable types %s: %s, %s: %s", name,
                           template_sprint_value(st, x), x->type, y->type, template_sprint_value(st, y));
    if (template_is_nilish(x) || template_is_nilish(y))
        return template_is_nilish(x) == template_is_nilish(y);
    if (y->kind == VAL_STRINGS || y->kind == VAL_MAP || y->kind == VAL_OUTPUT || y->kind == VAL_ROOT)
        template_exec_fail(st, "error calling %s: non-comparable type %s: %s", name, template_sprint_value(st, y),
                           y->type);
    if (x->kind == VAL_TIME)
        return x->t.sec == y->t.sec && x->t.nsec == y->t.nsec && x->t.offset == y->t.offset;
    return 1;
}

/* index and slice's index argument */
static int64_t template_index_arg(template_state *st, const char *fn, const template_value *index, size_t cap)
{
    if (index->kind == VAL_INVALID || index->kind == VAL_NIL)
        template_exec_fail(st, "error calling %s: cannot index slice/array with nil", fn);
    if (index->kind != VAL_INT && index->kind != VAL_MONTH && index->kind != VAL_WEEKDAY)
        template_exec_fail(st, "error calling %s: cannot index slice/array with type %s", fn, index->type);
    if (index->i < 0 || (uint64_t)index->i > cap)
        template_exec_fail(st, "error calling %s: index out of range: %lld", fn, (long long)index->i);
    return index->i;
}

static template_value template_fn_index(template_state *st, const template_value *args, size_t n)
{
    template_value item = args[0];
    if (item.kind == VAL_INVALID || item.kind == VAL_NIL)
        template_exec_fail(st, "error calling index: index of untyped nil");
    for (size_t k = 1; k < n; k++) {
        const template_value *index = &args[k];
        if (item.kind == VAL_TIME && item.ptr && item.is_nil)
            template_exec_fail(st, "error calling index: index of nil pointer");
        switch (item.kind) {
        case VAL_STRINGS: {
            int64_t x = template_index_arg(st, "index", index, item.len);
            if ((size_t)x == item.len)
                template_exec_fail(st, "error calling index: reflect: slice index out of range");
            size_t len;
            const char *s = template_strings_get(&item, (size_t)x, &len);
            item = template_string_value(s, len, "string");
            break;
        }
        case VAL_STRING: {
            int64_t x = template_index_arg(st, "index", index, item.n);
            if ((size_t)x == item.n)
                template_exec_fail(st, "error calling index: reflect: string index out of range");
            item = template_int_value((unsigned char)item.s[x], "uint8");
            break;
        }
        case VAL_ROOT: {
            int64_t x = template_index_arg(st, "index", index, 1);
            if (x == 1)
                template_exec_fail(st, "error calling index: reflect: slice index out of range");
            item.kind = VAL_OUTPUT;
            item.type = "inspect.Output";
            item.iface = 1;
            break;
        }
        case VAL_MAP: {
            if (index->kind == VAL_INVALID || index->kind == VAL_NIL)
                template_exec_fail(st, "error calling index: value is nil; should be of type string");
            if (index->kind != VAL_STRING || strcmp(index->type, "string") != 0)
                template_exec_fail(st, "error calling index: value has type %s; should be string", index->type);
            char *key = template_strndup(st, index->s, index->n);
            const json_t *m = item.j ? json_object_getn(item.j, key, index->n) : NULL;
            item = json_is_string(m) ? template_string_value(json_string_value(m), json_string_length(m), "string")
                                     : template_string_value("", 0, "string");
            break;
        }
        default:
            template_exec_fail(st, "error calling index: can't index item of type %s", item.type);
        }
    }
    return item;
}

static template_value template_fn_slice(template_state *st, const template_value *args, size_t n)
{
    template_value item = args[0];
    if (item.kind == VAL_INVALID || item.kind == VAL_NIL)
        template_exec_fail(st, "error calling slice: slice of untyped nil");
    if (n - 1 > 3)
        template_exec_fail(st, "error calling slice: too many slice indexes: %zu", n - 1);
    size_t len;
    if (item.kind == VAL_STRING) {
        if (n - 1 == 3)
            template_exec_fail(st, "error calling slice: cannot 3-index slice a string");
        len = item.n;
    } else if (item.kind == VAL_STRINGS) {
        len = item.len;
    } else {
        template_exec_fail(st, "error calling slice: can't slice item of type %s", item.type);
    }
    int64_t idx[3] = {0, (int64_t)len, (int64_t)len};
    for (size_t k = 1; k < n; k++)
        idx[k - 1] = template_index_arg(st, "slice", &args[k], len);
    if (idx[0] > idx[1])
        template_exec_fail(st, "error calling slice: invalid slice index: %lld > %lld", (long long)idx[0],
                           (long long)idx[1]);
    if (n - 1 == 3 && idx[1] > idx[2])
        template_exec_fail(st, "error calling slice: invalid slice index: %lld > %lld", (long long)idx[1],
                           (long long)idx[2]);
    if (item.kind == VAL_STRING)
        return template_string_value(item.s + idx[0], (size_t)(idx[1] - idx[0]), item.type);
    item.off += (size_t)idx[0];
    item.len = (size_t)(idx[1] - idx[0]);
    item.is_nil = 0;
    return item;
}

static template_value template_fn_len(template_state *st, const template_value *v)
{
    switch (v->kind) {
    case VAL_STRING:
        return template_int_value((int64_t)v->n, "int");
    case VAL_STRINGS:
        return template_int_value((int64_t)v->len, "int");
    case VAL_MAP:
        return template_int_value((int64_t)template_map_len(v), "int");
    case VAL_ROOT:
        return template_int_value(1, "int");
    case VAL_INVALID:
    case VAL_NIL:
        template_exec_fail(st, "error calling len: reflect: call of reflect.Value.Type on zero Value");
    case VAL_TIME:
        if (v->ptr && v->is_nil)
            template_exec_fail(st, "error calling len: len of nil pointer");
        template_exec_fail(st, "error calling len: len of type %s", v->ptr ? "time.Time" : v->type);
    default:
        template_exec_fail(st, "error calling len: len of type %s", v->type);
    }
}

/* html/template's HTMLEscapeString, JSEscapeString and url.QueryEscape */
static template_value template_escape(template_state *st, const char *fn, const char *s, size_t n)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        unsigned r;
        size_t size = gojson_utf8_decode((const unsigned char *)s + i, n - i, &r);
        if (fn[0] == 'h') {
            switch (c) {
            case '"': strbuf_puts(&sb, "&#34;"); break;
            case '\'': strbuf_puts(&sb, "&#39;"); break;
            case '&': strbuf_puts(&sb, "&amp;"); break;
            case '<': strbuf_puts(&sb, "&lt;"); break;
            case '>': strbuf_puts(&sb, "&gt;"); break;
            case '\0': strbuf_puts(&sb, "\xef\xbf\xbd"); break;
            default: strbuf_append(&sb, s + i, size); break;
            }
        } else if (fn[0] == 'j') {
            if (c == '\\' || c == '\'' || c == '"') {
                strbuf_append(&sb, "\\", 1);
                strbuf_append(&sb, s + i, 1);
            } else if (c == '<' || c == '>' || c == '&' || c == '=') {
                strbuf_printf(&sb, "\\u%04X", c);
            } else if (c < ' ') {
                strbuf_printf(&sb, "\\u%04X", c);
            } else if (c < 0x80) {
                strbuf_append(&sb, s + i, 1);
            } else if (template_rune_printable(r) && !(size == 1 && r == 0xFFFD)) {
                strbuf_append(&sb, s + i, size);
            } else {
                strbuf_printf(&sb, "\\u%04X", r);
            }
        } else {
            if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
                strbuf_append(&sb, s + i, 1);
            else if (c == ' ')
                strbuf_append(&sb, "+", 1);
            else
                strbuf_printf(&sb, "%%%02X", c);
            size = 1;
        }
        i += size;
    }
    size_t len;
    char *out = template_keep(st, &sb, &len);
    return template_string_value(out, len, "string");
}

/* The value as encoding/json would marshal it; NULL when Go cannot. */
static json_t *template_to_json(template_state *st, const template_value *v)
{
    switch (v->kind) {
    case VAL_INVALID:
    case VAL_NIL:
    case VAL_ERROR:
        return json_null();
    case VAL_BOOL:
        return json_boolean(v->b);
    case VAL_INT:
    case VAL_MONTH:
    case VAL_WEEKDAY:
        return json_integer(v->i);
    case VAL_FLOAT:
        return json_real(v->f);
    case VAL_COMPLEX:
        return NULL; /* json: unsupported type: complex128 */
    case VAL_STRING:
        return json_stringn_nocheck(v->s, v->n);
    case VAL_STRINGS: {
        if (v->is_nil)
            return json_null();
        json_t *a = json_array();
        for (size_t i = 0; a && i < v->len; i++) {
            size_t n;
            const char *s = template_strings_get(v, i, &n);
            json_array_append_new(a, json_stringn_nocheck(s, n));
        }
        return a;
    }
    case VAL_MAP: {
        if (v->is_nil)
            return json_null();
        size_t n;
        template_kv *kv = template_map_sorted(st, v, &n);
        json_t *o = json_object();
        for (size_t i = 0; o && i < n; i++)
            json_object_setn_new_nocheck(o, kv[i].key, kv[i].key_len, json_incref((json_t *)kv[i].value));
        return o;
    }
    case VAL_TIME: {
        if (v->is_nil)
            return json_null();
        char *s = gotime_marshal(&v->t, NULL, 0);
        json_t *j = s ? json_string_nocheck(s) : NULL;
        free(s);
        return j;
    }
    case VAL_OUTPUT:
        return json_incref((json_t *)st->inspect);
    case VAL_ROOT:
        return json_pack("[O]", st->inspect);
    }
    return NULL;
}

/* ferry's one function beyond skopeo 1.9.3's: newer skopeo's "json" (a
 * json.Encoder without HTML escaping, its newline trimmed; "" when the value
 * cannot be encoded) */
static template_value template_fn_json(template_state *st, const template_value *v)
{
    json_t *j = template_to_json(st, v);
    char *text = j ? gojson_encode_ex(j, 0, 0) : NULL;
    json_decref(j);
    const char *kept = text ? template_strndup(st, text, strlen(text)) : "";
    size_t n = text ? strlen(text) : 0;
    free(text);
    return template_string_value(kept, n, "string");
}

static const struct {
    const char *name;
    size_t min_args;
    int variadic;
} template_builtins[] = {
    {"and", 1, 1},    {"call", 1, 1},   {"eq", 1, 1},      {"ge", 2, 0},     {"gt", 2, 0},    {"html", 0, 1},
    {"index", 1, 1},  {"js", 0, 1},     {"json", 1, 0},    {"le", 2, 0},      {"len", 1, 0},    {"lt", 2, 0},    {"ne", 2, 0},
    {"not", 1, 0},    {"or", 1, 1},     {"print", 0, 1},   {"printf", 1, 1}, {"println", 0, 1}, {"slice", 1, 1},
    {"urlquery", 0, 1},
};

static template_value template_eval_function(template_state *st, template_value dot, const template_node *ident,
                                             const template_node *cmd, const template_args *a)
{
    const char *name = ident->text;
    st->at = ident;
    size_t b;
    for (b = 0; b < sizeof template_builtins / sizeof template_builtins[0]; b++)
        if (strcmp(template_builtins[b].name, name) == 0)
            break;
    size_t got = a->n + (a->final ? 1 : 0);
    if (template_builtins[b].variadic && got < template_builtins[b].min_args)
        template_exec_fail(st, "wrong number of args for %s: want at least %zu got %zu", name,
                           template_builtins[b].min_args, a->n);
    if (!template_builtins[b].variadic && got != template_builtins[b].min_args)
        template_exec_fail(st, "wrong number of args for %s: want %zu got %zu", name, template_builtins[b].min_args,
                           got);

    /* and/or evaluate lazily and return the deciding argument */
    if (strcmp(name, "and") == 0 || strcmp(name, "or") == 0) {
        template_value v = template_invalid();
        for (size_t i = 0; i < got; i++) {
            v = i < a->n ? template_eval_arg(st, dot, a->nodes[i], 0) : *a->final;
            int t = template_truth(&v);
            if ((name[0] == 'a' && !t) || (name[0] == 'o' && t))
                return v;
        }
        return v;
    }
    template_value *args = template_alloc(st, (got + 1) * sizeof *args);
    for (size_t i = 0; i < a->n; i++)
        args[i] = template_eval_arg(st, dot, a->nodes[i], i == 0 && strcmp(name, "printf") == 0);
    if (a->final)
        args[a->n] = *a->final;
    st->at = cmd;
    strbuf sb = STRBUF_INIT;
    size_t len;
    if (strcmp(name, "not") == 0)
        return template_bool_value(!template_truth(&args[0]));
    if (strcmp(name, "len") == 0)
        return template_fn_len(st, &args[0]);
    if (strcmp(name, "json") == 0)
        return template_fn_json(st, &args[0]);
    if (strcmp(name, "index") == 0)
        return template_fn_index(st, args, got);
    if (strcmp(name, "slice") == 0)
        return template_fn_slice(st, args, got);
    if (strcmp(name, "call") == 0)
        template_exec_fail(st, "error calling call: non-function of type %s", args[0].type);
    if (strcmp(name, "eq") == 0) {
        if (got == 1)
            template_exec_fail(st, "error calling eq: missing argument for comparison");
        for (size_t i = 1; i < got; i++)
            if (template_compare(st, name, &args[0], &args[i], 0))
                return template_bool_value(1);
        return template_bool_value(0);
    }
    if (strcmp(name, "ne") == 0)
        return template_bool_value(!template_compare(st, name, &args[0], &args[1], 0));
    if (strcmp(name, "lt") == 0)
        return template_bool_value(template_compare(st, name, &args[0], &args[1], 1));
    if (strcmp(name, "le") == 0)
        return template_bool_value(template_compare(st, name, &args[0], &args[1], 1) ||
                                   template_compare(st, name, &args[0], &args[1], 0));
    if (strcmp(name, "gt") == 0)
        return template_bool_value(!(template_compare(st, name, &args[0], &args[1], 1) ||
                                     template_compare(st, name, &args[0], &args[1], 0)));
    if (strcmp(name, "ge") == 0)
        return template_bool_value(!template_compare(st, name, &args[0], &args[1], 1));
    if (strcmp(name, "printf") == 0)
        template_sprintf(st, &sb, args[0].s, args[0].n, args + 1, got - 1);
    else
        template_sprint(st, &sb, args, got, strcmp(name, "println") == 0);
    char *out = template_keep(st, &sb, &len);
    if (strcmp(name, "html") == 0 || strcmp(name, "js") == 0 || strcmp(name, "urlquery") == 0)
        return template_escape(st, name, out, len);
    return template_string_value(out, len, "string");
}

static template_value template_eval_command(template_state *st, template_value dot, const template_node *cmd,
                                            const template_value *final)
{
    const template_node *first = cmd->kids[0];
    template_args a = {cmd->kids + 1, cmd->n_kids - 1, final};
    switch (first->type) {
    case NODE_FIELD:
        st->at = first;
        return template_eval_field_chain(st, dot, dot, first, first->idents, first->n_idents, &a);
    case NODE_CHAIN: {
        st->at = first;
        if (first->node->type == NODE_NIL) {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, first);
            template_exec_fail(st, "indirection through explicit nil in %s", template_keep(st, &sb, NULL));
        }
        /* Go leaves the context at the operand it just evaluated */
        template_value recv = template_eval_arg(st, dot, first->node, 0);
        return template_eval_field_chain(st, dot, recv, first, first->idents, first->n_idents, &a);
    }
    case NODE_IDENT:
        return template_eval_function(st, dot, first, cmd, &a);
    case NODE_PIPE:
        template_not_a_function(st, &a, first);
        return template_eval_pipeline(st, dot, first);
    case NODE_VARIABLE: {
        st->at = first;
        template_value v = template_var_value(st, first->idents[0]);
        if (first->n_idents == 1) {
            template_not_a_function(st, &a, first);
            return v;
        }
        return template_eval_field_chain(st, dot, v, first, first->idents + 1, first->n_idents - 1, &a);
    }
    default:
        break;
    }
    st->at = first;
    template_not_a_function(st, &a, first);
    switch (first->type) {
    case NODE_BOOL:
        return template_bool_value(first->boolean);
    case NODE_DOT:
        return dot;
    case NODE_NIL:
        template_exec_fail(st, "nil is not a command");
    case NODE_NUMBER:
        return template_ideal_constant(st, first);
    case NODE_STRING:
        return template_string_value(first->text, first->text_len, "string");
    default:
        template_exec_fail(st, "can't evaluate command");
    }
}

/* exec.go's evalArg for a parameter of type interface{} / reflect.Value, or
 * string (printf's format) */
static template_value template_eval_arg(template_state *st, template_value dot, const template_node *n,
                                        int string_param)
{
    st->at = n;
    template_value v;
    template_args none = {NULL, 0, NULL};
    switch (n->type) {
    case NODE_DOT:
        v = dot;
        break;
    case NODE_NIL:
        if (string_param)
            template_exec_fail(st, "cannot assign nil to string");
        v = template_invalid();
        v.kind = VAL_NIL;
        v.type = "<nil>";
        return v;
    case NODE_FIELD:
        v = template_eval_field_chain(st, dot, dot, n, n->idents, n->n_idents, &none);
        break;
    case NODE_VARIABLE:
        v = template_var_value(st, n->idents[0]);
        if (n->n_idents > 1)
            v = template_eval_field_chain(st, dot, v, n, n->idents + 1, n->n_idents - 1, &none);
        break;
    case NODE_PIPE:
        v = template_eval_pipeline(st, dot, n);
        break;
    case NODE_IDENT: {
        template_node cmd = {.type = NODE_COMMAND, .pos = n->pos};
        template_node *kids[1] = {(template_node *)n};
        cmd.kids = kids;
        cmd.n_kids = 1;
        v = template_eval_function(st, dot, n, &cmd, &none);
        break;
    }
    case NODE_CHAIN: {
        template_value recv = template_eval_arg(st, dot, n->node, 0);
        v = template_eval_field_chain(st, dot, recv, n, n->idents, n->n_idents, &none);
        break;
    }
    case NODE_BOOL:
        if (string_param)
            template_exec_fail(st, "expected string; found %s", n->boolean ? "true" : "false");
        return template_bool_value(n->boolean);
    case NODE_NUMBER:
        if (string_param)
            template_exec_fail(st, "expected string; found %s", n->text);
        return template_ideal_constant(st, n);
    case NODE_STRING:
        return template_string_value(n->text, n->text_len, "string");
    default:
        template_exec_fail(st, "can't handle argument");
    }
    if (string_param) {
        if (v.kind == VAL_INVALID)
            template_exec_fail(st, "invalid value; expected string");
        if (v.kind != VAL_STRING || strcmp(v.type, "string") != 0)
            template_exec_fail(st, "wrong type for value; expected string; got %s", v.type);
    }
    return v; /* a missing map key stays invalid: printf shows it as <nil>, len fails */
}

static template_value template_eval_pipeline(template_state *st, template_value dot, const template_node *pipe)
{
    st->at = pipe;
    template_value value = template_invalid();
    int have = 0;
    for (size_t i = 0; i < pipe->n_kids; i++) {
        value = template_unwrap(template_eval_command(st, dot, pipe->kids[i], have ? &value : NULL));
        have = 1;
    }
    for (size_t i = 0; i < pipe->n_decl; i++) {
        if (pipe->is_assign)
            template_set_var(st, pipe->decl[i]->idents[0], value);
        else
            template_push(st, pipe->decl[i]->idents[0], value);
    }
    return value;
}

static void template_print_value(template_state *st, const template_node *n, const template_value *v)
{
    st->at = n;
    strbuf sb = STRBUF_INIT;
    if (v->kind == VAL_INVALID)
        strbuf_puts(&sb, "<no value>");
    else
        template_fmt_value(st, &sb, v, 'v', &template_fmt_plain, 0);
    if (sb.failed) {
        strbuf_release(&sb);
        template_fail(st, "out of memory");
    }
    template_tw_write(st, sb.data ? sb.data : "", sb.len);
    strbuf_release(&sb);
}

static void template_walk_range(template_state *st, template_value dot, const template_node *r)
{
    st->at = r;
    size_t mark = st->n_stack;
    template_value val = template_eval_pipeline(st, dot, r->pipe);
    size_t body_mark = st->n_stack;
    size_t count = 0;
    template_kv *kv = NULL;
    switch (val.kind) {
    case VAL_STRINGS:
        count = val.len;
        break;
    case VAL_MAP:
        kv = template_map_sorted(st, &val, &count);
        break;
    case VAL_ROOT:
        count = 1;
        break;
    case VAL_INVALID:
        break;
    default:
        template_exec_fail(st, "range can't iterate over %s", template_sprint_value(st, &val));
    }
    for (size_t i = 0; i < count; i++) {
        template_value elem, key;
        if (val.kind == VAL_STRINGS) {
            size_t n;
            const char *s = template_strings_get(&val, i, &n);
            elem = template_string_value(s, n, "string");
            key = template_int_value((int64_t)i, "int");
        } else if (val.kind == VAL_MAP) {
            elem = template_string_value(json_string_value(kv[i].value), json_string_length(kv[i].value), "string");
            key = template_string_value(kv[i].key, kv[i].key_len, "string");
        } else {
            elem = template_invalid();
            elem.kind = VAL_OUTPUT;
            elem.type = "inspect.Output";
            elem.iface = 1;
            key = template_int_value(0, "int");
        }
        if (r->pipe->n_decl > 0)
            st->stack[st->n_stack - 1].value = elem;
        if (r->pipe->n_decl > 1)
            st->stack[st->n_stack - 2].value = key;
        template_walk(st, elem, r->list);
        st->n_stack = body_mark;
        if (st->loop_ctl == 1) {
            st->loop_ctl = 0;
            st->n_stack = mark;
            return;
        }
        st->loop_ctl = 0;
    }
    if (count == 0 && r->else_list)
        template_walk(st, dot, r->else_list);
    st->n_stack = mark;
}

static void template_walk(template_state *st, template_value dot, const template_node *n)
{
    switch (n->type) {
    case NODE_LIST:
        for (size_t i = 0; i < n->n_kids && !st->loop_ctl; i++)
            template_walk(st, dot, n->kids[i]);
        return;
    case NODE_TEXT:
        template_tw_write(st, n->text, n->text_len);
        return;
    case NODE_ACTION: {
        template_value v = template_eval_pipeline(st, dot, n->pipe);
        if (n->pipe->n_decl == 0)
            template_print_value(st, n, &v);
        return;
    }
    case NODE_BREAK:
        st->loop_ctl = 1;
        return;
    case NODE_CONTINUE:
        st->loop_ctl = 2;
        return;
    case NODE_IF:
    case NODE_WITH: {
        size_t mark = st->n_stack;
        template_value v = template_eval_pipeline(st, dot, n->pipe);
        int t = template_truth(&v);
        if (t < 0)
            template_exec_fail(st, "if/with can't use %s", template_sprint_value(st, &v));
        if (t)
            template_walk(st, n->type == NODE_WITH ? v : dot, n->list);
        else if (n->else_list)
            template_walk(st, dot, n->else_list);
        st->n_stack = mark;
        return;
    }
    case NODE_RANGE:
        template_walk_range(st, dot, n);
        return;
    case NODE_TEMPLATE: {
        st->at = n;
        const template_node *body = NULL;
        for (size_t i = 0; i < st->n_named; i++)
            if (strcmp(st->named[i].name, n->text) == 0)
                body = st->named[i].body;
        if (body == NULL && strcmp(n->text, TEMPLATE_NAME) == 0)
            body = st->root;
        if (body == NULL) {
            strbuf sb = STRBUF_INIT;
            template_quote(&sb, n->text, strlen(n->text), '"');
            template_exec_fail(st, "template %s not defined", template_keep(st, &sb, NULL));
        }
        /* Go allows 100000 nested calls; ferry stops earlier to spare its
         * stack, with Go's message */
        if (st->depth >= TEMPLATE_MAX_DEPTH)
            template_exec_fail(st, "exceeded maximum template depth (100000)");
        template_value v = n->pipe ? template_eval_pipeline(st, dot, n->pipe) : template_invalid();
        st->depth++;
        /* a template runs with its own variables: only $ */
        template_var *saved = st->stack;
        size_t saved_n = st->n_stack, saved_cap = st->cap_stack;
        st->stack = NULL;
        st->n_stack = st->cap_stack = 0;
        template_push(st, "$", v);
        template_walk(st, v, body);
        st->stack = saved;
        st->n_stack = saved_n;
        st->cap_stack = saved_cap;
        st->depth--;
        return;
    }
    default:
        return;
    }
}

/* ================================================================ entry */

/* report.IsJSON: ^\s*(json|{{\s*json\s*(\.)?\s*}})\s*$ */
static int template_is_json(const char *f)
{
    const char *p = f;
#define TEMPLATE_SKIP_WS(q)                                                                                       \
    while (*(q) == ' ' || *(q) == '\t' || *(q) == '\n' || *(q) == '\r' || *(q) == '\f')                            \
    (q)++
    TEMPLATE_SKIP_WS(p);
    if (strncmp(p, "json", 4) == 0) {
        p += 4;
    } else if (strncmp(p, "{{", 2) == 0) {
        p += 2;
        TEMPLATE_SKIP_WS(p);
        if (strncmp(p, "json", 4) != 0)
            return 0;
        p += 4;
        TEMPLATE_SKIP_WS(p);
        if (*p == '.')
            p++;
        TEMPLATE_SKIP_WS(p);
        if (strncmp(p, "}}", 2) != 0)
            return 0;
        p += 2;
    } else {
        return 0;
    }
    TEMPLATE_SKIP_WS(p);
#undef TEMPLATE_SKIP_WS
    return *p == '\0';
}

/* report.NormalizeFormat plus the range wrapping */
static char *template_wrap(const char *format)
{
    strbuf sb = STRBUF_INIT;
    int table = strncmp(format, "table ", 6) == 0;
    strbuf_puts(&sb, TEMPLATE_PREFIX);
    for (const char *p = format; *p;) {
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
            strbuf_append(&sb, p[1] == 't' ? "\t" : "\n", 1);
            p += 2;
        } else if (table && strncmp(p, "table ", 6) == 0) {
            p += 6;
        } else if (table && *p == ' ') {
            strbuf_append(&sb, "\t", 1);
            p++;
        } else {
            strbuf_append(&sb, p, 1);
            p++;
        }
    }
    if (sb.len == strlen(TEMPLATE_PREFIX) || sb.data[sb.len - 1] != '\n')
        strbuf_append(&sb, "\n", 1);
    strbuf_puts(&sb, TEMPLATE_SUFFIX);
    return strbuf_detach(&sb, NULL);
}

static void template_state_free(template_state *st)
{
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

char *inspect_render_template_partial(const char *tmpl, const json_t *inspect, size_t *len, int *failed, char *err,
                                      size_t errcap)
{
    *failed = 0;
    *len = 0;
    if (tmpl == NULL || tmpl[0] == '\0' || template_is_json(tmpl)) {
        char *json = gojson_encode(inspect, 4);
        size_t n = json ? strlen(json) : 0;
        char *out = json ? realloc(json, n + 2) : NULL;
        if (out == NULL) {
            free(json);
            *failed = 1;
            snprintf(err, errcap, "out of memory");
            return NULL;
        }
        out[n] = '\n';
        out[n + 1] = '\0';
        *len = n + 1;
        return out;
    }
    template_state *st = calloc(1, sizeof *st);
    char *text = template_wrap(tmpl);
    if (st == NULL || text == NULL) {
        free(st);
        free(text);
        *failed = 1;
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    st->text = text;
    st->len = strlen(text);
    st->inspect = inspect;
    char *out = NULL;
    if (setjmp(st->jmp) == 0) {
        template_node *root = template_parse(st);
        st->root = root;
        template_tw_add_line(st);
        template_value data = template_invalid();
        data.kind = VAL_ROOT;
        data.type = "[]interface {}";
        template_push(st, "$", data);
        template_walk(st, data, root);
    } else {
        *failed = 1;
        snprintf(err, errcap, "%s", st->msg ? st->msg : "out of memory");
    }
    if (!st->tw.out.failed)
        out = strbuf_detach(&st->tw.out, len);
    if (out == NULL && !*failed) {
        *failed = 1;
        snprintf(err, errcap, "out of memory");
    }
    free(text);
    template_state_free(st);
    return out;
}

char *inspect_render_template(const char *tmpl, const json_t *inspect, char *err, size_t errcap)
{
    int failed;
    size_t len;
    char *out = inspect_render_template_partial(tmpl, inspect, &len, &failed, err, errcap);
    if (failed) {
        free(out);
        return NULL;
    }
    return out;
}
