/* tests/unit/test-schema1.c — Docker schema 1 manifests against what
 * Debian's skopeo 1.9.3 wrote (tests/unit/fixtures/schema1, made by its
 * regen.sh): parsing with containers/image's validation, manifest digests,
 * both conversions byte for byte, libtrust signatures made and checked (also
 * by python3-cryptography when it is installed), and refused input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/schema1.h"
#include "shared/base64.h"
#include "shared/fsutil.h"
#include "shared/strbuf.h"
#include "tap.h"

/* image A: docker v2s2, its layers and DiffIDs */
#define A_L0 "sha256:dae3af704c09267922049a2b14dc3b49cf2bba96b81c97f461243ef2036974b2"
#define A_L1 "sha256:091af0d799ed75dc5b7e16d9e746d0eb79801fd0d348bd664bb4e1a70e83efcd"
#define A_D0 "sha256:aee3c2bfd5804fe239e844c5fee31b64708edeccecc692ba333c61fb95bad657"
#define A_D1 "sha256:062f3eae9b54397d6eca4709ba25338da6e9fa0837c2bf32a9cf735a5f469ea5"
/* image B: OCI */
#define B_L0 "sha256:8c7d5099c805ce84b91641ee4d4ff8cf3df46d496b3101b40dceff2f9b3817cd"
#define B_L1 "sha256:97e951f6604f56f4ceac6708a9a47a3ddac3888e23169010934bf0f05b833c5f"
#define B_D0 "sha256:14742b37c07172085f7c3dc5b600483897d7fa91b6678819bb47a9f0e19cdaa8"
#define B_D1 "sha256:cff192b76e110fc4560ac6c59b3d5836fe3921881d9c77d7582fadec64d986da"
/* image D: uncompressed layers, and as --dest-compress wrote them */
#define D_SRC0 "sha256:f0268e23a803829dba8434812fe5b141bcb593cb7db702ae2307bab0ec0aed1c"
#define D_SRC1 "sha256:5b6cc5856f2019fd49173982ac312bf473ab7a7a989978a811079848da7a0ba3"
#define D_GZ0 "sha256:0376a6767f3c3820bc1ad0bc6c41404d9a895fc57cef6eec51b08c586bb3c242"
#define D_GZ1 "sha256:1d506977aed595469898e74dfadf96887c980b231348211aec3353d08599ce55"
/* DiffID of the empty tar the empty layer holds */
#define EMPTY_TAR "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
#define SHA256_NOTHING "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* `skopeo manifest-digest` of the fixtures */
#define A_DIGEST "sha256:a87cc881537e2fdc44ac5ba9a7f4d080b3e10c4a76fb47df77dfa661c6c60a7a"
#define B_DIGEST "sha256:f5e6084de63485610ea153d1a8401535096fa6de61b51cd8b212147f4efd4cce"
#define C_DIGEST "sha256:9d7c3ba2bf45a1d3258a496a66747a134861e8193254cfcf3710c23b190dc19a"
#define D_DIGEST "sha256:9b40752acf1528ccf45dbc36c32e72e763b4b1cb1f9ec6d0b674da35c1e8906a"

#define ID1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222222222222222222222222222"
#define ID3 "3333333333333333333333333333333333333333333333333333333333333333"

typedef struct blob {
    char *data; /* NUL-terminated; NULL when the file could not be read */
    size_t len;
} blob;

static const char *fixture_dir(void)
{
    static char dir[4096];
    const char *src = getenv("SRCDIR");
    snprintf(dir, sizeof dir, "%s/tests/unit/fixtures/schema1", src && *src ? src : ".");
    return dir;
}

static blob load(const char *name)
{
    char path[4200];
    blob b = {NULL, 0};
    snprintf(path, sizeof path, "%s/%s", fixture_dir(), name);
    strbuf sb = STRBUF_INIT;
    if (fs_read_file(path, &sb) != 0) {
        tap_diag("cannot read %s", path);
        strbuf_release(&sb);
        return b;
    }
    b.data = strbuf_detach(&sb, &b.len);
    return b;
}

static int same_bytes(const char *got, size_t got_len, const blob *want)
{
    return got && want->data && got_len == want->len && memcmp(got, want->data, got_len) == 0;
}

