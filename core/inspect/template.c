/* core/inspect/template.c — `skopeo inspect --format`: the inspect glue of the
 * Go text/template engine (template_internal.h lists its parts): the fields of
 * skopeo's inspect.Output, and the format wrapped the way skopeo 1.9.3's
 * containers/common report package wraps it.
 *
 * What skopeo does with a --format string, and so what this file does:
 *  - "" or a "json"/"{{json .}}" format prints the indented JSON;
 *  - otherwise the two-character sequences \t and \n become a tab and a
 *    newline (a "table " prefix is dropped and its spaces become tabs), a
 *    newline is appended unless there is one, and the text is wrapped in
 *    "{{range . }}…{{end}}" executed over a one-element []interface{}: hence
 *    error columns shifted by 12, "in type interface {}" for unknown fields,
 *    {{else}}, {{break}} and {{$}} meaning what they mean inside a range;
 *  - the output goes through a text/tabwriter (minwidth 8, padding 2) that
 *    is never flushed: text is only written out when a line without a tab
 *    completes, so a last line that holds a tab, or has no newline, is lost;
 *  - functions are text/template's builtins (no "upper", …), plus, as a
 *    ferry extension where skopeo 1.9.3 fails, newer skopeo's "json".
 *
 * The lexer, parser and evaluator follow text/template's structure so that
 * messages, positions and edge cases come out the same. Errors unwind with
 * longjmp to the setjmp here; every allocation of a run lives in an arena
 * freed at the end. */
#include "inspect/inspect.h"
#include "inspect/template_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

/* skopeo's inspect.Output, in field order */
static const struct {
    const char *name;
    const char *type;
    template_kind kind;
} template_output_fields[] = {
    {"Name", "string", VAL_STRING},
    {"Tag", "string", VAL_STRING},
    {"Digest", "digest.Digest", VAL_STRING},
    {"RepoTags", "[]string", VAL_STRINGS},
    {"Created", "*time.Time", VAL_TIME},
    {"DockerVersion", "string", VAL_STRING},
    {"Labels", "map[string]string", VAL_MAP},
    {"Architecture", "string", VAL_STRING},
    {"Os", "string", VAL_STRING},
    {"Layers", "[]string", VAL_STRINGS},
    {"Env", "[]string", VAL_STRINGS},
};
#define TEMPLATE_N_FIELDS (sizeof template_output_fields / sizeof template_output_fields[0])

