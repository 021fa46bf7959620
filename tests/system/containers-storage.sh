#!/bin/bash
# tests/system/containers-storage.sh — the containers-storage: transport
# against Debian's real podman 4.3 and skopeo 1.9.3, each test store private
# under $T (never the machine's own) (TAP): an image with every tar entry
# kind (tests/fixtures/mkkinds.py: devices, fifo, setuid, sticky, owners,
# xattr, long names, hard and symbolic links, a whiteout and an opaque
# directory in layer 2) written by ferry is listed by podman with the config
# digest as ID, mounts with the same tree as the image skopeo writes, and is
# copied back out by skopeo with the original DiffIDs; stores skopeo wrote are
# read by ferry with the same DiffIDs; both drivers; the records and
# tar-splits ferry writes match skopeo's; reuse, names, inspect, delete,
# podman rmi, storage.conf lookup, a writer killed mid-layer, and bad input.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python
[ "$HAVE_SKOPEO" = 1 ] || skip_all "skopeo is not installed"
command -v podman >/dev/null 2>&1 || skip_all "podman is not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root (device nodes, owners, overlay mounts)"
[ -e "$FERRY_TRANSPORT_PATH/containers-storage.so" ] || [ -e "$FERRY_TRANSPORT_PATH/.libs/containers-storage.so" ] ||
    skip_all "the containers-storage transport is not built"

# Overlay layers stay mounted after podman image mount / skopeo: unmount
# everything below $T before it is removed.
trap '_st=$?; unmount_below_t; (exit $_st); _tap_exit' EXIT

KINDS="$T/img/kinds"
"$PYTHON3" "$SRCDIR/tests/fixtures/mkkinds.py" "$KINDS" >"$T/kinds.digest" || { not_ok "mkkinds.py"; finish; }
CONFIG_DIGEST=$("$PYTHON3" -c '
import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))
m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"][7:]))
print(m["config"]["digest"])' "$KINDS")
DIFF_IDS=$("$PYTHON3" -c '
import json,sys
print(" ".join(json.load(open(sys.argv[1]))["rootfs"]["diff_ids"]))' "$KINDS/blobs/sha256/${CONFIG_DIGEST#sha256:}")

store() { echo "[$1@$T/$2/root+$T/$2/run]"; }
pod() { local d=$1 s=$2; shift 2; podman --root "$T/$s/root" --runroot "$T/$s/run" --storage-driver "$d" "$@"; }

# tree_of DIR: every entry with type, mode, owner, size, mtime, target and
# xattrs, sorted (inode numbers and the root's own mtime left out).
tree_of() {
    (cd "$1" && find . -mindepth 1 -printf '%y %m %U:%G %s %T@ %p -> %l\n' | LC_ALL=C sort &&
        find . -mindepth 1 -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum &&
        getfattr -R -h -d -m '^user\.' . 2>/dev/null | grep -v '^$')
}

# diff_ids_of OCI_LAYOUT: the DiffIDs of its image's config.
diff_ids_of() {
    "$PYTHON3" -c '
import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))
m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"][7:]))
c=json.load(open(d+"/blobs/sha256/"+m["config"]["digest"][7:]))
print(" ".join(c["rootfs"]["diff_ids"]))' "$1"
}

# layer_digests_of DIR_IMAGE: the layer digests the dir: image's manifest lists.
layer_digests_of() {
    "$PYTHON3" -c '
import json,sys
print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]+"/manifest.json"))["layers"]))' "$1"
}

