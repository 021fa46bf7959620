/* plugins/containers-storage/store.c — the store's records as containers/storage
 * 1.43 (podman 4.3) keeps them: the directory layout, layers.json and
 * images.json loaded under their lock files, rewritten atomically in Go's
 * json.Marshal form, the cleanup of layers a dead writer left flagged
 * "incomplete", the lookups ferry needs and the image big-data file names. */
#include "cs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_util.h"
#include "shared/fsutil.h"
#include "shared/gojson.h"

#define CS_RECORDS_MAX (512u * 1024 * 1024) /* a sanity bound on layers.json / images.json */

/* mkdir -p with an explicit mode for every directory created (c/storage's
 * MkdirAll(…, 0700)); existing directories keep theirs. */
static int cs_mkdir_p(const char *path, mode_t mode)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    int err = errno;
    free(p);
    errno = err;
    return rc;
}

/* Creates an empty lock file that does not exist yet. O_EXCL matters: closing
 * a descriptor of a lock file this process holds would drop its lock. */
static int cs_touch_new(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno == EEXIST ? 0 : -1;
}

static int cs_store_mkdirs(const ferry_services *svc, ferry_ctx *ctx, cs_store *st)
{
    /* What c/storage creates; run = under RUNROOT, file = an empty lock file.
     * "%.0s" swallows the driver name where a path has none. */
    static const struct {
        const char *fmt;
        int run, file;
    } items[] = {
        {"%s/%s", 0, 0},          {"%s/%s-layers", 0, 0},    {"%s/%s-images", 0, 0},
        {"%s/%s-containers", 0, 0}, {"%s/tmp%.0s", 0, 0},    {"%s/mounts%.0s", 0, 0},
        {"%s/%s-layers", 1, 0},   {"%s/%s-containers", 1, 0}, {"%s/%s-locks", 1, 0},
        {"%s/storage.lock%.0s", 0, 1}, {"%s/userns.lock%.0s", 0, 1}, {"%s/%s-layers/layers.lock", 0, 1},
        {"%s/%s-images/images.lock", 0, 1}, {"%s/%s-containers/containers.lock", 0, 1},
    };
    int rc = FERRY_OK;
    for (size_t i = 0; rc == FERRY_OK && i < sizeof items / sizeof *items; i++) {
        char *path = plugin_util_printf(items[i].fmt, items[i].run ? st->runroot : st->graphroot, st->driver);
        if (!path)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
        if ((items[i].file ? cs_touch_new(path) : cs_mkdir_p(path, 0700)) != 0)
            rc = plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "creating", path);
        free(path);
    }
    return rc;
}

/* Nothing open, the locations copied; -1 when out of memory (st released). */
static int cs_store_init(cs_store *st, const char *graphroot, const char *runroot, const char *driver)
{
    memset(st, 0, sizeof *st);
    st->graph_fd = -1;
    st->layers_lock.fd = st->images_lock.fd = -1;
    st->graphroot = strdup(graphroot);
    st->runroot = strdup(runroot);
    st->driver = strdup(driver);
    if (st->graphroot && st->runroot && st->driver)
        return 0;
    cs_store_close(st);
    return -1;
}

