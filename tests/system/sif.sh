#!/bin/bash
# tests/system/sif.sh — the sif: transport (read only) against skopeo's:
#   - a SIF built here (mksquashfs of a tree with every kind of object:
#     modes with set-id and sticky bits, owners set by pseudo definitions,
#     symbolic and hard links, devices, a FIFO, a socket, xattrs, a long
#     name, a multi-block and a sparse file, Singularity's .singularity.d
#     layout; tests/fixtures/mksif.py writes the SIF around it, with a
#     definition file holding %environment and %runscript) copied by ferry
#     and by skopeo to oci: — the same layer entries (names, types, modes,
#     owners, times, link targets, device numbers, xattrs, data; listed by
#     tests/fixtures/tarlisting.py and by tar -tvf), the same config but
#     for the DiffID (architecture from the header, Cmd, created in the
#     local time zone, history), the same manifest shape; the injected
#     /podman/runscript; without a definition file Cmd ["bash"] and
#     nothing injected;
#   - copies to dir:, docker-archive: and oci-archive: complete and valid;
#   - a missing, truncated or non-SIF file, a truncated descriptor table or
#     partition, no primary system partition, no objects, a partition that
#     is not squashfs: exit 1, one line with skopeo's words, nothing
#     written; sif: as a destination refused;
#   - the layer streamed in bounded memory.
# Without skopeo (or its fakeroot and unsquashfs) the format facts are
# checked alone.
. "$(dirname "$0")/lib.sh"

{ [ -e "$FERRY_TRANSPORT_PATH/sif.la" ] || [ -e "$FERRY_TRANSPORT_PATH/sif.so" ]; } ||
    skip_all "sif transport not built (libsquashfs-dev missing)"
command -v mksquashfs >/dev/null || skip_all "mksquashfs not installed (squashfs-tools)"
need_python

MKSIF=("$PYTHON3" "$SRCDIR/tests/fixtures/mksif.py")
LISTING=("$PYTHON3" "$SRCDIR/tests/fixtures/tarlisting.py" --volatile-mtime ./podman --volatile-mtime ./podman/runscript)
export TZ=UTC
SIF_TIME=1234567890

USE_SKOPEO=0
if [ "$HAVE_SKOPEO" = 1 ] && command -v fakeroot >/dev/null && command -v unsquashfs >/dev/null; then
    USE_SKOPEO=1
else
    diag "skopeo, fakeroot or unsquashfs missing: format facts checked without skopeo"
fi

# ---------------------------------------------------------------- fixture
R="$T/tree"
mkdir -p "$R/bin" "$R/etc/sub" "$R/empty" "$R/.singularity.d/env" "$R/$(printf 'd%.0s' {1..70})/$(printf 'e%.0s' {1..70})"
printf 'hello\n' >"$R/etc/hello"
ln "$R/etc/hello" "$R/etc/hello-hard"
ln "$R/etc/hello" "$R/etc/hello-third"
printf '#!/bin/sh\necho tool\n' >"$R/bin/tool"
chmod 4755 "$R/bin/tool"
printf 'secret' >"$R/etc/sub/private"
chmod 0600 "$R/etc/sub/private"
chmod 1777 "$R/empty"
ln -s ../etc/hello "$R/bin/link"
ln -s nowhere "$R/dangling"
printf 'long\n' >"$R/$(printf 'd%.0s' {1..70})/$(printf 'e%.0s' {1..70})/$(printf 'f%.0s' {1..90})"
head -c 400000 /dev/urandom >"$R/big"
truncate -s 2000000 "$R/sparse" && printf x | dd of="$R/sparse" bs=1 seek=1000000 conv=notrunc 2>/dev/null
printf '#!/bin/sh\nexport FOO=bar\n' >"$R/.singularity.d/env/90-environment.sh"
printf '#!/bin/sh\nexec /bin/tool "$@"\n' >"$R/.singularity.d/runscript"
chmod 0755 "$R/.singularity.d/runscript"
ln -s .singularity.d/runscript "$R/singularity"
HAVE_XATTR=0
if command -v setfattr >/dev/null && setfattr -n user.test -v value "$R/etc/hello" 2>/dev/null; then
    HAVE_XATTR=1
    setfattr -n user.other -v 'x y' "$R/bin/tool"
