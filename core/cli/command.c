/* core/cli/command.c — flag parsing shared by every command. */
#include <stdio.h>

#include "cli/commands.h"

int command_parse(ferry_app *app, const command *cmd, const char *usage, const opt_spec *const *tables,
                  size_t n_tables, int argc, char **argv, opt_parsed *out, int *exit_code)
{
    const opt_spec *all[8];
    size_t n = 0;
    for (size_t i = 0; i < n_tables && n < 7; i++)
        all[n++] = tables[i];
    all[n++] = global_option_specs;
    char err[1024] = "";
    if (opt_parse(out, all, n, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "ferry %s: %s\n", cmd->name, err);
        *exit_code = 1;
        return -1;
    }
    if (out->help) {
        app_print_usage(usage, cmd->summary, tables, n_tables);
        *exit_code = 0;
        return -1;
    }
    if (app_apply_globals(app, out, err, sizeof(err)) != 0) {
        *exit_code = app_fail_text(err);
        return -1;
    }
    return 0;
}
