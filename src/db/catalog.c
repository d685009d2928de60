#include "db/catalog.h"

#include "db/policy_store.h"
#include "db/sql_fragments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/naming.h"
#include "core/plan.h"
#include "core/strbuf.h"

void catalog_server_info(Conn *c, ServerInfo *out)
{
    out->version_num = conn_server_version(c);
    out->version_text = xstrdup(conn_server_version_text(c));
}

bool catalog_server_supported(Conn *c, char *why, size_t len)
{
    ServerInfo server;
    catalog_server_info(c, &server);
    bool supported = server_supported(&server, why, len);
    server_info_free(&server);
    return supported;
}

void server_info_free(ServerInfo *s)
{
    free(s->version_text);
    s->version_text = NULL;
}

bool catalog_check_now(Conn *c, const char *now, char **err)
{
    if (!now)
        return true;
    const char *params[] = {now};
    DbResult *r = db_query(c, "SELECT $1::pg_catalog.timestamptz", 1, params);
    if (!r) {
        *err = xasprintf("invalid --now \"%s\": %s", now, conn_error(c));
        return false;
    }
    db_clear(r);
    return true;
}

bool catalog_check_zone(Conn *c, const char *zone, char **err)
{
    const char *params[] = {zone};
    DbResult *r = db_query(c, "SELECT pg_catalog.timezone($1, pg_catalog.now())", 1, params);
    if (!r) {
        *err = xasprintf("invalid --time-zone \"%s\": %s", zone, conn_error(c));
        return false;
    }
    db_clear(r);
    return true;
}

