/* tests/unit/test-sync-regex.c — images-by-tag-regex patterns: what real
 * tag filters use compiles and matches; what would make glibc's regcomp
 * expand a short pattern into gigabytes is refused with Go's wording (the
 * first case, "t" and many "+", is what fuzz-sync-yaml found: 2 GiB). */
#include <string.h>
#include <time.h>

#include "sync/sync_regex.h"
#include "tap.h"

typedef struct match_case {
    const char *pattern, *tag;
    int want; /* 1: matches */
} match_case;

static const match_case matches[] = {
    {"^v1\\.[0-9]+\\.[0-9]+$", "v1.22.3", 1},
    {"^v1\\.[0-9]+\\.[0-9]+$", "v2.0.0", 0},
    {"musl$", "1.36-musl", 1},
    {"^[0-9]{1,3}(\\.[0-9]{1,3}){2}$", "10.2.33", 1},
    {"^[[:alpha:]]+-[[:digit:]]+$", "alpine-3", 1},
    {"^[]a]+$", "a]a", 1},          /* "]" first in a bracket is a member */
    {"^[^]x]{2}$", "ab", 1},
    {"^(latest|stable)$", "stable", 1},
    {"^a+?$", "aaa", 1},             /* Go's non-greedy "?" after one repetition is allowed */
    {"^[0-9]{1,1000}$", "2024", 1},  /* the largest count Go allows */
    {"^(a{1000}){30}x$", "ax", 0},   /* 30,000 copies: large, but within bounds */
    {"\\++$", "c++", 1},             /* an escaped "+" repeated once */
};

typedef struct refusal {
    const char *pattern, *message;
} refusal;

static const refusal refusals[] = {
    {"et++++++++++++++++++++++++++++++++++++++++++++++++cer", "invalid nested repetition operator: `++`"},
    {"a**", "invalid nested repetition operator: `**`"},
    {"a+{2}", "invalid nested repetition operator: `+{2}`"},
    {"a{2}{3}", "invalid nested repetition operator: `{2}{3}`"},
    {"a+??", "invalid nested repetition operator: `+?`"},
    {"a{1001}", "invalid repeat count: `{1001}`"},
    {"a{2,1001}", "invalid repeat count: `{2,1001}`"},
    {"a{99999999999999999999}", "invalid repeat count: `{99999999999999999999}`"},
    {"([0-9]{1,1000}){100}", "expression too large"}, /* measured: 822 MB, 2.3 s */
    {"(a{1000}){1000}", "expression too large"},
    {"a(", "Unmatched ( or \\("}, /* regcomp's own message */
};

int main(void)
{
    size_t n_matches = sizeof(matches) / sizeof(matches[0]);
    size_t n_refusals = sizeof(refusals) / sizeof(refusals[0]);
    tap_plan((int)(n_matches + n_refusals + 4));
    char msg[256], name[300];
    regex_t re;

    for (size_t i = 0; i < n_matches; i++) {
        const match_case *c = &matches[i];
        snprintf(name, sizeof(name), "%s on %s: %s", c->pattern, c->tag, c->want ? "matches" : "no match");
        if (sync_regex_compile(&re, c->pattern, msg, sizeof(msg)) != 0) {
            tap_ok(0, "%s (refused: %s)", name, msg);
            continue;
        }
        tap_is_int(regexec(&re, c->tag, 0, NULL, 0) == 0, c->want, name);
        regfree(&re);
    }
    for (size_t i = 0; i < n_refusals; i++) {
        const refusal *r = &refusals[i];
        snprintf(name, sizeof(name), "%.60s: refused, %s", r->pattern, r->message);
        strcpy(msg, "(accepted)");
        int rc = sync_regex_compile(&re, r->pattern, msg, sizeof(msg));
        if (rc == 0)
            regfree(&re);
        tap_is_str(msg, r->message, name);
    }

    /* Groups instead of adjacent operators: Go accepts "((t+)+)+", and each
     * level doubles glibc's tree; 40 levels must be refused, quickly. */
    char deep[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "(");
    strcat(deep, "t");
    for (int i = 0; i < 40; i++)
        strcat(deep, "+)");
    clock_t start = clock();
    int rc = sync_regex_compile(&re, deep, msg, sizeof(msg));
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    if (rc == 0)
        regfree(&re);
    tap_is_str(rc == 0 ? "(accepted)" : msg, "expression too large", "40 nested (t+)+ groups: expression too large");
    tap_ok(seconds < 1.0, "... refused in %.3f s, before regcomp", seconds);

    char nest[1100] = "";
    for (int i = 0; i < 1001; i++)
        strcat(nest, "(");
    rc = sync_regex_compile(&re, nest, msg, sizeof(msg));
    tap_is_str(rc == 0 ? "(accepted)" : msg, "expression nests too deeply", "1001 open groups: nests too deeply");
    memset(nest, 0, sizeof(nest));
    for (int i = 0; i < 500; i++)
        strcat(nest, "(");
    strcat(nest, "x");
    for (int i = 0; i < 500; i++)
        strcat(nest, ")");
    rc = sync_regex_compile(&re, nest, msg, sizeof(msg));
    if (rc == 0)
        regfree(&re);
    tap_ok(rc == 0, "500 nested groups compile");
    return tap_done();
}
