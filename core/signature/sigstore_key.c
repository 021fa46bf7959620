/* core/signature/sigstore_key.c — sigstore key pairs: generation, the
 * scrypt + secretbox encryption of private keys (go-tuf's `encrypted`
 * format, read as Go's json.Unmarshal reads it into its struct), PEM
 * armour, and signing and verifying with OpenSSL. See sigstore_key.h. */
#include "util/goerrno.h"
#include "signature/sigstore_key.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/base64.h"
#include "shared/fsutil.h"
#include "shared/gojson.h"

/* go-tuf's encrypted package: fixed parameters, checked on reading so that a
 * tampered file cannot make the KDF arbitrarily expensive. */
#define SK_SCRYPT_N 32768
#define SK_SCRYPT_R 8
#define SK_SCRYPT_P 1
#define SK_SALT_SIZE 32
#define SK_KEY_SIZE crypto_secretbox_KEYBYTES     /* 32 */
#define SK_NONCE_SIZE crypto_secretbox_NONCEBYTES /* 24 */
#define SK_MAX_FILE (1u << 20)

static int sk_fail(char *err, size_t errcap, const char *msg)
{
    snprintf(err, errcap, "%s", msg);
    ERR_clear_error();
    return -1;
}

/* scrypt.Key(passphrase, salt, N, r, p, 32). */
static int sk_derive(const char *pass, size_t pass_len, const unsigned char *salt, size_t salt_len, uint64_t n,
                     uint64_t r, uint64_t p, unsigned char key[SK_KEY_SIZE])
{
    /* 128·r·N bytes of work memory plus the p blocks; 64 MiB covers the fixed parameters. */
    return EVP_PBE_scrypt(pass_len ? pass : "", pass_len, salt, salt_len, n, r, p, 64u << 20, key, SK_KEY_SIZE) == 1
               ? 0
               : -1;
}

/* PEM armour with 64-column lines, as Go's pem.EncodeToMemory writes. */
static int sk_pem_encode(const char *type, const unsigned char *der, size_t len, strbuf *out)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *mem = NULL;
    int rc = bio != NULL && PEM_write_bio(bio, type, "", der, (long)len) > 0 ? 0 : -1;
    long n = rc == 0 ? BIO_get_mem_data(bio, &mem) : 0;
    if (rc == 0 && (strbuf_append(out, mem, (size_t)n) != 0 || out->failed))
        rc = -1;
    BIO_free(bio);
    return rc;
}

