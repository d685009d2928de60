#include "db/executor.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "db/archive_pipe.h"
#include "db/backoff.h"
#include "db/catalog.h"
#include "db/failpoint.h"

typedef enum Outcome { OUT_OK, OUT_FAILED, OUT_SKIPPED } Outcome;

static char *error_text(Conn *c)
{
    const char *detail = conn_error_detail(c);
    if (detail)
        return xasprintf("%s (%s)", conn_error(c), detail);
    return xstrdup(conn_error(c));
}

bool exec_transaction(Conn *c, const StrList *const *lists, size_t nlists)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "BEGIN;\n");
    for (size_t l = 0; l < nlists; l++)
        for (size_t i = 0; lists[l] && i < lists[l]->n; i++)
            sb_printf(&sb, "%s;\n", lists[l]->items[i]);
    sb_append(&sb, "COMMIT");
    bool ok = db_exec_script(c, sb.data);
    sb_free(&sb);
    if (!ok)
        db_exec(c, "ROLLBACK"); /* a successful ROLLBACK keeps the error to report */
    return ok;
}

/* The audit row of an action as an INSERT. A successful action's row goes into
 * the action's own transaction, so it commits with what it records and costs
 * no round trip; failures and skips are written on their own. duration_sql is
 * an SQL expression for the milliseconds. */
static char *audit_sql(const ExecOptions *o, const Action *a, const char *outcome,
                       const char *duration_sql, int attempts, const char *why)
{
    StrBuf text;
    sb_init(&text);
    for (size_t i = 0; i < a->sql.n; i++)
        sb_printf(&text, "%s%s;", i ? "\n" : "", a->sql.items[i]);
    if (a->copy_sql)
        sb_printf(&text, "%s | %s", a->copy_sql, a->command);
    const char *values[] = {o->run_id, a->table, action_kind_name(a->kind), a->target,
                            text.len ? text.data : NULL};
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "INSERT INTO pgstrata.audit (run_id, parent, action, target, sql, duration_ms,"
                   " attempts, outcome, error) VALUES (");
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        if (values[i])
            sb_literal(&sb, values[i]);
        else
            sb_append(&sb, "NULL");
        sb_append(&sb, ", ");
    }
    sb_printf(&sb, "%s, %d, ", duration_sql, attempts);
    sb_literal(&sb, outcome);
    sb_append(&sb, ", ");
    if (why)
        sb_literal(&sb, why);
    else
        sb_append(&sb, "NULL");
    sb_append(&sb, ")");
    sb_free(&text);
    return sb.data; /* the caller frees it */
}

static char *ms_sql(double ms)
{
    return xasprintf("%.3f", ms);
}

/* Bookkeeping of a finished autocommit action (its journal update and audit
 * row) that waits to ride in the transaction of the action after it, which
 * depends on it (DETACH ... CONCURRENTLY, then DROP): one commit instead of
 * two. A crash in between leaves the journal saying 'detaching' for a table
 * that is detached, which the next pass records (planner: plan_retired). */
typedef struct Deferred {
    StrList sql;
    size_t for_action; /* the index of the action whose transaction takes it */
} Deferred;

static Deferred deferred;

static void deferred_clear(void)
{
    strlist_free(&deferred.sql);
    memset(&deferred, 0, sizeof(deferred));
}

/* Writes the deferred bookkeeping in its own transaction. */
static void deferred_flush(Conn *c)
{
    if (deferred.sql.n == 0)
        return;
    const StrList *lists[] = {&deferred.sql};
    if (!exec_transaction(c, lists, 1))
        fprintf(stderr, "pgstrata: warning: could not record a finished step: %s\n", conn_error(c));
    deferred_clear();
}

/* The execution of one action: the plan, where it is, and its clock. */
typedef struct Step {
    const Plan *plan;
    size_t index;
    const ExecOptions *o;
    double start_ms;
} Step;

/* Whether the action after this one depends on it and runs as one plain
 * transaction, so it can carry this one's bookkeeping. */
