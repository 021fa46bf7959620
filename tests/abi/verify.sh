#!/bin/bash
# tests/abi/verify.sh — the core verifies manifests whatever a module does
# (TAP).
#
# The "tampered" test module (tests/abi/tampered.c) checks nothing and lies:
# it serves manifest bytes that do not match the digest the reference pins
# (docker_reference "…@sha256:…"), the digest an index names for the chosen
# instance, or its reader's own digest() claim. Every command reading the
# image must refuse it in one line naming the digest, exit 1, and leave
# nothing at the destination; the honest variants must keep working (so
# that a refusal for another reason cannot pass).
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"

export FERRY_TRANSPORT_PATH="$FERRY_TEST_PLUGINS:$FERRY_TRANSPORT_PATH"
PLATFORM=(--override-os linux --override-arch amd64)

run ferry inspect --raw tampered:good
if [ "$RC" -ne 0 ]; then
    not_ok "the tampered test module is loadable" "exit $RC; stderr: $(cat "$T/err")"
    finish
fi
GOOD=$(sha256 "$T/out")
ok "the tampered test module is loadable"

# refused DESC NEEDLE CMD...: exit 1 and one line of stderr naming NEEDLE.
refused() {
    local desc=$1 needle=$2; shift 2
    run "$@"
    is "$desc: exit 1" "$RC" 1
    stderr_one_line "$desc: one line naming the digest" "$needle"
    local ref
    for ref in "$@"; do case $ref in tampered:*) break ;; esac; done
    is "$desc: the line names $ref once" "$(grep -oF -- "$ref:" "$T/err" | wc -l)" 1
    if [ -s "$T/out" ] && [ "$1" = ferry ] && [ "$2" != copy ]; then
        not_ok "$desc: prints nothing" "stdout: $(head -c 500 "$T/out")"
    fi
}

# ---------------------------------------------------------------- honest variants work
for ref in good claim-ok pinned-ok; do
    run ferry inspect --raw "tampered:$ref"
    is "tampered:$ref: inspect --raw serves the manifest" "$RC:$(sha256 "$T/out")" "0:$GOOD"
    run_ok "tampered:$ref: copy to oci" ferry copy -q "tampered:$ref" "oci:$T/ok-$ref:t"
    run checkimage verify oci "$T/ok-$ref:t" --print digest
    is "tampered:$ref: the copy holds the good manifest" "$RC:$(cat "$T/out")" "0:$GOOD"
done
run ferry inspect --raw tampered:list-ok
INDEX=$(sha256 "$T/out")
run ferry inspect "${PLATFORM[@]}" tampered:list-ok
is "tampered:list-ok: inspect reads the instance (Digest is the index's, as skopeo's)" \
    "$RC:$(json "$T/out" 'j["Digest"]'):$(json "$T/out" 'j["Env"]')" "0:$INDEX:['TAMPERED=0']"
run_ok "tampered:list-ok: copy --all to oci" ferry copy -q --all tampered:list-ok "oci:$T/ok-list:t"

# ---------------------------------------------------------------- tampered manifests are refused
# c/image's wording (UnparsedImage's, for a pinned digest and an instance).
PINNED="Manifest does not match provided manifest digest $GOOD"
SELECTED=$PINNED
for ref in claim pinned; do
    refused "tampered:$ref: inspect" "$PINNED" ferry inspect "tampered:$ref"
    refused "tampered:$ref: inspect --raw" "$PINNED" ferry inspect --raw "tampered:$ref"
    refused "tampered:$ref: inspect --config" "$PINNED" ferry inspect --config "tampered:$ref"
    refused "tampered:$ref: copy" "$PINNED" ferry copy -q "tampered:$ref" "oci:$T/d-$ref:t"
    absent "tampered:$ref: copy leaves no destination" "$T/d-$ref"
    refused "tampered:$ref: copy --all" "$PINNED" ferry copy -q --all "tampered:$ref" "dir:$T/a-$ref"
    absent "tampered:$ref: copy --all leaves no destination" "$T/a-$ref"
done

refused "tampered:list: inspect" "$SELECTED" ferry inspect "${PLATFORM[@]}" tampered:list
refused "tampered:list: inspect --config" "$SELECTED" ferry inspect --config "${PLATFORM[@]}" tampered:list
refused "tampered:list: copy (the platform's instance)" "$SELECTED" \
    ferry copy -q "${PLATFORM[@]}" tampered:list "oci:$T/d-list:t"
absent "tampered:list: copy leaves no destination" "$T/d-list"
refused "tampered:list: copy --all" "$SELECTED" ferry copy -q --all tampered:list "oci:$T/a-list:t"
absent "tampered:list: copy --all leaves no destination" "$T/a-list"
# The index itself is honest: --raw prints it without reading the instance.
run ferry inspect --raw tampered:list
is "tampered:list: inspect --raw prints the index, which is not tampered" "$RC" 0

refused "tampered:claim-junk: a claim that is no digest is refused" 'claims an invalid manifest digest "not-a-digest"' \
    ferry inspect --raw tampered:claim-junk

finish
