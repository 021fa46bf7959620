/* core/config/registries_conf.h — containers-registries.conf(5): per-registry
 * `insecure` and `blocked` settings, read from $CONTAINERS_REGISTRIES_CONF, or
 * ~/.config/containers/registries.conf if present else
 * /etc/containers/registries.conf, plus the registries.conf.d drop-ins (v2
 * [[registry]] tables and the v1 [registries.insecure]/[registries.block]
 * lists). Plugins reach it through the options "registry-insecure:HOST" and
 * "registry-blocked:HOST". */
#ifndef FERRY_CORE_REGISTRIES_CONF_H
#define FERRY_CORE_REGISTRIES_CONF_H

#include <stddef.h>

typedef struct registries_conf registries_conf;

/* Loads the configuration; never NULL unless out of memory (missing files
 * give an empty configuration). A malformed file is reported in err and
 * skipped. */
registries_conf *registries_conf_load(char *err, size_t errcap);
void registries_conf_free(registries_conf *conf);

/* Settings for host[:port]: the most specific [[registry]] whose prefix is
 * the host or a "*.domain" wildcard matching it. Returns "true" or NULL. */
const char *registries_conf_setting(const registries_conf *conf, const char *host, const char *setting);

#endif
