/* plugins/docker/attachments.c — sigstore signatures as registry
 * attachments (use-sigstore-attachments in registries.d), as
 * containers/image keeps them: an OCI manifest tagged ALG-HEX.sig in the
 * image's repository whose layers are the signatures (the layer bytes are
 * the payload, its media type and annotations the rest). Reading turns
 * every layer into a signature blob "\0sigstore-json\n" + JSON; writing
 * reads the existing manifest and config, appends the signatures not
 * already there and pushes the config and the manifest again. Payloads and
 * configs are held in memory, at most 4 MiB each (containers/image's
 * limits). */
#include "docker.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/base64.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"

#define ATT_PAYLOAD_MAX (4 * 1024 * 1024) /* iolimits.MaxSignatureBodySize, MaxConfigBodySize */

/* "NAME:ALG-HEX.sig" names the attachment manifest in messages; *tag points
 * into it. malloc'd. */
static char *att_name(const docker_reference *ref, const char *digest, const char **tag)
{
    char *name = plugin_util_printf("%s/%s:%s.sig", ref->domain, ref->path, digest);
    if (name == NULL)
        return NULL;
    char *t = strrchr(name, ':');
    *t = '-';
    *tag = strrchr(name, ':') + 1;
    return name;
}

/* containers/image's isManifestUnknownError, on a 404 body. */
static int att_manifest_unknown(const char *body, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *first = json_array_get(json_object_get(root, "errors"), 0);
    const char *code = json_string_value(json_object_get(first, "code"));
    const char *message = json_string_value(json_object_get(first, "message"));
    int unknown = code != NULL && (strcmp(code, "MANIFEST_UNKNOWN") == 0 ||
                                   (strcmp(code, "UNKNOWN") == 0 && message != NULL && strcmp(message, "Not Found") == 0));
    json_decref(root);
    return unknown || (body != NULL && strstr(body, "Not found") != NULL);
}

/* The attachment manifest of digest, parsed; *out NULL when there is none. */
static int att_get_manifest(docker_client *c, ferry_ctx *ctx, const char *digest, json_t **out)
{
    const ferry_services *svc = docker_services();
    *out = NULL;
    const char *tag;
    char *name = att_name(c->ref, digest, &tag);
    char *path = name != NULL ? plugin_util_printf("/v2/%s/manifests/%s", c->ref->path, tag) : NULL;
    if (path == NULL) {
        free(name);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
    }
    svc->log(ctx, FERRY_LOG_DEBUG, "Looking for sigstore attachments in %s", name);
    char what[PLUGIN_UTIL_DIGEST_MAX + 160];
    snprintf(what, sizeof what, "reading manifest %s", tag);
    const char *headers[] = {DOCKER_MANIFEST_ACCEPT, NULL};
    docker_request req = {.method = "GET", .target = path, .headers = headers, .follow_redirects = 1, .what = what};
    docker_transfer *t = NULL;
    int status = docker_client_send(c, ctx, &req, &t);
    free(path);
    long code = status == FERRY_OK ? docker_transfer_status(t) : 0;
    char *body = NULL;
    size_t len = 0;
    char err[256];
    if (status == FERRY_OK && code != 200 && code != 404) {
        status = docker_response_error(c, ctx, t, what);
    } else if (status == FERRY_OK) {
        status = docker_transfer_read_all(t, ctx, code == 200 ? DOCKER_MANIFEST_MAX : DOCKER_SMALL_BODY_MAX, &body,
                                          &len, err, sizeof err);
        if (status != FERRY_OK)
            status = docker_transport_error(ctx, c->ref, status, what, err);
    }
    if (status == FERRY_OK && code == 404) {
        if (!att_manifest_unknown(body, len))
            status = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "reading manifest %s in %s/%s: status 404 (%.200s)",
                                    tag, c->ref->domain, c->ref->path, body);
    } else if (status == FERRY_OK) {
        char type[256];
        docker_media_type(docker_transfer_header(t, "Content-Type", 0), type, sizeof type);
        json_error_t jerr;
        if (strcmp(type, DOCKER_MT_OCI_MANIFEST) != 0)
            status = svc->set_error(ctx, FERRY_ERR_INVALID,
                                    "unexpected MIME type for sigstore attachment manifest %s: \"%s\"", name, type);
        else if ((*out = json_loadb(body, len, 0, &jerr)) == NULL || !json_is_object(*out) ||
                 (json_object_get(*out, "layers") != NULL && !json_is_array(json_object_get(*out, "layers"))))
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "parsing manifest %s: %s", name,
                                    *out == NULL ? jerr.text : "not an OCI manifest");
    }
    if (status != FERRY_OK) {
        json_decref(*out);
        *out = NULL;
    }
    docker_transfer_free(t, ctx);
    free(body);
    free(name);
    return status;
}

