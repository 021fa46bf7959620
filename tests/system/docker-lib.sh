# tests/system/docker-lib.sh — shared part of the docker-*.sh system tests:
# ferry's docker:// transport against real servers started here, on
# 127.0.0.1 only: Debian's docker-registry (tests/fixtures/registry.sh), the
# token server (tests/fixtures/token_server.py) and the fault-injecting proxy
# (tests/fixtures/fault_proxy.py).
#
# Sourced by tests/system/docker-*.sh in place of lib.sh, which it sources
# itself. Every server is started with a time limit of its own and
# stopped by the EXIT trap, so nothing outlives a script for long.
#
#   start_registry NAME [registry.sh options]  -> REG_PORT, REG_DIR (also
#                                                 REG_PORT_<NAME>, REG_DIR_<NAME>)
#   start_token NAME [token_server.py options] -> TOKEN_PORT, TOKEN_DIR
#   start_proxy NAME UPSTREAM_PORT [--rule R]  -> PROXY_PORT, PROXY_DIR, SIDE_PORT
#   proxy_rules NAME RULE... / proxy_clear NAME
#   mark FILE / since FILE      lines FILE gained after `mark FILE`
#   jcount FILE EXPR            JSON-lines of FILE (since its mark) for which the
#                               Python expression EXPR (on `r`; re and unquote
#                               available) is true
#   jprint FILE EXPR FIELDEXPR  FIELDEXPR of each of those, one per line

: "${FERRY_TEST_TIMEOUT:=120}"
. "${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/system/lib.sh"

FIXTURES="$SRCDIR/tests/fixtures"
REGISTRY_BIN=${REGISTRY_BIN:-$(command -v docker-registry 2>/dev/null || echo /usr/bin/docker-registry)}
export REGISTRY_BIN
[ -x "$REGISTRY_BIN" ] || skip_all "docker-registry (Debian package docker-registry) not installed"
need_python
# Only a missing docker-registry skips; the other tools are the suite's own
# dependencies (.ci/run installs them), so their absence fails.
command -v openssl >/dev/null 2>&1 || { echo "Bail out! openssl is not installed"; exit 1; }

# The fixtures run with Debian's python (python3-cryptography), whichever
# python3 comes first on PATH.
FIXPY=/usr/bin/python3
[ -x "$FIXPY" ] || FIXPY=$PYTHON3
HAVE_CRYPTO=0
"$FIXPY" -c 'import cryptography' 2>/dev/null && HAVE_CRYPTO=1

# Servers live at most this long (seconds), whatever happens to the script.
FIXTURE_LIFETIME=${FIXTURE_LIFETIME:-600}

mkdir -p "$T/fx"
_FX_REGISTRIES=()
_FX_PIDS=()
_fx_cleanup() {
    local d p
    for d in "${_FX_REGISTRIES[@]}"; do "$FIXTURES/registry.sh" stop "$d" >/dev/null 2>&1; done
    for p in "${_FX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${_FX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    return 0
}
trap '_fx_st=$?; _fx_cleanup; (exit $_fx_st); _tap_exit' EXIT

# start_registry NAME [options]: a registry in $T/fx/NAME.
start_registry() {
    local name=$1; shift
    REG_DIR="$T/fx/$name"
    REG_PORT=$("$FIXTURES/registry.sh" start "$REG_DIR" --minutes $(((FIXTURE_LIFETIME + 59) / 60)) "$@" 2>"$T/fx/$name.err")
    if [ -z "$REG_PORT" ]; then
        echo "Bail out! registry $name did not start: $(cat "$T/fx/$name.err")"
        exit 1
    fi
    _FX_REGISTRIES+=("$REG_DIR")
    printf -v "REG_PORT_$name" '%s' "$REG_PORT"
    printf -v "REG_DIR_$name" '%s' "$REG_DIR"
}

