#!/bin/bash
# tests/system/registries-conf.sh — registries.conf as containers/image
# applies it to docker:// references, against three real docker-registry
# instances (a primary P and mirrors A and B, plain HTTP, so that each
# location's `insecure` is what lets it be reached): a mirror that has the
# image, one that lacks it (falls through), a digest-only mirror asked for a
# tag, pull-from-mirror, a rewritten location, prefixes with a path and
# wildcards, blocked prefixes, pushes that never go to mirrors, the v1
# format, drop-ins, credential-helpers, and malformed files (one line naming
# file, line and key). Each pull case is compared with skopeo 1.9.3 given
# the same file through $HOME (it ignores $CONTAINERS_REGISTRIES_CONF).
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

start_registry primary
P="127.0.0.1:$REG_PORT_primary"
start_registry mirrora
A="127.0.0.1:$REG_PORT_mirrora"
start_registry mirrorb
B="127.0.0.1:$REG_PORT_mirrorb"
start_registry auth --htpasswd "u-helper:Pw-helper-9"
H="127.0.0.1:$REG_PORT_auth"

O="$T/img/layout"
V1=$(mkimage --layout oci --manifest oci --layers 2 --layer-size 8K --tag v1 "$O") ||
    { echo "Bail out! mkimage failed"; exit 1; }
O2="$T/img/layout2"
V2=$(mkimage --layout oci --manifest oci --layers 1 --layer-size 4K --seed 7 --tag v2 "$O2") ||
    { echo "Bail out! mkimage failed"; exit 1; }
NOTLS=(--dest-tls-verify=false)
# Mirror A has lib/img:v1; the primary has lib/only-primary:v2 and
# lib/pushed is pushed later; mirror B has nothing under lib/.
ferry copy -q "${NOTLS[@]}" "oci:$O:v1" "docker://$A/lib/img:v1" >/dev/null 2>&1 &&
    ferry copy -q "${NOTLS[@]}" "oci:$O2:v2" "docker://$P/lib/only-primary:v2" >/dev/null 2>&1 &&
    ferry copy -q "${NOTLS[@]}" "oci:$O:v1" "docker://$B/other/img:v1" >/dev/null 2>&1 &&
    ferry copy -q "${NOTLS[@]}" "oci:$O:v1" "docker://$H/private/img:v1" --dest-creds "u-helper:Pw-helper-9" \
        >/dev/null 2>&1 || { echo "Bail out! seeding the registries failed"; exit 1; }

CONF_DIR="$HOME/.config/containers"
mkdir -p "$CONF_DIR"
CONF="$CONF_DIR/registries.conf"
conf() { printf '%s\n' "$@" >"$CONF"; }

# manifest_digest TOOL REF: the digest `inspect` reports (empty on failure).
# --no-tags: the tag list is always read from the primary location, by both
# tools, and the primary lacks most images here.
manifest_digest() {
    local tool=$1 ref=$2
    timeout 60 "$tool" inspect --no-tags --format '{{.Digest}}' "$ref" 2>"$T/$tool.err"
}

# both_pull DESC REF WANT: ferry and skopeo both inspect REF and print WANT.
both_pull() {
    local desc=$1 ref=$2 want=$3
    is "$desc (ferry)" "$(manifest_digest ferry "$ref")" "$want"
    if [ "$HAVE_SKOPEO" = 1 ]; then
        is "$desc (skopeo 1.9.3 agrees)" "$(manifest_digest skopeo "$ref")" "$want"
    else
        skip "$desc (skopeo 1.9.3 agrees)" "skopeo not installed"
    fi
}

# both_fail DESC STATUS REF NEEDLE...: both tools fail; ferry with STATUS
# (2: the image was not found, as for any missing image; skopeo 1.9.3 exits
# 1 for everything) in one line naming each NEEDLE.
both_fail() {
    local desc=$1 want=$2 ref=$3; shift 3
    run ferry inspect --no-tags "$ref"
    is "$desc: ferry fails (exit $want)" "$RC" "$want"
    stderr_one_line "$desc: ... in one line naming each location tried" "$@"
    if [ "$HAVE_SKOPEO" = 1 ]; then
        local rc=0
        timeout 60 skopeo inspect --no-tags "$ref" >/dev/null 2>"$T/skopeo.err" || rc=$?
        is "$desc: skopeo 1.9.3 fails too" "$rc" 1
    else
        skip "$desc: skopeo 1.9.3 fails too" "skopeo not installed"
    fi
}

# ------------------------------------------------ mirrors
conf "[[registry]]" "prefix = \"$P/lib\"" "location = \"$P/lib\"" "insecure = true" \
    "[[registry.mirror]]" "location = \"$B/lib\"" "insecure = true" \
    "[[registry.mirror]]" "location = \"$A/lib\"" "insecure = true"
