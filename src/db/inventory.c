#include "db/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"
#include "core/snapshot.h"
#include "core/strbuf.h"
#include "db/sql_fragments.h"
#include "db/catalog.h"

/* "4 days 03:00:00", "-1 days 20:00:00" as PostgreSQL prints intervals. */
static char *seconds_text(int64_t secs)
{
    bool neg = secs < 0;
    int64_t a = neg ? -secs : secs;
    int64_t days = a / CIVIL_DAY, rest = a % CIVIL_DAY;
    char clock[16];
    snprintf(clock, sizeof(clock), "%02lld:%02lld:%02lld", (long long)(rest / 3600),
             (long long)(rest / 60 % 60), (long long)(rest % 60));
    if (days == 0)
        return xasprintf("%s%s", neg ? "-" : "", clock);
    return xasprintf("%s%lld day%s %s", neg ? "-" : "", (long long)days, days == 1 ? "" : "s",
                     clock);
}

/* What a table row takes from the policy itself. */
static void fill_policy_fields(TableRow *r, const PolicyRow *row)
{
    const Policy *p = &row->policy;
    char iv[48];
    interval_format(&p->interval, iv);
    r->schema = xstrdup(p->schema);
    r->table = xstrdup(p->table);
    r->column = xstrdup(p->column);
    r->key_type = xstrdup(key_type_name(p->key_type));
    r->interval = xstrdup(iv);
    r->premake = policy_premake_text(p);
    r->retention = policy_retention_text(p);
    r->retention_mode = xstrdup(retention_mode_name(p->retention_mode));
    r->last_maintained = xstrdup_or_null(row->last_maintained_at);
}

bool inventory_tables(Conn *c, const PolicyRow *rows, size_t n, const char *now, bool with_sizes,
                      TableRow **out, char **err)
{
    TableSnapshot *snaps = NULL;
    bool ok = catalog_snapshots_of_rows(c, rows, n, now, CATALOG_READ_CACHE, &snaps, err);
    TableRow *t = xcalloc(n + 1, sizeof(TableRow));
    *out = t;
    if (!ok) {
        snapshots_free(snaps, n);
        return false;
    }
    char **oids = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const TableSnapshot *s = &snaps[i];
        const Policy *p = &s->policy;
        TableRow *r = &t[i];
        fill_policy_fields(r, &rows[i]);
        r->exists = s->oid != 0;
        r->has_default = s->has_default;
        r->default_rows = !s->has_default ? 0
                          : s->default_has_rows && s->default_rows_estimate < 1
                              ? -1 /* rows, but not counted yet by vacuum or analyze */
                              : s->default_rows_estimate;
        bool any = false;
        int64_t lo = 0, hi = 0;
        for (size_t k = 0; k < s->nparts; k++) {
            const PartitionInfo *pi = &s->parts[k];
            if (pi->detach_pending)
                r->pending_detach++;
            if (pi->is_default || pi->detach_pending || !pi->bounded)
                continue;
            r->partitions++;
            if (!pi->lower_unbounded && (!any || pi->lower < lo))
                lo = pi->lower;
            if (!pi->upper_unbounded && (!any || pi->upper > hi))
                hi = pi->upper;
            any = true;
        }
        for (size_t k = 0; k < s->nretired; k++)
            if (!s->retired[k].attached && s->retired[k].exists && s->retired[k].state != RS_KEPT)
                r->detached++;
        if (any) {
            char buf[48];
            key_format(p->key_type, lo, buf);
            r->oldest = xstrdup(buf);
            key_format(p->key_type, hi, buf);
            r->newest = xstrdup(buf);
            if (key_type_is_time(p->key_type))
                r->coverage_ahead = seconds_text(hi - s->now);
        }
        oids[i] = xasprintf("%u", s->oid);
    }
    char *arr = db_text_array((const char *const *)oids, n);
    for (size_t i = 0; i < n; i++)
        free(oids[i]);
    free(oids);
    const char *params[] = {arr, with_sizes ? "true" : "false"};
    DbResult *r =
        db_query(c,
                 "SELECT z.ord, CASE WHEN $2::boolean THEN"
                 " (SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(i.inhrelid))::bigint"
                 "  FROM pg_catalog.pg_inherits i WHERE i.inhparent = z.parent) END,"
                 " GREATEST(st.last_analyze, st.last_autoanalyze)::text"
                 " FROM unnest($1::oid[]) WITH ORDINALITY AS z(parent, ord)"
                 " LEFT JOIN LATERAL (SELECT " STAT_TIMES("z.parent") ") st ON true",
                 2, params);
    free(arr);
    if (!r) {
        *err = xasprintf("could not read table sizes: %s", conn_error(c));
        snapshots_free(snaps, n);
        return false;
    }
    for (int i = 0; i < db_rows(r); i++) {
        TableRow *row = &t[db_get_ll(r, i, 0, 1) - 1];
        row->total_bytes = db_get_ll(r, i, 1, 0);
        row->last_analyzed = xstrdup_or_null(db_get(r, i, 2));
    }
    db_clear(r);
    snapshots_free(snaps, n);
    return true;
}

