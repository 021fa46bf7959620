/* tests/abi/layout.c — prints the layout of every ABI 1.0 struct member
 * ("struct.member offset size", plus version macros and constants), one per
 * line, then "declared ..." lines: the size of every struct, the ABI the
 * module header declares and the constants of later minors that are
 * visible. Built three times: against the frozen 1.0 headers
 * (layout-frozen), against include/ (layout-current), and against include/
 * with FERRY_TARGET_ABI_MINOR=0 (layout-target10). tests/abi/abi.sh checks
 * that every line of the first but the "declared" ones appears unchanged in
 * the second, i.e. that the current headers only ever appended to the 1.0
 * structs and kept every value, and that the third equals the first
 * entirely: targeting 1.0 hides everything added since.
 */
#include <ferry/ferry.h>

#include <inttypes.h>
#include <stdio.h>

#define M(type, member)                                                                            \
    printf("%s.%s %zu %zu\n", #type, #member, offsetof(type, member), sizeof(((type *)0)->member))
#define C(name) printf("%s %" PRIu64 "\n", #name, (uint64_t)(name))
#define S(type) printf("declared sizeof %s %zu\n", #type, sizeof(type))

#ifdef FERRY_TARGET_ABI_MINOR
#define DECLARED_MINOR FERRY_TARGET_ABI_MINOR
#else
#define DECLARED_MINOR FERRY_ABI_MINOR
#endif

int main(void)
{
    printf("FERRY_ABI_MAJOR %d\n", FERRY_ABI_MAJOR);
    printf("FERRY_MODULE_ENTRY_SYMBOL %s\n", FERRY_MODULE_ENTRY_SYMBOL);

    C(FERRY_OK); C(FERRY_ERR_FAILED); C(FERRY_ERR_NOT_FOUND); C(FERRY_ERR_INVALID); C(FERRY_ERR_IO);
    C(FERRY_ERR_DIGEST_MISMATCH); C(FERRY_ERR_UNSUPPORTED); C(FERRY_ERR_CANCELLED); C(FERRY_ERR_AUTH);
    C(FERRY_ERR_NO_MEMORY); C(FERRY_ERR_TOO_LARGE); C(FERRY_ERR_ABI); C(FERRY_ERR_TRANSIENT);
    C(FERRY_CAP_SOURCE); C(FERRY_CAP_DESTINATION); C(FERRY_CAP_PARALLEL_GET); C(FERRY_CAP_PARALLEL_PUT);
    C(FERRY_CAP_BLOB_REUSE); C(FERRY_CAP_CROSS_REPO_MOUNT); C(FERRY_CAP_LAYERS_IN_ORDER);
    C(FERRY_CAP_NEEDS_UNCOMPRESSED); C(FERRY_CAP_COMPUTES_DIFFIDS); C(FERRY_CAP_NEEDS_BLOB_SIZE);
    C(FERRY_CAP_SIGNATURES); C(FERRY_CAP_MULTI_IMAGE); C(FERRY_CAP_MANIFEST_LISTS); C(FERRY_CAP_DELETE);
    C(FERRY_CAP_LIST_TAGS);
    C(FERRY_LOG_ERROR); C(FERRY_LOG_WARNING); C(FERRY_LOG_INFO); C(FERRY_LOG_DEBUG);
    C(FERRY_COMPRESSION_PRESERVE); C(FERRY_COMPRESSION_COMPRESS); C(FERRY_COMPRESSION_DECOMPRESS);
    C(FERRY_BLOB_LAYER); C(FERRY_BLOB_CONFIG);

    M(ferry_core, struct_size); M(ferry_core, abi_major); M(ferry_core, abi_minor);
    M(ferry_core, core_version); M(ferry_core, services);

    M(ferry_services, struct_size); M(ferry_services, log); M(ferry_services, set_error);
    M(ferry_services, get_option); M(ferry_services, get_credentials); M(ferry_services, tmpdir);
    M(ferry_services, progress); M(ferry_services, cancelled); M(ferry_services, digest_is_valid);
    M(ferry_services, hasher_new); M(ferry_services, hasher_update); M(ferry_services, hasher_final);
    M(ferry_services, hasher_free);

    M(ferry_credentials, struct_size); M(ferry_credentials, username); M(ferry_credentials, password);
    M(ferry_credentials, identity_token); M(ferry_credentials, registry_token);

    M(ferry_reader_ops, struct_size); M(ferry_reader_ops, read); M(ferry_reader_ops, close);
    M(ferry_reader_ops, digest); M(ferry_reader_ops, size);
    M(ferry_reader, ops);

    M(ferry_blob_info, struct_size); M(ferry_blob_info, digest); M(ferry_blob_info, size);
    M(ferry_blob_info, media_type); M(ferry_blob_info, kind); M(ferry_blob_info, layer_index);
    M(ferry_blob_info, uncompressed_digest); M(ferry_blob_info, source_reference); M(ferry_blob_info, urls);

    M(ferry_source_ops, struct_size); M(ferry_source_ops, get_manifest); M(ferry_source_ops, get_blob);
    M(ferry_source_ops, get_signatures); M(ferry_source_ops, docker_reference); M(ferry_source_ops, close);
    M(ferry_image_source, ops);

    M(ferry_dest_ops, struct_size); M(ferry_dest_ops, manifest_types);
    M(ferry_dest_ops, desired_layer_compression); M(ferry_dest_ops, try_reuse_blob);
    M(ferry_dest_ops, put_blob); M(ferry_dest_ops, put_manifest); M(ferry_dest_ops, put_signatures);
    M(ferry_dest_ops, commit); M(ferry_dest_ops, close);
    M(ferry_image_dest, ops);

    M(ferry_transport, struct_size); M(ferry_transport, name); M(ferry_transport, description);
    M(ferry_transport, capabilities); M(ferry_transport, validate_reference);
    M(ferry_transport, policy_identity); M(ferry_transport, open_source);
    M(ferry_transport, open_destination); M(ferry_transport, delete_image); M(ferry_transport, list_tags);
    M(ferry_transport, check_credentials);

    M(ferry_module, struct_size); M(ferry_module, abi_major); M(ferry_module, abi_minor);
    M(ferry_module, reserved0); M(ferry_module, reserved1); M(ferry_module, name);
    M(ferry_module, version); M(ferry_module, license); M(ferry_module, transports);
    M(ferry_module, unload);

    static const ferry_module header = {FERRY_MODULE_HEADER};
    printf("declared minor %d, module header %u.%u size %u\n", DECLARED_MINOR, (unsigned)header.abi_major,
           (unsigned)header.abi_minor, (unsigned)header.struct_size);
    S(ferry_core); S(ferry_services); S(ferry_credentials); S(ferry_reader_ops); S(ferry_blob_info);
    S(ferry_source_ops); S(ferry_dest_ops); S(ferry_transport); S(ferry_module);
#ifdef FERRY_CAP_UNCOMPRESSED_LAYERS
    printf("declared FERRY_CAP_UNCOMPRESSED_LAYERS (1.1)\n");
#endif
#ifdef FERRY_REF_FOR_READ
    printf("declared FERRY_REF_FOR_READ (1.4)\n");
#endif
    return 0;
}
