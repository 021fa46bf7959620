#!/bin/bash
# tests/system/policy.sh — the trust policy (policy.json) against skopeo
# 1.9.3 (TAP): invalid policies refused with skopeo's message; signedBy
# with keyPath, keyPaths and keyData (armored and binary) accepting
# signatures made by skopeo and by ferry, in dir: and in a real registry
# (lookaside store); unsigned images, another key, swapped signatures
# (another image's), identity mismatches under every signedIdentity
# matcher, several signatures, unimplemented key types, all refused with
# skopeo's exit code and message and nothing written; lists (each instance
# with its own signatures, refused where they cannot be kept); scopes per transport (most specific wins, docker
# wildcards); --remove-signatures still checked; sigstoreSigned (dir: and
# registry attachments; skopeo cannot verify those, so ferry's verdicts and
# containers/image's wording are checked); sync applies the same policy.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/docker-lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
command -v gpg >/dev/null 2>&1 && command -v gpgconf >/dev/null 2>&1 || skip_all "gpg not installed"
need_python

G="$T/g"
[ "${#G}" -le 60 ] || G=$(mktemp -d /tmp/ferry-gpg.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
mkdir -p "$G/home" && chmod 700 "$G/home"
export GNUPGHOME="$G/home"
policy_cleanup() {
    GNUPGHOME="$G/home" gpgconf --kill gpg-agent >/dev/null 2>&1
    [ "$G" = "$T/g" ] || rm -rf "$G"
    _fx_cleanup
    _tap_exit
}
trap policy_cleanup EXIT

fpr() { gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'; }
gpg --batch --passphrase '' --quick-gen-key 'policy test <a@example.com>' ed25519 sign never >/dev/null 2>&1
gpg --batch --passphrase '' --quick-gen-key 'other key <b@example.com>' ed25519 sign never >/dev/null 2>&1
A=$(fpr a@example.com) B=$(fpr b@example.com)
[ -n "$A" ] && [ -n "$B" ] || { echo "Bail out! gpg could not create the keys"; exit 1; }
gpg --batch --export "$A" >"$T/a.gpg"
gpg --batch --armor --export "$A" >"$T/a.asc"
gpg --batch --export "$B" >"$T/b.gpg"
A_DATA=$(base64 -w0 "$T/a.gpg")

mkimage --layout dir "$T/img" >/dev/null && mkimage --layout dir --seed 2 "$T/img2" >/dev/null ||
    { echo "Bail out! mkimage failed"; exit 1; }
ID=docker.io/library/busybox:latest
# Signed copies: by skopeo, by ferry, by the other key, and without identity flag quirks.
$SKOPEO --insecure-policy copy -q --sign-by "$A" --sign-identity "$ID" "dir:$T/img" "dir:$T/s-skopeo" >/dev/null 2>&1 ||
    { echo "Bail out! skopeo could not sign"; exit 1; }
run_ok "ferry signs a copy into dir: (the image the policy checks)" \
    "$FERRY" --insecure-policy copy -q --sign-by "$A" --sign-identity "$ID" "dir:$T/img" "dir:$T/s-ferry"
$SKOPEO --insecure-policy copy -q --sign-by "$B" --sign-identity "$ID" "dir:$T/img" "dir:$T/s-other" >/dev/null 2>&1
$SKOPEO --insecure-policy copy -q --sign-by "$A" --sign-identity "$ID" "dir:$T/img2" "dir:$T/s-img2" >/dev/null 2>&1
# Image 1 carrying image 2's signature: a swapped signature.
cp -r "$T/img" "$T/swapped" && cp "$T/s-img2/signature-1" "$T/swapped/signature-1"
# Two signatures: another key's first, then a good one.
cp -r "$T/s-other" "$T/two" && cp "$T/s-skopeo/signature-1" "$T/two/signature-2"
cp -r "$T/s-other" "$T/two-bad" && cp "$T/s-img2/signature-1" "$T/two-bad/signature-2"

# write_policy NAME JSON: $T/p/NAME.json.
mkdir -p "$T/p" "$T/w"
write_policy() { printf '%s\n' "$2" >"$T/p/$1.json"; }
signed_by() { # signed_by KEYFIELDS [SIGNED_IDENTITY]
    printf '{"default":[{"type":"signedBy","keyType":"GPGKeys",%s%s}]}' "$1" "${2:+,\"signedIdentity\":$2}"
}
N=0
GLOBALS=()
# compare DESC POLICY_JSON SOURCE [FLAGS...]: skopeo and ferry copy SOURCE
# under the policy; the same exit status; on refusal ferry prints skopeo's
# message in one line and writes nothing; on success the copies are equal.
compare() {
    local desc=$1 json=$2 src=$3
    shift 3
    N=$((N + 1))
    write_policy "c$N" "$json"
    local s_out="$T/w/s$N" f_out="$T/w/f$N" s_msg
    $SKOPEO --policy "$T/p/c$N.json" "${GLOBALS[@]}" copy -q "$@" "$src" "dir:$s_out" >/dev/null 2>"$T/s.err"
    local want=$?
    # skopeo prints gpgme's Go struct for a key it lacks; ferry says it in words.
    # Current containers/image quotes the identity (%q); 1.9.3's does not.
    s_msg=$(tail -n 1 "$T/s.err" | sed -E 's/^time="[^"]*" level=fatal msg="//; s/"$//; s/\\"/"/g' |
        sed -E 's/: gpgme\.Signature\{Summary:[0-9]+, Fingerprint:"([0-9A-F]+)", Status:gpgme\.Error\{err:0x9\}, [^}]*\}/ by \1: No public key/g' |
        sed -E 's/Signature for identity ([^" ]+) is not accepted/Signature for identity "\1" is not accepted/')
    run "$FERRY" --policy "$T/p/c$N.json" "${GLOBALS[@]}" copy -q "$@" "$src" "dir:$f_out"
    if [ "$want" -ne 0 ]; then
        is "$desc: refused (exit $want) as skopeo" "$RC" "$want"
        stderr_one_line "... one line with skopeo's message: $s_msg" "ferry: $s_msg"
        absent "... nothing written" "$f_out"
    else
        is "$desc: accepted as skopeo" "$RC" 0
        is "... the same manifest" "$(cat "$f_out/manifest.json" 2>/dev/null | sha256sum)" \
            "$(cat "$s_out/manifest.json" | sha256sum)"
    fi
}

# ------------------------------------------------ invalid policies
bad() { compare "invalid policy: $1" "$2" "dir:$T/img"; }
bad "unknown top-level key" '{"default":[{"type":"insecureAcceptAnything"}],"foo":1}'
bad "no default" '{"transports":{}}'
bad "empty default" '{"default":[]}'
bad "duplicate key" '{"default":[{"type":"reject"}],"default":[{"type":"reject"}]}'
bad "not an object" '[1]'
bad "unknown requirement type" '{"default":[{"type":"nope"}]}'
bad "extra member of insecureAcceptAnything" '{"default":[{"type":"insecureAcceptAnything","x":1}]}'
bad "signedBy without keys" '{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}'
bad "signedBy without keyType" '{"default":[{"type":"signedBy","keyPath":"/x"}]}'
bad "signedBy with an unknown keyType" '{"default":[{"type":"signedBy","keyType":"bad","keyPath":"/x"}]}'
bad "signedBy with keyPath and keyData" \
    '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/x","keyData":"eA=="}]}'
bad "exactReference without dockerReference" "$(signed_by '"keyPath":"/x"' '{"type":"exactReference"}')"
bad "exactReference without a tag" "$(signed_by '"keyPath":"/x"' '{"type":"exactReference","dockerReference":"busybox"}')"
bad "unknown matcher" "$(signed_by '"keyPath":"/x"' '{"type":"what"}')"
bad "remapIdentity with an invalid prefix" \
    "$(signed_by '"keyPath":"/x"' '{"type":"remapIdentity","prefix":"-bad","signedPrefix":"example.com"}')"
bad "a dir scope that is not absolute" \
    '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"dir":{"relative":[{"type":"reject"}]}}}'
bad "sigstoreSigned with keyPath and keyData" '{"default":[{"type":"sigstoreSigned","keyPath":"/x","keyData":"eA=="}]}'

# ------------------------------------------------ signedBy
compare "reject" '{"default":[{"type":"reject"}]}' "dir:$T/s-skopeo"
compare "signedBy, unsigned image" "$(signed_by "\"keyPath\":\"$T/a.gpg\"")" "dir:$T/img"
compare "signedBy keyPath (binary), dir: has no docker reference for matchRepoDigestOrExact" \
    "$(signed_by "\"keyPath\":\"$T/a.gpg\"")" "dir:$T/s-skopeo"