for DRIVER in overlay vfs; do
    F="f-$DRIVER" S="s-$DRIVER"
    FS=$(store "$DRIVER" "$F") SS=$(store "$DRIVER" "$S")
    run_ok "$DRIVER: ferry copies the every-kind image into a fresh store" \
        ferry copy "oci:$KINDS:v1" "containers-storage:${FS}example.com/kinds:v1"
    run_ok "$DRIVER: skopeo copies the same image into its own store" \
        skopeo copy "oci:$KINDS:v1" "containers-storage:${SS}example.com/kinds:v1"
    got=$(pod "$DRIVER" "$F" images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>"$T/err")
    is "$DRIVER: podman lists ferry's image with the config digest as ID" "$got" \
        "example.com/kinds:v1 $CONFIG_DIGEST"
    mf=$(pod "$DRIVER" "$F" image mount example.com/kinds:v1 2>"$T/err")
    ms=$(pod "$DRIVER" "$S" image mount example.com/kinds:v1 2>>"$T/err")
    if [ -d "$mf" ] && [ -d "$ms" ]; then
        tree_of "$mf" >"$T/tree.ferry"
        tree_of "$ms" >"$T/tree.skopeo"
        same_file "$DRIVER: podman image mount shows ferry's image as it shows skopeo's (every entry kind)" \
            "$T/tree.ferry" "$T/tree.skopeo"
        is "$DRIVER: the whiteout hides layer 1's file" "$(test -e "$mf/gone" && echo present || echo absent)" absent
        is "$DRIVER: the opaque directory holds only layer 2's entry" "$(ls -A "$mf/opq" | tr '\n' ' ')" "c "
        is "$DRIVER: device, fifo, setuid, sticky and owner survive" \
            "$(stat -c '%F %t:%T' "$mf/dev/null") $(stat -c %F "$mf/dev/fifo") $(stat -c %a "$mf/bin/suid" "$mf/tmp" | tr '\n' ' ')$(stat -c %u:%g "$mf/home/user/notes")" \
            "character special file 1:3 fifo 4755 1777 1000:1000"
        is "$DRIVER: the xattr survives" "$(getfattr -h --only-values -n user.ferry "$mf/home/xattr" 2>/dev/null)" kept
        is "$DRIVER: the hard link shares the inode" "$(stat -c %i "$mf/bin/hard")" "$(stat -c %i "$mf/bin/suid")"
    else
        not_ok "$DRIVER: podman image mount" "$(head -c 2000 "$T/err")"
    fi
    pod "$DRIVER" "$F" image unmount -a >/dev/null 2>&1
    pod "$DRIVER" "$S" image unmount -a >/dev/null 2>&1

    # The records and tar-splits, against skopeo's.
    for l in $DIFF_IDS; do :; done
    for ts in "$T/$S/root/$DRIVER-layers/"*.tar-split.gz; do
        name=$(basename "$ts")
        if [ -e "$T/$F/root/$DRIVER-layers/$name" ]; then
            cmp -s <(zcat "$ts") <(zcat "$T/$F/root/$DRIVER-layers/$name") &&
                ok "$DRIVER: tar-split $name is skopeo's, line for line" ||
                not_ok "$DRIVER: tar-split $name is skopeo's, line for line"
        else
            not_ok "$DRIVER: ferry wrote layer ${name%%.*} with skopeo's layer ID"
        fi
    done
    strip_created='import json,sys
for r in json.load(open(sys.argv[1])):
    r.pop("created", None)
    print(json.dumps(r, sort_keys=False))'
    "$PYTHON3" -c "$strip_created" "$T/$F/root/$DRIVER-layers/layers.json" >"$T/layers.ferry"
    "$PYTHON3" -c "$strip_created" "$T/$S/root/$DRIVER-layers/layers.json" >"$T/layers.skopeo"
    same_file "$DRIVER: layers.json records what skopeo's records (but the creation time)" \
        "$T/layers.ferry" "$T/layers.skopeo"
    "$PYTHON3" -c "$strip_created" "$T/$F/root/$DRIVER-images/images.json" >"$T/images.ferry"
    "$PYTHON3" -c "$strip_created" "$T/$S/root/$DRIVER-images/images.json" >"$T/images.skopeo"
    same_file "$DRIVER: images.json records what skopeo's records" "$T/images.ferry" "$T/images.skopeo"
    (cd "$T/$F/root/$DRIVER-images" && find . -type f -printf '%p %m %s\n' | LC_ALL=C sort) >"$T/bd.ferry"
    (cd "$T/$S/root/$DRIVER-images" && find . -type f -printf '%p %m %s\n' | LC_ALL=C sort) >"$T/bd.skopeo"
    same_file "$DRIVER: the big-data files are skopeo's (names, modes, sizes)" "$T/bd.ferry" "$T/bd.skopeo"

    # Reading: both stores, by ferry and by skopeo, give the original DiffIDs.
    run_ok "$DRIVER: skopeo copies ferry's image back out" \
        skopeo copy "containers-storage:${FS}example.com/kinds:v1" "oci:$T/out-s-$DRIVER:v1"
    is "$DRIVER: ... with the original DiffIDs" "$(diff_ids_of "$T/out-s-$DRIVER")" "$DIFF_IDS"
    run_ok "$DRIVER: ferry copies skopeo's image out" \
        ferry copy "containers-storage:${SS}example.com/kinds:v1" "dir:$T/dir-f-$DRIVER"
    run_ok "$DRIVER: skopeo copies its own image out" \
        skopeo copy "containers-storage:${SS}example.com/kinds:v1" "dir:$T/dir-s-$DRIVER"
    is "$DRIVER: ferry serves the layers skopeo serves (uncompressed, DiffID digests)" \
        "$(layer_digests_of "$T/dir-f-$DRIVER")" "$DIFF_IDS"
    same_file "$DRIVER: ... and writes the manifest skopeo writes" "$T/dir-f-$DRIVER/manifest.json" \
        "$T/dir-s-$DRIVER/manifest.json"
    ferry inspect "containers-storage:${SS}example.com/kinds:v1" >"$T/insp.ferry" 2>"$T/err"
    skopeo inspect "containers-storage:${SS}example.com/kinds:v1" >"$T/insp.skopeo" 2>>"$T/err"
    same_file "$DRIVER: inspect prints what skopeo prints" "$T/insp.ferry" "$T/insp.skopeo"
done

