/* plugins/docker/http.c — the transfer engine: every registry request is a
 * libcurl transfer driven by curl_multi from the calling thread, so that a
 * response body can be pulled by the core's read() through a bounded buffer
 * (the write callback pauses the transfer when the buffer is full) and
 * request bodies are pulled from the core's reader by curl's read callback.
 * Waits poll services->cancelled.
 *
 * The connection pool: libcurl keeps connections in the multi handle that
 * ran a transfer, and does not support one connection cache shared by
 * concurrent threads. So the pool is a mutex-protected stack of idle
 * (multi, easy) pairs: a transfer takes one (preferring one that last talked
 * to the same origin, whose connection is then reused), and gives it back
 * when done. DNS results and TLS sessions are shared by all of them through
 * a locked share handle. libcurl is initialised on first use and released
 * by the module's unload hook. */
#include "docker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DOCKER_POOL_IDLE_MAX 16
#define DOCKER_BODY_BUFFER (256 * 1024) /* per transfer: bounds memory per blob stream */
#define DOCKER_HEAD_MAX (64 * 1024)     /* response header block */
#define DOCKER_DRAIN_MAX (64 * 1024)    /* unread body worth draining to keep a connection */
#define DOCKER_POLL_MS 200
#define DOCKER_H1_UPLOAD_MIN (1024 * 1024) /* streamed uploads from this size go over HTTP/1.1 */
#define DOCKER_ORIGIN_MAX 256
#define DOCKER_FALLBACK_CAFILE "/etc/ssl/certs/ca-certificates.crt"

typedef struct docker_conn {
    CURLM *multi;
    CURL *easy;
    char origin[DOCKER_ORIGIN_MAX]; /* scheme://host:port of its last transfer */
    struct docker_conn *next;
} docker_conn;

static pthread_mutex_t docker_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int docker_pool_ready;
static CURLSH *docker_share;
static pthread_mutex_t docker_share_locks[CURL_LOCK_DATA_LAST];
static docker_conn *docker_idle;
static size_t docker_idle_count;
static char *docker_cafile;

struct docker_transfer {
    const ferry_services *svc;
    docker_conn *conn;
    struct curl_slist *headers;
    ferry_ctx *ctx; /* of the call driving the transfer (read callback) */
    int nobody;
    /* response head: "Name: value\n" lines of the final response */
    long status;
    int head_done;
    int head_overflow;
    char *head;
    size_t head_len;
    /* response body buffer: bytes [off, off+len) */
    char *buf;
    size_t buf_cap, buf_off, buf_len;
    int paused;
    int finished;
    CURLcode result;
    /* request body */
    const char *mem;
    size_t mem_len, mem_off;
    ferry_reader *upload;
    int64_t upload_size;
    uint64_t uploaded;
    int upload_eos;
    int upload_status;
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- pool ---- */

static void docker_share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userptr)
{
    (void)handle;
    (void)access;
    (void)userptr;
    pthread_mutex_lock(&docker_share_locks[data]);
}

static void docker_share_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
    (void)handle;
    (void)userptr;
    pthread_mutex_unlock(&docker_share_locks[data]);
}

