/* plugins/docker-daemon/client.c — talking to the Docker Engine API with
 * libcurl: where the daemon is (daemon-host, $DOCKER_HOST, the default
 * socket), TLS to a tcp daemon (cert-dir or $DOCKER_CERT_PATH with docker's
 * ca.pem/cert.pem/key.pem, tls-verify), small requests answered in memory, a
 * download streamed into a file, and a chunked upload driven from the
 * caller's thread through curl_multi (pausing the read callback between the
 * caller's writes). Paths are unversioned, so the daemon speaks its own
 * current API version. Every wait polls services->cancelled. */
#include "daemon.h"

#include "shared/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DOCKERD_CONNECT_TIMEOUT 30L
#define DOCKERD_POLL_MS 100

/* ---- configuration ---- */

static int dockerd_file_exists(const char *dir, const char *name, char **out)
{
    *out = plugin_util_printf("%s/%s", dir, name);
    if (*out == NULL)
        return -1;
    if (access(*out, R_OK) != 0) {
        free(*out);
        *out = NULL;
    }
    return 0;
}

/* cert-dir (else $DOCKER_CERT_PATH): ca.pem, cert.pem and key.pem as docker
 * names them, each used when present (cert and key only together). */
static int dockerd_client_tls(dockerd_client *c, ferry_ctx *ctx)
{
    const ferry_services *svc = dockerd_services();
    const char *dir = svc->get_option(ctx, "cert-dir");
    int from_option = dir != NULL;
    if (dir == NULL || dir[0] == '\0')
        dir = getenv("DOCKER_CERT_PATH");
    if (dir == NULL || dir[0] == '\0')
        return FERRY_OK;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s %s is not a directory", c->label,
                              from_option ? "--cert-dir" : "$DOCKER_CERT_PATH", dir);
    if (dockerd_file_exists(dir, "ca.pem", &c->ca) != 0 || dockerd_file_exists(dir, "cert.pem", &c->cert) != 0 ||
        dockerd_file_exists(dir, "key.pem", &c->key) != 0)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->label);
    if ((c->cert == NULL) != (c->key == NULL))
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: %s has %s without %s", c->label, dir,
                              c->cert != NULL ? "cert.pem" : "key.pem", c->cert != NULL ? "key.pem" : "cert.pem");
    return FERRY_OK;
}

