/* core/config/registries_conf.h — containers-registries.conf(5) as
 * containers/image v5.23 applies it to docker:// references: [[registry]]
 * prefixes (longest match, "*.example.com" wildcards), location rewrites,
 * insecure, blocked, mirrors (mirror-by-digest-only, pull-from-mirror),
 * credential-helpers, the v1 [registries.*] lists; read from
 * $CONTAINERS_REGISTRIES_CONF (that file only), else
 * ~/.config/containers/registries.conf with its drop-in directory, else
 * /etc/containers/registries.conf with the system and the user drop-in
 * directories.
 *
 * Modules reach it through options (services.c, doc/plugin-abi.md):
 * "registry-insecure:NAME", "registry-blocked:NAME",
 * "registry-blocked-reason:NAME", "registry-pull-sources:REF" and
 * "registries-conf-error". Thread-safe: the configuration is read-only
 * after loading; computed answers are kept in an internally locked list. */
#ifndef FERRY_CORE_REGISTRIES_CONF_H
#define FERRY_CORE_REGISTRIES_CONF_H

#include <stddef.h>

typedef struct registries_conf registries_conf;

/* Loads the configuration; NULL only when out of memory. Missing files give
 * an empty configuration; a malformed or invalid one gives an empty
 * configuration whose registries_conf_error() says what is wrong. */
registries_conf *registries_conf_load(void);
void registries_conf_free(registries_conf *conf);

/* The first problem found while loading, one line naming the file, the line
 * and the key ("FILE:LINE: key \"prefix\": ..."); NULL when the files are
 * fine. Owned by conf. */
const char *registries_conf_error(const registries_conf *conf);

/* `setting` ("insecure" or "blocked") of the [[registry]] whose prefix is
 * the longest match of name (host[:port][/path...], a repository without
 * tag or digest). Returns "true" or NULL (a static string). */
const char *registries_conf_setting(const registries_conf *conf, const char *name, const char *setting);

/* "registry PREFIX is blocked in FILES" for a blocked name, else NULL.
 * Owned by conf, valid until registries_conf_free. */
const char *registries_conf_blocked_reason(const registries_conf *conf, const char *name);

/* Where to pull ref (NAME[:TAG][@DIGEST], normalised) from, in order: one
 * line per source, "REWRITTEN-REFERENCE\tinsecure" or
 * "REWRITTEN-REFERENCE\tsecure" — the mirrors that apply, then the primary
 * location. NULL when no [[registry]] matches (pull from ref itself, with
 * the registry-insecure/-blocked answers). Owned by conf, valid until
 * registries_conf_free. */
const char *registries_conf_pull_sources(const registries_conf *conf, const char *ref);

/* The credential-helpers list (default: "containers-auth.json" alone). */
const char *const *registries_conf_credential_helpers(const registries_conf *conf, size_t *count);

#endif
