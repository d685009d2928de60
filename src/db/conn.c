#include "db/conn.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"

struct Conn {
    PGconn *pg;
    int version;
    char *version_text;
    char **user_schemas;
    size_t n_user_schemas;
    char *err;
    char *err_state;
    char *err_detail;
    char *err_hint;
    char *time_zone;  /* the session's TimeZone, set only when it changes */
    int cancel_slot;  /* its entry in cancels[], or -1 */
    pid_t cancel_pid; /* the process that registered it */
};

struct DbResult {
    PGresult *res;
};

/* The sessions Ctrl-C cancels: every open one of this process (a backfill
 * with --jobs has several statements running at once). A forked worker
 * forgets its parent's: the parent cancels its own. */
#define MAX_CANCELS 80
static PGcancel *volatile cancels[MAX_CANCELS];
static pid_t cancels_pid;
static volatile sig_atomic_t got_sigint;
/* A daemon's pass: stop signals wait for the running action (conn_stop_between_actions). */
static volatile sig_atomic_t between_actions;

static void on_sigint(int sig)
{
    if (between_actions && sig != SIGUSR1) {
        got_sigint = 1; /* the executor stops before the next action */
        return;
    }
    if (got_sigint && !between_actions) {
        static const char msg[] = "pgstrata: interrupted again, exiting\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)ignored;
        _exit(130);
    }
    got_sigint = 1;
    for (int i = 0; i < MAX_CANCELS; i++) {
        PGcancel *cancel = cancels[i];
        if (cancel) {
            char errbuf[256];
            PQcancel(cancel, errbuf, sizeof(errbuf));
        }
    }
}

static void register_cancel(Conn *c)
{
    pid_t me = getpid();
    if (cancels_pid != me) { /* inherited by fork, or the first session */
        for (int i = 0; i < MAX_CANCELS; i++) {
            PGcancel *old = cancels[i];
            cancels[i] = NULL;
            if (old)
                PQfreeCancel(old);
        }
        cancels_pid = me;
    }
    c->cancel_slot = -1;
    for (int i = 0; i < MAX_CANCELS; i++) {
        if (!cancels[i]) {
            cancels[i] = PQgetCancel(c->pg);
            c->cancel_slot = i;
            c->cancel_pid = me;
            break;
        }
    }
}

static void unregister_cancel(Conn *c)
{
    if (c->cancel_slot < 0 || c->cancel_pid != getpid() || cancels_pid != c->cancel_pid)
        return;
    PGcancel *cancel = cancels[c->cancel_slot];
    cancels[c->cancel_slot] = NULL;
    c->cancel_slot = -1;
    if (cancel)
        PQfreeCancel(cancel);
}

bool interrupted(void)
{
    return got_sigint != 0;
}

static void install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (between_actions)
        sigaction(SIGUSR1, &sa, NULL);
}

void conn_stop_between_actions(void)
{
    between_actions = 1;
    install_sigint();
}

static void clear_error(Conn *c)
{
    free(c->err);
    free(c->err_state);
    free(c->err_detail);
    free(c->err_hint);
    c->err = c->err_state = c->err_detail = c->err_hint = NULL;
}

static char *dup_field(const PGresult *res, int field)
{
    return xstrdup_or_null(res ? PQresultErrorField(res, field) : NULL);
}

static void set_error_from(Conn *c, const PGresult *res)
{
    clear_error(c);
    char *primary = dup_field(res, PG_DIAG_MESSAGE_PRIMARY);
    if (!primary) {
        const char *msg = PQerrorMessage(c->pg);
        primary = xstrdup(msg && *msg ? msg : "unknown error");
        size_t n = strlen(primary);
        while (n > 0 && primary[n - 1] == '\n')
            primary[--n] = '\0';
    }
    if (got_sigint && res && PQresultErrorField(res, PG_DIAG_SQLSTATE) &&
        strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "57014") == 0) {
        free(primary);
        primary =
            xstrdup(between_actions ? "canceled: pgstrata is stopping" : "canceled by Ctrl-C");
    }
    c->err = primary;
    c->err_state = dup_field(res, PG_DIAG_SQLSTATE);
    c->err_detail = dup_field(res, PG_DIAG_MESSAGE_DETAIL);
    c->err_hint = dup_field(res, PG_DIAG_MESSAGE_HINT);
}

