/* core/sync/sync_yaml.c — reads the `skopeo sync --src yaml` file with
 * libyaml's event parser. skopeo decodes it with gopkg.in/yaml into
 * map[string]registrySyncConfig; this reader keeps that meaning (any scalar
 * is a string as written, null is the zero value, YAML 1.1 booleans for
 * tls-verify, duplicate keys refused) but refuses what yaml would silently
 * ignore: unknown keys, and patterns or constraints that skopeo would only
 * reject (and skip) in the middle of a sync. */
#include "sync/sync_yaml.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "sync/sync_regex.h"
#include "sync/sync_semver.h"

#define SYAML_MAX_FILE (16u << 20)

enum { SYAML_IMAGES, SYAML_REGEX, SYAML_SEMVER };

typedef struct syaml_ctx {
    yaml_parser_t parser;
    const char *path;
    const char *buf;
    size_t len;
    char *err;
    size_t errcap;
    char where[768]; /* "REGISTRY: KEY: REPO: ": what is being read, for messages */
} syaml_ctx;

/* Copies s with control bytes escaped, so messages stay on one line. */
static void syaml_clean(char *dst, size_t cap, const char *s)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && k + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f)
            k += (size_t)snprintf(dst + k, cap - k, "\\x%02x", *p);
        else
            dst[k++] = (char)*p;
    }
    dst[k] = '\0';
}

static int syaml_fail(syaml_ctx *x, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int syaml_fail(syaml_ctx *x, size_t line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(x->err, x->errcap, "%s:%zu: %s%s", x->path, line, x->where, msg);
    return -1;
}

/* Appends "name: " to where; returns the length to restore. */
static size_t syaml_enter(syaml_ctx *x, const char *name)
{
    size_t old = strlen(x->where);
    char clean[256];
    syaml_clean(clean, sizeof(clean), name);
    snprintf(x->where + old, sizeof(x->where) - old, "%s: ", clean);
    return old;
}

static size_t syaml_line(const yaml_event_t *ev)
{
    return ev->start_mark.line + 1;
}

static int syaml_syntax_error(syaml_ctx *x)
{
    const yaml_parser_t *p = &x->parser;
    x->where[0] = '\0';
    if (p->error == YAML_MEMORY_ERROR)
        return syaml_fail(x, 1, "out of memory");
    size_t line = p->problem_mark.line + 1;
    if (p->error == YAML_READER_ERROR) { /* no mark: count lines up to the offset */
        line = 1;
        for (size_t i = 0; i < p->problem_offset && i < x->len; i++)
            line += x->buf[i] == '\n';
    }
    return syaml_fail(x, line, "YAML syntax error: %s%s%s%s", p->problem ? p->problem : "unknown problem",
                      p->context ? " (" : "", p->context ? p->context : "", p->context ? ")" : "");
}

/* The next event; refuses aliases, anchors and tags other than the standard
 * one of the node's kind (!!str, !!seq, !!map). */
static int syaml_next(syaml_ctx *x, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&x->parser, ev))
        return syaml_syntax_error(x);
    const char *anchor = NULL, *tag = NULL, *want = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        anchor = (const char *)ev->data.alias.anchor;
        syaml_fail(x, syaml_line(ev), "YAML aliases (*%s) are not supported", anchor);
        yaml_event_delete(ev);
        return -1;
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        tag = (const char *)ev->data.scalar.tag;
        want = YAML_STR_TAG;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = (const char *)ev->data.sequence_start.anchor;
        tag = (const char *)ev->data.sequence_start.tag;
        want = YAML_SEQ_TAG;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = (const char *)ev->data.mapping_start.anchor;
        tag = (const char *)ev->data.mapping_start.tag;
        want = YAML_MAP_TAG;
        break;
    default:
        return 0;
    }
    if (anchor != NULL || (tag != NULL && strcmp(tag, want) != 0)) {
        char clean[128];
        syaml_clean(clean, sizeof(clean), anchor ? anchor : tag);
        syaml_fail(x, syaml_line(ev), anchor ? "YAML anchors (&%s) are not supported" : "YAML tag \"%s\" is not supported",
                   clean);
        yaml_event_delete(ev);
        return -1;
    }
    return 0;
}

