/* The SQL of a migration's own objects (see migrate.h). The capture trigger
 * records only the identity and key of each changed row, old and new: a
 * small insert per write, whatever the row's width. Replay deletes those
 * rows from the copy and copies them again from the table they changed in,
 * so replaying a key twice, or after the backfill copied it, changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/migrate.h"
#include "core/strbuf.h"

void migration_free(Migration *m)
{
    free(m->schema);
    free(m->source);
    free(m->new_table);
    free(m->old_table);
    free(m->key_column);
    free(m->key_type);
    strlist_free(&m->ident);
    strlist_free(&m->ident_types);
    strlist_free(&m->columns);
    free(m->step);
    free(m->keep_old_until);
    memset(m, 0, sizeof(*m));
}

char *msql_object(const Migration *m, const char *what)
{
    char name[64];
    snprintf(name, sizeof(name), "m%d_%s", m->id, what);
    StrBuf sb;
    sb_init(&sb);
    sb_qualified(&sb, "pgstrata", name);
    return sb.data;
}

/* The table rows are read from, and the one they are copied into. */
static void direction(const Migration *m, bool reverse, const char **from, const char **to)
{
    *from = m->source; /* forward: the source; reverse: the new tree, renamed to it */
    *to = reverse ? m->old_table : m->new_table;
}

static const char *suffix(bool reverse, const char *fwd, const char *rev)
{
    return reverse ? rev : fwd;
}

/* (alias."a", alias."b") or alias."a" */
static void sb_ident_tuple(StrBuf *sb, const Migration *m, const char *alias)
{
    if (m->ident.n > 1)
        sb_putc(sb, '(');
    for (size_t i = 0; i < m->ident.n; i++) {
        if (i)
            sb_append(sb, ", ");
        sb_printf(sb, "%s.", alias);
        sb_ident(sb, m->ident.items[i]);
    }
    if (m->ident.n > 1)
        sb_putc(sb, ')');
}

static void sb_column_list(StrBuf *sb, const Migration *m, const char *alias)
{
    for (size_t i = 0; i < m->columns.n; i++) {
        if (i)
            sb_append(sb, ", ");
        if (alias)
            sb_printf(sb, "%s.", alias);
        sb_ident(sb, m->columns.items[i]);
    }
}

char *msql_log_table(const Migration *m, bool reverse)
{
    char *log = msql_object(m, suffix(reverse, "log", "rlog"));
    StrBuf sb;
    sb_init(&sb);
    /* No index: it is appended to by every write and read whole, in batches. */
    sb_printf(&sb, "CREATE TABLE %s (", log);
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "c%zu %s, ", i + 1, m->ident_types.items[i]);
    sb_printf(&sb, "k %s, at timestamptz NOT NULL DEFAULT pg_catalog.now())", m->key_type);
    free(log);
    return sb.data;
}

/* INSERT INTO log VALUES (REC."a", REC."k") */
static void sb_log_insert(StrBuf *sb, const Migration *m, const char *log, const char *rec)
{
    sb_printf(sb, "INSERT INTO %s (", log);
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(sb, "c%zu, ", i + 1);
    sb_append(sb, "k) VALUES (");
    for (size_t i = 0; i < m->ident.n; i++) {
        sb_printf(sb, "%s.", rec);
        sb_ident(sb, m->ident.items[i]);
        sb_append(sb, ", ");
    }
    sb_printf(sb, "%s.", rec);
    sb_ident(sb, m->key_column);
    sb_append(sb, ");\n");
}

/* Function bodies are dollar-quoted with a tag no quoted identifier can end. */
#define BODY_TAG "$pgstrata$"
/* The statements of the batch and replay functions are planned for their
 * values every time: after five calls in a session PL/pgSQL may switch to a
 * generic plan, which cannot use "lo IS NULL OR id > lo" to pick a range and
 * so scans every partition of the copy in each batch. */
#define CUSTOM_PLANS "SET plan_cache_mode = force_custom_plan"

