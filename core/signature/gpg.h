/* core/signature/gpg.h — the GPG/OpenPGP signing mechanism of containers/image
 * v5.23 (signature/mechanism_gpgme.go), through gpgme: binary (not armored)
 * signed messages, not detached; keys looked up by any name gpgme takes (a
 * fingerprint as c/image documents it); passphrases given through pinentry
 * loopback mode and a passphrase callback; and the "ephemeral" mechanism of
 * the policy's signedBy requirement, which trusts only the public keys it is
 * given, imported into a fresh GNUPGHOME of its own.
 *
 * Threading: the first gpg_mech_new* call initialises gpgme once for the
 * process (pthread_once); after that each mechanism may be used by one thread
 * at a time, different mechanisms concurrently. gpgme runs the gpg program,
 * which may start a gpg-agent for a home that signs.
 *
 * Errors: functions returning int return 0, or -1 with a one-line message in
 * err (gpgme's own text for its errors, "Bad passphrase", "No data", and
 * containers/image's where it words its own). */
#ifndef FERRY_CORE_GPG_H
#define FERRY_CORE_GPG_H

#include <stddef.h>

#include "shared/strbuf.h"

typedef struct gpg_mech gpg_mech;

/* A mechanism over the keyrings in `home`, or, when home is NULL, in the home
 * gpg itself chooses ($GNUPGHOME, else ~/.gnupg) as c/image's
 * NewGPGSigningMechanism does. NULL with err set when gpgme or the gpg engine
 * cannot be used. Free with gpg_mech_free. */
gpg_mech *gpg_mech_new(const char *home, char *err, size_t errcap);

/* One blob of keys, armored or binary (a policy keyPath file's content or its
 * keyData). The bytes are borrowed for the duration of the call. */
typedef struct gpg_key_blob {
    const void *data;
    size_t len;
} gpg_key_blob;

/* newEphemeralGPGSigningMechanism: a new GNUPGHOME "ferry-gpg-XXXXXX" made
 * below parent_dir (NULL: $TMPDIR, else /tmp, as Go's os.MkdirTemp("")), the
 * public keys of every blob imported into it, the directory removed again by
 * gpg_mech_free. *identities gets the fingerprints of the keys imported
 * without error, in import order (a malloc'd array of malloc'd strings,
 * *n_identities of them, freed with gpg_identities_free; NULL and 0 when
 * none). NULL with err set (and nothing left on disk) on failure. */
gpg_mech *gpg_mech_new_ephemeral(const char *parent_dir, const gpg_key_blob *blobs, size_t n_blobs,
                                 char ***identities, size_t *n_identities, char *err, size_t errcap);

/* The same with the blobs read from files (policy keyPath / keyPaths); an
 * unreadable file fails with "open PATH: <reason>". */
gpg_mech *gpg_mech_new_ephemeral_files(const char *parent_dir, const char *const *paths, size_t n_paths,
                                       char ***identities, size_t *n_identities, char *err, size_t errcap);

void gpg_identities_free(char **identities, size_t n);

/* Closes the mechanism and removes an ephemeral home. NULL is allowed. */
void gpg_mech_free(gpg_mech *m);

/* Signs the len bytes at data with the secret key gpgme finds for
 * key_identity (unknown: `key "ID" not found`) into a binary OpenPGP signed
 * message appended to *out. passphrase NULL or "" leaves the passphrase to
 * gpg-agent (pinentry); otherwise it is handed over in loopback mode (it
 * must not contain a line break; a rejected one gives "Bad passphrase"). */
int gpg_mech_sign(gpg_mech *m, const void *data, size_t len, const char *key_identity, const char *passphrase,
                  strbuf *out, char *err, size_t errcap);

/* Verifies a signed message: exactly one signature, valid by a key of the
 * mechanism's keyring (c/image accepts any key trust; the caller decides
 * which keys it accepts). Appends the signed content to *contents and sets
 * *fingerprint to the signing key's fingerprint as gpgme reports it
 * (malloc'd, caller frees). Errors: gpgme's ("No data" for bytes that are no
 * OpenPGP message), "Unexpected GPG signature count N", "Invalid GPG
 * signature by KEY: REASON" (unknown key, bad signature, expired or revoked
 * key, ...). */
int gpg_mech_verify(gpg_mech *m, const void *sig, size_t sig_len, strbuf *contents, char **fingerprint, char *err,
                    size_t errcap);

#endif
