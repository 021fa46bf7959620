#!/bin/bash
# tests/system/gpg.sh — GPG simple signing against skopeo 1.9.3 (TAP):
# standalone-sign and standalone-verify both ways between ferry and skopeo;
# the payload ferry signs equal to skopeo's but for the timestamp, in a
# binary signed message of the same packets; keys given by fingerprint, key
# ID or e-mail, a passphrase through --passphrase-file; the refusals (another
# key, another manifest, another identity, a corrupt or foreign signature, a
# bad payload, an unknown key) in one line with skopeo's exit code; schema 1
# and OCI manifests; and the ephemeral keyring of the policy's signedBy
# (tests/unit/ssverify), which leaves nothing behind; copy --sign-by into
# dir: (skopeo verifies it; identity, passphrase and refusals as skopeo), also
# with a sigstore signature beside it.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"

[ -n "$SKOPEO" ] || skip_all "skopeo not installed"
command -v gpg >/dev/null 2>&1 && command -v gpgconf >/dev/null 2>&1 || skip_all "gpg not installed"
need_python
SSVERIFY="$BUILDDIR/tests/unit/ssverify"

# GNUPGHOME: gpg-agent's socket path must stay short (about 100 bytes).
G="$T/g"
[ "${#G}" -le 60 ] || G=$(mktemp -d /tmp/ferry-gpg.XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
mkdir -p "$G/home" "$G/empty" "$G/pub"
chmod 700 "$G/home" "$G/empty" "$G/pub"
export GNUPGHOME="$G/home"
gpg_cleanup() {
    local h
    for h in "$G/home" "$G/empty" "$G/pub"; do GNUPGHOME=$h gpgconf --kill gpg-agent >/dev/null 2>&1; done
    [ "$G" = "$T/g" ] || rm -rf "$G"
    _tap_exit
}
trap gpg_cleanup EXIT

# fpr UID: the fingerprint of the key with that user ID.
fpr() { gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'; }
gpg --batch --passphrase '' --quick-gen-key 'ferry test <t@example.com>' ed25519 sign never >/dev/null 2>&1
gpg --batch --passphrase '' --quick-gen-key 'other key <o@example.com>' ed25519 sign never >/dev/null 2>&1
gpg --batch --pinentry-mode loopback --passphrase 'sekrit pass' \
    --quick-gen-key 'pass key <p@example.com>' rsa2048 sign never >/dev/null 2>&1
A=$(fpr t@example.com) B=$(fpr o@example.com) P=$(fpr p@example.com)
[ -n "$A" ] && [ -n "$B" ] && [ -n "$P" ] || { echo "Bail out! gpg could not create the keys"; exit 1; }
gpg --batch --export "$A" >"$T/a.pub"
gpg --batch --armor --export "$B" >"$T/b.asc"

mkimage --layout dir "$T/img1" >/dev/null && mkimage --layout dir --seed 2 "$T/img2" >/dev/null &&
    mkimage --layout dir --manifest oci --seed 3 "$T/oci" >/dev/null &&
    mkimage --layout dir --history --seed 4 "$T/hist" >/dev/null || { echo "Bail out! mkimage failed"; exit 1; }
M1="$T/img1/manifest.json" M2="$T/img2/manifest.json"
D1=$($SKOPEO manifest-digest "$M1")

# payload SIG: the signed content, as gpg extracts it.
payload() { gpg --batch -q --decrypt "$1" 2>/dev/null; }
# packets SIG: the kinds of OpenPGP packets, in order.
packets() { gpg --batch --list-packets "$1" 2>/dev/null | grep -oE '^:[a-z_ ]+ packet' | tr '\n' ' '; }
# no_timestamp: a payload with its timestamp value blanked.
no_timestamp() { sed -E 's/"timestamp":[0-9]+/"timestamp":T/'; }

# ------------------------------------------------ usage
# flags_of FILE: the flags of a help text's own "Flags:" section.
flags_of() {
    sed -n '/^Flags:/,/^Global Flags:/p' "$1" | grep -oE '^[[:space:]]+(-[a-zA-Z], )?--[a-z0-9.-]+' | tr -d ' ' |
        LC_ALL=C sort | tr '\n' ' '
}
for c in standalone-sign standalone-verify; do
    run ferry "$c" --help
    $SKOPEO "$c" --help >"$T/help.s" 2>/dev/null
    is "$c --help: exit 0, skopeo's flags" "$RC $(flags_of "$T/out")" "0 $(flags_of "$T/help.s")"
done

# ------------------------------------------------ signing
before=$(date +%s)
run_ok "standalone-sign writes a signature" ferry standalone-sign "$M1" busybox "$A" -o "$T/f.sig"
after=$(date +%s)
is "... and prints nothing" "$(cat "$T/out" "$T/err")" ""
$SKOPEO standalone-sign "$M1" busybox "$A" -o "$T/s.sig" >/dev/null 2>&1
is "... the payload skopeo signs, byte for byte but the timestamp" "$(payload "$T/f.sig" | no_timestamp)" \
    "$(payload "$T/s.sig" | no_timestamp)"
is "... the same members in the same order (parsed)" \
    "$("$PYTHON3" -c 'import json, sys
j = json.loads(sys.stdin.read(), object_pairs_hook=lambda p: [(k, "T" if k == "timestamp" else v) for k, v in p])
print(j)' < <(payload "$T/f.sig"))" \
    "$("$PYTHON3" -c 'import json, sys
j = json.loads(sys.stdin.read(), object_pairs_hook=lambda p: [(k, "T" if k == "timestamp" else v) for k, v in p])
print(j)' < <(payload "$T/s.sig"))"
ts=$(payload "$T/f.sig" | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["optional"]["timestamp"])')
is "... the timestamp is the signing time" "$([ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ] && echo yes)" yes
is "... a binary signed message of skopeo's packets (not armored, not detached)" "$(packets "$T/f.sig")" \
    "$(packets "$T/s.sig")"
run_ok "skopeo standalone-verify accepts ferry's signature" $SKOPEO standalone-verify "$M1" busybox "$A" "$T/f.sig"
is "... for the manifest's digest" "$(cat "$T/out")" "Signature verified, digest $D1"

# ------------------------------------------------ verifying
run_ok "standalone-verify accepts skopeo's signature" ferry standalone-verify "$M1" busybox "$A" "$T/s.sig"
cp "$T/out" "$T/f.out"
$SKOPEO standalone-verify "$M1" busybox "$A" "$T/s.sig" >"$T/s.out" 2>/dev/null
same_file "... printing what skopeo prints" "$T/f.out" "$T/s.out"
run_ok "standalone-verify accepts its own signature" ferry standalone-verify "$M1" busybox "$A" "$T/f.sig"
same_file "... the same text" "$T/out" "$T/s.out"
run_ok "... under the normalised name docker.io/library/busybox" \
    ferry standalone-verify "$M1" docker.io/library/busybox "$A" "$T/f.sig"
gpg --export "$A" | GNUPGHOME="$G/pub" gpg --batch -q --import 2>/dev/null
run_ok "... with only the public key in GNUPGHOME" env GNUPGHOME="$G/pub" \
    ferry standalone-verify "$M1" busybox "$A" "$T/s.sig"

# refused DESC NEEDLE COMMAND ARGS...: skopeo refuses ARGS (non-zero exit);
# ferry exits with skopeo's status and says why in one line naming NEEDLE.
refused() {
    local desc=$1 needle=$2 want
    shift 2
    $SKOPEO "$@" >/dev/null 2>&1
    want=$?
    if [ "$want" -eq 0 ]; then not_ok "$desc" "skopeo accepted: $*"; not_ok "... one line"; return; fi
    run_status "$desc: exit $want as skopeo" "$want" ferry "$@"
    stderr_one_line "... one line: $needle" "$needle"
}
refused "another key's fingerprint" "Signature by $A does not match expected fingerprint $B" \
    standalone-verify "$M1" busybox "$B" "$T/s.sig"
lower=$(echo "$A" | tr 'A-F' 'a-f')
refused "the fingerprint in lower case (compared exactly, as skopeo)" "does not match expected fingerprint $lower" \
    standalone-verify "$M1" busybox "$lower" "$T/s.sig"
refused "'any' as fingerprint (not in skopeo 1.9.3)" "does not match expected fingerprint any" \
    standalone-verify "$M1" busybox any "$T/s.sig"
refused "another manifest" "Signature for docker digest \"$D1\" does not match" \
    standalone-verify "$M2" busybox "$A" "$T/f.sig"
refused "another identity (a tag is not implied)" "Docker reference busybox does not match busybox:latest" \
    standalone-verify "$M1" busybox:latest "$A" "$T/f.sig"
refused "another repository" "Docker reference busybox does not match example.com/busybox" \
    standalone-verify "$M1" example.com/busybox "$A" "$T/f.sig"
refused "an invalid expected identity" "repository name must be lowercase" \
    standalone-verify "$M1" BusyBox "$A" "$T/f.sig"
# A corrupt signature: the signed payload altered (a digit of its timestamp)
# in the uncompressed message, so the hash cannot match whatever the signature
# bytes are (flipping a byte of the compressed stream gave random errors).
"$PYTHON3" -c 'import sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:2] == b"\xa3\x01", "not a ZIP-compressed message"
m = bytearray(zlib.decompressobj(-15).decompress(d[2:]))
i = m.index(b"\"timestamp\":") + len(b"\"timestamp\":")
m[i] = ord("1") if m[i] != ord("1") else ord("2")
open(sys.argv[2], "wb").write(m)' "$T/f.sig" "$T/corrupt.sig"
refused "a corrupt signature" "Invalid GPG signature" standalone-verify "$M1" busybox "$A" "$T/corrupt.sig"
head -c 100 "$T/f.sig" >"$T/trunc.sig"
refused "a truncated signature" "Unexpected GPG signature count 0" standalone-verify "$M1" busybox "$A" "$T/trunc.sig"
refused "a manifest given as signature" "No data" standalone-verify "$M1" busybox "$A" "$M1"
GNUPGHOME="$G/empty" refused "a signature by a key GNUPGHOME lacks" "Invalid GPG signature by $A: No public key" \
    standalone-verify "$M1" busybox "$A" "$T/f.sig"
refused "a missing signature file" "$T/none.sig" standalone-verify "$M1" busybox "$A" "$T/none.sig"
refused "three arguments" "Usage:" standalone-verify "$M1" busybox "$A"
refused "--public-key-file (not in skopeo 1.9.3)" "--public-key-file" \
    standalone-verify --public-key-file "$T/a.pub" "$M1" busybox "$A" "$T/s.sig"

# Payloads gpg signs as they are: containers/image's strict parsing.
crit='"critical":{"identity":{"docker-reference":"busybox"},"image":{"docker-manifest-digest":"'$D1'"},'
crit+='"type":"atomic container signature"}'
gpgsign() { printf '%s' "$1" | gpg --batch -q --sign -u "$A" >"$2"; }
gpgsign "{$crit,\"optional\":{}}" "$T/p-min.sig"
run_ok "a payload without creator and timestamp is accepted" ferry standalone-verify "$M1" busybox "$A" "$T/p-min.sig"
gpgsign "not json" "$T/p-bad.sig"
refused "a payload that is no JSON" "invalid character 'o' in literal null (expecting 'u')" \
    standalone-verify "$M1" busybox "$A" "$T/p-bad.sig"
gpgsign "{${crit/atomic container signature/cosign container image signature},\"optional\":{}}" "$T/p-type.sig"
refused "a payload of another type" "Unrecognized signature type cosign container image signature" \
    standalone-verify "$M1" busybox "$A" "$T/p-type.sig"
gpgsign "{$crit,\"optional\":{},\"extra\":1}" "$T/p-extra.sig"
refused "a payload with an unknown member" "Unknown key \"extra\"" standalone-verify "$M1" busybox "$A" "$T/p-extra.sig"
gpgsign "{$crit,\"optional\":{\"timestamp\":1.5}}" "$T/p-ts.sig"
refused "a fractional timestamp" "Field optional.timestamp is not is not an integer" \
    standalone-verify "$M1" busybox "$A" "$T/p-ts.sig"
gpgsign "{${crit/busybox/bu sybox},\"optional\":{}}" "$T/p-ref.sig"
refused "an invalid signed identity" "Invalid docker reference bu sybox in signature" \
    standalone-verify "$M1" busybox "$A" "$T/p-ref.sig"

# ------------------------------------------------ keys and passphrases
run_ok "signing with the key ID" ferry standalone-sign "$M1" busybox "${A: -16}" -o "$T/keyid.sig"
run_ok "... verified by skopeo" $SKOPEO standalone-verify "$M1" busybox "$A" "$T/keyid.sig"
run_ok "signing with the e-mail address" ferry standalone-sign "$M1" busybox t@example.com -o "$T/mail.sig"
run_ok "... verified by skopeo" $SKOPEO standalone-verify "$M1" busybox "$A" "$T/mail.sig"
printf 'sekrit pass\nsecond line\n' >"$T/pass"
gpgconf --kill gpg-agent >/dev/null 2>&1 # no cached passphrase
run_ok "signing with a passphrase key and --passphrase-file (its first line)" \
    ferry standalone-sign --passphrase-file "$T/pass" "$M1" busybox "$P" -o "$T/pass.sig"
run_ok "... verified by skopeo" $SKOPEO standalone-verify "$M1" busybox "$P" "$T/pass.sig"
printf 'wrong\n' >"$T/badpass"
gpgconf --kill gpg-agent >/dev/null 2>&1
refused "a wrong passphrase" "Bad passphrase" \
    standalone-sign --passphrase-file "$T/badpass" "$M1" busybox "$P" -o "$T/badpass.sig"
absent "... no signature written" "$T/badpass.sig"
refused "an unknown key" "key \"$(echo "$A" | tr 'A-F0-9' '0-9A-F')\" not found" \
    standalone-sign "$M1" busybox "$(echo "$A" | tr 'A-F0-9' '0-9A-F')" -o "$T/nokey.sig"
absent "... no signature written" "$T/nokey.sig"
refused "an empty reference" "Unexpected empty signature content" standalone-sign "$M1" "" "$A" -o "$T/noref.sig"
refused "no --output" "Usage:" standalone-sign "$M1" busybox "$A"
refused "a missing manifest" "$T/none.json" standalone-sign "$T/none.json" busybox "$A" -o "$T/x.sig"
refused "a missing passphrase file" "$T/none.pass" \
    standalone-sign --passphrase-file "$T/none.pass" "$M1" busybox "$A" -o "$T/x.sig"
refused "an unwritable output" "$T/no/dir/x.sig" standalone-sign "$M1" busybox "$A" -o "$T/no/dir/x.sig"
run_ok "any reference is signed as given (not validated, as skopeo)" \
    ferry standalone-sign "$M1" 'Not A Reference<&>' "$A" -o "$T/odd.sig"
$SKOPEO standalone-sign "$M1" 'Not A Reference<&>' "$A" -o "$T/odd-s.sig" >/dev/null 2>&1
is "... escaped as skopeo escapes it" "$(payload "$T/odd.sig" | no_timestamp)" \
    "$(payload "$T/odd-s.sig" | no_timestamp)"

# ------------------------------------------------ other manifest kinds
run_ok "an OCI manifest signed" ferry standalone-sign "$T/oci/manifest.json" example.com/app:1 "$A" -o "$T/oci.sig"
run_ok "... verified by skopeo" $SKOPEO standalone-verify "$T/oci/manifest.json" example.com/app:1 "$A" "$T/oci.sig"
if $SKOPEO --insecure-policy copy -q --format v2s1 "dir:$T/hist" "dir:$T/s1" >/dev/null 2>&1; then
    run_ok "a signed schema 1 manifest signed" ferry standalone-sign "$T/s1/manifest.json" example.com/s1:1 "$A" \
        -o "$T/s1.sig"
    is "... over its JWS payload's digest, as skopeo manifest-digest gives it" \
        "$(payload "$T/s1.sig" | "$PYTHON3" -c 'import json, sys
print(json.load(sys.stdin)["critical"]["image"]["docker-manifest-digest"])')" \
        "$($SKOPEO manifest-digest "$T/s1/manifest.json")"
    run_ok "... verified by skopeo" $SKOPEO standalone-verify "$T/s1/manifest.json" example.com/s1:1 "$A" "$T/s1.sig"
    $SKOPEO standalone-sign "$T/s1/manifest.json" example.com/s1:1 "$A" -o "$T/s1-s.sig" >/dev/null 2>&1
    run_ok "... and skopeo's signature of it verified by ferry" \
        ferry standalone-verify "$T/s1/manifest.json" example.com/s1:1 "$A" "$T/s1-s.sig"
else
    for i in 1 2 3 4; do skip "schema 1 signing" "skopeo could not make a schema 1 image"; done
fi

# ------------------------------------------------ the policy's ephemeral keyring
mkdir -p "$T/eph"
run_ok "signedBy keys (binary and armored files) accept a signature by one of them" \
    "$SSVERIFY" "$T/eph" "$M1" "$T/s.sig" busybox "$T/a.pub" "$T/b.asc"
is "... each key imported, the signer named" "$(cat "$T/out")" "imported $A
imported $B
verified $A $D1 busybox"
empty_dir "... its temporary GNUPGHOME removed" "$T/eph"
run_status "signedBy keys without the signer: refused" 1 "$SSVERIFY" "$T/eph" "$M1" "$T/s.sig" busybox "$T/b.asc"
stderr_one_line "... one line" "Invalid GPG signature by $A: No public key"
run_status "signedBy: another manifest refused with the policy's wording" 1 \
    "$SSVERIFY" "$T/eph" "$M2" "$T/s.sig" busybox "$T/a.pub"
stderr_one_line "... one line" "Signature for digest $D1 does not match"
run_status "signedBy: the identity rule is the caller's" 1 "$SSVERIFY" "$T/eph" "$M1" "$T/s.sig" other "$T/a.pub"
stderr_one_line "... one line" "Signature for identity busybox is not accepted"
run_status "signedBy: a key file that holds no key" 1 "$SSVERIFY" "$T/eph" "$M1" "$T/s.sig" busybox "$M1"
stderr_one_line "... one line" "No public keys imported"
run_status "signedBy: an unreadable key file" 1 "$SSVERIFY" "$T/eph" "$M1" "$T/s.sig" busybox "$T/none.pub"
stderr_one_line "... one line" "open $T/none.pub"
empty_dir "... no temporary GNUPGHOME left by any of them" "$T/eph"

# ------------------------------------------------ copy --sign-by
ID=docker.io/library/busybox:latest
run_ok "copy --sign-by into dir: with --sign-identity" ferry --insecure-policy copy --sign-by "$A" --sign-identity "$ID" \
    "dir:$T/img1" "dir:$T/signed"
run_ok "... skopeo standalone-verify accepts the signature" $SKOPEO standalone-verify "$T/signed/manifest.json" "$ID" \
    "$A" "$T/signed/signature-1"
$SKOPEO --insecure-policy copy -q --sign-by "$A" --sign-identity "$ID" "dir:$T/img1" "dir:$T/sk-signed" >/dev/null 2>&1
is "... the payload skopeo signs, but for the timestamp" "$(payload "$T/signed/signature-1" | no_timestamp)" \
    "$(payload "$T/sk-signed/signature-1" | no_timestamp)"
run_ok "copied on with its signature, and signed again by another key" ferry --insecure-policy copy --sign-by "$B" \
    --sign-identity "$ID" "dir:$T/signed" "dir:$T/signed2"
is "... both signatures there" "$(cd "$T/signed2" && ls signature-* | tr '\n' ' ')" "signature-1 signature-2 "
run_ok "... the second is B's" $SKOPEO standalone-verify "$T/signed2/manifest.json" "$ID" "$B" "$T/signed2/signature-2"
run_ok "--sign-passphrase-file" ferry --insecure-policy copy --sign-by "$P" --sign-passphrase-file <(printf 'sekrit pass\n') \
    --sign-identity "$ID" "dir:$T/img1" "dir:$T/signed-p"
run_ok "... verified" ferry standalone-verify "$T/signed-p/manifest.json" "$ID" "$P" "$T/signed-p/signature-1"
gpgconf --kill gpg-agent >/dev/null 2>&1 # the agent caches the good passphrase
run_status "a wrong passphrase: exit 1" 1 ferry --insecure-policy copy --sign-by "$P" \
    --sign-passphrase-file <(printf 'wrong\n') --sign-identity "$ID" "dir:$T/img1" "dir:$T/signed-w"
stderr_one_line "... one line" "creating signature"
absent "... nothing written" "$T/signed-w"
run_status "no identity for dir: exit 1, as skopeo" 1 ferry --insecure-policy copy --sign-by "$A" "dir:$T/img1" \
    "dir:$T/signed-n"
stderr_one_line "... skopeo's message" "Cannot determine canonical Docker reference for destination dir:$T/signed-n"
absent "... nothing written" "$T/signed-n"
run_status "a non-canonical --sign-identity: exit 1, as skopeo" 1 ferry --insecure-policy copy --sign-by "$A" \
    --sign-identity busybox "dir:$T/img1" "dir:$T/signed-c"
stderr_one_line "... skopeo's message" "Could not parse --sign-identity: repository name must be canonical"
run_status "--sign-identity without --sign-by: exit 1" 1 ferry --insecure-policy copy --sign-identity "$ID" \
    "dir:$T/img1" "dir:$T/signed-x"
stderr_one_line "... one line" "--sign-identity needs --sign-by"
run_status "an unknown key: exit 1" 1 ferry --insecure-policy copy --sign-by 0123456789ABCDEF0123456789ABCDEF01234567 \
    --sign-identity "$ID" "dir:$T/img1" "dir:$T/signed-u"
stderr_one_line "... one line" "creating signature"
absent "... nothing written" "$T/signed-u"

# Both kinds at once, as containers/image allows: the GPG signature, then
# the sigstore blob (whose own checks are tests/system/sigstore.sh's).
printf 'sig pass\n' >"$T/sig.pass"
ferry generate-sigstore-key --output-prefix "$T/sig" --passphrase-file "$T/sig.pass" >/dev/null
printf 'privateKeyFile: %s\nprivateKeyPassphraseFile: %s\n' "$T/sig.private" "$T/sig.pass" >"$T/sig.yaml"
run_ok "--sign-by and --sign-by-sigstore together" ferry --insecure-policy copy --sign-by "$A" \
    --sign-by-sigstore "$T/sig.yaml" --sign-identity "$ID" "dir:$T/img1" "dir:$T/signed-both"
run_ok "... signature-1 is the GPG one" $SKOPEO standalone-verify "$T/signed-both/manifest.json" "$ID" "$A" \
    "$T/signed-both/signature-1"
is "... signature-2 a sigstore blob" "$(head -c 15 "$T/signed-both/signature-2" | tr '\0\n' '@|')" "@sigstore-json|"

finish