int dockerd_client_init(ferry_ctx *ctx, const char *label, dockerd_client *c)
{
    const ferry_services *svc = dockerd_services();
    memset(c, 0, sizeof *c);
    c->label = label;
    if (dockerd_curl_init() != FERRY_OK)
        return svc->set_error(ctx, FERRY_ERR_FAILED, "%s: libcurl initialisation failed", label);
    const char *host = svc->get_option(ctx, "daemon-host");
    const char *from = "--daemon-host";
    if (host == NULL || host[0] == '\0') {
        host = getenv("DOCKER_HOST");
        from = "$DOCKER_HOST";
    }
    if (host == NULL || host[0] == '\0')
        host = DOCKERD_DEFAULT_HOST;
    const char *verify = svc->get_option(ctx, "tls-verify");
    if (verify != NULL && strcmp(verify, "true") != 0 && strcmp(verify, "false") != 0)
        return svc->set_error(ctx, FERRY_ERR_INVALID, "%s: invalid --tls-verify value \"%s\"", label, verify);
    c->verify = verify == NULL || strcmp(verify, "true") == 0;
    const char *prefix = svc->get_option(ctx, "user-agent-prefix");
    c->host = strdup(host);
    c->user_agent = prefix != NULL && prefix[0] != '\0' ? plugin_util_printf("%s ferry/%s", prefix, PACKAGE_VERSION)
                                                        : plugin_util_printf("ferry/%s", PACKAGE_VERSION);
    if (c->host == NULL || c->user_agent == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);

    if (strncmp(host, "unix://", 7) == 0) {
        const char *path = host + 7;
        if (path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return svc->set_error(ctx, FERRY_ERR_INVALID,
                                  "%s: invalid %s \"%s\": the socket path must be absolute and shorter than %zu bytes",
                                  label, from, host, sizeof(((struct sockaddr_un *)0)->sun_path));
        c->socket = strdup(path);
        c->base = strdup("http://localhost");
        if (c->socket == NULL || c->base == NULL)
            return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
        return FERRY_OK;
    }
    const char *rest = NULL;
    int tls = 0;
    int status = dockerd_client_tls(c, ctx);
    if (status != FERRY_OK)
        return status;
    if (strncmp(host, "tcp://", 6) == 0) {
        rest = host + 6;
        /* As docker: TLS when certificates are configured or verification
         * was asked for, plain HTTP otherwise. */
        const char *env_verify = getenv("DOCKER_TLS_VERIFY");
        tls = c->ca != NULL || c->cert != NULL || (verify != NULL && strcmp(verify, "true") == 0) ||
              (verify == NULL && env_verify != NULL && env_verify[0] != '\0');
    } else if (strncmp(host, "https://", 8) == 0) {
        rest = host + 8;
        tls = 1;
    } else if (strncmp(host, "http://", 7) == 0) {
        rest = host + 7;
    }
    size_t n = rest != NULL ? strcspn(rest, "/") : 0;
    if (rest == NULL || n == 0 || (rest[n] != '\0' && strcmp(rest + n, "/") != 0) ||
        strcspn(rest, "@?#") < n)
        return svc->set_error(ctx, FERRY_ERR_INVALID,
                              "%s: invalid %s \"%s\": expected unix:///PATH, tcp://HOST:PORT, http:// or https://",
                              label, from, host);
    /* A missing port is docker's: 2376 with TLS, 2375 without. */
    const char *close_bracket = memchr(rest, ']', n);
    const char *colon = memchr(close_bracket != NULL ? close_bracket : rest, ':',
                               n - (size_t)((close_bracket != NULL ? close_bracket : rest) - rest));
    c->base = colon != NULL ? plugin_util_printf("%s://%.*s", tls ? "https" : "http", (int)n, rest)
                            : plugin_util_printf("%s://%.*s:%d", tls ? "https" : "http", (int)n, rest,
                                                 tls ? 2376 : 2375);
    if (c->base == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", label);
    return FERRY_OK;
}

void dockerd_client_free(dockerd_client *c)
{
    free(c->host);
    free(c->socket);
    free(c->base);
    free(c->ca);
    free(c->cert);
    free(c->key);
    free(c->user_agent);
    memset(c, 0, sizeof *c);
}

static char *dockerd_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *p = out;
    if (out == NULL)
        return NULL;
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
            *p++ = (char)ch;
        } else {
            *p++ = '%';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        }
    }
    *p = '\0';
    return out;
}

/* ---- transfers ---- */

/* What the callbacks of one transfer share. */
typedef struct dockerd_xfer {
    const ferry_services *svc;
    ferry_ctx *ctx; /* of the call driving the transfer */
    CURL *easy;
    char *body; /* in-memory answer (also an error body of a download) */
    size_t len, cap;
    int overflow;
    int fd; /* download target, -1 for none */
    int fd_error;
    uint64_t done;
    const char *progress_what;
    /* upload */
    const unsigned char *pending;
    size_t pending_len;
    int eof, paused;
    char errbuf[CURL_ERROR_SIZE];
} dockerd_xfer;

static int dockerd_append(dockerd_xfer *x, const char *data, size_t n)
{
    if (x->len + n > DOCKERD_SMALL_BODY_MAX) {
        x->overflow = 1;
        return -1;
    }
    if (x->len + n + 1 > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 4096;
        while (ncap < x->len + n + 1)
            ncap *= 2;
        char *grown = realloc(x->body, ncap);
        if (grown == NULL)
            return -1;
        x->body = grown;
        x->cap = ncap;
    }
    memcpy(x->body + x->len, data, n);
    x->len += n;
    x->body[x->len] = '\0';
    return 0;
}

static size_t dockerd_write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
    dockerd_xfer *x = userdata;
    size_t n = size * nmemb;
    long http = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
    if (x->fd >= 0 && http == 200) {
        if (fs_write_all(x->fd, data, n) != 0) {
            x->fd_error = errno;
            return 0;
        }
        x->done += n;
        if (x->progress_what != NULL)
            x->svc->progress(x->ctx, x->progress_what, x->done, -1);
        return n;
    }
    return dockerd_append(x, data, n) == 0 ? n : 0;
}

