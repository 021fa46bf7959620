#!/bin/bash
# tests/system/copy.sh — `ferry copy` between dir: and oci: (TAP): tags and
# @INDEX, --format conversions, --preserve-digests, --digestfile, -q,
# --dest-compress / --dest-decompress, layers labelled gzip but stored plain
# (handled by their bytes, as skopeo does), --image-parallel-copies, shared
# blob directories, lists (current platform), destinations that already
# exist, and bounded memory on large layers. Every result is checked by an independent
# checker (tests/fixtures/checkimage.py): blobs present, digests and sizes right.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
V2S2_MANIFEST=application/vnd.docker.distribution.manifest.v2+json

D="$T/img/docker-dir"      # dir:, Docker schema 2, gzip, 3 layers (one empty)
U="$T/img/uncompressed"    # oci layout, OCI manifest, uncompressed layers, tag u
O="$T/img/layout"          # oci layout, OCI manifests, gzip, tags v1 and v2
L="$T/img/list-dir"        # dir:, Docker manifest list amd64 + arm64/v8
LO="$T/img/list-oci"       # oci layout, OCI index amd64 + arm64/v8, tag multi
M="$T/img/many"            # dir:, 8 layers
{
    D_DIGEST=$(mkimage --layers 3 --layer-size 256K,64K,0 --labels many --history --env PATH=/bin "$D") &&
        mkimage --layout oci --manifest oci --compression none --layers 2 --layer-size 128K --tag u "$U" >/dev/null &&
        V1_DIGEST=$(mkimage --layout oci --manifest oci --layers 2 --layer-size 64K --tag v1 --seed 11 "$O") &&
        V2_DIGEST=$(mkimage --layout oci --manifest oci --layers 1 --layer-size 32K --tag v2 --seed 12 "$O") &&
        mkimage --list "$L" >/dev/null &&
        mkimage --layout oci --manifest oci --list --tag multi "$LO" >/dev/null &&
        M_DIGEST=$(mkimage --layers 8 --layer-size 96K --seed 3 "$M")
} || { echo "Bail out! mkimage failed"; exit 1; }
W="$T/w"

# verify KIND SPEC [checkimage options]: one TAP line, image complete and consistent.
verify() {
    local kind=$1 spec=$2; shift 2
    run checkimage verify "$kind" "$spec" "$@"
    if [ "$RC" -eq 0 ]; then ok "$kind:$(basename "$spec") is a complete, consistent image"; else
        not_ok "$kind:$(basename "$spec") is a complete, consistent image" "$(cat "$T/err")"; fi
}
# manifest_digest KIND SPEC: prints the digest of the stored top-level manifest.
manifest_digest() { checkimage verify "$1" "$2" --print digest 2>/dev/null; }
media_type() { checkimage verify "$1" "$2" --print media-type 2>/dev/null; }

# ------------------------------------------------ dir -> dir
run_ok "copy dir: -> dir:" ferry copy -q "dir:$D" "dir:$W/d2d"
verify dir "$W/d2d" --diffids --compression gzip
same_file "dir -> dir keeps manifest.json byte for byte" "$W/d2d/manifest.json" "$D/manifest.json"
same_file "dir -> dir writes the version file" "$W/d2d/version" "$D/version"
is "dir -> dir has exactly the source's files" "$(ls "$W/d2d" | tr '\n' ' ')" "$(ls "$D" | tr '\n' ' ')"

# ------------------------------------------------ dir -> oci (Docker manifest converted)
run_ok "copy dir: -> oci:PATH:TAG" ferry copy -q "dir:$D" "oci:$W/d2o:t1"
verify oci "$W/d2o:t1" --diffids --compression gzip
is "dir (Docker) -> oci stores an OCI manifest" "$(media_type oci "$W/d2o:t1")" "$OCI_MANIFEST"
is "index.json names the image t1" "$(checkimage refs "$W/d2o" | cut -d' ' -f1 | tr '\n' ' ')" "t1 "

