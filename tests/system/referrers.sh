#!/bin/bash
# tests/system/referrers.sh — OCI referrers (beyond skopeo, which has none):
# `copy --referrers`, `sync --referrers` and `inspect --referrers` with a
# real docker-registry (2.8: no referrers API, so the referrers tag schema),
# the fault proxy standing in for a registry with the API (answers on
# /referrers/, OCI-Subject on manifest PUTs), and oci: layouts. The test
# builds an image, an SBOM-like artifact whose subject is the image and a
# signature-like artifact whose subject is the SBOM, and checks with python,
# independently of ferry: digests unchanged, the fallback tag index at the
# destination lists exactly the referrers (no duplicates after a second
# copy), recursion, --all (an instance's referrers), the API preferred to
# the tag schema, no fallback tag when the registry answers OCI-Subject,
# nothing copied without --referrers, the inspect output, a referrer with a
# missing blob failing in one line with nothing tagged, and transports
# without referrers (or a conversion) refused in one line.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

start_registry reg
R="127.0.0.1:$REG_PORT"
NOTLS=--tls-verify=false
F() { run "$FERRY" --insecure-policy "$@"; }

S="$T/src"
IMG=$(mkimage --layout oci --manifest oci --layers 2 --tag app "$S") || { echo "Bail out! mkimage failed"; exit 1; }
LONE=$(mkimage --layout oci --manifest oci --layers 1 --tag lone --seed 7 "$S") || { echo "Bail out! mkimage failed"; exit 1; }

# referrers LAYOUT SUBJECT: adds, untagged, an SBOM (empty config,
# artifactType) referring to SUBJECT and a signature (custom config type, no
# artifactType) referring to the SBOM; with a third argument, a second
# SBOM whose data blob is not in the layout. Prints the digests.
referrers() {
    "$PYTHON3" - "$@" <<'PYEOF'
import hashlib, json, os, sys
layout, subject = sys.argv[1:3]
broken = len(sys.argv) > 3
def put(data, store=True):
    d = hashlib.sha256(data).hexdigest()
    if store:
        with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
            f.write(data)
    return "sha256:" + d
def desc(mt, data, store=True):
    return {"mediaType": mt, "digest": put(data, store), "size": len(data)}
def manifest_of(digest):
    with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
        return len(f.read().encode())
OCI = "application/vnd.oci.image.manifest.v1+json"
index = json.load(open(os.path.join(layout, "index.json")))
subj = {"mediaType": OCI, "digest": subject, "size": manifest_of(subject)}
def artifact(m):
    data = json.dumps(m, separators=(",", ":")).encode()
    d = {"mediaType": OCI, "digest": put(data), "size": len(data)}
    index["manifests"].append(d)
    print(d["digest"])
    return d
sbom = artifact({"schemaVersion": 2, "mediaType": OCI, "artifactType": "application/vnd.ferry.sbom",
                 "config": desc("application/vnd.oci.empty.v1+json", b"{}"),
                 "layers": [desc("application/spdx+json", b'{"spdxVersion":"SPDX-2.3"}\n' * 40)],
                 "subject": subj, "annotations": {"org.example.kind": "sbom"}})
artifact({"schemaVersion": 2, "mediaType": OCI,
          "config": desc("application/vnd.ferry.sig.config+json", b'{"alg":"test"}'),
          "layers": [desc("application/vnd.ferry.sig", b"signature bytes\n")],
          "subject": sbom})
if broken:
    artifact({"schemaVersion": 2, "mediaType": OCI, "artifactType": "application/vnd.ferry.sbom",
              "config": desc("application/vnd.oci.empty.v1+json", b"{}"),
              "layers": [desc("application/spdx+json", b"this blob is missing\n", store=False)],
              "subject": subj})
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f)
PYEOF
}
# Through a file, not < <(...): the script writes index.json after printing
# the digests, and must be done before the layout is read.
referrers "$S" "$IMG" >"$T/referrers.out"
{ read -r SBOM && read -r SIG; } <"$T/referrers.out"
[ -n "${SIG:-}" ] || { echo "Bail out! building the referrers failed"; exit 1; }

