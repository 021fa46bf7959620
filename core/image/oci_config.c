/* core/image/oci_config.c — the Go types containers/image decodes image
 * configs into (image-spec 1.1.0-rc2's v1.Image for OCI conversion and
 * `inspect --config`; manifest.Schema2Image and Schema2V1Image for
 * `inspect`), described by static tables, and the API of oci_config.h, which
 * decodes into them and reads members by their index in the tables.
 *
 * The decoding (json.Unmarshal with Go's semantics) is in
 * oci_config_decode.c, the marshalling (json.Marshal with Go's omitempty
 * rules) in oci_config_marshal.c; they work on any type the tables
 * describe. */
#include "image/oci_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/oci_config_internal.h"

/* ---------------------------------------------------------------- Go types */

#define OCI_CONFIG_N(a) (sizeof(a) / sizeof((a)[0]))

const oci_config_type oci_config_t_string = {OCI_CONFIG_STRING, "string", NULL, NULL, 0};
static const oci_config_type oci_config_t_digest = {OCI_CONFIG_STRING, "digest.Digest", NULL, NULL, 0};
const oci_config_type oci_config_t_bool = {OCI_CONFIG_BOOL, "bool", NULL, NULL, 0};
const oci_config_type oci_config_t_int = {OCI_CONFIG_INT, "int", NULL, NULL, 0};
static const oci_config_type oci_config_t_int64 = {OCI_CONFIG_INT, "int64", NULL, NULL, 0};
static const oci_config_type oci_config_t_duration = {OCI_CONFIG_INT, "time.Duration", NULL, NULL, 0};
const oci_config_type oci_config_t_time = {OCI_CONFIG_TIME, "time.Time", NULL, NULL, 0};
static const oci_config_type oci_config_t_time_ptr = {OCI_CONFIG_PTR, "*time.Time", &oci_config_t_time, NULL, 0};
static const oci_config_type oci_config_t_int_ptr = {OCI_CONFIG_PTR, "*int", &oci_config_t_int, NULL, 0};
const oci_config_type oci_config_t_strings = {OCI_CONFIG_SLICE, "[]string", &oci_config_t_string, NULL, 0};
static const oci_config_type oci_config_t_digests = {OCI_CONFIG_SLICE, "[]digest.Digest", &oci_config_t_digest, NULL,
                                                     0};
static const oci_config_type oci_config_t_empty = {OCI_CONFIG_EMPTY, "struct {}", NULL, NULL, 0};
static const oci_config_type oci_config_t_set = {OCI_CONFIG_MAP, "map[string]struct {}", &oci_config_t_empty, NULL, 0};
static const oci_config_type oci_config_t_labels = {OCI_CONFIG_MAP, "map[string]string", &oci_config_t_string, NULL,
                                                    0};
const oci_config_type oci_config_t_raw = {OCI_CONFIG_RAW, "json.RawMessage", NULL, NULL, 0};
static const oci_config_type oci_config_t_strslice = {OCI_CONFIG_STRSLICE, "strslice.StrSlice", NULL, NULL, 0};

/* image-spec v1.1.0-rc2 specs-go/v1/config.go */
static const oci_config_field oci_config_f_image_config[] = {
    {"User", &oci_config_t_string, 1},       {"ExposedPorts", &oci_config_t_set, 1},
    {"Env", &oci_config_t_strings, 1},       {"Entrypoint", &oci_config_t_strings, 1},
    {"Cmd", &oci_config_t_strings, 1},       {"Volumes", &oci_config_t_set, 1},
    {"WorkingDir", &oci_config_t_string, 1}, {"Labels", &oci_config_t_labels, 1},
    {"StopSignal", &oci_config_t_string, 1}, {"ArgsEscaped", &oci_config_t_bool, 1},
};
static const oci_config_type oci_config_t_image_config = {OCI_CONFIG_STRUCT, "v1.ImageConfig", NULL,
                                                          oci_config_f_image_config,
                                                          OCI_CONFIG_N(oci_config_f_image_config)};
static const oci_config_field oci_config_f_rootfs[] = {
    {"type", &oci_config_t_string, 0},
    {"diff_ids", &oci_config_t_digests, 0},
};
static const oci_config_type oci_config_t_rootfs = {OCI_CONFIG_STRUCT, "v1.RootFS", NULL, oci_config_f_rootfs,
                                                    OCI_CONFIG_N(oci_config_f_rootfs)};
