/* Unit tests for core/planner.c: plan_table() and snapshot_check_contiguous(). */
#include "snapshot_fixture.h"

#include "core/ident.h"

/* ---- helpers ---- */

static int64_t T(const char *text)
{
    return fx_time(text);
}

static const Action *act_at(const Plan *plan, size_t i)
{
    if (i >= plan->n) {
        fx_dump(plan);
        fail_msg("no action %zu in a plan of %zu", i, plan->n);
    }
    return &plan->actions[i];
}

static const char *sql_at(const Action *a, size_t i)
{
    if (i >= a->sql.n)
        fail_msg("action %s %s has %zu statements, not %zu", action_kind_name(a->kind), a->target,
                 a->sql.n, i + 1);
    return a->sql.items[i];
}

static const char *book_at(const Action *a, size_t i)
{
    if (i >= a->book_sql.n)
        fail_msg("action %s %s has %zu bookkeeping statements, not %zu", action_kind_name(a->kind),
                 a->target, a->book_sql.n, i + 1);
    return a->book_sql.items[i];
}

/* The statement of a that contains needle, or the test fails. */
static const char *sql_with(const Action *a, const char *needle)
{
    for (size_t i = 0; i < a->sql.n; i++)
        if (strstr(a->sql.items[i], needle))
            return a->sql.items[i];
    fail_msg("no statement of %s %s contains \"%s\"", action_kind_name(a->kind), a->target, needle);
    return NULL;
}

/* Whether any SQL of the plan contains needle. */
static bool plan_mentions(const Plan *plan, const char *needle)
{
    for (size_t i = 0; i < plan->n; i++) {
        const char *all[64];
        size_t n = fx_action_sql(&plan->actions[i], all, 64);
        for (size_t k = 0; k < n; k++)
            if (strstr(all[k], needle))
                return true;
    }
    return false;
}

static bool plan_mentions_why(const Plan *plan, const char *needle)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->actions[i].why && strstr(plan->actions[i].why, needle))
            return true;
    return false;
}

/* Creates and attaches in pairs, starting at index `first`, for the
 * partitions named in targets; each ATTACH depends on its CREATE, each
 * CREATE on the ATTACH before it (the first on dep0). */
static void assert_create_pairs_after(const Plan *plan, size_t first, int dep0,
                                      const char *const *targets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Action *c = act_at(plan, first + 2 * i);
        const Action *a = act_at(plan, first + 2 * i + 1);
        assert_int_equal(c->kind, ACT_CREATE);
        assert_int_equal(a->kind, ACT_ATTACH);
        assert_string_equal(c->target, targets[i]);
        assert_string_equal(a->target, targets[i]);
        assert_int_equal(c->depends_on, i == 0 ? dep0 : (int)(first + 2 * i - 1));
        assert_int_equal(a->depends_on, (int)(first + 2 * i));
        assert_false(c->destructive);
        assert_false(a->destructive);
        assert_false(a->autocommit);
    }
}

static void assert_create_pairs(const Plan *plan, size_t first, const char *const *targets,
                                size_t n)
{
    assert_create_pairs_after(plan, first, -1, targets, n);
}

/* Whether action i waits, directly or through others, for action j. */
static bool waits_for(const Plan *plan, int i, int j)
{
    for (size_t steps = 0; i >= 0 && steps <= plan->n; steps++) {
        i = act_at(plan, (size_t)i)->depends_on;
        if (i == j)
            return true;
    }
    return false;
}

/* Creation never leaves a gap behind: every step that makes a partition
 * (create, adopt, move, and the drop of a stale leftover it replaces) waits
 * for the attach of the partition before it. */
static void assert_creation_chained(const Plan *plan)
{
    int last_attach = -1;
    for (size_t i = 0; i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        bool starts_cell =
            a->kind == ACT_CREATE || a->kind == ACT_MOVE_DEFAULT ||
            (a->kind == ACT_ATTACH && (i == 0 || plan->actions[i - 1].kind != ACT_CREATE));
        if (a->kind == ACT_DROP_LEFTOVER && i + 1 < plan->n &&
            plan->actions[i + 1].kind == ACT_CREATE &&
            strcmp(plan->actions[i + 1].target, a->target) == 0)
            starts_cell = true;
        if (starts_cell && last_attach >= 0 && !waits_for(plan, (int)i, last_attach)) {
            fx_dump(plan);
            fail_msg("action %zu (%s %s) does not wait for the attach at %d before it", i,
                     action_kind_name(a->kind), a->target, last_attach);
        }
        if (a->kind == ACT_ATTACH || a->kind == ACT_MOVE_DEFAULT)
            last_attach = (int)i;
    }
}

/* The attach statements' bounds, in plan order. */
static size_t attach_bounds(const Plan *plan, KeyType key, int64_t *lo, int64_t *hi, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->n && n < max; i++) {
        const Action *a = &plan->actions[i];
        if (a->kind != ACT_ATTACH && a->kind != ACT_MOVE_DEFAULT)
            continue;
        fx_attach_bounds(key, sql_with(a, "ATTACH PARTITION"), &lo[n], &hi[n]);
        n++;
    }
    return n;
}

/* ---- creation ---- */

static void test_empty_daily(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    static Plan plan;
    fx_plan(&plan, &t);

    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH,
             ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    const char *targets[] = {"public.events_p20261122", "public.events_p20261123",
                             "public.events_p20261124", "public.events_p20261125",
                             "public.events_p20261126"};
    assert_create_pairs(&plan, 0, targets, 5);
    assert_creation_chained(&plan);

    const Action *c = act_at(&plan, 0);
    const Action *a = act_at(&plan, 1);
    assert_string_equal(c->table, "public.events");
    assert_int_equal(c->sql.n, 1);
    assert_string_equal(sql_at(c, 0),
                        "CREATE TABLE \"public\".\"events_p20261122\" (LIKE \"public\".\"events\" "
                        "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING "
                        "COMMENTS INCLUDING GENERATED INCLUDING STATISTICS)");
    assert_int_equal(c->book_sql.n, 1);
    assert_string_equal(book_at(c, 0),
                        "INSERT INTO pgstrata.pending (schema, name, parent_schema, parent_table, "
                        "lower_bound, upper_bound) VALUES ('public', 'events_p20261122', 'public', "
                        "'events', '2026-11-22 00:00:00', '2026-11-23 00:00:00') ON CONFLICT "
                        "(schema, name) DO UPDATE SET parent_schema = EXCLUDED.parent_schema, "
                        "parent_table = EXCLUDED.parent_table, lower_bound = "
                        "EXCLUDED.lower_bound, upper_bound = EXCLUDED.upper_bound, created_at = "
                        "pg_catalog.now()");
    assert_int_equal(c->pre_sql.n, 0);
    assert_int_equal(a->sql.n, 1);
    assert_string_equal(
        sql_at(a, 0), "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                      "\"public\".\"events_p20261122\" FOR VALUES FROM ('2026-11-22 00:00:00+00') "
                      "TO ('2026-11-23 00:00:00+00')");
    assert_string_equal(book_at(a, 0), "DELETE FROM pgstrata.pending WHERE schema = 'public' AND "
                                       "name = 'events_p20261122'");
    assert_string_equal(book_at(a, 1), "UPDATE pgstrata.policy SET last_layout_change = "
                                       "'2026-11-22 03:00:00+00'::timestamptz WHERE "
                                       "parent_schema = 'public' AND parent_table = 'events'");
    assert_contains(a->why, "[2026-11-22 00:00:00, 2026-11-23 00:00:00)");
    assert_contains(a->lock, "SHARE UPDATE EXCLUSIVE on public.events");
    assert_non_null(c->lock);
    assert_non_null(c->why);

    /* The last partition ends at 2026-11-27: the current day and 4 ahead. */
    assert_contains(sql_at(act_at(&plan, 9), 0), "FROM ('2026-11-26 00:00:00+00') TO "
                                                 "('2026-11-27 00:00:00+00')");

    const Action *an = act_at(&plan, 10);
    assert_string_equal(an->target, "public.events");
    assert_string_equal(sql_at(an, 0), "ANALYZE \"public\".\"events\"");
    assert_contains(an->why, "partition set changes");
    assert_contains(book_at(an, 0), "last_analyzed_at");
    assert_int_equal(an->depends_on, -1);
    for (size_t i = 0; i < plan.n; i++) {
        assert_int_equal(plan.actions[i].lock_timeout_ms, POLICY_DEFAULT_LOCK_TIMEOUT);
        assert_string_equal(plan.actions[i].table, "public.events");
    }
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_covered_is_noop(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-10"), T("2026-11-27"));
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan);
    plan_free(&plan);

    /* Coverage beyond the horizon is no reason to act either. */
    fx_add_cells(&t, T("2026-11-27"), T("2026-12-10"));
    fx_plan(&plan, &t);
    FX_KINDS(&plan);
    plan_free(&plan);

    /* One day short: exactly the missing one. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-10"), T("2026-11-26"));
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    assert_string_equal(act_at(&plan, 0)->target, "public.events_p20261126");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_premake_span(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_PREMAKE, "7 days");
    assert_false(t.policy.premake.is_count);
    static Plan plan;
    fx_plan(&plan, &t);
    /* now + 7 days = 2026-11-29 03:00 must be covered: 22..29, 8 partitions. */
    assert_int_equal(fx_count(&plan, ACT_CREATE), 8);
    assert_int_equal(fx_count(&plan, ACT_ATTACH), 8);
    assert_int_equal(fx_find(&plan, ACT_CREATE, "public.events_p20261129"), 14);
    assert_int_equal(fx_find(&plan, ACT_CREATE, "public.events_p20261130"), -1);
    plan_free(&plan);

    /* A span on a weekly interval rounds up to whole weeks. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMPTZ, "1 week", "2026-11-22 03:00:00");
    fx_option(&t, POPT_PREMAKE, "10 days");
    fx_plan(&plan, &t);
    /* now + 10 days = 12-02 (a Wednesday): weeks of 11-16, 11-23, 11-30. */
    assert_int_equal(fx_count(&plan, ACT_CREATE), 3);
    assert_int_equal(fx_find(&plan, ACT_CREATE, "public.events_p20261130"), 4);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_time_zone_daily(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-03-07 03:00:00");
    fx_option(&t, POPT_TIME_ZONE, "America/New_York");
    assert_string_equal(snapshot_zone(&t.policy), "America/New_York");
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ATTACH), 5);
    const Action *a = act_at(&plan, 3);
    assert_string_equal(a->target, "public.events_p20260308");
    assert_string_equal(sql_at(a, 0),
                        "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                        "\"public\".\"events_p20260308\" FOR VALUES FROM (('2026-03-08 "
                        "00:00:00'::timestamp AT TIME ZONE 'America/New_York')) TO (('2026-03-09 "
                        "00:00:00'::timestamp AT TIME ZONE 'America/New_York'))");
    assert_false(plan_mentions(&plan, "+00')")); /* no UTC bound literal */
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_time_zone_hourly_uses_utc(void **state)
{
    (void)state;
    static TableSnapshot t;
    /* Sub-day intervals align in UTC: now is civil UTC. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 hour", "2026-03-08 05:30:00");
    fx_option(&t, POPT_TIME_ZONE, "America/New_York");
    assert_string_equal(snapshot_zone(&t.policy), "UTC");
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p20260308_0500", "public.events_p20260308_0600",
                             "public.events_p20260308_0700", "public.events_p20260308_0800",
                             "public.events_p20260308_0900"};
    assert_create_pairs(&plan, 0, targets, 5);
    assert_contains(sql_at(act_at(&plan, 1), 0),
                    "FROM ('2026-03-08 05:00:00+00') TO ('2026-03-08 06:00:00+00')");
    assert_false(plan_mentions(&plan, "AT TIME ZONE"));
    assert_false(plan_mentions(&plan, "America/New_York"));
    /* Every partition is exactly one hour long, and they follow each other. */
    int64_t lo[8], hi[8];
    size_t n = attach_bounds(&plan, KEY_TIMESTAMPTZ, lo, hi, 8);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(hi[i] - lo[i], 3600);
        if (i)
            assert_int_equal(lo[i], hi[i - 1]);
    }
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_dst_new_york(void **state)
{
    (void)state;
    static TableSnapshot t;
    /* DST starts on 2026-03-08 and ends on 2026-11-01 in New York. */
    const char *nows[] = {"2026-03-06 12:00:00", "2026-10-30 12:00:00"};
    for (size_t k = 0; k < 2; k++) {
        fx_init(&t, KEY_TIMESTAMPTZ, "1 day", nows[k]);
        fx_option(&t, POPT_TIME_ZONE, "America/New_York");
        static Plan plan;
        fx_plan(&plan, &t);
        int64_t lo[8], hi[8];
        size_t n = attach_bounds(&plan, KEY_TIMESTAMPTZ, lo, hi, 8);
        assert_int_equal(n, 5);
        for (size_t i = 0; i < n; i++) {
            /* Civil midnights, one civil day apart: the server makes the DST
             * day 23 (or 25) hours long. */
            assert_int_equal(lo[i] % CIVIL_DAY, 0);
            assert_int_equal(hi[i] - lo[i], CIVIL_DAY);
            if (i)
                assert_int_equal(lo[i], hi[i - 1]);
        }
        if (k == 0)
            assert_contains(sql_with(act_at(&plan, 5), "ATTACH"),
                            "FROM (('2026-03-08 00:00:00'::timestamp AT TIME ZONE "
                            "'America/New_York')) TO (('2026-03-09 00:00:00'::timestamp AT TIME "
                            "ZONE 'America/New_York'))");
        else
            assert_contains(sql_with(act_at(&plan, 5), "ATTACH"),
                            "FROM (('2026-11-01 00:00:00'::timestamp AT TIME ZONE "
                            "'America/New_York')) TO (('2026-11-02 00:00:00'::timestamp AT TIME "
                            "ZONE 'America/New_York'))");
        plan_free(&plan);
        snapshot_free(&t);
    }
}

