/* plugins/oci/layout_index.c — index.json of an OCI layout: reading it,
 * choosing the manifest a reference names, and adding a new manifest the
 * way skopeo 1.9 does, safely against concurrent writers.
 *
 * skopeo decodes index.json into Go structs and encodes them again, so only
 * the members of imgspecv1.Index / Descriptor / Platform survive, in struct
 * order, maps sorted, empty optional members dropped. Reading normalises the
 * file to exactly that model; writing it with oci_gojson_encode then yields
 * skopeo's bytes.
 *
 * Updates take an exclusive flock() on the layout directory itself (no lock
 * file in the layout), re-read index.json under the lock, and replace it by
 * rename, so two writers adding different tags both keep their entry. */
#include "oci.h"

#include "shared/gojson.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* ---- normalisation to skopeo's model ---- */

/* Carries the first problem found, for the caller's one-line error. */
typedef struct oci_norm {
    char err[256];
} oci_norm;

static int oci_norm_fail(oci_norm *n, const char *fmt, const char *what)
{
    snprintf(n->err, sizeof n->err, fmt, what);
    return -1;
}

/* The OCI digest grammar (algorithm ":" encoded). Entries are only checked
 * against it, so that an entry with an algorithm ferry does not know does not
 * make the whole layout unusable; an entry that is used as a path must also
 * pass svc->digest_is_valid. Either way no '/' or ".." can get through. */
static int oci_digest_syntax_ok(const char *d)
{
    const char *p = d;
    int need_component = 1;
    for (; *p != ':'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            need_component = 0;
        else if (*p != '\0' && strchr("+._-", *p) != NULL && !need_component)
            need_component = 1;
        else
            return 0;
    }
    if (need_component || p[1] == '\0')
        return 0;
    for (p++; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("=_-", *p) != NULL))
            return 0;
    return 1;
}

/* Copies string member `key` of src into dst: absent or null is skipped,
 * and so is "" when omitempty. Non-strings are refused like Go does. */
static int oci_norm_string(oci_norm *n, const json_t *src, const char *key, json_t *dst, int omitempty)
{
    json_t *v = json_object_get(src, key);
    if (v == NULL || json_is_null(v)) {
        if (!omitempty)
            json_object_set_new(dst, key, json_string(""));
        return 0;
    }
    if (!json_is_string(v))
        return oci_norm_fail(n, "\"%s\" is not a string", key);
    if (omitempty && json_string_length(v) == 0)
        return 0;
    json_object_set_new(dst, key, json_stringn(json_string_value(v), json_string_length(v)));
    return 0;
}

/* A []string member, dropped when empty. */
static int oci_norm_string_list(oci_norm *n, const json_t *src, const char *key, json_t *dst)
{
    json_t *v = json_object_get(src, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return oci_norm_fail(n, "\"%s\" is not an array", key);
    json_t *list = json_array();
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            json_decref(list);
            return oci_norm_fail(n, "\"%s\" holds a non-string", key);
        }
        json_array_append(list, s);
    }
    if (json_array_size(list) == 0)
        json_decref(list);
    else
        json_object_set_new(dst, key, list);
    return 0;
}

static int oci_strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A map[string]string member: keys sorted (Go sorts map keys bytewise),
 * dropped when empty. */
static int oci_norm_string_map(oci_norm *n, const json_t *src, const char *key, json_t *dst)
{
    json_t *v = json_object_get(src, key);
    if (v == NULL || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0))
        return 0;
    if (!json_is_object(v))
        return oci_norm_fail(n, "\"%s\" is not an object", key);
    size_t count = json_object_size(v);
    const char **keys = malloc(count * sizeof *keys);
    if (keys == NULL)
        return oci_norm_fail(n, "%s", "out of memory");
    size_t i = 0;
    const char *k;
    json_t *member;
    json_object_foreach(v, k, member) {
        if (!json_is_string(member)) {
            free(keys);
            return oci_norm_fail(n, "\"%s\" holds a non-string value", key);
        }
        keys[i++] = k;
    }
    qsort(keys, count, sizeof *keys, oci_strcmp_ptr);
    json_t *map = json_object();
    for (i = 0; i < count; i++)
        json_object_set(map, keys[i], json_object_get(v, keys[i]));
    free(keys);
    json_object_set_new(dst, key, map);
    return 0;
}