static const oci_config_field oci_config_f_history[] = {
    {"created", &oci_config_t_time_ptr, 1}, {"created_by", &oci_config_t_string, 1},
    {"author", &oci_config_t_string, 1},    {"comment", &oci_config_t_string, 1},
    {"empty_layer", &oci_config_t_bool, 1},
};
static const oci_config_type oci_config_t_history = {OCI_CONFIG_STRUCT, "v1.History", NULL, oci_config_f_history,
                                                     OCI_CONFIG_N(oci_config_f_history)};
static const oci_config_type oci_config_t_histories = {OCI_CONFIG_SLICE, "[]v1.History", &oci_config_t_history,
                                                       NULL, 0};
enum {
    OCI_CONFIG_IMAGE_CREATED = 0,
    OCI_CONFIG_IMAGE_AUTHOR = 1,
    OCI_CONFIG_IMAGE_ARCH = 2,
    OCI_CONFIG_IMAGE_VARIANT = 3,
    OCI_CONFIG_IMAGE_OS = 4,
    OCI_CONFIG_IMAGE_CONFIG = 7,
    OCI_CONFIG_IMAGE_CONFIG_ENV = 2,    /* in v1.ImageConfig */
    OCI_CONFIG_IMAGE_CONFIG_LABELS = 7, /* in v1.ImageConfig */
};
static const oci_config_field oci_config_f_image[] = {
    {"created", &oci_config_t_time_ptr, 1},   {"author", &oci_config_t_string, 1},
    {"architecture", &oci_config_t_string, 0}, {"variant", &oci_config_t_string, 1},
    {"os", &oci_config_t_string, 0},          {"os.version", &oci_config_t_string, 1},
    {"os.features", &oci_config_t_strings, 1}, {"config", &oci_config_t_image_config, 1},
    {"rootfs", &oci_config_t_rootfs, 0},      {"history", &oci_config_t_histories, 1},
};
static const oci_config_type oci_config_t_image = {OCI_CONFIG_STRUCT, "v1.Image", NULL, oci_config_f_image,
                                                   OCI_CONFIG_N(oci_config_f_image)};

/* containers/image v5.23 manifest/docker_schema2.go (decoded only, so
 * omitempty does not matter here) */
static const oci_config_type oci_config_t_port_set = {OCI_CONFIG_MAP, "manifest.Schema2PortSet", &oci_config_t_empty,
                                                      NULL, 0};
static const oci_config_field oci_config_f_health[] = {
    {"Test", &oci_config_t_strings, 1},         {"StartPeriod", &oci_config_t_duration, 1},
    {"Interval", &oci_config_t_duration, 1},    {"Timeout", &oci_config_t_duration, 1},
    {"Retries", &oci_config_t_int, 1},
};
static const oci_config_type oci_config_t_health = {OCI_CONFIG_STRUCT, "manifest.Schema2HealthConfig", NULL,
                                                    oci_config_f_health, OCI_CONFIG_N(oci_config_f_health)};
static const oci_config_type oci_config_t_health_ptr = {OCI_CONFIG_PTR, "*manifest.Schema2HealthConfig",
                                                        &oci_config_t_health, NULL, 0};
enum { OCI_CONFIG_S2CONFIG_ENV = 10, OCI_CONFIG_S2CONFIG_LABELS = 21 };
static const oci_config_field oci_config_f_s2config[] = {
    {"Hostname", &oci_config_t_string, 0},      {"Domainname", &oci_config_t_string, 0},
    {"User", &oci_config_t_string, 0},          {"AttachStdin", &oci_config_t_bool, 0},
    {"AttachStdout", &oci_config_t_bool, 0},    {"AttachStderr", &oci_config_t_bool, 0},
    {"ExposedPorts", &oci_config_t_port_set, 1}, {"Tty", &oci_config_t_bool, 0},
    {"OpenStdin", &oci_config_t_bool, 0},       {"StdinOnce", &oci_config_t_bool, 0},
    {"Env", &oci_config_t_strings, 0},          {"Cmd", &oci_config_t_strslice, 0},
    {"Healthcheck", &oci_config_t_health_ptr, 1}, {"ArgsEscaped", &oci_config_t_bool, 1},
    {"Image", &oci_config_t_string, 0},         {"Volumes", &oci_config_t_set, 0},
    {"WorkingDir", &oci_config_t_string, 0},    {"Entrypoint", &oci_config_t_strslice, 0},
    {"NetworkDisabled", &oci_config_t_bool, 1}, {"MacAddress", &oci_config_t_string, 1},
    {"OnBuild", &oci_config_t_strings, 0},      {"Labels", &oci_config_t_labels, 0},
    {"StopSignal", &oci_config_t_string, 1},    {"StopTimeout", &oci_config_t_int_ptr, 1},
    {"Shell", &oci_config_t_strslice, 1},
};
static const oci_config_type oci_config_t_s2config = {OCI_CONFIG_STRUCT, "manifest.Schema2Config", NULL,
                                                      oci_config_f_s2config, OCI_CONFIG_N(oci_config_f_s2config)};
