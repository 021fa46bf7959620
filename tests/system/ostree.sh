#!/bin/bash
# tests/system/ostree.sh — the ostree: transport against the format of
# containers/image's old ostree transport, checked with the `ostree` command
# and vbatts' `tar-split` (Debian's skopeo is built without this transport):
#   - images of every tar entry kind (mkkinds.py) copied into bare,
#     bare-user and archive repositories: the branches, each commit's
#     metadata keys and values, the layer trees (modes, owners, links,
#     xattrs) against the tars, the tar-split JSON lines against
#     `tar-split disasm`'s, the parent and subject of the commits;
#   - round trips oci -> ostree -> oci keep the config and every DiffID;
#   - a repository written as the Go transport wrote it (ostree-goformat.sh)
#     read by ferry; layers already present not imported again;
#     signatures kept; exit 1 for an image that is not there (as skopeo 1.10+);
#   - `ostree fsck` clean after every test, after a kill -9 mid-copy and
#     after a full disk, with no branch to a half-written image.
. "$(dirname "$0")/lib.sh"

command -v ostree >/dev/null || skip_all "ostree not installed"
command -v tar-split >/dev/null || skip_all "tar-split not installed"
{ [ -e "$FERRY_TRANSPORT_PATH/ostree.la" ] || [ -e "$FERRY_TRANSPORT_PATH/ostree.so" ]; } || skip_all "ostree transport not built"
[ "$(id -u)" = 0 ] || skip_all "needs root (bare repositories, owners, devices, tmpfs)"
need_python
trap 'unmount_below_t; _tap_exit' EXIT

OTCHECK=("$PYTHON3" "$SRCDIR/tests/fixtures/otcheck.py")
meta() { "${OTCHECK[@]}" meta "$@"; }
branch_of() { echo "ociimage/${1#sha256:}"; }
fsck_clean() { # DESC REPO
    if ostree fsck --repo="$2" >"$T/fsck" 2>&1; then ok "$1"; else not_ok "$1" "$(tail -n 5 "$T/fsck")"; fi
}
# jq-free JSON field access: json FILE EXPR (python expression over j)

run_ok "ferry list-transports shows ostree" ferry list-transports
check "ostree is listed" grep -q '^ostree' "$T/out"

check "fixture of every tar entry kind" "$PYTHON3" "$SRCDIR/tests/fixtures/mkkinds.py" --compression gzip --tag v1 \
    "$T/kinds"
SRC_CONFIG=$(json "$T/kinds/blobs/sha256/$(json "$T/kinds/index.json" 'j["manifests"][0]["digest"][7:]')" \
    'j["config"]["digest"]')
# The layers as the source has them, and each one's tar.
json "$T/kinds/blobs/sha256/${SRC_CONFIG#sha256:}" '"\n".join(j["rootfs"]["diff_ids"])' >"$T/diffids"
json "$T/kinds/blobs/sha256/$(json "$T/kinds/index.json" 'j["manifests"][0]["digest"][7:]')" \
    '"\n".join(l["digest"] + " " + str(l["size"]) for l in j["layers"])' >"$T/src-layers"
while read -r d _; do zcat "$T/kinds/blobs/sha256/${d#sha256:}" >"$T/${d#sha256:}.tar"; done <"$T/src-layers"