bool catalog_schema_exists(Conn *c, const char *schema, bool *exists, char **err)
{
    const char *params[] = {schema};
    DbResult *r =
        db_query(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", 1, params);
    if (!r) {
        *err = xasprintf("could not look up schema: %s", conn_error(c));
        return false;
    }
    *exists = db_rows(r) > 0;
    db_clear(r);
    return true;
}

bool catalog_resolve(Conn *c, const char *typed, char **schema, char **table, char **err)
{
    char why[512];
    if (!ident_parse_qualified(typed, schema, table, why, sizeof(why))) {
        *err = xstrdup(why);
        return false;
    }
    if (*schema)
        return true;
    size_t n;
    const char *const *path = conn_user_schemas(c, &n);
    char *arr = db_text_array(path, n);
    const char *params[] = {arr, *table};
    DbResult *r = db_query(c,
                           "SELECT s.nspname FROM unnest($1::text[]) WITH ORDINALITY "
                           "AS s(nspname, ord) JOIN pg_catalog.pg_namespace n ON n.nspname = "
                           "s.nspname JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND "
                           "c.relname = $2 ORDER BY s.ord LIMIT 1",
                           2, params);
    free(arr);
    if (!r) {
        *err = xasprintf("could not look up %s: %s", typed, conn_error(c));
        return false;
    }
    if (db_rows(r) > 0)
        *schema = xstrdup(db_get(r, 0, 0));
    else
        *schema = xstrdup(n > 0 ? path[0] : "public");
    db_clear(r);
    return true;
}

/* Why a table cannot be managed with this column, or NULL. */
static char *partition_problem(const char *schema, const char *table, const char *column,
                               const char *relkind, const char *strategy, int natts,
                               const char *keycol, const char *keytype, KeyType *key)
{
    char *disp = ident_display(schema, table);
    char *msg = NULL;
    if (!relkind) {
        msg = xasprintf("table %s does not exist", disp);
    } else if (strcmp(relkind, "r") == 0) {
        msg = xasprintf("%s is not partitioned: pgstrata manages tables declared PARTITION BY "
                        "RANGE (column); recreate it partitioned, or convert it online with "
                        "pgstrata migrate (a later version)",
                        disp);
    } else if (strcmp(relkind, "p") != 0) {
        const char *what = strcmp(relkind, "v") == 0   ? "a view"
                           : strcmp(relkind, "m") == 0 ? "a materialized view"
                           : strcmp(relkind, "f") == 0 ? "a foreign table"
                           : strcmp(relkind, "i") == 0 || strcmp(relkind, "I") == 0 ? "an index"
                           : strcmp(relkind, "S") == 0                              ? "a sequence"
                                                                                    : "not a table";
        msg = xasprintf("%s is %s, not a partitioned table", disp, what);
    } else if (strcmp(strategy, "r") != 0) {
        msg = xasprintf("%s is partitioned by %s, not by RANGE; pgstrata manages "
                        "range-partitioned tables",
                        disp, strcmp(strategy, "l") == 0 ? "LIST" : "HASH");
    } else if (natts != 1) {
        msg = xasprintf("%s is partitioned by RANGE on %d columns; pgstrata manages a "
                        "single-column key",
                        disp, natts);
    } else if (!keycol) {
        msg = xasprintf("%s is partitioned by RANGE on an expression; pgstrata manages a plain "
                        "column key",
                        disp);
    } else if (strcmp(keycol, column) != 0) {
        char *a = ident_display(NULL, keycol), *b = ident_display(NULL, column);
        msg = xasprintf("%s is partitioned by RANGE (%s), not by %s", disp, a, b);
        free(a);
        free(b);
    } else if (!key_type_from_pg(keytype, key)) {
        char *a = ident_display(NULL, keycol);
        msg = xasprintf("column %s of %s is of type %s; pgstrata supports timestamptz, "
                        "timestamp, date, integer and bigint keys",
                        a, disp, keytype);
        free(a);
    }
    free(disp);
    return msg;
}

static const char *const describe_sql =
    "SELECT c.relkind::text, pt.partstrat::text, pt.partnatts, a.attname,"
    " pg_catalog.format_type(a.atttypid, a.atttypmod)"
    " FROM pg_catalog.pg_namespace n"
    " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = $2"
    " LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid"
    " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]"
    " WHERE n.nspname = $1";

bool catalog_check_partitioned(Conn *c, const char *schema, const char *table, const char *column,
                               KeyType *key, char **err)
{
    const char *params[] = {schema, table};
    DbResult *r = db_query(c, describe_sql, 2, params);
    if (!r) {
        *err = xasprintf("could not describe the table: %s", conn_error(c));
        return false;
    }
    bool found = db_rows(r) > 0;
    *err = partition_problem(schema, table, column, found ? db_get(r, 0, 0) : NULL,
                             found ? db_get(r, 0, 1) : NULL, found ? (int)db_get_ll(r, 0, 2, 0) : 0,
                             found ? db_get(r, 0, 3) : NULL, found ? db_get(r, 0, 4) : NULL, key);
    db_clear(r);
    return *err == NULL;
}

bool catalog_relkind(Conn *c, const char *schema, const char *table, char *relkind, char **err)
{
    const char *params[] = {schema, table};
    DbResult *r = db_query(c,
                           "SELECT c.relkind::text FROM pg_catalog.pg_class c"
                           " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE n.nspname = $1 AND c.relname = $2",
                           2, params);
    if (!r) {
        *err = xasprintf("could not describe the table: %s", conn_error(c));
        return false;
    }
    *relkind = db_rows(r) > 0 ? db_get(r, 0, 0)[0] : '\0';
    db_clear(r);
    return true;
}

/* --- snapshots --------------------------------------------------------- */

static char *array_param(char **items, size_t n)
{
    return db_text_array((const char *const *)items, n);
}

static char *oid_text(unsigned int oid)
{
    return xasprintf("%u", oid);
}

static bool fail(Conn *c, char **err, const char *what)
{
    *err = xasprintf("could not read %s: %s", what, conn_error(c));
    return false;
}

/* Q1: each parent, its partitioning, the clock in its zone, its statistics. */
static bool read_parents(Conn *c, TableSnapshot *s, size_t n, const char *now, char **err)
{
    const char **sch = xcalloc(n, sizeof(char *)), **tab = xcalloc(n, sizeof(char *));
    const char **zone = xcalloc(n, sizeof(char *)), **pzone = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        sch[i] = s[i].policy.schema;
        tab[i] = s[i].policy.table;
        zone[i] = snapshot_zone(&s[i].policy);
        pzone[i] = s[i].policy.time_zone;
    }
    char *owned[4] = {db_text_array(sch, n), db_text_array(tab, n), db_text_array(zone, n),
                      db_text_array(pzone, n)};
    const char *params[5] = {now, owned[0], owned[1], owned[2], owned[3]};
    free(sch);
    free(tab);
    free(zone);
    free(pzone);
    DbResult *r = db_query(
        c,
        "WITH clock AS (SELECT COALESCE($1::pg_catalog.timestamptz, pg_catalog.now())"
        " AS ts),"
        " t AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])"
        " WITH ORDINALITY AS t(sch, tab, zone, pzone, ord))"
        " SELECT t.ord, c.oid, c.relkind::text, pt.partstrat::text, pt.partnatts, a.attname,"
        " pg_catalog.format_type(a.atttypid, a.atttypmod),"
        " pg_catalog.pg_get_userbyid(c.relowner),"
        " pg_catalog.pg_get_userbyid(c.relowner) <> current_user,"
        " (clock.ts AT TIME ZONE t.zone)::text,"
        " pg_catalog.quote_literal(clock.ts::text) || '::pg_catalog.timestamptz',"
        " (pg_catalog.date_part('hour', clock.ts AT TIME ZONE t.pzone) * 60 +"
        "  pg_catalog.date_part('minute', clock.ts AT TIME ZONE t.pzone))::integer,"
        " def.relname, def.reltuples,"
        /* An empty parent gets no pg_statistic rows from ANALYZE: analyzed counts too. */
        " EXISTS (SELECT 1 FROM pg_catalog.pg_statistic s WHERE s.starelid = c.oid AND"
        "  s.stainherit) OR GREATEST(pol.last_analyzed_at, st.last_analyze,"
        "  st.last_autoanalyze) IS NOT NULL,"
        /* both on the pass clock, so --now simulations see their own history */
        " COALESCE(pol.last_layout_change > pol.last_analyzed_at,"
        "  pol.last_layout_change IS NOT NULL),"
        " COALESCE(pol.last_analyzed_at > clock.ts - interval '1 day', false)"
        " FROM t CROSS JOIN clock"
        " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.sch"
        " LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.tab"
        " LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid"
        " LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum ="
        "  pt.partattrs[0]"
        " LEFT JOIN pg_catalog.pg_class def ON def.oid = pt.partdefid"
        " LEFT JOIN LATERAL (SELECT " STAT_TIMES(
            "c.oid") ") st ON true"
                     " LEFT JOIN pgstrata.policy pol ON pol.parent_schema = t.sch AND "
                     "pol.parent_table ="
                     "  t.tab"
                     " ORDER BY t.ord",
        5, params);
    for (int i = 0; i < 4; i++)
        free(owned[i]);
    if (!r)
        return fail(c, err, "the managed tables");
    for (int row = 0; row < db_rows(r); row++) {
        TableSnapshot *t = &s[db_get_ll(r, row, 0, 1) - 1];
        const Policy *p = &t->policy;
        KeyType key;
        t->now_sql = xstrdup(db_get(r, row, 10));
        t->now_minute = (int)db_get_ll(r, row, 11, 0);
        if (!key_parse(KEY_TIMESTAMP, db_get(r, row, 9), &t->now)) {
            *err = xasprintf("could not read the clock: %s", db_get(r, row, 9));
            db_clear(r);
            return false;
        }
        if (!db_get(r, row, 1))
            continue; /* the parent is gone: oid stays 0 */
        t->oid = (unsigned int)db_get_ll(r, row, 1, 0);
        t->problem = partition_problem(p->schema, p->table, p->column, db_get(r, row, 2),
                                       db_get(r, row, 3), (int)db_get_ll(r, row, 4, 0),
                                       db_get(r, row, 5), db_get(r, row, 6), &key);
        if (!t->problem && key != p->key_type) {
            char *disp = ident_display(p->schema, p->table);
            t->problem = xasprintf("the key column of %s is now of type %s, but the policy was "
                                   "made for %s; drop the policy and create it again",
                                   disp, db_get(r, row, 6), key_type_name(p->key_type));
            free(disp);
        }
        t->owner = xstrdup(db_get(r, row, 7));
        t->set_owner = db_get_bool(r, row, 8);
        if (db_get(r, row, 12)) {
            t->has_default = true;
            t->default_name = xstrdup(db_get(r, row, 12));
            t->default_rows_estimate = db_get_double(r, row, 13, -1);
        }
        t->parent_has_stats = db_get_bool(r, row, 14);
        t->stats_stale = db_get_bool(r, row, 15);
        t->analyzed_recently = db_get_bool(r, row, 16);
    }
    db_clear(r);
    return true;
}

