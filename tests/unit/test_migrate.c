/* Unit tests for the pure parts of migrate plan: core/migrate.c (layout,
 * statistics, accepted blockers, time estimate) and report/migrate_report.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "core/civil.h"
#include "core/migrate.h"
#include "core/policy.h"
#include "core/strbuf.h"
#include "report/migrate_report.h"

/* ---- helpers ---- */

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

static void set(Policy *p, PolicyOption opt, const char *value)
{
    char err[256] = "";
    if (!policy_apply(p, opt, value, err, sizeof(err)))
        fail_msg("policy_apply(%s): %s", value, err);
}

/* A daily timestamptz policy on public.events (created_at). */
static void daily(Policy *p)
{
    policy_init(p);
    p->schema = xstrdup("public");
    p->table = xstrdup("events");
    p->column = xstrdup("created_at");
    p->key_type = KEY_TIMESTAMPTZ;
    set(p, POPT_INTERVAL, "1 day");
}

static void inspection(MigrateInspection *m, const Policy *p)
{
    memset(m, 0, sizeof(*m));
    m->schema = xstrdup(p->schema);
    m->table = xstrdup(p->table);
    m->key_column = xstrdup(p->column);
    m->key_type = p->key_type;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("expected to find\n[%s]\nin\n[%s]", (needle), (hay));                         \
    } while (0)

#define assert_not_contains(hay, needle)                                                           \
    do {                                                                                           \
        if (strstr((hay), (needle)))                                                               \
            fail_msg("did not expect\n[%s]\nin\n[%s]", (needle), (hay));                           \
    } while (0)

/* ---- layout ---- */

/* 60 days of data, clock on the last day: every day of data, then premake 4. */
static void test_layout_covers_data_and_premake(void **state)
{
    (void)state;
    Policy p;
    daily(&p);
    MigrateInspection m;
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = T("2026-01-01 07:30");
    m.max_key = T("2026-03-01 22:00");
    size_t n = migrate_layout(&m, &p, T("2026-03-01 23:00"));
    assert_int_equal(n, 64); /* Jan 1 .. Mar 1 (60 days), then Mar 2 .. Mar 5 */
    assert_int_equal(m.nparts, 64);
    assert_string_equal(m.parts[0].name, "events_p20260101");
    assert_true(m.parts[0].lower == T("2026-01-01"));
    assert_true(m.parts[63].upper == T("2026-03-06"));
    assert_string_equal(m.parts[63].name, "events_p20260305");
    for (size_t i = 1; i < m.nparts; i++)
        assert_true(m.parts[i].lower == m.parts[i - 1].upper);
    assert_true(m.parts[5].est_rows == 0);
    migrate_inspection_free(&m);
    policy_free(&p);
}

/* Keys past the premake horizon are covered too; --start earlier than the data
 * moves the first partition back; an empty table gets the current cell on. */
static void test_layout_future_keys_start_and_empty(void **state)
{
    (void)state;
    Policy p;
    daily(&p);
    MigrateInspection m;
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = T("2026-01-10");
    m.max_key = T("2026-02-01 12:00");
    set(&p, POPT_START, "2026-01-08");
    size_t n = migrate_layout(&m, &p, T("2026-01-15"));
    assert_int_equal(n, 25); /* Jan 8 .. Feb 1 */
    assert_true(m.parts[0].lower == T("2026-01-08"));
    assert_true(m.parts[n - 1].upper == T("2026-02-02"));
    migrate_inspection_free(&m);

    inspection(&m, &p);
    set(&p, POPT_START, "none");
    set(&p, POPT_PREMAKE, "2");
    n = migrate_layout(&m, &p, T("2026-05-05 10:00"));
    assert_int_equal(n, 3);
    assert_string_equal(m.parts[0].name, "events_p20260505");
    migrate_inspection_free(&m);
    policy_free(&p);
}

