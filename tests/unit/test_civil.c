/* Unit tests for core/civil.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil.h"

/* Parses text, failing the test if it does not parse. */
static int64_t P(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

static void assert_fields(int64_t t, int y, int mo, int d, int h, int mi, int s)
{
    CivilFields f;
    civil_to_fields(t, &f);
    assert_int_equal(f.year, y);
    assert_int_equal(f.month, mo);
    assert_int_equal(f.day, d);
    assert_int_equal(f.hour, h);
    assert_int_equal(f.minute, mi);
    assert_int_equal(f.second, s);
}

static void assert_format(int64_t t, bool with_time, const char *want)
{
    char buf[32];
    civil_format(t, with_time, buf);
    assert_string_equal(buf, want);
}

static void test_epoch(void **state)
{
    (void)state;
    CivilFields f = {1970, 1, 1, 0, 0, 0};
    assert_true(civil_from_fields(&f) == 0);
    assert_fields(0, 1970, 1, 1, 0, 0, 0);
    assert_true(civil_day_number(0) == 0);
    assert_int_equal(civil_weekday(0), 3); /* Thursday */
}

static void test_known_values(void **state)
{
    (void)state;
    /* Values computed independently (Python calendar.timegm). */
    assert_true(P("2026-11-22") == 1795305600LL);
    assert_true(P("2024-02-29") == 1709164800LL);
    assert_true(P("1969-12-31 23:59:59") == -1);
    assert_true(P("1900-03-01") == -2203891200LL);
    assert_true(P("0001-01-01") == -62135596800LL);
    assert_true(P("9999-12-31 23:59:59") == 253402300799LL);
    assert_true(P("2000-02-29 12:34:56") == 951827696LL);
    assert_true(P("1600-02-29") == -11670998400LL);

    CivilFields f = {2000, 2, 29, 12, 34, 56};
    assert_true(civil_from_fields(&f) == 951827696LL);
    assert_fields(951827696LL, 2000, 2, 29, 12, 34, 56);
    assert_fields(-1, 1969, 12, 31, 23, 59, 59);
    assert_fields(-62135596800LL, 1, 1, 1, 0, 0, 0);
    assert_fields(253402300799LL, 9999, 12, 31, 23, 59, 59);
}

static void test_from_fields_normalises(void **state)
{
    (void)state;
    CivilFields f = {2026, 13, 1, 0, 0, 0}; /* month 13 = next January */
    assert_true(civil_from_fields(&f) == P("2027-01-01"));
    CivilFields g = {2026, 0, 1, 0, 0, 0}; /* month 0 = previous December */
    assert_true(civil_from_fields(&g) == P("2025-12-01"));
    CivilFields h = {2026, 2, 29, 0, 0, 0}; /* Feb 29 in a common year runs on */
    assert_true(civil_from_fields(&h) == P("2026-03-01"));
}

/* Walks day by day over 1000 years either side of 1970 and checks that the
 * fields advance like a calendar and that every date round-trips. */
static void test_day_by_day(void **state)
{
    (void)state;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 1200, m = 1, d = 1;
    CivilFields start = {1200, 1, 1, 0, 0, 0};
    int64_t day = civil_day_number(civil_from_fields(&start));
    int wd = civil_weekday(day * CIVIL_DAY);
    for (; y < 2800; day++) {
        int64_t t = day * CIVIL_DAY;
        CivilFields f;
        civil_to_fields(t, &f);
        if (f.year != y || f.month != m || f.day != d)
            fail_msg("day %lld: got %d-%d-%d, want %d-%d-%d", (long long)day, f.year, f.month,
                     f.day, y, m, d);
        CivilFields g = {y, m, d, 0, 0, 0};
        assert_true(civil_from_fields(&g) == t);
        assert_true(civil_day_number(t) == day);
        assert_true(civil_day_number(t + CIVIL_DAY - 1) == day);
        assert_int_equal(civil_weekday(t + 3600), wd);
        wd = (wd + 1) % 7;

        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int len = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
        if (++d > len) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

static void test_negative_times(void **state)
{
    (void)state;
    /* Floor semantics: one second before midnight belongs to the day before. */
    assert_true(civil_day_number(-1) == -1);
    assert_true(civil_day_number(-CIVIL_DAY) == -1);
    assert_true(civil_day_number(-CIVIL_DAY - 1) == -2);
    assert_fields(-CIVIL_DAY, 1969, 12, 31, 0, 0, 0);
    assert_fields(-CIVIL_DAY + 3661, 1969, 12, 31, 1, 1, 1);
    assert_format(-1, true, "1969-12-31 23:59:59");
    assert_format(P("1969-07-20 20:17:40"), true, "1969-07-20 20:17:40");
    assert_format(P("1066-10-14"), false, "1066-10-14");
}

static void test_weekday(void **state)
{
    (void)state;
    assert_int_equal(civil_weekday(P("2026-11-22")), 6); /* Sunday */
    assert_int_equal(civil_weekday(P("2026-11-16")), 0); /* Monday */
    assert_int_equal(civil_weekday(P("1969-12-29")), 0); /* Monday */
    assert_int_equal(civil_weekday(P("1969-12-31 23:59:59")), 2);
    assert_int_equal(civil_weekday(P("2024-02-29")), 3); /* Thursday */
    assert_int_equal(civil_weekday(P("0001-01-01")), 0); /* Monday */
    assert_int_equal(civil_weekday(P("1600-02-29")), 1); /* Tuesday */
    assert_int_equal(civil_weekday(P("9999-12-31")), 4); /* Friday */
}

static void test_parse_forms(void **state)
{
    (void)state;
    int64_t base = P("2026-11-22");
    assert_true(P("2026-11-22 00:00") == base);
    assert_true(P("2026-11-22 00:00:00") == base);
    assert_true(P("2026-11-22T00:00:00") == base);
    assert_true(P("2026-11-22 13:45") == base + 13 * 3600 + 45 * 60);
    assert_true(P("2026-11-22T13:45") == base + 13 * 3600 + 45 * 60);
    assert_true(P("2026-11-22 13:45:07") == base + 13 * 3600 + 45 * 60 + 7);
    assert_true(P("2026-11-22 13:45:07.123456") == base + 13 * 3600 + 45 * 60 + 7);
    assert_true(P("2026-11-22 23:59:59.999999") == base + CIVIL_DAY - 1);
    assert_true(P("2026-11-22 00:00:00.5") == base);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "2026-02-29", /* not a leap year */
        "2026-02-30",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-01-32",
        "1900-02-29", /* century, not a leap year */
        "0000-01-01", /* year 0 */
        "10000-01-01",
        "2026-1-05",
        "2026-01-5",
        "26-01-05",
        "2026/01/05",
        "2026-01-05 24:00",
        "2026-01-05 23:60",
        "2026-01-05 23:59:60",
        "2026-01-05 1:00",
        "2026-01-05 10",
        "2026-01-05 10:",
        "2026-01-05 10:00:",
        "2026-01-05 10:00:00.",
        "2026-01-05 10:00.5",
        "2026-01-05 ",
        " 2026-01-05",
        "2026-01-05x",
        "2026-01-05 10:00:00+01",
        "2026-01-05 10:00:00 UTC",
        "2026-01-05 BC",
        "infinity",
        "-infinity",
        "today",
        "2026-01-05; DROP TABLE x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 12345;
        if (civil_parse(bad[i], &t))
            fail_msg("civil_parse accepted \"%s\"", bad[i]);
        assert_true(t == 12345); /* untouched */
    }
    int64_t t;
    assert_false(civil_parse(NULL, &t));
}

static void test_leap_years(void **state)
{
    (void)state;
    int64_t t;
    assert_true(civil_parse("2024-02-29", &t));
    assert_false(civil_parse("2026-02-29", &t));
    assert_true(civil_parse("2000-02-29", &t));
    assert_false(civil_parse("2100-02-29", &t));
    assert_true(civil_parse("1600-02-29", &t));
    assert_false(civil_parse("1700-02-29", &t));
    assert_true(civil_parse("0004-02-29", &t));
    assert_true(P("2024-03-01") - P("2024-02-28") == 2 * CIVIL_DAY);
    assert_true(P("2026-03-01") - P("2026-02-28") == CIVIL_DAY);
    assert_true(P("2025-01-01") - P("2024-01-01") == 366 * CIVIL_DAY);
    assert_true(P("2026-01-01") - P("2025-01-01") == 365 * CIVIL_DAY);
}

static void test_format(void **state)
{
    (void)state;
    assert_format(0, true, "1970-01-01 00:00:00");
    assert_format(0, false, "1970-01-01");
    assert_format(P("2026-11-22 13:45:07"), true, "2026-11-22 13:45:07");
    assert_format(P("2026-11-22 13:45:07"), false, "2026-11-22");
    assert_format(P("0001-01-01"), true, "0001-01-01 00:00:00");
    assert_format(P("0999-05-06 07:08:09"), true, "0999-05-06 07:08:09");
    assert_format(P("9999-12-31 23:59:59"), true, "9999-12-31 23:59:59");

    /* Round trip through format and parse. */
    for (int64_t t = P("1890-01-01"); t < P("2110-01-01"); t += 7777777) {
        char buf[32];
        civil_format(t, true, buf);
        assert_true(P(buf) == t);
        civil_format(t, false, buf);
        assert_true(P(buf) == t - (t - civil_day_number(t) * CIVIL_DAY));
    }
}

static void assert_add_months(const char *from, int64_t months, const char *want)
{
    char buf[32];
    civil_format(civil_add_months(P(from), months), true, buf);
    assert_string_equal(buf, want);
}

static void test_add_months(void **state)
{
    (void)state;
    assert_add_months("2026-01-31 00:00:00", 1, "2026-02-28 00:00:00");
    assert_add_months("2024-01-31 00:00:00", 1, "2024-02-29 00:00:00");
    assert_add_months("2026-01-31 10:30:00", 2, "2026-03-31 10:30:00");
    assert_add_months("2026-03-31 00:00:00", 1, "2026-04-30 00:00:00");
    assert_add_months("2026-03-31 00:00:00", -1, "2026-02-28 00:00:00");
    assert_add_months("2024-02-29 00:00:00", 12, "2025-02-28 00:00:00");
    assert_add_months("2024-02-29 00:00:00", 48, "2028-02-29 00:00:00");
    assert_add_months("2026-11-22 13:45:07", 0, "2026-11-22 13:45:07");
    assert_add_months("2026-11-22 00:00:00", 2, "2027-01-22 00:00:00");
    assert_add_months("2026-01-15 00:00:00", -1, "2025-12-15 00:00:00");
    assert_add_months("2026-01-15 00:00:00", -13, "2024-12-15 00:00:00");
    assert_add_months("1970-01-01 00:00:00", -1, "1969-12-01 00:00:00");
    assert_add_months("1969-12-31 23:59:59", 2, "1970-02-28 23:59:59");
    assert_add_months("1900-01-31 00:00:00", 1, "1900-02-28 00:00:00");
    assert_add_months("2000-01-31 00:00:00", 1, "2000-02-29 00:00:00");
    assert_add_months("2026-05-31 00:00:00", -120, "2016-05-31 00:00:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_from_fields_normalises),
        cmocka_unit_test(test_day_by_day),
        cmocka_unit_test(test_negative_times),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_add_months),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
