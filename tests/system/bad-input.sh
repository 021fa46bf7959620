#!/bin/bash
# tests/system/bad-input.sh — broken images and malformed references (TAP).
#
# Each case must give exit 1 (also a missing blob: skopeo 1.10+ gives 2 only
# when the image itself does not exist), exactly one line on stderr naming the
# object concerned, and leave nothing half-written: a fresh destination stays
# absent, an existing destination (an oci layout with other tags, a dir:
# image) stays byte for byte and inode for inode as it was, and the --tmpdir
# directory is left empty.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

G="$T/img/good"
GO="$T/w/existing-layout"
GD="$T/w/existing-dir"
{
    mkimage --layers 2 --layer-size 300K,20K "$G" >/dev/null &&
        mkimage --layout oci --manifest oci --tag keep --seed 9 "$GO" >/dev/null &&
        mkimage --seed 10 "$GD" >/dev/null
} || { echo "Bail out! mkimage failed"; exit 1; }
cp -a "$GO" "$T/pristine-layout"
cp -a "$GD" "$T/pristine-dir"
snapshot "$GO" >"$T/snap.layout"
snapshot "$GD" >"$T/snap.dir"
W="$T/w"

# reset: after a case, puts the existing destinations back as they were and
# removes anything else, so that one failure does not spill into later cases.
reset() {
    snapshot "$GO" >"$T/snap.now"
    if ! cmp -s "$T/snap.now" "$T/snap.layout"; then
        rm -rf "$GO" && cp -a "$T/pristine-layout" "$GO" && snapshot "$GO" >"$T/snap.layout"
    fi
    snapshot "$GD" >"$T/snap.now"
    if ! cmp -s "$T/snap.now" "$T/snap.dir"; then
        rm -rf "$GD" && cp -a "$T/pristine-dir" "$GD" && snapshot "$GD" >"$T/snap.dir"
    fi
    find "$W" -mindepth 1 -maxdepth 1 ! -name existing-layout ! -name existing-dir -exec rm -rf {} +
    find "$TMP" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
}
TMP="$T/tmp"

# fy ARGS...: ferry with a private --tmpdir that must stay empty.
printf '#!/bin/sh\nexec "%s" --tmpdir "%s" "$@"\n' "$T/bin/ferry" "$TMP" >"$T/bin/fy"
chmod +x "$T/bin/fy"

# bad_copy KIND SRC_REF EXIT NEEDLE: the four destinations.
bad_copy() {
    local kind=$1 src=$2 want=$3 needle=$4
    run fy copy -q "$src" "dir:$W/new-dir-$kind"
    is "$kind: copy to a new dir: exits $want" "$RC" "$want"
    stderr_one_line "$kind: one error line naming $needle" "$needle"
    absent "$kind: new dir: destination not created" "$W/new-dir-$kind"
    run fy copy -q "$src" "oci:$W/new-oci-$kind:t"
    is "$kind: copy to a new oci layout: exits $want" "$RC" "$want"
    absent "$kind: new oci layout not created" "$W/new-oci-$kind"
    run fy copy -q "$src" "oci:$GO:$kind"
    is "$kind: copy into an existing layout: exits $want" "$RC" "$want"
    unchanged "$kind: existing layout untouched (index.json, blobs, inodes)" "$GO" "$T/snap.layout"
    run fy copy -q "$src" "dir:$GD"
    is "$kind: copy over an existing dir: image: exits $want" "$RC" "$want"
    unchanged "$kind: existing dir: image untouched" "$GD" "$T/snap.dir"
    empty_dir "$kind: no temporary files left in --tmpdir" "$TMP"
    is "$kind: nothing else appeared next to the destinations" \
        "$(ls "$W" | tr '\n' ' ')" "existing-dir existing-layout "
    reset
}

