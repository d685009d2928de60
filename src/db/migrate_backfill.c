/* migrate backfill: the existing rows copied into the new tree in chunks of
 * identity order, each its own short transaction, on --jobs sessions of
 * their own (one by default).
 *
 * This session finds where each chunk ends (the identity of the Nth row
 * after its start) while the others copy, hands chunks out, applies the
 * captured changes every few batch times, and keeps the resumable cursor
 * (when no other session can connect, it copies itself): each batch
 * records, in its own transaction, the end of the chunks known done without
 * a hole before it, so a kill at any point loses no row and at worst copies
 * again the chunks that were in flight (a batch replaces its whole range, so
 * copying one twice changes nothing).
 *
 * Why batches and replays never overlap, and why that is enough: see
 * msql_backfill_function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backfill.h"
#include "core/strbuf.h"
#include "db/backoff.h"
#include "db/failpoint.h"
#include "db/migrate_steps.h"

#define MAX_JOBS 64

static bool fail(Conn *c, char **err, const char *what)
{
    *err = xasprintf("%s: %s", what, conn_error(c));
    return false;
}

/* The SQL of the batch and replay functions as this pgstrata writes them:
 * a migration started by an earlier version runs the current ones. */
static bool install_functions(Conn *c, const Migration *m, char **err)
{
    char *rep = msql_replay_function(m, false, NULL), *bf = msql_backfill_function(m);
    char *script = xasprintf("SET client_min_messages = warning;\n%s;\n%s;\n"
                             "RESET client_min_messages",
                             rep, bf);
    free(rep);
    free(bf);
    bool ok = db_exec_script(c, script);
    free(script);
    return ok || fail(c, err, "could not install the backfill functions");
}

static bool read_cursor(Conn *c, const Migration *m, char **cursor, bool *done, char **err)
{
    char *q = xasprintf("SELECT backfill_cursor::text, backfill_done FROM pgstrata.migration"
                        " WHERE id = %d",
                        m->id);
    DbResult *r = db_query(c, q, 0, NULL);
    free(q);
    if (!r)
        return fail(c, err, "could not read the backfill cursor");
    *cursor = db_rows(r) ? xstrdup_or_null(db_get(r, 0, 0)) : NULL;
    *done = db_rows(r) ? db_get_bool(r, 0, 1) : false;
    db_clear(r);
    return true;
}

/* The end of a chunk of rows rows starting after lo: *hi NULL when fewer
 * are left (the last chunk). */
static bool chunk_end(Conn *c, const Migration *m, const char *lo, long long rows, char **hi,
                      char **err)
{
    char *sql = msql_backfill_bound(m);
    char n[32];
    snprintf(n, sizeof(n), "%lld", rows);
    const char *params[] = {lo, n};
    DbResult *r = db_query(c, sql, 2, params);
    free(sql);
    if (!r)
        return fail(c, err, "could not find the end of the next batch");
    *hi = db_rows(r) ? xstrdup_or_null(db_get(r, 0, 0)) : NULL;
    db_clear(r);
    return true;
}

/* Whether the capture log holds anything to apply (no lock taken). */
static bool log_empty(Conn *c, const Migration *m, bool *empty, char **err)
{
    char *log = msql_object(m, "log");
    char *sql = xasprintf("SELECT NOT EXISTS (SELECT 1 FROM %s)", log);
    free(log);
    DbResult *r = db_query(c, sql, 0, NULL);
    free(sql);
    if (!r)
        return fail(c, err, "could not read the capture log");
    *empty = db_get_bool(r, 0, 0);
    db_clear(r);
    return true;
}

static bool record(Conn *c, const Migration *m, const char *mark, bool fin, char **err)
{
    char *sql = msql_backfill_record(m);
    const char *params[] = {mark, fin ? "t" : "f"};
    bool ok = db_exec_params(c, sql, 2, params);
    free(sql);
    return ok || fail(c, err, "could not record the backfill's progress");
}

typedef struct Worker {
    Conn *c;
    long long seq; /* the chunk it runs, -1: idle */
    bool fin;      /* that chunk's transaction completes the backfill */
} Worker;

