/* Unit tests for core/advise*.c and report/advise_report.c: --target-size,
 * the growth estimate, the interval chosen for several growth rates, the
 * verdict, the estimates and the migrate commands, on hand-built models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/advise.h"
#include "core/civil.h"
#include "core/strbuf.h"
#include "report/advise_report.h"

#define KB 1024.0
#define MB (1024.0 * 1024.0)
#define GB (1024.0 * MB)

static int64_t T(const char *text)
{
    int64_t t = 0;
    if (!civil_parse(text, &t))
        fail_msg("civil_parse rejected \"%s\"", text);
    return t;
}

/* ---- the model, by hand ------------------------------------------------------ */

typedef struct Fx {
    DocDatabase db;
    DocTable *t;
} Fx;

static void fx_init(Fx *f, const char *name, KeyType key, const char *now)
{
    memset(f, 0, sizeof(*f));
    f->db.tables = xcalloc(1, sizeof(DocTable));
    f->db.ntables = 1;
    f->db.server.now = T(now);
    f->db.server.vacuum_mb_per_s = 10;
    DocTable *t = f->t = &f->db.tables[0];
    t->schema = xstrdup("public");
    t->name = xstrdup(name);
    t->kind = DOC_DECLARATIVE;
    t->strategy = 'r';
    t->key_column = xstrdup(key_type_is_time(key) ? "event_time" : "id");
    t->key_text = xasprintf("RANGE (%s)", t->key_column);
    t->key_known = true;
    t->key_type = key;
    t->key_type_name = xstrdup(key_type_name(key));
    t->plan_ms = -1;
}

static void fx_part(Fx *f, int64_t lo, int64_t hi, double bytes, double rows)
{
    DocTable *t = f->t;
    t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(DocPart));
    DocPart *p = &t->parts[t->nparts++];
    memset(p, 0, sizeof(*p));
    p->schema = xstrdup("public");
    p->name = xasprintf("%s_p%zu", t->name, t->nparts);
    p->state = DOC_PART_ATTACHED;
    p->bounded = true;
    p->lower = lo;
    p->upper = hi;
    p->bytes = (int64_t)bytes;
    p->rows = rows;
    p->analyze_age = -1;
}

/* n partitions of iv from `start`, the i-th holding bytes(i) (0: empty, 8 kB). */
static void fx_parts(Fx *f, const char *start, const char *iv, int n, double (*bytes)(int, int))
{
    PartInterval v;
    char err[128];
    assert_true(interval_parse(iv, &v, err, sizeof(err)));
    int64_t lo = T(start);
    for (int i = 0; i < n; i++) {
        int64_t hi = grid_next(&v, lo);
        double b = bytes(i, n);
        fx_part(f, lo, hi, b > 0 ? b : 8 * KB, b > 0 ? b / 100 : 0);
        lo = hi;
    }
}

static Policy *fx_policy(Fx *f, const char *interval, const char *retention)
{
    f->db.policies = xcalloc(1, sizeof(Policy));
    f->db.npolicies = 1;
    Policy *p = &f->db.policies[0];
    policy_init(p);
    p->schema = xstrdup("public");
    p->table = xstrdup(f->t->name);
    p->column = xstrdup(f->t->key_column);
    p->key_type = f->t->key_type;
    char err[256];
    assert_true(policy_apply(p, POPT_INTERVAL, interval, err, sizeof(err)));
    if (retention)
        assert_true(policy_apply(p, POPT_RETENTION, retention, err, sizeof(err)));
    f->t->policy = p;
    return p;
}

static void fx_advise(Fx *f, double target, Advice *a)
{
    AdviseOptions o = {(int64_t)target, true};
    advise_table(f->t, &f->db.server, &o, a);
}

static void fx_free(Fx *f)
{
    doc_database_free(&f->db);
}

static const char *iv_text(const PartInterval *iv)
{
    static char buf[48];
    interval_format(iv, buf);
    return buf;
}

static double mb100(int i, int n)
{
    (void)i;
    (void)n;
    return 100 * MB;
}

static double gb500(int i, int n)
{
    (void)i;
    (void)n;
    return 500 * GB;
}

static double mb1(int i, int n)
{
    (void)i;
    (void)n;
    return 1 * MB;
}