static int compare_parts(const void *a, const void *b)
{
    const PartitionInfo *x = a, *y = b;
    if (x->is_default != y->is_default)
        return x->is_default ? 1 : -1;
    if (x->lower_unbounded != y->lower_unbounded)
        return x->lower_unbounded ? -1 : 1;
    if (x->lower != y->lower)
        return x->lower < y->lower ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The parameters most later queries take: parent oids and effective zones. */
typedef struct Keys {
    char *oids;
    char *zones;
    char *schemas;
    char *tables;
} Keys;

static void keys_build(Keys *k, const TableSnapshot *s, size_t n)
{
    char **oids = xcalloc(n, sizeof(char *)), **zones = xcalloc(n, sizeof(char *));
    char **schemas = xcalloc(n, sizeof(char *));
    char **tables = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        oids[i] = oid_text(s[i].oid);
        zones[i] = xstrdup(snapshot_zone(&s[i].policy));
        schemas[i] = xstrdup(s[i].policy.schema);
        tables[i] = xstrdup(s[i].policy.table);
    }
    k->oids = array_param(oids, n);
    k->zones = array_param(zones, n);
    k->schemas = array_param(schemas, n);
    k->tables = array_param(tables, n);
    strings_free(oids, n);
    strings_free(zones, n);
    strings_free(schemas, n);
    strings_free(tables, n);
}

