/* tests/unit/test-toml.c — the TOML reader (core/shared/toml.c): documents
 * it must accept, compared as compact sorted JSON, and documents it must
 * refuse, with the "NAME:LINE: what" message they produce. */
#include "shared/toml.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Accepted: document, then its tree as JSON (keys sorted). */
static const char *const toml_good[][2] = {
    {"", "{}"},
    {"# only a comment\n\n   \n", "{}"},
    {"a = 1\r\nb = 'x'\r\n", "{\"a\":1,\"b\":\"x\"}"},
    {"[storage]\ndriver = \"overlay\"\ngraphroot = \"/var/lib/containers/storage\"\n",
     "{\"storage\":{\"driver\":\"overlay\",\"graphroot\":\"/var/lib/containers/storage\"}}"},
    {"[storage.options.overlay]\nmount_program = \"/usr/bin/fuse-overlayfs\" # trailing comment\n",
     "{\"storage\":{\"options\":{\"overlay\":{\"mount_program\":\"/usr/bin/fuse-overlayfs\"}}}}"},
    {"[a.b]\nx = 1\n[a]\ny = 2\n", "{\"a\":{\"b\":{\"x\":1},\"y\":2}}"},
    {"[ a . \"b c\" . 'd' ]\n", "{\"a\":{\"b c\":{\"d\":{}}}}"},
    {"site.\"google.com\" = true\n", "{\"site\":{\"google.com\":true}}"},
    {"fruit.apple.color = \"red\"\nfruit.apple.taste = \"sweet\"\n",
     "{\"fruit\":{\"apple\":{\"color\":\"red\",\"taste\":\"sweet\"}}}"},
    {"[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n",
     "{\"fruit\":{\"apple\":{\"color\":\"red\",\"texture\":{\"smooth\":true}}}}"},
    {"\"\" = 1\n'q' = 2\n1234 = 3\n-_ = 4\n", "{\"\":1,\"-_\":4,\"1234\":3,\"q\":2}"},
    {"3.14 = 'pi'\n", "{\"3\":{\"14\":\"pi\"}}"},
    {"s = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600 \\b\\f\\r\\n\"\n",
     "{\"s\":\"tab\\there \\\"q\\\" \\\\ \u00e9 \U0001F600 \\b\\f\\r\\n\"}"},
    {"p = 'C:\\Users\\nodejs'\n", "{\"p\":\"C:\\\\Users\\\\nodejs\"}"},
    {"m = \"\"\"\nRoses\nViolets\"\"\"\n", "{\"m\":\"Roses\\nViolets\"}"},
    {"m = \"\"\"\\\n   The quick \\\n\n   brown\"\"\"\n", "{\"m\":\"The quick brown\"}"},
    {"m = \"\"\"two \"\"quotes\"\"\"\"\"\n", "{\"m\":\"two \\\"\\\"quotes\\\"\\\"\"}"},
    {"m = '''\nraw \\n ''text'''''\n", "{\"m\":\"raw \\\\n ''text''\"}"},
    {"utf = \"é ✓\"\n", "{\"utf\":\"é ✓\"}"},
    {"i = [+99, 42, 0, -17, 1_000, 5_349_221, -0, +0]\n", "{\"i\":[99,42,0,-17,1000,5349221,0,0]}"},
    {"h = [0xDEADbeef, 0xdead_beef, 0o755, 0b1101_0110, 0x0]\n",
     "{\"h\":[3735928559,3735928559,493,214,0]}"},
    {"max = 9223372036854775807\nmin = -9223372036854775808\n",
     "{\"max\":9223372036854775807,\"min\":-9223372036854775808}"},
    {"f = [1.0, 3.1415, -0.01, 5e+22, 1e06, -2E-2, 6.626e-34, 224_617.445_991]\n",
     "{\"f\":[1.0,3.1415,-0.01,5e22,1000000.0,-0.02,6.626e-34,224617.445991]}"},
    {"sp = [inf, +inf, -inf, nan, -nan]\n", "{\"sp\":[\"inf\",\"+inf\",\"-inf\",\"nan\",\"-nan\"]}"},
    {"t = true\nf = false\n", "{\"f\":false,\"t\":true}"},
    {"d = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00.999999-07:00, 1979-05-27 07:32:00, 1979-05-27, 07:32:00.5, "
     "2000-02-29t01:02:03z]\n",
     "{\"d\":[\"1979-05-27T07:32:00Z\",\"1979-05-27T00:32:00.999999-07:00\",\"1979-05-27 07:32:00\",\"1979-05-27\","
     "\"07:32:00.5\",\"2000-02-29t01:02:03z\"]}"},
    {"a = [\n  1, # one\n  # nothing\n  'two',\n  [3, [4]],\n  {x = 5},\n]\n",
     "{\"a\":[1,\"two\",[3,[4]],{\"x\":5}]}"},
    {"e = []\nf = [ ]\ng = [\n]\n", "{\"e\":[],\"f\":[],\"g\":[]}"},
    {"pt = { x = 1, y.z = 2, 'w' = {} }\nempty = {}\n", "{\"empty\":{},\"pt\":{\"w\":{},\"x\":1,\"y\":{\"z\":2}}}"},
    {"[[products]]\nname = \"Hammer\"\n[[products]]\n[[products]]\nname = \"Nail\"\n",
     "{\"products\":[{\"name\":\"Hammer\"},{},{\"name\":\"Nail\"}]}"},
    {"[[fruits]]\nname = 'apple'\n[fruits.physical]\ncolor = 'red'\n[[fruits.varieties]]\nname = 'delicious'\n"
     "[[fruits]]\nname = 'banana'\n",
     "{\"fruits\":[{\"name\":\"apple\",\"physical\":{\"color\":\"red\"},\"varieties\":[{\"name\":\"delicious\"}]},"
     "{\"name\":\"banana\"}]}"},
    {"\xef\xbb\xbfk = 'bom'\n", "{\"k\":\"bom\"}"},
    {"k = 'no newline at the end'", "{\"k\":\"no newline at the end\"}"},
    {"[storage.options]\nadditionalimagestores = [\n\"/a\",\n\"/b\"\n]\n",
     "{\"storage\":{\"options\":{\"additionalimagestores\":[\"/a\",\"/b\"]}}}"},
};

