/* core/image/schema1_sign.c — libtrust's JSON Web Signatures on Docker
 * schema 1 manifests, made and checked with OpenSSL: signing with a fresh
 * P-256 key as containers/image's AddDummyV2S1Signature does (libtrust's
 * PrettySignature layout), and JSONSignature.Verify. The parsing is in
 * schema1_jws.c. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/schema1.h"
#include "image/schema1_internal.h"
#include "shared/base64.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"

/* ---------------------------------------------------------------- signing */

/* The signature's ECDSA (r, s) as libtrust writes it: both zero-padded to
 * the curve's size and concatenated. */
static int schema1_ecdsa_raw(const unsigned char *der, size_t der_len, unsigned char *out, size_t octets)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL)
        return -1;
    int ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, (int)octets) == (int)octets &&
             BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + octets, (int)octets) == (int)octets;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

/* The JWS signing input: protected "." base64url(payload). */
static void schema1_signing_input(strbuf *sb, const char *protected_b64, const void *payload, size_t len)
{
    strbuf_puts(sb, protected_b64);
    strbuf_append(sb, ".", 1);
    schema1_jose_append(sb, payload, len);
}

/* The public JWK of a P-256 key, members in Go's sorted map order. */
static json_t *schema1_jwk_json(EVP_PKEY *key)
{
    BIGNUM *x = NULL, *y = NULL;
    unsigned char bx[32], by[32];
    char kid[60];
    json_t *jwk = NULL;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 && BN_bn2binpad(x, bx, 32) == 32 &&
        BN_bn2binpad(y, by, 32) == 32 && schema1_key_id(key, kid) == 0) {
        strbuf sx = STRBUF_INIT, sy = STRBUF_INIT;
        schema1_jose_append(&sx, bx, 32);
        schema1_jose_append(&sy, by, 32);
        if (!sx.failed && !sy.failed)
            jwk = json_pack("{s:s, s:s, s:s, s:s, s:s}", "crv", "P-256", "kid", kid, "kty", "EC", "x", sx.data, "y",
                            sy.data);
        strbuf_release(&sx);
        strbuf_release(&sy);
    }
    BN_free(x);
    BN_free(y);
    return jwk;
}

/* Go's MarshalIndent(v, indent, indent) from a one-space-per-level
 * rendering: every line's depth gets the indent once more. */
static void schema1_reindent(strbuf *sb, const char *text, const char *indent)
{
    for (const char *p = text; *p; p++) {
        strbuf_append(sb, p, 1);
        if (*p != '\n')
            continue;
        strbuf_puts(sb, indent);
        while (p[1] == ' ') {
            strbuf_puts(sb, indent);
            p++;
        }
    }
}

static int schema1_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* libtrust's NewJSONSignature checks and format: the length of the payload
 * up to the last member (formatLength) and the indent of its first line. */
static int schema1_payload_format(const char *p, size_t len, size_t *format_length, char **indent, char *err,
                                  size_t errcap)
{
    char msg[256];
    gojson_node *root = gojson_parse(p, len, msg, sizeof msg);
    int is_object = root && root->kind == GOJSON_OBJECT;
    gojson_node_free(root);
    if (root == NULL || !is_object) {
        snprintf(err, errcap, "schema 1 payload: %s", root == NULL ? msg : "invalid json content");
        return -1;
    }
    size_t close = len;
    while (close > 0 && schema1_is_space(p[close - 1]))
        close--;
    size_t last = close - 1; /* on the closing brace */
    while (last > 0 && schema1_is_space(p[last - 1]))
        last--;
    *format_length = last;
    *indent = NULL;
    if (len > 2 && p[0] == '{' && p[1] == '\n') {
        const char *q = memchr(p + 1, '"', len - 1);
        if (q != NULL && q > p + 2) /* an empty indent is the compact form */
            *indent = strndup(p + 2, (size_t)(q - (p + 2)));
    }
    return 0;
}

