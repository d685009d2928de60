/* Plans: ordered actions, each with its SQL, the lock it takes, and why.
 * plan_table() is a pure function of (snapshot, server, options). */
#ifndef PGSTRATA_PLAN_H
#define PGSTRATA_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/snapshot.h"

typedef enum ActionKind {
    ACT_CREATE,        /* a standalone table for a future partition */
    ACT_ATTACH,        /* attach it (SHARE UPDATE EXCLUSIVE on the parent) */
    ACT_MOVE_DEFAULT,  /* move rows of a new range out of the default, attach, in one transaction */
    ACT_DETACH,        /* retirement, step 1 */
    ACT_FINALIZE,      /* DETACH ... FINALIZE of an interrupted detach */
    ACT_ARCHIVE,       /* COPY a detached table to --archive-command */
    ACT_SET_SCHEMA,    /* move a detached table to --detach-schema */
    ACT_DROP,          /* drop a detached table */
    ACT_DROP_LEFTOVER, /* drop an empty table an earlier run created but never attached */
    ACT_FORGET,        /* bookkeeping for a table that no longer exists */
    ACT_ANALYZE,       /* statistics of the parent */
    ACT_SKIP,          /* not done now, and why (outside window, ...); not an error */
    ACT_ERROR,         /* this table cannot be maintained as it is; counts as a failure */
} ActionKind;

const char *action_kind_name(ActionKind k);

typedef struct StrList {
    char **items;
    size_t n;
} StrList;

void strlist_add(StrList *l, char *owned);
void strlist_free(StrList *l);

typedef struct Action {
    ActionKind kind;
    char *table;  /* the parent, schema.table as displayed */
    char *target; /* the relation acted on, as displayed */
    char *lock;   /* which lock on which relation, in words */
    char *why;
    StrList pre_sql;  /* bookkeeping committed before sql (intent), own transaction */
    StrList sql;      /* the statements the user cares about */
    StrList book_sql; /* bookkeeping, same transaction as sql (after it) */
    bool autocommit;  /* sql runs outside a transaction block (DETACH CONCURRENTLY) */
    char *retry_sql;  /* used instead of sql[0] on a retry after a lock timeout */
    char *guard_sql;  /* SELECT count: the action fails if it exceeds guard_max */
    int64_t guard_max;
    char *guard_error; /* message when the guard trips; %lld receives the count */
    char *copy_sql;    /* ACT_ARCHIVE: COPY ... TO STDOUT */
    char *command;     /* ACT_ARCHIVE: the shell command, %t and %r substituted */
    int lock_timeout_ms;
    int depends_on; /* index in the plan of an action that must succeed first, or -1 */
    bool destructive;
} Action;

typedef struct Plan {
    Action *actions;
    size_t n;
    size_t cap;
} Plan;

typedef struct PlanOptions {
    bool creation_only;            /* `create`: make partitions, retire nothing */
    int64_t default_move_max_rows; /* above this, moving default rows stops with an error */
    const char *hold_destructive;  /* NULL, or why retirement steps wait (the daemon's window) */
} PlanOptions;

#define DEFAULT_MOVE_MAX_ROWS 100000

void plan_init(Plan *p);
void plan_free(Plan *p);
/* Appends the actions for one table. */
void plan_table(Plan *plan, const TableSnapshot *t, const ServerInfo *server,
                const PlanOptions *opts);

/* The names of the partitions a pass would create for this snapshot (to
 * find relations already holding them). Caller frees each and the array. */
char **planned_partition_names(const TableSnapshot *t, size_t *n);

/* "FOR VALUES FROM (lo) TO (hi)" for the policy's key type and zone, and one
 * key value as SQL (sb_key_value). */
struct StrBuf;
void sb_partition_bounds(struct StrBuf *sb, const Policy *p, int64_t lo, int64_t hi);
void sb_key_value(struct StrBuf *sb, const Policy *p, int64_t v);

/* An --archive-command for one table: %t (the table) and %r (its range),
 * each single-quoted for the shell; %% is a percent sign. */
char *archive_command(const char *tmpl, const char *table, const char *range);

/* Whether the partition set has gaps or overlaps; err names the two
 * partitions and the hole. Used by `create` before registering a policy. */
bool snapshot_check_contiguous(const TableSnapshot *t, char *err, size_t errlen);

#endif