static void test_monthly(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "monthly", "2026-11-22 03:00:00");
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p20261101", "public.events_p20261201",
                             "public.events_p20270101", "public.events_p20270201",
                             "public.events_p20270301"};
    assert_create_pairs(&plan, 0, targets, 5);
    assert_contains(sql_at(act_at(&plan, 1), 0),
                    "FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')");
    assert_contains(sql_at(act_at(&plan, 3), 0),
                    "FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')");
    assert_contains(sql_at(act_at(&plan, 7), 0),
                    "FROM ('2027-02-01 00:00:00+00') TO ('2027-03-01 00:00:00+00')");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_quarterly(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "quarterly", "2026-11-22 03:00:00");
    fx_option(&t, POPT_PREMAKE, "2");
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p20261001", "public.events_p20270101",
                             "public.events_p20270401"};
    assert_create_pairs(&plan, 0, targets, 3);
    assert_contains(sql_at(act_at(&plan, 1), 0),
                    "FROM ('2026-10-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')");
    assert_contains(sql_at(act_at(&plan, 5), 0),
                    "FROM ('2027-04-01 00:00:00+00') TO ('2027-07-01 00:00:00+00')");
    assert_int_equal(plan.n, 7);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_weekly_iso_monday(void **state)
{
    (void)state;
    static TableSnapshot t;
    /* 2026-11-22 is a Sunday: its ISO week began on Monday 2026-11-16. */
    fx_init(&t, KEY_TIMESTAMPTZ, "weekly", "2026-11-22 23:59:00");
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p20261116", "public.events_p20261123",
                             "public.events_p20261130", "public.events_p20261207",
                             "public.events_p20261214"};
    assert_create_pairs(&plan, 0, targets, 5);
    assert_contains(sql_at(act_at(&plan, 1), 0),
                    "FROM ('2026-11-16 00:00:00+00') TO ('2026-11-23 00:00:00+00')");
    int64_t lo[8], hi[8];
    size_t n = attach_bounds(&plan, KEY_TIMESTAMPTZ, lo, hi, 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(civil_weekday(lo[i]), 0);
        assert_int_equal(hi[i] - lo[i], 7 * CIVIL_DAY);
    }
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_fifteen_minutes(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "15 minutes", "2026-11-22 03:22:10");
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p20261122_0315", "public.events_p20261122_0330",
                             "public.events_p20261122_0345", "public.events_p20261122_0400",
                             "public.events_p20261122_0415"};
    assert_create_pairs(&plan, 0, targets, 5);
    assert_contains(sql_at(act_at(&plan, 1), 0),
                    "FROM ('2026-11-22 03:15:00+00') TO ('2026-11-22 03:30:00+00')");
    assert_contains(sql_at(act_at(&plan, 9), 0),
                    "FROM ('2026-11-22 04:15:00+00') TO ('2026-11-22 04:30:00+00')");
    plan_free(&plan);

    /* Across midnight. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMPTZ, "30 minutes", "2026-12-31 23:40:00");
    fx_option(&t, POPT_PREMAKE, "1");
    fx_plan(&plan, &t);
    const char *t2[] = {"public.events_p20261231_2330", "public.events_p20270101_0000"};
    assert_create_pairs(&plan, 0, t2, 2);
    assert_contains(sql_at(act_at(&plan, 3), 0),
                    "FROM ('2027-01-01 00:00:00+00') TO ('2027-01-01 00:30:00+00')");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_date_key(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_DATE, "1 day", "2026-11-22 03:00:00");
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_CREATE), 5);
    const Action *a = act_at(&plan, 1);
    assert_string_equal(a->target, "public.events_p20261122");
    assert_string_equal(sql_at(a, 0), "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                                      "\"public\".\"events_p20261122\" FOR VALUES FROM "
                                      "('2026-11-22') TO ('2026-11-23')");
    assert_contains(book_at(act_at(&plan, 0), 0), "'2026-11-22', '2026-11-23')");
    assert_false(plan_mentions(&plan, "+00')")); /* no UTC bound literal */
    assert_false(plan_mentions(&plan, "AT TIME ZONE"));
    plan_free(&plan);

    /* A zone does not change how a date is written. */
    fx_option(&t, POPT_TIME_ZONE, "Europe/Berlin");
    fx_plan(&plan, &t);
    assert_false(plan_mentions(&plan, "AT TIME ZONE"));
    assert_contains(sql_at(act_at(&plan, 1), 0), "FROM ('2026-11-22') TO ('2026-11-23')");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_timestamp_key(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMP, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_TIME_ZONE, "Asia/Tokyo");
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ATTACH), 5);
    assert_string_equal(sql_at(act_at(&plan, 1), 0),
                        "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                        "\"public\".\"events_p20261122\" FOR VALUES FROM ('2026-11-22 00:00:00') "
                        "TO ('2026-11-23 00:00:00')");
    assert_false(plan_mentions(&plan, "+00')")); /* no UTC bound literal */
    assert_false(plan_mentions(&plan, "AT TIME ZONE"));
    plan_free(&plan);

    /* Hourly timestamp (without zone) partitions are named and bounded plainly. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMP, "2 hours", "2026-11-22 03:00:00");
    fx_plan(&plan, &t);
    assert_string_equal(act_at(&plan, 0)->target, "public.events_p20261122_0200");
    assert_contains(sql_at(act_at(&plan, 1), 0),
                    "FROM ('2026-11-22 02:00:00') TO ('2026-11-22 04:00:00')");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_bigint_follows_max_key(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_BIGINT, "1000", "2026-11-22 03:00:00");
    t.has_max_key = true;
    t.max_key = 5500;
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p5000", "public.events_p6000", "public.events_p7000",
                             "public.events_p8000", "public.events_p9000"};
    assert_create_pairs(&plan, 0, targets, 5);
    assert_string_equal(sql_at(act_at(&plan, 1), 0),
                        "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                        "\"public\".\"events_p5000\" FOR VALUES FROM ('5000') TO ('6000')");
    assert_contains(book_at(act_at(&plan, 0), 0), "'events', '5000', '6000')");
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH,
             ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    plan_free(&plan);

    /* With partitions up to 6000 and max_key 5500: 6000..9000 follow. */
    fx_add_cells(&t, 0, 6000);
    fx_plan(&plan, &t);
    const char *t2[] = {"public.events_p6000", "public.events_p7000", "public.events_p8000",
                        "public.events_p9000"};
    assert_create_pairs(&plan, 0, t2, 4);
    assert_int_equal(plan.n, 9);
    plan_free(&plan);

    /* The data moves on: the horizon follows max_key, not the clock. */
    fx_add_cells(&t, 6000, 10000);
    t.max_key = 9100;
    fx_plan(&plan, &t);
    const char *t3[] = {"public.events_p10000", "public.events_p11000", "public.events_p12000",
                        "public.events_p13000"};
    assert_create_pairs(&plan, 0, t3, 4);
    plan_free(&plan);

    /* Negative values are named with an m. */
    snapshot_free(&t);
    fx_init(&t, KEY_INTEGER, "100", "2026-11-22 03:00:00");
    t.has_max_key = true;
    t.max_key = -250;
    fx_option(&t, POPT_PREMAKE, "1");
    fx_plan(&plan, &t);
    const char *t4[] = {"public.events_pm300", "public.events_pm200"};
    assert_create_pairs(&plan, 0, t4, 2);
    assert_contains(sql_at(act_at(&plan, 1), 0), "FROM ('-300') TO ('-200')");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_integer_start(void **state)
{
    (void)state;
    static TableSnapshot t;
    /* Empty table, no max: the first partition is the cell holding --start. */
    fx_init(&t, KEY_INTEGER, "1000", "2026-11-22 03:00:00");
    fx_option(&t, POPT_START, "1500");
    fx_option(&t, POPT_PREMAKE, "2");
    static Plan plan;
    fx_plan(&plan, &t);
    const char *targets[] = {"public.events_p1000", "public.events_p2000", "public.events_p3000"};
    assert_create_pairs(&plan, 0, targets, 3);
    assert_int_equal(plan.n, 7);
    plan_free(&plan);
    snapshot_free(&t);

    /* A time --start in the past fills from there. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_START, "2026-11-20");
    fx_option(&t, POPT_PREMAKE, "1");
    fx_plan(&plan, &t);
    const char *t2[] = {"public.events_p20261120", "public.events_p20261121",
                        "public.events_p20261122", "public.events_p20261123"};
    assert_create_pairs(&plan, 0, t2, 4);
    assert_int_equal(plan.n, 9);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_int32_limit(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_INTEGER, "1000", "2026-11-22 03:00:00");
    t.has_max_key = true;
    t.max_key = 2147482500;
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_SKIP, ACT_ANALYZE);
    assert_string_equal(act_at(&plan, 0)->target, "public.events_p2147482000");
    assert_contains(sql_at(act_at(&plan, 1), 0), "FROM ('2147482000') TO ('2147483000')");
    assert_contains(act_at(&plan, 2)->why, "integer key range ends");
    plan_free(&plan);

    /* Already at the last whole cell: only the note, every pass. */
    fx_add_cells(&t, 2147480000, 2147483000);
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_SKIP);
    plan_free(&plan);

    /* A bigint key has room. */
    snapshot_free(&t);
    fx_init(&t, KEY_BIGINT, "1000", "2026-11-22 03:00:00");
    t.has_max_key = true;
    t.max_key = 2147482500;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ATTACH), 5);
    assert_int_equal(fx_count(&plan, ACT_SKIP), 0);
    plan_free(&plan);
    snapshot_free(&t);
}

