#include "db/executor.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "db/catalog.h"

typedef enum Outcome { OUT_OK, OUT_FAILED, OUT_SKIPPED } Outcome;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Sleeps in short slices so Ctrl-C is not kept waiting. */
static void sleep_ms(double ms)
{
    double until = now_ms() + ms;
    while (!interrupted()) {
        double left = until - now_ms();
        if (left <= 0)
            break;
        if (left > 50)
            left = 50;
        struct timespec ts = {0, (long)(left * 1e6)};
        nanosleep(&ts, NULL);
    }
}

/* PGSTRATA_FAILPOINT=kind:phase makes the process die at that point, as a
 * crash would: the crash-recovery tests use it. */
static void failpoint(const Action *a, const char *phase)
{
    const char *fp = getenv("PGSTRATA_FAILPOINT");
    if (!fp)
        return;
    char want[64];
    snprintf(want, sizeof(want), "%s:%s", action_kind_name(a->kind), phase);
    if (strcmp(fp, want) != 0)
        return;
    fprintf(stderr, "pgstrata: failpoint %s reached, exiting as if killed\n", want);
    fflush(NULL);
    _exit(99);
}

static char *error_text(Conn *c)
{
    const char *detail = conn_error_detail(c);
    if (detail)
        return xasprintf("%s (%s)", conn_error(c), detail);
    return xstrdup(conn_error(c));
}

static bool run_list(Conn *c, const StrList *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!db_exec(c, l->items[i]))
            return false;
    return true;
}

/* BEGIN, the statements of both lists, COMMIT: one round trip. All of it is
 * SQL the planner built with every name and value quoted. */
static bool run_transaction(Conn *c, const StrList *first, const StrList *then)
{
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, "BEGIN;\n");
    for (size_t i = 0; i < first->n; i++)
        sb_printf(&sb, "%s;\n", first->items[i]);
    for (size_t i = 0; i < then->n; i++)
        sb_printf(&sb, "%s;\n", then->items[i]);
    sb_append(&sb, "COMMIT");
    bool ok = db_exec_script(c, sb.data);
    sb_free(&sb);
    if (!ok)
        db_exec(c, "ROLLBACK"); /* a successful ROLLBACK keeps the error to report */
    return ok;
}

/* One attempt at an action's statements; false with the error in c. */
static bool attempt_main(Conn *c, const Action *a, bool retry)
{
    static const StrList none = {NULL, 0};
    if (a->autocommit) {
        bool ok;
        if (retry && a->retry_sql) {
            ok = db_exec(c, a->retry_sql);
            /* 55000: nothing pending, the first attempt never began: start over. */
            if (!ok && conn_error_state(c) && strcmp(conn_error_state(c), "55000") == 0)
                ok = db_exec(c, a->sql.items[0]);
        } else {
            ok = db_exec(c, a->sql.items[0]);
        }
        if (!ok)
            return false;
        failpoint(a, "after-sql");
        return run_transaction(c, &a->book_sql, &none);
    }
    if (!run_transaction(c, &a->sql, &a->book_sql))
        return false;
    failpoint(a, "after-commit");
    return true;
}

typedef struct Pipe {
    FILE *f;
    const Action *a;
    size_t bytes;
} Pipe;

static bool pipe_sink(void *arg, const char *buf, size_t len)
{
    Pipe *p = arg;
    p->bytes += len;
    if (p->bytes > 0 && p->bytes == len)
        failpoint(p->a, "mid-copy");
    return fwrite(buf, 1, len, p->f) == len;
}

