#!/bin/bash
# tests/system/tarball.sh — the tarball: transport (TAP) against skopeo
# 1.9.3's: one layer per file, in order; for plain and gzip files the very
# manifest and config skopeo builds (same layer digests, DiffIDs, created
# times in the local zone, host os/architecture, one history entry per
# layer), and a copy into an OCI layout identical to skopeo's; zstd and xz
# files give their true DiffIDs (skopeo recognises gzip only) and a valid
# image; a missing, non-tar or unreadable file, "-", an empty file name and
# tarball: as a destination are one-line errors with exit 1; a large xz
# file streams in bounded memory.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

F="$T/files"
W="$T/w"
mkdir -p "$F/tree/sub" "$F/tree2" "$W"
printf 'hello\n' >"$F/tree/a"
printf 'second layer\n' >"$F/tree2/b"
ln -s a "$F/tree/sub/link"
tar -C "$F/tree" --sort=name --mtime=@1500000000 --owner=0 --group=0 -cf "$F/a.tar" . &&
    tar -C "$F/tree2" --sort=name --mtime=@1500000000 --owner=0 --group=0 -cf "$F/b.tar" . &&
    gzip -n -c "$F/a.tar" >"$F/a.tar.gz" &&
    "$PYTHON3" -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.compress(open(sys.argv[1], "rb").read()))' \
        "$F/b.tar" "$F/b.tar.xz" || { echo "Bail out! fixtures failed"; exit 1; }
HAVE_ZSTD=0
command -v zstd >/dev/null 2>&1 && zstd -q -c "$F/a.tar" >"$F/a.tar.zst" && HAVE_ZSTD=1
# Whole seconds, and one time with a fraction (Go prints its nanoseconds).
touch -d @1600000000 "$F/a.tar.gz" "$F/a.tar.zst" 2>/dev/null
touch -d @1600000123.25 "$F/b.tar" "$F/b.tar.xz"
sha() { sha256sum "$1" | cut -d' ' -f1; }
HAVE_SKOPEO=0
[ -n "$SKOPEO" ] && [ -x "$SKOPEO" ] && HAVE_SKOPEO=1

