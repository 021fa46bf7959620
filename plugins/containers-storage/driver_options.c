/* plugins/containers-storage/driver_options.c — the graph driver's options
 * ("overlay.imagestore=/ro,overlay.mountopt=nodev"), from a reference's
 * [DRIVER@ROOT+RUNROOT:OPTIONS] or, when it has none, from storage.conf, read
 * as containers/storage 1.43's overlay and vfs drivers read them: same keys,
 * same refusals of unknown ones.
 *
 * What ferry does with each: imagestore/additionalimagestore name read-only
 * stores searched after the graph root; ignore_chown_errors lets a layer be
 * applied where chown fails (rootless); mountopt, size, inodes,
 * skip_mount_home, mount_program and override_kernel_check only shape how a
 * driver mounts a container's root file system, which copying an image never
 * does, so they are checked as containers/storage checks them and change
 * nothing else. force_mask (modes rewritten and kept in an xattr) and
 * additionallayerstore (layers served by a FUSE store) change what a layer
 * is on disk; ferry does not write those forms and refuses them in one line
 * rather than write a store podman would read differently. */
#include "cs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* strconv.ParseBool's spellings. */
static int cs_parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* units.RAMInBytes: a number with an optional k/m/g/t/p (b, ib) suffix. */
static int cs_parse_size(const char *v)
{
    char *end;
    double n = strtod(v, &end);
    if (end == v || n < 0)
        return -1;
    const char *s = end;
    if (*s != '\0' && strchr("kKmMgGtTpPbB", *s) != NULL) {
        s++;
        if (*s == 'i' || *s == 'I')
            s++;
        if (*s == 'b' || *s == 'B')
            s++;
    }
    return *s == '\0' ? 0 : -1;
}

/* strconv.ParseUint(v, 10, 64): digits only. */
static int cs_parse_uint(const char *v)
{
    if (!isdigit((unsigned char)v[0]))
        return -1;
    char *end;
    errno = 0;
    strtoull(v, &end, 10);
    return *end == '\0' && errno == 0 ? 0 : -1;
}

/* filepath.Clean of an absolute path: repeated and trailing slashes, "." and
 * ".." resolved lexically. malloc'd. */
