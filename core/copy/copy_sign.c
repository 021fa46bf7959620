/* core/copy/copy_sign.c — copy --sign-by, --sign-by-sigstore-private-key,
 * --sign-by-sigstore: the identity a new signature names (--sign-identity,
 * which must be canonical, or the destination's Docker reference with
 * containers/image's default tag) and the sigstore keys, decrypted, both
 * checked before anything is copied; then the manifest written at the top
 * level is signed with the GPG key (simple_signing.h) and with each sigstore
 * key (sigstore.h), and the signatures join those copied, as
 * containers/image's copy does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "image/docker_ref.h"
#include "shared/fsutil.h"
#include "signature/simple_signing.h"
#include "signature/sigstore.h"
#include "signature/sigstore_key.h"

int copy_sign_wanted(const copy_options *opts)
{
    return opts->sign_by != NULL || opts->n_sigstore_keys > 0;
}

void copy_signing_release(copy_signing *s)
{
    for (size_t i = 0; i < s->n_sigstore_keys; i++)
        EVP_PKEY_free(s->sigstore_keys[i]);
    memset(s, 0, sizeof(*s));
}

/* createSigstoreSignature's checks, made before the copy rather than after
 * it so that nothing is written when they fail: a full identity, and keys
 * that open with their passphrases. */
static int copy_sign_prepare_sigstore(const copy_options *opts, copy_signing *s, ferry_ctx *dctx)
{
    docker_ref ref = {0};
    char err[1024];
    if (opts->sign_identity != NULL &&
        docker_ref_parse_normalized(opts->sign_identity, strlen(opts->sign_identity), &ref, err, sizeof(err)) == 0) {
        int name_only = ref.tag == NULL && ref.digest == NULL;
        docker_ref_free(&ref);
        if (name_only)
            return ctx_fail(dctx, FERRY_ERR_INVALID, "Sign identity must be a fully specified reference %s",
                            opts->sign_identity);
    }
    for (size_t i = 0; i < opts->n_sigstore_keys && i < 2; i++) {
        EVP_PKEY *key = sigstore_private_key_load_file(opts->sigstore_keys[i].key_file,
                                                       opts->sigstore_keys[i].passphrase, err, sizeof(err));
        if (key == NULL)
            return ctx_fail(dctx, FERRY_ERR_INVALID, "creating signature: %s", err);
        s->sigstore_keys[s->n_sigstore_keys++] = key;
    }
    return FERRY_OK;
}

int copy_sign_prepare(const copy_endpoint *dst, const copy_run *run, const copy_options *opts, copy_signing *s,
                      ferry_ctx *dctx)
{
    char *identity = s->identity;
    size_t cap = sizeof(s->identity);
    docker_ref ref = {0};
    char err[512];
    if (opts->sign_identity != NULL) {
        /* reference.ParseNamed: the name as given must be the normalised one. */
        if (docker_ref_parse_normalized(opts->sign_identity, strlen(opts->sign_identity), &ref, err, sizeof(err)) != 0)
            return ctx_fail(dctx, FERRY_ERR_INVALID, "Could not parse --sign-identity: %s", err);
        int canonical = strcmp(ref.string, opts->sign_identity) == 0;
        docker_ref_free(&ref);
        if (!canonical)
            return ctx_fail(dctx, FERRY_ERR_INVALID, "Could not parse --sign-identity: repository name must be "
                            "canonical");
        snprintf(identity, cap, "%s", opts->sign_identity);
    } else {
        const char *name = dst->reference;
        while (*name == '/')
            name++;
        if (strcmp(dst->transport->name, "docker") != 0 ||
            docker_ref_parse_normalized(name, strlen(name), &ref, err, sizeof(err)) != 0)
            return ctx_fail(dctx, FERRY_ERR_INVALID, "Cannot determine canonical Docker reference for destination %s",
                            dst->text);
        /* The docker transport names an untagged reference :latest. */
        snprintf(identity, cap, "%s%s", ref.string, ref.tag == NULL && ref.digest == NULL ? ":latest" : "");
        docker_ref_free(&ref);
    }
    if (!copy_dest_keeps_signatures(dst, run))
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "Can not copy signatures to %s: the destination does not support "
                        "signatures", dst->text);
    return opts->n_sigstore_keys > 0 ? copy_sign_prepare_sigstore(opts, s, dctx) : FERRY_OK;
}

/* Signs with each sigstore key, after the GPG signature as c/image orders them. */
static int copy_sign_sigstore(const copy_run *run, const copy_signing *s, signature_set *sigs, ferry_ctx *dctx)
{
    char err[1024];
    for (size_t i = 0; i < s->n_sigstore_keys; i++) {
        strbuf blob = STRBUF_INIT;
        progress_line(run->progress, "%s", "Signing manifest using a sigstore signature");
        int rc = sigstore_sign_manifest(s->sigstore_keys[i], run->top_written, run->top_written_len, s->identity, &blob,
                                        err, sizeof(err));
        if (rc != 0)
            rc = ctx_fail(dctx, FERRY_ERR_FAILED, "creating signature: %s", err);
        else if (signature_add(sigs, blob.data, blob.len) != FERRY_OK)
            rc = ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
        strbuf_release(&blob);
        if (rc != FERRY_OK)
            return rc;
    }
    return FERRY_OK;
}

/* The GPG signature of --sign-by. */
static int copy_sign_gpg(const copy_run *run, const copy_options *opts, const char *identity, signature_set *sigs,
                         ferry_ctx *dctx)
{
    char err[512];
    strbuf pass = STRBUF_INIT;
    const char *passphrase = NULL;
    if (opts->sign_passphrase_file != NULL) {
        if (fs_read_file(opts->sign_passphrase_file, &pass) != 0 || pass.failed) {
            int e = errno;
            strbuf_release(&pass);
            return ctx_fail(dctx, FERRY_ERR_INVALID, "open %s: %s", opts->sign_passphrase_file, strerror(e));
        }
        /* The first line, as skopeo reads it. */
        if (pass.data != NULL)
            pass.data[strcspn(pass.data, "\r\n")] = '\0';
        passphrase = pass.data != NULL ? pass.data : "";
    }
    gpg_mech *mech = gpg_mech_new(NULL, err, sizeof(err));
    strbuf sig = STRBUF_INIT;
    int rc = FERRY_OK;
    progress_line(run->progress, "%s", "Signing manifest using simple signing");
    if (mech == NULL ||
        simple_signing_sign_manifest(mech, run->top_written, run->top_written_len, identity, opts->sign_by,
                                     passphrase, &sig, err, sizeof(err)) != 0)
        rc = ctx_fail(dctx, FERRY_ERR_FAILED, "creating signature: %s", err);
    else if (signature_add(sigs, sig.data, sig.len) != FERRY_OK)
        rc = ctx_fail(dctx, FERRY_ERR_NO_MEMORY, "out of memory");
    gpg_mech_free(mech);
    strbuf_release(&sig);
    strbuf_release(&pass);
    return rc;
}

int copy_sign(const copy_run *run, const copy_options *opts, const copy_signing *s, signature_set *sigs,
              ferry_ctx *dctx)
{
    int rc = opts->sign_by != NULL ? copy_sign_gpg(run, opts, s->identity, sigs, dctx) : FERRY_OK;
    return rc == FERRY_OK ? copy_sign_sigstore(run, s, sigs, dctx) : rc;
}
