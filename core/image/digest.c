/* core/image/digest.c — digest validation and hashing (OpenSSL EVP, which uses
 * SHA-NI where the CPU has it). */
#include "image/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_hasher {
    EVP_MD_CTX *md;
    const char *algorithm;
};

static size_t digest_hex_length(const char *algorithm, size_t alg_len)
{
    if (alg_len == 6 && memcmp(algorithm, "sha256", 6) == 0)
        return 64;
    if (alg_len == 6 && memcmp(algorithm, "sha512", 6) == 0)
        return 128;
    return 0;
}

int digest_is_valid(const char *digest)
{
    if (digest == NULL)
        return 0;
    const char *colon = strchr(digest, ':');
    if (colon == NULL)
        return 0;
    size_t want = digest_hex_length(digest, (size_t)(colon - digest));
    if (want == 0)
        return 0;
    const char *hex = colon + 1;
    size_t n = 0;
    for (; hex[n] != '\0'; n++) {
        char c = hex[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return n == want;
}

const char *digest_hex(const char *digest)
{
    const char *colon = strchr(digest, ':');
    return colon ? colon + 1 : digest;
}

digest_hasher *digest_hasher_new(const char *algorithm)
{
    const EVP_MD *md;
    if (strcmp(algorithm, "sha256") == 0)
        md = EVP_sha256();
    else if (strcmp(algorithm, "sha512") == 0)
        md = EVP_sha512();
    else
        return NULL;
    digest_hasher *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->algorithm = strcmp(algorithm, "sha256") == 0 ? "sha256" : "sha512";
    h->md = EVP_MD_CTX_new();
    if (h->md == NULL || EVP_DigestInit_ex(h->md, md, NULL) != 1) {
        digest_hasher_free(h);
        return NULL;
    }
    return h;
}

digest_hasher *digest_hasher_for(const char *digest)
{
    return digest_hasher_new(strncmp(digest, "sha512:", 7) == 0 ? "sha512" : "sha256");
}

void digest_hasher_update(digest_hasher *h, const void *data, size_t len)
{
    if (len > 0)
        EVP_DigestUpdate(h->md, data, len);
}

int digest_hasher_final(digest_hasher *h, char *out, size_t cap)
{
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(h->md, raw, &n) != 1)
        return -1;
    size_t need = strlen(h->algorithm) + 1 + 2 * (size_t)n + 1;
    if (cap < need)
        return -1;
    size_t pos = (size_t)snprintf(out, cap, "%s:", h->algorithm);
    static const char hexdigits[] = "0123456789abcdef";
    for (unsigned int i = 0; i < n; i++) {
        out[pos++] = hexdigits[raw[i] >> 4];
        out[pos++] = hexdigits[raw[i] & 15];
    }
    out[pos] = '\0';
    return 0;
}

void digest_hasher_free(digest_hasher *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->md);
    free(h);
}

int digest_sha256(const void *data, size_t len, char *out, size_t cap)
{
    digest_hasher *h = digest_hasher_new("sha256");
    if (h == NULL)
        return -1;
    digest_hasher_update(h, data, len);
    int rc = digest_hasher_final(h, out, cap);
    digest_hasher_free(h);
    return rc;
}
