/* core/config/registries_conf.c — the TOML subset registries.conf uses
 * (tables, arrays of tables, strings, booleans, string arrays, comments),
 * read into per-registry insecure/blocked flags. Debian has no C TOML
 * library; this reader accepts what containers-registries.conf(5) documents
 * and ignores the keys ferry does not use. */
#include "config/registries_conf.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct registry_rule {
    char *prefix;
    int insecure, blocked;
} registry_rule;

struct registries_conf {
    registry_rule *rules;
    size_t n;
};

static registry_rule *conf_add_rule(registries_conf *c, const char *prefix)
{
    registry_rule *r = realloc(c->rules, (c->n + 1) * sizeof(*r));
    if (r == NULL)
        return NULL;
    c->rules = r;
    r = &c->rules[c->n++];
    memset(r, 0, sizeof(*r));
    r->prefix = strdup(prefix ? prefix : "");
    return r;
}

/* Copies the next TOML value token (string, bare word or [ ... ]) from *p. */
static char *toml_skip_ws(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parses a quoted string at p into out; returns the position after it. */
static char *toml_string(char *p, char *out, size_t cap)
{
    char quote = *p++;
    size_t n = 0;
    while (*p != '\0' && *p != quote) {
        char c = *p++;
        if (quote == '"' && c == '\\' && *p != '\0') {
            c = *p++;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        if (n + 1 < cap)
            out[n++] = c;
    }
    out[n] = '\0';
    return *p == quote ? p + 1 : p;
}

/* Removes a comment that is not inside a string. */
static void toml_strip_comment(char *line)
{
    char quote = 0;
    for (char *p = line; *p != '\0'; p++) {
        if (quote) {
            if (*p == '\\' && quote == '"' && p[1] != '\0')
                p++;
            else if (*p == quote)
                quote = 0;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '#') {
            *p = '\0';
            return;
        }
    }
}

typedef enum section { SECTION_TOP, SECTION_REGISTRY, SECTION_V1_INSECURE, SECTION_V1_BLOCK, SECTION_OTHER } section;

/* Applies `key = value` in the current section. */
static void conf_apply(registries_conf *c, section sec, registry_rule *current, const char *key, char *value)
{
    char text[1024];
    if (sec == SECTION_REGISTRY && current != NULL) {
        if ((strcmp(key, "prefix") == 0 || (strcmp(key, "location") == 0 && current->prefix[0] == '\0')) &&
            (*value == '"' || *value == '\'')) {
            toml_string(value, text, sizeof(text));
            free(current->prefix);
            current->prefix = strdup(text);
        } else if (strcmp(key, "insecure") == 0) {
            current->insecure = strncmp(value, "true", 4) == 0;
        } else if (strcmp(key, "blocked") == 0) {
            current->blocked = strncmp(value, "true", 4) == 0;
        }
        return;
    }
    if ((sec == SECTION_V1_INSECURE || sec == SECTION_V1_BLOCK) && strcmp(key, "registries") == 0 && *value == '[') {
        for (char *p = value + 1; *p != '\0' && *p != ']';) {
            p = toml_skip_ws(p);
            if (*p == '"' || *p == '\'') {
                p = toml_string(p, text, sizeof(text));
                registry_rule *r = conf_add_rule(c, text);
                if (r != NULL)
                    *(sec == SECTION_V1_INSECURE ? &r->insecure : &r->blocked) = 1;
            } else {
                p++;
            }
        }
    }
}

static int conf_parse_file(registries_conf *c, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[8192], pending[65536] = "";
    section sec = SECTION_TOP;
    registry_rule *current = NULL;
    int lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        toml_strip_comment(line);
        /* Arrays may span lines: collect until the brackets balance. */
        if (strlen(pending) + strlen(line) + 1 < sizeof(pending))
            strcat(pending, line);
        int depth = 0;
        for (const char *p = pending; *p != '\0'; p++)
            depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
        char *s = toml_skip_ws(pending);
        if (depth > 0 && *s != '[')
            continue;
        char *end = s + strlen(s);
        while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*s == '\0') {
            pending[0] = '\0';
            continue;
        }
        if (s[0] == '[') {
            int array = s[1] == '[';
            char *name = s + (array ? 2 : 1);
            char *close = strchr(name, ']');
            if (close == NULL) {
                snprintf(err, errcap, "%s:%d: malformed table header", path, lineno);
                fclose(f);
                return -1;
            }
            *close = '\0';
            name = toml_skip_ws(name);
            current = NULL;
            if (array && strcmp(name, "registry") == 0) {
                sec = SECTION_REGISTRY;
                current = conf_add_rule(c, "");
            } else if (!array && strcmp(name, "registries.insecure") == 0) {
                sec = SECTION_V1_INSECURE;
            } else if (!array && strcmp(name, "registries.block") == 0) {
                sec = SECTION_V1_BLOCK;
            } else {
                sec = SECTION_OTHER; /* mirrors, aliases, v1 search: not used by ferry */
            }
        } else {
            char *eq = strchr(s, '=');
            if (eq == NULL) {
                snprintf(err, errcap, "%s:%d: expected key = value", path, lineno);
                fclose(f);
                return -1;
            }
            *eq = '\0';
            char key[256];
            char *k = toml_skip_ws(s);
            if (*k == '"' || *k == '\'')
                toml_string(k, key, sizeof(key));
            else {
                snprintf(key, sizeof(key), "%s", k);
                for (char *t = key + strlen(key); t > key && (t[-1] == ' ' || t[-1] == '\t');)
                    *--t = '\0';
            }
            conf_apply(c, sec, current, key, toml_skip_ws(eq + 1));
        }
        pending[0] = '\0';
    }
    fclose(f);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Drop-ins in lexical order, after the main file. */
static void conf_parse_dropins(registries_conf *c, const char *main_path, char *err, size_t errcap)
{
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s.d", main_path) >= (int)sizeof(dir))
        return;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".conf") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (names[i] != NULL)
            conf_parse_file(c, path, err, errcap);
        free(names[i]);
    }
}

