/* core/config/registries_conf.c — reads registries.conf and its drop-ins
 * (TOML, through core/shared/toml.c) into the [[registry]] table and the
 * credential-helpers list, validating as containers/image v5.23 does
 * (sysregistriesv2's postProcessRegistries and loadConfigFile) and, beyond
 * it, refusing a prefix or location that is not a registry name. A file's
 * problems are reported with its path, the line and the key. */
#include "config/registries_conf_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "shared/docker_grammar.h"
#include "shared/fsutil.h"
#include "shared/toml.h"

#define REG_AUTH_FILE_HELPER "containers-auth.json"

/* One file's content while loading. */
typedef struct reg_file {
    const char *path;
    const char *text; /* for line numbers */
    reg_registry *registries;
    size_t n;
    char **helpers; /* NULL when the file has no credential-helpers key */
    size_t n_helpers;
    int has_helpers;
} reg_file;

void reg_registry_release(reg_registry *r)
{
    free(r->prefix);
    free(r->primary.location);
    for (size_t i = 0; i < r->n_mirrors; i++)
        free(r->mirrors[i].location);
    free(r->mirrors);
    memset(r, 0, sizeof *r);
}

static void reg_file_release(reg_file *f)
{
    for (size_t i = 0; i < f->n; i++)
        reg_registry_release(&f->registries[i]);
    free(f->registries);
    for (size_t i = 0; i < f->n_helpers; i++)
        free(f->helpers[i]);
    free(f->helpers);
}

/* The line of the first "key = ..." whose value contains `value` (any value
 * when NULL); 0 when not found. */
