/* plugins/oci/referrers.c — OCI referrers in a layout. A layout has no
 * referrers API: the referrers of a manifest are the manifests listed in
 * index.json (tagged or not: copy --referrers adds them untagged, as the
 * image-spec lets index.json list any manifest) whose `subject` names it.
 * Each listed manifest is read (at most 4 MiB) to see its subject; the
 * descriptor emitted is built as the referrers API builds one: the
 * manifest's artifactType, else its config's mediaType, and its
 * annotations. */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OCI_MANIFEST_MAX (4 * 1024 * 1024)

/* The referrers API's descriptor of manifest `m` stored as `entry`. */
static json_t *oci_referrer_descriptor(const json_t *entry, const json_t *m)
{
    const char *mt = json_string_value(json_object_get(m, "mediaType"));
    if (mt == NULL)
        mt = json_string_value(json_object_get(entry, "mediaType"));
    const char *artifact = json_string_value(json_object_get(m, "artifactType"));
    if (artifact == NULL && json_is_object(json_object_get(m, "config")))
        artifact = json_string_value(json_object_get(json_object_get(m, "config"), "mediaType"));
    json_t *d = json_object();
    json_object_set_new(d, "mediaType", json_string(mt != NULL ? mt : OCI_MEDIA_TYPE_MANIFEST));
    json_object_set(d, "digest", json_object_get(entry, "digest"));
    json_object_set(d, "size", json_object_get(entry, "size"));
    if (artifact != NULL)
        json_object_set_new(d, "artifactType", json_string(artifact));
    json_t *annotations = json_object_get(m, "annotations");
    if (json_is_object(annotations) && json_object_size(annotations) > 0)
        json_object_set(d, "annotations", annotations);
    return d;
}

/* 1 when the manifest stored as `entry` has `subject` as its subject;
 * *parsed is then the manifest. */
static int oci_refers_to(const ferry_services *svc, int blobfd, const json_t *entry, const char *subject,
                         json_t **parsed)
{
    char rel[PLUGIN_UTIL_DIGEST_MAX + 16];
    const char *mt = json_string_value(json_object_get(entry, "mediaType"));
    *parsed = NULL;
    /* Only manifests and indexes have a subject (and are worth reading). */
    if (mt != NULL && strcmp(mt, OCI_MEDIA_TYPE_MANIFEST) != 0 && strcmp(mt, OCI_MEDIA_TYPE_INDEX) != 0)
        return 0;
    if (oci_blob_relpath(svc, json_string_value(json_object_get(entry, "digest")), rel, sizeof rel) != 0)
        return 0;
    char *data = NULL;
    size_t len = 0;
    if (plugin_util_read_file(blobfd, rel, OCI_MANIFEST_MAX, &data, &len) != 0)
        return 0; /* a missing manifest refers to nothing; copying a listed one reports it */
    json_t *m = json_loadb(data, len, 0, NULL);
    free(data);
    const char *named = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
    if (named == NULL || strcmp(named, subject) != 0) {
        json_decref(m);
        return 0;
    }
    *parsed = m;
    return 1;
}

int oci_referrers_list(const ferry_services *svc, ferry_ctx *ctx, const oci_reference *ref, int blobfd,
                       const char *subject, int (*emit)(void *opaque, const char *json, size_t len), void *opaque)
{
    if (!svc->digest_is_valid(subject))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\"", ref->label, subject);
    int layoutfd = plugin_util_open_dir(AT_FDCWD, ref->path);
    if (layoutfd < 0)
        return plugin_util_errno_error(svc, ctx, errno, ref->label, "opening", ref->path);
    json_t *index = NULL;
    int status = oci_index_read(svc, ctx, ref->label, layoutfd, &index);
    close(layoutfd);
    size_t i;
    json_t *entry;
    json_t *seen = json_object();
    json_array_foreach(json_object_get(index, "manifests"), i, entry) {
        if (status != FERRY_OK)
            break;
        const char *digest = json_string_value(json_object_get(entry, "digest"));
        json_t *m = NULL;
        if (json_object_get(seen, digest) != NULL || !oci_refers_to(svc, blobfd, entry, subject, &m))
            continue;
        json_object_set_new(seen, digest, json_true());
        json_t *d = oci_referrer_descriptor(entry, m);
        char *text = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        json_decref(m);
        if (text == NULL) {
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
            break;
        }
        status = emit(opaque, text, strlen(text));
        free(text);
    }
    json_decref(seen);
    json_decref(index);
    return status;
}

json_t *oci_referrer_entry(const char *descriptor_json, size_t len)
{
    json_t *d = json_loadb(descriptor_json, len, 0, NULL);
    const char *digest = json_string_value(json_object_get(d, "digest"));
    json_t *size = json_object_get(d, "size");
    if (digest == NULL || !json_is_integer(size)) {
        json_decref(d);
        return NULL;
    }
    /* mediaType, digest, size, annotations, artifactType: the order index.json is read back in. */
    json_t *e = json_object();
    json_t *mt = json_object_get(d, "mediaType");
    if (json_is_string(mt))
        json_object_set(e, "mediaType", mt);
    json_object_set(e, "digest", json_object_get(d, "digest"));
    json_object_set(e, "size", size);
    json_t *annotations = json_object_get(d, "annotations");
    if (json_is_object(annotations) && json_object_size(annotations) > 0)
        json_object_set(e, "annotations", annotations);
    json_t *artifact = json_object_get(d, "artifactType");
    if (json_is_string(artifact))
        json_object_set(e, "artifactType", artifact);
    json_decref(d);
    return e;
}
