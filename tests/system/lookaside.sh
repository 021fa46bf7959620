#!/bin/bash
# tests/system/lookaside.sh — registries.d signature storage of the
# docker:// transport against a real docker-registry and skopeo 1.9.3 (TAP),
# both tools given the same --registries.d directories: copy --sign-by to a
# registry writes signature-N under the file:// lookaside with skopeo's
# layout and replaces a previous set; each tool reads what the other wrote
# (skopeo's standalone-verify accepts ferry's); an http:// lookaside; which
# scope wins (identity, namespace, "*.domain", default-docker, the legacy
# sigstore key) as skopeo decides; malformed YAML, duplicate scopes and an
# http staging location refused in one line as skopeo does; --remove-signatures
# writes none; delete removes them; sigstore attachments (use-sigstore-attachments): the .sig
# manifest byte for byte as skopeo pushes it, read back into the same blob,
# a second signature appended; a sigstore blob without attachments refused.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
command -v gpg >/dev/null 2>&1 && command -v gpgconf >/dev/null 2>&1 || skip_all "gpg not installed"

start_registry reg
R="127.0.0.1:$REG_PORT"
NOTLS=--tls-verify=false

# GNUPGHOME: gpg-agent's socket path must stay short (about 100 bytes).
G="$T/g"
[ "${#G}" -le 60 ] || G=$(mktemp -d /tmp/ferry-gpg.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
mkdir -p "$G/home" && chmod 700 "$G/home"
export GNUPGHOME="$G/home"
lookaside_cleanup() {
    local st=$?
    _fx_cleanup
    gpgconf --kill gpg-agent >/dev/null 2>&1
    [ "$G" = "$T/g" ] || rm -rf "$G"
    (exit $st)
    _tap_exit
}
trap lookaside_cleanup EXIT
gpg --batch --passphrase '' --quick-gen-key 'ferry test <t@example.com>' ed25519 sign never >/dev/null 2>&1
A=$(gpg --batch --with-colons --list-keys t@example.com 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
[ -n "$A" ] || { echo "Bail out! gpg could not create a key"; exit 1; }

mkimage --layout dir "$T/img" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }
D=$($SKOPEO manifest-digest "$T/img/manifest.json")
HEX=${D#sha256:}

# rd NAME: a registries.d directory $T/rd/NAME holding stdin as NAME.yaml.
rd() { mkdir -p "$T/rd/$1" && cat >"$T/rd/$1/$1.yaml"; }
# files DIR: the files under DIR, relative, sorted.
files() { (cd "$1" 2>/dev/null && find . -type f | LC_ALL=C sort | tr '\n' ' '); }

rd f <<EOF
docker:
  $R:
    lookaside: file://$T/laf
EOF
rd s <<EOF
docker:
  $R:
    lookaside: file://$T/las
EOF

# ------------------------------------------------ writing with --sign-by
run_ok "copy --sign-by to docker:// with a file:// lookaside" \
    ferry --registries.d "$T/rd/f" copy --dest-tls-verify=false --sign-by "$A" "dir:$T/img" "docker://$R/x/img:1"
$SKOPEO --registries.d "$T/rd/s" copy -q --dest-tls-verify=false --sign-by "$A" "dir:$T/img" \
    "docker://$R/x/img:2" >/dev/null 2>&1 || not_ok "skopeo copy --sign-by" "skopeo failed"
is "... signature-1 where skopeo puts its own (same relative paths)" "$(files "$T/laf")" "$(files "$T/las")"
is "... namely REPOSITORY@sha256=HEX/signature-1" "$(files "$T/laf")" "./x/img@sha256=$HEX/signature-1 "

# skopeo reads ferry's signature and verifies it.
rm -rf "$T/s1"
$SKOPEO --registries.d "$T/rd/f" copy -q --src-tls-verify=false "docker://$R/x/img:1" "dir:$T/s1" >/dev/null 2>&1
same_file "skopeo reads ferry's lookaside signature" "$T/s1/signature-1" "$T/laf/x/img@sha256=$HEX/signature-1"
run_ok "... and skopeo standalone-verify accepts it" \
    "$SKOPEO" standalone-verify "$T/s1/manifest.json" "$R/x/img:1" "$A" "$T/s1/signature-1"

# ferry reads skopeo's.
run_ok "docker:// -> dir: reads the lookaside" \
    ferry --registries.d "$T/rd/s" copy --src-tls-verify=false "docker://$R/x/img:2" "dir:$T/f2"
same_file "... signature-1 is skopeo's" "$T/f2/signature-1" "$T/las/x/img@sha256=$HEX/signature-1"
is "... and only it" "$(ls "$T/f2" | grep -c '^signature-')" 1

# A digest reference reads the same signatures.
run_ok "... by digest too" ferry --registries.d "$T/rd/s" copy --src-tls-verify=false "docker://$R/x/img@$D" \
    "dir:$T/f2d"
same_file "... the same signature" "$T/f2d/signature-1" "$T/las/x/img@sha256=$HEX/signature-1"

# Signing again replaces the set: stale signature-2 and -3 go.
echo stale >"$T/laf/x/img@sha256=$HEX/signature-2"
echo stale >"$T/laf/x/img@sha256=$HEX/signature-3"
run_ok "signing the same manifest again" \
    ferry --registries.d "$T/rd/f" copy --dest-tls-verify=false --sign-by "$A" "dir:$T/img" "docker://$R/x/img:1"
is "... leaves exactly the new signature" "$(files "$T/laf")" "./x/img@sha256=$HEX/signature-1 "

# Copying a signed image (dir: with two signatures) keeps both, in order.
cp -r "$T/f2" "$T/two" && cp "$T/s1/signature-1" "$T/two/signature-2"
run_ok "copying two signatures to the registry" \
    ferry --registries.d "$T/rd/f" copy --dest-tls-verify=false "dir:$T/two" "docker://$R/x/two:1"
same_file "... signature-1" "$T/laf/x/two@sha256=$HEX/signature-1" "$T/two/signature-1"
same_file "... signature-2" "$T/laf/x/two@sha256=$HEX/signature-2" "$T/two/signature-2"

run_ok "--remove-signatures" ferry --registries.d "$T/rd/f" copy --dest-tls-verify=false --remove-signatures \
    "dir:$T/two" "docker://$R/x/rm:1"
is "... writes none" "$(ls -d "$T/laf/x/rm@"* 2>/dev/null)" ""
run_ok "--remove-signatures from a registry" ferry --registries.d "$T/rd/s" copy --src-tls-verify=false \
    --remove-signatures "docker://$R/x/img:2" "dir:$T/rmd"
is "... reads none" "$(ls "$T/rmd" | grep -c '^signature-')" 0

# delete removes the image's signatures from the lookaside, as skopeo does.
run_ok "a signed image to delete" ferry --registries.d "$T/rd/f" copy --dest-tls-verify=false --sign-by "$A" \
    "dir:$T/img" "docker://$R/x/del:1"
is "... signed" "$(ls "$T/laf/x/del@sha256=$HEX")" signature-1
run_ok "delete" ferry --registries.d "$T/rd/f" delete --tls-verify=false "docker://$R/x/del:1"
is "... removes its signatures" "$(ls "$T/laf/x/del@sha256=$HEX")" ""

# ------------------------------------------------ http:// lookaside
cat >"$T/serve.py" <<'PYEOF'
import functools, http.server, sys, threading
root, portfile, lifetime = sys.argv[1], sys.argv[2], float(sys.argv[3])
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
handler.func.log_message = lambda *a: None
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
open(portfile + ".tmp", "w").write(str(srv.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
threading.Timer(lifetime, srv.shutdown).start()
srv.serve_forever()
PYEOF
mkdir -p "$T/fx/http"
timeout -k 5 "$FIXTURE_LIFETIME" "$FIXPY" "$T/serve.py" "$T/las" "$T/fx/http/port" "$FIXTURE_LIFETIME" \
    >/dev/null 2>"$T/fx/http/stderr" </dev/null &
_FX_PIDS+=("$!")
for _ in $(seq 200); do [ -s "$T/fx/http/port" ] && break; sleep 0.05; done
HTTP_PORT=$(cat "$T/fx/http/port" 2>/dev/null)
[ -n "$HTTP_PORT" ] || { echo "Bail out! the http server did not start: $(cat "$T/fx/http/stderr")"; exit 1; }
rd http <<EOF
docker:
  $R:
    lookaside: http://127.0.0.1:$HTTP_PORT
EOF
run_ok "an http:// lookaside" ferry --registries.d "$T/rd/http" copy --src-tls-verify=false \
    "docker://$R/x/img:2" "dir:$T/h"
same_file "... serves skopeo's signature" "$T/h/signature-1" "$T/las/x/img@sha256=$HEX/signature-1"
run_ok "... where none is stored (404)" ferry --registries.d "$T/rd/http" copy --src-tls-verify=false \
    "docker://$R/x/rm:1" "dir:$T/h0"
is "... none" "$(ls "$T/h0" | grep -c '^signature-')" 0
rd down <<EOF
docker:
  $R:
    lookaside: http://127.0.0.1:1/sigs
EOF
run_status "an http lookaside that does not answer: exit 1" 1 ferry --registries.d "$T/rd/down" copy \
    --src-tls-verify=false "docker://$R/x/img:2" "dir:$T/hd"
stderr_one_line "... in one line naming the URL" "http://127.0.0.1:1/sigs/x/img@sha256=$HEX/signature-1"

# ------------------------------------------------ which scope wins
# scope_case NAME DESC: ferry and skopeo read x/img:2 with registries.d NAME;
# both must find skopeo's signature (only the winning entry points at it).
scope_case() {
    local name=$1 desc=$2
    rm -rf "$T/sc.f" "$T/sc.s"
    run ferry --registries.d "$T/rd/$name" copy --src-tls-verify=false "docker://$R/x/img:2" "dir:$T/sc.f"
    $SKOPEO --registries.d "$T/rd/$name" copy -q --src-tls-verify=false "docker://$R/x/img:2" "dir:$T/sc.s" \
        >/dev/null 2>&1
    is "$desc (as skopeo)" "$RC $(files "$T/sc.f" | grep -o 'signature-[0-9]*') $(cmp -s "$T/sc.f/signature-1" \
        "$T/las/x/img@sha256=$HEX/signature-1" && echo same)" \
        "0 $(files "$T/sc.s" | grep -o 'signature-[0-9]*') same"
}
# scopes NAME DEFAULT [SCOPE KEY URL]...: registries.d NAME with that
# default-docker lookaside (none when "") and those docker scopes.
scopes() {
    local name=$1 def=$2
    shift 2
    {
        [ -z "$def" ] || printf 'default-docker:\n  lookaside: %s\n' "$def"
        printf 'docker:\n'
        while [ $# -ge 3 ]; do printf '  "%s":\n    %s: %s\n' "$1" "$2" "$3" && shift 3; done
    } | rd "$name"
}
N="file://$T/nothing" L="file://$T/las"
scopes ident "$N" "$R" lookaside "$N" "$R/x" lookaside "$N" "$R/x/img:2" lookaside "$L"
scope_case ident "the identity scope wins over namespaces and default-docker"
scopes ns "$N" "$R" lookaside "$N" "$R/x" lookaside "$L" "$R/x/img:1" lookaside "$N"
scope_case ns "the repository namespace wins over the registry"
scopes emptyns "" "$R/x/img:2" lookaside-staging "$N" "$R/x" lookaside "$L"
scope_case emptyns "a scope with no lookaside for reading lets the next one decide"
scopes dflt "$L" other.example.com lookaside "$N"
scope_case dflt "default-docker when no scope matches"
scopes wild "$N" "*.0.1" lookaside "$L"
scope_case wild "a *.domain wildcard scope"
rd legacy <<EOF
docker:
  $R:
    sigstore: file://$T/las
    unknown-key: ignored
EOF
scope_case legacy "the legacy sigstore key, unknown keys ignored"
rd case <<EOF
Docker:
  $R:
    Lookaside: file://$T/las
EOF
scope_case case "key names match whatever their case"

# ------------------------------------------------ refusals
# refused NAME DESC NEEDLE...: ferry and skopeo both fail to open the image
# with registries.d NAME; ferry in one line: skopeo's message, the needles.
refused() {
    local name=$1 desc=$2; shift 2
    run ferry --registries.d "$T/rd/$name" copy --src-tls-verify=false "docker://$R/x/img:2" "dir:$T/no.$name"
    $SKOPEO --registries.d "$T/rd/$name" copy -q --src-tls-verify=false "docker://$R/x/img:2" "dir:$T/nos.$name" \
        >/dev/null 2>"$T/skopeo.err"
    is "$desc: exit 1 as skopeo" "$RC $?" "1 1"
    # skopeo's message, unquoted from its log line.
    local msg
    msg=$(sed -n 's/.*level=fatal msg="\(.*\)"$/\1/p' "$T/skopeo.err" | sed 's/\\"/"/g')
    stderr_one_line "... in one line, skopeo's message" "${msg:-(skopeo printed no message)}" "$@"
}
rd bad <<EOF
docker:
  $R: [
EOF
refused bad "malformed YAML" "parsing $T/rd/bad/bad.yaml: error converting YAML to JSON: yaml: line"
rd dup <<EOF
docker:
  $R/x:
    lookaside: file://$T/las
EOF
cp "$T/rd/dup/dup.yaml" "$T/rd/dup/dup2.yaml"
refused dup "a scope defined in two files" "\"docker\" namespace \"$R/x\" defined both in" "$T/rd/dup/dup.yaml" \
    "$T/rd/dup/dup2.yaml"
rd badbool <<EOF
docker:
  $R:
    use-sigstore-attachments: maybe
EOF
refused badbool "use-sigstore-attachments not a boolean" "cannot unmarshal string" "bool"
rd badtop <<EOF
- a list
EOF
refused badtop "a file that is not a mapping" "cannot unmarshal array"

rd stage <<EOF
docker:
  $R:
    lookaside: file://$T/las
    lookaside-staging: http://127.0.0.1:1/staging
EOF
run_status "an http lookaside-staging: exit 1" 1 ferry --registries.d "$T/rd/stage" copy --dest-tls-verify=false \
    --sign-by "$A" "dir:$T/img" "docker://$R/x/stage:1"
stderr_one_line "... in one line, skopeo's words" \
    "Writing directly to a http lookaside http://127.0.0.1:1/staging/x/stage@sha256=$HEX/signature-1 is not supported"
$SKOPEO --registries.d "$T/rd/stage" copy -q --dest-tls-verify=false --sign-by "$A" "dir:$T/img" \
    "docker://$R/x/stage:2" >/dev/null 2>"$T/skopeo.err"
is "... skopeo refuses it too" "$? $(grep -c 'Writing directly to a http lookaside' "$T/skopeo.err")" "1 1"

# ------------------------------------------------ sigstore attachments
# sigstore_dir DIR SEED: a copy of the image whose signature-1 is a sigstore
# blob (0x00 "sigstore-json\n" JSON, as Go marshals it).
sigstore_dir() {
    rm -rf "$1" && cp -r "$T/img" "$1" && "$PYTHON3" - "$1/signature-1" "$2" "$D" <<'PYEOF'
import base64, json, sys
path, seed, digest = sys.argv[1:4]
payload = json.dumps({"critical": {"identity": {"docker-reference": "example.com/x"},
                                   "image": {"docker-manifest-digest": digest},
                                   "type": "cosign container image signature"},
                      "optional": {"seed": seed}}, separators=(",", ":")).encode()
sig = {"mimeType": "application/vnd.dev.cosign.simplesigning.v1+json",
       "payload": base64.b64encode(payload).decode(),
       "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ" + seed * 8}}
open(path, "wb").write(b"\0sigstore-json\n" + json.dumps(sig, separators=(",", ":")).encode())
PYEOF
}
sigstore_dir "$T/sg1" A && sigstore_dir "$T/sg2" B || { echo "Bail out! python failed"; exit 1; }
rd att <<EOF
docker:
  $R/att:
    use-sigstore-attachments: true
    lookaside: file://$T/laa
EOF
run_ok "a sigstore signature to a registry with attachments" \
    ferry --registries.d "$T/rd/att" copy --dest-tls-verify=false "dir:$T/sg1" "docker://$R/att/f:1"
$SKOPEO --registries.d "$T/rd/att" copy -q --dest-tls-verify=false "dir:$T/sg1" "docker://$R/att/s:1" \
    >/dev/null 2>&1 || not_ok "skopeo copy of a sigstore signature" "skopeo failed"
SIGTAG="sha256-$HEX.sig"
run_ok "... the $SIGTAG tag exists" ferry inspect --raw $NOTLS "docker://$R/att/f:$SIGTAG"
cp "$T/out" "$T/att.f"
$SKOPEO inspect --raw $NOTLS "docker://$R/att/s:$SIGTAG" >"$T/att.s" 2>/dev/null
same_file "... its manifest byte for byte as skopeo pushes it" "$T/att.f" "$T/att.s"
is "... an OCI manifest whose layer is the payload, annotated with the signature" "$("$PYTHON3" - "$T/att.f" \
    "$T/sg1/signature-1" <<'PYEOF'
import base64, json, sys
m = json.load(open(sys.argv[1]))
sig = json.loads(open(sys.argv[2], "rb").read()[len(b"\0sigstore-json\n"):])
import hashlib
layer = m["layers"][0]
print(m["mediaType"], len(m["layers"]), layer["mediaType"] == sig["mimeType"],
      layer["digest"] == "sha256:" + hashlib.sha256(base64.b64decode(sig["payload"])).hexdigest(),
      layer["annotations"] == sig["annotations"])
PYEOF
)" "application/vnd.oci.image.manifest.v1+json 1 True True True"
ferry inspect --raw --config $NOTLS "docker://$R/att/f:$SIGTAG" >"$T/attc.f" 2>/dev/null
$SKOPEO inspect --raw --config $NOTLS "docker://$R/att/s:$SIGTAG" >"$T/attc.s" 2>/dev/null
same_file "... its config as skopeo's" "$T/attc.f" "$T/attc.s"
is "... nothing in the lookaside" "$(files "$T/laa")" ""

run_ok "reading it back into dir:" ferry --registries.d "$T/rd/att" copy --src-tls-verify=false \
    "docker://$R/att/f:1" "dir:$T/back"
same_file "... yields the same blob" "$T/back/signature-1" "$T/sg1/signature-1"
$SKOPEO --registries.d "$T/rd/att" copy -q --src-tls-verify=false "docker://$R/att/s:1" "dir:$T/backs" \
    >/dev/null 2>&1
same_file "... as skopeo reads it" "$T/backs/signature-1" "$T/sg1/signature-1"

run_ok "a second signature" ferry --registries.d "$T/rd/att" copy --dest-tls-verify=false "dir:$T/sg2" \
    "docker://$R/att/f:1"
$SKOPEO --registries.d "$T/rd/att" copy -q --dest-tls-verify=false "dir:$T/sg2" "docker://$R/att/s:1" \
    >/dev/null 2>&1
ferry inspect --raw $NOTLS "docker://$R/att/f:$SIGTAG" >"$T/att2.f" 2>/dev/null
$SKOPEO inspect --raw $NOTLS "docker://$R/att/s:$SIGTAG" >"$T/att2.s" 2>/dev/null
is "... is appended, the first kept" "$(json "$T/att2.f" 'len(j["layers"])') $(json "$T/att2.f" \
    'j["layers"][0]["digest"]')" "2 $(json "$T/att.f" 'j["layers"][0]["digest"]')"
same_file "... the manifest as skopeo's" "$T/att2.f" "$T/att2.s"
run_ok "... the same one again" ferry --registries.d "$T/rd/att" copy --dest-tls-verify=false "dir:$T/sg2" \
    "docker://$R/att/f:1"
is "... is not added twice" "$(ferry inspect --raw $NOTLS "docker://$R/att/f:$SIGTAG" | json /dev/stdin \
    'len(j["layers"])')" 2
run_ok "both read back" ferry --registries.d "$T/rd/att" copy --src-tls-verify=false "docker://$R/att/f:1" \
    "dir:$T/back2"
same_file "... signature-1" "$T/back2/signature-1" "$T/sg1/signature-1"
same_file "... signature-2" "$T/back2/signature-2" "$T/sg2/signature-1"

run_status "a sigstore signature where attachments are off: exit 1" 1 ferry --registries.d "$T/rd/f" copy \
    --dest-tls-verify=false "dir:$T/sg1" "docker://$R/x/noatt:1"
stderr_one_line "... in one line, skopeo's words" "writing sigstore attachments is disabled by configuration"
$SKOPEO --registries.d "$T/rd/f" copy -q --dest-tls-verify=false "dir:$T/sg1" "docker://$R/x/noatt:2" \
    >/dev/null 2>"$T/skopeo.err"
is "... skopeo refuses it too" "$? $(grep -c 'writing sigstore attachments is disabled' "$T/skopeo.err")" "1 1"

finish
