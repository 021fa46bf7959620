/* tests/unit/test-template-parse.c — the template parser and the syntax
 * tree's printing (template_parse.c) on their own: each input parsed and
 * printed back as Go 1.19's (*parse.Tree).Root.String() prints it, or the
 * parse error Go gives for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

typedef struct parse_run {
    strbuf out;
} parse_run;

static void parse_and_print(template_state *st, void *arg)
{
    parse_run *run = arg;
    template_node *root = template_parse(st);
    template_node_string(&run->out, root);
}

/* an input and Root.String() of its tree, or the message Go fails with */
typedef struct parse_case {
    const char *input;
    const char *expected;
} parse_case;

static const parse_case tree_cases[] = {
    {"", ""},
    {"some text", "some text"},
    {"{{.X}}", "{{.X}}"},
    {"{{.X.Y.Z}}", "{{.X.Y.Z}}"},
    {"{{ .X }}", "{{.X}}"},
    {"{{$x := .X | .Y}}", "{{$x := .X | .Y}}"},
    {"{{$x := 1}}{{$x = 2}}", "{{$x := 1}}{{$x = 2}}"},
    {"{{range $x, $y := .X}}{{$y}}{{end}}", "{{range $x, $y := .X}}{{$y}}{{end}}"},
    {"{{if .X}}hello{{end}}", "{{if .X}}hello{{end}}"},
    {"{{if .X}}true{{else}}false{{end}}", "{{if .X}}true{{else}}false{{end}}"},
    {"{{if .A}}b{{else if .C}}d{{end}}", "{{if .A}}b{{else}}{{if .C}}d{{end}}{{end}}"},
    {"{{with .X}}hello{{else}}bye{{end}}", "{{with .X}}hello{{else}}bye{{end}}"},
    {"{{range .X}}{{break}}{{continue}}{{end}}", "{{range .X}}{{break}}{{continue}}{{end}}"},
    {"{{template \"x\" .Y}}", "{{template \"x\" .Y}}"},
    {"{{block \"x\" .X}}hi{{end}}", "{{template \"x\" .X}}"},
    {"{{printf \"%d\" 23}}", "{{printf \"%d\" 23}}"},
    {"{{.X | printf \"%s\"}}", "{{.X | printf \"%s\"}}"},
    {"{{(.X).Y}}", "{{(.X).Y}}"},
    {"{{$.I}}", "{{$.I}}"},
    {"a {{- 3 -}} b", "a{{3}}b"},
    {"{{/* c */}}x", "x"},
    {"{{printf 1 0x1F 'a' `r` true nil .}}", "{{printf 1 0x1F 'a' `r` true nil .}}"},
};

static const parse_case error_cases[] = {
    /* Go takes {{define}} at the top level only, which skopeo's {{range}}
     * wrapping never leaves; the parser is built for the wrapped text */
    {"{{define \"x\"}}hi{{end}}",
     "template: skopeo inspect:1: unexpected <define> in command"},
    {"{{end}}",
     "template: skopeo inspect:1: unexpected {{end}}"},
    {"{{else}}",
     "template: skopeo inspect:1: unexpected {{else}}"},
    {"{{range .X}}",
     "template: skopeo inspect:1: unexpected EOF"},
    {"x\n{{if .X}}",
     "template: skopeo inspect:2: unexpected EOF"},
    /* Go takes {{define}} at the top level only, which skopeo's {{range}}
     * wrapping never leaves; the parser is built for the wrapped text */
    {"{{undefined}}",
     "template: skopeo inspect:1: function \"undefined\" not defined"},
    {"{{$x}}",
     "template: skopeo inspect:1: undefined variable \"$x\""},
    {"{{with $x := 4}}{{end}}{{$x}}",
     "template: skopeo inspect:1: undefined variable \"$x\""},
    {"{{if}}",
     "template: skopeo inspect:1: missing value for if"},
    {"{{.X | 1}}",
     "template: skopeo inspect:1: non executable command in pipeline stage 2"},
    {"{{break}}",
     "template: skopeo inspect:1: {{break}} outside {{range}}"},
    {"{{range .X}}{{continue 3}}{{end}}",
     "template: skopeo inspect:1: unexpected \"3\" in {{continue}}"},
    {"{{template $v}}",
     "template: skopeo inspect:1: unexpected \"$v\" in template clause"},
    {"{{.X",
     "template: skopeo inspect:1: unclosed action"},
    {"{{3k}}",
     "template: skopeo inspect:1: bad number syntax: \"3k\""},
};

/* Parses c->input; the printed tree, or the error when failing is expected. */
static void parse_check(const parse_case *c, int expect_error)
{
    template_state *st = template_state_new(c->input, strlen(c->input), NULL);
    parse_run run = {STRBUF_INIT};
    char *err = st ? harness_try(st, parse_and_print, &run) : strdup("no state");
    char name[160];
    tap_name(c->input, name, sizeof name);
    if (expect_error)
        tap_is_str(err, c->expected, name);
    else
        tap_is_str(err ? err : run.out.data ? run.out.data : "", c->expected, name);
    free(err);
    strbuf_release(&run.out);
    template_state_free(st);
}

int main(void)
{
    size_t nt = sizeof tree_cases / sizeof tree_cases[0];
    size_t ne = sizeof error_cases / sizeof error_cases[0];
    tap_plan((int)(nt + ne));
    for (size_t i = 0; i < nt; i++)
        parse_check(&tree_cases[i], 0);
    for (size_t i = 0; i < ne; i++)
        parse_check(&error_cases[i], 1);
    return tap_done();
}
