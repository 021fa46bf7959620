#!/bin/bash
# tests/system/docker-resume.sh — uploads and blobs that break off, against
# Debian's docker-registry through tests/fixtures/fault_proxy.py (TAP):
#   - a slow source: the source blob stalls for seconds in the middle while
#     the destination PATCH stays open; no timeout of ours ends it;
#   - resumable uploads: a connection cut in the middle of a streamed PATCH
#     or of a chunk: ferry asks the registry where the session stands (GET,
#     Range) and goes on from there in the same session;
#   - a session the registry dropped after a broken PATCH (distribution does
#     so once it got some of the bytes): the blob alone is sent again;
#   - per-blob retries: a transient failure (5xx, reset) of one layer's
#     upload or download, or of the config's, retries that blob (bounded,
#     with backoff), not the copy; permanent ones (400, a digest mismatch)
#     are not retried;
#     --retry-times still retries the whole operation on top.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

start_registry reg
REG="127.0.0.1:$REG_PORT_reg"
start_proxy px "$REG_PORT_reg"
P="127.0.0.1:$PROXY_PORT"
PLOG="$PROXY_DIR/requests.log"
start_proxy dx "$REG_PORT_reg"
D="127.0.0.1:$PROXY_PORT"
DLOG="$PROXY_DIR/requests.log"
NOTLS="--src-tls-verify=false --dest-tls-verify=false"

O="$T/img/layout"
W="$T/w"
{
    # Uncompressed layers: pushed compressed on the fly, so in a streamed PATCH.
    VU=$(mkimage --layout oci --manifest oci --layers 2 --layer-size 3M,64K --compression none --tag plain "$O") &&
        # A layer over one 8 MiB chunk (compressed) first, then small ones.
        VC=$(mkimage --layout oci --manifest oci --layers 3 --layer-size 20M,512K,16K --tag chunky --seed 2 "$O") &&
        VG=$(mkimage --layout oci --manifest oci --layers 3 --layer-size 2M,256K,16K --tag gz --seed 3 "$O")
} || { echo "Bail out! mkimage failed"; exit 1; }
MG="$O/blobs/sha256/${VG#sha256:}"
BIG=$(checkimage get "$MG" layers 0 digest)
BIG_RX="digest=sha256(:|%3[aA])${BIG#sha256:}"
GZ_BLOBS="$(checkimage get "$MG" config digest) $(for i in 0 1 2; do checkimage get "$MG" layers "$i" digest; done)"

proxy() { proxy_rules px "$@"; mark "$PLOG"; }
# pushed_ok DESC REPO:TAG: the last run succeeded, and the image pulled back
# from the registry (straight, not through the proxy) verifies: every blob
# matches its digest.
pushed_ok() {
    if [ "$RC" -ne 0 ]; then not_ok "$1" "exit status $RC: $(head -c 1500 "$T/err")"; return; fi
    rm -rf "$W/back"
    if ferry copy -q --src-tls-verify=false "docker://$REG/$2" "oci:$W/back:t" >/dev/null 2>"$T/back.err" &&
        checkimage verify oci "$W/back:t" >/dev/null 2>"$T/verify.err"; then ok "$1"; else
        not_ok "$1" "pulling it back: $(head -c 500 "$T/back.err") $(head -c 500 "$T/verify.err")"; fi
}
# posts: the upload sessions opened since the mark.
posts() { jcount "$PLOG" 'r["method"] == "POST" and "/blobs/uploads/" in r["path"] and "mount=" not in r["path"]'; }
# patches: "STATUS CONTENT-RANGE" of each PATCH since the mark, in order.
patches() {
    jprint "$PLOG" 'r["method"] == "PATCH"' 'str(r.get("status")) + " " + str(r.get("request_content_range"))'
}

# ------------------------------------------------ a slow source
# The source's largest blob stops for 5 s halfway; the destination gets it
# recompressed (zstd), so its digest is unknown and it goes up in a streamed
# PATCH that stays open, waiting, the whole time.
setup_src() { ferry copy -q --dest-tls-verify=false "oci:$O:$1" "docker://$REG/resume/src:$1" >"$T/setup.err" 2>&1 ||
    { echo "Bail out! setup push failed: $(cat "$T/setup.err")"; exit 1; }; }