static const oci_config_type oci_config_t_s2config_ptr = {OCI_CONFIG_PTR, "*manifest.Schema2Config",
                                                          &oci_config_t_s2config, NULL, 0};
static const oci_config_field oci_config_f_s2rootfs[] = {
    {"type", &oci_config_t_string, 0},
    {"diff_ids", &oci_config_t_digests, 1},
};
static const oci_config_type oci_config_t_s2rootfs = {OCI_CONFIG_STRUCT, "manifest.Schema2RootFS", NULL,
                                                      oci_config_f_s2rootfs, OCI_CONFIG_N(oci_config_f_s2rootfs)};
static const oci_config_type oci_config_t_s2rootfs_ptr = {OCI_CONFIG_PTR, "*manifest.Schema2RootFS",
                                                          &oci_config_t_s2rootfs, NULL, 0};
static const oci_config_field oci_config_f_s2history[] = {
    {"created", &oci_config_t_time, 0},  {"author", &oci_config_t_string, 1},
    {"created_by", &oci_config_t_string, 1}, {"comment", &oci_config_t_string, 1},
    {"empty_layer", &oci_config_t_bool, 1},
};
const oci_config_type oci_config_t_s2history = {OCI_CONFIG_STRUCT, "manifest.Schema2History", NULL,
                                                       oci_config_f_s2history, OCI_CONFIG_N(oci_config_f_s2history)};
static const oci_config_type oci_config_t_s2histories = {OCI_CONFIG_SLICE, "[]manifest.Schema2History",
                                                         &oci_config_t_s2history, NULL, 0};

/* Schema2V1Image's members; Schema2Image embeds it (its own "parent", a
 * digest.Digest, hides the embedded one) and adds the rest. */
#define OCI_CONFIG_V1IMAGE_FIELDS(parent_field)                                                                   \
    {"id", &oci_config_t_string, 1}, parent_field{"comment", &oci_config_t_string, 1},                            \
        {"created", &oci_config_t_time, 0}, {"container", &oci_config_t_string, 1},                               \
        {"container_config", &oci_config_t_s2config, 1}, {"docker_version", &oci_config_t_string, 1},             \
        {"author", &oci_config_t_string, 1}, {"config", &oci_config_t_s2config_ptr, 1},                           \
        {"architecture", &oci_config_t_string, 1}, {"variant", &oci_config_t_string, 1},                          \
        {"os", &oci_config_t_string, 1}, {"Size", &oci_config_t_int64, 1}
#define OCI_CONFIG_V1IMAGE_PARENT {"parent", &oci_config_t_string, 1},
#define OCI_CONFIG_NO_FIELD

static const oci_config_field oci_config_f_s2v1image[] = {OCI_CONFIG_V1IMAGE_FIELDS(OCI_CONFIG_V1IMAGE_PARENT)};
const oci_config_type oci_config_t_s2v1image = {OCI_CONFIG_STRUCT, "manifest.Schema2V1Image", NULL,
                                                       oci_config_f_s2v1image, OCI_CONFIG_N(oci_config_f_s2v1image)};
static const oci_config_field oci_config_f_s2image[] = {
    OCI_CONFIG_V1IMAGE_FIELDS(OCI_CONFIG_NO_FIELD),
    {"parent", &oci_config_t_digest, 1},
    {"rootfs", &oci_config_t_s2rootfs_ptr, 1},
    {"history", &oci_config_t_s2histories, 1},
    {"os.version", &oci_config_t_string, 1},
    {"os.features", &oci_config_t_strings, 1},
};
const oci_config_type oci_config_t_s2image = {OCI_CONFIG_STRUCT, "manifest.Schema2Image", NULL,
                                                     oci_config_f_s2image, OCI_CONFIG_N(oci_config_f_s2image)};

/* ---------------------------------------------------------------- API */

json_t *oci_config_from_blob(const void *data, size_t len, char *err, size_t errcap)
{
    char dummy[8];
    if (err == NULL) {
        err = dummy;
        errcap = sizeof dummy;
    }
    oci_config_value image;
    json_t *out = NULL;
    if (oci_config_unmarshal(data, len, &image, &oci_config_t_image, err, errcap) == 0)
        out = oci_config_marshal(&image, err, errcap);
    oci_config_value_clear(&image);
    return out;
}

