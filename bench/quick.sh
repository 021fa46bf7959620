#!/usr/bin/env bash
# bench/quick.sh — the test suite's run of the benchmark in --quick mode (tiny
# fixtures, one round), so that the instrument never rots. It checks that the
# run succeeds, that every scenario ferry supports produced figures for both
# tools, and that the others are listed as skipped. Performance itself is not
# judged here: that is what bench/run is for.
set -u
echo "1..5"
# Under ASan (FERRY_SANITIZED) the figures would measure the checker, and the
# ferry code this runs (copy, inspect) is what the system tests run too; it
# cost the ASan suite 18 CPU-s.
if [ -n "${FERRY_SANITIZED:-}" ]; then
    for i in 1 2 3 4 5; do echo "ok $i # SKIP the benchmark instrument is tested in the plain run only"; done
    exit 0
fi
if [ -z "${SKOPEO:-}" ] || [ ! -x "$SKOPEO" ] || [ ! -x /usr/bin/time ]; then
    for i in 1 2 3 4 5; do echo "ok $i # SKIP skopeo or GNU time not installed"; done
    exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-quick.XXXXXX")
trap 'rm -rf "$work"' EXIT
out="$work/table.md"
/usr/bin/python3 "$SRCDIR/bench/ferrybench.py" --quick --ferry "$FERRY" --plugins "$FERRY_TRANSPORT_PATH" \
    --workdir "$work/w" --minutes 5 >"$out" 2>"$work/log"
status=$?
if [ $status -eq 0 ]; then echo "ok 1 - bench --quick exits 0"; else
    echo "not ok 1 - bench --quick exits 0 (exit $status)"; sed 's/^/# /' "$work/log"; fi
row_has_figures() { grep -E "^\| $1: " "$out" | grep -qE '\| [0-9.]+ s \(.*\| [0-9.]+ s \(.*MiB'; }
if row_has_figures oci-oci; then echo "ok 2 - oci-oci has wall, CPU and RSS for both tools"; else
    echo "not ok 2 - oci-oci has wall, CPU and RSS for both tools"; sed 's/^/# /' "$out"; fi
if row_has_figures inspect-local; then echo "ok 3 - inspect-local has figures"; else
    echo "not ok 3 - inspect-local has figures"; fi
# Every scenario appears: measured or skipped with a reason, never hidden.
listed=$(grep -cE '^\| [a-z-]+: ' "$out")
expected=$(/usr/bin/python3 "$SRCDIR/bench/ferrybench.py" --list | wc -l)
if [ "$listed" -eq "$expected" ]; then echo "ok 4 - all $expected scenarios are in the table"; else
    echo "not ok 4 - all $expected scenarios are in the table (got $listed)"; fi
# containers/storage leaves an overlay store mounted on itself; the bench
# unmounts each store it made, or the work dir could not be removed.
left=$(grep -c " $work/" /proc/mounts)
if [ "$left" -eq 0 ]; then echo "ok 5 - nothing left mounted under the work dir"; else
    echo "not ok 5 - nothing left mounted under the work dir ($left mounts)"; grep " $work/" /proc/mounts | sed 's/^/# /'; fi
