#!/bin/bash
# tests/system/docker-daemon.sh — the docker-daemon: transport against a real
# Docker daemon (Debian's docker.io 20.10, started by tests/fixtures/dockerd.sh
# with the vfs driver, a private data root and sockets, no network) (TAP):
# images loaded by ferry show in `docker images` with the right ID and tags;
# images docker made (docker import) and images docker saved copy out with
# ferry keeping the config digest and DiffIDs skopeo gets; the docker save
# format both ways (archives from a real `docker save`, several images per
# archive, `docker load` of ferry's archives); round trips oci ->
# docker-archive -> dir -> docker-daemon -> docker:// -> oci checked at every
# step with skopeo; $DOCKER_HOST; TLS to a tcp daemon with --cert-dir; and bad
# input: no daemon, a missing image (exit 1), destinations without a tag, and
# a copy failing mid-way tagging nothing.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python
command -v openssl >/dev/null 2>&1 || { echo "Bail out! openssl is not installed"; exit 1; }

FIXTURES="$SRCDIR/tests/fixtures"
DOCKER_CLI=${DOCKER_CLI:-$(command -v docker 2>/dev/null || echo /usr/bin/docker)}
export DOCKER_CLI
unset DOCKER_HOST DOCKER_CERT_PATH DOCKER_TLS_VERIFY DOCKER_CONTEXT

_DAEMONS=()
_REGISTRY=""
_cleanup() {
    local d
    for d in "${_DAEMONS[@]}"; do "$FIXTURES/dockerd.sh" stop "$d" >/dev/null 2>&1; done
    [ -n "$_REGISTRY" ] && "$FIXTURES/registry.sh" stop "$_REGISTRY" >/dev/null 2>&1
    return 0
}
trap '_st=$?; _cleanup; (exit $_st); _tap_exit' EXIT

# start_daemon NAME [dockerd.sh options]: sets HOST (and SOCK, the unix host).
start_daemon() {
    local name=$1 rc; shift
    local dir="$T/fx/$name"
    mkdir -p "$T/fx"
    _DAEMONS+=("$dir")
    HOST=$("$FIXTURES/dockerd.sh" start "$dir" --minutes 10 "$@" 2>"$T/fx/$name.err")
    rc=$?
    if [ "$rc" = 77 ]; then
        _cleanup
        skip_all "$(cat "$T/fx/$name.err")"
    fi
    if [ "$rc" != 0 ] || [ -z "$HOST" ]; then
        echo "Bail out! dockerd $name did not start: $(cat "$T/fx/$name.err")"
        exit 1
    fi
    SOCK=$(cat "$dir/sock")
}

# dk ARGS...: the docker client against the test daemon.
dk() { timeout -k 5 120 "$DOCKER_CLI" -H "$SOCK" "$@"; }

# cd_of TOOL REF [FLAGS...]: config digest and DiffIDs ("" when it fails).
cd_of() {
    local tool=$1 ref=$2; shift 2
    "$tool" inspect "$@" --config --raw "$ref" 2>/dev/null | "$PYTHON3" -c '
import hashlib, json, sys
b = sys.stdin.buffer.read()
print("sha256:" + hashlib.sha256(b).hexdigest(), *json.loads(b)["rootfs"]["diff_ids"])' 2>/dev/null
}

# image_id NAME: the ID docker gives the image NAME ("" when absent).
image_id() { dk image inspect --format '{{.Id}}' "$1" 2>/dev/null; }

