/* migrate plan's catalog reading: see migrate_inspect.h.
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
#include "db/migrate_inspect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/plan.h"
#include "core/strbuf.h"

#define EXACT_MAX_BYTES (256.0 * 1024 * 1024)
#define SAMPLE_PAGES    2000.0
#define NULL_COUNT_MAX  1000000 /* NULL keys counted at most this far on a big table */
#define MANY_PARTITIONS 1000    /* a warning beyond this many */
#define EXAMPLES        3       /* names listed in a message before "..." */

typedef enum Method {
    EST_EXACT,  /* counted */
    EST_STATS,  /* pg_stats */
    EST_SAMPLE, /* a block sample */
} Method;

typedef struct Ctx {
    Conn *c;
    const Policy *p;
    MigrateInspection *m;
    char oid[16];
    char nspoid[16];
    char attnum[8];
    char *members; /* oid[] literal of the source and all its descendants */
    char *rel;     /* the source as SQL, quoted */
    char *disp;    /* the source as displayed */
    char *col;     /* the key column as displayed */
    char *owner;
    char *user;
    bool may_own;
    char replident;
    bool rls, rls_forced;
    bool relispartition;
    char *parent; /* displayed, when the source is a partition or a child */
    char *partkeydef;
    bool have_policy_table;
    char *analyzed_at;
    int64_t now;
    /* members */
    double heap_bytes;
    bool rows_known;
    bool all_indexed;
    size_t nchildren_direct;
    /* key data */
    KeyStats stats;
    bool have_stats;
    Method range_method, rows_method;
    double sample_pct;
    double nulls; /* rows with a NULL key (estimated unless exact) */
    bool nulls_exact;
    bool range_unreadable;
    char *raw_min, *raw_max; /* as the server printed them */
} Ctx;

static double exact_max_bytes(void)
{
    const char *v = getenv("PGSTRATA_MIGRATE_EXACT_BYTES");
    char *end = NULL;
    double d = v ? strtod(v, &end) : -1;
    return v && end && end != v && *end == '\0' && d >= 0 ? d : EXACT_MAX_BYTES;
}

static bool fail(Ctx *x, char **err, const char *what)
{
    *err = xasprintf("could not read %s of %s: %s", what, x->disp, conn_error(x->c));
    return false;
}

