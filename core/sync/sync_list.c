/* core/sync/sync_list.c — the images a sync source names, in the order
 * skopeo copies them, each with its destination:
 *   docker  a repository (every tag, through the transport's list_tags, which
 *           follows pagination) or one repo:tag / repo@digest;
 *   dir     every directory below SOURCE that holds a manifest.json (not
 *           looked into further), in Go's WalkDir order;
 *   oci     every reference name of an OCI layout's index.json (ferry's own:
 *           skopeo has no oci source);
 *   yaml    per registry, `images` (tags, digests, or every tag for an empty
 *           list), `images-by-tag-regex` and `images-by-semver` filtering
 *           the tag list, with the registry's credentials, tls-verify and
 *           cert-dir for its images. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "shared/strbuf.h"
#include "sync/sync.h"
#include "sync/sync_regex.h"
#include "sync/sync_semver.h"
#include "sync/sync_yaml.h"

void sync_list_free(sync_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].src);
        free(l->items[i].dst);
        free(l->items[i].error);
    }
    free(l->items);
    if (l->owned != NULL) {
        sync_yaml_free(l->owned);
        free(l->owned);
    }
    memset(l, 0, sizeof(*l));
}

/* Appends src -> destination of suffix; takes src. */
static int sync_add(sync_list *l, const sync_list_request *req, char *src, const char *suffix,
                    const ctx_options *src_opts, ferry_ctx *ctx)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        sync_item *grown = realloc(l->items, cap * sizeof(*grown));
        if (grown == NULL) {
            free(src);
            return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
        }
        l->items = grown;
        l->cap = cap;
    }
    char *dst = sync_destination(req->dest_kind, req->destination, suffix, req->scoped, req->append_suffix);
    if (src == NULL || dst == NULL) {
        free(src);
        free(dst);
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    }
    l->items[l->n++] = (sync_item){.src = src, .dst = dst, .src_opts = *src_opts, .outcome = SYNC_PENDING};
    return FERRY_OK;
}

/* ---- docker ----------------------------------------------------------------- */

typedef struct sync_tags {
    copy_endpoint ep;
    char **v;
    size_t n, cap;
} sync_tags;

static void sync_tags_clear(sync_tags *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    t->n = 0;
}

static int sync_tag_collect(void *opaque, const char *tag)
{
    sync_tags *t = opaque;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **grown = realloc(t->v, cap * sizeof(*grown));
        if (grown == NULL)
            return FERRY_ERR_NO_MEMORY;
        t->v = grown;
        t->cap = cap;
    }
    return (t->v[t->n] = strdup(tag)) != NULL && ++t->n ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

static int sync_list_tags_run(void *arg, ferry_ctx *ctx)
{
    sync_tags *t = arg;
    sync_tags_clear(t);
    return t->ep.transport->list_tags(ctx, t->ep.reference, sync_tag_collect, t);
}

/* Every tag of the repository `name` (normalised, no tag). */
static int sync_repo_tags(ferry_app *app, const opt_parsed *p, const char *name, const ctx_options *opts,
                          sync_tags *tags, ferry_ctx *ctx)
{
    char *text = NULL;
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "docker://%s", name);
    text = sb.data;
    if (sb.failed || text == NULL) {
        strbuf_release(&sb);
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    }
    ferry_ctx lctx;
    ctx_init(&lctx, &app->session, opts);
    int rc = app_endpoint(app, text, FERRY_REF_FOR_LIST_TAGS, opts, &tags->ep, &lctx);
    if (rc == FERRY_OK &&
        (tags->ep.transport->list_tags == NULL || !(tags->ep.transport->capabilities & FERRY_CAP_LIST_TAGS)))
        rc = ctx_fail(&lctx, FERRY_ERR_UNSUPPORTED, "%s: the docker transport cannot list tags", text);
    if (rc == FERRY_OK)
        rc = app_with_retries(app, p, sync_list_tags_run, tags, &lctx);
    if (rc != FERRY_OK)
        rc = ctx_fail(ctx, rc, "determining repository tags for %s: %s", name, lctx.message);
    free(text);
    return rc;
}

