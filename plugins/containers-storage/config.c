/* plugins/containers-storage/config.c — where the store is: storage.conf found
 * and read as containers/storage 1.43 (types/options.go, types/utils.go) does
 * for skopeo 1.9.3, through libferryshared's TOML reader.
 *
 * The user is $_CONTAINERS_ROOTLESS_UID, else the effective UID. The system
 * file is $CONTAINERS_STORAGE_CONF when set (it must exist), else
 * $XDG_CONFIG_HOME/containers/storage.conf when that exists (for root too),
 * else /etc/containers/storage.conf, else /usr/share/containers/storage.conf.
 *
 * root: the system file's [storage] driver/graphroot/runroot, defaulting to
 * /var/lib/containers/storage and /run/containers/storage. (containers/storage
 * itself refuses a $CONTAINERS_STORAGE_CONF without runroot, "runroot must be
 * set", a quirk of its option caching; ferry uses the default.)
 *
 * Other users: the user file is $CONTAINERS_STORAGE_CONF, else
 * $XDG_CONFIG_HOME/containers/storage.conf, else ~/.config/containers/storage.conf.
 * When it exists, its settings are used, with rootless defaults for what it
 * leaves out (the graph root from its rootless_storage_path first). When it
 * does not, the rootless defaults: run root RUNTIME/containers (RUNTIME is
 * $XDG_RUNTIME_DIR, else /run/user/UID when owned by the user and /proc/1/comm
 * is unreadable, else $TMPDIR/containers-user-UID, else $HOME/rundir), graph
 * root the system file's rootless_storage_path or $XDG_DATA_HOME (else
 * ~/.local/share)/containers/storage, the system file's driver when it is one
 * usable rootless (btrfs, overlay, vfs), else "vfs"; no image stores.
 *
 * $STORAGE_DRIVER overrides the driver, "overlay2" means "overlay". A driver
 * still unset means "overlay": containers/storage would probe the drivers in
 * its priority order; ferry supports overlay and vfs and takes overlay (the
 * store code falls back as cs.h says). Paths have $UID and environment
 * variables expanded and symbolic links resolved, as expandEnvPath does. */
#include "cs.h"
#include "plugin_util.h"
#include "shared/toml.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CS_ROOT_GRAPHROOT "/var/lib/containers/storage"
#define CS_ROOT_RUNROOT "/run/containers/storage"
#define CS_ETC_CONF "/etc/containers/storage.conf"
#define CS_USR_CONF "/usr/share/containers/storage.conf"

/* What one storage.conf says; strings malloc'd, NULL when not set. */
typedef struct cs_conf_file {
    char *driver, *graphroot, *runroot, *rootless_storage_path, *mount_program, *ignore_chown_errors, *force_mask;
    char **stores;
    size_t n_stores;
} cs_conf_file;

static void cs_conf_file_free(cs_conf_file *f)
{
    char **owned[] = {&f->driver,        &f->graphroot,           &f->runroot,   &f->rootless_storage_path,
                      &f->mount_program, &f->ignore_chown_errors, &f->force_mask};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(*owned[i]);
    for (size_t i = 0; i < f->n_stores; i++)
        free(f->stores[i]);
    free(f->stores);
    memset(f, 0, sizeof *f);
}

