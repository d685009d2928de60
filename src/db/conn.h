/* The database session: the only layer that sees libpq.
 *
 * Every session runs with search_path = '' (all SQL here schema-qualifies),
 * application_name pgstrata (unless the user set one), client_encoding UTF8,
 * standard_conforming_strings on, TimeZone UTC, DateStyle ISO and READ
 * COMMITTED transactions. Ctrl-C cancels the statements running on the
 * server, then stops the program. */
#ifndef PGSTRATA_CONN_H
#define PGSTRATA_CONN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Conn Conn;
typedef struct DbResult DbResult;

typedef struct ConnOptions {
    const char *dbname; /* a name, a conninfo string or a URI */
    const char *host;
    const char *port;
    const char *user;
    bool no_password; /* -w: never prompt */
    bool password;    /* -W: prompt before connecting */
} ConnOptions;

/* Whether a conninfo string or URI parses (what conn_open's dbname takes;
 * a bare name always does). false with libpq's message in *err. */
bool conn_check_conninfo(const char *conninfo, char **err);
/* NULL on failure, with the message (libpq's, first line) in *err. */
Conn *conn_open(const ConnOptions *opts, char **err);
/* A second session with the same connection options (password included), for
 * work done in parallel; never prompts. */
Conn *conn_clone(const Conn *c, char **err);
void conn_close(Conn *c);
int conn_server_version(const Conn *c);
const char *conn_server_version_text(const Conn *c);
/* The schemas the user's own search_path named, for resolving unqualified
 * table names the way psql would. */
const char *const *conn_user_schemas(const Conn *c, size_t *n);

/* Runs one statement with text parameters (NULL = SQL NULL). NULL on error;
 * then conn_error*() describe it. */
DbResult *db_query(Conn *c, const char *sql, int nparams, const char *const *params);
/* A statement whose result is not needed. */
bool db_exec(Conn *c, const char *sql);
/* Several statements in one string (schema migrations only: everything
 * else goes through the extended protocol, one statement at a time). */
bool db_exec_script(Conn *c, const char *sql);
bool db_exec_params(Conn *c, const char *sql, int nparams, const char *const *params);
/* Several sessions at once (migrate backfill --jobs): db_send sends one
 * statement and returns; db_wait_any waits until one of conns (NULL entries
 * are skipped) has its whole result, or timeout_ms passes (-1: no limit), and
 * returns its index, or -1 on timeout, Ctrl-C, or when none is given;
 * db_receive then takes the result (NULL on error, as db_query). Ctrl-C
 * cancels the statements of every open session. */
bool db_send(Conn *c, const char *sql, int nparams, const char *const *params);
int db_wait_any(Conn *const *conns, int n, int timeout_ms);
DbResult *db_receive(Conn *c);
/* Sets the session's TimeZone (timestamptz values print in it); a no-op when
 * it is already that zone. */
bool db_set_time_zone(Conn *c, const char *zone);

int db_rows(const DbResult *r);
/* NULL for SQL NULL. Valid until db_clear. */
const char *db_get(const DbResult *r, int row, int col);
bool db_get_bool(const DbResult *r, int row, int col);
long long db_get_ll(const DbResult *r, int row, int col, long long if_null);
double db_get_double(const DbResult *r, int row, int col, double if_null);
void db_clear(DbResult *r);

/* The last error: primary message, SQLSTATE, detail and hint (may be NULL). */
const char *conn_error(const Conn *c);
const char *conn_error_state(const Conn *c);
const char *conn_error_detail(const Conn *c);
const char *conn_error_hint(const Conn *c);
/* Whether the connection is gone (the server ended the session, or went
 * away): after a failure, when libpq does not know yet, a trivial query asks. */
bool conn_lost(Conn *c);
/* 55P03 lock_not_available, 40P01 deadlock, 40001 serialization failure. */
bool conn_error_is_retryable(const Conn *c);

/* COPY (...) TO STDOUT into a callback; false on error. */
typedef bool (*CopySink)(void *arg, const char *buf, size_t len);
bool db_copy_out(Conn *c, const char *sql, CopySink sink, void *arg);

/* A text[] literal for a parameter: {"a","b"} with quotes and backslashes
 * escaped. Caller frees. */
char *db_text_array(const char *const *items, size_t n);

/* Set by the SIGINT handler; long loops check it. */
bool interrupted(void);
/* For a daemon's pass: SIGTERM and SIGINT only set interrupted(), so the
 * executor finishes the running action and starts no other; SIGUSR1 also
 * cancels the running statements (the daemon's deadline). */
void conn_stop_between_actions(void);

#endif
