/* core/cli/cmd_sync.c — `ferry sync --src KIND --dest KIND SOURCE DESTINATION`:
 * skopeo's sync (docker, dir and yaml sources; docker and dir
 * destinations), plus oci layouts on both sides, images copied several at
 * once (--parallel-images) and images already at the destination left
 * alone. The work is core/sync/'s; this file reads the flags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "copy/progress.h"
#include "shared/fsutil.h"
#include "shared/strbuf.h"
#include "sync/sync.h"

#define SYNC_DEFAULT_PARALLEL_IMAGES 4

static const opt_spec sync_option_specs[] = {
    {"all", 'a', OPT_BOOL, NULL, "Copy all images if SOURCE-IMAGE is a list"},
    {"append-suffix", 0, OPT_STRING, "string", "String to append to DESTINATION tags"},
    {"authfile", 0, OPT_STRING, "string", "path of the authentication file. Default is ${XDG_RUNTIME_DIR}/containers/auth.json"},
    {"dest", 'd', OPT_STRING, "string", "DESTINATION transport type (docker, dir or oci)"},
    {"digestfile", 0, OPT_STRING, "string", "Write the digests and Image References of the resulting images to the specified file, separated by newlines"},
    {"dry-run", 0, OPT_BOOL, NULL, "Run without actually copying data"},
    {"format", 'f', OPT_STRING, "MANIFEST TYPE", "MANIFEST TYPE (oci, v2s1, or v2s2) to use when syncing image(s) to a destination (default is manifest type of source, with fallbacks)"},
    {"image-parallel-copies", 0, OPT_INT, "uint", "Maximum number of image layers to be copied (pulled/pushed) simultaneously (default 6)"},
    {"keep-going", 0, OPT_BOOL, NULL, "Do not abort the sync if any image copy fails"},
    {"parallel-images", 0, OPT_INT, "uint", "Maximum number of images copied simultaneously (default 4)"},
    {"preserve-digests", 0, OPT_BOOL, NULL, "Preserve digests of images and lists"},
    {"referrers", 0, OPT_BOOL, NULL,
     "Also copy the OCI referrers (signatures, SBOMs: manifests whose subject is the image), recursively, "
     "unchanged (implies --preserve-digests)"},
    {"remove-signatures", 0, OPT_BOOL, NULL, "Do not copy signatures from SOURCE images"},
    {"scoped", 0, OPT_BOOL, NULL, "Images at DESTINATION are prefix using the full source image path as scope"},
    {"sign-by", 0, OPT_STRING, "FINGERPRINT", "Sign the image using a GPG key with the specified FINGERPRINT"},
    {"sign-by-sigstore", 0, OPT_STRING, "PARAM-FILE", "Sign the image using a sigstore parameter file at PATH"},
    {"sign-by-sigstore-private-key", 0, OPT_STRING, "PATH", "Sign the image using a sigstore private key at PATH"},
    {"sign-passphrase-file", 0, OPT_STRING, "PATH", "File that contains a passphrase for the --sign-by key"},
    {"src", 's', OPT_STRING, "string", "SOURCE transport type (docker, dir, yaml or oci)"},
    {NULL, 0, 0, NULL, NULL},
};

static int sync_kind_from(const char *name, int source, sync_kind *out)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "docker") == 0)
        *out = SYNC_DOCKER;
    else if (strcmp(name, "dir") == 0)
        *out = SYNC_DIR;
    else if (strcmp(name, "oci") == 0)
        *out = SYNC_OCI;
    else if (source && strcmp(name, "yaml") == 0)
        *out = SYNC_YAML;
    else
        return -1;
    return 0;
}

/* skopeo's checks, in its order, with its words. */
static int sync_check_kinds(const opt_parsed *p, sync_kind *src, sync_kind *dst, char *err, size_t errcap)
{
    const char *s = opt_string(p, "src"), *d = opt_string(p, "dest");
    if (s == NULL || *s == '\0')
        snprintf(err, errcap, "A source transport must be specified");
    else if (sync_kind_from(s, 1, src) != 0)
        snprintf(err, errcap, "\"%s\" is not a valid source transport", s);
    else if (d == NULL || *d == '\0')
        snprintf(err, errcap, "A destination transport must be specified");
    else if (sync_kind_from(d, 0, dst) != 0)
        snprintf(err, errcap, "\"%s\" is not a valid destination transport", d);
    else if (*src == SYNC_DIR && *dst == SYNC_DIR)
        snprintf(err, errcap, "sync from 'dir' to 'dir' not implemented, consider using rsync instead");
    else
        return 0;
    return -1;
}

