/* tests/unit/test-sigstore.c — sigstore keys and signatures
 * (core/signature/sigstore_key.h, sigstore.h): a generated key pair round
 * trip, the encrypted private key's refusals (go-tuf's messages), signing a
 * manifest into a signature blob and verifying it, every rejection of
 * sigstore_verify in containers/image's order and wording, and the signing
 * parameter file. tests/system/sigstore.sh checks the same formats against
 * an independent Python implementation. */
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/schema1.h"
#include "shared/base64.h"
#include "signature/sigstore.h"
#include "signature/sigstore_key.h"
#include "tap.h"

#define MANIFEST "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"}"
#define OTHER_MANIFEST "{\"schemaVersion\":2}"
#define IDENTITY "docker.io/library/busybox:latest"

static strbuf priv_pem = STRBUF_INIT, pub_pem = STRBUF_INIT, other_pub_pem = STRBUF_INIT;
static EVP_PKEY *key;

/* PEM armour around arbitrary bytes, 64 columns. */
static void pem_wrap(strbuf *out, const char *type, const void *data, size_t len)
{
    strbuf b = STRBUF_INIT;
    base64_append(&b, data, len);
    strbuf_printf(out, "-----BEGIN %s-----\n", type);
    for (size_t i = 0; i < b.len; i += 64)
        strbuf_printf(out, "%.*s\n", (int)(b.len - i < 64 ? b.len - i : 64), b.data + i);
    strbuf_printf(out, "-----END %s-----\n", type);
    strbuf_release(&b);
}

/* sigstore_private_key_parse's message for pem, or "ok". */
static const char *private_msg(const char *pem, const char *pass)
{
    static char err[512];
    EVP_PKEY *k = sigstore_private_key_parse(pem, strlen(pem), pass, strlen(pass), err, sizeof(err));
    if (k == NULL)
        return err;
    EVP_PKEY_free(k);
    return "ok";
}

/* An encrypted-key PEM around the JSON document doc. */
static const char *private_doc_msg(const char *doc)
{
    strbuf pem = STRBUF_INIT;
    pem_wrap(&pem, SIGSTORE_PRIVATE_KEY_PEM_TYPE, doc, strlen(doc));
    static char msg[512];
    snprintf(msg, sizeof(msg), "%s", private_msg(pem.data, "pass"));
    strbuf_release(&pem);
    return msg;
}

