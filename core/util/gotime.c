/* core/util/gotime.c — Go's time.Time for JSON and fmt: the RFC 3339 parser
 * of Go 1.19's UnmarshalJSON (one- or two-digit hours, ',' or '.' before the
 * fraction, fractions beyond 9 digits truncated, unchecked offsets such as
 * +99:99), Go's layout formatter, MarshalJSON and String(). */
#include "util/gotime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/strbuf.h"

#define GOTIME_SECONDS_PER_DAY 86400
/* seconds from 0001-01-01T00:00:00Z to the Unix epoch */
#define GOTIME_ZERO_UNIX (-62135596800LL)
#define GOTIME_JSON_LAYOUT "\"2006-01-02T15:04:05Z07:00\""

static const char *const gotime_months[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
static const char *const gotime_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};

const char *gotime_month_name(int month)
{
    if (month < 1 || month > 12)
        return "%!Month()";
    return gotime_months[month - 1];
}

const char *gotime_weekday_name(int weekday)
{
    if (weekday < 0 || weekday > 6)
        return "%!Weekday()";
    return gotime_days[weekday];
}

void gotime_zero(gotime *t)
{
    memset(t, 0, sizeof *t);
    t->sec = GOTIME_ZERO_UNIX;
    strcpy(t->zone, "UTC");
}

int gotime_is_zero(const gotime *t)
{
    return t->sec == GOTIME_ZERO_UNIX && t->nsec == 0;
}

static int64_t gotime_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t gotime_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = gotime_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void gotime_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = gotime_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int gotime_is_leap(int64_t y)
{
    return (y % 4 == 0) && (y % 100 != 0 || y % 400 == 0);
}

static int gotime_days_in(int month, int64_t year)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && gotime_is_leap(year))
        return 29;
    return days[month - 1];
}

void gotime_civil_of(const gotime *t, gotime_civil *out)
{
    int64_t local = t->sec + t->offset;
    int64_t days = gotime_floor_div(local, GOTIME_SECONDS_PER_DAY);
    int64_t secs = local - days * GOTIME_SECONDS_PER_DAY;
    gotime_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
    int64_t wd = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    out->weekday = (int)(wd < 0 ? wd + 7 : wd);
    out->yday = (int)(days - gotime_days_from_civil(out->year, 1, 1)) + 1;
}

/* ---------------------------------------------------------------- parsing */

/* Go's time.quote: non-ASCII and control bytes as \xNN. */
static void gotime_quote(strbuf *sb, const char *s, size_t n)
{
    strbuf_append(sb, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || c < ' ') {
            strbuf_printf(sb, "\\x%02x", c);
        } else {
            if (c == '"' || c == '\\')
                strbuf_append(sb, "\\", 1);
            strbuf_append(sb, &s[i], 1);
        }
    }
    strbuf_append(sb, "\"", 1);
}

typedef struct gotime_parse_state {
    const char *value; /* the whole input, for messages */
    size_t value_len;
    char *err;
    size_t errcap;
} gotime_parse_state;

/* ParseError without a message: cannot parse <rest> as <element>. */
static int gotime_fail_elem(const gotime_parse_state *ps, const char *rest, size_t rest_len, const char *elem)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "parsing time ");
    gotime_quote(&sb, ps->value, ps->value_len);
    strbuf_puts(&sb, " as ");
    gotime_quote(&sb, GOTIME_JSON_LAYOUT, strlen(GOTIME_JSON_LAYOUT));
    strbuf_puts(&sb, ": cannot parse ");
    gotime_quote(&sb, rest, rest_len);
    strbuf_puts(&sb, " as ");
    gotime_quote(&sb, elem, strlen(elem));
    char *msg = strbuf_detach(&sb, NULL);
    snprintf(ps->err, ps->errcap, "%s", msg ? msg : "out of memory");
    free(msg);
    return -1;
}

/* ParseError with a message: "<what> out of range". */
static int gotime_fail_range(const gotime_parse_state *ps, const char *what)
{
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "parsing time ");
    gotime_quote(&sb, ps->value, ps->value_len);
    strbuf_printf(&sb, ": %s out of range", what);
    char *msg = strbuf_detach(&sb, NULL);
    snprintf(ps->err, ps->errcap, "%s", msg ? msg : "out of memory");
    free(msg);
    return -1;
}

static int gotime_digit(const char *s, size_t n, size_t i)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

