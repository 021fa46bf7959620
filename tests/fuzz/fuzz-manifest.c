/* tests/fuzz/fuzz-manifest.c — libFuzzer target: manifests, indexes and
 * configs as ferry reads them from registries and archives, and the Go JSON
 * encoder's round trip. The first input byte picks the parser, the rest is
 * the document:
 *   0 manifest_parse (core/image/manifest.c), then serialize → parse →
 *     serialize must give the same bytes (manifest_serialize.c)
 *   1 manifest_detect against each declared media type
 *   2 image configs: oci_config_from_blob and oci_config_inspect_fields
 *     (core/image/oci_config*.c); the OCI form re-read gives itself again
 *   3 schema 1 manifests (core/image/schema1*.c)
 *   4 Go's JSON reader (gojson_parse) and writer: jansson → gojson_encode →
 *     jansson → gojson_encode gives the same bytes, which Go's reader takes
 *   5 an OCI layout's index.json (plugins/oci/layout_index.c), normalised
 *     twice to the same bytes */
#include "fuzz_common.h"

#include <math.h>

#include "image/manifest.h"
#include "image/oci_config.h"
#include "image/schema1.h"
#include "shared/gojson.h"

#include "oci.h"

const ferry_services *oci_services(void) { return services_table(); }

static const char *const fuzz_media_types[] = {
    NULL, "", MEDIA_TYPE_DOCKER_V2S1, MEDIA_TYPE_DOCKER_V2S1_SIGNED, MEDIA_TYPE_DOCKER_V2S2,
    MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX, "text/plain",
};
#define FUZZ_N_MEDIA_TYPES (sizeof fuzz_media_types / sizeof fuzz_media_types[0])

/* Aborts unless `twice` (NULL: it could not be made) is `once` again,
 * and frees both. */
static void fuzz_same(const char *what, char *once, char *twice)
{
    if (twice == NULL || strcmp(once, twice) != 0) {
        fprintf(stderr, "unstable %s:\n%s\n%s\n", what, once, twice != NULL ? twice : "(none)");
        abort();
    }
    free(twice);
    free(once);
}

/* Serializing a parsed manifest as `kind` and parsing that again gives the
 * same bytes again: what ferry writes, it reads back unchanged. */
static void fuzz_manifest_stable(const manifest *m, manifest_kind kind)
{
    int list = manifest_kind_is_list(kind);
    size_t len = 0, len2 = 0;
    char *once = list ? manifest_list_serialize(m, kind, "linux", "amd64", &len) : manifest_serialize(m, kind, &len);
    if (once == NULL)
        return;
    manifest *again = NULL;
    char err[1024];
    if (manifest_parse(once, len, manifest_kind_media_type(kind), &again, err, sizeof err) != 0) {
        fprintf(stderr, "serialized manifest refused: %s\n%.*s\n", err, (int)len, once);
        abort();
    }
    char *twice = list ? manifest_list_serialize(again, kind, "linux", "amd64", &len2)
                       : manifest_serialize(again, kind, &len2);
    if (twice == NULL || len2 != len || memcmp(once, twice, len) != 0) {
        fprintf(stderr, "unstable serialization:\n%.*s\n%.*s\n", (int)len, once, (int)len2,
                twice != NULL ? twice : "");
        abort();
    }
    free(twice);
    manifest_free(again);
    free(once);
}

static void fuzz_manifest(const uint8_t *data, size_t size, const char *declared)
{
    manifest *m = NULL;
    char err[1024];
    if (manifest_parse(data, size, declared, &m, err, sizeof err) != 0)
        return;
    switch (m->kind) {
    case MANIFEST_DOCKER_V2S2:
    case MANIFEST_OCI:
        fuzz_manifest_stable(m, m->kind);
        break;
    case MANIFEST_DOCKER_LIST:
    case MANIFEST_OCI_INDEX:
        fuzz_manifest_stable(m, m->kind);
        (void)manifest_list_choose(m, "linux", "amd64", NULL, err, sizeof err);
        (void)manifest_list_choose(m, "linux", "arm", "v7", err, sizeof err);
        break;
    default:
        break;
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        (void)manifest_layer_compression(m->layers[i].media_type);
        (void)manifest_layer_media_type(MANIFEST_OCI, m->layers[i].media_type, LAYER_COMPRESSION_ZSTD, err, sizeof err);
        (void)manifest_layer_media_type(MANIFEST_DOCKER_V2S2, m->layers[i].media_type, LAYER_COMPRESSION_NONE, err,
                                        sizeof err);
    }
    manifest_free(m);
}