/* Called with docker_pool_lock held. */
static int docker_pool_init_locked(void)
{
    if (docker_pool_ready)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&docker_share_locks[i], NULL);
    docker_share = curl_share_init();
    if (docker_share != NULL) {
        curl_share_setopt(docker_share, CURLSHOPT_LOCKFUNC, docker_share_lock);
        curl_share_setopt(docker_share, CURLSHOPT_UNLOCKFUNC, docker_share_unlock);
        curl_share_setopt(docker_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(docker_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    docker_pool_ready = 1;
    return 0;
}

static void docker_conn_destroy(docker_conn *c)
{
    if (c == NULL)
        return;
    if (c->multi != NULL)
        curl_multi_cleanup(c->multi);
    if (c->easy != NULL)
        curl_easy_cleanup(c->easy);
    free(c);
}

/* "scheme://host:port" prefix of a URL, for matching idle connections. */
static void docker_origin_of(const char *url, char *out, size_t cap)
{
    const char *sep = strstr(url, "://");
    size_t n = sep != NULL ? (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#") : strlen(url);
    snprintf(out, cap, "%.*s", (int)n, url);
}

static docker_conn *docker_conn_get(const char *url)
{
    char origin[DOCKER_ORIGIN_MAX];
    docker_origin_of(url, origin, sizeof origin);
    docker_conn *c = NULL;
    pthread_mutex_lock(&docker_pool_lock);
    if (docker_pool_init_locked() != 0) {
        pthread_mutex_unlock(&docker_pool_lock);
        return NULL;
    }
    docker_conn **pick = NULL;
    for (docker_conn **p = &docker_idle; *p != NULL; p = &(*p)->next)
        if (strcmp((*p)->origin, origin) == 0) {
            pick = p;
            break;
        }
    if (pick == NULL && docker_idle != NULL)
        pick = &docker_idle;
    if (pick != NULL) {
        c = *pick;
        *pick = c->next;
        docker_idle_count--;
    }
    pthread_mutex_unlock(&docker_pool_lock);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return NULL;
        c->multi = curl_multi_init();
        c->easy = curl_easy_init();
        if (c->multi == NULL || c->easy == NULL) {
            docker_conn_destroy(c);
            return NULL;
        }
    }
    c->next = NULL;
    snprintf(c->origin, sizeof c->origin, "%s", origin);
    return c;
}

static void docker_conn_put(docker_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&docker_pool_lock);
    if (docker_pool_ready && docker_idle_count < DOCKER_POOL_IDLE_MAX) {
        c->next = docker_idle;
        docker_idle = c;
        docker_idle_count++;
        c = NULL;
    }
    pthread_mutex_unlock(&docker_pool_lock);
    docker_conn_destroy(c);
}

void docker_http_release(void)
{
    pthread_mutex_lock(&docker_pool_lock);
    if (docker_pool_ready) {
        while (docker_idle != NULL) {
            docker_conn *c = docker_idle;
            docker_idle = c->next;
            docker_conn_destroy(c);
        }
        docker_idle_count = 0;
        if (docker_share != NULL)
            curl_share_cleanup(docker_share);
        docker_share = NULL;
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&docker_share_locks[i]);
        free(docker_cafile);
        docker_cafile = NULL;
        curl_global_cleanup();
        docker_pool_ready = 0;
    }
    pthread_mutex_unlock(&docker_pool_lock);
}

const char *docker_http_default_cafile(void)
{
    pthread_mutex_lock(&docker_pool_lock);
    if (docker_cafile == NULL && docker_pool_init_locked() == 0) {
        const char *path = NULL;
#if LIBCURL_VERSION_NUM >= 0x075400
        CURL *probe = curl_easy_init();
        char *info = NULL;
        if (probe != NULL && curl_easy_getinfo(probe, CURLINFO_CAINFO, &info) == CURLE_OK && info != NULL)
            path = info;
        docker_cafile = strdup(path != NULL ? path : DOCKER_FALLBACK_CAFILE);
        if (probe != NULL)
            curl_easy_cleanup(probe);
#else
        docker_cafile = strdup(DOCKER_FALLBACK_CAFILE);
#endif
        (void)path;
    }
    const char *out = docker_cafile;
    pthread_mutex_unlock(&docker_pool_lock);
    return out;
}

/* ---- callbacks ---- */

