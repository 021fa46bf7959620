/* core/inspect/inspect.c — the object `skopeo inspect` (1.9.3) prints for an
 * image: skopeo's inspect.Output filled as cmd/skopeo/inspect.go fills it
 * from containers/image's Inspect() (v5.23), member for member:
 *
 *   Name, Tag      omitted when empty (omitempty)
 *   Digest         digest of the manifest as stored
 *   RepoTags       [] unless the registry listed tags
 *   Created        Docker config: its "created", "0001-01-01T00:00:00Z" when
 *                  missing (a time.Time value); OCI config: null when missing
 *                  (a *time.Time)
 *   DockerVersion  "docker_version" of the config, also for OCI configs
 *   Labels, Env    from config.config; null when absent (nil), {} / [] when
 *                  present but empty
 *   Architecture, Os
 *   Layers         the manifest's layer digests, [] for none
 *
 * skopeo 1.9.3 prints no LayersData, Variant, Author or Comment. */
#include "inspect/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/oci_config.h"
#include "shared/strbuf.h"

/* Go's %q for the artifact error: printable ASCII as is, the rest escaped. */
static void inspect_quote(strbuf *sb, const char *s)
{
    strbuf_append(sb, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_printf(sb, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            strbuf_printf(sb, "\\x%02x", *p);
        else
            strbuf_append(sb, p, 1);
    }
    strbuf_append(sb, "\"", 1);
}

/* Adds `value` (a new reference) under `key`; returns -1 on failure. */
static int inspect_set(json_t *obj, const char *key, json_t *value)
{
    return value == NULL ? -1 : json_object_set_new(obj, key, value);
}

json_t *inspect_build(const inspect_input *in, char *err, size_t errcap)
{
    const manifest *m = in->image;
    int docker;
    if (m == NULL || (m->kind != MANIFEST_DOCKER_V2S2 && m->kind != MANIFEST_OCI && m->kind != MANIFEST_DOCKER_V2S1)) {
        snprintf(err, errcap, "inspecting manifest type %s is not supported",
                 m && m->media_type ? m->media_type : "(unknown)");
        return NULL;
    }
    /* Schema 1's config is its top v1Compatibility, read as a Docker one. */
    docker = m->kind == MANIFEST_DOCKER_V2S2 || m->kind == MANIFEST_DOCKER_V2S1;
    if (!docker && (m->config.media_type == NULL || strcmp(m->config.media_type, MEDIA_TYPE_OCI_CONFIG) != 0)) {
        /* containers/image refuses image operations on OCI artifacts */
        strbuf sb = STRBUF_INIT;
        strbuf_puts(&sb, "unsupported image-specific operation on artifact with type ");
        inspect_quote(&sb, m->config.media_type ? m->config.media_type : "");
        char *msg = strbuf_detach(&sb, NULL);
        snprintf(err, errcap, "%s", msg ? msg : "out of memory");
        free(msg);
        return NULL;
    }

    oci_config_inspect info;
    if (oci_config_inspect_fields(in->config, in->config_len, docker, &info, err, errcap) != 0)
        return NULL;

    json_t *out = json_object();
    json_t *tags = json_array();
    json_t *layers = json_array();
    int rc = out && tags && layers ? 0 : -1;
    for (size_t i = 0; rc == 0 && in->repo_tags && i < in->n_repo_tags; i++)
        rc = json_array_append_new(tags, json_string_nocheck(in->repo_tags[i]));
    for (size_t i = 0; rc == 0 && i < m->n_layers; i++)
        rc = json_array_append_new(layers, json_string_nocheck(m->layers[i].digest ? m->layers[i].digest : ""));
    if (rc == 0 && in->name && in->name[0])
        rc = inspect_set(out, "Name", json_string_nocheck(in->name));
    if (rc == 0 && in->tag && in->tag[0])
        rc = inspect_set(out, "Tag", json_string_nocheck(in->tag));
    if (rc == 0)
        rc = inspect_set(out, "Digest", json_string_nocheck(in->digest ? in->digest : ""));
    if (rc == 0) {
        rc = inspect_set(out, "RepoTags", tags);
        tags = NULL;
    }
    if (rc == 0)
        rc = inspect_set(out, "Created", json_incref(info.created));
    if (rc == 0)
        rc = inspect_set(out, "DockerVersion", json_string_nocheck(info.docker_version));
    if (rc == 0)
        rc = inspect_set(out, "Labels", json_incref(info.labels));
    if (rc == 0)
        rc = inspect_set(out, "Architecture", json_string_nocheck(info.architecture));
    if (rc == 0)
        rc = inspect_set(out, "Os", json_string_nocheck(info.os));
    if (rc == 0) {
        rc = inspect_set(out, "Layers", layers);
        layers = NULL;
    }
    if (rc == 0)
        rc = inspect_set(out, "Env", json_incref(info.env));
    oci_config_inspect_release(&info);
    json_decref(tags);
    json_decref(layers);
    if (rc != 0) {
        json_decref(out);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    return out;
}
