/* pgstrata doctor's checks: one query reads every partitioned parent (or the
 * named ones) with what the checks need; partitions pending detach come from
 * a second; a default partition with pages is probed for rows (at most a
 * bounded count each). */
#include "db/doctor_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/plan.h"
#include "core/strbuf.h"
#include "db/sql_fragments.h"

#define DEFAULT_ROWS_COUNTED 1000000 /* rows of a default partition counted at most */

/* Restricts a query to the parents named in $1/$2 (text[]), or all when NULL. */
#define NAMED(ns, rel)                                                                             \
    " ($1::text[] IS NULL OR (" ns ".nspname::text, " rel ".relname::text) IN"                     \
    " (SELECT * FROM unnest($1::text[], $2::text[])))"

static bool fail(Conn *c, char **err, const char *what)
{
    *err = xasprintf("could not read %s: %s", what, conn_error(c));
    return false;
}

/* Rows in a default partition: "at least N" when the count stopped at the cap. */
static bool count_default(Conn *c, const char *schema, const char *name, long long *rows,
                          char **err)
{
    char *q = sql_qualified(schema, name);
    char *sql = xasprintf("SELECT pg_catalog.count(*) FROM (SELECT 1 FROM %s LIMIT %d) s", q,
                          DEFAULT_ROWS_COUNTED + 1);
    free(q);
    DbResult *r = db_query(c, sql, 0, NULL);
    free(sql);
    if (!r)
        return fail(c, err, "a default partition");
    *rows = db_get_ll(r, 0, 0, 0);
    db_clear(r);
    return true;
}

static void check_default(DoctorReport *out, const char *schema, const char *table,
                          const char *dschema, const char *dname, double estimate, long long rows)
{
    char *parent = ident_display(schema, table), *def = ident_display(dschema, dname);
    char *pq = sql_qualified(schema, table), *dq = sql_qualified(dschema, dname);
    if (rows > 0) {
        char *evidence = rows > DEFAULT_ROWS_COUNTED
                             ? xasprintf("%s holds over %d rows (about %.0f by the statistics)",
                                         def, DEFAULT_ROWS_COUNTED, estimate)
                             : xasprintf("%s holds %lld row%s", def, rows, rows == 1 ? "" : "s");
        doctor_add(out, "default-has-rows", DOC_ERROR, xstrdup(parent), xstrdup(def), evidence,
                   xstrdup("rows in the default partition are outside every range: each "
                           "ATTACH of a new partition scans the default under lock, and the "
                           "longer it grows the longer that takes"),
                   xasprintf("create partitions for the ranges those rows are in and move them "
                             "there (\"pgstrata maintain\" does it for a managed table, up to "
                             "--move-default-max-rows rows), then drop the empty default: ALTER "
                             "TABLE %s DETACH PARTITION %s; DROP TABLE %s;",
                             pq, dq, dq));
    } else {
        doctor_add(out, "default-partition", DOC_WARNING, xstrdup(parent), xstrdup(def),
                   xasprintf("%s exists (empty)", def),
                   xstrdup("PostgreSQL refuses DETACH ... CONCURRENTLY while a default "
                           "partition exists, so retiring a partition takes a brief ACCESS "
                           "EXCLUSIVE lock on the parent instead"),
                   xasprintf("ALTER TABLE %s DETACH PARTITION %s; DROP TABLE %s;", pq, dq, dq));
    }
    free(parent);
    free(def);
    free(pq);
    free(dq);
}

