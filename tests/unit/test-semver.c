/* tests/unit/test-semver.c — images-by-semver matching: Masterminds/semver
 * v3 constraints (comparisons, AND/OR, hyphen ranges, wildcards, ~ and ^),
 * lenient versions (v prefix, missing parts, build metadata), prerelease
 * ordering and the rule that prereleases only match a range naming one. */
#include <stdio.h>
#include <string.h>

#include "sync/sync_semver.h"
#include "tap.h"

typedef struct check_case {
    const char *constraint, *tag;
    int want;
} check_case;

static const check_case checks[] = {
    /* comparisons; no operator is "=" */
    {"=1.2.3", "1.2.3", 1},
    {"=1.2.3", "1.2.4", 0},
    {"1.2.3", "1.2.3", 1},
    {"1.2.3", "1.2.30", 0},
    {"!=1.2.3", "1.2.3", 0},
    {"!=1.2.3", "1.2.4", 1},
    {">1.2.3", "1.2.4", 1},
    {">1.2.3", "1.2.3", 0},
    {"<1.2.3", "1.2.2", 1},
    {"<1.2.3", "1.2.3", 0},
    {">=1.2.3", "1.2.3", 1},
    {">=1.2.3", "1.2.2", 0},
    {"<=1.2.3", "1.2.3", 1},
    {"<=1.2.3", "1.2.4", 0},
    {"=<1.2.3", "1.2.3", 1},
    {"=<1.2.3", "1.3.0", 0},
    {"=>1.2.3", "2.0.0", 1},
    {"> 1.2", "1.3.0", 1}, /* >1.2 wants 1.3 or above */
    {"> 1.2", "1.2.9", 0},
    {"> 1", "2.0.0", 1},
    {"> 1", "1.9.9", 0},
    /* AND with commas or spaces, OR with || */
    {">= 1.2, < 3.0.0", "2.9.9", 1},
    {">= 1.2, < 3.0.0", "3.0.0", 0},
    {">= 1.2 < 3.0.0", "1.1.9", 0},
    {">=1.2,<3", "1.2.0", 1},
    {">= 1.2 < 3.0.0 || >= 4.2.3", "4.5.0", 1},
    {">= 1.2 < 3.0.0 || >= 4.2.3", "3.5.0", 0},
    {"1.0.0 || 2.0.0", "2.0.0", 1},
    {"1.0.0 || 2.0.0", "1.5.0", 0},
    /* hyphen ranges: >= low, <= high */
    {"1.2 - 1.4.5", "1.2.0", 1},
    {"1.2 - 1.4.5", "1.4.5", 1},
    {"1.2 - 1.4.5", "1.4.6", 0},
    {"1.2 - 1.4.5", "1.1.9", 0},
    {"2.3.4 - 4.5", "4.5.9", 1}, /* <= 4.5 covers 4.5.x */
    {"2.3.4 - 4.5", "4.6.0", 0},
    {"1 - 2 || 5 - 6", "5.5.5", 1},
    {"1 - 2 || 5 - 6", "3.0.0", 0},
    /* wildcards x, X, * */
    {"1.2.x", "1.2.9", 1},
    {"1.2.x", "1.3.0", 0},
    {"1.X", "1.9.0", 1},
    {"1.X", "2.0.0", 0},
    {"1.*.*", "1.0.0", 1},
    {"*", "5.6.7", 1},
    {"x", "0.0.1", 1},
    {">= 1.2.x", "1.2.0", 1},
    {">= 1.2.x", "1.1.9", 0},
    {"<= 2.x", "2.9.9", 1},
    {"<= 2.x", "3.0.0", 0},
    {"!=4.x", "4.1.0", 0},
    {"!=4.x", "5.1.0", 1},
    /* tilde */
    {"~1.2.3", "1.2.3", 1},
    {"~1.2.3", "1.2.9", 1},
    {"~1.2.3", "1.3.0", 0},
    {"~1.2.3", "1.2.2", 0},
    {"~1", "1.9.0", 1},
    {"~1", "2.0.0", 0},
    {"~1", "0.9.0", 0},
    {"~2.3", "2.3.7", 1},
    {"~2.3", "2.4.0", 0},
    {"~> 1.2.x", "1.2.0", 1},
    {"~>1.2", "1.3.0", 0},
    /* caret */
    {"^1.2.3", "1.2.3", 1},
    {"^1.2.3", "1.9.9", 1},
    {"^1.2.3", "2.0.0", 0},
    {"^1.2.3", "1.2.2", 0},
    {"^1.2", "1.2.0", 1},
    {"^2.x", "2.7.0", 1},
    {"^2.x", "3.0.0", 0},
    {"^0.2.3", "0.2.9", 1},
    {"^0.2.3", "0.3.0", 0},
    {"^0.2", "0.2.0", 1},
    {"^0.0.3", "0.0.3", 1},
    {"^0.0.3", "0.0.4", 0},
    {"^0", "0.9.9", 1},
    {"^0", "1.0.0", 0},
    /* lenient tags: v prefix, one or two parts, leading zeros */
    {">= 1.2", "v1.3.0", 1},
    {"^1.2.3", "v2.0.0", 0},
    {"~1.2.0", "1.2", 1},
    {">= 1.5", "2", 1},
    {"< 1.5", "v1", 1},
    {"= 1.2.3", "01.02.03", 1},
    {"v1.2.3", "1.2.3", 1},
    {"=v1.x", "1.4.0", 1},
    /* build metadata: ignored */
    {"=1.2.3", "1.2.3+build.5", 1},
    {"=1.2.3+other", "1.2.3+build.5", 1},
    {">1.2.3", "1.2.3+build.5", 0},
    /* prereleases: only in an AND group that names one */
    {">=1.2.3", "1.2.4-beta", 0},
    {"*", "1.2.4-beta", 0},
    {"^1.2", "1.3.0-rc.1", 0},
    {">=1.2.3-0", "1.2.4-beta", 1},
    {">=1.2.3-0", "1.2.3", 1},
    {">=1.2.3-alpha, <1.3", "1.2.4-beta", 1},
    {">=1.2.3-alpha, <1.3", "1.3.0-beta", 1}, /* 1.3.0-beta < 1.3.0 */
    {">=1.2.3-alpha, <1.3", "1.3.0", 0},
    {"1.2.3-alpha || >=2", "2.1.0-rc.1", 0},
    {"1.2.3-alpha || >=2", "1.2.3-alpha", 1},
    {">=1.0.0-beta.2", "1.0.0-beta.11", 1}, /* numeric identifiers compare as numbers */
    {">=1.0.0-beta.2", "1.0.0-beta.10a", 1},
    {">=1.0.0-beta.2", "1.0.0-alpha.9", 0},
    {"1.0.0-rc.1 - 1.0.0", "1.0.0-rc.2", 1},
    {"~1.2.3-beta", "1.2.3-alpha", 0},
    {"~1.2.3-beta", "1.2.3-beta.2", 1},
    /* tags that are not versions never match */
    {"*", "latest", 0},
    {">= 0", "latest", 0},
    {"*", "", 0},
    {"*", "1.2.3.4", 0},
    {"*", "V1.2.3", 0},
    {"*", "v", 0},
    {"*", "1.2.3-", 0},
    {"*", "1.2.3-01", 0}, /* a numeric prerelease identifier with a leading 0 */
    {"*", "sha256-0123abcd", 0},
    {"*", "1.2-x86_64", 0},
    {"*", "18446744073709551616.0.0", 0}, /* 2^64 */
};