# check_index FILE SUBJECT DIGEST... : FILE is an OCI index whose manifests
# are exactly DIGEST... (in any order, each once), each with the referrer's
# size, its artifactType (artifactType, else config mediaType) and the
# annotations of its manifest, read from the source layout $S.
check_index() {
    "$PYTHON3" - "$S" "$@" <<'PYEOF'
import json, os, sys
layout, path, subject = sys.argv[1:4]
want = sys.argv[4:]
idx = json.load(open(path))
assert idx.get("schemaVersion") == 2, "schemaVersion %r" % idx.get("schemaVersion")
assert idx.get("mediaType") == "application/vnd.oci.image.index.v1+json", idx.get("mediaType")
got = [d["digest"] for d in idx["manifests"]]
assert sorted(got) == sorted(want), "lists %s, expected %s" % (got, want)
for d in idx["manifests"]:
    data = open(os.path.join(layout, "blobs", *d["digest"].split(":")), "rb").read()
    m = json.loads(data)
    assert m["subject"]["digest"] == subject, "subject %s" % m["subject"]["digest"]
    assert d["size"] == len(data), "size"
    assert d["mediaType"] == m["mediaType"], "mediaType"
    assert d.get("artifactType") == m.get("artifactType", m["config"]["mediaType"]), "artifactType %r" % d.get("artifactType")
    assert d.get("annotations", {}) == m.get("annotations", {}), "annotations %r" % d.get("annotations")
PYEOF
}
# fallback REPO SUBJECT > FILE: the referrers tag schema index of SUBJECT in
# the registry's REPO (status on stderr).
fallback() { registry_get "http://$R/v2/$1/manifests/${2/:/-}"; }
# same_manifest REPO DIGEST: the registry serves DIGEST in REPO with the
# bytes of the source layout's blob.
same_manifest() {
    registry_get "http://$R/v2/$1/manifests/$2" >"$T/m" 2>/dev/null
    cmp -s "$T/m" "$S/blobs/sha256/${2#sha256:}"
}
# registry_referrers_ok REPO DESC1 DESC2 DESC3: three checks on REPO: the
# image's fallback tag lists exactly the SBOM, the SBOM's exactly the
# signature, and all three manifests have the source's bytes.
registry_referrers_ok() {
    fallback_ok "$2" "$1" "$IMG" "$SBOM"
    fallback_ok "$3" "$1" "$SBOM" "$SIG"
    if same_manifest "$1" "$IMG" && same_manifest "$1" "$SBOM" && same_manifest "$1" "$SIG"; then ok "$4"
    else not_ok "$4"; fi
}
# fallback_ok DESC REPO SUBJECT REFERRER: SUBJECT's fallback tag in REPO
# lists exactly REFERRER.
fallback_ok() {
    fallback "$2" "$3" >"$T/fb" 2>"$T/code"
    if check_index "$T/fb" "$3" "$4" 2>"$T/why"; then ok "$1"
    else not_ok "$1" "HTTP $(cat "$T/code"): $(cat "$T/why")"; fi
}

# ---- inspect on the source layout
F inspect --referrers "oci:$S:app"
if [ "$RC" -eq 0 ] && check_index "$T/out" "$IMG" "$SBOM" 2>"$T/why"; then ok "inspect --referrers oci: lists the SBOM"
else not_ok "inspect --referrers oci: lists the SBOM" "rc $RC: $(cat "$T/err" "$T/why")"; fi
F inspect --referrers "oci:$S:lone"
is "inspect --referrers: none is an empty manifests list, exit 0" "$RC:$(json "$T/out" 'j["manifests"]')" "0:[]"

# ---- oci: -> registry (the fallback tag written by ferry)
F copy --quiet --referrers --dest-tls-verify=false "oci:$S:app" "docker://$R/a/app:v1"
is "copy --referrers oci: -> docker://" "$RC" 0
registry_referrers_ok a/app "fallback tag of the image lists exactly the SBOM" \
    "recursion: fallback tag of the SBOM lists the signature" \
    "image and referrers pushed byte for byte (digests unchanged)"

# ---- inspect on the registry (API 404, then the fallback tag)
F inspect --referrers $NOTLS "docker://$R/a/app:v1"
if [ "$RC" -eq 0 ] && check_index "$T/out" "$IMG" "$SBOM" 2>"$T/why"; then ok "inspect --referrers docker:// reads the fallback tag"
else not_ok "inspect --referrers docker:// reads the fallback tag" "rc $RC: $(cat "$T/err" "$T/why")"; fi

# ---- registry -> registry, twice: no duplicates
for round in 1 2; do
    F copy --quiet --referrers --src-tls-verify=false --dest-tls-verify=false "docker://$R/a/app:v1" "docker://$R/b/app:v1"
    is "copy --referrers docker:// -> docker:// (round $round)" "$RC" 0
done
registry_referrers_ok b/app "destination fallback tag lists the SBOM once after two copies" \
    "destination: referrer of the referrer copied and listed" "registry -> registry keeps every digest"

