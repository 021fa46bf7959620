/* tests/fuzz/fuzz-tar.c — libFuzzer target: the tar member index of the
 * archive transports (plugins/common/tarindex.c), which oci-archive,
 * docker-archive and docker-daemon build over archives they did not write.
 * The input is the archive; every member indexed is then looked up, resolved
 * through links and read, and the index's promises are checked: names
 * normalised (never absolute, never climbing out with ".."), members sorted
 * and unique, data inside the file. The archive is then opened as a docker
 * save archive (plugins/docker-archive/tar.c, index.c, names.c, linked in):
 * its manifest.json loaded, an image chosen and the tags listed. */
#include "fuzz_common.h"

#include <sys/stat.h>

#include "tarindex.h"

#include "dockarch.h"

const ferry_services *dockarch_services(void) { return services_table(); }

static int fuzz_count_tag(void *opaque, const char *tag)
{
    (void)tag;
    ++*(size_t *)opaque;
    return FERRY_OK;
}

/* The archive as docker-archive: reads it (the fd is the archive's). */
static void fuzz_docker_archive(ferry_ctx *ctx, int fd)
{
    dockarch_archive ar;
    if (dockarch_archive_open_fd(ctx, "docker-archive:fuzz.tar", fd, &ar) != FERRY_OK)
        return;
    json_t *items = NULL;
    if (dockarch_manifest_load(ctx, &ar, &items) == FERRY_OK) {
        json_t *item = NULL;
        (void)dockarch_manifest_select(ctx, ar.label, NULL, -1, items, &item);
        (void)dockarch_manifest_select(ctx, ar.label, NULL, 1, items, &item);
        (void)dockarch_manifest_select(ctx, ar.label, "docker.io/library/busybox:latest", -1, items, &item);
        size_t tags = 0;
        (void)dockarch_manifest_tags(items, fuzz_count_tag, &tags);
        json_decref(items);
    }
    dockarch_archive_close(&ar);
}

static int fuzz_name_ok(const char *name)
{
    if (name[0] == '/' || strncmp(name, "./", 2) == 0 || strstr(name, "//") != NULL)
        return 0;
    const char *p = name;
    while (*p != '\0') {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    ferry_ctx ctx;
    fuzz_ctx_init(&ctx);
    const ferry_services *svc = services_table();
    plugin_tar_index idx;
    if (plugin_tar_index_fd(svc, &ctx, "oci-archive:fuzz.tar", fd, 4096, &idx) == FERRY_OK) {
        for (size_t i = 0; i < idx.count; i++) {
            const plugin_tar_member *m = &idx.members[i];
            if (!fuzz_name_ok(m->name) || (m->link != NULL && !fuzz_name_ok(m->link)))
                abort();
            if (i > 0 && strcmp(idx.members[i - 1].name, m->name) >= 0)
                abort();
            if (m->type == PLUGIN_TAR_FILE && (m->offset < 0 || m->size < 0 || (uint64_t)m->offset > size ||
                                               (uint64_t)m->size > size - (uint64_t)m->offset))
                abort();
            if (plugin_tar_lookup(&idx, m->name) != m)
                abort();
            const plugin_tar_member *file = plugin_tar_resolve(&idx, m->name);
            if (file != NULL && file->type != PLUGIN_TAR_FILE)
                abort();
            char *bytes = NULL;
            if (file != NULL && plugin_tar_read(svc, &ctx, "oci-archive:fuzz.tar", fd, file, 1 << 16, &bytes) == FERRY_OK)
                free(bytes);
        }
        (void)plugin_tar_resolve(&idx, "index.json");
        (void)plugin_tar_resolve(&idx, "./manifest.json");
        plugin_tar_index_free(&idx);
    }
    if (lseek(fd, 0, SEEK_SET) == 0)
        fuzz_docker_archive(&ctx, fd);
    else
        close(fd);
    return 0;
}