# ------------------------------------------------ oci -> oci, oci -> dir
run_ok "copy oci:PATH:TAG -> oci:PATH:TAG" ferry copy -q "oci:$O:v1" "oci:$W/o2o:copy"
verify oci "$W/o2o:copy" --diffids
is "oci -> oci keeps the manifest digest" "$(manifest_digest oci "$W/o2o:copy")" "$V1_DIGEST"
run_ok "copy oci: -> dir:" ferry copy -q "oci:$O:v2" "dir:$W/o2d"
verify dir "$W/o2d" --diffids
is "oci -> dir keeps the manifest digest" "$(manifest_digest dir "$W/o2d")" "$V2_DIGEST"
run_ok "copy oci:PATH:@0 (first index.json entry)" ferry copy -q "oci:$O:@0" "dir:$W/at0"
is "@0 is the first entry (v1)" "$(manifest_digest dir "$W/at0")" "$V1_DIGEST"
run_ok "copy oci:PATH:@1 (second index.json entry)" ferry copy -q "oci:$O:@1" "dir:$W/at1"
is "@1 is the second entry (v2)" "$(manifest_digest dir "$W/at1")" "$V2_DIGEST"
run ferry copy -q "oci:$O" "dir:$W/ambiguous"
is "oci:PATH without a ref on a layout of several images: exit 1" "$RC" 1
stderr_one_line "ambiguous layout: one line naming it" "$O"
absent "ambiguous layout: nothing written" "$W/ambiguous"
run_ok "copy to oci:PATH without a tag" ferry copy -q "oci:$O:v2" "oci:$W/notag"
is "untagged destination: one index.json entry without a ref name" "$(checkimage refs "$W/notag" | cut -d' ' -f1,2)" "- $V2_DIGEST"
run ferry inspect --format '{{.Digest}}' "oci:$W/notag"
is "untagged single-image layout can be read back without a ref" "$RC:$(cat "$T/out")" "0:$V2_DIGEST"

# ------------------------------------------------ --format
run_ok "copy --format v2s2 oci: -> dir:" ferry copy -q --format v2s2 "oci:$O:v1" "dir:$W/to-v2s2"
verify dir "$W/to-v2s2" --diffids --compression gzip
is "--format v2s2 writes a Docker schema 2 manifest" "$(media_type dir "$W/to-v2s2")" "$V2S2_MANIFEST"
is "--format v2s2 keeps the layer blobs" "$(checkimage verify dir "$W/to-v2s2" --print layers)" \
    "$(checkimage verify oci "$O:v1" --print layers)"
run_ok "copy --format oci dir: -> dir:" ferry copy -q --format oci "dir:$D" "dir:$W/to-oci"
verify dir "$W/to-oci" --diffids --compression gzip
is "--format oci writes an OCI manifest" "$(media_type dir "$W/to-oci")" "$OCI_MANIFEST"
is "--format oci keeps the layer blobs" "$(checkimage verify dir "$W/to-oci" --print layers)" \
    "$(checkimage verify dir "$D" --print layers)"
run_ok "copy -f oci of an OCI image" ferry copy -q -f oci "oci:$O:v1" "dir:$W/oci-to-oci"
is "--format of the source's own type changes nothing" "$(manifest_digest dir "$W/oci-to-oci")" "$V1_DIGEST"
run_ok "copy --format=v2s2 then --format=oci round trip" ferry copy -q --format=oci "dir:$W/to-v2s2" "dir:$W/roundtrip"
verify dir "$W/roundtrip" --diffids

