/* core/signature/simple_signing.h — "simple signing" (atomic container
 * signatures) as containers/image v5.23.1 (Debian's skopeo 1.9.3) makes and
 * checks them (signature/simple.go, docker.go): the JSON payload naming a
 * manifest digest and a docker reference, byte for byte as
 * untrustedSignature.MarshalJSON writes it, its strict parsing as
 * UnmarshalJSON does (exact member sets, Go's messages), and the signing and
 * verification of a manifest through the GPG mechanism of gpg.h:
 *
 *   - copy --sign-by: simple_signing_sign_manifest(mech from gpg_mech_new(NULL),
 *     the manifest written, the destination's docker reference, the key);
 *   - policy signedBy: simple_signing_verify(mech from gpg_mech_new_ephemeral*
 *     with keyPath/keyPaths/keyData, rules with the imported identities as
 *     keys, SIMPLE_SIGNING_POLICY wording and the signedIdentity rule as
 *     check_reference);
 *   - standalone-sign / standalone-verify: the same with SIMPLE_SIGNING_STANDALONE.
 *
 * Errors: functions returning int return 0, or -1 with a one-line message in
 * err, containers/image's text where it has one ("Signature for docker digest
 * ... does not match", "Key \"type\" missing in a JSON object", "invalid
 * character 'x' looking for beginning of value"). Threading: no shared state;
 * a gpg_mech is used by one thread at a time (gpg.h). */
#ifndef FERRY_CORE_SIMPLE_SIGNING_H
#define FERRY_CORE_SIMPLE_SIGNING_H

#include <stddef.h>
#include <stdint.h>

#include "shared/strbuf.h"
#include "signature/gpg.h"

#define SIMPLE_SIGNING_TYPE "atomic container signature"
/* "atomic " + containers/image's version: the creator skopeo 1.9.3 writes. */
#define SIMPLE_SIGNING_CREATOR "atomic 5.23.1"

/* The members of a payload. Strings are NUL-terminated with their byte
 * length beside them (a JSON string may hold a NUL). After a parse they are
 * malloc'd and owned by the struct (simple_signing_payload_release); to
 * marshal, the caller's strings are only read. */
typedef struct simple_signing_payload {
    char *docker_manifest_digest; /* critical.image.docker-manifest-digest */
    size_t docker_manifest_digest_len;
    char *docker_reference;       /* critical.identity.docker-reference, as signed (not normalised) */
    size_t docker_reference_len;
    char *creator;                /* optional.creator; NULL when absent ("" for null) */
    size_t creator_len;
    int has_timestamp;            /* optional.timestamp present (0 for null) */
    int64_t timestamp;            /* seconds since the epoch */
} simple_signing_payload;

/* untrustedSignature.MarshalJSON: appends
 * {"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},
 *  "type":"atomic container signature"},"optional":{"creator":C,"timestamp":T}}
 * (Go's escaping; creator and timestamp only when set) to *out. An empty
 * digest or reference is refused: "Unexpected empty signature content". */
int simple_signing_payload_marshal(const simple_signing_payload *p, strbuf *out, char *err, size_t errcap);

/* json.Unmarshal into an untrustedSignature: exactly "critical" and
 * "optional" at the top; exactly "type", "image", "identity" in critical;
 * exactly "docker-manifest-digest" in image and "docker-reference" in
 * identity; any members in optional, "creator" a string and "timestamp" an
 * integral number; no duplicate member anywhere; the type must be
 * SIMPLE_SIGNING_TYPE. On success *out owns its strings; on failure it needs
 * no release. */
int simple_signing_payload_parse(const void *data, size_t len, simple_signing_payload *out, char *err,
                                 size_t errcap);

/* The same two with another signature type in critical.type: sigstore's
 * payload (sigstore.h) is this JSON with "cosign container image signature";
 * null_optional accepts "optional": null, which cosign writes and
 * UntrustedSigstorePayload reads as no creator and no timestamp. */
