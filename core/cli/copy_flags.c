/* core/cli/copy_flags.c — the flags `copy` and `sync` share, turned into
 * each side's plugin options and the copy options: registry flags, the
 * --dest-* storage flags, --format, --preserve-digests, --remove-signatures,
 * --all / --multi-arch, --image-parallel-copies, --referrers; and the flags ferry knows
 * but cannot honour yet, refused in one line rather than ignored. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "copy/gzpar.h"
#include "copy/plan.h"

/* Flags of skopeo's copy that ferry recognises but cannot honour yet: using
 * one is an error that says so, never a silent no-op. */
static const char *const pending_flags[] = {
    "decryption-key", "encrypt-layer", "encryption-key",
};

static int copy_flags_check(const opt_parsed *p, char *err, size_t errcap)
{
    for (size_t i = 0; i < sizeof(pending_flags) / sizeof(pending_flags[0]); i++) {
        const opt_value *v = opt_get(p, pending_flags[i]);
        if (v != NULL && v->set && (v->boolean || v->string != NULL || v->n_list > 0)) {
            snprintf(err, errcap, "--%s is not supported by ferry %s yet", pending_flags[i], PACKAGE_VERSION);
            return -1;
        }
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

/* --dest-compress-format, --dest-compress-level, --dest-force-compress-format. */
static int copy_flags_compression(const opt_parsed *p, copy_options *opts, char *err, size_t errcap)
{
    const char *format = opt_string(p, "dest-compress-format");
    opts->compress_to = LAYER_COMPRESSION_UNKNOWN;
    if (format != NULL &&
        (opts->compress_to = plan_compression_from_name(format, &opts->chunked)) == LAYER_COMPRESSION_UNKNOWN) {
        snprintf(err, errcap, "unknown compression format \"%s\" for --dest-compress-format; expected gzip, zstd or "
                 "zstd:chunked", format);
        return -1;
    }
    const opt_value *level = opt_get(p, "dest-compress-level");
    opts->has_level = level != NULL && level->set;
    if (opts->has_level) {
        opts->level = (int)level->integer;
        int gzip = opts->compress_to != LAYER_COMPRESSION_ZSTD;
        /* Go's gzip takes -2..9; zstd levels are clamped to libzstd's range. */
        if (level->integer < (gzip ? GZPAR_LEVEL_MIN : -131072) || level->integer > (gzip ? GZPAR_LEVEL_MAX : 22)) {
            snprintf(err, errcap, "--dest-compress-level %lld is not a valid %s level (%s)", (long long)level->integer,
                     gzip ? "gzip" : "zstd", gzip ? "-2 to 9" : "-131072 to 22");
            return -1;
        }
    }
    if (opt_bool(p, "dest-force-compress-format")) {
        if (format == NULL) {
            snprintf(err, errcap, "--dest-force-compress-format needs --dest-compress-format");
            return -1;
        }
        opts->force_compress = 1;
    }
    return 0;
}

/* A platform list: "os/arch[/variant]" tokens, comma-separated. */
static int copy_flags_platform_list(const char *list, char *err, size_t errcap)
{
    size_t tokens = 0;
    for (const char *p = list;; tokens++) {
        size_t n = strcspn(p, ","), parts = 1, empty = n == 0;
        for (size_t i = 0; i < n; i++) {
            parts += p[i] == '/';
            empty |= p[i] == '/' && (i == 0 || i + 1 == n || p[i + 1] == '/');
        }
        if (empty || parts < 2 || parts > 3 || n >= 256 || tokens >= 64) {
            snprintf(err, errcap, "--multi-arch: \"%.*s\" is not a platform (expected os/arch or os/arch/variant, "
                     "as in linux/arm64/v8)", (int)n, p);
            return -1;
        }
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

/* --all, --multi-arch system|all|index-only|PLATFORM,... */
static int copy_flags_multi_arch(const opt_parsed *p, copy_options *opts, char *err, size_t errcap)
{
    const char *multi = opt_string(p, "multi-arch");
    opts->list_mode = opt_bool(p, "all") ? COPY_LIST_ALL : COPY_LIST_SYSTEM;
    if (multi == NULL)
        return 0;
    if (opt_bool(p, "all")) {
        snprintf(err, errcap, "--all and --multi-arch cannot be used together");
        return -1;
    }
    if (strcmp(multi, "system") == 0)
        return 0;
    if (strcmp(multi, "all") == 0) {
        opts->list_mode = COPY_LIST_ALL;
    } else if (strcmp(multi, "index-only") == 0) {
        opts->list_mode = COPY_LIST_INDEX_ONLY;
    } else if (strchr(multi, '/') != NULL) {
        if (copy_flags_platform_list(multi, err, errcap) != 0)
            return -1;
        opts->list_mode = COPY_LIST_PLATFORMS;
        opts->platforms = multi;
    } else {
        snprintf(err, errcap, "unknown multi-arch option \"%s\"; expected system, all, index-only or a list of "
                 "platforms such as linux/amd64,linux/arm64", multi);
        return -1;
    }
    return 0;
}

int copy_flags_apply(ferry_app *app, const opt_parsed *p, ctx_options *src_opts, ctx_options *dst_opts,
                     copy_options *opts, char *err, size_t errcap)
{
    if (copy_flags_check(p, err, errcap) != 0 ||
        app_side_options(app, p, "src-", src_opts, err, errcap) != 0 ||
        app_side_options(app, p, "dest-", dst_opts, err, errcap) != 0)
        return -1;
    /* --authfile applies to both sides. */
    ctx_options_set(src_opts, "authfile", opt_string(p, "src-authfile") ? NULL : opt_string(p, "authfile"));
    ctx_options_set(dst_opts, "authfile", opt_string(p, "dest-authfile") ? NULL : opt_string(p, "authfile"));
    app_bool_option(p, "dest-compress", dst_opts, "compress");
    if (copy_flags_compression(p, opts, err, errcap) != 0)
        return -1;
    app_bool_option(p, "dest-decompress", dst_opts, "decompress");
    app_bool_option(p, "dest-oci-accept-uncompressed-layers", dst_opts, "oci-accept-uncompressed-layers");

    opts->forced_format = MANIFEST_UNKNOWN;
    const char *format = opt_string(p, "format");
    if (format != NULL && (opts->forced_format = plan_format_from_name(format)) == MANIFEST_UNKNOWN) {
        snprintf(err, errcap, "unknown format \"%s\"; expected one of oci, v2s1, v2s2", format);
        return -1;
    }
    const opt_value *parallel = opt_get(p, "image-parallel-copies");
    opts->parallel = parallel != NULL && parallel->set ? (long)parallel->integer : 6;
    if (opts->parallel < 1) {
        snprintf(err, errcap, "--image-parallel-copies must be at least 1");
        return -1;
    }
    /* Referrers name their subject by digest: it must not change. */
    opts->referrers = opt_bool(p, "referrers");
    opts->preserve_digests = opt_bool(p, "preserve-digests") || opts->referrers;
    opts->precompute_digests = opt_bool(p, "dest-precompute-digests");
    if (sign_flags_apply(app, p, opts, err, errcap) != 0)
        return -1;
    opts->remove_signatures = opt_bool(p, "remove-signatures");
    if (copy_flags_multi_arch(p, opts, err, errcap) != 0)
        return -1;
    opts->platform = app->platform;
    return 0;
}