/* Monthly partitions growing 10x over their span: 50 GB to 500 GB. */
static double tenfold(int i, int n)
{
    double f = n > 1 ? (double)i / (double)(n - 1) : 1;
    return 50 * GB * (1 + 9 * f);
}

/* ---- --target-size ------------------------------------------------------------ */

static void size_is(const char *text, double want)
{
    int64_t b = 0;
    char err[256] = "";
    if (!advise_parse_size(text, &b, err, sizeof(err)))
        fail_msg("\"%s\" rejected: %s", text, err);
    assert_int_equal(b, (int64_t)want);
}

static void size_bad(const char *text, const char *msg)
{
    int64_t b = 0;
    char err[256] = "";
    assert_false(advise_parse_size(text, &b, err, sizeof(err)));
    assert_string_equal(err, msg);
}

static void test_target_size(void **state)
{
    (void)state;
    size_is("500MB", 500 * MB);
    size_is("10GB", 10 * GB);
    size_is("1TB", 1024 * GB);
    size_is("1048576", 1048576);
    size_is(" 1.5 gb ", 1.5 * GB);
    size_is("64kB", 64 * KB);
    size_is("100 B", 100);
    size_bad("", "invalid --target-size \"\": expected a size such as 500MB, 10GB or 1TB");
    size_bad("ten", "invalid --target-size \"ten\": expected a size such as 500MB, 10GB or 1TB");
    size_bad("-5MB", "invalid --target-size \"-5MB\": expected a size such as 500MB, 10GB or 1TB");
    size_bad("10XB",
             "invalid --target-size \"10XB\": unknown unit \"XB\" (use B, kB, MB, GB, TB or PB)");
    size_bad("10 GB x",
             "invalid --target-size \"10 GB x\": unexpected \"x\" (expected a size such as 500MB)");
    size_bad("0", "invalid --target-size \"0\": must be more than zero");
    size_bad("0.1B", "invalid --target-size \"0.1B\": must be more than zero");
    size_bad("2PB", "invalid --target-size \"2PB\": must be at most 1PB");
}

/* ---- growth ------------------------------------------------------------------------ */

/* A steady 100 MB a day: exactly that, the day being written counted for the
 * hours past; the premade empty days ahead are left out. */
static void test_growth_steady(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "steady", KEY_TIMESTAMPTZ, "2026-03-10 12:00");
    fx_parts(&f, "2026-02-01", "1 day", 37, mb100); /* to 2026-03-10 */
    fx_part(&f, T("2026-03-10"), T("2026-03-11"), 50 * MB, 0.5 * MB);
    for (int i = 11; i < 15; i++)
        fx_part(&f, T("2026-03-01") + i * CIVIL_DAY, T("2026-03-01") + (i + 1) * CIVIL_DAY, 8 * KB,
                0);
    AdviseGrowth g;
    advise_growth(f.t, f.db.server.now, &g);
    assert_true(g.known);
    assert_true(g.per_day);
    assert_int_equal(g.partitions, 38);
    assert_true(g.bytes > 99.9 * MB && g.bytes < 100.1 * MB);
    assert_true(g.average_bytes > 99.9 * MB && g.average_bytes < 100.1 * MB);
    assert_true(g.rows > 0.99 * MB && g.rows < 1.01 * MB); /* bytes / 100 per row */
    assert_int_equal(g.from, T("2026-02-01"));
    assert_int_equal(g.to, T("2026-03-10 12:00"));
    assert_true(g.half_life == 30);
    fx_free(&f);
}

/* Inheritance children are never analyzed by ANALYZE of their parent: rows
 * unknown. The smallest still holds data when it is not tiny; an 8 kB one
 * may hold a row, so the retention keeps it (oldest), though the growth
 * leaves it out. */
