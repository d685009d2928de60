/* Unit tests for report/text_table.c, report/plan_report.c, report/ls_report.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "core/inventory.h"
#include "core/plan.h"
#include "core/strbuf.h"
#include "report/ls_report.h"
#include "report/plan_report.h"
#include "report/text_table.h"

/* ---- helpers ---- */

typedef struct Capture {
    FILE *f;
    char *buf;
    size_t len;
} Capture;

static void cap_open(Capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

/* Closes the stream; the text stays in c->buf until cap_free. */
static const char *cap_text(Capture *c)
{
    fclose(c->f);
    c->f = NULL;
    return c->buf;
}

static void cap_free(Capture *c)
{
    free(c->buf);
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

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

/* Code points from the start of line to p. */
static size_t col_of(const char *line, const char *p)
{
    size_t w = 0;
    for (const char *q = line; q < p; q++)
        if (((unsigned char)*q & 0xC0) != 0x80)
            w++;
    return w;
}

static Action *new_action(Plan *p, ActionKind kind, const char *table, const char *target)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->actions = xrealloc(p->actions, p->cap * sizeof(Action));
    }
    Action *a = &p->actions[p->n++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->table = xstrdup(table);
    a->target = target ? xstrdup(target) : NULL;
    a->depends_on = -1;
    a->lock_timeout_ms = 5000;
    return a;
}

/* public.events: create, attach (depends on create), a note;
 * public.logs: archive, drop (guarded), an error. */
static void build_plan(Plan *p)
{
    plan_init(p);
    Action *a = new_action(p, ACT_CREATE, "public.events", "public.events_p20261122");
    a->why = xstrdup("a standalone table for 2026-11-22");
    a->lock = xstrdup("ACCESS SHARE on public.events");
    strlist_add(&a->pre_sql, xstrdup("INSERT INTO pgstrata.pending VALUES ('x')"));
    strlist_add(
        &a->sql,
        xstrdup("CREATE TABLE \"public\".\"events_p20261122\" (LIKE \"public\".\"events\")"));
    strlist_add(&a->book_sql, xstrdup("UPDATE pgstrata.pending SET state = 'created'"));

    a = new_action(p, ACT_ATTACH, "public.events", "public.events_p20261122");
    a->why = xstrdup("cover 2026-11-22");
    a->lock = xstrdup("SHARE UPDATE EXCLUSIVE on public.events");
    a->depends_on = 0;
    strlist_add(&a->sql, xstrdup("ALTER TABLE \"public\".\"events\" ATTACH PARTITION x\nFOR VALUES "
                                 "FROM ('2026-11-22') TO ('2026-11-23')"));
    strlist_add(&a->sql, xstrdup("SELECT 1;"));

    a = new_action(p, ACT_SKIP, "public.events", "public.events");
    a->why = xstrdup("retention waits for the maintenance window");

    a = new_action(p, ACT_ARCHIVE, "public.logs", "public.logs_p1");
    a->why = xstrdup("retention (archive mode)");
    a->lock = xstrdup("ACCESS SHARE on public.logs_p1 (no longer a partition)");
    a->copy_sql = xstrdup("COPY \"public\".\"logs_p1\" TO STDOUT");
    a->command = xstrdup("gzip > '/arch/logs_p1.gz'");
    a->destructive = true;
    strlist_add(&a->pre_sql, xstrdup("UPDATE pgstrata.retired SET state = 'archiving'"));
    strlist_add(&a->book_sql, xstrdup("UPDATE pgstrata.retired SET state = 'archived'"));

    a = new_action(p, ACT_DROP, "public.logs", "public.logs_p1");
    a->why = xstrdup("retention (drop mode)");
    a->lock = xstrdup("ACCESS EXCLUSIVE on public.logs_p1");
    a->depends_on = 3;
    a->destructive = true;
    a->autocommit = true;
    a->guard_sql = xstrdup("SELECT count(*) FROM \"public\".\"logs_p1\"");
    a->guard_max = 1000;
    a->guard_error = xstrdup("too many rows: %lld");
    strlist_add(&a->sql, xstrdup("DROP TABLE \"public\".\"logs_p1\""));

    a = new_action(p, ACT_ERROR, "public.logs", "public.logs");
    a->why = xstrdup("the default partition holds 200000 rows of new ranges");
}

/* ---- text table ---- */

static void test_text_table_utf8(void **state)
{
    (void)state;
    const char *hdr[] = {"name", "size", "note"};
    const TextAlign al[] = {ALIGN_LEFT, ALIGN_RIGHT, ALIGN_LEFT};
    TextTable *t = text_table_new(3, hdr, al);
    const char *r1[] = {"événements", "8.0 kB", "ünï"};
    const char *r2[] = {"ab", "1.5 MB", ""};
    const char *r3[] = {"日本語", "0 B", NULL};
    text_table_add_row(t, r1);
    text_table_add_row(t, r2);
    text_table_add_row(t, r3);
    assert_int_equal(text_table_rows(t), 3);

    Capture c;
    cap_open(&c);
    text_table_print(t, c.f);
    const char *out = cap_text(&c);
    assert_string_equal(out, "name          size  note\n"
                             "événements  8.0 kB  ünï\n"
                             "ab          1.5 MB\n"
                             "日本語            0 B\n");

    /* The second column ends at the same code point on every line. */
    const char *line = out;
    while (*line) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        const char *b = strstr(line, "B");
        if (b && b < nl)
            assert_int_equal(col_of(line, b), 17);
        else
            assert_int_equal(col_of(line, strstr(line, "size") + 3), 17);
        assert_true(nl == line || nl[-1] != ' '); /* no trailing spaces */
        line = nl + 1;
    }
    cap_free(&c);
    text_table_free(t);

    assert_int_equal(text_display_width("événements"), 10);
    assert_int_equal(text_display_width("日本語"), 3);
    assert_int_equal(text_display_width(""), 0);
}

