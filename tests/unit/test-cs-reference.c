/* tests/unit/test-cs-reference.c — containers-storage: reference parsing
 * (plugins/containers-storage/reference.c): each reference with the fields
 * it yields, or the message it is refused with. The accepted and refused
 * forms, and the tails of the messages, were checked against skopeo 1.9.3
 * on a private vfs store. */
#include "cs.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

#define ID64 "c756c2498dd76c9c82fd2f26b562a9f30f612a9b5e995195b3cec2fc16d8f75d"
#define DIG "sha256:750dd33e0742fdef365027f221fe3f53759277a75abd20cdca3a641f90976489"
#define STORE "[vfs@/tmp/t/root+/tmp/t/run]"

typedef struct cs_ref_case {
    const char *text;
    const char *fields; /* "driver|root|runroot|options|name|id|short|fallback", "-" for NULL */
    const char *error;  /* the message when refused, else NULL */
} cs_ref_case;

static const cs_ref_case cs_ref_cases[] = {
    {.text = STORE "example.com/x:v1", .fields = "vfs|/tmp/t/root|/tmp/t/run|-|example.com/x:v1|-|0|0"},
    {.text = "[overlay@/var/lib/c+/run/c:a=1,b]busybox",
     .fields = "overlay|/var/lib/c|/run/c|a=1,b|docker.io/library/busybox:latest|-|0|0"},
    {.text = "[/srv/root]name", .fields = "-|/srv/root|-|-|docker.io/library/name:latest|-|0|0"},
    {.text = "[vfs@+/srv/run]x", .fields = "vfs|-|/srv/run|-|docker.io/library/x:latest|-|0|0"},
    {.text = "[/srv/r:opt]x", .fields = "-|/srv/r|-|opt|docker.io/library/x:latest|-|0|0"},
    {.text = "[:]x", .fields = "-|-|-|-|docker.io/library/x:latest|-|0|0"},
    {.text = "[/a][/b]x", .fields = "-|/a|-|-|docker.io/library/x:latest|-|0|0"},
    {.text = "busybox", .fields = "-|-|-|-|docker.io/library/busybox:latest|-|0|0"},
    {.text = "library/busybox:1.36", .fields = "-|-|-|-|docker.io/library/busybox:1.36|-|0|0"},
    {.text = "localhost:5000/a/b", .fields = "-|-|-|-|localhost:5000/a/b:latest|-|0|0"},
    {.text = "example.com/x@" DIG, .fields = "-|-|-|-|example.com/x@" DIG "|-|0|0"},
    {.text = "example.com/x:v1@" DIG, .fields = "-|-|-|-|example.com/x:v1@" DIG "|-|0|0"},
    {.text = "example.com/x:v1@" ID64, .fields = "-|-|-|-|example.com/x:v1|" ID64 "|0|0"},
    {.text = "x@" DIG "@" ID64, .fields = "-|-|-|-|docker.io/library/x@" DIG "|" ID64 "|0|0"},
    {.text = "example.com/x:v1@c756c", .fields = "-|-|-|-|example.com/x:v1|c756c|1|0"},
    {.text = ID64, .fields = "-|-|-|-|-|" ID64 "|0|0"},
    {.text = "@" ID64, .fields = "-|-|-|-|-|" ID64 "|0|0"},
    {.text = STORE "c75", .fields = "vfs|/tmp/t/root|/tmp/t/run|-|docker.io/library/c75:latest|c75|1|1"},
    {.text = "@c75", .fields = "-|-|-|-|-|c75|1|0"},
    {.text = "c7", .fields = "-|-|-|-|docker.io/library/c7:latest|-|0|0"},
    {.text = "cafe:v1", .fields = "-|-|-|-|docker.io/library/cafe:v1|-|0|0"},
    {.text = "C756C", .error = "containers-storage:C756C: parsing named reference \"C756C\": "
                                "invalid reference format: repository name must be lowercase"},
    {.text = ID64 ":v1", .fields = "-|-|-|-|docker.io/library/" ID64 ":v1|-|0|0"},
    {.text = "", .error = "containers-storage:: \"\" is an empty reference: invalid reference"},
    {.text = STORE, .error = "containers-storage:" STORE ": \"\" is an empty reference: invalid reference"},
    {.text = "[vfs@/tmp/t/root",
     .error = "containers-storage:[vfs@/tmp/t/root: store specifier \"[vfs@/tmp/t/root\" has no closing ']': "
              "invalid reference"},
    {.text = "[]x", .error = "containers-storage:[]x: empty store specifier \"[]\": invalid reference"},
    {.text = "[@/r]x",
     .error = "containers-storage:[@/r]x: store specifier needs both DRIVER and ROOT around '@': invalid reference"},
    {.text = "[vfs@]x",
     .error = "containers-storage:[vfs@]x: store specifier needs both DRIVER and ROOT around '@': invalid reference"},
    {.text = "[rel/root]x",
     .error = "containers-storage:[rel/root]x: graph root \"rel/root\": path name is not absolute"},
    {.text = "[/r+run]x", .error = "containers-storage:[/r+run]x: run root \"run\": path name is not absolute"},
    {.text = "Example.com/X:v1", .error = "containers-storage:Example.com/X:v1: parsing named reference "
                                          "\"Example.com/X:v1\": invalid reference format: repository name must "
                                          "be lowercase"},
    {.text = "x@sha256:abc",
     .error = "containers-storage:x@sha256:abc: \"sha256:abc\" does not look like an image ID or digest: "
              "invalid reference"},
    {.text = "x@md5:abc",
     .error = "containers-storage:x@md5:abc: \"md5:abc\" does not look like an image ID or digest: invalid reference"},
    {.text = "x@zzz",
     .error = "containers-storage:x@zzz: \"zzz\" does not look like an image ID or digest: invalid reference"},
    {.text = "x@c7", .error = "containers-storage:x@c7: \"c7\" does not look like an image ID or digest: "
                              "invalid reference"},
    {.text = "x@", .error = "containers-storage:x@: empty trailing digest or ID in \"x@\": invalid reference"},
    {.text = "x@" DIG "@" DIG, .error = "containers-storage:x@" DIG "@" DIG ": parsing named reference \"x@" DIG
                                        "@" DIG "\": invalid reference format"},
    {.text = "x:v1:v2", .error = "containers-storage:x:v1:v2: parsing named reference \"x:v1:v2\": "
                                 "invalid reference format: invalid tag \"v1:v2\""},
};