static void test_growth_rows_unknown(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "legacy", KEY_TIMESTAMP, "2026-03-15");
    fx_part(&f, T("2025-12-01"), T("2026-01-01"), 8 * KB, -1);
    fx_part(&f, T("2026-01-01"), T("2026-02-01"), 2 * MB, -1);
    fx_part(&f, T("2026-02-01"), T("2026-03-01"), 31 * MB, -1);
    fx_part(&f, T("2026-03-01"), T("2026-04-01"), 14 * MB, -1);
    AdviseGrowth g;
    advise_growth(f.t, f.db.server.now, &g);
    assert_int_equal(g.from, T("2026-01-01"));
    assert_int_equal(g.oldest, T("2025-12-01"));
    assert_int_equal(g.partitions, 3);
    assert_true(g.rows < 0);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_true(a.notes & ADVISE_NOTE_ROWS_UNKNOWN);
    assert_string_equal(a.retention_text, "2 years"); /* the yearly cells of 2025 and 2026 */
    advice_free(&a);
    fx_advise(&f, 1 * MB, &a);
    assert_string_equal(iv_text(&a.recommended.interval), "1 day");
    assert_string_equal(a.retention_text, "105 days"); /* 2025-12-01 through 2026-03-15 */
    advice_free(&a);
    fx_free(&f);
}

/* Traffic grew 10x over 18 months: the recent rate sizes it, not the average. */
static void test_growth_tenfold(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "events", KEY_TIMESTAMPTZ, "2026-07-01");
    fx_parts(&f, "2025-01-01", "1 month", 18, tenfold);
    AdviseGrowth g;
    advise_growth(f.t, f.db.server.now, &g);
    double last = 500 * GB / 30.0; /* June 2026 */
    assert_true(g.bytes > 0.8 * last && g.bytes < last);
    assert_true(g.average_bytes < 0.6 * last);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_true(a.trend > 1.5);
    fx_free(&f);
    advice_free(&a);
}

/* Integer keys: per key value, the newest partition (still filling) left out. */
static void test_growth_integer(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "ids", KEY_BIGINT, "2026-01-01");
    for (int i = 0; i < 10; i++)
        fx_part(&f, i * 100000, (i + 1) * 100000, 50 * MB, 500000);
    fx_part(&f, 1000000, 1100000, 5 * MB, 50000); /* filling */
    fx_part(&f, 1100000, 1200000, 8 * KB, 0);     /* premade */
    AdviseGrowth g;
    advise_growth(f.t, f.db.server.now, &g);
    assert_false(g.per_day);
    assert_int_equal(g.partitions, 10);
    assert_int_equal(g.to, 1000000);
    assert_int_equal(g.data_end, 1100000);
    assert_true(g.bytes > 524.2 && g.bytes < 524.3); /* 50 MB / 100000 */
    Advice a;
    fx_advise(&f, 0, &a);
    /* 20 GB / 524 B = 40.9M key values: 20,000,000 */
    assert_int_equal(a.recommended.interval.unit, UNIT_NUMERIC);
    assert_int_equal(a.recommended.interval.count, 20000000);
    assert_true(a.notes & ADVISE_NOTE_INTEGER_KEY);
    /* 12 partitions of 100000, well under the target: fine as it is */
    assert_int_equal(a.verdict, ADVISE_KEEP);
    assert_int_equal(a.reason, ADVISE_WHY_FEW);
    assert_int_equal(a.commands.n, 0);
    fx_free(&f);
    advice_free(&a);
}

static void test_current_interval(void **state)
{
    (void)state;
    Fx f;
    PartInterval iv;
    fx_init(&f, "m", KEY_TIMESTAMPTZ, "2026-07-01");
    fx_parts(&f, "2025-01-01", "1 month", 6, mb1);
    assert_true(advise_current_interval(f.t, &iv));
    assert_string_equal(iv_text(&iv), "1 month");
    fx_free(&f);
    fx_init(&f, "w", KEY_TIMESTAMPTZ, "2026-07-01");
    fx_parts(&f, "2026-01-05", "1 week", 6, mb1);
    assert_true(advise_current_interval(f.t, &iv));
    assert_string_equal(iv_text(&iv), "1 week");
    fx_free(&f);
    fx_init(&f, "h", KEY_TIMESTAMPTZ, "2026-07-01");
    fx_parts(&f, "2026-01-05", "6 hours", 6, mb1);
    assert_true(advise_current_interval(f.t, &iv));
    assert_string_equal(iv_text(&iv), "6 hours");
    fx_free(&f);
    /* 11 days and 7 hours: no interval pgstrata has */
    fx_init(&f, "odd", KEY_TIMESTAMPTZ, "2026-07-01");
    for (int i = 0; i < 3; i++)
        fx_part(&f, T("2026-01-01") + i * (11 * CIVIL_DAY + 7 * 3600),
                T("2026-01-01") + (i + 1) * (11 * CIVIL_DAY + 7 * 3600), MB, 1000);
    assert_false(advise_current_interval(f.t, &iv));
    fx_free(&f);
}

