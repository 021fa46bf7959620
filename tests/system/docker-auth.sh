#!/bin/bash
# tests/system/docker-auth.sh — credentials of the docker:// transport
# against a real docker-registry with htpasswd Basic auth over TLS (TAP):
# --creds, --username/--password, wrong passwords (status 1, one line, never
# the password, --debug included), --no-creds; the auth.json lookup chain
# (--authfile, $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
# $XDG_CONFIG_HOME/containers/auth.json, $DOCKER_CONFIG/config.json,
# ~/.docker/config.json, ~/.dockercfg), the most specific key, credHelpers
# with a fake docker-credential-NAME helper; login/logout round trips, file
# modes. Which account the registry saw is read from its own log
# (auth.user.name), so every case proves which credentials were used.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

# Every account's password is distinct and easy to search for in outputs.
pw() { echo "Pw-$1-q7Zx"; }
USERS="alice bob flag authfile regauth runtime xdg dockerconf homedocker dockercfg helper host ns repo"
htargs=()
for u in $USERS; do htargs+=(--htpasswd "u-$u:$(pw "$u")"); done
start_registry auth "${htargs[@]}"
# The registry is reached through the fault proxy serving TLS (no faults):
# its log names the Basic account of every request.
PKI="$T/fx/pki"
"$FIXTURES/registry.sh" certs "$PKI" || { echo "Bail out! certificates failed"; exit 1; }
start_proxy authproxy "$REG_PORT" --tls-cert "$PKI/tls/server.crt" --tls-key "$PKI/tls/server.key"
A="127.0.0.1:$PROXY_PORT"
PLOG="$PROXY_DIR/requests.log"
CD=(--cert-dir "$PKI/certs.d")

O="$T/img/layout"
W="$T/w"
V1=$(mkimage --layout oci --manifest oci --layers 1 --layer-size 8K --tag v1 "$O") ||
    { echo "Bail out! mkimage failed"; exit 1; }

# users_seen: the Basic accounts the registry was sent since `mark $PLOG`.
users_seen() {
    jprint "$PLOG" 'str(r.get("auth") or "").startswith("Basic ")' 'r["auth"][6:]' |
        LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}
