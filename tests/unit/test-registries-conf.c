/* tests/unit/test-registries-conf.c — registries.conf as containers/image
 * v5.23 reads it: v2 [[registry]] tables (prefix defaulting to location,
 * longest-prefix match on the repository name, *.domain wildcards),
 * mirrors and their pull sources (mirror-by-digest-only, pull-from-mirror,
 * location rewrites), the v1 lists, drop-ins overriding by prefix,
 * credential-helpers, and the one-line errors naming file, line and key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/registries_conf.h"
#include "tap.h"

static char dir[256], path[700];

static void write_text(const char *file, const char *text)
{
    FILE *f = fopen(file, "w");
    fputs(text, f);
    fclose(f);
}

static registries_conf *load_text(const char *text)
{
    write_text(path, text);
    return registries_conf_load();
}

/* err contains needle (and the file's path). */
static void error_like(const char *text, const char *needle, const char *what)
{
    registries_conf *c = load_text(text);
    const char *err = registries_conf_error(c);
    int good = err != NULL && strstr(err, needle) != NULL && strstr(err, path) != NULL && strchr(err, '\n') == NULL;
    tap_ok(good, "%s", what);
    if (!good)
        tap_diag("error: %s (wanted %s)", err != NULL ? err : "(none)", needle);
    /* A broken file configures nothing. */
    tap_ok(registries_conf_pull_sources(c, "localhost:5000/x:v1") == NULL, "%s: nothing is configured", what);
    registries_conf_free(c);
}

