/* core/inspect/template_exec.c — text/template's evaluator (exec.go): walks
 * the tree with dot and the variable stack, evaluates pipelines, commands,
 * fields, methods of time.Time and digest.Digest, function calls (the
 * builtins themselves are in template_builtins.c), range/if/with/template,
 * break and continue, and fails with Go's "executing … at <…>" messages. */
#include "inspect/template_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void template_exec_fail(template_state *st, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    const template_node *at = st->at;
    size_t pos = at ? at->pos : 0;
    int line = template_line_of(st, pos);
    size_t col = pos;
    for (size_t i = pos; i > 0; i--) {
        if (st->text[i - 1] == '\n') {
            col = pos - i;
            break;
        }
    }
    /* the location is in the text all templates were parsed from; the name
     * (%q) is the template executing */
    const char *name = st->exec_name ? st->exec_name : TEMPLATE_NAME;
    strbuf_printf(&sb, "template: %s:%d:%zu: executing ", TEMPLATE_NAME, line, col);
    template_quote(&sb, name, strlen(name), '"');
    strbuf_puts(&sb, " at <");
    if (at)
        template_node_string(&sb, at);
    strbuf_puts(&sb, ">: ");
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    template_throw(st, &sb);
}

/* %v of a value, arena-allocated, for messages */
const char *template_sprint_value(template_state *st, const template_value *v)
{
    strbuf sb = STRBUF_INIT;
    template_fmt_value(st, &sb, v, 'v', &template_fmt_plain, 0);
    return template_keep(st, &sb, NULL);
}

void template_push(template_state *st, const char *name, template_value value)
{
    st->stack = template_arena_grow(st, st->stack, st->n_stack, &st->cap_stack, sizeof *st->stack);
    st->stack[st->n_stack++] = (template_var){name, value};
}

static template_value template_var_value(template_state *st, const char *name)
{
    for (size_t i = st->n_stack; i > 0; i--)
        if (strcmp(st->stack[i - 1].name, name) == 0)
            return st->stack[i - 1].value;
    template_exec_fail(st, "undefined variable: %s", name);
}

static void template_set_var(template_state *st, const char *name, template_value value)
{
    for (size_t i = st->n_stack; i > 0; i--)
        if (strcmp(st->stack[i - 1].name, name) == 0) {
            st->stack[i - 1].value = value;
            return;
        }
    template_exec_fail(st, "undefined variable: %s", name);
}

/* Go's isTrue; returns -1 when the value has no truth */
int template_truth(const template_value *v)
{
    switch (v->kind) {
    case VAL_INVALID:
    case VAL_NIL:
        return 0;
    case VAL_BOOL:
        return v->b;
    case VAL_INT:
    case VAL_MONTH:
    case VAL_WEEKDAY:
        return v->i != 0;
    case VAL_FLOAT:
        return v->f != 0;
    case VAL_COMPLEX:
        return v->f != 0 || v->im != 0;
    case VAL_STRING:
        return v->n > 0;
    case VAL_STRINGS:
        return v->len > 0;
    case VAL_MAP:
        return template_map_len(v) > 0;
    case VAL_TIME:
        return v->ptr ? !v->is_nil : 1;
    case VAL_ERROR:
        return !v->is_nil;
    case VAL_OUTPUT:
        return 1;
    case VAL_ROOT:
        return 1;
    }
    return -1;
}

typedef struct template_args {
    template_node **nodes; /* argument nodes (the function name excluded) */
    size_t n;
    const template_value *final; /* the previous pipeline stage, or NULL */
} template_args;

static template_value template_eval_pipeline(template_state *st, template_value dot, const template_node *pipe);
static template_value template_eval_arg(template_state *st, template_value dot, const template_node *n,
                                        int string_param);
static void template_not_a_function(template_state *st, const template_args *a, const template_node *first)
{
    if (a->n > 0 || a->final) {
        strbuf sb = STRBUF_INIT;
        template_node_string(&sb, first);
        template_exec_fail(st, "can't give argument to non-function %s", template_keep(st, &sb, NULL));
    }
}

/* Evaluates a method's arguments (all of them strings for the methods we
 * have) and checks the count. */