/* Go's getnum: one or two digits, exactly two when fixed. */
static int gotime_getnum(const char **s, size_t *n, int fixed, int *out)
{
    if (!gotime_digit(*s, *n, 0))
        return -1;
    if (!gotime_digit(*s, *n, 1)) {
        if (fixed)
            return -1;
        *out = (*s)[0] - '0';
        *s += 1;
        *n -= 1;
        return 0;
    }
    *out = ((*s)[0] - '0') * 10 + ((*s)[1] - '0');
    *s += 2;
    *n -= 2;
    return 0;
}

static int gotime_skip(const char **s, size_t *n, char c)
{
    if (*n == 0 || **s != c)
        return -1;
    *s += 1;
    *n -= 1;
    return 0;
}

/* Names the local zone when it has `offset` at instant `sec`, as Go's Parse
 * does by looking the offset up in time.Local. */
static void gotime_local_name(gotime *t)
{
    time_t when = (time_t)t->sec;
    struct tm tm;
    t->zone[0] = '\0';
    if ((int64_t)when == t->sec && localtime_r(&when, &tm) != NULL && tm.tm_gmtoff == t->offset &&
        tm.tm_zone != NULL)
        snprintf(t->zone, sizeof t->zone, "%s", tm.tm_zone);
}

int gotime_parse_json(const char *raw, size_t len, gotime *t, char *err, size_t errcap)
{
    char dummy[8];
    gotime_parse_state ps = {raw, len, err ? err : dummy, err ? errcap : sizeof dummy};
    const char *s = raw;
    size_t n = len;
    const char *hold;
    size_t hold_n;
    int year, month, day, hour, minute, second, nsec = 0;

    if (len == 4 && memcmp(raw, "null", 4) == 0)
        return 1;

#define GOTIME_LITERAL(c, elem)                                                                                   \
    do {                                                                                                          \
        if (gotime_skip(&s, &n, (c)) != 0)                                                                        \
            return gotime_fail_elem(&ps, s, n, (elem));                                                           \
    } while (0)

    GOTIME_LITERAL('"', "\"");
    /* 2006: four characters, the first a digit, all of them an integer */
    if (n < 4 || !gotime_digit(s, n, 0) || !gotime_digit(s, n, 1) || !gotime_digit(s, n, 2) ||
        !gotime_digit(s, n, 3))
        return gotime_fail_elem(&ps, s, n, "2006");
    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    s += 4;
    n -= 4;
    GOTIME_LITERAL('-', "-");
    hold = s;
    hold_n = n;
    if (gotime_getnum(&s, &n, 1, &month) != 0)
        return gotime_fail_elem(&ps, hold, hold_n, "01");
    if (month <= 0 || month > 12)
        return gotime_fail_range(&ps, "month");
    GOTIME_LITERAL('-', "-");
    hold = s;
    hold_n = n;
    if (gotime_getnum(&s, &n, 1, &day) != 0)
        return gotime_fail_elem(&ps, hold, hold_n, "02");
    GOTIME_LITERAL('T', "T");
    hold = s;
    hold_n = n;
    if (gotime_getnum(&s, &n, 0, &hour) != 0)
        return gotime_fail_elem(&ps, hold, hold_n, "15");
    if (hour >= 24)
        return gotime_fail_range(&ps, "hour");
    GOTIME_LITERAL(':', ":");
    hold = s;
    hold_n = n;
    if (gotime_getnum(&s, &n, 1, &minute) != 0)
        return gotime_fail_elem(&ps, hold, hold_n, "04");
    if (minute >= 60)
        return gotime_fail_range(&ps, "minute");
    GOTIME_LITERAL(':', ":");
    hold = s;
    hold_n = n;
    if (gotime_getnum(&s, &n, 1, &second) != 0)
        return gotime_fail_elem(&ps, hold, hold_n, "05");
    if (second >= 60)
        return gotime_fail_range(&ps, "second");
    /* a fraction the layout does not mention is still accepted */
    if (n >= 2 && (s[0] == '.' || s[0] == ',') && gotime_digit(s, n, 1)) {
        size_t k = 1;
        while (gotime_digit(s, n, k))
            k++;
        size_t used = k > 10 ? 10 : k; /* separator plus at most 9 digits */
        for (size_t i = 1; i < 10; i++)
            nsec = nsec * 10 + (i < used ? s[i] - '0' : 0);
        s += k;
        n -= k;
    }
    /* Z07:00 */
    int utc = 0;
    int32_t offset = 0;
    hold = s;
    hold_n = n;
    if (n >= 1 && s[0] == 'Z') {
        utc = 1;
        s++;
        n--;
    } else {
        int hh, mm;
        const char *hp = s + 1, *mp = s + 4;
        size_t hn = 2, mn = 2;
        if (n < 6 || s[3] != ':' || gotime_getnum(&hp, &hn, 1, &hh) != 0 || gotime_getnum(&mp, &mn, 1, &mm) != 0 ||
            (s[0] != '+' && s[0] != '-'))
            return gotime_fail_elem(&ps, hold, hold_n, "Z07:00");
        offset = (hh * 60 + mm) * 60;
        if (s[0] == '-')
            offset = -offset;
        s += 6;
        n -= 6;
    }
    GOTIME_LITERAL('"', "\"");
#undef GOTIME_LITERAL
    if (n > 0) {
        /* cannot happen for a JSON string token; kept for completeness */
        strbuf sb = STRBUF_INIT;
        strbuf_puts(&sb, "parsing time ");
        gotime_quote(&sb, raw, len);
        strbuf_puts(&sb, ": extra text: ");
        gotime_quote(&sb, s, n);
        char *msg = strbuf_detach(&sb, NULL);
        snprintf(ps.err, ps.errcap, "%s", msg ? msg : "out of memory");
        free(msg);
        return -1;
    }
    if (day < 1 || day > gotime_days_in(month, year))
        return gotime_fail_range(&ps, "day");

    t->nsec = nsec;
    t->offset = offset;
    t->sec = gotime_days_from_civil(year, month, day) * GOTIME_SECONDS_PER_DAY + hour * 3600 + minute * 60 + second -
             offset;
    if (utc)
        strcpy(t->zone, "UTC");
    else
        gotime_local_name(t);
    return 0;
}

