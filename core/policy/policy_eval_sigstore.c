/* core/policy/policy_eval_sigstore.c — the sigstoreSigned requirement as
 * containers/image v5.23.1 evaluates it (signature/policy_eval_sigstore.go):
 * only sigstore signatures whose MIME type is cosign's simple-signing type
 * are candidates; each is verified against the one public key (keyPath or
 * keyData) by sigstore.h, its digest and identity checked like signedBy's;
 * the first accepted one allows the image. Fulcio certificates and Rekor
 * entries, which newer policies may ask for, are refused in one line. */
#include "policy/policy_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/fsutil.h"
#include "shared/strbuf.h"
#include "signature/sigstore.h"
#include "util/goerrno.h"


int policy_eval_sigstore(const policy_requirement *req, const policy_image *img, char *err, size_t errcap)
{
    strbuf key = STRBUF_INIT;
    strbuf reasons = STRBUF_INIT;
    size_t n_rejected = 0, non_sigstore = 0, non_attachments = 0;
    int allowed = 0, key_loaded = 0;
    char key_err[1024] = "";
    policy_identity_rule check = {&req->identity, img->docker_reference};
    for (size_t i = 0; !allowed && i < img->n_signatures; i++) {
        size_t chunk_len = 0;
        const char *chunk = sigstore_blob_chunk(img->signatures[i], img->signature_lens[i], &chunk_len);
        if (chunk == NULL) {
            non_sigstore++;
            continue;
        }
        /* Only the MIME type is looked at before the key is needed. */
        json_t *j = json_loadb(chunk, chunk_len, 0, NULL);
        const char *mime = json_string_value(json_object_get(j, "mimeType"));
        int candidate = j == NULL || (mime != NULL && strcmp(mime, SIGSTORE_SIGNATURE_MIME_TYPE) == 0);
        json_decref(j);
        if (!candidate) {
            non_attachments++;
            continue;
        }
        char why[1024];
        if (req->fulcio || req->rekor) {
            snprintf(why, sizeof(why), "sigstoreSigned with %s is not supported by ferry %s (it verifies sigstore "
                     "signatures by public key only)", req->fulcio ? "\"fulcio\"" : "a Rekor public key",
                     PACKAGE_VERSION);
        } else {
            if (!key_loaded) {
                key_loaded = 1;
                if (req->key_data != NULL)
                    strbuf_append(&key, req->key_data, req->key_data_len);
                else if (fs_read_file(req->key_paths[0], &key) != 0 || key.failed)
                    snprintf(key_err, sizeof(key_err), "open %s: %s", req->key_paths[0],
                             go_errno_text(errno, why, sizeof(why)));
            }
            sigstore_verified v = {0};
            int rc = key_err[0] != '\0' ? -1
                                         : sigstore_verify(key.data ? key.data : "", key.len, chunk, chunk_len,
                                                           img->manifest, img->manifest_len, policy_identity_check,
                                                           &check, &v, why, sizeof(why));
            if (key_err[0] != '\0')
                snprintf(why, sizeof(why), "%s", key_err);
            if (rc == 0) {
                sigstore_verified_release(&v);
                allowed = 1;
                break;
            }
            if (rc == SIGSTORE_NOT_A_SIGNATURE) {
                non_attachments++;
                continue;
            }
        }
        strbuf_printf(&reasons, "%s%s", n_rejected ? "; " : "", why);
        n_rejected++;
    }
    strbuf_release(&key);
    if (allowed) {
        strbuf_release(&reasons);
        return 0;
    }
    if (n_rejected == 0 && non_sigstore == 0 && non_attachments == 0)
        snprintf(err, errcap, "A signature was required, but no signature exists");
    else if (n_rejected == 0)
        snprintf(err, errcap, "A signature was required, but no signature exists (%zu non-sigstore signatures, %zu "
                 "sigstore non-signature attachments)", non_sigstore, non_attachments);
    else if (n_rejected == 1)
        snprintf(err, errcap, "%s", reasons.data ? reasons.data : "out of memory");
    else
        snprintf(err, errcap, "None of the signatures were accepted, reasons: %s",
                 reasons.data ? reasons.data : "out of memory");
    strbuf_release(&reasons);
    return -1;
}
