/* core/signature/gpg.c — containers/image's gpgme signing mechanism
 * (mechanism_gpgme.go, with the proglottis/gpgme binding's error texts):
 * contexts set up as newGPGMEContext does, signing as SignWithPassphrase,
 * verification as Verify, and the ephemeral keyring of the signedBy policy. */
#include "signature/gpg.h"
#include "util/goerrno.h"

#include <errno.h>
#include <ftw.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/fsutil.h"

struct gpg_mech {
    gpgme_ctx_t ctx;
    char *ephemeral_dir; /* removed by gpg_mech_free; NULL for a user's home */
};

static pthread_once_t gpg_init_once = PTHREAD_ONCE_INIT;

/* gpgme must learn its version before any other call, once per process. */
static void gpg_init(void)
{
    gpgme_check_version(NULL);
}

/* gpgme's text for e into err (as the Go binding's Error()); returns -1. */
static int gpg_fail(gpgme_error_t e, char *err, size_t errcap)
{
    if (gpgme_strerror_r(e, err, errcap) != 0)
        snprintf(err, errcap, "GPG error %u", (unsigned)e);
    return -1;
}

/* Removes one entry of an ephemeral home, depth first. */
static int gpg_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void gpg_remove_tree(const char *dir)
{
    nftw(dir, gpg_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void gpg_mech_free(gpg_mech *m)
{
    if (m == NULL)
        return;
    if (m->ctx != NULL)
        gpgme_release(m->ctx);
    if (m->ephemeral_dir != NULL) {
        gpg_remove_tree(m->ephemeral_dir); /* errors ignored, as c/image's Close() */
        free(m->ephemeral_dir);
    }
    free(m);
}

gpg_mech *gpg_mech_new(const char *home, char *err, size_t errcap)
{
    pthread_once(&gpg_init_once, gpg_init);
    gpgme_error_t e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
    if (e != 0) {
        gpg_fail(e, err, errcap);
        return NULL;
    }
    gpg_mech *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    if ((e = gpgme_new(&m->ctx)) != 0 || (e = gpgme_set_protocol(m->ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
        (home != NULL && (e = gpgme_ctx_set_engine_info(m->ctx, GPGME_PROTOCOL_OpenPGP, NULL, home)) != 0)) {
        gpg_fail(e, err, errcap);
        gpg_mech_free(m);
        return NULL;
    }
    gpgme_set_armor(m->ctx, 0);
    gpgme_set_textmode(m->ctx, 0);
    return m;
}

void gpg_identities_free(char **identities, size_t n)
{
    for (size_t i = 0; i < n && identities != NULL; i++)
        free(identities[i]);
    free(identities);
}

/* importKeysFromBytes: imports one blob, appends the fingerprints imported
 * without error. */
static int gpg_import(gpg_mech *m, const gpg_key_blob *blob, char ***ids, size_t *n_ids, char *err, size_t errcap)
{
    gpgme_data_t data;
    gpgme_error_t e = gpgme_data_new_from_mem(&data, blob->len > 0 ? blob->data : "", blob->len, 0);
    if (e != 0)
        return gpg_fail(e, err, errcap);
    e = gpgme_op_import(m->ctx, data);
    gpgme_data_release(data);
    if (e != 0)
        return gpg_fail(e, err, errcap);
    gpgme_import_result_t res = gpgme_op_import_result(m->ctx);
    for (gpgme_import_status_t s = res != NULL ? res->imports : NULL; s != NULL; s = s->next) {
        if (s->result != 0 || s->fpr == NULL)
            continue;
        char **grown = realloc(*ids, (*n_ids + 1) * sizeof(**ids));
        char *fpr = strdup(s->fpr);
        if (grown == NULL || fpr == NULL) {
            free(fpr);
            if (grown != NULL)
                *ids = grown;
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        *ids = grown;
        (*ids)[(*n_ids)++] = fpr;
    }
    return 0;
}

gpg_mech *gpg_mech_new_ephemeral(const char *parent_dir, const gpg_key_blob *blobs, size_t n_blobs,
                                 char ***identities, size_t *n_identities, char *err, size_t errcap)
{
    *identities = NULL;
    *n_identities = 0;
    if (parent_dir == NULL || *parent_dir == '\0')
        parent_dir = getenv("TMPDIR") != NULL && *getenv("TMPDIR") != '\0' ? getenv("TMPDIR") : "/tmp";
    size_t cap = strlen(parent_dir) + sizeof("/ferry-gpg-XXXXXX");
    char *dir = malloc(cap);
    if (dir == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    snprintf(dir, cap, "%s/ferry-gpg-XXXXXX", parent_dir);
    if (mkdtemp(dir) == NULL) {
        snprintf(err, errcap, "mkdtemp %s: %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    /* The home only verifies: no gpg-agent is needed, and one started by the
     * import would outlive the directory for a while. */
    static const char no_agent[] = "no-autostart\n";
    strbuf conf = STRBUF_INIT;
    strbuf_printf(&conf, "%s/gpg.conf", dir);
    gpg_mech *m = NULL;
    if (conf.failed)
        snprintf(err, errcap, "out of memory");
    else if (fs_write_file_atomic(conf.data, no_agent, sizeof(no_agent) - 1, 0600, err, errcap) == 0)
        m = gpg_mech_new(dir, err, errcap);
    strbuf_release(&conf);
    if (m == NULL) {
        gpg_remove_tree(dir);
        free(dir);
        return NULL;
    }
    m->ephemeral_dir = dir;
    for (size_t i = 0; i < n_blobs; i++) {
        if (gpg_import(m, &blobs[i], identities, n_identities, err, errcap) != 0) {
            gpg_identities_free(*identities, *n_identities);
            *identities = NULL;
            *n_identities = 0;
            gpg_mech_free(m);
            return NULL;
        }
    }
    return m;
}

gpg_mech *gpg_mech_new_ephemeral_files(const char *parent_dir, const char *const *paths, size_t n_paths,
                                       char ***identities, size_t *n_identities, char *err, size_t errcap)
{
    *identities = NULL;
    *n_identities = 0;
    strbuf *bufs = calloc(n_paths > 0 ? n_paths : 1, sizeof(*bufs));
    gpg_key_blob *blobs = calloc(n_paths > 0 ? n_paths : 1, sizeof(*blobs));
    gpg_mech *m = NULL;
    size_t read = 0;
    if (bufs == NULL || blobs == NULL) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    for (; read < n_paths; read++) {
        if (fs_read_file(paths[read], &bufs[read]) != 0) {
            char why[128];
            snprintf(err, errcap, "open %s: %s", paths[read], go_errno_text(errno, why, sizeof(why)));
            read++;
            goto out;
        }
        blobs[read].data = bufs[read].data;
        blobs[read].len = bufs[read].len;
    }
    m = gpg_mech_new_ephemeral(parent_dir, blobs, n_paths, identities, n_identities, err, errcap);
out:
    for (size_t i = 0; bufs != NULL && i < read; i++)
        strbuf_release(&bufs[i]);
    free(bufs);
    free(blobs);
    return m;
}

/* Writes the passphrase for gpg in loopback mode; a second request means the
 * first was refused (gpg then reports "Bad passphrase"). */
static gpgme_error_t gpg_passphrase_cb(void *hook, const char *uid_hint, const char *info, int prev_was_bad, int fd)
{
    (void)uid_hint;
    (void)info;
    const char *passphrase = hook;
    if (prev_was_bad)
        return gpg_error(GPG_ERR_CANCELED);
    size_t n = strlen(passphrase);
    if (gpgme_io_writen(fd, passphrase, n) != 0 || gpgme_io_writen(fd, "\n", 1) != 0)
        return gpg_error(GPG_ERR_CANCELED);
    return 0;
}

/* Moves the contents of a gpgme memory buffer into out and releases it. */
static int gpg_take_data(gpgme_data_t data, strbuf *out, char *err, size_t errcap)
{
    size_t n = 0;
    char *mem = gpgme_data_release_and_get_mem(data, &n);
    int rc = strbuf_append(out, mem != NULL ? mem : "", n);
    gpgme_free(mem);
    if (rc != 0 || out->failed) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    return 0;
}

int gpg_mech_sign(gpg_mech *m, const void *data, size_t len, const char *key_identity, const char *passphrase,
                  strbuf *out, char *err, size_t errcap)
{
    if (passphrase != NULL && strchr(passphrase, '\n') != NULL) {
        snprintf(err, errcap, "invalid passphrase: must not contain a line break");
        return -1;
    }
    gpgme_key_t key = NULL;
    gpgme_error_t e = gpgme_get_key(m->ctx, key_identity, &key, 1);
    if (key == NULL && gpgme_err_code(e) == GPG_ERR_EOF) {
        snprintf(err, errcap, "key \"%s\" not found", key_identity);
        return -1;
    }
    if (e != 0)
        return gpg_fail(e, err, errcap);
    gpgme_data_t in = NULL, sig = NULL;
    if ((e = gpgme_data_new_from_mem(&in, len > 0 ? data : "", len, 0)) != 0 || (e = gpgme_data_new(&sig)) != 0)
        goto out;
    if (passphrase != NULL && *passphrase != '\0') {
        /* Loopback: gpg-agent asks us instead of a pinentry. */
        gpgme_set_passphrase_cb(m->ctx, gpg_passphrase_cb, (void *)passphrase);
        if ((e = gpgme_set_pinentry_mode(m->ctx, GPGME_PINENTRY_MODE_LOOPBACK)) != 0)
            goto out;
    }
    gpgme_signers_clear(m->ctx);
    if ((e = gpgme_signers_add(m->ctx, key)) == 0)
        e = gpgme_op_sign(m->ctx, in, sig, GPGME_SIG_MODE_NORMAL);
    gpgme_signers_clear(m->ctx);
out:
    /* The callback's hook must not outlive this call. */
    gpgme_set_passphrase_cb(m->ctx, NULL, NULL);
    gpgme_set_pinentry_mode(m->ctx, GPGME_PINENTRY_MODE_DEFAULT);
    gpgme_key_unref(key);
    gpgme_data_release(in);
    if (e != 0) {
        gpgme_data_release(sig);
        return gpg_fail(e, err, errcap);
    }
    return gpg_take_data(sig, out, err, errcap);
}

/* Why gpgme holds a signature invalid, for the one-line error. */
static void gpg_signature_problem(gpgme_signature_t s, char *buf, size_t cap)
{
    gpgme_error_t e = s->status != 0 ? s->status : s->validity_reason;
    if (e != 0 && gpgme_strerror_r(e, buf, cap) == 0)
        return;
    snprintf(buf, cap, "%s", s->validity == GPGME_VALIDITY_NEVER ? "the key is never valid" : "wrong key usage");
}

int gpg_mech_verify(gpg_mech *m, const void *sig, size_t sig_len, strbuf *contents, char **fingerprint, char *err,
                    size_t errcap)
{
    *fingerprint = NULL;
    gpgme_data_t in = NULL, plain = NULL;
    gpgme_error_t e;
    if ((e = gpgme_data_new_from_mem(&in, sig_len > 0 ? sig : "", sig_len, 0)) != 0 ||
        (e = gpgme_data_new(&plain)) != 0 || (e = gpgme_op_verify(m->ctx, in, NULL, plain)) != 0) {
        gpgme_data_release(in);
        gpgme_data_release(plain);
        return gpg_fail(e, err, errcap);
    }
    gpgme_data_release(in);
    gpgme_verify_result_t res = gpgme_op_verify_result(m->ctx);
    size_t count = 0;
    for (gpgme_signature_t s = res != NULL ? res->signatures : NULL; s != NULL; s = s->next)
        count++;
    if (count != 1) {
        gpgme_data_release(plain);
        snprintf(err, errcap, "Unexpected GPG signature count %zu", count);
        return -1;
    }
    gpgme_signature_t s = res->signatures;
    /* sig.Summary == SigSumValid but for the key's trust, which the caller judges. */
    if (s->status != 0 || s->validity == GPGME_VALIDITY_NEVER || s->validity_reason != 0 || s->wrong_key_usage) {
        char why[256];
        gpg_signature_problem(s, why, sizeof(why));
        snprintf(err, errcap, "Invalid GPG signature by %s: %s", s->fpr != NULL ? s->fpr : "an unknown key", why);
        gpgme_data_release(plain);
        return -1;
    }
    *fingerprint = strdup(s->fpr != NULL ? s->fpr : "");
    if (*fingerprint == NULL) {
        gpgme_data_release(plain);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    if (gpg_take_data(plain, contents, err, errcap) != 0) {
        free(*fingerprint);
        *fingerprint = NULL;
        return -1;
    }
    return 0;
}
