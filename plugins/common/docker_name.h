/* plugins/common/docker_name.h — docker references, parsed and normalised
 * (docker.io default, "library/" for one-component names, ":latest"); used by
 * the docker transport and by docker-archive for the names it stores. */
#ifndef FERRY_PLUGIN_DOCKER_NAME_H
#define FERRY_PLUGIN_DOCKER_NAME_H

#include <stddef.h>

#include <ferry/ferry.h>

#define DOCKER_IO "docker.io"                     /* the default registry */
#define DOCKER_IO_API_HOST "registry-1.docker.io" /* where docker.io serves its API */

typedef struct docker_reference {
    char *label;     /* "docker:" + the reference as given, for messages */
    char *domain;    /* "docker.io", "localhost:5000": credentials, certs.d, registries.conf */
    char *api_host;  /* host[:port] the API is served on ("registry-1.docker.io" for docker.io) */
    char *path;      /* repository, e.g. "library/busybox" */
    char *tag;       /* NULL for digest references */
    char *digest;    /* NULL for tag references */
    char *canonical; /* "docker.io/library/busybox:latest" */
    int name_only;   /* neither tag nor digest given (":latest" implied) */
} docker_reference;

/* Parses text ("//NAME[:TAG|@DIGEST]"). FERRY_OK, or a status with a one-line
 * message in err; out is released with docker_reference_free either way.
 * svc only checks a digest: it may be NULL when text has no '@'. */
int docker_reference_parse_into(const ferry_services *svc, const char *text, docker_reference *out, char *err,
                                size_t errcap);
void docker_reference_free(docker_reference *ref);

/* 1 when s is "host[:port]" (DNS labels or a bracketed IPv6 address). */
int docker_domain_valid(const char *s);

#endif
