/* tests/unit/test-policy.c — the trust policy's scopes and identity
 * matchers (core/policy/): which scope each transport's identity falls under
 * (containers/image v5.23.1's PolicyConfigurationNamespaces of docker, dir,
 * oci, containers-storage, ostree), which scopes a transport refuses, and
 * every signedIdentity matcher on the cases signature/policy_reference_match.go
 * distinguishes (tag vs digest vs name-only, repositories, remapping). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy_internal.h"
#include "tap.h"

static char policy_path[256];

/* Loads a policy whose scopes of `transport` are `scopes` (NULL-terminated),
 * each a signedBy requirement whose keyPath is "/" + its index, so the
 * chosen scope can be read back. "" is allowed; the default is a reject. */
static policy *load_scopes(const char *transport, const char *const *scopes, char *err, size_t errcap)
{
    FILE *f = fopen(policy_path, "w");
    if (f == NULL)
        return NULL;
    fprintf(f, "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"%s\":{", transport);
    for (size_t i = 0; scopes[i] != NULL; i++)
        fprintf(f, "%s\"%s\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/%zu\"}]", i ? "," : "",
                scopes[i], i);
    fprintf(f, "}}}");
    fclose(f);
    policy *p = NULL;
    if (policy_load(policy_path, &p, err, errcap) != 0)
        return NULL;
    return p;
}

/* The scope chosen for identity: its text, or "default". */
static const char *chosen(const char *transport, const char *const *scopes, const char *identity)
{
    static char out[1200];
    char err[1024];
    policy *p = load_scopes(transport, scopes, err, sizeof(err));
    if (p == NULL) {
        snprintf(out, sizeof(out), "load failed: %s", err);
        return out;
    }
    const policy_requirements *r = policy_requirements_for(p, transport, identity);
    if (r->items[0].kind == POLICY_REJECT)
        snprintf(out, sizeof(out), "default");
    else
        snprintf(out, sizeof(out), "%s", scopes[atoi(r->items[0].key_paths[0] + 1)]);
    policy_free(p);
    return out;
}

/* Drops scopes one at a time, most specific first, checking that each in
 * turn is the one chosen. */
static void walk(const char *transport, const char *identity, const char *const *most_specific_first, size_t n)
{
    for (size_t start = 0; start <= n; start++) {
        const char *scopes[16] = {0};
        for (size_t i = start; i < n; i++)
            scopes[i - start] = most_specific_first[n - 1 - (i - start)]; /* file order: least specific first */
        char name[600];
        snprintf(name, sizeof(name), "%s %s: %s", transport, identity,
                 start < n ? most_specific_first[start] : "default");
        tap_is_str(chosen(transport, scopes, identity), start < n ? most_specific_first[start] : "default", name);
    }
}

static void test_scopes(void)
{
    static const char *const docker[] = {"127.0.0.1:5000/ns/repo:tag", "127.0.0.1:5000/ns/repo", "127.0.0.1:5000/ns",
                                         "127.0.0.1:5000", "*.0.0.1", "*.0.1", "*.1", ""};
    walk("docker", "127.0.0.1:5000/ns/repo:tag", docker, 8);
    static const char *const digested[] = {"quay.io/a/b", "quay.io/a", "quay.io", "*.io"};
    walk("docker",
         "quay.io/a/b@sha256:0123456789012345678901234567890123456789012345678901234567890123", digested, 4);
    static const char *const dir[] = {"/a/b/c", "/a/b", "/a", ""};
    walk("dir", "/a/b/c", dir, 4);
    walk("oci", "/a/b/c", dir, 4);
    static const char *const storage[] = {
        "[overlay@/var/lib/containers/storage]docker.io/library/busybox:latest",
        "[overlay@/var/lib/containers/storage]docker.io/library/busybox",
        "[overlay@/var/lib/containers/storage]docker.io/library",
        "[overlay@/var/lib/containers/storage]docker.io",
        "[overlay@/var/lib/containers/storage]",
        "[/var/lib/containers/storage]",
    };
    walk("containers-storage", "[overlay@/var/lib/containers/storage]docker.io/library/busybox:latest", storage, 6);
    static const char *const ostree[] = {"/ostree/repo:ns/busybox:latest", "/ostree/repo:ns/busybox",
                                         "/ostree/repo:ns"};
    walk("ostree", "/ostree/repo:ns/busybox:latest", ostree, 3);
    static const char *const other[] = {"anything at all", ""};
    walk("third-party", "anything at all", other, 2);
    /* A third-party identity's namespaces: its prefixes before each '/'. */
    static const char *const other_path[] = {"/srv/images/app", "/srv/images", "/srv", ""};
    walk("third-party", "/srv/images/app", other_path, 4);
    static const char *const other_name[] = {"bucket/team/app:1", "bucket/team", "bucket", ""};
    walk("third-party", "bucket/team/app:1", other_name, 4);
    static const char *const other_sibling[] = {"bucket/tea", NULL};
    tap_is_str(chosen("third-party", other_sibling, "bucket/team/app:1"), "default",
               "third-party: bucket/tea is not a namespace of bucket/team/app:1");
    /* Not a namespace: another repository sharing a prefix. */
    static const char *const sibling[] = {"127.0.0.1:5000/ns/rep", NULL};
    tap_is_str(chosen("docker", sibling, "127.0.0.1:5000/ns/repo:tag"), "default",
               "docker: a repository is not a namespace of a longer name");
    static const char *const root[] = {"/a/b", NULL};
    tap_is_str(chosen("dir", root, "/a/bc"), "default", "dir: /a/b is not a parent of /a/bc");
    /* Scopes a transport refuses are unknown keys to c/image. */
    static const struct {
        const char *transport, *scope, *error;
    } refused[] = {
        {"dir", "relative/path", "Unknown key \"relative/path\""},
        {"dir", "/", "Unknown key \"/\""},
        {"oci", "/a/../b", "Unknown key \"/a/../b\""},
        {"oci-archive", "/a/b/", "Unknown key \"/a/b/\""},
        {"sif", "images/app.sif", "Unknown key \"images/app.sif\""},
        {"docker-archive", "/a.tar", "Unknown key \"/a.tar\""},
        {"docker-daemon", "sha256:0123456789012345678901234567890123456789012345678901234567890123",
         "Unknown key \"sha256:0123456789012345678901234567890123456789012345678901234567890123\""},
        {"containers-storage", "docker.io/busybox", "Unknown key \"docker.io/busybox\""},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *scopes[] = {refused[i].scope, NULL};
        char err[1024] = "", name[256];
        policy *p = load_scopes(refused[i].transport, scopes, err, sizeof(err));
        policy_free(p);
        snprintf(name, sizeof(name), "%s scope %s refused", refused[i].transport, refused[i].scope);
        tap_ok(p == NULL && strstr(err, refused[i].error) != NULL, "%s", name);
    }
}

