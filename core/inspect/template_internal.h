/* core/inspect/template_internal.h — what the parts of the --format template
 * engine share: tokens, the syntax tree, Go values, the run state, and each
 * part's entry points. Not installed and not seen by modules.
 *
 * The engine is Go 1.19's text/template, split as Go splits it:
 *   template_lex.c        lexer (lex.go)
 *   template_parse.c      parser and syntax tree printing (parse.go, node.go)
 *   template_literal.c    string and number literals (strconv.Unquote, NumberNode)
 *   template_exec.c       evaluator (exec.go)
 *   template_builtins.c   the builtin functions (funcs.go) plus newer skopeo's json
 *   template_fmt.c        fmt's verbs, Sprint and Sprintf, as the builtins print
 *   template_tabwriter.c  text/tabwriter, the way skopeo's report wraps output
 *   template_values.c     value constructors, []string and map accessors
 *   template_support.c    the run's arena, error unwinding and Go quoting
 *   template.c            the inspect glue: skopeo's inspect.Output fields, the
 *                         --format normalisation and inspect_render_template
 *
 * Every function that takes a template_state may end the run by longjmp to
 * st->jmp (set by whoever starts the run) with the message in st->msg; memory
 * from template_alloc lives until template_state_free. One state per run, one
 * thread per state. */
#ifndef FERRY_INSPECT_TEMPLATE_INTERNAL_H
#define FERRY_INSPECT_TEMPLATE_INTERNAL_H

#include <jansson.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/strbuf.h"
#include "util/gotime.h"


#define TEMPLATE_NAME "skopeo inspect"
#define TEMPLATE_PREFIX "{{range . }}" /* 12 bytes, as skopeo's error columns show */
#define TEMPLATE_SUFFIX "{{end}}"
#define TEMPLATE_MAX_DEPTH 1000        /* nested {{template}} calls */

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
    const char *exec_name; /* the {{template}} executing, for messages; NULL: TEMPLATE_NAME */
    template_tabwriter tw;
} template_state;

/* a map entry, as range and fmt visit them (sorted by key) */
typedef struct template_kv {
    const char *key;
    size_t key_len;
    const json_t *value;
} template_kv;

/* fmt's flags, width and precision for one verb */
typedef struct template_fmt {
    int minus, plus, sharp, space, zero;
    int wid, prec; /* -1: not given */
} template_fmt;

/* a builtin function's arity: exactly min_args, or at least when variadic */
typedef struct template_builtin {
    const char *name;
    size_t min_args;
    int variadic;
} template_builtin;

/* ---------------------------------------------------------- template_support.c */

/* A zeroed state over text (not copied: it must outlive the state), values
 * read from inspect (borrowed); NULL when out of memory. */