/* A plain, untagged null: "", "~", "null", "Null", "NULL" (as in `key:`). */
static int syaml_is_null(const yaml_event_t *ev)
{
    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
        return 0;
    const char *v = (const char *)ev->data.scalar.value;
    return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *syaml_kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT:
        return "a list";
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    default:
        return syaml_is_null(ev) ? "nothing" : "a string";
    }
}

static const char *syaml_value(const yaml_event_t *ev)
{
    return (const char *)ev->data.scalar.value;
}

static int syaml_oom(syaml_ctx *x, const yaml_event_t *ev)
{
    return syaml_fail(x, syaml_line(ev), "out of memory");
}

/* A string value: any non-null scalar as written; null gives *out NULL. */
static int syaml_string(syaml_ctx *x, const yaml_event_t *ev, const char *what, char **out)
{
    if (ev->type != YAML_SCALAR_EVENT)
        return syaml_fail(x, syaml_line(ev), "must be %s, found %s", what, syaml_kind(ev));
    if (syaml_is_null(ev))
        return 0;
    if ((*out = strdup(syaml_value(ev))) == NULL)
        return syaml_oom(x, ev);
    return 0;
}

/* A mapping key: a non-empty scalar. */
static int syaml_key(syaml_ctx *x, const yaml_event_t *ev, const char *what)
{
    if (ev->type != YAML_SCALAR_EVENT)
        return syaml_fail(x, syaml_line(ev), "%s must be a string, found %s", what, syaml_kind(ev));
    if (syaml_is_null(ev) || syaml_value(ev)[0] == '\0')
        return syaml_fail(x, syaml_line(ev), "%s must not be empty", what);
    return 0;
}

/* tls-verify: yaml decodes a YAML 1.1 boolean into a Go bool. */
static int syaml_bool(syaml_ctx *x, const yaml_event_t *ev, int *out)
{
    static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
    static const char *const no[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
    if (ev->type != YAML_SCALAR_EVENT)
        return syaml_fail(x, syaml_line(ev), "must be true or false, found %s", syaml_kind(ev));
    if (syaml_is_null(ev))
        return 0;
    char clean[128];
    syaml_clean(clean, sizeof(clean), syaml_value(ev));
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL) {
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(syaml_value(ev), yes[i]) == 0 || strcmp(syaml_value(ev), no[i]) == 0) {
                *out = strcmp(syaml_value(ev), yes[i]) == 0;
                return 0;
            }
        }
        return syaml_fail(x, syaml_line(ev), "\"%s\" is not a boolean (true/false, yes/no, on/off)", clean);
    }
    return syaml_fail(x, syaml_line(ev), "\"%s\" is a quoted string, not a boolean (write true or false)", clean);
}

static int syaml_kind_of(const sync_yaml_repo *r)
{
    return r->semver ? SYAML_SEMVER : r->tag_regex ? SYAML_REGEX : SYAML_IMAGES;
}

/* Adds a repository after those of its kind, keeping images, regexes and
 * semver constraints grouped in that order whatever the file's order. */
static sync_yaml_repo *syaml_add_repo(sync_yaml_registry *reg, int kind)
{
    sync_yaml_repo *n = realloc(reg->repos, (reg->n_repos + 1) * sizeof(*n));
    if (n == NULL)
        return NULL;
    reg->repos = n;
    size_t at = 0;
    while (at < reg->n_repos && syaml_kind_of(&reg->repos[at]) <= kind)
        at++;
    memmove(&reg->repos[at + 1], &reg->repos[at], (reg->n_repos - at) * sizeof(*n));
    reg->n_repos++;
    memset(&reg->repos[at], 0, sizeof(*n));
    return &reg->repos[at];
}

