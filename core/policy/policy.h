/* core/policy/policy.h — containers-policy.json(5) as containers/image
 * v5.23.1 (Debian's skopeo 1.9.3) reads and applies it: the strict parsing of
 * signature/policy_config.go (its messages), the scope each transport's
 * images fall under (the identity, then its namespaces, then the
 * transport's "" scope, then "default"), and the evaluation of the
 * requirements against an image's manifest and signatures
 * (IsRunningImageAllowed): insecureAcceptAnything, reject, signedBy (GPG
 * simple signing, keyPath/keyPaths/keyData) and sigstoreSigned, with every
 * signedIdentity matcher.
 *
 * A policy is immutable once loaded and may be read by several threads at
 * once; evaluation keeps its state on the caller's stack (and in the
 * ephemeral GPG homes it creates and removes). Errors: -1 with one line in
 * err, c/image's text. */
#ifndef FERRY_CORE_POLICY_H
#define FERRY_CORE_POLICY_H

#include <stddef.h>

typedef struct policy policy;
typedef struct policy_requirements policy_requirements;

/* Loads `path`, or when NULL $HOME/.config/containers/policy.json if it
 * exists, else /etc/containers/policy.json. On failure err reads "Error
 * loading trust policy: ..." (a missing file, bad JSON, an invalid policy
 * as c/image words it: `invalid policy in "PATH": Unknown key "x"`). *out is
 * freed with policy_free. */
int policy_load(const char *path, policy **out, char *err, size_t errcap);

void policy_free(policy *p);

/* The requirements that apply to an image of `transport` whose policy
 * identity is `identity` (the transport's policy_identity; "" when it has
 * none): the most specific scope of that transport, else the default. The
 * pointer stays valid while p lives. */
const policy_requirements *policy_requirements_for(const policy *p, const char *transport, const char *identity);

/* Whether the requirements read the image (signedBy, sigstoreSigned,
 * signedBaseLayer): then policy_evaluate needs its manifest and signatures.
 * Otherwise policy_evaluate may be given a policy_image with only its name. */
int policy_requirements_read_image(const policy_requirements *r);

/* What the requirements are evaluated against. Borrowed for the call. */
typedef struct policy_image {
    const char *name;             /* "transport:reference" (transports.ImageName) for messages */
    const char *docker_reference; /* the image's own Docker reference ("host/repo:tag"), or NULL */
    const void *manifest;         /* the manifest whose signatures these are */
    size_t manifest_len;
    const void *const *signatures; /* containers/image signature blobs: raw OpenPGP, or 0x00 FORMAT '\n' DATA */
    const size_t *signature_lens;
    size_t n_signatures;
    const char *tmpdir;           /* where ephemeral GPG homes go (NULL: $TMPDIR, else /tmp) */
} policy_image;

/* IsRunningImageAllowed: every requirement in order, the first denial
 * reported. 0 when allowed, else -1 with the reason in err (without the
 * "Source image rejected: " the copy puts before it). */
int policy_evaluate(const policy_requirements *r, const policy_image *img, char *err, size_t errcap);

#endif
