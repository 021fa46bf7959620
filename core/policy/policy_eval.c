/* core/policy/policy_eval.c — IsRunningImageAllowed of containers/image
 * v5.23.1 (signature/policy_eval.go, policy_eval_simple.go,
 * policy_eval_signedby.go): each requirement in order, the first denial
 * reported with c/image's words. signedBy looks at the GPG simple
 * signatures only, verifying each against an ephemeral keyring holding just
 * the policy's keys (gpg.h), its digest against the manifest and its
 * identity through the signedIdentity matcher; the first accepted one
 * allows the image. */
#include "policy/policy_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strbuf.h"
#include "signature/gpg.h"
#include "signature/simple_signing.h"

/* The OpenPGP bytes of a simple-signing blob, or NULL for another format
 * (set *bad when the blob is not a signature blob at all). */
static const unsigned char *simple_signature(const unsigned char *blob, size_t len, size_t *out_len, int *bad)
{
    static const char prefix[] = "simple-signing\n";
    *bad = 0;
    if (len == 0) {
        *bad = 1;
        return NULL;
    }
    if (blob[0] != 0) {
        switch (blob[0]) {
        case 0xA0: case 0xA1: case 0xA2: case 0xA3: case 0xC8:
        case 0x90: case 0x91: case 0x92: case 0x3d: case 0xC4:
        case 0x88: case 0x89: case 0x8A: case 0x8B: case 0xC2:
            *out_len = len;
            return blob;
        default:
            *bad = 1;
            return NULL;
        }
    }
    const unsigned char *nl = memchr(blob + 1, '\n', len - 1);
    if (nl == NULL) {
        *bad = 1;
        return NULL;
    }
    if ((size_t)(nl + 1 - blob) - 1 == sizeof(prefix) - 1 && memcmp(blob + 1, prefix, sizeof(prefix) - 1) == 0) {
        *out_len = len - sizeof(prefix);
        return blob + sizeof(prefix);
    }
    return NULL;
}

static gpg_mech *signed_by_mech(const policy_requirement *req, const policy_image *img, char ***ids, size_t *n_ids,
                                char *err, size_t errcap)
{
    if (req->key_data != NULL)
        return gpg_mech_new_ephemeral(img->tmpdir, &(gpg_key_blob){req->key_data, req->key_data_len}, 1, ids, n_ids,
                                      err, errcap);
    return gpg_mech_new_ephemeral_files(img->tmpdir, (const char *const *)req->key_paths, req->n_key_paths, ids,
                                        n_ids, err, errcap);
}

/* Collects the rejections as c/image summarises them. */
typedef struct rejections {
    strbuf text;
    size_t n;
} rejections;

static void rejection_add(rejections *r, const char *why)
{
    strbuf_printf(&r->text, "%s%s", r->n ? "; " : "", why);
    r->n++;
}

static int rejections_summary(rejections *r, const char *none, char *err, size_t errcap)
{
    if (r->n == 0)
        snprintf(err, errcap, "%s", none);
    else if (r->n == 1)
        snprintf(err, errcap, "%s", r->text.data ? r->text.data : "out of memory");
    else
        snprintf(err, errcap, "None of the signatures were accepted, reasons: %s",
                 r->text.data ? r->text.data : "out of memory");
    strbuf_release(&r->text);
    return -1;
}

static int eval_signed_by(const policy_requirement *req, const policy_image *img, char *err, size_t errcap)
{
    rejections rej = {STRBUF_INIT, 0};
    gpg_mech *mech = NULL;
    char **ids = NULL;
    size_t n_ids = 0;
    int mech_tried = 0, allowed = 0;
    char mech_err[1024] = "";
    policy_identity_rule check = {&req->identity, img->docker_reference};
    for (size_t i = 0; !allowed && i < img->n_signatures; i++) {
        size_t len = 0;
        int bad = 0;
        const unsigned char *sig = simple_signature(img->signatures[i], img->signature_lens[i], &len, &bad);
        if (bad) {
            snprintf(err, errcap, "parsing signature %zu: unrecognized signature format", i + 1);
            strbuf_release(&rej.text);
            gpg_mech_free(mech);
            gpg_identities_free(ids, n_ids);
            return -1;
        }
        if (sig == NULL)
            continue; /* not a simple signature: signedBy does not see it */
        char why[1024];
        if (strcmp(req->key_type, "GPGKeys") != 0) {
            snprintf(why, sizeof(why), "Unimplemented \"keyType\" value \"%s\"", req->key_type);
            rejection_add(&rej, why);
            continue;
        }
        if (!mech_tried) {
            mech_tried = 1;
            mech = signed_by_mech(req, img, &ids, &n_ids, mech_err, sizeof(mech_err));
            if (mech != NULL && n_ids == 0)
                snprintf(mech_err, sizeof(mech_err), "No public keys imported");
        }
        if (mech == NULL || n_ids == 0) {
            rejection_add(&rej, mech_err);
            continue;
        }
        simple_signing_rules rules = {.wording = SIMPLE_SIGNING_POLICY, .keys = (const char *const *)ids,
                                      .n_keys = n_ids, .check_reference = policy_identity_check, .check_arg = &check};
        simple_signing_verified v = {0};
        if (simple_signing_verify(mech, sig, len, img->manifest, img->manifest_len, &rules, &v, why, sizeof(why)) ==
            0) {
            simple_signing_verified_release(&v);
            allowed = 1;
        } else {
            rejection_add(&rej, why);
        }
    }
    gpg_mech_free(mech);
    gpg_identities_free(ids, n_ids);
    if (allowed) {
        strbuf_release(&rej.text);
        return 0;
    }
    return rejections_summary(&rej, "A signature was required, but no signature exists", err, errcap);
}

int policy_evaluate(const policy_requirements *r, const policy_image *img, char *err, size_t errcap)
{
    if (r->n == 0) {
        snprintf(err, errcap, "List of verification policy requirements must not be empty");
        return -1;
    }
    for (size_t i = 0; i < r->n; i++) {
        const policy_requirement *req = &r->items[i];
        int rc = 0;
        switch (req->kind) {
        case POLICY_INSECURE_ACCEPT_ANYTHING:
            break;
        case POLICY_REJECT:
            snprintf(err, errcap, "Running image %s is rejected by policy.", img->name);
            rc = -1;
            break;
        case POLICY_SIGNED_BY:
            rc = eval_signed_by(req, img, err, errcap);
            break;
        case POLICY_SIGSTORE_SIGNED:
            rc = policy_eval_sigstore(req, img, err, errcap);
            break;
        case POLICY_SIGNED_BASE_LAYER:
            snprintf(err, errcap, "signedBaseLayer not implemented yet!");
            rc = -1;
            break;
        }
        if (rc != 0) {
            /* Then which image and which requirement of which scope, which
             * c/image's message leaves out. */
            static const char *const names[] = {"insecureAcceptAnything", "reject", "signedBy", "sigstoreSigned",
                                                "signedBaseLayer"};
            size_t used = strlen(err);
            if (used < errcap)
                snprintf(err + used, errcap - used, " (%s: requirement %zu, %s, of %s)", img->name, i + 1,
                         names[req->kind], r->where ? r->where : "the policy");
            return -1;
        }
    }
    return 0;
}
