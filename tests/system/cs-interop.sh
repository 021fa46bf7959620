#!/bin/bash
# tests/system/cs-interop.sh — the containers-storage: transport with the
# other tools that share a store (TAP), every store private under $T:
# images podman and buildah pulled are read by ferry with the DiffIDs and
# inspect output skopeo gives; buildah builds on an image ferry wrote; every
# reference form (full and short ID, REF@ID, REF@DIGEST) resolves as in
# skopeo; additional image stores (storage.conf and [DRIVER@ROOT:OPTIONS])
# are read and never written; ferry and podman write one store at the same
# time; a full file system fails in one line and leaves no image and no
# layer behind.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python
[ "$HAVE_SKOPEO" = 1 ] || skip_all "skopeo is not installed"
command -v podman >/dev/null 2>&1 || skip_all "podman is not installed"
command -v buildah >/dev/null 2>&1 || skip_all "buildah is not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root (device nodes, owners, overlay mounts)"
[ -e "$FERRY_TRANSPORT_PATH/containers-storage.so" ] || [ -e "$FERRY_TRANSPORT_PATH/.libs/containers-storage.so" ] ||
    skip_all "the containers-storage transport is not built"

FULL="$T/full"
trap '_st=$?; unmount_below_t; (exit $_st); _tap_exit' EXIT

KINDS="$T/img/kinds"
"$PYTHON3" "$SRCDIR/tests/fixtures/mkkinds.py" "$KINDS" >/dev/null || { not_ok "mkkinds.py"; finish; }
read -r CONFIG_DIGEST DIFF_IDS < <("$PYTHON3" -c '
import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))
m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"][7:]))
c=json.load(open(d+"/blobs/sha256/"+m["config"]["digest"][7:]))
print(m["config"]["digest"], " ".join(c["rootfs"]["diff_ids"]))' "$KINDS")
ID=${CONFIG_DIGEST#sha256:}
# podman and buildah name an oci: image after its path, which $T's capitals
# make invalid: they pull docker-archives with a name instead (skopeo's).
skopeo copy -q "oci:$KINDS:v1" "docker-archive:$T/img/kinds.tar:example.com/pulled:v1" >/dev/null 2>&1 ||
    not_ok "setup: skopeo writes the docker-archive"

store() { echo "[$1@$T/$2/root+$T/$2/run]"; }
# pod|bah DRIVER STORE ARGS...: podman or buildah on the private store $T/STORE
# (scripts, so that run_ok can time them).
for _tool in pod:podman bah:buildah; do
    cat >"$T/bin/${_tool%%:*}" <<EOF
#!/bin/bash
d=\$1 s=\$2; shift 2
exec ${_tool#*:} --root "$T/\$s/root" --runroot "$T/\$s/run" --storage-driver "\$d" "\$@"
EOF
    chmod +x "$T/bin/${_tool%%:*}"
done

# inspect_same DESC REFERENCE: ferry's inspect output is skopeo's, and not empty.
inspect_same() {
    ferry inspect "$2" >"$T/insp.ferry" 2>"$T/err"
    skopeo inspect "$2" >"$T/insp.skopeo" 2>>"$T/err"
    if [ -s "$T/insp.skopeo" ]; then same_file "$1" "$T/insp.ferry" "$T/insp.skopeo"; else
        not_ok "$1" "skopeo printed nothing: $(head -c 1000 "$T/err")"
    fi
}

# The DiffIDs of the image in a dir: copy (its manifest lists them: layers
# are served uncompressed).
dir_layers() {
    "$PYTHON3" -c '
import json,sys
print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]+"/manifest.json"))["layers"]))' "$1"
}

