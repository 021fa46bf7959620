#!/bin/bash
# tests/abi/abi.sh — plugin ABI compatibility and refusal tests (TAP).
#
# Uses the modules tests/abi/Makefile.inc builds into $FERRY_TEST_PLUGINS:
# frozen10 (built against the frozen 1.0 headers) must load and work; major2,
# needs-newer-core, refuses-core, not-a-plugin and plain files named like
# modules must be refused with a clear error naming the file. Also checks that
# the current headers kept the 1.0 layout and that every module exports
# exactly one symbol. Then FERRY_TARGET_ABI_MINOR (target10, layout-target10,
# compile checks), and the probe module, which checks while the core drives
# it the threading, ctx and validation rules the headers state, and uses the
# 1.4 file services; and how policy scopes match a third-party transport.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
need_python

TP=$FERRY_TEST_PLUGINS
SYS_PATH=$FERRY_TRANSPORT_PATH
FROZEN_MANIFEST=sha256:fd1ffc82470e5bddfc50a61a6f3e9f61ef42cab71a2c2d5227301870f13bbc05
FROZEN_CONFIG=sha256:9c8f944efaaa381c2e0779e07247dd4cc205302db7b3a965f806b04da48eeaad
FROZEN_LAYER=sha256:934a0041898ac75407004f0b1baf6ad2e867e25aed6d6ce427ae28f913c4def7

# so_of NAME: the built shared object of a test module.
so_of() { echo "$TP/.libs/$1.so"; }

# plugin_dir NAME FILE: a directory holding only FILE as NAME.so.
plugin_dir() {
    mkdir -p "$T/p-$1"
    cp "$2" "$T/p-$1/$1.so"
    echo "$T/p-$1"
}

# ------------------------------------------------ the frozen headers stay frozen
(cd "$SRCDIR/tests/abi/ferry-1.0/include/ferry" && sha256sum -c --quiet) >"$T/sum.out" 2>&1 <<'EOF'
0280e471f1577b5cd7d403ca4def1bc1dbd04c10e37f21a9a9060b3fbb7f665a  abi.h
4037a59e53e75980113d922d58ea2d9ce0302c12cd6ae8d5ed132a60b7040fb5  ferry.h
863dab680f6e585c6957c754da1c22ee403042e4fbd1b06b31f15364c026bd07  services.h
b3c10f8842a8225f3b95681a96b75c1fd145f420fd4c363ded34bd2966cdd12f  stream.h
e7273163aa3dd419b3ecf245e43817c3617d57067bfe930a51f3cd73d87bf0a3  transport.h
EOF
if [ -s "$T/sum.out" ]; then not_ok "frozen 1.0 headers are unmodified" "$(cat "$T/sum.out")"; else
    ok "frozen 1.0 headers are unmodified"; fi

# ------------------------------------------------ 1.0 layout kept by include/
if [ -x "$TP/layout-frozen" ] && [ -x "$TP/layout-current" ]; then
    "$TP/layout-frozen" >"$T/layout.frozen" 2>&1
    "$TP/layout-current" >"$T/layout.current" 2>&1
    missing=$(LC_ALL=C comm -23 <(grep -v '^declared ' "$T/layout.frozen" | LC_ALL=C sort) \
        <(LC_ALL=C sort "$T/layout.current"))
    if [ -z "$missing" ] && [ -s "$T/layout.frozen" ]; then
        ok "current headers keep every 1.0 struct member at its offset and size, and every 1.0 constant"
    else
        not_ok "current headers keep every 1.0 struct member at its offset and size, and every 1.0 constant" \
            "1.0 lines changed in include/: $missing"
    fi
else
    not_ok "layout dump programs are built" "missing $TP/layout-frozen or $TP/layout-current"
fi

# ------------------------------------------------ FERRY_TARGET_ABI_MINOR
if [ -x "$TP/layout-target10" ]; then
    "$TP/layout-target10" >"$T/layout.target10" 2>&1
    if cmp -s "$T/layout.frozen" "$T/layout.target10"; then
        ok "current headers with FERRY_TARGET_ABI_MINOR=0 declare exactly the frozen 1.0 layout, sizes and module header"
    else
        not_ok "current headers with FERRY_TARGET_ABI_MINOR=0 declare exactly the frozen 1.0 layout, sizes and module header" \
            "$(diff "$T/layout.frozen" "$T/layout.target10")"
    fi