static void keys_free(Keys *k)
{
    free(k->oids);
    free(k->zones);
    free(k->schemas);
    free(k->tables);
}

/* One side of "FOR VALUES FROM (a) TO (b)" as PostgreSQL prints it: MINVALUE,
 * MAXVALUE, 42, '-42', '2026-11-22', '2026-11-22 00:00:00+01'. A timestamptz
 * is printed in the session's TimeZone, which read_partitions sets to the
 * table's zone, so dropping the offset leaves the civil time. */
static bool parse_bound_value(KeyType key, const char *s, size_t len, bool *unbounded, int64_t *v)
{
    if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'') {
        s++;
        len -= 2;
    }
    if ((len == 8 && strncmp(s, "MINVALUE", 8) == 0) ||
        (len == 8 && strncmp(s, "MAXVALUE", 8) == 0)) {
        *unbounded = true;
        return true;
    }
    return key_parse_printed(key, s, len, v);
}

bool catalog_parse_bounds(KeyType key, const char *expr, PartitionInfo *pi)
{
    static const char from[] = "FOR VALUES FROM (", to[] = ") TO (";
    if (strncmp(expr, from, sizeof(from) - 1) != 0)
        return false;
    const char *a = expr + sizeof(from) - 1;
    const char *mid = strstr(a, to);
    size_t len = strlen(expr);
    if (!mid || len < 1 || expr[len - 1] != ')')
        return false;
    const char *b = mid + sizeof(to) - 1;
    return parse_bound_value(key, a, (size_t)(mid - a), &pi->lower_unbounded, &pi->lower) &&
           parse_bound_value(key, b, (size_t)(expr + len - 1 - b), &pi->upper_unbounded,
                             &pi->upper);
}

static RetiredState retired_state(const char *s)
{
    if (strcmp(s, "detaching") == 0)
        return RS_DETACHING;
    if (strcmp(s, "archiving") == 0)
        return RS_ARCHIVING;
    if (strcmp(s, "archived") == 0)
        return RS_ARCHIVED;
    if (strcmp(s, "kept") == 0)
        return RS_KEPT;
    return RS_DETACHED;
}

