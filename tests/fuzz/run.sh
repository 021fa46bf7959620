#!/bin/sh
# tests/fuzz/run.sh — `make fuzz`: runs each libFuzzer target for SECONDS on a
# fresh copy of its seed corpus (tests/fuzz/corpus/TARGET) in WORK, and
# records each run as automake's harness records a test: WORK/TARGET.log
# (libFuzzer's output) and WORK/TARGET.trs with one `:test-result:` line,
# so that .ci/run's summary counts it. A crash, a leak, undefined behaviour,
# a timeout or an out-of-memory fails the target; crashing inputs are kept in
# WORK/artifacts/TARGET/. Exits 1 when any target failed. $FUZZ_JOBS targets
# (default 1) run at once, each as one libFuzzer job.
#   usage: run.sh SRCDIR WORK SECONDS TARGET...
set -u
srcdir=$1 work=$2 seconds=$3
shift 3
if [ $# -gt 1 ] && [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    printf '%s\n' "$@" | xargs -n 1 -P "$FUZZ_JOBS" env FUZZ_JOBS=1 sh "$0" "$srcdir" "$work" "$seconds"
    [ $? -eq 0 ] || exit 1
    exit 0
fi
status=0
for target in "$@"; do
    corpus=$work/corpus/$target
    artifacts=$work/artifacts/$target
    log=$work/$target.log
    rm -rf "$corpus" "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp "$srcdir/tests/fuzz/corpus/$target/"* "$corpus/" 2>/dev/null
    printf '%s: fuzzing for %s s\n' "$target" "$seconds"
    # -timeout: an input taking 10 s is a finding (a hang) as much as a crash.
    nice -n 10 "$work/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        result=PASS
    else
        result=FAIL
        status=1
        grep -A 30 -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|.*deadly signal|ALARM)' "$log"
    fi
    printf '%s: %s: %s s, %s runs (log: %s)\n' "$result" "$target" "$seconds" "${execs:-0}" "$log"
    {
        printf ':test-result: %s\n' "$result"
        printf ':global-test-result: %s\n' "$result"
        printf ':recheck: %s\n' "$([ "$result" = PASS ] && echo no || echo yes)"
        printf ':copy-in-global-log: %s\n' "$([ "$result" = PASS ] && echo no || echo yes)"
    } >"$work/$target.trs"
    printf '%s: %s fuzzing for %s s, %s runs\n' "$result" "$target" "$seconds" "${execs:-0}" >>"$log"
done
exit $status
