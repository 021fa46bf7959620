/* core/policy/policy.c — reading policy.json as containers/image v5.23.1's
 * signature/policy_config.go does: members checked in file order, unknown
 * and duplicate keys refused, every requirement and signedIdentity
 * validated when the policy is loaded (not when it is used), with c/image's
 * messages; then the scope lookup. */
#include "policy/policy_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/docker_ref.h"
#include "shared/base64.h"
#include "shared/docker_grammar.h"

typedef struct policy_parse {
    char *err;
    size_t errcap;
} policy_parse;

static int parse_fail(policy_parse *pp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int parse_fail(policy_parse *pp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pp->err, pp->errcap, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}

static int expect_object(policy_parse *pp, const json_t *v)
{
    if (json_is_object(v))
        return 0;
    return parse_fail(pp, "JSON object expected, got \"%s\"", json_is_array(v) ? "[" : json_kind(v));
}

/* Go's json.Unmarshal into a string (null leaves it ""). */
static int take_string(policy_parse *pp, const json_t *v, char **out)
{
    if (json_is_null(v))
        return (*out = strdup("")) != NULL ? 0 : parse_fail(pp, "out of memory");
    if (!json_is_string(v))
        return parse_fail(pp, "json: cannot unmarshal %s into Go value of type string", json_kind(v));
    free(*out);
    *out = strndup(json_string_value(v), json_string_length(v));
    return *out != NULL ? 0 : parse_fail(pp, "out of memory");
}

/* Only these keys (any may be absent). */
static int known_fields(policy_parse *pp, const json_t *obj, const char *const *keys, size_t n)
{
    if (expect_object(pp, obj) != 0)
        return -1;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (i < n && strcmp(keys[i], key) != 0)
            i++;
        if (i == n)
            return parse_fail(pp, "Unknown key \"%s\"", key);
    }
    return 0;
}

