/* tests/unit/test-options.c — pflag-compatible parsing: --flag=value,
 * --flag value, short flags, booleans, lists, durations, errors. */
#include <string.h>

#include "cli/options.h"
#include "tap.h"

static const opt_spec specs[] = {
    {"format", 'f', OPT_STRING, NULL, ""},
    {"quiet", 'q', OPT_BOOL, NULL, ""},
    {"tls-verify", 0, OPT_BOOL, NULL, ""},
    {"image-parallel-copies", 0, OPT_INT, NULL, ""},
    {"additional-tag", 0, OPT_LIST, NULL, ""},
    {"command-timeout", 0, OPT_DURATION, NULL, ""},
    {NULL, 0, 0, NULL, NULL},
};

int main(void)
{
    tap_plan(22);
    const opt_spec *tables[] = {specs};
    opt_parsed p;
    char err[256];
    char *argv1[] = {"src", "--format=oci", "-q", "--tls-verify=false", "--image-parallel-copies", "3",
                     "--additional-tag", "a:1", "--additional-tag=b:2", "dst", "--command-timeout", "1m30s"};
    tap_ok(opt_parse(&p, tables, 1, 12, argv1, err, sizeof(err)) == 0, "interspersed flags parse");
    tap_is_str(opt_string(&p, "format"), "oci", "--format=oci");
    tap_ok(opt_bool(&p, "quiet"), "-q sets quiet");
    tap_ok(opt_get(&p, "tls-verify")->set && !opt_get(&p, "tls-verify")->boolean, "--tls-verify=false is set and false");
    tap_is_int(opt_get(&p, "image-parallel-copies")->integer, 3, "--flag value integer");
    tap_is_int((long long)opt_get(&p, "additional-tag")->n_list, 2, "list flags accumulate");
    tap_is_str(opt_get(&p, "additional-tag")->list[1], "b:2", "second list value");
    tap_ok(opt_get(&p, "command-timeout")->seconds == 90.0, "1m30s is 90 seconds");
    tap_is_int((long long)p.n_args, 2, "two positional arguments");
    tap_ok(strcmp(p.args[0], "src") == 0 && strcmp(p.args[1], "dst") == 0, "positional order kept");
    opt_release(&p);

    char *argv2[] = {"-fv2s2", "--", "--not-a-flag"};
    tap_ok(opt_parse(&p, tables, 1, 3, argv2, err, sizeof(err)) == 0, "attached short value and -- parse");
    tap_is_str(opt_string(&p, "format"), "v2s2", "-fv2s2");
    tap_ok(p.n_args == 1 && strcmp(p.args[0], "--not-a-flag") == 0, "after -- everything is an argument");
    opt_release(&p);

    char *argv3[] = {"--bogus"};
    tap_ok(opt_parse(&p, tables, 1, 1, argv3, err, sizeof(err)) != 0 && strstr(err, "--bogus"), "unknown flag named");
    opt_release(&p);
    char *argv4[] = {"--format"};
    tap_ok(opt_parse(&p, tables, 1, 1, argv4, err, sizeof(err)) != 0 && strstr(err, "--format"), "missing value named");
    opt_release(&p);
    char *argv5[] = {"--quiet=maybe"};
    tap_ok(opt_parse(&p, tables, 1, 1, argv5, err, sizeof(err)) != 0, "bad boolean refused");
    opt_release(&p);
    char *argv6[] = {"--image-parallel-copies=lots"};
    tap_ok(opt_parse(&p, tables, 1, 1, argv6, err, sizeof(err)) != 0, "bad integer refused");
    opt_release(&p);
    char *argv7[] = {"--help"};
    tap_ok(opt_parse(&p, tables, 1, 1, argv7, err, sizeof(err)) == 0 && p.help, "--help recognised");
    opt_release(&p);

    double s;
    tap_ok(opt_parse_duration("300ms", &s) == 0 && s > 0.2999 && s < 0.3001, "300ms");
    tap_ok(opt_parse_duration("2h", &s) == 0 && s == 7200, "2h");
    tap_ok(opt_parse_duration("10", &s) != 0, "a bare number is not a duration");
    tap_ok(opt_parse_duration("5x", &s) != 0, "unknown unit refused");
    return tap_done();
}