setup_src gz
BIG_SIZE=$(checkimage get "$MG" layers 0 size)
proxy "action=stall,seconds=5,after=$((BIG_SIZE / 2)),method=GET,path=/blobs/$BIG"
mark "$DLOG"
run ferry copy -q $NOTLS --dest-compress-format zstd "docker://$P/resume/src:gz" "docker://$D/resume/slow:gz"
pushed_ok "a source stalling 5 s in the middle of a blob: the push completes" resume/slow:gz
is "... the source really stalled" "$(jcount "$PLOG" 'r.get("stalled")')" 1
long=$(jprint "$DLOG" 'r["method"] == "PATCH" and r.get("status") == 202 and r["t1"] - r["t0"] >= 4.5' 'r["path"]' | wc -l)
is "... while one streamed PATCH stayed open for it (and ended with 202)" "$long" 1

# ------------------------------------------------ resumable uploads
# A streamed PATCH cut after 1 MiB before the registry saw any of it: the
# session stands at 0, and goes on from there (Content-Range 0-…) in the
# same session, from the bytes ferry kept.
proxy "action=cut-request,after=1048576,method=PATCH,times=1"
run ferry copy -q $NOTLS "oci:$O:plain" "docker://$P/resume/stream:plain"
pushed_ok "streamed PATCH cut after 1 MiB: the push completes" resume/stream:plain
is "... the connection was cut once" "$(jcount "$PLOG" 'r.get("reset")')" 1
is "... ferry asked where the upload stood (GET, 204)" \
    "$(jcount "$PLOG" 'r["method"] == "GET" and "/blobs/uploads/" in r["path"] and r.get("status") == 204')" 1
resumed=$(patches | grep -v '^None' | grep -v ' None$' | head -n 1)
case "$resumed" in
    "202 0-"*) ok "... and sent the rest from there with Content-Range ($resumed)" ;;
    *) not_ok "... and sent the rest from there with Content-Range" "PATCHes: $(patches | tr '\n' ';')" ;;
esac
is "... in the same session (one POST per blob: 2 layers, the config)" "$(posts)" 3

# Chunked (OCI-Chunk-Min-Length), the second 8 MiB chunk of the 13 MB layer
# cut: the registry has the first chunk; the upload goes on at 8388608.
proxy "action=add-header,method=POST,path=/blobs/uploads/,header=OCI-Chunk-Min-Length:65536" \
    "action=cut-request,after=65536,method=PATCH,skip=1,times=1"
