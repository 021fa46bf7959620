/* tests/abi/probe.c — a test module that checks, while the core drives it,
 * the rules <ferry/transport.h>, <ferry/services.h> and <ferry/stream.h>
 * promise, and reports every breach loudly ("probe: ABI rule broken: …" on
 * stderr and a failing call):
 *   - calls on one source or destination overlap only where the threading
 *     rules allow it (get_blob and reads, try_reuse_blob and put_blob, and
 *     only with the parallel capability bits); reads of one reader never
 *     overlap;
 *   - no ctx is used by calls on two threads at once; close receives the ctx the object
 *     was opened with; every reader is closed before its source;
 *   - every reference is validated with validate_reference_for (never the
 *     1.0 validate_reference) and for the purpose it is then used for.
 * It also uses the 1.4 file services: manifests are served with
 * memory_reader, or with file_reader from a directory a probe destination
 * wrote with mkdir_p and write_file_atomic.
 *
 * Transports: "probe" (PARALLEL_GET | PARALLEL_PUT) and "probe-serial"
 * (neither). References: "probe:NAME" serves a built-in image of six layers;
 * "probe:/ABS/DIR" as a destination writes DIR/manifest.json at commit, and
 * as a source serves that manifest (blobs stay the built-in ones);
 * "probe:missing" is FERRY_ERR_NOT_FOUND; the destination "probe:refuse-manifest"
 * refuses every manifest with FERRY_ERR_UNSUPPORTED. Three serial
 * destination-only transports check what a capability bit promises in
 * put_blob: "probe-diffids" (COMPUTES_DIFFIDS: every layer's DiffID given),
 * "probe-unpacked" (NEEDS_UNCOMPRESSED: the DiffID given, and the bytes
 * delivered hash to it) and "probe-sized" (NEEDS_BLOB_SIZE: digest and size
 * given, the reader's size() exact, the bytes hash to the digest).
 * With FERRY_PROBE_DECLARE_PARALLEL=1
 * in the environment probe-serial declares the parallel bits but still
 * checks for serial calls, so that the checker's own failure is testable.
 * A destination logs (DEBUG) the option "compress" it was opened with.
 * At close each object logs (DEBUG) the most calls it saw at once, and a
 * destination how many put_manifest and commit calls it received. */
#define _GNU_SOURCE /* asprintf */
#include <ferry/ferry.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_LAYERS 6
#define PROBE_LAYER_SIZE (48 * 1024)
#define PROBE_CHUNK (16 * 1024)
#define PROBE_DIGEST_MAX 144
#define PROBE_MAX_CTX 64
#define PROBE_MAX_VALIDATED 32

static const ferry_services *svc;

/* ---- the built-in image, made on first use ---- */

static struct {
    pthread_once_t once;
    char layer_digest[PROBE_LAYERS][PROBE_DIGEST_MAX];
    char *config;
    char config_digest[PROBE_DIGEST_MAX];
    char *manifest;
} image = {.once = PTHREAD_ONCE_INIT};

static unsigned char probe_layer_byte(int layer, int64_t offset)
{
    return (unsigned char)(layer * 31 + (int)(offset % 251));
}

static void probe_digest(const void *data, size_t len, char *out)
{
    ferry_hasher *h = svc->hasher_new("sha256");
    svc->hasher_update(h, data, len);
    svc->hasher_final(h, out, PROBE_DIGEST_MAX);
    svc->hasher_free(h);
}

static void probe_build_image(void)
{
    static unsigned char layer[PROBE_LAYER_SIZE];
    char diff_ids[PROBE_LAYERS * (PROBE_DIGEST_MAX + 3)] = "", layers[PROBE_LAYERS * 256] = "";
    for (int i = 0; i < PROBE_LAYERS; i++) {
        for (int64_t o = 0; o < PROBE_LAYER_SIZE; o++)
            layer[o] = probe_layer_byte(i, o);
        probe_digest(layer, sizeof layer, image.layer_digest[i]);
        snprintf(diff_ids + strlen(diff_ids), sizeof diff_ids - strlen(diff_ids), "%s\"%s\"", i ? "," : "",
                 image.layer_digest[i]);
        snprintf(layers + strlen(layers), sizeof layers - strlen(layers),
                 "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%d}",
                 i ? "," : "", image.layer_digest[i], PROBE_LAYER_SIZE);
    }
    if (asprintf(&image.config,
                 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
                 diff_ids) < 0)
        abort();
    probe_digest(image.config, strlen(image.config), image.config_digest);
    if (asprintf(&image.manifest,
                 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
                 "\"size\":%zu},\"layers\":[%s]}",
                 image.config_digest, strlen(image.config), layers) < 0)
        abort();
}

