/* tests/unit/test-manifest.c — manifest detection, validation and the exact
 * serialization containers/image produces (expected bytes taken from what
 * skopeo 1.9.3 wrote for the same images). */
#include <stdlib.h>
#include <string.h>

#include "image/manifest.h"
#include "tap.h"

#define D_CFG "sha256:44b6a30992dbc54bad8f4bdc96f92f06953eee660ce7c70a6843da8889a81536"
#define D_GZ "sha256:1e93cf090ac787e2248b4e962d9496cd6ac868a58825a9ee0e318221969db529"
#define D_TAR "sha256:a32826ad161414ebdd8b3ab0c346437284f32d8a9cd48dee9d718213c6ece577"

static const char docker_manifest[] =
    "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
    "   \"config\": {\"mediaType\": \"application/vnd.docker.container.image.v1+json\", \"size\": 290, \"digest\": \"" D_CFG "\"},\n"
    "   \"layers\": [{\"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\", \"size\": 107, \"digest\": \"" D_GZ "\"}]\n}";

static int parses(const char *json, const char *declared, char *err, size_t cap)
{
    manifest *m = NULL;
    int rc = manifest_parse(json, strlen(json), declared, &m, err, cap);
    manifest_free(m);
    return rc == 0;
}

int main(void)
{
    tap_plan(19);
    char err[512];
    manifest *m = NULL;

    tap_ok(manifest_parse(docker_manifest, strlen(docker_manifest), NULL, &m, err, sizeof(err)) == 0, "docker v2s2 parses");
    tap_ok(m && m->kind == MANIFEST_DOCKER_V2S2, "kind is docker v2s2");
    tap_ok(m && m->n_layers == 1 && m->layers[0].size == 107, "one layer of 107 bytes");
    tap_is_str(m ? m->config.digest : NULL, D_CFG, "config digest");

    /* The layer decompressed, as `skopeo copy --dest-decompress dir: dir:` wrote it. */
    free(m->layers[0].digest);
    m->layers[0].digest = strdup(D_TAR);
    m->layers[0].size = 10240;
    free(m->layers[0].media_type);
    m->layers[0].media_type = strdup(MEDIA_TYPE_DOCKER_LAYER_TAR);
    size_t len = 0;
    char *out = manifest_serialize(m, MANIFEST_DOCKER_V2S2, &len);
    tap_is_str(out,
               "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
               "{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":290,\"digest\":\"" D_CFG
               "\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar\",\"size\":10240,"
               "\"digest\":\"" D_TAR "\"}]}",
               "docker v2s2 serialization matches skopeo's bytes");
    free(out);

    /* The same image converted to OCI, as `skopeo copy dir: oci:` wrote it. */
    free(m->layers[0].digest);
    m->layers[0].digest = strdup(D_GZ);
    m->layers[0].size = 107;
    free(m->layers[0].media_type);
    m->layers[0].media_type = strdup(MEDIA_TYPE_OCI_LAYER_GZIP);
    free(m->config.digest);
    m->config.digest = strdup("sha256:4b1919970c6c25113fe175b7b4a2381491ebc8bb8dbff95537dd055cf4bdb7ef");
    m->config.size = 257;
    free(m->config.media_type);
    m->config.media_type = strdup(MEDIA_TYPE_OCI_CONFIG);
    out = manifest_serialize(m, MANIFEST_OCI, &len);
    tap_is_str(out,
               "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
               "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:4b1919970c6c25113fe175b7b4a2381491ebc8bb8"
               "dbff95537dd055cf4bdb7ef\",\"size\":257},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.ta"
               "r+gzip\",\"digest\":\"" D_GZ "\",\"size\":107}]}",
               "OCI serialization matches skopeo's bytes");
    tap_is_int((long long)len, (long long)strlen(out ? out : ""), "length reported");
    free(out);
    manifest_free(m);

    tap_ok(!parses("{not json", NULL, err, sizeof(err)) && strstr(err, "not valid JSON"), "not JSON refused");
    tap_ok(!parses("[1,2]", NULL, err, sizeof(err)), "non-object refused");
    char *big = malloc(MANIFEST_MAX_SIZE + 2);
    memset(big, ' ', MANIFEST_MAX_SIZE + 1);
    big[MANIFEST_MAX_SIZE + 1] = '\0';
    big[0] = '{';
    big[MANIFEST_MAX_SIZE] = '}';
    tap_ok(!parses(big, NULL, err, sizeof(err)) && strstr(err, "limit"), "over 4 MiB refused");
    free(big);

    char bad[1024];
    snprintf(bad, sizeof(bad), "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"digest\":\"sha256:../../x\",\"size\":1},\"layers\":[]}",
             MEDIA_TYPE_OCI_MANIFEST);
    tap_ok(!parses(bad, NULL, err, sizeof(err)) && strstr(err, "invalid digest"), "traversal digest refused");
    snprintf(bad, sizeof(bad), "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"digest\":\"" D_CFG "\",\"size\":-1},\"layers\":[]}",
             MEDIA_TYPE_OCI_MANIFEST);
    tap_ok(!parses(bad, NULL, err, sizeof(err)), "negative size refused");
    snprintf(bad, sizeof(bad), "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[],\"layers\":[]}", MEDIA_TYPE_OCI_INDEX);
    tap_ok(!parses(bad, NULL, err, sizeof(err)) && strstr(err, "ambiguous"), "index with layers refused as ambiguous");
    tap_ok(!parses(docker_manifest, MEDIA_TYPE_OCI_MANIFEST, err, sizeof(err)) && strstr(err, "storage says"),
           "declared type contradicting mediaType refused");
    snprintf(bad, sizeof(bad), "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"%s\",\"digest\":\"" D_CFG "\",\"size\":1},\"layers\":[]}",
             MEDIA_TYPE_OCI_CONFIG);
    tap_ok(manifest_detect(bad, strlen(bad), NULL, err, sizeof(err)) == MANIFEST_OCI, "OCI without mediaType detected");

    snprintf(bad, sizeof(bad),
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
             "{\"mediaType\":\"%s\",\"digest\":\"" D_CFG "\",\"size\":10,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
             "{\"mediaType\":\"%s\",\"digest\":\"" D_GZ "\",\"size\":10,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
             MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_MANIFEST);
    tap_ok(manifest_parse(bad, strlen(bad), NULL, &m, err, sizeof(err)) == 0 && m->kind == MANIFEST_OCI_INDEX, "index parses");
    tap_is_int(manifest_list_choose(m, "linux", "amd64", NULL, err, sizeof(err)), 1, "amd64 instance chosen");
    tap_is_int(manifest_list_choose(m, "linux", "arm64", "v8", err, sizeof(err)), 0, "arm64/v8 instance chosen");
    tap_ok(manifest_list_choose(m, "linux", "s390x", NULL, err, sizeof(err)) < 0 && strstr(err, "s390x"),
           "missing platform reported by name");
    manifest_free(m);
    return tap_done();
}
