/* core/cli/cmd_login.c — `ferry login` and `ferry logout`, as skopeo's:
 * credentials are checked against the registry (through the docker
 * transport's check_credentials) before they are written to the primary auth
 * file, mode 0600; logout removes them. Passwords never reach any output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/credentials.h"
#include "cli/commands.h"

static const opt_spec login_option_specs[] = {
    {"authfile", 0, OPT_STRING, "string", "path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override"},
    {"cert-dir", 0, OPT_STRING, "string", "use certificates at the specified path to access the registry"},
    {"get-login", 0, OPT_BOOL, NULL, "Return the current login user for the registry"},
    {"password", 'p', OPT_STRING, "string", "Password for registry"},
    {"password-stdin", 0, OPT_BOOL, NULL, "Take the password from stdin"},
    {"tls-verify", 0, OPT_BOOL, NULL, "require HTTPS and verify certificates when accessing the registry"},
    {"username", 'u', OPT_STRING, "string", "Username for registry"},
    {"verbose", 'v', OPT_BOOL, NULL, "Write more detailed information to stdout"},
    {NULL, 0, 0, NULL, NULL},
};

static const opt_spec logout_option_specs[] = {
    {"all", 'a', OPT_BOOL, NULL, "Remove the cached credentials for all registries in the auth file"},
    {"authfile", 0, OPT_STRING, "string", "path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override"},
    {"tls-verify", 0, OPT_BOOL, NULL, "require HTTPS and verify certificates when accessing the registry"},
    {NULL, 0, 0, NULL, NULL},
};

static int login_get(ferry_app *app, const ctx_options *opts, const char *key)
{
    char host[1024], err[2048] = "";
    snprintf(host, sizeof(host), "%s", key);
    char *slash = strchr(host, '/');
    const char *repository = slash ? slash + 1 : NULL;
    if (slash != NULL)
        *slash = '\0';
    ferry_credentials creds = {.struct_size = sizeof(creds)};
    int rc = cred_lookup(app->session.creds, opts, host, repository, 0, &creds, err, sizeof(err));
    if (rc == FERRY_OK && creds.username != NULL) {
        printf("%s\n", creds.username);
        return 0;
    }
    if (rc != FERRY_OK && rc != FERRY_ERR_NOT_FOUND)
        return app_fail_text(err);
    snprintf(err, sizeof(err), "not logged into %s", key);
    return app_fail_text(err);
}

int cmd_login(ferry_app *app, const command *cmd, int argc, char **argv)
{
    const opt_spec *tables[] = {login_option_specs};
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry login [command options] REGISTRY", tables, 1, argc, argv, &p, &code) != 0)
        return code;
    char err[1024] = "", key[1024];
    char *user_owned = NULL, *pass_owned = NULL;
    ctx_options opts = app->shared_options;
    ctx_options_set(&opts, "authfile", opt_string(&p, "authfile"));
    ctx_options_set(&opts, "cert-dir", opt_string(&p, "cert-dir"));
    const opt_value *tls = opt_get(&p, "tls-verify");
    if (tls->set)
        ctx_options_set(&opts, "tls-verify", tls->boolean ? "true" : "false");
    if (p.n_args != 1) {
        code = app_fail_text("login: exactly one argument (REGISTRY) expected");
        goto out;
    }
    cred_normalize_key(p.args[0], key, sizeof(key));
    if (opt_bool(&p, "get-login")) {
        code = login_get(app, &opts, key);
        goto out;
    }
    const char *username = opt_string(&p, "username");
    const char *password = opt_string(&p, "password");
    if (password != NULL && opt_bool(&p, "password-stdin")) {
        code = app_fail_text("login: --password and --password-stdin cannot be used together");
        goto out;
    }
    if (username == NULL && opt_bool(&p, "password-stdin")) {
        code = app_fail_text("login: --password-stdin needs --username");
        goto out;
    }
    if (username == NULL)
        username = user_owned = app_read_line("Username: ", 0);
    if (password == NULL)
        password = pass_owned = app_read_line(opt_bool(&p, "password-stdin") ? NULL : "Password: ", 1);
    if (username == NULL || *username == '\0' || password == NULL || *password == '\0') {
        code = app_fail_text("login: a username and a password are required");
        goto out;
    }
    ctx_options_set(&opts, "username", username);
    ctx_options_set(&opts, "password", password);

    /* The registry says whether the credentials are good before we keep them. */
    char host[1024];
    snprintf(host, sizeof(host), "%s", key);
    if (strchr(host, '/') != NULL)
        *strchr(host, '/') = '\0';
    const ferry_transport *docker = registry_find(&app->registry, "docker", err, sizeof(err));
    if (docker == NULL || docker->check_credentials == NULL) {
        if (docker != NULL)
            snprintf(err, sizeof(err), "the docker transport cannot check credentials");
        code = app_fail_text(err);
        goto out;
    }
    ferry_ctx ctx;
    ctx_init(&ctx, &app->session, &opts);
    int rc = docker->check_credentials(&ctx, host);
    if (rc != FERRY_OK) {
        ctx_wrap(&ctx, rc, "authenticating to", host);
        code = app_fail(&ctx);
        goto out;
    }
    char path[4096];
    cred_primary_file(opt_string(&p, "authfile"), path, sizeof(path));
    if (cred_file_store(path, key, username, password, err, sizeof(err)) != 0) {
        code = app_fail_text(err);
        goto out;
    }
    if (opt_bool(&p, "verbose"))
        printf("Used: %s\n", path);
    printf("Login Succeeded!\n");
out:
    if (pass_owned != NULL)
        memset(pass_owned, 0, strlen(pass_owned));
    free(user_owned);
    free(pass_owned);
    opt_release(&p);
    return code;
}

int cmd_logout(ferry_app *app, const command *cmd, int argc, char **argv)
{
    const opt_spec *tables[] = {logout_option_specs};
    opt_parsed p;
    int code = 0;
    if (command_parse(app, cmd, "ferry logout [command options] REGISTRY", tables, 1, argc, argv, &p, &code) != 0)
        return code;
    char path[4096], key[1024], err[2048] = "";
    cred_primary_file(opt_string(&p, "authfile"), path, sizeof(path));
    int all = opt_bool(&p, "all");
    if ((all && p.n_args != 0) || (!all && p.n_args != 1)) {
        code = app_fail_text("logout: exactly one argument (REGISTRY) expected, or --all without one");
        goto out;
    }
    if (!all)
        cred_normalize_key(p.args[0], key, sizeof(key));
    int rc = cred_file_remove(path, all ? NULL : key, err, sizeof(err));
    if (rc < 0) {
        code = app_fail_text(err);
    } else if (rc == 1) {
        snprintf(err, sizeof(err), "not logged into %s", key);
        code = app_fail_text(err);
    } else if (all) {
        printf("Removed login credentials for all registries\n");
    } else {
        printf("Removed login credentials for %s\n", key);
    }
out:
    opt_release(&p);
    return code;
}
