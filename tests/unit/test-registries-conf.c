/* tests/unit/test-registries-conf.c — registries.conf insecure/blocked
 * settings: v2 [[registry]] tables, wildcards, v1 lists, drop-ins, comments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/registries_conf.h"
#include "tap.h"

int main(void)
{
    tap_plan(9);
    char dir[256], path[300], cmd[400], err[512] = "";
    snprintf(dir, sizeof(dir), "/tmp/ferry-regconf-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/registries.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("unqualified-search-registries = [\"docker.io\", # comment\n  \"quay.io\"]\n"
          "[[registry]]\nprefix = \"localhost:5000\" # local\ninsecure = true\n"
          "[[registry.mirror]]\nlocation = \"mirror.example\"\ninsecure = false\n"
          "[[registry]]\nlocation = \"blocked.example\"\nblocked = true\n"
          "[[registry]]\nprefix = \"*.corp.example\"\ninsecure = true\n"
          "[aliases]\n\"busybox\" = \"docker.io/library/busybox\"\n",
          f);
    fclose(f);
    setenv("CONTAINERS_REGISTRIES_CONF", path, 1);
    registries_conf *c = registries_conf_load(err, sizeof(err));
    tap_ok(c != NULL && err[0] == '\0', "v2 file loads");
    tap_is_str(registries_conf_setting(c, "localhost:5000", "insecure"), "true", "prefix = host:port is insecure");
    tap_is_str(registries_conf_setting(c, "localhost:5001", "insecure"), NULL, "another port is not");
    tap_is_str(registries_conf_setting(c, "blocked.example", "blocked"), "true", "location-only entry is blocked");
    tap_is_str(registries_conf_setting(c, "git.corp.example:443", "insecure"), "true", "*.domain wildcard matches");
    tap_is_str(registries_conf_setting(c, "mirror.example", "insecure"), NULL, "mirror tables do not define registries");
    registries_conf_free(c);

    f = fopen(path, "w");
    fputs("[registries.search]\nregistries = ['docker.io']\n[registries.insecure]\nregistries = ['old.example:5000',\n"
          "  'old2.example']\n[registries.block]\nregistries = [\"bad.example\"]\n",
          f);
    fclose(f);
    c = registries_conf_load(err, sizeof(err));
    tap_is_str(registries_conf_setting(c, "old2.example", "insecure"), "true", "v1 multi-line insecure list");
    tap_is_str(registries_conf_setting(c, "bad.example", "blocked"), "true", "v1 block list");
    tap_is_str(registries_conf_setting(c, "docker.io", "insecure"), NULL, "search list changes nothing");
    registries_conf_free(c);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
