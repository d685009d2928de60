/* migrate plan: the key's range, rows per new partition, the new layout and
 * the findings about it (see migrate_inspect_ctx.h).
 *
 * Estimates. Nothing here reads a big table in full. A source whose heap
 * (all its partitions or children together) is at most EXACT_MAX_BYTES is
 * small: its key range, NULL count and rows per new partition are counted
 * exactly (two scans of at most that much). A bigger source takes its key
 * range from an index on the key (min/max are index endpoints, NULLs an
 * index lookup) when every member has one, and its rows per new partition
 * from the planner statistics of the key column (pg_stats: the histogram
 * interpolated per partition, plus the most common values, scaled to
 * pg_class.reltuples). Without statistics, or without an index and
 * statistics for the range, it reads a block sample (TABLESAMPLE SYSTEM) of
 * about SAMPLE_PAGES pages. The finding "estimates" says which was used.
 *
 * PGSTRATA_MIGRATE_EXACT_BYTES in the environment replaces EXACT_MAX_BYTES
 * (tests use it to take the big-table paths on small tables). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/plan.h"
#include "db/migrate_inspect_ctx.h"

#define EXACT_MAX_BYTES (256.0 * 1024 * 1024)
#define SAMPLE_PAGES    2000.0
#define NULL_COUNT_MAX  1000000 /* NULL keys counted at most this far on a big table */
#define MANY_PARTITIONS 1000    /* a warning beyond this many */

static double exact_max_bytes(void)
{
    const char *v = getenv("PGSTRATA_MIGRATE_EXACT_BYTES");
    char *end = NULL;
    double d = v ? strtod(v, &end) : -1;
    return v && end && end != v && *end == '\0' && d >= 0 ? d : EXACT_MAX_BYTES;
}

static const char *key_civil_type(KeyType k)
{
    switch (k) {
    case KEY_TIMESTAMPTZ:
    case KEY_TIMESTAMP:
        return "pg_catalog.timestamp";
    case KEY_DATE:
        return "pg_catalog.date";
    case KEY_INTEGER:
    case KEY_BIGINT:
        break;
    }
    return "pg_catalog.int8";
}

static const char *key_sql_type(KeyType k)
{
    switch (k) {
    case KEY_TIMESTAMPTZ:
        return "pg_catalog.timestamptz";
    case KEY_TIMESTAMP:
        return "pg_catalog.timestamp";
    case KEY_DATE:
        return "pg_catalog.date";
    case KEY_INTEGER:
        return "pg_catalog.int4";
    case KEY_BIGINT:
        break;
    }
    return "pg_catalog.int8";
}

/* expr (a key value) in key space, as SQL: the civil time in the policy's
 * zone for timestamptz, bigint for integers. */
static void sb_civil(StrBuf *sb, const Ctx *x, const char *expr)
{
    sb_putc(sb, '(');
    sb_append(sb, expr);
    if (x->p->key_type == KEY_TIMESTAMPTZ) {
        sb_append(sb, " AT TIME ZONE ");
        sb_literal(sb, snapshot_zone(x->p));
    } else if (!key_type_is_time(x->p->key_type)) {
        sb_append(sb, ")::pg_catalog.int8");
        return;
    }
    sb_putc(sb, ')');
}

static char *quoted_column(const Ctx *x)
{
    StrBuf sb;
    sb_init(&sb);
    sb_ident(&sb, x->p->column);
    return sb.data;
}

static char *count_text(double n)
{
    return xasprintf("%.0f", n);
}