static void add(Ctx *x, Severity sev, const char *what, const char *object, const char *accept,
                char *message)
{
    finding_add(x->m, sev, what, object, message, accept);
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

/* ---- the source table ---------------------------------------------------- */

static const char *relkind_what(const char *k)
{
    switch (k[0]) {
    case 'v':
        return "a view";
    case 'm':
        return "a materialized view";
    case 'f':
        return "a foreign table";
    case 'i':
    case 'I':
        return "an index";
    case 'S':
        return "a sequence";
    case 'c':
        return "a composite type";
    default:
        return "not a table";
    }
}

bool migrate_source_key(Conn *c, const char *schema, const char *table, const char *column,
                        KeyType *key, char **err)
{
    const char *params[] = {schema, table, column};
    DbResult *r =
        db_query(c,
                 "SELECT c.relkind::text, a.attnum,"
                 " pg_catalog.format_type(a.atttypid, a.atttypmod)"
                 " FROM pg_catalog.pg_namespace n"
                 " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = $2"
                 " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND"
                 "  a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped"
                 " WHERE n.nspname = $1",
                 3, params);
    if (!r) {
        *err = xasprintf("could not describe the table: %s", conn_error(c));
        return false;
    }
    char *disp = ident_display(schema, table);
    char *col = ident_display(NULL, column);
    *err = NULL;
    if (db_rows(r) == 0)
        *err = xasprintf("table %s does not exist", disp);
    else if (strcmp(db_get(r, 0, 0), "r") != 0 && strcmp(db_get(r, 0, 0), "p") != 0)
        *err = xasprintf("%s is %s, not a table", disp, relkind_what(db_get(r, 0, 0)));
    else if (!db_get(r, 0, 1))
        *err = xasprintf("column %s of %s does not exist", col, disp);
    else if (!key_type_from_pg(db_get(r, 0, 2), key))
        *err = xasprintf("column %s of %s is of type %s; pgstrata supports timestamptz, "
                         "timestamp, date, integer and bigint keys",
                         col, disp, db_get(r, 0, 2));
    free(disp);
    free(col);
    db_clear(r);
    return *err == NULL;
}

static bool read_source(Ctx *x, const char *now, char **err)
{
    const Policy *p = x->p;
    const char *params[] = {p->schema, p->table, p->column, now, snapshot_zone(p)};
    DbResult *r = db_query(
        x->c,
        "SELECT c.oid, c.relkind::text, c.relispartition,"
        " (SELECT i.inhparent::pg_catalog.regclass::text FROM pg_catalog.pg_inherits i"
        "  WHERE i.inhrelid = c.oid LIMIT 1),"
        " c.relrowsecurity, c.relforcerowsecurity, pg_catalog.pg_get_userbyid(c.relowner),"
        " pg_catalog.pg_has_role(c.relowner, 'USAGE'), c.relreplident::text,"
        " a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        " (COALESCE($4::pg_catalog.timestamptz, pg_catalog.now()) AT TIME ZONE $5)::text,"
        " CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,"
        " pg_catalog.to_regclass('pgstrata.policy') IS NOT NULL, c.relnamespace,"
        " pg_catalog.quote_ident(a.attname), c.oid::pg_catalog.regclass::text, current_user,"
        " pg_catalog.to_char(GREATEST(pg_catalog.pg_stat_get_last_analyze_time(c.oid),"
        "  pg_catalog.pg_stat_get_last_autoanalyze_time(c.oid)) AT TIME ZONE 'UTC',"
        "  'YYYY-MM-DD HH24:MI \"UTC\"')"
        " FROM pg_catalog.pg_namespace n"
        " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = $2"
        " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND"
        "  a.attnum > 0 AND NOT a.attisdropped"
        " WHERE n.nspname = $1",
        5, params);
    if (!r)
        return fail(x, err, "the table");
    if (db_rows(r) == 0 || !db_get(r, 0, 9)) {
        char *col = ident_display(NULL, p->column);
        *err = db_rows(r) == 0 ? xasprintf("table %s does not exist", x->disp)
                               : xasprintf("column %s of %s does not exist", col, x->disp);
        free(col);
        db_clear(r);
        return false;
    }
    snprintf(x->oid, sizeof(x->oid), "%s", db_get(r, 0, 0));
    const char *kind = db_get(r, 0, 1);
    x->relispartition = db_get_bool(r, 0, 2);
    x->parent = xstrdup_or_null(db_get(r, 0, 3));
    x->rls = db_get_bool(r, 0, 4);
    x->rls_forced = db_get_bool(r, 0, 5);
    x->owner = xstrdup(db_get(r, 0, 6));
    x->may_own = db_get_bool(r, 0, 7);
    x->replident = db_get(r, 0, 8)[0];
    snprintf(x->attnum, sizeof(x->attnum), "%s", db_get(r, 0, 9));
    x->m->key_nullable = !db_get_bool(r, 0, 11);
    bool clock_ok = key_parse(KEY_TIMESTAMP, db_get(r, 0, 12), &x->now);
    x->partkeydef = xstrdup_or_null(db_get(r, 0, 13));
    x->have_policy_table = db_get_bool(r, 0, 14);
    snprintf(x->nspoid, sizeof(x->nspoid), "%s", db_get(r, 0, 15));
    x->col = xstrdup(db_get(r, 0, 16));
    free(x->disp);
    x->disp = xstrdup(db_get(r, 0, 17));
    x->user = xstrdup(db_get(r, 0, 18));
    x->analyzed_at = xstrdup_or_null(db_get(r, 0, 19));
    x->m->kind = strcmp(kind, "p") == 0 ? SOURCE_PARTITIONED : SOURCE_PLAIN;
    if (!clock_ok)
        *err = xasprintf("could not read the clock: %s", db_get(r, 0, 12));
    db_clear(r);
    return clock_ok;
}

/* The source and every relation under it (partitions, children, theirs). */
static bool read_members(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->p->column};
    DbResult *r = db_query(
        x->c,
        "WITH RECURSIVE t(oid, depth) AS (SELECT $1::pg_catalog.oid, 0"
        "  UNION ALL SELECT i.inhrelid, t.depth + 1 FROM pg_catalog.pg_inherits i"
        "  JOIN t ON i.inhparent = t.oid)"
        " SELECT c.oid, c.oid::pg_catalog.regclass::text, c.relkind::text, t.depth,"
        " COALESCE(pg_catalog.pg_total_relation_size(c.oid), 0),"
        " COALESCE(pg_catalog.pg_table_size(c.oid), 0), c.reltuples, c.relpages,"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_index x"
        "  JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        "  JOIN pg_catalog.pg_am am ON am.oid = ic.relam"
        "  JOIN pg_catalog.pg_attribute ka ON ka.attrelid = x.indrelid AND ka.attnum = x.indkey[0]"
        "  WHERE x.indrelid = c.oid AND am.amname = 'btree' AND x.indisvalid AND"
        "  x.indpred IS NULL AND ka.attname = $2),"
        " (SELECT pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(k.oid), ' AND '"
        "  ORDER BY k.conname) FROM pg_catalog.pg_constraint k"
        "  WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.conislocal),"
        " CASE WHEN t.depth > 0 THEN (SELECT pg_catalog.string_agg("
        "  pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)"
        "  FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND"
        "  NOT a.attisdropped AND a.attinhcount = 0) END"
        " FROM t JOIN pg_catalog.pg_class c ON c.oid = t.oid"
        " ORDER BY t.depth, c.oid::pg_catalog.regclass::text",
        2, params);
    if (!r)
        return fail(x, err, "the partitions or children");
    MigrateInspection *m = x->m;
    StrBuf oids, examples;
    sb_init(&oids);
    sb_init(&examples);
    sb_putc(&oids, '{');
    x->rows_known = true;
    x->all_indexed = true;
    for (int i = 0; i < db_rows(r); i++) {
        if (i > 0)
            sb_putc(&oids, ',');
        sb_append(&oids, db_get(r, i, 0));
        const char *name = db_get(r, i, 1);
        int depth = (int)db_get_ll(r, i, 3, 0);
        double heap = db_get_double(r, i, 5, 0), tuples = db_get_double(r, i, 6, -1);
        bool storage = strcmp(db_get(r, i, 2), "r") == 0;
        m->bytes += db_get_double(r, i, 4, 0);
        if (storage) {
            x->heap_bytes += heap;
            if (tuples < 0 || (tuples == 0 && db_get_ll(r, i, 7, 0) == 0 && heap > 0))
                x->rows_known = false;
            else
                m->rows += tuples;
            if (heap > 0 && !db_get_bool(r, i, 8))
                x->all_indexed = false;
        }
        if (depth == 1) {
            strlist_add(&m->children, xstrdup(name));
            if (x->nchildren_direct++ < EXAMPLES && db_get(r, i, 9))
                sb_printf(&examples, "%s%s %s", examples.len ? ", " : "", name, db_get(r, i, 9));
        }
        const char *extra = db_get(r, i, 10);
        if (depth > 0 && extra && x->m->kind != SOURCE_PARTITIONED) {
            add(x, SEV_BLOCKER, "child-columns", name, "child-columns",
                xasprintf("%s has columns its parent lacks (%s): the new table has only the "
                          "parent's columns, so their values would not be copied",
                          name, extra));
        }
    }
    sb_putc(&oids, '}');
    x->members = sb_steal(&oids);
    sb_free(&oids);
    size_t n = m->children.n;
    if (m->kind == SOURCE_PLAIN && n > 0)
        m->kind = SOURCE_INHERITANCE;
    if (m->kind == SOURCE_PARTITIONED) {
        add(x, SEV_INFO, "partitions", NULL, NULL,
            xasprintf("%s is partitioned now by %s into %zu partition%s%s%s: the new layout "
                      "replaces them (they stay with the old table)",
                      x->disp, x->partkeydef ? x->partkeydef : "?", n, n == 1 ? "" : "s",
                      n ? ", e.g. " : "", n ? m->children.items[0] : ""));
    } else if (m->kind == SOURCE_INHERITANCE) {
        add(x, SEV_INFO, "children", NULL, NULL,
            xasprintf("%s has %zu child table%s by inheritance%s%s%s: their rows are copied into "
                      "the new layout (the children stay with the old table)",
                      x->disp, n, n == 1 ? "" : "s", examples.len ? " (" : "",
                      examples.len ? examples.data : "",
                      examples.len ? (n > EXAMPLES ? ", ...)" : ")") : ""));
    }
    sb_free(&examples);
    db_clear(r);
    return true;
}

