/* migrate plan's catalog reading: see migrate_inspect.h. This part reads the
 * source and its members and runs the others (migrate_inspect_layout.c,
 * migrate_inspect_deps.c) in one read-only REPEATABLE READ transaction. */
#include "db/migrate_inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/plan.h"
#include "db/migrate_inspect_ctx.h"

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
    bool ok = read_source(&x, now, err) && read_members(&x, err) && inspect_layout(&x, err) &&
              inspect_dependencies(&x, err) && read_policy(&x, err);
    if (!db_exec(c, ok ? "COMMIT" : "ROLLBACK") && ok) {
        *err = xasprintf("could not end the read-only transaction: %s", conn_error(c));
        ok = false;
    }
    ctx_free(&x);
    return ok;
}