/* encrypted.Encrypt: the JSON document for plaintext under passphrase. */
static int sk_encrypt(const unsigned char *plain, size_t len, const char *pass, size_t pass_len, strbuf *out)
{
    unsigned char salt[SK_SALT_SIZE], nonce[SK_NONCE_SIZE], key[SK_KEY_SIZE];
    unsigned char *sealed = malloc(len + crypto_secretbox_MACBYTES);
    int rc = -1;
    if (sealed == NULL || RAND_bytes(salt, sizeof(salt)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1 ||
        sk_derive(pass, pass_len, salt, sizeof(salt), SK_SCRYPT_N, SK_SCRYPT_R, SK_SCRYPT_P, key) != 0)
        goto out;
    /* secretbox.Seal's layout: the Poly1305 tag, then the XSalsa20 ciphertext. */
    crypto_secretbox_easy(sealed, plain, len, nonce, key);
    /* Go's json.Marshal of the struct: fields in declaration order, []byte as base64. */
    strbuf_printf(out, "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":%d,\"r\":%d,\"p\":%d},\"salt\":\"", SK_SCRYPT_N,
                  SK_SCRYPT_R, SK_SCRYPT_P);
    base64_append(out, salt, sizeof(salt));
    strbuf_puts(out, "\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"");
    base64_append(out, nonce, sizeof(nonce));
    strbuf_puts(out, "\"},\"ciphertext\":\"");
    base64_append(out, sealed, len + crypto_secretbox_MACBYTES);
    strbuf_puts(out, "\"}");
    rc = out->failed ? -1 : 0;
out:
    sodium_memzero(key, sizeof(key));
    free(sealed);
    return rc;
}

int sigstore_key_generate(const char *passphrase, size_t pass_len, strbuf *private_pem, strbuf *public_pem, char *err,
                          size_t errcap)
{
    if (sodium_init() < 0)
        return sk_fail(err, errcap, "initializing libsodium failed");
    EVP_PKEY *key = EVP_EC_gen("P-256");
    unsigned char *der = NULL, *pub = NULL;
    PKCS8_PRIV_KEY_INFO *p8 = key != NULL ? EVP_PKEY2PKCS8(key) : NULL;
    int der_len = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
    int pub_len = key != NULL ? i2d_PUBKEY(key, &pub) : -1;
    strbuf doc = STRBUF_INIT;
    int rc = -1;
    if (der_len <= 0 || pub_len <= 0) {
        sk_fail(err, errcap, "x509 encoding private key: generating an ECDSA P-256 key failed");
    } else if (sk_encrypt(der, (size_t)der_len, passphrase, pass_len, &doc) != 0 ||
               sk_pem_encode(SIGSTORE_PRIVATE_KEY_PEM_TYPE, (const unsigned char *)doc.data, doc.len, private_pem) != 0 ||
               sk_pem_encode("PUBLIC KEY", pub, (size_t)pub_len, public_pem) != 0) {
        sk_fail(err, errcap, "encrypting the private key failed");
    } else {
        rc = 0;
    }
    if (der != NULL)
        OPENSSL_clear_free(der, (size_t)der_len);
    OPENSSL_free(pub);
    PKCS8_PRIV_KEY_INFO_free(p8);
    EVP_PKEY_free(key);
    if (doc.data != NULL)
        sodium_memzero(doc.data, doc.len);
    strbuf_release(&doc);
    return rc;
}

/* ---- reading the encrypted document ---- */

/* A struct field as json.Unmarshal finds it: the last member whose name
 * matches case-insensitively; NULL when absent or null (zero value). */
static const gojson_node *sk_member(const gojson_node *obj, const char *name)
{
    const gojson_node *found = NULL;
    for (size_t i = 0; obj != NULL && obj->kind == GOJSON_OBJECT && i < obj->n_children; i++) {
        const gojson_node *m = &obj->children[i];
        if (m->key_len == strlen(name) && strncasecmp(m->key, name, m->key_len) == 0)
            found = m;
    }
    return found != NULL && found->kind != GOJSON_NULL ? found : NULL;
}

/* Type checks of json.Unmarshal into the go-tuf structs, in Go's wording. */
static int sk_expect(const gojson_node *v, gojson_kind kind, const char *field, const char *go_type, char *err,
                     size_t errcap)
{
    if (v == NULL || v->kind == kind)
        return 0;
    snprintf(err, errcap, "json: cannot unmarshal %s into Go struct field %s of type %s", gojson_kind_name(v->kind),
             field, go_type);
    return -1;
}

/* A []byte field: base64 in a string; *out malloc'd (NULL, 0 when absent). */
static int sk_bytes(const gojson_node *v, const char *field, unsigned char **out, size_t *len, char *err,
                    size_t errcap)
{
    *out = NULL;
    *len = 0;
    if (sk_expect(v, GOJSON_STRING, field, "[]uint8", err, errcap) != 0)
        return -1;
    if (v == NULL)
        return 0;
    *out = malloc(v->str_len / 4 * 3 + 1);
    if (*out == NULL)
        return sk_fail(err, errcap, "out of memory");
    if (base64_decode(v->str, v->str_len, *out, len) != 0) {
        free(*out);
        *out = NULL;
        return sk_fail(err, errcap, "illegal base64 data in an encrypted private key");
    }
    return 0;
}

/* An int field: an integral JSON number in range. */
static int sk_int(const gojson_node *v, const char *field, long *out, char *err, size_t errcap)
{
    *out = 0;
    if (sk_expect(v, GOJSON_NUMBER, field, "int", err, errcap) != 0)
        return -1;
    if (v == NULL)
        return 0;
    char *end;
    errno = 0;
    *out = strtol(v->str, &end, 10);
    if (*end != '\0' || errno != 0) {
        snprintf(err, errcap, "json: cannot unmarshal number %s into Go struct field %s of type int", v->str, field);
        return -1;
    }
    return 0;
}

/* A string field compared with the name it must have. */
static int sk_name(const gojson_node *v, const char *field, const char *want, const char *what, char *err,
                   size_t errcap)
{
    if (sk_expect(v, GOJSON_STRING, field, "string", err, errcap) != 0)
        return -1;
    const char *got = v != NULL ? v->str : "";
    if (v != NULL && v->str_len == strlen(want) && strcmp(got, want) == 0)
        return 0;
    char *q = gojson_quote(got, v != NULL ? v->str_len : 0);
    snprintf(err, errcap, "encrypted: unknown %s name %s", what, q != NULL ? q : "\"\"");
    free(q);
    return -1;
}

/* encrypted.Decrypt: the plaintext (malloc'd, *len bytes) of the document. */
static unsigned char *sk_decrypt(const void *doc, size_t doc_len, const char *pass, size_t pass_len, size_t *len,
                                 char *err, size_t errcap)
{
    gojson_node *root = gojson_parse(doc, doc_len, err, errcap);
    if (root == NULL)
        return NULL;
    unsigned char *salt = NULL, *nonce = NULL, *sealed = NULL, *plain = NULL;
    size_t salt_len, nonce_len, sealed_len;
    long n, r, p;
    unsigned char key[SK_KEY_SIZE];
    const gojson_node *kdf = sk_member(root, "kdf"), *cipher = sk_member(root, "cipher");
    const gojson_node *params = sk_member(kdf, "params");
    if (root->kind != GOJSON_OBJECT) {
        snprintf(err, errcap, "json: cannot unmarshal %s into Go value of type encrypted.data",
                 gojson_kind_name(root->kind));
        goto out;
    }
    if (sk_expect(kdf, GOJSON_OBJECT, "data.kdf", "encrypted.scryptKDF", err, errcap) != 0 ||
        sk_expect(cipher, GOJSON_OBJECT, "data.cipher", "encrypted.secretBoxCipher", err, errcap) != 0 ||
        sk_expect(params, GOJSON_OBJECT, "scryptKDF.params", "encrypted.scryptParams", err, errcap) != 0 ||
        sk_int(sk_member(params, "N"), "scryptParams.N", &n, err, errcap) != 0 ||
        sk_int(sk_member(params, "r"), "scryptParams.r", &r, err, errcap) != 0 ||
        sk_int(sk_member(params, "p"), "scryptParams.p", &p, err, errcap) != 0 ||
        sk_bytes(sk_member(kdf, "salt"), "scryptKDF.salt", &salt, &salt_len, err, errcap) != 0 ||
        sk_bytes(sk_member(cipher, "nonce"), "secretBoxCipher.nonce", &nonce, &nonce_len, err, errcap) != 0 ||
        sk_bytes(sk_member(root, "ciphertext"), "data.ciphertext", &sealed, &sealed_len, err, errcap) != 0 ||
        sk_name(sk_member(kdf, "name"), "scryptKDF.name", "scrypt", "kdf", err, errcap) != 0 ||
        sk_name(sk_member(cipher, "name"), "secretBoxCipher.name", "nacl/secretbox", "cipher", err, errcap) != 0)
        goto out;
    if (n != SK_SCRYPT_N || r != SK_SCRYPT_R || p != SK_SCRYPT_P) {
        sk_fail(err, errcap, "encrypted: unexpected kdf parameters");
        goto out;
    }
    if (sk_derive(pass, pass_len, salt != NULL ? salt : (unsigned char *)"", salt_len, (uint64_t)n, (uint64_t)r,
                  (uint64_t)p, key) != 0) {
        sk_fail(err, errcap, "scrypt: deriving the key failed");
        goto out;
    }
    if (nonce_len != SK_NONCE_SIZE) {
        sk_fail(err, errcap, "encrypted: incorrect nonce size");
        goto out;
    }
    if (sealed_len < crypto_secretbox_MACBYTES || (plain = malloc(sealed_len)) == NULL ||
        crypto_secretbox_open_easy(plain, sealed, sealed_len, nonce, key) != 0) {
        free(plain);
        plain = NULL;
        sk_fail(err, errcap, "encrypted: decryption failed");
        goto out;
    }
    *len = sealed_len - crypto_secretbox_MACBYTES;
out:
    sodium_memzero(key, sizeof(key));
    free(salt);
    free(nonce);
    free(sealed);
    gojson_node_free(root);
    return plain;
}

/* The first PEM block of the bytes (Go's pem.Decode skips what precedes
 * it): its type and DER, both OpenSSL-allocated. */
static int sk_pem_decode(const void *pem, size_t len, char **type, unsigned char **der, long *der_len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)(len > (size_t)SK_MAX_FILE ? SK_MAX_FILE : len));
    char *header = NULL;
    int ok = bio != NULL && PEM_read_bio(bio, type, &header, der, der_len) == 1;
    OPENSSL_free(header);
    BIO_free(bio);
    ERR_clear_error();
    return ok ? 0 : -1;
}