static const char *cs_or_dash(const char *s)
{
    return s != NULL ? s : "-";
}

static void cs_check_case(const cs_ref_case *c)
{
    cs_reference r;
    char err[512] = "", got[1024], label[256], name[256];
    int status = cs_reference_parse(c->text, &r, err, sizeof err);
    if (status == FERRY_OK)
        snprintf(got, sizeof got, "%s|%s|%s|%s|%s|%s|%d|%d", cs_or_dash(r.driver), cs_or_dash(r.root),
                 cs_or_dash(r.runroot), cs_or_dash(r.options), cs_or_dash(r.name), cs_or_dash(r.id), r.id_is_short,
                 r.name_is_fallback);
    else
        snprintf(got, sizeof got, "%s%s", status == FERRY_ERR_INVALID ? "" : "(not INVALID) ", err);
    snprintf(label, sizeof label, "containers-storage:%s", c->text);
    tap_is_str(got, c->error != NULL ? c->error : c->fields, tap_name(label, name, sizeof name));
    cs_reference_free(&r);
}

int main(void)
{
    size_t n = sizeof cs_ref_cases / sizeof cs_ref_cases[0];
    tap_plan((int)n + 1);
    for (size_t i = 0; i < n; i++)
        cs_check_case(&cs_ref_cases[i]);
    cs_reference r;
    char err[64];
    tap_is_int(cs_reference_parse(NULL, &r, err, sizeof err), FERRY_ERR_INVALID, "NULL text is refused");
    cs_reference_free(&r);
    return tap_done();
}
