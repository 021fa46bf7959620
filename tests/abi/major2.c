/* tests/abi/major2.c — a module whose descriptor says it speaks ferry ABI 2.0.
 * A 1.x core must refuse to use it, with a message naming the module file and
 * both ABI versions, and without calling anything beyond the entry point.
 * The descriptor keeps the frozen header layout (struct_size, abi_major,
 * abi_minor) that every ABI major shares; nothing after it may be trusted by
 * a 1.x core, so the transport table is deliberately a trap.
 */
#include <ferry/ferry.h>

#include <stdlib.h>

/* Would crash a core that wrongly walked the transport list of a 2.x module. */
static const ferry_transport *const bogus_transports[] = {(const ferry_transport *)16, NULL};

static const ferry_module module = {
    .struct_size = sizeof(ferry_module),
    .abi_major = 2,
    .abi_minor = 0,
    .name = "major2",
    .version = "2.0.0",
    .license = "Apache-2.0",
    .transports = bogus_transports,
};

static int major2_init(const ferry_core *core, const ferry_module **out)
{
    (void)core;
    *out = &module;
    return FERRY_OK;
}

FERRY_MODULE_DEFINE(major2_init)
