/* core/image/docker_ref.c — reference.ParseNormalizedNamed of containers/image
 * v5.23 (docker/reference/normalize.go, reference.go, regexp.go), written as
 * hand matchers of its regular expressions:
 *
 *   reference = name [":" tag] ["@" digest]
 *   name      = [domain "/"] component ("/" component)*
 *   domain    = dcomp ("." dcomp)* [":" [0-9]+], dcomp = [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   component = [a-z0-9]+ (sep [a-z0-9]+)*, sep = "." | "_" | "__" | "-"*
 *   tag       = [\w][\w.-]{0,127}
 *   digest    = [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [[:xdigit:]]{32,}
 *
 * Go's regexp prefers the leftmost-first submatch, so a first segment that
 * matches the domain rule is the domain even when it would also be a path
 * component. */
#include "image/docker_ref.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/docker_grammar.h"
#include "shared/strbuf.h"

#define DOCKER_REF_NAME_MAX 255 /* NameTotalLengthMax */

static int docker_ref_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* The reference grammar's digest (not yet go-digest's validation). */
static int docker_ref_digest(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || n - (size_t)(colon - s) - 1 < 32)
        return 0;
    for (const char *p = colon + 1; p < s + n; p++)
        if (!isxdigit((unsigned char)*p))
            return 0;
    /* Algorithm: letter-led alphanumeric words joined by one of -_+. */
    int need_letter = 1;
    for (const char *p = s; p < colon; p++) {
        if (need_letter) {
            if (!isalpha((unsigned char)*p))
                return 0;
            need_letter = 0;
        } else if (*p == '-' || *p == '_' || *p == '+' || *p == '.') {
            need_letter = 1;
        } else if (!isalnum((unsigned char)*p)) {
            return 0;
        }
    }
    return !need_letter;
}

/* Where the name ends and where the domain ends (0 without one) when s[0..n)
 * is a name; -1 otherwise. */
static int docker_ref_split_name(const char *s, size_t n, size_t *domain_len)
{
    const char *slash = memchr(s, '/', n);
    size_t first = slash != NULL ? (size_t)(slash - s) : n;
    /* Every segment after the first must be a path component. */
    if (slash != NULL && !docker_grammar_path(s + first + 1, n - first - 1))
        return -1;
    if (slash != NULL && docker_grammar_domain(s, first)) {
        *domain_len = first;
        return 0;
    }
    if (!docker_grammar_component(s, first))
        return -1;
    *domain_len = 0;
    return 0;
}

/* Parts of a string matching the reference grammar (offsets into it). */
typedef struct docker_ref_parts {
    size_t name_len, domain_len;
    size_t tag_off, tag_len; /* tag_len 0: none */
    size_t digest_off;       /* 0: none */
} docker_ref_parts;

/* ReferenceRegexp.FindStringSubmatch: 0 when s matches. */
static int docker_ref_match(const char *s, size_t n, docker_ref_parts *parts)
{
    memset(parts, 0, sizeof(*parts));
    const char *at = memchr(s, '@', n);
    size_t end = at != NULL ? (size_t)(at - s) : n;
    if (at != NULL) {
        if (!docker_ref_digest(at + 1, n - end - 1))
            return -1;
        parts->digest_off = end + 1;
    }
    /* A tag's ':' follows the name's last '/' (a port's precedes it). */
    size_t last_slash = 0;
    for (size_t i = 0; i < end; i++)
        if (s[i] == '/')
            last_slash = i;
    const char *colon = memchr(s + last_slash, ':', end - last_slash);
    parts->name_len = end;
    if (colon != NULL) {
        parts->name_len = (size_t)(colon - s);
        parts->tag_off = parts->name_len + 1;
        parts->tag_len = end - parts->tag_off;
        if (!docker_grammar_tag(s + parts->tag_off, parts->tag_len))
            return -1;
    }
    return docker_ref_split_name(s, parts->name_len, &parts->domain_len);
}

/* go-digest's Digest.Validate for the algorithms skopeo links in. */
static const char *docker_ref_digest_error(const char *d)
{
    const char *colon = strchr(d, ':');
    size_t alg_len = (size_t)(colon - d), hex_len = strlen(colon + 1);
    size_t want;
    if (alg_len == 6 && strncmp(d, "sha256", 6) == 0)
        want = 64;
    else if (alg_len == 6 && strncmp(d, "sha384", 6) == 0)
        want = 96;
    else if (alg_len == 6 && strncmp(d, "sha512", 6) == 0)
        want = 128;
    else {
        /* Unavailable: "unsupported" only for go-digest's own grammar, whose
         * algorithm is lowercase. */
        for (const char *p = d; p < colon; p++)
            if (isupper((unsigned char)*p))
                return "invalid checksum digest format";
        return "unsupported digest algorithm";
    }
    if (hex_len != want)
        return "invalid checksum digest length";
    for (const char *p = colon + 1; *p != '\0'; p++)
        if (!docker_ref_lower_alnum(*p) || *p > 'f')
            return "invalid checksum digest format";
    return NULL;
}

