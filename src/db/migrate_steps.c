#include "db/migrate_steps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/ident.h"
#include "core/naming.h"
#include "core/plan.h"
#include "core/strbuf.h"
#include "db/archive_pipe.h"
#include "db/backoff.h"
#include "db/executor.h"
#include "db/failpoint.h"
#include "db/policy_store.h"

static bool fail(Conn *c, char **err, const char *what)
{
    *err = xasprintf("%s: %s", what, conn_error(c));
    return false;
}

/* Retries a transaction that failed on a lock (lock_timeout) with backoff
 * and jitter, like the executor: never cancels anyone. */
typedef bool (*TxnFn)(Conn *c, void *arg, char **err);

static bool with_retries(Conn *c, int lock_timeout_ms, double budget_s, TxnFn fn, void *arg,
                         int *attempts, char **err)
{
    char set[64];
    snprintf(set, sizeof(set), "SET lock_timeout = %d", lock_timeout_ms);
    if (!db_exec(c, set))
        return fail(c, err, "could not set lock_timeout");
    double start = clock_ms();
    Backoff b = backoff_from(start);
    int n = 0;
    for (;;) {
        n++;
        free(*err);
        *err = NULL;
        if (fn(c, arg, err)) {
            if (attempts)
                *attempts = n;
            return true;
        }
        if (!conn_error_is_retryable(c) || interrupted())
            break;
        if (!backoff_wait(&b, budget_s)) {
            char *e = *err;
            *err =
                xasprintf("gave up after %d attempts in %.1f s: %s (lock_timeout %d ms each "
                          "time; pgstrata never cancels other sessions)",
                          n, (clock_ms() - start) / 1000.0, e ? e : conn_error(c), lock_timeout_ms);
            free(e);
            break;
        }
    }
    if (attempts)
        *attempts = n;
    return false;
}

bool mstep_lock(Conn *c, const char *schema, const char *source, bool *got, char **err)
{
    char *key = xasprintf("%s.%s", schema, source);
    const char *params[] = {key};
    DbResult *r = db_query(c,
                           "SELECT pg_catalog.pg_try_advisory_lock(1885827957,"
                           " pg_catalog.hashtext($1))",
                           1, params);
    free(key);
    if (!r)
        return fail(c, err, "could not take the migration lock");
    *got = db_get_bool(r, 0, 0);
    db_clear(r);
    return true;
}

static void text_array_to_list(const char *arr, StrList *out)
{
    /* name[] and text[] as the server prints them: {a,"b c"} */
    if (!arr || arr[0] != '{')
        return;
    const char *p = arr + 1;
    while (*p && *p != '}') {
        StrBuf sb;
        sb_init(&sb);
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                sb_putc(&sb, *p++);
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '}')
                sb_putc(&sb, *p++);
        }
        strlist_add(out, sb.data);
        if (*p == ',')
            p++;
    }
}

static SourceKind kind_from(const char *s)
{
    if (strcmp(s, "partitioned") == 0)
        return SOURCE_PARTITIONED;
    if (strcmp(s, "inheritance") == 0)
        return SOURCE_INHERITANCE;
    return SOURCE_PLAIN;
}

static const char *kind_word(SourceKind k)
{
    return k == SOURCE_PARTITIONED   ? "partitioned"
           : k == SOURCE_INHERITANCE ? "inheritance"
                                     : "plain";
}

bool mstep_load(Conn *c, const char *schema, const char *source, bool active_only, Migration *m,
                bool *found, char **err)
{
    const char *params[] = {schema, source, active_only ? "t" : "f"};
    DbResult *r = db_query(c,
                           "SELECT id, schema, source, new_table, old_table, key_column, key_type,"
                           " kind, ident::text, ident_types::text, columns::text, step,"
                           " backfill_done, rows_copied, rows_estimate, keep_old_until::text"
                           " FROM pgstrata.migration WHERE schema = $1 AND source = $2"
                           " AND (NOT $3::boolean OR step NOT IN ('finished', 'rolled_back'))"
                           " ORDER BY id DESC LIMIT 1",
                           3, params);
    if (!r)
        return fail(c, err, "could not read pgstrata.migration");
    memset(m, 0, sizeof(*m));
    *found = db_rows(r) > 0;
    if (*found) {
        m->id = (int)db_get_ll(r, 0, 0, 0);
        m->schema = xstrdup(db_get(r, 0, 1));
        m->source = xstrdup(db_get(r, 0, 2));
        m->new_table = xstrdup(db_get(r, 0, 3));
        m->old_table = xstrdup(db_get(r, 0, 4));
        m->key_column = xstrdup(db_get(r, 0, 5));
        m->key_type = xstrdup(db_get(r, 0, 6));
        m->kind = kind_from(db_get(r, 0, 7));
        text_array_to_list(db_get(r, 0, 8), &m->ident);
        text_array_to_list(db_get(r, 0, 9), &m->ident_types);
        text_array_to_list(db_get(r, 0, 10), &m->columns);
        m->step = xstrdup(db_get(r, 0, 11));
        m->backfill_done = db_get_bool(r, 0, 12);
        m->rows_copied = db_get_ll(r, 0, 13, 0);
        m->rows_estimate = db_get_double(r, 0, 14, 0);
        m->keep_old_until = xstrdup_or_null(db_get(r, 0, 15));
    }
    db_clear(r);
    return true;
}

/* <table><suffix>, cut to 63 bytes at a character boundary when needed. */
static char *sibling_name(const char *table, const char *suffix)
{
    size_t keep = strlen(table), room = PG_NAME_MAX - strlen(suffix);
    if (keep > room) {
        keep = room;
        while (keep > 0 && ((unsigned char)table[keep] & 0xC0) == 0x80)
            keep--;
    }
    return xasprintf("%.*s%s", (int)keep, table, suffix);
}

static bool relation_exists(Conn *c, const char *schema, const char *name, bool *exists, char **err)
{
    const char *params[] = {schema, name};
    DbResult *r = db_query(c,
                           "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                           " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                           2, params);
    if (!r)
        return fail(c, err, "could not look up a name");
    *exists = db_rows(r) > 0;
    db_clear(r);
    return true;
}

