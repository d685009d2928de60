/* Unit tests for core/interval.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/interval.h"

/* ---- helpers ---- */

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

static void assert_civil(int64_t t, const char *want)
{
    char buf[32];
    civil_format(t, true, buf);
    assert_string_equal(buf, want);
}

static PartInterval IV(const char *text)
{
    PartInterval iv = {UNIT_DAY, 0};
    char err[256] = "";
    if (!interval_parse(text, &iv, err, sizeof err))
        fail_msg("interval_parse rejected \"%s\": %s", text, err);
    return iv;
}

static Duration D(const char *text)
{
    Duration d = {-1, -1, -1};
    char err[256] = "";
    if (!duration_parse(text, &d, err, sizeof err))
        fail_msg("duration_parse rejected \"%s\": %s", text, err);
    return d;
}

static void assert_iv(const char *text, IntervalUnit unit, int64_t count)
{
    PartInterval iv = IV(text);
    if (iv.unit != unit || iv.count != count)
        fail_msg("\"%s\": got unit %d count %lld, want unit %d count %lld", text, (int)iv.unit,
                 (long long)iv.count, (int)unit, (long long)count);
}

static void assert_iv_error(const char *text, const char *want)
{
    PartInterval iv = {UNIT_DAY, 42};
    char err[512] = "";
    if (interval_parse(text, &iv, err, sizeof err))
        fail_msg("interval_parse accepted \"%s\"", text);
    assert_string_equal(err, want);
    assert_int_equal(iv.count, 42); /* untouched */
}

static void assert_duration(const char *text, int64_t months, int64_t days, int64_t seconds)
{
    Duration d = D(text);
    if (d.months != months || d.days != days || d.seconds != seconds)
        fail_msg("\"%s\": got %lld/%lld/%lld, want %lld/%lld/%lld", text, (long long)d.months,
                 (long long)d.days, (long long)d.seconds, (long long)months, (long long)days,
                 (long long)seconds);
}

static void assert_duration_error(const char *text, const char *want)
{
    Duration d = {7, 7, 7};
    char err[512] = "";
    if (duration_parse(text, &d, err, sizeof err))
        fail_msg("duration_parse accepted \"%s\"", text);
    assert_string_equal(err, want);
    assert_true(d.months == 7 && d.days == 7 && d.seconds == 7);
}

/* ---- key types ---- */

static void test_key_types(void **state)
{
    (void)state;
    KeyType k;
    assert_true(key_type_from_pg("timestamp with time zone", &k));
    assert_int_equal(k, KEY_TIMESTAMPTZ);
    assert_true(key_type_from_pg("timestamp without time zone", &k));
    assert_int_equal(k, KEY_TIMESTAMP);
    assert_true(key_type_from_pg("timestamp(3) with time zone", &k));
    assert_int_equal(k, KEY_TIMESTAMPTZ);
    assert_true(key_type_from_pg("timestamp(0) without time zone", &k));
    assert_int_equal(k, KEY_TIMESTAMP);
    assert_true(key_type_from_pg("date", &k));
    assert_int_equal(k, KEY_DATE);
    assert_true(key_type_from_pg("integer", &k));
    assert_int_equal(k, KEY_INTEGER);
    assert_true(key_type_from_pg("bigint", &k));
    assert_int_equal(k, KEY_BIGINT);
    /* our own short names map back too */
    for (int i = KEY_TIMESTAMPTZ; i <= KEY_BIGINT; i++) {
        assert_true(key_type_from_pg(key_type_name((KeyType)i), &k));
        assert_int_equal(k, i);
    }

    k = KEY_BIGINT;
    assert_false(key_type_from_pg("smallint", &k));
    assert_false(key_type_from_pg("text", &k));
    assert_false(key_type_from_pg("numeric", &k));
    assert_false(key_type_from_pg("", &k));
    assert_false(key_type_from_pg("timestamp() with time zone", &k));
    assert_false(key_type_from_pg("timestamp(3)", &k));
    assert_false(key_type_from_pg("Date", &k));
    assert_false(key_type_from_pg(NULL, &k));
    assert_int_equal(k, KEY_BIGINT);

    assert_string_equal(key_type_name(KEY_TIMESTAMPTZ), "timestamptz");
    assert_string_equal(key_type_name(KEY_TIMESTAMP), "timestamp");
    assert_string_equal(key_type_name(KEY_DATE), "date");
    assert_string_equal(key_type_name(KEY_INTEGER), "integer");
    assert_string_equal(key_type_name(KEY_BIGINT), "bigint");

    assert_true(key_type_is_time(KEY_TIMESTAMPTZ));
    assert_true(key_type_is_time(KEY_TIMESTAMP));
    assert_true(key_type_is_time(KEY_DATE));
    assert_false(key_type_is_time(KEY_INTEGER));
    assert_false(key_type_is_time(KEY_BIGINT));
}

/* ---- interval_parse ---- */

