/* What `pgstrata advise` prints (core/advise.h decides): aligned text for
 * people and JSON for programs.
 *
 * Text: the table and its growth, the target, the retention, a table of the
 * current and the advised layout (partitions, partition size, rows per
 * partition, planning time, vacuum of one partition), the verdict with its
 * reason, notes, and under "to get there:" the commands, one per line.
 *
 * JSON (report_advise_json); key names and ids are stable, texts may change:
 *
 *   {
 *     "table": string,                  schema.name as displayed
 *     "column": string | null,          the key column (null: an expression)
 *     "key_type": string,               "timestamptz", ..., "bigint"
 *     "verdict": "change" | "keep" | "cannot",
 *     "reason": string,                 "oversized", "too-many-partitions",
 *                                       "coarser-than-retention", "many-small-partitions",
 *                                       "fits", "few-partitions", "not-range",
 *                                       "key-expression", "key-type", "no-partitions", "no-data"
 *     "why": string,                    the reason in words
 *     "target_bytes": number, "max_over": number, "max_partitions": number,
 *     "now": {"partitions": number, "bytes": number, "largest_bytes": number},
 *     "growth": null | {
 *       "per": "day" | "key value",
 *       "bytes": number,                recent-weighted, per day or key value
 *       "rows": number | null,
 *       "average_bytes": number,        unweighted
 *       "from": string, "to": string,   the key span measured
 *       "partitions": number, "half_life": number
 *     },
 *     "retention": null | {"source": "policy" | "none" | "assumed", "value": string | null},
 *     "horizon": number | null,         days (time keys) or key values counted over
 *     "planning_measured": bool,
 *     "current": layout | null, "recommended": layout | null,
 *        layout: {"interval": string | null (irregular), "partitions": number,
 *                 "partition_bytes": number, "partition_rows": number | null,
 *                 "plan_ms": number, "vacuum_seconds": number | null}
 *     "notes": [{"id": string, "text": string}, ...],
 *     "blockers": [{"what": string, "object": string | null, "message": string,
 *                   "accept": string | null}, ...],   what migrate plan finds against
 *                                       the advised layout that start would refuse; an
 *                                       "accept" is in the commands' --accept, a null
 *                                       one leaves no command
 *     "commands": [string, ...]         shell lines, in order; empty unless "change"
 *   }
 */
#ifndef PGSTRATA_ADVISE_REPORT_H
#define PGSTRATA_ADVISE_REPORT_H

#include <stdio.h>

#include "core/advise.h"

struct cJSON;
void report_advise_text(FILE *out, const Advice *a);
struct cJSON *report_advise_json(const Advice *a);

/* The reason in words, and each note's id and words (caller frees). */
char *advise_why_text(const Advice *a);
const char *advise_note_id(unsigned note);
char *advise_note_text(const Advice *a, unsigned note);

#endif