static void test_keys(void)
{
    char err[512];
    tap_ok(sigstore_key_generate("pass", 4, &priv_pem, &pub_pem, err, sizeof(err)) == 0, "generate a key pair");
    tap_ok(strncmp(priv_pem.data, "-----BEGIN " SIGSTORE_PRIVATE_KEY_PEM_TYPE "-----\n", 41) == 0,
           "the private key is PEM ENCRYPTED COSIGN PRIVATE KEY");
    tap_ok(strncmp(pub_pem.data, "-----BEGIN PUBLIC KEY-----\n", 27) == 0, "the public key is PEM PUBLIC KEY");
    key = sigstore_private_key_parse(priv_pem.data, priv_pem.len, "pass", 4, err, sizeof(err));
    tap_ok(key != NULL && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == 256,
           "it decrypts to an ECDSA P-256 key");
    EVP_PKEY *pub = sigstore_public_key_parse(pub_pem.data, pub_pem.len, err, sizeof(err));
    tap_ok(pub != NULL && EVP_PKEY_eq(key, pub) == 1, "the public key is the private key's");
    EVP_PKEY_free(pub);
    strbuf sig = STRBUF_INIT;
    tap_ok(sigstore_key_sign(key, "abc", 3, &sig, err, sizeof(err)) == 0 &&
               sigstore_key_verify(key, "abc", 3, sig.data, sig.len, err, sizeof(err)) == 0,
           "sign and verify bytes");
    tap_ok(sigstore_key_verify(key, "abd", 3, sig.data, sig.len, err, sizeof(err)) != 0 &&
               strcmp(err, "invalid signature when validating ASN.1 encoded signature") == 0,
           "other bytes: sigstore's ECDSA message");
    strbuf_release(&sig);
    strbuf other_priv = STRBUF_INIT;
    tap_ok(sigstore_key_generate("", 0, &other_priv, &other_pub_pem, err, sizeof(err)) == 0 &&
               strcmp(private_msg(other_priv.data, ""), "ok") == 0,
           "an empty passphrase works");

    tap_is_str(private_msg(priv_pem.data, "wrong"), "decrypt: encrypted: decryption failed", "wrong passphrase");
    tap_is_str(private_msg("garbage", "pass"), "invalid pem block", "no PEM block");
    tap_is_str(private_msg(pub_pem.data, "pass"), "unsupported pem type: PUBLIC KEY", "a public key");
    /* Later cosign's PEM type reads too. */
    strbuf relabelled = STRBUF_INIT;
    const char *body = strchr(priv_pem.data, '\n') + 1;
    size_t body_len = (size_t)(strstr(body, "-----END") - body);
    strbuf_printf(&relabelled, "-----BEGIN %s-----\n%.*s-----END %s-----\n", SIGSTORE_PRIVATE_KEY_PEM_TYPE_NEW,
                  (int)body_len, body, SIGSTORE_PRIVATE_KEY_PEM_TYPE_NEW);
    tap_is_str(private_msg(relabelled.data, "pass"), "ok", "ENCRYPTED SIGSTORE PRIVATE KEY is read too");
    strbuf_release(&relabelled);
    strbuf_release(&other_priv);

    tap_is_str(private_doc_msg("{\"kdf\":"), "decrypt: unexpected end of JSON input", "truncated JSON");
    tap_is_str(private_doc_msg("{\"kdf\":{\"name\":\"pbkdf2\"}}"), "decrypt: encrypted: unknown kdf name \"pbkdf2\"",
               "unknown KDF");
    tap_is_str(private_doc_msg("{\"kdf\":{\"name\":\"scrypt\"},\"cipher\":{\"name\":\"aes\"}}"),
               "decrypt: encrypted: unknown cipher name \"aes\"", "unknown cipher");
    tap_is_str(private_doc_msg("{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":1048576,\"r\":8,\"p\":1}},"
                               "\"cipher\":{\"name\":\"nacl/secretbox\"}}"),
               "decrypt: encrypted: unexpected kdf parameters", "tampered scrypt cost refused before any work");
    tap_is_str(private_doc_msg("{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},\"salt\":\"AA==\"},"
                               "\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"AAAA\"},\"ciphertext\":\"\"}"),
               "decrypt: encrypted: incorrect nonce size", "short nonce");
    tap_is_str(private_doc_msg("{\"kdf\":{\"name\":1}}"),
               "decrypt: json: cannot unmarshal number into Go struct field scryptKDF.name of type string",
               "a number for a name: Go's type error");
}

/* A check that accepts IDENTITY only, as a signedIdentity rule would. */
static int check_identity(void *arg, const char *ref, size_t len, char *err, size_t errcap)
{
    (void)arg;
    if (len == strlen(IDENTITY) && memcmp(ref, IDENTITY, len) == 0)
        return 0;
    snprintf(err, errcap, "Signature for identity %.*s is not accepted", (int)len, ref);
    return -1;
}

/* sigstore_verify's result on chunk against MANIFEST with key pem. */
static const char *verify_msg(const char *pem, const char *chunk, size_t chunk_len, const char *manifest, int *rc_out)
{
    static char err[1024];
    sigstore_verified v;
    int rc = sigstore_verify(pem, strlen(pem), chunk, chunk_len, manifest, strlen(manifest), check_identity, NULL, &v,
                             err, sizeof(err));
    if (rc_out != NULL)
        *rc_out = rc;
    if (rc != 0)
        return err;
    sigstore_verified_release(&v);
    return "ok";
}

