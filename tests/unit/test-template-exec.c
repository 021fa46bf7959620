/* tests/unit/test-template-exec.c — the template evaluator (template_exec.c)
 * on its own: templates parsed and executed over an inspect-like dot (no
 * skopeo wrapping, so columns are the template's own), checked against
 * what Go 1.19's text/template prints or the "executing … at <…>" error it
 * stops with: range/if/with/else, break and continue, variables, pipelines,
 * and/or laziness, arities, missing keys, methods and {{block}}s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "template_harness.h"

static const char rich_json[] =
    "{\"Name\": \"docker.io/library/busybox\", \"Digest\": \"sha256:0123abcd\", \"RepoTags\": [\"1.36\", \"latest\"],"
    " \"Created\": \"2023-01-02T03:04:05Z\", \"DockerVersion\": \"\","
    " \"Labels\": {\"b\": \"2\", \"a\": \"1\", \"maintainer\": \"me\"}, \"Architecture\": \"amd64\", \"Os\": \"linux\","
    " \"Layers\": [\"sha256:aa\", \"sha256:bb\", \"sha256:cc\"], \"Env\": []}";

/* an image whose config has no created time, labels or env */
static const char bare_json[] = "{\"Created\": null, \"Labels\": null, \"Env\": null, \"Layers\": []}";

typedef enum dot_kind {
    DOT_OUTPUT, /* an inspect.Output over the rich image */
    DOT_ROOT,   /* []interface {}{Output}, as skopeo hands it over */
    DOT_BARE,   /* an inspect.Output over the bare image */
} dot_kind;

/* The output once everything is written (tab-free templates, so the
 * tabwriter's held text is the unterminated last line), or the error. */
static char *execute(dot_kind kind, const char *text)
{
    json_error_t jerr;
    json_t *inspect = json_loads(kind == DOT_BARE ? bare_json : rich_json, 0, &jerr);
    template_state *st = inspect ? template_state_new(text, strlen(text), inspect) : NULL;
    if (st == NULL) {
        json_decref(inspect);
        return strdup("no state");
    }
    template_value dot = template_invalid();
    dot.kind = kind == DOT_ROOT ? VAL_ROOT : VAL_OUTPUT;
    dot.type = kind == DOT_ROOT ? "[]interface {}" : "inspect.Output";
    char *got = harness_try(st, harness_execute, &dot);
    if (got == NULL) {
        strbuf sb = STRBUF_INIT;
        strbuf_append(&sb, st->tw.out.data ? st->tw.out.data : "", st->tw.out.len);
        strbuf_append(&sb, st->tw.buf.data ? st->tw.buf.data : "", st->tw.buf.len);
        got = strbuf_detach(&sb, NULL);
    }
    template_state_free(st);
    json_decref(inspect);
    return got;
}

/* a template and its output, or the error Go stops it with */
typedef struct exec_case {
    const char *text, *want;
} exec_case;

