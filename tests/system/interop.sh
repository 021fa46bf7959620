#!/bin/bash
# tests/system/interop.sh — ferry against Debian's real skopeo (TAP): images
# ferry writes (dir:, oci:) are read by skopeo and the reverse, and the same
# copy done by both tools gives the same manifest digest (including --format
# conversions and --dest-decompress, which are deterministic).
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python
[ "$HAVE_SKOPEO" = 1 ] || skip_all "skopeo not installed"

D="$T/img/docker"
O="$T/img/layout"
{
    D_DIGEST=$(mkimage --layers 3 --layer-size 200K,16K,0 --labels escape --env A=1 --history "$D") &&
        V1_DIGEST=$(mkimage --layout oci --manifest oci --layers 2 --layer-annotations --manifest-annotations \
            --tag v1 --seed 5 "$O") &&
        mkimage --layout oci --manifest oci --layers 1 --tag v2 --seed 6 "$O" >/dev/null
} || { echo "Bail out! mkimage failed"; exit 1; }
W="$T/w"

manifest_digest() { checkimage verify "$1" "$2" --print digest 2>/dev/null; }

# both DESC SRC DST_KIND [flags...]: the same copy with skopeo and ferry into
# fresh destinations; both complete, and with the same manifest digest.
N=0
both() {
    local desc=$1 src=$2 kind=$3; shift 3
    N=$((N + 1))
    local sd="$W/sk$N" fd="$W/fy$N" sref fref
    if [ "$kind" = oci ]; then sref="oci:$sd:t"; fref="oci:$fd:t"; else sref="dir:$sd"; fref="dir:$fd"; fi
    run skopeo copy -q "$@" "$src" "$sref"
    if [ "$RC" -ne 0 ]; then not_ok "$desc: skopeo copy works (test setup)" "$(cat "$T/err")"; return; fi
    run ferry copy -q "$@" "$src" "$fref"
    if [ "$RC" -ne 0 ]; then not_ok "$desc: ferry copy works" "$(cat "$T/err")"; return; fi
    local sdig fdig
    sdig=$(manifest_digest "$kind" "${sref#*:}")
    fdig=$(manifest_digest "$kind" "${fref#*:}")
    if [ -n "$fdig" ] && [ "$sdig" = "$fdig" ]; then ok "$desc: same manifest digest as skopeo"; else
        not_ok "$desc: same manifest digest as skopeo" "skopeo $sdig, ferry $fdig
$(diff <(cat "$(mpath "$kind" "$sd")") <(cat "$(mpath "$kind" "$fd")") | head -n 20)"
    fi
    if [ "$kind" = dir ]; then
        is "$desc: same files as skopeo's dir:" "$(ls "$fd" | tr '\n' ' ')" "$(ls "$sd" | tr '\n' ' ')"
    else
        is "$desc: same blobs as skopeo's layout" "$(ls "$fd/blobs/sha256" | tr '\n' ' ')" "$(ls "$sd/blobs/sha256" | tr '\n' ' ')"
        is "$desc: same index.json entry as skopeo's" "$(checkimage refs "$fd")" "$(checkimage refs "$sd")"
    fi
}
# mpath KIND DIR: file holding the (single) manifest of an image.
mpath() {
    if [ "$1" = dir ]; then echo "$2/manifest.json"; else
        echo "$2/blobs/sha256/$(checkimage refs "$2" | head -n 1 | cut -d' ' -f2 | cut -d: -f2)"; fi
}

# ------------------------------------------------ same copy, same result
both "dir -> dir" "dir:$D" dir
both "dir (Docker) -> oci (converted)" "dir:$D" oci
both "oci -> oci" "oci:$O:v1" oci
both "oci -> dir" "oci:$O:v1" dir
both "--format oci, dir -> dir" "dir:$D" dir --format oci
both "--format v2s2, oci -> dir" "oci:$O:v1" dir --format v2s2
both "--dest-decompress, dir -> dir" "dir:$D" dir --dest-decompress
both "--dest-decompress --format oci" "dir:$D" dir --dest-decompress --format oci

