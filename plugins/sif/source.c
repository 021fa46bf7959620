/* plugins/sif/source.c — reading a SIF file as containers/image v5.23.1's
 * sif transport presents it: an OCI manifest naming one uncompressed layer
 * (the primary system partition as a tar, see layer.c) and a config with
 * the header's architecture, "linux", the header's modification time as
 * `created` (in the local time zone, as Go's time.Unix gives it), the
 * command (the injected /podman/runscript when the definition file has an
 * %environment or %runscript, else "bash"), the layer's DiffID and the two
 * history entries containers/image writes.
 *
 * The layer's digest goes into the manifest, so open reads the whole layer
 * once to hash it (nothing is stored; the bytes come out the same on the
 * second pass, when the blob is copied). Opening therefore also finds
 * every error of the partition before anything is written anywhere. */
#include "sif.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/strbuf.h"

#define SIF_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define SIF_CONFIG_TYPE "application/vnd.oci.image.config.v1+json"
#define SIF_LAYER_TYPE "application/vnd.oci.image.layer.v1.tar"

typedef struct sif_source {
    ferry_image_source base;
    const ferry_services *svc;
    int fd;
    char *path;  /* as the user wrote it */
    char *label; /* "sif:PATH" */
    sif_container container;
    char *script;
    size_t script_len;
    sif_layer_spec layer;
    char layer_digest[PLUGIN_UTIL_DIGEST_MAX];
    int64_t layer_size;
    char config_digest[PLUGIN_UTIL_DIGEST_MAX];
    char *config;
    size_t config_len;
    char *manifest;
    size_t manifest_len;
} sif_source;

static int sif_source_get_manifest(ferry_image_source *source, ferry_ctx *ctx, const char *instance_digest,
                                   ferry_reader **out, char *media_type, size_t media_type_cap)
{
    sif_source *src = (sif_source *)source;
    if (instance_digest != NULL)
        return src->svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: manifest lists are not supported by the sif transport",
                                   src->label);
    if (media_type_cap > 0)
        snprintf(media_type, media_type_cap, "%s", SIF_MANIFEST_TYPE);
    return src->svc->memory_reader(ctx, src->label, src->manifest, src->manifest_len, NULL, out);
}

static int sif_source_get_blob(ferry_image_source *source, ferry_ctx *ctx, const ferry_blob_info *info,
                               ferry_reader **out)
{
    sif_source *src = (sif_source *)source;
    const char *digest = info->digest != NULL ? info->digest : "";
    if (strcmp(digest, src->config_digest) == 0)
        return src->svc->memory_reader(ctx, src->label, src->config, src->config_len, NULL, out);
    if (strcmp(digest, src->layer_digest) == 0)
        return sif_layer_open(src->svc, ctx, &src->layer, out);
    return src->svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no blob with digest \"%s\" found", src->label, digest);
}

static void sif_source_close(ferry_image_source *source, ferry_ctx *ctx)
{
    sif_source *src = (sif_source *)source;
    (void)ctx;
    if (src->fd >= 0)
        close(src->fd);
    free(src->path);
    free(src->label);
    free(src->script);
    free(src->config);
    free(src->manifest);
    free(src);
}

static const ferry_source_ops sif_source_ops = {
    .struct_size = sizeof(ferry_source_ops),
    .get_manifest = sif_source_get_manifest,
    .get_blob = sif_source_get_blob,
    .get_signatures = NULL,
    .docker_reference = NULL,
    .close = sif_source_close,
};

/* Go's RFC 3339 form of time.Unix(t, 0) in the local zone, as json.Marshal
 * writes a time.Time: "Z" for UTC, else the offset. */