static void template_method_args(template_state *st, template_value dot, const char *name, const template_args *a,
                                 size_t want, template_value *out)
{
    size_t got = a->n + (a->final ? 1 : 0);
    if (got != want)
        template_exec_fail(st, "wrong number of args for %s: want %zu got %zu", name, want, got);
    for (size_t i = 0; i < a->n; i++)
        out[i] = template_eval_arg(st, dot, a->nodes[i], 1);
    if (a->final)
        out[a->n] = *a->final;
}

/* Methods of *time.Time, time.Time and digest.Digest; returns 1 when the
 * receiver has a method of that name. */
static int template_call_method(template_state *st, template_value dot, const template_value *recv, const char *name,
                                const template_node *node, const template_args *a, template_value *result)
{
    if (recv->kind == VAL_TIME) {
        /* the integer-valued methods, in the order of `values` below */
        static const struct {
            const char *name;
            const char *type;
            template_kind kind;
        } ints[] = {
            {"Year", "int", VAL_INT},       {"Month", "time.Month", VAL_MONTH}, {"Day", "int", VAL_INT},
            {"Hour", "int", VAL_INT},       {"Minute", "int", VAL_INT},         {"Second", "int", VAL_INT},
            {"Nanosecond", "int", VAL_INT}, {"YearDay", "int", VAL_INT},        {"Weekday", "time.Weekday", VAL_WEEKDAY},
            {"Unix", "int64", VAL_INT},     {"UnixNano", "int64", VAL_INT},     {"UnixMilli", "int64", VAL_INT},
            {"UnixMicro", "int64", VAL_INT},
        };
        static const char *const others[] = {"String", "IsZero", "UTC", "Local", "Format"};
        size_t n_ints = sizeof ints / sizeof ints[0], m;
        for (m = 0; m < n_ints; m++)
            if (strcmp(ints[m].name, name) == 0)
                break;
        if (m == n_ints) {
            size_t k;
            for (k = 0; k < sizeof others / sizeof others[0]; k++)
                if (strcmp(others[k], name) == 0)
                    break;
            if (k == sizeof others / sizeof others[0])
                return 0;
        }
        template_value args[1];
        template_method_args(st, dot, name, a, strcmp(name, "Format") == 0 ? 1 : 0, args);
        if (recv->is_nil) {
            st->at = node;
            template_exec_fail(st, "error calling %s: value method time.Time.%s called using nil *Time pointer", name,
                               name);
        }
        gotime_civil cv;
        gotime_civil_of(&recv->t, &cv);
        int64_t unix_s = recv->t.sec, nsec = recv->t.nsec;
        if (m < n_ints) {
            const int64_t values[] = {cv.year,    cv.month, cv.day,   cv.hour,   cv.minute, cv.second, nsec, cv.yday,
                                      cv.weekday, unix_s,   unix_s * 1000000000 + nsec,
                                      unix_s * 1000 + nsec / 1000000, unix_s * 1000000 + nsec / 1000};
            *result = template_int_value(values[m], ints[m].type);
            result->kind = ints[m].kind;
        } else if (strcmp(name, "IsZero") == 0) {
            *result = template_bool_value(gotime_is_zero(&recv->t));
        } else if (strcmp(name, "UTC") == 0 || strcmp(name, "Local") == 0) {
            gotime t = recv->t;
            if (name[0] == 'U') {
                t.offset = 0;
                strcpy(t.zone, "UTC");
            } else {
                time_t when = (time_t)t.sec;
                struct tm tm;
                t.offset = 0;
                strcpy(t.zone, "UTC");
                if (localtime_r(&when, &tm) != NULL) {
                    t.offset = (int32_t)tm.tm_gmtoff;
                    snprintf(t.zone, sizeof t.zone, "%s", tm.tm_zone ? tm.tm_zone : "");
                }
            }
            *result = template_time_value(&t, 0);
        } else {
            char *s = strcmp(name, "String") == 0 ? gotime_string(&recv->t)
                                                   : gotime_format(&recv->t, template_strndup(st, args[0].s, args[0].n));
            if (s == NULL)
                template_fail(st, "out of memory");
            size_t n = strlen(s);
            char *kept = template_strndup(st, s, n);
            free(s);
            *result = template_string_value(kept, n, "string");
        }
        return 1;
    }
    if (recv->kind == VAL_STRING && strcmp(recv->type, "digest.Digest") == 0) {
        const char *colon = memchr(recv->s, ':', recv->n);
        size_t alg = colon ? (size_t)(colon - recv->s) : recv->n;
        template_value none[1];
        if (strcmp(name, "Algorithm") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = template_string_value(recv->s, alg, "digest.Algorithm");
        } else if (strcmp(name, "Encoded") == 0 || strcmp(name, "Hex") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = colon ? template_string_value(colon + 1, recv->n - alg - 1, "string")
                            : template_string_value("", 0, "string");
        } else if (strcmp(name, "String") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = template_string_value(recv->s, recv->n, "string");
        } else if (strcmp(name, "Validate") == 0) {
            template_method_args(st, dot, name, a, 0, none);
            *result = template_invalid();
            result->kind = VAL_ERROR;
            result->type = "error";
            result->is_nil = 1; /* the digest came from hashing the manifest */
        } else {
            return 0;
        }
        return 1;
    }
    if ((recv->kind == VAL_MONTH || recv->kind == VAL_WEEKDAY) && strcmp(name, "String") == 0) {
        template_value none[1];
        template_method_args(st, dot, name, a, 0, none);
        const char *s = recv->kind == VAL_MONTH ? gotime_month_name((int)recv->i) : gotime_weekday_name((int)recv->i);
        *result = template_string_value(s, strlen(s), "string");
        return 1;
    }
    if (recv->kind == VAL_STRING && strcmp(recv->type, "digest.Algorithm") == 0 && strcmp(name, "String") == 0) {
        template_value none[1];
        template_method_args(st, dot, name, a, 0, none);
        *result = template_string_value(recv->s, recv->n, "string");
        return 1;
    }
    return 0;
}

