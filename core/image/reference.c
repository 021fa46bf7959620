/* core/image/reference.c — splitting "transport:rest" image names. */
#include "image/reference.h"

#include <stdio.h>
#include <string.h>

int reference_transport_name_is_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TRANSPORT_NAME_MAX || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

void reference_repository(const char *docker_ref, char *out, size_t cap)
{
    if (docker_ref == NULL) {
        snprintf(out, cap, "%s", "");
        return;
    }
    /* NAME[:TAG][@DIGEST]: the digest goes, then a tag (a ':' after the last
     * '/', so that a registry's port stays). */
    const char *at = strchr(docker_ref, '@');
    size_t len = at != NULL ? (size_t)(at - docker_ref) : strlen(docker_ref);
    const char *slash = memrchr(docker_ref, '/', len);
    const char *colon = memrchr(docker_ref, ':', len);
    if (colon != NULL && (slash == NULL || colon > slash))
        len = (size_t)(colon - docker_ref);
    snprintf(out, cap, "%.*s", (int)len, docker_ref);
}

int reference_parse(const char *text, image_name *out, char *err, size_t errcap)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL) {
        snprintf(err, errcap, "invalid image name \"%s\": expected colon-separated transport:reference", text);
        return -1;
    }
    size_t n = (size_t)(colon - text);
    if (n == 0 || n >= TRANSPORT_NAME_MAX) {
        snprintf(err, errcap, "invalid image name \"%s\": missing or overlong transport name", text);
        return -1;
    }
    memcpy(out->transport, text, n);
    out->transport[n] = '\0';
    if (!reference_transport_name_is_valid(out->transport)) {
        snprintf(err, errcap, "invalid image name \"%s\": \"%s\" is not a valid transport name", text,
                 out->transport);
        return -1;
    }
    out->rest = colon + 1;
    return 0;
}
