/* core/shared/toml_internal.h — what toml.c and toml_scalar.c (numbers and
 * date-times) share: the parser state and its error reporting. Private to
 * libferryshared. */
#ifndef FERRY_SHARED_TOML_INTERNAL_H
#define FERRY_SHARED_TOML_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

typedef struct toml_parser {
    const char *start, *p, *end;
    const char *name;
    char *err;
    size_t errcap;
    int failed;
    json_t *root;
    json_t *meta; /* "%p" of a table or array -> TOML_T_* flags */
} toml_parser;

/* Records the first error, "NAME:LINE: what" with the line of `at`; always -1. */
int toml_fail(toml_parser *tp, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline int toml_is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static inline int toml_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* n digits at p (before end) as a number, or -1. */
int toml_fixed(const char *p, const char *end, int n);
/* An integer or float (inf and nan as strings) at tp->p; NULL after toml_fail
 * or when memory ran out. */
json_t *toml_number(toml_parser *tp);
/* A date, time or date-time at tp->p, validated and kept as a string. */
json_t *toml_datetime(toml_parser *tp);

#endif /* FERRY_SHARED_TOML_INTERNAL_H */
