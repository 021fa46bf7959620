/* tests/unit/test-reference-digest.c — "transport:rest" parsing and digest
 * validation/hashing, including the malformed inputs that must never become
 * paths (CVE-2024-3727). */
#include <string.h>

#include "image/digest.h"
#include "image/reference.h"
#include "tap.h"

#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int main(void)
{
    tap_plan(28);
    image_name n;
    char err[256];

    tap_ok(reference_parse("oci:/tmp/x:tag", &n, err, sizeof(err)) == 0, "oci reference parses");
    tap_is_str(n.transport, "oci", "transport is oci");
    tap_is_str(n.rest, "/tmp/x:tag", "rest keeps everything after the first colon");
    tap_ok(reference_parse("docker://busybox", &n, err, sizeof(err)) == 0 && strcmp(n.rest, "//busybox") == 0,
           "docker reference keeps its //");
    tap_ok(reference_parse("dir:", &n, err, sizeof(err)) == 0 && strcmp(n.rest, "") == 0, "empty rest is the plugin's to judge");
    tap_ok(reference_parse("busybox", &n, err, sizeof(err)) != 0 && strstr(err, "busybox") != NULL,
           "no colon is refused, naming the text");
    tap_ok(reference_parse(":x", &n, err, sizeof(err)) != 0, "empty transport refused");
    tap_ok(reference_parse("../evil:x", &n, err, sizeof(err)) != 0, "transport with path characters refused");
    tap_ok(reference_parse("OCI:x", &n, err, sizeof(err)) != 0, "upper-case transport refused");
    tap_ok(reference_transport_name_is_valid("docker-archive"), "docker-archive is a valid name");
    tap_ok(!reference_transport_name_is_valid("-x"), "leading dash refused");
    char repo[256];
    reference_repository("localhost:5000/ns/app:1.0", repo, sizeof(repo));
    tap_is_str(repo, "localhost:5000/ns/app", "repository drops the tag, keeps the port");
    reference_repository("docker.io/library/busybox@" SHA256_EMPTY, repo, sizeof(repo));
    tap_is_str(repo, "docker.io/library/busybox", "repository drops the digest");
    reference_repository("localhost:5000/app", repo, sizeof(repo));
    tap_is_str(repo, "localhost:5000/app", "untagged reference kept whole");
    reference_repository("localhost:5000/ns/app:1.0@" SHA256_EMPTY, repo, sizeof(repo));
    tap_is_str(repo, "localhost:5000/ns/app", "repository drops both a tag and a digest");

    tap_ok(digest_is_valid(SHA256_EMPTY), "valid sha256 digest");
    tap_ok(!digest_is_valid("sha256:../../x"), "path traversal digest refused");
    tap_ok(!digest_is_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
           "upper-case hex refused");
    tap_ok(!digest_is_valid("sha256:e3b0"), "short hex refused");
    tap_ok(!digest_is_valid(SHA256_EMPTY "00"), "long hex refused");
    tap_ok(!digest_is_valid("md5:d41d8cd98f00b204e9800998ecf8427e"), "unknown algorithm refused");
    tap_ok(!digest_is_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "missing algorithm refused");
    tap_ok(!digest_is_valid(NULL), "NULL refused");

    char out[DIGEST_MAX_LEN];
    tap_ok(digest_sha256("", 0, out, sizeof(out)) == 0, "hashing the empty string works");
    tap_is_str(out, SHA256_EMPTY, "sha256 of nothing");
    digest_hasher *h = digest_hasher_new("sha512");
    digest_hasher_update(h, "abc", 3);
    digest_hasher_final(h, out, sizeof(out));
    digest_hasher_free(h);
    tap_is_str(out,
               "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
               "454d4423643ce80e2a9ac94fa54ca49f",
               "sha512 of abc");
    tap_ok(digest_is_valid(out), "sha512 output validates");
    tap_ok(digest_hasher_new("md5") == NULL, "unknown algorithm gives no hasher");
    return tap_done();
}
