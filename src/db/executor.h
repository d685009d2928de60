/* The executor: runs a plan's actions one by one, each in its own short
 * transaction with lock_timeout, retrying lock timeouts with backoff and
 * jitter up to a budget, never cancelling other sessions, and writing one
 * audit row per action. A failed action skips only the actions that depend
 * on it. */
#ifndef PGSTRATA_EXECUTOR_H
#define PGSTRATA_EXECUTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "core/plan.h"
#include "db/conn.h"

/* What became of one action, for a caller that reports actions itself (the
 * daemon logs and counts them). outcome is "ok", "failed", "skipped", or
 * "note" for an ACT_SKIP (a step left for later, and why). */
typedef struct ActionEvent {
    const Action *action;
    const char *outcome;
    double ms;
    int attempts;
    const char *detail; /* the error, the reason for a skip, or the note; NULL when ok */
} ActionEvent;
typedef void (*ActionHook)(void *arg, const ActionEvent *ev);

typedef struct ExecOptions {
    const char *run_id;
    double retry_budget_s; /* per action: give up retrying a lock after this long */
    bool quiet;            /* no line per action on stdout */
    ActionHook on_action;  /* NULL: none; when set, errors go to it instead of stderr */
    void *hook_arg;
} ExecOptions;

typedef struct ExecResult {
    int ok;
    int failed;
    int skipped; /* not run because an action they depend on failed */
    int retries; /* lock timeouts retried, over all actions */
} ExecResult;

void exec_plan(Conn *c, const Plan *plan, const ExecOptions *o, ExecResult *res);

/* BEGIN, the statements of the lists in order, COMMIT: one round trip. For
 * SQL built with every name and value quoted; a NULL list is skipped. On
 * failure the transaction is rolled back and c keeps the error. */
bool exec_transaction(Conn *c, const StrList *const *lists, size_t nlists);
/* Runs actions [from, to) of the plan (whole tables), adding to *res. One
 * session at a time per process. When the session is lost (the server went
 * away, the backend was terminated) the actions left are skipped. */
void exec_actions(Conn *c, const Plan *plan, size_t from, size_t to, const ExecOptions *o,
                  ExecResult *res);

/* The same with the tables shared among `jobs` sessions: this one and
 * jobs - 1 worker processes (conn_clone), each taking the next table not yet
 * taken; a table's actions stay in order in one session. */
void exec_plan_parallel(Conn *c, const Plan *plan, const ExecOptions *o, int jobs, ExecResult *res);

#endif
