#!/bin/bash
# tests/abi/rules.sh — the rules the plugin headers state, checked by the
# probe module (tests/abi/probe.c) while the core drives it (TAP):
# which calls may overlap on one object, that a ctx is never in two calls at
# once and close gets the ctx of open, that readers close before their
# source, that every reference is validated for what it is used for
# (validate_reference_for, 1.4); that a manifest put_manifest refuses is
# not offered again; what the DiffID and size bits promise a destination,
# and the DiffID check of recompressed layers; boolean option keys; the 1.4
# file services; and how policy.json scopes match a third-party transport's
# identities.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"

export FERRY_TRANSPORT_PATH="$FERRY_TEST_PLUGINS:$FERRY_TRANSPORT_PATH"
BROKEN="ABI rule broken"

# most_at_once ROLE: the most calls at once the probe saw on its ROLE
# ("probe source", "probe-serial destination", ...) in the last run's stderr.
most_at_once() { sed -n "s/.*probe: $1: at most \([0-9]*\) calls at once.*/\1/p" "$T/err" | sort -n | tail -n 1; }

# rules_kept DESC: the last run exited 0 and the probe saw no rule broken.
rules_kept() {
    if [ "$RC" -eq 0 ] && ! grep -qF "$BROKEN" "$T/err"; then ok "$1"; else
        not_ok "$1" "exit $RC; stderr: $(head -c 3000 "$T/err")"; fi
}

# ------------------------------------------------ threading
run ferry --debug copy probe:a "probe:$T/out-par"
rules_kept "parallel copy probe: -> probe: keeps every threading and ctx rule"
src=$(most_at_once "probe source") dst=$(most_at_once "probe destination")
if [ "${src:-0}" -ge 2 ] && [ "${dst:-0}" -ge 2 ]; then
    ok "... and did run blob calls in parallel (source $src, destination $dst at once), so the check had teeth"
else
    not_ok "... and did run blob calls in parallel" "source ${src:-?}, destination ${dst:-?}; stderr: $(cat "$T/err")"
fi

run ferry --debug copy --image-parallel-copies 1 probe:a probe:b
rules_kept "copy with --image-parallel-copies 1 keeps the rules"
is "... and makes no call overlap on the source" "$(most_at_once "probe source")" 1

run ferry --debug copy probe-serial:a probe-serial:b
rules_kept "copy between transports without the parallel bits keeps the rules"
is "... source calls never overlap" "$(most_at_once "probe-serial source")" 1
is "... destination calls never overlap" "$(most_at_once "probe-serial destination")" 1

run ferry --debug copy probe:a probe-serial:b
rules_kept "PARALLEL_GET source to a destination without PARALLEL_PUT keeps the rules"
is "... and the source is not read in parallel (both bits are needed)" "$(most_at_once "probe source")" 1

# The checker itself: probe-serial declaring the parallel bits while still
# expecting serial calls must see the overlaps and fail the copy.
FERRY_PROBE_DECLARE_PARALLEL=1 run ferry --debug copy probe-serial:a probe-serial:b
if [ "$RC" -ne 0 ] && grep -qF "$BROKEN: calls overlapped without the parallel capability" "$T/err"; then
    ok "the probe detects overlapping calls (it declared parallel bits, expected none): exit $RC"
else
    not_ok "the probe detects overlapping calls" "exit $RC; stderr: $(head -c 2000 "$T/err")"
fi

run ferry --debug inspect probe:a
rules_kept "inspect keeps the rules (close gets the ctx of open, readers closed first)"

# ------------------------------------------------ put_manifest refusing the manifest
# The core offers put_manifest one manifest: FERRY_ERR_UNSUPPORTED fails the
# copy (no second attempt in another type, no commit); manifest_types is how a
# destination gets a conversion.
run ferry copy -q probe:a probe:refuse-manifest
is "put_manifest's FERRY_ERR_UNSUPPORTED fails the copy" "$RC" 1
stderr_one_line "... in one line with the module's message" "probe:refuse-manifest" "refused"
run ferry --debug copy probe:a probe:refuse-manifest
is "... after exactly one put_manifest call and no commit" \
    "$(sed -n 's/.*probe: probe destination: \([0-9]* put_manifest calls, [0-9]* commits\).*/\1/p' "$T/err")" \
    "1 put_manifest calls, 0 commits"
