#!/bin/bash
# tests/system/docker-faults.sh — the docker:// transport against a real
# docker-registry through tests/fixtures/fault_proxy.py (TAP): a connection
# reset in the middle of a blob (resumed with Range; a server ignoring Range
# never corrupts the result), 429 with Retry-After in seconds, as an HTTP
# date and absent (honoured, bounded), 5xx then success with --retry-times,
# 401/403/404 never retried, wrong bytes for a digest (status 1, nothing
# written), oversized manifests and error bodies refused, manifests whose
# Content-Type contradicts their mediaType or that name malformed digests
# (refused before any use), a redirect to another host that gets no
# credentials, a registry requiring chunked uploads, cross-repository mounts
# (no layer bytes moved; a mount answered 202 is completed or cancelled).
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

start_registry reg
start_proxy px "$REG_PORT"
P="127.0.0.1:$PROXY_PORT"
PLOG="$PROXY_DIR/requests.log"
pw() { echo "Fp-$1-k3Vb"; }
start_registry auth --htpasswd "alice:$(pw alice)"
start_proxy apx "$REG_PORT"
AP="127.0.0.1:$PROXY_PORT"
APLOG="$PROXY_DIR/requests.log"
SIDELOG="$PROXY_DIR/side.log"
NOTLS=--tls-verify=false

O="$T/img/layout"
W="$T/w"
{
    V1=$(mkimage --layout oci --manifest oci --layers 3 --layer-size 2M,64K,0 --file-size 256K --tag v1 "$O") &&
        V2=$(mkimage --layout oci --manifest oci --layers 1 --layer-size 16K --tag v2 --seed 2 "$O") &&
        V3=$(mkimage --layout oci --manifest oci --layers 2 --layer-size 300K,10K --tag v3 --seed 3 "$O")
} || { echo "Bail out! mkimage failed"; exit 1; }
M1="$O/blobs/sha256/${V1#sha256:}"
BIG_LAYER=$(checkimage get "$M1" layers 0 digest)
BIG_SIZE=$(checkimage get "$M1" layers 0 size)
CONFIG_SIZE=$(checkimage get "$M1" config size)
LAYERS=$(for i in 0 1 2; do checkimage get "$M1" layers "$i" digest; done)

# Setup pushes go straight to the registries, with skopeo when installed.
setup_push() {
    local tool=ferry
    [ "$HAVE_SKOPEO" = 1 ] && tool=skopeo
    "$tool" copy -q --dest-tls-verify=false "$@" >"$T/setup.err" 2>&1 ||
        { echo "Bail out! setup push $* failed: $(cat "$T/setup.err")"; exit 1; }
}
setup_push "oci:$O:v1" "docker://127.0.0.1:$REG_PORT_reg/faults/img:v1"
setup_push "oci:$O:v2" "docker://127.0.0.1:$REG_PORT_reg/faults/small:v2"
setup_push --dest-creds "alice:$(pw alice)" "oci:$O:v1" "docker://127.0.0.1:$REG_PORT_auth/private/img:v1"

# pulled_ok DESC LAYOUT:REF DIGEST: the last run succeeded and wrote a
# complete copy with that digest.
pulled_ok() {
    if [ "$RC" -ne 0 ]; then not_ok "$1" "exit status $RC: $(head -c 1500 "$T/err")"; return; fi
    local got
    got=$(oci_digest "$2")
    if [ "$got" = "$3" ] && checkimage verify oci "$2" >/dev/null 2>"$T/verify.err"; then ok "$1"; else
        not_ok "$1" "digest $got (want $3); $(head -c 500 "$T/verify.err")"; fi
}
# gaps PATH_REGEX: "STATUS SECONDS" for each GET of a matching path since
# `mark $PLOG`: its status and the time from its answer to the next such
# request (the last one: "STATUS -").
gaps() {
    since "$PLOG" | "$PYTHON3" -c '
import json, re, sys
rx = re.compile(sys.argv[1])
rs = sorted((r for r in map(json.loads, filter(str.strip, sys.stdin))
             if r["method"] == "GET" and rx.search(r["path"])), key=lambda r: r["t0"])
for a, b in zip(rs, rs[1:] + [None]):
    print(a.get("status"), "-" if b is None else "%.2f" % (b["t0"] - a["t1"]))
' "$1"
}
proxy() { proxy_rules px "$@"; mark "$PLOG"; }
SRC="docker://$P/faults/img:v1"

