/* core/config/registries_conf_internal.h — the parsed registries.conf
 * shared by the loader (registries_conf.c) and the lookups
 * (registries_match.c). */
#ifndef FERRY_CORE_REGISTRIES_CONF_INTERNAL_H
#define FERRY_CORE_REGISTRIES_CONF_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "config/registries_conf.h"

typedef enum reg_pull_from { REG_PULL_ALL, REG_PULL_DIGEST_ONLY, REG_PULL_TAG_ONLY } reg_pull_from;

typedef struct reg_endpoint {
    char *location; /* "" only for a wildcard prefix's primary */
    int insecure;
    reg_pull_from pull_from; /* mirrors only */
} reg_endpoint;

typedef struct reg_registry {
    char *prefix;
    reg_endpoint primary;
    reg_endpoint *mirrors;
    size_t n_mirrors;
    int blocked;
    int mirror_by_digest_only;
} reg_registry;

/* An answer computed on request, kept so that the returned string lives as
 * long as the configuration. */
typedef struct reg_answer {
    char *key, *value; /* value may be NULL */
    struct reg_answer *next;
} reg_answer;

struct registries_conf {
    reg_registry *registries; /* sorted by prefix, unique prefixes */
    size_t n;
    char **credential_helpers; /* NULL-terminated */
    size_t n_helpers;
    char *error;   /* first problem, or NULL */
    char *sources; /* "FILE or DIR" for messages */
    pthread_mutex_t lock; /* guards answers */
    reg_answer *answers;
};

void reg_registry_release(reg_registry *r);

/* Length of prefix's match at the start of ref (containers/image's
 * refMatchingPrefix), or -1. */
long reg_prefix_match(const char *ref, const char *prefix);

#endif
