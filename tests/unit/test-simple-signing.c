/* tests/unit/test-simple-signing.c — the payload of atomic container
 * signatures (core/signature/simple_signing.h) against containers/image
 * v5.23.1: MarshalJSON's bytes, UnmarshalJSON's strict member rules and Go's
 * messages (each expected message below is what skopeo 1.9.3 printed for
 * the same payload); and docker_ref.h, ParseNormalizedNamed, which the
 * identity check uses. No GPG here: tests/system/gpg.sh signs and verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/docker_ref.h"
#include "signature/simple_signing.h"
#include "tap.h"

#define DIGEST "sha256:a06b89a2c873a50c366db874a1e3fe003a21b3b9ae99994a2f781777a77b9f48"
#define CRIT_OK                                                                                                   \
    "\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST \
    "\"},\"type\":\"atomic container signature\"}"

/* The marshalled payload of p, or the error. */
static char *marshal(const simple_signing_payload *p)
{
    strbuf sb = STRBUF_INIT;
    char err[256];
    if (simple_signing_payload_marshal(p, &sb, err, sizeof(err)) != 0) {
        strbuf_release(&sb);
        return strdup(err);
    }
    return strbuf_detach(&sb, NULL);
}

/* Parses text and returns "ok" or the error message (static buffer). */
static const char *parse_msg(const char *text, simple_signing_payload *out)
{
    static char err[512];
    simple_signing_payload tmp;
    if (simple_signing_payload_parse(text, strlen(text), out != NULL ? out : &tmp, err, sizeof(err)) != 0)
        return err;
    if (out == NULL)
        simple_signing_payload_release(&tmp);
    return "ok";
}

static void test_marshal(void)
{
    simple_signing_payload p = {
        .docker_manifest_digest = DIGEST,
        .docker_manifest_digest_len = strlen(DIGEST),
        .docker_reference = "busybox",
        .docker_reference_len = 7,
        .creator = SIMPLE_SIGNING_CREATOR,
        .creator_len = strlen(SIMPLE_SIGNING_CREATOR),
        .has_timestamp = 1,
        .timestamp = 1796599259,
    };
    char *s = marshal(&p);
    tap_is_str(s, "{" CRIT_OK ",\"optional\":{\"creator\":\"atomic 5.23.1\",\"timestamp\":1796599259}}",
               "marshal: skopeo's bytes (members sorted, creator atomic 5.23.1, integer timestamp)");
    free(s);

    p.docker_reference = "<a>&\xff";
    p.docker_reference_len = 5;
    p.creator = NULL;
    p.has_timestamp = 0;
    s = marshal(&p);
    tap_is_str(s,
               "{\"critical\":{\"identity\":{\"docker-reference\":\"\\u003ca\\u003e\\u0026\\ufffd\"},\"image\":{"
               "\"docker-manifest-digest\":\"" DIGEST "\"},\"type\":\"atomic container signature\"},\"optional\":{}}",
               "marshal: Go's escaping, optional members left out when unset");
    free(s);

    p.docker_reference_len = 0;
    s = marshal(&p);
    tap_is_str(s, "Unexpected empty signature content", "marshal: an empty reference is refused");
    free(s);
}