/* ---- the interval, for several growth rates ------------------------------------ */

static double rate_bytes;
static double by_rate(int i, int n)
{
    (void)i;
    (void)n;
    return rate_bytes;
}

/* Daily partitions over 60 days at `per_day`; the advised interval. */
static void chosen_is(double per_day, double target, const char *want)
{
    Fx f;
    fx_init(&f, "rates", KEY_TIMESTAMPTZ, "2026-03-02");
    rate_bytes = per_day;
    fx_parts(&f, "2026-01-01", "1 day", 60, by_rate);
    Advice a;
    fx_advise(&f, target, &a);
    if (strcmp(iv_text(&a.recommended.interval), want) != 0)
        fail_msg("%.0f bytes a day, target %.0f: %s, expected %s", per_day, target,
                 iv_text(&a.recommended.interval), want);
    advice_free(&a);
    fx_free(&f);
}

static void test_interval_choice(void **state)
{
    (void)state;
    double t = 10 * GB;
    chosen_is(500 * GB, t, "2 hours");    /* 30 minutes (10.4 GB) x 2,880: too many */
    chosen_is(100 * GB, t, "4 hours");    /* 16.7 GB; 6 hours would be 25 GB */
    chosen_is(16 * GB, t, "1 day");       /* 500 GB a month: seed 000 */
    chosen_is(1 * GB, t, "1 week");       /* 7 GB; a month would be 30 GB */
    chosen_is(300 * MB, t, "1 month");    /* 8.9 GB; a quarter 26.8 GB */
    chosen_is(200 * MB, t, "1 quarter");  /* 17.8 GB */
    chosen_is(10 * MB, t, "1 year");      /* 3.6 GB */
    chosen_is(0.5 * MB, 1 * MB, "1 day"); /* the integration test's table */
    chosen_is(3 * MB, 1 * MB, "12 hours");
}

static void test_finest_oversized(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "firehose", KEY_TIMESTAMPTZ, "2026-03-02");
    rate_bytes = 100000 * GB;
    fx_parts(&f, "2026-01-01", "1 day", 60, by_rate);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_true(a.notes & ADVISE_NOTE_FINEST_OVERSIZED);
    /* 1 minute over 60 days is 86,400 partitions: the count bound makes it coarser */
    assert_true(a.notes & ADVISE_NOTE_COUNT_BOUND);
    assert_true(a.recommended.partitions <= ADVISE_MAX_PARTITIONS);
    assert_string_equal(iv_text(&a.recommended.interval), "2 hours");
    advice_free(&a);
    fx_free(&f);
}

/* A date key is never given partitions shorter than a day. */
static void test_date_key_no_subday(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "days", KEY_DATE, "2026-03-02");
    rate_bytes = 100 * GB;
    fx_parts(&f, "2026-01-01", "1 day", 60, by_rate);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_string_equal(iv_text(&a.recommended.interval), "1 day");
    assert_true(a.notes & ADVISE_NOTE_FINEST_OVERSIZED);
    assert_int_equal(a.verdict, ADVISE_KEEP);
    advice_free(&a);
    fx_free(&f);
}

/* ---- seed 000 ------------------------------------------------------------------- */

/* 18 monthly partitions of 500 GB, no policy: daily, with the data's span as
 * the retention, and the commands to get there. */
