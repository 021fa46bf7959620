/* core/cli/globals.h — what every command shares: the global flags, the
 * session built from them, the transport registry, turning "transport:ref"
 * arguments into endpoints, per-side options, and status → exit code. */
#ifndef FERRY_CORE_GLOBALS_H
#define FERRY_CORE_GLOBALS_H

#include <signal.h>

#include "cli/options.h"
#include "copy/copy.h"
#include "plugin/context.h"
#include "plugin/loader.h"

typedef struct ferry_app {
    transport_registry registry;
    ferry_session session;
    opt_parsed globals;           /* global flags given before the command */
    const char *policy_path;      /* --policy */
    int insecure_policy;          /* --insecure-policy */
    platform_spec platform;       /* --override-os/arch/variant */
    double command_timeout;       /* seconds, 0 = none */
    ctx_options shared_options;   /* global flags plugins may use (registries.d, user agent) */
    struct policy *policy;        /* the trust policy, loaded by the first app_policy_allows; owned */
    char *owned[16];              /* strings built for options (split --creds) */
    size_t n_owned;
} ferry_app;

extern const opt_spec global_option_specs[];

/* Applies global flags found in `p` (before or after the command name). */
int app_apply_globals(ferry_app *app, const opt_parsed *p, char *err, size_t errcap);

/* Parses "transport:ref", loads the transport and checks the syntax. */
/* Resolves "transport:reference" and has the transport check it for
 * `purpose` (FERRY_REF_FOR_*): validate_reference_for when the module has
 * it, else validate_reference. */
int app_endpoint(ferry_app *app, const char *text, int purpose, const ctx_options *options, copy_endpoint *out,
                 ferry_ctx *ctx);

/* A boolean flag given (either way) sets `key` to exactly "true" or "false",
 * as doc/plugin-abi.md §6 promises modules; not given, the key stays unset. */
void app_bool_option(const opt_parsed *p, const char *flag, ctx_options *opts, const char *key);

/* Fills `opts` from flags named PREFIX+name for every flag in the shared
 * registry/transport set (prefix "" for inspect, "src-"/"dest-" for copy). */
int app_side_options(ferry_app *app, const opt_parsed *p, const char *prefix, ctx_options *opts, char *err,
                     size_t errcap);

/* Trust policy check of a source endpoint (skipped with --insecure-policy):
 * refuses an image the policy rejects outright; when its requirements need
 * the image's signatures, sets src->policy for the copy to evaluate them
 * once it has read them (copy_policy.c). */
int app_policy_allows(ferry_app *app, copy_endpoint *src, ferry_ctx *ctx);


/* Prints "ferry: <message>" on stderr for a failed ctx and returns the exit
 * code: 2 when ctx notes the image does not exist (ctx_note_image_absent),
 * else 1, as skopeo 1.10+. */
int app_fail(const ferry_ctx *ctx);
int app_fail_text(const char *message);

/* Flag tables shared by commands. */
extern const opt_spec registry_option_specs[];     /* unprefixed: inspect, delete, list-tags */
extern const opt_spec copy_side_option_specs[];    /* --src-… and --dest-… */
extern const opt_spec retry_option_specs[];

/* Runs op until it succeeds or fails for good, retrying FERRY_ERR_TRANSIENT
 * failures --retry-times times with --retry-delay (default 2^attempt s). */
int app_with_retries(ferry_app *app, const opt_parsed *p, int (*op)(void *arg, ferry_ctx *ctx), void *arg,
                     ferry_ctx *ctx);

/* Keeps s (malloc'd) until the command ends and returns it; frees it and
 * returns NULL when no room is left. */
const char *app_keep_string(ferry_app *app, char *s);

/* Reads one line from stdin, the prompt on stderr (only on a terminal), echo
 * off when hide is set; without the newline. malloc'd, NULL at end of input. */
char *app_read_line(const char *prompt, int hide);

/* Prints usage for a command. */
void app_print_usage(const char *usage, const char *description, const opt_spec *const *tables, size_t n);

#endif
