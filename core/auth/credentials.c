/* core/auth/credentials.c — credential lookup through the command line, the
 * auth-file chain and credential helpers; auth-file writing for login and
 * logout. */
#include "auth/credentials.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/fsutil.h"

#define HELPER_OUTPUT_MAX (1024 * 1024)

typedef struct cred_entry {
    struct cred_entry *next;
    const ctx_options *opts;
    char *registry, *repository;
    int stored_only;
    int status;
    char *username, *password, *identity_token, *registry_token;
} cred_entry;

struct cred_store {
    pthread_mutex_t lock;
    cred_entry *entries;
    const registries_conf *registries; /* borrowed: credential-helpers */
};

cred_store *cred_store_new(const registries_conf *registries)
{
    cred_store *s = calloc(1, sizeof(*s));
    if (s != NULL) {
        pthread_mutex_init(&s->lock, NULL);
        s->registries = registries;
    }
    return s;
}

static void cred_entry_free(cred_entry *e)
{
    free(e->registry);
    free(e->repository);
    free(e->username);
    if (e->password != NULL)
        memset(e->password, 0, strlen(e->password));
    free(e->password);
    free(e->identity_token);
    free(e->registry_token);
    free(e);
}

void cred_store_free(cred_store *s)
{
    if (s == NULL)
        return;
    for (cred_entry *e = s->entries, *next; e != NULL; e = next) {
        next = e->next;
        cred_entry_free(e);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void cred_normalize_key(const char *key, char *out, size_t cap)
{
    int had_scheme = 0;
    if (strncmp(key, "https://", 8) == 0)
        key += 8, had_scheme = 1;
    else if (strncmp(key, "http://", 7) == 0)
        key += 7, had_scheme = 1;
    size_t n = strlen(key);
    /* URLs (docker's "https://index.docker.io/v1/") name a host only. */
    if (had_scheme && strchr(key, '/') != NULL)
        n = (size_t)(strchr(key, '/') - key);
    while (n > 0 && key[n - 1] == '/')
        n--;
    if ((n >= 15 && strncmp(key, "index.docker.io", 15) == 0 && (n == 15 || key[15] == '/')) ||
        (n >= 20 && strncmp(key, "registry-1.docker.io", 20) == 0 && (n == 20 || key[20] == '/'))) {
        size_t host = key[0] == 'i' ? 15 : 20;
        snprintf(out, cap, "docker.io%.*s", (int)(n - host), key + host);
        return;
    }
    snprintf(out, cap, "%.*s", (int)n, key);
}

/* ---- reading auth files ---- */

typedef struct found_creds {
    char *username, *password, *identity_token;
} found_creds;

static int decode_auth(const char *b64, found_creds *f)
{
    size_t n = strlen(b64);
    unsigned char *raw = malloc(n + 4);
    if (raw == NULL)
        return -1;
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (len < 0) {
        free(raw);
        return -1;
    }
    /* EVP_DecodeBlock counts padding as zero bytes. */
    while (n > 0 && b64[n - 1] == '=' && len > 0)
        n--, len--;
    raw[len] = '\0';
    char *colon = strchr((char *)raw, ':');
    if (colon == NULL) {
        free(raw);
        return -1;
    }
    *colon = '\0';
    f->username = strdup((char *)raw);
    f->password = strdup(colon + 1);
    memset(raw, 0, (size_t)len);
    free(raw);
    return 0;
}

/* Runs docker-credential-SUFFIX VERB (get or erase) with the server on stdin. */
static int run_helper(const char *suffix, const char *verb, const char *server, found_creds *f, char *err,
                      size_t errcap)
{
    char program[256];
    snprintf(program, sizeof(program), "docker-credential-%s", suffix);
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        snprintf(err, errcap, "credential helper %s: %s", program, strerror(errno));
        return FERRY_ERR_FAILED;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execlp(program, program, verb, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]), close(out[0]);
        snprintf(err, errcap, "credential helper %s: %s", program, strerror(errno));
        return FERRY_ERR_FAILED;
    }
    /* The helper reads the server URL, then answers; a tiny write never blocks. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    (void)fs_write_all(in[1], server, strlen(server));
    close(in[1]);
    signal(SIGPIPE, old);
    char *buf = malloc(HELPER_OUTPUT_MAX + 1);
    size_t used = 0;
    ssize_t n;
    while (buf != NULL && used < HELPER_OUTPUT_MAX && (n = read(out[0], buf + used, HELPER_OUTPUT_MAX - used)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        used += (size_t)n;
    }
    close(out[0]);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    int rc = FERRY_OK;
    if (buf == NULL) {
        rc = FERRY_ERR_NO_MEMORY;
    } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        buf[used] = '\0';
        if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127) {
            snprintf(err, errcap, "credential helper %s not found in PATH", program);
            rc = FERRY_ERR_FAILED;
        } else if (strstr(buf, "credentials not found") != NULL) {
            rc = FERRY_ERR_NOT_FOUND;
        } else {
            snprintf(err, errcap, "credential helper %s failed for %s", program, server);
            rc = FERRY_ERR_AUTH;
        }
    } else if (f == NULL) {
        rc = FERRY_OK; /* erase answers nothing */
    } else {
        json_t *j = json_loadb(buf, used, 0, NULL);
        const char *user = json_string_value(json_object_get(j, "Username"));
        const char *secret = json_string_value(json_object_get(j, "Secret"));
        if (user == NULL || secret == NULL) {
            snprintf(err, errcap, "credential helper %s returned no Username/Secret for %s", program, server);
            rc = FERRY_ERR_AUTH;
        } else if (strcmp(user, "<token>") == 0) {
            f->identity_token = strdup(secret);
        } else {
            f->username = strdup(user);
            f->password = strdup(secret);
        }
        json_decref(j);
    }
    if (buf != NULL)
        memset(buf, 0, used);
    free(buf);
    return rc;
}

