/* core/plugin/loader.c — module discovery, loading and ABI negotiation. */
#include "plugin/loader.h"

#include <dirent.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/reference.h"
#include "plugin/services.h"
#include "shared/strbuf.h"

/* Smallest descriptor sizes a 1.0 module can hand us. */
#define MODULE_V1_0_SIZE (offsetof(ferry_module, unload) + sizeof(void *))
#define TRANSPORT_V1_0_SIZE (offsetof(ferry_transport, check_credentials) + sizeof(void *))
#define MODULE_FROZEN_SIZE (offsetof(ferry_module, abi_minor) + sizeof(uint16_t))

static int registry_add_dir(transport_registry *reg, const char *dir, size_t len)
{
    if (len == 0)
        return 0;
    char **dirs = realloc(reg->dirs, (reg->n_dirs + 1) * sizeof(*dirs));
    if (dirs == NULL)
        return -1;
    reg->dirs = dirs;
    reg->dirs[reg->n_dirs] = strndup(dir, len);
    if (reg->dirs[reg->n_dirs] == NULL)
        return -1;
    reg->n_dirs++;
    return 0;
}

int registry_init(transport_registry *reg)
{
    memset(reg, 0, sizeof(*reg));
    if (lt_dlinit() != 0)
        return -1;
    const char *path = getenv("FERRY_TRANSPORT_PATH");
    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (registry_add_dir(reg, path, len) != 0)
            return -1;
        path = colon ? colon + 1 : NULL;
    }
    return registry_add_dir(reg, FERRY_TRANSPORTS_DIR, strlen(FERRY_TRANSPORTS_DIR));
}

void registry_free(transport_registry *reg)
{
    for (size_t i = 0; i < reg->n_modules; i++) {
        if (reg->modules[i].module->unload != NULL)
            reg->modules[i].module->unload();
        lt_dlclose((lt_dlhandle)reg->modules[i].handle);
        free(reg->modules[i].path);
    }
    free(reg->modules);
    for (size_t i = 0; i < reg->n_dirs; i++)
        free(reg->dirs[i]);
    free(reg->dirs);
    memset(reg, 0, sizeof(*reg));
    lt_dlexit();
}

static const loaded_module *registry_loaded(const transport_registry *reg, const char *path)
{
    for (size_t i = 0; i < reg->n_modules; i++)
        if (strcmp(reg->modules[i].path, path) == 0)
            return &reg->modules[i];
    return NULL;
}

/* Checks what a module says about itself; the message names file and versions. */
static int module_check(const char *path, const ferry_module *m, char *err, size_t errcap)
{
    if (m == NULL || m->struct_size < MODULE_FROZEN_SIZE) {
        snprintf(err, errcap, "transport module %s: returned no valid module descriptor", path);
        return -1;
    }
    if (m->abi_major != FERRY_ABI_MAJOR || m->abi_minor > FERRY_ABI_MINOR) {
        snprintf(err, errcap,
                 "transport module %s: built for ferry ABI %u.%u, but this ferry provides ABI %d.%d "
                 "(needs major %d, minor <= %d)",
                 path, m->abi_major, m->abi_minor, FERRY_ABI_MAJOR, FERRY_ABI_MINOR, FERRY_ABI_MAJOR,
                 FERRY_ABI_MINOR);
        return -1;
    }
    if (m->struct_size < MODULE_V1_0_SIZE || m->transports == NULL) {
        snprintf(err, errcap, "transport module %s: module descriptor too small (%u bytes) or without transports",
                 path, m->struct_size);
        return -1;
    }
    for (size_t i = 0; m->transports[i] != NULL; i++) {
        const ferry_transport *t = m->transports[i];
        if (t->struct_size < TRANSPORT_V1_0_SIZE || t->name == NULL ||
            !reference_transport_name_is_valid(t->name)) {
            snprintf(err, errcap, "transport module %s: transport #%zu has an invalid descriptor", path, i);
            return -1;
        }
    }
    return 0;
}

