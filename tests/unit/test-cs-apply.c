/* tests/unit/test-cs-apply.c — the containers-storage layer apply and
 * tar-split rebuild (plugins/containers-storage/layer_apply.c over
 * plugins/common/tarsplit_*.c and crc64.c):
 * archives of every entry kind (tests/fixtures/mklayertars.py) applied for
 * overlay and vfs, the trees checked, the tars rebuilt byte for byte, tampered
 * files and escaping names refused.
 *
 * Also a tool for tests/system/cs-tarsplit.sh:
 *   test-cs-apply apply TAR DIR TARSPLIT [vfs]   (prints digest, size, owners)
 *   test-cs-apply rebuild TARSPLIT DIR OUT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/plugin/context.h"
#include "core/plugin/services.h"
#include "cs.h"
#include "plugin_util.h"
#include "tap.h"
#include "tarsplit.h"

static const ferry_services *svc;
static ferry_ctx ctx;
static char tmp[256];

static int apply(const char *tar, const char *dir, const char *ts, int overlay, cs_apply_result *res)
{
    ferry_reader *r = NULL;
    char *slash = strrchr(tar, '/');
    char *dirpath = strndup(tar, (size_t)(slash - tar));
    int rc = svc->file_reader(&ctx, AT_FDCWD, dirpath, tar, "test", "tar", &r);
    free(dirpath);
    if (rc != FERRY_OK)
        return rc;
    mkdir(dir, 0755);
    int fd = open(ts, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    rc = cs_layer_apply(svc, &ctx, "containers-storage:test", r, dir, overlay ? CS_APPLY_OVERLAY_WHITEOUTS : 0u, fd,
                        res);
    close(fd);
    ferry_reader_close(r);
    return rc;
}

/* Rebuilds into out (cap bytes); the status, *len the bytes read. */
static int rebuild(const char *ts, const char *dir, unsigned char *out, size_t cap, size_t *len)
{
    ferry_reader *r = NULL;
    int rc = tarsplit_reader_open_dir(svc, &ctx, ts, dir, CS_TRANSPORT, -1, &r);
    *len = 0;
    for (int eos = 0; rc == FERRY_OK && !eos;) {
        size_t n = 0, want = cap - *len > 777 ? 777 : cap - *len; /* odd sizes cross every boundary */
        if (want == 0)
            return FERRY_ERR_TOO_LARGE;
        rc = ferry_reader_read(r, &ctx, out + *len, want, &n, &eos);
        *len += n;
    }
    ferry_reader_close(r);
    return rc;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    if (plugin_util_read_file(AT_FDCWD, path, 1 << 26, &data, len) != 0)
        return NULL;
    return (unsigned char *)data;
}

static int check_rebuild(const char *tar, const char *ts, const char *dir, const cs_apply_result *res,
                         const char *what)
{
    size_t want_len = 0, got_len = 0;
    unsigned char *want = slurp(tar, &want_len), *got = malloc(want_len + 4096);
    int rc = rebuild(ts, dir, got, want_len + 4096, &got_len);
    int ok = want && rc == FERRY_OK && got_len == want_len && memcmp(want, got, want_len) == 0;
    if (!tap_ok(ok, "%s: tar rebuilt byte for byte", what))
        tap_diag("rc %d (%s), %zu vs %zu bytes", rc, ctx.message, got_len, want_len);
    char digest[PLUGIN_UTIL_DIGEST_MAX] = "";
    ferry_hasher *h = svc->hasher_new("sha256");
    svc->hasher_update(h, want, want_len);
    svc->hasher_final(h, digest, sizeof(digest));
    svc->hasher_free(h);
    tap_ok(strcmp(digest, res->diff_digest) == 0 && res->diff_size == (int64_t)want_len,
           "%s: diff digest and size cover every byte", what);
    free(want);
    free(got);
    return ok;
}

static char *p(const char *dir, const char *rel)
{
    static char buf[4][1024];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
    return buf[i];
}