/* ---- rule checking ---- */

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
/* One entry per call in flight that received a ctx, with its thread: a ctx
 * may be in nested calls of one thread (a copy reads the source's reader
 * inside put_blob, with the destination call's ctx), never in calls of two
 * threads. */
static struct {
    ferry_ctx *ctx;
    pthread_t thread;
} ctx_in_use[PROBE_MAX_CTX];
static struct {
    char reference[256];
    int purpose;
} validated[PROBE_MAX_VALIDATED];
static size_t n_validated;

/* Reports a broken rule; returns FERRY_ERR_FAILED (on ctx when there is one). */
static int probe_broken(ferry_ctx *ctx, const char *rule, const char *what)
{
    if (ctx != NULL)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "probe: ABI rule broken: %s (%s)", rule, what);
    svc->log(NULL, FERRY_LOG_ERROR, "probe: ABI rule broken: %s (%s)", rule, what);
    return FERRY_ERR_FAILED;
}

/* Calls in flight on one object (a source with its readers, or a
 * destination). */
typedef struct probe_guard {
    int parallel; /* shared calls may overlap */
    int active, exclusive, max_active;
    const char *name;
} probe_guard;

enum { PROBE_SHARED, PROBE_EXCLUSIVE };

/* Enters a call: checks the object's overlap rule and that ctx is in no
 * other call. Returns FERRY_OK or the broken rule's status. */
static int probe_enter(probe_guard *g, ferry_ctx *ctx, int kind, const char *call)
{
    const char *broken = NULL;
    pthread_mutex_lock(&probe_lock);
    if (g->exclusive)
        broken = "a call overlapped a call that must run alone";
    else if (g->active > 0 && (kind == PROBE_EXCLUSIVE || !g->parallel))
        broken = kind == PROBE_EXCLUSIVE ? "a call that must run alone overlapped another call"
                                         : "calls overlapped without the parallel capability";
    size_t free_slot = PROBE_MAX_CTX;
    for (size_t i = 0; ctx != NULL && i < PROBE_MAX_CTX; i++) {
        if (ctx_in_use[i].ctx == ctx && !pthread_equal(ctx_in_use[i].thread, pthread_self()))
            broken = "one ctx used by calls on two threads at once";
        if (ctx_in_use[i].ctx == NULL && free_slot == PROBE_MAX_CTX)
            free_slot = i;
    }
    if (ctx != NULL && free_slot < PROBE_MAX_CTX) {
        ctx_in_use[free_slot].ctx = ctx;
        ctx_in_use[free_slot].thread = pthread_self();
    }
    g->active++;
    g->exclusive |= kind == PROBE_EXCLUSIVE;
    if (g->active > g->max_active)
        g->max_active = g->active;
    pthread_mutex_unlock(&probe_lock);
    return broken != NULL ? probe_broken(ctx, broken, call) : FERRY_OK;
}

static void probe_leave(probe_guard *g, ferry_ctx *ctx, int kind)
{
    pthread_mutex_lock(&probe_lock);
    for (size_t i = 0; ctx != NULL && i < PROBE_MAX_CTX; i++)
        if (ctx_in_use[i].ctx == ctx && pthread_equal(ctx_in_use[i].thread, pthread_self())) {
            ctx_in_use[i].ctx = NULL;
            break;
        }
    g->active--;
    if (kind == PROBE_EXCLUSIVE)
        g->exclusive = 0;
    pthread_mutex_unlock(&probe_lock);
}

/* Was `reference` validated for `purpose` in this process? When not, a
 * broken rule naming `call`, or FERRY_ERR_FAILED quietly with call NULL. */
static int probe_check_validated(ferry_ctx *ctx, const char *reference, int purpose, const char *call)
{
    int seen = 0;
    pthread_mutex_lock(&probe_lock);
    for (size_t i = 0; i < n_validated; i++)
        seen |= validated[i].purpose == purpose && strcmp(validated[i].reference, reference) == 0;
    pthread_mutex_unlock(&probe_lock);
    if (seen)
        return FERRY_OK;
    return call == NULL ? FERRY_ERR_FAILED : probe_broken(ctx, "reference not validated for this purpose first", call);
}