static const loaded_module *registry_load(transport_registry *reg, const char *path, char *err, size_t errcap)
{
    const loaded_module *have = registry_loaded(reg, path);
    if (have != NULL)
        return have;

    lt_dladvise advise;
    if (lt_dladvise_init(&advise) != 0 || lt_dladvise_local(&advise) != 0) {
        snprintf(err, errcap, "transport module %s: cannot set up the module loader", path);
        return NULL;
    }
    lt_dlhandle handle = lt_dlopenadvise(path, advise);
    lt_dladvise_destroy(&advise);
    if (handle == NULL) {
        const char *why = lt_dlerror();
        snprintf(err, errcap, "transport module %s: cannot be loaded: %s", path, why ? why : "unknown error");
        return NULL;
    }
    ferry_module_init_fn init;
    void *sym = lt_dlsym(handle, FERRY_MODULE_ENTRY_SYMBOL);
    memcpy(&init, &sym, sizeof(init));
    if (sym == NULL) {
        snprintf(err, errcap, "transport module %s: not a ferry transport module (no %s symbol)", path,
                 FERRY_MODULE_ENTRY_SYMBOL);
        lt_dlclose(handle);
        return NULL;
    }
    const ferry_module *module = NULL;
    int rc = init(services_core(), &module);
    if (rc != FERRY_OK) {
        snprintf(err, errcap, "transport module %s: refused to initialise with this ferry (ABI %d.%d, status %d)",
                 path, FERRY_ABI_MAJOR, FERRY_ABI_MINOR, rc);
        lt_dlclose(handle);
        return NULL;
    }
    if (module_check(path, module, err, errcap) != 0) {
        lt_dlclose(handle);
        return NULL;
    }
    loaded_module *mods = realloc(reg->modules, (reg->n_modules + 1) * sizeof(*mods));
    char *copy = strdup(path);
    if (mods == NULL || copy == NULL) {
        free(copy);
        if (mods != NULL)
            reg->modules = mods;
        snprintf(err, errcap, "out of memory");
        lt_dlclose(handle);
        return NULL;
    }
    reg->modules = mods;
    mods[reg->n_modules] = (loaded_module){.path = copy, .handle = handle, .module = module};
    return &mods[reg->n_modules++];
}

static const ferry_transport *module_transport(const loaded_module *lm, const char *name)
{
    for (size_t i = 0; lm->module->transports[i] != NULL; i++)
        if (strcmp(lm->module->transports[i]->name, name) == 0)
            return lm->module->transports[i];
    return NULL;
}

/* The in-tree transports packaged apart from the ferry executable (debian/,
 * ferry.spec: one package per module, the two archive transports in one),
 * so that a reference to one that is not installed names the package to
 * install rather than looking like a typo. dir: and oci: ship with the
 * executable; a missing one is a broken install, for which the directories
 * searched say more. Third-party transports are not known here. */