/* 1 when path exists, 0 when it does not, -1 (errno) when stat fails otherwise. */
static int cs_exists(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return 1;
    return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

static const char *cs_env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* tbl[key] as a string copy into *out (unset: left NULL); "" counts as unset,
 * as containers/storage ignores empty settings. */
static int cs_conf_string(const json_t *tbl, const char *key, const char *path, const char *section, char **out,
                          char *err, size_t errcap)
{
    const json_t *v = json_object_get(tbl, key);
    if (v == NULL)
        return FERRY_OK;
    if (!json_is_string(v)) {
        snprintf(err, errcap, "%s: [%s] %s must be a string", path, section, key);
        return FERRY_ERR_INVALID;
    }
    if (json_string_length(v) == 0)
        return FERRY_OK;
    if ((*out = strdup(json_string_value(v))) == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    return FERRY_OK;
}

static int cs_conf_table(const json_t *parent, const char *key, const char *path, const char *section,
                         const json_t **out, char *err, size_t errcap)
{
    *out = json_object_get(parent, key);
    if (*out != NULL && !json_is_object(*out)) {
        snprintf(err, errcap, "%s: [%s] must be a table", path, section);
        return FERRY_ERR_INVALID;
    }
    return FERRY_OK;
}

/* [storage.options] additionalimagestores: an array of strings. */
static int cs_conf_stores(const json_t *opts, const char *path, cs_conf_file *f, char *err, size_t errcap)
{
    const json_t *arr = json_object_get(opts, "additionalimagestores");
    if (arr == NULL)
        return FERRY_OK;
    if (!json_is_array(arr)) {
        snprintf(err, errcap, "%s: [storage.options] additionalimagestores must be an array of strings", path);
        return FERRY_ERR_INVALID;
    }
    if (json_array_size(arr) > 0 && (f->stores = calloc(json_array_size(arr), sizeof *f->stores)) == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            snprintf(err, errcap, "%s: [storage.options] additionalimagestores must be an array of strings", path);
            return FERRY_ERR_INVALID;
        }
        if ((f->stores[f->n_stores] = strdup(json_string_value(v))) == NULL) {
            snprintf(err, errcap, "out of memory");
            return FERRY_ERR_NO_MEMORY;
        }
        f->n_stores++;
    }
    return FERRY_OK;
}

/* Reads the settings ferry uses from the storage.conf at path. */
static int cs_conf_read(const char *path, cs_conf_file *f, char *err, size_t errcap)
{
    memset(f, 0, sizeof *f);
    json_t *root = toml_parse_file(path, err, errcap);
    if (root == NULL)
        return FERRY_ERR_INVALID;
    const json_t *storage, *opts = NULL, *overlay = NULL;
    int status = cs_conf_table(root, "storage", path, "storage", &storage, err, errcap);
    if (status == FERRY_OK && storage != NULL)
        status = cs_conf_table(storage, "options", path, "storage.options", &opts, err, errcap);
    if (status == FERRY_OK && opts != NULL)
        status = cs_conf_table(opts, "overlay", path, "storage.options.overlay", &overlay, err, errcap);
    const struct {
        const json_t *tbl;
        const char *section, *key;
        char **out;
    } fields[] = {
        {storage, "storage", "driver", &f->driver},
        {storage, "storage", "graphroot", &f->graphroot},
        {storage, "storage", "runroot", &f->runroot},
        {storage, "storage", "rootless_storage_path", &f->rootless_storage_path},
        /* the overlay table's mount_program first, as GetGraphDriverOptions takes it */
        {overlay, "storage.options.overlay", "mount_program", &f->mount_program},
        {opts, "storage.options", "mount_program", &f->mount_program},
        {overlay, "storage.options.overlay", "ignore_chown_errors", &f->ignore_chown_errors},
        {opts, "storage.options", "ignore_chown_errors", &f->ignore_chown_errors},
        {overlay, "storage.options.overlay", "force_mask", &f->force_mask},
        {opts, "storage.options", "force_mask", &f->force_mask},
    };
    for (size_t i = 0; status == FERRY_OK && i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].tbl != NULL && *fields[i].out == NULL)
            status = cs_conf_string(fields[i].tbl, fields[i].key, path, fields[i].section, fields[i].out, err, errcap);
    if (status == FERRY_OK && opts != NULL)
        status = cs_conf_stores(opts, path, f, err, errcap);
    json_decref(root);
    if (status != FERRY_OK)
        cs_conf_file_free(f);
    return status;
}

