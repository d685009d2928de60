/* Unit tests for core/policy.c: options, validation, texts, windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/interval.h"
#include "core/policy.h"
#include "core/strbuf.h"

/* ---- helpers ---- */

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

/* A fresh policy for a key type (static: a failed assertion leaves it
 * reachable, so LeakSanitizer reports only real leaks). */
static Policy *fresh(KeyType key)
{
    static Policy p;
    policy_free(&p);
    policy_init(&p);
    p.key_type = key;
    if (!key_type_is_time(key)) {
        p.interval.unit = UNIT_NUMERIC;
        p.interval.count = 1000;
    }
    return &p;
}

static void ok(Policy *p, PolicyOption opt, const char *value)
{
    char err[512] = "";
    if (!policy_apply(p, opt, value, err, sizeof err))
        fail_msg("%s \"%s\" rejected: %s", policy_option_flag(opt), value, err);
}

static void bad(Policy *p, PolicyOption opt, const char *value, const char *want)
{
    char err[512] = "";
    if (policy_apply(p, opt, value, err, sizeof err))
        fail_msg("%s \"%s\" accepted", policy_option_flag(opt), value);
    assert_string_equal(err, want);
}

static void valid(const Policy *p)
{
    char err[512] = "";
    if (!policy_validate(p, err, sizeof err))
        fail_msg("policy_validate: %s", err);
}

static void invalid(const Policy *p, const char *want)
{
    char err[512] = "";
    assert_false(policy_validate(p, err, sizeof err));
    assert_string_equal(err, want);
}

/* ---- defaults, flags, names ---- */

static void test_init_defaults(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    assert_int_equal(p->interval.unit, UNIT_DAY);
    assert_int_equal(p->interval.count, 1);
    assert_true(p->premake.is_count);
    assert_int_equal(p->premake.count, POLICY_DEFAULT_PREMAKE);
    assert_int_equal(p->premake.count, 4);
    assert_false(p->retention.set);
    assert_int_equal(p->retention_mode, RETIRE_DROP);
    assert_null(p->archive_command);
    assert_null(p->detach_schema);
    assert_true(duration_is_zero(&p->drop_delay));
    assert_false(p->has_window);
    assert_false(p->has_start);
    assert_string_equal(p->time_zone, "UTC");
    assert_int_equal(p->lock_timeout_ms, POLICY_DEFAULT_LOCK_TIMEOUT);
    assert_int_equal(p->lock_timeout_ms, 1000);
    assert_int_equal(p->analyze, ANALYZE_CHANGED);
    assert_true(p->enabled);
    valid(p);
    policy_free(p);
}

static void test_flags_and_names(void **state)
{
    (void)state;
    const char *flags[POPT__COUNT] = {
        [POPT_INTERVAL] = "--interval",
        [POPT_PREMAKE] = "--premake",
        [POPT_START] = "--start",
        [POPT_RETENTION] = "--retention",
        [POPT_RETENTION_MODE] = "--retention-mode",
        [POPT_ARCHIVE_COMMAND] = "--archive-command",
        [POPT_DETACH_SCHEMA] = "--detach-schema",
        [POPT_DROP_DELAY] = "--drop-delay",
        [POPT_WINDOW] = "--window",
        [POPT_TIME_ZONE] = "--time-zone",
        [POPT_LOCK_TIMEOUT] = "--lock-timeout",
        [POPT_ANALYZE] = "--analyze",
    };
    for (int i = 0; i < POPT__COUNT; i++)
        assert_string_equal(policy_option_flag((PolicyOption)i), flags[i]);
    assert_string_equal(retention_mode_name(RETIRE_DROP), "drop");
    assert_string_equal(retention_mode_name(RETIRE_DETACH), "detach");
    assert_string_equal(retention_mode_name(RETIRE_ARCHIVE), "archive");
    assert_string_equal(analyze_mode_name(ANALYZE_CHANGED), "changed");
    assert_string_equal(analyze_mode_name(ANALYZE_EVERY), "every");
    assert_string_equal(analyze_mode_name(ANALYZE_NEVER), "never");
}