static int oci_norm_platform(oci_norm *n, const json_t *src, json_t *dst)
{
    json_t *v = json_object_get(src, "platform");
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return oci_norm_fail(n, "\"%s\" is not an object", "platform");
    json_t *p = json_object();
    json_object_set_new(dst, "platform", p);
    if (oci_norm_string(n, v, "architecture", p, 0) != 0 || oci_norm_string(n, v, "os", p, 0) != 0 ||
        oci_norm_string(n, v, "os.version", p, 1) != 0 || oci_norm_string_list(n, v, "os.features", p) != 0 ||
        oci_norm_string(n, v, "variant", p, 1) != 0)
        return -1;
    return 0;
}

/* Descriptor: mediaType, digest, size, urls, annotations, data, platform,
 * artifactType — the order of imgspecv1.Descriptor in skopeo 1.9. */
static json_t *oci_norm_descriptor(oci_norm *n, const json_t *src)
{
    if (!json_is_object(src)) {
        oci_norm_fail(n, "%s", "a manifests entry is not an object");
        return NULL;
    }
    json_t *d = json_object();
    if (oci_norm_string(n, src, "mediaType", d, 1) != 0)
        goto fail;
    json_t *digest = json_object_get(src, "digest");
    if (!json_is_string(digest) || !oci_digest_syntax_ok(json_string_value(digest))) {
        oci_norm_fail(n, "invalid digest \"%s\" in a manifests entry",
                      json_is_string(digest) ? json_string_value(digest) : "");
        goto fail;
    }
    json_object_set(d, "digest", digest);
    json_t *size = json_object_get(src, "size");
    if (size != NULL && !json_is_null(size) && !json_is_integer(size)) {
        oci_norm_fail(n, "%s", "\"size\" of a manifests entry is not an integer");
        goto fail;
    }
    json_object_set_new(d, "size", json_integer(json_is_integer(size) ? json_integer_value(size) : 0));
    if (oci_norm_string_list(n, src, "urls", d) != 0 || oci_norm_string_map(n, src, "annotations", d) != 0 ||
        oci_norm_string(n, src, "data", d, 1) != 0 || oci_norm_platform(n, src, d) != 0 ||
        oci_norm_string(n, src, "artifactType", d, 1) != 0)
        goto fail;
    return d;
fail:
    json_decref(d);
    return NULL;
}

/* Index: schemaVersion, mediaType, manifests, annotations. */
static json_t *oci_norm_index(oci_norm *n, const json_t *src)
{
    if (!json_is_object(src)) {
        oci_norm_fail(n, "%s", "not a JSON object");
        return NULL;
    }
    json_t *idx = json_object();
    json_t *sv = json_object_get(src, "schemaVersion");
    if (sv != NULL && !json_is_null(sv) && !json_is_integer(sv)) {
        oci_norm_fail(n, "%s", "\"schemaVersion\" is not an integer");
        goto fail;
    }
    json_object_set_new(idx, "schemaVersion", json_integer(json_is_integer(sv) ? json_integer_value(sv) : 0));
    if (oci_norm_string(n, src, "mediaType", idx, 1) != 0)
        goto fail;
    json_t *list = json_array();
    json_object_set_new(idx, "manifests", list);
    json_t *manifests = json_object_get(src, "manifests");
    if (manifests != NULL && !json_is_null(manifests)) {
        if (!json_is_array(manifests)) {
            oci_norm_fail(n, "%s", "\"manifests\" is not an array");
            goto fail;
        }
        for (size_t i = 0; i < json_array_size(manifests); i++) {
            json_t *d = oci_norm_descriptor(n, json_array_get(manifests, i));
            if (d == NULL)
                goto fail;
            json_array_append_new(list, d);
        }
    }
    if (oci_norm_string_map(n, src, "annotations", idx) != 0)
        goto fail;
    return idx;
fail:
    json_decref(idx);
    return NULL;
}

/* ---- reading and choosing ---- */

int oci_index_read(const ferry_services *svc, ferry_ctx *ctx, const char *label, int layoutfd, json_t **out)
{
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    if (plugin_util_read_file(layoutfd, OCI_INDEX_FILE, OCI_INDEX_MAX, &data, &len) != 0) {
        if (errno == ENOENT)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: not an OCI layout (no %s)", label, OCI_INDEX_FILE);
        if (errno == EFBIG)
            return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: %s is larger than %d MiB", label, OCI_INDEX_FILE,
                                  OCI_INDEX_MAX >> 20);
        return plugin_util_errno_error(svc, ctx, errno, label, "reading", OCI_INDEX_FILE);
    }
    int status = oci_index_parse(svc, ctx, label, data, len, out);
    free(data);
    return status;
}

