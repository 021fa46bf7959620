/* core/image/manifest.c — parsing and validating manifests and lists, media
 * type detection, layer media types, platform selection. */
#include "image/manifest.h"
#include "image/schema1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"

static const struct {
    manifest_kind kind;
    const char *media_type;
} kinds[] = {
    {MANIFEST_DOCKER_V2S1, MEDIA_TYPE_DOCKER_V2S1},
    {MANIFEST_DOCKER_V2S1, MEDIA_TYPE_DOCKER_V2S1_SIGNED},
    {MANIFEST_DOCKER_V2S2, MEDIA_TYPE_DOCKER_V2S2},
    {MANIFEST_DOCKER_LIST, MEDIA_TYPE_DOCKER_LIST},
    {MANIFEST_OCI, MEDIA_TYPE_OCI_MANIFEST},
    {MANIFEST_OCI_INDEX, MEDIA_TYPE_OCI_INDEX},
};

const char *manifest_kind_media_type(manifest_kind kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].kind == kind)
            return kinds[i].media_type;
    return NULL;
}

manifest_kind manifest_kind_from_media_type(const char *media_type)
{
    if (media_type == NULL)
        return MANIFEST_UNKNOWN;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].media_type, media_type) == 0)
            return kinds[i].kind;
    return MANIFEST_UNKNOWN;
}

int manifest_kind_is_list(manifest_kind kind)
{
    return kind == MANIFEST_DOCKER_LIST || kind == MANIFEST_OCI_INDEX;
}

