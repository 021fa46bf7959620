#!/bin/bash
# tests/system/sync.sh — `ferry sync` against `skopeo sync` 1.9.3 on real
# docker-registry instances (127.0.0.1): the same sources synced by both
# tools into twin destinations must give the same names, trees and digests
# (docker→dir, docker→docker, dir→docker, yaml→docker, yaml→dir, --scoped,
# --all with a multi-arch image); then what skopeo lacks or gets wrong: oci
# layouts on both sides, a second sync of unchanged images that sends
# nothing, --dry-run, --keep-going past a broken tag, --digestfile,
# --append-suffix, two syncs into one destination at once, and one-line
# errors for bad flags and bad YAML files.
. "$(dirname "$0")/docker-lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
start_registry src
SRC=127.0.0.1:$REG_PORT
SRC_DIR=$REG_DIR
start_registry dst
DST=127.0.0.1:$REG_PORT
SK="skopeo --insecure-policy"
FY="ferry --insecure-policy"
# tree DIR: every file below DIR with its content hash, sorted.
tree() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }
# tags REPO: the tags of a repository of the destination registry, sorted.
tags() { ferry list-tags --tls-verify=false "docker://$DST/$1" 2>/dev/null | json /dev/stdin '"\n".join(sorted(j["Tags"]))'; }
# digests REPO TAG...: "tag digest" lines from the destination registry.
digests() {
    local repo=$1 t
    shift
    for t in "$@"; do
        echo "$t $(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$DST/$repo:$t" 2>/dev/null)"
    done
}

# Fixtures: three tags of one repository (two images sharing a base), a
# multi-arch image, pushed with skopeo.
mkimage --layout oci --manifest oci --layers 2 --tag one "$T/img" >/dev/null
mkimage --layout oci --manifest oci --layers 3 --seed 7 --tag two "$T/img" >/dev/null
mkimage --layout oci --manifest oci --list --tag multi "$T/img" >/dev/null
for t in a:one b:two c:one; do
    $SK copy -q --dest-tls-verify=false "oci:$T/img:${t#*:}" "docker://$SRC/ns/app:${t%%:*}" >/dev/null
done
check "multi-arch source pushed" $SK copy -q --all --dest-tls-verify=false "oci:$T/img:multi" "docker://$SRC/ns/multi:m"

# ---- docker → dir, compared with skopeo --------------------------------------
run_ok "docker -> dir" $FY sync --src docker --dest dir --src-tls-verify=false "$SRC/ns/app" "$T/f-dir"
$SK sync --src docker --dest dir --src-tls-verify=false "$SRC/ns/app" "$T/s-dir" >/dev/null 2>&1
is "docker -> dir: same image directories as skopeo" "$(ls "$T/f-dir")" "$(ls "$T/s-dir")"
same_file_tree() { tree "$2" >"$T/tree.f"; tree "$3" >"$T/tree.s"; same_file "$1" "$T/tree.f" "$T/tree.s"; }
same_file_tree "docker -> dir: same files, same bytes as skopeo's" "$T/f-dir" "$T/s-dir"
check "docker -> dir: one line per image" grep -c "copied docker://$SRC/ns/app:" "$T/out"
is "docker -> dir: three images copied" "$(grep -c '] copied ' "$T/out")" 3
check "docker -> dir: a summary" grep -q '^Synced 3 images from 1 sources: 3 copied, 0 unchanged, 0 failed' "$T/out"

# A second sync: skopeo refuses the existing directories; ferry finds them unchanged.
run_ok "docker -> dir again: nothing changed" $FY sync --src docker --dest dir --src-tls-verify=false "$SRC/ns/app" \
    "$T/f-dir"
is "docker -> dir again: every image unchanged" "$(grep -c '] unchanged ' "$T/out")" 3
same_file_tree "docker -> dir again: the tree did not move" "$T/f-dir" "$T/s-dir"
# A directory holding something else is refused, as skopeo refuses it.
rm -rf "$T/f-dir/app:b" && mkdir "$T/f-dir/app:b"
run_status "an existing directory is not overwritten" 1 $FY sync --src docker --dest dir --src-tls-verify=false \
    "$SRC/ns/app:b" "$T/f-dir"
check "... in skopeo's words" grep -q "Refusing to overwrite destination directory \"$T/f-dir/app:b\"" "$T/err"