static void test_seed000_monthly_to_daily(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "events", KEY_TIMESTAMPTZ, "2026-06-16");
    fx_parts(&f, "2025-01-01", "1 month", 19, gb500); /* through June 2026 */
    f.t->parts[17].bytes = (int64_t)(250 * GB);       /* June: half written */
    f.t->parts[18].bytes = 8192;                      /* July: premade */
    f.t->parts[18].rows = 0;
    f.t->plan_ms = 5.7; /* measured over 19 partitions: 0.3 ms each */
    Advice a;
    fx_advise(&f, 0, &a);
    assert_int_equal(a.verdict, ADVISE_CHANGE);
    assert_int_equal(a.reason, ADVISE_WHY_OVERSIZED);
    assert_true(a.current.known);
    assert_string_equal(iv_text(&a.current.interval), "1 month");
    assert_string_equal(iv_text(&a.recommended.interval), "1 day");
    assert_int_equal(a.retention, ADVISE_RET_ASSUMED);
    assert_string_equal(a.retention_text, "532 days"); /* 2025-01-01 through 2026-06-16 */
    assert_true(a.notes & ADVISE_NOTE_RETENTION_ASSUMED);
    /* 531.x days of data, plus 4 premade */
    assert_true(a.recommended.partitions >= 535 && a.recommended.partitions <= 537);
    assert_true(a.recommended.part_bytes > 16 * GB && a.recommended.part_bytes < 17 * GB);
    assert_true(a.current.part_bytes > 490 * GB);
    assert_true(a.plan_measured);
    assert_true(a.recommended.plan_ms > 150 && a.recommended.plan_ms < 170); /* 0.3 ms x 536 */
    assert_true(a.current.plan_ms > 5.6 && a.current.plan_ms < 5.8);
    /* vacuum at 10 MB/s: 500 GB is 14 h, a day 28 min */
    assert_true(a.current.vacuum_s > 13 * 3600 && a.current.vacuum_s < 15 * 3600);
    assert_true(a.recommended.vacuum_s > 25 * 60 && a.recommended.vacuum_s < 30 * 60);
    assert_int_equal(a.commands.n, 6);
    assert_string_equal(a.commands.items[0],
                        "pgstrata migrate plan public.events --column "
                        "event_time --interval '1 day' --retention '532 days'");
    assert_string_equal(a.commands.items[1],
                        "pgstrata migrate start public.events --column "
                        "event_time --interval '1 day' --retention '532 days'");
    assert_string_equal(a.commands.items[2], "pgstrata migrate backfill public.events");
    assert_string_equal(a.commands.items[5], "pgstrata migrate finish public.events");
    advice_free(&a);
    fx_free(&f);
}

/* The same table with a policy keeping 3 years: 1,095 daily partitions is
 * more than 1,000, so weekly, with the tiers note. */
static void test_seed000_three_years(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "events", KEY_TIMESTAMPTZ, "2026-07-01");
    fx_parts(&f, "2025-01-01", "1 month", 18, tenfold);
    Policy *p = fx_policy(&f, "1 month", "3 years");
    char err[256];
    assert_true(policy_apply(p, POPT_TIME_ZONE, "Asia/Shanghai", err, sizeof(err)));
    assert_true(policy_apply(p, POPT_RETENTION_MODE, "detach", err, sizeof(err)));
    Advice a;
    AdviseOptions o = {0, false};
    advise_table(f.t, &f.db.server, &o, &a);
    assert_int_equal(a.verdict, ADVISE_CHANGE);
    assert_int_equal(a.retention, ADVISE_RET_POLICY);
    assert_string_equal(iv_text(&a.by_size), "1 day");
    assert_true(a.by_size_partitions > 1000);
    assert_string_equal(iv_text(&a.recommended.interval), "1 week");
    assert_true(a.notes & ADVISE_NOTE_COUNT_BOUND);
    assert_true(a.notes & ADVISE_NOTE_TIERS);
    assert_true(a.notes & ADVISE_NOTE_PLAN_ESTIMATED);
    assert_true(a.notes & ADVISE_NOTE_INIT_FIRST);
    assert_true(a.notes & ADVISE_NOTE_POLICY_CARRIED);
    /* the current layout counted over the retention: 36 months + 4 premade */
    assert_true(a.current.partitions == 40);
    assert_true(a.current.plan_ms > 2.7 && a.current.plan_ms < 2.9);
    assert_int_equal(a.commands.n, 7);
    assert_string_equal(a.commands.items[0], "pgstrata init");
    assert_string_equal(a.commands.items[2],
                        "pgstrata migrate start public.events --column event_time --interval "
                        "'1 week' --retention '3 years' --retention-mode detach --time-zone "
                        "Asia/Shanghai");
    char *tiers = advise_note_text(&a, ADVISE_NOTE_TIERS);
    assert_non_null(strstr(tiers, "does not support them"));
    free(tiers);
    advice_free(&a);
    fx_free(&f);
}

/* ---- the verdict ------------------------------------------------------------------ */