/* Reports a byte comparison, with where the first difference is. */
static void is_bytes(const char *got, size_t got_len, const blob *want, const char *name)
{
    if (tap_ok(same_bytes(got, got_len, want), "%s", name) || got == NULL || want->data == NULL)
        return;
    size_t i = 0;
    while (i < got_len && i < want->len && got[i] == want->data[i])
        i++;
    tap_diag("  lengths %zu and %zu, first difference at byte %zu", got_len, want->len, i);
    tap_diag("  got:  %.80s", got + (i > 20 ? i - 20 : 0));
    tap_diag("  want: %.80s", want->data + (i > 20 ? i - 20 : 0));
}

static int ends_with(const char *s, size_t len, const char *tail)
{
    size_t n = strlen(tail);
    return s != NULL && len >= n && memcmp(s + len - n, tail, n) == 0;
}

static int one_line_error(int rc, const char *err, const char *want)
{
    return rc == -1 && strstr(err, want) != NULL && strchr(err, '\n') == NULL;
}

static void digest_is(const blob *b, const char *want, const char *name)
{
    char d[DIGEST_MAX_LEN] = "", err[512] = "";
    int rc = b->data ? schema1_digest(b->data, b->len, d, sizeof d, err, sizeof err) : -1;
    if (!tap_is_str(rc == 0 ? d : err, want, name))
        tap_diag("  rc %d", rc);
}

static void bad_parse(const char *json, const char *want, const char *name)
{
    char err[512] = "";
    schema1_manifest *m = NULL;
    int rc = schema1_parse(json, strlen(json), &m, err, sizeof err);
    if (!tap_ok(one_line_error(rc, err, want) && m == NULL, "refused: %s", name))
        tap_diag("  rc %d, err: %s", rc, err);
    schema1_free(m);
}

static void bad_digest(const char *json, const char *want, const char *name)
{
    char d[DIGEST_MAX_LEN], err[512] = "";
    int rc = schema1_digest(json, strlen(json), d, sizeof d, err, sizeof err);
    if (!tap_ok(one_line_error(rc, err, want), "digest refused: %s", name))
        tap_diag("  rc %d, err: %s", rc, err);
}

/* An unsigned manifest of entries (id, parent or "", blobSum), top first;
 * `extra` is added as the first members. The caller frees it. */
static char *mk_manifest(const char *extra, size_t n, const char *const *ids, const char *const *parents,
                         const char *const *sums)
{
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "{%s\"schemaVersion\":1,\"fsLayers\":[", extra);
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&sb, "%s{\"blobSum\":\"%s\"}", i ? "," : "", sums[i]);
    strbuf_puts(&sb, "],\"history\":[");
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(&sb, "%s{\"v1Compatibility\":\"{\\\"id\\\":\\\"%s\\\"", i ? "," : "", ids[i]);
        if (parents[i][0])
            strbuf_printf(&sb, ",\\\"parent\\\":\\\"%s\\\"", parents[i]);
        strbuf_puts(&sb, ",\\\"created\\\":\\\"2020-01-02T03:04:05Z\\\"}\"}");
    }
    strbuf_puts(&sb, "]}");
    return strbuf_detach(&sb, NULL);
}

/* `payload` (compact, ending in '}') with a "signatures" member whose one
 * signature has the given protected header (JSON, base64url-encoded here)
 * and header; nothing in it is a valid signature. */
static char *mk_signed(const char *payload, const char *protected_json, const char *header)
{
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, payload, strlen(payload) - 1);
    strbuf_printf(&sb, ",\"signatures\":[{\"header\":%s,\"signature\":\"AAAA\",\"protected\":\"", header);
    base64url_append(&sb, (const unsigned char *)protected_json, strlen(protected_json), 0);
    strbuf_puts(&sb, "\"}]}");
    return strbuf_detach(&sb, NULL);
}

