#!/bin/bash
# tests/system/completion.sh — the shell completions of completions/ (TAP).
# bash: completions/bash/ferry sourced in a fresh `bash -c` given the
# COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT bash would set for a
# command line (words split at blanks and at runs of ':' and '=', as
# COMP_WORDBREAKS splits them); COMPREPLY is compared with what the built
# ferry says (--help, CMD --help, list-transports), a third-party test module
# (tests/abi) included. zsh (when installed): the function parses, its
# helper lists the same transports, and a real completion in an interactive
# zsh under zpty offers commands, flags, transports and paths.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"
# What is tested is the shell scripts; ferry only prints its help (cli.sh runs that
# under the sanitizers).
[ -n "${FERRY_SANITIZED:-}" ] && skip_all "tests the shell scripts, not ferry's code: in the plain run only"

BASH_COMPLETION="$SRCDIR/completions/bash/ferry"
# The scripts are under test here, not ferry's memory use (cli.sh runs every
# --help under the checker): hundreds of runs under valgrind would only be slow.
[ -n "${FERRY_VALGRIND:-}" ] && FERRY="$BUILDDIR/ferry"
ZSH_COMPLETION="$SRCDIR/completions/zsh/_ferry"
# The test modules (frozen10, probe, …) stand for a third-party transport.
export FERRY_TRANSPORT_PATH="$FERRY_TEST_PLUGINS:$FERRY_TRANSPORT_PATH"

# comp LINE [FERRY]: the completions bash offers for LINE, cursor at its end,
# one a line, sorted. The first word of LINE is replaced by FERRY ($FERRY).
comp() {
    local line="${2:-$FERRY}${1#ferry}"
    bash --norc --noprofile -c '
        . "$1" || exit 1
        line=$2; COMP_WORDS=(); w=""; brk=""
        for ((k = 0; k < ${#line}; k++)); do
            c=${line:k:1}
            case $c in
            " ") [ -n "$w" ] && COMP_WORDS+=("$w"); [ -n "$brk" ] && COMP_WORDS+=("$brk"); w=""; brk="" ;;
            [:=]) [ -n "$w" ] && COMP_WORDS+=("$w"); w=""; brk+=$c ;;
            *) [ -n "$brk" ] && COMP_WORDS+=("$brk"); brk=""; w+=$c ;;
            esac
        done
        [ -n "$w" ] && COMP_WORDS+=("$w"); [ -n "$brk" ] && COMP_WORDS+=("$brk")
        [ "${line: -1}" = " " ] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
        _ferry ferry "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" || exit 1
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
    ' _ "$BASH_COMPLETION" "$line" | LC_ALL=C sort
}
lines() { printf '%s\n' "$@" | LC_ALL=C sort; }

# What the completion must offer, taken from ferry by other means than the script's.
"$FERRY" --help >"$T/help" || { echo "Bail out! ferry --help failed"; exit 1; }
COMMANDS=$(sed -n '/^Available Commands:/,/^$/p' "$T/help" | sed '1d;/^$/d' | awk '{print $1}' | LC_ALL=C sort)
"$FERRY" list-transports >"$T/transports" 2>/dev/null
TRANSPORTS=$(sed '1d;/^$/,$d' "$T/transports" | awk '{print $1}' | LC_ALL=C sort)
TRANSPORT_WORDS=$(sed 's/^docker$/docker:\/\//; t; s/$/:/' <<<"$TRANSPORTS" | LC_ALL=C sort)
# long_flags CMD: every --flag `ferry CMD --help` lists (global flags included).
long_flags() { "$FERRY" $1 --help | grep -oE '^[[:space:]]+(-[a-zA-Z], )?--[a-z0-9.-]+' | grep -oE -- '--[a-z0-9.-]+' | LC_ALL=C sort -u; }

grep -qx frozen10 <<<"$TRANSPORTS" || { echo "Bail out! test module frozen10 not listed by list-transports"; exit 1; }
grep -qx copy <<<"$COMMANDS" || { echo "Bail out! no commands in ferry --help"; exit 1; }

# ------------------------------------------------ bash: commands and flags
is "bash: 'ferry ' offers every command of ferry --help" "$(comp 'ferry ')" "$COMMANDS"
is "bash: 'ferry co' offers copy" "$(comp 'ferry co')" "copy"
is "bash: 'ferry list-t' offers list-tags and list-transports" "$(comp 'ferry list-t')" "$(lines list-tags list-transports)"
is "bash: 'ferry --debug --policy FILE ins' finds the command after global flags with values" \
    "$(comp "ferry --debug --policy $T/policy.json ins")" "inspect"