# ---------------------------------------------------------------- reuse, names
FS=$(store overlay f-overlay)
layers_before=$(ls "$T/f-overlay/root/overlay" | wc -l)
run_ok "a second name for the same image" ferry copy "oci:$KINDS:v1" "containers-storage:${FS}example.com/other:v2"
is "... adds no layer" "$(ls "$T/f-overlay/root/overlay" | wc -l)" "$layers_before"
got=$(pod overlay f-overlay images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | LC_ALL=C sort | tr '\n' ' ')
is "... and podman lists one image under both names" "$got" \
    "example.com/kinds:v1 $CONFIG_DIGEST example.com/other:v2 $CONFIG_DIGEST "
run_ok "the same copy again" ferry copy "oci:$KINDS:v1" "containers-storage:${FS}example.com/kinds:v1"
is "... leaves one image record" "$("$PYTHON3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
    "$T/f-overlay/root/overlay-images/images.json")" 1

# ---------------------------------------------------------------- delete
run_status "ferry delete of an image not in the store exits 2" 2 \
    ferry delete "containers-storage:${FS}example.com/nothere:v1"
stderr_one_line "... in one line naming the reference" "example.com/nothere:v1" "does not resolve to an image ID"
run_ok "ferry delete removes ferry's image" ferry delete "containers-storage:${FS}example.com/kinds:v1"
is "... podman lists nothing" "$(pod overlay f-overlay images -q | wc -l)" 0
is "... and no layer is left" "$(ls "$T/f-overlay/root/overlay-layers" | grep -c tar-split)" 0
FV=$(store vfs f-vfs)
run_ok "podman rmi removes a ferry-written image" \
    podman --root "$T/f-vfs/root" --runroot "$T/f-vfs/run" --storage-driver vfs rmi example.com/kinds:v1
is "... nothing listed afterwards" "$(pod vfs f-vfs images -q | wc -l)" 0

# ---------------------------------------------------------------- storage.conf
mkdir -p "$T/conf"
cat >"$T/conf/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$T/conf-store/root"
runroot = "$T/conf-store/run"
CONF
CONTAINERS_STORAGE_CONF="$T/conf/storage.conf" run_ok "without [store]: storage.conf from CONTAINERS_STORAGE_CONF" \
    ferry copy "oci:$KINDS:v1" "containers-storage:kinds:latest"
is "... the image is in that file's graphroot, its name normalised" \
    "$(pod vfs conf-store images --format '{{.Repository}}:{{.Tag}}')" "docker.io/library/kinds:latest"
printf '[storage\ndriver = "vfs"\n' >"$T/conf/bad.conf"
CONTAINERS_STORAGE_CONF="$T/conf/bad.conf" run_status "a broken storage.conf fails" 1 \
    ferry copy "oci:$KINDS:v1" "containers-storage:kinds:latest"
stderr_one_line "... in one line naming the file and line" "$T/conf/bad.conf:1"

# ---------------------------------------------------------------- a writer killed
mkimage --layout oci --manifest oci --layers 1 --layer-size 300M --file-size 64M --tag big "$T/img/big" >/dev/null
KS=$(store overlay killed)
ferry copy "oci:$T/img/big:big" "containers-storage:${KS}example.com/big:1" >/dev/null 2>&1 &
pid=$!
# Killed once the layer's files are being written, long before it is whole.
for _ in $(seq 1 200); do
    [ -n "$(find "$T/killed/root/overlay" -path '*/diff/*' -type f -size +1M 2>/dev/null | head -n 1)" ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
is "kill -9 stopped the copy before it finished" "$(ls "$T/killed/root/overlay-images" 2>/dev/null | grep -c '^[0-9a-f]\{64\}$')" 0
is "the killed writer left its layer flagged incomplete" \
    "$("$PYTHON3" -c 'import json,sys; print(sum(1 for l in json.load(open(sys.argv[1])) if l.get("flags", {}).get("incomplete")))' \
    "$T/killed/root/overlay-layers/layers.json" 2>&1)" 1
is "after kill -9 mid-layer: podman lists no image" "$(pod overlay killed images -q 2>/dev/null | wc -l)" 0
run_ok "the next ferry copy succeeds" ferry copy "oci:$KINDS:v1" "containers-storage:${KS}example.com/kinds:v1"
is "... and the half layer is gone (only the two new layers remain)" \
    "$("$PYTHON3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
    "$T/killed/root/overlay-layers/layers.json")" 2

# ---------------------------------------------------------------- bad input
for bad in '[overlay@relative/root]x' '[overlay@/r' 'Upper/Case' ''; do
    snapshot "$T/f-overlay" >"$T/snap"
    run_status "bad reference '$bad' exits 1" 1 ferry copy "oci:$KINDS:v1" "containers-storage:$bad"
    stderr_one_line "... in one line" "containers-storage"
    unchanged "... and nothing is written" "$T/f-overlay" "$T/snap"
done
run_status "an unsupported driver exits 1" 1 ferry copy "oci:$KINDS:v1" "containers-storage:[btrfs@$T/b/root+$T/b/run]x:1"
stderr_one_line "... in one line naming the driver" "btrfs"
finish
