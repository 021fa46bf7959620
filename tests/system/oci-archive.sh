#!/bin/bash
# tests/system/oci-archive.sh — the oci-archive: transport (TAP): round trips
# oci ↔ oci-archive ↔ dir with identical digests, archives and index.json
# byte-identical to what skopeo writes, interop with skopeo both ways, inspect
# identical to skopeo's, pipes and /dev/stdout, archives read in place (no
# temporary copy), archives compressed with gzip, bzip2, xz or zstd read like
# skopeo reads them (unpacked once into --tmpdir), and hostile or broken
# archives refused with one line and nothing left at the destination.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

W="$T/w"
TMP="$T/tmp"
S="$T/img/src"
DIGEST=$(mkimage --layout oci --manifest oci --tag img --layers 3 --layer-size 64K "$S") ||
    { echo "Bail out! mkimage failed"; exit 1; }
mkimage --layout oci --manifest oci --tag img --compression none --seed raw "$T/img/raw" >"$T/raw.digest" &&
    mkimage --layout dir --manifest docker --seed v2 "$T/img/v2s2" >/dev/null ||
    { echo "Bail out! mkimage failed"; exit 1; }

# member NAME ARCHIVE: prints a member of a tar archive.
member() { tar -xOf "$2" "$1"; }
# manifest_digest ARCHIVE|LAYOUT: digest of the (only) index.json entry.
manifest_digest() {
    if [ -d "$1" ]; then checkimage refs "$1" | head -n 1 | cut -d' ' -f2; else
        member index.json "$1" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])'
    fi
}
# no_leftovers DESC DIR: no temporary files of ferry in DIR.
no_leftovers() {
    local stray
    stray=$(find "$2" -maxdepth 1 -name '.ferry-*' 2>/dev/null)
    if [ -z "$stray" ]; then ok "$1"; else not_ok "$1" "left: $stray"; fi
}

# ------------------------------------------------ round trips
A="$W/a.tar"
run_ok "oci → oci-archive" ferry copy -q "oci:$S:img" "oci-archive:$A:t1"
is "the archive's manifest digest is the source's" "$(manifest_digest "$A")" "$DIGEST"
is "oci-layout is the archive's first member" "$(tar -tf "$A" | head -n 1)" oci-layout
is "index.json is the archive's last member" "$(tar -tf "$A" | tail -n 1)" index.json
is "index.json names the image t1" \
    "$(member index.json "$A" | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin)["manifests"][0]; print(d["annotations"]["org.opencontainers.image.ref.name"])')" t1
run_ok "oci-archive → dir" ferry copy -q "oci-archive:$A:t1" "dir:$W/d"
is "dir manifest digest unchanged" "$(sha256 "$W/d/manifest.json")" "$DIGEST"
run_ok "dir → oci-archive" ferry copy -q "dir:$W/d" "oci-archive:$W/b.tar:t1"
same_file "the same image gives the same archive, byte for byte" "$W/b.tar" "$A"
run_ok "oci-archive (no REF, single image) → oci" ferry copy -q "oci-archive:$W/b.tar" "oci:$W/l:back"
is "oci manifest digest unchanged after the round trip" "$(checkimage refs "$W/l" | cut -d' ' -f2)" "$DIGEST"
run_ok "round-tripped image verifies" checkimage verify oci "$W/l:back" --diffids
run_ok "oci-archive:@0 selects the first image" ferry copy -q "oci-archive:$A:@0" "oci:$W/l0:x"
is "@0 is the image" "$(checkimage refs "$W/l0" | cut -d' ' -f2)" "$DIGEST"
run_status "unknown REF: exit 2" 2 ferry copy -q "oci-archive:$A:nope" "oci:$W/nope"
stderr_one_line "unknown REF: one line naming the archive" "$A" nope
absent "unknown REF: nothing at the destination" "$W/nope"