static void test_text_table_control_chars(void **state)
{
    (void)state;
    const char *hdr[] = {"a", "b"};
    TextTable *t = text_table_new(2, hdr, NULL);
    const char *r[] = {"x\ny", "z\t"};
    text_table_add_row(t, r);
    Capture c;
    cap_open(&c);
    text_table_print(t, c.f);
    assert_string_equal(cap_text(&c), "a    b\n"
                                      "x?y  z?\n");
    cap_free(&c);
    text_table_free(t);
}

/* ---- plan text ---- */

static void test_plan_text(void **state)
{
    (void)state;
    Plan p;
    build_plan(&p);
    Capture c;
    cap_open(&c);
    report_plan_text(c.f, &p, true);
    const char *out = cap_text(&c);

    assert_true(strncmp(out,
                        "dry run: nothing is changed; this is what maintain would do\n"
                        "public.events\n",
                        strlen("dry run: nothing is changed; this is what maintain would do\n"
                               "public.events\n")) == 0);
    assert_contains(out, "\n  1. create   public.events_p20261122\n"
                         "     why:  a standalone table for 2026-11-22\n"
                         "     lock: ACCESS SHARE on public.events\n"
                         "        CREATE TABLE \"public\".\"events_p20261122\" (LIKE "
                         "\"public\".\"events\");\n"
                         "  2. attach   public.events_p20261122\n");
    /* Multi-line SQL stays indented; an existing ';' is not doubled. */
    assert_contains(out, "        ALTER TABLE \"public\".\"events\" ATTACH PARTITION x\n"
                         "        FOR VALUES FROM ('2026-11-22') TO ('2026-11-23');\n"
                         "        SELECT 1;\n");
    assert_contains(out, "\n  -  note     retention waits for the maintenance window\n");
    assert_contains(out, "\n\npublic.logs\n  3. archive  public.logs_p1\n");
    assert_contains(
        out, "\n        COPY \"public\".\"logs_p1\" TO STDOUT | gzip > '/arch/logs_p1.gz'\n");
    assert_contains(out, "\n  4. drop     public.logs_p1\n");
    assert_contains(out, "        DROP TABLE \"public\".\"logs_p1\";\n");
    assert_contains(out, "\n  !  error    the default partition holds 200000 rows of new ranges\n");

    /* Bookkeeping stays out of the text. */
    assert_not_contains(out, "pgstrata.pending");
    assert_not_contains(out, "pgstrata.retired");
    /* Each table has exactly one header line. */
    assert_non_null(strstr(out, "\npublic.logs\n"));
    assert_null(
        strstr(strstr(out, "\npublic.events\n") ? strstr(out, "\npublic.events\n") + 1 : out,
               "\npublic.events\n"));

    /* Every SQL line ends with ';', except the archive pipe (and the first
     * line of a multi-line statement). */
    const char *line = out;
    while (*line) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        char *l = strndup(line, (size_t)(nl - line));
        if (strncmp(l, "        ", 8) == 0 && !strstr(l, " | ") && !strstr(l, "ATTACH PARTITION x"))
            assert_int_equal(l[strlen(l) - 1], ';');
        free(l);
        line = nl + 1;
    }
    cap_free(&c);

    cap_open(&c);
    report_plan_text(c.f, &p, false);
    out = cap_text(&c);
    assert_true(strncmp(out, "public.events\n", 14) == 0);
    assert_not_contains(out, "dry run");
    cap_free(&c);
    plan_free(&p);
}

