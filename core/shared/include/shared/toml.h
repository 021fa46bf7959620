/* core/shared/include/shared/toml.h — a TOML 1.0 reader producing a jansson
 * tree, for the configuration files of the containers tools (storage.conf,
 * registries.conf); Debian 12 ships no C TOML library.
 *
 * Mapping: tables and inline tables are objects, arrays (and arrays of
 * tables) are arrays, strings are strings, integers json integers, finite
 * floats reals, booleans true/false. Values jansson cannot hold are kept as
 * strings: offset/local date-times, dates and times verbatim ("1979-05-27T07:32:00Z"),
 * and the floats inf, +inf, -inf, nan, +nan, -nan as written. */
#ifndef FERRY_SHARED_TOML_H
#define FERRY_SHARED_TOML_H

#include <stddef.h>

#include <jansson.h>

/* Parses the whole document text[0..len) (UTF-8; a leading BOM is skipped).
 * name labels messages. Returns a new reference to the root object, or NULL
 * with one line "NAME:LINE: what" in err (errcap bytes). */
json_t *toml_parse_string(const char *text, size_t len, const char *name, char *err, size_t errcap);

/* Reads and parses the file at path; errors are "PATH:LINE: what", or
 * "PATH: reason" when the file cannot be read (errno is kept then, 0 after a
 * syntax error, so that a caller can tell a missing file: ENOENT). */
json_t *toml_parse_file(const char *path, char *err, size_t errcap);

#endif /* FERRY_SHARED_TOML_H */