static bool next_can_carry(const Step *st)
{
    if (st->index + 1 >= st->plan->n)
        return false;
    const Action *next = &st->plan->actions[st->index + 1];
    return next->depends_on == (int)st->index && !next->autocommit && next->kind != ACT_ARCHIVE &&
           !next->guard_sql && next->pre_sql.n == 0;
}

/* One attempt at an action's statements; false with the error in c. */
static bool attempt_main(Conn *c, const Step *st, int attempt)
{
    const Action *a = &st->plan->actions[st->index];
    double before = clock_ms() - st->start_ms;
    if (a->autocommit) {
        bool ok;
        if (attempt > 1 && a->retry_sql) {
            ok = db_exec(c, a->retry_sql);
            /* 55000: nothing pending, the first attempt never began: start over. */
            if (!ok && conn_error_state(c) && strcmp(conn_error_state(c), "55000") == 0)
                ok = db_exec(c, a->sql.items[0]);
        } else {
            ok = db_exec(c, a->sql.items[0]);
        }
        if (!ok)
            return false;
        failpoint_reach(action_kind_name(a->kind), "after-sql");
        char *dur = ms_sql(clock_ms() - st->start_ms);
        StrList book = {NULL, 0};
        for (size_t i = 0; i < a->book_sql.n; i++)
            strlist_add(&book, xstrdup(a->book_sql.items[i]));
        strlist_add(&book, audit_sql(st->o, a, "ok", dur, attempt, NULL));
        free(dur);
        if (next_can_carry(st)) {
            deferred_clear();
            deferred.sql = book;
            deferred.for_action = st->index + 1;
            return true;
        }
        const StrList *lists[] = {&book};
        ok = exec_transaction(c, lists, 1);
        strlist_free(&book);
        return ok;
    }
    /* The duration: time before this attempt, plus the server's time on it. */
    char *dur = xasprintf("%.3f + pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() -"
                          " pg_catalog.statement_timestamp()) * 1000",
                          before);
    StrList audit_row = {NULL, 0};
    strlist_add(&audit_row, audit_sql(st->o, a, "ok", dur, attempt, NULL));
    free(dur);
    bool carry = deferred.sql.n && deferred.for_action == st->index;
    const StrList *lists[] = {carry ? &deferred.sql : NULL, &a->sql, &a->book_sql, &audit_row};
    bool ok = exec_transaction(c, lists, 4);
    strlist_free(&audit_row);
    if (ok) {
        if (carry)
            deferred_clear();
        failpoint_reach(action_kind_name(a->kind), "after-commit");
    } else if (carry) {
        /* what the earlier step did stays recorded whatever happens to this one */
        deferred_flush(c);
    }
    return ok;
}

static bool run_archive(Conn *c, const Step *st, char **why)
{
    const Action *a = &st->plan->actions[st->index];
    char *how = NULL;
    PipeResult pr = copy_to_command(c, a->copy_sql, a->command, action_kind_name(a->kind), &how);
    if (pr == PIPE_NOT_STARTED)
        *why = xasprintf("could not start the archive command: %s", how);
    else if (pr == PIPE_COMMAND_FAILED)
        *why = xasprintf("the archive command failed (%s); the table is kept and the archive "
                         "is retried next run",
                         how);
    else if (pr == PIPE_COPY_FAILED)
        *why = error_text(c);
    free(how);
    if (pr != PIPE_OK)
        return false;
    char *dur = ms_sql(clock_ms() - st->start_ms);
    StrList audit_row = {NULL, 0};
    strlist_add(&audit_row, audit_sql(st->o, a, "ok", dur, 1, NULL));
    free(dur);
    const StrList *lists[] = {&a->book_sql, &audit_row};
    bool ok = exec_transaction(c, lists, 2);
    strlist_free(&audit_row);
    if (!ok)
        *why = error_text(c);
    return ok;
}