# ------------------------------------------------ broken dir: images
while IFS='|' read -r kind want what inspect_fails; do
    B="$T/img/bad-$kind"
    mkimage --layers 2 --layer-size 300K,20K --bad "$kind" "$B" >/dev/null || { not_ok "mkimage --bad $kind"; continue; }
    case $what in
        layer) needle=$(checkimage get "$B/manifest.json" layers 0 digest) ;;
        config) needle=$(checkimage get "$B/manifest.json" config digest) ;;
        path) needle=$B ;;
        *) needle=$what ;;
    esac
    bad_copy "$kind" "dir:$B" "$want" "$needle"
    if [ "$inspect_fails" = yes ]; then
        run fy inspect "dir:$B"
        is "$kind: inspect exits $want" "$RC" "$want"
        stderr_one_line "$kind: inspect error is one line naming $needle" "$needle"
    fi
done <<'EOF'
layer-digest-mismatch|1|layer|no
config-digest-mismatch|1|config|yes
truncated-layer|1|layer|no
wrong-layer-size|1|layer|no
missing-layer|1|layer|no
missing-config|1|config|yes
manifest-not-json|1|path|yes
manifest-huge|1|path|yes
config-huge|1|config|yes
layer-digest-traversal|1|sha256:../../x|no
config-digest-traversal|1|sha256:../../x|yes
layer-digest-short|1|layer|no
layer-digest-algo|1|md5:|no
EOF

run fy inspect --raw "dir:$T/img/bad-manifest-huge"
is "manifest over 4 MiB: even inspect --raw refuses it (exit 1)" "$RC" 1
if [ -s "$T/out" ]; then not_ok "manifest over 4 MiB: nothing printed" "$(wc -c <"$T/out") bytes on stdout"; else
    ok "manifest over 4 MiB: nothing printed"; fi

# A 1 GiB manifest.json (sparse) is refused without reading it into memory.
mkdir -p "$T/img/giant"
cp "$G/version" "$T/img/giant/version"
truncate -s 1G "$T/img/giant/manifest.json"
read -r kib status < <(peak_rss_kib "$T/bin/ferry" inspect --raw "dir:$T/img/giant")
is "1 GiB manifest refused with exit 1" "$status" 1
rss_below "1 GiB manifest refused in bounded memory" "$kib" 16384
rm -f "$T/img/giant/manifest.json"

# A 3.9 MB manifest is legitimate.
mkimage --layout dir --manifest-pad 3900K "$T/img/big-manifest" >"$T/digest" || not_ok "mkimage --manifest-pad"
run_ok "a 3.9 MB manifest is accepted" fy copy -q "dir:$T/img/big-manifest" "dir:$T/img/big-manifest-copy"
is "a 3.9 MB manifest is copied unchanged" "$(sha256 "$T/img/big-manifest-copy/manifest.json" 2>/dev/null)" \
    "$(cat "$T/digest")"

# ------------------------------------------------ broken oci layouts
while IFS='|' read -r kind needle inspect_fails; do
    B="$T/img/oci-$kind"
    mkimage --layout oci --manifest oci --tag t --bad "$kind" "$B" >/dev/null || { not_ok "mkimage --bad $kind"; continue; }
    if [ "$needle" = path ]; then needle=$B; fi
    if [ "$needle" = layer ]; then
        mf="$B/blobs/sha256/$(checkimage refs "$B" | cut -d' ' -f2 | cut -d: -f2)"
        needle=$(checkimage get "$mf" layers 0 digest)
    fi
    if [ "$inspect_fails" = yes ]; then
        run fy inspect "oci:$B:t"
        is "oci $kind: inspect exits 1" "$RC" 1
        stderr_one_line "oci $kind: inspect error is one line naming $needle" "$needle"
    fi
    bad_copy "oci-$kind" "oci:$B:t" 1 "$needle"
done <<'EOF'
index-digest-traversal|sha256:../../x|yes
index-not-json|path|yes
layer-digest-mismatch|layer|no
manifest-not-json|path|yes
EOF