/* Both closes: the overlap and ctx rules, then the statistics line. */
static void probe_closing(probe_guard *g, ferry_ctx *ctx, ferry_ctx *open_ctx, int open_readers, const char *role)
{
    char call[64];
    snprintf(call, sizeof call, "%s close", role);
    if (probe_enter(g, ctx, PROBE_EXCLUSIVE, call) == FERRY_OK) {
        if (ctx != open_ctx)
            probe_broken(NULL, "close did not receive the ctx the object was opened with", call);
        if (open_readers != 0)
            probe_broken(NULL, "a reader was still open at its source's close", call);
    }
    probe_leave(g, ctx, PROBE_EXCLUSIVE);
    svc->log(ctx, FERRY_LOG_DEBUG, "probe: %s %s: at most %d calls at once", g->name, role, g->max_active);
}

static void probe_nap(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- source ---- */

typedef struct probe_source {
    ferry_image_source base;
    probe_guard guard;
    ferry_ctx *open_ctx;
    int open_readers;
    char *dir;   /* "probe:/DIR": where the manifest is read from */
    char *label; /* "probe:REFERENCE", naming the image in errors */
} probe_source;

typedef struct probe_reader {
    ferry_reader base;
    probe_source *src;
    const unsigned char *bytes; /* config, or NULL for a generated layer */
    int layer;
    int64_t size, pos;
    int reading;
} probe_reader;

static int probe_read(ferry_reader *reader, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    probe_reader *r = (probe_reader *)reader;
    int rc = probe_enter(&r->src->guard, ctx, PROBE_SHARED, "read");
    pthread_mutex_lock(&probe_lock);
    int overlapped = r->reading++;
    pthread_mutex_unlock(&probe_lock);
    if (rc == FERRY_OK && overlapped)
        rc = probe_broken(ctx, "reads of one reader overlapped", "read");
    if (rc == FERRY_OK) {
        probe_nap(2);
        size_t n = len < PROBE_CHUNK ? len : PROBE_CHUNK;
        if ((int64_t)n > r->size - r->pos)
            n = (size_t)(r->size - r->pos);
        unsigned char *out = buf;
        for (size_t i = 0; i < n; i++)
            out[i] = r->bytes != NULL ? r->bytes[r->pos + (int64_t)i] : probe_layer_byte(r->layer, r->pos + (int64_t)i);
        r->pos += (int64_t)n;
        *nread = n;
        *eos = r->pos >= r->size;
    }
    pthread_mutex_lock(&probe_lock);
    r->reading--;
    pthread_mutex_unlock(&probe_lock);
    probe_leave(&r->src->guard, ctx, PROBE_SHARED);
    return rc;
}

static void probe_reader_close(ferry_reader *reader)
{
    probe_reader *r = (probe_reader *)reader;
    probe_enter(&r->src->guard, NULL, PROBE_SHARED, "reader close");
    pthread_mutex_lock(&probe_lock);
    r->src->open_readers--;
    pthread_mutex_unlock(&probe_lock);
    probe_leave(&r->src->guard, NULL, PROBE_SHARED);
    free(r);
}

static int64_t probe_reader_size(ferry_reader *reader)
{
    return ((probe_reader *)reader)->size;
}

static const ferry_reader_ops probe_reader_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = probe_read,
    .close = probe_reader_close,
    .size = probe_reader_size,
};

static int probe_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                              ferry_reader **out, char *media_type, size_t cap)
{
    probe_source *src = (probe_source *)source;
    int rc = probe_enter(&src->guard, ctx, PROBE_EXCLUSIVE, "get_manifest");
    if (rc == FERRY_OK && instance_digest != NULL)
        rc = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "probe: no manifest %s", instance_digest);
    if (rc == FERRY_OK && src->dir != NULL) {
        /* The reader must not need the directory fd once it is open. */
        int dirfd = open(src->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = dirfd < 0 ? svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no such directory", src->label)
                       : svc->file_reader(ctx, dirfd, src->dir, "manifest.json", src->label, "manifest", out);
        if (dirfd >= 0)
            close(dirfd);
    } else if (rc == FERRY_OK) {
        rc = svc->memory_reader(ctx, src->label, image.manifest, strlen(image.manifest), NULL, out);
    }
    if (rc == FERRY_OK)
        snprintf(media_type, cap, "%s", "");
    probe_leave(&src->guard, ctx, PROBE_EXCLUSIVE);
    return rc;
}

