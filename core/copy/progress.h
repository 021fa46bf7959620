/* core/copy/progress.h — what a copy tells the person (or the CI log)
 * watching it: skopeo's report lines ("Copying blob …", "Writing manifest …"),
 * the progress of each blob, and a summary line at the end.
 *
 * Two forms, chosen by the report stream:
 *  - a terminal: one live line per blob (bar, bytes done / total, percentage,
 *    rate, ETA), redrawn in place with ANSI cursor movement at most
 *    PROGRESS_REDRAWS_PER_SECOND times a second; lines of finished blobs keep
 *    their final state; skopeo's other lines are printed between them;
 *  - anything else (a file, a pipe, TERM=dumb): plain lines only, no control
 *    characters: skopeo's lines exactly, plus, for a blob still being copied
 *    after the interval (10 s; FERRY_PROGRESS_INTERVAL=SECONDS overrides it),
 *    one progress line per interval or per 25 % step.
 * A blob's bytes are those read from the source (its total is the
 * descriptor's size, or the source's when the manifest does not say), so
 * that the percentage is right whatever the pipeline makes of them; the
 * summary counts the bytes stored at the destination.
 *
 * One copy_progress per copy run (no global state); every function is
 * thread-safe: the run's workers report their blobs at once. A NULL
 * copy_progress (--quiet) reports nothing. */
#ifndef FERRY_CORE_COPY_PROGRESS_H
#define FERRY_CORE_COPY_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include <ferry/stream.h>

#define PROGRESS_REDRAWS_PER_SECOND 5
#define PROGRESS_DEFAULT_INTERVAL 10.0 /* seconds between the plain form's lines for one blob */
#define PROGRESS_SUMMARY_PREFIX "Copy summary:"

typedef struct copy_progress copy_progress;
typedef struct progress_blob progress_blob;

/* The progress of a copy reporting to `report` (NULL: nothing, *out NULL).
 * Returns 0, or -1 when out of memory. */
int progress_new(FILE *report, copy_progress **out);
/* A progress shared by copies running at once (sync, which has a report of
 * its own): only their blobs' progress, none of skopeo's lines, no summary;
 * progress_print prints the owner's lines among them. */
int progress_new_shared(FILE *report, copy_progress **out);
/* Draws the final state and frees p (NULL allowed). */
void progress_free(copy_progress *p);

/* One of skopeo's lines (fmt holds one %s, for arg), whole even when
 * workers report at once. */
void progress_line(copy_progress *p, const char *fmt, const char *arg);

/* A line of the owner's own (sync's), printed whole whatever the form. */
void progress_print(copy_progress *p, const char *text);

/* A blob starts being copied (attempt again: the blob of an earlier attempt,
 * which starts over; NULL the first time): prints skopeo's "Copying blob
 * DIGEST" line, or adds the blob's live line. total is its size in bytes,
 * -1 unknown. Returns the blob to report on, NULL when p is NULL or out of
 * memory (nothing is reported for it then). */
progress_blob *progress_blob_begin(copy_progress *p, progress_blob *again, const char *digest, int64_t total);
/* Wraps source (its ownership moves to the result) so that the bytes read
 * through it count as the blob's progress; source itself when b is NULL or
 * out of memory. An unknown total becomes the source's size if it knows it. */
ferry_reader *progress_reader(progress_blob *b, ferry_reader *source);
typedef enum progress_outcome {
    PROGRESS_STORED, /* `stored` bytes are at the destination now */
    PROGRESS_REUSED, /* the destination had it after all: skopeo's "skipped: already exists" */
    PROGRESS_FAILED,
} progress_outcome;
/* The blob's copy ended; nothing when it had ended already (NULL allowed). */
void progress_blob_end(progress_blob *b, progress_outcome outcome, uint64_t stored);
/* A blob the destination already has, found before it was begun: counted
 * as reused, with skopeo's "Copying blob DIGEST skipped: already exists". */
void progress_blob_reused(copy_progress *p, const char *digest);
/* A blob (the config) copied or reused without a line of its own. */
void progress_blob_counted(copy_progress *p, progress_outcome outcome, uint64_t stored);

/* Draws now what the rate limit held back: the final state of every blob
 * line once the layers are done. */
void progress_flush(copy_progress *p);
/* The summary line: blobs copied and reused, bytes stored, time, rate. */
void progress_summary(copy_progress *p);

#endif
