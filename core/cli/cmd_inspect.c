/* core/cli/cmd_inspect.c — `ferry inspect IMAGE-NAME`, output identical to
 * skopeo's: --raw (manifest bytes as stored), --config (OCI form),
 * --config --raw (config bytes), --format (Go template), default JSON; and,
 * beyond skopeo, --referrers (the OCI index of the manifest's referrers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "image/schema1.h"
#include "image/fetch.h"
#include "image/reference.h"
#include "image/referrers.h"
#include "image/oci_config.h"
#include "inspect/inspect.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"

static const opt_spec inspect_option_specs[] = {
    {"config", 0, OPT_BOOL, NULL, "output configuration"},
    {"format", 'f', OPT_STRING, "string", "Format the output to a Go template"},
    {"no-tags", 'n', OPT_BOOL, NULL, "Do not list the available tags from the repository in the output"},
    {"raw", 0, OPT_BOOL, NULL, "output raw manifest or configuration"},
    {"referrers", 0, OPT_BOOL, NULL,
     "output the OCI referrers of the manifest (an OCI image index, as the registry referrers API returns it)"},
    {NULL, 0, 0, NULL, NULL},
};

typedef struct inspect_call {
    ferry_app *app;
    const opt_parsed *p;
    copy_endpoint src;
    strbuf out;         /* printed once everything succeeded */
    int partial_output; /* a template failed midway: print what it produced */
} inspect_call;

typedef struct tag_list {
    char **tags;
    size_t n;
} tag_list;

static int tag_collect(void *opaque, const char *tag)
{
    tag_list *t = opaque;
    char **grown = realloc(t->tags, (t->n + 1) * sizeof(*grown));
    if (grown == NULL)
        return FERRY_ERR_NO_MEMORY;
    t->tags = grown;
    if ((t->tags[t->n] = strdup(tag)) == NULL)
        return FERRY_ERR_NO_MEMORY;
    t->n++;
    return FERRY_OK;
}

static void tag_list_release(tag_list *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->tags[i]);
    free(t->tags);
}


