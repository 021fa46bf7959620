/* core/image/docker_ref.h — docker references as containers/image v5.23's
 * docker/reference.ParseNormalizedNamed parses them, with its grammar, its
 * normalisation ("busybox" → "docker.io/library/busybox") and its error
 * messages, and the String() form two references are compared by (the
 * signature identity checks of standalone-verify and of the policy's
 * signedIdentity rules). No default tag is added: "busybox" and
 * "busybox:latest" are different references. Pure library, thread-safe. */
#ifndef FERRY_CORE_DOCKER_REF_H
#define FERRY_CORE_DOCKER_REF_H

#include <stddef.h>

/* A parsed, normalised reference. Every string is malloc'd and owned by the
 * struct (docker_ref_free releases them). */
typedef struct docker_ref {
    char *domain; /* "docker.io", "localhost:5000"; "" when the grammar found no domain ("a_b.com/x") */
    char *path;   /* "library/busybox" */
    char *tag;    /* NULL when none */
    char *digest; /* "sha256:<hex>", validated as go-digest does; NULL when none */
    char *string; /* String(): [domain "/"] path [":" tag] ["@" digest] */
} docker_ref;

/* Parses the len bytes at text (a NUL among them makes it invalid) as
 * ParseNormalizedNamed does. Returns 0, or -1 with containers/image's message
 * in err ("invalid reference format: repository name must be lowercase",
 * "invalid reference format", "invalid checksum digest length", ...); out
 * needs no release after a failure. */
int docker_ref_parse_normalized(const char *text, size_t len, docker_ref *out, char *err, size_t errcap);

/* Releases the strings of r (NULL members allowed) and zeroes it. */
void docker_ref_free(docker_ref *r);

#endif