/* signature.LoadSignerVerifier's key types. */
static int sk_supported(const EVP_PKEY *key)
{
    int id = EVP_PKEY_get_base_id(key);
    return id == EVP_PKEY_EC || id == EVP_PKEY_RSA || id == EVP_PKEY_ED25519;
}

EVP_PKEY *sigstore_private_key_parse(const void *pem, size_t len, const char *passphrase, size_t pass_len, char *err,
                                     size_t errcap)
{
    char *type = NULL;
    unsigned char *der = NULL, *plain = NULL;
    long der_len = 0;
    size_t plain_len = 0;
    EVP_PKEY *key = NULL;
    char why[512];
    if (sodium_init() < 0) {
        sk_fail(err, errcap, "initializing libsodium failed");
    } else if (sk_pem_decode(pem, len, &type, &der, &der_len) != 0) {
        sk_fail(err, errcap, "invalid pem block");
    } else if (strcmp(type, SIGSTORE_PRIVATE_KEY_PEM_TYPE) != 0 && strcmp(type, SIGSTORE_PRIVATE_KEY_PEM_TYPE_NEW) != 0) {
        snprintf(err, errcap, "unsupported pem type: %s", type);
    } else if ((plain = sk_decrypt(der, (size_t)der_len, passphrase, pass_len, &plain_len, why, sizeof(why))) == NULL) {
        snprintf(err, errcap, "decrypt: %s", why);
    } else {
        const unsigned char *q = plain;
        PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)plain_len);
        key = p8 != NULL ? EVP_PKCS82PKEY(p8) : NULL;
        PKCS8_PRIV_KEY_INFO_free(p8);
        if (key == NULL) {
            sk_fail(err, errcap, "parsing private key: x509: failed to parse private key (PKCS #8)");
        } else if (!sk_supported(key)) {
            EVP_PKEY_free(key);
            key = NULL;
            sk_fail(err, errcap, "unsupported key type");
        }
    }
    if (plain != NULL)
        OPENSSL_cleanse(plain, plain_len);
    free(plain);
    OPENSSL_free(type);
    OPENSSL_free(der);
    ERR_clear_error();
    return key;
}

