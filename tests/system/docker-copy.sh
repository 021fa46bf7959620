#!/bin/bash
# tests/system/docker-copy.sh — the docker:// transport against a real
# docker-registry over plain HTTP (TAP): push/pull round trips oci -> docker
# -> oci keeping every digest (OCI and Docker manifests, an index with --all,
# a 0-byte blob, a legitimate 3.9 MB manifest, push by digest), a
# docker-archive pushed with its plain layers gzipped as skopeo does, interop with
# Debian's skopeo both ways, `inspect` (RepoTags, --no-tags, --raw, --config)
# and `list-tags` byte for byte against skopeo, `delete` (and a registry
# that forbids deletes), plain HTTP refused while TLS verification is on.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

start_registry reg
R="127.0.0.1:$REG_PORT"
start_registry nodel --no-delete
ND="127.0.0.1:$REG_PORT"
NOTLS=--tls-verify=false

O="$T/img/layout"
W="$T/w"
{
    V1=$(mkimage --layout oci --manifest oci --layers 3 --layer-size 200K,16K,0 --labels escape \
        --env A=1 --history --layer-annotations --tag v1 "$O") &&
        D1=$(mkimage --layout dir --manifest docker --layers 2 --layer-size 64K --labels many \
            --seed 2 "$T/img/docker") &&
        MULTI=$(mkimage --layout oci --manifest oci --list --tag multi --seed 3 "$O") &&
        BIG=$(mkimage --layout oci --manifest oci --manifest-pad 3900K --tag big --seed 4 "$O") &&
        SKI=$(mkimage --layout oci --manifest oci --layers 2 --tag sk --seed 5 "$O") &&
        DEL=$(mkimage --layout oci --manifest oci --layers 1 --tag del --seed 6 "$O")
} || { echo "Bail out! mkimage failed"; exit 1; }

# 0-byte blobs (skopeo #1239), in two OCI artifacts (media types no tool
# recompresses): "e0" has a 0-byte config and a small data layer, "e1" the
# empty-JSON config and a 0-byte layer.
EMPTY_LAYOUT="$T/img/empty"
# Through a file, not < <(...): the script writes index.json after printing
# the digests, and must be done before the layout is read.
"$PYTHON3" - "$EMPTY_LAYOUT" >"$T/empty.out" <<'PYEOF'
import hashlib, json, os, sys
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(out + "/blobs/sha256/" + d, "wb") as f:
        f.write(data)
    return "sha256:" + d
def desc(mt, data):
    return {"mediaType": mt, "digest": put(data), "size": len(data)}
index = []
for ref, config, layer in (
        ("e0", desc("application/vnd.ferry.test.config.v1+json", b""),
         desc("application/vnd.ferry.test.data", b"ferry test data\n" * 100)),
        ("e1", desc("application/vnd.oci.empty.v1+json", b"{}"),
         desc("application/vnd.ferry.test.empty", b""))):
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "artifactType": "application/vnd.ferry.test", "config": config,
                    "layers": [layer]}, separators=(",", ":")).encode()
    index.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(m),
                  "size": len(m), "annotations": {"org.opencontainers.image.ref.name": ref}})
    print(index[-1]["digest"])
