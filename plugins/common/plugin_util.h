/* plugins/common/plugin_util.h — helpers shared by the transport modules:
 * path resolution, directory creation, crash-safe file writing (small files
 * replaced atomically, archives renamed over their path at commit), readers
 * over files, file ranges and memory, and the put_blob streaming loop.
 *
 * Linked into each module as a hidden convenience library: nothing here is
 * exported, and nothing here uses module-level state (the caller passes the
 * services table it got from the core). Functions returning int return 0 or a
 * FERRY_* status as documented; the "_at" file helpers return 0 or -1 with
 * errno set, so that callers can word the error for their own transport. */
#ifndef FERRY_PLUGIN_UTIL_H
#define FERRY_PLUGIN_UTIL_H

#include <ferry/ferry.h>
#include "shared/fsutil.h"
#include <stddef.h>
#include <stdint.h>

/* Largest stream chunk a module asks for or hands out (ABI guidance). */
#define PLUGIN_UTIL_CHUNK (256 * 1024)
/* Room for "sha512:" + 128 hex digits + NUL, rounded up. */
#define PLUGIN_UTIL_DIGEST_MAX 144
/* Room for a temporary file name made by fs_create_temp. */
#define PLUGIN_UTIL_TMPNAME_MAX FS_TMPNAME_MAX

/* ---- module entry (path.c) ---- */

/* The services table of `core` when it has every service these helpers use
 * (ABI major 1, a services table holding every 1.4 member), else NULL after
 * logging why when possible. `module` names the module in that message. */
const ferry_services *plugin_util_core_services(const ferry_core *core, const char *module);

/* The whole of a module's ferry_module_init: *svc from plugin_util_core_services,
 * then, when the core's minor is at least min_minor (the newest ABI feature the
 * module relies on), *out = module. FERRY_OK, or FERRY_ERR_ABI after logging
 * why (with *svc NULL). */
int plugin_util_module_init(const ferry_core *core, const ferry_module *module, unsigned min_minor,
                            const ferry_services **svc, const ferry_module **out);

/* The rest of a one-transport module's module.c, the same in every module:
 * its transports array {&transport, NULL}, its ferry_module (`name`, this
 * package's version, Apache-2.0, `unload_fn` or NULL) and the exported
 * ferry_module_init, which is plugin_util_module_init with min_minor (the
 * newest ABI 1.x feature the module relies on) setting the module's services
 * pointer `svc_var`. `prefix` names the static objects it defines. */