else
    not_ok "layout-target10 is built" "missing $TP/layout-target10"
fi
grep -q '^declared minor 5, module header 1.5 ' "$T/layout.current" && ok "current headers declare ABI 1.5" ||
    not_ok "current headers declare ABI 1.5" "$(grep '^declared minor' "$T/layout.current")"

# compiles SOURCE CPPFLAGS...: 0 when SOURCE compiles against include/.
compiles() {
    local src=$1; shift
    printf '%s\n' "$src" >"$T/cc.c"
    ${CC:-cc} -std=c11 -fsyntax-only -I"$SRCDIR/include" "$@" "$T/cc.c" >"$T/cc.err" 2>&1
}
USES_1_3='#include <ferry/ferry.h>
static const ferry_source_ops ops = {.struct_size = sizeof(ferry_source_ops), .list_referrers = 0};'
USES_1_5='#include <ferry/ferry.h>
const char *f(const ferry_services *s) { return s->get_stored_credentials(0, "r", 0, 0) ? s->error_message(0) : 0; }'
USES_1_4='#include <ferry/ferry.h>
int f(const ferry_services *s, const ferry_transport *t) { return s->mkdir_p("x") + t->validate_reference_for(0, "x", FERRY_REF_FOR_WRITE); }'
if command -v "${CC:-cc}" >/dev/null 2>&1; then
    compiles "$USES_1_3" -DFERRY_TARGET_ABI_MINOR=3 && ok "a 1.3 member compiles with FERRY_TARGET_ABI_MINOR=3" ||
        not_ok "a 1.3 member compiles with FERRY_TARGET_ABI_MINOR=3" "$(cat "$T/cc.err")"
    compiles "$USES_1_3" -DFERRY_TARGET_ABI_MINOR=2 && not_ok "a 1.3 member is a compile error with FERRY_TARGET_ABI_MINOR=2" ||
        ok "a 1.3 member is a compile error with FERRY_TARGET_ABI_MINOR=2"
    compiles "$USES_1_4" && ok "1.4 services and validate_reference_for compile without a target" ||
        not_ok "1.4 services and validate_reference_for compile without a target" "$(cat "$T/cc.err")"
    compiles "$USES_1_4" -DFERRY_TARGET_ABI_MINOR=3 && not_ok "1.4 API is a compile error with FERRY_TARGET_ABI_MINOR=3" ||
        ok "1.4 API is a compile error with FERRY_TARGET_ABI_MINOR=3"
    compiles "$USES_1_5" && ok "the 1.5 services error_message and get_stored_credentials compile without a target" ||
        not_ok "the 1.5 services error_message and get_stored_credentials compile without a target" "$(cat "$T/cc.err")"
    compiles "$USES_1_5" -DFERRY_TARGET_ABI_MINOR=4 && not_ok "1.5 API is a compile error with FERRY_TARGET_ABI_MINOR=4" ||
        ok "1.5 API is a compile error with FERRY_TARGET_ABI_MINOR=4"
    compiles "$USES_1_3" -DFERRY_TARGET_ABI_MINOR=6
    if [ -s "$T/cc.err" ] && grep -q 'FERRY_TARGET_ABI_MINOR' "$T/cc.err"; then
        ok "a target newer than the headers is refused by name"
    else
        not_ok "a target newer than the headers is refused by name" "$(cat "$T/cc.err")"
    fi
else
    for d in 1 2 3 4 5 6 7; do skip "FERRY_TARGET_ABI_MINOR compile check $d" "no C compiler"; done
fi

# ------------------------------------------------ exported symbols
for m in frozen10 major2 needs-newer-core refuses-core; do
    so=$(so_of $m)
    if [ ! -f "$so" ]; then not_ok "$m module is built" "no $so"; continue; fi
    is "$m.so exports exactly ferry_module_init" "$(module_exports "$so" | tr '\n' ' ')" "ferry_module_init "