/* ParanoidUnmarshalJSONObjectExactFields: exactly these keys. */
static int exact_fields(policy_parse *pp, const json_t *obj, const char *const *keys, size_t n)
{
    if (known_fields(pp, obj, keys, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (json_object_get(obj, keys[i]) == NULL)
            return parse_fail(pp, "Key \"%s\" missing in a JSON object", keys[i]);
    return 0;
}

static const char *type_of(const json_t *obj)
{
    const json_t *t = json_object_get(obj, "type");
    return json_is_string(t) ? json_string_value(t) : "";
}

/* validateIdentityRemappingPrefix: a domain, or a name that starts with one. */
static int remap_prefix_valid(const char *s)
{
    size_t n = strlen(s);
    if (docker_grammar_domain(s, n))
        return 1;
    const char *slash = strchr(s, '/');
    return slash != NULL && docker_grammar_domain(s, (size_t)(slash - s)) &&
           docker_grammar_path(slash + 1, n - (size_t)(slash - s) - 1);
}

static void match_release(policy_match *m)
{
    free(m->reference);
    free(m->prefix);
    free(m->signed_prefix);
    memset(m, 0, sizeof(*m));
}

static int parse_match(policy_parse *pp, const json_t *obj, policy_match *m)
{
    static const char *const type_only[] = {"type"};
    static const char *const ref_keys[] = {"type", "dockerReference"};
    static const char *const repo_keys[] = {"type", "dockerRepository"};
    static const char *const remap_keys[] = {"type", "prefix", "signedPrefix"};
    if (expect_object(pp, obj) != 0)
        return -1;
    const char *type = type_of(obj);
    char perr[256];
    docker_ref ref = {0};
    if (strcmp(type, "matchExact") == 0 || strcmp(type, "matchRepoDigestOrExact") == 0 ||
        strcmp(type, "matchRepository") == 0) {
        m->kind = type[5] == 'E' ? POLICY_MATCH_EXACT
                  : type[5] == 'R' && type[9] == 'D' ? POLICY_MATCH_REPO_DIGEST_OR_EXACT
                                                      : POLICY_MATCH_REPOSITORY;
        return exact_fields(pp, obj, type_only, 1);
    }
    if (strcmp(type, "exactReference") == 0) {
        m->kind = POLICY_EXACT_REFERENCE;
        if (exact_fields(pp, obj, ref_keys, 2) != 0 ||
            take_string(pp, json_object_get(obj, "dockerReference"), &m->reference) != 0)
            return -1;
        if (docker_ref_parse_normalized(m->reference, strlen(m->reference), &ref, perr, sizeof(perr)) != 0)
            return parse_fail(pp, "Invalid format of dockerReference %s: %s", m->reference, perr);
        int name_only = ref.tag == NULL && ref.digest == NULL;
        docker_ref_free(&ref);
        if (name_only)
            return parse_fail(pp, "dockerReference %s contains neither a tag nor digest", m->reference);
        return 0;
    }
    if (strcmp(type, "exactRepository") == 0) {
        m->kind = POLICY_EXACT_REPOSITORY;
        if (exact_fields(pp, obj, repo_keys, 2) != 0 ||
            take_string(pp, json_object_get(obj, "dockerRepository"), &m->reference) != 0)
            return -1;
        if (docker_ref_parse_normalized(m->reference, strlen(m->reference), &ref, perr, sizeof(perr)) != 0)
            return parse_fail(pp, "Invalid format of dockerRepository %s: %s", m->reference, perr);
        docker_ref_free(&ref);
        return 0;
    }
    if (strcmp(type, "remapIdentity") == 0) {
        m->kind = POLICY_REMAP_IDENTITY;
        if (exact_fields(pp, obj, remap_keys, 3) != 0 ||
            take_string(pp, json_object_get(obj, "prefix"), &m->prefix) != 0 ||
            take_string(pp, json_object_get(obj, "signedPrefix"), &m->signed_prefix) != 0)
            return -1;
        if (!remap_prefix_valid(m->prefix))
            return parse_fail(pp, "prefix \"%s\" is not valid", m->prefix);
        if (!remap_prefix_valid(m->signed_prefix))
            return parse_fail(pp, "prefix \"%s\" is not valid", m->signed_prefix);
        return 0;
    }
    return parse_fail(pp, "Unknown policy reference match type \"%s\"", type);
}

static void requirement_release(policy_requirement *r)
{
    free(r->key_type);
    for (size_t i = 0; i < r->n_key_paths; i++)
        free(r->key_paths[i]);
    free(r->key_paths);
    free(r->key_data);
    match_release(&r->identity);
}

static int parse_key_paths(policy_parse *pp, const json_t *v, policy_requirement *r)
{
    if (json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return parse_fail(pp, "json: cannot unmarshal %s into Go value of type []string", json_kind(v));
    r->key_paths = calloc(json_array_size(v) + 1, sizeof(char *));
    if (r->key_paths == NULL)
        return parse_fail(pp, "out of memory");
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (take_string(pp, json_array_get(v, i), &r->key_paths[i]) != 0)
            return -1;
        r->n_key_paths = i + 1;
    }
    return 0;
}

static int parse_key_data(policy_parse *pp, const json_t *v, policy_requirement *r)
{
    if (json_is_null(v))
        return (r->key_data = malloc(1)) != NULL ? 0 : parse_fail(pp, "out of memory");
    if (!json_is_string(v))
        return parse_fail(pp, "json: cannot unmarshal %s into Go value of type []uint8", json_kind(v));
    size_t n = json_string_length(v);
    r->key_data = malloc(n / 4 * 3 + 1);
    if (r->key_data == NULL)
        return parse_fail(pp, "out of memory");
    if (base64_decode(json_string_value(v), n, r->key_data, &r->key_data_len) != 0)
        return parse_fail(pp, "illegal base64 data in keyData");
    return 0;
}

/* The members every signature requirement shares, in file order. */
static int parse_signed(policy_parse *pp, const json_t *obj, policy_requirement *r, int *got_path, int *got_paths,
                        int *got_data)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (strcmp(key, "keyType") == 0) {
            if (take_string(pp, v, &r->key_type) != 0)
                return -1;
            if (strcmp(r->key_type, "GPGKeys") != 0 && strcmp(r->key_type, "signedByGPGKeys") != 0 &&
                strcmp(r->key_type, "X509Certificates") != 0 && strcmp(r->key_type, "signedByX509CAs") != 0)
                return parse_fail(pp, "Unrecognized keyType value \"%s\"", r->key_type);
        } else if (strcmp(key, "keyPath") == 0) {
            *got_path = 1;
            for (size_t i = 0; i < r->n_key_paths; i++)
                free(r->key_paths[i]);
            free(r->key_paths);
            r->n_key_paths = 0;
            r->key_paths = calloc(2, sizeof(char *));
            if (r->key_paths == NULL || take_string(pp, v, &r->key_paths[0]) != 0)
                return r->key_paths == NULL ? parse_fail(pp, "out of memory") : -1;
            r->n_key_paths = 1;
        } else if (strcmp(key, "keyPaths") == 0) {
            *got_paths = 1;
            if (parse_key_paths(pp, v, r) != 0)
                return -1;
        } else if (strcmp(key, "keyData") == 0) {
            *got_data = 1;
            if (parse_key_data(pp, v, r) != 0)
                return -1;
        }
    }
    const json_t *si = json_object_get(obj, "signedIdentity");
    if (si == NULL || json_is_null(si)) {
        r->identity.kind = POLICY_MATCH_REPO_DIGEST_OR_EXACT;
        return 0;
    }
    return parse_match(pp, si, &r->identity);
}