template_state *template_state_new(const char *text, size_t len, const json_t *inspect);
/* Frees the state, its arena, tabwriter and message; NULL is a no-op. */
void template_state_free(template_state *st);
/* End the run with msg (consumed) or a formatted message. */
void template_throw(template_state *st, strbuf *msg) __attribute__((noreturn));
void template_fail(template_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Zeroed memory / copies owned by the run's arena. */
void *template_alloc(template_state *st, size_t size);
char *template_strndup(template_state *st, const char *s, size_t n);
/* Moves sb's contents into the arena (sb released); *len gets the length. */
char *template_keep(template_state *st, strbuf *sb, size_t *len);
/* arr with room for one more element, moved within the arena when full */
void *template_arena_grow(template_state *st, void *arr, size_t n, size_t *cap, size_t elem);
/* Appends a pointer to an arena array of pointers; returns the array. */
void *template_push_ptr(template_state *st, void *arr, size_t *n, size_t *cap, const void *item);
/* 1 + the number of newlines in the template before pos */
int template_line_of(const template_state *st, size_t pos);
/* an approximation of unicode.IsPrint */
int template_rune_printable(unsigned r);
/* the rune r in UTF-8 */
void template_put_rune(strbuf *sb, unsigned r);
/* strconv.Quote ('"') or QuoteRune ('\''); QuoteToASCII when ascii is set */
void template_quote_ex(strbuf *sb, const char *s, size_t n, char quote, int ascii);
void template_quote(strbuf *sb, const char *s, size_t n, char quote);
/* fmt's %#U: U+003C '<' */
void template_sharp_u(strbuf *sb, unsigned r);

/* ---------------------------------------------------------- template_lex.c */

/* The next token of st->text (lexer state in st->lx_*); TOK_EOF at the end,
 * TOK_ERROR with Go's message in val. Never fails but for memory. */
template_tok template_lex(template_state *st);

/* ---------------------------------------------------------- template_parse.c */

/* Parses st->text into the tree of the main template ({{define}}d ones go to
 * st->named); fails with Go's "template: NAME:LINE: …" messages. */
template_node *template_parse(template_state *st);
void template_parse_fail(template_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
template_node *template_new_node(template_state *st, template_node_type type, size_t pos);
/* node.String(): the node as Go prints it in messages */
void template_node_string(strbuf *sb, const template_node *n);

/* ---------------------------------------------------------- template_literal.c */

/* strconv.Unquote of a "…", `…` or '…' literal into the arena; -1 on bad
 * syntax. */
int template_unquote(template_state *st, const char *s, size_t n, char **out, size_t *out_len);
/* parse.NumberNode of a TOK_NUMBER, TOK_CHAR_CONST or TOK_COMPLEX; fails
 * with Go's "illegal number syntax" / "integer overflow" */
template_node *template_new_number(template_state *st, template_tok t);

/* ---------------------------------------------------------- template_values.c */

template_value template_invalid(void);
/* s is borrowed: it must live as long as the run (arena or inspect JSON) */
template_value template_string_value(const char *s, size_t n, const char *type);
template_value template_int_value(int64_t i, const char *type);
template_value template_bool_value(int b);
template_value template_time_value(const gotime *t, int ptr);
size_t template_map_len(const template_value *v);
/* element i of a VAL_STRINGS ("" for a non-string) */
const char *template_strings_get(const template_value *v, size_t i, size_t *n);
/* a VAL_MAP's entries sorted by key, in the arena */
template_kv *template_map_sorted(template_state *st, const template_value *v, size_t *n);

/* ---------------------------------------------------------- template.c */

/* index of skopeo's inspect.Output field name, or -1 */
int template_output_field(const char *name);
/* Output's fields in declaration order (as %v and %#v print them) */
size_t template_output_field_count(void);
const char *template_output_field_name(size_t i);
/* Output field i, read from st->inspect */
template_value template_output_get(template_state *st, size_t i);

/* ---------------------------------------------------------- template_fmt.c */

extern const template_fmt template_fmt_plain;
size_t template_rune_count(const char *s, size_t n);
/* one verb applied to v (depth: nesting, for %v of containers) */
void template_fmt_value(template_state *st, strbuf *sb, const template_value *v, char verb, const template_fmt *f,
                        int depth);
/* fmt.Sprintf, fmt.Sprint (ln = 0) and fmt.Sprintln (ln = 1) */
void template_sprintf(template_state *st, strbuf *sb, const char *format, size_t flen, const template_value *args,
                      size_t nargs);
void template_sprint(template_state *st, strbuf *sb, const template_value *args, size_t nargs, int ln);

/* ---------------------------------------------------------- template_tabwriter.c */

/* Starts the tabwriter's first line; call once before writing. */
void template_tw_add_line(template_state *st);
/* Writes through the tabwriter into st->tw.out (never flushed, as skopeo's). */
void template_tw_write(template_state *st, const char *s, size_t n);

/* ---------------------------------------------------------- template_exec.c */

/* Fails with Go's "template: NAME:LINE:COL: executing … at <node>: …" for
 * the node at st->at. */
void template_exec_fail(template_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Executes node n with dot, output to the tabwriter. */
void template_walk(template_state *st, template_value dot, const template_node *n);
/* Declares variable name (as $ before a run). */
void template_push(template_state *st, const char *name, template_value value);
/* Go's isTrue; -1 when the value has no truth */
int template_truth(const template_value *v);
/* %v of a value, in the arena, for messages */
const char *template_sprint_value(template_state *st, const template_value *v);

/* ---------------------------------------------------------- template_builtins.c */

/* the builtin called name, or NULL */
const template_builtin *template_builtin_find(const char *name, size_t len);
/* Applies builtin name (neither and nor or: those are lazy, in the
 * evaluator) to n evaluated arguments, whose count was checked. */
template_value template_builtin_call(template_state *st, const char *name, const template_value *args, size_t n);

#endif
