/* Unit tests for daemon/schedule.c (when passes start: first pass, jitter,
 * overrun, backoff, windows) and daemon/metrics.c (the exposition). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/strbuf.h"
#include "daemon/metrics.h"
#include "daemon/schedule.h"

static PassSettings settings(double interval, double jitter)
{
    PassSettings s;
    memset(&s, 0, sizeof(s));
    s.interval_s = interval;
    s.jitter_s = jitter;
    return s;
}

static void near(double got, double want)
{
    if (got < want - 1e-9 || got > want + 1e-9)
        fail_msg("got %.9f, want %.9f", got, want);
}

static void test_first_pass_spreads_within_jitter(void **state)
{
    (void)state;
    PassSettings s = settings(900, 90);
    near(sched_first(&s, 1000, 0), 1000);
    near(sched_first(&s, 1000, 0.5), 1045);
    near(sched_first(&s, 1000, 0.999), 1000 + 0.999 * 90);
    PassSettings none = settings(900, 0);
    near(sched_first(&none, 1000, 0.7), 1000);
}

static void test_next_pass_interval_and_jitter(void **state)
{
    (void)state;
    PassSettings s = settings(900, 90);
    /* u = 0.5: exactly one interval after the slot it was due in, not after it ended */
    near(sched_next(&s, 1000, 1030, 0.5), 1900);
    near(sched_next(&s, 1000, 1030, 0), 1810);
    near(sched_next(&s, 1000, 1030, 0.999999), 1900 + 0.999998 * 90);
    /* no drift: slots stay on the grid of the first due time */
    double due = 1000;
    for (int i = 0; i < 100; i++)
        due = sched_next(&s, due, due + 5, 0.5);
    near(due, 1000 + 100 * 900);
}

static void test_next_pass_after_overrun(void **state)
{
    (void)state;
    PassSettings s = settings(900, 90);
    /* a pass that ran 40 minutes: the two slots it covered are not made up for */
    near(sched_next(&s, 1000, 3400, 0.5), 3700);
    /* never in the past, whatever the jitter */
    near(sched_next(&s, 1000, 1895, 0), 1895);
    PassSettings tight = settings(10, 5);
    double t = sched_next(&tight, 0, 14, 0);
    assert_true(t >= 14);
}

static void test_retry_backoff(void **state)
{
    (void)state;
    PassSettings s = settings(900, 90);
    /* u = 1 - tiny: the full delay; 1, 2, 4, ... capped at 5 minutes */
    double full = 1 - 1e-12;
    near(sched_retry_delay(&s, 1, full), 1 * (0.5 + 0.5 * full));
    near(sched_retry_delay(&s, 2, full), 2 * (0.5 + 0.5 * full));
    near(sched_retry_delay(&s, 5, full), 16 * (0.5 + 0.5 * full));
    near(sched_retry_delay(&s, 9, full), 256 * (0.5 + 0.5 * full));
    near(sched_retry_delay(&s, 10, full), 300 * (0.5 + 0.5 * full));
    near(sched_retry_delay(&s, 1000, full), 300 * (0.5 + 0.5 * full));
    /* jitter: half the delay at least */
    near(sched_retry_delay(&s, 3, 0), 2);
    /* and never more than the interval itself */
    PassSettings fast = settings(2, 0);
    near(sched_retry_delay(&fast, 6, full), 2 * (0.5 + 0.5 * full));
}

static void test_windows(void **state)
{
    (void)state;
    Window w[] = {{60, 300}, {22 * 60, 30}}; /* 01:00-05:00 and 22:00-00:30 */
    assert_true(windows_open(NULL, 0, 0));
    assert_true(windows_open(NULL, 0, 777));
    assert_false(windows_open(w, 2, 59));
    assert_true(windows_open(w, 2, 60));
    assert_true(windows_open(w, 2, 299));
    assert_false(windows_open(w, 2, 300));
    assert_false(windows_open(w, 2, 22 * 60 - 1));
    assert_true(windows_open(w, 2, 22 * 60));
    assert_true(windows_open(w, 2, 23 * 60 + 59));
    assert_true(windows_open(w, 2, 0));
    assert_true(windows_open(w, 2, 29));
    assert_false(windows_open(w, 2, 30));
    assert_null(windows_hold_reason(w, 2, "UTC", 90));
    char *why = windows_hold_reason(w, 2, "Europe/Berlin", 13 * 60 + 5);
    assert_string_equal(why, "retirement steps wait for the daemon's maintenance windows "
                             "01:00-05:00, 22:00-00:30 (Europe/Berlin); it is 13:05 there now");
    free(why);
    why = windows_hold_reason(w, 1, "UTC", 0);
    assert_string_equal(why, "retirement steps wait for the daemon's maintenance window "
                             "01:00-05:00 (UTC); it is 00:00 there now");
    free(why);
}

