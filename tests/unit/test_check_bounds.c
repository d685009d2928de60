/* Unit tests for core/check_bounds.c: CHECKs as pg_get_constraintdef prints them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/check_bounds.h"
#include "core/civil.h"

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

static void test_tenant_and_month(void **state)
{
    (void)state;
    CheckBounds b;
    check_bounds_parse(
        "CHECK (((tenant_id = 1) AND (created_at >= '2024-01-01 00:00:00'::timestamp "
        "without time zone) AND (created_at < '2024-02-01 00:00:00'::timestamp "
        "without time zone)))",
        &b);
    assert_string_equal(b.column, "created_at");
    assert_int_equal(b.key_type, KEY_TIMESTAMP);
    assert_int_equal(b.lower, T("2024-01-01"));
    assert_int_equal(b.upper, T("2024-02-01"));
    assert_string_equal(b.group, "tenant_id = 1");
    check_bounds_free(&b);
}

static void test_timestamptz_offset_dropped(void **state)
{
    (void)state;
    CheckBounds b;
    check_bounds_parse("CHECK (((t2 >= '2024-01-01 00:00:00+00'::timestamp with time zone) AND "
                       "(t2 < '2024-02-01 00:00:00+00'::timestamp with time zone)))",
                       &b);
    assert_string_equal(b.column, "t2");
    assert_int_equal(b.key_type, KEY_TIMESTAMPTZ);
    assert_int_equal(b.upper - b.lower, 31 * CIVIL_DAY);
    assert_null(b.group);
    check_bounds_free(&b);
}

/* BETWEEN prints as >= AND <=: the inclusive upper end is read as the next day. */
static void test_date_between(void **state)
{
    (void)state;
    CheckBounds b;
    check_bounds_parse("CHECK (((d >= '2024-01-01'::date) AND (d <= '2024-01-31'::date)))", &b);
    assert_int_equal(b.key_type, KEY_DATE);
    assert_int_equal(b.lower, T("2024-01-01"));
    assert_int_equal(b.upper, T("2024-02-01"));
    check_bounds_free(&b);
}

/* Quoted names, integers, and two constraints on two lines. */
static void test_quoted_integer_two_constraints(void **state)
{
    (void)state;
    CheckBounds b;
    check_bounds_parse("CHECK ((\"Mixed \"\"Col\" > 99))\nCHECK ((\"Mixed \"\"Col\" < 200))", &b);
    assert_string_equal(b.column, "Mixed \"Col");
    assert_int_equal(b.key_type, KEY_BIGINT);
    assert_int_equal(b.lower, 100);
    assert_int_equal(b.upper, 200);
    check_bounds_free(&b);
}

/* A range on a tenant and on time: time is the key, the tenant range the group. */
static void test_time_column_wins(void **state)
{
    (void)state;
    CheckBounds b;
    check_bounds_parse(
        "CHECK (((tenant_id >= 10) AND (tenant_id < 20) AND (d >= '2024-01-01'::date) "
        "AND (d < '2024-01-02'::date)))",
        &b);
    assert_string_equal(b.column, "d");
    assert_string_equal(b.group, "tenant_id in [10, 20)");
    check_bounds_free(&b);
}

/* No range: no key, everything is the group; a hostile literal is just text. */
static void test_no_range(void **state)
{
    (void)state;
    CheckBounds b;
    check_bounds_parse("CHECK ((tenant_id = ANY (ARRAY[1, 2])))", &b);
    assert_null(b.column);
    assert_string_equal(b.group, "tenant_id = ANY (ARRAY[1, 2])");
    check_bounds_free(&b);
    check_bounds_parse("CHECK (((note)::text <> ''' AND (x < 1) AND ''::text))", &b);
    assert_null(b.column);
    assert_non_null(b.group);
    check_bounds_free(&b);
    check_bounds_parse("", &b);
    assert_null(b.column);
    assert_null(b.group);
    check_bounds_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tenant_and_month),
        cmocka_unit_test(test_timestamptz_offset_dropped),
        cmocka_unit_test(test_date_between),
        cmocka_unit_test(test_quoted_integer_two_constraints),
        cmocka_unit_test(test_time_column_wins),
        cmocka_unit_test(test_no_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