/* exec.go's evalField */
static template_value template_eval_field(template_state *st, template_value dot, const char *name,
                                          const template_node *node, const template_args *a, template_value recv)
{
    template_value result;
    int has_args = a && (a->n > 0 || a->final);
    if (recv.kind == VAL_INVALID)
        return template_invalid();
    if (template_call_method(st, dot, &recv, name, node, a ? a : &(template_args){NULL, 0, NULL}, &result))
        return result;
    switch (recv.kind) {
    case VAL_OUTPUT: {
        int f = template_output_field(name);
        if (f >= 0) {
            if (has_args)
                template_exec_fail(st, "%s has arguments but cannot be invoked as function", name);
            return template_output_get(st, (size_t)f);
        }
        break;
    }
    case VAL_MAP: {
        if (has_args)
            template_exec_fail(st, "%s is not a method but has arguments", name);
        const json_t *m = recv.j ? json_object_get(recv.j, name) : NULL;
        if (!json_is_string(m))
            return template_invalid();
        return template_string_value(json_string_value(m), json_string_length(m), "string");
    }
    default:
        break;
    }
    (void)node;
    template_exec_fail(st, "can't evaluate field %s in type %s", name, recv.iface ? "interface {}" : recv.type);
}

static template_value template_eval_field_chain(template_state *st, template_value dot, template_value recv,
                                                const template_node *node, const char *const *idents,
                                                size_t n, const template_args *a)
{
    for (size_t i = 0; i + 1 < n; i++)
        recv = template_eval_field(st, dot, idents[i], node, NULL, recv);
    return template_eval_field(st, dot, idents[n - 1], node, a, recv);
}

/* a value coming out of a pipeline stage: interfaces are dug into */
static template_value template_unwrap(template_value v)
{
    v.iface = 0;
    return v;
}

static template_value template_ideal_constant(template_state *st, const template_node *n)
{
    st->at = n;
    if (n->is_complex) {
        template_value v = template_invalid();
        v.kind = VAL_COMPLEX;
        v.type = "complex128";
        v.f = n->fval;
        v.im = n->imag;
        return v;
    }
    if (n->is_float && !(n->text[0] == '\'') && strpbrk(n->text, ".eEpP") &&
        !(strlen(n->text) > 1 && (n->text[1] == 'x' || n->text[1] == 'X' ||
                                  (n->text[0] == '-' && (n->text[2] == 'x' || n->text[2] == 'X'))))) {
        template_value v = template_invalid();
        v.kind = VAL_FLOAT;
        v.type = "float64";
        v.f = n->fval;
        return v;
    }
    if (n->is_int)
        return template_int_value(n->ival, "int");
    if (n->is_float) {
        template_value v = template_invalid();
        v.kind = VAL_FLOAT;
        v.type = "float64";
        v.f = n->fval;
        return v;
    }
    template_exec_fail(st, "%s overflows int", n->text);
}

