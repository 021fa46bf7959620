/* tests/unit/test-gotime.c — Go 1.19's time.Time as skopeo 1.9.3 reads and
 * writes it: which RFC 3339 strings UnmarshalJSON takes and how MarshalJSON
 * writes them back (checked with `skopeo inspect --config`), the messages
 * of refused ones, String() and Format layouts (checked with
 * `skopeo inspect --format`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "util/gotime.h"

typedef struct time_case {
    const char *raw;       /* JSON token */
    const char *marshaled; /* MarshalJSON without quotes, or NULL when refused */
    const char *string;    /* String() with TZ=UTC, or the error message */
} time_case;

static const time_case cases[] = {
    {"\"2023-01-02T03:04:05.123456789Z\"", "2023-01-02T03:04:05.123456789Z",
     "2023-01-02 03:04:05.123456789 +0000 UTC"},
    {"\"2023-01-02T3:04:05Z\"", "2023-01-02T03:04:05Z", "2023-01-02 03:04:05 +0000 UTC"},
    {"\"2023-01-02T03:04:05+99:99\"", "2023-01-02T03:04:05+100:39", "2023-01-02 03:04:05 +10039 +10039"},
    {"\"2023-01-02T03:04:05,5Z\"", "2023-01-02T03:04:05.5Z", "2023-01-02 03:04:05.5 +0000 UTC"},
    {"\"2023-01-02T03:04:05.1234567891234Z\"", "2023-01-02T03:04:05.123456789Z",
     "2023-01-02 03:04:05.123456789 +0000 UTC"},
    {"\"2023-01-02T03:04:05.000000000+01:00\"", "2023-01-02T03:04:05+01:00", "2023-01-02 03:04:05 +0100 +0100"},
    {"\"2023-01-02T03:04:05.5+01:00\"", "2023-01-02T03:04:05.5+01:00", "2023-01-02 03:04:05.5 +0100 +0100"},
    {"\"2024-02-29T23:59:59.000000001-05:30\"", "2024-02-29T23:59:59.000000001-05:30",
     "2024-02-29 23:59:59.000000001 -0530 -0530"},
    {"\"2023-01-02T03:04:05-00:00\"", "2023-01-02T03:04:05Z", "2023-01-02 03:04:05 +0000 UTC"},
    {"\"0001-01-01T00:00:00Z\"", "0001-01-01T00:00:00Z", "0001-01-01 00:00:00 +0000 UTC"},
    {"\"2023-02-30T03:04:05Z\"", NULL, "parsing time \"\\\"2023-02-30T03:04:05Z\\\"\": day out of range"},
    {"\"2023-02-29T03:04:05Z\"", NULL, "parsing time \"\\\"2023-02-29T03:04:05Z\\\"\": day out of range"},
    {"\"2023-01-02T24:04:05Z\"", NULL, "parsing time \"\\\"2023-01-02T24:04:05Z\\\"\": hour out of range"},
    {"\"2023-01-02T03:04:60Z\"", NULL, "parsing time \"\\\"2023-01-02T03:04:60Z\\\"\": second out of range"},
    {"\"2023-13-02T03:04:05Z\"", NULL, "parsing time \"\\\"2023-13-02T03:04:05Z\\\"\": month out of range"},
    {"\"2023-01-02t03:04:05Z\"", NULL,
     "parsing time \"\\\"2023-01-02t03:04:05Z\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"t03:04:05Z\\\"\" as \"T\""},
    {"\"2023-01-02T03:04:05z\"", NULL,
     "parsing time \"\\\"2023-01-02T03:04:05z\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"z\\\"\" as \"Z07:00\""},
    {"\"2023-01-02T03:04:05\"", NULL,
     "parsing time \"\\\"2023-01-02T03:04:05\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"\\\"\" "
     "as \"Z07:00\""},
    {"5", NULL, "parsing time \"5\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse \"5\" as \"\\\"\""},
    {"\"+999-01-02T03:04:05Z\"", NULL,
     "parsing time \"\\\"+999-01-02T03:04:05Z\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"+999-01-02T03:04:05Z\\\"\" as \"2006\""},
    {"\"2023-01-02T03:04:05Zjunk\"", NULL,
     "parsing time \"\\\"2023-01-02T03:04:05Zjunk\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"junk\\\"\" as \"\\\"\""},
    {"\"2023-01-02T03:04:05.Z\"", NULL,
     "parsing time \"\\\"2023-01-02T03:04:05.Z\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\".Z\\\"\" as \"Z07:00\""},
    {"\"2023-1-02T03:04:05Z\"", NULL,
     "parsing time \"\\\"2023-1-02T03:04:05Z\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"1-02T03:04:05Z\\\"\" as \"01\""},
    {"\"2023-01-02T03:04:05+0100\"", NULL,
     "parsing time \"\\\"2023-01-02T03:04:05+0100\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"+0100\\\"\" as \"Z07:00\""},
    {"\"2023-01-02T03:04:05\\u005a\"", NULL,
     "parsing time \"\\\"2023-01-02T03:04:05\\\\u005a\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"\\\\u005a\\\"\" as \"Z07:00\""},
    {"\"bad\xc3\xa9\"", NULL,
     "parsing time \"\\\"bad\\xc3\\xa9\\\"\" as \"\\\"2006-01-02T15:04:05Z07:00\\\"\": cannot parse "
     "\"bad\\xc3\\xa9\\\"\" as \"2006\""},
};

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];
    tap_plan((int)(2 * n) + 11);
    setenv("TZ", "UTC", 1);
    tzset();

    for (size_t i = 0; i < n; i++) {
        const time_case *c = &cases[i];
        gotime t;
        char err[512] = "";
        int rc = gotime_parse_json(c->raw, strlen(c->raw), &t, err, sizeof err);
        if (c->marshaled == NULL) {
            tap_ok(rc == -1, "%zu: %s refused", i, c->raw);
            tap_is_str(err, c->string, "  with Go's message");
            continue;
        }
        char *m = rc == 0 ? gotime_marshal(&t, err, sizeof err) : NULL;
        char *s = rc == 0 ? gotime_string(&t) : NULL;
        tap_is_str(m, c->marshaled, c->raw);
        tap_is_str(s, c->string, "  String()");
        free(m);
        free(s);
    }

    gotime t;
    char err[256];
    tap_ok(gotime_parse_json("null", 4, &t, err, sizeof err) == 1, "null leaves the time alone");

    gotime_zero(&t);
    char *s = gotime_marshal(&t, err, sizeof err);
    tap_is_str(s, "0001-01-01T00:00:00Z", "the zero time");
    free(s);
    tap_ok(gotime_is_zero(&t), "gotime_is_zero");

    gotime_parse_rfc3339("2023-01-02T03:04:05.123456789Z", &t, err, sizeof err);
    s = gotime_format(&t, "Jan 2, 2006 at 3:04pm (MST) Monday January _2 06 .000 ,999999 Z07:00 -0700 -07 PM pm");
    tap_is_str(s, "Jan 2, 2023 at 3:04am (UTC) Monday January  2 23 .123 ,123456 Z +0000 +00 AM am",
               "Go layout elements");
    free(s);
    gotime_civil cv;
    gotime_civil_of(&t, &cv);
    tap_ok(cv.weekday == 1 && cv.yday == 2 && cv.year == 2023, "weekday and year day");

    t.sec += (int64_t)8000 * 365 * 86400; /* past year 9999 */
    s = gotime_marshal(&t, err, sizeof err);
    tap_ok(s == NULL && strcmp(err, "Time.MarshalJSON: year outside of range [0,9999]") == 0,
           "MarshalJSON refuses years past 9999");
    free(s);

    /* reading back a marshalled offset Go itself cannot parse */
    tap_ok(gotime_parse_marshaled("2023-01-02T03:04:05+100:39", &t) == 0 && t.offset == (100 * 60 + 39) * 60,
           "marshalled +100:39 reads back");
    s = gotime_string(&t);
    tap_is_str(s, "2023-01-02 03:04:05 +10039 +10039", "  and prints as Go printed it");
    free(s);
    tap_ok(gotime_parse_marshaled("2023-01-02T03:04:05.5-05:30", &t) == 0 && t.offset == -19800 && t.nsec == 500000000,
           "ordinary offsets read back");

    /* a parsed offset takes the local zone's name when the local zone has
     * that offset then (checked with TZ=Europe/Berlin skopeo) */
    if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0) {
        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        gotime_parse_rfc3339("2023-01-02T03:04:05.5+01:00", &t, err, sizeof err);
        s = gotime_string(&t);
        tap_is_str(s, "2023-01-02 03:04:05.5 +0100 CET", "local zone name in winter");
        free(s);
        gotime_parse_rfc3339("2023-07-02T03:04:05.5+01:00", &t, err, sizeof err);
        s = gotime_string(&t);
        tap_is_str(s, "2023-07-02 03:04:05.5 +0100 +0100", "no name when the local offset differs (summer)");
        free(s);
    } else {
        tap_skip("local zone name in winter", "no zoneinfo for Europe/Berlin");
        tap_skip("no name when the local offset differs (summer)", "no zoneinfo for Europe/Berlin");
    }
    return tap_done();
}
