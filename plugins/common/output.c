/* plugins/common/output.c — where an archive writer's bytes go: a file
 * staged in PATH's directory and renamed over PATH only at commit (so a copy
 * killed before commit leaves PATH as it was), or a descriptor written
 * straight through (a pipe, a device, a standard stream) that commit leaves
 * as it is. Which PATHs stream is the transport's choice; this keeps the
 * descriptors and the staged file in step from open to close. */
#include "plugin_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

void plugin_util_output_init(plugin_util_output *out)
{
    out->fd = -1;
    out->dirfd = -1;
    out->name = NULL;
    out->staged.unnamed = 0;
    out->staged.tmpname[0] = '\0';
}

int plugin_util_output_stage(plugin_util_output *out, const char *dir, char *name, const char *prefix)
{
    out->name = name;
    out->dirfd = plugin_util_open_dir(AT_FDCWD, dir);
    if (out->dirfd < 0)
        return -1;
    out->fd = plugin_util_staged_open(out->dirfd, prefix, &out->staged);
    return out->fd >= 0 ? 0 : -1;
}

int plugin_util_output_commit(plugin_util_output *out)
{
    if (out->dirfd < 0)
        return 0; /* a stream: its last bytes were its end */
    return plugin_util_staged_commit(out->fd, out->dirfd, &out->staged, out->name);
}

int plugin_util_output_close(plugin_util_output *out)
{
    int rc = 0;
    if (out->fd >= 0)
        close(out->fd);
    if (out->dirfd >= 0) {
        rc = plugin_util_staged_discard(out->dirfd, &out->staged);
        close(out->dirfd);
    }
    free(out->name);
    plugin_util_output_init(out);
    return rc;
}
