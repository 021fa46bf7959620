/* core/image/schema1_jws.c — reading libtrust's JSON Web Signatures on
 * Docker schema 1 manifests as containers/image does when it computes a
 * manifest digest: ParsePrettySignature (the payload is the manifest up to
 * the protected header's formatLength, plus its formatTail), JWK public keys
 * (EC and RSA, through OpenSSL) with their libtrust key IDs, and JOSE's
 * base64url. Signing and verification are in schema1_sign.c. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/oci_config_internal.h"
#include "image/schema1.h"
#include "image/schema1_internal.h"
#include "shared/base64.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"

/* ---------------------------------------------------------------- Go types */

#define SCHEMA1_N(a) (sizeof(a) / sizeof((a)[0]))

static const oci_config_type schema1_t_rawmap = {OCI_CONFIG_MAP, "map[string]json.RawMessage", &oci_config_t_raw,
                                                 NULL, 0};
enum { SCHEMA1_H_JWK, SCHEMA1_H_ALG, SCHEMA1_H_X5C };
static const oci_config_field schema1_f_header[] = {
    {"jwk", &oci_config_t_raw, 0}, {"alg", &oci_config_t_string, 0}, {"x5c", &oci_config_t_strings, 0}};
static const oci_config_type schema1_t_header = {OCI_CONFIG_STRUCT, "libtrust.jsParsedHeader", NULL, schema1_f_header,
                                                 SCHEMA1_N(schema1_f_header)};
enum { SCHEMA1_S_HEADER, SCHEMA1_S_SIGNATURE, SCHEMA1_S_PROTECTED };
static const oci_config_field schema1_f_sig[] = {
    {"header", &schema1_t_header, 0}, {"signature", &oci_config_t_string, 0}, {"protected", &oci_config_t_string, 0}};
static const oci_config_type schema1_t_sig = {OCI_CONFIG_STRUCT, "libtrust.jsParsedSignature", NULL, schema1_f_sig,
                                              SCHEMA1_N(schema1_f_sig)};
static const oci_config_type schema1_t_sigs = {OCI_CONFIG_SLICE, "[]libtrust.jsParsedSignature", &schema1_t_sig, NULL,
                                               0};

/* ---------------------------------------------------------------- encodings */

unsigned char *schema1_jose_decode(const char *s, size_t n, size_t *out_len, const char **why)
{
    char *buf = malloc(n + 3);
    unsigned char *out = malloc(n / 4 * 3 + 3);
    size_t m = 0, k = 0;
    if (buf == NULL || out == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\n' && s[i] != ' ')
            buf[m++] = s[i];
    if (why)
        *why = "illegal base64url string";
    if (m % 4 == 1)
        goto fail;
    if (why)
        *why = "illegal base64 data";
    while (m % 4 != 0)
        buf[m++] = '=';
    for (size_t i = 0; i < m; i++)
        if (buf[i] != '\r')
            buf[k++] = buf[i];
    if (base64url_decode(buf, k, out, out_len) != 0)
        goto fail;
    free(buf);
    return out;
fail:
    free(buf);
    free(out);
    return NULL;
}

void schema1_jose_append(strbuf *sb, const void *p, size_t n)
{
    base64url_append(sb, p, n, 0);
}

int schema1_key_id(EVP_PKEY *key, char out[60])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int der_len = i2d_PUBKEY(key, &der);
    if (der_len <= 0)
        return -1;
    int ok = EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_sha256(), NULL) == 1;
    OPENSSL_free(der);
    if (!ok)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < 30; i += 5) { /* 5 bytes make 8 base32 digits */
        unsigned long long v = 0;
        for (size_t k = 0; k < 5; k++)
            v = (v << 8) | md[i + k];
        for (int k = 7; k >= 0; k--) {
            if (o % 5 == 4)
                out[o++] = ':';
            out[o++] = b32[(v >> (5 * k)) & 31];
        }
    }
    out[o] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- JWK */

/* The last member named `key` (a Go map keeps the last duplicate). */
static const gojson_node *schema1_member(const gojson_node *obj, const char *key)
{
    if (obj->kind != GOJSON_OBJECT)
        return NULL;
    for (size_t i = obj->n_children; i-- > 0;)
        if (obj->children[i].key_len == strlen(key) && memcmp(obj->children[i].key, key, obj->children[i].key_len) == 0)
            return &obj->children[i];
    return NULL;
}

/* libtrust's stringFromMap. */
static const char *schema1_jwk_string(const gojson_node *jwk, const char *key, const char *what, char *err,
                                      size_t errcap)
{
    const gojson_node *v = schema1_member(jwk, key);
    if (v == NULL || v->kind != GOJSON_STRING) {
        snprintf(err, errcap, "%s: \"%s\" value %s", what, key, v ? "must be a string" : "not specified");
        return NULL;
    }
    return v->str;
}

