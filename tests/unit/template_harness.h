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

/* A step: parses st->text and executes it with dot and $ set to *(template_value *)dot,
 * as inspect_render_template does once it has wrapped the format; the output goes
 * through the tabwriter into st->tw.out. */
static inline void harness_execute(template_state *st, void *dot)
{
    const template_value *d = dot;
    st->root = template_parse(st);
    template_tw_add_line(st);
    template_push(st, "$", *d);
    template_walk(st, *d, st->root);
}

/* Values a template could hand to fmt or a builtin, beyond those that
 * template_values.c makes. The JSON is borrowed; a NULL array or object
 * gives a nil slice or map. */
static inline template_value harness_float(double f)
{
    template_value v = template_invalid();
    v.kind = VAL_FLOAT;
    v.type = "float64";
    v.f = f;
    return v;
}

static inline template_value harness_complex(double re, double im)
{
    template_value v = harness_float(re);
    v.kind = VAL_COMPLEX;
    v.type = "complex128";
    v.im = im;
    return v;
}

static inline template_value harness_nil(void)
{
    template_value v = template_invalid();
    v.kind = VAL_NIL;
    v.type = "<nil>";
    return v;
}

/* kind VAL_STRINGS over a JSON array, or VAL_MAP over an object */
static inline template_value harness_container(template_kind kind, const json_t *j)
{
    template_value v = template_invalid();
    v.kind = kind;
    v.type = kind == VAL_STRINGS ? "[]string" : "map[string]string";
    v.is_nil = j == NULL;
    v.j = j;
    v.len = kind == VAL_STRINGS && j ? json_array_size(j) : 0;
    return v;
}

#endif /* FERRY_TESTS_TEMPLATE_HARNESS_H */
