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
 * --format` does (output followed by a newline, like skopeo). Supported:
 * literal text, {{.Field}}, {{.Labels.key}}, {{index .Labels "k"}},
 * {{json .Field}}, {{range .Layers}}…{{end}} (with {{.}} and fields of
 * LayersData entries inside), and whitespace trimming {{- -}}. Values print as
 * Go's fmt %v does ([a b], map[k:v], times as "2006-01-02 15:04:05 +0000 UTC").
 * Returns a malloc'd string (caller frees) or NULL with a message in err naming
 * the template problem. */
char *inspect_render_template(const char *tmpl, const json_t *inspect, char *err, size_t errcap);

#endif