static bool read_stats(Ctx *x, char **err)
{
    const char *inherited = x->m->kind == SOURCE_PLAIN ? "false" : "true";
    const char *params[] = {x->p->schema, x->p->table, x->p->column, inherited};
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "WITH s AS (SELECT * FROM pg_catalog.pg_stats WHERE schemaname = $1 AND"
                   " tablename = $2 AND attname = $3 AND inherited = $4::boolean)"
                   " SELECT 'n', NULL, s.null_frac::pg_catalog.float8, 0 FROM s"
                   " UNION ALL SELECT 'h', ");
    sb_civil(&sb, x, "u.v");
    sb_printf(&sb,
              "::text, 0, u.o FROM s, pg_catalog.unnest(s.histogram_bounds::text::%s[])"
              " WITH ORDINALITY AS u(v, o) UNION ALL SELECT 'm', ",
              key_sql_type(x->p->key_type));
    sb_civil(&sb, x, "u.v");
    sb_printf(&sb,
              "::text, u.f::pg_catalog.float8, 0 FROM s, ROWS FROM (pg_catalog.unnest("
              "s.most_common_vals::text::%s[]), pg_catalog.unnest(s.most_common_freqs))"
              " AS u(v, f)"
              " ORDER BY 1, 4",
              key_sql_type(x->p->key_type));
    DbResult *r = db_query(x->c, sb.data, 4, params);
    sb_free(&sb);
    if (!r)
        return fail(x, err, "the statistics");
    for (int i = 0; i < db_rows(r); i++) {
        const char *kind = db_get(r, i, 0);
        int64_t v;
        if (kind[0] == 'n') {
            x->have_stats = true;
            x->stats.null_frac = db_get_double(r, i, 2, 0);
        } else if (key_parse(x->p->key_type, db_get(r, i, 1), &v)) {
            if (kind[0] == 'h')
                key_stats_add_bound(&x->stats, v);
            else
                key_stats_add_mcv(&x->stats, v, db_get_double(r, i, 2, 0));
        }
    }
    db_clear(r);
    return true;
}

static void sample_clause(StrBuf *sb, const Ctx *x)
{
    if (x->sample_pct < 100)
        sb_printf(sb, " TABLESAMPLE SYSTEM (%.6f) REPEATABLE (0)", x->sample_pct);
}

/* Sets the key range from printed min and max; false when they cannot be
 * read as keys (infinity, BC, ...): then no partition can take them. */
static void set_range(Ctx *x, const char *min, const char *max)
{
    MigrateInspection *m = x->m;
    if (!min || !max)
        return;
    if (key_parse(x->p->key_type, min, &m->min_key) &&
        key_parse(x->p->key_type, max, &m->max_key)) {
        m->has_keys = true;
        return;
    }
    x->range_unreadable = true;
    x->raw_min = xstrdup(min);
    x->raw_max = xstrdup(max);
}

/* "SELECT <mn>::text, <mx>::text", both in key space (sb_civil):
 * the start of both ways of reading the key range. */
static void sb_select_range(StrBuf *sb, Ctx *x, const char *mn, const char *mx)
{
    sb_append(sb, "SELECT ");
    sb_civil(sb, x, mn);
    sb_append(sb, "::text, ");
    sb_civil(sb, x, mx);
}

/* One scan (of a small table, or of a sample): min and max (when range),
 * rows, NULL rows. */
static bool scan_range(Ctx *x, bool range, char **err)
{
    char *col = quoted_column(x);
    StrBuf sb;
    sb_init(&sb);
    char *mn = xasprintf("pg_catalog.min(%s)", col), *mx = xasprintf("pg_catalog.max(%s)", col);
    sb_select_range(&sb, x, mn, mx);
    sb_printf(&sb,
              "::text, pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE %s IS NULL) FROM %s",
              col, x->rel);
    sample_clause(&sb, x);
    free(mn);
    free(mx);
    free(col);
    DbResult *r = db_query(x->c, sb.data, 0, NULL);
    sb_free(&sb);
    if (!r)
        return fail(x, err, "the key range");
    double scale = x->sample_pct < 100 ? 100.0 / x->sample_pct : 1;
    if (range) {
        set_range(x, db_get(r, 0, 0), db_get(r, 0, 1));
        x->nulls = db_get_double(r, 0, 3, 0) * scale;
        x->nulls_exact = x->sample_pct >= 100;
    }
    if (x->sample_pct >= 100 || !x->rows_known)
        x->m->rows = db_get_double(r, 0, 2, 0) * scale;
    db_clear(r);
    return true;
}

/* min and max from an index on the key, NULLs by an index lookup. */
static bool index_range(Ctx *x, char **err)
{
    char *col = quoted_column(x);
    StrBuf sb;
    sb_init(&sb);
    char *mn = xasprintf("(SELECT pg_catalog.min(%s) FROM %s)", col, x->rel);
    char *mx = xasprintf("(SELECT pg_catalog.max(%s) FROM %s)", col, x->rel);
    sb_select_range(&sb, x, mn, mx);
    sb_printf(&sb,
              "::text, (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM %s WHERE %s IS NULL"
              " LIMIT %d) s)",
              x->rel, col, NULL_COUNT_MAX);
    free(mn);
    free(mx);
    free(col);
    DbResult *r = db_query(x->c, sb.data, 0, NULL);
    sb_free(&sb);
    if (!r)
        return fail(x, err, "the key range");
    set_range(x, db_get(r, 0, 0), db_get(r, 0, 1));
    x->nulls = db_get_double(r, 0, 2, 0);
    x->nulls_exact = x->nulls < NULL_COUNT_MAX;
    db_clear(r);
    return true;
}