/* The columns copied (not generated), and the type of the key. */
static bool read_columns(Conn *c, Migration *m, char **err)
{
    const char *params[] = {m->schema, m->source, m->key_column};
    DbResult *r = db_query(c,
                           "SELECT a.attname, a.attname = $3,"
                           " pg_catalog.format_type(a.atttypid, a.atttypmod), a.attgenerated <> ''"
                           " FROM pg_catalog.pg_attribute a"
                           " JOIN pg_catalog.pg_class t ON t.oid = a.attrelid"
                           " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"
                           " WHERE n.nspname = $1 AND t.relname = $2 AND a.attnum > 0"
                           " AND NOT a.attisdropped ORDER BY a.attnum",
                           3, params);
    if (!r)
        return fail(c, err, "could not read the columns");
    for (int i = 0; i < db_rows(r); i++) {
        if (db_get_bool(r, i, 1))
            m->key_type = xstrdup(db_get(r, i, 2));
        if (!db_get_bool(r, i, 3))
            strlist_add(&m->columns, xstrdup(db_get(r, i, 0)));
    }
    db_clear(r);
    if (!m->key_type) {
        *err = xasprintf("column %s not found", m->key_column);
        return false;
    }
    return true;
}

/* Indexes of the source (or, for an inheritance parent without any, of its
 * first child) as CREATE INDEX on the new tree; the primary key becomes one
 * that includes the key column. */
static bool index_sql(Conn *c, const Migration *m, StrList *out, char **err)
{
    const char *params[] = {m->schema, m->source};
    DbResult *r = db_query(
        c,
        "WITH src AS (SELECT t.oid FROM pg_catalog.pg_class t JOIN pg_catalog.pg_namespace n"
        "  ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = $2),"
        " rel AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_index i, src"
        "  WHERE i.indrelid = src.oid) THEN (SELECT oid FROM src) ELSE"
        "  (SELECT i.inhrelid FROM pg_catalog.pg_inherits i, src WHERE i.inhparent = src.oid"
        "   ORDER BY i.inhrelid LIMIT 1) END AS oid)"
        " SELECT pg_catalog.pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique"
        " FROM pg_catalog.pg_index i, rel WHERE i.indrelid = rel.oid ORDER BY i.indexrelid",
        2, params);
    if (!r)
        return fail(c, err, "could not read the indexes");
    for (int i = 0; i < db_rows(r); i++) {
        if (db_get_bool(r, i, 1) || db_get_bool(r, i, 2))
            continue; /* the key is made below; other unique ones were accepted away */
        const char *def = db_get(r, i, 0);
        const char *using = strstr(def, " USING ");
        if (!using)
            continue;
        StrBuf sb;
        sb_init(&sb);
        sb_append(&sb, "CREATE INDEX ON ");
        sb_qualified(&sb, m->schema, m->new_table);
        sb_append(&sb, using);
        strlist_add(out, sb.data);
    }
    db_clear(r);
    StrBuf pk;
    sb_init(&pk);
    sb_append(&pk, "ALTER TABLE ");
    sb_qualified(&pk, m->schema, m->new_table);
    sb_append(&pk, " ADD PRIMARY KEY (");
    bool has_key = false;
    for (size_t i = 0; i < m->ident.n; i++) {
        if (i)
            sb_append(&pk, ", ");
        sb_ident(&pk, m->ident.items[i]);
        has_key = has_key || strcmp(m->ident.items[i], m->key_column) == 0;
    }
    if (!has_key) {
        sb_append(&pk, ", ");
        sb_ident(&pk, m->key_column);
    }
    sb_putc(&pk, ')');
    strlist_add(out, pk.data);
    return true;
}

/* Foreign keys from the source to other tables, recreated on the new tree. */
static bool foreign_key_sql(Conn *c, const Migration *m, StrList *out, char **err)
{
    const char *params[] = {m->schema, m->source};
    DbResult *r = db_query(c,
                           "SELECT co.conname, pg_catalog.pg_get_constraintdef(co.oid)"
                           " FROM pg_catalog.pg_constraint co"
                           " JOIN pg_catalog.pg_class t ON t.oid = co.conrelid"
                           " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace"
                           " WHERE n.nspname = $1 AND t.relname = $2 AND co.contype = 'f'",
                           2, params);
    if (!r)
        return fail(c, err, "could not read the foreign keys");
    for (int i = 0; i < db_rows(r); i++) {
        StrBuf sb;
        sb_init(&sb);
        sb_append(&sb, "ALTER TABLE ");
        sb_qualified(&sb, m->schema, m->new_table);
        sb_append(&sb, " ADD CONSTRAINT ");
        sb_ident(&sb, db_get(r, i, 0));
        sb_printf(&sb, " %s", db_get(r, i, 1));
        strlist_add(out, sb.data);
    }
    db_clear(r);
    return true;
}

/* The tables the capture trigger goes on: the source, and the children of
 * an inheritance parent (row triggers fire on the table a row is in). */
static bool capture_tables(Conn *c, const Migration *m, StrList *out, char **err)
{
    strlist_add(out, xstrdup(m->source));
    if (m->kind != SOURCE_INHERITANCE)
        return true;
    const char *params[] = {m->schema, m->source};
    DbResult *r = db_query(c,
                           "SELECT ch.relname, chn.nspname FROM pg_catalog.pg_inherits i"
                           " JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
                           " JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace"
                           " JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid"
                           " JOIN pg_catalog.pg_namespace chn ON chn.oid = ch.relnamespace"
                           " WHERE n.nspname = $1 AND p.relname = $2 ORDER BY ch.relname",
                           2, params);
    if (!r)
        return fail(c, err, "could not read the children");
    for (int i = 0; i < db_rows(r); i++) {
        if (strcmp(db_get(r, i, 1), m->schema) != 0) {
            *err = xasprintf("child %s.%s is in another schema than its parent; not supported",
                             db_get(r, i, 1), db_get(r, i, 0));
            db_clear(r);
            return false;
        }
        strlist_add(out, xstrdup(db_get(r, i, 0)));
    }
    db_clear(r);
    return true;
}

typedef struct StartArgs {
    StrList *sql;      /* the new tree and the migration's objects */
    const Policy *pol; /* registered for the new tree */
    StrList *triggers; /* last: they lock the source against writes until COMMIT */
} StartArgs;

static bool start_txn(Conn *c, void *arg, char **err)
{
    StartArgs *a = arg;
    bool ok = db_exec(c, "BEGIN");
    for (size_t i = 0; ok && i < a->sql->n; i++)
        ok = db_exec(c, a->sql->items[i]);
    if (!ok) {
        fail(c, err, "could not build the new table");
        db_exec(c, "ROLLBACK");
        return false;
    }
    if (!policy_store_insert(c, a->pol, err)) {
        db_exec(c, "ROLLBACK");
        return false;
    }
    failpoint_reach("migrate-start", "after-tree");
    for (size_t i = 0; ok && i < a->triggers->n; i++)
        ok = db_exec(c, a->triggers->items[i]);
    ok = ok && db_exec(c, "COMMIT");
    if (!ok) {
        fail(c, err, "could not start change capture");
        db_exec(c, "ROLLBACK");
    }
    return ok;
}