static int probe_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                          ferry_reader **out)
{
    probe_source *src = (probe_source *)source;
    int rc = probe_enter(&src->guard, ctx, PROBE_SHARED, "get_blob");
    probe_reader *r = NULL;
    if (rc == FERRY_OK) {
        probe_nap(20); /* long enough for parallel calls to meet */
        int layer = -1;
        for (int i = 0; i < PROBE_LAYERS; i++)
            if (strcmp(info->digest, image.layer_digest[i]) == 0)
                layer = i;
        if (layer < 0 && strcmp(info->digest, image.config_digest) != 0)
            rc = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "probe: no blob %s", info->digest);
        else if ((r = calloc(1, sizeof *r)) == NULL)
            rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "probe: out of memory");
        if (r != NULL) {
            r->base.ops = &probe_reader_ops;
            r->src = src;
            r->layer = layer;
            r->bytes = layer < 0 ? (const unsigned char *)image.config : NULL;
            r->size = layer < 0 ? (int64_t)strlen(image.config) : PROBE_LAYER_SIZE;
            pthread_mutex_lock(&probe_lock);
            src->open_readers++;
            pthread_mutex_unlock(&probe_lock);
            *out = &r->base;
        }
    }
    probe_leave(&src->guard, ctx, PROBE_SHARED);
    return rc;
}

static void probe_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    probe_source *src = (probe_source *)source;
    probe_closing(&src->guard, ctx, src->open_ctx, src->open_readers, "source");
    free(src->dir);
    free(src->label);
    free(src);
}

static const ferry_source_ops probe_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = probe_get_manifest,
    .get_blob = probe_get_blob,
    .close = probe_source_close,
};

/* ---- destination ---- */

typedef struct probe_dest {
    ferry_image_dest base;
    probe_guard guard;
    ferry_ctx *open_ctx;
    char *dir;
    char *manifest;
    size_t manifest_len;
    int refuse_manifest;
    int put_manifest_calls, commit_calls;
    uint64_t checks; /* the FERRY_CAP_* promises put_blob checks */
} probe_dest;

static int probe_dest_types_call(probe_dest *dst)
{
    /* No ctx here: only the overlap rule is checked. */
    int rc = probe_enter(&dst->guard, NULL, PROBE_EXCLUSIVE, "manifest_types");
    probe_leave(&dst->guard, NULL, PROBE_EXCLUSIVE);
    return rc;
}

static const char *const *probe_manifest_types(ferry_image_dest *dest)
{
    probe_dest_types_call((probe_dest *)dest);
    return NULL;
}

static int probe_try_reuse_blob(ferry_image_dest *dest, ferry_ctx *ctx, const ferry_blob_info *info, int64_t *size)
{
    (void)info;
    (void)size;
    probe_dest *dst = (probe_dest *)dest;
    int rc = probe_enter(&dst->guard, ctx, PROBE_SHARED, "try_reuse_blob");
    probe_leave(&dst->guard, ctx, PROBE_SHARED);
    return rc != FERRY_OK ? rc : FERRY_ERR_NOT_FOUND;
}

/* What the destination's capability bits promise about one blob, before
 * its first byte (`bytes` < 0) and after its last. */
static int probe_check_blob(const probe_dest *dst, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info,
                            int64_t bytes)
{
    const char *rule = NULL;
    int layer = info->kind == FERRY_BLOB_LAYER;
    const char *got = bytes >= 0 ? ferry_reader_digest(data) : NULL;
    if (layer && (dst->checks & (FERRY_CAP_COMPUTES_DIFFIDS | FERRY_CAP_NEEDS_UNCOMPRESSED)) &&
        info->uncompressed_digest == NULL)
        rule = "a layer came without its DiffID (uncompressed_digest)";
    else if (layer && (dst->checks & FERRY_CAP_NEEDS_UNCOMPRESSED) && bytes >= 0 &&
             (got == NULL || strcmp(got, info->uncompressed_digest) != 0))
        rule = "NEEDS_UNCOMPRESSED: the bytes delivered do not hash to the DiffID";
    else if ((dst->checks & FERRY_CAP_NEEDS_BLOB_SIZE) && bytes < 0 &&
             (info->digest == NULL || info->size < 0 || ferry_reader_size(data) < 0))
        rule = "NEEDS_BLOB_SIZE: digest or size unknown before the first byte";
    else if ((dst->checks & FERRY_CAP_NEEDS_BLOB_SIZE) && bytes >= 0 &&
             (bytes != ferry_reader_size(data) || bytes != info->size || got == NULL ||
              strcmp(got, info->digest) != 0))
        rule = "NEEDS_BLOB_SIZE: the bytes are not the size and digest announced";
    return rule != NULL ? probe_broken(ctx, rule, info->digest != NULL ? info->digest : "digest unknown") : FERRY_OK;
}