# ---------------------------------------------------------------- podman and buildah write, ferry reads
for DRIVER in overlay vfs; do
    P="p-$DRIVER" B="b-$DRIVER"
    run_ok "$DRIVER: podman pulls the every-kind image into its store" \
        pod "$DRIVER" "$P" pull -q "docker-archive:$T/img/kinds.tar"
    name=example.com/pulled:v1
    run_ok "$DRIVER: ferry copies podman's image out" \
        ferry copy "containers-storage:$(store "$DRIVER" "$P")$name" "dir:$T/from-podman-$DRIVER"
    is "$DRIVER: ... with the original DiffIDs" "$(dir_layers "$T/from-podman-$DRIVER")" "$DIFF_IDS"
    inspect_same "$DRIVER: inspect of podman's image prints what skopeo prints" \
        "containers-storage:$(store "$DRIVER" "$P")$name"

    run_ok "$DRIVER: buildah pulls the image into its store" bah "$DRIVER" "$B" pull -q "docker-archive:$T/img/kinds.tar"
    run_ok "$DRIVER: ferry copies buildah's image out by ID" \
        ferry copy "containers-storage:$(store "$DRIVER" "$B")$ID" "dir:$T/from-buildah-$DRIVER"
    is "$DRIVER: ... with the original DiffIDs" "$(dir_layers "$T/from-buildah-$DRIVER")" "$DIFF_IDS"

    # buildah builds on ferry's image: a working container and its mount.
    F="f-$DRIVER"
    run_ok "$DRIVER: ferry writes the image into a fresh store" \
        ferry copy "oci:$KINDS:v1" "containers-storage:$(store "$DRIVER" "$F")example.com/kinds:v1"
    ctr=$(bah "$DRIVER" "$F" from example.com/kinds:v1 2>"$T/err")
    mnt=$(bah "$DRIVER" "$F" mount "$ctr" 2>>"$T/err")
    is "$DRIVER: buildah from + mount of ferry's image shows its files (a setuid binary, a layer-2 file)" \
        "$(stat -c %a "$mnt/bin/suid" 2>&1) $(ls -A "$mnt/opq" 2>&1)" "4755 c"
    bah "$DRIVER" "$F" umount "$ctr" >/dev/null 2>&1
    run_status "$DRIVER: ferry delete of an image a buildah container uses exits 1" 1 \
        ferry delete "containers-storage:$(store "$DRIVER" "$F")example.com/kinds:v1"
    stderr_one_line "... in one line saying so" "in use by a container"
    run_ok "$DRIVER: ... and the image is still there" \
        ferry inspect "containers-storage:$(store "$DRIVER" "$F")example.com/kinds:v1"
done

# ---------------------------------------------------------------- reference forms, against skopeo
S=$(store vfs f-vfs)
MD=$(skopeo inspect --format '{{.Digest}}' "containers-storage:${S}example.com/kinds:v1" 2>/dev/null)
for r in "$ID" "${ID:0:12}" "${ID:0:4}" "example.com/kinds:v1@$ID" "example.com/kinds@$MD" \
    "example.com/kinds:v1@$MD"; do
    ferry inspect --format '{{.Name}} {{.Digest}} {{.Architecture}}' "containers-storage:$S$r" >"$T/out.ferry" 2>"$T/err"
    fs=$?
    skopeo inspect --format '{{.Name}} {{.Digest}} {{.Architecture}}' "containers-storage:$S$r" >"$T/out.skopeo" 2>>"$T/err"
    if [ -s "$T/out.skopeo" ]; then
        is "reference $r: ferry resolves it as skopeo does (exit $fs)" "$(cat "$T/out.ferry")" "$(cat "$T/out.skopeo")"
    else
        not_ok "reference $r: skopeo resolves it" "$(head -c 1000 "$T/err")"
    fi
done
for r in "example.com/other:v1@$ID" "example.com/nope@$MD" "example.com/kinds:v2" "0000000000"; do
    run_status "reference $r names no image: exit 2" 2 ferry inspect "containers-storage:$S$r"
    stderr_one_line "... in one line, as containers/image words it" "does not resolve to an image ID"
done

# ---------------------------------------------------------------- additional image stores
RO="$T/p-overlay/root"
name=example.com/pulled:v1
mkdir -p "$T/conf"
cat >"$T/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$T/main/root"
runroot = "$T/main/run"
[storage.options]
additionalimagestores = ["$RO"]
CONF
mkimage --layout oci --manifest oci --layers 1 --layer-size 4K --seed 3 --tag small "$T/img/small" >/dev/null
run_ok "setup: the main store holds another image" \
    ferry copy "oci:$T/img/small:small" "containers-storage:$(store overlay main)example.com/mine:1"
snapshot "$RO" >"$T/ro.snap"
export CONTAINERS_STORAGE_CONF="$T/conf/storage.conf"
run_ok "storage.conf additionalimagestores: ferry reads an image only the read-only store has" \
    ferry copy "containers-storage:$name" "dir:$T/from-ro"
is "... with the original DiffIDs" "$(dir_layers "$T/from-ro")" "$DIFF_IDS"
inspect_same "... and inspect prints what skopeo prints" "containers-storage:$name"
run_ok "the main store's own image is still found first" ferry inspect "containers-storage:example.com/mine:1"
run_status "delete of an image of the read-only store exits 1" 1 ferry delete "containers-storage:$name"
stderr_one_line "... in one line naming the read-only store" "$RO" "read-only"
unset CONTAINERS_STORAGE_CONF
run_ok "[overlay@ROOT+RUNROOT:overlay.imagestore=…]: the store from the reference's options" \
    ferry copy "containers-storage:[overlay@$T/other/root+$T/other/run:overlay.imagestore=$RO]$name" "dir:$T/from-ro2"
is "... with the original DiffIDs" "$(dir_layers "$T/from-ro2")" "$DIFF_IDS"
unchanged "the read-only store was not changed by any of it" "$RO" "$T/ro.snap"
run_status "an unknown driver option exits 1" 1 \
    ferry inspect "containers-storage:[overlay@$T/other/root+$T/other/run:overlay.nosuch=1]$name"
