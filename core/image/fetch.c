/* core/image/fetch.c — bounded, verified reads of manifests and configs. */
#include "image/fetch.h"
#include "image/schema1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "copy/streams.h"
#include "plugin/context.h"

void platform_resolve(platform_spec *p)
{
    if (p->os == NULL || *p->os == '\0')
        p->os = "linux";
    if (p->arch == NULL || *p->arch == '\0') {
        static const struct {
            const char *machine, *goarch;
        } map[] = {{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"armv6l", "arm"},
                   {"i686", "386"},     {"i386", "386"},      {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
                   {"riscv64", "riscv64"}};
        struct utsname u;
        p->arch = "amd64";
        if (uname(&u) == 0)
            for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(u.machine, map[i].machine) == 0)
                    p->arch = map[i].goarch;
    }
}

/* The digest the source's own Docker reference pins ("host/repo@sha256:…"),
 * or NULL: what c/image's UnparsedImage expects of the top-level manifest. */
static const char *fetch_reference_digest(ferry_image_source *src)
{
    const char *ref = src->ops->docker_reference != NULL ? src->ops->docker_reference(src) : NULL;
    const char *at = ref != NULL ? strrchr(ref, '@') : NULL;
    return at != NULL && digest_is_valid(at + 1) ? at + 1 : NULL;
}

/* Hashes a manifest with the algorithm of `like` (a valid digest): into
 * `as_manifest` as manifest.Digest does (a signed schema 1 manifest is named
 * by its payload's digest) and, when raw is not NULL, into `raw` over all
 * its bytes. 0, or -1 with a message in err. */
static int fetch_hash_manifest(const char *data, size_t len, const char *like, char *as_manifest, char *raw,
                               char *err, size_t errcap)
{
    char *payload = NULL;
    size_t payload_len = 0;
    if (schema1_payload(data, len, &payload, &payload_len, err, errcap) != 0)
        return -1;
    digest_hasher *h = digest_hasher_for(like);
    digest_hasher *hraw = raw != NULL ? digest_hasher_for(like) : NULL;
    int rc = h == NULL || (raw != NULL && hraw == NULL) ? -1 : 0;
    if (rc == 0) {
        digest_hasher_update(h, payload, payload_len);
        rc = digest_hasher_final(h, as_manifest, DIGEST_MAX_LEN);
    }
    if (rc == 0 && hraw != NULL) {
        digest_hasher_update(hraw, data, len);
        rc = digest_hasher_final(hraw, raw, DIGEST_MAX_LEN);
    }
    digest_hasher_free(h);
    digest_hasher_free(hraw);
    free(payload);
    if (rc != 0)
        snprintf(err, errcap, "computing manifest digest: out of memory");
    return rc;
}

/* The core's own check of manifest bytes, whatever the module did: against
 * the digest they were asked by (a list instance), else the one the
 * reference pins, and against the reader's digest() claim, which is never
 * believed over the bytes. Wording as c/image's UnparsedImage, whose check
 * skopeo's copy meets first for an instance too. */
static int fetch_verify_manifest(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest,
                                 const char *claim, const char *data, size_t len)
{
    char got[DIGEST_MAX_LEN], raw[DIGEST_MAX_LEN], err[256];
    const char *expected = instance_digest != NULL ? instance_digest : fetch_reference_digest(src);
    if (expected != NULL) {
        if (fetch_hash_manifest(data, len, expected, got, NULL, err, sizeof(err)) != 0)
            return ctx_fail(ctx, FERRY_ERR_INVALID, "manifest %s: %s", expected, err);
        if (strcmp(got, expected) != 0)
            return ctx_fail(ctx, FERRY_ERR_DIGEST_MISMATCH,
                            "Manifest does not match provided manifest digest %s (it hashes to %s)", expected, got);
    }
    if (claim == NULL)
        return FERRY_OK;
    if (!digest_is_valid(claim))
        return ctx_fail(ctx, FERRY_ERR_INVALID, "the source claims an invalid manifest digest \"%.*s\"",
                        DIGEST_MAX_LEN, claim);
    if (fetch_hash_manifest(data, len, claim, got, raw, err, sizeof(err)) != 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "manifest %s: %s", claim, err);
    /* The claim is the digest of all bytes read, or the manifest's digest. */
    if (strcmp(claim, raw) != 0 && strcmp(claim, got) != 0)
        return ctx_fail(ctx, FERRY_ERR_DIGEST_MISMATCH,
                        "Manifest does not match provided manifest digest %s (it hashes to %s)", claim, got);
    return FERRY_OK;
}

