/* The steps of an online re-layout against the database (pgstrata migrate).
 * Every step is short transactions only, resumable, and records its progress
 * in pgstrata.migration; see docs/design.md, "Online re-layout". */
#ifndef PGSTRATA_MIGRATE_STEPS_H
#define PGSTRATA_MIGRATE_STEPS_H

#include <stdbool.h>

#include "core/migrate.h"
#include "core/policy.h"
#include "db/conn.h"

/* One migrate command per table at a time (a session advisory lock). */
bool mstep_lock(Conn *c, const char *schema, const char *source, bool *got, char **err);

/* The newest migration of the table; *found false when there is none.
 * active_only: only one not finished or rolled back. */
bool mstep_load(Conn *c, const char *schema, const char *source, bool active_only, Migration *m,
                bool *found, char **err);

/* Builds the new tree beside the source with the partitions of the
 * inspection, registers the policy for it, installs change capture, all in
 * one transaction (the capture trigger last, so the source is locked only
 * for the trigger's creation). */
bool mstep_start(Conn *c, const Policy *p, const MigrateInspection *ins, int lock_timeout_ms,
                 double retry_budget_s, Migration *out, char **err);

typedef struct BackfillOptions {
    int jobs;             /* sessions copying at once (1: this one) */
    long long batch_rows; /* rows per batch; 0: sized to batch_time_s */
    double batch_time_s;  /* target length of one batch transaction */
    double max_rate;      /* rows per second over all sessions; 0: no limit */
    void (*progress)(void *arg, long long copied); /* after each batch, or NULL */
    void *progress_arg;
} BackfillOptions;

/* Copies the rows the cursor has not passed yet, in batches of identity
 * order, each its own transaction (see db/migrate_backfill.c), applying the
 * captured changes between them, until the backfill is recorded complete.
 * *copied: rows copied by this call. On failure or Ctrl-C the cursor says
 * where the next call goes on. */
bool mstep_backfill(Conn *c, const Migration *m, const BackfillOptions *o, long long *copied,
                    char **err);

/* Applies up to max_rows captured changes (max_rows <= 0: all). */
bool mstep_replay(Conn *c, const Migration *m, bool reverse, long long max_rows, long long *applied,
                  char **err);

/* Applies every captured change, in batches (each its own transaction). */
bool mstep_drain(Conn *c, const Migration *m, bool reverse, char **err);

/* Captured changes not yet applied, and the age of the oldest (0 when none). */
bool mstep_backlog(Conn *c, const Migration *m, bool reverse, long long *rows, double *lag_s,
                   char **err);

typedef struct VerifyRange {
    char *lower, *upper; /* as the server prints them */
    long long source_rows, new_rows;
    bool digest_equal;
} VerifyRange;

typedef struct VerifyResult {
    VerifyRange *ranges; /* only the ranges that differ */
    size_t nranges;
    size_t partitions;   /* ranges compared */
    long long rows;      /* source rows compared */
    long long in_flight; /* rows changing during the check: left out, their replay copies them */
    long long outside;   /* source rows no partition of the new tree takes */
} VerifyResult;

void verify_result_free(VerifyResult *v);
bool mstep_verify(Conn *c, const Migration *m, VerifyResult *out, char **err);

/* Takes the source's lock briefly (ACCESS EXCLUSIVE), applies the
 * last changes, swaps the names, carries over what depends on the table,
 * and starts capturing in reverse. Retries with backoff within the budget.
 * Then ANALYZEs the new parent; that alone when the swap is done already. */
bool mstep_cutover(Conn *c, Migration *m, int lock_timeout_ms, double retry_budget_s, int *attempts,
                   char **err);

/* Back to the source alone: before cutover, drops the new tree; after it,
 * applies the reverse capture, swaps the names back, then drops it. */
bool mstep_rollback(Conn *c, Migration *m, int lock_timeout_ms, double retry_budget_s, char **err);

/* After cutover: stops the reverse capture; drops the old table now, or
 * keeps it until keep_old_until (an SQL interval text, or NULL). */
bool mstep_finish(Conn *c, Migration *m, const char *keep_old, int lock_timeout_ms,
                  double retry_budget_s, bool *dropped, char **err);
/* Pipes the old table (COPY text, all its rows) to an --archive-command before
 * finish drops it; false, with nothing dropped, when the command fails. */
bool mstep_archive_old(Conn *c, const Migration *m, const char *command_template, char **err);

/* Tables a migration in progress holds. Until finish, maintain only makes
 * new partitions for its source and its new tree (so writes and the replay
 * always find one, and no retirement drops rows the copy has not seen); the
 * old table after cutover is frozen (left alone: it is what a rollback gives
 * back). frozen gets an array, one per table, for the caller to free. */
bool mstep_busy_tables(Conn *c, StrList *schemas, StrList *tables, bool **frozen, char **err);

#endif
