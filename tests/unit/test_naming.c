/* Unit tests for core/naming.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/interval.h"
#include "core/naming.h"

/* ---- helpers ---- */

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

static PartInterval IV(const char *text)
{
    PartInterval iv = {UNIT_DAY, 0};
    char err[256] = "";
    if (!interval_parse(text, &iv, err, sizeof err))
        fail_msg("interval_parse rejected \"%s\": %s", text, err);
    return iv;
}

/* n copies of piece into out (size 512). */
static const char *rep(char out[512], const char *piece, int n)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(out, piece);
    return out;
}

/* Strict UTF-8 check (no overlongs, surrogates or values past U+10FFFF). */
static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            min = 0x80;
            c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            min = 0x800;
            c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return false;
        }
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (*p & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
    }
    return true;
}

static void assert_name(const char *parent, KeyType key, const char *iv, int64_t lower,
                        const char *want)
{
    PartInterval p = IV(iv);
    char out[PG_NAME_MAX + 1];
    char prefix[PG_NAME_MAX + 1];
    partition_name(parent, key, &p, lower, out);
    assert_string_equal(out, want);
    assert_true(strlen(out) <= PG_NAME_MAX);
    partition_name_prefix(parent, key, &p, prefix);
    assert_true(strncmp(out, prefix, strlen(prefix)) == 0);
    size_t pl = strlen(prefix);
    assert_true(pl >= 2 && prefix[pl - 2] == '_' && prefix[pl - 1] == 'p');
}

static void assert_prefix(const char *parent, KeyType key, const char *iv, const char *want)
{
    PartInterval p = IV(iv);
    char prefix[PG_NAME_MAX + 1];
    partition_name_prefix(parent, key, &p, prefix);
    assert_string_equal(prefix, want);
}

/* ---- tests ---- */

static void test_short_names(void **state)
{
    (void)state;
    int64_t day = T("2026-11-22");
    assert_name("events", KEY_TIMESTAMPTZ, "daily", day, "events_p20261122");
    assert_name("events", KEY_TIMESTAMP, "1 day", day, "events_p20261122");
    assert_name("events", KEY_DATE, "daily", day, "events_p20261122");
    assert_name("events", KEY_TIMESTAMPTZ, "weekly", T("2026-11-16"), "events_p20261116");
    assert_name("events", KEY_TIMESTAMPTZ, "monthly", T("2026-11-01"), "events_p20261101");
    assert_name("events", KEY_DATE, "quarterly", T("2026-10-01"), "events_p20261001");
    assert_name("events", KEY_DATE, "yearly", T("1969-01-01"), "events_p19690101");
    assert_name("events", KEY_TIMESTAMPTZ, "15 minutes", T("2026-11-22 13:45"),
                "events_p20261122_1345");
    assert_name("events", KEY_TIMESTAMP, "hourly", T("2026-11-22 00:00"), "events_p20261122_0000");
    assert_name("events", KEY_TIMESTAMP, "hourly", T("1969-12-31 23:00"), "events_p19691231_2300");
    assert_name("events", KEY_TIMESTAMP, "daily", T("0001-01-01"), "events_p00010101");

    assert_prefix("events", KEY_TIMESTAMPTZ, "daily", "events_p");
    assert_prefix("events", KEY_BIGINT, "1000", "events_p");
}

static void test_numeric_names(void **state)
{
    (void)state;
    assert_name("events", KEY_BIGINT, "100", 100, "events_p100");
    assert_name("events", KEY_BIGINT, "100", 0, "events_p0");
    assert_name("events", KEY_BIGINT, "100", -100, "events_pm100");
    assert_name("events", KEY_INTEGER, "100", -100, "events_pm100");
    assert_name("events", KEY_INTEGER, "100", 2147483600, "events_p2147483600");
    assert_name("events", KEY_INTEGER, "1", INT32_MIN, "events_pm2147483648");
    assert_name("events", KEY_BIGINT, "1", INT64_MIN, "events_pm9223372036854775808");
    assert_name("events", KEY_BIGINT, "1", INT64_MAX, "events_p9223372036854775807");
}

static void test_hostile_names_pass_through(void **state)
{
    (void)state;
    int64_t day = T("2026-11-22");
    assert_name("\"; DROP TABLE x; --", KEY_TIMESTAMPTZ, "daily", day,
                "\"; DROP TABLE x; --_p20261122");
    assert_name("Mixed Case", KEY_TIMESTAMPTZ, "daily", day, "Mixed Case_p20261122");
    assert_name("it's", KEY_BIGINT, "10", -10, "it's_pm10");
    assert_name("événement", KEY_DATE, "monthly", T("2026-11-01"), "événement_p20261101");
    assert_name("", KEY_DATE, "daily", day, "_p20261122");
}

/* The cut is decided from the longest suffix: exactly at the limit no cut,
 * one byte more and the parent is cut and hashed. */
