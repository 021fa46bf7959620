#!/bin/bash
# tests/system/oci-layout.sh — writing into one OCI layout (TAP): concurrent
# ferry processes adding different tags all survive in index.json (skopeo
# loses entries here), re-tagging keeps every other entry, existing blobs are
# reused and never rewritten, copies inside one layout, and interruption
# (SIGTERM, SIGKILL) never leaves a half image that index.json refers to, and
# the staging directories a killed writer leaves are swept by the next one.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

W="$T/w"
declare -A DIG
for i in 1 2 3 4 5 6; do
    DIG[$i]=$(mkimage --layout oci --manifest oci --tag img --seed "s$i" --layers 2 --layer-size 128K "$T/img/src$i") ||
        { echo "Bail out! mkimage failed"; exit 1; }
done
# Same layers as src1 (same seed), other config: shares both layer blobs.
SHARED_DIGEST=$(mkimage --layout oci --manifest oci --tag img --seed s1 --layers 2 --layer-size 128K \
    --label variant=b "$T/img/src1b") || { echo "Bail out! mkimage failed"; exit 1; }

# tag_digest LAYOUT TAG: digest index.json gives for TAG ("" when absent,
# "DUPLICATE" when several entries carry it).
tag_digest() {
    local n
    n=$(checkimage refs "$1" | awk -v t="$2" '$1 == t' | wc -l)
    if [ "$n" -gt 1 ]; then echo DUPLICATE; return; fi
    checkimage refs "$1" | awk -v t="$2" '$1 == t {print $2}'
}
# blob_stats LAYOUT: "name inode mtime" of every blob.
blob_stats() { (cd "$1/blobs/sha256" && find . -type f -printf '%f %i %T@\n' | LC_ALL=C sort); }
# only_layout_files LAYOUT: nothing but oci-layout, index.json and blobs.
only_layout_files() {
    local stray
    stray=$(cd "$1" && find . -mindepth 1 -regextype posix-extended ! -path ./oci-layout ! -path ./index.json \
        ! -path ./blobs ! -path ./blobs/sha256 ! -regex '\./blobs/sha256/[0-9a-f]{64}')
    if [ -z "$stray" ]; then ok "$2"; else not_ok "$2" "stray files: $stray"; fi
}

# ------------------------------------------------ concurrent writers
L="$W/concurrent"
for round in 1 2 3; do
    pids=()
    for i in 1 2 3 4 5 6; do
        timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry copy -q "oci:$T/img/src$i:img" "oci:$L:r$round-t$i" \
            >"$T/conc.$round.$i.out" 2>&1 </dev/null &
        pids+=($!)
    done
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
    is "round $round: 6 concurrent copies into one layout all succeed" "$failed" 0
    missing=""
    for i in 1 2 3 4 5 6; do
        [ "$(tag_digest "$L" "r$round-t$i")" = "${DIG[$i]}" ] || missing="$missing r$round-t$i"
    done
    is "round $round: all 6 tags are in index.json with the right digests" "${missing:-none missing}" "none missing"
done
is "index.json holds exactly the 18 entries written" "$(checkimage refs "$L" | wc -l)" 18
bad=""
for round in 1 2 3; do for i in 1 6; do
    checkimage verify oci "$L:r$round-t$i" --diffids 2>>"$T/verify.err" || bad="$bad r$round-t$i"
done; done
is "concurrently written images are complete" "${bad:-all complete}" "all complete"
only_layout_files "$L" "no temporary files left in the layout after concurrent writes"

