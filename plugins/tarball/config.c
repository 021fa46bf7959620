/* plugins/tarball/config.c — the config and manifest of a tarball: image,
 * byte for byte as containers/image v5.23.1 writes them (tarball_src.go):
 * Go's encoding/json of its structs, compact, fields in declaration order,
 * empty ones omitted; times as Go's RFC 3339 with nanoseconds in the local
 * zone (a file's modification time). The config has the os and architecture
 * ferry was built for (Go's runtime.GOOS/GOARCH), "created" the newest
 * file's time, and one history entry per layer. */
#include "tarball.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's runtime.GOARCH of the architecture this module was compiled for. */
#if defined(__x86_64__)
#define TARBALL_GOARCH "amd64"
#elif defined(__aarch64__)
#define TARBALL_GOARCH "arm64"
#elif defined(__i386__)
#define TARBALL_GOARCH "386"
#elif defined(__arm__)
#define TARBALL_GOARCH "arm"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define TARBALL_GOARCH "ppc64le"
#elif defined(__powerpc64__)
#define TARBALL_GOARCH "ppc64"
#elif defined(__s390x__)
#define TARBALL_GOARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define TARBALL_GOARCH "riscv64"
#elif defined(__mips64) && defined(__MIPSEL__)
#define TARBALL_GOARCH "mips64le"
#elif defined(__mips64)
#define TARBALL_GOARCH "mips64"
#elif defined(__loongarch64)
#define TARBALL_GOARCH "loong64"
#else
#error "tarball: unknown architecture, add its Go GOARCH name"
#endif
#define TARBALL_GOOS "linux"

/* Go's time.Time JSON form (RFC3339Nano) of a file time, in the local zone. */
static void tarball_put_time(FILE *f, const struct timespec *ts)
{
    struct tm tm;
    time_t seconds = ts->tv_sec;
    localtime_r(&seconds, &tm);
    fprintf(f, "\"%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
            tm.tm_min, tm.tm_sec);
    if (ts->tv_nsec != 0) {
        char fraction[16];
        snprintf(fraction, sizeof fraction, "%09ld", (long)ts->tv_nsec);
        size_t n = strlen(fraction);
        while (n > 0 && fraction[n - 1] == '0')
            fraction[--n] = '\0';
        fprintf(f, ".%s", fraction);
    }
    long offset = tm.tm_gmtoff;
    if (offset == 0) {
        fputs("Z\"", f);
    } else {
        char sign = offset < 0 ? '-' : '+';
        offset = offset < 0 ? -offset : offset;
        fprintf(f, "%c%02ld:%02ld\"", sign, offset / 3600, offset / 60 % 60);
    }
}

static int tarball_time_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The hex part of "sha256:HEX". */
static const char *tarball_digest_hex(const char *digest)
{
    const char *colon = strchr(digest, ':');
    return colon != NULL ? colon + 1 : digest;
}

/* Closes an open_memstream stream (which sets *data); NULL on failure. */
static char *tarball_stream_finish(FILE *f, char **data)
{
    int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        free(*data);
        return NULL;
    }
    return *data;
}

char *tarball_config_json(const tarball_layer *layers, size_t n, size_t *len)
{
    char *data = NULL;
    FILE *f = open_memstream(&data, len);
    if (f == NULL)
        return NULL;
    /* "Use the mtime of the most recently modified file as the image's
     * creation time", starting from Go's zero time (never later). */
    const tarball_layer *newest = &layers[0];
    for (size_t i = 1; i < n; i++)
        if (tarball_time_before(&newest->mtime, &layers[i].mtime))
            newest = &layers[i];
    fputs("{\"created\":", f);
    tarball_put_time(f, &newest->mtime);
    fputs(",\"architecture\":\"" TARBALL_GOARCH "\",\"os\":\"" TARBALL_GOOS "\",\"config\":{},"
          "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[",
          f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", layers[i].diff_id);
    fputs("]},\"history\":[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{\"created\":" : "{\"created\":", f);
        tarball_put_time(f, &layers[i].mtime);
        fprintf(f, ",\"created_by\":\"/bin/sh -c #(nop) ADD file:%s in /\",\"comment\":\"imported from tarball\"}",
                tarball_digest_hex(layers[i].diff_id));
    }
    fputs("]}", f);
    return tarball_stream_finish(f, &data);
}

static const char *tarball_media_type(const tarball_layer *layer)
{
    switch (layer->compression) {
    case TARBALL_GZIP: return TARBALL_MEDIA_TYPE_TAR_GZIP;
    case TARBALL_ZSTD: return TARBALL_MEDIA_TYPE_TAR_ZSTD;
    case TARBALL_PLAIN:
    case TARBALL_XZ: break;
    }
    return TARBALL_MEDIA_TYPE_TAR;
}

char *tarball_manifest_json(const tarball_layer *layers, size_t n, const char *config_digest, size_t config_len,
                            size_t *len)
{
    char *data = NULL;
    FILE *f = open_memstream(&data, len);
    if (f == NULL)
        return NULL;
    fprintf(f, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" TARBALL_MEDIA_TYPE_CONFIG
               "\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[",
            config_digest, config_len);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lld}", i ? "," : "",
                tarball_media_type(&layers[i]), layers[i].blob_digest, (long long)layers[i].blob_size);
    fputs("]}", f);
    return tarball_stream_finish(f, &data);
}