bool mstep_start(Conn *c, const Policy *p, const MigrateInspection *ins, int lock_timeout_ms,
                 double retry_budget_s, Migration *out, char **err)
{
    Migration *m = out;
    memset(m, 0, sizeof(*m));
    m->schema = xstrdup(p->schema);
    m->source = xstrdup(p->table);
    m->key_column = xstrdup(p->column);
    m->kind = ins->kind;
    m->new_table = sibling_name(p->table, "_pgs_new");
    m->old_table = sibling_name(p->table, "_pgs_old");
    for (size_t i = 0; i < ins->identity_columns.n; i++) {
        strlist_add(&m->ident, xstrdup(ins->identity_columns.items[i]));
        strlist_add(&m->ident_types, xstrdup(ins->identity_types.items[i]));
    }
    m->step = xstrdup("started");
    m->rows_estimate = ins->rows;
    if (m->ident.n == 0) {
        *err = xstrdup("the table has no primary key or replica identity index to match rows by");
        return false;
    }
    bool exists = false;
    const char *names[] = {m->new_table, m->old_table};
    for (int i = 0; i < 2; i++) {
        if (!relation_exists(c, m->schema, names[i], &exists, err))
            return false;
        if (exists) {
            char *disp = ident_display(m->schema, names[i]);
            *err = xasprintf("%s already exists: pgstrata needs that name for the migration; "
                             "rename or drop it (a leftover of an earlier migration?)",
                             disp);
            free(disp);
            return false;
        }
    }
    if (!read_columns(c, m, err))
        return false;
    /* The id names the migration's own objects: take it in the transaction. */
    DbResult *r = db_query(c, "SELECT pg_catalog.nextval('pgstrata.migration_id_seq')", 0, NULL);
    if (!r)
        return fail(c, err, "could not number the migration");
    m->id = (int)db_get_ll(r, 0, 0, 0);
    db_clear(r);

    StrList sql = {NULL, 0};
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "CREATE TABLE ");
    sb_qualified(&sb, m->schema, m->new_table);
    sb_append(&sb, " (LIKE ");
    sb_qualified(&sb, m->schema, m->source);
    sb_append(&sb, " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING "
                   "IDENTITY INCLUDING STORAGE INCLUDING COMMENTS INCLUDING STATISTICS)"
                   " PARTITION BY RANGE (");
    sb_ident(&sb, m->key_column);
    sb_putc(&sb, ')');
    strlist_add(&sql, sb_steal(&sb));
    sb_append(&sb, "ALTER TABLE ");
    sb_qualified(&sb, m->schema, m->new_table);
    sb_append(&sb, " ALTER COLUMN ");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, " SET NOT NULL");
    strlist_add(&sql, sb_steal(&sb));
    for (size_t i = 0; i < ins->nparts; i++) {
        const NewPartition *np = &ins->parts[i];
        char name[PG_NAME_MAX + 1];
        snprintf(name, sizeof(name), "%s", np->name);
        if (!relation_exists(c, m->schema, name, &exists, err)) {
            strlist_free(&sql);
            sb_free(&sb);
            return false;
        }
        if (exists) /* a partition of the source has it: name it after the new tree */
            partition_name(m->new_table, p->key_type, &p->interval, np->lower, name);
        sb_append(&sb, "CREATE TABLE ");
        sb_qualified(&sb, m->schema, name);
        sb_append(&sb, " PARTITION OF ");
        sb_qualified(&sb, m->schema, m->new_table);
        sb_putc(&sb, ' ');
        sb_partition_bounds(&sb, p, np->lower, np->upper);
        strlist_add(&sql, sb_steal(&sb));
    }
    sb_free(&sb);
    StrList tables = {NULL, 0};
    bool ok = index_sql(c, m, &sql, err) && foreign_key_sql(c, m, &sql, err) &&
              capture_tables(c, m, &tables, err);
    if (ok) {
        strlist_add(&sql, msql_log_table(m, false));
        strlist_add(&sql, msql_capture_function(m, false));
        strlist_add(&sql, msql_replay_function(m, false, NULL));
        strlist_add(&sql, msql_backfill_function(m));
        StrBuf row;
        sb_init(&row);
        sb_printf(&row,
                  "INSERT INTO pgstrata.migration (id, schema, source, new_table, old_table,"
                  " key_column, key_type, kind, ident, ident_types, columns, step, rows_estimate)"
                  " VALUES (%d, ",
                  m->id);
        const char *vals[] = {m->schema,     m->source,   m->new_table,      m->old_table,
                              m->key_column, m->key_type, kind_word(m->kind)};
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
            sb_literal(&row, vals[i]);
            sb_append(&row, ", ");
        }
        const StrList *lists[] = {&m->ident, &m->ident_types, &m->columns};
        for (int l = 0; l < 3; l++) {
            char *arr = db_text_array((const char *const *)lists[l]->items, lists[l]->n);
            sb_literal(&row, arr);
            sb_append(&row, l < 2 ? "::text[], " : "::name[], ");
            free(arr);
        }
        sb_printf(&row, "'started', %.0f)", m->rows_estimate);
        strlist_add(&sql, row.data);
        StrList triggers = {NULL, 0};
        for (size_t i = 0; i < tables.n; i++)
            strlist_add(&triggers, msql_capture_trigger(m, false, tables.items[i]));
        /* the policy, for the new tree until cutover gives it the source's name */
        Policy np;
        policy_copy(&np, p);
        free(np.table);
        np.table = xstrdup(m->new_table);
        StartArgs a = {&sql, &np, &triggers};
        ok = with_retries(c, lock_timeout_ms, retry_budget_s, start_txn, &a, NULL, err);
        if (ok)
            failpoint_reach("migrate-start", "after-commit");
        policy_free(&np);
        strlist_free(&triggers);
    }
    strlist_free(&tables);
    strlist_free(&sql);
    return ok;
}

