/* core/main.c — ferry's entry point: global flags, signal handling, command
 * dispatch. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/credentials.h"
#include "cli/commands.h"
#include "config/registries_conf.h"
#include "policy/policy.h"

/* The skopeo release whose behaviour ferry follows (its flags, output and
 * wording; exit status as skopeo 1.10+ documents it), for --version. */
#define FERRY_FOLLOWS_SKOPEO "skopeo 1.9.3 (containers/image 5.23.1)"

/* Set from the signal handler: the one piece of process-wide mutable state
 * besides the plugin registry, because a handler has nowhere else to write. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = 1;
    /* A second signal ends the process the default way. */
    signal(sig, SIG_DFL);
}

static const command commands[] = {
    {"copy", "Copy an IMAGE-NAME from one location to another", cmd_copy},
    {"delete", "Delete image IMAGE-NAME", cmd_delete},
    {"generate-sigstore-key", "Generate a sigstore public/private key pair", cmd_generate_sigstore_key},
    {"inspect", "Inspect image IMAGE-NAME", cmd_inspect},
    {"list-tags", "List tags in the transport/repository specified by the SOURCE-IMAGE", cmd_list_tags},
    {"list-transports", "List the transport modules ferry can load, with versions and files", cmd_list_transports},
    {"login", "Login to a container registry", cmd_login},
    {"logout", "Logout of a container registry", cmd_logout},
    {"manifest-digest", "Compute a manifest digest of a file", cmd_manifest_digest},
    {"standalone-sign", "Create a signature using local files", cmd_standalone_sign},
    {"standalone-verify", "Verify a signature using local files", cmd_standalone_verify},
    {"sync", "Synchronize one or more images from one location to another", cmd_sync},
};

static void print_help(void)
{
    printf("Various operations with container images and container image registries\n\n"
           "Usage:\n  ferry [flags]\n  ferry [command]\n\nAvailable Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        printf("  %-22s %s\n", commands[i].name, commands[i].summary);
    printf("  %-22s %s\n\nFlags:\n", "help", "Help about any command");
    const opt_spec *tables[] = {global_option_specs};
    opt_print_help(tables, 1);
    printf("%-44s %s\n", "  -h, --help", "help for ferry");
    printf("\nUse \"ferry [command] --help\" for more information about a command.\n");
}

/* Index of the command name: the first argument that is neither a global
 * flag nor the value of one. */
static int find_command(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0)
            return i;
        if (strcmp(a, "--") == 0)
            return i + 1 < argc ? i + 1 : -1;
        if (a[1] == '-' && strchr(a, '=') == NULL) {
            for (const opt_spec *s = global_option_specs; s->name != NULL; s++)
                if (strcmp(a + 2, s->name) == 0 && s->type != OPT_BOOL)
                    i++;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    ferry_app app;
    memset(&app, 0, sizeof(app));
    app.session.tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
    app.session.interrupted = &interrupted;

    int cmd_index = find_command(argc, argv);
    int n_global = (cmd_index < 0 ? argc : cmd_index) - 1;
    char err[1024] = "";
    const opt_spec *tables[] = {global_option_specs};
    if (opt_parse(&app.globals, tables, 1, n_global, argv + 1, err, sizeof(err)) != 0 ||
        app_apply_globals(&app, &app.globals, err, sizeof(err)) != 0) {
        opt_release(&app.globals);
        return app_fail_text(err);
    }
    int code = 0;
    if (opt_bool(&app.globals, "version")) {
        /* The second line tells scripts which skopeo to expect ferry to
         * behave as (FERRY_FOLLOWS_SKOPEO above). */
        printf("ferry version %s\nfollows %s\n", PACKAGE_VERSION, FERRY_FOLLOWS_SKOPEO);
        goto out;
    }
    if (cmd_index < 0) {
        print_help();
        code = app.globals.help ? 0 : 1;
        goto out;
    }
    const char *name = argv[cmd_index];
    /* "ferry help COMMAND" is "ferry COMMAND --help", as in skopeo. */
    int help_for_command = strcmp(name, "help") == 0 && cmd_index + 1 < argc;
    if (strcmp(name, "help") == 0 && !help_for_command) {
        print_help();
        goto out;
    }
    if (help_for_command)
        name = argv[++cmd_index];
    const command *cmd = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        snprintf(err, sizeof(err), "unrecognized command `%s`; try 'ferry --help' for more information", name);
        code = app_fail_text(err);
        goto out;
    }
    if (registry_init(&app.registry) != 0) {
        code = app_fail_text("cannot initialise the transport module loader");
        goto out;
    }
    /* A broken registries.conf fails only what uses it (docker://), with
     * the file's own message: the modules ask for "registries-conf-error". */
    app.session.registries = registries_conf_load();
    app.session.creds = cred_store_new(app.session.registries);
    static char help_flag[] = "--help";
    char *help_argv[] = {help_flag, NULL};
    code = help_for_command ? cmd->run(&app, cmd, 1, help_argv)
                            : cmd->run(&app, cmd, argc - cmd_index - 1, argv + cmd_index + 1);
    registry_free(&app.registry);
    policy_free(app.policy);
    cred_store_free(app.session.creds);
    registries_conf_free((registries_conf *)app.session.registries);
out:
    for (size_t i = 0; i < app.n_owned; i++)
        free(app.owned[i]);
    opt_release(&app.globals);
    if (code == 0 && interrupted)
        code = 1;
    return code;
}