done
so=$(so_of not-a-plugin)
if [ -f "$so" ]; then
    is "not-a-plugin.so exports its own symbol and no entry point" "$(module_exports "$so" | tr '\n' ' ')" \
        "not_a_plugin_entry "
else
    not_ok "not-a-plugin module is built" "no $so"
fi

# ------------------------------------------------ frozen10: a 1.0 module works
export FERRY_TRANSPORT_PATH="$TP:$SYS_PATH"

run ferry inspect --raw frozen10:x
if [ "$RC" -eq 0 ] && [ "$(sha256 "$T/out")" = "$FROZEN_MANIFEST" ]; then
    ok "frozen10: inspect --raw serves the manifest through a 1.0 reader"
else
    not_ok "frozen10: inspect --raw serves the manifest through a 1.0 reader" \
        "exit $RC, digest $(sha256 "$T/out"); stderr: $(cat "$T/err")"
fi

cat >"$T/frozen.expected" <<EOF
{
    "Digest": "$FROZEN_MANIFEST",
    "RepoTags": [],
    "Created": "2024-05-06T07:08:09Z",
    "DockerVersion": "",
    "Labels": {
        "org.ferry.test": "frozen10"
    },
    "Architecture": "amd64",
    "Os": "linux",
    "Layers": [
        "$FROZEN_LAYER"
    ],
    "Env": [
        "FROZEN=1.0"
    ]
}
EOF
run ferry inspect frozen10:x
is "frozen10: inspect exits 0" "$RC" 0
same_file "frozen10: inspect prints the image as skopeo would" "$T/out" "$T/frozen.expected"

run ferry inspect --config --raw frozen10:x
is "frozen10: inspect --config --raw gives the config blob" "$RC:$(sha256 "$T/out")" "0:$FROZEN_CONFIG"

run ferry --debug inspect --raw frozen10:x
if [ "$RC" -eq 0 ] && grep -qF "frozen10: opening x" "$T/err"; then
    ok "frozen10: services->log from a 1.0 module reaches --debug output"
else
    not_ok "frozen10: services->log from a 1.0 module reaches --debug output" "exit $RC; stderr: $(head -c 2000 "$T/err")"
fi

run_ok "frozen10: copy frozen10:x oci:LAYOUT:tag" ferry copy -q frozen10:x "oci:$T/w/frozen-oci:t"
run checkimage verify oci "$T/w/frozen-oci:t" --diffids --print digest
is "frozen10: copied oci image is complete with the source's manifest digest" "$RC:$(cat "$T/out")" \
    "0:$FROZEN_MANIFEST"

# 1.3's list_referrers is past the end of a 1.0 source ops table: the core
# must not read it, and calls the module unable to list referrers.
run ferry copy -q --referrers frozen10:x "oci:$T/w/frozen-ref:t"
is "frozen10: copy --referrers from a 1.0 module is refused" "$RC" 1
stderr_one_line "... in one line naming the transport" "--referrers: transport frozen10 cannot list referrers"
run ferry inspect --referrers frozen10:x
is "frozen10: inspect --referrers on a 1.0 module is refused" "$RC" 1

run_ok "frozen10: copy frozen10:x dir:PATH" ferry copy -q frozen10:x "dir:$T/w/frozen-dir"
run checkimage verify dir "$T/w/frozen-dir" --diffids --print digest
is "frozen10: copied dir image is complete with the source's manifest digest" "$RC:$(cat "$T/out")" \
    "0:$FROZEN_MANIFEST"

if [ "$HAVE_SKOPEO" = 1 ]; then
    run skopeo inspect "oci:$T/w/frozen-oci:t"
    same_file "frozen10: skopeo reads the copy and agrees with ferry inspect" "$T/out" "$T/frozen.expected"
else
    skip "frozen10: skopeo reads the copy and agrees with ferry inspect" "skopeo not installed"
fi