static bool check_guard(Conn *c, const Action *a, char **why)
{
    if (!a->guard_sql)
        return true;
    DbResult *r = db_query(c, a->guard_sql, 0, NULL);
    if (!r) {
        *why = error_text(c);
        return false;
    }
    long long count = db_get_ll(r, 0, 0, 0);
    db_clear(r);
    if (count <= a->guard_max)
        return true;
    StrBuf sb;
    sb_init(&sb);
    /* guard_error holds one %lld for the count, written by the planner. */
    const char *pct = strstr(a->guard_error, "%lld");
    if (pct) {
        sb_append_n(&sb, a->guard_error, (size_t)(pct - a->guard_error));
        sb_printf(&sb, "%lld", count);
        sb_append(&sb, pct + 4);
    } else {
        sb_append(&sb, a->guard_error);
    }
    *why = sb.data;
    return false;
}

/* The lock_timeout the session has now, so it is set only when it changes. */
static int session_lock_timeout = -1; /* per process: each worker has its own session */

/* The journal rows (pre_sql) of this action and of the detaches of the same
 * table after it, in one transaction: each records an intent that is harmless
 * when the step never happens (the next pass sees the partition still
 * attached and plans it again, or forgets it). */
static bool run_intents(Conn *c, const Plan *plan, size_t index, bool *intent_done)
{
    const Action *a = &plan->actions[index];
    if (intent_done[index] || a->pre_sql.n == 0)
        return true;
    StrList batch = {NULL, 0};
    /* a table's actions are contiguous in a plan: stop at the next table */
    for (size_t j = index; j < plan->n && strcmp(plan->actions[j].table, a->table) == 0; j++) {
        const Action *b = &plan->actions[j];
        if (j > index && (b->kind != ACT_DETACH || a->kind != ACT_DETACH))
            continue;
        for (size_t i = 0; i < b->pre_sql.n; i++)
            strlist_add(&batch, xstrdup(b->pre_sql.items[i]));
        intent_done[j] = true;
    }
    const StrList *lists[] = {&batch};
    bool ok = exec_transaction(c, lists, 1);
    strlist_free(&batch);
    return ok;
}

/* Runs one action with its retries. *attempts and *why (on failure) are set. */
static bool run_action(Conn *c, const Step *st, bool *intent_done, int *attempts, int *retries,
                       char **why)
{
    const Action *a = &st->plan->actions[st->index];
    *attempts = 0;
    if (a->lock_timeout_ms != session_lock_timeout) {
        char set[64];
        snprintf(set, sizeof(set), "SET lock_timeout = %d", a->lock_timeout_ms);
        if (!db_exec(c, set)) {
            *why = error_text(c);
            return false;
        }
        session_lock_timeout = a->lock_timeout_ms;
    }
    if (!run_intents(c, st->plan, st->index, intent_done)) {
        *why = error_text(c);
        return false;
    }
    if (!check_guard(c, a, why))
        return false;
    if (a->kind == ACT_ARCHIVE) {
        *attempts = 1;
        return run_archive(c, st, why);
    }
    Backoff b = backoff_from(st->start_ms);
    for (;;) {
        (*attempts)++;
        if (attempt_main(c, st, *attempts))
            return true;
        if (!conn_error_is_retryable(c) || interrupted()) {
            *why = error_text(c);
            return false;
        }
        if (!backoff_wait(&b, st->o->retry_budget_s)) {
            *why = xasprintf("gave up after %d attempts in %.1f s: %s (lock_timeout %d ms each "
                             "time; pgstrata never cancels other sessions, so a long transaction "
                             "holding a conflicting lock wins; the next run tries again)",
                             *attempts, (clock_ms() - st->start_ms) / 1000.0, conn_error(c),
                             a->lock_timeout_ms);
            return false;
        }
        (*retries)++;
    }
}

/* The audit row of an action that did not succeed, on its own. */
static void audit_failure(Conn *c, const ExecOptions *o, const Action *a, const char *outcome,
                          double ms, int attempts, const char *why)
{
    char *dur = ms_sql(ms);
    char *sql = audit_sql(o, a, outcome, dur, attempts, why);
    if (!db_exec(c, sql))
        fprintf(stderr, "pgstrata: warning: could not write the audit row: %s\n", conn_error(c));
    free(sql);
    free(dur);
}

