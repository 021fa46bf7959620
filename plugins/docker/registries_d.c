/* plugins/docker/registries_d.c — containers-registries.d(5): where the
 * signatures of a repository live. The *.yaml files of one directory (the
 * "registries.d" option, else ~/.config/containers/registries.d when it
 * exists, else /etc/containers/registries.d) are merged as containers/image
 * merges them: a scope, or default-docker, defined in two files is an error,
 * unknown keys are ignored and key names match without regard to case (Go's
 * JSON decoding, which containers/image's YAML reading ends in). The most
 * specific scope with a value wins: the reference's policy identity, its
 * namespaces up to the registry, the registry's "*.domain" wildcards, then
 * default-docker, then the built-in lookaside directory. */
#include "docker.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define RD_FILE_MAX (4 * 1024 * 1024)

/* One namespace entry; NULL strings are unset. */
typedef struct rd_namespace {
    char *lookaside, *lookaside_staging, *sigstore, *sigstore_staging;
    int use_attachments; /* -1 when unset */
} rd_namespace;

typedef struct rd_scope {
    char *name;
    char *file; /* where it was defined, for the duplicate error */
    rd_namespace ns;
    struct rd_scope *next;
} rd_scope;

typedef struct rd_config {
    rd_scope *default_docker; /* name unused */
    rd_scope *scopes;
} rd_config;

static void rd_namespace_clear(rd_namespace *ns)
{
    free(ns->lookaside);
    free(ns->lookaside_staging);
    free(ns->sigstore);
    free(ns->sigstore_staging);
    memset(ns, 0, sizeof *ns);
    ns->use_attachments = -1;
}

static void rd_scopes_free(rd_scope *s)
{
    while (s != NULL) {
        rd_scope *next = s->next;
        free(s->name);
        free(s->file);
        rd_namespace_clear(&s->ns);
        free(s);
        s = next;
    }
}

/* ---- reading one file ---- */

typedef struct rd_file {
    yaml_document_t doc;
    const char *path;
    char *err; /* first error, malloc'd */
} rd_file;

static int rd_is_null(const yaml_node_t *n)
{
    if (n == NULL)
        return 1;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *v = (const char *)n->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

/* The JSON kind Go's decoder would see for a node, for type errors. */
static const char *rd_json_kind(const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "object";
    if (n->type == YAML_SEQUENCE_NODE)
        return "array";
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        static const char *const bools[] = {"y",   "Y",   "yes",   "Yes",   "YES",   "on", "On", "ON",
                                            "true", "True", "TRUE", "n",     "N",     "no", "No", "NO",
                                            "off", "Off", "OFF",   "false", "False", "FALSE"};
        for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
            if (strcmp(v, bools[i]) == 0)
                return "bool";
        char *end = NULL;
        (void)strtod(v, &end);
        if (v[0] != '\0' && end != NULL && *end == '\0')
            return "number";
    }
    return "string";
}

/* Records the first error: "parsing FILE: error unmarshaling JSON: …". */
static void rd_type_error(rd_file *f, const yaml_node_t *n, const char *strct, const char *field, const char *type)
{
    if (f->err == NULL)
        f->err = plugin_util_printf("parsing %s: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go struct "
                                    "field %s.%s of type %s",
                                    f->path, rd_json_kind(n), strct, field, type);
}

/* A string member: any scalar is taken as written (YAML numbers and
 * booleans become strings when the target is one). */
static void rd_string(rd_file *f, const yaml_node_t *n, const char *field, char **out)
{
    if (rd_is_null(n))
        return;
    if (n->type != YAML_SCALAR_NODE) {
        rd_type_error(f, n, "registryNamespace", field, "string");
        return;
    }
    free(*out);
    *out = strdup((const char *)n->data.scalar.value);
}

static void rd_bool(rd_file *f, const yaml_node_t *n, const char *field, int *out)
{
    if (rd_is_null(n))
        return;
    if (n->type != YAML_SCALAR_NODE || strcmp(rd_json_kind(n), "bool") != 0) {
        rd_type_error(f, n, "registryNamespace", field, "bool");
        return;
    }
    *out = strchr("yYoOtT", ((const char *)n->data.scalar.value)[0]) != NULL &&
           strcasecmp((const char *)n->data.scalar.value, "off") != 0;
}

/* The key of a mapping pair when it is a scalar (else NULL); its value in
 * *value. */
static const char *rd_pair(rd_file *f, const yaml_node_pair_t *p, yaml_node_t **value)
{
    yaml_node_t *k = yaml_document_get_node(&f->doc, p->key);
    *value = yaml_document_get_node(&f->doc, p->value);
    return k != NULL && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
}