# ------------------------------------------------ re-tagging
R="$W/retag"
run_ok "copy image 1 as tag a" ferry copy -q "oci:$T/img/src1:img" "oci:$R:a"
run_ok "copy image 2 as tag b" ferry copy -q "oci:$T/img/src2:img" "oci:$R:b"
run_ok "copy image 3 as tag c" ferry copy -q "oci:$T/img/src3:img" "oci:$R:c"
run_ok "re-tag b with image 4" ferry copy -q "oci:$T/img/src4:img" "oci:$R:b"
is "re-tagged b points to image 4, once" "$(tag_digest "$R" b)" "${DIG[4]}"
is "tag a kept" "$(tag_digest "$R" a)" "${DIG[1]}"
is "tag c kept" "$(tag_digest "$R" c)" "${DIG[3]}"
# (skopeo keeps the manifest b used to name as an untagged entry; either way
# exactly three entries carry a name.)
is "index.json has three tagged entries" "$(checkimage refs "$R" | grep -vc '^- ')" 3
entries=$(checkimage refs "$R" | wc -l)
run_ok "copy the same image to the same tag again" ferry copy -q "oci:$T/img/src1:img" "oci:$R:a"
is "same image, same tag: no entry added, a unchanged" "$(checkimage refs "$R" | wc -l):$(tag_digest "$R" a)" "$entries:${DIG[1]}"
for t in a b c; do
    run checkimage verify oci "$R:$t" --diffids
    is "tag $t is a complete image" "$RC" 0
done
if [ "$HAVE_SKOPEO" = 1 ]; then
    run skopeo inspect --format '{{.Digest}}' "oci:$R:a"
    is "skopeo reads the re-tagged layout" "$RC:$(cat "$T/out")" "0:${DIG[1]}"
fi

# ------------------------------------------------ existing blobs are reused, not rewritten
B="$W/reuse"
run_ok "copy image 1 into a new layout" ferry copy -q "oci:$T/img/src1:img" "oci:$B:one"
blob_stats "$B" >"$T/blobs.before"
sleep 1.1 # so that a rewrite would show in the mtime even at 1 s resolution
run_ok "copy image 1 again under another tag" ferry copy -q "oci:$T/img/src1:img" "oci:$B:two"
blob_stats "$B" >"$T/blobs.after"
same_file "no blob rewritten (same inodes and mtimes)" "$T/blobs.after" "$T/blobs.before"
run_ok "copy an image sharing both layers" ferry copy -q "oci:$T/img/src1b:img" "oci:$B:three"
blob_stats "$B" | grep -Ff <(cut -d' ' -f1 "$T/blobs.before") >"$T/blobs.after2"
same_file "shared layers kept their inodes and mtimes" "$T/blobs.after2" "$T/blobs.before"
is "the sharing image is tagged" "$(tag_digest "$B" three)" "$SHARED_DIGEST"
run_ok "copy inside one layout (oci:L:one -> oci:L:four)" ferry copy -q "oci:$B:one" "oci:$B:four"
is "copy inside one layout: same digest" "$(tag_digest "$B" four)" "${DIG[1]}"
blob_stats "$B" | grep -Ff <(cut -d' ' -f1 "$T/blobs.before") >"$T/blobs.after3"
same_file "copy inside one layout rewrote no blob" "$T/blobs.after3" "$T/blobs.before"
only_layout_files "$B" "no temporary files left in the layout"

# ------------------------------------------------ interruption
BIG="$T/img/big"
mkimage --layout oci --manifest oci --compression none --layers 2 --layer-size 128M --tag big "$BIG" >"$T/big.digest" ||
    not_ok "large fixture generated"
K="$W/interrupted"
run_ok "layout with one image before the interruptions" ferry copy -q "oci:$T/img/src2:img" "oci:$K:keep"
snapshot "$K" >"$T/snap.k"

