/* core/sync/sync_yaml.h — the source file of `skopeo sync --src yaml`:
 * registries, each with images (repository -> tags or digests),
 * images-by-tag-regex, images-by-semver, credentials, tls-verify and
 * cert-dir, read strictly (unknown keys, wrong kinds, bad patterns refused). */
#ifndef FERRY_CORE_SYNC_YAML_H
#define FERRY_CORE_SYNC_YAML_H

#include <stddef.h>

typedef struct sync_yaml_repo {
    char *name;      /* repository path below the registry key, as written ("library/busybox") */
    char **refs;     /* images: its tags or digests as written */
    size_t n_refs;   /* 0 with every_tag: an empty list (every tag) */
    int every_tag;   /* images: REPO: [] or images: REPO: (null) */
    char *tag_regex; /* images-by-tag-regex: the pattern as written, else NULL */
    char *semver;    /* images-by-semver: the constraint as written, else NULL */
    int line;        /* 1-based line of the repository key */
} sync_yaml_repo;

typedef struct sync_yaml_registry {
    char *name; /* the top-level key: "registry.example.com", "127.0.0.1:5000", may include a namespace path */
    sync_yaml_repo *repos;
    size_t n_repos;            /* images, then images-by-tag-regex, then images-by-semver, in file order */
    char *username, *password; /* credentials:, else NULL */
    int tls_verify;            /* tls-verify: 1 or 0; -1 when absent */
    char *cert_dir;            /* cert-dir:, else NULL */
    int line;
} sync_yaml_registry;

typedef struct sync_yaml {
    sync_yaml_registry *registries;
    size_t n_registries;
} sync_yaml;

/* 0, or -1 with a one-line message "FILE:LINE: ..." naming the key in err.
 * An empty file (or a lone null document) loads as no registries. */
int sync_yaml_load(const char *path, sync_yaml *out, char *err, size_t errcap);
void sync_yaml_free(sync_yaml *y);

#endif
