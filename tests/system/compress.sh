#!/bin/bash
# tests/system/compress.sh — gzip compression of layers by ferry (TAP): an
# image with uncompressed layers copied to oci: gets gzip layers that are
# byte-identical whether ferry runs on one CPU (taskset) or all of them and
# whatever the layer parallelism, decompress (gzip -t, python's zlib, Debian's
# skopeo) to the config's DiffIDs, are single gzip members with a fixed
# header, and ferry's peak memory stays bounded while compressing.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

S="$T/img/plain"
# Layer sizes around the compressor's 128 KiB blocks, several blocks, and 0.
mkimage --layout oci --manifest oci --compression none --layers 5 --layer-size 3M,131071,131073,1,0 \
    --tag v1 --seed 5 "$S" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }
W="$T/w"

# layer_files LAYOUT:REF: "DIGEST SIZE" of each layer blob, in manifest order.
layer_files() {
    local layout=${1%:*} d
    for d in $(checkimage verify oci "$1" --print layers); do
        echo "$d $(stat -c %s "$layout/blobs/sha256/${d#sha256:}")"
    done
}

ncpu=$(nproc 2>/dev/null || echo 1)
[ "$ncpu" -ge 2 ] || diag "only $ncpu CPU here: the one-thread and all-CPU copies below take the same path"
# ferry1: ferry restricted to CPU 0 (it then compresses on one thread).
if command -v taskset >/dev/null; then
    printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$T/bin/ferry" >"$T/bin/ferry1"
else
    diag "taskset missing: the one-CPU copies use every CPU"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$T/bin/ferry" >"$T/bin/ferry1"
fi
chmod +x "$T/bin/ferry1"

run_ok "copy to oci: on one CPU (taskset -c 0)" ferry1 copy -q "oci:$S:v1" "oci:$W/one:v1"
run_ok "copy to oci: on all CPUs" ferry copy -q "oci:$S:v1" "oci:$W/all:v1"
run_ok "copy to oci: one layer at a time" ferry copy -q --image-parallel-copies 1 "oci:$S:v1" "oci:$W/serial:v1"

is "five layers in the copy" "$(layer_files "$W/all:v1" | wc -l)" 5
run checkimage verify oci "$W/all:v1" --compression gzip --diffids
is "layers are gzip (media type and content) and decompress to the DiffIDs" "$RC" 0
is "one CPU and all CPUs: same layer digests and sizes" "$(layer_files "$W/one:v1")" "$(layer_files "$W/all:v1")"
is "one layer at a time: same layer digests and sizes" "$(layer_files "$W/serial:v1")" "$(layer_files "$W/all:v1")"
is "one CPU and all CPUs: same manifest digest" "$(checkimage verify oci "$W/one:v1" --print digest)" \
    "$(checkimage verify oci "$W/all:v1" --print digest)"
is "all five layers were compressed" "$(checkimage verify oci "$W/all:v1" --print layer-types | sort -u)" \
    "application/vnd.oci.image.layer.v1.tar+gzip"

bad=""
for d in $(checkimage verify oci "$W/all:v1" --print layers); do
    gzip -t <"$W/all/blobs/sha256/${d#sha256:}" 2>/dev/null || bad="$bad $d"
done
is "gzip -t accepts every layer" "$bad" ""

# One member, fixed header (mtime 0, no name), trailer matching the data,
# with python's zlib as the independent decoder.
"$PYTHON3" - "$W/all" $(checkimage verify oci "$W/all:v1" --print layers) >"$T/members" <<'EOF'
import hashlib, struct, sys, zlib
layout = sys.argv[1]
for d in sys.argv[2:]:
    data = open(f"{layout}/blobs/sha256/{d[7:]}", "rb").read()
    z = zlib.decompressobj(31)
    plain = z.decompress(data) + z.flush()
    crc, isize = struct.unpack("<II", data[-8:])
    fine = (z.eof and z.unused_data == b"" and data[:10] == bytes.fromhex("1f8b08000000000000ff")
            and crc == zlib.crc32(plain) and isize == len(plain) % 2**32)
    print("sha256:" + hashlib.sha256(plain).hexdigest(), "ok" if fine else "BAD")
EOF
diffids=$(checkimage verify oci "$W/all:v1" --print diffids)
is "python zlib: single members with a fixed header, right CRC and ISIZE" "$(grep -c ' ok$' "$T/members")" 5
is "python zlib: layers decompress to the DiffIDs" "$(cut -d' ' -f1 "$T/members")" "$diffids"

# Debian's skopeo (Go's gzip reader, which checks CRC and size) decompresses them.
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo reads ferry's compressed layers (copy --dest-decompress to dir:)" \
        skopeo copy -q --dest-decompress "oci:$W/all:v1" "dir:$W/by-skopeo"
    got=""
    for d in $(checkimage verify dir "$W/by-skopeo" --print layers); do got="$got$(sha256 "$W/by-skopeo/${d#sha256:}")
"; done
    is "skopeo's decompressed layers hash to the DiffIDs" "${got%$'\n'}" "$diffids"
else
    skip "skopeo reads ferry's compressed layers" "skopeo not installed"
    skip "skopeo's decompressed layers hash to the DiffIDs" "skopeo not installed"
fi

# The same image from a dir: source (docker manifest, tar layers) into an
# OCI layout compresses to the same layer bytes.
run_ok "oci: -> dir: keeps the layers uncompressed" ferry copy -q "oci:$S:v1" "dir:$W/plain-dir"
run_ok "dir: with tar layers -> oci: compresses" ferry1 copy -q "dir:$W/plain-dir" "oci:$W/from-dir:v1"
is "... to the same layer bytes" "$(layer_files "$W/from-dir:v1")" "$(layer_files "$W/all:v1")"

# ------------------------------------------------ memory stays bounded
BIG="$T/img/big"
if mkimage --layout oci --manifest oci --compression none --layers 2 --layer-size 32M --tag big --seed 6 "$BIG" \
    >/dev/null; then
    read -r kib status < <(peak_rss_kib "$T/bin/ferry" copy -q "oci:$BIG:big" "oci:$W/big:big")
    is "compressing 2 x 32 MB layers at once: exit 0" "$status" 0
    rss_below "compressing 2 x 32 MB layers at once" "$kib" 12288
    run checkimage verify oci "$W/big:big" --compression gzip --diffids
    is "... and the result is a valid gzip image" "$RC" 0
    read -r kib1 status1 < <(peak_rss_kib ferry1 copy -q "oci:$BIG:big" "oci:$W/big1:big")
    is "on one CPU: exit 0" "$status1" 0
    rss_below "on one CPU" "$kib1" 12288
    is "on one CPU: same layers" "$(layer_files "$W/big1:big")" "$(layer_files "$W/big:big")"
else
    not_ok "large fixture generated"
fi

finish
