/* core/copy/blob_claims.c — the claims of blob_claims.h: a short list of
 * (scope, digest) pairs being sent (at most one per layer copy running),
 * guarded by a mutex, with one condition variable the waiters share. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "copy/blob_claims.h"

typedef struct blob_claim {
    char *key; /* "scope\ndigest" */
    struct blob_claim *next;
} blob_claim;

struct blob_claims {
    pthread_mutex_t lock;
    pthread_cond_t released;
    blob_claim *held;
};

blob_claims *blob_claims_new(void)
{
    blob_claims *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->released, NULL);
    return c;
}

void blob_claims_free(blob_claims *c)
{
    if (c == NULL)
        return;
    while (c->held != NULL) {
        blob_claim *next = c->held->next;
        free(c->held->key);
        free(c->held);
        c->held = next;
    }
    pthread_cond_destroy(&c->released);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static char *blob_claims_key(const char *scope, const char *digest)
{
    size_t a = strlen(scope), b = strlen(digest);
    char *key = malloc(a + b + 2);
    if (key != NULL) {
        memcpy(key, scope, a);
        key[a] = '\n';
        memcpy(key + a + 1, digest, b + 1);
    }
    return key;
}

static blob_claim **blob_claims_find(blob_claims *c, const char *key)
{
    for (blob_claim **p = &c->held; *p != NULL; p = &(*p)->next)
        if (strcmp((*p)->key, key) == 0)
            return p;
    return NULL;
}

void blob_claims_acquire(blob_claims *c, const char *scope, const char *digest)
{
    char *key = blob_claims_key(scope, digest);
    blob_claim *claim = key ? malloc(sizeof(*claim)) : NULL;
    if (claim == NULL) { /* out of memory: go ahead unshared */
        free(key);
        return;
    }
    pthread_mutex_lock(&c->lock);
    while (blob_claims_find(c, key) != NULL)
        pthread_cond_wait(&c->released, &c->lock);
    claim->key = key;
    claim->next = c->held;
    c->held = claim;
    pthread_mutex_unlock(&c->lock);
}

void blob_claims_release(blob_claims *c, const char *scope, const char *digest)
{
    char *key = blob_claims_key(scope, digest);
    if (key == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    blob_claim **p = blob_claims_find(c, key);
    if (p != NULL) {
        blob_claim *gone = *p;
        *p = gone->next;
        free(gone->key);
        free(gone);
        pthread_cond_broadcast(&c->released);
    }
    pthread_mutex_unlock(&c->lock);
    free(key);
}