# Several images and no REF: like oci:, the user must choose.
run_ok "a second image into a layout" ferry copy -q "oci:$T/img/raw:img" "oci:$W/l:other"
tar -C "$W/l" -cf "$W/two.tar" .
run_status "two images, no REF: exit 1" 1 ferry inspect "oci-archive:$W/two.tar"
stderr_one_line "two images, no REF: one line suggesting a REF" "oci-archive:$W/two.tar:NAME"
run_ok "two images, REF chooses" ferry inspect --raw "oci-archive:$W/two.tar:back"
is "REF chose the right image" "$(sha256 "$T/out")" "$DIGEST"
run_ok "two images, @1 chooses" ferry inspect --raw "oci-archive:$W/two.tar:@1"
is "@1 chose the second image" "$(sha256 "$T/out")" "$(checkimage refs "$W/l" | awk '$1 == "other" {print $2}')"

# Overwriting replaces the archive (skopeo does the same).
run_ok "writing over an existing archive" ferry copy -q "oci:$T/img/raw:img" "oci-archive:$W/b.tar:t2"
is "the archive now holds only the new image" "$(member index.json "$W/b.tar" | grep -o ref.name | wc -l):$(member index.json "$W/b.tar" | grep -c '"t2"')" "1:1"
no_leftovers "no temporary files next to the archive" "$W"

# Compression: as for oci:, uncompressed layers are compressed unless asked.
run_ok "uncompressed layers → oci-archive" ferry copy -q "oci:$T/img/raw:img" "oci-archive:$W/c.tar"
if [ "$(manifest_digest "$W/c.tar")" != "$(cat "$T/raw.digest")" ]; then ok "layers were compressed (new digest)"; else
    not_ok "layers were compressed (new digest)"; fi
run_ok "--dest-oci-accept-uncompressed-layers" ferry copy -q --dest-oci-accept-uncompressed-layers \
    "oci:$T/img/raw:img" "oci-archive:$W/u.tar"
is "uncompressed layers kept: digest unchanged" "$(manifest_digest "$W/u.tar")" "$(cat "$T/raw.digest")"
run_ok "docker v2s2 → oci-archive converts to OCI" ferry copy -q "dir:$T/img/v2s2" "oci-archive:$W/v.tar:v"
run_ok "converted archive → oci verifies" ferry copy -q "oci-archive:$W/v.tar:v" "oci:$W/lv:v"
run_ok "converted image verifies" checkimage verify oci "$W/lv:v" --diffids

# pax headers (long names, extended records) in front of members.
mkdir -p "$T/x" && tar -C "$T/x" -xf "$A"
"$PYTHON3" - "$T/x" "$W/pax.tar" <<'PY'
import io, os, sys, tarfile
src, out = sys.argv[1:3]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("other/" + "x" * 300)
    i.size = 500
    i.pax_headers = {"comment": "\u00e9" * 50}
    t.addfile(i, io.BytesIO(b"y" * 500))
    for root, dirs, files in os.walk(src):
        for f in sorted(files):
            p = os.path.join(root, f)
            ti = t.gettarinfo(p, os.path.relpath(p, src))
            ti.mtime = 1.5
            ti.pax_headers = {"comment": "\u00fc" * 700}
            with open(p, "rb") as fh:
                t.addfile(ti, fh)
PY
run_ok "an archive with pax headers is read" ferry copy -q "oci-archive:$W/pax.tar:t1" "oci:$W/lpax:x"
is "pax archive: same image" "$(checkimage refs "$W/lpax" | cut -d' ' -f2)" "$DIGEST"

# Lists with --all.
LDIGEST=$(mkimage --layout oci --manifest oci --tag l --list "$T/img/list") || not_ok "mkimage --list"
run_ok "copy --all of a list → oci-archive" ferry copy -q --all "oci:$T/img/list:l" "oci-archive:$W/list.tar:l"
is "the archive's index.json names the list" "$(manifest_digest "$W/list.tar")" "$LDIGEST"
run_ok "copy --all oci-archive → oci" ferry copy -q --all "oci-archive:$W/list.tar:l" "oci:$W/llist:l"
same_file "the list round-trips to the same index.json" "$W/llist/index.json" "$T/img/list/index.json"