/* ---- each option ---- */

static void test_interval(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_INTERVAL, "15 minutes");
    assert_int_equal(p->interval.unit, UNIT_MINUTE);
    assert_int_equal(p->interval.count, 15);
    ok(p, POPT_INTERVAL, "monthly");
    assert_int_equal(p->interval.unit, UNIT_MONTH);
    assert_int_equal(p->interval.count, 1);
    ok(p, POPT_INTERVAL, "quarterly");
    assert_int_equal(p->interval.count, 3);
    bad(p, POPT_INTERVAL, "fortnight",
        "invalid interval \"fortnight\": unknown unit \"fortnight\"");
    bad(p, POPT_INTERVAL, "1000",
        "invalid --interval: interval \"1000\" is a number, but column type timestamptz needs a "
        "time interval such as \"1 day\"");

    p = fresh(KEY_DATE);
    ok(p, POPT_INTERVAL, "1 week");
    bad(p, POPT_INTERVAL, "1 hour",
        "invalid --interval: interval \"1 hour\" is shorter than a day, which a date column "
        "cannot hold");

    p = fresh(KEY_INTEGER);
    ok(p, POPT_INTERVAL, "100000");
    assert_int_equal(p->interval.unit, UNIT_NUMERIC);
    assert_int_equal(p->interval.count, 100000);
    bad(p, POPT_INTERVAL, "1 day",
        "invalid --interval: interval \"1 day\" is a time interval, but column type integer needs "
        "a number such as \"100000\"");
    policy_free(p);
}

static void test_premake(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_PREMAKE, "7");
    assert_true(p->premake.is_count);
    assert_int_equal(p->premake.count, 7);
    ok(p, POPT_PREMAKE, " 12 ");
    assert_int_equal(p->premake.count, 12);
    ok(p, POPT_PREMAKE, "100000");
    assert_int_equal(p->premake.count, 100000);

    ok(p, POPT_PREMAKE, "7 days");
    assert_false(p->premake.is_count);
    assert_int_equal(p->premake.span.days, 7);
    ok(p, POPT_PREMAKE, "2 months");
    assert_false(p->premake.is_count);
    assert_int_equal(p->premake.span.months, 2);
    assert_int_equal(p->premake.span.days, 0);
    char *text = policy_premake_text(p);
    assert_string_equal(text, "2 months");
    free(text);
    ok(p, POPT_PREMAKE, "3");
    assert_true(p->premake.is_count);
    text = policy_premake_text(p);
    assert_string_equal(text, "3");
    free(text);

    bad(p, POPT_PREMAKE, "0",
        "invalid --premake \"0\": must be at least 1, or nothing would be made ahead of the data");
    bad(p, POPT_PREMAKE, "abc",
        "invalid --premake: invalid duration \"abc\": expected a number before \"abc\"");
    bad(p, POPT_PREMAKE, "0 days", "invalid --premake \"0 days\": must be more than zero");
    bad(p, POPT_PREMAKE, "-3",
        "invalid --premake: invalid duration \"-3\": negative values are "
        "not allowed");

    /* Integer keys take a count only. */
    p = fresh(KEY_BIGINT);
    ok(p, POPT_PREMAKE, "10");
    assert_int_equal(p->premake.count, 10);
    bad(p, POPT_PREMAKE, "7 days",
        "invalid --premake \"7 days\": an integer key takes a count of ranges ahead, e.g. 4");
    bad(p, POPT_PREMAKE, "abc",
        "invalid --premake \"abc\": an integer key takes a count of ranges ahead, e.g. 4");
    bad(p, POPT_PREMAKE, "0",
        "invalid --premake \"0\": must be at least 1, or nothing would be made ahead of the data");
    policy_free(p);
}

