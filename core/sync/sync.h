/* core/sync/sync.h — `ferry sync`: the images a source names (sync_list.c),
 * the destination each one gets, named as skopeo names it (sync_names.c),
 * and the run that copies them several at a time, skipping those the
 * destination already holds unchanged (sync_run.c). */
#ifndef FERRY_CORE_SYNC_H
#define FERRY_CORE_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/globals.h"
#include "copy/copy.h"
#include "image/digest.h"

/* The kinds of source and destination (--src, --dest). */
typedef enum sync_kind { SYNC_DOCKER, SYNC_DIR, SYNC_OCI, SYNC_YAML } sync_kind;

/* What became of one image. */
typedef enum sync_outcome {
    SYNC_PENDING,
    SYNC_COPIED,
    SYNC_UNCHANGED, /* the destination already held the same manifest */
    SYNC_WOULD_COPY, /* --dry-run */
    SYNC_FAILED,
    SYNC_NOT_STARTED, /* an earlier failure stopped the sync first */
} sync_outcome;

/* One image to copy. Strings malloc'd and owned by the item. */
typedef struct sync_item {
    char *src;            /* "docker://host/repo:tag", "dir:/path", "oci:/layout:ref" */
    char *dst;            /* "docker://dest/app:tag", "dir:dest/app:tag", "oci:dest:app:tag" */
    ctx_options src_opts; /* the source side's options (a YAML registry's credentials, TLS, certs) */
    sync_outcome outcome;
    char digest[DIGEST_MAX_LEN]; /* the manifest at the destination, when copied or unchanged */
    char *error;          /* the failure, one line, malloc'd */
} sync_item;

typedef struct sync_list {
    sync_item *items;
    size_t n, cap;
    size_t n_sources; /* repositories or directories the images came from */
    void *owned;      /* what the items' options borrow (the YAML file's strings) */
} sync_list;

void sync_list_free(sync_list *l);

/* ---- sync_names.c ---------------------------------------------------------- */

/* A docker reference as containers/image normalises it. Owned strings. */
typedef struct sync_docker_name {
    char *name; /* "docker.io/library/busybox", "127.0.0.1:5000/ns/app" */
    char *tag;  /* NULL when none */
    char *digest; /* "sha256:…" or NULL */
} sync_docker_name;

/* Splits and normalises text ("busybox", "host:5000/ns/app:tag",
 * "app@sha256:…") as reference.ParseNormalizedNamed does (the docker
 * transport checks the rest). 0, or -1 with a message in err. */
int sync_docker_name_parse(const char *text, sync_docker_name *out, char *err, size_t errcap);
void sync_docker_name_free(sync_docker_name *n);
/* "name:tag", "name@digest" or "name" (malloc'd). */
char *sync_docker_name_string(const sync_docker_name *n);

/* The destination of one image as skopeo names it: `suffix` is the source's
 * full name ("host/ns/app:tag", or the image directory's path below the
 * source directory), cut to its last path element unless scoped, joined to
 * `dest` with path.Join's cleaning, then append_suffix added. The result is
 * prefixed with the destination transport ("docker://", "dir:", "oci:"; for
 * oci, dest is the layout and the name becomes its reference). malloc'd. */
char *sync_destination(sync_kind dest_kind, const char *dest, const char *suffix, int scoped,
                       const char *append_suffix);

/* ---- sync_list.c ----------------------------------------------------------- */

typedef struct sync_list_request {
    sync_kind src_kind, dest_kind;
    const char *source, *destination;
    int scoped;
    const char *append_suffix;
    const ctx_options *src_opts; /* from the command line */
} sync_list_request;

/* Every image the source names, each with its destination, in the order
 * skopeo copies them. Errors (an unreadable YAML file, a repository with no
 * tags, a directory without images) are reported on ctx. */
int sync_list_build(ferry_app *app, const opt_parsed *p, const sync_list_request *req, sync_list *out,
                    ferry_ctx *ctx);

/* ---- sync_run.c ------------------------------------------------------------ */

typedef struct sync_run_options {
    copy_options copy;    /* per image: format, digests, signatures, --all, layers at once */
    long parallel_images; /* images copied at once (>= 1) */
    int dry_run, keep_going;
    const ctx_options *dst_opts;
    FILE *report;         /* one line per image and the summary */
} sync_run_options;

/* Copies every item (several at once), skipping those whose destination
 * already holds the manifest the copy would write. Without keep_going the
 * first failure stops new copies (running ones finish). Fills each item's
 * outcome and prints each failure on stderr. Returns FERRY_OK when none
 * failed; FERRY_ERR_FAILED with ctx untouched when some did; another status
 * with ctx set when nothing could start (a bad name, a rejected source). */
int sync_run(ferry_app *app, const opt_parsed *p, sync_list *list, const sync_run_options *opts, ferry_ctx *ctx);

#endif /* FERRY_CORE_SYNC_H */