if grep -qF "$BROKEN" "$T/err"; then not_ok "... and keeps the rules" "$(head -c 2000 "$T/err")"; else
    ok "... and keeps the rules"; fi

# ------------------------------------------------ what a destination's bits promise
# probe-diffids (COMPUTES_DIFFIDS), probe-unpacked (NEEDS_UNCOMPRESSED) and
# probe-sized (NEEDS_BLOB_SIZE) check in put_blob what their bit promises
# (probe.c): DiffIDs given, bytes that hash to them, sizes and digests known
# before the first byte. Sources: gzip layers, zstd layers, plain layers.
# These transports are found by loading every module, so the test modules
# that refuse to load are left out of the path here.
mkdir -p "$T/probe-only" && ln -sf "$FERRY_TEST_PLUGINS/.libs/probe.so" "$T/probe-only/probe.so"
saved_path=$FERRY_TRANSPORT_PATH
export FERRY_TRANSPORT_PATH="$T/probe-only:${FERRY_TRANSPORT_PATH#"$FERRY_TEST_PLUGINS:"}"
mkimage --layout dir --layers 2 "$T/gz" >/dev/null &&
    mkimage --layout dir --layers 2 --compression none "$T/plain" >/dev/null &&
    mkimage --layout dir --layers 2 --bad diffid-mismatch "$T/gz-bad" >/dev/null ||
    { echo "Bail out! mkimage failed"; exit 1; }
run_ok "a zstd copy of the gzip image" ferry copy -q --dest-compress-format zstd "dir:$T/gz" "oci:$T/zs:t"
for dest in probe-diffids probe-unpacked probe-sized; do
    for src in "dir:$T/gz" "oci:$T/zs:t" "dir:$T/plain"; do
        run ferry copy -q "$src" "$dest:x"
        rules_kept "${src#*"$T/"} -> $dest: the layers come as the bit promises"
    done
    run ferry copy -q "dir:$T/gz-bad" "$dest:x"
    if [ "$dest" = probe-sized ]; then
        rules_kept "a wrong DiffID in the config passes to $dest (nothing there unpacks or needs it)"
    else
        is "a wrong DiffID in the config: refused for $dest (exit 1)" "$RC" 1
        stderr_one_line "... in one line, by the core's check" "DiffID digest mismatch"
    fi
done
run ferry copy -q --format oci --dest-compress-format zstd --dest-force-compress-format "dir:$T/gz" probe-sized:x
rules_kept "recompressed layers reach probe-sized with their new size and digest (spooled)"

# The core checks what it unpacks to recompress (here gzip to zstd) against
# the DiffID too, as it does what it decompresses.
run ferry copy -q --format oci --dest-compress --dest-compress-format zstd "dir:$T/gz-bad" "dir:$T/re-bad"
is "recompressing a layer whose DiffID is wrong: refused (exit 1)" "$RC" 1
stderr_one_line "... in one line" "DiffID digest mismatch"
absent "... nothing written" "$T/re-bad/manifest.json"
run_ok "recompressing a sound image works" \
    ferry copy -q --format oci --dest-compress --dest-compress-format zstd "dir:$T/gz" "dir:$T/re-good"
export FERRY_TRANSPORT_PATH=$saved_path

# ------------------------------------------------ boolean option keys (doc §6)
# option_seen: the "compress" the probe destination was given in the last run.
option_seen() { sed -n 's/.*probe: option compress: \(.*\)$/\1/p' "$T/err" | head -n 1; }
run ferry --debug copy probe:a probe:opt
is "a boolean flag not given: its key is unset" "$RC:$(option_seen)" "0:(unset)"
run ferry --debug copy --dest-compress probe:a probe:opt
is "--dest-compress: \"true\"" "$RC:$(option_seen)" "0:true"
run ferry --debug copy --dest-compress=false probe:a probe:opt
is "--dest-compress=false: \"false\", not unset" "$RC:$(option_seen)" "0:false"

# ------------------------------------------------ validate_reference_for (1.4)
# purpose_of REF: the purpose the probe was told for REF in the last run.
purpose_of() { sed -n "s/.*probe: validate_reference_for $1: \(.*\)$/\1/p" "$T/err" | tr '\n' ' ' | sed 's/ $//'; }

