/* The doctor model, read in a few set-based queries: the parents (Q1) and all
 * their children with sizes and statistics (Q2) here; what is around them
 * (Q3-Q7) in db/doctor_read_schema.c; settings and pgstrata's own policies
 * beside. Then bounded probes: rows of default partitions that have pages,
 * and the EXPLAINs (db/doctor_explain.c). */
#include "db/doctor_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check_bounds.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/catalog.h"
#include "db/doctor_explain.h"
#include "db/doctor_read_int.h"
#include "db/policy_store.h"
#include "db/schema.h"
#include "db/sql_fragments.h"

/* Restricts Q1 to the parents named in $1/$2 (text[]), or all when NULL. */
#define NAMED                                                                                      \
    " ($1::text[] IS NULL OR (n.nspname::text, c.relname::text) IN"                                \
    " (SELECT * FROM unnest($1::text[], $2::text[])))"

bool doc_read_fail(Conn *c, char **err, const char *what)
{
    *err = xasprintf("could not read %s: %s", what, conn_error(c));
    return false;
}

DocTable *doc_read_table_of(DocDatabase *db, const DbResult *r, int row)
{
    long long ord = db_get_ll(r, row, 0, 0);
    return ord >= 1 && (size_t)ord <= db->ntables ? &db->tables[ord - 1] : NULL;
}

static char *oid_array(const DocDatabase *db)
{
    StrBuf b;
    sb_init(&b);
    sb_putc(&b, '{');
    for (size_t i = 0; i < db->ntables; i++)
        sb_printf(&b, "%s%u", i ? "," : "", db->tables[i].oid);
    sb_putc(&b, '}');
    char *s = sb_steal(&b);
    sb_free(&b);
    return s;
}

static bool read_server(Conn *c, const char *now, DocServer *s, char **err)
{
    const char *params[] = {now};
    DbResult *r = db_query(
        c,
        "SELECT pg_catalog.current_setting('server_version_num')::int,"
        " extract(epoch FROM coalesce($1::timestamptz, pg_catalog.now()))::bigint,"
        " (SELECT pg_catalog.array_agg(name || '=' || setting) FROM pg_catalog.pg_settings WHERE"
        "  name IN ('autovacuum_max_workers', 'autovacuum', 'autovacuum_vacuum_threshold',"
        "  'autovacuum_vacuum_scale_factor', 'autovacuum_analyze_threshold',"
        "  'autovacuum_analyze_scale_factor', 'autovacuum_freeze_max_age',"
        "  'autovacuum_vacuum_cost_limit', 'vacuum_cost_limit', 'autovacuum_vacuum_cost_delay',"
        "  'vacuum_cost_delay', 'vacuum_cost_page_miss', 'vacuum_cost_page_dirty',"
        "  'block_size'))::text,"
        " pg_catalog.current_setting('constraint_exclusion'),"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements')",
        1, params);
    if (!r) {
        if (now) {
            *err = xasprintf("invalid --now \"%s\": %s", now, conn_error(c));
            return false;
        }
        return doc_read_fail(c, err, "the server settings");
    }
    s->version_num = (int)db_get_ll(r, 0, 0, 0);
    s->now = db_get_ll(r, 0, 1, 0);
    s->constraint_exclusion = xstrdup(db_get(r, 0, 3));
    s->has_pg_stat_statements = db_get_bool(r, 0, 4);
    double av_limit = -1, limit = 200, av_delay = -1, delay = 0, miss = 2, dirty = 20, block = 8192;
    const char *set = db_get(r, 0, 2);
    struct {
        const char *name;
        double *into;
    } known[] = {{"autovacuum_vacuum_threshold", &s->av_vacuum_threshold},
                 {"autovacuum_vacuum_scale_factor", &s->av_vacuum_scale},
                 {"autovacuum_analyze_threshold", &s->av_analyze_threshold},
                 {"autovacuum_analyze_scale_factor", &s->av_analyze_scale},
                 {"autovacuum_vacuum_cost_limit", &av_limit},
                 {"vacuum_cost_limit", &limit},
                 {"autovacuum_vacuum_cost_delay", &av_delay},
                 {"vacuum_cost_delay", &delay},
                 {"vacuum_cost_page_miss", &miss},
                 {"vacuum_cost_page_dirty", &dirty},
                 {"block_size", &block}};
    for (const char *p = set ? set + 1 : ""; *p;) {
        const char *end = strpbrk(p, ",}");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[128];
        snprintf(item, sizeof(item), "%.*s", (int)len, p);
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
                if (strcmp(item, known[k].name) == 0)
                    *known[k].into = atof(eq + 1);
            if (strcmp(item, "autovacuum_max_workers") == 0)
                s->autovacuum_max_workers = atoi(eq + 1);
            else if (strcmp(item, "autovacuum") == 0)
                s->autovacuum = strcmp(eq + 1, "on") == 0;
            else if (strcmp(item, "autovacuum_freeze_max_age") == 0)
                s->freeze_max_age = atoll(eq + 1);
        }
        p = end && *end == ',' ? end + 1 : "";
    }
    db_clear(r);
    /* Autovacuum sleeps delay ms each time it has spent limit cost points. A
     * vacuum reads every page (a miss, at worst) and dirties some: count one in
     * ten. No delay: the disk decides; 500 MB/s stands in for it. */
    if (av_limit > 0)
        limit = av_limit;
    if (av_delay >= 0)
        delay = av_delay;
    double per_page = miss + dirty / 10.0;
    s->vacuum_mb_per_s = delay > 0 ? limit / per_page * (1000.0 / delay) * block / 1048576.0 : 500;
    if (s->vacuum_mb_per_s > 500)
        s->vacuum_mb_per_s = 500;
    return true;
}