static int parse_requirement(policy_parse *pp, const json_t *obj, policy_requirement *r)
{
    static const char *const type_only[] = {"type"};
    static const char *const signed_by_keys[] = {"type", "keyType", "keyPath", "keyPaths", "keyData",
                                                 "signedIdentity"};
    /* fulcio and rekorPublicKey* come from newer containers/image: parsed,
     * refused when evaluated. */
    static const char *const sigstore_keys[] = {"type", "keyPath", "keyData", "signedIdentity", "fulcio",
                                                "rekorPublicKeyPath", "rekorPublicKeyData"};
    static const char *const base_layer_keys[] = {"type", "baseLayerIdentity"};
    if (expect_object(pp, obj) != 0)
        return -1;
    const char *type = type_of(obj);
    int got_path = 0, got_paths = 0, got_data = 0;
    if (strcmp(type, "insecureAcceptAnything") == 0 || strcmp(type, "reject") == 0) {
        r->kind = type[0] == 'i' ? POLICY_INSECURE_ACCEPT_ANYTHING : POLICY_REJECT;
        return exact_fields(pp, obj, type_only, 1);
    }
    if (strcmp(type, "signedBy") == 0) {
        r->kind = POLICY_SIGNED_BY;
        if (known_fields(pp, obj, signed_by_keys, 6) != 0 ||
            parse_signed(pp, obj, r, &got_path, &got_paths, &got_data) != 0)
            return -1;
        if (got_path + got_paths + got_data == 0)
            return parse_fail(pp, "Exactly one of keyPath, keyPaths and keyData must be specified, none of them "
                              "present");
        if (got_path + got_paths + got_data > 1)
            return parse_fail(pp, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one "
                              "present");
        if (r->key_type == NULL || r->key_type[0] == '\0')
            return parse_fail(pp, "invalid keyType \"\"");
        return 0;
    }
    if (strcmp(type, "sigstoreSigned") == 0) {
        r->kind = POLICY_SIGSTORE_SIGNED;
        if (known_fields(pp, obj, sigstore_keys, 7) != 0 ||
            parse_signed(pp, obj, r, &got_path, &got_paths, &got_data) != 0)
            return -1;
        r->fulcio = json_object_get(obj, "fulcio") != NULL;
        r->rekor = json_object_get(obj, "rekorPublicKeyPath") != NULL || json_object_get(obj, "rekorPublicKeyData");
        if (got_path && got_data)
            return parse_fail(pp, "keyPath and keyData cannot be used simultaneously");
        if (!got_path && !got_data && json_object_get(obj, "fulcio") == NULL)
            return parse_fail(pp, "At least one of keyPath and keyData must be specified");
        return 0;
    }
    if (strcmp(type, "signedBaseLayer") == 0) {
        r->kind = POLICY_SIGNED_BASE_LAYER;
        if (known_fields(pp, obj, base_layer_keys, 2) != 0)
            return -1;
        const json_t *bl = json_object_get(obj, "baseLayerIdentity");
        if (bl == NULL || json_is_null(bl))
            return parse_fail(pp, "baseLayerIdentity not specified");
        return parse_match(pp, bl, &r->identity);
    }
    return parse_fail(pp, "Unknown policy requirement type \"%s\"", type);
}