char *msql_capture_function(const Migration *m, bool reverse)
{
    char *fn = msql_object(m, suffix(reverse, "capture", "rcapture"));
    char *log = msql_object(m, suffix(reverse, "log", "rlog"));
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb,
              "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS " BODY_TAG "\nBEGIN\n"
              "IF TG_OP <> 'INSERT' THEN\n",
              fn);
    sb_log_insert(&sb, m, log, "OLD");
    /* an update that keeps identity and key needs one row, not two */
    sb_append(&sb, "IF TG_OP = 'UPDATE' AND ");
    sb_ident_tuple(&sb, m, "OLD");
    sb_append(&sb, " IS NOT DISTINCT FROM ");
    sb_ident_tuple(&sb, m, "NEW");
    sb_append(&sb, " AND OLD.");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, " IS NOT DISTINCT FROM NEW.");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, " THEN RETURN NULL; END IF;\nEND IF;\nIF TG_OP <> 'DELETE' THEN\n");
    sb_log_insert(&sb, m, log, "NEW");
    sb_append(&sb, "END IF;\nRETURN NULL;\nEND\n" BODY_TAG);
    free(fn);
    free(log);
    return sb.data;
}

char *msql_capture_trigger(const Migration *m, bool reverse, const char *table)
{
    char *fn = msql_object(m, suffix(reverse, "capture", "rcapture"));
    char name[64];
    snprintf(name, sizeof(name), "pgstrata_m%d_%s", m->id, suffix(reverse, "capture", "rcapture"));
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "CREATE TRIGGER ");
    sb_ident(&sb, name);
    sb_append(&sb, " AFTER INSERT OR UPDATE OR DELETE ON ");
    sb_qualified(&sb, m->schema, table);
    sb_printf(&sb, " FOR EACH ROW EXECUTE FUNCTION %s()", fn);
    free(fn);
    return sb.data;
}

/* WHERE-side list of the identities in arrays a1..an: (x.c1, x.c2) */
static void sb_unnest_ident(StrBuf *sb, const Migration *m)
{
    sb_append(sb, "SELECT DISTINCT ");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(sb, "%sx.c%zu", i ? ", " : "", i + 1);
    sb_append(sb, " FROM unnest(");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(sb, "%sa%zu", i ? ", " : "", i + 1);
    sb_append(sb, ") AS x(");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(sb, "%sc%zu", i ? ", " : "", i + 1);
    sb_putc(sb, ')');
}

/* INSERT INTO to (cols) OVERRIDING SYSTEM VALUE SELECT s.cols FROM from s */
static void sb_copy_rows(StrBuf *sb, const Migration *m, const char *from, const char *to)
{
    sb_append(sb, "INSERT INTO ");
    sb_qualified(sb, m->schema, to);
    sb_append(sb, " (");
    sb_column_list(sb, m, NULL);
    sb_append(sb, ") OVERRIDING SYSTEM VALUE SELECT ");
    sb_column_list(sb, m, "s");
    sb_append(sb, " FROM ");
    sb_qualified(sb, m->schema, from);
    sb_append(sb, " s");
}

void child_routes_free(ChildRoutes *r)
{
    strlist_free(&r->tables);
    strlist_free(&r->when);
    strlist_free(&r->keyed);
}

/* A batch of the log can hold one of the two log rows of a key-moving update
 * without the other (max_rows cuts between them, or the second landed in an
 * earlier page than the first and is read first). Then the copy may hold the
 * row already where the batch puts it: at the same identity and key when the
 * backfill copied it after the update; at the same identity when the log row
 * of the old key, still to come, is the one to delete it (the old table's
 * unique key is the identity alone). Inserting it again failed, every time,
 * so the log never drained. The version in the copy stays instead, until the
 * batch with the other log row replaces it. Only a conflict on that key is
 * skipped: any other unique index still fails loudly. */
static void sb_on_conflict(StrBuf *sb, const Migration *m, bool with_key)
{
    sb_append(sb, " ON CONFLICT (");
    bool has_key = false;
    for (size_t i = 0; i < m->ident.n; i++) {
        sb_append(sb, i ? ", " : "");
        sb_ident(sb, m->ident.items[i]);
        has_key = has_key || strcmp(m->ident.items[i], m->key_column) == 0;
    }
    if (with_key && !has_key) {
        sb_append(sb, ", ");
        sb_ident(sb, m->key_column);
    }
    sb_append(sb, ") DO NOTHING");
}

