#!/bin/bash
# tests/system/archive-safety.sh — reliability items 15–18 of
# doc/design reliability.md for the archive and local transports (TAP):
#   15 hostile archives (../, absolute names, pax and GNU long names, symlinks
#      and hard links leading out, links standing in for blobs, link loops)
#      read as oci-archive: and docker-archive: are refused with one line and
#      exit 1; nothing appears outside, and no destination is touched;
#   16 SIGKILL and SIGTERM in the middle of a copy into an existing or a new
#      oci-archive:/docker-archive: FILE leave the old archive (or nothing),
#      and no temporary file; likewise while a compressed archive is unpacked;
#   17 a full file system (a 2 MiB tmpfs, root only) under dir:, oci:,
#      oci-archive:, docker-archive: and --tmpdir, and /dev/full: one line
#      naming the cause, exit 1, the destination as it was;
#   18 a decompression bomb (a ~1 MB gzip layer of 1 GiB of zeros, with a
#      right and a wrong DiffID) copied where layers are decompressed: peak
#      RSS bounded, a wrong DiffID fails with nothing written;
# and the broken-archive cases docker-archive.sh and oci-archive.sh leave
# out.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

W="$T/w"
TMP="$T/tmp"
ESC="$T/escape"   # where an escaping member would land: must keep only "m"
CWD="$T/cwd/a/b"  # ferry runs here, so "../x" relative to it is visible too
mkdir -p "$ESC" "$CWD" "$W/dest"
printf 'outside' >"$ESC/m"
cd "$CWD" || { echo "Bail out! cd $CWD"; exit 1; }

S="$T/img/src"
mkimage --layout oci --manifest oci --tag img --layers 2 --layer-size 64K "$S" >"$T/src.digest" &&
    mkimage --layout oci --manifest oci --tag img --layers 1 --layer-size 16K --seed old "$T/img/old" >"$T/old.digest" ||
    { echo "Bail out! mkimage failed"; exit 1; }

# no_temp DESC DIR: no temporary file of ferry (.ferry-*) in DIR.
no_temp() {
    local stray
    stray=$(find "$2" -maxdepth 1 -name '.ferry-*' 2>/dev/null)
    if [ -z "$stray" ]; then ok "$1"; else not_ok "$1" "left: $stray"; fi
}
# outside_untouched DESC: nothing was created outside the archives.
outside_untouched() {
    local got
    got="$(ls -A "$ESC" | tr '\n' ' ')|$(find "$T/cwd" -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')|$(ls -A "$TMP")"
    is "$1" "$got" "m |$T/cwd/a $T/cwd/a/b |"
}

# Peak RSS bound of the decompression bombs (17, 18): 24 MiB. A plain copy
# stays under 12 MiB (copy.sh); inflating adds a 32 KiB zlib window, so 24
# MiB is twice that budget, and still 1/40 of the 1 GiB bomb: holding even
# a small part of the inflated layer fails it.
RSS_MAX=24576

# Existing destinations of every kind: failed copies must leave them as they are.
DA="$W/dest/old-docker.tar"
OA="$W/dest/old-oci.tar"
run_ok "setup: an existing docker-archive" ferry copy -q "oci:$T/img/old:img" "docker-archive:$DA:old/img:1" &&
    run_ok "setup: an existing oci-archive" ferry copy -q "oci:$T/img/old:img" "oci-archive:$OA:old" &&
    run_ok "setup: an existing oci layout" ferry copy -q "oci:$T/img/old:img" "oci:$W/dest/layout:old" &&
    run_ok "setup: an existing dir: image" ferry copy -q "oci:$T/img/old:img" "dir:$W/dest/dir"
snapshot "$W/dest" >"$T/snap.dest"
DESTS=("oci-archive:$OA:new" "docker-archive:$DA:new/img:2" "oci:$W/dest/layout:new" "dir:$W/dest/dir")

# ================================================ 15: hostile archives
GOOD_OA="$W/good-oci.tar"
GOOD_DA="$W/good-docker.tar"
run_ok "setup: a good oci-archive" ferry copy -q "oci:$S:img" "oci-archive:$GOOD_OA:img"
run_ok "setup: a good docker-archive" ferry copy -q "oci:$S:img" "docker-archive:$GOOD_DA:src/img:1"

