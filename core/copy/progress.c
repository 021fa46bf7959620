/* core/copy/progress.c — the copy's report and progress (progress.h): the
 * plain form's lines, the terminal form's live lines, the summary.
 *
 * The terminal form keeps a model of the rows printed since the copy began
 * (skopeo's lines and one row per blob); rows before the first blob still
 * moving never change again ("settled"), the others are redrawn by moving
 * the cursor up over them, as mpb does. The cursor always rests at the start
 * of the line below the last row. */
#include "copy/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "image/digest.h"

#define PROGRESS_BAR_WIDTH 20
#define PROGRESS_LINE_MAX 512
#define PROGRESS_SHORT_DIGEST 12 /* hex digits of a digest on a live line, as skopeo's bars show */

typedef enum blob_state { BLOB_ACTIVE, BLOB_DONE, BLOB_REUSED, BLOB_FAILED } blob_state;

struct progress_blob {
    copy_progress *p;
    char digest[DIGEST_MAX_LEN];
    int64_t total;  /* -1 unknown; under p->lock once the blob is shown */
    uint64_t done;  /* bytes read from the source; atomic: its worker adds, any thread draws */
    int64_t start;  /* monotonic ns */
    int64_t end;
    blob_state state;
    size_t row;     /* the terminal form's row */
    /* The plain form's periodic lines; touched by the blob's worker only. */
    int64_t last_line;
    int quarters_said;
};

typedef struct progress_row {
    progress_blob *blob; /* NULL: a plain line, `text` */
    char *text;
    size_t lines;        /* terminal lines it took when last drawn (a long line wraps) */
} progress_row;

struct copy_progress {
    FILE *out;
    int live;             /* the terminal form */
    int blobs_only;       /* shared by copies at once: their blobs' progress, none of skopeo's lines */
    int64_t interval;     /* ns: the plain form's period, and its delay before a blob's first line */
    int64_t start;
    pthread_mutex_t lock; /* everything below, and writing to out */
    progress_row *rows;
    size_t n_rows, cap_rows;
    size_t drawn;         /* rows on the screen */
    size_t settled;       /* leading rows whose final state is on the screen */
    size_t active;        /* blobs being copied */
    int dirty;            /* the model changed since the last draw */
    int64_t last_draw;    /* monotonic ns; atomic: checked without the lock */
    progress_blob **blobs;
    size_t n_blobs, cap_blobs;
    size_t copied, reused;
    uint64_t stored;
};

static int64_t progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- formatting ---- */

static void format_bytes(char *buf, size_t len, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, len, u == 0 ? "%.0f%s" : "%.1f%s", bytes, units[u]);
}

static void format_duration(char *buf, size_t len, double secs)
{
    long s = (long)(secs + 0.5);
    if (secs < 10)
        snprintf(buf, len, "%.1fs", secs);
    else if (s < 60)
        snprintf(buf, len, "%lds", s);
    else if (s < 3600)
        snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
}

/* "1.2MiB / 3.4MiB  35% | 2.1MiB/s" (the total left out when unknown), and
 * ", ETA 3s"-like tails are the callers'. */
typedef struct blob_figures {
    uint64_t done;
    int64_t total;
    double secs; /* since the blob started */
    double rate; /* bytes a second, 0 unknown */
    int percent; /* -1: total unknown */
} blob_figures;

static blob_figures blob_figures_at(const progress_blob *b, int64_t now)
{
    blob_figures f = {.done = __atomic_load_n(&b->done, __ATOMIC_RELAXED), .total = b->total, .percent = -1};
    int64_t until = b->state == BLOB_ACTIVE ? now : b->end;
    f.secs = (double)(until - b->start) / 1e9;
    /* A blob still moving gets a rate once it means something. */
    f.rate = f.secs > (b->state == BLOB_ACTIVE ? 0.05 : 0) ? (double)f.done / f.secs : 0;
    if (f.total > 0)
        f.percent = f.done >= (uint64_t)f.total ? 100 : (int)(f.done * 100 / (uint64_t)f.total);
    else if (f.total == 0)
        f.percent = 100;
    return f;
}

static void format_eta(char *buf, size_t len, const blob_figures *f)
{
    if (f->percent < 0 || f->rate <= 0) {
        snprintf(buf, len, "--");
        return;
    }
    double left = (double)((uint64_t)f->total > f->done ? (uint64_t)f->total - f->done : 0) / f->rate;
    format_duration(buf, len, left);
}