static int sif_format_time(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return -1;
    int len = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (len < 0 || (size_t)len >= cap)
        return -1;
    size_t n = (size_t)len;
    long off = tm.tm_gmtoff / 60;
    if (off == 0)
        snprintf(buf + n, cap - n, "Z");
    else
        snprintf(buf + n, cap - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
    return 0;
}

/* Reads the layer once: its digest and size for the manifest. */
static int sif_hash_layer(sif_source *src, ferry_ctx *ctx)
{
    const ferry_services *svc = src->svc;
    ferry_reader *r = NULL;
    int status = sif_layer_open(svc, ctx, &src->layer, &r);
    if (status != FERRY_OK)
        return status;
    ferry_hasher *h = svc->hasher_new("sha256");
    unsigned char *buf = malloc(PLUGIN_UTIL_CHUNK);
    if (h == NULL || buf == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->label);
    int eos = 0;
    src->layer_size = 0;
    while (status == FERRY_OK && !eos) {
        size_t n = 0;
        status = ferry_reader_read(r, ctx, buf, PLUGIN_UTIL_CHUNK, &n, &eos);
        if (status == FERRY_OK) {
            svc->hasher_update(h, buf, n);
            src->layer_size += (int64_t)n;
        }
    }
    if (status == FERRY_OK && svc->hasher_final(h, src->layer_digest, sizeof src->layer_digest) != FERRY_OK)
        status = svc->set_error(ctx, FERRY_ERR_FAILED, "%s: computing the layer digest", src->label);
    if (h != NULL)
        svc->hasher_free(h);
    free(buf);
    ferry_reader_close(r);
    return status;
}

/* The config and manifest exactly as containers/image marshals them
 * (Go field order; no value here needs JSON escaping: the architecture
 * comes from a fixed table, the rest are digests, numbers and times). */
static int sif_build_metadata(sif_source *src, ferry_ctx *ctx)
{
    const ferry_services *svc = src->svc;
    char created[64];
    if (sif_format_time(src->container.modified, created, sizeof created) != 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: generating configuration blob for \"%s\": json: error calling MarshalJSON for type *time.Time: Time.MarshalJSON: year outside of range [0,9999]",
                              src->label, src->path);
    const char *layer_hex = strchr(src->layer_digest, ':') + 1;
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb,
                  "{\"created\":\"%s\",\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"%s\"]},"
                  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},"
                  "\"history\":[{\"created\":\"%s\",\"created_by\":\"/bin/sh -c #(nop) ADD file:%s in /\","
                  "\"comment\":\"imported from SIF, uuid: %s\"},"
                  "{\"created\":\"%s\",\"created_by\":\"/bin/sh -c #(nop) CMD [\\\"bash\\\"]\",\"empty_layer\":true}]}",
                  created, src->container.arch, src->script != NULL ? "/podman/runscript" : "bash", src->layer_digest,
                  created, layer_hex, src->container.uuid, created);
    if (sb.failed)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->label);
    src->config = strbuf_detach(&sb, &src->config_len);
    ferry_hasher *h = svc->hasher_new("sha256");
    if (h == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->label);
    svc->hasher_update(h, src->config, src->config_len);
    int rc = svc->hasher_final(h, src->config_digest, sizeof src->config_digest);
    svc->hasher_free(h);
    if (rc != FERRY_OK)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: computing the config digest", src->label);
    strbuf_printf(&sb,
                  "{\"schemaVersion\":2,\"mediaType\":\"" SIF_MANIFEST_TYPE "\","
                  "\"config\":{\"mediaType\":\"" SIF_CONFIG_TYPE "\",\"digest\":\"%s\",\"size\":%zu},"
                  "\"layers\":[{\"mediaType\":\"" SIF_LAYER_TYPE "\",\"digest\":\"%s\",\"size\":%lld}]}",
                  src->config_digest, src->config_len, src->layer_digest, (long long)src->layer_size);
    if (sb.failed)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", src->label);
    src->manifest = strbuf_detach(&sb, &src->manifest_len);
    return FERRY_OK;
}

static int sif_source_load(sif_source *src, ferry_ctx *ctx)
{
    const ferry_services *svc = src->svc;
    src->fd = open(src->path, O_RDONLY | O_CLOEXEC);
    if (src->fd < 0) {
        char err[128];
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: loading SIF file: open %s: %s", src->label, src->path,
                              plugin_util_strerror(errno, err, sizeof err));
    }
    int status = sif_container_load(svc, ctx, src->label, src->path, src->fd, &src->container);
    if (status == FERRY_OK && src->container.has_deffile)
        status = sif_deffile_script(svc, ctx, src->label, src->fd, &src->container.deffile, &src->script,
                                    &src->script_len);
    if (status == FERRY_OK)
        status = sif_container_check_rootfs(svc, ctx, src->label, src->path, &src->container);
    if (status != FERRY_OK)
        return status;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    src->layer = (sif_layer_spec){
        .label = src->label,
        .fd = src->fd,
        .rootfs = src->container.rootfs,
        .script = src->script,
        .script_len = src->script_len,
        .inject_sec = now.tv_sec,
        .inject_nsec = now.tv_nsec,
    };
    status = sif_hash_layer(src, ctx);
    if (status == FERRY_OK)
        status = sif_build_metadata(src, ctx);
    return status;
}

int sif_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    const ferry_services *svc = sif_services();
    *out = NULL;
    int status = sif_validate_reference(ctx, reference);
    if (status != FERRY_OK)
        return status;
    sif_source *src = calloc(1, sizeof *src);
    if (src == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "sif:%s: out of memory", reference);
    src->base.ops = &sif_source_ops;
    src->svc = svc;
    src->fd = -1;
    src->path = plugin_util_printf("%s", reference);
    src->label = plugin_util_printf("sif:%s", reference);
    if (src->path == NULL || src->label == NULL) {
        sif_source_close(&src->base, ctx);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "sif:%s: out of memory", reference);
    }
    status = sif_source_load(src, ctx);
    if (status != FERRY_OK) {
        sif_source_close(&src->base, ctx);
        return status;
    }
    *out = &src->base;
    return FERRY_OK;
}