bool mstep_replay(Conn *c, const Migration *m, bool reverse, long long max_rows, long long *applied,
                  char **err)
{
    char *fn = msql_object(m, reverse ? "rreplay" : "replay");
    char *sql = max_rows > 0 ? xasprintf("SELECT %s(%lld)", fn, max_rows)
                             : xasprintf("SELECT %s(NULL)", fn);
    free(fn);
    DbResult *r = db_query(c, sql, 0, NULL);
    free(sql);
    const char *state = r ? NULL : conn_error_state(c);
    if (state && strcmp(state, "23514") == 0 && strstr(conn_error(c), "no partition")) {
        /* a write since start put a row where the table it is copied into
         * has no partition: say which, and what to do */
        char *detail = xstrdup_or_null(conn_error_detail(c));
        if (detail && *detail && detail[strlen(detail) - 1] == '.')
            detail[strlen(detail) - 1] = '\0';
        char *disp = ident_display(m->schema, reverse ? m->old_table : m->new_table);
        *err = xasprintf("could not apply the captured changes: a row written since the "
                         "migration started has a key no partition of %s holds%s%s%s; add a "
                         "partition for it (\"pgstrata maintain\" makes them up to the premake "
                         "horizon; a key beyond it needs one made by hand) or change the row, "
                         "then run this command again",
                         disp, detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
        free(disp);
        free(detail);
        return false;
    }
    if (!r)
        return fail(c, err, "could not apply the captured changes");
    *applied = db_get_ll(r, 0, 0, 0);
    db_clear(r);
    return true;
}

bool mstep_backlog(Conn *c, const Migration *m, bool reverse, long long *rows, double *lag_s,
                   char **err)
{
    char *log = msql_object(m, reverse ? "rlog" : "log");
    char *sql = xasprintf("SELECT count(*), COALESCE(pg_catalog.date_part('epoch',"
                          " pg_catalog.now() - min(at)), 0) FROM %s",
                          log);
    free(log);
    DbResult *r = db_query(c, sql, 0, NULL);
    free(sql);
    if (!r)
        return fail(c, err, "could not read the capture backlog");
    *rows = db_get_ll(r, 0, 0, 0);
    *lag_s = db_get_double(r, 0, 1, 0);
    db_clear(r);
    return true;
}

void verify_result_free(VerifyResult *v)
{
    for (size_t i = 0; i < v->nranges; i++) {
        free(v->ranges[i].lower);
        free(v->ranges[i].upper);
    }
    free(v->ranges);
    memset(v, 0, sizeof(*v));
}

/* count and digest per partition of the new tree, for rows of `table` not
 * in the change log (in flight), in the current snapshot. */
static char *verify_side_sql(const Migration *m, const char *table)
{
    char *log = msql_object(m, "log");
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "WITH b AS (SELECT pg_catalog.array_agg(x.lo ORDER BY x.lo) ||"
                   " pg_catalog.max(x.hi) AS th FROM (SELECT (g.m[1])::");
    sb_append(&sb, m->key_type);
    sb_append(&sb, " AS lo, (g.m[2])::");
    sb_append(&sb, m->key_type);
    sb_append(&sb, " AS hi FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid ="
                   " i.inhrelid, pg_catalog.regexp_match(pg_catalog.pg_get_expr(p.relpartbound,"
                   " p.oid), 'FROM \\(''?([^'')]*)''?\\) TO \\(''?([^'')]*)''?\\)') AS g(m)"
                   " WHERE i.inhparent = ");
    char *rel = NULL;
    {
        StrBuf q;
        sb_init(&q);
        sb_qualified(&q, m->schema, m->new_table);
        rel = q.data;
    }
    sb_literal(&sb, rel);
    free(rel);
    sb_append(&sb, "::pg_catalog.regclass) x)"
                   " SELECT pg_catalog.width_bucket(s.");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, ", b.th), count(*), COALESCE(sum(pg_catalog.hashtextextended(s::text, 0)), 0),"
                   " b.th[pg_catalog.width_bucket(s.");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, ", b.th)]::text, b.th[pg_catalog.width_bucket(s.");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, ", b.th) + 1]::text FROM ");
    sb_qualified(&sb, m->schema, table);
    sb_append(&sb, " s, b WHERE ");
    /* rows in flight: their replay will copy them again */
    if (m->ident.n > 1)
        sb_putc(&sb, '(');
    for (size_t i = 0; i < m->ident.n; i++) {
        sb_append(&sb, i ? ", s." : "s.");
        sb_ident(&sb, m->ident.items[i]);
    }
    if (m->ident.n > 1)
        sb_putc(&sb, ')');
    sb_append(&sb, " NOT IN (SELECT ");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "%sl.c%zu", i ? ", " : "", i + 1);
    sb_printf(&sb, " FROM %s l WHERE l.c1 IS NOT NULL) GROUP BY 1, 4, 5 ORDER BY 1", log);
    free(log);
    return sb.data;
}

