# tests/system/lib.sh — shared helpers of ferry's system tests (bash, TAP).
#
# Sourced by every tests/system/*.sh and tests/abi/*.sh script. The
# environment comes from tests/Makefile.inc: FERRY (the built binary),
# FERRY_TRANSPORT_PATH (build-tree plugins), FERRY_TEST_PLUGINS (test modules),
# SRCDIR, BUILDDIR, SKOPEO, PYTHON3.
#
# Each script gets its own scratch directory $T (mktemp -d, removed on exit),
# a test policy $POLICY, and wrappers in $T/bin so that `ferry ...` and
# `skopeo ...` both always run with that policy:
#     ferry  = $FERRY  --policy $POLICY
#     skopeo = $SKOPEO --policy $POLICY
# TAP: every check prints one "ok"/"not ok" line; the plan is printed at the
# end ("1..N"). A script that dies early prints a failing line, so an abort
# can never pass unnoticed.

set -u

: "${FERRY:?FERRY must name the built ferry binary}"
: "${FERRY_TRANSPORT_PATH:?FERRY_TRANSPORT_PATH must name the build-tree plugins}"
: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILDDIR:=$SRCDIR}"
: "${FERRY_TEST_PLUGINS:=$BUILDDIR/tests/abi}"
: "${SKOPEO:=}"
: "${PYTHON3:=$(command -v python3 || true)}"
export FERRY FERRY_TRANSPORT_PATH FERRY_TEST_PLUGINS SRCDIR BUILDDIR SKOPEO PYTHON3

# Time limit of one command, in seconds: a hung ferry fails its test instead
# of hanging `make check`.
: "${FERRY_TEST_TIMEOUT:=300}"

TAP_N=0
TAP_FAILS=0
TAP_DONE=0

T=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test.XXXXXX") || { echo "Bail out! mktemp failed"; exit 99; }
_tap_exit() {
    local status=$?
    if [ "$TAP_DONE" != 1 ]; then
        TAP_N=$((TAP_N + 1))
        echo "not ok $TAP_N - script ended early (status $status)"
    fi
    _san_reports
    # Where CI time goes: wall seconds, and CPU seconds of every command run.
    # (times runs in this shell: in a pipe or $(...) it would count nothing.)
    local shell_cpu children_cpu
    times >"$T/.times" 2>/dev/null
    { read -r shell_cpu; read -r children_cpu; } <"$T/.times" 2>/dev/null
    echo "# took ${SECONDS} s; CPU of the commands run: ${children_cpu:-?} (user sys)"
    echo "1..$TAP_N"
    chmod -R u+rwX "$T" 2>/dev/null
    rm -rf "$T"
}
trap _tap_exit EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$T/bin" "$T/img" "$T/w" "$T/tmp" "$T/home" "$T/san"
export HOME="$T/home" XDG_RUNTIME_DIR="$T/home/run" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$XDG_RUNTIME_DIR"
unset REGISTRY_AUTH_FILE DOCKER_CONFIG CONTAINERS_REGISTRIES_CONF 2>/dev/null

POLICY="$T/policy.json"
printf '%s\n' '{"default":[{"type":"insecureAcceptAnything"}]}' >"$POLICY"

# Memory checkers. An ASan/UBSan build (configure with -fsanitize=...) and
# `make check-valgrind` (FERRY_VALGRIND names the valgrind command) write
# their reports to files under $T/san rather than to stderr, so the tests'
# one-line stderr checks still hold; _san_reports turns any report into a
# failing test at exit, so an error in a command that was expected to fail
# (exit 1) is not mistaken for that failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san/ubsan:print_stacktrace=1"
# exitcode=0: a report never changes a command's status (the report file is
# what fails the test), so LeakSanitizer's own rare crash at exit (below)
# cannot turn a passing command into a failing one.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0"
if [ -n "${FERRY_VALGRIND:-}" ]; then
    cat >"$T/bin/ferry-under-valgrind" <<EOF
