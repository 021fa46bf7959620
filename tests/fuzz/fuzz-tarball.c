/* tests/fuzz/fuzz-tarball.c — libFuzzer target: a file named by a tarball:
 * reference, as the tarball module reads it (plugins/tarball/, linked in
 * but module.c and source.c). libarchive decompresses and walks the tar;
 * what is ferry's is the handling around it: recognising the compression,
 * the one streaming scan for the digests, the DiffID and the check that a
 * tar is inside, the error paths, and the layer reader. A scanned file's
 * layer is read to its end, whose bytes must be the size and digest the
 * scan recorded (what the manifest will promise), then the config and
 * manifest are written. */
#include "fuzz_common.h"

#include "tarball.h"

const ferry_services *tarball_services(void) { return services_table(); }

static void fuzz_read_layer(ferry_ctx *ctx, const char *label, const tarball_layer *layer)
{
    ferry_reader *reader = NULL;
    if (tarball_layer_reader(ctx, label, layer, &reader) != FERRY_OK)
        return;
    uint64_t total = 0;
    int ended = 0;
    /* No bound: the layer is the input or its decompression (xz), which
     * libFuzzer's -rss_limit_mb and -timeout bound. */
    if (fuzz_read_all(reader, ctx, UINT64_MAX, &total, &ended) == FERRY_OK && ended) {
        if (layer->blob_size < 0 || total != (uint64_t)layer->blob_size)
            abort();
        const char *digest = ferry_reader_digest(reader);
        if (digest != NULL && strcmp(digest, layer->blob_digest) != 0)
            abort();
    }
    reader->ops->close(reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    ferry_ctx ctx;
    fuzz_ctx_init(&ctx);
    const char *label = "tarball:fuzz.tar";

    tarball_layer layer = {.path = strdup(path), .fd = -1};
    if (layer.path == NULL)
        abort();
    if (tarball_layer_scan(&ctx, label, &layer) == FERRY_OK) {
        fuzz_read_layer(&ctx, label, &layer);
        size_t config_len = 0, manifest_len = 0;
        char *config = tarball_config_json(&layer, 1, &config_len);
        char *manifest = tarball_manifest_json(&layer, 1, "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                                               config_len, &manifest_len);
        free(config);
        free(manifest);
    }
    tarball_layer_release(&layer);
    ctx_clear(&ctx);
    close(fd);
    return 0;
}
