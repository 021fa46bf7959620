#!/bin/bash
# tests/system/schema1.sh — Docker schema 1 against skopeo 1.9.3 and a real
# docker-registry with schema 1 enabled: schema 1 images (signed, with
# throwaway history entries) converted to OCI, v2s2 and docker-archive exactly
# as skopeo converts them (DiffIDs computed on the way, the same config);
# --format v2s1 writing skopeo's payload (the same manifest digest) with a
# signature an independent verifier accepts; pushes, pulls and
# registry-to-registry copies that rename the manifest as skopeo does;
# inspect equal to skopeo's; and the refusals in one line, nothing written.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
need_python
SK="$SKOPEO --insecure-policy"
FY="ferry --insecure-policy"

mkimage --layout oci --manifest oci --layers 3 --layer-size 100K,0,50K --history --labels escape --env A=1 \
    --tag h "$T/img" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }
$SK copy -q --format v2s1 "oci:$T/img:h" "dir:$T/s1" >/dev/null 2>&1 || { echo "Bail out! skopeo v2s1 failed"; exit 1; }
is "the fixture is a signed schema 1 manifest" "$(json "$T/s1/manifest.json" '(j["schemaVersion"], "signatures" in j)')" \
    "(1, True)"

# Reading schema 1.
run_ok "schema 1 into oci:" $FY copy "dir:$T/s1" "oci:$T/f-oci:x"
$SK copy -q "dir:$T/s1" "oci:$T/s-oci:x" >/dev/null 2>&1
same_file "... every file as skopeo writes it (config rebuilt with computed DiffIDs)" <(tree_sums "$T/f-oci") \
    <(tree_sums "$T/s-oci")
run_ok "schema 1 --format v2s2 into dir:" $FY copy --format v2s2 "dir:$T/s1" "dir:$T/f-v2s2"
$SK copy -q --format v2s2 "dir:$T/s1" "dir:$T/s-v2s2" >/dev/null 2>&1
same_file "... every file as skopeo writes it" <(tree_sums "$T/f-v2s2") <(tree_sums "$T/s-v2s2")
is "... its DiffIDs are the original image's" "$(json "$T/f-v2s2/$(json "$T/f-v2s2/manifest.json" 'j["config"]["digest"][7:]')" 'j["rootfs"]["diff_ids"]')" \
    "$(json "$T/img/blobs/sha256/$(json "$(oci_top "$T/img")" 'j["config"]["digest"][7:]')" 'j["rootfs"]["diff_ids"]')"
run_ok "schema 1 into docker-archive:" $FY copy "dir:$T/s1" "docker-archive:$T/f.tar:example.com/s1:1"
$SK copy -q "dir:$T/s1" "docker-archive:$T/s.tar:example.com/s1:1" >/dev/null 2>&1
same_file "... the archive skopeo writes" "$T/f.tar" "$T/s.tar"
run_ok "schema 1 into dir: stays schema 1" $FY copy "dir:$T/s1" "dir:$T/f-same"
same_file "... the manifest byte for byte" "$T/f-same/manifest.json" "$T/s1/manifest.json"
run_status "schema 1 into containers-storage: exit 1" 1 $FY copy "dir:$T/s1" \
    "containers-storage:[vfs@$T/store/root+$T/store/run]example.com/s1:1"
stderr_one_line "... one line saying why" "schema 1"
absent "... no image recorded in the store" "$T/store/root/vfs-images/images.json"

