#!/bin/bash
# tests/system/docker-token.sh — token authentication of the docker://
# transport (TAP): a real docker-registry with auth.token verifying the RS256
# JWTs of tests/fixtures/token_server.py, reached through the fault proxy
# (which logs every request). Push and pull with --creds, anonymous pulls of
# what the ACL makes public, denied pushes, wrong passwords (never printed),
# tokens reused rather than fetched per request, short-lived tokens (under
# 60 s) refreshed, oddly written (valid) WWW-Authenticate challenges, refresh
# tokens from auth.json `identitytoken` (OAuth2 POST), --registry-token,
# login, and cross-repository mounts asking for the `from` repository's pull
# scope.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"
[ "$HAVE_CRYPTO" = 1 ] || { echo "Bail out! python3-cryptography is not installed for $FIXPY (the token server signs JWTs)"; exit 1; }

pw() { echo "Tk-$1-w2Pq"; }
start_token tokens --user "alice:$(pw alice)" --user "bob:$(pw bob)" --user "carol:$(pw carol)" \
    --acl 'alice:*:*' --acl 'carol:*:*' --acl 'bob:bob/*:pull,push' --acl 'bob:shared/*:pull' \
    --acl ':public/*:pull' --short-lived 3 --short-lived-user carol
TLOG="$TOKEN_DIR/requests.log"
touch "$TLOG"
start_registry reg --token "http://127.0.0.1:$TOKEN_PORT/token" --token-cert "$TOKEN_DIR/token.crt"
start_proxy px "$REG_PORT"
R="127.0.0.1:$PROXY_PORT"
PLOG="$PROXY_DIR/requests.log"
NOTLS=--tls-verify=false

O="$T/img/layout"
W="$T/w"
{
    V1=$(mkimage --layout oci --manifest oci --layers 4 --layer-size 64K,32K,16K,8K --tag v1 "$O") &&
        V2=$(mkimage --layout oci --manifest oci --layers 2 --layer-size 100K,50K --tag v2 --seed 2 "$O")
} || { echo "Bail out! mkimage failed"; exit 1; }
CONFIG_SIZE=$(checkimage get "$O/blobs/sha256/${V1#sha256:}" config size)

# token_requests EXPR: token server requests since `mark $TLOG` matching EXPR.
token_requests() { jcount "$TLOG" "$1"; }

# ------------------------------------------------ push and pull
mark "$TLOG"; mark "$PLOG"
run_ok "push with --dest-creds (token auth)" ferry copy -q --dest-tls-verify=false --dest-creds "alice:$(pw alice)" \
    "oci:$O:v1" "docker://$R/alice/app:v1"
n=$(token_requests 'r.get("status") == 200 and r.get("user") == "alice"')
regs=$(jcount "$PLOG" 'True')
challenges=$(jcount "$PLOG" 'r.get("status") == 401')
if [ "$n" -ge 1 ] && [ "$n" -le 2 ] && [ "$regs" -ge 10 ]; then
    ok "push of 5 blobs: $n token request(s) for $regs registry requests (tokens reused)"
else not_ok "push of 5 blobs: tokens reused" "$n token requests for $regs registry requests (want 1 or 2)"; fi
if [ "$challenges" -le 2 ]; then ok "push: $challenges 401 challenge(s), not one per request"; else
    not_ok "push: at most 2 401 challenges" "$challenges 401 answers: $(jprint "$PLOG" 'r.get("status") == 401' 'r["method"] + " " + r["path"]' | head -n 10)"; fi
is "... the push asked for push and pull on the repository" \
    "$(token_requests 'r.get("status") == 200 and "repository:alice/app:pull,push" in r.get("scopes", []) or "repository:alice/app:push,pull" in r.get("scopes", [])')" \
    "$n"

mark "$TLOG"; mark "$PLOG"
run_ok "pull with --src-creds" ferry copy -q --src-tls-verify=false --src-creds "alice:$(pw alice)" \
    "docker://$R/alice/app:v1" "oci:$W/pulled:t"
