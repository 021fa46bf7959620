#!/bin/bash
# tests/system/zstd-compress.sh — --dest-compress-format, --dest-compress-level
# and --dest-force-compress-format against skopeo 1.9.3 and a real
# docker-registry: layers recompressed to zstd only where skopeo does it
# (compressing destinations, an explicit format), read back by skopeo with the
# source's DiffIDs and the same config; zstd output by ferry decompresses to
# the same tar as skopeo's; a Docker manifest becomes an OCI one when the
# destination takes both and fails in one line when the format is forced or
# the destination takes anything; levels honoured and refused out of range;
# --dest-precompute-digests finding recompressed layers at the registry.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
need_python
trap '_fx_st=$?; _fx_cleanup; unmount_below_t; (exit $_fx_st); _tap_exit' EXIT
SK="$SKOPEO --insecure-policy"
FY="ferry --insecure-policy"
layer_types() { json "$1" '" ".join(l["mediaType"].replace("+", ".").rsplit(".", 1)[1] for l in j["layers"])'; }
# sha256 of each layer of a dir: image decompressed by zstd(1)/gzip(1) — an
# independent decoder — in manifest order.
plain_digests() {
    local d=$1 out="" l
    for l in $(json "$d/manifest.json" '" ".join(l["digest"][7:] for l in j["layers"])'); do
        case $(head -c4 "$d/$l" | od -An -tx1 | tr -d ' ') in
        28b52ffd) out+="$(zstd -dc <"$d/$l" | sha256sum | cut -c1-64) " ;;
        1f8b08*) out+="$(gzip -dc <"$d/$l" | sha256sum | cut -c1-64) " ;;
        *) out+="$(sha256sum <"$d/$l" | cut -c1-64) " ;;
        esac
    done
    echo "$out"
}
diff_ids() { json "$1" '" ".join(d[7:] for d in j["rootfs"]["diff_ids"]) + " "'; }

mkimage --layout oci --manifest oci --layers 3 --layer-size 300K,64K,0 --tag g "$T/gz" >/dev/null
mkimage --layout oci --manifest oci --compression none --layers 2 --layer-size 200K --tag u "$T/plain" >/dev/null
mkimage --layout dir --manifest docker --layers 2 --layer-size 100K --seed 7 "$T/docker" >/dev/null
$SK copy -q --dest-compress-format zstd "oci:$T/gz:g" "oci:$T/skz:g" >/dev/null 2>&1

# gzip -> zstd into an OCI layout, as skopeo does it.
run_ok "gzip layers recompressed to zstd into oci:" $FY copy --dest-compress-format zstd "oci:$T/gz:g" "oci:$T/fz:g"
is "... every layer labelled tar+zstd, as skopeo labels them" "$(layer_types "$(oci_top "$T/fz")")" \
    "$(layer_types "$(oci_top "$T/skz")")"
is "... the layers really are zstd frames" \
    "$(for f in $(json "$(oci_top "$T/fz")" '" ".join(l["digest"][7:] for l in j["layers"])'); do
        head -c4 "$T/fz/blobs/sha256/$f" | od -An -tx1 | tr -d ' '; done | sort -u)" "28b52ffd"
is "... the same config as skopeo's (DiffIDs unchanged)" "$(json "$(oci_top "$T/fz")" 'j["config"]["digest"]')" \
    "$(json "$(oci_top "$T/skz")" 'j["config"]["digest"]')"
run_ok "skopeo reads ferry's zstd image back" $SK copy -q --dest-decompress "oci:$T/fz:g" "dir:$T/fz-back"
$SK copy -q --dest-decompress "oci:$T/skz:g" "dir:$T/skz-back" >/dev/null 2>&1
same_file "... into the same plain layers as skopeo's zstd image" <(plain_digests "$T/fz-back") \
    <(plain_digests "$T/skz-back")
$SK copy -q "oci:$T/fz:g" "dir:$T/fz-dir" >/dev/null 2>&1
is "zstd(1) decompresses each layer to its DiffID" "$(plain_digests "$T/fz-dir")" "$(diff_ids "$T/fz-dir/$(json "$T/fz-dir/manifest.json" 'j["config"]["digest"][7:]')")"
fz_size=$(json "$(oci_top "$T/fz")" 'sum(l["size"] for l in j["layers"])')
skz_size=$(json "$(oci_top "$T/skz")" 'sum(l["size"] for l in j["layers"])')
check "ferry's zstd at the default level is within 5% of skopeo's size ($fz_size vs $skz_size)" \
    test $((fz_size * 100)) -le $((skz_size * 105))