static void requirements_release(policy_requirements *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        requirement_release(&rs->items[i]);
    free(rs->items);
    free(rs->where);
    rs->items = NULL;
    rs->where = NULL;
    rs->n = 0;
}

static int parse_requirements(policy_parse *pp, const json_t *arr, policy_requirements *rs)
{
    if (!json_is_array(arr))
        return parse_fail(pp, "json: cannot unmarshal %s into Go value of type []json.RawMessage", json_kind(arr));
    if (json_array_size(arr) == 0)
        return parse_fail(pp, "List of verification policy requirements must not be empty");
    rs->items = calloc(json_array_size(arr), sizeof(*rs->items));
    if (rs->items == NULL)
        return parse_fail(pp, "out of memory");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        rs->n = i + 1;
        if (parse_requirement(pp, json_array_get(arr, i), &rs->items[i]) != 0)
            return -1;
    }
    return 0;
}

static int parse_transports(policy_parse *pp, const json_t *obj, policy *p)
{
    if (json_is_null(obj))
        return 0;
    if (expect_object(pp, obj) != 0)
        return -1;
    size_t total = 0;
    const char *transport, *scope;
    const json_t *scopes, *reqs;
    json_object_foreach((json_t *)obj, transport, scopes) {
        if (expect_object(pp, scopes) != 0)
            return -1;
        total += json_object_size(scopes);
    }
    p->scopes = calloc(total ? total : 1, sizeof(*p->scopes));
    if (p->scopes == NULL)
        return parse_fail(pp, "out of memory");
    json_object_foreach((json_t *)obj, transport, scopes) {
        json_object_foreach((json_t *)scopes, scope, reqs) {
            if (scope[0] != '\0' && !policy_scope_valid(transport, scope))
                return parse_fail(pp, "Unknown key \"%s\"", scope);
            policy_scope *s = &p->scopes[p->n_scopes++];
            s->transport = strdup(transport);
            s->scope = strdup(scope);
            if (s->transport == NULL || s->scope == NULL)
                return parse_fail(pp, "out of memory");
            if (parse_requirements(pp, reqs, &s->reqs) != 0)
                return -1;
        }
    }
    return 0;
}

static int parse_policy(policy_parse *pp, const json_t *root, policy *p)
{
    static const char *const top_keys[] = {"default", "transports"};
    if (known_fields(pp, root, top_keys, 2) != 0)
        return -1;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (strcmp(key, "default") == 0) {
            if (!json_is_null(v) && parse_requirements(pp, v, &p->default_reqs) != 0)
                return -1;
        } else if (parse_transports(pp, v, p) != 0) {
            return -1;
        }
    }
    if (p->default_reqs.n == 0)
        return parse_fail(pp, "Default policy is missing");
    return 0;
}