else
    diag "user xattrs not available on $T: none in the fixture"
fi
check "mksquashfs builds the system partition" mksquashfs "$R" "$T/rootfs.sqfs" -noappend -quiet -no-progress \
    -all-time 1600000000 -p 'etc/sub/private m 0600 1000 1001' -p 'bin m 0750 0 50' -p 'dev d 0755 0 0' \
    -p 'dev/null c 0666 0 0 1 3' -p 'dev/sda b 0660 0 6 8 0' -p 'dev/wide c 0600 0 0 300 70000' \
    -p 'fifo i 0644 0 0 f' -p 'sock i 0755 0 0 s'
cat >"$T/def" <<'EOF'
Bootstrap: docker
From: busybox

%environment
    export FOO=bar
    # a comment, left out

    export PATH=/bin:/usr/bin
%runscript
    echo "Hello from the runscript"

    exec /bin/tool "$@"
%labels
    Author someone
EOF
check "mksif.py writes the SIF (arm64, definition file, primary system partition)" \
    "${MKSIF[@]}" "$T/img.sif" --arch 04 --time $SIF_TIME --deffile "$T/def" --partition "$T/rootfs.sqfs"

layer_of() { # LAYOUT: the path of the single layer of an oci: layout's image
    local m
    m=$(oci_top "$1")
    echo "$1/blobs/sha256/$(json "$m" 'j["layers"][0]["digest"][7:]')"
}
config_of() { # LAYOUT
    echo "$1/blobs/sha256/$(json "$(oci_top "$1")" 'j["config"]["digest"][7:]')"
}
# The config with every digest written as H: what must match skopeo's.
normalized() { sed -E 's/[0-9a-f]{64}/H/g' "$1"; }

# ---------------------------------------------------------------- copy to oci:
run_ok "ferry copy sif: oci:" ferry copy sif:"$T/img.sif" oci:"$T/f:t"
check "the image is complete, its DiffID right" "$PYTHON3" "$SRCDIR/tests/fixtures/checkimage.py" verify oci \
    "$T/f:t" --diffids
FCONF=$(config_of "$T/f")
is "architecture from the SIF header" "$(json "$FCONF" 'j["architecture"]')" "arm64"
is "os" "$(json "$FCONF" 'j["os"]')" "linux"
is "Cmd is the injected runscript" "$(json "$FCONF" 'j["config"]["Cmd"]')" "['/podman/runscript']"
is "created from the SIF's modification time" "$(json "$FCONF" 'j["created"]')" "2009-02-13T23:31:30Z"
is "history: imported from SIF, with the UUID" "$(json "$FCONF" 'j["history"][0]["comment"]')" \
    "imported from SIF, uuid: 01234567-89ab-cdef-0123-456789abcdef"
is "one layer" "$(json "$(oci_top "$T/f")" 'len(j["layers"])')" "1"
"${LISTING[@]}" "$(layer_of "$T/f")" >"$T/f.list"
tar -xzOf "$(layer_of "$T/f")" ./podman/runscript >"$T/runscript" 2>/dev/null
printf '#!/bin/bash\nexport FOO=bar\nexport PATH=/bin:/usr/bin\necho "Hello from the runscript"\n\nexec /bin/tool "$@"\n' \
    >"$T/runscript.want"
same_file "/podman/runscript: %environment, then %runscript" "$T/runscript" "$T/runscript.want"
check "the layer holds the partition's files (set-uid tool, 1000:1001 private file, devices, FIFO)" \
    grep -q -e '^./bin/tool 0 4755 ' "$T/f.list"