static void test_parse(const blob *a, const blob *c)
{
    char err[512] = "";
    schema1_manifest *m = NULL;
    tap_ok(a->data && schema1_parse(a->data, a->len, &m, err, sizeof err) == 0, "A (signed, by skopeo) parses");
    if (m == NULL) {
        tap_diag("  %s", err);
        for (int i = 0; i < 4; i++)
            tap_ok(0, "A parsed");
        return;
    }
    tap_ok(m->n == 4 && strcmp(m->name, "") == 0 && strcmp(m->tag, "") == 0 &&
               strcmp(m->architecture, "amd64") == 0 && m->is_signed,
           "A: 4 entries, no name or tag, amd64, signed");
    schema1_layer_info *li = schema1_layer_infos(m);
    tap_ok(li && strcmp(li[0].digest, A_L0) == 0 && !li[0].empty &&
               strcmp(li[1].digest, SCHEMA1_EMPTY_LAYER_DIGEST) == 0 && li[1].empty &&
               strcmp(li[2].digest, A_L1) == 0 && !li[2].empty && li[3].empty,
           "A: layers bottom-up with the throwaway ones marked");
    free(li);
    const schema1_history *h = m->history;
    tap_ok(h[0].throwaway && strcmp(h[0].author, "Ann <ann@example.com>") == 0 && h[1].n_cmd == 1 &&
               strcmp(h[1].cmd[0], "/bin/sh -c #(nop) ADD layer 1") == 0 && strcmp(h[0].parent, h[1].id) == 0 &&
               h[3].parent_len == 0 && gotime_is_zero(&h[2].created) && !gotime_is_zero(&h[1].created),
           "A: v1Compatibility entries decoded (author, Cmd, parents, created)");
    size_t n = 0;
    const char **l2 = schema1_schema2_layers(m, &n);
    tap_ok(l2 && n == 2 && strcmp(l2[0], A_L0) == 0 && strcmp(l2[1], A_L1) == 0,
           "A: a schema 2 manifest lists the two non-throwaway layers");
    free(l2);
    schema1_free(m);

    m = NULL;
    int rc = c->data ? schema1_parse(c->data, c->len, &m, err, sizeof err) : -1;
    tap_ok(rc == 0 && m->n == 3 && strcmp(m->name, "old/img") == 0 && strcmp(m->tag, "v1") == 0 && !m->is_signed &&
               m->history[1].n_cmd == 3 && strcmp(m->history[1].cmd[2], "#(nop) ADD file") == 0,
           "C (unsigned): the consecutive duplicate entry is dropped, the older one kept");
    if (rc == 0) {
        l2 = schema1_schema2_layers(m, &n);
        tap_ok(l2 && n == 3 && strcmp(l2[0], A_L0) == 0 && strcmp(l2[1], A_L1) == 0 &&
                   strcmp(l2[2], SCHEMA1_EMPTY_LAYER_DIGEST) == 0,
               "C: its three layers for schema 2");
        free(l2);
    } else {
        tap_diag("  %s", err);
        tap_ok(0, "C: its three layers for schema 2");
    }
    schema1_free(m);
}

/* The config of a schema 1 image copied as v2s2, against skopeo's. */
static void to_schema2_is(const blob *s1, const char *const *diff_ids, size_t n, const blob *want, const char *name)
{
    char err[512] = "", *config = NULL;
    size_t len = 0;
    schema1_manifest *m = NULL;
    if (s1->data && schema1_parse(s1->data, s1->len, &m, err, sizeof err) == 0)
        schema1_to_schema2_config(m, diff_ids, n, &config, &len, err, sizeof err);
    is_bytes(config, len, want, name);
    if (config == NULL)
        tap_diag("  %s", err);
    free(config);
    schema1_free(m);
}

/* schema1_from_schema2's payload against that of skopeo's manifest. */
static void from_schema2_is(const blob *config, const schema1_build *in, const blob *skopeo, int want_empty,
                            const char *name)
{
    schema1_build b = *in;
    char err[512] = "", *payload = NULL, *want = NULL;
    size_t len = 0, want_len = 0;
    int uses_empty = -1;
    b.config = config->data;
    b.config_len = config->len;
    if (config->data && skopeo->data &&
        schema1_payload(skopeo->data, skopeo->len, &want, &want_len, err, sizeof err) == 0)
        schema1_from_schema2(&b, &payload, &len, &uses_empty, err, sizeof err);
    blob w = {want, want_len};
    is_bytes(payload, len, &w, name);
    if (payload == NULL)
        tap_diag("  %s", err);
    if (want_empty >= 0)
        tap_is_int(uses_empty, want_empty, "the empty layer is needed");
    free(payload);
    free(want);
}

/* python3-cryptography's verdict on a signed manifest: 1 verified, 0 not,
 * -1 not available. */