/* No bound of an integer key may leave the int32 range, at either end. */
static void test_int32_lower_limit(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_INTEGER, "1000", "2026-11-22 03:00:00");
    t.has_max_key = true;
    t.max_key = -2147483500; /* a valid integer, in the cell [-2147484000, -2147483000) */
    fx_option(&t, POPT_PREMAKE, "1");
    static Plan plan;
    fx_plan(&plan, &t);
    int64_t lo[8], hi[8];
    size_t n = attach_bounds(&plan, KEY_BIGINT, lo, hi, 8);
    for (size_t i = 0; i < n; i++) {
        if (lo[i] < INT32_MIN || hi[i] > INT32_MAX) {
            fx_dump(&plan);
            fail_msg("integer partition bound out of range: [%lld, %lld)", (long long)lo[i],
                     (long long)hi[i]);
        }
    }
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_max_new_per_pass(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 minute", "2026-11-22 03:00:00");
    fx_option(&t, POPT_START, "2026-11-01");
    t.policy.analyze = ANALYZE_NEVER;
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_CREATE), 10000);
    assert_int_equal(fx_count(&plan, ACT_SKIP), 1);
    assert_int_equal(act_at(&plan, plan.n - 1)->kind, ACT_SKIP);
    assert_contains(act_at(&plan, plan.n - 1)->why, "more than 10000 partitions are missing");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_set_owner_and_lock_timeout(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_PREMAKE, "1");
    fx_option(&t, POPT_LOCK_TIMEOUT, "2s");
    t.set_owner = true;
    free(t.owner);
    t.owner = xstrdup("App Owner");
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    const Action *c = act_at(&plan, 0);
    assert_int_equal(c->sql.n, 2);
    assert_string_equal(sql_at(c, 1),
                        "ALTER TABLE \"public\".\"events_p20261122\" OWNER TO \"App Owner\"");
    for (size_t i = 0; i < plan.n; i++)
        assert_int_equal(plan.actions[i].lock_timeout_ms, 2000);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_two_tables_in_one_plan(void **state)
{
    (void)state;
    static TableSnapshot a, b;
    fx_init(&a, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&a, POPT_PREMAKE, "1");
    fx_init(&b, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_set_names(&b, "public", "metrics");
    fx_option(&b, POPT_PREMAKE, "1");
    fx_add_cells(&b, T("2026-11-22"), T("2026-11-23"));
    static Plan plan;
    ServerInfo s = fx_server(150000);
    PlanOptions o = fx_opts();
    plan_init(&plan);
    plan_table(&plan, &a, &s, &o);
    size_t first_b = plan.n;
    assert_int_equal(first_b, 5);
    plan_table(&plan, &b, &s, &o);
    /* b: one missing day, attached after its own create (indexes are global). */
    assert_int_equal(plan.n, first_b + 3);
    const Action *c = act_at(&plan, first_b);
    const Action *at = act_at(&plan, first_b + 1);
    assert_int_equal(c->kind, ACT_CREATE);
    assert_string_equal(c->target, "public.metrics_p20261123");
    assert_string_equal(c->table, "public.metrics");
    assert_int_equal(at->kind, ACT_ATTACH);
    assert_int_equal(at->depends_on, (int)first_b);
    assert_int_equal(act_at(&plan, first_b + 2)->kind, ACT_ANALYZE);
    assert_string_equal(act_at(&plan, first_b + 2)->target, "public.metrics");
    plan_free(&plan);

    /* A no-op table after a changing one gets no ANALYZE of its own. */
    fx_add_cells(&b, T("2026-11-23"), T("2026-11-24"));
    plan_init(&plan);
    plan_table(&plan, &a, &s, &o);
    plan_table(&plan, &b, &s, &o);
    assert_int_equal(plan.n, 5);
    plan_free(&plan);
    snapshot_free(&a);
    snapshot_free(&b);
}

/* ---- retention ---- */

/* Daily, retention 30 days, 40 days of partitions (2026-10-14 .. 11-22). */
static void retention_snapshot(TableSnapshot *t)
{
    fx_init(t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(t, POPT_RETENTION, "30 days");
    fx_add_cells(t, T("2026-10-14"), T("2026-11-23"));
    assert_int_equal(t->nparts, 40);
}

static void test_retention_detach_drop(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    static Plan plan;
    fx_plan(&plan, &t);
    /* 4 new days, then 10-14 .. 10-22 (upper <= 10-23 03:00), then analyze. */
    assert_int_equal(plan.n, 8 + 18 + 1);
    const char *targets[] = {"public.events_p20261123", "public.events_p20261124",
                             "public.events_p20261125", "public.events_p20261126"};
    assert_create_pairs(&plan, 0, targets, 4);
    int prev_detach = -1;
    for (int d = 0; d < 9; d++) {
        size_t i = 8 + 2 * (size_t)d;
        const Action *det = act_at(&plan, i);
        const Action *drop = act_at(&plan, i + 1);
        char name[64], target[80];
        snprintf(name, sizeof name, "events_p202610%02d", 14 + d);
        snprintf(target, sizeof target, "public.%s", name);
        assert_int_equal(det->kind, ACT_DETACH);
        assert_string_equal(det->target, target);
        assert_true(det->autocommit);
        assert_true(det->destructive);
        assert_int_equal(det->depends_on, prev_detach);
        assert_int_equal(det->sql.n, 1);
        char want[256];
        snprintf(want, sizeof want,
                 "ALTER TABLE \"public\".\"events\" DETACH PARTITION \"public\".\"%s\" "
                 "CONCURRENTLY",
                 name);
        assert_string_equal(sql_at(det, 0), want);
        snprintf(want, sizeof want,
                 "ALTER TABLE \"public\".\"events\" DETACH PARTITION \"public\".\"%s\" FINALIZE",
                 name);
        assert_string_equal(det->retry_sql, want);
        assert_int_equal(det->pre_sql.n, 1);
        assert_contains(det->pre_sql.items[0], "INSERT INTO pgstrata.retired");
        snprintf(want, sizeof want, "'public', '%s', 'public', 'events', ", name);
        assert_contains(det->pre_sql.items[0], want);
        assert_contains(det->pre_sql.items[0], "'detaching'");
        assert_contains(det->pre_sql.items[0], "ON CONFLICT (schema, name) DO UPDATE");
        assert_contains(book_at(det, 0), "state = 'detached'");
        assert_contains(book_at(det, 0), "'2026-11-22 03:00:00+00'::timestamptz");
        assert_contains(book_at(det, 1), "last_layout_change");
        assert_contains(det->why, "retention");
        assert_contains(det->why, "2026-10-23 03:00:00");
        assert_contains(det->lock, "SHARE UPDATE EXCLUSIVE");

        assert_int_equal(drop->kind, ACT_DROP);
        assert_string_equal(drop->target, target);
        assert_int_equal(drop->depends_on, (int)i);
        assert_true(drop->destructive);
        assert_false(drop->autocommit);
        snprintf(want, sizeof want, "DROP TABLE \"public\".\"%s\"", name);
        assert_string_equal(sql_at(drop, 0), want);
        snprintf(want, sizeof want,
                 "DELETE FROM pgstrata.retired WHERE schema = 'public' AND name = '%s'", name);
        assert_string_equal(book_at(drop, 0), want);
        prev_detach = (int)i;
    }
    /* The first detach carries the range of the partition. */
    assert_contains(act_at(&plan, 8)->pre_sql.items[0],
                    "'[2026-10-14 00:00:00, 2026-10-15 00:00:00)'");
    /* 10-23 ends after the cutoff and stays. */
    assert_int_equal(fx_find(&plan, ACT_DETACH, "public.events_p20261023"), -1);
    assert_int_equal(act_at(&plan, plan.n - 1)->kind, ACT_ANALYZE);
    plan_free(&plan);

    /* The cutoff is exact: at 2026-11-23 00:00, 10-24 00:00 is the limit. */
    fx_set_now(&t, T("2026-11-23 00:00:00"));
    fx_plan(&plan, &t);
    assert_true(fx_find(&plan, ACT_DETACH, "public.events_p20261023") >= 0);
    assert_int_equal(fx_find(&plan, ACT_DETACH, "public.events_p20261024"), -1);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_retention_with_default_plain_detach(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-27"));
    fx_set_default(&t, "events_default", true);
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 9);
    assert_int_equal(fx_count(&plan, ACT_DROP), 9);
    for (size_t i = 0; i < plan.n; i++) {
        const Action *a = &plan.actions[i];
        if (a->kind != ACT_DETACH)
            continue;
        assert_false(a->autocommit);
        assert_null(a->retry_sql);
        assert_not_contains(sql_at(a, 0), "CONCURRENTLY");
        assert_contains(sql_at(a, 0), "ALTER TABLE \"public\".\"events\" DETACH PARTITION ");
        assert_contains(a->why, "default partition");
        assert_contains(a->why, "events_default");
        assert_contains(a->lock, "ACCESS EXCLUSIVE on public.events");
        assert_contains(a->lock, "1000 ms");
    }
    /* The default partition itself is never retired. */
    assert_int_equal(fx_find(&plan, ACT_DETACH, "public.events_default"), -1);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_retention_old_server_plain_detach(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-27"));
    static Plan plan;
    PlanOptions o = fx_opts();
    fx_plan_with(&plan, &t, 130000, &o);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 9);
    const Action *a = act_at(&plan, 0);
    assert_int_equal(a->kind, ACT_DETACH);
    assert_false(a->autocommit);
    assert_null(a->retry_sql);
    assert_string_equal(sql_at(a, 0), "ALTER TABLE \"public\".\"events\" DETACH PARTITION "
                                      "\"public\".\"events_p20261014\"");
    assert_contains(a->why, "14");
    assert_contains(a->why, "13.0");
    /* ANALYZE (not ONLY) before 18. */
    assert_string_equal(sql_at(act_at(&plan, plan.n - 1), 0), "ANALYZE \"public\".\"events\"");
    plan_free(&plan);

    /* 14 is enough. */
    fx_plan_with(&plan, &t, 140000, &o);
    assert_true(act_at(&plan, 0)->autocommit);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_retention_mode_detach(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-27"));
    fx_option(&t, POPT_RETENTION_MODE, "detach");
    fx_option(&t, POPT_DETACH_SCHEMA, "Old Parts");
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 9);
    assert_int_equal(fx_count(&plan, ACT_SET_SCHEMA), 9);
    assert_int_equal(fx_count(&plan, ACT_DROP), 0);
    const Action *det = act_at(&plan, 0);
    const Action *ss = act_at(&plan, 1);
    assert_int_equal(det->kind, ACT_DETACH);
    assert_int_equal(ss->kind, ACT_SET_SCHEMA);
    assert_string_equal(ss->target, "public.events_p20261014");
    assert_int_equal(ss->depends_on, 0);
    assert_true(ss->destructive);
    assert_string_equal(sql_at(ss, 0),
                        "ALTER TABLE \"public\".\"events_p20261014\" SET SCHEMA \"Old Parts\"");
    assert_string_equal(book_at(ss, 0),
                        "UPDATE pgstrata.retired SET schema = 'Old Parts', state = 'kept', "
                        "updated_at = pg_catalog.now() WHERE schema = 'public' AND name = "
                        "'events_p20261014'");
    assert_contains(ss->why, "Old Parts");
    /* The next detach waits for the previous detach, not for the move. */
    assert_int_equal(act_at(&plan, 2)->kind, ACT_DETACH);
    assert_int_equal(act_at(&plan, 2)->depends_on, 0);
    plan_free(&plan);

    /* A retired row already moved and kept: nothing more to do. */
    fx_remove_part(&t, "events_p20261014");
    fx_add_retired(&t, "Old Parts", "events_p20261014", "[2026-10-14, 2026-10-15)", RS_KEPT, true,
                   false);
    fx_plan(&plan, &t);
    assert_int_equal(fx_find(&plan, ACT_SET_SCHEMA, "\"Old Parts\".events_p20261014"), -1);
    assert_int_equal(fx_find(&plan, ACT_FORGET, "\"Old Parts\".events_p20261014"), -1);
    plan_free(&plan);
    snapshot_free(&t);
}

/* Detach mode without --detach-schema: the table is kept where it is, and
 * the retired row should say so once the detach is done. */
static void test_retention_mode_detach_in_place(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-27"));
    fx_option(&t, POPT_RETENTION_MODE, "detach");
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 9);
    assert_int_equal(fx_count(&plan, ACT_SET_SCHEMA), 0);
    assert_int_equal(fx_count(&plan, ACT_DROP), 0);
    assert_int_equal(fx_count(&plan, ACT_FORGET), 0);
    assert_int_equal(plan.n, 10);
    plan_free(&plan);

    /* A row left 'detached' (a run that stopped before writing it down):
     * recorded as kept. */
    fx_remove_part(&t, "events_p20261014");
    RetiredInfo *r =
        fx_add_retired(&t, "public", "events_p20261014",
                       "[2026-10-14 00:00:00, 2026-10-15 00:00:00)", RS_DETACHED, true, false);
    r->has_detached_at = true;
    r->detached_at = T("2026-11-21 03:00:00");
    fx_plan(&plan, &t);
    int f = fx_find(&plan, ACT_FORGET, "public.events_p20261014");
    assert_int_equal(f, 0);
    assert_contains(book_at(act_at(&plan, 0), 0), "state = 'kept'");
    assert_false(act_at(&plan, 0)->destructive);
    plan_free(&plan);
    snapshot_free(&t);
}

/* The bookkeeping of a detach in detach mode, without a schema to move to,
 * records the table as kept: nothing further is planned for it, so a later
 * pass must not find it 'detached' and "repair" it. */
static void test_retention_mode_detach_in_place_records_kept(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-27"));
    fx_option(&t, POPT_RETENTION_MODE, "detach");
    static Plan plan;
    fx_plan(&plan, &t);
    const Action *det = act_at(&plan, 0);
    assert_int_equal(det->kind, ACT_DETACH);
    assert_contains(book_at(det, 0), "state = 'kept'");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_retention_mode_archive(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_set_names(&t, "public", "ev'ents");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_option(&t, POPT_RETENTION_MODE, "archive");
    fx_option(&t, POPT_ARCHIVE_COMMAND, "gzip > /archive/%t.gz && echo %r 100%%");
    fx_add_cells(&t, T("2026-10-20"), T("2026-11-27"));
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_DETACH, ACT_ARCHIVE, ACT_DROP, ACT_DETACH, ACT_ARCHIVE, ACT_DROP,
             ACT_DETACH, ACT_ARCHIVE, ACT_DROP, ACT_ANALYZE);
    const Action *det = act_at(&plan, 0);
    const Action *ar = act_at(&plan, 1);
    const Action *drop = act_at(&plan, 2);
    assert_string_equal(det->target, "public.\"ev'ents_p20261020\"");
    assert_string_equal(sql_at(det, 0), "ALTER TABLE \"public\".\"ev'ents\" DETACH PARTITION "
                                        "\"public\".\"ev'ents_p20261020\" CONCURRENTLY");
    assert_contains(det->pre_sql.items[0], "'public', 'ev''ents_p20261020', 'public', 'ev''ents'");
    assert_string_equal(ar->target, "public.\"ev'ents_p20261020\"");
    assert_int_equal(ar->depends_on, 0);
    assert_true(ar->destructive);
    assert_string_equal(ar->copy_sql, "COPY \"public\".\"ev'ents_p20261020\" TO STDOUT");
    assert_string_equal(ar->command, "gzip > /archive/'public.\"ev'\\''ents_p20261020\"'.gz && "
                                     "echo '[2026-10-20 00:00:00, 2026-10-21 00:00:00)' 100%");
    assert_int_equal(ar->pre_sql.n, 1);
    assert_contains(ar->pre_sql.items[0], "state = 'archiving'");
    assert_contains(ar->pre_sql.items[0], "name = 'ev''ents_p20261020'");
    assert_contains(book_at(ar, 0), "state = 'archived'");
    assert_int_equal(drop->depends_on, 1);
    assert_string_equal(sql_at(drop, 0), "DROP TABLE \"public\".\"ev'ents_p20261020\"");
    assert_int_equal(act_at(&plan, 3)->depends_on, 0);
    plan_free(&plan);

    /* Retired rows: archiving is rerun from scratch, archived goes to drop. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_option(&t, POPT_RETENTION_MODE, "archive");
    fx_option(&t, POPT_ARCHIVE_COMMAND, "cat > /dev/null");
    fx_add_cells(&t, T("2026-10-23"), T("2026-11-27"));
    fx_add_retired(&t, "public", "events_p20261021", "[2026-10-21 00:00:00, 2026-10-22 00:00:00)",
                   RS_ARCHIVING, true, false);
    fx_add_retired(&t, "public", "events_p20261022", "[2026-10-22 00:00:00, 2026-10-23 00:00:00)",
                   RS_ARCHIVED, true, false);
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ARCHIVE, ACT_DROP, ACT_DROP);
    assert_string_equal(act_at(&plan, 0)->target, "public.events_p20261021");
    assert_string_equal(act_at(&plan, 0)->command, "cat > /dev/null");
    assert_int_equal(act_at(&plan, 1)->depends_on, 0);
    assert_string_equal(act_at(&plan, 2)->target, "public.events_p20261022");
    assert_int_equal(act_at(&plan, 2)->depends_on, -1);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_drop_delay(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_option(&t, POPT_DROP_DELAY, "1 day");
    fx_add_cells(&t, T("2026-10-22"), T("2026-11-27"));
    RetiredInfo *r =
        fx_add_retired(&t, "public", "events_p20261020",
                       "[2026-10-20 00:00:00, 2026-10-21 00:00:00)", RS_DETACHED, true, false);
    r->has_detached_at = true;
    r->detached_at = T("2026-11-20 03:00:00"); /* two days ago: due */
    r = fx_add_retired(&t, "public", "events_p20261021",
                       "[2026-10-21 00:00:00, 2026-10-22 00:00:00)", RS_DETACHED, true, false);
    r->has_detached_at = true;
    r->detached_at = T("2026-11-22 02:00:00"); /* an hour ago: not yet */
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_DROP, ACT_SKIP, ACT_DETACH, ACT_SKIP, ACT_ANALYZE);
    assert_string_equal(act_at(&plan, 0)->target, "public.events_p20261020");
    assert_int_equal(act_at(&plan, 0)->depends_on, -1);
    assert_string_equal(sql_at(act_at(&plan, 0), 0), "DROP TABLE \"public\".\"events_p20261020\"");
    assert_string_equal(act_at(&plan, 1)->target, "public.events_p20261021");
    assert_contains(act_at(&plan, 1)->why, "stays detached until 2026-11-23 02:00:00");
    assert_contains(act_at(&plan, 1)->why, "1 day");
    assert_int_equal(act_at(&plan, 1)->sql.n, 0);
    assert_string_equal(act_at(&plan, 2)->target, "public.events_p20261022");
    /* Detached in this pass: its drop waits a day. */
    assert_string_equal(act_at(&plan, 3)->target, "public.events_p20261022");
    assert_contains(act_at(&plan, 3)->why, "stays detached until 2026-11-23 03:00:00");
    plan_free(&plan);

    /* Exactly at the end of the delay the drop is due. */
    fx_set_now(&t, T("2026-11-23 02:00:00"));
    fx_plan(&plan, &t);
    assert_int_equal(fx_find(&plan, ACT_DROP, "public.events_p20261021"), 1);
    plan_free(&plan);
    snapshot_free(&t);
}

