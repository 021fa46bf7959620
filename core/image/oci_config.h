/* core/image/oci_config.h — an image config in the OCI form containers/image
 * derives from a Docker or OCI config (json.Unmarshal into image-spec's
 * v1.Image, then json.Marshal): unknown members dropped, Go field order,
 * sorted maps, times re-encoded as RFC 3339 with nanoseconds trimmed. Used when
 * converting Docker schema 2 to OCI (the config blob is rewritten, so its
 * digest must match skopeo's) and by `inspect --config`. */
#ifndef FERRY_CORE_OCI_CONFIG_H
#define FERRY_CORE_OCI_CONFIG_H

#include <jansson.h>
#include <stddef.h>

/* Returns a new json_t (caller releases with json_decref) built in Go field
 * order for gojson_encode, or NULL with a one-line message in err when the
 * blob is not a valid config (bad JSON, wrong member types, bad time). */
json_t *oci_config_from_blob(const void *data, size_t len, char *err, size_t errcap);

#endif
