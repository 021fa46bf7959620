/* core/image/manifest_serialize.c — writes image manifests in the exact byte
 * form containers/image produces (json.Marshal of its Go structs: field
 * order, omitempty rules, sorted map keys), so converted images get the same
 * digests as with skopeo. */
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "shared/gojson.h"

static void set_new(json_t *obj, const char *key, json_t *value)
{
    json_object_set_new(obj, key, value);
}

/* OCI descriptor: mediaType, digest, size, urls, annotations, platform. Docker
 * schema 2 descriptor: mediaType, size, digest, urls. */
static json_t *descriptor_json(const manifest_descriptor *d, manifest_kind kind, int media_type_always)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (media_type_always || (d->media_type != NULL && *d->media_type != '\0'))
        set_new(o, "mediaType", json_string(d->media_type ? d->media_type : ""));
    if (kind == MANIFEST_DOCKER_V2S2) {
        set_new(o, "size", json_integer(d->size));
        set_new(o, "digest", json_string(d->digest));
    } else {
        set_new(o, "digest", json_string(d->digest));
        set_new(o, "size", json_integer(d->size));
    }
    if (d->urls != NULL && json_array_size(d->urls) > 0)
        json_object_set(o, "urls", d->urls);
    if (kind == MANIFEST_OCI) {
        if (d->annotations != NULL && json_object_size(d->annotations) > 0)
            set_new(o, "annotations", gojson_sorted_object(d->annotations));
        if (d->platform != NULL)
            json_object_set(o, "platform", d->platform);
    }
    return o;
}

char *manifest_serialize(const manifest *m, manifest_kind kind, size_t *len)
{
    json_t *root = json_object();
    json_t *layers = json_array();
    if (root == NULL || layers == NULL) {
        json_decref(root);
        json_decref(layers);
        return NULL;
    }
    set_new(root, "schemaVersion", json_integer(2));
    /* containers/image updates an OCI manifest in place: one stored
     * without "mediaType" (a tarball: image's) stays without it. */
    if (!(kind == MANIFEST_OCI && m->kind == MANIFEST_OCI && m->media_type_omitted))
        set_new(root, "mediaType", json_string(manifest_kind_media_type(kind)));
    if (kind == MANIFEST_OCI && m->artifact_type != NULL)
        set_new(root, "artifactType", json_string(m->artifact_type));
    set_new(root, "config", descriptor_json(&m->config, kind, 0));
    for (size_t i = 0; i < m->n_layers; i++)
        json_array_append_new(layers, descriptor_json(&m->layers[i], kind, 0));
    set_new(root, "layers", layers);
    if (kind == MANIFEST_OCI) {
        if (m->subject != NULL)
            json_object_set(root, "subject", m->subject);
        if (m->annotations != NULL && json_object_size(m->annotations) > 0)
            set_new(root, "annotations", gojson_sorted_object(m->annotations));
    }
    char *out = gojson_encode(root, 0);
    json_decref(root);
    if (out != NULL && len != NULL)
        *len = strlen(out);
    return out;
}

/* A platform in Go's field order: image-spec's Platform (architecture, os,
 * os.version, os.features, variant) or docker's Schema2PlatformSpec, which
 * adds features. Missing architecture/os are written empty, as Go does. */
static json_t *platform_json(const json_t *p, manifest_kind list_kind)
{
    static const char *const oci_fields[] = {"os.version", "os.features", "variant", NULL};
    static const char *const docker_fields[] = {"os.version", "os.features", "variant", "features", NULL};
    json_t *o = json_object();
    const json_t *arch = json_object_get(p, "architecture"), *os = json_object_get(p, "os");
    set_new(o, "architecture", json_string(json_is_string(arch) ? json_string_value(arch) : ""));
    set_new(o, "os", json_string(json_is_string(os) ? json_string_value(os) : ""));
    for (const char *const *f = list_kind == MANIFEST_DOCKER_LIST ? docker_fields : oci_fields; *f != NULL; f++) {
        const json_t *v = json_object_get(p, *f);
        /* omitempty: empty strings and arrays are left out */
        if ((json_is_string(v) && json_string_length(v) > 0) || (json_is_array(v) && json_array_size(v) > 0))
            json_object_set(o, *f, (json_t *)v);
    }
    return o;
}

/* An entry of a list: Docker's Schema2ManifestDescriptor (mediaType, size,
 * digest, urls, platform — always present) or an OCI descriptor (mediaType,
 * digest, size, urls, annotations, platform when known). */
static json_t *list_entry_json(const manifest_descriptor *d, manifest_kind list_kind, const char *default_os,
                               const char *default_arch)
{
    /* The descriptor as an image manifest writes one, then the platform in Go's order. */
    manifest_descriptor plain = *d;
    plain.platform = NULL;
    json_t *o = descriptor_json(&plain, list_kind == MANIFEST_DOCKER_LIST ? MANIFEST_DOCKER_V2S2 : MANIFEST_OCI, 1);
    if (o == NULL)
        return NULL;
    if (d->platform != NULL) {
        set_new(o, "platform", platform_json(d->platform, list_kind));
    } else if (list_kind == MANIFEST_DOCKER_LIST) {
        /* containers/image fills an OCI entry's missing platform with its own. */
        json_t *p = json_pack("{s:s, s:s}", "architecture", default_arch, "os", default_os);
        set_new(o, "platform", platform_json(p, list_kind));
        json_decref(p);
    }
    return o;
}

char *manifest_list_serialize(const manifest *m, manifest_kind kind, const char *default_os, const char *default_arch,
                              size_t *len)
{
    json_t *root = json_object();
    json_t *entries = json_array();
    if (root == NULL || entries == NULL) {
        json_decref(root);
        json_decref(entries);
        return NULL;
    }
    set_new(root, "schemaVersion", json_integer(2));
    set_new(root, "mediaType", json_string(manifest_kind_media_type(kind)));
    for (size_t i = 0; i < m->n_layers; i++)
        json_array_append_new(entries, list_entry_json(&m->layers[i], kind, default_os, default_arch));
    set_new(root, "manifests", entries);
    /* A Docker list has no annotations: they are dropped in conversion. */
    if (kind == MANIFEST_OCI_INDEX && m->kind == MANIFEST_OCI_INDEX && m->annotations != NULL &&
        json_object_size(m->annotations) > 0)
        set_new(root, "annotations", gojson_sorted_object(m->annotations));
    char *out = gojson_encode(root, 0);
    json_decref(root);
    if (out != NULL && len != NULL)
        *len = strlen(out);
    return out;
}
