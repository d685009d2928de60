/* Unit tests for core/backfill.c (the chunks of a backfill run) and the
 * backfill SQL of core/migrate_sql.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/backfill.h"
#include "core/migrate.h"
#include "core/strbuf.h"

static void assert_mark(const BfQueue *q, long long seq, const char *want, bool want_fin)
{
    const char *mark = NULL;
    bool fin = true;
    bf_dispatch_mark(q, seq, &mark, &fin);
    if (want)
        assert_string_equal(mark, want);
    else
        assert_null(mark);
    assert_int_equal(fin, want_fin);
}

/* One session: each chunk is the oldest one open when it starts, so its own
 * transaction moves the cursor to its end, and the last one completes it. */
static void test_sequential(void **state)
{
    (void)state;
    BfQueue q;
    bf_init(&q, NULL);
    long long a = bf_add(&q, "{100}", 100, 0);
    assert_null(bf_find(&q, a)->lo);
    assert_string_equal(bf_find(&q, a)->hi, "{100}");
    assert_mark(&q, a, "{100}", false);
    bf_complete(&q, a);
    assert_string_equal(q.mark, "{100}");
    long long b = bf_add(&q, NULL, 100, 0);
    assert_string_equal(bf_find(&q, b)->lo, "{100}");
    assert_true(q.end_added);
    assert_mark(&q, b, NULL, true);
    bf_complete(&q, b);
    assert_true(q.reached_end);
    assert_int_equal(bf_in_flight(&q), 0);
    bf_free(&q);
}

/* Several sessions: chunks finish out of order; the mark never passes a
 * chunk that is not done, and a chunk started behind an open one records
 * only what was known done when it started. */
static void test_out_of_order(void **state)
{
    (void)state;
    BfQueue q;
    bf_init(&q, "{10}");
    long long a = bf_add(&q, "{20}", 10, 0);
    long long b = bf_add(&q, "{30}", 10, 0);
    long long c = bf_add(&q, "{40}", 10, 0);
    assert_string_equal(bf_find(&q, a)->lo, "{10}");
    assert_string_equal(bf_find(&q, c)->lo, "{30}");
    assert_mark(&q, a, "{20}", false);
    assert_mark(&q, b, NULL, false); /* nothing known done yet */
    assert_int_equal(bf_in_flight(&q), 3);
    bf_complete(&q, b);
    assert_null(q.mark); /* a is still open */
    assert_int_equal(bf_in_flight(&q), 2);
    bf_complete(&q, a);
    assert_string_equal(q.mark, "{30}"); /* a and b */
    long long d = bf_add(&q, NULL, 10, 0);
    assert_mark(&q, d, "{30}", false); /* c is open: no fin */
    bf_complete(&q, d);
    assert_false(q.reached_end);
    assert_string_equal(q.mark, "{30}");
    bf_complete(&q, c);
    assert_true(q.reached_end);
    assert_int_equal(bf_in_flight(&q), 0);
    assert_int_equal(q.n, 0);
    bf_free(&q);
}

/* A chunk that failed stays open: the mark stops before it for good. */
static void test_failed_chunk_holds_mark(void **state)
{
    (void)state;
    BfQueue q;
    bf_init(&q, NULL);
    long long a = bf_add(&q, "{5}", 5, 0);
    long long b = bf_add(&q, "{9}", 5, 0);
    long long c = bf_add(&q, "{12}", 5, 0);
    bf_complete(&q, a);
    bf_complete(&q, c); /* b failed: never completed */
    assert_string_equal(q.mark, "{5}");
    assert_int_equal(bf_in_flight(&q), 1);
    assert_non_null(bf_find(&q, b));
    assert_null(bf_find(&q, a));
    bf_free(&q);
}

static void test_next_rows(void **state)
{
    (void)state;
    assert_int_equal(bf_next_rows(1000, 0.5, 1.0), 2000); /* at most twice */
    assert_int_equal(bf_next_rows(1000, 0.1, 1.0), 2000);
    assert_int_equal(bf_next_rows(1000, 2.0, 1.0), 500); /* too long: halved */
    assert_int_equal(bf_next_rows(1000, 1.0, 1.0), 1000);
    assert_int_equal(bf_next_rows(150, 10.0, 1.0), 100); /* at least 100 */
    assert_int_equal(bf_next_rows(1000, 0.0, 1.0), 2000);
}