# An index.json ref name that would traverse paths is only a name: skopeo
# reads such a layout, ferry must too, and nothing may appear outside it.
RT="$T/img/ref-traversal"
mkimage --layout oci --manifest oci --bad ref-traversal "$RT" >/dev/null
if [ "$HAVE_SKOPEO" = 1 ]; then
    run skopeo inspect "oci:$RT"
    cp "$T/out" "$T/sk.out"
    run fy inspect "oci:$RT"
    if [ "$RC" -eq 0 ]; then same_file "layout with ref name ../../x: inspect as skopeo" "$T/out" "$T/sk.out"; else
        not_ok "layout with ref name ../../x: inspect as skopeo" "exit $RC; $(cat "$T/err")"; fi
fi
run_ok "layout with ref name ../../x: copy of its only image" fy copy -q "oci:$RT" "oci:$W/rt-copy:ok"
is "ref name ../../x created nothing outside the layouts" \
    "$(for p in "$T/img/x" "$T/x" "$W/x" "$RT/../../x"; do [ -e "$p" ] && echo "$p"; done)" ""
rm -rf "$W/rt-copy"

# ------------------------------------------------ malformed references
while IFS='|' read -r desc ref want needle; do
    run fy inspect "$ref"
    is "inspect $desc: exit $want" "$RC" "$want"
    stderr_one_line "inspect $desc: one line naming '$needle'" "$needle"
done <<EOF
no transport|justaname|1|justaname
empty transport|:foo|1|:foo
oci ref ../../x|oci:$GO:../../x|1|../../x
oci ref with a space|oci:$GO:bad ref|1|bad ref
oci @ not a number|oci:$GO:@x|1|@x
oci @ negative|oci:$GO:@-1|1|@-1
oci @ with junk|oci:$GO:@0x|1|@0x
EOF
run fy inspect "oci:$GO:@99"
if [ "$RC" -eq 1 ] || [ "$RC" -eq 2 ]; then ok "inspect oci @99 beyond the index: error exit ($RC)"; else
    not_ok "inspect oci @99 beyond the index: error exit" "exit $RC"; fi
stderr_one_line "inspect oci @99: one line naming it" "99"

run fy copy -q "dir:$G" "oci:$W/trav:../../x"
is "copy to oci ref ../../x: exit 1" "$RC" 1
stderr_one_line "copy to oci ref ../../x: one line naming it" "../../x"
absent "copy to oci ref ../../x: layout not created" "$W/trav"
is "copy to oci ref ../../x: nothing created outside" \
    "$(for p in "$T/x" "$W/x" "$W/trav/../../x"; do [ -e "$p" ] && echo "$p"; done)" ""
run fy copy -q "dir:$G" "oci:$GO:@0"
is "copy to oci:PATH:@0 (an index is not a destination name): exit 1" "$RC" 1
unchanged "copy to oci:PATH:@0: existing layout untouched" "$GO" "$T/snap.layout"
reset
empty_dir "no temporary files left at the end" "$TMP"

# ---------------------------------------------------------------- errors name their reference once
# "DOING REFERENCE: detail" (doc/architecture.md, "Error messages"); skopeo's
# line names the same reference, as its own messages do.
# named_once DESC REFERENCE WORDS SKOPEO_WORDS CMD...: exit non-zero, one line
# naming REFERENCE exactly once and containing WORDS; skopeo fails too, its
# message containing SKOPEO_WORDS.
named_once() {
    local desc=$1 ref=$2 words=$3 skopeo_words=$4; shift 4
    run ferry "$@"
    is "$desc: fails" "$([ "$RC" -ne 0 ] && echo failed)" failed
    stderr_one_line "$desc: one line" "$words"
    is "$desc: names $ref once" "$(grep -oF -- "$ref" "$T/err" | wc -l)" 1
    if [ "$HAVE_SKOPEO" = 1 ]; then
        run skopeo --insecure-policy "$@"
        is "$desc: skopeo fails too, with '$skopeo_words'" \
            "$([ "$RC" -ne 0 ] && grep -qF -- "$skopeo_words" "$T/err" && echo yes)" yes
    fi
}
named_once "missing oci layout" "oci:$T/nosuch:t" "initializing source oci:$T/nosuch:t: " "oci:$T/nosuch:t" \
    inspect "oci:$T/nosuch:t"
