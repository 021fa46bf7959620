/* core/copy/gzpar.h — parallel, reproducible gzip compression.
 *
 * The input is cut into fixed-size blocks by offset; each block is deflated
 * on its own (primed with the previous block's last 32 KiB as a dictionary)
 * and ended on a byte boundary, so the blocks concatenate into one gzip
 * member (pigz's scheme). Block boundaries depend only on input offsets: the
 * bytes produced depend on the input and the deflate backend (ISA-L igzip
 * when built with it, else zlib), never on the number of threads nor on how
 * the input arrives.
 *
 * Blocks are compressed by a worker pool shared by every stream of one copy
 * (owned by the copy, passed down; no global state). Memory is bounded: a
 * stream holds at most GZPAR_DEPTH blocks, a worker one deflate state. */
#ifndef FERRY_CORE_GZPAR_H
#define FERRY_CORE_GZPAR_H

#include <stddef.h>
#include <stdint.h>

/* Uncompressed bytes per block. Changing it changes the output bytes. */
#define GZPAR_BLOCK_SIZE (128 * 1024)
/* Most threads a pool uses, whatever the machine. */
#define GZPAR_MAX_THREADS 8

typedef struct gzpar_pool gzpar_pool;
typedef struct gzpar gzpar;

/* Worker threads worth using here: the CPUs this process may run on
 * (sched_getaffinity, so `taskset -c 0` gives 1), capped at
 * GZPAR_MAX_THREADS. 1 means: compress on the caller's thread. */
unsigned gzpar_default_threads(void);

/* A pool of `threads` workers, started when the first block is queued (a
 * copy that compresses nothing starts none). threads <= 1: no workers;
 * streams compress on their caller's thread. NULL when out of memory. */
gzpar_pool *gzpar_pool_new(unsigned threads);
/* Joins the workers. Every stream using the pool must be freed first. */
void gzpar_pool_free(gzpar_pool *pool);

/* The backend's default level (igzip 1, else zlib 1): what makes ferry's
 * gzip output reproducible across machines with the same backend. */
#define GZPAR_LEVEL_DEFAULT (-100)
/* Valid explicit levels, as Go's gzip (and skopeo's --dest-compress-level)
 * takes them: -2 Huffman only, -1 zlib's default, 0 stored, 1-9. */
#define GZPAR_LEVEL_MIN (-2)
#define GZPAR_LEVEL_MAX 9

/* One gzip stream. pool may be NULL (compress on the caller's thread).
 * level: GZPAR_LEVEL_DEFAULT or an explicit level, which is always zlib's
 * (streams of one pool may use different levels). NULL when out of memory. */
gzpar *gzpar_new(gzpar_pool *pool, int level);
/* Drops queued blocks, waits for blocks being compressed, frees everything;
 * safe at any point (a consumer stopping early). */
void gzpar_free(gzpar *z);

/* transform_run's contract: feeds in[0..in_len), writes up to out_cap bytes,
 * *consumed / *produced say how much; `finish`: no input follows this call's;
 * *done becomes 1 once the whole member (trailer included) was produced.
 * Blocks only to wait for a block of this stream being compressed. Returns 0,
 * or -1 with a message in err. */
int gzpar_run(gzpar *z, const uint8_t *in, size_t in_len, size_t *consumed, uint8_t *out, size_t out_cap,
              size_t *produced, int finish, int *done, char *err, size_t errcap);

/* "ISA-L igzip level N" or "zlib level N": what produces the bytes. */
const char *gzpar_backend(void);

#endif