/* The live line of b: "Copying blob 8a49fdb3b6a5 [=====>------] 1.2MiB / 3.4MiB  35% | 2.1MiB/s | ETA 1s"
 * (without the bar when with_bar is 0). */
static void render_blob(const progress_blob *b, int64_t now, int with_bar, char *buf, size_t len)
{
    blob_figures f = blob_figures_at(b, now);
    const char *hex = strchr(b->digest, ':');
    hex = hex != NULL ? hex + 1 : b->digest;
    char done[32], total[32], rate[32], tail[64];
    format_bytes(done, sizeof(done), (double)f.done);
    format_bytes(rate, sizeof(rate), f.rate);
    if (b->state == BLOB_DONE) {
        char secs[32];
        format_duration(secs, sizeof(secs), f.secs);
        snprintf(tail, sizeof(tail), "done in %s", secs);
    } else if (b->state == BLOB_FAILED || b->state == BLOB_REUSED) {
        snprintf(tail, sizeof(tail), "%s", b->state == BLOB_FAILED ? "failed" : "skipped: already exists");
    } else {
        char eta[32];
        format_eta(eta, sizeof(eta), &f);
        snprintf(tail, sizeof(tail), "ETA %s", eta);
    }
    if (f.percent < 0) {
        snprintf(buf, len, "Copying blob %.*s %s | %s/s | %s", PROGRESS_SHORT_DIGEST, hex, done, rate, tail);
        return;
    }
    char bar[PROGRESS_BAR_WIDTH + 4] = "";
    if (with_bar) {
        int filled = f.percent * PROGRESS_BAR_WIDTH / 100;
        bar[0] = '[';
        for (int i = 0; i < PROGRESS_BAR_WIDTH; i++)
            bar[i + 1] = i < filled ? '=' : i == filled ? '>' : '-';
        memcpy(bar + PROGRESS_BAR_WIDTH + 1, "] ", 3);
    }
    format_bytes(total, sizeof(total), (double)f.total);
    snprintf(buf, len, "Copying blob %.*s %s%s / %s %3d%% | %s/s | %s", PROGRESS_SHORT_DIGEST, hex, bar, done, total,
             f.percent, rate, tail);
}

/* ---- the terminal form ---- */

static void terminal_size(FILE *out, size_t *cols, size_t *lines)
{
    struct winsize ws;
    *cols = 80;
    *lines = 24;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *cols = ws.ws_col;
        *lines = ws.ws_row;
    }
}

/* Redraws the rows that may have changed and prints the new ones. */
static void draw_locked(copy_progress *p, int64_t now)
{
    size_t cols, height;
    terminal_size(p->out, &cols, &height);
    /* Up over the unsettled rows, as far as the screen reaches. */
    size_t up = 0, from = p->drawn;
    while (from > p->settled && up + p->rows[from - 1].lines < height) {
        from--;
        up += p->rows[from].lines;
    }
    if (up > 0)
        fprintf(p->out, "\r\x1b[%zuA", up);
    for (size_t r = from; r < p->n_rows; r++) {
        progress_row *row = &p->rows[r];
        char line[PROGRESS_LINE_MAX];
        if (row->blob != NULL) {
            render_blob(row->blob, now, 1, line, sizeof(line));
            if (strlen(line) >= cols) /* a narrow terminal: the figures before the bar */
                render_blob(row->blob, now, 0, line, sizeof(line));
            if (strlen(line) >= cols) /* a live line never wraps: its row must stay one line */
                line[cols > 1 ? cols - 1 : 1] = '\0';
        }
        const char *text = row->blob != NULL ? line : row->text;
        size_t len = strlen(text);
        row->lines = len == 0 ? 1 : (len - 1) / cols + 1;
        fprintf(p->out, "\r%s\x1b[K\n", text);
    }
    p->drawn = p->n_rows;
    if (p->settled < from)
        p->settled = from; /* rows above the screen are out of reach */
    while (p->settled < p->n_rows && (p->rows[p->settled].blob == NULL ||
                                      p->rows[p->settled].blob->state != BLOB_ACTIVE))
        p->settled++;
    p->dirty = 0;
    fflush(p->out);
    __atomic_store_n(&p->last_draw, now, __ATOMIC_RELAXED);
}