static void test_start(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_START, "2026-01-01");
    assert_true(p->has_start);
    assert_int_equal(p->start, T("2026-01-01"));
    char *text = policy_start_text(p);
    assert_string_equal(text, "2026-01-01 00:00:00");
    free(text);
    ok(p, POPT_START, "2026-01-01 06:30");
    assert_int_equal(p->start, T("2026-01-01 06:30:00"));
    ok(p, POPT_START, "none");
    assert_false(p->has_start);
    assert_null(policy_start_text(p));
    ok(p, POPT_START, "2026-01-01");
    ok(p, POPT_START, "");
    assert_false(p->has_start);
    bad(p, POPT_START, "2026-02-30",
        "invalid --start \"2026-02-30\": not a timestamptz value (expected YYYY-MM-DD or "
        "YYYY-MM-DD HH:MM)");
    bad(p, POPT_START, "yesterday",
        "invalid --start \"yesterday\": not a timestamptz value (expected YYYY-MM-DD or "
        "YYYY-MM-DD HH:MM)");

    p = fresh(KEY_DATE);
    ok(p, POPT_START, "2026-03-01");
    text = policy_start_text(p);
    assert_string_equal(text, "2026-03-01");
    free(text);
    bad(p, POPT_START, "2026-03-01 12:00",
        "invalid --start \"2026-03-01 12:00\": not a date value (expected YYYY-MM-DD or "
        "YYYY-MM-DD HH:MM)");

    p = fresh(KEY_INTEGER);
    ok(p, POPT_START, "-500");
    assert_int_equal(p->start, -500);
    char err[256] = "";
    assert_false(policy_apply(p, POPT_START, "abc", err, sizeof err));
    /* (The code says "not a integer value".) */
    assert_true(strncmp(err, "invalid --start \"abc\": not a", 28) == 0);
    assert_non_null(strstr(err, "integer value"));
    assert_null(strstr(err, "YYYY"));
    assert_false(policy_apply(p, POPT_START, "3000000000", err, sizeof err));
    p = fresh(KEY_BIGINT);
    ok(p, POPT_START, "3000000000");
    assert_int_equal(p->start, 3000000000LL);
    policy_free(p);
}

static void test_retention(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_RETENTION, "30 days");
    assert_true(p->retention.set);
    assert_int_equal(p->retention.span.days, 30);
    char *text = policy_retention_text(p);
    assert_string_equal(text, "30 days");
    free(text);
    ok(p, POPT_RETENTION, "1 year 6 months");
    text = policy_retention_text(p);
    assert_string_equal(text, "1 year 6 months");
    free(text);
    ok(p, POPT_RETENTION, "none");
    assert_false(p->retention.set);
    assert_null(policy_retention_text(p));
    ok(p, POPT_RETENTION, "90 days");
    ok(p, POPT_RETENTION, "");
    assert_false(p->retention.set);
    bad(p, POPT_RETENTION, "ten days",
        "invalid --retention: invalid duration \"ten days\": expected a number before \"ten\"");
    bad(p, POPT_RETENTION, "30 dayz",
        "invalid --retention: invalid duration \"30 dayz\": unknown unit \"dayz\"");

    p = fresh(KEY_BIGINT);
    ok(p, POPT_RETENTION, "5");
    assert_true(p->retention.set);
    assert_int_equal(p->retention.ranges, 5);
    text = policy_retention_text(p);
    assert_string_equal(text, "5");
    free(text);
    bad(p, POPT_RETENTION, "0",
        "invalid --retention \"0\": an integer key keeps the newest N ranges; give N (at least 1)");
    bad(p, POPT_RETENTION, "30 days",
        "invalid --retention \"30 days\": an integer key keeps the newest N ranges; give N (at "
        "least 1)");
    policy_free(p);
}

