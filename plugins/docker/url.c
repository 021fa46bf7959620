/* plugins/docker/url.c — URL handling for registry requests, on libcurl's
 * URL parser: resolving upload and redirect locations (absolute or
 * relative), adding query parameters, comparing origins (credentials only
 * ever go to the registry's own scheme, host and port), percent-encoding
 * token request parameters, and base64 for Basic authentication. */
#include "docker.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies a curl-allocated string into malloc'd memory. */
static char *docker_url_take(char *curl_string)
{
    char *copy = curl_string != NULL ? strdup(curl_string) : NULL;
    curl_free(curl_string);
    return copy;
}

char *docker_url_resolve(const char *base, const char *ref)
{
    CURLU *u = curl_url();
    char *out = NULL;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        out = docker_url_take(out);
    else
        out = NULL;
    curl_url_cleanup(u);
    return out;
}

char *docker_url_add_query(const char *url, const char *name, const char *value)
{
    char *pair = plugin_util_printf("%s=%s", name, value);
    CURLU *u = curl_url();
    char *out = NULL;
    /* With APPENDQUERY, URLENCODE leaves the first '=' alone. */
    if (pair != NULL && u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        out = docker_url_take(out);
    else
        out = NULL;
    curl_url_cleanup(u);
    free(pair);
    return out;
}

/* scheme, host and port (default port filled in) of url. */
static int docker_url_origin(const char *url, char **scheme, char **host, char **port)
{
    *scheme = *host = *port = NULL;
    CURLU *u = curl_url();
    int ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    curl_url_cleanup(u);
    return ok ? 0 : -1;
}

int docker_url_same_origin(const char *a, const char *b)
{
    char *sa, *ha, *pa, *sb, *hb, *pb;
    int ra = docker_url_origin(a, &sa, &ha, &pa);
    int rb = docker_url_origin(b, &sb, &hb, &pb);
    int same = ra == 0 && rb == 0 && strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
    curl_free(sa);
    curl_free(ha);
    curl_free(pa);
    curl_free(sb);
    curl_free(hb);
    curl_free(pb);
    return same;
}

int docker_url_append_escaped(char **out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t have = *out != NULL ? strlen(*out) : 0;
    char *grown = realloc(*out, have + 3 * strlen(s) + 1);
    if (grown == NULL)
        return -1;
    char *p = grown + have;
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~", *c) != NULL) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    *out = grown;
    return 0;
}

char *docker_base64(const void *data, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *p++ = alphabet[v >> 18];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = alphabet[(v >> 6) & 63];
        *p++ = alphabet[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0);
        *p++ = alphabet[v >> 18];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    *p = '\0';
    return out;
}
