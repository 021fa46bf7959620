#!/bin/bash
# tests/system/lists.sh — manifest lists against skopeo 1.9.3 and a real
# docker-registry: Docker list <-> OCI index conversion (--all into an OCI
# layout, --format oci|v2s2) giving skopeo's exact list and instance
# manifests; lists rewritten when instances change (compression) as skopeo
# rewrites them; --multi-arch index-only; platform subsets writing a list of
# exactly the chosen instances with their digests kept; --override-arch /
# --override-variant choosing what skopeo chooses (arm/v7 runs v6, arm64/v7
# is no arm64/v8); inspect of lists equal to skopeo's; and the refusals (a
# platform the list lacks, a malformed platform, --all with --multi-arch,
# --preserve-digests or signatures against a changed list) in one line with
# nothing written.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
need_python
SK="$SKOPEO --insecure-policy"
FY="ferry --insecure-policy"

{
    mkimage --layout dir --manifest docker --list "$T/dlist" >/dev/null &&
        mkimage --layout oci --manifest oci --list --tag g "$T/olist" >/dev/null &&
        mkimage --layout oci --manifest oci --list --compression none --tag u --seed 3 "$T/ulist" >/dev/null
} || { echo "Bail out! mkimage failed"; exit 1; }
# relabelled SRC DST PYTHON: a copy of layout SRC whose index has the entries
# `lst["manifests"]` edited by the PYTHON statements (index.json repointed).
relabelled() {
    "$PYTHON3" - "$1" "$2" "$3" <<'PYEOF'
import hashlib, json, os, shutil, sys
src, dst, edit = sys.argv[1:4]
shutil.copytree(src, dst)
idx = json.load(open(os.path.join(dst, "index.json")))
lst = json.load(open(os.path.join(dst, "blobs/sha256", idx["manifests"][0]["digest"][7:])))
exec(edit)
data = json.dumps(lst).encode()
h = hashlib.sha256(data).hexdigest()
open(os.path.join(dst, "blobs/sha256", h), "wb").write(data)
idx["manifests"][0].update(digest="sha256:" + h, size=len(data))
json.dump(idx, open(os.path.join(dst, "index.json"), "w"))
PYEOF
}
# An index of arm/v6 and arm/v7 (the two images of olist relabelled) for
# variant matching.
relabelled "$T/olist" "$T/arm" '
lst["manifests"][0]["platform"] = {"architecture": "arm", "os": "linux", "variant": "v6"}
lst["manifests"][1]["platform"] = {"architecture": "arm", "os": "linux", "variant": "v7"}'

# Docker list into an OCI layout: list and instances converted, as skopeo.
run_ok "docker list --all into oci:" $FY copy --all "dir:$T/dlist" "oci:$T/f-d2o:l"
$SK copy -q --all "dir:$T/dlist" "oci:$T/s-d2o:l" >/dev/null 2>&1
same_file "... the same OCI index as skopeo's, byte for byte" "$(oci_top "$T/f-d2o")" "$(oci_top "$T/s-d2o")"
same_file "... and the same blobs (instance manifests, configs, layers)" <(tree_sums "$T/f-d2o/blobs") \
    <(tree_sums "$T/s-d2o/blobs")
run_ok "docker list --all --format oci into dir:" $FY copy --all --format oci "dir:$T/dlist" "dir:$T/f-d2d"
$SK copy -q --all --format oci "dir:$T/dlist" "dir:$T/s-d2d" >/dev/null 2>&1
same_file "... every file as skopeo writes it (instances under their new digests)" <(tree_sums "$T/f-d2d") \
    <(tree_sums "$T/s-d2d")
run_ok "OCI index --all --format v2s2 into dir:" $FY copy --all --format v2s2 "oci:$T/olist:g" "dir:$T/f-o2d"
$SK copy -q --all --format v2s2 "oci:$T/olist:g" "dir:$T/s-o2d" >/dev/null 2>&1
same_file "... the Docker list and instances skopeo writes" <(tree_sums "$T/f-o2d") <(tree_sums "$T/s-o2d")
is "... a Docker manifest list" "$(json "$T/f-o2d/manifest.json" 'j["mediaType"]')" \
    "application/vnd.docker.distribution.manifest.list.v2+json"
relabelled "$T/olist" "$T/noplat" 'del lst["manifests"][1]["platform"]'
run_ok "an index entry without a platform, --format v2s2" $FY --override-arch arm64 copy --all --format v2s2 \
    "oci:$T/noplat:g" "dir:$T/f-noplat"
