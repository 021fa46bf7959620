/* tests/unit/test-oci-config.c — oci_config_from_blob against the config
 * blobs skopeo 1.9.3 wrote when converting a Docker schema 2 image to OCI
 * (`skopeo copy --format oci dir:A dir:B`), and the messages it failed with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "image/oci_config.h"
#include "tap.h"
#include "shared/gojson.h"

typedef struct oci_case {
    const char *input;    /* the Docker config blob */
    const char *expected; /* the OCI config blob skopeo wrote, or NULL */
    const char *error;    /* skopeo's message, or NULL */
} oci_case;

static const oci_case cases[] = {
    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2023-01-02T03:04:05.123456789Z\",\"docker_ve"
     "rsion\":\"20.10.1\",\"author\":\"me\",\"config\":{\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"Labels\":{\"b\""
     ":\"2\",\"a\":\"1\",\"x<y\":\"&\"},\"Cmd\":[\"sh\"],\"ExposedPorts\":{\"80/tcp\":{},\"443/tcp\":{}},\"Vo"
     "lumes\":{\"/data\":{}},\"WorkingDir\":\"/w\",\"User\":\"u\",\"StopSignal\":\"SIGTERM\",\"Hostname\":\"h"
     "\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:aa\"]},\"history\":[{\"created\":\"2023-01-0"
     "2T03:04:05Z\",\"created_by\":\"x\"},{\"created\":\"2023-01-02T03:04:05.5+01:00\",\"empty_layer\":true}]"
     "}",
     "{\"created\":\"2023-01-02T03:04:05.123456789Z\",\"author\":\"me\",\"architecture\":\"amd64\",\"os\":\"l"
     "inux\",\"config\":{\"User\":\"u\",\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{}},\"Env\":[\"PATH=/usr/"
     "bin\",\"A=b\"],\"Cmd\":[\"sh\"],\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/w\",\"Labels\":{\"a\":\"1"
     "\",\"b\":\"2\",\"x\\u003cy\":\"\\u0026\"},\"StopSignal\":\"SIGTERM\"},\"rootfs\":{\"type\":\"layers\","
     "\"diff_ids\":[\"sha256:aa\"]},\"history\":[{\"created\":\"2023-01-02T03:04:05Z\",\"created_by\":\"x\"},"
     "{\"created\":\"2023-01-02T03:04:05.5+01:00\",\"empty_layer\":true}]}",
     NULL},
    {"{\"Architecture\":\"amd64\",\"OS\":\"linux\",\"os.version\":\"10.0\",\"os.features\":[\"win32k\"],\"var"
     "iant\":\"\",\"Created\":\"2023-01-02T03:04:05.000000000+01:00\",\"config\":{\"ArgsEscaped\":true,\"Env"
     "\":[],\"Entrypoint\":[\"a\"],\"Cmd\":null,\"Labels\":{},\"ExposedPorts\":{\"80/tcp\":{\"x\":1}},\"Memor"
     "y\":5,\"OnBuild\":[\"x\"],\"user\":\"lower\",\"Healthcheck\":{\"Test\":[\"CMD\"]}},\"rootfs\":{\"type\""
     ":\"layers\",\"diff_ids\":[]},\"history\":[{\"created_by\":\"a\"},{}],\"docker_version\":\"1.2.3\",\"ext"
     "ra\":{\"a\":[1,2,{}]},\"container_config\":{\"Env\":[\"X=1\"]}}",
     "{\"created\":\"2023-01-02T03:04:05+01:00\",\"architecture\":\"amd64\",\"os\":\"linux\",\"os.version\":"
     "\"10.0\",\"os.features\":[\"win32k\"],\"config\":{\"User\":\"lower\",\"ExposedPorts\":{\"80/tcp\":{}},"
     "\"Entrypoint\":[\"a\"],\"ArgsEscaped\":true},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history"
     "\":[{\"created_by\":\"a\"},{}]}",
     NULL},
    {"{\"author\":\"x\",\"architecture\":\"amd64\",\"variant\":\"v1\",\"os\":\"linux\",\"os.version\":\"1\","
     "\"os.features\":[],\"created\":\"2023-01-02T03:04:05.1+00:00\",\"config\":{\"StopSignal\":\"S\",\"ArgsE"
     "scaped\":true,\"Labels\":{\"z\":\"1\",\"a\":null},\"WorkingDir\":\"/\",\"Volumes\":{\"/b\":{},\"/a\":nu"
     "ll},\"Cmd\":[\"c\"],\"Entrypoint\":[],\"Env\":[null,\"x\"],\"ExposedPorts\":{},\"User\":\"u\"},\"rootfs"
     "\":{\"type\":\"layers\",\"diff_ids\":null},\"history\":[{\"created\":\"2023-01-02T03:04:05Z\",\"author"
     "\":\"a\",\"created_by\":\"b\",\"comment\":\"c\",\"empty_layer\":false},{\"empty_layer\":true,\"created"
     "\":null}]}",
     "{\"created\":\"2023-01-02T03:04:05.1Z\",\"author\":\"x\",\"architecture\":\"amd64\",\"variant\":\"v1\","
     "\"os\":\"linux\",\"os.version\":\"1\",\"config\":{\"User\":\"u\",\"Env\":[\"\",\"x\"],\"Cmd\":[\"c\"],"
     "\"Volumes\":{\"/a\":{},\"/b\":{}},\"WorkingDir\":\"/\",\"Labels\":{\"a\":\"\",\"z\":\"1\"},\"StopSignal"
     "\":\"S\",\"ArgsEscaped\":true},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null},\"history\":[{\"creat"
     "ed\":\"2023-01-02T03:04:05Z\",\"created_by\":\"b\",\"author\":\"a\",\"comment\":\"c\"},{\"empty_layer\""
     ":true}]}",
     NULL},
    {"null",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {" {\"a\":1} ",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"architecture\":5}",
     NULL,
     "json: cannot unmarshal number into Go struct field Image.architecture of type string"},
    {"{\"config\":{\"Env\":\"x\"}}",
     NULL,
     "json: cannot unmarshal string into Go struct field ImageConfig.config.Env of type []string"},
    {"{\"config\":{\"Env\":[1]}}",
     NULL,
     "json: cannot unmarshal number into Go struct field ImageConfig.config.Env of type string"},
    {"{\"config\":{\"Labels\":{\"a\":1}}}",
     NULL,
     "json: cannot unmarshal number into Go struct field ImageConfig.config.Labels of type string"},
    {"{\"config\":{\"ExposedPorts\":{\"a\":\"x\"}}}",
     NULL,
     "json: cannot unmarshal string into Go struct field ImageConfig.config.ExposedPorts of type struct {}"},
    {"{\"history\":[{\"empty_layer\":\"x\"}]}",
     NULL,
     "json: cannot unmarshal string into Go struct field History.history.empty_layer of type bool"},
    {"{\"history\":{}}",
     NULL,
     "json: cannot unmarshal object into Go struct field Image.history of type []v1.History"},
    {"{\"rootfs\":{\"diff_ids\":[1]}}",
     NULL,
     "json: cannot unmarshal number into Go struct field RootFS.rootfs.diff_ids of type digest.Digest"},
    {"[]",
     NULL,
     "json: cannot unmarshal array into Go value of type v1.Image"},
    {"\"x\"",
     NULL,
     "json: cannot unmarshal string into Go value of type v1.Image"},
    {"{\"config\":5}",
     NULL,
     "json: cannot unmarshal number into Go struct field Image.config of type v1.ImageConfig"},
    {"{\"config\":null,\"rootfs\":null,\"history\":null,\"os.features\":null}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"architecture\":1.5e3,\"os\":true}",
     NULL,
     "json: cannot unmarshal number into Go struct field Image.architecture of type string"},
    {"{\"config\":{\"Cmd\":\"sh\"}}",
     NULL,
     "json: cannot unmarshal string into Go struct field ImageConfig.config.Cmd of type []string"},
    {"{\"a\":1} x",
     NULL,
     "invalid character 'x' after top-level value"},
    {"{\"a\":1,}",
     NULL,
     "invalid character '}' looking for beginning of object key string"},
    {"{\"Config\":{\"labels\":{\"x\":\"y\"}},\"OS\":\"l\",\"ARCHITECTURE\":\"a\",\"architecture\":\"b\"}",
     "{\"architecture\":\"b\",\"os\":\"l\",\"config\":{\"Labels\":{\"x\":\"y\"}},\"rootfs\":{\"type\":\"\",\""
     "diff_ids\":null}}",
     NULL},
    {"{\"o\xc5\xbf\":\"k\",\"\\u0061rchitecture\":\"x\"}",
     "{\"architecture\":\"x\",\"os\":\"k\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"history\":[{\"created_by\":\"a\",\"comment\":\"1\"}],\"history\":[{\"comment\":\"b\"}]}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null},\"history"
     "\":[{\"created_by\":\"a\",\"comment\":\"b\"}]}",
     NULL},
    {"{\"history\":[{\"created_by\":\"a\"},{\"created_by\":\"b\"},{\"created_by\":\"c\"},{\"created_by\":\"d"
     "\"},{\"created_by\":\"e\"}],\"history\":[{\"comment\":\"x\"}],\"history\":[{},{},{},{},{},{}]}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null},\"history"
     "\":[{\"created_by\":\"a\",\"comment\":\"x\"},{\"created_by\":\"b\"},{\"created_by\":\"c\"},{\"created_b"
     "y\":\"d\"},{\"created_by\":\"e\"},{}]}",
     NULL},
    {"{\"config\":{\"Env\":[\"a\",\"b\"]},\"config\":{\"Env\":[null]}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"Env\":[\"a\"]},\"rootfs\":{\"type\":\"\",\"diff_ids\":"
     "null}}",
     NULL},
    {"{\"config\":{\"Env\":[\"a\",\"b\"],\"User\":\"u\"},\"config\":{\"Env\":null}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"User\":\"u\"},\"rootfs\":{\"type\":\"\",\"diff_ids\":n"
     "ull}}",
     NULL},
    {"{\"config\":{\"Labels\":{\"a\":\"1\",\"b\":\"2\"}},\"config\":{\"Labels\":{\"c\":\"3\",\"a\":\"x\"}}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"Labels\":{\"a\":\"x\",\"b\":\"2\",\"c\":\"3\"}},\"root"
     "fs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"config\":{\"Labels\":{\"a\":\"1\",\"b\":\"2\"}},\"config\":{\"Labels\":null},\"config\":{\"Labels\":"
     "{\"c\":\"3\"}}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"Labels\":{\"c\":\"3\"}},\"rootfs\":{\"type\":\"\",\"di"
     "ff_ids\":null}}",
     NULL},
    {"{\"config\":{\"Labels\":{\"k\":\"v1\",\"k\":\"v2\"}}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"Labels\":{\"k\":\"v2\"}},\"rootfs\":{\"type\":\"\",\"d"
     "iff_ids\":null}}",
     NULL},
    {"{\"architecture\":\"\\u2028<>&\\u0000\\u001f\\t\\n\\r\\\"\\\\ \\ud800 \\udc00 \\ud83d\\ude00 \xc3\xa9"
     "\\u007f\"}",
     "{\"architecture\":\"\\u2028\\u003c\\u003e\\u0026\\u0000\\u001f\\t\\n\\r\\\"\\\\ \xef\xbf\xbd \xef\xbf"
     "\xbd \xf0\x9f\x98\x80 \xc3\xa9\x7f\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":n"
     "ull}}",
     NULL},
    {"{\"architecture\":\"a\",\"architecture\":null}",
     "{\"architecture\":\"a\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"created\":\"2023-01-02T03:04:05Z\",\"created\":null}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"created\":null,\"history\":[{\"created\":null,\"empty_layer\":false}]}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null},\"history"
     "\":[{}]}",
     NULL},
    {"{\"created\":\"2023-01-02T3:04:05Z\"}",
     "{\"created\":\"2023-01-02T03:04:05Z\",\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"typ"
     "e\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"created\":\"2023-01-02T03:04:05+99:99\"}",
     "{\"created\":\"2023-01-02T03:04:05+100:39\",\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":"
     "{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"created\":\"2023-01-02T03:04:05\\u005a\"}",
     NULL,
     "parsing time \"\\\"2023-01-02T03:04:05\\\\u005a\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot "
     "parse \"\\\\u005a\\\"\" as \"Z07:00\""},
    {"{\"created\":5}",
     NULL,
     "parsing time \"5\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"5\" as \"\\\"\""},
    {"{\"created\":\"2023-02-29T03:04:05Z\"}",
     NULL,
     "parsing time \"\\\"2023-02-29T03:04:05Z\\\"\": day out of range"},
    {"{\"created\":\"2024-02-29T03:04:05Z\"}",
     "{\"created\":\"2024-02-29T03:04:05Z\",\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"typ"
     "e\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"created\":\"bad\",\"architecture\":5}",
     NULL,
     "parsing time \"\\\"bad\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"bad\\\"\" as \"20"
     "06\""},
    {"{\"architecture\":5,\"created\":\"bad\"}",
     NULL,
     "parsing time \"\\\"bad\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"bad\\\"\" as \"20"
     "06\""},
    {"{\"config\":{\"Labels\":{\"b\":\"\",\"a\":\"\",\"\":\"x\",\"A\":\"y\",\"\xc3\xa9\":\"z\",\"~\":\"w\"}}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"Labels\":{\"\":\"x\",\"A\":\"y\",\"a\":\"\",\"b\":\"\""
     ",\"~\":\"w\",\"\xc3\xa9\":\"z\"}},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"config\":{\"Volumes\":{\"/a\":5}}}",
     NULL,
     "json: cannot unmarshal number into Go struct field ImageConfig.config.Volumes of type struct {}"},
    {"{\"config\":{\"Volumes\":[]}}",
     NULL,
     "json: cannot unmarshal array into Go struct field ImageConfig.config.Volumes of type map[string]struct "
     "{}"},
    {"{\"rootfs\":{\"type\":5,\"diff_ids\":\"x\"}}",
     NULL,
     "json: cannot unmarshal number into Go struct field RootFS.rootfs.type of type string"},
    {"{\"history\":[5]}",
     NULL,
     "json: cannot unmarshal number into Go struct field Image.history of type v1.History"},
    {"{\"history\":[null,{\"author\":\"a\"}]}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null},\"history"
     "\":[{},{\"author\":\"a\"}]}",
     NULL},
    {"{\"config\":{\"ArgsEscaped\":\"true\"}}",
     NULL,
     "json: cannot unmarshal string into Go struct field ImageConfig.config.ArgsEscaped of type bool"},
    {"{\"config\":{\"ArgsEscaped\":null,\"StopSignal\":null}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"os.features\":[1,2]}",
     NULL,
     "json: cannot unmarshal number into Go struct field Image.os.features of type string"},
    {"{\"architecture\":\"a\",\"extra\":[1,2,{\"x\":[true,false,null,-0.5e-3,1E+2]}]}",
     "{\"architecture\":\"a\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"a\":01}",
     NULL,
     "invalid character '1' after object key:value pair"},
    {"{\"a\":-}",
     NULL,
     "invalid character '}' in numeric literal"},
    {"{\"a\":1.}",
     NULL,
     "invalid character '}' after decimal point in numeric literal"},
    {"{\"a\":1e}",
     NULL,
     "invalid character '}' in exponent of numeric literal"},
    {"{\"a\":tru}",
     NULL,
     "invalid character '}' in literal true (expecting 'e')"},
    {"{\"a\":\"\\x\"}",
     NULL,
     "invalid character 'x' in string escape code"},
    {"{\"a\":\"\\u12g4\"}",
     NULL,
     "invalid character 'g' in \\u hexadecimal character escape"},
    {"{\"a\":\"",
     NULL,
     "unexpected end of JSON input"},
    {"{\"architecture\":\"a\xff" "b\xc3(\xe2\x82\xed\xa0\x80z\xf0\x9f\x98\x80\"}",
     "{\"architecture\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef"
     "\xbf\xbdz\xf0\x9f\x98\x80\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"architecture\":\"a\", \x01}",
     NULL,
     "invalid character '\\x01' looking for beginning of object key string"},
    {"{\"architecture\":\"a\", \xc3}",
     NULL,
     "invalid character '\xc3\x83' looking for beginning of object key string"},
    {"{\"architecture\":\"a\", \xa0}",
     NULL,
     "invalid character '\\u00a0' looking for beginning of object key string"},
    {"{\"architecture\":\"a\", \x85}",
     NULL,
     "invalid character '\\u0085' looking for beginning of object key string"},
    {"{\"architecture\":\"a\", \xad}",
     NULL,
     "invalid character '\\u00ad' looking for beginning of object key string"},
    {"{\"architecture\":\"a\", \\}",
     NULL,
     "invalid character '\\\\' looking for beginning of object key string"},
    {"{\"architecture\":\"a\", '}",
     NULL,
     "invalid character '\\'' looking for beginning of object key string"},
    {"{\"architecture\":\"a\x01\"}",
     NULL,
     "invalid character '\\x01' in string literal"},
    {"{\"architecture\":\"a\", \"a\x7f\":1, \"b\":\x7f}",
     NULL,
     "invalid character '\\x7f' looking for beginning of value"},
    {"\xef\xbb\xbf{}",
     NULL,
     "invalid character '\xc3\xaf' looking for beginning of value"},
    {"",
     NULL,
     "unexpected end of JSON input"},
    {"   ",
     NULL,
     "unexpected end of JSON input"},
    {"{\"config\":{\"Labels\":{\"\xff\":\"1\",\"\xef\xbf\xbd\":\"2\"}}}",
     "{\"architecture\":\"\",\"os\":\"\",\"config\":{\"Labels\":{\"\xef\xbf\xbd\":\"2\"}},\"rootfs\":{\"type"
     "\":\"\",\"diff_ids\":null}}",
     NULL},
    {"{\"architecture\":\"a\"}\n",
     "{\"architecture\":\"a\",\"os\":\"\",\"config\":{},\"rootfs\":{\"type\":\"\",\"diff_ids\":null}}",
     NULL},
};

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];
    tap_plan((int)n + 2);
    for (size_t i = 0; i < n; i++) {
        const oci_case *c = &cases[i];
        char err[1024] = "", name[128];
        tap_name(c->input, name, 72);
        json_t *j = oci_config_from_blob(c->input, strlen(c->input), err, sizeof err);
        char *got = j ? gojson_encode(j, 0) : NULL;
        if (c->expected) {
            if (!tap_is_str(got, c->expected, name))
                tap_diag("error: %s", err);
        } else {
            if (!tap_ok(j == NULL && strcmp(err, c->error) == 0, "%s fails", name)) {
                tap_diag_str_("got:      ", got ? got : err);
                tap_diag_str_("expected: ", c->error);
            }
        }
        free(got);
        json_decref(j);
    }

    /* the header's example and a blob with NUL bytes in the middle */
    char err[256] = "";
    static const char with_nul[] = "{\"architecture\":\"a\"}\0{}";
    json_t *j = oci_config_from_blob(with_nul, sizeof with_nul - 1, err, sizeof err);
    tap_ok(j == NULL && strcmp(err, "invalid character '\\x00' after top-level value") == 0,
           "bytes after the value are refused (%s)", err);
    json_decref(j);

    /* inspect's decoding: Created stays null for OCI, zero time for Docker */
    oci_config_inspect oci, docker;
    int rc1 = oci_config_inspect_fields("{}", 2, 0, &oci, err, sizeof err);
    int rc2 = oci_config_inspect_fields("{}", 2, 1, &docker, err, sizeof err);
    tap_ok(rc1 == 0 && rc2 == 0 && json_is_null(oci.created) && json_is_string(docker.created) &&
               strcmp(json_string_value(docker.created), "0001-01-01T00:00:00Z") == 0 && json_is_null(oci.labels) &&
               json_is_null(docker.env),
           "created, labels and env of an empty config");
    if (rc1 == 0)
        oci_config_inspect_release(&oci);
    if (rc2 == 0)
        oci_config_inspect_release(&docker);
    return tap_done();
}