static void test_interval_parse_ok(void **state)
{
    (void)state;
    assert_iv("15 minutes", UNIT_MINUTE, 15);
    assert_iv("1 minute", UNIT_MINUTE, 1);
    assert_iv("minute", UNIT_MINUTE, 1);
    assert_iv("30 minutes", UNIT_MINUTE, 30);
    assert_iv("720 minutes", UNIT_MINUTE, 720);
    assert_iv("2 hours", UNIT_MINUTE, 120);
    assert_iv("hour", UNIT_MINUTE, 60);
    assert_iv("1 hour", UNIT_MINUTE, 60);
    assert_iv("hourly", UNIT_MINUTE, 60);
    assert_iv("12 hours", UNIT_MINUTE, 720);
    assert_iv("8 hours", UNIT_MINUTE, 480);
    assert_iv("24 hours", UNIT_DAY, 1); /* a whole day is a day */
    assert_iv("1440 minutes", UNIT_DAY, 1);
    assert_iv("1 day", UNIT_DAY, 1);
    assert_iv("day", UNIT_DAY, 1);
    assert_iv("daily", UNIT_DAY, 1);
    assert_iv("3 days", UNIT_DAY, 3);
    assert_iv("10000 days", UNIT_DAY, 10000);
    assert_iv("2 weeks", UNIT_WEEK, 2);
    assert_iv("week", UNIT_WEEK, 1);
    assert_iv("weekly", UNIT_WEEK, 1);
    assert_iv("1 month", UNIT_MONTH, 1);
    assert_iv("monthly", UNIT_MONTH, 1);
    assert_iv("6 months", UNIT_MONTH, 6);
    assert_iv("quarter", UNIT_MONTH, 3);
    assert_iv("1 quarter", UNIT_MONTH, 3);
    assert_iv("quarterly", UNIT_MONTH, 3);
    assert_iv("2 quarters", UNIT_MONTH, 6);
    assert_iv("1 year", UNIT_MONTH, 12);
    assert_iv("yearly", UNIT_MONTH, 12);
    assert_iv("annually", UNIT_MONTH, 12);
    assert_iv("2 years", UNIT_MONTH, 24);
    assert_iv("100000", UNIT_NUMERIC, 100000);
    assert_iv("1", UNIT_NUMERIC, 1);
    assert_iv("9223372036854775807", UNIT_NUMERIC, INT64_MAX);
    /* case, spacing */
    assert_iv("  3   DAYS  ", UNIT_DAY, 3);
    assert_iv("1Day", UNIT_DAY, 1);
    assert_iv("\t2\tWeeks\n", UNIT_WEEK, 2);
    assert_iv("Monthly", UNIT_MONTH, 1);
    assert_iv("ANNUALLY", UNIT_MONTH, 12);
    assert_iv(" 100 ", UNIT_NUMERIC, 100);
    assert_iv("007 days", UNIT_DAY, 7);
}

static void test_interval_parse_errors(void **state)
{
    (void)state;
    assert_iv_error("", "invalid interval \"\": empty");
    assert_iv_error("   ", "invalid interval \"   \": empty");
    assert_iv_error("0 days", "invalid interval \"0 days\": the count must be at least 1");
    assert_iv_error("-1 day", "invalid interval \"-1 day\": the count must be at least 1");
    assert_iv_error("0", "invalid interval \"0\": the count must be at least 1");
    assert_iv_error("-100", "invalid interval \"-100\": the count must be at least 1");
    assert_iv_error("-5 hours", "invalid interval \"-5 hours\": the count must be at least 1");
    assert_iv_error("10001 days",
                    "invalid interval \"10001 days\": the count must be at most 10000");
    assert_iv_error("99999999999999999999 days",
                    "invalid interval \"99999999999999999999 days\": the count must be at most "
                    "10000");
    assert_iv_error("99999999999999999999",
                    "invalid interval \"99999999999999999999\": the number is too large");
    assert_iv_error("1 fortnight", "invalid interval \"1 fortnight\": unknown unit \"fortnight\"");
    assert_iv_error("fortnight", "invalid interval \"fortnight\": unknown unit \"fortnight\"");
    assert_iv_error("1 mins", "invalid interval \"1 mins\": unknown unit \"mins\"");
    assert_iv_error("ten days", "invalid interval \"ten days\": expected a number before \"ten\"");
    assert_iv_error("7 minutes", "invalid interval \"7 minutes\": minutes must divide a day evenly "
                                 "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, ...)");
    assert_iv_error("2000 minutes", "invalid interval \"2000 minutes\": minutes must divide a day "
                                    "evenly (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, ...)");
    assert_iv_error("5 hours", "invalid interval \"5 hours\": hours must divide a day evenly "
                               "(1, 2, 3, 4, 6, 8, 12, 24)");
    assert_iv_error("48 hours", "invalid interval \"48 hours\": hours must divide a day evenly "
                                "(1, 2, 3, 4, 6, 8, 12, 24)");
    assert_iv_error("30 seconds", "invalid interval \"30 seconds\": seconds are too fine for "
                                  "partitions; the smallest interval is 1 minute");
    assert_iv_error("second", "invalid interval \"second\": seconds are too fine for partitions; "
                              "the smallest interval is 1 minute");
    assert_iv_error("1 day; DROP TABLE x",
                    "invalid interval \"1 day; DROP TABLE x\": unexpected \"; DROP TABLE x\" after "
                    "\"1 day\"");
    assert_iv_error("1 day 2 hours",
                    "invalid interval \"1 day 2 hours\": unexpected \"2 hours\" after \"1 day\"");
    assert_iv_error("daily please",
                    "invalid interval \"daily please\": unexpected \"please\" after \"daily\"");
    assert_iv_error("1 ;", "invalid interval \"1 ;\": unexpected \";\" after \"1\"");
    assert_iv_error("1.5 days", "invalid interval \"1.5 days\": the count must be a whole number");
    assert_iv_error("2 daily", "invalid interval \"2 daily\": \"daily\" takes no count");
    assert_iv_error("-day", "invalid interval \"-day\": expected a number after \"-\"");
    assert_iv_error("; DROP TABLE x",
                    "invalid interval \"; DROP TABLE x\": expected a count and a unit such as "
                    "\"1 day\"");
    assert_iv_error("+1 day",
                    "invalid interval \"+1 day\": expected a count and a unit such as \"1 day\"");
    /* the user's text is quoted as typed, quotes and all */
    assert_iv_error(
        "\"1 day\"",
        "invalid interval \"\"1 day\"\": expected a count and a unit such as \"1 day\"");
    assert_iv_error("1 day'", "invalid interval \"1 day'\": unexpected \"'\" after \"1 day\"");
}

