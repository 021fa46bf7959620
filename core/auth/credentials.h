/* core/auth/credentials.h — the core's credential lookup, as containers-auth.json(5)
 * and skopeo define it: command-line credentials first, then the auth files
 * (--authfile / $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,
 * ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, $DOCKER_CONFIG/config.json
 * or ~/.docker/config.json, ~/.dockercfg), each consulted for a credHelpers
 * entry (docker-credential-NAME) and for the most specific "auths" key
 * (host/namespace/repo, then its namespaces, then host). Also writes the
 * primary file for login/logout. */
#ifndef FERRY_CORE_CREDENTIALS_H
#define FERRY_CORE_CREDENTIALS_H

#include <stddef.h>

#include <ferry/services.h>

#include "config/registries_conf.h"
#include "plugin/context.h"

typedef struct cred_store cred_store;

/* A thread-safe cache of resolved credentials; strings it hands out live
 * until cred_store_free. registries (borrowed, may be NULL; it must outlive
 * the store) gives the credential-helpers list. NULL when out of memory. */
cred_store *cred_store_new(const registries_conf *registries);
void cred_store_free(cred_store *store);

/* Resolves credentials for registry (host[:port]) and repository
 * ("ns/name", may be NULL) with the side's options (username, password,
 * registry-token, no-creds, authfile); stored_only leaves out the
 * command-line ones (username, password, registry-token), for a registry
 * other than the one they were given for. FERRY_OK with *out filled
 * (strings owned by the store), FERRY_ERR_NOT_FOUND for anonymous access, or
 * an error with a message in err. */
int cred_lookup(cred_store *store, const ctx_options *opts, const char *registry, const char *repository,
                int stored_only, ferry_credentials *out, char *err, size_t errcap);

/* The auth file login/logout write: --authfile, $REGISTRY_AUTH_FILE, or
 * ${XDG_RUNTIME_DIR}/containers/auth.json (/run/containers/UID/auth.json
 * without XDG_RUNTIME_DIR). Writes into buf. */
void cred_primary_file(const char *authfile, char *buf, size_t cap);

/* Stores user:password for key (a registry host or host/namespace) in the
 * file, keeping everything else in it; mode 0600, directory 0700. 0 or -1. */
int cred_file_store(const char *path, const char *key, const char *username, const char *password, char *err,
                    size_t errcap);

/* Removes key (or every entry when key is NULL) from the file. Returns 0, 1
 * when key was not there, -1 on error. */
int cred_file_remove(const char *path, const char *key, char *err, size_t errcap);

/* Normalizes an auth-file key or a login argument: drops a scheme, a
 * trailing "/" or "/v1/"-style path, and maps index.docker.io to docker.io. */
void cred_normalize_key(const char *key, char *out, size_t cap);

#endif