int cs_store_open(const ferry_services *svc, ferry_ctx *ctx, const char *graphroot, const char *runroot,
                  const char *driver, int writable, cs_store *st)
{
    if (cs_store_init(st, graphroot, runroot, driver) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    st->writable = writable != 0;
    int rc = writable ? cs_store_mkdirs(svc, ctx, st) : FERRY_OK;
    if (rc == FERRY_OK && (st->graph_fd = open(graphroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            rc = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no store at %s", CS_TRANSPORT, graphroot);
        else
            rc = plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "opening store", graphroot);
    }
    if (rc != FERRY_OK)
        cs_store_close(st);
    return rc;
}

int cs_store_init_empty(const ferry_services *svc, ferry_ctx *ctx, const char *graphroot, const char *runroot,
                        const char *driver, cs_store *st)
{
    if (cs_store_init(st, graphroot, runroot, driver) != 0 || !(st->layers = json_array()) ||
        !(st->images = json_array())) {
        cs_store_close(st);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    }
    return FERRY_OK;
}

int cs_store_open_image_store(const ferry_services *svc, ferry_ctx *ctx, const char *path, const char *driver,
                              cs_store *st)
{
    int rc = cs_store_open(svc, ctx, path, path, driver, 0, st);
    if (rc == FERRY_OK)
        st->read_only = 1;
    return rc;
}

void cs_store_close(cs_store *st)
{
    cs_store_unlock(st);
    if (st->graph_fd >= 0)
        close(st->graph_fd);
    st->graph_fd = -1;
    json_decref(st->layers);
    json_decref(st->images);
    st->layers = st->images = NULL;
    free(st->graphroot);
    free(st->runroot);
    free(st->driver);
    st->graphroot = st->runroot = st->driver = NULL;
}

/* "DRIVER-layers/layers.json" and the like, relative to graph_fd. */
static char *cs_records_name(const cs_store *st, const char *kind, const char *file)
{
    return plugin_util_printf("%s-%s/%s", st->driver, kind, file);
}

/* Reads a JSON array of records; a missing or empty file is an empty array
 * (as c/storage reads it). */
static int cs_load_records(const ferry_services *svc, ferry_ctx *ctx, cs_store *st, const char *kind,
                           const char *file, json_t **out)
{
    char *name = cs_records_name(st, kind, file);
    if (!name)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    char *data = NULL;
    size_t len = 0;
    int rc = FERRY_OK;
    if (plugin_util_read_file(st->graph_fd, name, CS_RECORDS_MAX, &data, &len) != 0) {
        if (errno != ENOENT)
            rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "reading", st->graphroot, name);
        len = 0;
    }
    json_t *arr = NULL;
    if (rc == FERRY_OK && len > 0) {
        json_error_t jerr;
        arr = json_loadb(data, len, JSON_ALLOW_NUL, &jerr);
        if (!arr || !json_is_array(arr)) {
            rc = svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s/%s: %s", CS_TRANSPORT, st->graphroot, name,
                                arr ? "not a JSON array" : jerr.text);
            json_decref(arr);
            arr = NULL;
        }
    } else if (rc == FERRY_OK && !(arr = json_array())) {
        rc = svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    }
    free(data);
    free(name);
    *out = arr;
    return rc;
}

static int cs_layer_incomplete(const json_t *layer)
{
    return json_is_true(json_object_get(json_object_get(layer, "flags"), "incomplete"));
}

/* What c/storage's deleteInternal does for a layer a dead writer left behind:
 * the driver's directories, the tar-split, the layer's big-data directory,
 * then the record. */
static int cs_drop_incomplete(const ferry_services *svc, ferry_ctx *ctx, cs_store *st, int *dropped)
{
    const cs_driver_ops *ops = cs_driver_find(st->driver);
    for (size_t i = 0; i < json_array_size(st->layers);) {
        json_t *layer = json_array_get(st->layers, i);
        const char *id = json_string_value(json_object_get(layer, "id"));
        if (!cs_layer_incomplete(layer) || !id) {
            i++;
            continue;
        }
        if (!ops)
            return svc->set_error(ctx, FERRY_ERR_UNSUPPORTED, "%s: cannot remove incomplete layer %s: driver %s",
                                  CS_TRANSPORT, id, st->driver);
        int rc = ops->remove(svc, ctx, st, id);
        if (rc != FERRY_OK)
            return rc;
        char *ts = plugin_util_printf("%s-layers/%s.tar-split.gz", st->driver, id);
        char *dd = plugin_util_printf("%s-layers/%s", st->driver, id);
        if (!ts || !dd) {
            free(ts);
            free(dd);
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
        }
        if ((unlinkat(st->graph_fd, ts, 0) != 0 && errno != ENOENT) ||
            plugin_util_remove_tree_at(st->graph_fd, dd) != 0)
            rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "removing incomplete layer",
                                            st->graphroot, ts);
        free(ts);
        free(dd);
        if (rc != FERRY_OK)
            return rc;
        json_array_remove(st->layers, i);
        *dropped = 1;
    }
    return FERRY_OK;
}