bool mstep_verify(Conn *c, const Migration *m, VerifyResult *out, char **err)
{
    memset(out, 0, sizeof(*out));
    /* one snapshot for the source, the new tree and the log */
    if (!db_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        return fail(c, err, "could not start the check");
    char *src = verify_side_sql(m, m->source), *dst = verify_side_sql(m, m->new_table);
    char *log = msql_object(m, "log");
    char *inflight = xasprintf("SELECT count(*) FROM %s", log);
    free(log);
    DbResult *a = db_query(c, src, 0, NULL);
    DbResult *b = a ? db_query(c, dst, 0, NULL) : NULL;
    DbResult *f = b ? db_query(c, inflight, 0, NULL) : NULL;
    free(src);
    free(dst);
    free(inflight);
    bool ok = f != NULL;
    if (!ok)
        fail(c, err, "the check failed");
    failpoint_reach("migrate-verify", "in-check");
    db_exec(c, ok ? "COMMIT" : "ROLLBACK");
    if (ok) {
        out->in_flight = db_get_ll(f, 0, 0, 0);
        /* both sides are ordered by bucket: merge them */
        int i = 0, j = 0, na = db_rows(a), nb = db_rows(b);
        while (i < na || j < nb) {
            long long ka = i < na ? db_get_ll(a, i, 0, 0) : -1;
            long long kb = j < nb ? db_get_ll(b, j, 0, 0) : -1;
            bool take_a = i < na && (j >= nb || ka <= kb);
            bool take_b = j < nb && (i >= na || kb <= ka);
            long long rows_a = take_a ? db_get_ll(a, i, 1, 0) : 0;
            long long rows_b = take_b ? db_get_ll(b, j, 1, 0) : 0;
            const char *da = take_a ? db_get(a, i, 2) : "0", *dbv = take_b ? db_get(b, j, 2) : "0";
            long long bucket = take_a ? ka : kb;
            DbResult *which = take_a ? a : b;
            int row = take_a ? i : j;
            out->rows += rows_a;
            out->partitions++;
            if (bucket == 0 || !db_get(which, row, 4)) {
                out->outside += rows_a;
            } else if (rows_a != rows_b || strcmp(da, dbv) != 0) {
                out->ranges = xrealloc(out->ranges, (out->nranges + 1) * sizeof(VerifyRange));
                VerifyRange *vr = &out->ranges[out->nranges++];
                vr->lower = xstrdup_or_null(db_get(which, row, 3));
                vr->upper = xstrdup_or_null(db_get(which, row, 4));
                vr->source_rows = rows_a;
                vr->new_rows = rows_b;
                vr->digest_equal = strcmp(da, dbv) == 0;
            }
            if (take_a)
                i++;
            if (take_b)
                j++;
        }
    }
    db_clear(a);
    db_clear(b);
    db_clear(f);
    if (ok) {
        char *q = xasprintf("UPDATE pgstrata.migration SET verified_at = CASE WHEN %s THEN"
                            " pg_catalog.now() END, updated_at = pg_catalog.now() WHERE id = %d",
                            out->nranges == 0 && out->outside == 0 ? "true" : "false", m->id);
        if (!db_exec(c, q))
            ok = fail(c, err, "could not record the check");
        free(q);
    }
    return ok;
}

/* Statements that carry what depends on the table over to the one that
 * takes its name: read while the source still has it, run after the swap,
 * when the same text names the other table. Publications are left before
 * the swap (before) and joined after it (after). */
static bool carry_over_sql(Conn *c, const Migration *m, const char *from_table, bool skip_routing,
                           StrList *before, StrList *after, char **err)
{
    StrBuf q;
    sb_init(&q);
    sb_qualified(&q, m->schema, from_table);
    char *rel = q.data;
    const char *params[] = {rel, skip_routing ? "t" : "f"};
    DbResult *r = db_query(
        c,
        "WITH t AS (SELECT $1::pg_catalog.regclass AS oid)"
        /* views on it, recreated with their text (which names the table) */
        " SELECT 'after', 'CREATE OR REPLACE VIEW ' || v.oid::pg_catalog.regclass::text || ' AS ' "
        "||"
        "  pg_catalog.pg_get_viewdef(v.oid) FROM (SELECT DISTINCT r.ev_class AS oid FROM"
        "  pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid, t"
        "  WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refobjid = t.oid"
        "  AND r.ev_class <> t.oid) v JOIN pg_catalog.pg_class vc ON vc.oid = v.oid"
        "  WHERE vc.relkind = 'v'"
        /* user triggers (an inheritance parent's BEFORE INSERT row triggers route
         * rows to children: a declarative tree does that itself) */
        " UNION ALL SELECT 'after', pg_catalog.pg_get_triggerdef(tg.oid) FROM pg_catalog.pg_trigger"
        "  tg, t WHERE tg.tgrelid = t.oid AND NOT tg.tgisinternal AND tg.tgname NOT LIKE"
        "  'pgstrata\\_m%' AND NOT ($2::boolean AND (tg.tgtype & 7) = 7)"
        /* privileges and owner */
        " UNION ALL SELECT 'after', 'GRANT ' || a.privilege_type || ' ON ' || t.oid::text || ' TO '"
        "  || CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog."
        "  pg_get_userbyid(a.grantee)) END FROM pg_catalog.pg_class cl, t,"
        "  pg_catalog.aclexplode(cl.relacl) a WHERE cl.oid = t.oid"
        " UNION ALL SELECT 'after', 'ALTER TABLE ' || t.oid::text || ' OWNER TO ' ||"
        "  pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(cl.relowner)) FROM pg_catalog.pg_class"
        "  cl, t WHERE cl.oid = t.oid"
        " UNION ALL SELECT 'after', 'COMMENT ON TABLE ' || t.oid::text || ' IS ' ||"
        "  pg_catalog.quote_literal(d.description) FROM pg_catalog.pg_description d, t"
        "  WHERE d.objoid = t.oid AND d.objsubid = 0 AND d.classoid ="
        "  'pg_catalog.pg_class'::pg_catalog.regclass"
        /* row-level security and its policies */
        " UNION ALL SELECT 'after', 'ALTER TABLE ' || t.oid::text || ' ENABLE ROW LEVEL SECURITY'"
        "  FROM pg_catalog.pg_class cl, t WHERE cl.oid = t.oid AND cl.relrowsecurity"
        " UNION ALL SELECT 'after', 'CREATE POLICY ' || pg_catalog.quote_ident(p.polname) ||"
        "  ' ON ' || t.oid::text || CASE WHEN p.polpermissive THEN ' AS PERMISSIVE' ELSE"
        "  ' AS RESTRICTIVE' END || ' FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a'"
        "  THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END ||"
        "  ' TO ' || (SELECT pg_catalog.string_agg(CASE WHEN ro = 0 THEN 'PUBLIC' ELSE"
        "  pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(ro)) END, ', ') FROM"
        "  pg_catalog.unnest(p.polroles) ro) || COALESCE(' USING (' || pg_catalog.pg_get_expr("
        "  p.polqual, p.polrelid) || ')', '') || COALESCE(' WITH CHECK (' ||"
        "  pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')"
        "  FROM pg_catalog.pg_policy p, t WHERE p.polrelid = t.oid"
        /* publications */
        " UNION ALL SELECT 'before', 'ALTER PUBLICATION ' || pg_catalog.quote_ident(pu.pubname) ||"
        "  ' DROP TABLE ' || t.oid::text FROM pg_catalog.pg_publication_rel pr JOIN"
        "  pg_catalog.pg_publication pu ON pu.oid = pr.prpubid, t WHERE pr.prrelid = t.oid"
        " UNION ALL SELECT 'after', 'ALTER PUBLICATION ' || pg_catalog.quote_ident(pu.pubname) ||"
        "  ' ADD TABLE ' || t.oid::text FROM pg_catalog.pg_publication_rel pr JOIN"
        "  pg_catalog.pg_publication pu ON pu.oid = pr.prpubid, t WHERE pr.prrelid = t.oid",
        2, params);
    free(rel);
    if (!r)
        return fail(c, err, "could not read what depends on the table");
    for (int i = 0; i < db_rows(r); i++)
        strlist_add(strcmp(db_get(r, i, 0), "before") == 0 ? before : after,
                    xstrdup(db_get(r, i, 1)));
    db_clear(r);
    return true;
}

/* Sequences: a serial column's sequence is owned by the table that takes the
 * name; an identity column's sequence of that table continues from the
 * other's. The statements name to_table by the name it has before the swap. */
static bool sequence_sql(Conn *c, const Migration *m, const char *from_table, const char *to_table,
                         StrList *out, char **err)
{
    StrBuf a, b;
    sb_init(&a);
    sb_init(&b);
    sb_qualified(&a, m->schema, from_table);
    sb_qualified(&b, m->schema, to_table);
    const char *params[] = {a.data, b.data};
    DbResult *r = db_query(
        c,
        "SELECT CASE WHEN at.attidentity <> '' THEN"
        "  'SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(' ||"
        "  pg_catalog.quote_literal($2) || ', ' || pg_catalog.quote_literal(at.attname) || '), ' ||"
        "  (SELECT COALESCE(s.last_value, s.start_value) FROM pg_catalog.pg_sequences s WHERE"
        "  (pg_catalog.quote_ident(s.schemaname) || '.' || pg_catalog.quote_ident(s.sequencename))"
        "  ::pg_catalog.regclass = d.objid) || ')'"
        " ELSE 'ALTER SEQUENCE ' || d.objid::pg_catalog.regclass::text || ' OWNED BY ' || $2 ||"
        "  '.' || pg_catalog.quote_ident(at.attname) END"
        " FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute at ON at.attrelid ="
        "  d.refobjid AND at.attnum = d.refobjsubid"
        " JOIN pg_catalog.pg_class sq ON sq.oid = d.objid AND sq.relkind = 'S'"
        " WHERE d.refobjid = $1::pg_catalog.regclass AND d.classid ="
        "  'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')",
        2, params);
    sb_free(&a);
    sb_free(&b);
    if (!r)
        return fail(c, err, "could not read the sequences");
    for (int i = 0; i < db_rows(r); i++)
        strlist_add(out, xstrdup(db_get(r, i, 0)));
    db_clear(r);
    return true;
}

static void add_rename(StrList *l, const char *schema, const char *from, const char *to)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "ALTER TABLE ");
    sb_qualified(&sb, schema, from);
    sb_append(&sb, " RENAME TO ");
    sb_ident(&sb, to);
    strlist_add(l, sb.data);
}