with open(out + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(out + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": index}, f)
PYEOF
{ read -r EMPTY0 && read -r EMPTY1; } <"$T/empty.out"
[ -n "${EMPTY1:-}" ] || { echo "Bail out! empty-blob images failed"; exit 1; }
EMPTY_BLOB=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# layout_blobs_ok LAYOUT DIGEST: the manifest DIGEST and every blob it names
# are in LAYOUT with matching bytes and sizes (for artifacts, whose config
# checkimage does not read as an image config).
layout_blobs_ok() {
    "$PYTHON3" - "$1" "$2" <<'PYEOF'
import hashlib, json, os, sys
layout, digest = sys.argv[1:3]
def blob(d):
    with open(os.path.join(layout, "blobs", *d.split(":", 1)), "rb") as f:
        data = f.read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != d:
        sys.exit("blob %s does not match its digest" % d)
    return data
m = json.loads(blob(digest))
for desc in [m["config"]] + m.get("layers", []):
    if len(blob(desc["digest"])) != desc["size"]:
        sys.exit("blob %s has the wrong size" % desc["digest"])
PYEOF
}

# roundtrip DESC SRC_REF REPO:TAG DIGEST KIND [copy flags]: push with ferry,
# pull back with ferry into a fresh KIND (oci, dir or artifact: an oci layout
# checked blob by blob); the registry and the copy back have the source's
# manifest digest and the copy back is complete.
N=0
roundtrip() {
    local desc=$1 src=$2 dst=$3 digest=$4 kind=$5; shift 5
    N=$((N + 1))
    run_ok "$desc: push" ferry copy -q --dest-tls-verify=false "$@" "$src" "docker://$R/$dst"
    registry_get "http://$R/v2/${dst%:*}/manifests/${dst##*:}" >"$W/rt$N.manifest" 2>/dev/null
    is "$desc: the registry holds the source's manifest bytes" "$(sha256 "$W/rt$N.manifest")" "$digest"
    local back="oci:$W/rt$N:t" got
    [ "$kind" = dir ] && back="dir:$W/rt$N"
    run_ok "$desc: pull" ferry copy -q --src-tls-verify=false "$@" "docker://$R/$dst" "$back"
    case "$kind" in
        oci) got=$(oci_digest "$W/rt$N:t"); run checkimage verify oci "$W/rt$N:t" ;;
        dir) got=$(checkimage verify dir "$W/rt$N" --print digest 2>/dev/null | head -n 1)
            run checkimage verify dir "$W/rt$N" ;;
        artifact) got=$(checkimage refs "$W/rt$N" 2>/dev/null | awk '$1 == "t" {print $2}')
            layout_blobs_ok "$W/rt$N" "$got" >"$T/out" 2>"$T/err"; RC=$? ;;
    esac
    is "$desc: same manifest digest after $kind -> docker -> $kind" "$got" "$digest"
    is "$desc: the copy back is complete and every blob matches its digest" "$RC $(head -c 500 "$T/err")" "0 "
}

roundtrip "OCI manifest, 3 layers" "oci:$O:v1" ferry/img:v1 "$V1" oci
roundtrip "Docker schema 2 manifest" "dir:$T/img/docker" ferry/docker:d1 "$D1" dir
roundtrip "OCI index, --all" "oci:$O:multi" ferry/multi:1 "$MULTI" oci --all
roundtrip "a 3.9 MB manifest (under the 4 MiB limit)" "oci:$O:big" ferry/big:1 "$BIG" oci
roundtrip "a 0-byte config blob" "oci:$EMPTY_LAYOUT:e0" ferry/empty:0 "$EMPTY0" artifact
roundtrip "a 0-byte layer blob" "oci:$EMPTY_LAYOUT:e1" ferry/empty:1 "$EMPTY1" artifact
is "the 0-byte blob is in the registry" "$(http_status "http://$R/v2/ferry/empty/blobs/$EMPTY_BLOB" HEAD)" 200
for n in 5 6; do
    if [ -f "$W/rt$n/blobs/sha256/${EMPTY_BLOB#sha256:}" ] && [ ! -s "$W/rt$n/blobs/sha256/${EMPTY_BLOB#sha256:}" ]; then
        ok "the 0-byte blob is pulled back as an empty file ($n)"
    else not_ok "the 0-byte blob is pulled back as an empty file ($n)" "$(ls -l "$W/rt$n/blobs/sha256" 2>&1)"; fi
done

