/* core/image/schema1_convert.c — containers/image v5.23's conversions
 * between Docker schema 1 and schema 2 images: ToSchema2Config (the config
 * a schema 1 image gets when copied as schema 2 or OCI) and
 * convertToManifestSchema1 (the schema 1 manifest a schema 2 or OCI image
 * gets). Both splice raw JSON members into maps that Go marshals with sorted
 * keys, so the bytes, and the digests, come out as skopeo's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/digest.h"
#include "image/manifest.h"
#include "image/oci_config_internal.h"
#include "image/schema1.h"
#include "image/schema1_internal.h"
#include "shared/gojson.h"
#include "shared/strbuf.h"

/* ---------------------------------------------------------------- maps of raw messages */

/* A member of a map[string]*json.RawMessage. */
typedef struct schema1_member {
    const char *key;
    size_t key_len;
    const char *raw; /* JSON text */
    size_t raw_len;
    size_t order;    /* later duplicates win */
} schema1_member;

static int schema1_member_cmp(const void *a, const void *b)
{
    const schema1_member *x = a, *y = b;
    int c = gojson_compare_keys(x->key, x->key_len, y->key, y->key_len);
    return c != 0 ? c : x->order < y->order ? -1 : (x->order > y->order);
}

static int schema1_key_is(const schema1_member *m, const char *key)
{
    return m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0;
}

/* json.Unmarshal of the object `json` into a map of raw messages, the `drop`
 * keys deleted, the `add` members set, then json.Marshal of the map: keys
 * sorted bytewise, values compacted and HTML-escaped. Returns the malloc'd
 * text or NULL with Go's message in err. */
static char *schema1_raw_map(const char *json, size_t len, const char *const *drop, size_t n_drop,
                             const schema1_member *add, size_t n_add, size_t *out_len, char *err, size_t errcap)
{
    gojson_node *root = gojson_parse(json, len, err, errcap);
    if (root == NULL)
        return NULL;
    if (root->kind != GOJSON_OBJECT) {
        snprintf(err, errcap, "json: cannot unmarshal %s into Go value of type map[string]*json.RawMessage",
                 gojson_kind_name(root->kind));
        gojson_node_free(root);
        return NULL;
    }
    schema1_member *members = calloc(root->n_children + n_add + 1, sizeof *members);
    if (members == NULL) {
        gojson_node_free(root);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < root->n_children; i++) {
        const gojson_node *c = &root->children[i];
        schema1_member m = {c->key, c->key_len, c->raw, c->raw_len, i};
        int keep = 1;
        for (size_t k = 0; k < n_drop && keep; k++)
            keep = !schema1_key_is(&m, drop[k]);
        for (size_t k = 0; k < n_add && keep; k++)
            keep = !(add[k].key_len == m.key_len && memcmp(add[k].key, m.key, m.key_len) == 0);
        if (keep)
            members[n++] = m;
    }
    for (size_t k = 0; k < n_add; k++) {
        members[n] = add[k];
        members[n++].order = root->n_children + k;
    }
    qsort(members, n, sizeof *members, schema1_member_cmp);
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, "{", 1);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && members[i + 1].key_len == members[i].key_len &&
            memcmp(members[i + 1].key, members[i].key, members[i].key_len) == 0)
            continue; /* a later duplicate replaces it */
        char *key = gojson_quote(members[i].key, members[i].key_len);
        if (key == NULL) {
            sb.failed = 1;
            break;
        }
        if (!first)
            strbuf_append(&sb, ",", 1);
        first = 0;
        strbuf_puts(&sb, key);
        free(key);
        strbuf_append(&sb, ":", 1);
        gojson_append_compact(&sb, members[i].raw, members[i].raw_len, 1);
    }
    strbuf_append(&sb, "}", 1);
    free(members);
    gojson_node_free(root);
    if (sb.failed) {
        strbuf_release(&sb);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    return strbuf_detach(&sb, out_len);
}

/* Appends a Go-quoted string; a failed quote marks sb failed. */
static void schema1_put_quoted(strbuf *sb, const char *s, size_t n)
{
    char *q = gojson_quote(s ? s : "", s ? n : 0);
    if (q == NULL)
        sb->failed = 1;
    else
        strbuf_puts(sb, q);
    free(q);
}

/* Appends ,"key":"time" as time.Time.MarshalJSON writes it; -1 with the
 * message when the year cannot be written. */