static int dockerd_xferinfo_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                               curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    dockerd_xfer *x = userdata;
    return x->ctx != NULL && x->svc->cancelled(x->ctx) ? 1 : 0;
}

static size_t dockerd_read_cb(char *dst, size_t size, size_t nitems, void *userdata)
{
    dockerd_xfer *x = userdata;
    size_t cap = size * nitems;
    if (x->pending_len == 0) {
        if (x->eof)
            return 0;
        x->paused = 1; /* resumed by the next write or by finish */
        return CURL_READFUNC_PAUSE;
    }
    size_t n = x->pending_len < cap ? x->pending_len : cap;
    memcpy(dst, x->pending, n);
    x->pending += n;
    x->pending_len -= n;
    x->done += n;
    return n;
}

static CURL *dockerd_easy(dockerd_client *c, dockerd_xfer *x, ferry_ctx *ctx, const char *method, const char *path)
{
    memset(x, 0, sizeof *x);
    x->svc = dockerd_services();
    x->ctx = ctx;
    x->fd = -1;
    char *url = plugin_util_printf("%s%s", c->base, path);
    CURL *e = url != NULL ? curl_easy_init() : NULL;
    if (e == NULL) {
        free(url);
        return NULL;
    }
    x->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    if (c->socket != NULL)
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->socket);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, DOCKERD_CONNECT_TIMEOUT);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, dockerd_write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, dockerd_xferinfo_cb);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
    if (strncmp(c->base, "https:", 6) == 0) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
        if (c->ca != NULL)
            curl_easy_setopt(e, CURLOPT_CAINFO, c->ca);
        if (c->cert != NULL) {
            curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
            curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
        }
    }
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    return e;
}

/* One line for a failed transfer, naming the daemon. */
static int dockerd_transfer_error(dockerd_client *c, dockerd_xfer *x, ferry_ctx *ctx, CURLcode rc)
{
    const ferry_services *svc = dockerd_services();
    if (rc == CURLE_ABORTED_BY_CALLBACK && svc->cancelled(ctx))
        return svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", c->label);
    if (x->fd_error != 0) {
        char eb[128];
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: writing a temporary file in %s: %s", c->label,
                              svc->tmpdir(ctx), plugin_util_strerror(x->fd_error, eb, sizeof eb));
    }
    if (x->overflow)
        return svc->set_error(ctx, FERRY_ERR_TOO_LARGE, "%s: the daemon at %s answered with more than %d bytes",
                              c->label, c->host, DOCKERD_SMALL_BODY_MAX);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
        long os_errno = 0;
        char eb[128];
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
        return svc->set_error(ctx, FERRY_ERR_IO, "%s: cannot connect to the Docker daemon at %s: %s", c->label,
                              c->host,
                              os_errno != 0 ? plugin_util_strerror((int)os_errno, eb, sizeof eb)
                              : x->errbuf[0] != '\0' ? x->errbuf
                                                     : curl_easy_strerror(rc));
    }
    int status = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                         rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE
                     ? FERRY_ERR_TRANSIENT
                     : FERRY_ERR_IO;
    return svc->set_error(ctx, status, "%s: talking to the Docker daemon at %s: %s", c->label, c->host,
                          x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
}

int dockerd_http_error(dockerd_client *c, ferry_ctx *ctx, long http, const char *body, size_t len, const char *doing)
{
    const ferry_services *svc = dockerd_services();
    json_t *j = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "message"));
    char line[512];
    if (msg != NULL)
        snprintf(line, sizeof line, "%s", msg);
    else
        snprintf(line, sizeof line, "HTTP status %ld", http);
    line[strcspn(line, "\r\n")] = '\0';
    json_decref(j);
    int status = http == 404 ? FERRY_ERR_NOT_FOUND
                 : http == 401 || http == 403 ? FERRY_ERR_AUTH
                 : http >= 500 ? FERRY_ERR_FAILED
                               : FERRY_ERR_INVALID;
    return svc->set_error(ctx, status, "%s: %s: the Docker daemon at %s says: %s", c->label, doing, c->host, line);
}