static void fuzz_detect(const uint8_t *data, size_t size)
{
    char err[1024];
    for (size_t i = 0; i < FUZZ_N_MEDIA_TYPES; i++)
        (void)manifest_detect(data, size, fuzz_media_types[i], err, sizeof err);
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    char err[1024];
    json_t *oci = oci_config_from_blob(data, size, err, sizeof err);
    if (oci != NULL) {
        char *once = gojson_encode(oci, 0);
        if (once != NULL) {
            json_t *again = oci_config_from_blob(once, strlen(once), err, sizeof err);
            if (again == NULL)
                fprintf(stderr, "converted config refused: %s\n", err);
            fuzz_same("config conversion", once, again != NULL ? gojson_encode(again, 0) : NULL);
            json_decref(again);
        }
        json_decref(oci);
    }
    for (int docker = 0; docker <= 1; docker++) {
        oci_config_inspect info;
        if (oci_config_inspect_fields(data, size, docker, &info, err, sizeof err) == 0)
            oci_config_inspect_release(&info);
    }
}

static void fuzz_schema1(const uint8_t *data, size_t size)
{
    char err[1024];
    schema1_manifest *m = NULL;
    if (schema1_parse(data, size, &m, err, sizeof err) == 0) {
        free(schema1_layer_infos(m));
        size_t n = 0;
        free(schema1_schema2_layers(m, &n));
        char *payload = NULL;
        size_t payload_len = 0;
        if (schema1_renamed(m, "example.com/renamed", "v1", &payload, &payload_len, err, sizeof err) == 0)
            free(payload);
        schema1_free(m);
    }
    char *payload = NULL;
    size_t payload_len = 0;
    if (schema1_payload(data, size, &payload, &payload_len, err, sizeof err) == 0)
        free(payload);
    char digest[128];
    (void)schema1_digest(data, size, digest, sizeof digest, err, sizeof err);
    (void)schema1_verify(data, size, err, sizeof err);
}

/* Whether `v` holds a real negative zero, which Go writes as "-0" and which
 * jansson reads back, integers kept, as the integer 0, which has no sign. */
static int fuzz_has_negative_zero(const json_t *v)
{
    if (json_is_real(v))
        return json_real_value(v) == 0 && signbit(json_real_value(v));
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (fuzz_has_negative_zero(json_array_get(v, i)))
                return 1;
        return 0;
    }
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member) {
        if (fuzz_has_negative_zero(member))
            return 1;
    }
    return 0;
}

static void fuzz_gojson(const uint8_t *data, size_t size)
{
    char err[512];
    gojson_node *node = gojson_parse(data, size, err, sizeof err);
    gojson_node_free(node);

    /* Two readings: integers kept as such, and every number a float64 as
     * Go's json.Unmarshal into interface{} reads them. */
    for (int as_real = 0; as_real <= 1; as_real++) {
        size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | (as_real ? JSON_DECODE_INT_AS_REAL : 0);
        json_t *v = json_loadb((const char *)data, size, flags, NULL);
        if (v == NULL)
            continue;
        for (int indent = 0; indent <= 4; indent += 4) {
            char *once = gojson_encode(v, indent);
            if (once == NULL)
                continue;
            gojson_node *parsed = gojson_parse(once, strlen(once), err, sizeof err);
            if (parsed == NULL) {
                fprintf(stderr, "Go's reader refuses the encoder's output (%s):\n%s\n", err, once);
                abort();
            }
            gojson_node_free(parsed);
            json_t *again = json_loads(once, flags, NULL);
            /* Go writes a float64 below 1e21 without an exponent ("1e20" gives
             * "100000000000000000000"), which jansson cannot read back as an
             * integer, and -0.0 as "-0", which it reads back as the integer 0:
             * the float reading checks those. */
            if (!as_real && (again == NULL || fuzz_has_negative_zero(v))) {
                json_decref(again);
                free(once);
                continue;
            }
            fuzz_same("JSON encoding", once, again != NULL ? gojson_encode(again, indent) : NULL);
            json_decref(again);
        }
        json_decref(v);
    }
}

static void fuzz_oci_index(const uint8_t *data, size_t size)
{
    ferry_ctx ctx;
    fuzz_ctx_init(&ctx);
    json_t *index = NULL;
    if (oci_index_parse(services_table(), &ctx, "oci:fuzz", (const char *)data, size, &index) != FERRY_OK)
        return;
    char *once = gojson_encode(index, 0);
    json_t *again = NULL;
    if (once == NULL ||
        oci_index_parse(services_table(), &ctx, "oci:fuzz", once, strlen(once), &again) != FERRY_OK) {
        fprintf(stderr, "normalised index.json refused: %s\n%s\n", ctx.message, once != NULL ? once : "");
        abort();
    }
    fuzz_same("index.json", once, gojson_encode(again, 0));
    json_decref(again);
    json_decref(index);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *doc = data + 1;
    size_t len = size - 1;
    switch (data[0] % 6) {
    case 0: fuzz_manifest(doc, len, fuzz_media_types[(data[0] / 6) % FUZZ_N_MEDIA_TYPES]); break;
    case 1: fuzz_detect(doc, len); break;
    case 2: fuzz_config(doc, len); break;
    case 3: fuzz_schema1(doc, len); break;
    case 4: fuzz_gojson(doc, len); break;
    case 5: fuzz_oci_index(doc, len); break;
    }
    return 0;
}