/* Q3: tables on their way out, and whether they still exist or are attached. */
static bool read_retired(Conn *c, TableSnapshot *s, const Keys *k, char **err)
{
    const char *params[] = {k->oids, k->zones, k->schemas, k->tables};
    DbResult *r = db_query(
        c,
        "SELECT z.ord, r.schema, r.name, r.range, r.state, rel.oid IS NOT NULL,"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = rel.oid AND"
        "  i.inhparent = z.parent),"
        " (r.detached_at AT TIME ZONE z.zone)::text"
        " FROM unnest($1::oid[], $2::text[], $3::text[], $4::text[])"
        "  WITH ORDINALITY AS z(parent, zone, sch, tab, ord)"
        " JOIN pgstrata.retired r ON r.parent_schema = z.sch AND r.parent_table = z.tab"
        " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = r.schema"
        " LEFT JOIN pg_catalog.pg_class rel ON rel.relnamespace = n.oid AND rel.relname = r.name"
        " ORDER BY z.ord, r.name",
        4, params);
    if (!r)
        return fail(c, err, "retired partitions");
    for (int i = 0; i < db_rows(r); i++) {
        TableSnapshot *t = &s[db_get_ll(r, i, 0, 1) - 1];
        t->retired = xrealloc(t->retired, (t->nretired + 1) * sizeof(RetiredInfo));
        RetiredInfo *ri = &t->retired[t->nretired++];
        memset(ri, 0, sizeof(*ri));
        ri->schema = xstrdup(db_get(r, i, 1));
        ri->name = xstrdup(db_get(r, i, 2));
        ri->range_text = xstrdup(db_get(r, i, 3));
        ri->state = retired_state(db_get(r, i, 4));
        ri->exists = db_get_bool(r, i, 5);
        ri->attached = db_get_bool(r, i, 6);
        ri->has_detached_at =
            db_get(r, i, 7) && key_parse(KEY_TIMESTAMP, db_get(r, i, 7), &ri->detached_at);
    }
    db_clear(r);
    return true;
}

/* Q4: tables created but not attached by an earlier run. */
static bool read_pending(Conn *c, TableSnapshot *s, const Keys *k, char **err)
{
    const char *params[] = {k->oids, k->schemas, k->tables};
    DbResult *r = db_query(
        c,
        "SELECT z.ord, pd.name, pd.lower_bound, pd.upper_bound, rel.oid IS NOT NULL,"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = rel.oid)"
        " FROM unnest($1::oid[], $2::text[], $3::text[])"
        "  WITH ORDINALITY AS z(parent, sch, tab, ord)"
        " JOIN pgstrata.pending pd ON pd.parent_schema = z.sch AND pd.parent_table = z.tab"
        " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = pd.schema"
        " LEFT JOIN pg_catalog.pg_class rel ON rel.relnamespace = n.oid AND rel.relname = pd.name"
        " ORDER BY z.ord, pd.name",
        3, params);
    if (!r)
        return fail(c, err, "pending partitions");
    for (int i = 0; i < db_rows(r); i++) {
        TableSnapshot *t = &s[db_get_ll(r, i, 0, 1) - 1];
        t->pending = xrealloc(t->pending, (t->npending + 1) * sizeof(PendingInfo));
        PendingInfo *pd = &t->pending[t->npending++];
        memset(pd, 0, sizeof(*pd));
        pd->name = xstrdup(db_get(r, i, 1));
        key_parse(t->policy.key_type, db_get(r, i, 2), &pd->lower);
        key_parse(t->policy.key_type, db_get(r, i, 3), &pd->upper);
        pd->exists = db_get_bool(r, i, 4);
        pd->attached = db_get_bool(r, i, 5);
    }
    db_clear(r);
    return true;
}

/* Q5: which of the names a pass would create are held by relations other
 * than the parent's partitions: exact index lookups, and no query at all when
 * nothing is to be created. */
