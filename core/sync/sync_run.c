/* core/sync/sync_run.c — copying the images of a sync several at a time.
 * A bounded pool of workers takes the images in order. Before copying one,
 * a worker reads the destination's manifest digest and, when there is one,
 * the source's (the instance's, when only this platform's image of a list
 * is copied): equal digests mean the destination already holds exactly
 * what the copy would write, so nothing is sent — a second sync of an unchanged repository
 * costs two manifest reads per tag, made in parallel. Transports keep their
 * connections, TLS sessions and tokens across the copies of one process.
 * Without --keep-going the first failure stops new copies and lets running
 * ones finish. One line per image and a summary go to the report, among
 * the blobs' progress the copies share (progress.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "copy/blob_claims.h"
#include "copy/progress.h"
#include "image/fetch.h"
#include "shared/strbuf.h"
#include "sync/sync.h"

typedef struct sync_state {
    ferry_app *app;
    const opt_parsed *p;
    sync_list *list;
    const sync_run_options *opts;
    copy_endpoint *src, *dst; /* resolved in the main thread, one per item */
    blob_claims *claims;      /* layers being sent, shared by the copies */
    pthread_mutex_t lock;
    size_t next, done;
    int stop;
    uint64_t bytes;
} sync_state;

static double sync_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The manifest digest a reference names: the top-level one, or with
 * choose_instance the platform's instance of a list. */
static int sync_probe(sync_state *s, const copy_endpoint *ep, int choose_instance, char out[DIGEST_MAX_LEN])
{
    ferry_ctx ctx;
    ctx_init(&ctx, &s->app->session, ep->options);
    if (ep->transport->open_source == NULL)
        return FERRY_ERR_UNSUPPORTED;
    ferry_image_source *src = NULL;
    int rc = ep->transport->open_source(&ctx, ep->reference, &src);
    if (rc != FERRY_OK)
        return rc;
    fetched_image img = {0};
    rc = fetch_image(src, &ctx, ep->text, &s->app->platform, choose_instance, &img);
    if (rc == FERRY_OK)
        snprintf(out, DIGEST_MAX_LEN, "%s", choose_instance && img.list != NULL ? img.digest : img.top_digest);
    fetched_image_release(&img);
    src->ops->close(src, &ctx);
    return rc;
}

typedef struct sync_copy_call {
    sync_state *s;
    size_t i;
    copy_options opts;
} sync_copy_call;

static int sync_copy_run(void *arg, ferry_ctx *ctx)
{
    sync_copy_call *c = arg;
    return copy_image(&c->s->app->session, &c->s->src[c->i], &c->s->dst[c->i], &c->opts, ctx);
}

/* One line of the report: among the copies' live blob lines when they
 * share a progress (progress.h). */
static void sync_say(const sync_run_options *o, strbuf *line)
{
    char *text = strbuf_detach(line, NULL);
    if (text != NULL && o->copy.progress != NULL) {
        progress_print(o->copy.progress, text);
    } else if (text != NULL && o->report != NULL) {
        fprintf(o->report, "%s\n", text);
        fflush(o->report);
    }
    free(text);
}

static void sync_report(sync_state *s, size_t i)
{
    const sync_item *it = &s->list->items[i];
    if (s->opts->report == NULL)
        return;
    size_t n = s->list->n;
    strbuf line = STRBUF_INIT;
    s->done++;
    switch (it->outcome) {
    case SYNC_COPIED:
        strbuf_printf(&line, "[%zu/%zu] copied %s to %s (%s)", s->done, n, it->src, it->dst, it->digest);
        break;
    case SYNC_UNCHANGED:
        strbuf_printf(&line, "[%zu/%zu] unchanged %s at %s (%s)", s->done, n, it->src, it->dst, it->digest);
        break;
    case SYNC_WOULD_COPY:
        strbuf_printf(&line, "[%zu/%zu] would copy %s to %s", s->done, n, it->src, it->dst);
        break;
    case SYNC_FAILED:
        strbuf_printf(&line, "[%zu/%zu] failed %s: %s", s->done, n, it->src, it->error ? it->error : "");
        break;
    default:
        strbuf_release(&line);
        return;
    }
    sync_say(s->opts, &line);
}

