/* core/signature/sigstore.h — sigstore signatures of container images as
 * containers/image v5.23.1 makes and checks them with a key pair
 * (signature/sigstore/sign.go, signature/internal/sigstore_payload.go,
 * internal/signature/sigstore.go, signature/policy_eval_sigstore.go) and as
 * cosign reads them:
 *
 *   - the payload is the simple-signing JSON (simple_signing.h) with type
 *     SIGSTORE_PAYLOAD_TYPE and creator SIGSTORE_CREATOR;
 *   - the signature is ECDSA P-256/SHA-256 (or RSA, Ed25519; sigstore_key.h)
 *     over the payload bytes, base64 in the annotation
 *     SIGSTORE_SIGNATURE_ANNOTATION;
 *   - in a copy's signature set (and a dir: destination's signature-N file)
 *     it is a "signature blob": SIGSTORE_BLOB_PREFIX then the JSON chunk
 *     {"mimeType":M,"payload":B64,"annotations":{...}}, where simple-signing
 *     (GPG) blobs are the bare OpenPGP bytes.
 *
 * Errors: -1 with a one-line message in err, containers/image's wording.
 * No shared state. */
#ifndef FERRY_CORE_SIGSTORE_H
#define FERRY_CORE_SIGSTORE_H

#include <openssl/evp.h>
#include <stddef.h>

#include "shared/strbuf.h"
#include "signature/simple_signing.h"

#define SIGSTORE_PAYLOAD_TYPE "cosign container image signature"
/* "containers/image " + the version: the creator skopeo 1.9.3 would write. */
#define SIGSTORE_CREATOR "containers/image 5.23.1"
#define SIGSTORE_SIGNATURE_MIME_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGSTORE_SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"
/* internal/signature.Blob's prefix: a 0 byte, the format name, a newline. */
#define SIGSTORE_BLOB_PREFIX "\0sigstore-json\n"
#define SIGSTORE_BLOB_PREFIX_LEN 15

/* The JSON chunk of a sigstore signature blob (after the prefix), or NULL
 * when blob is of another format (simple signing). */
const char *sigstore_blob_chunk(const void *blob, size_t len, size_t *chunk_len);

/* signDockerManifest: the payload for manifest's digest (schema1_digest)
 * and docker_reference (written as given: the caller makes sure it has a
 * tag or digest, as copy does), creator SIGSTORE_CREATOR and the current
 * time, signed with key; the whole signature blob (prefix included) is
 * appended to *blob. */
int sigstore_sign_manifest(EVP_PKEY *key, const void *manifest, size_t manifest_len, const char *docker_reference,
                           strbuf *blob, char *err, size_t errcap);

/* A verified signature's payload members (malloc'd). */
typedef struct sigstore_verified {
    char *docker_manifest_digest;
    char *docker_reference;
} sigstore_verified;

/* sigstore_verify's result when the chunk is a sigstore attachment of
 * another MIME type: containers/image counts those apart ("sigstore
 * non-signature attachments") rather than rejecting them. */
#define SIGSTORE_NOT_A_SIGNATURE (-2)

/* prSigstoreSigned.isSignatureAccepted on one chunk, in containers/image's
 * order: the chunk's JSON (as json.Unmarshal reads it: Go's messages), its
 * MIME type (else SIGSTORE_NOT_A_SIGNATURE), the public key ("parsing public
 * key: ..."), the annotation ("missing dev.cosignproject.cosign/signature
 * annotation"), its base64 ("base64 decoding: ..."), the signature over the
 * payload ("cryptographic signature verification failed: ..."), the strict
 * payload parse (simple_signing_payload_parse's rules and messages, with
 * "optional": null allowed), the digest against the manifest's
 * (schema1_digest; "Signature for digest D does not match"), then the
 * reference through check (its own message). 0 with *out filled, else -1
 * (or SIGSTORE_NOT_A_SIGNATURE) with the reason in err and *out empty. */
int sigstore_verify(const void *public_key_pem, size_t key_len, const void *chunk, size_t chunk_len,
                    const void *manifest, size_t manifest_len, simple_signing_reference_check check, void *arg,
                    sigstore_verified *out, char *err, size_t errcap);

void sigstore_verified_release(sigstore_verified *v);

/* ---- containers-sigstore-signing-params.yaml (sigstore_params.c) ---- */

/* The members of a signing parameter file (malloc'd strings, NULL when not
 * given); fulcio and rekor only recorded, as ferry never uses the network. */
typedef struct sigstore_params {
    char *private_key_file;
    char *private_key_passphrase_file;
    int has_fulcio;
    int has_rekor_url;
} sigstore_params;

/* params.ParseFile with yaml's KnownFields: a mapping of the known keys
 * (fulcio: a mapping of its known keys), scalars as strings; anything else
 * refused with "setting up signing using parameter file \"PATH\": parsing
 * \"PATH\": ...", an unreadable file likewise with "reading \"PATH\": ...". Then, as NewSignerFromParameterFile would: Fulcio or Rekor
 * refused (they need the network), and a file naming no private key refused
 * as NewSigner does. *out needs sigstore_params_release on success only. */
int sigstore_params_load(const char *path, sigstore_params *out, char *err, size_t errcap);

void sigstore_params_release(sigstore_params *p);

#endif