check "owners from the pseudo definitions" grep -q '^./etc/sub/private 0 600 1000 1001 ' "$T/f.list"
check "device numbers kept" grep -q '^./dev/wide 3 600 0 0 .* 300,70000 ' "$T/f.list"
check "a hard-link group of three" grep -q '^./etc/hello hardlink=./etc/hello|./etc/hello-hard|./etc/hello-third ' "$T/f.list"
check "sockets left out, as GNU tar leaves them out" bash -c "! grep -q '^./sock ' '$T/f.list'"
check "the 90-character name is kept whole" grep -q "/$(printf 'f%.0s' {1..90}) " "$T/f.list"
if [ "$HAVE_XATTR" = 1 ]; then
    check "xattrs recorded as SCHILY.xattr" grep -q '^./etc/hello .*SCHILY.xattr.user.test=value' "$T/f.list"
fi

if [ "$USE_SKOPEO" = 1 ]; then
    run_ok "skopeo copy sif: oci:" skopeo copy sif:"$T/img.sif" oci:"$T/s:t"
    "${LISTING[@]}" "$(layer_of "$T/s")" >"$T/s.list"
    same_file "same layer entries as skopeo's (modes, owners, times, links, devices, xattrs, data)" \
        "$T/f.list" "$T/s.list"
    # tar -tvf: everything but the hard links (which name whichever link
    # the tree listed first) and the times of what is created on the way.
    tvf() { tar -tvf "$1" | grep -v -e '^h' -e ' ./podman/$' -e ' ./podman/runscript$' | LC_ALL=C sort; }
    tvf "$(layer_of "$T/f")" >"$T/f.tvf"
    tvf "$(layer_of "$T/s")" >"$T/s.tvf"
    same_file "tar -tvf lists the same entries as for skopeo's layer" "$T/f.tvf" "$T/s.tvf"
    normalized "$FCONF" >"$T/f.conf"
    normalized "$(config_of "$T/s")" >"$T/s.conf"
    same_file "the config is skopeo's but for the DiffID" "$T/f.conf" "$T/s.conf"
    normalized "$(oci_top "$T/f")" | sed -E 's/"size":[0-9]+/"size":N/g' >"$T/f.man"
    normalized "$(oci_top "$T/s")" | sed -E 's/"size":[0-9]+/"size":N/g' >"$T/s.man"
    same_file "the manifest has skopeo's shape" "$T/f.man" "$T/s.man"
    is "the uncompressed layer is as long as skopeo's" \
        "$(gzip -dc "$(layer_of "$T/f")" | wc -c)" "$(gzip -dc "$(layer_of "$T/s")" | wc -c)"
else
    skip "comparison with skopeo's layer and config" "skopeo, fakeroot or unsquashfs missing"
fi

# ---------------------------------------------------------------- other destinations
run_ok "ferry copy sif: dir:" ferry copy sif:"$T/img.sif" dir:"$T/d"
is "dir: keeps the layer uncompressed, as skopeo does" \
    "$(json "$T/d/manifest.json" 'j["layers"][0]["mediaType"]')" "application/vnd.oci.image.layer.v1.tar"
check "dir: image verifies" "$PYTHON3" "$SRCDIR/tests/fixtures/checkimage.py" verify dir "$T/d" --diffids
run_ok "ferry copy sif: docker-archive:" ferry copy sif:"$T/img.sif" docker-archive:"$T/a.tar:sif/img:1"
run_ok "the archive reads back" ferry copy docker-archive:"$T/a.tar" oci:"$T/back:t"
"${LISTING[@]}" "$(layer_of "$T/back")" >"$T/back.list"
same_file "the layer survives the round trip" "$T/back.list" "$T/f.list"
run_ok "ferry copy sif: oci-archive:" ferry copy sif:"$T/img.sif" oci-archive:"$T/o.tar:t"

