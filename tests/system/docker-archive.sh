#!/bin/bash
# tests/system/docker-archive.sh — the docker-archive: transport (TAP):
# round trips through docker save archives (and oci -> docker-archive ->
# oci-archive -> dir -> docker-archive -> oci, each hop against skopeo's copy
# of the same hop), interoperability with Debian's
# skopeo both ways (archives written byte-identical, same config digest and
# DiffIDs), inspect (also --raw) and list-tags byte for byte as skopeo,
# skopeo's digests when copying to dir: (plain layers kept under the gzip
# label skopeo gives them) and its compressed layers to oci:, /dev/stdout and
# /dev/stdin streams, broken archives refused with one line and nothing left
# behind, layers stored gzip-compressed served decompressed. Archives of a real `docker
# save` and `docker load` of ferry's archives: tests/system/docker-daemon.sh.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

O="$T/img/layout"
{
    mkimage --layout oci --manifest oci --layers 3 --layer-size 64K,8K,0 --tag v1 --seed 11 "$O" >/dev/null
} || { echo "Bail out! mkimage failed"; exit 1; }
W="$T/w"
TMP="$T/tmp"

# config_and_diffids REF: the config digest and DiffIDs of an image, as
# skopeo (or, without it, ferry) reports them.
config_and_diffids() {
    local tool=ferry
    [ "$HAVE_SKOPEO" = 1 ] && tool=skopeo
    "$tool" inspect --config --raw "$1" | "$PYTHON3" -c '
import hashlib, json, sys
b = sys.stdin.buffer.read()
print("sha256:" + hashlib.sha256(b).hexdigest(), *json.loads(b)["rootfs"]["diff_ids"])'
}

WANT=$(config_and_diffids "oci:$O:v1")

# ---- round trip oci -> docker-archive -> oci
run_ok "copy oci to docker-archive" ferry copy -q "oci:$O:v1" "docker-archive:$W/a.tar:repo/a:tag1"
run_ok "copy docker-archive to oci" ferry copy -q "docker-archive:$W/a.tar" "oci:$W/back:t"
is "round trip keeps config digest and DiffIDs" "$(config_and_diffids "oci:$W/back:t")" "$WANT"
run_ok "select by tag" ferry inspect --raw "docker-archive:$W/a.tar:repo/a:tag1"
run_ok "select by normalised tag" ferry inspect --raw "docker-archive:$W/a.tar:docker.io/repo/a:tag1"
run_ok "select by @0" ferry inspect --raw "docker-archive:$W/a.tar:@0"
run_status "unknown tag is not found (exit 1, as skopeo 1.10+ for docker-archive:)" 1 ferry inspect --raw "docker-archive:$W/a.tar:repo/a:nope"
run_status "@1 of a one-image archive is not found (exit 1)" 1 ferry inspect --raw "docker-archive:$W/a.tar:@1"
run_status "an index is refused as a destination" 1 ferry copy -q "oci:$O:v1" "docker-archive:$W/idx.tar:@0"
absent "nothing written for a refused destination" "$W/idx.tar"
is "no temporary file left next to the archive" "$(ls -A "$W" | grep -c '^\.ferry' || true)" 0

run_ok "list-tags" ferry list-tags "docker-archive:$W/a.tar"
is "list-tags prints the RepoTags" "$(tr -d ' \n' <"$T/out")" '{"Tags":["docker.io/repo/a:tag1"]}'
run_ok "copy without a tag" ferry copy -q "oci:$O:v1" "docker-archive:$W/untagged.tar"
run_ok "list-tags of an untagged image" ferry list-tags "docker-archive:$W/untagged.tar"
is "untagged images are listed as @N" "$(tr -d ' \n' <"$T/out")" '{"Tags":["@0"]}'