static void test_interval_parse_err_buffers(void **state)
{
    (void)state;
    PartInterval iv;
    char small[12];
    /* a short buffer truncates, still NUL-terminated */
    assert_false(interval_parse("1 fortnight", &iv, small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, "invalid int", sizeof small);
    /* no buffer at all is fine */
    assert_false(interval_parse("1 fortnight", &iv, NULL, 0));
    char one[1] = {'x'};
    assert_false(interval_parse("", &iv, one, sizeof one));
    assert_int_equal(one[0], '\0');
    /* a long text is cut, not overrun */
    char longtext[600];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    char err[64];
    assert_false(interval_parse(longtext, &iv, err, sizeof err));
    assert_int_equal(strlen(err), sizeof err - 1);
}

/* ---- interval_format ---- */

static void assert_iv_format(const char *text, const char *want)
{
    PartInterval iv = IV(text);
    char buf[48];
    interval_format(&iv, buf);
    assert_string_equal(buf, want);
    PartInterval back = IV(buf);
    assert_int_equal(back.unit, iv.unit);
    assert_true(back.count == iv.count);
}

static void test_interval_format(void **state)
{
    (void)state;
    assert_iv_format("15 minutes", "15 minutes");
    assert_iv_format("minute", "1 minute");
    assert_iv_format("60 minutes", "1 hour");
    assert_iv_format("hourly", "1 hour");
    assert_iv_format("120 minutes", "2 hours");
    assert_iv_format("90 minutes", "90 minutes");
    assert_iv_format("daily", "1 day");
    assert_iv_format("3 days", "3 days");
    assert_iv_format("weekly", "1 week");
    assert_iv_format("2 weeks", "2 weeks");
    assert_iv_format("monthly", "1 month");
    assert_iv_format("6 months", "6 months");
    assert_iv_format("2 quarters", "6 months");
    assert_iv_format("quarterly", "1 quarter");
    assert_iv_format("3 months", "1 quarter");
    assert_iv_format("9 months", "9 months");
    assert_iv_format("12 months", "1 year");
    assert_iv_format("4 quarters", "1 year");
    assert_iv_format("annually", "1 year");
    assert_iv_format("2 years", "2 years");
    assert_iv_format("24 hours", "1 day");
    assert_iv_format("100000", "100000");
    assert_iv_format("9223372036854775807", "9223372036854775807");
}

/* Every valid interval formats to text that parses back to it. */
static void test_interval_round_trip_all(void **state)
{
    (void)state;
    static const IntervalUnit units[] = {UNIT_MINUTE, UNIT_DAY, UNIT_WEEK, UNIT_MONTH,
                                         UNIT_NUMERIC};
    int checked = 0;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        for (int64_t c = 1; c <= 10000; c++) {
            if (units[u] == UNIT_MINUTE && (c >= 1440 || 1440 % c != 0))
                continue;
            PartInterval iv = {units[u], c};
            char buf[48];
            interval_format(&iv, buf);
            PartInterval back = IV(buf);
            if (back.unit != iv.unit || back.count != iv.count)
                fail_msg("\"%s\" did not round-trip (unit %d count %lld)", buf, (int)iv.unit,
                         (long long)c);
            checked++;
        }
    }
    assert_true(checked > 40000);
}

/* ---- interval_fits_key ---- */

