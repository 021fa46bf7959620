/* core/cli/cmd_pending.c — commands of skopeo that ferry does not offer yet.
 * They say so and fail, rather than pretending to work. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_pending(ferry_app *app, const command *cmd, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && (argv[i][1] == 'h' || (argv[i][1] == '-' && argv[i][2] == 'h'))) {
            printf("%s\n\nThis command is not available in ferry %s yet.\n", cmd->summary, PACKAGE_VERSION);
            return 0;
        }
    }
    fprintf(stderr, "ferry: the %s command is not available in ferry %s yet\n", cmd->name, PACKAGE_VERSION);
    return 1;
}
