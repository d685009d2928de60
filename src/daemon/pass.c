/* The pass process (daemon/pass.h). */
#include "daemon/pass.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/snapshot.h"
#include "core/strbuf.h"
#include "daemon/schedule.h"
#include "db/catalog.h"
#include "db/schema.h"

/* The daemons' claim on a database: a session advisory lock in a key space
 * of its own (maintain's per-table locks use 1885827956), held for the pass
 * and released by the server when the session ends, however it ends. */
#define DAEMON_LOCK_CLASS 1885827957

/* Lines longer than PIPE_BUF could interleave with those of --jobs workers
 * writing to the same pipe: details are cut well below it. */
#define DETAIL_MAX 2000

static int report_fd = -1;

static void send_line(cJSON *msg)
{
    char *text = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    size_t len = strlen(text);
    text = xrealloc(text, len + 2);
    text[len++] = '\n';
    text[len] = '\0';
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(report_fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the scheduler is gone: nobody to tell */
        off += (size_t)w;
    }
    free(text);
}

static void add_text(cJSON *o, const char *key, const char *value)
{
    if (!value)
        return;
    if (strlen(value) <= DETAIL_MAX) {
        cJSON_AddStringToObject(o, key, value);
        return;
    }
    char *cut = xasprintf("%.*s...", DETAIL_MAX, value);
    cJSON_AddStringToObject(o, key, cut);
    free(cut);
}

/* How the pass ended: its "pass" line. */
typedef struct Ending {
    const char *result;
    char *msg;
} Ending;

static void end_as(Ending *e, const char *result, char *msg_owned)
{
    e->result = result;
    e->msg = msg_owned;
}

static void send_ending(const Ending *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "pass");
    cJSON_AddStringToObject(o, "result", e->result);
    add_text(o, "msg", e->msg);
    send_line(o);
}

static void on_action(void *arg, const ActionEvent *ev)
{
    (void)arg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ev", "action");
    add_text(o, "table", ev->action->table);
    cJSON_AddStringToObject(o, "action", action_kind_name(ev->action->kind));
    add_text(o, "target", ev->action->target);
    cJSON_AddStringToObject(o, "outcome", ev->outcome);
    cJSON_AddNumberToObject(o, "ms", ev->ms);
    cJSON_AddNumberToObject(o, "attempts", ev->attempts);
    add_text(o, "detail", ev->detail);
    send_line(o);
}

static void send_tables(const TableMetrics *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "ev", "table");
        cJSON_AddStringToObject(o, "table", t[i].table);
        cJSON_AddNumberToObject(o, "partitions", (double)t[i].partitions);
        cJSON_AddNumberToObject(o, "default_rows", (double)t[i].default_rows);
        if (t[i].has_coverage)
            cJSON_AddNumberToObject(o, "coverage_s", t[i].coverage_s);
        if (t[i].has_key_ahead)
            cJSON_AddNumberToObject(o, "key_ahead", t[i].key_ahead);
        if (t[i].has_success)
            cJSON_AddNumberToObject(o, "success_age_s", t[i].success_age_s);
        send_line(o);
    }
}

/* The test clock: the first line of the file named by PASS_NOW_FILE_ENV. */
static char *test_now(void)
{
    const char *path = getenv(PASS_NOW_FILE_ENV);
    if (!path)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[128];
    char *now = NULL;
    if (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line)
            now = xstrdup(line);
    }
    fclose(f);
    return now;
}

/* Why retirement steps wait this pass, from the windows and the pass clock
 * in their zone (the server knows the zones); NULL when they may run. */
static bool window_hold(Conn *c, const PassSettings *s, const char *now, char **hold, char **err)
{
    *hold = NULL;
    if (s->nwindows == 0)
        return true;
    const char *params[] = {now, s->time_zone};
    DbResult *r = db_query(c,
                           "SELECT (pg_catalog.date_part('hour', t) * 60 +"
                           " pg_catalog.date_part('minute', t))::integer FROM (SELECT"
                           " COALESCE($1::timestamptz, pg_catalog.now()) AT TIME ZONE $2 AS t) s",
                           2, params);
    if (!r) {
        *err = xasprintf("could not read the time in zone %s for the windows: %s", s->time_zone,
                         conn_error(c));
        return false;
    }
    int minute = (int)db_get_ll(r, 0, 0, 0);
    db_clear(r);
    *hold = windows_hold_reason(s->windows, s->nwindows, s->time_zone, minute);
    return true;
}