/* Q1: the partitioned tables and inheritance parents. */
static bool read_tables(Conn *c, const char *const *params, DocDatabase *db, char **err)
{
    DbResult *r = db_query(
        c,
        "SELECT c.oid, n.nspname, c.relname, c.relkind = 'p', pt.partstrat,"
        " CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,"
        " a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_statistic s WHERE s.starelid = c.oid AND"
        "  s.stainherit) OR st.last_analyze IS NOT NULL OR st.last_autoanalyze IS NOT NULL,"
        " extract(epoch FROM pg_catalog.now() - greatest(st.last_analyze, st.last_autoanalyze)),"
        " c.reltuples"
        " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid"
        " LEFT JOIN pg_catalog.pg_attribute a ON pt.partnatts = 1 AND a.attrelid = c.oid AND"
        "  a.attnum = pt.partattrs[0] AND a.attnum > 0"
        " LEFT JOIN LATERAL (SELECT " STAT_TIMES(
            "c.oid") ") st ON true"
                     " WHERE NOT c.relispartition AND n.nspname !~ '^pg_' AND"
                     " n.nspname NOT IN ('information_schema', 'pgstrata') AND"
                     " (c.relkind = 'p' OR (c.relkind = 'r' AND EXISTS (SELECT 1 FROM"
                     "  pg_catalog.pg_inherits i WHERE i.inhparent = c.oid))) AND" NAMED
                     " ORDER BY 2, 3",
        2, params);
    if (!r)
        return doc_read_fail(c, err, "the partitioned tables");
    db->ntables = (size_t)db_rows(r);
    db->tables = xcalloc(db->ntables + 1, sizeof(DocTable));
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = &db->tables[i];
        t->oid = (unsigned int)db_get_ll(r, i, 0, 0);
        t->schema = xstrdup(db_get(r, i, 1));
        t->name = xstrdup(db_get(r, i, 2));
        t->kind = db_get_bool(r, i, 3) ? DOC_DECLARATIVE : DOC_INHERITANCE;
        t->strategy = db_get(r, i, 4) ? db_get(r, i, 4)[0] : 'r';
        t->key_text = xstrdup_or_null(db_get(r, i, 5));
        t->key_column = xstrdup_or_null(db_get(r, i, 6));
        t->key_type_name = xstrdup_or_null(db_get(r, i, 7));
        t->key_known = t->key_type_name && key_type_from_pg(t->key_type_name, &t->key_type);
        t->has_stats = db_get_bool(r, i, 8);
        t->analyze_age = db_get_double(r, i, 9, -1);
        t->analyzed_rows = db_get_double(r, i, 10, -1);
        t->plan_ms = -1;
    }
    db_clear(r);
    return true;
}

DocPart *doc_read_add_part(DocTable *t, const DbResult *r, int row)
{
    t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(DocPart));
    DocPart *p = &t->parts[t->nparts++];
    memset(p, 0, sizeof(*p));
    p->schema = xstrdup(db_get(r, row, 1));
    p->name = xstrdup(db_get(r, row, 2));
    return p;
}

/* A declarative partition's bounds: ranges on one time or integer column only. */
static void declarative_bounds(const DocTable *t, DocPart *p)
{
    if (p->state == DOC_PART_DEFAULT || t->strategy != 'r' || !t->key_known || !p->bound_text)
        return;
    PartitionInfo pi;
    memset(&pi, 0, sizeof(pi));
    if (!catalog_parse_bounds(t->key_type, p->bound_text, &pi))
        return;
    p->bounded = true;
    p->lower = pi.lower;
    p->upper = pi.upper;
    p->lower_unbounded = pi.lower_unbounded;
    p->upper_unbounded = pi.upper_unbounded;
}