/* os.ExpandEnv after $UID is replaced: $NAME and ${NAME}, unset ones empty. */
static char *cs_expand_vars(const char *s, unsigned uid)
{
    char *out = strdup("");
    while (out != NULL && *s != '\0') {
        const char *dollar = strchr(s, '$');
        size_t lit = dollar != NULL ? (size_t)(dollar - s) : strlen(s);
        const char *name = NULL, *next = s + lit;
        size_t nlen = 0;
        if (dollar != NULL) {
            int braced = dollar[1] == '{';
            name = dollar + 1 + braced;
            while (name[nlen] == '_' || (name[nlen] >= '0' && name[nlen] <= '9') ||
                   ((name[nlen] | 0x20) >= 'a' && (name[nlen] | 0x20) <= 'z'))
                nlen++;
            if (nlen == 0 || (braced && name[nlen] != '}')) {
                lit++; /* not a variable: the '$' stays */
                name = NULL;
                next = dollar + 1;
            } else {
                next = name + nlen + braced;
            }
        }
        char val[32] = "";
        const char *value = "";
        if (name != NULL && nlen == 3 && strncmp(name, "UID", 3) == 0) {
            snprintf(val, sizeof val, "%u", uid);
            value = val;
        } else if (name != NULL) {
            char *key = strndup(name, nlen);
            const char *v = key != NULL ? getenv(key) : NULL;
            free(key);
            value = v != NULL ? v : "";
        }
        char *joined = plugin_util_printf("%s%.*s%s", out, (int)lit, s, value);
        free(out);
        out = joined;
        s = next;
    }
    return out;
}

/* expandEnvPath: variables expanded, then symbolic links resolved. */
static char *cs_expand_path(const char *path, unsigned uid)
{
    char *expanded = cs_expand_vars(path, uid);
    if (expanded == NULL || expanded[0] != '/')
        return expanded; /* a relative setting stays as written */
    char *resolved = plugin_util_resolve_path(expanded);
    if (resolved == NULL)
        return expanded;
    free(expanded);
    return resolved;
}

/* homedir.Get: $HOME, else the password database's entry, symlinks resolved. */
static char *cs_home(unsigned uid)
{
    const char *home = cs_env("HOME");
    if (home == NULL) {
        struct passwd *pw = getpwuid((uid_t)uid);
        home = pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] != '\0' ? pw->pw_dir : NULL;
    }
    if (home == NULL)
        return NULL;
    char *resolved = realpath(home, NULL);
    return resolved != NULL ? resolved : strdup(home);
}

/* $VAR/under when $VAR is set non-empty, else HOME/home_under (NULL when
 * there is no home either). */
static char *cs_env_or_home(const char *var, const char *under, unsigned uid, const char *home_under)
{
    const char *base = var != NULL ? cs_env(var) : NULL;
    if (base != NULL)
        return plugin_util_printf("%s/%s", base, under);
    char *home = cs_home(uid);
    char *out = home != NULL ? plugin_util_printf("%s/%s", home, home_under) : NULL;
    free(home);
    return out;
}

/* A runtime directory candidate: owned by uid, mode 0700 at least, closed to others. */
static int cs_runtime_dir_owned(const char *dir, unsigned uid)
{
    struct stat st;
    return lstat(dir, &st) == 0 && st.st_uid == (uid_t)uid && (st.st_mode & 0700) == 0700 && (st.st_mode & 0066) == 0;
}

