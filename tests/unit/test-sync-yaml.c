/* tests/unit/test-sync-yaml.c — the `sync --src yaml` source file: every
 * key of a full file, "every tag" lists, digests and tags as written, the
 * YAML 1.1 booleans of tls-verify, and each refusal with its file, line and
 * key: unreadable or oversized file, syntax error, wrong top level, unknown
 * or repeated keys, wrong kinds, bad regex, bad semver, anchors, aliases. */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync/sync_yaml.h"
#include "tap.h"

static const char *write_file(const char *dir, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/sync.yaml", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        tap_diag("cannot write %s", path);
        return path;
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text and checks the message: "PATH:" followed by want. */
static void expect_error(const char *dir, const char *text, const char *want, const char *name)
{
    char path[512], err[1024], full[1600];
    sync_yaml y;
    write_file(dir, text, path, sizeof(path));
    int rc = sync_yaml_load(path, &y, err, sizeof(err));
    snprintf(full, sizeof(full), "%s:%s", path, want);
    if (rc != -1 || y.registries != NULL || y.n_registries != 0)
        snprintf(err, sizeof(err), "(rc %d, %zu registries)", rc, y.n_registries);
    tap_is_str(err, full, name);
    sync_yaml_free(&y);
}

/* tls-verify: VALUE, loaded; returns tls_verify or -2 when refused. */
static int load_tls(const char *dir, const char *value)
{
    char path[512], text[256], err[1024];
    sync_yaml y;
    snprintf(text, sizeof(text), "r.example:\n  tls-verify: %s\n", value);
    write_file(dir, text, path, sizeof(path));
    int got = sync_yaml_load(path, &y, err, sizeof(err)) == 0 && y.n_registries == 1 ? y.registries[0].tls_verify : -2;
    sync_yaml_free(&y);
    return got;
}

static const char full_file[] = "# ferry sync source\n"                                  /* 1 */
                                "registry.example.com:\n"                                /* 2 */
                                "  images:\n"                                            /* 3 */
                                "    busybox: []\n"                                      /* 4 */
                                "    library/alpine:\n"                                  /* 5 */
                                "      - \"3.19\"\n"                                     /* 6 */
                                "      - latest\n"                                       /* 7 */
                                "      - sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                                "    nginx:\n"                                           /* 9 */
                                "  images-by-semver:\n"                                  /* 10 */
                                "    redis: \">= 7.0, < 8\"\n"                           /* 11 */
                                "  images-by-tag-regex:\n"                               /* 12 */
                                "    coredns/coredns: ^v1\\.[0-9]+\\.[0-9]+$\n"          /* 13 */
                                "    busybox: 'musl$'\n"                                 /* 14 */
                                "  credentials:\n"                                       /* 15 */
                                "    username: john\n"                                   /* 16 */
                                "    password: \"s3cr:et\"\n"                            /* 17 */
                                "  tls-verify: no\n"                                     /* 18 */
                                "  cert-dir: /etc/certs/example\n"                       /* 19 */
                                "127.0.0.1:5000/ns:\n"                                   /* 20 */
                                "  images: {app: [v1, 1.10]}\n"                          /* 21 */
                                "  tls-verify: TRUE\n"                                   /* 22 */
                                "quay.io:\n";                                            /* 23 */

static void test_full_file(const char *dir)
{
    char path[512], err[1024] = "";
    sync_yaml y;
    write_file(dir, full_file, path, sizeof(path));
    int rc = sync_yaml_load(path, &y, err, sizeof(err));
    if (!tap_ok(rc == 0 && y.n_registries == 3, "full file loads three registries"))
        tap_diag("  rc %d, err '%s', %zu registries", rc, err, y.n_registries);
    if (rc != 0 || y.n_registries != 3) {
        for (int i = 0; i < 30; i++)
            tap_ok(0, "full file: not loaded");
        sync_yaml_free(&y);
        return;
    }
    const sync_yaml_registry *r = &y.registries[0];
    tap_is_str(r->name, "registry.example.com", "registry name");
    tap_is_int(r->line, 2, "registry line");
    tap_is_int((long long)r->n_repos, 6, "six repositories: three images, two regexes, one semver");
    const char *order[] = {"busybox", "library/alpine", "nginx", "coredns/coredns", "busybox", "redis"};
    const int lines[] = {4, 5, 9, 13, 14, 11};
    char got[256] = "", want[256] = "";
    for (size_t i = 0; i < 6 && i < r->n_repos; i++) {
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s@%d ", r->repos[i].name, r->repos[i].line);
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s@%d ", order[i], lines[i]);
    }
    tap_is_str(got, want, "images, then tag regexes, then semver, in file order, with key lines");
    const sync_yaml_repo *bb = &r->repos[0], *alp = &r->repos[1], *ngx = &r->repos[2];
    tap_ok(bb->every_tag == 1 && bb->n_refs == 0 && bb->refs == NULL, "busybox: [] is every tag");
    tap_ok(bb->tag_regex == NULL && bb->semver == NULL, "an images entry has no regex or semver");
    tap_ok(ngx->every_tag == 1 && ngx->n_refs == 0, "nginx: (null) is every tag");
    tap_ok(alp->every_tag == 0 && alp->n_refs == 3, "library/alpine lists three references");
    tap_is_str(alp->refs[0], "3.19", "a quoted tag as written");
    tap_is_str(alp->refs[1], "latest", "a plain tag");
    tap_is_str(alp->refs[2], "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
               "a digest as written");
    tap_is_str(r->repos[3].tag_regex, "^v1\\.[0-9]+\\.[0-9]+$", "tag regex as written");
    tap_ok(r->repos[3].semver == NULL && r->repos[3].every_tag == 0 && r->repos[3].n_refs == 0,
           "a regex entry has no semver or refs");
    tap_is_str(r->repos[4].tag_regex, "musl$", "the same repository may have a regex too");
    tap_is_str(r->repos[5].semver, ">= 7.0, < 8", "semver constraint as written");
    tap_ok(r->repos[5].tag_regex == NULL, "a semver entry has no regex");
    tap_is_str(r->username, "john", "credentials username");
    tap_is_str(r->password, "s3cr:et", "credentials password");
    tap_is_int(r->tls_verify, 0, "tls-verify: no is 0");
    tap_is_str(r->cert_dir, "/etc/certs/example", "cert-dir");

    r = &y.registries[1];
    tap_is_str(r->name, "127.0.0.1:5000/ns", "host:port/namespace registry name");
    tap_is_int(r->line, 20, "second registry line");
    tap_is_int(r->tls_verify, 1, "tls-verify: TRUE is 1");
    tap_ok(r->username == NULL && r->password == NULL && r->cert_dir == NULL, "absent settings are NULL");
    tap_ok(r->n_repos == 1 && r->repos[0].n_refs == 2, "flow-style images");
    tap_is_str(r->n_repos == 1 && r->repos[0].n_refs == 2 ? r->repos[0].refs[1] : NULL, "1.10",
               "a number-like tag keeps its text (1.10, not 1.1)");
    tap_is_int(r->n_repos == 1 ? r->repos[0].line : 0, 21, "flow-style repository line");

    r = &y.registries[2];
    tap_is_str(r->name, "quay.io", "a registry with no settings");
    tap_ok(r->n_repos == 0 && r->repos == NULL && r->tls_verify == -1 && r->line == 23,
           "it has no repositories, tls-verify -1, its line");
    sync_yaml_free(&y);
    tap_ok(y.registries == NULL && y.n_registries == 0, "sync_yaml_free clears the struct");
}

static void test_empty(const char *dir)
{
    const char *texts[] = {"", "# only a comment\n", "~\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char path[512], err[1024] = "", name[128];
        sync_yaml y;
        write_file(dir, texts[i], path, sizeof(path));
        int rc = sync_yaml_load(path, &y, err, sizeof(err));
        tap_ok(rc == 0 && y.n_registries == 0 && y.registries == NULL, "\"%s\" loads as no registries",
               tap_name(texts[i], name, sizeof(name)));
        sync_yaml_free(&y);
    }
}

static void test_tls_verify(const char *dir)
{
    const char *yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
    const char *no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
    char got[64] = "";
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        strcat(got, load_tls(dir, yes[i]) == 1 ? "1" : "x");
    tap_is_str(got, "11111111111", "YAML 1.1 true forms");
    got[0] = '\0';
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        strcat(got, load_tls(dir, no[i]) == 0 ? "0" : "x");
    tap_is_str(got, "00000000000", "YAML 1.1 false forms");
    tap_is_int(load_tls(dir, "~"), -1, "tls-verify: ~ is absent");
    tap_is_int(load_tls(dir, "tRUE"), -2, "tls-verify: tRUE is refused");
    tap_is_int(load_tls(dir, "1"), -2, "tls-verify: 1 is refused");
}

static void test_errors(const char *dir)
{
    char path[512], err[1024], want[1200];
    sync_yaml y;

    snprintf(path, sizeof(path), "%s/missing.yaml", dir);
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    tap_ok(sync_yaml_load(path, &y, err, sizeof(err)) == -1, "a missing file fails");
    tap_is_str(err, want, "missing file: path and reason");
    tap_ok(sync_yaml_load(dir, &y, err, sizeof(err)) == -1 && strstr(err, ": Is a directory") != NULL,
           "a directory is refused: %s", err);

    /* Over 16 MiB: a sparse file, refused before parsing. */
    snprintf(path, sizeof(path), "%s/big.yaml", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (16 << 20) + 1) != 0)
        tap_diag("cannot make %s", path);
    if (fd >= 0)
        close(fd);
    snprintf(want, sizeof(want), "%s: larger than 16 MiB", path);
    tap_ok(sync_yaml_load(path, &y, err, sizeof(err)) == -1, "a file over 16 MiB fails");
    tap_is_str(err, want, "oversized file message");
    unlink(path);

    expect_error(dir, "r.example:\n  images:\n    busybox: a: b\n",
                 "3: YAML syntax error: mapping values are not allowed in this context",
                 "a syntax error wins over the wrong value before it (busybox: a)");
    expect_error(dir, "r.example:\n  images:\n    busybox: [latest\n  tls-verify: true\n",
                 "4: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence)",
                 "unclosed flow list");
    expect_error(dir, "r.example:\n\ttls-verify: true\n",
                 "2: YAML syntax error: found character that cannot start any token (while scanning for the next token)",
                 "tab indentation");
    expect_error(dir, "- a\n- b\n", "1: the top level must be a mapping of registries, found a list", "top level list");
    expect_error(dir, "# c\njust text\n", "2: the top level must be a mapping of registries, found a string",
                 "top level string");
    expect_error(dir, "r.example:\n  images:\n    busybox: [latest]\n  tls_verify: true\n",
                 "4: r.example: unknown key \"tls_verify\"", "unknown registry key");
    expect_error(dir, "r.example:\n  Images: {}\n", "2: r.example: unknown key \"Images\"", "keys are case-sensitive");
    expect_error(dir, "r.example:\n  credentials:\n    username: u\n    token: t\n",
                 "4: r.example: credentials: unknown key \"token\" (username, password)", "unknown credentials key");
    expect_error(dir, "r.example:\n  cert-dir:\n    - /a\n", "3: r.example: cert-dir: must be a directory path, found a list",
                 "cert-dir given a list");
    expect_error(dir, "r.example:\n  images-by-tag-regex:\n    busybox: [a, b]\n",
                 "3: r.example: images-by-tag-regex: busybox: must be a regular expression, found a list",
                 "regex given a list");
    expect_error(dir, "r.example:\n  images-by-semver:\n    busybox: {a: b}\n",
                 "3: r.example: images-by-semver: busybox: must be a semver constraint, found a mapping",
                 "semver given a mapping");
    expect_error(dir, "r.example:\n  images:\n    busybox: latest\n",
                 "3: r.example: images: busybox: must be a list of tags or digests, found a string",
                 "images entry given a string");
    expect_error(dir, "r.example:\n  images: [busybox]\n",
                 "2: r.example: images: must be a mapping of repositories to lists of tags or digests, found a list",
                 "images given a list");
    expect_error(dir, "r.example:\n  images:\n    busybox: [latest, [a]]\n",
                 "3: r.example: images: busybox: a list item must be a tag or digest, found a list", "nested list item");
    expect_error(dir, "r.example:\n  images:\n    busybox:\n      - latest\n      -\n",
                 "5: r.example: images: busybox: a list item is empty", "empty list item");
    expect_error(dir, "r.example:\n  credentials:\n    username: {a: b}\n",
                 "3: r.example: credentials: username: must be a string, found a mapping", "username given a mapping");
    expect_error(dir, "r.example:\n  credentials: john\n",
                 "2: r.example: credentials: must be a mapping with username and password, found a string",
                 "credentials given a string");
    expect_error(dir, "r.example:\n  tls-verify: maybe\n",
                 "2: r.example: tls-verify: \"maybe\" is not a boolean (true/false, yes/no, on/off)",
                 "tls-verify not a boolean");
    expect_error(dir, "r.example:\n  tls-verify: \"true\"\n",
                 "2: r.example: tls-verify: \"true\" is a quoted string, not a boolean (write true or false)",
                 "tls-verify quoted");
    expect_error(dir, "r.example:\n  tls-verify: [true]\n",
                 "2: r.example: tls-verify: must be true or false, found a list", "tls-verify given a list");
    expect_error(dir, "r.example: yes\n",
                 "1: r.example: must be a mapping of settings (images, credentials, ...), found a string",
                 "registry given a string");

    /* The regex message carries regerror's own text. */
    regex_t re;
    char msg[256];
    int rc = regcomp(&re, "(ab", REG_EXTENDED | REG_NOSUB);
    regerror(rc, &re, msg, sizeof(msg));
    tap_ok(rc != 0 && msg[0] != '\0', "regcomp refuses \"(ab\" (%s)", msg);
    snprintf(want, sizeof(want), "4: r.example: images-by-tag-regex: busybox: invalid regular expression \"(ab\": %s",
             msg);
    expect_error(dir, "r.example:\n  images-by-tag-regex:\n    alpine: ^3\\.\n    busybox: (ab\n", want, "bad regex");
    expect_error(dir, "r.example:\n  images-by-semver:\n    redis: \">= bar\"\n",
                 "3: r.example: images-by-semver: redis: invalid semver constraint \">= bar\": "
                 "improper constraint \">= bar\"",
                 "bad semver constraint");
    expect_error(dir, "r.example:\n  images-by-semver:\n    redis:\n",
                 "3: r.example: images-by-semver: redis: invalid semver constraint \"\": improper constraint \"\"",
                 "empty semver constraint");

    expect_error(dir, "r.example:\n  images:\n    busybox: &tags [latest]\n    alpine: *tags\n",
                 "3: r.example: images: busybox: YAML anchors (&tags) are not supported", "anchors are refused");
    expect_error(dir, "r.example:\n  images:\n    alpine: *tags\n",
                 "3: r.example: images: alpine: YAML aliases (*tags) are not supported", "aliases are refused");
    expect_error(dir, "r.example:\n  tls-verify: !!bool true\n",
                 "2: r.example: tls-verify: YAML tag \"tag:yaml.org,2002:bool\" is not supported", "explicit tags");

    expect_error(dir, "r.example:\n  tls-verify: true\nr.example:\n  tls-verify: false\n",
                 "3: registry \"r.example\" is listed twice (also at line 1)", "repeated registry");
    expect_error(dir, "r.example:\n  tls-verify: true\n  tls-verify: false\n",
                 "3: r.example: key \"tls-verify\" is given twice", "repeated registry key");
    expect_error(dir, "r.example:\n  credentials:\n    password: a\n    password: b\n",
                 "4: r.example: credentials: key \"password\" is given twice", "repeated credentials key");
    expect_error(dir, "r.example:\n  images:\n    busybox: []\n    busybox: [latest]\n",
                 "4: r.example: images: repository \"busybox\" is listed twice (also at line 3)", "repeated repository");
    expect_error(dir, "\"\":\n  tls-verify: true\n", "1: a registry name must not be empty", "empty registry name");
    expect_error(dir, "r.example:\n  images:\n    ~: []\n", "3: r.example: images: a repository name must not be empty",
                 "null repository name");
    expect_error(dir, "r.example:\n  ? [a]\n  : b\n", "2: r.example: a key must be a string, found a list",
                 "a list as key");
    expect_error(dir, "r.example:\n  tls-verify: true\n---\nq.example:\n", "3: more than one YAML document",
                 "a second document");
    expect_error(dir, "r\x01.example:\n  bad: 1\n", "1: YAML syntax error: control characters are not allowed",
                 "control character");
}

int main(void)
{
    tap_plan(82);
    char dir[] = "/tmp/ferry-sync-yaml-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        tap_diag("mkdtemp failed");
        return 1;
    }
    test_full_file(dir);
    test_empty(dir);
    test_tls_verify(dir);
    test_errors(dir);

    char path[512];
    snprintf(path, sizeof(path), "%s/sync.yaml", dir);
    unlink(path);
    if (rmdir(dir) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