/* over the rich image's Output */
static const exec_case over_output[] = {
    {"{{.Os}}/{{.Architecture}}", "linux/amd64"},
    /* range: elements, index and key variables, maps in key order, else */
    {"{{range .RepoTags}}[{{.}}]{{end}}", "[1.36][latest]"},
    {"{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}", "0=1.36 1=latest "},
    {"{{range $k, $v := .Labels}}{{$k}}:{{$v}};{{end}}", "a:1;b:2;maintainer:me;"},
    {"{{range $i, $e := .Layers}}{{if $i}},{{end}}{{$e}}{{end}}", "sha256:aa,sha256:bb,sha256:cc"},
    {"{{range .Env}}x{{else}}empty{{end}}", "empty"},
    {"{{range .Layers}}{{if eq . \"sha256:bb\"}}{{break}}{{end}}{{.}} {{end}}", "sha256:aa "},
    {"{{range .Layers}}{{if eq . \"sha256:bb\"}}{{continue}}{{end}}{{.}} {{end}}",
     "sha256:aa sha256:cc "},
    {"{{range .Layers}}{{break}}{{.}}{{end}}x", "x"},
    /* if/with/else; with moves dot, if does not */
    {"{{if .DockerVersion}}yes{{else if .Os}}os{{else}}no{{end}}", "os"},
    {"{{with .Tag}}tag{{else}}no tag{{end}}", "no tag"},
    {"{{with .Labels.maintainer}}by {{.}}{{end}}", "by me"},
    {"{{with .Created}}{{.Year}}{{end}}", "2023"},
    {"{{if $x := .Tag}}{{$x}}{{else}}[{{$x}}]{{end}}", "[]"},
    /* variables: $ is the dot the run started with, := shadows, = assigns */
    {"{{range .RepoTags}}{{$.Os}}-{{.}} {{end}}", "linux-1.36 linux-latest "},
    {"{{$x := .Os}}{{$x = \"other\"}}{{$x}}", "other"},
    {"{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "21"},
    {"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"},
    {"{{$n := 0}}{{range .RepoTags}}{{$n = .}}{{end}}{{$n}}", "latest"},
    {"{{$l := .Labels}}{{$l.a}}", "1"},
    /* pipelines: the previous stage is the last argument */
    {"{{.Os | printf \"%s!\"}}", "linux!"},
    {"{{\"a\" | printf \"%s-%s\" \"b\"}}", "b-a"},
    {"{{.Layers | len | printf \"%03d\"}}", "003"},
    {"{{(index .Layers 1)}} {{printf \"%d\" (len .Env)}} {{(.Created).Year}}", "sha256:bb 0 2023"},
    /* and/or stop at the deciding argument and return it, unevaluated rest */
    {"{{and 0 (index .Layers 99)}} {{or 1 (index .Layers 99)}}", "0 1"},
    {"{{or 0 \"\" .Os}}|{{and 1 \"x\" .Tag}}|", "linux||"},
    {"{{.Tag | or \"none\"}} {{.Os | and 1}}", "none linux"},
    {"{{not .Env}} {{not .Labels}}", "true false"},
    {"{{if eq .Os \"darwin\" \"linux\"}}unix{{end}} {{lt 1 2}} {{ge 2.5 2.5}} {{ne .Os .Architecture}}",
     "unix true true true"},
    {"{{len .Labels}} {{len .Os}} {{len .RepoTags}}", "3 5 2"},
    /* a missing key is no value: printed as such, "" from index, nil to printf */
    {"{{.Labels.nope}}|{{index .Labels \"nope\"}}|{{printf \"%v\" .Labels.nope}}", "<no value>||<nil>"},
    /* constants as text/template types them */
    {"{{1.5}} {{'a'}} {{1e3}} {{0x10}} {{1+2i}} {{true}} {{\"s\"}} {{-7}}", "1.5 97 1000 16 (1+2i) true s -7"},
    {"{{.Labels}} {{.Env}} {{.Created}}", "map[a:1 b:2 maintainer:me] [] 2023-01-02 03:04:05 +0000 UTC"},
    /* methods of *time.Time and digest.Digest */
    {"{{.Created.Year}} {{.Created.Month}} {{.Created.Weekday}} {{.Created.Format \"2006-01-02\"}}",
     "2023 January Monday 2023-01-02"},
    {"{{.Digest.Algorithm}} {{.Digest.Encoded}}", "sha256 0123abcd"},
    /* {{block}} defines and runs; {{template}} without a pipeline passes no value */
    {"{{block \"t\" .Os}}[{{.}}]{{end}}{{template \"t\" .Architecture}}", "[linux][amd64]"},
    {"{{block \"t\" .Os}}<{{.}}{{$}}>{{end}}{{template \"t\"}}", "<linuxlinux><<no value><no value>>"},
    /* failures: the position is the node's (line:byte; a field chain's is
     * that of its second field), <…> the node as written */
    {"{{.Nope}}",
     "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <.Nope>: "
     "can't evaluate field Nope in type inspect.Output"},
    {"x\n{{.Os.Foo}}",
     "template: skopeo inspect:2:5: executing \"skopeo inspect\" at <.Os.Foo>: "
     "can't evaluate field Foo in type string"},
    {"{{len}}",
     "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <len>: wrong number of args for len: want 1 got 0"},
    {"{{printf}}",
     "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <printf>: "
     "wrong number of args for printf: want at least 1 got 0"},
    {"{{.Os | len 1}}",
     "template: skopeo inspect:1:8: executing \"skopeo inspect\" at <len>: wrong number of args for len: want 1 got 2"},
    {"{{.Os | eq}}",
     "template: skopeo inspect:1:8: executing \"skopeo inspect\" at <eq>: "
     "error calling eq: missing argument for comparison"},
    {"{{and 1 (index .Layers 99)}}",
     "template: skopeo inspect:1:9: executing \"skopeo inspect\" at <index .Layers 99>: "
     "error calling index: index out of range: 99"},
    {"{{3 4}}",
     "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <3>: can't give argument to non-function 3"},
    {"{{nil}}", "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <nil>: nil is not a command"},
    {"{{range .Os}}{{end}}",
     "template: skopeo inspect:1:8: executing \"skopeo inspect\" at <.Os>: range can't iterate over linux"},
    {"{{.Created.Year 1}}",
     "template: skopeo inspect:1:10: executing \"skopeo inspect\" at <.Created.Year>: "
     "wrong number of args for Year: want 0 got 1"},
    {"{{.Labels.a 1}}",
     "template: skopeo inspect:1:9: executing \"skopeo inspect\" at <.Labels.a>: a is not a method but has arguments"},
    /* inside a named template Go names that template as the one executing */
    {"{{block \"t\" .}}{{.Nope}}{{end}}",
     "template: skopeo inspect:1:17: executing \"t\" at <.Nope>: can't evaluate field Nope in type inspect.Output"},
    {"{{block \"a\\tb\" .}}{{.Os.x}}{{end}}",
     "template: skopeo inspect:1:23: executing \"a\\tb\" at <.Os.x>: can't evaluate field x in type string"},
    {"{{block \"r\" .}}{{template \"r\" .}}{{end}}",
     "template: skopeo inspect:1:26: executing \"r\" at <{{template \"r\" .}}>: "
     "exceeded maximum template depth (100000)"},
};

/* skopeo executes over []interface {}{Output}: fields are looked up through
 * an interface */
static const exec_case over_root[] = {
    {"{{range .}}{{.Os}}{{end}}", "linux"},
    {"{{range .}}{{.Nope}}{{end}}",
     "template: skopeo inspect:1:13: executing \"skopeo inspect\" at <.Nope>: "
     "can't evaluate field Nope in type interface {}"},
};

/* nil *time.Time, map and slice */
static const exec_case over_bare[] = {
    {"{{.Created}}|{{.Labels}}|{{.Env}}|{{len .Labels}}|{{if .Created}}t{{else}}f{{end}}",
     "<nil>|map[]|[]|0|f"},
    {"{{range .Labels}}x{{else}}none{{end}}", "none"},
    {"{{.Created.Year}}",
     "template: skopeo inspect:1:10: executing \"skopeo inspect\" at <.Created.Year>: "
     "error calling Year: value method time.Time.Year called using nil *Time pointer"},
};

/* Go's isTrue, for the values no template above reaches */
static void check_truth(void)
{
    gotime t = {0, 0, 0, "UTC"};
    template_value v = template_time_value(NULL, 1);
    tap_is_int(template_truth(&v), 0, "truth: nil *time.Time is false");
    v = template_time_value(&t, 0);
    tap_is_int(template_truth(&v), 1, "truth: a time.Time struct is true, even the epoch");
    v = harness_complex(0, 1);
    tap_is_int(template_truth(&v), 1, "truth: 0+1i is true");
    v = harness_float(0);
    tap_is_int(template_truth(&v), 0, "truth: 0.0 is false");
    v = template_invalid();
    v.kind = VAL_ERROR;
    v.is_nil = 1;
    tap_is_int(template_truth(&v), 0, "truth: a nil error is false");
}

static void run_table(dot_kind dot, const exec_case *cases, size_t n)
{
    char name[200];
    for (size_t i = 0; i < n; i++) {
        char *got = execute(dot, cases[i].text);
        tap_is_str(got, cases[i].want, tap_name(cases[i].text, name, sizeof name));
        free(got);
    }
}

#define RUN_TABLE(dot, t) run_table(dot, t, sizeof t / sizeof t[0])

int main(void)
{
    size_t n = sizeof over_output / sizeof over_output[0] + sizeof over_root / sizeof over_root[0] +
               sizeof over_bare / sizeof over_bare[0];
    tap_plan((int)n + 5);
    RUN_TABLE(DOT_OUTPUT, over_output);
    RUN_TABLE(DOT_ROOT, over_root);
    RUN_TABLE(DOT_BARE, over_bare);
    check_truth();
    return tap_done();
}