registries_conf *registries_conf_load(char *err, size_t errcap)
{
    registries_conf *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    char path[4096];
    const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
    const char *home = getenv("HOME");
    if (env != NULL && *env != '\0') {
        snprintf(path, sizeof(path), "%s", env);
        conf_parse_file(c, path, err, errcap);
        return c; /* the variable names the only file, as in containers/image */
    }
    snprintf(path, sizeof(path), "%s/.config/containers/registries.conf", home ? home : "");
    if (home == NULL || access(path, F_OK) != 0)
        snprintf(path, sizeof(path), "/etc/containers/registries.conf");
    conf_parse_file(c, path, err, errcap);
    conf_parse_dropins(c, path, err, errcap);
    return c;
}

void registries_conf_free(registries_conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->rules[i].prefix);
    free(c->rules);
    free(c);
}

/* 0 when prefix does not cover host; otherwise a specificity score. */
static size_t rule_matches(const char *prefix, const char *host)
{
    if (strcmp(prefix, host) == 0)
        return strlen(prefix) + 1000;
    if (strncmp(prefix, "*.", 2) == 0) {
        size_t hl = strlen(host), sl = strlen(prefix + 1);
        const char *colon = strchr(host, ':');
        if (colon != NULL)
            hl = (size_t)(colon - host);
        if (hl > sl && strncmp(host + hl - sl, prefix + 1, sl) == 0)
            return sl;
    }
    return 0;
}

const char *registries_conf_setting(const registries_conf *c, const char *host, const char *setting)
{
    if (c == NULL)
        return NULL;
    const registry_rule *best = NULL;
    size_t best_score = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t score = rule_matches(c->rules[i].prefix, host);
        /* Later files override earlier ones at equal specificity. */
        if (score > 0 && score >= best_score) {
            best = &c->rules[i];
            best_score = score;
        }
    }
    if (best == NULL)
        return NULL;
    int value = strcmp(setting, "insecure") == 0 ? best->insecure : strcmp(setting, "blocked") == 0 ? best->blocked : 0;
    return value ? "true" : NULL;
}