# ---------------------------------------------------------------- variants
check "a SIF without definition file" "${MKSIF[@]}" "$T/nodef.sif" --time $SIF_TIME --partition "$T/rootfs.sqfs"
run_ok "ferry copy of it" ferry copy sif:"$T/nodef.sif" oci:"$T/n:t"
is "Cmd is bash" "$(json "$(config_of "$T/n")" 'j["config"]["Cmd"]')" "['bash']"
is "architecture amd64 (code 02)" "$(json "$(config_of "$T/n")" 'j["architecture"]')" "amd64"
check "nothing injected" bash -c "! tar -tzf '$(layer_of "$T/n")' | grep -q podman"
if [ "$USE_SKOPEO" = 1 ]; then
    run_ok "skopeo copy of it" skopeo copy sif:"$T/nodef.sif" oci:"$T/sn:t"
    same_file "config as skopeo's but for the DiffID" <(normalized "$(config_of "$T/n")") \
        <(normalized "$(config_of "$T/sn")")
fi
if [ -e /usr/share/zoneinfo/Europe/Berlin ]; then
    TZ=Europe/Berlin run_ok "inspect --config in another time zone" ferry inspect --config sif:"$T/nodef.sif"
    check "created is written in the local zone, as Go writes time.Unix" grep -q '"created": "2009-02-14T00:31:30+01:00"' "$T/out"
else
    skip "created in the local zone" "no tzdata"
fi

# ---------------------------------------------------------------- errors
head -c 100 "$T/img.sif" >"$T/bad-header.sif"
for i in 1 2 3; do echo "a text file, not a SIF file, and longer than the 128 bytes of a SIF global header"; done \
    >"$T/bad-magic.sif"
head -c 5000 "$T/img.sif" >"$T/bad-descriptors.sif"
head -c $(($(stat -c %s "$T/img.sif") - 1000)) "$T/img.sif" >"$T/bad-partition.sif"
"${MKSIF[@]}" "$T/nosys.sif" --deffile "$T/def" --partition "$T/rootfs.sqfs:1:3"
"${MKSIF[@]}" "$T/noobj.sif"
"${MKSIF[@]}" "$T/notsquash.sif" --partition "$T/def"
# Found by fuzz-sif: a descriptor whose offset + size passes 2^64 (wraps to
# inside the file) must not pass the bounds check.
cp "$SRCDIR/tests/fuzz/corpus/fuzz-sif/partition-end-wraps.sif" "$T/wraps.sif"
declare -A WORDS=(
    [missing.sif]="loading SIF file: open $T/missing.sif: no such file or directory"
    [bad-header.sif]="loading SIF file: reading global header: unexpected EOF"
    [bad-magic.sif]="loading SIF file: invalid SIF magic"
    [bad-descriptors.sif]="loading SIF file: reading descriptors: unexpected EOF"
    [bad-partition.sif]="converting rootfs from SquashFS to Tarball: EOF"
    [nosys.sif]="converting rootfs from SquashFS to Tarball: looking up rootfs from SIF file: object not found"
    [noobj.sif]="converting rootfs from SquashFS to Tarball: looking up rootfs from SIF file: no objects in image"
    [notsquash.sif]="converting rootfs from SquashFS to Tarball"
    [wraps.sif]="converting rootfs from SquashFS to Tarball: EOF (truncated file: the primary system partition, 18446744073709551360 bytes at byte 8192, passes the end of the file, 9539 bytes)"
)
for f in missing.sif bad-header.sif bad-magic.sif bad-descriptors.sif bad-partition.sif nosys.sif noobj.sif notsquash.sif wraps.sif; do
    run_status "$f: exit 1" 1 ferry copy sif:"$T/$f" oci:"$T/out-$f:t"
    stderr_one_line "$f: one line naming the file" "sif:$T/$f"
    if grep -qiF -- "initializing source sif:$T/$f: ${WORDS[$f]}" "$T/err"; then ok "$f: skopeo's words"; else
        not_ok "$f: skopeo's words" "stderr: $(cat "$T/err")"; fi
    absent "$f: nothing written at the destination" "$T/out-$f"
    # skopeo's own message (it runs unsquashfs on a partition that is not
    # squashfs, and says what unsquashfs printed) is within ferry's line.
    if [ "$USE_SKOPEO" = 1 ] && [ "$f" != notsquash.sif ] && [ "$f" != wraps.sif ]; then
        cp "$T/err" "$T/err.ferry"
        run skopeo copy sif:"$T/$f" oci:"$T/sk-$f:t"
        msg=$(sed -n 's/.*msg="\(initializing source .*\)"$/\1/p' "$T/err")
        if [ -n "$msg" ] && [ "$RC" = 1 ] && grep -qiF -- "$msg" "$T/err.ferry"; then ok "$f: skopeo's message within ferry's"
        else not_ok "$f: skopeo's message within ferry's" "skopeo (exit $RC): $(cat "$T/err")