/* Appends obj (released) as skopeo prints JSON: 4-space indent, newline. */
static int inspect_print_json(inspect_call *c, json_t *obj, ferry_ctx *ctx)
{
    char *text = gojson_encode(obj, 4);
    json_decref(obj);
    if (text == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    strbuf_printf(&c->out, "%s\n", text);
    free(text);
    return FERRY_OK;
}

static int inspect_formatted(inspect_call *c, ferry_image_source *src, ferry_ctx *ctx, const fetched_image *img,
                             const char *config, size_t config_len)
{
    /* skopeo prints the repository as Name; Tag only ever came from schema 1
     * manifests, so it stays empty (omitted) for schema 2 and OCI images. */
    char name[1024];
    const char *docker_ref = src->ops->docker_reference ? src->ops->docker_reference(src) : NULL;
    reference_repository(docker_ref, name, sizeof(name));
    tag_list tags = {0};
    const ferry_transport *t = c->src.transport;
    /* RepoTags lists a repository's tags; an archive's other images are not
     * tags of this one (skopeo prints []), and a pipe cannot be read twice. */
    int want_tags = !opt_bool(c->p, "no-tags") && (t->capabilities & FERRY_CAP_LIST_TAGS) &&
                    !(t->capabilities & FERRY_CAP_MULTI_IMAGE) && t->list_tags;
    if (want_tags) {
        int rc = t->list_tags(ctx, c->src.reference, tag_collect, &tags);
        if (rc != FERRY_OK) {
            tag_list_release(&tags);
            return ctx_status_message(ctx, rc, "listing tags");
        }
    }
    inspect_input in = {.name = name[0] ? name : NULL,
                        /* only schema 1 embeds a tag */
                        .tag = img->image->kind == MANIFEST_DOCKER_V2S1 ? img->image->schema1->tag : NULL,
                        .digest = img->top_digest,
                        .repo_tags = want_tags ? (const char *const *)tags.tags : NULL,
                        .n_repo_tags = tags.n,
                        .image = img->image,
                        .config = config,
                        .config_len = config_len};
    char err[1024];
    json_t *obj = inspect_build(&in, err, sizeof(err));
    tag_list_release(&tags);
    if (obj == NULL)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: %s", c->src.text, err);
    const char *format = opt_string(c->p, "format");
    if (format == NULL)
        return inspect_print_json(c, obj, ctx);
    /* Like skopeo, what the template printed before failing is still shown. */
    size_t len = 0;
    int failed = 0;
    char *text = inspect_render_template_partial(format, obj, &len, &failed, err, sizeof(err));
    json_decref(obj);
    if (text != NULL)
        strbuf_append(&c->out, text, len);
    free(text);
    if (failed || text == NULL) {
        c->partial_output = 1;
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s", failed ? err : "out of memory");
    }
    return FERRY_OK;
}

/* What stands for the config of a schema 1 image, as containers/image
 * has it: for --config, the config a conversion builds (DiffIDs unknown,
 * so empty); else the top history entry's v1Compatibility, which inspect
 * reads as a Docker config. */
static int inspect_schema1_config(const manifest *m, int config, char **blob, size_t *len, const char *what,
                                  ferry_ctx *ctx)
{
    const schema1_manifest *s1 = m->schema1;
    if (!config) {
        *blob = malloc(s1->history[0].v1_compatibility_len + 1);
        if (*blob == NULL)
            return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
        memcpy(*blob, s1->history[0].v1_compatibility, s1->history[0].v1_compatibility_len + 1);
        *len = s1->history[0].v1_compatibility_len;
        return FERRY_OK;
    }
    size_t n = 0;
    const char **layers = schema1_schema2_layers(s1, &n);
    const char **ids = calloc(n ? n : 1, sizeof(*ids));
    char err[512];
    int rc = FERRY_OK;
    for (size_t i = 0; ids != NULL && i < n; i++)
        ids[i] = "";
    if (layers == NULL || ids == NULL)
        rc = ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    else if (schema1_to_schema2_config(s1, ids, n, blob, len, err, sizeof(err)) != 0)
        rc = ctx_fail(ctx, FERRY_ERR_INVALID, "%s: %s", what, err);
    free(layers);
    free(ids);
    return rc;
}

static int inspect_image(inspect_call *c, ferry_image_source *src, ferry_ctx *ctx)
{
    int raw = opt_bool(c->p, "raw"), config = opt_bool(c->p, "config");
    fetched_image img;
    int rc;
    if (raw && !config) {
        char *data = NULL;
        size_t len = 0;
        char media_type[MEDIA_TYPE_MAX];
        rc = fetch_manifest(src, ctx, NULL, &data, &len, media_type, sizeof(media_type));
        if (rc == FERRY_OK)
            strbuf_append(&c->out, data, len);
        free(data);
        return rc == FERRY_OK ? rc
                              : ctx_note_image_absent(ctx, ctx_wrap(ctx, rc, "reading manifest of", c->src.text),
                                                      c->src.text);
    }
    rc = fetch_image(src, ctx, c->src.text, &c->app->platform, FETCH_CHOOSE_INSTANCE_FOR_INSPECT, &img);
    char *blob = NULL;
    size_t blob_len = 0;
    int s1 = rc == FERRY_OK && img.image->kind == MANIFEST_DOCKER_V2S1;
    if (rc == FERRY_OK && !s1)
        rc = fetch_small_blob(src, ctx, &img.image->config, FERRY_BLOB_CONFIG, &blob, &blob_len);
    else if (s1)
        rc = inspect_schema1_config(img.image, config, &blob, &blob_len, c->src.text, ctx);
    if (rc == FERRY_OK && config && raw && s1) {
        /* schema 1 has no config blob: skopeo prints nothing */
    } else if (rc == FERRY_OK && config && raw) {
        strbuf_append(&c->out, blob, blob_len);
    } else if (rc == FERRY_OK && config && img.image->kind == MANIFEST_OCI && img.image->config.media_type != NULL &&
               strcmp(img.image->config.media_type, MEDIA_TYPE_OCI_CONFIG) != 0) {
        rc = ctx_fail(ctx, FERRY_ERR_UNSUPPORTED, "%s: unsupported image-specific operation on artifact with type \"%s\"",
                      c->src.text, img.image->config.media_type);
    } else if (rc == FERRY_OK && config) {
        char err[512];
        json_t *oci = oci_config_from_blob(blob, blob_len, err, sizeof(err));
        char *text = oci ? gojson_encode(oci, 4) : NULL;
        json_decref(oci);
        if (text == NULL)
            rc = ctx_fail(ctx, FERRY_ERR_INVALID, "config %s of %s: %s", img.image->config.digest, c->src.text,
                          oci ? "out of memory" : err);
        else
            strbuf_printf(&c->out, "%s\n", text);
        free(text);
    } else if (rc == FERRY_OK) {
        rc = inspect_formatted(c, src, ctx, &img, blob, blob_len);
    }
    free(blob);
    fetched_image_release(&img);
    return rc;
}

/* --referrers: the index of the referrers of the manifest the reference
 * names (a list's own digest, not an instance's). */
static int inspect_referrers(inspect_call *c, ferry_image_source *src, ferry_ctx *ctx)
{
    if (!referrers_source_supported(src))
        return ctx_fail(ctx, FERRY_ERR_UNSUPPORTED, "--referrers: transport %s cannot list referrers (%s)",
                        c->src.transport->name, c->src.text);
    char *data = NULL, media_type[MEDIA_TYPE_MAX], digest[DIGEST_MAX_LEN], err[512];
    size_t len = 0;
    int rc = fetch_manifest(src, ctx, NULL, &data, &len, media_type, sizeof(media_type));
    if (rc != FERRY_OK)
        return ctx_note_image_absent(ctx, ctx_wrap(ctx, rc, "reading manifest of", c->src.text), c->src.text);
    if (schema1_digest(data, len, digest, sizeof(digest), err, sizeof(err)) != 0)
        rc = ctx_fail(ctx, FERRY_ERR_INVALID, "manifest of %s: %s", c->src.text, err);
    free(data);
    json_t *list = NULL;
    if (rc == FERRY_OK)
        rc = referrers_list(src, ctx, c->src.text, digest, &list);
    if (rc != FERRY_OK)
        return rc;
    json_t *index = referrers_index(list);
    json_decref(list);
    if (index == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    return inspect_print_json(c, index, ctx);
}

static int inspect_call_run(void *arg, ferry_ctx *ctx)
{
    inspect_call *c = arg;
    strbuf_release(&c->out);
    const ferry_transport *t = c->src.transport;
    if (!(t->capabilities & FERRY_CAP_SOURCE) || t->open_source == NULL)
        return ctx_fail(ctx, FERRY_ERR_UNSUPPORTED, "transport %s cannot be read from", t->name);
    ferry_image_source *src = NULL;
    int rc = t->open_source(ctx, c->src.reference, &src);
    if (rc != FERRY_OK)
        return ctx_note_image_absent(ctx, ctx_wrap(ctx, rc, "initializing source", c->src.text), c->src.text);
    rc = opt_bool(c->p, "referrers") ? inspect_referrers(c, src, ctx) : inspect_image(c, src, ctx);
    src->ops->close(src, ctx);
    return rc;
}

int cmd_inspect(ferry_app *app, const command *cmd, int argc, char **argv)
{
    const opt_spec *tables[] = {inspect_option_specs, registry_option_specs, retry_option_specs};
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry inspect [command options] IMAGE-NAME", tables, 3, argc, argv, &p, &code) != 0)
        return code;
    char err[1024] = "";
    ctx_options opts;
    ferry_ctx ctx;
    ctx_init(&ctx, &app->session, NULL);
    inspect_call call = {.app = app, .p = &p, .out = STRBUF_INIT};
    if (p.n_args != 1) {
        snprintf(err, sizeof(err), "inspect: exactly one argument (IMAGE-NAME) expected, got %zu", p.n_args);
        code = app_fail_text(err);
    } else if (opt_bool(&p, "referrers") &&
               (opt_string(&p, "format") != NULL || opt_bool(&p, "raw") || opt_bool(&p, "config"))) {
        code = app_fail_text("inspect: --referrers cannot be used with --raw, --config or --format");
    } else if (opt_string(&p, "format") != NULL && opt_bool(&p, "raw")) {
        code = app_fail_text("raw output does not support format option");
    } else if (opt_string(&p, "format") != NULL && opt_bool(&p, "config")) {
        code = app_fail_text("inspect: --format with --config is not supported by this ferry yet");
    } else if (app_side_options(app, &p, "", &opts, err, sizeof(err)) != 0) {
        code = app_fail_text(err);
    } else if ((ctx.options = &opts) == NULL ||
               app_endpoint(app, p.args[0], FERRY_REF_FOR_READ, &opts, &call.src, &ctx) != FERRY_OK ||
               app_with_retries(app, &p, inspect_call_run, &call, &ctx) != FERRY_OK) {
        if (call.partial_output && call.out.len > 0)
            fwrite(call.out.data, 1, call.out.len, stdout);
        code = app_fail(&ctx);
    } else if (call.out.len > 0 && fwrite(call.out.data, 1, call.out.len, stdout) != call.out.len) {
        code = app_fail_text("inspect: cannot write to standard output");
    }
    strbuf_release(&call.out);
    opt_release(&p);
    return code;
}