int oci_index_parse(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *data, size_t len,
                    json_t **out)
{
    *out = NULL;
    json_error_t jerr;
    json_t *raw = json_loadb(data, len, 0, &jerr);
    if (raw == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: %s (line %d)", label, OCI_INDEX_FILE, jerr.text,
                              jerr.line);
    oci_norm n = {{0}};
    json_t *idx = oci_norm_index(&n, raw);
    json_decref(raw);
    if (idx == NULL)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s: %s", label, OCI_INDEX_FILE, n.err);
    *out = idx;
    return FERRY_OK;
}

static const char *oci_desc_string(const json_t *desc, const char *key)
{
    const char *s = json_string_value(json_object_get(desc, key));
    return s != NULL ? s : "";
}

static const char *oci_desc_ref_name(const json_t *desc)
{
    return json_string_value(json_object_get(json_object_get(desc, "annotations"), OCI_REF_NAME_ANNOTATION));
}

int oci_index_select(const ferry_services *svc, ferry_ctx *ctx, const oci_reference *ref, const json_t *index,
                     const json_t **desc)
{
    const json_t *manifests = json_object_get(index, "manifests");
    size_t count = json_array_size(manifests);
    *desc = NULL;
    if (ref->index >= 0) {
        if ((size_t)ref->index >= count)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: index %ld is too large, only %zu entries available",
                                  ref->label, ref->index, count);
        *desc = json_array_get(manifests, (size_t)ref->index);
    } else if (ref->name != NULL) {
        /* First entry carrying the name with an image or index type. Docker
         * schema 2 types are accepted too (skopeo 1.9 writes them with
         * --format v2s2); other types named so are reported, not skipped. */
        const char *other_type = NULL;
        for (size_t i = 0; i < count && *desc == NULL; i++) {
            const json_t *d = json_array_get(manifests, i);
            const char *name = oci_desc_ref_name(d);
            if (name == NULL || strcmp(name, ref->name) != 0)
                continue;
            const char *mt = oci_desc_string(d, "mediaType");
            if (strcmp(mt, OCI_MEDIA_TYPE_MANIFEST) == 0 || strcmp(mt, OCI_MEDIA_TYPE_INDEX) == 0 ||
                strcmp(mt, OCI_MEDIA_TYPE_DOCKER_V2S2) == 0 || strcmp(mt, OCI_MEDIA_TYPE_DOCKER_LIST) == 0)
                *desc = d;
            else
                other_type = mt;
        }
        if (*desc == NULL && other_type != NULL)
            return svc->set_error(ctx, FERRY_ERR_UNSUPPORTED,
                                  "%s: reference \"%s\" matches unsupported manifest MIME type \"%s\"", ref->label,
                                  ref->name, other_type);
        if (*desc == NULL)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no image named \"%s\" in %s", ref->label, ref->name,
                                  OCI_INDEX_FILE);
    } else {
        if (count == 0)
            return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no image in %s", ref->label, OCI_INDEX_FILE);
        /* The label starts with the transport name (oci, oci-archive). */
        int tlen = (int)strcspn(ref->label, ":");
        if (count > 1)
            return svc->set_error(ctx, FERRY_ERR_INVALID,
                                  "%s: more than one image in %s, choose one with %.*s:%s:NAME or %.*s:%s:@INDEX",
                                  ref->label, OCI_INDEX_FILE, tlen, ref->label, ref->path, tlen, ref->label, ref->path);
        *desc = json_array_get(manifests, 0);
    }
    if (!svc->digest_is_valid(oci_desc_string(*desc, "digest")))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid digest \"%s\" in %s", ref->label,
                              oci_desc_string(*desc, "digest"), OCI_INDEX_FILE);
    return FERRY_OK;
}

/* ---- writing ---- */

json_t *oci_index_new(void)
{
    /* A new layout: skopeo 1.9 writes no mediaType here. */
    return json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
}

json_t *oci_descriptor_new(const char *media_type, const char *digest, size_t size, const char *ref_name)
{
    /* The index.json entry, in imgspecv1.Descriptor member order. */
    json_t *desc = json_object();
    if (desc == NULL)
        return NULL;
    if (media_type != NULL && media_type[0] != '\0')
        json_object_set_new(desc, "mediaType", json_string(media_type));
    json_object_set_new(desc, "digest", json_string(digest));
    json_object_set_new(desc, "size", json_integer((json_int_t)size));
    if (ref_name != NULL)
        json_object_set_new(desc, "annotations", json_pack("{s:s}", OCI_REF_NAME_ANNOTATION, ref_name));
    return desc;
}

