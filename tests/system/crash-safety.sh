#!/bin/bash
# tests/system/crash-safety.sh — reliability items 16 (kill -9 mid-copy) and
# 17 (disk full mid-copy) of the design's reliability list for the
# destinations that keep state between copies: dir:, oci:, docker-daemon:
# (a private dockerd), containers-storage: and ostree: (TAP). For each, a
# destination already holding an old image gets a copy of a bigger image:
#   - killed with SIGKILL once 8 MiB are written: the old image still reads
#     back whole, by ferry and by the tools that own the format (skopeo,
#     docker, podman, buildah, ostree fsck); nothing half-written is visible
#     to them; what the killed writer left is removed or reused by the next
#     copy, which succeeds;
#   - on a small file system that cannot hold it (a tmpfs, or a loop-mounted
#     ext4 where tmpfs is refused): exit 1, one line naming the destination
#     and "no space left on device", the old image intact, no partial files.
# oci-archive: and docker-archive: (kill and full disk) and full disks under
# dir: and oci: are archive-safety.sh's; kill -9 into an empty ostree repo
# and an empty containers-storage store are ostree.sh's and
# containers-storage.sh's.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python
[ "$(id -u)" = 0 ] || skip_all "needs root (dockerd, containers-storage owners, ostree bare-user, mounts)"

FIXTURES="$SRCDIR/tests/fixtures"
DOCKER_CLI=${DOCKER_CLI:-$(command -v docker 2>/dev/null || echo /usr/bin/docker)}
export DOCKER_CLI
unset DOCKER_HOST DOCKER_CERT_PATH DOCKER_TLS_VERIFY DOCKER_CONTEXT
DAEMON_DIR=""
trap '_st=$?; [ -n "$DAEMON_DIR" ] && "$FIXTURES/dockerd.sh" stop "$DAEMON_DIR" >/dev/null 2>&1
    unmount_below_t; (exit $_st); _tap_exit' EXIT

W="$T/w"
OLD="$T/img/old"     # what every destination holds first
NEW="$T/img/new"     # one 64 MiB layer of 16 MiB files, stored uncompressed
FRESH="$T/img/fresh" # the copy after the crash: small enough for the small file systems
mkimage --layout oci --manifest docker --tag old --layers 1 --layer-size 16K --seed old "$OLD" >/dev/null &&
    mkimage --layout oci --manifest docker --tag new --layers 1 --layer-size 64M --file-size 16M --compression none \
        --seed new "$NEW" >/dev/null &&
    mkimage --layout oci --manifest docker --tag fresh --layers 2 --layer-size 1M --seed fresh "$FRESH" >/dev/null ||
    { echo "Bail out! mkimage failed"; exit 1; }
KILL_AT=$((8 << 20))

# cfg_of TOOL REF [FLAGS...]: "CONFIG-DIGEST DIFFID..." of REF as TOOL reads
# it ("" when it cannot).
cfg_of() {
    local tool=$1 ref=$2; shift 2
    "$tool" inspect "$@" --config --raw "$ref" 2>/dev/null | "$PYTHON3" -c '
import hashlib, json, sys
b = sys.stdin.buffer.read()
print("sha256:" + hashlib.sha256(b).hexdigest(), *json.loads(b)["rootfs"]["diff_ids"])' 2>/dev/null
}
OLD_CFG=$(cfg_of ferry "oci:$OLD:old")
FRESH_CFG=$(cfg_of ferry "oci:$FRESH:fresh")
OLD_ID=${OLD_CFG%% *}
FRESH_ID=${FRESH_CFG%% *}
[ -n "$OLD_CFG" ] && [ -n "$FRESH_CFG" ] || { echo "Bail out! cannot inspect the fixtures"; exit 1; }