#!/bin/bash
exec $FERRY_VALGRIND --log-file="$T/san/valgrind.%p" "$FERRY" "\$@"
EOF
    chmod +x "$T/bin/ferry-under-valgrind"
    FERRY="$T/bin/ferry-under-valgrind"
fi

# FERRY_SANITIZED (set for ASan, UBSan and valgrind runs): peak-RSS limits
# measure the checker, not ferry, and are checked in the plain build only.
: "${FERRY_SANITIZED:=}"
[ -n "${FERRY_VALGRIND:-}" ] && FERRY_SANITIZED=1
export FERRY_SANITIZED

# sh (dash) starts in 2.5 ms less CPU than bash, and these run for every command.
cat >"$T/bin/ferry" <<EOF
#!/bin/sh
exec "$FERRY" --policy "$POLICY" "\$@"
EOF
chmod +x "$T/bin/ferry"
HAVE_SKOPEO=0
if [ -n "$SKOPEO" ] && [ -x "$SKOPEO" ]; then
    HAVE_SKOPEO=1
    cat >"$T/bin/skopeo" <<EOF
#!/bin/sh
exec "$SKOPEO" --policy "$POLICY" "\$@"
EOF
    chmod +x "$T/bin/skopeo"
fi
export PATH="$T/bin:$PATH"

# ------------------------------------------------------------------ TAP