static void first_line_only(char *s)
{
    char *nl = strchr(s, '\n');
    if (nl)
        *nl = '\0';
}

/* The user's schemas (captured before search_path is emptied: the statements of
 * one query string run in order), then the session settings that make our SQL
 * mean one thing whatever the role's defaults. One round trip. */
static const char session_setup[] =
    "SELECT unnest(pg_catalog.current_schemas(false));\n"
    "SELECT pg_catalog.set_config('search_path', '', false),"
    " pg_catalog.set_config('client_encoding', 'UTF8', false),"
    " pg_catalog.set_config('standard_conforming_strings', 'on', false),"
    " pg_catalog.set_config('TimeZone', 'UTC', false),"
    " pg_catalog.set_config('DateStyle', 'ISO, YMD', false),"
    " pg_catalog.set_config('IntervalStyle', 'postgres', false),"
    " pg_catalog.set_config('extra_float_digits', '3', false),"
    /* statements see what committed before they began (the migration's
     * backfill and replay rely on it), whatever the role's default */
    " pg_catalog.set_config('default_transaction_isolation', 'read committed', false),"
    /* catalog queries never gain from JIT, and compiling costs more than they run */
    " pg_catalog.set_config('jit', 'off', false)";

/* The session on a new connection: checks it, reads the server version,
 * applies session_setup, and makes Ctrl-C cancel its statements. */
static Conn *session_start(PGconn *pg, bool no_password, char **err)
{
    if (PQstatus(pg) != CONNECTION_OK) {
        char *msg = xstrdup(PQerrorMessage(pg));
        first_line_only(msg);
        if (PQconnectionNeedsPassword(pg) && no_password) {
            char *with = xasprintf("%s (and -w/--no-password forbids prompting)", msg);
            free(msg);
            msg = with;
        }
        *err = msg;
        PQfinish(pg);
        return NULL;
    }

    Conn *c = xcalloc(1, sizeof(*c));
    c->pg = pg;
    c->cancel_slot = -1;
    c->version = PQserverVersion(pg);
    const char *vt = PQparameterStatus(pg, "server_version");
    c->version_text = xstrdup(vt ? vt : "unknown");
    /* Tests only: behave as against an older server (version gates and messages). */
    const char *pretend = getenv("PGSTRATA_PRETEND_SERVER_VERSION_NUM");
    if (pretend && atoi(pretend) > 0) {
        c->version = atoi(pretend);
        free(c->version_text);
        c->version_text = xasprintf("%d.%d", c->version / 10000, c->version % 10000);
    }

    bool ok = PQsendQuery(pg, session_setup);
    char *msg = NULL;
    PGresult *res;
    for (int nth = 0; (res = PQgetResult(pg)) != NULL; nth++) {
        if (ok && PQresultStatus(res) != PGRES_TUPLES_OK) {
            msg = xasprintf("could not set up the session: %s", PQresultErrorMessage(res));
            ok = false;
        } else if (ok && nth == 0) {
            c->n_user_schemas = (size_t)PQntuples(res);
            c->user_schemas = xcalloc(c->n_user_schemas + 1, sizeof(char *));
            for (int i = 0; i < PQntuples(res); i++)
                c->user_schemas[i] = xstrdup(PQgetvalue(res, i, 0));
        }
        PQclear(res);
    }
    if (!ok) {
        *err = msg ? msg : xasprintf("could not set up the session: %s", PQerrorMessage(pg));
        first_line_only(*err);
    }
    c->time_zone = xstrdup("UTC");
    if (!ok) {
        conn_close(c);
        return NULL;
    }
    register_cancel(c);
    install_sigint();
    return c;
}

Conn *conn_open(const ConnOptions *o, char **err)
{
    const char *keys[8], *vals[8];
    int n = 0;
    char *prompted = NULL;
    if (o->dbname) {
        keys[n] = "dbname";
        vals[n++] = o->dbname;
    }
    if (o->host) {
        keys[n] = "host";
        vals[n++] = o->host;
    }
    if (o->port) {
        keys[n] = "port";
        vals[n++] = o->port;
    }
    if (o->user) {
        keys[n] = "user";
        vals[n++] = o->user;
    }
    if (o->password) {
        char *pw = getpass("Password: ");
        prompted = xstrdup(pw ? pw : "");
        keys[n] = "password";
        vals[n++] = prompted;
    }
    keys[n] = "fallback_application_name";
    vals[n++] = "pgstrata";
    keys[n] = NULL;
    vals[n] = NULL;

    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (prompted) {
        memset(prompted, 0, strlen(prompted));
        free(prompted);
    }
    return session_start(pg, o->no_password, err);
}