# killed DESC DEST [FERRY OPTIONS...]: copies NEW to DEST and kills ferry
# with SIGKILL once KILL_AT bytes are written (KILLMID_IO: or read).
killed() {
    local desc=$1 dst=$2 st how; shift 2
    read -r st how < <(killmid KILL "$KILL_AT" "$FERRY" --policy "$POLICY" copy -q "$@" "oci:$NEW:new" "$dst")
    is "$desc: SIGKILL after $((KILL_AT >> 20)) MiB of a 64 MiB layer" "$st $how" "-9 reached"
}

# reads_old DESC TOOL REF [FLAGS...]: TOOL reads REF as the old image.
reads_old() {
    local desc=$1 tool=$2 ref=$3; shift 3
    is "$desc" "$(cfg_of "$tool" "$ref" "$@")" "$OLD_CFG"
}

# skopeo_copies_old DESC REF [SKOPEO COPY FLAGS...]: skopeo copies REF out
# whole (every blob against its digest, the layers against the DiffIDs).
skopeo_copies_old() {
    local desc=$1 ref=$2 out="$W/skopeo-out"; shift 2
    if [ "$HAVE_SKOPEO" != 1 ]; then skip "$desc" "skopeo is not installed"; return; fi
    rm -rf "$out"
    run skopeo copy -q "$@" "$ref" "dir:$out"
    if [ "$RC" = 0 ] && checkimage verify dir "$out" --diffids 2>"$T/verify.err" &&
        [ "$(cfg_of ferry "dir:$out")" = "$OLD_CFG" ]; then ok "$desc"; else
        not_ok "$desc" "exit $RC: $(head -c 1000 "$T/err") $(head -c 1000 "$T/verify.err")"
    fi
}

# full_disk DESC DEST [FERRY OPTIONS...]: copying NEW fails with exit 1 and
# one line naming DEST and the cause.
full_disk() {
    local desc=$1 dst=$2; shift 2
    run ferry copy -q "$@" "oci:$NEW:new" "$dst"
    is "$desc: exit 1" "$RC" 1
    stderr_one_line "$desc: one line naming the destination and the full disk" "$dst" "o space left on device"
}

# cannot_run TOOL MODULE DIR: prints why a section cannot run here (TOOL
# or the MODULE transport missing, no small file system), or nothing once
# DIR is mounted as a 48 MiB file system.
cannot_run() {
    if ! command -v "$1" >/dev/null 2>&1; then echo "$1 is not installed"
    elif [ ! -e "$FERRY_TRANSPORT_PATH/$2.so" ] && [ ! -e "$FERRY_TRANSPORT_PATH/.libs/$2.so" ]; then
        echo "the $2 transport is not built"
    elif ! small_fs "$3" 48; then echo "$SMALL_FS_WHY"; fi
}

# names_below DIR: every path below DIR with its type (no sizes, times).
names_below() { (cd "$1" && find . -printf '%p %y\n' | LC_ALL=C sort); }

# aged DIR GLOB...: sets the modification time of the matching entries of
# DIR two minutes back, as if the killed copy were that old (ferry leaves
# fresh staging directories alone: they may be another writer's, just made).
aged() {
    local d=$1; shift
    (cd "$d" && for g in "$@"; do for f in $g; do [ -e "$f" ] && touch -h -d '-2 minutes' "$f"; done; done)
}

mkdir -p "$W"

# ================================================================ dir:
D="$W/dir/img"
run_ok "dir: setup: the old image" ferry copy -q "oci:$OLD:old" "dir:$D"
names_below "$D" >"$T/dir.before"
killed "dir:" "dir:$D"
names_below "$D" >"$T/dir.after"
same_file "dir: killed: the image directory holds the old files only" "$T/dir.after" "$T/dir.before"
run_ok "dir: killed: every blob of the old image is whole" checkimage verify dir "$D" --diffids
reads_old "dir: killed: ferry reads the old image" ferry "dir:$D"
reads_old "dir: killed: skopeo reads the old image" skopeo "dir:$D"
skopeo_copies_old "dir: killed: skopeo copies the old image out whole" "dir:$D"
left=$(cd "$W/dir" && ls -A | grep -v '^img$' | tr '\n' ' ')
case $left in
    "" | ".ferry-dir-"*) ok "dir: killed: at most a hidden staging directory next to the image ($left)" ;;
    *) not_ok "dir: killed: at most a hidden staging directory next to the image" "left: $left" ;;
