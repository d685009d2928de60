/* Unit tests for report/doctor_html.c, report/doctor_timeline.c and
 * report/html.c: escaping, one element per partition, gap, overlap, default
 * and pending markers, lanes, the empty database, the file wrapper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/doctor.h"
#include "core/doctor_model.h"
#include "core/strbuf.h"
#include "report/doctor_html.h"
#include "report/doctor_timeline.h"
#include "report/html.h"

#define DAY   CIVIL_DAY
#define JAN_1 1767225600LL /* 2026-01-01 00:00:00 UTC */

/* ---- building models by hand ---- */

static DocTable *add_table(DocDatabase *db, const char *name, KeyType key)
{
    db->tables = xrealloc(db->tables, (db->ntables + 1) * sizeof(DocTable));
    DocTable *t = &db->tables[db->ntables++];
    memset(t, 0, sizeof(*t));
    t->schema = xstrdup("public");
    t->name = xstrdup(name);
    t->kind = DOC_DECLARATIVE;
    t->strategy = 'r';
    t->key_text = xstrdup("RANGE (t)");
    t->key_known = true;
    t->key_type = key;
    t->key_type_name = xstrdup(key == KEY_BIGINT ? "bigint" : "timestamp with time zone");
    t->analyzed_rows = -1;
    return t;
}

static DocPart *add_part(DocTable *t, const char *name, DocPartState state)
{
    t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(DocPart));
    DocPart *p = &t->parts[t->nparts++];
    memset(p, 0, sizeof(*p));
    p->schema = xstrdup("public");
    p->name = xstrdup(name);
    p->state = state;
    p->bytes = 8192;
    p->rows = 10;
    return p;
}

static DocPart *add_range(DocTable *t, const char *name, int64_t lo, int64_t hi)
{
    DocPart *p = add_part(t, name, DOC_PART_ATTACHED);
    p->bounded = true;
    p->lower = lo;
    p->upper = hi;
    return p;
}

/* n daily partitions from JAN_1 + first days, named <table>_dN */
static void add_days(DocTable *t, int first, int n)
{
    for (int d = first; d < first + n; d++) {
        char name[64];
        snprintf(name, sizeof(name), "%s_d%d", t->name, d);
        add_range(t, name, JAN_1 + d * DAY, JAN_1 + (d + 1) * DAY);
    }
}

static void add_finding(DoctorReport *r, const char *id, DoctorSeverity sev, const char *table,
                        const char *object, const char *evidence)
{
    doctor_add(r, id, sev, xstrdup(table), xstrdup_or_null(object), xstrdup(evidence),
               xstrdup("why"), xstrdup("fix"));
}

/* The page for db and r, as one string (the caller frees it). */
static char *page(const DocDatabase *db, const DoctorReport *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_true(report_doctor_html(f, db, r));
    fclose(f);
    return buf;
}

/* One pass by hand: strstr in a loop is quadratic under ASan, whose
 * interceptor measures the whole 10 MB haystack on every call. */
static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, m = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (*p == needle[0] && strncmp(p, needle, m) == 0)
            n++;
    return n;
}

/* The <section> of the table whose data-table is name, as a new string. */
static char *section_of(const char *html, const char *name)
{
    char *open = xasprintf("<section class=\"table\" id=\"t");
    char *attr = xasprintf("data-table=\"%s\"", name);
    const char *s = strstr(html, attr);
    assert_non_null(s);
    while (s > html && strncmp(s, open, strlen(open)) != 0)
        s--;
    const char *e = strstr(s, "</section>");
    assert_non_null(e);
    char *out = xmalloc((size_t)(e - s) + 1);
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    free(open);
    free(attr);
    return out;
}

static void init(DocDatabase *db, DoctorReport *r)
{
    memset(db, 0, sizeof(*db));
    memset(r, 0, sizeof(*r));
    db->server.now = JAN_1 + 10 * DAY + 3600;
    db->server.version_num = 150004;
}

static void fini(DocDatabase *db, DoctorReport *r)
{
    doc_database_free(db);
    doctor_report_free(r);
}