for si in '{"type":"exactReference","dockerReference":"busybox:latest"}' \
    '{"type":"exactRepository","dockerRepository":"busybox"}'; do
    for src in s-skopeo s-ferry; do
        compare "signedBy keyPath (armored), $si, signed by ${src#s-}" "$(signed_by "\"keyPath\":\"$T/a.asc\"" "$si")" \
            "dir:$T/$src"
    done
    compare "signedBy keyData, $si" "$(signed_by "\"keyData\":\"$A_DATA\"" "$si")" "dir:$T/s-skopeo"
    compare "signedBy keyPaths (the other key, then the signer), $si" \
        "$(signed_by "\"keyPaths\":[\"$T/b.gpg\",\"$T/a.asc\"]" "$si")" "dir:$T/s-ferry"
done
EXACT='{"type":"exactReference","dockerReference":"busybox:latest"}'
compare "another tag under exactReference" \
    "$(signed_by "\"keyPath\":\"$T/a.gpg\"" '{"type":"exactReference","dockerReference":"busybox:v2"}')" "dir:$T/s-skopeo"
compare "another repository under exactRepository" \
    "$(signed_by "\"keyPath\":\"$T/a.gpg\"" '{"type":"exactRepository","dockerRepository":"quay.io/busybox"}')" \
    "dir:$T/s-ferry"