void docker_ref_free(docker_ref *r)
{
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    free(r->string);
    memset(r, 0, sizeof(*r));
}

/* reference.Parse of s (the domain already prepended). */
static int docker_ref_parse(const char *s, docker_ref *out, char *err, size_t errcap)
{
    size_t n = strlen(s);
    docker_ref_parts parts;
    if (docker_ref_match(s, n, &parts) != 0) {
        char *lower = strdup(s);
        int upper_only = 0;
        if (lower != NULL) {
            for (char *p = lower; *p != '\0'; p++)
                *p = (char)tolower((unsigned char)*p);
            upper_only = docker_ref_match(lower, n, &parts) == 0;
            free(lower);
        }
        snprintf(err, errcap, "%s", upper_only ? "repository name must be lowercase" : "invalid reference format");
        return -1;
    }
    if (parts.name_len > DOCKER_REF_NAME_MAX) {
        snprintf(err, errcap, "repository name must not be more than %d characters", DOCKER_REF_NAME_MAX);
        return -1;
    }
    size_t path_off = parts.domain_len > 0 ? parts.domain_len + 1 : 0;
    out->domain = strndup(s, parts.domain_len);
    out->path = strndup(s + path_off, parts.name_len - path_off);
    if (parts.tag_len > 0)
        out->tag = strndup(s + parts.tag_off, parts.tag_len);
    if (parts.digest_off > 0) {
        const char *why = docker_ref_digest_error(s + parts.digest_off);
        if (why != NULL) {
            snprintf(err, errcap, "%s", why);
            docker_ref_free(out);
            return -1;
        }
        out->digest = strdup(s + parts.digest_off);
    }
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, s, parts.name_len);
    if (out->tag != NULL)
        strbuf_printf(&sb, ":%s", out->tag);
    if (out->digest != NULL)
        strbuf_printf(&sb, "@%s", out->digest);
    out->string = strbuf_detach(&sb, NULL);
    if (out->domain == NULL || out->path == NULL || out->string == NULL || (parts.tag_len > 0 && out->tag == NULL) ||
        (parts.digest_off > 0 && out->digest == NULL)) {
        snprintf(err, errcap, "out of memory");
        docker_ref_free(out);
        return -1;
    }
    return 0;
}

int docker_ref_parse_normalized(const char *text, size_t len, docker_ref *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    if (memchr(text, '\0', len) != NULL) {
        snprintf(err, errcap, "invalid reference format");
        return -1;
    }
    /* anchoredIdentifierRegexp: an image ID, not a name. */
    size_t hex = 0;
    while (hex < len && docker_ref_lower_alnum(text[hex]) && text[hex] <= 'f')
        hex++;
    if (len == 64 && hex == 64) {
        snprintf(err, errcap, "invalid repository name (%.*s), cannot specify 64-byte hexadecimal strings", 64, text);
        return -1;
    }
    /* splitDockerDomain */
    const char *slash = memchr(text, '/', len);
    size_t first = slash != NULL ? (size_t)(slash - text) : len;
    const char *domain = "docker.io", *rest = text;
    size_t domain_len = 9, rest_len = len;
    if (slash != NULL && (memchr(text, '.', first) != NULL || memchr(text, ':', first) != NULL ||
                          (first == 9 && memcmp(text, "localhost", 9) == 0))) {
        domain = text;
        domain_len = first;
        rest = slash + 1;
        rest_len = len - first - 1;
    }
    if (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0) {
        domain = "docker.io";
        domain_len = 9;
    }
    int official = domain_len == 9 && memcmp(domain, "docker.io", 9) == 0 && memchr(rest, '/', rest_len) == NULL;
    strbuf full = STRBUF_INIT;
    strbuf_printf(&full, "%.*s/%s%.*s", (int)domain_len, domain, official ? "library/" : "", (int)rest_len, rest);
    if (full.failed) {
        strbuf_release(&full);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    /* The remote name (up to the first ':') must be lowercase. */
    const char *remote = full.data + domain_len + 1;
    const char *remote_end = strchr(remote, ':');
    for (const char *p = remote; *p != '\0' && p != remote_end; p++) {
        if (isupper((unsigned char)*p)) {
            strbuf_release(&full);
            snprintf(err, errcap, "invalid reference format: repository name must be lowercase");
            return -1;
        }
    }
    int rc = docker_ref_parse(full.data, out, err, errcap);
    strbuf_release(&full);
    return rc;
}