run_ok "the same copy twice gives the same bytes" $FY copy --dest-compress-format zstd "oci:$T/gz:g" "oci:$T/fz2:g"
is "... (libzstd's output does not depend on its threads)" "$(json "$T/fz2/index.json" 'j["manifests"][0]["digest"]')" \
    "$(json "$T/fz/index.json" 'j["manifests"][0]["digest"]')"

# Back to gzip: zstd -> gzip only when asked, as skopeo.
run_ok "zstd image copied on without a format: kept zstd" $FY copy "oci:$T/fz:g" "oci:$T/keep:g"
is "... the same manifest" "$(json "$T/keep/index.json" 'j["manifests"][0]["digest"]')" \
    "$(json "$T/fz/index.json" 'j["manifests"][0]["digest"]')"
run_ok "--dest-compress-format gzip recompresses zstd to gzip" $FY copy --dest-compress-format gzip "oci:$T/fz:g" \
    "oci:$T/back-gz:g"
is "... labelled tar+gzip" "$(layer_types "$(oci_top "$T/back-gz")")" "gzip gzip gzip"
$SK copy -q "oci:$T/back-gz:g" "dir:$T/back-gz-dir" >/dev/null 2>&1
is "... gzip(1) decompresses each to its DiffID" "$(plain_digests "$T/back-gz-dir")" \
    "$(diff_ids "$T/back-gz-dir/$(json "$T/back-gz-dir/manifest.json" 'j["config"]["digest"][7:]')")"

# dir keeps the source's compression unless --dest-compress or forced.
run_ok "dir: without --dest-compress the format changes nothing" $FY copy --dest-compress-format zstd \
    "oci:$T/gz:g" "dir:$T/d-keep"
is "... layers stay gzip (skopeo: the same)" "$(layer_types "$T/d-keep/manifest.json")" "gzip gzip gzip"
run_ok "dir: --dest-force-compress-format makes them zstd" $FY copy --dest-force-compress-format \
    --dest-compress-format zstd "oci:$T/gz:g" "dir:$T/d-force"
is "... labelled tar+zstd" "$(layer_types "$T/d-force/manifest.json")" "zstd zstd zstd"
run_status "--dest-force-compress-format alone: exit 1" 1 $FY copy --dest-force-compress-format "oci:$T/gz:g" \
    "dir:$T/d-force2"
stderr_one_line "... one line naming the missing flag" "--dest-compress-format"
absent "... nothing written" "$T/d-force2"

# Plain layers compressed with zstd directly.
run_ok "plain layers into oci: with zstd" $FY copy --dest-compress-format zstd "oci:$T/plain:u" "oci:$T/pz:u"
is "... labelled tar+zstd" "$(layer_types "$(oci_top "$T/pz")")" "zstd zstd"
$SK copy -q "oci:$T/pz:u" "dir:$T/pz-dir" >/dev/null 2>&1
is "... skopeo copies them out and zstd(1) gives the DiffIDs" "$(plain_digests "$T/pz-dir")" \
    "$(diff_ids "$T/pz-dir/$(json "$T/pz-dir/manifest.json" 'j["config"]["digest"][7:]')")"

# Docker schema 2 cannot carry zstd.
run_ok "docker image into oci: with zstd: converted to OCI, as skopeo" $FY copy --dest-compress-format zstd \
    "dir:$T/docker" "oci:$T/dz:d"
is "... an OCI manifest with zstd layers" "$(json "$(oci_top "$T/dz")" 'j["mediaType"]') $(layer_types "$(oci_top "$T/dz")")" \
    "application/vnd.oci.image.manifest.v1+json zstd zstd"
$SK copy -q --dest-compress-format zstd "dir:$T/docker" "oci:$T/sdz:d" >/dev/null 2>&1
is "... with skopeo's config" "$(json "$(oci_top "$T/dz")" 'j["config"]["digest"]')" \
    "$(json "$(oci_top "$T/sdz")" 'j["config"]["digest"]')"
run_status "docker image into dir: with zstd (dir keeps the type, as skopeo): exit 1" 1 $FY copy --dest-compress \
    --dest-compress-format zstd "dir:$T/docker" "dir:$T/dz-dir"
stderr_one_line "... one line naming the layer and the way out" "use --format oci"
absent "... nothing written" "$T/dz-dir"
run_status "--format v2s2 with zstd into a registry: exit 1" 1 $FY copy --format v2s2 --dest-compress-format zstd \
    "oci:$T/gz:g" "docker://127.0.0.1:1/x:1"