char *dockerd_path(const char *prefix, const char *arg, const char *suffix)
{
    char *escaped = dockerd_escape(arg);
    char *path = escaped != NULL ? plugin_util_printf("%s%s%s", prefix, escaped, suffix) : NULL;
    free(escaped);
    return path;
}

/* One request; with fd >= 0 a 200 body streams into fd (with progress) and
 * any other status's body is kept in memory for the caller to word. */
static int dockerd_perform(dockerd_client *c, ferry_ctx *ctx, const char *method, const char *path, int fd,
                           long *http, char **body, size_t *len)
{
    const ferry_services *svc = dockerd_services();
    dockerd_xfer x;
    *body = NULL;
    *len = 0;
    CURL *e = dockerd_easy(c, &x, ctx, method, path);
    if (e == NULL)
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->label);
    if (fd >= 0) {
        x.fd = fd;
        x.progress_what = c->label;
    }
    CURLcode rc = curl_easy_perform(e);
    int status = FERRY_OK;
    if (rc != CURLE_OK)
        status = dockerd_transfer_error(c, &x, ctx, rc);
    else
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, http);
    curl_easy_cleanup(e);
    if (status != FERRY_OK) {
        free(x.body);
        return status;
    }
    *body = x.body;
    *len = x.len;
    return FERRY_OK;
}

int dockerd_request(dockerd_client *c, ferry_ctx *ctx, const char *method, const char *path, long *http, char **body,
                    size_t *len)
{
    return dockerd_perform(c, ctx, method, path, -1, http, body, len);
}

int dockerd_download(dockerd_client *c, ferry_ctx *ctx, const char *path, int fd, long *http, char **errbody,
                     size_t *errlen)
{
    return dockerd_perform(c, ctx, "GET", path, fd, http, errbody, errlen);
}

/* ---- the streamed upload ---- */

struct dockerd_upload {
    dockerd_client *client;
    CURLM *multi;
    struct curl_slist *headers;
    dockerd_xfer x;
    int finished;
    CURLcode result;
};

/* Drives the transfer until `until` holds or it ends; polls cancellation. */
static int dockerd_upload_drive(dockerd_upload *u, ferry_ctx *ctx, int (*until)(const dockerd_upload *u))
{
    const ferry_services *svc = dockerd_services();
    u->x.ctx = ctx;
    while (!u->finished && !until(u)) {
        int still = 0;
        CURLMcode mc = curl_multi_perform(u->multi, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(u->multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE) {
                u->finished = 1;
                u->result = msg->data.result;
            }
        if (mc != CURLM_OK)
            return svc->set_error(ctx, FERRY_ERR_IO, "%s: talking to the Docker daemon at %s: %s",
                                  u->client->label, u->client->host, curl_multi_strerror(mc));
        if (u->finished || until(u))
            break;
        if (svc->cancelled(ctx))
            return svc->set_error(ctx, FERRY_ERR_CANCELLED, "%s: cancelled", u->client->label);
        if (u->x.paused)
            break; /* waiting for the caller's next bytes */
        curl_multi_poll(u->multi, NULL, 0, DOCKERD_POLL_MS, NULL);
    }
    return FERRY_OK;
}

static int dockerd_upload_consumed(const dockerd_upload *u)
{
    return u->x.pending_len == 0;
}

static int dockerd_upload_never(const dockerd_upload *u)
{
    (void)u;
    return 0;
}

int dockerd_upload_start(dockerd_client *c, ferry_ctx *ctx, const char *path, const char *content_type,
                         dockerd_upload **out)
{
    const ferry_services *svc = dockerd_services();
    *out = NULL;
    dockerd_upload *u = calloc(1, sizeof *u);
    char *ct = plugin_util_printf("Content-Type: %s", content_type);
    CURL *e = u != NULL && ct != NULL ? dockerd_easy(c, &u->x, ctx, "POST", path) : NULL;
    if (e != NULL) {
        u->client = c;
        u->multi = curl_multi_init();
        u->headers = curl_slist_append(NULL, ct);
        struct curl_slist *h = u->headers != NULL ? curl_slist_append(u->headers, "Transfer-Encoding: chunked") : NULL;
        if (h != NULL)
            h = curl_slist_append(h, "Expect:"); /* the daemon reads at once; no 100-continue round trip */
        if (h == NULL || u->multi == NULL) {
            curl_easy_cleanup(e);
            e = NULL;
        }
    }
    free(ct);
    if (e == NULL) {
        if (u != NULL) {
            if (u->multi != NULL)
                curl_multi_cleanup(u->multi);
            curl_slist_free_all(u->headers);
        }
        free(u);
        return svc->set_error(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", c->label);
    }
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, u->headers);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, dockerd_read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, &u->x);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, (long)PLUGIN_UTIL_CHUNK); /* fewer, larger chunks */
    curl_multi_add_handle(u->multi, e);
    *out = u;
    return FERRY_OK;
}

