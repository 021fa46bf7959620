/* tests/unit/test-template-lex.c — the template lexer (template_lex.c) on its
 * own: each input's token stream against the items Go 1.19's text/template
 * lexer yields for it (types, values, trim markers, comments, and the error
 * item that ends a bad input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

static const char *const token_names[] = {
    [TOK_ERROR] = "ERROR",     [TOK_EOF] = "EOF",         [TOK_TEXT] = "TEXT",      [TOK_LEFT_DELIM] = "{{",
    [TOK_RIGHT_DELIM] = "}}", [TOK_SPACE] = "SPACE",     [TOK_IDENT] = "IDENT",    [TOK_FIELD] = "FIELD",
    [TOK_VARIABLE] = "VAR",   [TOK_STRING] = "STRING",   [TOK_RAW_STRING] = "RAW", [TOK_CHAR_CONST] = "CHARCONST",
    [TOK_NUMBER] = "NUMBER",  [TOK_COMPLEX] = "COMPLEX", [TOK_BOOL] = "BOOL",      [TOK_PIPE] = "PIPE",
    [TOK_LPAREN] = "(",       [TOK_RPAREN] = ")",        [TOK_DECLARE] = ":=",     [TOK_ASSIGN] = "=",
    [TOK_CHAR] = "CHAR",
};

typedef struct lex_run {
    strbuf out;
} lex_run;

/* "TYPE=value" per token, one space apart; delimiters and keywords bare */
static void lex_all(template_state *st, void *arg)
{
    lex_run *run = arg;
    for (int guard = 0; guard < 200; guard++) {
        template_tok t = template_lex(st);
        if (run->out.len)
            strbuf_puts(&run->out, " ");
        if (t.type > TOK_KEYWORD)
            strbuf_printf(&run->out, "<%.*s>", (int)t.len, t.val);
        else if (t.type == TOK_LEFT_DELIM || t.type == TOK_RIGHT_DELIM || t.type == TOK_EOF ||
                 t.type == TOK_LPAREN || t.type == TOK_RPAREN || t.type == TOK_DECLARE || t.type == TOK_ASSIGN ||
                 t.type == TOK_PIPE || t.type == TOK_SPACE)
            strbuf_puts(&run->out, token_names[t.type]);
        else
            strbuf_printf(&run->out, "%s=%.*s", token_names[t.type], (int)t.len, t.val);
        if (t.type == TOK_EOF || t.type == TOK_ERROR)
            return;
    }
    strbuf_puts(&run->out, "(no end)");
}

typedef struct lex_case {
    const char *input;
    const char *tokens;
} lex_case;

