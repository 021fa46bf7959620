/* core/image/schema1_internal.h — what the parts of the schema 1 module
 * share: decoding a v1Compatibility entry (schema1.c), libtrust's parsing of
 * a pretty-printed JWS and the JOSE pieces signing reuses (schema1_jws.c). */
#ifndef FERRY_CORE_SCHEMA1_INTERNAL_H
#define FERRY_CORE_SCHEMA1_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>

#include "image/schema1.h"
#include "shared/strbuf.h"

/* Decodes a v1Compatibility text as json.Unmarshal into containers/image's
 * Schema1V1Compatibility into *h (which owns its strings; v1_compatibility
 * is left NULL). 0, or -1 with Go's message in err; *h is cleared on
 * failure. */
int schema1_history_decode(const char *json, size_t len, schema1_history *h, char *err, size_t errcap);
void schema1_history_clear(schema1_history *h);

/* 1 when containers/image's GuessMIMEType takes data for a signed schema 1
 * manifest (so that its digest is that of the JWS payload), else 0. */
int schema1_guess_signed(const void *data, size_t len);

/* One signature as libtrust parsed it; strings are malloc'd. */
typedef struct schema1_jws_sig {
    char *alg;
    char *signature;        /* base64url, as in the manifest */
    char *protected_header; /* base64url */
    char **x5c;             /* certificate chain (standard base64 DER), n_x5c entries */
    size_t n_x5c;
    int has_jwk;
    EVP_PKEY *key;          /* the JWK's key; NULL without a JWK or for a point OpenSSL refuses */
} schema1_jws_sig;

/* libtrust's ParsePrettySignature(data, "signatures"): the payload it
 * rebuilds and the signatures, whose JWKs are validated (key type, curve,
 * coordinates, a "kid" matching the key). */
typedef struct schema1_jws {
    char *payload; /* malloc'd, payload_len bytes, NUL-terminated */
    size_t payload_len;
    schema1_jws_sig *sigs;
    size_t n_sigs;
} schema1_jws;

/* 0 and *out (free with schema1_jws_free), or -1 with libtrust's message in
 * err. */
int schema1_jws_parse(const void *data, size_t len, schema1_jws **out, char *err, size_t errcap);
void schema1_jws_free(schema1_jws *jws);

/* ---- JOSE pieces (schema1_jws.c) ---- */

/* joseBase64UrlDecode: blanks and newlines dropped, the padding JOSE omits
 * put back, then Go's URLEncoding (which skips carriage returns). Returns a
 * malloc'd buffer of *out_len bytes, or NULL when the text is not base64url,
 * with libtrust's or Go's reason in *why when why is not NULL. */
unsigned char *schema1_jose_decode(const char *s, size_t n, size_t *out_len, const char **why);
/* joseBase64UrlEncode: base64url without padding. */
void schema1_jose_append(strbuf *sb, const void *p, size_t n);

/* libtrust's keyIDFromCryptoKey: sha256 of the DER SubjectPublicKeyInfo,
 * cut to 240 bits, base32 in 12 colon-separated groups of 4 (59 characters
 * and a NUL). 0, or -1 when OpenSSL cannot encode the key. */
int schema1_key_id(EVP_PKEY *key, char out[60]);

/* The curves libtrust knows, with their JWK name, OpenSSL group name, JWS
 * algorithm and coordinate size. */
typedef struct schema1_curve {
    const char *crv, *group, *alg;
    size_t octets;
} schema1_curve;
#define SCHEMA1_N_CURVES 3
extern const schema1_curve schema1_curves[SCHEMA1_N_CURVES];

#endif /* FERRY_CORE_SCHEMA1_INTERNAL_H */