stderr_one_line "... one line saying why" "zstd-compressed layers cannot be stored in a Docker schema 2 manifest"

# A registry takes both: the Docker image is pushed as OCI with zstd layers.
start_registry reg
R="127.0.0.1:$REG_PORT"
run_ok "docker image pushed with zstd" $FY copy --dest-tls-verify=false --dest-compress-format zstd "dir:$T/docker" \
    "docker://$R/z/d:1"
$SK inspect --raw --tls-verify=false "docker://$R/z/d:1" >"$T/pushed.json" 2>/dev/null
is "... stored as OCI with zstd layers" "$(json "$T/pushed.json" 'j["mediaType"]') $(layer_types "$T/pushed.json")" \
    "application/vnd.oci.image.manifest.v1+json zstd zstd"
run_ok "... skopeo pulls it" $SK copy -q --src-tls-verify=false "docker://$R/z/d:1" "dir:$T/pulled"
is "... and zstd(1) gives the DiffIDs" "$(plain_digests "$T/pulled")" \
    "$(diff_ids "$T/pulled/$(json "$T/pulled/manifest.json" 'j["config"]["digest"][7:]')")"

# zstd:chunked: skopeo's annotation keys, a blob any zstd reader reads, and
# podman 4.3.1 pulling it partially (by its table of contents; overlay stores
# only) into a private store whose files are the image's.
run_ok "zstd:chunked into oci:" $FY copy --dest-compress-format zstd:chunked "oci:$T/gz:g" "oci:$T/zc:g"
$SK copy -q --dest-compress-format zstd:chunked "oci:$T/gz:g" "oci:$T/skzc:g" >/dev/null 2>&1
is "... the layers carry skopeo's annotation keys" \
    "$(json "$(oci_top "$T/zc")" '[sorted(l.get("annotations", {})) for l in j["layers"]]')" \
    "$(json "$(oci_top "$T/skzc")" '[sorted(l.get("annotations", {})) for l in j["layers"]]')"
is "... each position names the table of contents' frame, before the footer" \
    "$("$PYTHON3" - "$T/zc" <<'PYEOF'
import json, struct, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
ok = []
for l in m["layers"]:
    blob = open(d + "/blobs/sha256/" + l["digest"][7:], "rb").read()
    off, length, ulen, kind = map(int, l["annotations"]["io.containers.zstd-chunked.manifest-position"].split(":"))
    footer = blob[-40:]
    ok.append(footer[-8:] == b"GnUlInUx" and struct.unpack("<QQQ", footer[:24]) == (off, length, ulen)
              and blob[off:off + 4] == bytes([0x28, 0xb5, 0x2f, 0xfd]) and kind == 1)
print(all(ok) and len(ok) == len(m["layers"]))
PYEOF
)" "True"
$SK copy -q "oci:$T/zc:g" "dir:$T/zc-dir" >/dev/null 2>&1
is "... zstd(1) decompresses every layer to its DiffID" "$(plain_digests "$T/zc-dir")" \
    "$(diff_ids "$T/zc-dir/$(json "$T/zc-dir/manifest.json" 'j["config"]["digest"][7:]')")"

# --dest-precompute-digests: a layer compressed on the way is looked up by its
# new digest before it is sent.
run_ok "plain layers pushed with zstd" $FY copy --dest-tls-verify=false --dest-compress-format zstd "oci:$T/plain:u" \
    "docker://$R/z/p:1"
"ferry" --insecure-policy copy --dest-tls-verify=false --dest-precompute-digests --dest-compress-format zstd \
    "oci:$T/plain:u" "docker://$R/z/p:2" >"$T/pre.out" 2>&1
is "again with --dest-precompute-digests: both layers found, not sent" "$(grep -c 'skipped: already exists' "$T/pre.out")" 2
"ferry" --insecure-policy copy --dest-tls-verify=false --dest-compress-format zstd "oci:$T/plain:u" \
    "docker://$R/z/p:3" >"$T/nopre.out" 2>&1
is "... without it they are sent again" "$(grep -c 'skipped: already exists' "$T/nopre.out")" 0
is "... the same manifest either way" "$($SK inspect --raw --tls-verify=false "docker://$R/z/p:2" | sha256sum)" \
    "$($SK inspect --raw --tls-verify=false "docker://$R/z/p:3" | sha256sum)"