/* getRootlessRuntimeDir + "/containers". */
static char *cs_rootless_runroot(unsigned uid)
{
    const char *xdg = cs_env("XDG_RUNTIME_DIR");
    if (xdg != NULL)
        return plugin_util_printf("%s/containers", xdg);
    /* containers/storage compares /proc/1/comm (with its newline) to
     * "systemd", so /run/user/UID is only tried when it cannot be read. */
    char dir[64];
    snprintf(dir, sizeof dir, "/run/user/%u", uid);
    if (access("/proc/1/comm", R_OK) != 0 && cs_runtime_dir_owned(dir, uid))
        return plugin_util_printf("%s/containers", dir);
    const char *tmp = cs_env("TMPDIR");
    char *per_user = plugin_util_printf("%s/containers-user-%u", tmp != NULL ? tmp : "/tmp", uid);
    if (per_user == NULL)
        return NULL;
    /* Absent: containers/storage creates it (0700) and uses it. */
    if (cs_exists(per_user) == 0 || cs_runtime_dir_owned(per_user, uid)) {
        char *out = plugin_util_printf("%s/containers", per_user);
        free(per_user);
        return out;
    }
    free(per_user);
    return cs_env_or_home(NULL, NULL, uid, "rundir/containers");
}

/* $XDG_DATA_HOME/containers/storage, else ~/.local/share/containers/storage. */
static char *cs_rootless_graphroot(unsigned uid)
{
    return cs_env_or_home("XDG_DATA_HOME", "containers/storage", uid, ".local/share/containers/storage");
}

/* The system file (see the top of the file); *path NULL when none exists. */
static int cs_find_system_file(char **path, char *err, size_t errcap)
{
    *path = NULL;
    const char *env = getenv("CONTAINERS_STORAGE_CONF");
    if (env != NULL) {
        if (cs_exists(env) != 1) {
            snprintf(err, errcap, "%s (CONTAINERS_STORAGE_CONF): %s", env, strerror(errno ? errno : ENOENT));
            return FERRY_ERR_INVALID;
        }
        *path = strdup(env);
        return *path != NULL ? FERRY_OK : FERRY_ERR_NO_MEMORY;
    }
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg != NULL) {
        char *p = plugin_util_printf("%s/containers/storage.conf", xdg);
        if (p != NULL && cs_exists(p) == 1) {
            *path = p;
            return FERRY_OK;
        }
        free(p);
    }
    const char *candidates[] = {CS_ETC_CONF, CS_USR_CONF};
    for (size_t i = 0; i < 2; i++)
        if (cs_exists(candidates[i]) == 1) {
            *path = strdup(candidates[i]);
            return *path != NULL ? FERRY_OK : FERRY_ERR_NO_MEMORY;
        }
    return FERRY_OK;
}

/* DefaultConfigFile(rootless): the user's storage.conf, existing or not. */
static char *cs_user_file(unsigned uid)
{
    const char *env = getenv("CONTAINERS_STORAGE_CONF");
    if (env != NULL)
        return strdup(env);
    return cs_env_or_home("XDG_CONFIG_HOME", "containers/storage.conf", uid, ".config/containers/storage.conf");
}

static int cs_take(char **dst, char **src)
{
    free(*dst);
    *dst = *src;
    *src = NULL;
    return FERRY_OK;
}

