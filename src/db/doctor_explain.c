#include "db/doctor_explain.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/strbuf.h"

#define PGSS_TOP_PER_TABLE 3 /* pg_stat_statements queries EXPLAINed per table */

/* Which table a scanned relation is a partition of. */
typedef struct RelEntry {
    const char *schema;
    const char *name;
    size_t table;
} RelEntry;

typedef struct Relations {
    RelEntry *items;
    size_t n;
} Relations;

static int compare_rel(const void *a, const void *b)
{
    const RelEntry *x = a, *y = b;
    int s = strcmp(x->schema, y->schema);
    return s ? s : strcmp(x->name, y->name);
}

static void relations_build(const DocDatabase *db, Relations *rels)
{
    rels->n = 0;
    for (size_t i = 0; i < db->ntables; i++)
        rels->n += db->tables[i].nparts;
    rels->items = xcalloc(rels->n + 1, sizeof(RelEntry));
    size_t k = 0;
    for (size_t i = 0; i < db->ntables; i++)
        for (size_t j = 0; j < db->tables[i].nparts; j++)
            rels->items[k++] =
                (RelEntry){db->tables[i].parts[j].schema, db->tables[i].parts[j].name, i};
    qsort(rels->items, rels->n, sizeof(RelEntry), compare_rel);
}

static long relations_find(const Relations *rels, const char *schema, const char *name)
{
    RelEntry key = {schema, name, 0};
    RelEntry *e = bsearch(&key, rels->items, rels->n, sizeof(RelEntry), compare_rel);
    return e ? (long)e->table : -1;
}

/* Partitions a query's plan scans, and removes at executor start, per table. */
typedef struct Tally {
    int *scanned;
    int *removed;
    int unplaced; /* removed by an Append none of whose children is left */
} Tally;

static long first_table(const cJSON *node, const Relations *rels)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(node, "Schema");
    const cJSON *rel = cJSON_GetObjectItemCaseSensitive(node, "Relation Name");
    if (cJSON_IsString(schema) && cJSON_IsString(rel)) {
        long t = relations_find(rels, schema->valuestring, rel->valuestring);
        if (t >= 0)
            return t;
    }
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
    {
        long t = first_table(child, rels);
        if (t >= 0)
            return t;
    }
    return -1;
}

static void walk(const cJSON *node, const Relations *rels, Tally *tally)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(node, "Schema");
    const cJSON *rel = cJSON_GetObjectItemCaseSensitive(node, "Relation Name");
    if (cJSON_IsString(schema) && cJSON_IsString(rel)) {
        long t = relations_find(rels, schema->valuestring, rel->valuestring);
        if (t >= 0)
            tally->scanned[t]++;
    }
    const cJSON *removed = cJSON_GetObjectItemCaseSensitive(node, "Subplans Removed");
    if (cJSON_IsNumber(removed) && removed->valueint > 0) {
        long t = first_table(node, rels);
        if (t >= 0)
            tally->removed[t] += removed->valueint;
        else
            tally->unplaced += removed->valueint;
    }
    const cJSON *child;
    cJSON_ArrayForEach(child, cJSON_GetObjectItemCaseSensitive(node, "Plans"))
        walk(child, rels, tally);
}

/* Whether text names the table (case-insensitive): where an Append that kept
 * no child belongs, and which pg_stat_statements queries to look at. */
static bool mentions(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, name, n) == 0)
            return true;
    return false;
}

static int scannable(const DocTable *t)
{
    int n = 0;
    for (size_t i = 0; i < t->nparts; i++)
        n += t->parts[i].state == DOC_PART_ATTACHED || t->parts[i].state == DOC_PART_DEFAULT;
    return n;
}

typedef struct Source {
    const char *text;
    bool from_pgss;
    double calls, mean_ms;
} Source;

