/* What `migrate plan` prints: the inspection of a table about to be re-laid
 * out, as aligned text for people and as JSON for programs.
 *
 * Text: a header (source, key, identity, key range, new layout, backfill
 * estimate), the new partitions as a table (name, from, to, est. rows,
 * est. size), then the findings grouped as blockers, warnings and info, each
 * with its message, a blocker also with "(pass --accept X to go on)" or
 * "(cannot be accepted: fix it first)", and a last line saying whether
 * `migrate start` would go on with the given --accept. quiet: the last line
 * only.
 *
 * JSON (report_migrate_json); key names are stable:
 *
 *   {
 *     "source":   {"schema": string, "table": string, "display": string},
 *     "kind":     string,               "plain table", "partitioned table", "inheritance set"
 *     "children": [string, ...],        partitions or children now, displayed
 *     "key":      {"column": string, "type": string, "nullable": bool},
 *     "identity": {"columns": [string, ...], "types": [string, ...]},   empty: none
 *     "layout":   {"interval": string, "premake": string, "time_zone": string | null,
 *                  "start": string | null},
 *     "key_range": {"min": string, "max": string} | null,   null: no key values
 *     "partitions": [
 *       {"name": string, "lower": string, "upper": string,   key values as text
 *        "est_rows": number, "est_bytes": number}, ...
 *     ],
 *     "estimates": {"rows": number, "bytes": number, "seconds": number,
 *                   "rows_per_second": number, "bytes_per_second": number},
 *     "findings": [
 *       {"severity": "blocker" | "warning" | "info", "what": string,
 *        "object": string | null, "message": string, "accept": string | null,
 *        "accepted": bool}, ...
 *     ],
 *     "blockers": int,                  all blockers
 *     "unaccepted_blockers": int,       blockers --accept does not lift
 *     "accept": string | null,          --accept as given
 *     "start_would_proceed": bool       unaccepted_blockers == 0
 *   }
 */
#ifndef PGSTRATA_MIGRATE_REPORT_H
#define PGSTRATA_MIGRATE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/units.h"
#include "core/migrate.h"
#include "core/policy.h"

/* What the report needs besides the inspection. */
typedef struct MigrateReportOptions {
    const Policy *policy; /* the new layout's policy */
    const char *accept;   /* --accept, comma-separated, or NULL */
    double max_rate;      /* --max-rate, rows per second; 0: none */
    bool quiet;           /* text: the last line only */
} MigrateReportOptions;

void report_migrate_text(FILE *out, const MigrateInspection *m, const MigrateReportOptions *o);
/* The caller frees the result with cJSON_Delete. */
cJSON *report_migrate_json(const MigrateInspection *m, const MigrateReportOptions *o);

#endif
