#!/bin/bash
# tests/system/inspect.sh — `ferry inspect` output byte for byte against
# `skopeo inspect` (TAP): plain, --raw, --config, --config --raw for many image
# shapes (labels none/many/needing escapes/empty, env, many layers, Docker and
# OCI media types, created times with and without fractions and offsets, lists,
# a legitimate 3.9 MB manifest), then the --format template forms.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

I="$T/img"
# shape NAME REF MKIMAGE-ARGS...: generates an image and records its reference.
SHAPES=()
shape() {
    local name=$1 kind=$2; shift 2
    local out="$I/$name" ref
    if [ "$kind" = oci ]; then
        mkimage --layout oci --tag t "$@" "$out" >/dev/null || { echo "Bail out! mkimage $name failed"; exit 1; }
        ref="oci:$out:t"
    else
        mkimage "$@" "$out" >/dev/null || { echo "Bail out! mkimage $name failed"; exit 1; }
        ref="dir:$out"
    fi
    SHAPES+=("$name|$ref")
}
shape docker-no-labels dir
shape docker-many-labels dir --labels many --layers 2
shape docker-escaped-labels dir --labels escape --author 'Jo <jo@example.com> & co' --history
shape docker-empty-labels dir --labels empty
shape docker-env dir --env PATH=/usr/local/bin:/usr/bin --env 'QUOTED="x y"' --env 'EMPTY=' --cmd 'echo hi' --workdir /srv
shape docker-40-layers dir --layers 40 --layer-size 1K --history
shape docker-no-layers dir --layers 0
shape docker-uncompressed dir --compression none --layers 2
shape docker-no-config-section dir --no-config-section --docker-version 20.10.21 --author someone
shape docker-created-nanos dir --created 2024-01-02T03:04:05.123456789Z
shape docker-created-offset dir --created 2024-01-02T03:04:05.120000+02:00
shape docker-created-none dir --created none
shape docker-arm64-variant dir --arch arm64 --variant v8
shape docker-list dir --list --labels many
shape oci-plain oci --manifest oci
shape oci-many-labels oci --manifest oci --labels many --env A=1 --layers 3
shape oci-annotations oci --manifest oci --layer-annotations --manifest-annotations --labels escape
shape oci-uncompressed oci --manifest oci --compression none
shape oci-no-mediatype oci --manifest oci --omit-media-type --compact
shape oci-index oci --manifest oci --list
shape oci-manifest-3.9MB oci --manifest oci --manifest-pad 3900K
shape dir-oci-manifest dir --manifest oci --labels many

# compare DESC ARGS...: `skopeo inspect ARGS` and `ferry inspect ARGS` print
# the same bytes and exit with the same status.
compare() {
    local desc=$1; shift
    run skopeo inspect "$@"
    local src=$RC
    cp "$T/out" "$T/sk.out"
    run ferry inspect "$@"
    if [ "$RC" -ne "$src" ]; then
        not_ok "$desc" "exit status: skopeo $src, ferry $RC; ferry stderr: $(head -c 1000 "$T/err")"
    else
        same_file "$desc" "$T/out" "$T/sk.out"
    fi
}

if [ "$HAVE_SKOPEO" = 1 ]; then
    for s in "${SHAPES[@]}"; do
        name=${s%%|*} ref=${s#*|}
        compare "inspect $name == skopeo" "$ref"
        compare "inspect --raw $name == skopeo" --raw "$ref"
        compare "inspect --config $name == skopeo" --config "$ref"
        compare "inspect --config --raw $name == skopeo" --config --raw "$ref"
    done
    for arch in arm64 amd64; do
        compare "inspect of a Docker list with --override-arch $arch == skopeo" --override-arch "$arch" "dir:$I/docker-list"
        compare "inspect of an OCI index with --override-arch $arch == skopeo" --override-arch "$arch" "oci:$I/oci-index:t"
        compare "inspect --config of an OCI index with --override-arch $arch == skopeo" \
            --override-arch "$arch" --config "oci:$I/oci-index:t"
    done
else
    skip "inspect output compared with skopeo" "skopeo not installed"
fi

# ------------------------------------------------ --format, against skopeo
F="$I/format"
FDIGEST=$(mkimage --label key=val --label a=b --label 'html=<b>&</b>' --env A=1 --env B=2 --layers 3 \
    --layer-size 2K "$F") || { echo "Bail out! mkimage failed"; exit 1; }
NL='
'
if [ "$HAVE_SKOPEO" = 1 ]; then
    for f in '{{.Digest}}' '{{.Labels.key}}' '{{index .Labels "html"}}' '{{index .Labels "key"}}' \
        '{{range .Layers}}{{.}}\n{{end}}' "{{range .Layers}}{{.}}${NL}{{end}}" \
        'Name: {{.Name}} Arch={{.Architecture}} Os={{.Os}}' '{{.Labels.missing}}' '{{.Env}}' \
        '{{.Layers}}' '{{.RepoTags}}' '{{.Created}}' '{{.Labels}}' '{{json .}}' 'literal text only' \
        '{{.DockerVersion}}|{{.Os}}' '{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}' \
        '{{range .Env}}[{{.}}]{{end}}' '{{len .Layers}}' '{{if .Labels.key}}yes{{else}}no{{end}}'; do
        compare "inspect --format '$f' == skopeo" --format "$f" "dir:$F"
    done
    compare "inspect --format of a missing field fails like skopeo" --format '{{.Nope}}' "dir:$F"
    compare "inspect --format with a syntax error fails like skopeo" --format '{{.Digest' "dir:$F"
else
    skip "inspect --format compared with skopeo" "skopeo not installed"
fi

# ------------------------------------------------ --format forms skopeo 1.9 lacks
# (newer skopeo: `json` is encoding/json without HTML escaping, plus a newline)
run ferry inspect --format '{{.Digest}}' "dir:$F"
is "{{.Digest}} prints the digest and a newline" "$RC:$(cat "$T/out")" "0:$FDIGEST"
run ferry inspect --format '{{json .Labels}}' "dir:$F"
is "{{json .Labels}}" "$RC:$(cat "$T/out")" '0:{"a":"b","html":"<b>&</b>","key":"val"}'
run ferry inspect --format '{{json .Env}}' "dir:$F"
is "{{json .Env}}" "$RC:$(cat "$T/out")" '0:["A=1","B=2"]'
run ferry inspect --format '{{json .Digest}}' "dir:$F"
is "{{json .Digest}}" "$RC:$(cat "$T/out")" "0:\"$FDIGEST\""
LAYERS_JSON=$(checkimage verify dir "$F" --print layers | sed 's/.*/"&"/' | paste -sd, -)
run ferry inspect --format '{{json .Layers}}' "dir:$F"
is "{{json .Layers}}" "$RC:$(cat "$T/out")" "0:[$LAYERS_JSON]"
run ferry inspect --format 'Labels={{json .Labels}} Digest={{.Digest}}' "dir:$F"
is "json mixed with literal text" "$RC:$(cat "$T/out")" "0:Labels={\"a\":\"b\",\"html\":\"<b>&</b>\",\"key\":\"val\"} Digest=$FDIGEST"
run ferry inspect --format '{{range .Layers}}{{.}}\n{{end}}' "dir:$F"
checkimage verify dir "$F" --print layers >"$T/layers.expected"
echo >>"$T/layers.expected"
same_file "{{range .Layers}}{{.}}\\n{{end}} prints one layer a line" "$T/out" "$T/layers.expected"

finish