/* images: REPO: [TAG-OR-DIGEST, ...]; null or [] means every tag. */
static int syaml_refs(syaml_ctx *x, const yaml_event_t *val, sync_yaml_repo *r)
{
    if (syaml_is_null(val)) {
        r->every_tag = 1;
        return 0;
    }
    if (val->type != YAML_SEQUENCE_START_EVENT)
        return syaml_fail(x, syaml_line(val), "must be a list of tags or digests, found %s", syaml_kind(val));
    for (;;) {
        yaml_event_t ev;
        if (syaml_next(x, &ev) < 0)
            return -1;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            r->every_tag = r->n_refs == 0;
            return 0;
        }
        int rc = 0;
        char **n = NULL;
        if (ev.type != YAML_SCALAR_EVENT)
            rc = syaml_fail(x, syaml_line(&ev), "a list item must be a tag or digest, found %s", syaml_kind(&ev));
        else if (syaml_is_null(&ev))
            rc = syaml_fail(x, syaml_line(&ev), "a list item is empty");
        else if ((n = realloc(r->refs, (r->n_refs + 1) * sizeof(*n))) == NULL)
            rc = syaml_oom(x, &ev);
        else if ((r->refs = n, n[r->n_refs] = strdup(syaml_value(&ev))) == NULL)
            rc = syaml_oom(x, &ev);
        else
            r->n_refs++;
        yaml_event_delete(&ev);
        if (rc < 0)
            return -1;
    }
}

/* images-by-tag-regex: REPO: PATTERN (checked as sync_regex_compile does), or
 * images-by-semver: REPO: CONSTRAINT. yaml makes null "", as here. */
static int syaml_pattern(syaml_ctx *x, const yaml_event_t *val, sync_yaml_repo *r, int kind)
{
    char *text = NULL, msg[256];
    if (syaml_string(x, val, kind == SYAML_REGEX ? "a regular expression" : "a semver constraint", &text) < 0)
        return -1;
    if (text == NULL && (text = strdup("")) == NULL)
        return syaml_oom(x, val);
    if (kind == SYAML_REGEX)
        r->tag_regex = text;
    else
        r->semver = text;
    char clean[256];
    syaml_clean(clean, sizeof(clean), text);
    if (kind == SYAML_REGEX) {
        regex_t re;
        if (sync_regex_compile(&re, text, msg, sizeof(msg)) < 0)
            return syaml_fail(x, syaml_line(val), "invalid regular expression \"%s\": %s", clean, msg);
        regfree(&re);
        return 0;
    }
    sync_semver_constraint *c = NULL;
    if (sync_semver_constraint_parse(text, &c, msg, sizeof(msg)) < 0)
        return syaml_fail(x, syaml_line(val), "invalid semver constraint \"%s\": %s", clean, msg);
    sync_semver_constraint_free(c);
    return 0;
}

/* The next key event of a mapping into *key: 1, or 0 at its end (the end
 * event consumed), -1 on an error already reported. */
static int syaml_next_key(syaml_ctx *x, yaml_event_t *key)
{
    if (syaml_next(x, key) < 0)
        return -1;
    if (key->type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(key);
        return 0;
    }
    return 1;
}