/* A registryNamespace value; `where` is its JSON field path ("docker",
 * "default-docker") for error messages. */
static void rd_namespace_read(rd_file *f, const yaml_node_t *n, const char *where, rd_namespace *ns)
{
    if (rd_is_null(n))
        return;
    if (n->type != YAML_MAPPING_NODE) {
        rd_type_error(f, n, "registryConfiguration", where, "docker.registryNamespace");
        return;
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *v;
        const char *key = rd_pair(f, p, &v);
        if (key == NULL)
            continue;
        char field[64];
        snprintf(field, sizeof field, "%s.%s", where, key);
        if (strcasecmp(key, "lookaside") == 0)
            rd_string(f, v, field, &ns->lookaside);
        else if (strcasecmp(key, "lookaside-staging") == 0)
            rd_string(f, v, field, &ns->lookaside_staging);
        else if (strcasecmp(key, "sigstore") == 0)
            rd_string(f, v, field, &ns->sigstore);
        else if (strcasecmp(key, "sigstore-staging") == 0)
            rd_string(f, v, field, &ns->sigstore_staging);
        else if (strcasecmp(key, "use-sigstore-attachments") == 0)
            rd_bool(f, v, field, &ns->use_attachments);
    }
}

static rd_scope *rd_scope_new(const char *name)
{
    rd_scope *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->name = strdup(name);
    s->ns.use_attachments = -1;
    if (s->name == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static rd_scope *rd_scope_find(rd_scope *list, const char *name)
{
    for (; list != NULL; list = list->next)
        if (strcmp(list->name, name) == 0)
            return list;
    return NULL;
}

/* The file's "default-docker" and "docker" members into *def and *scopes
 * (a later duplicate key replacing an earlier one, as in Go). */
static void rd_file_read(rd_file *f, rd_scope **def, rd_scope **scopes)
{
    yaml_node_t *root = yaml_document_get_root_node(&f->doc);
    if (rd_is_null(root))
        return;
    if (root->type != YAML_MAPPING_NODE) {
        f->err = plugin_util_printf("parsing %s: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go value of "
                                    "type docker.registryConfiguration",
                                    f->path, rd_json_kind(root));
        return;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *v;
        const char *key = rd_pair(f, p, &v);
        if (key == NULL)
            continue;
        if (strcasecmp(key, "default-docker") == 0) {
            if (rd_is_null(v))
                continue;
            if (*def == NULL && (*def = rd_scope_new("")) == NULL)
                break;
            rd_namespace_read(f, v, "default-docker", &(*def)->ns);
        } else if (strcasecmp(key, "docker") == 0 && !rd_is_null(v)) {
            if (v->type != YAML_MAPPING_NODE) {
                rd_type_error(f, v, "registryConfiguration", "docker", "map[string]docker.registryNamespace");
                continue;
            }
            for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
                yaml_node_t *nv;
                const char *name = rd_pair(f, q, &nv);
                if (name == NULL)
                    continue;
                rd_scope *s = rd_scope_find(*scopes, name);
                if (s != NULL) {
                    rd_namespace_clear(&s->ns);
                } else {
                    if ((s = rd_scope_new(name)) == NULL)
                        return;
                    s->next = *scopes;
                    *scopes = s;
                }
                rd_namespace_read(f, nv, "docker", &s->ns);
            }
        }
    }
}

/* go-yaml's wording of a libyaml failure. */
static char *rd_syntax_error(const char *path, const yaml_parser_t *p)
{
    size_t line = 0;
    if (p->problem_mark.line != 0)
        line = p->problem_mark.line + (p->error == YAML_SCANNER_ERROR ? 1 : 0);
    else if (p->context_mark.line != 0)
        line = p->context_mark.line;
    char where[48] = "";
    if (line != 0)
        snprintf(where, sizeof where, "line %zu: ", line);
    return plugin_util_printf("parsing %s: error converting YAML to JSON: yaml: %s%s", path, where,
                              p->problem != NULL ? p->problem : "unknown problem parsing YAML content");
}

/* Merges one file into cfg; NULL, or the error (malloc'd). */
static char *rd_merge_file(rd_config *cfg, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    if (plugin_util_read_file(AT_FDCWD, path, RD_FILE_MAX, &data, &len) != 0) {
        char buf[128];
        return plugin_util_printf("open %s: %s", path, plugin_util_strerror(errno, buf, sizeof buf));
    }
    yaml_parser_t parser;
    rd_file f = {.path = path};
    if (!yaml_parser_initialize(&parser)) {
        free(data);
        return plugin_util_printf("parsing %s: out of memory", path);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    char *err = NULL;
    if (!yaml_parser_load(&parser, &f.doc)) {
        err = rd_syntax_error(path, &parser);
    } else {
        rd_scope *def = NULL, *scopes = NULL;
        rd_file_read(&f, &def, &scopes);
        yaml_document_delete(&f.doc);
        err = f.err;
        if (err == NULL && def != NULL) {
            if (cfg->default_docker != NULL)
                err = plugin_util_printf("Error parsing signature storage configuration: \"default-docker\" defined "
                                         "both in \"%s\" and \"%s\"", cfg->default_docker->file, path);
            else if ((def->file = strdup(path)) != NULL) {
                cfg->default_docker = def;
                def = NULL;
            }
        }
        /* Go ranges over a map: which duplicate is named first is arbitrary. */
        while (err == NULL && scopes != NULL) {
            rd_scope *s = scopes;
            scopes = s->next;
            rd_scope *old = rd_scope_find(cfg->scopes, s->name);
            if (old != NULL) {
                err = plugin_util_printf("Error parsing signature storage configuration: \"docker\" namespace \"%s\" "
                                         "defined both in \"%s\" and \"%s\"", s->name, old->file, path);
                s->next = NULL;
                rd_scopes_free(s);
                break;
            }
            s->file = strdup(path);
            s->next = cfg->scopes;
            cfg->scopes = s;
        }
        rd_scopes_free(def);
        rd_scopes_free(scopes);
    }
    yaml_parser_delete(&parser);
    free(data);
    return err;
}

static const char *rd_home(void)
{
    const char *home = getenv("HOME");
    if (home != NULL && home[0] != '\0')
        return home;
    struct passwd *pw = getpwuid(geteuid());
    return pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "/";
}

/* containers/image's registriesDirPath. malloc'd. */
static char *rd_directory(ferry_ctx *ctx)
{
    const char *opt = docker_services()->get_option(ctx, "registries.d");
    if (opt != NULL && opt[0] != '\0')
        return strdup(opt);
    char *user = plugin_util_printf("%s/.config/containers/registries.d", rd_home());
    struct stat st;
    if (user != NULL && stat(user, &st) == 0)
        return user;
    free(user);
    return strdup("/etc/containers/registries.d");
}

static char *rd_load(ferry_ctx *ctx, rd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char *dir = rd_directory(ctx);
    if (dir == NULL)
        return strdup("out of memory");
    docker_services()->log(ctx, FERRY_LOG_DEBUG, "Using registries.d directory %s", dir);
    DIR *d = opendir(dir);
    char *err = NULL;
    if (d == NULL) {
        char buf[128];
        if (errno != ENOENT)
            err = plugin_util_printf("open %s: %s", dir, plugin_util_strerror(errno, buf, sizeof buf));
        free(dir);
        return err;
    }
    /* Directory order, as Go's Readdirnames (it decides which file an error
     * names second). */
    struct dirent *e;
    while (err == NULL && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char *path = plugin_util_printf("%s/%s", dir, e->d_name);
        err = path != NULL ? rd_merge_file(cfg, path) : strdup("out of memory");
        free(path);
    }
    closedir(d);
    free(dir);
    return err;
}

/* ---- choosing the entry ---- */

/* The URL ns configures for reading or writing, or NULL. */
static const char *rd_namespace_url(const rd_namespace *ns, int write)
{
    if (write && ns->lookaside_staging != NULL && ns->lookaside_staging[0] != '\0')
        return ns->lookaside_staging;
    if (write && ns->sigstore_staging != NULL && ns->sigstore_staging[0] != '\0')
        return ns->sigstore_staging;
    if (ns->lookaside != NULL && ns->lookaside[0] != '\0')
        return ns->lookaside;
    if (ns->sigstore != NULL && ns->sigstore[0] != '\0')
        return ns->sigstore;
    return NULL;
}

/* Scopes from the most specific: the identity, the namespaces of the name
 * ("host/a/b", "host/a", "host"), then "*.domain" wildcards of the host
 * without its port. Returns the count; entries malloc'd into out. */
static size_t rd_candidates(const docker_reference *ref, char **out, size_t cap)
{
    size_t n = 0;
    out[n++] = strdup(ref->canonical);
    char *name = plugin_util_printf("%s/%s", ref->domain, ref->path);
    if (name == NULL)
        return n;
    for (;;) {
        if (n < cap)
            out[n++] = strdup(name);
        char *slash = strrchr(name, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
    }
    name[strcspn(name, ":")] = '\0';
    for (char *dot = strchr(name, '.'); dot != NULL && n < cap; dot = strchr(dot + 1, '.'))
        out[n++] = plugin_util_printf("*%s", dot);
    free(name);
    return n;
}

/* Percent-decoding of a URL path (%XX), in place. */
static void rd_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        unsigned v;
        if (r[0] == '%' && r[1] != '\0' && r[2] != '\0' && sscanf(r + 1, "%2x", &v) == 1) {
            *w++ = (char)v;
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* Splits a lookaside URL and appends "/REPOSITORY" to its path. */
static int rd_lookaside_make(const char *top, const char *repo, docker_lookaside *la)
{
    memset(la, 0, sizeof *la);
    size_t colon = strcspn(top, ":/?#");
    int has_scheme = top[colon] == ':' && colon > 0;
    la->scheme = has_scheme ? strndup(top, colon) : strdup("");
    if (la->scheme == NULL)
        return -1;
    for (char *c = la->scheme; *c != '\0'; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    size_t head = strcspn(top, "?#");
    la->query = strdup(top + head);
    la->url = plugin_util_printf("%.*s/%s", (int)head, top, repo);
    if (la->query == NULL || la->url == NULL)
        return -1;
    if (strcmp(la->scheme, "file") == 0) {
        const char *p = top + colon + 1;
        if (strncmp(p, "//", 2) == 0)
            p += 2 + strcspn(p + 2, "/?#");
        la->path = plugin_util_printf("%.*s/%s", (int)strcspn(p, "?#"), p, repo);
        if (la->path == NULL)
            return -1;
        rd_unescape(la->path);
        free(la->url);
        la->url = plugin_util_printf("file://%s", la->path);
        if (la->url == NULL)
            return -1;
    }
    return 0;
}

void docker_lookaside_free(docker_lookaside *la)
{
    free(la->scheme);
    free(la->path);
    free(la->url);
    free(la->query);
    memset(la, 0, sizeof *la);
}

void docker_sig_config_free(docker_sig_config *c)
{
    docker_lookaside_free(&c->read);
    docker_lookaside_free(&c->write);
}

int docker_sig_config_load(ferry_ctx *ctx, const docker_reference *ref, docker_sig_config *out)
{
    const ferry_services *svc = docker_services();
    memset(out, 0, sizeof *out);
    rd_config cfg;
    char *err = rd_load(ctx, &cfg);
    if (err != NULL) {
        int status = svc->set_error(ctx, FERRY_ERR_INVALID, "%s", err);
        free(err);
        rd_scopes_free(cfg.scopes);
        rd_scopes_free(cfg.default_docker);
        return status;
    }
    char *names[64];
    size_t n = rd_candidates(ref, names, sizeof names / sizeof names[0]);
    const char *chosen[2] = {NULL, NULL}; /* read, write */
    out->use_attachments = -1;
    for (size_t i = 0; i < n; i++) {
        rd_scope *s = names[i] != NULL ? rd_scope_find(cfg.scopes, names[i]) : NULL;
        if (s == NULL)
            continue;
        for (int w = 0; w < 2; w++)
            if (chosen[w] == NULL)
                chosen[w] = rd_namespace_url(&s->ns, w);
        if (out->use_attachments < 0)
            out->use_attachments = s->ns.use_attachments;
    }
    if (cfg.default_docker != NULL) {
        for (int w = 0; w < 2; w++)
            if (chosen[w] == NULL)
                chosen[w] = rd_namespace_url(&cfg.default_docker->ns, w);
        if (out->use_attachments < 0)
            out->use_attachments = cfg.default_docker->ns.use_attachments;
    }
    out->use_attachments = out->use_attachments == 1;
    /* Built in: root's, or the user's under ~/.local/share. */
    char *builtin = geteuid() == 0 ? strdup("file:///var/lib/containers/sigstore")
                                   : plugin_util_printf("file://%s/.local/share/containers/sigstore", rd_home());
    int failed = builtin == NULL;
    for (int w = 0; w < 2 && !failed; w++)
        failed = rd_lookaside_make(chosen[w] != NULL ? chosen[w] : builtin, ref->path, w ? &out->write : &out->read);
    free(builtin);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    rd_scopes_free(cfg.scopes);
    rd_scopes_free(cfg.default_docker);
    if (failed) {
        docker_sig_config_free(out);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", ref->label);
    }
    return FERRY_OK;
}
