/* tests/unit/test-cs-config.c — storage.conf lookup and reading
 * (plugins/containers-storage/config.c): the files chosen for root and for
 * other users through the environment, the defaults, $STORAGE_DRIVER, path
 * expansion, and the messages for bad files; and the graph driver options
 * (driver_options.c) with containers/storage's keys and refusals. Every file lives in a
 * temporary directory; the environment points there. */
#include "cs.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char cs_dir[64];

/* Writes text to cs_dir/rel (creating one directory level); returns the path. */
static const char *cs_put(const char *rel, const char *text)
{
    static char path[256];
    char sub[256];
    snprintf(path, sizeof path, "%s/%s", cs_dir, rel);
    snprintf(sub, sizeof sub, "%s", path);
    for (char *slash = sub + strlen(cs_dir) + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
        *slash = '\0';
        mkdir(sub, 0755);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static void cs_clear_env(void)
{
    static const char *const vars[] = {"CONTAINERS_STORAGE_CONF", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                                       "XDG_RUNTIME_DIR", "STORAGE_DRIVER", "TMPDIR", "_CONTAINERS_ROOTLESS_UID"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("HOME", cs_dir, 1);
}

/* cs_dir + suffix, for expectations. */
static const char *cs_at(const char *suffix)
{
    static char buf[4][256];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 256, "%s%s", cs_dir, suffix);
    return b;
}

/* Loads as uid and compares "driver graphroot runroot" and the source. */
static void cs_expect(unsigned uid, const char *what, const char *want, const char *want_source)
{
    cs_config c;
    char err[512] = "", got[1024];
    int status = cs_config_load_for_uid(&c, uid, err, sizeof err);
    if (status == FERRY_OK)
        snprintf(got, sizeof got, "%s %s %s", c.driver, c.graphroot, c.runroot);
    else
        snprintf(got, sizeof got, "error %d: %s", status, err);
    tap_is_str(got, want, what);
    if (want_source != (const char *)1)
        tap_is_str(status == FERRY_OK ? c.source_path : "(failed)", want_source, "  ... read from the expected file");
    if (status == FERRY_OK)
        cs_config_free(&c);
}

static void cs_test_root(void)
{
    cs_clear_env();
    struct stat st;
    if (stat("/etc/containers/storage.conf", &st) == 0 || stat("/usr/share/containers/storage.conf", &st) == 0) {
        tap_skip("root defaults", "this machine has a system storage.conf");
        tap_skip("root defaults source", "this machine has a system storage.conf");
    } else {
        cs_expect(0, "root, no storage.conf: defaults, overlay",
                  "overlay /var/lib/containers/storage /run/containers/storage", NULL);
    }

    const char *p = cs_put("env/storage.conf", "[storage]\ndriver = \"vfs\"\ngraphroot = \"${HOME}/g/../graph\"\n"
                                               "runroot = \"/run/x-$UID\"\n\n[storage.options]\n"
                                               "additionalimagestores = [ \"/ro/one\", \"/ro/two\" ]\n"
                                               "[storage.options.overlay]\nmount_program = \"/usr/bin/fuse-overlayfs\"\n");
    char conf[256];
    snprintf(conf, sizeof conf, "%s", p);
    setenv("CONTAINERS_STORAGE_CONF", conf, 1);

    cs_config c;
    char err[256];
    tap_ok(cs_config_load_for_uid(&c, 0, err, sizeof err) == FERRY_OK && strcmp(c.graphroot, cs_at("/graph")) == 0 &&
               strcmp(c.runroot, "/run/x-0") == 0 && c.n_additional_image_stores == 2 &&
               strcmp(c.additional_image_stores[1], "/ro/two") == 0 && c.mount_program != NULL &&
               strcmp(c.mount_program, "/usr/bin/fuse-overlayfs") == 0 && strcmp(c.source_path, conf) == 0,
           "root, $CONTAINERS_STORAGE_CONF: graphroot, runroot ($UID), image stores, mount_program, source");
    cs_config_free(&c);

    setenv("STORAGE_DRIVER", "overlay2", 1);
    cs_put("env/storage.conf", "[storage]\ndriver = \"vfs\"\n");
    cs_expect(0, "root: $STORAGE_DRIVER overrides, overlay2 is overlay, defaults fill the rest",
              "overlay /var/lib/containers/storage /run/containers/storage", conf);
    unsetenv("STORAGE_DRIVER");

    cs_put("env/storage.conf", "[storage.options]\nmount_program = \"/bin/mp\"\n");
    tap_ok(cs_config_load_for_uid(&c, 0, err, sizeof err) == FERRY_OK && strcmp(c.driver, "overlay") == 0 &&
               strcmp(c.mount_program, "/bin/mp") == 0,
           "root: no driver in the file is overlay; [storage.options] mount_program");
    cs_config_free(&c);

    setenv("CONTAINERS_STORAGE_CONF", cs_at("/absent.conf"), 1);
    char want[512];
    snprintf(want, sizeof want, "error %d: %s/absent.conf (CONTAINERS_STORAGE_CONF): No such file or directory",
             FERRY_ERR_INVALID, cs_dir);
    cs_expect(0, "a missing $CONTAINERS_STORAGE_CONF is an error", want, (void *)1);
    unsetenv("CONTAINERS_STORAGE_CONF");

    setenv("XDG_CONFIG_HOME", cs_at("/xdg"), 1);
    const char *xdg = cs_put("xdg/containers/storage.conf", "[storage]\ndriver = \"vfs\"\nrunroot = \"/r\"\n");
    snprintf(conf, sizeof conf, "%s", xdg);
    cs_expect(0, "root: $XDG_CONFIG_HOME/containers/storage.conf comes before /etc",
              "vfs /var/lib/containers/storage /r", conf);
}

static void cs_test_rootless(void)
{
    cs_clear_env();
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    char want[768];
    snprintf(want, sizeof want, "vfs %s/.local/share/containers/storage /run/user/1000/containers", cs_dir);
    cs_expect(1000, "rootless, no files: vfs, ~/.local/share, $XDG_RUNTIME_DIR/containers", want, NULL);

    setenv("XDG_DATA_HOME", "/data", 1);
    unsetenv("XDG_RUNTIME_DIR");
    setenv("TMPDIR", cs_at("/tmp"), 1);
    snprintf(want, sizeof want, "vfs /data/containers/storage %s/tmp/containers-user-1000/containers", cs_dir);
    cs_expect(1000, "rootless: $XDG_DATA_HOME; no runtime dir: $TMPDIR/containers-user-UID", want, NULL);
    unsetenv("XDG_DATA_HOME");

    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    const char *home_conf = cs_put(".config/containers/storage.conf", "[storage]\ndriver = \"overlay\"\n"
                                                                      "rootless_storage_path = \"/s/$UID\"\n");
    char conf[256], home_copy[256];
    snprintf(conf, sizeof conf, "%s", home_conf);
    snprintf(home_copy, sizeof home_copy, "%s", home_conf);
    cs_expect(1000, "rootless: ~/.config/containers/storage.conf, graph root from rootless_storage_path",
              "overlay /s/1000 /run/user/1000/containers", conf);

    setenv("XDG_CONFIG_HOME", cs_at("/cfg"), 1);
    const char *xdg_conf = cs_put("cfg/containers/storage.conf", "[storage]\ngraphroot = \"/g\"\n");
    snprintf(conf, sizeof conf, "%s", xdg_conf);
    cs_expect(1000, "rootless: $XDG_CONFIG_HOME's file first; no driver is overlay",
              "overlay /g /run/user/1000/containers", conf);

    setenv("STORAGE_DRIVER", "vfs", 1);
    cs_expect(1000, "rootless: $STORAGE_DRIVER", "vfs /g /run/user/1000/containers", conf);
    unsetenv("STORAGE_DRIVER");

    /* An explicit file is the user's file too, with rootless defaults. */
    setenv("CONTAINERS_STORAGE_CONF", home_copy, 1);
    cs_expect(1000, "rootless: $CONTAINERS_STORAGE_CONF before $XDG_CONFIG_HOME",
              "overlay /s/1000 /run/user/1000/containers", (void *)1);
    unsetenv("CONTAINERS_STORAGE_CONF");

    setenv("_CONTAINERS_ROOTLESS_UID", "4242", 1);
    cs_config c;
    char err[256];
    tap_ok(cs_config_load(&c, err, sizeof err) == FERRY_OK && strcmp(c.graphroot, "/g") == 0 &&
               strcmp(c.runroot, "/run/user/1000/containers") == 0,
           "cs_config_load takes the user from $_CONTAINERS_ROOTLESS_UID");
    cs_config_free(&c);
}

static void cs_test_errors(void)
{
    cs_clear_env();
    struct {
        const char *text, *why;
    } bad[] = {
        {"[storage]\ndriver = \"vfs\"\ndriver = \"overlay\"\n", ":3: duplicate key \"driver\""},
        {"[storage]\ngraphroot = \"/g\n", ":2: strings cannot contain newlines"},
        {"[storage]\ndriver = 1\n", ": [storage] driver must be a string"},
        {"storage = 'x'\n", ": [storage] must be a table"},
        {"[storage.options]\nadditionalimagestores = \"/one\"\n",
         ": [storage.options] additionalimagestores must be an array of strings"},
        {"[storage.options]\nadditionalimagestores = [1]\n",
         ": [storage.options] additionalimagestores must be an array of strings"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256], want[512];
        snprintf(path, sizeof path, "%s", cs_put("bad.conf", bad[i].text));
        setenv("CONTAINERS_STORAGE_CONF", path, 1);
        snprintf(want, sizeof want, "error %d: %s%s", FERRY_ERR_INVALID, path, bad[i].why);
        cs_expect(i % 2 ? 1000 : 0, bad[i].why, want, (void *)1);
    }
}

/* Parses the options for driver; "ok STORES chown" or "error STATUS: message". */
static void cs_expect_options(const char *driver, const char *const *opts, size_t n, const char *want,
                              const char *what)
{
    cs_driver_options o;
    char err[512] = "", got[1024];
    int status = cs_driver_options_parse(driver, opts, n, &o, err, sizeof err);
    if (status == FERRY_OK) {
        size_t len = (size_t)snprintf(got, sizeof got, "ok");
        for (size_t i = 0; i < o.n_image_stores && len < sizeof got; i++)
            len += (size_t)snprintf(got + len, sizeof got - len, " %s", o.image_stores[i]);
        snprintf(got + len, sizeof got - len, " chown=%d", o.ignore_chown_errors);
    } else {
        snprintf(got, sizeof got, "error %d: %s", status, err);
    }
    tap_is_str(got, want, what);
    cs_driver_options_free(&o);
}

static void cs_test_driver_options(void)
{
    char store[128], file[128], opt1[200], opt2[200], opt3[200], want[512];
    snprintf(store, sizeof store, "%s/ro", cs_dir);
    mkdir(store, 0755);
    snprintf(file, sizeof file, "%s", cs_put("not-a-dir", "x"));
    snprintf(opt1, sizeof opt1, "overlay.imagestore=%s//./", store);
    snprintf(opt2, sizeof opt2, "Overlay2.AdditionalImageStore=%s", store);
    const char *const many[] = {opt1, "overlay.mountopt=nodev,metacopy=on", "overlay.size=10G", ".inodes=100",
                                "skip_mount_home=true", "overlay.ignore_chown_errors=True", opt2,
                                "overlay.mount_program=/bin/sh", "override_kernel_check=1"};
    snprintf(want, sizeof want, "ok %s %s chown=1", store, store);
    cs_expect_options("overlay", many, 9, want, "overlay: every key containers/storage knows, stores cleaned");
    snprintf(opt3, sizeof opt3, "vfs.imagestore=%s", store);
    const char *const vfs[] = {opt3, ".ignore_chown_errors=false"};
    snprintf(want, sizeof want, "ok %s chown=0", store);
    cs_expect_options("vfs", vfs, 2, want, "vfs: imagestore and ignore_chown_errors");
    snprintf(opt1, sizeof opt1, "overlay.imagestore=%s", file);
    struct {
        const char *driver, *opt, *want;
    } bad[] = {
        {"overlay", "overlay.foo=1", "error 3: overlay: Unknown option overlay.foo"},
        {"overlay", "nokeyvalue", "error 3: unable to parse key/value option: nokeyvalue"},
        {"overlay", "overlay.imagestore=relative/dir",
         "error 3: overlay: image path \"relative/dir\" is not absolute.  Can not be relative"},
        {"overlay", "overlay.imagestore=/nonexistent/ferry-store",
         "error 3: overlay: can't stat imageStore dir /nonexistent/ferry-store"},
        {"overlay", "overlay.size=ten", "error 3: overlay: invalid size \"ten\""},
        {"overlay", "overlay.ignore_chown_errors=maybe",
         "error 3: overlay: ignore_chown_errors: invalid boolean \"maybe\""},
        {"overlay", "overlay.mount_program=/nonexistent/fuse", "error 3: overlay: can't stat program \"/nonexistent/fuse\""},
        {"vfs", "vfs.mountopt=nodev", "error 3: vfs driver does not support mount options"},
        {"vfs", "overlay.imagestore=/x", "error 3: vfs driver does not support overlay.imagestore options"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char w[512];
        snprintf(w, sizeof w, "error %d:%s", FERRY_ERR_INVALID, strchr(bad[i].want, ':') + 1);
        cs_expect_options(bad[i].driver, &bad[i].opt, 1, w, bad[i].opt);
    }
    snprintf(want, sizeof want, "error %d: overlay: image path \"%s\" must be a directory", FERRY_ERR_INVALID, file);
    const char *const notdir[] = {opt1};
    cs_expect_options("overlay", notdir, 1, want, "overlay: an image store that is a file");
    const char *const unsupported[] = {"overlay.force_mask=shared"};
    snprintf(want, sizeof want, "error %d: overlay: option overlay.force_mask is not supported by ferry",
             FERRY_ERR_UNSUPPORTED);
    cs_expect_options("overlay", unsupported, 1, want, "force_mask is refused, not ignored");
}

int main(void)
{
    snprintf(cs_dir, sizeof cs_dir, "/tmp/test-cs-config-XXXXXX");
    if (mkdtemp(cs_dir) == NULL) {
        tap_plan(1);
        tap_skip("cs config", "mkdtemp failed");
        return tap_done();
    }
    char *real = realpath(cs_dir, NULL); /* paths come back resolved */
    if (real != NULL) {
        snprintf(cs_dir, sizeof cs_dir, "%s", real);
        free(real);
    }
    tap_plan(40);
    cs_test_root();
    cs_test_rootless();
    cs_test_errors();
    cs_test_driver_options();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cs_dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", cs_dir);
    return tap_done();
}
