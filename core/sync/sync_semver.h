/* core/sync/sync_semver.h — semantic versions and version constraints as
 * `skopeo sync` filters tags for images-by-semver: Masterminds/semver v3.4
 * (NewConstraint, NewVersion, Constraints.Check). Tags that are not
 * versions never match. */
#ifndef FERRY_CORE_SYNC_SEMVER_H
#define FERRY_CORE_SYNC_SEMVER_H

#include <stddef.h>
#include <stdint.h>

/* A version in NewVersion's lenient form: optional leading "v", minor and
 * patch optional (0), leading zeros allowed in them. pre and build point into
 * the parsed text (which must outlive the struct) and are not NUL-terminated;
 * NULL when absent. Build metadata never takes part in comparisons. */
typedef struct sync_semver_version {
    uint64_t major, minor, patch;
    const char *pre;
    size_t pre_len;
    const char *build;
    size_t build_len;
} sync_semver_version;

typedef struct sync_semver_constraint sync_semver_constraint;

/* 0, or -1 when text is not a version. */
int sync_semver_version_parse(const char *text, sync_semver_version *out);

/* Semantic Versioning 2.0 precedence: -1, 0 or 1. */
int sync_semver_compare(const sync_semver_version *a, const sync_semver_version *b);

/* Parses a constraint ("^1.2", ">= 1.2, < 3 || 4.x", "1.2 - 1.4.5", ...).
 * 0, or -1 with a one-line reason in err. */
int sync_semver_constraint_parse(const char *text, sync_semver_constraint **out, char *err, size_t errcap);

/* 1 when tag is a version satisfying c, else 0 (tags like "latest" give 0). */
int sync_semver_check(const sync_semver_constraint *c, const char *tag);

void sync_semver_constraint_free(sync_semver_constraint *c);

#endif
