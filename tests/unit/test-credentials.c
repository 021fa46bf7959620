/* tests/unit/test-credentials.c — the credential chain of containers-auth.json(5):
 * command-line first, file precedence, most specific key, legacy docker keys,
 * identity tokens, credential helpers, --no-creds, and login/logout writes
 * (mode 0600, other entries kept). Works in a private temporary HOME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/credentials.h"
#include "tap.h"

static char root[256];

static void write_file(const char *rel, const char *text, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static const char *user_for(const ctx_options *opts, const char *registry, const char *repo, int *rc)
{
    static char buf[256];
    cred_store *s = cred_store_new(NULL);
    ferry_credentials c = {.struct_size = sizeof(c)};
    static char err[512];
    err[0] = '\0';
    *rc = cred_lookup(s, opts, registry, repo, 0, &c, err, sizeof(err));
    snprintf(buf, sizeof(buf), "%s|%s|%s", c.username ? c.username : "-", c.password ? c.password : "-",
             c.identity_token ? c.identity_token : "-");
    cred_store_free(s);
    return *rc == FERRY_OK ? buf : (*rc == FERRY_ERR_NOT_FOUND ? "none" : err);
}

int main(void)
{
    tap_plan(20);
    snprintf(root, sizeof(root), "/tmp/ferry-cred-test-%d", (int)getpid());
    mkdir(root, 0700);
    char env[512];
    setenv("HOME", root, 1);
    snprintf(env, sizeof(env), "%s/run", root);
    setenv("XDG_RUNTIME_DIR", env, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("DOCKER_CONFIG");
    unsetenv("REGISTRY_AUTH_FILE");
    ctx_options none = {.n = 0};
    int rc;

    char key[256];
    cred_normalize_key("https://index.docker.io/v1/", key, sizeof(key));
    tap_is_str(key, "docker.io", "docker's legacy hub key normalizes to docker.io");
    cred_normalize_key("http://reg.example:5000/", key, sizeof(key));
    tap_is_str(key, "reg.example:5000", "scheme and slash dropped");
    cred_normalize_key("reg.example/ns/", key, sizeof(key));
    tap_is_str(key, "reg.example/ns", "namespace keys keep their path");

    tap_is_str(user_for(&none, "reg.example", "ns/app", &rc), "none", "no files: anonymous");

    /* dGVzdDpwdw== is test:pw ; ZG9jazpkcHc= is dock:dpw ; bGVnOmxwdw== is leg:lpw ; bnM6bnNwdw== is ns:nspw */
    write_file(".dockercfg", "{\"reg.example\":{\"auth\":\"bGVnOmxwdw==\"}}", 0600);
    tap_is_str(user_for(&none, "reg.example", "ns/app", &rc), "leg|lpw|-", "~/.dockercfg (legacy format) is the last resort");
    write_file(".docker/config.json", "{\"auths\":{\"https://reg.example/v1/\":{\"auth\":\"ZG9jazpkcHc=\"}}}", 0600);
    tap_is_str(user_for(&none, "reg.example", "ns/app", &rc), "dock|dpw|-", "~/.docker/config.json beats ~/.dockercfg");
    write_file(".config/containers/auth.json", "{\"auths\":{\"reg.example\":{\"auth\":\"dGVzdDpwdw==\"}}}", 0600);
    tap_is_str(user_for(&none, "reg.example", "ns/app", &rc), "test|pw|-", "XDG config auth.json beats docker's");
    write_file("run/containers/auth.json",
               "{\"auths\":{\"reg.example/ns\":{\"auth\":\"bnM6bnNwdw==\"},\"other.example\":{\"auth\":\"dGVzdDpwdw==\"}}}", 0600);
    tap_is_str(user_for(&none, "reg.example", "ns/app", &rc), "ns|nspw|-", "runtime auth.json, namespace key matches");
    tap_is_str(user_for(&none, "reg.example", "elsewhere/app", &rc), "test|pw|-",
               "a key for another namespace does not match: next file");

    ctx_options cli = {.n = 0};
    ctx_options_set(&cli, "username", "cli");
    ctx_options_set(&cli, "password", "clipw");
    tap_is_str(user_for(&cli, "reg.example", "ns/app", &rc), "cli|clipw|-", "--creds beats every file");
    ctx_options anon = {.n = 0};
    ctx_options_set(&anon, "no-creds", "true");
    tap_is_str(user_for(&anon, "reg.example", "ns/app", &rc), "none", "--no-creds sends none");

    write_file("explicit.json", "{\"auths\":{\"reg.example\":{\"identitytoken\":\"tok123\"}}}", 0600);
    ctx_options explicit = {.n = 0};
    char explicit_path[512];
    snprintf(explicit_path, sizeof(explicit_path), "%s/explicit.json", root);
    ctx_options_set(&explicit, "authfile", explicit_path);
    tap_is_str(user_for(&explicit, "reg.example", "ns/app", &rc), "-|-|tok123", "--authfile with an identity token");

    /* A credential helper on PATH. */
    write_file("bin/docker-credential-fake",
               "#!/bin/sh\nread server\nif [ \"$server\" = helped.example ]; then\n"
               "  echo '{\"ServerURL\":\"helped.example\",\"Username\":\"helper\",\"Secret\":\"hpw\"}'\nelse\n"
               "  echo 'credentials not found in native keychain'; exit 1\nfi\n", 0700);
    write_file(".docker/config.json",
               "{\"auths\":{},\"credHelpers\":{\"helped.example\":\"fake\",\"missing.example\":\"fake\"}}", 0600);
    snprintf(env, sizeof(env), "%s/bin:%s", root, getenv("PATH"));
    setenv("PATH", env, 1);
    tap_is_str(user_for(&none, "helped.example", "app", &rc), "helper|hpw|-", "credHelpers runs docker-credential-fake get");
    tap_is_str(user_for(&none, "missing.example", "app", &rc), "none", "helper saying not found means anonymous");

    write_file("bad.json", "{not json", 0600);
    ctx_options bad = {.n = 0};
    char bad_path[512];
    snprintf(bad_path, sizeof(bad_path), "%s/bad.json", root);
    ctx_options_set(&bad, "authfile", bad_path);
    tap_ok(strstr(user_for(&bad, "reg.example", NULL, &rc), "bad.json") != NULL && rc == FERRY_ERR_INVALID,
           "a malformed auth file is an error naming it");

    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/new/dir/auth.json", root);
    tap_ok(cred_file_store(path, "reg.example:5000", "me", "s3cret", err, sizeof(err)) == 0, "login writes a new file");
    struct stat st;
    tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "auth file mode is 0600");
    cred_file_store(path, "other.example", "me2", "pw2", err, sizeof(err));
    tap_ok(cred_file_remove(path, "reg.example:5000", err, sizeof(err)) == 0, "logout removes the entry");
    tap_ok(cred_file_remove(path, "reg.example:5000", err, sizeof(err)) == 1, "logout again: not logged in");
    ctx_options file_opts = {.n = 0};
    ctx_options_set(&file_opts, "authfile", path);
    tap_is_str(user_for(&file_opts, "other.example", NULL, &rc), "me2|pw2|-", "other entries survive logout");

    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", root);
    return tap_done();
}
