/* Unit tests for daemon/config.c and config_values.c: the YAML keys, their
 * inheritance, and the exact message (file, line, key) of each bad input. */
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
#include "daemon/config.h"

/* ---- helpers ---- */

/* The parse result (static: a failed assertion leaves it reachable). */
static Config cfg;
static char *err;

static bool parse(const char *yaml)
{
    config_free(&cfg);
    free(err);
    err = NULL;
    return config_parse(yaml, strlen(yaml), "d.yaml", NULL, &cfg, &err);
}

static void rejects(const char *yaml, const char *message)
{
    if (parse(yaml))
        fail_msg("accepted:\n%s", yaml);
    assert_string_equal(err, message);
}

static const char one_db[] = "databases:\n"
                             "  - name: app\n"
                             "    conninfo: host=db1 dbname=app\n";

/* ---- valid files ---- */

static void test_defaults(void **state)
{
    (void)state;
    assert_true(parse(one_db));
    assert_int_equal(cfg.ndbs, 1);
    const DbConfig *d = &cfg.dbs[0];
    assert_string_equal(d->name, "app");
    assert_string_equal(d->conninfo, "host=db1 dbname=app");
    assert_true(d->enabled);
    assert_int_equal(d->ntables, 0);
    assert_true(d->pass.interval_s == 900);
    assert_true(d->pass.jitter_s == 90); /* 10 % */
    assert_true(d->pass.pass_timeout_s == 3600);
    assert_true(d->pass.retry_budget_s == 60);
    assert_int_equal(d->pass.jobs, 1);
    assert_int_equal(d->pass.move_default_max_rows, 100000);
    assert_int_equal(d->pass.nwindows, 0);
    assert_string_equal(d->pass.time_zone, "UTC");
    assert_int_equal(cfg.log_format, LOG_AUTO);
    assert_null(cfg.listen);
    assert_true(cfg.stop_timeout_s == 30);
    assert_int_equal(cfg.max_parallel, 16);
}

static void test_everything_and_overrides(void **state)
{
    (void)state;
    assert_true(parse("# the daemon\n"
                      "interval: 1h\n"
                      "jitter: 5%\n"
                      "windows: [\"01:00-05:00\", 22:00-23:30]\n"
                      "time_zone: Europe/Berlin\n"
                      "pass_timeout: 20m\n"
                      "retry_budget: 30s\n"
                      "jobs: 2\n"
                      "move_default_max_rows: 500\n"
                      "stop_timeout: 10s\n"
                      "max_parallel: 4\n"
                      "log_format: json\n"
                      "metrics:\n"
                      "  listen: \"[::1]:9188\"\n"
                      "databases:\n"
                      "  - name: app\n"
                      "    conninfo: postgresql://u@db1/app\n"
                      "  - name: billing.eu-1\n"
                      "    service: billing\n"
                      "    interval: 90s\n"
                      "    jitter: 10s\n"
                      "    windows: 02:00-03:00\n"
                      "    tables: [public.events, '\"Odd\".\"Name\"']\n"
                      "    enabled: no\n"));
    assert_int_equal(cfg.ndbs, 2);
    const DbConfig *a = &cfg.dbs[0], *b = &cfg.dbs[1];
    assert_true(a->pass.interval_s == 3600);
    assert_true(a->pass.jitter_s == 180);
    assert_int_equal(a->pass.nwindows, 2);
    assert_int_equal(a->pass.windows[0].start, 60);
    assert_int_equal(a->pass.windows[0].end, 300);
    assert_int_equal(a->pass.windows[1].start, 22 * 60);
    assert_int_equal(a->pass.windows[1].end, 23 * 60 + 30);
    assert_string_equal(a->pass.time_zone, "Europe/Berlin");
    assert_true(a->pass.pass_timeout_s == 1200);
    assert_true(a->pass.retry_budget_s == 30);
    assert_int_equal(a->pass.jobs, 2);
    assert_int_equal(a->pass.move_default_max_rows, 500);
    assert_int_equal(a->line, 16);
    /* the database's own values over the top level's */
    assert_string_equal(b->conninfo, "service=billing");
    assert_true(b->pass.interval_s == 90);
    assert_true(b->pass.jitter_s == 10);
    assert_int_equal(b->pass.nwindows, 1);
    assert_int_equal(b->pass.windows[0].start, 120);
    assert_string_equal(b->pass.time_zone, "Europe/Berlin");
    assert_int_equal(b->ntables, 2);
    assert_string_equal(b->tables[1], "\"Odd\".\"Name\"");
    assert_false(b->enabled);
    assert_int_equal(cfg.log_format, LOG_JSON);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 9188);
    assert_true(cfg.stop_timeout_s == 10);
    assert_int_equal(cfg.max_parallel, 4);
}