static void test_retention_mode_and_companions(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_RETENTION_MODE, "detach");
    assert_int_equal(p->retention_mode, RETIRE_DETACH);
    ok(p, POPT_RETENTION_MODE, "archive");
    assert_int_equal(p->retention_mode, RETIRE_ARCHIVE);
    ok(p, POPT_RETENTION_MODE, "drop");
    assert_int_equal(p->retention_mode, RETIRE_DROP);
    bad(p, POPT_RETENTION_MODE, "DROP",
        "invalid --retention-mode \"DROP\": use drop, detach or archive");
    bad(p, POPT_RETENTION_MODE, "delete",
        "invalid --retention-mode \"delete\": use drop, detach or archive");

    ok(p, POPT_ARCHIVE_COMMAND, "gzip > /archive/%t.gz");
    assert_string_equal(p->archive_command, "gzip > /archive/%t.gz");
    ok(p, POPT_ARCHIVE_COMMAND, "none");
    assert_null(p->archive_command);
    ok(p, POPT_ARCHIVE_COMMAND, "cat");
    ok(p, POPT_ARCHIVE_COMMAND, "");
    assert_null(p->archive_command);

    ok(p, POPT_DETACH_SCHEMA, "archive");
    assert_string_equal(p->detach_schema, "archive");
    ok(p, POPT_DETACH_SCHEMA, "Old Parts");
    assert_string_equal(p->detach_schema, "Old Parts");
    ok(p, POPT_DETACH_SCHEMA, "none");
    assert_null(p->detach_schema);
    char long_name[65];
    memset(long_name, 's', 64);
    long_name[64] = '\0';
    char want[200];
    snprintf(want, sizeof want, "invalid --detach-schema \"%s\": not a valid schema name",
             long_name);
    bad(p, POPT_DETACH_SCHEMA, long_name, want);
    long_name[63] = '\0';
    ok(p, POPT_DETACH_SCHEMA, long_name);
    bad(p, POPT_DETACH_SCHEMA, "a\tb", "invalid --detach-schema \"a\tb\": not a valid schema name");

    ok(p, POPT_DROP_DELAY, "1 day");
    assert_int_equal(p->drop_delay.days, 1);
    ok(p, POPT_DROP_DELAY, "36 hours");
    assert_int_equal(p->drop_delay.seconds, 36 * 3600);
    ok(p, POPT_DROP_DELAY, "0");
    assert_true(duration_is_zero(&p->drop_delay));
    bad(p, POPT_DROP_DELAY, "-1 day",
        "invalid --drop-delay: invalid duration \"-1 day\": negative values are not allowed");
    bad(p, POPT_DROP_DELAY, "soon",
        "invalid --drop-delay: invalid duration \"soon\": expected a number before \"soon\"");
    policy_free(p);
}

static void test_window(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_WINDOW, "01:00-05:00");
    assert_true(p->has_window);
    assert_int_equal(p->window_start, 60);
    assert_int_equal(p->window_end, 300);
    char *text = policy_window_text(p);
    assert_string_equal(text, "01:00-05:00");
    free(text);

    ok(p, POPT_WINDOW, "22:00-04:00");
    assert_int_equal(p->window_start, 1320);
    assert_int_equal(p->window_end, 240);
    text = policy_window_text(p);
    assert_string_equal(text, "22:00-04:00");
    free(text);

    /* 24:00 is the end of the day. */
    ok(p, POPT_WINDOW, "22:30-24:00");
    assert_int_equal(p->window_start, 1350);
    assert_int_equal(p->window_end, 1440);
    assert_true(policy_window_open(p, 1439));
    assert_false(policy_window_open(p, 0));

    ok(p, POPT_WINDOW, "none");
    assert_false(p->has_window);
    assert_null(policy_window_text(p));

    const char *malformed[] = {
        "1:00-5:00", "25:00-01:00", "01:60-02:00",  "24:30-01:00",
        "0100-0500", "01:00",       "01:00-05:00x", "01:00 - 05:00",
        "",          "ab:cd-ef:gh",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        char want[200];
        snprintf(want, sizeof want,
                 "invalid --window \"%s\": expected HH:MM-HH:MM, e.g. 01:00-05:00", malformed[i]);
        bad(p, POPT_WINDOW, malformed[i], want);
    }
    bad(p, POPT_WINDOW, "01:00-01:00", "invalid --window \"01:00-01:00\": the window is empty");
    bad(p, POPT_WINDOW, "24:00-00:00", "invalid --window \"24:00-00:00\": the window is empty");
    policy_free(p);
}