static bool check_parents(Conn *c, const char *const *params, DoctorReport *out, StrList *seen_s,
                          StrList *seen_t, char **err)
{
    DbResult *r = db_query(
        c,
        "SELECT n.nspname, c.relname,"
        " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid),"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_statistic s WHERE s.starelid = c.oid AND"
        "  s.stainherit) OR st.last_analyze IS NOT NULL OR st.last_autoanalyze IS NOT NULL,"
        " dn.nspname, d.relname, d.reltuples, pg_catalog.pg_relation_size(d.oid) > 0"
        " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid"
        " LEFT JOIN pg_catalog.pg_class d ON d.oid = pt.partdefid"
        " LEFT JOIN pg_catalog.pg_namespace dn ON dn.oid = d.relnamespace"
        " LEFT JOIN LATERAL (SELECT " STAT_TIMES(
            "c.oid") ") st ON true"
                     " WHERE c.relkind = 'p' AND NOT c.relispartition"
                     " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND" NAMED(
                         "n", "c") " ORDER BY 1, 2",
        2, params);
    if (!r)
        return fail(c, err, "the partitioned tables");
    for (int i = 0; i < db_rows(r); i++) {
        const char *schema = db_get(r, i, 0), *table = db_get(r, i, 1);
        strlist_add(seen_s, xstrdup(schema));
        strlist_add(seen_t, xstrdup(table));
        out->tables++;
        if (!db_get_bool(r, i, 3)) {
            char *q = sql_qualified(schema, table), *disp = ident_display(schema, table);
            StrBuf arg;
            sb_init(&arg);
            sb_shell_quoted(&arg, disp);
            long long parts = db_get_ll(r, i, 2, 0);
            doctor_add(out, "parent-not-analyzed", DOC_WARNING, ident_display(schema, table), NULL,
                       xasprintf("%lld partition%s; the parent has no statistics of its own", parts,
                                 parts == 1 ? "" : "s"),
                       xstrdup("autovacuum never analyzes a partitioned parent, so the planner "
                               "estimates every query over the whole table without statistics "
                               "and can pick bad plans"),
                       xasprintf("ANALYZE %s;  (a table managed by pgstrata: \"pgstrata policy "
                                 "set %s --analyze changed\" keeps it analyzed)",
                                 q, arg.data));
            free(q);
            free(disp);
            sb_free(&arg);
        }
        if (db_get(r, i, 5)) {
            long long rows = 0;
            if (db_get_bool(r, i, 7) &&
                !count_default(c, db_get(r, i, 4), db_get(r, i, 5), &rows, err)) {
                db_clear(r);
                return false;
            }
            check_default(out, schema, table, db_get(r, i, 4), db_get(r, i, 5),
                          db_get_double(r, i, 6, -1), rows);
        }
    }
    db_clear(r);
    return true;
}

static bool check_pending_detach(Conn *c, const char *const *params, DoctorReport *out, char **err)
{
    DbResult *r =
        db_query(c,
                 "SELECT n.nspname, p.relname, cn.nspname, ch.relname FROM pg_catalog.pg_inherits i"
                 " JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
                 " JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace"
                 " JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid"
                 " JOIN pg_catalog.pg_namespace cn ON cn.oid = ch.relnamespace"
                 " WHERE i.inhdetachpending AND" NAMED("n", "p") " ORDER BY 1, 2, 3, 4",
                 2, params);
    if (!r)
        return fail(c, err, "partitions pending detach");
    for (int i = 0; i < db_rows(r); i++) {
        char *pq = sql_qualified(db_get(r, i, 0), db_get(r, i, 1));
        char *cq = sql_qualified(db_get(r, i, 2), db_get(r, i, 3));
        char *child = ident_display(db_get(r, i, 2), db_get(r, i, 3));
        char *parent = ident_display(db_get(r, i, 0), db_get(r, i, 1));
        doctor_add(out, "detach-pending", DOC_ERROR, xstrdup(parent), xstrdup(child),
                   xasprintf("%s is pending detach from %s", child, parent),
                   xstrdup("an interrupted DETACH ... CONCURRENTLY leaves the partition half "
                           "detached, and every other detach of this parent fails until it "
                           "is finalized"),
                   xasprintf("ALTER TABLE %s DETACH PARTITION %s FINALIZE;", pq, cq));
        free(pq);
        free(cq);
        free(child);
        free(parent);
    }
    db_clear(r);
    return true;
}

bool doctor_check(Conn *c, const char *const *schemas, const char *const *tables, size_t n,
                  DoctorReport *out, char **missing, char **err)
{
    memset(out, 0, sizeof(*out));
    *missing = NULL;
    char *a = n ? db_text_array(schemas, n) : NULL, *b = n ? db_text_array(tables, n) : NULL;
    const char *params[] = {a, b};
    StrList seen_s = {NULL, 0}, seen_t = {NULL, 0};
    bool ok = check_parents(c, params, out, &seen_s, &seen_t, err) &&
              check_pending_detach(c, params, out, err);
    for (size_t i = 0; ok && i < n && !*missing; i++) {
        bool found = false;
        for (size_t j = 0; j < seen_t.n && !found; j++)
            found =
                strcmp(seen_s.items[j], schemas[i]) == 0 && strcmp(seen_t.items[j], tables[i]) == 0;
        if (!found)
            *missing = ident_display(schemas[i], tables[i]);
    }
    strlist_free(&seen_s);
    strlist_free(&seen_t);
    free(a);
    free(b);
    if (ok && !*missing)
        doctor_sort(out);
    return ok;
}
