/* core/inspect/inspect.h — the JSON object `skopeo inspect` prints, built from
 * a manifest and its config, member for member in skopeo's order. */
#ifndef FERRY_CORE_INSPECT_H
#define FERRY_CORE_INSPECT_H

#include <jansson.h>
#include <stddef.h>

#include "image/manifest.h"

typedef struct inspect_input {
    const char *name;              /* docker repository ("docker.io/library/x") or NULL: omitted */
    const char *tag;               /* tag or NULL: omitted */
    const char *digest;            /* digest of the manifest as stored (the list's, for a list) */
    const char *const *repo_tags;  /* tags; NULL prints [] (non-registry transports) */
    size_t n_repo_tags;
    const manifest *image;         /* the image manifest (an instance, never a list) */
    const void *config;            /* config blob bytes */
    size_t config_len;
} inspect_input;

/* Returns a new json_t (caller decrefs) for gojson_encode(…, 4), or NULL with a
 * message in err. */
json_t *inspect_build(const inspect_input *in, char *err, size_t errcap);

/* Renders a Go text/template over the inspect object, as `skopeo inspect
 * --format` does (output followed by a newline, like skopeo). Go 1.19's
 * text/template language: literal text, {{.Field}}, {{.Labels.key}},
 * pipelines, variables, if/with/range/else/break/continue, whitespace trimming
 * {{- -}}, the builtin functions (index, len, printf, eq, …) and the methods
 * of the field types (.Created.Year, .Digest.Encoded, …). Values print as
 * Go's fmt %v does ([a b], map[k:v], times as "2006-01-02 15:04:05 +0000
 * UTC"). "json" or "{{json .}}" as the whole format prints the indented
 * JSON. skopeo 1.9.3 has no "json" function ({{json .Labels}} fails there);
 * ferry has newer skopeo's (compact, <>& unescaped, no newline). Returns a
 * malloc'd string (caller frees) or NULL with Go's message in err naming the
 * template problem. */
char *inspect_render_template(const char *tmpl, const json_t *inspect, char *err, size_t errcap);

/* The same, keeping what skopeo has already printed when the template fails
 * while running (it writes output as it goes): returns the output so far
 * (caller frees; may be NULL on OOM) with its length in *len (it may hold NUL
 * bytes from label values), and sets *failed with the message in err. skopeo 1.9.3 facts this implements: a "" or "json"/"{{json .}}"
 * format prints the indented JSON; "\n" and "\t" in the format become a
 * newline and a tab; the format runs inside {{range . }}…{{end}} (so
 * {{.Unknown}} fails with "can't evaluate field Unknown in type
 * interface {}"); output passes through a tabwriter that is never flushed
 * (a last line with a tab is lost). */
char *inspect_render_template_partial(const char *tmpl, const json_t *inspect, size_t *len, int *failed,
                                      char *err, size_t errcap);

#endif
