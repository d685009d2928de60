/* Plans as people read them (`maintain --dry-run`, `plan`) and as JSON.
 *
 * Text: actions grouped by table, in plan order, one header line per table;
 * executable actions are numbered across the whole plan (1, 2, ...):
 *
 *   dry run: nothing is changed; this is what maintain would do      (optional)
 *   public.events
 *     1. create   public.events_p20261122
 *        why:  ...
 *        lock: ...
 *           CREATE TABLE ...;
 *     -  note     <why of an ACT_SKIP>
 *     !  error    <why of an ACT_ERROR>
 *
 * Bookkeeping SQL (pre_sql, book_sql) is not shown in text. An ACT_ARCHIVE
 * shows its copy as `COPY ... TO STDOUT | <command>`. An empty plan prints
 * "nothing to do: every table is up to date".
 *
 * JSON schema (report_plan_json); key names are stable:
 *
 *   {
 *     "actions": [
 *       {
 *         "table":           string | null,  parent, schema.table as displayed
 *         "kind":            string,         action_kind_name(): "create", "attach",
 *                                            "move-default-rows", "detach", "finalize-detach",
 *                                            "archive", "set-schema", "drop", "drop-leftover",
 *                                            "forget", "analyze", "note", "error"
 *         "target":          string | null,  the relation acted on
 *         "why":             string | null,
 *         "lock":            string | null,  the lock taken, in words
 *         "sql":             [string, ...],  the statements, without trailing ';'
 *         "bookkeeping_sql": [string, ...],  pre_sql then book_sql
 *         "autocommit":      bool,           sql runs outside a transaction block
 *         "depends_on":      int | null,     index in "actions" that must succeed first
 *         "destructive":     bool,
 *         "lock_timeout_ms": int,
 *         "guard":           {"sql": string, "max": int}            (absent without a guard)
 *         "archive":         {"copy_sql": string, "command": string | null}
 *                                                                   (absent unless copy_sql)
 *       }, ...
 *     ],
 *     "errors": int                          number of "error" actions
 *   }
 */
#ifndef PGSTRATA_PLAN_REPORT_H
#define PGSTRATA_PLAN_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/plan.h"

void report_plan_text(FILE *out, const Plan *plan, bool dry_run_header);
/* The caller frees the result with cJSON_Delete. */
cJSON *report_plan_json(const Plan *plan);

#endif