static void test_parse_ok(void)
{
    simple_signing_payload p;
    const char *m = parse_msg(" {" CRIT_OK ",\"optional\":{\"creator\":\"atomic 5.23.1\",\"timestamp\":1796599259,"
                              "\"extra\":[1,{\"x\":null}]}} ",
                              &p);
    tap_is_str(m, "ok", "parse: a valid payload (unknown optional members allowed)");
    tap_ok(strcmp(m, "ok") == 0 && strcmp(p.docker_manifest_digest, DIGEST) == 0 &&
               strcmp(p.docker_reference, "busybox") == 0 && p.creator != NULL &&
               strcmp(p.creator, "atomic 5.23.1") == 0 && p.has_timestamp && p.timestamp == 1796599259,
           "parse: every member read");
    if (strcmp(m, "ok") == 0)
        simple_signing_payload_release(&p);

    m = parse_msg("{" CRIT_OK ",\"optional\":{}}", &p);
    tap_ok(strcmp(m, "ok") == 0 && p.creator == NULL && !p.has_timestamp, "parse: optional may be empty");
    if (strcmp(m, "ok") == 0)
        simple_signing_payload_release(&p);

    m = parse_msg("{" CRIT_OK ",\"optional\":{\"timestamp\":1e3,\"creator\":null}}", &p);
    tap_ok(strcmp(m, "ok") == 0 && p.timestamp == 1000 && p.creator != NULL && p.creator_len == 0,
           "parse: an integral 1e3 timestamp, a null creator as Go leaves it (\"\")");
    if (strcmp(m, "ok") == 0)
        simple_signing_payload_release(&p);
}

/* Each payload with the message containers/image gives for it. */
static const struct {
    const char *json;
    const char *msg;
} bad[] = {
    {"xx", "invalid character 'x' looking for beginning of value"},
    {"{" CRIT_OK ",\"optional\":{}} x", "invalid character 'x' after top-level value"},
    {"{" CRIT_OK ",\"optional\":{\"x\":[1,}}", "invalid character '}' looking for beginning of value"},
    {"{}", "Key \"critical\" missing in a JSON object"},
    {"[]", "JSON object expected, got \"[\""},
    {"null", "JSON object expected, got \"%!s(<nil>)\""},
    {"\"s\"", "JSON object expected, got \"s\""},
    {"{\"critical\":{},\"optional\":{}}", "Key \"type\" missing in a JSON object"},
    {"{" CRIT_OK ",\"optional\":{},\"x\":1}", "Unknown key \"x\""},
    {"{" CRIT_OK "," CRIT_OK ",\"optional\":{}}", "Duplicate key \"critical\""},
    {"{" CRIT_OK ",\"optional\":null}", "JSON object expected, got \"%!s(<nil>)\""},
    {"{" CRIT_OK ",\"optional\":true}", "JSON object expected, got \"%!s(bool=true)\""},
    {"{" CRIT_OK ",\"optional\":1000000}", "JSON object expected, got \"%!s(float64=1e+06)\""},
    {"{" CRIT_OK ",\"optional\":{\"creator\":\"a\",\"creator\":\"b\"}}", "Duplicate key \"creator\""},
    {"{" CRIT_OK ",\"optional\":{\"creator\":1}}", "json: cannot unmarshal number into Go value of type string"},
    {"{" CRIT_OK ",\"optional\":{\"timestamp\":\"x\"}}",
     "json: cannot unmarshal string into Go value of type float64"},
    {"{" CRIT_OK ",\"optional\":{\"timestamp\":1.5}}", "Field optional.timestamp is not is not an integer"},
    {"{" CRIT_OK ",\"optional\":{\"timestamp\":1e30}}", "Field optional.timestamp is not is not an integer"},
    {"{" CRIT_OK ",\"optional\":{\"timestamp\":1e999}}",
     "json: cannot unmarshal number 1e999 into Go value of type float64"},
    {"{" CRIT_OK ",\"optional\":{\"x\":[1e999]}}", "json: cannot unmarshal number 1e999 into Go value of type float64"},
    {"{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"},\"type\":\"atomic container signaturex\"},\"optional\":{}}",
     "Unrecognized signature type atomic container signaturex"},
    {"{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"},\"type\":null},\"optional\":{}}",
     "Unrecognized signature type "},
    {"{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"},\"type\":\"atomic container signature\",\"x\":1},\"optional\":{}}",
     "Unknown key \"x\""},
    {"{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"}},\"optional\":{}}",
     "Key \"type\" missing in a JSON object"},
    {"{\"critical\":{\"identity\":null,\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"},\"type\":\"atomic container signature\"},\"optional\":{}}",
     "JSON object expected, got \"%!s(<nil>)\""},
    {"{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\",\"digest\":\"x\"},\"type\":\"atomic container signature\"},\"optional\":{}}",
     "Unknown key \"digest\""},
    {"{\"critical\":{\"identity\":{},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"},\"type\":\"atomic container signature\"},\"optional\":{}}",
     "Key \"docker-reference\" missing in a JSON object"},
    {"{\"critical\":{\"identity\":{\"docker-reference\":[]},\"image\":{\"docker-manifest-digest\":\"" DIGEST
     "\"},\"type\":\"atomic container signature\"},\"optional\":{}}",
     "json: cannot unmarshal array into Go value of type string"},
};

