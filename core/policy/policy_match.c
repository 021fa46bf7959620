/* core/policy/policy_match.c — the signedIdentity matchers of
 * containers/image v5.23.1 (signature/policy_reference_match.go): whether
 * the docker reference a signature names is accepted for the image, given
 * the image's own Docker reference (NULL for transports without one: then
 * only exactReference and exactRepository can match). A reference that does
 * not parse never matches; the caller words the rejection. */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/docker_ref.h"
#include "inspect/template_internal.h"
#include "signature/simple_signing.h"

static int parse(const char *s, size_t n, docker_ref *out)
{
    char err[256];
    return docker_ref_parse_normalized(s, n, out, err, sizeof(err));
}

static int name_only(const docker_ref *r)
{
    return r->tag == NULL && r->digest == NULL;
}

/* Name(): the reference without tag and digest. */
static int same_name(const docker_ref *a, const docker_ref *b)
{
    return strcmp(a->domain, b->domain) == 0 && strcmp(a->path, b->path) == 0;
}

/* matchRepoDigestOrExactReferenceValues. */
static int repo_digest_or_exact(const docker_ref *intended, const docker_ref *sig)
{
    if (name_only(sig))
        return 0;
    if (intended->tag != NULL)
        return strcmp(sig->string, intended->string) == 0;
    if (intended->digest != NULL)
        return same_name(sig, intended);
    return 0;
}

/* remapReferencePrefix: intended with prefix replaced by signed_prefix when
 * its name is prefix or below it; re-parsed strictly (ParseNamed). -1 when
 * the rewritten reference does not parse or is not canonical. */
static int remap(const policy_match *m, docker_ref *intended)
{
    char name[2048];
    snprintf(name, sizeof(name), "%s%s%s", intended->domain, intended->domain[0] ? "/" : "", intended->path);
    size_t plen = strlen(m->prefix), nlen = strlen(name);
    if (nlen < plen || strncmp(name, m->prefix, plen) != 0 || (nlen > plen && name[plen] != '/'))
        return 0;
    /* strings.Replace(refString, prefix, signedPrefix, 1): the first occurrence. */
    const char *at = strstr(intended->string, m->prefix);
    if (at == NULL)
        return -1;
    size_t before = (size_t)(at - intended->string);
    size_t n = before + strlen(m->signed_prefix) + strlen(at + plen) + 1;
    char *rewritten = malloc(n);
    if (rewritten == NULL)
        return -1;
    snprintf(rewritten, n, "%.*s%s%s", (int)before, intended->string, m->signed_prefix, at + plen);
    docker_ref parsed = {0};
    int rc = parse(rewritten, strlen(rewritten), &parsed);
    if (rc == 0 && strcmp(parsed.string, rewritten) != 0) {
        docker_ref_free(&parsed);
        rc = -1;
    }
    free(rewritten);
    if (rc != 0)
        return -1;
    docker_ref_free(intended);
    *intended = parsed;
    return 0;
}

int policy_match_accepts(const policy_match *m, const char *image_reference, const char *signed_reference,
                         size_t len)
{
    docker_ref intended = {0}, sig = {0};
    int ok = 0;
    switch (m->kind) {
    case POLICY_EXACT_REFERENCE:
    case POLICY_EXACT_REPOSITORY:
        if (parse(m->reference, strlen(m->reference), &intended) != 0)
            return 0;
        break;
    default:
        if (image_reference == NULL || parse(image_reference, strlen(image_reference), &intended) != 0)
            return 0;
        break;
    }
    if (parse(signed_reference, len, &sig) != 0) {
        docker_ref_free(&intended);
        return 0;
    }
    switch (m->kind) {
    case POLICY_MATCH_EXACT:
    case POLICY_EXACT_REFERENCE:
        ok = !name_only(&intended) && !name_only(&sig) && strcmp(sig.string, intended.string) == 0;
        break;
    case POLICY_MATCH_REPO_DIGEST_OR_EXACT:
        ok = repo_digest_or_exact(&intended, &sig);
        break;
    case POLICY_MATCH_REPOSITORY:
    case POLICY_EXACT_REPOSITORY:
        ok = same_name(&sig, &intended);
        break;
    case POLICY_REMAP_IDENTITY:
        ok = remap(m, &intended) == 0 && repo_digest_or_exact(&intended, &sig);
        break;
    }
    docker_ref_free(&intended);
    docker_ref_free(&sig);
    return ok;
}

int policy_identity_check(void *arg, const char *signed_reference, size_t len, char *err, size_t errcap)
{
    const policy_identity_rule *rule = arg;
    if (policy_match_accepts(rule->match, rule->image_reference, signed_reference, len))
        return 0;
    /* Go's %q, as containers/image words it. */
    strbuf quoted = STRBUF_INIT;
    template_quote(&quoted, signed_reference, len, '"');
    snprintf(err, errcap, "Signature for identity %s is not accepted", quoted.data ? quoted.data : "\"\"");
    strbuf_release(&quoted);
    return -1;
}