named_once "missing tag in a layout" "oci:$GO:missing" "initializing source oci:$GO:missing: " \
    "initializing source oci:$GO:missing: " copy "oci:$GO:missing" "dir:$W/named1"
named_once "missing archive" "docker-archive:$T/nosuch.tar" "initializing source docker-archive:$T/nosuch.tar: " \
    "docker-archive:$T/nosuch.tar" inspect "docker-archive:$T/nosuch.tar"
named_once "unwritable destination" "dir:/proc/nope/x" "initializing destination dir:/proc/nope/x: " \
    "dir:/proc/nope/x: " copy "dir:$G" dir:/proc/nope/x
named_once "bad tag" "oci:$T/x:bad@@tag" "invalid image name \"oci:$T/x:bad@@tag\": " "oci:$T/x:bad@@tag: " \
    copy "dir:$G" "oci:$T/x:bad@@tag"
named_once "bad docker reference" "docker://x/y:-bad" \
    "invalid image name \"docker://x/y:-bad\": invalid reference format" "docker://x/y:-bad: invalid reference format" \
    copy "dir:$G" docker://x/y:-bad
named_once "upper-case repository (docker.io's, as containers/image v5.23.1 splits it)" docker://UPPER/x \
    "repository name must be lowercase" "repository name must be lowercase" inspect docker://UPPER/x
named_once "unreachable registry" "docker://127.0.0.1:1/x:t" "docker://127.0.0.1:1/x:t: " "127.0.0.1:1" \
    inspect docker://127.0.0.1:1/x:t
named_once "delete from an unreachable registry" "docker://127.0.0.1:1/x:t" "docker://127.0.0.1:1/x:t: " "127.0.0.1:1" \
    delete docker://127.0.0.1:1/x:t
reset

# ---------------------------------------------------------------- transports not installed
# The in-tree transports packaged apart from ferry (debian/, ferry.spec) name
# their package when their module is missing; any other name is unknown.
# The prefix is configure's --with-transport-packages (empty: no package).
PKG_PREFIX=$(sed -n 's/^#define FERRY_TRANSPORT_PACKAGE_PREFIX "\(.*\)"$/\1/p' "$BUILDDIR/config.h")
mkdir -p "$T/no-modules"
while IFS='|' read -r transport ref package; do
    FERRY_TRANSPORT_PATH="$T/no-modules" run fy inspect "$ref"
    is "$transport module missing: exit 1" "$RC" 1
    if [ -n "$PKG_PREFIX" ]; then
        stderr_one_line "$transport module missing: one line naming its package" \
            "transport $transport is not installed (package $PKG_PREFIX$package): no module $transport.so found in " \
            "$T/no-modules"
    else
        stderr_one_line "$transport module missing: unknown transport" "unknown transport \"$transport\"" "$T/no-modules"
    fi
done <<EOF
docker|docker://127.0.0.1:5000/x|docker
oci-archive|oci-archive:$T/x.tar|archives
docker-archive|docker-archive:$T/x.tar|archives
docker-daemon|docker-daemon:busybox:latest|docker-daemon
containers-storage|containers-storage:busybox|containers-storage
ostree|ostree:busybox@/nonexistent/repo|ostree
sif|sif:$T/x.sif|sif
tarball|tarball:$T/x.tar|archives
EOF
FERRY_TRANSPORT_PATH="$T/no-modules" run fy copy -q "frobnicate:x" "dir:$W/frob"
is "third-party transport missing: exit 1" "$RC" 1
stderr_one_line "third-party transport missing: still an unknown transport, no package" \
    'unknown transport "frobnicate": no module frobnicate.so found in ' "$T/no-modules"
is "third-party transport missing: no package named" "$(grep -c package "$T/err")" 0
absent "third-party transport missing: nothing written" "$W/frob"
FERRY_TRANSPORT_PATH="$T/no-modules" run fy copy -q "dir:$G" "oci:$W/o:t"
is "dir and oci are not packaged apart: unknown transport" "$(grep -c 'unknown transport "dir"' "$T/err")" 1

finish