static void test_interval_fits_key(void **state)
{
    (void)state;
    char err[256];
    PartInterval num = IV("1000"), day = IV("1 day"), hour = IV("1 hour"), qtr = IV("quarter");

    assert_true(interval_fits_key(&day, KEY_TIMESTAMPTZ, err, sizeof err));
    assert_true(interval_fits_key(&day, KEY_TIMESTAMP, err, sizeof err));
    assert_true(interval_fits_key(&day, KEY_DATE, err, sizeof err));
    assert_true(interval_fits_key(&qtr, KEY_DATE, err, sizeof err));
    assert_true(interval_fits_key(&hour, KEY_TIMESTAMPTZ, err, sizeof err));
    assert_true(interval_fits_key(&hour, KEY_TIMESTAMP, err, sizeof err));
    assert_true(interval_fits_key(&num, KEY_INTEGER, err, sizeof err));
    assert_true(interval_fits_key(&num, KEY_BIGINT, err, sizeof err));

    assert_false(interval_fits_key(&num, KEY_TIMESTAMPTZ, err, sizeof err));
    assert_string_equal(err, "interval \"1000\" is a number, but column type timestamptz needs a "
                             "time interval such as \"1 day\"");
    assert_false(interval_fits_key(&num, KEY_DATE, err, sizeof err));
    assert_string_equal(err, "interval \"1000\" is a number, but column type date needs a time "
                             "interval such as \"1 day\"");
    assert_false(interval_fits_key(&day, KEY_BIGINT, err, sizeof err));
    assert_string_equal(err, "interval \"1 day\" is a time interval, but column type bigint needs "
                             "a number such as \"100000\"");
    assert_false(interval_fits_key(&hour, KEY_INTEGER, err, sizeof err));
    assert_string_equal(err, "interval \"1 hour\" is a time interval, but column type integer "
                             "needs a number such as \"100000\"");
    assert_false(interval_fits_key(&hour, KEY_DATE, err, sizeof err));
    assert_string_equal(
        err, "interval \"1 hour\" is shorter than a day, which a date column cannot hold");
    assert_false(interval_fits_key(&hour, KEY_DATE, NULL, 0));
}

/* ---- the grid ---- */

static void assert_grid(const char *ivtext, const char *at, const char *lo, const char *hi)
{
    PartInterval iv = IV(ivtext);
    int64_t v = T(at);
    assert_civil(grid_floor(&iv, v), lo);
    assert_civil(grid_next(&iv, v), hi);
}

static void test_grid_minutes(void **state)
{
    (void)state;
    assert_grid("15 minutes", "2026-11-22 13:47:12", "2026-11-22 13:45:00", "2026-11-22 14:00:00");
    assert_grid("15 minutes", "2026-11-22 13:45:00", "2026-11-22 13:45:00", "2026-11-22 14:00:00");
    assert_grid("15 minutes", "2026-11-22 13:44:59", "2026-11-22 13:30:00", "2026-11-22 13:45:00");
    assert_grid("15 minutes", "2026-11-22 23:59:59", "2026-11-22 23:45:00", "2026-11-23 00:00:00");
    assert_grid("hourly", "1969-12-31 23:59:59", "1969-12-31 23:00:00", "1970-01-01 00:00:00");
    assert_grid("2 hours", "2026-11-22 13:00:00", "2026-11-22 12:00:00", "2026-11-22 14:00:00");
    assert_grid("12 hours", "1969-06-01 11:00:00", "1969-06-01 00:00:00", "1969-06-01 12:00:00");
    assert_grid("minute", "2026-11-22 13:47:12", "2026-11-22 13:47:00", "2026-11-22 13:48:00");
}

static void test_grid_days(void **state)
{
    (void)state;
    assert_grid("daily", "2026-11-22 13:47:12", "2026-11-22 00:00:00", "2026-11-23 00:00:00");
    assert_grid("daily", "2026-11-22 00:00:00", "2026-11-22 00:00:00", "2026-11-23 00:00:00");
    assert_grid("daily", "1969-12-31 23:59:59", "1969-12-31 00:00:00", "1970-01-01 00:00:00");
    assert_grid("daily", "2024-02-28 10:00:00", "2024-02-28 00:00:00", "2024-02-29 00:00:00");
    /* 3-day cells counted from 1970-01-01: 2026-11-22 is day 20779 = 3 * 6926 + 1 */
    assert_grid("3 days", "2026-11-22 10:00:00", "2026-11-21 00:00:00", "2026-11-24 00:00:00");
    assert_grid("3 days", "1969-12-31 10:00:00", "1969-12-29 00:00:00", "1970-01-01 00:00:00");
}

static void test_grid_weeks(void **state)
{
    (void)state;
    /* 2026-11-22 is a Sunday; its ISO week starts Monday 2026-11-16. */
    assert_int_equal(civil_weekday(T("2026-11-22")), 6);
    assert_grid("weekly", "2026-11-22 23:59:59", "2026-11-16 00:00:00", "2026-11-23 00:00:00");
    assert_grid("weekly", "2026-11-16 00:00:00", "2026-11-16 00:00:00", "2026-11-23 00:00:00");
    assert_grid("weekly", "2026-11-15 23:59:59", "2026-11-09 00:00:00", "2026-11-16 00:00:00");
    assert_grid("weekly", "1970-01-01 00:00:00", "1969-12-29 00:00:00", "1970-01-05 00:00:00");
    assert_grid("weekly", "1969-12-28 23:59:59", "1969-12-22 00:00:00", "1969-12-29 00:00:00");
    assert_grid("weekly", "2027-01-01 00:00:00", "2026-12-28 00:00:00", "2027-01-04 00:00:00");
    /* 2-week cells counted from Monday 1969-12-29: 2026-11-16 starts week 2968 */
    assert_grid("2 weeks", "2026-11-22 12:00:00", "2026-11-16 00:00:00", "2026-11-30 00:00:00");
    assert_grid("2 weeks", "2026-11-25 12:00:00", "2026-11-16 00:00:00", "2026-11-30 00:00:00");
    assert_grid("2 weeks", "2026-11-10 12:00:00", "2026-11-02 00:00:00", "2026-11-16 00:00:00");
    assert_grid("2 weeks", "1969-12-28 12:00:00", "1969-12-15 00:00:00", "1969-12-29 00:00:00");

    /* every weekly bound is a Monday */
    PartInterval w = IV("3 weeks");
    for (int64_t t = T("1900-01-01"); t < T("2100-01-01"); t += 1234567) {
        int64_t lo = grid_floor(&w, t);
        assert_int_equal(civil_weekday(lo), 0);
        assert_int_equal(civil_weekday(grid_next(&w, t)), 0);
    }
}