# Each instance of the index is in the registry under its own digest.
missing=""
for d in $(checkimage verify oci "$O:multi" --print digest 2>/dev/null | tail -n +2); do
    [ "$(http_status "http://$R/v2/ferry/multi/manifests/$d" HEAD)" = 200 ] || missing="$missing $d"
done
is "--all pushes every instance of the index" "$missing" ""

# Push by digest, pull by digest, --digestfile.
run_ok "push to a digest reference" ferry copy -q --dest-tls-verify=false "oci:$O:v1" "docker://$R/ferry/bydigest@$V1"
is "... the registry has the manifest under that digest" "$(http_status "http://$R/v2/ferry/bydigest/manifests/$V1" HEAD)" 200
run_ok "pull by digest" ferry copy -q --src-tls-verify=false "docker://$R/ferry/img@$V1" "oci:$W/bydigest:t"
is "... same digest" "$(oci_digest "$W/bydigest:t")" "$V1"
run_ok "push with --digestfile" ferry copy -q --dest-tls-verify=false --digestfile "$W/digestfile" \
    "dir:$T/img/docker" "docker://$R/ferry/digestfile:1"
is "--digestfile holds the pushed manifest's digest" "$(cat "$W/digestfile" 2>/dev/null)" "$D1"
run_ok "push the same image again (blobs already there)" ferry copy -q --dest-tls-verify=false "oci:$O:v1" "docker://$R/ferry/img:v1"
run_ok "registry -> registry into another repository" ferry copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$R/ferry/img:v1" "docker://$R/ferry/other:v1"
is "... keeps the digest" "$(registry_get "http://$R/v2/ferry/other/manifests/v1" 2>/dev/null | sha256 /dev/stdin)" "$V1"
run_ok "localhost:PORT names the same registry" ferry inspect --raw $NOTLS "docker://localhost:$REG_PORT_reg/ferry/img:v1"
is "... and gives the same manifest" "$(sha256 "$T/out")" "$V1"

# A missing image: a non-zero status and one line naming the registry's error.
run ferry copy -q --src-tls-verify=false "docker://$R/ferry/img:nosuchtag" "oci:$W/missing:t"
is "pulling a missing tag fails" "$([ "$RC" -ne 0 ] && echo failed)" failed
stderr_one_line "... with one line naming the tag" nosuchtag
stderr_mentions "... and the registry's error (manifest unknown)" "manifest unknown|not found"
is "... with exit 2 (the image does not exist: skopeo 1.10+'s rule)" "$RC" 2
run ferry inspect --tls-verify=false "docker://$R/ferry/img:nosuchtag"
is "inspect of a missing tag: exit 2 (manifest unknown)" "$RC" 2
absent "... and writes nothing" "$W/missing"

# Plain HTTP is used only when verification is off.
run ferry inspect "docker://$R/ferry/img:v1"
is "TLS verification on (the default) against a plain-HTTP registry fails" "$RC" 1
stderr_one_line "... with one line naming the registry" "$R"
run ferry copy -q "oci:$O:v1" "docker://$R/ferry/plain:v1"
is "pushing to a plain-HTTP registry with verification on fails" "$RC" 1
is "... and pushes nothing" "$(http_status "http://$R/v2/ferry/plain/manifests/v1" HEAD)" 404

# ------------------------------------------------ docker-archive to docker://
# The archive's layers are plain tars labelled gzip (as containers/image
# labels them): the push gzips them, since registries get compressed layers.
layer_types() { "$PYTHON3" -c 'import json,sys; print(*[l["mediaType"] for l in json.load(sys.stdin)["layers"]])'; }
config_ids() {
    "$PYTHON3" -c 'import hashlib,json,sys; b=sys.stdin.buffer.read(); print("sha256:"+hashlib.sha256(b).hexdigest(), *json.loads(b)["rootfs"]["diff_ids"])'
}
run_ok "docker-archive: write one (setup)" ferry copy -q "oci:$O:v1" "docker-archive:$W/da.tar:ferry/da:1"
run_ok "push docker-archive to docker://" ferry copy -q --dest-tls-verify=false "docker-archive:$W/da.tar" \
    "docker://$R/ferry/da:1"
run_ok "... pull it back to dir:" ferry copy -q --src-tls-verify=false "docker://$R/ferry/da:1" "dir:$W/da-back"
check "... its layers were gzipped (bytes and label), DiffIDs kept" \
    checkimage verify dir "$W/da-back" --diffids --compression gzip
is "... the config digest and DiffIDs of the archive" "$(ferry inspect --config --raw $NOTLS "docker://$R/ferry/da:1" | config_ids)" \
    "$(ferry inspect --config --raw "docker-archive:$W/da.tar" | config_ids)"
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo pushes the same archive (setup)" skopeo copy -q --dest-tls-verify=false "docker-archive:$W/da.tar" \
        "docker://$R/skopeo/da:1"
    is "... same config digest and DiffIDs as skopeo's push" \
        "$(ferry inspect --config --raw $NOTLS "docker://$R/ferry/da:1" | config_ids)" \
        "$(skopeo inspect --config --raw $NOTLS "docker://$R/skopeo/da:1" | config_ids)"
    is "... same layer media types as skopeo's push" "$(ferry inspect --raw $NOTLS "docker://$R/ferry/da:1" | layer_types)" \
        "$(skopeo inspect --raw $NOTLS "docker://$R/skopeo/da:1" | layer_types)"
else
    skip "docker-archive to docker://: same as skopeo" "skopeo not installed"
fi
run ferry copy -q --preserve-digests --dest-tls-verify=false "docker-archive:$W/da.tar" "docker://$R/ferry/da:pd"
is "--preserve-digests refuses gzipping the archive's layers: exit 1" "$RC" 1
stderr_one_line "... in one line" "--preserve-digests" "not compressed"
is "... and tags nothing" "$(http_status "http://$R/v2/ferry/da/manifests/pd" HEAD)" 404

# ------------------------------------------------ interop with skopeo
if [ "$HAVE_SKOPEO" = 1 ]; then
    run skopeo copy -q --src-tls-verify=false "docker://$R/ferry/img:v1" "oci:$W/by-skopeo:t"
    is "skopeo pulls what ferry pushed" "$RC" 0
    is "... with the same digest" "$(oci_digest "$W/by-skopeo:t")" "$V1"
    run skopeo copy -q --src-tls-verify=false --all "docker://$R/ferry/multi:1" "oci:$W/by-skopeo-multi:t"
    is "skopeo pulls the index ferry pushed, with the same digest" "$RC $(oci_digest "$W/by-skopeo-multi:t")" "0 $MULTI"
    run skopeo copy -q --src-tls-verify=false "docker://$R/ferry/empty:1" "oci:$W/by-skopeo-empty:t"
    is "skopeo pulls ferry's 0-byte blob image" "$RC $(oci_digest "$W/by-skopeo-empty:t")" "0 $EMPTY1"

    run skopeo copy -q --dest-tls-verify=false "oci:$O:sk" "docker://$R/skopeo/img:a"
    is "skopeo pushes (test setup)" "$RC" 0
    run skopeo copy -q --dest-tls-verify=false "oci:$O:sk" "docker://$R/skopeo/img:b"
    run skopeo copy -q --dest-tls-verify=false --all "oci:$O:multi" "docker://$R/skopeo/multi:m"
    run skopeo copy -q --dest-tls-verify=false "dir:$T/img/docker" "docker://$R/skopeo/docker:d"
    run_ok "ferry pulls what skopeo pushed" ferry copy -q --src-tls-verify=false "docker://$R/skopeo/img:a" "oci:$W/from-skopeo:t"
    is "... with the same digest" "$(oci_digest "$W/from-skopeo:t")" "$SKI"
    run_ok "ferry pulls skopeo's index with --all" ferry copy -q --all --src-tls-verify=false \
        "docker://$R/skopeo/multi:m" "oci:$W/from-skopeo-multi:t"
    is "... with the same digest" "$(oci_digest "$W/from-skopeo-multi:t")" "$MULTI"
    run checkimage verify oci "$W/from-skopeo-multi:t"
    is "... and every instance" "$RC" 0

    # compare DESC ARGS...: skopeo and ferry print the same bytes, same status.
    compare() {
        local desc=$1; shift
        run skopeo "$@"
        local src=$RC
        cp "$T/out" "$T/sk.out"
        run ferry "$@"
        if [ "$RC" -ne "$src" ]; then
            not_ok "$desc" "exit status: skopeo $src, ferry $RC; ferry stderr: $(head -c 1000 "$T/err")"
        else
            same_file "$desc" "$T/out" "$T/sk.out"
        fi
    }
    for ref in skopeo/img:a ferry/img:v1 skopeo/docker:d "ferry/img@$V1"; do
        compare "inspect docker://$ref == skopeo (RepoTags)" inspect $NOTLS "docker://$R/$ref"
        compare "inspect --no-tags docker://$ref == skopeo" inspect --no-tags $NOTLS "docker://$R/$ref"
        compare "inspect --raw docker://$ref == skopeo" inspect --raw $NOTLS "docker://$R/$ref"
        compare "inspect --config docker://$ref == skopeo" inspect --config $NOTLS "docker://$R/$ref"
    done
    compare "inspect -n docker:// == skopeo" inspect -n $NOTLS "docker://$R/skopeo/img:b"
    compare "inspect --config --raw docker:// == skopeo" inspect --config --raw $NOTLS "docker://$R/skopeo/img:a"
    for arch in amd64 arm64; do
        compare "inspect of an index with --override-arch $arch == skopeo" \
            --override-arch "$arch" inspect $NOTLS "docker://$R/skopeo/multi:m"
    done
    compare "inspect --raw of an index == skopeo" inspect --raw $NOTLS "docker://$R/skopeo/multi:m"
    compare "inspect --format of docker:// == skopeo" inspect --format '{{.Name}} {{.Digest}} {{.RepoTags}}' \
        $NOTLS "docker://$R/skopeo/img:a"

    # More tags, for list-tags.
    for t in 1.0 1.1 latest zeta alpha_1 UPPER; do
        skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$R/skopeo/img:a" "docker://$R/skopeo/img:$t" \
            >/dev/null 2>&1
    done
    compare "list-tags == skopeo (8 tags)" list-tags $NOTLS "docker://$R/skopeo/img"
    compare "list-tags of a one-tag repository == skopeo" list-tags $NOTLS "docker://$R/ferry/docker"
    compare "list-tags of a repository ferry pushed == skopeo" list-tags $NOTLS "docker://$R/ferry/img"
    compare "inspect docker:// with many tags == skopeo" inspect $NOTLS "docker://$R/skopeo/img:a"
else
    skip "interop with skopeo" "skopeo not installed"
fi
run ferry list-tags $NOTLS "docker://$R/nosuch/repository"
is "list-tags of a missing repository fails" "$([ "$RC" -ne 0 ] && echo failed)" failed
stderr_one_line "... with one line" "nosuch/repository"

# ------------------------------------------------ delete
run_ok "push an image to delete" ferry copy -q --dest-tls-verify=false "oci:$O:del" "docker://$R/ferry/del:1"
run_ok "delete docker://…:tag" ferry delete $NOTLS "docker://$R/ferry/del:1"
is "... the manifest is gone from the registry" "$(http_status "http://$R/v2/ferry/del/manifests/$DEL" HEAD)" 404
run ferry inspect $NOTLS "docker://$R/ferry/del:1"
is "... and inspect no longer finds it" "$([ "$RC" -ne 0 ] && echo failed)" failed
run_ok "push it again" ferry copy -q --dest-tls-verify=false "oci:$O:del" "docker://$R/ferry/del:2"
run_ok "delete docker://…@digest" ferry delete $NOTLS "docker://$R/ferry/del@$DEL"
is "... the manifest is gone" "$(http_status "http://$R/v2/ferry/del/manifests/2" HEAD)" 404
run ferry delete $NOTLS "docker://$R/ferry/del:nosuchtag"
is "delete of a missing tag fails" "$([ "$RC" -ne 0 ] && echo failed)" failed
stderr_one_line "... with one line naming it" nosuchtag

if [ "$HAVE_SKOPEO" = 1 ]; then
    skopeo copy -q --dest-tls-verify=false "oci:$O:del" "docker://$ND/keep/me:1" >/dev/null 2>&1
else
    ferry copy -q --dest-tls-verify=false "oci:$O:del" "docker://$ND/keep/me:1" >/dev/null 2>&1
fi
run ferry delete $NOTLS "docker://$ND/keep/me:1"
is "delete on a registry that forbids deletes fails with status 1" "$RC" 1
stderr_one_line "... with one line naming the image" "keep/me"
stderr_mentions "... saying deletes are not allowed" "unsupported|(not|n.t) allow|forbid"
is "... and the image is still there" "$(http_status "http://$ND/v2/keep/me/manifests/1" HEAD)" 200

finish