int template_output_field(const char *name)
{
    for (size_t i = 0; i < TEMPLATE_N_FIELDS; i++)
        if (strcmp(template_output_fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

size_t template_output_field_count(void)
{
    return TEMPLATE_N_FIELDS;
}

const char *template_output_field_name(size_t i)
{
    return template_output_fields[i].name;
}

/* The value of Output field i, from the inspect JSON object. */
template_value template_output_get(template_state *st, size_t i)
{
    const json_t *m = json_object_get(st->inspect, template_output_fields[i].name);
    template_value v = template_invalid();
    v.kind = template_output_fields[i].kind;
    v.type = template_output_fields[i].type;
    switch (v.kind) {
    case VAL_STRING:
        if (json_is_string(m)) {
            v.s = json_string_value(m);
            v.n = json_string_length(m);
        } else {
            v.s = "";
        }
        break;
    case VAL_STRINGS:
        v.is_nil = !json_is_array(m);
        v.j = v.is_nil ? NULL : m;
        v.len = v.is_nil ? 0 : json_array_size(m);
        break;
    case VAL_MAP:
        v.is_nil = !json_is_object(m);
        v.j = v.is_nil ? NULL : m;
        break;
    case VAL_TIME: {
        gotime t;
        v.ptr = 1;
        v.is_nil = !(json_is_string(m) && gotime_parse_marshaled(json_string_value(m), &t) == 0);
        if (!v.is_nil)
            v.t = t;
        break;
    }
    default:
        break;
    }
    return v;
}

/* ================================================================ entry */

/* report.IsJSON: ^\s*(json|{{\s*json\s*(\.)?\s*}})\s*$ */
static int template_is_json(const char *f)
{
    const char *p = f;
#define TEMPLATE_SKIP_WS(q)                                                                                       \
    while (*(q) == ' ' || *(q) == '\t' || *(q) == '\n' || *(q) == '\r' || *(q) == '\f')                            \
    (q)++
    TEMPLATE_SKIP_WS(p);
    if (strncmp(p, "json", 4) == 0) {
        p += 4;
    } else if (strncmp(p, "{{", 2) == 0) {
        p += 2;
        TEMPLATE_SKIP_WS(p);
        if (strncmp(p, "json", 4) != 0)
            return 0;
        p += 4;
        TEMPLATE_SKIP_WS(p);
        if (*p == '.')
            p++;
        TEMPLATE_SKIP_WS(p);
        if (strncmp(p, "}}", 2) != 0)
            return 0;
        p += 2;
    } else {
        return 0;
    }
    TEMPLATE_SKIP_WS(p);
#undef TEMPLATE_SKIP_WS
    return *p == '\0';
}

/* report.NormalizeFormat plus the range wrapping */
static char *template_wrap(const char *format)
{
    strbuf sb = STRBUF_INIT;
    int table = strncmp(format, "table ", 6) == 0;
    strbuf_puts(&sb, TEMPLATE_PREFIX);
    for (const char *p = format; *p;) {
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
            strbuf_append(&sb, p[1] == 't' ? "\t" : "\n", 1);
            p += 2;
        } else if (table && strncmp(p, "table ", 6) == 0) {
            p += 6;
        } else if (table && *p == ' ') {
            strbuf_append(&sb, "\t", 1);
            p++;
        } else {
            strbuf_append(&sb, p, 1);
            p++;
        }
    }
    if (sb.len == strlen(TEMPLATE_PREFIX) || sb.data[sb.len - 1] != '\n')
        strbuf_append(&sb, "\n", 1);
    strbuf_puts(&sb, TEMPLATE_SUFFIX);
    return strbuf_detach(&sb, NULL);
}

char *inspect_render_template_partial(const char *tmpl, const json_t *inspect, size_t *len, int *failed, char *err,
                                      size_t errcap)
{
    *failed = 0;
    *len = 0;
    if (tmpl == NULL || tmpl[0] == '\0' || template_is_json(tmpl)) {
        char *json = gojson_encode(inspect, 4);
        size_t n = json ? strlen(json) : 0;
        char *out = json ? realloc(json, n + 2) : NULL;
        if (out == NULL) {
            free(json);
            *failed = 1;
            snprintf(err, errcap, "out of memory");
            return NULL;
        }
        out[n] = '\n';
        out[n + 1] = '\0';
        *len = n + 1;
        return out;
    }
    char *text = template_wrap(tmpl);
    template_state *st = text ? template_state_new(text, strlen(text), inspect) : NULL;
    if (st == NULL) {
        free(text);
        *failed = 1;
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    char *out = NULL;
    if (setjmp(st->jmp) == 0) {
        template_node *root = template_parse(st);
        st->root = root;
        template_tw_add_line(st);
        template_value data = template_invalid();
        data.kind = VAL_ROOT;
        data.type = "[]interface {}";
        template_push(st, "$", data);
        template_walk(st, data, root);
    } else {
        *failed = 1;
        snprintf(err, errcap, "%s", st->msg ? st->msg : "out of memory");
    }
    if (!st->tw.out.failed)
        out = strbuf_detach(&st->tw.out, len);
    if (out == NULL && !*failed) {
        *failed = 1;
        snprintf(err, errcap, "out of memory");
    }
    free(text);
    template_state_free(st);
    return out;
}

char *inspect_render_template(const char *tmpl, const json_t *inspect, char *err, size_t errcap)
{
    int failed;
    size_t len;
    char *out = inspect_render_template_partial(tmpl, inspect, &len, &failed, err, errcap);
    if (failed) {
        free(out);
        return NULL;
    }
    return out;
}
