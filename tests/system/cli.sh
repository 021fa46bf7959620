#!/bin/bash
# tests/system/cli.sh — ferry's command line against skopeo's (TAP): --version,
# --help of every command and the flags it lists, flag syntaxes, exit codes
# 0/1/2, policy handling and manifest-digest.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

IMG="$T/img/plain"
mkimage --layers 2 --labels many --env A=1 "$IMG" >"$T/digest" || { echo "Bail out! mkimage failed"; exit 1; }
DIGEST=$(cat "$T/digest")
OCI="$T/img/layout"
mkimage --layout oci --manifest oci --tag v1 "$OCI" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }

# ------------------------------------------------ --version
run "$FERRY" --version
if [ "$RC" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 2 ] && head -n 1 "$T/out" | grep -qE '^ferry version [0-9]+\.[0-9]+\.[0-9]+$' &&
    sed -n 2p "$T/out" | grep -qE '^follows skopeo [0-9]+\.[0-9]+\.[0-9]+ \(containers/image [0-9]+\.[0-9]+\.[0-9]+\)$'; then
    ok "--version prints 'ferry version X.Y.Z' and 'follows skopeo X.Y.Z (containers/image X.Y.Z)'"
else
    not_ok "--version prints 'ferry version X.Y.Z' and the skopeo it follows" "exit $RC; stdout: $(cat "$T/out"); stderr: $(cat "$T/err")"
fi
cp "$T/out" "$T/version.long"
run "$FERRY" -v
same_file "-v prints the same as --version" "$T/out" "$T/version.long"

# ------------------------------------------------ --help
run "$FERRY" --help
if [ "$RC" -eq 0 ] && grep -q "Usage:" "$T/out"; then ok "--help exits 0 with a usage text"; else
    not_ok "--help exits 0 with a usage text" "exit $RC; stdout: $(head -c 1000 "$T/out")"; fi
missing=""
for c in copy inspect manifest-digest list-transports delete list-tags login logout sync \
    standalone-sign standalone-verify; do
    grep -qE "^[[:space:]]+$c([[:space:]]|$)" "$T/out" || missing="$missing $c"
done
is "--help lists skopeo's commands and list-transports" "${missing:-none missing}" "none missing"
cp "$T/out" "$T/help.main"
run "$FERRY" -h
same_file "-h prints the same as --help" "$T/out" "$T/help.main"

# flags_of FILE: long flag names a help text lists (from its flag lines).
flags_of() { grep -oE '^[[:space:]]+(-[a-zA-Z], )?--[a-z0-9.-]+' "$1" | grep -oE -- '--[a-z0-9.-]+' | LC_ALL=C sort -u; }

for c in copy inspect manifest-digest list-transports; do
    run "$FERRY" "$c" --help
    if [ "$RC" -eq 0 ] && grep -q "Usage:" "$T/out" && grep -q "ferry $c" "$T/out"; then
        ok "$c --help exits 0 with a usage text naming 'ferry $c'"
    else
        not_ok "$c --help exits 0 with a usage text naming 'ferry $c'" "exit $RC; stdout: $(head -c 1000 "$T/out"); stderr: $(cat "$T/err")"
    fi
    cp "$T/out" "$T/help.$c"
    run "$FERRY" help "$c"
    same_file "'help $c' prints the same as '$c --help'" "$T/out" "$T/help.$c"
    run "$FERRY" "$c" -h
    same_file "'$c -h' prints the same as '$c --help'" "$T/out" "$T/help.$c"
done

if [ "$HAVE_SKOPEO" = 1 ]; then
    for c in "" copy inspect manifest-digest; do
        # shellcheck disable=SC2086
        "$SKOPEO" $c --help >"$T/skhelp" 2>/dev/null
        if [ -z "$c" ]; then cp "$T/help.main" "$T/fyhelp"; else cp "$T/help.$c" "$T/fyhelp"; fi
        missing=$(LC_ALL=C comm -23 <(flags_of "$T/skhelp") <(flags_of "$T/fyhelp") | tr '\n' ' ')
        is "ferry ${c:-(global)} --help lists every flag skopeo ${c:-(global)} has" "${missing:-none missing}" "none missing"
    done
else
    skip "help flag sets compared with skopeo" "skopeo not installed"
fi