# interrupt SIGNAL DEST [DIR GLOB]: starts a slow copy (compressing 256 MB),
# signals it after 0.5 s, or once a DIR/GLOB entry exists (bounded wait: a
# slow machine or a sanitizer build may take longer to start writing); prints
# ferry's exit status.
interrupt() {
    ferry copy -q --dest-compress "oci:$BIG:big" "$2" >/dev/null 2>"$T/int.err" </dev/null &
    local pid=$! i
    sleep 0.5
    if [ $# -ge 4 ]; then
        for i in $(seq 1 300); do
            [ -n "$(find "$3" -maxdepth 1 -name "$4" 2>/dev/null)" ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    kill -s "$1" "$pid" 2>/dev/null
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    wait "$pid"
    echo $?
}
st=$(interrupt TERM "oci:$K:big")
if [ "$st" -ne 0 ]; then
    ok "SIGTERM stops the copy (exit $st)"
    unchanged "after SIGTERM the layout is exactly as before" "$K" "$T/snap.k"
else
    not_ok "SIGTERM stops the copy" "the copy finished in under 0.5 s: the fixture is too small to test this"
fi
st=$(interrupt TERM "dir:$W/interrupted-dir")
if [ "$st" -ne 0 ]; then
    absent "after SIGTERM a new dir: destination does not exist" "$W/interrupted-dir"
else
    not_ok "SIGTERM stops a copy to dir:" "the copy finished in under 0.5 s"
fi
st=$(interrupt KILL "oci:$K:big")
got=$(tag_digest "$K" big)
if [ -z "$got" ]; then
    ok "after kill -9 index.json has no entry for the interrupted image"
else
    run checkimage verify oci "$K:big"
    is "after kill -9 the interrupted image is absent or complete" "$RC" 0
fi
is "after kill -9 the other tag is intact" "$(tag_digest "$K" keep)" "${DIG[2]}"
run checkimage verify oci "$K:keep" --diffids
is "after kill -9 the other image is complete" "$RC" 0
run_ok "a copy after kill -9 succeeds (no stale lock)" ferry copy -q "oci:$T/img/src3:img" "oci:$K:after"
is "... and index.json has keep and after" "$(tag_digest "$K" keep) $(tag_digest "$K" after)" "${DIG[2]} ${DIG[3]}"

# ------------------------------------------------ leftovers of killed writers
# A killed writer leaves its staging directory; the next writer removes it
# once nobody holds its lock and it is a minute old (the age spares a
# directory between its creation and its lock).
age() { touch -d '2 minutes ago' "$@"; }
staged() { find "$1" -maxdepth 1 -name "$2" -type d | LC_ALL=C sort; }
st=$(interrupt KILL "oci:$K:big2" "$K/blobs" '.ferry-staging-*')
left=$(staged "$K/blobs" '.ferry-staging-*')
if [ -n "$left" ]; then ok "kill -9 mid-copy leaves a staging directory in blobs/"; else
    not_ok "kill -9 mid-copy leaves a staging directory in blobs/" "none (killed before staging, exit $st)"; fi
mkdir "$K/blobs/.ferry-staging-held" "$K/blobs/.ferry-staging-young"
age $left "$K/blobs/.ferry-staging-held"
flock "$K/blobs/.ferry-staging-held" sleep 30 &
holder=$!
for i in $(seq 1 50); do flock -n "$K/blobs/.ferry-staging-held" true || break; sleep 0.1; done
run_ok "a copy after the kill" ferry copy -q "oci:$T/img/src3:img" "oci:$K:after2"
is "the killed writer's old staging directory was removed; a locked and a young one stay" \
    "$(staged "$K/blobs" '.ferry-staging-*')" "$K/blobs/.ferry-staging-held
$K/blobs/.ferry-staging-young"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rmdir "$K/blobs/.ferry-staging-held" "$K/blobs/.ferry-staging-young"
run checkimage verify oci "$K:after2" --diffids
is "the layout is sound after the sweep" "$RC" 0

st=$(interrupt KILL "dir:$W/killed-dir" "$W" '.ferry-dir-*')
left=$(staged "$W" '.ferry-dir-*')
if [ -n "$left" ]; then ok "kill -9 mid-copy to dir: leaves a staging directory"; else
    not_ok "kill -9 mid-copy to dir: leaves a staging directory" "none (exit $st)"; fi
age $left
run_ok "a copy to dir: in the same directory after the kill" ferry copy -q "oci:$T/img/src3:img" "dir:$W/after-kill"
is "the dir: leftover was removed" "$(staged "$W" '.ferry-dir-*')" ""
st=$(interrupt KILL "oci:$W/killed-new" "$W" '.ferry-oci-*')
left=$(staged "$W" '.ferry-oci-*')
if [ -n "$left" ]; then ok "kill -9 mid-copy to a new layout leaves its staging layout"; else
    not_ok "kill -9 mid-copy to a new layout leaves its staging layout" "none (exit $st)"; fi
age $left
run_ok "a copy to a new layout in the same directory" ferry copy -q "oci:$T/img/src3:img" "oci:$W/new-after-kill:x"
is "the staging layout was removed" "$(staged "$W" '.ferry-oci-*')" ""
absent "the killed copy's layout never appeared" "$W/killed-new"

finish