static int rate_allows(const copy_progress *p, int64_t now)
{
    return now - __atomic_load_n(&p->last_draw, __ATOMIC_RELAXED) >= 1000000000 / PROGRESS_REDRAWS_PER_SECOND;
}

/* After a change of the model: drawn now if nothing moves any more (the
 * final state) or the rate allows, else at the next tick or flush. */
static void changed_locked(copy_progress *p)
{
    int64_t now = progress_now();
    p->dirty = 1;
    if (p->active == 0 || rate_allows(p, now))
        draw_locked(p, now);
}

/* `array` (n elements of `size` bytes, room for *cap) with room for one
 * more, maybe moved; NULL when out of memory (array unchanged). */
static void *grow_for_one(void *array, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return array;
    size_t more = *cap ? *cap * 2 : 16;
    void *grown = realloc(array, more * size);
    if (grown != NULL)
        *cap = more;
    return grown;
}

static int add_row_locked(copy_progress *p, progress_blob *blob, char *text)
{
    progress_row *rows = grow_for_one(p->rows, p->n_rows, &p->cap_rows, sizeof(*rows));
    if (rows == NULL)
        return -1;
    p->rows = rows;
    p->rows[p->n_rows++] = (progress_row){.blob = blob, .text = text, .lines = 1};
    return 0;
}

/* ---- the plain form ---- */

