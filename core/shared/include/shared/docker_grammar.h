/* core/shared/include/shared/docker_grammar.h — pieces of the grammar of
 * docker references (containers/image's docker/reference/regexp.go) that
 * the core's ParseNormalizedNamed (core/image/docker_ref.h) and the
 * transports' reference parser (plugins/common/docker_name.h) share. Pure
 * functions over byte ranges. */
#ifndef FERRY_SHARED_DOCKER_GRAMMAR_H
#define FERRY_SHARED_DOCKER_GRAMMAR_H

#include <stddef.h>

#define DOCKER_GRAMMAR_TAG_MAX 128

/* 1 when the n bytes at s are one path component of a repository name:
 * [a-z0-9]+ runs joined by ".", "_", "__" or a run of dashes. */
int docker_grammar_component(const char *s, size_t n);

/* 1 when the n bytes at s are a domain (DomainRegexp, anchored): labels of
 * alphanumerics with inner dashes joined by dots, then an optional ":port". */
int docker_grammar_domain(const char *s, size_t n);

/* 1 when the n bytes at s are path components joined by "/". */
int docker_grammar_path(const char *s, size_t n);

/* 1 when the n bytes at s are a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
int docker_grammar_tag(const char *s, size_t n);

#endif