/* ---- key range, NULLs, rows per partition -------------------------------- */

/* pg_stats of the key column: the inherited row for a parent. */
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

/* One scan (of a small table, or of a sample): min and max (when range),
 * rows, NULL rows. */
static bool scan_range(Ctx *x, bool range, char **err)
{
    char *col = quoted_column(x);
    StrBuf sb;
    sb_init(&sb);
    char *mn = xasprintf("pg_catalog.min(%s)", col), *mx = xasprintf("pg_catalog.max(%s)", col);
    sb_append(&sb, "SELECT ");
    sb_civil(&sb, x, mn);
    sb_append(&sb, "::text, ");
    sb_civil(&sb, x, mx);
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
    sb_append(&sb, "SELECT ");
    sb_civil(&sb, x, mn);
    sb_append(&sb, "::text, ");
    sb_civil(&sb, x, mx);
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

static bool read_identity(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(
        x->c,
        "SELECT x.indisprimary, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
        " ic.relname"
        " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        " CROSS JOIN LATERAL pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY"
        "  AS u(n, ord)"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n"
        " WHERE x.indrelid = $1::pg_catalog.oid AND (x.indisprimary OR x.indisreplident) AND"
        "  u.ord <= x.indnkeyatts"
        " ORDER BY x.indisprimary DESC, x.indexrelid, u.ord",
        1, params);
    if (!r)
        return fail(x, err, "the primary key");
    MigrateInspection *m = x->m;
    for (int i = 0; i < db_rows(r); i++) {
        if (strcmp(db_get(r, i, 3), db_get(r, 0, 3)) != 0)
            break; /* only the first index: the primary key, else the replica identity */
        strlist_add(&m->identity_columns, xstrdup(db_get(r, i, 1)));
        strlist_add(&m->identity_types, xstrdup(db_get(r, i, 2)));
    }
    db_clear(r);
    if (m->identity_columns.n == 0)
        add(x, SEV_BLOCKER, "no-identity", x->disp, NULL,
            xasprintf("%s has no primary key and no replica identity index: updates and deletes "
                      "made while rows are copied could not be matched to rows of the new "
                      "table; add a primary key (or REPLICA IDENTITY USING INDEX on a unique "
                      "index of NOT NULL columns) first",
                      x->disp));
    return true;
}

static bool read_uniques(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->attnum};
    DbResult *r = db_query(
        x->c,
        "SELECT ic.relname, k.conname, COALESCE(k.contype::text, ''), x.indexprs IS NOT NULL,"
        " x.indpred IS NOT NULL, u.cols, u.has_key, pg_catalog.pg_get_indexdef(x.indexrelid)"
        " FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid"
        " LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = x.indexrelid AND"
        "  k.conrelid = x.indrelid AND k.contype IN ('p', 'u')"
        " CROSS JOIN LATERAL (SELECT pg_catalog.string_agg(CASE WHEN v.n = 0 THEN 'expression'"
        "  ELSE pg_catalog.quote_ident(a.attname) END, ', ' ORDER BY v.ord),"
        "  COALESCE(pg_catalog.bool_or(v.n = $2::pg_catalog.int2), false)"
        "  FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY AS v(n, ord)"
        "  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = v.n"
        "  WHERE v.ord <= x.indnkeyatts) AS u(cols, has_key)"
        " WHERE x.indrelid = $1::pg_catalog.oid AND x.indisunique"
        " ORDER BY x.indisprimary DESC, ic.relname",
        2, params);
    if (!r)
        return fail(x, err, "the unique indexes");
    for (int i = 0; i < db_rows(r); i++) {
        const char *index = db_get(r, i, 0), *con = db_get(r, i, 1), *type = db_get(r, i, 2);
        const char *cols = db_get(r, i, 5);
        char *object = xasprintf("%s (%s)", con ? con : index,
                                 strcmp(type, "p") == 0   ? "primary key"
                                 : strcmp(type, "u") == 0 ? "unique constraint"
                                                          : "unique index");
        if (db_get_bool(r, i, 3) || db_get_bool(r, i, 4)) {
            add(x, SEV_BLOCKER, "unique-expression", object, NULL,
                xasprintf("%s is %s: a partitioned table cannot enforce it (its unique indexes "
                          "are on plain columns, %s among them); drop it or replace it first",
                          db_get(r, i, 7),
                          db_get_bool(r, i, 3) ? "on an expression" : "partial (it has WHERE)",
                          x->col));
        } else if (!db_get_bool(r, i, 6)) {
            bool many = strchr(cols, ',') != NULL;
            add(x, SEV_BLOCKER, "unique-scope", object, "unique-scope",
                xasprintf("unique (%s) becomes unique (%s, %s): after the re-layout, two rows "
                          "may share the same %s%s%s if their %s differ; the database no longer "
                          "enforces %s%s%s alone",
                          cols, cols, x->col, many ? "(" : "", cols, many ? ")" : "", x->col,
                          many ? "(" : "", cols, many ? ")" : ""));
        }
        free(object);
    }
    db_clear(r);
    return true;
}