/* A base64url member of exactly `want` bytes (any length when 0). */
static unsigned char *schema1_jwk_bytes(const gojson_node *jwk, const char *key, const char *what, size_t want,
                                        size_t *got, char *err, size_t errcap)
{
    const char *s = schema1_jwk_string(jwk, key, what, err, errcap);
    if (s == NULL)
        return NULL;
    const char *why = "";
    unsigned char *b = schema1_jose_decode(s, schema1_member(jwk, key)->str_len, got, &why);
    if (b == NULL) {
        snprintf(err, errcap, "%s: invalid base64 URL encoding: %s", what, why);
        return NULL;
    }
    if (want && *got != want) {
        snprintf(err, errcap, "%s: invalid number of octets: got %zu, should be %zu", what, *got, want);
        free(b);
        return NULL;
    }
    return b;
}

static EVP_PKEY *schema1_key_from_params(const char *type, const OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *key = NULL;
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY,
                                                                           (OSSL_PARAM *)params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

const schema1_curve schema1_curves[SCHEMA1_N_CURVES] = {
    {"P-256", "prime256v1", "ES256", 32},
    {"P-384", "secp384r1", "ES384", 48},
    {"P-521", "secp521r1", "ES512", 66},
};

static EVP_PKEY *schema1_jwk_ec(const gojson_node *jwk, int *bad, char *err, size_t errcap)
{
    const char *crv = schema1_jwk_string(jwk, "crv", "JWK EC Public Key curve identifier", err, errcap);
    size_t c = SCHEMA1_N_CURVES, len;
    for (size_t i = 0; crv && i < SCHEMA1_N_CURVES; i++)
        if (strcmp(crv, schema1_curves[i].crv) == 0)
            c = i;
    if (crv && c == SCHEMA1_N_CURVES)
        snprintf(err, errcap, "JWK EC Public Key curve identifier not supported: \"%s\"", crv);
    unsigned char *x = NULL, *y = NULL;
    if (c < SCHEMA1_N_CURVES) {
        x = schema1_jwk_bytes(jwk, "x", "JWK EC Public Key x-coordinate", schema1_curves[c].octets, &len, err, errcap);
        if (x)
            y = schema1_jwk_bytes(jwk, "y", "JWK EC Public Key y-coordinate", schema1_curves[c].octets, &len, err,
                                  errcap);
    }
    *bad = y == NULL;
    EVP_PKEY *key = NULL;
    if (y != NULL) {
        unsigned char point[1 + 2 * 66];
        size_t n = schema1_curves[c].octets;
        point[0] = 4; /* uncompressed */
        memcpy(point + 1, x, n);
        memcpy(point + 1 + n, y, n);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)schema1_curves[c].group, 0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * n),
            OSSL_PARAM_construct_end(),
        };
        key = schema1_key_from_params("EC", params); /* NULL for a point off the curve */
    }
    free(x);
    free(y);
    return key;
}

static EVP_PKEY *schema1_jwk_rsa(const gojson_node *jwk, int *bad, char *err, size_t errcap)
{
    size_t n_len = 0, e_len = 0;
    unsigned char *e = NULL, *n = schema1_jwk_bytes(jwk, "n", "JWK RSA Public Key modulus", 0, &n_len, err, errcap);
    if (n)
        e = schema1_jwk_bytes(jwk, "e", "JWK RSA Public Key exponent", 0, &e_len, err, errcap);
    if (e && e_len > 4) /* libtrust reads it into 32 bits (and panics beyond) */
        snprintf(err, errcap, "JWK RSA Public Key exponent: more than 4 octets");
    EVP_PKEY *key = NULL;
    *bad = e == NULL || e_len > 4;
    if (!*bad) {
        BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
            params = OSSL_PARAM_BLD_to_param(bld);
        if (params)
            key = schema1_key_from_params("RSA", params);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        BN_free(bn_n);
        BN_free(bn_e);
    }
    free(n);
    free(e);
    return key;
}

/* libtrust's UnmarshalPublicKeyJWK for EC and RSA keys. Returns 0 with the
 * key in *key (NULL when OpenSSL cannot use it, e.g. a point off the curve,
 * which libtrust only notices when it verifies), or -1 with its message. */