/* Records the query on every table its plan touches; how many it touched. */
static int record(DocDatabase *db, const Relations *rels, const cJSON *plan, const Source *src,
                  bool generic)
{
    Tally tally = {xcalloc(db->ntables + 1, sizeof(int)), xcalloc(db->ntables + 1, sizeof(int)), 0};
    walk(plan, rels, &tally);
    int touched = 0;
    for (size_t i = 0; i < db->ntables; i++) {
        DocTable *t = &db->tables[i];
        if (tally.unplaced && tally.scanned[i] == 0 && mentions(src->text, t->name))
            tally.removed[i] += tally.unplaced;
        if (tally.scanned[i] == 0 && tally.removed[i] == 0)
            continue;
        t->queries = xrealloc(t->queries, (t->nqueries + 1) * sizeof(DocQuery));
        t->queries[t->nqueries++] = (DocQuery){
            .text = xstrdup(src->text),
            .from_pgss = src->from_pgss,
            .calls = src->calls,
            .mean_ms = src->mean_ms,
            .scanned = tally.scanned[i],
            .runtime_pruned = tally.removed[i],
            .total = scannable(t),
            .generic = generic,
        };
        touched++;
    }
    free(tally.scanned);
    free(tally.removed);
    return touched;
}

/* Runs one EXPLAIN under a savepoint; the parsed plan, or NULL (the
 * transaction is usable again either way). */
static cJSON *explain(Conn *c, const char *sql, char **error)
{
    db_exec(c, "SAVEPOINT pgstrata_doctor");
    DbResult *r = db_query(c, sql, 0, NULL);
    if (!r) {
        if (error)
            *error = xstrdup(conn_error(c));
        db_exec(c, "ROLLBACK TO SAVEPOINT pgstrata_doctor");
        return NULL;
    }
    cJSON *doc = db_rows(r) == 1 ? cJSON_Parse(db_get(r, 0, 0)) : NULL;
    db_clear(r);
    db_exec(c, "RELEASE SAVEPOINT pgstrata_doctor");
    return doc;
}

static const cJSON *plan_of(const cJSON *doc)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(doc, 0), "Plan");
}

/* The planning time of SELECT * FROM the parent, the best of two (the first
 * also fills this session's caches, which an application's sessions have). */
static void measure_planning(Conn *c, DocTable *t)
{
    StrBuf sql;
    sb_init(&sql);
    sb_append(&sql, "EXPLAIN (SUMMARY ON, FORMAT JSON) SELECT * FROM ");
    sb_qualified(&sql, t->schema, t->name);
    for (int round = 0; round < 2; round++) {
        cJSON *doc = explain(c, sql.data, NULL);
        const cJSON *ms =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(doc, 0), "Planning Time");
        if (cJSON_IsNumber(ms) && (t->plan_ms < 0 || ms->valuedouble < t->plan_ms))
            t->plan_ms = ms->valuedouble;
        cJSON_Delete(doc);
    }
    sb_free(&sql);
}

/* The highest $n in a normalized query text: the parameters to pass. */
static int parameters(const char *text)
{
    int most = 0;
    for (const char *p = text; *p; p++)
        if (*p == '$' && isdigit((unsigned char)p[1])) {
            int n = atoi(p + 1);
            if (n > most && n <= 65535)
                most = n;
        }
    return most;
}

/* A pg_stat_statements query as a generic plan: PREPARE it, then EXPLAIN
 * EXECUTE with NULLs under plan_cache_mode = force_generic_plan. Executor-
 * start pruning with NULLs removes every partition it can prune at all. */
static void explain_generic(Conn *c, DocDatabase *db, const Relations *rels, const Source *src)
{
    char *prepare = xasprintf("PREPARE pgstrata_doctor_q AS %s", src->text);
    db_exec(c, "SAVEPOINT pgstrata_doctor_prepare");
    bool ok = db_exec(c, prepare);
    free(prepare);
    if (!ok) {
        db_exec(c, "ROLLBACK TO SAVEPOINT pgstrata_doctor_prepare");
        return;
    }
    StrBuf sql;
    sb_init(&sql);
    sb_append(&sql, "EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE pgstrata_doctor_q");
    int n = parameters(src->text);
    for (int i = 0; i < n; i++)
        sb_append(&sql, i ? ", NULL" : "(NULL");
    if (n)
        sb_putc(&sql, ')');
    cJSON *doc = explain(c, sql.data, NULL);
    if (doc)
        record(db, rels, plan_of(doc), src, true);
    cJSON_Delete(doc);
    sb_free(&sql);
    db_exec(c, "DEALLOCATE pgstrata_doctor_q");
    db_exec(c, "RELEASE SAVEPOINT pgstrata_doctor_prepare");
}

