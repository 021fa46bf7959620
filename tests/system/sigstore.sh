#!/bin/bash
# tests/system/sigstore.sh — sigstore keys and signing (TAP), checked by an
# independent implementation (tests/fixtures/sigstore_tool.py: Python's
# cryptography and PyNaCl): generate-sigstore-key's files decrypt with the
# passphrase to the key of the .pub; copy --sign-by-sigstore-private-key and
# --sign-by-sigstore write a signature blob into dir: whose ECDSA signature
# verifies over the payload, which names the manifest digest and the
# identity; a key made by Python signs too; skopeo 1.9.3 (sigstore signing
# disabled in Debian's build, but not the blob format) copies the blob
# byte-identically; passphrases from files or a terminal; and the refusals
# (wrong passphrase, missing or corrupt key, Fulcio/Rekor parameter files,
# existing key files, no terminal) in one line, exit 1, nothing written.
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/lib.sh"

need_python
# Debian's python3-nacl and python3-cryptography live in the system Python.
SIGPY=
for py in "$PYTHON3" /usr/bin/python3; do
    [ -n "$py" ] && "$py" -c 'import nacl.secret, cryptography' 2>/dev/null && { SIGPY=$py; break; }
done
[ -n "$SIGPY" ] || skip_all "python3-nacl or python3-cryptography missing"
# tool ARGS...: the checker, as a command in $T/bin so that run's timeout can start it.
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$SIGPY" "$SRCDIR/tests/fixtures/sigstore_tool.py" >"$T/bin/tool"
chmod +x "$T/bin/tool"

mkimage --layout dir "$T/img" >/dev/null && mkimage --layout dir --manifest oci --seed 3 "$T/oci" >/dev/null ||
    { echo "Bail out! mkimage failed"; exit 1; }
ID=docker.io/library/busybox:latest
printf 'sekrit pass\nsecond line ignored\n' >"$T/pass"
printf 'wrong\n' >"$T/wrong"

# ------------------------------------------------ generate-sigstore-key
run_ok "generate-sigstore-key with --passphrase-file" ferry generate-sigstore-key --output-prefix "$T/k" \
    --passphrase-file "$T/pass"
is "... says where" "$(cat "$T/out")" "Key written to \"$T/k.private\" and \"$T/k.pub\""
is "... the private key is the owner's only" "$(stat -c %a "$T/k.private")" 600
is "... PEM type cosign and containers/image read" "$(head -n 1 "$T/k.private")" \
    "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----"
run_ok "Python decrypts it with the passphrase's first line; it is the key of .pub" tool checkkey "$T/k" "sekrit pass"
run_status "... and not with another passphrase" 1 tool checkkey "$T/k" "sekrit pass2"
cp "$T/k.private" "$T/k.private.before"
run_status "existing files are not overwritten: exit 1" 1 ferry generate-sigstore-key --output-prefix "$T/k" \
    --passphrase-file "$T/pass"
stderr_one_line "... one line" "Refusing to overwrite existing \"$T/k.pub\""
same_file "... the key is unchanged" "$T/k.private" "$T/k.private.before"
run_status "no passphrase file and no terminal: exit 1" 1 ferry generate-sigstore-key --output-prefix "$T/n"
stderr_one_line "... one line" "Cannot prompt for a passphrase for key $T/n.private, standard input is not a TTY"
absent "... nothing written" "$T/n.private"
run_status "a missing passphrase file: exit 1" 1 ferry generate-sigstore-key --output-prefix "$T/n" \
    --passphrase-file "$T/nope"
stderr_one_line "... one line" "open $T/nope"
run_status "no --output-prefix: exit 1" 1 ferry generate-sigstore-key --passphrase-file "$T/pass"
stderr_one_line "... usage in one line" "Usage: generate-sigstore-key --output-prefix PREFIX"

run_ok "on a terminal: asked twice, echo off" tool tty 'typed pass\ntyped pass' ferry generate-sigstore-key \
    --output-prefix "$T/t"
check "... both prompts shown, the passphrase never echoed" eval \
    "[ \$(grep -c 'assphrase for key $T/t.private: ' '$T/out') -eq 2 ] && ! grep -q 'typed pass' '$T/out'"
run_ok "... the key opens with what was typed" tool checkkey "$T/t" "typed pass"
run_status "on a terminal: two different passphrases: exit 1" 1 tool tty 'one\ntwo' ferry generate-sigstore-key \
    --output-prefix "$T/u"