static int reg_line_of(const char *text, const char *key, const char *value)
{
    size_t klen = strlen(key);
    int line = 1;
    for (const char *p = text; p != NULL && *p != '\0'; line++) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (s < p + len && (*s == ' ' || *s == '\t'))
            s++;
        if (*s == '"' || *s == '\'')
            s++;
        if ((size_t)(p + len - s) > klen && strncmp(s, key, klen) == 0) {
            const char *q = s + klen;
            while (q < p + len && (*q == ' ' || *q == '\t' || *q == '"' || *q == '\''))
                q++;
            if (q < p + len && *q == '=' &&
                (value == NULL || memmem(q, (size_t)(p + len - q), value, strlen(value)) != NULL))
                return line;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

/* Records "PATH:LINE: key \"KEY\": what" (or "PATH: what" with no key). */
static int reg_fail(const reg_file *f, char *err, size_t errcap, const char *key, const char *value, const char *fmt,
                    ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int line = key != NULL ? reg_line_of(f->text, key, value) : 0;
    if (key == NULL)
        snprintf(err, errcap, "%s: %s", f->path, what);
    else if (line > 0)
        snprintf(err, errcap, "%s:%d: key \"%s\": %s", f->path, line, key, what);
    else
        snprintf(err, errcap, "%s: key \"%s\": %s", f->path, key, what);
    return -1;
}

/* A string member of tbl into *out (malloc'd; "" when absent). */
static int reg_string(const reg_file *f, const json_t *tbl, const char *key, char **out, char *err, size_t errcap)
{
    const json_t *v = json_object_get(tbl, key);
    if (v != NULL && !json_is_string(v))
        return reg_fail(f, err, errcap, key, NULL, "expected a string");
    *out = strdup(v != NULL ? json_string_value(v) : "");
    return *out != NULL ? 0 : reg_fail(f, err, errcap, NULL, NULL, "out of memory");
}

static int reg_bool(const reg_file *f, const json_t *tbl, const char *key, int *out, char *err, size_t errcap)
{
    const json_t *v = json_object_get(tbl, key);
    if (v != NULL && !json_is_boolean(v))
        return reg_fail(f, err, errcap, key, NULL, "expected true or false");
    *out = v != NULL && json_is_true(v);
    return 0;
}

/* containers/image's parseLocation: trailing slashes go, URI schemes are refused. */
static int reg_location(const reg_file *f, const char *key, char *value, char *err, size_t errcap)
{
    size_t n = strlen(value);
    while (n > 0 && value[n - 1] == '/')
        value[--n] = '\0';
    if (strncmp(value, "http://", 7) == 0 || strncmp(value, "https://", 8) == 0)
        return reg_fail(f, err, errcap, key, value, "invalid location '%s': URI schemes are not supported", value);
    return 0;
}

/* 1 when s is a registry name: domain[:port][/path], as a rewritten
 * reference needs. */
static int reg_is_name(const char *s)
{
    size_t n = strlen(s), slash = strcspn(s, "/");
    if (n == 0 || !docker_grammar_domain(s, slash))
        return 0;
    return slash == n || docker_grammar_path(s + slash + 1, n - slash - 1);
}

static int reg_check_prefix(const reg_file *f, const char *prefix, char *err, size_t errcap)
{
    if (strncmp(prefix, "*.", 2) == 0) {
        if (strpbrk(prefix, "/@:") != NULL)
            return reg_fail(f, err, errcap, "prefix", prefix,
                            "Wildcarded prefix should be in the format: *.example.com. Current prefix \"%s\" is "
                            "incorrectly formatted",
                            prefix);
        if (!docker_grammar_domain(prefix + 2, strlen(prefix + 2)))
            return reg_fail(f, err, errcap, "prefix", prefix, "invalid prefix \"%s\": not *.DOMAIN", prefix);
        return 0;
    }
    if (!reg_is_name(prefix))
        return reg_fail(f, err, errcap, "prefix", prefix,
                        "invalid prefix \"%s\": not a registry host[:port][/repository] or *.domain", prefix);
    return 0;
}

static int reg_parse_mirror(const reg_file *f, const reg_registry *r, const json_t *m, reg_endpoint *out, char *err,
                            size_t errcap)
{
    if (!json_is_object(m))
        return reg_fail(f, err, errcap, "mirror", NULL, "expected [[registry.mirror]] tables");
    char *pull_from = NULL;
    if (reg_string(f, m, "location", &out->location, err, errcap) != 0 ||
        reg_bool(f, m, "insecure", &out->insecure, err, errcap) != 0 ||
        reg_location(f, "location", out->location, err, errcap) != 0 ||
        reg_string(f, m, "pull-from-mirror", &pull_from, err, errcap) != 0)
        goto fail;
    if (out->location[0] == '\0') {
        reg_fail(f, err, errcap, "prefix", r->prefix, "invalid condition: mirror location is unset");
        goto fail;
    }
    if (!reg_is_name(out->location)) {
        reg_fail(f, err, errcap, "location", out->location, "invalid mirror location \"%s\": not a registry host[:port][/repository]",
                 out->location);
        goto fail;
    }
    if (r->mirror_by_digest_only && pull_from[0] != '\0') {
        reg_fail(f, err, errcap, "pull-from-mirror", pull_from,
                 "cannot set mirror usage mirror-by-digest-only for the registry (\"%s\") and pull-from-mirror for "
                 "per-mirror (\"%s\") at the same time",
                 r->prefix, out->location);
        goto fail;
    }
    if (pull_from[0] == '\0' || strcmp(pull_from, "all") == 0)
        out->pull_from = REG_PULL_ALL;
    else if (strcmp(pull_from, "digest-only") == 0)
        out->pull_from = REG_PULL_DIGEST_ONLY;
    else if (strcmp(pull_from, "tag-only") == 0)
        out->pull_from = REG_PULL_TAG_ONLY;
    else {
        reg_fail(f, err, errcap, "pull-from-mirror", pull_from,
                 "unsupported pull-from-mirror value \"%s\" for mirror \"%s\"", pull_from, out->location);
        goto fail;
    }
    free(pull_from);
    return 0;
fail:
    free(pull_from);
    return -1;
}

static int reg_parse_registry(const reg_file *f, const json_t *t, reg_registry *r, char *err, size_t errcap)
{
    if (!json_is_object(t))
        return reg_fail(f, err, errcap, "registry", NULL, "expected [[registry]] tables");
    char *pull_from = NULL;
    if (reg_string(f, t, "prefix", &r->prefix, err, errcap) != 0 ||
        reg_string(f, t, "location", &r->primary.location, err, errcap) != 0 ||
        reg_bool(f, t, "insecure", &r->primary.insecure, err, errcap) != 0 ||
        reg_bool(f, t, "blocked", &r->blocked, err, errcap) != 0 ||
        reg_bool(f, t, "mirror-by-digest-only", &r->mirror_by_digest_only, err, errcap) != 0 ||
        reg_string(f, t, "pull-from-mirror", &pull_from, err, errcap) != 0 ||
        reg_location(f, "location", r->primary.location, err, errcap) != 0)
        goto fail;
    if (r->prefix[0] == '\0') {
        if (r->primary.location[0] == '\0') {
            reg_fail(f, err, errcap, "registry", NULL, "invalid condition: both location and prefix are unset");
            goto fail;
        }
        free(r->prefix);
        if ((r->prefix = strdup(r->primary.location)) == NULL)
            goto fail;
    } else {
        if (reg_location(f, "prefix", r->prefix, err, errcap) != 0)
            goto fail;
        if (strncmp(r->prefix, "*.", 2) != 0 && r->primary.location[0] == '\0') {
            reg_fail(f, err, errcap, "prefix", r->prefix,
                     "invalid condition: location is unset and prefix is not in the format: *.example.com");
            goto fail;
        }
    }
    if (reg_check_prefix(f, r->prefix, err, errcap) != 0)
        goto fail;
    if (r->primary.location[0] != '\0' && !reg_is_name(r->primary.location)) {
        reg_fail(f, err, errcap, "location", r->primary.location,
                 "invalid location \"%s\": not a registry host[:port][/repository]", r->primary.location);
        goto fail;
    }
    if (pull_from[0] != '\0') {
        reg_fail(f, err, errcap, "pull-from-mirror", pull_from,
                 "pull-from-mirror must not be set for a non-mirror registry \"%s\"", r->prefix);
        goto fail;
    }
    free(pull_from);
    pull_from = NULL;
    const json_t *mirrors = json_object_get(t, "mirror");
    if (mirrors != NULL && !json_is_array(mirrors))
        return reg_fail(f, err, errcap, "mirror", NULL, "expected [[registry.mirror]] tables");
    size_t count = json_array_size(mirrors);
    r->mirrors = count > 0 ? calloc(count, sizeof *r->mirrors) : NULL;
    if (count > 0 && r->mirrors == NULL)
        return reg_fail(f, err, errcap, NULL, NULL, "out of memory");
    for (size_t i = 0; i < count; i++) {
        r->n_mirrors = i + 1;
        if (reg_parse_mirror(f, r, json_array_get(mirrors, i), &r->mirrors[i], err, errcap) != 0)
            return -1;
    }
    return 0;
fail:
    free(pull_from);
    return -1;
}

static reg_registry *reg_file_add(reg_file *f)
{
    reg_registry *grown = realloc(f->registries, (f->n + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    f->registries = grown;
    memset(&grown[f->n], 0, sizeof *grown);
    return &grown[f->n++];
}

/* The v1 [registries.insecure] / [registries.block] lists, converted to
 * [[registry]] entries as containers/image's ConvertToV2 does. */
static int reg_parse_v1(reg_file *f, const json_t *v1, char *err, size_t errcap)
{
    static const char *const lists[] = {"block", "insecure"};
    for (size_t l = 0; l < 2; l++) {
        const json_t *names = json_object_get(json_object_get(v1, lists[l]), "registries");
        if (names != NULL && !json_is_array(names))
            return reg_fail(f, err, errcap, "registries", NULL, "expected an array of strings");
        for (size_t i = 0; i < json_array_size(names); i++) {
            const char *name = json_string_value(json_array_get(names, i));
            if (name == NULL)
                return reg_fail(f, err, errcap, "registries", NULL, "expected an array of strings");
            char *location = strdup(name);
            if (location == NULL || reg_location(f, "registries", location, err, errcap) != 0) {
                free(location);
                return -1;
            }
            reg_registry *r = NULL;
            for (size_t k = 0; k < f->n && r == NULL; k++)
                if (strcmp(f->registries[k].primary.location, location) == 0)
                    r = &f->registries[k];
            if (r == NULL && (r = reg_file_add(f)) != NULL) {
                r->primary.location = location;
                r->prefix = strdup(location);
                location = NULL;
            }
            free(location);
            if (r == NULL || r->prefix == NULL)
                return reg_fail(f, err, errcap, NULL, NULL, "out of memory");
            *(l == 0 ? &r->blocked : &r->primary.insecure) = 1;
        }
    }
    return 0;
}

static int reg_v1_nonempty(const json_t *v1)
{
    static const char *const lists[] = {"search", "insecure", "block"};
    for (size_t l = 0; l < 3; l++)
        if (json_array_size(json_object_get(json_object_get(v1, lists[l]), "registries")) > 0)
            return 1;
    return 0;
}

static int reg_parse_helpers(reg_file *f, const json_t *helpers, char *err, size_t errcap)
{
    if (helpers == NULL)
        return 0;
    if (!json_is_array(helpers))
        return reg_fail(f, err, errcap, "credential-helpers", NULL, "expected an array of strings");
    f->has_helpers = 1;
    f->helpers = calloc(json_array_size(helpers) + 1, sizeof *f->helpers);
    if (f->helpers == NULL)
        return reg_fail(f, err, errcap, NULL, NULL, "out of memory");
    for (size_t i = 0; i < json_array_size(helpers); i++) {
        const char *h = json_string_value(json_array_get(helpers, i));
        if (h == NULL || h[0] == '\0' || strchr(h, '/') != NULL)
            return reg_fail(f, err, errcap, "credential-helpers", NULL,
                            "expected helper names (\"containers-auth.json\" or NAME of docker-credential-NAME)");
        if ((f->helpers[f->n_helpers++] = strdup(h)) == NULL)
            return reg_fail(f, err, errcap, NULL, NULL, "out of memory");
    }
    return 0;
}

/* Registries sharing a location must agree on insecure and blocked. */
static int reg_check_conflicts(const reg_file *f, char *err, size_t errcap)
{
    for (size_t i = 0; i < f->n; i++)
        for (size_t k = i + 1; k < f->n; k++) {
            const reg_registry *a = &f->registries[i], *b = &f->registries[k];
            const char *ka = a->primary.location[0] != '\0' ? a->primary.location : a->prefix;
            const char *kb = b->primary.location[0] != '\0' ? b->primary.location : b->prefix;
            if (strcmp(ka, kb) != 0)
                continue;
            const char *what = a->primary.insecure != b->primary.insecure ? "insecure"
                               : a->blocked != b->blocked                 ? "blocked"
                                                                          : NULL;
            if (what != NULL)
                return reg_fail(f, err, errcap, "location", a->primary.location,
                                "registry '%s' is defined multiple times with conflicting '%s' setting",
                                a->primary.location, what);
        }
    return 0;
}

/* Parses one file; 1 when it does not exist, 0 when read, -1 with err. */
static int reg_file_load(reg_file *f, const char *path, int force_v2, char *err, size_t errcap)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    strbuf sb = STRBUF_INIT;
    if (fs_read_file(path, &sb) != 0) {
        int e = errno;
        strbuf_release(&sb);
        if (e == ENOENT)
            return 1;
        snprintf(err, errcap, "%s: %s", path, strerror(e));
        return -1;
    }
    size_t len = sb.len;
    char *text = len > 0 ? strbuf_detach(&sb, NULL) : strdup("");
    strbuf_release(&sb);
    if (text == NULL)
        return reg_fail(f, err, errcap, NULL, NULL, "out of memory");
    f->text = text;
    json_t *root = toml_parse_string(text, len, path, err, errcap);
    int rc = root != NULL ? 0 : -1;
    const json_t *v1 = json_object_get(root, "registries");
    const json_t *v2 = json_object_get(root, "registry");
    int v1_used = rc == 0 && json_is_object(v1) && reg_v1_nonempty(v1);
    int v2_used = rc == 0 && (json_array_size(v2) > 0 || json_array_size(json_object_get(root, "credential-helpers")) > 0 ||
                              json_array_size(json_object_get(root, "unqualified-search-registries")) > 0);
    if (v1_used && force_v2)
        rc = reg_fail(f, err, errcap, NULL, NULL, "registry must be in v2 format but is in v1");
    else if (v1_used && v2_used)
        rc = reg_fail(f, err, errcap, NULL, NULL, "mixing sysregistry v1/v2 is not supported");
    else if (rc == 0 && v2 != NULL && !json_is_array(v2))
        rc = reg_fail(f, err, errcap, "registry", NULL, "expected [[registry]] tables");
    if (rc == 0 && v1_used)
        rc = reg_parse_v1(f, v1, err, errcap);
    for (size_t i = 0; rc == 0 && i < json_array_size(v2); i++) {
        reg_registry *r = reg_file_add(f);
        rc = r != NULL ? reg_parse_registry(f, json_array_get(v2, i), r, err, errcap)
                       : reg_fail(f, err, errcap, NULL, NULL, "out of memory");
    }
    if (rc == 0)
        rc = reg_parse_helpers(f, json_object_get(root, "credential-helpers"), err, errcap);
    if (rc == 0)
        rc = reg_check_conflicts(f, err, errcap);
    json_decref(root);
    free(text);
    f->text = NULL;
    return rc;
}

/* Moves f's registries into conf: a prefix already there is replaced (a
 * drop-in overrides), except that within one file the first one wins. */
static int reg_merge(registries_conf *c, reg_file *f)
{
    /* Within one file, a repeated prefix is dropped before anything moves. */
    for (size_t i = 0; i < f->n; i++)
        for (size_t j = 0; j < i && f->registries[i].prefix != NULL; j++)
            if (f->registries[j].prefix != NULL && strcmp(f->registries[j].prefix, f->registries[i].prefix) == 0)
                reg_registry_release(&f->registries[i]);
    for (size_t i = 0; i < f->n; i++) {
        reg_registry *r = &f->registries[i];
        size_t k = 0;
        if (r->prefix == NULL)
            continue;
        while (k < c->n && strcmp(c->registries[k].prefix, r->prefix) != 0)
            k++;
        if (k == c->n) {
            reg_registry *grown = realloc(c->registries, (c->n + 1) * sizeof *grown);
            if (grown == NULL)
                return -1;
            c->registries = grown;
            c->n++;
        } else {
            reg_registry_release(&c->registries[k]);
        }
        c->registries[k] = *r;
        memset(r, 0, sizeof *r);
    }
    if (f->has_helpers) {
        for (size_t i = 0; i < c->n_helpers; i++)
            free(c->credential_helpers[i]);
        free(c->credential_helpers);
        c->credential_helpers = f->helpers;
        c->n_helpers = f->n_helpers;
        f->helpers = NULL;
        f->n_helpers = 0;
    }
    return 0;
}

static int reg_compare_prefix(const void *a, const void *b)
{
    return strcmp(((const reg_registry *)a)->prefix, ((const reg_registry *)b)->prefix);
}

static int reg_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads path (required: a missing one is an error) and merges it. */
static int reg_load_merge(registries_conf *c, const char *path, int force_v2, int required, char *err, size_t errcap)
{
    reg_file f;
    int rc = reg_file_load(&f, path, force_v2, err, errcap);
    if (rc == 1 && required)
        snprintf(err, errcap, "%s: %s", path, strerror(ENOENT));
    if (rc == 0 && reg_merge(c, &f) != 0) {
        snprintf(err, errcap, "%s: out of memory", path);
        rc = -1;
    }
    reg_file_release(&f);
    return rc == 1 && !required ? 0 : rc == 1 ? -1 : rc;
}

/* The *.conf files of dir in lexical order, merged one by one. */
static int reg_load_dropins(registries_conf *c, const char *dir, char *err, size_t errcap)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *grown);
        if (grown == NULL || (grown[n] = strdup(e->d_name)) == NULL)
            rc = -1;
        if (grown != NULL)
            names = grown, n += rc == 0;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, reg_compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0)
            rc = reg_load_merge(c, path, 1, 0, err, errcap);
        free(names[i]);
    }
    free(names);
    return rc;
}