$SK --override-arch arm64 copy -q --all --format v2s2 "oci:$T/noplat:g" "dir:$T/s-noplat" >/dev/null 2>&1
same_file "... gets this machine's platform in the Docker list, as skopeo's" "$T/f-noplat/manifest.json" \
    "$T/s-noplat/manifest.json"
run_ok "unchanged list copied --all keeps its bytes" $FY copy --all "oci:$T/olist:g" "oci:$T/f-same:g"
same_file "... the index is the source's" "$(oci_top "$T/f-same")" "$(oci_top "$T/olist")"

# Instances that change (plain layers compressed): the list is rewritten.
run_ok "index of plain layers --all into oci: (layers gzipped)" $FY copy --all "oci:$T/ulist:u" "oci:$T/f-u:u"
$SK copy -q --all "oci:$T/ulist:u" "oci:$T/s-u:u" >/dev/null 2>&1
is "... the index lists the new instances, in skopeo's form" \
    "$(json "$(oci_top "$T/f-u")" '[(m["mediaType"], m["size"], m["platform"]) for m in j["manifests"]]') $(head -c 90 "$(oci_top "$T/f-u")")" \
    "$(json "$(oci_top "$T/s-u")" '[(m["mediaType"], m["size"], m["platform"]) for m in j["manifests"]]') $(head -c 90 "$(oci_top "$T/s-u")")"
run_ok "... skopeo copies the rewritten list out" $SK copy -q --all "oci:$T/f-u:u" "dir:$T/f-u-back"
run_ok "--all with zstd into oci: recompresses every instance" $FY copy --all --dest-compress-format zstd \
    "oci:$T/olist:g" "oci:$T/f-z:g"
is "... each instance in the index has tar+zstd layers" \
    "$(for d in $(json "$(oci_top "$T/f-z")" '" ".join(m["digest"][7:] for m in j["manifests"])'); do
        json "$T/f-z/blobs/sha256/$d" '" ".join(l["mediaType"][-4:] for l in j["layers"])'; done | sort -u)" "zstd"

# index-only: the list alone.
run_ok "--multi-arch index-only into oci:" $FY copy --multi-arch index-only "oci:$T/olist:g" "oci:$T/f-io:g"
is "... one blob: the index, unchanged" "$(ls "$T/f-io/blobs/sha256")" "$(json "$T/olist/index.json" 'j["manifests"][0]["digest"][7:]')"
start_registry reg
R="127.0.0.1:$REG_PORT"
run_status "--multi-arch index-only into a registry lacking the instances: exit 1, as skopeo" 1 \
    $FY copy --dest-tls-verify=false --multi-arch index-only "oci:$T/olist:g" "docker://$R/io/x:1"
stderr_one_line "... the registry's refusal in one line" "manifest blob unknown"
run_ok "the instances first (--all)" $FY copy --dest-tls-verify=false --all "oci:$T/olist:g" "docker://$R/io/full:1"
run_ok "then index-only into the same repository" $FY copy --dest-tls-verify=false --multi-arch index-only \
    "oci:$T/olist:g" "docker://$R/io/full:2"
is "... the registry serves the source's index" "$($SK inspect --raw --tls-verify=false "docker://$R/io/full:2" | sha256sum)" \
    "$(sha256sum <"$(oci_top "$T/olist")")"

# Platform subsets.
run_ok "--multi-arch linux/arm64 from the index" $FY copy --multi-arch linux/arm64 "oci:$T/olist:g" "oci:$T/f-sub:g"
is "... a list of exactly that instance, its digest kept" \
    "$(json "$(oci_top "$T/f-sub")" '[(m["digest"], m["platform"]["architecture"]) for m in j["manifests"]]')" \
    "$(json "$(oci_top "$T/olist")" '[(m["digest"], m["platform"]["architecture"]) for m in j["manifests"] if m["platform"]["architecture"] == "arm64"]')"
is "... and only its blobs (index, manifest, config, layer)" "$(ls "$T/f-sub/blobs/sha256" | wc -l)" "4"
run_ok "... skopeo reads it back" $SK copy -q --all "oci:$T/f-sub:g" "dir:$T/f-sub-back"
run_ok "--multi-arch linux/amd64,linux/arm64/v8 into a registry" $FY copy --dest-tls-verify=false \
    --multi-arch linux/amd64,linux/arm64/v8 "oci:$T/olist:g" "docker://$R/io/both:1"
is "... both instances, digests kept" \
    "$($SK inspect --raw --tls-verify=false "docker://$R/io/both:1" | "$PYTHON3" -c 'import json,sys; print([m["digest"] for m in json.load(sys.stdin)["manifests"]])')" \
    "$(json "$(oci_top "$T/olist")" '[m["digest"] for m in j["manifests"]]')"
