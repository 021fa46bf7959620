/* core/copy/copy_sign.c — copy --sign-by: the identity a new signature
 * names (--sign-identity, which must be canonical, or the destination's
 * Docker reference with containers/image's default tag), checked before
 * anything is copied; then the manifest written at the top level is signed
 * with the GPG key (simple_signing.h) and the signature joins those copied,
 * as containers/image's copy does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_internal.h"
#include "image/docker_ref.h"
#include "shared/fsutil.h"
#include "signature/simple_signing.h"

int copy_sign_prepare(const copy_endpoint *dst, const copy_options *opts, char *identity, size_t cap,
                      ferry_ctx *dctx)
{
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
    /* skopeo writes a registry's signatures to a lookaside store
     * (registries.d, /var/lib/containers/sigstore by default): not yet here. */
    if (strcmp(dst->transport->name, "docker") == 0)
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "signing an image pushed to %s needs a registries.d lookaside "
                        "signature store, which ferry %s does not support yet", dst->text, PACKAGE_VERSION);
    if (!(dst->transport->capabilities & FERRY_CAP_SIGNATURES))
        return ctx_fail(dctx, FERRY_ERR_UNSUPPORTED, "Can not copy signatures to %s: the destination does not support "
                        "signatures", dst->text);
    return FERRY_OK;
}

int copy_sign(const copy_run *run, const copy_options *opts, const char *identity, struct signature_set *sigs,
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
    copy_report_line(run->report, "%s", "Signing manifest using simple signing");
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