is "bash: 'ferry help c' offers copy" "$(comp 'ferry help c')" "copy"
is "bash: 'ferry --' offers the global flags" "$(comp 'ferry --')" "$(long_flags '')"

for cmd in $COMMANDS; do
    [ "$cmd" = help ] && continue
    is "bash: 'ferry $cmd --' offers every flag of ferry $cmd --help" "$(comp "ferry $cmd --" | grep -- '^--')" "$(long_flags "$cmd")"
done
is "bash: 'ferry copy -' offers short flags too" "$(comp 'ferry copy -' | grep -cxE -- '-a|-f|-q|-h')" "4"
is "bash: 'ferry copy --src-t' offers --src-tls-verify" "$(comp 'ferry copy --src-t')" "--src-tls-verify"

# A flag added to a help text completes without touching the script.
mkdir -p "$T/newflag"
cat >"$T/newflag/ferry" <<EOF
#!/bin/bash
"$FERRY" "\$@"
status=\$?
[ "\$*" = "copy --help" ] && echo "      --brand-new-flag string               a flag the script has never seen"
exit \$status
EOF
chmod +x "$T/newflag/ferry"
is "bash: a new flag of ferry copy --help completes (flags come from the help text)" \
    "$(comp 'ferry copy --brand' "$T/newflag/ferry")" "--brand-new-flag"

# ------------------------------------------------ bash: flag values
is "bash: 'ferry copy --format ' offers the manifest types" "$(comp 'ferry copy --format ')" "$(lines oci v2s1 v2s2)"
is "bash: 'ferry copy --multi-arch i' offers index-only" "$(comp 'ferry copy --multi-arch i')" "index-only"
is "bash: 'ferry sync --src ' offers the source types" "$(comp 'ferry sync --src ')" "$(lines dir docker oci yaml)"
mkdir -p "$T/c/beta" "$T/c/gamma dir"
: >"$T/c/alpha"
is "bash: 'ferry --policy PATH' completes a path" "$(comp "ferry --policy $T/c/al")" "$T/c/alpha"
is "bash: 'ferry copy --authfile=PATH' completes a path" "$(comp "ferry copy --authfile=$T/c/al")" "$T/c/alpha"
is "bash: 'ferry inspect --retry-times ' offers nothing (a number)" "$(comp 'ferry inspect --retry-times ')" ""

# ------------------------------------------------ bash: transports and paths
is "bash: 'ferry copy ' offers every transport of list-transports as NAME: (docker://)" \
    "$(comp 'ferry copy ')" "$TRANSPORT_WORDS"
is "bash: the third-party test module completes ('ferry copy fro')" "$(comp 'ferry copy fro')" "frozen10:"
is "bash: 'ferry copy dir:/x ' offers transports for the destination" "$(comp "ferry copy dir:$T/c/alpha ")" "$TRANSPORT_WORDS"
is "bash: 'ferry inspect docker-a' offers docker-archive:" "$(comp 'ferry inspect docker-a')" "docker-archive:"
# Readline replaces only the text after the last ':': the reply is the rest.
is "bash: 'ferry copy docker:' completes to docker:// (reply after the ':')" "$(comp 'ferry copy docker:')" "//"
is "bash: 'ferry copy dir:\$T/c/' lists the directory" "$(comp "ferry copy dir:$T/c/")" \
    "$(lines "$T/c/alpha" "$T/c/beta" "$T/c/gamma dir")"
is "bash: 'ferry copy dir:' completes paths from the current directory" \
    "$(cd "$T/c" && comp 'ferry copy dir:')" "$(lines alpha beta "gamma dir")"
for t in oci oci-archive docker-archive; do
    is "bash: 'ferry copy $t:\$T/c/al' completes the path" "$(comp "ferry copy $t:$T/c/al")" "$T/c/alpha"
done
is "bash: 'ferry copy dir:A oci:\$T/c/b' completes the destination path" \
    "$(comp "ferry copy dir:$T/c/alpha oci:$T/c/b")" "$T/c/beta"