check "... refused, nothing written" eval "grep -q 'do not match' '$T/out' && [ ! -e '$T/u.private' ]"

# ------------------------------------------------ signing into dir:
run_ok "copy --sign-by-sigstore-private-key into dir:" ferry --insecure-policy copy --sign-by-sigstore-private-key \
    "$T/k.private" --sign-passphrase-file "$T/pass" --sign-identity "$ID" "dir:$T/img" "dir:$T/s1"
check "... reports signing as skopeo does" grep -qx "Signing manifest using a sigstore signature" "$T/out"
run_ok "... Python verifies signature-1: blob, ECDSA over the payload, digest and identity" \
    tool verify "$T/s1/signature-1" "$T/s1/manifest.json" "$T/k.pub" "$ID"
run_status "... and not with another public key" 1 tool verify "$T/s1/signature-1" "$T/s1/manifest.json" "$T/t.pub" \
    "$ID"
if [ -n "$SKOPEO" ]; then
    run_ok "skopeo copies the signed image" "$SKOPEO" --insecure-policy copy "dir:$T/s1" "dir:$T/s1-skopeo"
    same_file "... rewriting the blob byte for byte as ferry wrote it (c/image's marshalling)" \
        "$T/s1-skopeo/signature-1" "$T/s1/signature-1"
else
    skip "skopeo copies the signed image" "skopeo not installed"
    skip "... rewriting the blob byte for byte" "skopeo not installed"
fi
run_ok "ferry copies the signed image" ferry --insecure-policy copy "dir:$T/s1" "dir:$T/s1-again"
same_file "... the signature blob kept" "$T/s1-again/signature-1" "$T/s1/signature-1"

run_ok "an OCI manifest, passphrase typed on a terminal" tool tty 'typed pass' ferry --insecure-policy copy \
    --sign-by-sigstore-private-key "$T/t.private" --sign-identity "$ID" "dir:$T/oci" "dir:$T/s2"
run_ok "... verifies" tool verify "$T/s2/signature-1" "$T/s2/manifest.json" "$T/t.pub" "$ID"

tool genkey "$T/py" "py pass" && printf 'py pass\n' >"$T/pypass"
run_ok "a key made by Python (ENCRYPTED SIGSTORE PRIVATE KEY) signs" ferry --insecure-policy copy \
    --sign-by-sigstore-private-key "$T/py.private" --sign-passphrase-file "$T/pypass" --sign-identity "${ID%:latest}:v1" \
    "dir:$T/img" "dir:$T/s3"
run_ok "... verifies with Python's public key" tool verify "$T/s3/signature-1" "$T/s3/manifest.json" "$T/py.pub" \
    "${ID%:latest}:v1"

cat >"$T/params.yaml" <<EOF
privateKeyFile: $T/py.private
privateKeyPassphraseFile: $T/pypass
EOF
run_ok "--sign-by-sigstore PARAMS with --sign-by-sigstore-private-key: two signatures" ferry --insecure-policy copy \
    --sign-by-sigstore-private-key "$T/k.private" --sign-passphrase-file "$T/pass" --sign-by-sigstore "$T/params.yaml" \
    --sign-identity "$ID" "dir:$T/img" "dir:$T/s4"
run_ok "... the flag's key first" tool verify "$T/s4/signature-1" "$T/s4/manifest.json" "$T/k.pub" "$ID"
run_ok "... then the parameter file's" tool verify "$T/s4/signature-2" "$T/s4/manifest.json" "$T/py.pub" "$ID"

# ------------------------------------------------ refusals: one line, exit 1, nothing written
# refused DESC NEEDLE FLAGS...: copy with FLAGS into dir:$T/r fails in one line naming NEEDLE.
refused() {
    local desc=$1 needle=$2; shift 2
    run_status "$desc: exit 1" 1 ferry --insecure-policy copy "$@" "dir:$T/img" "dir:$T/r"
    stderr_one_line "... one line" "$needle"
    absent "... nothing written" "$T/r"
}
refused "a wrong passphrase" "creating signature: initializing private key: decrypt: encrypted: decryption failed" \
    --sign-by-sigstore-private-key "$T/k.private" --sign-passphrase-file "$T/wrong" --sign-identity "$ID"
refused "a missing key file" "creating signature: reading private key from $T/none: open $T/none" \
    --sign-by-sigstore-private-key "$T/none" --sign-passphrase-file "$T/pass" --sign-identity "$ID"