/* exec.go's evalFunction for the builtins: the argument count checked,
 * and/or lazy, then the arguments evaluated and the builtin applied */
static template_value template_eval_function(template_state *st, template_value dot, const template_node *ident,
                                             const template_node *cmd, const template_args *a)
{
    const char *name = ident->text;
    st->at = ident;
    /* the parser let only builtins through ("function %q not defined") */
    const template_builtin *b = template_builtin_find(name, strlen(name));
    size_t got = a->n + (a->final ? 1 : 0);
    if (b->variadic && got < b->min_args)
        template_exec_fail(st, "wrong number of args for %s: want at least %zu got %zu", name, b->min_args, a->n);
    if (!b->variadic && got != b->min_args)
        template_exec_fail(st, "wrong number of args for %s: want %zu got %zu", name, b->min_args, got);

    /* and/or evaluate lazily and return the deciding argument */
    if (strcmp(name, "and") == 0 || strcmp(name, "or") == 0) {
        template_value v = template_invalid();
        for (size_t i = 0; i < got; i++) {
            v = i < a->n ? template_eval_arg(st, dot, a->nodes[i], 0) : *a->final;
            int t = template_truth(&v);
            if ((name[0] == 'a' && !t) || (name[0] == 'o' && t))
                return v;
        }
        return v;
    }
    template_value *args = template_alloc(st, (got + 1) * sizeof *args);
    for (size_t i = 0; i < a->n; i++)
        args[i] = template_eval_arg(st, dot, a->nodes[i], i == 0 && strcmp(name, "printf") == 0);
    if (a->final)
        args[a->n] = *a->final;
    st->at = cmd;
    return template_builtin_call(st, name, args, got);
}

static template_value template_eval_command(template_state *st, template_value dot, const template_node *cmd,
                                            const template_value *final)
{
    const template_node *first = cmd->kids[0];
    template_args a = {cmd->kids + 1, cmd->n_kids - 1, final};
    switch (first->type) {
    case NODE_FIELD:
        st->at = first;
        return template_eval_field_chain(st, dot, dot, first, first->idents, first->n_idents, &a);
    case NODE_CHAIN: {
        st->at = first;
        if (first->node->type == NODE_NIL) {
            strbuf sb = STRBUF_INIT;
            template_node_string(&sb, first);
            template_exec_fail(st, "indirection through explicit nil in %s", template_keep(st, &sb, NULL));
        }
        /* Go leaves the context at the operand it just evaluated */
        template_value recv = template_eval_arg(st, dot, first->node, 0);
        return template_eval_field_chain(st, dot, recv, first, first->idents, first->n_idents, &a);
    }
    case NODE_IDENT:
        return template_eval_function(st, dot, first, cmd, &a);
    case NODE_PIPE:
        template_not_a_function(st, &a, first);
        return template_eval_pipeline(st, dot, first);
    case NODE_VARIABLE: {
        st->at = first;
        template_value v = template_var_value(st, first->idents[0]);
        if (first->n_idents == 1) {
            template_not_a_function(st, &a, first);
            return v;
        }
        return template_eval_field_chain(st, dot, v, first, first->idents + 1, first->n_idents - 1, &a);
    }
    default:
        break;
    }
    st->at = first;
    template_not_a_function(st, &a, first);
    switch (first->type) {
    case NODE_BOOL:
        return template_bool_value(first->boolean);
    case NODE_DOT:
        return dot;
    case NODE_NIL:
        template_exec_fail(st, "nil is not a command");
    case NODE_NUMBER:
        return template_ideal_constant(st, first);
    case NODE_STRING:
        return template_string_value(first->text, first->text_len, "string");
    default:
        template_exec_fail(st, "can't evaluate command");
    }
}

/* exec.go's evalArg for a parameter of type interface{} / reflect.Value, or
 * string (printf's format) */
