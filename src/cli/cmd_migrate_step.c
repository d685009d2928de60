/* migrate start | backfill | verify | cutover | rollback | finish | status */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ident.h"
#include "core/strbuf.h"
#include "db/backoff.h"
#include "db/catalog.h"
#include "db/failpoint.h"
#include "db/migrate_inspect.h"
#include "db/migrate_steps.h"

#define DEFAULT_CUTOVER_LOCK_TIMEOUT_MS 500

static double now_s(void)
{
    return clock_ms() / 1000.0;
}

static int lock_timeout_ms(const Cli *cli, int *code)
{
    const char *t = cli->policy_values[POPT_LOCK_TIMEOUT];
    if (!t)
        return DEFAULT_CUTOVER_LOCK_TIMEOUT_MS;
    int ms = 0;
    char why[256];
    if (!parse_lock_timeout(t, &ms, why, sizeof(why))) {
        cli_error("invalid --lock-timeout \"%s\": %s", t, why);
        *code = EXIT_USAGE;
        return -1;
    }
    return ms;
}

/* The session for one migration: connected, the table resolved, the
 * migration's advisory lock held (unless only reading: status shows a step
 * another run is doing). */
typedef struct Session {
    Conn *c;
    char *schema, *table, *disp;
} Session;

static void session_close(Session *s)
{
    conn_close(s->c);
    free(s->schema);
    free(s->table);
    free(s->disp);
}

static bool session_open(Cli *cli, const char *typed, bool lock, Session *s, int *code)
{
    memset(s, 0, sizeof(*s));
    s->c = cli_connect(cli, true, code);
    if (!s->c)
        return false;
    char *err = NULL;
    bool got = !lock;
    *code = EXIT_FAILED;
    if (!catalog_resolve(s->c, typed, &s->schema, &s->table, &err) ||
        (lock && !mstep_lock(s->c, s->schema, s->table, &got, &err))) {
        cli_error("%s", err);
        free(err);
        return false;
    }
    s->disp = ident_display(s->schema, s->table);
    if (!got) {
        cli_error("another pgstrata migrate is working on %s; try again when it is done", s->disp);
        return false;
    }
    return true;
}

/* The migration in progress, or an error saying there is none. */
static bool load_active(Session *s, Migration *m)
{
    bool found = false;
    char *err = NULL;
    if (!mstep_load(s->c, s->schema, s->table, true, m, &found, &err)) {
        cli_error("%s", err);
        free(err);
        return false;
    }
    if (!found) {
        cli_error("no migration of %s is in progress; see \"pgstrata migrate plan\"", s->disp);
        return false;
    }
    return true;
}

/* Whether the newest migration of the table is in the step this command
 * leaves it in (a run killed after its commit, or the command run twice):
 * then there is nothing left to do, and saying so is a success. */
static bool done_already(const Cli *cli, Session *s, const char *leaves)
{
    Migration m;
    bool found = false, done = false;
    char *err = NULL;
    if (!mstep_load(s->c, s->schema, s->table, false, &m, &found, &err)) {
        free(err); /* load_active, next, reports it */
        return false;
    }
    if (found && strcmp(m.step, leaves) == 0) {
        done = true;
        if (!cli->quiet)
            printf("migration %d of %s is %s already: nothing to do\n", m.id, s->disp,
                   strcmp(leaves, "finished") == 0 ? "finished" : "rolled back");
    }
    if (found)
        migration_free(&m);
    return done;
}

static int do_start(Cli *cli, Session *s)
{
    char *column = NULL;
    int code = migrate_layout_args(cli, "start", &column);
    if (code >= 0)
        return code;
    code = EXIT_FAILED;
    int lt = lock_timeout_ms(cli, &code);
    if (lt < 0) {
        free(column);
        return code;
    }
    Migration m;
    bool found = false;
    char *err = NULL;
    if (!mstep_load(s->c, s->schema, s->table, true, &m, &found, &err)) {
        free(column);
        goto fail;
    }
    if (found) {
        err = xasprintf("a migration of %s is already in progress (step %s); see \"pgstrata "
                        "migrate status %s\"",
                        s->disp, m.step, s->disp);
        migration_free(&m);
        free(column);
        goto fail;
    }
    Policy p;
    policy_init(&p);
    MigrateInspection ins;
    memset(&ins, 0, sizeof(ins));
    if (!migrate_layout_policy(s->c, cli, s->schema, s->table, column, &p, &code)) {
        policy_free(&p);
        return code;
    }
    code = EXIT_FAILED;
    if (!migrate_inspect(s->c, &p, cli->now, &ins, &err)) {
        policy_free(&p);
        goto fail;
    }
    size_t blockers = migrate_unaccepted_blockers(&ins, cli->accept);
    if (blockers) {
        for (size_t i = 0; i < ins.nfindings; i++) {
            const Finding *f = &ins.findings[i];
            if (f->severity != SEV_BLOCKER)
                continue;
            fprintf(stderr, "pgstrata: blocker: %s%s%s%s\n", f->message,
                    f->accept ? " (--accept " : "", f->accept ? f->accept : "",
                    f->accept ? " lets start go on)" : "");
        }
        cli_error("%zu blocker%s: nothing was changed; see \"pgstrata migrate plan %s ...\"",
                  blockers, blockers == 1 ? "" : "s", s->disp);
    } else if (!mstep_start(s->c, &p, &ins, lt, cli->retry_budget_s, &m, &err)) {
        migrate_inspection_free(&ins);
        policy_free(&p);
        goto fail;
    } else {
        code = EXIT_OK;
        if (!cli->quiet) {
            char *nd = ident_display(m.schema, m.new_table);
            printf("started migration %d of %s: new table %s with %zu partitions; changes to %s "
                   "are captured from now on\n"
                   "next: pgstrata migrate backfill %s\n",
                   m.id, s->disp, nd, ins.nparts, s->disp, s->disp);
            free(nd);
        }
        migration_free(&m);
    }
    migrate_inspection_free(&ins);
    policy_free(&p);
    return code;
fail:
    cli_error("%s", err);
    free(err);
    return EXIT_FAILED;
}