/* A retired row still 'detaching' (the detach went through, the run stopped
 * before recording detached_at): --drop-delay must still be honoured, not
 * skipped for want of a detach time. */
static void test_drop_delay_without_detached_at(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_option(&t, POPT_DROP_DELAY, "7 days");
    fx_add_cells(&t, T("2026-10-23"), T("2026-11-27"));
    fx_add_retired(&t, "public", "events_p20261022", "[2026-10-22 00:00:00, 2026-10-23 00:00:00)",
                   RS_DETACHING, true, false);
    static Plan plan;
    fx_plan(&plan, &t);
    if (fx_count(&plan, ACT_DROP) != 0) {
        fx_dump(&plan);
        fail_msg("a table detached at an unknown time is dropped at once despite --drop-delay");
    }
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_window(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_option(&t, POPT_WINDOW, "01:00-05:00");
    RetiredInfo *r =
        fx_add_retired(&t, "public", "events_p20261001",
                       "[2026-10-01 00:00:00, 2026-10-02 00:00:00)", RS_DETACHED, true, false);
    r->has_detached_at = true;
    r->detached_at = T("2026-10-31 03:00:00");

    /* 03:00 is inside: retirement proceeds. */
    static Plan plan;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 9);
    assert_int_equal(fx_count(&plan, ACT_DROP), 10);
    assert_int_equal(fx_count(&plan, ACT_SKIP), 0);
    plan_free(&plan);

    /* 12:00 is outside: creation goes on, retirement waits, one note. */
    fx_set_now(&t, T("2026-11-22 12:00:00"));
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_SKIP, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE,
             ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    assert_string_equal(act_at(&plan, 0)->why, "retirement steps wait for the window 01:00-05:00 "
                                               "(UTC); it is 12:00 there now");
    plan_free(&plan);

    /* Without the retired row the note comes from retention, after creation. */
    fx_remove_retired(&t, "events_p20261001");
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH,
             ACT_CREATE, ACT_ATTACH, ACT_SKIP, ACT_ANALYZE);
    plan_free(&plan);

    /* The end of the window is exclusive. */
    fx_set_now(&t, T("2026-11-22 05:00:00"));
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 0);
    assert_int_equal(fx_count(&plan, ACT_SKIP), 1);
    plan_free(&plan);
    fx_set_now(&t, T("2026-11-22 01:00:00"));
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 9);
    plan_free(&plan);

    /* Nothing to retire: no note outside the window. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 12:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_option(&t, POPT_WINDOW, "01:00-05:00");
    fx_add_cells(&t, T("2026-11-01"), T("2026-11-27"));
    fx_plan(&plan, &t);
    FX_KINDS(&plan);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_window_wraps_midnight(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-27"));
    fx_option(&t, POPT_WINDOW, "22:00-04:00");
    const struct {
        const char *now;
        bool open;
    } cases[] = {
        {"2026-11-22 22:00:00", true},  {"2026-11-22 23:30:00", true},
        {"2026-11-22 00:00:00", true},  {"2026-11-22 03:59:00", true},
        {"2026-11-22 04:00:00", false}, {"2026-11-22 12:00:00", false},
        {"2026-11-22 21:59:00", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_set_now(&t, T(cases[i].now));
        static Plan plan;
        fx_plan(&plan, &t);
        if (cases[i].open) {
            assert_true(fx_count(&plan, ACT_DETACH) > 0);
            assert_int_equal(fx_count(&plan, ACT_SKIP), 0);
        } else {
            FX_KINDS(&plan, ACT_SKIP);
            assert_contains(act_at(&plan, 0)->why, "22:00-04:00");
        }
        plan_free(&plan);
    }
    snapshot_free(&t);
}

static void test_creation_only(void **state)
{
    (void)state;
    static TableSnapshot t;
    retention_snapshot(&t);
    static Plan plan;
    PlanOptions o = fx_opts();
    o.creation_only = true;
    fx_plan_with(&plan, &t, 150000, &o);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH,
             ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_finalize_pending_detach(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_add_cells(&t, T("2026-10-22"), T("2026-11-27"));
    fx_find_part(&t, "events_p20261022")->detach_pending = true;
    fx_add_retired(&t, "public", "events_p20261022", "[2026-10-22 00:00:00, 2026-10-23 00:00:00)",
                   RS_DETACHING, true, true);
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_FINALIZE, ACT_DROP, ACT_ANALYZE);
    const Action *f = act_at(&plan, 0);
    assert_string_equal(f->target, "public.events_p20261022");
    assert_true(f->autocommit);
    assert_string_equal(sql_at(f, 0), "ALTER TABLE \"public\".\"events\" DETACH PARTITION "
                                      "\"public\".\"events_p20261022\" FINALIZE");
    assert_contains(book_at(f, 0), "state = 'detached'");
    assert_contains(f->why, "interrupted");
    const Action *d = act_at(&plan, 1);
    assert_string_equal(d->target, "public.events_p20261022");
    assert_int_equal(d->depends_on, 0);
    assert_contains(act_at(&plan, 2)->why, "partition set changes");
    plan_free(&plan);

    /* A pending detach pgstrata did not start: finalized, nothing dropped. */
    fx_remove_retired(&t, "events_p20261022");
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_FINALIZE, ACT_ANALYZE);
    plan_free(&plan);

    /* Finalize comes first even with other work. */
    fx_remove_part(&t, "events_p20261126");
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_FINALIZE, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_retired_bookkeeping(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_add_cells(&t, T("2026-10-23"), T("2026-11-27"));
    /* Gone: forget it. */
    fx_add_retired(&t, "public", "events_p20261001", "[2026-10-01 00:00:00, 2026-10-02 00:00:00)",
                   RS_DETACHED, false, false);
    /* Still attached and no longer due (retention was lengthened): forget. */
    fx_add_retired(&t, "public", "events_p20261025", "[2026-10-25 00:00:00, 2026-10-26 00:00:00)",
                   RS_DETACHING, true, true);
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_FORGET, ACT_FORGET);
    const Action *a = act_at(&plan, 0);
    assert_string_equal(a->target, "public.events_p20261001");
    assert_int_equal(a->sql.n, 0);
    assert_string_equal(book_at(a, 0), "DELETE FROM pgstrata.retired WHERE schema = 'public' AND "
                                       "name = 'events_p20261001'");
    assert_contains(a->why, "no longer exists");
    assert_false(a->destructive);
    assert_string_equal(act_at(&plan, 1)->target, "public.events_p20261025");
    assert_contains(act_at(&plan, 1)->why, "no longer past retention");
    plan_free(&plan);
    snapshot_free(&t);

    /* Attached and still due: the retention detach takes it again. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "30 days");
    fx_add_cells(&t, T("2026-10-22"), T("2026-11-27"));
    fx_add_retired(&t, "public", "events_p20261022", "[2026-10-22 00:00:00, 2026-10-23 00:00:00)",
                   RS_DETACHING, true, true);
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_DETACH, ACT_DROP, ACT_ANALYZE);
    plan_free(&plan);
    snapshot_free(&t);
}

/* ---- pending leftovers and names ---- */

