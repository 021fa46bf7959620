/* plugins/docker/cache.c — small module-wide caches with expiry (bearer
 * tokens, what registries said about themselves): a mutex-protected list,
 * bounded in size, whose values are copied out under the lock so that an
 * entry can be replaced or dropped while a caller uses its copy. */
#include "docker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

double docker_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void docker_cache_entry_free(docker_cache *cache, docker_cache_entry *e)
{
    cache->free_value(e->value);
    free(e->key);
    free(e);
}

int docker_cache_get(docker_cache *cache, const char *key, int (*copy)(const void *value, void *arg), void *arg)
{
    int rc = -1;
    double now = docker_monotonic();
    pthread_mutex_lock(&cache->lock);
    for (docker_cache_entry *e = cache->head; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0) {
            if (now < e->expires)
                rc = copy(e->value, arg);
            break;
        }
    pthread_mutex_unlock(&cache->lock);
    return rc;
}

void docker_cache_put(docker_cache *cache, const char *key, void *value, double expires)
{
    docker_cache_entry *fresh = calloc(1, sizeof *fresh);
    if (fresh == NULL || (fresh->key = strdup(key)) == NULL) {
        free(fresh);
        cache->free_value(value); /* not cached: asked again next time */
        return;
    }
    fresh->value = value;
    fresh->expires = expires;
    double now = docker_monotonic();
    pthread_mutex_lock(&cache->lock);
    /* Drop the old entry for this key and expired ones; bound the size. */
    size_t kept = 0;
    for (docker_cache_entry **p = &cache->head; *p != NULL;) {
        docker_cache_entry *e = *p;
        if (strcmp(e->key, key) == 0 || e->expires <= now || kept + 1 >= cache->max) {
            *p = e->next;
            docker_cache_entry_free(cache, e);
            continue;
        }
        kept++;
        p = &e->next;
    }
    fresh->next = cache->head;
    cache->head = fresh;
    pthread_mutex_unlock(&cache->lock);
}

void docker_cache_clear(docker_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    while (cache->head != NULL) {
        docker_cache_entry *e = cache->head;
        cache->head = e->next;
        docker_cache_entry_free(cache, e);
    }
    pthread_mutex_unlock(&cache->lock);
}