static bool read_range(Ctx *x, char **err)
{
    double pages = x->heap_bytes / 8192.0;
    double pct = 100.0 * SAMPLE_PAGES / (pages > 1 ? pages : 1);
    pct = pct > 100 ? 100 : pct < 0.0001 ? 0.0001 : pct;
    x->sample_pct = 100;
    if (x->heap_bytes <= exact_max_bytes()) {
        x->range_method = x->rows_method = EST_EXACT;
        return scan_range(x, true, err);
    }
    if (!read_stats(x, err))
        return false;
    x->rows_method = x->have_stats && x->rows_known ? EST_STATS : EST_SAMPLE;
    if (x->all_indexed) {
        x->range_method = EST_EXACT;
        if (!index_range(x, err))
            return false;
    } else if (x->rows_method == EST_STATS) {
        x->range_method = EST_STATS;
        x->m->has_keys = key_stats_range(&x->stats, &x->m->min_key, &x->m->max_key);
        x->nulls = x->stats.null_frac * x->m->rows;
    } else {
        x->range_method = EST_SAMPLE;
        x->sample_pct = pct;
        return scan_range(x, true, err);
    }
    if (x->rows_method == EST_SAMPLE) {
        x->sample_pct = pct;
        if (!x->rows_known) /* the row count too comes from the sample */
            return scan_range(x, false, err);
    }
    return true;
}

/* Rows per new partition: counted, or from a sample, with width_bucket over
 * the bounds; bucket 0 and n + 1 are outside every partition. */
static bool count_rows(Ctx *x, double *outside, char **err)
{
    MigrateInspection *m = x->m;
    char **bounds = xcalloc(m->nparts + 2, sizeof(char *));
    for (size_t i = 0; i <= m->nparts; i++) {
        char buf[48];
        key_format(x->p->key_type, i < m->nparts ? m->parts[i].lower : m->parts[i - 1].upper, buf);
        bounds[i] = xstrdup(buf);
    }
    char *arr = db_text_array((const char *const *)bounds, m->nparts + 1);
    strings_free(bounds, m->nparts + 1);
    char *col = quoted_column(x);
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "SELECT pg_catalog.width_bucket(");
    sb_civil(&sb, x, col);
    sb_printf(&sb, ", $1::%s[]), pg_catalog.count(*) FROM %s", key_civil_type(x->p->key_type),
              x->rel);
    sample_clause(&sb, x);
    sb_printf(&sb, " WHERE %s IS NOT NULL GROUP BY 1", col);
    free(col);
    const char *params[] = {arr};
    DbResult *r = db_query(x->c, sb.data, 1, params);
    sb_free(&sb);
    free(arr);
    if (!r)
        return fail(x, err, "rows per partition");
    double scale = x->sample_pct < 100 ? 100.0 / x->sample_pct : 1;
    for (int i = 0; i < db_rows(r); i++) {
        long long b = db_get_ll(r, i, 0, 0);
        double n = db_get_double(r, i, 1, 0) * scale;
        if (b >= 1 && (size_t)b <= m->nparts)
            m->parts[b - 1].est_rows = n;
        else
            *outside += n;
    }
    db_clear(r);
    return true;
}

static void layout_estimates(Ctx *x, double *outside, char **err, bool *ok)
{
    MigrateInspection *m = x->m;
    *ok = true;
    if (m->nparts == 0)
        return;
    if (x->rows_method == EST_STATS) {
        for (size_t i = 0; i < m->nparts; i++)
            m->parts[i].est_rows =
                m->rows * key_stats_fraction(&x->stats, m->parts[i].lower, m->parts[i].upper);
    } else {
        *ok = count_rows(x, outside, err);
    }
    double per_row = m->rows > 0 ? m->bytes / m->rows : 0;
    for (size_t i = 0; i < m->nparts; i++)
        m->parts[i].est_bytes = m->parts[i].est_rows * per_row;
}