static void progress(const Cli *cli, bool tty, long long done, double total, double t0, bool final)
{
    if (cli->quiet)
        return;
    double el = now_s() - t0;
    double rate = el > 0 ? (double)done / el : 0;
    double left = total > (double)done && rate > 0 ? (total - (double)done) / rate : 0;
    if (tty) {
        int width = 30, fill = total > 0 ? (int)(width * ((double)done / total)) : 0;
        if (fill > width)
            fill = width;
        printf("\r[%.*s%*s] %lld rows, %.0f rows/s, ETA %.0f s   ", fill,
               "##############################", width - fill, "", done, rate, left);
        if (final)
            putchar('\n');
    } else {
        printf("backfill: %lld rows, %.0f rows/s, ETA %.0f s\n", done, rate, left);
    }
    fflush(stdout);
}

typedef struct Progress {
    const Cli *cli;
    bool tty;
    long long before; /* rows copied by earlier runs */
    double total, t0, last_print;
} Progress;

static void on_batch(void *arg, long long copied)
{
    Progress *p = arg;
    if (now_s() - p->last_print > (p->tty ? 0.2 : 5)) {
        progress(p->cli, p->tty, p->before + copied, p->total, p->t0, false);
        p->last_print = now_s();
    }
}

static int do_backfill(Cli *cli, Session *s, Migration *m, int lt)
{
    (void)lt;
    char *err = NULL;
    int code = EXIT_FAILED;
    if (strcmp(m->step, "started") != 0) {
        err = xasprintf("the migration of %s is past the backfill (step %s)", s->disp, m->step);
        goto out;
    }
    Progress p = {cli, isatty(STDOUT_FILENO), m->rows_copied, m->rows_estimate, now_s(), 0};
    BackfillOptions o = {cli->jobs,     cli->batch_rows, cli->batch_time_s,
                         cli->max_rate, on_batch,        &p};
    long long copied_now = 0;
    if (!mstep_backfill(s->c, m, &o, &copied_now, &err)) {
        if (interrupted()) {
            free(err);
            err = xasprintf("interrupted after %lld rows; \"pgstrata migrate backfill %s\" goes "
                            "on from there",
                            copied_now, s->disp);
        }
        goto out;
    }
    if (!mstep_drain(s->c, m, false, &err))
        goto out;
    progress(cli, p.tty, m->rows_copied + copied_now, m->rows_estimate, p.t0, true);
    if (!cli->quiet)
        printf("backfill of %s done: %lld rows copied in this run; changes keep being applied; "
               "next: pgstrata migrate verify %s\n",
               s->disp, copied_now, s->disp);
    code = EXIT_OK;
out:
    if (err)
        cli_error("%s", err);
    free(err);
    return code;
}