compare "matchRepository on an image without a docker reference" \
    "$(signed_by "\"keyPath\":\"$T/a.gpg\"" '{"type":"matchRepository"}')" "dir:$T/s-skopeo"
compare "a signature by another key" "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")" "dir:$T/s-other"
compare "a swapped signature (another image's)" "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")" "dir:$T/swapped"
compare "two signatures, the second accepted" "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")" "dir:$T/two"
compare "two signatures, none accepted (reasons joined)" "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")" \
    "dir:$T/two-bad"
compare "a key file holding no key" "$(signed_by "\"keyPath\":\"$T/p/c1.json\"" "$EXACT")" "dir:$T/s-skopeo"
compare "a missing key file" "$(signed_by "\"keyPath\":\"$T/none.gpg\"" "$EXACT")" "dir:$T/s-skopeo"
compare "keyType X509Certificates (unimplemented)" \
    '{"default":[{"type":"signedBy","keyType":"X509Certificates","keyPath":"/x"}]}' "dir:$T/s-skopeo"
compare "signedBaseLayer (unimplemented)" \
    '{"default":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}}]}' "dir:$T/s-skopeo"
compare "insecureAcceptAnything then signedBy: both must allow" \
    "{\"default\":[{\"type\":\"insecureAcceptAnything\"},$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT" |
        sed 's/^{"default":\[//; s/\]}$//')]}" "dir:$T/img"
compare "--remove-signatures: the policy still reads them (accepted)" \
    "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")" "dir:$T/s-skopeo" --remove-signatures
compare "--remove-signatures: the policy still reads them (refused)" \
    "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")" "dir:$T/s-other" --remove-signatures
is "... the accepted copy has no signature" "$(ls "$T/w/f$((N - 1))" | grep -c signature)" 0

# ------------------------------------------------ lists
# Each instance is checked with its own signatures (HEX.signature-N in dir:).
mkimage --layout dir --list "$T/list" >/dev/null || { echo "Bail out! mkimage --list failed"; exit 1; }
$SKOPEO --insecure-policy copy -q --all --sign-by "$A" --sign-identity "$ID" "dir:$T/list" "dir:$T/l-skopeo" \
    >/dev/null 2>&1 || { echo "Bail out! skopeo could not sign a list"; exit 1; }
run_ok "ferry --all --sign-by signs every instance and the list" \
    "$FERRY" --insecure-policy copy -q --all --sign-by "$A" --sign-identity "$ID" "dir:$T/list" "dir:$T/l-ferry"