# ------------------------------------------------ streams
cat "$A" | timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry copy -q oci-archive:/dev/stdin "oci:$W/lp:p" 2>"$T/err"
is "reading from a pipe (/dev/stdin) works" "$?:$(checkimage refs "$W/lp" | cut -d' ' -f2)" "0:$DIGEST"
timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry copy "oci:$S:img" oci-archive:/dev/stdout:t1 2>"$T/err" | cat >"$W/p.tar"
same_file "writing to a pipe (/dev/stdout) gives the same archive, nothing else on stdout" "$W/p.tar" "$A"
timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry copy -q "oci:$S:img" oci-archive:/dev/stdout:t1 >"$W/r.tar" 2>"$T/err"
same_file "/dev/stdout redirected to a file" "$W/r.tar" "$A"
if [ -L /dev/stdout ] || [ -c /dev/stdout ]; then ok "/dev/stdout itself is untouched"; else
    not_ok "/dev/stdout itself is untouched" "$(ls -l /dev/stdout)"; fi

# ------------------------------------------------ read in place
# Six 256 KiB layers (~160 KiB each gzipped): the archive is ~1 MiB. Under
# a 512 KiB file size limit a temporary copy of the archive cannot be
# written, while the blobs of the oci destination can; with a --tmpdir that
# does not exist, nothing can be unpacked either (skopeo unpacks there).
mkimage --layout oci --manifest oci --tag img --layers 6 --layer-size 256K --seed big "$T/img/big" >"$T/big.digest" ||
    not_ok "mkimage big"
run_ok "big image → oci-archive" ferry copy -q "oci:$T/img/big:img" "oci-archive:$W/big.tar"
if [ "$(stat -c %s "$W/big.tar")" -gt 600000 ]; then ok "the archive is over the limit"; else
    not_ok "the archive is over the limit" "$(stat -c %s "$W/big.tar") bytes"; fi
snapshot "$W" >"$T/snap.w"
(ulimit -f 512; exec timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry --tmpdir "$T/no-tmpdir" copy -q "oci-archive:$W/big.tar" \
    "oci:$T/inplace:x") >"$T/out" 2>"$T/err"
is "reading needs no copy of the archive and no --tmpdir" "$?:$(checkimage refs "$T/inplace" | cut -d' ' -f2)" \
    "0:$(cat "$T/big.digest")"
absent "no --tmpdir was created" "$T/no-tmpdir"
unchanged "nothing written next to the archive while reading" "$W" "$T/snap.w"
run_ok "inspect reads in place too" ferry --tmpdir "$T/no-tmpdir" inspect "oci-archive:$W/big.tar"
run_ok "and so does a copy to dir" ferry --tmpdir "$TMP" copy -q "oci-archive:$W/big.tar" "dir:$T/inplace-dir"
empty_dir "--tmpdir stays empty while reading" "$TMP"
if [ "$HAVE_SKOPEO" = 1 ]; then
    run skopeo --tmpdir "$T/no-tmpdir" copy -q "oci-archive:$W/big.tar" "oci:$T/sk-inplace:x"
    if [ "$RC" -ne 0 ]; then ok "(skopeo cannot read it without --tmpdir: it unpacks the archive there)"; else
        skip "(skopeo read it without --tmpdir)" "comparison not meaningful here"; fi
fi