/* LOCK TABLE locks the table, then its partitions or children: the order
 * the application's writes take them in. */
static void add_lock(StrList *l, const char *schema, const char *table, const char *mode)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "LOCK TABLE ");
    sb_qualified(&sb, schema, table);
    sb_printf(&sb, " IN %s MODE", mode);
    strlist_add(l, sb.data);
}

/* Dropping a capture function drops its triggers, and dropping a trigger
 * takes ACCESS EXCLUSIVE on its table; on a partitioned table or an
 * inheritance parent the triggers of the partitions or children are reached
 * in no particular order, so a write holding one partition and waiting for
 * another deadlocks with the drop (which then times out on every retry under
 * a steady writer). Locking the table first makes the drop take its locks in
 * the writers' order. */
static void add_lock_for_drop(StrList *l, const Migration *m)
{
    add_lock(l, m->schema, m->source, "ACCESS EXCLUSIVE");
}

/* The children of an inheritance source, each with its CHECK constraints as
 * one condition, for the reverse replay (see ChildRoutes). */
static bool child_routes(Conn *c, const Migration *m, ChildRoutes *out, char **err)
{
    StrBuf sb;
    sb_init(&sb);
    sb_qualified(&sb, m->schema, m->source);
    char *ident = db_text_array((const char *const *)m->ident.items, m->ident.n);
    const char *params[] = {sb.data, ident};
    DbResult *r = db_query(
        c,
        "SELECT i.inhrelid::pg_catalog.regclass::text, COALESCE((SELECT"
        " pg_catalog.string_agg('(' || pg_catalog.pg_get_expr(co.conbin, co.conrelid) ||"
        " ') IS NOT FALSE', ' AND ' ORDER BY co.conname) FROM pg_catalog.pg_constraint co"
        " WHERE co.conrelid = i.inhrelid AND co.contype = 'c'), 'true'),"
        /* a unique index on the identity's columns alone */
        " EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = i.inhrelid AND"
        " x.indisunique AND x.indpred IS NULL AND x.indexprs IS NULL AND x.indnatts ="
        " x.indnkeyatts AND (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attname)"
        " FROM pg_catalog.pg_attribute a WHERE a.attrelid = x.indrelid AND a.attnum = ANY"
        " (x.indkey)) = (SELECT pg_catalog.array_agg(n ORDER BY n) FROM pg_catalog.unnest("
        "$2::text[]) n)) FROM pg_catalog.pg_inherits i WHERE i.inhparent ="
        " $1::pg_catalog.regclass ORDER BY i.inhseqno, 1",
        2, params);
    sb_free(&sb);
    free(ident);
    if (!r)
        return fail(c, err, "could not read the child tables");
    for (int i = 0; i < db_rows(r); i++) {
        strlist_add(&out->tables, xstrdup(db_get(r, i, 0)));
        strlist_add(&out->when, xstrdup(db_get(r, i, 1)));
        strlist_add(&out->keyed, xstrdup(db_get_bool(r, i, 2) ? "t" : "f"));
    }
    db_clear(r);
    return true;
}

/* A policy following a table's name, or going with the table. */
static char *policy_rename_sql(const Migration *m, const char *from, const char *to)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "UPDATE pgstrata.policy SET parent_table = ");
    sb_literal(&sb, to);
    sb_append(&sb, ", updated_at = pg_catalog.now() WHERE parent_schema = ");
    sb_literal(&sb, m->schema);
    sb_append(&sb, " AND parent_table = ");
    sb_literal(&sb, from);
    return sb.data;
}

static char *policy_delete_sql(const Migration *m, const char *table)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "DELETE FROM pgstrata.policy WHERE parent_schema = ");
    sb_literal(&sb, m->schema);
    sb_append(&sb, " AND parent_table = ");
    sb_literal(&sb, table);
    return sb.data;
}

typedef struct SwapArgs {
    Migration *m;
    bool back;           /* rollback after cutover */
    int lock_timeout_ms; /* the table's; the sequences get less (sequences_now) */
} SwapArgs;

/* The longest a swap waits for a sequence it changes. */
#define SEQUENCE_LOCK_TIMEOUT_MS 50

/* Moves the sequences over, first thing under the table's lock. ALTER
 * SEQUENCE waits for every transaction that drew a value (nextval holds the
 * sequence until commit); one that did so before writing the table is queued
 * behind our lock, and waiting for it is a deadlock that the server breaks by
 * failing one of the two, often the application's transaction. A short wait
 * instead: when the sequence is busy the attempt fails (lock_not_available),
 * the table is let go, and with_retries tries again. */
static bool sequences_now(Conn *c, const SwapArgs *sa, const char *other, char **err)
{
    StrList seq = {NULL, 0};
    if (!sequence_sql(c, sa->m, sa->m->source, other, &seq, err))
        return false;
    char set[64];
    snprintf(set, sizeof(set), "SET LOCAL lock_timeout = %d", SEQUENCE_LOCK_TIMEOUT_MS);
    bool ok = seq.n == 0 || db_exec(c, set);
    for (size_t i = 0; ok && i < seq.n; i++)
        ok = db_exec(c, seq.items[i]);
    snprintf(set, sizeof(set), "SET LOCAL lock_timeout = %d", sa->lock_timeout_ms);
    ok = ok && (seq.n == 0 || db_exec(c, set));
    strlist_free(&seq);
    return ok || fail(c, err, "could not move the sequences over");
}