static const char *transport_package(const char *transport)
{
    /* configure --with-transport-packages=PREFIX (default ferry-transport-;
     * empty when configured with =no: no hint). */
    if (FERRY_TRANSPORT_PACKAGE_PREFIX[0] == '\0')
        return NULL;
    static const struct {
        const char *transport, *package;
    } packaged[] = {
        {"docker", "docker"},
        {"docker-archive", "archives"},
        {"oci-archive", "archives"},
        {"tarball", "archives"},
        {"docker-daemon", "docker-daemon"},
        {"containers-storage", "containers-storage"},
        {"ostree", "ostree"},
        {"sif", "sif"},
    };
    for (size_t i = 0; i < sizeof(packaged) / sizeof(packaged[0]); i++)
        if (strcmp(packaged[i].transport, transport) == 0)
            return packaged[i].package;
    return NULL;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const ferry_transport *registry_find(transport_registry *reg, const char *name, char *err, size_t errcap)
{
    if (!reference_transport_name_is_valid(name)) {
        snprintf(err, errcap, "\"%s\" is not a valid transport name", name);
        return NULL;
    }
    for (size_t i = 0; i < reg->n_modules; i++) {
        const ferry_transport *t = module_transport(&reg->modules[i], name);
        if (t != NULL)
            return t;
    }
    static const char *const suffixes[] = {".la", ".so"};
    for (size_t d = 0; d < reg->n_dirs; d++) {
        for (size_t s = 0; s < 2; s++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s%s", reg->dirs[d], name, suffixes[s]);
            if (!file_exists(path))
                continue;
            const loaded_module *lm = registry_load(reg, path, err, errcap);
            if (lm == NULL)
                return NULL;
            const ferry_transport *t = module_transport(lm, name);
            if (t == NULL)
                snprintf(err, errcap, "transport module %s does not provide transport \"%s\"", path, name);
            return t;
        }
    }
    /* A module may declare transports its file is not named after (several
     * in one file, or a renamed file): list-transports shows them, so they
     * must be usable too. Only a miss pays for loading every module. */
    registry_load_all(reg, NULL, NULL);
    for (size_t i = 0; i < reg->n_modules; i++) {
        const ferry_transport *t = module_transport(&reg->modules[i], name);
        if (t != NULL)
            return t;
    }
    strbuf where = STRBUF_INIT;
    for (size_t d = 0; d < reg->n_dirs; d++)
        strbuf_printf(&where, "%s%s", d ? ", " : "", reg->dirs[d]);
    const char *package = transport_package(name);
    if (package != NULL)
        snprintf(err, errcap, "transport %s is not installed (package %s%s): no module %s.so found in %s", name,
                 FERRY_TRANSPORT_PACKAGE_PREFIX, package, name, where.data ? where.data : "(no directories)");
    else
        snprintf(err, errcap, "unknown transport \"%s\": no module %s.so found in %s (FERRY_TRANSPORT_PATH, then the "
                 "installed transports)", name, name, where.data ? where.data : "(no directories)");
    strbuf_release(&where);
    return NULL;
}

static int module_file_name(const char *file, char *stem, size_t cap)
{
    size_t n = strlen(file);
    if (n > 3 && (strcmp(file + n - 3, ".la") == 0 || strcmp(file + n - 3, ".so") == 0) && n - 3 < cap &&
        file[0] != '.') {
        memcpy(stem, file, n - 3);
        stem[n - 3] = '\0';
        return 1;
    }
    return 0;
}

size_t registry_load_all(transport_registry *reg, void (*on_error)(void *opaque, const char *message), void *opaque)
{
    size_t loaded = 0;
    for (size_t d = 0; d < reg->n_dirs; d++) {
        DIR *dir = opendir(reg->dirs[d]);
        if (dir == NULL)
            continue;
        struct dirent *e;
        char seen[64][TRANSPORT_NAME_MAX];
        size_t n_seen = 0;
        while ((e = readdir(dir)) != NULL) {
            char stem[TRANSPORT_NAME_MAX];
            if (!module_file_name(e->d_name, stem, sizeof(stem)))
                continue;
            /* NAME.la and NAME.so are one module; prefer the .la like registry_find. */
            int dup = 0;
            for (size_t i = 0; i < n_seen; i++)
                dup |= strcmp(seen[i], stem) == 0;
            if (dup || n_seen == 64)
                continue;
            memcpy(seen[n_seen++], stem, sizeof(stem));
            char path[4096], err[1024];
            snprintf(path, sizeof(path), "%s/%s.la", reg->dirs[d], stem);
            if (!file_exists(path))
                snprintf(path, sizeof(path), "%s/%s.so", reg->dirs[d], stem);
            if (registry_load(reg, path, err, sizeof(err)) != NULL)
                loaded++;
            else if (on_error != NULL)
                on_error(opaque, err);
        }
        closedir(dir);
    }
    return loaded;
}

const loaded_module *registry_module_of(const transport_registry *reg, const ferry_transport *transport)
{
    for (size_t i = 0; i < reg->n_modules; i++)
        for (size_t j = 0; reg->modules[i].module->transports[j] != NULL; j++)
            if (reg->modules[i].module->transports[j] == transport)
                return &reg->modules[i];
    return NULL;
}