/* One image of a registry, by tag or digest (a valid digest is taken as one). */
static int sync_add_docker(sync_list *l, const sync_list_request *req, const sync_docker_name *repo,
                           const char *tag, const char *digest, const ctx_options *opts, ferry_ctx *ctx)
{
    sync_docker_name n = {.name = repo->name, .tag = (char *)tag, .digest = (char *)digest};
    char *full = sync_docker_name_string(&n);
    char *src = full ? malloc(strlen(full) + 10) : NULL;
    if (src != NULL)
        sprintf(src, "docker://%s", full);
    int rc = sync_add(l, req, src, full ? full : "", opts, ctx);
    free(full);
    return rc;
}

static int sync_list_docker(ferry_app *app, const opt_parsed *p, const sync_list_request *req, sync_list *l,
                            ferry_ctx *ctx)
{
    sync_docker_name n;
    char err[512];
    if (sync_docker_name_parse(req->source, &n, err, sizeof err) != 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "cannot obtain a valid image reference for transport \"docker\" and "
                        "reference \"%s\": %s", req->source, err);
    int rc;
    l->n_sources = 1;
    if (n.tag != NULL || n.digest != NULL) {
        rc = sync_add_docker(l, req, &n, n.tag, n.digest, req->src_opts, ctx);
    } else {
        sync_tags tags = {0};
        rc = sync_repo_tags(app, p, n.name, req->src_opts, &tags, ctx);
        for (size_t i = 0; rc == FERRY_OK && i < tags.n; i++)
            rc = sync_add_docker(l, req, &n, tags.v[i], NULL, req->src_opts, ctx);
        if (rc == FERRY_OK && tags.n == 0)
            rc = ctx_fail(ctx, FERRY_ERR_FAILED, "no images to sync found in \"%s\"", req->source);
        sync_tags_clear(&tags);
        free(tags.v);
    }
    sync_docker_name_free(&n);
    return rc;
}

/* ---- dir --------------------------------------------------------------------- */

static int sync_name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name); /* Go sorts by bytes, not by locale */
}