/* HH:MM means two digits each: signs and blanks are not hours. */
static void test_window_strict_digits(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    const char *sloppy[] = {"+1:+5-05:00", " 1:00-05:00", "01:00- 5:00", "01: 5-05:00"};
    for (size_t i = 0; i < sizeof sloppy / sizeof sloppy[0]; i++) {
        char err[256] = "";
        if (policy_apply(p, POPT_WINDOW, sloppy[i], err, sizeof err))
            fail_msg("--window \"%s\" accepted as %02d:%02d-%02d:%02d", sloppy[i],
                     p->window_start / 60, p->window_start % 60, p->window_end / 60,
                     p->window_end % 60);
    }
    policy_free(p);
}

/* 00:00-24:00 is the whole day, not an empty window. */
static void test_window_whole_day(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    char err[256] = "";
    if (policy_apply(p, POPT_WINDOW, "00:00-24:00", err, sizeof err)) {
        for (int m = 0; m < 1440; m++)
            assert_true(policy_window_open(p, m));
    } else if (strstr(err, "empty")) {
        fail_msg("--window 00:00-24:00 (the whole day) rejected as: %s", err);
    }
    policy_free(p);
}

static void test_window_open(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    for (int m = 0; m < 1440; m += 7)
        assert_true(policy_window_open(p, m));

    ok(p, POPT_WINDOW, "01:00-05:00");
    assert_false(policy_window_open(p, 0));
    assert_false(policy_window_open(p, 59));
    assert_true(policy_window_open(p, 60));
    assert_true(policy_window_open(p, 299));
    assert_false(policy_window_open(p, 300));
    assert_false(policy_window_open(p, 1439));

    ok(p, POPT_WINDOW, "22:00-04:00");
    assert_true(policy_window_open(p, 1320));
    assert_true(policy_window_open(p, 1439));
    assert_true(policy_window_open(p, 0));
    assert_true(policy_window_open(p, 239));
    assert_false(policy_window_open(p, 240));
    assert_false(policy_window_open(p, 720));
    assert_false(policy_window_open(p, 1319));

    /* Open minutes add up to the window's length. */
    const char *windows[] = {"01:00-05:00", "22:00-04:00", "00:00-00:01", "23:59-00:00",
                             "12:34-12:33"};
    const int lengths[] = {240, 360, 1, 1, 1439};
    for (size_t i = 0; i < 5; i++) {
        ok(p, POPT_WINDOW, windows[i]);
        int open = 0;
        for (int m = 0; m < 1440; m++)
            open += policy_window_open(p, m);
        assert_int_equal(open, lengths[i]);
    }
    policy_free(p);
}

static void test_time_zone(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_TIME_ZONE, "America/New_York");
    assert_string_equal(p->time_zone, "America/New_York");
    ok(p, POPT_TIME_ZONE, "UTC");
    assert_string_equal(p->time_zone, "UTC");
    bad(p, POPT_TIME_ZONE, "", "invalid --time-zone \"\": not a time zone name");
    bad(p, POPT_TIME_ZONE, "Europe/Berlin\n",
        "invalid --time-zone \"Europe/Berlin\n\": not a time zone name");
    bad(p, POPT_TIME_ZONE, "Europe/\x1b[31mBerlin",
        "invalid --time-zone \"Europe/\x1b[31mBerlin\": not a time zone name");
    bad(p, POPT_TIME_ZONE, "UTC\x7f", "invalid --time-zone \"UTC\x7f\": not a time zone name");
    char zone[66];
    memset(zone, 'Z', 65);
    zone[65] = '\0';
    char want[200];
    snprintf(want, sizeof want, "invalid --time-zone \"%s\": not a time zone name", zone);
    bad(p, POPT_TIME_ZONE, zone, want);
    zone[64] = '\0';
    ok(p, POPT_TIME_ZONE, zone);
    /* A rejected zone leaves the previous one. */
    assert_string_equal(p->time_zone, zone);
    policy_free(p);
}