static int is(const char *path, mode_t type, mode_t perm, uid_t uid, gid_t gid, time_t mtime)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        tap_diag("%s: %s", path, strerror(errno));
        return 0;
    }
    int ok = (st.st_mode & S_IFMT) == type && (perm == (mode_t)-1 || (st.st_mode & 07777) == perm) &&
             st.st_uid == uid && st.st_gid == gid && (mtime == 0 || st.st_mtime == mtime);
    if (!ok)
        tap_diag("%s: mode %o uid %d gid %d mtime %lld", path, (unsigned)st.st_mode, (int)st.st_uid, (int)st.st_gid,
                 (long long)st.st_mtime);
    return ok;
}

static int absent(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 && errno == ENOENT;
}

static int xattr_is(const char *path, const char *name, const char *value)
{
    char buf[256];
    ssize_t n = lgetxattr(path, name, buf, sizeof(buf));
    return n == (ssize_t)strlen(value) && memcmp(buf, value, (size_t)n) == 0;
}

static int ids_are(json_t *a, const char *want)
{
    char *s = json_dumps(a, JSON_COMPACT);
    int ok = s && strcmp(s, want) == 0;
    if (!ok)
        tap_diag("ids %s, want %s", s ? s : "?", want);
    free(s);
    return ok;
}

#define MT 1600000000

static void check_base(const char *d, const char *what)
{
    struct stat a, b;
    tap_ok(is(p(d, "etc"), S_IFDIR, 0755, 0, 0, MT - 10) && is(p(d, "etc/hostname"), S_IFREG, 0644, 0, 0, MT) &&
               is(p(d, "etc/empty"), S_IFREG, 0644, 0, 0, MT) && is(p(d, "tmp"), S_IFDIR, 01777, 0, 0, MT) &&
               is(p(d, "bin/su"), S_IFREG, 04755, 0, 0, MT) && is(p(d, "bin/wall"), S_IFREG, 02755, 0, 5, MT),
           "%s: directories and files with their modes (sticky, setuid, setgid), owners, mtimes", what);
    char t1[64] = "", t2[64] = "";
    readlink(p(d, "bin/sh"), t1, sizeof(t1) - 1);
    readlink(p(d, "bin/rel"), t2, sizeof(t2) - 1);
    tap_ok(!strcmp(t1, "/bin/busybox") && !strcmp(t2, "../etc/hostname") && is(p(d, "bin/sh"), S_IFLNK, -1, 0, 0, MT),
           "%s: symbolic links", what);
    tap_ok(lstat(p(d, "bin/hard"), &a) == 0 && lstat(p(d, "bin/su"), &b) == 0 && a.st_ino == b.st_ino &&
               a.st_nlink == 2,
           "%s: hard link shares the inode", what);
    tap_ok(is(p(d, "dev/null"), S_IFCHR, 0666, 0, 0, MT) && lstat(p(d, "dev/null"), &a) == 0 &&
               a.st_rdev == makedev(1, 3) && is(p(d, "dev/loop0"), S_IFBLK, 0660, 0, 6, MT) &&
               lstat(p(d, "dev/loop0"), &b) == 0 && b.st_rdev == makedev(7, 0) &&
               is(p(d, "dev/fifo"), S_IFIFO, 0600, 1000, 1001, MT) && is(p(d, "dev"), S_IFDIR, 0755, 1000, 1001, MT),
           "%s: devices and fifo", what);
    char longp[512];
    snprintf(longp, sizeof(longp), "deep/%0*d/%s", 90, 0, "x");
    memset(longp + 5, 'd', 90);
    longp[96] = '\0';
    char file[700];
    snprintf(file, sizeof(file), "%s/%s.txt", longp, "pppppppppppppppppppppppppppppppppppppppp");
    char gfile[700];
    snprintf(gfile, sizeof(gfile), "%s/%s.txt", longp, "gggggggggggggggggggggggggggggggggggggggg");
    tap_ok(is(p(d, file), S_IFREG, 0644, 33, 33, MT) && is(p(d, gfile), S_IFREG, 0644, 0, 0, MT) &&
               is(p(d, longp), S_IFDIR, 0644, 0, 0, MT) && is(p(d, "deep/gnulink"), S_IFLNK, -1, 0, 0, MT),
           "%s: PAX and GNU long names", what);
    tap_ok(xattr_is(p(d, "xattr"), "user.comment", "hello") && lgetxattr(p(d, "xattr"), "user.empty", NULL, 0) < 0,
           "%s: PAX xattrs (empty ones dropped, as Go's reader does)", what);
    tap_ok(is(p(d, "caf\xe9"), S_IFREG, 0644, 0, 0, MT) && is(p(d, "nodir"), S_IFDIR, -1, 0, 0, 0) &&
               is(p(d, "nodir/implicit"), S_IFREG, 0644, 7, 8, MT),
           "%s: non-UTF-8 name; missing parent created", what);
}

