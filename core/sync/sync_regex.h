/* core/sync/sync_regex.h — the patterns of `images-by-tag-regex`, compiled
 * as POSIX extended regular expressions (glibc's regcomp) after a check of
 * their size. glibc expands each bounded repetition into copies of its
 * operand (and an optional chain of k copies into closures of k^2 entries),
 * so a short pattern such as "t" followed by 40 "+" would need terabytes
 * (found by fuzz-sync-yaml). The check refuses what Go's regexp package,
 * which skopeo uses, refuses for the same reason, with its wording. */
#ifndef FERRY_CORE_SYNC_REGEX_H
#define FERRY_CORE_SYNC_REGEX_H

#include <regex.h>
#include <stddef.h>

/* Compiles pattern into *re (REG_EXTENDED | REG_NOSUB): 0, the caller then
 * owns *re (regfree). -1 with a one-line reason in msg (msg_len bytes, not
 * naming the pattern) and nothing to free, when the pattern:
 *   - repeats a repetition ("a++", "a*{2}"; a "?" after one repetition is
 *     Go's non-greedy mark and allowed): "invalid nested repetition
 *     operator: `++`";
 *   - has a repeat count above 1000: "invalid repeat count: `{1001}`";
 *   - nests groups deeper than 1000: "expression nests too deeply";
 *   - would expand into a compiled form of more than about 32 MiB:
 *     "expression too large";
 *   - or is refused by regcomp (its regerror text). */
int sync_regex_compile(regex_t *re, const char *pattern, char *msg, size_t msg_len);

#endif