/* The mapping of one images* key, its MAPPING_START already read. */
static int syaml_repos(syaml_ctx *x, sync_yaml_registry *reg, int kind)
{
    for (;;) {
        yaml_event_t key, val;
        int more = syaml_next_key(x, &key);
        if (more <= 0)
            return more;
        int rc = syaml_key(x, &key, "a repository name");
        for (size_t i = 0; rc == 0 && i < reg->n_repos; i++) {
            const sync_yaml_repo *o = &reg->repos[i];
            if (syaml_kind_of(o) == kind && strcmp(o->name, syaml_value(&key)) == 0) {
                char clean[256];
                syaml_clean(clean, sizeof(clean), o->name);
                rc = syaml_fail(x, syaml_line(&key), "repository \"%s\" is listed twice (also at line %d)", clean, o->line);
            }
        }
        sync_yaml_repo *r = NULL;
        if (rc == 0 && ((r = syaml_add_repo(reg, kind)) == NULL || (r->name = strdup(syaml_value(&key))) == NULL))
            rc = syaml_oom(x, &key);
        size_t old = rc == 0 ? syaml_enter(x, syaml_value(&key)) : 0;
        if (rc == 0)
            r->line = (int)syaml_line(&key);
        yaml_event_delete(&key);
        if (rc < 0 || syaml_next(x, &val) < 0)
            return -1;
        /* A value refused below stays with r: sync_yaml_free frees it. */
        if (kind == SYAML_IMAGES)
            rc = syaml_refs(x, &val, r);
        else
            rc = syaml_pattern(x, &val, r, kind);
        yaml_event_delete(&val);
        if (rc < 0)
            return -1;
        x->where[old] = '\0';
    }
}

static int syaml_credentials(syaml_ctx *x, sync_yaml_registry *reg)
{
    int seen_user = 0, seen_pass = 0;
    for (;;) {
        yaml_event_t key, val;
        int more = syaml_next_key(x, &key);
        if (more <= 0)
            return more;
        int rc = syaml_key(x, &key, "a key");
        int *seen = NULL;
        char **dst = NULL;
        if (rc == 0 && strcmp(syaml_value(&key), "username") == 0)
            seen = &seen_user, dst = &reg->username;
        else if (rc == 0 && strcmp(syaml_value(&key), "password") == 0)
            seen = &seen_pass, dst = &reg->password;
        char clean[256];
        syaml_clean(clean, sizeof(clean), rc == 0 ? syaml_value(&key) : "");
        if (rc == 0 && seen == NULL)
            rc = syaml_fail(x, syaml_line(&key), "unknown key \"%s\" (username, password)", clean);
        else if (rc == 0 && *seen)
            rc = syaml_fail(x, syaml_line(&key), "key \"%s\" is given twice", clean);
        size_t old = rc == 0 ? syaml_enter(x, syaml_value(&key)) : 0;
        yaml_event_delete(&key);
        if (rc < 0 || syaml_next(x, &val) < 0)
            return -1;
        *seen = 1;
        rc = syaml_string(x, &val, "a string", dst);
        yaml_event_delete(&val);
        if (rc < 0)
            return -1;
        x->where[old] = '\0';
    }
}

static const char *const syaml_keys[] = {"images", "images-by-tag-regex", "images-by-semver",
                                         "credentials", "tls-verify", "cert-dir"};

/* The value of one setting of a registry; key is its index in syaml_keys. */
static int syaml_setting(syaml_ctx *x, sync_yaml_registry *reg, int key, const yaml_event_t *val)
{
    static const char *const wants[] = {
        "a mapping of repositories to lists of tags or digests",
        "a mapping of repositories to regular expressions",
        "a mapping of repositories to semver constraints",
        "a mapping with username and password",
    };
    if (key <= 3) {
        if (syaml_is_null(val))
            return 0;
        if (val->type != YAML_MAPPING_START_EVENT)
            return syaml_fail(x, syaml_line(val), "must be %s, found %s", wants[key], syaml_kind(val));
        return key == 3 ? syaml_credentials(x, reg) : syaml_repos(x, reg, key);
    }
    if (key == 4)
        return syaml_bool(x, val, &reg->tls_verify);
    return syaml_string(x, val, "a directory path", &reg->cert_dir);
}