/* A chunk with the payload signed by key (sig_b64 NULL) or the given annotation. */
static void make_chunk(strbuf *out, const char *mime, const char *payload, const char *sig_b64)
{
    strbuf sig = STRBUF_INIT;
    char err[256];
    strbuf_printf(out, "{\"mimeType\":\"%s\",\"payload\":\"", mime);
    base64_append(out, (const unsigned char *)payload, strlen(payload));
    strbuf_puts(out, "\",\"annotations\":{");
    if (sig_b64 == NULL) {
        sigstore_key_sign(key, payload, strlen(payload), &sig, err, sizeof(err));
        strbuf_puts(out, "\"" SIGSTORE_SIGNATURE_ANNOTATION "\":\"");
        base64_append(out, (const unsigned char *)sig.data, sig.len);
        strbuf_puts(out, "\"");
    } else if (*sig_b64 != '\0') {
        strbuf_printf(out, "\"" SIGSTORE_SIGNATURE_ANNOTATION "\":\"%s\"", sig_b64);
    }
    strbuf_puts(out, "}}");
    strbuf_release(&sig);
}

static void test_sign_verify(void)
{
    char err[512], digest[128];
    strbuf blob = STRBUF_INIT;
    tap_ok(sigstore_sign_manifest(key, MANIFEST, strlen(MANIFEST), IDENTITY, &blob, err, sizeof(err)) == 0,
           "sign a manifest");
    size_t chunk_len = 0;
    const char *chunk = sigstore_blob_chunk(blob.data, blob.len, &chunk_len);
    static const char head[] = "\0sigstore-json\n{\"mimeType\":\"" SIGSTORE_SIGNATURE_MIME_TYPE "\",\"payload\":\"";
    tap_ok(chunk != NULL && blob.len > sizeof(head) && memcmp(blob.data, head, sizeof(head) - 1) == 0 &&
               strstr(chunk, "\"},\"annotations\":{\"" SIGSTORE_SIGNATURE_ANNOTATION "\":\"") == NULL &&
               strstr(chunk, "\",\"annotations\":{\"" SIGSTORE_SIGNATURE_ANNOTATION "\":\"") != NULL &&
               blob.data[blob.len - 1] == '}' && blob.data[blob.len - 2] == '}',
           "the blob: prefix, then mimeType and payload first, as c/image marshals it");
    tap_ok(sigstore_blob_chunk("\xa3\x01", 2, &chunk_len) == NULL, "an OpenPGP blob is no sigstore chunk");
    chunk = sigstore_blob_chunk(blob.data, blob.len, &chunk_len);
    schema1_digest(MANIFEST, strlen(MANIFEST), digest, sizeof(digest), err, sizeof(err));
    sigstore_verified v;
    int rc = sigstore_verify(pub_pem.data, pub_pem.len, chunk, chunk_len, MANIFEST, strlen(MANIFEST), check_identity,
                             NULL, &v, err, sizeof(err));
    tap_ok(rc == 0 && strcmp(v.docker_manifest_digest, digest) == 0 && strcmp(v.docker_reference, IDENTITY) == 0,
           "verify: accepted, digest and identity returned");
    if (rc == 0)
        sigstore_verified_release(&v);

    /* The payload: the simple-signing JSON with the cosign type and c/image's creator. */
    const char *p64 = strstr(chunk, "\"payload\":\"") + 11;
    size_t p64_len = (size_t)(strchr(p64, '"') - p64), payload_len = 0;
    unsigned char payload[1024];
    base64_decode(p64, p64_len, payload, &payload_len);
    char want[512];
    snprintf(want, sizeof(want), "{\"critical\":{\"identity\":{\"docker-reference\":\"" IDENTITY "\"},\"image\":"
             "{\"docker-manifest-digest\":\"%s\"},\"type\":\"cosign container image signature\"},\"optional\":"
             "{\"creator\":\"containers/image 5.23.1\",\"timestamp\":", digest);
    tap_ok(payload_len > strlen(want) && memcmp(payload, want, strlen(want)) == 0, "payload bytes as c/image's");

    tap_is_str(verify_msg(other_pub_pem.data, chunk, chunk_len, MANIFEST, NULL),
               "cryptographic signature verification failed: invalid signature when validating ASN.1 encoded "
               "signature", "another key: crypto failure");
    snprintf(want, sizeof(want), "Signature for digest %s does not match", digest);
    tap_is_str(verify_msg(pub_pem.data, chunk, chunk_len, OTHER_MANIFEST, NULL), want,
               "another manifest: digest mismatch");
    strbuf_release(&blob);
}