static template_value template_eval_arg(template_state *st, template_value dot, const template_node *n,
                                        int string_param)
{
    st->at = n;
    template_value v;
    template_args none = {NULL, 0, NULL};
    switch (n->type) {
    case NODE_DOT:
        v = dot;
        break;
    case NODE_NIL:
        if (string_param)
            template_exec_fail(st, "cannot assign nil to string");
        v = template_invalid();
        v.kind = VAL_NIL;
        v.type = "<nil>";
        return v;
    case NODE_FIELD:
        v = template_eval_field_chain(st, dot, dot, n, n->idents, n->n_idents, &none);
        break;
    case NODE_VARIABLE:
        v = template_var_value(st, n->idents[0]);
        if (n->n_idents > 1)
            v = template_eval_field_chain(st, dot, v, n, n->idents + 1, n->n_idents - 1, &none);
        break;
    case NODE_PIPE:
        v = template_eval_pipeline(st, dot, n);
        break;
    case NODE_IDENT: {
        template_node cmd = {.type = NODE_COMMAND, .pos = n->pos};
        template_node *kids[1] = {(template_node *)n};
        cmd.kids = kids;
        cmd.n_kids = 1;
        v = template_eval_function(st, dot, n, &cmd, &none);
        break;
    }
    case NODE_CHAIN: {
        template_value recv = template_eval_arg(st, dot, n->node, 0);
        v = template_eval_field_chain(st, dot, recv, n, n->idents, n->n_idents, &none);
        break;
    }
    case NODE_BOOL:
        if (string_param)
            template_exec_fail(st, "expected string; found %s", n->boolean ? "true" : "false");
        return template_bool_value(n->boolean);
    case NODE_NUMBER:
        if (string_param)
            template_exec_fail(st, "expected string; found %s", n->text);
        return template_ideal_constant(st, n);
    case NODE_STRING:
        return template_string_value(n->text, n->text_len, "string");
    default:
        template_exec_fail(st, "can't handle argument");
    }
    if (string_param) {
        if (v.kind == VAL_INVALID)
            template_exec_fail(st, "invalid value; expected string");
        if (v.kind != VAL_STRING || strcmp(v.type, "string") != 0)
            template_exec_fail(st, "wrong type for value; expected string; got %s", v.type);
    }
    return v; /* a missing map key stays invalid: printf shows it as <nil>, len fails */
}

static template_value template_eval_pipeline(template_state *st, template_value dot, const template_node *pipe)
{
    st->at = pipe;
    template_value value = template_invalid();
    int have = 0;
    for (size_t i = 0; i < pipe->n_kids; i++) {
        value = template_unwrap(template_eval_command(st, dot, pipe->kids[i], have ? &value : NULL));
        have = 1;
    }
    for (size_t i = 0; i < pipe->n_decl; i++) {
        if (pipe->is_assign)
            template_set_var(st, pipe->decl[i]->idents[0], value);
        else
            template_push(st, pipe->decl[i]->idents[0], value);
    }
    return value;
}

static void template_print_value(template_state *st, const template_node *n, const template_value *v)
{
    st->at = n;
    strbuf sb = STRBUF_INIT;
    if (v->kind == VAL_INVALID)
        strbuf_puts(&sb, "<no value>");
    else
        template_fmt_value(st, &sb, v, 'v', &template_fmt_plain, 0);
    if (sb.failed) {
        strbuf_release(&sb);
        template_fail(st, "out of memory");
    }
    template_tw_write(st, sb.data ? sb.data : "", sb.len);
    strbuf_release(&sb);
}