/* Fills c from the file f read at path (rootless: with rootless defaults). */
static int cs_config_from_file(cs_config *c, cs_conf_file *f, char **path, unsigned uid)
{
    cs_take(&c->driver, &f->driver);
    cs_take(&c->mount_program, &f->mount_program);
    cs_take(&c->ignore_chown_errors, &f->ignore_chown_errors);
    cs_take(&c->force_mask, &f->force_mask);
    cs_take(&c->source_path, path);
    if (f->graphroot == NULL && uid != 0 && f->rootless_storage_path != NULL)
        cs_take(&f->graphroot, &f->rootless_storage_path);
    c->graphroot = f->graphroot != NULL ? cs_expand_path(f->graphroot, uid)
                   : uid != 0           ? cs_rootless_graphroot(uid)
                                        : strdup(CS_ROOT_GRAPHROOT);
    c->runroot = f->runroot != NULL ? cs_expand_path(f->runroot, uid)
                 : uid != 0         ? cs_rootless_runroot(uid)
                                    : strdup(CS_ROOT_RUNROOT);
    c->additional_image_stores = f->stores;
    c->n_additional_image_stores = f->n_stores;
    f->stores = NULL;
    f->n_stores = 0;
    return c->graphroot != NULL && c->runroot != NULL ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

/* A rootless user without a storage.conf of their own: sys is the system file's. */
static int cs_config_rootless_defaults(cs_config *c, cs_conf_file *sys, unsigned uid)
{
    c->graphroot = sys->rootless_storage_path != NULL ? cs_expand_path(sys->rootless_storage_path, uid)
                                                      : cs_rootless_graphroot(uid);
    c->runroot = cs_rootless_runroot(uid);
    const char *d = sys->driver;
    int usable = d != NULL && (strcmp(d, "btrfs") == 0 || strcmp(d, "overlay") == 0 || strcmp(d, "overlay2") == 0 ||
                               strcmp(d, "vfs") == 0);
    c->driver = strdup(usable ? d : "vfs");
    return c->graphroot != NULL && c->runroot != NULL && c->driver != NULL ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

int cs_config_load_for_uid(cs_config *c, unsigned uid, char *err, size_t errcap)
{
    memset(c, 0, sizeof *c);
    char *sys_path = NULL, *user_path = NULL;
    cs_conf_file sys = {0}, user = {0};
    int status = cs_find_system_file(&sys_path, err, errcap);
    if (status == FERRY_OK && sys_path != NULL)
        status = cs_conf_read(sys_path, &sys, err, errcap);
    if (status == FERRY_OK && uid == 0) {
        status = cs_config_from_file(c, &sys, &sys_path, uid);
    } else if (status == FERRY_OK) {
        user_path = cs_user_file(uid);
        int exists = user_path != NULL ? cs_exists(user_path) : 0;
        if (exists < 0) {
            snprintf(err, errcap, "%s: %s", user_path, strerror(errno));
            status = FERRY_ERR_INVALID;
        } else if (exists) {
            status = cs_conf_read(user_path, &user, err, errcap);
            if (status == FERRY_OK)
                status = cs_config_from_file(c, &user, &user_path, uid);
        } else {
            status = cs_config_rootless_defaults(c, &sys, uid);
        }
    }
    const char *env_driver = cs_env("STORAGE_DRIVER");
    if (status == FERRY_OK && (env_driver != NULL || c->driver == NULL || strcmp(c->driver, "overlay2") == 0)) {
        const char *d = env_driver != NULL ? env_driver : "overlay";
        free(c->driver);
        c->driver = strdup(strcmp(d, "overlay2") == 0 ? "overlay" : d);
        if (c->driver == NULL)
            status = FERRY_ERR_NO_MEMORY;
    }
    if (status == FERRY_ERR_NO_MEMORY)
        snprintf(err, errcap, "out of memory");
    free(sys_path);
    free(user_path);
    cs_conf_file_free(&sys);
    cs_conf_file_free(&user);
    if (status != FERRY_OK) {
        cs_config_free(c);
        return status == FERRY_ERR_NO_MEMORY ? status : FERRY_ERR_INVALID;
    }
    return FERRY_OK;
}

int cs_config_load(cs_config *c, char *err, size_t errcap)
{
    /* getRootlessUID: podman's re-exec in a user namespace passes the real UID. */
    const char *env = cs_env("_CONTAINERS_ROOTLESS_UID");
    unsigned uid = env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)geteuid();
    return cs_config_load_for_uid(c, uid, err, errcap);
}

void cs_config_free(cs_config *c)
{
    free(c->driver);
    free(c->graphroot);
    free(c->runroot);
    for (size_t i = 0; i < c->n_additional_image_stores; i++)
        free(c->additional_image_stores[i]);
    free(c->additional_image_stores);
    free(c->mount_program);
    free(c->ignore_chown_errors);
    free(c->force_mask);
    free(c->source_path);
    memset(c, 0, sizeof *c);
}