# ------------------------------------------------ plain and gzip: skopeo's image, byte for byte
REF="tarball:$F/a.tar.gz:$F/b.tar"
for tz in UTC Asia/Kolkata America/St_Johns; do
    z=${tz//\//-}
    run env TZ=$tz ferry inspect --raw "$REF"
    cp "$T/out" "$W/f-manifest-$z"
    is "inspect --raw ($tz): exit 0" "$RC" 0
    run env TZ=$tz ferry inspect --config --raw "$REF"
    cp "$T/out" "$W/f-config-$z"
    if [ "$HAVE_SKOPEO" -eq 1 ]; then
        env TZ=$tz skopeo inspect --raw "$REF" >"$W/s-manifest-$z" 2>"$T/sk.err"
        env TZ=$tz skopeo inspect --config --raw "$REF" >"$W/s-config-$z" 2>>"$T/sk.err"
        same_file "manifest ($tz) is skopeo's, byte for byte" "$W/f-manifest-$z" "$W/s-manifest-$z"
        same_file "config ($tz) is skopeo's, byte for byte (times in the local zone)" "$W/f-config-$z" \
            "$W/s-config-$z"
    else
        skip "manifest ($tz) is skopeo's, byte for byte" "skopeo not installed"
        skip "config ($tz) is skopeo's, byte for byte" "skopeo not installed"
    fi
done
M="$W/f-manifest-UTC"
C="$W/f-config-UTC"
is "two layers, in the order of the files" \
    "$(json "$M" '" ".join(l["mediaType"].rsplit("/", 1)[1] + "=" + l["digest"] for l in j["layers"])')" \
    "vnd.oci.image.layer.v1.tar+gzip=sha256:$(sha "$F/a.tar.gz") vnd.oci.image.layer.v1.tar=sha256:$(sha "$F/b.tar")"
is "DiffIDs: the digests of the tars" "$(json "$C" '" ".join(j["rootfs"]["diff_ids"])')" \
    "sha256:$(sha "$F/a.tar") sha256:$(sha "$F/b.tar")"
is "os and architecture of the host" "$(json "$C" 'j["os"] + "/" + j["architecture"]')" "linux/$(platform_arch)"
is "created: the newest file's time" "$(json "$C" 'j["created"]')" "2020-09-13T12:28:43.25Z"
is "one history entry per layer, as containers/image writes it" \
    "$(json "$C" '"|".join(h["created"] + " " + h["created_by"] + " " + h["comment"] for h in j["history"])')" \
    "2020-09-13T12:26:40Z /bin/sh -c #(nop) ADD file:$(sha "$F/a.tar") in / imported from tarball|2020-09-13T12:28:43.25Z /bin/sh -c #(nop) ADD file:$(sha "$F/b.tar") in / imported from tarball"
is "times in a zone with a half-hour offset" "$(json "$W/f-config-Asia-Kolkata" 'j["created"]' 2>/dev/null)" \
    "2020-09-13T17:58:43.25+05:30"

run_ok "copy into an OCI layout (uncompressed layers kept)" \
    ferry copy -q --dest-oci-accept-uncompressed-layers "$REF" "oci:$W/f-oci:t"
if [ "$HAVE_SKOPEO" -eq 1 ]; then
    skopeo copy -q --dest-oci-accept-uncompressed-layers "$REF" "oci:$W/s-oci:t" >/dev/null 2>&1
    same_file "... the same index.json as skopeo's (same manifest digest)" "$W/f-oci/index.json" "$W/s-oci/index.json"
    is "... and the same blobs" "$(tree_sums "$W/f-oci")" "$(tree_sums "$W/s-oci")"
else
    skip "... the same index.json as skopeo's" "skopeo not installed"
    skip "... and the same blobs" "skopeo not installed"
fi
run_ok "copy into an OCI layout (the plain layer compressed, as skopeo)" ferry copy -q "$REF" "oci:$W/f-gz:t"
run checkimage verify oci "$W/f-gz:t" --diffids --print diffids --print layer-types
is "... a valid image with the same DiffIDs, both layers gzip" "$(tr '\n' ' ' <"$T/out")" \
    "sha256:$(sha "$F/a.tar") sha256:$(sha "$F/b.tar") application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip "
if [ "$HAVE_SKOPEO" -eq 1 ]; then
    skopeo copy -q "$REF" "oci:$W/s-gz:t" >/dev/null 2>&1
    is "... and skopeo's config" "$(json "$(oci_top "$W/f-gz")" 'j["config"]["digest"]')" \
        "$(json "$(oci_top "$W/s-gz")" 'j["config"]["digest"]')"
else skip "... and skopeo's config" "skopeo not installed"; fi
run_ok "copy to dir:" ferry copy -q "$REF" "dir:$W/f-dir"

# ------------------------------------------------ zstd and xz: true DiffIDs
run_ok "copy of an xz file into an OCI layout" ferry copy -q "tarball:$F/b.tar.xz" "oci:$W/xz:t"
run checkimage verify oci "$W/xz:t" --diffids --print diffids
is "... the DiffID of the tar inside" "$(cat "$T/out")" "sha256:$(sha "$F/b.tar")"
run ferry inspect --raw "tarball:$F/b.tar.xz"
is "... xz has no OCI layer type: served decompressed, as a tar layer" \
    "$(json "$T/out" 'j["layers"][0]["mediaType"] + " " + j["layers"][0]["digest"] + " " + str(j["layers"][0]["size"])')" \
    "application/vnd.oci.image.layer.v1.tar sha256:$(sha "$F/b.tar") $(stat -c %s "$F/b.tar")"
if [ "$HAVE_ZSTD" -eq 1 ]; then
    run_ok "copy of zstd, gzip and xz files into an OCI layout" \
        ferry copy -q "tarball:$F/a.tar.zst:$F/a.tar.gz:$F/b.tar.xz" "oci:$W/mixed:t"
    run checkimage verify oci "$W/mixed:t" --diffids --print diffids --print layers --print layer-types
    is "... zstd kept as it is (tar+zstd) with the DiffID of its tar" "$(sed -n '1p;4p;7p' "$T/out" | tr '\n' ' ')" \
        "sha256:$(sha "$F/a.tar") sha256:$(sha "$F/a.tar.zst") application/vnd.oci.image.layer.v1.tar+zstd "
    is "... three layers" "$(sed -n '1,3p' "$T/out" | tr '\n' ' ')" \
        "sha256:$(sha "$F/a.tar") sha256:$(sha "$F/a.tar") sha256:$(sha "$F/b.tar") "
else
    skip "copy of zstd, gzip and xz files" "zstd not installed"
    skip "... zstd kept as it is" "zstd not installed"
    skip "... three layers" "zstd not installed"
fi

# ------------------------------------------------ refusals: one line, exit 1
run ferry inspect "tarball:$F/a.tar.gz:$F/missing.tar"
is "a missing file: exit 1" "$RC" 1
stderr_one_line "... one line as containers/image words it" "error opening \"$F/missing.tar\""
if [ "$HAVE_SKOPEO" -eq 1 ]; then
    run skopeo inspect "tarball:$F/a.tar.gz:$F/missing.tar"
    if [ "$RC" -ne 0 ] && grep -qF "error opening \\\"$F/missing.tar\\\"" "$T/err"; then ok "... skopeo says the same"
    else not_ok "... skopeo says the same" "exit $RC; $(cat "$T/err")"; fi
else skip "... skopeo says the same" "skopeo not installed"; fi
printf 'not a tar archive, just text\n' >"$F/text"
run ferry copy -q "tarball:$F/text" "oci:$W/text:t"
is "a file that is no tar: exit 1" "$RC" 1
stderr_one_line "... one line naming it" "$F/text is not a tar archive"
absent "... nothing written" "$W/text"
gzip -n -c "$F/text" >"$F/text.gz"
run ferry inspect --raw "tarball:$F/text.gz"
is "gzip of something else than a tar: exit 1" "$RC" 1
stderr_one_line "... one line naming it" "$F/text.gz is not a tar archive"
head -c 100 "$F/a.tar.gz" >"$F/cut.tar.gz"
run ferry inspect --raw "tarball:$F/cut.tar.gz"
is "a truncated gzip file: exit 1" "$RC" 1
stderr_one_line "... one line naming it" "$F/cut.tar.gz"
: >"$F/empty"
run ferry inspect --raw "tarball:$F/empty"
is "an empty file: exit 1" "$RC" 1
stderr_one_line "... one line naming it" "$F/empty"
run ferry inspect --raw "tarball:$F/tree"
is "a directory: exit 1" "$RC" 1
stderr_one_line "... one line naming it" "$F/tree is not a regular file"
run ferry inspect --raw "tarball:$F/a.tar::$F/b.tar"
is "an empty file name: exit 1" "$RC" 1
stderr_one_line "... one line" "file 2 of the list is empty"
run ferry inspect --raw "tarball:-"
is "standard input: exit 1" "$RC" 1
stderr_one_line "... one line saying it is not read" "standard input"
run ferry copy -q "dir:$W/f-dir" "tarball:$W/out.tar"
is "tarball: as a destination: exit 1" "$RC" 1
stderr_one_line "... one line" "cannot be written to"
absent "... nothing written" "$W/out.tar"

# ------------------------------------------------ streams: bounded memory
# 96 MiB of tar (random data does not compress, so the xz file is as big),
# read twice: once to digest it, once to copy it.
mkdir -p "$F/big" && head -c 100663296 /dev/urandom >"$F/big/blob"
tar -C "$F/big" -cf - blob | xz -0 -T1 -c >"$F/big.tar.xz"
rm -rf "$F/big"
read -r kib st < <(peak_rss_kib "$FERRY" --policy "$POLICY" copy -q "tarball:$F/big.tar.xz" "oci:$W/big:t")
is "a 96 MiB xz layer copies" "$st" 0
rss_below "... streaming" "$kib" 65536

finish
