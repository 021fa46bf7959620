/* core/signature/simple_signing_payload.c — the JSON of an atomic container
 * signature: untrustedSignature.MarshalJSON (Go maps, so members in sorted
 * order, through gojson_encode) and UnmarshalJSON with containers/image's
 * ParanoidUnmarshalJSONObject rules and the messages of Go's decoder, on the
 * tree gojson_parse builds. */
#include "signature/simple_signing.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/gojson.h"

/* A json_t string member; nocheck: Go writes invalid UTF-8 as \ufffd, which
 * gojson_encode does, where jansson would refuse the string. */
static int ss_set_string(json_t *obj, const char *key, const char *s, size_t len)
{
    return json_object_set_new(obj, key, json_stringn_nocheck(s, len));
}

int simple_signing_payload_marshal_type(const simple_signing_payload *p, const char *type, strbuf *out, char *err,
                                       size_t errcap)
{
    if (p->docker_manifest_digest == NULL || p->docker_manifest_digest_len == 0 || p->docker_reference == NULL ||
        p->docker_reference_len == 0) {
        snprintf(err, errcap, "Unexpected empty signature content");
        return -1;
    }
    json_t *root = json_object(), *critical = json_object(), *identity = json_object(), *image = json_object();
    json_t *optional = json_object();
    int rc = root == NULL || critical == NULL || identity == NULL || image == NULL || optional == NULL;
    rc |= ss_set_string(identity, "docker-reference", p->docker_reference, p->docker_reference_len);
    rc |= ss_set_string(image, "docker-manifest-digest", p->docker_manifest_digest, p->docker_manifest_digest_len);
    rc |= json_object_set(critical, "identity", identity);
    rc |= json_object_set(critical, "image", image);
    rc |= json_object_set_new(critical, "type", json_string(type));
    if (p->creator != NULL)
        rc |= ss_set_string(optional, "creator", p->creator, p->creator_len);
    if (p->has_timestamp)
        rc |= json_object_set_new(optional, "timestamp", json_integer((json_int_t)p->timestamp));
    rc |= json_object_set(root, "critical", critical);
    rc |= json_object_set(root, "optional", optional);
    char *text = rc == 0 ? gojson_encode(root, 0) : NULL;
    json_decref(identity);
    json_decref(image);
    json_decref(critical);
    json_decref(optional);
    json_decref(root);
    if (text == NULL || strbuf_puts(out, text) != 0 || out->failed) {
        free(text);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    free(text);
    return 0;
}

int simple_signing_payload_marshal(const simple_signing_payload *p, strbuf *out, char *err, size_t errcap)
{
    return simple_signing_payload_marshal_type(p, SIMPLE_SIGNING_TYPE, out, err, errcap);
}

void simple_signing_payload_release(simple_signing_payload *p)
{
    free(p->docker_manifest_digest);
    free(p->docker_reference);
    free(p->creator);
    memset(p, 0, sizeof(*p));
}

char *simple_signing_printable(const char *s, size_t n)
{
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, "", 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            strbuf_printf(&sb, "\\x%02x", c);
        else
            strbuf_append(&sb, &s[i], 1);
    }
    return strbuf_detach(&sb, NULL);
}

/* snprintf(err, errcap, fmt, printable(s, n)): fmt has one %s. */
static int ss_fail_with(char *err, size_t errcap, const char *fmt, const char *s, size_t n)
{
    char *shown = simple_signing_printable(s, n);
    snprintf(err, errcap, fmt, shown != NULL ? shown : "?");
    free(shown);
    return -1;
}

/* ---- parsing ---- */

/* Where a member's value goes, as the Go destination's type decides what it
 * accepts: a string, a float64, a json.RawMessage, an interface{}. */
typedef enum ss_target { SS_STRING, SS_FLOAT, SS_RAW, SS_ANY } ss_target;

typedef struct ss_field {
    const char *name;
    ss_target target;
    const gojson_node *value; /* set when the member was seen */
} ss_field;

/* Go's float64 of a JSON number literal; -1 when out of range (ParseFloat's
 * ErrRange: underflow to zero is no error). */
static int ss_float(const gojson_node *n, double *out)
{
    *out = strtod(n->str, NULL);
    return isinf(*out) ? -1 : 0;
}

