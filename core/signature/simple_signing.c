/* core/signature/simple_signing.c — signing a manifest and verifying a
 * signature of one, as containers/image's SignDockerManifestWithOptions,
 * VerifyDockerManifestSignature and prSignedBy's verifyAndExtractSignature
 * do; the payload itself is simple_signing_payload.c's. */
#include "signature/simple_signing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/digest.h"
#include "image/docker_ref.h"
#include "image/schema1.h"
#include "inspect/template_internal.h" /* template_quote: Go's strconv.Quote for %q */

simple_signing_payload simple_signing_payload_new(const char *digest, const char *docker_reference,
                                                  const char *creator)
{
    return (simple_signing_payload){
        .docker_manifest_digest = (char *)digest,
        .docker_manifest_digest_len = strlen(digest),
        .docker_reference = (char *)docker_reference,
        .docker_reference_len = strlen(docker_reference),
        .creator = (char *)creator,
        .creator_len = strlen(creator),
        .has_timestamp = 1,
        .timestamp = (int64_t)time(NULL),
    };
}

int simple_signing_sign_manifest(gpg_mech *mech, const void *manifest, size_t manifest_len,
                                 const char *docker_reference, const char *key_identity, const char *passphrase,
                                 strbuf *out, char *err, size_t errcap)
{
    char digest[DIGEST_MAX_LEN];
    if (schema1_digest(manifest, manifest_len, digest, sizeof(digest), err, errcap) != 0)
        return -1;
    /* gpgme cannot pass a line break; refused before anything else, as c/image does. */
    if (passphrase != NULL && strchr(passphrase, '\n') != NULL) {
        snprintf(err, errcap, "invalid passphrase: must not contain a line break");
        return -1;
    }
    simple_signing_payload p = simple_signing_payload_new(digest, docker_reference, SIMPLE_SIGNING_CREATOR);
    strbuf json = STRBUF_INIT;
    int rc = simple_signing_payload_marshal(&p, &json, err, errcap);
    if (rc == 0)
        rc = gpg_mech_sign(mech, json.data, json.len, key_identity, passphrase, out, err, errcap);
    strbuf_release(&json);
    return rc;
}

void simple_signing_verified_release(simple_signing_verified *v)
{
    free(v->fingerprint);
    simple_signing_payload_release(&v->payload);
    memset(v, 0, sizeof(*v));
}

/* validateKeyIdentity */
static int ss_check_key(const simple_signing_rules *rules, const char *fingerprint, char *err, size_t errcap)
{
    for (size_t i = 0; i < rules->n_keys; i++)
        if (rules->keys[i] != NULL && strcmp(rules->keys[i], fingerprint) == 0)
            return 0;
    if (rules->wording == SIMPLE_SIGNING_STANDALONE)
        snprintf(err, errcap, "Signature by %s does not match expected fingerprint %s", fingerprint,
                 rules->n_keys > 0 && rules->keys[0] != NULL ? rules->keys[0] : "");
    else
        snprintf(err, errcap, "Signature by key %s is not accepted", fingerprint);
    return -1;
}

/* validateSignedDockerManifestDigest: manifest.MatchesDigest. */
static int ss_check_digest(const simple_signing_rules *rules, const simple_signing_payload *p, const void *manifest,
                           size_t manifest_len, char *err, size_t errcap)
{
    char digest[DIGEST_MAX_LEN];
    if (schema1_digest(manifest, manifest_len, digest, sizeof(digest), err, errcap) != 0)
        return -1;
    size_t len = strlen(digest);
    if (p->docker_manifest_digest_len == len && memcmp(p->docker_manifest_digest, digest, len) == 0)
        return 0;
    if (rules->wording == SIMPLE_SIGNING_POLICY) {
        char *shown = simple_signing_printable(p->docker_manifest_digest, p->docker_manifest_digest_len);
        snprintf(err, errcap, "Signature for digest %s does not match", shown != NULL ? shown : "?");
        free(shown);
        return -1;
    }
    strbuf q = STRBUF_INIT;
    template_quote(&q, p->docker_manifest_digest, p->docker_manifest_digest_len, '"');
    snprintf(err, errcap, "Signature for docker digest %s does not match", q.data != NULL ? q.data : "\"\"");
    strbuf_release(&q);
    return -1;
}

/* validateSignedDockerReference of VerifyDockerManifestSignature. */
static int ss_check_reference(const docker_ref *expected, const char *expected_text, const simple_signing_payload *p,
                              char *err, size_t errcap)
{
    docker_ref signed_ref;
    char why[256];
    int rc = docker_ref_parse_normalized(p->docker_reference, p->docker_reference_len, &signed_ref, why, sizeof(why));
    if (rc == 0 && strcmp(signed_ref.string, expected->string) == 0) {
        docker_ref_free(&signed_ref);
        return 0;
    }
    if (rc == 0)
        docker_ref_free(&signed_ref);
    char *shown = simple_signing_printable(p->docker_reference, p->docker_reference_len);
    char *shown_expected = simple_signing_printable(expected_text, strlen(expected_text));
    if (rc != 0)
        snprintf(err, errcap, "Invalid docker reference %s in signature", shown != NULL ? shown : "?");
    else
        snprintf(err, errcap, "Docker reference %s does not match %s", shown != NULL ? shown : "?",
                 shown_expected != NULL ? shown_expected : "?");
    free(shown);
    free(shown_expected);
    return -1;
}

int simple_signing_verify(gpg_mech *mech, const void *signature, size_t signature_len, const void *manifest,
                          size_t manifest_len, const simple_signing_rules *rules, simple_signing_verified *out,
                          char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    if (rules->expected_reference == NULL && rules->check_reference == NULL) {
        snprintf(err, errcap, "no rule for the signed identity"); /* a caller's mistake: never accept blindly */
        return -1;
    }
    docker_ref expected = {0};
    if (rules->expected_reference != NULL &&
        docker_ref_parse_normalized(rules->expected_reference, strlen(rules->expected_reference), &expected, err,
                                    errcap) != 0)
        return -1;
    strbuf contents = STRBUF_INIT;
    int rc = gpg_mech_verify(mech, signature, signature_len, &contents, &out->fingerprint, err, errcap);
    if (rc == 0)
        rc = ss_check_key(rules, out->fingerprint, err, errcap);
    if (rc == 0)
        rc = simple_signing_payload_parse(contents.data != NULL ? contents.data : "", contents.len, &out->payload, err,
                                          errcap);
    if (rc == 0)
        rc = ss_check_digest(rules, &out->payload, manifest, manifest_len, err, errcap);
    if (rc == 0 && rules->expected_reference != NULL)
        rc = ss_check_reference(&expected, rules->expected_reference, &out->payload, err, errcap);
    else if (rc == 0)
        rc = rules->check_reference(rules->check_arg, out->payload.docker_reference, out->payload.docker_reference_len,
                                    err, errcap);
    strbuf_release(&contents);
    docker_ref_free(&expected);
    if (rc != 0)
        simple_signing_verified_release(out);
    return rc;
}