static int cs_take_lock(const ferry_services *svc, ferry_ctx *ctx, cs_store *st, cs_lock *l, const char *kind,
                        const char *file)
{
    char *path = plugin_util_printf("%s/%s-%s/%s", st->graphroot, st->driver, kind, file);
    if (!path)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    int rc = FERRY_OK;
    if (cs_lock_acquire(l, path, st->writable, st->read_only) != 0) {
        if (errno == ENOENT && !st->writable)
            rc = svc->set_error(ctx, FERRY_ERR_NOT_FOUND, "%s: no store at %s", CS_TRANSPORT, st->graphroot);
        else
            rc = plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "locking", path);
    }
    free(path);
    return rc;
}

int cs_store_lock_and_load(const ferry_services *svc, ferry_ctx *ctx, cs_store *st)
{
    int rc = cs_take_lock(svc, ctx, st, &st->layers_lock, "layers", "layers.lock");
    if (rc == FERRY_OK)
        rc = cs_take_lock(svc, ctx, st, &st->images_lock, "images", "images.lock");
    json_t *layers = NULL, *images = NULL;
    if (rc == FERRY_OK)
        rc = cs_load_records(svc, ctx, st, "layers", "layers.json", &layers);
    if (rc == FERRY_OK)
        rc = cs_load_records(svc, ctx, st, "images", "images.json", &images);
    if (rc != FERRY_OK) {
        json_decref(layers);
        json_decref(images);
        cs_store_unlock(st);
        return rc;
    }
    json_decref(st->layers);
    json_decref(st->images);
    st->layers = layers;
    st->images = images;
    if (st->writable) {
        int dropped = 0;
        rc = cs_drop_incomplete(svc, ctx, st, &dropped);
        if (rc == FERRY_OK && dropped)
            rc = cs_store_save_layers(svc, ctx, st);
        if (rc != FERRY_OK)
            cs_store_unlock(st);
    }
    return rc;
}

/* json.Marshal's bytes (one line, no newline) through a 0600 temporary file
 * in the same directory, fsync, rename, fsync of the directory — then the
 * lock file's token, so that other processes reload. */
static int cs_save_records(const ferry_services *svc, ferry_ctx *ctx, cs_store *st, cs_lock *l,
                           const json_t *records, const char *kind, const char *file)
{
    if (!st->writable || l->fd < 0 || !l->exclusive)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: %s/%s-%s/%s: not locked for writing", CS_TRANSPORT,
                              st->graphroot, st->driver, kind, file);
    char *dir = plugin_util_printf("%s-%s", st->driver, kind);
    char *text = gojson_encode(records, 0);
    if (!dir || !text) {
        free(dir);
        free(text);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", CS_TRANSPORT);
    }
    int rc = FERRY_OK;
    int dfd = plugin_util_open_dir(st->graph_fd, dir);
    char tmp[PLUGIN_UTIL_TMPNAME_MAX];
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".tmp-%s", file);
    int fd = dfd < 0 ? -1 : fs_create_temp(dfd, prefix, tmp, sizeof tmp);
    if (fd < 0 || fchmod(fd, 0600) != 0 || fs_write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0 ||
        renameat(dfd, tmp, dfd, file) != 0 || plugin_util_fsync_dir(dfd) != 0) {
        rc = plugin_util_errno_error_at(svc, ctx, errno, CS_TRANSPORT, "writing", st->graphroot, dir);
        if (fd >= 0)
            unlinkat(dfd, tmp, 0);
    } else if (cs_lock_record_write(l) != 0) {
        rc = plugin_util_errno_error(svc, ctx, errno, CS_TRANSPORT, "recording a write in", l->path);
    }
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(dir);
    free(text);
    return rc;
}

