/* core/shared/docker_grammar.c — nameComponentRegexp and TagRegexp of
 * containers/image's docker/reference, as hand matchers. */
#include "shared/docker_grammar.h"

#include <ctype.h>

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