static void plain_printf_locked(copy_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void plain_printf_locked(copy_progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}

/* "Copying blob sha256:…: 1.2MiB / 3.4MiB (35%), 2.1MiB/s, ETA 1s" */
static void plain_progress_line(progress_blob *b, int64_t now)
{
    blob_figures f = blob_figures_at(b, now);
    char done[32], total[32], rate[32], eta[32];
    format_bytes(done, sizeof(done), (double)f.done);
    format_bytes(rate, sizeof(rate), f.rate);
    pthread_mutex_lock(&b->p->lock);
    if (f.percent < 0) {
        plain_printf_locked(b->p, "Copying blob %s: %s, %s/s", b->digest, done, rate);
    } else {
        format_bytes(total, sizeof(total), (double)f.total);
        format_eta(eta, sizeof(eta), &f);
        plain_printf_locked(b->p, "Copying blob %s: %s / %s (%d%%), %s/s, ETA %s", b->digest, done, total, f.percent,
                            rate, eta);
    }
    pthread_mutex_unlock(&b->p->lock);
}

/* Bytes arrived for b: a redraw when its time has come (terminal), a line
 * for a long blob (plain). Runs on the blob's worker. */
static void progress_tick(progress_blob *b)
{
    copy_progress *p = b->p;
    int64_t now = progress_now();
    if (p->live) {
        if (rate_allows(p, now) && pthread_mutex_trylock(&p->lock) == 0) {
            if (rate_allows(p, now))
                draw_locked(p, now);
            pthread_mutex_unlock(&p->lock);
        }
        return;
    }
    if (now - b->start < p->interval)
        return;
    int64_t total = b->total;
    uint64_t done = __atomic_load_n(&b->done, __ATOMIC_RELAXED);
    /* The end is not a step: the blob is done then, the summary follows. */
    int quarter = total > 0 && done < (uint64_t)total ? (int)(done * 4 / (uint64_t)total) : 0;
    if (b->last_line != b->start && now - b->last_line < p->interval && quarter <= b->quarters_said)
        return;
    b->last_line = now;
    b->quarters_said = quarter;
    plain_progress_line(b, now);
}

/* ---- the reader that counts ---- */

typedef struct counting_reader {
    ferry_reader base;
    ferry_reader *source;
    progress_blob *blob;
} counting_reader;

static int counting_read(ferry_reader *r, ferry_ctx *ctx, void *buf, size_t len, size_t *nread, int *eos)
{
    counting_reader *c = (counting_reader *)r;
    int rc = ferry_reader_read(c->source, ctx, buf, len, nread, eos);
    if (rc == FERRY_OK && *nread > 0) {
        __atomic_add_fetch(&c->blob->done, *nread, __ATOMIC_RELAXED);
        progress_tick(c->blob);
    }
    return rc;
}

static void counting_close(ferry_reader *r)
{
    counting_reader *c = (counting_reader *)r;
    ferry_reader_close(c->source);
    free(c);
}

static const char *counting_digest(ferry_reader *r)
{
    return ferry_reader_digest(((counting_reader *)r)->source);
}

static int64_t counting_size(ferry_reader *r)
{
    return ferry_reader_size(((counting_reader *)r)->source);
}

static const ferry_reader_ops counting_ops = {
    .struct_size = sizeof(ferry_reader_ops),
    .read = counting_read,
    .close = counting_close,
    .digest = counting_digest,
    .size = counting_size,
};

ferry_reader *progress_reader(progress_blob *b, ferry_reader *source)
{
    if (b == NULL || source == NULL)
        return source;
    counting_reader *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return source;
    c->base.ops = &counting_ops;
    c->source = source;
    c->blob = b;
    if (b->total < 0) {
        int64_t size = ferry_reader_size(source);
        pthread_mutex_lock(&b->p->lock);
        b->total = size;
        pthread_mutex_unlock(&b->p->lock);
    }
    return &c->base;
}

/* ---- the report ---- */

static int progress_open(FILE *report, int blobs_only, copy_progress **out)
{
    *out = NULL;
    if (report == NULL)
        return 0;
    copy_progress *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    p->out = report;
    p->blobs_only = blobs_only;
    const char *term = getenv("TERM");
    p->live = isatty(fileno(report)) && !(term != NULL && strcmp(term, "dumb") == 0);
    double interval = PROGRESS_DEFAULT_INTERVAL;
    const char *env = getenv("FERRY_PROGRESS_INTERVAL");
    if (env != NULL && *env != '\0') {
        char *end = NULL;
        double v = strtod(env, &end);
        if (end != env && *end == '\0' && v > 0 && v < 86400)
            interval = v;
    }
    p->interval = (int64_t)(interval * 1e9);
    p->start = progress_now();
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
}

int progress_new(FILE *report, copy_progress **out)
{
    return progress_open(report, 0, out);
}

int progress_new_shared(FILE *report, copy_progress **out)
{
    return progress_open(report, 1, out);
}

void progress_free(copy_progress *p)
{
    if (p == NULL)
        return;
    progress_flush(p);
    for (size_t i = 0; i < p->n_rows; i++)
        free(p->rows[i].text);
    free(p->rows);
    for (size_t i = 0; i < p->n_blobs; i++)
        free(p->blobs[i]);
    free(p->blobs);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void line_locked(copy_progress *p, char *text)
{
    if (!p->live) {
        plain_printf_locked(p, "%s", text);
        free(text);
        return;
    }
    if (add_row_locked(p, NULL, text) != 0) {
        free(text);
        return;
    }
    changed_locked(p);
}

void progress_line(copy_progress *p, const char *fmt, const char *arg)
{
    if (p == NULL || p->blobs_only)
        return;
    char *text = NULL;
    /* The caller's format with one %s: not a literal here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = snprintf(NULL, 0, fmt, arg);
    if (n >= 0 && (text = malloc((size_t)n + 1)) != NULL)
        snprintf(text, (size_t)n + 1, fmt, arg);
#pragma GCC diagnostic pop
    pthread_mutex_lock(&p->lock);
    if (text != NULL)
        line_locked(p, text);
    pthread_mutex_unlock(&p->lock);
}

void progress_print(copy_progress *p, const char *text)
{
    char *copy = strdup(text);
    pthread_mutex_lock(&p->lock);
    if (copy != NULL)
        line_locked(p, copy);
    pthread_mutex_unlock(&p->lock);
}

progress_blob *progress_blob_begin(copy_progress *p, progress_blob *again, const char *digest, int64_t total)
{
    if (p == NULL)
        return NULL;
    pthread_mutex_lock(&p->lock);
    progress_blob *b = again, **blobs = NULL;
    if (b == NULL && (blobs = grow_for_one(p->blobs, p->n_blobs, &p->cap_blobs, sizeof(*blobs))) != NULL)
        p->blobs = blobs;
    if (b == NULL && blobs != NULL && (b = calloc(1, sizeof(*b))) != NULL) {
        p->blobs[p->n_blobs++] = b;
        b->p = p;
        snprintf(b->digest, sizeof(b->digest), "%s", digest);
        if (p->live && add_row_locked(p, b, NULL) != 0) {
            p->n_blobs--;
            free(b);
            b = NULL;
        } else {
            b->row = p->live ? p->n_rows - 1 : 0;
        }
    }
    if (b == NULL) {
        /* Out of memory: the line at least. */
        if (!p->live && !p->blobs_only)
            plain_printf_locked(p, "Copying blob %s", digest);
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    if (b->state != BLOB_ACTIVE || again == NULL)
        p->active++;
    b->total = total;
    __atomic_store_n(&b->done, 0, __ATOMIC_RELAXED);
    b->start = b->last_line = progress_now();
    b->end = 0;
    b->quarters_said = 0;
    b->state = BLOB_ACTIVE;
    if (p->live) {
        if (p->settled > b->row)
            p->settled = b->row; /* a blob tried again moves again */
        changed_locked(p);
    } else if (!p->blobs_only) {
        plain_printf_locked(p, "Copying blob %s", digest);
    }
    pthread_mutex_unlock(&p->lock);
    return b;
}

static void count_locked(copy_progress *p, progress_outcome outcome, uint64_t stored)
{
    p->copied += outcome == PROGRESS_STORED;
    p->reused += outcome == PROGRESS_REUSED;
    if (outcome == PROGRESS_STORED)
        p->stored += stored;
}

void progress_blob_end(progress_blob *b, progress_outcome outcome, uint64_t stored)
{
    if (b == NULL)
        return;
    copy_progress *p = b->p;
    pthread_mutex_lock(&p->lock);
    if (b->state == BLOB_ACTIVE) {
        p->active--;
        b->state = outcome == PROGRESS_STORED ? BLOB_DONE : outcome == PROGRESS_REUSED ? BLOB_REUSED : BLOB_FAILED;
        b->end = progress_now();
        count_locked(p, outcome, stored);
        if (p->live)
            changed_locked(p);
        else if (outcome == PROGRESS_REUSED && !p->blobs_only)
            plain_printf_locked(p, "Copying blob %s skipped: already exists", b->digest);
    }
    pthread_mutex_unlock(&p->lock);
}

void progress_blob_reused(copy_progress *p, const char *digest)
{
    if (p == NULL)
        return;
    /* On a terminal skopeo's bars name a blob by the start of its hex. */
    const char *hex = strchr(digest, ':');
    const char *shown = p->live && hex != NULL ? hex + 1 : digest;
    size_t n = strlen(shown) + 64;
    char *text = p->blobs_only ? NULL : malloc(n);
    if (text != NULL)
        snprintf(text, n, "Copying blob %.*s skipped: already exists", p->live ? PROGRESS_SHORT_DIGEST : (int)n,
                 shown);
    pthread_mutex_lock(&p->lock);
    count_locked(p, PROGRESS_REUSED, 0);
    if (text != NULL)
        line_locked(p, text);
    pthread_mutex_unlock(&p->lock);
}

void progress_blob_counted(copy_progress *p, progress_outcome outcome, uint64_t stored)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    count_locked(p, outcome, stored);
    pthread_mutex_unlock(&p->lock);
}

void progress_flush(copy_progress *p)
{
    if (p == NULL || !p->live)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->dirty)
        draw_locked(p, progress_now());
    pthread_mutex_unlock(&p->lock);
}

void progress_summary(copy_progress *p)
{
    if (p == NULL || p->blobs_only)
        return;
    progress_flush(p);
    pthread_mutex_lock(&p->lock);
    double secs = (double)(progress_now() - p->start) / 1e9;
    char stored[32], rate[32], took[32];
    format_bytes(stored, sizeof(stored), (double)p->stored);
    format_bytes(rate, sizeof(rate), secs > 0 ? (double)p->stored / secs : 0);
    format_duration(took, sizeof(took), secs);
    char *text = malloc(PROGRESS_LINE_MAX);
    if (text != NULL) {
        snprintf(text, PROGRESS_LINE_MAX, "%s %zu blob%s copied, %zu reused (already at the destination); %s "
                 "stored in %s (%s/s)", PROGRESS_SUMMARY_PREFIX, p->copied, p->copied == 1 ? "" : "s", p->reused,
                 stored, took, rate);
        line_locked(p, text);
    }
    pthread_mutex_unlock(&p->lock);
}