int main(void)
{
    tap_plan(51);
    snprintf(dir, sizeof(dir), "/tmp/ferry-regconf-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/registries.conf", dir);
    setenv("CONTAINERS_REGISTRIES_CONF", path, 1);

    registries_conf *c = load_text(
        "unqualified-search-registries = [\"docker.io\", # comment\n  \"quay.io\"]\n"
        "[[registry]]\nprefix = \"localhost:5000\" # local\nlocation = \"localhost:5000\"\ninsecure = true\n"
        "[[registry.mirror]]\nlocation = \"mirror.example\"\ninsecure = false\n"
        "[[registry]]\nlocation = \"blocked.example\"\nblocked = true\n"
        "[[registry]]\nprefix = \"*.corp.example\"\ninsecure = true\n"
        "[[registry]]\nprefix = \"example.com/team\"\nlocation = \"mirror.internal/example/team\"\nblocked = false\n"
        "[[registry]]\nprefix = \"example.com/team/secret\"\nlocation = \"example.com/team/secret\"\nblocked = true\n"
        "[aliases]\n\"busybox\" = \"docker.io/library/busybox\"\n");
    tap_ok(c != NULL && registries_conf_error(c) == NULL, "v2 file loads");
    tap_is_str(registries_conf_setting(c, "localhost:5000", "insecure"), "true", "prefix = host:port is insecure");
    tap_is_str(registries_conf_setting(c, "localhost:5000/a/b", "insecure"), "true", "... and covers its repositories");
    tap_is_str(registries_conf_setting(c, "localhost:5001", "insecure"), NULL, "another port is not");
    tap_is_str(registries_conf_setting(c, "localhost:50001/x", "insecure"), NULL, "a longer port is not a match");
    tap_is_str(registries_conf_setting(c, "blocked.example", "blocked"), "true", "location-only entry is blocked");
    tap_is_str(registries_conf_setting(c, "git.corp.example:443/x", "insecure"), "true", "*.domain wildcard matches");
    tap_is_str(registries_conf_setting(c, "corp.example/x", "insecure"), NULL, "*.domain does not match the domain");
    tap_is_str(registries_conf_setting(c, "mirror.example", "insecure"), NULL, "mirror tables do not define registries");
    tap_is_str(registries_conf_setting(c, "example.com/team/secret/app", "blocked"), "true",
               "the longest prefix wins (blocked)");
    tap_is_str(registries_conf_setting(c, "example.com/team/app", "blocked"), NULL, "... a shorter one is not blocked");
    tap_is_str(registries_conf_setting(c, "example.com/teammate/app", "blocked"), NULL,
               "a prefix matches whole path components only");
    const char *reason = registries_conf_blocked_reason(c, "example.com/team/secret/app");
    tap_ok(reason != NULL && strstr(reason, "registry example.com/team/secret is blocked in") != NULL &&
               strstr(reason, path) != NULL,
           "the blocked reason names the prefix and the file");
    tap_is_str(registries_conf_pull_sources(c, "example.com/team/app:v1"), "mirror.internal/example/team/app:v1\tsecure\n",
               "location rewrite");
    tap_is_str(registries_conf_pull_sources(c, "localhost:5000/x:v1"),
               "mirror.example/x:v1\tsecure\nlocalhost:5000/x:v1\tinsecure\n", "a mirror first, then the primary");
    tap_is_str(registries_conf_pull_sources(c, "nothing.example/x:v1"), NULL, "no matching registry: no sources");
    tap_is_str(registries_conf_pull_sources(c, "a.corp.example/x@sha256:0123"), "a.corp.example/x@sha256:0123\tinsecure\n",
               "a wildcard registry keeps the reference");
    size_t n = 0;
    const char *const *helpers = registries_conf_credential_helpers(c, &n);
    tap_ok(n == 1 && strcmp(helpers[0], "containers-auth.json") == 0, "credential-helpers default to the auth files");
    registries_conf_free(c);

    static const char digest[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    char ref[200], want[600];
    c = load_text("credential-helpers = [\"pass\", \"containers-auth.json\"]\n"
                  "[[registry]]\nlocation = \"r.example/lib\"\nmirror-by-digest-only = true\n"
                  "[[registry.mirror]]\nlocation = \"m1.example/lib\"\n"
                  "[[registry]]\nlocation = \"s.example\"\n"
                  "[[registry.mirror]]\nlocation = \"dig.example\"\npull-from-mirror = \"digest-only\"\n"
                  "[[registry.mirror]]\nlocation = \"tag.example\"\npull-from-mirror = \"tag-only\"\ninsecure = true\n"
                  "[[registry.mirror]]\nlocation = \"all.example/\"\npull-from-mirror = \"all\"\n");
    tap_ok(registries_conf_error(c) == NULL, "mirror options load");
    tap_is_str(registries_conf_pull_sources(c, "r.example/lib/app:v1"), "r.example/lib/app:v1\tsecure\n",
               "mirror-by-digest-only: a tag goes to the primary only");
    snprintf(ref, sizeof ref, "r.example/lib/app@%s", digest);
    snprintf(want, sizeof want, "m1.example/lib/app@%s\tsecure\nr.example/lib/app@%s\tsecure\n", digest, digest);
    tap_is_str(registries_conf_pull_sources(c, ref), want, "mirror-by-digest-only: a digest uses the mirror");
    tap_is_str(registries_conf_pull_sources(c, "s.example/app:v1"),
               "tag.example/app:v1\tinsecure\nall.example/app:v1\tsecure\ns.example/app:v1\tsecure\n",
               "pull-from-mirror for a tag: tag-only and all, then the primary (trailing / dropped)");
    snprintf(ref, sizeof ref, "s.example/app@%s", digest);
    snprintf(want, sizeof want, "dig.example/app@%s\tsecure\nall.example/app@%s\tsecure\ns.example/app@%s\tsecure\n",
             digest, digest, digest);
    tap_is_str(registries_conf_pull_sources(c, ref), want, "pull-from-mirror for a digest: digest-only and all");
    helpers = registries_conf_credential_helpers(c, &n);
    tap_ok(n == 2 && strcmp(helpers[0], "pass") == 0 && strcmp(helpers[1], "containers-auth.json") == 0,
           "credential-helpers in order");
    registries_conf_free(c);

    c = load_text("[[registry]]\nlocation = \"dup.example\"\ninsecure = true\n[[registry]]\nlocation = \"other.example\"\n"
                  "[[registry]]\nprefix = \"dup.example\"\nlocation = \"elsewhere.example\"\ninsecure = true\n");
    tap_is_str(registries_conf_pull_sources(c, "dup.example/x:v1"), "dup.example/x:v1\tinsecure\n",
               "a prefix repeated in one file: the first entry wins");
    registries_conf_free(c);

    c = load_text("[registries.search]\nregistries = ['docker.io']\n[registries.insecure]\nregistries = ['old.example:5000',\n"
                  "  'old2.example']\n[registries.block]\nregistries = [\"bad.example\"]\n");
    tap_is_str(registries_conf_setting(c, "old2.example", "insecure"), "true", "v1 multi-line insecure list");
    tap_is_str(registries_conf_setting(c, "bad.example", "blocked"), "true", "v1 block list");
    tap_is_str(registries_conf_setting(c, "docker.io", "insecure"), NULL, "search list changes nothing");
    registries_conf_free(c);

    error_like("[[registry]]\nprefix = \"example.com\"\n\nlocation = \"https://example.com\"\n",
               ":4: key \"location\": invalid location 'https://example.com': URI schemes are not supported",
               "a location with a URI scheme is refused with file, line and key");
    error_like("[[registry]]\nprefix = \"Not A Name\"\nlocation = \"example.com\"\n",
               ":2: key \"prefix\": invalid prefix \"Not A Name\"", "an invalid prefix is refused");
    error_like("[[registry]]\nprefix = \"*.example.com/foo\"\n",
               ":2: key \"prefix\": Wildcarded prefix should be in the format: *.example.com",
               "a wildcard prefix with a path is refused");
    error_like("[[registry]]\nlocation = \"example.com\"\ninsecure = \"yes\"\n", ":3: key \"insecure\": expected true or false",
               "a string where a boolean belongs is refused");
    error_like("[[registry]]\nlocation = \"example.com\"\n[[registry.mirror]]\nlocation = \"m.example\"\n"
               "pull-from-mirror = \"sometimes\"\n",
               ":5: key \"pull-from-mirror\": unsupported pull-from-mirror value \"sometimes\"",
               "an unknown pull-from-mirror value is refused");
    error_like("[[registry]]\nlocation = \"example.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\n"
               "location = \"m.example\"\npull-from-mirror = \"all\"\n",
               "cannot set mirror usage mirror-by-digest-only", "mirror-by-digest-only with pull-from-mirror is refused");
    error_like("[[registry]]\nlocation = \"example.com\"\n[[registry]]\nlocation = \"example.com\"\ninsecure = true\n",
               "defined multiple times with conflicting 'insecure' setting", "conflicting settings are refused");
    error_like("[[registry]]\nlocation = \"example.com\"\n[registries.insecure]\nregistries = [\"a.example\"]\n",
               "mixing sysregistry v1/v2 is not supported", "mixing v1 and v2 is refused");
    error_like("[[registry]\nlocation = \"example.com\"\n", ":1:", "a TOML syntax error names the line");

    /* Drop-ins: with no $CONTAINERS_REGISTRIES_CONF, the user's file and
     * its registries.conf.d, later files replacing a prefix. */
    unsetenv("CONTAINERS_REGISTRIES_CONF");
    char home[300], conf_dir[400], dropins[450], file[600];
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(conf_dir, sizeof conf_dir, "%s/.config/containers", home);
    snprintf(dropins, sizeof dropins, "%s/registries.conf.d", conf_dir);
    snprintf(file, sizeof file, "mkdir -p %s", dropins);
    if (system(file) != 0)
        tap_diag("mkdir failed");
    setenv("HOME", home, 1);
    snprintf(path, sizeof path, "%s/registries.conf", conf_dir);
    write_text(path, "[[registry]]\nlocation = \"a.example\"\ninsecure = true\n[[registry]]\nlocation = \"b.example\"\n");
    static const char *const dropin_files[][2] = {
        {"10-b.conf", "[[registry]]\nlocation = \"b.example\"\nblocked = true\n"},
        {"20-c.conf", "credential-helpers = [\"secretservice\"]\n"},
        {"30-ignored.txt", "this is not TOML\n"},
    };
    for (size_t i = 0; i < sizeof dropin_files / sizeof dropin_files[0]; i++) {
        snprintf(file, sizeof file, "%s/%s", dropins, dropin_files[i][0]);
        write_text(file, dropin_files[i][1]);
    }
    c = registries_conf_load();
    tap_ok(registries_conf_error(c) == NULL, "user file and drop-ins load");
    tap_is_str(registries_conf_setting(c, "a.example", "insecure"), "true", "the main file's entry stays");
    tap_is_str(registries_conf_setting(c, "b.example", "blocked"), "true", "a drop-in replaces a prefix");
    helpers = registries_conf_credential_helpers(c, &n);
    tap_ok(n == 1 && strcmp(helpers[0], "secretservice") == 0, "a drop-in sets credential-helpers");
    registries_conf_free(c);
    snprintf(file, sizeof file, "%s/40-v1.conf", dropins);
    write_text(file, "[registries.block]\nregistries = [\"x.example\"]\n");
    c = registries_conf_load();
    const char *err = registries_conf_error(c);
    tap_ok(err != NULL && strstr(err, "40-v1.conf") != NULL && strstr(err, "must be in v2 format") != NULL,
           "a v1 drop-in is refused, naming it");
    registries_conf_free(c);

    snprintf(file, sizeof(file), "rm -rf %s", dir);
    if (system(file) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
