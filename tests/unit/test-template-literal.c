/* tests/unit/test-template-literal.c — template literals (template_literal.c)
 * on their own: strconv.Unquote of each quoting form, and the value
 * parse.NumberNode gives each number (IsInt/IsFloat/IsComplex and the
 * values), with Go's errors for what it refuses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

typedef struct unquote_case {
    const char *literal;
    const char *value; /* NULL: refused */
    size_t value_len;
} unquote_case;

static const unquote_case unquote_cases[] = {
    {"\"abc\"", "abc", 3},
    {"\"a\\tb\\n\\\\\\\"\"", "a\tb\n\\\"", 6},
    {"\"\\x41\\101\\u00e9\\U0001F600\"", "AA\xc3\xa9\xf0\x9f\x98\x80", 8},
    {"\"\\x00z\"", "\0z", 2},
    {"`raw \\n\r`", "raw \\n", 6},
    {"'a'", "a", 1},
    {"'\\''", "'", 1},
    {"'\xe6\x9c\xac'", "\xe6\x9c\xac", 3},
    {"\"\\q\"", NULL, 0},
    {"\"\\'\"", NULL, 0},
    {"'ab'", NULL, 0},
    {"\"\\uD800\"", NULL, 0},
    {"\"\\400\"", NULL, 0},
    {"\"abc", NULL, 0},
};

typedef struct literal_run {
    const char *literal;
    template_tok_type type;
    int rc;
    char *value;
    size_t len;
    template_node *node;
} literal_run;

static void unquote_step(template_state *st, void *arg)
{
    literal_run *run = arg;
    run->rc = template_unquote(st, run->literal, strlen(run->literal), &run->value, &run->len);
}

static void number_step(template_state *st, void *arg)
{
    literal_run *run = arg;
    template_tok t = {run->type, 0, run->literal, strlen(run->literal)};
    run->node = template_new_number(st, t);
}

typedef struct number_case {
    const char *literal;
    template_tok_type type;
    const char *expect; /* "int I float F complex R I", or the error */
} number_case;

static const number_case number_cases[] = {
    {"0", TOK_NUMBER, "int 0 float 0"},
    {"-7167", TOK_NUMBER, "int -7167 float -7167"},
    {"0x1F", TOK_NUMBER, "int 31 float 31"},
    {"0o17", TOK_NUMBER, "int 15 float 15"},
    {"017", TOK_NUMBER, "int 15 float 15"},
    {"0b101", TOK_NUMBER, "int 5 float 5"},
    {"1_000", TOK_NUMBER, "int 1000 float 1000"},
    {"1e3", TOK_NUMBER, "int 1000 float 1000"},
    {"1.5", TOK_NUMBER, "float 1.5"},
    {"0x1p-2", TOK_NUMBER, "float 0.25"},
    {"'a'", TOK_CHAR_CONST, "int 97 float 97"},
    {"'\\n'", TOK_CHAR_CONST, "int 10 float 10"},
    {"1+2i", TOK_COMPLEX, "complex 1 2"},
    {"2i", TOK_NUMBER, "complex 0 2"},
    {"1+0i", TOK_COMPLEX, "int 1 float 1"},
    {"9223372036854775807", TOK_NUMBER, "int 9223372036854775807 float 9.22337e+18"},
    {"99999999999999999999", TOK_NUMBER, "template: skopeo inspect:1: integer overflow: \"99999999999999999999\""},
    {"1e1000", TOK_NUMBER, "template: skopeo inspect:1: illegal number syntax: \"1e1000\""},
    {"0x", TOK_NUMBER, "template: skopeo inspect:1: illegal number syntax: \"0x\""},
    {"'ab'", TOK_CHAR_CONST, "template: skopeo inspect:1: malformed character constant: 'ab'"},
};

static void describe_number(const template_node *n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    if (n->is_complex)
        k += (size_t)snprintf(out + k, cap - k, "complex %g %g", n->fval, n->imag);
    if (n->is_int)
        k += (size_t)snprintf(out + k, cap - k, "int %lld ", (long long)n->ival);
    if (n->is_float)
        k += (size_t)snprintf(out + k, cap - k, "float %g", n->fval);
    if (k && out[k - 1] == ' ')
        out[k - 1] = '\0';
}

int main(void)
{
    size_t nu = sizeof unquote_cases / sizeof unquote_cases[0];
    size_t nn = sizeof number_cases / sizeof number_cases[0];
    tap_plan((int)(nu + nn));
    char name[160];
    for (size_t i = 0; i < nu; i++) {
        const unquote_case *c = &unquote_cases[i];
        template_state *st = template_state_new("", 0, NULL);
        literal_run run = {.literal = c->literal};
        char *err = st ? harness_try(st, unquote_step, &run) : strdup("no state");
        int ok = err == NULL && (c->value ? run.rc == 0 && run.len == c->value_len &&
                                                memcmp(run.value, c->value, c->value_len) == 0
                                          : run.rc == -1);
        if (!tap_ok(ok, "unquote %s", tap_name(c->literal, name, sizeof name)))
            tap_diag("rc %d, %zu bytes, error %s", run.rc, run.len, err ? err : "none");
        free(err);
        template_state_free(st);
    }
    for (size_t i = 0; i < nn; i++) {
        const number_case *c = &number_cases[i];
        template_state *st = template_state_new("", 0, NULL);
        literal_run run = {.literal = c->literal, .type = c->type};
        char *err = st ? harness_try(st, number_step, &run) : strdup("no state");
        char got[128] = "";
        if (err == NULL && run.node)
            describe_number(run.node, got, sizeof got);
        snprintf(name, sizeof name, "number %s", c->literal);
        tap_is_str(err ? err : got, c->expect, name);
        free(err);
        template_state_free(st);
    }
    return tap_done();
}