static void test_percent_jitter_follows_own_interval(void **state)
{
    (void)state;
    assert_true(parse("jitter: 20%\n"
                      "databases:\n"
                      "  - {name: a, conninfo: dbname=a, interval: 10m}\n"
                      "  - {name: b, conninfo: dbname=b}\n"));
    assert_true(cfg.dbs[0].pass.jitter_s == 120);
    assert_true(cfg.dbs[1].pass.jitter_s == 180);
}

static void test_listen_any_and_off(void **state)
{
    (void)state;
    assert_true(parse("metrics: {listen: \":9188\"}\ndatabases: [{name: a, conninfo: x}]\n"));
    assert_null(cfg.listen_host);
    assert_int_equal(cfg.listen_port, 9188);
    assert_true(parse("metrics: {listen: \"off\"}\ndatabases: [{name: a, conninfo: x}]\n"));
    assert_null(cfg.listen);
}

/* ---- bad files: one message each, with the line ---- */

static void test_bad_yaml(void **state)
{
    (void)state;
    rejects("databases:\n  - name: a\n  foo: [\n",
            "d.yaml:3:3: invalid YAML: did not find expected '-' indicator while parsing a "
            "block collection");
    rejects("interval: 1m\n\tjobs: 2\n",
            "d.yaml:2:1: invalid YAML: found a tab character that violates indentation while "
            "scanning a plain scalar");
    rejects("", "d.yaml:1: the file is empty: expected a mapping with a databases list");
    rejects("- a\n- b\n", "d.yaml:1: expected a mapping (databases, interval, ...), found a list");
    rejects("databases: [{name: a, conninfo: x}]\n---\ninterval: 1m\n",
            "d.yaml:3: only one YAML document is allowed (found a second \"---\")");
}

static void test_unknown_and_twice(void **state)
{
    (void)state;
    rejects("interval: 1m\nintervall: 5m\n",
            "d.yaml:2: unknown key \"intervall\" (known here: databases, log_format, metrics, "
            "stop_timeout, max_parallel, interval, jitter, pass_timeout, retry_budget, jobs, "
            "move_default_max_rows, windows, time_zone)");
    rejects("databases:\n  - name: a\n    conninfo: x\n    hots: y\n",
            "d.yaml:4: database 1: unknown key \"hots\" (known here: name, conninfo, service, "
            "tables, enabled, interval, jitter, pass_timeout, retry_budget, jobs, "
            "move_default_max_rows, windows, time_zone)");
    rejects("metrics:\n  port: 9188\ndatabases: [{name: a, conninfo: x}]\n",
            "d.yaml:2: unknown key \"port\" (known here: listen)");
    rejects("interval: 1m\ndatabases: [{name: a, conninfo: x}]\ninterval: 2m\n",
            "d.yaml:3: key \"interval\" given twice (first on line 1)");
}

