/* core/cli/sign_flags.c — the signing flags copy and sync share: --sign-by
 * (GPG), --sign-identity, --sign-passphrase-file, and the sigstore keys of
 * --sign-by-sigstore-private-key and --sign-by-sigstore's parameter file,
 * whose passphrases are read here (the file's first line, else a prompt on
 * the terminal) before anything is copied, as skopeo does; and the
 * passphrase reading generate-sigstore-key uses too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/goerrno.h"
#include "cli/commands.h"
#include "shared/fsutil.h"
#include "signature/sigstore.h"

int sign_passphrase_file(const char *path, char **out, char *err, size_t errcap)
{
    strbuf data = STRBUF_INIT;
    *out = NULL;
    if (fs_read_file(path, &data) != 0 || data.failed) {
        char why[128];
        snprintf(err, errcap, "open %s: %s", path, go_errno_text(errno, why, sizeof(why)));
        strbuf_release(&data);
        return -1;
    }
    /* cli.ReadPassphraseFile: the first line, as gpg(1) reads it. */
    const char *text = data.data != NULL ? data.data : "";
    const char *nl = memchr(text, '\n', data.len);
    *out = strndup(text, nl != NULL ? (size_t)(nl - text) : data.len);
    strbuf_release(&data);
    if (*out == NULL)
        snprintf(err, errcap, "out of memory");
    return *out != NULL ? 0 : -1;
}

int sign_passphrase_prompt(const char *key_file, int confirm, char **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!isatty(0)) {
        snprintf(err, errcap, "Cannot prompt for a passphrase for key %s, standard input is not a TTY", key_file);
        return -1;
    }
    char prompt[1200];
    snprintf(prompt, sizeof(prompt), "Passphrase for key %s: ", key_file);
    char *first = app_read_line(prompt, 1);
    if (first == NULL) {
        snprintf(err, errcap, "Error reading password: EOF");
        return -1;
    }
    if (confirm) {
        snprintf(prompt, sizeof(prompt), "Repeat the passphrase for key %s: ", key_file);
        char *again = app_read_line(prompt, 1);
        int same = again != NULL && strcmp(first, again) == 0;
        free(again);
        if (!same) {
            free(first);
            snprintf(err, errcap, "Passphrases for key %s do not match", key_file);
            return -1;
        }
    }
    *out = first;
    return 0;
}

/* Adds a sigstore key and its passphrase (from passphrase_file, else the
 * terminal) to opts. */
static int sign_add_sigstore_key(ferry_app *app, copy_options *opts, const char *key_file, const char *passphrase_file,
                                 char *err, size_t errcap)
{
    char *pass = NULL;
    if ((passphrase_file != NULL ? sign_passphrase_file(passphrase_file, &pass, err, errcap)
                                 : sign_passphrase_prompt(key_file, 0, &pass, err, errcap)) != 0)
        return -1;
    const char *kept = app_keep_string(app, pass);
    const char *kept_file = app_keep_string(app, strdup(key_file));
    if (kept == NULL || kept_file == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    opts->sigstore_keys[opts->n_sigstore_keys].key_file = kept_file;
    opts->sigstore_keys[opts->n_sigstore_keys].passphrase = kept;
    opts->n_sigstore_keys++;
    return 0;
}

int sign_flags_apply(ferry_app *app, const opt_parsed *p, copy_options *opts, char *err, size_t errcap)
{
    opts->sign_by = opt_string(p, "sign-by");
    opts->sign_identity = opt_string(p, "sign-identity");
    opts->sign_passphrase_file = opt_string(p, "sign-passphrase-file");
    opts->n_sigstore_keys = 0;
    const char *private_key = opt_string(p, "sign-by-sigstore-private-key");
    const char *param_file = opt_string(p, "sign-by-sigstore");
    if (opts->sign_by != NULL && private_key != NULL && opts->sign_passphrase_file != NULL) {
        snprintf(err, errcap, "Only one of --sign-by and sign-by-sigstore-private-key can be used with "
                 "sign-passphrase-file");
        return -1;
    }
    if (opts->sign_identity != NULL && opts->sign_by == NULL && private_key == NULL && param_file == NULL) {
        snprintf(err, errcap, "--sign-identity needs --sign-by, --sign-by-sigstore-private-key or --sign-by-sigstore");
        return -1;
    }
    /* A parameter file names its own privateKeyPassphraseFile. */
    if (opts->sign_passphrase_file != NULL && opts->sign_by == NULL && private_key == NULL) {
        snprintf(err, errcap, "--sign-passphrase-file needs --sign-by or --sign-by-sigstore-private-key");
        return -1;
    }
    if (private_key != NULL) {
        /* With a sigstore key the passphrase file is that key's (GPG then uses gpg-agent). */
        if (sign_add_sigstore_key(app, opts, private_key, opts->sign_passphrase_file, err, errcap) != 0)
            return -1;
        opts->sign_passphrase_file = NULL;
    }
    if (param_file != NULL) {
        sigstore_params params;
        if (sigstore_params_load(param_file, &params, err, errcap) != 0)
            return -1;
        int rc = sign_add_sigstore_key(app, opts, params.private_key_file, params.private_key_passphrase_file, err,
                                       errcap);
        sigstore_params_release(&params);
        if (rc != 0)
            return -1;
    }
    return 0;
}