/* Refused: document, then the message expected for it. */
static const char *const toml_bad[][2] = {
    {"a = 1\na = 2\n", "t:2: duplicate key \"a\""},
    {"[s]\nd = 'x'\nd = 'y'\n", "t:3: duplicate key \"d\""},
    {"[a]\n[a]\n", "t:2: table \"a\" is already defined"},
    {"[a.b]\n[a]\n[a]\n", "t:3: table \"a\" is already defined"},
    {"a.b = 1\na = 2\n", "t:2: duplicate key \"a\""},
    {"[fruit]\napple.color = 'red'\n[fruit.apple]\n", "t:3: table \"fruit.apple\" is already defined"},
    {"[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", "t:4: cannot add to \"b\" with a dotted key: it is already defined"},
    {"a = {x = 1}\na.y = 2\n", "t:2: cannot add to \"a\" with a dotted key: it is already defined"},
    {"a = {x = 1}\n[a.b]\n", "t:2: \"a\" is already defined as a value, not a table"},
    {"a = [1]\n[[a]]\n", "t:2: cannot define [[a]]: \"a\" is already defined"},
    {"[a]\n[[a]]\n", "t:2: cannot define [[a]]: \"a\" is already defined"},
    {"[[a]]\n[a]\n", "t:2: table \"a\" is already defined"},
    {"k = \"unterminated\n", "t:1: strings cannot contain newlines"},
    {"\n\nk = \"\"\"never\nclosed\n", "t:3: unterminated string"},
    {"k = 'x\n", "t:1: strings cannot contain newlines"},
    {"k = \"bad \\q\"\n", "t:1: invalid escape sequence in a string"},
    {"k = \"\\u12\"\n", "t:1: \\u escape needs 4 hex digits"},
    {"k = \"\\uD800\"\n", "t:1: \\uD800 is not a Unicode scalar value"},
    {"k = \"a\x01" "b\"\n", "t:1: control character 0x01 in a string"},
    {"k = 1 # \x7f\n", "t:1: control character 0x7f in a comment"},
    {"k =\n", "t:1: expected a value, found end of line"},
    {"k = 1 2\n", "t:1: expected the end of the line, found '2'"},
    {"key\n", "t:1: expected '=' after a key, found end of line"},
    {"= 1\n", "t:1: expected a key, found '='"},
    {"[]\n", "t:1: expected a key, found ']'"},
    {"[a\n", "t:1: expected ']' closing a table header, found end of line"},
    {"[[a]\n", "t:1: expected ']]' closing a table array header, found ']'"},
    {"[a] x = 1\n", "t:1: expected the end of the line, found 'x'"},
    {"k = 012\n", "t:1: invalid number \"012\""},
    {"k = 1__0\n", "t:1: invalid number \"1__0\""},
    {"k = _1\n", "t:1: expected a value, found '_'"},
    {"k = 1_\n", "t:1: invalid number \"1_\""},
    {"k = 1.\n", "t:1: invalid number \"1.\""},
    {"k = .5\n", "t:1: expected a value, found '.'"},
    {"k = 1e\n", "t:1: invalid number \"1e\""},
    {"k = -0x1\n", "t:1: invalid integer \"-0x1\""},
    {"k = 0b102\n", "t:1: invalid integer \"0b102\""},
    {"k = 9223372036854775808\n", "t:1: integer \"9223372036854775808\" out of range"},
    {"k = 0x8000000000000000\n", "t:1: integer \"0x8000000000000000\" out of range"},
    {"k = 1e999\n", "t:1: float \"1e999\" out of range"},
    {"k = True\n", "t:1: expected a value, found 'T'"},
    {"k = truely\n", "t:1: expected a value, found 't'"},
    {"k = 1979-13-01\n", "t:1: invalid date \"1979-13-01\""},
    {"k = 2001-02-29\n", "t:1: invalid date \"2001-02-29\""},
    {"k = 1979-05-27T25:00:00\n", "t:1: invalid time in \"1979-05-27T25:00:00\""},
    {"k = [1 2]\n", "t:1: expected ',' or ']' in an array, found '2'"},
    {"k = [1,,]\n", "t:1: expected a value, found ','"},
    {"k = [\n1,\n", "t:3: expected a value, found end of file"},
    {"k = {a = 1,}\n", "t:1: expected a key, found '}'"},
    {"k = {a = 1\n}\n", "t:1: expected ',' or '}' in an inline table, found end of line"},
    {"k = {a = 1, a = 2}\n", "t:1: duplicate key \"a\""},
    {"\"\"\"k\"\"\" = 1\n", "t:1: a key cannot be a multi-line string"},
    {"\"a\\u0000b\" = 1\n", "t:1: keys containing NUL are not supported"},
    {"k = 'x'\n\xc3\x28 = 1\n", "t:2: invalid UTF-8"},
    {"k = '\xed\xa0\x80'\n", "t:1: invalid UTF-8"},
    {"k = \"\"\"a\"\"\"\"\"\"\n", "t:1: too many quotes closing a multi-line string"},
    {"k = 1\r\n\r", "t:2: expected a key, found byte 0x0d"},
};

