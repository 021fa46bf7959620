#!/bin/bash
# tests/system/progress.sh — what `ferry copy` and `ferry sync` report while
# they copy (TAP): on a terminal (ferry run under tmux through script(1)),
# one live line per blob redrawn in place no more than 5 times a second,
# each ending at 100 %, and the summary; elsewhere (a file) plain lines only,
# skopeo's exactly, periodic progress lines for a long blob
# (FERRY_PROGRESS_INTERVAL) and the summary with the blobs copied or reused;
# nothing with --quiet; the report on stderr when the archive goes to
# stdout. The source registry sits behind the fault proxy in its throttling
# mode, so that blobs take seconds.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

command -v tmux >/dev/null 2>&1 || { echo "Bail out! tmux is not installed"; exit 1; }
command -v script >/dev/null 2>&1 || { echo "Bail out! script (bsdutils) is not installed"; exit 1; }

start_registry reg
R="127.0.0.1:$REG_PORT"
# About 2.5 s for the largest layer: each blob GET is sent at 400 KB/s.
start_proxy slow "$REG_PORT" --rule 'action=throttle,rate=400000,method=GET,path=/blobs/sha256:'
P="127.0.0.1:$PROXY_PORT"
SRCNOTLS=--src-tls-verify=false
DSTNOTLS=--dest-tls-verify=false
O="$T/img/layout"
W="$T/w"
mkimage --layout oci --manifest oci --layers 3 --layer-size 1600K,800K,600K --tag v1 "$O" >/dev/null ||
    { echo "Bail out! mkimage failed"; exit 1; }
run_ok "setup: the image is in the registry" ferry copy -q --dest-tls-verify=false "oci:$O:v1" "docker://$R/src:v1"
BLOBS=$(json "$O/blobs/sha256/$(json "$O/index.json" 'j["manifests"][0]["digest"][7:]')" \
    '"\n".join(l["digest"] for l in j["layers"])')
BIG=$(echo "$BLOBS" | head -n 1) # the layers are listed largest first
SIZE='[0-9.]+[KM]iB'