/* The copy of the rows into an inheritance set: each into the first child
 * whose condition it meets, the others into the parent (to). */
static void sb_copy_rows_routed(StrBuf *sb, const Migration *m, const char *from, const char *to,
                                const ChildRoutes *routes)
{
    sb_append(sb, "WITH r AS (SELECT ");
    sb_column_list(sb, m, "s");
    sb_append(sb, ", CASE");
    for (size_t i = 0; i < routes->tables.n; i++)
        sb_printf(sb, " WHEN %s THEN %zu", routes->when.items[i], i + 1);
    sb_append(sb, " ELSE 0 END AS pgstrata_child FROM ");
    sb_qualified(sb, m->schema, from);
    sb_append(sb, " s WHERE ");
    sb_ident_tuple(sb, m, "s");
    sb_append(sb, " IN (");
    sb_unnest_ident(sb, m);
    sb_append(sb, "))");
    for (size_t i = 0; i <= routes->tables.n; i++) {
        if (i < routes->tables.n)
            sb_printf(sb, ", i%zu AS (INSERT INTO %s (", i + 1, routes->tables.items[i]);
        else {
            sb_append(sb, "\nINSERT INTO ");
            sb_qualified(sb, m->schema, to);
            sb_append(sb, " (");
        }
        sb_column_list(sb, m, NULL);
        sb_append(sb, ") OVERRIDING SYSTEM VALUE SELECT ");
        sb_column_list(sb, m, "r");
        sb_printf(sb, " FROM r WHERE r.pgstrata_child = %zu", i < routes->tables.n ? i + 1 : 0);
        /* a child without a unique index on the identity has no conflict to skip */
        if (i == routes->tables.n || strcmp(routes->keyed.items[i], "t") == 0)
            sb_on_conflict(sb, m, false);
        if (i < routes->tables.n)
            sb_putc(sb, ')');
    }
}

char *msql_replay_function(const Migration *m, bool reverse, const ChildRoutes *routes)
{
    const char *from, *to;
    direction(m, reverse, &from, &to);
    char *fn = msql_object(m, suffix(reverse, "replay", "rreplay"));
    char *log = msql_object(m, suffix(reverse, "log", "rlog"));
    StrBuf sb;
    sb_init(&sb);
    /* max_rows NULL: everything (cutover, under the lock). Returns the log rows applied. */
    sb_printf(&sb,
              "CREATE OR REPLACE FUNCTION %s(max_rows bigint) RETURNS bigint LANGUAGE "
              "plpgsql " CUSTOM_PLANS " AS " BODY_TAG "\n#variable_conflict use_variable\n"
              "\nDECLARE\n",
              fn);
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "a%zu %s[];\n", i + 1, m->ident_types.items[i]);
    sb_printf(&sb, "ak %s[];\nBEGIN\n", m->key_type);
    /* before anything is read: waits for the backfill batches running (see
     * msql_backfill_function) */
    if (!reverse)
        sb_printf(&sb, "PERFORM pg_catalog.pg_advisory_xact_lock(%d, %d);\n", MSQL_LOCK_KEY, m->id);
    sb_printf(&sb,
              "WITH d AS (DELETE FROM %s WHERE ctid = ANY (ARRAY(SELECT ctid "
              "FROM %s LIMIT max_rows)) RETURNING *)\nSELECT ",
              log, log);
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "pg_catalog.array_agg(d.c%zu), ", i + 1);
    sb_append(&sb, "pg_catalog.array_agg(d.k) INTO ");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "a%zu, ", i + 1);
    sb_append(&sb, "ak FROM d;\nIF ak IS NULL THEN RETURN 0; END IF;\n");
    /* the copy's versions of those rows: at an identity and key some change had */
    sb_append(&sb, "DELETE FROM ");
    sb_qualified(&sb, m->schema, to);
    sb_append(&sb, " t USING unnest(");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "a%zu, ", i + 1);
    sb_append(&sb, "ak) AS x(");
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(&sb, "c%zu, ", i + 1);
    sb_append(&sb, "k) WHERE ");
    for (size_t i = 0; i < m->ident.n; i++) {
        sb_append(&sb, "t.");
        sb_ident(&sb, m->ident.items[i]);
        sb_printf(&sb, " = x.c%zu AND ", i + 1);
    }
    sb_append(&sb, "t.");
    sb_ident(&sb, m->key_column);
    sb_append(&sb, " = x.k;\n");
    /* and what those rows are now */
    if (routes && routes->tables.n) {
        sb_copy_rows_routed(&sb, m, from, to, routes);
    } else {
        sb_copy_rows(&sb, m, from, to);
        sb_append(&sb, " WHERE ");
        sb_ident_tuple(&sb, m, "s");
        sb_append(&sb, " IN (");
        sb_unnest_ident(&sb, m);
        sb_putc(&sb, ')');
        /* forward the new tree's primary key is the identity and the key;
         * backward the old table's is the identity */
        sb_on_conflict(&sb, m, !reverse);
    }
    sb_append(&sb, ";\nRETURN pg_catalog.cardinality(ak);\nEND\n" BODY_TAG);
    free(fn);
    free(log);
    return sb.data;
}