static size_t docker_header_cb(char *data, size_t size, size_t nitems, void *userdata)
{
    docker_transfer *t = userdata;
    size_t len = size * nitems;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new response (after 1xx): forget the previous head. */
        const char *sp = memchr(data, ' ', len);
        t->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
        t->head_len = 0;
        t->head_done = 0;
        return len;
    }
    size_t n = len;
    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r' || data[n - 1] == ' ' || data[n - 1] == '\t'))
        n--;
    if (n == 0) {
        if (t->status >= 200)
            t->head_done = 1;
        return len;
    }
    if (t->head == NULL)
        t->head = malloc(DOCKER_HEAD_MAX);
    if (t->head == NULL || t->head_len + n + 1 > DOCKER_HEAD_MAX) {
        t->head_overflow = 1;
        return len;
    }
    /* Stored as consecutive NUL-terminated lines. */
    memcpy(t->head + t->head_len, data, n);
    t->head_len += n;
    t->head[t->head_len++] = '\0';
    return len;
}

static size_t docker_write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
    docker_transfer *t = userdata;
    size_t len = size * nmemb;
    if (t->buf_len == 0)
        t->buf_off = 0;
    size_t end = t->buf_off + t->buf_len;
    if (end + len > t->buf_cap) {
        if (t->buf_off > 0) {
            memmove(t->buf, t->buf + t->buf_off, t->buf_len);
            t->buf_off = 0;
            end = t->buf_len;
        }
        if (end + len > t->buf_cap) {
            if (t->buf_cap >= DOCKER_BODY_BUFFER && t->buf_len > 0) {
                /* Full: wait until read() made room (curl keeps the data). */
                t->paused = 1;
                return CURL_WRITEFUNC_PAUSE;
            }
            size_t want = t->buf_cap * 2 > end + len ? t->buf_cap * 2 : end + len;
            if (want < 16 * 1024)
                want = 16 * 1024;
            if (want > DOCKER_BODY_BUFFER && end + len <= DOCKER_BODY_BUFFER)
                want = DOCKER_BODY_BUFFER;
            char *grown = realloc(t->buf, want);
            if (grown == NULL)
                return 0; /* CURLE_WRITE_ERROR */
            t->buf = grown;
            t->buf_cap = want;
        }
    }
    memcpy(t->buf + end, data, len);
    t->buf_len += len;
    return len;
}

static size_t docker_read_cb(char *dst, size_t size, size_t nitems, void *userdata)
{
    docker_transfer *t = userdata;
    size_t cap = size * nitems;
    if (t->upload == NULL) {
        size_t n = t->mem_len - t->mem_off < cap ? t->mem_len - t->mem_off : cap;
        if (n > 0)
            memcpy(dst, t->mem + t->mem_off, n);
        t->mem_off += n;
        t->uploaded += n;
        return n;
    }
    if (t->upload_eos)
        return 0;
    if (t->upload_size >= 0 && (uint64_t)t->upload_size - t->uploaded < cap)
        cap = (size_t)((uint64_t)t->upload_size - t->uploaded);
    size_t n = 0;
    int eos = 0;
    int rc = cap > 0 ? ferry_reader_read(t->upload, t->ctx, dst, cap, &n, &eos) : FERRY_OK;
    if (rc == FERRY_OK && n == 0 && !eos && cap > 0)
        rc = t->svc->set_error(t->ctx, FERRY_ERR_FAILED, "blob reader returned no data before end of stream");
    if (rc == FERRY_OK && t->upload_size >= 0 && t->uploaded + n == (uint64_t)t->upload_size && !eos) {
        /* Everything declared is here: make sure the core's reader agrees
         * (its digest check answers at end of stream) before curl sends the
         * last bytes and the registry commits the blob. */
        char probe;
        size_t extra = 0;
        rc = ferry_reader_read(t->upload, t->ctx, &probe, 1, &extra, &eos);
        if (rc == FERRY_OK && (extra != 0 || !eos))
            rc = t->svc->set_error(t->ctx, FERRY_ERR_DIGEST_MISMATCH, "blob is longer than its declared %lld bytes",
                                   (long long)t->upload_size);
    }
    if (rc != FERRY_OK) {
        t->upload_status = rc;
        return CURL_READFUNC_ABORT;
    }
    t->uploaded += n;
    t->upload_eos = eos;
    return n;
}

