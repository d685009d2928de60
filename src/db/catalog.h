/* Reading the catalog: what the planner needs, in a few set-based queries
 * whatever the number of tables and partitions. */
#ifndef PGSTRATA_CATALOG_H
#define PGSTRATA_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/policy.h"
#include "core/snapshot.h"
#include "db/conn.h"

void catalog_server_info(Conn *c, ServerInfo *out);
/* Whether the server is one pgstrata supports; why not, in why, otherwise. */
bool catalog_server_supported(Conn *c, char *why, size_t len);
void server_info_free(ServerInfo *s);

/* Checks a --now value on the server; NULL now means the server's clock. */
bool catalog_check_now(Conn *c, const char *now, char **err);
/* Whether the server knows the zone ("Europe/Berlin", "UTC", ...). */
bool catalog_check_zone(Conn *c, const char *zone, char **err);
/* Whether the schema exists. */
bool catalog_schema_exists(Conn *c, const char *schema, bool *exists, char **err);

/* Resolves what the user typed (parsed with core/ident.h) to schema and
 * table; unqualified names are looked up along the user's search_path.
 * When the table is not found, *schema is the first schema of the path and
 * the function still returns true: callers decide whether missing is an error. */
bool catalog_resolve(Conn *c, const char *typed, char **schema, char **table, char **err);

/* Checks that schema.table exists and is PARTITION BY RANGE on exactly
 * `column` of a supported type; *key gets the type. *err is the message a
 * user sees (unknown table, not partitioned, other column, wrong type). */
bool catalog_check_partitioned(Conn *c, const char *schema, const char *table, const char *column,
                               KeyType *key, char **err);

/* pg_class.relkind of schema.table ('r', 'p', 'v', ...), '\0' when there is
 * no such relation. */
bool catalog_relkind(Conn *c, const char *schema, const char *table, char *relkind, char **err);

/* Reads "FOR VALUES FROM (a) TO (b)" as pg_get_expr prints it into pi's
 * bounds. timestamptz values must have been printed with the session
 * TimeZone set to the table's zone (snapshot_zone). */
bool catalog_parse_bounds(KeyType key, const char *expr, PartitionInfo *pi);

/* How catalog_snapshots uses pgstrata.partition_cache, which only maintain
 * writes (catalog_remember_partitions). */
enum {
    CATALOG_READ_CACHE = 0,        /* use it */
    CATALOG_BYPASS_CACHE = 1 << 0, /* read every partition from the catalog */
};

/* One snapshot per policy, same order; now is NULL or a --now value; cache
 * is one of the flags above. */
bool catalog_snapshots(Conn *c, const Policy *policies, size_t n, const char *now, int cache,
                       TableSnapshot **out, char **err);
/* catalog_snapshots of the policies of stored rows (ls, the daemon's metrics). */
struct PolicyRow;
bool catalog_snapshots_of_rows(Conn *c, const struct PolicyRow *rows, size_t n, const char *now,
                               int cache, TableSnapshot **out, char **err);
void snapshots_free(TableSnapshot *s, size_t n);

/* The partitions of each snapshot's parent (db/catalog_partitions.c). */
bool catalog_read_partitions(Conn *c, TableSnapshot *s, size_t n, int cache, char **err);
/* Writes the partitions of the snapshots that were read afresh to the cache,
 * except where skip[i] (NULL: none): a pass skips the tables it is about to
 * change, whose entries would be stale at once. */
void catalog_remember_partitions(Conn *c, const TableSnapshot *s, size_t n, const bool *skip);
/* Whether each relid still has the given schema and name: a partition renamed
 * by hand keeps its pg_inherits row, so a cached name may be stale. */
bool catalog_names_current(Conn *c, const unsigned int *relids, const char *const *schemas,
                           const char *const *names, size_t n, bool *current, char **err);
/* Drops every cached partition: the next read takes every name and bound
 * from the catalog. */
bool catalog_forget_partitions(Conn *c);

#endif