int gotime_parse_rfc3339(const char *s, gotime *t, char *err, size_t errcap)
{
    size_t n = strlen(s);
    char *raw = malloc(n + 3);
    if (raw == NULL) {
        if (err)
            snprintf(err, errcap, "out of memory");
        return -1;
    }
    raw[0] = '"';
    memcpy(raw + 1, s, n);
    raw[n + 1] = '"';
    raw[n + 2] = '\0';
    int rc = gotime_parse_json(raw, n + 2, t, err, errcap);
    free(raw);
    return rc;
}

int gotime_parse_marshaled(const char *s, gotime *t)
{
    size_t n = strlen(s);
    /* find a trailing [+-]H...:MM offset with more than two hour digits */
    size_t i = n;
    if (n >= 6 && s[n - 3] == ':') {
        i = n - 3;
        while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
            i--;
        if (i == 0 || (s[i - 1] != '+' && s[i - 1] != '-') || n - 3 - i <= 2)
            i = n;
        else
            i--;
    }
    if (i == n)
        return gotime_parse_rfc3339(s, t, NULL, 0) == 0 ? 0 : -1;
    char *copy = malloc(i + 2);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, i);
    copy[i] = 'Z';
    copy[i + 1] = '\0';
    int rc = gotime_parse_rfc3339(copy, t, NULL, 0);
    free(copy);
    if (rc != 0)
        return -1;
    long hours = strtol(s + i + 1, NULL, 10);
    long minutes = strtol(s + n - 2, NULL, 10);
    int32_t offset = (int32_t)((hours * 60 + minutes) * 60);
    if (s[i] == '-')
        offset = -offset;
    t->offset = offset;
    t->sec -= offset;
    gotime_local_name(t);
    return 0;
}

/* ---------------------------------------------------------------- formatting */