# ------------------------------------------------ --preserve-digests
run_ok "--preserve-digests without a change" ferry copy -q --preserve-digests "dir:$D" "dir:$W/pd-same"
is "--preserve-digests keeps the digest" "$(manifest_digest dir "$W/pd-same")" "$D_DIGEST"
for case in "--format oci|dir:$D|dir:$W/pd-fmt" "--format v2s2|oci:$O:v1|dir:$W/pd-fmt2" \
    "--dest-decompress|dir:$D|dir:$W/pd-decomp" "|dir:$D|oci:$W/pd-oci:t"; do
    IFS='|' read -r flags src dst <<<"$case"
    # shellcheck disable=SC2086
    run ferry copy -q --preserve-digests $flags "$src" "$dst"
    is "--preserve-digests refuses a change (${flags:-Docker manifest into oci:}): exit 1" "$RC" 1
    stderr_one_line "--preserve-digests refusal (${flags:-into oci:}): one line" ""
    dpath=${dst#*:}; dpath=${dpath%%:*}
    absent "--preserve-digests refusal (${flags:-into oci:}): nothing written" "$dpath"
done

# ------------------------------------------------ --digestfile
run_ok "--digestfile FILE" ferry copy -q --digestfile "$W/digest.txt" "dir:$D" "dir:$W/df"
is "--digestfile holds the written manifest's digest, no newline" "$(od -An -c "$W/digest.txt" | tr -d ' \n')" \
    "$(printf '%s' "$D_DIGEST" | od -An -c | tr -d ' \n')"
run_ok "--digestfile=FILE with a conversion" ferry copy -q --digestfile="$W/digest2.txt" "dir:$D" "oci:$W/df2:t"
is "--digestfile names the converted manifest" "$(cat "$W/digest2.txt")" "$(manifest_digest oci "$W/df2:t")"

# ------------------------------------------------ -q
run ferry copy "dir:$D" "dir:$W/noisy"
if [ "$RC" -eq 0 ] && { [ -s "$T/out" ] || [ -s "$T/err" ]; }; then ok "copy without -q reports progress"; else
    not_ok "copy without -q reports progress" "exit $RC, no output"; fi
run ferry copy -q "dir:$D" "dir:$W/quiet"
if [ "$RC" -eq 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ]; then ok "copy -q prints nothing"; else
    not_ok "copy -q prints nothing" "exit $RC; stdout: $(head -c 500 "$T/out"); stderr: $(head -c 500 "$T/err")"; fi

# ------------------------------------------------ compression
run_ok "--dest-decompress" ferry copy -q --dest-decompress "dir:$D" "dir:$W/decomp"
verify dir "$W/decomp" --diffids --compression none
is "--dest-decompress: layer digests are the DiffIDs" "$(checkimage verify dir "$W/decomp" --print layers)" \
    "$(checkimage verify dir "$W/decomp" --print diffids)"
is "--dest-decompress keeps the DiffIDs" "$(checkimage verify dir "$W/decomp" --print diffids)" \
    "$(checkimage verify dir "$D" --print diffids)"
run_ok "--dest-compress from uncompressed layers" ferry copy -q --dest-compress "oci:$U:u" "dir:$W/comp"
verify dir "$W/comp" --diffids --compression gzip
is "--dest-compress keeps the DiffIDs" "$(checkimage verify dir "$W/comp" --print diffids)" \
    "$(checkimage verify oci "$U:u" --print diffids)"
run_ok "--dest-compress of gzip layers" ferry copy -q --dest-compress "dir:$D" "dir:$W/comp2"
is "--dest-compress leaves gzip layers as they are" "$(manifest_digest dir "$W/comp2")" "$D_DIGEST"
run_ok "--dest-compress then --dest-decompress round trip" ferry copy -q --dest-decompress "dir:$W/comp" "dir:$W/comp-rt"
is "round trip gives back the uncompressed layers" "$(checkimage verify dir "$W/comp-rt" --print layers)" \
    "$(checkimage verify oci "$U:u" --print layers)"

# ------------------------------------------------ --image-parallel-copies
for n in 1 2 8; do
    run_ok "--image-parallel-copies $n" ferry copy -q --image-parallel-copies "$n" "dir:$M" "dir:$W/par$n"
    is "--image-parallel-copies $n: same image" "$(manifest_digest dir "$W/par$n")" "$M_DIGEST"
    verify dir "$W/par$n" --diffids
done
run_ok "--image-parallel-copies=3 into oci:" ferry copy -q --image-parallel-copies=3 "dir:$M" "oci:$W/par-oci:t"
verify oci "$W/par-oci:t" --diffids

# ------------------------------------------------ shared blob directories
SB="$W/shared-blobs"
run_ok "--dest-shared-blob-dir" ferry copy -q --dest-shared-blob-dir "$SB" "oci:$O:v1" "oci:$W/shared:t"
verify oci "$W/shared:t" --shared-blob-dir "$SB" --diffids
is "--dest-shared-blob-dir: no blob inside the layout" "$(ls -A "$W/shared/blobs/sha256" 2>/dev/null | wc -l)" 0
run ferry inspect --shared-blob-dir "$SB" --format '{{.Digest}}' "oci:$W/shared:t"
is "inspect --shared-blob-dir reads it" "$RC:$(cat "$T/out")" "0:$V1_DIGEST"
run_ok "--src-shared-blob-dir" ferry copy -q --src-shared-blob-dir "$SB" "oci:$W/shared:t" "dir:$W/from-shared"
is "--src-shared-blob-dir: same image" "$(manifest_digest dir "$W/from-shared")" "$V1_DIGEST"

# ------------------------------------------------ lists: the current platform's image
ARCH=$(platform_arch)
# instance LISTFILE ARCH: digest of the list entry for linux/ARCH.
instance() {
    local i
    for i in 0 1; do
        if [ "$(checkimage get "$1" manifests $i platform architecture)" = "$2" ]; then
            checkimage get "$1" manifests $i digest
            return
        fi
    done
}
LO_LIST="$LO/blobs/sha256/$(checkimage refs "$LO" | cut -d' ' -f2 | cut -d: -f2)"
if [ "$ARCH" = amd64 ] || [ "$ARCH" = arm64 ]; then
    run_ok "copy of a Docker manifest list (dir:) -> dir:" ferry copy -q "dir:$L" "dir:$W/list1"
    is "the list's $ARCH image was copied" "$(manifest_digest dir "$W/list1")" "$(instance "$L/manifest.json" "$ARCH")"
    verify dir "$W/list1" --diffids
    run_ok "copy of an OCI index (oci:) -> oci:" ferry copy -q "oci:$LO:multi" "oci:$W/list2:t"
    is "the index's $ARCH image was copied" "$(manifest_digest oci "$W/list2:t")" "$(instance "$LO_LIST" "$ARCH")"
    verify oci "$W/list2:t" --diffids
    run_ok "copy of an OCI index (oci:) -> dir:" ferry copy -q "oci:$LO:multi" "dir:$W/list3"
    is "the index's $ARCH image was copied to dir:" "$(manifest_digest dir "$W/list3")" "$(instance "$LO_LIST" "$ARCH")"
else
    skip "copy of a list picks the current platform" "no list entry for $(uname -m)"
fi
run_ok "--override-arch arm64 picks the arm64 image" ferry --override-arch arm64 copy -q "oci:$LO:multi" "dir:$W/list-arm"
is "arm64/v8 image copied" "$(manifest_digest dir "$W/list-arm")" "$(instance "$LO_LIST" arm64)"
run_ok "--override-arch amd64 picks the amd64 image" ferry --override-arch amd64 copy -q "dir:$L" "dir:$W/list-amd"
is "amd64 image copied" "$(manifest_digest dir "$W/list-amd")" "$(instance "$L/manifest.json" amd64)"
run ferry --override-arch s390x copy -q "dir:$L" "dir:$W/list-none"
if [ "$RC" -ne 0 ] && [ ! -e "$W/list-none" ]; then ok "a list without the requested platform: error, nothing written"; else
    not_ok "a list without the requested platform: error, nothing written" "exit $RC"; fi
# --all copies every instance whatever the machine's platform: no instance is
# chosen (nor fetched twice) before the copy starts.
run_ok "--all with no entry for the requested platform" ferry --override-arch s390x copy -q --all "oci:$LO:multi" \
    "oci:$W/list-all:m"
is "... the list is copied byte for byte" "$(ferry inspect --raw "oci:$W/list-all:m" | sha256sum)" \
    "$(ferry inspect --raw "oci:$LO:multi" | sha256sum)"

# ------------------------------------------------ existing destinations
run_ok "dir: destination holding another image is replaced" ferry copy -q "oci:$O:v2" "dir:$W/d2d"
verify dir "$W/d2d"
is "replaced dir: image has only the new image's files" "$(ls "$W/d2d" | tr '\n' ' ')" "$(ls "$W/o2d" | tr '\n' ' ')"
mkdir -p "$W/precious"
echo "keep me" >"$W/precious/notes.txt"
snapshot "$W/precious" >"$T/snap.precious"
run ferry copy -q "dir:$D" "dir:$W/precious"
is "dir: destination with unrelated files is refused: exit 1" "$RC" 1
stderr_one_line "unrelated files: one line naming the directory" "$W/precious"
unchanged "unrelated files left alone" "$W/precious" "$T/snap.precious"
mkdir -p "$W/empty-dest"
run_ok "empty existing directory as dir: destination" ferry copy -q "dir:$D" "dir:$W/empty-dest"
verify dir "$W/empty-dest"

# ------------------------------------------------ layers labelled gzip, stored plain
# containers/image goes by a layer's bytes, not its label (docker-archive
# sources serve such layers): gzipped for oci:, kept as they are, label too,
# for dir:, never gunzipped. A dir: and an oci: source, each with plain layers
# relabelled gzip.
PG="$T/img/plain-gzip-dir"
PGO="$T/img/plain-gzip-oci"
{
    mkimage --compression none --layers 2 --layer-size 48K,8K --seed 21 "$PG" >/dev/null &&
        mkimage --layout oci --manifest oci --compression none --layers 2 --layer-size 48K,8K --seed 22 \
            --tag p "$PGO" >/dev/null
} || { echo "Bail out! mkimage failed"; exit 1; }
"$PYTHON3" - "$PG" "$PGO" <<'PYEOF' || { echo "Bail out! relabelling failed"; exit 1; }
import hashlib, json, sys
d, o = sys.argv[1], sys.argv[2]
m = json.load(open(d + "/manifest.json"))
for l in m["layers"]:
    l["mediaType"] += ".gzip"
open(d + "/manifest.json", "w").write(json.dumps(m, indent=3))
idx = json.load(open(o + "/index.json"))
desc = idx["manifests"][0]
m = json.load(open(o + "/blobs/sha256/" + desc["digest"][7:]))
for l in m["layers"]:
    l["mediaType"] += "+gzip"
b = json.dumps(m).encode()
desc["digest"], desc["size"] = "sha256:" + hashlib.sha256(b).hexdigest(), len(b)
open(o + "/blobs/sha256/" + desc["digest"][7:], "wb").write(b)
open(o + "/index.json", "w").write(json.dumps(idx))
PYEOF
cd_ids() { # KIND SPEC: config digest and DiffIDs
    echo "$(checkimage verify "$1" "$2" --print config) $(checkimage verify "$1" "$2" --print diffids | tr '\n' ' ')"
}
PG_DIGEST=$(manifest_digest dir "$PG")
for src in "dir:$PG" "oci:$PGO:p"; do
    n=${src%%:*}
    run_ok "$n: plain layers labelled gzip to oci:" ferry copy -q "$src" "oci:$W/pg-$n-oci:t"
    check "$n: ... are gzipped (by bytes and label), DiffIDs kept" \
        checkimage verify oci "$W/pg-$n-oci:t" --diffids --compression gzip
    run_ok "$n: plain layers labelled gzip to dir:" ferry copy -q "$src" "dir:$W/pg-$n-dir"
    is "$n: ... are stored as they are" "$(gzip_layer_count "$W/pg-$n-dir")" 0
    run_ok "$n: plain layers labelled gzip to dir: --dest-decompress" \
        ferry copy -q --dest-decompress "$src" "dir:$W/pg-$n-dec"
    is "$n: ... are not gunzipped, manifest unchanged" "$(manifest_digest dir "$W/pg-$n-dec")" \
        "$(manifest_digest dir "$W/pg-$n-dir")"
    run_ok "$n: ... --preserve-digests to dir: --dest-decompress (no change)" \
        ferry copy -q --preserve-digests --dest-decompress "$src" "dir:$W/pg-$n-pd"
    check "$n: ... to dir: complete, DiffIDs match" checkimage verify dir "$W/pg-$n-dec" --diffids
    if [ "$HAVE_SKOPEO" = 1 ]; then
        run_ok "$n: skopeo copies it to oci: and dir: (setup)" \
            sh -c 'skopeo copy -q "$1" "oci:$2-oci:t" && skopeo copy -q "$1" "dir:$2-dir"' - "$src" "$W/pg-$n-s"
        is "$n: to oci: skopeo's config digest and DiffIDs" "$(cd_ids oci "$W/pg-$n-oci:t")" \
            "$(cd_ids oci "$W/pg-$n-s-oci:t")"
        is "$n: to oci: skopeo's layer media types" "$(checkimage verify oci "$W/pg-$n-oci:t" --print layer-types)" \
            "$(checkimage verify oci "$W/pg-$n-s-oci:t" --print layer-types)"
        is "$n: to dir: skopeo's manifest digest" "$(manifest_digest dir "$W/pg-$n-dir")" \
            "$(manifest_digest dir "$W/pg-$n-s-dir")"
    else
        skip "$n: same as skopeo" "skopeo not installed"
    fi
done
is "dir: to dir: keeps the source's manifest digest" "$(manifest_digest dir "$W/pg-dir-dir")" "$PG_DIGEST"
is "oci: to oci: to dir: keeps the layers' labels" "$(checkimage verify dir "$W/pg-oci-dir" --print layer-types | sort -u)" \
    "application/vnd.oci.image.layer.v1.tar+gzip"
# A real gzip layer still gets decompressed, and --preserve-digests refuses
# that once the layer's bytes show it (the plan cannot know it beforehand).
run ferry copy -q --preserve-digests --dest-decompress "dir:$D" "dir:$W/pd-real-gzip"
is "--preserve-digests refuses decompressing a real gzip layer: exit 1" "$RC" 1
stderr_one_line "... in one line naming the layer" "--preserve-digests" "would be decompressed"
absent "... nothing written" "$W/pd-real-gzip"

# ------------------------------------------------ memory stays bounded on large layers
BIG="$T/img/big"
if mkimage --layout oci --manifest oci --layers 2 --layer-size 48M --gzip-level 1 --tag big "$BIG" >/dev/null; then
    for dst in "oci:$W/big-oci:big" "dir:$W/big-dir"; do
        read -r kib status < <(peak_rss_kib "$T/bin/ferry" copy -q "oci:$BIG:big" "$dst")
        is "copy of 2 x 48 MB layers to ${dst%%:*}: exit 0" "$status" 0
        rss_below "copy of 2 x 48 MB layers to ${dst%%:*}" "$kib" 12288
    done
    verify oci "$W/big-oci:big" --diffids
else
    not_ok "large fixture generated"
fi

finish