/* Signs the input with a fresh key: the signature (base64url) and the JWK. */
static int schema1_sign_input(const strbuf *input, strbuf *sig_b64, json_t **jwk, char *err, size_t errcap)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[160], raw[64];
    size_t der_len = sizeof der;
    int rc = -1;
    if (key == NULL || md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &der_len, (const unsigned char *)input->data, input->len) != 1 ||
        schema1_ecdsa_raw(der, der_len, raw, 32) != 0 || (*jwk = schema1_jwk_json(key)) == NULL) {
        snprintf(err, errcap, "cannot sign the schema 1 manifest with a new ECDSA P-256 key");
    } else {
        schema1_jose_append(sig_b64, raw, sizeof raw);
        rc = 0;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return rc;
}

int schema1_sign(const void *payload, size_t len, char **out, size_t *out_len, char *err, size_t errcap)
{
    const char *p = payload;
    size_t format_length;
    char *indent = NULL, stamp[32];
    *out = NULL;
    *out_len = 0;
    if (schema1_payload_format(p, len, &format_length, &indent, err, errcap) != 0)
        return -1;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* json.Marshal of the protected map: sorted keys */
    strbuf header = STRBUF_INIT, protected_b64 = STRBUF_INIT, input = STRBUF_INIT, sig = STRBUF_INIT;
    strbuf_printf(&header, "{\"formatLength\":%zu,\"formatTail\":\"", format_length);
    schema1_jose_append(&header, p + format_length, len - format_length);
    strbuf_printf(&header, "\",\"time\":\"%s\"}", stamp);
    schema1_jose_append(&protected_b64, header.data, header.len);
    schema1_signing_input(&input, protected_b64.data ? protected_b64.data : "", p, len);
    json_t *jwk = NULL;
    int rc = -1;
    if (header.failed || protected_b64.failed || input.failed) {
        snprintf(err, errcap, "out of memory");
    } else if (schema1_sign_input(&input, &sig, &jwk, err, errcap) == 0) {
        json_t *sigs = json_pack("[{s:{s:o, s:s}, s:s, s:s}]", "header", "jwk", jwk, "alg", "ES256", "signature",
                                 sig.data, "protected", protected_b64.data);
        char *text = sigs ? gojson_encode(sigs, indent ? 1 : 0) : NULL;
        json_decref(sigs);
        strbuf doc = STRBUF_INIT;
        strbuf_append(&doc, p, format_length);
        if (indent) { /* PrettySignature for an indented payload */
            strbuf_printf(&doc, ",\n%s\"signatures\": ", indent);
            if (text)
                schema1_reindent(&doc, text, indent);
            strbuf_puts(&doc, "\n}");
        } else {
            strbuf_puts(&doc, ",\"signatures\":");
            strbuf_puts(&doc, text ? text : "");
            strbuf_puts(&doc, "}");
        }
        if (text == NULL || doc.failed) {
            strbuf_release(&doc);
            snprintf(err, errcap, "out of memory");
        } else {
            *out = strbuf_detach(&doc, out_len);
            rc = 0;
        }
        free(text);
    }
    strbuf_release(&header);
    strbuf_release(&protected_b64);
    strbuf_release(&input);
    strbuf_release(&sig);
    free(indent);
    return rc;
}

/* ---------------------------------------------------------------- verification */

/* The key of the first x5c certificate (the chain is not verified). */
static EVP_PKEY *schema1_cert_key(const char *b64, char *err, size_t errcap)
{
    size_t n = strlen(b64), der_len = 0;
    unsigned char *der = malloc(n / 4 * 3 + 3);
    EVP_PKEY *key = NULL;
    if (der != NULL && base64_decode(b64, n, der, &der_len) == 0) {
        const unsigned char *q = der;
        X509 *cert = d2i_X509(NULL, &q, (long)der_len);
        if (cert != NULL)
            key = X509_get_pubkey(cert);
        X509_free(cert);
    }
    free(der);
    if (key == NULL)
        snprintf(err, errcap, "cannot read the public key of the signature's x5c certificate");
    return key;
}

/* libtrust's PublicKey.Verify for EC (the curve fixes the algorithm) and RSA
 * PKCS #1 v1.5 keys. */