# ------------------------------------------------ compressed archives
# skopeo reads an oci-archive through DecompressStream (gzip, bzip2, xz,
# zstd). ferry unpacks such an archive once into an unnamed file in
# --tmpdir, indexes that, and gives the same image as the plain tar.
mkdir -p "$T/lay" && tar -C "$T/lay" -xf "$A"
tar -C "$T/lay" -czf "$W/tarczf.tar.gz" .
run_ok "an archive made with tar czf is read" ferry --tmpdir "$TMP" copy -q "oci-archive:$W/tarczf.tar.gz:t1" "oci:$W/czf:x"
is "tar czf archive: same manifest digest" "$(checkimage refs "$W/czf" | cut -d' ' -f2)" "$DIGEST"
run ferry inspect --raw "oci-archive:$A:t1"
cp "$T/out" "$T/plain.raw"
run ferry inspect --config --raw "oci-archive:$A:t1"
cp "$T/out" "$T/plain.config"
for c in gzip bzip2 xz zstd; do
    if ! command -v "$c" >/dev/null; then skip "$c-compressed archive" "$c not installed"; continue; fi
    Z="$W/a.tar.$c"
    "$c" -q -c "$A" >"$Z" || { not_ok "$c compresses the archive"; continue; }
    run_ok "$c: copy from the compressed archive" ferry --tmpdir "$TMP" copy -q "oci-archive:$Z:t1" "oci:$W/z-$c:x"
    is "$c: same manifest digest as the plain tar" "$(checkimage refs "$W/z-$c" | cut -d' ' -f2)" "$DIGEST"
    run_ok "$c: the copied image verifies" checkimage verify oci "$W/z-$c:x" --diffids
    run ferry --tmpdir "$TMP" inspect --raw "oci-archive:$Z:t1"
    same_file "$c: inspect --raw as from the plain tar" "$T/out" "$T/plain.raw"
    run ferry --tmpdir "$TMP" inspect --config --raw "oci-archive:$Z:t1"
    same_file "$c: same config as from the plain tar" "$T/out" "$T/plain.config"
    cat "$Z" | timeout -k 10 "$FERRY_TEST_TIMEOUT" ferry --tmpdir "$TMP" copy -q oci-archive:/dev/stdin:t1 \
        "oci:$W/zp-$c:x" 2>"$T/err"
    is "$c: from a pipe, same manifest digest" "$?:$(checkimage refs "$W/zp-$c" | cut -d' ' -f2)" "0:$DIGEST"
    run_ok "$c: to another oci-archive" ferry --tmpdir "$TMP" copy -q "oci-archive:$Z:t1" "oci-archive:$W/z-$c.tar:t1"
    same_file "$c: the new archive is the plain one, byte for byte" "$W/z-$c.tar" "$A"
    empty_dir "$c: the unpacked copy is gone from --tmpdir" "$TMP"
    if [ "$HAVE_SKOPEO" = 1 ]; then
        run skopeo copy -q "oci-archive:$Z:t1" "oci:$W/zs-$c:x"
        is "$c: skopeo reads it to the same manifest digest" "$RC:$(checkimage refs "$W/zs-$c" | cut -d' ' -f2)" \
            "0:$DIGEST"
        run ferry --tmpdir "$TMP" inspect "oci-archive:$Z:t1"
        cp "$T/out" "$T/ferry.inspect"
        run skopeo inspect "oci-archive:$Z:t1"
        same_file "$c: inspect identical to skopeo's" "$T/ferry.inspect" "$T/out"
    fi
done
# Unpacking needs --tmpdir: without one, one line naming it and exit 1
# (not 2: the image is there, the scratch space is not).
run ferry --tmpdir "$T/no-tmpdir" copy -q "oci-archive:$W/tarczf.tar.gz:t1" "oci:$W/czf-notmp:x"
is "a compressed archive with a missing --tmpdir: exit 1" "$RC" 1
stderr_one_line "a missing --tmpdir: one line naming it" "$T/no-tmpdir"
absent "a missing --tmpdir: nothing at the destination" "$W/czf-notmp"

# ------------------------------------------------ skopeo interop
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo writes an archive" skopeo copy -q "oci:$S:img" "oci-archive:$W/sk.tar:t1"
    same_file "index.json byte-identical to skopeo's" <(member index.json "$A") <(member index.json "$W/sk.tar")
    same_file "oci-layout byte-identical to skopeo's" <(member oci-layout "$A") <(member oci-layout "$W/sk.tar")
    run_ok "ferry reads skopeo's archive" ferry copy -q "oci-archive:$W/sk.tar:t1" "oci:$W/from-sk:x"
    is "same manifest digest" "$(checkimage refs "$W/from-sk" | cut -d' ' -f2)" "$DIGEST"
    run_ok "skopeo reads ferry's archive" skopeo copy -q "oci-archive:$A:t1" "oci:$W/sk-from-ferry:x"
    is "same manifest digest (skopeo)" "$(checkimage refs "$W/sk-from-ferry" | cut -d' ' -f2)" "$DIGEST"
    same_file "skopeo's layout from ferry's archive has skopeo's index.json" "$W/sk-from-ferry/index.json" \
        "$W/from-sk/index.json"
    run_ok "skopeo reads ferry's converted (v2s2 → OCI) archive" skopeo copy -q "oci-archive:$W/v.tar:v" "oci:$W/sk-v:v"
    for mode in "" --raw --config; do
        run ferry inspect $mode "oci-archive:$A:t1"
        cp "$T/out" "$T/ferry.inspect"
        run skopeo inspect $mode "oci-archive:$A:t1"
        same_file "inspect ${mode:-(plain)} identical to skopeo's" "$T/ferry.inspect" "$T/out"
    done
    run ferry inspect "oci-archive:$W/sk.tar:t1"
    cp "$T/out" "$T/ferry.inspect"
    run skopeo inspect "oci-archive:$W/sk.tar:t1"
    same_file "inspect of skopeo's archive identical to skopeo's" "$T/ferry.inspect" "$T/out"