static void test_grid_months(void **state)
{
    (void)state;
    assert_grid("monthly", "2026-11-22 13:00:00", "2026-11-01 00:00:00", "2026-12-01 00:00:00");
    assert_grid("monthly", "2026-12-31 23:59:59", "2026-12-01 00:00:00", "2027-01-01 00:00:00");
    assert_grid("monthly", "2024-02-29 12:00:00", "2024-02-01 00:00:00", "2024-03-01 00:00:00");
    assert_grid("monthly", "1969-12-31 23:59:59", "1969-12-01 00:00:00", "1970-01-01 00:00:00");
    assert_grid("quarterly", "2026-11-22 00:00:00", "2026-10-01 00:00:00", "2027-01-01 00:00:00");
    assert_grid("quarterly", "2026-02-15 00:00:00", "2026-01-01 00:00:00", "2026-04-01 00:00:00");
    assert_grid("quarterly", "2026-06-30 23:59:59", "2026-04-01 00:00:00", "2026-07-01 00:00:00");
    assert_grid("quarterly", "2026-07-01 00:00:00", "2026-07-01 00:00:00", "2026-10-01 00:00:00");
    assert_grid("quarterly", "1969-11-05 00:00:00", "1969-10-01 00:00:00", "1970-01-01 00:00:00");
    assert_grid("2 quarters", "2026-11-22 00:00:00", "2026-07-01 00:00:00", "2027-01-01 00:00:00");
    assert_grid("yearly", "2026-11-22 00:00:00", "2026-01-01 00:00:00", "2027-01-01 00:00:00");
    assert_grid("yearly", "1969-12-31 23:59:59", "1969-01-01 00:00:00", "1970-01-01 00:00:00");
    assert_grid("2 years", "2025-06-01 00:00:00", "2024-01-01 00:00:00", "2026-01-01 00:00:00");
    /* 5 months: index 2026*12 + 10 = 24322 -> 24320 = September 2026 */
    assert_grid("5 months", "2026-11-22 00:00:00", "2026-09-01 00:00:00", "2027-02-01 00:00:00");
}

static void test_grid_numeric(void **state)
{
    (void)state;
    PartInterval h = IV("100");
    assert_true(grid_floor(&h, -1) == -100);
    assert_true(grid_next(&h, -1) == 0);
    assert_true(grid_floor(&h, 0) == 0);
    assert_true(grid_next(&h, 0) == 100);
    assert_true(grid_floor(&h, 99) == 0);
    assert_true(grid_floor(&h, 100) == 100);
    assert_true(grid_next(&h, 100) == 200);
    assert_true(grid_floor(&h, -100) == -100);
    assert_true(grid_floor(&h, -101) == -200);
    assert_true(grid_next(&h, -101) == -100);
    /* the ends of the bigint range saturate instead of overflowing */
    assert_true(grid_floor(&h, INT64_MIN) == INT64_MIN);
    assert_true(grid_next(&h, INT64_MAX) == INT64_MAX);
    assert_true(grid_floor(&h, INT64_MAX) == INT64_MAX - 7);
    PartInterval big = IV("9223372036854775807");
    assert_true(grid_floor(&big, 5) == 0);
    assert_true(grid_next(&big, 5) == INT64_MAX);
    assert_true(grid_floor(&big, -5) == -INT64_MAX);
    assert_true(grid_next(&big, -5) == 0);
}

/* lo <= v < hi, and lo and hi are themselves grid points. */
static void test_grid_properties(void **state)
{
    (void)state;
    static const char *const ivs[] = {"1 minute",  "15 minutes", "2 hours", "daily",
                                      "3 days",    "weekly",     "2 weeks", "monthly",
                                      "quarterly", "5 months",   "yearly",  "7"};
    for (size_t i = 0; i < sizeof ivs / sizeof ivs[0]; i++) {
        PartInterval iv = IV(ivs[i]);
        for (int64_t v = T("1890-01-01"); v < T("2110-01-01"); v += 987654321 / 7) {
            int64_t lo = grid_floor(&iv, v), hi = grid_next(&iv, v);
            if (!(lo <= v && v < hi))
                fail_msg("%s at %lld: %lld..%lld", ivs[i], (long long)v, (long long)lo,
                         (long long)hi);
            assert_true(grid_floor(&iv, lo) == lo);
            assert_true(grid_floor(&iv, hi) == hi);
            assert_true(grid_floor(&iv, hi - 1) == lo);
            assert_true(grid_next(&iv, lo) == hi);
        }
    }
}

/* ---- durations ---- */