Conn *conn_clone(const Conn *orig, char **err)
{
    /* every option the first session used, the password it was given included */
    PQconninfoOption *opts = PQconninfo(orig->pg);
    if (!opts) {
        *err = xstrdup("out of memory");
        return NULL;
    }
    size_t n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    const char **keys = xcalloc(n + 1, sizeof(char *)), **vals = xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val)
            continue;
        keys[k] = o->keyword;
        vals[k++] = o->val;
    }
    PGconn *pg = PQconnectdbParams(keys, vals, 0);
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    return session_start(pg, true, err);
}

void conn_close(Conn *c)
{
    if (!c)
        return;
    unregister_cancel(c);
    PQfinish(c->pg);
    free(c->time_zone);
    for (size_t i = 0; i < c->n_user_schemas; i++)
        free(c->user_schemas[i]);
    free(c->user_schemas);
    free(c->version_text);
    clear_error(c);
    free(c);
}

int conn_server_version(const Conn *c)
{
    return c->version;
}

const char *conn_server_version_text(const Conn *c)
{
    return c->version_text;
}

const char *const *conn_user_schemas(const Conn *c, size_t *n)
{
    *n = c->n_user_schemas;
    return (const char *const *)c->user_schemas;
}

/* The last result of the statement sent, waiting for it; the SIGINT
 * handler's PQcancel ends a long statement. */
static PGresult *collect(Conn *c)
{
    PGresult *last = NULL, *r;
    while ((r = PQgetResult(c->pg)) != NULL) {
        PQclear(last);
        last = r;
    }
    return last;
}

static DbResult *wrap(Conn *c, PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        set_error_from(c, res);
        PQclear(res);
        return NULL;
    }
    DbResult *r = xmalloc(sizeof(*r));
    r->res = res;
    return r;
}

DbResult *db_query(Conn *c, const char *sql, int nparams, const char *const *params)
{
    if (!db_send(c, sql, nparams, params))
        return NULL;
    return wrap(c, collect(c));
}

bool db_send(Conn *c, const char *sql, int nparams, const char *const *params)
{
    if (!PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0)) {
        set_error_from(c, NULL);
        return false;
    }
    return true;
}

int db_wait_any(Conn *const *conns, int n, int timeout_ms)
{
    struct pollfd fds[MAX_CANCELS];
    int idx[MAX_CANCELS];
    double until = -1;
    for (;;) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (!conns[i])
                continue;
            /* a broken connection is "ready": db_receive reports it */
            if (!PQconsumeInput(conns[i]->pg) || !PQisBusy(conns[i]->pg))
                return i;
            if (k < MAX_CANCELS) {
                fds[k].fd = PQsocket(conns[i]->pg);
                fds[k].events = POLLIN;
                fds[k].revents = 0;
                idx[k++] = i;
            }
        }
        if (k == 0)
            return -1;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double now_ms = (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
        if (until < 0)
            until = now_ms + (timeout_ms < 0 ? 0 : timeout_ms);
        int left = timeout_ms < 0 ? -1 : (int)(until - now_ms);
        if (timeout_ms >= 0 && left <= 0)
            return -1;
        int r = poll(fds, (nfds_t)k, left);
        if (r < 0 && errno == EINTR)
            return -1; /* Ctrl-C: the caller looks at interrupted() */
        if (r < 0)
            return idx[0]; /* db_receive then waits and reports */
        if (r == 0 && timeout_ms >= 0)
            return -1;
    }
}

DbResult *db_receive(Conn *c)
{
    return wrap(c, collect(c));
}

bool db_exec_params(Conn *c, const char *sql, int nparams, const char *const *params)
{
    DbResult *r = db_query(c, sql, nparams, params);
    db_clear(r);
    return r != NULL;
}