static void test_databases_shape(void **state)
{
    (void)state;
    rejects("interval: 1m\n", "d.yaml:1: no databases: add a databases list (name and conninfo "
                              "or service each)");
    rejects("databases: []\n", "d.yaml:1: databases: the list is empty");
    rejects("databases: {name: a}\n", "d.yaml:1: databases: expected a list, found a mapping");
    rejects("databases:\n  - app\n",
            "d.yaml:2: database 1: expected a mapping (name, conninfo or service, ...), found a "
            "value");
    rejects("databases:\n  - conninfo: x\n",
            "d.yaml:2: database 1: needs a name (its label in logs and metrics)");
    rejects("databases:\n  - name: a\n",
            "d.yaml:2: database 1: needs conninfo (a conninfo string or URI) or service (a name "
            "in pg_service.conf)");
    rejects("databases:\n  - {name: a, conninfo: x, service: s}\n",
            "d.yaml:2: database 1: give conninfo or service, not both");
    rejects("databases:\n  - {name: a, conninfo: x}\n  - {name: b, conninfo: y}\n"
            "  - {name: a, conninfo: z}\n",
            "d.yaml:4: database 3: name \"a\" is used twice (first on line 2)");
    rejects("databases:\n  - {name: \"a b\", conninfo: x}\n",
            "d.yaml:2: database 1: name: \"a b\" must be 1 to 63 letters, digits, '_', '.' or "
            "'-'");
    rejects("databases:\n  - {name: a, conninfo: [x]}\n",
            "d.yaml:2: database 1: conninfo: expected a single value, found a list");
    rejects("databases:\n  - name: a\n    conninfo:\n",
            "d.yaml:3: database 1: conninfo: no value given");
    rejects("databases:\n  - {name: a, conninfo: x, tables: public.events}\n",
            "d.yaml:2: database 1: tables: expected a list of table names, found a value");
    rejects("databases:\n  - {name: a, conninfo: x, tables: [\"bad..name\"]}\n",
            "d.yaml:2: database 1: tables: invalid name \"bad..name\": empty name");
    rejects("databases:\n  - {name: a, conninfo: x, enabled: maybe}\n",
            "d.yaml:2: database 1: enabled: \"maybe\" is not true or false");
}

static void test_bad_values(void **state)
{
    (void)state;
    rejects("interval: fast\n", "d.yaml:1: interval: invalid duration \"fast\": expected a number "
                                "and a unit (ms, s, m, h, d), e.g. 15m");
    rejects("interval: 5\n", "d.yaml:1: interval: invalid duration \"5\": a number needs a unit "
                             "(ms, s, m, h, d), e.g. 15m");
    rejects("interval: 5 fortnights\n", "d.yaml:1: interval: invalid duration \"5 fortnights\": "
                                        "unknown unit \"fortnights\" (ms, s, m, h, d)");
    rejects("interval: 500ms\n", "d.yaml:1: interval: \"500ms\" is out of range: from 1s to 7d");
    rejects("jitter: 60%\n", "d.yaml:1: jitter: \"60%\" is not a percentage from 0% to 50%");
    rejects("jitter: 10m\ndatabases: [{name: a, conninfo: x}]\n",
            "d.yaml:1: database 1: jitter: \"10m\" is more than half the interval");
    rejects("jobs: 0\n", "d.yaml:1: jobs: \"0\" is not a whole number from 1 to 64");
    rejects("move_default_max_rows: -1\n",
            "d.yaml:1: move_default_max_rows: \"-1\" is not a whole number from 0 to "
            "1000000000000");
    rejects("windows: 25:00-01:00\n", "d.yaml:1: windows: invalid window \"25:00-01:00\": "
                                      "expected HH:MM-HH:MM, e.g. 01:00-05:00");
    rejects("windows: 01:00-01:00\n",
            "d.yaml:1: windows: invalid window \"01:00-01:00\": the window is empty");
    rejects("windows: []\n",
            "d.yaml:1: windows: the list is empty (leave the key out for any time)");
    rejects("max_parallel: 0\n",
            "d.yaml:1: max_parallel: \"0\" is not a whole number from 1 to 256");
    rejects("log_format: xml\n", "d.yaml:1: log_format: \"xml\" is not auto, text or json");
    rejects("stop_timeout: 2h\n", "d.yaml:1: stop_timeout: \"2h\" is out of range: from 1s to 1h");
    rejects("metrics:\n  listen: 9188\n",
            "d.yaml:2: metrics: listen: invalid listen address \"9188\": expected HOST:PORT, "
            "[IPV6]:PORT or :PORT, e.g. 127.0.0.1:9188");
    rejects("metrics:\n  listen: \"localhost:99999\"\n",
            "d.yaml:2: metrics: listen: invalid listen address \"localhost:99999\": the port "
            "must be a number from 0 to 65535");
}

/* The checks that need libpq or the zone files, as the daemon plugs them in. */
static bool no_conninfo(const char *conninfo, char **why)
{
    *why = xasprintf("missing \"=\" after \"%s\"", conninfo);
    return false;
}

static bool no_zone(const char *zone, char **why)
{
    *why = xasprintf("unknown time zone \"%s\"", zone);
    return false;
}