static int python_verifies(const char *doc, size_t len)
{
    char tmp[] = "/tmp/ferry-schema1-XXXXXX", cmd[8400];
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    int wrote = write(fd, doc, len) == (ssize_t)len;
    close(fd);
    const char *py = getenv("PYTHON3") && *getenv("PYTHON3") ? getenv("PYTHON3") : "python3";
    snprintf(cmd, sizeof cmd, "%s %s/verify_jws.py %s 2>&1", py, fixture_dir(), tmp);
    FILE *p = wrote ? popen(cmd, "r") : NULL;
    char out[512] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = '\0';
    int status = p ? pclose(p) : -1;
    unlink(tmp);
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 77)
        return -1;
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && strncmp(out, "ok 1", 4) == 0)
        return 1;
    tap_diag("  verify_jws.py: %s", out);
    return p ? 0 : -1;
}

static void test_sign(const blob *a, const blob *b, const blob *d)
{
    char err[512] = "", *payload = NULL, *signed_doc = NULL, *again = NULL;
    size_t payload_len = 0, signed_len = 0, again_len = 0;
    const blob *skopeo_signed[] = {a, b, d};
    for (int i = 0; i < 3; i++) {
        const blob *sb = skopeo_signed[i];
        int rc = sb->data ? schema1_verify(sb->data, sb->len, err, sizeof err) : -1;
        if (!tap_is_int(rc, 1, i == 0 ? "A's libtrust signature verifies" : i == 1 ? "B's verifies" : "D's verifies"))
            tap_diag("  %s", err);
    }
    if (a->data)
        schema1_payload(a->data, a->len, &payload, &payload_len, err, sizeof err);
    int rc = payload ? schema1_sign(payload, payload_len, &signed_doc, &signed_len, err, sizeof err) : -1;
    if (rc == 0)
        schema1_payload(signed_doc, signed_len, &again, &again_len, err, sizeof err);
    tap_ok(rc == 0 && again && again_len == payload_len && memcmp(again, payload, payload_len) == 0,
           "signing A's payload: the signed manifest's payload is that payload");
    if (rc != 0)
        tap_diag("  %s", err);
    tap_is_int(rc == 0 ? schema1_verify(signed_doc, signed_len, err, sizeof err) : -1, 1, "its signature verifies");
    blob signed_blob = {signed_doc, signed_len};
    digest_is(&signed_blob, A_DIGEST, "its digest is skopeo's");
    strbuf prefix = STRBUF_INIT;
    if (payload)
        strbuf_append(&prefix, payload, payload_len - 1);
    strbuf_puts(&prefix, ",\"signatures\":[{\"header\":{\"jwk\":{\"crv\":\"P-256\",\"kid\":\"");
    const char *kid = signed_doc && strncmp(signed_doc, prefix.data, prefix.len) == 0 ? signed_doc + prefix.len : NULL;
    int kid_ok = kid != NULL;
    for (int i = 0; kid && i < 59; i++)
        kid_ok &= i % 5 == 4 ? kid[i] == ':' : (kid[i] >= 'A' && kid[i] <= 'Z') || (kid[i] >= '2' && kid[i] <= '7');
    tap_ok(kid_ok && kid[59] == '"' && strstr(kid, "\"kty\":\"EC\",\"x\":\"") &&
               strstr(kid, "\"alg\":\"ES256\"},\"signature\":\"") &&
               strstr(kid, "\",\"protected\":\"eyJmb3JtYXRMZW5ndGgiOj") &&
               ends_with(signed_doc, signed_len, "\"}]}"),
           "libtrust's compact layout, a key ID of 12 base32 groups");
    strbuf_release(&prefix);
    int py = signed_doc ? python_verifies(signed_doc, signed_len) : 0;
    if (py < 0)
        tap_skip("python3-cryptography verifies ferry's signature", "python3 with cryptography not available");
    else
        tap_ok(py == 1, "python3-cryptography verifies ferry's signature and key ID");

    /* a changed payload byte, then a changed signature */
    char *p = signed_doc ? strstr(signed_doc, A_L0 + 7) : NULL;
    if (p)
        *p = *p == '0' ? '1' : '0';
    rc = signed_doc ? schema1_verify(signed_doc, signed_len, err, sizeof err) : 0;
    tap_ok(one_line_error(rc, err, "invalid signature"), "a changed payload fails verification");
    if (p)
        *p = A_L0[7];
    p = signed_doc ? strstr(signed_doc, "\"signature\":\"") : NULL;
    if (p)
        p[14] = p[14] == 'A' ? 'B' : 'A';
    rc = signed_doc ? schema1_verify(signed_doc, signed_len, err, sizeof err) : 0;
    tap_ok(one_line_error(rc, err, "invalid signature"), "a changed signature fails verification");
    free(signed_doc);
    free(again);
    free(payload);

    /* an indented payload gets libtrust's indented form */
    static const char indented[] = "{\n   \"name\": \"x\",\n   \"schemaVersion\": 1\n}\n";
    static const char head[] = "{\n   \"name\": \"x\",\n   \"schemaVersion\": 1,\n   \"signatures\": [\n      {\n"
                               "         \"header\": {\n            \"jwk\": {\n               \"crv\": \"P-256\",";
    signed_doc = NULL;
    again = NULL;
    rc = schema1_sign(indented, strlen(indented), &signed_doc, &signed_len, err, sizeof err);
    if (rc == 0)
        schema1_payload(signed_doc, signed_len, &again, &again_len, err, sizeof err);
    tap_ok(rc == 0 && strncmp(signed_doc, head, sizeof head - 1) == 0 &&
               ends_with(signed_doc, signed_len, "\"\n      }\n   ]\n}") && again &&
               strcmp(again, indented) == 0 && schema1_verify(signed_doc, signed_len, err, sizeof err) == 1,
           "an indented payload: indented signatures, the payload back, verified");
    free(signed_doc);
    free(again);
}