# as DESC EXPECTED_USER CMD...: CMD succeeds and the registry saw exactly
# EXPECTED_USER.
as() {
    local desc=$1 want=$2; shift 2
    mark "$PLOG"
    run "$@"
    is "$desc" "$RC|$(users_seen)" "0|$want"
    [ "$RC" -eq 0 ] || diag "stderr: $(head -c 1000 "$T/err")"
}
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
# authjson FILE KEY USER [KEY USER]...: an auth.json with those entries.
authjson() {
    local f=$1 sep="" body=""; shift
    while [ $# -ge 2 ]; do
        body="$body$sep\"$1\": {\"auth\": \"$(b64 "u-$2:$(pw "$2")")\"}"
        sep=", "
        shift 2
    done
    mkdir -p "$(dirname "$f")"
    printf '{"auths": {%s}}\n' "$body" >"$f"
}
# mode FILE: octal permission bits.
mode() { stat -c '%a' "$1" 2>/dev/null || echo "(missing)"; }
# run_stdin TEXT CMD...: run with TEXT on stdin.
run_stdin() {
    local text=$1; shift
    timeout -k 10 "$FERRY_TEST_TIMEOUT" "$@" >"$T/out" 2>"$T/err" <<<"$text"
    RC=$?
}
INSPECT=(ferry inspect --raw "${CD[@]}")
IMG="docker://$A/team/app:v1"

# ------------------------------------------------ setup and flags
for repo in team/app team/other solo/x; do
    run ferry copy -q --dest-cert-dir "$PKI/certs.d" --dest-creds "u-alice:$(pw alice)" "oci:$O:v1" "docker://$A/$repo:v1"
    [ "$RC" -eq 0 ] || not_ok "push $repo with --dest-creds" "$(cat "$T/err")"
done
is "push with --dest-creds (three repositories)" "$(FX_CA="$PKI/tls/ca.crt" FX_AUTH="u-alice:$(pw alice)" \
    http_status "https://$A/v2/solo/x/manifests/v1" HEAD)" 200

mark "$PLOG"
run "${INSPECT[@]}" "$IMG"
is "no credentials: status 1" "$RC" 1
stderr_one_line "... one line naming the image" "$A/team/app"
stderr_mentions "... saying authentication is required" "unauthorized|authenticat|credentials"

as "--creds USER:PASS" u-bob "${INSPECT[@]}" --creds "u-bob:$(pw bob)" "$IMG"
as "--username/--password" u-bob "${INSPECT[@]}" --username u-bob --password "$(pw bob)" "$IMG"
# --creds USER alone: the password is asked for on a terminal (script(1) gives
# ferry one), and refused with one line when there is no terminal to ask on.
if command -v script >/dev/null 2>&1; then
    mark "$PLOG"
    printf '%s\n' "$(pw bob)" | script -qec "$(printf '%q ' "$T/bin/ferry" inspect --raw "${CD[@]}" --creds u-bob "$IMG")" \
        /dev/null >"$T/tty.out" 2>&1
    rc=$?
    is "--creds USER on a terminal: the password is prompted for" "$rc|$(users_seen)" "0|u-bob"
else
    skip "--creds USER on a terminal: the password is prompted for" "script(1) is not installed"
fi
run "${INSPECT[@]}" --creds u-bob "$IMG" </dev/null
is "--creds USER without a terminal: status 1" "$RC" 1
stderr_one_line "... one line saying why" "terminal"
as "copy --src-creds" u-bob ferry copy -q --src-cert-dir "$PKI/certs.d" --src-creds "u-bob:$(pw bob)" "$IMG" "oci:$W/src-creds:t"
as "copy --dest-creds / --src-creds, each side its own account" "u-alice u-bob" ferry copy -q \
    --src-cert-dir "$PKI/certs.d" --src-creds "u-bob:$(pw bob)" \
    --dest-cert-dir "$PKI/certs.d" --dest-creds "u-alice:$(pw alice)" "$IMG" "docker://$A/team/copied:v1"

BAD="Wrong-Pass-8c1e"
for dbg in "" --debug; do
    run ferry $dbg inspect --raw "${CD[@]}" --creds "u-bob:$BAD" "$IMG"
    is "wrong password ${dbg:-(no --debug)}: status 1" "$RC" 1
    no_secret "wrong password ${dbg:-(no --debug)}: the password is not printed" "$BAD"
    no_secret "wrong password ${dbg:-(no --debug)}: nor its base64 form" "$(b64 "u-bob:$BAD")"
    if [ -z "$dbg" ]; then
        stderr_one_line "wrong password: one line naming the image" "$A/team/app"
    fi
    run ferry $dbg inspect --raw "${CD[@]}" --creds "u-bob:$(pw bob)" "$IMG"
    is "right password ${dbg:-(no --debug)}: status 0" "$RC" 0
    no_secret "right password ${dbg:-(no --debug)}: the password is not printed" "$(pw bob)"
    no_secret "right password ${dbg:-(no --debug)}: nor its base64 form" "$(b64 "u-bob:$(pw bob)")"
done
run ferry inspect --raw "${CD[@]}" --username u-bob --password "$BAD" "$IMG"
is "wrong --password: status 1" "$RC" 1
no_secret "wrong --password: not printed" "$BAD"

# ------------------------------------------------ the auth.json chain
RT="$XDG_RUNTIME_DIR/containers/auth.json"
XDG="$XDG_CONFIG_HOME/containers/auth.json"
DC="$T/dockerconfig"
HD="$HOME/.docker/config.json"
LEGACY="$HOME/.dockercfg"
clear_files() { rm -f "$RT" "$XDG" "$DC/config.json" "$HD" "$LEGACY" "$T/authfile.json" "$T/regauth.json"; unset REGISTRY_AUTH_FILE DOCKER_CONFIG; }
legacy() { mkdir -p "$(dirname "$LEGACY")"; printf '{"%s": {"auth": "%s", "email": ""}}\n' "$A" "$(b64 "u-$1:$(pw "$1")")" >"$LEGACY"; }

clear_files
authjson "$T/authfile.json" "$A" authfile
as "--authfile FILE" u-authfile "${INSPECT[@]}" --authfile "$T/authfile.json" "$IMG"
clear_files
authjson "$T/regauth.json" "$A" regauth
export REGISTRY_AUTH_FILE="$T/regauth.json"
as "\$REGISTRY_AUTH_FILE" u-regauth "${INSPECT[@]}" "$IMG"
clear_files
authjson "$RT" "$A" runtime
as "\$XDG_RUNTIME_DIR/containers/auth.json" u-runtime "${INSPECT[@]}" "$IMG"
clear_files
authjson "$XDG" "$A" xdg
as "\$XDG_CONFIG_HOME/containers/auth.json" u-xdg "${INSPECT[@]}" "$IMG"
clear_files
authjson "$DC/config.json" "$A" dockerconf
export DOCKER_CONFIG="$DC"
as "\$DOCKER_CONFIG/config.json" u-dockerconf "${INSPECT[@]}" "$IMG"
clear_files
authjson "$HD" "$A" homedocker
as "~/.docker/config.json" u-homedocker "${INSPECT[@]}" "$IMG"
clear_files
legacy dockercfg
as "~/.dockercfg (legacy format)" u-dockercfg "${INSPECT[@]}" "$IMG"

# Every file present: the order decides.
all_files() {
    clear_files
    authjson "$T/authfile.json" "$A" authfile
    authjson "$T/regauth.json" "$A" regauth
    authjson "$RT" "$A" runtime
    authjson "$XDG" "$A" xdg
    authjson "$DC/config.json" "$A" dockerconf
    authjson "$HD" "$A" homedocker
    legacy dockercfg
}
all_files
as "every file: XDG_RUNTIME_DIR's wins" u-runtime "${INSPECT[@]}" "$IMG"
export REGISTRY_AUTH_FILE="$T/regauth.json"
as "every file + REGISTRY_AUTH_FILE: it wins" u-regauth "${INSPECT[@]}" "$IMG"
as "--authfile beats REGISTRY_AUTH_FILE" u-authfile "${INSPECT[@]}" --authfile "$T/authfile.json" "$IMG"
as "--creds beats every file" u-flag "${INSPECT[@]}" --creds "u-flag:$(pw flag)" "$IMG"
mark "$PLOG"
run "${INSPECT[@]}" --no-creds "$IMG"
is "--no-creds sends nothing, whatever the files (status 1, anonymous)" "$RC|$(users_seen)" "1|"
authjson "$T/regauth.json" "other.example.com:5000" regauth
as "REGISTRY_AUTH_FILE without this registry: the next file (XDG_CONFIG_HOME) answers" u-xdg "${INSPECT[@]}" "$IMG"
unset REGISTRY_AUTH_FILE
rm -f "$RT"
as "no XDG_RUNTIME_DIR file: XDG_CONFIG_HOME's" u-xdg "${INSPECT[@]}" "$IMG"
rm -f "$XDG"
export DOCKER_CONFIG="$DC"
as "then \$DOCKER_CONFIG/config.json" u-dockerconf "${INSPECT[@]}" "$IMG"
rm -f "$DC/config.json"
as "\$DOCKER_CONFIG set but empty: ~/.docker/config.json is not read, ~/.dockercfg is" u-dockercfg "${INSPECT[@]}" "$IMG"
unset DOCKER_CONFIG
as "no DOCKER_CONFIG: ~/.docker/config.json" u-homedocker "${INSPECT[@]}" "$IMG"
rm -f "$HD"
as "then ~/.dockercfg" u-dockercfg "${INSPECT[@]}" "$IMG"

# The most specific key wins inside a file; the first file with any
# matching key wins over later files (containers-auth.json(5)).
clear_files
authjson "$RT" "$A" host "$A/team" ns "$A/team/app" repo
as "host/namespace/repo key" u-repo "${INSPECT[@]}" "$IMG"
as "host/namespace key" u-ns "${INSPECT[@]}" "docker://$A/team/other:v1"
as "host key" u-host "${INSPECT[@]}" "docker://$A/solo/x:v1"
authjson "$RT" "$A" runtime
authjson "$XDG" "$A/team/app" xdg
as "an earlier file's host key beats a later file's repository key" u-runtime "${INSPECT[@]}" "$IMG"
clear_files
authjson "$RT" "other.example.com" runtime "$A/team/app" repo
as "keys of other registries are ignored" u-repo "${INSPECT[@]}" "$IMG"

# credHelpers: a fake docker-credential-ferrytest on PATH.
HELPER_LOG="$T/helper.log"
cat >"$T/bin/docker-credential-ferrytest" <<EOF
#!/bin/sh
# fake credential helper of docker-auth.sh: logs its verb and input.
input=\$(cat)
printf '%s %s\n' "\$1" "\$input" >>"$HELPER_LOG"
case "\$1" in
    get) printf '{"ServerURL":"%s","Username":"u-helper","Secret":"%s"}\n' "\$input" "$(pw helper)" ;;
    erase | store) ;;
    *) echo "unsupported" >&2; exit 1 ;;