/* One registry's settings, its MAPPING_START already read. */
static int syaml_registry(syaml_ctx *x, sync_yaml_registry *reg)
{
    int seen[sizeof(syaml_keys) / sizeof(syaml_keys[0])] = {0};
    for (;;) {
        yaml_event_t key, val;
        int more = syaml_next_key(x, &key);
        if (more <= 0)
            return more;
        int rc = syaml_key(x, &key, "a key"), k = 0, n = (int)(sizeof(seen) / sizeof(seen[0]));
        while (rc == 0 && k < n && strcmp(syaml_value(&key), syaml_keys[k]) != 0)
            k++;
        char clean[256];
        syaml_clean(clean, sizeof(clean), rc == 0 ? syaml_value(&key) : "");
        if (rc == 0 && k == n)
            rc = syaml_fail(x, syaml_line(&key), "unknown key \"%s\"", clean);
        else if (rc == 0 && seen[k])
            rc = syaml_fail(x, syaml_line(&key), "key \"%s\" is given twice", clean);
        size_t old = rc == 0 ? syaml_enter(x, syaml_value(&key)) : 0;
        yaml_event_delete(&key);
        if (rc < 0 || syaml_next(x, &val) < 0)
            return -1;
        seen[k] = 1;
        rc = syaml_setting(x, reg, k, &val);
        yaml_event_delete(&val);
        if (rc < 0)
            return -1;
        x->where[old] = '\0';
    }
}

/* The top-level mapping, its MAPPING_START already read. */
static int syaml_registries(syaml_ctx *x, sync_yaml *out)
{
    for (;;) {
        yaml_event_t key, val;
        int more = syaml_next_key(x, &key);
        if (more <= 0)
            return more;
        int rc = syaml_key(x, &key, "a registry name");
        for (size_t i = 0; rc == 0 && i < out->n_registries; i++) {
            if (strcmp(out->registries[i].name, syaml_value(&key)) == 0) {
                char clean[256];
                syaml_clean(clean, sizeof(clean), syaml_value(&key));
                rc = syaml_fail(x, syaml_line(&key), "registry \"%s\" is listed twice (also at line %d)", clean,
                                out->registries[i].line);
            }
        }
        sync_yaml_registry *reg = NULL;
        if (rc == 0) {
            sync_yaml_registry *n = realloc(out->registries, (out->n_registries + 1) * sizeof(*n));
            if (n != NULL) {
                out->registries = n;
                reg = &n[out->n_registries++];
                memset(reg, 0, sizeof(*reg));
                reg->tls_verify = -1;
                reg->line = (int)syaml_line(&key);
                reg->name = strdup(syaml_value(&key));
            }
            if (reg == NULL || reg->name == NULL)
                rc = syaml_oom(x, &key);
        }
        size_t old = rc == 0 ? syaml_enter(x, syaml_value(&key)) : 0;
        yaml_event_delete(&key);
        if (rc < 0 || syaml_next(x, &val) < 0)
            return -1;
        if (val.type == YAML_MAPPING_START_EVENT)
            rc = syaml_registry(x, reg);
        else if (!syaml_is_null(&val))
            rc = syaml_fail(x, syaml_line(&val), "must be a mapping of settings (images, credentials, ...), found %s",
                            syaml_kind(&val));
        yaml_event_delete(&val);
        if (rc < 0)
            return -1;
        x->where[old] = '\0';
    }
}

/* Reads an event that must be of type want (the parser guarantees the
 * stream and document structure; this keeps the check explicit). */
static int syaml_expect(syaml_ctx *x, yaml_event_type_t want, const char *what)
{
    yaml_event_t ev;
    if (syaml_next(x, &ev) < 0)
        return -1;
    int ok = ev.type == want;
    if (!ok)
        syaml_fail(x, syaml_line(&ev), "%s", what);
    yaml_event_delete(&ev);
    return ok ? 0 : -1;
}

/* Parses the whole stream once: like yaml, a syntax error anywhere wins
 * over what is wrong with the settings before it. */
static int syaml_syntax(syaml_ctx *x)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&x->parser, &ev))
            return syaml_syntax_error(x);
        int end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (end)
            return 0;
    }
}