for mode in bare bare-user archive; do
    R=$T/repo-$mode
    ostree init --repo="$R" --mode="$mode"
    run_ok "$mode: oci -> ostree" ferry copy "oci:$T/kinds:v1" "ostree:kinds:v1@$R"
    # Branches: one per layer, one for the config, one for the image.
    {
        cut -d' ' -f1 "$T/src-layers" | while read -r d; do branch_of "$d"; done
        branch_of "$SRC_CONFIG"
        echo "ociimage/kinds_3Av1"
    } | LC_ALL=C sort >"$T/want-refs"
    ostree refs --repo="$R" | LC_ALL=C sort >"$T/refs"
    same_file "$mode: branches ociimage/<layer hex>, ociimage/<config hex>, ociimage/kinds_3Av1" "$T/refs" \
        "$T/want-refs"
    # The image commit.
    meta "$R" ociimage/kinds_3Av1 docker.manifest >"$T/manifest" || true
    ostree cat --repo="$R" ociimage/kinds_3Av1 /manifest.json >"$T/manifest-file" 2>/dev/null || true
    same_file "$mode: docker.manifest is the commit's manifest.json" "$T/manifest" "$T/manifest-file"
    is "$mode: the manifest is Docker schema 2" "$(json "$T/manifest" 'j["mediaType"]')" \
        "application/vnd.docker.distribution.manifest.v2+json"
    is "$mode: docker.digest" "$(meta "$R" ociimage/kinds_3Av1 docker.digest)" "$(sha256 "$T/manifest")"
    is "$mode: signatures" "$(meta "$R" ociimage/kinds_3Av1 signatures)" "0"
    ostree log --repo="$R" ociimage/kinds_3Av1 >"$T/log"
    check "$mode: commits have the zero parent and no subject" grep -q \
        '^Parent: *0000000000000000000000000000000000000000000000000000000000000000$' "$T/log"
    check "$mode: (no subject)" grep -q '(no subject)' "$T/log"
    # The config commit.
    is "$mode: config docker.size" "$(meta "$R" "$(branch_of "$SRC_CONFIG")" docker.size)" \
        "$(stat -c %s "$T/kinds/blobs/sha256/${SRC_CONFIG#sha256:}")"
    ostree cat --repo="$R" "$(branch_of "$SRC_CONFIG")" /content >"$T/content" 2>/dev/null || true
    same_file "$mode: config is the file content" "$T/content" "$T/kinds/blobs/sha256/${SRC_CONFIG#sha256:}"
    # Each layer commit.
    i=0
    while read -r d size; do
        i=$((i + 1))
        hex=${d#sha256:}
        b=$(branch_of "$d")
        is "$mode: layer $i docker.size" "$(meta "$R" "$b" docker.size)" "$size"
        is "$mode: layer $i docker.uncompressed_digest is the DiffID" "$(meta "$R" "$b" docker.uncompressed_digest)" \
            "$(sed -n "${i}p" "$T/diffids")"
        is "$mode: layer $i docker.uncompressed_size" "$(meta "$R" "$b" docker.uncompressed_size)" \
            "$(stat -c %s "$T/$hex.tar")"
        meta "$R" "$b" tarsplit.output | base64 -d | zcat >"$T/ts-mine" 2>/dev/null || true
        tar-split disasm --output "$T/ts-go.gz" "$T/$hex.tar" >/dev/null 2>&1
        zcat "$T/ts-go.gz" >"$T/ts-go"
        same_file "$mode: layer $i tarsplit.output: tar-split's own JSON lines" "$T/ts-mine" "$T/ts-go"
        if "${OTCHECK[@]}" tree "$R" "$b" "$T/$hex.tar" >"$T/tree" 2>&1; then
            ok "$mode: layer $i tree (modes, owners, links, xattrs) as the tar extracts"
        else
            not_ok "$mode: layer $i tree (modes, owners, links, xattrs) as the tar extracts" "$(head -n 20 "$T/tree")"
        fi
    done <"$T/src-layers"
    rm -rf "$T/co"
    ostree checkout --repo="$R" -U "$(branch_of "$(head -n1 "$T/src-layers" | cut -d' ' -f1)")" "$T/co" 2>"$T/err"
    check "$mode: ostree checkout of layer 1 gives its files" test -f "$T/co/deep/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..60})/long-file-name-beyond-one-hundred-bytes.txt"
    fsck_clean "$mode: ostree fsck clean after the copy" "$R"

    # Back out: the same config, the same DiffIDs, the layers byte for byte.
    run_ok "$mode: ostree -> oci" ferry copy "ostree:kinds:v1@$R" "oci:$T/back-$mode:v1"
    back_manifest=$T/back-$mode/blobs/sha256/$(json "$T/back-$mode/index.json" 'j["manifests"][0]["digest"][7:]')
    is "$mode: round trip keeps the config digest" "$(json "$back_manifest" 'j["config"]["digest"]')" "$SRC_CONFIG"
    json "$back_manifest" '"\n".join(l["digest"] for l in j["layers"])' >"$T/back-layers"
    : >"$T/back-diffids"
    while read -r d; do
        f=$T/back-$mode/blobs/sha256/${d#sha256:}
        if gzip -t "$f" 2>/dev/null; then zcat "$f"; else cat "$f"; fi | sha256sum | sed 's/^/sha256:/; s/ .*//' \
            >>"$T/back-diffids"
    done <"$T/back-layers"
    same_file "$mode: round trip layers are the source's tars byte for byte" "$T/back-diffids" "$T/diffids"
    run_ok "$mode: inspect" ferry inspect "ostree:kinds:v1@$R"
    is "$mode: inspect Digest" "$(json "$T/out" 'j["Digest"]')" "$(sha256 "$T/manifest")"
    fsck_clean "$mode: ostree fsck clean after reading" "$R"
done

# bare-user-only holds no owners and no setuid files: libostree refuses the
# fixture's /bin/suid, in one line, and nothing is named.
U=$T/repo-bare-user-only
ostree init --repo="$U" --mode=bare-user-only
run_status "bare-user-only: a setuid file is refused" 1 ferry copy "oci:$T/kinds:v1" "ostree:kinds:v1@$U"
stderr_one_line "bare-user-only: one line naming the file" "bin/suid" "ostree:kinds:v1@$U"
is "bare-user-only: no branch" "$(ostree refs --repo="$U")" ""
fsck_clean "bare-user-only: ostree fsck clean" "$U"

R=$T/repo-bare-user
# Layers already present are not imported again: their commits stay.
b1=$(branch_of "$(head -n1 "$T/src-layers" | cut -d' ' -f1)")
before=$(ostree rev-parse --repo="$R" "$b1")
run_ok "second image of the same layers" ferry copy "oci:$T/kinds:v1" "ostree:example.com/ns/kinds@$R"
is "the layer commit was reused, not rewritten" "$(ostree rev-parse --repo="$R" "$b1")" "$before"
check "a name-only image gets :latest, encoded" ostree rev-parse --repo="$R" \
    "ociimage/example.com_2Fns_2Fkinds_3Alatest"

# An image that is not there: exit 1 (skopeo 1.10+ gives 2 only for
# registries, containers-storage and OCI layouts/archives), one line.
run_status "missing image: exit 1" 1 ferry inspect "ostree:nosuch:v1@$R"
stderr_one_line "missing image: one line naming it" "nosuch:v1"
run_status "missing repository: exit 1" 1 ferry copy "oci:$T/kinds:v1" "ostree:kinds:v1@$T/no-repo"
stderr_one_line "missing repository: one line naming it" "$T/no-repo"
run_status "relative repository refused" 1 ferry copy "oci:$T/kinds:v1" "ostree:kinds@relative/repo"
run_status "bad image name refused" 1 ferry copy "oci:$T/kinds:v1" "ostree:UPPER@$R"
stderr_one_line "bad image name: one line naming it" "ostree:UPPER@$R"

# Signatures travel with a schema 2 image (no conversion to invalidate them).
# Uncompressed layers: served back as they are, the manifest does not change.
mkimage --layout dir --manifest docker --layers 2 --compression none "$T/signed" >/dev/null
printf 'signature bytes one' >"$T/signed/signature-1"
printf 'signature bytes two' >"$T/signed/signature-2"
run_ok "signed dir -> ostree" ferry copy "dir:$T/signed" "ostree:signed:1@$R"
is "signatures count recorded" "$(meta "$R" ociimage/signed_3A1 signatures)" "2"
run_ok "ostree -> dir keeps the signatures" ferry copy "ostree:signed:1@$R" "dir:$T/signed-back"
same_file "signature-1 byte for byte" "$T/signed-back/signature-1" "$T/signed/signature-1"
same_file "signature-2 byte for byte" "$T/signed-back/signature-2" "$T/signed/signature-2"
same_file "the manifest byte for byte" "$T/signed-back/manifest.json" "$T/signed/manifest.json"

# A repository written as the Go transport wrote it, read by ferry.
run_ok "schema 2 dir image of every entry kind" ferry copy --format v2s2 "oci:$T/kinds:v1" "dir:$T/kinds-v2s2"
G=$T/repo-go
ostree init --repo="$G" --mode=bare-user
check "Go-format repository built with ostree and tar-split" bash "$SRCDIR/tests/fixtures/ostree-goformat.sh" \
    "$T/kinds-v2s2" "$G" "docker.io/library/kinds:v1"
run_ok "ferry reads the Go-format repository" ferry copy "ostree:docker.io/library/kinds:v1@$G" "oci:$T/fromgo:v1"
fromgo=$T/fromgo/blobs/sha256/$(json "$T/fromgo/index.json" 'j["manifests"][0]["digest"][7:]')
is "Go-format: the config digest" "$(json "$fromgo" 'j["config"]["digest"]')" "$SRC_CONFIG"
: >"$T/go-diffids"
for d in $(json "$fromgo" '" ".join(l["digest"] for l in j["layers"])'); do
    f=$T/fromgo/blobs/sha256/${d#sha256:}
    if gzip -t "$f" 2>/dev/null; then zcat "$f"; else cat "$f"; fi | sha256sum | sed 's/^/sha256:/; s/ .*//' \
        >>"$T/go-diffids"
done
same_file "Go-format: every layer rebuilt byte for byte" "$T/go-diffids" "$T/diffids"
# And ferry's writing of the same image matches the Go layout key for key.
run_ok "ferry writes the same schema 2 image" ferry copy "dir:$T/kinds-v2s2" "ostree:docker.io/library/kinds:v1@$R"
for key in docker.manifest docker.digest signatures; do
    is "same image metadata as the Go layout: $key" "$(meta "$R" ociimage/docker.io_2Flibrary_2Fkinds_3Av1 "$key")" \
        "$(meta "$G" ociimage/docker.io_2Flibrary_2Fkinds_3Av1 "$key")"
done
while read -r d _; do
    for key in docker.size docker.uncompressed_size docker.uncompressed_digest; do
        is "same layer metadata as the Go layout: ${d:7:12} $key" "$(meta "$R" "$(branch_of "$d")" "$key")" \
            "$(meta "$G" "$(branch_of "$d")" "$key")"
    done
    is "same layer tree as the Go layout: ${d:7:12}" \
        "$(ostree ls -R -X --repo="$R" "$(branch_of "$d")")" \
        "$(ostree ls -R -X --repo="$G" "$(branch_of "$d")")"
done <"$T/src-layers"
fsck_clean "Go-format repository: fsck clean" "$G"
fsck_clean "after reuse, signatures and a second image: ostree fsck clean" "$R"

# Crashes and full disks leave a clean repository with no half image.
mkimage --layout oci --manifest oci --layers 1 --layer-size 192M --file-size 48M --compression none --tag big \
    "$T/big" >/dev/null
K=$T/repo-kill
ostree init --repo="$K" --mode=bare-user
ferry copy "oci:$T/big:big" "ostree:big:1@$K" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do
    [ -n "$(find "$K/tmp" -mindepth 2 -type f -size +1M 2>/dev/null | head -n1)" ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
is "kill -9 mid-copy: no branch at all" "$(ostree refs --repo="$K")" ""
fsck_clean "kill -9 mid-copy: ostree fsck clean" "$K"
run_ok "kill -9 mid-copy: the next copy succeeds" ferry copy "oci:$T/big:big" "ostree:big:1@$K"
fsck_clean "after the retried copy: ostree fsck clean" "$K"

mkdir -p "$T/small"
if mount -t tmpfs -o size=64M tmpfs "$T/small" 2>/dev/null; then
    ostree init --repo="$T/small/repo" --mode=bare-user
    run_status "full disk: the copy fails" 1 ferry copy "oci:$T/big:big" "ostree:big:1@$T/small/repo"
    stderr_one_line "full disk: one line" "ostree:big:1@$T/small/repo"
    is "full disk: no branch at all" "$(ostree refs --repo="$T/small/repo")" ""
    fsck_clean "full disk: ostree fsck clean" "$T/small/repo"
    umount "$T/small"
else
    skip "full disk" "cannot mount a tmpfs here"
fi
finish