else
    skip "interop with skopeo" "skopeo not installed"
fi

# ------------------------------------------------ broken and hostile archives
# bad_read NAME ARCHIVE REF STATUS: copying fails with STATUS and one line
# naming the archive, leaving nothing at the oci and oci-archive destinations.
bad_read() {
    local name=$1 archive=$2 ref=$3 want=$4
    run ferry --tmpdir "$TMP" copy -q "oci-archive:$archive$ref" "oci:$W/out-$name:x"
    is "$name: exit $want" "$RC" "$want"
    stderr_one_line "$name: one line naming the archive" "$archive"
    absent "$name: nothing at the oci destination" "$W/out-$name"
    run ferry --tmpdir "$TMP" copy -q "oci-archive:$archive$ref" "oci-archive:$W/out-$name.tar"
    is "$name: to oci-archive, exit $want" "$RC" "$want"
    absent "$name: no archive written" "$W/out-$name.tar"
    no_leftovers "$name: no temporary file left" "$W"
    empty_dir "$name: --tmpdir empty" "$TMP"
}

B="$T/bad"
mkdir -p "$B" "$T/escape"
run_ok "a layout to tamper with" ferry copy -q "oci:$S:img" "oci:$B/layout:t"
L="$B/layout"
MF=$(checkimage refs "$L" | cut -d' ' -f2 | cut -d: -f2)
LAYER=$(checkimage get "$L/blobs/sha256/$MF" layers 0 digest | cut -d: -f2)
# evil NAME KIND: an archive of the layout plus one hostile member.
evil() {
    "$PYTHON3" - "$L" "$B/$1.tar" "$2" "$T/escape" "$MF" <<'PY'
import io, os, sys, tarfile
src, out, kind, escape, mf = sys.argv[1:6]
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    def add(info, data=b""):
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            name = "./" + os.path.relpath(p, src)  # "./" as `tar -C dir .` writes
            if kind.startswith("symlink") and name.endswith(mf):
                continue  # the manifest becomes the link below
            t.add(p, name)
    if kind == "dotdot":
        add(tarfile.TarInfo("../escape/x"), b"x")
    elif kind == "dotdot-inner":
        add(tarfile.TarInfo("blobs/../../escape/x"), b"x")
    elif kind == "absolute":
        add(tarfile.TarInfo(escape + "/abs"), b"x")
    elif kind in ("symlink-abs", "symlink-up"):
        i = tarfile.TarInfo("blobs/sha256/" + mf)
        i.type = tarfile.SYMTYPE
        i.linkname = escape + "/m" if kind == "symlink-abs" else "../../../escape/m"
        add(i)
    elif kind == "hardlink":
        i = tarfile.TarInfo("blobs/x")
        i.type = tarfile.LNKTYPE
        i.linkname = "../escape/m"
        add(i)
PY
}
printf 'outside' >"$T/escape/m"
for kind in dotdot dotdot-inner absolute symlink-abs symlink-up hardlink; do
    evil "$kind" "$kind" || not_ok "building the $kind archive"
    bad_read "member-$kind" "$B/$kind.tar" ":t" 1
done
is "nothing was created outside the archives" "$(ls "$T/escape")" m