static void explain_pgss(Conn *c, DocDatabase *db, const Relations *rels)
{
    bool v13 = db->server.version_num >= 130000;
    char *sql = xasprintf(
        "SELECT query, calls, %s FROM pg_stat_statements WHERE dbid = (SELECT oid FROM"
        " pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) AND query ~*"
        " '^\\s*(select|with|update|delete|insert)\\M' AND query !~* 'pgstrata_doctor'"
        " ORDER BY %s DESC LIMIT 500",
        v13 ? "mean_exec_time" : "mean_time", v13 ? "total_exec_time" : "total_time");
    db_exec(c, "SAVEPOINT pgstrata_doctor_pgss");
    DbResult *r = db_query(c, sql, 0, NULL);
    free(sql);
    if (!r) { /* installed but not loaded (shared_preload_libraries): nothing to read */
        db_exec(c, "ROLLBACK TO SAVEPOINT pgstrata_doctor_pgss");
        return;
    }
    int *seen = xcalloc(db->ntables + 1, sizeof(int));
    db_exec(c, "SET LOCAL plan_cache_mode = force_generic_plan");
    for (int i = 0; i < db_rows(r); i++) {
        const char *text = db_get(r, i, 0);
        bool wanted = false;
        for (size_t t = 0; t < db->ntables && !wanted; t++)
            wanted = seen[t] < PGSS_TOP_PER_TABLE && mentions(text, db->tables[t].name);
        if (!wanted)
            continue;
        Source src = {text, true, db_get_double(r, i, 1, 0), db_get_double(r, i, 2, 0)};
        for (size_t t = 0; t < db->ntables; t++)
            if (mentions(text, db->tables[t].name))
                seen[t]++;
        explain_generic(c, db, rels, &src);
    }
    free(seen);
    db_clear(r);
}

static bool explain_given(Conn *c, const DocReadOptions *o, DocDatabase *db, const Relations *rels,
                          char **err)
{
    for (size_t i = 0; i < o->nqueries; i++) {
        char *error = NULL;
        char *sql = xasprintf("EXPLAIN (VERBOSE, FORMAT JSON) %s", o->queries[i]);
        cJSON *doc = explain(c, sql, &error);
        free(sql);
        if (!doc) {
            *err = xasprintf("--query \"%s\" cannot be EXPLAINed: %s", o->queries[i],
                             error ? error : "no plan");
            free(error);
            return false;
        }
        Source src = {o->queries[i], false, 0, 0};
        record(db, rels, plan_of(doc), &src, false);
        cJSON_Delete(doc);
    }
    return true;
}

bool doctor_explain(Conn *c, const DocReadOptions *o, DocDatabase *db, char **err)
{
    bool planning = o->measure_planning && o->thresholds;
    bool pgss = o->use_pgss && db->server.has_pg_stat_statements;
    if (!planning && !pgss && o->nqueries == 0)
        return true;
    if (!db_exec(c, "BEGIN READ ONLY") || !db_exec(c, "SET LOCAL lock_timeout = '2s'") ||
        !db_exec(c, "SET LOCAL statement_timeout = '60s'")) {
        *err = xasprintf("could not start the EXPLAINs: %s", conn_error(c));
        return false;
    }
    /* The queries name tables as the user's sessions do: their search_path. */
    size_t nschemas = 0;
    const char *const *schemas = conn_user_schemas(c, &nschemas);
    StrBuf path;
    sb_init(&path);
    for (size_t i = 0; i < nschemas; i++) {
        if (i)
            sb_append(&path, ", ");
        sb_ident(&path, schemas[i]);
    }
    const char *params[] = {path.data};
    DbResult *set = db_query(c, "SELECT pg_catalog.set_config('search_path', $1, true)", 1, params);
    sb_free(&path);
    if (!set) {
        *err = xasprintf("could not start the EXPLAINs: %s", conn_error(c));
        db_exec(c, "ROLLBACK");
        return false;
    }
    db_clear(set);
    for (size_t i = 0; planning && i < db->ntables; i++)
        if (scannable(&db->tables[i]) >= o->thresholds->many_partitions)
            measure_planning(c, &db->tables[i]);
    Relations rels;
    relations_build(db, &rels);
    bool ok = explain_given(c, o, db, &rels, err);
    if (ok && pgss)
        explain_pgss(c, db, &rels);
    free(rels.items);
    db_exec(c, "ROLLBACK");
    return ok;
}
