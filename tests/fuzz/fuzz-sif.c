/* tests/fuzz/fuzz-sif.c — libFuzzer target: a SIF file as the sif: transport
 * reads one (plugins/sif/, linked in but module.c and source.c): the global
 * header and descriptor table (container.c), the definition file's
 * %environment and %runscript (deffile.c), then the primary system
 * partition walked through libsquashfs (squash.c) and served as the layer
 * tar (layer.c), read to its end. The steps run in source.c's order and stop
 * at the first error, as a copy would. The layer is read up to a bound: a
 * squashfs may declare files of any size, and reading zeros is no finding. */
#include "fuzz_common.h"

#include "sif.h"

const ferry_services *sif_services(void) { return services_table(); }

/* Enough for every seed's layer and for most mutations of it. */
#define FUZZ_SIF_LAYER_BOUND (8u << 20)

static void fuzz_read_layer(const ferry_services *svc, ferry_ctx *ctx, const sif_layer_spec *spec)
{
    ferry_reader *reader = NULL;
    if (sif_layer_open(svc, ctx, spec, &reader) != FERRY_OK)
        return;
    uint64_t total = 0;
    int ended = 0;
    (void)fuzz_read_all(reader, ctx, FUZZ_SIF_LAYER_BOUND, &total, &ended);
    reader->ops->close(reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    ferry_ctx ctx;
    fuzz_ctx_init(&ctx);
    const ferry_services *svc = services_table();
    const char *label = "sif:fuzz.sif";

    sif_container c;
    char *script = NULL;
    size_t script_len = 0;
    int status = sif_container_load(svc, &ctx, label, path, fd, &c);
    /* The partition's bounds are checked by check_rootfs, after the
     * definition file (containers/image's order of errors), not by load. */
    if (status == FERRY_OK && c.has_deffile)
        status = sif_deffile_script(svc, &ctx, label, fd, &c.deffile, &script, &script_len);
    if (status == FERRY_OK && (script == NULL) != (script_len == 0))
        abort();
    if (status == FERRY_OK)
        status = sif_container_check_rootfs(svc, &ctx, label, path, &c);
    if (status == FERRY_OK) {
        if (c.rootfs.offset + c.rootfs.size > c.file_size)
            abort(); /* check_rootfs promises a partition inside the file */
        sif_layer_spec spec = {
            .label = label,
            .fd = fd,
            .rootfs = c.rootfs,
            .script = script,
            .script_len = script_len,
            .inject_sec = 1700000000,
            .inject_nsec = 0,
        };
        fuzz_read_layer(svc, &ctx, &spec);
    }
    free(script);
    ctx_clear(&ctx);
    close(fd);
    return 0;
}