static int ss_number_range_error(const gojson_node *n, char *err, size_t errcap)
{
    snprintf(err, errcap, "json: cannot unmarshal number %s into Go value of type float64", n->str);
    return -1;
}

/* Decoding into interface{} converts every number to float64. */
static int ss_check_any(const gojson_node *n, char *err, size_t errcap)
{
    double f;
    if (n->kind == GOJSON_NUMBER && ss_float(n, &f) != 0)
        return ss_number_range_error(n, err, errcap);
    for (size_t i = 0; i < n->n_children; i++)
        if (ss_check_any(&n->children[i], err, errcap) != 0)
            return -1;
    return 0;
}

/* dec.Decode(ptr) of one member value. */
static int ss_decode(const gojson_node *v, ss_target target, char *err, size_t errcap)
{
    double f;
    switch (target) {
    case SS_RAW:
        return 0;
    case SS_ANY:
        return ss_check_any(v, err, errcap);
    case SS_STRING:
        if (v->kind == GOJSON_STRING || v->kind == GOJSON_NULL)
            return 0;
        snprintf(err, errcap, "json: cannot unmarshal %s into Go value of type string", gojson_kind_name(v->kind));
        return -1;
    case SS_FLOAT:
        if (v->kind == GOJSON_NULL)
            return 0;
        if (v->kind == GOJSON_NUMBER)
            return ss_float(v, &f) == 0 ? 0 : ss_number_range_error(v, err, errcap);
        snprintf(err, errcap, "json: cannot unmarshal %s into Go value of type float64", gojson_kind_name(v->kind));
        return -1;
    }
    return 0;
}

/* `JSON object expected, got "%s"` with the first token as Go's %s prints it. */
static int ss_not_object(const gojson_node *v, char *err, size_t errcap)
{
    char num[64];
    double f;
    switch (v->kind) {
    case GOJSON_ARRAY:
        snprintf(err, errcap, "JSON object expected, got \"[\"");
        break;
    case GOJSON_STRING:
        return ss_fail_with(err, errcap, "JSON object expected, got \"%s\"", v->str, v->str_len);
    case GOJSON_NUMBER:
        if (ss_float(v, &f) != 0)
            return ss_number_range_error(v, err, errcap);
        gojson_format_float(f, 'g', num, sizeof(num));
        snprintf(err, errcap, "JSON object expected, got \"%%!s(float64=%s)\"", num);
        break;
    case GOJSON_BOOL:
        snprintf(err, errcap, "JSON object expected, got \"%%!s(bool=%s)\"", v->boolean ? "true" : "false");
        break;
    default:
        snprintf(err, errcap, "JSON object expected, got \"%%!s(<nil>)\"");
        break;
    }
    return -1;
}

static int ss_key_is(const gojson_node *member, const char *name)
{
    return member->key_len == strlen(name) && memcmp(member->key, name, member->key_len) == 0;
}

/* ParanoidUnmarshalJSONObject (exact: ...ExactFields): members in document
 * order, each refused when repeated or unknown, decoded into its field; with
 * exact every field must be present. Without exact, unknown members are
 * decoded into interface{}. */
static int ss_object(const gojson_node *obj, ss_field *fields, size_t n_fields, int exact, char *err, size_t errcap)
{
    if (obj->kind != GOJSON_OBJECT)
        return ss_not_object(obj, err, errcap);
    for (size_t i = 0; i < obj->n_children; i++) {
        const gojson_node *m = &obj->children[i];
        for (size_t j = 0; j < i; j++) {
            if (obj->children[j].key_len == m->key_len && memcmp(obj->children[j].key, m->key, m->key_len) == 0)
                return ss_fail_with(err, errcap, "Duplicate key \"%s\"", m->key, m->key_len);
        }
        ss_field *f = NULL;
        for (size_t k = 0; k < n_fields && f == NULL; k++)
            if (ss_key_is(m, fields[k].name))
                f = &fields[k];
        if (f == NULL && exact)
            return ss_fail_with(err, errcap, "Unknown key \"%s\"", m->key, m->key_len);
        if (ss_decode(m, f != NULL ? f->target : SS_ANY, err, errcap) != 0)
            return -1;
        if (f != NULL)
            f->value = m;
    }
    for (size_t k = 0; exact && k < n_fields; k++) {
        if (fields[k].value == NULL) {
            snprintf(err, errcap, "Key \"%s\" missing in a JSON object", fields[k].name);
            return -1;
        }
    }
    return 0;
}