static int syaml_stream(syaml_ctx *x, sync_yaml *out)
{
    yaml_event_t ev;
    if (syaml_expect(x, YAML_STREAM_START_EVENT, "not a YAML stream") < 0 || syaml_next(x, &ev) < 0)
        return -1;
    yaml_event_type_t type = ev.type;
    yaml_event_delete(&ev);
    if (type == YAML_STREAM_END_EVENT) /* an empty file */
        return 0;
    if (type != YAML_DOCUMENT_START_EVENT)
        return syaml_fail(x, 1, "not a YAML document");
    if (syaml_next(x, &ev) < 0)
        return -1;
    int rc = 0;
    if (ev.type == YAML_MAPPING_START_EVENT)
        rc = syaml_registries(x, out);
    else if (!syaml_is_null(&ev))
        rc = syaml_fail(x, syaml_line(&ev), "the top level must be a mapping of registries, found %s", syaml_kind(&ev));
    yaml_event_delete(&ev);
    if (rc < 0 || syaml_expect(x, YAML_DOCUMENT_END_EVENT, "expected the end of the document") < 0)
        return -1;
    if (syaml_next(x, &ev) < 0)
        return -1;
    if (ev.type != YAML_STREAM_END_EVENT)
        rc = syaml_fail(x, syaml_line(&ev), "more than one YAML document");
    yaml_event_delete(&ev);
    return rc;
}

/* Reads the whole file (at most SYAML_MAX_FILE bytes). */
static char *syaml_read(const char *path, size_t *len, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            /* One byte past the limit tells a too large file. */
            size_t ncap = cap ? cap * 2 : 8192;
            ncap = ncap > SYAML_MAX_FILE + 1 ? SYAML_MAX_FILE + 1 : ncap;
            char *nb = n <= SYAML_MAX_FILE ? realloc(buf, ncap + 1) : NULL;
            if (nb == NULL) {
                snprintf(err, errcap, n > SYAML_MAX_FILE ? "%s: larger than 16 MiB" : "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                snprintf(err, errcap, "%s: %s", path, strerror(errno));
            else if (n > SYAML_MAX_FILE)
                snprintf(err, errcap, "%s: larger than 16 MiB", path);
            else {
                fclose(f);
                buf[n] = '\0';
                *len = n;
                return buf;
            }
            break;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

int sync_yaml_load(const char *path, sync_yaml *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    if (errcap > 0)
        err[0] = '\0';
    syaml_ctx x;
    memset(&x, 0, sizeof(x));
    x.path = path;
    x.err = err;
    x.errcap = errcap;
    char *buf = syaml_read(path, &x.len, err, errcap);
    if (buf == NULL)
        return -1;
    x.buf = buf;
    int rc = 0;
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        if (!yaml_parser_initialize(&x.parser)) {
            snprintf(err, errcap, "%s: out of memory", path);
            rc = -1;
            break;
        }
        yaml_parser_set_input_string(&x.parser, (const unsigned char *)buf, x.len);
        rc = pass == 0 ? syaml_syntax(&x) : syaml_stream(&x, out);
        yaml_parser_delete(&x.parser);
    }
    free(buf);
    if (rc < 0)
        sync_yaml_free(out);
    return rc;
}

void sync_yaml_free(sync_yaml *y)
{
    if (y == NULL)
        return;
    for (size_t i = 0; i < y->n_registries; i++) {
        sync_yaml_registry *reg = &y->registries[i];
        for (size_t j = 0; j < reg->n_repos; j++) {
            sync_yaml_repo *r = &reg->repos[j];
            for (size_t k = 0; k < r->n_refs; k++)
                free(r->refs[k]);
            free(r->refs);
            free(r->name);
            free(r->tag_regex);
            free(r->semver);
        }
        free(reg->repos);
        free(reg->name);
        free(reg->username);
        free(reg->password);
        free(reg->cert_dir);
    }
    free(y->registries);
    memset(y, 0, sizeof(*y));
}