# ---- skopeo interoperability
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo writes an archive (setup)" skopeo copy -q "oci:$O:v1" "docker-archive:$W/s.tar:repo/a:tag1"
    same_file "ferry writes the same archive as skopeo, byte for byte" "$W/a.tar" "$W/s.tar"
    run_ok "skopeo writes an untagged archive (setup)" skopeo copy -q "oci:$O:v1" "docker-archive:$W/su.tar"
    same_file "same untagged archive as skopeo" "$W/untagged.tar" "$W/su.tar"
    run_ok "ferry reads skopeo's archive" ferry copy -q "docker-archive:$W/s.tar:repo/a:tag1" "oci:$W/fs:t"
    is "same config digest and DiffIDs from skopeo's archive" "$(config_and_diffids "oci:$W/fs:t")" "$WANT"
    run_ok "skopeo reads ferry's archive" skopeo copy -q "docker-archive:$W/a.tar" "oci:$W/sf:t"
    is "skopeo gets the same config digest and DiffIDs" "$(config_and_diffids "oci:$W/sf:t")" "$WANT"
    # skopeo labels the plain layers it serves ".tar.gzip" (digest = DiffID):
    # so does ferry, hence the same manifest, Digest and LayersData.
    for arg in "" --raw; do
        run ferry inspect $arg "docker-archive:$W/a.tar"
        cp "$T/out" "$T/fi.json"
        run skopeo inspect $arg "docker-archive:$W/a.tar"
        same_file "inspect ${arg:+$arg }matches skopeo byte for byte" "$T/fi.json" "$T/out"
    done
    run ferry inspect --raw "docker-archive:$W/s.tar:repo/a:tag1"
    cp "$T/out" "$T/fi.json"
    run skopeo inspect --raw "docker-archive:$W/s.tar:repo/a:tag1"
    same_file "inspect --raw of skopeo's archive matches skopeo" "$T/fi.json" "$T/out"
    # To dir: both keep the plain bytes and the gzip label: the same manifest.
    run_ok "copy docker-archive to dir" ferry copy -q "docker-archive:$W/a.tar" "dir:$W/a-dir"
    run_ok "skopeo copies docker-archive to dir (setup)" skopeo copy -q "docker-archive:$W/a.tar" "dir:$W/a-sdir"
    same_file "docker-archive to dir: skopeo's manifest digest" "$W/a-dir/manifest.json" "$W/a-sdir/manifest.json"
    check "docker-archive to dir: layers stored plain, matching the DiffIDs" \
        checkimage verify dir "$W/a-dir" --diffids
    is "docker-archive to dir: every layer stored uncompressed" \
        "$(gzip_layer_count "$W/a-dir")" 0
    # To oci: the layers are gzipped (oci: desires compression), as skopeo
    # does; the compressed bytes differ (another compressor), the config and
    # DiffIDs do not.
    run_ok "copy docker-archive to oci" ferry copy -q "docker-archive:$W/a.tar" "oci:$W/a-oci:t"
    check "docker-archive to oci: layers gzipped, matching the DiffIDs" \
        checkimage verify oci "$W/a-oci:t" --diffids --compression gzip
    run_ok "skopeo copies docker-archive to oci (setup)" skopeo copy -q "docker-archive:$W/a.tar" "oci:$W/a-oci:s"
    is "docker-archive to oci: skopeo's config digest and DiffIDs" "$(config_and_diffids "oci:$W/a-oci:t")" \
        "$(config_and_diffids "oci:$W/a-oci:s")"
    is "docker-archive to oci: skopeo's layer media types" "$(checkimage verify oci "$W/a-oci:t" --print layer-types)" \
        "$(checkimage verify oci "$W/a-oci:s" --print layer-types)"
    # docker-archive to docker-archive: nothing to decompress, nothing changes.
    run_ok "copy docker-archive to docker-archive" ferry copy -q "docker-archive:$W/s.tar:repo/a:tag1" \
        "docker-archive:$W/aa.tar:repo/a:tag1"
    same_file "docker-archive to docker-archive: the same archive as skopeo's" "$W/aa.tar" "$W/s.tar"
    run_ok "--preserve-digests docker-archive to docker-archive (nothing changes)" \
        ferry copy -q --preserve-digests "docker-archive:$W/a.tar" "docker-archive:$W/pd.tar"
    run_ok "--preserve-digests docker-archive to dir --dest-decompress (nothing to decompress)" \
        ferry copy -q --preserve-digests --dest-decompress "docker-archive:$W/a.tar" "dir:$W/pd-dir"
    same_file "... keeps skopeo's manifest" "$W/pd-dir/manifest.json" "$W/a-sdir/manifest.json"
    run ferry list-tags "docker-archive:$W/s.tar"
    cp "$T/out" "$T/fl"
    run skopeo list-tags "docker-archive:$W/s.tar"
    same_file "list-tags matches skopeo" "$T/fl" "$T/out"
    run ferry list-tags "docker-archive:$W/su.tar"
    cp "$T/out" "$T/fl"
    run skopeo list-tags "docker-archive:$W/su.tar"
    same_file "list-tags of an untagged archive matches skopeo" "$T/fl" "$T/out"
else
    skip "skopeo interoperability" "skopeo not installed"
fi