# Unsigned schema 1 (v1+json): the same manifest without its signatures.
mkdir -p "$T/u1"
cp "$T/s1"/* "$T/u1/"
"$PYTHON3" -c 'import json, sys; m = json.load(open(sys.argv[1])); del m["signatures"]; open(sys.argv[1], "w").write(json.dumps(m, indent=3))' \
    "$T/u1/manifest.json"
run_ok "unsigned schema 1 into oci:" $FY copy "dir:$T/u1" "oci:$T/f-u1:x"
$SK copy -q "dir:$T/u1" "oci:$T/s-u1:x" >/dev/null 2>&1
same_file "... skopeo's files" <(tree_sums "$T/f-u1") <(tree_sums "$T/s-u1")
is "... the same image as from the signed one" "$(oci_top "$T/f-u1" | xargs sha256sum | cut -c1-64)" \
    "$(oci_top "$T/f-oci" | xargs sha256sum | cut -c1-64)"

# Writing schema 1.
run_ok "--format v2s1 into dir:" $FY copy --format v2s1 "oci:$T/img:h" "dir:$T/f-s1"
is "... the manifest digest skopeo's has (the same payload)" "$($SKOPEO manifest-digest "$T/f-s1/manifest.json")" \
    "$($SKOPEO manifest-digest "$T/s1/manifest.json")"
is "... ferry's manifest-digest agrees" "$(ferry manifest-digest "$T/f-s1/manifest.json")" \
    "$($SKOPEO manifest-digest "$T/s1/manifest.json")"
is "... the same files (layers and the empty layer, no config)" "$(cd "$T/f-s1" && ls | tr '\n' ' ')" \
    "$(cd "$T/s1" && ls | tr '\n' ' ')"
if /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
    is "... its signature verifies independently (python3-cryptography)" \
        "$(/usr/bin/python3 "$SRCDIR/tests/unit/fixtures/schema1/verify_jws.py" "$T/f-s1/manifest.json")" "ok 1"
else
    skip "... its signature verifies independently" "python3-cryptography missing"
fi
run_ok "... skopeo reads it back into oci:" $SK copy -q "dir:$T/f-s1" "oci:$T/f-s1-back:x"
same_file "... with skopeo's config" "$(oci_top "$T/f-s1-back")" "$(oci_top "$T/s-oci")"
mkimage --layout oci --manifest oci --layers 1 --tag zz --seed 9 "$T/zimg" >/dev/null
$SK copy -q --dest-compress-format zstd "oci:$T/zimg:zz" "oci:$T/zstd:zz" >/dev/null 2>&1
run_status "a zstd image into --format v2s1: exit 1" 1 $FY copy --format v2s1 "oci:$T/zstd:zz" "dir:$T/f-zs1"
stderr_one_line "... one line saying why" "schema 1 manifest"
absent "... nothing written" "$T/f-zs1"

# A registry with schema 1 enabled.
start_registry s1reg --schema1
R="127.0.0.1:$REG_PORT"
run_ok "--format v2s1 pushed" $FY copy --dest-tls-verify=false --format v2s1 "oci:$T/img:h" "docker://$R/s1/f:1"
$SK copy -q --dest-tls-verify=false --format v2s1 "oci:$T/img:h" "docker://$R/s1/s:1" >/dev/null 2>&1
$SK inspect --raw --tls-verify=false "docker://$R/s1/f:1" >"$T/f-pushed.json" 2>/dev/null
is "... named for its repository and tag" "$(json "$T/f-pushed.json" '(j["name"], j["tag"])')" "('s1/f', '1')"
$FY copy --src-tls-verify=false --dest-tls-verify=false "docker://$R/s1/s:1" "docker://$R/s1/f:2" >/dev/null 2>&1
$SK copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$R/s1/s:1" "docker://$R/s1/s:2" >/dev/null 2>&1
$SK inspect --raw --tls-verify=false "docker://$R/s1/f:2" >"$T/f-renamed.json" 2>/dev/null
$SK inspect --raw --tls-verify=false "docker://$R/s1/s:2" >"$T/s-renamed.json" 2>/dev/null
is "registry to registry: renamed as skopeo renames it" "$(json "$T/f-renamed.json" '(j["name"], j["tag"])')" \
    "('s1/f', '2')"
is "... the same layers and history as skopeo's copy" \
    "$(json "$T/f-renamed.json" '(j["fsLayers"], j["history"])' | sha256sum)" \
    "$(json "$T/s-renamed.json" '(j["fsLayers"], j["history"])' | sha256sum)"
run_ok "pulled from the registry into oci:" $FY copy --src-tls-verify=false "docker://$R/s1/s:1" "oci:$T/f-pull:x"
$SK copy -q --src-tls-verify=false "docker://$R/s1/s:1" "oci:$T/s-pull:x" >/dev/null 2>&1
same_file "... skopeo's files" <(tree_sums "$T/f-pull") <(tree_sums "$T/s-pull")
digest=$($SKOPEO inspect --tls-verify=false "docker://$R/s1/s:1" 2>/dev/null | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["Digest"])')
run_ok "pulled by its digest (the payload's: the registry re-signs on every read)" $FY copy --src-tls-verify=false \
    "docker://$R/s1/s@$digest" "oci:$T/f-bydigest:x"
same_file "... the same files" <(tree_sums "$T/f-bydigest") <(tree_sums "$T/s-pull")
run_ok "schema 1 recompressed to zstd into the registry (written as OCI)" $FY copy --dest-tls-verify=false \
    --dest-compress-format zstd "dir:$T/s1" "docker://$R/s1/z:1"
$SK inspect --config --tls-verify=false "docker://$R/s1/z:1" >"$T/z-config.json" 2>/dev/null
is "... its DiffIDs, computed beside the recompression, are the original image's" \
    "$(json "$T/z-config.json" 'j["rootfs"]["diff_ids"]')" \
    "$(json "$T/img/blobs/sha256/$(json "$(oci_top "$T/img")" 'j["config"]["digest"][7:]')" 'j["rootfs"]["diff_ids"]')"
"ferry" --insecure-policy copy --dest-tls-verify=false --dest-precompute-digests --dest-compress-format zstd \
    "dir:$T/s1" "docker://$R/s1/z:2" >"$T/z2.out" 2>&1
is "... again with --dest-precompute-digests: no layer sent, the same manifest" \
    "$(grep -c 'skipped: already exists' "$T/z2.out") $($SK inspect --raw --tls-verify=false "docker://$R/s1/z:2" | sha256sum)" \
    "4 $($SK inspect --raw --tls-verify=false "docker://$R/s1/z:1" | sha256sum)"
for flags in "" "--config" "--config --raw"; do
    is "inspect $flags of the registry's schema 1 equals skopeo's" \
        "$(ferry inspect $flags --tls-verify=false "docker://$R/s1/s:1" 2>&1 | sha256sum)" \
        "$($SKOPEO inspect $flags --tls-verify=false "docker://$R/s1/s:1" 2>&1 | sha256sum)"
done
for flags in "" "--raw" "--config"; do
    is "inspect $flags of dir: schema 1 equals skopeo's" "$(ferry inspect $flags "dir:$T/s1" 2>&1 | sha256sum)" \
        "$($SKOPEO inspect $flags "dir:$T/s1" 2>&1 | sha256sum)"
done
finish