static int do_verify(Cli *cli, Session *s, Migration *m, int lt)
{
    (void)lt;
    char *err = NULL;
    int code = EXIT_FAILED;
    VerifyResult v;
    memset(&v, 0, sizeof(v));
    if (strcmp(m->step, "started") != 0 || !m->backfill_done) {
        err = xasprintf("verify compares the tables after the backfill and before cutover; the "
                        "migration of %s is %s",
                        s->disp, strcmp(m->step, "started") ? m->step : "still backfilling");
        goto out;
    }
    if (!mstep_drain(s->c, m, false, &err))
        goto out;
    if (!mstep_verify(s->c, m, &v, &err))
        goto out;
    code = v.nranges == 0 && v.outside == 0 ? EXIT_OK : EXIT_FAILED;
    if (cli->json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddBoolToObject(doc, "equal", code == EXIT_OK);
        cJSON_AddNumberToObject(doc, "rows", (double)v.rows);
        cJSON_AddNumberToObject(doc, "in_flight", (double)v.in_flight);
        cJSON_AddNumberToObject(doc, "outside", (double)v.outside);
        cJSON *arr = cJSON_AddArrayToObject(doc, "mismatches");
        for (size_t i = 0; i < v.nranges; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "from", v.ranges[i].lower ? v.ranges[i].lower : "");
            cJSON_AddStringToObject(o, "to", v.ranges[i].upper ? v.ranges[i].upper : "");
            cJSON_AddNumberToObject(o, "source_rows", (double)v.ranges[i].source_rows);
            cJSON_AddNumberToObject(o, "new_rows", (double)v.ranges[i].new_rows);
            cJSON_AddItemToArray(arr, o);
        }
        cli_print_json(doc);
    } else {
        for (size_t i = 0; i < v.nranges; i++)
            printf("MISMATCH [%s, %s): %lld rows in the source, %lld in the new table%s\n",
                   v.ranges[i].lower, v.ranges[i].upper, v.ranges[i].source_rows,
                   v.ranges[i].new_rows,
                   v.ranges[i].source_rows == v.ranges[i].new_rows ? ", contents differ" : "");
        if (v.outside)
            printf("MISMATCH %lld rows of the source fall outside every new partition\n",
                   v.outside);
        printf("%s: %lld rows compared in one snapshot, %zu ranges differ; %lld rows changing at "
               "that moment were left out (their captured change copies them again)\n",
               code == EXIT_OK ? "equal" : "DIFFERENT", v.rows, v.nranges, v.in_flight);
    }
out:
    if (err)
        cli_error("%s", err);
    free(err);
    verify_result_free(&v);
    return code;
}

static int do_cutover(Cli *cli, Session *s, Migration *m, int lt)
{
    int code = EXIT_FAILED;
    char *err = NULL;
    int attempts = 0;
    /* cutover again after a run killed between its commit and its ANALYZE */
    bool again = strcmp(m->step, "cutover") == 0;
    if (!again && (strcmp(m->step, "started") != 0 || !m->backfill_done)) {
        err = xasprintf("cutover comes after a complete backfill; the migration of %s is %s",
                        s->disp, strcmp(m->step, "started") ? m->step : "still backfilling");
    } else if (mstep_cutover(s->c, m, lt, cli->retry_budget_s, &attempts, &err)) {
        code = EXIT_OK;
        if (!cli->quiet && again)
            printf("the cutover of %s was done already; analyzed the new table; next: \"pgstrata "
                   "migrate finish %s\" (or \"pgstrata migrate rollback %s\")\n",
                   s->disp, s->disp, s->disp);
        else if (!cli->quiet)
            printf("cutover of %s done (%d attempt%s): the new partitioned table has the name; "
                   "the old one is %s, and writes are captured back into it until \"pgstrata "
                   "migrate finish %s\" (\"pgstrata migrate rollback %s\" undoes the cutover)\n",
                   s->disp, attempts, attempts == 1 ? "" : "s", m->old_table, s->disp, s->disp);
    }
    if (err)
        cli_error("%s", err);
    free(err);
    return code;
}

static int do_rollback(Cli *cli, Session *s, Migration *m, int lt)
{
    int code = EXIT_FAILED;
    char *err = NULL;
    if (mstep_rollback(s->c, m, lt, cli->retry_budget_s, &err)) {
        code = EXIT_OK;
        if (!cli->quiet)
            printf("rolled back the migration of %s: it is the table it was, with every write "
                   "made meanwhile\n",
                   s->disp);
    } else {
        cli_error("%s", err);
    }
    free(err);
    return code;
}

static int do_finish(Cli *cli, Session *s, Migration *m, int lt)
{
    int code = EXIT_FAILED;
    char *err = NULL;
    bool dropped = false;
    /* archived before the drop: a failed archive drops nothing */
    const char *archive = cli->policy_values[POPT_ARCHIVE_COMMAND];
    if (archive && !cli->keep_old && !mstep_archive_old(s->c, m, archive, &err)) {
        cli_error("%s", err);
        free(err);
        return EXIT_FAILED;
    }
    if (archive && !cli->keep_old && !cli->quiet) {
        char *old = ident_display(s->schema, m->old_table);
        printf("archived %s with the archive command\n", old);
        free(old);
    }
    if (mstep_finish(s->c, m, cli->keep_old, lt, cli->retry_budget_s, &dropped, &err)) {
        code = EXIT_OK;
        if (!cli->quiet && dropped)
            printf("finished the migration of %s: the old table is dropped\n", s->disp);
        else if (!cli->quiet)
            printf("finished the migration of %s: reverse capture stopped; the old table %s is "
                   "kept for %s, then \"pgstrata migrate finish %s\" drops it\n",
                   s->disp, m->old_table, cli->keep_old, s->disp);
    } else {
        cli_error("%s", err);
    }
    free(err);
    return code;
}