# ------------------------------------------------ connection reset mid-blob
proxy "action=reset,method=GET,path=/blobs/$BIG_LAYER,after=$((BIG_SIZE / 2)),times=1"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/reset:t"
pulled_ok "reset after half of a $BIG_SIZE-byte blob: the copy completes with the right digest" "$W/reset:t" "$V1"
is "... the connection was really cut" "$(jcount "$PLOG" 'r.get("reset")')" 1
resumed=$(jprint "$PLOG" "r['method'] == 'GET' and '$BIG_LAYER' in r['path'] and (r.get('range') or '').startswith('bytes=') and not r.get('reset')" \
    'str(r.get("status")) + " " + r["range"]' | head -n 1)
case "$resumed" in
    "206 bytes=0-"* | "") not_ok "... resumed with Range: bytes=N- (N > 0) answered 206" "requests: $(jprint "$PLOG" "'$BIG_LAYER' in r['path']" 'str(r.get("status")) + " range=" + str(r.get("range"))')" ;;
    "206 bytes="*) ok "... resumed with Range (${resumed#206 })" ;;
    *) not_ok "... resumed with Range: bytes=N- answered 206" "$resumed" ;;
esac

# The same, the connection closed in order after exactly HALF bytes (a
# premature end of the body): the client has every one of them, so it asks
# for the rest from there.
HALF=$((BIG_SIZE / 2))
proxy "action=reset,mode=fin,method=GET,path=/blobs/$BIG_LAYER,after=$HALF,times=1"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/eof:t"
pulled_ok "premature end of a blob body after $HALF bytes: the copy completes" "$W/eof:t" "$V1"
is "... resumed from exactly there (Range: bytes=$HALF-, 206)" \
    "$(jprint "$PLOG" "r['method'] == 'GET' and '$BIG_LAYER' in r['path'] and not r.get('reset')" 'str(r.get("status")) + " " + str(r.get("range"))')" \
    "206 bytes=$HALF-"

proxy "action=reset,method=GET,path=/blobs/$BIG_LAYER,after=$((BIG_SIZE / 3)),times=3"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/reset3:t"
pulled_ok "three resets in a row on one blob: the copy still completes" "$W/reset3:t" "$V1"

# A server that ignores Range (answers 200 with the whole blob).
proxy "action=reset,method=GET,path=/blobs/$BIG_LAYER,after=$((BIG_SIZE / 2)),times=1" \
    "action=strip-range,method=GET,path=/blobs/$BIG_LAYER"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/norange:t"
if [ "$RC" -eq 0 ]; then
    pulled_ok "reset, then a server ignoring Range: the result is correct" "$W/norange:t" "$V1"
else
    absent "reset, then a server ignoring Range: a clean failure writes nothing" "$W/norange"
fi

# ------------------------------------------------ 429 Too Many Requests
for ra in 1 date:2 none; do
    proxy "action=status,code=429,retry-after=$ra,method=GET,path=/manifests/v1,times=2"
    run ferry inspect --raw $NOTLS "$SRC"
    is "429 twice on the manifest, Retry-After $ra: then success" "$RC $(sha256 "$T/out")" "0 $V1"
    g=$(gaps '/manifests/v1$')
    is "... two 429 answers, then 200" "$(echo "$g" | cut -d' ' -f1 | tr '\n' ' ')" "429 429 200 "
    if [ "$ra" != none ]; then
        short=$(echo "$g" | awk '$1 == 429 && $2 < 0.9')
        if [ -z "$short" ]; then ok "... the client waited as Retry-After said"; else
            not_ok "... the client waited as Retry-After said" "$g"; fi
    fi
done
proxy "action=status,code=429,retry-after=1,method=GET,path=/blobs/$BIG_LAYER,times=1"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/429blob:t"
pulled_ok "429 on a blob: then success" "$W/429blob:t" "$V1"
proxy "action=status,code=429,retry-after=1,method=GET,path=/manifests/v1"
start=$(date +%s)
run ferry inspect --raw $NOTLS "$SRC"
took=$(($(date +%s) - start))
is "429 forever: gives up with status 1" "$RC" 1
# Notes about waiting may come first; the error is the last line.
if tail -n 1 "$T/err" | grep -qF "faults/img" && tail -n 1 "$T/err" | grep -qiE "429|too many"; then
    ok "... the last line names the image and the 429"