/* A tiny table: a year of 1 MB months. Yearly would do by size, but twelve
 * partitions cost nothing: keep, and no command. */
static void test_tiny_table(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "tiny", KEY_TIMESTAMPTZ, "2026-01-01");
    fx_parts(&f, "2025-01-01", "1 month", 12, mb1);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_int_equal(a.verdict, ADVISE_KEEP);
    assert_int_equal(a.reason, ADVISE_WHY_FEW);
    assert_string_equal(iv_text(&a.recommended.interval), "1 year");
    assert_int_equal(a.commands.n, 0);
    char *why = advise_why_text(&a);
    assert_string_equal(why,
                        "1 month partitions are about 1016.1 kB, under the 10.0 GB target, and "
                        "only 12 of them: a coarser layout (1 year partitions) would gain "
                        "nothing measurable");
    free(why);
    advice_free(&a);
    fx_free(&f);
}

/* Two years of 1 MB days: 730 partitions for nothing; fewer, bigger ones. */
static void test_many_small(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "chatty", KEY_TIMESTAMPTZ, "2026-01-01");
    fx_parts(&f, "2024-01-01", "1 day", 731, mb1);
    Advice a;
    fx_advise(&f, 20 * MB, &a);
    assert_int_equal(a.verdict, ADVISE_CHANGE);
    assert_int_equal(a.reason, ADVISE_WHY_MANY_SMALL);
    assert_string_equal(iv_text(&a.recommended.interval), "1 month"); /* 30 MB; a quarter 91 */
    assert_true(a.recommended.plan_ms < a.current.plan_ms / 20);
    advice_free(&a);
    fx_free(&f);
}

static void test_already_right(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "right", KEY_TIMESTAMPTZ, "2026-03-02");
    rate_bytes = 12 * GB;
    fx_parts(&f, "2026-01-01", "1 day", 65, by_rate);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_int_equal(a.verdict, ADVISE_KEEP);
    assert_int_equal(a.reason, ADVISE_WHY_FITS);
    assert_int_equal(a.commands.n, 0);
    FILE *out = tmpfile();
    report_advise_text(out, &a);
    rewind(out);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, out);
    text[n] = '\0';
    fclose(out);
    assert_non_null(strstr(text, "\nkeep: 1 day partitions are about 12.0 GB (target 10.0 GB)"));
    assert_null(strstr(text, "to get there"));
    advice_free(&a);
    fx_free(&f);
}

/* A policy keeping 60 days of monthly partitions: at most a quarter of the
 * retention, so weekly, though monthly would be small enough. */
static void test_retention_cap(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "short", KEY_TIMESTAMPTZ, "2026-03-02");
    fx_parts(&f, "2026-01-01", "1 month", 3, mb100);
    fx_policy(&f, "1 month", "60 days");
    Advice a;
    fx_advise(&f, 0, &a);
    assert_int_equal(a.verdict, ADVISE_CHANGE);
    assert_int_equal(a.reason, ADVISE_WHY_RETENTION);
    assert_string_equal(iv_text(&a.recommended.interval), "1 week");
    assert_true(a.notes & ADVISE_NOTE_RETENTION_CAP);
    assert_string_equal(a.retention_text, "60 days");
    advice_free(&a);
    fx_free(&f);
}

static void test_cannot(void **state)
{
    (void)state;
    Fx f;
    Advice a;
    fx_init(&f, "listed", KEY_TIMESTAMPTZ, "2026-03-02");
    f.t->strategy = 'l';
    fx_advise(&f, 0, &a);
    assert_int_equal(a.verdict, ADVISE_CANNOT);
    assert_int_equal(a.reason, ADVISE_WHY_NOT_RANGE);
    advice_free(&a);
    fx_free(&f);

    fx_init(&f, "empty", KEY_TIMESTAMPTZ, "2026-03-02");
    fx_part(&f, T("2026-03-01"), T("2026-04-01"), 8 * KB, 0);
    fx_part(&f, T("2026-04-01"), T("2026-05-01"), 8 * KB, 0);
    fx_advise(&f, 0, &a);
    assert_int_equal(a.reason, ADVISE_WHY_NO_DATA);
    char *why = advise_why_text(&a);
    assert_string_equal(why, "no partition of public.empty holds data yet: there is no growth to "
                             "measure");
    free(why);
    cJSON *doc = report_advise_json(&a);
    assert_string_equal(cJSON_GetObjectItem(doc, "verdict")->valuestring, "cannot");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "recommended")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "commands")), 0);
    cJSON_Delete(doc);
    advice_free(&a);
    fx_free(&f);

    fx_init(&f, "expr", KEY_TIMESTAMPTZ, "2026-03-02");
    free(f.t->key_column);
    f.t->key_column = NULL;
    fx_advise(&f, 0, &a);
    assert_int_equal(a.reason, ADVISE_WHY_KEY_EXPRESSION);
    advice_free(&a);
    fx_free(&f);
}