# A symlink inside the archive to a blob is never followed either.
evil inner-link symlink-inner
"$PYTHON3" - "$B/inner-link.tar" "$MF" <<'PY'
import io, sys, tarfile
out, mf = sys.argv[1:3]
with tarfile.open(out, "a") as t:
    i = tarfile.TarInfo("blobs/sha256/" + mf)
    i.type = tarfile.SYMTYPE
    i.linkname = "../../oci-layout"
    t.addfile(i)
PY
bad_read "manifest-is-a-link" "$B/inner-link.tar" ":t" 1

tar -C "$L" -cf "$B/good.tar" oci-layout index.json blobs
run_ok "a plain tar of the layout (GNU tar) is readable" ferry copy -q "oci-archive:$B/good.tar:t" "oci:$W/gt:t"
head -c $(( $(stat -c %s "$B/good.tar") / 2 )) "$B/good.tar" >"$B/truncated.tar"
bad_read "truncated" "$B/truncated.tar" ":t" 1
head -c 100 "$B/good.tar" >"$B/header-only.tar"
bad_read "truncated-header" "$B/header-only.tar" ":t" 1
# Compressions skopeo does not read either (lz4), compression twice, and a
# compressed stream cut short.
if command -v lz4 >/dev/null; then
    lz4 -q -c "$B/good.tar" >"$B/good.tar.lz4"
    bad_read "compressed-lz4" "$B/good.tar.lz4" ":t" 1
    run ferry copy -q "oci-archive:$B/good.tar.lz4:t" "oci:$W/lz4:t"
    stderr_one_line "lz4: the message names the compression" lz4
else
    skip "an lz4-compressed archive is refused" "lz4 not installed"
fi
# lzma (alone) is named from its header, nothing decompressed: an lzma
# header asks for a dictionary of up to 4 GiB (tests/fuzz/fuzz-tar found a
# 13-byte one that took seconds to refuse).
if command -v lzma >/dev/null; then
    lzma -c "$B/good.tar" >"$B/good.tar.lzma"
    bad_read "compressed-lzma" "$B/good.tar.lzma" ":t" 1
    run ferry copy -q "oci-archive:$B/good.tar.lzma:t" "oci:$W/lzma:t"
    stderr_one_line "lzma: the message names the compression" "compressed with lzma"
else
    skip "an lzma-compressed archive is refused" "lzma not installed"
fi
gzip -n -c "$B/good.tar" | gzip -n -c >"$B/twice.tar.gz.gz"
bad_read "compressed-twice" "$B/twice.tar.gz.gz" ":t" 1
gzip -n -c "$B/good.tar" | head -c $(( $(stat -c %s "$B/good.tar") / 4 )) >"$B/cut.tar.gz"
bad_read "compressed-cut" "$B/cut.tar.gz" ":t" 1
printf 'not a tar archive at all\n' >"$B/garbage.tar"
bad_read "garbage" "$B/garbage.tar" ":t" 1
tar -C "$L" -cf "$B/no-index.tar" oci-layout blobs
bad_read "no-index" "$B/no-index.tar" ":t" 1
bad_read "ref-traversal" "$B/good.tar" ":../../x" 1
# skopeo 1.10+: 2 only for a reference the archive lacks; a missing archive
# file or blob is 1.
bad_read "missing-archive" "$B/does-not-exist.tar" ":t" 1
bad_read "missing-ref" "$B/good.tar" ":other" 2

for kind in layer-digest-mismatch truncated-layer missing-layer missing-config index-digest-traversal index-not-json; do
    mkimage --layout oci --manifest oci --tag t --bad "$kind" "$B/$kind" >/dev/null || { not_ok "mkimage --bad $kind"; continue; }
    tar -C "$B/$kind" -cf "$B/$kind.tar" .
    bad_read "$kind" "$B/$kind.tar" ":t" 1
done

# A failed write leaves any previous archive untouched.
cp "$A" "$W/keep.tar"
snapshot "$W" >"$T/snap.w"
run ferry copy -q "oci-archive:$B/layer-digest-mismatch.tar:t" "oci-archive:$W/keep.tar:t1"
is "failed copy over an existing archive: exit 1" "$RC" 1
unchanged "the existing archive is untouched, no temporary file left" "$W" "$T/snap.w"

finish
