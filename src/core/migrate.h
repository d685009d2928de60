/* Online re-layout (pgstrata migrate): the types shared by the inspection
 * (migrate plan), the steps (start ... finish) and the reports. Pure data. */
#ifndef PGSTRATA_MIGRATE_H
#define PGSTRATA_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/interval.h"
#include "core/plan.h"

typedef enum SourceKind {
    SOURCE_PLAIN,       /* an ordinary table */
    SOURCE_PARTITIONED, /* a declarative partitioned table (another layout) */
    SOURCE_INHERITANCE, /* a legacy parent with children by inheritance */
} SourceKind;

const char *source_kind_name(SourceKind k);

typedef enum Severity {
    SEV_BLOCKER, /* start refuses unless the user passes --accept <accept> */
    SEV_WARNING, /* start goes on; the plan says what will happen */
    SEV_INFO,    /* carried over as is */
} Severity;

const char *severity_name(Severity s);

/* One thing the plan found that the user must know about. */
typedef struct Finding {
    Severity severity;
    char *what;    /* stable kind for programs: "no-identity", "foreign-key-in", ... */
    char *object;  /* the object it is about, as displayed, or NULL */
    char *message; /* in plain words: what it means and what pgstrata will do */
    char *accept;  /* the --accept value that lets start go on, or NULL: cannot be accepted */
} Finding;

/* A partition of the new layout, with what the source holds for its range. */
typedef struct NewPartition {
    char *name;
    int64_t lower, upper; /* key values (civil seconds, days or integers: see interval.h) */
    double est_rows;
    double est_bytes;
} NewPartition;

typedef struct MigrateInspection {
    char *schema, *table; /* the source */
    SourceKind kind;
    char *key_column;
    KeyType key_type;
    bool key_nullable;
    StrList identity_columns; /* primary key, else replica identity index: how rows are matched */
    StrList identity_types;   /* format_type of each */
    StrList children;         /* partitions or inheritance children, schema-qualified, displayed */
    double rows, bytes;       /* estimates for the whole source */
    bool has_keys;            /* the source has at least one key value */
    int64_t min_key, max_key; /* when has_keys */
    NewPartition *parts;      /* the new layout: data range plus premake */
    size_t nparts;
    double est_seconds; /* backfill time estimate */
    Finding *findings;
    size_t nfindings;
} MigrateInspection;

void finding_add(MigrateInspection *m, Severity sev, const char *what, const char *object,
                 char *message /* owned */, const char *accept);
/* Whether value is one of the comma-separated items of list (may be NULL). */
bool comma_listed(const char *list, const char *value);
/* A blocker lifted by the accepted values (a comma-separated list, may be NULL). */
bool finding_accepted(const Finding *f, const char *accepted);
/* Blockers not lifted by the accepted values. */
size_t migrate_unaccepted_blockers(const MigrateInspection *m, const char *accepted);
void migrate_inspection_free(MigrateInspection *m);

/* ---- migrate plan: the new layout and its estimates (pure) ---------------- */

/* The backfill speed the time estimate assumes: the slower of these two rates
 * (batched INSERT ... SELECT into a table with a few indexes on ordinary
 * hardware). A guess to size the job, not a promise. */
#define MIGRATE_COPY_ROWS_PER_S  50000.0
#define MIGRATE_COPY_BYTES_PER_S (32.0 * 1024 * 1024)
/* The most partitions a new layout may have; beyond, a coarser interval is needed. */
#define MIGRATE_MAX_PARTITIONS 10000

/* Seconds to copy rows rows holding bytes bytes; max_rate > 0 caps the row
 * rate (--max-rate). */
double migrate_copy_seconds(double rows, double bytes, double max_rate);

/* Builds m->parts, the new layout: the cells of p's grid (aligned as create
 * aligns them, named after m->table) from the one holding the oldest key
 * (m->min_key when m->has_keys; --start when earlier; else the current
 * cell) up to the premake horizon, and at least through the cell holding
 * m->max_key. now is the clock, civil in snapshot_zone(p). Estimates are
 * zero. For an integer key the last cell must end within the type: keys past
 * it are left out (the caller sees max_key >= the last upper bound). Returns
 * the number of cells; when that exceeds MIGRATE_MAX_PARTITIONS nothing is
 * built and m->nparts is 0. */