static void test_lock_timeout(void **state)
{
    (void)state;
    const struct {
        const char *text;
        int ms;
    } good[] = {
        {"500ms", 500},  {"2s", 2000},      {"2 s", 2000},  {"2sec", 2000},
        {"1min", 60000}, {"750", 750},      {"1.5s", 1500}, {"10min", 600000},
        {"1ms", 1},      {"0.5min", 30000}, {"1 ms", 1},    {"600000", 600000},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int ms = -1;
        char err[256] = "";
        if (!parse_lock_timeout(good[i].text, &ms, err, sizeof err))
            fail_msg("\"%s\" rejected: %s", good[i].text, err);
        assert_int_equal(ms, good[i].ms);
    }
    const struct {
        const char *text;
        const char *err;
    } bad_values[] = {
        {"0", "invalid --lock-timeout \"0\": expected a duration such as 500ms or 2s"},
        {"junk", "invalid --lock-timeout \"junk\": expected a duration such as 500ms or 2s"},
        {"", "invalid --lock-timeout \"\": expected a duration such as 500ms or 2s"},
        {"-5", "invalid --lock-timeout \"-5\": expected a duration such as 500ms or 2s"},
        {"0ms", "invalid --lock-timeout \"0ms\": expected a duration such as 500ms or 2s"},
        {"5 hours",
         "invalid --lock-timeout \"5 hours\": unknown unit \"hours\" (use ms, s or min)"},
        {"5S", "invalid --lock-timeout \"5S\": unknown unit \"S\" (use ms, s or min)"},
        {"11min", "invalid --lock-timeout \"11min\": must be between 1ms and 10min"},
        {"0.5", "invalid --lock-timeout \"0.5\": must be between 1ms and 10min"},
        {"600001", "invalid --lock-timeout \"600001\": must be between 1ms and 10min"},
        {"inf", "invalid --lock-timeout \"inf\": expected a duration such as 500ms or 2s"},
    };
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        int ms = 1234;
        char err[256] = "";
        if (parse_lock_timeout(bad_values[i].text, &ms, err, sizeof err))
            fail_msg("\"%s\" accepted as %d ms", bad_values[i].text, ms);
        assert_string_equal(err, bad_values[i].err);
        assert_int_equal(ms, 1234);
    }

    /* Through the policy. */
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_LOCK_TIMEOUT, "250ms");
    assert_int_equal(p->lock_timeout_ms, 250);
    bad(p, POPT_LOCK_TIMEOUT, "junk",
        "invalid --lock-timeout \"junk\": expected a duration such as 500ms or 2s");
    assert_int_equal(p->lock_timeout_ms, 250);
    policy_free(p);
}

/* Not-a-number is not a timeout. */
static void test_lock_timeout_nan(void **state)
{
    (void)state;
    const char *texts[] = {"nan", "NaN", "nanms", "nan s"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int ms = 1234;
        char err[256] = "";
        if (parse_lock_timeout(texts[i], &ms, err, sizeof err))
            fail_msg("--lock-timeout \"%s\" accepted as %d ms", texts[i], ms);
    }
}

static void test_analyze(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_ANALYZE, "every");
    assert_int_equal(p->analyze, ANALYZE_EVERY);
    ok(p, POPT_ANALYZE, "never");
    assert_int_equal(p->analyze, ANALYZE_NEVER);
    ok(p, POPT_ANALYZE, "changed");
    assert_int_equal(p->analyze, ANALYZE_CHANGED);
    bad(p, POPT_ANALYZE, "always", "invalid --analyze \"always\": use every, changed or never");
    bad(p, POPT_ANALYZE, "", "invalid --analyze \"\": use every, changed or never");
    assert_int_equal(p->analyze, ANALYZE_CHANGED);
    policy_free(p);
}