static void test_duration_parse_ok(void **state)
{
    (void)state;
    assert_duration("90 days", 0, 90, 0);
    assert_duration("1 year", 12, 0, 0);
    assert_duration("6 months", 6, 0, 0);
    assert_duration("36 hours", 0, 0, 36 * 3600);
    assert_duration("2 weeks", 0, 14, 0);
    assert_duration("1 year 6 months", 18, 0, 0);
    assert_duration("30 minutes", 0, 0, 1800);
    assert_duration("45 seconds", 0, 0, 45);
    assert_duration("1 second", 0, 0, 1);
    assert_duration("1 quarter", 3, 0, 0);
    assert_duration("2 quarters", 6, 0, 0);
    assert_duration("0", 0, 0, 0);
    assert_duration("  0  ", 0, 0, 0);
    assert_duration("0 days", 0, 0, 0);
    assert_duration("1 week 2 days", 0, 9, 0);
    assert_duration("1 hour 30 minutes 15 seconds", 0, 0, 5415);
    assert_duration("  1  YEAR   6 Months ", 18, 0, 0);
    assert_duration("1year 2days", 12, 2, 0);
    assert_duration("1000000 days", 0, 1000000, 0);
    assert_duration("2 years 3 months 4 days 5 hours 6 minutes 7 seconds", 27, 4,
                    5 * 3600 + 6 * 60 + 7);
    assert_duration("1 day 1 day", 0, 2, 0);
}

static void test_duration_parse_errors(void **state)
{
    (void)state;
    assert_duration_error("", "invalid duration \"\": empty");
    assert_duration_error("  ", "invalid duration \"  \": empty");
    assert_duration_error("ten days",
                          "invalid duration \"ten days\": expected a number before \"ten\"");
    assert_duration_error("days", "invalid duration \"days\": expected a number before \"days\"");
    assert_duration_error("-1 day", "invalid duration \"-1 day\": negative values are not allowed");
    assert_duration_error("1 day -2 hours",
                          "invalid duration \"1 day -2 hours\": negative values are not allowed");
    assert_duration_error("90", "invalid duration \"90\": expected a unit after \"90\"");
    assert_duration_error("1 year 6", "invalid duration \"1 year 6\": expected a unit after \"6\"");
    assert_duration_error("0 0", "invalid duration \"0 0\": expected a unit after \"0\"");
    assert_duration_error("1 fortnight",
                          "invalid duration \"1 fortnight\": unknown unit \"fortnight\"");
    assert_duration_error("1 daily", "invalid duration \"1 daily\": unknown unit \"daily\"");
    assert_duration_error("1000001 days",
                          "invalid duration \"1000001 days\": 1000001 is too large (at most "
                          "1000000)");
    assert_duration_error("99999999999999999999 days",
                          "invalid duration \"99999999999999999999 days\": 99999999999999999999 "
                          "is too large (at most 1000000)");
    assert_duration_error("1.5 days",
                          "invalid duration \"1.5 days\": \"1.5\" is not a whole number");
    assert_duration_error("1 day; DROP TABLE x",
                          "invalid duration \"1 day; DROP TABLE x\": unexpected \"; DROP TABLE x\" "
                          "after \"1 day\"");
    assert_duration_error("; x", "invalid duration \"; x\": expected a number and a unit such as "
                                 "\"30 days\"");
    assert_duration_error("1 day,",
                          "invalid duration \"1 day,\": unexpected \",\" after \"1 day\"");
}

static void assert_duration_format(Duration d, const char *want)
{
    char buf[96];
    duration_format(&d, buf);
    assert_string_equal(buf, want);
    Duration back = D(buf);
    assert_true(back.months == d.months && back.days == d.days && back.seconds == d.seconds);
}

static void test_duration_format(void **state)
{
    (void)state;
    assert_duration_format((Duration){0, 0, 0}, "0");
    assert_duration_format((Duration){18, 0, 0}, "1 year 6 months");
    assert_duration_format((Duration){12, 0, 0}, "1 year");
    assert_duration_format((Duration){1, 0, 0}, "1 month");
    assert_duration_format((Duration){0, 90, 0}, "90 days");
    assert_duration_format((Duration){0, 1, 0}, "1 day");
    assert_duration_format((Duration){0, 0, 36 * 3600}, "36 hours");
    assert_duration_format((Duration){0, 0, 5445}, "1 hour 30 minutes 45 seconds");
    assert_duration_format((Duration){0, 0, 1}, "1 second");
    assert_duration_format((Duration){25, 1, 3661},
                           "2 years 1 month 1 day 1 hour 1 minute 1 second");

    /* round trip through text */
    static const char *const texts[] = {
        "90 days",
        "1 year",
        "6 months",
        "36 hours",
        "2 weeks",
        "1 quarter",
        "1 year 6 months",
        "30 minutes",
        "45 seconds",
        "0",
        "3 years 2 months 1 day 4 hours 5 minutes 6 seconds",
        "1000000 years 1000000 seconds",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        Duration d = D(texts[i]);
        char buf[96];
        duration_format(&d, buf);
        Duration back = D(buf);
        assert_true(back.months == d.months && back.days == d.days && back.seconds == d.seconds);
    }
}

