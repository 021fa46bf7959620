/* core/copy/gzpar.c — parallel, reproducible gzip compression (see gzpar.h):
 * the deflate backends, the shared worker pool, and the per-stream ring of
 * blocks that is filled by the caller, compressed by the pool and drained in
 * order. */
#include "copy/gzpar.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifdef HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif

#define GZPAR_DICT_SIZE (32 * 1024) /* deflate's window */
/* Blocks a stream may hold (filling, queued, compressed, being drained):
 * enough to keep every worker busy while the caller drains the oldest. */
#define GZPAR_DEPTH_EXTRA 2
#define GZPAR_MAX_DEPTH (GZPAR_MAX_THREADS + GZPAR_DEPTH_EXTRA)

/* Levels chosen by measurement (doc/performance.md): speed per core against
 * size, compared with skopeo's pgzip output on the same layers. igzip 1 with
 * small Huffman-table spans is ~300 MB/s per core and, on the benchmark's
 * layers, 1.4 % smaller than skopeo's; igzip 3 is half as fast for 2-3 %
 * less. zlib's fastest level is still ~5x slower than igzip 1. Changing
 * either changes the output bytes. */
#define GZPAR_ISAL_LEVEL 1
#define GZPAR_ZLIB_LEVEL 1
#define GZPAR_STR_(x) #x
#define GZPAR_STR(x) GZPAR_STR_(x)

/* ---- backends: one compressor state per thread ---- */

/* The default level uses the fastest backend (igzip 1, else zlib 1); a level
 * the user asked for (--dest-compress-level) always means zlib's, whose
 * levels are the gzip levels users know. */
typedef struct gzpar_engine {
#ifdef HAVE_ISAL
    struct isal_zstream s;
    uint8_t *level_buf;
#endif
    z_stream z;
    int z_ready;
    int z_level; /* the level z was set up for */
} gzpar_engine;

typedef enum block_state { BLOCK_FREE, BLOCK_FILLING, BLOCK_QUEUED, BLOCK_RUNNING, BLOCK_DONE } block_state;

typedef struct gzpar_block {
    gzpar *owner;
    struct gzpar_block *next; /* pool queue link */
    block_state state;
    uint8_t *buf;    /* dictionary (dict_len bytes) then the block's input */
    size_t dict_len, in_len;
    uint8_t *out;    /* raw deflate of the input, ending on a byte boundary */
    size_t out_cap, out_len, out_pos;
    uint32_t crc;    /* CRC-32 of the input */
    int final;
    int level;       /* the stream's level (GZPAR_LEVEL_DEFAULT: the backend's) */
    int failed;      /* compression failed (out of memory, backend error) */
    int counted;     /* crc and length added to the stream's trailer */
} gzpar_block;

struct gzpar_pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a block was queued, or stop */
    gzpar_block *head, *tail;
    unsigned threads;    /* wanted; 0 = inline */
    unsigned started;    /* running workers */
    int tried_start;
    int stop;
    pthread_t tids[GZPAR_MAX_THREADS];
};

struct gzpar {
    gzpar_pool *pool;
    int level;    /* NULL or no workers: compress inline */
    pthread_cond_t cond; /* with pool->lock: one of this stream's blocks is done */
    int has_cond;
    gzpar_engine *inline_engine;
    unsigned depth;
    gzpar_block blocks[GZPAR_MAX_DEPTH];
    uint64_t fill_seq;  /* block being filled (or next to be) */
    uint64_t drain_seq; /* oldest block not fully delivered */
    uint8_t head[10], trail[8];
    size_t head_pos, trail_pos;
    int final_queued;
    int done;
    uint32_t crc;       /* of the input delivered so far, in order */
    uint64_t isize;
};

static size_t out_bound(size_t in_len)
{
    /* zlib's deflateBound for raw deflate plus the flush marker. */
    return in_len + (in_len >> 12) + (in_len >> 14) + (in_len >> 25) + 64;
}

static int block_grow_out(gzpar_block *b)
{
    size_t cap = b->out_cap * 2;
    uint8_t *grown = realloc(b->out, cap);
    if (grown == NULL)
        return -1;
    b->out = grown;
    b->out_cap = cap;
    return 0;
}

#ifdef HAVE_ISAL