static void test_checks(void **state)
{
    (void)state;
    ConfigChecks checks = {no_conninfo, no_zone};
    config_free(&cfg);
    free(err);
    const char *a = "databases:\n  - {name: a, conninfo: \"host\"}\n";
    assert_false(config_parse(a, strlen(a), "d.yaml", &checks, &cfg, &err));
    assert_string_equal(err, "d.yaml:2: database 1: conninfo: missing \"=\" after \"host\"");
    free(err);
    const char *b = "time_zone: Mars/Base\ndatabases: [{name: a, service: s}]\n";
    assert_false(config_parse(b, strlen(b), "d.yaml", &checks, &cfg, &err));
    assert_string_equal(err, "d.yaml:1: time_zone: unknown time zone \"Mars/Base\"");
}

static void test_load_missing_file(void **state)
{
    (void)state;
    config_free(&cfg);
    free(err);
    assert_false(config_load("/nonexistent/d.yaml", NULL, &cfg, &err));
    assert_string_equal(err,
                        "/nonexistent/d.yaml: cannot read the file: No such file or directory");
}

/* ---- the value parsers ---- */

static void test_durations(void **state)
{
    (void)state;
    char why[256];
    double s;
    static const struct {
        const char *text;
        double seconds;
    } good[] = {{"15m", 900},       {"1h30m", 5400},     {"90s", 90},    {"500ms", 0.5},
                {"2 days", 172800}, {"15 minutes", 900}, {"1.5h", 5400}, {"1d 2h", 93600},
                {"0s", 0},          {"3 Hours", 10800}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!config_parse_duration(good[i].text, &s, why, sizeof(why)))
            fail_msg("\"%s\": %s", good[i].text, why);
        assert_true(s == good[i].seconds);
    }
    static const char *const bad[] = {"", "m", "-1s", "1", "1h 5", "1 parsec", "s1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (config_parse_duration(bad[i], &s, why, sizeof(why)))
            fail_msg("accepted \"%s\"", bad[i]);
    char buf[32];
    config_duration_text(5400, buf);
    assert_string_equal(buf, "1h30m");
    config_duration_text(90061, buf);
    assert_string_equal(buf, "1d1h1m1s");
    config_duration_text(0.25, buf);
    assert_string_equal(buf, "250ms");
    config_duration_text(0, buf);
    assert_string_equal(buf, "0s");
}

static void test_windows_and_listen(void **state)
{
    (void)state;
    char why[256];
    Window w;
    assert_true(config_parse_window("22:00-24:00", &w, why, sizeof(why)));
    assert_int_equal(w.start, 1320);
    assert_int_equal(w.end, 0);
    char buf[16];
    config_window_text(&w, buf);
    assert_string_equal(buf, "22:00-00:00");
    assert_false(config_parse_window("1:00-2:00", &w, why, sizeof(why)));
    assert_false(config_parse_window("01:00-02:00 ", &w, why, sizeof(why)));
    assert_false(config_parse_window("24:30-01:00", &w, why, sizeof(why)));
    char *host = NULL;
    int port;
    assert_true(config_parse_listen("0.0.0.0:0", &host, &port, why, sizeof(why)));
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 0);
    free(host);
    assert_true(config_parse_listen("metrics.local:9188", &host, &port, why, sizeof(why)));
    assert_string_equal(host, "metrics.local");
    free(host);
    host = NULL;
    assert_false(config_parse_listen("::1:9188", &host, &port, why, sizeof(why)));
    assert_false(config_parse_listen("[]:9188", &host, &port, why, sizeof(why)));
    assert_false(config_parse_listen("a b:1", &host, &port, why, sizeof(why)));
    assert_false(config_parse_listen("host:", &host, &port, why, sizeof(why)));
    assert_null(host);
}

static int teardown_all(void **state)
{
    (void)state;
    config_free(&cfg);
    free(err);
    err = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_everything_and_overrides),
        cmocka_unit_test(test_percent_jitter_follows_own_interval),
        cmocka_unit_test(test_listen_any_and_off),
        cmocka_unit_test(test_bad_yaml),
        cmocka_unit_test(test_unknown_and_twice),
        cmocka_unit_test(test_databases_shape),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_windows_and_listen),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