static void note_estimates(Ctx *x)
{
    MigrateInspection *m = x->m;
    char *msg;
    if (x->rows_method == EST_EXACT)
        msg = xasprintf("row counts per partition are exact: %s is small enough to count", x->disp);
    else if (x->rows_method == EST_STATS)
        msg = xasprintf("row counts per partition are estimates from the planner statistics of "
                        "%s (last analyzed %s, scaled to %.0f rows); run ANALYZE %s first for "
                        "fresher ones",
                        x->col, x->analyzed_at ? x->analyzed_at : "?", m->rows, x->disp);
    else
        msg = xasprintf("row counts per partition are estimates from a sample of %.4g%% of the "
                        "pages of %s (it has no statistics of %s or no row count yet; ANALYZE "
                        "%s gives better ones)",
                        x->sample_pct, x->disp, x->col, x->disp);
    if (x->range_method != EST_EXACT && m->has_keys) {
        char *more = xasprintf("%s; the key range comes from the %s, so rows outside it may "
                               "exist",
                               msg, x->range_method == EST_STATS ? "statistics" : "sample");
        free(msg);
        msg = more;
    }
    add(x, SEV_INFO, "estimates", NULL, NULL, msg);
}

/* ---- the new layout ------------------------------------------------------ */

static bool build_layout(Ctx *x, char **err)
{
    MigrateInspection *m = x->m;
    const Policy *p = x->p;
    char iv[48];
    interval_format(&p->interval, iv);
    size_t n = migrate_layout(m, p, x->now);
    if (n > MIGRATE_MAX_PARTITIONS) {
        char a[48], b[48];
        key_format(p->key_type, m->min_key, a);
        key_format(p->key_type, m->max_key, b);
        char *pre = policy_premake_text(p);
        add(x, SEV_BLOCKER, "too-many-partitions", NULL, NULL,
            m->has_keys ? xasprintf("keys from %s to %s, with premake %s, need more than %d "
                                    "partitions of %s: choose a coarser --interval, or look for "
                                    "stray old or future values of %s",
                                    a, b, pre, MIGRATE_MAX_PARTITIONS, iv, x->col)
                        : xasprintf("premake %s needs more than %d partitions of %s: choose a "
                                    "smaller --premake or a coarser --interval",
                                    pre, MIGRATE_MAX_PARTITIONS, iv));
        free(pre);
        m->est_seconds = migrate_copy_seconds(m->rows, m->bytes, 0);
        return true;
    }
    double outside = 0;
    bool ok;
    layout_estimates(x, &outside, err, &ok);
    if (!ok)
        return false;
    if (n > MANY_PARTITIONS)
        add(x, SEV_WARNING, "many-partitions", NULL, NULL,
            xasprintf("the new layout has %zu partitions of %s: every query that cannot prune "
                      "by %s plans over all of them; a coarser --interval keeps the count down",
                      n, iv, x->col));
    double rows = 0, bytes = 0;
    for (size_t i = 0; i < m->nparts; i++) {
        rows += m->parts[i].est_rows;
        bytes += m->parts[i].est_bytes;
    }
    m->est_seconds = migrate_copy_seconds(rows, bytes, 0);
    /* rows no partition takes */
    if (x->range_unreadable) {
        add(x, SEV_BLOCKER, "rows-outside", x->col, NULL,
            xasprintf("%s holds values no partition bound can take (from %s to %s): find them "
                      "(e.g. WHERE NOT isfinite(%s)) and change or delete them first",
                      x->col, x->raw_min, x->raw_max, x->col));
    } else if (m->has_keys && m->nparts && m->max_key >= m->parts[m->nparts - 1].upper) {
        char a[48];
        key_format(p->key_type, m->parts[m->nparts - 1].upper, a);
        add(x, SEV_BLOCKER, "rows-outside", x->col, NULL,
            xasprintf("rows with %s from %s on fall past the last partition an integer key can "
                      "bound: change or delete them first, or use a bigint key",
                      x->col, a));
    } else if (outside >= 1) {
        add(x, SEV_BLOCKER, "rows-outside", x->col, NULL,
            xasprintf("%s%.0f rows have a %s outside every new partition: change or delete them "
                      "first",
                      x->rows_method == EST_EXACT ? "" : "about ", outside, x->col));
    }
    return true;
}