both_pull "a mirror that has the image serves it (the one before it lacks it)" "docker://$P/lib/img:v1" "$V1"
run_ok "copy through the mirror" ferry copy -q "docker://$P/lib/img:v1" "dir:$T/w/via-mirror"
is "... the manifest is the image's" "sha256:$(sha256sum <"$T/w/via-mirror/manifest.json" | cut -c1-64)" "$V1"
mark "$REG_DIR_mirrorb/registry.log"
run ferry inspect "docker://$P/lib/img:v1"
ok_mirror_b=$(since "$REG_DIR_mirrorb/registry.log" | grep -c 'lib/img/manifests/v1')
check "mirror B was asked first" [ "$ok_mirror_b" -ge 1 ]
both_pull "mirrors that lack the image fall through to the primary" "docker://$P/lib/only-primary:v2" "$V2"
both_fail "no location has it" 2 "docker://$P/lib/nowhere:v1" "Mirrors also failed" "$B/lib/nowhere:v1" \
    "$A/lib/nowhere:v1" "$P/lib/nowhere:v1"

# ------------------------------------------------ pushes never go to mirrors
run_ok "push under a prefix with mirrors" ferry copy -q "oci:$O:v1" "docker://$P/lib/pushed:v1"
is "... lands on the primary" "$(http_status "http://$P/v2/lib/pushed/tags/list")" 200
is "... not on mirror A" "$(http_status "http://$A/v2/lib/pushed/tags/list")" 404
is "... not on mirror B" "$(http_status "http://$B/v2/lib/pushed/tags/list")" 404

# ------------------------------------------------ digest-only mirrors
conf "[[registry]]" "prefix = \"$P/lib\"" "location = \"$P/lib\"" "insecure = true" "mirror-by-digest-only = true" \
    "[[registry.mirror]]" "location = \"$A/lib\"" "insecure = true"
both_fail "mirror-by-digest-only: a tag is not looked up on the mirror" 2 "docker://$P/lib/img:v1" "$P/lib/img:v1"
both_pull "mirror-by-digest-only: a digest reference is served by the mirror" "docker://$P/lib/img@$V1" "$V1"
conf "[[registry]]" "prefix = \"$P/lib\"" "location = \"$P/lib\"" "insecure = true" \
    "[[registry.mirror]]" "location = \"$A/lib\"" "insecure = true" "pull-from-mirror = \"digest-only\""
both_fail "pull-from-mirror = digest-only: a tag skips the mirror" 2 "docker://$P/lib/img:v1" "$P/lib/img:v1"
both_pull "pull-from-mirror = digest-only: a digest uses it" "docker://$P/lib/img@$V1" "$V1"
conf "[[registry]]" "prefix = \"$P/lib\"" "location = \"$P/lib\"" "insecure = true" \
    "[[registry.mirror]]" "location = \"$A/lib\"" "insecure = true" "pull-from-mirror = \"tag-only\""
both_pull "pull-from-mirror = tag-only: a tag uses the mirror" "docker://$P/lib/img:v1" "$V1"
both_fail "pull-from-mirror = tag-only: a digest skips it" 2 "docker://$P/lib/img@$V1" "$P/lib/img@$V1"

# ------------------------------------------------ location rewrite
conf "[[registry]]" "prefix = \"rewritten.example/team\"" "location = \"$A/lib\"" "insecure = true"
both_pull "a prefix is rewritten to its location" "docker://rewritten.example/team/img:v1" "$V1"
run_ok "copy from a rewritten location" ferry copy -q "docker://rewritten.example/team/img:v1" "oci:$T/w/rw:x"
run_ok "... its policy identity stays the reference given" ferry inspect --no-tags --format '{{.Name}}' \
    "docker://rewritten.example/team/img:v1"
is "... inspect's Name is the reference given" "$(cat "$T/out")" "rewritten.example/team/img"

# ------------------------------------------------ insecure and blocked by prefix
conf "[[registry]]" "location = \"$P/open\"" "insecure = true" \
    "[[registry]]" "location = \"$P/lib\"" "insecure = true" \
    "[[registry]]" "location = \"$P/lib/secret\"" "insecure = true" "blocked = true" \
    "[[registry]]" "prefix = \"*.blocked.example\"" "blocked = true"
both_pull "insecure applies to a prefix with a path" "docker://$P/lib/only-primary:v2" "$V2"
run ferry inspect --raw "docker://$P/elsewhere/x:v1"
is "... not to repositories outside it (TLS is required there)" "$RC" 1
both_fail "a blocked prefix refuses its repositories" 1 "docker://$P/lib/secret/x:v1" "$P/lib/secret" "is blocked in" "$CONF"
both_fail "a blocked *.domain wildcard refuses its subdomains" 1 "docker://a.blocked.example/x:v1" \
    "*.blocked.example" "is blocked"