char *oci_config_strdup(const oci_config_value *v)
{
    char *s = malloc(v->str_len + 1);
    if (s) {
        if (v->str_len)
            memcpy(s, v->str, v->str_len);
        s[v->str_len] = '\0';
    }
    return s;
}

/* Fills the string members of *out from the decoded fields (NULL on OOM). */
static void oci_config_inspect_strings(oci_config_inspect *out, const oci_config_value *arch,
                                      const oci_config_value *os, const oci_config_value *variant,
                                      const oci_config_value *author)
{
    out->architecture = oci_config_strdup(arch);
    out->os = oci_config_strdup(os);
    out->variant = oci_config_strdup(variant);
    out->author = oci_config_strdup(author);
}

int oci_config_inspect_fields(const void *data, size_t len, int docker, oci_config_inspect *out, char *err,
                              size_t errcap)
{
    char dummy[8];
    if (err == NULL) {
        err = dummy;
        errcap = sizeof dummy;
    }
    memset(out, 0, sizeof *out);
    oci_config_value main_v, v1;
    int rc = -1;
    memset(&v1, 0, sizeof v1);
    v1.type = &oci_config_t_s2v1image;
    if (docker) {
        if (oci_config_unmarshal(data, len, &main_v, &oci_config_t_s2image, err, errcap) != 0)
            goto done;
        const oci_config_value *f = main_v.items;
        out->created = oci_config_marshal(&f[OCI_CONFIG_S2_CREATED], err, errcap);
        out->docker_version = oci_config_strdup(&f[OCI_CONFIG_S2_DOCKER_VERSION]);
        const oci_config_value *config = f[OCI_CONFIG_S2_CONFIG].ptr;
        if (config) {
            out->labels = oci_config_marshal(&config->items[OCI_CONFIG_S2CONFIG_LABELS], err, errcap);
            out->env = oci_config_marshal(&config->items[OCI_CONFIG_S2CONFIG_ENV], err, errcap);
        } else {
            out->labels = json_null();
            out->env = json_null();
        }
        oci_config_inspect_strings(out, &f[OCI_CONFIG_S2_ARCH], &f[OCI_CONFIG_S2_OS], &f[OCI_CONFIG_S2_VARIANT],
                                   &f[OCI_CONFIG_S2_AUTHOR]);
    } else {
        /* OCI: v1.Image for everything but DockerVersion, which comes from a
         * second decoding as Schema2V1Image; either may fail */
        if (oci_config_unmarshal(data, len, &main_v, &oci_config_t_image, err, errcap) != 0 ||
            oci_config_unmarshal(data, len, &v1, &oci_config_t_s2v1image, err, errcap) != 0)
            goto done;
        const oci_config_value *f = main_v.items;
        const oci_config_value *config = &f[OCI_CONFIG_IMAGE_CONFIG];
        out->created = oci_config_marshal(&f[OCI_CONFIG_IMAGE_CREATED], err, errcap);
        out->docker_version = oci_config_strdup(&v1.items[OCI_CONFIG_S2_DOCKER_VERSION + 1]);
        out->labels = oci_config_marshal(&config->items[OCI_CONFIG_IMAGE_CONFIG_LABELS], err, errcap);
        out->env = oci_config_marshal(&config->items[OCI_CONFIG_IMAGE_CONFIG_ENV], err, errcap);
        oci_config_inspect_strings(out, &f[OCI_CONFIG_IMAGE_ARCH], &f[OCI_CONFIG_IMAGE_OS],
                                   &f[OCI_CONFIG_IMAGE_VARIANT], &f[OCI_CONFIG_IMAGE_AUTHOR]);
    }
    /* a NULL json member already has its message in err */
    if (out->created && out->labels && out->env) {
        if (out->docker_version && out->architecture && out->os && out->variant && out->author)
            rc = 0;
        else
            snprintf(err, errcap, "out of memory");
    }
done:
    if (main_v.type)
        oci_config_value_clear(&main_v);
    oci_config_value_clear(&v1);
    if (rc != 0)
        oci_config_inspect_release(out);
    return rc;
}

void oci_config_inspect_release(oci_config_inspect *info)
{
    json_decref(info->created);
    json_decref(info->labels);
    json_decref(info->env);
    free(info->docker_version);
    free(info->architecture);
    free(info->os);
    free(info->variant);
    free(info->author);
    memset(info, 0, sizeof *info);
}