int oci_index_add(json_t *index, json_t *desc)
{
    json_t *manifests = json_object_get(index, "manifests");
    const char *name = oci_desc_ref_name(desc);
    const char *digest = oci_desc_string(desc, "digest");
    /* skopeo 1.9: a name moves to the new entry (it is removed from older
     * entries, which stay, unnamed); an unnamed entry with the same digest
     * is replaced in place; otherwise the entry is appended. */
    for (size_t i = 0; name != NULL && name[0] != '\0' && i < json_array_size(manifests); i++) {
        json_t *annotations = json_object_get(json_array_get(manifests, i), "annotations");
        const char *old = json_string_value(json_object_get(annotations, OCI_REF_NAME_ANNOTATION));
        if (old == NULL || strcmp(old, name) != 0)
            continue;
        json_object_del(annotations, OCI_REF_NAME_ANNOTATION);
        if (json_object_size(annotations) == 0)
            json_object_del(json_array_get(manifests, i), "annotations");
    }
    for (size_t i = 0; i < json_array_size(manifests); i++) {
        json_t *d = json_array_get(manifests, i);
        const char *old = oci_desc_ref_name(d);
        if (strcmp(oci_desc_string(d, "digest"), digest) == 0 && (old == NULL || old[0] == '\0'))
            return json_array_set_new(manifests, i, desc);
    }
    return json_array_append_new(manifests, desc);
}

int oci_index_add_untagged(json_t *index, const json_t *desc)
{
    json_t *manifests = json_object_get(index, "manifests");
    size_t i;
    json_t *d;
    json_array_foreach(manifests, i, d)
        if (json_equal(json_object_get(d, "digest"), json_object_get(desc, "digest")))
            return 0;
    return json_array_append(manifests, (json_t *)desc);
}

/* Writes oci-layout unless it already has exactly skopeo's content. */
static int oci_write_layout_file(const ferry_services *svc, ferry_ctx *ctx, const char *label, int layoutfd)
{
    char *data = NULL;
    size_t len = 0;
    if (plugin_util_read_file(layoutfd, OCI_LAYOUT_FILE, 4096, &data, &len) == 0) {
        int same = len == strlen(OCI_LAYOUT_CONTENT) && memcmp(data, OCI_LAYOUT_CONTENT, len) == 0;
        free(data);
        if (same)
            return FERRY_OK;
    }
    if (svc->write_file_atomic(layoutfd, OCI_LAYOUT_FILE, OCI_LAYOUT_CONTENT, strlen(OCI_LAYOUT_CONTENT),
                                      1) != 0)
        return plugin_util_errno_error(svc, ctx, errno, label, "writing", OCI_LAYOUT_FILE);
    return FERRY_OK;
}

/* The read-modify-write, with the lock held by the caller. */
static int oci_index_update(const ferry_services *svc, ferry_ctx *ctx, const char *label, int layoutfd,
                            json_t *desc, const json_t *untagged)
{
    json_t *index = NULL;
    int status = oci_index_read(svc, ctx, label, layoutfd, &index);
    if (status == FERRY_ERR_NOT_FOUND) {
        index = oci_index_new();
        status = index != NULL ? FERRY_OK : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    if (status != FERRY_OK) {
        json_decref(desc);
        return status;
    }
    int failed = oci_index_add(index, desc) != 0;
    size_t i;
    json_t *extra;
    json_array_foreach(untagged, i, extra)
        failed |= oci_index_add_untagged(index, extra) != 0;
    if (failed) {
        json_decref(index);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    }
    char *text = gojson_encode(index, 0);
    json_decref(index);
    if (text == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    size_t len = strlen(text);
    status = oci_write_layout_file(svc, ctx, label, layoutfd);
    if (status == FERRY_OK && svc->write_file_atomic(layoutfd, OCI_INDEX_FILE, text, len, 1) != 0)
        status = plugin_util_errno_error(svc, ctx, errno, label, "writing", OCI_INDEX_FILE);
    free(text);
    if (status == FERRY_OK && plugin_util_fsync_dir(layoutfd) != 0)
        status = plugin_util_errno_error(svc, ctx, errno, label, "syncing", "the layout directory");
    return status;
}

int oci_index_add_locked(const ferry_services *svc, ferry_ctx *ctx, const char *label, int layoutfd, json_t *desc,
                         const json_t *untagged)
{
    while (flock(layoutfd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        json_decref(desc);
        return plugin_util_errno_error(svc, ctx, errno, label, "locking", "the layout directory");
    }
    int status = oci_index_update(svc, ctx, label, layoutfd, desc, untagged);
    flock(layoutfd, LOCK_UN);
    return status;
}
