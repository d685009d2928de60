/* Unit tests for core/doctor_rules*.c on hand-built models: coverage of now
 * and ahead (a managed policy's premake, DST-free UTC key space), gaps and
 * overlaps per inheritance group, query pruning reasons, thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/doctor_rules.h"
#include "core/strbuf.h"

#define DAY CIVIL_DAY

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

/* A database of one daily timestamptz table "public.t", partitions [first,
 * first+n days), server clock now; analyzed, no activity. */
static void one_table(DocDatabase *db, int64_t now, int64_t first, size_t n)
{
    memset(db, 0, sizeof(*db));
    db->server.now = now;
    db->server.autovacuum_max_workers = 3;
    db->server.autovacuum = true;
    db->server.av_vacuum_threshold = 50;
    db->server.av_vacuum_scale = 0.2;
    db->server.av_analyze_threshold = 50;
    db->server.av_analyze_scale = 0.1;
    db->server.vacuum_mb_per_s = 100;
    db->server.constraint_exclusion = xstrdup("partition");
    db->ntables = 1;
    db->tables = xcalloc(1, sizeof(DocTable));
    DocTable *t = &db->tables[0];
    t->schema = xstrdup("public");
    t->name = xstrdup("t");
    t->kind = DOC_DECLARATIVE;
    t->strategy = 'r';
    t->key_column = xstrdup("created_at");
    t->key_known = true;
    t->key_type = KEY_TIMESTAMPTZ;
    t->has_stats = true;
    t->analyzed_rows = -1;
    t->plan_ms = -1;
    t->nparts = n;
    t->parts = xcalloc(n + 1, sizeof(DocPart));
    for (size_t i = 0; i < n; i++) {
        DocPart *p = &t->parts[i];
        p->schema = xstrdup("public");
        p->name = xasprintf("t_p%zu", i);
        p->state = DOC_PART_ATTACHED;
        p->bounded = true;
        p->lower = first + (int64_t)i * DAY;
        p->upper = p->lower + DAY;
        p->rows = 0;
        p->analyze_age = 60;
    }
}

static void check(const DocDatabase *db, DoctorReport *r)
{
    DocOptions o;
    doc_options_default(&o);
    doctor_rules(db, &o, r);
}

/* The findings' ids, space-separated, in report order. */
static char *ids(const DoctorReport *r)
{
    StrBuf b;
    sb_init(&b);
    for (size_t i = 0; i < r->n; i++)
        sb_printf(&b, "%s%s", i ? " " : "", r->items[i].id);
    char *s = sb_steal(&b);
    sb_free(&b);
    return s;
}

static const DoctorFinding *find(const DoctorReport *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].id, id) == 0)
            return &r->items[i];
    return NULL;
}

static void expect_ids(const DocDatabase *db, const char *want)
{
    DoctorReport r;
    check(db, &r);
    char *got = ids(&r);
    assert_string_equal(got, want);
    free(got);
    doctor_report_free(&r);
}

static void test_healthy(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-21"), 5);
    expect_ids(&db, "");
    doc_database_free(&db);
}

/* Now past the last partition: an error; with a default, a warning; an
 * archive that ended long ago: nothing. */
static void test_no_partition_for_now(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-17"), 5);
    DoctorReport r;
    check(&db, &r);
    const DoctorFinding *f = find(&r, "no-partition-for-now");
    assert_non_null(f);
    assert_int_equal(f->severity, DOC_ERROR);
    assert_string_equal(f->evidence, "no partition holds now; the newest ends at 2026-11-22");
    assert_string_equal(f->fix, "pgstrata create 'public.t' --column 'created_at' --interval "
                                "'1 day'  (creates partitions from now on, and keeps creating "
                                "them)");
    doctor_report_free(&r);
    doc_database_free(&db);
    one_table(&db, T("2026-11-22 10:00:00"), T("2025-01-01"), 5);
    expect_ids(&db, "");
    doc_database_free(&db);
}

/* A managed table: premake 4 days asks for 4 days ahead, however the
 * partitions are aligned; 2.5 days is short. */
static void test_premake(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 12:00:00"), T("2026-11-20"), 5); /* ends 2026-11-25 */
    Policy p;
    memset(&p, 0, sizeof(p));
    p.interval = (PartInterval){UNIT_DAY, 1};
    p.premake = (Premake){.is_count = true, .count = 4};
    db.tables[0].policy = &p;
    DoctorReport r;
    check(&db, &r);
    const DoctorFinding *f = find(&r, "coverage-short");
    assert_non_null(f);
    assert_string_equal(f->evidence, "partitions end at 2026-11-25, 2.5 days ahead; the policy's "
                                     "premake asks for at least 4.0 days");
    assert_string_equal(f->fix, "pgstrata maintain 'public.t'");
    doctor_report_free(&r);
    p.premake.count = 2;
    expect_ids(&db, "");
    doc_database_free(&db);
}