run ferry inspect frozen10:missing
is "frozen10: FERRY_ERR_NOT_FOUND from a 1.0 module gives exit 2" "$RC" 2
stderr_one_line "frozen10: not-found error is one line naming the image" "missing"

run ferry copy -q "oci:$T/w/frozen-oci:t" frozen10:y
is "frozen10: a source-only transport refused as destination (exit 1)" "$RC" 1
stderr_one_line "frozen10: destination refusal is one line naming the transport" "frozen10"

FROZEN_DIR=$(plugin_dir frozen10 "$(so_of frozen10)")
FERRY_TRANSPORT_PATH="$FROZEN_DIR:$SYS_PATH" run ferry list-transports
if [ "$RC" -eq 0 ] && grep -F "frozen10" "$T/out" | grep -F "10.0.1" | grep -qF "$FROZEN_DIR/frozen10.so"; then
    ok "list-transports shows frozen10 with its version and file"
else
    not_ok "list-transports shows frozen10 with its version and file" "exit $RC; stdout: $(cat "$T/out"); stderr: $(cat "$T/err")"
fi

# target10: frozen10.c built against include/ with FERRY_TARGET_ABI_MINOR=0.
TARGET_DIR=$(plugin_dir target10 "$(so_of target10)")
FERRY_TRANSPORT_PATH="$TARGET_DIR:$SYS_PATH" run ferry list-transports
line=$(grep -E '^target10 ' "$T/out")
if [ "$RC" -eq 0 ] && echo "$line" | grep -qE '^target10 +10\.0\.1 +1\.0 '; then
    ok "target10 (current headers, target 1.0) is listed as an ABI 1.0 module"
else
    not_ok "target10 (current headers, target 1.0) is listed as an ABI 1.0 module" "exit $RC; line: $line; stderr: $(cat "$T/err")"
fi
FERRY_TRANSPORT_PATH="$TARGET_DIR:$SYS_PATH" run ferry inspect --raw target10:x
is "target10: serves the same image as frozen10" "$RC:$(sha256 "$T/out")" "0:$FROZEN_MANIFEST"
FERRY_TRANSPORT_PATH="$TARGET_DIR:$SYS_PATH" run ferry copy -q target10:x "oci:$T/w/target-oci:t"
run checkimage verify oci "$T/w/target-oci:t" --diffids --print digest
is "target10: copies to oci: completely" "$RC:$(cat "$T/out")" "0:$FROZEN_MANIFEST"

