/* core/shared/docker_grammar.c — nameComponentRegexp, DomainRegexp and
 * TagRegexp of containers/image's docker/reference, as hand matchers. */
#include "shared/docker_grammar.h"

#include <ctype.h>
#include <string.h>

static int docker_grammar_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int docker_grammar_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

int docker_grammar_component(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t run = i;
        while (i < n && docker_grammar_lower_alnum(s[i]))
            i++;
        if (i == run)
            return 0;
        if (i == n)
            return 1;
        if (s[i] == '.')
            i++;
        else if (s[i] == '_')
            i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
        else if (s[i] == '-')
            while (i < n && s[i] == '-')
                i++;
        else
            return 0;
    }
}

int docker_grammar_tag(const char *s, size_t n)
{
    if (n == 0 || n > DOCKER_GRAMMAR_TAG_MAX || !docker_grammar_word(s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!docker_grammar_word(s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

/* One domain label: alphanumerics, inner dashes. */
static int docker_grammar_domain_label(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

int docker_grammar_domain(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host_len = colon != NULL ? (size_t)(colon - s) : n;
    if (colon != NULL) {
        if (colon + 1 == s + n)
            return 0;
        for (const char *p = colon + 1; p < s + n; p++)
            if (!isdigit((unsigned char)*p))
                return 0;
    }
    size_t start = 0;
    for (size_t i = 0; i <= host_len; i++) {
        if (i == host_len || s[i] == '.') {
            if (!docker_grammar_domain_label(s + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

int docker_grammar_path(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == '/') {
            if (!docker_grammar_component(s + start, i - start))
                return 0;
            start = i + 1;
        }
    return 1;
}
