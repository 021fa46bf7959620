/* core/signature/sigstore_params.c — the sigstore signing parameter file
 * (containers-sigstore-signing-params.yaml, `copy --sign-by-sigstore`), read
 * with libyaml as later containers/image's params.ParseFile decodes it
 * (gopkg.in/yaml.v3 with KnownFields: unknown and repeated keys refused,
 * yaml.v3's messages on one line). ferry signs with the private key only:
 * Fulcio certificates and Rekor uploads need the network, which ferry does
 * not use, so a file asking for them is refused before anything is copied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/goerrno.h"
#include "shared/fsutil.h"
#include "signature/sigstore.h"

#define SP_MAX_FILE (1u << 20)

static const char *const sp_fulcio_keys[] = {
    "fulcioURL", "oidcMode", "oidcIDToken", "oidcIssuerURL", "oidcClientID", "oidcClientSecret",
};

typedef struct sp_ctx {
    yaml_document_t doc;
    const char *path;
    char *err;
    size_t errcap;
} sp_ctx;

static int sp_fail(sp_ctx *x, const yaml_node_t *n, const char *what, const char *detail)
{
    snprintf(x->err, x->errcap, "parsing \"%s\": yaml: unmarshal errors: line %zu: %s%s", x->path,
             n->start_mark.line + 1, what, detail);
    return -1;
}

/* yaml.v3's "cannot unmarshal !!TAG into TYPE". */
static int sp_type_fail(sp_ctx *x, const yaml_node_t *n, const char *go_type)
{
    char what[256];
    const char *tag = n->type == YAML_MAPPING_NODE ? "!!map" : n->type == YAML_SEQUENCE_NODE ? "!!seq" : "!!str";
    if (n->type == YAML_SCALAR_NODE)
        snprintf(what, sizeof(what), "cannot unmarshal %s `%.64s` into ", tag, (const char *)n->data.scalar.value);
    else
        snprintf(what, sizeof(what), "cannot unmarshal %s into ", tag);
    return sp_fail(x, n, what, go_type);
}

/* A scalar as a Go string: null (~, empty, "null") is the zero value. */
static int sp_string(sp_ctx *x, const yaml_node_t *n, char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return sp_type_fail(x, n, "string");
    const char *v = (const char *)n->data.scalar.value;
    int plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    int null = plain && (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
                         strcmp(v, "NULL") == 0);
    free(*out);
    *out = null ? NULL : strdup(v);
    if (!null && *out == NULL) {
        snprintf(x->err, x->errcap, "out of memory");
        return -1;
    }
    return 0;
}

/* Walks a mapping's pairs: each key known (in keys) and not repeated; the
 * index of each key's value node goes to values[i] (0 when absent). */
static int sp_mapping(sp_ctx *x, const yaml_node_t *map, const char *go_type, const char *const *keys, size_t n_keys,
                      yaml_node_t **values)
{
    if (map->type != YAML_MAPPING_NODE)
        return sp_type_fail(x, map, go_type);
    for (size_t i = 0; i < n_keys; i++)
        values[i] = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&x->doc, p->key), *v = yaml_document_get_node(&x->doc, p->value);
        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
            return sp_fail(x, map, "mapping key is not a string", "");
        const char *name = (const char *)k->data.scalar.value;
        size_t i = 0;
        while (i < n_keys && strcmp(keys[i], name) != 0)
            i++;
        char what[256];
        if (i == n_keys) {
            snprintf(what, sizeof(what), "field %.64s not found in type ", name);
            return sp_fail(x, k, what, go_type);
        }
        if (values[i] != NULL) {
            snprintf(what, sizeof(what), "mapping key \"%.64s\" already defined at line %zu", name,
                     values[i]->start_mark.line + 1);
            return sp_fail(x, k, what, "");
        }
        values[i] = v;
    }
    return 0;
}

