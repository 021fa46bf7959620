#!/bin/bash
# tests/system/manifest-verify.sh — the core refuses manifests whose bytes do
# not match the digest that names them, through real transports (TAP).
#
# An OCI layout (and an oci-archive of it) is edited on disk so that a
# manifest blob no longer matches its index.json entry, or a list instance no
# longer matches the digest its index lists it under. Every reading command
# must fail in one line naming the reference once and the digest, exit 1,
# and leave no destination. skopeo 1.9.3 refuses a tampered instance too
# (same wording); it does not check the top-level manifest of a layout
# against index.json, ferry does (issue 17).
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

mkimage --layout oci --manifest oci --tag t --layers 1 "$T/one" >"$T/one.digest" &&
    mkimage --layout oci --manifest oci --tag t --list "$T/lst" >"$T/lst.digest" ||
    { echo "Bail out! mkimage failed"; exit 1; }
TOP=$(cat "$T/one.digest")
# tamper FILE: one byte more, still valid JSON, another digest.
tamper() { chmod u+w "$1" && printf ' ' >>"$1"; }
tamper "$T/one/blobs/sha256/${TOP#sha256:}"
ARM=$(json "$T/lst/blobs/sha256/$(cut -d: -f2 "$T/lst.digest")" \
    '[m["digest"] for m in j["manifests"] if m["platform"]["architecture"] == "arm64"][0]')
tamper "$T/lst/blobs/sha256/${ARM#sha256:}"
tar -C "$T/one" -cf "$T/one.tar" . && tar -C "$T/lst" -cf "$T/lst.tar" . || { echo "Bail out! tar failed"; exit 1; }

# refused DESC REF DIGEST DEST CMD...: exit 1, one line naming REF once and
# DIGEST, nothing at DEST ("-": none).
refused() {
    local desc=$1 ref=$2 digest=$3 dest=$4; shift 4
    run "$@"
    is "$desc: exit 1" "$RC" 1
    stderr_one_line "$desc: one line naming the digest" "Manifest does not match provided manifest digest $digest"
    is "$desc: the line names $ref once" "$(grep -oF -- "$ref:" "$T/err" | wc -l)" 1
    [ "$dest" = - ] || absent "$desc: nothing at the destination" "$dest"
}

for tr in oci oci-archive; do
    if [ $tr = oci ]; then one="oci:$T/one:t" lst="oci:$T/lst:t"; else
        one="oci-archive:$T/one.tar:t" lst="oci-archive:$T/lst.tar:t"; fi
    refused "$tr top manifest: inspect" "$one" "$TOP" - ferry inspect "$one"
    refused "$tr top manifest: inspect --raw" "$one" "$TOP" - ferry inspect --raw "$one"
    refused "$tr top manifest: inspect --config" "$one" "$TOP" - ferry inspect --config "$one"
    refused "$tr top manifest: copy to oci" "$one" "$TOP" "$T/d-$tr-1" ferry copy -q "$one" "oci:$T/d-$tr-1:t"
    refused "$tr top manifest: copy to dir" "$one" "$TOP" "$T/d-$tr-2" ferry copy -q "$one" "dir:$T/d-$tr-2"
    refused "$tr list instance: inspect choosing it" "$lst" "$ARM" - \
        ferry inspect --override-os linux --override-arch arm64 "$lst"
    refused "$tr list instance: copy choosing it" "$lst" "$ARM" "$T/d-$tr-3" \
        ferry copy -q --override-os linux --override-arch arm64 "$lst" "dir:$T/d-$tr-3"
    refused "$tr list instance: copy --all" "$lst" "$ARM" "$T/d-$tr-4" ferry copy -q --all "$lst" "oci:$T/d-$tr-4:t"
    run ferry inspect --override-os linux --override-arch amd64 "$lst"
    is "$tr list: the untouched instance still reads" "$RC" 0
done

if [ "$HAVE_SKOPEO" = 1 ]; then
    run skopeo --insecure-policy copy --all "oci:$T/lst:t" "oci:$T/s-lst:t"
    is "skopeo refuses the tampered instance too" "$RC:$(grep -c "Manifest does not match provided manifest digest $ARM" "$T/err")" "1:1"
    run skopeo inspect --raw "oci:$T/one:t"
    is "skopeo 1.9.3 does not check a layout's top manifest against index.json (ferry does)" "$RC" 0
else
    skip "skopeo refuses the tampered instance too" "skopeo not installed"
    skip "skopeo 1.9.3 does not check a layout's top manifest against index.json (ferry does)" "skopeo not installed"
fi

finish
