/* plugins/docker-archive/archive.c — the docker-archive: transport's entry
 * points on top of libdockarch: a source reads the image a reference selects
 * from the indexed file; a destination writes the archive to an unnamed file
 * next to PATH, renamed over it at commit (so a kill leaves nothing), or
 * straight into a pipe, a character device or /dev/stdout; list_tags prints
 * each image's RepoTags. */
#include "archive.h"

#include "shared/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dockarch_open_source(ferry_ctx *ctx, const char *reference, ferry_image_source **out)
{
    *out = NULL;
    dockarch_reference ref;
    dockarch_archive ar;
    int status = dockarch_reference_parse(ctx, reference, &ref);
    if (status == FERRY_OK)
        status = dockarch_archive_open(ctx, ref.label, ref.path, &ar);
    if (status == FERRY_OK)
        status = dockarch_source_open(ctx, ref.label, &ar, ref.name, ref.index, ref.name, out);
    dockarch_reference_free(&ref);
    return status;
}

int dockarch_list_tags(ferry_ctx *ctx, const char *reference, int (*emit)(void *opaque, const char *tag),
                       void *opaque)
{
    dockarch_reference ref;
    int status = dockarch_reference_parse(ctx, reference, &ref);
    dockarch_archive ar;
    json_t *items = NULL;
    if (status == FERRY_OK)
        status = dockarch_archive_open(ctx, ref.label, ref.path, &ar);
    if (status != FERRY_OK) {
        dockarch_reference_free(&ref);
        return status;
    }
    status = dockarch_manifest_load(ctx, &ar, &items);
    if (status == FERRY_OK)
        status = dockarch_manifest_tags(items, emit, opaque);
    json_decref(items);
    dockarch_archive_close(&ar);
    dockarch_reference_free(&ref);
    return status;
}

/* ---- the file sink ---- */

typedef struct dockarch_file_sink {
    char *label;
    char *path;
    plugin_util_output out; /* staged next to PATH and renamed over it at finish, or PATH itself */
} dockarch_file_sink;

static int dockarch_file_write(void *opaque, ferry_ctx *ctx, const void *data, size_t len)
{
    dockarch_file_sink *f = opaque;
    if (fs_write_all(f->out.fd, data, len) == 0)
        return FERRY_OK;
    return plugin_util_errno_error(dockarch_services(), ctx, errno, f->label, "writing", f->path);
}

static int dockarch_file_finish(void *opaque, ferry_ctx *ctx)
{
    dockarch_file_sink *f = opaque;
    /* A stream: the end-of-archive blocks were its end. */
    if (plugin_util_output_commit(&f->out) != 0)
        return plugin_util_errno_error(dockarch_services(), ctx, errno, f->label, "writing", f->path);
    return FERRY_OK;
}

static void dockarch_file_close(void *opaque, ferry_ctx *ctx, int committed)
{
    (void)ctx;
    (void)committed; /* finish renamed the file; a named leftover is removed */
    dockarch_file_sink *f = opaque;
    plugin_util_output_close(&f->out);
    free(f->path);
    free(f->label);
    free(f);
}

static const dockarch_sink_ops dockarch_file_sink_ops = {
    .write = dockarch_file_write,
    .finish = dockarch_file_finish,
    .close = dockarch_file_close,
};

/* A pipe, a character device or /dev/stdout is written in place; anything
 * else through a temporary file in PATH's directory. */
static int dockarch_file_open(dockarch_file_sink *f, ferry_ctx *ctx)
{
    const ferry_services *svc = dockarch_services();
    const char *path = f->path;
    struct stat st;
    if (strcmp(path, "/dev/stdout") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
        f->out.fd = strcmp(path, "/dev/stdout") == 0 ? dup(STDOUT_FILENO) : open(path, O_WRONLY | O_CLOEXEC);
        if (f->out.fd < 0)
            return plugin_util_errno_error(svc, ctx, errno, f->label, "opening", path);
        return FERRY_OK;
    }
    char *copy1 = strdup(path), *copy2 = strdup(path);
    if (copy1 == NULL || copy2 == NULL) {
        free(copy1);
        free(copy2);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", f->label);
    }
    char *base_name = strdup(basename(copy1));
    const char *dir = dirname(copy2);
    int status = FERRY_OK;
    if (base_name == NULL)
        status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", f->label);
    else if (plugin_util_output_stage(&f->out, dir, base_name, ".ferry-docker-archive-") != 0)
        status = plugin_util_errno_error(svc, ctx, errno, f->label,
                                         f->out.dirfd < 0 ? "opening directory" : "creating a temporary file in", dir);
    free(copy1);
    free(copy2);
    return status;
}

int dockarch_open_destination(ferry_ctx *ctx, const char *reference, ferry_image_dest **out)
{
    const ferry_services *svc = dockarch_services();
    *out = NULL;
    dockarch_reference ref;
    int status = dockarch_reference_parse(ctx, reference, &ref);
    if (status == FERRY_OK && ref.index >= 0)
        status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: a destination reference must not contain an index @%ld",
                                ref.label, ref.index);
    char **tags = NULL;
    size_t n_tags = 0;
    if (status == FERRY_OK)
        status = dockarch_tags_collect(ctx, ref.label, ref.name, &tags, &n_tags);
    dockarch_file_sink *f = NULL;
    if (status == FERRY_OK) {
        f = calloc(1, sizeof *f);
        if (f != NULL) {
            plugin_util_output_init(&f->out);
            f->label = strdup(ref.label);
            f->path = strdup(ref.path);
        }
        if (f == NULL || f->label == NULL || f->path == NULL)
            status = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref.label);
        else
            status = dockarch_file_open(f, ctx);
    }
    if (status == FERRY_OK)
        status = dockarch_dest_open(ctx, ref.label, tags, n_tags, &dockarch_file_sink_ops, f, out);
    else {
        dockarch_tags_free(tags, n_tags);
        if (f != NULL)
            dockarch_file_close(f, ctx, 0);
    }
    dockarch_reference_free(&ref);
    return status;
}