is "... the signature files skopeo writes" "$(ls "$T/l-ferry" | grep signature | tr '\n' ' ')" \
    "$(ls "$T/l-skopeo" | grep signature | tr '\n' ' ')"
run_ok "ferry --all copies each instance's signatures" "$FERRY" --insecure-policy copy -q --all "dir:$T/l-skopeo" \
    "dir:$T/l-copied"
is "... byte for byte" "$(cd "$T/l-copied" && cat *signature* | sha256sum)" \
    "$(cd "$T/l-skopeo" && cat *signature* | sha256sum)"
# Only the list signed: instances have none.
cp -r "$T/list" "$T/l-top" && cp "$T/l-skopeo/signature-1" "$T/l-top/signature-1"
LP=$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")
write_policy list "$LP"
for src in l-skopeo l-ferry l-top; do
    for flags in --all "" "--multi-arch index-only"; do
        # shellcheck disable=SC2086 # flags split on purpose
        compare "list $src, copy ${flags:-(system instance)}" "$LP" "dir:$T/$src" $flags
    done
done

run_ok "--all under signedBy (the instances read once, for the check and the copy)" \
    "$FERRY" --policy "$T/p/list.json" copy -q --all "dir:$T/l-skopeo" "dir:$T/w/l-policy"
is "... every instance's signatures copied" "$(cd "$T/w/l-policy" && cat *signature* | sha256sum)" \
    "$(cd "$T/l-skopeo" && cat *signature* | sha256sum)"
run_ok "... with --remove-signatures" "$FERRY" --policy "$T/p/list.json" copy -q --all --remove-signatures \
    "dir:$T/l-skopeo" "dir:$T/w/l-policy-rs"
is "... none copied" "$(ls "$T/w/l-policy-rs" | grep -c signature)" 0

# An instance's own signatures meet the same checks as an image's (they
# once reached a NULL put_signatures, and were stored under a converted
# instance's new digest, which they do not sign).
cp -r "$T/list" "$T/l-inst"
inst_sig=$(cd "$T/l-skopeo" && ls | grep -m1 '^[0-9a-f]\{64\}\.signature-1$')
cp "$T/l-skopeo/$inst_sig" "$T/l-inst/"
$SKOPEO --insecure-policy copy -q --all "dir:$T/l-inst" "oci:$T/w/l-inst-skopeo:t" >/dev/null 2>&1
is "an instance's signatures into oci: (no signatures): skopeo refuses" "$?" 1
run "$FERRY" --insecure-policy copy -q --all "dir:$T/l-inst" "oci:$T/w/l-inst-oci:t"
is "... ferry refuses too (exit 1)" "$RC" 1
stderr_one_line "... in one line naming the destination" "can not copy signatures to oci:$T/w/l-inst-oci:t"
absent "... and writes no layout" "$T/w/l-inst-oci/index.json"
run "$FERRY" --insecure-policy copy -q --all --format oci "dir:$T/l-inst" "dir:$T/w/l-inst-conv"
is "an instance with signatures that --format would convert: refused (exit 1)" "$RC" 1
stderr_one_line "... in one line saying it would invalidate them" "dir:$T/w/l-inst-conv" "invalidate"
absent "... nothing written" "$T/w/l-inst-conv/manifest.json"
run_ok "... copied unchanged, the signatures stay under the instance's digest" \
    "$FERRY" --insecure-policy copy -q --all "dir:$T/l-inst" "dir:$T/w/l-inst-same"
is "... byte for byte" "$(sha256 "$T/w/l-inst-same/$inst_sig")" "$(sha256 "$T/l-inst/$inst_sig")"
run_ok "... and with --remove-signatures into oci:" \
    "$FERRY" --insecure-policy copy -q --all --remove-signatures "dir:$T/l-inst" "oci:$T/w/l-inst-oci:t"

# ------------------------------------------------ scopes
mkdir -p "$T/scoped" && cp -r "$T/s-skopeo" "$T/s-ferry" "$T/img" "$T/scoped/"
SCOPED="{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"dir\":{
  \"$T/scoped/s-skopeo\":[{\"type\":\"insecureAcceptAnything\"}],
  \"$T/scoped\":[$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT" | sed 's/^{"default":\[//; s/\]}$//')]}}}"