head -c 200 "$T/k.private" >"$T/corrupt.private"
refused "a corrupt key file" "creating signature: initializing private key: invalid pem block" \
    --sign-by-sigstore-private-key "$T/corrupt.private" --sign-passphrase-file "$T/pass" --sign-identity "$ID"
refused "a public key as the private one" "unsupported pem type: PUBLIC KEY" \
    --sign-by-sigstore-private-key "$T/k.pub" --sign-passphrase-file "$T/pass" --sign-identity "$ID"
printf 'privateKeyFile: %s\nfulcio:\n  fulcioURL: https://fulcio.example\n  oidcMode: interactive\n' \
    "$T/k.private" >"$T/fulcio.yaml"
refused "a Fulcio parameter file" "Fulcio (fulcio:) needs the network, which ferry does not use" \
    --sign-by-sigstore "$T/fulcio.yaml" --sign-identity "$ID"
printf 'privateKeyFile: %s\nprivateKeyPassphraseFile: %s\nrekorURL: https://rekor.example\n' "$T/k.private" \
    "$T/pass" >"$T/rekor.yaml"
refused "a Rekor parameter file" "Rekor (rekorURL:) needs the network, which ferry does not use" \
    --sign-by-sigstore "$T/rekor.yaml" --sign-identity "$ID"
printf 'privateKeyFile: %s\nprivateKeyPasphraseFile: %s\n' "$T/k.private" "$T/pass" >"$T/typo.yaml"
refused "a parameter file with an unknown key" "field privateKeyPasphraseFile not found in type params.SigningParameterFile" \
    --sign-by-sigstore "$T/typo.yaml" --sign-identity "$ID"

# skopeo 1.9.3 checks these before signing too (its sigstore signing itself is disabled in Debian).
# same_refusal DESC NEEDLE FLAGS...: ferry and skopeo both exit 1 naming NEEDLE.
same_refusal() {
    local desc=$1 needle=$2; shift 2
    refused "$desc" "$needle" "$@"
    if [ -n "$SKOPEO" ]; then
        run_status "... skopeo: exit 1 too" 1 "$SKOPEO" --insecure-policy copy "$@" "dir:$T/img" "dir:$T/r-skopeo"
        check "... with the same message" grep -qF -- "$needle" "$T/err"
    else
        skip "... skopeo: exit 1 too" "skopeo not installed"
        skip "... with the same message" "skopeo not installed"
    fi
}
same_refusal "no passphrase file and no terminal" \
    "Cannot prompt for a passphrase for key $T/k.private, standard input is not a TTY" \
    --sign-by-sigstore-private-key "$T/k.private" --sign-identity "$ID"
same_refusal "an identity without tag or digest" "Sign identity must be a fully specified reference docker.io/library/busybox" \
    --sign-by-sigstore-private-key "$T/k.private" --sign-passphrase-file "$T/pass" \
    --sign-identity docker.io/library/busybox
same_refusal "no identity for dir:" "Cannot determine canonical Docker reference for destination dir:$T/r" \
    --sign-by-sigstore-private-key "$T/k.private" --sign-passphrase-file "$T/pass"
same_refusal "--sign-by and a sigstore key sharing --sign-passphrase-file" \
    "Only one of --sign-by and sign-by-sigstore-private-key can be used with sign-passphrase-file" \
    --sign-by ABCDEF --sign-by-sigstore-private-key "$T/k.private" --sign-passphrase-file "$T/pass"

# ------------------------------------------------ sync
# Refused before anything is listed: the registry named is never contacted.
run_status "sync into dir: with a sigstore key (no identity to sign): exit 1" 1 ferry --insecure-policy sync \
    --src docker --dest dir --sign-by-sigstore-private-key "$T/k.private" --sign-passphrase-file "$T/pass" \
    127.0.0.1:9/ns/app "$T/sync"
stderr_one_line "... one line" "Cannot determine canonical Docker reference for destination dir:$T/sync"
absent "... nothing written" "$T/sync"
run_status "sync with a Fulcio parameter file: exit 1" 1 ferry --insecure-policy sync --src docker --dest dir \
    --sign-by-sigstore "$T/fulcio.yaml" 127.0.0.1:9/ns/app "$T/sync"
stderr_one_line "... one line" "Fulcio (fulcio:) needs the network"
finish