/* One attempt at the swap, in one transaction. */
static bool swap_txn(Conn *c, void *arg, char **err)
{
    SwapArgs *sa = arg;
    Migration *m = sa->m;
    bool back = sa->back;
    const char *fp = back ? "migrate-rollback" : "migrate-cutover";
    /* The table with the name (forward the source, back the new tree) is
     * locked for the whole swap, ACCESS EXCLUSIVE from the start: the renames
     * and the trigger drops need it, and a transaction holding EXCLUSIVE (writes
     * wait, reads go on) that then asks for ACCESS EXCLUSIVE deadlocks with
     * every application transaction that read the table and is about to write
     * it; the server fails those at once. The locked part is short: the log was
     * drained before. */
    if (!db_exec_script(c, "BEGIN; SET LOCAL client_min_messages = warning"))
        return fail(c, err, "could not begin");
    StrList lock = {NULL, 0};
    add_lock(&lock, m->schema, m->source, "ACCESS EXCLUSIVE");
    bool ok = db_exec(c, lock.items[0]);
    strlist_free(&lock);
    if (!ok) {
        fail(c, err, "could not lock the table");
        db_exec(c, "ROLLBACK");
        return false;
    }
    failpoint_reach(fp, "after-lock");
    long long applied = 0;
    StrList before = {NULL, 0}, after = {NULL, 0};
    const char *other = back ? m->old_table : m->new_table;
    ChildRoutes routes = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    ok = sequences_now(c, sa, other, err) && mstep_replay(c, m, back, 0, &applied, err) &&
         carry_over_sql(c, m, m->source, !back && m->kind == SOURCE_INHERITANCE, &before, &after,
                        err) &&
         (back || m->kind != SOURCE_INHERITANCE || child_routes(c, m, &routes, err));
    StrList sql = {NULL, 0};
    if (ok) {
        for (size_t i = 0; i < before.n; i++)
            strlist_add(&sql, xstrdup(before.items[i]));
        /* the capture of this direction stops with the swap */
        strlist_add(&sql, msql_drop_objects(m, back));
        const char *parked = back ? m->new_table : m->old_table;
        add_rename(&sql, m->schema, m->source, parked);
        add_rename(&sql, m->schema, other, m->source);
        for (size_t i = 0; i < after.n; i++)
            strlist_add(&sql, xstrdup(after.items[i]));
        StrBuf sb;
        sb_init(&sb);
        if (!back) {
            /* capture in reverse, so a rollback loses nothing written from now on */
            strlist_add(&sql, msql_log_table(m, true));
            strlist_add(&sql, msql_capture_function(m, true));
            strlist_add(&sql, msql_replay_function(m, true, &routes));
            strlist_add(&sql, msql_capture_trigger(m, true, m->source));
            /* the policy follows the name; the source's own (a managed
             * partitioned source) is parked with the old table, for a rollback */
            strlist_add(&sql, policy_rename_sql(m, m->source, m->old_table));
            strlist_add(&sql, policy_rename_sql(m, m->new_table, m->source));
            sb_printf(&sb,
                      "UPDATE pgstrata.migration SET step = 'cutover', cutover_at ="
                      " pg_catalog.now(), updated_at = pg_catalog.now() WHERE id = %d",
                      m->id);
        } else {
            strlist_add(&sql, policy_delete_sql(m, m->source));
            strlist_add(&sql, policy_rename_sql(m, m->old_table, m->source));
            sb_append(&sb, "DROP TABLE ");
            sb_qualified(&sb, m->schema, m->new_table);
            strlist_add(&sql, sb_steal(&sb));
            sb_printf(&sb,
                      "UPDATE pgstrata.migration SET step = 'rolled_back', finished_at ="
                      " pg_catalog.now(), updated_at = pg_catalog.now() WHERE id = %d",
                      m->id);
        }
        strlist_add(&sql, sb.data);
        for (size_t i = 0; ok && i < sql.n; i++)
            if (!db_exec_script(c, sql.items[i]))
                ok = fail(c, err, back ? "rollback failed" : "cutover failed");
    }
    strlist_free(&before);
    strlist_free(&after);
    child_routes_free(&routes);
    strlist_free(&sql);
    if (ok)
        failpoint_reach(fp, "after-swap");
    if (ok && !db_exec(c, "COMMIT"))
        ok = fail(c, err, "could not commit");
    if (!ok)
        db_exec(c, "ROLLBACK");
    return ok;
}

bool mstep_drain(Conn *c, const Migration *m, bool reverse, char **err)
{
    long long applied;
    do {
        if (!mstep_replay(c, m, reverse, 10000, &applied, err))
            return false;
    } while (applied >= 10000 && !interrupted());
    return true;
}

bool mstep_cutover(Conn *c, Migration *m, int lock_timeout_ms, double retry_budget_s, int *attempts,
                   char **err)
{
    /* already swapped (a run killed after its commit): only the ANALYZE is left */
    if (strcmp(m->step, "cutover") != 0) {
        /* outside the lock first, so the locked part is short */
        if (!mstep_drain(c, m, false, err))
            return false;
        failpoint_reach("migrate-cutover", "after-drain");
        SwapArgs sa = {m, false, lock_timeout_ms};
        if (!with_retries(c, lock_timeout_ms, retry_budget_s, swap_txn, &sa, attempts, err))
            return false;
        failpoint_reach("migrate-cutover", "after-commit");
        free(m->step);
        m->step = xstrdup("cutover");
    }
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "ANALYZE ");
    sb_qualified(&sb, m->schema, m->source);
    if (!db_exec(c, sb.data))
        fprintf(stderr, "pgstrata: warning: could not analyze the new table: %s\n", conn_error(c));
    sb_free(&sb);
    return true;
}

typedef struct DropArgs {
    StrList *sql;
    const char *step; /* for its failpoint */
} DropArgs;

static bool drop_txn(Conn *c, void *arg, char **err)
{
    DropArgs *d = arg;
    StrBuf sb;
    sb_init(&sb);
    /* no NOTICE of the triggers the capture function's CASCADE takes along */
    sb_append(&sb, "BEGIN;\nSET LOCAL client_min_messages = warning;\n");
    for (size_t i = 0; i < d->sql->n; i++)
        sb_printf(&sb, "%s;\n", d->sql->items[i]);
    bool ok = db_exec_script(c, sb.data);
    sb_free(&sb);
    if (ok) /* done and not committed: what a kill here leaves */
        failpoint_reach(d->step, "after-drop");
    if (!ok || !db_exec(c, "COMMIT")) {
        fail(c, err, "could not drop");
        db_exec(c, "ROLLBACK");
        return false;
    }
    return true;
}

