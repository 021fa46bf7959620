/* core/sync/sync_names.c — names as `skopeo sync` makes them: docker
 * references normalised as reference.ParseNormalizedNamed does (docker.io,
 * library/), and each image's destination, path.Join(DEST, suffix) where the
 * suffix is the source's full name cut to its last element unless --scoped,
 * then --append-suffix. Go's path.Clean and path.Base are reproduced so that
 * the names match skopeo's byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "shared/strbuf.h"
#include "sync/sync.h"

void sync_docker_name_free(sync_docker_name *n)
{
    free(n->name);
    free(n->tag);
    free(n->digest);
    memset(n, 0, sizeof(*n));
}

int sync_docker_name_parse(const char *text, sync_docker_name *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL || *text == '\0') {
        snprintf(err, errcap, "invalid reference format: repository name must have at least one component");
        return -1;
    }
    const char *at = strchr(text, '@');
    size_t name_end = at ? (size_t)(at - text) : strlen(text);
    const char *slash = memrchr(text, '/', name_end);
    const char *colon = memrchr(slash ? slash : text, ':', name_end - (size_t)((slash ? slash : text) - text));
    if (colon != NULL) {
        out->tag = strndup(colon + 1, name_end - (size_t)(colon + 1 - text));
        name_end = (size_t)(colon - text);
    }
    if (at != NULL)
        out->digest = strdup(at + 1);
    char *name = strndup(text, name_end);
    const char *first_slash = name ? strchr(name, '/') : NULL;
    strbuf sb = STRBUF_INIT;
    if (name == NULL) {
        /* out of memory: reported below */
    } else if (first_slash != NULL && (memchr(name, '.', (size_t)(first_slash - name)) ||
                                       memchr(name, ':', (size_t)(first_slash - name)) ||
                                       strncmp(name, "localhost/", 10) == 0)) {
        if (strncmp(name, "index.docker.io/", 16) == 0)
            strbuf_printf(&sb, "docker.io/%s", first_slash + 1);
        else
            strbuf_puts(&sb, name);
        if (strncmp(sb.data ? sb.data : "", "docker.io/", 10) == 0 && strchr(sb.data + 10, '/') == NULL) {
            char *rest = strdup(sb.data + 10);
            sb.len = 0;
            strbuf_printf(&sb, "docker.io/library/%s", rest ? rest : "");
            free(rest);
        }
    } else {
        strbuf_printf(&sb, "docker.io/%s%s", first_slash ? "" : "library/", name);
    }
    free(name);
    if (sb.failed || sb.data == NULL || (colon && out->tag == NULL) || (at && out->digest == NULL)) {
        strbuf_release(&sb);
        sync_docker_name_free(out);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    out->name = sb.data;
    if ((out->tag != NULL && *out->tag == '\0') || (out->digest != NULL && strchr(out->digest, ':') == NULL)) {
        snprintf(err, errcap, "invalid reference format: %s", text);
        sync_docker_name_free(out);
        return -1;
    }
    return 0;
}

char *sync_docker_name_string(const sync_docker_name *n)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, n->name);
    if (n->tag != NULL)
        strbuf_printf(&sb, ":%s", n->tag);
    if (n->digest != NULL)
        strbuf_printf(&sb, "@%s", n->digest);
    if (sb.failed) {
        strbuf_release(&sb);
        return NULL;
    }
    return sb.data;
}

/* Go's path.Clean. */
static char *sync_path_clean(const char *p)
{
    if (*p == '\0')
        return strdup(".");
    int rooted = p[0] == '/';
    size_t n = strlen(p);
    char *out = malloc(n + 2);
    if (out == NULL)
        return NULL;
    size_t w = 0, r = 0, dotdot = 0;
    if (rooted) {
        out[w++] = '/';
        r = 1;
        dotdot = 1;
    }
    while (r < n) {
        if (p[r] == '/') {
            r++;
        } else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
            r++;
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            while (r < n && p[r] != '/')
                out[w++] = p[r++];
        }
    }
    if (w == 0)
        out[w++] = '.';
    out[w] = '\0';
    return out;
}

/* Go's path.Base. */
static char *sync_path_base(const char *p)
{
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    if (n == 0)
        return strdup(*p ? "/" : ".");
    /* A loop rather than memrchr: GCC's -Wnonnull misreads memrchr here at -O1. */
    size_t start = n;
    while (start > 0 && p[start - 1] != '/')
        start--;
    return strndup(p + start, n - start);
}

char *sync_destination(sync_kind dest_kind, const char *dest, const char *suffix, int scoped,
                       const char *append_suffix)
{
    char *part = scoped ? strdup(suffix) : sync_path_base(suffix);
    if (part == NULL)
        return NULL;
    strbuf sb = STRBUF_INIT;
    if (dest_kind == SYNC_OCI) {
        /* One layout holds them all: the name becomes the image's reference. */
        char *name = sync_path_clean(part);
        strbuf_printf(&sb, "oci:%s:%s%s", dest, name ? name : "", append_suffix ? append_suffix : "");
        free(name);
    } else {
        char *joined = NULL;
        strbuf j = STRBUF_INIT;
        if (*dest == '\0')
            strbuf_puts(&j, part);
        else if (*part == '\0')
            strbuf_puts(&j, dest);
        else
            strbuf_printf(&j, "%s/%s", dest, part);
        joined = j.failed || j.data == NULL ? NULL : sync_path_clean(j.data);
        strbuf_release(&j);
        strbuf_printf(&sb, "%s%s%s", dest_kind == SYNC_DOCKER ? "docker://" : "dir:", joined ? joined : "",
                      append_suffix ? append_suffix : "");
        if (joined == NULL)
            sb.failed = 1;
        free(joined);
    }
    free(part);
    if (sb.failed) {
        strbuf_release(&sb);
        return NULL;
    }
    return sb.data;
}