int cs_store_save_layers(const ferry_services *svc, ferry_ctx *ctx, cs_store *st)
{
    return cs_save_records(svc, ctx, st, &st->layers_lock, st->layers, "layers", "layers.json");
}

int cs_store_save_images(const ferry_services *svc, ferry_ctx *ctx, cs_store *st)
{
    return cs_save_records(svc, ctx, st, &st->images_lock, st->images, "images", "images.json");
}

void cs_store_unlock(cs_store *st)
{
    /* The reverse order of taking them. */
    cs_lock_release(&st->images_lock);
    cs_lock_release(&st->layers_lock);
}

static const char *cs_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static json_t *cs_find_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec) {
        const char *rid = cs_str(rec, "id");
        if (rid && id && strcmp(rid, id) == 0)
            return rec;
    }
    return NULL;
}

json_t *cs_store_layer(const cs_store *st, const char *id)
{
    return cs_find_id(st->layers, id);
}

json_t *cs_store_layer_by_diff(const cs_store *st, const char *parent_id, const char *diff_id)
{
    size_t i;
    json_t *rec;
    json_array_foreach(st->layers, i, rec) {
        const char *d = cs_str(rec, "diff-digest"), *p = cs_str(rec, "parent");
        if (p && !*p)
            p = NULL; /* omitempty: "" and absent are the same */
        if (!d || !diff_id || strcmp(d, diff_id) != 0 || cs_layer_incomplete(rec))
            continue;
        if ((!p && (!parent_id || !*parent_id)) || (p && parent_id && strcmp(p, parent_id) == 0))
            return rec;
    }
    return NULL;
}

json_t *cs_store_image(const cs_store *st, const char *id)
{
    return cs_find_id(st->images, id);
}

json_t *cs_store_image_by_name(const cs_store *st, const char *name)
{
    size_t i, j;
    json_t *rec, *n;
    json_array_foreach(st->images, i, rec) {
        json_array_foreach(json_object_get(rec, "names"), j, n) {
            if (json_is_string(n) && name && strcmp(json_string_value(n), name) == 0)
                return rec;
        }
    }
    return NULL;
}

json_t *cs_store_image_by_prefix(const cs_store *st, const char *prefix, int *ambiguous)
{
    *ambiguous = 0;
    if (!prefix || !*prefix)
        return NULL;
    size_t i, plen = strlen(prefix);
    json_t *rec, *found = NULL;
    json_array_foreach(st->images, i, rec) {
        const char *id = cs_str(rec, "id");
        if (!id || strncmp(id, prefix, plen) != 0)
            continue;
        if (found) {
            *ambiguous = 1;
            return NULL;
        }
        found = rec;
    }
    return found;
}

/* c/storage's makeBigDataBaseName: keys made only of [.0-9a-z] are used as
 * they are, others as "=" + standard base64 (padded). NULL for "", "." and
 * ".." too, which would not name a file of the image's directory. */
char *cs_store_big_data_path(const cs_store *st, const char *image_id, const char *key)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(key);
    if (n == 0 || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
        return NULL;
    int plain = 1;
    for (size_t i = 0; i < n && plain; i++)
        plain = key[i] == '.' || (key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'z');
    if (plain)
        return plugin_util_printf("%s/%s-images/%s/%s", st->graphroot, st->driver, image_id, key);
    char *enc = malloc(2 + (n + 2) / 3 * 4);
    if (!enc)
        return NULL;
    const unsigned char *k = (const unsigned char *)key;
    char *o = enc;
    *o++ = '=';
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)k[i] << 16 | (i + 1 < n ? (unsigned)k[i + 1] << 8 : 0) | (i + 2 < n ? k[i + 2] : 0);
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = '\0';
    char *path = plugin_util_printf("%s/%s-images/%s/%s", st->graphroot, st->driver, image_id, enc);
    free(enc);
    return path;
}