else not_ok "... the last line names the image and the 429" "$(tail -n 3 "$T/err")"; fi
n=$(jcount "$PLOG" '"/manifests/v1" in r["path"]')
if [ "$n" -le 20 ] && [ "$took" -le 90 ]; then ok "... bounded ($n requests, ${took}s)"; else
    not_ok "... bounded" "$n requests in ${took}s"; fi

# ------------------------------------------------ 5xx and --retry-times
proxy "action=status,code=503,method=GET,path=/manifests/v1,times=2"
run ferry copy -q --retry-times 3 --retry-delay 1s --src-tls-verify=false "$SRC" "oci:$W/503:t"
pulled_ok "503 twice, --retry-times 3: success" "$W/503:t" "$V1"
is "... the registry was asked again" "$(jcount "$PLOG" '"/manifests/v1" in r["path"] and r.get("status") == 503')" 2
proxy "action=status,code=503,method=GET,path=/blobs/$BIG_LAYER,times=1"
run ferry copy -q --retry-times 2 --retry-delay 1s --src-tls-verify=false "$SRC" "oci:$W/503blob:t"
pulled_ok "503 on a blob, --retry-times 2: success" "$W/503blob:t" "$V1"
proxy "action=status,code=500,method=PUT,path=/manifests/,times=1"
run ferry copy -q --retry-times 2 --retry-delay 1s --dest-tls-verify=false "oci:$O:v2" "docker://$P/faults/pushed:v2"
is "500 on the manifest PUT, --retry-times 2: the push succeeds" "$RC $(http_status "http://$P/v2/faults/pushed/manifests/$V2" HEAD)" "0 200"
proxy "action=status,code=502,method=GET,path=/manifests/v1,times=1"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/502:t"
is "502 without --retry-times: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "faults/img"
absent "... nothing written" "$W/502"