static void test_cut_boundaries(void **state)
{
    (void)state;
    char buf[512], want[512];
    int64_t day = T("2026-11-22");

    /* day-sized suffix: 10 bytes, so 53 bytes of parent still fit */
    rep(buf, "x", 53);
    strcpy(want, buf);
    strcat(want, "_p20261122");
    assert_name(buf, KEY_DATE, "daily", day, want);
    assert_int_equal(strlen(want), 63);

    rep(buf, "x", 54); /* cut to 63 - 10 - 9 = 44 */
    rep(want, "x", 44);
    strcat(want, "_e9d2073d_p20261122");
    assert_name(buf, KEY_DATE, "daily", day, want);
    assert_int_equal(strlen(want), 63);

    /* sub-day suffix: 15 bytes */
    rep(buf, "y", 48);
    strcpy(want, buf);
    strcat(want, "_p20261122_1345");
    assert_name(buf, KEY_TIMESTAMPTZ, "15 minutes", T("2026-11-22 13:45"), want);
    rep(buf, "y", 49); /* cut to 63 - 15 - 9 = 39 */
    rep(want, "y", 39);
    strcat(want, "_e2aefcc4_p20261122_1345");
    assert_name(buf, KEY_TIMESTAMPTZ, "15 minutes", T("2026-11-22 13:45"), want);
    /* the same parent with a daily interval needs no cut */
    strcpy(want, buf);
    strcat(want, "_p20261122");
    assert_name(buf, KEY_TIMESTAMPTZ, "daily", day, want);

    /* integer: 13 bytes ("_pm2147483648"), even for small values */
    rep(buf, "z", 50);
    strcpy(want, buf);
    strcat(want, "_p5");
    assert_name(buf, KEY_INTEGER, "5", 5, want);
    /* bigint: 22 bytes, so 42 bytes are cut to 63 - 22 - 9 = 32 */
    rep(buf, "z", 41);
    strcpy(want, buf);
    strcat(want, "_p5");
    assert_name(buf, KEY_BIGINT, "5", 5, want);
    rep(buf, "z", 42);
    rep(want, "z", 32);
    strcat(want, "_45333835_p5");
    assert_name(buf, KEY_BIGINT, "5", 5, want);
    rep(want, "z", 32);
    strcat(want, "_45333835_pm9223372036854775808");
    assert_name(buf, KEY_BIGINT, "5", INT64_MIN, want);
    assert_int_equal(strlen(want), 63);
}

static void test_63_byte_parent(void **state)
{
    (void)state;
    char buf[512], want[512];
    rep(buf, "a", 63);
    rep(want, "a", 44);
    strcat(want, "_2469b9e6_p20261122");
    assert_name(buf, KEY_TIMESTAMPTZ, "daily", T("2026-11-22"), want);
    rep(want, "a", 44);
    strcat(want, "_2469b9e6_p");
    assert_prefix(buf, KEY_TIMESTAMPTZ, "monthly", want);
}

static void check_utf8_parent(const char *parent, const char *iv, KeyType key, int64_t lower)
{
    PartInterval p = IV(iv);
    char out[PG_NAME_MAX + 1], prefix[PG_NAME_MAX + 1];
    partition_name(parent, key, &p, lower, out);
    partition_name_prefix(parent, key, &p, prefix);
    assert_true(strlen(out) <= PG_NAME_MAX);
    if (!valid_utf8(out))
        fail_msg("\"%s\" is not valid UTF-8", out);
    assert_true(valid_utf8(prefix));
    assert_true(strncmp(out, prefix, strlen(prefix)) == 0);
    /* the kept part is a prefix of the parent */
    const char *hash = strrchr(prefix, '_'); /* the "_p" */
    assert_non_null(hash);
    size_t kept = (size_t)(hash - prefix) - 9;
    assert_true(strncmp(prefix, parent, kept) == 0);
    assert_int_equal(prefix[kept], '_');
}