static void test_layout_monthly_and_integer(void **state)
{
    (void)state;
    Policy p;
    daily(&p);
    set(&p, POPT_INTERVAL, "1 month");
    set(&p, POPT_PREMAKE, "1");
    MigrateInspection m;
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = T("2025-11-15");
    m.max_key = T("2026-01-03");
    assert_int_equal(migrate_layout(&m, &p, T("2026-01-03")), 4); /* Nov, Dec, Jan, Feb */
    assert_string_equal(m.parts[0].name, "events_p20251101");
    assert_true(m.parts[3].upper == T("2026-03-01"));
    migrate_inspection_free(&m);
    policy_free(&p);

    policy_init(&p);
    p.schema = xstrdup("public");
    p.table = xstrdup("ids");
    p.column = xstrdup("id");
    p.key_type = KEY_INTEGER;
    set(&p, POPT_INTERVAL, "1000");
    set(&p, POPT_PREMAKE, "2");
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = -5;
    m.max_key = 2500;
    assert_int_equal(migrate_layout(&m, &p, 0), 6); /* -1000 .. 5000 */
    assert_string_equal(m.parts[0].name, "ids_pm1000");
    assert_true(m.parts[5].upper == 5000);
    migrate_inspection_free(&m);

    /* near the top of integer: the last cell must end within the type */
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = 2147482000;
    m.max_key = 2147483000;
    size_t n = migrate_layout(&m, &p, 0);
    assert_true(n >= 1);
    assert_true(m.parts[m.nparts - 1].upper <= 2147483647LL);
    assert_true(m.max_key >= m.parts[m.nparts - 1].upper);
    migrate_inspection_free(&m);
    policy_free(&p);
}

static void test_layout_too_many(void **state)
{
    (void)state;
    Policy p;
    daily(&p);
    MigrateInspection m;
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = T("1900-01-01");
    m.max_key = T("2026-01-01");
    size_t n = migrate_layout(&m, &p, T("2026-01-01"));
    assert_true(n > MIGRATE_MAX_PARTITIONS);
    assert_int_equal(m.nparts, 0);
    assert_null(m.parts);
    migrate_inspection_free(&m);
    policy_free(&p);
}

/* ---- statistics ---- */

static void test_stats_fraction(void **state)
{
    (void)state;
    KeyStats s;
    memset(&s, 0, sizeof(s));
    /* uniform 0..1000 in 10 buckets, 10 % NULL, one common value 2000 at 20 % */
    for (int i = 0; i <= 10; i++)
        key_stats_add_bound(&s, i * 100);
    key_stats_add_mcv(&s, 2000, 0.2);
    s.null_frac = 0.1;
    assert_float_equal(key_stats_fraction(&s, 0, 1001), 0.7, 1e-6);
    assert_float_equal(key_stats_fraction(&s, 0, 500), 0.35, 0.01);
    assert_float_equal(key_stats_fraction(&s, 2000, 2001), 0.2, 1e-9);
    assert_float_equal(key_stats_fraction(&s, 1500, 1600), 0, 1e-9);
    assert_float_equal(key_stats_fraction(&s, -100, 3000), 0.9, 1e-6);
    int64_t lo, hi;
    assert_true(key_stats_range(&s, &lo, &hi));
    assert_true(lo == 0 && hi == 2000);
    key_stats_free(&s);
    assert_false(key_stats_range(&s, &lo, &hi));
    /* only common values (a date key with few distinct days) */
    key_stats_add_mcv(&s, 10, 0.5);
    key_stats_add_mcv(&s, 20, 0.5);
    assert_float_equal(key_stats_fraction(&s, 0, 15), 0.5, 1e-9);
    key_stats_free(&s);
}

static void test_copy_seconds(void **state)
{
    (void)state;
    assert_float_equal(migrate_copy_seconds(0, 0, 0), 0, 1e-9);
    assert_float_equal(migrate_copy_seconds(MIGRATE_COPY_ROWS_PER_S * 10, 1, 0), 10, 1e-9);
    assert_float_equal(migrate_copy_seconds(1, MIGRATE_COPY_BYTES_PER_S * 3, 0), 3, 1e-9);
    assert_float_equal(migrate_copy_seconds(1000, 0, 100), 10, 1e-9);
    /* --max-rate above the assumed rate changes nothing */
    assert_float_equal(migrate_copy_seconds(MIGRATE_COPY_ROWS_PER_S, 0, 1e9), 1, 1e-9);
}

/* ---- blockers and the report ---- */

static void sample_findings(MigrateInspection *m)
{
    finding_add(m, SEV_BLOCKER, "unique-scope", "events_pkey (primary key)",
                xstrdup("unique (id) becomes unique (id, created_at): after the re-layout, two "
                        "rows may share the same id if their created_at differ; the database no "
                        "longer enforces id alone"),
                "unique-scope");
    finding_add(m, SEV_WARNING, "view", "public.v", xstrdup("view public.v reads public.events"),
                NULL);
    finding_add(m, SEV_INFO, "owner", "public.events", xstrdup("owned by alice"), NULL);
}

static char *text_of(const MigrateInspection *m, const MigrateReportOptions *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    report_migrate_text(f, m, o);
    fclose(f);
    return buf;
}