# hostile SRC OUT KIND: SRC (an oci-archive or docker-archive) rewritten
# with one hostile member added, or put in place of the manifest blob (oci)
# or the first layer (docker). Python's tarfile writes the headers as asked.
hostile() {
    "$PYTHON3" - "$@" "$ESC" <<'PY'
import io, json, sys, tarfile
src, out, kind, esc = sys.argv[1:5]
fmt = tarfile.PAX_FORMAT if kind.startswith("pax") else tarfile.GNU_FORMAT
with tarfile.open(src) as s:
    names = s.getnames()
    if "index.json" in names:   # oci: the manifest blob
        idx = json.load(s.extractfile("index.json"))
        victim = "blobs/sha256/" + idx["manifests"][0]["digest"].split(":", 1)[1]
    else:                       # docker: the first layer
        victim = json.load(s.extractfile("manifest.json"))[0]["Layers"][0]
    if kind.startswith("manifest-json") and "manifest.json" in names:
        victim = "manifest.json"
    members = [(m, s.extractfile(m).read() if m.isfile() else None) for m in s.getmembers()]

def link(name, target, hard=False, pax_target=None):
    i = tarfile.TarInfo(name)
    i.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    i.linkname = target
    if pax_target is not None:
        i.linkname = "innocent"
        i.pax_headers = {"linkpath": pax_target}
    return i, None

def reg(name, data=b"x", pax_name=None):
    i = tarfile.TarInfo(name)
    i.size = len(data)
    if pax_name is not None:
        i.pax_headers = {"path": pax_name}
    return i, data

replace = {  # the victim becomes a link
    "victim-symlink-out": lambda: link(victim, esc + "/m"),
    "victim-symlink-up": lambda: link(victim, "../" * (victim.count("/") + 2) + "escape/m"),
    "victim-hardlink-out": lambda: link(victim, "../escape/m", hard=True),
    "victim-symlink-loop": lambda: link(victim, victim + ".loop"),
    "manifest-json-symlink-out": lambda: link(victim, "/etc/passwd"),
}
add = {
    "dotdot": lambda: [reg("../escape/x")],
    "dotdot-inner": lambda: [reg("blobs/../../escape/x")],
    "absolute": lambda: [reg(esc + "/abs")],
    "gnu-longname-dotdot": lambda: [reg("../" + "d/" * 60 + "escape-x")],
    "pax-path-dotdot": lambda: [reg("innocent", pax_name="../escape/pax")],
    "pax-path-absolute": lambda: [reg("innocent", pax_name=esc + "/pax")],
    "symlink-etc-passwd": lambda: [link("evil", "/etc/passwd")],
    "symlink-up": lambda: [link("blobs/evil", "../../x")],
    "symlink-chain": lambda: [link("evil1", "sub/evil2"), link("sub/evil2", "../../escape")],
    "hardlink-up": lambda: [link("evil", "../escape/m", hard=True)],
    "hardlink-abs": lambda: [link("evil", "/etc/passwd", hard=True)],
    "pax-linkpath-abs": lambda: [link("evil", None, pax_target="/etc/passwd")],
}
with tarfile.open(out, "w", format=fmt) as t:
    for m, data in members:
        if m.name == victim and kind in replace:
            continue
        t.addfile(m, io.BytesIO(data) if data is not None else None)
    extra = [replace[kind]()] if kind in replace else add[kind]()
    if kind == "victim-symlink-loop":
        extra.append(link(victim + ".loop", victim.rsplit("/", 1)[-1]))
    for info, data in extra:
        if data is not None:
            t.addfile(info, io.BytesIO(data))
        else:
            t.addfile(info)
PY
}