# ---- round trip oci -> docker-archive -> oci-archive -> dir -> docker-archive -> oci
# Each hop keeps the DiffIDs, and gives the config digest skopeo's copy of the
# same hop gives (docker-archive -> oci-archive converts the config to OCI, the
# hop back converts it to Docker's again).
DIFFIDS=${WANT#* }
rt=("oci:$O:v1" "docker-archive:$W/rt1.tar:repo/rt:v1" "oci-archive:$W/rt2.tar:v1" "dir:$W/rt3"
    "docker-archive:$W/rt4.tar:repo/rt:v1" "oci:$W/rt5:v1")
for ((i = 1; i < ${#rt[@]}; i++)); do
    from=${rt[i - 1]} to=${rt[i]}
    hop="${from%%:*} -> ${to%%:*}"
    run_ok "round trip $i: $hop" ferry copy -q "$from" "$to"
    got=$(config_and_diffids "$to")
    is "round trip $i: $hop keeps the DiffIDs" "${got#* }" "$DIFFIDS"
    if [ "$HAVE_SKOPEO" = 1 ]; then
        sk_to=${to/"$W/rt"/"$W/sk-rt"}
        run_ok "round trip $i: skopeo copies $hop (setup)" skopeo copy -q "$from" "$sk_to"
        is "round trip $i: $hop gives skopeo's config digest" "$got" "$(config_and_diffids "$sk_to")"
    fi
done
is "round trip: back in docker-archive with the first archive's config digest" \
    "$(config_and_diffids "${rt[4]}")" "$(config_and_diffids "${rt[1]}")"

# ---- streams
timeout 300 ferry copy "oci:$O:v1" docker-archive:/dev/stdout:repo/a:tag1 >"$W/stdout.tar" 2>"$T/err"
is "copy to /dev/stdout succeeds" "$?" 0
same_file "only the archive goes to stdout" "$W/stdout.tar" "$W/a.tar"
grep -q "Writing manifest" "$T/err" && ok "progress goes to stderr" || not_ok "progress goes to stderr" "$(cat "$T/err")"
timeout 300 ferry --tmpdir "$TMP" copy -q docker-archive:/dev/stdin "oci:$W/stdin:t" <"$W/a.tar" 2>"$T/err"
is "read from /dev/stdin (a file)" "$?" 0
cat "$W/a.tar" | timeout 300 ferry --tmpdir "$TMP" copy -q docker-archive:/dev/stdin "oci:$W/pipe:t" 2>"$T/err"
is "read from /dev/stdin (a pipe)" "$?" 0
is "the pipe's image has the same config and DiffIDs" "$(config_and_diffids "oci:$W/pipe:t")" "$WANT"
empty_dir "the spooled copy of the pipe is gone" "$TMP"
# --no-tags: the core still calls list_tags for inspect, which would open the
# drained pipe a second time (MULTI_IMAGE sources should get no RepoTags).
cat "$W/a.tar" | timeout 300 ferry --tmpdir "$TMP" inspect --no-tags docker-archive:/dev/stdin >/dev/null 2>"$T/err"
is "inspect from a pipe" "$?" 0

# ---- layers stored gzip-compressed (older docker and podman, hand-made
# archives): served decompressed, as skopeo does, so that each layer's digest
# is its DiffID. The first layer is two concatenated gzip members.
G="$T/gz"
mkdir -p "$G"
(cd "$G" && tar xf "$W/a.tar")
first=1
for f in "$G"/*.tar; do
    if [ "$first" = 1 ]; then
        half=$(($(stat -c %s "$f") / 2))
        { head -c "$half" "$f" | gzip -n; tail -c +"$((half + 1))" "$f" | gzip -n; } >"$f.gz"
        first=0
    else
        gzip -n -c "$f" >"$f.gz"
    fi
    mv -f "$f.gz" "$f"
done
(cd "$G" && tar --format=ustar -cf "$W/gz.tar" -- *)
run_ok "read an archive with gzip-compressed layers" ferry copy -q "docker-archive:$W/gz.tar" "oci:$W/gz:t"
is "gzip layers: same config digest and DiffIDs" "$(config_and_diffids "oci:$W/gz:t")" "$WANT"
run_ok "inspect --raw of the gzip archive" ferry inspect --raw "docker-archive:$W/gz.tar"
cp "$T/out" "$T/gz-raw.json"
# As in containers/image: served decompressed, so digest = DiffID, and every
# layer labelled ".tar.gzip" all the same (was ".tar" before ferry matched
# skopeo's manifest digests).
is "gzip layers are listed decompressed: digest = DiffID, skopeo's media type" \
    "$("$PYTHON3" -c 'import json,sys; m=json.load(sys.stdin); print(*[l["digest"] for l in m["layers"]], *sorted({l["mediaType"] for l in m["layers"]}))' <"$T/out")" \
    "${WANT#* } application/vnd.docker.image.rootfs.diff.tar.gzip"
run_ok "the gzip archive copies to dir" ferry copy -q "docker-archive:$W/gz.tar" "dir:$W/gz-dir"
# --compression none would also want the ".tar" label: the layers are checked
# for plain bytes separately.
check "the dir copy is complete and its layers match the DiffIDs" checkimage verify dir "$W/gz-dir" --diffids
is "the dir copy stores the layers decompressed" \
    "$(gzip_layer_count "$W/gz-dir")" 0
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo reads the gzip archive (setup)" skopeo copy -q "docker-archive:$W/gz.tar" "oci:$W/gz:s"
    is "ferry and skopeo agree on the gzip archive" "$(config_and_diffids "oci:$W/gz:t")" \
        "$(config_and_diffids "oci:$W/gz:s")"
    run skopeo inspect --raw "docker-archive:$W/gz.tar"
    same_file "inspect --raw of the gzip archive matches skopeo byte for byte" "$T/gz-raw.json" "$T/out"
    run_ok "skopeo copies the gzip archive to dir (setup)" skopeo copy -q "docker-archive:$W/gz.tar" "dir:$W/gz-sdir"
    same_file "the gzip archive to dir: skopeo's manifest digest" "$W/gz-dir/manifest.json" "$W/gz-sdir/manifest.json"
fi
GZ0=$(ls "$G"/*.tar | head -n 1)
"$PYTHON3" -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//3]^=0xff; open(sys.argv[1],"wb").write(b)' "$GZ0"
(cd "$G" && tar --format=ustar -cf "$W/gzbad.tar" -- *)
run ferry copy -q "docker-archive:$W/gzbad.tar" "oci:$W/gzbad:t"
is "a corrupt gzip layer: exit 1" "$RC" 1
stderr_one_line "a corrupt gzip layer: one line naming the archive" "$W/gzbad.tar"
absent "a corrupt gzip layer: nothing written" "$W/gzbad"

# ---- bad inputs: exit 1, one line naming the file, nothing at the destination
B="$T/bad"
mkdir -p "$B"
(cd "$B" && tar xf "$W/a.tar")
LAYER0=$(ls "$B" | grep '\.tar$' | head -n 1)
mkbad() { # NAME [TAR-OPTIONS...]: an archive of everything in $B
    local name=$1; shift
    (cd "$B" && tar --format=ustar "$@" -cf "$W/$name.tar" -- *)
}
bad() { # DESC ARCHIVE NEEDLE
    run ferry copy -q "docker-archive:$2" "oci:$W/out-$(basename "$2"):t"
    is "$1: exit status 1" "$RC" 1
    stderr_one_line "$1: one line naming the file" "$2" ${3:+"$3"}
    absent "$1: nothing written" "$W/out-$(basename "$2")"
}
head -c 30000 "$W/a.tar" >"$W/truncated.tar"
bad "truncated archive" "$W/truncated.tar" truncated
mkbad dotdot --transform 's,^manifest.json$,../manifest.json,'
bad "member with ../" "$W/dotdot.tar" "outside the archive"
mkbad absolute -P --transform 's,^,/,'
bad "absolute member" "$W/absolute.tar" "outside the archive"
ln -s /etc/passwd "$B/evil"
mkbad symlink
rm -f "$B/evil"
bad "symlink pointing outside" "$W/symlink.tar" "outside the archive"
mv "$B/$LAYER0" "$T/layer0"
mkbad missing
bad "manifest.json naming a missing layer" "$W/missing.tar" "not in the archive"
"$PYTHON3" -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[600]^=1; open(sys.argv[2],"wb").write(b)' \
    "$T/layer0" "$B/$LAYER0"
mkbad diffid
bad "layer bytes not matching the DiffID" "$W/diffid.tar" "digest mismatch"

# a failed write leaves neither the archive nor a temporary file
run ferry copy -q "docker-archive:$W/diffid.tar" "docker-archive:$W/never.tar"
is "failed copy to docker-archive exits 1" "$RC" 1
absent "no archive after a failed copy" "$W/never.tar"
is "no temporary file after a failed copy" "$(ls -A "$W" | grep -c '^\.ferry' || true)" 0

finish