is "... same digest" "$(oci_digest "$W/pulled:t")" "$V1"
n=$(token_requests 'r.get("status") == 200')
if [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then ok "pull of 5 blobs: $n token request(s)"; else
    not_ok "pull of 5 blobs: 1 or 2 token requests" "$n token requests"; fi
is "... pull asked only for pull" "$(token_requests 'any(":push" in s or ",push" in s for s in r.get("scopes", []))')" 0

# ------------------------------------------------ anonymous, denied, wrong password
run_ok "push to public/ (alice)" ferry copy -q --dest-tls-verify=false --dest-creds "alice:$(pw alice)" \
    "oci:$O:v2" "docker://$R/public/app:v2"
mark "$TLOG"
run_ok "anonymous pull of public/*" ferry copy -q --src-tls-verify=false "docker://$R/public/app:v2" "oci:$W/anon:t"
is "... same digest" "$(oci_digest "$W/anon:t")" "$V2"
is "... the token was asked for anonymously" "$(token_requests 'r.get("auth") != "none"')" 0
# The same with challenges written oddly but validly (RFC 7235): lower-case
# scheme, spaces after commas, an unquoted token, an unknown parameter whose
# quoted string holds escaped quotes, a comma and an equals sign.
odd='bearer realm="http://127.0.0.1:'"$TOKEN_PORT"'/token"%2C  x-note="a \"quoted\"%2C comma=1"%2Cservice=ferry-test-registry'
proxy_rules px "action=add-header,path=^/v2/\$,header=WWW-Authenticate:$odd,replace=1" \
    "action=add-header,path=^/v2/public/app/,header=WWW-Authenticate:$odd%2C scope=\"repository:public/app:pull\",replace=1"
mark "$TLOG"
run_ok "anonymous pull with oddly written WWW-Authenticate challenges" ferry copy -q --src-tls-verify=false \
    "docker://$R/public/app:v2" "oci:$W/odd:t"
proxy_clear px
is "... same digest" "$(oci_digest "$W/odd:t")" "$V2"
is "... the token request carried the service and the scope" \
    "$(token_requests 'r.get("status") == 200 and r.get("service") == "ferry-test-registry" and "repository:public/app:pull" in r.get("scopes", [])' | sed 's/^[1-9][0-9]*$/yes/')" yes

run ferry inspect $NOTLS "docker://$R/alice/app:v1"
is "anonymous inspect of a private repository: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "alice/app"
stderr_mentions "... saying access is denied" "denied|unauthorized|authenticat|insufficient"

run ferry copy -q --dest-tls-verify=false --dest-creds "bob:$(pw bob)" "oci:$O:v2" "docker://$R/alice/app:v1"
is "push into a repository the ACL does not allow: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "alice/app"
run ferry inspect --raw $NOTLS --creds "alice:$(pw alice)" "docker://$R/alice/app:v1"
is "... the tag is unchanged" "$(sha256 "$T/out")" "$V1"

# insufficient_scope: bob may only pull shared/*, so the token for a push there
# carries pull alone; the registry answers insufficient_scope and ferry asks
# the token server once more for the scope the challenge names, then gives up
# with one line (no loop).
mark "$TLOG"
run ferry copy -q --dest-tls-verify=false --dest-creds "bob:$(pw bob)" "oci:$O:v2" "docker://$R/shared/scoped:v1"
is "push with a pull-only grant: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "shared/scoped"
stderr_mentions "... saying access is denied" "denied|unauthorized|insufficient"
n=$(token_requests 'r.get("user") == "bob" and any("shared/scoped" in s and "push" in s for s in r.get("scopes", []))')
if [ "$n" -ge 2 ] && [ "$n" -le 4 ]; then ok "... the wider scope was asked for again, a bounded number of times ($n)"; else
    not_ok "... the wider scope was asked for again, a bounded number of times" "$n token requests"; fi

BAD="Bad-Token-Pass-51x"
for dbg in "" --debug; do
    run ferry $dbg inspect $NOTLS --creds "alice:$BAD" "docker://$R/alice/app:v1"
    is "wrong password ${dbg:-(no --debug)}: status 1" "$RC" 1
    no_secret "wrong password ${dbg:-(no --debug)}: not printed" "$BAD"
    [ -z "$dbg" ] && stderr_one_line "wrong password: one line naming the image" "alice/app"
    run ferry $dbg inspect $NOTLS --creds "alice:$(pw alice)" "docker://$R/alice/app:v1"
    no_secret "right password ${dbg:-(no --debug)}: not printed" "$(pw alice)"
    if grep -qE 'eyJ[A-Za-z0-9_-]{20,}\.' "$T/out" "$T/err"; then
        not_ok "right password ${dbg:-(no --debug)}: no bearer token printed" "$(grep -oE 'eyJ[A-Za-z0-9_-]{20,}' "$T/err" | head -n 1 | cut -c1-40)…"
    else ok "right password ${dbg:-(no --debug)}: no bearer token printed"; fi
done

# ------------------------------------------------ short-lived tokens
# carol's tokens say "expires_in": 3 and the registry really refuses them
# 3 s after issue. The proxy holds the answer to the first blob request made
# with a token for 4 s, so the requests after it (the manifest PUT at least)
# need a new token.
proxy_rules px 'action=delay,when=after,seconds=4,path=/blobs/,auth=1,times=1'
mark "$TLOG"; mark "$PLOG"
run_ok "push with tokens expiring in 3 s, one answer delayed 4 s" ferry copy -q --dest-tls-verify=false \
    --dest-creds "carol:$(pw carol)" "oci:$O:v1" "docker://$R/carol/app:v1"
proxy_clear px
n=$(token_requests 'r.get("status") == 200 and r.get("user") == "carol"')
if [ "$n" -ge 2 ]; then ok "... a new token was fetched ($n token requests)"; else
    not_ok "... a new token was fetched" "$n token request(s); registry answers: $(jprint "$PLOG" 'True' 'str(r.get("status")) + " " + r["method"] + " " + r["path"][:60]' | tail -n 8)"; fi
run ferry inspect --raw $NOTLS --creds "alice:$(pw alice)" "docker://$R/carol/app:v1"
is "... and the image is complete in the registry" "$RC $(sha256 "$T/out")" "0 $V1"

# ------------------------------------------------ refresh tokens (OAuth2 POST)
REFRESH=$("$FIXPY" - "http://127.0.0.1:$TOKEN_PORT/token" "$(pw alice)" <<'PYEOF'
import json, sys, urllib.parse, urllib.request
body = urllib.parse.urlencode({"grant_type": "password", "username": "alice", "password": sys.argv[2],
                               "service": "ferry-test-registry", "client_id": "ferry-tests",
                               "access_type": "offline"}).encode()
with urllib.request.urlopen(sys.argv[1], data=body, timeout=10) as r:
    print(json.load(r)["refresh_token"])
PYEOF
)
if [ -n "$REFRESH" ]; then
    mkdir -p "$XDG_RUNTIME_DIR/containers"
    printf '{"auths": {"%s": {"auth": "%s", "identitytoken": "%s"}}}\n' \
        "$R" "$(printf 'alice:' | base64 | tr -d '\n')" "$REFRESH" >"$XDG_RUNTIME_DIR/containers/auth.json"
    mark "$TLOG"
    run_ok "auth.json identitytoken: pull" ferry copy -q --src-tls-verify=false "docker://$R/alice/app:v1" "oci:$W/refresh:t"
    is "... same digest" "$(oci_digest "$W/refresh:t")" "$V1"
    is "... tokens came from the refresh token (OAuth2 POST grant_type=refresh_token)" \
        "$(token_requests 'r.get("status") == 200 and r.get("grant") == "refresh_token" and r.get("user") == "alice"' | sed 's/^[1-9][0-9]*$/yes/')" yes
    is "... and never from a password" "$(token_requests 'r.get("auth") in ("basic", "password")')" 0
    no_secret "... the refresh token is not printed" "$REFRESH"
    rm -f "$XDG_RUNTIME_DIR/containers/auth.json"
else
    not_ok "a refresh token from the token server (test setup)"
fi

# ------------------------------------------------ --registry-token
TOKEN=$("$FIXPY" - "http://127.0.0.1:$TOKEN_PORT/token?service=ferry-test-registry&scope=repository:alice/app:pull" \
    "alice:$(pw alice)" <<'PYEOF'
import base64, json, sys, urllib.request
req = urllib.request.Request(sys.argv[1])
req.add_header("Authorization", "Basic " + base64.b64encode(sys.argv[2].encode()).decode())
with urllib.request.urlopen(req, timeout=10) as r:
    print(json.load(r)["token"])
PYEOF
)
mark "$TLOG"
run_ok "--registry-token" ferry inspect --raw $NOTLS --registry-token "$TOKEN" "docker://$R/alice/app:v1"
is "... the manifest" "$(sha256 "$T/out")" "$V1"
is "... without asking the token server" "$(token_requests 'True')" 0

# ------------------------------------------------ login
run ferry login $NOTLS -u alice -p "$(pw alice)" "$R"
is "login against a token registry: status 0" "$RC" 0
is "... says so" "$(cat "$T/out")" "Login Succeeded!"
run_ok "... and the stored credentials work" ferry inspect --raw $NOTLS "docker://$R/alice/app:v1"
run ferry login $NOTLS -u alice -p "$BAD" "$R"
is "login with a wrong password (token server says 401): status 1" "$RC" 1
stderr_one_line "... one line naming the registry" "$R"
no_secret "... without the password" "$BAD"
ferry logout "$R" >/dev/null 2>&1

# ------------------------------------------------ cross-repository mount
mark "$TLOG"; mark "$PLOG"
run_ok "registry -> registry into another repository (alice)" ferry copy -q --src-tls-verify=false --dest-tls-verify=false \
    --src-creds "alice:$(pw alice)" --dest-creds "alice:$(pw alice)" "docker://$R/alice/app:v1" "docker://$R/alice/mounted:v1"
LAYERS=$(checkimage get "$O/blobs/sha256/${V1#sha256:}" layers | "$PYTHON3" -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(sys.stdin)))')
mounted_not_moved "$PLOG" "$CONFIG_SIZE" $LAYERS
is "... the token asked for pull on the source repository" \
    "$(token_requests 'any(s.startswith("repository:alice/app:") and "pull" in s for s in r.get("scopes", []))' | sed 's/^[1-9][0-9]*$/yes/')" yes