# refused DESC SOURCE DEST [NEEDLE]: the copy fails with exit 1 and one line
# naming the archive, nothing appears outside, no destination changes.
refused() {
    local desc=$1 src=$2 dst=$3 needle=${4:-}
    local file=${src#*:}
    file=${file%%:*}
    run ferry --tmpdir "$TMP" copy -q "$src" "$dst"
    is "$desc: exit 1" "$RC" 1
    stderr_one_line "$desc: one line naming the archive" "$file" ${needle:+"$needle"}
    outside_untouched "$desc: nothing created outside the archive"
    unchanged "$desc: ${dst%%:*} destination untouched" "$W/dest" "$T/snap.dest"
}

FERRY_TEST_TIMEOUT=60 # a link loop must fail, not hang
KINDS=(dotdot dotdot-inner absolute gnu-longname-dotdot pax-path-dotdot pax-path-absolute symlink-etc-passwd
    symlink-up symlink-chain hardlink-up hardlink-abs pax-linkpath-abs victim-symlink-out victim-symlink-up
    victim-hardlink-out victim-symlink-loop)
i=0
for kind in "${KINDS[@]}" manifest-json-symlink-out; do
    for tr in oci-archive docker-archive; do
        [ "$kind" = manifest-json-symlink-out ] && [ "$tr" = oci-archive ] && continue
        src=$GOOD_OA
        [ "$tr" = docker-archive ] && src=$GOOD_DA
        out="$W/hostile-$tr-$kind.tar"
        hostile "$src" "$out" "$kind" || { not_ok "building the $kind archive"; continue; }
        dst=${DESTS[$((i % ${#DESTS[@]}))]}
        i=$((i + 1))
        needle="outside the archive"
        [ "$kind" = victim-symlink-loop ] && needle="" # a loop: not found, or not a regular file
        refused "$tr $kind" "$tr:$out" "$dst" "$needle"
    done
done

# The same checks run on the decompressed copy of a gzip-compressed archive.
hostile "$GOOD_OA" "$W/hostile-gz.tar" dotdot && gzip -n "$W/hostile-gz.tar"
refused "oci-archive .tar.gz with ../ member" "oci-archive:$W/hostile-gz.tar.gz" "${DESTS[0]}" "outside the archive"
empty_dir "the decompressed copy of a refused archive is gone from --tmpdir" "$TMP"

# Links inside the archive that stay inside are not an attack. A docker
# archive naming its layer through the legacy ID/layer.tar symlink, and an
# archive made with `tar -C DIR -cf X .` ("./" members): skopeo reads both.
mkdir -p "$T/x-da" && tar -C "$T/x-da" -xf "$GOOD_DA"
"$PYTHON3" - "$T/x-da" <<'PY'
import json, os, sys
d = sys.argv[1]
p = os.path.join(d, "manifest.json")
m = json.load(open(p))
layer = m[0]["Layers"][0]
for entry in sorted(os.listdir(d)):  # the legacy directory whose layer.tar links to it
    lt = os.path.join(d, entry, "layer.tar")
    if os.path.islink(lt) and os.path.basename(os.readlink(lt)) == layer:
        m[0]["Layers"][0] = entry + "/layer.tar"
        break
else:
    sys.exit("no legacy layer.tar symlink for %s" % layer)
json.dump(m, open(p, "w"))
PY
(cd "$T/x-da" && tar -cf "$W/legacy-link.tar" -- *)
tar -C "$T/x-da" -cf "$W/dot-da.tar" .
tar -C "$T/x-da" -xf "$GOOD_DA" manifest.json # the original manifest again
tar -C "$T/x-da" -cf "$W/dot-da-plain.tar" .
mkdir -p "$T/x-oa" && tar -C "$T/x-oa" -xf "$GOOD_OA" && tar -C "$T/x-oa" -cf "$W/dot-oa.tar" .
want_cfg=$(ferry inspect --config --raw "oci:$S:img" | sha256sum | cut -d' ' -f1)
for arc in "docker-archive:$W/legacy-link.tar" "docker-archive:$W/dot-da.tar" "docker-archive:$W/dot-da-plain.tar" \
    "oci-archive:$W/dot-oa.tar"; do
    desc="reads ${arc#"$W/"}"
    case $arc in
        *legacy-link.tar) desc="docker-archive: a layer named through an internal symlink (ID/layer.tar) is read" ;;
        *dot-da.tar) desc="docker-archive: a 'tar -C DIR .' archive with the legacy symlink is read" ;;
        *dot-da-plain.tar) desc="docker-archive: a 'tar -C DIR .' archive (./ members) is read" ;;
        *dot-oa.tar) desc="oci-archive: a 'tar -C DIR .' archive (./ members) is read" ;;
    esac
    if [ "$HAVE_SKOPEO" = 1 ]; then
        run skopeo inspect --config --raw "$arc"
        [ "$RC" -eq 0 ] || { skip "$desc" "skopeo does not read it either"; continue; }
    fi
    run ferry inspect --config --raw "$arc"
    got="$RC:$(sha256sum <"$T/out" | cut -d' ' -f1)"
    is "$desc" "$got" "0:$want_cfg"
done

FERRY_TEST_TIMEOUT=300

# ================================================ broken archives (gaps)
# docker-archive: config missing; oci-archive: a compressed archive cut
# short inside the stream; both: a failing source never touches an
# existing archive destination.
mkdir -p "$T/x-nocfg" && tar -C "$T/x-nocfg" -xf "$GOOD_DA"
CFG=$(tar -xOf "$GOOD_DA" manifest.json | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
rm -f "$T/x-nocfg/$CFG"
(cd "$T/x-nocfg" && tar -cf "$W/no-config.tar" -- *)
run ferry copy -q "docker-archive:$W/no-config.tar" "${DESTS[0]}"
is "docker-archive: manifest.json naming a missing config: exit 1" "$RC" 1
stderr_one_line "docker-archive: missing config: one line naming the archive and the member" "$W/no-config.tar" "$CFG"
unchanged "docker-archive: missing config: destination untouched" "$W/dest" "$T/snap.dest"

mkimage --layout oci --manifest oci --tag t --layers 1 --layer-size 2M --compression none --seed trunc \
    "$T/img/trunc" >/dev/null && tar -C "$T/img/trunc" -cf - . | gzip -1 -n >"$W/whole.tar.gz" ||
    not_ok "building a compressed archive"
head -c $(( $(stat -c %s "$W/whole.tar.gz") * 2 / 3 )) "$W/whole.tar.gz" >"$W/cut.tar.gz"
refused "oci-archive .tar.gz cut short inside the stream" "oci-archive:$W/cut.tar.gz:t" "${DESTS[1]}"
empty_dir "cut .tar.gz: --tmpdir empty" "$TMP"

mkimage --layout oci --manifest oci --tag t --layers 1 --layer-size 32K --seed mm --bad layer-digest-mismatch \
    "$T/img/mismatch" >/dev/null || not_ok "mkimage --bad layer-digest-mismatch"
mkimage --layout oci --manifest oci --tag t --layers 1 --layer-size 32K --seed dd --bad diffid-mismatch \
    "$T/img/diffid" >/dev/null || not_ok "mkimage --bad diffid-mismatch"
for d in "${DESTS[@]}"; do
    run ferry copy -q "oci:$T/img/mismatch:t" "$d"
    is "layer bytes not matching their digest → ${d%%:*}: exit 1" "$RC" 1
    stderr_one_line "layer bytes not matching → ${d%%:*}: one line" "digest"
    unchanged "layer bytes not matching → ${d%%:*}: existing destination untouched" "$W/dest" "$T/snap.dest"
done
# docker-archive stores layers decompressed, under their DiffID: bytes that
# do not match the config's DiffID make an archive that no reader accepts.
# (skopeo 1.9 writes it all the same.)
cp -p "$DA" "$W/diffid.tar"
run ferry copy -q "oci:$T/img/diffid:t" "docker-archive:$W/diffid.tar"
is "wrong DiffID → docker-archive (decompressing): exit 1" "$RC" 1
stderr_one_line "wrong DiffID → docker-archive: one line" "digest"
same_file "wrong DiffID → docker-archive: existing archive untouched" "$W/diffid.tar" "$DA"
run ferry copy -q "docker-archive:$W/diffid.tar" "oci:$W/diffid-back:x"
if [ "$RC" = 0 ]; then ok "whatever was written there reads back"; else
    not_ok "whatever was written there reads back" "the archive ferry wrote is refused: $(cat "$T/err")"; fi
rm -rf "$W/diffid.tar" "$W/diffid-back"
no_temp "no temporary file next to the archives" "$W/dest"

# ================================================ 16: interrupted copies
BIG="$T/img/big"
mkimage --layout oci --manifest oci --tag big --layers 1 --layer-size 64M --compression none --seed big "$BIG" \
    >/dev/null || not_ok "mkimage: the 64 MiB fixture"
K="$W/kill"
mkdir -p "$K"
for tr in oci-archive docker-archive; do
    run_ok "setup: an existing $tr to interrupt" ferry copy -q "oci:$T/img/old:img" "$tr:$K/$tr.tar"
    cp "$K/$tr.tar" "$T/$tr.orig"
done
for tr in oci-archive docker-archive; do
    for sig in KILL TERM; do
        for target in existing new; do
            f="$K/$tr.tar"
            [ "$target" = new ] && f="$K/new-$tr-$sig.tar"
            ls -A "$K" | LC_ALL=C sort >"$T/kill.before"
            # Layers kept as they are: the bytes go straight into the archive
            # (a layer that is compressed on the way is spooled first).
            keep=()
            [ "$tr" = oci-archive ] && keep=(--dest-oci-accept-uncompressed-layers)
            read -r st how < <(killmid "$sig" $((4 << 20)) "$FERRY" --policy "$POLICY" copy -q "${keep[@]}" \
                "oci:$BIG:big" "$tr:$f")
            desc="SIG$sig mid-copy into $target $tr"
            if [ "$how" != reached ]; then
                not_ok "$desc: interrupted" "the copy ended (status $st) before writing 4 MiB: fixture too small"
                continue
            fi
            if [ "$sig" = KILL ]; then is "$desc: killed" "$st" -9; else
                if [ "$st" -ne 0 ]; then ok "$desc: exit $st"; else not_ok "$desc: non-zero exit" "exit 0"; fi
            fi
            if [ "$target" = existing ]; then
                same_file "$desc: the old archive is intact" "$f" "$T/$tr.orig"
            else
                absent "$desc: no archive" "$f"
            fi
            ls -A "$K" | LC_ALL=C sort >"$T/kill.after"
            same_file "$desc: no temporary file left" "$T/kill.after" "$T/kill.before"
        done
    done
    run ferry inspect --raw "$tr:$T/$tr.orig"
    cp "$T/out" "$T/orig.manifest"
    run ferry inspect --raw "$tr:$K/$tr.tar"
    is "after the interruptions the old $tr is read as before" "$RC:$(sha256 "$T/out")" "0:$(sha256 "$T/orig.manifest")"
    run_ok "a new copy into the interrupted $tr succeeds" ferry copy -q "oci:$S:img" "$tr:$K/$tr.tar"
    run_ok "... and reads back" ferry copy -q "$tr:$K/$tr.tar" "oci:$K/back-$tr:x"
done
rm -f "$K"/*.tar "$K"/.ferry-*

# Interrupting the unpacking of a compressed oci-archive (or a pipe) into
# --tmpdir leaves nothing there: the copy is an unnamed file.
tar -C "$BIG" -cf - . | gzip -1 -n >"$W/big.tar.gz"
for sig in KILL TERM; do
    read -r st how < <(killmid "$sig" $((4 << 20)) "$FERRY" --policy "$POLICY" --tmpdir "$TMP" copy -q \
        "oci-archive:$W/big.tar.gz:big" "oci:$K/unpacked-$sig:x")
    if [ "$how" = reached ]; then
        is "SIG$sig while decompressing a .tar.gz: --tmpdir empty, no destination" \
            "$(ls -A "$TMP")|$(ls -A "$K" | grep unpacked)" "|"
    else
        not_ok "SIG$sig while decompressing a .tar.gz" "the copy ended (status $st) before writing 4 MiB"
    fi
done

# ================================================ 17: disk full
FULL="$T/full"
mkdir -p "$FULL"
MOUNTED=0
why_not=""
if [ "$(id -u)" != 0 ]; then
    why_not="not root: cannot mount a small tmpfs"
elif ! mount -t tmpfs -o size=2m tmpfs "$FULL" 2>"$T/mount.err"; then
    why_not="mount -t tmpfs failed: $(head -n 1 "$T/mount.err")"
else
    MOUNTED=1
    # Unmounted before lib.sh's exit handler removes $T (and reports).
    trap '_st=$?; umount "$FULL" 2>/dev/null || umount -l "$FULL" 2>/dev/null; (exit $_st); _tap_exit' EXIT
fi
if [ "$MOUNTED" = 1 ]; then
    HUGE="$T/img/huge"
    mkimage --layout oci --manifest oci --tag h --layers 2 --layer-size 2M --seed huge "$HUGE" >/dev/null ||
        not_ok "mkimage: the 2 x 2 MiB fixture"
    # full_case DESC DEST [FERRY OPTIONS...]: the copy of HUGE fails with one
    # line saying so, and the tmpfs is exactly as before.
    full_case() {
        local desc=$1 dst=$2; shift 2
        snapshot "$FULL" >"$T/snap.full"
        run ferry "$@" copy -q "oci:$HUGE:h" "$dst"
        is "$desc: exit 1" "$RC" 1
        stderr_one_line "$desc: one line saying the disk is full" "No space left on device" "${dst%%:*}:"
        unchanged "$desc: no partial files, the destination as before" "$FULL" "$T/snap.full"
    }
    for state in new existing; do
        if [ "$state" = existing ]; then
            for d in "dir:$FULL/d" "oci:$FULL/o:old" "oci-archive:$FULL/a.tar" "docker-archive:$FULL/da.tar"; do
                run_ok "setup: a small image at ${d%%:*} on the small tmpfs" ferry copy -q "oci:$T/img/old:img" "$d"
            done
        fi
        if [ "$state" = existing ]; then
            run ferry inspect --raw "docker-archive:$FULL/da.tar"
            cp "$T/out" "$T/full-da.manifest"
        fi
        full_case "disk full, $state dir" "dir:$FULL/d"
        full_case "disk full, $state oci" "oci:$FULL/o:new"
        full_case "disk full, $state oci-archive" "oci-archive:$FULL/a.tar"
        full_case "disk full, $state docker-archive" "docker-archive:$FULL/da.tar"
    done
    run_ok "the small images survived the full disk" checkimage verify oci "$FULL/o:old" --diffids
    run ferry inspect --raw "docker-archive:$FULL/da.tar"
    is "the small docker-archive survived the full disk" "$RC:$(sha256 "$T/out")" "0:$(sha256 "$T/full-da.manifest")"

    # --tmpdir full: a compressed oci-archive (a ~10 KB bomb of 8 MiB) and a
    # pipe cannot be unpacked; the error says so and the tmpfs is unchanged.
    mkimage --layout oci --manifest oci --tag z --zeros --compression none --layer-size 8M "$T/img/zeros" >/dev/null &&
        tar -C "$T/img/zeros" -cf - . | gzip -9 -n >"$W/zeros.tar.gz" || not_ok "building the compressed bomb archive"
    snapshot "$FULL" >"$T/snap.full"
    read -r kib st < <(peak_rss_kib "$FERRY" --policy "$POLICY" --tmpdir "$FULL" copy -q "oci-archive:$W/zeros.tar.gz:z" \
        "oci:$W/from-zeros:z")
    is "a .tar.gz bomb (8 MiB from $(stat -c %s "$W/zeros.tar.gz") bytes) with --tmpdir on the full disk: exit 1" "$st" 1
    rss_below "unpacking the .tar.gz bomb" "$kib" "$RSS_MAX"
    run ferry --tmpdir "$FULL" copy -q "oci-archive:$W/zeros.tar.gz:z" "oci:$W/from-zeros:z"
    stderr_one_line "--tmpdir full: one line naming the archive and the cause" "zeros.tar.gz" "No space left on device"
    unchanged "--tmpdir full: nothing left in it" "$FULL" "$T/snap.full"
    absent "--tmpdir full: no destination" "$W/from-zeros"
    cat "$W/zeros.tar.gz" | timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry --tmpdir "$FULL" copy -q \
        oci-archive:/dev/stdin:z "oci:$W/from-zeros:z" 2>"$T/err"
    is "--tmpdir full, compressed archive on a pipe: exit 1" "$?" 1
    stderr_one_line "--tmpdir full, pipe: one line saying the disk is full" "No space left on device"
    unchanged "--tmpdir full, pipe: nothing left in it" "$FULL" "$T/snap.full"
    ferry copy -q "oci:$T/img/zeros:z" "docker-archive:$W/zeros-da.tar" 2>/dev/null
    cat "$W/zeros-da.tar" | timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry --tmpdir "$FULL" copy -q \
        docker-archive:/dev/stdin "oci:$W/from-zeros:z" 2>"$T/err"
    is "--tmpdir full, docker-archive on a pipe: exit 1" "$?" 1
    stderr_one_line "--tmpdir full, docker-archive pipe: one line saying the disk is full" "No space left on device"
    unchanged "--tmpdir full, docker-archive pipe: nothing left in it" "$FULL" "$T/snap.full"
    rm -f "$W/zeros-da.tar"
    if umount "$FULL"; then ok "the tmpfs unmounts (nothing holds it)"; else not_ok "the tmpfs unmounts"; fi
    MOUNTED=0
else
    skip "disk full on a small tmpfs" "$why_not"
fi
for tr in docker-archive oci-archive; do
    run ferry copy -q "oci:$S:img" "$tr:/dev/full"
    is "$tr:/dev/full: exit 1" "$RC" 1
    stderr_one_line "$tr:/dev/full: one line saying the disk is full" "/dev/full" "No space left on device"
done

# ================================================ 18: decompression bombs
# One 1 GiB file of zeros in a ~1 MB gzip layer; the same with a DiffID
# that does not match. docker-archive: stores layers uncompressed, and
# dir: --dest-decompress too: the whole GiB streams through the copy.
B1="$T/img/bomb"
B2="$T/img/bomb-bad"
mkimage --layout oci --manifest oci --tag b --zeros --layer-size 1G "$B1" >/dev/null &&
    mkimage --layout oci --manifest oci --tag b --zeros --layer-size 1G --bad diffid-mismatch "$B2" >/dev/null ||
    not_ok "mkimage: the bombs"
LAYER=$(checkimage get "$B1/blobs/sha256/$(checkimage refs "$B1" | cut -d' ' -f2 | cut -d: -f2)" layers 0 size)
if [ "${LAYER:-0}" -gt 0 ] && [ "$LAYER" -lt 2000000 ]; then ok "the bomb layer is small ($LAYER bytes gzip for 1 GiB)"; else
    not_ok "the bomb layer is small" "layer 0 is $LAYER bytes"; fi

# bomb DESC WANT_STATUS SRC DEST [FERRY OPTIONS...]: the copy's status and
# peak RSS (GNU time, as peak_rss_kib in lib.sh); stderr in $T/err.
bomb() {
    local desc=$1 want=$2 src=$3 dst=$4; shift 4
    local st kib
    /usr/bin/time -o "$T/rss" -f '%M' "$FERRY" --policy "$POLICY" copy -q "$@" "$src" "$dst" \
        </dev/null >/dev/null 2>"$T/err"
    st=$?
    kib=$(tail -n 1 "$T/rss")
    is "$desc: exit $want" "$st" "$want"
    rss_below "$desc" "$kib" "$RSS_MAX"
}
MF1=$(checkimage refs "$B1" | cut -d' ' -f2 | cut -d: -f2)
bomb "1 GiB bomb → docker-archive" 0 "oci:$B1:b" "docker-archive:$W/bomb.tar"
run ferry inspect --config --raw "docker-archive:$W/bomb.tar"
is "the bomb's archive is complete (config as in the source)" "$RC:$(sha256 "$T/out")" \
    "0:$(checkimage get "$B1/blobs/sha256/$MF1" config digest)"
rm -f "$W/bomb.tar"
bomb "1 GiB bomb, wrong DiffID → docker-archive" 1 "oci:$B2:b" "docker-archive:$W/bomb-bad.tar"
stderr_one_line "wrong DiffID → docker-archive: one line about the digest" "digest"
absent "wrong DiffID → docker-archive: no archive written" "$W/bomb-bad.tar"
rm -f "$W/bomb-bad.tar"
no_temp "wrong DiffID → docker-archive: no temporary file left" "$W"
# dir: --dest-decompress stores what it inflates, under its real digest.
bomb "1 GiB bomb → dir: --dest-decompress" 0 "oci:$B1:b" "dir:$W/bomb-dir" --dest-decompress
big=$(find "$W/bomb-dir" -type f -size +1000M | wc -l)
is "dir: --dest-decompress stored the inflated layer" "$big" 1
rm -rf "$W/bomb-dir"
no_temp "dir: --dest-decompress: no staging directory left" "$W"
bomb "1 GiB bomb → oci: (kept compressed)" 0 "oci:$B1:b" "oci:$W/bomb-oci:b"
bomb "1 GiB bomb → oci-archive: (kept compressed)" 0 "oci:$B1:b" "oci-archive:$W/bomb-oci.tar"
unchanged "no bomb copy touched the existing destinations" "$W/dest" "$T/snap.dest"

finish
