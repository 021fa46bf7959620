/* core/image/referrers.h — OCI referrers (image-spec 1.1 `subject`) as a
 * source plugin lists them (ABI 1.3 list_referrers): collected, checked and
 * deduplicated into descriptors, and the OCI index the distribution spec's
 * referrers API answers with. Shared by copy --referrers and inspect
 * --referrers. */
#ifndef FERRY_CORE_REFERRERS_H
#define FERRY_CORE_REFERRERS_H

#include <jansson.h>

#include <ferry/transport.h>

/* At most this many referrers of one subject are taken (memory bound). */
#define REFERRERS_MAX 10000

/* 1 when the source (its ops table) offers list_referrers. */
int referrers_source_supported(const ferry_image_source *src);
/* 1 when the destination (its ops table) offers put_referrer. */
int referrers_dest_supported(const ferry_image_dest *dst);

/* Lists the referrers of `digest` through src into *out, a new JSON array of
 * descriptor objects (mediaType, digest, size, artifactType, annotations as
 * the module gave them; each digest once, in the module's order). `what`
 * names the source in messages. On failure ctx holds the one-line error. */
int referrers_list(ferry_image_source *src, ferry_ctx *ctx, const char *what, const char *digest, json_t **out);

/* The OCI image index listing `descriptors` (borrowed), as the referrers API
 * returns it; NULL when out of memory. */
json_t *referrers_index(json_t *descriptors);

#endif
