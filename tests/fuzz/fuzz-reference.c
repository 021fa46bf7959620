/* tests/fuzz/fuzz-reference.c — libFuzzer target: image references in each
 * grammar ferry parses them with. The first input byte picks the parser,
 * the rest is the reference text:
 *   0 the core's "transport:rest" split (core/image/reference.c)
 *   1 docker/reference.ParseNormalizedNamed (core/image/docker_ref.c) and
 *     the docker grammar pieces (core/shared/docker_grammar.c)
 *   2 docker://NAME (plugins/docker/reference.c over plugins/common/docker_name.c)
 *   3 oci: and oci-archive: PATH[:NAME|:@INDEX] (plugins/oci/reference.c)
 *   4 dir:PATH (plugins/dir/reference.c)
 *   5 docker-archive:PATH[:NAME|:@INDEX] (plugins/docker-archive/reference.c, names.c)
 *   6 containers-storage:[DRIVER@ROOT+RUNROOT:OPTS]NAME@ID (plugins/containers-storage/reference.c)
 *   7 ostree:IMAGE@/REPO (plugins/ostree/reference.c)
 *   8 docker-daemon:NAME|ID (plugins/docker-daemon/reference.c)
 * The modules' sources are linked in; their services table is the core's. */
#include "fuzz_common.h"

#include "image/docker_ref.h"
#include "image/reference.h"
#include "shared/docker_grammar.h"

#include "cs.h"
#include "daemon.h"
#include "dir.h"
#include "docker.h"
#include "oci.h"
#include "ostree_transport.h"
#include "archive.h"

const ferry_services *docker_services(void) { return services_table(); }
const ferry_services *oci_services(void) { return services_table(); }
const ferry_services *dir_services(void) { return services_table(); }
const ferry_services *dockarch_services(void) { return services_table(); }
const ferry_services *dockerd_services(void) { return services_table(); }

static void fuzz_core_split(const char *text)
{
    image_name name;
    char err[512];
    if (reference_parse(text, &name, err, sizeof err) == 0) {
        char repo[1024];
        reference_repository(name.rest, repo, sizeof repo);
    }
    (void)reference_transport_name_is_valid(text);
}

static void fuzz_docker_normalized(const char *text, size_t len)
{
    docker_ref ref;
    char err[512];
    if (docker_ref_parse_normalized(text, len, &ref, err, sizeof err) == 0) {
        /* String() parses back to itself. */
        docker_ref again;
        if (docker_ref_parse_normalized(ref.string, strlen(ref.string), &again, err, sizeof err) != 0 ||
            strcmp(again.string, ref.string) != 0)
            abort();
        docker_ref_free(&again);
        docker_ref_free(&ref);
    }
    (void)docker_grammar_component(text, len);
    (void)docker_grammar_domain(text, len);
    (void)docker_grammar_path(text, len);
    (void)docker_grammar_tag(text, len);
}

static void fuzz_docker(ferry_ctx *ctx, const char *text)
{
    docker_reference ref;
    if (docker_reference_parse(ctx, text, &ref) == FERRY_OK)
        docker_reference_free(&ref);
    char buf[1024];
    (void)docker_policy_identity(ctx, text, buf, sizeof buf);
    if (docker_reference_for_registry(ctx, text, &ref) == FERRY_OK)
        docker_reference_free(&ref);
}

static void fuzz_oci(ferry_ctx *ctx, const char *text)
{
    oci_reference ref;
    (void)oci_reference_parse_as(ctx, "oci-archive", text, &ref);
    oci_reference_free(&ref);
    (void)oci_destination_reference(ctx, "oci", text, &ref);
    oci_reference_free(&ref);
    char buf[4096];
    (void)oci_policy_identity(ctx, text, buf, sizeof buf);
}

static void fuzz_dir(ferry_ctx *ctx, const char *text)
{
    char buf[4096];
    (void)dir_validate_reference(ctx, text);
    (void)dir_policy_identity(ctx, text, buf, sizeof buf);
}

static void fuzz_docker_archive(ferry_ctx *ctx, const char *text)
{
    dockarch_reference ref;
    (void)dockarch_reference_parse(ctx, text, &ref);
    dockarch_reference_free(&ref);
    char buf[4096];
    (void)dockarch_policy_identity(ctx, text, buf, sizeof buf);
}

static void fuzz_containers_storage(const char *text)
{
    cs_reference ref;
    char err[1024];
    (void)cs_reference_parse(text, &ref, err, sizeof err);
    cs_reference_free(&ref);
}

static void fuzz_ostree(const char *text)
{
    ot_reference ref;
    char err[1024];
    (void)ot_reference_parse(text, &ref, err, sizeof err);
    ot_reference_free(&ref);
}

static void fuzz_docker_daemon(ferry_ctx *ctx, const char *text)
{
    dockerd_reference ref;
    (void)dockerd_reference_parse(ctx, text, &ref);
    dockerd_reference_free(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = fuzz_cstring(data + 1, size - 1);
    ferry_ctx ctx;
    fuzz_ctx_init(&ctx);
    switch (data[0] % 9) {
    case 0: fuzz_core_split(text); break;
    case 1: fuzz_docker_normalized((const char *)data + 1, size - 1); break;
    case 2: fuzz_docker(&ctx, text); break;
    case 3: fuzz_oci(&ctx, text); break;
    case 4: fuzz_dir(&ctx, text); break;
    case 5: fuzz_docker_archive(&ctx, text); break;
    case 6: fuzz_containers_storage(text); break;
    case 7: fuzz_ostree(text); break;
    case 8: fuzz_docker_daemon(&ctx, text); break;
    }
    free(text);
    return 0;
}