esac
aged "$W/dir" '.ferry-dir-*'
run_ok "dir: after the kill a new copy succeeds" ferry copy -q "oci:$FRESH:fresh" "dir:$D"
is "dir: ... and is the new image" "$(cfg_of skopeo "dir:$D")" "$FRESH_CFG"
is "dir: ... and removed what the killed copy left" "$(cd "$W/dir" && ls -A | tr '\n' ' ')" "img "

# ================================================================ oci:
O="$W/oci"
run_ok "oci: setup: the old image" ferry copy -q "oci:$OLD:old" "oci:$O:img"
cp "$O/index.json" "$T/index.before"
ls "$O/blobs/sha256" >"$T/blobs.before"
killed "oci:" "oci:$O:img"
same_file "oci: killed: index.json unchanged" "$O/index.json" "$T/index.before"
ls "$O/blobs/sha256" >"$T/blobs.after"
same_file "oci: killed: no new blob in blobs/sha256" "$T/blobs.after" "$T/blobs.before"
run_ok "oci: killed: the old image is whole" checkimage verify oci "$O:img" --diffids
reads_old "oci: killed: ferry reads the old image" ferry "oci:$O:img"
reads_old "oci: killed: skopeo reads the old image" skopeo "oci:$O:img"
skopeo_copies_old "oci: killed: skopeo copies the old image out whole" "oci:$O:img"
aged "$O/blobs" '.ferry-staging-*'
run_ok "oci: after the kill a new copy succeeds" ferry copy -q "oci:$FRESH:fresh" "oci:$O:img"
is "oci: ... and skopeo reads the new image" "$(cfg_of skopeo "oci:$O:img")" "$FRESH_CFG"
is "oci: ... and what the killed copy staged is gone" "$(ls -A "$O/blobs" | tr '\n' ' ')" "sha256 "

# ================================================================ docker-daemon:
# The daemon's data root is a small file system: the kill happens long
# before it fills, the full copy cannot fit (docker spools the whole load).
why=$(cannot_run dockerd docker-daemon "$T/fx/dd/root")
[ -n "$why" ] || [ -x "$DOCKER_CLI" ] || why="the docker client is not installed"
if [ -n "$why" ]; then
    skip "docker-daemon: kill and full disk" "$why"