int fetch_manifest(ferry_image_source *src, ferry_ctx *ctx, const char *instance_digest, char **data, size_t *len,
                   char *media_type, size_t media_type_cap)
{
    ferry_reader *r = NULL;
    media_type[0] = '\0';
    int rc = src->ops->get_manifest(src, ctx, instance_digest, &r, media_type, media_type_cap);
    if (rc != FERRY_OK)
        return ctx_status_message(ctx, rc, "reading manifest");
    media_type[media_type_cap - 1] = '\0';
    rc = stream_read_all(r, ctx, MANIFEST_MAX_SIZE, instance_digest ? "manifest of list instance" : "manifest",
                         data, len);
    /* Copied before close: the claim lives only as long as the reader. */
    char claim[DIGEST_MAX_LEN + 1] = "";
    const char *claimed = rc == FERRY_OK ? ferry_reader_digest(r) : NULL;
    if (claimed != NULL)
        snprintf(claim, sizeof(claim), "%s", claimed);
    ferry_reader_close(r);
    if (rc != FERRY_OK)
        return rc;
    rc = fetch_verify_manifest(src, ctx, instance_digest, claimed != NULL ? claim : NULL, *data, *len);
    if (rc != FERRY_OK) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

int fetch_small_blob(ferry_image_source *src, ferry_ctx *ctx, const manifest_descriptor *d, int kind, char **data,
                     size_t *len)
{
    char what[DIGEST_MAX_LEN + 16];
    snprintf(what, sizeof(what), "%s %s", kind == FERRY_BLOB_CONFIG ? "config" : "blob", d->digest);
    if (d->size > MANIFEST_MAX_SIZE)
        return ctx_fail(ctx, FERRY_ERR_TOO_LARGE, "%s is %lld bytes, over the %d byte limit", what,
                        (long long)d->size, MANIFEST_MAX_SIZE);
    ferry_blob_info info = {.struct_size = sizeof(info),
                            .digest = d->digest,
                            .size = d->size,
                            .media_type = d->media_type,
                            .kind = kind,
                            .layer_index = -1};
    ferry_reader *raw = NULL;
    int rc = src->ops->get_blob(src, ctx, &info, &raw);
    if (rc != FERRY_OK)
        return ctx_status_message(ctx, rc, what);
    stream_pipeline_options opts = {.what = what, .expected_digest = d->digest, .expected_size = d->size};
    ferry_reader *r = stream_pipeline_new(raw, &opts);
    if (r == NULL)
        return ctx_fail(ctx, FERRY_ERR_NO_MEMORY, "%s: out of memory", what);
    rc = stream_read_all(r, ctx, MANIFEST_MAX_SIZE, what, data, len);
    ferry_reader_close(r);
    return rc;
}

static int fetch_parse(ferry_ctx *ctx, const char *reference, const char *what, const char *data, size_t len,
                       const char *media_type, manifest **out)
{
    char err[512];
    if (manifest_parse(data, len, media_type, out, err, sizeof(err)) != 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s %s: %s", what, reference, err);
    return FERRY_OK;
}

int fetch_image(ferry_image_source *src, ferry_ctx *ctx, const char *reference, const platform_spec *platform,
                int choose_instance, fetched_image *out)
{
    memset(out, 0, sizeof(*out));
    int rc = fetch_manifest(src, ctx, NULL, &out->top_data, &out->top_len, out->top_media_type,
                            sizeof(out->top_media_type));
    if (rc != FERRY_OK)
        return ctx_note_image_absent(ctx, ctx_wrap(ctx, rc, "reading manifest of", reference), reference);
    char err[512];
    if (schema1_digest(out->top_data, out->top_len, out->top_digest, sizeof(out->top_digest), err, sizeof(err)) != 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "manifest of %s: %s", reference, err);
    manifest *top = NULL;
    rc = fetch_parse(ctx, reference, "manifest of", out->top_data, out->top_len, out->top_media_type, &top);
    if (rc != FERRY_OK)
        return rc;
    if (!manifest_kind_is_list(top->kind)) {
        out->image = top;
        out->data = out->top_data;
        out->len = out->top_len;
        memcpy(out->digest, out->top_digest, sizeof(out->digest));
        return FERRY_OK;
    }
    out->list = top;
    if (!choose_instance)
        return FERRY_OK;
    platform_spec p = *platform;
    platform_resolve(&p);
    int idx = manifest_list_choose(top, p.os, p.arch, p.variant, err, sizeof(err));
    /* containers/image's words: copy's, or inspect's (image.FromUnparsedImage). */
    if (idx < 0 && choose_instance == FETCH_CHOOSE_INSTANCE_FOR_INSPECT)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "%s: parsing manifest for image: choosing image instance: %s", reference,
                        err);
    if (idx < 0)
        return ctx_fail(ctx, FERRY_ERR_INVALID, "choosing an image from manifest list %s: %s", reference, err);
    const manifest_descriptor *d = &top->layers[idx];
    char media_type[MEDIA_TYPE_MAX];
    rc = fetch_manifest(src, ctx, d->digest, &out->instance_data, &out->len, media_type, sizeof(media_type));
    if (rc != FERRY_OK)
        return ctx_wrap(ctx, rc, "reading manifest of", reference);
    out->data = out->instance_data;
    snprintf(out->digest, sizeof(out->digest), "%s", d->digest);
    const char *declared = media_type[0] ? media_type : d->media_type;
    rc = fetch_parse(ctx, reference, "manifest of instance of", out->data, out->len, declared, &out->image);
    if (rc == FERRY_OK && manifest_kind_is_list(out->image->kind))
        rc = ctx_fail(ctx, FERRY_ERR_INVALID, "%s: list instance %s is itself a list", reference, d->digest);
    return rc;
}

void fetched_image_release(fetched_image *img)
{
    free(img->top_data);
    free(img->instance_data);
    manifest_free(img->list);
    manifest_free(img->image);
    memset(img, 0, sizeof(*img));
}