# ------------------------------------------------ skopeo reads what ferry wrote
run_ok "ferry writes dir:" ferry copy -q "dir:$D" "dir:$W/ferry-dir"
run_ok "ferry writes oci:" ferry copy -q "oci:$O:v1" "oci:$W/ferry-oci:v1"
run_ok "ferry adds a second tag" ferry copy -q "dir:$D" "oci:$W/ferry-oci:v2"
run skopeo inspect --raw "dir:$W/ferry-dir"
is "skopeo inspect --raw of ferry's dir: has the source digest" "$RC:$(sha256 "$T/out")" "0:$D_DIGEST"
run skopeo inspect --raw "oci:$W/ferry-oci:v1"
is "skopeo inspect --raw of ferry's oci: has the source digest" "$RC:$(sha256 "$T/out")" "0:$V1_DIGEST"
run skopeo inspect "oci:$W/ferry-oci:v2"
is "skopeo reads the second tag ferry added" "$RC" 0
run skopeo copy -q "dir:$W/ferry-dir" "dir:$W/ferry-dir-by-skopeo"
is "skopeo copies ferry's dir: image (verifying every blob)" "$RC" 0
is "... and keeps its digest" "$(manifest_digest dir "$W/ferry-dir-by-skopeo")" "$D_DIGEST"
run skopeo copy -q "oci:$W/ferry-oci:v1" "oci:$W/ferry-oci-by-skopeo:x"
is "skopeo copies ferry's oci: image (verifying every blob)" "$RC" 0
is "... and keeps its digest" "$(manifest_digest oci "$W/ferry-oci-by-skopeo:x")" "$V1_DIGEST"
run skopeo manifest-digest "$W/ferry-dir/manifest.json"
is "skopeo manifest-digest of ferry's manifest.json" "$(cat "$T/out")" "$D_DIGEST"

# ------------------------------------------------ ferry reads what skopeo wrote
run_ok "skopeo writes dir:" skopeo copy -q "dir:$D" "dir:$W/sk-dir"
run_ok "skopeo writes oci: with two tags" skopeo copy -q "oci:$O:v1" "oci:$W/sk-oci:a"
run_ok "skopeo writes the second tag" skopeo copy -q "oci:$O:v2" "oci:$W/sk-oci:b"
for ref in "dir:$W/sk-dir" "oci:$W/sk-oci:a" "oci:$W/sk-oci:b"; do
    run skopeo inspect --raw "$ref"
    cp "$T/out" "$T/sk.raw"
    run ferry inspect --raw "$ref"
    same_file "ferry inspect --raw of skopeo's ${ref%%:*}:$(basename "${ref#*:}") is skopeo's" "$T/out" "$T/sk.raw"
    run ferry copy -q "$ref" "dir:$W/fy-from-sk-$N"
    if [ "$RC" -eq 0 ] && [ "$(manifest_digest dir "$W/fy-from-sk-$N")" = "$(sha256 "$T/sk.raw")" ]; then
        ok "ferry copies skopeo's ${ref%%:*}:$(basename "${ref#*:}") keeping its digest"
    else
        not_ok "ferry copies skopeo's ${ref%%:*}:$(basename "${ref#*:}") keeping its digest" "exit $RC; $(cat "$T/err")"
    fi
    N=$((N + 1))
done

# ------------------------------------------------ mixed writers in one layout
run_ok "ferry adds tag c to skopeo's layout" ferry copy -q "dir:$D" "oci:$W/sk-oci:c"
for tag in a b c; do
    run skopeo inspect --format '{{.Digest}}' "oci:$W/sk-oci:$tag"
    is "skopeo still reads tag $tag of the mixed layout" "$RC" 0
done
run_ok "skopeo adds tag z to ferry's layout" skopeo copy -q "oci:$O:v2" "oci:$W/ferry-oci:z"
for tag in v1 v2 z; do
    run ferry inspect --format '{{.Digest}}' "oci:$W/ferry-oci:$tag"
    is "ferry still reads tag $tag of the mixed layout" "$RC" 0
done

finish
