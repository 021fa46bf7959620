#!/bin/bash
# tests/system/transports.sh — transport discovery (TAP): list-transports
# shows dir and oci with version and file, FERRY_TRANSPORT_PATH search order,
# an unknown transport names itself and where ferry looked, and every built
# transport module exports exactly one symbol, ferry_module_init.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

mkimage --layers 1 "$T/img/d" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }

# module_file NAME: NAME.la or NAME.so in the first FERRY_TRANSPORT_PATH entry holding it.
module_file() {
    local d IFS=:
    for d in $FERRY_TRANSPORT_PATH; do
        [ -f "$d/$1.la" ] && { echo "$d/$1.la"; return; }
        [ -f "$d/$1.so" ] && { echo "$d/$1.so"; return; }
    done
}

# ------------------------------------------------ list-transports
run ferry list-transports
is "list-transports exits 0" "$RC" 0
for name in dir oci; do
    f=$(module_file "$name")
    if [ -z "$f" ]; then not_ok "$name module found in FERRY_TRANSPORT_PATH" "$FERRY_TRANSPORT_PATH"; continue; fi
    line=$(grep -E "(^|[[:space:]])$name([[:space:]]|:|$)" "$T/out" | head -n 1)
    if [ -n "$line" ] && grep -qE '[0-9]+\.[0-9]+\.[0-9]+' <<<"$line" && grep -qF "$(dirname "$f")" <<<"$line" &&
        grep -qF "$name." <<<"$line"; then
        ok "list-transports: $name with a version and its file"
    else
        not_ok "list-transports: $name with a version and its file" "expected a line with '$name', a version and '$f'; stdout:
$(cat "$T/out")"
    fi
done
if [ ! -s "$T/err" ]; then ok "list-transports: nothing on stderr"; else not_ok "list-transports: nothing on stderr" "$(cat "$T/err")"; fi

# ------------------------------------------------ search path
SYS=$FERRY_TRANSPORT_PATH
FERRY_TRANSPORT_PATH="$T/does-not-exist::$SYS" run ferry inspect --format '{{.Os}}' "dir:$T/img/d"
is "missing and empty FERRY_TRANSPORT_PATH entries are skipped" "$RC:$(cat "$T/out")" "0:linux"

# A copy of the dir module under another directory, found through the path.
IFS=: read -ra SYSDIRS <<<"$SYS"
DIRSO=$(find "${SYSDIRS[@]}" -path '*/.libs/dir.so' 2>/dev/null | head -n 1)
if [ -n "$DIRSO" ]; then
    mkdir -p "$T/alt"
    cp "$DIRSO" "$T/alt/dir.so"
    FERRY_TRANSPORT_PATH="$T/alt" run ferry inspect --format '{{.Os}}' "dir:$T/img/d"
    is "a module copied as DIR/dir.so is found through FERRY_TRANSPORT_PATH" "$RC:$(cat "$T/out")" "0:linux"
    FERRY_TRANSPORT_PATH="$T/alt:$SYS" run ferry list-transports
    if grep -E "(^|[[:space:]])dir([[:space:]]|:|$)" "$T/out" | grep -qF "$T/alt/dir.so"; then
        ok "the first FERRY_TRANSPORT_PATH entry wins"
    else
        not_ok "the first FERRY_TRANSPORT_PATH entry wins" "stdout: $(cat "$T/out")"
    fi
else
    not_ok "built dir module (.libs/dir.so) found below FERRY_TRANSPORT_PATH" "$SYS"
fi

# ------------------------------------------------ unknown transport
mkdir -p "$T/empty1" "$T/empty2"
FERRY_TRANSPORT_PATH="$T/empty1:$T/empty2" run ferry inspect "docker://example.invalid/x:1"
is "unknown transport: exit 1" "$RC" 1
stderr_one_line "unknown transport: one line naming it and every directory searched" docker "$T/empty1" "$T/empty2"
FERRY_TRANSPORT_PATH="$T/empty1:$SYS" run ferry copy -q "dir:$T/img/d" "frobnicate:$T/w/x"
is "copy to an unknown transport: exit 1" "$RC" 1
stderr_one_line "copy to an unknown transport: one line naming it" frobnicate "$T/empty1"
absent "copy to an unknown transport: nothing written" "$T/w/x"
run ferry inspect "Bad_Name:x"
is "invalid transport name: exit 1" "$RC" 1
stderr_one_line "invalid transport name: one line naming it" "Bad_Name"
run ferry inspect "../../evil:x"
is "transport name with a path: exit 1" "$RC" 1
stderr_one_line "transport name with a path: one line naming it" "../../evil"

# ------------------------------------------------ one exported symbol per module
n=0
while IFS= read -r so; do
    n=$((n + 1))
    is "$(basename "$so") exports exactly ferry_module_init" "$(module_exports "$so" | tr '\n' ' ')" "ferry_module_init "
done < <(find "${SYSDIRS[@]}" -path '*/.libs/*.so' 2>/dev/null | LC_ALL=C sort)
if [ "$n" -ge 2 ]; then ok "found $n built transport modules"; else
    not_ok "found the built transport modules (dir, oci)" "only $n below $SYS"; fi

finish