run_ok "linux/arm (no variant) takes every arm variant" $FY copy --multi-arch linux/arm "oci:$T/arm:g" "oci:$T/f-arm:g"
is "... v6 and v7" "$(json "$(oci_top "$T/f-arm")" '" ".join(m["platform"]["variant"] for m in j["manifests"])')" "v6 v7"
run_status "a platform the list lacks: exit 1" 1 $FY copy --multi-arch linux/amd64,linux/s390x "oci:$T/olist:g" \
    "oci:$T/f-none:g"
stderr_one_line "... one line naming it and what the list has" "no instance for platform linux/s390x; it has linux/amd64, linux/arm64/v8"
absent "... nothing written" "$T/f-none"
run_status "a malformed platform: exit 1" 1 $FY copy --multi-arch linux/ "oci:$T/olist:g" "oci:$T/f-bad:g"
stderr_one_line "... one line" "is not a platform"
run_status "an unknown --multi-arch word: exit 1" 1 $FY copy --multi-arch some "oci:$T/olist:g" "oci:$T/f-bad:g"
stderr_one_line "... one line listing the choices" "expected system, all, index-only or a list of platforms"
run_status "--all with --multi-arch: exit 1, as skopeo" 1 $FY copy --all --multi-arch all "oci:$T/olist:g" \
    "oci:$T/f-bad:g"
stderr_one_line "... one line" "--all and --multi-arch cannot be used together"
run_status "--preserve-digests with a subset: exit 1" 1 $FY copy --preserve-digests --multi-arch linux/arm64 \
    "oci:$T/olist:g" "oci:$T/f-pd:g"
stderr_one_line "... one line" "--preserve-digests"
run_status "--preserve-digests with a list conversion: exit 1" 1 $FY copy --preserve-digests --all "dir:$T/dlist" \
    "oci:$T/f-pd:g"
stderr_one_line "... one line" "--preserve-digests"
absent "... nothing written" "$T/f-pd"
run_status "a list into docker-archive: exit 1" 1 $FY copy --all "oci:$T/olist:g" "docker-archive:$T/f-list.tar"
stderr_one_line "... one line" "cannot store"
absent "... nothing written" "$T/f-list.tar"

# Choosing one instance: containers/image 5.22's variant rules.
for o in "--override-arch arm --override-variant v7" "--override-arch arm --override-variant v8" \
    "--override-arch arm" "--override-arch arm64" "--override-arch arm64 --override-variant v8"; do
    img=$([ "${o#*arm64}" = "$o" ] && echo "oci:$T/arm:g" || echo "oci:$T/olist:g")
    is "inspect $o picks skopeo's instance" "$(ferry $o inspect "$img" 2>&1 | sha256sum)" \
        "$($SKOPEO $o inspect "$img" 2>&1 | sha256sum)"
done
run_status "--override-variant v5 on an arm/v6+v7 list: no instance (v5 runs neither)" 1 ferry \
    --override-arch arm --override-variant v5 inspect "oci:$T/arm:g"
stderr_one_line "... one line with what the list has" "it has linux/arm/v6, linux/arm/v7"
run_status "--override-variant v7 on arm64: no instance, as skopeo 1.9.3" 1 ferry --override-arch arm64 \
    --override-variant v7 inspect "oci:$T/olist:g"
stderr_one_line "... one line" 'variant "v7"'
run_ok "copy --override-arch arm64 takes the arm64 image alone" $FY --override-arch arm64 copy "oci:$T/olist:g" \
    "oci:$T/f-one:g"
$SK --override-arch arm64 copy -q "oci:$T/olist:g" "oci:$T/s-one:g" >/dev/null 2>&1
same_file "... skopeo's choice" "$(oci_top "$T/f-one")" "$(oci_top "$T/s-one")"

# inspect of lists.
for img in "oci:$T/olist:g" "dir:$T/dlist" "oci:$T/arm:g"; do
    globals=("" "--override-arch arm64 --override-variant v8")
    [ "$img" = "oci:$T/arm:g" ] && globals=("--override-arch arm --override-variant v7" "--override-arch arm")
    for g in "${globals[@]}"; do
        for flags in --raw "" --config; do
            is "inspect $flags ($g) ${img##*/} equals skopeo's" "$(ferry $g inspect $flags "$img" 2>&1 | sha256sum)" \
                "$($SKOPEO $g inspect $flags "$img" 2>&1 | sha256sum)"
        done
    done
done
finish
