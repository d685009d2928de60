/* What `ls` shows, read in a few set-based queries (core/inventory.h). */
#ifndef PGSTRATA_DB_INVENTORY_H
#define PGSTRATA_DB_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/inventory.h"
#include "db/conn.h"
#include "db/policy_store.h"

/* One row per policy, same order. Without sizes, total_bytes stays 0 (the
 * caller that lists partitions adds theirs up instead of asking twice). */
bool inventory_tables(Conn *c, const PolicyRow *rows, size_t n, const char *now, bool with_sizes,
                      TableRow **out, char **err);
/* The summary row of one table, worked out from its partition rows (from
 * inventory_partitions) instead of a second read of the catalog. */
bool inventory_table_from_parts(Conn *c, const PolicyRow *row, const PartRow *parts, size_t n,
                                const char *now, TableRow *out, char **err);
/* Every partition of one managed table, and its retired tables not yet
 * dropped, ordered by lower bound (default last). */
bool inventory_partitions(Conn *c, const Policy *p, PartRow **out, size_t *n, char **err);

#endif