# ---- registry -> oci:
D="$T/dst"
F copy --quiet --referrers --src-tls-verify=false "docker://$R/b/app:v1" "oci:$D:app"
is "copy --referrers docker:// -> oci:" "$RC" 0
"$PYTHON3" - "$D" "$IMG" "$SBOM" "$SIG" >"$T/why" 2>&1 <<'PYEOF'
import hashlib, json, os, sys
layout, img, sbom, sig = sys.argv[1:5]
idx = json.load(open(os.path.join(layout, "index.json")))
entries = {d["digest"]: d for d in idx["manifests"]}
assert len(idx["manifests"]) == 3 and set(entries) == {img, sbom, sig}, "index.json lists %s" % list(entries)
assert entries[img]["annotations"]["org.opencontainers.image.ref.name"] == "app"
for r in (sbom, sig):
    assert "org.opencontainers.image.ref.name" not in entries[r].get("annotations", {}), "referrer tagged"
assert entries[sbom]["artifactType"] == "application/vnd.ferry.sbom", entries[sbom]
def blob(d):
    data = open(os.path.join(layout, "blobs", *d.split(":")), "rb").read()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == d, "blob %s" % d
    return data
for r in (img, sbom, sig):
    m = json.loads(blob(r))
    for b in [m["config"]] + m["layers"]:
        assert len(blob(b["digest"])) == b["size"]
PYEOF
if [ $? -eq 0 ]; then ok "oci: destination lists the referrers untagged, every blob intact"
else not_ok "oci: destination lists the referrers untagged, every blob intact" "$(cat "$T/why")"; fi
F inspect --referrers "oci:$D:app"
if [ "$RC" -eq 0 ] && check_index "$T/out" "$IMG" "$SBOM" 2>"$T/why"; then ok "inspect --referrers on the copied layout"
else not_ok "inspect --referrers on the copied layout" "rc $RC: $(cat "$T/err" "$T/why")"; fi

# ---- --all: the referrers of each instance follow too
MULTI=$(mkimage --layout oci --manifest oci --list --tag multi --seed 3 "$S") || { echo "Bail out! mkimage failed"; exit 1; }
INST=$(json "$S/blobs/sha256/${MULTI#sha256:}" 'j["manifests"][1]["digest"]')
referrers "$S" "$INST" >"$T/referrers.out"
{ read -r ISBOM && read -r ISIG; } <"$T/referrers.out"
F copy --quiet --all --referrers --dest-tls-verify=false "oci:$S:multi" "docker://$R/m/app:v1"
is "copy --all --referrers of a list" "$RC" 0
fallback_ok "--all: the instance's fallback tag lists its SBOM" m/app "$INST" "$ISBOM"
fallback_ok "--all: ... and the SBOM's its signature" m/app "$ISBOM" "$ISIG"
fallback m/app "$MULTI" >/dev/null 2>"$T/code"
is "--all: no fallback tag for the list, which has no referrer" "$(cat "$T/code")" 404

# ---- sync --referrers, twice (the second run copies again, for new referrers)
for round in 1 2; do
    F sync --referrers --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false \
        "$R/a/app:v1" "$R/s"
    is "sync --referrers docker -> docker (round $round)" "$RC" 0
done
fallback_ok "sync --referrers: the image's fallback tag lists exactly the SBOM" s/app "$IMG" "$SBOM"
fallback_ok "sync --referrers: the SBOM's lists the signature" s/app "$SBOM" "$SIG"

# ---- without --referrers nothing follows
F copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$R/a/app:v1" "docker://$R/c/app:v1"
fallback c/app "$IMG" >/dev/null 2>"$T/code"
is "copy without --referrers: no fallback tag at the destination" "$RC:$(cat "$T/code")" "0:404"
registry_get "http://$R/v2/c/app/manifests/$SBOM" >/dev/null 2>"$T/code"
is "copy without --referrers: the SBOM is not copied" "$(cat "$T/code")" 404
F copy --quiet "oci:$S:app" "oci:$T/plain:app"
is "copy to oci: without --referrers adds only the image" "$RC:$(json "$T/plain/index.json" 'len(j["manifests"])')" "0:1"