/* A decoded string member: a copy ("" for null, as Go leaves the string). */
static int ss_take_string(const gojson_node *v, char **out, size_t *len)
{
    int null = v->kind == GOJSON_NULL;
    *len = null ? 0 : v->str_len;
    *out = malloc(*len + 1);
    if (*out == NULL)
        return -1;
    memcpy(*out, null ? "" : v->str, *len);
    (*out)[*len] = '\0';
    return 0;
}

/* Go's int64(f) on amd64 and the check that it reads back as f. */
static int ss_timestamp(double f, int64_t *out)
{
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
        return -1;
    *out = (int64_t)f;
    return (double)*out == f ? 0 : -1;
}

static int ss_parse_tree(const gojson_node *root, const char *want_type, int null_optional, simple_signing_payload *out,
                         char *err, size_t errcap)
{
    ss_field top[] = {{"critical", SS_RAW, NULL}, {"optional", SS_RAW, NULL}};
    if (ss_object(root, top, 2, 1, err, errcap) != 0)
        return -1;

    ss_field opt[] = {{"creator", SS_STRING, NULL}, {"timestamp", SS_FLOAT, NULL}};
    /* cosign writes "optional": null when it has no annotations. */
    int skip_optional = null_optional && top[1].value->kind == GOJSON_NULL;
    if (!skip_optional && ss_object(top[1].value, opt, 2, 0, err, errcap) != 0)
        return -1;
    if (opt[0].value != NULL && ss_take_string(opt[0].value, &out->creator, &out->creator_len) != 0)
        goto oom;
    if (opt[1].value != NULL) {
        double f = 0;
        if (opt[1].value->kind == GOJSON_NUMBER)
            ss_float(opt[1].value, &f);
        if (ss_timestamp(f, &out->timestamp) != 0) {
            snprintf(err, errcap, "Field optional.timestamp is not is not an integer");
            return -1;
        }
        out->has_timestamp = 1;
    }

    ss_field crit[] = {{"type", SS_STRING, NULL}, {"image", SS_RAW, NULL}, {"identity", SS_RAW, NULL}};
    if (ss_object(top[0].value, crit, 3, 1, err, errcap) != 0)
        return -1;
    const gojson_node *type = crit[0].value;
    const char *t = type->kind == GOJSON_STRING ? type->str : "";
    size_t t_len = type->kind == GOJSON_STRING ? type->str_len : 0;
    if (t_len != strlen(want_type) || memcmp(t, want_type, t_len) != 0)
        return ss_fail_with(err, errcap, "Unrecognized signature type %s", t, t_len);
    ss_field image[] = {{"docker-manifest-digest", SS_STRING, NULL}};
    if (ss_object(crit[1].value, image, 1, 1, err, errcap) != 0)
        return -1;
    if (ss_take_string(image[0].value, &out->docker_manifest_digest, &out->docker_manifest_digest_len) != 0)
        goto oom;
    ss_field identity[] = {{"docker-reference", SS_STRING, NULL}};
    if (ss_object(crit[2].value, identity, 1, 1, err, errcap) != 0)
        return -1;
    if (ss_take_string(identity[0].value, &out->docker_reference, &out->docker_reference_len) != 0)
        goto oom;
    return 0;
oom:
    snprintf(err, errcap, "out of memory");
    return -1;
}

int simple_signing_payload_parse_type(const void *data, size_t len, const char *type, int null_optional,
                                      simple_signing_payload *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    gojson_node *root = gojson_parse(data, len, err, errcap); /* json.Unmarshal's syntax check comes first */
    if (root == NULL)
        return -1;
    int rc = ss_parse_tree(root, type, null_optional, out, err, errcap);
    gojson_node_free(root);
    if (rc != 0)
        simple_signing_payload_release(out);
    return rc;
}

int simple_signing_payload_parse(const void *data, size_t len, simple_signing_payload *out, char *err,
                                 size_t errcap)
{
    return simple_signing_payload_parse_type(data, len, SIMPLE_SIGNING_TYPE, 0, out, err, errcap);
}