# ------------------------------------------------ unknown commands and flags
run "$FERRY" frobnicate
is "unknown command: exit 1" "$RC" 1
stderr_one_line "unknown command: one line naming it" "frobnicate"
run "$FERRY" --frobnicate inspect "dir:$IMG"
is "unknown global flag: exit 1" "$RC" 1
stderr_one_line "unknown global flag: one line naming it" "--frobnicate"
run "$FERRY" inspect --frobnicate "dir:$IMG"
is "unknown inspect flag: exit 1" "$RC" 1
stderr_one_line "unknown inspect flag: one line naming it" "--frobnicate"
run "$FERRY" inspect
is "inspect without an image: exit 1" "$RC" 1
run ferry copy --format=v3s9 "dir:$IMG" "dir:$T/w/badformat"
is "copy --format with an unknown value: exit 1" "$RC" 1
stderr_one_line "copy --format with an unknown value: one line naming it" "v3s9"
absent "copy --format with an unknown value: nothing written" "$T/w/badformat"
run ferry copy --image-parallel-copies=many "dir:$IMG" "dir:$T/w/badnum"
is "copy --image-parallel-copies=many: exit 1" "$RC" 1
absent "copy --image-parallel-copies=many: nothing written" "$T/w/badnum"

# ------------------------------------------------ flag syntaxes
run ferry inspect --format '{{.Digest}}' "dir:$IMG"
is "inspect --format VALUE" "$RC:$(cat "$T/out")" "0:$DIGEST"
run ferry inspect --format='{{.Digest}}' "dir:$IMG"
is "inspect --format=VALUE" "$RC:$(cat "$T/out")" "0:$DIGEST"
run ferry inspect -f '{{.Digest}}' "dir:$IMG"
is "inspect -f VALUE" "$RC:$(cat "$T/out")" "0:$DIGEST"
run ferry inspect "dir:$IMG" --format '{{.Digest}}'
is "inspect: flags after the image name" "$RC:$(cat "$T/out")" "0:$DIGEST"
run ferry inspect --raw "dir:$IMG"
cp "$T/out" "$T/raw.1"
same_file "inspect --raw prints manifest.json as stored" "$T/raw.1" "$IMG/manifest.json"
run ferry inspect --raw=true "dir:$IMG"
same_file "inspect --raw=true is --raw" "$T/out" "$T/raw.1"
run ferry inspect "dir:$IMG"
cp "$T/out" "$T/inspect.plain"
run ferry inspect --raw=false "dir:$IMG"
same_file "inspect --raw=false is plain inspect" "$T/out" "$T/inspect.plain"
run ferry inspect --tls-verify=false --no-tags "dir:$IMG"
same_file "inspect accepts --tls-verify=false and --no-tags for dir:" "$T/out" "$T/inspect.plain"
run ferry inspect -n "dir:$IMG"
same_file "inspect -n is --no-tags" "$T/out" "$T/inspect.plain"
run ferry --debug inspect "dir:$IMG"
same_file "--debug leaves stdout alone" "$T/out" "$T/inspect.plain"
run ferry --command-timeout 60s inspect "dir:$IMG"
same_file "--command-timeout 60s accepted" "$T/out" "$T/inspect.plain"
run ferry --command-timeout=1m inspect "dir:$IMG"
same_file "--command-timeout=1m accepted" "$T/out" "$T/inspect.plain"
run ferry --tmpdir "$T/tmp" inspect "dir:$IMG"
same_file "--tmpdir DIR accepted" "$T/out" "$T/inspect.plain"
run ferry --tmpdir="$T/tmp" --override-os linux --override-arch amd64 inspect "dir:$IMG"
same_file "--tmpdir=DIR, --override-os, --override-arch accepted" "$T/out" "$T/inspect.plain"
run_ok "copy --src-tls-verify=false --dest-tls-verify=false (as in the users' notes)" \
    ferry copy -q --src-tls-verify=false --dest-tls-verify=false "dir:$IMG" "dir:$T/w/tlsflags"
run_ok "copy --quiet --format oci (long forms)" ferry copy --quiet --format oci "dir:$IMG" "dir:$T/w/longflags"
run_ok "copy -q -f oci (short forms)" ferry copy -q -f oci "dir:$IMG" "dir:$T/w/shortflags"
same_file "short and long flag forms give the same image" "$T/w/shortflags/manifest.json" "$T/w/longflags/manifest.json"