/* Looks for the registry in one file: credHelpers first, then the most
 * specific "auths" key. FERRY_OK, FERRY_ERR_NOT_FOUND, or an error. */
static int lookup_file(const char *path, int legacy, const char *registry, const char *repository, found_creds *f,
                       char *err, size_t errcap)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        if (access(path, F_OK) != 0)
            return FERRY_ERR_NOT_FOUND;
        snprintf(err, errcap, "reading auth file %s: %s at line %d", path, jerr.text, jerr.line);
        return FERRY_ERR_INVALID;
    }
    int rc = FERRY_ERR_NOT_FOUND;
    const char *helper = json_string_value(json_object_get(json_object_get(root, "credHelpers"), registry));
    if (helper != NULL) {
        rc = run_helper(helper, "get", registry, f, err, errcap);
        json_decref(root);
        return rc;
    }
    json_t *auths = legacy ? root : json_object_get(root, "auths");
    /* Candidates from most to least specific: host/ns/repo, host/ns, host. */
    char want[1024];
    if (snprintf(want, sizeof(want), "%s%s%s", registry, repository ? "/" : "", repository ? repository : "") >=
        (int)sizeof(want)) {
        json_decref(root);
        return FERRY_ERR_NOT_FOUND; /* no key can be that long */
    }
    for (;;) {
        const char *key;
        json_t *value;
        json_object_foreach(auths, key, value)
        {
            char norm[1024];
            cred_normalize_key(key, norm, sizeof(norm));
            if (strcmp(norm, want) != 0 || !json_is_object(value))
                continue;
            const char *auth = json_string_value(json_object_get(value, "auth"));
            const char *token = json_string_value(json_object_get(value, "identitytoken"));
            if (auth != NULL && *auth != '\0' && decode_auth(auth, f) != 0) {
                snprintf(err, errcap, "auth file %s: invalid \"auth\" value for %s", path, key);
                json_decref(root);
                return FERRY_ERR_INVALID;
            }
            if (token != NULL && *token != '\0')
                f->identity_token = strdup(token);
            if (f->username != NULL || f->identity_token != NULL) {
                json_decref(root);
                return FERRY_OK;
            }
        }
        char *slash = strrchr(want, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
    }
    json_decref(root);
    return rc;
}

static void auth_paths(const char *authfile, char paths[5][4096], int legacy[5], size_t *n)
{
    const char *home = getenv("HOME") ? getenv("HOME") : "";
    *n = 0;
    if (authfile != NULL && *authfile != '\0')
        snprintf(paths[(*n)++], 4096, "%s", authfile);
    else if (getenv("REGISTRY_AUTH_FILE") != NULL && *getenv("REGISTRY_AUTH_FILE") != '\0')
        snprintf(paths[(*n)++], 4096, "%s", getenv("REGISTRY_AUTH_FILE"));
    else {
        char primary[4096];
        cred_primary_file(NULL, primary, sizeof(primary));
        snprintf(paths[(*n)++], 4096, "%s", primary);
    }
    const char *xdg_config = getenv("XDG_CONFIG_HOME");
    if (xdg_config != NULL && *xdg_config != '\0')
        snprintf(paths[(*n)++], 4096, "%s/containers/auth.json", xdg_config);
    else
        snprintf(paths[(*n)++], 4096, "%s/.config/containers/auth.json", home);
    const char *docker_config = getenv("DOCKER_CONFIG");
    if (docker_config != NULL && *docker_config != '\0')
        snprintf(paths[(*n)++], 4096, "%s/config.json", docker_config);
    else
        snprintf(paths[(*n)++], 4096, "%s/.docker/config.json", home);
    snprintf(paths[*n], 4096, "%s/.dockercfg", home);
    for (size_t i = 0; i < *n; i++)
        legacy[i] = 0;
    legacy[(*n)++] = 1;
}