static void test_plan_empty(void **state)
{
    (void)state;
    Plan p;
    plan_init(&p);
    Capture c;
    cap_open(&c);
    report_plan_text(c.f, &p, false);
    assert_string_equal(cap_text(&c), "nothing to do: every table is up to date\n");
    cap_free(&c);

    cap_open(&c);
    report_plan_text(c.f, &p, true);
    assert_string_equal(cap_text(&c),
                        "dry run: nothing is changed; this is what maintain would do\n"
                        "nothing to do: every table is up to date\n");
    cap_free(&c);

    cJSON *j = report_plan_json(&p);
    char *s = cJSON_PrintUnformatted(j);
    assert_string_equal(s, "{\"actions\":[],\"errors\":0}");
    free(s);
    cJSON_Delete(j);
    plan_free(&p);
}

/* ---- plan JSON ---- */

static const cJSON *get(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("missing key \"%s\"", key);
    return v;
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!cJSON_IsString(v))
        fail_msg("\"%s\" is not a string", key);
    return v->valuestring;
}

static double get_num(const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

static void test_plan_json(void **state)
{
    (void)state;
    Plan p;
    build_plan(&p);
    cJSON *j = report_plan_json(&p);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);

    assert_int_equal((int)get_num(root, "errors"), 1);
    const cJSON *acts = get(root, "actions");
    assert_true(cJSON_IsArray(acts));
    assert_int_equal(cJSON_GetArraySize(acts), 6);

    const cJSON *a0 = cJSON_GetArrayItem(acts, 0);
    assert_string_equal(get_str(a0, "table"), "public.events");
    assert_string_equal(get_str(a0, "kind"), "create");
    assert_string_equal(get_str(a0, "target"), "public.events_p20261122");
    assert_string_equal(get_str(a0, "why"), "a standalone table for 2026-11-22");
    assert_string_equal(get_str(a0, "lock"), "ACCESS SHARE on public.events");
    const cJSON *sql = get(a0, "sql");
    assert_int_equal(cJSON_GetArraySize(sql), 1);
    assert_string_equal(
        cJSON_GetArrayItem(sql, 0)->valuestring,
        "CREATE TABLE \"public\".\"events_p20261122\" (LIKE \"public\".\"events\")");
    const cJSON *book = get(a0, "bookkeeping_sql");
    assert_int_equal(cJSON_GetArraySize(book), 2);
    assert_string_equal(cJSON_GetArrayItem(book, 0)->valuestring,
                        "INSERT INTO pgstrata.pending VALUES ('x')");
    assert_string_equal(cJSON_GetArrayItem(book, 1)->valuestring,
                        "UPDATE pgstrata.pending SET state = 'created'");
    assert_true(cJSON_IsFalse(get(a0, "autocommit")));
    assert_true(cJSON_IsNull(get(a0, "depends_on")));
    assert_true(cJSON_IsFalse(get(a0, "destructive")));
    assert_int_equal((int)get_num(a0, "lock_timeout_ms"), 5000);
    assert_null(cJSON_GetObjectItemCaseSensitive(a0, "guard"));
    assert_null(cJSON_GetObjectItemCaseSensitive(a0, "archive"));

    const cJSON *a1 = cJSON_GetArrayItem(acts, 1);
    assert_string_equal(get_str(a1, "kind"), "attach");
    assert_int_equal((int)get_num(a1, "depends_on"), 0);
    assert_int_equal(cJSON_GetArraySize(get(a1, "sql")), 2);
    assert_int_equal(cJSON_GetArraySize(get(a1, "bookkeeping_sql")), 0);

    const cJSON *a2 = cJSON_GetArrayItem(acts, 2);
    assert_string_equal(get_str(a2, "kind"), "note");
    assert_true(cJSON_IsNull(get(a2, "lock")));

    const cJSON *a3 = cJSON_GetArrayItem(acts, 3);
    assert_string_equal(get_str(a3, "kind"), "archive");
    assert_true(cJSON_IsTrue(get(a3, "destructive")));
    const cJSON *ar = get(a3, "archive");
    assert_string_equal(get_str(ar, "copy_sql"), "COPY \"public\".\"logs_p1\" TO STDOUT");
    assert_string_equal(get_str(ar, "command"), "gzip > '/arch/logs_p1.gz'");
    assert_int_equal(cJSON_GetArraySize(get(a3, "sql")), 0);
    assert_int_equal(cJSON_GetArraySize(get(a3, "bookkeeping_sql")), 2);

    const cJSON *a4 = cJSON_GetArrayItem(acts, 4);
    assert_string_equal(get_str(a4, "kind"), "drop");
    assert_true(cJSON_IsTrue(get(a4, "autocommit")));
    assert_int_equal((int)get_num(a4, "depends_on"), 3);
    const cJSON *g = get(a4, "guard");
    assert_string_equal(get_str(g, "sql"), "SELECT count(*) FROM \"public\".\"logs_p1\"");
    assert_int_equal((int)get_num(g, "max"), 1000);

    const cJSON *a5 = cJSON_GetArrayItem(acts, 5);
    assert_string_equal(get_str(a5, "kind"), "error");
    assert_string_equal(get_str(a5, "table"), "public.logs");

    cJSON_Delete(root);
    plan_free(&p);
}

