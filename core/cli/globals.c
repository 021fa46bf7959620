/* core/cli/globals.c — global flags, endpoints, per-side options, exit codes. */
#include "cli/globals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "image/reference.h"
#include "policy/policy.h"

const opt_spec global_option_specs[] = {
    {"command-timeout", 0, OPT_DURATION, "duration", "timeout for the command execution"},
    {"debug", 0, OPT_BOOL, NULL, "enable debug output"},
    {"insecure-policy", 0, OPT_BOOL, NULL, "run the tool without any policy check"},
    {"override-arch", 0, OPT_STRING, "ARCH", "use ARCH instead of the architecture of the machine for choosing images"},
    {"override-os", 0, OPT_STRING, "OS", "use OS instead of the running OS for choosing images"},
    {"override-variant", 0, OPT_STRING, "VARIANT", "use VARIANT instead of the running architecture variant for choosing images"},
    {"policy", 0, OPT_STRING, "string", "Path to a trust policy file"},
    {"registries.d", 0, OPT_STRING, "DIR", "use registry configuration files in DIR (e.g. for container signature storage)"},
    {"tmpdir", 0, OPT_STRING, "string", "directory used to store temporary files"},
    {"user-agent-prefix", 0, OPT_STRING, "string", "prefix to add to the user agent string"},
    {"version", 'v', OPT_BOOL, NULL, "Version for ferry"},
    {NULL, 0, 0, NULL, NULL},
};

#define REGISTRY_FLAGS(P)                                                                                       \
    {P "authfile", 0, OPT_STRING, "string", "path of the authentication file. Default is ${XDG_RUNTIME_DIR}/containers/auth.json"}, \
    {P "cert-dir", 0, OPT_STRING, "PATH", "use certificates at PATH (*.crt, *.cert, *.key) to connect to the registry or daemon"}, \
    {P "creds", 0, OPT_STRING, "USERNAME[:PASSWORD]", "Use USERNAME[:PASSWORD] for accessing the registry"},        \
    {P "daemon-host", 0, OPT_STRING, "HOST", "use docker daemon host at HOST (docker-daemon: only)"},               \
    {P "no-creds", 0, OPT_BOOL, NULL, "Access the registry anonymously"},                                            \
    {P "password", 0, OPT_STRING, "string", "Password for accessing the registry"},                                  \
    {P "registry-token", 0, OPT_STRING, "string", "Provide a Bearer token for accessing the registry"},              \
    {P "shared-blob-dir", 0, OPT_STRING, "DIRECTORY", "DIRECTORY to use to share blobs across OCI repositories"},   \
    {P "tls-verify", 0, OPT_BOOL, NULL, "require HTTPS and verify certificates when talking to the container registry or daemon"}, \
    {P "username", 0, OPT_STRING, "string", "Username for accessing the registry"}

const opt_spec registry_option_specs[] = {REGISTRY_FLAGS(""), {NULL, 0, 0, NULL, NULL}};

const opt_spec copy_side_option_specs[] = {
    REGISTRY_FLAGS("src-"),
    REGISTRY_FLAGS("dest-"),
    /* skopeo's older spellings, kept by skopeo (hidden there) for scripts. */
    {"screds", 0, OPT_STRING, "USERNAME[:PASSWORD]", "Use USERNAME[:PASSWORD] for accessing the source registry (same as --src-creds)"},
    {"dcreds", 0, OPT_STRING, "USERNAME[:PASSWORD]", "Use USERNAME[:PASSWORD] for accessing the destination registry (same as --dest-creds)"},
    {"dest-compress", 0, OPT_BOOL, NULL, "Compress tarball image layers when saving to directory using the 'dir' transport. (default is same compression type as source)"},
    {"dest-decompress", 0, OPT_BOOL, NULL, "Decompress tarball image layers when saving to directory using the 'dir' transport. (default is same compression type as source)"},
    {"dest-oci-accept-uncompressed-layers", 0, OPT_BOOL, NULL, "Allow uncompressed image layers when saving to an OCI image using the 'oci' transport. (default is to compress things that aren't compressed)"},
    {"dest-compress-format", 0, OPT_STRING, "FORMAT", "FORMAT to use for the compression"},
    {"dest-compress-level", 0, OPT_INT, "LEVEL", "LEVEL to use for the compression"},
    {"dest-force-compress-format", 0, OPT_BOOL, NULL, "Enforce the --dest-compress-format compression for every layer, also where the destination would keep the source's"},
    {"dest-precompute-digests", 0, OPT_BOOL, NULL, "Precompute digests to prevent uploading layers already on the registry using the 'docker' transport."},
    {NULL, 0, 0, NULL, NULL},
};