static void test_duration_is_zero(void **state)
{
    (void)state;
    Duration z = D("0"), z2 = D("0 years 0 seconds"), one = D("1 second");
    assert_true(duration_is_zero(&z));
    assert_true(duration_is_zero(&z2));
    assert_false(duration_is_zero(&one));
    Duration m = {1, 0, 0}, d = {0, 1, 0};
    assert_false(duration_is_zero(&m));
    assert_false(duration_is_zero(&d));
}

static void assert_add(const char *at, const char *dur, int sign, const char *want)
{
    Duration d = D(dur);
    assert_civil(civil_add_duration(T(at), &d, sign), want);
}

static void test_civil_add_duration(void **state)
{
    (void)state;
    assert_add("2026-01-31 00:00:00", "1 month", 1, "2026-02-28 00:00:00");
    /* months first (clamped to Feb 28), then the day */
    assert_add("2026-01-31 00:00:00", "1 month 1 day", 1, "2026-03-01 00:00:00");
    assert_add("2026-03-31 00:00:00", "1 month", -1, "2026-02-28 00:00:00");
    assert_add("2026-03-31 00:00:00", "1 month 1 day", -1, "2026-02-27 00:00:00");
    assert_add("2026-11-22 00:00:00", "36 hours", 1, "2026-11-23 12:00:00");
    assert_add("2026-11-22 00:00:00", "90 days", -1, "2026-08-24 00:00:00");
    assert_add("1970-01-01 00:00:00", "1 second", -1, "1969-12-31 23:59:59");
    assert_add("1969-03-15 06:00:00", "1 year 2 weeks", 1, "1970-03-29 06:00:00");
    assert_add("2024-02-29 00:00:00", "1 year", 1, "2025-02-28 00:00:00");
    assert_add("2026-11-22 10:00:00", "0", 1, "2026-11-22 10:00:00");
}

static bool covers(const char *dur, const char *iv, const char *at)
{
    Duration d = D(dur);
    PartInterval p = IV(iv);
    return duration_covers_interval(&d, &p, T(at));
}

static void test_duration_covers_interval(void **state)
{
    (void)state;
    assert_true(covers("1 day", "daily", "2026-11-22 10:00:00"));
    assert_true(covers("24 hours", "daily", "2026-11-22 10:00:00"));
    assert_false(covers("23 hours", "daily", "2026-11-22 10:00:00"));
    assert_false(covers("0", "daily", "2026-11-22 10:00:00"));
    assert_true(covers("15 minutes", "15 minutes", "2026-11-22 10:00:00"));
    assert_false(covers("14 minutes", "15 minutes", "2026-11-22 10:00:00"));
    assert_true(covers("1 week", "weekly", "2026-11-22 10:00:00"));
    assert_false(covers("6 days", "weekly", "2026-11-22 10:00:00"));
    assert_false(covers("1 week", "2 weeks", "2026-11-22 10:00:00"));
    assert_true(covers("1 month", "monthly", "2026-01-15 00:00:00"));
    assert_false(covers("30 days", "monthly", "2026-01-15 00:00:00")); /* January has 31 */
    assert_true(covers("30 days", "monthly", "2026-02-15 00:00:00"));  /* February 28 */
    assert_true(covers("3 months", "quarterly", "2026-11-22 00:00:00"));
    assert_false(covers("2 months", "quarterly", "2026-11-22 00:00:00"));
    assert_true(covers("90 days", "quarterly", "2026-02-01 00:00:00"));  /* Q1 2026: 90 days */
    assert_false(covers("90 days", "quarterly", "2026-08-01 00:00:00")); /* Q3: 92 days */
    assert_true(covers("1 year", "yearly", "2024-05-05 00:00:00"));
    assert_false(covers("365 days", "yearly", "2024-05-05 00:00:00")); /* leap year */
    assert_true(covers("365 days", "yearly", "2026-05-05 00:00:00"));
    assert_true(covers("1 year", "quarterly", "1969-05-05 00:00:00"));
    assert_true(covers("0", "100", "2026-05-05 00:00:00")); /* numeric: not used */
}

/* ---- key values ---- */

static void assert_key_format(KeyType k, int64_t v, const char *want)
{
    char buf[48];
    key_format(k, v, buf);
    assert_string_equal(buf, want);
    int64_t back = 0;
    assert_true(key_parse(k, buf, &back));
    assert_true(back == v);
}

static void test_key_format(void **state)
{
    (void)state;
    int64_t t = T("2026-11-22");
    assert_key_format(KEY_TIMESTAMPTZ, t, "2026-11-22 00:00:00");
    assert_key_format(KEY_TIMESTAMP, t + 3723, "2026-11-22 01:02:03");
    assert_key_format(KEY_DATE, t, "2026-11-22");
    assert_key_format(KEY_DATE, T("1969-12-31"), "1969-12-31");
    assert_key_format(KEY_TIMESTAMP, -1, "1969-12-31 23:59:59");
    assert_key_format(KEY_INTEGER, -100, "-100");
    assert_key_format(KEY_INTEGER, 0, "0");
    assert_key_format(KEY_INTEGER, INT32_MAX, "2147483647");
    assert_key_format(KEY_INTEGER, INT32_MIN, "-2147483648");
    assert_key_format(KEY_BIGINT, 100000, "100000");
    assert_key_format(KEY_BIGINT, INT64_MAX, "9223372036854775807");
    assert_key_format(KEY_BIGINT, INT64_MIN, "-9223372036854775808");
}