else
    DAEMON_DIR="$T/fx/dd"
    "$FIXTURES/dockerd.sh" start "$DAEMON_DIR" --minutes 5 >/dev/null 2>"$T/dockerd.err"
    rc=$?
    if [ "$rc" != 0 ]; then
        DAEMON_DIR=""
        if [ "$rc" = 77 ]; then skip "docker-daemon: kill and full disk" "$(cat "$T/dockerd.err")"; else
            not_ok "docker-daemon: the private dockerd starts" "$(cat "$T/dockerd.err")"; fi
    else
        SOCK=$(cat "$T/fx/dd/sock")
        dk() { timeout -k 5 60 "$DOCKER_CLI" -H "$SOCK" "$@"; }
        # spool_empty: docker's load spool (DATA-ROOT/tmp) is empty, within 5 s.
        spool_empty() {
            local i
            for ((i = 0; i < 50; i++)); do
                [ -z "$(ls -A "$T/fx/dd/root/tmp" 2>/dev/null)" ] && return 0
                sleep 0.1
            done
            return 1
        }
        DREF=docker-daemon:crash/img:1
        run_ok "docker-daemon: setup: the old image" ferry copy -q --dest-daemon-host "$SOCK" "oci:$OLD:old" "$DREF"
        dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' >"$T/dk.before" 2>&1
        KILLMID_IO=rchar killed "docker-daemon:" "$DREF" --dest-daemon-host "$SOCK"
        check "docker-daemon: killed: the daemon drops the truncated load" spool_empty
        dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' >"$T/dk.after" 2>&1
        same_file "docker-daemon: killed: docker images lists the old image only" "$T/dk.after" "$T/dk.before"
        is "docker-daemon: killed: crash/img:1 is the old image" "$(dk image inspect --format '{{.Id}}' crash/img:1)" \
            "$OLD_ID"
        reads_old "docker-daemon: killed: ferry reads the old image" ferry "$DREF" --daemon-host "$SOCK"
        reads_old "docker-daemon: killed: skopeo reads the old image" skopeo "$DREF" --daemon-host "$SOCK"
        skopeo_copies_old "docker-daemon: killed: skopeo copies the old image out whole" "$DREF" \
            --src-daemon-host "$SOCK"

        full_disk "docker-daemon: full data root" "$DREF" --dest-daemon-host "$SOCK"
        check "docker-daemon: full: the daemon's spool is emptied" spool_empty
        dk images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' >"$T/dk.after" 2>&1
        same_file "docker-daemon: full: docker images lists the old image only" "$T/dk.after" "$T/dk.before"
        reads_old "docker-daemon: full: skopeo reads the old image" skopeo "$DREF" --daemon-host "$SOCK"

        run_ok "docker-daemon: then a new copy succeeds" ferry copy -q --dest-daemon-host "$SOCK" \
            "oci:$FRESH:fresh" "$DREF"
        is "docker-daemon: ... and docker has it as crash/img:1" "$(dk image inspect --format '{{.Id}}' crash/img:1)" \
            "$FRESH_ID"
        is "docker-daemon: ... and skopeo reads it" "$(cfg_of skopeo "$DREF" --daemon-host "$SOCK")" "$FRESH_CFG"
    fi
fi

# ================================================================ containers-storage:
# One store (vfs: no mounts needed to read it back) on a small file system.
why=$(cannot_run podman containers-storage "$T/cs")
if [ -n "$why" ]; then
    skip "containers-storage: kill and full disk" "$why"
else
    CSR="$T/cs/root"
    CREF="containers-storage:[vfs@$CSR+$T/cs/run]example.com/crash:1"
    pod() { podman --root "$CSR" --runroot "$T/cs/run" --storage-driver vfs "$@"; }
    # buildah_id: the image ID buildah finds under the name ("" when none).
    buildah_id() {
        command -v buildah >/dev/null 2>&1 || { echo "buildah not installed"; return; }
        buildah --root "$CSR" --runroot "$T/cs/run" --storage-driver vfs inspect --type image \
            --format 'sha256:{{.FromImageID}}' example.com/crash:1 2>/dev/null
    }
    # store_files: the store's files but its lock files and podman's own database.
    store_files() { names_below "$CSR" | grep -v -e '\.lock ' -e '/libpod' -e 'defaultNetworkBackend'; }
    incomplete_layers() {
        "$PYTHON3" -c 'import json, sys
print(sum(1 for l in json.load(open(sys.argv[1])) if l.get("flags", {}).get("incomplete")))' \
            "$CSR/vfs-layers/layers.json" 2>&1
    }
    run_ok "containers-storage: setup: the old image" ferry copy -q "oci:$OLD:old" "$CREF"
    store_files >"$T/cs.before"
    cp "$CSR/vfs-images/images.json" "$T/images.before"
    killed "containers-storage:" "$CREF"
    same_file "containers-storage: killed: images.json unchanged" "$CSR/vfs-images/images.json" "$T/images.before"
    is "containers-storage: killed: the half layer is flagged incomplete (readers skip and remove it)" \
        "$(incomplete_layers)" 1
    reads_old "containers-storage: killed: ferry reads the old image" ferry "$CREF"
    reads_old "containers-storage: killed: skopeo reads the old image" skopeo "$CREF"
    skopeo_copies_old "containers-storage: killed: skopeo copies the old image out whole" "$CREF"
    is "containers-storage: killed: podman lists the old image under the name" \
        "$(pod images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>/dev/null)" "example.com/crash:1 $OLD_ID"
    is "containers-storage: killed: buildah finds the old image under the name" "$(buildah_id)" "$OLD_ID"

    full_disk "containers-storage: full store" "$CREF"
    is "containers-storage: full: no incomplete layer left" "$(incomplete_layers)" 0
    store_files >"$T/cs.after"
    same_file "containers-storage: full: no partial files (the killed copy's half layer removed too)" \
        "$T/cs.after" "$T/cs.before"
    same_file "containers-storage: full: images.json unchanged" "$CSR/vfs-images/images.json" "$T/images.before"
    reads_old "containers-storage: full: skopeo reads the old image" skopeo "$CREF"
    is "containers-storage: full: buildah finds the old image under the name" "$(buildah_id)" "$OLD_ID"

    run_ok "containers-storage: then a new copy succeeds" ferry copy -q "oci:$FRESH:fresh" "$CREF"
    is "containers-storage: ... and podman lists it under the name" \
        "$(pod images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' 2>/dev/null | grep crash)" \
        "example.com/crash:1 $FRESH_ID"
    is "containers-storage: ... and skopeo reads it" "$(cfg_of skopeo "$CREF")" "$FRESH_CFG"