static bool read_exclusions(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(x->c,
                           "SELECT k.conname, pg_catalog.pg_get_constraintdef(k.oid)"
                           " FROM pg_catalog.pg_constraint k WHERE k.conrelid = $1::pg_catalog.oid"
                           " AND k.contype = 'x' ORDER BY 1",
                           1, params);
    if (!r)
        return fail(x, err, "the exclusion constraints");
    for (int i = 0; i < db_rows(r); i++)
        add(x, SEV_BLOCKER, "exclusion", db_get(r, i, 0), NULL,
            xasprintf("exclusion constraint %s (%s): pgstrata cannot carry it to a partitioned "
                      "table; drop it first (and enforce it another way)",
                      db_get(r, i, 0), db_get(r, i, 1)));
    db_clear(r);
    return true;
}

/* ---- what depends on the source ------------------------------------------ */

static bool read_foreign_keys(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->members};
    DbResult *r = db_query(
        x->c,
        "SELECT k.conname, k.conrelid::pg_catalog.regclass::text,"
        " pg_catalog.pg_get_constraintdef(k.oid), k.confrelid = ANY ($2::pg_catalog.oid[]),"
        " k.confrelid = $1::pg_catalog.oid"
        " FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.conparentid = 0 AND"
        " (k.confrelid = ANY ($2::pg_catalog.oid[]) OR k.conrelid = $1::pg_catalog.oid)"
        " ORDER BY 4 DESC, 2, 1",
        2, params);
    if (!r)
        return fail(x, err, "the foreign keys");
    for (int i = 0; i < db_rows(r); i++) {
        const char *name = db_get(r, i, 0), *table = db_get(r, i, 1), *def = db_get(r, i, 2);
        char *object = xasprintf("%s on %s", name, table);
        if (db_get_bool(r, i, 3))
            add(x, SEV_BLOCKER, "foreign-key-in", object, "foreign-keys-in",
                xasprintf("%s %s%s: it would be dropped at cutover and must be recreated by "
                          "hand, since a foreign key to a partitioned table needs a unique key "
                          "including the partition key (%s)",
                          table, def,
                          db_get_bool(r, i, 4) ? "" : " (a partition or child of the source)",
                          x->col));
        else
            add(x, SEV_INFO, "foreign-key-out", object, NULL,
                xasprintf("%s: recreated on the new table", def));
        free(object);
    }
    db_clear(r);
    return true;
}