/* ---- tests ---- */

static void test_escape(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    html_text(f, "<a href='x'>\"&\"</a>\n\t\x01\x7f");
    html_text(f, NULL);
    fputc('|', f);
    html_text_clipped(f, "h\xc3\xa9llo", 2); /* é is two bytes, one code point */
    fputc('|', f);
    html_text_clipped(f, "<<", 2);
    fclose(f);
    assert_string_equal(buf, "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;\n\t&#xFFFD;"
                             "&#xFFFD;|h\xc3\xa9\xe2\x80\xa6|&lt;&lt;");
    free(buf);
}

static void test_hostile_names(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    DocTable *t = add_table(&db, "\"; DROP TABLE x; --", KEY_TIMESTAMPTZ);
    char long_name[64];
    memset(long_name, 'P', 63);
    long_name[63] = '\0';
    add_range(t, long_name, JAN_1, JAN_1 + DAY);
    add_range(t, "<script>alert(1)</script>", JAN_1 + DAY, JAN_1 + 2 * DAY);
    add_range(t, "new\nline", JAN_1 + 2 * DAY, JAN_1 + 3 * DAY)->group = xstrdup("a <b> & 'c'");
    DocTable *u = add_table(&db, "<img src=x onerror=alert(2)>", KEY_TIMESTAMPTZ);
    add_part(u, "</title><script>alert(3)</script>", DOC_PART_DEFAULT)->bound_text =
        xstrdup("DEFAULT </svg>");
    add_finding(&r, "default-partition", DOC_WARNING, "public.\"<img src=x onerror=alert(2)>\"",
                "public.\"</title><script>alert(3)</script>\"", "<b>evidence</b> & more");
    char *html = page(&db, &r);
    assert_int_equal(count(html, "<script>"), 1); /* the page's own */
    assert_int_equal(count(html, "<img"), 0);
    assert_int_equal(count(html, "</title><script>"), 0);
    assert_int_equal(count(html, "<b>evidence"), 0);
    assert_non_null(strstr(html, "&lt;b&gt;evidence&lt;/b&gt; &amp; more"));
    assert_non_null(
        strstr(html, "data-table=\"public.&quot;&quot;&quot;; DROP TABLE x; --&quot;\""));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, long_name));
    assert_non_null(strstr(html, "a &lt;b&gt; &amp; &#39;c&#39;"));
    assert_non_null(strstr(html, "<title>public.&quot;new\nline&quot;\n")); /* kept, quoted */
    assert_non_null(strstr(html, "DEFAULT &lt;/svg&gt;"));
    /* the finding found its partition by the escaped-free display name */
    assert_non_null(strstr(html, "data-part=\"p1-0\""));
    assert_non_null(strstr(html, "id=\"p1-0\""));
    free(html);
    fini(&db, &r);
}