run ferry copy -q $NOTLS --image-parallel-copies 1 "oci:$O:chunky" "docker://$P/resume/chunks:chunky"
pushed_ok "the second chunk of a layer cut: the push completes" resume/chunks:chunky
is "... the image is the source's (digest $VC)" "$(http_status "http://$REG/v2/resume/chunks/manifests/$VC" HEAD)" 200
is "... PATCHes: chunk 1, chunk 2 cut, chunk 2 again from byte 8388608, then the small blobs" \
    "$(patches | head -n 3 | tr '\n' ';')" "202 0-8388607;None 8388608-$(($(checkimage get "$O/blobs/sha256/${VC#sha256:}" layers 0 size) - 1));202 8388608-$(($(checkimage get "$O/blobs/sha256/${VC#sha256:}" layers 0 size) - 1));"
is "... in the same session (one POST per blob)" "$(posts)" 4

# The registry got part of the PATCH: distribution then drops the session
# (GET answers 404). The blob goes up again in a new session; only it.
proxy "action=cut-request,forward=1,after=1048576,method=PATCH,times=1"
run ferry copy -q $NOTLS "oci:$O:plain" "docker://$P/resume/lost:plain"
pushed_ok "a session the registry dropped after a broken PATCH: the push completes" resume/lost:plain
is "... one more session, for that blob alone" "$(posts)" 4
stderr_mentions "... with a warning that the blob is sent again" "retrying the blob"

# ------------------------------------------------ per-blob retries
# put_digests: "STATUS DIGEST" of each closing PUT since the mark.
put_digests() {
    jprint "$PLOG" 'r["method"] == "PUT" and "digest=" in r["path"]' \
        'str(r.get("status")) + " " + unquote(r["path"]).split("digest=")[1].split("&")[0]' | sort
}
proxy "action=status,code=500,method=PUT,path=/blobs/uploads/.*$BIG_RX,times=1"
run ferry copy -q $NOTLS "oci:$O:gz" "docker://$P/retry/up:gz"
pushed_ok "a 500 on one layer's upload, no --retry-times: the push completes" retry/up:gz
is "... that layer was sent twice, every other blob once" \
    "$(put_digests | tr '\n' ';')" "$( (for b in $GZ_BLOBS; do echo "201 $b"; done; echo "500 $BIG") | sort | tr '\n' ';')"
is "... the manifest was written once" "$(jcount "$PLOG" 'r["method"] == "PUT" and "/manifests/" in r["path"]')" 1

# The config is retried on its own too: two syncs writing one repository at
# once made distribution answer a HEAD of the config with 500 (its link was
# being written).
CFG=$(checkimage get "$MG" config digest)
proxy "action=status,code=500,method=HEAD,path=/blobs/$CFG,times=1"
run ferry copy -q $NOTLS "oci:$O:gz" "docker://$P/retry/cfg:gz"
pushed_ok "a 500 on the check for the config, no --retry-times: the push completes" retry/cfg:gz
is "... the config was checked twice" "$(jcount "$PLOG" "r['method'] == 'HEAD' and '$CFG' in r['path']")" 2
is "... the manifest was written once" "$(jcount "$PLOG" 'r["method"] == "PUT" and "/manifests/" in r["path"]')" 1
stderr_mentions "... with a warning that the config is sent again" "retrying the blob"

# gets: "STATUS DIGEST" of each blob GET since the mark.
gets() { jprint "$PLOG" 'r["method"] == "GET" and "/blobs/sha256:" in r["path"]' \
    'str(r.get("status")) + " " + r["path"].rsplit("/", 1)[1]' | sort | tr '\n' ';'; }
for fault in "action=status,code=503" "action=reset,after=0"; do
    proxy "$fault,method=GET,path=/blobs/$BIG,times=1"
    rm -rf "$W/pull"
    run ferry copy -q $NOTLS "docker://$P/resume/src:gz" "oci:$W/pull:t"
    if [ "$RC" -eq 0 ] && [ "$(oci_digest "$W/pull:t")" = "$VG" ] && checkimage verify oci "$W/pull:t" >/dev/null 2>&1
    then ok "${fault%%,*} on one layer's download, no --retry-times: the pull completes"
    else not_ok "${fault%%,*} on one layer's download, no --retry-times: the pull completes" "status $RC: $(head -c 800 "$T/err")"; fi
    want=$( (for b in $GZ_BLOBS; do echo "200 $b"; done; [ "${fault#*code=}" = 503 ] && echo "503 $BIG" || echo "200 $BIG") | sort | tr '\n' ';')
    is "... that layer was fetched twice, every other blob once" "$(gets)" "$want"
    is "... the manifest was fetched once" "$(jcount "$PLOG" 'r["method"] == "GET" and "/manifests/" in r["path"]')" 1
done

# Bounded: a layer failing every time gets 3 attempts; --retry-times N
# repeats the whole copy (with its per-layer attempts) N more times.
proxy "action=status,code=503,method=GET,path=/blobs/$BIG"
start=$(date +%s)
run ferry copy -q $NOTLS "docker://$P/resume/src:gz" "oci:$W/fail:t"
is "a layer failing every time: status 1" "$RC" 1
if tail -n 1 "$T/err" | grep -qF "resume/src" && tail -n 1 "$T/err" | grep -qF 503; then
    ok "... the last line names the image and the 503"
else not_ok "... the last line names the image and the 503" "$(tail -n 3 "$T/err")"; fi
is "... after 3 attempts" "$(jcount "$PLOG" "'$BIG' in r['path']")" 3
absent "... nothing written" "$W/fail"
proxy "action=status,code=503,method=GET,path=/blobs/$BIG"
run ferry copy -q $NOTLS --retry-times 1 --retry-delay 0s "docker://$P/resume/src:gz" "oci:$W/fail:t"
is "... with --retry-times 1 the whole copy runs twice: 2 x 3 attempts, 2 manifest GETs" \
    "$RC $(jcount "$PLOG" "'$BIG' in r['path']") $(jcount "$PLOG" 'r["method"] == "GET" and "/manifests/gz" in r["path"]')" "1 6 2"
took=$(($(date +%s) - start))
if [ "$took" -le 20 ]; then ok "... the backoff is short (${took}s for both)"; else
    not_ok "... the backoff is short" "${took}s"; fi

# Permanent errors are not retried.
proxy "action=status,code=400,method=PUT,path=/blobs/uploads/.*$BIG_RX"
run ferry copy -q $NOTLS "oci:$O:gz" "docker://$P/retry/perm:gz"
is "a 400 on one layer's upload: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "retry/perm"
is "... sent once" "$(jcount "$PLOG" "r['method'] == 'PUT' and '${BIG#sha256:}' in r['path']")" 1
proxy "action=corrupt,method=GET,path=/blobs/$BIG"
run ferry copy -q $NOTLS "docker://$P/resume/src:gz" "oci:$W/corrupt:t"
is "a layer whose bytes do not match its digest: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "resume/src"
is "... fetched once" "$(jcount "$PLOG" "'$BIG' in r['path']")" 1
absent "... nothing written" "$W/corrupt"

finish
