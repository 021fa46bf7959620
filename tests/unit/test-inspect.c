/* tests/unit/test-inspect.c — inspect_build against `skopeo inspect
 * dir:IMG` (1.9.3) of Docker schema 2 and OCI images built from the configs
 * below: member order, null versus {} and [], Created for either config
 * kind, and the messages of configs Go refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "image/manifest.h"
#include "inspect/inspect.h"
#include "tap.h"
#include "shared/gojson.h"

typedef struct inspect_case {
    int docker;           /* Docker schema 2, else OCI */
    int n_layers;
    const char *config;   /* the config blob */
    const char *expected; /* skopeo's stdout, or NULL */
    const char *error;    /* skopeo's message, or NULL */
} inspect_case;

static const inspect_case cases[] = {
    {1, 3, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2023-01-02T03:04:05.123456789Z\",\"docker_ve"
     "rsion\":\"20.10.1\",\"author\":\"me\",\"config\":{\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"Labels\":{\"b\""
     ":\"2\",\"a\":\"1\",\"x<y\":\"&\"},\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
     "{\n    \"Digest\": \"sha256:ad2043fe7b18ff5954fff8a7a0f2ac01a3358de324f53466fcf9c18be88129b4\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"2023-01-02T03:04:05.123456789Z\",\n    \"DockerVersion\": \"20.10.1"
     "\",\n    \"Labels\": {\n        \"a\": \"1\",\n        \"b\": \"2\",\n        \"x\\u003cy\": \"\\u0026"
     "\"\n    },\n    \"Architecture\": \"amd64\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"sha2"
     "56:04994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c"
     "07ed72e75d6d8742cf227199bcf0a00923d7f4d7cc44ce3485\",\n        \"sha256:ef9aeced8affcc45dc62d6cb96df326"
     "eb6661f8989c4253fb476865249dbbce5\"\n    ],\n    \"Env\": [\n        \"PATH=/usr/bin\",\n        \"A=b"
     "\"\n    ]\n}\n",
     NULL},
    {0, 3, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2023-01-02T03:04:05.123456789Z\",\"docker_ve"
     "rsion\":\"20.10.1\",\"author\":\"me\",\"config\":{\"Env\":[\"PATH=/usr/bin\",\"A=b\"],\"Labels\":{\"b\""
     ":\"2\",\"a\":\"1\",\"x<y\":\"&\"},\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
     "{\n    \"Digest\": \"sha256:1ecc3c53a07d33aa078d5e48749d3643b4d26daef6cf05273c63636e10cc8202\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"2023-01-02T03:04:05.123456789Z\",\n    \"DockerVersion\": \"20.10.1"
     "\",\n    \"Labels\": {\n        \"a\": \"1\",\n        \"b\": \"2\",\n        \"x\\u003cy\": \"\\u0026"
     "\"\n    },\n    \"Architecture\": \"amd64\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"sha2"
     "56:04994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c"
     "07ed72e75d6d8742cf227199bcf0a00923d7f4d7cc44ce3485\",\n        \"sha256:ef9aeced8affcc45dc62d6cb96df326"
     "eb6661f8989c4253fb476865249dbbce5\"\n    ],\n    \"Env\": [\n        \"PATH=/usr/bin\",\n        \"A=b"
     "\"\n    ]\n}\n",
     NULL},
    {1, 1, "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\"}",
     "{\n    \"Digest\": \"sha256:d2aa72701ee026353c348cdf3f76b527f6db304da94335df23ffdd07e8732166\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels"
     "\": null,\n    \"Architecture\": \"arm64\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"sha25"
     "6:04994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
    {0, 1, "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\"}",
     "{\n    \"Digest\": \"sha256:49bde26c649548b7b6101bb35f19ed0468cf87af7e32d384c3e95377e0389c6f\",\n    \""
     "RepoTags\": [],\n    \"Created\": null,\n    \"DockerVersion\": \"\",\n    \"Labels\": null,\n    \"Arc"
     "hitecture\": \"arm64\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"sha256:04994d75914fea5992"
     "13ca06040e9138b20c32d1b67e555be34ed5d23731d19e\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
    {1, 0, "{}",
     "{\n    \"Digest\": \"sha256:c0e848eb829eac13acf35fc026311469ba0cf0e1f8f42c64c2e575bd31e92b9d\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels"
     "\": null,\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [],\n    \"Env\": null\n}\n",
     NULL},
    {0, 0, "{}",
     "{\n    \"Digest\": \"sha256:e4934e6aa3bf6caefe0de53f730641892ca292f65403de736f420d208dd979b2\",\n    \""
     "RepoTags\": [],\n    \"Created\": null,\n    \"DockerVersion\": \"\",\n    \"Labels\": null,\n    \"Arc"
     "hitecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [],\n    \"Env\": null\n}\n",
     NULL},
    {1, 2, "null",
     "{\n    \"Digest\": \"sha256:192ef5344a0bfdec2a8e4b68f82b280a94cc22a79095a9fc5143a74f34429501\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels"
     "\": null,\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04994d75"
     "914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c07ed72e75d6"
     "d8742cf227199bcf0a00923d7f4d7cc44ce3485\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
    {0, 2, "null",
     "{\n    \"Digest\": \"sha256:7ffa7c76f3373b8a3aa955df984b8e45f38f41a8536a7d6abc35fb26d9497b39\",\n    \""
     "RepoTags\": [],\n    \"Created\": null,\n    \"DockerVersion\": \"\",\n    \"Labels\": null,\n    \"Arc"
     "hitecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04994d75914fea599213ca06040e"
     "9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c07ed72e75d6d8742cf227199bcf0a00"
     "923d7f4d7cc44ce3485\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
    {1, 12, "{\"config\":{\"Labels\":{},\"Env\":[]},\"created\":\"2023-07-02T03:04:05.5+01:00\"}",
     "{\n    \"Digest\": \"sha256:551da679b19840dad0bb4b123c1ebe45b4b7f1580a8e48b02cb9fa4b9a7d8973\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"2023-07-02T03:04:05.5+01:00\",\n    \"DockerVersion\": \"\",\n    "
     "\"Labels\": {},\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04"
     "994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c07ed7"
     "2e75d6d8742cf227199bcf0a00923d7f4d7cc44ce3485\",\n        \"sha256:ef9aeced8affcc45dc62d6cb96df326eb666"
     "1f8989c4253fb476865249dbbce5\",\n        \"sha256:0eea3e71fd72b385bc021af24ad973bcf2fd36d4c7e39f3c7a32f"
     "1297a9a081b\",\n        \"sha256:7515e94708fb323762e3e554922489b5b727b201d95b02b9ac279b5e061ee2b9\",\n "
     "       \"sha256:6735ac5afd96f9e6898ff2ff096e8d4d52a34b2c67c012336bdb9bfdbf1864f5\",\n        \"sha256:1"
     "085fef3132c19bf8ba99050e78e762fe773960c0901ca1b4ab0ac55e243de7c\",\n        \"sha256:3ffefbd153a30ff6ee"
     "4d2e9fdb3c6f9ffd713d9e3ea376798148005b407b3f1c\",\n        \"sha256:d74a81c94995fe2f115f8843f48d49a970b"
     "ca41b2f6ffcc15e2430dffbbabff3\",\n        \"sha256:fed9521afb641ab54d5fde0256b0ba69009182016342955f37e6"
     "e27738d93593\",\n        \"sha256:8c9d00c2946337d3e6f82bfbdd68d7d6a67dd933e3f1d646f351f0996063cff2\",\n"
     "        \"sha256:16c963b47b6cf37a17bd6861d9b2345be79ede7cb17229ebddda580dc9041c6d\"\n    ],\n    \"Env"
     "\": []\n}\n",
     NULL},
    {0, 2, "{\"config\":{\"Labels\":{},\"Env\":[]},\"created\":\"2023-07-02T03:04:05.5+99:99\"}",
     "{\n    \"Digest\": \"sha256:1636f6c0be74f4b08c2c7cf9633ae534a806d078b58ff63991b4bd25a3cfec2d\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"2023-07-02T03:04:05.5+100:39\",\n    \"DockerVersion\": \"\",\n    "
     "\"Labels\": {},\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04"
     "994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c07ed7"
     "2e75d6d8742cf227199bcf0a00923d7f4d7cc44ce3485\"\n    ],\n    \"Env\": []\n}\n",
     NULL},
    {1, 1, "{\"config\":null}",
     "{\n    \"Digest\": \"sha256:f1993463db40d9a72a019ad1dbcc022b6d12a8fd4d2593eabe0358d8b3b8e84a\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels"
     "\": null,\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04994d75"
     "914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
    {1, 1, "{\"config\":{\"Cmd\":\"sh\",\"Labels\":{\"k\\u2028\":\"v\\u001f\",\"z\":\"\\ud800\"}}}",
     "{\n    \"Digest\": \"sha256:44f0987371146d7ee5ad741afa39b557e17c8af31c0b011d4ba18d664f9edda3\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels"
     "\": {\n        \"k\\u2028\": \"v\\u001f\",\n        \"z\": \"\xef\xbf\xbd\"\n    },\n    \"Architecture"
     "\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04994d75914fea599213ca06040e9138b20c3"
     "2d1b67e555be34ed5d23731d19e\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
    {0, 1, "{\"config\":{\"Cmd\":\"sh\"}}",
     NULL,
     "json: cannot unmarshal string into Go struct field ImageConfig.config.Cmd of type []string"},
    {0, 1, "{\"container_config\":5}",
     NULL,
     "json: cannot unmarshal number into Go struct field Schema2V1Image.container_config of type manifest.Sch"
     "ema2Config"},
    {1, 1, "{\"config\":{\"Healthcheck\":{\"Interval\":1.5}}}",
     NULL,
     "json: cannot unmarshal number 1.5 into Go struct field Schema2HealthConfig.config.Healthcheck.Interval "
     "of type time.Duration"},
    {1, 1, "{\"variant\":5}",
     NULL,
     "json: cannot unmarshal number into Go struct field Schema2Image.variant of type string"},
    {0, 1, "{\"variant\":5}",
     NULL,
     "json: cannot unmarshal number into Go struct field Image.variant of type string"},
    {1, 1, "{\"created\":\"bad\",\"architecture\":5}",
     NULL,
     "parsing time \"\\\"bad\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"bad\\\"\" as \"20"
     "06\""},
    {0, 1, "{\"docker_version\":5}",
     NULL,
     "json: cannot unmarshal number into Go struct field Schema2V1Image.docker_version of type string"},
    {1, 1, "{\"config\":{\"Labels\":{\"a\":\"1\"}},\"config\":{\"Env\":[\"x\"]}}",
     "{\n    \"Digest\": \"sha256:f143d67fda79d83eb24951e88336bd24876386506b423a4204d88b12f386aca5\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"\",\n    \"Labels"
     "\": {\n        \"a\": \"1\"\n    },\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": ["
     "\n        \"sha256:04994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\"\n    ],\n    \"En"
     "v\": [\n        \"x\"\n    ]\n}\n",
     NULL},
    {1, 1, "{\"Config\":{\"labels\":{\"a\":\"1\"}},\"DOCKER_VERSION\":\"1\"}",
     "{\n    \"Digest\": \"sha256:3bcda56a9cfe9cbdda016d32ad078f95bb859759b21b693a54b5a47abfdc227d\",\n    \""
     "RepoTags\": [],\n    \"Created\": \"0001-01-01T00:00:00Z\",\n    \"DockerVersion\": \"1\",\n    \"Label"
     "s\": {\n        \"a\": \"1\"\n    },\n    \"Architecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": ["
     "\n        \"sha256:04994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\"\n    ],\n    \"En"
     "v\": null\n}\n",
     NULL},
    {1, 1, "{\"config\":{\"Cmd\":5}}",
     NULL,
     "json: cannot unmarshal number into Go struct field Schema2Config.config.Cmd of type string"},
    {1, 1, "{\"config\":{\"ExposedPorts\":[]}}",
     NULL,
     "json: cannot unmarshal array into Go struct field Schema2Config.config.ExposedPorts of type manifest.Sc"
     "hema2PortSet"},
    {1, 1, "{\"config\":{\"StopTimeout\":\"1\"}}",
     NULL,
     "json: cannot unmarshal string into Go struct field Schema2Config.config.StopTimeout of type int"},
    {1, 1, "{\"Size\":1.5}",
     NULL,
     "json: cannot unmarshal number 1.5 into Go struct field Schema2Image.Size of type int64"},
    {1, 1, "{\"history\":[{\"created\":5}]}",
     NULL,
     "parsing time \"5\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"5\" as \"\\\"\""},
    {0, 1, "{\"created\":null,\"config\":{\"Env\":null,\"Labels\":null}}",
     "{\n    \"Digest\": \"sha256:c9eb5a2012c08762ffcba4a4f2caa07d7326526c7b9cbaa073082d9294fb6003\",\n    \""
     "RepoTags\": [],\n    \"Created\": null,\n    \"DockerVersion\": \"\",\n    \"Labels\": null,\n    \"Arc"
     "hitecture\": \"\",\n    \"Os\": \"\",\n    \"Layers\": [\n        \"sha256:04994d75914fea599213ca06040e"
     "9138b20c32d1b67e555be34ed5d23731d19e\"\n    ],\n    \"Env\": null\n}\n",
     NULL},
};

#define FAKE_DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* A manifest with the layers skopeo listed (or placeholders). */
static void inspect_fill(manifest *m, manifest_descriptor *layers, int docker, const json_t *listed, int n)
{
    memset(m, 0, sizeof *m);
    m->kind = docker ? MANIFEST_DOCKER_V2S2 : MANIFEST_OCI;
    m->media_type = docker ? MEDIA_TYPE_DOCKER_V2S2 : MEDIA_TYPE_OCI_MANIFEST;
    m->config.media_type = docker ? MEDIA_TYPE_DOCKER_CONFIG : MEDIA_TYPE_OCI_CONFIG;
    m->config.digest = FAKE_DIGEST;
    for (int i = 0; i < n; i++) {
        memset(&layers[i], 0, sizeof layers[i]);
        layers[i].media_type = docker ? MEDIA_TYPE_DOCKER_LAYER_GZIP : MEDIA_TYPE_OCI_LAYER_GZIP;
        json_t *d = json_array_get(listed, (size_t)i);
        layers[i].digest = (char *)(d ? json_string_value(d) : FAKE_DIGEST);
        layers[i].size = 100;
    }
    m->layers = layers;
    m->n_layers = (size_t)n;
}

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];
    tap_plan((int)n + 5);
    for (size_t i = 0; i < n; i++) {
        const inspect_case *c = &cases[i];
        json_t *want = c->expected ? json_loads(c->expected, 0, NULL) : NULL;
        manifest m;
        manifest_descriptor layers[16];
        inspect_fill(&m, layers, c->docker, json_object_get(want, "Layers"), c->n_layers);
        const char *digest = want ? json_string_value(json_object_get(want, "Digest")) : FAKE_DIGEST;
        inspect_input in = {NULL, NULL, digest, NULL, 0, &m, c->config, strlen(c->config)};
        char err[1024] = "";
        json_t *got = inspect_build(&in, err, sizeof err);
        char *text = got ? gojson_encode(got, 4) : NULL;
        char *with_nl = NULL;
        if (text) {
            with_nl = malloc(strlen(text) + 2);
            sprintf(with_nl, "%s\n", text);
        }
        char name[96];
        snprintf(name, sizeof name, "%s %.60s", c->docker ? "docker" : "oci", c->config);
        if (c->expected) {
            if (!tap_is_str(with_nl, c->expected, name))
                tap_diag("error: %s", err);
        } else if (!tap_ok(got == NULL && strcmp(err, c->error) == 0, "%s fails", name)) {
            tap_diag_str_("got:      ", with_nl ? with_nl : err);
            tap_diag_str_("expected: ", c->error);
        }
        free(text);
        free(with_nl);
        json_decref(got);
        json_decref(want);
    }

    /* Name and Tag come first when known; RepoTags lists the tags given */
    manifest m;
    manifest_descriptor layers[1];
    inspect_fill(&m, layers, 1, NULL, 1);
    const char *tags[] = {"1.0", "latest"};
    const char *config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
    inspect_input in = {"docker.io/library/x", "1.0", FAKE_DIGEST, tags, 2, &m, config, strlen(config)};
    char err[512] = "";
    json_t *got = inspect_build(&in, err, sizeof err);
    char *text = got ? gojson_encode(got, 0) : NULL;
    tap_is_str(text,
               "{\"Name\":\"docker.io/library/x\",\"Tag\":\"1.0\",\"Digest\":\"" FAKE_DIGEST "\",\"RepoTags\":[\"1.0\","
               "\"latest\"],\"Created\":\"0001-01-01T00:00:00Z\",\"DockerVersion\":\"\",\"Labels\":null,"
               "\"Architecture\":\"amd64\",\"Os\":\"linux\",\"Layers\":[\"" FAKE_DIGEST "\"],\"Env\":null}",
               "name, tag and repository tags");
    free(text);
    json_decref(got);

    /* an empty name is omitted like a missing one (omitempty) */
    in.name = "";
    in.tag = NULL;
    got = inspect_build(&in, err, sizeof err);
    tap_ok(got && !json_object_get(got, "Name") && !json_object_get(got, "Tag"), "empty name and tag omitted");
    json_decref(got);

    /* an OCI artifact: skopeo: unsupported image-specific operation on
     * artifact with type "application/x-foo" */
    inspect_fill(&m, layers, 0, NULL, 1);
    m.config.media_type = "application/x-foo";
    in.name = NULL;
    got = inspect_build(&in, err, sizeof err);
    tap_ok(got == NULL &&
               strcmp(err, "unsupported image-specific operation on artifact with type \"application/x-foo\"") == 0,
           "OCI artifact refused: %s", err);
    json_decref(got);

    /* no layers: Layers is [] */
    inspect_fill(&m, layers, 0, NULL, 0);
    got = inspect_build(&in, err, sizeof err);
    tap_ok(got && json_is_array(json_object_get(got, "Layers")) && json_array_size(json_object_get(got, "Layers")) == 0,
           "no layers gives []");
    json_decref(got);

    /* a manifest list is not an image */
    inspect_fill(&m, layers, 0, NULL, 0);
    m.kind = MANIFEST_OCI_INDEX;
    got = inspect_build(&in, err, sizeof err);
    tap_ok(got == NULL && err[0] != '\0', "an index is refused");
    json_decref(got);
    return tap_done();
}