# no_controls FILE: no byte below 0x20 but the newline, and no DEL.
no_controls() { "$PYTHON3" -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(any((b < 0x20 and b != 0x0a) or b == 0x7f for b in d))' "$1"; }
# skopeo_lines FILE: FILE without ferry's own lines (the summary, the
# periodic progress lines), sorted: parallel blobs finish in any order.
skopeo_lines() { grep -v -e '^Copy summary: ' -e '^Copying blob sha256:[0-9a-f]*: ' "$1" | LC_ALL=C sort; }
# seconds FILE: the seconds between the two times FILE holds.
seconds() {
    local t0 t1
    read -r t0 t1 <"$1"
    "$PYTHON3" -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$t0" "$t1"
}

# ------------------------------------------------ the terminal form
TSOCK="$T/tmux.sock"
_progress_cleanup() { tmux -S "$TSOCK" kill-server >/dev/null 2>&1; return 0; }
trap '_fx_st=$?; _progress_cleanup; _fx_cleanup; (exit $_fx_st); _tap_exit' EXIT

# on_terminal NAME COMMAND: runs COMMAND in a 160x40 tmux pane through
# script(1), which records the raw output in $T/NAME.raw; then the final
# screen is in $T/NAME.screen, the status in $T/NAME.rc, the start and end
# times in $T/NAME.time.
on_terminal() {
    local name=$1 cmd=$2 i
    {
        echo '#!/bin/bash'
        echo 'start=$(date +%s.%N)'
        printf 'script -qfec %q %q\n' "$cmd" "$T/$name.raw"
        printf 'rc=$?; echo "$start $(date +%%s.%%N)" >%q\n' "$T/$name.time"
        printf 'echo $rc >%q.tmp && mv %q.tmp %q\n' "$T/$name.rc" "$T/$name.rc" "$T/$name.rc"
        echo 'sleep 600'
    } >"$T/$name.sh"
    chmod +x "$T/$name.sh"
    tmux -S "$TSOCK" -f /dev/null new-session -d -s "$name" -x 160 -y 40 "$T/$name.sh"
    for i in $(seq 600); do [ -s "$T/$name.rc" ] && break; sleep 0.1; done
    tmux -S "$TSOCK" capture-pane -p -t "$name" >"$T/$name.screen"
    _progress_cleanup
    diag "$(grep -v '^$' "$T/$name.screen")"
}
# redraws_bounded DESC NAME: the cursor moved up (a redraw in place) at
# least once and at most 5 times a second of the run, and 3 for the end.
redraws_bounded() {
    local n bound
    n=$(grep -aoE $'\e\\[[0-9]+A' "$T/$2.raw" | wc -l)
    bound=$("$PYTHON3" -c 'import sys; print(int(5 * float(sys.argv[1])) + 3)' "$(seconds "$T/$2.time")")
    if [ "$n" -ge 1 ] && [ "$n" -le "$bound" ]; then ok "$1 ($n <= $bound)"
    else not_ok "$1" "$n redraws, bound $bound"; fi
}
# layer_lines_done NAME: how many layers have their final line on the screen.
layer_lines_done() {
    local b n=0
    for b in $BLOBS; do
        grep -qE "^Copying blob ${b:7:12} \[=+\] $SIZE / $SIZE 100% \| .* \| done in " "$T/$1.screen" &&
            n=$((n + 1))
    done
    echo "$n"
}

on_terminal tty "ferry copy $SRCNOTLS docker://$P/src:v1 oci:$W/tty:v1"
is "on a terminal: the copy succeeds" "$(cat "$T/tty.rc" 2>/dev/null)" 0
is "... the final screen has each layer's line, at 100 %" "$(layer_lines_done tty)" 3
is "... one line per layer, no leftover of a redraw" "$(grep -c '^Copying blob ' "$T/tty.screen")" 3
check "... the summary counts the layers and the config" \
    grep -qE "^Copy summary: 4 blobs copied, 0 reused \(already at the destination\); $SIZE stored in " "$T/tty.screen"
check "... after skopeo's last lines" grep -qzE $'\nStoring signatures\nCopy summary: ' "$T/tty.screen"
check "... redrawn in place while the blobs move" \
    grep -qaE $'\e\\[[0-9]+A.*Copying blob [0-9a-f]{12} .* [0-9]{1,2}% ' "$T/tty.raw"
redraws_bounded "... at most 5 redraws a second" tty

# sync: the blobs of the images it copies at once share the lines, among its own.
on_terminal sync "ferry sync --src docker --dest dir $SRCNOTLS $P/src:v1 $W/sync-tty"
is "sync on a terminal: succeeds" "$(cat "$T/sync.rc" 2>/dev/null)" 0
is "... the final screen has each layer's line, at 100 %" "$(layer_lines_done sync)" 3
check "... and sync's own line" grep -qE '^\[1/1\] copied .*src:v1 to ' "$T/sync.screen"
check "... and its summary" grep -q '^Synced 1 images from 1 sources: 1 copied' "$T/sync.screen"
redraws_bounded "... at most 5 redraws a second" sync

# ------------------------------------------------ the plain form
PROGRESS_LINE="^Copying blob $BIG: $SIZE / $SIZE \([0-9]+%\), $SIZE/s, ETA "
start=$(date +%s.%N)
FERRY_PROGRESS_INTERVAL=0.4 run_ok "not on a terminal: the copy succeeds" \
    ferry copy $SRCNOTLS "docker://$P/src:v1" "oci:$W/plain:v1"
echo "$start $(date +%s.%N)" >"$T/plain.time"
diag "$(cat "$T/out")"
cp "$T/out" "$T/plain.out"
check "... no control character, only lines" no_controls "$T/plain.out"
check "... the summary" \
    grep -qE "^Copy summary: 4 blobs copied, 0 reused \(already at the destination\); $SIZE stored in [0-9.]+s \(" \
    "$T/plain.out"
n=$(grep -cE "$PROGRESS_LINE" "$T/plain.out")
bound=$("$PYTHON3" -c 'import sys; print(int(float(sys.argv[1]) / 0.4) + 4)' "$(seconds "$T/plain.time")")
if [ "$n" -ge 1 ] && [ "$n" -le "$bound" ]; then ok "... the long blob's progress every interval or 25 % ($n lines)"
else not_ok "... the long blob's progress every interval or 25 %" "$n lines, bound $bound"; fi
run_ok "... without FERRY_PROGRESS_INTERVAL (10 s), a 3 s copy" \
    ferry copy $SRCNOTLS "docker://$P/src:v1" "oci:$W/plain2:v1"
is "... has no progress line" "$(grep -c '^Copying blob sha256:[0-9a-f]*: ' "$T/out")" 0
if [ "$HAVE_SKOPEO" = 1 ]; then
    skopeo copy $SRCNOTLS "docker://$R/src:v1" "oci:$W/sk:v1" >"$T/sk.out" 2>"$T/sk.err"
    is "... skopeo's lines, but for the summary and progress lines" "$(skopeo_lines "$T/plain.out")" \
        "$(skopeo_lines "$T/sk.out")"
    is "... the summary is the one line left out" "$(grep -c '^Copy summary: ' "$T/plain.out")" 1
fi

FERRY_PROGRESS_INTERVAL=0.4 run_ok "sync not on a terminal" \
    ferry sync --src docker --dest dir $SRCNOTLS "$P/src:v1" "$W/sync-plain"
diag "$(cat "$T/out")"
check "... no control character, only lines" no_controls "$T/out"
is "... sync's lines and the blobs' progress, no line of skopeo's" \
    "$(grep -vcE -e '^\[1/1\] copied ' -e '^Synced 1 images ' -e "^Copying blob sha256:[0-9a-f]{64}: $SIZE / " \
        "$T/out")" 0
check "... the long blob's progress" grep -qE "$PROGRESS_LINE" "$T/out"

# Blobs the destination has already: reused, as skopeo says.
run_ok "a copy into a registry" ferry copy $DSTNOTLS "oci:$O:v1" "docker://$R/dst:v1"
check "... counts the blobs copied" grep -q '^Copy summary: 4 blobs copied, 0 reused' "$T/out"
run_ok "the same copy again" ferry copy $DSTNOTLS "oci:$O:v1" "docker://$R/dst:v1"
cp "$T/out" "$T/again.out"
check "... counts them reused" grep -qE '^Copy summary: 0 blobs copied, 4 reused \(already at the destination\); 0B ' \
    "$T/again.out"
is "... each layer skipped" "$(grep -c '^Copying blob sha256:[0-9a-f]* skipped: already exists$' "$T/again.out")" 3
if [ "$HAVE_SKOPEO" = 1 ]; then
    skopeo copy $DSTNOTLS "oci:$O:v1" "docker://$R/dst:v1" >"$T/sk.out" 2>"$T/sk.err"
    # skopeo 1.9.3 says "skipped: already exists" only on a terminal; ferry's
    # plain lines have always said it too (a difference older than the summary).
    is "... skopeo's lines, but for the summary (and the word skipped)" \
        "$(skopeo_lines "$T/again.out" | sed 's/ skipped: already exists$//')" "$(skopeo_lines "$T/sk.out")"
fi

# ------------------------------------------------ --quiet, stdout carrying the image
run_ok "--quiet" ferry copy --quiet "oci:$O:v1" "oci:$W/quiet:v1"
is "... prints nothing" "$(wc -c <"$T/out")" 0
timeout 120 ferry copy "oci:$O:v1" docker-archive:/dev/stdout:repo/a:t >"$W/stdout.tar" 2>"$T/err"
is "docker-archive:/dev/stdout: the copy succeeds" "$?" 0
check "... stdout is only the archive" sh -c 'tar -tf "$1" >/dev/null' tar "$W/stdout.tar"
check "... the report is on stderr" grep -q '^Writing manifest to image destination$' "$T/err"
check "... with the summary" grep -q '^Copy summary: 4 blobs copied' "$T/err"
finish