static const lex_case cases[] = {
    {"", "EOF"},
    {" \t\n", "TEXT= \t\n EOF"},
    {"now is the time", "TEXT=now is the time EOF"},
    {"hello-{{/* this is a comment */}}-world", "TEXT=hello- TEXT=-world EOF"},
    {"{{,@% }}", "{{ CHAR=, CHAR=@ CHAR=% SPACE }} EOF"},
    {"{{((3))}}", "{{ ( ( NUMBER=3 ) ) }} EOF"},
    {"{{}}", "{{ }} EOF"},
    {"{{for}}", "{{ IDENT=for }} EOF"},
    {"{{block \"foo\" .}}", "{{ <block> SPACE STRING=\"foo\" SPACE <.> }} EOF"},
    {"{{\"abc \\n\\t\\\" \"}}", "{{ STRING=\"abc \\n\\t\\\" \" }} EOF"},
    {"{{`abc\n\t\" `}}", "{{ RAW=`abc\n\t\" ` }} EOF"},
    {"{{1 02 0x14 0X14 -7167 1e3 1e+3 1e-3 1.2e-3 1.0 1e1000 0x1p10 1_2}}",
     "{{ NUMBER=1 SPACE NUMBER=02 SPACE NUMBER=0x14 SPACE NUMBER=0X14 SPACE NUMBER=-7167 SPACE NUMBER=1e3 SPACE "
     "NUMBER=1e+3 SPACE NUMBER=1e-3 SPACE NUMBER=1.2e-3 SPACE NUMBER=1.0 SPACE NUMBER=1e1000 SPACE "
     "NUMBER=0x1p10 SPACE NUMBER=1_2 }} EOF"},
    {"{{1+2i 3i}}", "{{ COMPLEX=1+2i SPACE NUMBER=3i }} EOF"},
    {"{{'a' '\\n' '\\'' '\\\\' '\\u00FF' '\\xFF' '\xe6\x9c\xac'}}",
     "{{ CHARCONST='a' SPACE CHARCONST='\\n' SPACE CHARCONST='\\'' SPACE CHARCONST='\\\\' SPACE "
     "CHARCONST='\\u00FF' SPACE CHARCONST='\\xFF' SPACE CHARCONST='\xe6\x9c\xac' }} EOF"},
    {"{{true false}}", "{{ BOOL=true SPACE BOOL=false }} EOF"},
    {"{{.}}", "{{ <.> }} EOF"},
    {"{{nil}}", "{{ <nil> }} EOF"},
    {"{{$c := printf $ $hello $23 $ $var.Field .Method}}",
     "{{ VAR=$c SPACE := SPACE IDENT=printf SPACE VAR=$ SPACE VAR=$hello SPACE VAR=$23 SPACE VAR=$ SPACE "
     "VAR=$var FIELD=.Field SPACE FIELD=.Method }} EOF"},
    {"{{$x = 3}}", "{{ VAR=$x SPACE = SPACE NUMBER=3 }} EOF"},
    {"{{.x . .2 .x.y.z}}", "{{ FIELD=.x SPACE <.> SPACE NUMBER=.2 SPACE FIELD=.x FIELD=.y FIELD=.z }} EOF"},
    {"{{range .Layers | len}}{{else}}{{end}}",
     "{{ <range> SPACE FIELD=.Layers SPACE PIPE SPACE IDENT=len }} {{ <else> }} {{ <end> }} EOF"},
    {"{{(.X).Y}}", "{{ ( FIELD=.X ) FIELD=.Y }} EOF"},
    {"hello- {{- 3 -}} -world", "TEXT=hello- {{ NUMBER=3 }} TEXT=-world EOF"},
    {"hello- {{- /* hello */ -}} -world", "TEXT=hello- TEXT=-world EOF"},
    {"#{{\x01}}", "TEXT=# {{ ERROR=unrecognized character in action: U+0001"},
    {"{{", "{{ ERROR=unclosed action"},
    {"{{range", "{{ <range> ERROR=unclosed action"},
    {"{{\"\n\"}}", "{{ ERROR=unterminated quoted string"},
    {"{{`xx}}", "{{ ERROR=unterminated raw quoted string"},
    {"{{'\n}}", "{{ ERROR=unterminated character constant"},
    {"{{3k}}", "{{ ERROR=bad number syntax: \"3k\""},
    {"{{(3}}", "{{ ( NUMBER=3 ERROR=unclosed left paren"},
    {"{{3)}}", "{{ NUMBER=3 ) ERROR=unexpected right paren U+0029 ')'"},
    {"hello-{{/*/}}-world", "TEXT=hello- ERROR=unclosed comment"},
    {"hello-{{/* */ }}-world", "TEXT=hello- ERROR=comment ends before closing delimiter"},
    {"{{.x<}}", "{{ ERROR=bad character U+003C '<'"},
};

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];
    tap_plan((int)n);
    for (size_t i = 0; i < n; i++) {
        template_state *st = template_state_new(cases[i].input, strlen(cases[i].input), NULL);
        lex_run run = {STRBUF_INIT};
        char *err = st ? harness_try(st, lex_all, &run) : strdup("no state");
        char name[160];
        tap_is_str(err ? err : run.out.data, cases[i].tokens, tap_name(cases[i].input, name, sizeof name));
        free(err);
        strbuf_release(&run.out);
        template_state_free(st);
    }
    return tap_done();
}