# ---- docker → docker, dir → docker, --scoped -----------------------------------
run_ok "docker -> docker" $FY sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false \
    "$SRC/ns/app" "$DST/ferry"
$SK sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/app" "$DST/skopeo" \
    >/dev/null 2>&1
is "docker -> docker: same tags" "$(tags ferry/app)" "$(tags skopeo/app)"
is "docker -> docker: same digests" "$(digests ferry/app a b c)" "$(digests skopeo/app a b c)"
is "docker -> docker: the source's digests" "$(digests ferry/app a b c)" \
    "$(for t in a b c; do echo "$t $(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$SRC/ns/app:$t")"; done)"
run_ok "docker -> docker again" $FY sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false \
    "$SRC/ns/app" "$DST/ferry"
is "docker -> docker again: every image unchanged, nothing sent" "$(grep -c '] unchanged ' "$T/out") $(grep -c '0.0 MB sent' "$T/out")" "3 1"

run_ok "dir -> docker" $FY sync --src dir --dest docker --dest-tls-verify=false "$T/s-dir" "$DST/fromdir-f"
$SK sync --src dir --dest docker --dest-tls-verify=false "$T/s-dir" "$DST/fromdir-s" >/dev/null 2>&1
is "dir -> docker: same tags as skopeo" "$(tags fromdir-f/app)" "$(tags fromdir-s/app)"
is "dir -> docker: same digests as skopeo" "$(digests fromdir-f/app a b c)" "$(digests fromdir-s/app a b c)"

# Scoped names hold the source registry's host:port: a directory may, a
# repository may not (both tools refuse that), so --scoped goes to dir.
run_ok "--scoped docker -> dir" $FY sync --scoped --src docker --dest dir --src-tls-verify=false "$SRC/ns/app:a" \
    "$T/scoped-f"
$SK sync --scoped --src docker --dest dir --src-tls-verify=false "$SRC/ns/app:a" "$T/scoped-s" >/dev/null 2>&1
same_file_tree "--scoped: the same tree as skopeo's" "$T/scoped-f" "$T/scoped-s"
check "--scoped: named after the full source" test -f "$T/scoped-f/$SRC/ns/app:a/manifest.json"

# ---- --all with a multi-arch image -------------------------------------------------
run_ok "--all: a multi-arch image" $FY sync --all --src docker --dest docker --src-tls-verify=false \
    --dest-tls-verify=false "$SRC/ns/multi" "$DST/all-f"
$SK sync --all --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/multi" \
    "$DST/all-s" >/dev/null 2>&1
is "--all: the list's digest, as skopeo" "$(digests all-f/multi m)" "$(digests all-s/multi m)"
skopeo inspect --raw --tls-verify=false "docker://$DST/all-f/multi:m" >"$T/list" 2>/dev/null
is "--all: a list with both instances" "$(json "$T/list" 'len(j["manifests"])')" 2

# ---- yaml ----------------------------------------------------------------------------
cat >"$T/sync.yaml" <<EOF
$SRC:
  images:
    ns/app:
      - a
      - b
  images-by-tag-regex:
    ns/app: ^c\$
  tls-verify: false
EOF
run_ok "yaml -> docker" $FY sync --src yaml --dest docker --dest-tls-verify=false "$T/sync.yaml" "$DST/yaml-f"
$SK sync --src yaml --dest docker --dest-tls-verify=false "$T/sync.yaml" "$DST/yaml-s" >/dev/null 2>&1
is "yaml -> docker: same tags as skopeo" "$(tags yaml-f/app)" "$(tags yaml-s/app)"
is "yaml -> docker: same digests as skopeo" "$(digests yaml-f/app a b c)" "$(digests yaml-s/app a b c)"
run_ok "yaml -> dir" $FY sync --src yaml --dest dir "$T/sync.yaml" "$T/yaml-f"
$SK sync --src yaml --dest dir "$T/sync.yaml" "$T/yaml-s" >/dev/null 2>&1
same_file_tree "yaml -> dir: same tree as skopeo's" "$T/yaml-f" "$T/yaml-s"
cat >"$T/semver.yaml" <<EOF
$SRC:
  images-by-semver:
    ns/ver: ">= 1.2, < 2"
  tls-verify: false
EOF
for t in 1.0.0 1.2.0 v1.3 1.9.9 2.0.0 latest; do
    $SK copy -q --dest-tls-verify=false "oci:$T/img:one" "docker://$SRC/ns/ver:$t" >/dev/null