const char *gzpar_backend(void)
{
    return "ISA-L igzip level " GZPAR_STR(GZPAR_ISAL_LEVEL);
}

/* igzip emits one deflate block (one Huffman table) per level-buffer fill:
 * the SMALL buffer (16K symbols) adapts the tables to the data often, which
 * measured 2-20 % smaller output than the default at the same speed. */
static size_t engine_level_buf_size(void)
{
    switch (GZPAR_ISAL_LEVEL) {
    case 1: return ISAL_DEF_LVL1_SMALL;
    case 2: return ISAL_DEF_LVL2_SMALL;
    case 3: return ISAL_DEF_LVL3_SMALL;
    default: return 0;
    }
}

static int engine_init(gzpar_engine *e)
{
    memset(e, 0, sizeof(*e));
    size_t n = engine_level_buf_size();
    e->level_buf = n > 0 ? malloc(n) : NULL;
    return n == 0 || e->level_buf != NULL ? 0 : -1;
}

static uint32_t engine_crc(const uint8_t *p, size_t n)
{
    return crc32_gzip_refl(0, p, n);
}

/* Raw deflate of one block at igzip's level. */
static int engine_compress_isal(gzpar_engine *e, gzpar_block *b)
{
    struct isal_zstream *s = &e->s;
    isal_deflate_init(s);
    s->level = GZPAR_ISAL_LEVEL;
    s->level_buf = e->level_buf;
    s->level_buf_size = (uint32_t)engine_level_buf_size();
    s->gzip_flag = IGZIP_DEFLATE;
    s->end_of_stream = (uint16_t)b->final;
    s->flush = b->final ? NO_FLUSH : SYNC_FLUSH;
    if (b->dict_len > 0 && isal_deflate_set_dict(s, b->buf, (uint32_t)b->dict_len) != COMP_OK)
        return -1;
    s->next_in = b->buf + b->dict_len;
    s->avail_in = (uint32_t)b->in_len;
    b->out_len = 0;
    for (;;) {
        s->next_out = b->out + b->out_len;
        s->avail_out = (uint32_t)(b->out_cap - b->out_len);
        if (isal_deflate(s) != COMP_OK)
            return -1;
        b->out_len = b->out_cap - s->avail_out;
        int complete = s->avail_in == 0 && s->avail_out > 0 &&
                       (b->final ? s->internal_state.state == ZSTATE_END : 1);
        if (complete)
            return 0;
        if (block_grow_out(b) != 0)
            return -1;
    }
}

#else /* zlib only */

const char *gzpar_backend(void)
{
    return "zlib level " GZPAR_STR(GZPAR_ZLIB_LEVEL);
}

static int engine_init(gzpar_engine *e)
{
    memset(e, 0, sizeof(*e));
    return 0;
}

static uint32_t engine_crc(const uint8_t *p, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    /* zlib takes uInt lengths; blocks are far smaller. */
    return (uint32_t)crc32(crc, p, (uInt)n);
}

#endif

static void engine_free(gzpar_engine *e)
{
#ifdef HAVE_ISAL
    free(e->level_buf);
    e->level_buf = NULL;
#endif
    if (e->z_ready)
        deflateEnd(&e->z);
    e->z_ready = 0;
}