/* ---- driving ---- */

static void docker_transfer_collect(docker_transfer *t)
{
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(t->conn->multi, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == t->conn->easy) {
            t->finished = 1;
            t->result = msg->data.result;
        }
}

/* Runs the transfer until the head is complete (want_head) or body bytes
 * are buffered, or it finished. */
static int docker_transfer_drive(docker_transfer *t, ferry_ctx *ctx, int want_head, char *err, size_t errcap)
{
    t->ctx = ctx;
    for (;;) {
        if ((want_head ? t->head_done : t->buf_len > 0) || t->finished)
            return FERRY_OK;
        if (t->paused && t->buf_len == 0) {
            t->paused = 0;
            curl_easy_pause(t->conn->easy, CURLPAUSE_CONT);
            continue;
        }
        int running = 0;
        CURLMcode mc = curl_multi_perform(t->conn->multi, &running);
        if (mc != CURLM_OK) {
            snprintf(err, errcap, "%s", curl_multi_strerror(mc));
            return FERRY_ERR_FAILED;
        }
        docker_transfer_collect(t);
        if ((want_head ? t->head_done : t->buf_len > 0) || t->finished)
            return FERRY_OK;
        if (t->upload_status != FERRY_OK)
            return FERRY_OK; /* curl reports the abort on the next round */
        if (t->svc->cancelled(ctx)) {
            snprintf(err, errcap, "cancelled");
            return FERRY_ERR_CANCELLED;
        }
        if (!t->paused || t->buf_len == 0)
            curl_multi_poll(t->conn->multi, NULL, 0, DOCKER_POLL_MS, NULL);
    }
}

/* Status and reason of a transfer that finished with a curl error. */
static int docker_transfer_failure(const docker_transfer *t, char *err, size_t errcap)
{
    if (t->upload_status != FERRY_OK) {
        err[0] = '\0'; /* reported by the core's reader */
        return t->upload_status;
    }
    const char *msg = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(t->result);
    snprintf(err, errcap, "%s", msg);
    switch (t->result) {
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        /* A TLS alert is the server refusing us (say, our client
         * certificate), not the network failing: retrying cannot help. */
        if (strstr(msg, "SSL routines") != NULL && strstr(msg, " alert ") != NULL)
            return FERRY_ERR_IO;
        return FERRY_ERR_TRANSIENT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND: /* a connection that died in the middle of a request body */
        return FERRY_ERR_TRANSIENT;
    case CURLE_OUT_OF_MEMORY:
        return FERRY_ERR_NO_MEMORY;
    default:
        return FERRY_ERR_IO;
    }
}

/* Appends a header line; 1 on success (curl leaves the list intact on
 * failure). */
static int docker_headers_add(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (grown == NULL)
        return 0;
    *list = grown;
    return 1;
}