/* The tree as compact JSON with sorted keys (malloc'd). */
static char *toml_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
}

static void toml_check_good(size_t i)
{
    char err[256] = "", name[80];
    const char *doc = toml_good[i][0];
    json_t *root = toml_parse_string(doc, strlen(doc), "t", err, sizeof err);
    char *got = root != NULL ? toml_dump(root) : NULL;
    tap_name(doc, name, 60);
    if (!tap_is_str(got, toml_good[i][1], name) && root == NULL)
        tap_diag("error: %s", err);
    free(got);
    json_decref(root);
}

static void toml_check_bad(size_t i)
{
    char err[256] = "", name[80];
    const char *doc = toml_bad[i][0];
    json_t *root = toml_parse_string(doc, strlen(doc), "t", err, sizeof err);
    tap_name(doc, name, 60);
    tap_is_str(root == NULL ? err : "(accepted)", toml_bad[i][1], name);
    json_decref(root);
}

/* A NUL byte inside the document is refused, not taken as its end. */
static void toml_check_embedded_nul(void)
{
    static const char doc[] = "a = 1\n\0b = 2\n";
    char err[256] = "";
    json_t *root = toml_parse_string(doc, sizeof doc - 1, "nul.toml", err, sizeof err);
    tap_is_str(root == NULL ? err : "(accepted)", "nul.toml:2: expected a key, found byte 0x00", "NUL byte refused");
    json_decref(root);
}

/* toml_parse_file: a real file, a missing one (errno kept), a bad one. */
static void toml_check_files(void)
{
    char dir[] = "/tmp/test-toml-XXXXXX", path[128], err[256] = "";
    if (mkdtemp(dir) == NULL) {
        tap_skip("toml_parse_file", "mkdtemp failed");
        tap_skip("missing file", "mkdtemp failed");
        tap_skip("bad file", "mkdtemp failed");
        return;
    }
    snprintf(path, sizeof path, "%s/storage.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("[storage]\n  driver = \"vfs\"\n", f);
    fclose(f);
    json_t *root = toml_parse_file(path, err, sizeof err);
    tap_is_str(json_string_value(json_object_get(json_object_get(root, "storage"), "driver")), "vfs",
               "toml_parse_file reads a file");
    json_decref(root);

    char missing[160], want[200];
    snprintf(missing, sizeof missing, "%s/absent.conf", dir);
    root = toml_parse_file(missing, err, sizeof err);
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    tap_ok(root == NULL && errno == ENOENT && strcmp(err, want) == 0, "missing file: ENOENT, \"%s\"", err);

    f = fopen(path, "w");
    fputs("[storage]\ndriver = \"vfs\"\ndriver = \"overlay\"\n", f);
    fclose(f);
    root = toml_parse_file(path, err, sizeof err);
    snprintf(want, sizeof want, "%s:3: duplicate key \"driver\"", path);
    tap_ok(root == NULL && errno == 0 && strcmp(err, want) == 0, "bad file: \"%s\"", err);
    json_decref(root);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    size_t ngood = sizeof toml_good / sizeof toml_good[0], nbad = sizeof toml_bad / sizeof toml_bad[0];
    tap_plan((int)(ngood + nbad + 4));
    for (size_t i = 0; i < ngood; i++)
        toml_check_good(i);
    for (size_t i = 0; i < nbad; i++)
        toml_check_bad(i);
    toml_check_embedded_nul();
    toml_check_files();
    return tap_done();
}
