#include "db/policy_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ident.h"
#include "core/strbuf.h"

static const char *const select_columns =
    "SELECT parent_schema, parent_table, key_column, key_type, part_interval, premake, start_at,"
    " retention, retention_mode, archive_command, detach_schema, drop_delay, maintenance_window,"
    " time_zone, lock_timeout_ms, analyze_mode, enabled, created_at, updated_at,"
    " last_maintained_at, last_analyzed_at, (tiers IS NOT NULL OR sublevel IS NOT NULL)"
    " FROM pgstrata.policy";

static bool key_type_from_name(const char *name, KeyType *out)
{
    for (KeyType k = KEY_TIMESTAMPTZ; k <= KEY_BIGINT; k++) {
        if (strcmp(key_type_name(k), name) == 0) {
            *out = k;
            return true;
        }
    }
    return false;
}

/* Reads one row back through the same parsers the command line uses. */
static bool row_to_policy(const DbResult *r, int i, PolicyRow *row, char **err)
{
    Policy *p = &row->policy;
    char why[256];
    policy_init(p);
    p->schema = xstrdup(db_get(r, i, 0));
    p->table = xstrdup(db_get(r, i, 1));
    p->column = xstrdup(db_get(r, i, 2));
    if (!key_type_from_name(db_get(r, i, 3), &p->key_type)) {
        *err = xasprintf("stored policy of %s.%s has an unknown key type", p->schema, p->table);
        return false;
    }
    struct {
        PolicyOption opt;
        int col;
    } fields[] = {
        {POPT_INTERVAL, 4},       {POPT_PREMAKE, 5},        {POPT_START, 6},
        {POPT_RETENTION, 7},      {POPT_RETENTION_MODE, 8}, {POPT_ARCHIVE_COMMAND, 9},
        {POPT_DETACH_SCHEMA, 10}, {POPT_DROP_DELAY, 11},    {POPT_WINDOW, 12},
        {POPT_TIME_ZONE, 13},     {POPT_ANALYZE, 15},
    };
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        const char *v = db_get(r, i, fields[f].col);
        if (!v)
            continue;
        if (!policy_apply(p, fields[f].opt, v, why, sizeof(why))) {
            char *name = ident_display(p->schema, p->table);
            *err = xasprintf("stored policy of %s cannot be read: %s", name, why);
            free(name);
            return false;
        }
    }
    p->lock_timeout_ms = (int)db_get_ll(r, i, 14, POLICY_DEFAULT_LOCK_TIMEOUT);
    p->enabled = db_get_bool(r, i, 16);
    row->created_at = xstrdup_or_null(db_get(r, i, 17));
    row->updated_at = xstrdup_or_null(db_get(r, i, 18));
    row->last_maintained_at = xstrdup_or_null(db_get(r, i, 19));
    row->last_analyzed_at = xstrdup_or_null(db_get(r, i, 20));
    row->has_reserved = db_get_bool(r, i, 21);
    return true;
}

void policy_rows_free(PolicyRow *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        policy_free(&rows[i].policy);
        free(rows[i].created_at);
        free(rows[i].updated_at);
        free(rows[i].last_maintained_at);
        free(rows[i].last_analyzed_at);
    }
    free(rows);
}

bool policy_store_load(Conn *c, char **schemas, char **tables, size_t nnames, PolicyRow **out,
                       size_t *n, char **err)
{
    StrBuf sql;
    sb_init(&sql);
    sb_append(&sql, select_columns);
    char *params[2] = {NULL, NULL};
    if (nnames) {
        sb_append(&sql, " WHERE (parent_schema, parent_table) IN (SELECT s, t FROM "
                        "unnest($1::text[], $2::text[]) AS u(s, t))");
        params[0] = db_text_array((const char *const *)schemas, nnames);
        params[1] = db_text_array((const char *const *)tables, nnames);
    }
    sb_append(&sql, " ORDER BY parent_schema, parent_table");
    DbResult *r = db_query(c, sql.data, nnames ? 2 : 0, (const char *const *)params);
    sb_free(&sql);
    free(params[0]);
    free(params[1]);
    if (!r) {
        *err = xasprintf("could not read policies: %s", conn_error(c));
        return false;
    }
    *n = (size_t)db_rows(r);
    *out = xcalloc(*n + 1, sizeof(PolicyRow));
    for (int i = 0; i < db_rows(r); i++) {
        if (!row_to_policy(r, i, &(*out)[i], err)) {
            policy_rows_free(*out, (size_t)i + 1);
            *out = NULL;
            *n = 0;
            db_clear(r);
            return false;
        }
    }
    db_clear(r);
    return true;
}

