/* What `migrate plan` reads about a live table before re-laying it out: its
 * kind, key, identity, the new layout with estimates, and everything that
 * depends on it (constraints, foreign keys, views, functions, publications,
 * triggers, row-level security, grants, sequences), as findings.
 *
 * Everything is read in one READ ONLY transaction: nothing in the database
 * changes. Row counts never come from a full scan of a big table: see
 * migrate_inspect.c, "Estimates". */
#ifndef PGSTRATA_MIGRATE_INSPECT_H
#define PGSTRATA_MIGRATE_INSPECT_H

#include <stdbool.h>

#include "core/migrate.h"
#include "core/policy.h"
#include "db/conn.h"

/* The type of the key column of the source, checked before the policy is
 * built (the policy options are read against it). False with *err the
 * message a user sees: the table does not exist, is not a table, has no such
 * column, or the column's type is not one pgstrata can partition by
 * (timestamptz, timestamp, date, integer, bigint); or a database error. */
bool migrate_source_key(Conn *c, const char *schema, const char *table, const char *column,
                        KeyType *key, char **err);

/* Inspects p->schema.p->table for a re-layout by p (built as create builds
 * a policy, p->key_type set): fills *out (free it with
 * migrate_inspection_free, also after a failure). now is NULL or a --now
 * value. Returns false only on a database error (or a source gone since
 * migrate_source_key), with the message in *err; everything wrong with the
 * table itself is a finding. Every blocker carries the --accept value that
 * lifts it, or NULL when none can. Call it outside a transaction block: it
 * runs its own (REPEATABLE READ, READ ONLY) and ends it. */
bool migrate_inspect(Conn *c, const Policy *p, const char *now, MigrateInspection *out, char **err);

#endif
