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

typedef struct parse_case {
    const char *input;
    const char *tree;  /* Root.String(), or NULL */
    const char *error; /* the message, or NULL */
} parse_case;

static const parse_case cases[] = {
    {"", "", NULL},
    {"some text", "some text", NULL},
    {"{{.X}}", "{{.X}}", NULL},
    {"{{.X.Y.Z}}", "{{.X.Y.Z}}", NULL},
    {"{{ .X }}", "{{.X}}", NULL},
    {"{{$x := .X | .Y}}", "{{$x := .X | .Y}}", NULL},
    {"{{$x := 1}}{{$x = 2}}", "{{$x := 1}}{{$x = 2}}", NULL},
    {"{{range $x, $y := .X}}{{$y}}{{end}}", "{{range $x, $y := .X}}{{$y}}{{end}}", NULL},
    {"{{if .X}}hello{{end}}", "{{if .X}}hello{{end}}", NULL},
    {"{{if .X}}true{{else}}false{{end}}", "{{if .X}}true{{else}}false{{end}}", NULL},
    {"{{if .A}}b{{else if .C}}d{{end}}", "{{if .A}}b{{else}}{{if .C}}d{{end}}{{end}}", NULL},
    {"{{with .X}}hello{{else}}bye{{end}}", "{{with .X}}hello{{else}}bye{{end}}", NULL},
    {"{{range .X}}{{break}}{{continue}}{{end}}", "{{range .X}}{{break}}{{continue}}{{end}}", NULL},
    {"{{template \"x\" .Y}}", "{{template \"x\" .Y}}", NULL},
    {"{{block \"x\" .X}}hi{{end}}", "{{template \"x\" .X}}", NULL},
    /* Go takes {{define}} at the top level only, which skopeo's {{range}}
     * wrapping never leaves; the parser is built for the wrapped text */
    {"{{define \"x\"}}hi{{end}}", NULL, "template: skopeo inspect:1: unexpected <define> in command"},
    {"{{printf \"%d\" 23}}", "{{printf \"%d\" 23}}", NULL},
    {"{{.X | printf \"%s\"}}", "{{.X | printf \"%s\"}}", NULL},
    {"{{(.X).Y}}", "{{(.X).Y}}", NULL},
    {"{{$.I}}", "{{$.I}}", NULL},
    {"a {{- 3 -}} b", "a{{3}}b", NULL},
    {"{{/* c */}}x", "x", NULL},
    {"{{printf 1 0x1F 'a' `r` true nil .}}", "{{printf 1 0x1F 'a' `r` true nil .}}", NULL},
    {"{{end}}", NULL, "template: skopeo inspect:1: unexpected {{end}}"},
    {"{{else}}", NULL, "template: skopeo inspect:1: unexpected {{else}}"},
    {"{{range .X}}", NULL, "template: skopeo inspect:1: unexpected EOF"},
    {"x\n{{if .X}}", NULL, "template: skopeo inspect:2: unexpected EOF"},
    {"{{undefined}}", NULL, "template: skopeo inspect:1: function \"undefined\" not defined"},
    {"{{$x}}", NULL, "template: skopeo inspect:1: undefined variable \"$x\""},
    {"{{with $x := 4}}{{end}}{{$x}}", NULL, "template: skopeo inspect:1: undefined variable \"$x\""},
    {"{{if}}", NULL, "template: skopeo inspect:1: missing value for if"},
    {"{{.X | 1}}", NULL, "template: skopeo inspect:1: non executable command in pipeline stage 2"},
    {"{{break}}", NULL, "template: skopeo inspect:1: {{break}} outside {{range}}"},
    {"{{range .X}}{{continue 3}}{{end}}", NULL, "template: skopeo inspect:1: unexpected \"3\" in {{continue}}"},
    {"{{template $v}}", NULL, "template: skopeo inspect:1: unexpected \"$v\" in template clause"},
    {"{{.X", NULL, "template: skopeo inspect:1: unclosed action"},
    {"{{3k}}", NULL, "template: skopeo inspect:1: bad number syntax: \"3k\""},
};

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];
    tap_plan((int)n);
    for (size_t i = 0; i < n; i++) {
        const parse_case *c = &cases[i];
        template_state *st = template_state_new(c->input, strlen(c->input), NULL);
        parse_run run = {STRBUF_INIT};
        char *err = st ? harness_try(st, parse_and_print, &run) : strdup("no state");
        char name[160];
        tap_name(c->input, name, sizeof name);
        if (c->error)
            tap_is_str(err, c->error, name);
        else
            tap_is_str(err ? err : run.out.data ? run.out.data : "", c->tree, name);
        free(err);
        strbuf_release(&run.out);
        template_state_free(st);
    }
    return tap_done();
}