static bool read_views(Ctx *x, char **err)
{
    const char *params[] = {x->oid, x->members};
    DbResult *r =
        db_query(x->c,
                 "SELECT v.oid::pg_catalog.regclass::text, v.relkind::text,"
                 " pg_catalog.bool_or(d.refobjid = $1::pg_catalog.oid)"
                 " FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid"
                 " JOIN pg_catalog.pg_class v ON v.oid = w.ev_class"
                 " WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND"
                 "  d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
                 "  d.refobjid = ANY ($2::pg_catalog.oid[]) AND w.ev_class <> d.refobjid AND"
                 "  v.relkind IN ('v', 'm')"
                 " GROUP BY v.oid, v.relkind ORDER BY 1",
                 2, params);
    if (!r)
        return fail(x, err, "the views");
    for (int i = 0; i < db_rows(r); i++) {
        const char *v = db_get(r, i, 0);
        bool mat = db_get(r, i, 1)[0] == 'm';
        if (db_get_bool(r, i, 2))
            add(x, SEV_WARNING, "view", v, NULL,
                xasprintf("%s %s reads %s: recreated on the new table at cutover%s",
                          mat ? "materialized view" : "view", v, x->disp,
                          mat ? " (and refreshed: it reads the whole new table)" : ""));
        else
            add(x, SEV_WARNING, "view", v, NULL,
                xasprintf("%s %s reads a partition or child of %s directly: it keeps reading "
                          "the old one, which stays with the old table",
                          mat ? "materialized view" : "view", v, x->disp));
    }
    db_clear(r);
    return true;
}