/* Q2: every child, with what the checks and the report need. Sizes are
 * pg_class.relpages of the table, its TOAST table and its indexes, as of their
 * last VACUUM or ANALYZE (what autovacuum keeps current), so the catalog
 * answers for 50,000 partitions at once; a table never vacuumed or analyzed,
 * and a default partition's pages, are measured (pg_total_relation_size opens
 * each relation, about 50 us apiece). Ages are from the server's clock:
 * statistics times are real, whatever --now says. */
// clang-format off
static const char parts_sql[] =
    "SELECT z.ord, cn.nspname, ch.relname, ch.relkind = 'p', ch.oid = pt.partdefid,"
    " i.inhdetachpending,"
    " CASE WHEN ch.relispartition THEN pg_catalog.pg_get_expr(ch.relpartbound, ch.oid) ELSE"
    "  (SELECT pg_catalog.string_agg(pg_catalog.pg_get_constraintdef(k.oid), E'\\n' ORDER BY"
    "   k.conname) FROM pg_catalog.pg_constraint k WHERE k.conrelid = ch.oid AND"
    "   k.contype = 'c' AND k.conislocal) END,"
    " CASE WHEN ch.relkind = 'p' THEN (SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size("
    "  l.relid))::bigint FROM pg_catalog.pg_partition_tree(ch.oid) l WHERE l.isleaf)"
    "  WHEN ch.reltuples < 0 THEN pg_catalog.pg_total_relation_size(ch.oid)"
    "  ELSE (ch.relpages + coalesce(tc.relpages, 0) + coalesce((SELECT"
    "  pg_catalog.sum(ic.relpages) FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON"
    "  ic.oid = x.indexrelid WHERE x.indrelid = ch.oid), 0))::bigint *"
    "  pg_catalog.current_setting('block_size')::bigint END,"
    " CASE WHEN ch.relkind = 'p' THEN true WHEN ch.oid = pt.partdefid OR ch.reltuples < 0"
    "  THEN pg_catalog.pg_relation_size(ch.oid) > 0 ELSE ch.relpages > 0 END,"
    " ch.reltuples,"
    " pg_catalog.pg_stat_get_tuples_inserted(ch.oid) +"
    "  pg_catalog.pg_stat_get_tuples_updated(ch.oid) +"
    "  pg_catalog.pg_stat_get_tuples_deleted(ch.oid),"
    " pg_catalog.pg_stat_get_tuples_returned(ch.oid) +"
    "  pg_catalog.pg_stat_get_tuples_fetched(ch.oid) + coalesce((SELECT"
    "  pg_catalog.sum(pg_catalog.pg_stat_get_tuples_fetched(x.indexrelid)) FROM"
    "  pg_catalog.pg_index x WHERE x.indrelid = ch.oid), 0),"
    " pg_catalog.pg_stat_get_dead_tuples(ch.oid),"
    " pg_catalog.pg_stat_get_mod_since_analyze(ch.oid),"
    " extract(epoch FROM pg_catalog.now() - greatest("
    "  pg_catalog.pg_stat_get_last_analyze_time(ch.oid),"
    "  pg_catalog.pg_stat_get_last_autoanalyze_time(ch.oid))),"
    " EXISTS (SELECT 1 FROM pg_catalog.unnest(ch.reloptions) o WHERE"
    "  o ~* '^autovacuum_enabled=(false|off|no|f|0)$')"
    " FROM" PARENTS " JOIN pg_catalog.pg_inherits i ON i.inhparent = z.parent"
    " JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid"
    " JOIN pg_catalog.pg_namespace cn ON cn.oid = ch.relnamespace"
    " LEFT JOIN pg_catalog.pg_class tc ON tc.oid = ch.reltoastrelid"
    " LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = z.parent"
    " ORDER BY z.ord, cn.nspname, ch.relname";
// clang-format on

