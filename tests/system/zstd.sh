#!/bin/bash
# tests/system/zstd.sh — zstd layers decompressed wherever gzip ones are,
# against skopeo 1.9.3: images skopeo compressed with zstd (an image of
# every tar entry kind among them) copied by both tools into dir with
# --dest-decompress give the same bytes; into docker-archive (which skopeo
# 1.9.3 refuses for zstd) the archive skopeo writes from the gzip original;
# into containers-storage an image skopeo reads back with the same DiffIDs; a truncated zstd layer, a zstd label on gzip bytes and
# zstd into a Docker schema 2 destination fail in one line, writing nothing.
. "$(dirname "$0")/lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root (containers-storage owners and devices)"
need_python
trap 'unmount_below_t; _tap_exit' EXIT
SK="$SKOPEO --insecure-policy"
FY="ferry --insecure-policy"
manifest_of() { echo "$1/blobs/sha256/$(json "$1/index.json" 'j["manifests"][0]["digest"][7:]')"; }

mkimage --layout oci --manifest oci --layers 3 --layer-size 1M --tag one "$T/img" >/dev/null
check "fixture of every tar entry kind" "$PYTHON3" "$SRCDIR/tests/fixtures/mkkinds.py" --compression gzip --tag v1 \
    "$T/kinds"
check "skopeo compresses the first with zstd" $SK copy -q --dest-compress-format zstd "oci:$T/img:one" "oci:$T/z:one"
check "... and the second" $SK copy -q --dest-compress-format zstd "oci:$T/kinds:v1" "oci:$T/zk:v1"
is "the layers are labelled zstd" "$(json "$(manifest_of "$T/z")" '" ".join(sorted(set(l["mediaType"] for l in j["layers"])))')" \
    "application/vnd.oci.image.layer.v1.tar+zstd"

# skopeo 1.9.3 refuses zstd into docker-archive ("zstd compression is not
# supported for docker images"); ferry decompresses the layers, as it does
# gzip ones there, so its archive must equal skopeo's of the gzip original.
for img in z:one zk:v1; do
    name=${img%%:*}
    orig=$([ "$name" = z ] && echo "img:one" || echo "kinds:v1")
    run_ok "$name: --dest-decompress into dir" $FY copy --dest-decompress "oci:$T/$img" "dir:$T/f-$name"
    $SK copy -q --dest-decompress "oci:$T/$img" "dir:$T/s-$name" >/dev/null 2>&1
    tree_sums "$T/f-$name" >"$T/tree.f"
    tree_sums "$T/s-$name" >"$T/tree.s"
    same_file "$name: the same plain layers, config and manifest as skopeo's" "$T/tree.f" "$T/tree.s"
    run_ok "$name: into docker-archive" $FY copy "oci:$T/$img" "docker-archive:$T/f-$name.tar:example.com/$name:1"
    $SK copy -q "oci:$T/$orig" "docker-archive:$T/s-$name.tar:example.com/$name:1" >/dev/null 2>&1
    same_file "$name: the same archive as skopeo's of the gzip original" "$T/f-$name.tar" "$T/s-$name.tar"
    store="[vfs@$T/store-$name/root+$T/store-$name/run]"
    run_ok "$name: into containers-storage" $FY copy "oci:$T/$img" "containers-storage:${store}example.com/$name:1"
    $SK inspect --config "containers-storage:${store}example.com/$name:1" >"$T/cfg" 2>/dev/null
    json "$(manifest_of "$T/$name")" 'j["config"]["digest"]' >/dev/null
    is "$name: skopeo reads the stored image with the source's DiffIDs" "$(json "$T/cfg" 'j["rootfs"]["diff_ids"]')" \
        "$(json "$T/$name/blobs/sha256/$(json "$(manifest_of "$T/$name")" 'j["config"]["digest"][7:]')" 'j["rootfs"]["diff_ids"]')"
    run_ok "$name: skopeo copies it back out of the store" $SK copy -q "containers-storage:${store}example.com/$name:1" \
        "oci:$T/back-$name:1"
done

# A truncated zstd layer whose digest is right: the decompressor must notice.
"$PYTHON3" - "$T/z" "$T/trunc" <<'PYEOF'
import hashlib, json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
idx = json.load(open(os.path.join(dst, "index.json")))
mpath = os.path.join(dst, "blobs/sha256", idx["manifests"][0]["digest"][7:])
m = json.load(open(mpath))
layer = m["layers"][0]
data = open(os.path.join(dst, "blobs/sha256", layer["digest"][7:]), "rb").read()[:-100]
h = hashlib.sha256(data).hexdigest()
open(os.path.join(dst, "blobs/sha256", h), "wb").write(data)
layer["digest"], layer["size"] = "sha256:" + h, len(data)
mb = json.dumps(m).encode()
mh = hashlib.sha256(mb).hexdigest()
open(os.path.join(dst, "blobs/sha256", mh), "wb").write(mb)
idx["manifests"][0]["digest"], idx["manifests"][0]["size"] = "sha256:" + mh, len(mb)
json.dump(idx, open(os.path.join(dst, "index.json"), "w"))
PYEOF
run_status "a truncated zstd layer: exit 1" 1 $FY copy --dest-decompress "oci:$T/trunc:one" "dir:$T/trunc-out"
stderr_one_line "... one line saying so" "zstd data is truncated"
absent "... nothing written" "$T/trunc-out"

# zstd cannot be carried by a Docker schema 2 manifest.
run_status "zstd into v2s2: exit 1" 1 $FY copy --format v2s2 "oci:$T/z:one" "dir:$T/v2s2-out"
stderr_one_line "... one line saying why" "zstd"
absent "... nothing written" "$T/v2s2-out"
finish