static void template_walk_range(template_state *st, template_value dot, const template_node *r)
{
    st->at = r;
    size_t mark = st->n_stack;
    template_value val = template_eval_pipeline(st, dot, r->pipe);
    size_t body_mark = st->n_stack;
    size_t count = 0;
    template_kv *kv = NULL;
    switch (val.kind) {
    case VAL_STRINGS:
        count = val.len;
        break;
    case VAL_MAP:
        kv = template_map_sorted(st, &val, &count);
        break;
    case VAL_ROOT:
        count = 1;
        break;
    case VAL_INVALID:
        break;
    default:
        template_exec_fail(st, "range can't iterate over %s", template_sprint_value(st, &val));
    }
    for (size_t i = 0; i < count; i++) {
        template_value elem, key;
        if (val.kind == VAL_STRINGS) {
            size_t n;
            const char *s = template_strings_get(&val, i, &n);
            elem = template_string_value(s, n, "string");
            key = template_int_value((int64_t)i, "int");
        } else if (val.kind == VAL_MAP) {
            elem = template_string_value(json_string_value(kv[i].value), json_string_length(kv[i].value), "string");
            key = template_string_value(kv[i].key, kv[i].key_len, "string");
        } else {
            elem = template_invalid();
            elem.kind = VAL_OUTPUT;
            elem.type = "inspect.Output";
            elem.iface = 1;
            key = template_int_value(0, "int");
        }
        if (r->pipe->n_decl > 0)
            st->stack[st->n_stack - 1].value = elem;
        if (r->pipe->n_decl > 1)
            st->stack[st->n_stack - 2].value = key;
        template_walk(st, elem, r->list);
        st->n_stack = body_mark;
        if (st->loop_ctl == 1) {
            st->loop_ctl = 0;
            st->n_stack = mark;
            return;
        }
        st->loop_ctl = 0;
    }
    if (count == 0 && r->else_list)
        template_walk(st, dot, r->else_list);
    st->n_stack = mark;
}

void template_walk(template_state *st, template_value dot, const template_node *n)
{
    switch (n->type) {
    case NODE_LIST:
        for (size_t i = 0; i < n->n_kids && !st->loop_ctl; i++)
            template_walk(st, dot, n->kids[i]);
        return;
    case NODE_TEXT:
        template_tw_write(st, n->text, n->text_len);
        return;
    case NODE_ACTION: {
        template_value v = template_eval_pipeline(st, dot, n->pipe);
        if (n->pipe->n_decl == 0)
            template_print_value(st, n, &v);
        return;
    }
    case NODE_BREAK:
        st->loop_ctl = 1;
        return;
    case NODE_CONTINUE:
        st->loop_ctl = 2;
        return;
    case NODE_IF:
    case NODE_WITH: {
        size_t mark = st->n_stack;
        template_value v = template_eval_pipeline(st, dot, n->pipe);
        int t = template_truth(&v);
        if (t < 0)
            template_exec_fail(st, "if/with can't use %s", template_sprint_value(st, &v));
        if (t)
            template_walk(st, n->type == NODE_WITH ? v : dot, n->list);
        else if (n->else_list)
            template_walk(st, dot, n->else_list);
        st->n_stack = mark;
        return;
    }
    case NODE_RANGE:
        template_walk_range(st, dot, n);
        return;
    case NODE_TEMPLATE: {
        st->at = n;
        const template_node *body = NULL;
        for (size_t i = 0; i < st->n_named; i++)
            if (strcmp(st->named[i].name, n->text) == 0)
                body = st->named[i].body;
        if (body == NULL && strcmp(n->text, TEMPLATE_NAME) == 0)
            body = st->root;
        if (body == NULL) {
            strbuf sb = STRBUF_INIT;
            template_quote(&sb, n->text, strlen(n->text), '"');
            template_exec_fail(st, "template %s not defined", template_keep(st, &sb, NULL));
        }
        /* Go allows 100000 nested calls; ferry stops earlier to spare its
         * stack, with Go's message */
        if (st->depth >= TEMPLATE_MAX_DEPTH)
            template_exec_fail(st, "exceeded maximum template depth (100000)");
        template_value v = n->pipe ? template_eval_pipeline(st, dot, n->pipe) : template_invalid();
        st->depth++;
        /* a template runs with its own variables: only $ */
        template_var *saved = st->stack;
        size_t saved_n = st->n_stack, saved_cap = st->cap_stack;
        const char *saved_name = st->exec_name;
        st->stack = NULL;
        st->n_stack = st->cap_stack = 0;
        st->exec_name = n->text;
        template_push(st, "$", v);
        template_walk(st, v, body);
        st->stack = saved;
        st->n_stack = saved_n;
        st->cap_stack = saved_cap;
        st->exec_name = saved_name;
        st->depth--;
        return;
    }
    default:
        return;
    }
}