static void test_pending_adopt(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-23"));
    fx_add_pending(&t, "events_p20261123", T("2026-11-23"), T("2026-11-24"), true, false);
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE,
             ACT_ATTACH, ACT_ANALYZE);
    const Action *a = act_at(&plan, 0);
    assert_string_equal(a->target, "public.events_p20261123");
    assert_int_equal(a->depends_on, -1);
    assert_contains(a->why, "adopt");
    assert_string_equal(sql_at(a, 0), "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                                      "\"public\".\"events_p20261123\" FOR VALUES FROM "
                                      "('2026-11-23 00:00:00+00') TO ('2026-11-24 00:00:00+00')");
    assert_contains(book_at(a, 0), "DELETE FROM pgstrata.pending");
    assert_int_equal(fx_find(&plan, ACT_CREATE, "public.events_p20261123"), -1);
    assert_int_equal(act_at(&plan, 1)->depends_on, 0);
    assert_int_equal(act_at(&plan, 3)->depends_on, 2);
    assert_creation_chained(&plan);
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_pending_leftover(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-27"));
    fx_add_pending(&t, "events_p20261001", T("2026-10-01"), T("2026-10-02"), true, false);
    fx_add_pending(&t, "events_p20261002", T("2026-10-02"), T("2026-10-03"), false, false);
    fx_add_pending(&t, "events_p20261121", T("2026-11-21"), T("2026-11-22"), true, true);
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_DROP_LEFTOVER, ACT_FORGET, ACT_FORGET);
    const Action *a = act_at(&plan, 0);
    assert_string_equal(a->target, "public.events_p20261001");
    assert_string_equal(sql_at(a, 0), "DROP TABLE \"public\".\"events_p20261001\"");
    assert_string_equal(a->guard_sql, "SELECT pg_catalog.count(*) FROM (SELECT 1 FROM "
                                      "\"public\".\"events_p20261001\" LIMIT 1) s");
    assert_int_equal(a->guard_max, 0);
    assert_non_null(a->guard_error);
    assert_contains(a->guard_error, "%lld");
    assert_string_equal(book_at(a, 0), "DELETE FROM pgstrata.pending WHERE schema = 'public' AND "
                                       "name = 'events_p20261001'");
    assert_contains(act_at(&plan, 1)->why, "gone");
    assert_string_equal(book_at(act_at(&plan, 1), 0),
                        "DELETE FROM pgstrata.pending WHERE schema = 'public' AND name = "
                        "'events_p20261002'");
    assert_contains(act_at(&plan, 2)->why, "attached already");
    plan_free(&plan);
    snapshot_free(&t);

    /* Ours with the wanted name but another range (the interval changed):
     * it is dropped and made again for the right range. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-23"));
    fx_add_pending(&t, "events_p20261123", T("2026-11-23"), T("2026-11-30"), true, false);
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_DROP_LEFTOVER, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_CREATE,
             ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    assert_string_equal(act_at(&plan, 0)->target, "public.events_p20261123");
    assert_int_equal(act_at(&plan, 0)->guard_max, 0);
    const char *targets[] = {"public.events_p20261123", "public.events_p20261124",
                             "public.events_p20261125", "public.events_p20261126"};
    assert_create_pairs_after(&plan, 1, 0, targets, 4);
    assert_contains(book_at(act_at(&plan, 1), 0), "'2026-11-23 00:00:00', '2026-11-24 00:00:00')");
    plan_free(&plan);
    snapshot_free(&t);
}

/* The stale leftover is not first in line: its drop and re-creation must
 * still wait for the partition before it, or a failed attach leaves a gap
 * behind a later partition (which then stops the table). */
static void test_pending_replace_chained(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-23"));
    fx_add_pending(&t, "events_p20261124", T("2026-11-24"), T("2026-11-26"), true, false);
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_DROP_LEFTOVER, ACT_CREATE, ACT_ATTACH, ACT_CREATE,
             ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    assert_creation_chained(&plan);
    plan_free(&plan);
    snapshot_free(&t);
}

/* A pending row whose table is gone, for the very cell wanted next: the new
 * CREATE must not trip over the old row (pgstrata.pending has a primary key
 * on (schema, name)), so the old row goes first or the insert tolerates it. */
static void test_pending_gone_same_name(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-23"));
    fx_add_pending(&t, "events_p20261123", T("2026-11-23"), T("2026-11-24"), false, false);
    static Plan plan;
    fx_plan(&plan, &t);
    int create = fx_find(&plan, ACT_CREATE, "public.events_p20261123");
    int forget = fx_find(&plan, ACT_FORGET, "public.events_p20261123");
    assert_true(create >= 0);
    const char *insert = book_at(act_at(&plan, (size_t)create), 0);
    assert_contains(insert, "INSERT INTO pgstrata.pending");
    if (!strstr(insert, "ON CONFLICT") && !(forget >= 0 && forget < create)) {
        fx_dump(&plan);
        fail_msg("the CREATE inserts a pending row for events_p20261123 while the stale row for "
                 "the same name is deleted only later (action %d): duplicate key",
                 forget);
    }
    plan_free(&plan);
    snapshot_free(&t);
}

/* A leftover for a range the default partition now has rows in cannot simply
 * be attached: the attach would fail on the default's rows on every pass. */