/* Short error buffers are truncated, never overrun (ASan watches). */
static void test_short_error_buffers(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    const struct {
        PolicyOption opt;
        const char *value;
    } cases[] = {
        {POPT_PREMAKE, "0"},          {POPT_PREMAKE, "abc"}, {POPT_RETENTION, "ten days"},
        {POPT_WINDOW, "01:00-01:00"}, {POPT_WINDOW, "x"},    {POPT_TIME_ZONE, ""},
        {POPT_LOCK_TIMEOUT, "junk"},  {POPT_ANALYZE, "x"},   {POPT_INTERVAL, "fortnight"},
        {POPT_RETENTION_MODE, "x"},   {POPT_START, "x"},     {POPT_DROP_DELAY, "-1 day"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t len = 1; len <= 12; len += 11) {
            char *err = xmalloc(len);
            assert_false(policy_apply(p, cases[i].opt, cases[i].value, err, len));
            assert_true(strlen(err) < len);
            free(err);
        }
    }
    policy_free(p);
}

/* ---- validation ---- */

static void test_validate_retention_vs_interval(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_INTERVAL, "1 week");
    ok(p, POPT_RETENTION, "1 day");
    invalid(p, "invalid --retention \"1 day\": shorter than one interval (1 week); it would "
               "retire the partition being written");
    ok(p, POPT_RETENTION, "6 days 23 hours");
    invalid(p, "invalid --retention \"6 days 23 hours\": shorter than one interval (1 week); it "
               "would retire the partition being written");
    ok(p, POPT_RETENTION, "7 days");
    valid(p);
    ok(p, POPT_RETENTION, "1 week");
    valid(p);

    ok(p, POPT_INTERVAL, "monthly");
    ok(p, POPT_RETENTION, "30 days");
    invalid(p, "invalid --retention \"30 days\": shorter than one interval (1 month); it would "
               "retire the partition being written");
    ok(p, POPT_RETENTION, "1 month");
    valid(p);
    ok(p, POPT_RETENTION, "31 days");
    valid(p);

    ok(p, POPT_INTERVAL, "quarterly");
    ok(p, POPT_RETENTION, "2 months");
    invalid(p, "invalid --retention \"2 months\": shorter than one interval (1 quarter); it would "
               "retire the partition being written");
    ok(p, POPT_RETENTION, "1 quarter");
    valid(p);

    ok(p, POPT_INTERVAL, "1 day");
    ok(p, POPT_RETENTION, "0");
    invalid(p, "invalid --retention \"0\": shorter than one interval (1 day); it would retire the "
               "partition being written");
    ok(p, POPT_RETENTION, "24 hours");
    valid(p);
    ok(p, POPT_RETENTION, "none");
    valid(p);

    ok(p, POPT_INTERVAL, "15 minutes");
    ok(p, POPT_RETENTION, "15 minutes");
    valid(p);
    ok(p, POPT_RETENTION, "10 minutes");
    invalid(p, "invalid --retention \"10 minutes\": shorter than one interval (15 minutes); it "
               "would retire the partition being written");

    /* Integer keys count ranges: any N >= 1 is at least one interval. */
    p = fresh(KEY_BIGINT);
    ok(p, POPT_RETENTION, "1");
    valid(p);
    policy_free(p);
}