/* A descriptor's digest and size, checked. */
static int att_descriptor(ferry_ctx *ctx, const docker_reference *ref, json_t *desc, const char **digest,
                          int64_t *size)
{
    const ferry_services *svc = docker_services();
    *digest = json_string_value(json_object_get(desc, "digest"));
    json_t *sz = json_object_get(desc, "size");
    *size = json_is_integer(sz) ? json_integer_value(sz) : -1;
    if (*digest == NULL || !svc->digest_is_valid(*digest) || *size < 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid descriptor in a sigstore attachment manifest",
                              ref->label);
    if (*size > ATT_PAYLOAD_MAX)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "reading blob %s in %s/%s: exceeded maximum allowed size of "
                              "%d bytes", *digest, ref->domain, ref->path, ATT_PAYLOAD_MAX);
    return FERRY_OK;
}

/* A small blob of the repository, whole and verified against its digest. */
static int att_get_blob(docker_client *c, ferry_ctx *ctx, const char *digest, int64_t size, strbuf *out)
{
    const ferry_services *svc = docker_services();
    ferry_reader *r = NULL;
    int status = docker_blob_reader_open(c, ctx, digest, size, &r);
    if (status != FERRY_OK)
        return status;
    char alg[16];
    const char *hex;
    ferry_hasher *h = plugin_util_digest_split(svc, digest, alg, sizeof alg, &hex) == 0 ? svc->hasher_new(alg) : NULL;
    if (h == NULL)
        status = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: unsupported digest %s", c->ref->label, digest);
    char buf[16384];
    for (int eos = 0; status == FERRY_OK && !eos;) {
        size_t n = 0;
        status = ferry_reader_read(r, ctx, buf, sizeof buf, &n, &eos);
        if (status == FERRY_OK && out->len + n > (size_t)size)
            status = svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob %s is longer than its %lld bytes",
                                    c->ref->label, digest, (long long)size);
        if (status == FERRY_OK && n > 0) {
            svc->hasher_update(h, buf, n);
            if (strbuf_append(out, buf, n) != 0)
                status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
        }
    }
    ferry_reader_close(r);
    char got[PLUGIN_UTIL_DIGEST_MAX] = "";
    if (h != NULL) {
        svc->hasher_final(h, got, sizeof got);
        svc->hasher_free(h);
    }
    if (status == FERRY_OK && (out->len != (size_t)size || strcmp(got, digest) != 0))
        status = svc->set_error(ctx, FERRY_ERR_DIGEST_MISMATCH, "%s: blob %s: the registry sent %zu bytes hashing to %s",
                                c->ref->label, digest, out->len, got);
    return status;
}

/* The signature blob of one attachment layer. */
static int att_blob(const char *media_type, const strbuf *payload, json_t *annotations, strbuf *out)
{
    strbuf b64 = STRBUF_INIT;
    base64_append(&b64, (const unsigned char *)payload->data, payload->len);
    json_t *obj = json_object();
    json_t *ann = gojson_sorted_object(annotations);
    int rc = -1;
    if (!b64.failed && obj != NULL && ann != NULL && json_object_set_new(obj, "mimeType", json_string(media_type)) == 0 &&
        json_object_set_new(obj, "payload", json_stringn(b64.data != NULL ? b64.data : "", b64.len)) == 0 &&
        json_object_set(obj, "annotations", ann) == 0) {
        char *text = gojson_encode(obj, 0);
        if (text != NULL && strbuf_append(out, "\0" DOCKER_SIG_FORMAT_SIGSTORE "\n",
                                          1 + strlen(DOCKER_SIG_FORMAT_SIGSTORE) + 1) == 0 &&
            strbuf_puts(out, text) == 0)
            rc = 0;
        free(text);
    }
    json_decref(ann);
    json_decref(obj);
    strbuf_release(&b64);
    return rc;
}