compare "scopes: the image's own path wins" "$SCOPED" "dir:$T/scoped/s-skopeo"
compare "scopes: then its parent directory (signed)" "$SCOPED" "dir:$T/scoped/s-ferry"
compare "scopes: then its parent directory (unsigned)" "$SCOPED" "dir:$T/scoped/img"
grep -qF "(dir:$T/scoped/img: requirement 1, signedBy, of transports.dir[\"$T/scoped\"] in $T/p/c$N.json)" "$T/err" &&
    ok "... naming the image, the requirement and its scope" ||
    not_ok "... naming the image, the requirement and its scope" "$(cat "$T/err")"
compare "scopes: a path outside every scope gets the default" "$SCOPED" "dir:$T/s-ferry"
compare "scopes: another transport's scopes do not apply" \
    "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"oci\":{\"\":[{\"type\":\"insecureAcceptAnything\"}]}}}" \
    "dir:$T/img"

# ------------------------------------------------ registries
start_registry reg
R="127.0.0.1:$REG_PORT"
$SKOPEO --insecure-policy copy -q --dest-tls-verify=false "dir:$T/img" "docker://$R/ns/busybox:latest" >/dev/null 2>&1 ||
    { echo "Bail out! skopeo could not push"; exit 1; }
# compare_docker DESC POLICY: both tools copy docker://$R/ns/busybox:latest under it.
compare_docker() { compare "$1" "$2" "docker://$R/ns/busybox:latest" --src-tls-verify=false; }
ACCEPT='[{"type":"insecureAcceptAnything"}]' REJECT='[{"type":"reject"}]'
compare_docker "docker scopes: the repository's namespace wins over the registry" \
    "{\"default\":$ACCEPT,\"transports\":{\"docker\":{\"$R/ns\":$REJECT,\"$R\":$ACCEPT}}}"
compare_docker "docker scopes: the registry" "{\"default\":$ACCEPT,\"transports\":{\"docker\":{\"$R\":$REJECT}}}"
compare_docker "docker scopes: a wildcard domain (*.0.0.1)" \
    "{\"default\":$ACCEPT,\"transports\":{\"docker\":{\"*.0.0.1\":$REJECT}}}"
compare_docker "docker scopes: the exact reference wins over its repository" \
    "{\"default\":$REJECT,\"transports\":{\"docker\":{\"$R/ns/busybox:latest\":$ACCEPT,\"$R/ns/busybox\":$REJECT}}}"
compare_docker "docker: signedBy on an image without signatures" "$(signed_by "\"keyPath\":\"$T/a.gpg\"")"

# Signed images in the registry, their signatures in a lookaside store
# (registries.d) that both tools read.
mkdir -p "$T/regd" "$T/sigstore"
printf 'default-docker:\n  lookaside: file://%s\n' "$T/sigstore" >"$T/regd/default.yaml"
GLOBALS=(--registries.d "$T/regd")
run_ok "ferry pushes a signed image (lookaside signature)" "$FERRY" --insecure-policy --registries.d "$T/regd" copy -q \
    --dest-tls-verify=false --sign-by "$A" "dir:$T/img" "docker://$R/signed/busybox:v1"
$SKOPEO --insecure-policy --registries.d "$T/regd" copy -q --dest-tls-verify=false --sign-by "$A" "dir:$T/img2" \
    "docker://$R/signed/busybox:v2" >/dev/null 2>&1 || { echo "Bail out! skopeo could not push a signed image"; exit 1; }