static void test_validate_combinations(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_RETENTION_MODE, "archive");
    invalid(p, "--retention-mode archive needs --archive-command (it receives each retired "
               "partition as COPY text on stdin)");
    ok(p, POPT_ARCHIVE_COMMAND, "gzip > /a/%t.gz");
    valid(p);
    ok(p, POPT_RETENTION_MODE, "drop");
    invalid(p, "--archive-command is only used with --retention-mode archive");
    ok(p, POPT_ARCHIVE_COMMAND, "none");
    valid(p);

    ok(p, POPT_DETACH_SCHEMA, "old");
    invalid(p, "--detach-schema is only used with --retention-mode detach");
    ok(p, POPT_RETENTION_MODE, "archive");
    ok(p, POPT_ARCHIVE_COMMAND, "cat");
    invalid(p, "--detach-schema is only used with --retention-mode detach");
    ok(p, POPT_ARCHIVE_COMMAND, "none");
    ok(p, POPT_RETENTION_MODE, "detach");
    valid(p);

    ok(p, POPT_DROP_DELAY, "1 day");
    invalid(p, "--drop-delay does not apply to --retention-mode detach, which never drops");
    ok(p, POPT_RETENTION_MODE, "drop");
    ok(p, POPT_DETACH_SCHEMA, "none");
    valid(p);
    ok(p, POPT_RETENTION_MODE, "archive");
    ok(p, POPT_ARCHIVE_COMMAND, "cat");
    valid(p);

    /* A span premake does not suit an integer key (set before the key type). */
    p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_PREMAKE, "7 days");
    p->key_type = KEY_INTEGER;
    p->interval.unit = UNIT_NUMERIC;
    p->interval.count = 10;
    invalid(p, "invalid --premake: an integer key takes a count of ranges ahead");

    /* Nor a time interval an integer key. */
    p = fresh(KEY_TIMESTAMPTZ);
    p->key_type = KEY_BIGINT;
    invalid(p, "invalid --interval: interval \"1 day\" is a time interval, but column type bigint "
               "needs a number such as \"100000\"");
    p = fresh(KEY_TIMESTAMPTZ);
    ok(p, POPT_INTERVAL, "2 hours");
    p->key_type = KEY_DATE;
    invalid(p, "invalid --interval: interval \"2 hours\" is shorter than a day, which a date "
               "column cannot hold");
    policy_free(p);
}

static void test_copy(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    p->schema = xstrdup("public");
    p->table = xstrdup("events");
    p->column = xstrdup("at");
    ok(p, POPT_RETENTION_MODE, "archive");
    ok(p, POPT_ARCHIVE_COMMAND, "cat");
    ok(p, POPT_TIME_ZONE, "Asia/Tokyo");
    ok(p, POPT_WINDOW, "01:00-02:00");
    static Policy q;
    policy_copy(&q, p);
    assert_string_equal(q.schema, "public");
    assert_string_equal(q.table, "events");
    assert_string_equal(q.column, "at");
    assert_string_equal(q.archive_command, "cat");
    assert_string_equal(q.time_zone, "Asia/Tokyo");
    assert_null(q.detach_schema);
    assert_true(q.schema != p->schema);
    assert_true(q.archive_command != p->archive_command);
    assert_true(q.time_zone != p->time_zone);
    assert_int_equal(q.window_start, 60);
    assert_int_equal(q.retention_mode, RETIRE_ARCHIVE);
    policy_free(p);
    /* The copy lives on by itself. */
    assert_string_equal(q.time_zone, "Asia/Tokyo");
    ok(&q, POPT_TIME_ZONE, "UTC");
    policy_free(&q);
    assert_null(q.schema);
}

/* An option out of range is refused with "unknown policy option" (the
 * switch has a case for it), without reading past the flag table first.
 * Last in the list: under UBSan an out-of-bounds read aborts the binary. */
static void test_unknown_option(void **state)
{
    (void)state;
    Policy *p = fresh(KEY_TIMESTAMPTZ);
    char err[128] = "";
    assert_false(policy_apply(p, POPT__COUNT, "x", err, sizeof err));
    assert_string_equal(err, "unknown policy option");
    policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_defaults),
        cmocka_unit_test(test_flags_and_names),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_premake),
        cmocka_unit_test(test_start),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_retention_mode_and_companions),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_window_strict_digits),
        cmocka_unit_test(test_window_whole_day),
        cmocka_unit_test(test_window_open),
        cmocka_unit_test(test_time_zone),
        cmocka_unit_test(test_lock_timeout),
        cmocka_unit_test(test_lock_timeout_nan),
        cmocka_unit_test(test_analyze),
        cmocka_unit_test(test_short_error_buffers),
        cmocka_unit_test(test_validate_retention_vs_interval),
        cmocka_unit_test(test_validate_combinations),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_unknown_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