static bool read_taken_names(Conn *c, TableSnapshot *s, size_t n, char **err)
{
    char **names = NULL, **idx = NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].oid || s[i].problem)
            continue;
        size_t k = 0;
        char **want = planned_partition_names(&s[i], &k);
        names = xrealloc(names, (total + k + 1) * sizeof(char *));
        idx = xrealloc(idx, (total + k + 1) * sizeof(char *));
        for (size_t j = 0; j < k; j++) {
            names[total] = want[j];
            idx[total++] = xasprintf("%zu", i);
        }
        free(want);
    }
    if (total == 0) {
        free(names);
        free(idx);
        return true;
    }
    char *a = array_param(names, total), *b = array_param(idx, total);
    strings_free(names, total);
    strings_free(idx, total);
    char **oids = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        oids[i] = oid_text(s[i].oid);
    char *o = array_param(oids, n);
    strings_free(oids, n);
    const char *params[] = {a, b, o};
    DbResult *r = db_query(
        c,
        "SELECT z.idx, c.relname FROM unnest($1::text[], $2::integer[]) AS z(name, idx)"
        " JOIN pg_catalog.pg_class p ON p.oid = ($3::oid[])[z.idx + 1]"
        " JOIN pg_catalog.pg_class c ON c.relname = z.name::pg_catalog.name"
        "  AND c.relnamespace = p.relnamespace"
        " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid"
        "  AND i.inhparent = p.oid)",
        3, params);
    free(a);
    free(b);
    free(o);
    if (!r)
        return fail(c, err, "relation names");
    for (int i = 0; i < db_rows(r); i++) {
        TableSnapshot *t = &s[db_get_ll(r, i, 0, 0)];
        t->taken_names = xrealloc(t->taken_names, (t->ntaken + 1) * sizeof(char *));
        t->taken_names[t->ntaken++] = xstrdup(db_get(r, i, 1));
    }
    db_clear(r);
    return true;
}

/* Q6: the parents' columns, needed only to move rows out of a default partition. */
static bool read_columns(Conn *c, TableSnapshot *s, size_t n, const Keys *k, char **err)
{
    bool needed = false;
    for (size_t i = 0; i < n; i++)
        needed = needed || s[i].default_has_rows;
    if (!needed)
        return true;
    const char *cparams[] = {k->oids};
    DbResult *r =
        db_query(c,
                 "SELECT z.ord, a.attname FROM unnest($1::oid[]) WITH ORDINALITY AS"
                 " z(parent, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = z.parent AND"
                 " a.attnum > 0 AND NOT a.attisdropped ORDER BY z.ord, a.attnum",
                 1, cparams);
    if (!r)
        return fail(c, err, "columns");
    for (int i = 0; i < db_rows(r); i++) {
        TableSnapshot *t = &s[db_get_ll(r, i, 0, 1) - 1];
        t->columns = xrealloc(t->columns, (t->ncolumns + 1) * sizeof(char *));
        t->columns[t->ncolumns++] = xstrdup(db_get(r, i, 1));
    }
    db_clear(r);
    return true;
}

/* max(key) of an integer-keyed table, probing the newest partitions that have
 * any pages, a few per query: planning max() over the parent would open every
 * partition, which costs seconds at 10,000 of them. */
static bool read_max_key(Conn *c, TableSnapshot *t, char **err)
{
    enum { BATCH = 8 };
    const Policy *p = &t->policy;
    StrBuf sb;
    sb_init(&sb);
    size_t i = t->nparts;
    while (i > 0 && !t->has_max_key) {
        sb_reset(&sb);
        int n = 0;
        for (; i > 0 && n < BATCH; i--) {
            const PartitionInfo *pi = &t->parts[i - 1];
            if (pi->is_default || !pi->has_pages)
                continue;
            sb_append(&sb, n ? " UNION ALL " : "SELECT m FROM (");
            sb_printf(&sb, "SELECT %d AS o, pg_catalog.max(", n);
            sb_ident(&sb, p->column);
            sb_append(&sb, ") AS m FROM ");
            sb_qualified(&sb, p->schema, pi->name);
            n++;
        }
        if (n == 0)
            break;
        sb_append(&sb, ") s WHERE m IS NOT NULL ORDER BY o LIMIT 1");
        DbResult *r = db_query(c, sb.data, 0, NULL);
        if (!r) {
            sb_free(&sb);
            return fail(c, err, "max(key)");
        }
        if (db_rows(r) > 0)
            t->has_max_key = key_parse(p->key_type, db_get(r, 0, 0), &t->max_key);
        db_clear(r);
    }
    sb_free(&sb);
    return true;
}