static int schema1_put_time(strbuf *sb, const char *member, const gotime *t, char *err, size_t errcap)
{
    char msg[256];
    char *s = gotime_marshal(t, msg, sizeof msg);
    if (s == NULL) {
        snprintf(err, errcap, "json: error calling MarshalJSON for type time.Time: %s", msg);
        return -1;
    }
    strbuf_printf(sb, "%s\"%s\":\"%s\"", sb->len > 1 ? "," : "", member, s);
    free(s);
    return 0;
}

/* ---------------------------------------------------------------- schema 1 → schema 2 config */

/* strconv.Atoi as docker's versions.compare uses it: 0 for what is not a
 * number, out-of-range values clamped. */
static long long schema1_atoi(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (i == n)
        return 0;
    char buf[64];
    for (size_t k = i; k < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return 0;
    if (n >= sizeof buf) /* too many digits for any int64 */
        return s[0] == '-' ? -0x7fffffffffffffffLL - 1 : 0x7fffffffffffffffLL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtoll(buf, NULL, 10); /* clamps as ParseInt does */
}

/* docker/docker/api/types/versions.LessThan: dot-separated numbers. */
static int schema1_version_less(const char *v, size_t v_len, const char *other)
{
    size_t o_len = strlen(other);
    if (v_len == o_len && memcmp(v, other, v_len) == 0)
        return 0;
    const char *a = v, *a_end = v + v_len, *b = other, *b_end = other + o_len;
    while (a || b) {
        const char *a_dot = a ? memchr(a, '.', (size_t)(a_end - a)) : NULL;
        const char *b_dot = b ? memchr(b, '.', (size_t)(b_end - b)) : NULL;
        long long x = a ? schema1_atoi(a, (size_t)((a_dot ? a_dot : a_end) - a)) : 0;
        long long y = b ? schema1_atoi(b, (size_t)((b_dot ? b_dot : b_end) - b)) : 0;
        if (x != y)
            return x < y;
        a = a_dot ? a_dot + 1 : NULL;
        b = b_dot ? b_dot + 1 : NULL;
    }
    return 0;
}

/* json.Marshal of the converted []Schema2History, oldest entry first. */
static char *schema1_history_json(const schema1_manifest *m, char *err, size_t errcap)
{
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, "[", 1);
    for (size_t i = m->n; i-- > 0;) {
        const schema1_history *h = &m->history[i];
        strbuf item = STRBUF_INIT;
        strbuf_append(&item, "{", 1);
        if (schema1_put_time(&item, "created", &h->created, err, errcap) != 0) {
            strbuf_release(&item);
            strbuf_release(&sb);
            return NULL;
        }
        if (h->author_len) {
            strbuf_puts(&item, ",\"author\":");
            schema1_put_quoted(&item, h->author, h->author_len);
        }
        strbuf created_by = STRBUF_INIT; /* strings.Join(Cmd, " ") */
        for (size_t k = 0; k < h->n_cmd; k++) {
            if (k)
                strbuf_append(&created_by, " ", 1);
            strbuf_append(&created_by, h->cmd[k], h->cmd_lens[k]);
        }
        if (created_by.len) {
            strbuf_puts(&item, ",\"created_by\":");
            schema1_put_quoted(&item, created_by.data, created_by.len);
        }
        item.failed |= created_by.failed;
        strbuf_release(&created_by);
        if (h->comment_len) {
            strbuf_puts(&item, ",\"comment\":");
            schema1_put_quoted(&item, h->comment, h->comment_len);
        }
        if (h->throwaway)
            strbuf_puts(&item, ",\"empty_layer\":true");
        strbuf_append(&item, "}", 1);
        if (sb.len > 1)
            strbuf_append(&sb, ",", 1);
        strbuf_append(&sb, item.data, item.len);
        sb.failed |= item.failed;
        strbuf_release(&item);
    }
    strbuf_append(&sb, "]", 1);
    if (sb.failed) {
        strbuf_release(&sb);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

int schema1_to_schema2_config(const schema1_manifest *m, const char *const *diff_ids, size_t n_diff_ids,
                              char **config, size_t *config_len, char *err, size_t errcap)
{
    *config = NULL;
    *config_len = 0;
    const schema1_history *top = &m->history[0];
    const char *text = top->v1_compatibility;
    size_t text_len = top->v1_compatibility_len;
    char msg[512];
    char *reencoded = NULL, *history = NULL;
    int rc = -1;
    oci_config_value s1;
    if (oci_config_unmarshal(text, text_len, &s1, &oci_config_t_s2v1image, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "schema 1 manifest: decoding configuration: %s", msg);
        goto done;
    }
    /* Images of Docker before 1.8.3 get their config re-encoded as V1Image
     * (its members only, in its order, zero values written out). */
    const oci_config_value *dv = &s1.items[OCI_CONFIG_S2_DOCKER_VERSION + 1];
    if (dv->str_len > 0 && schema1_version_less(dv->str, dv->str_len, "1.8.3")) {
        json_t *j = oci_config_marshal(&s1, msg, sizeof msg);
        reencoded = j ? gojson_encode(j, 0) : NULL;
        json_decref(j);
        if (reencoded == NULL) {
            snprintf(err, errcap, "schema 1 manifest: re-encoding compat image config: %s", j ? "out of memory" : msg);
            goto done;
        }
        text = reencoded;
        text_len = strlen(reencoded);
    }
    history = schema1_history_json(m, msg, sizeof msg);
    if (history == NULL) {
        snprintf(err, errcap, "schema 1 manifest: error encoding history information: %s", msg);
        goto done;
    }
    strbuf rootfs = STRBUF_INIT; /* Schema2RootFS; diff_ids is omitempty */
    strbuf_puts(&rootfs, "{\"type\":\"layers\"");
    for (size_t i = 0; i < n_diff_ids; i++) {
        strbuf_puts(&rootfs, i ? "," : ",\"diff_ids\":[");
        schema1_put_quoted(&rootfs, diff_ids[i], strlen(diff_ids[i]));
    }
    strbuf_puts(&rootfs, n_diff_ids ? "]}" : "}");
    if (rootfs.failed) {
        strbuf_release(&rootfs);
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    static const char *const drop[] = {"id", "parent", "parent_id", "layer_id", "throwaway", "Size"};
    const schema1_member add[] = {
        {"rootfs", 6, rootfs.data, rootfs.len, 0},
        {"history", 7, history, strlen(history), 0},
    };
    *config = schema1_raw_map(text, text_len, drop, sizeof drop / sizeof drop[0], add, 2, config_len, msg,
                              sizeof msg);
    strbuf_release(&rootfs);
    if (*config == NULL) {
        snprintf(err, errcap, "schema 1 manifest: re-decoding compat image config: %s", msg);
        goto done;
    }
    rc = 0;
done:
    oci_config_value_clear(&s1);
    free(reencoded);
    free(history);
    return rc;
}

/* ---------------------------------------------------------------- schema 2 → schema 1 */

/* v1IDFromBlobDigestAndComponents: the hex sha256 of the blob's hex digest
 * and the other parts, joined by spaces. */
static int schema1_v1_id(const char *blob, const char *parent, const char *config, size_t config_len, char *out,
                         char *err, size_t errcap)
{
    if (!digest_is_valid(blob)) {
        char *q = gojson_quote(blob, strlen(blob));
        snprintf(err, errcap, "layer digest %s: invalid checksum digest format", q ? q : "");
        free(q);
        return -1;
    }
    digest_hasher *h = digest_hasher_new("sha256");
    char d[DIGEST_MAX_LEN];
    if (h == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    const char *hex = digest_hex(blob);
    digest_hasher_update(h, hex, strlen(hex));
    digest_hasher_update(h, " ", 1);
    digest_hasher_update(h, parent, strlen(parent));
    if (config != NULL) {
        digest_hasher_update(h, " ", 1);
        digest_hasher_update(h, config, config_len);
    }
    int rc = digest_hasher_final(h, d, sizeof d);
    digest_hasher_free(h);
    if (rc != 0) {
        snprintf(err, errcap, "cannot compute a sha256 digest");
        return -1;
    }
    memcpy(out, digest_hex(d), 65);
    return 0;
}

/* json.Marshal of the Schema1V1Compatibility standing for a history entry
 * below the top one. */
static char *schema1_fake_image(const char *id, const char *parent, const oci_config_value *e, char *err,
                                size_t errcap)
{
    const oci_config_value *comment = &e[OCI_CONFIG_S2HISTORY_COMMENT];
    const oci_config_value *author = &e[OCI_CONFIG_S2HISTORY_AUTHOR];
    const oci_config_value *created_by = &e[OCI_CONFIG_S2HISTORY_CREATED_BY];
    strbuf sb = STRBUF_INIT;
    strbuf_printf(&sb, "{\"id\":\"%s\"", id);
    if (parent[0])
        strbuf_printf(&sb, ",\"parent\":\"%s\"", parent);
    if (comment->str_len) {
        strbuf_puts(&sb, ",\"comment\":");
        schema1_put_quoted(&sb, comment->str, comment->str_len);
    }
    if (schema1_put_time(&sb, "created", &e[OCI_CONFIG_S2HISTORY_CREATED].time, err, errcap) != 0) {
        strbuf_release(&sb);
        return NULL;
    }
    strbuf_puts(&sb, ",\"container_config\":{\"Cmd\":[");
    schema1_put_quoted(&sb, created_by->str, created_by->str_len);
    strbuf_puts(&sb, "]}");
    if (author->str_len) {
        strbuf_puts(&sb, ",\"author\":");
        schema1_put_quoted(&sb, author->str, author->str_len);
    }
    if (e[OCI_CONFIG_S2HISTORY_EMPTY_LAYER].boolean)
        strbuf_puts(&sb, ",\"throwaway\":true");
    strbuf_append(&sb, "}", 1);
    if (sb.failed) {
        strbuf_release(&sb);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

/* json.Marshal of manifest.Schema1 with the given entries. */
/* json.Marshal of containers/image's Schema1 struct. v1compat_lens may be
 * NULL (NUL-terminated texts). */
static char *schema1_marshal_manifest(const char *name, const char *tag, const char *arch, size_t arch_len,
                                      char **blob_sums, char **v1compat, const size_t *v1compat_lens, size_t n,
                                      size_t *len)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"name\":");
    schema1_put_quoted(&sb, name, name ? strlen(name) : 0);
    strbuf_puts(&sb, ",\"tag\":");
    schema1_put_quoted(&sb, tag, tag ? strlen(tag) : 0);
    strbuf_puts(&sb, ",\"architecture\":");
    schema1_put_quoted(&sb, arch, arch_len);
    strbuf_puts(&sb, ",\"fsLayers\":[");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(&sb, i ? ",{\"blobSum\":" : "{\"blobSum\":");
        schema1_put_quoted(&sb, blob_sums[i], strlen(blob_sums[i]));
        strbuf_append(&sb, "}", 1);
    }
    strbuf_puts(&sb, "],\"history\":[");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(&sb, i ? ",{\"v1Compatibility\":" : "{\"v1Compatibility\":");
        schema1_put_quoted(&sb, v1compat[i], v1compat_lens ? v1compat_lens[i] : strlen(v1compat[i]));
        strbuf_append(&sb, "}", 1);
    }
    strbuf_puts(&sb, "],\"schemaVersion\":1}");
    if (sb.failed) {
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, len);
}

/* The entries of the converted manifest, index 0 the top-most. */
typedef struct schema1_entries {
    size_t n;
    const char **source; /* digests the IDs derive from */
    char **blob_sums;    /* the fsLayers (borrowed strings, but an array of their own) */
    char **v1compat;     /* malloc'd texts */
} schema1_entries;

static void schema1_entries_free(schema1_entries *e)
{
    for (size_t i = 0; e->v1compat && i < e->n; i++)
        free(e->v1compat[i]);
    free(e->v1compat);
    free(e->source);
    free(e->blob_sums);
}

/* The loop of convertToManifestSchema1: every history entry below the top
 * one gets a fake v1Compatibility; returns the parent of the top entry in
 * `parent` (65 bytes). */
static int schema1_build_entries(const schema1_build *in, const oci_config_value *hist, schema1_entries *out,
                                 char *parent, int *uses_empty_layer, char *err, size_t errcap)
{
    size_t n = hist->len, nonempty = 0;
    char id[65] = "";
    out->n = n;
    out->source = calloc(n, sizeof *out->source);
    out->blob_sums = calloc(n, sizeof *out->blob_sums);
    out->v1compat = calloc(n, sizeof *out->v1compat);
    if (out->source == NULL || out->blob_sums == NULL || out->v1compat == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (size_t v2 = 0; v2 < n; v2++) {
        size_t v1 = n - 1 - v2;
        const oci_config_value *e = hist->items[v2].items;
        memcpy(parent, id, sizeof id);
        if (e[OCI_CONFIG_S2HISTORY_EMPTY_LAYER].boolean) {
            out->source[v1] = SCHEMA1_EMPTY_LAYER_DIGEST;
            out->blob_sums[v1] = (char *)SCHEMA1_EMPTY_LAYER_DIGEST;
            *uses_empty_layer = 1;
        } else {
            if (nonempty >= in->n_layers) {
                snprintf(err, errcap, "Invalid image configuration, needs more than the %zu distributed layers",
                         in->n_layers);
                return -1;
            }
            out->source[v1] = in->layers[nonempty];
            out->blob_sums[v1] = (char *)(in->written ? in->written[nonempty] : in->layers[nonempty]);
            nonempty++;
        }
        if (schema1_v1_id(out->source[v1], parent, NULL, 0, id, err, errcap) != 0)
            return -1;
        out->v1compat[v1] = schema1_fake_image(id, parent, e, err, errcap);
        if (out->v1compat[v1] == NULL)
            return -1;
    }
    return 0;
}

int schema1_from_schema2(const schema1_build *in, char **payload, size_t *payload_len, int *uses_empty_layer,
                         char *err, size_t errcap)
{
    *payload = NULL;
    *payload_len = 0;
    *uses_empty_layer = 0;
    oci_config_value img;
    schema1_entries entries;
    char msg[512], parent[65], id[65];
    int rc = -1;
    memset(&entries, 0, sizeof entries);
    if (oci_config_unmarshal(in->config, in->config_len, &img, &oci_config_t_s2image, msg, sizeof msg) != 0) {
        snprintf(err, errcap, "image config: %s", msg);
        goto done;
    }
    const oci_config_value *hist = &img.items[OCI_CONFIG_S2_HISTORY];
    if (hist->len == 0) {
        snprintf(err, errcap, "Cannot convert an image with 0 history entries to %s", MEDIA_TYPE_DOCKER_V2S1_SIGNED);
        goto done;
    }
    if (schema1_build_entries(in, hist, &entries, parent, uses_empty_layer, err, errcap) != 0)
        goto done;
    /* the top entry is the config itself, with an ID that covers it */
    if (schema1_v1_id(entries.source[0], parent, in->config, in->config_len, id, err, errcap) != 0)
        goto done;
    static const char *const drop[] = {"rootfs", "history"};
    char id_json[80], parent_json[80];
    snprintf(id_json, sizeof id_json, "\"%s\"", id);
    snprintf(parent_json, sizeof parent_json, "\"%s\"", parent);
    schema1_member add[3] = {{"id", 2, id_json, strlen(id_json), 0}};
    size_t n_add = 1;
    if (parent[0])
        add[n_add++] = (schema1_member){"parent", 6, parent_json, strlen(parent_json), 0};
    if (hist->items[hist->len - 1].items[OCI_CONFIG_S2HISTORY_EMPTY_LAYER].boolean)
        add[n_add++] = (schema1_member){"throwaway", 9, "true", 4, 0};
    free(entries.v1compat[0]);
    entries.v1compat[0] = schema1_raw_map(in->config, in->config_len, drop, 2, add, n_add, NULL, msg, sizeof msg);
    if (entries.v1compat[0] == NULL) {
        snprintf(err, errcap, "image config: %s", msg);
        goto done;
    }
    /* Schema1FromComponents decodes every entry again */
    for (size_t i = 0; i < entries.n; i++) {
        schema1_history h;
        if (schema1_history_decode(entries.v1compat[i], strlen(entries.v1compat[i]), &h, msg, sizeof msg) != 0) {
            snprintf(err, errcap, "parsing v2s1 history entry %zu: %s", i, msg);
            goto done;
        }
        schema1_history_clear(&h);
    }
    *payload = schema1_marshal_manifest(in->name, in->tag, img.items[OCI_CONFIG_S2_ARCH].str,
                                        img.items[OCI_CONFIG_S2_ARCH].str_len, entries.blob_sums, entries.v1compat,
                                        NULL, entries.n, payload_len);
    if (*payload == NULL) {
        snprintf(err, errcap, "out of memory");
        goto done;
    }
    rc = 0;
done:
    oci_config_value_clear(&img);
    schema1_entries_free(&entries);
    return rc;
}

int schema1_renamed(const schema1_manifest *m, const char *name, const char *tag, char **payload, size_t *payload_len,
                    char *err, size_t errcap)
{
    char **v1compat = calloc(m->n ? m->n : 1, sizeof(*v1compat));
    size_t *lens = calloc(m->n ? m->n : 1, sizeof(*lens));
    *payload = NULL;
    if (v1compat != NULL && lens != NULL) {
        for (size_t i = 0; i < m->n; i++) {
            v1compat[i] = m->history[i].v1_compatibility;
            lens[i] = m->history[i].v1_compatibility_len;
        }
        *payload = schema1_marshal_manifest(name, tag, m->architecture, strlen(m->architecture), m->blob_sums,
                                            v1compat, lens, m->n, payload_len);
    }
    free(v1compat);
    free(lens);
    if (*payload == NULL)
        snprintf(err, errcap, "out of memory");
    return *payload == NULL ? -1 : 0;
}
