/* core/image/schema1.h — Docker image manifest schema 1 ("v1+json" and the
 * signed "v1+prettyjws"), as containers/image v5.23 (Debian's skopeo 1.9.3)
 * reads, converts and writes it: parsing with its validation (including
 * fixManifestLayers' removal of consecutive duplicate layers), the digest of
 * a signed manifest (its JWS payload), layers bottom-up, conversion to a
 * schema 2 config and from a schema 2 / OCI image, and libtrust's JWS
 * signatures (schema1_sign.c). Every byte produced matches what skopeo
 * produces for the same input, so digests agree. Pure library: no I/O. */
#ifndef FERRY_CORE_SCHEMA1_H
#define FERRY_CORE_SCHEMA1_H

#include <stddef.h>

#include "util/gotime.h"

/* containers/image's GzippedEmptyLayer: a gzip'd empty tar, which a schema 1
 * manifest lists for every history entry that has no layer. */
#define SCHEMA1_EMPTY_LAYER_DIGEST "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
#define SCHEMA1_EMPTY_LAYER_SIZE 32

/* The SCHEMA1_EMPTY_LAYER_SIZE bytes of that blob (static storage, not to be
 * freed), for a copy to upload when schema1_from_schema2 says it is used. */
const unsigned char *schema1_empty_layer(void);

/* One history entry: its v1Compatibility decoded as containers/image's
 * Schema1V1Compatibility. All strings are owned by the manifest and
 * NUL-terminated; the _len members count bytes for strings JSON may give an
 * embedded NUL. */
typedef struct schema1_history {
    char *v1_compatibility; /* the entry's JSON text, as the manifest's string holds it */
    size_t v1_compatibility_len;
    char *id;               /* 64 lowercase hex digits (validated) */
    char *parent;           /* "" for the base entry */
    size_t parent_len;
    char *comment;
    size_t comment_len;
    char *author;
    size_t author_len;
    gotime created;         /* Go's zero time when absent */
    char **cmd;             /* container_config.Cmd, n_cmd strings (cmd_lens: their lengths); NULL when none */
    size_t *cmd_lens;
    size_t n_cmd;
    int throwaway;          /* no layer of its own: fs_layers holds the empty layer or a repeat */
} schema1_history;

/* A parsed manifest, after containers/image's fixManifestLayers: entries
 * whose ID repeats the next one's have been removed from both lists. */
typedef struct schema1_manifest {
    char *name;               /* "" when absent */
    char *tag;
    char *architecture;
    size_t n;                 /* entries in blob_sums and history (at least 1) */
    char **blob_sums;         /* fsLayers[].blobSum, top-most layer first as in the manifest */
    schema1_history *history; /* history[i] describes blob_sums[i] */
    int is_signed;            /* has a non-null "signatures" member */
} schema1_manifest;

/* Parses a schema 1 manifest, signed or not, and validates it as
 * containers/image's Schema1FromManifest does: Go's JSON decoding rules and
 * messages, schemaVersion 1, no members of other formats (config, layers,
 * manifests), fsLayers and history of the same non-zero length, every
 * v1Compatibility decodable, IDs of 64 hex digits, the base entry without a
 * parent, each entry's parent the next entry's ID, no ID repeated except by
 * its neighbour (such repeats are dropped). Further than containers/image,
 * which defers it to the blob fetch, every blobSum must be a valid sha256 or
 * sha512 digest. Signatures are neither checked nor needed (see
 * schema1_verify). Returns 0 and *out (free it with schema1_free), or -1 with
 * a one-line message in err ("schema 1 manifest: ..."). */
int schema1_parse(const void *data, size_t len, schema1_manifest **out, char *err, size_t errcap);
void schema1_free(schema1_manifest *m);

/* One layer as containers/image's LayerInfos() lists it. */
typedef struct schema1_layer_info {
    const char *digest; /* borrowed from the manifest */
    int empty;          /* the history entry is throwaway */
} schema1_layer_info;

/* The manifest's layers bottom-up (the base layer first), m->n of them,
 * throwaway entries included (a copy copies them too). Returns a malloc'd
 * array the caller frees (not its digests), or NULL when out of memory. */
schema1_layer_info *schema1_layer_infos(const schema1_manifest *m);

/* The layers a schema 2 or OCI manifest converted from m lists, bottom-up:
 * the non-throwaway ones. Sets *n and returns a malloc'd array of digests
 * borrowed from m (the caller frees the array only), NULL when out of
 * memory. */
const char **schema1_schema2_layers(const schema1_manifest *m, size_t *n);

/* The image config containers/image's ToSchema2Config builds when converting
 * m to schema 2 or OCI: the top entry's v1Compatibility (re-encoded as Docker's
 * V1Image first when its docker_version is below 1.8.3) without id, parent,
 * parent_id, layer_id, throwaway and Size, plus "history" rebuilt from every
 * entry and "rootfs" with diff_ids, as Go marshals a map of raw messages
 * (sorted keys, compact, HTML-escaped). diff_ids (n_diff_ids of them, may be
 * 0) are the DiffIDs of the layers schema1_schema2_layers lists, in its
 * order; they are used as given. Returns 0 and a malloc'd *config of
 * *config_len bytes (NUL-terminated; caller frees), or -1 with a message in
 * err. */
