/* core/image/reference.h — "transport:rest" image names as skopeo takes them;
 * the rest is handed to the transport's plugin. */
#ifndef FERRY_CORE_REFERENCE_H
#define FERRY_CORE_REFERENCE_H

#include <stddef.h>

#define TRANSPORT_NAME_MAX 64

typedef struct image_name {
    char transport[TRANSPORT_NAME_MAX]; /* e.g. "oci" */
    const char *rest;                   /* points into the parsed string */
} image_name;

/* 1 when `name` can be a transport name: [a-z0-9][a-z0-9-]* (also keeps
 * module lookups from leaving the module directories). */
int reference_transport_name_is_valid(const char *name);

/* Splits `text` at its first ':'. Returns 0, or -1 with a one-line message
 * in err naming the text. `out->rest` points into `text`. */
int reference_parse(const char *text, image_name *out, char *err, size_t errcap);

/* The repository of a docker reference ("host/ns/name" of
 * "host/ns/name:tag" or "…@sha256:…"); "" for NULL. */
void reference_repository(const char *docker_ref, char *out, size_t cap);

#endif
