/* core/cli/options.c — pflag-compatible command-line parsing. */
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_add_spec(opt_parsed *p, const opt_spec *spec)
{
    if (p->n_specs >= OPT_MAX_SPECS)
        return -1;
    p->specs[p->n_specs++] = spec;
    return 0;
}

static int opt_find(const opt_parsed *p, const char *name, size_t name_len, char short_name)
{
    for (size_t i = 0; i < p->n_specs; i++) {
        const opt_spec *s = p->specs[i];
        if (short_name ? s->short_name == short_name
                       : strlen(s->name) == name_len && strncmp(s->name, name, name_len) == 0)
            return (int)i;
    }
    return -1;
}

static int parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(text, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(text, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

int opt_parse_duration(const char *text, double *seconds)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
    const char *p = text;
    double total = 0;
    int negative = 0;
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    if (strcmp(p, "0") == 0)
        return *seconds = 0, 0;
    if (*p == '\0')
        return -1;
    while (*p != '\0') {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0 || v < 0)
            return -1;
        p = end;
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, n) == 0 && n > best_len)
                best = i, best_len = n;
        }
        if (best_len == 0)
            return -1;
        total += v * units[best].scale;
        p += best_len;
    }
    *seconds = negative ? -total : total;
    return 0;
}

static int opt_assign(opt_parsed *p, int idx, const char *value, const char *shown, char *err, size_t errcap)
{
    const opt_spec *s = p->specs[idx];
    opt_value *v = &p->values[idx];
    v->set = 1;
    switch (s->type) {
    case OPT_BOOL:
        if (parse_bool(value, &v->boolean) != 0) {
            snprintf(err, errcap, "invalid argument \"%s\" for \"%s\" flag: expected true or false", value, shown);
            return -1;
        }
        return 0;
    case OPT_STRING:
        v->string = value;
        return 0;
    case OPT_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(value, &end, 0);
        if (*value == '\0' || *end != '\0' || errno != 0) {
            snprintf(err, errcap, "invalid argument \"%s\" for \"%s\" flag: not an integer", value, shown);
            return -1;
        }
        v->integer = n;
        v->string = value;
        return 0;
    }
    case OPT_DURATION:
        if (opt_parse_duration(value, &v->seconds) != 0) {
            snprintf(err, errcap, "invalid argument \"%s\" for \"%s\" flag: not a duration (e.g. 30s, 5m, 1h)",
                     value, shown);
            return -1;
        }
        v->string = value;
        return 0;
    case OPT_LIST: {
        const char **list = realloc(v->list, (v->n_list + 1) * sizeof(*list));
        if (list == NULL) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        v->list = list;
        v->list[v->n_list++] = value;
        return 0;
    }
    }
    return -1;
}

static int opt_add_arg(opt_parsed *p, const char *arg)
{
    const char **args = realloc(p->args, (p->n_args + 1) * sizeof(*args));
    if (args == NULL)
        return -1;
    p->args = args;
    p->args[p->n_args++] = arg;
    return 0;
}

/* Handles one "--name[=value]" argument; may consume argv[*i + 1]. */
static int opt_parse_long(opt_parsed *p, int argc, char **argv, int *i, char *err, size_t errcap)
{
    const char *body = argv[*i] + 2;
    const char *eq = strchr(body, '=');
    size_t name_len = eq ? (size_t)(eq - body) : strlen(body);
    if (name_len == 4 && strncmp(body, "help", 4) == 0 && eq == NULL)
        return p->help = 1, 0;
    int idx = opt_find(p, body, name_len, 0);
    if (idx < 0) {
        snprintf(err, errcap, "unknown flag: --%.*s", (int)name_len, body);
        return -1;
    }
    char shown[128];
    snprintf(shown, sizeof(shown), "--%s", p->specs[idx]->name);
    if (eq != NULL)
        return opt_assign(p, idx, eq + 1, shown, err, errcap);
    if (p->specs[idx]->type == OPT_BOOL)
        return opt_assign(p, idx, "true", shown, err, errcap);
    if (*i + 1 >= argc) {
        snprintf(err, errcap, "flag needs an argument: %s", shown);
        return -1;
    }
    return opt_assign(p, idx, argv[++*i], shown, err, errcap);
}