static void test_bad_input(const blob *a)
{
    const char *ids[] = {ID1, ID2, ID3}, *parents[] = {ID2, ID3, ""};
    const char *sums[] = {A_L1, SCHEMA1_EMPTY_LAYER_DIGEST, A_L0};
    char *good = mk_manifest("", 3, ids, parents, sums);
    schema1_manifest *m = NULL;
    char err[512] = "";
    tap_ok(schema1_parse(good, strlen(good), &m, err, sizeof err) == 0 && m->n == 3, "a valid made-up manifest parses");
    schema1_free(m);
    free(good);

    char *s = mk_manifest("", 3, ids, parents, sums);
    char *cut = strstr(s, ",{\"blobSum\"");
    memmove(cut, strchr(cut + 1, '}') + 1, strlen(strchr(cut + 1, '}') + 1) + 1);
    bad_parse(s, "length of history not equal to number of layers", "fsLayers and history of different lengths");
    free(s);
    bad_parse("{\"schemaVersion\":1,\"fsLayers\":[],\"history\":[]}", "no FSLayers in manifest", "no layers");
    const char *bad_sums[] = {A_L1, "sha256:1234", A_L0};
    s = mk_manifest("", 3, ids, parents, bad_sums);
    bad_parse(s, "blobSum \"sha256:1234\" is not a valid digest", "an invalid blobSum");
    free(s);
    bad_parse("{\"schemaVersion\":2,\"fsLayers\":[],\"history\":[]}", "unsupported schema version 2",
              "schemaVersion 2");
    const char *bad_ids[] = {ID1, "22", ID3};
    s = mk_manifest("", 3, bad_ids, parents, sums);
    bad_parse(s, "image ID \"22\" is invalid", "an invalid image ID");
    free(s);
    const char *base_parent[] = {ID2, ID3, ID1};
    s = mk_manifest("", 3, ids, base_parent, sums);
    bad_parse(s, "Invalid parent ID in the base layer of the image", "a base layer with a parent");
    free(s);
    const char *wrong_parent[] = {ID3, ID3, ""};
    s = mk_manifest("", 3, ids, wrong_parent, sums);
    bad_parse(s, "Invalid parent ID. Expected " ID2 ", got \"" ID3 "\"", "a broken parent chain");
    free(s);
    const char *repeat_ids[] = {ID1, ID2, ID1}, *repeat_parents[] = {ID2, ID1, ""};
    s = mk_manifest("", 3, repeat_ids, repeat_parents, sums);
    bad_parse(s, "ID " ID1 " appears multiple times in manifest", "an ID repeated further down");
    free(s);
    s = mk_manifest("\"layers\":[],", 3, ids, parents, sums);
    bad_parse(s, "unexpected fields []string{\"layers\"} in supposedly", "a schema 2 member (ambiguous)");
    free(s);
    bad_parse("{\"schemaVersion\":1,", "unexpected end of JSON input", "not JSON");
    bad_parse("{\"schemaVersion\":1,\"name\":5}",
              "cannot unmarshal number into Go struct field Schema1.name of type string", "a member of the wrong type");
    bad_parse("{\"schemaVersion\":1,\"fsLayers\":[{\"blobSum\":\"" A_L0
              "\"}],\"history\":[{\"v1Compatibility\":\"{\"}]}",
              "parsing v2s1 history entry 0: unexpected end of JSON input", "a v1Compatibility that is not JSON");

    /* Go matches member names case-insensitively */
    const char *one_id[] = {ID1}, *no_parent[] = {""}, *one_sum[] = {A_L0};
    s = mk_manifest("", 1, one_id, no_parent, one_sum);
    memcpy(strstr(s, "\"fsLayers\""), "\"FSLAYERS\"", 10);
    m = NULL;
    tap_ok(schema1_parse(s, strlen(s), &m, err, sizeof err) == 0 && m->n == 1, "member names match as Go matches them");
    schema1_free(m);

    /* digests: GuessMIMEType's and libtrust's rules */
    char d[DIGEST_MAX_LEN], want[DIGEST_MAX_LEN];
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, s, strlen(s) - 1);
    strbuf_puts(&sb, ",\"signatures\":null}");
    digest_sha256(sb.data, sb.len, want, sizeof want);
    tap_ok(schema1_digest(sb.data, sb.len, d, sizeof d, err, sizeof err) == 0 && strcmp(d, want) == 0,
           "\"signatures\": null is unsigned: the digest covers every byte");
    sb.len -= 5; /* "null}" */
    strbuf_puts(&sb, "[]}");
    tap_ok(schema1_digest(sb.data, sb.len, d, sizeof d, err, sizeof err) == 0 && strcmp(d, SHA256_NOTHING) == 0,
           "\"signatures\": [] leaves libtrust an empty payload");
    strbuf_release(&sb);
    sb = (strbuf)STRBUF_INIT;
    strbuf_printf(&sb, "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",%s", s + 1);
    sb.len--;
    strbuf_puts(&sb, ",\"signatures\":[1]}");
    digest_sha256(sb.data, sb.len, want, sizeof want);
    tap_ok(schema1_digest(sb.data, sb.len, d, sizeof d, err, sizeof err) == 0 && strcmp(d, want) == 0,
           "a recognised mediaType wins over schemaVersion 1 and signatures");
    strbuf_release(&sb);

    char *j = mk_signed(s, "{\"formatLength\":10,\"formatTail\":\"fQ\"}", "{\"alg\":\"ES256\"}");
    char *prot = strstr(j, "\"protected\":\"") + 13;
    prot[0] = '!';
    bad_digest(j, "base64 decode error", "a protected header that is not base64url");
    free(j);
    j = mk_signed(s, "{\"formatTail\":\"fQ\"}", "{\"alg\":\"ES256\"}");
    bad_digest(j, "missing formatted length", "no formatLength");
    free(j);
    j = mk_signed(s, "{\"formatLength\":100000,\"formatTail\":\"fQ\"}", "{\"alg\":\"ES256\"}");
    bad_digest(j, "invalid format length", "a formatLength beyond the manifest");
    free(j);
    j = mk_signed(s, "{\"formatLength\":10,\"formatTail\":\"fQ\"}", "{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\"}}");
    bad_digest(j, "JWK EC Public Key x-coordinate: \"x\" value not specified", "a JWK without coordinates");
    free(j);
    free(s);
    s = a->data ? strdup(a->data) : NULL;
    char *kid = s ? strstr(s, "\"kid\":\"") : NULL;
    if (kid)
        kid[7] = kid[7] == 'A' ? 'B' : 'A';
    if (s)
        bad_digest(s, "JWK EC Public Key ID does not match", "a kid that does not name the key");
    else
        tap_ok(0, "a kid that does not name the key");
    free(s);
}