typedef struct Sortable {
    PartRow row;
    bool is_default;
    bool lower_min;
    int64_t lower;
} Sortable;

static int compare_rows(const void *a, const void *b)
{
    const Sortable *x = a, *y = b;
    if (x->is_default != y->is_default)
        return x->is_default ? 1 : -1;
    if (x->lower_min != y->lower_min)
        return x->lower_min ? -1 : 1;
    if (x->lower != y->lower)
        return x->lower < y->lower ? -1 : 1;
    return strcmp(x->row.name, y->row.name);
}

static const char *retired_state_text(const char *state)
{
    if (strcmp(state, "kept") == 0)
        return "detached (kept)";
    if (strcmp(state, "archiving") == 0)
        return "detached, archiving";
    if (strcmp(state, "detaching") == 0)
        return "detaching";
    return "detached, awaiting drop";
}

/* "[a, b)" as written by the planner into pgstrata.retired. */
static void split_range(const char *range, char **lo, char **hi)
{
    const char *comma = strstr(range, ", ");
    size_t len = strlen(range);
    if (range[0] != '[' || !comma || len < 4 || range[len - 1] != ')') {
        *lo = xstrdup(range);
        *hi = NULL;
        return;
    }
    *lo = xasprintf("%.*s", (int)(comma - range - 1), range + 1);
    *hi = xasprintf("%.*s", (int)(range + len - 1 - (comma + 2)), comma + 2);
}

/* Bounds as civil text in the table's zone, from what pg_get_expr printed. */
static void bound_texts(const Policy *p, const char *expr, PartRow *row, Sortable *sort)
{
    PartitionInfo pi;
    memset(&pi, 0, sizeof(pi));
    if (!catalog_parse_bounds(p->key_type, expr, &pi)) {
        row->lower = xstrdup(expr);
        return;
    }
    char buf[48];
    key_format(p->key_type, pi.lower, buf);
    row->lower = xstrdup(pi.lower_unbounded ? "MINVALUE" : buf);
    key_format(p->key_type, pi.upper, buf);
    row->upper = xstrdup(pi.upper_unbounded ? "MAXVALUE" : buf);
    sort->lower_min = pi.lower_unbounded;
    sort->lower = pi.lower;
}

