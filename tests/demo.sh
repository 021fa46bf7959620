#!/usr/bin/env bash
# tests/demo.sh — the README's first quick-start command: installs the build
# dependencies (Debian, needs root or sudo), builds ferry, makes a small demo
# image in-tree (no network) and runs the main job on it: copy between
# transports and inspect, with the plugins from the build tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# The same packages as CI (.ci/run), so that `make check` runs the whole suite.
mapfile -t packages < <(sed 's/#.*//' tests/debian-packages.list | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"

export FERRY_TRANSPORT_PATH="$top/plugins"
demo="$top/demo"
rm -rf "$demo"
mkdir -p "$demo"
python3 tests/fixtures/mkimage.py --layout oci --manifest oci --layers 3 --layer-size 2M --label org.opencontainers.image.title=demo \
    --label version=1.0 --env APP=demo --tag demo "$demo/layout" >/dev/null
echo "== ferry list-transports"
./ferry list-transports
echo "== ferry copy oci:demo/layout:demo dir:demo/image (Docker format, via --format v2s2)"
./ferry --insecure-policy copy --format v2s2 "oci:$demo/layout:demo" "dir:$demo/image"
echo "== ferry copy dir:demo/image oci:demo/layout:copy"
./ferry --insecure-policy copy "dir:$demo/image" "oci:$demo/layout:copy"
echo "== ferry inspect oci:demo/layout:copy"
./ferry inspect "oci:$demo/layout:copy"
echo "== ferry inspect --format (Go template)"
./ferry inspect --format '{{.Digest}} version={{index .Labels "version"}} layers={{len .Layers}}' "oci:$demo/layout:copy"
echo "== demo done: images are in $demo"
