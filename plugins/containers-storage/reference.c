/* plugins/containers-storage/reference.c — containers-storage: references
 * (cs.h), read as containers/image's storage transport reads them
 * (storage_transport.go ParseReference, then ParseStoreReference):
 *
 *   [ "[" [DRIVER "@"] [ROOT] ["+" RUNROOT] [":" OPTIONS] "]" ]
 *   ( ID | "@" ID | NAME[":" TAG]["@" DIGEST]["@" ID] )
 *
 * The store specifier is split in that order: DRIVER before the first '@',
 * OPTIONS after the first ':' of the rest, RUNROOT after its first '+'; the
 * paths must be absolute. The last "@X" is an image ID when X is not a digest:
 * 64 hex digits, or a prefix of at least 3 that only the store can expand
 * (containers/image asks the store while parsing; ferry records the prefix
 * and lets the resolver do it). A bare text of 3 to 63 lowercase hex digits is
 * tried as an ID prefix first and is otherwise a name, as there. The name is
 * normalised by plugins/common/docker_name.c, with ":latest" added only when
 * neither a tag nor a digest is given; a tag and a digest may both be given. */
#include "cs.h"
#include "docker_name.h"
#include "plugin_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS_MIN_SHORT_ID 3 /* containers/image's minimumTruncatedIDLength */