/* Go's gzip levels: -2 Huffman only, -1 default (6), 0 stored, 1-9. */
static int engine_zlib_setup(gzpar_engine *e, int level)
{
    if (e->z_ready && e->z_level == level)
        return deflateReset(&e->z) == Z_OK ? 0 : -1;
    if (e->z_ready)
        deflateEnd(&e->z);
    e->z_ready = 0;
    int zl = level == GZPAR_LEVEL_DEFAULT ? GZPAR_ZLIB_LEVEL : level == -2 ? 1 : level;
    if (deflateInit2(&e->z, zl, Z_DEFLATED, -MAX_WBITS, 8, level == -2 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    e->z_ready = 1;
    e->z_level = level;
    return 0;
}

static int engine_compress_zlib(gzpar_engine *e, gzpar_block *b)
{
    z_stream *z = &e->z;
    if (engine_zlib_setup(e, b->level) != 0)
        return -1;
    if (b->dict_len > 0 && deflateSetDictionary(z, b->buf, (uInt)b->dict_len) != Z_OK)
        return -1;
    z->next_in = b->buf + b->dict_len;
    z->avail_in = (uInt)b->in_len;
    b->out_len = 0;
    for (;;) {
        z->next_out = b->out + b->out_len;
        z->avail_out = (uInt)(b->out_cap - b->out_len);
        int rc = deflate(z, b->final ? Z_FINISH : Z_SYNC_FLUSH);
        b->out_len = b->out_cap - z->avail_out;
        if (rc == Z_STREAM_END || (!b->final && rc == Z_OK && z->avail_out > 0))
            return 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -1;
        if (block_grow_out(b) != 0)
            return -1;
    }
}

static int engine_compress(gzpar_engine *e, gzpar_block *b)
{
#ifdef HAVE_ISAL
    if (b->level == GZPAR_LEVEL_DEFAULT)
        return engine_compress_isal(e, b);
#endif
    return engine_compress_zlib(e, b);
}

/* Compresses a block on the current thread; the block's own fields only. */
static void block_compress(gzpar_engine *e, gzpar_block *b)
{
    b->crc = engine_crc(b->buf + b->dict_len, b->in_len);
    b->failed = e == NULL || engine_compress(e, b) != 0;
    b->out_pos = 0;
}

/* ---- pool ---- */

unsigned gzpar_default_threads(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    if (n < 1)
        n = 1;
    return n > GZPAR_MAX_THREADS ? GZPAR_MAX_THREADS : (unsigned)n;
}

gzpar_pool *gzpar_pool_new(unsigned threads)
{
    gzpar_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->work, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    p->threads = threads <= 1 ? 0 : threads > GZPAR_MAX_THREADS ? GZPAR_MAX_THREADS : threads;
    return p;
}

static void *pool_worker(void *arg)
{
    gzpar_pool *p = arg;
    gzpar_engine engine;
    gzpar_engine *e = engine_init(&engine) == 0 ? &engine : NULL;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == NULL && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->head == NULL)
            break;
        gzpar_block *b = p->head;
        p->head = b->next;
        if (p->head == NULL)
            p->tail = NULL;
        b->next = NULL;
        b->state = BLOCK_RUNNING;
        pthread_mutex_unlock(&p->lock);
        block_compress(e, b); /* a worker without an engine fails the block */
        pthread_mutex_lock(&p->lock);
        b->state = BLOCK_DONE;
        /* Under the lock: the owner cannot free its stream before this returns. */
        pthread_cond_broadcast(&b->owner->cond);
    }
    pthread_mutex_unlock(&p->lock);
    if (e != NULL)
        engine_free(e);
    return NULL;
}

/* Starts the workers once, with signals blocked so that SIGINT/SIGTERM go to
 * the threads that act on them. Called with the lock held. */
