/* What `ls` prints: managed tables, and the partitions of one table, as
 * aligned text for people and as JSON for programs.
 *
 * JSON schema; key names are stable. Text fields are strings as PostgreSQL
 * printed them (times in UTC, ISO); null where the row holds NULL. Counts and
 * sizes are numbers; estimates that are unknown (-1 in the row) are null.
 *
 *   report_tables_json:
 *   {
 *     "tables": [
 *       {
 *         "schema": string, "table": string, "exists": bool,
 *         "column": string|null, "key_type": string|null,
 *         "interval": string|null,       canonical, e.g. "1 day"
 *         "premake": string|null,        "4" or "7 days"
 *         "retention": string|null,      null: keep everything
 *         "retention_mode": string|null,
 *         "partitions": int,             attached range partitions
 *         "has_default": bool,
 *         "default_rows": number|null,   estimate; null when unknown
 *         "oldest": string|null, "newest": string|null,
 *         "coverage_ahead": string|null, e.g. "4 days 03:00:00"; null for integer keys
 *         "total_bytes": int,
 *         "pending_detach": int,
 *         "detached": int,               retired tables not yet dropped
 *         "last_maintained": string|null,
 *         "last_analyzed": string|null
 *       }, ...
 *     ]
 *   }
 *
 *   report_parts_json:
 *   {
 *     "table": {... as one element of "tables" above ...} | null,
 *     "partitions": [
 *       {
 *         "schema": string|null, "name": string|null,
 *         "lower": string|null,          null for the default partition
 *         "upper": string|null,
 *         "state": string|null,          "attached", "default", "pending detach",
 *                                        "detached, awaiting drop", "detached, archiving",
 *                                        "detached (kept)"
 *         "bytes": int,
 *         "est_rows": number|null,       null when never analyzed or vacuumed
 *         "last_vacuum": string|null, "last_autovacuum": string|null,
 *         "last_analyze": string|null, "last_autoanalyze": string|null
 *       }, ...
 *     ]
 *   }
 */
#ifndef PGSTRATA_LS_REPORT_H
#define PGSTRATA_LS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/units.h"
#include "core/inventory.h"

void report_tables_text(FILE *out, const TableRow *rows, size_t n);
/* The caller frees the result with cJSON_Delete. */
cJSON *report_tables_json(const TableRow *rows, size_t n);

/* table may be NULL: then only the partitions are printed. */
void report_parts_text(FILE *out, const TableRow *table, const PartRow *rows, size_t n);
cJSON *report_parts_json(const TableRow *table, const PartRow *rows, size_t n);

#endif