static void test_matchers(void)
{
    static const char *const dig = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
    char digested[256], sig_digested[256], other_digested[256];
    snprintf(digested, sizeof(digested), "docker.io/library/busybox@%s", dig);
    snprintf(sig_digested, sizeof(sig_digested), "busybox@%s", dig);
    snprintf(other_digested, sizeof(other_digested), "busybox@sha256:%064d", 0);
    static const policy_match exact = {POLICY_MATCH_EXACT, NULL, NULL, NULL};
    static const policy_match repo_digest = {POLICY_MATCH_REPO_DIGEST_OR_EXACT, NULL, NULL, NULL};
    static const policy_match repository = {POLICY_MATCH_REPOSITORY, NULL, NULL, NULL};
    const policy_match exact_ref = {POLICY_EXACT_REFERENCE, "quay.io/a/b:t", NULL, NULL};
    const policy_match exact_repo = {POLICY_EXACT_REPOSITORY, "quay.io/a/b", NULL, NULL};
    const policy_match remap = {POLICY_REMAP_IDENTITY, NULL, "example.com/mirror", "docker.io"};
    const policy_match remap_ns = {POLICY_REMAP_IDENTITY, NULL, "example.com/mirror", "docker.io/library"};
    const struct {
        const policy_match *m;
        const char *image, *sig;
        int want;
        const char *name;
    } cases[] = {
        {&exact, "docker.io/library/busybox:latest", "busybox:latest", 1, "matchExact: the same tag, normalised"},
        {&exact, "docker.io/library/busybox:latest", "busybox", 0, "matchExact: a name-only signature"},
        {&exact, "docker.io/library/busybox:latest", "busybox:other", 0, "matchExact: another tag"},
        {&exact, digested, sig_digested, 1, "matchExact: the same digest"},
        {&exact, digested, "busybox:latest", 0, "matchExact: a tag for a digest"},
        {&exact, NULL, "busybox:latest", 0, "matchExact: an image without a docker reference"},
        {&repo_digest, "docker.io/library/busybox:latest", "busybox:latest", 1, "matchRepoDigestOrExact: exact tag"},
        {&repo_digest, "docker.io/library/busybox:latest", "busybox:other", 0, "matchRepoDigestOrExact: tag differs"},
        {&repo_digest, digested, "busybox:anything", 1, "matchRepoDigestOrExact: a digest image, any tag of its repo"},
        {&repo_digest, digested, other_digested, 1, "matchRepoDigestOrExact: a digest image, another digest"},
        {&repo_digest, digested, "other:latest", 0, "matchRepoDigestOrExact: a digest image, another repository"},
        {&repo_digest, digested, "busybox", 0, "matchRepoDigestOrExact: a name-only signature"},
        {&repo_digest, NULL, "busybox:latest", 0, "matchRepoDigestOrExact: no docker reference"},
        {&repository, "docker.io/library/busybox:latest", "busybox:other", 1, "matchRepository: another tag"},
        {&repository, "docker.io/library/busybox:latest", "busybox", 1, "matchRepository: name only"},
        {&repository, "docker.io/library/busybox:latest", "quay.io/busybox:latest", 0,
         "matchRepository: another registry"},
        {&repository, NULL, "busybox:latest", 0, "matchRepository: no docker reference"},
        {&exact_ref, NULL, "quay.io/a/b:t", 1, "exactReference: the image's own reference does not matter"},
        {&exact_ref, "docker.io/library/busybox:latest", "quay.io/a/b:t", 1, "exactReference: whatever the image"},
        {&exact_ref, NULL, "quay.io/a/b", 0, "exactReference: a name-only signature"},
        {&exact_ref, NULL, "quay.io/a/b:u", 0, "exactReference: another tag"},
        {&exact_repo, NULL, "quay.io/a/b:u", 1, "exactRepository: any tag"},
        {&exact_repo, NULL, "quay.io/a/b", 1, "exactRepository: name only"},
        {&exact_repo, NULL, "quay.io/a/c:u", 0, "exactRepository: another repository"},
        {&remap, "example.com/mirror/library/busybox:latest", "docker.io/library/busybox:latest", 1,
         "remapIdentity: the prefix replaced"},
        {&remap, "example.com/mirror/library/busybox:latest", "example.com/mirror/library/busybox:latest", 0,
         "remapIdentity: the unmapped name no longer matches"},
        {&remap, "example.com/mirrorx/busybox:latest", "example.com/mirrorx/busybox:latest", 1,
         "remapIdentity: a name outside the prefix is compared as is"},
        {&remap, "example.com/mirrorx/busybox:latest", "docker.io/busybox:latest", 0,
         "remapIdentity: a longer path component is not below the prefix"},
        {&remap_ns, "example.com/mirror/busybox:1", "busybox:1", 1, "remapIdentity: into docker.io/library"},
        {&remap, NULL, "docker.io/library/busybox:latest", 0, "remapIdentity: no docker reference"},
        {&exact, "docker.io/library/busybox:latest", "BusyBox:latest", 0, "an invalid signed reference never matches"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tap_is_int(policy_match_accepts(cases[i].m, cases[i].image, cases[i].sig, strlen(cases[i].sig)),
                   cases[i].want, cases[i].name);
    /* A NUL inside the signed reference makes it invalid. */
    tap_is_int(policy_match_accepts(&exact_repo, NULL, "quay.io/a/b\0:x", 15), 0, "a NUL in the signed reference");
}

static void test_parse(void)
{
    static const struct {
        const char *json, *error; /* error NULL: loads */
    } cases[] = {
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"aGVsbG8=\"}]}", NULL},
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"not base64!\"}]}", "base64"},
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[\"/a\",\"/b\"]}]}", NULL},
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":\"/a\"}]}",
         "cannot unmarshal string"},
        {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"keyData\":\"aGVsbG8=\"}]}",
         "keyPath and keyData cannot be used simultaneously"},
        {"{\"default\":[{\"type\":\"sigstoreSigned\"}]}", "At least one of keyPath and keyData must be specified"},
        {"{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"signedIdentity\":{\"type\":\"matchExact\","
         "\"x\":1}}]}",
         "Unknown key \"x\""},
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/a\",\"signedIdentity\":"
         "{\"type\":\"remapIdentity\",\"prefix\":\"example.com:5000/ns\",\"signedPrefix\":\"localhost\"}}]}",
         NULL},
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/a\",\"signedIdentity\":"
         "{\"type\":\"remapIdentity\",\"prefix\":\"example.com/\",\"signedPrefix\":\"localhost\"}}]}",
         "prefix \"example.com/\" is not valid"},
        {"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/a\",\"signedIdentity\":"
         "{\"type\":\"exactRepository\",\"dockerRepository\":\"UPPER\"}}]}",
         "Invalid format of dockerRepository UPPER"},
        {"{\"default\":[{\"type\":\"signedBaseLayer\"}]}", "baseLayerIdentity not specified"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = fopen(policy_path, "w");
        if (f != NULL) {
            fputs(cases[i].json, f);
            fclose(f);
        }
        policy *p = NULL;
        char err[1024] = "";
        int rc = policy_load(policy_path, &p, err, sizeof(err));
        if (cases[i].error == NULL)
            tap_ok(rc == 0, "loads: %s%s%s", cases[i].json, rc ? " — " : "", rc ? err : "");
        else
            tap_ok(rc != 0 && strstr(err, cases[i].error) != NULL, "refused (%s): %s", cases[i].error, err);
        policy_free(p);
    }
}

int main(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    tap_plan(47 + 33 + 11 + 11);
    snprintf(policy_path, sizeof(policy_path), "%s/ferry-test-policy.%ld.json", tmp, (long)getpid());
    test_scopes();
    test_matchers();
    test_parse();
    unlink(policy_path);
    return tap_done();
}
