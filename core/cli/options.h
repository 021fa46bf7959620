/* core/cli/options.h — command-line parsing compatible with skopeo's (Go
 * pflag): --flag=value and --flag value, -f value, boolean flags as --flag or
 * --flag=true|false, flags interspersed with arguments, "--" ends flags,
 * repeated list flags accumulate. */
#ifndef FERRY_CORE_OPTIONS_H
#define FERRY_CORE_OPTIONS_H

#include <stddef.h>

typedef enum opt_type { OPT_BOOL, OPT_STRING, OPT_INT, OPT_LIST, OPT_DURATION } opt_type;

typedef struct opt_spec {
    const char *name; /* long name without "--"; NULL ends a table */
    char short_name;  /* 0 for none */
    opt_type type;
    const char *metavar; /* for help; NULL prints the type */
    const char *help;
} opt_spec;

typedef struct opt_value {
    int set;            /* given on the command line */
    int boolean;        /* OPT_BOOL */
    const char *string; /* OPT_STRING (points into argv) */
    long long integer;  /* OPT_INT */
    double seconds;     /* OPT_DURATION */
    const char **list;  /* OPT_LIST, malloc'd array of argv pointers */
    size_t n_list;
} opt_value;

#define OPT_MAX_SPECS 96

typedef struct opt_parsed {
    const opt_spec *specs[OPT_MAX_SPECS];
    opt_value values[OPT_MAX_SPECS];
    size_t n_specs;
    const char **args; /* positional arguments (malloc'd array) */
    size_t n_args;
    int help;          /* -h/--help was given */
} opt_parsed;

/* Parses argv against the NULL-terminated spec tables (several tables, e.g.
 * global + command). Returns 0, or -1 with a one-line message in err. */
int opt_parse(opt_parsed *out, const opt_spec *const *tables, size_t n_tables, int argc, char **argv,
              char *err, size_t errcap);
void opt_release(opt_parsed *p);

const opt_value *opt_get(const opt_parsed *p, const char *name);
int opt_bool(const opt_parsed *p, const char *name);
const char *opt_string(const opt_parsed *p, const char *name); /* NULL when not set */

/* Go time.ParseDuration: "1h30m", "2.5s", "300ms". 0 or -1. */
int opt_parse_duration(const char *text, double *seconds);

/* Prints the flags of the tables, skopeo-style, to stdout (without -h). */
void opt_print_help(const opt_spec *const *tables, size_t n_tables);

#endif