#define PLUGIN_UTIL_MODULE(prefix, module_name, transport, unload_fn, min_minor, svc_var)                   \
    static const ferry_transport *const prefix##_transports[] = {&(transport), NULL};                       \
    static const ferry_module prefix##_module = {                                                            \
        FERRY_MODULE_HEADER,                                                                                 \
        .name = (module_name),                                                                               \
        .version = PACKAGE_VERSION,                                                                          \
        .license = "Apache-2.0",                                                                             \
        .transports = prefix##_transports,                                                                   \
        .unload = (unload_fn),                                                                               \
    };                                                                                                       \
    static int prefix##_module_init(const ferry_core *core, const ferry_module **out)                       \
    {                                                                                                        \
        return plugin_util_module_init(core, &prefix##_module, (min_minor), &(svc_var), out);               \
    }                                                                                                        \
    FERRY_MODULE_DEFINE(prefix##_module_init)

/* ---- strings and paths (path.c) ---- */

/* malloc'd printf; NULL when out of memory. */
char *plugin_util_printf(const char *fmt, ...) FERRY_PRINTF(1, 2);

/* Thread-safe strerror. */
const char *plugin_util_strerror(int err, char *buf, size_t cap);

/* Absolute, symlink-free form of `path` as containers/image computes policy
 * identities: the longest existing prefix is resolved with realpath, the
 * missing rest is appended lexically ("." dropped, ".." pops). malloc'd, or
 * NULL with errno set. */
char *plugin_util_resolve_path(const char *path);

/* A tar member name or link target made canonical: "." and empty components
 * dropped, ".." popped. `base` (base_len bytes; NULL for names and hard-link
 * targets) is the directory of a symlink, whose target may step back inside
 * the archive. NULL with errno EPERM when the result is absolute, climbs
 * out or names the root; NULL with ENOMEM when memory ran out. malloc'd. */
char *plugin_util_archive_path(const char *base, size_t base_len, const char *name);

/* policy_identity of path-based transports: the resolved path written into
 * buf; errors name `label` (e.g. "dir:/x"). */
int plugin_util_policy_path(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, char *buf,
                            size_t cap);

/* Splits `path` at its last '/' into *parent (what precedes it; "/" when
 * that is the root, "." when there is no '/') and *name (what follows it,
 * "" after a trailing '/'). Both malloc'd, the caller's; -1 (ENOMEM) with
 * both NULL when memory ran out. */
int plugin_util_split_path(const char *path, char **parent, char **name);

/* Splits a validated digest "ALG:HEX": copies ALG into alg (cap bytes) and
 * points *hex into digest. Returns 0, or -1 when the digest is not valid
 * according to svc->digest_is_valid (never use such a digest as a path). */
int plugin_util_digest_split(const ferry_services *svc, const char *digest, char *alg, size_t cap,
                             const char **hex);

/* ---- files (fileio.c); all return 0 or -1 with errno ----
 * (mkdir -p and atomic writes are the core's services mkdir_p and
 * write_file_atomic; temporary files and publish-unless-present are
 * fs_create_temp and fs_publish_noreplace of shared/fsutil.h) */

/* mkdir of dirfd/name with mode 0755 (umask applies); EEXIST is fine, as
 * when another writer created it first. */
int plugin_util_mkdir_at(int dirfd, const char *name);

/* Opens a directory (O_DIRECTORY|O_CLOEXEC); returns the fd or -1. */
int plugin_util_open_dir(int dirfd, const char *path);

/* svc->mkdir_p, then plugin_util_open_dir into *fd (the caller's to
 * close). Unlike its neighbours it returns FERRY_OK or a status after
 * set_error: "LABEL: creating PATH: …" or "LABEL: opening PATH: …". */
int plugin_util_make_dir(const ferry_services *svc, ferry_ctx *ctx, const char *label, const char *path, int *fd);

/* A file that appears in a directory under its final name only at commit,
 * replacing what was there. While written it is unnamed (O_TMPFILE), so even
 * SIGKILL leaves nothing behind; where the file system has no O_TMPFILE (or
 * /proc is missing, which the link at commit needs) it is a named
 * PREFIX<random> file that discard removes. The caller owns and closes the
 * fd; dirfd stays the caller's too. */
typedef struct plugin_util_staged {
    int unnamed;
    char tmpname[PLUGIN_UTIL_TMPNAME_MAX]; /* "" while unnamed or once gone */
} plugin_util_staged;

/* Returns the fd (opened for writing, mode 0644 minus umask) or -1. */
int plugin_util_staged_open(int dirfd, const char *prefix, plugin_util_staged *st);
/* fsync, link the unnamed file, rename it over dirfd/name, fsync dirfd. */
int plugin_util_staged_commit(int fd, int dirfd, plugin_util_staged *st, const char *name);
/* Removes the named temporary file, if any (before or after closing fd). */
int plugin_util_staged_discard(int dirfd, plugin_util_staged *st);

/* Creates a new directory dirfd/PREFIX<random> with mode 0755 minus umask.
 * Returns 0 or -1. */
int plugin_util_mkdtemp_at(int dirfd, const char *prefix, char *name, size_t cap);

/* A private staging directory dirfd/PREFIX<random>, returned open (fd, or
 * -1 with errno) and flock()ed for as long as that fd stays open, so that
 * other writers can tell it is in use. First removes the PREFIX* directories
 * in dirfd that a killed writer left behind: unlocked and untouched for
 * PLUGIN_UTIL_STALE_SECONDS (the age spares a directory between its mkdir
 * and its lock). */
#define PLUGIN_UTIL_STALE_SECONDS 60
int plugin_util_staging_dir(int dirfd, const char *prefix, char *name, size_t cap);

/* Reads a whole regular file of at most max bytes into a malloc'd buffer
 * (NUL-terminated for convenience). errno EFBIG when larger. */
int plugin_util_read_file(int dirfd, const char *name, size_t max, char **data, size_t *len);

/* Removes dirfd/name recursively without following symbolic links. A missing
 * name is not an error. */
int plugin_util_remove_tree_at(int dirfd, const char *name);

/* fsync of a directory, so that renames in it survive a crash. */
int plugin_util_fsync_dir(int dirfd);

/* ---- a file replacing PATH at commit (output.c); 0 or -1 with errno ---- */

/* Where an archive writer's bytes go: a file staged in PATH's directory
 * (plugin_util_staged: unnamed while written where the file system allows)
 * and renamed over PATH at commit, or a descriptor the transport opened
 * itself and stores in fd (a pipe, a device, a standard stream), written
 * straight through. */
typedef struct plugin_util_output {
    int fd;                    /* where the bytes go; -1 until opened */
    int dirfd;                 /* PATH's directory; -1 when written straight through */
    char *name;                /* PATH's last component in dirfd; owned */
    plugin_util_staged staged; /* renamed over name at commit */
} plugin_util_output;

/* Nothing open yet. */
void plugin_util_output_init(plugin_util_output *out);
/* Opens directory `dir` and a staged file in it (named PREFIX<random> where
 * it cannot be unnamed) that replaces dir/name at commit. Takes `name` over
 * (malloc'd, not NULL; freed by plugin_util_output_close, also after a
 * failure). On failure out->dirfd < 0 tells that the directory could not be
 * opened, else the file could not be created. */
int plugin_util_output_stage(plugin_util_output *out, const char *dir, char *name, const char *prefix);
/* Staged: fsync, rename over dir/name and fsync the directory. A stream:
 * nothing to do. */
int plugin_util_output_commit(plugin_util_output *out);
/* Closes what is open and removes a staged file never committed (a named
 * one; an unnamed one vanishes with its fd); -1 when that removal failed.
 * Leaves out as plugin_util_output_init does. */
int plugin_util_output_close(plugin_util_output *out);

/* ---- streams (reader.c, blob.c); return FERRY_* after set_error ----
 * (readers over a file or memory are the core's services file_reader and
 * memory_reader) */

/* A reader over bytes [offset, offset + size) of fd, which stays the
 * caller's and is only read with pread (so readers of one archive run in
 * parallel). A file that ends early gives FERRY_ERR_IO naming path. */
int plugin_util_range_reader(const ferry_services *svc, ferry_ctx *ctx, int fd, int64_t offset, int64_t size,
                             const char *label, const char *path, ferry_reader **out);

/* Wraps `inner` (taken over, closed here when this fails) in a reader whose
 * digest() claims `digest` at end of stream: the digest the bytes are stored
 * under (a content-addressed blob, an index entry). The core hashes the bytes
 * itself and refuses a manifest that does not match the claim. */
int plugin_util_claim_reader(const ferry_services *svc, ferry_ctx *ctx, const char *label, ferry_reader *inner,
                             const char *digest, ferry_reader **out);

/* What plugin_util_receive_blob leaves behind: a complete, fsynced
 * temporary file in the directory it was given, and the blob's identity. */
typedef struct plugin_util_received_blob {
    char tmpname[PLUGIN_UTIL_TMPNAME_MAX];
    char digest[PLUGIN_UTIL_DIGEST_MAX]; /* validated "ALG:HEX" */
    int64_t size;
} plugin_util_received_blob;

/* Streams `data` to its end into a new temporary file in dirfd (named
 * .ferry-blob-*), fsyncs it and works out its digest: the reader's digest
 * after end of stream, else info->digest, else one computed here. On any
 * failure the temporary file is removed and the status returned (a read
 * error keeps the status the core's reader reported). `label` and `dirpath`
 * word errors. */
int plugin_util_receive_blob(const ferry_services *svc, ferry_ctx *ctx, ferry_reader *data,
                             const ferry_blob_info *info, int dirfd, const char *dirpath, const char *label,
                             plugin_util_received_blob *out);

/* Gives the file plugin_util_receive_blob left in dirfd its final name
 * there, keeping a file already called so (content-addressed: it is the
 * same blob). On failure the temporary file is removed and
 * "LABEL: storing blob as DIRPATH/NAME: …" reported. */
int plugin_util_publish_blob(const ferry_services *svc, ferry_ctx *ctx, const plugin_util_received_blob *rb,
                             int dirfd, const char *dirpath, const char *name, const char *label);

/* Reports an errno-based failure as FERRY_ERR_IO (FERRY_ERR_NO_MEMORY for
 * ENOMEM, FERRY_ERR_NOT_FOUND for ENOENT) in one line:
 * "LABEL: ACTION PATH: strerror". Returns the status. */
int plugin_util_errno_error(const ferry_services *svc, ferry_ctx *ctx, int err, const char *label,
                            const char *action, const char *path);

/* The same for the file `name` in the directory `dirpath`, named
 * "DIRPATH/NAME" (NAME alone when memory ran out). */
int plugin_util_errno_error_at(const ferry_services *svc, ferry_ctx *ctx, int err, const char *label,
                               const char *action, const char *dirpath, const char *name);

#endif /* FERRY_PLUGIN_UTIL_H */