typedef struct order_case {
    const char *a, *b;
    int want;
} order_case;

/* The chain of semver.org's section 11, then extra pairs. */
static const char *const chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                    "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                                    "1.0.1",        "1.1.0",         "2.0.0"};

static const order_case orders[] = {
    {"1.2.3", "v1.2.3", 0},         {"1.2", "1.2.0", 0},          {"1.2.3+a", "1.2.3+b", 0},
    {"1.2.3-a+x", "1.2.3-a+y", 0},  {"1.0.0-1", "1.0.0-a", -1},   {"1.0.0-B", "1.0.0-a", -1},
    {"1.0.0-a-b", "1.0.0-a", 1},    {"10.0.0", "9.9.9", 1},       {"18446744073709551615", "1.0.0", 1},
};

static const char *const bad_constraints[] = {
    "", " ", ">= bar", "BAR >= 1.2.3", "1.2.3.4", "1.2 ||", "|| 1.2", "~>", ">=1,,2", "1.2.3,", "1.2.3-01",
    "1x", "1.2|3", ">>1", ">=1.2<3", "1.2.3 -beta", "18446744073709551616", "1.2.3~ 1.0",
};

int main(void)
{
    size_t n_checks = sizeof(checks) / sizeof(checks[0]);
    size_t n_chain = sizeof(chain) / sizeof(chain[0]);
    size_t n_orders = sizeof(orders) / sizeof(orders[0]);
    size_t n_bad = sizeof(bad_constraints) / sizeof(bad_constraints[0]);
    tap_plan((int)(n_checks + 2 * (n_chain - 1) + n_orders + n_bad + 12));
    char err[512], name[256], clean[160];

    for (size_t i = 0; i < n_checks; i++) {
        const check_case *t = &checks[i];
        sync_semver_constraint *c = NULL;
        err[0] = '\0';
        int parsed = sync_semver_constraint_parse(t->constraint, &c, err, sizeof(err)) == 0;
        int got = parsed ? sync_semver_check(c, t->tag) : -1;
        snprintf(name, sizeof(name), "\"%s\" %s \"%s\"", tap_name(t->constraint, clean, sizeof(clean)),
                 t->want ? "matches" : "does not match", t->tag);
        if (!tap_ok(got == t->want, "%s", name))
            tap_diag("  parsed %d, check %d, err '%s'", parsed, got, err);
        sync_semver_constraint_free(c);
    }

    /* Precedence: each element of the chain is below the next, both ways. */
    for (size_t i = 0; i + 1 < n_chain; i++) {
        sync_semver_version a, b;
        int ok = sync_semver_version_parse(chain[i], &a) == 0 && sync_semver_version_parse(chain[i + 1], &b) == 0;
        tap_ok(ok && sync_semver_compare(&a, &b) == -1, "%s < %s", chain[i], chain[i + 1]);
        tap_ok(ok && sync_semver_compare(&b, &a) == 1, "%s > %s", chain[i + 1], chain[i]);
    }
    for (size_t i = 0; i < n_orders; i++) {
        sync_semver_version a, b;
        int ok = sync_semver_version_parse(orders[i].a, &a) == 0 && sync_semver_version_parse(orders[i].b, &b) == 0;
        int got = ok ? sync_semver_compare(&a, &b) : 99;
        tap_is_int(got, orders[i].want, orders[i].a);
    }

    for (size_t i = 0; i < n_bad; i++) {
        sync_semver_constraint *c = (sync_semver_constraint *)&err; /* must be reset to NULL */
        err[0] = '\0';
        int rc = sync_semver_constraint_parse(bad_constraints[i], &c, err, sizeof(err));
        tap_ok(rc == -1 && c == NULL && err[0] != '\0', "constraint \"%s\" is refused (%s)", bad_constraints[i], err);
    }

    /* Error messages name the culprit. */
    sync_semver_constraint *c = NULL;
    sync_semver_constraint_parse(">= 1.2, < bar", &c, err, sizeof(err));
    tap_is_str(err, "improper constraint \">= 1.2, < bar\"", "improper constraint message");
    sync_semver_constraint_parse(">= 1.2 || 1.2.3-01", &c, err, sizeof(err));
    tap_is_str(err, "invalid version \"1.2.3-01\" in constraint", "invalid version message");
    sync_semver_constraint_parse("1.2\n<", &c, err, sizeof(err));
    tap_is_str(err, "improper constraint \"1.2\\x0a<\"", "a newline is escaped in the message");

    /* Parsed fields, pointing into the text. */
    sync_semver_version v;
    const char *text = "v1.22.3-rc.1+build.7";
    tap_ok(sync_semver_version_parse(text, &v) == 0 && v.major == 1 && v.minor == 22 && v.patch == 3,
           "v1.22.3-rc.1+build.7: numbers");
    tap_ok(v.pre == text + 8 && v.pre_len == 4 && v.build == text + 13 && v.build_len == 7,
           "v1.22.3-rc.1+build.7: prerelease and build point into the text");
    tap_ok(sync_semver_version_parse("7", &v) == 0 && v.major == 7 && v.minor == 0 && v.patch == 0 && v.pre == NULL &&
               v.build == NULL,
           "\"7\" is 7.0.0");
    tap_ok(sync_semver_version_parse("18446744073709551615.0.1", &v) == 0 && v.major == UINT64_MAX && v.patch == 1,
           "the largest major parses");
    tap_ok(sync_semver_version_parse("1.2.3-", &v) == -1, "a dangling '-' is refused");
    tap_ok(sync_semver_version_parse(" 1.2.3", &v) == -1, "leading space is refused");

    /* The same constraint checks many tags; NULLs are no match. */
    tap_ok(sync_semver_constraint_parse("^1.2 || ~3.1", &c, err, sizeof(err)) == 0, "a reusable constraint parses");
    const char *tags[] = {"1.2.0", "latest", "1.9.9", "2.0.0", "3.1.4", "3.2.0", "v3.1", "1.5.0-rc.1"};
    char got[64] = "";
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        strcat(got, sync_semver_check(c, tags[i]) ? "1" : "0");
    tap_is_str(got, "10101010", "the tags it matches, in order");
    tap_ok(sync_semver_check(c, NULL) == 0 && sync_semver_check(NULL, "1.2.0") == 0, "NULL tag or constraint: no match");
    sync_semver_constraint_free(c);
    return tap_done();
}
