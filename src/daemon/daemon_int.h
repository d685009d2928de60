/* The scheduler's state, shared by daemon.c (start, reload, stop, the loop,
 * the HTTP answers) and children.c (the pass processes). */
#ifndef PGSTRATA_DAEMON_INT_H
#define PGSTRATA_DAEMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/strbuf.h"
#include "daemon/config.h"
#include "daemon/metrics.h"

/* How far the stop of a running pass has gone. */
typedef enum StopStage {
    STOP_NONE,
    STOP_ASKED,    /* SIGTERM: finish the running action, start no other */
    STOP_CANCELED, /* SIGUSR1: the running statements are cancelled */
    STOP_KILLED,   /* SIGKILL */
} StopStage;

typedef struct Db {
    char *name;
    const DbConfig *cfg; /* in the configuration in use; NULL once a reload removed it */
    double due;          /* monotonic seconds */
    int errors;          /* passes in a row that ended in an error: the backoff */

    /* the running pass, when pid != 0 */
    pid_t pid;
    int report_fd, err_fd; /* read ends, -1 when closed */
    StrBuf report_buf, err_buf;
    double started;
    StopStage stage;
    double stage_at; /* when to go to the next stage */
    bool ended;      /* its "pass" line came */
    PassResult result;
    char *msg;
    int n_ok, n_failed, n_skipped, retries;
    TableMetrics *tables; /* read by this pass, not yet published */
    size_t ntables;
} Db;

typedef struct Daemon {
    const char *path;
    Config cfg;
    Db **dbs;
    size_t ndbs;
    Metrics metrics;
    struct Http *http;
    bool stopping;
} Daemon;

extern Daemon daemon_state;

/* check.c: a conninfo libpq can read, a time zone that exists */
extern const ConfigChecks daemon_checks;

double mono_now(void);
double uniform(void);

/* children.c */
void pass_start(Db *d, double now);
/* Reads what the running passes wrote; fds are polled by the caller. */
void pass_read(Db *d, bool report, bool err, double now);
/* Collects the passes that ended; schedules their databases again. */
void passes_reap(double now);
/* Signals a running pass to the next stop stage. */
void pass_stop_stage(Db *d, StopStage stage, double now);
/* Moves passes past their deadlines on to the next stop stage. */
void passes_deadlines(double now);
void db_free(Db *d);

#endif