/* (s."a", s."b") > (cur[1]::t1, cur[2]::t2) */
static void sb_cursor_cmp(StrBuf *sb, const Migration *m, const char *op, const char *arr)
{
    sb_ident_tuple(sb, m, "s");
    sb_printf(sb, " %s ", op);
    if (m->ident.n > 1)
        sb_putc(sb, '(');
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(sb, "%s%s[%zu]::%s", i ? ", " : "", arr, i + 1, m->ident_types.items[i]);
    if (m->ident.n > 1)
        sb_putc(sb, ')');
}

/* (lo IS NULL OR s.ident > lo) AND (hi IS NULL OR s.ident <= hi) */
static void sb_chunk_where(StrBuf *sb, const Migration *m, const char *lo, const char *hi)
{
    sb_printf(sb, " WHERE (%s IS NULL OR ", lo);
    sb_cursor_cmp(sb, m, ">", lo);
    sb_printf(sb, ") AND (%s IS NULL OR ", hi);
    sb_cursor_cmp(sb, m, "<=", hi);
    sb_putc(sb, ')');
}

/* (a[1]::t1, a[2]::t2) */
static void sb_typed_tuple(StrBuf *sb, const Migration *m, const char *arr)
{
    sb_putc(sb, '(');
    for (size_t i = 0; i < m->ident.n; i++)
        sb_printf(sb, "%s%s[%zu]::%s", i ? ", " : "", arr, i + 1, m->ident_types.items[i]);
    sb_putc(sb, ')');
}

/* The cursor moves to mark only forwards: batches of a parallel backfill
 * commit in any order, and a mark can only say less than a later one. */
static void sb_advance_cursor(StrBuf *sb, const Migration *m, const char *mark, const char *fin)
{
    sb_printf(sb,
              "backfill_cursor = CASE WHEN %s IS NULL THEN backfill_cursor WHEN "
              "backfill_cursor IS NULL OR ",
              mark);
    if (m->ident.n == 1) {
        sb_printf(sb, "%s[1]::%s > backfill_cursor[1]::%s", mark, m->ident_types.items[0],
                  m->ident_types.items[0]);
    } else {
        sb_typed_tuple(sb, m, mark);
        sb_append(sb, " > ");
        sb_typed_tuple(sb, m, "backfill_cursor");
    }
    sb_printf(sb, " THEN %s ELSE backfill_cursor END, backfill_done = backfill_done OR %s", mark,
              fin);
}