stderr_one_line "... in one line naming it" "Unknown option overlay.nosuch"
run_status "force_mask, which changes what a layer is on disk, is refused" 1 \
    ferry copy "oci:$KINDS:v1" "containers-storage:[overlay@$T/fm/root+$T/fm/run:overlay.force_mask=shared]fm:1"
stderr_one_line "... in one line" "force_mask" "not supported"
absent "... and nothing is written" "$T/fm"
printf '[storage]\ndriver = "overlay"\n[storage.options.overlay]\nforce_mask = "shared"\n' >"$T/conf/fm.conf"
CONTAINERS_STORAGE_CONF="$T/conf/fm.conf" run_status "force_mask from storage.conf is refused too" 1 \
    ferry copy "oci:$KINDS:v1" "containers-storage:[overlay@$T/fm2/root+$T/fm2/run]fm:1"
stderr_one_line "... in one line" "overlay.force_mask" "not supported"
absent "... and nothing is written" "$T/fm2"

# ---------------------------------------------------------------- ferry and podman at once
mkimage --layout oci --manifest oci --layers 3 --layer-size 24M --file-size 4M --seed 7 --tag big "$T/img/big" >/dev/null
mkimage --layout oci --manifest oci --layers 3 --layer-size 24M --file-size 4M --seed 8 --tag big "$T/img/big2" >/dev/null
skopeo copy -q "oci:$T/img/big2:big" "docker-archive:$T/img/big2.tar:example.com/by-podman:1" >/dev/null 2>&1 ||
    not_ok "setup: skopeo writes the second docker-archive"
CS=$(store overlay shared)
for round in 1 2; do
    ferry copy "oci:$T/img/big:big" "containers-storage:${CS}example.com/by-ferry:$round" >"$T/ferry.out" 2>&1 &
    fp=$!
    pod overlay shared pull -q "docker-archive:$T/img/big2.tar" >"$T/podman.out" 2>&1 &
    pp=$!
    wait "$fp"; fs=$?
    wait "$pp"; ps=$?
    is "round $round: ferry copy and podman pull into one store at once both succeed" "$fs $ps" "0 0" ||
        diag "$(cat "$T/ferry.out" "$T/podman.out")"
done
got=$(pod overlay shared images --format '{{.Repository}}:{{.Tag}}' | LC_ALL=C sort | tr '\n' ' ')
is "... and podman lists both images" "$got" "example.com/by-ferry:1 example.com/by-ferry:2 example.com/by-podman:1 "
mnt=$(pod overlay shared image mount example.com/by-ferry:2 2>"$T/err")
[ -n "$mnt" ] && [ -d "$mnt" ] && ok "... podman mounts ferry's image" || not_ok "... podman mounts ferry's image" "$(cat "$T/err")"
pod overlay shared image unmount -a >/dev/null 2>&1
run_ok "... and ferry reads podman's" ferry copy "containers-storage:${CS}example.com/by-podman:1" "dir:$T/big2"
is "... records of complete layers only" "$("$PYTHON3" -c 'import json,sys
print(sum(1 for l in json.load(open(sys.argv[1])) if l.get("flags", {}).get("incomplete")))' \
    "$T/shared/root/overlay-layers/layers.json")" 0

# ---------------------------------------------------------------- a full file system
if ! mkdir -p "$FULL" || ! mount -t tmpfs -o size=8m tmpfs "$FULL" 2>"$T/err"; then
    skip "a full file system under the store" "mount -t tmpfs failed: $(head -n 1 "$T/err")"
else
    FS=$(store overlay full)
    run_ok "setup: a small image fits on the 8 MiB tmpfs" ferry copy "oci:$KINDS:v1" "containers-storage:${FS}example.com/small:1"
    [ -s "$FULL/root/overlay-images/images.json" ] || not_ok "setup: the small image's records are on the tmpfs"
    snapshot "$FULL/root/overlay-images" >"$T/full.snap"
    used_before=$(du -sk "$FULL" | cut -f1)
    run_status "a 72 MiB image on the 8 MiB file system exits 1" 1 \
        ferry copy "oci:$T/img/big:big" "containers-storage:${FS}example.com/big:1"
    stderr_one_line "... in one line naming the cause" "No space left on device"
    is "... podman lists only the image that fit" "$(pod overlay full images --format '{{.Repository}}:{{.Tag}}')" \
        "example.com/small:1"
    is "... no layer of the failed copy is left, complete or not" "$("$PYTHON3" -c 'import json,sys
print(len(json.load(open(sys.argv[1]))))' "$FULL/root/overlay-layers/layers.json")" 2
    unchanged "... the image records are as before" "$FULL/root/overlay-images" "$T/full.snap"
    used_after=$(du -sk "$FULL" | cut -f1)
    check "... and the space is free again ($used_before KiB used before, $used_after KiB after)" \
        [ "$used_after" -le $((used_before + 64)) ]
    run_ok "... the store still takes a copy that fits" ferry copy "oci:$KINDS:v1" "containers-storage:${FS}example.com/small:2"
    unmount_below_t
fi
finish