static void test_migration_running(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "busy", KEY_TIMESTAMPTZ, "2026-06-16");
    fx_parts(&f, "2025-01-01", "1 month", 18, gb500);
    f.t->migration = xstrdup("started");
    Advice a;
    fx_advise(&f, 0, &a);
    assert_int_equal(a.verdict, ADVISE_CHANGE);
    assert_true(a.notes & ADVISE_NOTE_MIGRATION_RUNNING);
    assert_int_equal(a.commands.n, 0);
    advice_free(&a);
    fx_free(&f);
}

/* ---- names in commands ------------------------------------------------------------ */

static void test_hostile_names(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "\"; DROP TABLE x; --", KEY_TIMESTAMPTZ, "2026-06-16");
    free(f.t->key_column);
    f.t->key_column = xstrdup("it's");
    fx_parts(&f, "2025-01-01", "1 month", 18, gb500);
    Advice a;
    fx_advise(&f, 0, &a);
    assert_string_equal(a.commands.items[1],
                        "pgstrata migrate start 'public.\"\"\"; DROP TABLE x; --\"' --column "
                        "'\"it'\\''s\"' --interval '1 day' --retention '532 days'");
    advice_free(&a);
    fx_free(&f);

    char name[64];
    for (int i = 0; i < 63; i++)
        name[i] = i % 2 ? 'a' : 'B';
    name[63] = '\0';
    fx_init(&f, name, KEY_TIMESTAMPTZ, "2026-06-16");
    fx_parts(&f, "2025-01-01", "1 month", 18, gb500);
    fx_advise(&f, 0, &a);
    char *want = xasprintf("pgstrata migrate backfill 'public.\"%s\"'", name);
    assert_string_equal(a.commands.items[2], want);
    free(want);
    advice_free(&a);
    fx_free(&f);
}

/* ---- what migrate plan finds ------------------------------------------------------ */

static Finding fx_finding(Severity sev, const char *what, const char *message, const char *accept)
{
    return (Finding){sev, xstrdup(what), NULL, xstrdup(message), xstrdup_or_null(accept)};
}

static void fx_findings_free(Finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].what);
        free(f[i].message);
        free(f[i].accept);
    }
}

