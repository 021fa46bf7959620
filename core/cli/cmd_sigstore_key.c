/* core/cli/cmd_sigstore_key.c — `ferry generate-sigstore-key`, skopeo
 * 1.10's command: a new ECDSA P-256 key pair written to PREFIX.private
 * (encrypted with the passphrase, in the format cosign and containers/image
 * read; sigstore_key.h) and PREFIX.pub. Existing files are never
 * overwritten; the passphrase is the --passphrase-file's first line, else
 * asked twice on the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/goerrno.h"
#include "cli/commands.h"
#include "shared/fsutil.h"
#include "signature/sigstore_key.h"

static const opt_spec generate_sigstore_key_specs[] = {
    {"output-prefix", 0, OPT_STRING, "PREFIX", "Write the keys to PREFIX.pub and PREFIX.private"},
    {"passphrase-file", 0, OPT_STRING, "PATH", "Read a passphrase for the private key from PATH"},
    {NULL, 0, 0, NULL, NULL},
};

/* ensurePathDoesNotExist */
static int sigstore_key_path_free(const char *path, char *err, size_t errcap)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        snprintf(err, errcap, "Refusing to overwrite existing \"%s\"", path);
    } else if (errno != ENOENT) {
        char why[128];
        snprintf(err, errcap, "Error checking existence of \"%s\": %s", path, go_errno_text(errno, why, sizeof(why)));
    } else {
        return 0;
    }
    return -1;
}

/* Creates path (never replacing a file that appeared meanwhile) with data. */
static int sigstore_key_write(const char *what, const char *path, const strbuf *data, mode_t mode, char *err,
                              size_t errcap)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0 && fs_write_all(fd, data->data, data->len) == 0 && close(fd) == 0)
        return 0;
    char why[128];
    snprintf(err, errcap, "Error writing %s key to \"%s\": %s", what, path,
             go_errno_text(errno, why, sizeof(why)));
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    return -1;
}

int cmd_generate_sigstore_key(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    int code = 0;
    const opt_spec *tables[] = {generate_sigstore_key_specs};
    if (command_parse(app, cmd, "ferry generate-sigstore-key [command options] --output-prefix PREFIX", tables, 1,
                      argc, argv, &p, &code) != 0)
        return code;
    const char *prefix = opt_string(&p, "output-prefix");
    const char *passphrase_file = opt_string(&p, "passphrase-file");
    if (p.n_args != 0 || prefix == NULL || *prefix == '\0') {
        opt_release(&p);
        return app_fail_text("Usage: generate-sigstore-key --output-prefix PREFIX");
    }
    char err[2048], msg[1536];
    char *private_path = NULL, *public_path = NULL, *passphrase = NULL;
    strbuf private_pem = STRBUF_INIT, public_pem = STRBUF_INIT;
    if (asprintf(&private_path, "%s.private", prefix) < 0 || asprintf(&public_path, "%s.pub", prefix) < 0) {
        private_path = public_path = NULL;
        code = app_fail_text("out of memory");
        goto out;
    }
    if (sigstore_key_path_free(public_path, err, sizeof(err)) != 0 ||
        sigstore_key_path_free(private_path, err, sizeof(err)) != 0 ||
        (passphrase_file != NULL ? sign_passphrase_file(passphrase_file, &passphrase, err, sizeof(err))
                                 : sign_passphrase_prompt(private_path, 1, &passphrase, err, sizeof(err))) != 0) {
        code = app_fail_text(err);
        goto out;
    }
    if (sigstore_key_generate(passphrase, strlen(passphrase), &private_pem, &public_pem, msg, sizeof(msg)) != 0) {
        snprintf(err, sizeof(err), "Error generating key pair: %s", msg);
        code = app_fail_text(err);
        goto out;
    }
    if (sigstore_key_write("private", private_path, &private_pem, 0600, err, sizeof(err)) != 0) {
        code = app_fail_text(err);
        goto out;
    }
    if (sigstore_key_write("public", public_path, &public_pem, 0644, err, sizeof(err)) != 0) {
        unlink(private_path); /* a pair or nothing */
        code = app_fail_text(err);
        goto out;
    }
    printf("Key written to \"%s\" and \"%s\"\n", private_path, public_path);
out:
    if (passphrase != NULL)
        memset(passphrase, 0, strlen(passphrase));
    free(passphrase);
    free(private_path);
    free(public_path);
    strbuf_release(&private_pem);
    strbuf_release(&public_pem);
    opt_release(&p);
    return code;
}