size_t migrate_layout(MigrateInspection *m, const Policy *p, int64_t now);

/* What pg_stats holds about a key column, in key space. */
typedef struct KeyStats {
    double null_frac;
    int64_t *hist; /* histogram_bounds, ascending */
    size_t nhist;
    int64_t *mcv; /* most_common_vals */
    double *mcf;  /* and their frequencies */
    size_t nmcv;
} KeyStats;

void key_stats_add_bound(KeyStats *s, int64_t v);
void key_stats_add_mcv(KeyStats *s, int64_t v, double freq);
/* The fraction of all rows (NULL keys included) with a key in [lo, hi): the
 * common values counted as they are, the histogram interpolated linearly
 * within each bucket. */
double key_stats_fraction(const KeyStats *s, int64_t lo, int64_t hi);
/* The smallest and largest keys the statistics know of; false when none. */
bool key_stats_range(const KeyStats *s, int64_t *min, int64_t *max);
void key_stats_free(KeyStats *s);

/* A migration as pgstrata.migration records it. */
typedef struct Migration {
    int id;
    char *schema;    /* of the source, the new tree and the old table */
    char *source;    /* the table being re-laid out (the new tree's name after cutover) */
    char *new_table; /* the new tree's name until cutover */
    char *old_table; /* the source's name after cutover */
    char *key_column;
    char *key_type; /* format_type of the key column */
    SourceKind kind;
    StrList ident;       /* identity columns: how a row is found in both tables */
    StrList ident_types; /* their format_type */
    StrList columns;     /* the columns copied: all but generated ones */
    char *step;          /* started, cutover, old_kept, finished, rolled_back */
    bool backfill_done;
    long long rows_copied;
    double rows_estimate;
    char *keep_old_until; /* old_kept: when a later finish may drop the old table */
} Migration;

void migration_free(Migration *m);

/* The SQL of the objects one migration owns in schema pgstrata, all named
 * pgstrata.m<id>_*: the log of changed rows, the trigger function writing
 * it, the replay function applying it, and the backfill function. reverse:
 * after cutover, the new tree (named as the source) is captured into the old
 * table. Pure text; every name quoted. Caller frees. */
char *msql_log_table(const Migration *m, bool reverse);
char *msql_capture_function(const Migration *m, bool reverse);
/* CREATE TRIGGER on schema.table calling the capture function. */
char *msql_capture_trigger(const Migration *m, bool reverse, const char *table);
/* Where the reverse replay puts the rows of a legacy inheritance set: into
 * the first child whose condition (its CHECK constraints) they satisfy, the
 * rest into the parent itself. The parent's own routing trigger cannot do it:
 * it runs under the parent's temporary name (TG_TABLE_NAME) and pgstrata's
 * empty search_path. */
typedef struct ChildRoutes {
    StrList tables; /* schema-qualified, quoted */
    StrList when;   /* SQL conditions over the row's columns */
    StrList keyed;  /* "t" when the child has a unique index on the identity */
} ChildRoutes;

void child_routes_free(ChildRoutes *r);

/* routes: NULL to insert into the table itself. */
char *msql_replay_function(const Migration *m, bool reverse, const ChildRoutes *routes);
/* The batch function: (lo, hi] in identity order (text[] bounds, NULL: open),
 * the cursor mark recorded with it and fin (the backfill is complete). */
char *msql_backfill_function(const Migration *m);
/* Its call, with $1 lo, $2 hi, $3 mark (text[]) and $4 fin (boolean). */
char *msql_backfill_call(const Migration *m);
/* The identity (as text[]) of the $2-th row after $1 (text[], NULL: from
 * the start) in identity order: the end of a chunk of $2 rows. */
char *msql_backfill_bound(const Migration *m);
/* Records $1 (text[] mark) and $2 (boolean fin) as a batch does. */
char *msql_backfill_record(const Migration *m);
/* Advisory lock key (with the migration id) shared by backfill batches,
 * taken exclusively by the forward replay. */
#define MSQL_LOCK_KEY 1885827958
/* Drops the log and functions of one direction (the triggers go with the
 * capture function). */
char *msql_drop_objects(const Migration *m, bool reverse);
/* pgstrata.m<id>_<what>, quoted. */
char *msql_object(const Migration *m, const char *what);

#endif
