#!/bin/bash
# tests/system/cs-tarsplit.sh — ferry's containers-storage layer apply against
# what skopeo 1.9.3 (containers/storage) writes: for images of every tar
# entry kind (mklayertars.py) and of mkimage.py, skopeo copies into vfs and
# overlay stores; ferry applies the same layer tars (through the
# test-cs-apply tool) and must write tar-splits whose JSON lines are
# byte-identical to skopeo's, the same diff digest, size, uidset and gidset;
# and ferry's reader must rebuild the exact tars from skopeo's tar-splits and
# layer directories.
. "$(dirname "$0")/lib.sh"

TOOL=$BUILDDIR/tests/unit/test-cs-apply
[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
[ -x "$TOOL" ] || skip_all "tests/unit/test-cs-apply not built"
[ "$(id -u)" = 0 ] || skip_all "needs root (devices, owners, stores)"
need_python

cleanup_mounts() { grep -o " $T/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount "$m" 2>/dev/null; done; }
trap 'cleanup_mounts; _tap_exit' EXIT

check "fixture image of every entry kind" "$PYTHON3" "$SRCDIR/tests/fixtures/mklayertars.py" --oci "$T/kinds"
mkimage() { "$PYTHON3" "$SRCDIR/tests/fixtures/mkimage.py" --layout oci --manifest oci --layers 2 --tag v1 "$T/mk" >/dev/null; }
check "mkimage.py image" mkimage
# Every uncompressed layer by its digest, to apply with ferry.
mkdir -p "$T/tars"
for b in "$T"/kinds/blobs/sha256/* "$T"/mk/blobs/sha256/*; do
    if gzip -t "$b" 2>/dev/null; then zcat "$b" >"$T/tars/x"; else cp "$b" "$T/tars/x"; fi
    mv "$T/tars/x" "$T/tars/$(sha256sum <"$T/tars/x" | cut -c1-64)"
done

for driver in vfs overlay; do
    for img in kinds mk; do
        store=$T/store-$driver-$img
        if ! "$SKOPEO" copy -q "oci:$T/$img:v1" "containers-storage:[$driver@$store/root+$store/run]example.com/t:1" \
            >"$T/err" 2>&1; then
            skip "$driver $img: skopeo copy" "$(head -n1 "$T/err")"
            continue
        fi
        # id parent diff-digest diff-size uidset gidset, base layer first
        "$PYTHON3" -c '
import json, sys
for l in json.load(open(sys.argv[1])):
    print(l["id"], l.get("parent", "-"), l["diff-digest"], l["diff-size"],
          json.dumps(l.get("uidset", []), separators=(",", ":")), json.dumps(l.get("gidset", []), separators=(",", ":")))
' "$store/root/$driver-layers/layers.json" >"$T/layers"
        while read -r id parent digest size uids gids; do
            tar=$T/tars/${digest#sha256:}
            mine=$T/mine-$driver-$img-$id
            if [ "$driver" = vfs ] && [ "$parent" != - ]; then cp -a "$T/mine-$driver-$img-$parent" "$mine"; fi
            mode=$([ "$driver" = vfs ] && echo vfs || echo overlay)
            got=$("$TOOL" apply "$tar" "$mine" "$mine.tar-split.gz" "$mode" 2>&1)
            is "$driver $img ${id:0:12}: digest, size, uidset, gidset" "$got" "$digest $size $uids $gids"
            zcat "$store/root/$driver-layers/$id.tar-split.gz" >"$T/theirs.json"
            zcat "$mine.tar-split.gz" >"$T/mine.json"
            same_file "$driver $img ${id:0:12}: tar-split JSON lines identical to skopeo's" "$T/mine.json" "$T/theirs.json"
            layerdir=$([ "$driver" = vfs ] && echo "$store/root/vfs/dir/$id" || echo "$store/root/overlay/$id/diff")
            if "$TOOL" rebuild "$store/root/$driver-layers/$id.tar-split.gz" "$layerdir" "$T/rebuilt" 2>"$T/err"; then
                same_file "$driver $img ${id:0:12}: skopeo's layer rebuilt byte for byte" "$T/rebuilt" "$tar"
            else
                not_ok "$driver $img ${id:0:12}: skopeo's layer rebuilt byte for byte" "$(cat "$T/err")"
            fi
        done <"$T/layers"
    done
done
cleanup_mounts
finish
