/* plugins/docker-archive/tar.c — the tar format, both ways. Reading is the
 * shared in-place index (plugins/common/tarindex.c: libarchive, one pass
 * over the headers, members served by pread, names and links checked to
 * stay inside the archive), with links followed as `docker load` would.
 * Writing is ours: the ustar headers Go's archive/tar writes for skopeo, so
 * that an archive is byte for byte the one skopeo writes. */
#include "dockarch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dockarch_archive_open_fd(ferry_ctx *ctx, const char *label, int fd, dockarch_archive *out)
{
    const ferry_services *svc = dockarch_services();
    memset(out, 0, sizeof *out);
    out->fd = fd;
    out->label = strdup(label);
    int status = out->label == NULL ? svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label)
                                    : plugin_tar_index_fd(svc, ctx, label, fd, DOCKARCH_MEMBERS_MAX, &out->index);
    if (status != FERRY_OK)
        dockarch_archive_close(out);
    return status;
}

int dockarch_archive_open(ferry_ctx *ctx, const char *label, const char *path, dockarch_archive *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    int fd = -1;
    int status = plugin_tar_open(dockarch_services(), ctx, label, path, &fd);
    return status != FERRY_OK ? status : dockarch_archive_open_fd(ctx, label, fd, out);
}

void dockarch_archive_close(dockarch_archive *ar)
{
    plugin_tar_index_free(&ar->index);
    free(ar->label);
    if (ar->fd >= 0)
        close(ar->fd);
    memset(ar, 0, sizeof *ar);
    ar->fd = -1;
}

const dockarch_member *dockarch_archive_find(const dockarch_archive *ar, const char *name)
{
    return plugin_tar_resolve(&ar->index, name);
}

int dockarch_archive_read(ferry_ctx *ctx, const dockarch_archive *ar, const dockarch_member *m, size_t max,
                          char **data)
{
    return plugin_tar_read(dockarch_services(), ctx, ar->label, ar->fd, m, max, data);
}

int dockarch_tar_header(unsigned char block[DOCKARCH_TAR_BLOCK], const char *name, int64_t size, char type,
                        const char *link)
{
    if (strlen(name) > 100 || (link != NULL && strlen(link) > 100) || size < 0 || size > 077777777777LL)
        return -1;
    memset(block, 0, DOCKARCH_TAR_BLOCK);
    memcpy(block, name, strlen(name));
    snprintf((char *)block + 100, 8, "%07o", type == '2' ? 0 : 0444);
    snprintf((char *)block + 108, 8, "%07o", 0);
    snprintf((char *)block + 116, 8, "%07o", 0);
    snprintf((char *)block + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)block + 136, 12, "%011o", 0);
    block[156] = (unsigned char)type;
    if (link != NULL)
        memcpy(block + 157, link, strlen(link));
    memcpy(block + 257, "ustar\0" "00", 8);
    snprintf((char *)block + 329, 8, "%07o", 0);
    snprintf((char *)block + 337, 8, "%07o", 0);
    unsigned sum = 0;
    memset(block + 148, ' ', 8);
    for (size_t i = 0; i < DOCKARCH_TAR_BLOCK; i++)
        sum += block[i];
    snprintf((char *)block + 148, 8, "%06o", sum);
    block[155] = ' ';
    return 0;
}