/* --digestfile: "DIGEST transport:reference" per image copied or found
 * unchanged, as newer skopeo writes it. */
static int sync_write_digestfile(const char *path, const sync_list *list, char *err, size_t errcap)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].outcome == SYNC_COPIED || list->items[i].outcome == SYNC_UNCHANGED)
            strbuf_printf(&sb, "%s %s\n", list->items[i].digest, list->items[i].dst);
    if (sb.failed) {
        strbuf_release(&sb);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc = fs_write_file_atomic(path, sb.data ? sb.data : "", sb.len, 0644, err, errcap);
    strbuf_release(&sb);
    return rc;
}

int cmd_sync(ferry_app *app, const command *cmd, int argc, char **argv)
{
    const opt_spec *tables[] = {sync_option_specs, copy_side_option_specs, retry_option_specs};
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry sync [command options] --src TRANSPORT --dest TRANSPORT SOURCE DESTINATION",
                      tables, 3, argc, argv, &p, &code) != 0)
        return code;
    char err[1024] = "";
    ctx_options src_opts, dst_opts;
    sync_run_options run = {.report = stdout};
    sync_list_request req = {0};
    sync_list list = {0};
    ferry_ctx ctx;
    ctx_init(&ctx, &app->session, NULL);
    if (p.n_args != 2) {
        snprintf(err, sizeof(err), "Exactly two arguments expected");
        goto usage_error;
    }
    if (sync_check_kinds(&p, &req.src_kind, &req.dest_kind, err, sizeof(err)) != 0 ||
        copy_flags_apply(app, &p, &src_opts, &dst_opts, &run.copy, err, sizeof(err)) != 0)
        goto usage_error;
    /* A dir: destination names no Docker reference to sign for: refused
     * before anything is listed or written (skopeo fails at its first image). */
    if ((run.copy.sign_by != NULL || run.copy.n_sigstore_keys > 0) && req.dest_kind == SYNC_DIR) {
        snprintf(err, sizeof(err), "Cannot determine canonical Docker reference for destination dir:%s", p.args[1]);
        code = app_fail_text(err);
        goto out;
    }
    const opt_value *pi = opt_get(&p, "parallel-images");
    run.parallel_images = pi->set ? (long)pi->integer : SYNC_DEFAULT_PARALLEL_IMAGES;
    if (run.parallel_images < 1) {
        snprintf(err, sizeof(err), "--parallel-images must be at least 1");
        goto usage_error;
    }
    run.dry_run = opt_bool(&p, "dry-run");
    run.keep_going = opt_bool(&p, "keep-going");
    run.dst_opts = &dst_opts;
    /* Each image reports one line; the per-blob lines of parallel copies would
     * interleave: they share a progress showing only their blobs' (a live
     * line each on a terminal, a line now and then for a long one elsewhere). */
    run.copy.report = NULL;
    if (progress_new_shared(run.report, &run.copy.progress) != 0) {
        code = app_fail_text("out of memory");
        goto out;
    }
    req.source = p.args[0];
    req.destination = p.args[1];
    req.scoped = opt_bool(&p, "scoped");
    req.append_suffix = opt_string(&p, "append-suffix");
    req.src_opts = &src_opts;
    if (run.dry_run)
        fprintf(stderr, "ferry: running in dry-run mode\n");
    if (sync_list_build(app, &p, &req, &list, &ctx) != FERRY_OK) {
        code = app_fail(&ctx);
        goto out;
    }
    int rc = sync_run(app, &p, &list, &run, &ctx);
    if (rc != FERRY_OK && ctx.status != FERRY_OK) {
        code = app_fail(&ctx);
        goto out;
    }
    const char *digestfile = opt_string(&p, "digestfile");
    if (digestfile != NULL && !run.dry_run && sync_write_digestfile(digestfile, &list, err, sizeof(err)) != 0) {
        code = app_fail_text(err);
        goto out;
    }
    if (rc != FERRY_OK)
        code = app_fail_text("Sync failed due to previous reported error(s) for one or more images");
    goto out;
usage_error:
    code = app_fail_text(err);
out:
    progress_free(run.copy.progress);
    sync_list_free(&list);
    opt_release(&p);
    return code;
}