is "bash: 'ferry copy oci:PATH:' offers nothing past the path" "$(comp "ferry copy oci:$T/c/alpha:")" ""
is "bash: 'ferry copy docker://host/r' completes no path" "$(comp "ferry copy docker://$T/c/al")" ""
is "bash: 'ferry manifest-digest PATH' completes a path" "$(comp "ferry manifest-digest $T/c/al")" "$T/c/alpha"
is "bash: 'ferry sync --src dir --dest docker PATH' completes the source path" \
    "$(comp "ferry sync --src dir --dest docker $T/c/al")" "$T/c/alpha"
is "bash: 'ferry sync --src dir --dest docker SRC R' offers no path for a registry" \
    "$(comp "ferry sync --src dir --dest docker $T/c/alpha $T/c/al")" ""
is "bash: 'ferry sync -s docker -d oci REPO PATH' completes the destination path" \
    "$(comp "ferry sync -s docker -d oci quay.io/x $T/c/al")" "$T/c/alpha"

# ------------------------------------------------ zsh
ZSH=$(command -v zsh || true)
if [ -z "$ZSH" ]; then
    skip "zsh: the completion function parses" "zsh not installed"
    skip "zsh: its helper lists the same transports as bash's" "zsh not installed"
    skip "zsh: completion in an interactive zsh" "zsh not installed"
    finish
fi
if "$ZSH" -n "$ZSH_COMPLETION" 2>"$T/err"; then ok "zsh: the completion function parses (zsh -n)"; else
    not_ok "zsh: the completion function parses (zsh -n)" "$(cat "$T/err")"; fi

bash_list=$(bash --norc -c '. "$1"; _ferry_transport_names "$2"' _ "$BASH_COMPLETION" "$FERRY" | LC_ALL=C sort)
zsh_list=$("$ZSH" -f -c 'autoload -U compinit; compinit -u -D; source "$1" && _ferry_transport_names "$2"' _ \
    "$ZSH_COMPLETION" "$FERRY" 2>"$T/err" | LC_ALL=C sort)
is "zsh: after compinit, its helper lists the same transports as bash's (frozen10 included)" "$zsh_list" "$bash_list"

# zcomp LINE: the matches a real completion (TAB) offers in an interactive
# zsh under zpty, one a line, sorted: compadd is wrapped to record them.
mkdir -p "$T/zfp" "$T/zbin"
cp "$ZSH_COMPLETION" "$T/zfp/_ferry"
ln -s "$FERRY" "$T/zbin/ferry"
cat >"$T/zcomp.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
out=$1 dir=$2 line=$3
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT=''; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd() { if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi; local -a hits; builtin compadd -O hits "$@"; (( $#hits )) && print -rl -- $hits >>'"$out"'; builtin compadd "$@"; }'
zpty -w z "zstyle ':completion:*' menu no; print -r ready >$out.ready"
for i in {1..100}; do [[ -s $out.ready ]] && break; sleep 0.1; done
zpty -w -n z "$line"$'\t'
# Done when the matches have been written and nothing came for 0.5 s.
for i in {1..100}; do [[ -s $out ]] && break; sleep 0.1; done
sleep 0.5
zpty -d z
EOF
zcomp() {
    rm -f "$T/zout" "$T/zout.ready"
    PATH="$T/zbin:$PATH" timeout 30 "$ZSH" -f "$T/zcomp.zsh" "$T/zout" "$T/zfp" "$1" >/dev/null 2>&1
    [ -f "$T/zout" ] && LC_ALL=C sort -u "$T/zout"
}
got=$(zcomp 'ferry ')
is "zsh: 'ferry <TAB>' offers every command" "$got" "$COMMANDS"
is "zsh: 'ferry copy --src-t<TAB>' offers --src-tls-verify" "$(zcomp 'ferry copy --src-t')" "--src-tls-verify"
is "zsh: 'ferry copy fro<TAB>' offers the third-party transport" "$(zcomp 'ferry copy fro')" "frozen10:"
is "zsh: 'ferry copy d<TAB>' offers the d… transports" "$(zcomp 'ferry copy d')" "$(grep '^d' <<<"$TRANSPORT_WORDS")"
is "zsh: 'ferry copy dir:\$T/c/al<TAB>' completes the path" "$(zcomp "ferry copy dir:$T/c/al")" "alpha"
is "zsh: 'ferry copy --format <TAB>' offers the manifest types" "$(zcomp 'ferry copy --format ')" "$(lines oci v2s1 v2s2)"

finish