static void assert_key_parse(KeyType k, const char *text, int64_t want)
{
    int64_t v = 0;
    if (!key_parse(k, text, &v))
        fail_msg("key_parse(%s) rejected \"%s\"", key_type_name(k), text);
    assert_true(v == want);
}

static void assert_key_reject(KeyType k, const char *text)
{
    int64_t v = 4242;
    if (key_parse(k, text, &v))
        fail_msg("key_parse(%s) accepted \"%s\"", key_type_name(k), text);
    assert_true(v == 4242);
}

static void test_key_parse(void **state)
{
    (void)state;
    int64_t t = T("2026-11-22");
    /* what PostgreSQL prints */
    assert_key_parse(KEY_TIMESTAMPTZ, "2026-11-22 00:00:00", t);
    assert_key_parse(KEY_TIMESTAMPTZ, "2026-11-22 00:00:00.123456", t);
    assert_key_parse(KEY_TIMESTAMP, "2026-11-22 10:00:00.5", t + 36000);
    assert_key_parse(KEY_TIMESTAMP, "2026-11-22", t);
    assert_key_parse(KEY_TIMESTAMPTZ, "2026-11-22", t);
    assert_key_parse(KEY_DATE, "2026-11-22", t);
    assert_key_parse(KEY_DATE, "2026-11-22 00:00:00", t);
    assert_key_parse(KEY_DATE, "1900-01-01", T("1900-01-01"));
    assert_key_parse(KEY_INTEGER, "-100", -100);
    assert_key_parse(KEY_INTEGER, "100", 100);
    assert_key_parse(KEY_INTEGER, "0", 0);
    assert_key_parse(KEY_INTEGER, "-0", 0);
    assert_key_parse(KEY_INTEGER, "2147483647", INT32_MAX);
    assert_key_parse(KEY_INTEGER, "-2147483648", INT32_MIN);
    assert_key_parse(KEY_BIGINT, "2147483648", 2147483648LL);
    assert_key_parse(KEY_BIGINT, "9223372036854775807", INT64_MAX);
    assert_key_parse(KEY_BIGINT, "-9223372036854775808", INT64_MIN);

    assert_key_reject(KEY_INTEGER, "2147483648");
    assert_key_reject(KEY_INTEGER, "-2147483649");
    assert_key_reject(KEY_BIGINT, "9223372036854775808");
    assert_key_reject(KEY_BIGINT, "-9223372036854775809");
    assert_key_reject(KEY_BIGINT, "99999999999999999999999");
    static const char *const not_numbers[] = {"",   "-",   "abc",  "1.5", " 1", "1 ",
                                              "+1", "1e3", "0x10", "--1", "1-", "1; DROP"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
        assert_key_reject(KEY_INTEGER, not_numbers[i]);
        assert_key_reject(KEY_BIGINT, not_numbers[i]);
    }
    assert_key_reject(KEY_INTEGER, NULL);

    assert_key_reject(KEY_DATE, "2026-11-22 10:00:00");
    assert_key_reject(KEY_DATE, "2026-02-29");
    assert_key_reject(KEY_TIMESTAMP, "2026-02-30 00:00:00");
    assert_key_reject(KEY_TIMESTAMP, "infinity");
    assert_key_reject(KEY_TIMESTAMPTZ, "2026-11-22 00:00:00+01");
    assert_key_reject(KEY_TIMESTAMPTZ, "100");
    assert_key_reject(KEY_DATE, "");
}

static void test_key_round_trip(void **state)
{
    (void)state;
    char buf[48];
    int64_t back;
    for (int64_t v = T("0001-01-01"); v < T("9999-01-01"); v += 86400 * 997 + 3607) {
        for (int k = KEY_TIMESTAMPTZ; k <= KEY_BIGINT; k++) {
            /* a date key holds midnights only */
            int64_t x = k == KEY_DATE ? civil_day_number(v) * CIVIL_DAY : v;
            if (k == KEY_INTEGER)
                x = v % 2147483647;
            key_format((KeyType)k, x, buf);
            back = 0;
            if (!key_parse((KeyType)k, buf, &back) || back != x)
                fail_msg("%s %lld -> \"%s\" did not round-trip", key_type_name((KeyType)k),
                         (long long)x, buf);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_interval_parse_ok),
        cmocka_unit_test(test_interval_parse_errors),
        cmocka_unit_test(test_interval_parse_err_buffers),
        cmocka_unit_test(test_interval_format),
        cmocka_unit_test(test_interval_round_trip_all),
        cmocka_unit_test(test_interval_fits_key),
        cmocka_unit_test(test_grid_minutes),
        cmocka_unit_test(test_grid_days),
        cmocka_unit_test(test_grid_weeks),
        cmocka_unit_test(test_grid_months),
        cmocka_unit_test(test_grid_numeric),
        cmocka_unit_test(test_grid_properties),
        cmocka_unit_test(test_duration_parse_ok),
        cmocka_unit_test(test_duration_parse_errors),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_duration_is_zero),
        cmocka_unit_test(test_civil_add_duration),
        cmocka_unit_test(test_duration_covers_interval),
        cmocka_unit_test(test_key_format),
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_key_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