enum gotime_std {
    GOTIME_NONE = 0,
    GOTIME_LONG_MONTH,
    GOTIME_MONTH,
    GOTIME_NUM_MONTH,
    GOTIME_ZERO_MONTH,
    GOTIME_LONG_WEEKDAY,
    GOTIME_WEEKDAY,
    GOTIME_DAY,
    GOTIME_UNDER_DAY,
    GOTIME_ZERO_DAY,
    GOTIME_HOUR,
    GOTIME_HOUR12,
    GOTIME_ZERO_HOUR12,
    GOTIME_MINUTE,
    GOTIME_ZERO_MINUTE,
    GOTIME_SECOND,
    GOTIME_ZERO_SECOND,
    GOTIME_LONG_YEAR,
    GOTIME_YEAR,
    GOTIME_PM,
    GOTIME_pm,
    GOTIME_TZ,
    GOTIME_ISO_SECONDS_TZ,  /* Z070000 */
    GOTIME_ISO_COLON_SECONDS_TZ, /* Z07:00:00 */
    GOTIME_ISO_TZ,          /* Z0700 */
    GOTIME_ISO_COLON_TZ,    /* Z07:00 */
    GOTIME_ISO_SHORT_TZ,    /* Z07 */
    GOTIME_NUM_SECONDS_TZ,  /* -070000 */
    GOTIME_NUM_COLON_SECONDS_TZ,
    GOTIME_NUM_TZ,
    GOTIME_NUM_COLON_TZ,
    GOTIME_NUM_SHORT_TZ,
    GOTIME_FRAC0, /* .000 */
    GOTIME_FRAC9, /* .999 */
};

typedef struct gotime_chunk {
    size_t prefix_len; /* literal text before the element */
    int std;
    size_t std_len;    /* length of the element in the layout */
    int frac_digits;
    char frac_sep;
} gotime_chunk;

static int gotime_lower_start(const char *s)
{
    return *s >= 'a' && *s <= 'z';
}

/* Go's nextStdChunk (Go 1.19: no year-day elements). */
static gotime_chunk gotime_next_chunk(const char *l)
{
    gotime_chunk c = {strlen(l), GOTIME_NONE, 0, 0, 0};
    static const int zero_x[] = {GOTIME_ZERO_MONTH, GOTIME_ZERO_DAY, GOTIME_ZERO_HOUR12,
                                 GOTIME_ZERO_MINUTE, GOTIME_ZERO_SECOND, GOTIME_YEAR};
    static const struct {
        const char *text;
        int std;
    } zones[] = {
        {"-070000", GOTIME_NUM_SECONDS_TZ}, {"-07:00:00", GOTIME_NUM_COLON_SECONDS_TZ},
        {"-0700", GOTIME_NUM_TZ},           {"-07:00", GOTIME_NUM_COLON_TZ},
        {"-07", GOTIME_NUM_SHORT_TZ},       {"Z070000", GOTIME_ISO_SECONDS_TZ},
        {"Z07:00:00", GOTIME_ISO_COLON_SECONDS_TZ}, {"Z0700", GOTIME_ISO_TZ},
        {"Z07:00", GOTIME_ISO_COLON_TZ},    {"Z07", GOTIME_ISO_SHORT_TZ},
    };
#define GOTIME_FOUND(s, n)                                                                                        \
    do {                                                                                                          \
        c.prefix_len = i;                                                                                         \
        c.std = (s);                                                                                              \
        c.std_len = (n);                                                                                          \
        return c;                                                                                                 \
    } while (0)
    for (size_t i = 0; l[i]; i++) {
        const char *p = l + i;
        switch (*p) {
        case 'J':
            if (strncmp(p, "Jan", 3) == 0) {
                if (strncmp(p, "January", 7) == 0)
                    GOTIME_FOUND(GOTIME_LONG_MONTH, 7);
                if (!gotime_lower_start(p + 3))
                    GOTIME_FOUND(GOTIME_MONTH, 3);
            }
            break;
        case 'M':
            if (strncmp(p, "Mon", 3) == 0) {
                if (strncmp(p, "Monday", 6) == 0)
                    GOTIME_FOUND(GOTIME_LONG_WEEKDAY, 6);
                if (!gotime_lower_start(p + 3))
                    GOTIME_FOUND(GOTIME_WEEKDAY, 3);
            }
            if (strncmp(p, "MST", 3) == 0)
                GOTIME_FOUND(GOTIME_TZ, 3);
            break;
        case '0':
            if (p[1] >= '1' && p[1] <= '6')
                GOTIME_FOUND(zero_x[p[1] - '1'], 2);
            break;
        case '1':
            if (p[1] == '5')
                GOTIME_FOUND(GOTIME_HOUR, 2);
            GOTIME_FOUND(GOTIME_NUM_MONTH, 1);
        case '2':
            if (strncmp(p, "2006", 4) == 0)
                GOTIME_FOUND(GOTIME_LONG_YEAR, 4);
            GOTIME_FOUND(GOTIME_DAY, 1);
        case '_':
            if (p[1] == '2') {
                if (strncmp(p + 1, "2006", 4) == 0) {
                    i++; /* a literal '_' followed by the year */
                    GOTIME_FOUND(GOTIME_LONG_YEAR, 4);
                }
                GOTIME_FOUND(GOTIME_UNDER_DAY, 2);
            }
            break;
        case '3':
            GOTIME_FOUND(GOTIME_HOUR12, 1);
        case '4':
            GOTIME_FOUND(GOTIME_MINUTE, 1);
        case '5':
            GOTIME_FOUND(GOTIME_SECOND, 1);
        case 'P':
            if (p[1] == 'M')
                GOTIME_FOUND(GOTIME_PM, 2);
            break;
        case 'p':
            if (p[1] == 'm')
                GOTIME_FOUND(GOTIME_pm, 2);
            break;
        case '-':
        case 'Z':
            for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++)
                if (zones[z].text[0] == *p && strncmp(p, zones[z].text, strlen(zones[z].text)) == 0)
                    GOTIME_FOUND(zones[z].std, strlen(zones[z].text));
            break;
        case '.':
        case ',':
            if (p[1] == '0' || p[1] == '9') {
                size_t j = 1;
                while (p[j] == p[1])
                    j++;
                if (!(p[j] >= '0' && p[j] <= '9')) {
                    c.frac_digits = (int)(j - 1);
                    c.frac_sep = *p;
                    GOTIME_FOUND(p[1] == '0' ? GOTIME_FRAC0 : GOTIME_FRAC9, j);
                }
            }
            break;
        }
    }