/* ---- metrics ---- */

static Metrics m;
static StrBuf out;

static void test_metrics_exposition(void **state)
{
    (void)state;
    metrics_free(&m);
    m.start_wall = 1700000000;
    DbMetrics *a = metrics_db(&m, "app");
    DbMetrics *b = metrics_db(&m, "down");
    assert_ptr_equal(metrics_db(&m, "app"), a);
    metrics_action(a, "public.events", "create", "ok", 0);
    metrics_action(a, "public.events", "create", "ok", 2);
    metrics_action(a, "public.\"we\"\"ird\"", "detach", "failed", 3);
    metrics_pass(a, PASS_OK, 0.5, 0.25, 2048, 1700000100);
    metrics_pass(b, PASS_ERROR, 0.1, 0.01, 1024, 1700000100);
    metrics_pass(b, PASS_ERROR, 0.1, 0.01, 1024, 1700000200);
    TableMetrics *t = xcalloc(2, sizeof(TableMetrics));
    t[0].table = xstrdup("public.events");
    t[0].has_coverage = true;
    t[0].coverage_s = 345600;
    t[0].partitions = 6;
    t[0].default_rows = 12;
    t[0].has_success = true;
    t[0].success_age_s = 10;
    t[0].read_at = 100;
    t[1].table = xstrdup("public.ids");
    t[1].has_key_ahead = true;
    t[1].key_ahead = 5000;
    metrics_set_tables(a, t, 2);
    sb_free(&out);
    sb_init(&out);
    metrics_render(&m, 130, &out);
    static const char *const lines[] = {
        "# TYPE pgstrata_up gauge\n",
        "pgstrata_up{database=\"app\"} 1\n",
        "pgstrata_up{database=\"down\"} 0\n",
        "pgstrata_consecutive_errors{database=\"down\"} 2\n",
        "pgstrata_pass_max_rss_bytes{database=\"app\"} 2097152\n",
        "pgstrata_last_pass_end_timestamp_seconds{database=\"down\"} 1700000200\n",
        "pgstrata_passes_total{database=\"app\",result=\"ok\"} 1\n",
        "pgstrata_passes_total{database=\"down\",result=\"error\"} 2\n",
        "pgstrata_pass_duration_seconds_count{database=\"down\"} 2\n",
        "pgstrata_pass_duration_seconds_sum{database=\"app\"} 0.5\n",
        "pgstrata_actions_total{database=\"app\",table=\"public.events\",action=\"create\","
        "outcome=\"ok\"} 2\n",
        "pgstrata_actions_total{database=\"app\",table=\"public.\\\"we\\\"\\\"ird\\\"\","
        "action=\"detach\",outcome=\"failed\"} 1\n",
        "pgstrata_lock_retries_total{database=\"app\",table=\"public.events\"} 2\n",
        "pgstrata_table_coverage_seconds{database=\"app\",table=\"public.events\"} 345600\n",
        "pgstrata_table_coverage_keys{database=\"app\",table=\"public.ids\"} 5000\n",
        "pgstrata_table_partitions{database=\"app\",table=\"public.ids\"} 0\n",
        "pgstrata_table_default_rows{database=\"app\",table=\"public.events\"} 12\n",
        /* 10 s old when read at 100, scraped at 130 */
        "pgstrata_table_seconds_since_success{database=\"app\",table=\"public.events\"} 40\n",
        "pgstrata_config_reloads_total{result=\"failed\"} 0\n",
        "pgstrata_start_time_seconds 1700000000\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (!strstr(out.data, lines[i]))
            fail_msg("missing: %s\nin:\n%s", lines[i], out.data);
    /* no coverage for an integer key, no age for a table never maintained */
    assert_null(
        strstr(out.data, "pgstrata_table_coverage_seconds{database=\"app\",table=\"public.ids\"}"));
    assert_null(strstr(
        out.data, "pgstrata_table_seconds_since_success{database=\"app\",table=\"public.ids\"}"));
    /* a database removed by a reload leaves no series */
    metrics_drop_db(&m, "down");
    sb_reset(&out);
    metrics_render(&m, 130, &out);
    assert_null(strstr(out.data, "\"down\""));
    assert_non_null(strstr(out.data, "pgstrata_up{database=\"app\"} 1\n"));
}

static int teardown_all(void **state)
{
    (void)state;
    metrics_free(&m);
    sb_free(&out);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_pass_spreads_within_jitter),
        cmocka_unit_test(test_next_pass_interval_and_jitter),
        cmocka_unit_test(test_next_pass_after_overrun),
        cmocka_unit_test(test_retry_backoff),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_metrics_exposition),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