static void test_pending_adopt_with_default_rows(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-23"));
    fx_set_default(&t, "events_default", true);
    const char *cols[] = {"id", "created_at"};
    fx_set_columns(&t, cols, 2);
    t.default_has_rows = true;
    t.default_min = T("2026-11-23 01:00:00");
    t.default_max = T("2026-11-23 02:00:00");
    fx_add_pending(&t, "events_p20261123", T("2026-11-23"), T("2026-11-24"), true, false);
    static Plan plan;
    fx_plan(&plan, &t);
    int attach = fx_find(&plan, ACT_ATTACH, "public.events_p20261123");
    if (attach >= 0) {
        fx_dump(&plan);
        fail_msg("plain ATTACH of events_p20261123 planned although the default partition holds "
                 "rows in its range");
    }
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_taken_name(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_taken(&t, "events_p20261124");
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ERROR, ACT_ANALYZE);
    const Action *e = act_at(&plan, 4);
    assert_string_equal(e->target, "public.events_p20261124");
    assert_contains(e->why, "public.events_p20261124");
    assert_contains(e->why, "already exists");
    assert_contains(e->why, "[2026-11-24 00:00:00, 2026-11-25 00:00:00)");
    assert_int_equal(e->sql.n, 0);
    assert_int_equal(fx_find(&plan, ACT_CREATE, "public.events_p20261125"), -1);
    plan_free(&plan);

    /* An attached partition of ours with that name but another range: same. */
    snapshot_free(&t);
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_part(&t, "events_p20261123", T("2026-11-20"), T("2026-11-23"));
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ERROR);
    assert_contains(act_at(&plan, 0)->why, "events_p20261123");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_move_default(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_set_default(&t, "events_default", true);
    const char *cols[] = {"id", "created_at", "Payload"};
    fx_set_columns(&t, cols, 3);
    t.default_has_rows = true;
    t.default_min = T("2026-11-23 05:00:00");
    t.default_max = T("2026-11-24 10:00:00");
    static Plan plan;
    PlanOptions o = fx_opts();
    o.default_move_max_rows = 5000;
    fx_plan_with(&plan, &t, 150000, &o);
    FX_KINDS(&plan, ACT_SKIP, ACT_CREATE, ACT_ATTACH, ACT_MOVE_DEFAULT, ACT_MOVE_DEFAULT,
             ACT_CREATE, ACT_ATTACH, ACT_CREATE, ACT_ATTACH, ACT_ANALYZE);
    assert_creation_chained(&plan);
    /* Each pass says the default holds rows. */
    const Action *note = act_at(&plan, 0);
    assert_string_equal(note->target, "public.events_default");
    assert_contains(note->why, "2026-11-23 05:00:00 to 2026-11-24 10:00:00");
    const Action *m = act_at(&plan, 3);
    assert_string_equal(m->target, "public.events_p20261123");
    assert_int_equal(m->depends_on, 2);
    assert_contains(m->why, "from 2026-11-23 05:00:00 to 2026-11-24 10:00:00");
    assert_contains(m->why, "[2026-11-23 00:00:00, 2026-11-24 00:00:00)");
    assert_false(m->autocommit);
    assert_int_equal(m->sql.n, 4);
    assert_contains(sql_at(m, 0), "CREATE TABLE \"public\".\"events_p20261123\" (LIKE");
    assert_string_equal(sql_at(m, 1),
                        "LOCK TABLE \"public\".\"events_default\" IN ACCESS EXCLUSIVE MODE");
    assert_string_equal(
        sql_at(m, 2),
        "WITH moved AS (DELETE FROM \"public\".\"events_default\" WHERE \"created_at\" >= "
        "'2026-11-23 00:00:00+00' AND \"created_at\" < '2026-11-24 00:00:00+00' RETURNING "
        "\"id\", \"created_at\", \"Payload\") INSERT INTO \"public\".\"events_p20261123\" "
        "(\"id\", \"created_at\", \"Payload\") SELECT \"id\", \"created_at\", \"Payload\" FROM "
        "moved");
    assert_string_equal(sql_at(m, 3),
                        "ALTER TABLE \"public\".\"events\" ATTACH PARTITION "
                        "\"public\".\"events_p20261123\" FOR VALUES FROM ('2026-11-23 "
                        "00:00:00+00') TO ('2026-11-24 00:00:00+00')");
    assert_string_equal(m->guard_sql, "SELECT pg_catalog.count(*) FROM "
                                      "\"public\".\"events_default\" WHERE \"created_at\" >= "
                                      "'2026-11-23 00:00:00+00' AND \"created_at\" < '2026-11-24 "
                                      "00:00:00+00'");
    assert_int_equal(m->guard_max, 5000);
    assert_contains(m->guard_error, "%lld rows");
    assert_contains(m->guard_error, "5000");
    assert_contains(m->lock, "ACCESS EXCLUSIVE on the default partition public.events_default");
    assert_contains(book_at(m, 0), "last_layout_change");
    assert_contains(sql_at(act_at(&plan, 4), 2), "'2026-11-24 00:00:00+00'");
    assert_int_equal(act_at(&plan, 4)->depends_on, 3);
    assert_int_equal(act_at(&plan, 5)->depends_on, 4);
    /* Cells without default rows attach normally; the attach lock says the
     * default is scanned. */
    assert_contains(act_at(&plan, 2)->lock, "default partition public.events_default");
    plan_free(&plan);
    snapshot_free(&t);
}

/* The executor puts the count in place of the first "%lld" of guard_error
 * (db/executor.c, not printf): names holding '%' must leave that first
 * "%lld" where the count belongs. */
static void test_guard_error_placeholder(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_set_names(&t, "public", "100%s_done");
    fx_set_default(&t, "def%n%%", true);
    const char *cols[] = {"created_at"};
    fx_set_columns(&t, cols, 1);
    t.default_has_rows = true;
    t.default_min = T("2026-11-22 05:00:00");
    t.default_max = T("2026-11-22 06:00:00");
    fx_add_pending(&t, "100%s_done_p20261001", T("2026-10-01"), T("2026-10-02"), true, false);
    static Plan plan;
    fx_plan(&plan, &t);
    int m = fx_find(&plan, ACT_MOVE_DEFAULT, NULL);
    int d = fx_find(&plan, ACT_DROP_LEFTOVER, NULL);
    assert_true(m >= 0 && d >= 0);
    const char *ge = act_at(&plan, (size_t)m)->guard_error;
    assert_non_null(strstr(ge, "%lld"));
    assert_true(strncmp(strstr(ge, "%lld"), "%lld rows in [2026-11-22", 24) == 0);
    assert_contains(ge, "public.\"def%n%%\" holds %lld rows");
    ge = act_at(&plan, (size_t)d)->guard_error;
    assert_true(strncmp(strstr(ge, "%lld"), "%lld found)", 11) == 0);
    assert_contains(ge, "public.\"100%s_done_p20261001\", left by an earlier run");
    plan_free(&plan);
    snapshot_free(&t);
}

/* ---- what stops a table ---- */

static void test_gap(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "1 day");
    fx_add_cells(&t, T("2026-11-18"), T("2026-11-22"));
    fx_add_cells(&t, T("2026-11-23"), T("2026-11-24"));
    fx_add_retired(&t, "public", "events_p20261001", "[2026-10-01 00:00:00, 2026-10-02 00:00:00)",
                   RS_DETACHED, false, false);
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_FORGET, ACT_ERROR);
    const Action *e = act_at(&plan, 1);
    assert_string_equal(e->target, "public.events");
    assert_contains(e->why, "gap");
    assert_contains(e->why, "events_p20261121");
    assert_contains(e->why, "events_p20261123");
    assert_contains(e->why, "2026-11-22 00:00:00");
    assert_contains(e->why, "cannot be inserted");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_missing_problem_disabled(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_RETENTION, "1 day");
    fx_add_cells(&t, T("2026-11-01"), T("2026-11-10"));
    t.oid = 0;
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ERROR);
    assert_string_equal(act_at(&plan, 0)->target, "public.events");
    assert_contains(act_at(&plan, 0)->why, "does not exist");
    assert_contains(act_at(&plan, 0)->why, "pgstrata policy drop public.events");
    plan_free(&plan);

    t.oid = 16384;
    t.problem = xstrdup("public.events is not partitioned");
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ERROR);
    assert_string_equal(act_at(&plan, 0)->why, "public.events is not partitioned");
    plan_free(&plan);

    free(t.problem);
    t.problem = NULL;
    t.policy.enabled = false;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_SKIP);
    assert_contains(act_at(&plan, 0)->why, "disabled");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_unbounded_parts(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-20"), T("2026-11-22"));
    PartitionInfo *pi = fx_add_part(&t, "events_rest", T("2026-11-22"), 0);
    pi->upper_unbounded = true;
    static Plan plan;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_SKIP);
    assert_contains(act_at(&plan, 0)->why, "MAXVALUE");
    plan_free(&plan);

    /* Unreadable bounds stop the table. */
    pi = fx_find_part(&t, "events_rest");
    pi->upper_unbounded = false;
    pi->bounded = false;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ERROR);
    assert_contains(act_at(&plan, 0)->why, "cannot read the bounds of partition events_rest");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_analyze(void **state)
{
    (void)state;
    static TableSnapshot t;
    static Plan plan;

    /* changed, with a recent analyze: a pass that changes the set says why it waits. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    t.parent_has_stats = true;
    t.analyzed_recently = true;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ANALYZE), 0);
    assert_int_equal(fx_count(&plan, ACT_SKIP), 1);
    assert_true(plan_mentions_why(&plan, "waits until a day after the last one"));
    plan_free(&plan);
    snapshot_free(&t);

    /* never: not even after changes. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_option(&t, POPT_ANALYZE, "never");
    t.parent_has_stats = false;
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ANALYZE), 0);
    assert_int_equal(fx_count(&plan, ACT_ATTACH), 5);
    plan_free(&plan);
    snapshot_free(&t);

    /* every: also on a no-op pass. */
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_add_cells(&t, T("2026-11-22"), T("2026-11-27"));
    fx_option(&t, POPT_ANALYZE, "every");
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ANALYZE);
    assert_contains(act_at(&plan, 0)->why, "--analyze every");
    plan_free(&plan);

    /* changed: no statistics at all. */
    fx_option(&t, POPT_ANALYZE, "changed");
    t.parent_has_stats = false;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ANALYZE);
    assert_contains(act_at(&plan, 0)->why, "no statistics");
    plan_free(&plan);

    /* changed: stale statistics. */
    t.parent_has_stats = true;
    t.stats_stale = true;
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_ANALYZE);
    assert_contains(act_at(&plan, 0)->why, "predate");
    plan_free(&plan);

    /* 18 has ANALYZE ONLY. */
    PlanOptions o = fx_opts();
    fx_plan_with(&plan, &t, 180000, &o);
    FX_KINDS(&plan, ACT_ANALYZE);
    assert_string_equal(sql_at(act_at(&plan, 0), 0), "ANALYZE ONLY \"public\".\"events\"");
    assert_string_equal(act_at(&plan, 0)->lock, "SHARE UPDATE EXCLUSIVE on public.events");
    plan_free(&plan);
    fx_plan_with(&plan, &t, 170000, &o);
    assert_string_equal(sql_at(act_at(&plan, 0), 0), "ANALYZE \"public\".\"events\"");
    assert_contains(act_at(&plan, 0)->lock, "each partition");
    plan_free(&plan);

    /* Analyzed less than a day ago: before 18, stale statistics wait for the next day
     * (re-analyzing every partition each pass is the cost), while 18 analyzes at once. */
    t.analyzed_recently = true;
    fx_plan(&plan, &t);
    assert_int_equal(plan.n, 0);
    plan_free(&plan);
    fx_plan_with(&plan, &t, 180000, &o);
    FX_KINDS(&plan, ACT_ANALYZE);
    plan_free(&plan);
    t.analyzed_recently = false;

    /* A pass that only forgets bookkeeping changes nothing to analyze. */
    t.stats_stale = false;
    fx_add_retired(&t, "public", "events_p20261001", "[2026-10-01 00:00:00, 2026-10-02 00:00:00)",
                   RS_DETACHED, false, false);
    fx_plan(&plan, &t);
    FX_KINDS(&plan, ACT_FORGET);
    plan_free(&plan);
    snapshot_free(&t);
}

/* ---- hostile and long names ---- */

static void assert_sql_safe(const Plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        const char *all[64];
        size_t n = fx_action_sql(&plan->actions[i], all, 64);
        for (size_t k = 0; k < n; k++) {
            char *outside = fx_sql_outside_quotes(all[k]);
            if (strchr(outside, ';') || strstr(outside, "--") || strstr(outside, "DROP TABLE x")) {
                fx_dump(plan);
                fail_msg("unquoted text escapes in: %s\n  (outside quotes: %s)", all[k], outside);
            }
            free(outside);
        }
    }
}

