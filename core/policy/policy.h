/* core/policy/policy.h — containers-policy.json(5): whether an image may be
 * used, as skopeo decides it before reading a source. */
#ifndef FERRY_CORE_POLICY_H
#define FERRY_CORE_POLICY_H

#include <stddef.h>

/* Loads the policy (`path`, or $HOME/.config/containers/policy.json, or
 * /etc/containers/policy.json) and evaluates the requirements for the image
 * `identity` of `transport`. Returns 0 when the image is accepted, -1 with a
 * one-line message in err when it is rejected or the policy is unusable. */
int policy_check(const char *path, const char *transport, const char *identity, char *err, size_t errcap);

#endif