run ferry inspect --raw $NOTLS --creds "alice:$(pw alice)" "docker://$R/alice/mounted:v1"
is "... and the copy is there" "$RC $(sha256 "$T/out")" "0 $V1"

# bob may only pull shared/ and push bob/: a mount from shared/ needs both.
run_ok "setup: alice pushes shared/base" ferry copy -q --dest-tls-verify=false --dest-creds "alice:$(pw alice)" \
    "oci:$O:v2" "docker://$R/shared/base:v2"
mark "$PLOG"
run_ok "bob: shared/base -> bob/base (pull scope on one, push on the other)" ferry copy -q --src-tls-verify=false \
    --dest-tls-verify=false --src-creds "bob:$(pw bob)" --dest-creds "bob:$(pw bob)" \
    "docker://$R/shared/base:v2" "docker://$R/bob/base:v2"
run ferry inspect --raw $NOTLS --creds "bob:$(pw bob)" "docker://$R/bob/base:v2"
is "... the copy is there" "$RC $(sha256 "$T/out")" "0 $V2"
is "... with no blob upload left unfinished (every POST completed or cancelled)" \
    "$(jcount "$PLOG" "r['method'] == 'POST' and r.get('status') == 202")" \
    "$(jcount "$PLOG" "(r['method'] == 'PUT' and '/blobs/uploads/' in r['path'] and r.get('status') == 201) or (r['method'] == 'DELETE' and '/blobs/uploads/' in r['path'])")"

finish
