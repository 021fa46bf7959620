/* plugins/ostree/reference.c — ostree:IMAGE[@/ABSOLUTE/REPO] as
 * containers/image's ostree transport parsed it: IMAGE must be a docker
 * reference, is kept as written (":latest" appended when it names neither
 * tag nor digest), and names the branch "ociimage/" + IMAGE with every byte
 * outside [A-Za-z0-9.-] written "_%02X"; REPO is resolved to an absolute,
 * symlink-free path that must not hold a colon (policy scopes split there). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_name.h"
#include "ostree_transport.h"
#include "shared/strbuf.h"

static int ot_ref_char_plain(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

char *ot_branch_for_image(const char *image)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, OT_BRANCH_PREFIX);
    for (const unsigned char *p = (const unsigned char *)image; *p; p++) {
        if (ot_ref_char_plain(*p))
            strbuf_append(&sb, (const char *)p, 1);
        else
            strbuf_printf(&sb, "_%02X", *p);
    }
    if (sb.failed) {
        strbuf_release(&sb);
        return NULL;
    }
    return sb.data;
}

char *ot_branch_for_digest(const ferry_services *svc, const char *digest)
{
    char alg[16];
    const char *hex;
    if (digest == NULL || plugin_util_digest_split(svc, digest, alg, sizeof alg, &hex) != 0)
        return NULL;
    return plugin_util_printf(OT_BRANCH_PREFIX "%s", hex);
}

void ot_reference_free(ot_reference *r)
{
    free(r->image);
    free(r->branch);
    free(r->repo);
    free(r->label);
    memset(r, 0, sizeof(*r));
}

int ot_reference_parse(const char *text, ot_reference *r, char *err, size_t errcap)
{
    memset(r, 0, sizeof(*r));
    r->label = plugin_util_printf("%s:%s", OT_TRANSPORT, text);
    const char *at = strstr(text, "@/");
    size_t image_len = at ? (size_t)(at - text) : strlen(text);
    char *image = strndup(text, image_len);
    char *docker_text = plugin_util_printf("//%.*s", (int)image_len, text);
    if (r->label == NULL || image == NULL || docker_text == NULL) {
        free(image);
        free(docker_text);
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    docker_reference d;
    char derr[256];
    int rc = docker_reference_parse_into(NULL, docker_text, &d, derr, sizeof derr);
    free(docker_text);
    if (rc != FERRY_OK) {
        snprintf(err, errcap, "%s", derr); /* the core names the reference */
        docker_reference_free(&d);
        free(image);
        return FERRY_ERR_INVALID;
    }
    r->image = d.name_only ? plugin_util_printf("%s:latest", image) : strdup(image);
    docker_reference_free(&d);
    free(image);
    /* With "@/" the repository is what follows the '@'; else the default,
     * which may not exist (a reference to it is still valid). */
    const char *repo = at ? at + 1 : OT_DEFAULT_REPO;
    r->repo = plugin_util_resolve_path(repo);
    if (r->repo == NULL && !at && errno == ENOENT)
        r->repo = strdup(OT_DEFAULT_REPO);
    if (r->image == NULL || r->repo == NULL) {
        snprintf(err, errcap, "%s: resolving repository path %s: %s", r->label, repo, strerror(errno));
        return errno == ENOMEM ? FERRY_ERR_NO_MEMORY : FERRY_ERR_INVALID;
    }
    if (strchr(r->repo, ':') != NULL) {
        snprintf(err, errcap, "Invalid OSTree reference %s@%s: path %s contains a colon", r->image, repo, r->repo);
        return FERRY_ERR_INVALID;
    }
    r->branch = ot_branch_for_image(r->image);
    if (r->branch == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    return FERRY_OK;
}