/* A step before the pass failed: an error, which the scheduler retries with
 * backoff rather than after a whole interval. */
static void fail_step(Ending *e, const char *what, const char *why)
{
    end_as(e, "error", xasprintf("%s: %s", what, why));
}

static void read_stats(Conn *c, const DbConfig *db, const char *now)
{
    TableMetrics *t = NULL;
    size_t n = 0;
    char *err = NULL;
    if (pass_read_stats(c, db->tables, db->ntables, now, &t, &n, &err))
        send_tables(t, n);
    else
        fprintf(stderr, "pgstrata: warning: %s\n", err);
    free(err);
    table_metrics_free(t, n);
}

/* Everything after connecting. */
static void run(Conn *c, const DbConfig *db, const char *now, Ending *e)
{
    char why[512];
    if (!catalog_server_supported(c, why, sizeof(why))) {
        end_as(e, "error", xstrdup(why));
        return;
    }
    char cls[16];
    snprintf(cls, sizeof(cls), "%d", DAEMON_LOCK_CLASS);
    const char *params[] = {cls};
    DbResult *r = db_query(c, "SELECT pg_catalog.pg_try_advisory_lock($1::integer, 0)", 1, params);
    if (!r) {
        fail_step(e, "could not take the database's claim", conn_error(c));
        return;
    }
    bool claimed = db_get_bool(r, 0, 0);
    db_clear(r);
    if (!claimed) {
        end_as(e, "skipped", xstrdup("another pgstrata daemon is maintaining this database"));
        return;
    }
    char *err = NULL, *hold = NULL;
    if (!schema_check(c, &err) || !catalog_check_now(c, now, &err) ||
        !window_hold(c, &db->pass, now, &hold, &err)) {
        fail_step(e, "cannot maintain this database", err);
        free(err);
        return;
    }
    if (interrupted()) {
        end_as(e, "skipped", xstrdup("the daemon is stopping"));
        free(hold);
        return;
    }
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    char *run_id = xasprintf("%s:%d:%lld", host, (int)getpid(), (long long)time(NULL));
    Cli cli;
    memset(&cli, 0, sizeof(cli));
    cli.quiet = true;
    cli.now = now;
    cli.run_id = run_id;
    cli.retry_budget_s = db->pass.retry_budget_s;
    cli.move_default_max_rows = db->pass.move_default_max_rows;
    cli.jobs = db->pass.jobs;
    cli.args = db->tables;
    cli.nargs = (int)db->ntables;
    cli.on_action = on_action;
    cli.hold_destructive = hold;
    int code = maintain_on(c, &cli);
    free(run_id);
    free(hold);
    if (conn_lost(c)) {
        end_as(e, "error", xstrdup("the connection to the server was lost during the pass"));
        return;
    }
    if (!interrupted())
        read_stats(c, db, now);
    end_as(e, code == EXIT_OK ? "ok" : "failed",
           interrupted() ? xstrdup("stopped after the running action") : NULL);
}

_Noreturn void pass_run(const DbConfig *db, int fd)
{
    report_fd = fd;
    conn_stop_between_actions();
    /* a server that does not answer must not hold the pass for libpq's default */
    setenv("PGCONNECT_TIMEOUT", "10", 0);
    char *now = test_now();
    ConnOptions co = {.dbname = db->conninfo, .no_password = true};
    char *err = NULL;
    Ending e = {"error", NULL};
    Conn *c = conn_open(&co, &err);
    if (!c)
        end_as(&e, "error", xasprintf("could not connect: %s", err));
    else
        run(c, db, now, &e);
    send_ending(&e);
    conn_close(c);
    free(e.msg);
    free(err);
    free(now);
    fflush(NULL);
    exit(0);
}