int main(void)
{
    tap_plan(56);
    blob a = load("a-v2s1.json"), a_config = load("a-config.json"), a_s2 = load("a-v2s2-config.json");
    blob b = load("b-v2s1.json"), b_config = load("b-config.json"), b_s2 = load("b-v2s2-config.json");
    blob c = load("c-v2s1.json"), c_s2 = load("c-v2s2-config.json");
    blob d = load("d-v2s1.json"), d_config = load("d-config.json");

    test_parse(&a, &c);

    digest_is(&a, A_DIGEST, "A's digest is skopeo's (signed: the JWS payload)");
    digest_is(&b, B_DIGEST, "B's digest is skopeo's");
    digest_is(&c, C_DIGEST, "C's digest is skopeo's (unsigned: the bytes)");
    digest_is(&d, D_DIGEST, "D's digest is skopeo's");
    char *payload = NULL, err[512] = "";
    size_t payload_len = 0;
    const char *sigs = a.data ? strstr(a.data, ",\"signatures\":") : NULL;
    tap_ok(sigs && schema1_payload(a.data, a.len, &payload, &payload_len, err, sizeof err) == 0 &&
               payload_len == (size_t)(sigs - a.data) + 1 && memcmp(payload, a.data, payload_len - 1) == 0 &&
               payload[payload_len - 1] == '}',
           "A's payload: the manifest before its signatures, closed by formatTail");
    free(payload);

    unsigned char empty[SCHEMA1_EMPTY_LAYER_SIZE];
    memcpy(empty, schema1_empty_layer(), sizeof empty);
    char d_empty[DIGEST_MAX_LEN] = "";
    digest_sha256(empty, sizeof empty, d_empty, sizeof d_empty);
    tap_is_str(d_empty, SCHEMA1_EMPTY_LAYER_DIGEST, "the empty layer's bytes have its digest");

    const char *a_layers[] = {A_L0, A_L1}, *b_layers[] = {B_L0, B_L1};
    const char *d_layers[] = {D_SRC0, D_SRC1}, *d_written[] = {D_GZ0, D_GZ1};
    schema1_build in_a = {NULL, 0, a_layers, NULL, 2, NULL, NULL};
    from_schema2_is(&a_config, &in_a, &a, 1, "A from its v2s2 config: skopeo's payload byte for byte");
    schema1_build in_b = {NULL, 0, b_layers, NULL, 2, "ns/img-b", "t1"};
    from_schema2_is(&b_config, &in_b, &b, -1, "B from its OCI config, with name and tag: skopeo's payload");
    schema1_build in_d = {NULL, 0, d_layers, d_written, 2, "", ""};
    from_schema2_is(&d_config, &in_d, &d, -1, "D: IDs from the source digests, blobSums as written: skopeo's payload");
    schema1_build short_in = {a_config.data, a_config.len, a_layers, NULL, 1, NULL, NULL};
    char *out = NULL;
    size_t out_len = 0;
    int uses_empty = 0;
    int rc = schema1_from_schema2(&short_in, &out, &out_len, &uses_empty, err, sizeof err);
    tap_ok(one_line_error(rc, err, "needs more than the 1 distributed layers") && out == NULL,
           "refused: fewer layers than non-empty history entries");
    static const char no_history[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}";
    schema1_build none_in = {no_history, strlen(no_history), a_layers, NULL, 2, NULL, NULL};
    rc = schema1_from_schema2(&none_in, &out, &out_len, &uses_empty, err, sizeof err);
    tap_ok(one_line_error(rc, err, "Cannot convert an image with 0 history entries"),
           "refused: a config without history");

    const char *a_diff[] = {A_D0, A_D1}, *b_diff[] = {B_D0, B_D1}, *c_diff[] = {A_D0, A_D1, EMPTY_TAR};
    to_schema2_is(&a, a_diff, 2, &a_s2, "A's schema 2 config: skopeo's bytes");
    to_schema2_is(&b, b_diff, 2, &b_s2, "B's schema 2 config: skopeo's bytes");
    to_schema2_is(&c, c_diff, 3, &c_s2, "C's schema 2 config (Docker 1.6.2: re-encoded first): skopeo's bytes");
    schema1_manifest *m = NULL;
    char *config = NULL;
    size_t config_len = 0;
    if (c.data && schema1_parse(c.data, c.len, &m, err, sizeof err) == 0)
        schema1_to_schema2_config(m, NULL, 0, &config, &config_len, err, sizeof err);
    tap_ok(config && strstr(config, "\"rootfs\":{\"type\":\"layers\"}") && !strstr(config, "\"Size\"") &&
               !strstr(config, "\"foo\"") && !strstr(config, "\"parent_id\""),
           "without DiffIDs rootfs has none; Size, parent_id and unknown members are gone");
    free(config);
    schema1_free(m);

    test_sign(&a, &b, &d);
    test_bad_input(&a);

    blob all[] = {a, a_config, a_s2, b, b_config, b_s2, c, c_s2, d, d_config};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i].data);
    return tap_done();
}