/* Per table, only where needed: the key range held by a default partition,
 * and max(key) for integer keys. */
static bool read_key_ranges(Conn *c, TableSnapshot *t, char **err)
{
    const Policy *p = &t->policy;
    StrBuf sb;
    sb_init(&sb);
    bool tz = p->key_type == KEY_TIMESTAMPTZ;
    char *zone = NULL;
    if (tz) {
        StrBuf z;
        sb_init(&z);
        sb_literal(&z, snapshot_zone(p));
        zone = z.data;
    }
    if (t->has_default) {
        sb_append(&sb, "SELECT (pg_catalog.min(");
        sb_ident(&sb, p->column);
        if (tz)
            sb_printf(&sb, ") AT TIME ZONE %s", zone);
        else
            sb_putc(&sb, ')');
        sb_append(&sb, ")::text, (pg_catalog.max(");
        sb_ident(&sb, p->column);
        if (tz)
            sb_printf(&sb, ") AT TIME ZONE %s", zone);
        else
            sb_putc(&sb, ')');
        sb_append(&sb, ")::text FROM ");
        sb_qualified(&sb, p->schema, t->default_name);
        DbResult *r = db_query(c, sb.data, 0, NULL);
        if (!r) {
            free(zone);
            sb_free(&sb);
            return fail(c, err, "the default partition");
        }
        if (db_get(r, 0, 0) && key_parse(p->key_type, db_get(r, 0, 0), &t->default_min) &&
            key_parse(p->key_type, db_get(r, 0, 1), &t->default_max))
            t->default_has_rows = true;
        db_clear(r);
    }
    free(zone);
    sb_free(&sb);
    return key_type_is_time(p->key_type) || read_max_key(c, t, err);
}

bool catalog_snapshots(Conn *c, const Policy *policies, size_t n, const char *now, int cache,
                       TableSnapshot **out, char **err)
{
    TableSnapshot *s = xcalloc(n + 1, sizeof(TableSnapshot));
    *out = s;
    for (size_t i = 0; i < n; i++)
        policy_copy(&s[i].policy, &policies[i]);
    if (n == 0)
        return true;
    if (!read_parents(c, s, n, now, err))
        return false;
    Keys k;
    keys_build(&k, s, n);
    bool ok = catalog_read_partitions(c, s, n, cache, err) && read_retired(c, s, &k, err) &&
              read_pending(c, s, &k, err);
    for (size_t i = 0; ok && i < n; i++) {
        if (s[i].nparts)
            qsort(s[i].parts, s[i].nparts, sizeof(PartitionInfo), compare_parts);
        if (s[i].oid && !s[i].problem)
            ok = read_key_ranges(c, &s[i], err);
    }
    ok = ok && read_taken_names(c, s, n, err) && read_columns(c, s, n, &k, err);
    keys_free(&k);
    return ok;
}

bool catalog_snapshots_of_rows(Conn *c, const PolicyRow *rows, size_t n, const char *now, int cache,
                               TableSnapshot **out, char **err)
{
    Policy *pol = xcalloc(n + 1, sizeof(Policy));
    for (size_t i = 0; i < n; i++)
        pol[i] = rows[i].policy; /* shallow: the rows keep owning the strings */
    bool ok = catalog_snapshots(c, pol, n, now, cache, out, err);
    free(pol);
    return ok;
}

void snapshots_free(TableSnapshot *s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        snapshot_free(&s[i]);
    free(s);
}