/* A regular expression matching the table's name as a word (case-insensitive
 * with ~*): every ASCII character but letters, digits and '_' escaped. */
static char *name_regex(const char *name)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "(^|[^[:alnum:]_$])");
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        bool word = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    (*s >= '0' && *s <= '9') || *s == '_' || *s >= 0x80;
        if (!word)
            sb_putc(&sb, '\\');
        sb_putc(&sb, (char)*s);
    }
    sb_append(&sb, "($|[^[:alnum:]_$])");
    return sb.data;
}

static bool read_functions(Ctx *x, char **err)
{
    char *re = name_regex(x->p->table);
    const char *params[] = {re, x->members};
    DbResult *r = db_query(
        x->c,
        "SELECT p.oid::pg_catalog.regprocedure::text, d.bound"
        " FROM pg_catalog.pg_proc p"
        " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_catalog.pg_language l ON l.oid = p.prolang"
        " CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
        "  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND"
        "  d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
        "  d.refobjid = ANY ($2::pg_catalog.oid[]))) AS d(bound)"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstrata') AND"
        "  n.nspname NOT LIKE 'pg\\_%' AND l.lanname NOT IN ('c', 'internal') AND"
        "  (p.prosrc ~* $1 OR d.bound)"
        " ORDER BY 1",
        2, params);
    free(re);
    if (!r)
        return fail(x, err, "the functions");
    for (int i = 0; i < db_rows(r); i++) {
        const char *f = db_get(r, i, 0);
        if (db_get_bool(r, i, 1))
            add(x, SEV_WARNING, "function", f, NULL,
                xasprintf("%s has a SQL-standard body bound to %s itself, not to its name: after "
                          "cutover it still reads the old table; recreate it then",
                          f, x->disp));
        else
            add(x, SEV_WARNING, "function", f, NULL,
                xasprintf("%s mentions %s in its body: it refers to the table by name, so after "
                          "cutover it uses the new table; check it",
                          f, x->p->table));
    }
    db_clear(r);
    return true;
}

static bool read_publications(Ctx *x, char **err)
{
    int v = conn_server_version(x->c);
    const char *via = v >= 130000 ? "p.pubviaroot" : "false";
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb,
              "SELECT p.pubname, %s, 'table', r.prrelid = $1::pg_catalog.oid"
              " FROM pg_catalog.pg_publication p"
              " JOIN pg_catalog.pg_publication_rel r ON r.prpubid = p.oid"
              " WHERE r.prrelid = ANY ($2::pg_catalog.oid[])"
              " UNION ALL SELECT p.pubname, %s, 'all', true FROM pg_catalog.pg_publication p"
              " WHERE p.puballtables",
              via, via);
    if (v >= 150000)
        sb_printf(&sb,
                  " UNION ALL SELECT p.pubname, %s, 'schema', true"
                  " FROM pg_catalog.pg_publication p"
                  " JOIN pg_catalog.pg_publication_namespace s ON s.pnpubid = p.oid"
                  " WHERE s.pnnspid = $3::pg_catalog.oid",
                  via);
    sb_append(&sb, " ORDER BY 1");
    const char *params[] = {x->oid, x->members, x->nspoid};
    DbResult *r = db_query(x->c, sb.data, v >= 150000 ? 3 : 2, params);
    sb_free(&sb);
    if (!r)
        return fail(x, err, "the publications");
    for (int i = 0; i < db_rows(r); i++) {
        const char *pub = db_get(r, i, 0), *how = db_get(r, i, 2);
        char *name = ident_display(NULL, pub);
        char *what =
            strcmp(how, "all") == 0 ? xasprintf("publication %s is FOR ALL TABLES", name)
            : strcmp(how, "schema") == 0
                ? xasprintf("publication %s publishes the schema of %s", name, x->disp)
            : db_get_bool(r, i, 3)
                ? xasprintf("publication %s publishes %s", name, x->disp)
                : xasprintf("publication %s publishes a partition or child of %s", name, x->disp);
        add(x, SEV_WARNING, "publication", pub, NULL,
            xasprintf("%s: membership is carried over at cutover%s%s%s", what,
                      db_get_bool(r, i, 1)
                          ? ""
                          : "; with publish_via_partition_root off, subscribers see changes "
                            "under the partitions' names (ALTER PUBLICATION ",
                      db_get_bool(r, i, 1) ? "" : name,
                      db_get_bool(r, i, 1) ? "" : " SET (publish_via_partition_root = true))"));
        free(what);
        free(name);
    }
    db_clear(r);
    return true;
}