int schema1_to_schema2_config(const schema1_manifest *m, const char *const *diff_ids, size_t n_diff_ids,
                              char **config, size_t *config_len, char *err, size_t errcap);

/* What converting a schema 2 or OCI image to schema 1 starts from; every
 * pointer is borrowed for the call. */
typedef struct schema1_build {
    const void *config;            /* the source's config blob (Docker or OCI form), config_len bytes */
    size_t config_len;
    const char *const *layers;     /* the source manifest's layer digests, bottom-up, n_layers of them: the
                                    * v1 IDs are derived from these, as containers/image does */
    const char *const *written;    /* the digests of those layers as written to the destination (the
                                    * fsLayers blobSums), or NULL when they are the same */
    size_t n_layers;
    const char *name;              /* the path of the destination's Docker reference, without the registry
                                    * ("library/busybox" for docker.io/busybox); NULL or "" if none (dir:) */
    const char *tag;               /* its tag, NULL or "" if none */
} schema1_build;

/* Builds the manifest containers/image's convertToManifestSchema1 builds
 * from a schema 2 or OCI image: one fsLayers/history entry per config history
 * entry, top-most first, empty_layer entries getting the empty layer; the
 * v1Compatibility IDs it computes; the top entry the config itself (minus
 * rootfs and history, with id, parent and throwaway). Returns 0 and the
 * unsigned manifest, i.e. the JWS payload to sign with schema1_sign (malloc'd
 * *payload of *payload_len bytes, NUL-terminated; caller frees), with
 * *uses_empty_layer set when the empty layer blob must exist at the
 * destination; or -1 with a message in err (no history, more non-empty
 * history entries than layers, a bad digest or config). */
int schema1_from_schema2(const schema1_build *in, char **payload, size_t *payload_len, int *uses_empty_layer,
                         char *err, size_t errcap);

/* The unsigned manifest containers/image writes when it points m at another
 * Docker reference (copying into another repository or tag): m's layers and
 * history under `name` (the path without the registry) and `tag` ("" when
 * untagged), json.Marshal'd as its Schema1 struct; sign it with
 * schema1_sign. Returns 0 and a malloc'd *payload (caller frees), or -1 with a
 * message in err. */
int schema1_renamed(const schema1_manifest *m, const char *name, const char *tag, char **payload, size_t *payload_len,
                    char *err, size_t errcap);

/* The bytes containers/image's manifest.Digest hashes: for a manifest it
 * takes as signed schema 1 (schemaVersion 1 and a non-null "signatures",
 * no recognised mediaType), the JWS payload libtrust's ParsePrettySignature
 * rebuilds (the bytes before the signatures, per formatLength, and the
 * protected header's formatTail); for anything else the bytes themselves.
 * Returns 0 and a malloc'd copy in *payload (*payload_len bytes, caller
 * frees), or -1 with a message in err when the signatures cannot be parsed. */
int schema1_payload(const void *data, size_t len, char **payload, size_t *payload_len, char *err, size_t errcap);

/* manifest.Digest: "sha256:..." of schema1_payload's bytes into out (at
 * least DIGEST_MAX_LEN bytes). For any manifest, as `skopeo
 * manifest-digest` prints it. 0, or -1 with a message in err. */
int schema1_digest(const void *data, size_t len, char *out, size_t outcap, char *err, size_t errcap);

/* ---- schema1_sign.c ---- */

/* Signs a payload (a JSON object, normally schema1_from_schema2's) as
 * containers/image's AddDummyV2S1Signature does: a fresh ECDSA P-256 key,
 * libtrust's JWS with the key as a JWK (its libtrust key ID in "kid"), a
 * protected header of formatLength, formatTail and the current time, written
 * as libtrust's PrettySignature (the payload up to its closing brace, then
 * "signatures"). The result's schema1_payload is the payload again. Returns
 * 0 and a malloc'd *out of *out_len bytes (NUL-terminated; caller frees), or
 * -1 with a message in err. */
int schema1_sign(const void *payload, size_t len, char **out, size_t *out_len, char *err, size_t errcap);

/* Verifies every signature of a signed schema 1 manifest as libtrust's
 * JSONSignature.Verify does: against the first x5c certificate's key when
 * there is a chain (which is not itself checked), else the embedded JWK (EC
 * P-256/P-384/P-521 or RSA), with the algorithm the header names. Returns the
 * number of signatures verified (at least 1), or -1 with a message in err (no
 * signatures, a malformed or failing one). */
int schema1_verify(const void *data, size_t len, char *err, size_t errcap);

#endif /* FERRY_CORE_SCHEMA1_H */