# never_retried DESC RULE REF [flags]: with --retry-times 3 the registry
# sees exactly as many requests as without retries.
never_retried() {
    local desc=$1 rule=$2 ref=$3 log=$4; shift 4
    local rx=${ref#docker://*/}
    rx="/${rx%%[:@]*}/"
    local rc0 n0 n1
    if [ -n "$rule" ]; then proxy_rules "${log%%:*}" "$rule"; else proxy_clear "${log%%:*}"; fi
    mark "${log#*:}"
    run ferry inspect $NOTLS "$@" "$ref"
    rc0=$RC
    n0=$(jcount "${log#*:}" "'$rx' in r['path'] and '/v2/' in r['path']")
    if [ -n "$rule" ]; then proxy_rules "${log%%:*}" "$rule"; fi
    mark "${log#*:}"
    run ferry inspect $NOTLS --retry-times 3 "$@" "$ref"
    n1=$(jcount "${log#*:}" "'$rx' in r['path'] and '/v2/' in r['path']")
    if [ "$rc0" -ne 0 ] && [ "$RC" -ne 0 ] && [ "$n1" -eq "$n0" ]; then ok "$desc: not retried ($n1 requests)"; else
        not_ok "$desc: not retried" "status $rc0 then $RC; $n0 requests without retries, $n1 with --retry-times 3"; fi
}
never_retried "404 (missing tag)" "" "docker://$P/faults/img:nosuchtag" "px:$PLOG"
never_retried "403 on the manifest" "action=status,code=403,method=GET,path=/manifests/" "$SRC" "px:$PLOG"
never_retried "401 (wrong password)" "" "docker://$AP/private/img:v1" "apx:$APLOG" --creds "alice:wrong"
proxy_clear apx

# ------------------------------------------------ wrong bytes for a digest
proxy "action=corrupt,method=GET,path=/blobs/$BIG_LAYER"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/corrupt:t"
is "a blob whose bytes do not match its digest: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "faults/img"
stderr_mentions "... and the digest" "digest|sha256"
absent "... nothing written" "$W/corrupt"
run ferry copy -q --src-tls-verify=false --retry-times 2 --retry-delay 1s "$SRC" "oci:$W/corrupt2:t"
is "... also with --retry-times (status 1)" "$RC" 1
absent "... nothing written" "$W/corrupt2"
mkdir -p "$W/existing"
setup_push "oci:$O:v2" "oci:$W/existing:keep" 2>/dev/null ||
    ferry copy -q "oci:$O:v2" "oci:$W/existing:keep" >/dev/null 2>&1
snapshot "$W/existing" >"$T/existing.snap"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/existing:new"
is "... into an existing layout: status 1" "$RC" 1
unchanged "... which is left exactly as it was" "$W/existing" "$T/existing.snap"
proxy "action=corrupt,method=GET,path=/manifests/$V1"
run ferry copy -q --src-tls-verify=false "docker://$P/faults/img@$V1" "oci:$W/badmanifest:t"
is "a manifest whose bytes do not match the digest asked for: status 1" "$RC" 1
absent "... nothing written" "$W/badmanifest"
proxy "action=corrupt,method=GET,path=/manifests/v1"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/badheader:t"
is "a manifest that does not match its Docker-Content-Digest: status 1" "$RC" 1
absent "... nothing written" "$W/badheader"

# ------------------------------------------------ oversized answers
for variant in "" ",chunked=1"; do
    what="Content-Length"
    [ -n "$variant" ] && what="chunked"
    proxy "action=huge-manifest,method=GET,path=/manifests/v1,size=$((4 * 1024 * 1024 + 1))$variant"
    run ferry inspect --raw $NOTLS "$SRC"
    is "a manifest of 4 MiB + 1 ($what): status 1" "$RC" 1
    stderr_one_line "... one line naming the image ($what)" "faults/img"
    run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/huge:t"
    is "... copy refuses it too ($what)" "$RC" 1
    absent "... nothing written ($what)" "$W/huge"
    proxy "action=huge-manifest,method=GET,path=/manifests/v1,size=$((1024 * 1024 * 1024))$variant"
    start=$(date +%s)
    run ferry inspect --raw $NOTLS "$SRC"
    took=$(($(date +%s) - start))
    sent=$(jprint "$PLOG" '"/manifests/v1" in r["path"]' 'r["bytes_out"]' | sort -n | tail -n 1)
    if [ "$RC" -eq 1 ] && [ "${sent:-0}" -lt $((64 * 1024 * 1024)) ] && [ "$took" -lt 30 ]; then
        ok "a 1 GiB manifest ($what) is refused without reading it ($sent bytes taken, ${took}s)"
    else not_ok "a 1 GiB manifest ($what) is refused without reading it" "status $RC, $sent bytes taken, ${took}s"; fi
done
proxy "action=status,code=500,method=GET,path=/manifests/v1,body-size=2097152"
run ferry inspect --raw $NOTLS "$SRC"
is "a 2 MiB error body: status 1" "$RC" 1
stderr_one_line "... one line" "faults/img"
if [ "$(wc -c <"$T/err")" -lt 4096 ]; then ok "... not dumped on stderr"; else
    not_ok "... not dumped on stderr" "$(wc -c <"$T/err") bytes of stderr"; fi

# ------------------------------------------------ untrusted manifests
proxy "action=add-header,method=GET,path=/manifests/v1,header=Content-Type:application/vnd.docker.distribution.manifest.v2+json,replace=1"
run ferry copy -q --src-tls-verify=false "$SRC" "oci:$W/ctype:t"
is "an OCI manifest served as a Docker one (Content-Type vs mediaType): status 1" "$RC" 1
stderr_one_line "... one line naming the image" "faults/img"
absent "... nothing written" "$W/ctype"
# Manifests naming blobs by malformed digests: refused before a digest
# becomes a path or a URL.
for bad in 'sha256:../../../../etc/passwd' "sha256:$(printf '%063d' 0)" "md5:$(printf '%032d' 0)" 'sha256:%2e%2e%2fx'; do
    "$PYTHON3" - "$M1" "$bad" "$T/evil.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["layers"][0]["digest"] = sys.argv[2]
open(sys.argv[3], "w").write(json.dumps(m))
PYEOF
    proxy "action=serve,method=GET,path=/manifests/evil,file=$T/evil.json,type=application/vnd.oci.image.manifest.v1+json"
    run ferry copy -q --src-tls-verify=false "docker://$P/faults/img:evil" "oci:$W/evil:t"
    is "a manifest naming a layer $bad: status 1" "$RC" 1
    absent "... nothing written" "$W/evil"
    is "... and no request was made for it" \
        "$(jcount "$PLOG" "'/blobs/' in r['path'] and ('..' in unquote(r['path']) or '%' in r['path'] or '/blobs/md5' in r['path'] or r['path'].endswith('$(printf '%063d' 0)'))")" 0
done

# ------------------------------------------------ redirect to another host
proxy_rules apx "action=redirect,method=GET,path=/blobs/sha256:,to=localhost"
mark "$APLOG"; mark "$SIDELOG"
run ferry copy -q --src-tls-verify=false --src-creds "alice:$(pw alice)" "docker://$AP/private/img:v1" "oci:$W/redirect:t"
pulled_ok "blobs redirected to another host: the copy completes" "$W/redirect:t" "$V1"
is "... every blob came from the other host" "$(jcount "$SIDELOG" 'r["method"] == "GET"')" 4
is "... which never got an Authorization header" "$(jcount "$SIDELOG" 'r["authorization"]')" 0
is "... nor a cookie" "$(jcount "$SIDELOG" 'r["cookie"]')" 0
is "... while the registry got the credentials (each redirected GET)" \
    "$(jcount "$APLOG" 'r.get("status") == 307 and r.get("auth") == "Basic alice"')" 4
proxy_clear apx

# ------------------------------------------------ uploads
# A registry that wants chunks (OCI-Chunk-Min-Length on the POST answer) and
# refuses a blob in the closing PUT.
proxy "action=add-header,method=POST,path=/blobs/uploads/,header=OCI-Chunk-Min-Length:65536" \
    "action=status,code=413,method=PUT,path=/blobs/uploads/,has-body=1"
run ferry copy -q --dest-tls-verify=false "oci:$O:v3" "docker://$P/faults/chunked:v3"
is "a registry requiring chunked uploads (OCI-Chunk-Min-Length): the push uses PATCH" \
    "$RC $(http_status "http://$P/v2/faults/chunked/manifests/$V3" HEAD)" "0 200"
M3="$O/blobs/sha256/${V3#sha256:}"
is "... every byte of the (new) image went up with PATCH" \
    "$(jprint "$PLOG" 'r["method"] == "PATCH" and r.get("status") == 202' 'r.get("bytes_in", 0)' | awk '{s += $1} END {print s + 0}')" \
    "$(( $(checkimage get "$M3" layers 0 size) + $(checkimage get "$M3" layers 1 size) + $(checkimage get "$M3" config size) ))"

proxy
run ferry copy -q --src-tls-verify=false --dest-tls-verify=false "$SRC" "docker://$P/faults/mounted:v1"
is "registry -> registry, same registry: status 0" "$RC" 0
mounted_not_moved "$PLOG" "$CONFIG_SIZE" $LAYERS
is "... the copy is there" "$(http_status "http://$P/v2/faults/mounted/manifests/$V1" HEAD)" 200

proxy "action=strip-mount,method=POST,path=mount="
run ferry copy -q --src-tls-verify=false --dest-tls-verify=false "$SRC" "docker://$P/faults/mount202:v1"
is "a mount answered 202 (upload begun instead): the copy succeeds" \
    "$RC $(http_status "http://$P/v2/faults/mount202/manifests/$V1" HEAD)" "0 200"
dangling=$(since "$PLOG" | "$PYTHON3" -c '
import json, sys, urllib.parse
rs = [json.loads(l) for l in sys.stdin if l.strip()]
for r in rs:
    if r["method"] == "POST" and r.get("status") == 202 and r.get("location"):
        uuid = urllib.parse.urlsplit(r["location"]).path.rstrip("/").rsplit("/", 1)[-1]
        if not any(x["method"] in ("PUT", "DELETE") and uuid in x["path"] and x.get("status") in (201, 204)
                   for x in rs):
            print(uuid)
')
is "... every upload begun was completed or cancelled" "$dangling" ""

# ------------------------------------------------ connection refused, then the registry comes up
# Nothing listens on FREE at first; a plain TCP relay to the registry starts
# there 1.5 s later (20 retries: the relay may start slowly on a loaded
# machine). Refused connections are network errors: --retry-times
# retries them, and without it the copy fails at once with one line.
FREE=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run ferry copy -q --src-tls-verify=false "docker://127.0.0.1:$FREE/faults/img:v1" "oci:$W/refused0:t"
is "connection refused without --retry-times: status 1" "$RC" 1
stderr_one_line "... one line naming the registry" "127.0.0.1:$FREE"
(sleep 1.5; exec "$PYTHON3" "$SRCDIR/bench/latency_proxy.py" --target "$P" --listen "$FREE" --delay-ms 0 \
    --lifetime 60 >/dev/null 2>&1) &
relay=$!
run ferry copy -q --retry-times 20 --retry-delay 1s --src-tls-verify=false "docker://127.0.0.1:$FREE/faults/img:v1" \
    "oci:$W/refused:t"
pulled_ok "connection refused, then the registry answers: --retry-times recovers" "$W/refused:t" "$V1"
kill "$relay" 2>/dev/null
wait "$relay" 2>/dev/null

finish