const opt_spec retry_option_specs[] = {
    {"retry-times", 0, OPT_INT, "int", "the number of times to possibly retry"},
    {"retry-delay", 0, OPT_DURATION, "duration", "Fixed delay between retries (default exponential back-off)"},
    {NULL, 0, 0, NULL, NULL},
};

/* Flags forwarded to plugins under the key of the same name. */
static const char *const side_string_keys[] = {"authfile", "cert-dir", "daemon-host", "registry-token",
                                               "shared-blob-dir", "username", "password"};
static const char *const side_bool_keys[] = {"no-creds", "tls-verify"};

const char *app_keep_string(ferry_app *app, char *s)
{
    if (s == NULL || app->n_owned == sizeof(app->owned) / sizeof(app->owned[0])) {
        free(s);
        return NULL;
    }
    app->owned[app->n_owned++] = s;
    return s;
}

/* Reads one line from stdin (terminal echo off when asked); strips the newline. */
char *app_read_line(const char *prompt, int hide)
{
    int tty = isatty(0);
    struct termios saved, quiet;
    /* Echo goes off before the prompt shows, so no early keystroke echoes. */
    if (hide && tty && tcgetattr(0, &saved) == 0) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSANOW, &quiet);
    }
    if (prompt != NULL && tty) {
        fputs(prompt, stderr);
        fflush(stderr);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (hide && tty) {
        tcsetattr(0, TCSANOW, &saved);
        fputc('\n', stderr);
    }
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

int app_apply_globals(ferry_app *app, const opt_parsed *p, char *err, size_t errcap)
{
    const char *s;
    if (opt_bool(p, "debug"))
        app->session.debug = 1;
    if ((s = opt_string(p, "tmpdir")) != NULL)
        app->session.tmpdir = s;
    if ((s = opt_string(p, "policy")) != NULL)
        app->policy_path = s;
    if (opt_bool(p, "insecure-policy"))
        app->insecure_policy = 1;
    if ((s = opt_string(p, "override-os")) != NULL)
        app->platform.os = s;
    if ((s = opt_string(p, "override-arch")) != NULL)
        app->platform.arch = s;
    if ((s = opt_string(p, "override-variant")) != NULL)
        app->platform.variant = s;
    const opt_value *timeout = opt_get(p, "command-timeout");
    if (timeout != NULL && timeout->set) {
        if (timeout->seconds < 0) {
            snprintf(err, errcap, "--command-timeout must not be negative");
            return -1;
        }
        app->command_timeout = timeout->seconds;
        app->session.deadline = timeout->seconds > 0 ? ctx_now() + timeout->seconds : 0;
    }
    if ((s = opt_string(p, "registries.d")) != NULL)
        ctx_options_set(&app->shared_options, "registries.d", s);
    if ((s = opt_string(p, "user-agent-prefix")) != NULL)
        ctx_options_set(&app->shared_options, "user-agent-prefix", s);
    return 0;
}

void app_bool_option(const opt_parsed *p, const char *flag, ctx_options *opts, const char *key)
{
    const opt_value *v = opt_get(p, flag);
    if (v != NULL && v->set)
        ctx_options_set(opts, key, v->boolean ? "true" : "false");
}

int app_side_options(ferry_app *app, const opt_parsed *p, const char *prefix, ctx_options *opts, char *err,
                     size_t errcap)
{
    *opts = app->shared_options;
    char name[64];
    for (size_t i = 0; i < sizeof(side_string_keys) / sizeof(side_string_keys[0]); i++) {
        snprintf(name, sizeof(name), "%s%s", prefix, side_string_keys[i]);
        ctx_options_set(opts, side_string_keys[i], opt_string(p, name));
    }
    for (size_t i = 0; i < sizeof(side_bool_keys) / sizeof(side_bool_keys[0]); i++) {
        snprintf(name, sizeof(name), "%s%s", prefix, side_bool_keys[i]);
        app_bool_option(p, name, opts, side_bool_keys[i]);
    }
    snprintf(name, sizeof(name), "%screds", prefix);
    const char *creds = opt_string(p, name);
    /* --screds/--dcreds: the same option as --src-creds/--dest-creds. */
    const char *alias = strcmp(prefix, "src-") == 0 ? "screds" : strcmp(prefix, "dest-") == 0 ? "dcreds" : NULL;
    const char *alias_creds = alias != NULL ? opt_string(p, alias) : NULL;
    if (creds != NULL && alias_creds != NULL) {
        snprintf(err, errcap, "--%screds and --%s cannot be used together", prefix, alias);
        return -1;
    }
    if (creds == NULL)
        creds = alias_creds;
    int has_user = ctx_options_get(opts, "username") != NULL || ctx_options_get(opts, "password") != NULL;
    int no_creds = ctx_options_get(opts, "no-creds") != NULL && strcmp(ctx_options_get(opts, "no-creds"), "true") == 0;
    if (creds != NULL && has_user) {
        snprintf(err, errcap, "--%screds and --%susername/--%spassword cannot be used together", prefix, prefix,
                 prefix);
        return -1;
    }
    if (no_creds && (creds != NULL || has_user)) {
        snprintf(err, errcap, "--%sno-creds cannot be used together with credentials", prefix);
        return -1;
    }
    if (creds != NULL) {
        if (*creds == '\0') {
            snprintf(err, errcap, "--%screds: credentials cannot be empty", prefix);
            return -1;
        }
        const char *colon = strchr(creds, ':');
        const char *user = app_keep_string(app, colon ? strndup(creds, (size_t)(colon - creds)) : strdup(creds));
        if (user == NULL) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        ctx_options_set(opts, "username", user);
        if (colon != NULL) {
            ctx_options_set(opts, "password", colon + 1);
        } else {
            /* --creds USER: ask for the password, as skopeo does, but only on
             * a terminal (never block a pipeline on stdin). */
            if (!isatty(0)) {
                snprintf(err, errcap, "--%screds %s has no password and standard input is not a terminal to ask for "
                         "it; use USER:PASSWORD", prefix, user);
                return -1;
            }
            char label[128];
            snprintf(label, sizeof(label), "Password for %s: ", user);
            const char *password = app_keep_string(app, app_read_line(label, 1));
            if (password == NULL) {
                snprintf(err, errcap, "--%screds: no password given", prefix);
                return -1;
            }
            ctx_options_set(opts, "password", password);
        }
    }
    return 0;
}

int app_endpoint(ferry_app *app, const char *text, int purpose, const ctx_options *options, copy_endpoint *out,
                 ferry_ctx *ctx)
{
    image_name name;
    char err[1024];
    if (reference_parse(text, &name, err, sizeof(err)) != 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s", err);
    const ferry_transport *t = registry_find(&app->registry, name.transport, err, sizeof(err));
    if (t == NULL)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s", err);
    *out = (copy_endpoint){.transport = t, .text = text, .reference = name.rest, .options = options};
    int has_for = FERRY_HAS_MEMBER(t, ferry_transport, validate_reference_for) && t->validate_reference_for != NULL;
    if (has_for || t->validate_reference != NULL) {
        ferry_ctx vctx;
        ctx_init(&vctx, &app->session, options);
        int rc = has_for ? t->validate_reference_for(&vctx, name.rest, purpose)
                         : t->validate_reference(&vctx, name.rest);
        if (rc != FERRY_OK) {
            ctx_status_message(&vctx, rc, "checking the reference");
            return ctx_fail(ctx, rc, "invalid image name \"%s\": %s", text, ctx_message_after(vctx.message, text));
        }
    }
    return FERRY_OK;
}

int app_policy_allows(ferry_app *app, copy_endpoint *src, ferry_ctx *ctx)
{
    src->policy = NULL;
    if (app->insecure_policy)
        return FERRY_OK;
    char identity[4096] = "";
    if (src->transport->policy_identity != NULL) {
        ferry_ctx pctx;
        ctx_init(&pctx, &app->session, src->options);
        int rc = src->transport->policy_identity(&pctx, src->reference, identity, sizeof(identity));
        if (rc != FERRY_OK) {
            ctx_status_message(&pctx, rc, "resolving the policy identity");
            return ctx_fail(ctx, rc, "%s: %s", src->text, pctx.message);
        }
    }
    char err[2048];
    if (app->policy == NULL && policy_load(app->policy_path, &app->policy, err, sizeof(err)) != 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s", err);
    const policy_requirements *reqs = policy_requirements_for(app->policy, src->transport->name, identity);
    if (policy_requirements_read_image(reqs)) {
        src->policy = reqs;
        return FERRY_OK;
    }
    if (policy_evaluate(reqs, &(policy_image){.name = src->text}, err, sizeof(err)) != 0)
        return ctx_fail(ctx, FERRY_ERR_FAILED, "Source image rejected: %s", err);
    return FERRY_OK;
}


int app_fail_text(const char *message)
{
    fprintf(stderr, "ferry: %s\n", message);
    return 1;
}

int app_fail(const ferry_ctx *ctx)
{
    fprintf(stderr, "ferry: %s\n", ctx->message[0] ? ctx->message : "operation failed");
    /* skopeo 1.10+: 2 only when the image does not exist, 1 otherwise. */
    if (ctx->status == FERRY_OK)
        return 0;
    return ctx->status == FERRY_ERR_NOT_FOUND && ctx->image_absent ? 2 : 1;
}

int app_with_retries(ferry_app *app, const opt_parsed *p, int (*op)(void *arg, ferry_ctx *ctx), void *arg,
                     ferry_ctx *ctx)
{
    const opt_value *times = opt_get(p, "retry-times");
    const opt_value *delay = opt_get(p, "retry-delay");
    long long max = times != NULL && times->set ? times->integer : 0;
    if (max < 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "--retry-times must not be negative");
    for (long long attempt = 0;; attempt++) {
        ctx_clear(ctx);
        int rc = op(arg, ctx);
        if (rc != FERRY_ERR_TRANSIENT || attempt >= max || ctx_cancelled(ctx))
            return rc;
        double wait = delay != NULL && delay->set ? delay->seconds : ldexp(1.0, (int)(attempt + 1 < 30 ? attempt + 1 : 30));
        fprintf(stderr, "ferry: warning: %s; retrying in %gs (attempt %lld of %lld)\n", ctx->message, wait,
                attempt + 1, max);
        struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && !ctx_cancelled(ctx))
            ;
    }
}

void app_print_usage(const char *usage, const char *description, const opt_spec *const *tables, size_t n)
{
    printf("%s\n\nUsage:\n  %s\n\nFlags:\n", description, usage);
    opt_print_help(tables, n);
    printf("%-44s %s\n", "  -h, --help", "help for this command");
    printf("\nGlobal Flags:\n");
    const opt_spec *globals[] = {global_option_specs};
    opt_print_help(globals, 1);
}