static bool run_archive(Conn *c, const Action *a, char **why)
{
    fflush(NULL);
    FILE *f = popen(a->command, "w");
    if (!f) {
        *why = xasprintf("could not start the archive command: %s", strerror(errno));
        return false;
    }
    Pipe p = {f, a, 0};
    bool copied = db_copy_out(c, a->copy_sql, pipe_sink, &p);
    int status = pclose(f);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *why = xasprintf("the archive command failed (%s %d); the table is kept and the archive "
                         "is retried next run",
                         WIFSIGNALED(status) ? "signal" : "exit status",
                         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return false;
    }
    if (!copied) {
        *why = error_text(c);
        return false;
    }
    static const StrList none = {NULL, 0};
    if (!run_transaction(c, &a->book_sql, &none)) {
        *why = error_text(c);
        return false;
    }
    return true;
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
static int session_lock_timeout = -1;

/* Runs one action with its retries. *attempts and *why (on failure) are set. */
static bool run_action(Conn *c, const Action *a, const ExecOptions *o, int *attempts, int *retries,
                       char **why)
{
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
    if (!run_list(c, &a->pre_sql)) {
        *why = error_text(c);
        return false;
    }
    if (!check_guard(c, a, why))
        return false;
    if (a->kind == ACT_ARCHIVE) {
        *attempts = 1;
        return run_archive(c, a, why);
    }
    double start = now_ms(), delay = 100;
    for (;;) {
        (*attempts)++;
        if (attempt_main(c, a, *attempts > 1))
            return true;
        if (!conn_error_is_retryable(c) || interrupted()) {
            *why = error_text(c);
            return false;
        }
        /* Backoff with jitter: 100 ms doubling to 5 s, each wait 50-100 % of that. */
        double wait = delay * (0.5 + 0.5 * (double)rand() / RAND_MAX);
        if (now_ms() - start + wait > o->retry_budget_s * 1000.0) {
            *why = xasprintf("gave up after %d attempts in %.1f s: %s (lock_timeout %d ms each "
                             "time; pgstrata never cancels other sessions, so a long transaction "
                             "holding a conflicting lock wins; the next run tries again)",
                             *attempts, (now_ms() - start) / 1000.0, conn_error(c),
                             a->lock_timeout_ms);
            return false;
        }
        (*retries)++;
        sleep_ms(wait);
        if (delay < 5000)
            delay *= 2;
    }
}

static void audit(Conn *c, const ExecOptions *o, const Action *a, Outcome out, double ms,
                  int attempts, const char *why)
{
    StrBuf sql;
    sb_init(&sql);
    for (size_t i = 0; i < a->sql.n; i++)
        sb_printf(&sql, "%s%s;", i ? "\n" : "", a->sql.items[i]);
    if (a->copy_sql)
        sb_printf(&sql, "%s | %s", a->copy_sql, a->command);
    char dur[32], att[16];
    snprintf(dur, sizeof(dur), "%.3f", ms);
    snprintf(att, sizeof(att), "%d", attempts);
    const char *outcome = out == OUT_OK ? "ok" : out == OUT_FAILED ? "failed" : "skipped";
    const char *params[] = {o->run_id,
                            a->table,
                            action_kind_name(a->kind),
                            a->target,
                            sql.len ? sql.data : NULL,
                            dur,
                            att,
                            outcome,
                            why};
    if (!db_exec_params(c,
                        "INSERT INTO pgstrata.audit (run_id, parent, action, target, sql,"
                        " duration_ms, attempts, outcome, error)"
                        " VALUES ($1, $2, $3, $4, $5, $6::double precision, $7::integer, $8, $9)",
                        9, params))
        fprintf(stderr, "pgstrata: warning: could not write the audit row: %s\n", conn_error(c));
    sb_free(&sql);
}

void exec_plan(Conn *c, const Plan *plan, const ExecOptions *o, ExecResult *res)
{
    Outcome *done = xcalloc(plan->n + 1, sizeof(Outcome));
    session_lock_timeout = -1;
    srand((unsigned int)(getpid() ^ (unsigned int)time(NULL)));
    memset(res, 0, sizeof(*res));
    for (size_t i = 0; i < plan->n; i++) {
        const Action *a = &plan->actions[i];
        const char *kind = action_kind_name(a->kind);
        done[i] = OUT_FAILED;
        if (a->kind == ACT_SKIP) {
            done[i] = OUT_OK;
            if (!o->quiet)
                printf("note     %-17s %s: %s\n", "", a->table, a->why);
            continue;
        }
        if (a->kind == ACT_ERROR) {
            res->failed++;
            fprintf(stderr, "pgstrata: error: %s: %s\n", a->table, a->why);
            audit(c, o, a, OUT_FAILED, 0, 0, a->why);
            continue;
        }
        if (interrupted() || (a->depends_on >= 0 && done[a->depends_on] != OUT_OK)) {
            done[i] = OUT_SKIPPED;
            res->skipped++;
            const char *why = interrupted() ? "interrupted" : "an earlier step it needs failed";
            if (!o->quiet)
                printf("skipped  %-17s %s (%s)\n", kind, a->target, why);
            audit(c, o, a, OUT_SKIPPED, 0, 0, why);
            continue;
        }
        char *why = NULL;
        int attempts = 0;
        double start = now_ms();
        bool ok = run_action(c, a, o, &attempts, &res->retries, &why);
        double ms = now_ms() - start;
        done[i] = ok ? OUT_OK : OUT_FAILED;
        if (ok) {
            res->ok++;
            if (!o->quiet)
                printf("ok       %-17s %s (%.0f ms%s)\n", kind, a->target, ms,
                       attempts > 1 ? ", retried" : "");
        } else {
            res->failed++;
            /* A relation missing may be a partition renamed by hand: its cached name is
             * stale, so read every bound afresh next time. */
            const char *state = conn_error_state(c);
            if (state && strcmp(state, "42P01") == 0)
                catalog_forget_all_bounds(c);
            if (!o->quiet)
                printf("FAILED   %-17s %s\n", kind, a->target);
            fprintf(stderr, "pgstrata: error: %s: %s %s: %s\n", a->table, kind, a->target, why);
        }
        audit(c, o, a, ok ? OUT_OK : OUT_FAILED, ms, attempts, why);
        free(why);
    }
    fflush(stdout);
    free(done);
}
