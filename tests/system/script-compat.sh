#!/bin/bash
# tests/system/script-compat.sh — what a skopeo user's scripts see (TAP):
# exit status 2 only where skopeo 1.10+ gives 2 (the image does not exist:
# a reference absent from an OCI layout or archive, no such image in a
# containers-storage store; the registry case is in docker-copy.sh), 1 for
# every other failure (a missing dir:, layout or archive file, no instance
# of a list for the platform); the error texts scripts grep, worded as
# current skopeo words them and compared with Debian's skopeo 1.9.3 where it
# is installed (1.9.3 exits 1 for everything and quotes less); --screds and
# --dcreds as --src-creds and --dest-creds for copy and sync.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

{
    mkimage --layout dir --manifest docker --list "$T/dlist" >/dev/null &&
        mkimage --layout oci --manifest oci --list --tag g "$T/olist" >/dev/null &&
        mkimage --layout dir --manifest docker "$T/plain" >/dev/null &&
        mkimage --layout oci --manifest oci --tag v1 "$T/layout" >/dev/null
} || { echo "Bail out! mkimage failed"; exit 1; }
HAVE_SKOPEO=0
[ -n "$SKOPEO" ] && [ -x "$SKOPEO" ] && HAVE_SKOPEO=1

# skopeo_err DESC NEEDLE CMD...: skopeo (when installed) fails CMD with NEEDLE
# in its error, so the text ferry is checked for is skopeo's.
skopeo_err() {
    local desc=$1 needle=$2; shift 2
    if [ "$HAVE_SKOPEO" -eq 0 ]; then skip "$desc" "skopeo not installed"; return; fi
    timeout -k 10 "$FERRY_TEST_TIMEOUT" skopeo "$@" >"$T/sk.out" 2>"$T/sk.err" </dev/null
    local rc=$?
    if [ "$rc" -ne 0 ] && grep -qF -- "$needle" "$T/sk.err"; then ok "$desc"; else
        not_ok "$desc" "skopeo exit $rc; stderr: $(head -c 1000 "$T/sk.err")"; fi
}

# ------------------------------------------------ no instance of a list for the platform: 1
NOPLATFORM='no image found in manifest list for architecture "s390x", variant "", OS "linux"'
run ferry --override-arch s390x inspect "dir:$T/dlist"
is "inspect, no list instance for the platform: exit 1 (not 2)" "$RC" 1
stderr_one_line "... worded as skopeo inspect words it" \
    "parsing manifest for image: choosing image instance: $NOPLATFORM"
# skopeo 1.9.3 has the same words, without quotes around architecture and OS.
skopeo_err "... skopeo 1.9.3 says the same (older quoting)" \
    'parsing manifest for image: choosing image instance: no image found in manifest list for architecture s390x' \
    --override-arch s390x inspect "dir:$T/dlist"
run ferry --override-arch s390x copy -q "dir:$T/dlist" "dir:$T/w/none"
is "copy, no list instance for the platform: exit 1" "$RC" 1
stderr_one_line "... worded as skopeo copy words it" "choosing an image from manifest list dir:$T/dlist: $NOPLATFORM"
skopeo_err "... skopeo 1.9.3 says the same (older quoting)" \
    "choosing an image from manifest list dir:$T/dlist: no image found in manifest list for architecture s390x" \
    --override-arch s390x copy -q "dir:$T/dlist" "dir:$T/w/sk-none"
absent "... nothing written" "$T/w/none"
run ferry --override-arch s390x inspect "oci:$T/olist:g"
is "an OCI index without the platform: exit 1" "$RC" 1
stderr_one_line "... 'image index' as containers/image words it for an index" \
    'no image found in image index for architecture "s390x", variant "", OS "linux"'