static void test_layers(void)
{
    char tars[300], ov[300], vfs0[300], vfs[300], ts[300], ts2[300];
    snprintf(tars, sizeof(tars), "%s/tars", tmp);
    char cmd[1024];
    const char *py = getenv("PYTHON3") && *getenv("PYTHON3") ? getenv("PYTHON3") : "python3";
    const char *src = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
    snprintf(cmd, sizeof(cmd), "%s %s/tests/fixtures/mklayertars.py %s", py, src, tars);
    tap_ok(system(cmd) == 0, "fixture archives generated");

    /* overlay: two layer directories */
    cs_apply_result res, res2;
    snprintf(ov, sizeof(ov), "%s/ov-base", tmp);
    snprintf(ts, sizeof(ts), "%s/base.tar-split.gz", tmp);
    int rc = apply(p(tars, "base.tar"), ov, ts, 1, &res);
    if (!tap_ok(rc == FERRY_OK, "overlay: base layer applied"))
        tap_diag("%s", ctx.message);
    check_base(ov, "overlay");
    tap_ok(ids_are(res.uidset, "[0,7,33,1000]") && ids_are(res.gidset, "[0,5,6,8,33,1001]"), "uidset and gidset");
    check_rebuild(p(tars, "base.tar"), ts, ov, &res, "overlay base");
    cs_apply_result_release(&res);

    char ovu[300];
    snprintf(ovu, sizeof(ovu), "%s/ov-upper", tmp);
    snprintf(ts2, sizeof(ts2), "%s/upper.tar-split.gz", tmp);
    rc = apply(p(tars, "upper.tar"), ovu, ts2, 1, &res2);
    if (!tap_ok(rc == FERRY_OK, "overlay: upper layer applied"))
        tap_diag("%s", ctx.message);
    struct stat st;
    tap_ok(is(p(ovu, "gone"), S_IFCHR, 0, 0, 0, 0) && lstat(p(ovu, "gone"), &st) == 0 && st.st_rdev == makedev(0, 0) &&
               is(p(ovu, "keep/gone2"), S_IFCHR, 0, 0, 0, 0) && absent(p(ovu, ".wh.gone")),
           "overlay: whiteouts are 0/0 character devices, mode 0");
    tap_ok(xattr_is(p(ovu, "opq"), "trusted.overlay.opaque", "y") && absent(p(ovu, "opq/.wh..wh..opq")) &&
               is(p(ovu, "opq"), S_IFDIR, 0644, 0, 0, MT + 200) && is(p(ovu, "keep"), S_IFDIR, 0644, 0, 0, MT + 100),
           "overlay: opaque directory marked; directory mtimes set after their contents");
    tap_ok(ids_are(res2.uidset, "[0]"), "whiteouts' owners not recorded");
    check_rebuild(p(tars, "upper.tar"), ts2, ovu, &res2, "overlay upper");
    cs_apply_result_release(&res2);

    /* vfs: the upper layer applied on a copy of the base */
    snprintf(vfs0, sizeof(vfs0), "%s/vfs-base", tmp);
    rc = apply(p(tars, "base.tar"), vfs0, ts, 0, &res);
    tap_ok(rc == FERRY_OK, "vfs: base layer applied");
    check_base(vfs0, "vfs");
    check_rebuild(p(tars, "base.tar"), ts, vfs0, &res, "vfs base");
    cs_apply_result_release(&res);
    snprintf(vfs, sizeof(vfs), "%s/vfs-upper", tmp);
    snprintf(cmd, sizeof(cmd), "cp -a %s %s", vfs0, vfs);
    tap_ok(system(cmd) == 0, "vfs: base copied");
    rc = apply(p(tars, "upper.tar"), vfs, ts2, 0, &res2);
    if (!tap_ok(rc == FERRY_OK, "vfs: upper layer applied"))
        tap_diag("%s", ctx.message);
    tap_ok(absent(p(vfs, "gone")) && absent(p(vfs, "keep/gone2")) && absent(p(vfs, ".wh.gone")) &&
               is(p(vfs, "keep/new"), S_IFREG, 0644, 0, 0, MT),
           "vfs: whiteouts remove what they hide");
    tap_ok(absent(p(vfs, "opq/old")) && absent(p(vfs, "opq/sub")) && is(p(vfs, "opq/fresh"), S_IFREG, 0644, 0, 0, MT) &&
               is(p(vfs, "replace"), S_IFREG, 0600, 0, 0, MT) && is(p(vfs, "opq"), S_IFDIR, 0644, 0, 0, MT + 200),
           "vfs: opaque directory keeps only this layer's entries; replaced file");
    check_rebuild(p(tars, "upper.tar"), ts2, vfs, &res2, "vfs upper");
    cs_apply_result_release(&res2);

    /* tampering */
    size_t len = 0;
    unsigned char buf[1 << 16];
    FILE *f = fopen(p(ov, "etc/hostname"), "r+");
    fputs("FERRY", f);
    fclose(f);
    rc = rebuild(ts, ov, buf, sizeof(buf), &len);
    tap_ok(rc == FERRY_ERR_DIGEST_MISMATCH && strstr(ctx.message, "etc/hostname"), "same-size change: CRC64 mismatch");
    tap_diag("%s", ctx.message);
    truncate(p(ov, "etc/big"), 10);
    f = fopen(p(ov, "etc/hostname"), "w");
    fputs("ferry\n", f);
    fclose(f);
    rc = rebuild(ts, ov, buf, sizeof(buf), &len);
    tap_ok(rc == FERRY_ERR_DIGEST_MISMATCH && strstr(ctx.message, "etc/big"), "truncated file: size mismatch");
    unlink(p(ov, "etc/big"));
    symlink("/etc/passwd", p(ov, "etc/big"));
    rc = rebuild(ts, ov, buf, sizeof(buf), &len);
    tap_ok(rc != FERRY_OK && strstr(ctx.message, "etc/big"), "symlinked file not followed");

    /* names leaving the layer */
    static const char *evil[] = {"evil-dotdot.tar", "evil-abs.tar", "evil-symlink.tar", "evil-hardlink.tar"};
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        char d[300];
        snprintf(d, sizeof(d), "%s/evil%zu/root", tmp, i);
        snprintf(cmd, sizeof(cmd), "mkdir -p %s", d);
        system(cmd);
        rc = apply(p(tars, evil[i]), d, ts, 1, &res);
        tap_ok(rc == FERRY_ERR_INVALID && absent(p(d, "../escape")) && absent(p(d, "../outside")), "%s refused",
               evil[i]);
        tap_diag("%s", ctx.message);
    }
    char d[300];
    snprintf(d, sizeof(d), "%s/inroot", tmp);
    rc = apply(p(tars, "inroot.tar"), d, ts, 1, &res);
    tap_ok(rc == FERRY_OK && is(p(d, "tmp/inside"), S_IFREG, 0644, 0, 0, MT) &&
               absent("/tmp/inside") && is(p(d, "x/y/z"), S_IFDIR, 0755, 0, 0, 0) && is(p(d, "x/y/z/deep"), S_IFREG, 0644, 0, 0, MT),
           "absolute symlink resolved inside the layer; missing parents created");
    check_rebuild(p(tars, "inroot.tar"), ts, d, &res, "in-root symlink");
    cs_apply_result_release(&res);
    snprintf(d, sizeof(d), "%s/empty", tmp);
    rc = apply(p(tars, "empty.tar"), d, ts, 1, &res);
    tap_ok(rc == FERRY_OK && res.diff_size == 0, "empty stream");
    check_rebuild(p(tars, "empty.tar"), ts, d, &res, "empty stream");
    cs_apply_result_release(&res);
}