/* err = "containers-storage:TEXT: why"; returns FERRY_ERR_INVALID. */
static int cs_ref_error(const char *text, char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cs_ref_error(const char *text, char *err, size_t errcap, const char *fmt, ...)
{
    int n = snprintf(err, errcap, "%s:%s: ", CS_TRANSPORT, text);
    if (n >= 0 && (size_t)n < errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return FERRY_ERR_INVALID;
}

/* Number of leading lowercase hex digits of s[0..n). */
static size_t cs_hex_run(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
        i++;
    return i;
}

/* go-digest's Parse: a registered algorithm (sha256, sha384, sha512) and
 * exactly its length of lowercase hex. */
static int cs_digest_ok(const char *s, size_t n)
{
    static const struct {
        const char *alg;
        size_t hex;
    } algs[] = {{"sha256:", 64}, {"sha384:", 96}, {"sha512:", 128}};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        size_t a = strlen(algs[i].alg);
        if (n == a + algs[i].hex && strncmp(s, algs[i].alg, a) == 0)
            return cs_hex_run(s + a, n - a) == algs[i].hex;
    }
    return 0;
}

static char *cs_strndup_or_null(const char *s, size_t n)
{
    return n == 0 ? NULL : strndup(s, n);
}

/* The bracketed store specifier spec[0..n) into r's driver/root/runroot/options. */
static int cs_parse_store_spec(const char *text, const char *spec, size_t n, cs_reference *r, char *err,
                               size_t errcap)
{
    if (n == 0)
        return cs_ref_error(text, err, errcap, "empty store specifier \"[]\": invalid reference");
    const char *end = spec + n;
    const char *at = memchr(spec, '@', n);
    if (at != NULL) {
        if (at == spec || at + 1 == end)
            return cs_ref_error(text, err, errcap, "store specifier needs both DRIVER and ROOT around '@': "
                                                   "invalid reference");
        if ((r->driver = strndup(spec, (size_t)(at - spec))) == NULL)
            return FERRY_ERR_NO_MEMORY;
        spec = at + 1;
    }
    const char *colon = memchr(spec, ':', (size_t)(end - spec));
    if (colon != NULL) {
        if (colon + 1 < end && (r->options = strndup(colon + 1, (size_t)(end - colon - 1))) == NULL)
            return FERRY_ERR_NO_MEMORY;
        end = colon;
    }
    const char *plus = memchr(spec, '+', (size_t)(end - spec));
    const char *root_end = plus != NULL ? plus : end;
    if (root_end > spec && spec[0] != '/')
        return cs_ref_error(text, err, errcap, "graph root \"%.*s\": path name is not absolute", (int)(root_end - spec),
                            spec);
    if (plus != NULL && plus + 1 < end && plus[1] != '/')
        return cs_ref_error(text, err, errcap, "run root \"%.*s\": path name is not absolute", (int)(end - plus - 1),
                            plus + 1);
    r->root = cs_strndup_or_null(spec, (size_t)(root_end - spec));
    if (plus != NULL)
        r->runroot = cs_strndup_or_null(plus + 1, (size_t)(end - plus - 1));
    if ((root_end > spec && r->root == NULL) || (plus != NULL && plus + 1 < end && r->runroot == NULL))
        return FERRY_ERR_NO_MEMORY;
    return FERRY_OK;
}

/* NAME[:TAG][@DIGEST], ref[0..n), normalised into r->name. */
static int cs_parse_name(const char *text, const char *ref, size_t n, cs_reference *r, char *err, size_t errcap)
{
    const char *at = memchr(ref, '@', n);
    size_t name_len = at != NULL ? (size_t)(at - ref) : n;
    if (at != NULL && !cs_digest_ok(at + 1, n - name_len - 1))
        return cs_ref_error(text, err, errcap, "parsing named reference \"%.*s\": invalid reference format", (int)n,
                            ref);
    /* docker_name reads "//NAME[:TAG]" (the digest checked above, so no
     * services are needed) and supplies the domain, library/ and :latest. */
    char *dtext = plugin_util_printf("//%.*s", (int)name_len, ref);
    if (dtext == NULL)
        return FERRY_ERR_NO_MEMORY;
    docker_reference d;
    char why[512];
    int status = docker_reference_parse_into(NULL, dtext, &d, why, sizeof why);
    free(dtext);
    if (status != FERRY_OK) {
        docker_reference_free(&d);
        if (status == FERRY_ERR_NO_MEMORY)
            return status;
        return cs_ref_error(text, err, errcap, "parsing named reference \"%.*s\": %s", (int)n, ref, why);
    }
    int with_tag = at == NULL || !d.name_only;
    r->name = plugin_util_printf("%s/%s%s%s%s%.*s", d.domain, d.path, with_tag ? ":" : "", with_tag ? d.tag : "",
                                 at != NULL ? "@" : "", at != NULL ? (int)(n - name_len - 1) : 0,
                                 at != NULL ? at + 1 : "");
    docker_reference_free(&d);
    return r->name != NULL ? FERRY_OK : FERRY_ERR_NO_MEMORY;
}

/* The part after the store specifier: [NAME][@DIGEST][@ID] or a bare ID. */
static int cs_parse_image_part(const char *text, const char *ref, cs_reference *r, char *err, size_t errcap)
{
    size_t n = strlen(ref);
    if (n == 0)
        return cs_ref_error(text, err, errcap, "\"\" is an empty reference: invalid reference");
    const char *split = strrchr(ref, '@');
    if (split != NULL) {
        const char *possible = split + 1;
        size_t plen = strlen(possible);
        if (plen == 0)
            return cs_ref_error(text, err, errcap, "empty trailing digest or ID in \"%s\": invalid reference", ref);
        if (!cs_digest_ok(possible, plen)) {
            if (cs_hex_run(possible, plen) != plen || plen < CS_MIN_SHORT_ID || plen > CS_ID_LEN)
                return cs_ref_error(text, err, errcap, "\"%s\" does not look like an image ID or digest: "
                                                       "invalid reference", possible);
            if ((r->id = strdup(possible)) == NULL)
                return FERRY_ERR_NO_MEMORY;
            r->id_is_short = plen < CS_ID_LEN;
            n = (size_t)(split - ref);
        }
    }
    if (r->id == NULL && n >= CS_MIN_SHORT_ID && n <= CS_ID_LEN && cs_hex_run(ref, n) == n) {
        if ((r->id = strdup(ref)) == NULL)
            return FERRY_ERR_NO_MEMORY;
        if (n == CS_ID_LEN)
            return FERRY_OK; /* a full ID cannot be a name ("cannot specify 64-byte hexadecimal strings") */
        r->id_is_short = 1;
        r->name_is_fallback = 1;
    }
    return n > 0 ? cs_parse_name(text, ref, n, r, err, errcap) : FERRY_OK;
}

int cs_reference_parse(const char *text, cs_reference *r, char *err, size_t errcap)
{
    memset(r, 0, sizeof *r);
    if (text == NULL)
        text = "";
    const char *ref = text;
    /* ParseReference takes the store specifier, then ParseStoreReference
     * skips one more if the rest starts with '[' again. */
    for (int pass = 0; pass < 2 && ref[0] == '['; pass++) {
        const char *close = strchr(ref, ']');
        if (close == NULL)
            return cs_ref_error(text, err, errcap, "store specifier \"%s\" has no closing ']': invalid reference", ref);
        if (pass == 0) {
            int status = cs_parse_store_spec(text, ref + 1, (size_t)(close - ref - 1), r, err, errcap);
            if (status != FERRY_OK)
                return status == FERRY_ERR_NO_MEMORY ? cs_ref_error(text, err, errcap, "out of memory") : status;
        }
        ref = close + 1;
    }
    int status = cs_parse_image_part(text, ref, r, err, errcap);
    if (status == FERRY_ERR_NO_MEMORY)
        cs_ref_error(text, err, errcap, "out of memory");
    return status;
}

void cs_reference_free(cs_reference *r)
{
    char **owned[] = {&r->driver, &r->root, &r->runroot, &r->options, &r->name, &r->id};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        free(*owned[i]);
    memset(r, 0, sizeof *r);
}