char *msql_backfill_function(const Migration *m)
{
    char *fn = msql_object(m, "backfill");
    StrBuf sb;
    sb_init(&sb);
    /* One batch: the rows of (lo, hi] in identity order are replaced in the
     * copy by what the source holds now, and the cursor moves to mark, in one
     * transaction. Batches take the migration's advisory lock shared, before
     * they read anything: they run side by side on disjoint ranges, while a
     * replay (exclusive) waits for every batch that began before it, and a
     * batch for the replay. So a change committed after a batch's snapshot is
     * replayed after that batch's commit, never before it. Returns the rows
     * copied. */
    sb_printf(&sb,
              "CREATE OR REPLACE FUNCTION %s(lo text[], hi text[], mark text[], fin boolean)"
              " RETURNS bigint LANGUAGE plpgsql " CUSTOM_PLANS " AS " BODY_TAG
              "\n#variable_conflict use_variable\n"
              "\nDECLARE n bigint;\nBEGIN\n"
              "PERFORM pg_catalog.pg_advisory_xact_lock_shared(%d, %d);\n"
              "DELETE FROM ",
              fn, MSQL_LOCK_KEY, m->id);
    sb_qualified(&sb, m->schema, m->new_table);
    sb_append(&sb, " s");
    sb_chunk_where(&sb, m, "lo", "hi");
    sb_append(&sb, ";\n");
    sb_copy_rows(&sb, m, m->source, m->new_table);
    sb_chunk_where(&sb, m, "lo", "hi");
    sb_append(&sb, ";\nGET DIAGNOSTICS n = ROW_COUNT;\nUPDATE pgstrata.migration SET ");
    sb_advance_cursor(&sb, m, "mark", "fin");
    sb_printf(&sb,
              ", rows_copied = rows_copied + n, updated_at = pg_catalog.now() WHERE id = %d;\n"
              "RETURN n;\nEND\n" BODY_TAG,
              m->id);
    free(fn);
    return sb.data;
}

char *msql_backfill_call(const Migration *m)
{
    char *fn = msql_object(m, "backfill");
    char *s = xasprintf("SELECT %s($1::text[], $2::text[], $3::text[], $4::boolean)", fn);
    free(fn);
    return s;
}

char *msql_backfill_bound(const Migration *m)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "SELECT ARRAY[");
    for (size_t i = 0; i < m->ident.n; i++) {
        sb_append(&sb, i ? ", s." : "s.");
        sb_ident(&sb, m->ident.items[i]);
        sb_append(&sb, "::text");
    }
    sb_append(&sb, "] FROM ");
    sb_qualified(&sb, m->schema, m->source);
    sb_append(&sb, " s WHERE ($1::text[] IS NULL OR ");
    sb_cursor_cmp(&sb, m, ">", "($1::text[])");
    sb_append(&sb, ") ORDER BY ");
    for (size_t i = 0; i < m->ident.n; i++) {
        sb_append(&sb, i ? ", s." : "s.");
        sb_ident(&sb, m->ident.items[i]);
    }
    sb_append(&sb, " OFFSET $2::bigint - 1 LIMIT 1");
    return sb.data;
}

char *msql_backfill_record(const Migration *m)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "UPDATE pgstrata.migration SET ");
    sb_advance_cursor(&sb, m, "($1::text[])", "$2::boolean");
    sb_printf(&sb, ", updated_at = pg_catalog.now() WHERE id = %d", m->id);
    return sb.data;
}

char *msql_drop_objects(const Migration *m, bool reverse)
{
    char *cap = msql_object(m, suffix(reverse, "capture", "rcapture"));
    char *rep = msql_object(m, suffix(reverse, "replay", "rreplay"));
    char *log = msql_object(m, suffix(reverse, "log", "rlog"));
    char *bf = msql_object(m, "backfill");
    char *s = reverse ? xasprintf("DROP FUNCTION IF EXISTS %s() CASCADE;\nDROP FUNCTION IF "
                                  "EXISTS %s(bigint);\nDROP TABLE IF EXISTS %s",
                                  cap, rep, log)
                      : xasprintf("DROP FUNCTION IF EXISTS %s() CASCADE;\nDROP FUNCTION IF "
                                  "EXISTS %s(bigint);\nDROP TABLE IF EXISTS %s;\nDROP FUNCTION "
                                  "IF EXISTS %s(text[], text[], text[], boolean)",
                                  cap, rep, log, bf);
    free(cap);
    free(rep);
    free(log);
    free(bf);
    return s;
}
