/* tests/abi/needs-newer-core.c — modules that need a newer core than the one
 * they are loaded into, in the two ways the ABI offers (see ferry/abi.h):
 *
 *   default build (needs-newer-core.la): the descriptor says it was built
 *     against ABI 1.99, a newer minor than the core's; the core must refuse
 *     it, naming the file and both versions.
 *   -DREFUSE_IN_INIT (refuses-core.la): the entry point itself finds the core
 *     too old, says why through core->services->log and returns FERRY_ERR_ABI;
 *     the core must report the refusal naming the file.
 * In both cases a reference to the transport fails cleanly with exit code 1.
 */
#include <ferry/ferry.h>

#include <stddef.h>

#define NEEDED_MINOR 99

#ifdef REFUSE_IN_INIT
#define MODULE_NAME "refuses-core"
#else
#define MODULE_NAME "needs-newer-core"
#endif

static int t_validate(ferry_ctx *ctx, const char *reference)
{
    (void)ctx;
    (void)reference;
    return FERRY_OK;
}

static const ferry_transport transport = {
    .struct_size = sizeof(ferry_transport),
    .name = MODULE_NAME,
    .description = "test module that refuses an older core",
    .capabilities = 0,
    .validate_reference = t_validate,
};

static const ferry_transport *const transports[] = {&transport, NULL};

static const ferry_module module = {
    .struct_size = sizeof(ferry_module),
    .abi_major = FERRY_ABI_MAJOR,
#ifdef REFUSE_IN_INIT
    .abi_minor = FERRY_ABI_MINOR,
#else
    .abi_minor = NEEDED_MINOR,
#endif
    .name = MODULE_NAME,
    .version = "0.0.1",
    .license = "Apache-2.0",
    .transports = transports,
};

static int refuse_init(const ferry_core *core, const ferry_module **out)
{
#ifdef REFUSE_IN_INIT
    if (core->abi_major != 1 || core->abi_minor < NEEDED_MINOR) {
        core->services->log(NULL, FERRY_LOG_ERROR,
                            MODULE_NAME ": this module needs ferry ABI 1.%d, the core has %u.%u", NEEDED_MINOR,
                            (unsigned)core->abi_major, (unsigned)core->abi_minor);
        return FERRY_ERR_ABI;
    }
#else
    (void)core;
#endif
    *out = &module;
    return FERRY_OK;
}

FERRY_MODULE_DEFINE(refuse_init)