static void test_utf8_parent(void **state)
{
    (void)state;
    char buf[512], want[512];

    /* 62 bytes: twenty 3-byte characters and "ab". The 44-byte cut falls inside
     * the 15th character, which must go entirely: 42 bytes are kept. */
    rep(buf, "日", 20);
    strcat(buf, "ab");
    assert_int_equal(strlen(buf), 62);
    rep(want, "日", 14);
    strcat(want, "_6631be4a_p20261122");
    assert_name(buf, KEY_TIMESTAMPTZ, "daily", T("2026-11-22"), want);
    assert_int_equal(strlen(want), 61);
    check_utf8_parent(buf, "daily", KEY_TIMESTAMPTZ, T("2026-11-22"));

    /* 63 bytes: twenty-one 3-byte characters */
    rep(buf, "日", 21);
    rep(want, "日", 14);
    strcat(want, "_5415cb7d_p20261122");
    assert_name(buf, KEY_DATE, "daily", T("2026-11-22"), want);

    /* sub-day: cut at 39 = 13 characters exactly */
    rep(want, "日", 13);
    strcat(want, "_5415cb7d_p20261122_1200");
    assert_name(buf, KEY_TIMESTAMP, "2 hours", T("2026-11-22 12:00"), want);

    /* 2-byte characters: the 44-byte cut at an odd offset */
    rep(buf, "événement_", 7);
    assert_int_equal(strlen(buf), 84);
    check_utf8_parent(buf, "daily", KEY_DATE, T("2026-11-22"));
    check_utf8_parent(buf, "15 minutes", KEY_TIMESTAMPTZ, T("2026-11-22"));
    check_utf8_parent(buf, "100", KEY_BIGINT, -100);
    check_utf8_parent(buf, "100", KEY_INTEGER, -100);

    /* every alignment of 2-, 3- and 4-byte characters */
    static const char *const chars[] = {"é", "日", "😀"};
    for (size_t c = 0; c < sizeof chars / sizeof chars[0]; c++) {
        for (int lead = 0; lead < 4; lead++) {
            rep(buf, "a", lead);
            for (int i = 0; i < 30; i++)
                strcat(buf, chars[c]);
            check_utf8_parent(buf, "daily", KEY_DATE, T("2026-11-22"));
            check_utf8_parent(buf, "minute", KEY_TIMESTAMP, T("2026-11-22"));
            check_utf8_parent(buf, "7", KEY_INTEGER, 7);
            check_utf8_parent(buf, "7", KEY_BIGINT, 7);
        }
    }
}

static void test_long_parents_differ(void **state)
{
    (void)state;
    char a[512], b[512];
    rep(a, "a", 60);
    strcpy(b, a);
    strcat(a, "_one");
    strcat(b, "_two");
    static const char *const ivs[] = {"daily", "15 minutes", "monthly", "1000"};
    static const KeyType keys[] = {KEY_DATE, KEY_TIMESTAMPTZ, KEY_TIMESTAMP, KEY_BIGINT};
    for (size_t i = 0; i < sizeof ivs / sizeof ivs[0]; i++) {
        PartInterval p = IV(ivs[i]);
        char na[PG_NAME_MAX + 1], nb[PG_NAME_MAX + 1];
        int64_t lower = p.unit == UNIT_NUMERIC ? 1000 : T("2026-11-01");
        partition_name(a, keys[i], &p, lower, na);
        partition_name(b, keys[i], &p, lower, nb);
        assert_string_not_equal(na, nb);
        assert_true(strlen(na) <= PG_NAME_MAX && strlen(nb) <= PG_NAME_MAX);
        partition_name_prefix(a, keys[i], &p, na);
        partition_name_prefix(b, keys[i], &p, nb);
        assert_string_not_equal(na, nb);
    }
    rep(a, "a", 44);
    strcat(a, "_8e077592_p20261101");
    rep(b, "a", 44);
    strcat(b, "_57300968_p20261101");
    assert_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_one", KEY_DATE,
                "monthly", T("2026-11-01"), a);
    assert_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_two", KEY_DATE,
                "monthly", T("2026-11-01"), b);
}

/* All partitions of one parent share the prefix, whatever their value. */
static void test_shared_prefix(void **state)
{
    (void)state;
    char parent[512];
    for (int len = 30; len <= 70; len++) {
        rep(parent, "p", len);
        PartInterval n = IV("1000");
        char prefix[PG_NAME_MAX + 1], out[PG_NAME_MAX + 1];
        for (int k = KEY_INTEGER; k <= KEY_BIGINT; k++) {
            partition_name_prefix(parent, (KeyType)k, &n, prefix);
            int64_t lo = k == KEY_INTEGER ? INT32_MIN : INT64_MIN;
            int64_t vals[] = {lo, -1000, 0, 1000, 2147483000};
            for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
                partition_name(parent, (KeyType)k, &n, vals[i], out);
                assert_true(strlen(out) <= PG_NAME_MAX);
                assert_true(strncmp(out, prefix, strlen(prefix)) == 0);
            }
        }
        PartInterval m = IV("15 minutes");
        partition_name_prefix(parent, KEY_TIMESTAMPTZ, &m, prefix);
        for (int64_t t = T("2000-01-01"); t < T("2040-01-01"); t += 86400 * 101 + 900) {
            partition_name(parent, KEY_TIMESTAMPTZ, &m, t, out);
            assert_true(strlen(out) <= PG_NAME_MAX);
            assert_true(strncmp(out, prefix, strlen(prefix)) == 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_names),
        cmocka_unit_test(test_numeric_names),
        cmocka_unit_test(test_hostile_names_pass_through),
        cmocka_unit_test(test_cut_boundaries),
        cmocka_unit_test(test_63_byte_parent),
        cmocka_unit_test(test_utf8_parent),
        cmocka_unit_test(test_long_parents_differ),
        cmocka_unit_test(test_shared_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