/* verify_msg on a chunk of make_chunk's making. */
static const char *chunk_msg(const char *mime, const char *payload, const char *sig_b64, const char *manifest, int *rc)
{
    strbuf c = STRBUF_INIT;
    make_chunk(&c, mime, payload, sig_b64);
    const char *msg = verify_msg(pub_pem.data, c.data, c.len, manifest, rc);
    strbuf_release(&c);
    return msg;
}

/* A payload naming ref and MANIFEST's digest with the given type and optional member. */
static const char *payload_json(const char *ref, const char *type, const char *optional)
{
    static char buf[1024];
    char digest[128], err[256];
    schema1_digest(MANIFEST, strlen(MANIFEST), digest, sizeof(digest), err, sizeof(err));
    snprintf(buf, sizeof(buf), "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":"
             "{\"docker-manifest-digest\":\"%s\"},\"type\":\"%s\"},\"optional\":%s}", ref, digest, type, optional);
    return buf;
}

static void test_rejections(void)
{
    int rc = 0;
    const char *mime = SIGSTORE_SIGNATURE_MIME_TYPE;
    tap_is_str(verify_msg(pub_pem.data, "x", 1, MANIFEST, NULL), "invalid character 'x' looking for beginning of value",
               "chunk not JSON: Go's message");
    tap_is_str(verify_msg(pub_pem.data, "[]", 2, MANIFEST, NULL),
               "json: cannot unmarshal array into Go value of type signature.sigstoreJSONRepresentation",
               "chunk not an object");
    tap_is_str(verify_msg(pub_pem.data, "{\"mimeType\":1}", 14, MANIFEST, NULL),
               "json: cannot unmarshal number into Go struct field sigstoreJSONRepresentation.mimeType of type string",
               "mimeType a number");
    chunk_msg("application/vnd.example+json", "{}", NULL, MANIFEST, &rc);
    tap_is_int(rc, SIGSTORE_NOT_A_SIGNATURE, "another MIME type: not a signature (counted apart)");

    char payload[1024], want[256], digest[128], err[256];
    snprintf(payload, sizeof(payload), "%s", payload_json(IDENTITY, SIGSTORE_PAYLOAD_TYPE, "null"));
    tap_is_str(chunk_msg(mime, payload, NULL, MANIFEST, NULL), "ok", "cosign's \"optional\": null accepted");
    strbuf c = STRBUF_INIT;
    make_chunk(&c, mime, payload, NULL);
    tap_is_str(verify_msg("junk", c.data, c.len, MANIFEST, NULL), "parsing public key: PEM decoding failed",
               "public key not PEM");
    tap_is_str(verify_msg(priv_pem.data, c.data, c.len, MANIFEST, NULL),
               "parsing public key: unknown Public key PEM file type: ENCRYPTED COSIGN PRIVATE KEY. Are you passing "
               "the correct public key?",
               "a private key given as the public one");
    strbuf_release(&c);
    schema1_digest(MANIFEST, strlen(MANIFEST), digest, sizeof(digest), err, sizeof(err));
    snprintf(want, sizeof(want), "Signature for digest %s does not match", digest);
    tap_is_str(chunk_msg(mime, payload, NULL, OTHER_MANIFEST, NULL), want,
               "payload of another manifest: digest mismatch");
    tap_is_str(chunk_msg(mime, payload, "", MANIFEST, NULL), "missing dev.cosignproject.cosign/signature annotation",
               "no signature annotation");
    tap_is_str(chunk_msg(mime, payload, "AAA*", MANIFEST, NULL), "base64 decoding: illegal base64 data at input byte 3",
               "annotation not base64");

    /* Signed, but the payload itself is refused. */
    tap_is_str(chunk_msg(mime, "{\"critical\":{},\"optional\":{}}", NULL, MANIFEST, NULL),
               "Key \"type\" missing in a JSON object", "payload without critical members");
    tap_is_str(chunk_msg(mime, payload_json(IDENTITY, "atomic container signature", "{}"), NULL, MANIFEST, NULL),
               "Unrecognized signature type atomic container signature", "a simple-signing type in a sigstore payload");
    tap_is_str(chunk_msg(mime, "{\"critical\":{},\"optional\":{},\"critical\":{}}", NULL, MANIFEST, NULL),
               "Duplicate key \"critical\"", "duplicate member: strict parse");
    tap_is_str(chunk_msg(mime, payload_json("quay.io/x:1", SIGSTORE_PAYLOAD_TYPE, "{}"), NULL, MANIFEST, NULL),
               "Signature for identity quay.io/x:1 is not accepted", "identity refused by the rule");
}