static void report(const ExecOptions *o, const Action *a, const char *outcome, double ms,
                   int attempts, const char *detail)
{
    if (!o->on_action)
        return;
    ActionEvent ev = {a, outcome, ms, attempts, detail};
    o->on_action(o->hook_arg, &ev);
}

void exec_actions(Conn *c, const Plan *plan, size_t from, size_t to, const ExecOptions *o,
                  ExecResult *res)
{
    Outcome *done = xcalloc(plan->n + 1, sizeof(Outcome));
    bool *intent_done = xcalloc(plan->n + 1, sizeof(bool));
    bool lost = false; /* the session is gone: nothing more can run or be recorded */
    deferred_clear();
    for (size_t i = from; i < to; i++) {
        const Action *a = &plan->actions[i];
        const char *kind = action_kind_name(a->kind);
        done[i] = OUT_FAILED;
        if (deferred.sql.n && deferred.for_action != i)
            deferred_flush(c);
        if (a->kind == ACT_SKIP) {
            done[i] = OUT_OK;
            if (!o->quiet)
                printf("note     %-17s %s: %s\n", "", a->table, a->why);
            report(o, a, "note", 0, 0, a->why);
            continue;
        }
        if (a->kind == ACT_ERROR) {
            res->failed++;
            if (!o->on_action)
                fprintf(stderr, "pgstrata: error: %s: %s\n", a->table, a->why);
            report(o, a, "failed", 0, 0, a->why);
            if (!lost)
                audit_failure(c, o, a, "failed", 0, 0, a->why);
            continue;
        }
        if (lost || interrupted() || (a->depends_on >= 0 && done[a->depends_on] != OUT_OK)) {
            if (!lost)
                deferred_flush(c);
            done[i] = OUT_SKIPPED;
            res->skipped++;
            const char *why = lost            ? "the connection to the server was lost"
                              : interrupted() ? "interrupted"
                                              : "an earlier step it needs failed";
            if (!o->quiet)
                printf("skipped  %-17s %s (%s)\n", kind, a->target, why);
            report(o, a, "skipped", 0, 0, why);
            if (!lost)
                audit_failure(c, o, a, "skipped", 0, 0, why);
            continue;
        }
        char *why = NULL;
        int attempts = 0;
        Step st = {plan, i, o, clock_ms()};
        bool ok = run_action(c, &st, intent_done, &attempts, &res->retries, &why);
        double ms = clock_ms() - st.start_ms;
        done[i] = ok ? OUT_OK : OUT_FAILED;
        if (ok) {
            res->ok++;
            if (!o->quiet)
                printf("ok       %-17s %s (%.0f ms%s)\n", kind, a->target, ms,
                       attempts > 1 ? ", retried" : "");
            report(o, a, "ok", ms, attempts, NULL);
        } else {
            lost = conn_lost(c);
            if (lost)
                deferred_clear(); /* the next pass records what the journal shows */
            else
                deferred_flush(c);
            res->failed++;
            /* A relation missing may have been renamed since the plan was made:
             * read every name afresh next time. */
            const char *state = conn_error_state(c);
            if (!lost && state && strcmp(state, "42P01") == 0)
                catalog_forget_partitions(c);
            if (!o->quiet)
                printf("FAILED   %-17s %s\n", kind, a->target);
            if (!o->on_action)
                fprintf(stderr, "pgstrata: error: %s: %s %s: %s\n", a->table, kind, a->target, why);
            report(o, a, "failed", ms, attempts, why);
            if (!lost)
                audit_failure(c, o, a, "failed", ms, attempts, why);
        }
        free(why);
    }
    if (!lost)
        deferred_flush(c);
    fflush(stdout);
    free(intent_done);
    free(done);
}

void exec_plan(Conn *c, const Plan *plan, const ExecOptions *o, ExecResult *res)
{
    memset(res, 0, sizeof(*res));
    exec_actions(c, plan, 0, plan->n, o, res);
}