static void hostile_snapshot(TableSnapshot *t, RetentionMode mode)
{
    fx_init(t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_set_names(t, "My Schema", "\"; DROP TABLE x; --");
    free(t->policy.column);
    t->policy.column = xstrdup("at\"; DROP TABLE x; --");
    fx_option(t, POPT_RETENTION, "30 days");
    if (mode == RETIRE_ARCHIVE) {
        fx_option(t, POPT_RETENTION_MODE, "archive");
        fx_option(t, POPT_ARCHIVE_COMMAND, "cat > /tmp/%t");
    } else if (mode == RETIRE_DETACH) {
        fx_option(t, POPT_RETENTION_MODE, "detach");
        fx_option(t, POPT_DETACH_SCHEMA, "old\"; DROP TABLE x; --");
    }
    fx_add_cells(t, T("2026-10-20"), T("2026-11-23"));
    fx_set_default(t, "def\"; DROP TABLE x; --", true);
    const char *cols[] = {"id", "at\"; DROP TABLE x; --", "x'; DROP TABLE x; --"};
    fx_set_columns(t, cols, 3);
    t->default_has_rows = true;
    t->default_min = T("2026-11-24 01:00:00");
    t->default_max = T("2026-11-24 02:00:00");
    t->set_owner = true;
    free(t->owner);
    t->owner = xstrdup("o\"; DROP TABLE x; --");
    fx_add_pending(t, "\"; DROP TABLE x; --_p20261001", T("2026-10-01"), T("2026-10-02"), true,
                   false);
    fx_add_pending(t, "\"; DROP TABLE x; --_p20261002", T("2026-10-02"), T("2026-10-03"), false,
                   false);
    fx_add_retired(t, "My Schema", "\"; DROP TABLE x; --_p20261003", "[a, b)", RS_DETACHED, false,
                   false);
    RetiredInfo *r = fx_add_retired(t, "My Schema", "\"; DROP TABLE x; --_p20261004",
                                    "[2026-10-04', 'x)", RS_DETACHED, true, false);
    r->has_detached_at = true;
    r->detached_at = T("2026-10-05 00:00:00");
}

static void test_hostile_names(void **state)
{
    (void)state;
    static TableSnapshot t;
    static Plan plan;

    hostile_snapshot(&t, RETIRE_DROP);
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ERROR), 0);
    assert_true(fx_count(&plan, ACT_CREATE) >= 1);
    assert_int_equal(fx_count(&plan, ACT_MOVE_DEFAULT), 1);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 3);
    assert_int_equal(fx_count(&plan, ACT_DROP), 4);
    assert_int_equal(fx_count(&plan, ACT_DROP_LEFTOVER), 1);
    assert_int_equal(fx_count(&plan, ACT_FORGET), 2);
    assert_sql_safe(&plan);
    int c = fx_find(&plan, ACT_CREATE, NULL);
    assert_string_equal(sql_at(act_at(&plan, (size_t)c), 0),
                        "CREATE TABLE \"My Schema\".\"\"\"; DROP TABLE x; --_p20261123\" (LIKE "
                        "\"My Schema\".\"\"\"; DROP TABLE x; --\" INCLUDING DEFAULTS INCLUDING "
                        "CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED "
                        "INCLUDING STATISTICS)");
    assert_string_equal(sql_at(act_at(&plan, (size_t)c), 1),
                        "ALTER TABLE \"My Schema\".\"\"\"; DROP TABLE x; --_p20261123\" OWNER TO "
                        "\"o\"\"; DROP TABLE x; --\"");
    assert_contains(book_at(act_at(&plan, (size_t)c), 0),
                    "VALUES ('My Schema', '\"; DROP TABLE x; --_p20261123', 'My Schema', '\"; "
                    "DROP TABLE x; --', ");
    assert_string_equal(sql_at(act_at(&plan, (size_t)c + 1), 0),
                        "ALTER TABLE \"My Schema\".\"\"\"; DROP TABLE x; --\" ATTACH PARTITION "
                        "\"My Schema\".\"\"\"; DROP TABLE x; --_p20261123\" FOR VALUES FROM "
                        "('2026-11-23 00:00:00+00') TO ('2026-11-24 00:00:00+00')");
    int m = fx_find(&plan, ACT_MOVE_DEFAULT, NULL);
    const Action *mv = act_at(&plan, (size_t)m);
    assert_contains(sql_with(mv, "LOCK"),
                    "LOCK TABLE \"My Schema\".\"def\"\"; DROP TABLE x; --\" IN ACCESS");
    assert_contains(sql_with(mv, "WITH moved"), "WHERE \"at\"\"; DROP TABLE x; --\" >= ");
    assert_contains(sql_with(mv, "WITH moved"),
                    "RETURNING \"id\", \"at\"\"; DROP TABLE x; --\", \"x'; DROP TABLE x; --\")");
    int d = fx_find(&plan, ACT_DETACH, NULL);
    assert_string_equal(sql_at(act_at(&plan, (size_t)d), 0),
                        "ALTER TABLE \"My Schema\".\"\"\"; DROP TABLE x; --\" DETACH PARTITION "
                        "\"My Schema\".\"\"\"; DROP TABLE x; --_p20261020\"");
    int dl = fx_find(&plan, ACT_DROP_LEFTOVER, NULL);
    assert_string_equal(sql_at(act_at(&plan, (size_t)dl), 0),
                        "DROP TABLE \"My Schema\".\"\"\"; DROP TABLE x; --_p20261001\"");
    assert_string_equal(sql_at(act_at(&plan, plan.n - 1), 0),
                        "ANALYZE \"My Schema\".\"\"\"; DROP TABLE x; --\"");
    /* Displayed names quote the same way. */
    assert_string_equal(act_at(&plan, 0)->table, "\"My Schema\".\"\"\"; DROP TABLE x; --\"");
    plan_free(&plan);
    snapshot_free(&t);

    hostile_snapshot(&t, RETIRE_ARCHIVE);
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_ARCHIVE), 4);
    assert_sql_safe(&plan);
    int a = fx_find(&plan, ACT_ARCHIVE, NULL);
    assert_string_equal(act_at(&plan, (size_t)a)->copy_sql,
                        "COPY \"My Schema\".\"\"\"; DROP TABLE x; --_p20261004\" TO STDOUT");
    assert_string_equal(act_at(&plan, (size_t)a)->command,
                        "cat > /tmp/'\"My Schema\".\"\"\"; DROP TABLE x; --_p20261004\"'");
    plan_free(&plan);
    snapshot_free(&t);

    hostile_snapshot(&t, RETIRE_DETACH);
    fx_plan(&plan, &t);
    assert_int_equal(fx_count(&plan, ACT_SET_SCHEMA), 4);
    assert_sql_safe(&plan);
    int s = fx_find(&plan, ACT_SET_SCHEMA, NULL);
    assert_contains(sql_at(act_at(&plan, (size_t)s), 0),
                    "SET SCHEMA \"old\"\"; DROP TABLE x; --\"");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_quote_and_backslash_names(void **state)
{
    (void)state;
    static TableSnapshot t;
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    fx_set_names(&t, "s'\\", "it's\\x");
    fx_option(&t, POPT_PREMAKE, "1");
    fx_option(&t, POPT_RETENTION, "1 day");
    fx_add_cells(&t, T("2026-11-19"), T("2026-11-22"));
    static Plan plan;
    fx_plan(&plan, &t);
    assert_sql_safe(&plan);
    assert_int_equal(fx_count(&plan, ACT_DETACH), 2);
    const Action *c = act_at(&plan, 0);
    assert_int_equal(c->kind, ACT_CREATE);
    assert_contains(sql_at(c, 0), "CREATE TABLE \"s'\\\".\"it's\\x_p20261122\"");
    assert_contains(book_at(c, 0),
                    "VALUES (E's''\\\\', E'it''s\\\\x_p20261122', E's''\\\\', E'it''s\\\\x', ");
    plan_free(&plan);
    snapshot_free(&t);
}

static void test_long_table_name(void **state)
{
    (void)state;
    char table[64];
    memset(table, 'a', 63);
    table[63] = '\0';
    const char *ivs[] = {"1 day", "15 minutes", "monthly"};
    for (size_t k = 0; k < 3; k++) {
        static TableSnapshot t;
        fx_init(&t, KEY_TIMESTAMPTZ, ivs[k], "2026-11-22 03:00:00");
        fx_set_names(&t, "public", table);
        static Plan plan;
        fx_plan(&plan, &t);
        assert_int_equal(fx_count(&plan, ACT_CREATE), 5);
        for (size_t i = 0; i < plan.n; i++) {
            const Action *a = &plan.actions[i];
            if (a->kind != ACT_CREATE)
                continue;
            const char *name = fx_target_name(a);
            assert_true(strlen(name) <= 63);
            assert_true(strncmp(name, table, 30) == 0);
            /* The same name is created and attached. */
            char want[160];
            snprintf(want, sizeof want, "ATTACH PARTITION \"public\".\"%s\" FOR", name);
            assert_contains(sql_at(act_at(&plan, i + 1), 0), want);
        }
        plan_free(&plan);
        snapshot_free(&t);
    }
}

/* ---- snapshot_check_contiguous ---- */

static void test_check_contiguous(void **state)
{
    (void)state;
    static TableSnapshot t;
    char err[1024] = "";
    fx_init(&t, KEY_TIMESTAMPTZ, "1 day", "2026-11-22 03:00:00");
    assert_true(snapshot_check_contiguous(&t, err, sizeof err));
    fx_add_cells(&t, T("2026-11-18"), T("2026-11-22"));
    assert_true(snapshot_check_contiguous(&t, err, sizeof err));

    fx_add_cells(&t, T("2026-11-23"), T("2026-11-24"));
    assert_false(snapshot_check_contiguous(&t, err, sizeof err));
    assert_string_equal(err, "the partitions leave a gap: events_p20261121 ends at 2026-11-22 "
                             "00:00:00 but the next, events_p20261123, starts at 2026-11-23 "
                             "00:00:00; rows in between cannot be inserted. pgstrata will not "
                             "guess: create a partition for the gap (or drop the stray one), "
                             "then try again");
    fx_set_default(&t, "events_default", true);
    assert_false(snapshot_check_contiguous(&t, err, sizeof err));
    assert_contains(err, "rows in between go to the default partition");

    /* Filling the gap: contiguous again (the default is not a range). */
    fx_add_cells(&t, T("2026-11-22"), T("2026-11-23"));
    assert_true(snapshot_check_contiguous(&t, err, sizeof err));

    /* Overlap. */
    fx_add_part(&t, "stray", T("2026-11-23 12:00:00"), T("2026-11-24 12:00:00"));
    assert_false(snapshot_check_contiguous(&t, err, sizeof err));
    assert_string_equal(err, "partitions events_p20261123 and stray overlap");
    fx_remove_part(&t, "stray");

    /* A pending detach is not part of the range set. */
    fx_add_part(&t, "leaving", T("2026-11-10"), T("2026-11-12"))->detach_pending = true;
    assert_true(snapshot_check_contiguous(&t, err, sizeof err));

    /* MINVALUE first is fine; MAXVALUE in the middle overlaps. */
    snapshot_free(&t);
    fx_init(&t, KEY_BIGINT, "100", "2026-11-22 03:00:00");
    fx_add_part(&t, "low", 0, 100)->lower_unbounded = true;
    fx_add_cells(&t, 100, 300);
    assert_true(snapshot_check_contiguous(&t, err, sizeof err));
    fx_find_part(&t, "events_p100")->upper_unbounded = true;
    assert_false(snapshot_check_contiguous(&t, err, sizeof err));
    assert_string_equal(err, "partitions events_p100 and events_p200 overlap");
    snapshot_free(&t);

    /* Integer gap text. */
    fx_init(&t, KEY_INTEGER, "100", "2026-11-22 03:00:00");
    fx_add_cells(&t, 0, 100);
    fx_add_cells(&t, 300, 400);
    assert_false(snapshot_check_contiguous(&t, err, sizeof err));
    assert_contains(err, "events_p0 ends at 100 but the next, events_p300, starts at 300");
    snapshot_free(&t);
}