DV1=$($SKOPEO --insecure-policy inspect --tls-verify=false --format '{{.Digest}}' "docker://$R/signed/busybox:v1")
KP="\"keyPath\":\"$T/a.gpg\""
sd() { compare "$1" "$2" "docker://$R/signed/busybox$3" --src-tls-verify=false; }
sd "registry, matchRepoDigestOrExact, by tag (ferry's signature)" "$(signed_by "$KP")" ":v1"
sd "registry, matchRepoDigestOrExact, by tag (skopeo's signature)" "$(signed_by "$KP")" ":v2"
sd "registry, matchRepoDigestOrExact, by digest" "$(signed_by "$KP")" "@$DV1"
sd "registry, matchExact, by digest (signed for a tag)" "$(signed_by "$KP" '{"type":"matchExact"}')" "@$DV1"
sd "registry, matchExact, by tag" "$(signed_by "$KP" '{"type":"matchExact"}')" ":v1"
sd "registry, matchRepository" "$(signed_by "$KP" '{"type":"matchRepository"}')" ":v1"
sd "registry, exactReference of another tag" \
    "$(signed_by "$KP" "{\"type\":\"exactReference\",\"dockerReference\":\"$R/signed/busybox:v2\"}")" ":v1"
sd "registry, exactRepository" \
    "$(signed_by "$KP" "{\"type\":\"exactRepository\",\"dockerRepository\":\"$R/signed/busybox\"}")" ":v1"
sd "registry, remapIdentity: a mirror of the signed name" \
    "$(signed_by "$KP" "{\"type\":\"remapIdentity\",\"prefix\":\"$R/mirror\",\"signedPrefix\":\"$R/signed\"}")" ":v1"
sd "registry, another key" "$(signed_by "\"keyPath\":\"$T/b.gpg\"")" ":v1"
# The same image under another name: its signature names the first.
$SKOPEO --insecure-policy --registries.d "$T/regd" copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$R/signed/busybox:v1" "docker://$R/mirror/busybox:v1" >/dev/null 2>&1
compare "registry, a copy under another name: identity mismatch" "$(signed_by "$KP")" \
    "docker://$R/mirror/busybox:v1" --src-tls-verify=false
compare "registry, ... accepted through remapIdentity" \
    "$(signed_by "$KP" "{\"type\":\"remapIdentity\",\"prefix\":\"$R/mirror\",\"signedPrefix\":\"$R/signed\"}")" \
    "docker://$R/mirror/busybox:v1" --src-tls-verify=false
GLOBALS=()

# ------------------------------------------------ sigstoreSigned
# Debian's skopeo cannot verify sigstore signatures: ferry's verdicts and
# containers/image's wording are checked directly.
printf 'sekrit\n' >"$T/pass"
for k in s1 s2; do
    "$FERRY" generate-sigstore-key --output-prefix "$T/$k" --passphrase-file "$T/pass" >/dev/null 2>&1 ||
        { echo "Bail out! generate-sigstore-key failed"; exit 1; }
done
run_ok "a dir: image signed with a sigstore key" "$FERRY" --insecure-policy copy -q --sign-by-sigstore-private-key \
    "$T/s1.private" --sign-passphrase-file "$T/pass" --sign-identity "$ID" "dir:$T/img" "dir:$T/ss"
cp -r "$T/s-skopeo" "$T/ss-gpg"
printf 'privateKeyFile: %s\nprivateKeyPassphraseFile: %s\n' "$T/s1.private" "$T/pass" >"$T/params.yaml"
run_ok "... and with both kinds at once (--sign-by, --sign-by-sigstore PARAMS)" "$FERRY" --insecure-policy copy -q \
    --sign-by "$A" --sign-by-sigstore "$T/params.yaml" --sign-identity "$ID" "dir:$T/img" "dir:$T/ss-both"
S1_DATA=$(base64 -w0 "$T/s1.pub")
sigstore_policy() { # KEYFIELDS [SIGNED_IDENTITY]
    printf '{"default":[{"type":"sigstoreSigned",%s%s}]}' "$1" "${2:+,\"signedIdentity\":$2}"
}
# verdict DESC POLICY SOURCE EXPECTED_MESSAGE ("" = accepted) [FLAGS...]
verdict() {
    local desc=$1 json=$2 src=$3 want=$4
    shift 4
    N=$((N + 1))
    write_policy "v$N" "$json"
    run "$FERRY" --policy "$T/p/v$N.json" "${GLOBALS[@]}" copy -q "$@" "$src" "dir:$T/w/v$N"
    if [ -z "$want" ]; then
        is "$desc: accepted" "$RC" 0
        is "... the image copied" "$(cat "$T/w/v$N/manifest.json" 2>/dev/null | sha256sum)" \
            "$(cat "$T/img/manifest.json" | sha256sum)"
    else
        is "$desc: refused" "$RC" 1
        stderr_one_line "... one line: $want" "ferry: $want"
        absent "... nothing written" "$T/w/v$N"
    fi
}
verdict "sigstoreSigned keyPath, exactReference" \
    "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"" "$EXACT")" "dir:$T/ss" ""
