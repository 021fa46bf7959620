/* core/image/oci_config.h — an image config in the OCI form containers/image
 * derives from a Docker or OCI config (json.Unmarshal into image-spec's
 * v1.Image, then json.Marshal): unknown members dropped, Go field order,
 * sorted maps, times re-encoded as RFC 3339 with nanoseconds trimmed. Used when
 * converting Docker schema 2 to OCI (the config blob is rewritten, so its
 * digest must match skopeo's) and by `inspect --config`. Also what `skopeo
 * inspect` reads from a config (the same decoding into containers/image's
 * Docker types). */
#ifndef FERRY_CORE_OCI_CONFIG_H
#define FERRY_CORE_OCI_CONFIG_H

#include <jansson.h>
#include <stddef.h>

/* Returns a new json_t (caller releases with json_decref) built in Go field
 * order for gojson_encode, or NULL with a one-line message in err when the
 * blob is not a valid config (bad JSON, wrong member types, bad time). The
 * messages are Go's ("json: cannot unmarshal number into Go struct field
 * Image.architecture of type string"). */
json_t *oci_config_from_blob(const void *data, size_t len, char *err, size_t errcap);

/* What containers/image's Inspect() takes from a config, each member in the
 * form skopeo's JSON output has it. */
typedef struct oci_config_inspect {
    json_t *created;      /* string (Go's MarshalJSON form) or null (OCI config without "created") */
    char *docker_version; /* "" when absent */
    char *architecture;
    char *os;
    char *variant;
    char *author;
    json_t *labels;       /* object with sorted keys, or null (nil map) */
    json_t *env;          /* array of strings, or null (nil slice) */
} oci_config_inspect;

/* Decodes `data` as containers/image does for inspect: a Docker schema 2
 * config (docker != 0) into manifest.Schema2Image, an OCI config into
 * v1.Image and manifest.Schema2V1Image. Returns 0 and fills *out (release it
 * with oci_config_inspect_release), or -1 with Go's message in err. */
int oci_config_inspect_fields(const void *data, size_t len, int docker, oci_config_inspect *out, char *err,
                              size_t errcap);
void oci_config_inspect_release(oci_config_inspect *info);

#endif
