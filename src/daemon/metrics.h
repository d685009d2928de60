/* The daemon's metrics: plain data kept by the scheduler process (children
 * report to it), rendered in the Prometheus text format. Pure: the caller
 * passes the clocks in. The names are documented in README.md. */
#ifndef PGSTRATA_DAEMON_METRICS_H
#define PGSTRATA_DAEMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/strbuf.h"

/* What one pass read about a managed table after it ran. */
typedef struct TableMetrics {
    char *table;          /* schema.table as displayed */
    bool has_coverage;    /* time keys: the partitions hold now */
    double coverage_s;    /* from now to the end of the partitions that follow it */
    bool has_key_ahead;   /* integer keys */
    double key_ahead;     /* partition bound beyond max(key) */
    long long partitions; /* attached range partitions (not the default) */
    long long default_rows;
    bool has_success;
    double success_age_s; /* seconds since its last successful pass, when read */
    double read_at;       /* the monotonic clock when read */
} TableMetrics;

typedef struct Count {
    char *labels[3]; /* table, action, outcome (unused ones NULL) */
    double value;
} Count;

typedef enum PassResult {
    PASS_OK,      /* every action succeeded */
    PASS_FAILED,  /* it ran; some action failed */
    PASS_SKIPPED, /* another replica held the database */
    PASS_ERROR,   /* could not connect, or the pass could not start or finish */
    PASS__COUNT
} PassResult;

const char *pass_result_name(PassResult r);

typedef struct DbMetrics {
    char *name;
    bool up;      /* the last attempt reached the database */
    bool running; /* a pass is running now */
    int consecutive_errors;
    double passes[PASS__COUNT];
    double last_duration_s;
    double duration_sum_s;
    double cpu_sum_s;     /* user + system time of the pass processes */
    double max_rss_kb;    /* of the last pass process */
    double last_end_wall; /* epoch seconds; 0: none yet */
    Count *actions;       /* table, action, outcome */
    size_t nactions;
    Count *retries; /* table */
    size_t nretries;
    TableMetrics *tables;
    size_t ntables;
} DbMetrics;

typedef struct Metrics {
    DbMetrics **dbs; /* pointers stay valid while others are added */
    size_t ndbs;
    double reloads_ok, reloads_failed;
    double start_wall;
} Metrics;

/* The database's entry, made when new; valid until metrics_drop_db. */
DbMetrics *metrics_db(Metrics *m, const char *name);
/* Forgets a database no longer configured. */
void metrics_drop_db(Metrics *m, const char *name);
void metrics_action(DbMetrics *d, const char *table, const char *action, const char *outcome,
                    int retries);
void metrics_pass(DbMetrics *d, PassResult r, double duration_s, double cpu_s, double rss_kb,
                  double end_wall);
/* Replaces the database's table metrics (takes the array and its strings). */
void metrics_set_tables(DbMetrics *d, TableMetrics *t, size_t n);
void table_metrics_free(TableMetrics *t, size_t n);
void metrics_free(Metrics *m);

/* The whole exposition. */
void metrics_render(const Metrics *m, double now_mono, StrBuf *out);

#endif