static int schema1_jwk_parse(const char *raw, size_t len, EVP_PKEY **key, char *err, size_t errcap)
{
    char msg[256];
    *key = NULL;
    gojson_node *jwk = gojson_parse(raw, len, msg, sizeof msg);
    if (jwk == NULL || (jwk->kind != GOJSON_OBJECT && jwk->kind != GOJSON_NULL)) {
        if (jwk != NULL)
            snprintf(msg, sizeof msg, "json: cannot unmarshal %s into Go value of type map[string]interface {}",
                     gojson_kind_name(jwk->kind));
        snprintf(err, errcap, "decoding JWK Public Key JSON data: %s", msg);
        gojson_node_free(jwk);
        return -1;
    }
    const char *kty = schema1_jwk_string(jwk, "kty", "JWK Public Key type", err, errcap);
    const char *kid_name = "JWK EC Public Key ID";
    int bad = 1;
    if (kty && strcmp(kty, "EC") == 0) {
        *key = schema1_jwk_ec(jwk, &bad, err, errcap);
    } else if (kty && strcmp(kty, "RSA") == 0) {
        *key = schema1_jwk_rsa(jwk, &bad, err, errcap);
        kid_name = "JWK RSA Public Key ID";
    } else if (kty) {
        snprintf(err, errcap, "JWK Public Key type not supported: \"%s\"", kty);
    }
    if (!bad && schema1_member(jwk, "kid") != NULL) {
        /* optional, but when there it must name this key */
        const char *kid = schema1_jwk_string(jwk, "kid", kid_name, err, errcap);
        char want[60];
        if (kid == NULL) {
            bad = 1;
        } else if (*key == NULL || schema1_key_id(*key, want) != 0 || strcmp(want, kid) != 0) {
            snprintf(err, errcap, "%s does not match: %s", kid_name, kid);
            bad = 1;
        }
    }
    if (!bad && strcmp(kty, "RSA") == 0 && schema1_member(jwk, "d") != NULL) {
        snprintf(err, errcap, "JWK RSA Public Key cannot contain private exponent");
        bad = 1;
    }
    gojson_node_free(jwk);
    if (bad) {
        EVP_PKEY_free(*key);
        *key = NULL;
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- ParsePrettySignature */

void schema1_jws_free(schema1_jws *jws)
{
    if (jws == NULL)
        return;
    for (size_t i = 0; i < jws->n_sigs; i++) {
        schema1_jws_sig *s = &jws->sigs[i];
        free(s->alg);
        free(s->signature);
        free(s->protected_header);
        for (size_t k = 0; k < s->n_x5c; k++)
            free(s->x5c[k]);
        free(s->x5c);
        EVP_PKEY_free(s->key);
    }
    free(jws->sigs);
    free(jws->payload);
    free(jws);
}

/* The format members of one protected header: formatLength (a JSON number,
 * truncated to an int as Go converts a float64) and the decoded formatTail. */
static int schema1_protected_format(const char *b64, size_t b64_len, long long *length, unsigned char **tail,
                                    size_t *tail_len, char *err, size_t errcap)
{
    size_t n;
    char msg[256];
    const char *why = "";
    unsigned char *bytes = schema1_jose_decode(b64, b64_len, &n, &why);
    if (bytes == NULL) {
        snprintf(err, errcap, "base64 decode error: %s", why);
        return -1;
    }
    gojson_node *h = gojson_parse(bytes, n, msg, sizeof msg);
    int rc = -1;
    if (h == NULL || (h->kind != GOJSON_OBJECT && h->kind != GOJSON_NULL)) {
        if (h != NULL)
            snprintf(msg, sizeof msg, "json: cannot unmarshal %s into Go value of type map[string]interface {}",
                     gojson_kind_name(h->kind));
        snprintf(err, errcap, "error unmarshalling protected header: %s", msg);
        goto done;
    }
    const gojson_node *fl = schema1_member(h, "formatLength");
    const gojson_node *ft = schema1_member(h, "formatTail");
    if (fl == NULL || fl->kind != GOJSON_NUMBER) {
        snprintf(err, errcap, "missing formatted length");
        goto done;
    }
    double d = strtod(fl->str, NULL);
    *length = (d > -9.2e18 && d < 9.2e18) ? (long long)d : (-0x7fffffffffffffffLL - 1);
    if (ft == NULL || ft->kind != GOJSON_STRING) {
        snprintf(err, errcap, "missing formatted tail");
        goto done;
    }
    *tail = schema1_jose_decode(ft->str, ft->str_len, tail_len, &why);
    if (*tail == NULL) {
        snprintf(err, errcap, "base64 decode error on tail: %s", why);
        goto done;
    }
    rc = 0;
done:
    gojson_node_free(h);
    free(bytes);
    return rc;
}

/* Fills one signature from its decoded block. */
static int schema1_jws_take(schema1_jws_sig *s, const oci_config_value *block, char *err, size_t errcap)
{
    const oci_config_value *header = block[SCHEMA1_S_HEADER].items;
    const oci_config_value *x5c = &header[SCHEMA1_H_X5C];
    s->alg = oci_config_strdup(&header[SCHEMA1_H_ALG]);
    s->signature = oci_config_strdup(&block[SCHEMA1_S_SIGNATURE]);
    s->protected_header = oci_config_strdup(&block[SCHEMA1_S_PROTECTED]);
    s->x5c = calloc(x5c->len + 1, sizeof *s->x5c);
    int oom = !s->alg || !s->signature || !s->protected_header || !s->x5c;
    for (size_t k = 0; !oom && k < x5c->len; k++) {
        s->x5c[k] = oci_config_strdup(&x5c->items[k]);
        oom = s->x5c[k] == NULL;
        s->n_x5c = k + 1;
    }
    if (oom) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    const oci_config_value *jwk = &header[SCHEMA1_H_JWK];
    char msg[512];
    if (jwk->str != NULL) {
        s->has_jwk = 1;
        if (schema1_jwk_parse(jwk->str, jwk->str_len, &s->key, msg, sizeof msg) != 0) {
            snprintf(err, errcap, "error unmarshalling public key: %s", msg);
            return -1;
        }
    }
    return 0;
}

/* Takes one signature's format members into *length and *tail, checking
 * they agree with the earlier signatures' as libtrust does (the first
 * non-zero length and non-empty tail win). */
static int schema1_jws_format(const char *protected_b64, size_t b64_len, long long *length, unsigned char **tail,
                              size_t *tail_len, char *err, size_t errcap)
{
    long long l = 0;
    unsigned char *t = NULL;
    size_t t_len = 0;
    if (schema1_protected_format(protected_b64, b64_len, &l, &t, &t_len, err, errcap) != 0)
        return -1;
    if (*length == 0) {
        *length = l;
    } else if (*length != l) {
        free(t);
        snprintf(err, errcap, "conflicting format length");
        return -1;
    }
    if (*tail_len == 0) {
        free(*tail);
        *tail = t;
        *tail_len = t_len;
        return 0;
    }
    int same = t_len == *tail_len && memcmp(t, *tail, t_len) == 0;
    free(t);
    if (!same) {
        snprintf(err, errcap, "conflicting format tail");
        return -1;
    }
    return 0;
}

int schema1_jws_parse(const void *data, size_t len, schema1_jws **out, char *err, size_t errcap)
{
    oci_config_value content, blocks;
    char msg[512];
    long long length = 0;
    unsigned char *tail = NULL;
    size_t tail_len = 0;
    int rc = -1;
    schema1_jws *jws = calloc(1, sizeof *jws);
    *out = NULL;
    memset(&blocks, 0, sizeof blocks);
    blocks.type = &schema1_t_sigs;
    if (oci_config_unmarshal(data, len, &content, &schema1_t_rawmap, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "error unmarshalling content: %s", msg);
        goto done;
    }
    const oci_config_value *sigs = NULL;
    for (size_t i = content.len; i-- > 0 && sigs == NULL;)
        if (content.key_lens[i] == 10 && memcmp(content.keys[i], "signatures", 10) == 0)
            sigs = &content.items[i];
    if (sigs == NULL) {
        snprintf(err, errcap, "missing signature key");
        goto done;
    }
    if (oci_config_unmarshal(sigs->str, sigs->str_len, &blocks, &schema1_t_sigs, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "error unmarshalling signatures: %s", msg);
        goto done;
    }
    if (jws == NULL || (jws->sigs = calloc(blocks.len + 1, sizeof *jws->sigs)) == NULL) {
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < blocks.len; i++) {
        const oci_config_value *p = &blocks.items[i].items[SCHEMA1_S_PROTECTED];
        jws->n_sigs = i + 1;
        if (schema1_jws_format(p->str ? p->str : "", p->str_len, &length, &tail, &tail_len, err, errcap) != 0 ||
            schema1_jws_take(&jws->sigs[i], blocks.items[i].items, err, errcap) != 0)
            goto done;
    }
    if (length < 0 || (unsigned long long)length > len) {
        snprintf(err, errcap, "invalid format length");
        goto done;
    }
    jws->payload_len = (size_t)length + tail_len;
    jws->payload = malloc(jws->payload_len + 1);
    if (jws->payload == NULL) {
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    memcpy(jws->payload, data, (size_t)length);
    if (tail_len)
        memcpy(jws->payload + length, tail, tail_len);
    jws->payload[jws->payload_len] = '\0';
    rc = 0;
done:
    oci_config_value_clear(&content);
    oci_config_value_clear(&blocks);
    free(tail);
    if (rc == 0)
        *out = jws;
    else
        schema1_jws_free(jws);
    return rc;
}