void cred_primary_file(const char *authfile, char *buf, size_t cap)
{
    const char *env = getenv("REGISTRY_AUTH_FILE");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    if (authfile != NULL && *authfile != '\0')
        snprintf(buf, cap, "%s", authfile);
    else if (env != NULL && *env != '\0')
        snprintf(buf, cap, "%s", env);
    else if (runtime != NULL && *runtime != '\0')
        snprintf(buf, cap, "%s/containers/auth.json", runtime);
    else
        snprintf(buf, cap, "/run/containers/%u/auth.json", (unsigned)getuid());
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void fill_out(const cred_entry *e, ferry_credentials *out)
{
    ferry_credentials found = {.struct_size = sizeof(found),
                               .username = e->username,
                               .password = e->password,
                               .identity_token = e->identity_token,
                               .registry_token = e->registry_token};
    size_t size = out->struct_size < sizeof(found) ? out->struct_size : sizeof(found);
    memcpy((char *)out + sizeof(uint32_t), (const char *)&found + sizeof(uint32_t), size - sizeof(uint32_t));
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Resolves without the cache. */
/* The auth files, in containers-auth.json(5) order. */
static int resolve_from_files(const ctx_options *opts, const char *registry, const char *repository, cred_entry *e,
                              char *err, size_t errcap)
{
    char norm[1024];
    cred_normalize_key(registry, norm, sizeof(norm));
    char paths[5][4096];
    int legacy[5];
    size_t n = 0;
    auth_paths(ctx_options_get(opts, "authfile"), paths, legacy, &n);
    for (size_t i = 0; i < n; i++) {
        found_creds f = {0};
        int rc = lookup_file(paths[i], legacy[i], norm, repository, &f, err, errcap);
        if (rc == FERRY_OK) {
            e->username = f.username;
            e->password = f.password;
            e->identity_token = f.identity_token;
            return FERRY_OK;
        }
        free(f.username);
        free(f.password);
        free(f.identity_token);
        if (rc != FERRY_ERR_NOT_FOUND)
            return rc;
    }
    return FERRY_ERR_NOT_FOUND;
}

/* Command-line credentials, else registries.conf's credential-helpers in
 * order ("containers-auth.json" is the auth files, any other NAME runs
 * docker-credential-NAME for the registry): the first that has credentials
 * wins; a failing helper is skipped, and its error reported only when none
 * had any, as containers/image does. */
static int resolve(const cred_store *store, const ctx_options *opts, const char *registry, const char *repository,
                   int stored_only, cred_entry *e, char *err, size_t errcap)
{
    const char *no_creds = ctx_options_get(opts, "no-creds");
    if (no_creds != NULL && strcmp(no_creds, "true") == 0)
        return FERRY_ERR_NOT_FOUND;
    const char *token = ctx_options_get(opts, "registry-token");
    const char *username = ctx_options_get(opts, "username");
    if (!stored_only && (token != NULL || username != NULL)) {
        e->registry_token = dup_or_null(token);
        e->username = dup_or_null(username);
        e->password = dup_or_null(ctx_options_get(opts, "password"));
        return FERRY_OK;
    }
    size_t n_helpers = 0;
    const char *const *helpers = registries_conf_credential_helpers(store->registries, &n_helpers);
    static const char *const default_helpers[] = {"containers-auth.json"};
    if (n_helpers == 0) {
        helpers = default_helpers;
        n_helpers = 1;
    }
    int failure = FERRY_ERR_NOT_FOUND;
    char *scratch = malloc(errcap); /* messages after the first failure's */
    for (size_t i = 0; i < n_helpers; i++) {
        char *one_err = failure == FERRY_ERR_NOT_FOUND || scratch == NULL ? err : scratch;
        int rc;
        if (strcmp(helpers[i], "containers-auth.json") == 0) {
            rc = resolve_from_files(opts, registry, repository, e, one_err, errcap);
        } else {
            found_creds f = {0};
            rc = run_helper(helpers[i], "get", registry, &f, one_err, errcap);
            e->username = f.username;
            e->password = f.password;
            e->identity_token = f.identity_token;
        }
        if (rc == FERRY_OK) {
            free(scratch);
            return FERRY_OK;
        }
        if (rc != FERRY_ERR_NOT_FOUND && failure == FERRY_ERR_NOT_FOUND)
            failure = rc;
    }
    free(scratch);
    return failure;
}

int cred_lookup(cred_store *store, const ctx_options *opts, const char *registry, const char *repository,
                int stored_only, ferry_credentials *out, char *err, size_t errcap)
{
    pthread_mutex_lock(&store->lock);
    cred_entry *e = store->entries;
    while (e != NULL && !(e->opts == opts && e->stored_only == stored_only && same(e->registry, registry) &&
                          same(e->repository, repository)))
        e = e->next;
    int rc;
    if (e != NULL) {
        rc = e->status;
    } else {
        e = calloc(1, sizeof(*e));
        if (e == NULL) {
            pthread_mutex_unlock(&store->lock);
            return FERRY_ERR_NO_MEMORY;
        }
        e->opts = opts;
        e->stored_only = stored_only;
        e->registry = strdup(registry);
        e->repository = dup_or_null(repository);
        rc = e->status = resolve(store, opts, registry, repository, stored_only, e, err, errcap);
        if (rc == FERRY_OK || rc == FERRY_ERR_NOT_FOUND) {
            e->next = store->entries;
            store->entries = e;
        } else {
            cred_entry_free(e); /* errors are reported, not cached */
            e = NULL;
        }
    }
    if (rc == FERRY_OK)
        fill_out(e, out);
    pthread_mutex_unlock(&store->lock);
    return rc;
}

/* ---- writing the primary file ---- */

static int mkdir_parents(const char *path, char *err, size_t errcap)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, errcap, "cannot create directory %s: %s", dir, strerror(errno));
    return -1;
}

