/* core/cli/cmd_manifest_digest.c — `ferry manifest-digest FILE`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "image/digest.h"
#include "image/manifest.h"

static int manifest_is_signed_schema1_file(const char *path)
{
    json_t *root = json_load_file(path, 0, NULL);
    int signed_v1 = json_integer_value(json_object_get(root, "schemaVersion")) == 1 &&
                    json_object_get(root, "signatures") != NULL;
    json_decref(root);
    return signed_v1;
}

int cmd_manifest_digest(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry manifest-digest MANIFEST-FILE", NULL, 0, argc, argv, &p, &code) != 0)
        return code;
    if (p.n_args != 1) {
        opt_release(&p);
        return app_fail_text("manifest-digest: exactly one argument (a manifest file) is expected");
    }
    const char *path = p.args[0];
    FILE *f = fopen(path, "rb");
    char err[1024];
    if (f == NULL) {
        snprintf(err, sizeof(err), "error reading manifest %s: %s", path, strerror(errno));
        opt_release(&p);
        return app_fail_text(err);
    }
    digest_hasher *h = digest_hasher_new("sha256");
    unsigned char buf[65536];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        digest_hasher_update(h, buf, n);
        total += n;
    }
    int failed = ferror(f);
    fclose(f);
    char digest[DIGEST_MAX_LEN];
    digest_hasher_final(h, digest, sizeof(digest));
    digest_hasher_free(h);
    if (failed) {
        snprintf(err, sizeof(err), "error reading manifest %s", path);
        code = app_fail_text(err);
    } else if (total <= MANIFEST_MAX_SIZE && manifest_is_signed_schema1_file(path)) {
        /* Their digest covers the payload without the JWS signatures. */
        snprintf(err, sizeof(err), "manifest %s: signed Docker schema 1 manifests are not supported yet", path);
        code = app_fail_text(err);
    } else {
        printf("%s\n", digest);
    }
    opt_release(&p);
    return code;
}