static void sync_one(sync_state *s, size_t i)
{
    sync_item *it = &s->list->items[i];
    const sync_run_options *o = s->opts;
    char want[DIGEST_MAX_LEN] = "", have[DIGEST_MAX_LEN] = "";
    /* What the destination holds, then (only when it holds something) what
     * the copy would write: a new image costs no extra source round trip. */
    /* With --referrers an unchanged image may have gained referrers: copied
     * again (its blobs and manifests are found at the destination). */
    int comparable = o->copy.forced_format == MANIFEST_UNKNOWN && !o->copy.referrers &&
                     sync_probe(s, &s->dst[i], 0, have) == FERRY_OK &&
                     sync_probe(s, &s->src[i], o->copy.list_mode == COPY_LIST_SYSTEM, want) == FERRY_OK;
    sync_outcome outcome;
    char *error = NULL;
    if (comparable && strcmp(want, have) == 0) {
        outcome = SYNC_UNCHANGED;
        memcpy(it->digest, have, sizeof(it->digest));
    } else if (strncmp(it->dst, "dir:", 4) == 0 && access(it->dst + 4, F_OK) == 0) {
        /* As skopeo: a directory is never overwritten (only left alone when unchanged). */
        outcome = SYNC_FAILED;
        error = malloc(strlen(it->dst) + 64);
        if (error != NULL)
            sprintf(error, "Refusing to overwrite destination directory \"%s\"", it->dst + 4);
    } else if (o->dry_run) {
        outcome = SYNC_WOULD_COPY;
    } else {
        sync_copy_call call = {.s = s, .i = i, .opts = o->copy};
        call.opts.claims = s->claims;
        ferry_ctx ctx;
        ctx_init(&ctx, &s->app->session, NULL);
        if (app_with_retries(s->app, s->p, sync_copy_run, &call, &ctx) == FERRY_OK) {
            outcome = SYNC_COPIED;
            memcpy(it->digest, call.opts.manifest_digest, sizeof(it->digest));
            __atomic_add_fetch(&s->bytes, call.opts.bytes_sent, __ATOMIC_RELAXED);
        } else {
            outcome = SYNC_FAILED;
            error = strdup(ctx.message);
        }
    }
    pthread_mutex_lock(&s->lock);
    it->outcome = outcome;
    it->error = error;
    if (outcome == SYNC_FAILED && !o->keep_going)
        s->stop = 1;
    sync_report(s, i);
    pthread_mutex_unlock(&s->lock);
}

static void *sync_worker(void *arg)
{
    sync_state *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        size_t i = s->next;
        int go = !s->stop && i < s->list->n;
        if (go)
            s->next++;
        pthread_mutex_unlock(&s->lock);
        if (!go)
            return NULL;
        sync_one(s, i);
    }
}

/* Endpoints and policy, checked for every image before anything is copied:
 * a bad name or a rejected source stops the sync before it starts. */
static int sync_resolve(sync_state *s, ferry_ctx *ctx)
{
    for (size_t i = 0; i < s->list->n; i++) {
        sync_item *it = &s->list->items[i];
        if (app_endpoint(s->app, it->src, FERRY_REF_FOR_READ, &it->src_opts, &s->src[i], ctx) != FERRY_OK ||
            app_endpoint(s->app, it->dst, FERRY_REF_FOR_WRITE, s->opts->dst_opts, &s->dst[i], ctx) != FERRY_OK ||
            app_policy_allows(s->app, &s->src[i], ctx) != FERRY_OK)
            return ctx->status;
    }
    return FERRY_OK;
}

int sync_run(ferry_app *app, const opt_parsed *p, sync_list *list, const sync_run_options *opts, ferry_ctx *ctx)
{
    sync_state s = {.app = app, .p = p, .list = list, .opts = opts};
    s.src = calloc(list->n ? list->n : 1, sizeof(*s.src));
    s.dst = calloc(list->n ? list->n : 1, sizeof(*s.dst));
    int rc = s.src && s.dst ? sync_resolve(&s, ctx) : ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "out of memory");
    if (rc != FERRY_OK) {
        free(s.src);
        free(s.dst);
        return rc;
    }
    double start = sync_now();
    s.claims = blob_claims_new();
    pthread_mutex_init(&s.lock, NULL);
    long n_workers = opts->parallel_images < 1 ? 1 : opts->parallel_images;
    if ((size_t)n_workers > list->n)
        n_workers = list->n ? (long)list->n : 1;
    pthread_t *threads = calloc((size_t)n_workers, sizeof(*threads));
    long started = 0;
    for (long w = 0; threads != NULL && w < n_workers; w++)
        if (pthread_create(&threads[w], NULL, sync_worker, &s) == 0)
            started++;
    if (started == 0)
        sync_worker(&s); /* no threads to be had: do it here */
    for (long w = 0; w < started; w++)
        pthread_join(threads[w], NULL);
    free(threads);
    pthread_mutex_destroy(&s.lock);
    blob_claims_free(s.claims);

    size_t copied = 0, unchanged = 0, would = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < list->n; i++) {
        sync_item *it = &list->items[i];
        if (it->outcome == SYNC_PENDING)
            it->outcome = SYNC_NOT_STARTED;
        copied += it->outcome == SYNC_COPIED;
        unchanged += it->outcome == SYNC_UNCHANGED;
        would += it->outcome == SYNC_WOULD_COPY;
        failed += it->outcome == SYNC_FAILED;
        skipped += it->outcome == SYNC_NOT_STARTED;
    }
    if (opts->report != NULL) {
        double secs = sync_now() - start;
        strbuf line = STRBUF_INIT;
        if (opts->dry_run)
            strbuf_printf(&line, "Would have synced %zu images from %zu sources: %zu to copy, %zu unchanged, %zu "
                          "failed", would + unchanged, list->n_sources, would, unchanged, failed);
        else
            strbuf_printf(&line, "Synced %zu images from %zu sources: %zu copied, %zu unchanged, %zu failed%s, "
                          "%.1f MB sent in %.2f s", copied + unchanged, list->n_sources, copied, unchanged, failed,
                          skipped ? " (the rest not started)" : "", (double)s.bytes / 1e6, secs);
        sync_say(opts, &line);
    }
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].outcome == SYNC_FAILED)
            fprintf(stderr, "ferry: copying %s: %s\n", list->items[i].src,
                    list->items[i].error ? list->items[i].error : "failed");
    free(s.src);
    free(s.dst);
    return failed ? FERRY_ERR_FAILED : FERRY_OK;
}
