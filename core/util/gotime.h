/* core/util/gotime.h — Go's time.Time as encoding/json reads and writes it
 * (skopeo is built with Go 1.19: lenient RFC 3339 parsing) and as fmt prints
 * it, for config "created" members, `inspect` and `--format` templates. */
#ifndef FERRY_CORE_GOTIME_H
#define FERRY_CORE_GOTIME_H

#include <stddef.h>
#include <stdint.h>

/* An instant with the zone Go would attach to it. */
typedef struct gotime {
    int64_t sec;     /* seconds since 1970-01-01T00:00:00Z */
    int32_t nsec;    /* 0..999999999 */
    int32_t offset;  /* zone offset, seconds east of UTC */
    char zone[16];   /* zone abbreviation Go prints for "MST" ("UTC", a local name such as "CET"),
                      * or "" for a fixed offset Go has no name for (printed as "+0100") */
} gotime;

/* Calendar fields of a gotime in its own zone. */
typedef struct gotime_civil {
    int64_t year;
    int month;   /* 1..12 */
    int day;     /* 1..31 */
    int hour, minute, second;
    int weekday; /* 0 = Sunday */
    int yday;    /* 1..366 */
} gotime_civil;

/* Go's zero time.Time: 0001-01-01 00:00:00 UTC. */
void gotime_zero(gotime *t);
int gotime_is_zero(const gotime *t);

/* time.Time.UnmarshalJSON of Go 1.19: `raw` is the JSON token as it appears
 * in the document, quotes included. "null" leaves *t alone and returns 1;
 * success returns 0; failure returns -1 with Go's message in err, e.g.
 * `parsing time "\"2023-02-30T03:04:05Z\"": day out of range`. A "Z" time is
 * UTC; an offset is matched against the local zone as Go does (the local
 * zone's name is kept when it has that offset at that instant). */
int gotime_parse_json(const char *raw, size_t len, gotime *t, char *err, size_t errcap);

/* Same, for an RFC 3339 string without the JSON quotes. */
int gotime_parse_rfc3339(const char *s, gotime *t, char *err, size_t errcap);

/* Reads back what gotime_marshal wrote, including offsets of 100 hours or
 * more (+99:99 reads as +100:39, which Go prints but cannot parse). A zero
 * offset reads as UTC: "+00:00" and "Z" are the same once marshalled.
 * Returns 0 or -1. */
int gotime_parse_marshaled(const char *s, gotime *t);

void gotime_civil_of(const gotime *t, gotime_civil *out);

/* Formats with a Go layout ("2006-01-02T15:04:05.999999999Z07:00", ...),
 * as time.Time.Format does. Returns a malloc'd string or NULL (OOM). */
char *gotime_format(const gotime *t, const char *layout);

/* time.Time.MarshalJSON without the quotes (RFC3339Nano: nanoseconds with
 * trailing zeros trimmed, "Z" or ±hh:mm). Returns NULL with Go's message in
 * err when the year is outside [0,9999], or on OOM. */
char *gotime_marshal(const gotime *t, char *err, size_t errcap);

/* time.Time.String(), which is what fmt's %v prints:
 * "2006-01-02 15:04:05.999999999 -0700 MST". Malloc'd, NULL on OOM. */
char *gotime_string(const gotime *t);

/* English month and weekday names as Go prints time.Month and time.Weekday. */
const char *gotime_month_name(int month);
const char *gotime_weekday_name(int weekday);

#endif