/* ---- format_bytes ---- */

static void test_format_bytes(void **state)
{
    (void)state;
    static const struct {
        int64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 B"},
        {1, "1 B"},
        {1023, "1023 B"},
        {1024, "1.0 kB"},
        {1536, "1.5 kB"},
        {8192, "8.0 kB"},
        {1048575, "1.0 MB"}, /* not "1024.0 kB" */
        {1048576, "1.0 MB"},
        {1572864, "1.5 MB"},
        {1258291, "1.2 MB"},
        {3650722202LL, "3.4 GB"},
        {1099511627776LL, "1.0 TB"},
        {2251799813685248LL, "2.0 PB"},
        {INT64_MAX, "8.0 EB"},
        {-1, "?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        format_bytes(cases[i].bytes, buf);
        assert_string_equal(buf, cases[i].text);
    }
}

/* ---- ls: tables ---- */

static TableRow *make_tables(size_t *n)
{
    TableRow *rows = xcalloc(2, sizeof(TableRow));
    TableRow *t = &rows[0];
    t->schema = xstrdup("public");
    t->table = xstrdup("events");
    t->exists = true;
    t->column = xstrdup("created_at");
    t->key_type = xstrdup("timestamptz");
    t->interval = xstrdup("1 day");
    t->premake = xstrdup("4");
    t->retention = xstrdup("30 days");
    t->retention_mode = xstrdup("drop");
    t->partitions = 35;
    t->has_default = true;
    t->default_rows = 12;
    t->oldest = xstrdup("2026-10-20 00:00:00+00");
    t->newest = xstrdup("2026-11-26 00:00:00+00");
    t->coverage_ahead = xstrdup("4 days 03:00:00");
    t->total_bytes = 8192;
    t->pending_detach = 1;
    t->detached = 2;
    t->last_maintained = xstrdup("2026-11-21 20:55:01.5+00");
    t->last_analyzed = xstrdup("2026-11-22 03:00:12.123456+00");

    t = &rows[1];
    t->schema = xstrdup("Sales");
    t->table = xstrdup("orders");
    t->exists = false;
    t->column = xstrdup("id");
    t->key_type = xstrdup("bigint");
    t->interval = xstrdup("1000000");
    t->premake = xstrdup("4");
    t->default_rows = -1;
    *n = 2;
    return rows;
}

static void test_tables_text(void **state)
{
    (void)state;
    size_t n;
    TableRow *rows = make_tables(&n);
    Capture c;
    cap_open(&c);
    report_tables_text(c.f, rows, n);
    const char *out = cap_text(&c);
    assert_int_equal(count_lines(out), 3);
    assert_true(strncmp(out, "table ", 6) == 0);
    assert_contains(out, "partitions");
    assert_contains(out, "pending detach");
    assert_contains(out, "last analyzed");
    assert_contains(out, "\npublic.events  ");
    assert_contains(out, "created_at timestamptz");
    assert_contains(out, "4 days 03:00:00");
    assert_contains(out, "30 days (drop)");
    assert_contains(out, "8.0 kB");
    assert_contains(out, "~12 rows");
    assert_contains(out, "2026-11-22 03:00\n");
    assert_not_contains(out, "03:00:12");
    assert_contains(out, "\"Sales\".orders");
    assert_contains(out, "(table missing)");
    assert_contains(out, "keep all");
    assert_contains(out, "never\n");

    /* Columns line up: "key" starts where each row's key starts. */
    const char *l1 = strchr(out, '\n') + 1;
    const char *l2 = strchr(l1, '\n') + 1;
    size_t key_col = (size_t)(strstr(out, "key") - out);
    assert_int_equal((size_t)(strstr(l1, "created_at") - l1), key_col);
    assert_int_equal((size_t)(strstr(l2, "id bigint") - l2), key_col);
    cap_free(&c);

    cap_open(&c);
    report_tables_text(c.f, NULL, 0);
    assert_string_equal(cap_text(&c),
                        "no managed tables; register one with \"pgstrata create TABLE "
                        "--column COL --interval I\"\n");
    cap_free(&c);
    table_rows_free(rows, n);
}

static void check_table_json(const cJSON *t0)
{
    assert_string_equal(get_str(t0, "schema"), "public");
    assert_string_equal(get_str(t0, "table"), "events");
    assert_true(cJSON_IsTrue(get(t0, "exists")));
    assert_string_equal(get_str(t0, "column"), "created_at");
    assert_string_equal(get_str(t0, "key_type"), "timestamptz");
    assert_string_equal(get_str(t0, "interval"), "1 day");
    assert_string_equal(get_str(t0, "premake"), "4");
    assert_string_equal(get_str(t0, "retention"), "30 days");
    assert_string_equal(get_str(t0, "retention_mode"), "drop");
    assert_int_equal((int)get_num(t0, "partitions"), 35);
    assert_true(cJSON_IsTrue(get(t0, "has_default")));
    assert_int_equal((int)get_num(t0, "default_rows"), 12);
    assert_string_equal(get_str(t0, "oldest"), "2026-10-20 00:00:00+00");
    assert_string_equal(get_str(t0, "newest"), "2026-11-26 00:00:00+00");
    assert_string_equal(get_str(t0, "coverage_ahead"), "4 days 03:00:00");
    assert_int_equal((int)get_num(t0, "total_bytes"), 8192);
    assert_int_equal((int)get_num(t0, "pending_detach"), 1);
    assert_int_equal((int)get_num(t0, "detached"), 2);
    assert_string_equal(get_str(t0, "last_maintained"), "2026-11-21 20:55:01.5+00");
    assert_string_equal(get_str(t0, "last_analyzed"), "2026-11-22 03:00:12.123456+00");
}

static void test_tables_json(void **state)
{
    (void)state;
    size_t n;
    TableRow *rows = make_tables(&n);
    cJSON *j = report_tables_json(rows, n);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    const cJSON *tables = get(root, "tables");
    assert_int_equal(cJSON_GetArraySize(tables), 2);
    check_table_json(cJSON_GetArrayItem(tables, 0));

    const cJSON *t1 = cJSON_GetArrayItem(tables, 1);
    assert_string_equal(get_str(t1, "schema"), "Sales");
    assert_true(cJSON_IsFalse(get(t1, "exists")));
    assert_true(cJSON_IsFalse(get(t1, "has_default")));
    static const char *const nulls[] = {"retention",       "retention_mode", "default_rows",
                                        "oldest",          "newest",         "coverage_ahead",
                                        "last_maintained", "last_analyzed"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        assert_true(cJSON_IsNull(get(t1, nulls[i])));
    assert_int_equal((int)get_num(t1, "partitions"), 0);
    assert_int_equal(cJSON_GetArraySize(t1), 20);
    cJSON_Delete(root);

    j = report_tables_json(NULL, 0);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "{\"tables\":[]}");
    free(text);
    cJSON_Delete(j);
    table_rows_free(rows, n);
}

/* ---- ls: partitions ---- */

static PartRow *make_parts(size_t *n)
{
    PartRow *rows = xcalloc(4, sizeof(PartRow));
    PartRow *p = &rows[0];
    p->schema = xstrdup("public");
    p->name = xstrdup("events_p20261121");
    p->lower = xstrdup("2026-11-21 00:00:00+00");
    p->upper = xstrdup("2026-11-22 00:00:00+00");
    p->state = "attached";
    p->bytes = 1572864;
    p->est_rows = 12345.6;
    p->last_vacuum = xstrdup("2026-11-21 01:00:00+00");
    p->last_autovacuum = xstrdup("2026-11-22 02:30:00.5+00");
    p->last_analyze = xstrdup("2026-11-22 03:00:00+00");
    p->last_autoanalyze = xstrdup("2026-11-21 23:59:59+00");

    p = &rows[1];
    p->schema = xstrdup("public");
    p->name = xstrdup("events_p20261122");
    p->lower = xstrdup("2026-11-22 00:00:00+00");
    p->upper = xstrdup("2026-11-23 00:00:00+00");
    p->state = "attached";
    p->bytes = 8192;
    p->est_rows = -1;
    p->last_autoanalyze = xstrdup("2026-11-22 04:15:00+00");

    p = &rows[2];
    p->schema = xstrdup("public");
    p->name = xstrdup("events_default");
    p->state = "default";
    p->bytes = 0;
    p->est_rows = 0;

    p = &rows[3];
    p->schema = xstrdup("archive");
    p->name = xstrdup("events_p20261001");
    p->lower = xstrdup("2026-10-01 00:00:00+00");
    p->upper = xstrdup("2026-10-02 00:00:00+00");
    p->state = "detached (kept)";
    p->bytes = 3650722202LL;
    p->est_rows = 1e7;
    *n = 4;
    return rows;
}

/* The line of out that contains needle. */
static char *line_with(const char *out, const char *needle)
{
    const char *p = strstr(out, needle);
    if (!p)
        fail_msg("no line with [%s] in\n%s", needle, out);
    const char *start = p;
    while (start > out && start[-1] != '\n')
        start--;
    const char *end = strchr(p, '\n');
    return strndup(start, (size_t)(end - start));
}

static void test_parts_text(void **state)
{
    (void)state;
    size_t nt, np;
    TableRow *tables = make_tables(&nt);
    PartRow *parts = make_parts(&np);
    Capture c;
    cap_open(&c);
    report_parts_text(c.f, &tables[0], parts, np);
    const char *out = cap_text(&c);

    assert_contains(out, "table:      public.events\n");
    assert_contains(out, "key:        created_at timestamptz\n");
    assert_contains(out, "interval:   1 day\n");
    assert_contains(out, "premake:    4\n");
    assert_contains(out, "retention:  30 days (drop)\n");
    assert_contains(out, "ahead:      4 days 03:00:00\n");
    assert_contains(out, "partitions: 35, and a default partition\n");
    assert_contains(out, "total size: 8.0 kB\n");
    assert_contains(out, "\n\nname  ");

    char *l = line_with(out, "events_p20261121");
    assert_true(strncmp(l, "events_p20261121  ", 18) == 0); /* same schema: unqualified */
    assert_contains(l, "2026-11-21 00:00:00+00  2026-11-22 00:00:00+00  attached");
    assert_contains(l, "1.5 MB");
    assert_contains(l, " 12346  ");
    assert_contains(l, "2026-11-22 02:30  2026-11-22 03:00");
    free(l);

    l = line_with(out, "events_p20261122");
    assert_contains(l, "   ?  never             2026-11-22 04:15");
    free(l);

    l = line_with(out, "events_default");
    assert_contains(l, "  -  ");
    assert_contains(l, "default");
    assert_contains(l, "         0  never             never");
    free(l);

    l = line_with(out, "archive.events_p20261001");
    assert_contains(l, "detached (kept)");
    assert_contains(l, "3.4 GB");
    assert_contains(l, "10000000");
    free(l);

    /* Right-aligned sizes end in the same column. */
    const char *hdr = strstr(out, "\nname") + 1;
    size_t size_end = (size_t)(strstr(hdr, "size") - hdr) + 4;
    const char *names[] = {"events_p20261121", "events_p20261122", "events_default",
                           "archive.events_p20261001"};
    const char *sizes[] = {"1.5 MB", "8.0 kB", "0 B", "3.4 GB"};
    for (size_t i = 0; i < 4; i++) {
        l = line_with(out, names[i]);
        assert_int_equal((size_t)(strstr(l, sizes[i]) - l) + strlen(sizes[i]), size_end);
        free(l);
    }
    cap_free(&c);

    /* Missing table; no partitions. */
    cap_open(&c);
    report_parts_text(c.f, &tables[1], NULL, 0);
    out = cap_text(&c);
    assert_contains(out, "table:      \"Sales\".orders\n");
    assert_contains(out, "retention:  keep all\n");
    assert_contains(out, "ahead:      -\n");
    assert_contains(out, "partitions: (table missing)\n");
    assert_contains(out, "total size: 0 B\n");
    assert_contains(out, "\nno partitions\n");
    cap_free(&c);

    part_rows_free(parts, np);
    table_rows_free(tables, nt);
}

static void test_parts_json(void **state)
{
    (void)state;
    size_t nt, np;
    TableRow *tables = make_tables(&nt);
    PartRow *parts = make_parts(&np);
    cJSON *j = report_parts_json(&tables[0], parts, np);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    check_table_json(get(root, "table"));
    const cJSON *arr = get(root, "partitions");
    assert_int_equal(cJSON_GetArraySize(arr), 4);

    const cJSON *p0 = cJSON_GetArrayItem(arr, 0);
    assert_int_equal(cJSON_GetArraySize(p0), 11);
    assert_string_equal(get_str(p0, "schema"), "public");
    assert_string_equal(get_str(p0, "name"), "events_p20261121");
    assert_string_equal(get_str(p0, "lower"), "2026-11-21 00:00:00+00");
    assert_string_equal(get_str(p0, "upper"), "2026-11-22 00:00:00+00");
    assert_string_equal(get_str(p0, "state"), "attached");
    assert_int_equal((int64_t)get_num(p0, "bytes"), 1572864);
    assert_true(get_num(p0, "est_rows") > 12345.5 && get_num(p0, "est_rows") < 12345.7);
    assert_string_equal(get_str(p0, "last_vacuum"), "2026-11-21 01:00:00+00");
    assert_string_equal(get_str(p0, "last_autovacuum"), "2026-11-22 02:30:00.5+00");
    assert_string_equal(get_str(p0, "last_analyze"), "2026-11-22 03:00:00+00");
    assert_string_equal(get_str(p0, "last_autoanalyze"), "2026-11-21 23:59:59+00");

    const cJSON *p1 = cJSON_GetArrayItem(arr, 1);
    assert_true(cJSON_IsNull(get(p1, "est_rows")));
    assert_true(cJSON_IsNull(get(p1, "last_vacuum")));
    assert_true(cJSON_IsNull(get(p1, "last_analyze")));

    const cJSON *p2 = cJSON_GetArrayItem(arr, 2);
    assert_true(cJSON_IsNull(get(p2, "lower")));
    assert_true(cJSON_IsNull(get(p2, "upper")));
    assert_string_equal(get_str(p2, "state"), "default");
    assert_int_equal((int)get_num(p2, "est_rows"), 0);

    const cJSON *p3 = cJSON_GetArrayItem(arr, 3);
    assert_int_equal((int64_t)get_num(p3, "bytes"), 3650722202LL);
    cJSON_Delete(root);

    j = report_parts_json(NULL, NULL, 0);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "{\"table\":null,\"partitions\":[]}");
    free(text);
    cJSON_Delete(j);

    part_rows_free(parts, np);
    table_rows_free(tables, nt);
}