#undef GOTIME_FOUND
    return c;
}

/* Go's appendInt: optional '-', then at least `width` digits. */
static void gotime_put_int(strbuf *sb, int64_t x, int width)
{
    char digits[24];
    int n = 0;
    uint64_t u = x < 0 ? (uint64_t)(-(x + 1)) + 1 : (uint64_t)x;
    if (x < 0)
        strbuf_append(sb, "-", 1);
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int i = n; i < width; i++)
        strbuf_append(sb, "0", 1);
    while (n > 0)
        strbuf_append(sb, &digits[--n], 1);
}

static void gotime_put_zone(strbuf *sb, int std, int32_t offset)
{
    int iso = std == GOTIME_ISO_TZ || std == GOTIME_ISO_COLON_TZ || std == GOTIME_ISO_SECONDS_TZ ||
              std == GOTIME_ISO_SHORT_TZ || std == GOTIME_ISO_COLON_SECONDS_TZ;
    if (offset == 0 && iso) {
        strbuf_append(sb, "Z", 1);
        return;
    }
    int32_t zone = offset / 60, abs_offset = offset;
    if (zone < 0) {
        strbuf_append(sb, "-", 1);
        zone = -zone;
        abs_offset = -abs_offset;
    } else {
        strbuf_append(sb, "+", 1);
    }
    gotime_put_int(sb, zone / 60, 2);
    int colon = std == GOTIME_ISO_COLON_TZ || std == GOTIME_NUM_COLON_TZ || std == GOTIME_ISO_COLON_SECONDS_TZ ||
                std == GOTIME_NUM_COLON_SECONDS_TZ;
    if (colon)
        strbuf_append(sb, ":", 1);
    if (std != GOTIME_NUM_SHORT_TZ && std != GOTIME_ISO_SHORT_TZ)
        gotime_put_int(sb, zone % 60, 2);
    if (std == GOTIME_ISO_SECONDS_TZ || std == GOTIME_NUM_SECONDS_TZ || std == GOTIME_NUM_COLON_SECONDS_TZ ||
        std == GOTIME_ISO_COLON_SECONDS_TZ) {
        if (colon)
            strbuf_append(sb, ":", 1);
        gotime_put_int(sb, abs_offset % 60, 2);
    }
}

static void gotime_put_nano(strbuf *sb, int32_t nsec, const gotime_chunk *c)
{
    char buf[9];
    int32_t u = nsec;
    for (int i = 8; i >= 0; i--) {
        buf[i] = (char)('0' + u % 10);
        u /= 10;
    }
    int n = c->frac_digits > 9 ? 9 : c->frac_digits;
    if (c->std == GOTIME_FRAC9) {
        while (n > 0 && buf[n - 1] == '0')
            n--;
        if (n == 0)
            return;
    }
    strbuf_append(sb, &c->frac_sep, 1);
    strbuf_append(sb, buf, (size_t)n);
}