done
run_ok "yaml images-by-semver" $FY sync --src yaml --dest docker --dest-tls-verify=false "$T/semver.yaml" "$DST/semver"
is "images-by-semver: the tags the constraint allows" "$(tags semver/ver | tr '\n' ' ')" "1.2.0 1.9.9 v1.3 "

printf '%s:\n  images:\n    ns/app: [a\n' "$SRC" >"$T/bad.yaml"
run_status "bad YAML: exit 1" 1 $FY sync --src yaml --dest dir "$T/bad.yaml" "$T/bad-out"
stderr_one_line "bad YAML: one line naming the file and line" "$T/bad.yaml:"
printf '%s:\n  images:\n    ns/app: []\n  tls-verfy: false\n' "$SRC" >"$T/unknown.yaml"
run_status "unknown YAML key: exit 1" 1 $FY sync --src yaml --dest dir "$T/unknown.yaml" "$T/bad-out"
stderr_one_line "unknown YAML key: one line naming file, line and key" "$T/unknown.yaml:4" "tls-verfy"
printf '%s:\n  images-by-tag-regex:\n    ns/app: "a(("\n' "$SRC" >"$T/regex.yaml"
run_status "bad regex: exit 1" 1 $FY sync --src yaml --dest dir "$T/regex.yaml" "$T/bad-out"
stderr_one_line "bad regex: one line naming file, line and key" "$T/regex.yaml:3" "ns/app"
# Found by fuzz-sync-yaml: each stacked "+" doubled what glibc's regcomp
# built (2 GiB for this one); refused as Go's regexp refuses it, at once.
printf '%s:\n  images-by-tag-regex:\n    ns/app: "v+++++++++++++++++++++++++++++++++++++++++1"\n' "$SRC" >"$T/regex-blowup.yaml"
run_status "regex with stacked repetitions: exit 1" 1 $FY sync --src yaml --dest dir "$T/regex-blowup.yaml" "$T/bad-out"
stderr_one_line "... one line naming file, line and Go's reason" "$T/regex-blowup.yaml:3" "invalid nested repetition operator: \`++\`"
absent "bad YAML files write nothing" "$T/bad-out"

# A registry's credentials and certificates from the YAML file: TLS with the
# test CA, Basic auth.
start_registry sec --tls --htpasswd "syncuser:Sync-Pass-1"
SEC=127.0.0.1:$REG_PORT
$SK copy -q --dest-cert-dir "$REG_DIR/certs.d" --dest-creds syncuser:Sync-Pass-1 "oci:$T/img:one" \
    "docker://$SEC/sec/app:v1" >/dev/null
printf '%s:\n  images:\n    sec/app: [v1]\n  credentials:\n    username: syncuser\n    password: Sync-Pass-1\n  cert-dir: %s\n' \
    "$SEC" "$REG_DIR/certs.d" >"$T/sec.yaml"
run_ok "yaml credentials and cert-dir" $FY sync --src yaml --dest dir "$T/sec.yaml" "$T/sec-out"
check "... the image arrived" test -f "$T/sec-out/app:v1/manifest.json"
sed 's/Sync-Pass-1/wrong-pass/' "$T/sec.yaml" >"$T/sec-bad.yaml"
run_status "yaml: wrong credentials fail the image, as in skopeo" 1 $FY sync --src yaml --dest dir "$T/sec-bad.yaml" \
    "$T/sec-bad-out"
check "... naming it and why" grep -q "copying docker://$SEC/sec/app:v1: .*unauthorized" "$T/err"
absent "... and nothing written" "$T/sec-bad-out"

# ---- oci on both sides (ferry's own) --------------------------------------------------
run_ok "oci -> docker" $FY sync --src oci --dest docker --dest-tls-verify=false "$T/img" "$DST/fromoci"
is "oci -> docker: each reference of the layout a tag" "$(tags fromoci/img | tr '\n' ' ')" "multi one two "
run_ok "docker -> oci" $FY sync --src docker --dest oci --src-tls-verify=false "$SRC/ns/app" "$T/to-oci"
is "docker -> oci: one layout, a reference per image" \
    "$(json "$T/to-oci/index.json" '" ".join(sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in j["manifests"]))')" \
    "app:a app:b app:c"

# ---- --dry-run, --digestfile, --append-suffix -------------------------------------------
run_ok "--dry-run" $FY sync --dry-run --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false \
    "$SRC/ns/app" "$DST/dry"