/* Drops a table with its inheritance children (a declarative tree's
 * partitions go with it). */
static void add_drop_tree(Conn *c, const Migration *m, const char *table, StrList *sql)
{
    StrBuf sb;
    sb_init(&sb);
    sb_qualified(&sb, m->schema, table);
    const char *params[] = {sb.data};
    DbResult *r = db_query(c,
                           "SELECT i.inhrelid::pg_catalog.regclass::text FROM"
                           " pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid ="
                           " i.inhparent WHERE i.inhparent = $1::pg_catalog.regclass AND"
                           " p.relkind = 'r'",
                           1, params);
    for (int i = 0; r && i < db_rows(r); i++)
        strlist_add(sql, xasprintf("DROP TABLE %s", db_get(r, i, 0)));
    db_clear(r);
    strlist_add(sql, xasprintf("DROP TABLE %s", sb.data));
    sb_free(&sb);
}

bool mstep_rollback(Conn *c, Migration *m, int lock_timeout_ms, double retry_budget_s, char **err)
{
    if (strcmp(m->step, "cutover") == 0) {
        if (!mstep_drain(c, m, true, err))
            return false;
        failpoint_reach("migrate-rollback", "after-drain");
        SwapArgs sa = {m, true, lock_timeout_ms};
        return with_retries(c, lock_timeout_ms, retry_budget_s, swap_txn, &sa, NULL, err);
    }
    if (strcmp(m->step, "started") != 0) {
        *err = xasprintf("the migration is %s: nothing to roll back", m->step);
        return false;
    }
    StrList sql = {NULL, 0};
    add_lock_for_drop(&sql, m);
    strlist_add(&sql, msql_drop_objects(m, false)); /* the triggers go with their function */
    add_drop_tree(c, m, m->new_table, &sql);
    strlist_add(&sql, policy_delete_sql(m, m->new_table));
    strlist_add(&sql, xasprintf("UPDATE pgstrata.migration SET step = 'rolled_back', finished_at "
                                "= pg_catalog.now(), updated_at = pg_catalog.now() WHERE id = %d",
                                m->id));
    DropArgs d = {&sql, "migrate-rollback"};
    bool ok = with_retries(c, lock_timeout_ms, retry_budget_s, drop_txn, &d, NULL, err);
    strlist_free(&sql);
    return ok;
}

bool mstep_archive_old(Conn *c, const Migration *m, const char *command_template, char **err)
{
    char *disp = ident_display(m->schema, m->old_table);
    char *cmd = archive_command(command_template, disp, "the whole table");
    StrBuf sql;
    sb_init(&sql);
    sb_append(&sql, "COPY (SELECT * FROM ");
    sb_qualified(&sql, m->schema, m->old_table);
    sb_append(&sql, ") TO STDOUT");
    char *how = NULL;
    PipeResult pr = copy_to_command(c, sql.data, cmd, NULL, &how);
    if (pr == PIPE_NOT_STARTED)
        *err = xasprintf("could not start the archive command: %s", how);
    else if (pr == PIPE_COMMAND_FAILED)
        *err = xasprintf("the archive command failed (%s); %s is kept, and the next \"pgstrata "
                         "migrate finish\" archives it again",
                         how, disp);
    else if (pr == PIPE_COPY_FAILED)
        *err = xasprintf("could not copy %s to the archive command: %s", disp, conn_error(c));
    free(how);
    bool ok = pr == PIPE_OK;
    sb_free(&sql);
    free(cmd);
    free(disp);
    return ok;
}

bool mstep_finish(Conn *c, Migration *m, const char *keep_old, int lock_timeout_ms,
                  double retry_budget_s, bool *dropped, char **err)
{
    *dropped = false;
    StrList sql = {NULL, 0};
    if (strcmp(m->step, "cutover") == 0) {
        add_lock_for_drop(&sql, m);
        strlist_add(&sql, msql_drop_objects(m, true));
        /* the source's own policy, parked at cutover: the old table is retired */
        strlist_add(&sql, policy_delete_sql(m, m->old_table));
    } else if (strcmp(m->step, "old_kept") != 0) {
        *err = xasprintf("the migration is %s; finish comes after cutover", m->step);
        return false;
    }
    if (keep_old) {
        StrBuf sb;
        sb_init(&sb);
        sb_printf(&sb, "UPDATE pgstrata.migration SET step = 'old_kept', keep_old_until = "
                       "pg_catalog.now() + ");
        sb_literal(&sb, keep_old);
        sb_printf(&sb, "::interval, updated_at = pg_catalog.now() WHERE id = %d", m->id);
        strlist_add(&sql, sb.data);
    } else {
        add_drop_tree(c, m, m->old_table, &sql);
        strlist_add(&sql, xasprintf("UPDATE pgstrata.migration SET step = 'finished', finished_at "
                                    "= pg_catalog.now(), updated_at = pg_catalog.now() WHERE id = "
                                    "%d",
                                    m->id));
    }
    DropArgs d = {&sql, "migrate-finish"};
    bool ok = with_retries(c, lock_timeout_ms, retry_budget_s, drop_txn, &d, NULL, err);
    if (ok)
        failpoint_reach("migrate-finish", "after-commit");
    strlist_free(&sql);
    *dropped = ok && !keep_old;
    return ok;
}

bool mstep_busy_tables(Conn *c, StrList *schemas, StrList *tables, bool **frozen, char **err)
{
    DbResult *r = db_query(c,
                           "SELECT m.schema, v.name, v.frozen FROM pgstrata.migration m"
                           " CROSS JOIN LATERAL (VALUES (m.source, false), (m.new_table, false),"
                           "  (m.old_table, true)) AS v(name, frozen)"
                           " WHERE (m.step = 'started' AND NOT v.frozen)"
                           "  OR (m.step = 'cutover' AND (v.name = m.source OR v.frozen))",
                           0, NULL);
    if (!r)
        return fail(c, err, "could not read pgstrata.migration");
    *frozen = xcalloc((size_t)db_rows(r) + 1, sizeof(bool));
    for (int i = 0; i < db_rows(r); i++) {
        strlist_add(schemas, xstrdup(db_get(r, i, 0)));
        strlist_add(tables, xstrdup(db_get(r, i, 1)));
        (*frozen)[i] = db_get_bool(r, i, 2);
    }
    db_clear(r);
    return true;
}
