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

typedef struct harness_exec {
    template_value dot;
} harness_exec;

static inline void harness_exec_step(template_state *st, void *arg)
{
    const harness_exec *x = arg;
    st->root = template_parse(st);
    template_tw_add_line(st);
    template_push(st, "$", x->dot);
    template_walk(st, x->dot, st->root);
}

/* Parses and executes text with dot (no skopeo wrapping: text is the whole
 * template), values read from inspect; returns what the tabwriter let out,
 * or "ERROR: message". The caller frees the result. */
static inline char *harness_execute(const char *text, const json_t *inspect, template_value dot)
{
    template_state *st = template_state_new(text, strlen(text), inspect);
    if (st == NULL)
        return NULL;
    harness_exec x = {dot};
    char *err = harness_try(st, harness_exec_step, &x);
    char *out;
    if (err) {
        size_t n = strlen(err) + 8;
        out = malloc(n);
        if (out)
            snprintf(out, n, "ERROR: %s", err);
        free(err);
    } else {
        out = strndup(st->tw.out.data ? st->tw.out.data : "", st->tw.out.len);
    }
    template_state_free(st);
    return out;
}

/* skopeo's inspect.Output as the evaluator's dot (what range . yields) */
static inline template_value harness_output_value(void)
{
    template_value v = template_invalid();
    v.kind = VAL_OUTPUT;
    v.type = "inspect.Output";
    return v;
}

#endif /* FERRY_TESTS_TEMPLATE_HARNESS_H */