# ---- a registry with the referrers API: the fault proxy answers
# /referrers/ (the image's: the SBOM alone, as an index; any other: an empty
# one) and, later, acknowledges manifest PUTs with OCI-Subject.
start_proxy api "$REG_PORT"
P="127.0.0.1:$PROXY_PORT"
fallback a/app "$IMG" >"$T/fb" 2>/dev/null
"$PYTHON3" - "$T/fb" "$T/api.json" "$T/api-empty.json" <<'PYEOF'
import json, sys
idx = json.load(open(sys.argv[1]))
json.dump(idx, open(sys.argv[2], "w"))
idx["manifests"] = []
json.dump(idx, open(sys.argv[3], "w"))
PYEOF
OCI_INDEX=application/vnd.oci.image.index.v1+json
proxy_rules api "action=serve,file=$T/api.json,type=$OCI_INDEX,path=/referrers/$IMG" \
    "action=serve,file=$T/api-empty.json,type=$OCI_INDEX,path=/referrers/"
F inspect --referrers $NOTLS "docker://$P/c/app:v1"
if [ "$RC" -eq 0 ] && check_index "$T/out" "$IMG" "$SBOM" 2>"$T/why"; then ok "inspect --referrers: the API's answer (c has no fallback tag)"
else not_ok "inspect --referrers: the API's answer (c has no fallback tag)" "rc $RC: $(cat "$T/err" "$T/why")"; fi
F copy --quiet --referrers --src-tls-verify=false --dest-tls-verify=false "docker://$P/a/app:v1" "docker://$R/f/app:v1"
is "copy --referrers from a registry with the API" "$RC" 0
fallback_ok "... copies what the API lists" f/app "$IMG" "$SBOM"
fallback f/app "$SBOM" >/dev/null 2>"$T/code"
is "... and only that (the API lists no referrer of the SBOM; its fallback tag is not read)" "$(cat "$T/code")" 404
proxy_rules api "action=add-header,header=OCI-Subject:$IMG,method=PUT,path=/manifests/sha256:"
F copy --quiet --referrers --dest-tls-verify=false "oci:$S:app" "docker://$P/g/app:v1"
is "copy --referrers to a registry answering OCI-Subject" "$RC" 0
fallback g/app "$IMG" >/dev/null 2>"$T/code"
is "... writes no fallback tag" "$(cat "$T/code")" 404
if same_manifest g/app "$SBOM" && same_manifest g/app "$SIG"; then ok "... but pushes the referrers by digest"
else not_ok "... but pushes the referrers by digest"; fi
proxy_clear api

# ---- a referrer whose blob is missing: one line, nothing tagged
B="$T/broken"
BIMG=$(mkimage --layout oci --manifest oci --layers 1 --tag app --seed 9 "$B") || { echo "Bail out! mkimage failed"; exit 1; }
referrers "$B" "$BIMG" broken >"$T/bd"
MISSING=$("$PYTHON3" -c 'import json,sys; m=json.load(open(sys.argv[1]+"/blobs/sha256/"+sys.argv[2][7:])); print(m["layers"][0]["digest"])' "$B" "$(tail -n 1 "$T/bd")")
F copy --quiet --referrers --dest-tls-verify=false "oci:$B:app" "docker://$R/d/app:v1"
is "a referrer with a missing blob fails the copy (exit 1: the image exists)" "$RC" 1
stderr_one_line "... in one line naming the blob" "${MISSING#sha256:}"
registry_get "http://$R/v2/d/app/tags/list" >"$T/tags" 2>"$T/code"
is "... and nothing is tagged at the destination" "$(cat "$T/code"):$(json "$T/tags" 'j.get("tags") or []' 2>/dev/null)" "404:"
F copy --quiet --referrers "oci:$B:app" "oci:$T/bdst:app"
is "... nor in an oci: layout" "$RC:$(test -e "$T/bdst" && echo exists)" "1:"

# ---- transports without referrers
F copy --quiet --referrers "oci:$S:app" "dir:$T/dir"
is "copy --referrers to dir: is refused" "$RC" 1
stderr_one_line "... in one line naming the transport" "--referrers" "transport dir"
F copy --quiet "oci:$S:app" "dir:$T/dir2"
F copy --quiet --referrers "dir:$T/dir2" "oci:$T/fromdir:x"
is "copy --referrers from dir: is refused" "$RC" 1
stderr_one_line "... in one line naming the transport" "transport dir"
F inspect --referrers "dir:$T/dir2"
is "inspect --referrers dir: is refused" "$RC" 1
stderr_one_line "... in one line" "transport dir"
F inspect --referrers --raw "oci:$S:app"
is "inspect --referrers --raw is refused" "$RC" 1
F copy --quiet --referrers --format v2s2 --dest-tls-verify=false "oci:$S:app" "docker://$R/e/app:v1"
is "copy --referrers refuses to convert the image (its referrers name its digest)" "$RC" 1
stderr_one_line "... in one line" "digest"

finish