fi

# ================================================================ ostree:
why=$(cannot_run ostree ostree "$T/ot")
if [ -n "$why" ]; then
    skip "ostree: kill and full disk" "$why"
else
    R="$T/ot/repo"
    OREF="ostree:crash:1@$R"
    ostree init --repo="$R" --mode=bare-user
    # The file system fills for real: libostree's own reserve (3 % by
    # default) would refuse the write before it, in its own words.
    ostree config --repo="$R" set core.min-free-space-percent 0
    fsck_clean() {
        if ostree fsck --repo="$R" >"$T/fsck" 2>&1; then ok "$1"; else not_ok "$1" "$(tail -n 5 "$T/fsck")"; fi
    }
    image_commit() { ostree rev-parse --repo="$R" ociimage/crash_3A1 2>/dev/null; }
    run_ok "ostree: setup: the old image" ferry copy -q "oci:$OLD:old" "$OREF"
    ostree refs --repo="$R" | LC_ALL=C sort >"$T/refs.before"
    commit=$(image_commit)
    killed "ostree:" "$OREF"
    ostree refs --repo="$R" | LC_ALL=C sort >"$T/refs.after"
    same_file "ostree: killed: the branches are the old ones" "$T/refs.after" "$T/refs.before"
    is "ostree: killed: the image branch is the old commit" "$(image_commit)" "$commit"
    fsck_clean "ostree: killed: ostree fsck clean"
    reads_old "ostree: killed: ferry reads the old image" ferry "$OREF"

    full_disk "ostree: full repository" "$OREF"
    ostree refs --repo="$R" | LC_ALL=C sort >"$T/refs.after"
    same_file "ostree: full: the branches are the old ones" "$T/refs.after" "$T/refs.before"
    fsck_clean "ostree: full: ostree fsck clean"
    is "ostree: full: nothing staged is left in the repository's tmp" \
        "$(ls -A "$R/tmp" | grep -v '^cache$' | tr '\n' ' ')" ""
    reads_old "ostree: full: ferry reads the old image" ferry "$OREF"

    run_ok "ostree: then a new copy succeeds" ferry copy -q "oci:$FRESH:fresh" "$OREF"
    is "ostree: ... and is the new image" "$(cfg_of ferry "$OREF")" "$FRESH_CFG"
    fsck_clean "ostree: ... and ostree fsck is clean"
fi

finish