static void test_chunk_rows(void **state)
{
    (void)state;
    assert_int_equal(bf_chunk_rows(400000, 1, 10), 400000);     /* one session: as sized */
    assert_int_equal(bf_chunk_rows(400000, 2, 5e6), 400000);    /* far from the end */
    assert_int_equal(bf_chunk_rows(400000, 2, 600000), 300000); /* the rest, split */
    assert_int_equal(bf_chunk_rows(400000, 2, 100000), 100000); /* a quarter at least */
    assert_int_equal(bf_chunk_rows(400000, 3, -50000), 400000); /* the estimate was low */
    assert_int_equal(bf_chunk_rows(400000, 3, 0), 400000);      /* or there was none */
    assert_int_equal(bf_chunk_rows(2000, 4, 10), 1000);         /* 1000 at least */
    assert_int_equal(bf_chunk_rows(800, 4, 10), 800);           /* never above batch */
}

static Migration migration(bool composite)
{
    Migration m;
    memset(&m, 0, sizeof(m));
    m.id = 7;
    m.schema = xstrdup("public");
    m.source = xstrdup("Ev\"ents");
    m.new_table = xstrdup("Ev\"ents_pgs_new");
    m.old_table = xstrdup("Ev\"ents_pgs_old");
    m.key_column = xstrdup("created_at");
    m.key_type = xstrdup("timestamp with time zone");
    strlist_add(&m.ident, xstrdup("id"));
    strlist_add(&m.ident_types, xstrdup("bigint"));
    if (composite) {
        strlist_add(&m.ident, xstrdup("created_at"));
        strlist_add(&m.ident_types, xstrdup("timestamp with time zone"));
    }
    strlist_add(&m.columns, xstrdup("id"));
    strlist_add(&m.columns, xstrdup("created_at"));
    m.step = xstrdup("started");
    return m;
}

/* The batch takes the lock shared before it reads; the forward replay takes
 * it exclusive before it reads; the reverse replay has no batch to wait for. */
static void test_sql_locks(void **state)
{
    (void)state;
    Migration m = migration(false);
    char *bf = msql_backfill_function(&m);
    const char *lock = strstr(bf, "pg_advisory_xact_lock_shared(1885827958, 7)");
    assert_non_null(lock);
    assert_true(lock < strstr(bf, "DELETE FROM \"public\".\"Ev\"\"ents_pgs_new\""));
    assert_non_null(strstr(bf, "(lo IS NULL OR s.\"id\" > lo[1]::bigint) AND (hi IS NULL OR "
                               "s.\"id\" <= hi[1]::bigint)"));
    assert_non_null(strstr(bf, "WHEN backfill_cursor IS NULL OR mark[1]::bigint > "
                               "backfill_cursor[1]::bigint THEN mark"));
    char *rep = msql_replay_function(&m, false, NULL);
    lock = strstr(rep, "pg_advisory_xact_lock(1885827958, 7)");
    assert_non_null(lock);
    assert_true(lock < strstr(rep, "WITH d AS"));
    char *rrep = msql_replay_function(&m, true, NULL);
    assert_null(strstr(rrep, "advisory"));
    char *drop = msql_drop_objects(&m, false);
    assert_non_null(strstr(drop, "\"pgstrata\".\"m7_backfill\"(text[], text[], text[], boolean)"));
    free(bf);
    free(rep);
    free(rrep);
    free(drop);
    migration_free(&m);
}

static void test_sql_composite(void **state)
{
    (void)state;
    Migration m = migration(true);
    char *bound = msql_backfill_bound(&m);
    assert_string_equal(bound,
                        "SELECT ARRAY[s.\"id\"::text, s.\"created_at\"::text] FROM "
                        "\"public\".\"Ev\"\"ents\" s WHERE ($1::text[] IS NULL OR (s.\"id\", "
                        "s.\"created_at\") > (($1::text[])[1]::bigint, ($1::text[])[2]::"
                        "timestamp with time zone)) ORDER BY s.\"id\", s.\"created_at\" OFFSET "
                        "$2::bigint - 1 LIMIT 1");
    char *rec = msql_backfill_record(&m);
    assert_non_null(strstr(rec, "(($1::text[])[1]::bigint, ($1::text[])[2]::timestamp with time "
                                "zone) > (backfill_cursor[1]::bigint, backfill_cursor[2]::"
                                "timestamp with time zone)"));
    assert_non_null(strstr(rec, "WHERE id = 7"));
    free(bound);
    free(rec);
    migration_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_failed_chunk_holds_mark),
        cmocka_unit_test(test_next_rows),
        cmocka_unit_test(test_chunk_rows),
        cmocka_unit_test(test_sql_locks),
        cmocka_unit_test(test_sql_composite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