bool mstep_backfill(Conn *c, const Migration *m, const BackfillOptions *o, long long *copied,
                    char **err)
{
    *copied = 0;
    int jobs = o->jobs < 1 ? 1 : o->jobs > MAX_JOBS ? MAX_JOBS : o->jobs;
    long long applied = 0;
    char *cursor = NULL;
    bool done = false;
    /* the replay waits for any batch still running from an earlier run
     * (killed, its server sessions finishing) before the cursor is read */
    if (!install_functions(c, m, err) || !mstep_replay(c, m, false, 10000, &applied, err) ||
        !read_cursor(c, m, &cursor, &done, err))
        return false;
    if (done) {
        free(cursor);
        return true;
    }

    /* the batches run on sessions of their own, so that this one can find
     * where the next chunk ends and apply captured changes meanwhile */
    Worker w[MAX_JOBS];
    Conn *waiting[MAX_JOBS];
    int nw = 0;
    for (int i = 0; i < jobs; i++) {
        char *cerr = NULL;
        Conn *wc = conn_clone(c, &cerr);
        if (!wc) {
            fprintf(stderr, "pgstrata: warning: a backfill session could not connect: %s\n", cerr);
            free(cerr);
            continue;
        }
        w[nw++] = (Worker){wc, -1, false};
    }
    /* none could connect (max_connections?): this session copies, and
     * applies the captured changes after each batch */
    bool solo = nw == 0;
    if (solo)
        w[nw++] = (Worker){c, -1, false};

    char *call = msql_backfill_call(m);
    BfQueue q;
    bf_init(&q, cursor);
    free(cursor);
    long long batch = o->batch_rows > 0 ? o->batch_rows : 5000;
    /* rows not yet handed out, as estimated: evens out the last chunks */
    double left = m->rows_estimate - (double)m->rows_copied;
    double t0 = clock_ms(), last_replay = t0;
    /* captured changes are applied every few batch times: a replay waits
     * for the batches running and holds back new ones */
    double replay_every_ms = 5000.0 * o->batch_time_s;
    if (replay_every_ms < 2000)
        replay_every_ms = 2000;
    bool ok = true, fin_committed = false;
    long long rows_done = 0;
    /* the end of the next chunk, found while the sessions were busy */
    char *next_hi = NULL;
    long long next_rows = 0;
    bool have_next = false;
    for (;;) {
        /* hand out chunks to idle sessions */
        for (int i = 0; ok && i < nw && !q.end_added && !interrupted(); i++) {
            if (w[i].seq >= 0)
                continue;
            if (o->max_rate > 0 && clock_ms() < t0 + (double)rows_done * 1000.0 / o->max_rate)
                break;
            if (!have_next) {
                next_rows = bf_chunk_rows(batch, nw, left);
                if (!chunk_end(c, m, q.next_lo, next_rows, &next_hi, err)) {
                    ok = false;
                    break;
                }
            }
            long long seq = bf_add(&q, next_hi, next_rows, clock_ms());
            left -= (double)next_rows;
            free(next_hi);
            next_hi = NULL;
            have_next = false;
            BfChunk *ch = bf_find(&q, seq);
            const char *mark;
            bool fin;
            bf_dispatch_mark(&q, seq, &mark, &fin);
            const char *params[] = {ch->lo, ch->hi, mark, fin ? "t" : "f"};
            if (!db_send(w[i].c, call, 4, params)) {
                /* never ran: the done prefix, and so the cursor, stop before it */
                ok = fail(w[i].c, err, "backfill batch failed");
                break;
            }
            w[i].seq = seq;
            w[i].fin = fin;
        }
        int busy = 0;
        for (int i = 0; i < nw; i++) {
            waiting[i] = w[i].seq >= 0 ? w[i].c : NULL;
            busy += w[i].seq >= 0;
        }
        if (busy == 0) {
            if (!ok || q.end_added || interrupted())
                break;
            /* --max-rate holds the next chunk back */
            double wait =
                o->max_rate > 0 ? t0 + (double)rows_done * 1000.0 / o->max_rate - clock_ms() : 1;
            sleep_ms(wait > 0 ? wait : 1);
            continue;
        }
        if (!solo && ok && !have_next && !q.end_added && !interrupted()) {
            next_rows = bf_chunk_rows(batch, nw, left);
            if (!chunk_end(c, m, q.next_lo, next_rows, &next_hi, err))
                ok = false;
            have_next = ok;
        }
        int k = db_wait_any(waiting, nw, solo ? -1 : 100);
        if (k >= 0) {
            DbResult *r = db_receive(w[k].c);
            long long seq = w[k].seq;
            w[k].seq = -1;
            BfChunk *ch = bf_find(&q, seq);
            if (!r) {
                if (ok)
                    fail(w[k].c, err, "backfill batch failed");
                ok = false;
                /* not done: the cursor stays before it */
            } else {
                long long n = db_get_ll(r, 0, 0, 0);
                db_clear(r);
                double took_s = (clock_ms() - ch->started_ms) / 1000.0;
                if (o->batch_rows <= 0 && ok && ch->hi)
                    batch = bf_next_rows(ch->rows_wanted, took_s, o->batch_time_s);
                fin_committed = fin_committed || w[k].fin;
                bf_complete(&q, seq);
                rows_done += n;
                *copied += n;
                if (o->progress)
                    o->progress(o->progress_arg, *copied);
                /* committed, its captured changes not yet applied */
                failpoint_reach("migrate-backfill", "after-batch");
            }
        }
        /* apply the captured changes, when there are any: every few batch
         * times, or after every batch when this session copies */
        if (ok && !interrupted() && (solo ? k >= 0 : clock_ms() - last_replay >= replay_every_ms)) {
            bool empty = false;
            if (!log_empty(c, m, &empty, err))
                ok = false;
            else if (!empty && !mstep_replay(c, m, false, 10000, &applied, err))
                ok = false;
            last_replay = clock_ms();
        }
    }
    /* the done prefix may be ahead of what the batches recorded (out of
     * order), and the last one may not have known it was the last */
    if (q.reached_end && !fin_committed) {
        char *e2 = NULL;
        if (!record(c, m, NULL, true, ok ? err : &e2))
            ok = false;
        free(e2);
    } else if (q.mark) {
        char *e2 = NULL;
        if (!record(c, m, q.mark, false, ok ? err : &e2))
            ok = false;
        free(e2);
    }
    if (ok && !q.reached_end && interrupted())
        ok = false; /* the caller says so */
    free(next_hi);
    bf_free(&q);
    free(call);
    if (!solo)
        for (int i = 0; i < nw; i++)
            conn_close(w[i].c);
    return ok;
}