# _start_py NAME DIR SCRIPT ARGS...: a python fixture in the background,
# waiting (bounded) for DIR/port.
_start_py() {
    local name=$1 dir=$2 script=$3 i pid; shift 3
    mkdir -p "$dir"
    timeout -k 5 "$((FIXTURE_LIFETIME + 30))" "$FIXPY" "$FIXTURES/$script" "$@" \
        >"$dir/stdout" 2>"$dir/stderr" </dev/null &
    pid=$!
    _FX_PIDS+=("$pid")
    for i in $(seq 200); do
        [ -s "$dir/port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "Bail out! $name did not start: $(tail -n 5 "$dir/stderr")"
    exit 1
}

# start_token NAME [options]: a token server in $T/fx/NAME.
start_token() {
    local name=$1; shift
    TOKEN_DIR="$T/fx/$name"
    _start_py "$name" "$TOKEN_DIR" token_server.py --dir "$TOKEN_DIR" --lifetime "$FIXTURE_LIFETIME" "$@"
    TOKEN_PORT=$(cat "$TOKEN_DIR/port")
}

# start_proxy NAME UPSTREAM_PORT [--rule RULE]...: a fault proxy in $T/fx/NAME.
start_proxy() {
    local name=$1 up=$2; shift 2
    PROXY_DIR="$T/fx/$name"
    _start_py "$name" "$PROXY_DIR" fault_proxy.py serve --upstream "http://127.0.0.1:$up" \
        --dir "$PROXY_DIR" --lifetime "$FIXTURE_LIFETIME" "$@"
    PROXY_PORT=$(cat "$PROXY_DIR/port")
    SIDE_PORT=$(cat "$PROXY_DIR/side-port")
    touch "$PROXY_DIR/requests.log" "$PROXY_DIR/side.log"
}

proxy_rules() {
    local name=$1; shift
    "$FIXPY" "$FIXTURES/fault_proxy.py" ctl "$T/fx/$name" set "$@" >/dev/null ||
        { echo "Bail out! fault_proxy.py rejected the rules $*"; exit 1; }
}
proxy_clear() { "$FIXPY" "$FIXTURES/fault_proxy.py" ctl "$T/fx/$1" clear >/dev/null; }

# _settle FILE: waits (briefly, bounded) until FILE stops growing: a server
# logs a request just after answering it, maybe after the client exited.
_settle() {
    local a b i
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        a=$(stat -c %s "$1" 2>/dev/null)
        sleep 0.05
        b=$(stat -c %s "$1" 2>/dev/null)
        [ "$a" = "$b" ] && return 0
    done
    return 0
}

# mark FILE: later `since FILE` / jcount / jprint only look at lines added
# after this point.
mark() {
    local n=0
    [ -f "$1" ] && n=$(wc -l <"$1")
    printf '%s\n' "$n" >"$1.mark"
}
since() {
    local n=0
    _settle "$1"
    [ -f "$1.mark" ] && n=$(cat "$1.mark")
    [ -f "$1" ] && tail -n "+$((n + 1))" "$1"
}

_jsel() {
    since "$1" | "$PYTHON3" -c '
import json, sys
import re, urllib.parse
env = {"re": re, "unquote": urllib.parse.unquote}
expr = compile(sys.argv[1], "expr", "eval")
field = compile(sys.argv[2], "field", "eval") if len(sys.argv) > 2 else None
n = 0
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        r = json.loads(line)
    except ValueError:
        continue
    try:
        hit = eval(expr, env, {"r": r})
    except Exception:
        hit = False
    if hit:
        n += 1
        if field is not None:
            print(eval(field, env, {"r": r}))
if field is None:
    print(n)
' "${@:2}"
}
jcount() { _jsel "$1" "$2"; }
jprint() { _jsel "$1" "$2" "$3"; }

# ------------------------------------------------------------ images

# oci_digest LAYOUT:REF: the manifest digest of an image in an OCI layout
# (empty when it is not there or not valid).
oci_digest() { checkimage verify oci "$1" --print digest 2>/dev/null | head -n 1; }

# registry_get URL [METHOD]: the body of a request made without ferry on
# stdout, the HTTP status on stderr; manifests are asked for with every
# manifest type. $FX_CA (a CA file), $FX_CERT/$FX_KEY (a client pair) and
# $FX_AUTH (USER:PASS, Basic) apply when set.
registry_get() {
    "$FIXPY" - "$@" <<'PYEOF'
import base64, os, ssl, sys, urllib.request, urllib.error
url = sys.argv[1]
ctx = None
if url.startswith("https:"):
    ctx = ssl.create_default_context(cafile=os.environ.get("FX_CA") or None)
    if os.environ.get("FX_CERT"):
        ctx.load_cert_chain(os.environ["FX_CERT"], os.environ["FX_KEY"])
req = urllib.request.Request(url, method=sys.argv[2] if len(sys.argv) > 2 else "GET")
if os.environ.get("FX_AUTH"):
    req.add_header("Authorization", "Basic " + base64.b64encode(os.environ["FX_AUTH"].encode()).decode())
req.add_header("Accept", ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"]))
try:
    with urllib.request.urlopen(req, timeout=20, context=ctx) as r:
        sys.stdout.buffer.write(r.read())
        code = r.status
except urllib.error.HTTPError as e:
    code = e.code
except (OSError, ssl.SSLError):
    code = 0
sys.stderr.write("%d\n" % code)
PYEOF
}

# http_status URL [METHOD]: the HTTP status of a plain request (no auth).
http_status() { registry_get "$@" 2>&1 >/dev/null | tail -n 1; }

# mounted_not_moved LOG CONFIG_SIZE LAYER...: two checks on the proxy LOG
# (since its mark) of a registry -> registry copy: every LAYER was mounted
# (POST ?mount=LAYER&from=… answered 201) and the uploads carried no more
# than the config's bytes.
mounted_not_moved() {
    local log=$1 config=$2 l unmounted="" up; shift 2
    for l in "$@"; do
        [ "$(jcount "$log" "r['method'] == 'POST' and r.get('status') == 201 and 'mount=$l' in unquote(r['path']) and 'from=' in r['path']")" -ge 1 ] ||
            unmounted="$unmounted $l"
    done
    is "... every layer was mounted (POST ?mount=&from= answered 201)" "$unmounted" ""
    up=$(jprint "$log" "r['method'] in ('PUT', 'PATCH') and '/blobs/uploads/' in r['path']" 'r.get("bytes_in", 0)' |
        awk '{s += $1} END {print s + 0}')
    if [ "$up" -le "$config" ]; then ok "... no layer bytes moved ($up bytes uploaded)"; else
        not_ok "... no layer bytes moved" "$up bytes uploaded (the config is $config)"; fi
}

# no_secret DESC SECRET: neither stdout nor stderr of the last run shows SECRET.
no_secret() {
    if grep -qF -- "$2" "$T/out" "$T/err"; then
        not_ok "$1" "the secret appears in the output: $(grep -F -- "$2" "$T/out" "$T/err" | head -c 400)"
    else ok "$1"; fi
}

# stderr_mentions DESC REGEX: stderr of the last run matches REGEX
# (extended, case-insensitive).
stderr_mentions() {
    if grep -qiE -- "$2" "$T/err"; then ok "$1"; else
        not_ok "$1" "stderr does not match /$2/i: $(head -c 1500 "$T/err")"
    fi
}