# ------------------------------------------------ refused modules
# refused NAME DIR REGEX...: `ferry inspect NAME:x` and `ferry copy NAME:x dir:`
# with FERRY_TRANSPORT_PATH=DIR fail with exit 1, one stderr line naming
# DIR/NAME.so and matching every extended REGEX, nothing written.
refused() {
    local name=$1 dir=$2 re bad=""; shift 2
    FERRY_TRANSPORT_PATH="$dir:$SYS_PATH" run ferry inspect "$name:x"
    is "$name: inspect refused with exit 1" "$RC" 1
    stderr_one_line "$name: error is one line naming the module file" "$dir/$name.so"
    if [ $# -gt 0 ]; then
        for re in "$@"; do grep -qE -- "$re" "$T/err" || bad="$bad '$re'"; done
        if [ -z "$bad" ]; then ok "$name: error says why ($*)"; else
            not_ok "$name: error says why" "stderr lacks$bad: $(cat "$T/err")"; fi
    fi
    FERRY_TRANSPORT_PATH="$dir:$SYS_PATH" run ferry copy -q "$name:x" "dir:$T/w/from-$name"
    if [ "$RC" -eq 1 ] && [ ! -e "$T/w/from-$name" ]; then ok "$name: copy from it fails, nothing written"; else
        not_ok "$name: copy from it fails, nothing written" "exit $RC; stderr: $(cat "$T/err")"; fi
}

refused major2 "$(plugin_dir major2 "$(so_of major2)")" '(ABI|abi|version) *2\.0|major 2' '(ABI|abi|version) *1\.[0-9]+|major 1'
refused needs-newer-core "$(plugin_dir needs-newer-core "$(so_of needs-newer-core)")" '1\.99' '1\.[0-9]+'
refused not-a-plugin "$(plugin_dir not-a-plugin "$(so_of not-a-plugin)")" 'ferry_module_init|not a ferry'

printf 'this is a text file, not a shared object\n' >"$T/textmod"
refused textmod "$(plugin_dir textmod "$T/textmod")"
: >"$T/emptymod"
refused emptymod "$(plugin_dir emptymod "$T/emptymod")"

# The module's own explanation (services->log) may precede the core's line.
D=$(plugin_dir refuses-core "$(so_of refuses-core)")
FERRY_TRANSPORT_PATH="$D:$SYS_PATH" run ferry inspect refuses-core:x
is "refuses-core: a module refusing the core in its entry point gives exit 1" "$RC" 1
if grep -qF "$D/refuses-core.so" "$T/err" && grep -qF "needs ferry ABI 1.99" "$T/err"; then
    ok "refuses-core: stderr names the file and shows the module's reason"
else
    not_ok "refuses-core: stderr names the file and shows the module's reason" "stderr: $(cat "$T/err")"
fi

# A text file named NAME.la is not a libtool archive.
mkdir -p "$T/p-textla"
printf 'not a libtool archive\n' >"$T/p-textla/textla.la"
FERRY_TRANSPORT_PATH="$T/p-textla:$SYS_PATH" run ferry inspect textla:x
is "textla: a bogus .la file gives exit 1" "$RC" 1
stderr_one_line "textla: error is one line naming the file" "$T/p-textla/textla.la"

# ------------------------------------------------ list-transports with bad modules around
mkdir -p "$T/p-mixed"
cp "$(so_of frozen10)" "$T/p-mixed/frozen10.so"
cp "$(so_of major2)" "$T/p-mixed/major2.so"
cp "$T/textmod" "$T/p-mixed/textmod.so"
FERRY_TRANSPORT_PATH="$T/p-mixed:$SYS_PATH" run ferry list-transports
if grep -qF "frozen10" "$T/out" && grep -qE '(^|[^a-z-])dir([^a-z-]|$)' "$T/out" && grep -qE '(^|[^a-z-])oci([^a-z-]|$)' "$T/out"; then
    ok "list-transports still lists the good modules when bad ones are present"
else
    not_ok "list-transports still lists the good modules when bad ones are present" "exit $RC; stdout: $(cat "$T/out")"
fi
if grep -qF "$T/p-mixed/major2.so" "$T/err" && grep -qF "$T/p-mixed/textmod.so" "$T/err"; then
    ok "list-transports reports each module it could not load, by file"
else
    not_ok "list-transports reports each module it could not load, by file" "stderr: $(cat "$T/err")"
fi
if ! grep -qE '(^|[[:space:]])major2([[:space:]]|$)' "$T/out"; then
    ok "list-transports does not list the refused major2 module as a transport"
else
    not_ok "list-transports does not list the refused major2 module as a transport" "stdout: $(cat "$T/out")"
fi
is "list-transports exits 0 when some modules are refused (they are warnings)" "$RC" 0

# A module file named otherwise than the transport it declares: listed, so usable.
mkdir -p "$T/p-renamed"
cp "$(so_of frozen10)" "$T/p-renamed/renamed.so"
FERRY_TRANSPORT_PATH="$T/p-renamed:$SYS_PATH" run ferry list-transports
grep -F "frozen10" "$T/out" | grep -qF "$T/p-renamed/renamed.so" && ok "list-transports lists a renamed module's transport" ||
    not_ok "list-transports lists a renamed module's transport" "stdout: $(cat "$T/out")"
FERRY_TRANSPORT_PATH="$T/p-renamed:$SYS_PATH" run ferry inspect frozen10:x
is "... and that transport works (inspect frozen10:x from renamed.so)" "$RC" 0
FERRY_TRANSPORT_PATH="$T/p-renamed:$SYS_PATH" run ferry inspect nosuchtransport:x
is "a transport no module declares: exit 1" "$RC" 1
stderr_one_line "... one line: unknown transport" 'unknown transport "nosuchtransport"'

finish
