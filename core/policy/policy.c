/* core/policy/policy.c — trust policy evaluation: default, per-transport
 * scopes (most specific wins: the identity, then its enclosing namespaces,
 * then the transport's "" scope), requirement types. Signature requirements
 * need signature verification, which ferry does not have yet: such a policy
 * refuses the image with a message saying so rather than accepting it. */
#include "policy/policy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *policy_load(const char *path, char *used, size_t usedcap, char *err, size_t errcap)
{
    char home_policy[4096] = "";
    const char *home = getenv("HOME");
    if (path == NULL) {
        if (home != NULL)
            snprintf(home_policy, sizeof(home_policy), "%s/.config/containers/policy.json", home);
        path = home_policy[0] && access(home_policy, F_OK) == 0 ? home_policy : "/etc/containers/policy.json";
    }
    snprintf(used, usedcap, "%s", path);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        if (access(path, F_OK) != 0)
            snprintf(err, errcap, "error loading trust policy: %s does not exist (use --policy or --insecure-policy)",
                     path);
        else
            snprintf(err, errcap, "error loading trust policy %s: %s at line %d", path, jerr.text, jerr.line);
        return NULL;
    }
    if (!json_is_object(root) || !json_is_array(json_object_get(root, "default"))) {
        snprintf(err, errcap, "invalid trust policy %s: a \"default\" requirement list is required", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The scope entry that applies: identity, its namespaces, "" of the transport. */
static const json_t *policy_requirements(const json_t *root, const char *transport, const char *identity)
{
    const json_t *scopes = json_object_get(json_object_get(root, "transports"), transport);
    if (json_is_object(scopes)) {
        char scope[4096];
        snprintf(scope, sizeof(scope), "%s", identity);
        for (;;) {
            const json_t *reqs = json_object_get(scopes, scope);
            if (json_is_array(reqs))
                return reqs;
            /* Next enclosing namespace: drop ":tag" then one path component. */
            char *cut = strrchr(scope, ':');
            char *slash = strrchr(scope, '/');
            if (cut != NULL && (slash == NULL || cut > slash))
                *cut = '\0';
            else if (slash != NULL && slash != scope)
                *slash = '\0';
            else
                break;
        }
        const json_t *reqs = json_object_get(scopes, "");
        if (json_is_array(reqs))
            return reqs;
    }
    return json_object_get(root, "default");
}

int policy_check(const char *path, const char *transport, const char *identity, char *err, size_t errcap)
{
    char used[4096];
    json_t *root = policy_load(path, used, sizeof(used), err, errcap);
    if (root == NULL)
        return -1;
    const json_t *reqs = policy_requirements(root, transport, identity);
    int rc = 0;
    if (json_array_size(reqs) == 0) {
        snprintf(err, errcap, "invalid trust policy %s: empty requirement list for %s:%s", used, transport, identity);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(reqs); i++) {
        const char *type = json_string_value(json_object_get(json_array_get(reqs, i), "type"));
        if (type == NULL) {
            snprintf(err, errcap, "invalid trust policy %s: requirement without a \"type\"", used);
            rc = -1;
        } else if (strcmp(type, "insecureAcceptAnything") == 0) {
            continue;
        } else if (strcmp(type, "reject") == 0) {
            snprintf(err, errcap, "source image rejected: running image %s:%s is rejected by policy %s", transport,
                     identity, used);
            rc = -1;
        } else if (strcmp(type, "signedBy") == 0 || strcmp(type, "sigstoreSigned") == 0) {
            snprintf(err, errcap,
                     "source image rejected: policy %s requires a \"%s\" signature for %s:%s, and ferry cannot "
                     "verify signatures yet",
                     used, type, transport, identity);
            rc = -1;
        } else {
            snprintf(err, errcap, "invalid trust policy %s: unknown requirement type \"%s\"", used, type);
            rc = -1;
        }
    }
    json_decref(root);
    return rc;
}