run ferry copy -q "oci:$O:v1" "docker://$P/lib/secret/pushed:v1"
is "a push to a blocked prefix fails" "$RC" 1
stderr_one_line "... in one line" "is blocked"
is "... and nothing was pushed" "$(http_status "http://$P/v2/lib/secret/pushed/tags/list")" 404

# ------------------------------------------------ v1 format and drop-ins
conf "[registries.insecure]" "registries = [\"$A\"]"
both_pull "v1 [registries.insecure]" "docker://$A/lib/img:v1" "$V1"
conf "[registries.insecure]" "registries = [\"$A\"]" "[registries.block]" "registries = [\"$B\"]"
both_fail "v1 [registries.block]" 1 "docker://$B/other/img:v1" "$B" "is blocked"
conf "[[registry]]" "location = \"$A\"" "insecure = true"
mkdir -p "$CONF_DIR/registries.conf.d"
printf '%s\n' "[[registry]]" "location = \"$A\"" "blocked = true" >"$CONF_DIR/registries.conf.d/50-block.conf"
both_fail "a drop-in replaces the main file's entry" 1 "docker://$A/lib/img:v1" "$A" "is blocked"
rm -f "$CONF_DIR/registries.conf.d/50-block.conf"

# ------------------------------------------------ credential-helpers
cat >"$T/bin/docker-credential-ferrytest" <<HELPER
#!/bin/sh
read server
[ "\$1" = get ] && [ "\$server" = "$H" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"u-helper","Secret":"Pw-helper-9"}\n' "\$server"
HELPER
chmod +x "$T/bin/docker-credential-ferrytest"
conf "credential-helpers = [\"ferrytest\"]" "[[registry]]" "location = \"$H\"" "insecure = true"
both_pull "credential-helpers: a docker-credential-NAME helper is asked" "docker://$H/private/img:v1" "$V1"
conf "credential-helpers = [\"containers-auth.json\"]" "[[registry]]" "location = \"$H\"" "insecure = true"
run ferry inspect --no-tags "docker://$H/private/img:v1"
is "credential-helpers without it: no credentials, refused" "$RC" 1
conf "credential-helpers = [\"absent-helper\", \"ferrytest\"]" "[[registry]]" "location = \"$H\"" "insecure = true"
both_pull "a missing helper is skipped when a later one answers" "docker://$H/private/img:v1" "$V1"

# ------------------------------------------------ credentials and mirrors on other hosts
# --creds are for the registry named; a mirror on another host gets only
# what the auth files hold for it (containers/image drops them there too).
conf "[[registry]]" "location = \"$P/private\"" "insecure = true" \
    "[[registry.mirror]]" "location = \"$H/private\"" "insecure = true"
run ferry inspect --no-tags --creds "u-helper:Pw-helper-9" "docker://$P/private/img:v1"
is "--creds are not sent to a mirror on another host (it refuses, the primary lacks the image)" "$RC" 2
stderr_one_line "... one line naming both locations" "Mirrors also failed" "$H/private/img:v1" "$P/private/img:v1"
if [ "$HAVE_SKOPEO" = 1 ]; then
    rc=0; timeout 60 skopeo inspect --no-tags --creds "u-helper:Pw-helper-9" "docker://$P/private/img:v1" >/dev/null 2>&1 || rc=$?
    is "... skopeo 1.9.3 fails too" "$rc" 1
else
    skip "... skopeo 1.9.3 fails too" "skopeo not installed"
fi
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$H" "$(printf 'u-helper:Pw-helper-9' | base64)" >"$T/mirror-auth.json"
export REGISTRY_AUTH_FILE="$T/mirror-auth.json"
both_pull "the mirror's own stored credentials are used" "docker://$P/private/img:v1" "$V1"
unset REGISTRY_AUTH_FILE

# ------------------------------------------------ malformed files
bad_file() {
    local desc=$1 needle=$2; shift 2
    conf "$@"
    run ferry inspect "docker://$A/lib/img:v1"
    is "$desc: refused" "$RC" 1
    stderr_one_line "$desc: one line naming file, line and key" "$CONF:" "$needle"
    run_ok "$desc: a copy not involving a registry still works" ferry copy -q "oci:$O:v1" "dir:$T/w/bad-$RANDOM"
}
bad_file "an invalid prefix" ":2: key \"prefix\"" "[[registry]]" "prefix = \"not a/valid prefix\"" "location = \"$A\""
bad_file "a location with a URI scheme" ":2: key \"location\"" "[[registry]]" "location = \"http://$A\""
bad_file "a wildcard with a path" ":2: key \"prefix\"" "[[registry]]" "prefix = \"*.example.com/x\""
bad_file "a mistyped boolean" ":3: key \"insecure\"" "[[registry]]" "location = \"$A\"" "insecure = \"yes\""
bad_file "a TOML syntax error" ":2:" "[[registry]]" "location = \"$A"
finish