static int sp_decode(sp_ctx *x, sigstore_params *out)
{
    yaml_node_t *root = yaml_document_get_root_node(&x->doc);
    if (root == NULL) { /* an empty document: yaml.v3's Decode gives io.EOF */
        snprintf(x->err, x->errcap, "parsing \"%s\": EOF", x->path);
        return -1;
    }
    static const char *const keys[] = {"privateKeyFile", "privateKeyPassphraseFile", "fulcio", "rekorURL"};
    yaml_node_t *v[4], *fv[sizeof(sp_fulcio_keys) / sizeof(sp_fulcio_keys[0])];
    char *ignored = NULL;
    if (sp_mapping(x, root, "params.SigningParameterFile", keys, 4, v) != 0 ||
        (v[0] != NULL && sp_string(x, v[0], &out->private_key_file) != 0) ||
        (v[1] != NULL && sp_string(x, v[1], &out->private_key_passphrase_file) != 0) ||
        (v[3] != NULL && sp_string(x, v[3], &ignored) != 0))
        return -1;
    out->has_rekor_url = ignored != NULL;
    free(ignored);
    ignored = NULL;
    /* fulcio: null (or empty) is a nil pointer, as yaml.v3 leaves it. */
    int null_fulcio = v[2] != NULL && v[2]->type == YAML_SCALAR_NODE && sp_string(x, v[2], &ignored) == 0 &&
                      ignored == NULL;
    free(ignored);
    ignored = NULL;
    if (v[2] != NULL && !null_fulcio) {
        if (sp_mapping(x, v[2], "params.SigningParameterFileFulcio", sp_fulcio_keys, sizeof(fv) / sizeof(fv[0]), fv) !=
            0)
            return -1;
        for (size_t i = 0; i < sizeof(fv) / sizeof(fv[0]); i++) {
            if (fv[i] != NULL && sp_string(x, fv[i], &ignored) != 0)
                return -1;
            free(ignored);
            ignored = NULL;
        }
        out->has_fulcio = 1;
    }
    return 0;
}

int sigstore_params_load(const char *path, sigstore_params *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    strbuf data = STRBUF_INIT;
    if (fs_read_file(path, &data) != 0 || data.failed) {
        char why[128];
        snprintf(err, errcap, "setting up signing using parameter file \"%s\": reading \"%s\": open %s: %s", path, path,
                 path, go_errno_text(errno, why, sizeof(why)));
        strbuf_release(&data);
        return -1;
    }
    if (data.len > SP_MAX_FILE) {
        snprintf(err, errcap, "setting up signing using parameter file \"%s\": parsing \"%s\": the file is larger "
                 "than %u bytes", path, path, SP_MAX_FILE);
        strbuf_release(&data);
        return -1;
    }
    char why[1024];
    sp_ctx x = {.path = path, .err = why, .errcap = sizeof(why)};
    yaml_parser_t parser;
    int rc = -1;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)(data.data != NULL ? data.data : ""), data.len);
    if (!yaml_parser_load(&parser, &x.doc)) {
        snprintf(why, sizeof(why), "parsing \"%s\": yaml: line %zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem != NULL ? parser.problem : "syntax error");
    } else {
        rc = sp_decode(&x, out);
        yaml_document_delete(&x.doc);
    }
    yaml_parser_delete(&parser);
    strbuf_release(&data);
    if (rc != 0) /* NewSignerFromParameterFile's wrapping of ParseFile's errors */
        snprintf(err, errcap, "setting up signing using parameter file \"%s\": %s", path, why);
    /* newSignerFromParameterData and NewSigner, without the network. */
    if (rc == 0 && (out->has_fulcio || out->has_rekor_url)) {
        snprintf(err, errcap, "setting up signing using parameter file \"%s\": %s needs the network, which ferry "
                 "does not use; only privateKeyFile signing is supported", path,
                 out->has_fulcio ? "Fulcio (fulcio:)" : "Rekor (rekorURL:)");
        rc = -1;
    } else if (rc == 0 && out->private_key_file == NULL) {
        snprintf(err, errcap, "no private key source provided (neither a private key nor Fulcio) when preparing to "
                 "create sigstore signatures");
        rc = -1;
    }
    if (rc != 0)
        sigstore_params_release(out);
    return rc;
}

void sigstore_params_release(sigstore_params *p)
{
    free(p->private_key_file);
    free(p->private_key_passphrase_file);
    memset(p, 0, sizeof(*p));
}
