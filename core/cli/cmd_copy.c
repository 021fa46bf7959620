/* core/cli/cmd_copy.c — `ferry copy SOURCE-IMAGE DESTINATION-IMAGE`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "copy/plan.h"
#include "shared/fsutil.h"
#include "shared/strbuf.h"

static const opt_spec copy_option_specs[] = {
    {"additional-tag", 0, OPT_LIST, "strings", "additional tags (supports docker-archive)"},
    {"all", 'a', OPT_BOOL, NULL, "Copy all images if SOURCE-IMAGE is a list"},
    {"authfile", 0, OPT_STRING, "string", "path of the authentication file. Default is ${XDG_RUNTIME_DIR}/containers/auth.json"},
    {"decryption-key", 0, OPT_LIST, "strings", "*Experimental* key needed to decrypt the image"},
    {"digestfile", 0, OPT_STRING, "string", "Write the digest of the pushed image to the specified file"},
    {"encrypt-layer", 0, OPT_LIST, "ints", "*Experimental* the 0-indexed layer indices, with support for negative indexing (e.g. 0 is the first layer, -1 is the last layer)"},
    {"encryption-key", 0, OPT_LIST, "strings", "*Experimental* key with the encryption protocol to use needed to encrypt the image (e.g. jwe:/path/to/key.pem)"},
    {"format", 'f', OPT_STRING, "MANIFEST TYPE", "MANIFEST TYPE (oci, v2s1, or v2s2) to use in the destination (default is manifest type of source, with fallbacks)"},
    {"image-parallel-copies", 0, OPT_INT, "uint", "Maximum number of image layers to be copied (pulled/pushed) simultaneously (default 6)"},
    {"multi-arch", 0, OPT_STRING, "string",
     "How to handle multi-architecture images (system, all, index-only, or a platform list such as "
     "linux/amd64,linux/arm64/v8)"},
    {"preserve-digests", 0, OPT_BOOL, NULL, "Preserve digests of images and lists"},
    {"referrers", 0, OPT_BOOL, NULL,
     "Also copy the OCI referrers (signatures, SBOMs: manifests whose subject is the image), recursively, "
     "unchanged (implies --preserve-digests)"},
    {"quiet", 'q', OPT_BOOL, NULL, "Suppress output information when copying images"},
    {"remove-signatures", 0, OPT_BOOL, NULL, "Do not copy signatures from SOURCE-IMAGE"},
    {"sign-by", 0, OPT_STRING, "FINGERPRINT", "Sign the image using a GPG key with the specified FINGERPRINT"},
    {"sign-by-sigstore", 0, OPT_STRING, "PARAM-FILE", "Sign the image using a sigstore parameter file at PATH"},
    {"sign-by-sigstore-private-key", 0, OPT_STRING, "PATH", "Sign the image using a sigstore private key at PATH"},
    {"sign-identity", 0, OPT_STRING, "string", "Identity of signed image, must be a fully specified docker reference. Defaults to the target docker reference."},
    {"sign-passphrase-file", 0, OPT_STRING, "PATH", "Read a passphrase for signing an image from PATH"},
    {NULL, 0, 0, NULL, NULL},
};

typedef struct copy_call {
    ferry_app *app;
    copy_endpoint src, dst;
    copy_options opts;
} copy_call;

static int copy_call_run(void *arg, ferry_ctx *ctx)
{
    copy_call *c = arg;
    return copy_image(&c->app->session, &c->src, &c->dst, &c->opts, ctx);
}

int cmd_copy(ferry_app *app, const command *cmd, int argc, char **argv)
{
    const opt_spec *tables[] = {copy_option_specs, copy_side_option_specs, retry_option_specs};
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry copy [command options] SOURCE-IMAGE DESTINATION-IMAGE", tables, 3, argc, argv,
                      &p, &code) != 0)
        return code;
    char err[1024] = "";
    copy_call call = {.app = app};
    ctx_options src_opts, dst_opts;
    ferry_ctx ctx;
    ctx_init(&ctx, &app->session, NULL);
    if (p.n_args != 2) {
        snprintf(err, sizeof(err), "copy: exactly two arguments expected (SOURCE-IMAGE DESTINATION-IMAGE), got %zu",
                 p.n_args);
        goto usage_error;
    }
    if (copy_flags_apply(app, &p, &src_opts, &dst_opts, &call.opts, err, sizeof(err)) != 0)
        goto usage_error;
    /* Progress goes to stdout like skopeo's, unless the image itself does. */
    call.opts.report = opt_bool(&p, "quiet") ? NULL : strstr(p.args[1], "/dev/stdout") ? stderr : stdout;

    if (app_endpoint(app, p.args[0], FERRY_REF_FOR_READ, &src_opts, &call.src, &ctx) != FERRY_OK ||
        app_endpoint(app, p.args[1], FERRY_REF_FOR_WRITE, &dst_opts, &call.dst, &ctx) != FERRY_OK ||
        app_policy_allows(app, &call.src, &ctx) != FERRY_OK) {
        code = app_fail(&ctx);
        goto out;
    }
    /* --additional-tag names more images in a location that holds several
     * (docker-archive, docker-daemon); anywhere else it would be silently
     * meaningless. */
    const opt_value *extra = opt_get(&p, "additional-tag");
    if (extra->n_list > 0) {
        if (!(call.dst.transport->capabilities & FERRY_CAP_MULTI_IMAGE)) {
            snprintf(err, sizeof(err), "--additional-tag is only supported by destinations holding several images "
                     "(docker-archive, docker-daemon), not %s", call.dst.transport->name);
            goto usage_error;
        }
        strbuf tags = STRBUF_INIT;
        for (size_t i = 0; i < extra->n_list; i++)
            strbuf_printf(&tags, "%s%s", i ? "\n" : "", extra->list[i]);
        char *joined = strbuf_detach(&tags, NULL);
        if (joined == NULL || app_keep_string(app, joined) == NULL) {
            snprintf(err, sizeof(err), "out of memory");
            goto usage_error;
        }
        ctx_options_set(&dst_opts, "additional-tags", joined);
    }
    if (app_with_retries(app, &p, copy_call_run, &call, &ctx) != FERRY_OK) {
        code = app_fail(&ctx);
        goto out;
    }
    const char *digestfile = opt_string(&p, "digestfile");
    if (digestfile != NULL) {
        char line[DIGEST_MAX_LEN + 2];
        snprintf(line, sizeof(line), "%s", call.opts.manifest_digest);
        if (fs_write_file_atomic(digestfile, line, strlen(line), 0644, err, sizeof(err)) != 0)
            code = app_fail_text(err);
    }
    goto out;
usage_error:
    code = app_fail_text(err);
out:
    opt_release(&p);
    return code;
}