static int docker_transfer_setup(docker_transfer *t, const docker_transfer_spec *spec)
{
    CURL *e = t->conn->easy;
    curl_easy_reset(e);
    int ok = 1;
#define DOCKER_SET(opt, val) ok &= curl_easy_setopt(e, opt, val) == CURLE_OK
    DOCKER_SET(CURLOPT_URL, spec->url);
    DOCKER_SET(CURLOPT_NOSIGNAL, 1L);
    DOCKER_SET(CURLOPT_ERRORBUFFER, t->errbuf);
    DOCKER_SET(CURLOPT_HEADERFUNCTION, docker_header_cb);
    DOCKER_SET(CURLOPT_HEADERDATA, t);
    DOCKER_SET(CURLOPT_WRITEFUNCTION, docker_write_cb);
    DOCKER_SET(CURLOPT_WRITEDATA, t);
    DOCKER_SET(CURLOPT_FOLLOWLOCATION, 0L); /* redirects are followed by client.c, which decides about credentials */
#if LIBCURL_VERSION_NUM >= 0x075500
    DOCKER_SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    DOCKER_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* HTTP/2 where TLS offers it, except for large streamed uploads: libcurl
     * sends request bodies markedly slower over HTTP/2 (measured: 210 MB
     * push 1.4 s against 0.9 s over HTTP/1.1), and each transfer has its
     * own connection anyway. */
    int bulk_upload = spec->upload != NULL && (spec->upload_size < 0 || spec->upload_size >= DOCKER_H1_UPLOAD_MIN);
    DOCKER_SET(CURLOPT_HTTP_VERSION, (long)(bulk_upload ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS));
    DOCKER_SET(CURLOPT_CONNECTTIMEOUT, 30L);
    DOCKER_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    DOCKER_SET(CURLOPT_BUFFERSIZE, (long)DOCKER_BODY_BUFFER);
    DOCKER_SET(CURLOPT_UPLOAD_BUFFERSIZE, (long)DOCKER_BODY_BUFFER);
    if (docker_share != NULL)
        DOCKER_SET(CURLOPT_SHARE, docker_share);
    if (spec->user_agent != NULL)
        DOCKER_SET(CURLOPT_USERAGENT, spec->user_agent);

    const docker_tls *tls = spec->tls;
    if (tls != NULL) {
        DOCKER_SET(CURLOPT_SSL_VERIFYPEER, tls->verify ? 1L : 0L);
        DOCKER_SET(CURLOPT_SSL_VERIFYHOST, tls->verify ? 2L : 0L);
        if (tls->verify && tls->ca_blob != NULL) {
#if LIBCURL_VERSION_NUM >= 0x074d00
            struct curl_blob blob = {.data = tls->ca_blob, .len = tls->ca_len, .flags = CURL_BLOB_COPY};
            DOCKER_SET(CURLOPT_CAINFO_BLOB, &blob);
#endif
        }
        if (tls->client_cert != NULL) {
            DOCKER_SET(CURLOPT_SSLCERT, tls->client_cert);
            DOCKER_SET(CURLOPT_SSLKEY, tls->client_key);
        }
    }

    const char *m = spec->method;
    int has_upload = spec->upload != NULL || spec->body != NULL;
    if (strcmp(m, "HEAD") == 0) {
        DOCKER_SET(CURLOPT_NOBODY, 1L);
        t->nobody = 1;
    } else if (strcmp(m, "GET") == 0) {
        DOCKER_SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(m, "POST") == 0 && spec->upload == NULL) {
        DOCKER_SET(CURLOPT_POST, 1L);
        DOCKER_SET(CURLOPT_POSTFIELDS, spec->body != NULL ? (const char *)spec->body : "");
        DOCKER_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(spec->body != NULL ? spec->body_len : 0));
    } else if (has_upload || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) {
        /* An upload (PUT semantics), renamed for PATCH. */
        DOCKER_SET(CURLOPT_UPLOAD, 1L);
        DOCKER_SET(CURLOPT_READFUNCTION, docker_read_cb);
        DOCKER_SET(CURLOPT_READDATA, t);
        curl_off_t size = spec->upload != NULL ? (curl_off_t)spec->upload_size : (curl_off_t)spec->body_len;
        DOCKER_SET(CURLOPT_INFILESIZE_LARGE, size);
        if (strcmp(m, "PUT") != 0)
            DOCKER_SET(CURLOPT_CUSTOMREQUEST, m);
        t->mem = spec->body;
        t->mem_len = spec->body != NULL ? spec->body_len : 0;
        t->upload = spec->upload;
        t->upload_size = spec->upload != NULL ? spec->upload_size : -1;
    } else {
        DOCKER_SET(CURLOPT_CUSTOMREQUEST, m);
    }

    for (const char *const *h = spec->headers; ok && h != NULL && *h != NULL; h++)
        ok &= docker_headers_add(&t->headers, *h);
    if (ok && spec->secret_header != NULL)
        ok &= docker_headers_add(&t->headers, spec->secret_header);
    /* curl would wait up to a second for "100 Continue" on every upload;
     * only a streamed body of unknown length is worth that round trip. */
    if (ok && !spec->expect_continue)
        ok &= docker_headers_add(&t->headers, "Expect:");
    DOCKER_SET(CURLOPT_HTTPHEADER, t->headers);