static void reg_clear(registries_conf *c)
{
    for (size_t i = 0; i < c->n; i++)
        reg_registry_release(&c->registries[i]);
    free(c->registries);
    c->registries = NULL;
    c->n = 0;
    for (size_t i = 0; i < c->n_helpers; i++)
        free(c->credential_helpers[i]);
    free(c->credential_helpers);
    c->credential_helpers = NULL;
    c->n_helpers = 0;
}

registries_conf *registries_conf_load(void)
{
    registries_conf *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    char main_path[4096], user_dir[4096] = "", err[1024] = "";
    const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
    const char *home = getenv("HOME");
    const char *system_dir = NULL;
    int rc;
    if (home != NULL && home[0] != '\0')
        snprintf(user_dir, sizeof user_dir, "%s/.config/containers/registries.conf.d", home);
    if (env != NULL && env[0] != '\0') {
        /* The variable names the only file read. */
        snprintf(main_path, sizeof main_path, "%s", env);
        user_dir[0] = '\0';
        rc = reg_load_merge(c, main_path, 0, 1, err, sizeof err);
    } else {
        snprintf(main_path, sizeof main_path, "%s/.config/containers/registries.conf", home != NULL ? home : "");
        if (home == NULL || home[0] == '\0' || access(main_path, F_OK) != 0) {
            snprintf(main_path, sizeof main_path, "/etc/containers/registries.conf");
            system_dir = "/etc/containers/registries.conf.d";
        }
        rc = reg_load_merge(c, main_path, 0, 0, err, sizeof err);
        if (rc == 0 && system_dir != NULL)
            rc = reg_load_dropins(c, system_dir, err, sizeof err);
        if (rc == 0 && user_dir[0] != '\0')
            rc = reg_load_dropins(c, user_dir, err, sizeof err);
    }
    char sources[8400];
    snprintf(sources, sizeof sources, "%s%s%s%s%s", main_path, system_dir != NULL ? " or " : "",
             system_dir != NULL ? system_dir : "", user_dir[0] != '\0' ? " or " : "", user_dir);
    c->sources = strdup(sources);
    if (rc != 0) {
        reg_clear(c);
        c->error = strdup(err[0] != '\0' ? err : "cannot read the registries configuration");
    }
    if (c->n > 1)
        qsort(c->registries, c->n, sizeof *c->registries, reg_compare_prefix);
    if (c->credential_helpers == NULL) {
        c->credential_helpers = calloc(2, sizeof *c->credential_helpers);
        if (c->credential_helpers != NULL && (c->credential_helpers[0] = strdup(REG_AUTH_FILE_HELPER)) != NULL)
            c->n_helpers = 1;
    }
    return c;
}

void registries_conf_free(registries_conf *c)
{
    if (c == NULL)
        return;
    reg_clear(c);
    for (reg_answer *a = c->answers, *next; a != NULL; a = next) {
        next = a->next;
        free(a->key);
        free(a->value);
        free(a);
    }
    pthread_mutex_destroy(&c->lock);
    free(c->error);
    free(c->sources);
    free(c);
}

const char *registries_conf_error(const registries_conf *c)
{
    return c != NULL ? c->error : NULL;
}

const char *const *registries_conf_credential_helpers(const registries_conf *c, size_t *count)
{
    *count = c != NULL ? c->n_helpers : 0;
    return c != NULL ? (const char *const *)c->credential_helpers : NULL;
}