/* The transfer ended before the caller was done: word why. */
static int dockerd_upload_ended_early(dockerd_upload *u, ferry_ctx *ctx)
{
    if (u->result != CURLE_OK)
        return dockerd_transfer_error(u->client, &u->x, ctx, u->result);
    long http = 0;
    curl_easy_getinfo(u->x.easy, CURLINFO_RESPONSE_CODE, &http);
    if (http != 200)
        return dockerd_http_error(u->client, ctx, http, u->x.body, u->x.len, "loading the image");
    return dockerd_services()->set_error(ctx, FERRY_ERR_IO, "%s: the Docker daemon at %s ended the upload early",
                                         u->client->label, u->client->host);
}

/* Unpauses the read callback, which paused when it had nothing to send. */
static void dockerd_upload_resume(dockerd_upload *u, ferry_ctx *ctx)
{
    if (u->x.paused) {
        u->x.paused = 0;
        u->x.ctx = ctx;
        curl_easy_pause(u->x.easy, CURLPAUSE_CONT);
    }
}

int dockerd_upload_write(dockerd_upload *u, ferry_ctx *ctx, const void *data, size_t len)
{
    if (u->finished)
        return dockerd_upload_ended_early(u, ctx);
    u->x.pending = data;
    u->x.pending_len = len;
    while (u->x.pending_len > 0) {
        dockerd_upload_resume(u, ctx);
        int status = dockerd_upload_drive(u, ctx, dockerd_upload_consumed);
        if (status != FERRY_OK)
            return status;
        if (u->finished && u->x.pending_len > 0)
            return dockerd_upload_ended_early(u, ctx);
    }
    u->x.pending = NULL;
    dockerd_services()->progress(ctx, u->client->label, u->x.done, -1);
    return FERRY_OK;
}

int dockerd_upload_finish(dockerd_upload *u, ferry_ctx *ctx, long *http, const char **body, size_t *len)
{
    u->x.eof = 1;
    dockerd_upload_resume(u, ctx);
    int status = dockerd_upload_drive(u, ctx, dockerd_upload_never);
    if (status != FERRY_OK)
        return status;
    if (u->result != CURLE_OK)
        return dockerd_transfer_error(u->client, &u->x, ctx, u->result);
    curl_easy_getinfo(u->x.easy, CURLINFO_RESPONSE_CODE, http);
    *body = u->x.body != NULL ? u->x.body : "";
    *len = u->x.len;
    return FERRY_OK;
}

void dockerd_upload_free(dockerd_upload *u)
{
    if (u == NULL)
        return;
    /* Removing an unfinished transfer closes its connection before the
     * terminating chunk: the daemon sees a truncated body and loads nothing.
     * No ctx exists here (close's may be gone): callbacks must not use one. */
    u->x.ctx = NULL;
    curl_easy_setopt(u->x.easy, CURLOPT_NOPROGRESS, 1L);
    curl_multi_remove_handle(u->multi, u->x.easy);
    curl_easy_cleanup(u->x.easy);
    curl_multi_cleanup(u->multi);
    curl_slist_free_all(u->headers);
    free(u->x.body);
    free(u);
}