bool inventory_partitions(Conn *c, const Policy *p, PartRow **out, size_t *n, char **err)
{
    const char *params[] = {p->schema, p->table};
    const char *zone[] = {snapshot_zone(p)};
    DbResult *r = NULL;
    /* timestamptz bounds print in the session zone: the table's, for civil times */
    if (db_set_time_zone(c, zone[0]))
        r = db_query(
            c,
            "WITH z AS (SELECT c.oid AS parent"
            "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            "  WHERE n.nspname = $1 AND c.relname = $2)"
            " SELECT ns.nspname, p.relname,"
            "  CASE WHEN i.inhdetachpending THEN 'pending detach' ELSE 'attached' END,"
            "  pg_catalog.pg_get_expr(p.relpartbound, i.inhparent),"
            "  pg_catalog.pg_total_relation_size(p.oid), p.reltuples,"
            "  GREATEST(st.last_vacuum, st.last_autovacuum)::text, st.last_autovacuum::text,"
            "  st.last_analyze::text, st.last_autoanalyze::text, false"
            " FROM z JOIN pg_catalog.pg_inherits i ON i.inhparent = z.parent"
            " JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid"
            " JOIN pg_catalog.pg_namespace ns ON ns.oid = p.relnamespace"
            " LEFT JOIN LATERAL (SELECT " STAT_TIMES(
                "p.oid") ") st ON true"
                         " UNION ALL"
                         " SELECT r.schema, r.name, r.state, r.range,"
                         "  pg_catalog.pg_total_relation_size(rel.oid), rel.reltuples,"
                         "  GREATEST(st.last_vacuum, st.last_autovacuum)::text, "
                         "st.last_autovacuum::text,"
                         "  st.last_analyze::text, st.last_autoanalyze::text, true"
                         " FROM pgstrata.retired r"
                         " JOIN pg_catalog.pg_namespace ns ON ns.nspname = r.schema"
                         " JOIN pg_catalog.pg_class rel ON rel.relnamespace = ns.oid AND "
                         "rel.relname = r.name"
                         " LEFT JOIN LATERAL (SELECT " STAT_TIMES(
                             "rel.oid") ") st ON true"
                                        " WHERE r.parent_schema = $1 AND r.parent_table = $2 AND "
                                        "NOT rel.relispartition",
            2, params);
    bool reset = db_set_time_zone(c, "UTC");
    if (!r || !reset) {
        db_clear(r);
        *err = xasprintf("could not read the partitions: %s", conn_error(c));
        return false;
    }
    size_t rows = (size_t)db_rows(r);
    Sortable *s = xcalloc(rows + 1, sizeof(Sortable));
    for (size_t i = 0; i < rows; i++) {
        int k = (int)i;
        PartRow *row = &s[i].row;
        const char *state = db_get(r, k, 2), *bound = db_get(r, k, 3);
        row->schema = xstrdup(db_get(r, k, 0));
        row->name = xstrdup(db_get(r, k, 1));
        if (db_get_bool(r, k, 10)) {
            row->state = retired_state_text(state);
            split_range(bound, &row->lower, &row->upper);
            if (row->lower)
                key_parse(p->key_type, row->lower, &s[i].lower);
        } else if (bound && strcmp(bound, "DEFAULT") == 0) {
            row->state = "default";
            s[i].is_default = true;
        } else {
            row->state = strcmp(state, "attached") == 0 ? "attached" : "pending detach";
            bound_texts(p, bound ? bound : "", row, &s[i]);
        }
        row->bytes = db_get_ll(r, k, 4, -1);
        row->est_rows = db_get_double(r, k, 5, -1);
        row->last_vacuum = xstrdup_or_null(db_get(r, k, 6));
        row->last_autovacuum = xstrdup_or_null(db_get(r, k, 7));
        row->last_analyze = xstrdup_or_null(db_get(r, k, 8));
        row->last_autoanalyze = xstrdup_or_null(db_get(r, k, 9));
    }
    db_clear(r);
    qsort(s, rows, sizeof(Sortable), compare_rows);
    *out = xcalloc(rows + 1, sizeof(PartRow));
    for (size_t i = 0; i < rows; i++)
        (*out)[i] = s[i].row;
    *n = rows;
    free(s);
    return true;
}

bool inventory_table_from_parts(Conn *c, const PolicyRow *row, const PartRow *parts, size_t n,
                                const char *now, TableRow *out, char **err)
{
    const Policy *p = &row->policy;
    memset(out, 0, sizeof(*out));
    fill_policy_fields(out, row);
    const char *params[] = {now, snapshot_zone(p), p->schema, p->table};
    DbResult *r = db_query(
        c,
        "SELECT (COALESCE($1::pg_catalog.timestamptz, pg_catalog.now()) AT TIME ZONE $2)::text,"
        " c.oid IS NOT NULL, GREATEST(st.last_analyze, st.last_autoanalyze)::text"
        " FROM (SELECT 1) AS one"
        " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = $3"
        " LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = $4"
        " LEFT JOIN LATERAL (SELECT " STAT_TIMES("c.oid") ") st ON true",
        4, params);
    if (!r) {
        *err = xasprintf("could not read the table: %s", conn_error(c));
        return false;
    }
    int64_t clock = 0;
    key_parse(KEY_TIMESTAMP, db_get(r, 0, 0), &clock);
    out->exists = db_get_bool(r, 0, 1);
    out->last_analyzed = xstrdup_or_null(db_get(r, 0, 2));
    db_clear(r);
    bool any = false;
    int64_t hi = 0, v;
    for (size_t i = 0; i < n; i++) {
        const PartRow *pr = &parts[i];
        if (strcmp(pr->state, "default") == 0) {
            out->has_default = true;
            out->default_rows = pr->est_rows;
        } else if (strcmp(pr->state, "pending detach") == 0) {
            out->pending_detach++;
        } else if (strcmp(pr->state, "attached") == 0) {
            out->partitions++;
            out->total_bytes += pr->bytes > 0 ? pr->bytes : 0;
            if (!out->oldest && pr->lower) /* rows come sorted by lower bound */
                out->oldest = xstrdup(pr->lower);
            if (pr->upper && key_parse(p->key_type, pr->upper, &v) && (!any || v > hi)) {
                hi = v;
                any = true;
            }
        } else if (strcmp(pr->state, "detached (kept)") != 0) {
            out->detached++;
        }
    }
    if (any) {
        char buf[48];
        key_format(p->key_type, hi, buf);
        out->newest = xstrdup(buf);
        if (key_type_is_time(p->key_type))
            out->coverage_ahead = seconds_text(hi - clock);
    }
    return true;
}