static int do_status(Cli *cli, Session *s)
{
    Migration m;
    bool found = false;
    char *err = NULL;
    if (!mstep_load(s->c, s->schema, s->table, false, &m, &found, &err)) {
        cli_error("%s", err);
        free(err);
        return EXIT_FAILED;
    }
    if (!found) {
        cli_error("%s has never been migrated", s->disp);
        return EXIT_FAILED;
    }
    long long backlog = 0;
    double lag = 0;
    bool capturing = strcmp(m.step, "started") == 0 || strcmp(m.step, "cutover") == 0;
    if (capturing &&
        !mstep_backlog(s->c, &m, strcmp(m.step, "cutover") == 0, &backlog, &lag, &err)) {
        cli_error("%s", err);
        free(err);
        migration_free(&m);
        return EXIT_FAILED;
    }
    const char *step =
        strcmp(m.step, "started") == 0 ? (m.backfill_done ? "backfilled" : "backfilling") : m.step;
    if (cli->json) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "id", m.id);
        cJSON_AddStringToObject(doc, "table", s->disp);
        cJSON_AddStringToObject(doc, "step", step);
        cJSON_AddStringToObject(doc, "new_table", m.new_table);
        cJSON_AddStringToObject(doc, "old_table", m.old_table);
        cJSON_AddNumberToObject(doc, "rows_copied", (double)m.rows_copied);
        cJSON_AddNumberToObject(doc, "rows_estimate", m.rows_estimate);
        cJSON_AddBoolToObject(doc, "capturing", capturing);
        cJSON_AddNumberToObject(doc, "capture_backlog", (double)backlog);
        cJSON_AddNumberToObject(doc, "capture_lag_seconds", lag);
        cli_print_json(doc);
    } else {
        printf("migration %d of %s: %s\n", m.id, s->disp, step);
        printf("  copied:   %lld of about %.0f rows\n", m.rows_copied, m.rows_estimate);
        if (capturing)
            printf("  capture:  %s, %lld changes not yet applied, oldest %.1f s ago\n",
                   strcmp(m.step, "cutover") == 0 ? "new -> old (for rollback)" : "old -> new",
                   backlog, lag);
        if (m.keep_old_until)
            printf("  old table %s kept until %s\n", m.old_table, m.keep_old_until);
    }
    migration_free(&m);
    return EXIT_OK;
}

int cmd_migrate_step(Cli *cli, const char *step, char **args, int nargs)
{
    if (nargs != 1)
        return cli_usage_error("\"pgstrata migrate %s\" takes exactly one table", step);
    if (!cli_names_valid(args, 1))
        return EXIT_USAGE;
    Session s;
    int code = EXIT_OK;
    if (!session_open(cli, args[0], strcmp(step, "status") != 0, &s, &code)) {
        session_close(&s);
        return code;
    }
    if (strcmp(step, "start") == 0) {
        code = do_start(cli, &s);
    } else if (strcmp(step, "status") == 0) {
        code = do_status(cli, &s);
    } else {
        /* the others act on the migration in progress */
        static const struct {
            const char *name;
            int (*run)(Cli *, Session *, Migration *, int lock_timeout_ms);
            bool takes_locks;
            const char *leaves; /* the step it ends the migration in, if it does */
        } steps[] = {{"backfill", do_backfill, false, NULL},
                     {"verify", do_verify, false, NULL},
                     {"cutover", do_cutover, true, NULL},
                     {"rollback", do_rollback, true, "rolled_back"},
                     {"finish", do_finish, true, "finished"}};
        size_t i = 0;
        while (strcmp(steps[i].name, step) != 0)
            i++;
        int lt = steps[i].takes_locks ? lock_timeout_ms(cli, &code) : 0;
        Migration m;
        if (lt < 0) {
            /* code says why */
        } else if (steps[i].leaves && done_already(cli, &s, steps[i].leaves)) {
            code = EXIT_OK;
        } else if (!load_active(&s, &m)) {
            code = EXIT_FAILED;
        } else {
            code = steps[i].run(cli, &s, &m, lt);
            migration_free(&m);
            if (code != EXIT_OK && conn_lost(s.c))
                /* a terminated session or a server restart: each step's
                 * transactions are committed or not at all */
                cli_hint("the connection to the server was lost; what was committed stays: "
                         "\"pgstrata migrate status %s\" says where the migration is, and "
                         "\"pgstrata migrate %s %s\" goes on from there",
                         s.disp, step, s.disp);
        }
    }
    session_close(&s);
    return code;
}