#undef DOCKER_SET
    return ok ? 0 : -1;
}

static void docker_headers_free(struct curl_slist *list)
{
    /* The Authorization line is among them: wipe before freeing. */
    for (struct curl_slist *l = list; l != NULL; l = l->next)
        if (l->data != NULL)
            explicit_bzero(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/* A transfer set up and added to `multi` (its own connection's when NULL). */
static docker_transfer *docker_transfer_create(ferry_ctx *ctx, const docker_transfer_spec *spec, CURLM *multi,
                                               char *err, size_t errcap)
{
    docker_transfer *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    t->svc = docker_services();
    t->ctx = ctx;
    t->upload_size = -1;
    t->conn = docker_conn_get(spec->url);
    if (t->conn == NULL || docker_transfer_setup(t, spec) != 0 ||
        curl_multi_add_handle(multi != NULL ? multi : t->conn->multi, t->conn->easy) != CURLM_OK) {
        snprintf(err, errcap, "cannot set up an HTTP request (libcurl)");
        docker_headers_free(t->headers);
        docker_conn_put(t->conn);
        free(t);
        return NULL;
    }
    return t;
}

/* After driving to the head: FERRY_OK when a usable head arrived, else the
 * failure's status and reason. */
static int docker_transfer_head_status(docker_transfer *t, int status, char *err, size_t errcap)
{
    if (status == FERRY_OK && !t->head_done) {
        if (t->finished && t->result != CURLE_OK)
            status = docker_transfer_failure(t, err, errcap);
        else if (t->upload_status != FERRY_OK) {
            err[0] = '\0';
            status = t->upload_status;
        } else {
            snprintf(err, errcap, "the server sent no response");
            status = FERRY_ERR_TRANSIENT;
        }
    }
    if (status == FERRY_OK && t->head_overflow) {
        snprintf(err, errcap, "response headers larger than %d bytes", DOCKER_HEAD_MAX);
        status = FERRY_ERR_TOO_LARGE;
    }
    return status;
}

int docker_transfer_start(ferry_ctx *ctx, const docker_transfer_spec *spec, docker_transfer **out, char *err,
                          size_t errcap)
{
    *out = NULL;
    docker_transfer *t = docker_transfer_create(ctx, spec, NULL, err, errcap);
    if (t == NULL)
        return FERRY_ERR_FAILED;
    int status = docker_transfer_head_status(t, docker_transfer_drive(t, ctx, 1, err, errcap), err, errcap);
    if (status != FERRY_OK) {
        docker_transfer_free(t, NULL);
        return status;
    }
    *out = t;
    return FERRY_OK;
}

/* Drops the loser of a race; its easy handle is in `multi`. */
static void docker_transfer_drop_from(docker_transfer *t, CURLM *multi)
{
    curl_multi_remove_handle(multi, t->conn->easy);
    docker_transfer_free(t, NULL);
}

int docker_transfer_race(ferry_ctx *ctx, const docker_transfer_spec *first, const docker_transfer_spec *second,
                         docker_transfer **out, int *winner, char *err, size_t errcap)
{
    *out = NULL;
    *winner = -1;
    docker_transfer *a = docker_transfer_create(ctx, first, NULL, err, errcap);
    if (a == NULL)
        return FERRY_ERR_FAILED;
    /* Both in a's multi handle, driven together. */
    CURLM *multi = a->conn->multi;
    docker_transfer *b = docker_transfer_create(ctx, second, multi, err, errcap);
    if (b == NULL) {
        docker_transfer_free(a, NULL);
        return FERRY_ERR_FAILED;
    }
    int status = FERRY_OK;
    for (;;) {
        int a_out = a->finished || a->head_done;
        int b_out = b->finished || b->head_done;
        /* The first is preferred: the second wins only once the first failed. */
        if (a->head_done || (a_out && b_out))
            break;
        int running = 0;
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            snprintf(err, errcap, "%s", curl_multi_strerror(mc));
            status = FERRY_ERR_FAILED;
            break;
        }
        int left = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            docker_transfer *t = msg->easy_handle == a->conn->easy ? a : msg->easy_handle == b->conn->easy ? b : NULL;
            if (msg->msg == CURLMSG_DONE && t != NULL) {
                t->finished = 1;
                t->result = msg->data.result;
            }
        }
        if (a->head_done || ((a->finished || a->head_done) && (b->finished || b->head_done)))
            continue;
        if (a->svc->cancelled(ctx)) {
            snprintf(err, errcap, "cancelled");
            status = FERRY_ERR_CANCELLED;
            break;
        }
        curl_multi_poll(multi, NULL, 0, DOCKER_POLL_MS, NULL);
    }
    if (status != FERRY_OK) {
        docker_transfer_drop_from(b, multi);
        docker_transfer_free(a, NULL);
        return status;
    }
    if (a->head_done) {
        docker_transfer_drop_from(b, multi);
        status = docker_transfer_head_status(a, FERRY_OK, err, errcap);
        if (status != FERRY_OK) {
            docker_transfer_free(a, NULL);
            return status;
        }
        *winner = 0;
        *out = a;
        return FERRY_OK;
    }
    char a_err[CURL_ERROR_SIZE + 64];
    int a_status = docker_transfer_head_status(a, FERRY_OK, a_err, sizeof a_err);
    if (b->head_done && !b->head_overflow) {
        /* b goes on in a's multi handle: swap the easy handles of the two
         * pool entries so that b's entry is the one holding that multi. */
        curl_multi_remove_handle(multi, a->conn->easy);
        CURL *easy_a = a->conn->easy;
        a->conn->easy = b->conn->easy;
        b->conn->easy = easy_a;
        docker_conn *conn_a = a->conn;
        a->conn = b->conn;
        b->conn = conn_a;
        char origin[DOCKER_ORIGIN_MAX];
        memcpy(origin, a->conn->origin, sizeof origin);
        memcpy(a->conn->origin, b->conn->origin, sizeof origin);
        memcpy(b->conn->origin, origin, sizeof origin);
        docker_transfer_free(a, NULL);
        *winner = 1;
        *out = b;
        return FERRY_OK;
    }
    snprintf(err, errcap, "%s", a_err);
    docker_transfer_drop_from(b, multi);
    docker_transfer_free(a, NULL);
    return a_status != FERRY_OK ? a_status : FERRY_ERR_TRANSIENT;
}