static int tool(int argc, char **argv)
{
    cs_apply_result res;
    if (argc >= 5 && !strcmp(argv[1], "apply")) {
        int rc = apply(argv[2], argv[3], argv[4], argc < 6 || strcmp(argv[5], "vfs") != 0, &res);
        if (rc != FERRY_OK) {
            fprintf(stderr, "%s\n", ctx.message);
            return 1;
        }
        char *u = json_dumps(res.uidset, JSON_COMPACT), *g = json_dumps(res.gidset, JSON_COMPACT);
        printf("%s %lld %s %s\n", res.diff_digest, (long long)res.diff_size, u, g);
        free(u);
        free(g);
        cs_apply_result_release(&res);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "rebuild")) {
        ferry_reader *r = NULL;
        int rc = tarsplit_reader_open_dir(svc, &ctx, argv[2], argv[3], CS_TRANSPORT, -1, &r);
        FILE *out = fopen(argv[4], "w");
        unsigned char buf[65536];
        for (int eos = 0; rc == FERRY_OK && !eos;) {
            size_t n = 0;
            rc = ferry_reader_read(r, &ctx, buf, sizeof(buf), &n, &eos);
            fwrite(buf, 1, n, out);
        }
        ferry_reader_close(r);
        fclose(out);
        if (rc != FERRY_OK)
            fprintf(stderr, "%s\n", ctx.message);
        return rc != FERRY_OK;
    }
    fprintf(stderr, "usage: test-cs-apply [apply TAR DIR TARSPLIT [vfs] | rebuild TARSPLIT DIR OUT]\n");
    return 2;
}