esac
EOF
chmod +x "$T/bin/docker-credential-ferrytest"
clear_files
mkdir -p "$(dirname "$RT")"
printf '{"auths": {"%s": {"auth": "%s"}}, "credHelpers": {"%s": "ferrytest"}}\n' \
    "$A" "$(b64 "u-runtime:$(pw runtime)")" "$A" >"$RT"
: >"$HELPER_LOG"
as "credHelpers: the helper's credentials (before auths in the same file)" u-helper "${INSPECT[@]}" "$IMG"
is "... the helper was asked with 'get' and the registry's host:port" "$(head -n 1 "$HELPER_LOG")" "get $A"
no_secret "... and its secret is not printed" "$(pw helper)"
clear_files
authjson "$RT" "other.example.com" runtime
mkdir -p "$(dirname "$HD")"
printf '{"credHelpers": {"%s": "ferrytest"}}\n' "$A" >"$HD"
: >"$HELPER_LOG"
as "credHelpers in ~/.docker/config.json" u-helper "${INSPECT[@]}" "$IMG"
clear_files

# ------------------------------------------------ login / logout
run ferry login "${CD[@]}" -u u-alice -p "$(pw alice)" "$A"
is "login: status 0" "$RC" 0
is "login: says so" "$(cat "$T/out")" "Login Succeeded!"
is "login writes \$XDG_RUNTIME_DIR/containers/auth.json with mode 600" "$(mode "$RT")" 600
is "... holding the credentials under the host:port key" \
    "$(checkimage get "$RT" auths "$A" auth 2>/dev/null)" "$(b64 "u-alice:$(pw alice)")"
