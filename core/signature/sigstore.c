/* core/signature/sigstore.c — making and checking sigstore signature blobs:
 * the payload (simple_signing_payload.c with the cosign type), the blob's
 * JSON chunk as containers/image writes it and json.Unmarshal reads it, and
 * the checks of prSigstoreSigned / VerifySigstorePayload. See sigstore.h. */
#include "signature/sigstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/digest.h"
#include "image/schema1.h"
#include "shared/base64.h"
#include "shared/gojson.h"
#include "signature/sigstore_key.h"

const char *sigstore_blob_chunk(const void *blob, size_t len, size_t *chunk_len)
{
    if (len < SIGSTORE_BLOB_PREFIX_LEN || memcmp(blob, SIGSTORE_BLOB_PREFIX, SIGSTORE_BLOB_PREFIX_LEN) != 0)
        return NULL;
    *chunk_len = len - SIGSTORE_BLOB_PREFIX_LEN;
    return (const char *)blob + SIGSTORE_BLOB_PREFIX_LEN;
}

int sigstore_sign_manifest(EVP_PKEY *key, const void *manifest, size_t manifest_len, const char *docker_reference,
                           strbuf *blob, char *err, size_t errcap)
{
    char digest[DIGEST_MAX_LEN];
    if (schema1_digest(manifest, manifest_len, digest, sizeof(digest), err, errcap) != 0)
        return -1;
    simple_signing_payload p = simple_signing_payload_new(digest, docker_reference, SIGSTORE_CREATOR);
    strbuf payload = STRBUF_INIT, sig = STRBUF_INIT;
    char why[512];
    int rc = simple_signing_payload_marshal_type(&p, SIGSTORE_PAYLOAD_TYPE, &payload, err, errcap);
    if (rc == 0 && (rc = sigstore_key_sign(key, payload.data, payload.len, &sig, why, sizeof(why))) != 0)
        snprintf(err, errcap, "creating signature: %s", why);
    if (rc == 0) {
        /* json.Marshal(sigstoreJSONRepresentation): fields in declaration
         * order, []byte as base64; nothing here needs escaping. */
        strbuf_append(blob, SIGSTORE_BLOB_PREFIX, SIGSTORE_BLOB_PREFIX_LEN);
        strbuf_puts(blob, "{\"mimeType\":\"" SIGSTORE_SIGNATURE_MIME_TYPE "\",\"payload\":\"");
        base64_append(blob, (const unsigned char *)payload.data, payload.len);
        strbuf_puts(blob, "\",\"annotations\":{\"" SIGSTORE_SIGNATURE_ANNOTATION "\":\"");
        base64_append(blob, (const unsigned char *)sig.data, sig.len);
        strbuf_puts(blob, "\"}}");
        if (blob->failed) {
            snprintf(err, errcap, "out of memory");
            rc = -1;
        }
    }
    strbuf_release(&payload);
    strbuf_release(&sig);
    return rc;
}

void sigstore_verified_release(sigstore_verified *v)
{
    free(v->docker_manifest_digest);
    free(v->docker_reference);
    memset(v, 0, sizeof(*v));
}

/* ---- the blob chunk, as json.Unmarshal fills sigstoreJSONRepresentation ---- */

typedef struct sv_chunk {
    const gojson_node *mime_type;  /* string or NULL (absent/null: "") */
    const gojson_node *payload;    /* string or NULL */
    const gojson_node *annotation; /* the signature annotation's value (last one wins), or NULL */
} sv_chunk;

/* Go's base64 CorruptInputError offset: the first byte outside the alphabet
 * or misplaced padding, else where the incomplete last quantum starts. */
static size_t sv_base64_bad_offset(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        int pad_ok = c == '=' && len % 4 == 0 && i >= len - 2 && (i == len - 1 || s[len - 1] == '=');
        if (!alpha && !pad_ok)
            return i;
    }
    return len - len % 4;
}

