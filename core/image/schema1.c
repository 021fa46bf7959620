/* core/image/schema1.c — reading Docker schema 1 manifests as
 * containers/image v5.23 does: json.Unmarshal into its Schema1 types (through
 * the Go decoder of oci_config_decode.c), the checks of Schema1FromManifest,
 * initialize and fixManifestLayers, LayerInfos(), and the manifest digest,
 * which for a signed manifest covers the JWS payload only (the signatures are
 * parsed in schema1_sign.c). The conversions are in schema1_convert.c. */
#include "image/schema1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "image/oci_config_internal.h"
#include "image/schema1_internal.h"
#include "shared/gojson.h"

/* docker/distribution's gzip'd empty tar (it carries a non-zero mtime, so
 * its digest is the one every registry knows). */
static const unsigned char schema1_gzipped_empty_layer[SCHEMA1_EMPTY_LAYER_SIZE] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x09, 0x6e, 0x88, 0x00, 0xff, 0x62, 0x18, 0x05, 0xa3, 0x60, 0x14,
    0x8c, 0x58, 0x00, 0x08, 0x00, 0x00, 0xff, 0xff, 0x2e, 0xaf, 0xb5, 0xef, 0x00, 0x04, 0x00, 0x00,
};

const unsigned char *schema1_empty_layer(void)
{
    return schema1_gzipped_empty_layer;
}

/* ---------------------------------------------------------------- Go types */

#define SCHEMA1_N(a) (sizeof(a) / sizeof((a)[0]))

static const oci_config_type schema1_t_digest = {OCI_CONFIG_STRING, "digest.Digest", NULL, NULL, 0};

/* manifest.Schema1 (ExtractedV1Compatibility is json:"-") */
static const oci_config_field schema1_f_fslayer[] = {{"blobSum", &schema1_t_digest, 0}};
static const oci_config_type schema1_t_fslayer = {OCI_CONFIG_STRUCT, "manifest.Schema1FSLayers", NULL,
                                                  schema1_f_fslayer, SCHEMA1_N(schema1_f_fslayer)};
static const oci_config_type schema1_t_fslayers = {OCI_CONFIG_SLICE, "[]manifest.Schema1FSLayers",
                                                   &schema1_t_fslayer, NULL, 0};
static const oci_config_field schema1_f_hist[] = {{"v1Compatibility", &oci_config_t_string, 0}};
static const oci_config_type schema1_t_hist = {OCI_CONFIG_STRUCT, "manifest.Schema1History", NULL, schema1_f_hist,
                                               SCHEMA1_N(schema1_f_hist)};
static const oci_config_type schema1_t_hists = {OCI_CONFIG_SLICE, "[]manifest.Schema1History", &schema1_t_hist,
                                                NULL, 0};
enum { SCHEMA1_M_NAME, SCHEMA1_M_TAG, SCHEMA1_M_ARCH, SCHEMA1_M_FSLAYERS, SCHEMA1_M_HISTORY, SCHEMA1_M_VERSION };
static const oci_config_field schema1_f_manifest[] = {
    {"name", &oci_config_t_string, 0},       {"tag", &oci_config_t_string, 0},
    {"architecture", &oci_config_t_string, 0}, {"fsLayers", &schema1_t_fslayers, 0},
    {"history", &schema1_t_hists, 0},        {"schemaVersion", &oci_config_t_int, 0},
};
static const oci_config_type schema1_t_manifest = {OCI_CONFIG_STRUCT, "manifest.Schema1", NULL, schema1_f_manifest,
                                                   SCHEMA1_N(schema1_f_manifest)};

/* manifest.Schema1V1Compatibility */
static const oci_config_field schema1_f_container_config[] = {{"Cmd", &oci_config_t_strings, 0}};
static const oci_config_type schema1_t_container_config = {
    OCI_CONFIG_STRUCT, "manifest.schema1V1CompatibilityContainerConfig", NULL, schema1_f_container_config,
    SCHEMA1_N(schema1_f_container_config)};
enum { SCHEMA1_V_ID, SCHEMA1_V_PARENT, SCHEMA1_V_COMMENT, SCHEMA1_V_CREATED, SCHEMA1_V_CC, SCHEMA1_V_AUTHOR,
       SCHEMA1_V_THROWAWAY };
