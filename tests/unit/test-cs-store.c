/* tests/unit/test-cs-store.c — the containers-storage transport's store
 * records, lock files and graph-driver directories (store.c, lock.c,
 * overlay.c, vfs.c), checked against a store skopeo writes when $SKOPEO is
 * set. Private roots under a temporary directory only. */
#include "cs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "plugin/context.h"
#include "plugin/services.h"
#include "tap.h"

static const ferry_services *svc;
static ferry_ctx ctx;
static char base[256];

static char *cat(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    snprintf(s, n, "%s/%s", a, b);
    return s;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static int is_dir_0700(const char *root, const char *rel)
{
    char *p = cat(root, rel);
    mode_t m = mode_of(p);
    free(p);
    return S_ISDIR(m) && (m & 07777) == 0700;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- layout, locks ---- */

static void test_open_layout(void)
{
    char *g = cat(base, "new/root"), *r = cat(base, "new/run");
    cs_store st;
    tap_ok(cs_store_open(svc, &ctx, g, r, "overlay", 0, &st) == FERRY_ERR_NOT_FOUND, "missing store read-only: not found");
    int rc = cs_store_open(svc, &ctx, g, r, "overlay", 1, &st);
    tap_ok(rc == FERRY_OK, "open writable creates the store (%s)", ctx.message);
    tap_ok(is_dir_0700(g, ".") && is_dir_0700(g, "overlay") && is_dir_0700(g, "overlay-layers") &&
               is_dir_0700(g, "overlay-images") && is_dir_0700(g, "overlay-containers") && is_dir_0700(g, "tmp") &&
               is_dir_0700(g, "mounts") && is_dir_0700(r, "overlay-layers") && is_dir_0700(r, "overlay-containers") &&
               is_dir_0700(r, "overlay-locks"),
           "graphroot and runroot directories, mode 0700");
    char *l1 = cat(g, "overlay-layers/layers.lock"), *l2 = cat(g, "storage.lock");
    tap_ok(S_ISREG(mode_of(l1)) && (mode_of(l1) & 0777) == 0644 && S_ISREG(mode_of(l2)), "lock files 0644");
    rc = cs_store_lock_and_load(svc, &ctx, &st);
    tap_ok(rc == FERRY_OK && json_array_size(st.layers) == 0 && json_array_size(st.images) == 0,
           "empty store loads as empty arrays");
    rc = cs_store_save_layers(svc, &ctx, &st);
    struct stat sb;
    stat(l1, &sb);
    size_t len = 0;
    char *tok1 = slurp(l1, &len);
    tap_ok(rc == FERRY_OK && len == 64, "save records a 64-byte token");
    uint32_t pid = (uint32_t)tok1[16] & 0xff;
    pid |= ((uint32_t)tok1[17] & 0xff) << 8 | ((uint32_t)tok1[18] & 0xff) << 16 | ((uint32_t)tok1[19] & 0xff) << 24;
    uint64_t nano = 0;
    for (int i = 7; i >= 0; i--)
        nano = nano << 8 | ((unsigned char)tok1[i]);
    tap_ok(pid == (uint32_t)getpid() && nano / 1000000000u >= (uint64_t)time(NULL) - 5, "token: UnixNano, pid (LE)");
    cs_store_save_layers(svc, &ctx, &st);
    char *tok2 = slurp(l1, &len);
    tap_ok(len == 64 && memcmp(tok1, tok2, 64) != 0 && tok2[8] != tok1[8], "a second write changes the token and counter");
    char *lj = cat(g, "overlay-layers/layers.json");
    char *text = slurp(lj, &len);
    tap_ok(text && strcmp(text, "[]") == 0 && (mode_of(lj) & 0777) == 0600, "layers.json is \"[]\", mode 0600");
    cs_store_unlock(&st);
    tap_ok(cs_store_save_images(svc, &ctx, &st) != FERRY_OK, "saving without the lock is refused");
    cs_store_close(&st);
    free(text);
    free(lj);
    free(tok1);
    free(tok2);
    free(l1);
    free(l2);
    free(g);
    free(r);
}

/* A child's view: is the file locked by someone else (F_GETLK)? */
static int locked_elsewhere(const char *path, short type)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDWR);
        struct flock fl = {.l_type = type, .l_whence = SEEK_SET};
        char c = fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? 'y' : 'n';
        if (write(fds[1], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    char c = '?';
    if (read(fds[0], &c, 1) != 1)
        c = '?';
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return c == 'y';
}

static void test_lock_processes(void)
{
    char *path = cat(base, "t.lock");
    cs_lock a, b;
    cs_lock_acquire(&a, path, 1, 0);
    tap_ok(locked_elsewhere(path, F_RDLCK) == 1, "an exclusive lock is seen by another process");
    int fds[2];
    if (pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        cs_lock c;
        double t0 = now();
        int ok = cs_lock_acquire(&c, path, 0, 0) == 0;
        double waited = now() - t0;
        cs_lock_release(&c);
        char msg = ok && waited > 0.25 ? 'w' : ok ? 'i' : 'e';
        if (write(fds[1], &msg, 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    usleep(400000);
    cs_lock_release(&a);
    char msg = '?';
    if (read(fds[0], &msg, 1) != 1)
        msg = '?';
    close(fds[0]);
    waitpid(pid, NULL, 0);
    tap_ok(msg == 'w', "a reader in another process waits until the writer releases (%c)", msg);
    tap_ok(locked_elsewhere(path, F_RDLCK) == 0, "released: nobody holds it");

    /* Shared locks do not exclude each other across processes. */
    cs_lock_acquire(&a, path, 0, 0);
    tap_ok(locked_elsewhere(path, F_RDLCK) == 0 && locked_elsewhere(path, F_WRLCK) == 1,
           "a shared lock admits readers, not writers");
    /* Two holders in this process: releasing one keeps the other's lock. */
    cs_lock_acquire(&b, path, 0, 0);
    cs_lock_release(&a);
    tap_ok(locked_elsewhere(path, F_WRLCK) == 1, "in-process second holder keeps the fcntl lock");
    cs_lock_release(&b);
    tap_ok(locked_elsewhere(path, F_WRLCK) == 0, "the last holder's release drops it");
    free(path);
}

/* ---- records ---- */

static const char *unknown_layers =
    "[{\"id\":\"1111111111111111111111111111111111111111111111111111111111111111\",\"zzz-future\":{\"b\":[1,2.5,"
    "\"\\u003c\\u0026\\u003e\",null,true],\"a\":\"\\u2028\"},\"created\":\"2024-01-02T03:04:05.123456789Z\","
    "\"diff-digest\":\"sha256:aa\",\"diff-size\":10240,\"uidset\":[0,1000]},{\"id\":\"22222222222222222222222222222222"
    "22222222222222222222222222222222\",\"parent\":\"1111111111111111111111111111111111111111111111111111111111111111\","
    "\"diff-digest\":\"sha256:bb\",\"flags\":{\"x\":1}}]";

static void test_roundtrip_unknown(void)
{
    char *g = cat(base, "rt/root"), *r = cat(base, "rt/run");
    cs_store st;
    cs_store_open(svc, &ctx, g, r, "vfs", 1, &st);
    char *lj = cat(g, "vfs-layers/layers.json");
    spit(lj, unknown_layers);
    int rc = cs_store_lock_and_load(svc, &ctx, &st);
    tap_ok(rc == FERRY_OK && json_array_size(st.layers) == 2, "hand-written layers.json loads");
    json_t *l2 = cs_store_layer_by_diff(&st, "1111111111111111111111111111111111111111111111111111111111111111",
                                        "sha256:bb");
    tap_ok(l2 && l2 == cs_store_layer(&st, "2222222222222222222222222222222222222222222222222222222222222222") &&
               cs_store_layer_by_diff(&st, NULL, "sha256:bb") == NULL &&
               cs_store_layer_by_diff(&st, NULL, "sha256:aa") == json_array_get(st.layers, 0),
           "layer by diff digest and parent");
    cs_store_save_layers(svc, &ctx, &st);
    cs_store_close(&st);
    char *text = slurp(lj, NULL);
    tap_ok(text && strcmp(text, unknown_layers) == 0, "unknown members survive byte for byte");
    if (text && strcmp(text, unknown_layers) != 0)
        tap_diag("got %s", text);
    free(text);
    free(lj);
    free(g);
    free(r);
}

static void test_incomplete(const char *driver)
{
    char *g = cat(base, "inc/root"), *r = cat(base, "inc/run");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s/inc", base);
    run(cmd);
    cs_store st;
    cs_store_open(svc, &ctx, g, r, driver, 1, &st);
    const cs_driver_ops *ops = cs_driver_find(driver);
    const char *id1 = "3333333333333333333333333333333333333333333333333333333333333333";
    const char *id2 = "4444444444444444444444444444444444444444444444444444444444444444";
    char *d1 = NULL, *d2 = NULL;
    ops->create(svc, &ctx, &st, id1, NULL, &d1);
    ops->create(svc, &ctx, &st, id2, id1, &d2);
    char json[600];
    snprintf(json, sizeof json,
             "[{\"id\":\"%s\",\"diff-digest\":\"sha256:aa\"},{\"id\":\"%s\",\"parent\":\"%s\","
             "\"flags\":{\"incomplete\":true}}]",
             id1, id2, id1);
    char *lj = cat(g, driver[0] == 'o' ? "overlay-layers/layers.json" : "vfs-layers/layers.json");
    spit(lj, json);
    snprintf(cmd, sizeof cmd, "%s/%s-layers/%s.tar-split.gz", g, driver, id2);
    spit(cmd, "x");
    char ts[600];
    snprintf(ts, sizeof ts, "%s", cmd);
    char link[64] = "";
    char *lf = cat(d2, "../link");
    char *lt = slurp(lf, NULL);
    if (lt)
        snprintf(link, sizeof link, "%s/overlay/l/%s", g, lt);
    free(lt);
    free(lf);
    int rc = cs_store_lock_and_load(svc, &ctx, &st);
    tap_ok(rc == FERRY_OK && json_array_size(st.layers) == 1 && cs_store_layer(&st, id1) && !cs_store_layer(&st, id2),
           "%s: the incomplete layer's record is dropped (%s)", driver, ctx.message);
    cs_store_unlock(&st);
    char *text = slurp(lj, NULL);
    struct stat sb;
    tap_ok(text && !strstr(text, id2) && stat(ts, &sb) != 0 && stat(d2, &sb) != 0 && stat(d1, &sb) == 0 &&
               (!*link || lstat(link, &sb) != 0),
           "%s: its directories, l/ link and tar-split are removed and layers.json saved", driver);
    cs_store_close(&st);
    free(text);
    free(lj);
    free(d1);
    free(d2);
    free(g);
    free(r);
}

/* ---- drivers ---- */

static int link_ok(const char *s)
{
    if (!s || strlen(s) != 26)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7')))
            return 0;
    return 1;
}

static void test_overlay(const char *skopeo_root)
{
    char *g = cat(base, "ov/root"), *r = cat(base, "ov/run");
    cs_store st;
    cs_store_open(svc, &ctx, g, r, "overlay", 1, &st);
    const cs_driver_ops *ops = cs_driver_find("overlay");
    tap_ok(ops && ops->overlay_whiteouts && cs_driver_find("vfs") && !cs_driver_find("btrfs"), "driver table");
    const char *ids[3] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                          "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                          "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"};
    char *diff[3] = {0}, *links[3] = {0}, *lowers[3] = {0};
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        ok &= ops->create(svc, &ctx, &st, ids[i], i ? ids[i - 1] : NULL, &diff[i]) == FERRY_OK;
        char rel[200];
        snprintf(rel, sizeof rel, "overlay/%s/link", ids[i]);
        char *p = cat(g, rel);
        links[i] = slurp(p, NULL);
        free(p);
        snprintf(rel, sizeof rel, "overlay/%s/lower", ids[i]);
        p = cat(g, rel);
        lowers[i] = slurp(p, NULL);
        free(p);
    }
    tap_ok(ok && link_ok(links[0]) && link_ok(links[1]) && link_ok(links[2]), "three layers, 26-char base32 links");
    char want[200];
    snprintf(want, sizeof want, "l/%s:l/%s", links[1], links[0]);
    tap_ok(!lowers[0] && lowers[1] && strncmp(lowers[1], "l/", 2) == 0 && strcmp(lowers[1] + 2, links[0]) == 0 &&
               lowers[2] && strcmp(lowers[2], want) == 0,
           "lower: parent's link first, then the parent's lower");
    char lpath[300], target[200] = "", want_t[200];
    snprintf(lpath, sizeof lpath, "%s/overlay/l/%s", g, links[1]);
    ssize_t n = readlink(lpath, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    snprintf(want_t, sizeof want_t, "../%s/diff", ids[1]);
    tap_ok(strcmp(target, want_t) == 0, "l/LINK -> ../ID/diff");
    tap_ok(diff[2] && strstr(diff[2], "/overlay/cccc") && (mode_of(diff[0]) & 07777) == 0555 &&
               (mode_of(diff[2]) & 07777) == 0555,
           "diff dirs 0555");
    /* Compare every entry's type and mode with what skopeo made. */
    if (skopeo_root) {
        /* The skopeo base layer's names differ from ours: compare by role. */
        char sh[2000];
        snprintf(sh, sizeof sh,
                 "set -e; S=%s/overlay; O=%s/overlay; sb=''; sc='';"
                 "for d in $S/*/; do d=${d%%/}; [ \"$(basename $d)\" = l ] && continue;"
                 " if [ -e $d/lower ]; then sc=$d; else sb=$d; fi; done;"
                 "m() { stat -c '%%A %%s' \"$1\" | sed 's/ [0-9]*$//'; };"
                 "for f in '' /diff /work /merged /empty /link; do [ \"$(m $sb$f)\" = \"$(m $O/%s$f)\" ]; done;"
                 "for f in '' /diff /work /merged /link /lower; do [ \"$(m $sc$f)\" = \"$(m $O/%s$f)\" ]; done;"
                 "[ ! -e $sc/empty ] && [ ! -e $O/%s/empty ];"
                 "[ \"$(m $S/l)\" = \"$(m $O/l)\" ] && [ \"$(m $S/.has-mount-program)\" = \"$(m $O/.has-mount-program)\" ];"
                 "cmp -s $S/.has-mount-program $O/.has-mount-program;"
                 "[ $(stat -c %%s $sb/link) = $(stat -c %%s $O/%s/link) ];"
                 "[ \"$(sed 's/[A-Z2-7]\\{26\\}/X/g' $sc/lower)\" = \"$(sed 's/[A-Z2-7]\\{26\\}/X/g' $O/%s/lower)\" ]",
                 skopeo_root, g, ids[0], ids[1], ids[1], ids[0], ids[1]);
        if (!tap_ok(run(sh) == 0, "overlay: modes, link/lower shapes, .has-mount-program as skopeo's"))
            tap_diag("%s", sh);
    } else {
        tap_skip("overlay: modes as skopeo's", "SKOPEO not set");
    }
    chmod(diff[0], 0751);
    char *d3 = NULL;
    const char *id3 = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
    ops->create(svc, &ctx, &st, id3, ids[0], &d3);
    tap_ok(d3 && (mode_of(d3) & 07777) == 0751, "a child's diff takes the parent's diff mode");
    tap_ok(ops->remove(svc, &ctx, &st, ids[1]) == FERRY_OK && mode_of(lpath) == 0 && mode_of(diff[1]) == 0 &&
               ops->remove(svc, &ctx, &st, ids[1]) == FERRY_OK,
           "remove: the directory and its l/ link; again: fine");
    char *dp = ops->diff_path(&st, ids[0]);
    tap_ok(dp && strcmp(dp, diff[0]) == 0, "diff_path");
    free(dp);
    cs_store_close(&st);
    for (int i = 0; i < 3; i++) {
        free(diff[i]);
        free(links[i]);
        free(lowers[i]);
    }
    free(d3);
    free(g);
    free(r);
}

static void test_vfs(void)
{
    char *g = cat(base, "vf/root"), *r = cat(base, "vf/run");
    cs_store st;
    cs_store_open(svc, &ctx, g, r, "vfs", 1, &st);
    const cs_driver_ops *ops = cs_driver_find("vfs");
    const char *id1 = "5555555555555555555555555555555555555555555555555555555555555555";
    const char *id2 = "6666666666666666666666666666666666666666666666666666666666666666";
    char *d1 = NULL, *d2 = NULL;
    int rc = ops->create(svc, &ctx, &st, id1, NULL, &d1);
    tap_ok(rc == FERRY_OK && (mode_of(d1) & 07777) == 0555 && !ops->overlay_whiteouts, "vfs base: empty, 0555");
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "set -e; cd %s; mkdir -m 0750 sub; echo hello > sub/f; chmod 4755 sub/f; ln sub/f hl; ln -s sub/f sym;"
             " mkfifo fifo; mknod null c 1 3; mknod wh c 0 0; chown 1000:1001 sub/f; touch -h -d @1000000000 sym;"
             " touch -d @1200000000 sub/f sub; setfattr -n user.ferry -v yes sub/f 2>/dev/null ||"
             " python3 -c 'import os;os.setxattr(\"sub/f\",\"user.ferry\",b\"yes\")';"
             " setfattr -n trusted.overlay.opaque -v y sub 2>/dev/null || python3 -c"
             " 'import os;os.setxattr(\"sub\",\"trusted.overlay.opaque\",b\"y\")'; chmod 0711 .",
             d1);
    tap_ok(run(cmd) == 0, "parent tree populated");
    rc = ops->create(svc, &ctx, &st, id2, id1, &d2);
    tap_ok(rc == FERRY_OK, "vfs child created (%s)", ctx.message);
    struct stat a, b;
    char *p1 = cat(d1, "sub/f"), *p2 = cat(d2, "sub/f"), *h2 = cat(d2, "hl");
    stat(p1, &a);
    stat(p2, &b);
    tap_ok(b.st_mode == a.st_mode && b.st_uid == 1000 && b.st_gid == 1001 && b.st_mtime == 1200000000 &&
               b.st_nlink == 2 && (mode_of(d2) & 07777) == 0711,
           "file mode (setuid), owner, mtime, hard link count, root mode kept");
    struct stat h;
    stat(h2, &h);
    char xv[16] = "";
    ssize_t xn = getxattr(p2, "user.ferry", xv, sizeof xv - 1);
    char *s2 = cat(d2, "sub");
    char ov[4] = "";
    ssize_t on = getxattr(s2, "trusted.overlay.opaque", ov, sizeof ov - 1);
    tap_ok(h.st_ino == b.st_ino && xn == 3 && memcmp(xv, "yes", 3) == 0 && on == 1 &&
               (mode_of(s2) & 07777) == 0750 && (stat(s2, &a), a.st_mtime == 1200000000),
           "hard link within the tree, xattrs, directory mode and time");
    char *sy = cat(d2, "sym"), *ff = cat(d2, "fifo"), *nu = cat(d2, "null");
    char t[64] = "";
    ssize_t tn = readlink(sy, t, sizeof t - 1);
    t[tn > 0 ? tn : 0] = '\0';
    lstat(sy, &a);
    stat(nu, &b);
    tap_ok(strcmp(t, "sub/f") == 0 && a.st_mtime == 1000000000 && S_ISFIFO(mode_of(ff)) && S_ISCHR(b.st_mode) &&
               b.st_rdev == makedev(1, 3),
           "symlink (with its time), fifo, device");
    snprintf(cmd, sizeof cmd, "diff -r --no-dereference %s %s >/dev/null 2>&1 || "
             "[ \"$(cd %s && find . -printf '%%M %%U %%G %%s %%T@ %%P %%l\\n' | sort)\" = "
             "\"$(cd %s && find . -printf '%%M %%U %%G %%s %%T@ %%P %%l\\n' | sort)\" ]", d1, d2, d1, d2);
    tap_ok(run(cmd) == 0, "the whole tree matches the parent's");
    tap_ok(ops->remove(svc, &ctx, &st, id2) == FERRY_OK && mode_of(d2) == 0, "vfs remove");
    cs_store_close(&st);
    free(p1);
    free(p2);
    free(h2);
    free(s2);
    free(sy);
    free(ff);
    free(nu);
    free(d1);
    free(d2);
    free(g);
    free(r);
}

/* ---- a store skopeo wrote ---- */

static void test_skopeo_store(const char *skopeo, const char *driver, const char *root)
{
    char *g = cat(root, "root"), *r = cat(root, "run");
    cs_store st;
    int rc = cs_store_open(svc, &ctx, g, r, driver, 0, &st);
    if (rc == FERRY_OK)
        rc = cs_store_lock_and_load(svc, &ctx, &st);
    tap_ok(rc == FERRY_OK && json_array_size(st.layers) == 3 && json_array_size(st.images) == 2,
           "%s: skopeo's store loads read-only (%s)", driver, ctx.message);
    cs_store_unlock(&st);
    json_t *img = cs_store_image_by_name(&st, "example.com/foo:v1");
    const char *id = json_string_value(json_object_get(img, "id"));
    char pfx[13] = "";
    if (id)
        memcpy(pfx, id, 12);
    int amb = -1;
    tap_ok(img && cs_store_image(&st, id) == img && cs_store_image_by_prefix(&st, pfx, &amb) == img && !amb &&
               !cs_store_image_by_name(&st, "example.com/foo:v9") && !cs_store_image(&st, pfx),
           "%s: image by name, full ID, unique prefix", driver);
    /* An ambiguous prefix: a second record sharing the first 12 digits. */
    json_t *twin = json_deep_copy(img);
    char tid[65];
    snprintf(tid, sizeof tid, "%.12s%s", id ? id : "", "0000000000000000000000000000000000000000000000000000");
    json_object_set_new(twin, "id", json_string(tid));
    json_array_append_new(st.images, twin);
    tap_ok(!cs_store_image_by_prefix(&st, pfx, &amb) && amb == 1, "%s: ambiguous prefix", driver);
    json_t *top = cs_store_layer(&st, json_string_value(json_object_get(img, "layer")));
    const char *parent = json_string_value(json_object_get(top, "parent"));
    const char *diff = json_string_value(json_object_get(top, "diff-digest"));
    json_t *bottom = cs_store_layer(&st, parent);
    tap_ok(top && bottom && cs_store_layer_by_diff(&st, parent, diff) == top && !cs_store_layer_by_diff(&st, NULL, diff) &&
               cs_store_layer_by_diff(&st, NULL, json_string_value(json_object_get(bottom, "diff-digest"))) == bottom,
           "%s: layer by diff digest and parent", driver);
    /* Every big-data key names a file that skopeo wrote. */
    size_t i;
    json_t *k;
    int all = 1, n = 0;
    json_array_foreach(json_object_get(img, "big-data-names"), i, k) {
        char *p = cs_store_big_data_path(&st, id, json_string_value(k));
        struct stat sb;
        all &= p && stat(p, &sb) == 0 && sb.st_size == json_integer_value(json_object_get(
                                                           json_object_get(img, "big-data-sizes"), json_string_value(k)));
        free(p);
        n++;
    }
    char *mp = cs_store_big_data_path(&st, id, "manifest");
    tap_ok(all && n == 4 && mp && strcmp(strrchr(mp, '/'), "/manifest") == 0, "%s: big-data file names as skopeo's", driver);
    free(mp);
    cs_store_close(&st);

    /* Load and save a copy writable: both files come back byte for byte. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "awk '$2 ~ \"^%s/copy/\" {print $2}' /proc/mounts | xargs -r umount;"
             " rm -rf %s/copy && cp -a %s %s/copy", base, base, root, base);
    run(cmd);
    char *cr = cat(base, "copy"), *cg = cat(cr, "root"), *crr = cat(cr, "run");
    rc = cs_store_open(svc, &ctx, cg, crr, driver, 1, &st);
    if (rc == FERRY_OK)
        rc = cs_store_lock_and_load(svc, &ctx, &st);
    if (rc == FERRY_OK)
        rc = cs_store_save_layers(svc, &ctx, &st);
    if (rc == FERRY_OK)
        rc = cs_store_save_images(svc, &ctx, &st);
    cs_store_close(&st);
    snprintf(cmd, sizeof cmd,
             "cmp -s %s/%s-layers/layers.json %s/%s-layers/layers.json && "
             "cmp -s %s/%s-images/images.json %s/%s-images/images.json && "
             "[ $(stat -c %%a %s/%s-images/images.json) = 600 ] && [ $(stat -c %%s %s/%s-images/images.lock) = 64 ]",
             g, driver, cg, driver, g, driver, cg, driver, cg, driver, cg, driver);
    tap_ok(rc == FERRY_OK && run(cmd) == 0, "%s: layers.json and images.json rewritten byte-identical", driver);
    /* skopeo (c/storage) still reads the rewritten store. */
    snprintf(cmd, sizeof cmd, "%s inspect --raw 'containers-storage:[%s@%s+%s]example.com/foo:v1' >/dev/null 2>&1",
             skopeo, driver, cg, crr);
    tap_ok(run(cmd) == 0, "%s: skopeo reads the rewritten store", driver);
    free(cr);
    free(cg);
    free(crr);
    free(g);
    free(r);
}

static char *make_skopeo_store(const char *skopeo, const char *driver)
{
    const char *src = getenv("SRCDIR");
    const char *py = getenv("PYTHON3");
    char *root = cat(base, driver);
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "set -e; %s %s/tests/fixtures/mkimage.py --layout oci --manifest oci --layers 2 --tag v1 %s/lay-%s >/dev/null;"
             " %s %s/tests/fixtures/mkimage.py --layout oci --manifest oci --layers 1 --seed 7 --tag v2 %s/lay2-%s >/dev/null;"
             " %s copy -q oci:%s/lay-%s:v1 'containers-storage:[%s@%s/root+%s/run]example.com/foo:v1' >/dev/null 2>&1;"
             " %s copy -q oci:%s/lay2-%s:v2 'containers-storage:[%s@%s/root+%s/run]example.com/bar:v2' >/dev/null 2>&1",
             py && *py ? py : "python3", src && *src ? src : ".", base, driver, py && *py ? py : "python3",
             src && *src ? src : ".", base, driver, skopeo, base, driver, driver, root, root, skopeo, base, driver,
             driver, root, root);
    if (run(cmd) != 0) {
        tap_diag("could not make a %s store with skopeo", driver);
        free(root);
        return NULL;
    }
    return root;
}

int main(void)
{
    tap_plan(54);
    static ferry_session session;
    ctx_init(&ctx, &session, NULL);
    svc = services_table();
    snprintf(base, sizeof base, "/tmp/ferry-cs-store-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    const char *skopeo = getenv("SKOPEO");
    if (skopeo && !*skopeo)
        skopeo = NULL;

    test_open_layout();
    test_lock_processes();
    test_roundtrip_unknown();
    test_incomplete("overlay");
    test_incomplete("vfs");
    char *ov = skopeo ? make_skopeo_store(skopeo, "overlay") : NULL;
    char *vf = skopeo ? make_skopeo_store(skopeo, "vfs") : NULL;
    char *ovroot = ov ? cat(ov, "root") : NULL;
    test_overlay(ovroot);
    test_vfs();
    const char *drivers[2] = {"overlay", "vfs"};
    char *roots[2] = {ov, vf};
    for (int i = 0; i < 2; i++) {
        if (roots[i]) {
            test_skopeo_store(skopeo, drivers[i], roots[i]);
        } else {
            for (int j = 0; j < 7; j++)
                tap_skip("skopeo-written store", skopeo ? "skopeo failed" : "SKOPEO not set");
        }
    }
    free(ovroot);
    free(ov);
    free(vf);
    /* c/storage leaves the overlay home bind-mounted on itself. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "awk '$2 ~ \"^%s/\" {print $2}' /proc/mounts | sort -r | xargs -r umount; "
             "[ -n \"$FERRY_CS_KEEP\" ] || rm -rf %s", base, base);
    run(cmd);
    return tap_done();
}