verdict "sigstoreSigned keyData, exactRepository" \
    "$(sigstore_policy "\"keyData\":\"$S1_DATA\"" '{"type":"exactRepository","dockerRepository":"busybox"}')" \
    "dir:$T/ss" ""
verdict "sigstoreSigned, another key" "$(sigstore_policy "\"keyPath\":\"$T/s2.pub\"" "$EXACT")" "dir:$T/ss" \
    "Source image rejected: cryptographic signature verification failed"
verdict "sigstoreSigned, another identity" \
    "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"" '{"type":"exactReference","dockerReference":"busybox:v2"}')" \
    "dir:$T/ss" 'Source image rejected: Signature for identity "docker.io/library/busybox:latest" is not accepted'
verdict "sigstoreSigned, an unsigned image" "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"" "$EXACT")" "dir:$T/img" \
    "Source image rejected: A signature was required, but no signature exists"
verdict "sigstoreSigned, only a GPG signature" "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"" "$EXACT")" \
    "dir:$T/ss-gpg" \
    "Source image rejected: A signature was required, but no signature exists (1 non-sigstore signatures, 0 sigstore non-signature attachments)"
verdict "signedBy, only a sigstore signature" "$(signed_by "$KP" "$EXACT")" "dir:$T/ss" \
    "Source image rejected: A signature was required, but no signature exists"
cp -r "$T/ss" "$T/ss-swapped"
"$FERRY" --insecure-policy copy -q --sign-by-sigstore-private-key "$T/s1.private" --sign-passphrase-file "$T/pass" \
    --sign-identity "$ID" "dir:$T/img2" "dir:$T/ss2" >/dev/null 2>&1
cp "$T/ss2/signature-1" "$T/ss-swapped/signature-1"
verdict "sigstoreSigned, a swapped signature (another image's)" \
    "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"" "$EXACT")" "dir:$T/ss-swapped" \
    "Source image rejected: Signature for digest $(cat "$T/ss2/manifest.json" | $SKOPEO manifest-digest /dev/stdin) does not match"
verdict "sigstoreSigned, a public key file that is not one" \
    "$(sigstore_policy "\"keyPath\":\"$T/pass\"" "$EXACT")" "dir:$T/ss" "Source image rejected: parsing public key"
verdict "sigstoreSigned, a missing public key file" \
    "$(sigstore_policy "\"keyPath\":\"$T/none.pub\"" "$EXACT")" "dir:$T/ss" \
    "Source image rejected: open $T/none.pub: no such file or directory"
verdict "sigstoreSigned with fulcio: refused in one line" \
    "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/x\"},\"signedIdentity\":$EXACT}]}" \
    "dir:$T/ss" "Source image rejected: sigstoreSigned with \"fulcio\" is not supported by ferry"
verdict "signedBy and sigstoreSigned both required, both present" \
    "{\"default\":[$(signed_by "$KP" "$EXACT" | sed 's/^{"default":\[//; s/\]}$//'),$(sigstore_policy \
        "\"keyPath\":\"$T/s1.pub\"" "$EXACT" | sed 's/^{"default":\[//; s/\]}$//')]}" "dir:$T/ss-both" ""

# Sigstore attachments in the registry (registries.d use-sigstore-attachments).
mkdir -p "$T/regd-att"
printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n    lookaside: file://%s\n' "$R" "$T/sigstore" \
    >"$T/regd-att/att.yaml"
GLOBALS=(--registries.d "$T/regd-att")
run_ok "a sigstore-signed push to the registry (an attachment)" "$FERRY" --insecure-policy "${GLOBALS[@]}" copy -q \
    --dest-tls-verify=false --sign-by-sigstore "$T/params.yaml" "dir:$T/img" "docker://$R/att/busybox:v1"