static const oci_config_field schema1_f_v1compat[] = {
    {"id", &oci_config_t_string, 0},        {"parent", &oci_config_t_string, 1},
    {"comment", &oci_config_t_string, 1},   {"created", &oci_config_t_time, 0},
    {"container_config", &schema1_t_container_config, 1}, {"author", &oci_config_t_string, 1},
    {"throwaway", &oci_config_t_bool, 1},
};
static const oci_config_type schema1_t_v1compat = {OCI_CONFIG_STRUCT, "manifest.Schema1V1Compatibility", NULL,
                                                   schema1_f_v1compat, SCHEMA1_N(schema1_f_v1compat)};

/* The members validateUnambiguousManifestFormat looks for (interface{} in
 * Go: any value but null counts), and the "signatures" GuessMIMEType looks
 * for; json.RawMessage keeps null as the text "null". */
enum { SCHEMA1_D_CONFIG, SCHEMA1_D_FSLAYERS, SCHEMA1_D_HISTORY, SCHEMA1_D_LAYERS, SCHEMA1_D_MANIFESTS,
       SCHEMA1_D_SIGNATURES };
static const oci_config_field schema1_f_detect[] = {
    {"config", &oci_config_t_raw, 0},    {"fsLayers", &oci_config_t_raw, 0},  {"history", &oci_config_t_raw, 0},
    {"layers", &oci_config_t_raw, 0},    {"manifests", &oci_config_t_raw, 0}, {"signatures", &oci_config_t_raw, 0},
};
static const oci_config_type schema1_t_detect = {OCI_CONFIG_STRUCT, "struct", NULL, schema1_f_detect,
                                                 SCHEMA1_N(schema1_f_detect)};

/* GuessMIMEType's view of a manifest */
enum { SCHEMA1_G_MEDIA_TYPE, SCHEMA1_G_VERSION, SCHEMA1_G_SIGNATURES };
static const oci_config_field schema1_f_guess[] = {
    {"mediaType", &oci_config_t_string, 0},
    {"schemaVersion", &oci_config_t_int, 0},
    {"signatures", &oci_config_t_raw, 0},
};
static const oci_config_type schema1_t_guess = {OCI_CONFIG_STRUCT, "struct", NULL, schema1_f_guess,
                                                SCHEMA1_N(schema1_f_guess)};

/* An interface{} member that was present and not null. */
static int schema1_raw_set(const oci_config_value *v)
{
    return v->str != NULL && !(v->str_len == 4 && memcmp(v->str, "null", 4) == 0);
}

/* ---------------------------------------------------------------- history entries */

/* oci_config_strdup, and the length when len is not NULL. */
static char *schema1_dup(const oci_config_value *v, size_t *len)
{
    if (len)
        *len = v->str_len;
    return oci_config_strdup(v);
}

void schema1_history_clear(schema1_history *h)
{
    free(h->v1_compatibility);
    free(h->id);
    free(h->parent);
    free(h->comment);
    free(h->author);
    for (size_t i = 0; i < h->n_cmd; i++)
        free(h->cmd[i]);
    free(h->cmd);
    free(h->cmd_lens);
    memset(h, 0, sizeof *h);
}

int schema1_history_decode(const char *json, size_t len, schema1_history *h, char *err, size_t errcap)
{
    oci_config_value v;
    memset(h, 0, sizeof *h);
    int rc = oci_config_unmarshal(json, len, &v, &schema1_t_v1compat, err, errcap);
    if (rc == 0) {
        const oci_config_value *f = v.items;
        const oci_config_value *cmd = &f[SCHEMA1_V_CC].items[0];
        h->id = schema1_dup(&f[SCHEMA1_V_ID], NULL);
        h->parent = schema1_dup(&f[SCHEMA1_V_PARENT], &h->parent_len);
        h->comment = schema1_dup(&f[SCHEMA1_V_COMMENT], &h->comment_len);
        h->author = schema1_dup(&f[SCHEMA1_V_AUTHOR], &h->author_len);
        h->created = f[SCHEMA1_V_CREATED].time;
        h->throwaway = f[SCHEMA1_V_THROWAWAY].boolean;
        int oom = !h->id || !h->parent || !h->comment || !h->author;
        if (!oom && cmd->len > 0) {
            h->cmd = calloc(cmd->len, sizeof *h->cmd);
            h->cmd_lens = calloc(cmd->len, sizeof *h->cmd_lens);
            oom = !h->cmd || !h->cmd_lens;
            for (size_t i = 0; !oom && i < cmd->len; i++) {
                h->cmd[i] = schema1_dup(&cmd->items[i], &h->cmd_lens[i]);
                oom = h->cmd[i] == NULL;
                h->n_cmd = i + 1;
            }
        }
        if (oom) {
            snprintf(err, errcap, "out of memory");
            rc = -1;
        }
    }
    oci_config_value_clear(&v);
    if (rc != 0)
        schema1_history_clear(h);
    return rc;
}