char *gotime_format(const gotime *t, const char *layout)
{
    strbuf sb = STRBUF_INIT;
    gotime_civil cv;
    gotime_civil_of(t, &cv);
    const char *l = layout;
    while (*l) {
        gotime_chunk c = gotime_next_chunk(l);
        strbuf_append(&sb, l, c.prefix_len);
        if (c.std == GOTIME_NONE)
            break;
        int hr12 = cv.hour % 12 == 0 ? 12 : cv.hour % 12;
        switch (c.std) {
        case GOTIME_YEAR:
            gotime_put_int(&sb, (cv.year < 0 ? -cv.year : cv.year) % 100, 2);
            break;
        case GOTIME_LONG_YEAR:
            gotime_put_int(&sb, cv.year, 4);
            break;
        case GOTIME_MONTH:
            strbuf_append(&sb, gotime_month_name(cv.month), 3);
            break;
        case GOTIME_LONG_MONTH:
            strbuf_puts(&sb, gotime_month_name(cv.month));
            break;
        case GOTIME_NUM_MONTH:
            gotime_put_int(&sb, cv.month, 0);
            break;
        case GOTIME_ZERO_MONTH:
            gotime_put_int(&sb, cv.month, 2);
            break;
        case GOTIME_WEEKDAY:
            strbuf_append(&sb, gotime_weekday_name(cv.weekday), 3);
            break;
        case GOTIME_LONG_WEEKDAY:
            strbuf_puts(&sb, gotime_weekday_name(cv.weekday));
            break;
        case GOTIME_DAY:
            gotime_put_int(&sb, cv.day, 0);
            break;
        case GOTIME_UNDER_DAY:
            if (cv.day < 10)
                strbuf_append(&sb, " ", 1);
            gotime_put_int(&sb, cv.day, 0);
            break;
        case GOTIME_ZERO_DAY:
            gotime_put_int(&sb, cv.day, 2);
            break;
        case GOTIME_HOUR:
            gotime_put_int(&sb, cv.hour, 2);
            break;
        case GOTIME_HOUR12:
            gotime_put_int(&sb, hr12, 0);
            break;
        case GOTIME_ZERO_HOUR12:
            gotime_put_int(&sb, hr12, 2);
            break;
        case GOTIME_MINUTE:
            gotime_put_int(&sb, cv.minute, 0);
            break;
        case GOTIME_ZERO_MINUTE:
            gotime_put_int(&sb, cv.minute, 2);
            break;
        case GOTIME_SECOND:
            gotime_put_int(&sb, cv.second, 0);
            break;
        case GOTIME_ZERO_SECOND:
            gotime_put_int(&sb, cv.second, 2);
            break;
        case GOTIME_PM:
            strbuf_puts(&sb, cv.hour >= 12 ? "PM" : "AM");
            break;
        case GOTIME_pm:
            strbuf_puts(&sb, cv.hour >= 12 ? "pm" : "am");
            break;
        case GOTIME_TZ:
            if (t->zone[0]) {
                strbuf_puts(&sb, t->zone);
            } else {
                int32_t zone = t->offset / 60;
                strbuf_append(&sb, zone < 0 ? "-" : "+", 1);
                if (zone < 0)
                    zone = -zone;
                gotime_put_int(&sb, zone / 60, 2);
                gotime_put_int(&sb, zone % 60, 2);
            }
            break;
        case GOTIME_FRAC0:
        case GOTIME_FRAC9:
            gotime_put_nano(&sb, t->nsec, &c);
            break;
        default:
            gotime_put_zone(&sb, c.std, t->offset);
            break;
        }
        l += c.prefix_len + c.std_len;
    }
    return strbuf_detach(&sb, NULL);
}

char *gotime_marshal(const gotime *t, char *err, size_t errcap)
{
    gotime_civil cv;
    gotime_civil_of(t, &cv);
    if (cv.year < 0 || cv.year >= 10000) {
        if (err)
            snprintf(err, errcap, "Time.MarshalJSON: year outside of range [0,9999]");
        return NULL;
    }
    char *out = gotime_format(t, "2006-01-02T15:04:05.999999999Z07:00");
    if (out == NULL && err)
        snprintf(err, errcap, "out of memory");
    return out;
}

char *gotime_string(const gotime *t)
{
    return gotime_format(t, "2006-01-02 15:04:05.999999999 -0700 MST");
}