is "--dry-run: lists what it would copy" "$(grep -c '] would copy ' "$T/out")" 3
is "--dry-run: writes nothing" "$(tags dry/app)" ""
run_ok "--digestfile --append-suffix" $FY sync --digestfile "$T/digests" --append-suffix -mirror --src docker \
    --dest docker --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/app" "$DST/suffix"
is "--append-suffix: every tag suffixed" "$(tags suffix/app | tr '\n' ' ')" "a-mirror b-mirror c-mirror "
is "--digestfile: DIGEST docker://REF per image" "$(sort -k2 "$T/digests")" \
    "$(digests suffix/app a-mirror b-mirror c-mirror | while read -r t d; do echo "$d docker://$DST/suffix/app:$t"; done)"

# ---- failures ------------------------------------------------------------------------
# Tag "two" has layers of its own: remove one from the registry's storage.
broken=$(skopeo inspect --tls-verify=false --format '{{index .Layers 2}}' "docker://$SRC/ns/app:b")
rm -rf "$SRC_DIR/data/docker/registry/v2/blobs/sha256/${broken:7:2}/${broken#sha256:}" \
    2>/dev/null
run_status "--keep-going past a broken tag: exit 1" 1 $FY sync --keep-going --src docker --dest docker \
    --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/app" "$DST/kg"
is "--keep-going: the others copied" "$(tags kg/app | tr '\n' ' ')" "a c "
check "--keep-going: the broken image named" grep -q "copying docker://$SRC/ns/app:b" "$T/err"
run_status "without --keep-going: exit 1" 1 $FY sync --parallel-images 1 --src docker --dest docker \
    --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/app" "$DST/stop"
check "without --keep-going: the broken image named" grep -q "copying docker://$SRC/ns/app:b" "$T/err"

run_status "--sign-by into dir: (no identity to sign): exit 1" 1 $FY sync --src-tls-verify=false --sign-by ABCD \
    --src docker --dest dir "$SRC/ns/app" "$T/x"
stderr_one_line "--sign-by: skopeo's one line" "Cannot determine canonical Docker reference for destination dir:"
run_status "no --src: exit 1" 1 $FY sync --dest dir "$SRC/ns/app" "$T/x"
stderr_one_line "no --src: skopeo's words" "A source transport must be specified"
run_status "dir -> dir refused" 1 $FY sync --src dir --dest dir "$T/s-dir" "$T/x"
stderr_one_line "dir -> dir: skopeo's words" "sync from 'dir' to 'dir' not implemented"
run_status "a missing source directory: exit 1" 1 $FY sync --src dir --dest docker "$T/no-such-dir" "$DST/x"
stderr_one_line "... one line naming it" "$T/no-such-dir"
absent "refused syncs write nothing" "$T/x"

# ---- layers shared by images copied at once are sent once ------------------------------
# Twelve tags of one image into another registry, through a logging proxy:
# each layer is uploaded (a PUT of the finished upload) exactly once.
mkimage --layout oci --manifest oci --layers 3 --seed 9 --tag three "$T/img" >/dev/null
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
    $SK copy -q --dest-tls-verify=false "oci:$T/img:three" "docker://$SRC/ns/many:t$i" >/dev/null
done
start_registry third
start_proxy logp "$REG_PORT"
PLOG="$PROXY_DIR/requests.log"
mark "$PLOG"
run_ok "12 tags sharing every layer, 8 at once, into another registry" $FY sync --parallel-images 8 --src docker \
    --dest docker --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/many" "127.0.0.1:$PROXY_PORT/many"
is "each shared layer sent once" "$(jcount "$PLOG" 'r["method"] == "PUT" and "/blobs/uploads/" in r["path"]')" 4

# ---- two syncs into one destination at once -------------------------------------------
$FY sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/ver" "$DST/both" \
    >"$T/both1" 2>&1 &
p1=$!
$FY sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$SRC/ns/ver" "$DST/both" \
    >"$T/both2" 2>&1 &
p2=$!
wait "$p1"
s1=$?
wait "$p2"
s2=$?
is "two syncs at once: both succeed" "$s1 $s2" "0 0"
[ "$s1 $s2" = "0 0" ] || diag "$(cat "$T/both1" "$T/both2")"
is "two syncs at once: every tag present" "$(tags both/ver | tr '\n' ' ')" "1.0.0 1.2.0 1.9.9 2.0.0 latest v1.3 "
finish