ferry: $(cat "$T/err.ferry")"; fi
    fi
done
run_status "sif: as a destination: exit 1" 1 ferry copy oci:"$T/f:t" sif:"$T/new.sif"
stderr_one_line "one line, containers/image's words" '"sif:" locations can only be read from, not written to'
absent "nothing created" "$T/new.sif"

# Found by fuzz-sif: an inode claiming 4 billion extended attributes made
# ferry ask for 3 GiB at once, before reading any. Under a 1 GiB
# address-space limit (not under ASan, whose shadow memory needs more) the
# copy must fail on the data, in one line, not on memory.
cp "$SRCDIR/tests/fuzz/corpus/fuzz-sif/xattr-count-4-billion.sif" "$T/xattrs.sif"
limit='ulimit -v 1048576;'
[ -n "$FERRY_SANITIZED" ] && limit=
run bash -c "$limit"' exec "$@"' _ "$FERRY" --policy "$POLICY" copy sif:"$T/xattrs.sif" oci:"$T/out-xattrs:t"
is "an inode claiming 4 billion xattrs: exit 1" "$RC" 1
stderr_one_line "... in one line" "reading the extended attributes of /etc/hosts: location past the end of the partition"
absent "... nothing written at the destination" "$T/out-xattrs"

# Found by fuzz-sif: a fragment count of 4 billion made libsquashfs ask
# for 64 GiB (ASan aborts; a plain build failed on memory): a table that
# cannot fit in the partition is refused as corrupted before that.
cp "$SRCDIR/tests/fuzz/corpus/fuzz-sif/fragment-count-4-billion.sif" "$T/fragments.sif"
run_status "a fragment table of 4 billion entries: exit 1" 1 ferry copy sif:"$T/fragments.sif" oci:"$T/out-fragments:t"
stderr_one_line "... in one line" "reading the fragment table: corrupted file system"
absent "... nothing written at the destination" "$T/out-fragments"

# Found by fuzz-sif: an xattr value header stating 4 GiB, which libsquashfs
# allocates before reading: sizes are checked against the key/value area first.
cp "$SRCDIR/tests/fuzz/corpus/fuzz-sif/xattr-value-4-gib.sif" "$T/xvalue.sif"
run_status "an xattr value of 4 GiB: exit 1" 1 ferry copy sif:"$T/xvalue.sif" oci:"$T/out-xvalue:t"
stderr_one_line "... in one line" "reading the extended attributes of /etc/hosts: corrupted file system"
absent "... nothing written at the destination" "$T/out-xvalue"

# ---------------------------------------------------------------- memory
head -c 48000000 /dev/urandom >"$R/huge"
check "a partition with a 48 MB file" mksquashfs "$R" "$T/big.sqfs" -noappend -quiet -no-progress -processors 1
"${MKSIF[@]}" "$T/big.sif" --partition "$T/big.sqfs"
read -r KIB STATUS < <(peak_rss_kib "$FERRY" --policy "$POLICY" copy sif:"$T/big.sif" dir:"$T/bigd")
is "copy of the large partition succeeds" "$STATUS" "0"
rss_below "layer generated in bounded memory" "$KIB" $((40 * 1024))

finish
