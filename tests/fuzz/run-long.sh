#!/bin/sh
# tests/fuzz/run-long.sh — a long run of one libFuzzer target, for
# accumulating fuzzing hours across sessions: runs TARGET for SECONDS
# (-max_total_time) on a persistent work corpus, $FUZZ_LONG_DIR/TARGET
# (default /work/fuzz-work/TARGET, outside the repository; seeded from
# tests/fuzz/corpus/TARGET, which is read too but never written), keeps
# crashing inputs in $FUZZ_LONG_DIR/artifacts/TARGET/ and the output in
# $FUZZ_LONG_DIR/logs/, and appends "TARGET SECONDS EXECS CRASHES CPU_SECONDS"
# to $FUZZ_LONG_DIR/hours.log (SECONDS is wall time; CPU_SECONDS, user+system,
# is what counts towards fuzzing hours on a shared machine). The target binary is taken from $FUZZ_WORK
# (default ./fuzz-work, as `make fuzz-build` leaves it in the build tree).
#   usage: tests/fuzz/run-long.sh TARGET SECONDS
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 TARGET SECONDS" >&2
    exit 2
fi
target=$1 seconds=$2
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
work=${FUZZ_WORK:-$(pwd)/fuzz-work}
long=${FUZZ_LONG_DIR:-/work/fuzz-work}
binary=$work/$target
if [ ! -x "$binary" ]; then
    echo "$0: $binary not found: run make fuzz-build first (./configure --enable-fuzz)" >&2
    exit 2
fi
corpus=$long/$target
artifacts=$long/artifacts/$target
mkdir -p "$corpus" "$artifacts" "$long/logs" || exit 2
log=$long/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log
start=$(date +%s)
# One job, lowest priority: the machine is shared. libFuzzer's -timeout is
# wall time, and at nice 19 on a loaded machine an input of a few CPU
# milliseconds has waited over 10 s (four such "timeouts" re-ran in under
# 1.3 s): 60 s still catches a real hang.
cpu=$long/logs/.cpu.$$
/usr/bin/time -o "$cpu" -f '%U %S' nice -n 19 "$binary" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "$srcdir/tests/fuzz/corpus/$target" >"$log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
# libFuzzer exits 72 (-interrupted_exitcode) when stopped with SIGINT, which
# is how a long run is cut short: its hours count, it found nothing.
[ "$rc" -eq 72 ] && rc=0
crashes=0
[ "$rc" -eq 0 ] || crashes=1
cpu_seconds=$(awk 'END { printf "%d", $1 + $2 }' "$cpu" 2>/dev/null)
rm -f "$cpu"
echo "$target $elapsed ${execs:-0} $crashes ${cpu_seconds:-0}" >>"$long/hours.log"
echo "$target: $elapsed s, ${execs:-0} runs, $crashes crashes (log: $log)"
[ "$rc" -eq 0 ] || tail -n 30 "$log"
exit $rc