int docker_attachments_read(docker_client *c, ferry_ctx *ctx, const char *digest,
                            int (*emit)(void *opaque, const void *data, size_t len), void *opaque)
{
    const ferry_services *svc = docker_services();
    json_t *manifest = NULL;
    int status = att_get_manifest(c, ctx, digest, &manifest);
    if (status != FERRY_OK || manifest == NULL)
        return status;
    json_t *layers = json_object_get(manifest, "layers");
    svc->log(ctx, FERRY_LOG_DEBUG, "Found a sigstore attachment manifest with %zu layers", json_array_size(layers));
    for (size_t i = 0; i < json_array_size(layers) && status == FERRY_OK; i++) {
        json_t *layer = json_array_get(layers, i);
        const char *ldigest;
        int64_t size;
        json_t *ann = json_object_get(layer, "annotations");
        const char *k;
        json_t *v;
        if ((status = att_descriptor(ctx, c->ref, layer, &ldigest, &size)) != FERRY_OK)
            break;
        json_object_foreach(ann, k, v) if (!json_is_string(v)) status = svc->set_error(
            ctx, FERRY_ERR_INVALID, "%s: a sigstore attachment's annotation %s is not a string", c->ref->label, k);
        strbuf payload = STRBUF_INIT, blob = STRBUF_INIT;
        if (status == FERRY_OK)
            status = att_get_blob(c, ctx, ldigest, size, &payload);
        const char *type = json_string_value(json_object_get(layer, "mediaType"));
        if (status == FERRY_OK && att_blob(type != NULL ? type : "", &payload, ann, &blob) != 0)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->ref->label);
        if (status == FERRY_OK)
            status = emit(opaque, blob.data, blob.len);
        strbuf_release(&payload);
        strbuf_release(&blob);
    }
    json_decref(manifest);
    return status;
}

/* ---- writing ---- */

/* The parts of a sigstore signature blob; NULL when it is not one. */
typedef struct att_signature {
    const char *media_type;
    unsigned char *payload;
    size_t payload_len;
    json_t *annotations; /* sorted, owned */
    json_t *root;
} att_signature;

static int att_signature_parse(const void *blob, size_t len, att_signature *sig)
{
    memset(sig, 0, sizeof *sig);
    size_t skip = 1 + strlen(DOCKER_SIG_FORMAT_SIGSTORE) + 1;
    json_error_t jerr;
    if (len < skip || (sig->root = json_loadb((const char *)blob + skip, len - skip, 0, &jerr)) == NULL)
        return -1;
    sig->media_type = json_string_value(json_object_get(sig->root, "mimeType"));
    const char *b64 = json_string_value(json_object_get(sig->root, "payload"));
    size_t b64len = b64 != NULL ? strlen(b64) : 0;
    json_t *ann = json_object_get(sig->root, "annotations");
    const char *k;
    json_t *v;
    json_object_foreach(ann, k, v) if (!json_is_string(v)) return -1;
    sig->payload = malloc(b64len / 4 * 3 + 3);
    sig->annotations = gojson_sorted_object(ann);
    if (sig->payload == NULL || sig->annotations == NULL ||
        (b64 != NULL && base64_decode(b64, b64len, sig->payload, &sig->payload_len) != 0))
        return -1;
    if (sig->media_type == NULL)
        sig->media_type = "";
    return 0;
}

static void att_signature_free(att_signature *sig)
{
    free(sig->payload);
    json_decref(sig->annotations);
    json_decref(sig->root);
}