# ------------------------------------------------ exit codes
run ferry inspect "dir:$IMG"
is "inspect of an existing image: exit 0" "$RC" 0
# skopeo 1.10+: 2 only when the image does not exist (a reference absent
# from a layout, a store or a registry); a missing directory or file is 1.
run ferry inspect "dir:$T/nonexistent"
is "inspect of a missing dir: image: exit 1 (not 'no such image' to skopeo)" "$RC" 1
stderr_one_line "missing dir: image: one line naming the path" "$T/nonexistent"
run ferry inspect "oci:$T/nonexistent-layout"
is "inspect of a missing oci layout: exit 1" "$RC" 1
stderr_one_line "missing oci layout: one line naming the path" "$T/nonexistent-layout"
run ferry inspect "oci:$OCI:nosuchtag"
is "inspect of a missing tag in a layout: exit 2" "$RC" 2
stderr_one_line "missing tag: one line naming it" "nosuchtag"
run ferry copy "dir:$T/nonexistent" "dir:$T/w/from-missing"
is "copy from a missing dir: image: exit 1" "$RC" 1
absent "copy from a missing image: nothing written" "$T/w/from-missing"
run ferry inspect "no-colon-here"
is "malformed reference: exit 1" "$RC" 1
stderr_one_line "malformed reference: one line naming it" "no-colon-here"

# ------------------------------------------------ policy
run_ok "--insecure-policy copies without a policy file" \
    "$FERRY" --insecure-policy copy -q "dir:$IMG" "dir:$T/w/insecure"
printf '%s\n' '{"default":[{"type":"reject"}]}' >"$T/reject.json"
run "$FERRY" --policy "$T/reject.json" copy -q "dir:$IMG" "dir:$T/w/rejected"
is "a reject policy refuses the copy: exit 1" "$RC" 1
stderr_one_line "policy refusal: one line" ""
absent "policy refusal: nothing written" "$T/w/rejected"
run "$FERRY" --policy "$T/no-such-policy.json" copy -q "dir:$IMG" "dir:$T/w/nopolicy"
is "a missing --policy file: exit 1" "$RC" 1
stderr_one_line "missing policy file: one line naming it" "$T/no-such-policy.json"
absent "missing policy file: nothing written" "$T/w/nopolicy"
printf '{"default": [' >"$T/broken-policy.json"
run "$FERRY" --policy "$T/broken-policy.json" copy -q "dir:$IMG" "dir:$T/w/brokenpolicy"
is "a malformed --policy file: exit 1" "$RC" 1
absent "malformed policy file: nothing written" "$T/w/brokenpolicy"
if [ "$HAVE_SKOPEO" = 1 ]; then
    run "$SKOPEO" --policy "$T/reject.json" copy -q "dir:$IMG" "dir:$T/w/sk-rejected"
    is "skopeo agrees that the reject policy refuses the copy" "$RC" 1
fi

# ------------------------------------------------ manifest-digest
mkimage --layout dir --manifest oci --compact "$T/img/ocim" >/dev/null
mkimage --layout dir --list "$T/img/list" >/dev/null
printf 'not json at all' >"$T/img/notjson"
: >"$T/img/empty"
{ cat "$IMG/manifest.json"; printf '\n\n'; } >"$T/img/trailing"
for f in "$IMG/manifest.json" "$T/img/ocim/manifest.json" "$T/img/list/manifest.json" \
    "$T/img/notjson" "$T/img/empty" "$T/img/trailing"; do
    want="$(sha256 "$f")"
    if [ "$HAVE_SKOPEO" = 1 ]; then want=$("$SKOPEO" manifest-digest "$f"); fi
    run ferry manifest-digest "$f"
    is "manifest-digest $(basename "$(dirname "$f")")/$(basename "$f") == skopeo's" "$RC:$(cat "$T/out")" "0:$want"
done
# A signed schema 1 manifest's digest is that of its JWS payload (skopeo's digest of this one).
run ferry manifest-digest "$SRCDIR/tests/unit/fixtures/schema1/a-v2s1.json"
is "manifest-digest of a signed schema 1 manifest == skopeo's" "$RC:$(cat "$T/out")" \
    "0:sha256:a87cc881537e2fdc44ac5ba9a7f4d080b3e10c4a76fb47df77dfa661c6c60a7a"
run ferry manifest-digest "$T/img/no-such-manifest.json"
is "manifest-digest of a missing file: exit 1" "$RC" 1
stderr_one_line "manifest-digest of a missing file: one line naming it" "$T/img/no-such-manifest.json"
run ferry manifest-digest
is "manifest-digest without an argument: exit 1" "$RC" 1
run ferry manifest-digest "$IMG/manifest.json" "$IMG/manifest.json"
is "manifest-digest with two arguments: exit 1" "$RC" 1

finish
