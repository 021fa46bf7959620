/* tests/unit/inspect_images.h — the `skopeo inspect` output of two images
 * (skopeo 1.9.3), the values the template tests (test-template.c) and the
 * template fuzz target (tests/fuzz/fuzz-template.c) run templates against. */
#ifndef FERRY_TEST_INSPECT_IMAGES_H
#define FERRY_TEST_INSPECT_IMAGES_H

/* `skopeo inspect dir:IMG` of a Docker schema 2 image with labels and env */
static const char image_rich[] =
    "{\n    \"Digest\": \"sha256:67689a1cf371236b6280dca469a94bde5e358b7104b0aaf0612178f5cf6ba657\",\n    \"R"
    "epoTags\": [],\n    \"Created\": \"2023-01-02T03:04:05.123456789Z\",\n    \"DockerVersion\": \"20.10.1\""
    ",\n    \"Labels\": {\n        \"a\": \"1\",\n        \"b\": \"2\",\n        \"x\\u003cy\": \"\\u0026\"\n"
    "    },\n    \"Architecture\": \"amd64\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"sha256:04"
    "994d75914fea599213ca06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c07ed72"
    "e75d6d8742cf227199bcf0a00923d7f4d7cc44ce3485\",\n        \"sha256:ef9aeced8affcc45dc62d6cb96df326eb6661f"
    "8989c4253fb476865249dbbce5\"\n    ],\n    \"Env\": [\n        \"PATH=/usr/bin\",\n        \"A=b\"\n    ]"
    "\n}\n";

/* an OCI image whose config has no created, labels or env */
static const char image_bare[] =
    "{\n    \"Digest\": \"sha256:ac4420ca1b988715b3fb2e04b00da03f0637a348403e4bb7159f4d13b7a30ba9\",\n    \"R"
    "epoTags\": [],\n    \"Created\": null,\n    \"DockerVersion\": \"\",\n    \"Labels\": null,\n    \"Archi"
    "tecture\": \"s390x\",\n    \"Os\": \"linux\",\n    \"Layers\": [\n        \"sha256:04994d75914fea599213c"
    "a06040e9138b20c32d1b67e555be34ed5d23731d19e\",\n        \"sha256:4fc1c235e2899c07ed72e75d6d8742cf227199b"
    "cf0a00923d7f4d7cc44ce3485\"\n    ],\n    \"Env\": []\n}\n";

#endif
