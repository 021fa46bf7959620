/* core/cli/cmd_standalone.c — `ferry standalone-sign` and `ferry
 * standalone-verify`: simple signing with local files, as skopeo 1.9.3's
 * cmd/skopeo/signing.go does it (its usage checks, its order of reading,
 * its output), with the GPG home gpg itself uses ($GNUPGHOME, ~/.gnupg). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "shared/fsutil.h"
#include "signature/simple_signing.h"

static const opt_spec standalone_sign_specs[] = {
    {"output", 'o', OPT_STRING, "SIGNATURE", "output the signature to SIGNATURE"},
    {"passphrase-file", 0, OPT_STRING, "string", "file that contains a passphrase for the --sign-by key"},
    {NULL, 0, 0, NULL, NULL},
};

static const opt_spec standalone_verify_specs[] = {
    {NULL, 0, 0, NULL, NULL},
};

/* Reads a whole file, or fails with "WHAT PATH: reason" (skopeo's wording). */
static int standalone_read(const char *what, const char *path, strbuf *out)
{
    if (fs_read_file(path, out) == 0)
        return 0;
    char err[1024];
    snprintf(err, sizeof(err), "%s %s: %s", what, path, strerror(errno));
    app_fail_text(err);
    return -1;
}

/* signature.NewGPGSigningMechanism: the user's GPG home; NULL after
 * reporting why not. */
static gpg_mech *standalone_gpg(void)
{
    char msg[1024], err[1280];
    gpg_mech *mech = gpg_mech_new(NULL, msg, sizeof(msg));
    if (mech == NULL) {
        snprintf(err, sizeof(err), "error initializing GPG: %s", msg);
        app_fail_text(err);
    }
    return mech;
}

/* cli.ReadPassphraseFile: the first line, without its newline. malloc'd in
 * *out; 0, or the exit code after reporting. */
static int standalone_passphrase(const char *path, char **out)
{
    strbuf data = STRBUF_INIT;
    *out = NULL;
    if (fs_read_file(path, &data) != 0) {
        char err[1024];
        snprintf(err, sizeof(err), "cannot read passphrase file %s: %s", path, strerror(errno));
        return app_fail_text(err);
    }
    const char *text = data.data != NULL ? data.data : "";
    const char *nl = memchr(text, '\n', data.len);
    *out = strndup(text, nl != NULL ? (size_t)(nl - text) : data.len);
    strbuf_release(&data);
    return *out != NULL ? 0 : app_fail_text("out of memory");
}

int cmd_standalone_sign(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    int code = 0;
    const opt_spec *tables[] = {standalone_sign_specs};
    if (command_parse(app, cmd,
                      "ferry standalone-sign [command options] MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT "
                      "--output|-o SIGNATURE",
                      tables, 1, argc, argv, &p, &code) != 0)
        return code;
    const char *output = opt_string(&p, "output");
    const char *passphrase_file = opt_string(&p, "passphrase-file");
    if (p.n_args != 3 || output == NULL || *output == '\0') {
        opt_release(&p);
        return app_fail_text("Usage: ferry standalone-sign manifest docker-reference key-fingerprint -o signature");
    }
    char err[2048], msg[1536];
    strbuf mfile = STRBUF_INIT, sig = STRBUF_INIT;
    char *passphrase = NULL;
    gpg_mech *mech = NULL;
    if (standalone_read("error reading", p.args[0], &mfile) != 0) {
        code = 1;
        goto out;
    }
    if ((mech = standalone_gpg()) == NULL) {
        code = 1;
        goto out;
    }
    if (passphrase_file != NULL && *passphrase_file != '\0' &&
        (code = standalone_passphrase(passphrase_file, &passphrase)) != 0)
        goto out;
    if (simple_signing_sign_manifest(mech, mfile.data != NULL ? mfile.data : "", mfile.len, p.args[1],
                                     p.args[2], passphrase, &sig, msg, sizeof(msg)) != 0) {
        snprintf(err, sizeof(err), "error creating signature: %s", msg);
        code = app_fail_text(err);
        goto out;
    }
    if (fs_write_file_atomic(output, sig.data, sig.len, 0644, msg, sizeof(msg)) != 0) {
        snprintf(err, sizeof(err), "error writing signature to %s: %s", output, msg);
        code = app_fail_text(err);
    }
out:
    gpg_mech_free(mech);
    free(passphrase);
    strbuf_release(&mfile);
    strbuf_release(&sig);
    opt_release(&p);
    return code;
}

int cmd_standalone_verify(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    int code = 0;
    const opt_spec *tables[] = {standalone_verify_specs};
    if (command_parse(app, cmd, "ferry standalone-verify MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT SIGNATURE", tables,
                      1, argc, argv, &p, &code) != 0)
        return code;
    if (p.n_args != 4) {
        opt_release(&p);
        return app_fail_text("Usage: ferry standalone-verify manifest docker-reference key-fingerprint signature");
    }
    char err[2048], msg[1536];
    strbuf mfile = STRBUF_INIT, sig = STRBUF_INIT;
    gpg_mech *mech = NULL;
    simple_signing_verified v = {0};
    if (standalone_read("error reading manifest from", p.args[0], &mfile) != 0 ||
        standalone_read("error reading signature from", p.args[3], &sig) != 0) {
        code = 1;
        goto out;
    }
    if ((mech = standalone_gpg()) == NULL) {
        code = 1;
        goto out;
    }
    const char *keys[] = {p.args[2]};
    simple_signing_rules rules = {
        .wording = SIMPLE_SIGNING_STANDALONE,
        .keys = keys,
        .n_keys = 1,
        .expected_reference = p.args[1],
    };
    if (simple_signing_verify(mech, sig.data != NULL ? sig.data : "", sig.len,
                              mfile.data != NULL ? mfile.data : "", mfile.len, &rules, &v, msg,
                              sizeof(msg)) != 0) {
        snprintf(err, sizeof(err), "error verifying signature: %s", msg);
        code = app_fail_text(err);
        goto out;
    }
    printf("Signature verified, digest %s\n", v.payload.docker_manifest_digest);
out:
    simple_signing_verified_release(&v);
    gpg_mech_free(mech);
    strbuf_release(&mfile);
    strbuf_release(&sig);
    opt_release(&p);
    return code;
}