no_secret "login does not print the password" "$(pw alice)"
run ferry login --get-login "$A"
is "login --get-login prints the user" "$RC $(cat "$T/out")" "0 u-alice"
as "after login, commands use the stored credentials" u-alice "${INSPECT[@]}" "$IMG"

cp "$RT" "$T/before-bad-login"
run ferry login "${CD[@]}" -u u-bob -p "$BAD" "$A"
is "login with a wrong password: status 1" "$RC" 1
stderr_one_line "... one line naming the registry" "$A"
no_secret "... without the password" "$BAD"
same_file "... and the file is unchanged" "$RT" "$T/before-bad-login"

run ferry logout "$A"
is "logout: status 0" "$RC" 0
is "logout: says so" "$(cat "$T/out")" "Removed login credentials for $A"
if [ -f "$RT" ] && checkimage get "$RT" auths "$A" >/dev/null 2>&1; then
    not_ok "... the entry is gone" "$(cat "$RT")"
else ok "... the entry is gone"; fi
run ferry login --get-login "$A"
is "login --get-login after logout fails" "$RC" 1
stderr_one_line "... with one line naming the registry" "$A"
run ferry logout "$A"
is "logout when not logged in fails" "$RC" 1
stderr_one_line "... with one line naming the registry" "$A"

# --password-stdin, --authfile, other entries kept, umask ignored.
cp "$RT" "$T/rt-before-authfile-login"
printf '{"auths": {"other.example.com": {"auth": "%s"}}, "credHelpers": {"helped.example.com": "ferrytest"}, "x-extra": 1}\n' \
    "$(b64 other:secret)" >"$T/login.json"
chmod 644 "$T/login.json"
(umask 000; run_stdin "$(pw bob)" ferry login "${CD[@]}" --authfile "$T/login.json" -u u-bob --password-stdin "$A"
    echo "$RC" >"$T/rc")
is "login --password-stdin --authfile (umask 000): status 0" "$(cat "$T/rc")" 0
is "... the file is made mode 600" "$(mode "$T/login.json")" 600
is "... holding the new entry" "$(checkimage get "$T/login.json" auths "$A" auth 2>/dev/null)" "$(b64 "u-bob:$(pw bob)")"
is "... keeping the other registry's entry" "$(checkimage get "$T/login.json" auths other.example.com auth 2>/dev/null)" "$(b64 other:secret)"
is "... and the credHelpers" "$(checkimage get "$T/login.json" credHelpers helped.example.com 2>/dev/null)" ferrytest
same_file "... the default file is not touched" "$RT" "$T/rt-before-authfile-login"
as "--authfile FILE after login --authfile" u-bob "${INSPECT[@]}" --authfile "$T/login.json" "$IMG"
rm -rf "$XDG_RUNTIME_DIR/containers"
(umask 000; run ferry login "${CD[@]}" -u u-alice -p "$(pw alice)" "$A")
is "login into a new directory with umask 000: file mode 600" "$(mode "$RT")" 600
: >"$HELPER_LOG"
run ferry logout --authfile "$T/login.json" --all
is "logout --all: status 0" "$RC" 0
is "... no entry is left" "$(checkimage get "$T/login.json" auths 2>/dev/null)" "{}"
is "... and the credential helper was told to erase its registry" "$(cat "$HELPER_LOG")" "erase helped.example.com"
run ferry login --get-login --authfile "$T/login.json" "$A"
is "... login --get-login then fails" "$RC" 1

finish
