#include "db/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "version.h"

/* Each entry upgrades from version i to i+1. Never edit a released entry:
 * append a new one. */
static const char *const migrations[] = {
    /* 1: policies, audit, and the two journals that make crashes recoverable */
    "CREATE SCHEMA IF NOT EXISTS pgstrata;"
    "COMMENT ON SCHEMA pgstrata IS 'pgstrata: partition policies and the audit of every action';"
    "CREATE TABLE pgstrata.schema_version ("
    "  version integer PRIMARY KEY,"
    "  installed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  installed_by text NOT NULL);"
    "CREATE TABLE pgstrata.policy ("
    "  parent_schema name NOT NULL,"
    "  parent_table name NOT NULL,"
    "  key_column name NOT NULL,"
    "  key_type text NOT NULL"
    "    CHECK (key_type IN ('timestamptz', 'timestamp', 'date', 'integer', 'bigint')),"
    "  part_interval text NOT NULL,"
    "  premake text NOT NULL,"
    "  start_at text,"
    "  retention text,"
    "  retention_mode text NOT NULL DEFAULT 'drop'"
    "    CHECK (retention_mode IN ('drop', 'detach', 'archive')),"
    "  archive_command text,"
    "  detach_schema name,"
    "  drop_delay text NOT NULL DEFAULT '0',"
    "  maintenance_window text,"
    "  time_zone text NOT NULL DEFAULT 'UTC',"
    "  lock_timeout_ms integer NOT NULL DEFAULT 1000 CHECK (lock_timeout_ms > 0),"
    "  analyze_mode text NOT NULL DEFAULT 'changed'"
    "    CHECK (analyze_mode IN ('every', 'changed', 'never')),"
    "  enabled boolean NOT NULL DEFAULT true,"
    "  tiers jsonb,"    /* reserved: age tiers after the first */
    "  sublevel jsonb," /* reserved: a second partition level */
    "  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  last_layout_change timestamptz,"
    "  last_analyzed_at timestamptz,"
    "  last_maintained_at timestamptz,"
    "  PRIMARY KEY (parent_schema, parent_table));"
    "CREATE TABLE pgstrata.audit ("
    "  id bigserial PRIMARY KEY,"
    "  at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  run_id text NOT NULL,"
    "  parent text,"
    "  action text NOT NULL,"
    "  target text,"
    "  sql text,"
    "  duration_ms double precision,"
    "  attempts integer,"
    "  outcome text NOT NULL CHECK (outcome IN ('ok', 'failed', 'skipped')),"
    "  error text);"
    "CREATE INDEX audit_at ON pgstrata.audit (at);"
    "CREATE INDEX audit_parent ON pgstrata.audit (parent, at);"
    /* Tables created but not yet attached: a crash between the two is adopted next run. */
    "CREATE TABLE pgstrata.pending ("
    "  schema name NOT NULL,"
    "  name name NOT NULL,"
    "  parent_schema name NOT NULL,"
    "  parent_table name NOT NULL,"
    "  lower_bound text NOT NULL,"
    "  upper_bound text NOT NULL,"
    "  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  PRIMARY KEY (schema, name));"
    /* Partitions on their way out: detached, archived, waiting for their drop. */
    "CREATE TABLE pgstrata.retired ("
    "  schema name NOT NULL,"
    "  name name NOT NULL,"
    "  parent_schema name NOT NULL,"
    "  parent_table name NOT NULL,"
    "  range text NOT NULL,"
    "  state text NOT NULL"
    "    CHECK (state IN ('detaching', 'detached', 'archiving', 'archived', 'kept')),"
    "  detached_at timestamptz,"
    "  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  PRIMARY KEY (schema, name));",
    /* 2: partition names and bounds as pg_get_expr printed them, valid while the
     * partition's pg_inherits row version (xmin) is the same: bounds change only by
     * detaching and attaching again, which makes a new row. Deparsing every bound on
     * every pass was most of a no-op pass. */
    "CREATE TABLE pgstrata.bound_cache ("
    "  relid oid PRIMARY KEY,"
    "  row_xmin xid NOT NULL,"
    "  zone text NOT NULL,"
    "  relname name NOT NULL,"
    "  bound text NOT NULL);"
    "COMMENT ON TABLE pgstrata.bound_cache IS 'pgstrata: partition bounds as last read; "
    "rebuilt at will, safe to truncate';",
    /* 3: online re-layouts (pgstrata migrate). Each migration also owns objects
     * named pgstrata.m<id>_* (the change log, capture, replay and backfill
     * functions), created at start and dropped at finish or rollback. */
    "CREATE TABLE pgstrata.migration ("
    "  id serial PRIMARY KEY,"
    "  schema name NOT NULL,"
    "  source name NOT NULL,"
    "  new_table name NOT NULL,"
    "  old_table name NOT NULL,"
    "  key_column name NOT NULL,"
    "  key_type text NOT NULL,"
    "  kind text NOT NULL CHECK (kind IN ('plain', 'partitioned', 'inheritance')),"
    "  ident name[] NOT NULL,"
    "  ident_types text[] NOT NULL,"
    "  columns name[] NOT NULL,"
    "  step text NOT NULL"
    "    CHECK (step IN ('started', 'cutover', 'old_kept', 'finished', 'rolled_back')),"
    "  backfill_cursor text[],"
    "  backfill_done boolean NOT NULL DEFAULT false,"
    "  rows_copied bigint NOT NULL DEFAULT 0,"
    "  rows_estimate double precision,"
    "  verified_at timestamptz,"
    "  started_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
    "  cutover_at timestamptz,"
    "  keep_old_until timestamptz,"
    "  finished_at timestamptz);"
    "CREATE UNIQUE INDEX migration_active ON pgstrata.migration (schema, source)"
    "  WHERE step NOT IN ('finished', 'rolled_back');",
    /* 4: the partitions of a parent cached in one row, valid while the parent's
     * pg_inherits rows are the ones it was read from (db/catalog_partitions.c):
     * a no-op pass then reads one row per parent instead of one per partition. */
    "DROP TABLE pgstrata.bound_cache;"
    "CREATE TABLE pgstrata.partition_cache ("
    "  parent oid PRIMARY KEY,"
    "  zone text NOT NULL,"
    "  fingerprint text NOT NULL,"
    "  entries text NOT NULL);"
    "COMMENT ON TABLE pgstrata.partition_cache IS 'pgstrata: the partitions of each parent as "
    "last read; rebuilt at will, safe to truncate';",
    /* 5: when a pass last ended with every action of a table done, so each
     * daemon replica (and any monitoring) reads how far behind a table is from
     * the database rather than from one process's memory. */
    "ALTER TABLE pgstrata.policy ADD COLUMN last_success_at timestamptz;"
    "COMMENT ON COLUMN pgstrata.policy.last_success_at IS 'pgstrata: the end of the last pass in "
    "which every action on this table succeeded';",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int schema_latest_version(void)
{
    return N_MIGRATIONS;
}

/* -1 on error; 0 when the schema is not installed. */
static int installed_version(Conn *c, char **err)
{
    DbResult *r = db_query(c,
                           "SELECT CASE WHEN pg_catalog.to_regclass('pgstrata.schema_version') IS "
                           "NULL THEN NULL ELSE 1 END",
                           0, NULL);
    if (!r) {
        *err = xasprintf("could not read the pgstrata schema: %s", conn_error(c));
        return -1;
    }
    bool present = db_get(r, 0, 0) != NULL;
    db_clear(r);
    if (!present)
        return 0;
    r = db_query(c, "SELECT pg_catalog.max(version) FROM pgstrata.schema_version", 0, NULL);
    if (!r) {
        *err = xasprintf("could not read the pgstrata schema version: %s", conn_error(c));
        return -1;
    }
    int v = (int)db_get_ll(r, 0, 0, 0);
    db_clear(r);
    return v;
}

bool schema_install(Conn *c, int *from, char **err)
{
    /* Two concurrent inits serialize here; lock_timeout keeps init from
     * queueing behind a long transaction forever. */
    if (!db_exec(c, "SET lock_timeout = '10s'") || !db_exec(c, "BEGIN") ||
        !db_exec(c, "SELECT pg_catalog.pg_advisory_xact_lock(1885827956, 0)")) {
        *err = xasprintf("could not start the installation: %s", conn_error(c));
        db_exec(c, "ROLLBACK");
        return false;
    }
    int v = installed_version(c, err);
    if (v < 0) {
        db_exec(c, "ROLLBACK");
        return false;
    }
    *from = v;
    if (v > N_MIGRATIONS) {
        *err = xasprintf("the pgstrata schema in this database is version %d, newer than this "
                         "pgstrata %s knows (%d); use a newer pgstrata",
                         v, PGSTRATA_VERSION, N_MIGRATIONS);
        db_exec(c, "ROLLBACK");
        return false;
    }
    for (int i = v; i < N_MIGRATIONS; i++) {
        char num[16];
        snprintf(num, sizeof(num), "%d", i + 1);
        const char *params[] = {num, "pgstrata " PGSTRATA_VERSION};
        if (!db_exec_script(c, migrations[i]) ||
            !db_exec_params(c,
                            "INSERT INTO pgstrata.schema_version (version, installed_by) "
                            "VALUES ($1::integer, $2)",
                            2, params)) {
            *err = xasprintf("could not upgrade the pgstrata schema to version %d: %s", i + 1,
                             conn_error(c));
            db_exec(c, "ROLLBACK");
            return false;
        }
    }
    if (!db_exec(c, "COMMIT")) {
        *err = xasprintf("could not commit the pgstrata schema: %s", conn_error(c));
        return false;
    }
    db_exec(c, "RESET lock_timeout");
    return true;
}

bool schema_check(Conn *c, char **err)
{
    int v = installed_version(c, err);
    if (v < 0)
        return false;
    if (v == 0) {
        *err = xstrdup("pgstrata is not installed in this database; run \"pgstrata init\" first");
        return false;
    }
    if (v < N_MIGRATIONS) {
        *err = xasprintf("the pgstrata schema is version %d and this pgstrata needs %d; run "
                         "\"pgstrata init\" to upgrade it",
                         v, N_MIGRATIONS);
        return false;
    }
    if (v > N_MIGRATIONS) {
        *err = xasprintf("the pgstrata schema is version %d, newer than this pgstrata knows (%d); "
                         "use a newer pgstrata",
                         v, N_MIGRATIONS);
        return false;
    }
    return true;
}