long docker_transfer_status(const docker_transfer *t)
{
    return t->status;
}

int docker_transfer_upload_touched(const docker_transfer *t)
{
    return t->upload != NULL && (t->uploaded > 0 || t->upload_eos || t->upload_status != FERRY_OK);
}

int docker_transfer_upload_eos(const docker_transfer *t)
{
    return t->upload_eos;
}

const char *docker_transfer_header(const docker_transfer *t, const char *name, int index)
{
    size_t nlen = strlen(name);
    for (size_t off = 0; off < t->head_len; off += strlen(t->head + off) + 1) {
        const char *line = t->head + off;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':' && index-- == 0) {
            const char *value = line + nlen + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            return value;
        }
    }
    return NULL;
}

int docker_transfer_read(docker_transfer *t, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos,
                         char *err, size_t errcap)
{
    *nread = 0;
    *eos = 0;
    if (t->buf_len == 0 && !t->finished) {
        int status = docker_transfer_drive(t, ctx, 0, err, errcap);
        if (status != FERRY_OK)
            return status;
    }
    if (t->buf_len > 0) {
        size_t n = t->buf_len < len ? t->buf_len : len;
        memcpy(buf, t->buf + t->buf_off, n);
        t->buf_off += n;
        t->buf_len -= n;
        *nread = n;
        *eos = t->buf_len == 0 && t->finished && t->result == CURLE_OK;
        return FERRY_OK;
    }
    if (t->finished && t->result == CURLE_OK) {
        *eos = 1;
        return FERRY_OK;
    }
    return docker_transfer_failure(t, err, errcap);
}

