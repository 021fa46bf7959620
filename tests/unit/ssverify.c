/* tests/unit/ssverify.c — a driver for tests/system/gpg.sh of what the policy
 * engine's signedBy requirement will call: the ephemeral GPG mechanism
 * (public keys from files imported into a temporary home below a given
 * directory) and simple_signing_verify with the policy's wording.
 *
 *   ssverify PARENT-DIR MANIFEST SIGNATURE IDENTITY KEY-FILE...
 *
 * prints "imported FPR" for every key imported, then "verified FPR DIGEST
 * REFERENCE" and exits 0; on a rejection prints the one-line message on
 * stderr and exits 1. The signed identity must equal IDENTITY exactly (a
 * stand-in for signedIdentity's rules). Exits 3 when the temporary home was
 * not removed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/fsutil.h"
#include "signature/simple_signing.h"

static int ssverify_identity(void *arg, const char *ref, size_t len, char *err, size_t errcap)
{
    const char *want = arg;
    if (len == strlen(want) && memcmp(ref, want, len) == 0)
        return 0;
    char *shown = simple_signing_printable(ref, len);
    snprintf(err, errcap, "Signature for identity %s is not accepted", shown != NULL ? shown : "?");
    free(shown);
    return -1;
}

/* 1 when dir holds nothing but . and .. */
static int ssverify_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int empty = 1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: ssverify PARENT-DIR MANIFEST SIGNATURE IDENTITY KEY-FILE...\n");
        return 2;
    }
    char err[2048];
    char **ids = NULL;
    size_t n_ids = 0;
    strbuf manifest = STRBUF_INIT, sig = STRBUF_INIT;
    if (fs_read_file(argv[2], &manifest) != 0 || fs_read_file(argv[3], &sig) != 0) {
        fprintf(stderr, "ssverify: cannot read the manifest or the signature\n");
        return 2;
    }
    int code = 1;
    gpg_mech *mech = gpg_mech_new_ephemeral_files(argv[1], (const char *const *)argv + 5, (size_t)argc - 5, &ids,
                                                  &n_ids, err, sizeof(err));
    if (mech == NULL) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++)
        printf("imported %s\n", ids[i]);
    simple_signing_rules rules = {
        .wording = SIMPLE_SIGNING_POLICY,
        .keys = (const char *const *)ids,
        .n_keys = n_ids,
        .check_reference = ssverify_identity,
        .check_arg = argv[4],
    };
    simple_signing_verified v;
    if (n_ids == 0) {
        fprintf(stderr, "No public keys imported\n");
    } else if (simple_signing_verify(mech, sig.data, sig.len, manifest.data, manifest.len, &rules, &v, err,
                                     sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
    } else {
        printf("verified %s %s %s\n", v.fingerprint, v.payload.docker_manifest_digest, v.payload.docker_reference);
        simple_signing_verified_release(&v);
        code = 0;
    }
out:
    gpg_mech_free(mech);
    gpg_identities_free(ids, n_ids);
    strbuf_release(&manifest);
    strbuf_release(&sig);
    if (!ssverify_empty(argv[1])) {
        fprintf(stderr, "ssverify: the temporary GPG home was left in %s\n", argv[1]);
        return 3;
    }
    return code;
}