static void test_parts_10000(void **state)
{
    (void)state;
    size_t nt;
    TableRow *tables = make_tables(&nt);
    enum { N = 10000 };
    PartRow *parts = xcalloc(N, sizeof(PartRow));
    for (size_t i = 0; i < N; i++) {
        PartRow *p = &parts[i];
        p->schema = xstrdup(i % 100 == 0 ? "archive" : "public");
        p->name = xasprintf("events_p%06zu", i);
        p->lower = xasprintf("%zu", i * 1000);
        p->upper = xasprintf("%zu", (i + 1) * 1000);
        p->state = i % 100 == 0 ? "detached, awaiting drop" : "attached";
        p->bytes = (int64_t)i * 8192;
        p->est_rows = i % 7 == 0 ? -1 : (double)i * 10;
        p->last_analyze = i % 3 ? xstrdup("2026-11-22 03:00:00+00") : NULL;
        p->last_autoanalyze = i % 5 ? xstrdup("2026-11-22 04:00:00+00") : NULL;
    }
    Capture c;
    cap_open(&c);
    report_parts_text(c.f, &tables[0], parts, N);
    const char *out = cap_text(&c);
    /* 8 header lines, a blank line, the column header, N rows. */
    assert_int_equal(count_lines(out), 8 + 1 + 1 + N);
    assert_contains(out, "\narchive.events_p009900  ");
    assert_contains(out, "\nevents_p009999  ");
    cap_free(&c);

    cJSON *j = report_parts_json(&tables[0], parts, N);
    assert_int_equal(cJSON_GetArraySize(get(j, "partitions")), N);
    cJSON_Delete(j);

    part_rows_free(parts, N);
    table_rows_free(tables, nt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_table_utf8), cmocka_unit_test(test_text_table_control_chars),
        cmocka_unit_test(test_plan_text),       cmocka_unit_test(test_plan_empty),
        cmocka_unit_test(test_plan_json),       cmocka_unit_test(test_format_bytes),
        cmocka_unit_test(test_tables_text),     cmocka_unit_test(test_tables_json),
        cmocka_unit_test(test_parts_text),      cmocka_unit_test(test_parts_json),
        cmocka_unit_test(test_parts_10000),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