static int schema1_verify_one(EVP_PKEY *key, const char *alg, const strbuf *input, const unsigned char *sig,
                              size_t sig_len, char *err, size_t errcap)
{
    const EVP_MD *md = NULL;
    unsigned char der[256];
    const unsigned char *to_check = sig;
    size_t check_len = sig_len;
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = "";
        size_t c = SCHEMA1_N_CURVES;
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL);
        for (size_t i = 0; i < SCHEMA1_N_CURVES; i++)
            if (strcmp(group, schema1_curves[i].group) == 0)
                c = i;
        if (c == SCHEMA1_N_CURVES || strcmp(alg, schema1_curves[c].alg) != 0) {
            snprintf(err, errcap, "unable to verify signature: EC Public Key does not support signature algorithm "
                     "\"%s\"", alg);
            return -1;
        }
        size_t octets = schema1_curves[c].octets;
        if (sig_len != 2 * octets) {
            snprintf(err, errcap, "signature length is %zu octets long, should be %zu", sig_len, 2 * octets);
            return -1;
        }
        md = c == 0 ? EVP_sha256() : c == 1 ? EVP_sha384() : EVP_sha512();
        /* OpenSSL wants the DER form of (r, s) */
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, (int)octets, NULL), *s = BN_bin2bn(sig + octets, (int)octets, NULL);
        unsigned char *p = der;
        int n = -1;
        if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
            r = s = NULL;
            if (i2d_ECDSA_SIG(es, NULL) <= (int)sizeof der)
                n = i2d_ECDSA_SIG(es, &p);
        }
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        if (n <= 0) {
            snprintf(err, errcap, "invalid signature");
            return -1;
        }
        to_check = der;
        check_len = (size_t)n;
    } else if (EVP_PKEY_is_a(key, "RSA")) {
        md = strcmp(alg, "RS256") == 0 ? EVP_sha256() : strcmp(alg, "RS384") == 0 ? EVP_sha384()
             : strcmp(alg, "RS512") == 0 ? EVP_sha512() : NULL;
        if (md == NULL) {
            snprintf(err, errcap, "unable to verify Signature: RSA Digital Signature Algorithm \"%s\" not supported",
                     alg);
            return -1;
        }
    } else {
        snprintf(err, errcap, "unsupported public key type");
        return -1;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, to_check, check_len, (const unsigned char *)input->data, input->len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        snprintf(err, errcap, "invalid signature");
        return -1;
    }
    return 0;
}

int schema1_verify(const void *data, size_t len, char *err, size_t errcap)
{
    schema1_jws *jws;
    char msg[512];
    if (schema1_jws_parse(data, len, &jws, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "schema 1 signatures: %s", msg);
        return -1;
    }
    int rc = jws->n_sigs > 0 ? (int)jws->n_sigs : -1;
    if (jws->n_sigs == 0)
        snprintf(err, errcap, "schema 1 signatures: the manifest has no signatures");
    for (size_t i = 0; i < jws->n_sigs && rc > 0; i++) {
        schema1_jws_sig *s = &jws->sigs[i];
        EVP_PKEY *cert_key = NULL, *key = s->key;
        strbuf input = STRBUF_INIT;
        size_t sig_len = 0;
        unsigned char *sig = NULL;
        rc = -1;
        if (s->n_x5c > 0)
            key = cert_key = schema1_cert_key(s->x5c[0], msg, sizeof msg);
        else if (!s->has_jwk)
            snprintf(msg, sizeof msg, "missing public key");
        else if (key == NULL)
            snprintf(msg, sizeof msg, "the signature's JWK is not a valid public key");
        if (key != NULL && (sig = schema1_jose_decode(s->signature, strlen(s->signature), &sig_len, NULL)) == NULL)
            snprintf(msg, sizeof msg, "illegal base64 data in the signature");
        if (sig != NULL) {
            schema1_signing_input(&input, s->protected_header, jws->payload, jws->payload_len);
            if (input.failed)
                snprintf(msg, sizeof msg, "out of memory");
            else if (schema1_verify_one(key, s->alg, &input, sig, sig_len, msg, sizeof msg) == 0)
                rc = (int)jws->n_sigs;
        }
        if (rc < 0)
            snprintf(err, errcap, "schema 1 signatures: signature %zu: %s", i, msg);
        strbuf_release(&input);
        free(sig);
        EVP_PKEY_free(cert_key);
    }
    schema1_jws_free(jws);
    return rc;
}