static void test_report(void **state)
{
    (void)state;
    Policy p;
    daily(&p);
    MigrateInspection m;
    inspection(&m, &p);
    m.has_keys = true;
    m.min_key = T("2026-01-01 01:00");
    m.max_key = T("2026-01-02 23:00");
    m.identity_columns = (StrList){0};
    strlist_add(&m.identity_columns, xstrdup("id"));
    strlist_add(&m.identity_types, xstrdup("integer"));
    migrate_layout(&m, &p, T("2026-01-02 12:00"));
    m.parts[0].est_rows = 24;
    m.parts[0].est_bytes = 2400;
    m.parts[1].est_rows = 24;
    m.parts[1].est_bytes = 2400;
    m.rows = 48;
    m.bytes = 4800;
    sample_findings(&m);
    assert_int_equal(migrate_unaccepted_blockers(&m, NULL), 1);
    assert_int_equal(migrate_unaccepted_blockers(&m, "unique-scope"), 0);
    assert_int_equal(migrate_unaccepted_blockers(&m, "foo,unique-scope"), 0);
    assert_int_equal(migrate_unaccepted_blockers(&m, "unique"), 1);
    finding_add(&m, SEV_BLOCKER, "no-identity", "public.events", xstrdup("no primary key"), NULL);
    assert_int_equal(migrate_unaccepted_blockers(&m, "unique-scope,no-identity"), 1);

    MigrateReportOptions o = {.policy = &p};
    char *text = text_of(&m, &o);
    assert_contains(text, "source:     public.events, plain table");
    assert_contains(text, "new layout: 6 partitions of 1 day, premake 4, from 2026-01-01 00:00:00 "
                          "to 2026-01-07 00:00:00 (UTC)");
    assert_contains(text, "events_p20260101  2026-01-01 00:00:00  2026-01-02 00:00:00         24");
    assert_contains(text, "blockers (2):\n  unique-scope: events_pkey (primary key)\n");
    assert_contains(text, "(pass --accept unique-scope to go on)");
    assert_contains(text, "(cannot be accepted: fix it first)");
    assert_contains(text, "warnings (1):\n  view: public.v\n      view public.v reads");
    assert_contains(text, "info (1):\n  owner: public.events\n");
    assert_contains(text, "2 blockers left: migrate start would not go on; 1 cannot be accepted "
                          "and must be fixed first, the other needs --accept unique-scope\n");
    free(text);

    o.accept = "unique-scope";
    o.quiet = true;
    text = text_of(&m, &o);
    assert_string_equal(text, "1 blocker left: migrate start would not go on; it cannot be "
                              "accepted: fix it first\n");
    free(text);

    cJSON *j = report_migrate_json(&m, &o);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "source"), "table")->valuestring,
                        "events");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "partitions")), 6);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "findings")), 4);
    assert_int_equal(cJSON_GetObjectItem(j, "blockers")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(j, "unaccepted_blockers")->valueint, 1);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "start_would_proceed")));
    cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "findings"), 0);
    assert_string_equal(cJSON_GetObjectItem(f0, "severity")->valuestring, "blocker");
    assert_string_equal(cJSON_GetObjectItem(f0, "accept")->valuestring, "unique-scope");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(f0, "accepted")));
    cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "partitions"), 0);
    assert_string_equal(cJSON_GetObjectItem(p0, "lower")->valuestring, "2026-01-01 00:00:00");
    assert_int_equal(cJSON_GetObjectItem(p0, "est_rows")->valueint, 24);
    cJSON_Delete(j);
    migrate_inspection_free(&m);

    /* nothing in the way */
    inspection(&m, &p);
    o.accept = NULL;
    text = text_of(&m, &o);
    assert_string_equal(text, "no blockers: migrate start would go on\n");
    free(text);
    migrate_inspection_free(&m);
    policy_free(&p);
}

static void test_format_duration(void **state)
{
    (void)state;
    char buf[32];
    format_duration(0.2, buf);
    assert_string_equal(buf, "under 1 s");
    format_duration(42, buf);
    assert_string_equal(buf, "42 s");
    format_duration(600, buf);
    assert_string_equal(buf, "10 min");
    format_duration(3 * 3600 + 5 * 60, buf);
    assert_string_equal(buf, "3 h 5 min");
    format_duration(3.5 * 86400, buf);
    assert_string_equal(buf, "3.5 days");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_covers_data_and_premake),
        cmocka_unit_test(test_layout_future_keys_start_and_empty),
        cmocka_unit_test(test_layout_monthly_and_integer),
        cmocka_unit_test(test_layout_too_many),
        cmocka_unit_test(test_stats_fraction),
        cmocka_unit_test(test_copy_seconds),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_format_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
