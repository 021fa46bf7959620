/* core/util/gojson.h — JSON output byte-identical to Go's encoding/json, which
 * is what skopeo prints and what containers/image hashes. */
#ifndef FERRY_CORE_GOJSON_H
#define FERRY_CORE_GOJSON_H

#include <jansson.h>

/* Encodes `value` like Go: indent 0 gives json.Marshal's compact form, indent
 * 4 gives json.MarshalIndent(v, "", "    "). Object members come out in the
 * json_t's insertion order (callers build structs in Go field order and maps
 * in sorted key order). Strings are escaped as Go does (<, >, & as \u003c,
 * \u003e, \u0026; U+2028/U+2029; invalid UTF-8 as \ufffd). Returns a malloc'd
 * NUL-terminated string the caller frees, or NULL when out of memory. No
 * trailing newline. */
char *gojson_encode(const json_t *value, int indent);

#endif