static void test_parse_bad(void)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char name[96];
        snprintf(name, sizeof(name), "parse refuses #%zu: %.60s", i + 1, bad[i].msg);
        tap_is_str(parse_msg(bad[i].json, NULL), bad[i].msg, name);
    }
    /* The optional members are decoded before critical is looked at. */
    tap_is_str(parse_msg("{\"critical\":{},\"optional\":{\"creator\":1}}", NULL),
               "json: cannot unmarshal number into Go value of type string", "parse: optional is checked first");
    /* A NUL in a string is kept with its length, never cut short. */
    simple_signing_payload p;
    const char *m = parse_msg("{\"critical\":{\"identity\":{\"docker-reference\":\"busybox\\u0000x\"},\"image\":{"
                              "\"docker-manifest-digest\":\"" DIGEST "\"},\"type\":\"atomic container signature\"},"
                              "\"optional\":{}}",
                              &p);
    tap_ok(strcmp(m, "ok") == 0 && p.docker_reference_len == 9, "parse: an embedded NUL keeps the full length");
    if (strcmp(m, "ok") == 0)
        simple_signing_payload_release(&p);
}

/* ParseNormalizedNamed(text).String(), or the error. */
static const char *ref_string(const char *text)
{
    static char buf[512];
    docker_ref r;
    if (docker_ref_parse_normalized(text, strlen(text), &r, buf, sizeof(buf)) != 0)
        return buf;
    snprintf(buf, sizeof(buf), "%s", r.string);
    docker_ref_free(&r);
    return buf;
}

static void test_docker_ref(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"busybox", "docker.io/library/busybox"},
        {"busybox:latest", "docker.io/library/busybox:latest"},
        {"index.docker.io/ns/app", "docker.io/ns/app"},
        {"localhost:5000/a/b:t@" DIGEST, "localhost:5000/a/b:t@" DIGEST},
        {"Example.COM/x", "Example.COM/x"},
        {"a_b.com/x", "a_b.com/x"},
        {"BusyBox", "invalid reference format: repository name must be lowercase"},
        {"", "invalid reference format"},
        {"bu sybox", "invalid reference format"},
        {"a@sha256:abc", "invalid reference format"},
        {"a@sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
         "invalid checksum digest format"},
        {"a@sha256:0123456789abcdef0123456789abcdef", "invalid checksum digest length"},
        {"a@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm"},
        {"a:-x", "invalid reference format"},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "invalid repository name (0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef), cannot "
         "specify 64-byte hexadecimal strings"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[128];
        snprintf(name, sizeof(name), "docker_ref: \"%.60s\"", cases[i].in);
        tap_is_str(ref_string(cases[i].in), cases[i].out, name);
    }
    docker_ref r;
    char err[128];
    tap_ok(docker_ref_parse_normalized("busybox\0x", 9, &r, err, sizeof(err)) != 0,
           "docker_ref: a NUL inside is invalid");
}

int main(void)
{
    tap_plan(3 + 4 + 28 + 2 + 16);
    test_marshal();
    test_parse_ok();
    test_parse_bad();
    test_docker_ref();
    return tap_done();
}
