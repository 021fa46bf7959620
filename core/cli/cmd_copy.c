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
    {"multi-arch", 0, OPT_STRING, "string", "How to handle multi-architecture images (system, all, or index-only)"},
    {"preserve-digests", 0, OPT_BOOL, NULL, "Preserve digests of images and lists"},
    {"quiet", 'q', OPT_BOOL, NULL, "Suppress output information when copying images"},
    {"remove-signatures", 0, OPT_BOOL, NULL, "Do not copy signatures from SOURCE-IMAGE"},
    {"sign-by", 0, OPT_STRING, "FINGERPRINT", "Sign the image using a GPG key with the specified FINGERPRINT"},
    {"sign-by-sigstore", 0, OPT_STRING, "PARAM-FILE", "Sign the image using a sigstore parameter file at PATH"},
    {"sign-by-sigstore-private-key", 0, OPT_STRING, "PATH", "Sign the image using a sigstore private key at PATH"},
    {"sign-identity", 0, OPT_STRING, "string", "Identity of signed image, must be a fully specified docker reference. Defaults to the target docker reference."},
    {"sign-passphrase-file", 0, OPT_STRING, "PATH", "Read a passphrase for signing an image from PATH"},
    {NULL, 0, 0, NULL, NULL},
};

/* Flags of skopeo's copy that ferry recognises but cannot honour yet: using
 * one is an error that says so, never a silent no-op. */
static const char *const pending_flags[] = {
    "decryption-key", "encrypt-layer", "encryption-key", "sign-by", "sign-by-sigstore",
    "sign-by-sigstore-private-key", "sign-identity", "sign-passphrase-file", "dest-compress-format",
    "dest-compress-level", "dest-precompute-digests",
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

static int copy_check_flags(const opt_parsed *p, char *err, size_t errcap)
{
    for (size_t i = 0; i < sizeof(pending_flags) / sizeof(pending_flags[0]); i++) {
        const opt_value *v = opt_get(p, pending_flags[i]);
        if (v != NULL && v->set && (v->boolean || v->string != NULL || v->n_list > 0)) {
            snprintf(err, errcap, "--%s is not supported by ferry %s yet", pending_flags[i], PACKAGE_VERSION);
            return -1;
        }
    }
    const char *multi = opt_string(p, "multi-arch");
    if (multi != NULL && strcmp(multi, "system") != 0 && strcmp(multi, "all") != 0) {
        if (strcmp(multi, "index-only") == 0)
            snprintf(err, errcap, "--multi-arch=%s is not supported by ferry %s yet", multi, PACKAGE_VERSION);
        else
            snprintf(err, errcap, "unknown multi-arch option \"%s\"; expected system, all or index-only", multi);
        return -1;
    }
    if (opt_bool(p, "dest-compress") && opt_bool(p, "dest-decompress")) {
        snprintf(err, errcap, "--dest-compress and --dest-decompress cannot be used together");
        return -1;
    }
    if (opt_string(p, "authfile") != NULL && (opt_string(p, "src-authfile") || opt_string(p, "dest-authfile"))) {
        snprintf(err, errcap, "--authfile cannot be used together with --src-authfile or --dest-authfile");
        return -1;
    }
    return 0;
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
    if (copy_check_flags(&p, err, sizeof(err)) != 0 ||
        app_side_options(app, &p, "src-", &src_opts, err, sizeof(err)) != 0 ||
        app_side_options(app, &p, "dest-", &dst_opts, err, sizeof(err)) != 0)
        goto usage_error;
    /* --authfile applies to both sides. */
    ctx_options_set(&src_opts, "authfile", opt_string(&p, "src-authfile") ? NULL : opt_string(&p, "authfile"));
    ctx_options_set(&dst_opts, "authfile", opt_string(&p, "dest-authfile") ? NULL : opt_string(&p, "authfile"));
    if (opt_bool(&p, "dest-compress"))
        ctx_options_set(&dst_opts, "compress", "true");
    if (opt_bool(&p, "dest-decompress"))
        ctx_options_set(&dst_opts, "decompress", "true");
    if (opt_bool(&p, "dest-oci-accept-uncompressed-layers"))
        ctx_options_set(&dst_opts, "oci-accept-uncompressed-layers", "true");

    call.opts.forced_format = MANIFEST_UNKNOWN;
    const char *format = opt_string(&p, "format");
    if (format != NULL && (call.opts.forced_format = plan_format_from_name(format)) == MANIFEST_UNKNOWN) {
        snprintf(err, sizeof(err), "unknown format \"%s\"; expected one of oci, v2s1, v2s2", format);
        goto usage_error;
    }
    const opt_value *parallel = opt_get(&p, "image-parallel-copies");
    call.opts.parallel = parallel->set ? (long)parallel->integer : 6;
    if (call.opts.parallel < 1) {
        snprintf(err, sizeof(err), "--image-parallel-copies must be at least 1");
        goto usage_error;
    }
    call.opts.preserve_digests = opt_bool(&p, "preserve-digests");
    call.opts.remove_signatures = opt_bool(&p, "remove-signatures");
    call.opts.all = opt_bool(&p, "all") || (opt_string(&p, "multi-arch") && strcmp(opt_string(&p, "multi-arch"), "all") == 0);
    call.opts.platform = app->platform;
    /* Progress goes to stdout like skopeo's, unless the image itself does. */
    call.opts.report = opt_bool(&p, "quiet") ? NULL : strstr(p.args[1], "/dev/stdout") ? stderr : stdout;

    if (app_endpoint(app, p.args[0], &src_opts, &call.src, &ctx) != FERRY_OK ||
        app_endpoint(app, p.args[1], &dst_opts, &call.dst, &ctx) != FERRY_OK ||
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
