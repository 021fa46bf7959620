/* core/cli/commands.h — the subcommands. Each parses its own flags (plus the
 * global ones, which may also follow the command name) and returns the
 * process exit code. */
#ifndef FERRY_CORE_COMMANDS_H
#define FERRY_CORE_COMMANDS_H

#include "cli/globals.h"

typedef struct command {
    const char *name;
    const char *summary;
    int (*run)(ferry_app *app, const struct command *cmd, int argc, char **argv);
} command;

int cmd_copy(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_inspect(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_manifest_digest(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_list_transports(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_delete(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_list_tags(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_login(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_logout(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_sync(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_standalone_sign(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_standalone_verify(ferry_app *app, const command *cmd, int argc, char **argv);
int cmd_generate_sigstore_key(ferry_app *app, const command *cmd, int argc, char **argv);

/* copy_flags.c: the flags copy and sync share into both sides' options and
 * *opts (all but report and the out members). 0, or -1 with a one-line
 * message in err. */
int copy_flags_apply(ferry_app *app, const opt_parsed *p, ctx_options *src_opts, ctx_options *dst_opts,
                     copy_options *opts, char *err, size_t errcap);

/* sign_flags.c: --sign-by, --sign-identity, --sign-passphrase-file,
 * --sign-by-sigstore-private-key and --sign-by-sigstore into *opts, sigstore
 * passphrases read now (file or terminal). 0, or -1 with a one-line message. */
int sign_flags_apply(ferry_app *app, const opt_parsed *p, copy_options *opts, char *err, size_t errcap);

/* cli.ReadPassphraseFile: the file's first line (malloc'd in *out). */
int sign_passphrase_file(const char *path, char **out, char *err, size_t errcap);

/* promptForPassphrase: "Passphrase for key KEY_FILE: " on the terminal, echo
 * off; confirm asks twice and refuses a mismatch. Without a terminal: "Cannot
 * prompt for a passphrase for key F, standard input is not a TTY". */
int sign_passphrase_prompt(const char *key_file, int confirm, char **out, char *err, size_t errcap);

/* Parses argv with the command's tables plus the global flags, applies the
 * globals, and handles --help. Returns -1 when the caller should return
 * *exit_code (help printed or a usage error), else 0. */
int command_parse(ferry_app *app, const command *cmd, const char *usage, const opt_spec *const *tables,
                  size_t n_tables, int argc, char **argv, opt_parsed *out, int *exit_code);

#endif