/* ---------------------------------------------------------------- fixManifestLayers */

static int schema1_valid_v1_id(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return 0;
    return n == 64;
}

typedef struct schema1_run {
    const char *id;
    size_t index; /* where the run of this ID starts */
} schema1_run;

static int schema1_run_cmp(const void *a, const void *b)
{
    const schema1_run *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* The ID fixManifestLayers first finds again after a different one (an ID in
 * two runs), or NULL. Sorting the runs keeps it linear-logarithmic for
 * manifests with many entries. *oom on allocation failure. */
static const char *schema1_repeated_id(const schema1_history *h, size_t n, int *oom)
{
    schema1_run *runs = malloc(n * sizeof *runs);
    size_t n_runs = 0;
    *oom = runs == NULL;
    if (runs == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(h[i].id, h[i - 1].id) != 0)
            runs[n_runs++] = (schema1_run){h[i].id, i};
    qsort(runs, n_runs, sizeof *runs, schema1_run_cmp);
    const char *found = NULL;
    size_t found_at = n;
    /* per ID, the second run is where Go notices; the earliest such wins */
    for (size_t i = 1; i < n_runs; i++) {
        if (strcmp(runs[i].id, runs[i - 1].id) == 0 && (i < 2 || strcmp(runs[i - 2].id, runs[i].id) != 0) &&
            runs[i].index < found_at) {
            found = runs[i].id;
            found_at = runs[i].index;
        }
    }
    free(runs);
    return found;
}

static void schema1_quote_for_message(const char *s, size_t n, char *out, size_t cap)
{
    char *q = gojson_quote(s, n);
    snprintf(out, cap, "%s", q ? q : "\"?\"");
    free(q);
}

/* fixManifestLayers: validates IDs and the parent chain, and drops each
 * entry whose ID equals the next (older) entry's, keeping the older one. */
static int schema1_fix_layers(schema1_manifest *m, char *err, size_t errcap)
{
    schema1_history *h = m->history;
    size_t n = m->n;
    char q[160];
    for (size_t i = 0; i < n; i++) {
        if (!schema1_valid_v1_id(h[i].id)) {
            schema1_quote_for_message(h[i].id, strlen(h[i].id), q, sizeof q);
            snprintf(err, errcap, "schema 1 manifest: image ID %s is invalid", q);
            return -1;
        }
    }
    if (h[n - 1].parent_len != 0) {
        snprintf(err, errcap, "schema 1 manifest: Invalid parent ID in the base layer of the image");
        return -1;
    }
    int oom;
    const char *repeated = schema1_repeated_id(h, n, &oom);
    if (oom || repeated) {
        if (oom)
            snprintf(err, errcap, "out of memory");
        else
            snprintf(err, errcap, "schema 1 manifest: ID %s appears multiple times in manifest", repeated);
        return -1;
    }
    /* Go removes entries from the back; `next` is the entry that then sits
     * just after position i */
    char *drop = calloc(n, 1);
    if (drop == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    size_t next = n - 1;
    for (size_t i = n - 1; i-- > 0;) {
        if (strcmp(h[i].id, h[next].id) == 0) {
            drop[i] = 1;
        } else if (h[i].parent_len != strlen(h[next].id) || memcmp(h[i].parent, h[next].id, h[i].parent_len) != 0) {
            schema1_quote_for_message(h[i].parent, h[i].parent_len, q, sizeof q);
            snprintf(err, errcap, "schema 1 manifest: Invalid parent ID. Expected %s, got %s", h[next].id, q);
            free(drop);
            return -1;
        } else {
            next = i;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (drop[i]) {
            schema1_history_clear(&h[i]);
            free(m->blob_sums[i]);
            continue;
        }
        h[kept] = h[i];
        m->blob_sums[kept++] = m->blob_sums[i];
    }
    m->n = kept;
    free(drop);
    return 0;
}

/* ---------------------------------------------------------------- parsing */

void schema1_free(schema1_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        if (m->history)
            schema1_history_clear(&m->history[i]);
        if (m->blob_sums)
            free(m->blob_sums[i]);
    }
    free(m->history);
    free(m->blob_sums);
    free(m->name);
    free(m->tag);
    free(m->architecture);
    free(m);
}

/* validateUnambiguousManifestFormat for schema 1 (fsLayers and history
 * allowed); also notes whether "signatures" is set. */
static int schema1_check_unambiguous(const void *data, size_t len, int *is_signed, char *err, size_t errcap)
{
    oci_config_value d;
    char msg[256];
    if (oci_config_unmarshal(data, len, &d, &schema1_t_detect, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "schema 1 manifest: %s", msg);
        oci_config_value_clear(&d);
        return -1;
    }
    static const int unexpected[] = {SCHEMA1_D_CONFIG, SCHEMA1_D_LAYERS, SCHEMA1_D_MANIFESTS};
    strbuf names = STRBUF_INIT;
    for (size_t i = 0; i < SCHEMA1_N(unexpected); i++)
        if (schema1_raw_set(&d.items[unexpected[i]]))
            strbuf_printf(&names, "%s\"%s\"", names.len ? ", " : "", schema1_f_detect[unexpected[i]].name);
    *is_signed = schema1_raw_set(&d.items[SCHEMA1_D_SIGNATURES]);
    oci_config_value_clear(&d);
    if (names.len) {
        snprintf(err, errcap, "schema 1 manifest: rejecting ambiguous manifest, unexpected fields []string{%s} in "
                 "supposedly %s", names.data, MEDIA_TYPE_DOCKER_V2S1_SIGNED);
        strbuf_release(&names);
        return -1;
    }
    strbuf_release(&names);
    return 0;
}

/* Takes the decoded lists into m, decoding every v1Compatibility
 * (containers/image's initialize). */
static int schema1_take_entries(schema1_manifest *m, const oci_config_value *fs, const oci_config_value *hist,
                                char *err, size_t errcap)
{
    if (fs->len != hist->len) {
        snprintf(err, errcap, "schema 1 manifest: length of history not equal to number of layers");
        return -1;
    }
    if (fs->len == 0) {
        snprintf(err, errcap, "schema 1 manifest: no FSLayers in manifest");
        return -1;
    }
    m->blob_sums = calloc(fs->len, sizeof *m->blob_sums);
    m->history = calloc(fs->len, sizeof *m->history);
    if (m->blob_sums == NULL || m->history == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < fs->len; i++) {
        const oci_config_value *text = &hist->items[i].items[0];
        char msg[512];
        if (schema1_history_decode(text->str ? text->str : "", text->str_len, &m->history[i], msg, sizeof msg) != 0) {
            snprintf(err, errcap, "schema 1 manifest: parsing v2s1 history entry %zu: %s", i, msg);
            return -1;
        }
        m->n = i + 1;
        m->history[i].v1_compatibility = schema1_dup(text, &m->history[i].v1_compatibility_len);
        m->blob_sums[i] = schema1_dup(&fs->items[i].items[0], NULL);
        if (m->history[i].v1_compatibility == NULL || m->blob_sums[i] == NULL) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
    }
    return 0;
}

int schema1_parse(const void *data, size_t len, schema1_manifest **out, char *err, size_t errcap)
{
    *out = NULL;
    oci_config_value v;
    char msg[512];
    if (oci_config_unmarshal(data, len, &v, &schema1_t_manifest, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "schema 1 manifest: %s", msg);
        oci_config_value_clear(&v);
        return -1;
    }
    schema1_manifest *m = calloc(1, sizeof *m);
    int rc = -1;
    const oci_config_value *f = v.items;
    if (m == NULL) {
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    if (f[SCHEMA1_M_VERSION].integer != 1) {
        snprintf(err, errcap, "schema 1 manifest: unsupported schema version %lld", f[SCHEMA1_M_VERSION].integer);
        goto done;
    }
    if (schema1_check_unambiguous(data, len, &m->is_signed, err, errcap) != 0)
        goto done;
    m->name = schema1_dup(&f[SCHEMA1_M_NAME], NULL);
    m->tag = schema1_dup(&f[SCHEMA1_M_TAG], NULL);
    m->architecture = schema1_dup(&f[SCHEMA1_M_ARCH], NULL);
    if (m->name == NULL || m->tag == NULL || m->architecture == NULL) {
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    if (schema1_take_entries(m, &f[SCHEMA1_M_FSLAYERS], &f[SCHEMA1_M_HISTORY], err, errcap) != 0 ||
        schema1_fix_layers(m, err, errcap) != 0)
        goto done;
    for (size_t i = 0; i < m->n; i++) {
        if (!digest_is_valid(m->blob_sums[i])) {
            schema1_quote_for_message(m->blob_sums[i], strlen(m->blob_sums[i]), msg, sizeof msg);
            snprintf(err, errcap, "schema 1 manifest: fsLayers blobSum %s is not a valid digest", msg);
            goto done;
        }
    }
    rc = 0;
done:
    oci_config_value_clear(&v);
    if (rc == 0)
        *out = m;
    else
        schema1_free(m);
    return rc;
}

/* ---------------------------------------------------------------- layers */

schema1_layer_info *schema1_layer_infos(const schema1_manifest *m)
{
    schema1_layer_info *infos = calloc(m->n ? m->n : 1, sizeof *infos);
    if (infos == NULL)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        infos[m->n - 1 - i].digest = m->blob_sums[i];
        infos[m->n - 1 - i].empty = m->history[i].throwaway;
    }
    return infos;
}

const char **schema1_schema2_layers(const schema1_manifest *m, size_t *n)
{
    const char **out = calloc(m->n ? m->n : 1, sizeof *out);
    *n = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = m->n; i-- > 0;)
        if (!m->history[i].throwaway)
            out[(*n)++] = m->blob_sums[i];
    return out;
}

/* ---------------------------------------------------------------- digest */

int schema1_guess_signed(const void *data, size_t len)
{
    oci_config_value g;
    char msg[256];
    int is_signed = 0;
    if (oci_config_unmarshal(data, len, &g, &schema1_t_guess, msg, sizeof msg) == 0) {
        const oci_config_value *mt = &g.items[SCHEMA1_G_MEDIA_TYPE];
        const char *recognised[] = {MEDIA_TYPE_DOCKER_V2S2, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_MANIFEST,
                                    MEDIA_TYPE_OCI_INDEX};
        int known = 0;
        for (size_t i = 0; i < SCHEMA1_N(recognised); i++)
            if (mt->str && mt->str_len == strlen(recognised[i]) && memcmp(mt->str, recognised[i], mt->str_len) == 0)
                known = 1;
        is_signed = !known && g.items[SCHEMA1_G_VERSION].integer == 1 &&
                    schema1_raw_set(&g.items[SCHEMA1_G_SIGNATURES]);
    }
    oci_config_value_clear(&g);
    return is_signed;
}

int schema1_payload(const void *data, size_t len, char **payload, size_t *payload_len, char *err, size_t errcap)
{
    *payload = NULL;
    *payload_len = 0;
    if (schema1_guess_signed(data, len)) {
        schema1_jws *jws;
        if (schema1_jws_parse(data, len, &jws, err, errcap) != 0)
            return -1;
        *payload = jws->payload;
        *payload_len = jws->payload_len;
        jws->payload = NULL;
        schema1_jws_free(jws);
        return 0;
    }
    *payload = malloc(len + 1);
    if (*payload == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    if (len)
        memcpy(*payload, data, len);
    (*payload)[len] = '\0';
    *payload_len = len;
    return 0;
}

int schema1_digest(const void *data, size_t len, char *out, size_t outcap, char *err, size_t errcap)
{
    char *payload;
    size_t payload_len;
    if (schema1_payload(data, len, &payload, &payload_len, err, errcap) != 0)
        return -1;
    int rc = digest_sha256(payload, payload_len, out, outcap);
    free(payload);
    if (rc != 0)
        snprintf(err, errcap, "cannot compute a sha256 digest");
    return rc;
}