bool db_exec_script(Conn *c, const char *sql)
{
    if (!PQsendQuery(c->pg, sql)) {
        set_error_from(c, NULL);
        return false;
    }
    bool ok = true;
    PGresult *r;
    while ((r = PQgetResult(c->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (ok && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            set_error_from(c, r);
            ok = false;
        }
        PQclear(r);
    }
    return ok;
}

bool db_set_time_zone(Conn *c, const char *zone)
{
    if (c->time_zone && strcmp(c->time_zone, zone) == 0)
        return true;
    const char *params[] = {zone};
    if (!db_exec_params(c, "SELECT pg_catalog.set_config('TimeZone', $1, false)", 1, params))
        return false;
    free(c->time_zone);
    c->time_zone = xstrdup(zone);
    return true;
}

bool db_exec(Conn *c, const char *sql)
{
    return db_exec_params(c, sql, 0, NULL);
}

int db_rows(const DbResult *r)
{
    return r ? PQntuples(r->res) : 0;
}

const char *db_get(const DbResult *r, int row, int col)
{
    if (PQgetisnull(r->res, row, col))
        return NULL;
    return PQgetvalue(r->res, row, col);
}

bool db_get_bool(const DbResult *r, int row, int col)
{
    const char *v = db_get(r, row, col);
    return v && v[0] == 't';
}

long long db_get_ll(const DbResult *r, int row, int col, long long if_null)
{
    const char *v = db_get(r, row, col);
    return v ? strtoll(v, NULL, 10) : if_null;
}

double db_get_double(const DbResult *r, int row, int col, double if_null)
{
    const char *v = db_get(r, row, col);
    return v ? strtod(v, NULL) : if_null;
}

void db_clear(DbResult *r)
{
    if (!r)
        return;
    PQclear(r->res);
    free(r);
}

bool conn_lost(Conn *c)
{
    /* libpq can report the server's going away (an immediate shutdown) as an
     * error while the connection still looks fine */
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "SELECT 1"));
    return PQstatus(c->pg) == CONNECTION_BAD;
}

const char *conn_error(const Conn *c)
{
    return c->err ? c->err : "";
}

const char *conn_error_state(const Conn *c)
{
    return c->err_state;
}

const char *conn_error_detail(const Conn *c)
{
    return c->err_detail;
}

const char *conn_error_hint(const Conn *c)
{
    return c->err_hint;
}

bool conn_error_is_retryable(const Conn *c)
{
    const char *s = c->err_state;
    return s && (strcmp(s, "55P03") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "40001") == 0);
}

bool db_copy_out(Conn *c, const char *sql, CopySink sink, void *arg)
{
    PGresult *res = PQexec(c->pg, sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        set_error_from(c, res);
        PQclear(res);
        return false;
    }
    PQclear(res);
    bool sink_ok = true;
    char *buf;
    int n;
    while ((n = PQgetCopyData(c->pg, &buf, 0)) > 0) {
        if (sink_ok && !sink(arg, buf, (size_t)n))
            sink_ok = false;
        PQfreemem(buf);
    }
    bool ok = true;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            set_error_from(c, res);
            ok = false;
        }
        PQclear(res);
    }
    if (ok && !sink_ok) {
        clear_error(c);
        c->err = xstrdup("the archive command stopped reading its input");
    }
    return ok && sink_ok;
}

bool conn_check_conninfo(const char *conninfo, char **err)
{
    /* a bare database name is no conninfo string, and conn_open takes it as is */
    if (!strchr(conninfo, '=') && strncmp(conninfo, "postgres://", 11) != 0 &&
        strncmp(conninfo, "postgresql://", 13) != 0)
        return true;
    char *msg = NULL;
    PQconninfoOption *o = PQconninfoParse(conninfo, &msg);
    if (!o) {
        *err = xstrdup(msg ? msg : "out of memory");
        first_line_only(*err);
        PQfreemem(msg);
        return false;
    }
    PQconninfoFree(o);
    return true;
}

char *db_text_array(const char *const *items, size_t n)
{
    StrBuf sb;
    sb_init(&sb);
    sb_putc(&sb, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_putc(&sb, ',');
        sb_putc(&sb, '"');
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                sb_putc(&sb, '\\');
            sb_putc(&sb, *p);
        }
        sb_putc(&sb, '"');
    }
    sb_putc(&sb, '}');
    return sb.data;
}
