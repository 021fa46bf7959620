/* tests/unit/test-plan.c — the copy planner: format choice, conversions,
 * compression changes, --preserve-digests, and layers labelled gzip whose
 * bytes decide (sniff, plan_layer_uncompressed). */
#include <string.h>

#include <ferry/transport.h>

#include "copy/plan.h"
#include "tap.h"

#define D1 "sha256:1e93cf090ac787e2248b4e962d9496cd6ac868a58825a9ee0e318221969db529"

static manifest *load(const char *kind_type, const char *config_type, const char *layer_type)
{
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"" D1 "\",\"size\":3},"
             "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"" D1 "\",\"size\":3}]}",
             kind_type, config_type, layer_type);
    manifest *m = NULL;
    char err[256];
    manifest_parse(json, strlen(json), NULL, &m, err, sizeof(err));
    return m;
}

int main(void)
{
    tap_plan(43);
    static const char *const oci_only[] = {MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX, NULL};
    char err[512];
    copy_plan plan;
    manifest *docker = load(MEDIA_TYPE_DOCKER_V2S2, MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER_GZIP);
    manifest *oci_tar = load(MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_TAR);
    manifest *oci_zstd = load(MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_ZSTD);
    tap_ok(docker && oci_tar && oci_zstd, "fixtures parse");

    plan_request any = {.forced_format = MANIFEST_UNKNOWN, .dest_types = NULL};
    tap_ok(plan_copy(docker, &any, &plan, err, sizeof(err)) == 0, "docker to anything plans");
    tap_ok(plan.out_kind == MANIFEST_DOCKER_V2S2 && !plan.manifest_changes && !plan.config_to_oci,
           "format kept, manifest unchanged");
    plan_release(&plan);

    plan_request to_oci = {.forced_format = MANIFEST_UNKNOWN, .dest_types = oci_only};
    tap_ok(plan_copy(docker, &to_oci, &plan, err, sizeof(err)) == 0, "docker to an OCI-only destination plans");
    tap_ok(plan.out_kind == MANIFEST_OCI && plan.config_to_oci && plan.manifest_changes, "converted to OCI, config rewritten");
    tap_is_str(plan.config_media_type, MEDIA_TYPE_OCI_CONFIG, "OCI config media type");
    tap_is_str(plan.layers[0].media_type, MEDIA_TYPE_OCI_LAYER_GZIP, "gzip layer type mapped");
    tap_ok(plan.layers[0].action == LAYER_KEEP, "layer bytes kept");
    plan_release(&plan);

    to_oci.preserve_digests = 1;
    tap_ok(plan_copy(docker, &to_oci, &plan, err, sizeof(err)) != 0 && strstr(err, "preserve-digests"),
           "--preserve-digests refuses a conversion");

    plan_request compress = {.forced_format = MANIFEST_UNKNOWN, .dest_types = oci_only,
                             .desired_compression = FERRY_COMPRESSION_COMPRESS};
    tap_ok(plan_copy(oci_tar, &compress, &plan, err, sizeof(err)) == 0, "uncompressed OCI to compressing destination");
    tap_ok(plan.layers[0].action == LAYER_COMPRESS, "layer gets gzipped");
    tap_is_str(plan.layers[0].media_type, MEDIA_TYPE_OCI_LAYER_GZIP, "media type becomes tar+gzip");
    tap_ok(plan.manifest_changes && !plan.config_to_oci, "manifest changes, config does not");
    plan_release(&plan);

    plan_request decompress = {.forced_format = MANIFEST_UNKNOWN, .desired_compression = FERRY_COMPRESSION_DECOMPRESS};
    tap_ok(plan_copy(docker, &decompress, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_DECOMPRESS,
           "--dest-decompress gunzips");
    tap_is_str(plan.layers[0].media_type, MEDIA_TYPE_DOCKER_LAYER_TAR, "docker uncompressed layer type");
    /* Decompressing depends on the bytes really being gzip: not a certain change. */
    tap_ok(plan.layers[0].sniff && !plan.manifest_changes, "gunzip of a gzip label waits for the bytes");
    layer_plan lp;
    tap_ok(plan_layer_uncompressed(&plan, docker, 0, &lp, err, sizeof(err)) == 0 && lp.action == LAYER_KEEP &&
               !lp.sniff,
           "plain bytes under a gzip label: passed through, not gunzipped");
    tap_is_str(lp.media_type, MEDIA_TYPE_DOCKER_LAYER_GZIP, "... keeping the source's label");
    plan_release(&plan);
    decompress.preserve_digests = 1;
    tap_ok(plan_copy(docker, &decompress, &plan, err, sizeof(err)) == 0 && plan.layers[0].sniff,
           "--preserve-digests with a gzip label to gunzip: decided by the bytes (copy.c refuses real gzip)");
    plan_release(&plan);

    /* A gzip label for a compressing destination: kept, unless the bytes are plain. */
    plan_request docker_compress = {.forced_format = MANIFEST_UNKNOWN,
                                    .desired_compression = FERRY_COMPRESSION_COMPRESS,
                                    .preserve_digests = 1};
    tap_ok(plan_copy(docker, &docker_compress, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_KEEP &&
               plan.layers[0].sniff && !plan.manifest_changes,
           "gzip label to a compressing destination: kept, bytes checked");
    tap_ok(plan_layer_uncompressed(&plan, docker, 0, &lp, err, sizeof(err)) == 0 && lp.action == LAYER_COMPRESS,
           "... plain bytes get gzipped");
    tap_is_str(lp.media_type, MEDIA_TYPE_DOCKER_LAYER_GZIP, "... under the same label");
    plan_release(&plan);
    plan_request oci_compress = {.forced_format = MANIFEST_UNKNOWN, .dest_types = oci_only,
                                 .desired_compression = FERRY_COMPRESSION_COMPRESS};
    tap_ok(plan_copy(docker, &oci_compress, &plan, err, sizeof(err)) == 0 && plan.layers[0].sniff &&
               plan.manifest_changes,
           "docker-archive-like image to oci:: converted, layer bytes checked");
    tap_ok(plan_layer_uncompressed(&plan, docker, 0, &lp, err, sizeof(err)) == 0 && lp.action == LAYER_COMPRESS,
           "... plain bytes get gzipped");
    tap_is_str(lp.media_type, MEDIA_TYPE_OCI_LAYER_GZIP, "... labelled tar+gzip");
    plan_release(&plan);
    plan_request oci_preserve = {.forced_format = MANIFEST_UNKNOWN, .dest_types = oci_only};
    tap_ok(plan_copy(docker, &oci_preserve, &plan, err, sizeof(err)) == 0 && !plan.layers[0].sniff,
           "a destination preserving compression needs no look at the bytes");
    plan_release(&plan);
    tap_ok(plan_copy(oci_tar, &compress, &plan, err, sizeof(err)) == 0 && !plan.layers[0].sniff,
           "a plain label is not sniffed");
    plan_release(&plan);

    plan_request to_v2s2 = {.forced_format = MANIFEST_DOCKER_V2S2};
    tap_ok(plan_copy(oci_zstd, &to_v2s2, &plan, err, sizeof(err)) != 0 && strstr(err, "zstd"),
           "zstd layers cannot become Docker");
    tap_ok(plan_copy(oci_tar, &to_v2s2, &plan, err, sizeof(err)) == 0 && plan.out_kind == MANIFEST_DOCKER_V2S2 &&
               strcmp(plan.config_media_type, MEDIA_TYPE_DOCKER_CONFIG) == 0 && !plan.config_to_oci,
           "--format v2s2 converts OCI, config bytes kept");
    plan_release(&plan);

    plan_request forced_bad = {.forced_format = MANIFEST_DOCKER_V2S2, .dest_types = oci_only};
    tap_ok(plan_copy(docker, &forced_bad, &plan, err, sizeof(err)) != 0 && strstr(err, "does not accept"),
           "forced format the destination refuses");
    plan_request v2s1 = {.forced_format = MANIFEST_DOCKER_V2S1};
    tap_ok(plan_copy(docker, &v2s1, &plan, err, sizeof(err)) == 0 && plan.out_kind == MANIFEST_DOCKER_V2S1 &&
               plan.converting && !plan.config_to_oci,
           "v2s1 output planned (copy_schema1.c builds it)");
    plan_release(&plan);
    tap_ok(plan_copy(oci_zstd, &v2s1, &plan, err, sizeof(err)) != 0 && strstr(err, "schema 1"),
           "zstd into v2s1 refused");

    /* --dest-compress-format: recompression only when asked, into a compressing destination. */
    manifest *oci_gzip = load(MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER_GZIP);
    plan_request zstd_req = {.desired_compression = FERRY_COMPRESSION_COMPRESS, .compress_to = LAYER_COMPRESSION_ZSTD,
                             .compress_explicit = 1};
    tap_ok(plan_copy(oci_gzip, &zstd_req, &plan, err, sizeof(err)) == 0 &&
               plan.layers[0].action == LAYER_RECOMPRESS && plan.layers[0].to == LAYER_COMPRESSION_ZSTD &&
               strcmp(plan.layers[0].media_type, MEDIA_TYPE_OCI_LAYER_ZSTD) == 0 && plan.manifest_changes,
           "gzip to zstd: recompressed, labelled tar+zstd");
    plan_release(&plan);
    plan_request gzip_req = {.desired_compression = FERRY_COMPRESSION_COMPRESS, .compress_to = LAYER_COMPRESSION_GZIP,
                             .compress_explicit = 1};
    tap_ok(plan_copy(oci_gzip, &gzip_req, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_KEEP &&
               !plan.manifest_changes,
           "gzip asked of a gzip layer: kept");
    plan_release(&plan);
    plan_request implicit = {.desired_compression = FERRY_COMPRESSION_COMPRESS};
    tap_ok(plan_copy(oci_zstd, &implicit, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_KEEP,
           "zstd into a compressing destination without a format: kept (containers/image does not default to "
           "recompressing)");
    plan_release(&plan);
    tap_ok(plan_copy(oci_zstd, &gzip_req, &plan, err, sizeof(err)) == 0 &&
               plan.layers[0].action == LAYER_RECOMPRESS && plan.layers[0].to == LAYER_COMPRESSION_GZIP,
           "zstd to an explicit gzip: recompressed");
    plan_release(&plan);
    plan_request chunked = zstd_req;
    chunked.chunked = 1;
    tap_ok(plan_copy(oci_zstd, &chunked, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_RECOMPRESS,
           "zstd to zstd:chunked: recompressed (the bytes cannot tell them apart)");
    plan_release(&plan);
    plan_request preserve_dest = zstd_req;
    preserve_dest.desired_compression = FERRY_COMPRESSION_PRESERVE;
    tap_ok(plan_copy(oci_gzip, &preserve_dest, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_KEEP,
           "a destination keeping compression ignores the format");
    plan_release(&plan);
    tap_ok(plan_copy(oci_tar, &zstd_req, &plan, err, sizeof(err)) == 0 && plan.layers[0].action == LAYER_COMPRESS &&
               plan.layers[0].to == LAYER_COMPRESSION_ZSTD,
           "plain to zstd: compressed");
    plan_release(&plan);
    plan_request pd = zstd_req;
    pd.preserve_digests = 1;
    tap_ok(plan_copy(oci_gzip, &pd, &plan, err, sizeof(err)) != 0 && strstr(err, "--preserve-digests"),
           "--preserve-digests refuses a recompression");

    /* Docker manifests cannot carry zstd: OCI when the destination lists it. */
    static const char *const registry[] = {MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_V2S2, NULL};
    plan_request to_registry = zstd_req;
    to_registry.dest_types = registry;
    tap_ok(plan_copy(docker, &to_registry, &plan, err, sizeof(err)) == 0 && plan.out_kind == MANIFEST_OCI &&
               plan.config_to_oci && strcmp(plan.layers[0].media_type, MEDIA_TYPE_OCI_LAYER_ZSTD) == 0,
           "docker + zstd into a registry: written as OCI");
    plan_release(&plan);
    tap_ok(plan_copy(docker, &zstd_req, &plan, err, sizeof(err)) != 0 && strstr(err, "use --format oci"),
           "docker + zstd into a destination taking anything: refused, naming the way out");
    plan_request forced = to_registry;
    forced.forced_format = MANIFEST_DOCKER_V2S2;
    tap_ok(plan_copy(docker, &forced, &plan, err, sizeof(err)) != 0 && strstr(err, "Docker schema 2"),
           "--format v2s2 + zstd: refused");

    manifest_free(docker);
    manifest_free(oci_tar);
    manifest_free(oci_zstd);
    manifest_free(oci_gzip);
    return tap_done();
}