int docker_transfer_read_all(docker_transfer *t, ferry_ctx *ctx, size_t max, char **data, size_t *len, char *err,
                             size_t errcap)
{
    *data = NULL;
    *len = 0;
    const char *cl = docker_transfer_header(t, "Content-Length", 0);
    if (cl != NULL && strtoull(cl, NULL, 10) > max) {
        snprintf(err, errcap, "response of %s bytes is over the %zu byte limit", cl, max);
        return FERRY_ERR_TOO_LARGE;
    }
    size_t cap = 4096, have = 0;
    char *out = malloc(cap + 1);
    if (out == NULL) {
        snprintf(err, errcap, "out of memory");
        return FERRY_ERR_NO_MEMORY;
    }
    for (int eos = 0; !eos;) {
        if (have == cap) {
            if (cap >= max + 1) {
                free(out);
                snprintf(err, errcap, "response is over the %zu byte limit", max);
                return FERRY_ERR_TOO_LARGE;
            }
            size_t want = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *grown = realloc(out, want + 1);
            if (grown == NULL) {
                free(out);
                snprintf(err, errcap, "out of memory");
                return FERRY_ERR_NO_MEMORY;
            }
            out = grown;
            cap = want;
        }
        size_t n = 0;
        int status = docker_transfer_read(t, ctx, out + have, cap - have, &n, &eos, err, errcap);
        if (status != FERRY_OK) {
            free(out);
            return status;
        }
        have += n;
    }
    if (have > max) {
        free(out);
        snprintf(err, errcap, "response is over the %zu byte limit", max);
        return FERRY_ERR_TOO_LARGE;
    }
    out[have] = '\0';
    *data = out;
    *len = have;
    return FERRY_OK;
}

void docker_transfer_free(docker_transfer *t, ferry_ctx *ctx)
{
    if (t == NULL)
        return;
    if (!t->finished && ctx != NULL && t->head_done) {
        /* A small unread body (an error, a redirect) is read away so that
         * the connection can serve the next request. */
        const char *cl = docker_transfer_header(t, "Content-Length", 0);
        if (t->nobody || (cl != NULL && strtoull(cl, NULL, 10) <= DOCKER_DRAIN_MAX)) {
            char err[64];
            size_t drained = 0;
            while (!t->finished && drained <= DOCKER_DRAIN_MAX &&
                   docker_transfer_drive(t, ctx, 0, err, sizeof err) == FERRY_OK) {
                drained += t->buf_len;
                t->buf_len = 0;
            }
        }
    }
    if (t->conn != NULL) {
        /* An unfinished transfer closes its connection here. */
        curl_multi_remove_handle(t->conn->multi, t->conn->easy);
        curl_easy_setopt(t->conn->easy, CURLOPT_HTTPHEADER, NULL);
        docker_conn_put(t->conn);
    }
    docker_headers_free(t->headers);
    free(t->head);
    free(t->buf);
    free(t);
}

int docker_sleep(ferry_ctx *ctx, double seconds)
{
    const ferry_services *svc = docker_services();
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (svc->cancelled(ctx))
            return FERRY_ERR_CANCELLED;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        double left = seconds - elapsed;
        if (left <= 0)
            return FERRY_OK;
        double step = left < 0.1 ? left : 0.1;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
}
