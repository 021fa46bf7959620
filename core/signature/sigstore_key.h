/* core/signature/sigstore_key.h — sigstore key material as cosign and
 * containers/image keep it:
 *
 *   - a private key is a PKCS#8 DER key encrypted as go-tuf's `encrypted`
 *     package does (scrypt N=32768 r=8 p=1 over a 32-byte salt, NaCl
 *     secretbox with a 24-byte nonce) in JSON
 *     {"kdf":{"name":"scrypt","params":{"N":..,"r":..,"p":..},"salt":B64},
 *      "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64},
 *     PEM-armoured as "ENCRYPTED COSIGN PRIVATE KEY" (what cosign and every
 *     containers/image writes and v5.23.1 alone reads) or, on reading,
 *     "ENCRYPTED SIGSTORE PRIVATE KEY" (what later cosign writes);
 *   - a public key is PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC
 *     KEY" (PKCS#1), as sigstore's cryptoutils.UnmarshalPEMToPublicKey reads.
 *
 * Keys are OpenSSL EVP_PKEYs: ECDSA (P-256 generated), RSA or Ed25519, as
 * sigstore's LoadSignerVerifier accepts; signatures are over SHA-256
 * (ECDSA: ASN.1 DER; RSA: PKCS#1 v1.5; Ed25519: pure).
 *
 * Errors: functions return NULL or -1 with a one-line message in err, in
 * containers/image's words ("invalid pem block", "decrypt: encrypted:
 * decryption failed", "PEM decoding failed"). No shared state. */
#ifndef FERRY_CORE_SIGSTORE_KEY_H
#define FERRY_CORE_SIGSTORE_KEY_H

#include <openssl/evp.h>
#include <stddef.h>

#include "shared/strbuf.h"

#define SIGSTORE_PRIVATE_KEY_PEM_TYPE "ENCRYPTED COSIGN PRIVATE KEY"
#define SIGSTORE_PRIVATE_KEY_PEM_TYPE_NEW "ENCRYPTED SIGSTORE PRIVATE KEY"

/* GenerateKeyPair: a new ECDSA P-256 key, its private PEM encrypted with the
 * passphrase (len bytes, may be empty) appended to *private_pem and its
 * public PEM to *public_pem. */
int sigstore_key_generate(const char *passphrase, size_t pass_len, strbuf *private_pem, strbuf *public_pem, char *err,
                          size_t errcap);

/* loadPrivateKey: the key in an encrypted private key PEM. Messages:
 * "invalid pem block", "unsupported pem type: T", "decrypt: ..." (go-tuf's
 * "encrypted: decryption failed" for a wrong passphrase, "encrypted:
 * unexpected kdf parameters", ...), "parsing private key: ...",
 * "unsupported key type". Free with EVP_PKEY_free. */
EVP_PKEY *sigstore_private_key_parse(const void *pem, size_t len, const char *passphrase, size_t pass_len, char *err,
                                     size_t errcap);

/* The same from a file, worded as SignDockerManifestWithPrivateKeyFile:
 * "reading private key from F: open F: REASON", "initializing private key:
 * ...". */
EVP_PKEY *sigstore_private_key_load_file(const char *path, const char *passphrase, char *err, size_t errcap);

/* Signs len bytes at data with key (SHA-256; see above) and appends the raw
 * signature to *sig. */
int sigstore_key_sign(EVP_PKEY *key, const void *data, size_t len, strbuf *sig, char *err, size_t errcap);

/* cryptoutils.UnmarshalPEMToPublicKey, then LoadVerifier's key types:
 * "PEM decoding failed", "unknown Public key PEM file type: T. Are you
 * passing the correct public key?", "x509: ...", "unsupported public key
 * type". Free with EVP_PKEY_free. */
EVP_PKEY *sigstore_public_key_parse(const void *pem, size_t len, char *err, size_t errcap);

/* Reads a public key file (a policy's keyPath) into *pem and checks that it
 * parses: "open F: REASON", "parsing public key F: REASON". */
int sigstore_public_key_read_file(const char *path, strbuf *pem, char *err, size_t errcap);

/* Verifies a signature made by sigstore_key_sign: 0, or -1 with the
 * verifier's reason ("invalid signature when validating ASN.1 encoded
 * signature" for ECDSA, "crypto/rsa: verification error", "failed to verify
 * signature" for Ed25519). */
int sigstore_key_verify(EVP_PKEY *key, const void *data, size_t len, const void *sig, size_t sig_len, char *err,
                        size_t errcap);

#endif