static int probe_put_blob(ferry_image_dest *dest, ferry_ctx *ctx, ferry_reader *data, const ferry_blob_info *info)
{
    probe_dest *dst = (probe_dest *)dest;
    int rc = probe_enter(&dst->guard, ctx, PROBE_SHARED, "put_blob");
    if (rc == FERRY_OK)
        rc = probe_check_blob(dst, ctx, data, info, -1);
    unsigned char sink[PROBE_CHUNK]; /* per call: put_blob runs on several threads */
    int64_t bytes = 0;
    for (int eos = 0; rc == FERRY_OK && !eos;) {
        size_t n;
        rc = ferry_reader_read(data, ctx, sink, sizeof sink, &n, &eos);
        bytes += (int64_t)n;
    }
    if (rc == FERRY_OK)
        rc = probe_check_blob(dst, ctx, data, info, bytes);
    probe_leave(&dst->guard, ctx, PROBE_SHARED);
    return rc;
}

static int probe_put_manifest(ferry_image_dest *dest, ferry_ctx *ctx, const void *data, size_t len,
                              const char *media_type, const char *digest, const char *instance_digest)
{
    (void)digest;
    probe_dest *dst = (probe_dest *)dest;
    int rc = probe_enter(&dst->guard, ctx, PROBE_EXCLUSIVE, "put_manifest");
    dst->put_manifest_calls++;
    if (rc == FERRY_OK && dst->refuse_manifest)
        rc = svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "probe:refuse-manifest: manifest type %s refused",
                            media_type);
    if (rc == FERRY_OK && instance_digest == NULL) {
        free(dst->manifest);
        dst->manifest = malloc(len ? len : 1);
        if (dst->manifest == NULL)
            rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "probe: out of memory");
        else
            memcpy(dst->manifest, data, len);
        dst->manifest_len = len;
    }
    probe_leave(&dst->guard, ctx, PROBE_EXCLUSIVE);
    return rc;
}

static int probe_commit(ferry_image_dest *dest, ferry_ctx *ctx)
{
    probe_dest *dst = (probe_dest *)dest;
    int rc = probe_enter(&dst->guard, ctx, PROBE_EXCLUSIVE, "commit");
    dst->commit_calls++;
    if (rc == FERRY_OK && dst->dir != NULL) {
        int fd = open(dst->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || svc->write_file_atomic(fd, "manifest.json", dst->manifest, dst->manifest_len, 1) != 0)
            rc = svc->set_error(ctx, FERRY_ERR_IO, "probe:%s: writing manifest.json failed", dst->dir);
        if (fd >= 0)
            close(fd);
    }
    probe_leave(&dst->guard, ctx, PROBE_EXCLUSIVE);
    return rc;
}

static void probe_dest_close(ferry_image_dest *dest, ferry_ctx *ctx)
{
    probe_dest *dst = (probe_dest *)dest;
    probe_closing(&dst->guard, ctx, dst->open_ctx, 0, "destination");
    svc->log(ctx, FERRY_LOG_DEBUG, "probe: %s destination: %d put_manifest calls, %d commits", dst->guard.name,
             dst->put_manifest_calls, dst->commit_calls);
    free(dst->manifest);
    free(dst->dir);
    free(dst);
}

static const ferry_dest_ops probe_dest_ops = {
    .struct_size = sizeof(ferry_dest_ops),
    .manifest_types = probe_manifest_types,
    .try_reuse_blob = probe_try_reuse_blob,
    .put_blob = probe_put_blob,
    .put_manifest = probe_put_manifest,
    .commit = probe_commit,
    .close = probe_dest_close,
};

/* ---- transports ---- */

static const char *const purpose_names[] = {"?", "read", "write", "delete", "list-tags"};

static int probe_validate_legacy(ferry_ctx *ctx, const char *reference)
{
    return probe_broken(ctx, "validate_reference called although validate_reference_for is set", reference);
}