EVP_PKEY *sigstore_private_key_load_file(const char *path, const char *passphrase, char *err, size_t errcap)
{
    strbuf pem = STRBUF_INIT;
    if (fs_read_file(path, &pem) != 0 || pem.failed) {
        char why[128];
        snprintf(err, errcap, "reading private key from %s: open %s: %s", path, path,
                 go_errno_text(errno, why, sizeof(why)));
        strbuf_release(&pem);
        return NULL;
    }
    char why[512];
    const char *pass = passphrase != NULL ? passphrase : "";
    EVP_PKEY *key = sigstore_private_key_parse(pem.data != NULL ? pem.data : "", pem.len, pass, strlen(pass), why,
                                               sizeof(why));
    if (key == NULL)
        snprintf(err, errcap, "initializing private key: %s", why);
    strbuf_release(&pem);
    return key;
}

/* SHA-256 for ECDSA and RSA; Ed25519 signs the message itself. */
static const EVP_MD *sk_md(EVP_PKEY *key)
{
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

int sigstore_key_sign(EVP_PKEY *key, const void *data, size_t len, strbuf *sig, char *err, size_t errcap)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;
    unsigned char *buf = NULL;
    int ok = md != NULL && EVP_DigestSignInit(md, NULL, sk_md(key), NULL, key) == 1 &&
             EVP_DigestSign(md, NULL, &n, data, len) == 1 && (buf = malloc(n)) != NULL &&
             EVP_DigestSign(md, buf, &n, data, len) == 1 && strbuf_append(sig, buf, n) == 0 && !sig->failed;
    free(buf);
    EVP_MD_CTX_free(md);
    return ok ? 0 : sk_fail(err, errcap, "signing the payload failed");
}