run ferry --debug copy probe:src1 probe:dst1
is "copy validates its source for read" "$(purpose_of src1)" read
is "copy validates its destination for write" "$(purpose_of dst1)" write
run ferry --debug inspect probe:ins1
is "inspect validates for read" "$RC:$(purpose_of ins1)" 0:read
run ferry --debug delete probe:del1
is "delete validates for delete" "$RC:$(purpose_of del1)" 0:delete
run ferry --debug list-tags probe:tags1
is "list-tags validates for list-tags" "$RC:$(purpose_of tags1)" 0:list-tags
grep -qF '"probe-tag"' "$T/out" && ok "... and lists the module's tags" || not_ok "... and lists the module's tags" "$(cat "$T/out")"
run ferry inspect probe:
is "an empty probe reference is refused by validate_reference_for" "$RC" 1
stderr_one_line "... in one line" 'invalid image name "probe:": empty reference'
run ferry inspect frozen10:
is "a 1.0 module is still validated by validate_reference" "$RC" 1
stderr_one_line "... in one line" 'invalid image name "frozen10:": empty reference'

# ------------------------------------------------ the 1.4 file services
want=$(ferry inspect --raw probe:a | sha256sum | cut -d' ' -f1)
if [ -f "$T/out-par/manifest.json" ] && [ "$(sha256 "$T/out-par/manifest.json")" = "sha256:$want" ]; then
    ok "mkdir_p and write_file_atomic: the probe destination wrote DIR/manifest.json"
else
    not_ok "mkdir_p and write_file_atomic: the probe destination wrote DIR/manifest.json" "$(ls -la "$T/out-par" 2>&1)"
fi
ls -A "$T/out-par" | grep -v '^manifest.json$' >"$T/leftover"
is "write_file_atomic leaves no temporary file behind" "$(cat "$T/leftover")" ""
run ferry inspect --raw "probe:$T/out-par"
is "file_reader serves the manifest from the file (memory_reader served it before)" "$RC:$(sha256 "$T/out")" \
    "0:sha256:$want"
mkdir -p "$T/nothing"
run ferry inspect "probe:$T/nothing"
is "file_reader: a missing file is FERRY_ERR_NOT_FOUND (exit 2)" "$RC" 2
stderr_one_line "... in one line naming the reference and the file" "probe:$T/nothing" "$T/nothing/manifest.json"
mkdir -p "$T/notfile/manifest.json"
run ferry inspect "probe:$T/notfile"
is "file_reader: a directory instead of the file is refused (exit 1)" "$RC" 1
stderr_one_line "... in one line saying it is not a regular file" "not a regular file"

# ------------------------------------------------ policy scopes of a third-party transport
# policy_with SCOPES_JSON: a policy rejecting everything but what transports.probe accepts.
policy_with() {
    cat >"$T/p.json" <<EOF
{"default": [{"type": "reject"}], "transports": {"probe": $1}}
EOF
}
accept='[{"type": "insecureAcceptAnything"}]'
reject='[{"type": "reject"}]'
# allowed REF: exit status of copying REF under $T/p.json.
allowed() { run "$FERRY" --policy "$T/p.json" copy -q "$1" probe:polout; echo "$RC"; }

mkdir -p "$T/pol/trusted" "$T/pol/other"
cp -r "$T/out-par" "$T/pol/trusted/app"
cp -r "$T/out-par" "$T/pol/other/app"
policy_with "{\"$T/pol/trusted\": $accept}"
is "policy: a path scope accepts a third-party identity below it" "$(allowed "probe:$T/pol/trusted/app")" 0
is "policy: ... and not one beside it (default: reject)" "$(allowed "probe:$T/pol/other/app")" 1
stderr_one_line "... refused in one line naming the image" "probe:$T/pol/other/app" "rejected"
policy_with "{\"$T/pol/trusted/app\": $accept, \"$T/pol\": $reject}"
is "policy: the identity itself wins over its namespaces" "$(allowed "probe:$T/pol/trusted/app")" 0
is "policy: ... and a namespace wins over the default" "$(allowed "probe:$T/pol/other/app")" 1
policy_with "{\"bucket/team\": $accept}"
is "policy: a non-path identity is matched by its '/' prefixes (bucket/team accepts bucket/team/app:1)" \
    "$(allowed probe:bucket/team/app:1)" 0
policy_with "{\"bucket/tea\": $accept}"
is "policy: ... but not by a mere string prefix (bucket/tea)" "$(allowed probe:bucket/team/app:1)" 1
policy_with "{\"\": $accept}"
is "policy: the transport's \"\" scope applies to every identity" "$(allowed probe:anything)" 0

finish
