#include "core/interval.h"

#include "core/civil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_COUNT    10000
#define MAX_DURATION 1000000
#define DAY_MINUTES  1440

/* ---- small helpers ---- */

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *skip_spaces(const char *p)
{
    while (is_space(*p))
        p++;
    return p;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Reads a run of digits; *overflow is set when it does not fit in int64. */
static const char *read_number(const char *p, int64_t *out, bool *overflow)
{
    int64_t v = 0;
    *overflow = false;
    while (is_digit(*p)) {
        int dg = *p - '0';
        if (v > (INT64_MAX - dg) / 10)
            *overflow = true;
        else
            v = v * 10 + dg;
        p++;
    }
    *out = v;
    return p;
}

/* Trimmed length of s (without trailing white space). */
static int trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    return n > 4096 ? 4096 : (int)n;
}

static int span(const char *from, const char *to)
{
    size_t n = (size_t)(to - from);
    return n > 4096 ? 4096 : (int)n;
}

__attribute__((format(printf, 5, 6))) static bool fail(char *err, size_t errlen, const char *what,
                                                       const char *text, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return false;
    int n = snprintf(err, errlen, "invalid %s \"%s\": ", what, text);
    if (n < 0 || (size_t)n >= errlen)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- key types ---- */

/* "timestamp(N) with time zone" as format_type prints a typmod. */
static bool timestamp_with_typmod(const char *s, bool *tz)
{
    const char *p = s + strlen("timestamp(");
    if (!is_digit(*p))
        return false;
    while (is_digit(*p))
        p++;
    if (*p++ != ')')
        return false;
    if (strcmp(p, " with time zone") == 0)
        *tz = true;
    else if (strcmp(p, " without time zone") == 0)
        *tz = false;
    else
        return false;
    return true;
}

bool key_type_from_pg(const char *pg_type, KeyType *out)
{
    bool tz;
    if (!pg_type)
        return false;
    if (strcmp(pg_type, "timestamp with time zone") == 0 || strcmp(pg_type, "timestamptz") == 0)
        *out = KEY_TIMESTAMPTZ;
    else if (strcmp(pg_type, "timestamp without time zone") == 0 ||
             strcmp(pg_type, "timestamp") == 0)
        *out = KEY_TIMESTAMP;
    else if (strncmp(pg_type, "timestamp(", strlen("timestamp(")) == 0 &&
             timestamp_with_typmod(pg_type, &tz))
        *out = tz ? KEY_TIMESTAMPTZ : KEY_TIMESTAMP;
    else if (strcmp(pg_type, "date") == 0)
        *out = KEY_DATE;
    else if (strcmp(pg_type, "integer") == 0)
        *out = KEY_INTEGER;
    else if (strcmp(pg_type, "bigint") == 0)
        *out = KEY_BIGINT;
    else
        return false;
    return true;
}

const char *key_type_name(KeyType t)
{
    switch (t) {
    case KEY_TIMESTAMPTZ:
        return "timestamptz";
    case KEY_TIMESTAMP:
        return "timestamp";
    case KEY_DATE:
        return "date";
    case KEY_INTEGER:
        return "integer";
    case KEY_BIGINT:
        return "bigint";
    }
    return "unknown";
}

bool key_type_is_time(KeyType t)
{
    return t == KEY_TIMESTAMPTZ || t == KEY_TIMESTAMP || t == KEY_DATE;
}

/* ---- unit words ---- */

typedef enum Word {
    W_SECOND,
    W_MINUTE,
    W_HOUR,
    W_DAY,
    W_WEEK,
    W_MONTH,
    W_QUARTER,
    W_YEAR,
} Word;

typedef struct UnitWord {
    const char *name;
    Word word;
    bool adjective; /* "daily": only alone, for intervals */
} UnitWord;

static const UnitWord unit_words[] = {
    {"second", W_SECOND, false},   {"seconds", W_SECOND, false},   {"minute", W_MINUTE, false},
    {"minutes", W_MINUTE, false},  {"hour", W_HOUR, false},        {"hours", W_HOUR, false},
    {"day", W_DAY, false},         {"days", W_DAY, false},         {"week", W_WEEK, false},
    {"weeks", W_WEEK, false},      {"month", W_MONTH, false},      {"months", W_MONTH, false},
    {"quarter", W_QUARTER, false}, {"quarters", W_QUARTER, false}, {"year", W_YEAR, false},
    {"years", W_YEAR, false},      {"hourly", W_HOUR, true},       {"daily", W_DAY, true},
    {"weekly", W_WEEK, true},      {"monthly", W_MONTH, true},     {"quarterly", W_QUARTER, true},
    {"yearly", W_YEAR, true},      {"annually", W_YEAR, true},
};

static const UnitWord *lookup_word(const char *w, size_t len)
{
    for (size_t i = 0; i < sizeof unit_words / sizeof unit_words[0]; i++) {
        const char *name = unit_words[i].name;
        if (strlen(name) != len)
            continue;
        size_t j = 0;
        while (j < len && lower(w[j]) == name[j])
            j++;
        if (j == len)
            return &unit_words[i];
    }
    return NULL;
}

static const char *read_word(const char *p)
{
    while (is_alpha(*p))
        p++;
    return p;
}

/* ---- intervals ---- */

bool interval_parse(const char *text, PartInterval *out, char *err, size_t errlen)
{
    static const char what[] = "interval";
    if (!text)
        text = "";
    const char *start = skip_spaces(text);
    const char *p = start;
    bool neg = false, have_num = false, overflow = false;
    int64_t num = 0;

    if (*p == '\0')
        return fail(err, errlen, what, text, "empty");
    if (*p == '-') {
        neg = true;
        p++;
        if (!is_digit(*p))
            return fail(err, errlen, what, text, "expected a number after \"-\"");
    }
    if (is_digit(*p)) {
        have_num = true;
        p = read_number(p, &num, &overflow);
        if (*p == '.' && is_digit(p[1]))
            return fail(err, errlen, what, text, "the count must be a whole number");
    }
    const char *num_end = p;
    p = skip_spaces(p);

    if (*p == '\0') {
        /* A bare number: the interval of an integer key. */
        if (neg || num == 0)
            return fail(err, errlen, what, text, "the count must be at least 1");
        if (overflow)
            return fail(err, errlen, what, text, "the number is too large");
        out->unit = UNIT_NUMERIC;
        out->count = num;
        return true;
    }

    const char *wstart = p;
    const char *wend = read_word(p);
    if (wend == wstart) {
        if (have_num)
            return fail(err, errlen, what, text, "unexpected \"%.*s\" after \"%.*s\"",
                        trimmed_len(p), p, span(start, num_end), start);
        return fail(err, errlen, what, text, "expected a count and a unit such as \"1 day\"");
    }
    size_t wlen = (size_t)(wend - wstart);
    const char *rest = skip_spaces(wend);
    const UnitWord *uw = lookup_word(wstart, wlen);
    if (!uw) {
        if (!have_num && *rest != '\0')
            return fail(err, errlen, what, text, "expected a number before \"%.*s\"", (int)wlen,
                        wstart);
        return fail(err, errlen, what, text, "unknown unit \"%.*s\"", (int)wlen, wstart);
    }
    if (uw->word == W_SECOND)
        return fail(err, errlen, what, text,
                    "seconds are too fine for partitions; the smallest interval is 1 minute");
    if (*rest != '\0')
        return fail(err, errlen, what, text, "unexpected \"%.*s\" after \"%.*s\"",
                    trimmed_len(rest), rest, span(start, wend), start);
    if (uw->adjective && have_num)
        return fail(err, errlen, what, text, "\"%.*s\" takes no count", (int)wlen, wstart);

    int64_t count = have_num ? num : 1;
    if (neg || count == 0)
        return fail(err, errlen, what, text, "the count must be at least 1");
    if (overflow || count > MAX_COUNT)
        return fail(err, errlen, what, text, "the count must be at most %d", MAX_COUNT);

    switch (uw->word) {
    case W_MINUTE:
    case W_HOUR: {
        int64_t minutes = uw->word == W_HOUR ? count * 60 : count;
        if (minutes > DAY_MINUTES || DAY_MINUTES % minutes != 0) {
            if (uw->word == W_HOUR)
                return fail(err, errlen, what, text,
                            "hours must divide a day evenly (1, 2, 3, 4, 6, 8, 12, 24)");
            return fail(err, errlen, what, text,
                        "minutes must divide a day evenly "
                        "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, ...)");
        }
        if (minutes == DAY_MINUTES) {
            out->unit = UNIT_DAY;
            out->count = 1;
        } else {
            out->unit = UNIT_MINUTE;
            out->count = minutes;
        }
        return true;
    }
    case W_DAY:
        out->unit = UNIT_DAY;
        out->count = count;
        return true;
    case W_WEEK:
        out->unit = UNIT_WEEK;
        out->count = count;
        return true;
    case W_MONTH:
        out->unit = UNIT_MONTH;
        out->count = count;
        return true;
    case W_QUARTER:
        out->unit = UNIT_MONTH;
        out->count = count * 3;
        return true;
    case W_YEAR:
        out->unit = UNIT_MONTH;
        out->count = count * 12;
        return true;
    case W_SECOND:
        break;
    }
    return fail(err, errlen, what, text, "unknown unit \"%.*s\"", (int)wlen, wstart);
}

static void format_count(char *buf, size_t size, int64_t n, const char *unit)
{
    snprintf(buf, size, "%lld %s%s", (long long)n, unit, n == 1 ? "" : "s");
}

void interval_format(const PartInterval *iv, char buf[48])
{
    switch (iv->unit) {
    case UNIT_MINUTE:
        if (iv->count % 60 == 0)
            format_count(buf, 48, iv->count / 60, "hour");
        else
            format_count(buf, 48, iv->count, "minute");
        return;
    case UNIT_DAY:
        format_count(buf, 48, iv->count, "day");
        return;
    case UNIT_WEEK:
        format_count(buf, 48, iv->count, "week");
        return;
    case UNIT_MONTH:
        if (iv->count % 12 == 0)
            format_count(buf, 48, iv->count / 12, "year");
        else if (iv->count == 3)
            format_count(buf, 48, 1, "quarter");
        else
            format_count(buf, 48, iv->count, "month");
        return;
    case UNIT_NUMERIC:
        snprintf(buf, 48, "%lld", (long long)iv->count);
        return;
    }
    snprintf(buf, 48, "?");
}

bool interval_fits_key(const PartInterval *iv, KeyType key, char *err, size_t errlen)
{
    char ivtext[48];
    const char *kname = key_type_name(key);
    bool numeric = iv->unit == UNIT_NUMERIC;

    if (numeric == !key_type_is_time(key) && !(iv->unit == UNIT_MINUTE && key == KEY_DATE))
        return true;
    if (!err || errlen == 0)
        return false;
    interval_format(iv, ivtext);
    if (numeric)
        snprintf(err, errlen,
                 "interval \"%s\" is a number, but column type %s needs a time interval such as "
                 "\"1 day\"",
                 ivtext, kname);
    else if (!key_type_is_time(key))
        snprintf(err, errlen,
                 "interval \"%s\" is a time interval, but column type %s needs a number such as "
                 "\"100000\"",
                 ivtext, kname);
    else
        snprintf(err, errlen,
                 "interval \"%s\" is shorter than a day, which a %s column cannot hold", ivtext,
                 kname);
    return false;
}

/* ---- the grid ---- */

/* 1969-12-29 00:00, a Monday: the origin of the week grid. */
#define WEEK_ORIGIN (-3 * CIVIL_DAY)

static int64_t floor_to_step(int64_t v, int64_t origin, int64_t step)
{
    int64_t q = floor_div(sat_add(v, -origin), step);
    return sat_add(sat_mul(q, step), origin);
}

static int64_t month_index(int64_t v)
{
    CivilFields f;
    civil_to_fields(v, &f);
    return (int64_t)f.year * 12 + (f.month - 1);
}

static int64_t month_start(int64_t idx)
{
    CivilFields f = {0, 1, 1, 0, 0, 0};
    int64_t y = floor_div(idx, 12);
    f.year = (int)y;
    f.month = (int)(idx - y * 12) + 1;
    return civil_from_fields(&f);
}

int64_t grid_floor(const PartInterval *iv, int64_t v)
{
    int64_t count = iv->count > 0 ? iv->count : 1;
    switch (iv->unit) {
    case UNIT_MINUTE:
        return floor_to_step(v, 0, sat_mul(count, 60));
    case UNIT_DAY:
        return floor_to_step(v, 0, sat_mul(count, CIVIL_DAY));
    case UNIT_WEEK:
        return floor_to_step(v, WEEK_ORIGIN, sat_mul(count, 7 * CIVIL_DAY));
    case UNIT_MONTH: {
        int64_t idx = month_index(v);
        return month_start(floor_div(idx, count) * count);
    }
    case UNIT_NUMERIC:
        return floor_to_step(v, 0, count);
    }
    return v;
}

int64_t grid_next(const PartInterval *iv, int64_t v)
{
    int64_t count = iv->count > 0 ? iv->count : 1;
    int64_t lo = grid_floor(iv, v);
    switch (iv->unit) {
    case UNIT_MINUTE:
        return sat_add(lo, sat_mul(count, 60));
    case UNIT_DAY:
        return sat_add(lo, sat_mul(count, CIVIL_DAY));
    case UNIT_WEEK:
        return sat_add(lo, sat_mul(count, 7 * CIVIL_DAY));
    case UNIT_MONTH:
        return month_start(month_index(lo) + count);
    case UNIT_NUMERIC:
        return sat_add(lo, count);
    }
    return v;
}

/* ---- durations ---- */

bool duration_parse(const char *text, Duration *out, char *err, size_t errlen)
{
    static const char what[] = "duration";
    if (!text)
        text = "";
    const char *start = skip_spaces(text);
    const char *p = start;
    Duration d = {0, 0, 0};
    int pairs = 0;

    if (*p == '\0')
        return fail(err, errlen, what, text, "empty");
    for (;;) {
        const char *prev_end = p; /* end of the previous pair */
        p = skip_spaces(p);
        if (*p == '\0')
            break;
        if (*p == '-')
            return fail(err, errlen, what, text, "negative values are not allowed");
        if (is_alpha(*p)) {
            const char *wend = read_word(p);
            return fail(err, errlen, what, text, "expected a number before \"%.*s\"", span(p, wend),
                        p);
        }
        if (!is_digit(*p)) {
            if (pairs == 0)
                return fail(err, errlen, what, text,
                            "expected a number and a unit such as \"30 days\"");
            return fail(err, errlen, what, text, "unexpected \"%.*s\" after \"%.*s\"",
                        trimmed_len(p), p, span(start, prev_end), start);
        }

        const char *nstart = p;
        int64_t num;
        bool overflow;
        p = read_number(p, &num, &overflow);
        const char *nend = p;
        if (*p == '.' && is_digit(p[1])) {
            while (is_digit(*++p))
                ;
            return fail(err, errlen, what, text, "\"%.*s\" is not a whole number", span(nstart, p),
                        nstart);
        }
        p = skip_spaces(p);
        if (*p == '\0' && pairs == 0 && !overflow && num == 0) {
            *out = d; /* the bare "0" */
            return true;
        }
        if (!is_alpha(*p))
            return fail(err, errlen, what, text, "expected a unit after \"%.*s\"",
                        span(nstart, nend), nstart);
        const char *wstart = p;
        const char *wend = read_word(p);
        const UnitWord *uw = lookup_word(wstart, (size_t)(wend - wstart));
        if (!uw || uw->adjective)
            return fail(err, errlen, what, text, "unknown unit \"%.*s\"", span(wstart, wend),
                        wstart);
        if (overflow || num > MAX_DURATION)
            return fail(err, errlen, what, text, "%.*s is too large (at most %d)",
                        span(nstart, nend), nstart, MAX_DURATION);
        switch (uw->word) {
        case W_SECOND:
            d.seconds += num;
            break;
        case W_MINUTE:
            d.seconds += num * 60;
            break;
        case W_HOUR:
            d.seconds += num * 3600;
            break;
        case W_DAY:
            d.days += num;
            break;
        case W_WEEK:
            d.days += num * 7;
            break;
        case W_MONTH:
            d.months += num;
            break;
        case W_QUARTER:
            d.months += num * 3;
            break;
        case W_YEAR:
            d.months += num * 12;
            break;
        }
        pairs++;
        p = wend;
    }
    *out = d;
    return true;
}

static void append_part(char *buf, size_t size, size_t *pos, int64_t n, const char *unit)
{
    if (n == 0 || *pos >= size)
        return;
    int w = snprintf(buf + *pos, size - *pos, "%s%lld %s%s", *pos ? " " : "", (long long)n, unit,
                     n == 1 ? "" : "s");
    if (w > 0)
        *pos += (size_t)w;
}

void duration_format(const Duration *d, char buf[96])
{
    size_t pos = 0;
    buf[0] = '\0';
    append_part(buf, 96, &pos, d->months / 12, "year");
    append_part(buf, 96, &pos, d->months % 12, "month");
    append_part(buf, 96, &pos, d->days, "day");
    append_part(buf, 96, &pos, d->seconds / 3600, "hour");
    append_part(buf, 96, &pos, d->seconds / 60 % 60, "minute");
    append_part(buf, 96, &pos, d->seconds % 60, "second");
    if (pos == 0)
        snprintf(buf, 96, "0");
}

bool duration_is_zero(const Duration *d)
{
    return d->months == 0 && d->days == 0 && d->seconds == 0;
}

int64_t civil_add_duration(int64_t t, const Duration *d, int sign)
{
    int64_t s = sign < 0 ? -1 : 1;
    t = civil_add_months(t, s * d->months);
    t = sat_add(t, sat_mul(s * d->days, CIVIL_DAY));
    return sat_add(t, s * d->seconds);
}

bool duration_covers_interval(const Duration *d, const PartInterval *iv, int64_t at)
{
    if (iv->unit == UNIT_NUMERIC)
        return true;
    int64_t lo = grid_floor(iv, at);
    int64_t hi = grid_next(iv, at);
    return civil_add_duration(lo, d, 1) >= hi;
}

/* ---- key values ---- */

void key_format(KeyType key, int64_t v, char buf[48])
{
    char tmp[32];
    switch (key) {
    case KEY_TIMESTAMPTZ:
    case KEY_TIMESTAMP:
    case KEY_DATE:
        civil_format(v, key != KEY_DATE, tmp);
        snprintf(buf, 48, "%s", tmp);
        return;
    case KEY_INTEGER:
    case KEY_BIGINT:
        break;
    }
    snprintf(buf, 48, "%lld", (long long)v);
}

/* An optional '-' and digits, nothing else, within int64. */
static bool parse_int64(const char *text, int64_t *out)
{
    const char *p = text;
    bool neg = false;
    uint64_t mag = 0;
    const uint64_t limit = (uint64_t)INT64_MAX + 1; /* magnitude of INT64_MIN */

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (!is_digit(*p))
        return false;
    while (is_digit(*p)) {
        uint64_t dg = (uint64_t)(*p - '0');
        if (mag > (limit - dg) / 10)
            return false;
        mag = mag * 10 + dg;
        p++;
    }
    if (*p != '\0')
        return false;
    if (!neg && mag > (uint64_t)INT64_MAX)
        return false;
    if (neg)
        *out = mag == limit ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return true;
}

bool key_parse(KeyType key, const char *text, int64_t *out)
{
    int64_t v;
    if (!text)
        return false;
    switch (key) {
    case KEY_TIMESTAMPTZ:
    case KEY_TIMESTAMP:
        if (!civil_parse(text, &v))
            return false;
        break;
    case KEY_DATE:
        if (!civil_parse(text, &v) || civil_day_number(v) * CIVIL_DAY != v)
            return false;
        break;
    case KEY_INTEGER:
        if (!parse_int64(text, &v) || v < INT32_MIN || v > INT32_MAX)
            return false;
        break;
    case KEY_BIGINT:
        if (!parse_int64(text, &v))
            return false;
        break;
    default:
        return false;
    }
    *out = v;
    return true;
}

bool key_parse_printed(KeyType key, const char *text, size_t len, int64_t *out)
{
    char buf[64];
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (key == KEY_TIMESTAMPTZ && len > 19) {
        char *offset = buf + 19;
        while (*offset == '.' || (*offset >= '0' && *offset <= '9'))
            offset++;
        if (*offset != '+' && *offset != '-')
            return false;
        *offset = '\0';
    }
    return key_parse(key, buf, out);
}