static const char *json_string_member(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Kind from the body alone, as containers/image guesses it. */
static manifest_kind manifest_guess(const json_t *root)
{
    const char *mt = json_string_member(root, "mediaType");
    if (mt != NULL && manifest_kind_from_media_type(mt) != MANIFEST_UNKNOWN)
        return manifest_kind_from_media_type(mt);
    json_int_t version = json_integer_value(json_object_get(root, "schemaVersion"));
    if (version == 1)
        return MANIFEST_DOCKER_V2S1;
    if (version != 2)
        return MANIFEST_UNKNOWN;
    if (json_object_get(root, "manifests") != NULL)
        return MANIFEST_OCI_INDEX;
    const json_t *config = json_object_get(root, "config");
    if (json_is_object(config)) {
        const char *cmt = json_string_member(config, "mediaType");
        if (cmt != NULL && strcmp(cmt, MEDIA_TYPE_DOCKER_CONFIG) == 0)
            return MANIFEST_DOCKER_V2S2;
        return MANIFEST_OCI;
    }
    return MANIFEST_UNKNOWN;
}

/* Rejects documents that could be read as two formats (CVE-2021-41190). */
static int manifest_check_unambiguous(const json_t *root, manifest_kind kind, char *err, size_t errcap)
{
    int has_manifests = json_object_get(root, "manifests") != NULL;
    int has_image_parts = json_object_get(root, "config") != NULL || json_object_get(root, "layers") != NULL;
    int has_fs_layers = json_object_get(root, "fsLayers") != NULL;
    if (manifest_kind_is_list(kind) && (has_image_parts || has_fs_layers)) {
        snprintf(err, errcap, "manifest list also has image members (config/layers), refusing ambiguous manifest");
        return -1;
    }
    if ((kind == MANIFEST_OCI || kind == MANIFEST_DOCKER_V2S2) && (has_manifests || has_fs_layers)) {
        snprintf(err, errcap, "image manifest also has list or schema 1 members, refusing ambiguous manifest");
        return -1;
    }
    return 0;
}

static json_t *manifest_load_json(const void *data, size_t len, char *err, size_t errcap)
{
    if (len > MANIFEST_MAX_SIZE) {
        snprintf(err, errcap, "manifest is %zu bytes, over the %d byte limit", len, MANIFEST_MAX_SIZE);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        snprintf(err, errcap, "manifest is not valid JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errcap, "manifest is not a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

manifest_kind manifest_detect(const void *data, size_t len, const char *declared, char *err, size_t errcap)
{
    json_t *root = manifest_load_json(data, len, err, errcap);
    if (root == NULL)
        return MANIFEST_UNKNOWN;
    manifest_kind kind = manifest_guess(root);
    const char *body_type = json_string_member(root, "mediaType");
    manifest_kind declared_kind = manifest_kind_from_media_type(declared);
    if (declared_kind != MANIFEST_UNKNOWN && body_type != NULL && strcmp(body_type, declared) != 0 &&
        !(declared_kind == MANIFEST_DOCKER_V2S1 && kind == MANIFEST_DOCKER_V2S1)) {
        snprintf(err, errcap, "manifest declares media type \"%s\" but its storage says \"%s\"", body_type,
                 declared);
        kind = MANIFEST_UNKNOWN;
    } else if (declared_kind != MANIFEST_UNKNOWN && body_type == NULL) {
        kind = declared_kind;
    }
    if (kind == MANIFEST_UNKNOWN && err[0] == '\0') {
        if (body_type != NULL)
            snprintf(err, errcap, "unsupported manifest media type \"%s\"", body_type);
        else
            snprintf(err, errcap, "cannot determine the manifest's format (no mediaType, no known structure)");
    }
    if (kind != MANIFEST_UNKNOWN && manifest_check_unambiguous(root, kind, err, errcap) != 0)
        kind = MANIFEST_UNKNOWN;
    json_decref(root);
    return kind;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int descriptor_parse(const json_t *obj, manifest_descriptor *d, const char *what, char *err, size_t errcap)
{
    memset(d, 0, sizeof(*d));
    if (!json_is_object(obj)) {
        snprintf(err, errcap, "%s is not a JSON object", what);
        return -1;
    }
    const char *digest = json_string_member(obj, "digest");
    const json_t *size = json_object_get(obj, "size");
    if (digest == NULL || !digest_is_valid(digest)) {
        snprintf(err, errcap, "%s has an invalid digest \"%s\"", what, digest ? digest : "(missing)");
        return -1;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        snprintf(err, errcap, "%s (%s) has a missing or invalid size", what, digest);
        return -1;
    }
    d->digest = strdup(digest);
    d->size = json_integer_value(size);
    d->media_type = dup_or_null(json_string_member(obj, "mediaType"));
    const json_t *urls = json_object_get(obj, "urls");
    if (json_is_array(urls))
        d->urls = json_incref((json_t *)urls);
    const json_t *ann = json_object_get(obj, "annotations");
    if (json_is_object(ann))
        d->annotations = json_incref((json_t *)ann);
    const json_t *platform = json_object_get(obj, "platform");
    if (json_is_object(platform)) {
        d->platform = json_incref((json_t *)platform);
        d->platform_os = dup_or_null(json_string_member(platform, "os"));
        d->platform_arch = dup_or_null(json_string_member(platform, "architecture"));
        d->platform_variant = dup_or_null(json_string_member(platform, "variant"));
    }
    return d->digest == NULL ? -1 : 0;
}

static void descriptor_release(manifest_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    free(d->platform_os);
    free(d->platform_arch);
    free(d->platform_variant);
    json_decref(d->urls);
    json_decref(d->annotations);
    json_decref(d->platform);
}

void manifest_free(manifest *m)
{
    if (m == NULL)
        return;
    descriptor_release(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        descriptor_release(&m->layers[i]);
    free(m->layers);
    free(m->media_type);
    free(m->artifact_type);
    json_decref(m->annotations);
    json_decref(m->subject);
    schema1_free(m->schema1);
    free(m);
}

/* A schema 1 manifest as the copy sees one: every fsLayer bottom-up
 * (throwaway ones too, as containers/image copies them) labelled as the gzip
 * layers schema 1 implies, sizes unknown, no config; the parsed manifest in
 * m->schema1 for the conversions. */
static int manifest_parse_schema1(const void *data, size_t len, manifest **out, char *err, size_t errcap)
{
    schema1_manifest *s1 = NULL;
    if (schema1_parse(data, len, &s1, err, errcap) != 0)
        return -1;
    manifest *m = calloc(1, sizeof(*m));
    schema1_layer_info *infos = schema1_layer_infos(s1);
    if (m == NULL || infos == NULL || (m->layers = calloc(s1->n, sizeof(*m->layers))) == NULL) {
        snprintf(err, errcap, "out of memory");
        free(infos);
        free(m);
        schema1_free(s1);
        return -1;
    }
    m->kind = MANIFEST_DOCKER_V2S1;
    m->media_type = strdup(s1->is_signed ? MEDIA_TYPE_DOCKER_V2S1_SIGNED : MEDIA_TYPE_DOCKER_V2S1);
    m->schema1 = s1;
    for (size_t i = 0; i < s1->n; i++) {
        m->layers[i].digest = strdup(infos[i].digest);
        m->layers[i].media_type = strdup(MEDIA_TYPE_DOCKER_LAYER_GZIP);
        m->layers[i].size = -1;
        m->n_layers++;
    }
    free(infos);
    *out = m;
    return 0;
}

int manifest_parse(const void *data, size_t len, const char *declared, manifest **out, char *err, size_t errcap)
{
    err[0] = '\0';
    manifest_kind kind = manifest_detect(data, len, declared, err, errcap);
    if (kind == MANIFEST_UNKNOWN)
        return -1;
    if (kind == MANIFEST_DOCKER_V2S1)
        return manifest_parse_schema1(data, len, out, err, errcap);
    json_t *root = manifest_load_json(data, len, err, errcap);
    if (root == NULL)
        return -1;
    manifest *m = calloc(1, sizeof(*m));
    int rc = -1;
    if (m == NULL)
        goto out;
    m->kind = kind;
    m->media_type = strdup(manifest_kind_media_type(kind));
    const char *items_key = manifest_kind_is_list(kind) ? "manifests" : "layers";
    const json_t *items = json_object_get(root, items_key);
    /* An image manifest may omit its layers (null); a list must have entries. */
    if ((items != NULL && !json_is_null(items) && !json_is_array(items)) ||
        (manifest_kind_is_list(kind) && !json_is_array(items))) {
        snprintf(err, errcap, "manifest has no valid \"%s\" array", items_key);
        goto out;
    }
    if (!manifest_kind_is_list(kind) &&
        descriptor_parse(json_object_get(root, "config"), &m->config, "manifest config", err, errcap) != 0)
        goto out;
    size_t n = json_array_size(items);
    m->layers = calloc(n ? n : 1, sizeof(*m->layers));
    if (m->layers == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof(what), "%s[%zu]", items_key, i);
        if (descriptor_parse(json_array_get(items, i), &m->layers[i], what, err, errcap) != 0)
            goto out;
        m->n_layers++;
    }
    const json_t *ann = json_object_get(root, "annotations");
    if (json_is_object(ann))
        m->annotations = json_incref((json_t *)ann);
    const json_t *subject = json_object_get(root, "subject");
    if (json_is_object(subject))
        m->subject = json_incref((json_t *)subject);
    m->artifact_type = dup_or_null(json_string_member(root, "artifactType"));
    m->media_type_omitted = json_object_get(root, "mediaType") == NULL;
    rc = 0;
out:
    json_decref(root);
    if (rc != 0) {
        manifest_free(m);
        m = NULL;
        if (err[0] == '\0')
            snprintf(err, errcap, "out of memory");
    }
    *out = m;
    return rc;
}

layer_compression manifest_layer_compression(const char *media_type)
{
    if (media_type == NULL)
        return LAYER_COMPRESSION_UNKNOWN;
    static const struct {
        const char *type;
        layer_compression c;
    } map[] = {
        {MEDIA_TYPE_DOCKER_LAYER_GZIP, LAYER_COMPRESSION_GZIP},  {MEDIA_TYPE_DOCKER_LAYER_TAR, LAYER_COMPRESSION_NONE},
        {MEDIA_TYPE_DOCKER_FOREIGN_GZIP, LAYER_COMPRESSION_GZIP}, {MEDIA_TYPE_DOCKER_FOREIGN_TAR, LAYER_COMPRESSION_NONE},
        {MEDIA_TYPE_OCI_LAYER_GZIP, LAYER_COMPRESSION_GZIP},      {MEDIA_TYPE_OCI_LAYER_TAR, LAYER_COMPRESSION_NONE},
        {MEDIA_TYPE_OCI_LAYER_ZSTD, LAYER_COMPRESSION_ZSTD},      {MEDIA_TYPE_OCI_NONDIST_GZIP, LAYER_COMPRESSION_GZIP},
        {MEDIA_TYPE_OCI_NONDIST_TAR, LAYER_COMPRESSION_NONE},     {MEDIA_TYPE_OCI_NONDIST_ZSTD, LAYER_COMPRESSION_ZSTD},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].type, media_type) == 0)
            return map[i].c;
    return LAYER_COMPRESSION_UNKNOWN;
}

static int is_foreign(const char *t)
{
    return t != NULL && (strstr(t, ".foreign.") != NULL || strstr(t, ".nondistributable.") != NULL);
}

const char *manifest_layer_media_type(manifest_kind kind, const char *source_type, layer_compression compression,
                                      char *err, size_t errcap)
{
    int foreign = is_foreign(source_type);
    if (manifest_layer_compression(source_type) == LAYER_COMPRESSION_UNKNOWN) {
        /* Not a layer type we know (an artifact): keep it as it is when the format stays. */
        if (source_type != NULL)
            return source_type;
        snprintf(err, errcap, "layer without a media type");
        return NULL;
    }
    if (kind == MANIFEST_DOCKER_V2S2 || kind == MANIFEST_DOCKER_V2S1) {
        switch (compression) {
        case LAYER_COMPRESSION_NONE:
            return foreign ? MEDIA_TYPE_DOCKER_FOREIGN_TAR : MEDIA_TYPE_DOCKER_LAYER_TAR;
        case LAYER_COMPRESSION_GZIP:
            return foreign ? MEDIA_TYPE_DOCKER_FOREIGN_GZIP : MEDIA_TYPE_DOCKER_LAYER_GZIP;
        default:
            snprintf(err, errcap, "zstd-compressed layers cannot be stored in a Docker schema %d manifest (use --format oci)",
                     kind == MANIFEST_DOCKER_V2S1 ? 1 : 2);
            return NULL;
        }
    }
    switch (compression) {
    case LAYER_COMPRESSION_NONE:
        return foreign ? MEDIA_TYPE_OCI_NONDIST_TAR : MEDIA_TYPE_OCI_LAYER_TAR;
    case LAYER_COMPRESSION_GZIP:
        return foreign ? MEDIA_TYPE_OCI_NONDIST_GZIP : MEDIA_TYPE_OCI_LAYER_GZIP;
    case LAYER_COMPRESSION_ZSTD:
        return foreign ? MEDIA_TYPE_OCI_NONDIST_ZSTD : MEDIA_TYPE_OCI_LAYER_ZSTD;
    default:
        snprintf(err, errcap, "layer with unknown compression");
        return NULL;
    }
}

/* containers/image 5.22's variant compatibility, newest first: a machine
 * of one variant runs the ones after it. */
static const char *const *variants_compatible(const char *arch)
{
    static const char *const arm[] = {"v8", "v7", "v6", "v5", NULL}, *const arm64[] = {"v8", NULL};
    return strcmp(arch, "arm") == 0 ? arm : strcmp(arch, "arm64") == 0 ? arm64 : NULL;
}

/* The first entry whose platform is exactly os/arch/variant ("" for none). */
static int list_find(const manifest *m, const char *os, const char *arch, const char *variant)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const manifest_descriptor *d = &m->layers[i];
        if (d->platform != NULL && strcmp(d->platform_os ? d->platform_os : "", os) == 0 &&
            strcmp(d->platform_arch ? d->platform_arch : "", arch) == 0 &&
            strcmp(d->platform_variant ? d->platform_variant : "", variant) == 0)
            return (int)i;
    }
    return -1;
}

int manifest_list_choose(const manifest *m, const char *os, const char *arch, const char *variant, char *err,
                         size_t errcap)
{
    /* The wanted platforms in order, as containers/image 5.22's
     * WantedPlatforms lists them, each matched exactly: a variant asked for,
     * the older ones it runs, then none; without one, none and then every
     * known variant, newest first. */
    const char *wanted[8];
    size_t n_wanted = 0;
    const char *const *compatible = variants_compatible(arch);
    if (variant != NULL && *variant != '\0') {
        size_t at = 0;
        while (compatible != NULL && compatible[at] != NULL && strcmp(compatible[at], variant) != 0)
            at++;
        if (compatible != NULL && compatible[at] != NULL)
            for (; compatible[at] != NULL; at++)
                wanted[n_wanted++] = compatible[at];
        else
            wanted[n_wanted++] = variant;
        wanted[n_wanted++] = "";
    } else {
        wanted[n_wanted++] = "";
        for (size_t k = 0; compatible != NULL && compatible[k] != NULL; k++)
            wanted[n_wanted++] = compatible[k];
    }
    for (size_t w = 0; w < n_wanted; w++) {
        int idx = list_find(m, os, arch, wanted[w]);
        if (idx >= 0)
            return idx;
    }
    /* An OCI index entry without a platform is taken when nothing matched. */
    for (size_t i = 0; m->kind == MANIFEST_OCI_INDEX && i < m->n_layers; i++)
        if (m->layers[i].platform == NULL)
            return (int)i;
    int n = snprintf(err, errcap, "no image found in %s for architecture \"%s\", variant \"%s\", OS \"%s\"; it has",
                     m->kind == MANIFEST_OCI_INDEX ? "image index" : "manifest list", arch, wanted[0], os);
    for (size_t i = 0; i < m->n_layers && n > 0 && (size_t)n < errcap; i++) {
        const manifest_descriptor *d = &m->layers[i];
        n += snprintf(err + n, errcap - (size_t)n, "%s %s/%s%s%s", i ? "," : "", d->platform_os ? d->platform_os : "?",
                      d->platform_arch ? d->platform_arch : "?", d->platform_variant ? "/" : "",
                      d->platform_variant ? d->platform_variant : "");
    }
    if (m->n_layers == 0 && n > 0 && (size_t)n < errcap)
        snprintf(err + n, errcap - (size_t)n, " no instances");
    return -1;
}