static void check_nulls(Ctx *x)
{
    MigrateInspection *m = x->m;
    if (!m->key_nullable)
        return;
    if (x->nulls >= 1 || (x->nulls > 0 && x->nulls_exact)) {
        char *n = count_text(x->nulls);
        const char *prefix = x->nulls_exact               ? ""
                             : x->nulls >= NULL_COUNT_MAX ? "at least "
                                                          : "about ";
        add(x, SEV_BLOCKER, "rows-outside", x->col, NULL,
            xasprintf("%s%s row%s no %s (NULL): no partition can hold %s, and the new table "
                      "declares %s NOT NULL; give %s a %s or delete %s first",
                      prefix, n, x->nulls == 1 && x->nulls_exact ? " has" : "s have", x->col,
                      x->nulls == 1 ? "it" : "them", x->col, x->nulls == 1 ? "it" : "them", x->col,
                      x->nulls == 1 ? "it" : "them"));
        free(n);
        return;
    }
    add(x, SEV_WARNING, "nullable-key", x->col, NULL,
        xasprintf("%s allows NULL but %s none: the new table declares it NOT NULL (a range "
                  "partition cannot hold a NULL key), so an insert without %s fails after "
                  "cutover",
                  x->col,
                  x->nulls_exact                 ? "holds"
                  : x->range_method == EST_STATS ? "the statistics show"
                                                 : "a sample shows",
                  x->col));
}

static void check_index(Ctx *x)
{
    if (x->all_indexed || x->heap_bytes <= exact_max_bytes())
        return;
    char size[32];
    snprintf(size, sizeof(size), "%.0f MB", x->heap_bytes / (1024.0 * 1024));
    add(x, SEV_WARNING, "key-not-indexed", x->col, NULL,
        xasprintf("%s (%s) has no index on %s%s: reading it by %s ranges scans the whole table "
                  "each time; CREATE INDEX CONCURRENTLY on %s (%s) first",
                  x->disp, size, x->col, x->m->kind == SOURCE_PLAIN ? "" : " in every member",
                  x->col, x->disp, x->col));
}

/* Names of the new layout held now by other relations in the schema. */
static bool check_names(Ctx *x, char **err)
{
    MigrateInspection *m = x->m;
    if (m->nparts == 0)
        return true;
    char **names = xcalloc(m->nparts + 1, sizeof(char *));
    for (size_t i = 0; i < m->nparts; i++)
        names[i] = m->parts[i].name;
    char *arr = db_text_array((const char *const *)names, m->nparts);
    free(names);
    const char *params[] = {x->nspoid, arr};
    DbResult *r = db_query(
        x->c,
        "SELECT c.oid::pg_catalog.regclass::text, (SELECT i.inhparent::pg_catalog.regclass::text"
        "  FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1)"
        " FROM pg_catalog.pg_class c WHERE c.relnamespace = $1::pg_catalog.oid AND"
        " c.relname = ANY ($2::pg_catalog.name[]) ORDER BY c.relname",
        2, params);
    free(arr);
    if (!r)
        return fail(x, err, "relation names");
    int n = db_rows(r);
    if (n > 0) {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < n && i < EXAMPLES; i++) {
            sb_printf(&sb, "%s%s", i ? ", " : "", db_get(r, i, 0));
            if (db_get(r, i, 1))
                sb_printf(&sb, " (under %s)", db_get(r, i, 1));
        }
        if (n > EXAMPLES)
            sb_append(&sb, ", ...");
        add(x, SEV_WARNING, "name-taken", NULL, NULL,
            xasprintf("%d name%s of the new layout %s taken now: %s; the new partitions can "
                      "have %s names only once the old relations are renamed or dropped",
                      n, n == 1 ? "" : "s", n == 1 ? "is" : "are", sb.data,
                      n == 1 ? "that name" : "these"));
        sb_free(&sb);
    }
    db_clear(r);
    return true;
}

/* ---- what the source is and how rows are matched ------------------------- */

static void check_place(Ctx *x)
{
    if (x->relispartition)
        add(x, SEV_BLOCKER, "partition", x->disp, NULL,
            xasprintf("%s is a partition of %s: re-lay out %s instead", x->disp,
                      x->parent ? x->parent : "another table", x->parent ? x->parent : "it"));
    else if (x->parent)
        add(x, SEV_BLOCKER, "partition", x->disp, NULL,
            xasprintf("%s is a child of %s by inheritance: re-lay out %s instead", x->disp,
                      x->parent, x->parent));
    if (!x->may_own)
        add(x, SEV_BLOCKER, "not-owner", x->disp, NULL,
            xasprintf("%s is owned by %s, and you (%s) are not a member of that role: migrate "
                      "start adds triggers to it and renames it; run it as %s",
                      x->disp, x->owner, x->user, x->owner));
}

bool inspect_layout(Ctx *x, char **err)
{
    check_place(x);
    if (!read_range(x, err) || !build_layout(x, err))
        return false;
    check_nulls(x);
    check_index(x);
    note_estimates(x);
    return check_names(x, err);
}
