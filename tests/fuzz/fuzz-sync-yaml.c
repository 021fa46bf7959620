/* tests/fuzz/fuzz-sync-yaml.c — libFuzzer target: the source file of
 * `ferry sync --src yaml` (core/sync/sync_yaml.c) and what it hands on:
 * each images-by-semver constraint is parsed again and checked against a
 * few tags (core/sync/sync_semver.c), each registry key and repository
 * parsed as sync parses the names it builds (core/sync/sync_names.c). The
 * first input byte picks: 0-1 the YAML file, 2 a semver constraint, 3 a
 * semver version. */
#include "fuzz_common.h"

#include "sync/sync.h"
#include "sync/sync_semver.h"
#include "sync/sync_yaml.h"

static const char *const fuzz_tags[] = {"1.2.3", "v1.2.3", "1.2.3-rc.1+build.5", "latest", "2", "0.0.0-0"};
#define FUZZ_N_TAGS (sizeof fuzz_tags / sizeof fuzz_tags[0])

static void fuzz_constraint(const char *text)
{
    sync_semver_constraint *c = NULL;
    char err[1024];
    if (sync_semver_constraint_parse(text, &c, err, sizeof err) != 0)
        return;
    for (size_t i = 0; i < FUZZ_N_TAGS; i++)
        (void)sync_semver_check(c, fuzz_tags[i]);
    sync_semver_constraint_free(c);
}

static void fuzz_version(const char *text)
{
    sync_semver_version v, w;
    if (sync_semver_version_parse(text, &v) != 0)
        return;
    for (size_t i = 0; i < FUZZ_N_TAGS; i++)
        if (sync_semver_version_parse(fuzz_tags[i], &w) == 0 &&
            sync_semver_compare(&v, &w) != -sync_semver_compare(&w, &v))
            abort(); /* the order is antisymmetric */
}

static void fuzz_name(const char *registry, const char *repo)
{
    char text[2048], err[1024];
    snprintf(text, sizeof text, "%s/%s", registry, repo);
    sync_docker_name name;
    if (sync_docker_name_parse(text, &name, err, sizeof err) == 0) {
        free(sync_docker_name_string(&name));
        sync_docker_name_free(&name);
    }
}

static void fuzz_yaml(const uint8_t *data, size_t size)
{
    char path[64], err[1024];
    int fd = fuzz_file(data, size, path, sizeof path);
    sync_yaml y;
    if (sync_yaml_load(path, &y, err, sizeof err) == 0) {
        for (size_t i = 0; i < y.n_registries; i++) {
            const sync_yaml_registry *reg = &y.registries[i];
            for (size_t j = 0; j < reg->n_repos; j++) {
                fuzz_name(reg->name, reg->repos[j].name);
                if (reg->repos[j].semver != NULL)
                    fuzz_constraint(reg->repos[j].semver);
            }
        }
        sync_yaml_free(&y);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = NULL;
    switch (data[0] % 4) {
    case 0:
    case 1: fuzz_yaml(data + 1, size - 1); break;
    case 2: fuzz_constraint(text = fuzz_cstring(data + 1, size - 1)); break;
    case 3: fuzz_version(text = fuzz_cstring(data + 1, size - 1)); break;
    }
    free(text);
    return 0;
}