static void test_counts_and_markers(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    DocTable *t = add_table(&db, "events", KEY_TIMESTAMPTZ);
    add_days(t, 0, 5);  /* Jan 1..5 */
    add_days(t, 6, 10); /* Jan 7..16: Jan 6 is missing */
    DocPart *p = add_range(t, "events_pending", JAN_1 + 16 * DAY, JAN_1 + 17 * DAY);
    p->state = DOC_PART_PENDING;
    add_part(t, "events_default", DOC_PART_DEFAULT)->bytes = 1 << 30;
    add_part(t, "events_old", DOC_PART_LEFTOVER);
    t->has_default_rows_count = true;
    t->default_rows = 30;
    DocTable *h = add_table(&db, "healthy", KEY_TIMESTAMPTZ);
    add_days(h, 0, 20);
    add_finding(&r, "default-has-rows", DOC_ERROR, "public.events", "public.events_default",
                "30 rows");
    add_finding(&r, "lonely", DOC_INFO, "public.elsewhere", NULL, "not in the model");
    doctor_sort(&r);
    char *html = page(&db, &r);
    const char *keep = getenv("DOCTOR_HTML_SAMPLE"); /* a page to look at in a browser */
    if (keep)
        assert_true(report_doctor_html_file(keep, &db, &r, &(char *){NULL}));
    char *ev = section_of(html, "public.events"), *ok = section_of(html, "public.healthy");
    assert_int_equal(count(ev, "class=\"part\""), 18);
    assert_non_null(strstr(ev, "data-parts=\"18\""));
    assert_int_equal(count(ok, "class=\"part\""), 20);
    assert_int_equal(count(html, "class=\"part\""), 38); /* the legend's samples are not parts */
    assert_int_equal(count(ev, "class=\"gap\""), 1);
    assert_non_null(
        strstr(ev, "gap: no partition holds 2026-01-06 \xe2\x86\x92 2026-01-07 (1 day)"));
    assert_int_equal(count(ev, "data-state=\"default\" id=\"p0-16\" data-rows=\"yes\""), 1);
    assert_int_equal(count(ev, "data-state=\"pending\""), 1);
    assert_int_equal(count(ev, "data-state=\"leftover\""), 1);
    assert_int_equal(count(ev, "class=\"now\""), 1);
    assert_int_equal(count(ok, "class=\"gap\""), 0);
    assert_int_equal(count(ev, "class=\"finding\""), 1);
    assert_int_equal(count(ok, "Nothing found."), 1);
    assert_non_null(strstr(html, "<h2>Other findings</h2>"));
    assert_non_null(strstr(html, "2 partitioned tables \xc2\xb7 38 partitions"));
    free(ev);
    free(ok);
    free(html);
    fini(&db, &r);
}

static void test_layout(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    /* an inheritance set by tenant: two lanes; tenant 2 has overlapping CHECKs */
    DocTable *t = add_table(&db, "rides", KEY_TIMESTAMPTZ);
    t->kind = DOC_INHERITANCE;
    for (int tenant = 1; tenant <= 2; tenant++)
        for (int m = 0; m < 3; m++) {
            char name[32], group[32];
            snprintf(name, sizeof(name), "rides_%d_%d", tenant, m);
            snprintf(group, sizeof(group), "tenant_id = %d", tenant);
            DocPart *p = add_range(t, name, JAN_1 + m * 31 * DAY, JAN_1 + (m + 1) * 31 * DAY);
            p->group = xstrdup(group);
        }
    t->parts[4].lower -= 2 * DAY; /* tenant 2's second month reaches into the first */
    TimelineLayout l;
    timeline_layout(t, db.server.now, &l);
    assert_int_equal(l.nlanes, 2);
    assert_int_equal(l.ngaps, 0);
    assert_int_equal(l.noverlaps, 1);
    assert_int_equal(l.marks[0].lane, 1);
    assert_int_equal(l.marks[0].from, JAN_1 + 29 * DAY);
    assert_int_equal(l.marks[0].to, JAN_1 + 31 * DAY);
    assert_true(l.now_covered);
    assert_int_equal(l.ntiers, 2); /* 31 days reads "1 month"; 33 days does not */
    assert_string_equal(l.tiers[0].label, "1 month");
    timeline_layout_free(&l);

    /* integer keys with MINVALUE and MAXVALUE ends */
    DocTable *n = add_table(&db, "ids", KEY_BIGINT);
    DocPart *lo = add_range(n, "ids_low", 0, 1000);
    lo->lower_unbounded = true;
    add_range(n, "ids_mid", 1000, 2000);
    add_range(n, "ids_high", 3000, 0)->upper_unbounded = true;
    timeline_layout(n, db.server.now, &l);
    assert_false(l.now_known);
    assert_int_equal(l.nlanes, 1);
    assert_int_equal(l.ngaps, 1);
    assert_true(l.dmin == 1000 && l.dmax == 3000);
    timeline_layout_free(&l);
    char *html = page(&db, &r);
    char *ids = section_of(html, "public.ids");
    assert_int_equal(count(ids, "data-clip=\"lower\""), 1);
    assert_int_equal(count(ids, "data-clip=\"upper\""), 1);
    assert_int_equal(count(ids, "MINVALUE \xe2\x86\x92 1000"), 1);
    assert_int_equal(count(ids, "class=\"now\""), 0);
    assert_int_equal(count(ids, "class=\"gap\""), 1);
    free(ids);
    free(html);
    fini(&db, &r);
}