static bool read_parts(Conn *c, const char *oids, DocDatabase *db, char **err)
{
    const char *params[] = {oids};
    DbResult *r = db_query(c, parts_sql, 1, params);
    if (!r)
        return doc_read_fail(c, err, "the partitions");
    for (int i = 0; i < db_rows(r); i++) {
        DocTable *t = doc_read_table_of(db, r, i);
        if (!t)
            continue;
        DocPart *p = doc_read_add_part(t, r, i);
        p->subpartitioned = db_get_bool(r, i, 3);
        p->state = db_get_bool(r, i, 4)   ? DOC_PART_DEFAULT
                   : db_get_bool(r, i, 5) ? DOC_PART_PENDING
                                          : DOC_PART_ATTACHED;
        p->bound_text = xstrdup_or_null(db_get(r, i, 6));
        p->bytes = db_get_ll(r, i, 7, 0);
        p->has_pages = db_get_bool(r, i, 8);
        p->rows = db_get_double(r, i, 9, -1);
        p->writes = db_get_ll(r, i, 10, 0);
        p->reads = db_get_ll(r, i, 11, 0);
        p->dead_rows = db_get_ll(r, i, 12, 0);
        p->mod_since_analyze = db_get_ll(r, i, 13, 0);
        p->analyze_age = db_get_double(r, i, 14, -1);
        p->autovacuum_off = db_get_bool(r, i, 15);
        if (t->kind == DOC_DECLARATIVE)
            declarative_bounds(t, p);
    }
    db_clear(r);
    return true;
}

/* An inheritance set's key is the column most children's CHECKs bound from
 * both sides; children bounded on another column (or none) stay unbounded. */
static void inheritance_bounds(DocTable *t)
{
    CheckBounds *b = xcalloc(t->nparts + 1, sizeof(CheckBounds));
    size_t best = 0;
    const char *key = NULL;
    for (size_t i = 0; i < t->nparts; i++)
        check_bounds_parse(t->parts[i].bound_text ? t->parts[i].bound_text : "", &b[i]);
    for (size_t i = 0; i < t->nparts; i++) {
        if (!b[i].column)
            continue;
        size_t same = 0;
        for (size_t j = 0; j < t->nparts; j++)
            same += b[j].column && strcmp(b[j].column, b[i].column) == 0;
        if (same > best) {
            best = same;
            key = b[i].column;
            t->key_type = b[i].key_type;
        }
    }
    if (key) {
        t->key_column = xstrdup(key);
        t->key_text = xstrdup(key);
        t->key_known = true;
        t->key_type_name = xstrdup(key_type_name(t->key_type));
    }
    for (size_t i = 0; i < t->nparts; i++) {
        DocPart *p = &t->parts[i];
        p->group = b[i].group;
        b[i].group = NULL;
        if (key && b[i].column && strcmp(b[i].column, key) == 0) {
            p->bounded = true;
            p->lower = b[i].lower;
            p->upper = b[i].upper;
        }
    }
    for (size_t i = 0; i < t->nparts; i++)
        check_bounds_free(&b[i]);
    free(b);
}

static int state_rank(DocPartState s)
{
    return s == DOC_PART_ATTACHED ? 0 : s == DOC_PART_PENDING ? 1 : s == DOC_PART_DEFAULT ? 2 : 3;
}