start_daemon main
MAIN_SOCK=$SOCK
W="$T/w"
O="$T/img/layout"
{
    mkimage --layout oci --manifest oci --layers 3 --layer-size 300K,20K,0 --history --tag v1 --seed 21 "$O" &&
        mkimage --layout oci --manifest docker --layers 2 --layer-size 2M --tag big --seed 22 "$O"
} >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }
WANT=$(cd_of ferry "oci:$O:v1")
WANT_ID=${WANT%% *}
WANT_DIFF=${WANT#* }
[ -n "$WANT" ] || { echo "Bail out! cannot inspect the fixture"; exit 1; }

# ---- copy into the daemon
run_ok "copy oci to docker-daemon" ferry copy -q --dest-daemon-host "$SOCK" "oci:$O:v1" docker-daemon:ferry/test:v1
is "docker images shows the image with the config digest as ID" "$(image_id ferry/test:v1)" "$WANT_ID"
is "docker lists exactly the tag given" "$(dk images --format '{{.Repository}}:{{.Tag}}' ferry/test)" "ferry/test:v1"
run_ok "copy with a registry-qualified name" ferry copy -q --dest-daemon-host "$SOCK" "oci:$O:v1" \
    docker-daemon:localhost:5000/ferry/q:v2
is "the qualified name is tagged" "$(image_id localhost:5000/ferry/q:v2)" "$WANT_ID"
run_ok "copy with \$DOCKER_HOST" env DOCKER_HOST="$SOCK" ferry copy -q "oci:$O:big" docker-daemon:ferry/big:v1
is "the image loaded through \$DOCKER_HOST is there" "$(image_id ferry/big:v1)" "$(cd_of ferry "oci:$O:big" | cut -d' ' -f1)"
run_ok "--dest-daemon-host wins over \$DOCKER_HOST" env DOCKER_HOST=unix:///nonexistent/sock \
    ferry copy -q --dest-daemon-host "$SOCK" "oci:$O:v1" docker-daemon:ferry/test:v3
is "... and tags the image" "$(image_id ferry/test:v3)" "$WANT_ID"

# --additional-tag: REF plus the extra tags go into the load's manifest.json.
run_ok "copy with --additional-tag" ferry copy -q --dest-daemon-host "$SOCK" --additional-tag ferry/extra:e1 \
    --additional-tag other/x:e2 "oci:$O:v1" docker-daemon:ferry/test:v4
is "every --additional-tag is tagged too" \
    "$(image_id ferry/test:v4) $(image_id ferry/extra:e1) $(image_id other/x:e2)" "$WANT_ID $WANT_ID $WANT_ID"

# ---- reading from the daemon
run_ok "inspect docker-daemon:" ferry inspect --daemon-host "$SOCK" docker-daemon:ferry/test:v1
cp "$T/out" "$T/fi.json"
if [ "$HAVE_SKOPEO" = 1 ]; then
    # Both label the plain layers ".tar.gzip" (see docker-archive.sh): the
    # same manifest, Digest and LayersData.
    run skopeo inspect --daemon-host "$SOCK" docker-daemon:ferry/test:v1
    same_file "inspect matches skopeo byte for byte" "$T/fi.json" "$T/out"
    run ferry inspect --raw --daemon-host "$SOCK" docker-daemon:ferry/test:v1
    cp "$T/out" "$T/fr.json"
    run skopeo inspect --raw --daemon-host "$SOCK" docker-daemon:ferry/test:v1
    same_file "inspect --raw matches skopeo byte for byte" "$T/fr.json" "$T/out"
    run_ok "copy docker-daemon to dir" ferry copy -q --src-daemon-host "$SOCK" docker-daemon:ferry/test:v1 "dir:$W/dd-f"
    run_ok "skopeo copies docker-daemon to dir (setup)" skopeo copy -q --src-daemon-host "$SOCK" \
        docker-daemon:ferry/test:v1 "dir:$W/dd-s"
    same_file "docker-daemon to dir: skopeo's manifest digest" "$W/dd-f/manifest.json" "$W/dd-s/manifest.json"
    check "docker-daemon to dir: layers match the DiffIDs" checkimage verify dir "$W/dd-f" --diffids
else
    skip "inspect matches skopeo" "skopeo not installed"
fi
is "config digest and DiffIDs read from the daemon" "$(cd_of ferry docker-daemon:ferry/test:v1 --daemon-host "$SOCK")" "$WANT"
# dir: keeps the Docker manifest and the config bytes; oci: converts both
# (containers/image re-encodes the config as an OCI one, so its digest
# changes: compared with what skopeo's conversion gives).
run_ok "copy docker-daemon to dir" ferry copy -q --src-daemon-host "$SOCK" docker-daemon:ferry/test:v1 "dir:$W/back-dir"
is "the round trip keeps config digest and DiffIDs" "$(cd_of ferry "dir:$W/back-dir")" "$WANT"
run_ok "copy docker-daemon to oci" ferry copy -q --src-daemon-host "$SOCK" docker-daemon:ferry/test:v1 "oci:$W/back:t"
GOT_OCI=$(cd_of ferry "oci:$W/back:t")
is "the copy to oci keeps the DiffIDs" "${GOT_OCI#* }" "$WANT_DIFF"
check "the copy is a valid OCI image with matching DiffIDs" checkimage verify oci "$W/back:t" --diffids
# The plain layers (labelled gzip) are gzipped for oci:, as skopeo does.
check "the copy to oci has gzipped layers" checkimage verify oci "$W/back:t" --compression gzip
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo copies docker-daemon to oci (setup)" skopeo copy -q --src-daemon-host "$SOCK" \
        docker-daemon:ferry/test:v1 "oci:$W/back:s"
    is "ferry converts the config to OCI as skopeo does" "$GOT_OCI" "$(cd_of skopeo "oci:$W/back:s")"
    is "... and the layer media types" "$(checkimage verify oci "$W/back:t" --print layer-types)" \
        "$(checkimage verify oci "$W/back:s" --print layer-types)"
fi
run_ok "copy by image ID" ferry copy -q --src-daemon-host "$SOCK" "docker-daemon:$WANT_ID" "dir:$W/byid"
is "by ID: same config digest and DiffIDs" "$(cd_of ferry "dir:$W/byid")" "$WANT"
run_ok "inspect by image ID" ferry inspect --daemon-host "$SOCK" "docker-daemon:$WANT_ID"
is "an image ID has no name" "$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin).get("Name", ""))' <"$T/out")" ""

# Images docker made itself: `docker import` of a file tree, with a change.
mkdir -p "$T/rootfs/etc" "$T/rootfs/bin"
echo "hello from docker import" >"$T/rootfs/etc/motd"
printf '#!/bin/sh\necho hi\n' >"$T/rootfs/bin/hi"
chmod +x "$T/rootfs/bin/hi"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" . || { echo "Bail out! tar failed"; exit 1; }
dk import --change 'CMD ["/bin/hi"]' --change 'ENV A=1' "$T/rootfs.tar" ferry/imported:v1 >/dev/null &&
    dk tag ferry/imported:v1 ferry/imported:v2 &&
    dk import "$T/rootfs.tar" ferry/plain:v1 >/dev/null || { echo "Bail out! docker import failed"; exit 1; }
IMP_ID=$(image_id ferry/imported:v1)
run_ok "copy an image docker made to dir" ferry copy -q --src-daemon-host "$SOCK" docker-daemon:ferry/imported:v1 "dir:$W/imp-dir"
GOT=$(cd_of ferry "dir:$W/imp-dir")
is "its config digest is the image ID docker shows" "${GOT%% *}" "$IMP_ID"
is "its DiffIDs are docker's" "${GOT#* }" "$(dk image inspect --format '{{join .RootFS.Layers " "}}' ferry/imported:v1)"
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "ferry copies the same image to oci" ferry copy -q --src-daemon-host "$SOCK" \
        docker-daemon:ferry/imported:v1 "oci:$W/imp:f"
    run_ok "skopeo copies the same image to oci (setup)" skopeo copy -q --src-daemon-host "$SOCK" \
        docker-daemon:ferry/imported:v1 "oci:$W/imp:s"
    is "ferry and skopeo get the same config digest and DiffIDs" "$(cd_of ferry "oci:$W/imp:f")" \
        "$(cd_of skopeo "oci:$W/imp:s")"
else
    skip "interop with skopeo on docker's own image" "skopeo not installed"
fi

# ---- docker save archives read by ferry, ferry's archives loaded by docker
dk save -o "$W/saved.tar" ferry/imported:v1 ferry/imported:v2 ferry/plain:v1 ferry/test:v1 ||
    { echo "Bail out! docker save failed"; exit 1; }
has_legacy_layers() { tar -tf "$1" | grep -q '^[0-9a-f]\{64\}/layer\.tar$'; }
check "docker save wrote legacy layer directories" has_legacy_layers "$W/saved.tar"
run_ok "list-tags of a docker save archive" ferry list-tags "docker-archive:$W/saved.tar"
for t in ferry/imported:v1 ferry/imported:v2 ferry/plain:v1 ferry/test:v1; do
    grep -q "docker.io/$t" "$T/out" && ok "list-tags names $t" || not_ok "list-tags names $t" "$(cat "$T/out")"
done
run_ok "read one image of docker's archive by tag" ferry copy -q "docker-archive:$W/saved.tar:ferry/imported:v2" "dir:$W/sv-imp"
is "same config digest and DiffIDs as from the daemon" "$(cd_of ferry "dir:$W/sv-imp")" "$GOT"
run_ok "read another by tag" ferry copy -q "docker-archive:$W/saved.tar:ferry/test:v1" "dir:$W/sv-test"
is "that one keeps the original config digest and DiffIDs" "$(cd_of ferry "dir:$W/sv-test")" "$WANT"
run_ok "read docker's archive into oci" ferry copy -q "docker-archive:$W/saved.tar:ferry/imported:v2" "oci:$W/sv:imp"
run_ok "read by @INDEX" ferry inspect --raw "docker-archive:$W/saved.tar:@1"
run_status "several images and no selector is refused" 1 ferry inspect "docker-archive:$W/saved.tar"
if [ "$HAVE_SKOPEO" = 1 ]; then
    run_ok "skopeo reads docker's archive (setup)" skopeo copy -q "docker-archive:$W/saved.tar:ferry/imported:v2" "oci:$W/sv:simp"
    is "ferry and skopeo agree on docker's archive" "$(cd_of ferry "oci:$W/sv:imp")" "$(cd_of skopeo "oci:$W/sv:simp")"
else
    skip "skopeo reads docker's archive" "skopeo not installed"
fi

run_ok "ferry writes an archive with --additional-tag" ferry copy -q --additional-tag ferry/arch:two \
    --additional-tag ferry/arch2:three "oci:$O:v1" "docker-archive:$W/ferry.tar:ferry/arch:one"
run_ok "docker load accepts ferry's archive" "$DOCKER_CLI" -H "$SOCK" load -q -i "$W/ferry.tar"
is "docker load tags every RepoTag with the right ID" \
    "$(image_id ferry/arch:one) $(image_id ferry/arch:two) $(image_id ferry/arch2:three)" "$WANT_ID $WANT_ID $WANT_ID"
ferry copy -q "docker-archive:$W/saved.tar:ferry/imported:v1" "docker-archive:$W/reimp.tar:ferry/reimp:v1" 2>"$T/err" &&
    dk load -q -i "$W/reimp.tar" >/dev/null 2>>"$T/err"
is "docker's image rewritten by ferry loads back with docker's ID" "$(image_id ferry/reimp:v1)" "$IMP_ID"
timeout 120 ferry copy -q "oci:$O:v1" docker-archive:/dev/stdout:ferry/piped:v1 2>"$T/err" | dk load -q >/dev/null 2>>"$T/err"
is "docker load reads ferry's archive from a pipe" "$(image_id ferry/piped:v1)" "$WANT_ID"

# ---- round trip oci -> docker-archive -> dir -> docker-daemon -> docker:// -> oci
steps=("oci:$O:v1" "docker-archive:$W/rt.tar:ferry/rt:v1" "dir:$W/rt-dir" "docker-daemon:ferry/rt:v1")
REG_BIN=${REGISTRY_BIN:-$(command -v docker-registry 2>/dev/null || echo /usr/bin/docker-registry)}
if [ -x "$REG_BIN" ]; then
    _REGISTRY="$T/fx/registry"
    export REGISTRY_BIN=$REG_BIN
    REG_PORT=$("$FIXTURES/registry.sh" start "$_REGISTRY" --minutes 10 2>"$T/fx/registry.err")
    [ -n "$REG_PORT" ] || { echo "Bail out! registry did not start: $(cat "$T/fx/registry.err")"; exit 1; }
    steps+=("docker://127.0.0.1:$REG_PORT/ferry/rt:v1")
else
    skip "round trip through docker://" "docker-registry not installed"
fi
steps+=("oci:$W/rt-oci:v1")
FLAGS=(--src-daemon-host "$SOCK" --dest-daemon-host "$SOCK" --src-tls-verify=false --dest-tls-verify=false)
for ((i = 1; i < ${#steps[@]}; i++)); do
    from=${steps[i - 1]} to=${steps[i]}
    run_ok "round trip: ferry copy ${from%%:*} -> ${to%%:*}" ferry copy -q "${FLAGS[@]}" "$from" "$to"
    expect=$WANT
    if [ "$i" = $((${#steps[@]} - 1)) ]; then
        # Back to oci: the Docker config is converted (see above).
        if [ "$HAVE_SKOPEO" = 1 ]; then
            skopeo copy -q "${FLAGS[@]}" "$from" "oci:$W/rt-oci:skopeo" >/dev/null 2>&1
            expect=$(cd_of skopeo "oci:$W/rt-oci:skopeo")
        else
            expect="$(cd_of ferry "$to" | cut -d' ' -f1) $WANT_DIFF"
        fi
        is "round trip: back in oci with the original DiffIDs" "$(cd_of ferry "$to" | cut -d' ' -f2-)" "$WANT_DIFF"
    fi
    is "round trip: ${to%%:*} has the expected config digest and DiffIDs (ferry)" \
        "$(cd_of ferry "$to" --daemon-host "$SOCK" --tls-verify=false)" "$expect"
    if [ "$HAVE_SKOPEO" = 1 ]; then
        is "round trip: ${to%%:*} has the expected config digest and DiffIDs (skopeo)" \
            "$(cd_of skopeo "$to" --daemon-host "$SOCK" --tls-verify=false)" "$expect"
    fi
done
is "the round trip's daemon image has the right ID" "$(image_id ferry/rt:v1)" "$WANT_ID"
if [ "$HAVE_SKOPEO" = 1 ]; then
    # skopeo writes into the daemon, ferry reads back; and the reverse.
    run_ok "skopeo copies to the daemon (setup)" skopeo copy -q --dest-daemon-host "$SOCK" "oci:$O:v1" docker-daemon:ferry/sk:v1
    run_ok "ferry reads skopeo's image from the daemon" ferry copy -q --src-daemon-host "$SOCK" docker-daemon:ferry/sk:v1 "dir:$W/sk-f"
    is "same config digest and DiffIDs" "$(cd_of ferry "dir:$W/sk-f")" "$WANT"
    run_ok "skopeo reads ferry's image from the daemon" skopeo copy -q --src-daemon-host "$SOCK" docker-daemon:ferry/test:v1 "dir:$W/sk-s"
    is "skopeo gets the same config digest and DiffIDs" "$(cd_of skopeo "dir:$W/sk-s")" "$WANT"
fi

# ---- bad input
NOSOCK="unix://$T/no-such-daemon.sock"
run ferry inspect --daemon-host "$NOSOCK" docker-daemon:ferry/test:v1
is "no daemon at the socket: exit 1" "$RC" 1
stderr_one_line "no daemon: one line naming the host" "$NOSOCK" "cannot connect"
run ferry copy -q --dest-daemon-host "$NOSOCK" "oci:$O:v1" docker-daemon:ferry/x:v1
is "no daemon for a destination: exit 1" "$RC" 1
stderr_one_line "no daemon for a destination: one line naming the host" "$NOSOCK"
run env DOCKER_HOST="$NOSOCK" ferry inspect docker-daemon:ferry/test:v1
stderr_one_line "a wrong \$DOCKER_HOST is named" "$NOSOCK"
run ferry inspect --daemon-host tcp://127.0.0.1:1 docker-daemon:ferry/test:v1
is "no daemon on a tcp port: exit 1" "$RC" 1
stderr_one_line "no daemon on tcp: one line naming the host" "tcp://127.0.0.1:1"
run ferry inspect --daemon-host "ftp://127.0.0.1" docker-daemon:ferry/test:v1
is "an unknown daemon host scheme: exit 1" "$RC" 1
stderr_one_line "an unknown daemon host scheme is named" "ftp://127.0.0.1"
run ferry inspect --daemon-host "$SOCK" docker-daemon:ferry/nope:v1
is "an image not in the daemon: exit 1 (skopeo 1.10+ gives 2 only for registries, stores, layouts)" "$RC" 1
stderr_one_line "not found: one line naming the image and the daemon" "docker-daemon:ferry/nope:v1" "$SOCK"
run ferry copy -q --src-daemon-host "$SOCK" "docker-daemon:sha256:$(printf '0%.0s' {1..64})" "oci:$W/none:t"
is "an image ID not in the daemon: exit 1" "$RC" 1
absent "nothing written for a missing source" "$W/none"
run ferry inspect --daemon-host "$SOCK" docker-daemon:ferry/test
is "a name without tag or digest is refused" "$RC" 1
stderr_one_line "... saying why" "neither a tag nor a digest"
for bad in "ferry/test:v1@$WANT_ID" "ferry/test@$WANT_ID" "$WANT_ID"; do
    run ferry copy -q --dest-daemon-host "$SOCK" "oci:$O:v1" "docker-daemon:$bad"
    is "destination docker-daemon:$bad is refused" "$RC" 1
done
stderr_one_line "a destination needs a tag" "docker-daemon:$WANT_ID" "name:tag"

# A copy failing mid-way: the last layer of the source is corrupt, so the
# first layers are already streaming into the daemon when the copy fails.
{
    mkimage --layout oci --manifest oci --layers 3 --layer-size 1M --tag v1 --seed 23 "$T/img/bad" >/dev/null &&
        "$PYTHON3" - "$T/img/bad" <<'PYEOF'
import json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
p = d + "/blobs/sha256/" + m["layers"][-1]["digest"][7:]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(b)
PYEOF
} || { echo "Bail out! cannot make the corrupt image"; exit 1; }
BEFORE=$(dk images -a -q --no-trunc | sort)
run ferry copy -q --dest-daemon-host "$SOCK" "oci:$T/img/bad:v1" docker-daemon:ferry/bad:v1
is "a copy failing mid-way exits 1" "$RC" 1
is "nothing is tagged in the daemon" "$(image_id ferry/bad:v1)" ""
is "no image at all was added" "$(dk images -a -q --no-trunc | sort)" "$BEFORE"
run ferry --command-timeout 1ms copy -q --dest-daemon-host "$SOCK" "oci:$O:big" docker-daemon:ferry/cancelled:v1
is "an interrupted copy fails" "$RC" 1
is "an interrupted copy tags nothing" "$(image_id ferry/cancelled:v1)" ""

# ---- TLS to a tcp daemon
start_daemon tls --tls
TLSDIR="$T/fx/tls/tls"
run_ok "copy to a TLS daemon with --dest-cert-dir" ferry copy -q --dest-daemon-host "$HOST" \
    --dest-cert-dir "$TLSDIR" "oci:$O:v1" docker-daemon:ferry/tls:v1
is "the TLS daemon has the image" "$(image_id ferry/tls:v1)" "$WANT_ID"
run_ok "read from a TLS daemon with --src-cert-dir" ferry copy -q --src-daemon-host "$HOST" \
    --src-cert-dir "$TLSDIR" docker-daemon:ferry/tls:v1 "dir:$W/tls"
is "TLS: config digest and DiffIDs kept" "$(cd_of ferry "dir:$W/tls")" "$WANT"
run_ok "\$DOCKER_CERT_PATH is used without --cert-dir" env DOCKER_HOST="$HOST" DOCKER_CERT_PATH="$TLSDIR" \
    ferry inspect docker-daemon:ferry/tls:v1
run ferry inspect --daemon-host "$HOST" docker-daemon:ferry/tls:v1
is "a TLS daemon without certificates fails" "$RC" 1
stderr_one_line "... in one line naming the host" "$HOST"
run ferry inspect --daemon-host "$HOST" --cert-dir "$TLSDIR/ca-only" docker-daemon:ferry/tls:v1
is "a TLS daemon without a client certificate fails" "$RC" 1
stderr_one_line "... in one line naming the host" "$HOST"
run ferry inspect --daemon-host "$HOST" --cert-dir "$T/no-such-dir" docker-daemon:ferry/tls:v1
is "a missing --cert-dir fails" "$RC" 1
stderr_one_line "... naming the directory" "$T/no-such-dir"
OTHER_CA="$T/other-ca"
mkdir -p "$OTHER_CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$OTHER_CA/k.pem" \
    -out "$OTHER_CA/ca.pem" -days 1 -subj "/CN=other" >/dev/null 2>&1
cp "$TLSDIR/cert.pem" "$TLSDIR/key.pem" "$OTHER_CA/"
run ferry inspect --daemon-host "$HOST" --cert-dir "$OTHER_CA" docker-daemon:ferry/tls:v1
is "a daemon certificate from another CA is refused" "$RC" 1
run_ok "... unless --tls-verify=false" ferry inspect --daemon-host "$HOST" --cert-dir "$OTHER_CA" \
    --tls-verify=false docker-daemon:ferry/tls:v1

finish