/* base64.StdEncoding.DecodeString into a malloc'd buffer; -1 with Go's message. */
static int sv_base64(const char *s, size_t len, unsigned char **out, size_t *out_len, char *err, size_t errcap)
{
    *out = malloc(len / 4 * 3 + 1);
    if (*out == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    if (base64_decode(s, len, *out, out_len) == 0)
        return 0;
    free(*out);
    *out = NULL;
    snprintf(err, errcap, "illegal base64 data at input byte %zu", sv_base64_bad_offset(s, len));
    return -1;
}

static int sv_type_error(const gojson_node *v, const char *field, const char *go_type, char *err, size_t errcap)
{
    snprintf(err, errcap, "json: cannot unmarshal %s into Go struct field sigstoreJSONRepresentation.%s of type %s",
             gojson_kind_name(v->kind), field, go_type);
    return -1;
}

/* Fields match case-insensitively; a later member overrides an earlier one;
 * unknown members are ignored; null leaves the zero value. */
static int sv_parse_chunk(const gojson_node *root, sv_chunk *c, char *err, size_t errcap)
{
    memset(c, 0, sizeof(*c));
    if (root->kind != GOJSON_OBJECT) {
        snprintf(err, errcap, "json: cannot unmarshal %s into Go value of type signature.sigstoreJSONRepresentation",
                 gojson_kind_name(root->kind));
        return -1;
    }
    for (size_t i = 0; i < root->n_children; i++) {
        const gojson_node *m = &root->children[i];
        int mime = m->key_len == 8 && strncasecmp(m->key, "mimeType", 8) == 0;
        int payload = m->key_len == 7 && strncasecmp(m->key, "payload", 7) == 0;
        int annotations = m->key_len == 11 && strncasecmp(m->key, "annotations", 11) == 0;
        if (m->kind == GOJSON_NULL || !(mime || payload || annotations))
            continue;
        if (mime || payload) {
            if (m->kind != GOJSON_STRING)
                return sv_type_error(m, mime ? "mimeType" : "payload", mime ? "string" : "[]uint8", err, errcap);
            if (mime)
                c->mime_type = m;
            else
                c->payload = m;
            continue;
        }
        if (m->kind != GOJSON_OBJECT)
            return sv_type_error(m, "annotations", "map[string]string", err, errcap);
        for (size_t j = 0; j < m->n_children; j++) {
            const gojson_node *a = &m->children[j];
            if (a->kind != GOJSON_STRING && a->kind != GOJSON_NULL)
                return sv_type_error(a, "annotations", "string", err, errcap);
            if (a->key_len == strlen(SIGSTORE_SIGNATURE_ANNOTATION) &&
                memcmp(a->key, SIGSTORE_SIGNATURE_ANNOTATION, a->key_len) == 0)
                c->annotation = a;
        }
    }
    return 0;
}

/* VerifySigstorePayload after the signature is decoded: crypto, payload,
 * digest, reference. */
static int sv_payload(EVP_PKEY *key, const unsigned char *payload, size_t payload_len, const unsigned char *sig,
                      size_t sig_len, const void *manifest, size_t manifest_len, simple_signing_reference_check check,
                      void *arg, sigstore_verified *out, char *err, size_t errcap)
{
    char why[512];
    if (sigstore_key_verify(key, payload, payload_len, sig, sig_len, why, sizeof(why)) != 0) {
        snprintf(err, errcap, "cryptographic signature verification failed: %s", why);
        return -1;
    }
    simple_signing_payload p;
    if (simple_signing_payload_parse_type(payload, payload_len, SIGSTORE_PAYLOAD_TYPE, 1, &p, err, errcap) != 0)
        return -1;
    char digest[DIGEST_MAX_LEN];
    int rc = schema1_digest(manifest, manifest_len, digest, sizeof(digest), err, errcap);
    if (rc == 0 && (p.docker_manifest_digest_len != strlen(digest) || memcmp(p.docker_manifest_digest, digest,
                                                                              p.docker_manifest_digest_len) != 0)) {
        char *shown = simple_signing_printable(p.docker_manifest_digest, p.docker_manifest_digest_len);
        snprintf(err, errcap, "Signature for digest %s does not match", shown != NULL ? shown : "?");
        free(shown);
        rc = -1;
    }
    if (rc == 0)
        rc = check(arg, p.docker_reference, p.docker_reference_len, err, errcap);
    if (rc == 0) {
        out->docker_manifest_digest = p.docker_manifest_digest;
        out->docker_reference = p.docker_reference;
        p.docker_manifest_digest = p.docker_reference = NULL;
    }
    simple_signing_payload_release(&p);
    return rc;
}

int sigstore_verify(const void *public_key_pem, size_t key_len, const void *chunk, size_t chunk_len,
                    const void *manifest, size_t manifest_len, simple_signing_reference_check check, void *arg,
                    sigstore_verified *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    char why[512];
    gojson_node *root = gojson_parse(chunk, chunk_len, err, errcap);
    if (root == NULL)
        return -1;
    sv_chunk c;
    EVP_PKEY *key = NULL;
    unsigned char *payload = NULL, *sig = NULL;
    size_t payload_len = 0, sig_len = 0;
    int rc = sv_parse_chunk(root, &c, err, errcap);
    if (rc == 0 && c.payload != NULL &&
        (rc = sv_base64(c.payload->str, c.payload->str_len, &payload, &payload_len, err, errcap)) != 0)
        goto out;
    if (rc == 0 && (c.mime_type == NULL || strlen(SIGSTORE_SIGNATURE_MIME_TYPE) != c.mime_type->str_len ||
                    memcmp(c.mime_type->str, SIGSTORE_SIGNATURE_MIME_TYPE, c.mime_type->str_len) != 0)) {
        char *shown = simple_signing_printable(c.mime_type != NULL ? c.mime_type->str : "",
                                               c.mime_type != NULL ? c.mime_type->str_len : 0);
        snprintf(err, errcap, "sigstore attachment of MIME type \"%s\" is not a signature", shown != NULL ? shown : "?");
        free(shown);
        rc = SIGSTORE_NOT_A_SIGNATURE;
        goto out;
    }
    if (rc != 0)
        goto out;
    if ((key = sigstore_public_key_parse(public_key_pem, key_len, why, sizeof(why))) == NULL) {
        snprintf(err, errcap, "parsing public key: %s", why);
        rc = -1;
    } else if (c.annotation == NULL) {
        snprintf(err, errcap, "missing %s annotation", SIGSTORE_SIGNATURE_ANNOTATION);
        rc = -1;
    } else if (c.annotation->kind == GOJSON_STRING &&
               sv_base64(c.annotation->str, c.annotation->str_len, &sig, &sig_len, why, sizeof(why)) != 0) {
        snprintf(err, errcap, "base64 decoding: %s", why);
        rc = -1;
    } else {
        rc = sv_payload(key, payload != NULL ? payload : (const unsigned char *)"", payload_len,
                        sig != NULL ? sig : (const unsigned char *)"", sig_len, manifest, manifest_len, check, arg,
                        out, err, errcap);
    }
out:
    EVP_PKEY_free(key);
    free(payload);
    free(sig);
    gojson_node_free(root);
    if (rc != 0)
        sigstore_verified_release(out);
    return rc;
}