# The attachment read straight from the registry, checked by the independent
# verifier of tests/fixtures/sigstore_tool.py.
registry_get "http://$R/v2/att/busybox/manifests/v1" >"$T/att-manifest.json" 2>/dev/null
ATT_TAG=$(sha256sum "$T/att-manifest.json" | awk '{print "sha256-" $1 ".sig"}')
registry_get "http://$R/v2/att/busybox/manifests/$ATT_TAG" >"$T/att-sig.json" 2>/dev/null
layer=$(json "$T/att-sig.json" 'j["layers"][0]["digest"]')
registry_get "http://$R/v2/att/busybox/blobs/$layer" >"$T/att-payload" 2>/dev/null
"$FIXPY" -c 'import base64, json, sys
m = json.load(open(sys.argv[1])); l = m["layers"][0]
blob = json.dumps({"mimeType": l["mediaType"], "payload": base64.b64encode(open(sys.argv[2], "rb").read()).decode(),
                   "annotations": l.get("annotations", {})})
open(sys.argv[3], "wb").write(b"\0sigstore-json\n" + blob.encode())' "$T/att-sig.json" "$T/att-payload" "$T/att.blob"
run_ok "... which an independent verifier accepts (ECDSA over the payload, digest, identity)" \
    "$FIXPY" "$SRCDIR/tests/fixtures/sigstore_tool.py" verify "$T/att.blob" "$T/att-manifest.json" "$T/s1.pub" \
    "$R/att/busybox:v1"
verdict "registry attachment, sigstoreSigned matchRepoDigestOrExact" \
    "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"")" "docker://$R/att/busybox:v1" "" --src-tls-verify=false
verdict "registry attachment, sigstoreSigned, another key" \
    "$(sigstore_policy "\"keyPath\":\"$T/s2.pub\"")" "docker://$R/att/busybox:v1" \
    "Source image rejected: cryptographic signature verification failed" --src-tls-verify=false
$SKOPEO --insecure-policy copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$R/att/busybox:v1" \
    "docker://$R/att2/busybox:v1" >/dev/null 2>&1
verdict "registry attachment, the image under another name (no attachment there)" \
    "$(sigstore_policy "\"keyPath\":\"$T/s1.pub\"")" "docker://$R/att2/busybox:v1" \
    "Source image rejected: A signature was required, but no signature exists" --src-tls-verify=false
GLOBALS=()

# sync applies the policy to every image before copying any.
write_policy sync "$(signed_by "\"keyPath\":\"$T/a.gpg\"" "$EXACT")"
$SKOPEO --policy "$T/p/sync.json" sync --src docker --dest dir --src-tls-verify=false "$R/ns/busybox:latest" \
    "$T/w/sync-s" >/dev/null 2>"$T/s.err"
want=$?
run "$FERRY" --policy "$T/p/sync.json" sync --src docker --dest dir --src-tls-verify=false "$R/ns/busybox:latest" \
    "$T/w/sync-f"
is "sync of an unsigned image under signedBy: exit $want as skopeo" "$RC" "$want"
grep -qF "Source image rejected: A signature was required, but no signature exists" "$T/err" &&
    ok "... saying no signature exists" || not_ok "... saying no signature exists" "$(cat "$T/err")"
absent "... nothing written" "$T/w/sync-f/busybox:latest"
run_ok "sync of a signed dir: image under signedBy (to a registry, --remove-signatures)" \
    "$FERRY" --policy "$T/p/sync.json" sync --src dir --dest docker --dest-tls-verify=false --remove-signatures \
    "$T/s-ferry" "$R/synced"
run_ok "... the registry has it" $SKOPEO --insecure-policy inspect --tls-verify=false "docker://$R/synced/s-ferry:latest"
run_status "sync of an unsigned dir: image under signedBy: refused" 1 \
    "$FERRY" --policy "$T/p/sync.json" sync --src dir --dest docker --dest-tls-verify=false "$T/img" "$R/synced"
run $SKOPEO --insecure-policy inspect --tls-verify=false "docker://$R/synced/img:latest"
grep -q "manifest unknown" "$T/err" && ok "... nothing pushed" || not_ok "... nothing pushed" "$(cat "$T/err")"

finish