/* Handles "-abc" / "-fvalue" / "-f value" / "-f=value". */
static int opt_parse_short(opt_parsed *p, int argc, char **argv, int *i, char *err, size_t errcap)
{
    const char *s = argv[*i] + 1;
    while (*s != '\0') {
        char c = *s++;
        if (c == 'h')
            return p->help = 1, 0;
        int idx = opt_find(p, NULL, 0, c);
        if (idx < 0) {
            snprintf(err, errcap, "unknown shorthand flag: '%c' in %s", c, argv[*i]);
            return -1;
        }
        char shown[8];
        snprintf(shown, sizeof(shown), "-%c", c);
        if (*s == '=')
            return opt_assign(p, idx, s + 1, shown, err, errcap);
        if (p->specs[idx]->type == OPT_BOOL) {
            if (opt_assign(p, idx, "true", shown, err, errcap) != 0)
                return -1;
            continue;
        }
        if (*s != '\0')
            return opt_assign(p, idx, s, shown, err, errcap);
        if (*i + 1 >= argc) {
            snprintf(err, errcap, "flag needs an argument: '%c' in -%c", c, c);
            return -1;
        }
        return opt_assign(p, idx, argv[++*i], shown, err, errcap);
    }
    return 0;
}

int opt_parse(opt_parsed *out, const opt_spec *const *tables, size_t n_tables, int argc, char **argv, char *err,
              size_t errcap)
{
    memset(out, 0, sizeof(*out));
    for (size_t t = 0; t < n_tables; t++)
        for (const opt_spec *s = tables[t]; s->name != NULL; s++)
            if (opt_add_spec(out, s) != 0) {
                snprintf(err, errcap, "internal error: too many flags");
                return -1;
            }
    int only_args = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (only_args || a[0] != '-' || a[1] == '\0')
            rc = opt_add_arg(out, a);
        else if (strcmp(a, "--") == 0)
            only_args = 1;
        else if (a[1] == '-')
            rc = opt_parse_long(out, argc, argv, &i, err, errcap);
        else
            rc = opt_parse_short(out, argc, argv, &i, err, errcap);
        if (rc != 0) {
            if (err[0] == '\0')
                snprintf(err, errcap, "out of memory");
            return -1;
        }
    }
    return 0;
}

void opt_release(opt_parsed *p)
{
    for (size_t i = 0; i < p->n_specs; i++)
        free(p->values[i].list);
    free(p->args);
    memset(p, 0, sizeof(*p));
}

const opt_value *opt_get(const opt_parsed *p, const char *name)
{
    int idx = opt_find(p, name, strlen(name), 0);
    return idx < 0 ? NULL : &p->values[idx];
}

int opt_bool(const opt_parsed *p, const char *name)
{
    const opt_value *v = opt_get(p, name);
    return v != NULL && v->set && v->boolean;
}

const char *opt_string(const opt_parsed *p, const char *name)
{
    const opt_value *v = opt_get(p, name);
    return v != NULL && v->set ? v->string : NULL;
}

void opt_print_help(const opt_spec *const *tables, size_t n_tables)
{
    for (size_t t = 0; t < n_tables; t++) {
        for (const opt_spec *s = tables[t]; s->name != NULL; s++) {
            char left[96];
            const char *meta = s->metavar;
            if (meta == NULL)
                meta = s->type == OPT_BOOL ? "" : s->type == OPT_INT ? "int" : s->type == OPT_DURATION ? "duration"
                       : s->type == OPT_LIST ? "strings" : "string";
            if (s->short_name)
                snprintf(left, sizeof(left), "  -%c, --%s%s%s", s->short_name, s->name, *meta ? " " : "", meta);
            else
                snprintf(left, sizeof(left), "      --%s%s%s", s->name, *meta ? " " : "", meta);
            printf("%-44s %s\n", left, s->help);
        }
    }
}