/* Gaps per group; overlapping CHECKs of an inheritance set. */
static void test_gaps_and_overlaps(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-18"), 8);
    DocTable *t = &db.tables[0];
    t->parts[2].lower += DAY; /* 11-20 starts a day late: a gap [11-20, 11-21) */
    t->parts[2].upper += DAY;
    t->parts[3].lower += DAY; /* ... and now overlaps the next */
    t->parts[3].upper += DAY;
    DoctorReport r;
    check(&db, &r);
    const DoctorFinding *g = find(&r, "coverage-gap");
    assert_non_null(g);
    assert_string_equal(g->evidence, "1 gap between partitions: [2026-11-20, 2026-11-21)");
    const DoctorFinding *o = find(&r, "coverage-overlap");
    assert_non_null(o);
    assert_string_equal(o->evidence, "1 child whose CHECK range overlaps the one before: t_p4");
    doctor_report_free(&r);

    /* The same ranges in two groups (tenants) are neither gaps nor overlaps. */
    doc_database_free(&db);
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-20"), 8);
    t = &db.tables[0];
    t->kind = DOC_INHERITANCE;
    for (size_t i = 0; i < 8; i++) {
        t->parts[i].group = xstrdup(i < 4 ? "tenant_id = 1" : "tenant_id = 2");
        t->parts[i].lower = T("2026-11-20") + (int64_t)(i % 4) * DAY;
        t->parts[i].upper = t->parts[i].lower + DAY;
    }
    expect_ids(&db, "");
    doc_database_free(&db);
}

static void add_query(DocTable *t, const char *text, int scanned, int pruned, bool generic)
{
    t->queries = xrealloc(t->queries, (t->nqueries + 1) * sizeof(DocQuery));
    t->queries[t->nqueries++] = (DocQuery){.text = xstrdup(text),
                                           .scanned = scanned,
                                           .runtime_pruned = pruned,
                                           .total = (int)t->nparts,
                                           .generic = generic};
}

/* Why a query scans everything, from its text. */
static void test_query_reasons(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-21"), 5);
    DocTable *t = &db.tables[0];
    add_query(t, "SELECT * FROM t WHERE created_at_day = 3", 5, 0, false);
    add_query(t, "SELECT * FROM t WHERE created_at AT TIME ZONE 'UTC' >= '2026-11-22'", 5, 0,
              false);
    add_query(t, "SELECT * FROM t WHERE created_at >= $1", 0, 5, true);
    DoctorReport r;
    check(&db, &r);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.items[0].evidence,
                        "from --query: scans all 5 partitions, because its condition applies AT "
                        "TIME ZONE to the key, so it no longer compares the key itself (compare "
                        "the key to a converted constant instead)");
    assert_string_equal(r.items[1].evidence,
                        "from --query: scans all 5 partitions, because it has no condition on "
                        "the key");
    assert_string_equal(r.items[2].id, "query-prunes-late");
    assert_string_equal(r.items[2].evidence,
                        "from --query: planned over 5 partitions, of which 5 are removed only "
                        "when it starts to run (0 scanned at most), because it runs as a generic "
                        "plan, whose parameters are known only when it runs");
    assert_int_equal(doctor_exit_code(&r), 1);
    doctor_report_free(&r);
    doc_database_free(&db);
}

/* Thresholds: a partition whose vacuum outlasts the window; the planning
 * limit; the hot share needs ten partitions and some activity. */
static void test_thresholds(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-10"), 15);
    DocTable *t = &db.tables[0];
    t->parts[13].bytes = (int64_t)400 * 1024 * 1024 * 1024; /* 400 GB at 100 MB/s: 68 min */
    t->parts[12].writes = 5000;
    t->plan_ms = 19.9;
    DoctorReport r;
    check(&db, &r);
    char *got = ids(&r);
    assert_string_equal(got, "partition-oversized hot-share");
    free(got);
    assert_string_equal(r.items[0].evidence,
                        "1 partition whose vacuum takes longer than 60 min at autovacuum's pace "
                        "(about 100 MB/s), the longest 68 min: public.t_p13 (400.0 GB)");
    doctor_report_free(&r);
    t->parts[13].bytes = 0;
    t->plan_ms = 20;
    t->parts[12].writes = 0;
    t->parts[11].writes = 2000; /* not the newest of the 13 up to now */
    expect_ids(&db, "many-partitions");
    doc_database_free(&db);
}

/* A unique key that includes the partition key, in plain words. */
static void test_unique_scope(void **state)
{
    (void)state;
    DocDatabase db;
    one_table(&db, T("2026-11-22 10:00:00"), T("2026-11-21"), 5);
    DocTable *t = &db.tables[0];
    t->nuniques = 1;
    t->uniques = xcalloc(1, sizeof(DocUnique));
    t->uniques[0] = (DocUnique){xstrdup("t_pkey"), true, xstrdup("(user_id, event_id, created_at)"),
                                xstrdup("user_id, event_id")};
    DoctorReport r;
    check(&db, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.items[0].evidence,
                        "PRIMARY KEY (user_id, event_id, created_at): user_id, event_id alone is "
                        "unique only within one partition (1 day of key range), not across the "
                        "table");
    assert_int_equal(doctor_exit_code(&r), 0);
    doctor_report_free(&r);
    doc_database_free(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),       cmocka_unit_test(test_no_partition_for_now),
        cmocka_unit_test(test_premake),       cmocka_unit_test(test_gaps_and_overlaps),
        cmocka_unit_test(test_query_reasons), cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_unique_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