static int compare_parts(const void *a, const void *b)
{
    const DocPart *x = a, *y = b;
    if (state_rank(x->state) != state_rank(y->state))
        return state_rank(x->state) - state_rank(y->state);
    int g = strcmp(x->group ? x->group : "", y->group ? y->group : "");
    if (g)
        return g;
    if (x->bounded != y->bounded)
        return x->bounded ? -1 : 1;
    if (x->bounded) {
        int64_t xl = x->lower_unbounded ? INT64_MIN : x->lower;
        int64_t yl = y->lower_unbounded ? INT64_MIN : y->lower;
        if (xl != yl)
            return xl < yl ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

/* pgstrata's policies and migrations, when its schema is here at this
 * version; a database without it is read all the same. */
static void read_pgstrata(Conn *c, DocDatabase *db)
{
    char *err = NULL;
    bool exists = false;
    if (!catalog_schema_exists(c, "pgstrata", &exists, &err) || !exists || !schema_check(c, &err)) {
        free(err);
        return;
    }
    PolicyRow *rows = NULL;
    size_t n = 0;
    if (policy_store_load(c, NULL, NULL, 0, &rows, &n, &err)) {
        db->policies = xcalloc(n + 1, sizeof(Policy));
        db->npolicies = n;
        for (size_t i = 0; i < n; i++) {
            db->policies[i] = rows[i].policy;
            memset(&rows[i].policy, 0, sizeof(Policy));
        }
        policy_rows_free(rows, n);
    }
    free(err);
    for (size_t i = 0; i < db->ntables; i++)
        for (size_t j = 0; j < db->npolicies; j++)
            if (strcmp(db->tables[i].schema, db->policies[j].schema) == 0 &&
                strcmp(db->tables[i].name, db->policies[j].table) == 0)
                db->tables[i].policy = &db->policies[j];
    DbResult *r = db_query(c,
                           "SELECT schema, source, new_table, old_table, step FROM"
                           " pgstrata.migration WHERE step NOT IN ('finished', 'rolled_back')",
                           0, NULL);
    for (int i = 0; r && i < db_rows(r); i++)
        for (size_t j = 0; j < db->ntables; j++) {
            DocTable *t = &db->tables[j];
            if (!t->migration && strcmp(t->schema, db_get(r, i, 0)) == 0 &&
                (strcmp(t->name, db_get(r, i, 1)) == 0 || strcmp(t->name, db_get(r, i, 2)) == 0 ||
                 strcmp(t->name, db_get(r, i, 3)) == 0))
                t->migration = xstrdup(db_get(r, i, 4));
        }
    if (r)
        db_clear(r);
}

/* Rows in each default partition that has pages, counted up to a bound,
 * with the key's range among them. */
static bool count_defaults(Conn *c, DocDatabase *db, char **err)
{
    for (size_t i = 0; i < db->ntables; i++) {
        DocTable *t = &db->tables[i];
        for (size_t j = 0; j < t->nparts; j++) {
            DocPart *p = &t->parts[j];
            if (p->state != DOC_PART_DEFAULT || !p->has_pages)
                continue;
            StrBuf sql;
            sb_init(&sql);
            sb_append(&sql, "SELECT pg_catalog.count(*)");
            if (t->key_column) {
                sb_append(&sql, ", min(k)::text, max(k)::text FROM (SELECT ");
                sb_ident(&sql, t->key_column);
                sb_append(&sql, " AS k");
            } else {
                sb_append(&sql, " FROM (SELECT 1");
            }
            sb_append(&sql, " FROM ");
            sb_qualified(&sql, p->schema, p->name);
            sb_printf(&sql, " LIMIT %d) s", DOC_DEFAULT_ROWS_COUNTED + 1);
            DbResult *r = db_query(c, sql.data, 0, NULL);
            sb_free(&sql);
            if (!r)
                return doc_read_fail(c, err, "a default partition");
            t->has_default_rows_count = true;
            t->default_rows = db_get_ll(r, 0, 0, 0);
            if (t->key_column) {
                t->default_min = xstrdup_or_null(db_get(r, 0, 1));
                t->default_max = xstrdup_or_null(db_get(r, 0, 2));
            }
            db_clear(r);
        }
    }
    return true;
}

static bool read_all(Conn *c, const char *const *schemas, const char *const *tables, size_t n,
                     const DocReadOptions *o, DocDatabase *out, char **missing, char **err)
{
    if (!read_server(c, o->now, &out->server, err))
        return false;
    char *a = n ? db_text_array(schemas, n) : NULL, *b = n ? db_text_array(tables, n) : NULL;
    const char *params[] = {a, b};
    bool ok = read_tables(c, params, out, err);
    free(a);
    free(b);
    for (size_t i = 0; ok && i < n && !*missing; i++) {
        bool found = false;
        for (size_t j = 0; j < out->ntables && !found; j++)
            found = strcmp(out->tables[j].schema, schemas[i]) == 0 &&
                    strcmp(out->tables[j].name, tables[i]) == 0;
        if (!found)
            *missing = ident_display(schemas[i], tables[i]);
    }
    if (!ok || *missing || out->ntables == 0)
        return ok;
    char *oids = oid_array(out);
    ok = read_parts(c, oids, out, err) && doc_read_leftovers(c, oids, out, err) &&
         doc_read_missing_indexes(c, oids, out, err) && doc_read_uniques(c, oids, out, err) &&
         doc_read_triggers(c, oids, out, err) && doc_read_publications(c, oids, out, err);
    free(oids);
    if (!ok)
        return false;
    for (size_t i = 0; i < out->ntables; i++) {
        DocTable *t = &out->tables[i];
        if (t->kind == DOC_INHERITANCE)
            inheritance_bounds(t);
        if (t->nparts > 1)
            qsort(t->parts, t->nparts, sizeof(DocPart), compare_parts);
    }
    read_pgstrata(c, out);
    return count_defaults(c, out, err) && doctor_explain(c, o, out, err);
}

bool doctor_read(Conn *c, const char *const *schemas, const char *const *tables, size_t n,
                 const DocReadOptions *o, DocDatabase *out, char **missing, char **err)
{
    memset(out, 0, sizeof(*out));
    *missing = NULL;
    if (!db_set_time_zone(c, "UTC"))
        return doc_read_fail(c, err, "the session's time zone");
    if (read_all(c, schemas, tables, n, o, out, missing, err))
        return true;
    doc_database_free(out);
    return false;
}