static int probe_validate_for(ferry_ctx *ctx, const char *reference, int purpose)
{
    if (reference[0] == '\0')
        return svc->set_error(ctx, FERRY_ERR_INVALID, "probe: empty reference");
    if (strlen(reference) >= sizeof validated[0].reference)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "probe: reference too long");
    int known = purpose >= FERRY_REF_FOR_READ && purpose <= FERRY_REF_FOR_LIST_TAGS;
    svc->log(ctx, FERRY_LOG_DEBUG, "probe: validate_reference_for %s: %s", reference,
             known ? purpose_names[purpose] : "unknown");
    pthread_mutex_lock(&probe_lock);
    if (n_validated < PROBE_MAX_VALIDATED) {
        snprintf(validated[n_validated].reference, sizeof validated[0].reference, "%s", reference);
        validated[n_validated++].purpose = purpose;
    }
    pthread_mutex_unlock(&probe_lock);
    return FERRY_OK;
}

static int probe_policy_identity(ferry_ctx *ctx, const char *reference, char *buf, size_t cap)
{
    if (strlen(reference) >= cap)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "probe:%s: reference too long", reference);
    strcpy(buf, reference);
    return FERRY_OK;
}

static int probe_open_source_as(ferry_ctx *ctx, const char *reference, ferry_image_source **out, int parallel,
                                const char *name)
{
    int rc = probe_check_validated(ctx, reference, FERRY_REF_FOR_READ, "open_source");
    if (rc != FERRY_OK)
        return rc;
    if (strcmp(reference, "missing") == 0)
        return svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "probe:%s: no such image", reference);
    pthread_once(&image.once, probe_build_image);
    probe_source *src = calloc(1, sizeof *src);
    if (src == NULL || (reference[0] == '/' && (src->dir = strdup(reference)) == NULL) ||
        asprintf(&src->label, "probe:%s", reference) < 0) {
        if (src != NULL)
            free(src->dir);
        free(src);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "probe: out of memory");
    }
    src->base.ops = &probe_source_ops;
    src->guard = (probe_guard){.parallel = parallel, .name = name};
    src->open_ctx = ctx;
    *out = &src->base;
    return FERRY_OK;
}

static int probe_open_destination_as(ferry_ctx *ctx, const char *reference, ferry_image_dest **out, int parallel,
                                     const char *name, uint64_t checks)
{
    int rc = probe_check_validated(ctx, reference, FERRY_REF_FOR_WRITE, "open_destination");
    if (rc != FERRY_OK)
        return rc;
    if (reference[0] == '/' && svc->mkdir_p(reference) != 0)
        return svc->set_error(ctx, FERRY_ERR_IO, "probe:%s: creating the directory failed", reference);
    probe_dest *dst = calloc(1, sizeof *dst);
    if (dst == NULL || (reference[0] == '/' && (dst->dir = strdup(reference)) == NULL)) {
        free(dst);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "probe: out of memory");
    }
    dst->base.ops = &probe_dest_ops;
    dst->guard = (probe_guard){.parallel = parallel, .name = name};
    dst->refuse_manifest = strcmp(reference, "refuse-manifest") == 0;
    const char *compress = svc->get_option(ctx, "compress");
    svc->log(ctx, FERRY_LOG_DEBUG, "probe: option compress: %s", compress != NULL ? compress : "(unset)");
    dst->checks = checks;
    dst->open_ctx = ctx;
    *out = &dst->base;
    return FERRY_OK;
}

static int probe_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    return probe_open_source_as(ctx, reference, out, 1, "probe");
}

static int probe_serial_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    return probe_open_source_as(ctx, reference, out, 0, "probe-serial");
}

static int probe_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    return probe_open_destination_as(ctx, reference, out, 1, "probe", 0);
}

static int probe_serial_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    return probe_open_destination_as(ctx, reference, out, 0, "probe-serial", 0);
}

/* The destinations that check one capability's promise, and declare it. */
#define PROBE_CHECKING_OPENER(fn, tname, cap)                                             \
    static int fn(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)         \
    {                                                                                     \
        return probe_open_destination_as(ctx, reference, out, 0, tname, (cap));           \
    }
PROBE_CHECKING_OPENER(probe_diffids_open_destination, "probe-diffids", FERRY_CAP_COMPUTES_DIFFIDS)
PROBE_CHECKING_OPENER(probe_unpacked_open_destination, "probe-unpacked", FERRY_CAP_NEEDS_UNCOMPRESSED)
PROBE_CHECKING_OPENER(probe_sized_open_destination, "probe-sized", FERRY_CAP_NEEDS_BLOB_SIZE)