static void test_span_text(void **state)
{
    (void)state;
    char b[32];
    timeline_span_text(true, 0, DAY, b);
    assert_string_equal(b, "1 day");
    timeline_span_text(true, 0, DAY + 3600, b); /* a day across a DST change */
    assert_string_equal(b, "1 day");
    timeline_span_text(true, 0, 28 * DAY, b);
    assert_string_equal(b, "1 month");
    timeline_span_text(true, 0, 365 * DAY, b);
    assert_string_equal(b, "1 year");
    timeline_span_text(true, 0, 6 * 3600, b);
    assert_string_equal(b, "6 hours");
    timeline_span_text(true, 0, 900, b);
    assert_string_equal(b, "15 minutes");
    timeline_span_text(false, INT64_MIN, INT64_MAX, b);
    assert_string_equal(b, "18446744073709551615");
}

static void test_empty(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    char *html = page(&db, &r);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(html, "No partitioned tables."));
    assert_int_equal(count(html, "class=\"part\""), 0);
    assert_int_equal(count(html, "<section"), 0);
    assert_non_null(strstr(html, "</html>\n"));
    free(html);
    /* a table without partitions */
    add_table(&db, "bare", KEY_TIMESTAMPTZ);
    html = page(&db, &r);
    assert_non_null(strstr(html, "no partitions"));
    assert_int_equal(count(html, "class=\"part\""), 0);
    free(html);
    fini(&db, &r);
}

static void test_list_and_unknown_keys(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    DocTable *t = add_table(&db, "by_region", KEY_BIGINT);
    t->strategy = 'l';
    t->key_known = false;
    for (int i = 0; i < 7; i++) {
        char name[32];
        snprintf(name, sizeof(name), "by_region_%d", i);
        add_part(t, name, DOC_PART_ATTACHED)->bound_text = xstrdup("FOR VALUES IN ('eu')");
    }
    char *html = page(&db, &r);
    assert_int_equal(count(html, "class=\"part\""), 7);
    assert_int_equal(count(html, "FOR VALUES IN (&#39;eu&#39;)"), 7);
    assert_non_null(strstr(html, "declarative, list"));
    free(html);
    fini(&db, &r);
}

/* 100 tables of 500 daily partitions: one element each, and quickly. */
static void test_many(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    for (int k = 0; k < 100; k++) {
        char name[32];
        snprintf(name, sizeof(name), "t%03d", k);
        DocTable *t = add_table(&db, name, KEY_TIMESTAMPTZ);
        add_days(t, -400, 500);
        add_finding(&r, "parent-not-analyzed", DOC_WARNING, "public.t000", NULL, "e");
    }
    clock_t c0 = clock();
    char *html = page(&db, &r);
    double s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    assert_int_equal(count(html, "class=\"part\""), 50000);
    print_message("50,000 partitions: %zu bytes in %.2f s\n", strlen(html), s);
    assert_true(s < 10); /* the sanitizer build is several times slower than release */
    free(html);
    fini(&db, &r);
}

static void test_file(void **state)
{
    (void)state;
    DocDatabase db;
    DoctorReport r;
    init(&db, &r);
    char *err = NULL;
    assert_false(report_doctor_html_file("/nonexistent-dir/x.html", &db, &r, &err));
    assert_string_equal(err, "could not write /nonexistent-dir/x.html: No such file or directory");
    free(err);
    err = NULL;
    char path[] = "/tmp/test_doctor_html.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(report_doctor_html_file(path, &db, &r, &err));
    assert_null(err);
    FILE *f = fopen(path, "r");
    char head[16] = "";
    assert_non_null(fgets(head, sizeof(head), f));
    assert_string_equal(head, "<!DOCTYPE html>");
    fclose(f);
    remove(path);
    if (fd >= 0)
        close(fd);
    fini(&db, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_counts_and_markers),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_span_text),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_list_and_unknown_keys),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