# Descriptions are kept on one line: a newline in one becomes "\n". These
# helpers run for every result, so they start no process: a subshell costs
# 2.5 ms of CPU on the CI machine, a grep or wc 8 ms, and the suites report
# over 12,000 results.
ok()   { local d="$*"; TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - ${d//$'\n'/\\n}"; }
skip() { local d=$1; TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - ${d//$'\n'/\\n} # SKIP ${2:-}"; }
diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }

# not_ok DESC [DIAGNOSTIC...]
not_ok() {
    local d=$1
    TAP_N=$((TAP_N + 1)); TAP_FAILS=$((TAP_FAILS + 1))
    echo "not ok $TAP_N - ${d//$'\n'/\\n}"
    shift
    [ $# -gt 0 ] && diag "$*"
    return 0
}

# check DESC CMD...: passes when CMD succeeds.
check() {
    local desc=$1; shift
    if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}

# is DESC GOT EXPECTED
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:      '$2'
expected: '$3'"; fi
}

# same_file DESC GOT_FILE EXPECTED_FILE: byte-for-byte equality.
same_file() {
    if cmp -s -- "$2" "$3"; then ok "$1"; else
        not_ok "$1" "$(diff -u -- "$3" "$2" 2>&1 | head -n 30)"
    fi
}

# rss_below DESC KIB LIMIT_KIB: a peak-RSS bound (KIB from peak_rss_kib);
# skipped under a memory checker, which inflates RSS.
rss_below() {
    if [ -n "$FERRY_SANITIZED" ]; then
        skip "$1" "peak RSS is checked in the plain build only"
    elif [ -n "$2" ] && [ "$2" -lt "$3" ]; then ok "$1: peak RSS $2 KiB < $(($3 / 1024)) MiB"
    else not_ok "$1: peak RSS < $(($3 / 1024)) MiB" "peak RSS ${2:-?} KiB"; fi
}

# _san_reports: one failing line per non-empty sanitizer or valgrind report.
# One kind of report is not about ferry: LeakSanitizer's tracer, which stops
# the process's threads at exit to scan them, sometimes crashes ("Tracer
# caught signal 11") and checks nothing. That process's leaks go unchecked;
# a diagnostic says so.
_san_reports() {
    local f
    [ -d "$T/san" ] || return 0
    while IFS= read -r f; do
        if grep -q 'Tracer caught signal' "$f" &&
            ! grep -v -e 'Tracer caught signal' -e 'LeakSanitizer has encountered a fatal error' \
                -e 'HINT: ' -e '^[[:space:]]*$' "$f" | grep -q .; then
            diag "LeakSanitizer's tracer crashed in ${f##*/}: that process's leaks were not checked"
            continue
        fi
        TAP_N=$((TAP_N + 1)); TAP_FAILS=$((TAP_FAILS + 1))
        echo "not ok $TAP_N - memory checker report ${f##*/}"
        diag "$(head -n 40 "$f")"
    done < <(find "$T/san" -type f -size +0 2>/dev/null | sort)
}

# finish: prints the plan; call at the end of every script.
finish() { TAP_DONE=1; exit 0; }

# skip_all REASON: the whole script cannot run (a tool is missing).
skip_all() { echo "1..0 # SKIP $*"; TAP_DONE=1; trap - EXIT; rm -rf "$T"; exit 0; }

# ------------------------------------------------------------------ running

# run CMD...: runs CMD with a time limit; stdout goes to $T/out, stderr to
# $T/err, the exit status to $RC. Never fails itself.
RC=0
run() {
    local crashes
    [ -n "$FERRY_SANITIZED" ] && _lsan_tracer_crashes && crashes=$LSAN_TRACER_CRASHES
    timeout -k 10 "$FERRY_TEST_TIMEOUT" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
    # LeakSanitizer's tracer (LLVM 14 with glibc 2.36) can crash at exit on a
    # stale dynamic-TLS entry left by an unloaded module; it then exits with
    # its own status, whatever ferry's was. Run the command again without
    # scanning TLS, which avoids that crash, so that RC is ferry's.
    if [ -n "$FERRY_SANITIZED" ] && _lsan_tracer_crashes && [ "$LSAN_TRACER_CRASHES" != "$crashes" ]; then
        LSAN_OPTIONS="$LSAN_OPTIONS:use_tls=0:print_suppressions=0" timeout -k 10 "$FERRY_TEST_TIMEOUT" "$@" >"$T/out" 2>"$T/err" </dev/null
        RC=$?
    fi
}
# _lsan_tracer_crashes: sets LSAN_TRACER_CRASHES to how many processes'
# sanitizer logs report that crash. It runs twice per command under a
# sanitizer and the log directory is nearly always empty: no process is
# started for an empty one (that saved a grep and a wc per call).
_lsan_tracer_crashes() {
    local f
    LSAN_TRACER_CRASHES=0
    for f in "$T/san"/*; do
        [ -f "$f" ] && grep -qs 'Tracer caught signal' "$f" && LSAN_TRACER_CRASHES=$((LSAN_TRACER_CRASHES + 1))
    done
    return 0
}

# run_ok DESC CMD...: one TAP line, passes when CMD exits 0.
run_ok() {
    local desc=$1; shift
    run "$@"
    if [ "$RC" -eq 0 ]; then ok "$desc"; else
        not_ok "$desc" "command: $*
exit status $RC; stderr: $(head -c 2000 "$T/err")"
    fi
}

# run_status DESC EXPECTED_STATUS CMD...: passes when CMD exits with it.
run_status() {
    local desc=$1 want=$2; shift 2
    run "$@"
    if [ "$RC" -eq "$want" ]; then ok "$desc"; else
        not_ok "$desc" "command: $*
exit status $RC, expected $want; stderr: $(head -c 2000 "$T/err")"
    fi
}

# stderr_one_line DESC NEEDLE...: stderr of the last run is exactly one
# newline-terminated line containing every NEEDLE (fixed strings).
stderr_one_line() {
    local desc=$1; shift
    local err="" newlines n why=""
    # Read without starting a process (this runs after most commands).
    IFS= read -r -d '' err <"$T/err"
    newlines=${err//[!$'\n']/}
    if [ "${#newlines}" -ne 1 ] || [ "${err: -1}" != $'\n' ]; then
        why="stderr has ${#newlines} lines, expected exactly one"
    fi
    for n in "$@"; do
        [[ $err == *"$n"* ]] || why="$why${why:+; }stderr does not mention '$n'"
    done
    if [ -z "$why" ]; then ok "$desc"; else not_ok "$desc" "$why; stderr: $(head -c 2000 "$T/err")"; fi
}

# unmount_below_t: unmounts whatever is mounted below $T, deepest first
# (overlay layers podman, buildah or skopeo left mounted, a test's tmpfs), so
# that $T can be removed. For an EXIT trap: always returns 0.
unmount_below_t() {
    local m
    for m in $(awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/self/mounts | sort -r); do
        umount -l "$m" 2>/dev/null
    done
    return 0
}

# ------------------------------------------------------------------ fixtures

need_python() {
    [ -n "$PYTHON3" ] && "$PYTHON3" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null \
        || skip_all "python3 >= 3.9 not available"
}

# json FILE EXPR: prints EXPR evaluated in Python with the parsed FILE as j.
# oci_top LAYOUT: the path of the blob the layout's first index entry names.
json() { "$PYTHON3" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# tree_sums DIR: "sha256  ./path" of every file below DIR, in byte order.
tree_sums() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }
oci_top() { echo "$1/blobs/sha256/$(json "$1/index.json" 'j["manifests"][0]["digest"][7:]')"; }

# mkimage ARGS... (in $T/bin): runs the fixture generator; prints the
# manifest digest. checkimage ARGS... (in $T/bin): the independent checker.
for _tool in mkimage checkimage; do
    printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "${PYTHON3:-python3}" "$SRCDIR/tests/fixtures/$_tool.py" >"$T/bin/$_tool"
    chmod +x "$T/bin/$_tool"
done
unset _tool

# gzip_layer_count DIR: how many layer files of the dir: image at DIR start
# with the gzip magic (a label says nothing about the bytes); "no layers"
# when none can be listed, so that a broken image never counts as 0.
gzip_layer_count() {
    local f layers
    layers=$(checkimage verify dir "$1" --print layers 2>/dev/null) && [ -n "$layers" ] || { echo "no layers"; return; }
    for f in $layers; do head -c 2 "$1/${f#sha256:}" | od -An -tx1; done | grep -c '1f 8b' || true
}

# dist_tree DIR: the sources as `make dist` lists them, in DIR/ferry-VERSION,
# for the packaging tests (a file missing from EXTRA_DIST is missing there);
# sets VERSION (configure's) and DIST_TREE. Make's jobserver of `make check`
# is not passed on.
dist_tree() {
    VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$BUILDDIR/config.h")
    DIST_TREE="$1/ferry-$VERSION"
    mkdir -p "$1"
    if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$BUILDDIR" distdir distdir="$DIST_TREE" \
        top_distdir="$DIST_TREE" >"$T/distdir.log" 2>&1; then
        echo "Bail out! make distdir failed: $(tail -n 5 "$T/distdir.log")"
        exit 1
    fi
}

# sha256 FILE: "sha256:HEX" of a file.
sha256() { echo "sha256:$(sha256sum <"$1" | cut -d' ' -f1)"; }

# snapshot DIR: a listing of everything below DIR (type, size, inode, mtime,
# content hash of files; directories by name only, since a temporary file
# created and removed inside them changes their mtime but nothing else), to
# prove a failed command changed nothing.
snapshot() {
    if [ ! -e "$1" ]; then echo "(absent)"; return; fi
    (cd "$1" && find . \( -type d -printf '%p d\n' \) -o -printf '%p %y %s %i %T@\n' | LC_ALL=C sort &&
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# unchanged DESC DIR SNAPSHOT_FILE
unchanged() {
    snapshot "$2" >"$T/snap.now"
    if cmp -s "$3" "$T/snap.now"; then ok "$1"; else
        not_ok "$1" "$(diff -u "$3" "$T/snap.now" | head -n 30)"
    fi
}

# absent DESC PATH
absent() {
    if [ ! -e "$2" ] && [ ! -L "$2" ]; then ok "$1"; else
        not_ok "$1" "$2 exists: $(find "$2" -maxdepth 3 2>/dev/null | head -n 20)"
    fi
}

# no_temp_files DESC DIR...: nothing but DIR's own expected entries; used on
# the --tmpdir directory, which must be empty after any ferry command.
empty_dir() {
    local d=$2
    if [ -z "$(ls -A "$d" 2>/dev/null)" ]; then ok "$1"; else
        not_ok "$1" "left in $d: $(ls -A "$d" | head -n 20)"
    fi
}

# platform_arch: the GOARCH name of this machine, or "" when unknown.
platform_arch() {
    case "$(uname -m)" in
        x86_64) echo amd64 ;;
        aarch64 | arm64) echo arm64 ;;
        i?86) echo 386 ;;
        armv7* | armv6*) echo arm ;;
        ppc64le) echo ppc64le ;;
        s390x) echo s390x ;;
        riscv64) echo riscv64 ;;
        *) echo "" ;;
    esac
}

# module_exports SO: the defined dynamic symbols of a shared object.
module_exports() { nm -D --defined-only "$1" 2>/dev/null | awk '{print $NF}' | LC_ALL=C sort -u; }

# peak_rss_kib CMD...: runs CMD (output discarded) and prints "KIB STATUS":
# the peak resident set size of CMD and its exit status. GNU time forks from
# a tiny process; a child forked from python would inherit python's own
# high-water mark across exec and report it instead of CMD's.
peak_rss_kib() {
    local out status
    out=$(mktemp "$T/tmp/rss.XXXXXX")
    /usr/bin/time -o "$out" -f '%M' "$@" </dev/null >/dev/null 2>&1
    status=$?
    printf '%s %s\n' "$(tail -n 1 "$out")" "$status"
    rm -f "$out"
}

# killmid SIGNAL MIN_BYTES CMD...: starts CMD and sends SIGNAL once it has
# written MIN_BYTES (write(2) bytes, /proc/PID/io wchar): in the middle of a
# copy whatever the machine's speed. With KILLMID_IO=rchar the bytes read
# count instead (a writer sending on a socket: send(2) is not in wchar).
# Prints "STATUS reached" or "STATUS finished" (the copy ended before the
# threshold: fixture too small).
killmid() {
    "$PYTHON3" - "${KILLMID_IO:-wchar}" "$@" <<'PY'
import signal, subprocess, sys, time
field, sig, threshold, cmd = sys.argv[1], getattr(signal, "SIG" + sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
reached = False
deadline = time.monotonic() + 120
while p.poll() is None and time.monotonic() < deadline:
    try:
        with open("/proc/%d/io" % p.pid) as f:
            done = int(next(l for l in f if l.startswith(field + ":")).split()[1])
    except (OSError, StopIteration, ValueError):
        done = 0
    if done >= threshold:
        p.send_signal(sig)
        reached = True
        break
    time.sleep(0.001)
if not reached and p.poll() is None:
    p.kill()
print(p.wait(), "reached" if reached else "finished")
PY
}

# small_fs DIR MIB: mounts a file system of MIB MiB on DIR (created): a
# tmpfs, or where that is refused an ext4 image on a loop device. Returns 1
# with the reason in $SMALL_FS_WHY when neither can be mounted (not root, no
# mount permission). Unmount with unmount_below_t (an EXIT trap).
SMALL_FS_WHY=""
small_fs() {
    local dir=$1 mib=$2 img
    mkdir -p "$dir" || { SMALL_FS_WHY="cannot create $dir"; return 1; }
    if [ "$(id -u)" != 0 ]; then SMALL_FS_WHY="not root: cannot mount a small file system"; return 1; fi
    mount -t tmpfs -o "size=${mib}m" tmpfs "$dir" 2>"$T/mount.err" && return 0
    SMALL_FS_WHY="mount -t tmpfs: $(head -n 1 "$T/mount.err")"
    img="$dir.ext4"
    truncate -s "${mib}M" "$img" && mkfs.ext4 -q -F -m 0 "$img" >/dev/null 2>&1 &&
        mount -o loop "$img" "$dir" 2>>"$T/mount.err" && return 0
    SMALL_FS_WHY="$SMALL_FS_WHY; loop-mounted ext4: $(tail -n 1 "$T/mount.err")"
    return 1
}