static int probe_delete_image(ferry_ctx *ctx, const char *reference)
{
    return probe_check_validated(ctx, reference, FERRY_REF_FOR_DELETE, "delete_image");
}

static int probe_list_tags(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag),
                           void *opaque)
{
    /* inspect lists the tags of the image it reads (RepoTags). */
    int rc = probe_check_validated(ctx, reference, FERRY_REF_FOR_LIST_TAGS, NULL);
    if (rc != FERRY_OK)
        rc = probe_check_validated(ctx, reference, FERRY_REF_FOR_READ, "list_tags");
    if (rc == FERRY_OK)
        rc = emit(opaque, "probe-tag");
    return rc;
}

#define PROBE_CAPS (FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_DELETE | FERRY_CAP_LIST_TAGS)
#define PROBE_PARALLEL (FERRY_CAP_PARALLEL_GET | FERRY_CAP_PARALLEL_PUT)

/* The two transports differ in name, capabilities and the openers that
 * tell their objects whether calls may overlap. */
#define PROBE_TRANSPORT(tname, kind, caps, open_src, open_dst)                                              \
    {                                                                                                       \
        .struct_size = sizeof(ferry_transport), .name = (tname),                                            \
        .description = "test module checking the ABI's threading, lifetime and validation rules (" kind ")", \
        .capabilities = (caps), .validate_reference = probe_validate_legacy,                                \
        .policy_identity = probe_policy_identity, .open_source = (open_src), .open_destination = (open_dst), \
        .delete_image = probe_delete_image, .list_tags = probe_list_tags,                                   \
        .validate_reference_for = probe_validate_for,                                                       \
    }

static const ferry_transport probe_transport =
    PROBE_TRANSPORT("probe", "parallel", PROBE_CAPS | PROBE_PARALLEL, probe_open_source, probe_open_destination);
/* Not const: FERRY_PROBE_DECLARE_PARALLEL changes its capabilities at init. */
static ferry_transport probe_serial_transport = PROBE_TRANSPORT("probe-serial", "serial", PROBE_CAPS,
                                                                probe_serial_open_source,
                                                                probe_serial_open_destination);

#define PROBE_DEST_CAPS (FERRY_CAP_DESTINATION | FERRY_CAP_LIST_TAGS | FERRY_CAP_DELETE)
static const ferry_transport probe_diffids_transport =
    PROBE_TRANSPORT("probe-diffids", "DiffIDs", PROBE_DEST_CAPS | FERRY_CAP_COMPUTES_DIFFIDS, NULL,
                    probe_diffids_open_destination);
static const ferry_transport probe_unpacked_transport =
    PROBE_TRANSPORT("probe-unpacked", "uncompressed layers", PROBE_DEST_CAPS | FERRY_CAP_NEEDS_UNCOMPRESSED, NULL,
                    probe_unpacked_open_destination);
static const ferry_transport probe_sized_transport =
    PROBE_TRANSPORT("probe-sized", "blob sizes", PROBE_DEST_CAPS | FERRY_CAP_NEEDS_BLOB_SIZE, NULL,
                    probe_sized_open_destination);

static const ferry_transport *const probe_transports[] = {&probe_transport,          &probe_serial_transport,
                                                          &probe_diffids_transport,  &probe_unpacked_transport,
                                                          &probe_sized_transport,    NULL};

/* The image's strings die with the module, not with the process. */
static void probe_unload(void)
{
    free(image.config);
    free(image.manifest);
}

static const ferry_module probe_module = {
    FERRY_MODULE_HEADER,
    .name = "probe",
    .version = "1.4.0",
    .license = "Apache-2.0",
    .transports = probe_transports,
    .unload = probe_unload,
};

static int probe_init(const ferry_core *core, const ferry_module **out)
{
    if (core->abi_major != FERRY_ABI_MAJOR)
        return FERRY_ERR_ABI;
    svc = core->services;
    const char *lie = getenv("FERRY_PROBE_DECLARE_PARALLEL");
    if (lie != NULL && strcmp(lie, "1") == 0)
        probe_serial_transport.capabilities |= PROBE_PARALLEL;
    *out = &probe_module;
    return FERRY_OK;
}

FERRY_MODULE_DEFINE(probe_init)