if command -v podman >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    run_ok "zstd:chunked pushed to the registry" $FY copy --dest-tls-verify=false "oci:$T/zc:g" "docker://$R/z/chunked:1"
    mkdir -p "$T/podman"
    printf '[storage]\ndriver = "overlay"\nrunroot = "%s/run"\ngraphroot = "%s/graph"\n[storage.options]\npull_options = {enable_partial_images = "true", use_hard_links = "false", ostree_repos = ""}\n' \
        "$T/podman" "$T/podman" >"$T/podman/storage.conf"
    PODMAN=(env CONTAINERS_STORAGE_CONF="$T/podman/storage.conf" podman --root "$T/podman/graph"
        --runroot "$T/podman/run" --storage-driver overlay)
    "${PODMAN[@]}" --log-level=debug pull --tls-verify=false "$R/z/chunked:1" >"$T/podman/pull.log" 2>&1
    is "podman pulls every layer partially" "$(grep -c 'Retrieved partial blob' "$T/podman/pull.log")" \
        "$(json "$(oci_top "$T/zc")" 'len(j["layers"])')"
    mnt=$("${PODMAN[@]}" image mount "$R/z/chunked:1" 2>/dev/null)
    mkdir -p "$T/podman/expect"
    for l in $(json "$(oci_top "$T/gz")" '" ".join(l["digest"][7:] for l in j["layers"])'); do
        tar -xzf "$T/gz/blobs/sha256/$l" -C "$T/podman/expect"
    done
    same_file "... and its files are the image's" <(cd "$T/podman/expect" && find . -type f | LC_ALL=C sort | xargs sha256sum) \
        <(cd "${mnt:-/nonexistent}" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    "${PODMAN[@]}" image unmount -a >/dev/null 2>&1
else
    skip "podman partial pull" "needs podman and root"
    skip "podman's files" "needs podman and root"
fi

# Levels.
run_ok "gzip level 9" $FY copy --dest-compress-level 9 "oci:$T/plain:u" "oci:$T/l9:u"
run_ok "gzip level 1" $FY copy --dest-compress-level 1 "oci:$T/plain:u" "oci:$T/l1:u"
l9=$(json "$(oci_top "$T/l9")" 'sum(l["size"] for l in j["layers"])')
l1=$(json "$(oci_top "$T/l1")" 'sum(l["size"] for l in j["layers"])')
check "... level 9 is smaller than level 1 ($l9 < $l1)" test "$l9" -lt "$l1"
run_ok "gzip level 0 (stored)" $FY copy --dest-compress-level 0 "oci:$T/plain:u" "oci:$T/l0:u"
l0=$(json "$(oci_top "$T/l0")" 'sum(l["size"] for l in j["layers"])')
check "... larger than the input ($l0 > 409600)" test "$l0" -gt 409600
$SK copy -q "oci:$T/l9:u" "dir:$T/l9-dir" >/dev/null 2>&1
is "... level 9 layers decompress to their DiffIDs" "$(plain_digests "$T/l9-dir")" \
    "$(diff_ids "$T/l9-dir/$(json "$T/l9-dir/manifest.json" 'j["config"]["digest"][7:]')")"
run_ok "zstd level 19" $FY copy --dest-compress-format zstd --dest-compress-level 19 "oci:$T/plain:u" "oci:$T/z19:u"
run_ok "zstd level 1" $FY copy --dest-compress-format zstd --dest-compress-level 1 "oci:$T/plain:u" "oci:$T/z1:u"
z19=$(json "$(oci_top "$T/z19")" 'sum(l["size"] for l in j["layers"])')
z1=$(json "$(oci_top "$T/z1")" 'sum(l["size"] for l in j["layers"])')
check "... level 19 is smaller than level 1 ($z19 < $z1)" test "$z19" -lt "$z1"
run_status "gzip level 10: exit 1" 1 $FY copy --dest-compress-level 10 "oci:$T/plain:u" "oci:$T/l10:u"
stderr_one_line "... one line with the valid range" "-2 to 9"
absent "... nothing written" "$T/l10"
run_status "zstd level 23: exit 1" 1 $FY copy --dest-compress-format zstd --dest-compress-level 23 "oci:$T/plain:u" \
    "oci:$T/z23:u"
stderr_one_line "... one line with the valid range" "to 22"
run_status "an unknown format: exit 1" 1 $FY copy --dest-compress-format lz4 "oci:$T/plain:u" "oci:$T/lz4:u"
stderr_one_line "... one line naming it and the choices" "\"lz4\""
absent "... nothing written" "$T/lz4"
run_status "--preserve-digests refuses a recompression" 1 $FY copy --preserve-digests --dest-compress-format zstd \
    "oci:$T/gz:g" "oci:$T/pd:g"
stderr_one_line "... in one line" "preserve-digests"
absent "... nothing written" "$T/pd"
finish
