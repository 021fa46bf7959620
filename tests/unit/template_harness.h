/* tests/unit/template_harness.h — runs parts of the --format template engine
 * (core/inspect/template_internal.h) on their own, under the setjmp that
 * every part longjmps to on failure, for the unit tests of each part. */
#ifndef FERRY_TESTS_TEMPLATE_HARNESS_H
#define FERRY_TESTS_TEMPLATE_HARNESS_H

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inspect/template_internal.h"

typedef void (*harness_step)(template_state *st, void *arg);

/* Runs step(st, arg); NULL when it returned, else a malloc'd copy of the
 * message it failed with. */
static inline char *harness_try(template_state *st, harness_step step, void *arg)
{
    if (setjmp(st->jmp) == 0) {
        step(st, arg);
        return NULL;
    }
    return strdup(st->msg ? st->msg : "out of memory");
}

#endif /* FERRY_TESTS_TEMPLATE_HARNESS_H */