#define TRIGGER_ROW    (1 << 0)
#define TRIGGER_BEFORE (1 << 1)
#define TRIGGER_INSERT (1 << 2)

static bool read_triggers(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(x->c,
                           "SELECT t.tgname, t.tgtype::pg_catalog.int4, t.tgenabled::text,"
                           " pg_catalog.pg_get_triggerdef(t.oid)"
                           " FROM pg_catalog.pg_trigger t"
                           " WHERE t.tgrelid = $1::pg_catalog.oid AND NOT t.tgisinternal"
                           " ORDER BY 1",
                           1, params);
    if (!r)
        return fail(x, err, "the triggers");
    for (int i = 0; i < db_rows(r); i++) {
        const char *name = db_get(r, i, 0), *def = db_get(r, i, 3);
        long long type = db_get_ll(r, i, 1, 0);
        bool disabled = strcmp(db_get(r, i, 2), "D") == 0;
        bool routing = x->m->kind == SOURCE_INHERITANCE &&
                       (type & (TRIGGER_ROW | TRIGGER_BEFORE | TRIGGER_INSERT)) ==
                           (TRIGGER_ROW | TRIGGER_BEFORE | TRIGGER_INSERT);
        if (routing)
            add(x, SEV_INFO, "routing-trigger", name, NULL,
                xasprintf("%s routes new rows into the children (%s): not carried over, since "
                          "the new table routes rows to its partitions itself",
                          name, def));
        else
            add(x, SEV_WARNING, "trigger", name, NULL,
                xasprintf("trigger %s%s: carried over to the new table (%s)", name,
                          disabled ? " (disabled)" : "", def));
    }
    db_clear(r);
    return true;
}

static bool read_rls(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(x->c,
                           "SELECT pg_catalog.quote_ident(polname) FROM pg_catalog.pg_policy"
                           " WHERE polrelid = $1::pg_catalog.oid ORDER BY 1",
                           1, params);
    if (!r)
        return fail(x, err, "the row-level security policies");
    int n = db_rows(r);
    if (x->rls || n > 0) {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < n; i++)
            sb_printf(&sb, "%s%s", i ? ", " : "", db_get(r, i, 0));
        add(x, SEV_WARNING, "row-level-security", x->disp, NULL,
            xasprintf("row-level security is %s%s on %s, with %d polic%s%s%s: carried over to the "
                      "new table",
                      x->rls ? "enabled" : "disabled", x->rls_forced ? " and forced" : "", x->disp,
                      n, n == 1 ? "y" : "ies", n ? " " : "", sb.data));
        sb_free(&sb);
    }
    db_clear(r);
    return true;
}

static bool read_grants(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r =
        db_query(x->c,
                 "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
                 "  ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS who,"
                 " pg_catalog.string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type),"
                 " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute at"
                 "  WHERE at.attrelid = c.oid AND at.attacl IS NOT NULL AND NOT at.attisdropped)"
                 " FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a"
                 " WHERE c.oid = $1::pg_catalog.oid AND a.grantee <> c.relowner"
                 " GROUP BY 1, c.oid ORDER BY 1",
                 1, params);
    if (!r)
        return fail(x, err, "the grants");
    int n = db_rows(r);
    if (n > 0) {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < n; i++)
            sb_printf(&sb, "%s%s (%s)", i ? ", " : "", db_get(r, i, 0), db_get(r, i, 1));
        long long cols = db_get_ll(r, 0, 2, 0);
        add(x, SEV_INFO, "grants", x->disp, NULL,
            xasprintf("grants to %s%s: carried over to the new table", sb.data,
                      cols ? ", and grants on some columns" : ""));
        sb_free(&sb);
    }
    db_clear(r);
    char *owner = ident_display(NULL, x->owner);
    add(x, SEV_INFO, "owner", x->disp, NULL,
        xasprintf("%s is owned by %s: the new table gets the same owner", x->disp, owner));
    free(owner);
    return true;
}

