/* plugins/dir/layout.c — file names of skopeo's dir format: manifest.json
 * (HEX.manifest.json for a list instance), blobs named HEX, signature-N
 * (HEX.signature-N for an instance), and the version file. Digests are
 * validated before they become part of a file name (no "sha256:../x"). */
#include "dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dir_fits(int n, size_t cap)
{
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

int dir_blob_name(const ferry_services *svc, const char *digest, char *buf, size_t cap)
{
    char alg[16];
    const char *hex;
    if (plugin_util_digest_split(svc, digest, alg, sizeof alg, &hex) != 0)
        return -1;
    return dir_fits(snprintf(buf, cap, "%s", hex), cap);
}

/* SUFFIX for the image itself, HEX.SUFFIX for the list instance. */
static int dir_instance_name(const ferry_services *svc, const char *instance_digest, const char *suffix, char *buf,
                             size_t cap)
{
    if (instance_digest == NULL)
        return dir_fits(snprintf(buf, cap, "%s", suffix), cap);
    char hex[PLUGIN_UTIL_DIGEST_MAX];
    if (dir_blob_name(svc, instance_digest, hex, sizeof hex) != 0)
        return -1;
    return dir_fits(snprintf(buf, cap, "%s.%s", hex, suffix), cap);
}

int dir_manifest_name(const ferry_services *svc, const char *instance_digest, char *buf, size_t cap)
{
    return dir_instance_name(svc, instance_digest, DIR_MANIFEST_FILE, buf, cap);
}

int dir_signature_name(const ferry_services *svc, const char *instance_digest, size_t index, char *buf,
                       size_t cap)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "signature-%zu", index);
    return dir_instance_name(svc, instance_digest, suffix, buf, cap);
}

int dir_has_version_file(int dirfd)
{
    char *data = NULL;
    size_t len = 0;
    if (plugin_util_read_file(dirfd, DIR_VERSION_FILE, 4096, &data, &len) != 0)
        return errno == ENOENT || errno == EFBIG || errno == EINVAL ? 0 : -1;
    int ok = len == strlen(DIR_VERSION_CONTENT) && memcmp(data, DIR_VERSION_CONTENT, len) == 0;
    free(data);
    return ok;
}