/* Go's crc64.Checksum([]byte("123456789"), crc64.MakeTable(crc64.ISO)), and
 * both implementations equal to the bytewise definition at every length and
 * alignment, fed whole or in pieces: runs without root. */
static uint64_t crc64_bytewise(uint64_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int j = 0; j < 8; j++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xD800000000000000ULL : crc >> 1;
    }
    return ~crc;
}

static void test_crc64(void)
{
    tap_ok(tarsplit_crc64(0, "123456789", 9) == 0xb90956c775a41001ULL, "crc64: Go's ISO check value");
    tap_ok(tarsplit_crc64_sliced(0, "123456789", 9) == 0xb90956c775a41001ULL, "crc64 (sliced): Go's ISO check value");
    static unsigned char buf[4096 + 16];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    int same = 1, split = 1;
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 300; n++) {
            uint64_t want = crc64_bytewise(0, buf + off, n);
            same &= tarsplit_crc64(0, buf + off, n) == want && tarsplit_crc64_sliced(0, buf + off, n) == want;
            size_t cut = n / 3;
            split &= tarsplit_crc64(tarsplit_crc64(0, buf + off, cut), buf + off + cut, n - cut) == want &&
                     tarsplit_crc64_sliced(tarsplit_crc64_sliced(0, buf + off, cut), buf + off + cut, n - cut) == want;
        }
    uint64_t want = crc64_bytewise(0, buf, 4096);
    same &= tarsplit_crc64(0, buf, 4096) == want && tarsplit_crc64_sliced(0, buf, 4096) == want;
    tap_ok(same, "crc64: both implementations equal the bytewise CRC at lengths 0-300, offsets 0-7, and 4 KiB");
    tap_ok(split, "crc64: continuing from a previous value equals one pass");
}

int main(int argc, char **argv)
{
    static ferry_session session;
    ctx_init(&ctx, &session, NULL);
    svc = services_table();
    umask(022);
    if (argc > 1)
        return tool(argc, argv);
    tap_plan(51);
    test_crc64();
    snprintf(tmp, sizeof(tmp), "%s/ferry-cs-apply-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmp) == NULL || geteuid() != 0) {
        for (int i = 0; i < 47; i++)
            tap_skip("containers-storage apply", geteuid() != 0 ? "needs root (devices, owners)" : "no temp dir");
        return tap_done();
    }
    test_layers();
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    if (tap_done() == 0)
        system(cmd);
    return tap_done();
}