static json_t *load_for_update(const char *path, char *err, size_t errcap)
{
    if (access(path, F_OK) != 0)
        return json_object();
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errcap, "auth file %s is not a JSON object; not changing it", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

static int save(const char *path, json_t *root, char *err, size_t errcap)
{
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc = mkdir_parents(path, err, errcap);
    if (rc == 0)
        rc = fs_write_file_atomic(path, text, strlen(text), 0600, err, errcap);
    free(text);
    return rc;
}

int cred_file_store(const char *path, const char *key, const char *username, const char *password, char *err,
                    size_t errcap)
{
    json_t *root = load_for_update(path, err, errcap);
    if (root == NULL)
        return -1;
    json_t *auths = json_object_get(root, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(root, "auths", auths);
    }
    size_t plain_len = strlen(username) + 1 + strlen(password);
    char *plain = malloc(plain_len + 1);
    char *b64 = malloc(4 * ((plain_len + 2) / 3) + 1);
    int rc = -1;
    if (plain != NULL && b64 != NULL) {
        snprintf(plain, plain_len + 1, "%s:%s", username, password);
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)plain_len);
        json_t *entry = json_object();
        json_object_set_new(entry, "auth", json_string(b64));
        json_object_set_new(auths, key, entry);
        rc = save(path, root, err, errcap);
        memset(plain, 0, plain_len);
    } else {
        snprintf(err, errcap, "out of memory");
    }
    free(plain);
    free(b64);
    json_decref(root);
    return rc;
}

int cred_file_remove(const char *path, const char *key, char *err, size_t errcap)
{
    if (access(path, F_OK) != 0)
        return key == NULL ? 0 : 1;
    json_t *root = load_for_update(path, err, errcap);
    if (root == NULL)
        return -1;
    json_t *auths = json_object_get(root, "auths");
    int rc = 1;
    /* Credentials kept by a helper are erased there too, as docker and
     * skopeo do. */
    const char *host;
    json_t *helper;
    json_object_foreach(json_object_get(root, "credHelpers"), host, helper)
    {
        char norm[1024];
        cred_normalize_key(host, norm, sizeof(norm));
        if (json_is_string(helper) && (key == NULL || strcmp(norm, key) == 0) &&
            run_helper(json_string_value(helper), "erase", host, NULL, err, errcap) == FERRY_OK)
            rc = 0;
    }
    if (key == NULL) {
        json_object_set_new(root, "auths", json_object());
        rc = 0;
    } else if (json_is_object(auths)) {
        /* Remove the entry whatever form its key was written in. */
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(auths, tmp, k, v)
        {
            char norm[1024];
            cred_normalize_key(k, norm, sizeof(norm));
            if (strcmp(norm, key) == 0) {
                json_object_del(auths, k);
                rc = 0;
            }
        }
    }
    if (rc == 0 && save(path, root, err, errcap) != 0)
        rc = -1;
    json_decref(root);
    return rc;
}