static void test_blockers(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "events", KEY_TIMESTAMPTZ, "2026-07-01");
    fx_parts(&f, "2025-01-01", "1 month", 18, tenfold);
    Policy *old = fx_policy(&f, "1 month", "3 years");
    char err[256];
    assert_true(policy_apply(old, POPT_TIME_ZONE, "Asia/Shanghai", err, sizeof(err)));
    assert_true(policy_apply(old, POPT_START, "2025-01-01", err, sizeof(err)));
    Advice a;
    fx_advise(&f, 0, &a);

    /* The policy the commands describe: what migrate plan inspects. */
    Policy p;
    advise_policy(f.t, &a, &p);
    assert_string_equal(iv_text(&p.interval), "1 week");
    char *ret = policy_retention_text(&p);
    assert_string_equal(ret, "3 years");
    free(ret);
    assert_string_equal(p.time_zone, "Asia/Shanghai");
    assert_false(p.has_start);
    assert_string_equal(p.column, "event_time");
    policy_free(&p);

    Finding found[] = {
        fx_finding(SEV_WARNING, "view", "a view depends on it", NULL),
        fx_finding(SEV_BLOCKER, "unique-scope", "unique (k) becomes unique (k, event_time)",
                   "unique-scope"),
        fx_finding(SEV_BLOCKER, "foreign-key-in", "other references it", "foreign-keys-in"),
    };
    advise_blockers(f.t, &a, found, 3);
    assert_int_equal(a.nblockers, 2);
    assert_true(a.notes & ADVISE_NOTE_ACCEPTED);
    assert_string_equal(a.commands.items[0],
                        "pgstrata migrate plan public.events --column event_time --interval "
                        "'1 week' --retention '3 years' --time-zone Asia/Shanghai --accept "
                        "unique-scope,foreign-keys-in");
    assert_non_null(strstr(a.commands.items[1], "--accept unique-scope,foreign-keys-in"));
    char *note = advise_note_text(&a, ADVISE_NOTE_ACCEPTED);
    assert_non_null(
        strstr(note, "unique (k) becomes unique (k, event_time) (--accept unique-scope)"));
    free(note);

    /* A blocker nothing accepts: no command at all. */
    Finding never[] = {fx_finding(SEV_BLOCKER, "no-identity", "no primary key", NULL)};
    advise_blockers(f.t, &a, never, 1);
    fx_findings_free(found, 3);
    fx_findings_free(never, 1);
    assert_int_equal(a.commands.n, 0);
    assert_true(a.notes & ADVISE_NOTE_BLOCKED);
    assert_false(a.notes & ADVISE_NOTE_ACCEPTED);
    note = advise_note_text(&a, ADVISE_NOTE_BLOCKED);
    assert_string_equal(note, "migrate start would refuse this layout, and no --accept lifts it; "
                              "fix it, then run advise again: no primary key");
    free(note);
    cJSON *doc = report_advise_json(&a);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "blockers")), 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "commands")), 0);
    cJSON_Delete(doc);
    advice_free(&a);
    fx_free(&f);
}

/* ---- the report --------------------------------------------------------------------- */

static void test_json(void **state)
{
    (void)state;
    Fx f;
    fx_init(&f, "events", KEY_TIMESTAMPTZ, "2026-06-16");
    fx_parts(&f, "2025-01-01", "1 month", 18, gb500);
    Advice a;
    fx_advise(&f, 0, &a);
    cJSON *doc = report_advise_json(&a);
    assert_string_equal(cJSON_GetObjectItem(doc, "verdict")->valuestring, "change");
    assert_string_equal(cJSON_GetObjectItem(doc, "reason")->valuestring, "oversized");
    cJSON *rec = cJSON_GetObjectItem(doc, "recommended");
    assert_string_equal(cJSON_GetObjectItem(rec, "interval")->valuestring, "1 day");
    cJSON *cur = cJSON_GetObjectItem(doc, "current");
    assert_string_equal(cJSON_GetObjectItem(cur, "interval")->valuestring, "1 month");
    cJSON *ret = cJSON_GetObjectItem(doc, "retention");
    assert_string_equal(cJSON_GetObjectItem(ret, "source")->valuestring, "assumed");
    assert_string_equal(cJSON_GetObjectItem(ret, "value")->valuestring, "532 days");
    cJSON *growth = cJSON_GetObjectItem(doc, "growth");
    assert_string_equal(cJSON_GetObjectItem(growth, "per")->valuestring, "day");
    assert_string_equal(cJSON_GetObjectItem(growth, "from")->valuestring, "2025-01-01 00:00:00");
    cJSON *notes = cJSON_GetObjectItem(doc, "notes");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(notes, 0), "id")->valuestring,
                        "retention-assumed");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "commands")), 6);
    cJSON_Delete(doc);
    advice_free(&a);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_size),
        cmocka_unit_test(test_growth_steady),
        cmocka_unit_test(test_growth_rows_unknown),
        cmocka_unit_test(test_growth_tenfold),
        cmocka_unit_test(test_growth_integer),
        cmocka_unit_test(test_current_interval),
        cmocka_unit_test(test_interval_choice),
        cmocka_unit_test(test_finest_oversized),
        cmocka_unit_test(test_date_key_no_subday),
        cmocka_unit_test(test_seed000_monthly_to_daily),
        cmocka_unit_test(test_seed000_three_years),
        cmocka_unit_test(test_tiny_table),
        cmocka_unit_test(test_many_small),
        cmocka_unit_test(test_already_right),
        cmocka_unit_test(test_retention_cap),
        cmocka_unit_test(test_cannot),
        cmocka_unit_test(test_migration_running),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_blockers),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