void policy_free(policy *p)
{
    if (p == NULL)
        return;
    requirements_release(&p->default_reqs);
    for (size_t i = 0; i < p->n_scopes; i++) {
        free(p->scopes[i].transport);
        free(p->scopes[i].scope);
        requirements_release(&p->scopes[i].reqs);
    }
    free(p->scopes);
    free(p->path);
    free(p);
}

int policy_load(const char *path, policy **out, char *err, size_t errcap)
{
    char home_policy[4096] = "";
    const char *home = getenv("HOME");
    *out = NULL;
    if (path == NULL) {
        if (home != NULL)
            snprintf(home_policy, sizeof(home_policy), "%s/.config/containers/policy.json", home);
        path = home_policy[0] && access(home_policy, F_OK) == 0 ? home_policy : "/etc/containers/policy.json";
    }
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (access(path, F_OK) != 0)
            snprintf(err, errcap, "Error loading trust policy: open %s: no such file or directory (use --policy or "
                     "--insecure-policy)", path);
        else if (strncmp(jerr.text, "duplicate object key near '", 27) == 0)
            /* jansson names the key as a JSON token: "near '"default"'". */
            snprintf(err, errcap, "Error loading trust policy: invalid policy in \"%s\": Duplicate key %.*s", path,
                     (int)strcspn(jerr.text + 27, "'"), jerr.text + 27);
        else
            snprintf(err, errcap, "Error loading trust policy: invalid policy in \"%s\": %s at line %d", path,
                     jerr.text, jerr.line);
        return -1;
    }
    policy *p = calloc(1, sizeof(*p));
    char why[1024] = "";
    policy_parse pp = {why, sizeof(why)};
    int rc = p == NULL ? parse_fail(&pp, "out of memory") : parse_policy(&pp, root, p);
    json_decref(root);
    if (rc == 0 && (p->path = strdup(path)) == NULL)
        rc = parse_fail(&pp, "out of memory");
    if (rc == 0 && asprintf(&p->default_reqs.where, "default in %s", path) < 0)
        rc = parse_fail(&pp, "out of memory");
    for (size_t i = 0; rc == 0 && i < p->n_scopes; i++)
        if (asprintf(&p->scopes[i].reqs.where, "transports.%s[\"%s\"] in %s", p->scopes[i].transport,
                     p->scopes[i].scope, path) < 0)
            rc = parse_fail(&pp, "out of memory");
    if (rc != 0) {
        snprintf(err, errcap, "Error loading trust policy: invalid policy in \"%s\": %s", path, why);
        policy_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

typedef struct scope_search {
    const policy *p;
    const char *transport;
    const policy_requirements *found;
} scope_search;

static const policy_requirements *scope_lookup(const policy *p, const char *transport, const char *scope)
{
    for (size_t i = 0; i < p->n_scopes; i++)
        if (strcmp(p->scopes[i].transport, transport) == 0 && strcmp(p->scopes[i].scope, scope) == 0)
            return &p->scopes[i].reqs;
    return NULL;
}

static int scope_visit(void *arg, const char *scope)
{
    scope_search *s = arg;
    s->found = scope_lookup(s->p, s->transport, scope);
    return s->found != NULL;
}

const policy_requirements *policy_requirements_for(const policy *p, const char *transport, const char *identity)
{
    scope_search s = {p, transport, NULL};
    if (identity[0] != '\0' && (scope_visit(&s, identity) || policy_namespaces(transport, identity, scope_visit, &s)))
        return s.found;
    const policy_requirements *r = scope_lookup(p, transport, "");
    return r != NULL ? r : &p->default_reqs;
}

int policy_requirements_read_image(const policy_requirements *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind != POLICY_INSECURE_ACCEPT_ANYTHING && r->items[i].kind != POLICY_REJECT)
            return 1;
    return 0;
}
