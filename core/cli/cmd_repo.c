/* core/cli/cmd_repo.c — repository commands served by transports that declare
 * them: `ferry delete IMAGE-NAME` and `ferry list-tags REPOSITORY-NAME`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "image/reference.h"
#include "shared/gojson.h"

typedef struct repo_call {
    copy_endpoint ep;
    json_t *tags;
} repo_call;

static int repo_delete_run(void *arg, ferry_ctx *ctx)
{
    repo_call *c = arg;
    return c->ep.transport->delete_image(ctx, c->ep.reference);
}

static int repo_tag_collect(void *opaque, const char *tag)
{
    return json_array_append_new(opaque, json_string(tag)) == 0 ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

static int repo_list_tags_run(void *arg, ferry_ctx *ctx)
{
    repo_call *c = arg;
    json_array_clear(c->tags);
    return c->ep.transport->list_tags(ctx, c->ep.reference, repo_tag_collect, c->tags);
}

/* Shared flow: parse, resolve the endpoint, check the capability, run. */
static int repo_command(ferry_app *app, const command *cmd, int argc, char **argv, uint64_t capability,
                        int (*run)(void *, ferry_ctx *), repo_call *call, opt_parsed *p)
{
    const opt_spec *tables[] = {registry_option_specs, retry_option_specs};
    char usage[128];
    snprintf(usage, sizeof(usage), "ferry %s [command options] %s", cmd->name,
             capability == FERRY_CAP_DELETE ? "IMAGE-NAME" : "SOURCE-IMAGE");
    int code = 0;
    if (command_parse(app, cmd, usage, tables, 2, argc, argv, p, &code) != 0)
        return code;
    char err[1024] = "";
    ctx_options opts;
    ferry_ctx ctx;
    ctx_init(&ctx, &app->session, NULL);
    if (p->n_args != 1) {
        snprintf(err, sizeof(err), "%s: exactly one argument expected, got %zu", cmd->name, p->n_args);
        return app_fail_text(err);
    }
    if (app_side_options(app, p, "", &opts, err, sizeof(err)) != 0)
        return app_fail_text(err);
    ctx.options = &opts;
    int purpose = capability == FERRY_CAP_DELETE ? FERRY_REF_FOR_DELETE : FERRY_REF_FOR_LIST_TAGS;
    if (app_endpoint(app, p->args[0], purpose, &opts, &call->ep, &ctx) != FERRY_OK)
        return app_fail(&ctx);
    const ferry_transport *t = call->ep.transport;
    int supported = (t->capabilities & capability) &&
                    (capability == FERRY_CAP_DELETE ? t->delete_image != NULL : t->list_tags != NULL);
    if (!supported) {
        snprintf(err, sizeof(err), "transport %s does not support %s", t->name,
                 capability == FERRY_CAP_DELETE ? "deleting images" : "listing tags");
        return app_fail_text(err);
    }
    if (app_with_retries(app, p, run, call, &ctx) != FERRY_OK) {
        ctx_wrap(&ctx, ctx.status, capability == FERRY_CAP_DELETE ? "deleting image" : "listing tags of",
                 call->ep.text);
        ctx_note_image_absent(&ctx, ctx.status, call->ep.text);
        return app_fail(&ctx);
    }
    return 0;
}

int cmd_delete(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    repo_call call = {0};
    int code = repo_command(app, cmd, argc, argv, FERRY_CAP_DELETE, repo_delete_run, &call, &p);
    opt_release(&p);
    return code;
}

int cmd_list_tags(ferry_app *app, const command *cmd, int argc, char **argv)
{
    opt_parsed p;
    repo_call call = {.tags = json_array()};
    int code = repo_command(app, cmd, argc, argv, FERRY_CAP_LIST_TAGS, repo_list_tags_run, &call, &p);
    if (code == 0 && p.n_args == 1 && !p.help) {
        /* skopeo prints {"Repository": …, "Tags": […]} with the normalised
         * repository ("docker.io/library/busybox"), which is the transport's
         * policy identity without tag or digest. */
        char repo[4096] = "";
        ferry_ctx ictx;
        ctx_init(&ictx, &app->session, call.ep.options);
        const ferry_transport *t = call.ep.transport;
        if (t->policy_identity == NULL ||
            t->policy_identity(&ictx, call.ep.reference, repo, sizeof(repo)) != FERRY_OK) {
            const char *rest = call.ep.reference;
            while (*rest == '/')
                rest++;
            snprintf(repo, sizeof(repo), "%s", rest);
        }
        char name[4096];
        reference_repository(repo, name, sizeof(name));
        json_t *out = json_object();
        /* An archive holds several images and no repository: skopeo omits it. */
        if (!(t->capabilities & FERRY_CAP_MULTI_IMAGE))
            json_object_set_new(out, "Repository", json_string(name));
        json_object_set(out, "Tags", call.tags);
        char *text = gojson_encode(out, 4);
        json_decref(out);
        if (text != NULL)
            printf("%s\n", text);
        else
            code = app_fail_text("list-tags: out of memory");
        free(text);
    }
    json_decref(call.tags);
    opt_release(&p);
    return code;
}
