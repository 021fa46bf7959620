/* core/plugin/loader.h — the transport registry: finds modules in
 * $FERRY_TRANSPORT_PATH and the installed transports directory, loads them with
 * libltdl (local binding), negotiates the ABI version and hands out their
 * transports. The registry is the only mutable state the core shares. */
#ifndef FERRY_CORE_LOADER_H
#define FERRY_CORE_LOADER_H

#include <stddef.h>

#include <ferry/transport.h>

typedef struct loaded_module {
    char *path;                 /* file the module was loaded from */
    void *handle;               /* lt_dlhandle */
    const ferry_module *module; /* owned by the module */
} loaded_module;

typedef struct transport_registry {
    char **dirs; /* search directories, in order */
    size_t n_dirs;
    loaded_module *modules;
    size_t n_modules;
} transport_registry;

/* Reads FERRY_TRANSPORT_PATH; 0 or -1 (out of memory / ltdl failure). */
int registry_init(transport_registry *reg);
void registry_free(transport_registry *reg);

/* Returns the transport `name`, loading NAME.la / NAME.so from the first
 * directory that has one. NULL with a one-line message in err naming the
 * transport and the places searched, or the file and the version problem. */
const ferry_transport *registry_find(transport_registry *reg, const char *name, char *err, size_t errcap);

/* Loads every module in every search directory. For each file that fails,
 * calls on_error with its message. Returns the number of modules loaded. */
size_t registry_load_all(transport_registry *reg, void (*on_error)(void *opaque, const char *message),
                         void *opaque);

/* Module that provides `transport` (for listing), or NULL. */
const loaded_module *registry_module_of(const transport_registry *reg, const ferry_transport *transport);

#endif