int sigstore_key_verify(EVP_PKEY *key, const void *data, size_t len, const void *sig, size_t sig_len, char *err,
                        size_t errcap)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, sk_md(key), NULL, key) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    if (ok)
        return 0;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return sk_fail(err, errcap, "crypto/rsa: verification error");
    case EVP_PKEY_ED25519:
        return sk_fail(err, errcap, "failed to verify signature");
    default:
        return sk_fail(err, errcap, "invalid signature when validating ASN.1 encoded signature");
    }
}

EVP_PKEY *sigstore_public_key_parse(const void *pem, size_t len, char *err, size_t errcap)
{
    char *type = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    EVP_PKEY *key = NULL;
    if (sk_pem_decode(pem, len, &type, &der, &der_len) != 0) {
        sk_fail(err, errcap, "PEM decoding failed");
    } else if (strcmp(type, "PUBLIC KEY") == 0 || strcmp(type, "RSA PUBLIC KEY") == 0) {
        const unsigned char *q = der;
        key = strcmp(type, "PUBLIC KEY") == 0 ? d2i_PUBKEY(NULL, &q, der_len)
                                              : d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, der_len);
        /* x509.ParsePKIXPublicKey refuses trailing data too. */
        if (key != NULL && q != der + der_len) {
            EVP_PKEY_free(key);
            key = NULL;
        }
        if (key == NULL) {
            sk_fail(err, errcap, "x509: failed to parse public key");
        } else if (!sk_supported(key)) {
            EVP_PKEY_free(key);
            key = NULL;
            sk_fail(err, errcap, "unsupported public key type");
        }
    } else {
        snprintf(err, errcap, "unknown Public key PEM file type: %s. Are you passing the correct public key?", type);
    }
    OPENSSL_free(type);
    OPENSSL_free(der);
    ERR_clear_error();
    return key;
}

int sigstore_public_key_read_file(const char *path, strbuf *pem, char *err, size_t errcap)
{
    if (fs_read_file(path, pem) != 0 || pem->failed) {
        char why[128];
        snprintf(err, errcap, "open %s: %s", path, go_errno_text(errno, why, sizeof(why)));
        return -1;
    }
    char why[512];
    EVP_PKEY *key = sigstore_public_key_parse(pem->data != NULL ? pem->data : "", pem->len, why, sizeof(why));
    if (key == NULL) {
        snprintf(err, errcap, "parsing public key %s: %s", path, why);
        return -1;
    }
    EVP_PKEY_free(key);
    return 0;
}
