/* core/config/registries_match.c — lookups in the loaded registries.conf:
 * the [[registry]] with the longest matching prefix (containers/image's
 * FindRegistry), its insecure/blocked settings, and the ordered pull
 * sources of a reference (PullSourcesFromReference: applicable mirrors,
 * then the primary, each with the prefix rewritten to its location).
 * Answers are strings kept in the configuration so that they live as long
 * as it does. */
#include "config/registries_conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strbuf.h"

/* "*.example.com" matches a host ending in ".example.com" as the first
 * component of ref (refMatchingSubdomainPrefix). */
static long reg_subdomain_match(const char *ref, const char *prefix)
{
    const char *suffix = prefix + 1; /* ".example.com" */
    const char *at = strstr(ref, suffix);
    if (at == NULL || memchr(ref, '/', (size_t)(at - ref)) != NULL)
        return -1;
    size_t end = (size_t)(at - ref) + strlen(suffix);
    char c = ref[end];
    return c == '\0' || c == ':' || c == '/' || c == '@' ? (long)end : -1;
}

long reg_prefix_match(const char *ref, const char *prefix)
{
    if (strncmp(prefix, "*.", 2) == 0)
        return reg_subdomain_match(ref, prefix);
    size_t n = strlen(prefix);
    if (strncmp(ref, prefix, n) != 0)
        return -1;
    char c = ref[n];
    return c == '\0' || c == ':' || c == '/' || c == '@' ? (long)n : -1;
}

/* The registry whose prefix is the longest match (the first of equal
 * length in prefix order), or NULL. */
static const reg_registry *reg_find(const registries_conf *c, const char *name)
{
    const reg_registry *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; c != NULL && i < c->n; i++) {
        size_t len = strlen(c->registries[i].prefix);
        if (len > best_len && reg_prefix_match(name, c->registries[i].prefix) >= 0) {
            best = &c->registries[i];
            best_len = len;
        }
    }
    return best;
}

const char *registries_conf_setting(const registries_conf *c, const char *name, const char *setting)
{
    const reg_registry *r = reg_find(c, name);
    if (r == NULL)
        return NULL;
    int value = strcmp(setting, "insecure") == 0 ? r->primary.insecure : strcmp(setting, "blocked") == 0 ? r->blocked : 0;
    return value ? "true" : NULL;
}

/* Returns the kept answer to question(arg), computing it with make
 * (malloc'd value or NULL) the first time. */
static const char *reg_answer_for(const registries_conf *conf, const char *question,
                                  char *(*make)(const registries_conf *conf, const char *arg), const char *arg)
{
    registries_conf *c = (registries_conf *)conf; /* only the locked answer list changes */
    char key[4200];
    snprintf(key, sizeof key, "%s\n%s", question, arg);
    pthread_mutex_lock(&c->lock);
    reg_answer *a = c->answers;
    while (a != NULL && strcmp(a->key, key) != 0)
        a = a->next;
    if (a == NULL && (a = calloc(1, sizeof *a)) != NULL) {
        a->key = strdup(key);
        a->value = make(conf, arg);
        a->next = c->answers;
        c->answers = a;
    }
    const char *value = a != NULL ? a->value : NULL;
    pthread_mutex_unlock(&c->lock);
    return value;
}

static char *reg_make_blocked_reason(const registries_conf *c, const char *name)
{
    const reg_registry *r = reg_find(c, name);
    if (r == NULL || !r->blocked)
        return NULL;
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "registry %s is blocked in %s", r->prefix, c->sources != NULL ? c->sources : "registries.conf");
    return strbuf_detach(&sb, NULL);
}

const char *registries_conf_blocked_reason(const registries_conf *c, const char *name)
{
    return c != NULL ? reg_answer_for(c, "blocked", reg_make_blocked_reason, name) : NULL;
}

/* The endpoint's rewritten reference: its location + what follows the
 * prefix's match; a wildcard registry without location keeps ref. */
static int reg_rewrite(strbuf *sb, const reg_endpoint *e, const char *prefix, const char *ref)
{
    long matched = reg_prefix_match(ref, prefix);
    if (matched < 0)
        return -1;
    if (e->location[0] == '\0')
        return strbuf_puts(sb, ref);
    return strbuf_printf(sb, "%s%s", e->location, ref + matched);
}

static char *reg_make_pull_sources(const registries_conf *c, const char *ref)
{
    size_t name_len = strcspn(ref, "@");
    /* The name ends before a tag: a ':' after the last '/'. */
    size_t slash = 0;
    for (size_t i = 0; i < name_len; i++)
        slash = ref[i] == '/' ? i : slash;
    const char *colon = memchr(ref + slash, ':', name_len - slash);
    if (colon != NULL && slash > 0)
        name_len = (size_t)(colon - ref);
    char name[4096];
    snprintf(name, sizeof name, "%.*s", (int)name_len, ref);
    const reg_registry *r = reg_find(c, name);
    if (r == NULL)
        return NULL;
    int digested = strchr(ref, '@') != NULL;
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < r->n_mirrors; i++) {
        const reg_endpoint *m = &r->mirrors[i];
        int use = r->mirror_by_digest_only ? digested
                  : m->pull_from == REG_PULL_DIGEST_ONLY ? digested
                  : m->pull_from == REG_PULL_TAG_ONLY    ? !digested
                                                         : 1;
        if (use && reg_rewrite(&sb, m, r->prefix, ref) == 0)
            strbuf_printf(&sb, "\t%s\n", m->insecure ? "insecure" : "secure");
    }
    if (reg_rewrite(&sb, &r->primary, r->prefix, ref) == 0)
        strbuf_printf(&sb, "\t%s\n", r->primary.insecure ? "insecure" : "secure");
    return strbuf_detach(&sb, NULL);
}

const char *registries_conf_pull_sources(const registries_conf *c, const char *ref)
{
    return c != NULL ? reg_answer_for(c, "pull", reg_make_pull_sources, ref) : NULL;
}