/* The 16 stored values of a policy, as text parameters in column order. */
static void policy_params(const Policy *p, const char *vals[16], char *owned[8])
{
    char ivbuf[48], delay[96];
    interval_format(&p->interval, ivbuf);
    duration_format(&p->drop_delay, delay);
    owned[0] = xstrdup(ivbuf);
    owned[1] = policy_premake_text(p);
    owned[2] = policy_start_text(p);
    owned[3] = policy_retention_text(p);
    owned[4] = xstrdup(delay);
    owned[5] = policy_window_text(p);
    owned[6] = xasprintf("%d", p->lock_timeout_ms);
    owned[7] = NULL;
    vals[0] = p->schema;
    vals[1] = p->table;
    vals[2] = p->column;
    vals[3] = key_type_name(p->key_type);
    vals[4] = owned[0];
    vals[5] = owned[1];
    vals[6] = owned[2];
    vals[7] = owned[3];
    vals[8] = retention_mode_name(p->retention_mode);
    vals[9] = p->archive_command;
    vals[10] = p->detach_schema;
    vals[11] = owned[4];
    vals[12] = owned[5];
    vals[13] = p->time_zone;
    vals[14] = owned[6];
    vals[15] = analyze_mode_name(p->analyze);
}

static bool write_policy(Conn *c, const Policy *p, const char *sql, const char *what, char **err)
{
    const char *vals[16];
    char *owned[8];
    policy_params(p, vals, owned);
    DbResult *r = db_query(c, sql, 16, vals);
    for (int i = 0; i < 8; i++)
        free(owned[i]);
    if (!r) {
        char *name = ident_display(p->schema, p->table);
        *err = xasprintf("could not %s the policy of %s: %s", what, name, conn_error(c));
        free(name);
        return false;
    }
    db_clear(r);
    return true;
}

bool policy_store_insert(Conn *c, const Policy *p, char **err)
{
    return write_policy(c, p,
                        "INSERT INTO pgstrata.policy (parent_schema, parent_table, key_column,"
                        " key_type, part_interval, premake, start_at, retention, retention_mode,"
                        " archive_command, detach_schema, drop_delay, maintenance_window,"
                        " time_zone, lock_timeout_ms, analyze_mode)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                        " $15::integer, $16)",
                        "register", err);
}

bool policy_store_update(Conn *c, const Policy *p, char **err)
{
    return write_policy(c, p,
                        "UPDATE pgstrata.policy SET key_column = $3, key_type = $4,"
                        " part_interval = $5, premake = $6, start_at = $7, retention = $8,"
                        " retention_mode = $9, archive_command = $10, detach_schema = $11,"
                        " drop_delay = $12, maintenance_window = $13, time_zone = $14,"
                        " lock_timeout_ms = $15::integer, analyze_mode = $16,"
                        " updated_at = pg_catalog.now()"
                        " WHERE parent_schema = $1 AND parent_table = $2",
                        "update", err);
}

bool policy_store_delete(Conn *c, const char *schema, const char *table, char **err)
{
    const char *params[] = {schema, table};
    DbResult *r = db_query(c,
                           "WITH gone AS (DELETE FROM pgstrata.policy WHERE parent_schema = $1 AND"
                           " parent_table = $2 RETURNING 1),"
                           " p AS (DELETE FROM pgstrata.pending WHERE parent_schema = $1 AND"
                           " parent_table = $2)"
                           " SELECT pg_catalog.count(*) FROM gone",
                           2, params);
    *err = NULL;
    if (!r) {
        *err = xasprintf("could not drop the policy: %s", conn_error(c));
        return false;
    }
    bool found = db_get_ll(r, 0, 0, 0) > 0;
    db_clear(r);
    return found;
}
