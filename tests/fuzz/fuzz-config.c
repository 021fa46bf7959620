/* tests/fuzz/fuzz-config.c — libFuzzer target: the configuration files ferry
 * reads, which a user, an administrator or a package may have written. The
 * first input byte picks the file, the rest is its content:
 *   0 auth.json ($REGISTRY_AUTH_FILE), looked up for several registries and
 *     repositories, then edited as login and logout do (core/auth/credentials.c)
 *   1 docker's config.json ($DOCKER_CONFIG/config.json), looked up
 *   2 ~/.dockercfg (docker's legacy format), looked up
 *   3 registries.conf (core/config/registries_conf.c)
 *   4 storage.conf (plugins/containers-storage/config.c, linked in)
 *   5 policy.json, with the requirements of a few images (core/policy/)
 *   6 TOML, the reader of registries.conf and storage.conf (core/shared/toml*.c)
 * The files live in a scratch directory made once per process, which is
 * also $HOME; PATH points nowhere, so that a credHelpers entry starts no
 * program. */
#include "fuzz_common.h"

#include <sys/stat.h>

#include "auth/credentials.h"
#include "config/registries_conf.h"
#include "policy/policy.h"
#include "shared/toml.h"

#include "cs.h"

const ferry_services *cs_services(void) { return services_table(); }

static char fuzz_home[256];

/* Makes the scratch directory and the environment pointing into it. */
static void fuzz_setup(void)
{
    if (fuzz_home[0] != '\0')
        return;
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    snprintf(fuzz_home, sizeof fuzz_home, "%s/ferry-fuzz-config-XXXXXX", tmp);
    if (mkdtemp(fuzz_home) == NULL)
        abort();
    char path[512];
    snprintf(path, sizeof path, "%s/docker", fuzz_home);
    mkdir(path, 0700);
    setenv("HOME", fuzz_home, 1);
    setenv("PATH", "/nonexistent", 1);
    setenv("XDG_RUNTIME_DIR", "/nonexistent", 1);
    setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
    unsetenv("DOCKER_CONFIG");
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("CONTAINERS_REGISTRIES_CONF");
    unsetenv("CONTAINERS_STORAGE_CONF");
    unsetenv("STORAGE_DRIVER");
    unsetenv("STORAGE_OPTS");
}

/* Writes the input to fuzz_home/name; the path goes in buf. */
static void fuzz_write(const char *name, const uint8_t *data, size_t size, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", fuzz_home, name);
    FILE *f = fopen(buf, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
}

static void fuzz_lookups(void)
{
    static const char *const lookups[][2] = {
        {"docker.io", "library/busybox"}, {"registry.example:5000", "ns/app"}, {"quay.io", NULL},
        {"example.com", "a/b/c"},
    };
    ctx_options opts = {.n = 0};
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        cred_store *store = cred_store_new(NULL);
        if (store == NULL)
            abort();
        ferry_credentials cr = {.struct_size = sizeof cr};
        char err[1024];
        (void)cred_lookup(store, &opts, lookups[i][0], lookups[i][1], (int)(i & 1), &cr, err, sizeof err);
        cred_store_free(store);
    }
}

static void fuzz_auth_json(const uint8_t *data, size_t size)
{
    char path[512], err[1024];
    fuzz_write("auth.json", data, size, path, sizeof path);
    setenv("REGISTRY_AUTH_FILE", path, 1);
    fuzz_lookups();
    unsetenv("REGISTRY_AUTH_FILE");
    if (cred_file_store(path, "registry.example:5000/ns", "user", "secret", err, sizeof err) == 0)
        (void)cred_file_remove(path, "docker.io", err, sizeof err);
    (void)cred_file_remove(path, NULL, err, sizeof err);
}

static void fuzz_docker_config(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_write("docker/config.json", data, size, path, sizeof path);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/docker", fuzz_home);
    setenv("DOCKER_CONFIG", dir, 1);
    fuzz_lookups();
    unsetenv("DOCKER_CONFIG");
    unlink(path);
}

static void fuzz_dockercfg(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_write(".dockercfg", data, size, path, sizeof path);
    fuzz_lookups();
    unlink(path);
}

static void fuzz_registries_conf(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_write("registries.conf", data, size, path, sizeof path);
    setenv("CONTAINERS_REGISTRIES_CONF", path, 1);
    registries_conf *conf = registries_conf_load();
    (void)registries_conf_error(conf);
    unsetenv("CONTAINERS_REGISTRIES_CONF");
    if (conf == NULL)
        return;
    static const char *const names[] = {"docker.io/library/busybox", "registry.example:5000/a/b", "a.b.example.com/x",
                                        "localhost/x"};
    static const char *const refs[] = {"docker.io/library/busybox:latest", "registry.example:5000/a/b:v1",
                                       "a.b.example.com/x@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        (void)registries_conf_setting(conf, names[i], "insecure");
        (void)registries_conf_setting(conf, names[i], "blocked");
        (void)registries_conf_blocked_reason(conf, names[i]);
    }
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        (void)registries_conf_pull_sources(conf, refs[i]);
    size_t n_helpers = 0;
    (void)registries_conf_credential_helpers(conf, &n_helpers);
    registries_conf_free(conf);
}

static void fuzz_storage_conf(const uint8_t *data, size_t size)
{
    char path[512], err[1024];
    fuzz_write("storage.conf", data, size, path, sizeof path);
    setenv("CONTAINERS_STORAGE_CONF", path, 1);
    cs_config conf;
    memset(&conf, 0, sizeof conf);
    (void)cs_config_load_for_uid(&conf, 0, err, sizeof err);
    cs_config_free(&conf);
    memset(&conf, 0, sizeof conf);
    (void)cs_config_load_for_uid(&conf, 1000, err, sizeof err);
    cs_config_free(&conf);
    unsetenv("CONTAINERS_STORAGE_CONF");
}

static void fuzz_policy(const uint8_t *data, size_t size)
{
    char path[512], err[1024];
    fuzz_write("policy.json", data, size, path, sizeof path);
    policy *p = NULL;
    if (policy_load(path, &p, err, sizeof err) != 0)
        return;
    static const char *const images[][2] = {
        {"docker", "docker.io/library/busybox:latest"}, {"docker", "registry.example:5000/ns/app@sha256:"
                                                                   "0000000000000000000000000000000000000000000000000000000000000000"},
        {"oci", "/srv/layout:tag"}, {"dir", "/srv/dir"}, {"containers-storage", "[vfs@/a+/b]x"},
    };
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        const policy_requirements *r = policy_requirements_for(p, images[i][0], images[i][1]);
        if (r != NULL)
            (void)policy_requirements_read_image(r);
    }
    policy_free(p);
}

static void fuzz_toml(const uint8_t *data, size_t size)
{
    char err[1024];
    json_t *v = toml_parse_string((const char *)data, size, "fuzz.toml", err, sizeof err);
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_setup();
    switch (data[0] % 7) {
    case 0: fuzz_auth_json(data + 1, size - 1); break;
    case 1: fuzz_docker_config(data + 1, size - 1); break;
    case 2: fuzz_dockercfg(data + 1, size - 1); break;
    case 3: fuzz_registries_conf(data + 1, size - 1); break;
    case 4: fuzz_storage_conf(data + 1, size - 1); break;
    case 5: fuzz_policy(data + 1, size - 1); break;
    case 6: fuzz_toml(data + 1, size - 1); break;
    }
    return 0;
}