int simple_signing_payload_marshal_type(const simple_signing_payload *p, const char *type, strbuf *out, char *err,
                                       size_t errcap);
int simple_signing_payload_parse_type(const void *data, size_t len, const char *type, int null_optional,
                                      simple_signing_payload *out, char *err, size_t errcap);

/* NewUntrustedSignature / NewUntrustedSigstorePayload: a payload to marshal
 * naming digest and docker_reference (borrowed), with creator and the
 * current time. */
simple_signing_payload simple_signing_payload_new(const char *digest, const char *docker_reference,
                                                  const char *creator);

/* Frees a parsed payload's strings and zeroes it. */
void simple_signing_payload_release(simple_signing_payload *p);

/* SignDockerManifestWithOptions: the payload for manifest's digest
 * (schema1_digest: for a signed schema 1 manifest, that of its JWS payload)
 * and docker_reference (written as given, unvalidated, as c/image does),
 * creator SIMPLE_SIGNING_CREATOR and the current time, signed with
 * key_identity (passphrase as gpg_mech_sign takes it); the signature is
 * appended to *out. */
int simple_signing_sign_manifest(gpg_mech *mech, const void *manifest, size_t manifest_len,
                                 const char *docker_reference, const char *key_identity, const char *passphrase,
                                 strbuf *out, char *err, size_t errcap);

/* Whose wording the rejections use. */
typedef enum simple_signing_wording {
    SIMPLE_SIGNING_STANDALONE, /* VerifyDockerManifestSignature: "Signature by K does not match expected
                                * fingerprint E", "Signature for docker digest \"D\" does not match" */
    SIMPLE_SIGNING_POLICY,     /* prSignedBy: "Signature by key K is not accepted", "Signature for digest D does
                                * not match" */
} simple_signing_wording;

/* A signedIdentity rule: 0 when the signed reference (len bytes, possibly
 * with a NUL) is accepted, else -1 with the reason in err. */
typedef int (*simple_signing_reference_check)(void *arg, const char *signed_reference, size_t len, char *err,
                                              size_t errcap);

/* What a signature must satisfy. Pointers are borrowed for the call. */
typedef struct simple_signing_rules {
    simple_signing_wording wording;
    const char *const *keys;        /* accepted key fingerprints, compared exactly as gpgme reports them
                                     * (upper-case hex); at least one */
    size_t n_keys;
    const char *expected_reference; /* non-NULL: the signed reference must equal it once both are normalised
                                     * (docker_ref.h; "busybox" matches "docker.io/library/busybox", not
                                     * "busybox:latest"), standalone-verify's rule; it is parsed before the
                                     * signature is looked at */
    simple_signing_reference_check check_reference; /* used when expected_reference is NULL */
    void *check_arg;
} simple_signing_rules;

/* A verified signature: the payload (owned) and the key that signed it
 * (malloc'd). Release with simple_signing_verified_release. */
typedef struct simple_signing_verified {
    char *fingerprint;
    simple_signing_payload payload;
} simple_signing_verified;

/* verifyAndExtractSignature: checks the OpenPGP signature with mech, then
 * the signing key against rules->keys, parses the payload, compares its
 * digest with the manifest's (schema1_digest; the manifest's bytes are not
 * trusted, only compared), and checks its reference, in that order; the
 * first failure is reported. On success *out is filled. */
int simple_signing_verify(gpg_mech *mech, const void *signature, size_t signature_len, const void *manifest,
                          size_t manifest_len, const simple_signing_rules *rules, simple_signing_verified *out,
                          char *err, size_t errcap);

void simple_signing_verified_release(simple_signing_verified *v);

/* The n bytes at s for a one-line message: control bytes (NUL, newline, ...)
 * written as \xNN, as logrus shows them in skopeo's messages. malloc'd,
 * caller frees; NULL when out of memory. */
char *simple_signing_printable(const char *s, size_t n);

#endif