static bool read_sequences(Ctx *x, char **err)
{
    const char *params[] = {x->oid};
    DbResult *r = db_query(
        x->c,
        "SELECT s.oid::pg_catalog.regclass::text, pg_catalog.quote_ident(a.attname),"
        " a.attidentity::text"
        " FROM pg_catalog.pg_depend d"
        " JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
        " WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
        "  d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND"
        "  d.refobjid = $1::pg_catalog.oid AND d.deptype IN ('a', 'i')"
        " ORDER BY 1",
        1, params);
    if (!r)
        return fail(x, err, "the sequences");
    for (int i = 0; i < db_rows(r); i++) {
        const char *seq = db_get(r, i, 0), *col = db_get(r, i, 1), *ident = db_get(r, i, 2);
        if (ident[0] == 'a' || ident[0] == 'd')
            add(x, SEV_INFO, "sequence", seq, NULL,
                xasprintf("%s is an identity column (GENERATED %s AS IDENTITY, sequence %s): the "
                          "new table's %s goes on from the same value; the sequence's ownership "
                          "moves at cutover",
                          col, ident[0] == 'a' ? "ALWAYS" : "BY DEFAULT", seq, col));
        else
            add(x, SEV_INFO, "sequence", seq, NULL,
                xasprintf("%s is owned by %s.%s: its ownership moves to the new table at "
                          "cutover; its values go on",
                          seq, x->disp, col));
    }
    db_clear(r);
    return true;
}

static bool read_policy(Ctx *x, char **err)
{
    if (!x->have_policy_table)
        return true;
    const char *params[] = {x->p->schema, x->p->table};
    DbResult *r = db_query(x->c,
                           "SELECT pg_catalog.quote_ident(key_column), part_interval"
                           " FROM pgstrata.policy WHERE parent_schema = $1 AND parent_table = $2",
                           2, params);
    if (!r)
        return fail(x, err, "the pgstrata policy");
    if (db_rows(r) > 0)
        add(x, SEV_INFO, "policy", x->disp, NULL,
            xasprintf("pgstrata manages %s now (a partition per %s of %s): that policy is "
                      "replaced by the new one at cutover",
                      x->disp, db_get(r, 0, 1), db_get(r, 0, 0)));
    db_clear(r);
    return true;
}

/* ---- all of it ------------------------------------------------------------ */

static void ctx_free(Ctx *x)
{
    free(x->members);
    free(x->rel);
    free(x->disp);
    free(x->col);
    free(x->owner);
    free(x->user);
    free(x->parent);
    free(x->partkeydef);
    free(x->analyzed_at);
    free(x->raw_min);
    free(x->raw_max);
    key_stats_free(&x->stats);
}

bool migrate_inspect(Conn *c, const Policy *p, const char *now, MigrateInspection *out, char **err)
{
    memset(out, 0, sizeof(*out));
    out->schema = xstrdup(p->schema);
    out->table = xstrdup(p->table);
    out->key_column = xstrdup(p->column);
    out->key_type = p->key_type;
    Ctx x;
    memset(&x, 0, sizeof(x));
    x.c = c;
    x.p = p;
    x.m = out;
    x.disp = ident_display(p->schema, p->table);
    StrBuf rel;
    sb_init(&rel);
    sb_qualified(&rel, p->schema, p->table);
    x.rel = rel.data;
    if (!db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) {
        *err = xasprintf("could not start a read-only transaction: %s", conn_error(c));
        ctx_free(&x);
        return false;
    }
    bool ok = read_source(&x, now, err) && read_members(&x, err);
    if (ok) {
        check_place(&x);
        ok = read_range(&x, err) && build_layout(&x, err);
    }
    if (ok) {
        check_nulls(&x);
        check_index(&x);
        note_estimates(&x);
        ok = check_names(&x, err) && read_identity(&x, err) && read_uniques(&x, err) &&
             read_exclusions(&x, err) && read_foreign_keys(&x, err) && read_views(&x, err) &&
             read_functions(&x, err) && read_publications(&x, err) && read_triggers(&x, err) &&
             read_rls(&x, err) && read_grants(&x, err) && read_sequences(&x, err) &&
             read_policy(&x, err);
    }
    if (!db_exec(c, ok ? "COMMIT" : "ROLLBACK") && ok) {
        *err = xasprintf("could not end the read-only transaction: %s", conn_error(c));
        ok = false;
    }
    ctx_free(&x);
    return ok;
}
