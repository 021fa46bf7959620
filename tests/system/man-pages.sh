#!/bin/bash
# tests/system/man-pages.sh — the man pages of doc/man/ (TAP).
# Sources (always): every command `ferry --help` lists has a page
# doc/man/ferry-CMD.1.md, every flag `ferry CMD --help` lists (long and short
# form) is documented there as an option entry (a definition-list term
# "**-s**, **--long**…"), and no entry documents a flag ferry does not have; the
# global flags the same way in ferry.1.md. Rendered pages (when configure
# found go-md2man, so `make` built them): man(1) renders each without a warning at
# 80 columns, and each has NAME (naming the page) and SYNOPSIS sections.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
# What is tested is the pages and their rendering; ferry only prints its help (cli.sh runs that
# under the sanitizers).
[ -n "${FERRY_SANITIZED:-}" ] && skip_all "tests the pages and their rendering, not ferry's code: in the plain run only"

MAN_SRC="$SRCDIR/doc/man"
MAN_OUT="$BUILDDIR/doc/man"

"$FERRY" --help >"$T/help" || { echo "Bail out! ferry --help failed"; exit 1; }
COMMANDS=$(sed -n '/^Available Commands:/,/^$/p' "$T/help" | sed '1d;/^$/d' | awk '$1 != "help" {print $1}')
[ -n "$COMMANDS" ] || { echo "Bail out! no commands in ferry --help"; exit 1; }

# help_flags [CMD]: "--long" and "-s" of each flag line of the "Flags:"
# section of `ferry CMD --help` (of `ferry --help` without CMD), sorted.
help_flags() {
    "$FERRY" $1 --help | sed -n '/^Flags:/,/^$/p' |
        grep -oE '^[[:space:]]+(-[[:alnum:]], )?--[[:alnum:].-]+' | grep -oE -- '--?[[:alnum:].-]+' | LC_ALL=C sort -u
}
# page_flags PAGE.md: the flags its option entries document, sorted. An
# entry is a definition-list term ("**-s**, **--long**=*value*" followed by a
# line starting with ": ", which go-md2man renders as a tagged paragraph).
page_flags() {
    awk '/^: / { print prev } { prev = $0 }' "$1" |
        grep -oE '^(\*\*-[[:alnum:]]\*\*, )?\*\*--?[[:alnum:].-]+\*\*' |
        grep -oE -- '--?[[:alnum:].-]+' | LC_ALL=C sort -u
}

# ------------------------------------------------ sources: a page per command, every flag
pages="ferry.1"
for cmd in $COMMANDS; do pages="$pages ferry-$cmd.1"; done
pages="$pages ferry-transport.7"
for page in $pages; do
    if [ -f "$MAN_SRC/$page.md" ]; then ok "doc/man/$page.md exists"; else not_ok "doc/man/$page.md exists"; fi
    check "doc/man/Makefile.inc builds $page" grep -qE "doc/man/$page([[:space:]]|\\\\|$)" "$SRCDIR/doc/man/Makefile.inc"
done

for cmd in "" $COMMANDS; do
    page="$MAN_SRC/ferry${cmd:+-$cmd}.1.md"
    [ -f "$page" ] || continue
    help_flags "$cmd" >"$T/want"
    page_flags "$page" >"$T/have"
    missing=$(LC_ALL=C comm -23 "$T/want" "$T/have" | tr '\n' ' ')
    extra=$(LC_ALL=C comm -13 "$T/want" "$T/have" | tr '\n' ' ')
    is "ferry${cmd:+-$cmd}(1) documents every flag of 'ferry${cmd:+ $cmd} --help'" "${missing:-none missing}" "none missing"
    is "ferry${cmd:+-$cmd}(1) documents no flag ferry${cmd:+ $cmd} lacks" "${extra:-none extra}" "none extra"
done

# ------------------------------------------------ rendered pages
# configure found go-md2man (so make built the pages) when GO_MD2MAN is set.
if ! grep -qE '^GO_MD2MAN = .' "$BUILDDIR/Makefile" 2>/dev/null; then
    skip "the man pages render without warnings" "configure found no go-md2man: the pages are not built"
    finish
fi
if ! command -v man >/dev/null 2>&1; then
    skip "the man pages render without warnings" "man (man-db) not installed"
    finish
fi
for page in $pages; do
    out="$MAN_OUT/$page"
    if [ ! -f "$out" ]; then
        not_ok "$page was built by make" "missing: $out"
        continue
    fi
    warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$out" 2>&1 >/dev/null)
    is "$page renders without warnings (man --warnings, 80 columns)" "$warnings" ""
    LC_ALL=C.UTF-8 MANWIDTH=80 MAN_KEEP_FORMATTING='' man -E UTF-8 -l "$out" 2>/dev/null | col -bx >"$T/page.txt"
    name=${page%.*}
    check "$page has a NAME section naming $name" \
        grep -qE "^[[:space:]]+$name[[:space:]]+-[[:space:]]+[^[:space:]]" <(sed -n '/^NAME$/,/^[A-Z]/p' "$T/page.txt")
    check "$page has a SYNOPSIS section" grep -qx 'SYNOPSIS' "$T/page.txt"
    long=$(awk 'length > 80' "$T/page.txt" | head -n 3)
    is "$page fits in 80 columns" "$long" ""
    # Each flag heads its own tagged paragraph in the rendered page.
    case $name in ferry) cmd="" ;; ferry-transport) continue ;; *) cmd=${name#ferry-} ;; esac
    missing=""
    for flag in $(help_flags "$cmd" | grep -- '^--'); do
        grep -qE -- "^ {7}(-[[:alnum:]], )?$flag([=[[:space:]]|\$)" "$T/page.txt" || missing="$missing $flag"
    done
    is "$page: every flag heads an entry of the rendered page" "${missing:-none missing}" "none missing"
done

finish
