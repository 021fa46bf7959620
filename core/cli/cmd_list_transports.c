/* core/cli/cmd_list_transports.c — `ferry list-transports`: every module
 * found, with transport names, versions, ABI, capabilities and file, for
 * packagers and bug reports. Modules that fail to load are reported on
 * stderr; the others are still listed and the command succeeds. */
#include <stdio.h>

#include "cli/commands.h"

static void report_broken(void *opaque, const char *message)
{
    int *broken = opaque;
    (*broken)++;
    fprintf(stderr, "ferry: warning: %s\n", message);
}

static void print_capabilities(uint64_t caps)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {
        {FERRY_CAP_SOURCE, "read"},           {FERRY_CAP_DESTINATION, "write"},
        {FERRY_CAP_PARALLEL_GET, "parallel-get"}, {FERRY_CAP_PARALLEL_PUT, "parallel-put"},
        {FERRY_CAP_BLOB_REUSE, "reuse"},      {FERRY_CAP_CROSS_REPO_MOUNT, "mount"},
        {FERRY_CAP_LAYERS_IN_ORDER, "in-order"}, {FERRY_CAP_NEEDS_UNCOMPRESSED, "uncompressed"},
        {FERRY_CAP_COMPUTES_DIFFIDS, "diffids"}, {FERRY_CAP_NEEDS_BLOB_SIZE, "sized"},
        {FERRY_CAP_SIGNATURES, "signatures"}, {FERRY_CAP_MULTI_IMAGE, "multi-image"},
        {FERRY_CAP_MANIFEST_LISTS, "lists"},  {FERRY_CAP_DELETE, "delete"},
        {FERRY_CAP_LIST_TAGS, "list-tags"},    {FERRY_CAP_UNCOMPRESSED_LAYERS, "serves-uncompressed"},
    };
    int first = 1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (caps & names[i].bit) {
            printf("%s%s", first ? "" : ",", names[i].name);
            first = 0;
        }
}

int cmd_list_transports(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry list-transports", NULL, 0, argc, argv, &p, &code) != 0)
        return code;
    if (p.n_args != 0) {
        opt_release(&p);
        return app_fail_text("list-transports takes no arguments");
    }
    int broken = 0;
    registry_load_all(&app->registry, report_broken, &broken);
    printf("%-20s %-10s %-5s %-60s %s\n", "TRANSPORT", "VERSION", "ABI", "FILE", "CAPABILITIES");
    for (size_t i = 0; i < app->registry.n_modules; i++) {
        const loaded_module *lm = &app->registry.modules[i];
        for (size_t j = 0; lm->module->transports[j] != NULL; j++) {
            const ferry_transport *t = lm->module->transports[j];
            char abi[16];
            snprintf(abi, sizeof(abi), "%u.%u", lm->module->abi_major, lm->module->abi_minor);
            printf("%-20s %-10s %-5s %-60s ", t->name, lm->module->version ? lm->module->version : "?", abi,
                   lm->path);
            print_capabilities(t->capabilities);
            printf("\n");
        }
    }
    printf("\nsearched: ");
    for (size_t d = 0; d < app->registry.n_dirs; d++)
        printf("%s%s", d ? ":" : "", app->registry.dirs[d]);
    printf("\n");
    opt_release(&p);
    return 0;
}
