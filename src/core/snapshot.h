/* What the planner knows about one managed table: plain data, filled by the
 * catalog reader (db/catalog.c) in a few set-based queries, or by unit tests
 * by hand. All key values are in key space (core/interval.h); all times are
 * civil times in the policy's effective zone (see snapshot_zone). */
#ifndef PGSTRATA_SNAPSHOT_H
#define PGSTRATA_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/policy.h"

typedef struct PartitionInfo {
    char *name;            /* always in the parent's schema for attached partitions */
    unsigned int relid;    /* its oid (0 in unit tests) */
    unsigned int row_xmin; /* its pg_inherits row version (db/catalog_partitions.c) */
    bool name_cached;      /* name from pgstrata.partition_cache: check before acting on it */
    bool is_default;
    bool bounded;         /* false: bounds could not be read (multi-column, odd) */
    bool lower_unbounded; /* FROM (MINVALUE) */
    bool upper_unbounded; /* TO (MAXVALUE) */
    int64_t lower;
    int64_t upper;
    bool detach_pending; /* an interrupted DETACH ... CONCURRENTLY */
    bool has_pages;      /* integer keys: the table has pages, so may hold rows */
} PartitionInfo;

/* A table pgstrata detached on retirement (pgstrata.retired). */
typedef enum RetiredState {
    RS_DETACHING, /* intent recorded; the detach may or may not have happened */
    RS_DETACHED,  /* off the parent, waiting for archive or drop */
    RS_ARCHIVING, /* archive command started; rerun it from scratch */
    RS_ARCHIVED,  /* archive done, waiting for drop */
    RS_KEPT,      /* retention mode detach: kept for good, no further steps */
} RetiredState;

typedef struct RetiredInfo {
    char *schema;
    char *name;
    char *range_text; /* "[lower, upper)" as printed for %r */
    RetiredState state;
    bool exists;   /* the table is still there */
    bool attached; /* still a partition of the parent */
    bool has_detached_at;
    int64_t detached_at; /* civil, effective zone */
} RetiredInfo;

/* A table pgstrata created but had not attached yet (pgstrata.pending). */
typedef struct PendingInfo {
    char *name;
    int64_t lower;
    int64_t upper;
    bool exists;
    bool attached;
} PendingInfo;

typedef struct TableSnapshot {
    Policy policy;
    unsigned int oid; /* 0: the parent does not exist */
    char *problem;    /* why the table cannot be maintained (not partitioned, column type...) */
    char *owner;      /* parent's owner, quoted-ready bare name */
    bool set_owner;   /* new tables must be given to owner (we are not the owner) */
    char **columns;   /* parent's columns, in order (for moving default rows) */
    size_t ncolumns;

    int64_t now;    /* the pass clock, civil in the effective zone */
    char *now_sql;  /* the pass clock as a timestamptz literal ('...+00'), for bookkeeping */
    int now_minute; /* minute of the day in the policy zone, for --window */

    PartitionInfo *parts; /* attached partitions (and pending detaches), sorted by lower */
    size_t nparts;
    char *parts_fingerprint; /* read afresh: the pg_inherits rows they were read from */
    bool has_default;
    char *default_name;
    bool default_has_rows;
    int64_t default_min; /* when default_has_rows */
    int64_t default_max;
    double default_rows_estimate;

    bool has_max_key; /* integer keys: max(key) over the table */
    int64_t max_key;

    RetiredInfo *retired;
    size_t nretired;
    PendingInfo *pending;
    size_t npending;
    char **taken_names; /* relations in the schema named like our partitions, not ours */
    size_t ntaken;

    bool parent_has_stats;  /* inherited statistics exist, or the parent was analyzed */
    bool stats_stale;       /* analyzed before the last partition-set change */
    bool analyzed_recently; /* pgstrata analyzed it less than a day before the pass clock */
} TableSnapshot;

typedef struct ServerInfo {
    int version_num; /* server_version_num, e.g. 150018 */
    char *version_text;
} ServerInfo;

/* DETACH ... CONCURRENTLY arrived in PostgreSQL 14, ANALYZE ONLY in 18. */
bool server_has_detach_concurrently(const ServerInfo *s);
bool server_has_analyze_only(const ServerInfo *s);
/* pgstrata's floor: 12 (partitioned indexes and FKs, expressions in bounds).
 * Writes the message naming the feature and version when below it. */
bool server_supported(const ServerInfo *s, char *err, size_t errlen);

/* The zone civil times are in: the policy zone, except that sub-day intervals
 * on timestamptz align in UTC so each partition has the same length on DST
 * days. */
const char *snapshot_zone(const Policy *p);

void snapshot_free(TableSnapshot *t);

#endif