/* containers/image's layerMatchesSigstoreSignature. */
static int att_layer_matches(json_t *layer, const att_signature *sig, const char *payload_digest)
{
    json_t *ann = json_object_get(layer, "annotations");
    const char *type = json_string_value(json_object_get(layer, "mediaType"));
    const char *digest = json_string_value(json_object_get(layer, "digest"));
    json_t *size = json_object_get(layer, "size");
    if (type == NULL || strcmp(type, sig->media_type) != 0 || !json_is_integer(size) ||
        json_integer_value(size) != (json_int_t)sig->payload_len || digest == NULL ||
        strcmp(digest, payload_digest) != 0 || json_object_size(ann) != json_object_size(sig->annotations))
        return 0;
    const char *k;
    json_t *v;
    json_object_foreach(ann, k, v) if (!json_equal(v, json_object_get(sig->annotations, k))) return 0;
    return 1;
}

/* Uploads bytes through the destination's put_blob; fills desc with Go's
 * descriptor members (mediaType, digest, size). */
static int att_put_bytes(ferry_image_dest *dest, ferry_ctx *ctx, const docker_reference *ref, const void *data,
                         size_t len, const char *media_type, int kind, json_t *desc)
{
    const ferry_services *svc = docker_services();
    char digest[PLUGIN_UTIL_DIGEST_MAX];
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    svc->hasher_update(h, data, len);
    svc->hasher_final(h, digest, sizeof digest);
    svc->hasher_free(h);
    ferry_reader *r = NULL;
    int status = svc->memory_reader(ctx, ref->label, data, len, NULL, &r);
    if (status != FERRY_OK)
        return status;
    ferry_blob_info info = {.struct_size = sizeof info,
                            .digest = digest,
                            .size = (int64_t)len,
                            .media_type = media_type,
                            .kind = kind,
                            .layer_index = -1};
    status = dest->ops->put_blob(dest, ctx, r, &info);
    ferry_reader_close(r);
    if (status != FERRY_OK)
        return status;
    if (json_object_set_new(desc, "mediaType", json_string(media_type)) != 0 ||
        json_object_set_new(desc, "digest", json_string(digest)) != 0 ||
        json_object_set_new(desc, "size", json_integer((json_int_t)len)) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    return FERRY_OK;
}

/* The attachment config as Go re-marshals an imgspecv1.Image: the members
 * it knows, in its field order, rootfs last but history. */
static json_t *att_config_new(json_t *old)
{
    static const char *const before[] = {"created", "author", "architecture", "variant", "os", "os.version",
                                         "os.features", "config"};
    json_t *cfg = json_object();
    for (size_t i = 0; cfg != NULL && i < sizeof before / sizeof before[0]; i++) {
        json_t *v = json_object_get(old, before[i]);
        int required = strcmp(before[i], "architecture") == 0 || strcmp(before[i], "os") == 0;
        if (v != NULL && !json_is_null(v))
            json_object_set(cfg, before[i], v);
        else if (required)
            json_object_set_new(cfg, before[i], json_string(""));
        else if (strcmp(before[i], "config") == 0)
            json_object_set_new(cfg, before[i], json_object());
    }
    json_t *rootfs = json_object_get(old, "rootfs");
    json_t *type = json_object_get(rootfs, "type");
    json_t *ids = json_object_get(rootfs, "diff_ids");
    json_t *nrootfs = json_object();
    if (json_is_string(type))
        json_object_set(nrootfs, "type", type);
    else
        json_object_set_new(nrootfs, "type", json_string(old != NULL ? "" : "layers"));
    json_object_set_new(nrootfs, "diff_ids", json_is_array(ids) ? json_deep_copy(ids) : json_array());
    json_object_set_new(cfg, "rootfs", nrootfs);
    json_t *history = json_object_get(old, "history");
    if (json_array_size(history) > 0)
        json_object_set(cfg, "history", history);
    return cfg;
}

int docker_attachments_write(ferry_image_dest *dest, docker_client *c, ferry_ctx *ctx, const char *digest,
                             size_t count, const void *const *sigs, const size_t *lens)
{
    const ferry_services *svc = docker_services();
    const docker_reference *ref = c->ref;
    json_t *manifest = NULL, *old_config = NULL;
    int status = att_get_manifest(c, ctx, digest, &manifest);
    if (status == FERRY_OK && manifest != NULL) {
        const char *cdigest;
        int64_t csize;
        strbuf body = STRBUF_INIT;
        json_error_t jerr;
        status = att_descriptor(ctx, ref, json_object_get(manifest, "config"), &cdigest, &csize);
        if (status == FERRY_OK)
            status = att_get_blob(c, ctx, cdigest, csize, &body);
        if (status == FERRY_OK && ((old_config = json_loadb(body.data != NULL ? body.data : "", body.len, 0,
                                                            &jerr)) == NULL || !json_is_object(old_config)))
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "parsing sigstore attachment config %s in %s/%s: %s",
                                    cdigest, ref->domain, ref->path, old_config == NULL ? jerr.text : "not an object");
        strbuf_release(&body);
    }
    json_t *config = status == FERRY_OK ? att_config_new(old_config) : NULL;
    json_t *layers = json_object_get(manifest, "layers");
    layers = json_is_array(layers) ? json_incref(layers) : json_array();
    json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    for (size_t i = 0; status == FERRY_OK && i < count; i++) {
        att_signature sig;
        char pdigest[PLUGIN_UTIL_DIGEST_MAX];
        if (att_signature_parse(sigs[i], lens[i], &sig) != 0) {
            att_signature_free(&sig);
            status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid sigstore signature %zu", ref->label, i + 1);
            break;
        }
        ferry_hasher *h = svc->hasher_new("sha256");
        svc->hasher_update(h, sig.payload, sig.payload_len);
        svc->hasher_final(h, pdigest, sizeof pdigest);
        svc->hasher_free(h);
        int present = 0;
        for (size_t j = 0; j < json_array_size(layers) && !present; j++)
            present = att_layer_matches(json_array_get(layers, j), &sig, pdigest);
        if (present) {
            svc->log(ctx, FERRY_LOG_DEBUG, "Signature with digest %s already exists on the registry", pdigest);
        } else {
            json_t *desc = json_object();
            status = att_put_bytes(dest, ctx, ref, sig.payload, sig.payload_len, sig.media_type, FERRY_BLOB_LAYER,
                                   desc);
            if (status == FERRY_OK && json_object_size(sig.annotations) > 0)
                json_object_set(desc, "annotations", sig.annotations);
            json_array_append_new(layers, desc);
            json_array_append_new(diff_ids, json_string(pdigest));
        }
        att_signature_free(&sig);
    }
    char *config_text = status == FERRY_OK ? gojson_encode(config, 0) : NULL;
    json_t *config_desc = json_object();
    if (status == FERRY_OK && config_text == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    if (status == FERRY_OK)
        status = att_put_bytes(dest, ctx, ref, config_text, strlen(config_text),
                               "application/vnd.oci.image.config.v1+json", FERRY_BLOB_CONFIG, config_desc);
    /* imgspecv1.Manifest's fields in order; the old manifest's subject and
     * annotations kept. */
    json_t *out = json_object();
    json_object_set_new(out, "schemaVersion", json_integer(2));
    json_object_set_new(out, "mediaType", json_string(DOCKER_MT_OCI_MANIFEST));
    json_object_set(out, "config", config_desc);
    json_object_set(out, "layers", layers);
    static const char *const kept[] = {"subject", "annotations"};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(manifest, kept[i]);
        if (v != NULL && !json_is_null(v) && (!json_is_object(v) || json_object_size(v) > 0))
            json_object_set(out, kept[i], v);
    }
    char *text = status == FERRY_OK ? gojson_encode(out, 0) : NULL;
    if (status == FERRY_OK && text == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    if (status == FERRY_OK) {
        const char *tag;
        char *name = att_name(ref, digest, &tag);
        svc->log(ctx, FERRY_LOG_DEBUG, "Uploading sigstore attachment manifest");
        status = name != NULL ? docker_dest_put_manifest_at(dest, ctx, tag, text, strlen(text), DOCKER_MT_OCI_MANIFEST)
                              : svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
        free(name);
    }
    free(text);
    free(config_text);
    json_decref(out);
    json_decref(config_desc);
    json_decref(layers);
    json_decref(config);
    json_decref(old_config);
    json_decref(manifest);
    return status;
}