static int sync_walk_dir(const sync_list_request *req, sync_list *l, const char *path, int depth, ferry_ctx *ctx)
{
    if (depth > 64)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "walking the path \"%s\": too deep", path);
    strbuf m = STRBUF_INIT;
    strbuf_printf(&m, "%s/manifest.json", path);
    struct stat st;
    int is_image = !m.failed && m.data && stat(m.data, &st) == 0 && S_ISREG(st.st_mode);
    strbuf_release(&m);
    if (is_image) {
        /* The suffix is the image's absolute path below the source as given. */
        char abs[PATH_MAX];
        const char *suffix = realpath(path, abs) ? abs : path;
        size_t plen = strlen(req->source);
        if (strncmp(suffix, req->source, plen) == 0)
            suffix += plen;
        char *base = NULL;
        if (*suffix == '\0') { /* the source is one image: named after it */
            const char *s = strrchr(req->source, '/');
            base = strdup(s && s[1] ? s + 1 : req->source);
            suffix = base ? base : "";
        }
        char *src = malloc(strlen(path) + 5);
        if (src != NULL)
            sprintf(src, "dir:%s", path);
        int rc = sync_add(l, req, src, suffix, req->src_opts, ctx);
        free(base);
        return rc;
    }
    struct dirent **names = NULL;
    int n = scandir(path, &names, NULL, sync_name_cmp);
    if (n < 0)
        return ctx_fail(ctx, FERRY_ERR_IO, "walking the path \"%s\": %s", path, strerror(errno));
    int rc = FERRY_OK;
    for (int i = 0; i < n; i++) {
        const char *d = names[i]->d_name;
        if (rc == FERRY_OK && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            strbuf sub = STRBUF_INIT;
            strbuf_printf(&sub, "%s/%s", path, d);
            if (!sub.failed && sub.data && lstat(sub.data, &st) == 0 && S_ISDIR(st.st_mode))
                rc = sync_walk_dir(req, l, sub.data, depth + 1, ctx);
            strbuf_release(&sub);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int sync_list_dir(const sync_list_request *req, sync_list *l, ferry_ctx *ctx)
{
    struct stat st;
    if (stat(req->source, &st) != 0)
        return ctx_fail(ctx, FERRY_ERR_IO, /* exit 1, as skopeo: no image was asked for by name */
                        "invalid source directory specified: %s: %s", req->source, strerror(errno));
    l->n_sources = 1;
    size_t len = strlen(req->source);
    char *root = strndup(req->source, len > 1 && req->source[len - 1] == '/' ? len - 1 : len);
    int rc = root ? sync_walk_dir(req, l, root, 0, ctx) : ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    free(root);
    if (rc == FERRY_OK && l->n == 0)
        rc = ctx_fail(ctx, FERRY_ERR_FAILED, "no images to sync found in \"%s\"", req->source);
    return rc;
}

/* ---- oci ---------------------------------------------------------------------- */

static int sync_list_oci(const sync_list_request *req, sync_list *l, ferry_ctx *ctx)
{
    /* LAYOUT or LAYOUT:REF, as the oci transport splits it. */
    const char *colon = strchr(req->source, ':');
    char *layout = colon ? strndup(req->source, (size_t)(colon - req->source)) : strdup(req->source);
    if (layout == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    strbuf ip = STRBUF_INIT;
    strbuf_printf(&ip, "%s/index.json", layout);
    json_error_t jerr;
    json_t *index = ip.data ? json_load_file(ip.data, 0, &jerr) : NULL;
    int rc = FERRY_OK;
    if (index == NULL)
        rc = ctx_fail(ctx, FERRY_ERR_IO, "%s: not an OCI layout: %s", layout, jerr.text);
    l->n_sources = 1;
    const char *slash = strrchr(layout, '/');
    const char *base = slash && slash[1] ? slash + 1 : layout;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *ref =
            json_string_value(json_object_get(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
        if (rc != FERRY_OK || ref == NULL || (colon && strcmp(ref, colon + 1) != 0))
            continue;
        strbuf src = STRBUF_INIT, suffix = STRBUF_INIT;
        strbuf_printf(&src, "oci:%s:%s", layout, ref);
        /* A bare tag is a tag of the layout's own name. */
        if (strchr(ref, ':') != NULL)
            strbuf_puts(&suffix, ref);
        else
            strbuf_printf(&suffix, "%s:%s", base, ref);
        rc = sync_add(l, req, src.failed ? NULL : src.data, suffix.data ? suffix.data : "", req->src_opts, ctx);
        if (src.failed)
            strbuf_release(&src);
        strbuf_release(&suffix);
    }
    if (rc == FERRY_OK && l->n == 0)
        rc = ctx_fail(ctx, FERRY_ERR_FAILED, "no images to sync found in \"%s\"", req->source);
    json_decref(index);
    strbuf_release(&ip);
    free(layout);
    return rc;
}

/* ---- yaml ----------------------------------------------------------------------- */

/* The tags of one repository that its filter lets through. */
static int sync_list_yaml_repo(ferry_app *app, const opt_parsed *p, const sync_list_request *req, sync_list *l,
                               const sync_yaml_registry *reg, const sync_yaml_repo *repo, const ctx_options *opts,
                               ferry_ctx *ctx)
{
    strbuf full = STRBUF_INIT;
    strbuf_printf(&full, "%s/%s", reg->name, repo->name);
    sync_docker_name n;
    char err[512];
    if (full.failed || sync_docker_name_parse(full.data, &n, err, sizeof err) != 0 || n.tag || n.digest) {
        int rc = ctx_fail(ctx, FERRY_ERR_INVALID, "%s: repository %s: invalid repository name", reg->name,
                          repo->name);
        if (!full.failed && n.name != NULL)
            sync_docker_name_free(&n);
        strbuf_release(&full);
        return rc;
    }
    strbuf_release(&full);
    int rc = FERRY_OK;
    size_t before = l->n;
    if (!repo->every_tag && repo->tag_regex == NULL && repo->semver == NULL) {
        for (size_t i = 0; rc == FERRY_OK && i < repo->n_refs; i++) {
            const char *r = repo->refs[i];
            int is_digest = strncmp(r, "sha256:", 7) == 0 || strncmp(r, "sha512:", 7) == 0;
            rc = sync_add_docker(l, req, &n, is_digest ? NULL : r, is_digest ? r : NULL, opts, ctx);
        }
    } else {
        sync_tags tags = {0};
        regex_t re;
        int have_re = 0;
        sync_semver_constraint *sv = NULL;
        rc = sync_repo_tags(app, p, n.name, opts, &tags, ctx);
        if (rc == FERRY_OK && repo->tag_regex != NULL) {
            if (sync_regex_compile(&re, repo->tag_regex, err, sizeof err) != 0)
                rc = ctx_fail(ctx, FERRY_ERR_INVALID, "%s: invalid regular expression %s: %s", repo->name,
                              repo->tag_regex, err);
            else
                have_re = 1;
        }
        if (rc == FERRY_OK && repo->semver != NULL &&
            sync_semver_constraint_parse(repo->semver, &sv, err, sizeof err) != 0)
            rc = ctx_fail(ctx, FERRY_ERR_INVALID, "%s: %s", repo->name, err);
        for (size_t i = 0; rc == FERRY_OK && i < tags.n; i++) {
            if (have_re && regexec(&re, tags.v[i], 0, NULL, 0) != 0)
                continue;
            if (sv != NULL && !sync_semver_check(sv, tags.v[i]))
                continue;
            rc = sync_add_docker(l, req, &n, tags.v[i], NULL, opts, ctx);
        }
        if (have_re)
            regfree(&re);
        sync_semver_constraint_free(sv);
        sync_tags_clear(&tags);
        free(tags.v);
    }
    if (rc == FERRY_OK && l->n > before)
        l->n_sources++;
    sync_docker_name_free(&n);
    return rc;
}

static int sync_list_yaml(ferry_app *app, const opt_parsed *p, const sync_list_request *req, sync_list *l,
                          ferry_ctx *ctx)
{
    sync_yaml *y = calloc(1, sizeof(*y));
    char err[1024];
    if (y == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    if (sync_yaml_load(req->source, y, err, sizeof err) != 0) {
        sync_yaml_free(y);
        free(y);
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s", err);
    }
    l->owned = y;
    for (size_t r = 0; r < y->n_registries; r++) {
        const sync_yaml_registry *reg = &y->registries[r];
        ctx_options opts = *req->src_opts;
        if (reg->username != NULL)
            ctx_options_set(&opts, "username", reg->username);
        if (reg->password != NULL)
            ctx_options_set(&opts, "password", reg->password);
        if (reg->tls_verify >= 0)
            ctx_options_set(&opts, "tls-verify", reg->tls_verify ? "true" : "false");
        if (reg->cert_dir != NULL)
            ctx_options_set(&opts, "cert-dir", reg->cert_dir);
        for (size_t i = 0; i < reg->n_repos; i++) {
            ferry_ctx rctx;
            ctx_init(&rctx, &app->session, &opts);
            /* As skopeo: a repository that cannot be listed is reported and skipped. */
            if (sync_list_yaml_repo(app, p, req, l, reg, &reg->repos[i], &opts, &rctx) != FERRY_OK) {
                if (rctx.status == FERRY_ERR_NO_MEMORY)
                    return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
                fprintf(stderr, "ferry: %s (%s:%d): %s, skipping\n", reg->repos[i].name, req->source,
                        reg->repos[i].line, rctx.message);
            }
        }
    }
    return FERRY_OK;
}

int sync_list_build(ferry_app *app, const opt_parsed *p, const sync_list_request *req, sync_list *out,
                    ferry_ctx *ctx)
{
    memset(out, 0, sizeof(*out));
    switch (req->src_kind) {
    case SYNC_DOCKER:
        return sync_list_docker(app, p, req, out, ctx);
    case SYNC_DIR:
        return sync_list_dir(req, out, ctx);
    case SYNC_OCI:
        return sync_list_oci(req, out, ctx);
    case SYNC_YAML:
        return sync_list_yaml(app, p, req, out, ctx);
    }
    return ctx_fail(ctx, FERRY_ERR_INVALID, "unknown source kind");
}
