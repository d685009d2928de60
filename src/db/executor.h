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

typedef struct ExecOptions {
    const char *run_id;
    double retry_budget_s; /* per action: give up retrying a lock after this long */
    bool quiet;            /* no line per action on stdout */
} ExecOptions;

typedef struct ExecResult {
    int ok;
    int failed;
    int skipped; /* not run because an action they depend on failed */
    int retries; /* lock timeouts retried, over all actions */
} ExecResult;

void exec_plan(Conn *c, const Plan *plan, const ExecOptions *o, ExecResult *res);

#endif
