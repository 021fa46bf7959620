/* core/policy/policy_internal.h — the parsed form of a policy, shared by
 * the parser (policy.c), the scope lookup (policy_scope.c), the identity
 * matchers (policy_match.c) and the evaluation (policy_eval*.c). */
#ifndef FERRY_CORE_POLICY_INTERNAL_H
#define FERRY_CORE_POLICY_INTERNAL_H

#include <stddef.h>

#include "policy/policy.h"

typedef enum policy_match_kind {
    POLICY_MATCH_EXACT,
    POLICY_MATCH_REPO_DIGEST_OR_EXACT,
    POLICY_MATCH_REPOSITORY,
    POLICY_EXACT_REFERENCE,
    POLICY_EXACT_REPOSITORY,
    POLICY_REMAP_IDENTITY,
} policy_match_kind;

/* A signedIdentity. Strings malloc'd, owned by the requirement. */
typedef struct policy_match {
    policy_match_kind kind;
    char *reference;     /* exactReference's dockerReference, exactRepository's dockerRepository */
    char *prefix;        /* remapIdentity */
    char *signed_prefix; /* remapIdentity */
} policy_match;

typedef enum policy_requirement_kind {
    POLICY_INSECURE_ACCEPT_ANYTHING,
    POLICY_REJECT,
    POLICY_SIGNED_BY,
    POLICY_SIGSTORE_SIGNED,
    POLICY_SIGNED_BASE_LAYER,
} policy_requirement_kind;

typedef struct policy_requirement {
    policy_requirement_kind kind;
    char *key_type;        /* signedBy: "GPGKeys", ... */
    char **key_paths;      /* keyPath (one) or keyPaths; NULL when keyData */
    size_t n_key_paths;
    unsigned char *key_data; /* keyData, base64-decoded; NULL when a path */
    size_t key_data_len;
    policy_match identity; /* signedIdentity (default matchRepoDigestOrExact) */
    int fulcio, rekor;     /* sigstoreSigned asks for Fulcio certificates / Rekor entries */
} policy_requirement;

struct policy_requirements {
    policy_requirement *items;
    size_t n;
    char *where; /* "default in PATH", "transports.dir[\"/x\"] in PATH": for messages */
};

typedef struct policy_scope {
    char *transport;
    char *scope;
    policy_requirements reqs;
} policy_scope;

struct policy {
    char *path;
    policy_requirements default_reqs;
    policy_scope *scopes;
    size_t n_scopes;
};

/* policy_scope.c: whether `scope` may be a scope of `transport` (an invalid
 * one is an unknown key to c/image); and the namespaces of an identity,
 * most specific first, each passed to visit until it returns nonzero. */
int policy_scope_valid(const char *transport, const char *scope);
int policy_namespaces(const char *transport, const char *identity, int (*visit)(void *arg, const char *scope),
                      void *arg);

/* policy_match.c: whether a signature's docker reference (len bytes) is
 * accepted for the image (its own reference, or NULL when it has none). */
int policy_match_accepts(const policy_match *m, const char *image_reference, const char *signed_reference,
                         size_t len);

/* The signedIdentity rule as a simple_signing_reference_check callback
 * (arg: a policy_identity_rule): "Signature for identity \"R\" is not accepted" (Go %q). */
typedef struct policy_identity_rule {
    const policy_match *match;
    const char *image_reference;
} policy_identity_rule;
int policy_identity_check(void *arg, const char *signed_reference, size_t len, char *err, size_t errcap);

/* policy_eval_sigstore.c: the sigstoreSigned requirement; 0 allowed, else
 * -1 with the reason. */
int policy_eval_sigstore(const policy_requirement *req, const policy_image *img, char *err, size_t errcap);

#endif