/* sigstore_params_load on text, or its message. */
static const char *params_msg(const char *text, sigstore_params *out)
{
    static char err[1024];
    char path[] = "/tmp/test-sigstore-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return "cannot write a temporary file";
    close(fd);
    sigstore_params p;
    int rc = sigstore_params_load(path, out != NULL ? out : &p, err, sizeof(err));
    unlink(path);
    if (rc != 0)
        return err;
    if (out == NULL)
        sigstore_params_release(&p);
    return "ok";
}

static void test_params(void)
{
    sigstore_params p;
    tap_ok(strcmp(params_msg("privateKeyFile: /k.private\nprivateKeyPassphraseFile: \"/p\"\n", &p), "ok") == 0 &&
               strcmp(p.private_key_file, "/k.private") == 0 && strcmp(p.private_key_passphrase_file, "/p") == 0,
           "params: key file and passphrase file");
    sigstore_params_release(&p);
    tap_ok(strstr(params_msg("privateKeyFile: k\nfulcio:\n  fulcioURL: https://f\n  oidcMode: interactive\n", NULL),
                  "Fulcio (fulcio:) needs the network") != NULL,
           "params: fulcio refused (network)");
    tap_ok(strstr(params_msg("privateKeyFile: k\nrekorURL: https://r\n", NULL), "Rekor (rekorURL:) needs the network") !=
               NULL,
           "params: rekorURL refused (network)");
    tap_ok(strstr(params_msg("privateKeyFile: k\nfulcio:\n  bogus: 1\n", NULL),
                  "line 3: field bogus not found in type params.SigningParameterFileFulcio") != NULL,
           "params: unknown fulcio key");
    tap_ok(strstr(params_msg("privateKeyFile: k\nextra: 1\n", NULL),
                  "line 2: field extra not found in type params.SigningParameterFile") != NULL,
           "params: unknown key (KnownFields)");
    tap_ok(strstr(params_msg("", NULL), "EOF") != NULL, "params: empty file: yaml.v3's EOF");
    tap_ok(strstr(params_msg("- a\n", NULL), "cannot unmarshal !!seq into params.SigningParameterFile") != NULL,
           "params: not a mapping");
    tap_is_str(params_msg("privateKeyPassphraseFile: p\n", NULL),
               "no private key source provided (neither a private key nor Fulcio) when preparing to create sigstore "
               "signatures",
               "params: no key");
}

int main(void)
{
    tap_plan(18 + 7 + 14 + 8);
    test_keys();
    test_sign_verify();
    test_rejections();
    test_params();
    EVP_PKEY_free(key);
    strbuf_release(&priv_pem);
    strbuf_release(&pub_pem);
    strbuf_release(&other_pub_pem);
    return tap_done();
}