# ------------------------------------------------ the image does not exist: 2
run ferry inspect "oci:$T/layout:nosuch"
is "a tag absent from an OCI layout: exit 2" "$RC" 2
stderr_one_line "... one line naming the tag" "nosuch"
run ferry copy -q "oci:$T/layout:nosuch" "dir:$T/w/nosuch"
is "copy of a tag absent from an OCI layout: exit 2" "$RC" 2
CS="[vfs@$T/cs/root+$T/cs/run]"
run_ok "a store with another image in it" ferry copy -q "dir:$T/plain" "containers-storage:${CS}example.com/present:v1"
run ferry inspect "containers-storage:${CS}example.com/nosuch:v1"
is "no such image in a containers-storage store: exit 2" "$RC" 2
stderr_one_line "... one line as containers/image words it" \
    "reference \"${CS}example.com/nosuch:v1\" does not resolve to an image ID"
skopeo_err "... skopeo says the same" "does not resolve to an image ID" \
    inspect "containers-storage:${CS}example.com/nosuch:v1"

# ------------------------------------------------ every other failure: 1
run ferry inspect "dir:$T/nonexistent"
is "a missing dir: directory: exit 1" "$RC" 1
run ferry inspect "oci:$T/nonexistent"
is "a missing OCI layout directory: exit 1" "$RC" 1
mkdir -p "$T/notlayout"
run ferry inspect "oci:$T/notlayout:v1"
is "a directory without index.json: exit 1" "$RC" 1
stderr_one_line "... one line naming index.json" "index.json"
run ferry inspect "oci-archive:$T/nonexistent.tar"
is "a missing OCI archive file: exit 1" "$RC" 1
run ferry inspect "docker-archive:$T/nonexistent.tar"
is "a missing docker archive file: exit 1" "$RC" 1
run ferry --policy "$T/nonexistent-policy.json" copy -q "dir:$T/plain" "dir:$T/w/nopolicy"
is "a missing policy file: exit 1" "$RC" 1

# ------------------------------------------------ --screds / --dcreds
run_ok "copy --screds USER:PASS --dcreds USER:PASS (dir: ignores them, as skopeo)" \
    ferry copy -q --screds u:p --dcreds u:p "dir:$T/plain" "dir:$T/w/creds"
if [ "$HAVE_SKOPEO" -eq 1 ]; then
    run skopeo copy -q --screds u:p --dcreds u:p "dir:$T/plain" "dir:$T/w/sk-creds"
    is "... skopeo accepts the same flags" "$RC" 0
else skip "... skopeo accepts the same flags" "skopeo not installed"; fi
# They are the same options: the same rules apply to them.
run ferry copy -q --screds u:p --src-username u "dir:$T/plain" "dir:$T/w/c1"
is "--screds with --src-username: refused like --src-creds" "$RC" 1
stderr_one_line "... one line" "--src-creds and --src-username/--src-password cannot be used together"
run ferry copy -q --dcreds u:p --dest-no-creds "dir:$T/plain" "dir:$T/w/c2"
is "--dcreds with --dest-no-creds: refused like --dest-creds" "$RC" 1
stderr_one_line "... one line" "--dest-no-creds cannot be used together with credentials"
run ferry copy -q --screds "" "dir:$T/plain" "dir:$T/w/c3"
is "an empty --screds is refused like an empty --src-creds" "$RC" 1
run ferry copy -q --screds u:p --src-creds u:q "dir:$T/plain" "dir:$T/w/c4"
is "--screds and --src-creds together: refused" "$RC" 1
stderr_one_line "... one line naming both" "--src-creds" "--screds"
run ferry sync --src dir --dest docker --dcreds u:p --dest-username u "$T/plain" 127.0.0.1:1/sync
is "sync --dcreds with --dest-username: refused like --dest-creds" "$RC" 1
stderr_one_line "... one line" "--dest-creds and --dest-username/--dest-password cannot be used together"
run_ok "sync --screds/--dcreds accepted (dir: and oci: ignore them)" ferry sync --src dir --dest oci \
    --screds u:p --dcreds u:p "$T/plain" "$T/w/sync"
for cmd in copy sync; do
    "$FERRY" $cmd --help >"$T/help" 2>&1
    if grep -qE -- '^ +--screds ' "$T/help" && grep -qE -- '^ +--dcreds ' "$T/help"; then
        ok "$cmd --help lists --screds and --dcreds"
    else not_ok "$cmd --help lists --screds and --dcreds" "$(grep -E 'creds' "$T/help")"; fi
done

finish