/* ---- many passes ---- */

typedef struct Sim {
    const char *label;
    KeyType key;
    const char *interval;
    const char *zone;
    const char *premake;
    const char *retention;
    const char *drop_delay;
    const char *window;
    const char *start; /* the clock at the first pass */
    int64_t step;      /* clock (or max_key) advance per pass */
    int passes;
} Sim;

static int64_t sim_horizon(const TableSnapshot *t)
{
    const Policy *p = &t->policy;
    if (!p->premake.is_count)
        return grid_next(&p->interval, civil_add_duration(t->now, &p->premake.span, 1));
    int64_t h = grid_next(&p->interval, key_type_is_time(p->key_type) ? t->now : t->max_key);
    for (int64_t i = 0; i < p->premake.count; i++)
        h = grid_next(&p->interval, h);
    return h;
}

static int64_t sim_cutoff(const TableSnapshot *t)
{
    const Policy *p = &t->policy;
    if (key_type_is_time(p->key_type))
        return civil_add_duration(t->now, &p->retention.span, -1);
    return grid_floor(&p->interval, t->max_key) - (p->retention.ranges - 1) * p->interval.count;
}

typedef struct SimCounts {
    int attached, detached, dropped, notes;
} SimCounts;

/* Executes the plan on the snapshot as a server would, every step succeeding. */
static void sim_apply(TableSnapshot *t, const Plan *plan, SimCounts *n)
{
    for (size_t i = 0; i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        const char *name = fx_target_name(a);
        switch (a->kind) {
        case ACT_CREATE:
            break;
        case ACT_SKIP:
            n->notes++;
            break;
        case ACT_ATTACH:
        case ACT_MOVE_DEFAULT: {
            int64_t lo, hi;
            fx_attach_bounds(t->policy.key_type, sql_with(a, "ATTACH PARTITION"), &lo, &hi);
            if (fx_find_part(t, name))
                fail_msg("%s attached twice", name);
            fx_add_part(t, name, lo, hi);
            n->attached++;
            break;
        }
        case ACT_DETACH: {
            PartitionInfo *pi = fx_find_part(t, name);
            if (!pi)
                fail_msg("detach of %s, which is not attached", name);
            char *range = xasprintf("[%lld, %lld)", (long long)pi->lower, (long long)pi->upper);
            RetiredInfo *r =
                fx_add_retired(t, t->policy.schema, name, range, RS_DETACHED, true, false);
            r->has_detached_at = true;
            r->detached_at = t->now;
            free(range);
            fx_remove_part(t, name);
            n->detached++;
            break;
        }
        case ACT_DROP:
            if (!fx_remove_retired(t, name))
                fail_msg("drop of %s, which was not retired", name);
            n->dropped++;
            break;
        case ACT_ANALYZE:
            t->parent_has_stats = true;
            t->stats_stale = false;
            break;
        default:
            fx_dump(plan);
            fail_msg("unexpected %s in a simulated pass", action_kind_name(a->kind));
        }
    }
}

static void simulate(const Sim *s)
{
    static TableSnapshot t;
    fx_init(&t, s->key, s->interval, s->start);
    if (s->zone)
        fx_option(&t, POPT_TIME_ZONE, s->zone);
    fx_option(&t, POPT_PREMAKE, s->premake);
    fx_option(&t, POPT_RETENTION, s->retention);
    if (s->drop_delay)
        fx_option(&t, POPT_DROP_DELAY, s->drop_delay);
    if (s->window)
        fx_option(&t, POPT_WINDOW, s->window);
    char err[1024];
    if (!policy_validate(&t.policy, err, sizeof err))
        fail_msg("%s: %s", s->label, err);
    bool time_key = key_type_is_time(s->key);
    if (!time_key) {
        t.has_max_key = true;
        t.max_key = 0;
    }
    int64_t first_lower = 0;
    size_t most_parts = 0;
    SimCounts counts = {0, 0, 0, 0};
    for (int pass = 0; pass < s->passes; pass++) {
        static Plan plan;
        fx_plan(&plan, &t);
        sim_apply(&t, &plan, &counts);
        plan_free(&plan);
        if (pass == 0)
            first_lower = t.parts[0].lower;

        /* The set is contiguous, free of duplicates, covers the premake
         * horizon, and holds nothing past retention, but everything within. */
        if (!snapshot_check_contiguous(&t, err, sizeof err))
            fail_msg("%s, pass %d: %s", s->label, pass, err);
        for (size_t i = 1; i < t.nparts; i++)
            if (strcmp(t.parts[i - 1].name, t.parts[i].name) == 0 ||
                t.parts[i - 1].lower >= t.parts[i].lower)
                fail_msg("%s, pass %d: %s and %s are not in order", s->label, pass,
                         t.parts[i - 1].name, t.parts[i].name);
        int64_t horizon = sim_horizon(&t);
        if (t.parts[t.nparts - 1].upper < horizon)
            fail_msg("%s, pass %d: coverage ends at %lld, before the horizon %lld", s->label, pass,
                     (long long)t.parts[t.nparts - 1].upper, (long long)horizon);
        int64_t cutoff = sim_cutoff(&t);
        bool window_open = policy_window_open(&t.policy, t.now_minute);
        if (window_open && t.parts[0].upper <= cutoff)
            fail_msg("%s, pass %d: %s is past retention and still attached", s->label, pass,
                     t.parts[0].name);
        if (t.parts[0].lower > cutoff && t.parts[0].lower != first_lower)
            fail_msg("%s, pass %d: retired too much: the oldest, %s, starts after the cutoff",
                     s->label, pass, t.parts[0].name);
        for (size_t i = 0; window_open && i < t.nretired; i++)
            if (civil_add_duration(t.retired[i].detached_at, &t.policy.drop_delay, 1) <= t.now)
                fail_msg("%s, pass %d: %s is overdue for its drop", s->label, pass,
                         t.retired[i].name);

        /* Planning again at the same moment finds nothing to do. */
        fx_plan(&plan, &t);
        if (plan.n != fx_count(&plan, ACT_SKIP)) {
            fx_dump(&plan);
            fail_msg("%s, pass %d: a second plan at the same moment is not a no-op", s->label,
                     pass);
        }
        plan_free(&plan);
        if (t.nparts > most_parts)
            most_parts = t.nparts;

        if (time_key)
            fx_set_now(&t, t.now + s->step);
        else
            t.max_key += s->step;
    }
    /* The set stayed bounded: retention did its work, every detached
     * partition but those still in their drop delay was dropped, and a
     * window, when set, was closed at times. */
    assert_true(most_parts < 200);
    if (counts.detached == 0 || counts.dropped == 0)
        fail_msg("%s: retention never ran (%d detached, %d dropped)", s->label, counts.detached,
                 counts.dropped);
    assert_int_equal(counts.attached - counts.detached, (int)t.nparts);
    assert_int_equal(counts.detached - counts.dropped, (int)t.nretired);
    if (s->window)
        assert_true(counts.notes > 0);
    snapshot_free(&t);
}

static void test_simulate_400_days(void **state)
{
    (void)state;
    const Sim sims[] = {
        {"daily", KEY_TIMESTAMPTZ, "1 day", NULL, "4", "30 days", NULL, NULL, "2026-01-01 03:00:00",
         CIVIL_DAY, 400},
        {"daily, drop delay and window", KEY_TIMESTAMPTZ, "1 day", NULL, "4", "30 days", "2 days",
         "01:00-05:00", "2026-01-01 03:00:00", CIVIL_DAY + 7 * 3600, 400},
        {"daily New York", KEY_TIMESTAMPTZ, "1 day", "America/New_York", "7 days", "2 weeks", NULL,
         NULL, "2026-01-01 12:00:00", CIVIL_DAY, 400},
        {"weekly", KEY_TIMESTAMPTZ, "1 week", NULL, "2", "8 weeks", NULL, NULL,
         "2026-01-01 12:00:00", CIVIL_DAY, 400},
        {"monthly", KEY_TIMESTAMPTZ, "monthly", NULL, "2", "3 months", "10 days", NULL,
         "2026-01-31 23:00:00", CIVIL_DAY, 400},
        {"date", KEY_DATE, "1 day", NULL, "3", "10 days", NULL, NULL, "2026-01-01 00:00:00",
         CIVIL_DAY, 400},
        {"15 minutes", KEY_TIMESTAMPTZ, "15 minutes", NULL, "8", "1 day", NULL, NULL,
         "2026-01-01 00:00:00", 7 * 60, 800},
        {"bigint", KEY_BIGINT, "1000", NULL, "4", "5", NULL, NULL, "2026-01-01 00:00:00", 300, 400},
    };
    for (size_t i = 0; i < sizeof sims / sizeof sims[0]; i++)
        simulate(&sims[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_daily),
        cmocka_unit_test(test_covered_is_noop),
        cmocka_unit_test(test_premake_span),
        cmocka_unit_test(test_time_zone_daily),
        cmocka_unit_test(test_time_zone_hourly_uses_utc),
        cmocka_unit_test(test_dst_new_york),
        cmocka_unit_test(test_monthly),
        cmocka_unit_test(test_quarterly),
        cmocka_unit_test(test_weekly_iso_monday),
        cmocka_unit_test(test_fifteen_minutes),
        cmocka_unit_test(test_date_key),
        cmocka_unit_test(test_timestamp_key),
        cmocka_unit_test(test_bigint_follows_max_key),
        cmocka_unit_test(test_integer_start),
        cmocka_unit_test(test_int32_limit),
        cmocka_unit_test(test_int32_lower_limit),
        cmocka_unit_test(test_max_new_per_pass),
        cmocka_unit_test(test_set_owner_and_lock_timeout),
        cmocka_unit_test(test_two_tables_in_one_plan),
        cmocka_unit_test(test_retention_detach_drop),
        cmocka_unit_test(test_retention_with_default_plain_detach),
        cmocka_unit_test(test_retention_old_server_plain_detach),
        cmocka_unit_test(test_retention_mode_detach),
        cmocka_unit_test(test_retention_mode_detach_in_place),
        cmocka_unit_test(test_retention_mode_detach_in_place_records_kept),
        cmocka_unit_test(test_retention_mode_archive),
        cmocka_unit_test(test_drop_delay),
        cmocka_unit_test(test_drop_delay_without_detached_at),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_window_wraps_midnight),
        cmocka_unit_test(test_creation_only),
        cmocka_unit_test(test_finalize_pending_detach),
        cmocka_unit_test(test_retired_bookkeeping),
        cmocka_unit_test(test_pending_adopt),
        cmocka_unit_test(test_pending_leftover),
        cmocka_unit_test(test_pending_replace_chained),
        cmocka_unit_test(test_pending_gone_same_name),
        cmocka_unit_test(test_pending_adopt_with_default_rows),
        cmocka_unit_test(test_taken_name),
        cmocka_unit_test(test_move_default),
        cmocka_unit_test(test_guard_error_placeholder),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_missing_problem_disabled),
        cmocka_unit_test(test_unbounded_parts),
        cmocka_unit_test(test_analyze),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_quote_and_backslash_names),
        cmocka_unit_test(test_long_table_name),
        cmocka_unit_test(test_check_contiguous),
        cmocka_unit_test(test_simulate_400_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