static char *cs_clean_path(const char *p)
{
    size_t n = strlen(p);
    char *out = malloc(n + 2);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    out[o++] = '/';
    for (const char *s = p; *s != '\0';) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e != '\0' && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
            /* nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--;
        } else {
            if (o > 1)
                out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s = e;
    }
    out[o] = '\0';
    return out;
}

static int cs_add_store(cs_driver_options *o, const char *path, const char *driver, char *err, size_t errcap)
{
    if (path[0] != '/') {
        snprintf(err, errcap, "%s: image path \"%s\" is not absolute.  Can not be relative", driver, path);
        return FERRY_ERR_INVALID;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errcap, "%s: can't stat imageStore dir %s", driver, path);
        return FERRY_ERR_INVALID;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errcap, "%s: image path \"%s\" must be a directory", driver, path);
        return FERRY_ERR_INVALID;
    }
    char **grown = realloc(o->image_stores, (o->n_image_stores + 1) * sizeof *grown);
    if (grown == NULL)
        return FERRY_ERR_NO_MEMORY;
    o->image_stores = grown;
    if ((grown[o->n_image_stores] = cs_clean_path(path)) == NULL)
        return FERRY_ERR_NO_MEMORY;
    o->n_image_stores++;
    return FERRY_OK;
}

/* strings.ToLower of key into out (cut at cap). */
static void cs_lower(const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s", key);
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
}

/* One "KEY=VALUE" for the overlay driver (overlay.go's parseOptions). */
static int cs_overlay_option(cs_driver_options *o, const char *key, const char *val, char *err, size_t errcap)
{
    char k[64];
    cs_lower(key, k, sizeof k);
    const char *t = k;
    static const char *const prefixes[] = {"overlay.", "overlay2.", "."};
    for (size_t i = 0; i < 3; i++)
        if (strncmp(t, prefixes[i], strlen(prefixes[i])) == 0)
            t += strlen(prefixes[i]);
    if (strcmp(t, "override_kernel_check") == 0 || strcmp(t, "mountopt") == 0)
        return FERRY_OK;
    if (strcmp(t, "size") == 0 || strcmp(t, "inodes") == 0) {
        if ((strcmp(t, "size") == 0 ? cs_parse_size(val) : cs_parse_uint(val)) != 0) {
            snprintf(err, errcap, "overlay: invalid %s \"%s\"", t, val);
            return FERRY_ERR_INVALID;
        }
        return FERRY_OK;
    }
    if (strcmp(t, "imagestore") == 0 || strcmp(t, "additionalimagestore") == 0)
        return val[0] == '\0' ? FERRY_OK : cs_add_store(o, val, "overlay", err, errcap);
    if (strcmp(t, "mount_program") == 0) {
        struct stat st;
        if (val[0] != '\0' && stat(val, &st) != 0) {
            snprintf(err, errcap, "overlay: can't stat program \"%s\"", val);
            return FERRY_ERR_INVALID;
        }
        return FERRY_OK;
    }
    if (strcmp(t, "skip_mount_home") == 0 || strcmp(t, "ignore_chown_errors") == 0) {
        int b;
        if (cs_parse_bool(val, &b) != 0) {
            snprintf(err, errcap, "overlay: %s: invalid boolean \"%s\"", t, val);
            return FERRY_ERR_INVALID;
        }
        if (strcmp(t, "ignore_chown_errors") == 0)
            o->ignore_chown_errors = b;
        return FERRY_OK;
    }
    if (strcmp(t, "force_mask") == 0 || strcmp(t, "additionallayerstore") == 0) {
        snprintf(err, errcap, "overlay: option %s is not supported by ferry", key);
        return FERRY_ERR_UNSUPPORTED;
    }
    snprintf(err, errcap, "overlay: Unknown option %s", key);
    return FERRY_ERR_INVALID;
}

/* One "KEY=VALUE" for the vfs driver (vfs/driver.go's Init). */
static int cs_vfs_option(cs_driver_options *o, const char *key, const char *val, char *err, size_t errcap)
{
    char k[64];
    cs_lower(key, k, sizeof k);
    if (strcmp(k, "vfs.imagestore") == 0 || strcmp(k, ".imagestore") == 0)
        return val[0] == '\0' ? FERRY_OK : cs_add_store(o, val, "vfs", err, errcap);
    if (strcmp(k, "vfs.mountopt") == 0) {
        snprintf(err, errcap, "vfs driver does not support mount options");
        return FERRY_ERR_INVALID;
    }
    if (strcmp(k, ".ignore_chown_errors") == 0 || strcmp(k, "vfs.ignore_chown_errors") == 0) {
        if (cs_parse_bool(val, &o->ignore_chown_errors) != 0) {
            snprintf(err, errcap, "vfs: ignore_chown_errors: invalid boolean \"%s\"", val);
            return FERRY_ERR_INVALID;
        }
        return FERRY_OK;
    }
    snprintf(err, errcap, "vfs driver does not support %s options", k);
    return FERRY_ERR_INVALID;
}

int cs_driver_options_parse(const char *driver, const char *const *options, size_t n, cs_driver_options *o,
                            char *err, size_t errcap)
{
    memset(o, 0, sizeof *o);
    int overlay = strcmp(driver, "overlay") == 0 || strcmp(driver, "overlay2") == 0;
    int rc = FERRY_OK;
    for (size_t i = 0; rc == FERRY_OK && i < n; i++) {
        /* parsers.ParseKeyValueOpt: split at the first '='; one is required. */
        const char *eq = strchr(options[i], '=');
        if (eq == NULL) {
            snprintf(err, errcap, "unable to parse key/value option: %s", options[i]);
            rc = FERRY_ERR_INVALID;
            break;
        }
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - options[i]), options[i]);
        rc = overlay ? cs_overlay_option(o, key, eq + 1, err, errcap) : cs_vfs_option(o, key, eq + 1, err, errcap);
    }
    if (rc == FERRY_ERR_NO_MEMORY)
        snprintf(err, errcap, "out of memory");
    if (rc != FERRY_OK)
        cs_driver_options_free(o);
    return rc;
}

void cs_driver_options_free(cs_driver_options *o)
{
    for (size_t i = 0; i < o->n_image_stores; i++)
        free(o->image_stores[i]);
    free(o->image_stores);
    memset(o, 0, sizeof *o);
}
