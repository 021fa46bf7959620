/* core/cli/cmd_manifest_digest.c — `ferry manifest-digest FILE`: the digest
 * containers/image gives the manifest (for a signed Docker schema 1 manifest,
 * that of its JWS payload), as `skopeo manifest-digest` prints it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "image/digest.h"
#include "image/schema1.h"
#include "shared/fsutil.h"
#include "shared/strbuf.h"

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
    char err[1024], msg[768];
    strbuf data = STRBUF_INIT;
    char digest[DIGEST_MAX_LEN];
    if (fs_read_file(path, &data) != 0) { /* all of it, as skopeo's os.ReadFile */
        snprintf(err, sizeof(err), "error reading manifest %s: %s", path, strerror(errno));
        code = app_fail_text(err);
    } else if (schema1_digest(data.data ? data.data : "", data.len, digest, sizeof(digest), msg, sizeof(msg)) != 0) {
        snprintf(err, sizeof(err), "error computing digest of manifest %s: %s", path, msg);
        code = app_fail_text(err);
    } else {
        printf("%s\n", digest);
    }
    strbuf_release(&data);
    opt_release(&p);
    return code;
}