static void pool_start(gzpar_pool *p)
{
    p->tried_start = 1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (p->started < p->threads && pthread_create(&p->tids[p->started], NULL, pool_worker, p) == 0)
        p->started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void gzpar_pool_free(gzpar_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->tids[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* 1 when blocks go to workers (started on first use). Lock held. */
static int pool_usable(gzpar_pool *p)
{
    if (p == NULL || p->threads == 0)
        return 0;
    if (!p->tried_start)
        pool_start(p);
    return p->started > 0;
}

/* ---- streams ---- */

gzpar *gzpar_new(gzpar_pool *pool, int level)
{
    gzpar *z = calloc(1, sizeof(*z));
    if (z == NULL)
        return NULL;
    z->pool = pool != NULL && pool->threads > 0 ? pool : NULL;
    z->level = level;
    if (z->pool != NULL) {
        if (pthread_cond_init(&z->cond, NULL) != 0) {
            free(z);
            return NULL;
        }
        z->has_cond = 1;
    }
    z->depth = z->pool != NULL ? z->pool->threads + GZPAR_DEPTH_EXTRA : 2;
    for (unsigned i = 0; i < z->depth; i++)
        z->blocks[i].owner = z;
    /* Fixed header: no name, mtime 0, OS unknown (as Go's gzip writes it). */
    static const uint8_t header[10] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff};
    memcpy(z->head, header, sizeof(header));
    z->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    return z;
}

void gzpar_free(gzpar *z)
{
    if (z == NULL)
        return;
    if (z->pool != NULL) {
        gzpar_pool *p = z->pool;
        pthread_mutex_lock(&p->lock);
        /* Unqueue what no worker took yet; wait for what they did take. */
        gzpar_block **link = &p->head, *last = NULL;
        while (*link != NULL) {
            if ((*link)->owner == z) {
                (*link)->state = BLOCK_DONE;
                *link = (*link)->next;
            } else {
                last = *link;
                link = &(*link)->next;
            }
        }
        p->tail = last;
        for (;;) {
            int running = 0;
            for (unsigned i = 0; i < z->depth; i++)
                running |= z->blocks[i].state == BLOCK_RUNNING;
            if (!running)
                break;
            pthread_cond_wait(&z->cond, &p->lock);
        }
        pthread_mutex_unlock(&p->lock);
    }
    for (unsigned i = 0; i < z->depth; i++) {
        free(z->blocks[i].buf);
        free(z->blocks[i].out);
    }
    if (z->inline_engine != NULL) {
        engine_free(z->inline_engine);
        free(z->inline_engine);
    }
    if (z->has_cond)
        pthread_cond_destroy(&z->cond);
    free(z);
}

static gzpar_block *slot(gzpar *z, uint64_t seq)
{
    return &z->blocks[seq % z->depth];
}

/* The block to fill: the current one, or a free slot started with the
 * previous block's tail as its dictionary; *out NULL when the ring is full.
 * -1 when out of memory. */
static int block_for_input(gzpar *z, gzpar_block **out, char *err, size_t errcap)
{
    gzpar_block *b = slot(z, z->fill_seq);
    *out = NULL;
    if (b->state == BLOCK_FILLING) {
        *out = b;
        return 0;
    }
    if (b->state != BLOCK_FREE)
        return 0;
    if (b->buf == NULL || b->out == NULL) {
        if (b->buf == NULL)
            b->buf = malloc(GZPAR_DICT_SIZE + GZPAR_BLOCK_SIZE);
        if (b->out == NULL) {
            b->out_cap = out_bound(GZPAR_BLOCK_SIZE);
            b->out = malloc(b->out_cap);
        }
        if (b->buf == NULL || b->out == NULL) {
            snprintf(err, errcap, "gzip compression: out of memory");
            return -1;
        }
    }
    b->dict_len = 0;
    if (z->fill_seq > 0) {
        /* The previous slot keeps its input until it is refilled, which
         * happens only after this block. */
        const gzpar_block *prev = slot(z, z->fill_seq - 1);
        size_t n = prev->in_len < GZPAR_DICT_SIZE ? prev->in_len : GZPAR_DICT_SIZE;
        memcpy(b->buf, prev->buf + prev->dict_len + prev->in_len - n, n);
        b->dict_len = n;
    }
    b->in_len = 0;
    b->out_len = b->out_pos = 0;
    b->final = 0;
    b->failed = 0;
    b->counted = 0;
    b->state = BLOCK_FILLING;
    *out = b;
    return 0;
}

/* Hands a filled block to the pool, or compresses it here without one. */
static int block_submit(gzpar *z, gzpar_block *b, int final, char *err, size_t errcap)
{
    b->final = final;
    b->level = z->level;
    z->fill_seq++;
    if (z->pool != NULL) {
        gzpar_pool *p = z->pool;
        pthread_mutex_lock(&p->lock);
        if (pool_usable(p)) {
            b->state = BLOCK_QUEUED;
            b->next = NULL;
            if (p->tail != NULL)
                p->tail->next = b;
            else
                p->head = b;
            p->tail = b;
            pthread_cond_signal(&p->work);
            pthread_mutex_unlock(&p->lock);
            return 0;
        }
        pthread_mutex_unlock(&p->lock);
    }
    if (z->inline_engine == NULL) {
        z->inline_engine = malloc(sizeof(*z->inline_engine));
        if (z->inline_engine == NULL || engine_init(z->inline_engine) != 0) {
            free(z->inline_engine);
            z->inline_engine = NULL;
            snprintf(err, errcap, "gzip compression: out of memory");
            return -1;
        }
    }
    block_compress(z->inline_engine, b);
    b->state = BLOCK_DONE;
    return 0;
}

static size_t put(uint8_t *out, size_t cap, const uint8_t *src, size_t len, size_t *pos)
{
    size_t n = len - *pos < cap ? len - *pos : cap;
    memcpy(out, src + *pos, n);
    *pos += n;
    return n;
}

/* Copies out whatever is ready, in order, without waiting. Returns the
 * number of bytes written, or -1 (message in err) for a failed block. */
static long deliver(gzpar *z, uint8_t *out, size_t cap, char *err, size_t errcap)
{
    size_t n = 0;
    if (z->head_pos < sizeof(z->head))
        n += put(out + n, cap - n, z->head, sizeof(z->head), &z->head_pos);
    while (n < cap && z->drain_seq < z->fill_seq) {
        gzpar_block *b = slot(z, z->drain_seq);
        if (z->pool != NULL) {
            pthread_mutex_lock(&z->pool->lock);
            block_state st = b->state;
            pthread_mutex_unlock(&z->pool->lock);
            if (st != BLOCK_DONE)
                break;
        }
        if (b->failed) {
            snprintf(err, errcap, "gzip compression failed (out of memory or compressor error)");
            return -1;
        }
        if (!b->counted) {
            b->counted = 1;
            z->crc = (uint32_t)crc32_combine(z->crc, b->crc, (z_off_t)b->in_len);
            z->isize += b->in_len;
        }
        n += put(out + n, cap - n, b->out, b->out_len, &b->out_pos);
        if (b->out_pos < b->out_len)
            break;
        b->state = BLOCK_FREE;
        z->drain_seq++;
        if (b->final) {
            uint32_t c = z->crc, s = (uint32_t)z->isize; /* ISIZE: length mod 2^32 */
            for (int i = 0; i < 4; i++) {
                z->trail[i] = (uint8_t)(c >> (8 * i));
                z->trail[4 + i] = (uint8_t)(s >> (8 * i));
            }
        }
    }
    if (z->final_queued && z->drain_seq == z->fill_seq && n < cap) {
        n += put(out + n, cap - n, z->trail, sizeof(z->trail), &z->trail_pos);
        z->done = z->trail_pos == sizeof(z->trail);
    }
    return (long)n;
}

/* Waits until the oldest undelivered block is compressed; 0 when there is
 * none in flight (nothing to wait for). */
static int wait_oldest(gzpar *z)
{
    if (z->pool == NULL || z->drain_seq == z->fill_seq)
        return 0;
    gzpar_block *b = slot(z, z->drain_seq);
    pthread_mutex_lock(&z->pool->lock);
    int in_flight = b->state == BLOCK_QUEUED || b->state == BLOCK_RUNNING;
    while (b->state == BLOCK_QUEUED || b->state == BLOCK_RUNNING)
        pthread_cond_wait(&z->cond, &z->pool->lock);
    pthread_mutex_unlock(&z->pool->lock);
    return in_flight;
}

int gzpar_run(gzpar *z, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
              size_t *produced, int finish, int *done, char *err, size_t errcap)
{
    *consumed = *produced = 0;
    *done = z->done;
    if (z->done)
        return 0;
    for (;;) {
        /* Input first, so that workers get blocks before we wait on one. */
        while (*consumed < in_len) {
            gzpar_block *b;
            if (block_for_input(z, &b, err, errcap) != 0)
                return -1;
            if (b == NULL)
                break;
            size_t n = GZPAR_BLOCK_SIZE - b->in_len;
            if (n > in_len - *consumed)
                n = in_len - *consumed;
            memcpy(b->buf + b->dict_len + b->in_len, in + *consumed, n);
            b->in_len += n;
            *consumed += n;
            /* A full block is never the final one: boundaries depend on
             * offsets only, not on when the end of input is learnt. */
            if (b->in_len == GZPAR_BLOCK_SIZE && block_submit(z, b, 0, err, errcap) != 0)
                return -1;
        }
        if (finish && *consumed == in_len && !z->final_queued) {
            gzpar_block *b;
            if (block_for_input(z, &b, err, errcap) != 0)
                return -1;
            if (b != NULL) {
                z->final_queued = 1;
                if (block_submit(z, b, 1, err, errcap) != 0)
                    return -1;
            }
        }
        long n = deliver(z, out + *produced, out_cap - *produced, err, errcap);
        if (n < 0)
            return -1;
        *produced += (size_t)n;
        *done = z->done;
        if (z->done || *produced > 0 || *consumed > 0 || *produced == out_cap)
            return 0;
        if (!wait_oldest(z))
            return 0; /* nothing in flight: the caller must bring input */
    }
}
